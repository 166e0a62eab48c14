// Logstash's string forms of values: Java's Double.toString, sprintf's rendering, truthiness.
#include "sluice/value.hpp"

#include "event/json_internal.hpp"
#include "event/walk.hpp"
#include "sluice/event.hpp"  // write_json

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace sluice {

namespace {

Decimal split_scientific(const char* s, const char* end) {
  // `s` is std::to_chars scientific output without sign: "d[.ddd]e[+-]xx".
  Decimal r{};
  r.ndigits = 0;
  const char* p = s;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') r.digits[r.ndigits++] = *p;
  }
  int e = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, e);
  r.exp10 = e;
  while (r.ndigits > 1 && r.digits[r.ndigits - 1] == '0') --r.ndigits;
  return r;
}

// Java (JDK 19+, Raffaello Giulietti's algorithm, as the reference's JDK 21) selects the shortest
// decimal that rounds to d; when that has one digit, two-digit decimals are candidates too and the
// closest wins (Double.MIN_VALUE prints 4.9E-324, not 5.0E-324). std::to_chars gives the shortest
// (closest among shortest); the 2-digit case is checked separately.
Decimal java_digits(double d) {
  char buf[64];
  Decimal r = shortest_decimal(d);
  if (r.ndigits == 1) {
    auto res2 = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific, 1);
    Decimal two = split_scientific(buf, res2.ptr);
    if (two.ndigits == 2 || two.exp10 != r.exp10 || two.digits[0] != r.digits[0]) {
      *res2.ptr = '\0';
      if (std::strtod(buf, nullptr) == d) return two;
    }
  }
  return r;
}

}  // namespace

Decimal shortest_decimal(double d) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  return split_scientific(buf, res.ptr);
}

size_t format_java_double(double d, char* out) {
  char* p = out;
  auto put = [&](const char* s) {
    while (*s) *p++ = *s++;
  };
  if (std::isnan(d)) {
    put("NaN");
    return static_cast<size_t>(p - out);
  }
  if (std::isinf(d)) {
    put(d < 0 ? "-Infinity" : "Infinity");
    return static_cast<size_t>(p - out);
  }
  if (d == 0) {
    put(std::signbit(d) ? "-0.0" : "0.0");
    return static_cast<size_t>(p - out);
  }
  if (d < 0) {
    *p++ = '-';
    d = -d;
  }
  const Decimal dec = java_digits(d);
  if (d >= 1e-3 && d < 1e7) {
    // Plain notation: integer part, '.', at least one fraction digit.
    if (dec.exp10 >= 0) {
      const int int_digits = dec.exp10 + 1;
      for (int i = 0; i < int_digits; ++i) *p++ = i < dec.ndigits ? dec.digits[i] : '0';
      *p++ = '.';
      if (dec.ndigits > int_digits) {
        for (int i = int_digits; i < dec.ndigits; ++i) *p++ = dec.digits[i];
      } else {
        *p++ = '0';
      }
    } else {
      *p++ = '0';
      *p++ = '.';
      for (int i = 0; i < -dec.exp10 - 1; ++i) *p++ = '0';
      for (int i = 0; i < dec.ndigits; ++i) *p++ = dec.digits[i];
    }
    return static_cast<size_t>(p - out);
  }
  // Computerized scientific notation: d.ddd E exponent (no '+').
  *p++ = dec.digits[0];
  *p++ = '.';
  if (dec.ndigits > 1) {
    for (int i = 1; i < dec.ndigits; ++i) *p++ = dec.digits[i];
  } else {
    *p++ = '0';
  }
  *p++ = 'E';
  p = std::to_chars(p, p + 8, dec.exp10).ptr;
  return static_cast<size_t>(p - out);
}

void append_java_double(double d, std::string& out) {
  char buf[kJavaDoubleMax];
  out.append(buf, format_java_double(d, buf));
}

namespace {

// Java's toString of a whole tree (maps `{k=v, k2=v2}`, lists `[a, b]`, null `null`), walked
// without recursion (event/walk.hpp).
class JavaToString {
 public:
  explicit JavaToString(std::string& out) : out_(out) {}
  WalkStep enter(const Value& v, const WalkPos& pos) {
    if (pos.index != 0) out_ += ", ";
    if (pos.key) {
      out_.append(pos.key->GetString(), pos.key->GetStringLength());
      out_.push_back('=');
    }
    switch (v.GetType()) {
      case rapidjson::kObjectType:
        out_.push_back('{');
        return WalkStep::Into;
      case rapidjson::kArrayType:
        out_.push_back('[');
        return WalkStep::Into;
      case rapidjson::kNullType:
        out_ += "null";
        return WalkStep::Over;
      default:
        append_logstash_string(v, out_);
        return WalkStep::Over;
    }
  }
  void leave(const Value& v, const WalkPos&) { out_.push_back(v.IsObject() ? '}' : ']'); }

 private:
  std::string& out_;
};

// KeyNode.join: elements joined with ",", nested lists flattened (each list's elements separated
// among themselves; an empty nested list still takes its separator), null elements empty, maps as
// Java's Map.toString.
class Joiner {
 public:
  explicit Joiner(std::string& out) : out_(out) {}
  WalkStep enter(const Value& v, const WalkPos& pos) {
    if (pos.depth == 0) return WalkStep::Into;  // the list itself
    if (pos.index != 0) out_.push_back(',');
    if (v.IsArray()) return WalkStep::Into;
    if (v.IsObject()) {
      append_java_to_string(v, out_);
    } else if (!v.IsNull()) {
      append_logstash_string(v, out_);
    }
    return WalkStep::Over;
  }
  void leave(const Value&, const WalkPos&) {}

 private:
  std::string& out_;
};

}  // namespace

void append_java_to_string(const Value& v, std::string& out) {
  JavaToString w(out);
  walk(v, w);
}

void append_logstash_string(const Value& v, std::string& out) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return;
    case rapidjson::kFalseType:
      out += "false";
      return;
    case rapidjson::kTrueType:
      out += "true";
      return;
    case rapidjson::kStringType:
      out.append(v.GetString(), v.GetStringLength());
      return;
    case rapidjson::kNumberType: {
      char buf[32];
      std::to_chars_result r;
      if (v.IsInt64()) {
        r = std::to_chars(buf, buf + sizeof buf, v.GetInt64());
      } else if (v.IsUint64()) {
        r = std::to_chars(buf, buf + sizeof buf, v.GetUint64());
      } else {
        append_java_double(v.GetDouble(), out);
        return;
      }
      out.append(buf, r.ptr);
      return;
    }
    case rapidjson::kArrayType: {
      Joiner j(out);
      walk(v, j);
      return;
    }
    case rapidjson::kObjectType:
      write_json(v, out);
      return;
  }
}

std::string to_logstash_string(const Value& v) {
  std::string s;
  append_logstash_string(v, s);
  return s;
}

bool is_truthy(const Value* v) {
  if (v == nullptr || v->IsNull()) return false;
  if (v->IsFalse()) return false;
  if (v->IsString()) {
    std::string_view s = as_view(*v);
    return !(s.empty() || s == "false");
  }
  // Numbers (0 included), true, arrays and objects (even empty ones) are truthy: their string
  // forms are never "" or "false" in Logstash's evaluation.
  return true;
}

}  // namespace sluice
