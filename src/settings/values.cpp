// Values and their coercion: a YAML node as a typed Value (Psych's types), and normalize(), which
// validates a value against its setting's type in the table and writes the canonical form (booleans
// "true"/"false", integers in decimal, byte sizes in bytes, durations in nanoseconds, port ranges
// "first-last"). Also Logstash's value syntaxes: byte sizes ("64mb") and durations ("3s").
//
// Decisions (also in docs/settings.md):
//   * String settings accept any scalar as written (`node.name: 2024` is the name "2024"); Logstash
//     would reject a YAML number there.
//   * `path.config` may be a list anywhere (Logstash allows a list only through pipelines.yml).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "settings/internal.hpp"

namespace sluice::settings::detail {

Value from_node(const yaml::Node& n) {
  Value v;
  switch (n.kind) {
    case yaml::Node::Kind::Null:
      return v;
    case yaml::Node::Kind::Sequence:
      v.kind = Value::Kind::List;
      for (const yaml::Node& item : n.items) v.items.push_back(from_node(item));
      return v;
    case yaml::Node::Kind::Mapping:
      v.kind = Value::Kind::Map;
      return v;
    case yaml::Node::Kind::Scalar:
      break;
  }
  v.text = n.scalar;
  switch (yaml::resolve(n)) {
    case yaml::ScalarType::Null:
      v.kind = Value::Kind::Null;
      break;
    case yaml::ScalarType::Bool:
      v.kind = Value::Kind::Bool;
      yaml::plain_bool(n.scalar, &v.b);
      break;
    case yaml::ScalarType::Int:
      v.kind = Value::Kind::Int;
      v.int_overflow = !yaml::plain_int(n.scalar, &v.i);
      break;
    case yaml::ScalarType::Float:
      v.kind = Value::Kind::Float;
      break;
    case yaml::ScalarType::String:
      v.kind = Value::Kind::Str;
      break;
  }
  return v;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Java's Integer.parseInt on a trimmed string (optional sign, decimal digits, 32-bit range).
bool parse_int32(const std::string& in, int64_t* out) {
  std::string s = trim(in);
  if (s.empty()) return false;
  std::size_t k = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    k = 1;
  }
  if (k == s.size()) return false;
  int64_t v = 0;
  for (; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
    if (v > static_cast<int64_t>(std::numeric_limits<int32_t>::max()) + 1) return false;
  }
  v = neg ? -v : v;
  if (v > std::numeric_limits<int32_t>::max() || v < std::numeric_limits<int32_t>::min()) return false;
  *out = v;
  return true;
}

namespace {

// An integer setting's value: a YAML integer, or a string holding one.
bool int_value(const Value& v, int64_t* out) {
  if (v.kind == Value::Kind::Int) {
    if (v.int_overflow || v.i > std::numeric_limits<int32_t>::max() ||
        v.i < std::numeric_limits<int32_t>::min()) {
      return false;
    }
    *out = v.i;
    return true;
  }
  if (v.kind == Value::Kind::Str) return parse_int32(v.text, out);
  return false;
}

std::string join_options(const std::vector<const char*>& options) {
  std::string s;
  for (std::size_t k = 0; k < options.size(); ++k) {
    if (k > 0) s += k + 1 == options.size() ? " or " : ", ";
    s += options[k];
  }
  return s;
}

}  // namespace

bool parse_port_range(const std::string& in, int* first, int* last) {
  std::string s = trim(in);
  auto dash = s.find('-');
  std::string a = dash == std::string::npos ? s : s.substr(0, dash);
  std::string b = dash == std::string::npos ? s : s.substr(dash + 1);
  int64_t x = 0, y = 0;
  if (!parse_int32(a, &x) || !parse_int32(b, &y)) return false;
  if (x < 1 || y > 65535 || x > y) return false;
  *first = static_cast<int>(x);
  *last = static_cast<int>(y);
  return true;
}

namespace {

bool parse_age(const std::string& s) {
  // Logstash: (?<value>\d+)\s*(?<time>[dhms]), the whole string.
  std::size_t k = 0;
  while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
  if (k == 0) return false;
  while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
  return k + 1 == s.size() && std::strchr("dhms", s[k]) != nullptr;
}

}  // namespace

// Validates `v` for `d` and writes its canonical form.
Normalized normalize(const Def& d, const Value& v, Canon* out) {
  Normalized r;
  auto fail = [&](std::string detail) {
    r.ok = false;
    r.detail = std::move(detail);
    return r;
  };
  const bool scalar = v.scalar();
  switch (d.type) {
    case Type::Any:
      out->text = v.shown();
      return r;
    case Type::String:
    case Type::Path:
    case Type::OptString:
    case Type::Password:
      if (!scalar) return fail("expected a string, not a list or mapping");
      out->text = v.text;
      if (d.type == Type::Path && trim(out->text).empty()) return fail("expected a path");
      return r;
    case Type::Bool:
      if (v.kind == Value::Kind::Bool) {
        out->text = v.b ? "true" : "false";
        return r;
      }
      if (v.kind == Value::Kind::Str && (v.text == "true" || v.text == "false")) {
        out->text = v.text;
        return r;
      }
      return fail("expected true or false");
    case Type::Debug:
      if (v.kind == Value::Kind::Bool) {
        out->text = v.b ? "true" : "false";
        return r;
      }
      if (v.kind == Value::Kind::Str && (v.text == "true" || v.text == "false" || v.text == "dot")) {
        out->text = v.text;
        return r;
      }
      return fail("expected true, false or dot");
    case Type::PositiveInt: {
      int64_t n = 0;
      if (!int_value(v, &n) || n < 1) return fail("expected a positive integer");
      out->text = std::to_string(n);
      return r;
    }
    case Type::NonNegInt: {
      int64_t n = 0;
      if (!int_value(v, &n) || n < 0) {
        return fail(std::string(d.name) == "pipeline.batch.delay"
                        ? "expected a non-negative number of milliseconds"
                        : "expected a non-negative integer");
      }
      out->text = std::to_string(n);
      return r;
    }
    case Type::Bytes: {
      if (v.kind == Value::Kind::Int && !v.int_overflow && v.i >= 0) {  // a YAML number is a count of bytes
        out->text = std::to_string(v.i);
        return r;
      }
      uint64_t n = 0;
      if (v.kind == Value::Kind::Str && parse_bytes(v.text, &n)) {
        out->text = std::to_string(n);
        return r;
      }
      return fail("Unknown bytes value; expected a number with a unit b, kb, mb, gb, tb or pb (e.g. 64mb)");
    }
    case Type::Duration: {
      if (v.kind == Value::Kind::Int && !v.int_overflow && v.i >= 0) {
        if (v.i > std::numeric_limits<int32_t>::max()) {
          return fail(
              "expected a duration with a unit; a number without one is nanoseconds and must fit in 32 bits");
        }
        r.warning =
            std::string("Integer value for `") + d.name +
            "` does not have a time unit and will be interpreted in nanoseconds. Time units will be required "
            "in "
            "a future release of Logstash. Acceptable unit suffixes are: `d`, `h`, `m`, `s`, `ms`, `micros`, "
            "and `nanos`.";
        out->text = std::to_string(v.i);
        return r;
      }
      int64_t ns = 0;
      if (v.kind == Value::Kind::Str && parse_duration_ns(v.text, &ns)) {
        out->text = std::to_string(ns);
        return r;
      }
      return fail(
          "expected a duration: an integer with a unit nanos, micros, ms, s, m, h or d (e.g. 3s, 100ms)");
    }
    case Type::Enum: {
      std::string text = v.kind == Value::Kind::Bool ? (v.b ? "true" : "false") : v.text;
      if (!scalar) return fail("expected one of " + join_options(d.options));
      for (const char* o : d.options) {
        if (text == o) {
          out->text = text;
          return r;
        }
      }
      return fail("expected one of " + join_options(d.options));
    }
    case Type::PortRange: {
      int first = 0, last = 0;
      std::string text = v.kind == Value::Kind::Int && !v.int_overflow ? std::to_string(v.i) : v.text;
      if ((v.kind != Value::Kind::Int && v.kind != Value::Kind::Str) ||
          !parse_port_range(text, &first, &last)) {
        return fail("expected a port (9600) or a port range (9600-9700) within 1-65535");
      }
      out->text = std::to_string(first) + "-" + std::to_string(last);
      return r;
    }
    case Type::StringArray: {
      out->is_list = true;
      if (scalar) {
        out->list.push_back(v.text);
      } else if (v.kind == Value::Kind::List) {
        for (const Value& item : v.items) {
          if (!item.scalar()) return fail("expected a list of strings");
          out->list.push_back(item.text);
        }
      } else {
        return fail("expected a string or a list of strings");
      }
      if (!d.options.empty()) {
        for (const std::string& s : out->list) {
          if (std::find_if(d.options.begin(), d.options.end(), [&](const char* o) { return s == o; }) ==
              d.options.end()) {
            return fail("expected values among " + join_options(d.options));
          }
        }
      }
      return r;
    }
    case Type::Age:
      if (!scalar || !parse_age(v.text)) {
        return fail("expected a time specification in the form <number>[d,h,m,s], e.g. 3m");
      }
      out->text = v.text;
      return r;
  }
  return r;
}

}  // namespace sluice::settings::detail

