// The YAML reader of logstash.yml / pipelines.yml: every supported construct, scalar typing as
// Psych does it, errors with their line and column, and hostile input (depth, control bytes).
#include <catch2/catch.hpp>
#include <string>

#include "settings/yaml.hpp"

using namespace sluice::yaml;

namespace {

Node ok(const std::string& text) {
  Node n;
  ParseError e;
  INFO(text);
  bool parsed = parse(text, &n, &e);
  INFO(e.describe());
  REQUIRE(parsed);
  return n;
}

ParseError bad(const std::string& text) {
  Node n;
  ParseError e;
  INFO(text);
  REQUIRE_FALSE(parse(text, &n, &e));
  return e;
}

const Node& at(const Node& map, const std::string& key) {
  const Node* v = map.find(key);
  INFO("key " << key);
  REQUIRE(v != nullptr);
  return *v;
}

std::string scalar(const Node& map, const std::string& key) {
  const Node& v = at(map, key);
  REQUIRE(v.is_scalar());
  return v.scalar;
}

}  // namespace

TEST_CASE("yaml: block mappings nest by indentation and keep dotted keys as written", "[yaml]") {
  Node n =
      ok("pipeline.workers: 2\n"
         "pipeline:\n"
         "  batch:\n"
         "    size: 125\n"
         "    delay: 50\n"
         "  id: main\n"
         "queue.type: persisted\n");
  REQUIRE(n.is_mapping());
  REQUIRE(n.entries.size() == 3);
  CHECK(n.entries[0].key == "pipeline.workers");
  CHECK(scalar(n, "pipeline.workers") == "2");
  const Node& p = at(n, "pipeline");
  CHECK(scalar(at(p, "batch"), "size") == "125");
  CHECK(scalar(at(p, "batch"), "delay") == "50");
  CHECK(scalar(p, "id") == "main");
  CHECK(scalar(n, "queue.type") == "persisted");
  // Positions are 1-based: the key, and the value.
  CHECK(n.entries[2].line == 7);
  CHECK(n.entries[2].column == 1);
  CHECK(at(n, "queue.type").line == 7);
  CHECK(at(n, "queue.type").column == 13);
  CHECK(at(p, "batch").entries[1].line == 5);
  CHECK(at(p, "batch").entries[1].column == 5);
}

TEST_CASE("yaml: empty values are null, whatever follows", "[yaml]") {
  Node n = ok("a:\nb:   # nothing\nc: ~\nd: null\ne:\n  f: 1\n");
  CHECK(at(n, "a").is_null());
  CHECK(at(n, "b").is_null());
  CHECK(resolve(at(n, "c")) == ScalarType::Null);
  CHECK(resolve(at(n, "d")) == ScalarType::Null);
  CHECK(at(n, "e").is_mapping());
}

TEST_CASE("yaml: block sequences, compact mappings in items, nested and indentless sequences", "[yaml]") {
  Node n =
      ok("- pipeline.id: one\n"
         "  path.config: /etc/one.conf\n"
         "- pipeline.id: two\n"
         "  path.config:\n"
         "    - /etc/a.conf\n"
         "    - /etc/b.conf\n"
         "- - x\n"
         "  - y\n"
         "-\n"
         "- plain\n");
  REQUIRE(n.is_sequence());
  REQUIRE(n.items.size() == 5);
  CHECK(scalar(n.items[0], "pipeline.id") == "one");
  CHECK(scalar(n.items[0], "path.config") == "/etc/one.conf");
  const Node& paths = at(n.items[1], "path.config");
  REQUIRE(paths.is_sequence());
  REQUIRE(paths.items.size() == 2);
  CHECK(paths.items[1].scalar == "/etc/b.conf");
  REQUIRE(n.items[2].is_sequence());
  CHECK(n.items[2].items[1].scalar == "y");
  CHECK(n.items[3].is_null());
  CHECK(n.items[4].scalar == "plain");

  // A sequence at its key's own indentation (the form most pipelines.yml examples use).
  Node m = ok("hosts:\n- a\n- b\nnext: 1\n");
  REQUIRE(at(m, "hosts").is_sequence());
  CHECK(at(m, "hosts").items.size() == 2);
  CHECK(scalar(m, "next") == "1");
  Node k = ok("- a:\n  - x\n  b: 2\n");
  CHECK(at(k.items[0], "a").items.at(0).scalar == "x");
  CHECK(scalar(k.items[0], "b") == "2");
}

