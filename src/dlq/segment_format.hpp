// The dead letter queue's segment format (described in src/dlq/FORMAT.md): a version byte, then
// fixed-size blocks holding records; an entry too large for the rest of a block is split into
// START, MIDDLE... and END records. Framing and parsing are pure functions over bytes (a ByteSource
// is a file or a buffer), so the reader can be unit-tested and fuzzed on arbitrary input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::dlq {

// The first byte of every segment: Sluice's segment format 1 ('S'). Logstash's segments start with
// '1' and carry Java CBOR; they are refused by version rather than misread.
inline constexpr uint8_t kSegmentVersion = 'S';
inline constexpr uint64_t kVersionSize = 1;
inline constexpr uint64_t kBlockSize = 32 * 1024;
// type (1), chunk size (4), entry size (4, START only, else 0xFFFFFFFF), CRC-32 (4); big-endian.
inline constexpr uint64_t kRecordHeaderSize = 13;
// Logstash's segment size: a segment is sealed before it would grow past this.
inline constexpr uint64_t kDefaultMaxSegmentBytes = 10 * 1024 * 1024;

enum class RecordType : uint8_t { Complete = 1, Start = 2, Middle = 3, End = 4 };

// Appends the records of one entry (and the zero padding that skips a block's tail too short for
// a record) to a segment whose length is `segment_size` bytes (version byte included). Returns the
// number of bytes appended.
uint64_t frame_entry(std::string_view payload, uint64_t segment_size, std::string& out);

// The bytes frame_entry would append for a payload of `payload_size` at `segment_size`.
uint64_t framed_size(uint64_t payload_size, uint64_t segment_size);

// Random access to a segment's bytes: a file (pread) or a buffer.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly n bytes at offset; false if they are not all there (or on an I/O error).
  virtual bool read(uint64_t offset, size_t n, uint8_t* out) const = 0;
};

class BufferSource final : public ByteSource {
 public:
  explicit BufferSource(std::span<const uint8_t> bytes) : bytes_(bytes) {}  // the caller keeps bytes alive
  uint64_t size() const override { return bytes_.size(); }
  bool read(uint64_t offset, size_t n, uint8_t* out) const override;

 private:
  std::span<const uint8_t> bytes_;
};

enum class [[nodiscard]] ReadStatus : uint8_t {
  Ok,          // one entry read; *next is where the following one starts
  End,         // no entry starts at or after offset: the segment ends there (a clean end)
  Incomplete,  // the segment ends inside an entry (a torn write, or one still being written)
  Corrupt,     // a record with a bad type, size or checksum
};
const char* to_string(ReadStatus s);

// True if the segment's first byte is kSegmentVersion.
bool has_version(const ByteSource& src);

// Reads the entry starting at (or after the padding that follows) `offset`, which must be the
// version byte's end or a value returned in *next. Entries that begin with a MIDDLE or END record
// are Corrupt here (see find_entry_start to resynchronise).
ReadStatus read_entry(const ByteSource& src, uint64_t offset, std::string* payload, uint64_t* next);

// The offset of the first record at or after `offset` that starts an entry (COMPLETE or START),
// walking records and skipping to the next block over anything unreadable. Returns the segment's
// size if none starts before its end.
uint64_t find_entry_start(const ByteSource& src, uint64_t offset);

// The offset where block `block` starts (its first record).
inline uint64_t block_start(uint64_t block) { return kVersionSize + block * kBlockSize; }
// The number of blocks (the last one possibly partial) in a segment of `size` bytes.
inline uint64_t block_count(uint64_t size) {
  return size <= kVersionSize ? 0 : (size - kVersionSize + kBlockSize - 1) / kBlockSize;
}

}  // namespace sluice::dlq
