// Plugin option validation: every kind of config error with its message and location, and
// Logstash's coercions.
#include "compiler/compile.hpp"
#include "compiler/validate.hpp"
#include "config/parser.hpp"

#include <catch2/catch.hpp>

using namespace sluice;

namespace {

class ProbeFilter : public Filter {
 public:
  FilterStatus filter(Event&, Emitter&) override { return FilterStatus::Success; }
};

// A registry with one filter having an option of every type.
const Registry& probe_registry() {
  static const Registry r = [] {
    Registry reg;
    PluginSchema s;
    s.kind = PluginKind::Filter;
    s.name = "probe";
    s.description = "test filter";
    s.options = {
        opt("str", OptionType::String).describe("a string"),
        opt("num", OptionType::Number).describe("a number"),
        opt("flag", OptionType::Boolean).def_bool(false).describe("a boolean"),
        opt("list", OptionType::Array).describe("an array"),
        opt("map", OptionType::Hash).describe("a hash"),
        opt("size", OptionType::Bytes).describe("bytes"),
        opt("field", OptionType::FieldReference).describe("a field reference"),
        opt_one_of("mode", {"fast", "slow"}).def_str("fast").describe("a choice"),
        opt("hosts", OptionType::Uri).as_list().describe("URIs"),
        opt("secret", OptionType::Password).describe("a password"),
        opt("needed", OptionType::String).describe("required only in one test"),
        opt("old", OptionType::String).describe("deprecated").deprecated("Use `str` instead."),
        opt("gone", OptionType::String).describe("obsolete").obsolete("Use `str` instead."),
        opt("file", OptionType::Path).describe("a path"),
    };
    reg.add(s, [](const PluginConfig&) { return std::make_unique<ProbeFilter>(); });
    PluginSchema req = s;
    req.name = "strict";
    req.options = {opt("needed", OptionType::String).req().describe("required")};
    reg.add(req, [](const PluginConfig&) { return std::make_unique<ProbeFilter>(); });
    PluginSchema later = s;
    later.name = "later";
    later.implemented = false;
    later.options = {opt("port", OptionType::Number).req().describe("required")};
    reg.add(later, [](const PluginConfig&) -> std::unique_ptr<Plugin> {
      throw PluginConfigError("", "the later filter is not available in this build yet");
    });
    return reg;
  }();
  return r;
}

struct Result {
  compiler::ValidatedPlugin vp;
  config::Diagnostics diags;
};

std::unique_ptr<Result> validate(const std::string& body, const std::string& name = "probe") {
  auto out = std::make_unique<Result>();
  auto ast = config::parse_config_text("filter {\n  " + name + " { " + body + " }\n}\n", "v.conf", {}, out->diags);
  REQUIRE(ast);
  out->vp = compiler::validate_plugin(ast->sections.at(0).body.at(0).plugin, PluginKind::Filter, probe_registry(),
                                      out->diags);
  return out;
}

const ConfigValue& value(const Result& r, const std::string& name) {
  auto it = r.vp.values.find(name);
  REQUIRE(it != r.vp.values.end());
  return it->second;
}

std::string first_error(const config::Diagnostics& d) {
  for (const auto& i : d.items()) {
    if (i.severity == config::Diagnostic::Severity::Error) return i.message;
  }
  return "";
}

std::string all_notes(const config::Diagnostics& d) {
  std::string s;
  for (const auto& i : d.items()) {
    for (const auto& n : i.notes) s += n + "\n";
  }
  return s;
}

}  // namespace

TEST_CASE("validate: unknown plugin with suggestion and known plugins", "[validate]") {
  config::Diagnostics d;
  auto ast = config::parse_config_text("filter {\n  mutat { }\n}\n", "u.conf", {}, d);
  REQUIRE(ast);
  auto vp = compiler::validate_plugin(ast->sections[0].body[0].plugin, PluginKind::Filter, Registry::builtin(), d);
  CHECK_FALSE(vp.ok);
  REQUIRE(d.error_count() == 1);
  const auto& e = d.items()[0];
  CHECK(e.message == "Unknown filter plugin 'mutat'");
  CHECK(e.loc.line == 2);
  CHECK(e.loc.column == 3);
  REQUIRE(e.notes.size() == 2);
  CHECK(e.notes[0] == "did you mean 'mutate'?");
  CHECK(e.notes[1].find("json, mutate") != std::string::npos);
}

TEST_CASE("validate: unknown option lists valid ones and suggests", "[validate]") {
  auto r = validate(R"(strr => "x")");
  CHECK(first_error(r->diags) == "Unknown setting 'strr' for the probe filter plugin");
  CHECK(all_notes(r->diags).find("did you mean 'str'?") != std::string::npos);
  CHECK(all_notes(r->diags).find("valid settings for the probe filter plugin:") != std::string::npos);
  CHECK(r->diags.items()[0].loc.line == 2);
  CHECK(r->diags.items()[0].loc.column == 11);
}

