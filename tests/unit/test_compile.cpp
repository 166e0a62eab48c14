// Lowering: graph shape, plugin ids, merging of sections and files.
#include "compiler/compile.hpp"
#include "config/parser.hpp"

#include <catch2/catch.hpp>

using namespace sluice;

namespace {

std::unique_ptr<CompiledPipeline> build(const std::vector<std::string>& texts, config::Diagnostics& d) {
  std::vector<config::ConfigAst> files;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto ast = config::parse_config_text(texts[i], "f" + std::to_string(i) + ".conf", {}, d);
    REQUIRE(ast);
    files.push_back(std::move(*ast));
  }
  CompileOptions o;
  o.test_only = true;
  return compile_pipeline(files, o, d);
}

}  // namespace

TEST_CASE("compile: sections merge in order and files chain", "[compile]") {
  config::Diagnostics d;
  auto p = build({R"(input { generator { count => 1 } } filter { mutate { add_tag => "a" } } filter { mutate { add_tag => "b" } })",
                  R"(filter { mutate { add_tag => "c" } } output { stdout { } } input { stdin { } })"},
                 d);
  INFO(d.render());
  REQUIRE(p);
  CHECK(p->inputs.size() == 2);
  CHECK(p->inputs[0].name == "generator");
  CHECK(p->inputs[1].name == "stdin");
  REQUIRE(p->filter_graph.size() == 3);
  CHECK(p->filter_graph[0].filter->id() == "mutate_1");
  CHECK(p->filter_graph[2].filter->id() == "mutate_3");
  CHECK(p->filter_graph[0].decorations.add_tag.size() == 1);
  CHECK(p->output_graph.size() == 1);
  CHECK(p->filters.size() == 3);
  CHECK(p->sources == std::vector<std::string>{"f0.conf", "f1.conf"});
}

TEST_CASE("compile: explicit ids are kept; generated ids skip them", "[compile]") {
  config::Diagnostics d;
  auto p = build({R"(filter { mutate { id => "mutate_1" } mutate { } mutate { id => "custom" } })"}, d);
  INFO(d.render());
  REQUIRE(p);
  CHECK(p->filter_graph[0].filter->id() == "mutate_1");
  CHECK(p->filter_graph[1].filter->id() == "mutate_2");
  CHECK(p->filter_graph[2].filter->id() == "custom");
}

TEST_CASE("compile: if / else if / else become one If stage", "[compile]") {
  config::Diagnostics d;
  auto p = build({R"(filter {
  if [a] == 1 { mutate { add_tag => "one" } }
  else if [a] == 2 { mutate { add_tag => "two" } mutate { add_tag => "2" } }
  else { }
})"},
                 d);
  INFO(d.render());
  REQUIRE(p);
  REQUIRE(p->filter_graph.size() == 1);
  const Stage& s = p->filter_graph[0];
  REQUIRE(s.kind == Stage::Kind::If);
  REQUIRE(s.clauses.size() == 3);
  CHECK(s.clauses[0].condition->describe() == "[a] == 1");
  CHECK(s.clauses[1].body.size() == 2);
  CHECK(s.clauses[2].condition == nullptr);
  CHECK(s.clauses[2].body.empty());
  std::string text = p->describe();
  CHECK(text.find("if [a] == 1") != std::string::npos);
  CHECK(text.find("else if [a] == 2") != std::string::npos);
  std::string dot = p->to_dot();
  CHECK(dot.rfind("digraph pipeline {", 0) == 0);
  CHECK(dot.find("mutate_3") != std::string::npos);
}

TEST_CASE("compile: conditionals in inputs are ignored with a warning", "[compile]") {
  config::Diagnostics d;
  auto p = build({R"(input { if [a] { stdin { } } })"}, d);
  REQUIRE(p);
  CHECK(p->inputs.size() == 1);
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].severity == config::Diagnostic::Severity::Warning);
}

TEST_CASE("compile: codec factories build fresh codecs with ids", "[compile]") {
  config::Diagnostics d;
  auto p = build({R"(output { stdout { codec => rubydebug } })"}, d);
  INFO(d.render());
  REQUIRE(p);
  REQUIRE(p->outputs.size() == 1);
  CHECK(p->outputs[0]->id() == "stdout_1");
}

TEST_CASE("compile: condition errors carry locations and stop compilation", "[compile]") {
  config::Diagnostics d;
  auto p = build({"filter {\n  if [a] xor [b] or [c] { }\n}\n"}, d);
  CHECK(p == nullptr);
  REQUIRE(d.has_errors());
  CHECK(d.items()[0].loc.line == 2);
}

TEST_CASE("compile: every built-in option has a description", "[compile]") {
  for (const RegistryEntry* e : Registry::builtin().all()) {
    for (const OptionSpec& o : e->schema.options) {
      INFO(e->schema.name << "." << o.name);
      CHECK_FALSE(o.description.empty());
    }
  }
  for (PluginKind k : {PluginKind::Input, PluginKind::Filter, PluginKind::Output, PluginKind::Codec}) {
    for (const OptionSpec& o : common_options(k)) CHECK_FALSE(o.description.empty());
  }
}
