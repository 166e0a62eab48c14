// Common filter decorations (logstash-core spec/logstash/filters/base_spec.rb, reference §2.1) and
// input decorations. A "noop" filter always succeeds: decorations are applied directly.
#include "filter_test_helpers.hpp"

using namespace filter_test;
using sluice::FilterDecorations;
using sluice::InputDecorations;

namespace {
FilterDecorations deco(Opts opts) {
  sluice::PluginConfig cfg;
  cfg.kind = sluice::PluginKind::Filter;
  for (auto& [k, v] : opts) cfg.values.insert_or_assign(k, std::move(v));
  return FilterDecorations::from_config(cfg);
}
std::string tags_after(const FilterDecorations& d, std::string_view json) {
  auto e = ev(json);
  d.apply(*e);
  return field(*e, "tags");
}
}  // namespace

TEST_CASE("B-1 add_field repeated for one key builds a list", "[decorations]") {
  // Repeated `add_field => [k, v]` options merge into one hash whose value is a list.
  auto d = deco({{"add_field", H({{"new_field", SA({"new_value", "new_value_2"})}})}});
  auto e = ev(R"({"message":"example"})");
  d.apply(*e);
  CHECK(field(*e, "new_field") == R"(["new_value","new_value_2"])");
}

TEST_CASE("B-2..B-6 add_tag appends without dedupe", "[decorations]") {
  auto d = deco({{"add_tag", SA({"test"})}});
  CHECK(tags_after(d, R"({"type":"noop"})") == R"(["test"])");
  CHECK(tags_after(d, R"({"type":"noop","tags":["t1","t2"]})") == R"(["t1","t2","test"])");
  CHECK(tags_after(deco({{"add_tag", SA({"bar"})}}), R"({"type":"noop","tags":"foo"})") == R"(["foo","bar"])");
  CHECK(tags_after(deco({{"add_tag", SA({"foo"})}}), R"({"type":"noop","tags":"foo"})") == R"(["foo","foo"])");
  CHECK(tags_after(d, R"({"tags":["t1"]})") == R"(["t1","test"])");
  CHECK(tags_after(d, R"({"tags":["t1","t2","t3"]})") == R"(["t1","t2","t3","test"])");
}

TEST_CASE("B-7 remove_tag", "[decorations]") {
  auto d = deco({{"remove_tag", SA({"t2", "t3"})}});
  CHECK(tags_after(d, R"({"tags":"foo"})") == R"(["foo"])");
  CHECK(tags_after(d, R"({"tags":"t2"})") == R"([])");
  CHECK(tags_after(d, R"({"tags":["t2"]})") == R"([])");
  CHECK(tags_after(d, R"({"tags":["t4"]})") == R"(["t4"])");
  CHECK(tags_after(d, R"({"tags":["t1","t2","t3"]})") == R"(["t1"])");
  CHECK(tags_after(d, R"({"tags":["t1","t2"]})") == R"(["t1"])");
  CHECK(tags_after(d, R"({"message":"no tags"})") == "<missing>");
}

TEST_CASE("B-8 remove_tag is sprintf'd", "[decorations]") {
  auto d = deco({{"remove_tag", SA({"%{blackhole}"})}});
  CHECK(tags_after(d, R"({"tags":["t1","goaway","t3"],"blackhole":"goaway"})") == R"(["t1","t3"])");
}

TEST_CASE("B-9..B-11 remove_field", "[decorations]") {
  auto d = deco({{"remove_field", SA({"t2", "t3"})}});
  auto e = ev(R"({"t4":"four"})");
  d.apply(*e);
  CHECK(field(*e, "t4") == R"("four")");
  e = ev(R"({"t1":"one","t2":"two","t3":"three"})");
  d.apply(*e);
  CHECK(field(*e, "t1") == R"("one")");
  CHECK(field(*e, "t2") == "<missing>");
  CHECK(field(*e, "t3") == "<missing>");
  e = ev(R"({"t1":"one","t2":"two"})");
  d.apply(*e);
  CHECK(field(*e, "t1") == R"("one")");
  CHECK(field(*e, "t2") == "<missing>");

  e = ev(R"({"tags":"foo"})");
  deco({{"remove_field", SA({"tags"})}}).apply(*e);
  CHECK(field(*e, "tags") == "<missing>");

  e = ev(R"({"t1":{"t2":"two","t3":"three"}})");
  deco({{"remove_field", SA({"[t1][t2]"})}}).apply(*e);
  CHECK(field(*e, "t1") == R"({"t3":"three"})");
}

TEST_CASE("B-12 B-13 remove_field in @metadata", "[decorations]") {
  auto e = ev(R"({"@metadata":{"f1":"one","f2":{"f3":"three"},"f4":{"f5":"five","f6":"six"},"f7":"seven"}})");
  deco({{"remove_field", SA({"[@metadata][f1]", "[@metadata][f2]", "[@metadata][f4][f5]"})}}).apply(*e);
  CHECK(metadata(*e) == R"({"f4":{"f6":"six"},"f7":"seven"})");

  e = ev(R"({"@metadata":{"f1":"one","f2":{"f3":"three"}}})");
  deco({{"remove_field", SA({"[@metadata]"})}}).apply(*e);
  CHECK(metadata(*e) == "{}");
  CHECK(e->includes(ref("[@metadata]")));
}

