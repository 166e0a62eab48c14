// The config front end: parse to AST (values, merge rules, conditions), syntax errors with their
// locations and hints, diagnostics rendering, ${VAR} substitution and the -f / -e loader.
#include <catch2/catch.hpp>

#include "config/diagnostics.hpp"
#include "config/loader.hpp"
#include "config/parser.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

using namespace sluice;
using namespace sluice::config;

namespace {

struct Parsed {
  std::optional<ConfigAst> ast;
  Diagnostics diags;
};

Parsed parse(const std::string& text, bool escapes = false) {
  Parsed p;
  ParseOptions o;
  o.support_escapes = escapes;
  p.ast = parse_config_text(text, "test.conf", o, p.diags);
  return p;
}

const PluginDecl& plugin_at(const ConfigAst& ast, size_t section = 0, size_t statement = 0) {
  const Statement& st = ast.sections.at(section).body.at(statement);
  REQUIRE(st.kind == Statement::Kind::Plugin);
  return st.plugin;
}

const ConfigValue& attr(const PluginDecl& p, const std::string& name) {
  for (const Attribute& a : p.attributes)
    if (a.name == name) return a.value;
  FAIL("no attribute " << name);
  static ConfigValue none;
  return none;
}

const PluginDecl& only_plugin(const Parsed& p) {
  INFO(p.diags.render());
  REQUIRE(p.ast);
  return plugin_at(*p.ast);
}

// The first error, as "line:col: message".
std::string first_error(const Parsed& p) {
  for (const Diagnostic& d : p.diags.items())
    if (d.severity == Diagnostic::Severity::Error)
      return std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": " + d.message;
  return "<no error>";
}

std::string all_notes(const Parsed& p) {
  std::string out;
  for (const Diagnostic& d : p.diags.items())
    for (const std::string& n : d.notes) out += n + "\n";
  return out;
}

const Condition& first_condition(const ConfigAst& ast) {
  const Statement& st = ast.sections.at(0).body.at(0);
  REQUIRE(st.kind == Statement::Kind::Branch);
  REQUIRE(st.branch->clauses.at(0).condition);
  return *st.branch->clauses.at(0).condition;
}

Parsed parse_cond(const std::string& c) { return parse("filter { if " + c + " { } }"); }

// A fresh temporary directory, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-loader-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::path p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

// ---- values ----------------------------------------------------------------------------------------

TEST_CASE("parser: mixed parameter types", "[parser]") {
  auto p = parse("input { generator { aarg => [1] hasharg => {foo => bar} iarg => 123 farg => 123.123 "
                 "sarg => 'hello'} }");
  const PluginDecl& g = only_plugin(p);
  CHECK(g.name == "generator");
  CHECK(attr(g, "aarg").to_display() == "[1]");
  const ConfigValue& h = attr(g, "hasharg");
  REQUIRE(h.kind == ConfigValue::Kind::Hash);
  CHECK(h.hash.at(0).first.string == "foo");
  CHECK(h.hash.at(0).first.bareword);
  CHECK(h.hash.at(0).second.string == "bar");
  CHECK(attr(g, "iarg").kind == ConfigValue::Kind::Integer);
  CHECK(attr(g, "iarg").integer == 123);
  CHECK(attr(g, "farg").kind == ConfigValue::Kind::Float);
  CHECK(attr(g, "farg").number == Approx(123.123));
  CHECK(attr(g, "sarg").string == "hello");
  CHECK_FALSE(attr(g, "sarg").bareword);
}

TEST_CASE("parser: quoted attribute names lose their quotes, plugin names keep them", "[parser]") {
  auto p = parse("input { \"stdin\" { notquoted => 1 'singlequoted' => 2 \"doublequoted\" => 3} }");
  const PluginDecl& g = only_plugin(p);
  CHECK(g.name == "\"stdin\"");
  CHECK(attr(g, "notquoted").integer == 1);
  CHECK(attr(g, "singlequoted").integer == 2);
  CHECK(attr(g, "doublequoted").integer == 3);
}

TEST_CASE("parser: barewords are strings, true/false/nil included", "[parser]") {
  auto p = parse("input { stdin { x => true y => false z => nil w => _x } }");
  const PluginDecl& s = only_plugin(p);
  for (const char* n : {"x", "y", "z", "w"}) {
    CHECK(attr(s, n).kind == ConfigValue::Kind::String);
    CHECK(attr(s, n).bareword);
  }
  CHECK(attr(s, "x").string == "true");
  CHECK(attr(s, "w").string == "_x");
}

TEST_CASE("parser: numbers follow Ruby's Integer() and Float()", "[parser]") {
  auto p = parse("input { stdin { a => -12 b => 007 c => 010 d => -010 e => 0 f => 1.5 g => -0.25 h => 01.5 } }");
  const PluginDecl& s = only_plugin(p);
  CHECK(attr(s, "a").integer == -12);
  CHECK(attr(s, "b").integer == 7);
  CHECK(attr(s, "c").integer == 8);
  CHECK(attr(s, "d").integer == -8);
  CHECK(attr(s, "e").integer == 0);
  CHECK(attr(s, "f").number == 1.5);
  CHECK(attr(s, "g").number == -0.25);
  CHECK(attr(s, "h").number == 1.5);
  CHECK(attr(s, "c").string == "010");  // the source text is kept

  auto bad = parse("input { stdin {\n  port => 08\n  ratio => 1.\n  big => 99999999999999999999\n} }");
  CHECK_FALSE(bad.ast);
  REQUIRE(bad.diags.error_count() == 3);
  CHECK(bad.diags.items()[0].loc.line == 2);
  CHECK(bad.diags.items()[0].loc.column == 11);
  CHECK(bad.diags.items()[0].message == "invalid value for Integer(): \"08\"");
  CHECK(bad.diags.items()[1].loc.line == 3);
  CHECK(bad.diags.items()[1].message == "invalid value for Float(): \"1.\"");
  CHECK(bad.diags.items()[2].message.find("out of range") != std::string::npos);
}

TEST_CASE("parser: strings, escapes only with support_escapes", "[parser]") {
  const std::string text = R"(input { foo { bar => "The computer says, \"No\"" it => 'It\'s' re => "\d+\\d" nl => "a\nb" } })";
  auto raw = parse(text);
  const PluginDecl& r = only_plugin(raw);
  CHECK(attr(r, "bar").string == R"(The computer says, \"No\")");
  CHECK(attr(r, "it").string == R"(It\'s)");
  auto esc = parse(text, true);
  const PluginDecl& e = only_plugin(esc);
  CHECK(attr(e, "bar").string == "The computer says, \"No\"");
  CHECK(attr(e, "it").string == "It's");
  CHECK(attr(e, "re").string == R"(\d+\d)");
  CHECK(attr(e, "nl").string == "a\nb");
  CHECK(process_escapes(R"(\t\r\0\q)") == std::string("\t\r\0\\q", 5));

  auto multi = parse("input { stdin { a => \"multi\nline # kept\" } }");
  CHECK(attr(only_plugin(multi), "a").string == "multi\nline # kept");
}

