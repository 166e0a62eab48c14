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
// Not supported (rejected with a clear error when set): `mode => client`, TLS (`ssl_*`).
#include "plugins/codecs/codec_support.hpp"
#include "plugins/inputs/tcp_input.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <boost/asio.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <atomic>
#include <memory>
#include <set>

namespace sluice::inputs {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr const char* kComponent = "logstash.inputs.tcp";
constexpr size_t kReadSize = 16384;
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
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  void read();
  void on_data(std::string_view data);
  bool proxy_header(std::string_view& data);
  void finish(const boost::system::error_code& ec);
  void emit(std::unique_ptr<Event> e);

  TcpInput& owner_;
  tcp::socket socket_;
  std::unique_ptr<Codec> codec_;
  Codec::Sink sink_;
  std::array<char, kReadSize> buf_{};
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
  void forget(const std::shared_ptr<Connection>& c) { connections_.erase(c); }
  const std::string& pipeline_id() const { return pipeline_id_; }

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
        // Transient (EMFILE, ECONNABORTED): log and keep accepting.
        log::write(log::Level::Warn, kComponent, "Accepting a connection failed: " + ec.message(), pipeline_id_, id());
        accept();
        return;
      }
      if (stopping()) {
        boost::system::error_code ignore;
        socket.close(ignore);
        return;
      }
      boost::system::error_code opt_ec;
      if (keep_alive_) socket.set_option(asio::socket_base::keep_alive(true), opt_ec);
      auto conn = std::make_shared<Connection>(*this, std::move(socket),
                                               codecs::streaming_codec(codec_factory_()));
      connections_.insert(conn);
      conn->start();
      accept();
    });
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
  std::set<std::shared_ptr<Connection>> connections_;
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
  read();
}

void Connection::read() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(buf_), [this, self](const boost::system::error_code& ec, size_t n) {
    if (n > 0 && !owner_.stopping()) on_data(std::string_view(buf_.data(), n));
    if (ec) {
      finish(ec);
      return;
    }
    if (owner_.stopping()) {
      finish(asio::error::operation_aborted);
      return;
    }
    if (!finished_) read();
  });
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
  close();
  if (!header_pending_) codec_->flush(sink_);  // flush-on-close, as Logstash
  owner_.forget(shared_from_this());
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
