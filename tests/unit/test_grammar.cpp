// The config grammar on its own (no actions, no AST): which texts Logstash's grammar accepts and
// rejects, per the conformance list of the reference notes (§11 items 1-26 and the §10 error table).
#include <catch2/catch.hpp>

#include "sluice/grammar.hpp"

#include <string>

namespace {

bool accepts(const std::string& text) {
  tao::pegtl::memory_input in(text, "test");
  return tao::pegtl::parse<sluice::grammar::config>(in);
}

// A filter section around `body`.
std::string filter(const std::string& body) { return "filter { " + body + " }"; }
// A condition in a filter section.
std::string cond(const std::string& c) { return "filter { if " + c + " { } }"; }
// An input plugin with `attrs`.
std::string stdin_with(const std::string& attrs) { return "input { stdin { " + attrs + " } }"; }

}  // namespace

TEST_CASE("grammar: empty configs and comments", "[grammar]") {
  CHECK(accepts(""));
  CHECK(accepts("# only comment"));
  CHECK(accepts("# only comment\n"));
  CHECK(accepts("\n\n  \t\r\n"));
  CHECK(accepts("# a\n# b\ninput { } # trailing"));
  CHECK(accepts("input { # c\n stdin { # c\n type => \"x\" # c\n } # c\n }"));
}

TEST_CASE("grammar: sections repeat, in any order, with or without spaces", "[grammar]") {
  CHECK(accepts("input {} filter {} output {}"));
  CHECK(accepts("filter {mutate{}}filter{mutate{}}"));
  CHECK(accepts("output { } input { } output { }"));
  CHECK(accepts("input{stdin{}}"));
  CHECK_FALSE(accepts("inputs { stdin {} }"));
  CHECK_FALSE(accepts("input stdin {}"));
  CHECK_FALSE(accepts("input { stdin { } "));
  CHECK_FALSE(accepts("input { stdin { } } }"));
  CHECK_FALSE(accepts("codec { }"));
}

TEST_CASE("grammar: attributes need whitespace between them, no commas", "[grammar]") {
  CHECK_FALSE(accepts("input { stdin { type=>\"a\"tags=>[\"x\"] } }"));
  CHECK(accepts("input { stdin { type=>\"a\" tags=>[\"x\"] } }"));
  CHECK_FALSE(accepts("input { tcp { port => 5044, host => \"x\" } }"));
  CHECK_FALSE(accepts("input { stdin { type \"x\" } }"));
  CHECK_FALSE(accepts("input { tcp { port: 5044 } }"));
}

TEST_CASE("grammar: hashes take no commas; keys are numbers, 2+ char barewords or strings", "[grammar]") {
  CHECK(accepts(stdin_with("add_field => { \"a\" => 1 \"b\" => 2 }")));
  CHECK_FALSE(accepts(stdin_with("add_field => { \"a\" => 1, \"b\" => 2 }")));
  CHECK_FALSE(accepts(stdin_with("add_field => { a => 1 }")));
  CHECK(accepts(stdin_with("add_field => { aa => 1 }")));
  CHECK(accepts(stdin_with("add_field => { 1 => 1 'b' => 2 }")));
  CHECK(accepts(stdin_with("add_field => { }")));
  CHECK(accepts(stdin_with("add_field => {\n # before\n \"a\" => 1 # between\n \"b\" => 2\n # after\n}")));
  CHECK_FALSE(accepts(stdin_with("add_field => { \"a\" => 1\"b\" => 2 }")));
  // The doc example with commas inside hashes in an array is invalid; without commas it is fine.
  CHECK_FALSE(accepts(stdin_with("users => [ {id => 1, name => bob}, {id => 2, name => jane} ]")));
  CHECK(accepts(stdin_with("users => [ {id => 1 name => bob}, {id => 2 name => jane} ]")));
}

TEST_CASE("grammar: barewords need two characters", "[grammar]") {
  CHECK_FALSE(accepts(stdin_with("type => a")));
  CHECK(accepts(stdin_with("type => _x")));
  CHECK(accepts(stdin_with("type => a5")));
  CHECK(accepts(stdin_with("x => true y => false z => nil")));
}

TEST_CASE("grammar: numbers", "[grammar]") {
  CHECK(accepts(stdin_with("port => -12")));
  CHECK(accepts(stdin_with("port => 007")));
  CHECK(accepts(stdin_with("port => 010")));
  CHECK(accepts(stdin_with("port => 08")));     // a conversion error, not a syntax error
  CHECK(accepts(stdin_with("ratio => 1.")));    // likewise
  CHECK(accepts(stdin_with("ratio => 1.25")));
  CHECK_FALSE(accepts(stdin_with("r => .5")));
  CHECK_FALSE(accepts(stdin_with("r => +12")));
  CHECK_FALSE(accepts(stdin_with("r => 1e5")));
  CHECK_FALSE(accepts(stdin_with("r => 1.2.3")));
}

