// The elasticsearch output's dead letter queue hook, in-process against a loopback HTTP server that
// answers like Elasticsearch 7.17: rejected items reach a real dead letter queue with Logstash's
// reason text, dlq_custom_codes adds statuses, and its configuration errors.
#include "dlq/reader.hpp"
#include "dlq/writer.hpp"
#include "plugins/outputs/elasticsearch/output.hpp"
#include "runtime/batch_executor.hpp"

#include "plugin_test_util.hpp"

#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

using namespace sluice;
namespace fs = std::filesystem;

namespace {

// Answers every request on its connections with `bulk(body)` for POST /_bulk and an Elasticsearch
// 7.17 root document otherwise (HTTP/1.1 keep-alive, Content-Length bodies).
class FakeElasticsearch {
 public:
  explicit FakeElasticsearch(std::function<std::string(const std::string&)> bulk) : bulk_(std::move(bulk)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(fd_, 8) == 0);
    accept_ = std::thread([this] {
      for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0;) conns_.emplace_back([this, c] { serve(c); });
    });
  }
  ~FakeElasticsearch() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    accept_.join();
    for (auto& t : conns_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve(int c) {
    std::string buf;
    char tmp[16384];
    auto fill = [&](size_t n) {
      while (buf.size() < n) {
        const ssize_t r = ::read(c, tmp, sizeof tmp);
        if (r <= 0) return false;
        buf.append(tmp, static_cast<size_t>(r));
      }
      return true;
    };
    while (true) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos)
        if (!fill(buf.size() + 1)) return (void)::close(c);
      const std::string head = buf.substr(0, end);
      size_t length = 0;
      for (const char* h : {"\r\nContent-Length: ", "\r\ncontent-length: "}) {
        const size_t at = head.find(h);
        if (at != std::string::npos) length = std::stoul(head.substr(at + std::strlen(h)));
      }
      if (!fill(end + 4 + length)) return (void)::close(c);
      const std::string body = buf.substr(end + 4, length);
      buf.erase(0, end + 4 + length);
      const bool head_request = head.rfind("HEAD ", 0) == 0;
      std::string answer =
          head.find(" /_bulk") != std::string::npos
              ? bulk_(body)
              : R"({"name":"n","cluster_uuid":"u","version":{"number":"7.17.29","build_flavor":"default"},"tagline":"You Know, for Search"})";
      std::string out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-elastic-product: Elasticsearch\r\n"
                        "Content-Length: " + std::to_string(answer.size()) + "\r\n\r\n";
      if (!head_request) out += answer;
      if (::write(c, out.data(), out.size()) < 0) return (void)::close(c);
    }
  }

  std::function<std::string(const std::string&)> bulk_;
  int fd_ = -1;
  int port_ = 0;
  std::thread accept_;
  std::vector<std::thread> conns_;
};

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/sluice_dlq_esXXXXXX";
    REQUIRE(mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

// Items answered in order: 201, then a mapping error (400), then 418.
std::string three_items(const std::string&) {
  return R"({"took":1,"errors":true,"items":[)"
         R"({"index":{"_index":"dlq-test","_id":"a1","status":201}},)"
         R"({"index":{"_index":"dlq-test","_id":"a2","status":400,"error":{"type":"mapper_parsing_exception",)"
         R"("reason":"failed to parse","caused_by":{"type":"number_format_exception","reason":"For input string: \"abc\""}}}},)"
         R"({"index":{"_index":"dlq-test","_id":"a3","status":418,"error":{"type":"teapot","reason":"short and stout"}}}]})";
}

es::OutputConfig config_for(const FakeElasticsearch& srv) {
  es::OutputConfig c;
  std::string err;
  c.hosts.push_back(*es::parse_host(srv.url(), false, &err));
  c.index = "dlq-test";
  c.manage_template = false;
  c.retry_initial_s = 0.01;
  c.retry_max_s = 0.02;
  c.timeout_s = 5;
  return c;
}

std::vector<std::unique_ptr<Event>> events(int n) {
  std::vector<std::unique_ptr<Event>> out;
  for (int i = 0; i < n; ++i) {
    std::string err;
    out.push_back(Event::from_json(R"({"@timestamp":"2025-03-01T00:00:00.000Z","n":)" + std::to_string(i) +
                                       R"(,"count":"abc","@metadata":{"k":"v"}})",
                                   &err));
  }
  return out;
}

std::vector<dlq::Entry> read_all(const std::string& dir) {
  dlq::Reader r(dir);
  std::vector<dlq::Entry> out;
  dlq::Entry e;
  while (r.next(&e) == dlq::PollStatus::Entry) out.push_back(std::move(e));
  return out;
}

}  // namespace

