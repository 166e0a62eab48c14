// The API's HTTP/1.1 layer on Boost.Beast: limits, refusals, basic auth, rendering and the answer
// on the wire, shared by the server and serve_bytes() (see http.hpp).
#include "api/http.hpp"

#include "sluice/log.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <exception>

namespace sluice::api::wire {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr const char* kAgentLogger = "logstash.agent";

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

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Response error_response(int status, std::string_view target, std::string_view message) {
  const std::string_view path = target.substr(0, target.find('?'));
  return {status, "application/json",
          "{\"path\":\"" + json_escape(path) + "\",\"status\":" + std::to_string(status) + ",\"error\":{\"message\":\"" +
              json_escape(message) + "\"}}"};
}

std::string version_string(unsigned v) { return "HTTP/" + std::to_string(v / 10) + "." + std::to_string(v % 10); }

std::string digest(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// An in-memory stream for serve_bytes(): reads hand out `chunk` bytes of the input at a time,
// writes append to `out`.
class MemoryStream {
 public:
  MemoryStream(std::string_view in, size_t chunk) : in_(in), chunk_(chunk == 0 ? 1 : chunk) {}

  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    if (in_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    const size_t n =
        asio::buffer_copy(buffers, asio::const_buffer(in_.data(), std::min(chunk_, in_.size())));
    in_.remove_prefix(n);
    return n;
  }
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers, error_code& ec) {
    ec = {};
    size_t n = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
      const asio::const_buffer b(*it);
      out.append(static_cast<const char*>(b.data()), b.size());
      n += b.size();
    }
    return n;
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    error_code ec;
    return write_some(buffers, ec);
  }

  std::string out;

 private:
  std::string_view in_;
  size_t chunk_;
};

}  // namespace

void apply_limits(Parser& parser) {
  parser.header_limit(static_cast<std::uint32_t>(kHeaderLimit));
  parser.body_limit(kBodyLimit);
}

std::optional<Response> refuse_header(const Request& head) {
  const std::string_view target = sv(head.target());
  if (target.empty() || target.front() != '/' || head.version() < 10 || head.version() > 19) {
    return error_response(400, "", "Malformed request line.");
  }
  if (head.chunked() || head.find(http::field::transfer_encoding) != head.end()) {
    return error_response(400, target, "Chunked request bodies are not supported; send a Content-Length.");
  }
  return std::nullopt;
}

std::optional<Response> read_error_answer(const error_code& ec, const Request& partial) {
  if (ec.category() != http::make_error_code(http::error::end_of_stream).category()) return std::nullopt;
  const std::string_view target = sv(partial.target());
  switch (static_cast<http::error>(ec.value())) {
    case http::error::end_of_stream:
    case http::error::partial_message:
    case http::error::need_more:
      return std::nullopt;
    case http::error::header_limit:
    case http::error::buffer_overflow:
      return error_response(400, "", "The request line and headers exceed 8 KiB.");
    case http::error::body_limit:
      return error_response(413, target, "The request body exceeds 64 KiB.");
    case http::error::bad_method:
    case http::error::bad_target:
    case http::error::bad_version:
      return error_response(400, "", "Malformed request line.");
    case http::error::bad_content_length:
      return error_response(400, target, "Invalid Content-Length.");
    case http::error::bad_transfer_encoding:
    case http::error::bad_chunk:
    case http::error::bad_chunk_extension:
      return error_response(400, target, "Chunked request bodies are not supported; send a Content-Length.");
    case http::error::bad_field:
    case http::error::bad_value:
    case http::error::bad_line_ending:
    case http::error::bad_obs_fold:
      return error_response(400, target, "Malformed header line.");
    default:
      return error_response(400, target, "Malformed request.");
  }
}

std::string credentials_digest(const std::string& user, const std::string& password) {
  return digest(user + ":" + password);
}

