// Condition semantics: one case per rule of Logstash's EventCondition / lscl.rb behaviour.
#include "compiler/conditions.hpp"
#include "config/parser.hpp"
#include "sluice/event.hpp"

#include <catch2/catch.hpp>

using namespace sluice;

namespace {

struct Compiled {
  std::unique_ptr<CompiledCondition> cond;
  config::Diagnostics diags;
};

std::unique_ptr<Compiled> compile(const std::string& condition, bool escapes = false) {
  auto out = std::make_unique<Compiled>();
  config::ParseOptions po;
  po.support_escapes = escapes;
  auto ast = config::parse_config_text("filter { if " + condition + " { } }", "test.conf", po, out->diags);
  if (!ast) return out;  // a syntax error (the parser rejects some forms, e.g. `08`)
  const config::Statement& st = ast->sections.at(0).body.at(0);
  REQUIRE(st.kind == config::Statement::Kind::Branch);
  compiler::ConditionOptions co;
  co.support_escapes = escapes;
  out->cond = compiler::compile_condition(*st.branch->clauses.at(0).condition, co, out->diags);
  return out;
}

CondResult eval(const std::string& condition, const std::string& json, std::string* error = nullptr) {
  auto c = compile(condition);
  INFO(c->diags.render());
  REQUIRE(c->cond);
  std::string err;
  auto e = Event::from_json(json, &err);
  REQUIRE(e);
  return c->cond->eval(*e, error);
}

bool is_true(const std::string& condition, const std::string& json) { return eval(condition, json) == CondResult::True; }

bool fails_to_compile(const std::string& condition) {
  auto c = compile(condition);
  return c->cond == nullptr && c->diags.has_errors();
}

}  // namespace

TEST_CASE("conditions: truthiness of fields (item 27)", "[conditions]") {
  CHECK_FALSE(is_true("[message]", R"({"message":"false"})"));
  CHECK_FALSE(is_true("[message]", R"({"message":""})"));
  CHECK(is_true("[message]", R"({"message":0})"));
  CHECK(is_true("[message]", R"({"message":"0"})"));
  CHECK(is_true("[message]", R"({"message":[]})"));
  CHECK(is_true("[message]", R"({"message":{}})"));
  CHECK_FALSE(is_true("[message]", R"({})"));
  CHECK_FALSE(is_true("[message]", R"({"message":null})"));
  CHECK_FALSE(is_true("[message]", R"({"message":false})"));
  CHECK(is_true("[@metadata]", R"({})"));
}

TEST_CASE("conditions: constant conditions are decided at compile time (item 22)", "[conditions]") {
  CHECK(is_true("[]", "{}"));
  CHECK(is_true("1", "{}"));
  CHECK_FALSE(is_true(R"("")", "{}"));
  CHECK_FALSE(is_true(R"("false")", "{}"));
  CHECK(is_true(R"("x")", "{}"));
}

TEST_CASE("conditions: == with missing fields (item 28)", "[conditions]") {
  CHECK(is_true("[nope1] == [nope2]", "{}"));
  CHECK(is_true(R"([missing] != "x")", "{}"));
  CHECK_FALSE(is_true(R"([missing] == "x")", "{}"));
}

TEST_CASE("conditions: == is type-sensitive (item 29)", "[conditions]") {
  CHECK(is_true("[x] == 5", R"({"x":5})"));
  CHECK_FALSE(is_true("[x] == 5", R"({"x":"5"})"));
  CHECK_FALSE(is_true(R"([x] == "5")", R"({"x":5})"));
  CHECK(is_true(R"("5" == [x])", R"({"x":"5"})"));
  CHECK_FALSE(is_true(R"([x] == "true")", R"({"x":true})"));
}

TEST_CASE("conditions: integer and float compare as Ruby == against constants", "[conditions]") {
  CHECK(is_true("[x] == 5", R"({"x":5.0})"));
  CHECK(is_true("[x] == 5.0", R"({"x":5})"));
  CHECK(is_true("[x] == -1.5", R"({"x":-1.5})"));
}

TEST_CASE("conditions: field == field uses Java equality (Long != Double)", "[conditions]") {
  CHECK_FALSE(is_true("[a] == [b]", R"({"a":5,"b":5.0})"));
  CHECK(is_true("[a] == [b]", R"({"a":[1,"x"],"b":[1,"x"]})"));
  CHECK(is_true("[a] == [b]", R"({"a":{"k":1,"j":2},"b":{"j":2,"k":1}})"));
}