TEST_CASE("grammar: plugin values, quoted names", "[grammar]") {
  CHECK(accepts(stdin_with("codec => json { charset => \"UTF-8\" }")));
  CHECK(accepts(stdin_with("codec => json{}")));
  CHECK(accepts(stdin_with("codec => plain codec => json")));  // a conversion error, not a syntax error
  CHECK(accepts("input { \"stdin\" { } }"));
  CHECK(accepts(stdin_with("\"type\" => \"x\" 'id' => \"y\"")));
  CHECK(accepts("filter { my-plugin_2 { } }"));
  CHECK_FALSE(accepts("filter { my.plugin { } }"));
  CHECK_FALSE(accepts(stdin_with("@x => 1")));
  CHECK(accepts(stdin_with("\"@x\" => 1")));
  CHECK(accepts(stdin_with("1x => 1")));
  CHECK(accepts(stdin_with("x-y => 1")));
}

TEST_CASE("grammar: strings", "[grammar]") {
  CHECK(accepts(stdin_with("a => \"multi\nline # not a comment\"")));
  CHECK(accepts(stdin_with("a => 'It\\'s'")));
  CHECK(accepts(stdin_with("a => \"say \\\"hi\\\"\"")));
  CHECK_FALSE(accepts(stdin_with("a => \"unterminated")));
  CHECK_FALSE(accepts("input { stdin { a => \"unterminated } }"));
  // A backslash-quote never closes the string, even after another backslash.
  CHECK_FALSE(accepts("input { stdin { a => \"x\\\\\" } }"));
}

TEST_CASE("grammar: comments swallow their newline", "[grammar]") {
  CHECK_FALSE(accepts(stdin_with("a => 1# c\n b => 2")));
  CHECK(accepts(stdin_with("a => 1 # c\n b => 2")));
  CHECK(accepts(stdin_with("a => 1\n# c\n b => 2")));
}

TEST_CASE("grammar: arrays", "[grammar]") {
  CHECK(accepts(stdin_with("tags => []")));
  CHECK(accepts(stdin_with("x => [1, \"two\", three, [4], {a5 => 5}]")));
  CHECK_FALSE(accepts(stdin_with("tags => [\"a\", \"b\",]")));
  CHECK_FALSE(accepts(stdin_with("x => /regex/")));
  CHECK_FALSE(accepts("input { file { path => /var/log/x.log } }"));
  CHECK(accepts(stdin_with("x => [ # c\n 1, # c\n 2 ]")));
}

TEST_CASE("grammar: if / else if / else", "[grammar]") {
  CHECK_FALSE(accepts(filter("if [a] {} elsif [b] {}")));
  CHECK(accepts(filter("if [a] {} elseif [b] {}")));
  CHECK(accepts(filter("if [a] {} else\nif [b] {} else {}")));
  CHECK(accepts(filter("if [a] { } mutate {} else { }")));  // `else` parses as a plugin
  CHECK(accepts(filter("if {}")));                          // a plugin named `if`
  CHECK(accepts(filter("if [a] { if [b] { mutate {} } else { } }")));
  CHECK(accepts("input { if [a] { stdin {} } }"));
  CHECK(accepts("output { if [a] { stdout {} } else if [b] { } }"));
  CHECK_FALSE(accepts(filter("if [a] == \"b\" { } elsif [c] { }")));
}

TEST_CASE("grammar: boolean operators are lowercase words", "[grammar]") {
  CHECK(accepts(cond("[a] and [b]")));
  CHECK(accepts(cond("[a] or [b] xor [c] nand [d]")));
  CHECK_FALSE(accepts(cond("[a] AND [b]")));
  CHECK_FALSE(accepts(cond("[a] && [b]")));
  CHECK_FALSE(accepts(cond("[a] || [b]")));
  CHECK_FALSE(accepts(cond("[a] = 1")));
  CHECK_FALSE(accepts(cond("[a] === 1")));
  CHECK_FALSE(accepts(cond("[a] <> 1")));
  CHECK_FALSE(accepts(cond("[a] notin [b]")));
  CHECK_FALSE(accepts(cond("[a] not\tin [b]")));
  CHECK_FALSE(accepts(cond("not [a]")));
  CHECK(accepts(cond("[a] not  in [b]")));
  CHECK(accepts(cond("[a] not in [b]")));
}

TEST_CASE("grammar: keywords need no word boundary", "[grammar]") {
  CHECK(accepts(cond("[a]and[b]")));
  CHECK(accepts(cond("\"a\"in[b]")));
  CHECK(accepts("filter { if[a]{}else{} }"));
  CHECK(accepts(cond("([a])")));
  CHECK(accepts("filter { if([a]){} }"));
}

TEST_CASE("grammar: negation applies to a group or a selector only", "[grammar]") {
  CHECK(accepts(cond("![a]")));
  CHECK(accepts(cond("! [a]")));
  CHECK(accepts(cond("!([a] == 1)")));
  CHECK_FALSE(accepts(cond("!!([a])")));
  CHECK_FALSE(accepts(cond("!![a]")));
  CHECK_FALSE(accepts(cond("!\"x\"")));
  CHECK_FALSE(accepts(cond("![a] == \"x\"")));
  CHECK_FALSE(accepts(cond("[a] == ![b]")));
}

