// Ruby's text forms of values; see ruby_format.hpp.
#include "event/ruby_format.hpp"

#include "event/json_internal.hpp"  // shortest_decimal
#include "event/utf8.hpp"
#include "event/walk.hpp"

#include <charconv>
#include <cmath>

namespace sluice::ruby {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

void append_u4(std::string& out, uint32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 0xF]);
}

// Code points Ruby's inspect escapes although they are valid: C1 controls but NEL, the line and
// paragraph separators, and the Unicode noncharacters (unassigned, so not printable).
bool escaped_code_point(uint32_t cp) {
  if (cp >= 0x80 && cp <= 0x9F) return cp != 0x85;
  if (cp == 0x2028 || cp == 0x2029) return true;
  if (cp >= 0xFDD0 && cp <= 0xFDEF) return true;
  if ((cp & 0xFFFE) == 0xFFFE) return true;
  return false;
}

void append_integer(const Value& v, std::string& out) {
  char buf[24];
  std::to_chars_result r;
  if (v.IsInt64()) {
    r = std::to_chars(buf, buf + sizeof buf, v.GetInt64());
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v.GetUint64());
  }
  out.append(buf, r.ptr);
}

}  // namespace

void append_inspect(std::string_view s, std::string& out) {
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Copy a run of plain printable ASCII at once.
    size_t run = i;
    while (run < n) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\' || c == '#') break;
      ++run;
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i >= n) break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\f': out += "\\f"; break;
        case '\v': out += "\\v"; break;
        case '\b': out += "\\b"; break;
        case '\a': out += "\\a"; break;
        case 0x1B: out += "\\e"; break;
        case '#':
          if (i + 1 < n && (s[i + 1] == '{' || s[i + 1] == '$' || s[i + 1] == '@')) out.push_back('\\');
          out.push_back('#');
          break;
        default: append_u4(out, c); break;  // other C0 controls and DEL
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = utf8::decode(s, i, &cp);
    if (len == 0) {
      // An invalid byte: Ruby prints it as \xHH and resynchronises on the next byte.
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
      ++i;
      continue;
    }
    if (escaped_code_point(cp)) {
      if (cp > 0xFFFF) {
        out += "\\u{";
        char buf[8];
        auto r = std::to_chars(buf, buf + sizeof buf, cp, 16);
        for (char* q = buf; q < r.ptr; ++q) out.push_back(*q >= 'a' ? static_cast<char>(*q - 'a' + 'A') : *q);
        out.push_back('}');
      } else {
        append_u4(out, cp);
      }
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  out.push_back('"');
}

void append_float(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-Infinity" : "Infinity";
    return;
  }
  if (d == 0) {
    out += std::signbit(d) ? "-0.0" : "0.0";
    return;
  }
  if (d < 0) {
    out.push_back('-');
    d = -d;
  }
  // Shortest round-trip digits D1..Dn and the decimal point position: value = 0.D1..Dn * 10^decpt.
  const Decimal dec = shortest_decimal(d);
  const char* digits = dec.digits;
  const int nd = dec.ndigits;
  const int decpt = dec.exp10 + 1;
  // Ruby's flo_to_s: fixed notation for 1e-4 <= x < 1e16 (decpt in -3..16), exponent otherwise.
  if (decpt > 0 && decpt <= 16) {
    if (decpt >= nd) {
      out.append(digits, static_cast<size_t>(nd));
      out.append(static_cast<size_t>(decpt - nd), '0');
      out += ".0";
    } else {
      out.append(digits, static_cast<size_t>(decpt));
      out.push_back('.');
      out.append(digits + decpt, static_cast<size_t>(nd - decpt));
    }
    return;
  }
  if (decpt <= 0 && decpt > -4) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out.append(digits, static_cast<size_t>(nd));
    return;
  }
  out.push_back(digits[0]);
  out.push_back('.');
  if (nd > 1) {
    out.append(digits + 1, static_cast<size_t>(nd - 1));
  } else {
    out.push_back('0');
  }
  out.push_back('e');
  int e = decpt - 1;
  out.push_back(e < 0 ? '-' : '+');
  if (e < 0) e = -e;
  if (e < 10) out.push_back('0');
  char eb[8];
  auto er = std::to_chars(eb, eb + sizeof eb, e);
  out.append(eb, er.ptr);
}

std::string inspect(std::string_view s) {
  std::string out;
  append_inspect(s, out);
  return out;
}

namespace {

void append_scalar_inspect(const Value& v, std::string& out) {
  switch (v.GetType()) {
    case rapidjson::kNullType: out += "nil"; return;
    case rapidjson::kFalseType: out += "false"; return;
    case rapidjson::kTrueType: out += "true"; return;
    case rapidjson::kStringType: append_inspect(as_view(v), out); return;
    case rapidjson::kNumberType:
      if (v.IsDouble()) {
        append_float(v.GetDouble(), out);
      } else {
        append_integer(v, out);
      }
      return;
    case rapidjson::kArrayType:
    case rapidjson::kObjectType:
      return;  // containers: see Inspector
  }
}

// #inspect of a whole tree, walked without recursion (event/walk.hpp).
class Inspector {
 public:
  Inspector(std::string& out, const InspectStyle& style) : out_(out), style_(style) {}
  WalkStep enter(const Value& v, const WalkPos& pos) {
    if (pos.index != 0) out_ += ", ";
    if (pos.key) {
      const std::string_view key = as_view(*pos.key);
      append_inspect(key, out_);
      out_ += style_.arrow;
      if (style_.bare_root_timestamp && pos.depth == 1 && key == "@timestamp" && v.IsString()) {
        out_.append(as_view(v));  // LogStash::Timestamp#inspect
        return WalkStep::Over;
      }
    }
    if (v.IsObject()) {
      out_ += '{';
      return WalkStep::Into;
    }
    if (v.IsArray()) {
      out_ += '[';
      return WalkStep::Into;
    }
    append_scalar_inspect(v, out_);
    return WalkStep::Over;
  }
  void leave(const Value& v, const WalkPos&) { out_ += v.IsObject() ? '}' : ']'; }

 private:
  std::string& out_;
  const InspectStyle& style_;
};

}  // namespace

void append_inspect(const Value& v, std::string& out, const InspectStyle& style) {
  Inspector i(out, style);
  walk(v, i);
}

void append_inspect(const Value& v, std::string& out) { append_inspect(v, out, InspectStyle{}); }

void append_to_s(const Value& v, std::string& out) {
  if (v.IsString()) {
    out.append(v.GetString(), v.GetStringLength());
  } else if (!v.IsNull()) {
    append_inspect(v, out);  // NilClass#to_s is ""; for the rest #to_s is #inspect
  }
}

}  // namespace sluice::ruby