TEST_CASE("validate: missing required option", "[validate]") {
  auto r = validate("", "strict");
  CHECK(first_error(r->diags) == "Missing a required setting for the strict filter plugin: 'needed'");
  CHECK(all_notes(r->diags).find("needed => # SETTING MISSING") != std::string::npos);
}

TEST_CASE("validate: obsolete option is an error naming the replacement", "[validate]") {
  auto r = validate(R"(gone => "x")");
  CHECK(first_error(r->diags).find("'gone'") != std::string::npos);
  CHECK(first_error(r->diags).find("obsolete") != std::string::npos);
  CHECK(all_notes(r->diags).find("Use `str` instead.") != std::string::npos);
}

TEST_CASE("validate: deprecated option is a warning", "[validate]") {
  auto r = validate(R"(old => "x")");
  CHECK_FALSE(r->diags.has_errors());
  REQUIRE(r->diags.items().size() == 1);
  CHECK(r->diags.items()[0].severity == config::Diagnostic::Severity::Warning);
  CHECK(r->diags.items()[0].message.find("deprecated") != std::string::npos);
  CHECK(r->vp.ok);
}

TEST_CASE("validate: string takes one value; numbers become their text", "[validate]") {
  CHECK(value(*validate(R"(str => ["one"])"), "str").string == "one");
  CHECK(value(*validate("str => 12"), "str").string == "12");
  auto r = validate(R"(str => ["a", "b"])");
  CHECK(first_error(r->diags).find("Invalid value for setting 'str'") != std::string::npos);
  CHECK(first_error(r->diags).find("expected string") != std::string::npos);
}

TEST_CASE("validate: number accepts round-tripping strings", "[validate]") {
  CHECK(value(*validate("num => 5"), "num").integer == 5);
  CHECK(value(*validate(R"(num => "5")"), "num").integer == 5);
  CHECK(value(*validate(R"(num => "2.5")"), "num").number == 2.5);
  CHECK(validate(R"(num => "5x")")->diags.has_errors());
  CHECK(validate(R"(num => "2.50")")->diags.has_errors());
  auto r = validate(R"(num => "abc")");
  CHECK(first_error(r->diags) == R"(Invalid value for setting 'num' of the probe filter plugin: expected number, got "abc")");
  CHECK(r->diags.items()[0].loc.column == 18);  // at the value
}

TEST_CASE("validate: boolean accepts true/false barewords and strings", "[validate]") {
  CHECK(value(*validate("flag => true"), "flag").boolean);
  CHECK_FALSE(value(*validate(R"(flag => "false")"), "flag").boolean);
  CHECK(validate(R"(flag => "yes")")->diags.has_errors());
}

TEST_CASE("validate: array wraps scalars", "[validate]") {
  auto r = validate(R"(list => "x")");  // owns the value below
  const ConfigValue& v = value(*r, "list");
  REQUIRE(v.kind == ConfigValue::Kind::Array);
  CHECK(v.array.size() == 1);
}

TEST_CASE("validate: hash accepts Logstash's flat array form", "[validate]") {
  auto r = validate(R"(map => ["a", "1", "b", "2", "a", "3"])");  // owns the value below
  const ConfigValue& v = value(*r, "map");
  REQUIRE(v.kind == ConfigValue::Kind::Hash);
  REQUIRE(v.hash.size() == 2);
  CHECK(v.hash[0].second.kind == ConfigValue::Kind::Array);  // repeated key collects values
  // The collected array keeps the first value's location, file included, whichever order the
  // compiler evaluates arguments in.
  CHECK(v.hash[0].second.loc.file != nullptr);
  CHECK(v.hash[0].second.loc.line == v.hash[0].second.array[0].loc.line);
  CHECK(validate(R"(map => ["a", "1", "b"])")->diags.has_errors());
  CHECK(validate(R"(map => "x")")->diags.has_errors());
}

TEST_CASE("validate: bytes with SI and binary units", "[validate]") {
  CHECK(value(*validate(R"(size => "10mb")"), "size").integer == 10'000'000);
  CHECK(value(*validate(R"(size => "10 MiB")"), "size").integer == 10 * 1024 * 1024);
  CHECK(value(*validate(R"(size => "512kib")"), "size").integer == 512 * 1024);
  CHECK(value(*validate("size => 1024"), "size").integer == 1024);
  CHECK(validate(R"(size => "ten")")->diags.has_errors());
}

