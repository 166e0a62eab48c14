// JSON and Java text helpers shared by the event model and plugins (JSON parsed into an event's
// allocator, Java's toString forms that Logstash prints).
#pragma once

#include "sluice/value.hpp"

#include <rapidjson/error/error.h>

#include <cstddef>
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

// ---- JSON text to values ------------------------------------------------------------------------
// Every JSON text that becomes event values (Event::from_json, the json and json_lines codecs, the
// json filter, the beats input) is read by parse_json(): RapidJSON's iterative reader (no
// recursion) feeding a builder that allocates every node once, in the given pool (an event's).
//  * Nesting deeper than `max_depth` (default kMaxJsonDepth) is refused: the error says
//    "JSON nested deeper than 1000 levels at offset N" (N: the bracket that opened level 1001).
//  * Repeated object keys: the last value wins, at the position of the first occurrence (Jackson).
//  * Numbers: integers exact in 64 bits (signed when negative), anything else (fraction, exponent,
//    larger integers) a correctly rounded double; a number longer than 100 million characters is
//    refused (RapidJSON 1.1.0's exponent arithmetic would overflow).
//  * Memory: the tree, plus per-thread scratch (a NUL-terminated copy of the text, the reader's stack,
//    pending values) that is released after inputs above 1 MiB.

// Jackson's default maximum nesting depth (StreamReadConstraints since 2.15, kept by Logstash 8).
inline constexpr unsigned kMaxJsonDepth = 1000;

enum class JsonSyntax {
  // RapidJSON's Document::Parse rules: one value, then only whitespace (a NUL byte counts as the end
  // of the text); the encoding is not validated. Event::from_json, the codecs, the beats input.
  Document,
  // The same, but anything may follow the first value (kParseStopWhenDoneFlag): the json codecs'
  // array and `target` cases.
  DocumentPrefix,
  // Logstash's json filter (JrJackson): empty or blank text is null; several root values may follow
  // each other and the last wins (a root number or literal must be followed by whitespace or the
  // end); invalid UTF-8 is an error.
  Jackson,
};

struct JsonError {
  rapidjson::ParseErrorCode code = rapidjson::kParseErrorNone;  // kParseErrorTermination: see below
  std::size_t offset = 0;
  unsigned depth_limit = 0;      // non-zero: nesting deeper than this was refused (code Termination)
  const char* detail = nullptr;  // Jackson-mode checks of its own (code Termination)
  bool failed() const { return code != rapidjson::kParseErrorNone; }
  bool too_deep() const { return depth_limit != 0; }
  // What went wrong: "JSON nested deeper than 1000 levels", a Jackson-mode detail, or RapidJSON's
  // English message ("Missing a comma or ']' after an array element.").
  std::string reason() const;
  // reason() + " at offset N".
  std::string message() const;
};

// Parses `text` into *out, allocated in `alloc`. On error returns false, fills *error (if given) and
// leaves *out unspecified (what was allocated stays in `alloc` until it is freed).
bool parse_json(std::string_view text, Allocator& alloc, Value* out, JsonSyntax syntax, JsonError* error,
                unsigned max_depth = kMaxJsonDepth);

// JsonSyntax::Document with the error text "JSON parse error at offset N: <reason>" (nesting:
// "JSON nested deeper than 1000 levels at offset N").
bool parse_json_value(std::string_view json, Allocator& alloc, Value* out, std::string* error);

// A whole JSON document from a peer (Elasticsearch responses, API request bodies) into `doc` (in its
// own allocator), by the same reader and limits (JsonSyntax::Document). Use this instead of
// Document::Parse, which recurses once per nesting level; doc.HasParseError() is not set: the return
// value and *error tell.
bool parse_json_document(std::string_view text, Document& doc, JsonError* error = nullptr,
                         unsigned max_depth = kMaxJsonDepth);

// This thread's parse scratch still held between parses, in bytes (for tests: it stays small after a
// large input).
std::size_t json_parse_scratch_bytes();

// The value of a JSON number's text (validated by RapidJSON's reader): an integer that fits 64 bits,
// otherwise a double (infinite or zero beyond the double range).
Value json_number(const char* s, std::size_t n);

}  // namespace sluice
