// Hosts of the elasticsearch output: URL parsing, server detection from `GET /`, selection of a
// live host (least in use, round-robin among equals), dead-host marking, pooled keep-alive
// connections.
#pragma once

#include "net/http_client.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::es {

struct HostUrl {
  std::string scheme = "http";
  std::string host = "127.0.0.1";  // IPv6 without brackets
  int port = 9200;
  std::string path;  // "" or "/prefix" (no trailing slash)
  std::string user, password;  // from `user:pass@`, percent-decoded

  // "http://127.0.0.1:9200" + path; never a trailing slash.
  std::string base() const;
  // The same without credentials, for logs.
  std::string display() const { return base(); }
};

// Parses a Logstash `hosts` entry: `127.0.0.1`, `//127.0.0.1`, `es:9201`, `https://u:p@es/prefix`,
// `[::1]:9200`. The scheme defaults to https when `ssl` is true. Returns nullopt with *error set for
// garbage.
std::optional<HostUrl> parse_host(std::string_view s, bool ssl, std::string* error);

enum class Distribution : uint8_t { Elasticsearch, OpenSearch };

struct ServerInfo {
  Distribution distribution = Distribution::Elasticsearch;
  std::string number;  // "7.17.29"
  int major = 0;
  int minor = 0;
  std::string build_flavor;  // "default", "oss" or empty
  std::string cluster_uuid;
  std::string describe() const;  // "Elasticsearch 7.17.29"
};

// Reads `GET /`. Returns nullopt (with *error) when the body is not an Elasticsearch or OpenSearch
// root response.
std::optional<ServerInfo> parse_server_info(std::string_view body, std::string* error);

// Host choice: the least-in-use live host; ties go round-robin from `cursor`. -1 if none is live.
struct HostView {
  bool alive = false;
  int in_use = 0;
};
int choose_host(const std::vector<HostView>& hosts, std::size_t cursor);

class HostPool {
 public:
  HostPool(std::vector<HostUrl> urls, net::TlsOptions tls);

  std::size_t size() const { return hosts_.size(); }
  const HostUrl& url(std::size_t i) const { return hosts_[i]->url; }
  bool alive(std::size_t i) const { return hosts_[i]->alive.load(); }
  std::size_t alive_count() const;

  // A host with a connection, released back to the pool on destruction.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept { *this = std::move(o); }
    Lease& operator=(Lease&& o) noexcept;
    ~Lease();
    explicit operator bool() const { return pool_ != nullptr; }
    std::size_t host() const { return host_; }
    net::HttpConnection& connection() { return *conn_; }

   private:
    friend class HostPool;
    HostPool* pool_ = nullptr;
    std::size_t host_ = 0;
    std::unique_ptr<net::HttpConnection> conn_;
  };

  // A live host, or an empty Lease when none is live.
  Lease acquire();
  // A specific host regardless of its state (health checks).
  Lease acquire_host(std::size_t i);

  // Connection-level failure: the host is not used until a health check revives it. Returns
  // whether the host was alive before.
  bool mark_dead(std::size_t i);
  void mark_alive(std::size_t i, ServerInfo info);
  std::optional<ServerInfo> info(std::size_t i) const;

  // Blocks until a host is alive, `timeout` passes, or wake() is called.
  void wait_for_alive(std::chrono::milliseconds timeout);
  void wake();

 private:
  struct Host {
    HostUrl url;
    std::atomic<bool> alive{false};
    std::atomic<int> in_use{0};
    std::mutex mu;  // idle, info
    std::vector<std::unique_ptr<net::HttpConnection>> idle;
    std::optional<ServerInfo> info;
  };
  void release(std::size_t i, std::unique_ptr<net::HttpConnection> conn);

  std::vector<std::unique_ptr<Host>> hosts_;
  net::TlsOptions tls_;
  std::atomic<std::size_t> cursor_{0};
  std::mutex state_mu_;
  std::condition_variable state_cv_;
  uint64_t wake_seq_ = 0;
};

}  // namespace sluice::es
