// The elasticsearch output in-process against a scripted HTTP server on an ephemeral loopback port:
// the exact requests it sends (start-up checks, template, _bulk bytes and headers, gzip, auth) and
// item-level retries.
#include "plugins/outputs/elasticsearch/output.hpp"

#include "gzip_test_util.hpp"
#include "plugin_test_util.hpp"

#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace sluice;

using sluice::testutil::gunzip;

namespace {

struct Request {
  std::string method, path;
  std::vector<std::string> headers;  // "name: value", names lower-cased
  std::string body;
  bool has_header(const std::string& line) const {
    return std::find(headers.begin(), headers.end(), line) != headers.end();
  }
};

struct Response {
  int status = 200;
  std::string body;
  std::vector<std::string> headers;
};

// A keep-alive HTTP/1.1 server answering through `handler`; records every request.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<Response(const Request&)> handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(fd_, 16) == 0);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& t : conns_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Request> requests() {
    std::lock_guard lk(mu_);
    return reqs_;
  }
  std::vector<Request> requests_to(const std::string& path_prefix) {
    std::vector<Request> out;
    for (auto& r : requests())
      if (r.path.rfind(path_prefix, 0) == 0) out.push_back(r);
    return out;
  }
  int connections() const { return connections_.load(); }

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      connections_.fetch_add(1);
      conns_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string buf;
    char tmp[65536];
    for (;;) {
      size_t hdr_end;
      while ((hdr_end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return (void)::close(c);
        buf.append(tmp, static_cast<size_t>(n));
      }
      Request r;
      std::string head = buf.substr(0, hdr_end);
      size_t line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      r.method = first.substr(0, first.find(' '));
      r.path = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
      size_t content_length = 0;
      size_t pos = line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string h = head.substr(pos, e - pos);
        const size_t colon = h.find(':');
        std::string name = h.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        std::string value = h.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "content-length") content_length = std::stoul(value);
        r.headers.push_back(name + ": " + value);
        pos = e + 2;
      }
      buf.erase(0, hdr_end + 4);
      while (buf.size() < content_length) {
        ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return (void)::close(c);
        buf.append(tmp, static_cast<size_t>(n));
      }
      r.body = buf.substr(0, content_length);
      buf.erase(0, content_length);
      Response resp = handler_(r);
      {
        std::lock_guard lk(mu_);
        reqs_.push_back(r);
      }
      std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " X\r\nContent-Type: application/json\r\n";
      for (auto& h : resp.headers) out += h + "\r\n";
      out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n\r\n";
      if (r.method != "HEAD") out += resp.body;
      if (::write(c, out.data(), out.size()) < 0) return (void)::close(c);
    }
  }

  std::function<Response(const Request&)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> conns_;
  std::mutex mu_;
  std::vector<Request> reqs_;
};

constexpr const char* kRoot =
    R"({"name":"n","cluster_uuid":"u","version":{"number":"7.17.29","build_flavor":"default"},"tagline":"You Know, for Search"})";

// Answers the start-up requests like Elasticsearch 7.17 without the template; _bulk through `bulk`.
std::function<Response(const Request&)> es7(std::function<Response(const Request&)> bulk) {
  return [bulk](const Request& r) -> Response {
    if (r.path == "/" && r.method == "HEAD") return {200, "", {}};
    if (r.path == "/") return {200, kRoot, {"X-elastic-product: Elasticsearch"}};
    if (r.path == "/_xpack") return {200, R"({"features":{}})", {}};
    if (r.path.rfind("/_template/", 0) == 0) return {r.method == "HEAD" ? 404 : 200, R"({"acknowledged":true})", {}};
    if (r.path.rfind("/_bulk", 0) == 0) return bulk(r);
    return {404, "{}", {}};
  };
}