TEST_CASE("parser: arrays and hashes", "[parser]") {
  auto p = parse("input { stdin { tags => [] x => [1, \"two\", three, [4], {a5 => 5}] h => { 1 => \"one\" 'k' => [] } } }");
  const PluginDecl& s = only_plugin(p);
  CHECK(attr(s, "tags").kind == ConfigValue::Kind::Array);
  CHECK(attr(s, "tags").array.empty());
  CHECK(attr(s, "x").to_display() == "[1, \"two\", \"three\", [4], {\"a5\" => 5}]");
  const ConfigValue& h = attr(s, "h");
  CHECK(h.hash.at(0).first.kind == ConfigValue::Kind::Integer);
  CHECK(h.hash.at(0).first.integer == 1);
  CHECK(h.hash.at(1).first.string == "k");
}

TEST_CASE("parser: plugin-valued attributes", "[parser]") {
  auto p = parse("input { stdin { codec => json { charset => \"UTF-8\" } } } output { stdout { codec => json{} } }");
  const ConfigValue& c = attr(only_plugin(p), "codec");
  REQUIRE(c.kind == ConfigValue::Kind::Plugin);
  CHECK(c.plugin->name == "json");
  CHECK(attr(*c.plugin, "charset").string == "UTF-8");
  const ConfigValue& c2 = attr(plugin_at(*p.ast, 1), "codec");
  REQUIRE(c2.kind == ConfigValue::Kind::Plugin);
  CHECK(c2.plugin->attributes.empty());
  auto bare = parse("output { stdout { codec => rubydebug } }");
  CHECK(attr(only_plugin(bare), "codec").kind == ConfigValue::Kind::String);
}

TEST_CASE("parser: repeated attributes merge as in Logstash", "[parser]") {
  auto p = parse("input { generator { aarg => [1] aarg => 2 aarg => '3' aarg => [4] b => 1 b => [2] c => 1 c => 1 "
                 "d => xx d => yy d => zz } }");
  const PluginDecl& g = only_plugin(p);
  CHECK(attr(g, "aarg").to_display() == "[1, 2, \"3\", 4]");
  CHECK(attr(g, "b").to_display() == "[1, [2]]");
  CHECK(attr(g, "c").to_display() == "1");
  CHECK(attr(g, "d").to_display() == "[\"xx\", \"yy\", \"zz\"]");
  CHECK(g.attributes.size() == 4);

  auto grok = parse(R"(filter { grok {
    match => { "message" => "%{WORD:word}" }
    match => { "examplefield" => "%{NUMBER:num}" }
    break_on_match => false
  } })");
  const PluginDecl& gr = only_plugin(grok);
  CHECK(attr(gr, "match").to_display() == R"({"message" => "%{WORD:word}", "examplefield" => "%{NUMBER:num}"})");
  CHECK(attr(gr, "break_on_match").string == "false");

  auto same = parse(R"(filter { mutate { match => {"message" => "foo"} match => {"message" => "bar"} } })");
  CHECK(attr(only_plugin(same), "match").to_display() == R"({"message" => ["foo", "bar"]})");

  auto syslog = parse(R"(filter { grok { add_field => [ "received_at", "%{@timestamp}" ]
      add_field => [ "received_from", "%{host}" ] } })");
  CHECK(attr(only_plugin(syslog), "add_field").array.size() == 4);
}

