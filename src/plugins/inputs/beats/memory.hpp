// Memory accounting of the beats input: every byte a connection holds for the data it received
// (receive buffer, inflated chunks, window arenas, message lists, zlib states) is charged to the
// connection's MemoryAccount and to the input's MemoryPool, and released when the memory is freed,
// on whichever thread frees it (windows handed to an executor count until the executor has turned
// them into events and dropped them).
//
// Rules (checked by MemoryAccount::charge):
//  - a connection never holds more than its limit (`connection_memory_limit`);
//  - the pool (`memory_limit`) bounds the sum over all connections of the input;
//  - below its floor (4 MiB) a connection may use the whole pool; above it, only while a quarter of
//    the pool stays free. Connections with ordinary windows (Filebeat: 2048 events of ~1 KB) thus
//    still get memory while a few hostile connections have grown to their limit.
// A refused charge changes nothing; the caller decides whether to wait (windows of the connection
// are in flight and will give memory back) or to give up (close the connection).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sluice::beats {

class MemoryPool {
 public:
  // `reserve`: the part of `limit` that only charges staying within a connection's floor may use.
  MemoryPool(uint64_t limit, uint64_t reserve) : limit_(limit), reserve_(reserve < limit ? reserve : limit) {}
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  bool take(uint64_t n, bool above_floor);
  void give(uint64_t n) { used_.fetch_sub(n, std::memory_order_acq_rel); }

  uint64_t used() const { return used_.load(std::memory_order_acquire); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }
  uint64_t reserve() const { return reserve_; }

 private:
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> peak_{0};
  const uint64_t limit_;
  const uint64_t reserve_;
};

enum class MemoryRefusal : uint8_t {
  None,
  Connection,  // the connection would hold more than its own limit
  Pool,        // the input's pool has no room left for it
};

class MemoryAccount {
 public:
  // `pool` may be null: only the connection's own limit applies.
  MemoryAccount(std::shared_ptr<MemoryPool> pool, uint64_t limit, uint64_t floor)
      : pool_(std::move(pool)), limit_(limit), floor_(floor) {}
  MemoryAccount(const MemoryAccount&) = delete;
  MemoryAccount& operator=(const MemoryAccount&) = delete;

  // Takes n bytes from the account (and the pool). False when refused: nothing was taken and
  // refusal() says which limit refused it.
  bool charge(uint64_t n);
  // Gives back bytes taken by charge(). Any thread.
  void release(uint64_t n);

  uint64_t used() const { return used_.load(std::memory_order_acquire); }
  uint64_t limit() const { return limit_; }
  uint64_t floor() const { return floor_; }
  const std::shared_ptr<MemoryPool>& pool() const { return pool_; }
  MemoryRefusal refusal() const { return refusal_.load(std::memory_order_relaxed); }
  uint64_t refused_bytes() const { return refused_bytes_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<MemoryPool> pool_;
  const uint64_t limit_;
  const uint64_t floor_;
  std::atomic<uint64_t> used_{0};
  std::atomic<MemoryRefusal> refusal_{MemoryRefusal::None};
  std::atomic<uint64_t> refused_bytes_{0};
};

// Bytes charged to an account for as long as this object lives.
class MemoryCharge {
 public:
  explicit MemoryCharge(std::shared_ptr<MemoryAccount> account) : account_(std::move(account)) {}
  ~MemoryCharge() {
    if (account_ && bytes_ > 0) account_->release(bytes_);
  }
  MemoryCharge(const MemoryCharge&) = delete;
  MemoryCharge& operator=(const MemoryCharge&) = delete;
  // Charges n more bytes; false (nothing changed) when the account refuses.
  bool grow(uint64_t n) {
    if (account_ && !account_->charge(n)) return false;
    bytes_ += n;
    return true;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  std::shared_ptr<MemoryAccount> account_;
  uint64_t bytes_ = 0;
};

// A fixed-capacity block of bytes, charged to an account for as long as it lives. The decoder
// writes into it; windows read the bytes through shared_ptr<const Chunk> and keep the block (and
// its charge) alive until they are destroyed.
class Chunk {
 public:
  // Null when the account refuses the charge. `account` may be null (nothing is charged).
  static std::shared_ptr<Chunk> make(size_t capacity, const std::shared_ptr<MemoryAccount>& account);
  ~Chunk() {
    if (account_) account_->release(capacity_);
  }
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  char* data() { return bytes_.get(); }
  const char* data() const { return bytes_.get(); }
  size_t capacity() const { return capacity_; }

 private:
  Chunk(size_t capacity, std::shared_ptr<MemoryAccount> account)
      : bytes_(new char[capacity]), capacity_(capacity), account_(std::move(account)) {}
  std::unique_ptr<char[]> bytes_;
  size_t capacity_;
  std::shared_ptr<MemoryAccount> account_;
};

// "64 MiB", "512 KiB", "100 bytes": for log lines.
std::string format_bytes(uint64_t n);

}  // namespace sluice::beats