TEST_CASE("conditions: constant == constant uses Java equality", "[conditions]") {
  CHECK(is_true(R"("a" == "a")", "{}"));
  CHECK_FALSE(is_true("5 == 5.0", "{}"));
  CHECK(is_true("5 != 5.0", "{}"));
}

TEST_CASE("conditions: ordering comparisons (item 31)", "[conditions]") {
  CHECK(is_true("[message] < 'sample'", R"({"message":"apple"})"));
  CHECK_FALSE(is_true("[message] < 'sample'", R"({"message":"zebra"})"));
  CHECK(is_true("[n] > 10", R"({"n":11})"));
  CHECK(is_true("[n] >= 10", R"({"n":10})"));
  CHECK(is_true("[n] <= 10.5", R"({"n":10})"));
  CHECK(is_true("10 < [n]", R"({"n":11})"));
  CHECK_FALSE(is_true("10 > [n]", R"({"n":11})"));
  CHECK(is_true("[a] < [b]", R"({"a":1,"b":2.5})"));
}

TEST_CASE("conditions: comparison type errors drop the event (item 30)", "[conditions]") {
  std::string err;
  CHECK(eval("[path][to][value] > 100", R"({"path":{"to":{"value":"101"}}})", &err) == CondResult::Error);
  CHECK(err == "no implicit conversion from nil to integer");
  CHECK(eval("[missing] > 100", "{}", &err) == CondResult::Error);
  CHECK(eval("[a] > 1", R"({"a":[1]})", &err) == CondResult::Error);
  CHECK(eval("[a] > 1", R"({"a":true})", &err) == CondResult::Error);
}

TEST_CASE("conditions: evaluation errors propagate through boolean operators", "[conditions]") {
  std::string err;
  CHECK(eval(R"([s] > 1 or [x])", R"({"s":"a","x":1})", &err) == CondResult::Error);
  CHECK(eval(R"(!([s] > 1))", R"({"s":"a"})", &err) == CondResult::Error);
  // Short-circuit: the right side is not evaluated.
  CHECK(eval(R"([x] or [s] > 1)", R"({"s":"a","x":1})", &err) == CondResult::True);
  CHECK(eval(R"([nope] and [s] > 1)", R"({"s":"a"})", &err) == CondResult::False);
}

TEST_CASE("conditions: constant comparisons are folded; mixed kinds fail to compile", "[conditions]") {
  CHECK(is_true(R"("b" > "a")", "{}"));
  CHECK(is_true("2 > 1", "{}"));
  CHECK(fails_to_compile(R"("a" > 1)"));
  CHECK(fails_to_compile("1 > 1.5"));
}

TEST_CASE("conditions: =~ and !~ (item 32)", "[conditions]") {
  CHECK(is_true("[message] =~ /sample/", R"({"message":"some sample"})"));
  CHECK_FALSE(is_true("[message] =~ /sample/", R"({"message":5})"));
  CHECK_FALSE(is_true("[message] =~ /sample/", R"({})"));
  CHECK(is_true("[message] !~ /sample/", R"({})"));
  CHECK_FALSE(is_true("[message] =~ /a/", R"({"message":["a"]})"));
  CHECK(is_true(R"([message] =~ "\d")", R"({"message":"a1"})"));
  CHECK(is_true(R"("abc" =~ /b/)", "{}"));
}

TEST_CASE("conditions: regexes follow Ruby's dialect", "[conditions]") {
  // ^ and $ are line anchors.
  CHECK(is_true("[m] =~ /^b$/", R"({"m":"a\nb\nc"})"));
  // \A and \z anchor the string.
  CHECK_FALSE(is_true(R"([m] =~ /\Ab/)", R"({"m":"a\nb"})"));
  CHECK(is_true(R"([m] =~ /b\z/)", R"({"m":"a\nb"})"));
  // . does not match a newline; (?m) is Ruby's dot-all.
  CHECK_FALSE(is_true("[m] =~ /a.b/", R"({"m":"a\nb"})"));
  CHECK(is_true("[m] =~ /(?m)a.b/", R"({"m":"a\nb"})"));
  // \h is a hex digit.
  CHECK(is_true(R"([m] =~ /^\h+$/)", R"({"m":"deadBEEF09"})"));
  CHECK_FALSE(is_true(R"([m] =~ /^\h+$/)", R"({"m":"xyz"})"));
  CHECK_FALSE(is_true(R"([m] =~ /\h/)", R"({"m":" \t"})"));
  CHECK(is_true(R"([m] =~ /^[\h-]+$/)", R"({"m":"ab-12"})"));
  // Named groups and inline flags.
  CHECK(is_true("[m] =~ /(?i)(?<word>HELLO)/", R"({"m":"hello"})"));
}

