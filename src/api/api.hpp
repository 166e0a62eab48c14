// The monitoring API on 9600 with Logstash's endpoints and JSON shapes (reference §8):
// GET /, /_node[/pipelines|os|jvm], /_node/pipelines[/<id>][?graph=true], /_node/plugins,
// /_node/stats[/<filters>], /_node/stats/pipelines[/<id>], /_node/hot_threads, /_health_report,
// ?pretty. The server (Boost.Asio, one I/O thread) calls `snapshot` for every request; the
// renderers are pure functions of a NodeSnapshot, unit-tested without sockets.
#pragma once

#include "runtime/stats.hpp"
#include "settings/settings.hpp"

#include <functional>
#include <memory>
#include <string>

namespace sluice {
struct CompiledPipeline;
}

namespace sluice::api {

using SnapshotFn = std::function<NodeSnapshot()>;

class ApiServer {
 public:
  ApiServer(settings::ApiSettings settings, SnapshotFn snapshot);
  ~ApiServer();  // stop()
  // Binds the first free port of [port_first, port_last] on the host, starts the I/O thread and
  // logs `Successfully started Logstash API endpoint {:port=>9600, :ssl_enabled=>false}`
  // (logger logstash.agent). False + *error (what to do) when no port is free or the host does
  // not resolve.
  bool start(std::string* error);
  void stop();
  int port() const;
  std::string http_address() const;  // "127.0.0.1:9600"

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

// The process block of /_node/stats from /proc/self (CPU, memory, file descriptors, load average).
ProcessSnapshot read_process_stats();

// Logstash's graph object for /_node/pipelines/<id>?graph=true: vertices (plugins, if-conditions,
// queue) and edges, compact JSON.
std::string graph_json(const CompiledPipeline& pipeline);

}  // namespace sluice::api
