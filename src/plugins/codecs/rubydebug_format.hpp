// The text of Logstash's rubydebug codec: an event hash as amazing_print 1.x lays it out
// (`indent: 4, index: true, multiline: true, sort_keys: false`, no colours), with JRuby's inspect
// forms of scalars (event/ruby_format.hpp). Used by the rubydebug codec and by anything that wants
// the same rendering.
#pragma once

#include "sluice/event.hpp"

#include <string>
#include <string_view>

namespace sluice::codecs {

// Appends the rubydebug text of `e` followed by "\n". With `metadata`, a non-empty @metadata is
// printed as a top-level "@metadata" key and data maps come out in Java HashMap order (Logstash's
// to_hash_with_metadata deep-copies into HashMaps); otherwise maps print in insertion order.
void append_rubydebug(const Event& e, bool metadata, std::string& out);

// amazing_print's text of one value at the top level (a hash as `{\n    "k" => v\n}`), no newline.
void append_ai_value(const Value& v, std::string& out);

// Java's String.hashCode over the UTF-16 code units of UTF-8 `s`.
int32_t java_string_hash(std::string_view s);

}  // namespace sluice::codecs
