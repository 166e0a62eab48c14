// A small blocking HTTP/1.1 client on libcurl, for outputs that talk to HTTP servers.
//
// One HttpConnection wraps one CURL easy handle. The handle keeps its connection cache, so reusing
// the same HttpConnection for successive requests to one host keeps the TCP (and TLS) connection
// alive. An HttpConnection is used by one thread at a time; callers pool them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::net {

// Transport-level outcome, independent of the HTTP status.
enum class [[nodiscard]] Transport : uint8_t {
  Ok,             // a response was received (any status)
  ConnectFailed,  // refused, unreachable, DNS failure
  Timeout,        // connect or whole-request timeout
  TlsError,       // handshake or certificate verification failure
  Error,          // connection reset, malformed response, anything else
};
const char* to_string(Transport t);

struct TlsOptions {
  bool verify = true;     // peer certificate and host name
  std::string ca_file;    // PEM bundle; empty: the system store
  std::string cert_file;  // client certificate (PEM), optional
  std::string key_file;   // client key (PEM), optional
};

struct HttpRequest {
  std::string_view method = "GET";  // GET, HEAD, POST, PUT, DELETE
  std::string url;                  // absolute
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // kept alive by the caller for the duration of perform()
  long timeout_ms = 60'000;          // whole request; 0: none
  long connect_timeout_ms = 10'000;
};

struct HttpResponse {
  Transport transport = Transport::Error;
  long status = 0;            // HTTP status when transport == Ok
  std::string body;           // decoded (gzip/deflate responses are inflated)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string error;          // libcurl's message when transport != Ok

  const std::string* header(std::string_view lower_name) const;
};

class HttpConnection {
 public:
  explicit HttpConnection(TlsOptions tls = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Performs the request; never throws for network problems (see HttpResponse::transport).
  void perform(const HttpRequest& req, HttpResponse& resp);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes `s` for use in a URL path segment (RFC 3986 unreserved characters stay).
std::string url_encode(std::string_view s);
// Standard base64 (with padding).
std::string base64(std::string_view s);

}  // namespace sluice::net
