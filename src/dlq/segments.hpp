// A dead letter queue directory: segment files `<n>.log` (sealed, what readers read), the head being
// written `<n>.log.tmp`, the writer's `.lock`. Helpers shared by the writer and the reader.
#pragma once

#include "dlq/segment_format.hpp"
#include "sluice/timestamp.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::dlq {

// Segment ids of `<id><suffix>` files in dir, ascending (empty if dir is missing).
std::vector<uint32_t> list_segments(const std::string& dir, const std::string& suffix = ".log");
std::string segment_path(const std::string& dir, uint32_t id);       // <dir>/<id>.log
std::string temp_segment_path(const std::string& dir, uint32_t id);  // <dir>/<id>.log.tmp
// The id in a segment path (".../12.log" -> 12); nullopt if the name is not a segment's.
std::optional<uint32_t> segment_id_of(const std::string& path);

// A segment file opened read-only; size() follows the file as it grows.
class FileSource final : public ByteSource {
 public:
  FileSource() = default;
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  bool open(const std::string& path, std::string* error);
  bool is_open() const { return fd_ >= 0; }
  void close();
  uint64_t size() const override;
  bool read(uint64_t offset, size_t n, uint8_t* out) const override;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Walks the entries from the start of a segment: how many read cleanly, and where the last one
// ends (the segment's valid length).
struct SegmentScan {
  uint64_t entries = 0;
  uint64_t valid_bytes = kVersionSize;
  ReadStatus stopped = ReadStatus::End;  // End for a clean segment
};
SegmentScan scan_segment(const ByteSource& src);

// Entries in the segment file at path (0 if it cannot be read).
uint64_t count_entries(const std::string& path);

// The entry time of the last entry in the segment, reading from the last block backwards.
std::optional<Timestamp> last_entry_time(const ByteSource& src);

// Sum of the sizes of the sealed segments (and, if with_temp, of the head being written).
uint64_t directory_size(const std::string& dir, bool with_temp);

}  // namespace sluice::dlq
