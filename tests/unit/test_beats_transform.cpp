// Beats data frames to events: the decorations of Logstash's beats input (message_listener.rb,
// decoded_event_transform.rb, raw_event_transform.rb, event_transform_common.rb).
#include "plugins/inputs/beats/transform.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::beats;

namespace {

// An input context that applies a `tags => ["custom"]` decoration and collects nothing: the
// builder returns the events to its caller.
class DecoratingContext final : public InputContext {
 public:
  bool push(std::unique_ptr<Event>) override { return true; }
  bool stopping() const override { return false; }
  void decorate(Event& e) override { e.append_tag("custom"); }
};

std::unique_ptr<Event> build_one(const TransformSettings& s, std::string_view json, std::string ip = "10.0.0.5") {
  EventBuilder b(s, nullptr, std::move(ip));
  DecoratingContext ctx;
  std::vector<std::unique_ptr<Event>> out;
  std::string err;
  REQUIRE(b.build_json(json, ctx, out, &err));
  REQUIRE(out.size() == 1);
  return std::move(out[0]);
}

std::string meta_json(const Event& e) {
  std::string s;
  write_json(e.metadata(), s);
  return s;
}

const char* kFilebeat =
    R"({"@timestamp":"2024-05-14T09:21:07.412Z","@metadata":{"beat":"filebeat","type":"_doc","version":"7.17.21"},)"
    R"("log":{"offset":48213},"stream":"stdout","message":"GET /healthz 200","host":{"name":"worker-a"}})";

}  // namespace

TEST_CASE("beats transform: a Filebeat event with the defaults (ECS disabled)", "[beats]") {
  TransformSettings s;
  auto e = build_one(s, kFilebeat);
  CHECK(e->timestamp()->to_string() == "2024-05-14T09:21:07.412Z");
  CHECK(as_view(*e->get(*FieldRef::parse("message"))) == "GET /healthz 200");
  CHECK(e->get(*FieldRef::parse("[log][offset]"))->GetInt64() == 48213);
  CHECK(as_view(*e->get(*FieldRef::parse("[host][name]"))) == "worker-a");
  CHECK(meta_json(*e) == R"({"beat":"filebeat","type":"_doc","version":"7.17.21","ip_address":"10.0.0.5"})");
  // Common decorations first, then the codec tag, as Logstash orders them.
  const std::string json = e->to_json();
  CHECK(json.find(R"("tags":["custom","beats_input_codec_plain_applied"])") != std::string::npos);
  CHECK(json.find(R"("@version":"1")") != std::string::npos);
  CHECK(json.find("event") == std::string::npos);
}

TEST_CASE("beats transform: ECS v1 moves the peer address and adds [event][original]", "[beats]") {
  TransformSettings s;
  s.ecs = true;
  s.event_original = true;
  auto e = build_one(s, kFilebeat);
  CHECK(meta_json(*e) ==
        R"({"beat":"filebeat","type":"_doc","version":"7.17.21","input":{"beats":{"host":{"ip":"10.0.0.5"}}}})");
  CHECK(as_view(*e->get(*FieldRef::parse("[event][original]"))) == "GET /healthz 200");
  // An `event` hash from the beat is merged with the codec's; its own `original` wins.
  auto e2 = build_one(s, R"({"message":"m","event":{"dataset":"x"}})");
  CHECK(as_view(*e2->get(*FieldRef::parse("[event][original]"))) == "m");
  CHECK(as_view(*e2->get(*FieldRef::parse("[event][dataset]"))) == "x");
  auto e3 = build_one(s, R"({"message":"m","event":{"original":"kept"}})");
  CHECK(as_view(*e3->get(*FieldRef::parse("[event][original]"))) == "kept");
}

TEST_CASE("beats transform: without @metadata the 7.x input adds no ip_address", "[beats]") {
  TransformSettings s;
  auto e = build_one(s, R"({"message":"x"})");
  CHECK(meta_json(*e) == "{}");
  s.source_metadata = false;
  auto e2 = build_one(s, kFilebeat);
  CHECK(meta_json(*e2).find("ip_address") == std::string::npos);
}

