// rubydebug: the exact bytes of every example of the reference (filters-codecs.md §6.6) and the
// scalar rules of §6.3. Events are built from JSON so that key order is the insertion order shown.
#include "event_test_util.hpp"
#include "event/ruby_format.hpp"
#include "plugins/codecs/rubydebug_format.hpp"
#include "sluice/event.hpp"
#include "sluice/registry.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace sluice;

namespace {

constexpr auto ev = &testutil::event_from_json;

std::string rd(const Event& e, bool metadata = false) {
  std::string out;
  codecs::append_rubydebug(e, metadata, out);
  return out;
}

std::string inspect(std::string_view s) {
  std::string out;
  ruby::append_inspect(s, out);
  return out;
}

std::string flo(double d) {
  std::string out;
  ruby::append_float(d, out);
  return out;
}

std::string ai_json(std::string_view json) {
  Document d;
  d.Parse(json.data(), json.size());
  REQUIRE(!d.HasParseError());
  std::string out;
  codecs::append_ai_value(d, out);
  return out;
}

}  // namespace

TEST_CASE("rubydebug E1: stdin line with ECS v8 fields", "[rubydebug]") {
  // Logstash 8+ prints microseconds; Sluice prints @timestamp in Logstash 7's millisecond form.
  auto e = ev(R"({"@timestamp":"2024-01-15T10:30:00.123456Z","@version":"1","message":"hello world",)"
              R"("host":{"hostname":"myhost"},"event":{"original":"hello world"}})");
  CHECK(rd(*e) ==
        "{\n"
        "    \"@timestamp\" => 2024-01-15T10:30:00.123Z,\n"
        "      \"@version\" => \"1\",\n"
        "       \"message\" => \"hello world\",\n"
        "          \"host\" => {\n"
        "        \"hostname\" => \"myhost\"\n"
        "    },\n"
        "         \"event\" => {\n"
        "        \"original\" => \"hello world\"\n"
        "    }\n"
        "}\n");
}

TEST_CASE("rubydebug E2: json filter result", "[rubydebug]") {
  auto e = ev(R"({"message":"{\"user\":\"alice\",\"age\":30,\"score\":9.5,\"admin\":false,\"tags\":[\"a\",\"b\"],\"meta\":{\"ip\":null}}",)"
              R"("@version":"1","@timestamp":"2024-01-15T10:30:00.000Z","user":"alice","age":30,"score":9.5,)"
              R"("admin":false,"tags":["a","b"],"meta":{"ip":null}})");
  CHECK(rd(*e) ==
        "{\n"
        "       \"message\" => \"{\\\"user\\\":\\\"alice\\\",\\\"age\\\":30,\\\"score\\\":9.5,\\\"admin\\\":false,"
        "\\\"tags\\\":[\\\"a\\\",\\\"b\\\"],\\\"meta\\\":{\\\"ip\\\":null}}\",\n"
        "      \"@version\" => \"1\",\n"
        "    \"@timestamp\" => 2024-01-15T10:30:00.000Z,\n"
        "          \"user\" => \"alice\",\n"
        "           \"age\" => 30,\n"
        "         \"score\" => 9.5,\n"
        "         \"admin\" => false,\n"
        "          \"tags\" => [\n"
        "        [0] \"a\",\n"
        "        [1] \"b\"\n"
        "    ],\n"
        "          \"meta\" => {\n"
        "        \"ip\" => nil\n"
        "    }\n"
        "}\n");
}

TEST_CASE("rubydebug E3: failed json parse", "[rubydebug]") {
  auto e = ev(R"({"message":"not json","@version":"1","@timestamp":"2024-01-15T10:30:00.000Z","tags":["_jsonparsefailure"]})");
  CHECK(rd(*e) ==
        "{\n"
        "       \"message\" => \"not json\",\n"
        "      \"@version\" => \"1\",\n"
        "    \"@timestamp\" => 2024-01-15T10:30:00.000Z,\n"
        "          \"tags\" => [\n"
        "        [0] \"_jsonparsefailure\"\n"
        "    ]\n"
        "}\n");
}