std::string items_response(const std::vector<int>& statuses) {
  std::string out = R"({"took":1,"errors":true,"items":[)";
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (i) out += ",";
    out += R"({"index":{"_index":"i","status":)" + std::to_string(statuses[i]);
    if (statuses[i] >= 300) out += R"(,"error":{"type":"some_exception","reason":"nope"})";
    out += "}}";
  }
  return out + "]}";
}

size_t count_actions(const std::string& body) { return static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) / 2; }

es::OutputConfig config_for(const ScriptedServer& s) {
  es::OutputConfig c;
  std::string err;
  c.hosts.push_back(*es::parse_host(s.url(), false, &err));
  c.index = "nest-logs-%{+YYYY.MM.dd}";
  c.retry_initial_s = 0.01;
  c.retry_max_s = 0.05;
  c.resurrect_delay_s = 0.05;
  c.timeout_s = 5;
  return c;
}

std::vector<std::unique_ptr<Event>> make_events(int n) {
  std::vector<std::unique_ptr<Event>> out;
  for (int i = 0; i < n; ++i) {
    std::string err;
    out.push_back(Event::from_json(R"({"@timestamp":"2025-03-01T00:00:00.000Z","n":)" + std::to_string(i) +
                                       R"(,"@metadata":{"beat":"filebeat"}})",
                                   &err));
    REQUIRE(out.back());
  }
  return out;
}

std::vector<Event*> ptrs(const std::vector<std::unique_ptr<Event>>& v) {
  std::vector<Event*> out;
  for (auto& e : v) out.push_back(e.get());
  return out;
}

}  // namespace

TEST_CASE("es output: start-up requests, template install, exact _bulk bytes and headers", "[es]") {
  ScriptedServer srv(es7([](const Request& r) { return Response{200, items_response(std::vector<int>(count_actions(r.body), 201)), {}}; }));
  auto cfg = config_for(srv);
  cfg.user = "elastic";
  cfg.password = "pa:ss";
  es::ElasticsearchOutput out(cfg);
  out.start();
  auto events = make_events(2);
  auto p = ptrs(events);
  (void)testutil::receive_all(out, p);
  (void)testutil::receive_all(out, p);
  out.close();

  auto reqs = srv.requests();
  REQUIRE(reqs.size() >= 6);
  CHECK(reqs[0].method == "HEAD");
  CHECK(reqs[0].path == "/");
  CHECK(reqs[1].method == "GET");
  CHECK(reqs[1].path == "/");
  auto tpl = srv.requests_to("/_template/logstash");
  REQUIRE(tpl.size() == 2);
  CHECK(tpl[0].method == "HEAD");
  CHECK(tpl[1].method == "PUT");
  CHECK(tpl[1].body.find(R"("index_patterns":"logstash-*")") != std::string::npos);
  auto bulks = srv.requests_to("/_bulk");
  REQUIRE(bulks.size() == 2);
  CHECK(bulks[0].method == "POST");
  CHECK(bulks[0].body ==
        "{\"index\":{\"_id\":null,\"_index\":\"nest-logs-2025.03.01\",\"routing\":null}}\n"
        "{\"@timestamp\":\"2025-03-01T00:00:00.000Z\",\"n\":0,\"@version\":\"1\"}\n"
        "{\"index\":{\"_id\":null,\"_index\":\"nest-logs-2025.03.01\",\"routing\":null}}\n"
        "{\"@timestamp\":\"2025-03-01T00:00:00.000Z\",\"n\":1,\"@version\":\"1\"}\n");
  CHECK(bulks[0].has_header("content-type: application/json"));
  CHECK(bulks[0].has_header("authorization: Basic ZWxhc3RpYzpwYTpzcw=="));
  for (const auto& r : reqs) CHECK(r.has_header("authorization: Basic ZWxhc3RpYzpwYTpzcw=="));
  CHECK(srv.connections() <= 2);  // keep-alive: the health check connection is reused for bulks
  CHECK(out.counters().bulk_requests.load() == 2);
  CHECK(out.counters().documents_successes.load() == 4);
  REQUIRE(out.server());
  CHECK(out.server()->describe() == "Elasticsearch 7.17.29");
}

