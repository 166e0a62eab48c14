// Field references: Logstash's strict tokenizer.
#include <catch2/catch.hpp>

#include "sluice/field_ref.hpp"

using namespace sluice;
using Path = std::vector<std::string>;

TEST_CASE("field_ref: bare key, dots literal", "[field_ref]") {
  auto r = FieldRef::parse("foo.bar");
  REQUIRE(r);
  CHECK(r->root() == FieldRef::Root::Data);
  CHECK(r->path() == Path{"foo.bar"});
  CHECK(r->text() == "foo.bar");
  CHECK(FieldRef::parse("a b")->path() == Path{"a b"});
}

TEST_CASE("field_ref: bracketed path", "[field_ref]") {
  CHECK(FieldRef::parse("[a][b][c]")->path() == Path{"a", "b", "c"});
  CHECK(FieldRef::parse("[a]")->path() == Path{"a"});
  CHECK(FieldRef::parse("[ spaced ]")->path() == Path{" spaced "});
  CHECK(FieldRef::parse("[a][\"b\"]")->path() == Path{"a", "\"b\""});
  CHECK(FieldRef::parse("[arr][-1]")->path() == Path{"arr", "-1"});
}

TEST_CASE("field_ref: metadata root", "[field_ref]") {
  auto m = FieldRef::parse("[@metadata]");
  REQUIRE(m);
  CHECK(m->root() == FieldRef::Root::Metadata);
  CHECK(m->path().empty());
  auto m2 = FieldRef::parse("@metadata");
  REQUIRE(m2);
  CHECK(m2->root() == FieldRef::Root::Metadata);
  CHECK(m2->path().empty());
  auto c = FieldRef::parse("[@metadata][x][y]");
  REQUIRE(c);
  CHECK(c->root() == FieldRef::Root::Metadata);
  CHECK(c->path() == Path{"x", "y"});
}

TEST_CASE("field_ref: @timestamp is an ordinary data key", "[field_ref]") {
  for (const char* t : {"@timestamp", "[@timestamp]"}) {
    auto r = FieldRef::parse(t);
    REQUIRE(r);
    CHECK(r->root() == FieldRef::Root::Data);
    CHECK(r->path() == Path{"@timestamp"});
  }
}

TEST_CASE("field_ref: embedded references are flattened", "[field_ref]") {
  CHECK(FieldRef::parse("[[a][b]][c]")->path() == Path{"a", "b", "c"});
  CHECK(FieldRef::parse("[[ok]]")->path() == Path{"ok"});
  CHECK(FieldRef::parse("[a][[b][c]]")->path() == Path{"a", "b", "c"});
  auto m = FieldRef::parse("[[@metadata][x]][y]");
  REQUIRE(m);
  CHECK(m->root() == FieldRef::Root::Metadata);
  CHECK(m->path() == Path{"x", "y"});
}

TEST_CASE("field_ref: tags helper", "[field_ref]") {
  CHECK(FieldRef::parse("tags")->is_tags());
  CHECK(FieldRef::parse("[tags]")->is_tags());
  CHECK_FALSE(FieldRef::parse("[tags][0]")->is_tags());
  CHECK_FALSE(FieldRef::parse("[@metadata][tags]")->is_tags());
}

TEST_CASE("field_ref: illegal syntax reports Logstash's message", "[field_ref]") {
  for (const char* bad : {"foo[bar]", "[foo]bar", "[]", "[foo", "foo]", "[foo]]", "[a][b]c", "[a]b[c]",
                          "[[][[[[]message", "[a][]", "]", "[[a]b]"}) {
    std::string err;
    INFO(bad);
    CHECK_FALSE(FieldRef::parse(bad, &err).has_value());
    CHECK(err == std::string("Invalid FieldReference: `") + bad + "`");
  }
}

TEST_CASE("field_ref: empty text is the empty top-level key", "[field_ref]") {
  auto r = FieldRef::parse("");
  REQUIRE(r);
  CHECK(r->path() == Path{""});
}

TEST_CASE("field_ref: Logstash FieldReferenceTest vectors", "[field_ref]") {
  CHECK(FieldRef::parse("foo")->path() == Path{"foo"});
  CHECK(FieldRef::parse("[foo]")->path() == Path{"foo"});
  CHECK(FieldRef::parse("[foo][bar]")->path() == Path{"foo", "bar"});
  CHECK(FieldRef::parse("[foo][bar][baz]")->path() == Path{"foo", "bar", "baz"});
  CHECK(FieldRef::parse("[[foo]][bar]")->path() == Path{"foo", "bar"});
  CHECK(FieldRef::parse("[[foo][bar]][baz]")->path() == Path{"foo", "bar", "baz"});
  auto m = FieldRef::parse("[@metadata][nested][field]");
  REQUIRE(m);
  CHECK(m->root() == FieldRef::Root::Metadata);
  CHECK(m->path() == Path{"nested", "field"});
  for (const char* bad : {"[[foo][bar]nope][baz]", "[nope[foo][bar]][baz]", "[foo][bar][baz", "foo[bar][baz]",
                          "[foo]bar[baz]", "[", "]", "[[[[[[[[[[[]", "[foo][bar]]baz]"}) {
    INFO(bad);
    CHECK_FALSE(FieldRef::parse(bad).has_value());
  }
}
