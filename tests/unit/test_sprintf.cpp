// sprintf templates: Logstash's StringInterpolation and its tests, Joda and java.time patterns.
#include <catch2/catch.hpp>

#include "sluice/sprintf.hpp"

using namespace sluice;

namespace {
// Logstash's StringInterpolationTest event: bar=foo, awesome=logstash, j={k1:v},
// @timestamp 2015-10-01T00:00:00Z.
std::unique_ptr<Event> test_event() {
  auto e = Event::from_json(
      R"({"bar":"foo","awesome":"logstash","j":{"k1":"v"},"@timestamp":"2015-10-01T00:00:00.000Z"})", nullptr);
  REQUIRE(e);
  return e;
}
std::string render(const char* tpl, const Event& e) { return Template(tpl).render(e); }
std::string render(const char* tpl) { return render(tpl, *test_event()); }
Timestamp ts(const char* s) {
  auto t = Timestamp::parse_iso8601(s);
  REQUIRE(t);
  return *t;
}
}  // namespace

TEST_CASE("sprintf: completely static template", "[sprintf]") {
  Template t("/full/path/awesome");
  CHECK(t.is_constant());
  CHECK(t.text() == "/full/path/awesome");
  CHECK(render("/full/path/awesome") == "/full/path/awesome");
}

TEST_CASE("sprintf: one and multiple level fields", "[sprintf]") {
  CHECK_FALSE(Template("/full/%{bar}/awesome").is_constant());
  CHECK(render("/full/%{bar}/awesome") == "/full/foo/awesome");
  CHECK(render("/full/%{bar}/%{awesome}") == "/full/foo/logstash");
}

TEST_CASE("sprintf: missing key stays literal", "[sprintf]") {
  CHECK(render("/full/%{do-not-exist}") == "/full/%{do-not-exist}");
  CHECK(render("%{[a][b]} and %{bar}") == "%{[a][b]} and foo");
}

TEST_CASE("sprintf: null value stays literal", "[sprintf]") {
  auto e = Event::from_json(R"({"n":null})", nullptr);
  CHECK(render("x%{n}y", *e) == "x%{n}y");
}

TEST_CASE("sprintf: Joda date formatter", "[sprintf]") {
  CHECK(render("/full/%{+YYYY}") == "/full/2015");
  CHECK(render("%{+YYYY}") == "2015");
  CHECK(render("/full/%{+YYYY}/weeee/%{bar}") == "/full/2015/weeee/foo");
  CHECK(render("%{+YYYY.MM.dd}") == "2015.10.01");
}

TEST_CASE("sprintf: java.time date formatter", "[sprintf]") {
  CHECK(render("/full/%{{YYYY-DDD}}/weeee/%{bar}") == "/full/2015-274/weeee/foo");
  CHECK(render("%{{YYYY-'W'ww}}") == "2015-W40");
  CHECK(render("%{{yyyy-MM-dd}}") == "2015-10-01");
}

TEST_CASE("sprintf: unclosed tag stays literal", "[sprintf]") {
  CHECK(render("/full/%{+YYY/web") == "/full/%{+YYY/web");
  CHECK(render("%{bar}/%{bar") == "foo/%{bar");
  CHECK(Template("/full/%{+YYY/web").is_constant());
}

TEST_CASE("sprintf: field reference", "[sprintf]") { CHECK(render("%{[j][k1]}") == "v"); }

TEST_CASE("sprintf: epoch seconds and the %{+%ss} quirk", "[sprintf]") {
  CHECK(render("%{+%s}") == "1443657600");
  CHECK(render("%{+%ss}") == "%00");
  // Logstash matches any prefix of `+%s`, so the empty token is epoch seconds too.
  CHECK(render("%{}") == "1443657600");
  CHECK(render("%{+}") == "1443657600");
}

TEST_CASE("sprintf: array value joined with commas", "[sprintf]") {
  auto e = Event::from_json(R"({"message":["Hello","world"],"n":[1,2.5,true,null,[3,[4]]],"m":[{"k1":"v"}]})", nullptr);
  CHECK(render("%{message}", *e) == "Hello,world");
  CHECK(render("%{n}", *e) == "1,2.5,true,,3,4");
  CHECK(render("%{m}", *e) == "{k1=v}");
}

TEST_CASE("sprintf: hash value as compact JSON", "[sprintf]") { CHECK(render("%{j}") == R"({"k1":"v"})"); }

TEST_CASE("sprintf: scalar renderings", "[sprintf]") {
  auto e = Event::from_json(R"({"i":-3,"f":1.0,"g":1e20,"h":12345678.9,"t":true,"s":"x y"})", nullptr);
  CHECK(render("%{i}|%{f}|%{g}|%{h}|%{t}|%{s}", *e) == "-3|1.0|1.0E20|1.23456789E7|true|x y");
}

TEST_CASE("sprintf: @timestamp field renders its string", "[sprintf]") {
  CHECK(render("%{@timestamp}") == "2015-10-01T00:00:00.000Z");
  CHECK(render("%{[@timestamp]}") == "2015-10-01T00:00:00.000Z");
}

TEST_CASE("sprintf: metadata fields", "[sprintf]") {
  auto e = Event::from_json(R"({"@metadata":{"index":"logs"}})", nullptr);
  CHECK(render("%{[@metadata][index]}-x", *e) == "logs-x");
}

TEST_CASE("sprintf: no @timestamp renders dates empty", "[sprintf]") {
  auto e = test_event();
  CHECK(e->remove(*FieldRef::parse("@timestamp")));
  CHECK(render("a%{+YYYY}b%{+%s}c%{{yyyy}}d%{bar}", *e) == "abcdfoo");
}