TEST_CASE("es output: http_compression sends gzip with Content-Encoding", "[es]") {
  ScriptedServer srv(es7([](const Request& r) {
    const std::string body = gunzip(r.body);
    return Response{200, items_response(std::vector<int>(count_actions(body), 201)), {}};
  }));
  auto cfg = config_for(srv);
  cfg.compression_level = 1;
  es::ElasticsearchOutput out(cfg);
  out.start();
  auto events = make_events(50);
  auto p = ptrs(events);
  (void)testutil::receive_all(out, p);
  out.close();
  auto bulks = srv.requests_to("/_bulk");
  REQUIRE(bulks.size() == 1);
  CHECK(bulks[0].has_header("content-encoding: gzip"));
  CHECK(bulks[0].has_header("content-type: application/json"));
  CHECK(count_actions(gunzip(bulks[0].body)) == 50);
}

TEST_CASE("es output: failed items are resubmitted alone; 400 and 409 are not retried", "[es]") {
  std::atomic<int> round{0};
  ScriptedServer srv(es7([&](const Request& r) {
    const int k = round.fetch_add(1);
    if (k == 0) return Response{429, R"({"error":"busy","status":429})", {}};         // whole request
    if (k == 1) return Response{200, items_response({201, 503, 400, 409, 429}), {}};  // per item
    if (k == 2) return Response{200, items_response({503, 201}), {}};
    return Response{200, items_response(std::vector<int>(count_actions(r.body), 201)), {}};
  }));
  es::ElasticsearchOutput out(config_for(srv));
  out.start();
  auto events = make_events(5);
  auto p = ptrs(events);
  (void)testutil::receive_all(out, p);
  out.close();
  auto bulks = srv.requests_to("/_bulk");
  REQUIRE(bulks.size() == 4);
  CHECK(count_actions(bulks[0].body) == 5);
  CHECK(bulks[1].body == bulks[0].body);  // a rejected request is resent as it was
  REQUIRE(count_actions(bulks[2].body) == 2);
  CHECK(bulks[2].body.find("\"n\":1,") != std::string::npos);
  CHECK(bulks[2].body.find("\"n\":4,") != std::string::npos);
  REQUIRE(count_actions(bulks[3].body) == 1);
  CHECK(bulks[3].body.find("\"n\":1,") != std::string::npos);
  const auto& c = out.counters();
  CHECK(c.documents_successes.load() == 3);
  CHECK(c.documents_rejected.load() == 1);
  CHECK(c.documents_conflicts.load() == 1);
  CHECK(c.documents_retried.load() == 3);
  CHECK(c.request_retries.load() == 1);
  CHECK(c.bulk_requests.load() == 4);
}

TEST_CASE("es output: OpenSearch gets no _type and the legacy template API", "[es]") {
  ScriptedServer srv([](const Request& r) -> Response {
    if (r.path == "/" && r.method == "GET")
      return {200, R"({"version":{"distribution":"opensearch","number":"2.19.6"}})", {}};
    if (r.path.rfind("/_bulk", 0) == 0) return {200, items_response(std::vector<int>(count_actions(r.body), 201)), {}};
    if (r.path.rfind("/_template/", 0) == 0) return {r.method == "HEAD" ? 404 : 200, "{}", {}};
    return {200, "{}", {}};
  });
  auto cfg = config_for(srv);
  cfg.document_type = "mytype";
  es::ElasticsearchOutput out(cfg);
  out.start();
  auto events = make_events(1);
  auto p = ptrs(events);
  (void)testutil::receive_all(out, p);
  out.close();
  auto bulks = srv.requests_to("/_bulk");
  REQUIRE(bulks.size() == 1);
  CHECK(bulks[0].body.find("_type") == std::string::npos);
  CHECK(srv.requests_to("/_template/logstash").size() == 2);
  CHECK(srv.requests_to("/_xpack").empty());  // no ILM probe on OpenSearch
}
