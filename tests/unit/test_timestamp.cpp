// Timestamp: Logstash 7 printing (always milliseconds), lenient ISO-8601 parsing, civil time.
#include <catch2/catch.hpp>

#include "sluice/timestamp.hpp"

using namespace sluice;

namespace {
std::string parse_print(const char* s) {
  auto t = Timestamp::parse_iso8601(s);
  return t ? t->to_string() : std::string("<invalid>");
}
constexpr int64_t kSec = 1'000'000'000;
}  // namespace

TEST_CASE("timestamp: prints milliseconds, zero fraction as .000", "[timestamp]") {
  CHECK(Timestamp{0}.to_string() == "1970-01-01T00:00:00.000Z");
  CHECK(Timestamp::from_seconds(1443657600).to_string() == "2015-10-01T00:00:00.000Z");
  CHECK(Timestamp::from_seconds(1740787200).to_string() == "2025-03-01T00:00:00.000Z");
}

TEST_CASE("timestamp: fraction is truncated to milliseconds, not rounded", "[timestamp]") {
  CHECK(Timestamp{1443657600 * kSec + 999'999'999}.to_string() == "2015-10-01T00:00:00.999Z");
  CHECK(parse_print("2014-09-23T20:34:56.789012345Z") == "2014-09-23T20:34:56.789Z");
  CHECK(parse_print("2025-03-01T12:00:00.123456Z") == "2025-03-01T12:00:00.123Z");
}

TEST_CASE("timestamp: before the epoch", "[timestamp]") {
  CHECK(Timestamp{-1}.to_string() == "1969-12-31T23:59:59.999Z");
  CHECK(Timestamp{-1}.seconds() == -1);
  CHECK(Timestamp{-1}.millis() == -1);
  CHECK(parse_print("1900-02-28T23:59:59Z") == "1900-02-28T23:59:59.000Z");
  CHECK(parse_print("0001-01-01T00:00:00Z") == "<invalid>");  // beyond int64 nanoseconds
}

TEST_CASE("timestamp: nanosecond precision is kept in the value", "[timestamp]") {
  auto t = Timestamp::parse_iso8601("2014-09-23T20:34:56.789012345Z");
  REQUIRE(t);
  CHECK(t->ns % kSec == 789'012'345);
  auto c = to_civil(*t);
  CHECK(c.nanos == 789'012'345);
}

TEST_CASE("timestamp: parse full forms with zones", "[timestamp]") {
  CHECK(parse_print("2014-09-23T20:34:56.123Z") == "2014-09-23T20:34:56.123Z");
  CHECK(parse_print("2014-09-23T20:34:56.123+08:00") == "2014-09-23T12:34:56.123Z");
  CHECK(parse_print("2014-09-23T20:34:56.123+0800") == "2014-09-23T12:34:56.123Z");
  CHECK(parse_print("2014-09-23T20:34:56.123+08") == "2014-09-23T12:34:56.123Z");
  CHECK(parse_print("2014-09-23T20:34:56-0800") == "2014-09-24T04:34:56.000Z");
  CHECK(parse_print("2014-09-23T20:34:56-08:30") == "2014-09-24T05:04:56.000Z");
  CHECK(parse_print("2014-09-23t20:34:56z") == "2014-09-23T20:34:56.000Z");
}

TEST_CASE("timestamp: missing zone means UTC", "[timestamp]") {
  CHECK(parse_print("2014-09-23T20:34:56.123") == "2014-09-23T20:34:56.123Z");
  CHECK(parse_print("2014-09-23T20:34:56") == "2014-09-23T20:34:56.000Z");
}

TEST_CASE("timestamp: space separator, comma decimals", "[timestamp]") {
  CHECK(parse_print("2014-09-23 20:34:56,5Z") == "2014-09-23T20:34:56.500Z");
  CHECK(parse_print("2014-09-23 20:34:56.1") == "2014-09-23T20:34:56.100Z");
}

TEST_CASE("timestamp: partial dates and times", "[timestamp]") {
  CHECK(parse_print("2014-09-23") == "2014-09-23T00:00:00.000Z");
  CHECK(parse_print("2014-09") == "2014-09-01T00:00:00.000Z");
  CHECK(parse_print("2014") == "2014-01-01T00:00:00.000Z");
  CHECK(parse_print("2014-09-23T20") == "2014-09-23T20:00:00.000Z");
  CHECK(parse_print("2014-09-23T20:34") == "2014-09-23T20:34:00.000Z");
  CHECK(parse_print("2014-09-23T20:34Z") == "2014-09-23T20:34:00.000Z");
  CHECK(parse_print("2014-09-23T20:30.5Z") == "2014-09-23T20:30:30.000Z");  // fraction of a minute
  CHECK(parse_print("2014-09-23T") == "2014-09-23T00:00:00.000Z");
}

TEST_CASE("timestamp: ordinal and week dates as Joda's dateTimeParser", "[timestamp]") {
  CHECK(parse_print("2015-274") == "2015-10-01T00:00:00.000Z");
  CHECK(parse_print("2015-W40-4") == "2015-10-01T00:00:00.000Z");
  CHECK(parse_print("2015-W01") == "2014-12-29T00:00:00.000Z");
}

