// Ruby's text forms of event values (Ruby 3.4 / JRuby 10, UTF-8 strings), as Logstash's Ruby code
// prints them: the scalars of the rubydebug codec, mutate's `convert => string` and `join`.
#pragma once

#include "sluice/value.hpp"

#include <string>
#include <string_view>

namespace sluice::ruby {

// Float#to_s (the same as Float#inspect): shortest round-trip digits, fixed notation for
// 1e-4 <= |d| < 1e16, otherwise `d.ddde+XX`; `1.0`, `1.0e+20`, `1.0e-05`, `NaN`, `-Infinity`.
void append_float(double d, std::string& out);

// String#inspect of UTF-8 bytes, quotes included: `\n`-style escapes, `\#{` `\#$` `\#@`, `\u0001` for
// other controls and unprintable code points, `\xFF` for bytes that are not valid UTF-8.
void append_inspect(std::string_view s, std::string& out);
// The same as a new string (log parameters: `{"pipeline.id"=>"main"}`).
std::string inspect(std::string_view s);

// #inspect of a value: strings as above, `nil`, `true`, integers, floats as Float#to_s, arrays
// `["a", 1, nil]`, hashes in Ruby 3.4's form `{"k" => 1}`. The tree is walked without recursion
// (any depth).
void append_inspect(const Value& v, std::string& out);

// Variants of Hash#inspect.
struct InspectStyle {
  std::string_view arrow = " => ";   // Ruby 3.4; Ruby 2.x / JRuby 9 (Logstash 7's logs) print "=>"
  bool bare_root_timestamp = false;  // a top-level "@timestamp" string prints bare, as
                                     // LogStash::Timestamp#inspect does (an event's data)
};
void append_inspect(const Value& v, std::string& out, const InspectStyle& style);

// #to_s of a value: strings verbatim, nil empty, numbers and booleans as #inspect, arrays and hashes
// as #inspect.
void append_to_s(const Value& v, std::string& out);

}  // namespace sluice::ruby