TEST_CASE("dlq es: rejected items go to the dead letter queue with Logstash's reason", "[dlq]") {
  TempDir dir;
  dlq::WriterOptions wo;
  wo.dir = dir.path.string();
  wo.start_flusher = false;
  std::string error;
  auto writer = dlq::SegmentWriter::open(wo, &error);
  REQUIRE(writer);
  std::atomic<int> bulks{0};
  FakeElasticsearch srv([&](const std::string& body) {
    ++bulks;
    return three_items(body);
  });
  es::OutputConfig cfg = config_for(srv);
  cfg.dead_letter_queue = writer;
  cfg.dlq_custom_codes = {418};
  // The output reports its rejections; the runtime (the worker's BatchExecutor, as in a pipeline)
  // writes them to the pipeline's dead letter queue.
  CompiledPipeline pipeline;
  pipeline.dead_letter_queue = writer;
  pipeline.outputs.push_back(std::make_unique<es::ElasticsearchOutput>(cfg));
  auto& out = static_cast<es::ElasticsearchOutput&>(*pipeline.outputs.back());
  out.set_id("es_dlq");
  out.set_name("elasticsearch");
  Stage stage;
  stage.kind = Stage::Kind::Output;
  stage.output = &out;
  pipeline.output_graph.push_back(std::move(stage));
  out.start();
  BatchExecutor executor(pipeline, "main", false, pipeline.dead_letter_queue);
  std::vector<std::unique_ptr<Event>> batch = events(3);
  executor.run(batch);
  out.close();
  CHECK(executor.events_rejected() == 2);
  CHECK(executor.events_dead_lettered() == 2);
  CHECK(bulks == 1);  // 418 is a dead letter status here, not retried
  CHECK(out.counters().documents_rejected.load() == 2);
  writer->flush();
  const auto entries = read_all(wo.dir);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].plugin_type == "elasticsearch");
  CHECK(entries[0].plugin_id == "es_dlq");
  CHECK(entries[0].reason ==
        "Could not index event to Elasticsearch. status: 400, action: [\"index\", {:_id=>nil, :_index=>\"dlq-test\", "
        ":routing=>nil}, {\"@timestamp\"=>2025-03-01T00:00:00.000Z, \"n\"=>1, \"count\"=>\"abc\", \"@version\"=>\"1\"}], "
        "response: {\"index\"=>{\"_index\"=>\"dlq-test\", \"_id\"=>\"a2\", \"status\"=>400, \"error\"=>{\"type\"=>"
        "\"mapper_parsing_exception\", \"reason\"=>\"failed to parse\", \"caused_by\"=>{\"type\"=>"
        "\"number_format_exception\", \"reason\"=>\"For input string: \\\"abc\\\"\"}}}}");
  CHECK(testutil::field(*entries[0].event, "n") == "1");
  CHECK(testutil::field(*entries[0].event, "[@metadata][k]") == "v");
  CHECK(entries[1].reason.rfind("Could not index event to Elasticsearch. status: 418, action: [\"index\", ", 0) == 0);
  CHECK(testutil::field(*entries[1].event, "n") == "2");
}

TEST_CASE("dlq es: an event from the dead letter queue is not written to it again", "[dlq]") {
  TempDir dir;
  dlq::WriterOptions wo;
  wo.dir = dir.path.string();
  wo.start_flusher = false;
  std::string error;
  auto writer = dlq::SegmentWriter::open(wo, &error);
  REQUIRE(writer);
  auto evs = events(1);
  (void)evs[0]->set_string(*FieldRef::parse("[@metadata][dead_letter_queue][reason]"), "earlier");
  CHECK_FALSE(writer->write(*evs[0], "elasticsearch", "x", "again"));
  writer->flush();
  CHECK(read_all(wo.dir).empty());
  CHECK(writer->stats().dropped_events == 0);
}

TEST_CASE("dlq es: dlq_custom_codes is checked as Logstash checks it", "[dlq]") {
  auto parse = [](std::vector<std::string> codes) -> std::string {
    PluginConfig cfg = testutil::config(PluginKind::Output, "elasticsearch",
                                        {{"dlq_custom_codes", testutil::strs(std::move(codes))}});
    try {
      (void)es::parse_config(cfg);
    } catch (const PluginConfigError& e) {
      return e.option + ": " + e.what();
    }
    return "";
  };
  CHECK(parse({"404"}) == "dlq_custom_codes: [404] are already defined as standard DLQ error codes");
  CHECK(parse({"201"}) == "dlq_custom_codes: [201] are success codes which cannot be redefined in dlq_custom_codes");
  CHECK(parse({"409"}).find("already defined as conflict") != std::string::npos);
  CHECK(parse({"418"}).empty());
  // Without a dead letter queue the output refuses to start.
  FakeElasticsearch srv(three_items);
  es::OutputConfig cfg = config_for(srv);
  cfg.dlq_custom_codes = {418};
  es::ElasticsearchOutput out(cfg);
  CHECK_THROWS_WITH(out.start(), Catch::Contains("DLQ feature (dlq_custom_codes) is configured while DLQ is not enabled"));
}
