// @timestamp: an instant with nanosecond precision, always UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

struct Timestamp {
  int64_t ns = 0;  // nanoseconds since the Unix epoch

  static Timestamp now();
  static Timestamp from_seconds(int64_t s) { return {s * 1'000'000'000}; }
  int64_t seconds() const;  // floor division
  int64_t millis() const;   // floor division

  // Lenient ISO-8601 as Logstash accepts it: a date is required; optional `T`/space and time with
  // optional fraction (`.` or `,`, up to 9 digits); optional zone `Z`, `+08:00`, `+0800`, `+08`.
  // A missing zone means UTC (Logstash uses the JVM default zone, which is UTC in its image).
  static std::optional<Timestamp> parse_iso8601(std::string_view s);

  // Logstash 7 form: `2025-03-01T00:00:00.000Z` (always milliseconds).
  std::string to_string() const;
  void append_to(std::string& out) const;

  friend bool operator==(Timestamp a, Timestamp b) { return a.ns == b.ns; }
  friend auto operator<=>(Timestamp a, Timestamp b) { return a.ns <=> b.ns; }
};

// Broken-down UTC civil time of a timestamp, for formatters.
struct CivilTime {
  int64_t year;
  int month, day, hour, minute, second, weekday /*1=Mon..7=Sun*/, day_of_year;
  int64_t nanos;
};
CivilTime to_civil(Timestamp t);

}  // namespace sluice
