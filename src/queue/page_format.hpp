// The persisted queue's on-disk format (described in src/queue/FORMAT.md): page headers, records
// and the checkpoint, as pure functions over byte spans. Nothing here touches files, so the page
// reader and the checkpoint decoder can be unit-tested and fuzzed on arbitrary bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace sluice::pq {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kPageHeaderSize = 32;
inline constexpr size_t kRecordHeaderSize = 16;
inline constexpr char kPageMagic[8] = {'S', 'L', 'P', 'Q', 'P', 'A', 'G', 'E'};
inline constexpr char kCheckpointMagic[8] = {'S', 'L', 'P', 'Q', 'C', 'K', 'P', 'T'};
inline constexpr size_t kCheckpointHeaderSize = 32;  // magic, version, page count, next_seq, next_page_num, reserved
inline constexpr size_t kCheckpointEntrySize = 40;
inline constexpr size_t kCheckpointTrailerSize = 4;  // CRC32

using Bytes = std::span<const uint8_t>;

// Little-endian stores and loads (the format is little-endian whatever the host).
inline void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void store_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// zlib's CRC-32 (the IEEE polynomial), continued from `crc` (0 to start).
uint32_t crc32(uint32_t crc, const void* data, size_t n);

// ---- page header -------------------------------------------------------------------------------
struct PageHeader {
  uint32_t page_num = 0;
  uint64_t min_seq = 0;  // sequence number of the page's first record
};

void encode_page_header(const PageHeader& h, uint8_t out[kPageHeaderSize]);

enum class [[nodiscard]] HeaderStatus { Ok, Short, BadMagic, BadVersion, BadChecksum };
const char* to_string(HeaderStatus s);
HeaderStatus decode_page_header(Bytes image, PageHeader* out);

// ---- records -------------------------------------------------------------------------------------
// A record is [u32 length][u32 crc][u64 seq][payload]; the CRC covers the payload, then the seq and
// the length (so a CRC of the payload alone can be computed before the seq is known).
uint32_t record_crc(uint32_t payload_crc, uint64_t seq, uint32_t length);
void encode_record_header(uint8_t out[kRecordHeaderSize], uint32_t length, uint32_t crc, uint64_t seq);

struct RecordRef {
  uint64_t seq = 0;
  uint64_t offset = 0;  // of the record header within the page
  uint32_t length = 0;  // payload bytes
  const uint8_t* payload = nullptr;  // points into the image given to read_record
};

enum class [[nodiscard]] RecordStatus {
  Ok,
  End,          // the image ends exactly here: no more records
  Torn,         // a header or payload runs past the end of the image (an interrupted append)
  Zero,         // zero bytes where a header should be (space allocated but never written)
  BadChecksum,  // a complete record whose CRC does not match
  BadSeq,       // a valid record, but not the sequence number expected at this position
};
const char* to_string(RecordStatus s);

// Reads the record at `offset` of a page image, expecting sequence number `expected_seq`.
RecordStatus read_record(Bytes image, uint64_t offset, uint64_t expected_seq, RecordRef* out);

// ---- page scan (recovery and validation) ---------------------------------------------------------
enum class ScanEnd {
  Clean,      // every byte of the image is a valid record
  Torn,       // stopped at an incomplete record at the end of the image
  Corrupt,    // stopped at a damaged record (checksum, sequence)
  BadHeader,  // the page header itself is unusable: no records
};
const char* to_string(ScanEnd e);

struct ScanResult {
  ScanEnd end = ScanEnd::Clean;
  PageHeader header;
  uint32_t records = 0;      // valid records from the start of the page
  uint64_t valid_bytes = 0;  // offset just past the last valid record (the header size at least)
  std::string reason;        // what stopped the scan, for reports; empty when Clean
};

// Scans a whole page image, validating every record. `page_num` is the number its file name
// carries (the header must agree). Never reads outside `image`, whatever its bytes.
ScanResult scan_page(Bytes image, uint32_t page_num);

// ---- checkpoint ----------------------------------------------------------------------------------
struct CheckpointPage {
  uint32_t num = 0;
  bool sealed = false;          // no further records will be appended to this page
  uint64_t min_seq = 0;
  uint32_t count = 0;           // records known durable in the page at checkpoint time
  uint64_t bytes = 0;           // the page's size covering those records
  uint64_t first_unacked_seq = 0;  // every record below it is acknowledged
};

struct Checkpoint {
  uint64_t next_seq = 1;       // the sequence number the next write would take
  uint32_t next_page_num = 1;  // pages numbered from here on were created after this checkpoint
  std::vector<CheckpointPage> pages;  // live pages, ascending by number
};

std::string encode_checkpoint(const Checkpoint& c);

enum class [[nodiscard]] CheckpointStatus { Ok, Short, BadMagic, BadVersion, BadChecksum, Inconsistent };
const char* to_string(CheckpointStatus s);
// Decodes and validates (checksum, sizes, page order and ranges). `why` gets a sentence on failure.
CheckpointStatus decode_checkpoint(Bytes bytes, Checkpoint* out, std::string* why);

}  // namespace sluice::pq