std::optional<std::string> base64_decode(std::string_view in) {
  size_t pad = 0;
  while (pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  if (pad > 2 || (pad > 0 && in.size() % 4 != 0)) return std::nullopt;
  const std::string_view data = in.substr(0, in.size() - pad);
  // EVP_DecodeBlock takes '=' anywhere as zero bits and skips leading and trailing whitespace:
  // only the alphabet may reach it.
  for (char c : data) {
    if (!base64_char(c)) return std::nullopt;
  }
  if (data.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
  // It also wants whole 4-character groups and returns 3 bytes per group, padding included: pad
  // the input (when it had padding, `missing` is that padding), then drop as many bytes.
  const size_t missing = (4 - data.size() % 4) % 4;
  std::string padded(data);
  padded.append(missing, '=');
  std::string out(padded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()), static_cast<int>(padded.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - missing);
  return out;
}

AuthResult check_basic_auth(std::string_view authorization, const std::string& expected_digest) {
  if (expected_digest.empty()) return AuthResult::Ok;
  authorization = trim(authorization);
  if (authorization.empty()) return AuthResult::Missing;
  const size_t sp = authorization.find(' ');
  if (sp == std::string_view::npos || lower(authorization.substr(0, sp)) != "basic") return AuthResult::Malformed;
  const auto decoded = base64_decode(trim(authorization.substr(sp + 1)));
  if (!decoded || decoded->find(':') == std::string::npos) return AuthResult::Malformed;
  const std::string d = digest(*decoded);
  if (d.size() != expected_digest.size() || CRYPTO_memcmp(d.data(), expected_digest.data(), d.size()) != 0) {
    return AuthResult::Wrong;
  }
  return AuthResult::Ok;
}

Response auth_refusal(AuthResult r) {
  return Response{r == AuthResult::Malformed ? 400 : 401, "text/plain", ""};
}

Response render(const Request& req, const SnapshotFn& snapshot, int64_t now_ms) {
  try {
    const NodeSnapshot node = snapshot();
    return handle(std::string(sv(req.method_string())), std::string(sv(req.target())), req.body(), node, now_ms);
  } catch (const std::exception& e) {
    log::error(kAgentLogger, std::string("Internal API server error {:error=>\"") + e.what() + "\"}");
    return {500, "application/json",
            "{\"error\":\"Unexpected Internal Error\",\"message\":\"" + json_escape(e.what()) + "\"}"};
  }
}

Reply make_reply(const Request& req, Response r, bool keep_alive) {
  Reply reply{static_cast<http::status>(r.status), 11};
  reply.reason(reason_phrase(r.status));
  reply.set(http::field::content_type, r.content_type);
  reply.content_length(r.body.size());
  if (r.status == 401) reply.set(http::field::www_authenticate, "Basic realm=\"logstash-api\"");
  reply.set(http::field::connection, keep_alive ? "keep-alive" : "close");
  if (req.method() != http::verb::head) reply.body() = std::move(r.body);
  return reply;
}

void log_request(const Request& req, int status) {
  if (req.method_string().empty() || !(status >= 500 || log::enabled(log::Level::Debug))) return;
  const std::string_view target = sv(req.target());
  const size_t q = target.find('?');
  const std::string line = "API HTTP Request {:status=>" + std::to_string(status) + ", :request_method=>\"" +
                           std::string(sv(req.method_string())) + "\", :path_info=>\"" +
                           std::string(target.substr(0, q)) + "\", :query_string=>\"" +
                           (q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1))) +
                           "\", :http_version=>\"" + version_string(req.version()) + "\"}";
  log::write(status >= 500 ? log::Level::Error : log::Level::Debug, kAgentLogger, line);
}

std::string serve_bytes(std::string_view in, const std::string& credentials_digest, const NodeSnapshot& snapshot,
                        int64_t now_ms, size_t read_chunk) {
  MemoryStream stream(in, read_chunk);
  beast::flat_buffer buffer(kBufferLimit);
  const SnapshotFn snap = [&snapshot] { return snapshot; };
  auto answer = [&stream](const Request& req, Response r, bool keep) {
    log_request(req, r.status);
    Reply reply = make_reply(req, std::move(r), keep);
    error_code ec;
    http::write(stream, reply, ec);
  };
  for (;;) {
    Parser parser;
    apply_limits(parser);
    error_code ec;
    http::read_header(stream, buffer, parser, ec);
    if (!ec) {
      if (auto refused = refuse_header(parser.get())) {
        answer(Request{}, std::move(*refused), false);
        break;
      }
      if (!parser.is_done()) http::read(stream, buffer, parser, ec);
    }
    if (ec) {
      if (auto refused = read_error_answer(ec, parser.get())) answer(Request{}, std::move(*refused), false);
      break;
    }
    const Request req = parser.release();
    const bool keep = req.keep_alive();
    const AuthResult auth = check_basic_auth(sv(req[http::field::authorization]), credentials_digest);
    // GET /?wait_for_status: the server polls; here the one snapshot answers (408 when its status
    // is not the one asked for).
    answer(req, auth == AuthResult::Ok ? render(req, snap, now_ms) : auth_refusal(auth), keep);
    if (!keep) break;
  }
  return std::move(stream.out);
}

}  // namespace sluice::api::wire
