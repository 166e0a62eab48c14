// The API's HTTP/1.1 server: one Asio I/O thread accepts, reads, answers and times out every
// connection. Parsing, limits, basic auth, routing and the answers on the wire are http.cpp's
// (Boost.Beast), shared with the socket-free wire::serve_bytes() that the fuzz target drives;
// routes.cpp renders the answers from a fresh snapshot per request.
//
// - Port: the first free one of [port_first, port_last] on api.http.host, as Logstash's
//   WebServer#bind_to_available_port; the success is logged with Logstash's line.
// - Requests: keep-alive (HTTP/1.1 by default, HTTP/1.0 on request), pipelined requests are
//   answered in order. Request line and headers at most 8 KiB (400 and close), bodies at most
//   64 KiB (413 and close, from Content-Length, before any of the body is read), chunked bodies
//   refused (400).
// - Time limits (ApiServer::Limits, defaults in parentheses): a connection that begins no request
//   is closed after the idle timeout (30 s); once its first byte is in, a request must be complete
//   within the request timeout (10 s), so a request trickled byte by byte is closed; a TLS
//   handshake must finish within 10 s; an answer must be taken by the client within 10 s. After
//   an answer that closes, the server stops sending and discards what the client still sends (at
//   most 2 s and 256 KiB), so the answer is not lost to a reset.
// - At most 256 connections: the next one closes the least recently active connection (accepted,
//   request complete or answer written longest ago); a rate-limited warning counts them.
//   An idle plain connection holds no read buffer (it waits for one byte); buffers are released
//   after every answer.
// - GET /?wait_for_status=..&timeout=.. polls the snapshot (200 ms, doubling) until the status is
//   reached or the timeout (at most 24 h) passes, without blocking other connections.
// - Basic auth (api.auth.type: basic): Rack::Auth::Basic's answers (401 with
//   `WWW-Authenticate: Basic realm="logstash-api"`, 400 for another scheme); credentials are
//   compared as SHA-256 digests with CRYPTO_memcmp, so the time taken does not depend on them.
//   Wrong credentials are answered after a delay (200 ms, an Asio timer: the I/O thread goes on
//   serving) and counted; one warning with the count per minute.
// - TLS (api.ssl.enabled): the key and certificate chain of a PKCS#12 keystore; a JKS keystore
//   is refused at start with what to do. The keystore password never appears in a message.
// - The I/O thread ("Api Webserver") runs 10 nice levels below the thread that starts it, so a
//   flood of API requests takes CPU from nothing the pipelines need. No exception escapes a
//   handler: the connection at fault is closed.
#include "api/api.hpp"
#include "api/http.hpp"
#include "sluice/log.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <list>
#include <sstream>
#include <thread>