TEST_CASE("yaml: plain scalars, comments and multi-line folding", "[yaml]") {
  Node n =
      ok("a: value with spaces   \n"
         "b: no#comment here\n"
         "c: value # a comment\n"
         "# a full-line comment\n"
         "d: first\n"
         "  second\n"
         "\n"
         "  third\n"
         "e: http://host:9200/path\n"
         "f: C:\\logs\\x\n"
         "g: -5\n");
  CHECK(scalar(n, "a") == "value with spaces");
  CHECK(scalar(n, "b") == "no#comment here");
  CHECK(scalar(n, "c") == "value");
  CHECK(scalar(n, "d") == "first second\nthird");
  CHECK(scalar(n, "e") == "http://host:9200/path");
  CHECK(scalar(n, "f") == "C:\\logs\\x");
  CHECK(scalar(n, "g") == "-5");
}

TEST_CASE("yaml: quoted scalars and escapes", "[yaml]") {
  Node n =
      ok("s: 'it''s # not a comment'\n"
         "d: \"tab\\t nl\\n quote\\\" slash\\\\ \\x41\\u00e9\\U0001F600 \\/\"\n"
         "e: \"\"\n"
         "f: ''\n"
         "m: \"multi\n"
         "   line\n"
         "\n"
         "   para\"\n"
         "c: \"joined\\\n"
         "   here\"\n"
         "'quoted key': 1\n"
         "\"dq: key\": 2\n");
  CHECK(scalar(n, "s") == "it's # not a comment");
  CHECK(scalar(n, "d") == "tab\t nl\n quote\" slash\\ A\xC3\xA9\xF0\x9F\x98\x80 /");
  CHECK(scalar(n, "e").empty());
  CHECK(at(n, "e").is_scalar());
  CHECK(at(n, "e").quoted());
  CHECK(scalar(n, "f").empty());
  CHECK(scalar(n, "m") == "multi line\npara");
  CHECK(scalar(n, "c") == "joinedhere");
  CHECK(scalar(n, "quoted key") == "1");
  CHECK(scalar(n, "dq: key") == "2");
  CHECK(at(n, "s").style == Node::Style::SingleQuoted);
  CHECK(at(n, "d").style == Node::Style::DoubleQuoted);
}

TEST_CASE("yaml: flow sequences and mappings", "[yaml]") {
  Node n =
      ok("a: [x, \"y z\", 3, [nested], {k: v}]\n"
         "b: {one: 1, two: [a, b], three}\n"
         "c: []\n"
         "d: {}\n"
         "e: [a,\n"
         "    b,   # comment inside\n"
         "    c, ]\n"
         "f: [k: v]\n"
         "g: [http://x:1/y]\n");
  const Node& a = at(n, "a");
  REQUIRE(a.items.size() == 5);
  CHECK(a.items[1].scalar == "y z");
  CHECK(resolve(a.items[2]) == ScalarType::Int);
  CHECK(a.items[3].items[0].scalar == "nested");
  CHECK(scalar(a.items[4], "k") == "v");
  const Node& b = at(n, "b");
  CHECK(scalar(b, "one") == "1");
  CHECK(at(b, "two").items.size() == 2);
  CHECK(at(b, "three").is_null());
  CHECK(at(n, "c").is_sequence());
  CHECK(at(n, "c").items.empty());
  CHECK(at(n, "d").is_mapping());
  CHECK(at(n, "d").entries.empty());
  REQUIRE(at(n, "e").items.size() == 3);
  CHECK(at(n, "e").items[2].scalar == "c");
  CHECK(scalar(at(n, "f").items.at(0), "k") == "v");
  CHECK(at(n, "g").items.at(0).scalar == "http://x:1/y");
}

