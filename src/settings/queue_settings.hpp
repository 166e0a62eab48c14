// queue.* settings (Logstash's names), shared by the settings resolver and the pipeline runtime.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::settings {

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

}  // namespace sluice::settings