namespace sluice::api {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
namespace http = wire::http;

namespace {

constexpr const char* kAgentLogger = "logstash.agent";
constexpr int64_t kLingerMs = 2'000;                    // after an answer that closes
constexpr size_t kLingerBytes = 256 * 1024;             // discarded at most meanwhile
constexpr size_t kLingerChunk = 4096;
constexpr int64_t kAcceptRetryMs = 100;                 // after a failed accept (EMFILE...)
constexpr int64_t kMaxStatusWaitMs = 24LL * 3600 * 1000;  // wait_for_status timeouts are capped
constexpr int64_t kFirstPollMs = 200;

void cancel(asio::steady_timer& timer) noexcept {
  try {
    timer.cancel();
  } catch (...) {
  }
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- TLS ----------------------------------------------------------------------------------------

std::string openssl_reason() {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  const char* r = last ? ERR_reason_error_string(last) : nullptr;
  return r ? r : "unknown error";
}

struct P12Contents {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;
  ~P12Contents() {
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
  }
};

bool parse_p12(const std::string& data, const std::string& password, P12Contents* out) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data());
  PKCS12* p12 = d2i_PKCS12(nullptr, &p, static_cast<long>(data.size()));
  if (!p12) return false;
  const bool ok = PKCS12_parse(p12, password.c_str(), &out->key, &out->cert, &out->chain) == 1;
  PKCS12_free(p12);
  return ok;
}

// Loads the keystore into `ctx`; false + *error (naming the setting and what to do).
bool configure_tls(asio::ssl::context& ctx, const settings::ApiSettings& s, std::string* error) {
  std::ifstream in(s.ssl_keystore_path, std::ios::binary);
  if (!in) {
    *error = "api.ssl.keystore.path: cannot read '" + s.ssl_keystore_path + "': " + std::strerror(errno) +
             ". Point it at a readable PKCS#12 keystore.";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  if (data.size() >= 4 && static_cast<unsigned char>(data[0]) == 0xFE && static_cast<unsigned char>(data[1]) == 0xED &&
      static_cast<unsigned char>(data[2]) == 0xFE && static_cast<unsigned char>(data[3]) == 0xED) {
    *error = "api.ssl.keystore.path: '" + s.ssl_keystore_path +
             "' is a JKS keystore; Sluice reads PKCS#12 keystores only. Convert it with `keytool -importkeystore "
             "-srckeystore <file.jks> -destkeystore <file.p12> -deststoretype PKCS12` and point "
             "api.ssl.keystore.path at the .p12 file.";
    return false;
  }
  ERR_clear_error();
  P12Contents p12;
  bool ok = parse_p12(data, s.ssl_keystore_password, &p12);
  if (!ok) {
    // Keystores written with older tools use RC2/3DES, which OpenSSL 3 keeps in its legacy provider.
    static OSSL_PROVIDER* legacy = OSSL_PROVIDER_try_load(nullptr, "legacy", 1);
    if (legacy) {
      ERR_clear_error();
      P12Contents retry;
      ok = parse_p12(data, s.ssl_keystore_password, &retry);
      std::swap(p12.key, retry.key);
      std::swap(p12.cert, retry.cert);
      std::swap(p12.chain, retry.chain);
    }
  }
  if (!ok) {
    *error = "api.ssl.keystore.path: cannot open the PKCS#12 keystore '" + s.ssl_keystore_path + "' (" +
             openssl_reason() + "). Check api.ssl.keystore.password and that the file is a .p12/.pfx keystore.";
    return false;
  }
  if (!p12.key || !p12.cert) {
    *error = "api.ssl.keystore.path: the keystore '" + s.ssl_keystore_path +
             "' must hold a private key and its certificate; it holds " +
             (p12.key ? "no certificate" : "no private key") + ".";
    return false;
  }
  SSL_CTX* c = ctx.native_handle();
  // OpenSSL's record buffers are freed while a connection is idle.
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate(c, p12.cert) != 1 || SSL_CTX_use_PrivateKey(c, p12.key) != 1 ||
      SSL_CTX_check_private_key(c) != 1) {
    *error = "api.ssl.keystore.path: the key and certificate of '" + s.ssl_keystore_path +
             "' cannot be used (" + openssl_reason() + ").";
    return false;
  }
  for (int i = 0; p12.chain && i < sk_X509_num(p12.chain); ++i) {
    SSL_CTX_add1_chain_cert(c, sk_X509_value(p12.chain, i));
  }
  int lo = TLS1_2_VERSION, hi = TLS1_3_VERSION;
  if (!s.ssl_supported_protocols.empty()) {
    lo = TLS1_3_VERSION + 1;
    hi = 0;
    for (const std::string& p : s.ssl_supported_protocols) {
      const int v = p == "TLSv1.3" ? TLS1_3_VERSION : p == "TLSv1.2" ? TLS1_2_VERSION : p == "TLSv1.1" ? TLS1_1_VERSION : 0;
      if (v == 0) {
        *error = "api.ssl.supported_protocols: unknown protocol '" + p + "'; use TLSv1.2 and/or TLSv1.3.";
        return false;
      }
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  SSL_CTX_set_min_proto_version(c, lo);
  SSL_CTX_set_max_proto_version(c, hi);
  return true;
}


// Ten nice levels below the calling thread (at most 19): an unprivileged process may lower a
// thread's priority. Linux applies PRIO_PROCESS with a thread id to that thread alone. Nothing is
// logged when it fails.
void lower_thread_priority() {
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) return;
  (void)setpriority(PRIO_PROCESS, tid, std::min(19, current + 10));
}

// A warning for what can happen thousands of times: the first occurrence is logged at once, the
// later ones are counted and logged as one line per interval with their count. I/O thread only.
class CountedWarning {
 public:
  // message(count, interval_ms): interval_ms is 0 for the line of the first occurrence.
  using Message = std::function<std::string(uint64_t count, int64_t interval_ms)>;
  CountedWarning(asio::io_context& io, Message message) : timer_(io), message_(std::move(message)) {}

  void set_interval(int64_t ms) { interval_ms_ = std::max<int64_t>(1, ms); }

  void hit() {
    if (open_) {
      ++pending_;
      return;
    }
    open_ = true;
    log::warn(kAgentLogger, message_(1, 0));
    arm();
  }

  // At stop: the count not yet logged.
  void flush() {
    if (pending_ > 0) log::warn(kAgentLogger, message_(pending_, interval_ms_));
    pending_ = 0;
    open_ = false;
    cancel(timer_);
  }

 private:
  void arm() {
    timer_.expires_after(std::chrono::milliseconds(interval_ms_));
    timer_.async_wait([this](const error_code& ec) {
      if (ec || !open_) return;
      if (pending_ == 0) {
        open_ = false;
        return;
      }
      const uint64_t n = pending_;
      pending_ = 0;
      arm();
      log::warn(kAgentLogger, message_(n, interval_ms_));
    });
  }

  asio::steady_timer timer_;
  Message message_;
  int64_t interval_ms_ = 60'000;
  uint64_t pending_ = 0;
  bool open_ = false;
};

}  // namespace

// ---- the server ---------------------------------------------------------------------------------

class ConnectionBase;
using ConnectionList = std::list<std::shared_ptr<ConnectionBase>>;

// The server's state; the connections hold a reference to it (ApiServer::Impl is this).
struct ServerCore {
  settings::ApiSettings settings;
  SnapshotFn snapshot;
  ApiServer::Limits limits;
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::ssl::context> tls;
  std::thread thread;
  asio::steady_timer accept_retry{io};
  // I/O thread only, least recently active first (accepted, request complete, answer written).
  ConnectionList connections;
  int port = 0;
  std::string http_address;
  std::string credentials_digest;  // SHA-256 of "user:password" when basic auth is on
  bool running = false;

