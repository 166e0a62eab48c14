// The Lumberjack server of the beats input: accepts connections (TCP or TLS), decodes windows,
// hands them to executor threads that build events and push them into the pipeline queue, and
// writes one ACK per window once all its events were accepted. See server.cpp for the threading,
// acknowledgement, memory and connection-limit model. Asio stays inside server.cpp (compile time).
#pragma once

#include "plugins/inputs/beats/decoder.hpp"
#include "plugins/inputs/beats/tls.hpp"
#include "plugins/inputs/beats/transform.hpp"
#include "sluice/plugin.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sluice::beats {

struct ServerSettings {
  std::string host = "0.0.0.0";
  int port = 5044;  // 0: an ephemeral port (logged)
  DecoderLimits limits;
  std::chrono::milliseconds client_inactivity_timeout{60'000};
  std::chrono::milliseconds keepalive_interval{5'000};  // Logstash: writer idle for 5 s -> A(0)
  std::chrono::milliseconds handshake_timeout{10'000};
  int executor_threads = 1;
  // Complete windows of one connection waiting for (or in) the executor before the connection
  // stops reading its socket (TCP backpressure).
  int max_pending_windows = 2;
  // Memory budget (memory.hpp): the pool shared by the input's connections (a quarter of it kept
  // for connections under their floor), one connection's limit, and its floor.
  uint64_t memory_limit = 128ull << 20;
  uint64_t connection_memory_limit = 48ull << 20;
  uint64_t connection_memory_floor = 4ull << 20;
  // Connections at once. At the limit, the connection that has gone longest without completing a
  // window (and has none in flight) is closed to make room; if every one has windows in flight,
  // the new connection is closed instead.
  size_t max_connections = 10000;
  // After an accept error (out of file descriptors...), wait this long before accepting again.
  std::chrono::milliseconds accept_backoff{100};
  std::string plugin_id;
  std::string pipeline_id = "main";
};

class Server {
 public:
  // `ssl`: null for plain TCP. `codec_factory`: one codec per connection (may be null when the
  // transform takes the plain fast path).
  Server(ServerSettings settings, TransformSettings transform, std::function<std::unique_ptr<Codec>()> codec_factory,
         SslCtxPtr ssl);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; logs "Starting server on port: N". Throws std::runtime_error.
  void bind();
  uint16_t port() const;
  // Serves until stop(); runs the I/O loop on the calling thread. Events go to `ctx`.
  void run(InputContext& ctx);
  // Any thread: closes the listener and every connection; run() returns once the executors have
  // finished the window they are pushing (a window not fully pushed is not acknowledged).
  void stop();

  struct Stats {
    uint64_t connections_accepted = 0;
    uint64_t windows_acked = 0;
    uint64_t events_pushed = 0;
    uint64_t keepalives_sent = 0;
    uint64_t protocol_errors = 0;
    uint64_t memory_closes = 0;         // connections closed because the memory budget refused them
    uint64_t memory_evictions = 0;      // closed to give their memory to a connection under its floor
    uint64_t connections_evicted = 0;   // closed to make room under max_connections
    uint64_t connections_refused = 0;   // new connections closed at once under max_connections
    uint64_t accept_errors = 0;
    uint64_t connections = 0;           // open now
    uint64_t memory_used = 0;           // bytes charged to the pool now (connections and their windows)
    uint64_t memory_peak = 0;
  };
  Stats stats() const;

  struct Impl;  // defined in server.cpp (connections reach it)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::beats
