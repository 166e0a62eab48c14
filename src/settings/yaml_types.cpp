// Psych's typing of plain YAML scalars (YAML 1.1 as Ruby's Psych reads it, see yaml.hpp): null
// (`~`, `null`, `Null`, `NULL`, empty), booleans (true/false, yes/no, on/off in any case), integers (decimal with
// `_` or `,` separators, 0x, 0b, 0o and leading-zero octal, a sign), floats (incl. .inf, .nan).
// Quoted and block scalars are never typed.
#include <cstddef>
#include <limits>

#include "settings/yaml.hpp"

namespace sluice::yaml {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// Digits in `base` with single `_` (or `,` when allowed) separators between digits.
bool parse_digits(std::string_view s, int base, bool allow_comma, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  bool prev_digit = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' || (allow_comma && c == ',')) {
      // Psych accepts separators loosely in bases other than 10; in base 10 only between digits.
      if (base == 10 && (!prev_digit || i + 1 == s.size() || !is_digit(s[i + 1]))) return false;
      prev_digit = false;
      continue;
    }
    int d = digit_value(c);
    if (d >= base) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      v = std::numeric_limits<uint64_t>::max();  // overflow: still an integer, but it will not fit
    } else {
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    prev_digit = true;
  }
  *out = v;
  return true;
}

// Splits an integer literal into sign, base and digits; false if it is not an integer literal.
bool int_literal(std::string_view s, bool* negative, uint64_t* magnitude) {
  *negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    *negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    return parse_digits(s.substr(2), 16, true, magnitude);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
    return parse_digits(s.substr(2), 2, true, magnitude);
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o') return parse_digits(s.substr(2), 8, false, magnitude);
  if (s.size() > 1 && s[0] == '0') return parse_digits(s.substr(1), 8, true, magnitude);
  if (!is_digit(s[0])) return false;
  return parse_digits(s, 10, true, magnitude);
}

bool float_literal(std::string_view s) {
  std::string_view t = s;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  if (iequals(t, ".inf")) return true;
  if (iequals(s, ".nan")) return true;
  // [0-9][0-9_]* ? '.' [0-9]* ([eE][-+]?[0-9]+)?
  std::size_t i = 0;
  bool int_digits = false;
  while (i < t.size() && (is_digit(t[i]) || (t[i] == '_' && int_digits))) {
    int_digits = true;
    ++i;
  }
  if (i >= t.size() || t[i] != '.') return false;
  ++i;
  bool frac_digits = false;
  while (i < t.size() && (is_digit(t[i]) || t[i] == '_')) {
    frac_digits = frac_digits || is_digit(t[i]);
    ++i;
  }
  if (!int_digits && !frac_digits) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    if (i >= t.size()) return false;
    while (i < t.size() && is_digit(t[i])) ++i;
  }
  return i == t.size();
}

}  // namespace

bool plain_bool(std::string_view t, bool* out) {
  if (iequals(t, "true") || iequals(t, "yes") || iequals(t, "on")) {
    *out = true;
    return true;
  }
  if (iequals(t, "false") || iequals(t, "no") || iequals(t, "off")) {
    *out = false;
    return true;
  }
  return false;
}

bool plain_int(std::string_view text, int64_t* out) {
  bool negative = false;
  uint64_t magnitude = 0;
  if (!int_literal(text, &negative, &magnitude)) return false;
  if (negative) {
    if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return false;
    *out = magnitude == static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1
               ? std::numeric_limits<int64_t>::min()
               : -static_cast<int64_t>(magnitude);
    return true;
  }
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  *out = static_cast<int64_t>(magnitude);
  return true;
}

ScalarType resolve_plain(std::string_view t) {
  if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL") return ScalarType::Null;
  bool b = false;
  if (plain_bool(t, &b)) return ScalarType::Bool;
  bool negative = false;
  uint64_t magnitude = 0;
  if (int_literal(t, &negative, &magnitude)) return ScalarType::Int;
  if (float_literal(t)) return ScalarType::Float;
  return ScalarType::String;
}

ScalarType resolve(const Node& node) {
  if (node.kind == Node::Kind::Null) return ScalarType::Null;
  if (node.kind != Node::Kind::Scalar) return ScalarType::String;
  if (node.style != Node::Style::Plain) return ScalarType::String;
  return resolve_plain(node.scalar);
}

}  // namespace sluice::yaml