TEST_CASE("parser: duplicate hash keys are an error", "[parser]") {
  auto p = parse("filter {\n  mutate { add_field => { \"message\" => \"a\" \"message\" => \"b\" } }\n}");
  CHECK_FALSE(p.ast);
  CHECK(first_error(p) == "2:44: Duplicate keys found in your configuration: [\"message\"]");
  // Raw key text decides: "a" and a are different keys.
  auto ok = parse("filter { mutate { add_field => { \"aa\" => 1 aa => 2 } } }");
  CHECK(ok.ast);
  auto two = parse("filter { mutate { h => { aa => 1 bb => 2 aa => 3 bb => 4 } } }");
  CHECK(first_error(two).find("[aa, bb]") != std::string::npos);
}

TEST_CASE("parser: more than one codec is an error", "[parser]") {
  auto p = parse("input { generator {\n codec => plain\n codec => json } }");
  CHECK_FALSE(p.ast);
  CHECK(first_error(p) ==
        "3:2: The input plugin generator at line 1 has multiple `codec` declarations - this is not a valid "
        "configuration, only one top-level `codec` per input plugin is supported");
}

TEST_CASE("parser: every non-syntax error of a file is reported", "[parser]") {
  auto p = parse("input { stdin { a => 08 codec => plain codec => json } }\nfilter { mutate { h => { aa => 1 aa => 2 } } }");
  CHECK(p.diags.error_count() == 3);
}

// ---- sections, branches, conditions ----------------------------------------------------------------

TEST_CASE("parser: sections and statements in order, with locations", "[parser]") {
  auto p = parse("input { stdin {} }\nfilter {\n  mutate { }\n  if [a] { mutate {} } else if [b] { } else { mutate {} }\n}\noutput { stdout {} }");
  REQUIRE(p.ast);
  const ConfigAst& ast = *p.ast;
  REQUIRE(ast.sections.size() == 3);
  CHECK(ast.sections[0].kind == PluginKind::Input);
  CHECK(ast.sections[1].kind == PluginKind::Filter);
  CHECK(ast.sections[2].kind == PluginKind::Output);
  CHECK(ast.sections[1].loc.line == 2);
  const auto& body = ast.sections[1].body;
  REQUIRE(body.size() == 2);
  CHECK(body[0].plugin.loc.line == 3);
  CHECK(body[0].plugin.loc.column == 3);
  CHECK(body[0].plugin.loc.offset == 30);
  REQUIRE(body[1].kind == Statement::Kind::Branch);
  const Branch& b = *body[1].branch;
  REQUIRE(b.clauses.size() == 3);
  CHECK(b.clauses[0].condition);
  CHECK(b.clauses[0].loc.column == 3);
  CHECK(b.clauses[1].condition);
  CHECK(b.clauses[1].loc.column == 24);
  CHECK_FALSE(b.clauses[2].condition);
  CHECK(b.clauses[0].body.size() == 1);
  CHECK(b.clauses[1].body.empty());
  CHECK(b.clauses[2].body.size() == 1);
  CHECK(ast.source->path == "test.conf");
}

TEST_CASE("parser: empty configs", "[parser]") {
  auto p = parse("");
  REQUIRE(p.ast);
  CHECK(p.ast->sections.empty());
  auto c = parse("# only a comment");
  REQUIRE(c.ast);
  CHECK(c.ast->sections.empty());
}

