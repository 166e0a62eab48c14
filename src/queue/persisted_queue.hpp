// The persisted queue (Logstash's `queue.type: persisted`): events written by the inputs are appended
// to page files under the pipeline's queue directory, read in batches by the workers and
// acknowledged once the outputs are done with them. It sits where MemoryQueue sits
// (src/runtime/queue.hpp) and offers the same calls, plus sequence numbers, acknowledgements and a
// durability point:
//
//   write(event) / push(event)   blocks while the queue is full (queue.max_bytes, queue.max_events)
//                                or the disk refuses writes; returns the event's sequence number
//   wait_durable(seq)            blocks until every event up to seq is fsynced (on disk: survives
//   when_durable(seq, callback)  kill -9 and power loss); the beats input acknowledges a window then
//   read_batch(batch, max, delay)  as MemoryQueue::read_batch, with each event's sequence number
//   ack(batch)                   the batch is done; acknowledgements may arrive out of order
//   close()                      no more writes; flush and checkpoint
//
// Files (src/queue/FORMAT.md): `page.N` holds records (length, CRC32, seq, encoded event); one
// `checkpoint` file holds each live page's first unacknowledged sequence number; `.lock` keeps a
// second process out. A page is deleted once all its events are acknowledged.
//
// Durability: checkpoint.writes=N fsyncs and checkpoints after every N writes (1: write() returns
// only once its event is on disk), checkpoint.acks=N after every N acknowledgements,
// checkpoint.interval every so many milliseconds when anything changed. All fsyncs happen on one
// background thread that serves every waiter at once (group commit), never under the queue's lock.
//
// Recovery (open): torn or corrupt records end their page; events lost are reported with their
// page, offset and count (recovery_issues()) and the later pages are delivered. Acknowledged events
// are never delivered again unless the checkpoint was lost; unacknowledged ones always are (at least
// once, as Logstash).
#pragma once

#include "queue/queue_stats.hpp"
#include "queue/queue_settings.hpp"
#include "sluice/event.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sluice::pq {

// One problem found while recovering a queue directory.
struct RecoveryIssue {
  uint32_t page_num = 0;  // 0: the checkpoint itself
  uint64_t offset = 0;    // where in the page reading stopped
  // Unacknowledged events that could not be recovered; -1 when the count cannot be known.
  int64_t events_lost = 0;
  std::string message;  // a full sentence, as logged
};

// A batch read from the queue. seqs[i] is the sequence number of the i-th event read; the events may
// be changed, dropped or multiplied by filters, the batch is acknowledged as a whole with ack().
struct Batch {
  std::vector<std::unique_ptr<Event>> events;
  std::vector<uint64_t> seqs;
  void clear() {
    events.clear();
    seqs.clear();
  }
  size_t size() const { return seqs.size(); }
};

enum class [[nodiscard]] WriteStatus {
  Ok,
  Closed,   // close() was called: the event was not written
  TooDeep,  // the event nests deeper than kMaxEventDepth and cannot be persisted
};

struct WriteResult {
  WriteStatus status = WriteStatus::Ok;
  uint64_t seq = 0;  // the event's sequence number when Ok
};

// Test hooks and tuning that the settings do not cover.
struct Options {
  // Replaces pwrite(2) for page and checkpoint files (tests inject ENOSPC with it).
  std::function<ssize_t(int fd, const void* buf, size_t n, off_t offset)> pwrite;
  // While writes fail (a full disk), how often to retry, and how often to log the error.
  std::chrono::milliseconds write_retry_interval{1000};
  std::chrono::milliseconds write_error_log_interval{10'000};
  std::string pipeline_id;  // for log lines
};

class PersistedQueue {
 public:
  // Opens (creating it if needed) the queue directory `dir`, recovering what a previous run left.
  // Returns nullptr with *error set when the directory cannot be used (another process holds it,
  // permissions, invalid settings).
  static std::unique_ptr<PersistedQueue> open(const std::string& dir, const QueueSettings& s,
                                              std::string* error, Options options = {});

  // Closes (if not yet), writes the final checkpoint with the acknowledgements received after
  // close() and releases the directory.
  ~PersistedQueue();
  PersistedQueue(const PersistedQueue&) = delete;
  PersistedQueue& operator=(const PersistedQueue&) = delete;

  WriteResult write(const Event& e);
  // MemoryQueue's form: on success the event is consumed (reset); false when closed (e untouched) or
  // when the event cannot be persisted (logged; e untouched).
  bool push(std::unique_ptr<Event>& e);

  // Blocks until the events up to `seq` are durable. False when they never will be: the queue was
  // closed while the disk refused writes.
  bool wait_durable(uint64_t seq);
  // Calls `done(true)` once the events up to `seq` are durable (at once, on the calling thread, if
  // they already are; otherwise on the queue's sync thread, which must not be blocked long), or
  // `done(false)` when the queue is destroyed before that.
  void when_durable(uint64_t seq, std::function<void(bool)> done);
  uint64_t durable_seq() const;

  // As MemoryQueue::read_batch: waits for the first event, then takes up to `max`, waiting up to
  // `delay` for each further one. Returns false once the queue is closed and nothing is left to
  // read; with queue.drain=false that is as soon as it is closed (unread events stay on disk for
  // the next start, as Logstash), with queue.drain=true once every event has been read.
  bool read_batch(Batch& out, size_t max, std::chrono::milliseconds delay);

  // Acknowledges events by sequence number (any order, any thread; unknown or repeated numbers are
  // ignored). Allowed after close(), until destruction.
  void ack(std::span<const uint64_t> seqs);
  void ack(const Batch& b) { ack(b.seqs); }

  // Stops writes (blocked writers return Closed), wakes readers, flushes and checkpoints.
  void close();
  // Flushes, fsyncs and writes a checkpoint now; false when the disk refused.
  bool checkpoint();

  size_t size() const;    // events written and not yet acknowledged
  size_t unread() const;  // events written and not yet read
  uint64_t push_blocked_ns() const;  // time writers spent blocked (full queue or full disk)
  uint64_t events_lost() const;      // reported at recovery or found damaged while reading
  QueueStats stats() const;
  // For the shutdown report: "12 events in 3 pages remain in /data/queue/main" (or "... is empty").
  std::string describe_unacked() const;
  const std::vector<RecoveryIssue>& recovery_issues() const;
  const std::string& path() const;

 private:
  struct Impl;
  explicit PersistedQueue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::pq
