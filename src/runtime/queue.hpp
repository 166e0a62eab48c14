// The memory queue: a bounded multi-producer, multi-consumer queue of events between the inputs and
// the workers. A full queue blocks producers (backpressure, never a drop).
#pragma once

#include "sluice/event.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace sluice {

class MemoryQueue {
 public:
  explicit MemoryQueue(size_t capacity) : capacity_(capacity ? capacity : 1) {}

  // Blocks while the queue is full. Returns false (and leaves `e` untouched) once close() was called.
  bool push(std::unique_ptr<Event>& e);

  // Reads a batch as Logstash's worker loop does: takes what is there, up to `max`; while the batch
  // is not full, waits up to `delay` for the next event (the wait restarts after each event). An
  // empty queue with nothing arriving keeps the caller waiting unless the queue is closed. Returns
  // false when the queue is closed and empty (the worker should exit).
  bool read_batch(std::vector<std::unique_ptr<Event>>& out, size_t max, std::chrono::milliseconds delay);

  // No more pushes; readers drain what is left, then read_batch returns false.
  void close();

  size_t size() const;
  size_t capacity() const { return capacity_; }

  // Time producers spent blocked on a full queue (Logstash's queue_push_duration_in_millis).
  uint64_t push_blocked_ns() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::unique_ptr<Event>> items_;
  bool closed_ = false;
  unsigned readers_waiting_ = 0;    // threads in not_empty_.wait
  unsigned producers_waiting_ = 0;  // threads in not_full_.wait
  uint64_t push_blocked_ns_ = 0;
};

}  // namespace sluice