TEST_CASE("parser: condition structure", "[parser]") {
  auto p = parse_cond("[a] == 1 and [b] in [\"x\", \"y\"] or !([c] =~ /^foo\\/bar$/) xor ![d] nand \"s\" not in [e]");
  REQUIRE(p.ast);
  const Condition& c = first_condition(*p.ast);
  REQUIRE(c.operands.size() == 5);
  CHECK(c.operators == std::vector<std::string>{"and", "or", "xor", "nand"});
  CHECK(c.operands[0].kind == Expression::Kind::Compare);
  CHECK(c.operands[0].op == "==");
  CHECK(c.operands[0].lhs.kind == Rvalue::Kind::Selector);
  CHECK(c.operands[0].lhs.text == "[a]");
  CHECK(c.operands[0].rhs.kind == Rvalue::Kind::Number);
  CHECK(c.operands[0].rhs.text == "1");
  CHECK(c.operands[1].kind == Expression::Kind::In);
  CHECK(c.operands[1].rhs.kind == Rvalue::Kind::Array);
  CHECK(c.operands[1].rhs.elements.size() == 2);
  CHECK(c.operands[2].kind == Expression::Kind::Not);
  REQUIRE(c.operands[2].group);
  const Expression& m = c.operands[2].group->operands.at(0);
  CHECK(m.kind == Expression::Kind::Match);
  CHECK(m.rhs.kind == Rvalue::Kind::Regexp);
  CHECK(m.rhs.text == "^foo\\/bar$");
  CHECK(c.operands[3].kind == Expression::Kind::Not);
  CHECK(c.operands[3].lhs.text == "[d]");
  CHECK(c.operands[4].kind == Expression::Kind::NotIn);
  CHECK(c.operands[4].lhs.kind == Rvalue::Kind::String);
  CHECK(c.operands[4].lhs.text == "s");
}

TEST_CASE("parser: condition quirks", "[parser]") {
  // A one-element "array" is a selector.
  auto one = parse_cond("[a] in [\"x\"]");
  REQUIRE(one.ast);
  CHECK(first_condition(*one.ast).operands[0].rhs.kind == Rvalue::Kind::Selector);
  CHECK(first_condition(*one.ast).operands[0].rhs.text == "[\"x\"]");
  // Spaces and quotes are part of selector names.
  auto sp = parse_cond("[a b][\"c\"] == 'c d'");
  REQUIRE(sp.ast);
  CHECK(first_condition(*sp.ast).operands[0].lhs.text == "[a b][\"c\"]");
  CHECK(first_condition(*sp.ast).operands[0].rhs.text == "c d");
  // Groups, values, method calls.
  auto g = parse_cond("([a]) and \"x\" and foo(1, [a])");
  REQUIRE(g.ast);
  const Condition& c = first_condition(*g.ast);
  CHECK(c.operands[0].kind == Expression::Kind::Group);
  CHECK(c.operands[1].kind == Expression::Kind::Value);
  CHECK(c.operands[2].lhs.kind == Rvalue::Kind::MethodCall);
  CHECK(c.operands[2].lhs.text == "foo");
  CHECK(c.operands[2].lhs.elements.size() == 2);
  // elseif is else if.
  auto e = parse("filter { if [a] {} elseif [b] {} }");
  REQUIRE(e.ast);
  CHECK(e.ast->sections[0].body[0].branch->clauses.size() == 2);
  // Orphan else is a plugin named else.
  auto o = parse("filter { if [a] { } mutate {} else { } }");
  REQUIRE(o.ast);
  CHECK(o.ast->sections[0].body.at(2).plugin.name == "else");
  // Number conversion errors are found in conditions too.
  auto n = parse_cond("[a] == 09");
  CHECK_FALSE(n.ast);
  CHECK(first_error(n) == "1:20: invalid value for Integer(): \"09\"");
  // String rvalues keep their raw text (the compiler applies config.support_escapes).
  auto s = parse_cond("[message] =~ \"\\d\"");
  REQUIRE(s.ast);
  CHECK(first_condition(*s.ast).operands[0].rhs.kind == Rvalue::Kind::String);
  CHECK(first_condition(*s.ast).operands[0].rhs.text == "\\d");
}

// ---- syntax errors ---------------------------------------------------------------------------------

TEST_CASE("parser: syntax error positions match Logstash's", "[parser][errors]") {
  struct Case {
    const char* text;
    const char* where;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"input stdin {}", "1:7"},
           {"inputs { stdin {} }", "1:6"},
           {"input { stdin { } ", "1:19"},
           {"input { stdin { } } }", "1:21"},
           {"input { stdin { type \"x\" } }", "1:22"},
           {"input { tcp { port: 5044 } }", "1:19"},
           {"input { tcp { port => 5044, host => \"x\" } }", "1:27"},
           {"input { stdin { add_field => { \"a\" => 1, \"b\" => 2 } } }", "1:40"},
           {"input { stdin { tags => [\"a\", \"b\",] } }", "1:35"},
           {"input { file { path => /var/log/x.log } }", "1:24"},
           {"input { stdin { type => a } }", "1:27"},
           {"input { stdin { a => \"unterminated } }", "1:39"},
           {"filter { if [a] AND [b] {} }", "1:17"},
           {"filter { if [a] = 1 {} }", "1:17"},
           {"filter { if [a] == true {} }", "1:25"},
           {"filter { if !\"foo\" {} }", "1:14"},
           {"filter { if [a] =~ [b] {} }", "1:20"},
           {"filter { if a == 1 {} }", "1:14"},
           {"filter { if [a] == \"b\" { } elsif [c] { } }", "1:34"},
           {"output {\n  if [type] == apache {\n stdout {} } }", "2:23"},
           {"filter {\n  mutate {\n    add_field => { \"a\" => \"b\" }\n  }\n}}", "5:2"},
           {"input { stdin {} }\nfilter {\n  mutate { add_tag => \"x\" \n}\noutput { stdout {} }\n", "5:17"},
           {"input { stdin { type=>\"a\"tags=>[\"x\"] } }", "1:26"},
       }) {
    INFO(c.text);
    auto p = parse(c.text);
    CHECK_FALSE(p.ast);
    std::string err = first_error(p);
    CHECK(err.substr(0, err.find(':', err.find(':') + 1)) == c.where);
  }
}