  std::atomic<uint64_t> auth_failures{0};
  std::atomic<uint64_t> connections_shed{0};
  std::atomic<size_t> connections_open{0};
  std::string last_auth_client;  // I/O thread only
  CountedWarning auth_warning{io, [this](uint64_t n, int64_t interval_ms) {
                                std::string m = "Wrong basic auth credentials on the API; each such request is answered after " +
                                                std::to_string(limits.auth_failure_delay_ms) + "ms {:failures=>" +
                                                std::to_string(n);
                                if (interval_ms > 0) m += ", :in_last_seconds=>" + std::to_string(interval_ms / 1000);
                                return m + ", :last_client=>\"" + last_auth_client + "\"}";
                              }};
  CountedWarning shed_warning{io, [this](uint64_t n, int64_t interval_ms) {
                                std::string m =
                                    "API connection limit reached; the least recently active connections are closed "
                                    "{:max_connections=>" +
                                    std::to_string(limits.max_connections) + ", :closed=>" + std::to_string(n);
                                if (interval_ms > 0) m += ", :in_last_seconds=>" + std::to_string(interval_ms / 1000);
                                return m + "}";
                              }};

  void accept();
  void admit(tcp::socket sock);
  bool bind(std::string* error);
  void touch(ConnectionBase& c);
  void forget(ConnectionBase& c);
  void auth_failed(std::string client);
  void run();
};

struct ApiServer::Impl : ServerCore {};

class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual ~ConnectionBase() = default;
  virtual void start() = 0;
  virtual void close() noexcept = 0;
  ConnectionList::iterator position;  // in ServerCore::connections while `listed`
  bool listed = false;
};

namespace {

template <class Stream>
tcp::socket& lowest(Stream& s) {
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    return s;
  } else {
    return s.next_layer();
  }
}

