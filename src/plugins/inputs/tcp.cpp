// The tcp input (logstash-input-tcp 6.x/7.x), server mode: accepts connections on `host`:`port`
// and decodes each connection's byte stream with its own codec instance (`line` by default; `plain`
// is switched to `line` and `json` to `json_lines`, as Logstash does).
//
// Fields, as Logstash sets them (unless the codec already did):
//   ecs_compatibility disabled: `host` (peer name, or its address when reverse lookup is off or
//     fails), `[@metadata][ip_address]`, `port` (integer);
//   v1/v8: `[@metadata][input][tcp][source][name|ip|port]`.
//   With proxy_protocol (v1 header): the sender's address/port from the header, and `proxy_host` /
//   `proxy_port` (v1/v8: `[@metadata][input][tcp][proxy][ip|port]`); ports from the header are strings.
// When a connection closes (EOF, reset, or stop()), its codec is flushed: a last line without a
// delimiter becomes an event, as Logstash's flush-on-close does.
//
// Threads and backpressure: one I/O thread (the input's run() thread) runs a Boost.Asio
// io_context with the acceptor and every connection's reads. Decoded events are pushed from that
// thread; when the pipeline queue is full, InputContext::push blocks it, which stops reading on
// every connection (the kernel's socket buffers then fill and TCP flow control slows the senders)
// and delays accepting new connections. Nothing is dropped. A connection that sends bad data only
// produces events for itself (a codec per connection); a read error closes only that connection.
//
// stop() (any thread) closes the acceptor and every connection on the I/O thread; run() returns
// once their handlers have finished.
//
// Limits (Sluice only; Logstash's tcp input has none):
//  - Idle connections cost no read buffer: a connection waits for readability, then reads what
//    the socket holds into one buffer shared by the input's connections (the I/O thread is the
//    only reader). What a connection keeps is its codec's partial line.
//  - `client_inactivity_timeout` (seconds, 0 = off, the default) closes connections that sent
//    nothing for that long.
//  - `max_connections`: a new connection beyond it closes the connection that has gone longest
//    without completing an event (a line), with one rate-limited WARN line; a client trickling a
//    line byte by byte therefore goes first.
//  - Accept errors (out of file descriptors...) are logged at most once per 10 s and accepting
//    resumes after 100 ms, so the loop never spins.
//
// Not supported (rejected with a clear error when set): `mode => client`, TLS (`ssl_*`).
#include "net/accept_errors.hpp"
#include "plugins/codecs/codec_support.hpp"
#include "plugins/inputs/tcp_input.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <boost/asio.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace sluice::inputs {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr const char* kComponent = "logstash.inputs.tcp";
constexpr size_t kReadSize = 64 * 1024;  // the shared read buffer
constexpr std::chrono::milliseconds kAcceptBackoff{100};
using Clock = std::chrono::steady_clock;
constexpr size_t kMaxProxyHeader = 107;  // PROXY protocol v1: at most 107 bytes with the CRLF

struct Fields {
  FieldRef host, ip, port, proxy_host, proxy_port;
};

Fields make_fields(codecs::Ecs ecs) {
  auto p = [](const char* s) { return *FieldRef::parse(s); };
  if (ecs == codecs::Ecs::Disabled) {
    return {p("host"), p("[@metadata][ip_address]"), p("port"), p("proxy_host"), p("proxy_port")};
  }
  return {p("[@metadata][input][tcp][source][name]"), p("[@metadata][input][tcp][source][ip]"),
          p("[@metadata][input][tcp][source][port]"), p("[@metadata][input][tcp][proxy][ip]"),
          p("[@metadata][input][tcp][proxy][port]")};
}

// The peer's name by reverse lookup (Java's InetSocketAddress#getHostName), or the address itself.
std::string reverse_lookup(const asio::ip::address& addr) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (addr.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    auto bytes = addr.to_v4().to_bytes();
    std::memcpy(&sin->sin_addr, bytes.data(), bytes.size());
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    auto bytes = addr.to_v6().to_bytes();
    std::memcpy(&sin6->sin6_addr, bytes.data(), bytes.size());
    len = sizeof(sockaddr_in6);
  }
  char host[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0, NI_NAMEREQD) == 0) {
    return host;
  }
  return addr.to_string();
}

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