TEST_CASE("yaml: literal and folded block scalars with chomping and indentation indicators", "[yaml]") {
  Node n =
      ok("lit: |\n"
         "  input { stdin {} }\n"
         "    indented\n"
         "\n"
         "  output { stdout {} }\n"
         "\n"
         "\n"
         "strip: |-\n"
         "  a\n"
         "\n"
         "keep: |+\n"
         "  a\n"
         "\n"
         "fold: >\n"
         "  one\n"
         "  two\n"
         "\n"
         "  three\n"
         "    more indented\n"
         "  four\n"
         "ind: |2\n"
         "    two extra\n"
         "  base\n"
         "empty: |\n"
         "last: end\n");
  CHECK(scalar(n, "lit") == "input { stdin {} }\n  indented\n\noutput { stdout {} }\n");
  CHECK(scalar(n, "strip") == "a");
  CHECK(scalar(n, "keep") == "a\n\n");
  CHECK(scalar(n, "fold") == "one two\nthree\n  more indented\nfour\n");
  CHECK(scalar(n, "ind") == "  two extra\nbase\n");
  CHECK(scalar(n, "empty").empty());
  CHECK(scalar(n, "last") == "end");
  CHECK(at(n, "lit").style == Node::Style::Literal);
  CHECK(at(n, "fold").style == Node::Style::Folded);
  CHECK(resolve(at(n, "lit")) == ScalarType::String);

  // In a pipelines.yml entry, with a comment line after it at a lower indentation.
  Node p =
      ok("- pipeline.id: x\n"
         "  config.string: |\n"
         "    input { generator { count => 1 } }\n"
         "    # a pipeline comment stays\n"
         "# a YAML comment\n"
         "  pipeline.workers: 1\n");
  CHECK(scalar(p.items[0], "config.string") ==
        "input { generator { count => 1 } }\n# a pipeline comment stays\n");
  CHECK(scalar(p.items[0], "pipeline.workers") == "1");

  // No final line break in the file: nothing to clip.
  CHECK(scalar(ok("k: |\n  text"), "k") == "text");
}

TEST_CASE("yaml: documents, markers, directives and empty input", "[yaml]") {
  bool doc = true;
  Node n;
  ParseError e;
  REQUIRE(parse("", &n, &e, &doc));
  CHECK(n.is_null());
  CHECK_FALSE(doc);
  REQUIRE(parse("# only a comment\n\n", &n, &e, &doc));
  CHECK_FALSE(doc);
  REQUIRE(parse("---\n", &n, &e, &doc));
  CHECK(doc);
  CHECK(n.is_null());
  Node m = ok("%YAML 1.1\n---\na: 1\n...\nignored: [\n");
  CHECK(scalar(m, "a") == "1");
  CHECK(m.entries.size() == 1);
  Node second = ok("a: 1\n---\nb: 2\n");
  CHECK(second.find("b") == nullptr);
  CHECK(ok("--- plain").scalar == "plain");
  CHECK(scalar(ok("\xEF\xBB\xBF"
                  "a: bom\r\nb: crlf\r\n"),
               "b") == "crlf");
}

TEST_CASE("yaml: duplicate keys: the last value wins at the first position", "[yaml]") {
  Node n = ok("a: 1\nb: 2\na: 3\n");
  REQUIRE(n.entries.size() == 2);
  CHECK(n.entries[0].key == "a");
  CHECK(n.entries[0].value.scalar == "3");
  Node f = ok("x: {k: 1, k: 2}\n");
  CHECK(scalar(at(f, "x"), "k") == "2");
}

