// The json filter: every vector of logstash-filter-json's spec/filters/json_spec.rb (reference
// §3.4, J-*) and the derived vectors (§3.5, JD-*).
#include "filter_test_helpers.hpp"

#include "sluice/schema.hpp"

using namespace filter_test;
using sluice::FilterStatus;

namespace {
Harness json(Opts opts) { return make_filter("json", std::move(opts)); }
Harness json_msg(Opts extra = {}) {
  extra.emplace_back("source", S("message"));
  return json(std::move(extra));
}
}  // namespace

TEST_CASE("json schema: every option is described; source is required", "[filter][json]") {
  const auto* entry = sluice::Registry::builtin().find(sluice::PluginKind::Filter, "json");
  REQUIRE(entry != nullptr);
  for (const auto& o : entry->schema.options) {
    INFO(o.name);
    CHECK_FALSE(o.description.empty());
  }
  REQUIRE(entry->schema.find("source") != nullptr);
  CHECK(entry->schema.find("source")->required);
  REQUIRE(entry->schema.find("tag_on_failure") != nullptr);
  CHECK(entry->schema.find("tag_on_failure")->default_value->to_display() == R"(["_jsonparsefailure"])");
}

TEST_CASE("J-1 parse message into the event", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"{ \"hello\": \"world\", \"list\": [ 1, 2, 3 ], \"hash\": { \"k\": \"v\" } }"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "hello") == R"("world")");
  CHECK(field(*e, "list") == "[1,2,3]");
  CHECK(field(*e, "hash") == R"({"k":"v"})");
  CHECK(field(*e, "tags") == "<missing>");
}

TEST_CASE("J-2 parse into a target", "[filter][json]") {
  auto f = json_msg({{"target", S("data")}});
  auto e = ev(R"({"message":"{ \"hello\": \"world\", \"list\": [ 1, 2, 3 ], \"hash\": { \"k\": \"v\" } }"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "data") == R"({"hello":"world","list":[1,2,3],"hash":{"k":"v"}})");
  CHECK(field(*e, "hello") == "<missing>");
}

TEST_CASE("J-3 invalid json with custom failure tags", "[filter][json]") {
  auto f = json_msg({{"target", S("data")}, {"tag_on_failure", SA({"_jsonparsefailure", "_custom_failure_tag"})}});
  auto e = ev(R"({"message":"invalid json"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure","_custom_failure_tag"])");
  CHECK(field(*e, "data") == "<missing>");
}

TEST_CASE("J-4 J-5 unsupported field reference keys", "[filter][json]") {
  const char* msg = R"({"message":"{\"okay\":true, \"un[sup]]ported\": \"foo\", \"another\": \"okay\"}"})";
  auto tags = SA({"_jsonparsefailure", "_custom_failure_tag"});
  // With a target the map is stored as-is (Logstash 8.3+): keys are not field references.
  auto f = json_msg({{"target", S("data")}, {"tag_on_failure", tags}});
  auto e = ev(msg);
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "data") == R"({"okay":true,"un[sup]]ported":"foo","another":"okay"})");
  // Without a target the key is a field reference: failure, partial application in document order.
  f = json_msg({{"tag_on_failure", tags}});
  e = ev(msg);
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure","_custom_failure_tag"])");
  CHECK(field(*e, "okay") == "true");
  CHECK(field(*e, "another") == "<missing>");
}