TEST_CASE("B-14 B-15 remove_field of a list element and a sprintf'd name", "[decorations]") {
  auto e = ev(R"({"t1":["t2","t3"]})");
  deco({{"remove_field", SA({"[t1][0]"})}}).apply(*e);
  CHECK(field(*e, "t1") == R"(["t3"])");

  e = ev(R"({"blackhole":"go","go":"away"})");
  deco({{"remove_field", SA({"%{blackhole}"})}}).apply(*e);
  CHECK(field(*e, "go") == "<missing>");
  CHECK(field(*e, "blackhole") == R"("go")");
}

TEST_CASE("B-16 B-17 no decorations leave tags untouched", "[decorations]") {
  auto d = deco({});
  CHECK(d.empty());
  auto e = ev(R"({"go":"away","tags":"blackhole"})");
  d.apply(*e);
  CHECK(field(*e, "tags") == R"("blackhole")");
  e = ev(R"({"tags":"blackhole"})");
  deco({{"enable_metric", B(false)}}).apply(*e);
  CHECK(field(*e, "tags") == R"("blackhole")");
}

TEST_CASE("add_field onto existing values (Array(old) << new)", "[decorations]") {
  auto d = deco({{"add_field", HS({{"f", "new"}})}});
  auto run = [&](std::string_view json) {
    auto e = ev(json);
    d.apply(*e);
    return field(*e, "f");
  };
  CHECK(run(R"({"f":"old"})") == R"(["old","new"])");
  CHECK(run(R"({"f":null})") == R"(["new"])");
  CHECK(run(R"({"f":{"a":1}})") == R"([["a",1],"new"])");
  CHECK(run(R"({"f":["x",2]})") == R"(["x",2,"new"])");
  CHECK(run(R"({})") == R"("new")");
  auto e = ev("{}");
  deco({{"add_field", H({{"f", SA({"a", "b"})}})}}).apply(*e);
  CHECK(field(*e, "f") == R"(["a","b"])");
}

TEST_CASE("add_field sprintf's key and value; nested keys", "[decorations]") {
  auto e = ev(R"({"name":"k","v":5,"list":["a","b"]})");
  deco({{"add_field", HS({{"field_%{name}", "value %{v} %{list} %{missing}"}, {"[n][m]", "x"}})}}).apply(*e);
  CHECK(field(*e, "field_k") == R"("value 5 a,b %{missing}")");
  CHECK(field(*e, "[n][m]") == R"("x")");
}

TEST_CASE("decoration order: add_field before remove_field, add_tag before remove_tag", "[decorations]") {
  auto e = ev("{}");
  deco({{"add_field", HS({{"f", "v"}})}, {"remove_field", SA({"f"})}, {"add_tag", SA({"t"})},
        {"remove_tag", SA({"t"})}})
      .apply(*e);
  CHECK(field(*e, "f") == "<missing>");
  CHECK(field(*e, "tags") == "[]");
}

TEST_CASE("add_tag is sprintf'd", "[decorations]") {
  auto e = ev(R"({"kind":"web"})");
  deco({{"add_tag", SA({"from_%{kind}"})}}).apply(*e);
  CHECK(field(*e, "tags") == R"(["from_web"])");
}

TEST_CASE("a constant invalid field reference is a configuration error", "[decorations]") {
  CHECK_THROWS_AS(deco({{"add_field", HS({{"[[][[[[]message", "nope"}})}}), sluice::PluginConfigError);
  CHECK_THROWS_AS(deco({{"remove_field", SA({"foo[bar]"})}}), sluice::PluginConfigError);
}

TEST_CASE("input decorations: type only if absent, add_field, tags appended", "[decorations]") {
  sluice::PluginConfig cfg;
  cfg.kind = sluice::PluginKind::Input;
  cfg.values.emplace("type", S("syslog"));
  cfg.values.emplace("add_field", HS({{"env", "prod"}, {"src", "%{host}"}}));
  cfg.values.emplace("tags", SA({"a", "b"}));
  InputDecorations d = InputDecorations::from_config(cfg);

  auto e = ev(R"({"host":"h1","tags":["x"]})");
  d.apply(*e);
  CHECK(field(*e, "type") == R"("syslog")");
  CHECK(field(*e, "env") == R"("prod")");
  CHECK(field(*e, "src") == R"("h1")");
  CHECK(field(*e, "tags") == R"(["x","a","b"])");

  e = ev(R"({"type":"given","env":"dev"})");
  d.apply(*e);
  CHECK(field(*e, "type") == R"("given")");
  CHECK(field(*e, "env") == R"(["dev","prod"])");
  CHECK(field(*e, "tags") == R"(["a","b"])");
}
