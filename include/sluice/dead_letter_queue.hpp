// The dead letter queue as plugins see it (Logstash's DeadLetterQueueWriter in the execution
// context): where an output puts an event it will never deliver (Elasticsearch answered 400 or 404
// for it), with the reason, so that it can be fixed and reindexed later with the
// `dead_letter_queue` input. The pipeline hands one writer to every plugin through
// PluginConfig::dead_letter_queue when `dead_letter_queue.enable` is true (nullptr otherwise).
#pragma once

#include "sluice/event.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

struct DeadLetterQueueStats {
  uint64_t queue_size_in_bytes = 0;
  uint64_t max_queue_size_in_bytes = 0;
  uint64_t dropped_events = 0;  // refused by storage_policy drop_newer, or lost to a write error
  uint64_t expired_events = 0;  // removed by drop_older or retain.age
  std::string storage_policy = "drop_newer";
  std::string last_error;  // the last write failure or drop reason ("" if none)
};

class DeadLetterQueueWriter {
 public:
  virtual ~DeadLetterQueueWriter() = default;
  // Thread-safe; never blocks on a full queue: `dead_letter_queue.storage_policy` decides
  // (drop_newer: this entry is dropped and counted; drop_older: the oldest segments are removed).
  // Returns false when the entry was not stored (counted in stats().dropped_events, logged rate-limited).
  virtual bool write(const Event& e, std::string_view plugin_type, std::string_view plugin_id,
                     std::string_view reason) = 0;
  virtual DeadLetterQueueStats stats() const = 0;
};

}  // namespace sluice