namespace sluice::settings {

using namespace detail;

bool parse_bytes(const std::string& in, uint64_t* out) {
  std::string s = lowercase(trim(in));
  std::size_t k = 0;
  while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
  if (k == 0) return false;
  std::size_t int_end = k;
  std::size_t frac_end = k;
  if (k < s.size() && s[k] == '.') {
    ++k;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
    frac_end = k;
  }
  std::string unit = trim(s.substr(k));
  static const std::pair<const char*, int> units[] = {{"b", 0},   {"k", 10}, {"kb", 10}, {"m", 20},
                                                      {"mb", 20}, {"g", 30}, {"gb", 30}, {"t", 40},
                                                      {"tb", 40}, {"p", 50}, {"pb", 50}};
  int shift = -1;
  for (const auto& [name, sh] : units) {
    if (unit == name) shift = sh;
  }
  if (shift < 0) return false;
  if (frac_end == int_end) {  // integer: exact
    uint64_t v = 0;
    for (std::size_t i = 0; i < int_end; ++i) {
      if (v > (std::numeric_limits<uint64_t>::max() - 9) / 10) return false;
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    if (shift > 0 && v > (std::numeric_limits<uint64_t>::max() >> shift)) return false;
    *out = v << shift;
    return true;
  }
  long double v = std::strtold(s.substr(0, frac_end).c_str(), nullptr) * std::ldexp(1.0L, shift);
  if (!(v >= 0) || v >= 18446744073709551615.0L) return false;
  *out = static_cast<uint64_t>(v);
  return true;
}

bool parse_duration_ns(const std::string& in, int64_t* out) {
  std::string s = lowercase(trim(in));
  static const std::pair<const char*, int64_t> units[] = {
      {"nanos", 1},         {"micros", 1000},       {"ms", 1000000},         {"s", 1000000000LL},
      {"m", 60000000000LL}, {"h", 3600000000000LL}, {"d", 86400000000000LL},
  };
  for (const auto& [suffix, factor] : units) {
    std::size_t n = std::strlen(suffix);
    if (s.size() < n || s.compare(s.size() - n, n, suffix) != 0) continue;
    int64_t v = 0;
    if (!parse_int32(s.substr(0, s.size() - n), &v) || v < 0) return false;
    if (v > std::numeric_limits<int64_t>::max() / factor) return false;
    *out = v * factor;
    return true;
  }
  return false;
}

bool parse_duration_ms(const std::string& s, int64_t* out) {
  int64_t ns = 0;
  if (!parse_duration_ns(s, &ns)) return false;
  *out = ns / 1000000;
  return true;
}

}  // namespace sluice::settings
