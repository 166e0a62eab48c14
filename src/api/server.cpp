// The API's HTTP/1.1 server: one Asio I/O thread accepts, reads, answers and times out every
// connection; routes.cpp renders the answers from a fresh snapshot per request.
//
// - Port: the first free one of [port_first, port_last] on api.http.host, as Logstash's
//   WebServer#bind_to_available_port; the success is logged with Logstash's line.
// - Requests: keep-alive (HTTP/1.1 by default, HTTP/1.0 on request), pipelined requests are
//   answered in order; the request line and headers are capped at 8 KiB (400 and close), bodies
//   at 64 KiB (413); a connection without a complete request for the idle timeout is closed.
// - GET /?wait_for_status=..&timeout=.. polls the snapshot (200 ms, doubling) until the status is
//   reached or the timeout passes, without blocking other connections.
// - Basic auth (api.auth.type: basic): Rack::Auth::Basic's answers (401 with
//   `WWW-Authenticate: Basic realm="logstash-api"`, 400 for another scheme); credentials are
//   compared as SHA-256 digests with CRYPTO_memcmp, so the time taken does not depend on them.
// - TLS (api.ssl.enabled): the key and certificate chain of a PKCS#12 keystore; a JKS keystore
//   is refused at start with what to do. The keystore password never appears in a message.
#include "api/api.hpp"
#include "sluice/log.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_set>

namespace sluice::api {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr const char* kAgentLogger = "logstash.agent";
constexpr size_t kMaxHead = 8 * 1024;
constexpr size_t kMaxBody = 64 * 1024;

std::string digest(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

// Standard base64 (RFC 4648) with optional padding; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    default:
      return "Unknown";
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Response error_response(int status, const std::string& path, const std::string& message) {
  return {status, "application/json",
          "{\"path\":\"" + json_escape(path) + "\",\"status\":" + std::to_string(status) +
              ",\"error\":{\"message\":\"" + json_escape(message) + "\"}}"};
}

struct Request {
  std::string method, target, version, body;
  std::string authorization;
  bool keep_alive = true;
};

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

}  // namespace

// ---- the server ---------------------------------------------------------------------------------

class ConnectionBase;

// The server's state; the connections hold a reference to it (ApiServer::Impl is this).
struct ServerCore {
  settings::ApiSettings settings;
  SnapshotFn snapshot;
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::ssl::context> tls;
  std::thread thread;
  std::unordered_set<std::shared_ptr<ConnectionBase>> connections;  // I/O thread only
  int port = 0;
  std::string http_address;
  int64_t idle_timeout_ms = 30'000;
  std::string credentials_digest;  // SHA-256 of "user:password" when basic auth is on
  bool running = false;

  void accept();
  bool bind(std::string* error);
};

struct ApiServer::Impl : ServerCore {};

class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual ~ConnectionBase() = default;
  virtual void start() = 0;
  virtual void close() = 0;
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
      : server_(server), stream_(std::move(stream)), idle_(server.io), wait_(server.io) {}