TEST_CASE("grammar: regexp operands", "[grammar]") {
  CHECK(accepts(cond("[a] =~ /^foo\\/bar$/")));
  CHECK(accepts(cond("[a] !~ \"access\"")));
  CHECK_FALSE(accepts(cond("[a] =~ /a/b/")));
  CHECK_FALSE(accepts(cond("[a] =~ [b]")));
  CHECK_FALSE(accepts(cond("/x/ =~ [a]")));
}

TEST_CASE("grammar: selectors and rvalues", "[grammar]") {
  CHECK_FALSE(accepts(cond("[a,b]")));
  CHECK_FALSE(accepts(cond("[a[b]]")));
  CHECK(accepts(cond("[]")));
  CHECK(accepts(cond("1")));
  CHECK(accepts(cond("\"\"")));
  CHECK(accepts(cond("\"false\"")));
  CHECK(accepts(cond("[a b] == \"c d\"")));
  CHECK(accepts(cond("[ spaced ]")));
  CHECK(accepts(cond("[foo.bar]")));
  CHECK(accepts(cond("[a][\"b\"]")));
  CHECK(accepts(cond("[@metadata][test] == \"Hello\"")));
  CHECK(accepts(cond("[a] == -1.5")));
  CHECK(accepts(cond("[a] < 10")));
  CHECK(accepts(cond("[a] in [1, 2, 3]")));
  CHECK(accepts(cond("[a] in []")));
  CHECK(accepts(cond("[a] in [\"x\"]")));
  CHECK(accepts(cond("foo(1, [a])")));
  CHECK_FALSE(accepts(cond("[a] == true")));
  CHECK_FALSE(accepts(cond("[type] == apache")));
  CHECK_FALSE(accepts(cond("a == 1")));
  CHECK(accepts(cond("[a] in [foo, bar]")));  // condition arrays hold values: barewords are allowed
}

TEST_CASE("grammar: Logstash's error table inputs are rejected", "[grammar]") {
  for (const char* text : {
           "input stdin {}",
           "inputs { stdin {} }",
           "input { stdin { } ",
           "input { stdin { } } }",
           "input { stdin { type \"x\" } }",
           "input { tcp { port: 5044 } }",
           "input { tcp { port => 5044, host => \"x\" } }",
           "input { stdin { add_field => { \"a\" => 1, \"b\" => 2 } } }",
           "input { stdin { tags => [\"a\", \"b\",] } }",
           "input { file { path => /var/log/x.log } }",
           "input { stdin { type => a } }",
           "input { stdin { a => \"unterminated } }",
           "filter { if [a] AND [b] {} }",
           "filter { if [a] = 1 {} }",
           "filter { if [a] == true {} }",
           "filter { if !\"foo\" {} }",
           "filter { if [a] =~ [b] {} }",
           "filter { if a == 1 {} }",
           "filter { if [a] == \"b\" { } elsif [c] { } }",
           "output {\n  if [type] == apache {\n stdout {} } }",
           "filter {\n  mutate {\n    add_field => { \"a\" => \"b\" }\n  }\n}}",
           "input { stdin {} }\nfilter {\n  mutate { add_tag => \"x\" \n}\noutput { stdout {} }\n",
       }) {
    INFO(text);
    CHECK_FALSE(accepts(text));
  }
}

TEST_CASE("grammar: the documentation examples parse", "[grammar]") {
  CHECK(accepts(R"(input { beats { port => 5044 } }
output {
  elasticsearch {
    hosts => ["http://localhost:9200"]
    index => "%{[@metadata][beat]}-%{[@metadata][version]}-%{+YYYY.MM.dd}"
  }
})"));
  CHECK(accepts(R"(filter {
  if ("foo" in [tags]) {
    mutate { id => addbar add_tag => bar }
    if ("bar" in [tags]) { mutate { id => addbaz  add_tag => baz } }
  }
  if [foo] in ["hello", "world", "foo"] { mutate { add_tag => "field in list" } }
  if !("foo" in ["hello", "world"]) { mutate { add_tag => "shouldexist" } }
  if "foo" not in [somelist] { mutate { add_tag => "notsomelist" } }
  if (2 > 1 and 1 < 2 or 3 < 2) { }
})"));
  CHECK(accepts(R"(filter {
  grok {
    match => { "message" => "%{SYSLOGTIMESTAMP:syslog_timestamp} %{DATA:syslog_program}(?:\[%{POSINT:syslog_pid}\])?: %{GREEDYDATA:syslog_message}" }
    add_field => [ "received_at", "%{@timestamp}" ]
    add_field => [ "received_from", "%{host}" ]
  }
})"));
  // Placeholders in the docs are not valid syntax.
  CHECK_FALSE(accepts("output { if [status] =~ /^5\\d\\d/ { nagios { ... } } }"));
}
