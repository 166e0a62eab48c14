// The dead letter queue writer: segments, sealing, size accounting and the storage policies.
#include "dlq/writer.hpp"

#include "dlq/entry.hpp"
#include "dlq/segments.hpp"
#include "sluice/field_ref.hpp"
#include "sluice/log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace sluice::dlq {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kLogger = "org.logstash.common.io.DeadLetterQueueWriter";

const FieldRef& dlq_metadata_ref() {
  static const FieldRef ref = *FieldRef::parse("[@metadata][dead_letter_queue]");
  return ref;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_retain_age(const std::string& s) {
  size_t k = 0;
  int64_t n = 0;
  while (k < s.size() && s[k] >= '0' && s[k] <= '9') {
    if (n > 1'000'000'000) return std::nullopt;
    n = n * 10 + (s[k] - '0');
    ++k;
  }
  if (k == 0) return std::nullopt;
  while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
  if (k + 1 != s.size()) return std::nullopt;
  using namespace std::chrono;
  switch (s[k]) {
    case 'd':
      return duration_cast<nanoseconds>(hours(24 * n));
    case 'h':
      return duration_cast<nanoseconds>(hours(n));
    case 'm':
      return duration_cast<nanoseconds>(minutes(n));
    case 's':
      return duration_cast<nanoseconds>(seconds(n));
  }
  return std::nullopt;
}

SegmentWriter::SegmentWriter(WriterOptions opts) : opts_(std::move(opts)) {}

std::shared_ptr<SegmentWriter> SegmentWriter::open(WriterOptions opts, std::string* error) {
  std::shared_ptr<SegmentWriter> w(new SegmentWriter(std::move(opts)));
  std::error_code ec;
  fs::create_directories(w->opts_.dir, ec);
  if (ec) {
    *error = "Cannot create the dead letter queue directory " + w->opts_.dir + ": " + ec.message() +
             ". Make path.dead_letter_queue (by default <path.data>/dead_letter_queue) writable by this user.";
    return nullptr;
  }
  if (!w->lock_directory(error) || !w->recover(error)) return nullptr;
  w->queue_size_ = directory_size(w->opts_.dir, false);
  w->last_entry_time_ = w->now();
  w->open_ = true;
  if (w->opts_.start_flusher) w->flusher_ = std::thread([raw = w.get()] { raw->flusher_loop(); });
  return w;
}

SegmentWriter::~SegmentWriter() { close(); }

bool SegmentWriter::lock_directory(std::string* error) {
  const std::string path = opts_.dir + "/.lock";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    *error = "Cannot open the dead letter queue lock " + path + ": " + std::strerror(errno) +
             ". Make the directory writable by this user.";
    return false;
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    *error = "The dead letter queue directory " + opts_.dir +
             " is in use by another writer (its .lock is held). Each pipeline needs its own directory: stop the "
             "other process, or give this one another path.data or path.dead_letter_queue.";
    return false;
  }
  return true;
}

// Heads left by a process that did not close the queue: a head whose sealed twin exists is a
// leftover of an interrupted rename; otherwise its readable prefix is kept (a torn last entry is
// cut off) and sealed, so that readers get every entry that was written whole.
bool SegmentWriter::recover(std::string* error) {
  uint32_t max_id = 0;
  for (uint32_t id : list_segments(opts_.dir, ".log")) max_id = std::max(max_id, id);
  for (uint32_t id : list_segments(opts_.dir, ".err")) max_id = std::max(max_id, id);
  for (uint32_t id : list_segments(opts_.dir, ".log.tmp")) {
    max_id = std::max(max_id, id);
    const std::string tmp = temp_segment_path(opts_.dir, id);
    const std::string sealed = segment_path(opts_.dir, id);
    std::error_code ec;
    if (fs::exists(sealed, ec)) {
      fs::remove(tmp, ec);
      continue;
    }
    FileSource src;
    if (!src.open(tmp, error)) {
      *error = "Cannot read the dead letter queue segment " + *error + ". Check the directory's permissions.";
      return false;
    }
    const SegmentScan scan = scan_segment(src);
    const uint64_t size = src.size();
    src.close();
    if (scan.entries == 0) {
      if (size > kVersionSize)
        log::write(log::Level::Warn, kLogger,
                   "Removing the dead letter queue segment " + tmp + ": no complete entry in its " +
                       std::to_string(size) + " bytes",
                   opts_.pipeline_id);
      fs::remove(tmp, ec);
      continue;
    }
    if (scan.valid_bytes < size) {
      log::write(log::Level::Warn, kLogger,
                 "The dead letter queue segment " + tmp + " ends with an unreadable entry (" +
                     to_string(scan.stopped) + "); keeping its " + std::to_string(scan.entries) +
                     " complete entries and dropping the last " + std::to_string(size - scan.valid_bytes) + " bytes",
                 opts_.pipeline_id);
      if (::truncate(tmp.c_str(), static_cast<off_t>(scan.valid_bytes)) != 0) {
        *error = "Cannot truncate " + tmp + ": " + std::strerror(errno) + ". Check the directory's permissions.";
        return false;
      }
    }
    fs::rename(tmp, sealed, ec);
    if (ec) {
      *error = "Cannot seal " + tmp + ": " + ec.message() + ". Check the directory's permissions.";
      return false;
    }
  }
  next_id_ = max_id + 1;
  return true;
}

Timestamp SegmentWriter::now() const { return opts_.clock ? opts_.clock() : Timestamp::now(); }

bool SegmentWriter::open_head(std::string* error) {
  const uint32_t id = next_id_;
  const std::string path = temp_segment_path(opts_.dir, id);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const char version = static_cast<char>(kSegmentVersion);
  if (fd < 0 || !write_all(fd, &version, 1)) {
    *error = "Cannot create the dead letter queue segment " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  head_fd_ = fd;
  head_id_ = id;
  next_id_ = id + 1;
  head_size_ = kVersionSize;
  head_entries_ = 0;
  queue_size_ += kVersionSize;
  return true;
}

void SegmentWriter::seal_head(const char* why) {
  if (head_fd_ < 0) return;
  const std::string tmp = temp_segment_path(opts_.dir, head_id_);
  std::error_code ec;
  if (head_entries_ == 0) {
    ::close(head_fd_);
    fs::remove(tmp, ec);
  } else {
    (void)::fdatasync(head_fd_);
    ::close(head_fd_);
    fs::rename(tmp, segment_path(opts_.dir, head_id_), ec);
    if (ec) {
      log::write(log::Level::Error, kLogger,
                 "Cannot seal the dead letter queue segment " + tmp + ": " + ec.message() +
                     ". It is sealed at the next start; check the directory's permissions.",
                 opts_.pipeline_id);
    } else {
      fsync_dir(opts_.dir);
      log::debug(kLogger, "Sealed segment with index " + std::to_string(head_id_) + " because " + why);
    }
  }
  if (head_entries_ == 0) queue_size_ -= std::min(queue_size_, head_size_);
  head_fd_ = -1;
  head_size_ = 0;
  head_entries_ = 0;
  oldest_known_ = false;
}

uint64_t SegmentWriter::delete_segment(uint32_t id, const char* why) {
  const std::string path = segment_path(opts_.dir, id);
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return 0;  // already removed (a reader cleaning consumed segments)
  const uint64_t entries = count_entries(path);
  fs::remove(path, ec);
  if (ec) {
    log::write(log::Level::Error, kLogger, "Cannot remove the dead letter queue segment " + path + ": " + ec.message(),
               opts_.pipeline_id);
    return 0;
  }
  queue_size_ -= std::min(queue_size_, size);
  oldest_known_ = false;
  log::debug(kLogger, "Removed segment file " + path + " due to " + why);
  return entries;
}

void SegmentWriter::apply_retention() {
  if (!opts_.retain_age) return;
  const Timestamp limit{now().ns - static_cast<int64_t>(opts_.retain_age->count())};
  while (true) {
    if (!oldest_known_) {
      oldest_.reset();
      const auto ids = list_segments(opts_.dir, ".log");
      if (!ids.empty()) {
        FileSource src;
        if (src.open(segment_path(opts_.dir, ids.front()), nullptr)) {
          if (auto t = last_entry_time(src)) oldest_ = std::make_pair(ids.front(), *t);
        }
      }
      oldest_known_ = true;
    }
    if (!oldest_ || oldest_->second >= limit) return;
    expired_ += delete_segment(oldest_->first, "age retention policy");
    oldest_known_ = false;
  }
}

void SegmentWriter::drop(const std::string& why) {
  ++dropped_;
  last_error_ = why;
  const int64_t t = wall_ms();
  if (t - last_drop_log_ms_ < 10'000) {
    ++drops_not_logged_;
    return;
  }
  std::string msg = why;
  if (drops_not_logged_ > 0) msg += " (" + std::to_string(drops_not_logged_) + " more entries dropped since the last report)";
  log::write(log::Level::Error, kLogger, msg, opts_.pipeline_id);
  last_drop_log_ms_ = t;
  drops_not_logged_ = 0;
}

bool SegmentWriter::make_room(uint64_t needed) {
  if (queue_size_ + needed <= opts_.max_bytes) return true;
  // A reader with clean_consumed may have removed segments: count again from disk.
  queue_size_ = directory_size(opts_.dir, false) + (head_fd_ >= 0 ? head_size_ : 0);
  if (queue_size_ + needed <= opts_.max_bytes) return true;
  const std::string full = "Cannot write event to DLQ(path: " + opts_.dir + "): reached maxQueueSize of " +
                           std::to_string(opts_.max_bytes);
  if (opts_.policy == StoragePolicy::DropNewer) {
    drop(full);
    return false;
  }
  while (queue_size_ + needed > opts_.max_bytes) {
    const auto ids = list_segments(opts_.dir, ".log");
    if (!ids.empty()) {
      expired_ += delete_segment(ids.front(), "dead letter queue size exceeded dead_letter_queue.max_bytes");
    } else if (head_entries_ > 0) {
      seal_head("the queue is full and the oldest entries are in the head segment");
    } else {
      drop(full + " (the entry alone is larger than dead_letter_queue.max_bytes)");
      return false;
    }
  }
  return true;
}

bool SegmentWriter::write(const Event& e, std::string_view plugin_type, std::string_view plugin_id,
                          std::string_view reason) {
  std::lock_guard lock(mu_);
  if (!open_) {
    drop("Cannot write event to DLQ(path: " + opts_.dir + "): the dead letter queue is closed");
    return false;
  }
  if (e.includes(dlq_metadata_ref())) {
    log::write(log::Level::Warn, kLogger, "Event previously submitted to dead letter queue. Skipping...",
               opts_.pipeline_id);
    return false;
  }
  Timestamp entry_time = now();
  if (entry_time < last_entry_time_) entry_time = last_entry_time_;  // entry times never go back
  scratch_.clear();
  if (!encode_entry(e, plugin_type, plugin_id, reason, entry_time, scratch_)) {
    drop("Cannot write event to DLQ(path: " + opts_.dir + "): the event is nested too deeply to be serialized");
    return false;
  }
  apply_retention();
  const uint64_t at = head_fd_ >= 0 ? head_size_ : kVersionSize;
  uint64_t needed = framed_size(scratch_.size(), at) + (head_fd_ >= 0 ? 0 : kVersionSize);
  if (!make_room(needed)) return false;
  if (head_fd_ >= 0 && head_entries_ > 0 && head_size_ + framed_size(scratch_.size(), head_size_) > opts_.max_segment_bytes)
    seal_head("the segment has reached its maximum size");
  std::string error;
  if (head_fd_ < 0 && !open_head(&error)) {
    drop("Cannot write event to DLQ(path: " + opts_.dir + "): " + error);
    return false;
  }
  framed_.clear();
  const uint64_t n = frame_entry(scratch_, head_size_, framed_);
  if (!write_all(head_fd_, framed_.data(), framed_.size())) {
    const std::string why = std::strerror(errno);
    // Cut a partial write off so that the segment stays readable.
    if (::ftruncate(head_fd_, static_cast<off_t>(head_size_)) == 0) (void)::lseek(head_fd_, 0, SEEK_END);
    drop("Cannot write event to DLQ(path: " + opts_.dir + "): " + why);
    return false;
  }
  head_size_ += n;
  queue_size_ += n;
  ++head_entries_;
  last_write_ = std::chrono::steady_clock::now();
  last_entry_time_ = entry_time;
  return true;
}

DeadLetterQueueStats SegmentWriter::stats() const {
  std::lock_guard lock(mu_);
  DeadLetterQueueStats s;
  s.queue_size_in_bytes = queue_size_;
  s.max_queue_size_in_bytes = opts_.max_bytes;
  s.dropped_events = dropped_;
  s.expired_events = expired_;
  s.storage_policy = opts_.policy == StoragePolicy::DropNewer ? "drop_newer" : "drop_older";
  s.last_error = last_error_;
  return s;
}

void SegmentWriter::flush_check() {
  std::lock_guard lock(mu_);
  if (!open_) return;
  if (head_fd_ >= 0 && head_entries_ > 0 && std::chrono::steady_clock::now() - last_write_ >= opts_.flush_interval)
    seal_head("the segment has expired 'flush_interval'");
  queue_size_ = directory_size(opts_.dir, false) + (head_fd_ >= 0 ? head_size_ : 0);
  oldest_known_ = false;
  apply_retention();
}

void SegmentWriter::flush() {
  std::lock_guard lock(mu_);
  seal_head("a flush was requested");
}

void SegmentWriter::close() {
  {
    std::lock_guard lock(flusher_mu_);
    stop_flusher_ = true;
  }
  flusher_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  std::lock_guard lock(mu_);
  if (!open_ && lock_fd_ < 0) return;
  open_ = false;
  seal_head("Dead letter queue is closing");
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock; the file stays (removing it would race a new writer)
  lock_fd_ = -1;
}

void SegmentWriter::flusher_loop() {
  const auto interval = std::max(opts_.flush_check_interval, std::chrono::milliseconds(10));
  std::unique_lock lock(flusher_mu_);
  while (!stop_flusher_) {
    flusher_cv_.wait_for(lock, interval);
    if (stop_flusher_) break;
    lock.unlock();
    flush_check();
    lock.lock();
  }
}

std::shared_ptr<DeadLetterQueueWriter> open_writer(const DeadLetterQueueSettings& settings,
                                                   const std::string& pipeline_id, std::string* error) {
  WriterOptions o;
  o.dir = settings.path;
  o.pipeline_id = pipeline_id;
  o.max_bytes = settings.max_bytes;
  o.policy = settings.storage_policy == "drop_older" ? StoragePolicy::DropOlder : StoragePolicy::DropNewer;
  int flush_ms = settings.flush_interval_ms;
  if (flush_ms < 1000) {
    log::write(log::Level::Warn, kLogger,
               "dead_letter_queue.flush_interval (" + std::to_string(flush_ms) +
                   " ms) is below the minimum of 1000 ms; using 1000 ms",
               pipeline_id);
    flush_ms = 1000;
  }
  int check_ms = settings.flush_check_interval_ms;
  if (check_ms > flush_ms) {
    log::write(log::Level::Warn, kLogger,
               "dead_letter_queue.flush_check_interval (" + std::to_string(check_ms) +
                   " ms) cannot be greater than dead_letter_queue.flush_interval (" + std::to_string(flush_ms) +
                   " ms); using " + std::to_string(flush_ms) + " ms",
               pipeline_id);
    check_ms = flush_ms;
  }
  if (check_ms < 1000) {
    log::write(log::Level::Warn, kLogger,
               "dead_letter_queue.flush_check_interval (" + std::to_string(check_ms) +
                   " ms) is below the minimum of 1000 ms; using 1000 ms for the flush check interval",
               pipeline_id);
    check_ms = 1000;
  }
  o.flush_interval = std::chrono::milliseconds(flush_ms);
  o.flush_check_interval = std::chrono::milliseconds(check_ms);
  if (!settings.retain_age.empty()) {
    o.retain_age = parse_retain_age(settings.retain_age);
    if (!o.retain_age) {
      *error = "Invalid dead_letter_queue.retain.age " + settings.retain_age +
               ": expected <number>[d,h,m,s], e.g. 5d";
      return nullptr;
    }
  }
  if (o.dir.empty()) {
    *error = "dead_letter_queue.enable is true but no directory is known: set path.data or path.dead_letter_queue";
    return nullptr;
  }
  return SegmentWriter::open(std::move(o), error);
}

}  // namespace sluice::dlq