TEST_CASE("timestamp: fraction digits up to nanoseconds, beyond truncated", "[timestamp]") {
  auto t = Timestamp::parse_iso8601("2014-09-23T20:34:56.1234567891234Z");
  REQUIRE(t);
  CHECK(t->ns % kSec == 123'456'789);
}

TEST_CASE("timestamp: rejects garbage and out-of-range fields", "[timestamp]") {
  for (const char* bad : {"", "garbage", "2014-13-01", "2014-02-30", "2014-09-23T24:00:00", "2014-09-23T20:60",
                          "2014-09-23T20:34:60", "2014-09-23T20:34:56.Z", "2014-09-23T20:34:56Zjunk",
                          "20140923T203456Z", "T20:34:56", "14-09-23", "2014-9-23", "2014-09-23X",
                          "2014-09-23T20:34:56+8", "2014/09/23"}) {
    INFO(bad);
    CHECK_FALSE(Timestamp::parse_iso8601(bad).has_value());
  }
  CHECK(Timestamp::parse_iso8601("2016-02-29").has_value());
  CHECK_FALSE(Timestamp::parse_iso8601("2015-02-29").has_value());
}

TEST_CASE("timestamp: years outside 0000..9999 do not crash", "[timestamp]") {
  // 5-digit years are accepted by Joda's parser but overflow int64 nanoseconds: rejected.
  CHECK_FALSE(Timestamp::parse_iso8601("99999-01-01").has_value());
  CHECK_FALSE(Timestamp::parse_iso8601("-9999-01-01").has_value());
  CHECK_FALSE(Timestamp::parse_iso8601("999999999-12-31T23:59:59Z").has_value());
  // Printing the extremes of the representable range works.
  CHECK(Timestamp{INT64_MAX}.to_string() == "2262-04-11T23:47:16.854Z");
  CHECK(Timestamp{INT64_MIN}.to_string() == "1677-09-21T00:12:43.145Z");
}

TEST_CASE("timestamp: civil time fields", "[timestamp]") {
  auto c = to_civil(Timestamp::from_seconds(1443657600));  // 2015-10-01, a Thursday
  CHECK(c.year == 2015);
  CHECK(c.month == 10);
  CHECK(c.day == 1);
  CHECK(c.weekday == 4);
  CHECK(c.day_of_year == 274);
  CHECK(c.hour == 0);
  auto d = to_civil(*Timestamp::parse_iso8601("2016-12-31T23:59:58.5Z"));
  CHECK(d.day_of_year == 366);
  CHECK(d.weekday == 6);
  CHECK(d.second == 58);
  CHECK(d.nanos == 500'000'000);
  auto e = to_civil(Timestamp{-1});
  CHECK(e.year == 1969);
  CHECK(e.weekday == 3);
}

TEST_CASE("timestamp: round trip over many days", "[timestamp]") {
  for (int64_t day = -100000; day < 100000; day += 97) {
    Timestamp t{day * 86400 * kSec + 12345 * kSec + 678'000'000};
    auto back = Timestamp::parse_iso8601(t.to_string());
    REQUIRE(back);
    CHECK(back->ns == t.ns);
  }
}

TEST_CASE("timestamp: now is close to the system clock", "[timestamp]") {
  auto a = Timestamp::now();
  auto b = Timestamp::now();
  CHECK(b >= a);
  CHECK(a.seconds() > 1'600'000'000);
}

TEST_CASE("timestamp: Logstash TimestampTest vectors", "[timestamp]") {
  // testToIso8601 / to_json spec.
  CHECK(parse_print("2014-09-23T00:00:00-0800") == "2014-09-23T08:00:00.000Z");
  // testToString (printed here in Logstash 7's millisecond form).
  auto t = Timestamp::parse_iso8601("2014-09-23T12:34:56.789012345-0800");
  REQUIRE(t);
  CHECK(t->to_string() == "2014-09-23T20:34:56.789Z");
  CHECK(t->ns % kSec == 789'012'345);
  CHECK(parse_print("2014-09-23T12:34:56.000000000-0800") == "2014-09-23T20:34:56.000Z");
  // testParsingDateWithOffset: a zone directly after the date.
  CHECK(parse_print("2014-09-23-08:00") == "2014-09-23T08:00:00.000Z");
  CHECK(parse_print("2014-09-23Z") == "2014-09-23T00:00:00.000Z");
  // testParsingDateTimeWithCommaDecimalStyleLocale.
  CHECK(Timestamp::parse_iso8601("2014-09-23T13:49:52,987654321Z")->ns % kSec == 987'654'321);
  // testNanoPrecision.
  CHECK(Timestamp::parse_iso8601("2021-04-02T00:28:17.987654321Z")->ns % kSec == 987'654'321);
  // testCircularIso8601 (at the printed millisecond precision).
  Timestamp now = Timestamp::now();
  CHECK(Timestamp::parse_iso8601(now.to_string())->ns == now.millis() * 1'000'000);
}