TEST_CASE("rubydebug E4: scalars and empty containers", "[rubydebug]") {
  auto e = ev(R"({"@timestamp":"2013-10-19T00:14:32.996Z","@version":"1","count":1234,"ratio":0.25,"enabled":true,)"
              R"("path":["usr","local","bin"],"empty_list":[],"empty_map":{},"nothing":null})");
  CHECK(rd(*e) ==
        "{\n"
        "    \"@timestamp\" => 2013-10-19T00:14:32.996Z,\n"
        "      \"@version\" => \"1\",\n"
        "         \"count\" => 1234,\n"
        "         \"ratio\" => 0.25,\n"
        "       \"enabled\" => true,\n"
        "          \"path\" => [\n"
        "        [0] \"usr\",\n"
        "        [1] \"local\",\n"
        "        [2] \"bin\"\n"
        "    ],\n"
        "    \"empty_list\" => [],\n"
        "     \"empty_map\" => {},\n"
        "       \"nothing\" => nil\n"
        "}\n");
}

TEST_CASE("rubydebug E5: metadata => true prints @metadata in Java HashMap order", "[rubydebug]") {
  auto e = ev(R"({"@timestamp":"2016-06-30T02:46:48.565Z","@version":"1","message":"asdf",)"
              R"("@metadata":{"test":"Hello","no_show":"This data will not be in the output"}})");
  CHECK(rd(*e, true) ==
        "{\n"
        "    \"@timestamp\" => 2016-06-30T02:46:48.565Z,\n"
        "     \"@metadata\" => {\n"
        "           \"test\" => \"Hello\",\n"
        "        \"no_show\" => \"This data will not be in the output\"\n"
        "    },\n"
        "      \"@version\" => \"1\",\n"
        "       \"message\" => \"asdf\"\n"
        "}\n");
  // Without the option, @metadata never prints and the order is insertion order.
  CHECK(rd(*e, false) ==
        "{\n"
        "    \"@timestamp\" => 2016-06-30T02:46:48.565Z,\n"
        "      \"@version\" => \"1\",\n"
        "       \"message\" => \"asdf\"\n"
        "}\n");
}

TEST_CASE("rubydebug: metadata => true with empty @metadata adds no key", "[rubydebug]") {
  auto e = ev(R"({"@timestamp":"2016-06-30T02:46:48.565Z","@version":"1","message":"asdf"})");
  CHECK(rd(*e, true).find("@metadata") == std::string::npos);
}

TEST_CASE("rubydebug E6: nesting and string escapes", "[rubydebug]") {
  auto e = ev(R"({"@timestamp":"2024-01-15T10:30:00.000Z","@version":"1",)"
              R"("records":[{"id":1,"name":"x"},{"id":2,"labels":["p","q"]}],"matrix":[[1,2],[3]],)"
              R"("text":"line1\nline2\t\"quoted\" back\\slash é 日本"})");
  CHECK(rd(*e) ==
        "{\n"
        "    \"@timestamp\" => 2024-01-15T10:30:00.000Z,\n"
        "      \"@version\" => \"1\",\n"
        "       \"records\" => [\n"
        "        [0] {\n"
        "              \"id\" => 1,\n"
        "            \"name\" => \"x\"\n"
        "        },\n"
        "        [1] {\n"
        "                \"id\" => 2,\n"
        "            \"labels\" => [\n"
        "                [0] \"p\",\n"
        "                [1] \"q\"\n"
        "            ]\n"
        "        }\n"
        "    ],\n"
        "        \"matrix\" => [\n"
        "        [0] [\n"
        "            [0] 1,\n"
        "            [1] 2\n"
        "        ],\n"
        "        [1] [\n"
        "            [0] 3\n"
        "        ]\n"
        "    ],\n"
        "          \"text\" => \"line1\\nline2\\t\\\"quoted\\\" back\\\\slash é 日本\"\n"
        "}\n");
}

