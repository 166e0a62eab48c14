// The API's HTTP/1.1 layer on Boost.Beast, shared by the server (server.cpp, which adds sockets,
// TLS, timers and the connection cap) and serve_bytes(), which runs the same parsing, limits,
// basic auth and routing over bytes in memory (the fuzz target tests/fuzz/fuzz_api_http.cpp and
// the unit tests drive it).
//
// Internal to src/api/: the contract of the API is api.hpp.
#pragma once

#include "api/api.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::api::wire {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Parser = http::request_parser<http::string_body>;
using Reply = http::response<http::string_body>;

// Beast's string_view (Boost's) as the standard one.
inline std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

// Request line and headers (status line included) at most 8 KiB: 400 and close. Body at most
// 64 KiB: 413 and close, known from Content-Length before any of the body is read.
constexpr size_t kHeaderLimit = 8 * 1024;
constexpr size_t kBodyLimit = 64 * 1024;
// The read buffer of a connection never holds more than this (the parser consumes as it goes).
constexpr size_t kBufferLimit = kHeaderLimit + kBodyLimit;

// A parser with the limits above.
void apply_limits(Parser& parser);

// Checks a complete header: a chunked body (refused: send a Content-Length), a target that is not
// an origin-form path, a version other than HTTP/1.x. The refusal (400, close) or nullopt.
std::optional<Response> refuse_header(const Request& head);

// The answer to a read that failed with `ec` (always followed by a close): 400 for a head over the
// limit or a malformed request, 413 for a body over the limit. nullopt when there is nothing to
// answer: the peer closed between requests or mid-request, or the read was cancelled.
// `partial` is the parser's message so far (its target names the path in the error body).
std::optional<Response> read_error_answer(const boost::system::error_code& ec, const Request& partial);

// Basic auth as Rack::Auth::Basic answers it: no Authorization header 401 (Missing), another
// scheme or undecodable credentials 400 (Malformed), wrong credentials 401 (Wrong).
enum class AuthResult { Ok, Missing, Wrong, Malformed };
// SHA-256 of "user:password": what check_basic_auth() compares, with CRYPTO_memcmp.
std::string credentials_digest(const std::string& user, const std::string& password);
// `expected_digest` empty: auth is off, always Ok.
AuthResult check_basic_auth(std::string_view authorization, const std::string& expected_digest);
// 401 for Missing and Wrong (with WWW-Authenticate, added by make_reply), 400 for Malformed.
Response auth_refusal(AuthResult r);

// Standard base64 (RFC 4648, OpenSSL's EVP_DecodeBlock): padding optional, but when present at
// most two '=' and only at the end; any character outside the alphabet, whitespace included, or a
// length that cannot be base64 is nullopt.
std::optional<std::string> base64_decode(std::string_view in);

// Renders one request with routes.cpp's handle() from a fresh `snapshot()`; an exception (from
// either) becomes Logstash's 500 and an ERROR line.
Response render(const Request& req, const SnapshotFn& snapshot, int64_t now_ms);

// The answer on the wire: HTTP/1.1, Content-Type, Content-Length, WWW-Authenticate on a 401,
// `Connection: keep-alive|close`; no body for HEAD.
Reply make_reply(const Request& req, Response r, bool keep_alive);

// Logstash's ApiLogger: `API HTTP Request {...}` at DEBUG for every request, at ERROR for
// server errors.
void log_request(const Request& req, int status);

// The same steps the server takes for a connection, over bytes: parse one request after another
// (with the limits), refuse bad heads, check basic auth against `credentials_digest` (empty: off),
// route against `snapshot` at `now_ms`, serialize each answer, stop after an answer that closes.
// `wait_for_status` is answered from the one snapshot (the server polls instead), wrong credentials
// without the server's delay. `read_chunk` (>= 1) is how many bytes each read hands the parser.
// Returns the bytes the server would write.
std::string serve_bytes(std::string_view in, const std::string& credentials_digest, const NodeSnapshot& snapshot,
                        int64_t now_ms, size_t read_chunk = 4096);

}  // namespace sluice::api::wire
