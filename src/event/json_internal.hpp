// JSON and Java text helpers shared by the event model and plugins (JSON parsed into an event's
// allocator, Java's toString forms that Logstash prints).
#pragma once

#include "sluice/value.hpp"

#include <string>
#include <string_view>

namespace sluice {

// Java's Double.toString of `d` written to `out` (at least kJavaDoubleMax bytes); returns the length.
inline constexpr size_t kJavaDoubleMax = 32;
size_t format_java_double(double d, char* out);

// The digits and decimal exponent of the shortest decimal that rounds back to `d` (finite, > 0):
// d = D1.D2...Dn * 10^exp10 (no trailing zero digits). Java's and Ruby's float texts start here.
struct Decimal {
  char digits[24];
  int ndigits;
  int exp10;
};
Decimal shortest_decimal(double d);

// Java's toString of an event value, as Logstash prints a value nested in a list or map: strings
// verbatim, maps `{k=v, k2=v2}`, lists `[a, b]`, null `null`, other scalars as sprintf renders them.
void append_java_to_string(const Value& v, std::string& out);

// Appends `s` as a JSON string literal, escaped as Logstash's Jackson mapper does.
void append_json_string(std::string_view s, std::string& out);

// Parses any JSON text into `*out`, building the tree once in `alloc` (full-precision doubles;
// repeated object keys: the last wins). On error returns false and sets *error (if given).
bool parse_json_value(std::string_view json, Allocator& alloc, Value* out, std::string* error);

}  // namespace sluice