template <class Stream>
class Connection final : public ConnectionBase {
 public:
  Connection(ServerCore& server, Stream stream)
      : server_(server), stream_(std::move(stream)), deadline_(server.io), wait_(server.io) {}

  void start() override {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      wait_request();
    } else {
      arm(server_.limits.handshake_timeout_ms, "the TLS handshake");
      auto self = shared();
      stream_.async_handshake(asio::ssl::stream_base::server, [self](const error_code& ec) {
        self->guarded([&] {
          if (self->closed_) return;
          if (ec) {
            log::debug(kAgentLogger, "API TLS handshake failed: " + ec.message());
            self->close();
            return;
          }
          self->wait_request();
        });
      });
    }
  }

  void close() noexcept override {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();  // forget() drops the server's reference
    cancel(deadline_);
    cancel(wait_);
    error_code ec;
    lowest(stream_).shutdown(tcp::socket::shutdown_both, ec);
    lowest(stream_).close(ec);
    // The parser, buffer and reply stay: an operation still in flight refers to them and completes
    // (with an error) after this.
    server_.forget(*this);
  }

 private:
  std::shared_ptr<Connection> shared() { return std::static_pointer_cast<Connection>(shared_from_this()); }

  // Runs a completion handler's body: an exception closes this connection and never reaches the
  // I/O loop.
  template <class F>
  void guarded(F&& body) noexcept {
    try {
      body();
    } catch (const std::exception& e) {
      failed(e.what());
    } catch (...) {
      failed("unknown exception");
    }
  }

  void failed(const char* what) noexcept {
    try {
      log::error(kAgentLogger, std::string("API connection closed after an internal error {:error=>\"") + what + "\"}");
    } catch (...) {
    }
    close();
  }

  // The one deadline of the current step; when it passes the connection is closed (logged at
  // DEBUG with `what` unless null). Re-arming or disarm() retires the previous one.
  void arm(int64_t ms, const char* what) {
    const uint64_t generation = ++deadline_generation_;
    deadline_.expires_after(std::chrono::milliseconds(ms));
    deadline_.async_wait([self = shared(), generation, what](const error_code& ec) {
      if (ec || self->closed_ || generation != self->deadline_generation_) return;
      self->guarded([&] {
        if (what) log::debug(kAgentLogger, std::string("API connection closed: ") + what + " took too long");
        self->close();
      });
    });
  }

  void disarm() {
    ++deadline_generation_;
    cancel(deadline_);
  }

  std::string client() {
    error_code ec;
    const auto ep = lowest(stream_).remote_endpoint(ec);
    return ec ? std::string("unknown") : ep.address().to_string();
  }

  // Between requests: wait for the first byte of the next one with no buffer (a pipelined request
  // already in the buffer starts at once).
  void wait_request() {
    if (closed_) return;
    if (buffer_.size() > 0) {
      read_request();
      return;
    }
    buffer_.shrink_to_fit();
    arm(server_.limits.idle_timeout_ms, nullptr);
    auto self = shared();
    stream_.async_read_some(asio::buffer(&first_, 1), [self](const error_code& ec, size_t n) {
      self->guarded([&] {
        if (self->closed_) return;
        if (ec || n != 1) {
          self->close();
          return;
        }
        self->buffer_.commit(asio::buffer_copy(self->buffer_.prepare(1), asio::buffer(&self->first_, 1)));
        self->read_request();
      });
    });
  }

  // From the first byte on, the whole request must arrive within the request timeout.
  void read_request() {
    arm(server_.limits.request_timeout_ms, "a request");
    parser_.emplace();
    wire::apply_limits(*parser_);
    auto self = shared();
    http::async_read_header(stream_, buffer_, *parser_, [self](const error_code& ec, size_t) {
      self->guarded([&] {
        if (self->closed_) return;
        if (ec) {
          self->read_failed(ec);
          return;
        }
        if (auto refused = wire::refuse_header(self->parser_->get())) {
          self->send(wire::Request{}, std::move(*refused), false);
          return;
        }
        if (self->parser_->is_done()) {
          self->dispatch();
          return;
        }
        http::async_read(self->stream_, self->buffer_, *self->parser_, [self](const error_code& ec2, size_t) {
          self->guarded([&] {
            if (self->closed_) return;
            if (ec2) {
              self->read_failed(ec2);
              return;
            }
            self->dispatch();
          });
        });
      });
    });
  }

  void read_failed(const error_code& ec) {
    if (auto answer = wire::read_error_answer(ec, parser_->get())) {
      send(wire::Request{}, std::move(*answer), false);
    } else {
      close();
    }
  }

  // A complete request: basic auth, then a wait for a status or an answer now.
  void dispatch() {
    wire::Request req = parser_->release();
    parser_.reset();
    disarm();
    server_.touch(*this);
    const bool keep = req.keep_alive();
    const wire::AuthResult auth = wire::check_basic_auth(wire::sv(req[http::field::authorization]), server_.credentials_digest);
    if (auth == wire::AuthResult::Wrong) {
      // Brute force gets one answer per delay and connection; the timer keeps the thread free.
      server_.auth_failed(client());
      wait_.expires_after(std::chrono::milliseconds(server_.limits.auth_failure_delay_ms));
      auto self = shared();
      wait_.async_wait([self, req = std::move(req), keep](const error_code& ec) {
        self->guarded([&] {
          if (ec || self->closed_) return;
          self->send(req, wire::auth_refusal(wire::AuthResult::Wrong), keep);
        });
      });
      return;
    }
    if (auth != wire::AuthResult::Ok) {
      send(req, wire::auth_refusal(auth), keep);
      return;
    }
    if (auto w = status_wait(std::string(wire::sv(req.method_string())), std::string(wire::sv(req.target())))) {
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min(w->timeout_ms, kMaxStatusWaitMs));
      poll_status(std::move(req), keep, std::move(w->status), deadline, std::chrono::milliseconds(kFirstPollMs));
      return;
    }
    send(req, wire::render(req, server_.snapshot, wall_ms()), keep);
  }

  void poll_status(wire::Request req, bool keep, std::string wanted, std::chrono::steady_clock::time_point deadline,
                   std::chrono::milliseconds interval) {
    const auto now = std::chrono::steady_clock::now();
    std::string status;
    try {
      status = node_status(server_.snapshot());
    } catch (const std::exception&) {
      status = "unknown";
    }
    if (status_satisfies(status, wanted) || now >= deadline) {
      send(req, wire::render(req, server_.snapshot, wall_ms()), keep);  // 408 when the status was not reached
      return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    wait_.expires_after(std::min(interval, left));
    auto self = shared();
    wait_.async_wait([self, req = std::move(req), keep, wanted = std::move(wanted), deadline, interval](
                         const error_code& ec) mutable {
      self->guarded([&] {
        if (ec || self->closed_) return;
        self->poll_status(std::move(req), keep, std::move(wanted), deadline, interval * 2);
      });
    });
  }

  void send(const wire::Request& req, Response r, bool keep) {
    wire::log_request(req, r.status);
    reply_.emplace(wire::make_reply(req, std::move(r), keep));
    arm(server_.limits.write_timeout_ms, "writing an answer");
    auto self = shared();
    http::async_write(stream_, *reply_, [self, keep](const error_code& ec, size_t) {
      self->guarded([&] {
        if (self->closed_) return;
        self->reply_.reset();
        self->disarm();
        if (ec) {
          self->close();
          return;
        }
        self->server_.touch(*self);
        if (!keep) {
          self->linger();
          return;
        }
        self->wait_request();
      });
    });
  }

  // After a final answer: stop sending, then read and discard until the client closes (at most
  // kLingerMs and kLingerBytes), so that unread request bytes do not turn the close into a reset
  // that loses the answer.
  void linger() {
    error_code ec;
    lowest(stream_).shutdown(tcp::socket::shutdown_send, ec);
    buffer_.consume(buffer_.size());
    linger_left_ = kLingerBytes;
    arm(std::min<int64_t>(kLingerMs, server_.limits.idle_timeout_ms), nullptr);
    drain();
  }

  void drain() {
    auto self = shared();
    lowest(stream_).async_read_some(buffer_.prepare(kLingerChunk), [self](const error_code& ec, size_t n) {
      self->guarded([&] {
        if (self->closed_) return;
        if (ec || n >= self->linger_left_) {
          self->close();
          return;
        }
        self->linger_left_ -= n;
        self->drain();
      });
    });
  }

  ServerCore& server_;
  Stream stream_;
  asio::steady_timer deadline_;  // handshake, idle, request, write or linger: one at a time
  asio::steady_timer wait_;      // wait_for_status polls, the delay after wrong credentials
  uint64_t deadline_generation_ = 0;
  wire::beast::flat_buffer buffer_{wire::kBufferLimit};  // empty while idle
  std::optional<wire::Parser> parser_;                   // while a request is read
  std::optional<wire::Reply> reply_;                     // while an answer is written
  size_t linger_left_ = 0;
  char first_ = 0;
  bool closed_ = false;
};

}  // namespace