TEST_CASE("J-6 J-12 @timestamp from the JSON", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"{ \"@timestamp\": \"2013-10-19T00:14:32.996Z\" }"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  REQUIRE(e->timestamp().has_value());
  CHECK(e->timestamp()->to_string() == "2013-10-19T00:14:32.996Z");
  CHECK(field(*e, "@timestamp") == R"("2013-10-19T00:14:32.996Z")");

  e = ev(R"({"message":"{\"foo\":\"bar\", \"@timestamp\":\"2015-12-02T17:40:00.666Z\"}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "@timestamp") == R"("2015-12-02T17:40:00.666Z")");
  CHECK(field(*e, "foo") == R"("bar")");
  CHECK(field(*e, "tags") == "<missing>");
}

TEST_CASE("J-7 source equals target", "[filter][json]") {
  auto f = json({{"source", S("example")}, {"target", S("example")}});
  auto e = ev(R"({"example":"{ \"hello\": \"world\" }"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "example") == R"({"hello":"world"})");
}

TEST_CASE("J-8 array into target", "[filter][json]") {
  auto f = json_msg({{"target", S("data")}});
  auto e = ev(R"({"message":"[ { \"k\": \"v\" }, { \"l\": [1, 2, 3] } ]"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "data") == R"([{"k":"v"},{"l":[1,2,3]}])");
}

TEST_CASE("J-9 J-10 not JSON: default tag, existing tags kept", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"random_message"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
  CHECK(field(*e, "message") == R"("random_message")");
  e = ev(R"({"message":"random_message","tags":["_anotherkinfoffailure"]})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_anotherkinfoffailure","_jsonparsefailure"])");
}

TEST_CASE("J-11 array without target fails", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"[1, 2, 3]"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
}

TEST_CASE("J-13 invalid @timestamp", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"@timestamp":"2000-01-01T00:00:00.000Z","message":"{\"foo\":\"bar\", \"@timestamp\":\"foobar\"}"})");
  const auto before = sluice::Timestamp::now();
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "tags") == R"(["_timestampparsefailure"])");
  CHECK(field(*e, "_@timestamp") == R"("foobar")");
  CHECK(field(*e, "foo") == R"("bar")");
  REQUIRE(e->timestamp().has_value());
  CHECK(e->timestamp()->ns >= before.ns - 1'000'000'000);
}

TEST_CASE("J-14 J-15 ECS v1 with and without target", "[filter][json]") {
  auto f = json_msg({{"ecs_compatibility", S("v1")}});
  f.filter->start();
  auto e = ev(R"({"message":" { \"foo\": \"bar\" } "})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "foo") == R"("bar")");
  f = json_msg({{"ecs_compatibility", S("v1")}, {"target", S("[baz]")}});
  e = ev(R"({"message":" { \"foo\": \"bar\" } "})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "baz") == R"({"foo":"bar"})");
  CHECK(field(*e, "foo") == "<missing>");
}

TEST_CASE("J-16 J-17 skip_on_invalid_json; remove_field not applied on failure", "[filter][json]") {
  auto f = json_msg({{"remove_field", SA({"message"})}, {"skip_on_invalid_json", B(false)}});
  auto e = ev(R"({"message":"this is not a json message"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "message") == R"("this is not a json message")");
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
  f = json_msg({{"remove_field", SA({"message"})}, {"skip_on_invalid_json", B(true)}});
  e = ev(R"({"message":"this is not a json message"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "message") == R"("this is not a json message")");
  CHECK(field(*e, "tags") == "<missing>");
}

TEST_CASE("JD-1 JD-2 missing, null or false source: no tag, no decorations", "[filter][json]") {
  auto f = json_msg({{"add_tag", SA({"x"})}});
  for (const char* in : {R"({"other":1})", R"({"message":null})", R"({"message":false})"}) {
    auto e = ev(in);
    CHECK(f.run(*e) == FilterStatus::Failure);
    CHECK(field(*e, "tags") == "<missing>");
  }
}

TEST_CASE("JD-3 JD-4 non-string source is a parse error", "[filter][json]") {
  auto f = json_msg();
  for (const char* in : {R"({"message":5})", R"({"message":true})", R"({"message":{"a":1}})", R"({"message":["{}"]})"}) {
    auto e = ev(in);
    CHECK(f.run(*e) == FilterStatus::Failure);
    CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
  }
  auto skip = json_msg({{"skip_on_invalid_json", B(true)}});
  auto e = ev(R"({"message":5})");
  CHECK(skip.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == "<missing>");
  CHECK(field(*e, "message") == "5");
}

TEST_CASE("JD-5 empty, blank and null text without target fail even when skipping", "[filter][json]") {
  for (bool skip : {false, true}) {
    auto f = json_msg({{"skip_on_invalid_json", B(skip)}});
    for (const char* in : {R"({"message":""})", R"({"message":"  "})", R"({"message":"null"})"}) {
      auto e = ev(in);
      CHECK(f.run(*e) == FilterStatus::Failure);
      CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
    }
  }
}

TEST_CASE("JD-6 JD-7 scalars and null into a target", "[filter][json]") {
  auto f = json_msg({{"target", S("t")}, {"add_tag", SA({"ok"})}});
  auto run = [&](std::string_view in) {
    auto e = ev(in);
    CHECK(f.run(*e) == FilterStatus::Success);
    CHECK(field(*e, "tags") == R"(["ok"])");
    return field(*e, "t");
  };
  CHECK(run(R"({"message":""})") == "null");
  CHECK(run(R"({"message":"\"str\""})") == R"("str")");
  CHECK(run(R"({"message":"42"})") == "42");
  CHECK(run(R"({"message":"true"})") == "true");
}

TEST_CASE("JD-8 string without target fails", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"\"str\""})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
}

