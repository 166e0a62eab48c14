// What the dead letter queue writer takes from the settings: Logstash's dead_letter_queue.* and
// path.dead_letter_queue for one pipeline. A plain struct in the DLQ's own folder, so that the DLQ
// needs nothing from src/settings/: settings::resolve() fills it (src/settings/pipeline_spec.cpp)
// and the agent hands it to open_writer().
#pragma once

#include <cstdint>
#include <string>

namespace sluice::dlq {

struct DeadLetterQueueSettings {
  bool enable = false;
  std::string path;  // path.dead_letter_queue (default <path.data>/dead_letter_queue); per-pipeline sub-dir
  uint64_t max_bytes = 1024ull << 20;
  std::string storage_policy = "drop_newer";  // drop_newer | drop_older
  int flush_interval_ms = 5000;
  std::string retain_age;  // "" or e.g. "5d"
  int flush_check_interval_ms = 1000;  // dead_letter_queue.flush_check_interval
};

}  // namespace sluice::dlq
