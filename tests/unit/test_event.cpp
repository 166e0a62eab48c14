// Event: construction, Logstash's from-JSON rules, field access, tags, timestamp sync, JSON output.
#include <catch2/catch.hpp>

#include "event_test_util.hpp"
#include "sluice/event.hpp"

using namespace sluice;

namespace {
FieldRef R(const char* s) {
  auto r = FieldRef::parse(s);
  REQUIRE(r);
  return *r;
}
constexpr auto J = &testutil::event_from_json;
std::string str(const Value* v) {
  REQUIRE(v);
  std::string s;
  write_json(*v, s);
  return s;
}
constexpr const char* kTs = "2015-05-28T23:02:05.350Z";
}  // namespace

TEST_CASE("event: new event has @timestamp then @version", "[event]") {
  Event e(*Timestamp::parse_iso8601(kTs));
  CHECK(e.to_json() == R"({"@timestamp":"2015-05-28T23:02:05.350Z","@version":"1"})");
  REQUIRE(e.timestamp());
  CHECK(e.timestamp()->to_string() == kTs);
  Event now;
  CHECK(now.timestamp().has_value());
  CHECK(now.metadata().IsObject());
  CHECK(now.metadata().MemberCount() == 0);
}

TEST_CASE("event: to_json example from Logstash", "[event]") {
  Event e(*Timestamp::parse_iso8601(kTs));
  CHECK(e.set_string(R("foo"), "bar") == SetResult::Ok);
  CHECK(e.set(R("bar"), Value(int64_t{1})) == SetResult::Ok);
  CHECK(e.set(R("baz"), Value(1.0)) == SetResult::Ok);
  CHECK(e.to_json() ==
        R"({"@timestamp":"2015-05-28T23:02:05.350Z","@version":"1","foo":"bar","bar":1,"baz":1.0})");
}

TEST_CASE("event: from_json keeps insertion order and parsed timestamp", "[event]") {
  auto e = J(R"({"message":"hi","@timestamp":"2015-05-28T23:02:05.350Z","n":1,"@version":"1"})");
  CHECK(e->to_json() == R"({"message":"hi","@timestamp":"2015-05-28T23:02:05.350Z","n":1,"@version":"1"})");
  CHECK(e->timestamp()->to_string() == kTs);
}