TEST_CASE("JD-9 JD-10 nested target; target below a scalar fails", "[filter][json]") {
  auto f = json_msg({{"target", S("[a][b]")}});
  auto e = ev(R"({"message":"{\"x\":1}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "a") == R"({"b":{"x":1}})");
  e = ev(R"({"message":"{\"x\":1}","a":"scalar"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
  CHECK(field(*e, "a") == R"("scalar")");
}

TEST_CASE("JD-11 duplicate keys: last value at the first position", "[filter][json]") {
  auto f = json_msg({{"target", S("t")}});
  auto e = ev(R"({"message":"{\"a\":1,\"b\":2,\"a\":3}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "t") == R"({"a":3,"b":2})");
  // Many keys (hash-based duplicate detection).
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\\\"k" + std::to_string(i) + "\\\":" + std::to_string(i) + ",";
  big += "\\\"k5\\\":\\\"last\\\"}";
  e = ev(R"({"message":")" + big + "\"}");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "[t][k5]") == R"("last")");
  CHECK(e->get(ref("t"))->MemberCount() == 40);
  CHECK(sluice::as_view(e->get(ref("t"))->MemberBegin()[5].name) == "k5");
}

TEST_CASE("JD-12 numbers: integers exact, fractions as doubles", "[filter][json]") {
  auto f = json_msg({{"target", S("t")}});
  auto e = ev(R"({"message":"{\"i\":9223372036854775807,\"n\":-12,\"u\":18446744073709551615,\"f\":1.10,\"e\":1e2,\"z\":0.5}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "[t][i]") == "9223372036854775807");
  CHECK(field(*e, "[t][n]") == "-12");
  CHECK(field(*e, "[t][u]") == "18446744073709551615");
  CHECK(field(*e, "[t][f]") == "1.1");
  CHECK(field(*e, "[t][e]") == "100.0");
  CHECK(field(*e, "[t][z]") == "0.5");
}

TEST_CASE("JD-13 unicode escapes and surrogate pairs", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"{\"s\":\"caf\\u00e9 \\ud83d\\udc96\"}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "s") == "\"caf\xC3\xA9 \xF0\x9F\x92\x96\"");
}

TEST_CASE("JD-14 JD-15 keys are field references only without target", "[filter][json]") {
  auto e = ev(R"({"message":"{\"[a][b]\":1}"})");
  auto f = json_msg();
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "a") == R"({"b":1})");
  e = ev(R"({"message":"{\"[a][b]\":1}"})");
  auto t = json_msg({{"target", S("t")}});
  CHECK(t.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "t") == R"({"[a][b]":1})");
}

TEST_CASE("JD-16 JD-17 JD-18 @timestamp variants", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"{\"@timestamp\":1449078000}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "tags") == R"(["_timestampparsefailure"])");
  CHECK(field(*e, "_@timestamp") == R"("1449078000")");

  e = ev(R"({"message":"{\"@timestamp\":\"2014-09-23T12:34:56-0800\"}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "@timestamp") == R"("2014-09-23T20:34:56.000Z")");
  CHECK(field(*e, "tags") == "<missing>");

  e = ev(R"({"@timestamp":"2001-01-01T00:00:00.000Z","message":"{\"@timestamp\":null,\"a\":1}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "@timestamp") == R"("2001-01-01T00:00:00.000Z")");
  CHECK(field(*e, "tags") == "<missing>");

  auto t = json_msg({{"target", S("t")}});
  e = ev(R"({"message":"{\"@timestamp\":\"x\"}"})");
  CHECK(t.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "t") == R"({"@timestamp":"x"})");
  CHECK(field(*e, "tags") == "<missing>");
}

TEST_CASE("JD-19 @metadata in the JSON replaces the metadata", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"@metadata":{"old":1},"message":"{\"@metadata\":{\"k\":\"v\"}}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(metadata(*e) == R"({"k":"v"})");
  CHECK(field(*e, "@metadata") == R"({"k":"v"})");
}

TEST_CASE("JD-20 the source field can be overwritten", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"{\"message\":\"inner\",\"x\":1}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "message") == R"("inner")");
  CHECK(field(*e, "x") == "1");
}

TEST_CASE("JD-21 tag_on_failure => [] adds no tag", "[filter][json]") {
  auto f = json_msg({{"tag_on_failure", A({})}});
  auto e = ev(R"({"message":"nope"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == "<missing>");
}

TEST_CASE("JD-22 several root values: the last wins", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"message":"{\"a\":1} {\"b\":2}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "b") == "2");
  CHECK(field(*e, "a") == "<missing>");
}

TEST_CASE("JD-23 empty object: success, decorations applied", "[filter][json]") {
  auto f = json_msg({{"add_field", HS({{"parsed", "yes"}})}});
  auto e = ev(R"({"message":"{}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "parsed") == R"("yes")");
}

TEST_CASE("Jackson parse errors", "[filter][json]") {
  auto f = json_msg({{"target", S("t")}});
  for (const char* bad : {R"({"a":1}x)", R"(01)", R"(1x)", R"(truex)", R"({'a':1})", R"(NaN)", R"([1,])",
                          R"({"a":1,})", R"(/* c */ {})", "{\"a\":\"\x01\"}", "\"\xC3\x28\"", "{\"a\":1"}) {
    INFO(bad);
    auto e = sluice::Event::from_json("{}", nullptr);
    (void)e->set_string(ref("message"), bad);
    CHECK(f.run(*e) == FilterStatus::Failure);
    CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
    CHECK(field(*e, "t") == "<missing>");
  }
}

TEST_CASE("nesting deeper than 1000 levels is a parse error", "[filter][json]") {
  auto f = json_msg({{"target", S("t")}});
  auto e = sluice::Event::from_json("{}", nullptr);
  (void)e->set_string(ref("message"), std::string(100000, '['));
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
  e = sluice::Event::from_json("{}", nullptr);
  (void)e->set_string(ref("message"), std::string(900, '[') + std::string(900, ']'));
  CHECK(f.run(*e) == FilterStatus::Success);
}

TEST_CASE("tags from the JSON replace the event's; an illegal tags value fails", "[filter][json]") {
  auto f = json_msg();
  auto e = ev(R"({"tags":["old"],"message":"{\"tags\":\"x\"}"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "tags") == R"("x")");
  e = ev(R"({"message":"{\"tags\":{\"a\":1}}"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_jsonparsefailure"])");
}

TEST_CASE("invalid source or target field reference is a configuration error", "[filter][json]") {
  CHECK_THROWS_AS(json({{"source", S("foo[bar]")}}), sluice::PluginConfigError);
  CHECK_THROWS_AS(json({{"source", S("message")}, {"target", S("[a")}}), sluice::PluginConfigError);
}