TEST_CASE("sprintf: TIME_NOW", "[sprintf]") {
  auto before = Timestamp{Timestamp::now().millis() * 1'000'000};
  std::string s = render("%{{TIME_NOW}}");
  auto after = Timestamp::now();
  auto t = Timestamp::parse_iso8601(s);
  REQUIRE(t);
  CHECK(*t >= before);
  CHECK(*t <= after);
  CHECK(s.size() == 24);
}

TEST_CASE("sprintf: invalid field reference stays literal", "[sprintf]") {
  CHECK(render("%{foo[bar]}") == "%{foo[bar]}");
}

TEST_CASE("sprintf: copies and moves", "[sprintf]") {
  Template a("%{bar}!");
  Template b = a;
  Template c;
  c = b;
  Template d(std::move(a));
  auto e = test_event();
  CHECK(b.render(*e) == "foo!");
  CHECK(c.render(*e) == "foo!");
  CHECK(d.render(*e) == "foo!");
  std::string out = "pre:";
  d.render(*e, out);
  CHECK(out == "pre:foo!");
  Template empty;
  CHECK(empty.render(*e).empty());
  CHECK(empty.is_constant());
}

TEST_CASE("joda: year, month, day tokens", "[sprintf][joda]") {
  Timestamp t = ts("2015-03-07T04:05:06.789Z");
  CHECK(format_joda("yyyy-MM-dd HH:mm:ss.SSS", t) == "2015-03-07 04:05:06.789");
  CHECK(format_joda("YYYY.MM.dd", t) == "2015.03.07");
  CHECK(format_joda("yy", t) == "15");
  CHECK(format_joda("YY", t) == "15");
  CHECK(format_joda("y", t) == "2015");
  CHECK(format_joda("YYY", t) == "2015");
  CHECK(format_joda("yyyyy", t) == "02015");
  CHECK(format_joda("M/d", t) == "3/7");
  CHECK(format_joda("MMM MMMM", t) == "Mar March");
  CHECK(format_joda("D DDD", t) == "66 066");
  CHECK(format_joda("C G", t) == "20 AD");
}

TEST_CASE("joda: weekday, week and weekyear", "[sprintf][joda]") {
  Timestamp t = ts("2015-03-07T04:05:06Z");  // a Saturday
  CHECK(format_joda("e E EEE EEEE", t) == "6 Sat Sat Saturday");
  CHECK(format_joda("xxxx-'W'ww", ts("2021-08-11T00:00:00Z")) == "2021-W32");
  // 2016-01-01 is in ISO week 53 of 2015.
  CHECK(format_joda("xxxx-ww-e", ts("2016-01-01T00:00:00Z")) == "2015-53-5");
  CHECK(format_joda("xx", ts("2016-01-01T00:00:00Z")) == "15");
  // 2014-12-29 is in week 1 of 2015.
  CHECK(format_joda("xxxx-ww", ts("2014-12-29T00:00:00Z")) == "2015-01");
}

TEST_CASE("joda: hours and halfday", "[sprintf][joda]") {
  CHECK(format_joda("h K k H a", ts("2015-03-07T00:05:06Z")) == "12 0 24 0 AM");
  CHECK(format_joda("hh KK kk HH a", ts("2015-03-07T13:05:06Z")) == "01 01 13 13 PM");
  CHECK(format_joda("H:m:s", ts("2015-03-07T04:05:06Z")) == "4:5:6");
}

TEST_CASE("joda: fractions are milliseconds", "[sprintf][joda]") {
  Timestamp t = ts("2015-03-07T04:05:06.789123456Z");
  CHECK(format_joda("S", t) == "7");
  CHECK(format_joda("SS", t) == "78");
  CHECK(format_joda("SSS", t) == "789");
  CHECK(format_joda("SSSSSS", t) == "789000");
}

TEST_CASE("joda: zones are UTC", "[sprintf][joda]") {
  Timestamp t = ts("2015-03-07T04:05:06Z");
  CHECK(format_joda("Z", t) == "+0000");
  CHECK(format_joda("ZZ", t) == "+00:00");
  CHECK(format_joda("ZZZ", t) == "UTC");
  CHECK(format_joda("z", t) == "UTC");
  CHECK(format_joda("zzzz", t) == "Coordinated Universal Time");
}

TEST_CASE("joda: quoted literals", "[sprintf][joda]") {
  Timestamp t = ts("2015-03-07T04:05:06Z");
  CHECK(format_joda("yyyy'T'HH", t) == "2015T04");
  CHECK(format_joda("'at' HH 'o''clock'", t) == "at 04 o'clock");
  CHECK(format_joda("''yyyy''", t) == "'2015'");
  CHECK(format_joda("yyyy.MM.dd-", t) == "2015.03.07-");
  CHECK(format_joda("%ss", t) == "%06");
}

TEST_CASE("java.time: common tokens", "[sprintf][java]") {
  auto e = Event::from_json(R"({"@timestamp":"2021-08-11T13:05:06.123456789Z"})", nullptr);
  CHECK(render("%{{yyyy-MM-dd'T'HH:mm:ss.SSS}}", *e) == "2021-08-11T13:05:06.123");
  CHECK(render("%{{YYYY-'W'ww}}", *e) == "2021-W32");
  CHECK(render("%{{DDD}}", *e) == "223");
  CHECK(render("%{{EEE MMM d h a}}", *e) == "Wed Aug 11 1 PM");
  CHECK(render("%{{SSSSSSSSS}}", *e) == "123456789");
  CHECK(render("%{{uuuu yy y}}", *e) == "2021 21 2021");
  CHECK(render("%{{XXX xx Z}}", *e) == "Z +0000 +0000");
  CHECK(render("%{{[yyyy]}}", *e) == "2021");
}
