// The monitoring API on 9600 with Logstash's endpoints and JSON shapes (reference §8):
// GET /, /_node[/pipelines|os|jvm], /_node/pipelines[/<id>][?graph=true], /_node/plugins,
// /_node/stats[/<filters>], /_node/stats/pipelines[/<id>], /_node/hot_threads, /_health_report,
// ?pretty. The server (Boost.Asio, one I/O thread) calls `snapshot` for every request; the
// renderers are pure functions of a NodeSnapshot, unit-tested without sockets.
//
// Files: server.cpp (HTTP/1.1 over Asio, TLS, basic auth), routes.cpp (routing, query strings,
// errors, logging), render.cpp (node info and stats JSON), health.cpp (/_health_report),
// process_stats.cpp (/proc: process block, hot threads, system facts), graph.cpp (graph_json).
// What is served and how it differs from Logstash: src/api/README.md.
#pragma once

#include "api/snapshot.hpp"
#include "api/api_settings.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice {
struct CompiledPipeline;
}

namespace sluice::api {

using SnapshotFn = std::function<NodeSnapshot()>;

class ApiServer {
 public:
  ApiServer(ApiSettings settings, SnapshotFn snapshot);
  ~ApiServer();  // stop()
  // Binds the first free port of [port_first, port_last] on the host, starts the I/O thread and
  // logs `Successfully started Logstash API endpoint {:port=>9600, :ssl_enabled=>false}`
  // (logger logstash.agent). False + *error (what to do) when no port is free or the host does
  // not resolve.
  bool start(std::string* error);
  void stop();
  int port() const;
  std::string http_address() const;  // "127.0.0.1:9600"

  // What a client may hold or cost (src/api/README.md, "Limits"). The defaults are the production
  // values; tests shorten them. Call before start().
  struct Limits {
    int64_t idle_timeout_ms = 30'000;       // no request begun since the connection or the last answer
    int64_t request_timeout_ms = 10'000;    // from the first byte of a request to its last
    int64_t handshake_timeout_ms = 10'000;  // TLS handshake
    int64_t write_timeout_ms = 10'000;      // one answer, until the client has taken it
    size_t max_connections = 256;           // beyond: the least recently active connection is closed
    int64_t auth_failure_delay_ms = 200;    // wrong basic credentials are answered this much later
    int64_t warning_interval_ms = 60'000;   // auth failures and shed connections: one line per interval
  };
  void set_limits(const Limits& limits);
  const Limits& limits() const;
  // Shorthand for limits().idle_timeout_ms.
  void set_idle_timeout_ms(int64_t ms);

  // Counted since start(); readable from any thread.
  struct Counters {
    uint64_t auth_failures = 0;     // requests with wrong basic credentials
    uint64_t connections_shed = 0;  // closed because of max_connections (old ones closed, new ones refused)
    size_t connections_open = 0;
  };
  Counters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Routes one request: `method` GET/PUT/..., `target` the path with its query string.
Response handle(const std::string& method, const std::string& target, const NodeSnapshot& node);

// The same with the request body (PUT /_node/logging) and the wall clock in epoch milliseconds
// (uptimes, lifetime flow rates, timestamps), for deterministic tests.
Response handle(const std::string& method, const std::string& target, const std::string& body,
                const NodeSnapshot& node, int64_t now_ms);

// GET /?wait_for_status=<green|yellow|red>&timeout=<5s>: the wait the server performs before it
// answers (polling the snapshot), or nullopt when the request asks for none or its parameters are
// invalid (handle() then answers 400).
struct StatusWait {
  std::string status;  // green | yellow | red
  int64_t timeout_ms = 0;
};
std::optional<StatusWait> status_wait(const std::string& method, const std::string& target);
// The node's status as the API reports it (metadata `status`, wait_for_status): the worse of the
// agent's NodeSnapshot::status and the status of the health report's pipeline probes.
std::string node_status(const NodeSnapshot& node);
// Whether `current` is as good as `wanted` (green < yellow < red; unknown satisfies nothing).
bool status_satisfies(const std::string& current, const std::string& wanted);

// The process block of /_node/stats from /proc/self (CPU, memory, file descriptors, load average).
ProcessSnapshot read_process_stats();

// Facts about the host that do not change while the process runs (the `os` block of /_node and
// the denominators of the `jvm` block), read once.
struct SystemInfo {
  std::string os_name;     // uname sysname: "Linux"
  std::string os_arch;     // uname machine, as Java names it: "amd64", "aarch64"
  std::string os_version;  // uname release
  int available_processors = 1;
  uint64_t memory_total_bytes = 0;  // the cgroup memory limit when lower than MemTotal
};
const SystemInfo& system_info();

// One thread of this process for /_node/hot_threads, from /proc/self/task/<tid>.
struct ThreadSample {
  int64_t tid = 0;
  std::string name;   // comm: the name the thread gave itself
  std::string state;  // Java's words: runnable, waiting, blocked, terminated
  uint64_t cpu_ms = 0;
};
std::vector<ThreadSample> read_threads();

// Logstash's graph object for /_node/pipelines/<id>?graph=true: vertices (plugins, if-conditions,
// queue) and edges, compact JSON.
std::string graph_json(const CompiledPipeline& pipeline);

}  // namespace sluice::api
