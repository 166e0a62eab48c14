// File operations of the persisted queue (see page_io.hpp).
#include "queue/page_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice::pq {

std::string page_file_name(uint32_t num) { return "page." + std::to_string(num); }

bool parse_page_file_name(std::string_view name, uint32_t* num, std::string_view suffix) {
  constexpr std::string_view prefix = "page.";
  if (name.size() <= prefix.size() + suffix.size() || name.substr(0, prefix.size()) != prefix) return false;
  if (name.substr(name.size() - suffix.size()) != suffix) return false;
  const std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 10 || (digits.size() > 1 && digits[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return false;
  *num = static_cast<uint32_t>(v);
  return true;
}

int write_all(const PwriteFn& fn, int fd, const uint8_t* data, size_t n, uint64_t offset, size_t* written) {
  size_t done = 0;
  int err = 0;
  while (done < n) {
    const ssize_t w = fn ? fn(fd, data + done, n - done, static_cast<off_t>(offset + done))
                         : ::pwrite(fd, data + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (w == 0) {  // no progress without an error: treat as a full device
      err = ENOSPC;
      break;
    }
    done += static_cast<size_t>(w);
  }
  if (written) *written = done;
  return err;
}

int replace_file(int dir_fd, const std::string& dir, const std::string& name, std::string_view bytes,
                 const PwriteFn& fn) {
  const std::string tmp = dir + "/" + name + ".tmp";
  const std::string final_path = dir + "/" + name;
  const int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  int err = write_all(fn, fd, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 0, nullptr);
  if (!err && ::fdatasync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::rename(tmp.c_str(), final_path.c_str()) != 0) err = errno;
  if (err) {
    ::unlink(tmp.c_str());
    return err;
  }
  if (::fsync(dir_fd) != 0) return errno;
  return 0;
}

int read_whole_file(const std::string& path, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out->clear();
  char buf[65536];
  int err = 0;
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (r == 0) break;
    out->append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  return err;
}

std::string describe_errno(int err) { return std::strerror(err); }

}  // namespace sluice::pq
