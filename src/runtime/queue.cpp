#include "runtime/queue.hpp"

namespace sluice {

bool MemoryQueue::push(std::unique_ptr<Event>& e) {
  std::unique_lock lock(mu_);
  if (items_.size() >= capacity_ && !closed_) {
    const auto start = std::chrono::steady_clock::now();
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_; });
    push_blocked_ns_ += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  }
  if (closed_) return false;
  items_.push_back(std::move(e));
  lock.unlock();
  not_empty_.notify_one();
  return true;
}

bool MemoryQueue::read_batch(std::vector<std::unique_ptr<Event>>& out, size_t max,
                             std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  // Wait for the first event (or the end).
  not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
  if (items_.empty()) return false;  // closed and drained
  for (;;) {
    size_t taken = 0;
    while (!items_.empty() && out.size() < max) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
      ++taken;
    }
    if (taken) {
      // Producers waiting on a full queue can go on.
      lock.unlock();
      not_full_.notify_all();
      lock.lock();
    }
    if (out.size() >= max || closed_) break;
    // The batch is not full: wait up to `delay` for more; the timer restarts after each event.
    if (!not_empty_.wait_for(lock, delay, [&] { return !items_.empty() || closed_; })) break;
    if (items_.empty()) break;  // closed
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