TEST_CASE("event: from_json normalises @timestamp to Logstash's printed form", "[event]") {
  auto e = J(R"({"@timestamp":"2015-05-28T23:02:05.350123+00:00"})");
  CHECK(e->to_json() == R"({"@timestamp":"2015-05-28T23:02:05.350Z","@version":"1"})");
  CHECK(e->timestamp()->ns % 1'000'000'000 == 350'123'000);
}

TEST_CASE("event: from_json adds missing @timestamp and @version", "[event]") {
  auto before = Timestamp::now();
  auto e = J(R"({"a":1})");
  REQUIRE(e->timestamp());
  CHECK(*e->timestamp() >= before);
  CHECK(e->get(R("@version"))->GetString() == std::string("1"));
  CHECK(e->get(R("@timestamp"))->IsString());
  CHECK_FALSE(e->has_tag("_timestampparsefailure"));
}

TEST_CASE("event: null value serialises as null (item 45)", "[event]") {
  auto e = J(R"({"@timestamp":"2015-05-28T23:02:05.000Z","null_value":null})");
  CHECK(e->to_json() == R"({"@timestamp":"2015-05-28T23:02:05.000Z","null_value":null,"@version":"1"})");
}

TEST_CASE("event: @metadata goes to metadata and is never serialised (item 45)", "[event]") {
  auto e = J(R"({"a":1,"@metadata":{"x":"y"},"@timestamp":"2015-05-28T23:02:05.350Z","@version":"1"})");
  CHECK(e->to_json() == R"({"a":1,"@timestamp":"2015-05-28T23:02:05.350Z","@version":"1"})");
  CHECK(str(e->get(R("[@metadata][x]"))) == R"("y")");
  CHECK(str(e->get(R("[@metadata]"))) == R"({"x":"y"})");
  CHECK(e->set_string(R("[@metadata][z]"), "w") == SetResult::Ok);
  CHECK(e->to_json().find("@metadata") == std::string::npos);
  CHECK(e->to_json().find("\"z\"") == std::string::npos);
}

TEST_CASE("event: non-map @metadata is dropped", "[event]") {
  auto e = J(R"({"@metadata":"x","a":1})");
  CHECK(e->metadata().IsObject());
  CHECK(e->metadata().MemberCount() == 0);
  CHECK(e->get(R("@metadata"))->IsObject());
}

TEST_CASE("event: unparseable @timestamp (item 47)", "[event]") {
  auto before = Timestamp::now();
  auto e = J(R"({"@timestamp":"garbage","message":"m"})");
  CHECK(e->has_tag("_timestampparsefailure"));
  CHECK(str(e->get(R("_@timestamp"))) == R"("garbage")");
  REQUIRE(e->timestamp());
  CHECK(*e->timestamp() >= before);
  CHECK(e->get(R("@timestamp"))->IsString());
  CHECK(e->get(R("@timestamp"))->GetString() == e->timestamp()->to_string());
  CHECK(str(e->get(R("tags"))) == R"(["_timestampparsefailure"])");
}

TEST_CASE("event: non-string @timestamp is a parse failure, original kept", "[event]") {
  auto e = J(R"({"@timestamp":12345})");
  CHECK(e->has_tag("_timestampparsefailure"));
  CHECK(str(e->get(R("_@timestamp"))) == "12345");
  auto n = J(R"({"@timestamp":null})");
  CHECK_FALSE(n->has_tag("_timestampparsefailure"));
  CHECK(n->timestamp().has_value());
}

TEST_CASE("event: illegal tags map moves to _tags (item 46)", "[event]") {
  auto e = J(R"({"tags":{"poison":true}})");
  CHECK(str(e->get(R("tags"))) == R"(["_tagsparsefailure"])");
  CHECK(str(e->get(R("_tags"))) == R"([{"poison":true}])");
}

TEST_CASE("event: illegal tags list moves to _tags (item 46)", "[event]") {
  auto e = J(R"({"tags":[1,2,3]})");
  CHECK(str(e->get(R("tags"))) == R"(["_tagsparsefailure"])");
  CHECK(str(e->get(R("_tags"))) == R"([[1,2,3]])");
  auto n = J(R"({"tags":5})");
  CHECK(str(n->get(R("_tags"))) == "[5]");
  auto m = J(R"({"tags":["a",1]})");
  CHECK(str(m->get(R("_tags"))) == R"([["a",1]])");
}

TEST_CASE("event: legal tags are kept, a string stays a string", "[event]") {
  auto e = J(R"({"tags":"one"})");
  CHECK(str(e->get(R("tags"))) == R"("one")");
  CHECK(e->has_tag("one"));
  auto l = J(R"({"tags":["a","b"]})");
  CHECK(str(l->get(R("tags"))) == R"(["a","b"])");
  CHECK_FALSE(l->has_tag("_tagsparsefailure"));
}

TEST_CASE("event: both failures", "[event]") {
  auto e = J(R"({"tags":{"x":1},"@timestamp":"nope"})");
  CHECK(str(e->get(R("tags"))) == R"(["_tagsparsefailure","_timestampparsefailure"])");
}

TEST_CASE("event: from_json errors", "[event]") {
  std::string err;
  CHECK(Event::from_json("{", &err) == nullptr);
  CHECK_FALSE(err.empty());
  err.clear();
  CHECK(Event::from_json("[1,2]", &err) == nullptr);
  CHECK(err == "JSON value is not an object");
  CHECK(Event::from_json("{} x", &err) == nullptr);
  CHECK(Event::from_json("", &err) == nullptr);
  CHECK(Event::from_json("{\"a\":1}  \n", &err) != nullptr);
}

TEST_CASE("event: repeated JSON keys, the last wins", "[event]") {
  auto e = J(R"({"a":1,"b":2,"a":3,"n":{"x":1,"x":{"y":2}}})");
  CHECK(str(e->get(R("a"))) == "3");
  CHECK(str(e->get(R("n"))) == R"({"x":{"y":2}})");
  CHECK(e->data().MemberCount() == 5);  // b, a, n, @timestamp, @version
}

TEST_CASE("event: full-precision numbers round trip", "[event]") {
  auto e = J(R"({"d":0.1,"big":9007199254740993,"neg":-9223372036854775808,"u":18446744073709551615,"e":1e20,"f":1.5e-7})");
  CHECK(str(e->get(R("d"))) == "0.1");
  CHECK(str(e->get(R("big"))) == "9007199254740993");
  CHECK(str(e->get(R("neg"))) == "-9223372036854775808");
  CHECK(str(e->get(R("u"))) == "18446744073709551615");
  CHECK(str(e->get(R("e"))) == "1.0E20");
  CHECK(str(e->get(R("f"))) == "1.5E-7");
}

TEST_CASE("event: string escaping as Jackson", "[event]") {
  Event e(Timestamp{0});
  CHECK(e.set_string(R("s"), std::string_view("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é \xe2\x80\xa8")) == SetResult::Ok);
  std::string out;
  write_json(*e.get(R("s")), out);
  CHECK(out == "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001F\x7f é \xe2\x80\xa8\"");
  std::string nul;
  write_json(make_string(std::string_view("a\0b", 3), e.allocator()), nul);
  CHECK(nul == "\"a\\u0000b\"");
}

TEST_CASE("event: get through objects and arrays", "[event]") {
  auto e = J(R"({"a":{"b":[10,{"c":"x"},30]},"arr":["p","q"]})");
  CHECK(str(e->get(R("[a][b][0]"))) == "10");
  CHECK(str(e->get(R("[a][b][1][c]"))) == R"("x")");
  CHECK(str(e->get(R("[a][b][-1]"))) == "30");
  CHECK(str(e->get(R("[a][b][-3]"))) == "10");
  CHECK(e->get(R("[a][b][-4]")) == nullptr);
  CHECK(e->get(R("[a][b][3]")) == nullptr);
  CHECK(e->get(R("[a][b][x]")) == nullptr);
  CHECK(e->get(R("[a][c]")) == nullptr);
  CHECK(e->get(R("[arr][0][x]")) == nullptr);
  CHECK(e->includes(R("[arr][1]")));
  CHECK_FALSE(e->includes(R("[nope]")));
}

TEST_CASE("event: includes is true for a null map value, false for a null list element", "[event]") {
  auto e = J(R"({"n":null,"l":[null,1]})");
  CHECK(e->includes(R("n")));
  CHECK(e->get(R("n"))->IsNull());
  CHECK_FALSE(e->includes(R("[l][0]")));
  CHECK(e->includes(R("[l][1]")));
}

TEST_CASE("event: set creates intermediate objects", "[event]") {
  Event e(Timestamp{0});
  CHECK(e.set(R("[foo][0][baz]"), Value(int64_t{1})) == SetResult::Ok);
  CHECK(str(e.get(R("foo"))) == R"({"0":{"baz":1}})");
  CHECK(e.set_string(R("[a][b][c]"), "d") == SetResult::Ok);
  CHECK(e.to_json() == R"({"@timestamp":"1970-01-01T00:00:00.000Z","@version":"1","foo":{"0":{"baz":1}},"a":{"b":{"c":"d"}}})");
}

TEST_CASE("event: set replaces in place, keeping order", "[event]") {
  auto e = J(R"({"a":1,"b":2,"c":3})");
  CHECK(e->set_string(R("b"), "x") == SetResult::Ok);
  CHECK(e->to_json().rfind(R"({"a":1,"b":"x","c":3,)", 0) == 0);
}

TEST_CASE("event: set into lists pads with nulls", "[event]") {
  auto e = J(R"({"list":["a","b"]})");
  CHECK(e->set_string(R("[list][5]"), "z") == SetResult::Ok);
  CHECK(str(e->get(R("list"))) == R"(["a","b",null,null,null,"z"])");
  CHECK(e->set_string(R("[list][-1]"), "y") == SetResult::Ok);
  CHECK(str(e->get(R("list"))) == R"(["a","b",null,null,null,"y"])");
  CHECK(e->set_string(R("[list][2][k]"), "v") == SetResult::Ok);
  CHECK(str(e->get(R("[list][2]"))) == R"({"k":"v"})");
  // A non-numeric key on a list is silently ignored, as Logstash's Accessors.setOnList does.
  CHECK(e->set_string(R("[list][x]"), "v") == SetResult::Ok);
  CHECK(str(e->get(R("list"))) == R"(["a","b",{"k":"v"},null,null,"y"])");
  CHECK(e->set_string(R("[list][-10]"), "v") == SetResult::NotAContainer);
}

TEST_CASE("event: set below a scalar fails", "[event]") {
  auto e = J(R"({"s":"str","n":1})");
  CHECK(e->set_string(R("[s][x]"), "v") == SetResult::NotAContainer);
  CHECK(e->set_string(R("[n][x][y]"), "v") == SetResult::NotAContainer);
  CHECK(str(e->get(R("s"))) == R"("str")");
  CHECK(e->set_string(R("[@timestamp][x]"), "v") == SetResult::NotAContainer);
}

TEST_CASE("event: set null intermediate becomes an object", "[event]") {
  auto e = J(R"({"n":null})");
  CHECK(e->set_string(R("[n][x]"), "v") == SetResult::Ok);
  CHECK(str(e->get(R("n"))) == R"({"x":"v"})");
}

TEST_CASE("event: tags validation on set", "[event]") {
  Event e(Timestamp{0});
  CHECK(e.set_string(R("tags"), "a") == SetResult::Ok);
  Value good(rapidjson::kArrayType);
  good.PushBack(make_string("x", e.allocator()), e.allocator());
  CHECK(e.set(R("tags"), std::move(good)) == SetResult::Ok);
  Value bad(rapidjson::kArrayType);
  bad.PushBack(Value(int64_t{1}), e.allocator());
  CHECK(e.set(R("tags"), std::move(bad)) == SetResult::BadTags);
  Value map(rapidjson::kObjectType);
  CHECK(e.set(R("[tags]"), std::move(map)) == SetResult::BadTags);
  // Any reference below tags is refused (Logstash's isTagsWithMap), whatever the value.
  CHECK(e.set(R("[tags][0]"), Value(int64_t{1})) == SetResult::BadTags);
  CHECK(e.set_string(R("[tags][1]"), "y") == SetResult::BadTags);
  CHECK(e.set_string(R("[tags][foo]"), "bar") == SetResult::BadTags);
  CHECK(str(e.get(R("tags"))) == R"(["x"])");
  CHECK(e.set(R("tags"), Value()) == SetResult::Ok);  // null is a legal tags value
  CHECK(e.get(R("tags")) != nullptr);
  CHECK(e.get(R("tags"))->IsNull());
  CHECK(std::string(to_string(SetResult::BadTags)) == "The tags field only accepts string or array of string");
}

TEST_CASE("event: setting @timestamp updates the timestamp", "[event]") {
  Event e(Timestamp{0});
  CHECK(e.set_string(R("@timestamp"), "2015-10-01T00:00:00.123456Z") == SetResult::Ok);
  CHECK(e.timestamp()->ns == 1443657600'123456000);
  CHECK(str(e.get(R("@timestamp"))) == R"("2015-10-01T00:00:00.123Z")");
  CHECK(e.set_string(R("[@timestamp]"), "garbage") == SetResult::BadTimestamp);
  CHECK(e.set(R("@timestamp"), Value(int64_t{1443657600})) == SetResult::BadTimestamp);
  CHECK(e.timestamp()->ns == 1443657600'123456000);
  e.set_timestamp(Timestamp::from_seconds(1));
  CHECK(e.to_json() == R"({"@timestamp":"1970-01-01T00:00:01.000Z","@version":"1"})");
}

TEST_CASE("event: removing @timestamp clears it; setting it back appends", "[event]") {
  Event e(Timestamp{0});
  CHECK(e.remove(R("@timestamp")));
  CHECK_FALSE(e.timestamp().has_value());
  CHECK(e.to_json() == R"({"@version":"1"})");
  e.set_timestamp(Timestamp{0});
  CHECK(e.to_json() == R"({"@version":"1","@timestamp":"1970-01-01T00:00:00.000Z"})");
}

TEST_CASE("event: remove keeps the order of the other members", "[event]") {
  auto e = J(R"({"a":1,"b":2,"c":3,"d":4})");
  Value out;
  CHECK(e->remove(R("b"), &out));
  CHECK(out.GetInt64() == 2);
  CHECK(e->to_json().rfind(R"({"a":1,"c":3,"d":4,)", 0) == 0);
  CHECK_FALSE(e->remove(R("b")));
  CHECK_FALSE(e->remove(R("[x][y]")));
}

TEST_CASE("event: remove nested and list elements", "[event]") {
  auto e = J(R"({"a":{"b":{"c":1,"d":2}},"l":[1,2,3]})");
  CHECK(e->remove(R("[a][b][c]")));
  CHECK(str(e->get(R("a"))) == R"({"b":{"d":2}})");
  CHECK(e->remove(R("[l][-1]")));
  CHECK(e->remove(R("[l][0]")));
  CHECK(str(e->get(R("l"))) == "[2]");
  CHECK_FALSE(e->remove(R("[l][5]")));
}

TEST_CASE("event: metadata set and remove", "[event]") {
  Event e(Timestamp{0});
  Value m(rapidjson::kObjectType);
  m.AddMember(make_string("k", e.allocator()), make_string("v", e.allocator()), e.allocator());
  CHECK(e.set(R("@metadata"), std::move(m)) == SetResult::Ok);
  CHECK(str(e.get(R("[@metadata][k]"))) == R"("v")");
  CHECK(e.set_string(R("[@metadata]"), "x") == SetResult::NotAContainer);
  CHECK(e.remove(R("[@metadata]")));
  CHECK(e.metadata().IsObject());
  CHECK(e.metadata().MemberCount() == 0);
}

TEST_CASE("event: tag dedupes, append_tag does not", "[event]") {
  Event e(Timestamp{0});
  e.tag("a");
  e.tag("a");
  e.tag("b");
  CHECK(str(e.get(R("tags"))) == R"(["a","b"])");
  e.append_tag("a");
  CHECK(str(e.get(R("tags"))) == R"(["a","b","a"])");
  CHECK(e.has_tag("b"));
  CHECK_FALSE(e.has_tag("c"));
}

TEST_CASE("event: tag turns a string tags into a list", "[event]") {
  auto e = J(R"({"tags":"x"})");
  e->tag("x");
  CHECK(str(e->get(R("tags"))) == R"(["x"])");
  auto f = J(R"({"tags":"x"})");
  f->append_tag("x");
  CHECK(str(f->get(R("tags"))) == R"(["x","x"])");
  auto g = J(R"({"tags":"x"})");
  g->tag("y");
  CHECK(str(g->get(R("tags"))) == R"(["x","y"])");
}

TEST_CASE("event: clone is a deep, independent copy", "[event]") {
  auto e = J(R"({"a":{"b":[1,"two",{"c":null}]},"@metadata":{"m":1},"@timestamp":"2015-05-28T23:02:05.350Z"})");
  auto c = e->clone();
  CHECK(c->to_json() == e->to_json());
  CHECK(c->timestamp() == e->timestamp());
  CHECK(str(c->get(R("[@metadata][m]"))) == "1");
  CHECK(c->set_string(R("[a][b][1]"), "changed") == SetResult::Ok);
  CHECK(str(e->get(R("[a][b][1]"))) == R"("two")");
  e.reset();
  CHECK(str(c->get(R("[a][b][1]"))) == R"("changed")");
  CHECK(c->get(R("@version"))->GetString() == std::string("1"));
}

TEST_CASE("event: absorb_object applies the from-JSON rules", "[event]") {
  Event e(Timestamp{0});
  Value obj(rapidjson::kObjectType);
  obj.AddMember(make_string("@timestamp", e.allocator()), make_string("2015-10-01T00:00:00Z", e.allocator()),
                e.allocator());
  obj.AddMember(make_string("x", e.allocator()), Value(int64_t{1}), e.allocator());
  e.absorb_object(std::move(obj));
  CHECK(e.to_json() == R"({"@timestamp":"2015-10-01T00:00:00.000Z","x":1,"@version":"1"})");
  CHECK(e.timestamp()->seconds() == 1443657600);
}

TEST_CASE("event: cancel", "[event]") {
  Event e;
  CHECK_FALSE(e.cancelled());
  e.cancel();
  CHECK(e.cancelled());
}
