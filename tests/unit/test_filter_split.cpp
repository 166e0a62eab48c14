// The split filter: the examples of logstash-filter-split's spec (split_spec.rb) and Ruby's
// String#split(sep, -1) rules it relies on, through the plugin contract's emit path.
#include "filter_test_helpers.hpp"

using namespace filter_test;
using sluice::FilterStatus;

namespace {

Harness split(Opts opts = {}) { return make_filter("split", std::move(opts)); }

std::vector<std::string> values(const Harness& h, std::string_view f) {
  std::vector<std::string> out;
  for (const auto& e : h.emitted) out.push_back(field(*e, f));
  return out;
}

}  // namespace

TEST_CASE("split: all defaults, one event per line, the original cancelled", "[filter][split]") {
  auto f = split();
  auto e = ev(R"({"message":"big\nbird\nsesame street","other":1})");
  CHECK(f.run(*e) == FilterStatus::Failure);  // the original is not decorated
  CHECK(e->cancelled());
  CHECK(values(f, "message") == std::vector<std::string>{R"("big")", R"("bird")", R"("sesame street")"});
  CHECK(values(f, "other") == std::vector<std::string>{"1", "1", "1"});
}

TEST_CASE("split: custom terminator and field", "[filter][split]") {
  auto f = split({{"field", S("custom")}, {"terminator", S(",")}});
  auto e = ev(R"({"custom":"big,bird,sesame street"})");
  (void)f.run(*e);
  CHECK(values(f, "custom") == std::vector<std::string>{R"("big")", R"("bird")", R"("sesame street")"});
}

TEST_CASE("split: a multi-character terminator", "[filter][split]") {
  auto f = split({{"terminator", S("::")}});
  auto e = ev(R"({"message":"a::b:c::"})");
  (void)f.run(*e);
  CHECK(values(f, "message") == std::vector<std::string>{R"("a")", R"("b:c")"});  // the trailing "" makes no event
}

TEST_CASE("split: with a target the original field stays", "[filter][split]") {
  auto f = split({{"target", S("line")}});
  auto e = ev(R"({"message":"a\nb"})");
  (void)f.run(*e);
  CHECK(values(f, "line") == std::vector<std::string>{R"("a")", R"("b")"});
  CHECK(values(f, "message") == std::vector<std::string>{R"("a\nb")", R"("a\nb")"});
}

TEST_CASE("split: an array field gives one event per element, the array removed", "[filter][split]") {
  auto f = split({{"field", S("array")}});
  auto e = ev(R"({"array":["big","bird",{"k":1},7,null,"","sesame street"],"keep":true})");
  (void)f.run(*e);
  CHECK(e->cancelled());
  CHECK(values(f, "array") ==
        std::vector<std::string>{R"("big")", R"("bird")", R"({"k":1})", "7", R"("sesame street")"});
  CHECK(values(f, "keep") == std::vector<std::string>(5, "true"));
}

TEST_CASE("split: an array with a target keeps the array on every copy", "[filter][split]") {
  auto f = split({{"field", S("[data][list]")}, {"target", S("[data][item]")}});
  auto e = ev(R"({"data":{"list":["x","y"]}})");
  (void)f.run(*e);
  CHECK(values(f, "[data][item]") == std::vector<std::string>{R"("x")", R"("y")"});
  CHECK(values(f, "[data][list]") == std::vector<std::string>{R"(["x","y"])", R"(["x","y"])"});
}

TEST_CASE("split: a one-element array still splits (only strings are left alone)", "[filter][split]") {
  auto f = split({{"field", S("a")}});
  auto e = ev(R"({"a":["only"]})");
  (void)f.run(*e);
  CHECK(e->cancelled());
  CHECK(values(f, "a") == std::vector<std::string>{R"("only")"});
}

TEST_CASE("split: a string with one part leaves the event untouched and undecorated", "[filter][split]") {
  auto f = split({{"add_tag", SA({"was_split"})}});
  auto e = ev(R"({"message":"hello"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK_FALSE(e->cancelled());
  CHECK(f.emitted.empty());
  CHECK(field(*e, "tags") == "<missing>");
}

TEST_CASE("split: an empty string cancels the event and makes none (Ruby splits it into nothing)",
          "[filter][split]") {
  auto f = split();
  auto e = ev(R"({"message":""})");
  (void)f.run(*e);
  CHECK(e->cancelled());
  CHECK(f.emitted.empty());
}

TEST_CASE("split: common decorations go to every new event", "[filter][split]") {
  auto f = split({{"add_tag", SA({"part"})}, {"add_field", HS({{"src", "%{[message]}!"}})}});
  auto e = ev(R"({"message":"a\nb"})");
  (void)f.run(*e);
  CHECK(values(f, "tags") == std::vector<std::string>{R"(["part"])", R"(["part"])"});
  CHECK(values(f, "src") == std::vector<std::string>{R"("a!")", R"("b!")"});
}

TEST_CASE("split: other types are tagged _split_type_failure and passed on", "[filter][split]") {
  for (const char* doc : {R"({"message":{"a":1}})", R"({"message":12})", R"({"other":1})", R"({"message":null})"}) {
    INFO(doc);
    auto f = split();
    auto e = ev(doc);
    CHECK(f.run(*e) == FilterStatus::Failure);
    CHECK_FALSE(e->cancelled());
    CHECK(f.emitted.empty());
    CHECK(field(*e, "tags") == R"(["_split_type_failure"])");
  }
}

TEST_CASE("split: a single-space terminator splits on runs of whitespace (Ruby's awk mode)", "[filter][split]") {
  auto f = split({{"terminator", S(" ")}});
  auto e = ev(R"({"message":"  big \t bird\nsesame  "})");
  (void)f.run(*e);
  CHECK(values(f, "message") == std::vector<std::string>{R"("big")", R"("bird")", R"("sesame")"});
  auto g = split({{"terminator", S(" ")}});
  auto one = ev(R"({"message":"word  "})");  // ["word", ""]: two parts, so it splits into one event
  (void)g.run(*one);
  CHECK(one->cancelled());
  CHECK(values(g, "message") == std::vector<std::string>{R"("word")"});
}

TEST_CASE("split: an empty terminator splits into characters", "[filter][split]") {
  auto f = split({{"terminator", S("")}});
  auto e = ev(R"({"message":"a\u00e9b"})");
  (void)f.run(*e);
  CHECK(values(f, "message") == std::vector<std::string>{R"("a")", "\"\xC3\xA9\"", R"("b")"});
}

TEST_CASE("split: a bad field reference is a config error", "[filter][split]") {
  CHECK_THROWS_AS(split({{"field", S("[a")}}), sluice::PluginConfigError);
}