void ServerCore::accept() {
  acceptor->async_accept([this](const error_code& ec, tcp::socket sock) {
    if (!acceptor || !acceptor->is_open()) return;
    if (ec) {
      // Out of descriptors (EMFILE) and the like: try again a little later rather than spin.
      if (ec == asio::error::operation_aborted) return;
      log::debug(kAgentLogger, "API accept failed: " + ec.message());
      accept_retry.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
      accept_retry.async_wait([this](const error_code& e) {
        if (!e && acceptor && acceptor->is_open()) accept();
      });
      return;
    }
    try {
      admit(std::move(sock));
    } catch (const std::exception& e) {
      log::debug(kAgentLogger, std::string("API connection refused: ") + e.what());
    }
    accept();
  });
}

void ServerCore::admit(tcp::socket sock) {
  // At the cap, the least recently active connection makes room: a flood of new or slow
  // connections pushes out its own oldest ones, and a client that sends its request at once is
  // served.
  while (connections.size() >= limits.max_connections) {
    std::shared_ptr<ConnectionBase> oldest = connections.front();
    oldest->close();
    forget(*oldest);  // close() did already; never loop on one that stays
    ++connections_shed;
    shed_warning.hit();
  }
  std::shared_ptr<ConnectionBase> conn;
  if (tls) {
    conn = std::make_shared<Connection<asio::ssl::stream<tcp::socket>>>(
        *this, asio::ssl::stream<tcp::socket>(std::move(sock), *tls));
  } else {
    conn = std::make_shared<Connection<tcp::socket>>(*this, std::move(sock));
  }
  conn->position = connections.insert(connections.end(), conn);
  conn->listed = true;
  connections_open = connections.size();
  conn->start();
}

