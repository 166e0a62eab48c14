// What the persisted queue takes from the settings: Logstash's queue.* settings for one pipeline.
// A plain struct in the queue's own folder, so that the queue needs nothing from src/settings/:
// settings::resolve() fills it (src/settings/pipeline_spec.cpp) and the agent hands it on.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::pq {

struct QueueSettings {
  std::string type = "memory";  // memory | persisted
  std::string path;             // this pipeline's directory: <path.queue>/<id> (path.queue defaults to <path.data>/queue)
  uint64_t max_bytes = 1024ull << 20;
  uint64_t page_capacity = 64ull << 20;
  uint64_t max_events = 0;  // 0: unlimited
  int checkpoint_writes = 1024;
  int checkpoint_acks = 1024;
  int checkpoint_interval_ms = 1000;
  bool checkpoint_retry = true;
  bool drain = false;
  std::string compression = "none";
};

}  // namespace sluice::pq

namespace sluice::settings {
// The name the struct had when it lived in src/settings/; code outside the queue still uses it.
using QueueSettings = pq::QueueSettings;
}  // namespace sluice::settings
