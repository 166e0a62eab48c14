// The elasticsearch output: bulk indexing into Elasticsearch 6-8 and OpenSearch 1-3 with Logstash
// 7.17's semantics (see docs/compatibility.md for the differences).
//
// receive() is called by several pipeline workers at once. Each call builds one bulk body in a
// per-worker buffer, sends it (split at 20 MiB) over a pooled keep-alive connection, and returns
// only when every event was indexed, or rejected by Elasticsearch for good (400/404, 409). Failed
// requests (connection errors, non-200 statuses, malformed responses) and failed items (429, 5xx,
// 403...) are retried forever with exponential backoff: a slow or absent cluster blocks the worker,
// which is the backpressure.
#pragma once

#include "plugins/outputs/elasticsearch/bulk.hpp"
#include "plugins/outputs/elasticsearch/options.hpp"
#include "plugins/outputs/elasticsearch/pool.hpp"
#include "sluice/log.hpp"
#include "sluice/plugin.hpp"
#include "sluice/sprintf.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sluice::es {

// Counters for the monitoring API. Monotonic; read with relaxed loads.
struct OutputCounters {
  std::atomic<uint64_t> bulk_requests{0};         // _bulk requests sent (every attempt)
  std::atomic<uint64_t> bulk_successes{0};        // answered 200 with every item successful
  std::atomic<uint64_t> bulk_with_errors{0};      // answered 200 with some failed item
  std::atomic<uint64_t> bulk_failures{0};         // connection error, non-200, unparseable response
  std::atomic<uint64_t> documents_successes{0};   // items indexed (200/201)
  std::atomic<uint64_t> documents_retried{0};     // items resubmitted after a retryable item status
  std::atomic<uint64_t> documents_rejected{0};    // 400/404 items, and events with an invalid action
  std::atomic<uint64_t> documents_conflicts{0};   // 409 items
  std::atomic<uint64_t> request_retries{0};       // whole-request retries
};

struct OutputConfig {
  std::vector<HostUrl> hosts;
  std::string index = "logstash-%{+yyyy.MM.dd}";  // sprintf template text
  std::string action = "index";        // sprintf template text
  std::optional<std::string> document_id, routing, pipeline, document_type, version, version_type;
  bool doc_as_upsert = false;
  std::string upsert;                  // sprintf'd JSON text; empty: none
  int retry_on_conflict = 1;
  std::string user, password;          // Basic auth (pre-emptive)
  std::string api_key;                 // "id:key"
  std::vector<std::pair<std::string, std::string>> custom_headers;
  std::vector<std::pair<std::string, std::string>> parameters;  // query string on every request
  net::TlsOptions tls;
  double timeout_s = 60;
  double retry_initial_s = 2;
  double retry_max_s = 64;
  double resurrect_delay_s = 5;
  int compression_level = 0;           // 0: no request compression
  std::string healthcheck_path = "/";  // relative to each host's path
  std::string bulk_path = "/_bulk";
  bool manage_template = true;
  std::string template_path;           // the user's template file; empty: the default template
  std::string template_name = "logstash";  // parse_config: by ecs_compatibility
  bool template_overwrite = false;
  std::string template_api = "auto";
  std::string ilm_enabled = "auto";    // auto / true / false
  std::string ecs_compatibility = "disabled";
  std::vector<std::string> silence_errors;  // error types not logged
  // Item statuses sent to the dead letter queue besides 400 and 404 (dlq_custom_codes).
  std::vector<int> dlq_custom_codes;
  // The pipeline's dead letter queue (PluginConfig::dead_letter_queue): 400/404 rejections (and
  // dlq_custom_codes) go there with Logstash's reason text; without one they are logged and dropped.
  std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue;
};

// Checks the options and derives the output's configuration (`cfg` gives the pipeline's dead letter
// queue, pipeline id and plugin id); throws PluginConfigError naming the option.
OutputConfig parse_config(const OutputOptions& options, const PluginConfig& cfg);
// The same from a validated PluginConfig: output_options() fills the OutputOptions.
OutputConfig parse_config(const PluginConfig& cfg);

class ElasticsearchOutput final : public Output {
 public:
  explicit ElasticsearchOutput(OutputConfig cfg, std::string pipeline_id = "main");
  ~ElasticsearchOutput() override;

  void start() override;
  void close() override;
  void receive(std::span<Event* const> events, DeliveryReport& report) override;

  const OutputCounters& counters() const { return counters_; }
  // The server found at start-up (or later, once one was reachable).
  std::optional<ServerInfo> server() const;

 private:
  struct Scratch;
  void health_loop();
  void check_hosts(bool log_failures);
  bool bootstrap();  // template; true once done
  void wait_ready();
  // On success *response_body holds the bulk response (read again for the items sent to the dead
  // letter queue).
  bool send_bulk(std::string_view body, std::size_t count, std::vector<ItemResult>& items,
                 std::string* response_body);
  void request_headers(std::vector<std::string>& out, bool json_body) const;
  std::string url_for(const HostUrl& h, std::string_view path) const;
  // An item Elasticsearch refused for good: counted, logged unless the pipeline has a dead letter
  // queue (the runtime writes it there), and returned as the rejection reason: Logstash's DLQ
  // reason text. `response` is the item's object in the bulk response as Ruby prints it ("" when
  // there is none).
  std::string reject(const Event& e, const ActionParams& p, const ItemResult& r, const std::string& response);
  bool to_dead_letter_queue(int status) const;
  void sleep_for(double seconds);
  void logw(log::Level level, const std::string& msg) const;

  OutputConfig cfg_;
  std::string pipeline_id_;
  std::unique_ptr<HostPool> pool_;
  Template index_tpl_, action_tpl_, id_tpl_, routing_tpl_, pipeline_tpl_, upsert_tpl_, version_tpl_,
      version_type_tpl_;
  std::optional<ActionKind> constant_action_;
  std::string template_body_;  // the user's template file, read at start

  std::atomic<bool> ready_{false};
  std::atomic<bool> closing_{false};
  std::mutex ready_mu_;
  std::condition_variable ready_cv_;
  std::thread health_thread_;
  mutable std::mutex server_mu_;
  std::optional<ServerInfo> server_;
  std::optional<std::string> type_for_server_;  // `_type` to write, per the server's version

  OutputCounters counters_;
};

}  // namespace sluice::es