TEST_CASE("parser: syntax errors say what was expected and give hints", "[parser][errors]") {
  auto p = parse("input stdin {}");
  CHECK(first_error(p) == "1:7: syntax error: expected '{', found \"stdin\"");

  auto attr_comma = parse("input { tcp { port => 5044, host => \"x\" } }");
  CHECK(all_notes(attr_comma).find("not separated by commas") != std::string::npos);

  auto hash_comma = parse("input { stdin { add_field => { \"a\" => 1, \"b\" => 2 } } }");
  CHECK(all_notes(hash_comma).find("hash entries are not separated by commas") != std::string::npos);

  auto upper = parse("filter { if [a] AND [b] {} }");
  CHECK(first_error(upper).find("'and'") != std::string::npos);
  CHECK(all_notes(upper).find("boolean operators are lowercase and, or, xor, nand") != std::string::npos);
  CHECK(all_notes(parse("filter { if [a] && [b] {} }")).find("lowercase") != std::string::npos);

  auto bare = parse("output {\n  if [type] == apache {\n stdout {} } }");
  CHECK(all_notes(bare).find("quote the string: \"apache\"") != std::string::npos);
  CHECK(all_notes(parse("filter { if [a] == true {} }")).find("no boolean or null literals") != std::string::npos);

  auto braces = parse("input { stdin {} }\nfilter {\n  mutate { add_tag => \"x\" \n}\noutput { stdout {} }\n");
  CHECK(all_notes(braces).find("block opened at line 2") != std::string::npos);
  auto unclosed = parse("input {\n  stdin {\n");
  CHECK(all_notes(unclosed).find("block opened at line 2 is never closed") != std::string::npos);
  auto extra = parse("filter {\n  mutate {\n    add_field => { \"a\" => \"b\" }\n  }\n}}");
  CHECK(all_notes(extra).find("closes nothing") != std::string::npos);

  CHECK(all_notes(parse("input { tcp { port: 5044 } }")).find("'=>'") != std::string::npos);
  CHECK(all_notes(parse("filter { if [a] = 1 {} }")).find("use '=='") != std::string::npos);
  CHECK(all_notes(parse("filter { if [a] == \"b\" { } elsif [c] { } }")).find("else if") != std::string::npos);
  CHECK(all_notes(parse("input { stdin { tags => [\"a\", \"b\",] } }")).find("trailing comma") != std::string::npos);
  CHECK(all_notes(parse("input { stdin { type => a } }")).find("at least two characters") != std::string::npos);
  CHECK(all_notes(parse("input { stdin { a => \"open } }")).find("never closed") != std::string::npos);
  CHECK(all_notes(parse("input { file { path => /var/log/x } }")).find("quote the value") != std::string::npos);
}

TEST_CASE("parser: resynchronises at the next section after a syntax error", "[parser][errors]") {
  auto p = parse("input { stdin { type => a } }\nfilter { if [a] AND [b] { } }\noutput { stdout { } }\n");
  CHECK_FALSE(p.ast);
  REQUIRE(p.diags.error_count() == 2);
  CHECK(p.diags.items()[0].loc.line == 1);
  CHECK(p.diags.items()[1].loc.line == 2);
  CHECK(p.diags.items()[1].loc.column == 17);
}

TEST_CASE("parser: nesting is bounded", "[parser][errors]") {
  std::string deep = "input { stdin { a => ";
  for (int i = 0; i < 200; ++i) deep += "[";
  auto p = parse(deep);
  CHECK_FALSE(p.ast);
  CHECK(first_error(p).find("nesting deeper than 64 levels") != std::string::npos);

  std::string ok = "input { stdin { a => ";
  for (int i = 0; i < 30; ++i) ok += "[";
  for (int i = 0; i < 30; ++i) ok += "]";
  ok += " } }";
  CHECK(parse(ok).ast);

  std::string conds = "filter { if ";
  for (int i = 0; i < 100; ++i) conds += "(";
  CHECK(first_error(parse(conds)).find("nesting deeper") != std::string::npos);
}

// ---- diagnostics --------------------------------------------------------------------------------------

