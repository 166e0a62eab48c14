// libFuzzer target: the bytes a client sends to the monitoring API, as one or more HTTP/1.1
// requests, through what the server does with them (api::wire::serve_bytes: Beast's parser with
// the 8 KiB / 64 KiB limits, the refusals, basic auth, routing, rendering and the answers on the
// wire) against a fake node snapshot. Each input runs twice: without auth, read 4096 bytes at a
// time, and with basic auth on, read in small pieces that depend on the input's size (so the
// parser is driven through its incremental paths).
#include "api/http.hpp"
#include "sluice/log.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace {

using namespace sluice;

PipelineSnapshot pipeline(const std::string& id, uint64_t events, bool persisted) {
  PipelineSnapshot p;
  p.id = id;
  p.ephemeral_id = "eph-" + id;
  p.hash = "abc123";
  p.state = PipelineSnapshot::State::Running;
  p.workers = 2;
  p.batch_size = 125;
  p.batch_delay_ms = 50;
  p.started_ms = 1'780'000'000'000 - 60'000;
  p.events_in = p.events_filtered = p.events_out = events;
  p.duration_ms = 30'000;
  p.input_throughput = {603.123, 575.4};
  p.filter_throughput = {604.2, 575.1};
  p.output_throughput = {std::numeric_limits<double>::infinity(), 575.1};
  p.queue_backpressure = 0.214;
  p.worker_concurrency = 0.941;
  p.worker_utilization = 23.5;
  for (auto [kind, name] : {std::pair{PluginStats::Kind::Input, "beats"}, {PluginStats::Kind::Filter, "json"},
                            {PluginStats::Kind::Output, "elasticsearch"}}) {
    PluginStats s;
    s.kind = kind;
    s.id = id + "-" + name;
    s.name = name;
    s.events_in = s.events_out = events;
    p.plugins.push_back(s);
  }
  if (persisted) {
    p.queue.type = "persisted";
    p.queue.path = "/data/queue/" + id;
    p.queue.events_count = 12;
    p.dead_letter_queue_enabled = true;
    p.dead_letter_queue_path = "/data/dlq/" + id;
    p.dead_letter_queue = DeadLetterQueueStats{};
    p.reloads.failures = 1;
    p.reloads.last_failure_ms = 1'780'000'000'000;
    p.reloads.last_error = "Expected one of \"input\" at line 1";
  }
  p.graph_json =
      R"({"vertices":[{"config_name":"beats","plugin_type":"input","meta":null,"id":"b","explicit_id":false,"type":"plugin"}],"edges":[]})";
  return p;
}

NodeSnapshot fake_node() {
  NodeSnapshot n;
  n.host = n.name = "fuzz";
  n.id = "0b0f4ff6-7ea5-4b0d-a1d0-3a6bb6a9f7b8";
  n.ephemeral_id = "5ab16a4e-6b0e-4c0a-9e0b-6b2ea2a4b9d1";
  n.version = "7.17.27";
  n.http_address = "127.0.0.1:9600";
  n.status = "yellow";
  n.start_time_ms = 1'780'000'000'000 - 120'000;
  n.workers = 2;
  n.pipelines.push_back(pipeline("main", 216485, false));
  n.pipelines.push_back(pipeline("second", 87247, true));
  return n;
}

bool framed(const std::string& out) { return out.empty() || out.rfind("HTTP/1.1 ", 0) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const NodeSnapshot node = fake_node();
  static const std::string digest = api::wire::credentials_digest("logstash", "s3cUr3p4$$w0rd");
  // PUT /_node/logging may raise the level; every request would then log a line.
  log::set_level(log::Level::Fatal);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr int64_t kNow = 1'780'000'000'123;
  if (!framed(api::wire::serve_bytes(in, "", node, kNow, 4096))) __builtin_trap();
  if (!framed(api::wire::serve_bytes(in, digest, node, kNow, 1 + size % 13))) __builtin_trap();
  log::set_level(log::Level::Fatal);
  return 0;
}