TEST_CASE("conditions: regex translation", "[conditions]") {
  CHECK(compiler::ruby_regex_to_pcre2(R"(\h\H)") == "[0-9a-fA-F][^0-9a-fA-F]");
  CHECK(compiler::ruby_regex_to_pcre2(R"([\h_])") == "[0-9a-fA-F_]");
  CHECK(compiler::ruby_regex_to_pcre2("(?mi)x") == "(?si)x");
  CHECK(compiler::ruby_regex_to_pcre2(R"(\u00e9)") == R"(\x{00e9})");
  CHECK(compiler::ruby_regex_to_pcre2(R"(\\h)") == R"(\\h)");
}

TEST_CASE("conditions: invalid regex is a compile error", "[conditions]") { CHECK(fails_to_compile("[m] =~ /(/")); }

TEST_CASE("conditions: [f] in \"string\" and \"string\" in [f] (item 33)", "[conditions]") {
  CHECK(is_true(R"([f] in "foo")", R"({"f":"oo"})"));
  CHECK_FALSE(is_true(R"([f] in "foo")", R"({"f":["foo"]})"));
  CHECK_FALSE(is_true(R"([f] in "foo")", R"({})"));
  CHECK(is_true(R"("hello" in [greeting])", R"({"greeting":"hello world"})"));
  CHECK(is_true(R"("hello" in [greeting])", R"({"greeting":["hello","x"]})"));
  CHECK_FALSE(is_true(R"("hello" in [greeting])", R"({"greeting":["hello world"]})"));
  CHECK(is_true("[f] in 12345", R"({"f":"234"})"));
}

TEST_CASE("conditions: [f] in [list] compares string forms (item 34)", "[conditions]") {
  CHECK(is_true("[code] in [200, 201]", R"({"code":200})"));
  CHECK(is_true("[code] in [200, 201]", R"({"code":"200"})"));
  CHECK(is_true(R"([code] in ["200", "201"])", R"({"code":200})"));
  CHECK_FALSE(is_true("[code] in [200, 201]", R"({})"));
  CHECK_FALSE(is_true("[a] in []", R"({"a":"x"})"));
  CHECK(is_true(R"([format] in ["html","x"])", R"({"format":"html"})"));
}

TEST_CASE("conditions: one-element [\"x\"] is a selector (item 34 quirk)", "[conditions]") {
  CHECK_FALSE(is_true(R"([format] in ["html"])", R"({"format":"html"})"));
  // It names the field literally called "html" (quotes included).
  CHECK(is_true(R"([format] in ["html"])", R"({"format":"htm","\"html\"":"xhtmlx"})"));
}

TEST_CASE("conditions: [a] in [b] (item 35)", "[conditions]") {
  CHECK_FALSE(is_true("[a] in [b]", R"({"a":["x"],"b":["x"]})"));
  CHECK(is_true("[a] in [b]", R"({"a":"foo","b":"zfooz"})"));
  CHECK(is_true("[a] in [b]", R"({"a":42,"b":42})"));
  CHECK(is_true("[a] in [b]", R"({"a":"x","b":["y","x"]})"));
  CHECK_FALSE(is_true("[a] in [b]", R"({})"));
}

TEST_CASE("conditions: numeric constant in [f] matches lists only (item 36)", "[conditions]") {
  CHECK_FALSE(is_true("5 in [num]", R"({"num":5})"));
  CHECK(is_true("5 in [num]", R"({"num":[5]})"));
  CHECK_FALSE(is_true("5 in [num]", R"({"num":[5.0]})"));
}

TEST_CASE("conditions: not in (item 37)", "[conditions]") {
  CHECK(is_true(R"("foo" not in [tags])", R"({})"));
  CHECK_FALSE(is_true(R"("foo" not in [tags])", R"({"tags":["foo"]})"));
  CHECK(is_true(R"([a] not  in [1, 2])", R"({"a":3})"));
}

TEST_CASE("conditions: constant in constant uses Java equality", "[conditions]") {
  CHECK_FALSE(is_true(R"("a" in ["a", "b"])", "{}"));
  CHECK_FALSE(is_true(R"("a" in "abc")", "{}"));
  CHECK(is_true(R"("a" in "a")", "{}"));
}