TEST_CASE("yaml: plain scalars are typed as Ruby Psych types them", "[yaml]") {
  CHECK(resolve_plain("") == ScalarType::Null);
  CHECK(resolve_plain("~") == ScalarType::Null);
  CHECK(resolve_plain("NULL") == ScalarType::Null);
  for (const char* t : {"true", "True", "TRUE", "yes", "No", "on", "OFF", "false"}) {
    INFO(t);
    CHECK(resolve_plain(t) == ScalarType::Bool);
  }
  bool b = false;
  CHECK(plain_bool("Yes", &b));
  CHECK(b);
  CHECK(plain_bool("off", &b));
  CHECK_FALSE(b);
  CHECK(resolve_plain("y") == ScalarType::String);
  int64_t i = 0;
  CHECK(plain_int("1_000", &i));
  CHECK(i == 1000);
  CHECK(plain_int("1,000", &i));
  CHECK(i == 1000);
  CHECK(plain_int("0x1F", &i));
  CHECK(i == 31);
  CHECK(plain_int("010", &i));
  CHECK(i == 8);
  CHECK(plain_int("0b101", &i));
  CHECK(i == 5);
  CHECK(plain_int("-42", &i));
  CHECK(i == -42);
  CHECK_FALSE(plain_int("99999999999999999999", &i));
  CHECK(resolve_plain("99999999999999999999") == ScalarType::Int);
  CHECK(resolve_plain("1.5") == ScalarType::Float);
  CHECK(resolve_plain(".5") == ScalarType::Float);
  CHECK(resolve_plain("-.inf") == ScalarType::Float);
  CHECK(resolve_plain(".NaN") == ScalarType::Float);
  CHECK(resolve_plain("64mb") == ScalarType::String);
  CHECK(resolve_plain("1.2.3") == ScalarType::String);
  CHECK(resolve_plain("09") == ScalarType::String);
  CHECK(resolve_plain("_1") == ScalarType::String);
  Node n = ok("a: \"4\"\nb: 4\n");
  CHECK(resolve(at(n, "a")) == ScalarType::String);
  CHECK(resolve(at(n, "b")) == ScalarType::Int);
}

TEST_CASE("yaml: errors carry the line and column of the offending character", "[yaml]") {
  ParseError e = bad("a:\n\tb: 1\n");
  CHECK(e.line == 2);
  CHECK(e.column == 1);
  CHECK_THAT(e.message, Catch::Contains("tab"));
  CHECK(e.describe().rfind("line 2, column 1: ", 0) == 0);

  e = bad("a:\n    b: 1\n  c: 2\n");
  CHECK(e.line == 3);
  CHECK(e.column == 3);
  CHECK_THAT(e.message, Catch::Contains("bad indentation"));

  e = bad("a: 1\n  b: 2\n");  // continuation of a plain scalar that holds ': '
  CHECK(e.line == 2);
  CHECK_THAT(e.message, Catch::Contains("mapping values are not allowed"));

  e = bad("ok: 1\nkey: \"never closed\nnext: 2\n");
  CHECK(e.line == 2);
  CHECK(e.column == 6);
  CHECK_THAT(e.message, Catch::Contains("unterminated double-quoted"));
  e = bad("k: 'open\n");
  CHECK(e.line == 1);
  CHECK(e.column == 4);

  e = bad("a: b: c\n");
  CHECK(e.line == 1);
  CHECK(e.column == 4);

  e = bad("a: [1, 2\nb: 3\n");
  CHECK(e.line == 2);
  CHECK_THAT(e.message, Catch::Contains("opened at line 1, column 4"));
  e = bad("a: [1, 2\n");
  CHECK(e.line == 1);
  CHECK(e.column == 4);
  CHECK_THAT(e.message, Catch::Contains("unterminated flow sequence"));
  e = bad("a: {x: 1\n");
  CHECK_THAT(e.message, Catch::Contains("unterminated flow mapping"));

  e = bad("a: \"bad \\q escape\"\n");
  CHECK(e.column == 9);
  CHECK_THAT(e.message, Catch::Contains("unknown escape"));
  e = bad("a: \"\\u12\"\n");
  CHECK_THAT(e.message, Catch::Contains("hexadecimal"));

  e = bad("a: 1\n- b\n");
  CHECK(e.line == 2);
  e = bad("- a\nb: 1\n");
  CHECK(e.line == 2);
  e = bad("a: - b\n");
  CHECK_THAT(e.message, Catch::Contains("next line"));
  e = bad("a: \"x\" y\n");
  CHECK(e.column == 8);
  e = bad("a: [x] y\n");
  CHECK(e.column == 8);
  e = bad("a: |x\n  b\n");
  CHECK(e.column == 5);
  e = bad("a: |0\n  b\n");
  CHECK_THAT(e.message, Catch::Contains("1 to 9"));
  e = bad("just text\nkey: value\n");
  CHECK(e.line == 2);
  e = bad("a:\nb\n");
  CHECK(e.line == 2);
}

