// A queue's numbers for the monitoring API (/_node/stats/pipelines/<id> "queue"): filled by the
// memory queue and by PersistedQueue::stats(), part of a PipelineSnapshot (api/snapshot.hpp).
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

struct QueueStats {
  std::string type = "memory";  // "memory" or "persisted"
  uint64_t events_count = 0;    // events in the queue now
  uint64_t queue_size_in_bytes = 0;
  uint64_t max_queue_size_in_bytes = 0;
  // persisted only
  uint64_t max_unread_events = 0;
  uint64_t page_capacity_in_bytes = 0;
  uint64_t free_space_in_bytes = 0;
  std::string path;
};

}  // namespace sluice
