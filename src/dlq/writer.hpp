// The dead letter queue writer (Logstash's DeadLetterQueueWriter): one per pipeline directory,
// shared by the pipeline's plugins and kept across reloads. Entries are appended to the head
// segment `<n>.log.tmp`; the head is sealed (fsynced and renamed to `<n>.log`, which readers then
// see) when it would outgrow the segment size, when it has not been written for flush_interval, and
// on close. Size accounting, storage_policy (drop_newer refuses new entries when max_bytes is
// reached; drop_older deletes the oldest segments) and retain.age (segments whose newest entry is
// older are deleted) follow Logstash.
//
// Thread-safety: write() and stats() may be called from any thread; one mutex serialises writes.
// A background thread runs flush_check() every flush_check_interval.
#pragma once

#include "dlq/segment_format.hpp"
#include "dlq/dlq_settings.hpp"
#include "sluice/dead_letter_queue.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace sluice::dlq {

enum class StoragePolicy { DropNewer, DropOlder };

struct WriterOptions {
  std::string dir;          // the pipeline's queue directory (created if missing)
  std::string pipeline_id;  // for log lines
  uint64_t max_bytes = 1024ull << 20;
  StoragePolicy policy = StoragePolicy::DropNewer;
  std::chrono::milliseconds flush_interval{5000};
  std::chrono::milliseconds flush_check_interval{1000};
  std::optional<std::chrono::nanoseconds> retain_age;  // dead_letter_queue.retain.age
  uint64_t max_segment_bytes = kDefaultMaxSegmentBytes;
  bool start_flusher = true;         // false: flush_check() is only called by the owner (tests)
  std::function<Timestamp()> clock;  // entry times and ages; Timestamp::now when empty
};

class SegmentWriter final : public DeadLetterQueueWriter {
 public:
  // Opens the directory: takes its `.lock` (one writer per directory, across processes), recovers
  // heads left by a crash (the valid prefix is sealed, a torn tail dropped), computes the size.
  static std::shared_ptr<SegmentWriter> open(WriterOptions opts, std::string* error);
  ~SegmentWriter() override;
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  bool write(const Event& e, std::string_view plugin_type, std::string_view plugin_id,
             std::string_view reason) override;
  DeadLetterQueueStats stats() const override;

  // Seals the head if it is stale, applies retain.age and re-reads the queue size from disk (a
  // reader with clean_consumed may have deleted segments).
  void flush_check();
  // Seals the head now (if it holds entries).
  void flush();
  // Seals the head, stops the flusher and releases the lock; write() then refuses entries.
  void close();

  const std::string& dir() const { return opts_.dir; }

 private:
  explicit SegmentWriter(WriterOptions opts);
  bool lock_directory(std::string* error);
  bool recover(std::string* error);
  bool open_head(std::string* error);
  void seal_head(const char* why);
  bool make_room(uint64_t needed);
  void apply_retention();
  uint64_t delete_segment(uint32_t id, const char* why);
  void drop(const std::string& why);
  Timestamp now() const;
  void flusher_loop();

  WriterOptions opts_;
  mutable std::mutex mu_;
  int lock_fd_ = -1;
  int head_fd_ = -1;            // the open head `<head_id_>.log.tmp`, or -1
  uint32_t head_id_ = 0;
  uint32_t next_id_ = 1;        // id of the next head
  uint64_t head_size_ = 0;      // bytes in the head (version byte included)
  uint64_t head_entries_ = 0;
  std::chrono::steady_clock::time_point last_write_;
  uint64_t queue_size_ = 0;     // sealed segments plus the head
  Timestamp last_entry_time_{};
  uint64_t dropped_ = 0;
  uint64_t expired_ = 0;
  std::string last_error_;
  bool open_ = false;
  std::string scratch_;
  std::string framed_;
  // The oldest sealed segment and the time of its newest entry, for retain.age (re-read after a
  // segment is sealed or deleted).
  bool oldest_known_ = false;
  std::optional<std::pair<uint32_t, Timestamp>> oldest_;
  int64_t last_drop_log_ms_ = 0;
  uint64_t drops_not_logged_ = 0;

  std::mutex flusher_mu_;
  std::condition_variable flusher_cv_;
  bool stop_flusher_ = false;
  std::thread flusher_;
};

// Parses dead_letter_queue.retain.age ("5d", "12h", "30m", "10s"); nullopt for "" or a bad value.
std::optional<std::chrono::nanoseconds> parse_retain_age(const std::string& s);

// The writer for a pipeline from its settings: the directory is settings.path (already
// <path.dead_letter_queue>/<pipeline id>). flush_interval and flush_check_interval are raised to
// Logstash's minimum of one second (with a warning). Returns nullptr and sets *error (a sentence
// saying what to do) when the directory cannot be created or locked.
std::shared_ptr<DeadLetterQueueWriter> open_writer(const DeadLetterQueueSettings& settings,
                                                   const std::string& pipeline_id, std::string* error);

}  // namespace sluice::dlq