TEST_CASE("diagnostics: rendering with source line and caret", "[diagnostics]") {
  auto p = parse("input {\n\tstdin { type => a }\n}");
  std::string r = p.diags.render();
  CHECK(r.find("test.conf:2:20: error: syntax error: expected '{'") == 0);
  CHECK(r.find("\n    \tstdin { type => a }\n    \t                  ^\n") != std::string::npos);

  Diagnostics d;
  d.warning(SourceLoc{}, "no location");
  CHECK(d.render() == "warning: no location\n");
  CHECK_FALSE(d.has_errors());
  d.error(SourceLoc{}, "bad", {"note: x"});
  CHECK(d.error_count() == 1);
  CHECK(d.render() == "warning: no location\nerror: bad\n  note: x\n");
}

TEST_CASE("diagnostics: suggestions by edit distance", "[diagnostics]") {
  std::vector<std::string> names = {"stdout", "stdin", "elasticsearch", "null", "mutate", "json"};
  CHECK(suggest("stdot", names).at(0) == "stdout");
  CHECK(suggest("sdtout", names).at(0) == "stdout");
  CHECK(suggest("elasticsearh", names).at(0) == "elasticsearch");
  CHECK(suggest("jsn", names).at(0) == "json");
  CHECK(suggest("zzzzzzzz", names).empty());
}

TEST_CASE("config values: display and plain forms", "[diagnostics]") {
  auto h = ConfigValue::make_hash({{ConfigValue::make_string("a"), ConfigValue::make_integer(1)}});
  CHECK(h.to_display() == "{\"a\" => 1}");
  CHECK(ConfigValue::make_float(1.0).to_display() == "1.0");
  CHECK(ConfigValue::make_bool(true).to_plain_string() == "true");
  CHECK(ConfigValue::make_string("x").to_plain_string() == "x");
  CHECK(std::string(ConfigValue::make_array({}).kind_name()) == "array");
  SourceFile f{"p.conf", "a\r\nbb\nccc"};
  CHECK(f.line_text(1) == "a");
  CHECK(f.line_text(2) == "bb");
  CHECK(f.line_text(3) == "ccc");
  CHECK(f.line_text(4).empty());
}

// ---- ${VAR} ---------------------------------------------------------------------------------------------

TEST_CASE("substitution: plugin values", "[substitution]") {
  auto p = parse(R"(input { tcp { port => "${TCP_PORT:54321}" host => "${HOST}" } }
filter { mutate { add_field => { "my_path" => "${HOME}/file.log" } add_tag => [ "blah", "${TAG}" ]
  codec => json { charset => "${CS}" } list => "${LIST}" quoted => "${QUOTED}" } })");
  REQUIRE(p.ast);
  Diagnostics d;
  REQUIRE(substitute_variables(*p.ast, env({{"HOST", "h1"}, {"HOME", "/home/u"}, {"TAG", "t1"}, {"CS", "UTF-8"},
                                            {"LIST", "[a, \"b\", 'c' ]"}, {"QUOTED", "'x y'"}}), d));
  const PluginDecl& tcp = plugin_at(*p.ast, 0);
  CHECK(attr(tcp, "port").string == "54321");
  CHECK(attr(tcp, "host").string == "h1");
  const PluginDecl& m = plugin_at(*p.ast, 1);
  CHECK(attr(m, "add_field").hash.at(0).second.string == "/home/u/file.log");
  CHECK(attr(m, "add_tag").to_display() == "[\"blah\", \"t1\"]");
  CHECK(attr(*attr(m, "codec").plugin, "charset").string == "UTF-8");
  CHECK(attr(m, "list").to_display() == "[\"a\", \"b\", \"c\"]");
  CHECK(attr(m, "quoted").string == "x y");
}

TEST_CASE("substitution: unset variable without default is an error at the placeholder", "[substitution]") {
  auto p = parse("input {\n  tcp { port => \"x-${NOPE}\" } }");
  REQUIRE(p.ast);
  Diagnostics d;
  CHECK_FALSE(substitute_variables(*p.ast, env({}), d));
  REQUIRE(d.error_count() == 1);
  CHECK(d.items()[0].loc.line == 2);
  CHECK(d.items()[0].loc.column == 20);
  CHECK(d.items()[0].message.find("Cannot evaluate `${NOPE}`") == 0);
  // An empty default is a default.
  auto e = parse("input { tcp { port => \"${NOPE:}\" } }");
  Diagnostics d2;
  CHECK(substitute_variables(*e.ast, env({}), d2));
  CHECK(attr(plugin_at(*e.ast), "port").string.empty());
}