TEST_CASE("yaml: unsupported features are explicit errors", "[yaml]") {
  CHECK_THAT(bad("a: &anchor 1\n").message, Catch::Contains("anchors"));
  CHECK_THAT(bad("a: *alias\n").message, Catch::Contains("aliases"));
  CHECK_THAT(bad("a: !!str 1\n").message, Catch::Contains("tags"));
  CHECK_THAT(bad("? complex\n: v\n").message, Catch::Contains("complex"));
  CHECK_THAT(bad("a: @x\n").message, Catch::Contains("reserved"));
}

TEST_CASE("yaml: hostile input: deep nesting, control bytes, invalid UTF-8", "[yaml]") {
  std::string deep_flow(10000, '[');
  ParseError e = bad("a: " + deep_flow);
  CHECK_THAT(e.message, Catch::Contains("nesting deeper than"));
  std::string deep_block;
  for (int i = 0; i < 200; ++i) deep_block += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  CHECK_THAT(bad(deep_block).message, Catch::Contains("nesting deeper than"));
  std::string deep_seq;
  for (int i = 0; i < 200; ++i) deep_seq += "- ";
  CHECK_THAT(bad(deep_seq + "x\n").message, Catch::Contains("nesting deeper than"));
  // Just under the limit is fine.
  std::string ok_flow = std::string(kMaxDepth - 1, '[') + std::string(kMaxDepth - 1, ']');
  CHECK(ok("a: " + ok_flow).is_mapping());

  e = bad(std::string("a: x\0y\n", 7));
  CHECK(e.line == 1);
  CHECK(e.column == 5);
  CHECK_THAT(e.message, Catch::Contains("0x00"));
  e = bad("a: \xFF\xFE\n");
  CHECK_THAT(e.message, Catch::Contains("UTF-8"));
  e = bad("a: \xC0\xAF\n");  // overlong
  CHECK_THAT(e.message, Catch::Contains("UTF-8"));
  CHECK(scalar(ok("a: caf\xC3\xA9\n"), "a") == "caf\xC3\xA9");
  // Long lines and many entries are read in one pass.
  std::string many;
  for (int i = 0; i < 5000; ++i) {
    many += 'k';
    many += std::to_string(i);
    many += ": v\n";
  }
  CHECK(ok(many).entries.size() == 5000);
}

TEST_CASE("yaml: anchors and aliases are refused before anything is expanded", "[yaml]") {
  // The classic "billion laughs": refused at its first anchor, nothing is ever expanded.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  }
  ParseError e = bad(bomb);
  CHECK(e.line == 1);
  CHECK(e.column == 4);
  CHECK_THAT(e.message, Catch::Contains("anchors"));
  e = bad("a: 1\nb: [*a, *a]\n");
  CHECK(e.line == 2);
  CHECK(e.column == 5);
  CHECK_THAT(e.message, Catch::Contains("aliases"));
  CHECK_THAT(bad("&a k: v\n").message, Catch::Contains("anchors"));
  CHECK_THAT(bad("k: !tag v\n").message, Catch::Contains("tags"));
}

TEST_CASE("yaml: complex keys in every form are refused", "[yaml]") {
  ParseError e = bad("a: 1\n? b\n: 2\n");
  CHECK(e.line == 2);
  CHECK(e.column == 1);
  CHECK_THAT(e.message, Catch::Contains("complex mapping keys"));
  CHECK_THAT(bad("x: {? a : b}\n").message, Catch::Contains("complex mapping keys"));
  CHECK_THAT(bad("x: [? a : b]\n").message, Catch::Contains("complex mapping keys"));
  e = bad("[a, b]: c\n");
  CHECK(e.column == 1);
  CHECK_THAT(e.message, Catch::Contains("complex mapping keys"));
  CHECK_THAT(bad("x: {{a: 1}: 2}\n").message, Catch::Contains("complex mapping keys"));
  // A '?' inside a comment or a value is not a key indicator.
  Node n = ok("a: 1 # what?\n# ? no\nb: what?\n");
  CHECK(scalar(n, "b") == "what?");
}