class TcpInput;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TcpInput& owner, tcp::socket socket, std::unique_ptr<Codec> codec)
      : owner_(owner), socket_(std::move(socket)), codec_(std::move(codec)) {}

  void start();
  void close() {
    boost::system::error_code ec;
    if (idle_timer_) idle_timer_->cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
  // Closes now (the codec is flushed, as on any close).
  void end() { finish(asio::error::operation_aborted); }
  const std::string& peer() const { return peer_; }

  // The connection's place in TcpInput::connections_ (I/O thread only).
  std::list<std::shared_ptr<Connection>>::iterator slot;
  bool listed = false;
  Clock::time_point progress = Clock::now();  // start, then each event

 private:
  void read();
  void read_ready();
  void arm_idle_timer();
  void on_data(std::string_view data);
  bool proxy_header(std::string_view& data);
  void finish(const boost::system::error_code& ec);
  void emit(std::unique_ptr<Event> e);

  TcpInput& owner_;
  tcp::socket socket_;
  std::unique_ptr<Codec> codec_;
  Codec::Sink sink_;
  std::optional<asio::steady_timer> idle_timer_;  // with client_inactivity_timeout only
  Clock::time_point last_read_ = Clock::now();
  std::string peer_;  // "ip:port", for logs
  std::string ip_, name_;
  int64_t port_num_ = 0;
  std::string port_str_;  // from a PROXY header (Logstash keeps it a string)
  bool port_is_string_ = false;
  std::string proxy_ip_, proxy_port_;
  bool header_pending_ = false;
  std::string header_buf_;
  bool finished_ = false;
};

class TcpInput final : public Input, public TcpListenerInfo {
 public:
  explicit TcpInput(const PluginConfig& cfg)
      : host_(cfg.string_or("host", "0.0.0.0")),
        ecs_(codecs::ecs_mode(cfg)),
        fields_(make_fields(ecs_)),
        codec_factory_(cfg.codec_factory),
        pipeline_id_(cfg.pipeline_id),
        acceptor_(io_) {
    const int64_t port = cfg.integer("port");
    if (port < 0 || port > 65535) throw PluginConfigError("port", "port must be between 0 and 65535");
    port_ = static_cast<uint16_t>(port);
    proxy_protocol_ = cfg.boolean("proxy_protocol");
    keep_alive_ = cfg.boolean("tcp_keep_alive");
    if (cfg.has("client_inactivity_timeout")) {
      const double secs = cfg.number("client_inactivity_timeout");
      if (!(secs >= 0))
        throw PluginConfigError("client_inactivity_timeout",
                                "client_inactivity_timeout must be 0 (off) or a positive number of seconds");
      inactivity_timeout_ = std::chrono::milliseconds(static_cast<int64_t>(secs * 1000));
    }
    if (cfg.has("max_connections")) {
      const int64_t n = cfg.integer("max_connections");
      if (n < 0)
        throw PluginConfigError("max_connections", "max_connections must be 0 (no limit) or more, got " + std::to_string(n));
      max_connections_ = static_cast<size_t>(n);
    }
    reverse_lookup_ = cfg.boolean("dns_reverse_lookup_enabled");
    if (!codec_factory_) throw PluginConfigError("codec", "The tcp input needs a codec");
    // Build (and, for plain/json, switch) one codec now so that configuration errors show early.
    codecs::fix_streaming_codec(codec_factory_(), "tcp", pipeline_id_, cfg.id);
  }

