// Point-in-time snapshots of the running node, taken by the agent and read by the monitoring API
// and the shutdown report. Plain values only: a snapshot is copied out under the agent's lock and
// rendered without touching live pipelines. They live with the API, their main reader, so that the
// API needs nothing from src/runtime/ (the runtime fills them).
#pragma once

#include "queue/queue_stats.hpp"
#include "sluice/dead_letter_queue.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct PluginStats {
  enum class Kind { Input, Codec, Filter, Output };
  Kind kind = Kind::Filter;
  std::string id;    // `json_1` or the explicit `id =>`
  std::string name;  // `json`, `mutate`, `beats`
  uint64_t events_in = 0;   // filters/outputs; inputs: 0
  uint64_t events_out = 0;
  uint64_t duration_ms = 0;  // time spent in the plugin (filters/outputs)
  uint64_t queue_push_duration_ms = 0;  // inputs: time blocked pushing
};

struct ReloadStats {
  uint64_t successes = 0;
  uint64_t failures = 0;
  std::optional<int64_t> last_success_ms;  // epoch milliseconds
  std::optional<int64_t> last_failure_ms;
  std::optional<std::string> last_error;   // the message of the last failed reload
};

// Throughput over the pipeline's lifetime and over the last sampling window (events/s), as
// Logstash's flow metrics (current, lifetime).
struct FlowRate {
  double current = 0;
  double lifetime = 0;
};

struct PipelineSnapshot {
  std::string id;
  std::string ephemeral_id;   // a new UUID per (re)start
  std::string hash;           // SHA-256 hex of the config text + pipeline settings
  enum class State { Loading, Running, Finished, Terminated } state = State::Loading;
  int workers = 0;
  int batch_size = 0;
  int batch_delay_ms = 0;
  bool dead_letter_queue_enabled = false;
  std::string dead_letter_queue_path;
  std::optional<DeadLetterQueueStats> dead_letter_queue;  // when a writer is open
  bool reloadable = true;
  std::vector<std::string> sources;
  int64_t started_ms = 0;  // epoch milliseconds of the last (re)start

  uint64_t events_in = 0;        // pushed into the queue by inputs
  uint64_t events_filtered = 0;  // taken from the queue by workers
  uint64_t events_out = 0;       // handed to outputs
  uint64_t duration_ms = 0;      // worker time in filters + outputs
  uint64_t queue_push_duration_ms = 0;
  FlowRate input_throughput, filter_throughput, output_throughput;
  double queue_backpressure = 0;  // share of time inputs were blocked (current)
  double worker_concurrency = 0;  // busy workers on average (current)
  double worker_utilization = 0;  // percent (current)

  std::vector<PluginStats> plugins;  // inputs, codecs, filters, outputs in config order
  QueueStats queue;
  ReloadStats reloads;
  bool config_reload_automatic = false;       // config.reload.automatic
  int64_t config_reload_interval_ms = 3000;  // config.reload.interval
  std::string graph_json;  // Logstash's `graph` object ({"vertices":[...],"edges":[...]}), compact JSON
};

struct ProcessSnapshot {
  int64_t pid = 0;
  int64_t start_time_ms = 0;
  uint64_t open_file_descriptors = 0;
  uint64_t peak_open_file_descriptors = 0;
  uint64_t max_file_descriptors = 0;
  uint64_t total_virtual_bytes = 0;
  uint64_t resident_bytes = 0;
  uint64_t peak_resident_bytes = 0;
  uint64_t cpu_total_ms = 0;
  int cpu_percent = 0;
  double load_average[3] = {0, 0, 0};
  int thread_count = 0;
  int peak_thread_count = 0;
};

struct NodeSnapshot {
  std::string host;          // hostname
  std::string name;          // node.name
  std::string id;            // persistent UUID (<path.data>/uuid)
  std::string ephemeral_id;  // per process
  std::string version;       // Logstash version reported for compatibility (see api/README)
  std::string http_address;  // "127.0.0.1:9600"
  std::string status = "green";  // green | yellow | red
  int64_t start_time_ms = 0;
  // Process-wide defaults (Logstash's `pipeline` block of the metadata)
  int workers = 0;
  int batch_size = 125;
  int batch_delay_ms = 50;
  uint64_t reload_successes = 0;  // all pipelines
  uint64_t reload_failures = 0;
  std::vector<PipelineSnapshot> pipelines;  // sorted by id
  ProcessSnapshot process;
};

}  // namespace sluice