TEST_CASE("rubydebug E7: index width with 12 elements", "[rubydebug]") {
  auto e = ev(R"({"@timestamp":"2024-01-15T10:30:00.000Z","@version":"1",)"
              R"("seq":["v1","v2","v3","v4","v5","v6","v7","v8","v9","v10","v11","v12"]})");
  CHECK(rd(*e) ==
        "{\n"
        "    \"@timestamp\" => 2024-01-15T10:30:00.000Z,\n"
        "      \"@version\" => \"1\",\n"
        "           \"seq\" => [\n"
        "        [ 0] \"v1\",\n"
        "        [ 1] \"v2\",\n"
        "        [ 2] \"v3\",\n"
        "        [ 3] \"v4\",\n"
        "        [ 4] \"v5\",\n"
        "        [ 5] \"v6\",\n"
        "        [ 6] \"v7\",\n"
        "        [ 7] \"v8\",\n"
        "        [ 8] \"v9\",\n"
        "        [ 9] \"v10\",\n"
        "        [10] \"v11\",\n"
        "        [11] \"v12\"\n"
        "    ]\n"
        "}\n");
}

TEST_CASE("rubydebug E8: alignment is per map", "[rubydebug]") {
  CHECK(ai_json(R"({"a":{"b":{"c":1}},"tags":["x","y"],"n":null,"t":true,"f":false,"fl":1.5,"small":1.0e-05,)"
                R"("e":[],"h":{}})") ==
        "{\n"
        "        \"a\" => {\n"
        "        \"b\" => {\n"
        "            \"c\" => 1\n"
        "        }\n"
        "    },\n"
        "     \"tags\" => [\n"
        "        [0] \"x\",\n"
        "        [1] \"y\"\n"
        "    ],\n"
        "        \"n\" => nil,\n"
        "        \"t\" => true,\n"
        "        \"f\" => false,\n"
        "       \"fl\" => 1.5,\n"
        "    \"small\" => 1.0e-05,\n"
        "        \"e\" => [],\n"
        "        \"h\" => {}\n"
        "}");
  CHECK(ai_json(R"({"k":"v"})") == "{\n    \"k\" => \"v\"\n}");
}

TEST_CASE("rubydebug: key width counts characters of the escaped key", "[rubydebug]") {
  CHECK(ai_json(R"({"a\nb":1,"日本":2})") ==
        "{\n"
        "    \"a\\nb\" => 1,\n"
        "      \"日本\" => 2\n"
        "}");
}

TEST_CASE("rubydebug §6.3: String#inspect", "[rubydebug]") {
  CHECK(inspect("plain") == "\"plain\"");
  CHECK(inspect("q\"b\\") == "\"q\\\"b\\\\\"");
  CHECK(inspect("\n\t\r\f\v\b\a\x1b") == "\"\\n\\t\\r\\f\\v\\b\\a\\e\"");
  CHECK(inspect(std::string_view("\0\x01\x1f", 3)) == "\"\\u0000\\u0001\\u001F\"");
  CHECK(inspect("\x7f") == "\"\\u007F\"");
  CHECK(inspect("\xc2\x80\xc2\x9f") == "\"\\u0080\\u009F\"");  // C1 controls
  CHECK(inspect("\xc2\x85") == "\"\xc2\x85\"");               // NEL stays raw
  CHECK(inspect("\xe2\x80\xa8\xe2\x80\xa9") == "\"\\u2028\\u2029\"");
  CHECK(inspect("\xf4\x8f\xbf\xbf") == "\"\\u{10FFFF}\"");  // a noncharacter, astral
  CHECK(inspect("#{x} #$y #@z #a") == "\"\\#{x} \\#$y \\#@z #a\"");
  CHECK(inspect("é 日本 😀 \xc2\xa0 \xe2\x80\x8b \xef\xbb\xbf \xee\x80\x80") ==
        "\"é 日本 😀 \xc2\xa0 \xe2\x80\x8b \xef\xbb\xbf \xee\x80\x80\"");
  CHECK(inspect("a\xff" "b") == "\"a\\xFFb\"");
  CHECK(inspect("\xe6\x97") == "\"\\xE6\\x97\"");  // truncated sequence: byte by byte
  CHECK(inspect("") == "\"\"");
}