  ~TcpInput() override {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

  void start() override { bind(); }

  void run(InputContext& ctx) override {
    ctx_ = &ctx;
    bind();
    log::write(log::Level::Info, kComponent,
               "Starting tcp input listener {:address=>\"" + host_ + ":" + std::to_string(bound_port_.load()) +
                   "\", :ssl_enabled=>false}",
               pipeline_id_, id());
    accept();
    io_.run();
    ctx_ = nullptr;
  }

  void stop() override {
    if (stopping_.exchange(true)) return;
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      accept_timer_.cancel();
      for (const auto& c : connections_) c->close();
    });
  }

  uint16_t bound_port() const override { return bound_port_.load(); }

  // For connections (I/O thread only).
  InputContext& ctx() { return *ctx_; }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed) || (ctx_ && ctx_->stopping()); }
  const Fields& fields() const { return fields_; }
  bool proxy_protocol() const { return proxy_protocol_; }
  bool reverse_lookup() const { return reverse_lookup_; }
  void forget(Connection& c) {
    if (!c.listed) return;
    c.listed = false;
    connections_.erase(c.slot);
  }
  // An event was completed: the connection moves to the back of the eviction order.
  void touch(Connection& c) {
    c.progress = Clock::now();
    if (c.listed) connections_.splice(connections_.end(), connections_, c.slot);
  }
  const std::string& pipeline_id() const { return pipeline_id_; }
  std::chrono::milliseconds inactivity_timeout() const { return inactivity_timeout_; }
  asio::io_context& io() { return io_; }
  // The read buffer all connections share (reads happen on the I/O thread, one at a time).
  std::span<char> read_buffer() { return std::span<char>(read_buf_.data(), read_buf_.size()); }

 private:
  void bind() {
    if (acceptor_.is_open()) return;
    log::write(log::Level::Info, kComponent,
               "Binding tcp input listener {:address=>\"" + host_ + ":" + std::to_string(port_) +
                   "\", :ssl_enabled=>false}",
               pipeline_id_, id());
    boost::system::error_code ec;
    tcp::endpoint ep;
    auto addr = asio::ip::make_address(host_, ec);
    if (ec) {
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(host_, std::to_string(port_), ec);
      if (ec || results.empty()) {
        throw std::runtime_error("could not bind to " + host_ + ":" + std::to_string(port_) + "; " +
                                 (ec ? ec.message() : std::string("no address")));
      }
      ep = results.begin()->endpoint();
    } else {
      ep = tcp::endpoint(addr, port_);
    }
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(1024, ec);
    if (ec) {
      boost::system::error_code ignore;
      acceptor_.close(ignore);
      throw std::runtime_error("could not bind to " + host_ + ":" + std::to_string(port_) + "; " + ec.message());
    }
    bound_port_ = acceptor_.local_endpoint(ec).port();
  }

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (net::per_connection_accept_error(ec)) {
          accept();
          return;
        }
        // Out of file descriptors or buffers (or anything unexpected): log, wait, retry; never spin.
        accept_warning_.warn(kComponent,
                             "Accepting a connection failed: " + ec.message() + "; retrying every " +
                                 std::to_string(kAcceptBackoff.count()) + " ms",
                             id());
        accept_timer_.expires_after(kAcceptBackoff);
        accept_timer_.async_wait([this](const boost::system::error_code& tec) {
          if (!tec && !stopping()) accept();
        });
        return;
      }
      if (stopping()) {
        boost::system::error_code ignore;
        socket.close(ignore);
        return;
      }
      if (max_connections_ > 0 && connections_.size() >= max_connections_) evict_one(socket);
      boost::system::error_code opt_ec;
      if (keep_alive_) socket.set_option(asio::socket_base::keep_alive(true), opt_ec);
      auto conn = std::make_shared<Connection>(*this, std::move(socket),
                                               codecs::streaming_codec(codec_factory_()));
      conn->slot = connections_.insert(connections_.end(), conn);
      conn->listed = true;
      conn->start();
      accept();
    });
  }

  // At max_connections: closes the connection that has gone longest without completing an event.
  void evict_one(const tcp::socket& newcomer) {
    std::shared_ptr<Connection> victim = connections_.front();
    boost::system::error_code ec;
    const auto remote = newcomer.remote_endpoint(ec);
    const std::string who = ec ? std::string("a new client")
                               : unmapped(remote.address()).to_string() + ":" + std::to_string(remote.port());
    char idle[32];
    std::snprintf(idle, sizeof idle, "%.1f", std::chrono::duration<double>(Clock::now() - victim->progress).count());
    eviction_warning_.warn(kComponent,
                           "Connection limit reached (max_connections => " + std::to_string(max_connections_) +
                               "): closing the connection from " + victim->peer() + ", which has not completed an event for " +
                               idle + " s, to accept the one from " + who,
                           id());
    ++evicted_;
    victim->end();
  }

  std::string host_;
  uint16_t port_ = 0;
  bool proxy_protocol_ = false;
  bool keep_alive_ = false;
  bool reverse_lookup_ = true;
  codecs::Ecs ecs_;
  Fields fields_;
  std::function<std::unique_ptr<Codec>()> codec_factory_;
  std::string pipeline_id_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  // I/O thread only. Ordered by the last completed event (or the connection's start): the front
  // has gone longest without completing one.
  std::list<std::shared_ptr<Connection>> connections_;
  std::vector<char> read_buf_ = std::vector<char>(kReadSize);
  asio::steady_timer accept_timer_{io_};  // back-off after an accept error
  std::chrono::milliseconds inactivity_timeout_{0};
  size_t max_connections_ = 10000;
  uint64_t evicted_ = 0;
  log::RateLimited eviction_warning_{10'000};
  log::RateLimited accept_warning_{10'000};
  std::atomic<uint16_t> bound_port_{0};
  std::atomic<bool> stopping_{false};
  InputContext* ctx_ = nullptr;
};

void Connection::start() {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (ec) {
    finish(ec);
    return;
  }
  const auto addr = unmapped(remote.address());
  ip_ = addr.to_string();
  port_num_ = remote.port();
  peer_ = ip_ + ":" + std::to_string(port_num_);
  name_ = owner_.reverse_lookup() ? reverse_lookup(addr) : ip_;
  header_pending_ = owner_.proxy_protocol();
  sink_ = [this](std::unique_ptr<Event> e) { emit(std::move(e)); };
  if (log::enabled(log::Level::Debug)) log::debug(kComponent, "/" + peer_ + ": initialized channel");
  socket_.non_blocking(true, ec);  // reads after readability never block the I/O thread
  if (owner_.inactivity_timeout().count() > 0) {
    idle_timer_.emplace(owner_.io());
    arm_idle_timer();
  }
  read();
}

void Connection::arm_idle_timer() {
  idle_timer_->expires_at(last_read_ + owner_.inactivity_timeout());
  auto self = shared_from_this();
  idle_timer_->async_wait([this, self](const boost::system::error_code& ec) {
    if (ec || finished_) return;
    if (Clock::now() < last_read_ + owner_.inactivity_timeout()) {
      arm_idle_timer();
      return;
    }
    if (log::enabled(log::Level::Debug))
      log::debug(kComponent, "/" + peer_ + ": closing the connection, idle for " +
                                 std::to_string(owner_.inactivity_timeout().count() / 1000.0).substr(0, 5) +
                                 " s (client_inactivity_timeout)");
    end();
  });
}

// Waits for the socket to be readable: an idle connection holds no read buffer.
void Connection::read() {
  auto self = shared_from_this();
  socket_.async_wait(tcp::socket::wait_read, [this, self](const boost::system::error_code& ec) {
    if (finished_) return;
    if (ec) {
      finish(ec);
      return;
    }
    read_ready();
  });
}

void Connection::read_ready() {
  boost::system::error_code ec;
  std::span<char> buf = owner_.read_buffer();
  const size_t n = socket_.read_some(asio::buffer(buf.data(), buf.size()), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    read();
    return;
  }
  if (n > 0) last_read_ = Clock::now();
  if (n > 0 && !owner_.stopping()) on_data(std::string_view(buf.data(), n));
  if (ec) {
    finish(ec);
    return;
  }
  if (owner_.stopping()) {
    finish(asio::error::operation_aborted);
    return;
  }
  if (!finished_) read();
}

void Connection::on_data(std::string_view data) {
  if (header_pending_ && !proxy_header(data)) return;
  if (!data.empty()) codec_->decode(data, sink_);
}

// Consumes the PROXY v1 header from the front of `data`; returns false when more bytes are needed
// or the header was invalid (the connection is then closed).
bool Connection::proxy_header(std::string_view& data) {
  header_buf_.append(data);
  const size_t eol = header_buf_.find("\r\n");
  if (eol == std::string::npos) {
    data = {};
    if (header_buf_.size() > kMaxProxyHeader) {
      log::write(log::Level::Error, kComponent,
                 "Invalid proxy protocol header label {:header=>\"" + header_buf_.substr(0, 16) + "...\"}",
                 owner_.pipeline_id());
      close();
    }
    return false;
  }
  const std::string header = header_buf_.substr(0, eol);
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && header[i] == ' ') ++i;
    size_t j = i;
    while (j < header.size() && header[j] != ' ') ++j;
    if (j > i) parts.emplace_back(header.substr(i, j - i));
    i = j;
  }
  if (parts.empty() || parts[0] != "PROXY") {
    log::write(log::Level::Error, kComponent, "Invalid proxy protocol header label {:header=>\"" + header + "\"}",
               owner_.pipeline_id());
    close();
    data = {};
    return false;
  }
  auto part = [&](size_t k) { return k < parts.size() ? parts[k] : std::string(); };
  ip_ = part(2);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(ip_, ec);
  name_ = (!ec && owner_.reverse_lookup()) ? reverse_lookup(addr) : ip_;
  port_str_ = part(4);
  port_is_string_ = true;
  proxy_ip_ = part(3);
  proxy_port_ = part(5);
  header_pending_ = false;
  // The rest of the buffered bytes are payload; they live in header_buf_, so decode them here.
  std::string rest = header_buf_.substr(eol + 2);
  header_buf_.clear();
  header_buf_.shrink_to_fit();
  if (!rest.empty()) codec_->decode(rest, sink_);
  data = {};
  return false;
}

