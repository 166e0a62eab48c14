// Event values are RapidJSON values whose memory belongs to the event's pool allocator.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace sluice {

// Chunks of an event's pool; one benchmark event (~1 KB of JSON) parses into about 3 KB of nodes.
inline constexpr std::size_t kEventPoolChunk = 4096;

using Allocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using Value = rapidjson::GenericValue<rapidjson::UTF8<>, Allocator>;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Allocator, rapidjson::CrtAllocator>;

// The bytes of a string value. The view lives as long as the value is unchanged.
inline std::string_view as_view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// A string value holding a copy of `s`, allocated in `a`.
inline Value make_string(std::string_view s, Allocator& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// A deep copy of `v` allocated in `a`, strings included (RapidJSON's copy constructor would share
// "const" string references, and it recurses once per nesting level; this walks without recursion,
// so any depth is safe). Use it instead of Value(v, a) and CopyFrom for values of events.
Value copy_value(const Value& v, Allocator& a);

// Logstash's string form of a value, as sprintf renders it: strings verbatim, integers in decimal,
// floats as Java's Double.toString (1.0, 1.0E10), booleans true/false, null empty, arrays joined with
// ",", objects as compact JSON.
void append_logstash_string(const Value& v, std::string& out);
std::string to_logstash_string(const Value& v);

// Ruby-style truthiness used by conditionals: false iff null, or string form "" or "false".
bool is_truthy(const Value* v);

// Java's Double.toString for a finite double (used by sprintf, rubydebug and JSON output).
void append_java_double(double d, std::string& out);

}  // namespace sluice
