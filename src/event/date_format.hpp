// Compiled date patterns for sprintf: Joda-Time (`%{+...}`) and java.time (`%{{...}}`), UTC only.
#pragma once

#include "sluice/timestamp.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sluice::datefmt {

struct Element {
  char letter = 0;  // 0: literal text
  int count = 0;    // repetitions of the letter
  std::string text;  // the literal (letter == 0) or the raw token, for unknown letters
};

struct Pattern {
  std::vector<Element> elements;
  bool java = false;  // java.time semantics instead of Joda's
  bool valid = true;  // false when a letter is not a pattern letter of the dialect
};

Pattern compile_joda(std::string_view pattern);
Pattern compile_java(std::string_view pattern);

// Appends `t` formatted with `p` in UTC. Joda patterns see millisecond precision (Logstash builds
// a Joda DateTime from epoch milliseconds); java.time patterns see nanoseconds.
void format(const Pattern& p, Timestamp t, std::string& out);

}  // namespace sluice::datefmt