TEST_CASE("conditions: Logstash's operator tree (item 38)", "[conditions]") {
  // a and ((b and c) or d): with a false the whole is false, although standard precedence gives true.
  CHECK_FALSE(is_true("[a] and [b] and [c] or [d]", R"({"d":true})"));
  CHECK(is_true("[a] and [b] or [c]", R"({"c":1})"));
  CHECK(is_true("[a] or [b] and [c]", R"({"a":1})"));
  CHECK(is_true("[a] and [b] or [c] and [d]", R"({"c":1,"d":1})"));
  auto c = compile("[a] and [b] and [c] or [d]");
  REQUIRE(c->cond);
  CHECK(c->cond->describe() == "([a] and (([b] and [c]) or [d]))");
}

TEST_CASE("conditions: xor/nand cannot mix or chain without parentheses (item 39)", "[conditions]") {
  CHECK(fails_to_compile("[a] xor [b] and [c]"));
  CHECK(fails_to_compile("[a] and [b] xor [c]"));
  CHECK(fails_to_compile("[a] nand [b] nand [c]"));
  CHECK(fails_to_compile("[a] xor [b] xor [c]"));
  CHECK(is_true("([a] xor [b]) and [c]", R"({"a":1,"c":1})"));
  auto c = compile("[a] xor [b] and [c]");
  REQUIRE(c->diags.has_errors());
  const auto& d = c->diags.items().front();
  CHECK(d.loc.line == 1);
  CHECK(d.loc.column == 25);  // the `and` (after "filter { if ")
  CHECK(d.message.find("parentheses") != std::string::npos);
}

TEST_CASE("conditions: nand and xor (item 40)", "[conditions]") {
  CHECK(is_true("[m] nand ![m]", R"({"m":"x"})"));
  CHECK_FALSE(is_true("[m] xor [m]", R"({"m":"x"})"));
  CHECK(is_true("[a] xor [b]", R"({"a":1})"));
  CHECK_FALSE(is_true("[a] nand [b]", R"({"a":1,"b":1})"));
}

TEST_CASE("conditions: field names with spaces (item 41)", "[conditions]") {
  CHECK(is_true("[nested field][reference with][some spaces] == 'hurray'",
                R"({"nested field":{"reference with":{"some spaces":"hurray"}}})"));
  CHECK(is_true(R"([a b] == "c d")", R"({"a b":"c d"})"));
}

TEST_CASE("conditions: string constants compare as strings (item 42)", "[conditions]") {
  CHECK(is_true(R"("100" > "1")", "{}"));
  CHECK_FALSE(is_true(R"("100" > "2")", "{}"));
}

TEST_CASE("conditions: negation", "[conditions]") {
  CHECK(is_true("![a]", R"({})"));
  CHECK_FALSE(is_true("![a]", R"({"a":1})"));
  CHECK(is_true("!([a] == 1)", R"({"a":2})"));
  CHECK(is_true("([a])", R"({"a":2})"));
}

TEST_CASE("conditions: constants are not operands of boolean operators", "[conditions]") {
  CHECK(fails_to_compile(R"("s" and [x])"));
  CHECK(fails_to_compile(R"([x] or 1)"));
}

TEST_CASE("conditions: method calls are rejected", "[conditions]") { CHECK(fails_to_compile("foo(1, [a])")); }

TEST_CASE("conditions: number literals follow Ruby Integer()", "[conditions]") {
  CHECK(is_true("[a] == 010", R"({"a":8})"));
  CHECK(fails_to_compile("[a] == 08"));
}

TEST_CASE("conditions: string escapes follow config.support_escapes", "[conditions]") {
  std::string err;
  auto e = Event::from_json(R"({"a":"x\"y","b":"x\\\"y"})", &err);
  REQUIRE(e);
  auto off = compile(R"([b] == "x\"y")", false);
  REQUIRE(off->cond);
  CHECK(off->cond->eval(*e, &err) == CondResult::True);
  auto on = compile(R"([a] == "x\"y")", true);
  REQUIRE(on->cond);
  CHECK(on->cond->eval(*e, &err) == CondResult::True);
}

TEST_CASE("conditions: tags membership as used by the seed pipeline", "[conditions]") {
  CHECK(is_true(R"("_jsonparsefailure" in [tags])", R"({"tags":["_jsonparsefailure"]})"));
  CHECK_FALSE(is_true(R"("_jsonparsefailure" in [tags])", R"({"tags":["other"]})"));
}
