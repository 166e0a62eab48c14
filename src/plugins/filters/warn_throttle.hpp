// Per-event warning throttle for filters: at most one line per interval per call site, checked
// lock-free before the message is built, so a stream of failing events (the seed pipeline's plain
// lines through the json filter) costs one clock read per event, not a formatted string.
#pragma once

#include "sluice/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::plugins {

class WarnThrottle {
 public:
  explicit WarnThrottle(int64_t interval_ms = 10'000) : interval_ms_(interval_ms) {}

  // True when a warning may be printed now; the caller then builds the message and calls emit().
  bool should_warn() {
    if (!log::enabled(log::Level::Warn)) return false;
    const int64_t now = now_ms();
    int64_t next = next_ms_.load(std::memory_order_relaxed);
    if (now >= next && next_ms_.compare_exchange_strong(next, now + interval_ms_, std::memory_order_relaxed)) {
      return true;
    }
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  void emit(std::string_view component, std::string message, std::string_view pipeline_id,
            std::string_view plugin_id) {
    const uint64_t n = suppressed_.exchange(0, std::memory_order_relaxed);
    if (n > 0) message += " (" + std::to_string(n) + " similar warnings suppressed)";
    log::write(log::Level::Warn, component, message, pipeline_id, plugin_id);
  }

 private:
  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t interval_ms_;
  std::atomic<int64_t> next_ms_{0};
  std::atomic<uint64_t> suppressed_{0};
};

// Logstash prints the raw source in its warnings; keep it to a readable prefix.
inline std::string truncate_for_log(std::string_view s, std::size_t max = 256) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return std::string(s.substr(0, cut)) + "...(" + std::to_string(s.size()) + " bytes)";
}

}  // namespace sluice::plugins
