// Hostile JSON: nesting far beyond the parser's limit, huge strings, arrays and numbers, invalid
// UTF-8 and NUL bytes, through every path that turns JSON text into events (Event::from_json, the
// json and json_lines codecs, the json filter, the beats input, peer documents), through the
// persisted queue's and the dead letter queue's decoders, and deep event trees through every walk
// over an event (serialisers, copies, comparisons, mutate). Nothing may crash; over-deep input is
// refused with an error that says so.
#include "compiler/conditions.hpp"
#include "config/parser.hpp"
#include "dlq/entry.hpp"
#include "dlq/segment_format.hpp"
#include "dlq/reader.hpp"
#include "dlq/segments.hpp"
#include "event/json_internal.hpp"
#include "event/ruby_format.hpp"
#include "filter_test_helpers.hpp"
#include "plugin_test_util.hpp"
#include "plugins/codecs/codec_support.hpp"
#include "plugins/codecs/rubydebug_format.hpp"
#include "plugins/inputs/beats/transform.hpp"
#include "plugins/outputs/elasticsearch/bulk.hpp"
#include "queue/event_codec.hpp"
#include "sluice/sprintf.hpp"

#include <catch2/catch.hpp>
#include <malloc.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace sluice;

namespace {

constexpr size_t kHostileDepth = 100000;

std::string deep_arrays(size_t n) { return std::string(n, '[') + std::string(n, ']'); }

std::string deep_objects(size_t n) {
  std::string s;
  s.reserve(6 * n + 1);
  for (size_t i = 0; i < n; ++i) s += "{\"a\":";
  s += '1';
  s.append(n, '}');
  return s;
}

std::vector<std::unique_ptr<Event>> decode(Codec& c, std::string_view bytes) {
  std::vector<std::unique_ptr<Event>> out;
  Codec::Sink sink = [&](std::unique_ptr<Event> e) { out.push_back(std::move(e)); };
  c.decode(bytes, sink);
  c.flush(sink);
  return out;
}

std::string message(const Event& e) {
  const Value* v = e.get(*FieldRef::parse("message"));
  return v && v->IsString() ? std::string(as_view(*v)) : "<none>";
}

// A value nested `depth` levels deep (arrays, or objects with one member "k"), built directly:
// deeper than any parser accepts, as filters can build from field references rendered from data.
Value deep_value(size_t depth, bool objects, Allocator& a) {
  Value v(1);
  for (size_t i = 0; i < depth; ++i) {
    Value outer(objects ? rapidjson::kObjectType : rapidjson::kArrayType);
    if (objects) {
      outer.AddMember(Value("k", a), v, a);
    } else {
      outer.PushBack(v, a);
    }
    v = std::move(outer);
  }
  return v;
}

// Heap bytes in use (glibc); 0 where the allocator does not report it (sanitizers).
size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return 0;
#else
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
#endif
#else
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;  // small blocks plus mmap'd large ones
#endif
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

class NullContext final : public InputContext {
 public:
  bool push(std::unique_ptr<Event>) override { return true; }
  bool stopping() const override { return false; }
  void decorate(Event&) override {}
};

}  // namespace

// ---- the parser's limit --------------------------------------------------------------------------