void Connection::emit(std::unique_ptr<Event> e) {
  const Fields& f = owner_.fields();
  auto absent = [&](const FieldRef& r) {
    const Value* v = e->get(r);
    return !v || v->IsNull();
  };
  if (owner_.proxy_protocol()) {
    if (absent(f.proxy_host)) (void)e->set_string(f.proxy_host, proxy_ip_);
    if (absent(f.proxy_port)) (void)e->set_string(f.proxy_port, proxy_port_);
  }
  if (absent(f.host)) (void)e->set_string(f.host, name_);
  if (absent(f.ip)) (void)e->set_string(f.ip, ip_);
  if (absent(f.port)) {
    if (port_is_string_) {
      (void)e->set_string(f.port, port_str_);
    } else {
      (void)e->set(f.port, Value(port_num_));
    }
  }
  owner_.touch(*this);
  // Blocks while the queue is full (backpressure); false once the pipeline accepts nothing more.
  if (!owner_.ctx().push(std::move(e)) && !finished_) close();
}

void Connection::finish(const boost::system::error_code& ec) {
  if (finished_) return;
  finished_ = true;
  if (ec == asio::error::eof || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
    if (log::enabled(log::Level::Debug)) log::debug(kComponent, "Connection closed {:client=>\"" + peer_ + "\"}");
  } else if (ec == asio::error::connection_reset) {
    log::write(log::Level::Info, kComponent, "/" + peer_ + ": closing (Connection reset by peer)",
               owner_.pipeline_id());
  } else {
    log::write(log::Level::Error, kComponent, "/" + peer_ + ": closing due: " + ec.message(), owner_.pipeline_id());
  }
  auto keep = shared_from_this();  // forget() drops the input's reference
  close();
  if (!header_pending_) codec_->flush(sink_);  // flush-on-close, as Logstash
  owner_.forget(*this);
}

}  // namespace
}  // namespace sluice::inputs

