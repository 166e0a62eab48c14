#include "plugins/inputs/beats/memory.hpp"

#include <cstdio>

namespace sluice::beats {

bool MemoryPool::take(uint64_t n, bool above_floor) {
  const uint64_t cap = above_floor ? limit_ - reserve_ : limit_;
  uint64_t cur = used_.load(std::memory_order_acquire);
  do {
    if (cur > cap || n > cap - cur) return false;
  } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_acq_rel, std::memory_order_acquire));
  const uint64_t now = cur + n;
  uint64_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return true;
}

bool MemoryAccount::charge(uint64_t n) {
  if (n == 0) return true;
  uint64_t cur = used_.load(std::memory_order_acquire);
  do {
    if (cur > limit_ || n > limit_ - cur) {
      refusal_.store(MemoryRefusal::Connection, std::memory_order_relaxed);
      refused_bytes_.store(n, std::memory_order_relaxed);
      return false;
    }
  } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_acq_rel, std::memory_order_acquire));
  if (pool_ && !pool_->take(n, cur + n > floor_)) {
    used_.fetch_sub(n, std::memory_order_acq_rel);
    refusal_.store(MemoryRefusal::Pool, std::memory_order_relaxed);
    refused_bytes_.store(n, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void MemoryAccount::release(uint64_t n) {
  if (n == 0) return;
  used_.fetch_sub(n, std::memory_order_acq_rel);
  if (pool_) pool_->give(n);
}

std::shared_ptr<Chunk> Chunk::make(size_t capacity, const std::shared_ptr<MemoryAccount>& account) {
  if (account && !account->charge(capacity)) return nullptr;
  Chunk* chunk = nullptr;
  try {
    chunk = new Chunk(capacity, account);
  } catch (...) {  // out of memory: the charge is given back
    if (account) account->release(capacity);
    throw;
  }
  return std::shared_ptr<Chunk>(chunk);  // (if this throws, the chunk is deleted and releases its charge)
}

std::string format_bytes(uint64_t n) {
  char buf[64];
  if (n >= (1ull << 30) && n % (1ull << 30) == 0) {
    std::snprintf(buf, sizeof buf, "%llu GiB", static_cast<unsigned long long>(n >> 30));
  } else if (n >= (1ull << 20) && n % (1ull << 20) == 0) {
    std::snprintf(buf, sizeof buf, "%llu MiB", static_cast<unsigned long long>(n >> 20));
  } else if (n >= (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1 << 20));
  } else if (n >= 1024 && n % 1024 == 0) {
    std::snprintf(buf, sizeof buf, "%llu KiB", static_cast<unsigned long long>(n >> 10));
  } else {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
  }
  return buf;
}

}  // namespace sluice::beats