TEST_CASE("json parser: 1000 levels parse, level 1001 is refused at its bracket", "[json][hostile]") {
  for (JsonSyntax syntax : {JsonSyntax::Document, JsonSyntax::DocumentPrefix, JsonSyntax::Jackson}) {
    INFO(static_cast<int>(syntax));
    Allocator a;
    Value v;
    JsonError err;
    CHECK(parse_json(deep_arrays(1000), a, &v, syntax, &err));
    CHECK(parse_json(deep_objects(1000), a, &v, syntax, &err));
    std::string out;
    write_json(v, out);
    CHECK(out == deep_objects(1000));

    CHECK_FALSE(parse_json(deep_arrays(1001), a, &v, syntax, &err));
    CHECK(err.too_deep());
    CHECK(err.message() == "JSON nested deeper than 1000 levels at offset 1000");
    CHECK_FALSE(parse_json(deep_objects(1001), a, &v, syntax, &err));
    CHECK(err.message() == "JSON nested deeper than 1000 levels at offset 5000");
    CHECK_FALSE(parse_json("[{\"a\":" + deep_arrays(999) + "}]", a, &v, syntax, &err));
    CHECK(err.message() == "JSON nested deeper than 1000 levels at offset 1004");
  }
  // The limit is a parameter.
  Allocator a;
  Value v;
  JsonError err;
  CHECK(parse_json("[[[]]]", a, &v, JsonSyntax::Document, &err, 3));
  CHECK_FALSE(parse_json("[[[[]]]]", a, &v, JsonSyntax::Document, &err, 3));
  CHECK(err.message() == "JSON nested deeper than 3 levels at offset 3");
  // Syntax errors keep RapidJSON's words.
  CHECK_FALSE(parse_json("[1,", a, &v, JsonSyntax::Document, &err));
  CHECK_FALSE(err.too_deep());
  CHECK(err.reason() == "Invalid value.");
}

