// Value renderings: Java's Double.toString, Logstash's sprintf string form, truthiness.
#include <catch2/catch.hpp>

#include "sluice/event.hpp"
#include "sluice/value.hpp"

#include <cmath>
#include <limits>

using namespace sluice;

namespace {
std::string jd(double d) {
  std::string s;
  append_java_double(d, s);
  return s;
}
}  // namespace

TEST_CASE("value: java double plain range keeps one fraction digit", "[value]") {
  CHECK(jd(1.0) == "1.0");
  CHECK(jd(0.0) == "0.0");
  CHECK(jd(-0.0) == "-0.0");
  CHECK(jd(1.5) == "1.5");
  CHECK(jd(-1.5) == "-1.5");
  CHECK(jd(123.0) == "123.0");
  CHECK(jd(0.001) == "0.001");
  CHECK(jd(1234567.0) == "1234567.0");
  CHECK(jd(9999999.0) == "9999999.0");
  CHECK(jd(0.1) == "0.1");
  CHECK(jd(0.1 + 0.2) == "0.30000000000000004");
  CHECK(jd(100.25) == "100.25");
  CHECK(jd(3.141592653589793) == "3.141592653589793");
}

TEST_CASE("value: java double scientific outside 1e-3..1e7", "[value]") {
  CHECK(jd(1e7) == "1.0E7");
  CHECK(jd(1.0E10) == "1.0E10");
  CHECK(jd(12345678.9) == "1.23456789E7");
  CHECK(jd(1e20) == "1.0E20");
  CHECK(jd(1e-4) == "1.0E-4");
  CHECK(jd(1e-5) == "1.0E-5");
  CHECK(jd(1.234e-5) == "1.234E-5");
  CHECK(jd(-2.5e-7) == "-2.5E-7");
  CHECK(jd(9.999e-4) == "9.999E-4");
  CHECK(jd(1.7976931348623157e308) == "1.7976931348623157E308");
  CHECK(jd(2.2250738585072014E-308) == "2.2250738585072014E-308");
  CHECK(jd(1e23) == "1.0E23");
}

TEST_CASE("value: java double picks the closest two-digit form for one-digit shortest values", "[value]") {
  // Double.MIN_VALUE: shortest is 5E-324, Java prints the closer 4.9E-324.
  CHECK(jd(std::numeric_limits<double>::denorm_min()) == "4.9E-324");
  // 2 * MIN_VALUE: 9.9E-324 is the closest of the one- and two-digit candidates.
  CHECK(jd(2 * std::numeric_limits<double>::denorm_min()) == "9.9E-324");
}

TEST_CASE("value: java double non-finite", "[value]") {
  CHECK(jd(std::nan("")) == "NaN");
  CHECK(jd(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(jd(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

TEST_CASE("value: logstash string of scalars", "[value]") {
  Allocator a;
  CHECK(to_logstash_string(Value("hi")) == "hi");
  CHECK(to_logstash_string(Value(int64_t{-42})) == "-42");
  CHECK(to_logstash_string(Value(uint64_t{18446744073709551615ull})) == "18446744073709551615");
  CHECK(to_logstash_string(Value(1.0)) == "1.0");
  CHECK(to_logstash_string(Value(1e20)) == "1.0E20");
  CHECK(to_logstash_string(Value(true)) == "true");
  CHECK(to_logstash_string(Value(false)) == "false");
  CHECK(to_logstash_string(Value()) == "");
}

TEST_CASE("value: logstash string of arrays joins with commas and flattens", "[value]") {
  auto e = Event::from_json(R"({"a":["Hello","world"],"b":[1,[2,[3,null]],null,"x"],"c":[{"k1":"v","k2":[1,2]}],"d":[]})",
                            nullptr);
  REQUIRE(e);
  CHECK(to_logstash_string(*e->get(*FieldRef::parse("a"))) == "Hello,world");
  CHECK(to_logstash_string(*e->get(*FieldRef::parse("b"))) == "1,2,3,,,x");
  // A map element is rendered as Java's Map.toString.
  CHECK(to_logstash_string(*e->get(*FieldRef::parse("c"))) == "{k1=v, k2=[1, 2]}");
  CHECK(to_logstash_string(*e->get(*FieldRef::parse("d"))) == "");
}

TEST_CASE("value: logstash string of objects is compact json", "[value]") {
  auto e = Event::from_json(R"({"j":{"k1":"v","n":{"x":1.0,"y":null}}})", nullptr);
  REQUIRE(e);
  CHECK(to_logstash_string(*e->get(*FieldRef::parse("j"))) == R"({"k1":"v","n":{"x":1.0,"y":null}})");
}

TEST_CASE("value: truthiness", "[value]") {
  auto e = Event::from_json(
      R"({"f":"false","empty":"","zero":0,"list":[],"map":{},"t":true,"fa":false,"n":null,"s":"x","F":"FALSE"})", nullptr);
  REQUIRE(e);
  auto truthy = [&](const char* f) { return is_truthy(e->get(*FieldRef::parse(f))); };
  CHECK_FALSE(truthy("f"));
  CHECK_FALSE(truthy("empty"));
  CHECK(truthy("zero"));
  CHECK(truthy("list"));
  CHECK(truthy("map"));
  CHECK(truthy("t"));
  CHECK_FALSE(truthy("fa"));
  CHECK_FALSE(truthy("n"));
  CHECK_FALSE(truthy("missing"));
  CHECK(truthy("s"));
  CHECK(truthy("F"));
}