void ServerCore::touch(ConnectionBase& c) {
  if (c.listed) connections.splice(connections.end(), connections, c.position);
}

void ServerCore::forget(ConnectionBase& c) {
  if (!c.listed) return;
  c.listed = false;
  connections.erase(c.position);
  connections_open = connections.size();
}

void ServerCore::auth_failed(std::string client) {
  ++auth_failures;
  last_auth_client = std::move(client);
  auth_warning.hit();
}

// The I/O loop; a handler that throws despite its guard is logged and the loop goes on.
void ServerCore::run() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      log::error(kAgentLogger, std::string("API server error {:error=>\"") + e.what() + "\"}");
    } catch (...) {
      log::error(kAgentLogger, "API server error {:error=>\"unknown exception\"}");
    }
  }
}

bool ServerCore::bind(std::string* error) {
  tcp::resolver resolver(io);
  error_code ec;
  auto results = resolver.resolve(settings.host, "", tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    *error = "api.http.host: cannot resolve '" + settings.host + "' (" + ec.message() +
             "). Set api.http.host to an address or name of this machine.";
    return false;
  }
  const asio::ip::address address = results.begin()->endpoint().address();
  for (int p = settings.port_first; p <= settings.port_last; ++p) {
    tcp::acceptor a(io);
    const tcp::endpoint ep(address, static_cast<unsigned short>(p));
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (ec == asio::error::address_in_use) continue;
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *error = "Cannot listen on " + settings.host + ":" + std::to_string(p) + " for the API (" + ec.message() +
               "). Set api.http.host and api.http.port to an address and port this process may bind.";
      return false;
    }
    port = a.local_endpoint().port();
    acceptor.emplace(std::move(a));
    return true;
  }
  if (settings.port_first == settings.port_last) {
    *error = "Logstash tried to bind to port " + std::to_string(settings.port_first) +
             ", but the port is already in use. Set api.http.port (logstash.yml or --api.http.port) to a free port "
             "or range.";
  } else {
    *error = "Logstash tried to bind to port range " + std::to_string(settings.port_first) + ".." +
             std::to_string(settings.port_last) +
             ", but all the ports are already in use. Set api.http.port (logstash.yml or --api.http.port) to a free "
             "port or range.";
  }
  return false;
}