TEST_CASE("substitution: conditions take only whole placeholders, never regexps", "[substitution]") {
  auto p = parse(R"(filter {
  if ("${APP}") { }
  if [app] == "prefix-${APP}" { }
  if [amount] in ["${SMALL}", "${BIG}"] { }
  if [amount] =~ /${BIG}/ { }
  if "${BIG}" > "${SMALL}" { }
})");
  REQUIRE(p.ast);
  Diagnostics d;
  REQUIRE(substitute_variables(*p.ast, env({{"APP", "foobar"}, {"BIG", "100"}, {"SMALL", "1"}}), d));
  auto cond = [&](size_t i) -> const Condition& { return *p.ast->sections[0].body.at(i).branch->clauses[0].condition; };
  CHECK(cond(0).operands[0].group->operands[0].lhs.text == "foobar");
  CHECK(cond(1).operands[0].rhs.text == "prefix-${APP}");
  CHECK(cond(2).operands[0].rhs.elements[0].text == "1");
  CHECK(cond(2).operands[0].rhs.elements[1].text == "100");
  CHECK(cond(3).operands[0].rhs.text == "${BIG}");
  CHECK(cond(4).operands[0].lhs.text == "100");
  CHECK(cond(4).operands[0].rhs.text == "1");

  auto missing = parse("filter { if \"${NOT_EXIST}\" { } }");
  Diagnostics d2;
  CHECK_FALSE(substitute_variables(*missing.ast, env({}), d2));
  CHECK(d2.items().at(0).message.find("`${NOT_EXIST}`") != std::string::npos);
}

// ---- loader ---------------------------------------------------------------------------------------------

TEST_CASE("loader: a directory is read in path order, skipping temp files, dotfiles and subdirectories",
          "[loader]") {
  TempDir dir;
  dir.write("b.conf", "filter { mutate { add_tag => \"b\" } }");
  dir.write("a.conf", "filter { mutate { add_tag => \"a\" } }");
  dir.write("z.conf.bak", "filter { mutate { add_tag => \"z\" } }");
  dir.write("10-x.conf", "filter { }");
  dir.write("9-y.conf", "filter { }");
  dir.write("B.conf", "filter { }");
  dir.write("x.conf~", "this is not read");
  dir.write(".hidden.conf", "nor this");
  dir.write("sub/inner.conf", "nor this");
  Diagnostics d;
  auto loaded = load_config(ConfigSource::from_paths({dir.path.string()}), LoadOptions{}, d);
  INFO(d.render());
  REQUIRE(loaded);
  std::vector<std::string> names;
  for (const auto& s : loaded->sources) names.push_back(std::filesystem::path(s).filename().string());
  CHECK(names == std::vector<std::string>{"10-x.conf", "9-y.conf", "B.conf", "a.conf", "b.conf", "z.conf.bak"});
  CHECK(loaded->files.size() == 6);
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].severity == Diagnostic::Severity::Warning);
  CHECK(d.items()[0].message.find("temp file") != std::string::npos);
  CHECK(d.render().find("x.conf~") != std::string::npos);
}