TEST_CASE("json parser: repeated keys keep the last value at the first position, in every mode", "[json][hostile]") {
  for (JsonSyntax syntax : {JsonSyntax::Document, JsonSyntax::Jackson}) {
    Allocator a;
    Value v;
    REQUIRE(parse_json(R"({"a":1,"b":2,"a":3,"c":{"x":1,"x":[2]}})", a, &v, syntax, nullptr));
    std::string out;
    write_json(v, out);
    CHECK(out == R"({"a":3,"b":2,"c":{"x":[2]}})");
  }
  auto e = filter_test::ev(R"({"a":1,"b":2,"a":3})");
  CHECK(e->to_json().rfind(R"({"a":3,"b":2,)", 0) == 0);

  // Many members (found by hashing): short keys live inside the values being moved around, and
  // after an early repeat every later key moves.
  for (JsonSyntax syntax : {JsonSyntax::Document, JsonSyntax::Jackson}) {
    std::string text = "{\"d\":0,\"d\":1,", expected = "{\"d\":1,";
    for (int i = 0; i < 40; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    for (int i = 0; i < 40; i += 3) text += "\"k" + std::to_string(i) + "\":\"again\",";
    text += "\"a_key_longer_than_any_short_string\":1,\"a_key_longer_than_any_short_string\":2}";
    for (int i = 0; i < 40; ++i) {
      expected += "\"k" + std::to_string(i) + "\":" + (i % 3 == 0 ? std::string("\"again\"") : std::to_string(i)) + ",";
    }
    expected += "\"a_key_longer_than_any_short_string\":2}";
    Allocator a;
    Value v;
    REQUIRE(parse_json(text, a, &v, syntax, nullptr));
    std::string out;
    write_json(v, out);
    CHECK(out == expected);
  }
}

// ---- 100,000 levels through every path -----------------------------------------------------------

TEST_CASE("hostile depth: Event::from_json refuses it and says why", "[json][hostile][event]") {
  std::string err;
  CHECK(Event::from_json(deep_objects(kHostileDepth), &err) == nullptr);
  CHECK(err == "JSON nested deeper than 1000 levels at offset 5000");
  CHECK(Event::from_json(deep_arrays(kHostileDepth), &err) == nullptr);
  CHECK(err == "JSON nested deeper than 1000 levels at offset 1000");
  // Exactly at the limit it is an event (999 levels below the root object).
  auto e = Event::from_json("{\"x\":" + deep_arrays(999) + "}", &err);
  REQUIRE(e);
  CHECK(e->to_json().find(deep_arrays(999)) != std::string::npos);
}

TEST_CASE("hostile depth: json codec gives a tagged event with the raw text", "[json][hostile][codec]") {
  for (const std::string& text :
       {deep_objects(kHostileDepth), deep_arrays(kHostileDepth), "[" + deep_objects(kHostileDepth) + "]"}) {
    for (bool with_target : {false, true}) {
      auto c = with_target ? testutil::codec("json", {{"target", testutil::str("doc")}}) : testutil::codec("json");
      auto evs = decode(*c, text);
      REQUIRE(evs.size() == 1);
      CHECK(evs[0]->has_tag("_jsonparsefailure"));
      CHECK(message(*evs[0]) == text);
      CHECK_FALSE(evs[0]->includes(*FieldRef::parse("doc")));
    }
  }
}

TEST_CASE("hostile depth: json_lines codec tags that line and goes on", "[json][hostile][codec]") {
  auto c = testutil::codec("json_lines");
  const std::string deep = deep_objects(kHostileDepth);
  auto evs = decode(*c, "{\"n\":1}\n" + deep + "\n" + deep_arrays(kHostileDepth) + "\n{\"n\":2}\n");
  REQUIRE(evs.size() == 4);
  CHECK(filter_test::field(*evs[0], "n") == "1");
  CHECK(evs[1]->has_tag("_jsonparsefailure"));
  CHECK(message(*evs[1]) == deep);
  CHECK(evs[2]->has_tag("_jsonparsefailure"));
  CHECK(filter_test::field(*evs[3], "n") == "2");
  CHECK_FALSE(evs[3]->has_tag("_jsonparsefailure"));
}

TEST_CASE("hostile depth: the json filter tags the event and keeps it", "[json][hostile][filter]") {
  for (bool with_target : {false, true}) {
    filter_test::Opts opts{{"source", filter_test::S("message")}};
    if (with_target) opts.emplace_back("target", filter_test::S("t"));
    auto f = filter_test::make_filter("json", opts);
    for (const std::string& text : {deep_objects(kHostileDepth), deep_arrays(kHostileDepth)}) {
      auto e = filter_test::ev("{}");
      (void)e->set_string(filter_test::ref("message"), text);
      CHECK(f.run(*e) == FilterStatus::Failure);
      CHECK(filter_test::field(*e, "tags") == R"(["_jsonparsefailure"])");
      CHECK(message(*e) == text);
    }
  }
}

TEST_CASE("hostile depth: the beats input refuses the frame and tells the client what to do", "[json][hostile][beats]") {
  beats::TransformSettings s;
  beats::EventBuilder b(s, nullptr, "10.0.0.1");
  NullContext ctx;
  std::vector<std::unique_ptr<Event>> out;
  std::string err;
  CHECK_FALSE(b.build_json(deep_objects(kHostileDepth), ctx, out, &err));
  CHECK(out.empty());
  CHECK(err.rfind("JSON nested deeper than 1000 levels at offset 5000; ", 0) == 0);
  CHECK(err.find("flatten it at the source") != std::string::npos);
  CHECK_FALSE(b.build_json("{\"message\":" + deep_arrays(kHostileDepth) + "}", ctx, out, &err));
  CHECK(err.rfind("JSON nested deeper than 1000 levels at offset 1010", 0) == 0);
  // Other invalid JSON keeps its message.
  CHECK_FALSE(b.build_json("{\"message\":", ctx, out, &err));
  CHECK(err.rfind("JSON parse error at offset ", 0) == 0);
  // At the limit the event is built.
  CHECK(b.build_json("{\"message\":\"m\",\"x\":" + deep_arrays(999) + "}", ctx, out, &err));
  CHECK(out.size() == 1);
}

TEST_CASE("hostile depth: a beats key that is a deep field reference, copied by add_hostname", "[json][hostile][beats]") {
  // On the codec path the hash's keys are field references: "[beat][hostname][a][a]..." builds a
  // 100,000-level [beat][hostname], which add_hostname copies to `host`.
  beats::TransformSettings s;
  s.add_hostname = true;
  s.plain_fast_path = false;
  s.codec_name = "line";
  beats::EventBuilder b(s, testutil::codec("line"), "10.0.0.1");
  NullContext ctx;
  std::vector<std::unique_ptr<Event>> out;
  std::string err;
  std::string key = "[beat][hostname]";
  for (size_t i = 0; i < kHostileDepth; ++i) key += "[a]";
  REQUIRE(b.build_json("{\"message\":\"x\\n\",\"" + key + "\":1}", ctx, out, &err));  // a whole line
  REQUIRE(out.size() == 1);
  const Value* host = out[0]->get(*FieldRef::parse("host"));
  REQUIRE(host);
  CHECK(host->IsObject());
  std::string json;
  write_json(*host, json);
  CHECK(json.size() == kHostileDepth * 6 + 1);
}

TEST_CASE("hostile depth: peer documents (Elasticsearch, API bodies) are refused", "[json][hostile][es]") {
  rapidjson::Document doc;
  JsonError err;
  CHECK_FALSE(parse_json_document(deep_objects(kHostileDepth), doc, &err));
  CHECK(err.too_deep());
  CHECK(parse_json_document(R"({"a":[1,2]})", doc, &err));
  CHECK(doc["a"].Size() == 2);

  std::vector<es::ItemResult> items;
  std::string why;
  const std::string body = R"({"errors":true,"items":[)" + deep_objects(kHostileDepth) + "]}";
  CHECK(es::parse_bulk_response(body, 1, items, &why) == es::ResponseParse::Malformed);
  CHECK(why == "invalid JSON: JSON nested deeper than 1000 levels");
  // errors:false with a deep (unread) items array is still a success, and does not recurse.
  const std::string ok = R"({"errors":false,"items":)" + deep_arrays(kHostileDepth) + "}";
  CHECK(es::parse_bulk_response(ok, 3, items, &why) == es::ResponseParse::Ok);
}

TEST_CASE("hostile depth: a crafted persisted-queue record is refused as malformed", "[json][hostile][pq]") {
  // Objects nested 100,000 deep, each with one member "k".
  std::string deep = {static_cast<char>(pq::kEventCodecVersion), 0};
  for (size_t i = 0; i < kHostileDepth; ++i) deep += "\x08\x01\x01k";
  std::string err;
  CHECK_FALSE(pq::decode_event(deep, &err));
  CHECK(err == "nesting is deeper than the limit");

  // The encoder's limit and the decoder's are the same: depth 2047 round-trips, 2048 is refused.
  for (int depth : {pq::kMaxEventDepth - 1, pq::kMaxEventDepth}) {
    Event e(Timestamp::from_seconds(0));
    // The root object is depth 1, "d" holds depth 2 ... the innermost array is at `depth`.
    (void)e.set(*FieldRef::parse("d"), deep_value(static_cast<size_t>(depth - 1), false, e.allocator()));
    std::string bytes;
    const bool fits = depth < pq::kMaxEventDepth;
    CHECK((pq::encode_event(e, bytes) == pq::EncodeStatus::Ok) == fits);
    if (fits) {
      auto back = pq::decode_event(bytes, &err);
      REQUIRE(back);
      CHECK(back->to_json() == e.to_json());
    }
  }
  // Hand-made: the deepest record the decoder takes, and one level more.
  for (int arrays : {pq::kMaxEventDepth - 2, pq::kMaxEventDepth - 1}) {
    std::string edge = {static_cast<char>(pq::kEventCodecVersion), 0, 8, 1, 1, 'k'};
    for (int i = 0; i < arrays; ++i) edge += "\x07\x01";
    edge += '\x00';              // the innermost value: null
    edge += std::string{8, 0};  // @metadata: an empty object
    auto back = pq::decode_event(edge, &err);
    CHECK((back != nullptr) == (arrays + 1 < pq::kMaxEventDepth));
    if (!back) CHECK(err == "nesting is deeper than the limit");
  }
}

TEST_CASE("hostile depth: a dead letter queue entry holding it is skipped like a corrupt one", "[json][hostile][dlq]") {
  std::string event_bytes = {static_cast<char>(pq::kEventCodecVersion), 0, 8, 1, 1, 'k'};
  for (size_t i = 0; i < kHostileDepth; ++i) event_bytes += "\x07\x01";
  // An entry with a valid header around the crafted event.
  std::string bad;
  {
    Event e(Timestamp::from_seconds(0));
    REQUIRE(dlq::encode_entry(e, "elasticsearch", "es", "r", Timestamp::from_seconds(1), bad));
    std::string plain;
    REQUIRE(pq::encode_event(e, plain) == pq::EncodeStatus::Ok);
    bad.resize(bad.size() - plain.size());
    bad += event_bytes;
  }
  dlq::Entry entry;
  std::string err;
  CHECK_FALSE(dlq::decode_entry(bad, &entry, &err));
  CHECK(err == "undecodable event: nesting is deeper than the limit");

  // In a segment between two good entries: the reader skips it and counts it.
  char tmpl[] = "/tmp/sluice_hostileXXXXXX";
  REQUIRE(mkdtemp(tmpl));
  const std::string dir = tmpl;
  std::string segment(1, static_cast<char>(dlq::kSegmentVersion));
  for (int n : {1, 0, 2}) {
    std::string payload;
    if (n == 0) {
      payload = bad;
    } else {
      Event e(Timestamp::from_seconds(0));
      (void)e.set(*FieldRef::parse("n"), Value(n));
      REQUIRE(dlq::encode_entry(e, "elasticsearch", "es", "r", Timestamp::from_seconds(n), payload));
    }
    dlq::frame_entry(payload, segment.size(), segment);
  }
  {
    std::ofstream f(dlq::segment_path(dir, 1), std::ios::binary);
    f << segment;
  }
  dlq::Reader r(dir);
  std::vector<int64_t> got;
  dlq::Entry e;
  while (r.next(&e) == dlq::PollStatus::Entry) got.push_back(e.event->get(*FieldRef::parse("n"))->GetInt64());
  CHECK(got == std::vector<int64_t>{1, 2});
  CHECK(r.skipped_entries() == 1);
  std::filesystem::remove_all(dir);
}

// ---- walks over deep event trees -----------------------------------------------------------------

TEST_CASE("deep event trees: every walk works without recursion", "[json][hostile][event]") {
  // A million levels: a recursive walk would need far more than a thread's 8 MiB stack.
  constexpr size_t kDepth = 1000000;
  for (bool objects : {false, true}) {
    INFO(objects);
    Event e(Timestamp::from_seconds(0));
    REQUIRE(e.set(*FieldRef::parse("deep"), deep_value(kDepth, objects, e.allocator())) == SetResult::Ok);
    const std::string open = objects ? "{\"k\":" : "[";
    const std::string close = objects ? "}" : "]";

    // write_json / Event::to_json (outputs, the json codecs, sprintf of a hash)
    std::string expected = R"({"@timestamp":"1970-01-01T00:00:00.000Z","@version":"1","deep":)";
    for (size_t i = 0; i < kDepth; ++i) expected += open;
    expected += '1';
    for (size_t i = 0; i < kDepth; ++i) expected += close;
    expected += '}';
    const std::string json = e.to_json();
    CHECK(json == expected);

    // clone (copy_value)
    auto copy = e.clone();
    CHECK(copy->to_json() == json);

    // Logstash's string forms: sprintf of the field, Java's toString, Ruby's inspect
    std::string s = Template("%{deep}").render(e);
    CHECK(s.size() == (objects ? kDepth * 6 + 1 : 1));
    if (!objects) CHECK(s == "1");  // nested lists flatten
    std::string java;
    append_java_to_string(*e.get(*FieldRef::parse("deep")), java);
    CHECK(java.size() == (objects ? kDepth * 4 + 1 : kDepth * 2 + 1));  // {k=...} or [...]
    std::string inspect;
    ruby::append_inspect(*e.get(*FieldRef::parse("deep")), inspect);
    CHECK(inspect.size() == (objects ? kDepth * 9 + 1 : kDepth * 2 + 1));  // {"k" => ...} or [...]

    // rubydebug: 100 levels laid out, the rest on one line, so the text stays linear in the size
    std::string rd;
    codecs::append_rubydebug(e, false, rd);
    CHECK(rd.size() < 3 * inspect.size());
    CHECK(rd.find(objects ? "\"k\" => {\"k\" => {" : "[[[[") != std::string::npos);

    // the persisted queue's encoder refuses it without recursing
    std::string bytes;
    CHECK(pq::encode_event(e, bytes) == pq::EncodeStatus::TooDeep);
    CHECK(bytes.empty());
  }
}

TEST_CASE("deep event trees: conditions and mutate compare, copy and join without recursion", "[json][hostile][filter]") {
  constexpr size_t kDepth = 1000000;
  Event e(Timestamp::from_seconds(0));
  REQUIRE(e.set(*FieldRef::parse("a"), deep_value(kDepth, true, e.allocator())) == SetResult::Ok);
  REQUIRE(e.set(*FieldRef::parse("b"), deep_value(kDepth, true, e.allocator())) == SetResult::Ok);
  REQUIRE(e.set(*FieldRef::parse("c"), deep_value(kDepth, false, e.allocator())) == SetResult::Ok);
  Value list(rapidjson::kArrayType);
  list.PushBack(deep_value(kDepth, true, e.allocator()), e.allocator());
  REQUIRE(e.set(*FieldRef::parse("l"), std::move(list)) == SetResult::Ok);

  auto cond = [&](const std::string& text) {
    config::Diagnostics diags;
    auto ast = config::parse_config_text("filter { if " + text + " { } }", "t.conf", {}, diags);
    REQUIRE(ast);
    const config::Statement& st = ast->sections.at(0).body.at(0);
    auto c = compiler::compile_condition(*st.branch->clauses.at(0).condition, {}, diags);
    REQUIRE(c);
    return c->eval(e, nullptr);
  };
  CHECK(cond("[a] == [b]") == CondResult::True);
  CHECK(cond("[a] == [c]") == CondResult::False);
  CHECK(cond("[l][0] == [a]") == CondResult::True);
  CHECK(cond("[l][0] == [c]") == CondResult::False);

  // mutate: merge copies the deep list's element (and the whole result), join flattens the deep
  // list.
  auto merge = filter_test::make_filter("mutate", {{"merge", filter_test::HS({{"l", "c"}})}});
  CHECK(merge.run(e) == FilterStatus::Success);
  CHECK(e.get(*FieldRef::parse("l"))->Size() == 2);
  CHECK(cond("[l][0] == [a]") == CondResult::True);
  CHECK(cond("[l][1] == [c][0]") == CondResult::True);
  auto join = filter_test::make_filter("mutate", {{"join", filter_test::HS({{"c", ","}})}});
  CHECK(join.run(e) == FilterStatus::Success);
  CHECK(filter_test::field(e, "c") == R"("1")");
}

// ---- the codecs' failure event -------------------------------------------------------------------

TEST_CASE("codec failure event: tags, message, and text over 1 MiB cut with its size noted", "[json][hostile][codec]") {
  auto c = testutil::codec("json");
  // Small: the whole text, no size field.
  auto evs = decode(*c, "{nope");
  REQUIRE(evs.size() == 1);
  CHECK(evs[0]->has_tag("_jsonparsefailure"));
  CHECK(message(*evs[0]) == "{nope");
  CHECK_FALSE(evs[0]->includes(*FieldRef::parse(codecs::kOriginalBytesField)));

  // Exactly 1 MiB: kept whole.
  std::string exact = "{" + std::string(codecs::kMaxFailureMessageBytes - 1, 'x');
  evs = decode(*c, exact);
  CHECK(message(*evs[0]) == exact);
  CHECK_FALSE(evs[0]->includes(*FieldRef::parse(codecs::kOriginalBytesField)));

  // 3 MiB: the first 1 MiB, and the size.
  std::string big = "{" + std::string(3 * codecs::kMaxFailureMessageBytes, 'x');
  for (auto name : {"json", "json_lines"}) {
    auto cc = testutil::codec(name);
    evs = decode(*cc, big);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0]->has_tag("_jsonparsefailure"));
    CHECK(message(*evs[0]) == big.substr(0, codecs::kMaxFailureMessageBytes));
    CHECK(filter_test::field(*evs[0], codecs::kOriginalBytesField) == std::to_string(big.size()));
  }

  // The cut never splits a UTF-8 character.
  std::string accents = "[";
  while (accents.size() < 2 * codecs::kMaxFailureMessageBytes) accents += "é";  // 2 bytes, odd offsets
  evs = decode(*c, accents);
  const std::string m = message(*evs[0]);
  CHECK(m.size() == codecs::kMaxFailureMessageBytes - 1);
  CHECK(valid_utf8(m));
  CHECK(filter_test::field(*evs[0], codecs::kOriginalBytesField) == std::to_string(accents.size()));
}

