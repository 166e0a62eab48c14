// File operations of the persisted queue: page file names, complete writes through an injectable
// pwrite, atomic small-file replacement (temp file, fsync, rename, fsync of the directory) and
// whole-file reads. Errors are errno values; describe() turns one into a sentence.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sluice::pq {

using PwriteFn = std::function<ssize_t(int fd, const void* buf, size_t n, off_t offset)>;

// "page.7"; parse accepts exactly that shape (decimal, no sign, fits 32 bits), and with
// `suffix` (".damaged") the same name followed by it.
std::string page_file_name(uint32_t num);
bool parse_page_file_name(std::string_view name, uint32_t* num, std::string_view suffix = {});

// Writes all `n` bytes at `offset`, continuing after short writes and EINTR. Returns 0 or an errno;
// *written says how many bytes went out before a failure.
int write_all(const PwriteFn& fn, int fd, const uint8_t* data, size_t n, uint64_t offset, size_t* written);

// Replaces dir/name with `bytes` atomically: dir/name.tmp is written and fsynced, renamed over
// dir/name, then the directory is fsynced. A crash leaves either the old or the new file (and
// perhaps a stale .tmp, which readers ignore). Returns 0 or an errno (the .tmp is removed).
int replace_file(int dir_fd, const std::string& dir, const std::string& name, std::string_view bytes,
                 const PwriteFn& fn);

// Reads a whole file. Returns 0 or an errno (ENOENT when it does not exist).
int read_whole_file(const std::string& path, std::string* out);

// "No space left on device" and the like, for messages.
std::string describe_errno(int err);

}  // namespace sluice::pq