TEST_CASE("loader: globs, braces, file:// and single files", "[loader]") {
  TempDir dir;
  dir.write("one.conf", "input { }");
  dir.write("two.conf", "filter { }");
  dir.write("three.txt", "output { }");
  Diagnostics d;
  auto g = load_config(ConfigSource::from_paths({(dir.path / "*.conf").string()}), LoadOptions{}, d);
  REQUIRE(g);
  CHECK(g->files.size() == 2);
  auto b = load_config(ConfigSource::from_paths({(dir.path / "{one.conf,three.txt}").string()}), LoadOptions{}, d);
  REQUIRE(b);
  CHECK(b->files.size() == 2);
  auto f = load_config(ConfigSource::from_paths({"file://" + (dir.path / "one.conf").string()}), LoadOptions{}, d);
  REQUIRE(f);
  CHECK(f->files.size() == 1);
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("loader: no files matched is an error", "[loader]") {
  TempDir dir;
  Diagnostics d;
  CHECK_FALSE(load_config(ConfigSource::from_paths({(dir.path / "*.conf").string()}), LoadOptions{}, d));
  CHECK(d.render().find("No config files found in path") != std::string::npos);
  Diagnostics d2;
  CHECK_FALSE(load_config(ConfigSource::from_paths({dir.path.string()}), LoadOptions{}, d2));
  CHECK(d2.has_errors());
}

TEST_CASE("loader: errors are located in their own file, all files are checked", "[loader]") {
  TempDir dir;
  dir.write("a.conf", "input { stdin { } }\n");
  std::string second = dir.write("b.conf", "filter {\n  mutate { add_tag => a }\n}\n");
  std::string third = dir.write("c.conf", "output { stdout { codec => plain codec => json } }\n");
  Diagnostics d;
  CHECK_FALSE(load_config(ConfigSource::from_paths({dir.path.string()}), LoadOptions{}, d));
  REQUIRE(d.error_count() == 2);
  CHECK(d.items()[0].loc.file->path == second);
  CHECK(d.items()[0].loc.line == 2);
  CHECK(d.items()[0].loc.column == 25);
  CHECK(d.items()[1].loc.file->path == third);
  CHECK(d.render().find(second + ":2:25: error:") != std::string::npos);
}

TEST_CASE("loader: -e adds the default input and output when absent", "[loader]") {
  Diagnostics d;
  auto l = load_config(ConfigSource::from_string("filter { }"), LoadOptions{}, d);
  REQUIRE(l);
  CHECK(l->sources == std::vector<std::string>{"config string", "default input", "default output"});
  CHECK(l->files.at(1).sections.at(0).kind == PluginKind::Input);
  CHECK(plugin_at(l->files.at(1)).name == "stdin");
  CHECK(attr(plugin_at(l->files.at(2)), "codec").string == "rubydebug");

  auto both = load_config(ConfigSource::from_string("input { generator {} } output { null {} }"), LoadOptions{}, d);
  REQUIRE(both);
  CHECK(both->files.size() == 1);
  // A textual test: a commented-out block counts.
  auto commented = load_config(ConfigSource::from_string("# output {\ninput{stdin{}}"), LoadOptions{}, d);
  REQUIRE(commented);
  CHECK(commented->files.size() == 1);
  auto empty = load_config(ConfigSource::from_string(""), LoadOptions{}, d);
  REQUIRE(empty);
  CHECK(empty->files.size() == 3);
  CHECK_FALSE(d.has_errors());

  Diagnostics d2;
  ConfigSource s = ConfigSource::from_string("input { }");
  s.paths.push_back("/etc");
  CHECK_FALSE(load_config(s, LoadOptions{}, d2));
  CHECK(d2.render().find("can't be used simultaneously") != std::string::npos);
}

TEST_CASE("loader: substitution and escapes are applied", "[loader]") {
  LoadOptions o;
  o.lookup = env({{"PORT", "5044"}});
  o.support_escapes = true;
  Diagnostics d;
  auto l = load_config(ConfigSource::from_string("input { tcp { port => \"${PORT}\" x => \"a\\tb\" } } output { }"), o, d);
  REQUIRE(l);
  CHECK(attr(plugin_at(l->files[0]), "port").string == "5044");
  CHECK(attr(plugin_at(l->files[0]), "x").string == "a\tb");
  Diagnostics d2;
  CHECK_FALSE(load_config(ConfigSource::from_string("input { tcp { port => \"${NOPE}\" } } output { }"), o, d2));
  CHECK(d2.render().find("config string:1:24: error: Cannot evaluate `${NOPE}`") != std::string::npos);
}

// ---- the corpus (tests/grammar), through the front end only ----------------------------------------
// run_corpus.py checks the same files through `sluice -t`; here the parser-level expectations are
// checked without the compiler. Cases whose errors only the compiler finds (unknown plugins or
// settings) must parse cleanly here.
TEST_CASE("corpus: every case parses or fails as its .expect says", "[parser][corpus]") {
  namespace fs = std::filesystem;
  std::vector<fs::path> confs;
  for (const auto& e : fs::directory_iterator(fs::path(SLUICE_SOURCE_DIR) / "tests" / "grammar"))
    if (e.path().extension() == ".conf") confs.push_back(e.path());
  std::sort(confs.begin(), confs.end());
  CHECK(confs.size() >= 80);
  size_t compiler_level = 0;
  for (const fs::path& conf : confs) {
    INFO(conf.filename().string());
    std::ifstream expect_file(fs::path(conf).replace_extension(".expect"));
    REQUIRE(expect_file);
    std::string first;
    std::getline(expect_file, first);
    std::vector<std::pair<std::string, std::string>> expected;
    for (std::string line; std::getline(expect_file, line);) {
      if (line.empty()) continue;
      size_t sep = line.find(": ");
      REQUIRE(sep != std::string::npos);
      expected.emplace_back(line.substr(0, sep), line.substr(sep + 2));
    }
    Diagnostics d;
    LoadOptions o;
    o.lookup = env({});
    auto loaded = load_config(ConfigSource::from_paths({conf.string()}), o, d);
    INFO(d.render());
    if (first == "ok") {
      CHECK(loaded);
      continue;
    }
    REQUIRE(first == "error");
    if (loaded) {
      ++compiler_level;
      continue;
    }
    for (const auto& entry : expected) {
      // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
      const auto& where = entry.first;
      const auto& substring = entry.second;
      bool found = std::any_of(d.items().begin(), d.items().end(), [&](const Diagnostic& diag) {
        std::string at = std::to_string(diag.loc.line) + ":" + std::to_string(diag.loc.column);
        std::string text = diag.message;
        for (const std::string& n : diag.notes) text += "\n" + n;
        return at == where && text.find(substring) != std::string::npos;
      });
      CHECK(found);
    }
  }
  CHECK(compiler_level < confs.size() / 4);
}