// ---- other hostile JSON --------------------------------------------------------------------------

TEST_CASE("hostile JSON: a 50 MB string parses into about its size, and the scratch is released", "[json][hostile]") {
  const size_t before = heap_in_use();
  {
    std::string text;
    text.reserve((50u << 20) + 8);
    text += "{\"s\":\"";
    text.append(50u << 20, 'a');
    text += "\"}";
    std::string err;
    auto e = Event::from_json(text, &err);
    REQUIRE(e);
    CHECK(e->get(*FieldRef::parse("s"))->GetStringLength() == 50u << 20);
    CHECK(json_parse_scratch_bytes() < (1u << 20));
    if (before != 0) CHECK(heap_in_use() < before + text.size() * 5 / 2);  // the text, the event, slack
  }
  if (before != 0) CHECK(heap_in_use() < before + (2u << 20));  // nothing large kept once it is gone
}

TEST_CASE("hostile JSON: a million-element array, as values and as events", "[json][hostile]") {
  std::string text = "{\"a\":[";
  for (int i = 0; i < 1000000; ++i) text += i ? ",1" : "1";
  text += "]}";
  std::string err;
  auto e = Event::from_json(text, &err);
  REQUIRE(e);
  CHECK(e->get(*FieldRef::parse("a"))->Size() == 1000000);
  CHECK(json_parse_scratch_bytes() < (1u << 20));

  // An array of a million objects through json_lines: events are handed over one by one (the
  // sink drops them), never all held at once.
  std::string lines = "[";
  for (int i = 0; i < 1000000; ++i) lines += i ? ",{}" : "{}";
  lines += "]\n";
  auto c = testutil::codec("json_lines");
  size_t count = 0;
  size_t peak = 0;
  const size_t base = heap_in_use();
  c->decode(lines, [&](std::unique_ptr<Event> ev) {
    ++count;
    if (base != 0) peak = std::max(peak, heap_in_use());
    CHECK_FALSE(ev->has_tag("_jsonparsefailure"));
  });
  CHECK(count == 1000000);
  if (base != 0) CHECK(peak < base + 20 * lines.size());  // not 4 KiB per event
  // One element that is not an object fails the whole array: one failure event, nothing else.
  count = 0;
  c->decode("[{},{},3]\n", [&](std::unique_ptr<Event> ev) {
    ++count;
    CHECK(ev->has_tag("_jsonparsefailure"));
  });
  CHECK(count == 1);
}