namespace sluice::plugins {

void register_input_tcp(Registry& r) {
  using sluice::codecs::ecs_option;
  PluginSchema s;
  s.kind = PluginKind::Input;
  s.name = "tcp";
  s.description = "Reads events from TCP connections (server mode), one codec instance per connection.";
  const std::string no_tls = "TLS is not supported by the tcp input of Sluice yet.";
  s.options = {
      opt("host", OptionType::String).def_str("0.0.0.0").describe("The address to listen on."),
      opt("port", OptionType::Number).req().describe("The port to listen on (0: an ephemeral port, logged at start)."),
      opt_one_of("mode", {"server", "client"})
          .def_str("server")
          .describe("`server` accepts connections; `client` (connecting out) is not supported by Sluice."),
      opt("proxy_protocol", OptionType::Boolean)
          .def_bool(false)
          .describe("Expect a PROXY protocol v1 header at the start of each connection."),
      opt("tcp_keep_alive", OptionType::Boolean)
          .def_bool(false)
          .describe("Enable TCP keep-alives on accepted connections (OS default timings)."),
      opt("client_inactivity_timeout", OptionType::Number)
          .def_int(0)
          .describe("Sluice only (Logstash's tcp input has no such option): close a connection that sent nothing "
                    "for this many seconds; 0 (the default) never does, as Logstash. Off by default because plain "
                    "TCP senders get no acknowledgement: the first lines a sender writes after the server closed "
                    "its idle connection can be lost, and syslog-style senders often stay quiet for hours."),
      opt("max_connections", OptionType::Number)
          .def_int(10000)
          .describe("Sluice only (Logstash has no limit): the most connections this input keeps open. A new "
                    "connection beyond it closes the connection that has gone longest without completing an event "
                    "(a line); 0: no limit."),
      opt("dns_reverse_lookup_enabled", OptionType::Boolean)
          .def_bool(true)
          .describe("Resolve the peer's address to a host name for the host field; off: the address itself."),
      opt("codec", OptionType::Codec)
          .def_str("line")
          .describe("The codec for each connection's stream; `plain` is switched to `line`, `json` to "
                    "`json_lines`."),
      ecs_option(),
      opt("ssl_enabled", OptionType::Boolean).def_bool(false).describe("Enable TLS. " + no_tls),
      opt("ssl_enable", OptionType::Boolean).def_bool(false).describe("Enable TLS (Logstash 7 spelling). " + no_tls)
          .deprecated("Use 'ssl_enabled' instead."),
      opt("ssl_certificate", OptionType::Path).describe("TLS certificate (PEM). " + no_tls),
      opt("ssl_cert", OptionType::Path).describe("TLS certificate (Logstash 7 spelling). " + no_tls)
          .deprecated("Use 'ssl_certificate' instead."),
      opt("ssl_key", OptionType::Path).describe("TLS private key (PEM). " + no_tls),
      opt("ssl_key_passphrase", OptionType::Password).describe("Passphrase of the TLS key. " + no_tls),
      opt("ssl_extra_chain_certs", OptionType::Array)
          .def_empty_array()
          .describe("Extra certificates added to the chain. " + no_tls),
      opt("ssl_certificate_authorities", OptionType::Array)
          .def_empty_array()
          .describe("CA certificates to validate client certificates against. " + no_tls),
      opt("ssl_verify", OptionType::Boolean)
          .def_bool(true)
          .describe("Verify client certificates (Logstash 7 spelling). " + no_tls)
          .deprecated("Use 'ssl_client_authentication' instead."),
      opt_one_of("ssl_client_authentication", {"none", "optional", "required"})
          .def_str("required")
          .describe("Whether clients must present a certificate. " + no_tls),
      opt_one_of("ssl_verification_mode", {"full", "none"})
          .def_str("full")
          .describe("Server certificate verification in client mode. " + no_tls),
      opt("ssl_supported_protocols", OptionType::Array)
          .def_empty_array()
          .describe("Allowed TLS versions (TLSv1.1, TLSv1.2, TLSv1.3). " + no_tls),
      opt("ssl_cipher_suites", OptionType::Array).def_empty_array().describe("Allowed cipher suites. " + no_tls),
  };
  PluginSchema schema_copy = s;
  r.add(std::move(s), [schema = std::move(schema_copy)](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    if (cfg.string_or("mode", "server") == "client") {
      throw PluginConfigError("mode", "Option 'mode' of the tcp input plugin: client mode is not supported by Sluice");
    }
    for (const char* o : {"ssl_enabled", "ssl_enable", "ssl_certificate", "ssl_cert", "ssl_key", "ssl_key_passphrase",
                          "ssl_extra_chain_certs", "ssl_certificate_authorities", "ssl_verify",
                          "ssl_client_authentication", "ssl_verification_mode", "ssl_supported_protocols",
                          "ssl_cipher_suites"}) {
      codecs::reject_non_default(cfg, schema, o, "TLS is not implemented for the tcp input");
    }
    return std::make_unique<inputs::TcpInput>(cfg);
  });
}

}  // namespace sluice::plugins
