// Directory and segment-file helpers of the dead letter queue.
#include "dlq/segments.hpp"

#include "dlq/entry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace sluice::dlq {

namespace fs = std::filesystem;

std::optional<uint32_t> segment_id_of(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  const size_t dot = name.find('.');
  if (dot == 0 || dot == std::string::npos || dot > 9) return std::nullopt;
  uint64_t id = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    id = id * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  if (id == 0 || id > 0xffffffffull) return std::nullopt;
  return static_cast<uint32_t>(id);
}

std::vector<uint32_t> list_segments(const std::string& dir, const std::string& suffix) {
  std::vector<uint32_t> ids;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t dot = name.find('.');
    if (dot == std::string::npos || name.compare(dot, std::string::npos, suffix) != 0) continue;
    if (auto id = segment_id_of(name)) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string segment_path(const std::string& dir, uint32_t id) { return dir + "/" + std::to_string(id) + ".log"; }
std::string temp_segment_path(const std::string& dir, uint32_t id) { return segment_path(dir, id) + ".tmp"; }

FileSource::~FileSource() { close(); }

bool FileSource::open(const std::string& path, std::string* error) {
  close();
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    if (error) *error = path + ": " + std::strerror(errno);
    return false;
  }
  path_ = path;
  return true;
}

void FileSource::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

uint64_t FileSource::size() const {
  struct stat st{};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

bool FileSource::read(uint64_t offset, size_t n, uint8_t* out) const {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

SegmentScan scan_segment(const ByteSource& src) {
  SegmentScan s;
  if (!has_version(src)) {
    s.stopped = ReadStatus::Corrupt;
    s.valid_bytes = 0;
    return s;
  }
  std::string payload;
  uint64_t pos = kVersionSize;
  while (true) {
    uint64_t next = 0;
    const ReadStatus r = read_entry(src, pos, &payload, &next);
    if (r != ReadStatus::Ok) {
      s.stopped = r;
      return s;
    }
    ++s.entries;
    pos = next;
    s.valid_bytes = next;
  }
}

uint64_t count_entries(const std::string& path) {
  FileSource f;
  if (!f.open(path, nullptr)) return 0;
  return scan_segment(f).entries;
}

std::optional<Timestamp> last_entry_time(const ByteSource& src) {
  const uint64_t size = src.size();
  std::string payload;
  for (uint64_t b = block_count(size); b-- > 0;) {
    uint64_t pos = find_entry_start(src, block_start(b));
    std::optional<Timestamp> last;
    while (pos < size) {
      uint64_t next = 0;
      if (read_entry(src, pos, &payload, &next) != ReadStatus::Ok) break;
      if (auto t = peek_entry_time(payload)) last = t;
      pos = next;
    }
    if (last) return last;
  }
  return std::nullopt;
}

uint64_t directory_size(const std::string& dir, bool with_temp) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool sealed = name.size() > 4 && name.ends_with(".log");
    const bool temp = with_temp && name.ends_with(".log.tmp");
    if (!(sealed || temp) || !segment_id_of(name)) continue;
    std::error_code sec;
    const auto n = fs::file_size(it->path(), sec);
    if (!sec) total += n;
  }
  return total;
}

}  // namespace sluice::dlq