TEST_CASE("beats transform: raw events (no message, no line)", "[beats]") {
  TransformSettings s;
  auto e = build_one(s, R"({"@timestamp":"2024-01-01T00:00:00.000Z","metricset":{"name":"cpu"},"@metadata":{"beat":"metricbeat"}})");
  const std::string json = e->to_json();
  CHECK(json.find(R"("tags":["custom","beats_input_raw_event"])") != std::string::npos);
  CHECK(json.find("beats_input_codec") == std::string::npos);
  CHECK(e->timestamp()->to_string() == "2024-01-01T00:00:00.000Z");
  // A null message is no message.
  auto e2 = build_one(s, R"({"message":null,"a":1})");
  CHECK(e2->has_tag("beats_input_raw_event"));
  // A raw event with a bad @timestamp follows core's rules.
  auto e3 = build_one(s, R"({"@timestamp":"yesterday","a":1})");
  CHECK(e3->has_tag("_timestampparsefailure"));
  CHECK(as_view(*e3->get(*FieldRef::parse("_@timestamp"))) == "yesterday");
}

TEST_CASE("beats transform: line (logstash-forwarder) and non-string messages", "[beats]") {
  TransformSettings s;
  auto e = build_one(s, R"({"line":"from lsf","file":"/var/log/x"})");
  CHECK(as_view(*e->get(*FieldRef::parse("message"))) == "from lsf");
  CHECK_FALSE(e->includes(*FieldRef::parse("line")));
  auto e2 = build_one(s, R"({"message":42})");
  CHECK(as_view(*e2->get(*FieldRef::parse("message"))) == "42");
}

TEST_CASE("beats transform: an unparseable @timestamp on the codec path is replaced, not tagged", "[beats]") {
  TransformSettings s;
  const auto before = Timestamp::now();
  auto e = build_one(s, R"({"@timestamp":"not a date","message":"x"})");
  CHECK_FALSE(e->has_tag("_timestampparsefailure"));
  CHECK(*e->timestamp() >= before);
  CHECK_FALSE(e->includes(*FieldRef::parse("_@timestamp")));
}

TEST_CASE("beats transform: add_hostname and codec tag switches", "[beats]") {
  TransformSettings s;
  s.add_hostname = true;
  s.codec_tag = false;
  auto e = build_one(s, R"({"message":"x","beat":{"hostname":"old-host"}})");
  CHECK(as_view(*e->get(*FieldRef::parse("host"))) == "old-host");
  CHECK(e->to_json().find(R"("tags":["custom"])") != std::string::npos);
  // An existing host is kept.
  auto e2 = build_one(s, R"({"message":"x","beat":{"hostname":"old-host"},"host":"h"})");
  CHECK(as_view(*e2->get(*FieldRef::parse("host"))) == "h");
}

TEST_CASE("beats transform: v1 key/value pairs and invalid payloads", "[beats]") {
  TransformSettings s;
  EventBuilder b(s, nullptr, "127.0.0.1");
  DecoratingContext ctx;
  std::vector<std::unique_ptr<Event>> out;
  std::string err;
  std::string payload;
  auto put = [&](std::string_view x) {
    const uint32_t n = static_cast<uint32_t>(x.size());
    payload += std::string{char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
    payload += x;
  };
  put("line");
  put("hello");
  put("file");
  put("/var/log/a");
  REQUIRE(b.build_pairs(payload, 2, ctx, out, &err));
  REQUIRE(out.size() == 1);
  CHECK(as_view(*out[0]->get(*FieldRef::parse("message"))) == "hello");
  CHECK(as_view(*out[0]->get(*FieldRef::parse("file"))) == "/var/log/a");

  out.clear();
  CHECK_FALSE(b.build_json("{\"message\":", ctx, out, &err));
  CHECK_FALSE(err.empty());
  CHECK(out.empty());
  CHECK_FALSE(b.build_json("[1,2]", ctx, out, &err));
  CHECK(err == "the JSON payload is not an object");
}