  void start() override {
    arm_idle();
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      read();
    } else {
      auto self = shared();
      stream_.async_handshake(asio::ssl::stream_base::server, [self](const error_code& ec) {
        if (self->closed_) return;
        if (ec) {
          log::debug(kAgentLogger, "API TLS handshake failed: " + ec.message());
          self->close();
          return;
        }
        self->read();
      });
    }
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    idle_.cancel();
    wait_.cancel();
    error_code ec;
    lowest(stream_).shutdown(tcp::socket::shutdown_both, ec);
    lowest(stream_).close(ec);
    server_.connections.erase(shared_from_this());
  }

 private:
  std::shared_ptr<Connection> shared() { return std::static_pointer_cast<Connection>(shared_from_this()); }

  void arm_idle() {
    idle_.expires_after(std::chrono::milliseconds(server_.idle_timeout_ms));
    auto self = shared();
    idle_.async_wait([self](const error_code& ec) {
      if (!ec && !self->closed_) self->close();
    });
  }

  void read() {
    if (closed_) return;
    if (try_request()) return;
    auto self = shared();
    stream_.async_read_some(asio::buffer(chunk_), [self](const error_code& ec, size_t n) {
      if (self->closed_) return;
      if (ec) {
        self->close();
        return;
      }
      self->in_.append(self->chunk_.data(), n);
      self->read();
    });
  }

  // Parses one complete request from in_ and answers it; false when more bytes are needed.
  bool try_request() {
    const size_t end = in_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (in_.size() > kMaxHead) {
        fail(400, "", "The request line and headers exceed 8 KiB.");
        return true;
      }
      return false;
    }
    if (end + 4 > kMaxHead) {
      fail(400, "", "The request line and headers exceed 8 KiB.");
      return true;
    }
    Request req;
    size_t content_length = 0;
    std::string problem;
    if (!parse_head(in_.substr(0, end), &req, &content_length, &problem)) {
      fail(problem == "large" ? 413 : 400, req.target, problem == "large" ? "The request body exceeds 64 KiB." : problem);
      return true;
    }
    if (in_.size() < end + 4 + content_length) return false;
    req.body = in_.substr(end + 4, content_length);
    in_.erase(0, end + 4 + content_length);
    idle_.cancel();
    answer(std::move(req));
    return true;
  }

  bool parse_head(const std::string& head, Request* req, size_t* content_length, std::string* problem) {
    std::istringstream lines(head);
    std::string line;
    std::getline(lines, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream first(line);
    if (!(first >> req->method >> req->target >> req->version) || req->version.rfind("HTTP/1.", 0) != 0 ||
        req->target.empty() || req->target[0] != '/') {
      *problem = "Malformed request line.";
      return false;
    }
    req->keep_alive = req->version != "HTTP/1.0";
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos) {
        *problem = "Malformed header line.";
        return false;
      }
      const std::string name = lower(trim(line.substr(0, colon)));
      const std::string value = trim(line.substr(colon + 1));
      if (name == "content-length") {
        char* e = nullptr;
        const unsigned long long n = std::strtoull(value.c_str(), &e, 10);
        if (value.empty() || *e != '\0') {
          *problem = "Invalid Content-Length.";
          return false;
        }
        if (n > kMaxBody) {
          *problem = "large";
          return false;
        }
        *content_length = static_cast<size_t>(n);
      } else if (name == "transfer-encoding") {
        *problem = "Chunked request bodies are not supported; send a Content-Length.";
        return false;
      } else if (name == "connection") {
        const std::string v = lower(value);
        if (v.find("close") != std::string::npos) req->keep_alive = false;
        if (v.find("keep-alive") != std::string::npos) req->keep_alive = true;
      } else if (name == "authorization") {
        req->authorization = value;
      }
    }
    return true;
  }

  // Rack::Auth::Basic: no credentials or wrong ones 401, another scheme 400.
  std::optional<Response> check_auth(const Request& req) {
    if (server_.credentials_digest.empty()) return std::nullopt;
    Response unauthorized{401, "text/plain", ""};
    if (req.authorization.empty()) return unauthorized;
    const size_t sp = req.authorization.find(' ');
    if (sp == std::string::npos || lower(req.authorization.substr(0, sp)) != "basic") {
      return Response{400, "text/plain", ""};
    }
    const auto decoded = base64_decode(trim(req.authorization.substr(sp + 1)));
    if (!decoded || decoded->find(':') == std::string::npos) return Response{400, "text/plain", ""};
    const std::string d = digest(*decoded);
    if (CRYPTO_memcmp(d.data(), server_.credentials_digest.data(), d.size()) != 0) return unauthorized;
    return std::nullopt;
  }

  void answer(Request req) {
    if (auto denied = check_auth(req)) {
      send(req, std::move(*denied));
      return;
    }
    if (auto w = status_wait(req.method, req.target)) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(w->timeout_ms);
      poll_status(std::move(req), w->status, deadline, std::chrono::milliseconds(200));
      return;
    }
    send(req, render(req));
  }

  Response render(const Request& req) {
    try {
      const NodeSnapshot node = server_.snapshot();
      return handle(req.method, req.target, req.body, node,
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
    } catch (const std::exception& e) {
      log::error(kAgentLogger, std::string("Internal API server error {:error=>\"") + e.what() + "\"}");
      return {500, "application/json",
              "{\"error\":\"Unexpected Internal Error\",\"message\":\"" + json_escape(e.what()) + "\"}"};
    }
  }

  void poll_status(Request req, std::string wanted, std::chrono::steady_clock::time_point deadline,
                   std::chrono::milliseconds interval) {
    const auto now = std::chrono::steady_clock::now();
    std::string status;
    try {
      status = node_status(server_.snapshot());
    } catch (const std::exception&) {
      status = "unknown";
    }
    if (status_satisfies(status, wanted) || now >= deadline) {
      send(req, render(req));  // renders 408 when the status was not reached
      return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    wait_.expires_after(std::min(interval, left));
    auto self = shared();
    wait_.async_wait([self, req = std::move(req), wanted = std::move(wanted), deadline, interval](
                         const error_code& ec) mutable {
      if (ec || self->closed_) return;
      self->poll_status(std::move(req), std::move(wanted), deadline, interval * 2);
    });
  }

  void fail(int status, const std::string& target, const std::string& message) {
    Request req;
    req.keep_alive = false;
    const std::string path = target.substr(0, target.find('?'));
    send(req, error_response(status, path, message));
  }

  void send(const Request& req, Response r) {
    if (!req.method.empty() && (r.status >= 500 || log::enabled(log::Level::Debug))) {
      // Logstash's ApiLogger: debug for every request, error for server errors.
      const size_t q = req.target.find('?');
      const std::string line = "API HTTP Request {:status=>" + std::to_string(r.status) + ", :request_method=>\"" +
                               req.method + "\", :path_info=>\"" + req.target.substr(0, q) + "\", :query_string=>\"" +
                               (q == std::string::npos ? std::string() : req.target.substr(q + 1)) +
                               "\", :http_version=>\"" + req.version + "\"}";
      log::write(r.status >= 500 ? log::Level::Error : log::Level::Debug, kAgentLogger, line);
    }
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
    out += "Content-Type: " + r.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    if (r.status == 401) out += "WWW-Authenticate: Basic realm=\"logstash-api\"\r\n";
    const bool keep = req.keep_alive;
    out += keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (req.method != "HEAD") out += r.body;
    out_ = std::move(out);
    auto self = shared();
    asio::async_write(stream_, asio::buffer(out_), [self, keep](const error_code& ec, size_t) {
      if (self->closed_) return;
      if (ec) {
        self->close();
        return;
      }
      if (!keep) {
        self->linger();
        return;
      }
      self->arm_idle();
      self->read();
    });
  }

  // After a final answer: stop sending, then read and discard until the client closes (or 2 s
  // pass), so that unread request bytes do not turn the close into a reset that loses the answer.
  void linger() {
    error_code ec;
    lowest(stream_).shutdown(tcp::socket::shutdown_send, ec);
    idle_.expires_after(std::chrono::milliseconds(std::min<int64_t>(2'000, server_.idle_timeout_ms)));
    auto self = shared();
    idle_.async_wait([self](const error_code& e) {
      if (!e && !self->closed_) self->close();
    });
    drain();
  }

  void drain() {
    auto self = shared();
    lowest(stream_).async_read_some(asio::buffer(chunk_), [self](const error_code& ec, size_t) {
      if (self->closed_) return;
      if (ec) {
        self->close();
        return;
      }
      self->drain();
    });
  }

  ServerCore& server_;
  Stream stream_;
  asio::steady_timer idle_;
  asio::steady_timer wait_;
  std::array<char, 4096> chunk_{};
  std::string in_;
  std::string out_;
  bool closed_ = false;
};

}  // namespace

void ServerCore::accept() {
  acceptor->async_accept([this](const error_code& ec, tcp::socket sock) {
    if (!acceptor || !acceptor->is_open()) return;
    if (!ec) {
      std::shared_ptr<ConnectionBase> conn;
      if (tls) {
        conn = std::make_shared<Connection<asio::ssl::stream<tcp::socket>>>(
            *this, asio::ssl::stream<tcp::socket>(std::move(sock), *tls));
      } else {
        conn = std::make_shared<Connection<tcp::socket>>(*this, std::move(sock));
      }
      connections.insert(conn);
      conn->start();
    }
    accept();
  });
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

void ApiServer::set_idle_timeout_ms(int64_t ms) { impl_->idle_timeout_ms = std::max<int64_t>(1, ms); }

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
    im.credentials_digest = digest(im.settings.auth_basic_username + ":" + im.settings.auth_basic_password);
  }
  if (!im.bind(err)) return false;
  im.http_address = im.settings.host + ":" + std::to_string(im.port);
  im.running = true;
  im.accept();
  im.thread = std::thread([&im] { im.io.run(); });
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
    std::vector<std::shared_ptr<ConnectionBase>> all(im.connections.begin(), im.connections.end());
    for (auto& c : all) c->close();
    im.io.stop();
  });
  if (im.thread.joinable()) im.thread.join();
  im.connections.clear();
  im.acceptor.reset();
}

int ApiServer::port() const { return impl_->port; }

std::string ApiServer::http_address() const { return impl_->http_address; }

}  // namespace sluice::api
