#include "runtime/queue.hpp"

namespace sluice {

// Condition variables are signalled only when someone waits on them: with one push per event a
// futex wake per event would cost more than the event's filters (measured with generator -> null).

bool MemoryQueue::push(std::unique_ptr<Event>& e) {
  std::unique_lock lock(mu_);
  if (items_.size() >= capacity_ && !closed_) {
    const auto start = std::chrono::steady_clock::now();
    ++producers_waiting_;
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_; });
    --producers_waiting_;
    push_blocked_ns_ += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  }
  if (closed_) return false;
  items_.push_back(std::move(e));
  const bool wake = readers_waiting_ > 0;
  lock.unlock();
  if (wake) not_empty_.notify_one();
  return true;
}

bool MemoryQueue::read_batch(std::vector<std::unique_ptr<Event>>& out, size_t max,
                             std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  auto has_items_or_closed = [&] { return !items_.empty() || closed_; };
  // Wait for the first event (or the end).
  if (!has_items_or_closed()) {
    ++readers_waiting_;
    not_empty_.wait(lock, has_items_or_closed);
    --readers_waiting_;
  }
  if (items_.empty()) return false;  // closed and drained
  for (;;) {
    size_t taken = 0;
    while (!items_.empty() && out.size() < max) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
      ++taken;
    }
    if (taken && producers_waiting_ > 0) {
      // Producers blocked on a full queue can go on.
      lock.unlock();
      not_full_.notify_all();
      lock.lock();
    }
    if (out.size() >= max || closed_) break;
    // The batch is not full: wait up to `delay` for more; the timer restarts after each event.
    if (items_.empty()) {
      ++readers_waiting_;
      const bool got = not_empty_.wait_for(lock, delay, has_items_or_closed);
      --readers_waiting_;
      if (!got || items_.empty()) break;  // timed out, or closed
    }
  }
  return true;
}

void MemoryQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

size_t MemoryQueue::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

uint64_t MemoryQueue::push_blocked_ns() const {
  std::lock_guard lock(mu_);
  return push_blocked_ns_;
}

}  // namespace sluice