TEST_CASE("hostile JSON: numbers with a million digits, and exponents near the int range", "[json][hostile]") {
  Allocator a;
  Value v;
  JsonError err;
  // An integer that large is refused, as RapidJSON always did (it does not fit a double).
  CHECK_FALSE(parse_json("1" + std::string(1000000, '0'), a, &v, JsonSyntax::Document, &err));
  CHECK(err.code == rapidjson::kParseErrorNumberTooBig);
  // A fraction with a million digits is a double.
  REQUIRE(parse_json("0." + std::string(999999, '0') + "1", a, &v, JsonSyntax::Document, &err));
  CHECK(v.IsDouble());
  CHECK(v.GetDouble() == 0.0);
  REQUIRE(parse_json("1." + std::string(1000000, '3'), a, &v, JsonSyntax::Document, &err));
  CHECK(v.GetDouble() == 1.3333333333333333);
  // RapidJSON 1.1.0 overflows an int adding these exponents to the fraction's digits; read as text
  // and converted here they are just zero and infinity.
  for (const char* tiny : {"0.00000000001e-2147483639", "1e-2147483647", "-1.5e-400"}) {
    INFO(tiny);
    REQUIRE(parse_json(tiny, a, &v, JsonSyntax::Document, &err));
    CHECK(v.GetDouble() == 0.0);
  }
  REQUIRE(parse_json("1.8e308", a, &v, JsonSyntax::Document, &err));
  CHECK(std::isinf(v.GetDouble()));
  // Integers keep RapidJSON's types and exactness.
  REQUIRE(parse_json("[-0,0,4294967296,-9223372036854775808,18446744073709551615,18446744073709551616,-1.0]", a, &v,
                     JsonSyntax::Document, &err));
  CHECK(v[0].IsInt());
  CHECK(v[0].GetInt() == 0);
  CHECK(v[2].IsUint64());
  CHECK(v[3].GetInt64() == INT64_MIN);
  CHECK(v[4].GetUint64() == UINT64_MAX);
  CHECK(v[5].IsDouble());
  CHECK(v[5].GetDouble() == 18446744073709551616.0);
  CHECK(v[6].IsDouble());
}