ApiServer::ApiServer(settings::ApiSettings settings, SnapshotFn snapshot) : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  impl_->snapshot = std::move(snapshot);
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::set_limits(const Limits& limits) {
  Limits& l = impl_->limits;
  l = limits;
  l.idle_timeout_ms = std::max<int64_t>(1, l.idle_timeout_ms);
  l.request_timeout_ms = std::max<int64_t>(1, l.request_timeout_ms);
  l.handshake_timeout_ms = std::max<int64_t>(1, l.handshake_timeout_ms);
  l.write_timeout_ms = std::max<int64_t>(1, l.write_timeout_ms);
  l.max_connections = std::max<size_t>(1, l.max_connections);
  l.auth_failure_delay_ms = std::max<int64_t>(0, l.auth_failure_delay_ms);
  l.warning_interval_ms = std::max<int64_t>(1, l.warning_interval_ms);
}

const ApiServer::Limits& ApiServer::limits() const { return impl_->limits; }

void ApiServer::set_idle_timeout_ms(int64_t ms) {
  Limits l = impl_->limits;
  l.idle_timeout_ms = ms;
  set_limits(l);
}

ApiServer::Counters ApiServer::counters() const {
  Counters c;
  c.auth_failures = impl_->auth_failures.load();
  c.connections_shed = impl_->connections_shed.load();
  c.connections_open = impl_->connections_open.load();
  return c;
}

bool ApiServer::start(std::string* error) {
  Impl& im = *impl_;
  if (im.running) return true;
  std::string local;
  std::string* err = error ? error : &local;
  if (im.settings.ssl_enabled) {
    im.tls.emplace(asio::ssl::context::tls_server);
    if (!configure_tls(*im.tls, im.settings, err)) {
      im.tls.reset();
      return false;
    }
  }
  if (im.settings.auth_type == "basic") {
    im.credentials_digest = wire::credentials_digest(im.settings.auth_basic_username, im.settings.auth_basic_password);
  }
  if (!im.bind(err)) return false;
  im.http_address = im.settings.host + ":" + std::to_string(im.port);
  im.auth_warning.set_interval(im.limits.warning_interval_ms);
  im.shed_warning.set_interval(im.limits.warning_interval_ms);
  im.running = true;
  im.accept();
  im.thread = std::thread([&im] {
    pthread_setname_np(pthread_self(), "Api Webserver");  // Logstash's name for it
    lower_thread_priority();
    im.run();
  });
  log::info(kAgentLogger, "Successfully started Logstash API endpoint {:port=>" + std::to_string(im.port) +
                              ", :ssl_enabled=>" + (im.settings.ssl_enabled ? "true" : "false") + "}");
  return true;
}

void ApiServer::stop() {
  Impl& im = *impl_;
  if (!im.running) return;
  im.running = false;
  asio::post(im.io, [&im] {
    error_code ec;
    if (im.acceptor) im.acceptor->close(ec);
    cancel(im.accept_retry);
    std::vector<std::shared_ptr<ConnectionBase>> all(im.connections.begin(), im.connections.end());
    for (auto& c : all) c->close();
    im.auth_warning.flush();
    im.shed_warning.flush();
    im.io.stop();
  });
  if (im.thread.joinable()) im.thread.join();
  im.connections.clear();
  im.acceptor.reset();
}

int ApiServer::port() const { return impl_->port; }

std::string ApiServer::http_address() const { return impl_->http_address; }

}  // namespace sluice::api