TEST_CASE("rubydebug §6.3: Float#inspect", "[rubydebug]") {
  CHECK(flo(1.0) == "1.0");
  CHECK(flo(100.0) == "100.0");
  CHECK(flo(-0.0) == "-0.0");
  CHECK(flo(0.0) == "0.0");
  CHECK(flo(1.5) == "1.5");
  CHECK(flo(0.25) == "0.25");
  CHECK(flo(-3.14) == "-3.14");
  CHECK(flo(0.0001) == "0.0001");
  CHECK(flo(1e-5) == "1.0e-05");
  CHECK(flo(-1e-5) == "-1.0e-05");
  CHECK(flo(1.5e-7) == "1.5e-07");
  CHECK(flo(12345678.9) == "12345678.9");
  CHECK(flo(1e15) == "1000000000000000.0");
  CHECK(flo(1e16) == "1.0e+16");
  CHECK(flo(1e20) == "1.0e+20");
  CHECK(flo(1.2345e100) == "1.2345e+100");
  CHECK(flo(0.1 + 0.2) == "0.30000000000000004");
  CHECK(flo(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(flo(-std::numeric_limits<double>::infinity()) == "-Infinity");
  CHECK(flo(std::nan("")) == "NaN");
}

TEST_CASE("rubydebug §6.3: integers, booleans, nil, timestamp", "[rubydebug]") {
  CHECK(ai_json(R"({"i":-3,"big":18446744073709551615,"min":-9223372036854775808,"t":true,"f":false,"n":null})") ==
        "{\n"
        "      \"i\" => -3,\n"
        "    \"big\" => 18446744073709551615,\n"
        "    \"min\" => -9223372036854775808,\n"
        "      \"t\" => true,\n"
        "      \"f\" => false,\n"
        "      \"n\" => nil\n"
        "}");
  // Only the event's own @timestamp is a Timestamp: a nested "@timestamp" string stays quoted.
  auto e = ev(R"({"@timestamp":"2024-01-15T10:30:00.000Z","@version":"1","x":{"@timestamp":"s"}})");
  CHECK(rd(*e).find("\"@timestamp\" => \"s\"") != std::string::npos);
}

TEST_CASE("rubydebug: Java String.hashCode", "[rubydebug]") {
  CHECK(codecs::java_string_hash("") == 0);
  CHECK(codecs::java_string_hash("a") == 97);
  CHECK(codecs::java_string_hash("hello") == 99162322);
  CHECK(codecs::java_string_hash("\xf0\x9f\x98\x80") == 0xD83D * 31 + 0xDE00);
}

TEST_CASE("rubydebug codec through the registry", "[rubydebug]") {
  const RegistryEntry* entry = Registry::builtin().find(PluginKind::Codec, "rubydebug");
  REQUIRE(entry);
  PluginConfig cfg;
  cfg.plugin_name = "rubydebug";
  cfg.kind = PluginKind::Codec;
  cfg.values["metadata"] = ConfigValue::make_bool(false);
  auto plugin = entry->factory(cfg);
  auto* codec = dynamic_cast<Codec*>(plugin.get());
  REQUIRE(codec);
  auto e = ev(R"({"@timestamp":"2024-01-15T10:30:00.000Z","@version":"1","message":"hi"})");
  std::string out;
  codec->encode(*e, out);
  codec->encode(*e, out);
  const std::string one =
      "{\n"
      "    \"@timestamp\" => 2024-01-15T10:30:00.000Z,\n"
      "      \"@version\" => \"1\",\n"
      "       \"message\" => \"hi\"\n"
      "}\n";
  CHECK(out == one + one);
}