TEST_CASE("validate: field references are checked", "[validate]") {
  CHECK(value(*validate(R"(field => "[a][b]")"), "field").string == "[a][b]");
  CHECK(validate(R"(field => "a[b")")->diags.has_errors());
}

TEST_CASE("validate: one-of lists", "[validate]") {
  CHECK(value(*validate("mode => slow"), "mode").string == "slow");
  auto r = validate("mode => medium");
  CHECK(first_error(r->diags).find("expected one of [fast, slow]") != std::string::npos);
}

TEST_CASE("validate: list options split URIs and wrap scalars", "[validate]") {
  auto r = validate(R"(hosts => "http://a:9200 http://b:9200")");  // owns the value below
  const ConfigValue& v = value(*r, "hosts");
  REQUIRE(v.kind == ConfigValue::Kind::Array);
  CHECK(v.array.size() == 2);
}

TEST_CASE("validate: paths must exist", "[validate]") {
  CHECK_FALSE(validate(R"(file => "/")")->diags.has_errors());
  CHECK(validate(R"(file => "/does/not/exist")")->diags.has_errors());
}

TEST_CASE("validate: defaults are filled in", "[validate]") {
  auto r = validate("");
  CHECK(value(*r, "mode").string == "fast");
  CHECK(value(*r, "enable_metric").boolean);
  CHECK(r->vp.values.count("str") == 0);
}

TEST_CASE("validate: codec options are validated recursively", "[validate]") {
  config::Diagnostics d;
  auto ast = config::parse_config_text("output {\n  stdout { codec => rubydebug { nope => 1 } }\n}\n", "c.conf", {}, d);
  REQUIRE(ast);
  auto vp = compiler::validate_plugin(ast->sections[0].body[0].plugin, PluginKind::Output, Registry::builtin(), d);
  CHECK_FALSE(vp.ok);
  CHECK(first_error(d) == "Unknown setting 'nope' for the rubydebug codec plugin");
}

TEST_CASE("validate: every error of every file is collected", "[validate]") {
  config::Diagnostics d;
  auto a = config::parse_config_text("filter { mutat {} json { } }", "a.conf", {}, d);
  auto b = config::parse_config_text("output { stdout { codec => nope } }", "b.conf", {}, d);
  REQUIRE(a);
  REQUIRE(b);
  std::vector<config::ConfigAst> files{*a, *b};
  CompileOptions o;
  o.test_only = true;
  CHECK(compile_pipeline(files, o, d) == nullptr);
  CHECK(d.error_count() == 3);  // unknown mutat, json without source, unknown codec
}

TEST_CASE("validate: duplicate explicit ids", "[validate]") {
  config::Diagnostics d;
  auto a = config::parse_config_text(R"(filter { json { source => msg id => "x" } mutate { id => "x" } })", "a.conf", {}, d);
  REQUIRE(a);
  std::vector<config::ConfigAst> files{*a};
  CHECK(compile_pipeline(files, {}, d) == nullptr);
  CHECK(first_error(d) == "Config has duplicate Ids: 'x'");
}

TEST_CASE("validate: schema-only plugins pass -t but cannot run", "[validate]") {
  config::Diagnostics d;
  auto a = config::parse_config_text("filter { later { port => 5044 } }", "a.conf", {}, d);
  REQUIRE(a);
  std::vector<config::ConfigAst> files{*a};
  CompileOptions test;
  test.registry = &probe_registry();
  test.test_only = true;
  CHECK(compile_pipeline(files, test, d) != nullptr);
  CHECK_FALSE(d.has_errors());
  config::Diagnostics d2;
  CompileOptions run;
  run.registry = &probe_registry();
  CHECK(compile_pipeline(files, run, d2) == nullptr);
  CHECK(first_error(d2) == "the later filter is not available in this build yet");
  // Validation still applies to schema-only plugins.
  config::Diagnostics d3;
  auto b = config::parse_config_text("filter { later { } }", "b.conf", {}, d3);
  REQUIRE(b);
  std::vector<config::ConfigAst> files_b{*b};
  CHECK(compile_pipeline(files_b, test, d3) == nullptr);
}

TEST_CASE("validate: a password's value never appears in errors or snippets", "[validate][redaction]") {
  auto r = validate(R"(secret => ["hunter2x", "b"] num => "x")");
  const std::string rendered = r->diags.render();
  CHECK(first_error(r->diags).find("<password redacted>") != std::string::npos);
  CHECK(rendered.find("hunter2x") == std::string::npos);
  // The snippet keeps its length, so the caret of the `num` error still points at `num`'s value.
  CHECK(rendered.find(R"(secret => [***************] num => "x")") != std::string::npos);
}

TEST_CASE("diagnostics: secret-looking options and URL passwords are masked in snippets", "[redaction]") {
  using config::redact_secrets;
  CHECK(redact_secrets(R"(user => "e" password => "pa\"ss" x => 1)") == R"(user => "e" password => "******" x => 1)");
  CHECK(redact_secrets("ssl_key_passphrase => 'abc'") == "ssl_key_passphrase => '***'");
  CHECK(redact_secrets("api_key => abc:def }") == "api_key => ******* }");
  CHECK(redact_secrets(R"(hosts => ["https://elastic:changeme@es:9200"])") ==
        R"(hosts => ["https://elastic:********@es:9200"])");
  CHECK(redact_secrets(R"(hosts => ["https://es:9200"] user => "elastic")") ==
        R"(hosts => ["https://es:9200"] user => "elastic")");
}
