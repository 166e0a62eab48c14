// Codecs: decode (chunking, delimiters, invalid JSON, arrays, charset) and encode of every codec,
// plus the stdout output's bytes on fd 1.
#include "event_test_util.hpp"
#include "plugin_test_util.hpp"
#include "plugins/codecs/codec_support.hpp"

#include <unistd.h>

using namespace sluice;
using namespace sluice::testutil;

namespace {

std::vector<std::unique_ptr<Event>> decode(Codec& c, std::initializer_list<std::string_view> chunks, bool flush = true) {
  std::vector<std::unique_ptr<Event>> out;
  Codec::Sink sink = [&](std::unique_ptr<Event> e) { out.push_back(std::move(e)); };
  for (auto ch : chunks) c.decode(ch, sink);
  if (flush) c.flush(sink);
  return out;
}

std::vector<std::string> messages(const std::vector<std::unique_ptr<Event>>& evs) {
  std::vector<std::string> out;
  for (auto& e : evs) out.push_back(field(*e, "message"));
  return out;
}

constexpr auto ev = &testutil::event_from_json;

std::string encode(Codec& c, const Event& e) {
  std::string out;
  c.encode(e, out);
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("line codec: partial lines wait for the next chunk; flush emits the rest", "[codec][line]") {
  auto c = codec("line");
  auto evs = decode(*c, {"hel", "lo\nwor", "ld\n", "tail"});
  CHECK(messages(evs) == V{"hello", "world", "tail"});
  CHECK(field(*evs[0], "@version") == "1");
}

TEST_CASE("line codec: no event for an empty remainder; empty lines are events", "[codec][line]") {
  auto c = codec("line");
  CHECK(messages(decode(*c, {"a\n\nb\n"})) == V{"a", "", "b"});
}

TEST_CASE("line codec: CRLF keeps the \\r, as Logstash", "[codec][line]") {
  auto c = codec("line");
  CHECK(messages(decode(*c, {"a\r\nb\r\n"})) == V{"a\r", "b\r"});
}

TEST_CASE("line codec: custom and multi-byte delimiters, straddling chunks", "[codec][line]") {
  auto c = codec("line", {{"delimiter", str("|")}});
  CHECK(messages(decode(*c, {"a|b", "|c"})) == V{"a", "b", "c"});
  auto c2 = codec("line", {{"delimiter", str("\r\n")}});
  CHECK(messages(decode(*c2, {"one\r", "\ntwo\r\nthr", "ee"})) == V{"one", "two", "three"});
}

TEST_CASE("line codec: invalid UTF-8 becomes its escaped form; ISO-8859-1 converts", "[codec][line]") {
  auto c = codec("line");
  CHECK(messages(decode(*c, {"a\xff" "b\n"})) == V{"a\\xFFb"});
  auto l1 = codec("line", {{"charset", str("ISO-8859-1")}});
  CHECK(messages(decode(*l1, {"caf\xe9\n"})) == V{"café"});
  CHECK_THROWS_AS(codec("line", {{"charset", str("EBCDIC-XYZ")}}), PluginConfigError);
}

TEST_CASE("line codec: ECS v1 adds [event][original]", "[codec][line]") {
  auto c = codec("line", {{"ecs_compatibility", str("v8")}});
  auto evs = decode(*c, {"x\n"});
  REQUIRE(evs.size() == 1);
  CHECK(field(*evs[0], "[event][original]") == "x");
}

TEST_CASE("plain codec: the whole chunk is one message", "[codec][plain]") {
  auto c = codec("plain");
  CHECK(messages(decode(*c, {"a\nb\n", "c"})) == V{"a\nb\n", "c"});
}

TEST_CASE("json codec: object, array, blank, invalid", "[codec][json]") {
  auto c = codec("json");
  auto evs = decode(*c, {R"({"a":1,"b":{"c":"d"}})"});
  REQUIRE(evs.size() == 1);
  CHECK(field(*evs[0], "a") == "1");
  CHECK(field(*evs[0], "[b][c]") == "d");
  CHECK(!evs[0]->has_tag("_jsonparsefailure"));

  evs = decode(*c, {R"([{"n":1},{"n":2}])"});
  REQUIRE(evs.size() == 2);
  CHECK(field(*evs[0], "n") == "1");
  CHECK(field(*evs[1], "n") == "2");
  CHECK(field(*evs[1], "@version") == "1");

  CHECK(decode(*c, {"  \n"}).empty());

  for (std::string_view bad : {"not json", "{\"a\":", "123", "\"str\"", "[1,2]", "[{\"a\":1},3]"}) {
    INFO(bad);
    evs = decode(*c, {bad});
    REQUIRE(evs.size() == 1);
    CHECK(field(*evs[0], "message") == std::string(bad));
    CHECK(evs[0]->has_tag("_jsonparsefailure"));
  }
}

TEST_CASE("json codec: @timestamp from the document; target; ECS original", "[codec][json]") {
  auto c = codec("json");
  auto evs = decode(*c, {R"({"@timestamp":"2015-12-07T11:37:00.000Z","m":"x"})"});
  REQUIRE(evs.size() == 1);
  CHECK(evs[0]->data()["@timestamp"].GetString() == std::string("2015-12-07T11:37:00.000Z"));

  auto t = codec("json", {{"target", str("[doc]")}});
  evs = decode(*t, {R"({"a":1})"});
  REQUIRE(evs.size() == 1);
  CHECK(field(*evs[0], "[doc][a]") == "1");

  auto v1 = codec("json", {{"ecs_compatibility", str("v1")}});
  evs = decode(*v1, {R"({"a":1})"});
  REQUIRE(evs.size() == 1);
  CHECK(field(*evs[0], "[event][original]") == R"({"a":1})");
}

TEST_CASE("json_lines codec: lines across chunks, invalid line tagged, flush", "[codec][json_lines]") {
  auto c = codec("json_lines");
  auto evs = decode(*c, {"{\"a\":1}\n{\"a\"", ":2}\nbroken\n\n[{\"a\":3},{\"a\":4}]\n{\"a\":5}"});
  REQUIRE(evs.size() == 6);
  CHECK(field(*evs[0], "a") == "1");
  CHECK(field(*evs[1], "a") == "2");
  CHECK(field(*evs[2], "message") == "broken");
  CHECK(evs[2]->has_tag("_jsonparsefailure"));
  CHECK(field(*evs[3], "a") == "3");
  CHECK(field(*evs[4], "a") == "4");
  CHECK(field(*evs[5], "a") == "5");  // from flush
}

TEST_CASE("json_lines codec: decode_size_limit_bytes", "[codec][json_lines]") {
  auto c = codec("json_lines", {{"decode_size_limit_bytes", num(8)}});
  auto evs = decode(*c, {"{\"a\":1}\n0123456789", "abcdef\n{\"b\":2}\n"});
  REQUIRE(evs.size() == 3);
  CHECK(field(*evs[0], "a") == "1");
  CHECK(field(*evs[1], "message") == "01234567");
  CHECK(evs[1]->has_tag("_jsonparsetoobigfailure"));
  CHECK(field(*evs[2], "b") == "2");
}

TEST_CASE("json_lines codec: an over-long line's tail is skipped even when a multi-byte delimiter straddles reads",
          "[codec][json_lines]") {
  auto c = codec("json_lines", {{"decode_size_limit_bytes", num(8)}, {"delimiter", str("||")}});
  auto evs = decode(*c, {"0123456789ab", "cdef|", "|{\"b\":2}||"});
  REQUIRE(evs.size() == 2);
  CHECK(field(*evs[0], "message") == "01234567");
  CHECK(evs[0]->has_tag("_jsonparsetoobigfailure"));
  CHECK(field(*evs[1], "b") == "2");
}

TEST_CASE("line codec: decode_size_limit_bytes cuts an endless line, then decoding goes on", "[codec][line]") {
  const auto* entry = Registry::builtin().find(PluginKind::Codec, "line");
  REQUIRE(entry != nullptr);
  REQUIRE(entry->schema.find("decode_size_limit_bytes") != nullptr);
  CHECK(entry->schema.find("decode_size_limit_bytes")->default_value->integer == (int64_t{16} << 20));
  auto c = codec("line", {{"decode_size_limit_bytes", num(10)}});
  // 1 MiB without a delimiter, fed in 4 KiB reads: the codec holds at most the limit plus one read.
  std::vector<std::string> chunks{"short\n"};
  for (int i = 0; i < 256; ++i) chunks.push_back(std::string(4096, 'x'));
  chunks.push_back("tail\nnext line\n");
  std::vector<std::unique_ptr<Event>> evs;
  Codec::Sink sink = [&](std::unique_ptr<Event> e) { evs.push_back(std::move(e)); };
  for (const auto& ch : chunks) c->decode(ch, sink);
  c->flush(sink);
  REQUIRE(evs.size() == 3);
  CHECK(field(*evs[0], "message") == "short");
  CHECK(field(*evs[1], "message") == "xxxxxxxxxx");
  CHECK(evs[1]->has_tag("_linetoobigfailure"));
  CHECK(field(*evs[2], "message") == "next line");
  CHECK_FALSE(evs[2]->has_tag("_linetoobigfailure"));
}

TEST_CASE("encode: json has no delimiter, json_lines ends with it", "[codec][encode]") {
  auto e = ev(R"({"@timestamp":"2015-12-07T11:37:00.000Z","@version":"1","foo":"bar","baz":{"bah":["a","b","c"]}})");
  const std::string j = R"({"@timestamp":"2015-12-07T11:37:00.000Z","@version":"1","foo":"bar","baz":{"bah":["a","b","c"]}})";
  auto json = codec("json");
  CHECK(encode(*json, *e) == j);
  auto jl = codec("json_lines");
  CHECK(encode(*jl, *e) == j + "\n");
  auto jlp = codec("json_lines", {{"delimiter", str("|")}});
  CHECK(encode(*jlp, *e) == j + "|");
}

TEST_CASE("encode: @metadata never in JSON; json_lines round trip", "[codec][encode]") {
  auto e = ev(R"({"@timestamp":"2015-12-07T11:37:00.000Z","@version":"1","m":"x\ny","@metadata":{"s":1}})");
  auto jl = codec("json_lines");
  std::string text = encode(*jl, *e);
  CHECK(text.find("@metadata") == std::string::npos);
  auto evs = decode(*jl, {text});
  REQUIRE(evs.size() == 1);
  CHECK(encode(*jl, *evs[0]) == text);
}

TEST_CASE("encode: line and plain, with and without format", "[codec][encode]") {
  auto e = ev(R"({"@timestamp":"2024-01-15T10:30:00.123Z","@version":"1","message":"hello world","host":"test"})");
  CHECK(encode(*codec("line"), *e) == "2024-01-15T10:30:00.123Z test hello world\n");
  CHECK(encode(*codec("line", {{"format", str("%{host}")}}), *e) == "test\n");
  CHECK(encode(*codec("line", {{"delimiter", str("|")}}), *e) == "2024-01-15T10:30:00.123Z test hello world|");
  CHECK(encode(*codec("plain"), *e) == "2024-01-15T10:30:00.123Z test hello world");

  auto nohost = ev(R"({"@timestamp":"2024-01-15T10:30:00.123Z","message":"Hello World."})");
  CHECK(encode(*codec("plain"), *nohost) == "2024-01-15T10:30:00.123Z %{host} Hello World.");
  auto nothing = ev(R"({"@timestamp":"2024-01-15T10:30:00.123Z"})");
  CHECK(encode(*codec("line"), *nothing) == "2024-01-15T10:30:00.123Z %{host} %{message}\n");

  auto nested = ev(R"({"hello":"world","something":{"fancy":123}})");
  CHECK(encode(*codec("plain", {{"format", str("%{[hello]} %{[something][fancy]}")}}), *nested) == "world 123");

  auto maphost = ev(R"({"@timestamp":"2024-01-15T10:30:00.123Z","host":{"hostname":"h","ip":["a","b"]},"message":"m"})");
  CHECK(encode(*codec("line"), *maphost) == "2024-01-15T10:30:00.123Z {hostname=h, ip=[a, b]} m\n");
}

TEST_CASE("encode: dots", "[codec][encode]") {
  auto e = ev(R"({"message":"x"})");
  auto d = codec("dots");
  std::string out;
  d->encode(*e, out);
  d->encode(*e, out);
  CHECK(out == "..");
}

TEST_CASE("streaming switch: plain -> line, json -> json_lines", "[codec]") {
  auto line = codecs::streaming_codec(codec("plain"));
  CHECK(messages(decode(*line, {"a\nb"})) == V{"a", "b"});
  auto jl = codecs::streaming_codec(codec("json"));
  CHECK(decode(*jl, {"{\"a\":1}\n{\"a\":2}\n"}).size() == 2);
  auto keep = codecs::streaming_codec(codec("json_lines"));
  CHECK(decode(*keep, {"{\"a\":1}\n"}).size() == 1);
}

TEST_CASE("every codec option has a description", "[codec][schema]") {
  for (const char* name : {"plain", "line", "json", "json_lines", "rubydebug", "dots"}) {
    const RegistryEntry* e = Registry::builtin().find(PluginKind::Codec, name);
    REQUIRE(e);
    for (const OptionSpec& o : e->schema.options) {
      INFO(name << "." << o.name);
      CHECK(!o.description.empty());
    }
  }
}

namespace {

// Runs `body` with fd 1 redirected into a pipe; returns what was written.
template <class F>
std::string capture_stdout(F&& body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  int saved = ::dup(STDOUT_FILENO);
  ::dup2(fds[1], STDOUT_FILENO);
  ::close(fds[1]);
  body();
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  return out;
}

}  // namespace

TEST_CASE("stdout output: one batch, encoded with its codec, written to fd 1", "[output][stdout]") {
  auto out = make<Output>(PluginKind::Output, "stdout", {}, codec_factory("json_lines"));
  auto a = ev(R"({"@timestamp":"2015-12-07T11:37:00.000Z","@version":"1","n":1})");
  auto b = ev(R"({"@timestamp":"2015-12-07T11:37:00.000Z","@version":"1","n":2})");
  std::vector<Event*> batch{a.get(), b.get()};
  std::string text = capture_stdout([&] { (void)testutil::receive_all(*out, batch); });
  CHECK(text ==
        "{\"@timestamp\":\"2015-12-07T11:37:00.000Z\",\"@version\":\"1\",\"n\":1}\n"
        "{\"@timestamp\":\"2015-12-07T11:37:00.000Z\",\"@version\":\"1\",\"n\":2}\n");
}

TEST_CASE("stdout output: concurrent workers never interleave batches", "[output][stdout]") {
  auto out = make<Output>(PluginKind::Output, "stdout", {}, codec_factory("line", {{"format", str("%{message}")}}));
  // Events are built on this thread: Catch2 assertions (inside ev()) are not thread safe.
  std::vector<std::vector<std::unique_ptr<Event>>> evs(4);
  std::vector<std::vector<Event*>> batches(4);
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 50; ++i) {
      evs[t].push_back(ev("{\"message\":\"t" + std::to_string(t) + "\"}"));
      batches[t].push_back(evs[t].back().get());
    }
  }
  std::string text = capture_stdout([&] {
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([&, t] {
        for (int r = 0; r < 5; ++r) (void)testutil::receive_all(*out, batches[t]);
      });
    }
    for (auto& th : ts) th.join();
  });
  // 4 threads x 5 batches x 50 lines; every run of 50 lines comes from one thread.
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t pos; (pos = text.find('\n', start)) != std::string::npos; start = pos + 1) {
    lines.push_back(text.substr(start, pos - start));
  }
  REQUIRE(lines.size() == 1000);
  for (size_t i = 0; i < lines.size(); i += 50) {
    for (size_t k = 1; k < 50; ++k) CHECK(lines[i + k] == lines[i]);
  }
}

TEST_CASE("null output discards", "[output][null]") {
  auto out = make<Output>(PluginKind::Output, "null");
  auto a = ev(R"({"n":1})");
  std::vector<Event*> batch{a.get()};
  (void)testutil::receive_all(*out, batch);
}