TEST_CASE("yaml: limits on depth, node count and size", "[yaml]") {
  std::string deep;
  for (int i = 0; i < kMaxDepth; ++i) deep += std::string(static_cast<std::size_t>(i), ' ') + "- \n";
  CHECK(ok(deep).is_sequence());  // kMaxDepth nested sequences are fine
  std::string deeper = deep + std::string(static_cast<std::size_t>(kMaxDepth), ' ') + "- x\n";
  ParseError e = bad(deeper);
  CHECK(e.line == kMaxDepth + 1);
  CHECK_THAT(e.message, Catch::Contains("nesting deeper than 64 levels"));

  std::string many = "[";
  for (std::size_t i = 0; i <= kMaxNodes; ++i) many += "1,";
  many += "]";
  CHECK_THAT(bad(many).message, Catch::Contains("values: settings files are limited"));

  std::string huge(kMaxDocumentBytes + 1, ' ');
  e = bad(huge);
  CHECK(e.line == 1);
  CHECK(e.column == 1);
  CHECK_THAT(e.message, Catch::Contains("settings files are limited to 8388608 bytes"));
}

TEST_CASE("yaml: read as Psych reads it, where the old hand-written reader differed", "[yaml]") {
  // Content that the top-level node does not take is an error, not silently dropped with the
  // rest of the document (Psych would stop at the end of the first node).
  ParseError e = bad(" a: 1\nb: 2\n");
  CHECK(e.line == 2);
  CHECK_THAT(e.message, Catch::Contains("content after the end of the top-level node"));
  CHECK(bad("'k':\"v\"\n").line == 1);
  // libyaml takes a '#' right after a flow collection, a quoted scalar or a block indicator as a
  // comment, as Logstash does.
  Node n = ok("a: [x, y]# c\nb: 'q'# c\nc: |# c\n  text\n");
  CHECK(at(n, "a").items.size() == 2);
  CHECK(scalar(n, "b") == "q");
  CHECK(scalar(n, "c") == "text\n");
  // A tab on an otherwise empty line, or after '- ', is refused (by Logstash too).
  e = bad("a: 1\n\t\nb: 2\n");
  CHECK(e.line == 2);
  CHECK(e.column == 1);
  CHECK_THAT(e.message, Catch::Contains("tab character used for indentation"));
  e = bad("-\tx\n");
  CHECK(e.column == 2);
  CHECK_THAT(e.message, Catch::Contains("tab character where YAML needs a space"));
  // '%' starts a directive and cannot start a plain value.
  e = bad("a: %x\n");
  CHECK(e.column == 4);
  CHECK_THAT(e.message, Catch::Contains("quote the value"));
}

TEST_CASE("yaml: positions count bytes in a line and YAML's line breaks", "[yaml]") {
  Node n = ok("caf\xC3\xA9: [1, 2]\n");
  CHECK(at(n, "caf\xC3\xA9").column == 8);  // "café: " is 7 bytes
  ParseError e = bad("caf\xC3\xA9: [1, 2\n");
  CHECK(e.line == 1);
  CHECK(e.column == 8);
  // A lone CR ends a line, as in YAML (and Psych).
  Node m = ok("a: 1\rb: 2\r\nc: 3\n");
  CHECK(at(m, "c").line == 3);
  CHECK(at(m, "b").line == 2);
  // Null values sit where the value would start.
  Node k = ok("a:   # nothing\n");
  CHECK(at(k, "a").column == 6);
}

TEST_CASE("yaml: a block scalar's leading line of spaces sets its indentation, and the error says so", "[yaml]") {
  // An editor's leftover spaces on the first line of a config.string block: libyaml (and Psych)
  // take them as the block's indentation, so the text below ends the block.
  ParseError e = bad("- pipeline.id: x\n  config.string: |\n        \n    input { stdin {} }\n");
  CHECK(e.line == 4);
  CHECK(e.column == 5);
  CHECK_THAT(e.message, Catch::Contains("line 3 holds only 8 spaces"));
  CHECK_THAT(e.message, Catch::Contains("block scalar at line 2"));
  // Spaces up to the text's indentation are fine.
  Node n = ok("k: |\n  \n  text\n");
  CHECK(scalar(n, "k") == "\ntext\n");
}