TEST_CASE("hostile JSON: invalid UTF-8 and NUL bytes", "[json][hostile]") {
  Allocator a;
  Value v;
  JsonError err;
  // The strict mode (codecs, beats, Event::from_json) does not validate the encoding, as before; the
  // json filter's Jackson mode does.
  CHECK(parse_json("{\"a\":\"\xff\xfe\"}", a, &v, JsonSyntax::Document, &err));
  CHECK_FALSE(parse_json("{\"a\":\"\xff\xfe\"}", a, &v, JsonSyntax::Jackson, &err));
  CHECK(err.reason() == "Invalid encoding in string.");
  // A NUL byte ends the text for RapidJSON's reader: inside a string it is an error, after a
  // complete document what follows is ignored (unchanged behaviour), in the filter it is an error.
  using namespace std::string_literals;
  CHECK_FALSE(parse_json("{\"a\":\"x\0y\"}"s, a, &v, JsonSyntax::Document, &err));
  CHECK(parse_json("{\"a\":1}\0garbage"s, a, &v, JsonSyntax::Document, &err));
  CHECK_FALSE(parse_json("{\"a\":1}\0{}"s, a, &v, JsonSyntax::Jackson, &err));
  // Through the codec: the failure event carries the bytes as the charset made them.
  auto c = testutil::codec("json");
  auto evs = decode(*c, "{\"a\":\"x\0y\"}"s);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0]->has_tag("_jsonparsefailure"));
  CHECK(message(*evs[0]) == "{\"a\":\"x\0y\"}"s);
  evs = decode(*c, "{\"a\":\"\xff\"}");  // not UTF-8: the charset turns it into escapes first
  REQUIRE(evs.size() == 1);
  CHECK(evs[0]->has_tag("_jsonparsefailure"));
  CHECK(message(*evs[0]).find("\\xFF") != std::string::npos);
}
