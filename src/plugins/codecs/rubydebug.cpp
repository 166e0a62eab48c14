// The rubydebug codec (logstash-codec-rubydebug 3.1.0): encode only. Each event prints as its hash
// laid out by amazing_print 1.x, followed by "\n":
//
//   {
//       "@timestamp" => 2024-01-15T10:30:00.000Z,
//         "@version" => "1",
//          "message" => "hello",
//             "tags" => [
//           [0] "a"
//       ]
//   }
//
// Keys are right-aligned per map (to the longest key plus the current indentation, which starts at
// 4 and grows by 4 per nesting level); array items carry right-aligned indices; strings are Ruby
// inspect literals; @timestamp prints bare (it is a LogStash::Timestamp in Logstash). No colours:
// Logstash colours only when stdout is a TTY, and what users compare against (`docker logs`, files,
// pipes) is the plain form.
#include "plugins/codecs/codec_support.hpp"
#include "plugins/codecs/rubydebug_format.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

namespace sluice::codecs {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

void append_spaces(std::string& out, size_t n) { out.append(n, ' '); }

void append_u4(std::string& out, uint32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 0xF]);
}

// Decodes one well-formed UTF-8 sequence at s[i]; returns its length (0 if ill-formed).
size_t decode_utf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t c;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    c = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    c = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (len == 4 && (c < 0x10000 || c > 0x10FFFF))) {
    return 0;
  }
  *cp = c;
  return len;
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

// Number of characters (code points) in valid UTF-8 text.
size_t char_count(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
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

// Java HashMap iteration order of `n` keys with the given hashes: by bucket of the table a HashMap
// reaches after n insertions (16 buckets, doubled above 75 % load), then by insertion order.
void hashmap_order(const std::vector<int32_t>& hashes, std::vector<uint32_t>& order) {
  size_t cap = 16;
  while (hashes.size() > cap * 3 / 4) cap *= 2;
  order.resize(hashes.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  auto bucket = [&](uint32_t i) {
    auto h = static_cast<uint32_t>(hashes[i]);
    h ^= h >> 16;
    return h & (cap - 1);
  };
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return bucket(a) < bucket(b); });
}

class Printer {
 public:
  Printer(std::string& out, bool hash_order) : out_(out), hash_order_(hash_order) {}

  void event(const Event& e, bool with_metadata) {
    const Value& data = e.data();
    struct Entry {
      std::string_view key;
      const Value* value;
      bool is_data;
    };
    std::vector<Entry> entries;
    entries.reserve(data.MemberCount() + 1);
    for (auto it = data.MemberBegin(); it != data.MemberEnd(); ++it) {
      entries.push_back({as_view(it->name), &it->value, true});
    }
    if (with_metadata && e.metadata().IsObject() && e.metadata().MemberCount() > 0) {
      entries.push_back({"@metadata", &e.metadata(), false});
    }
    if (hash_order_) reorder(entries);
    if (entries.empty()) {
      out_ += "{}";
      return;
    }
    members(entries, 4, [&](const Entry& en) {
      if (en.is_data && en.key == "@timestamp" && en.value->IsString()) {
        out_.append(as_view(*en.value));  // a LogStash::Timestamp: its inspect is the bare ISO form
      } else {
        value(*en.value, 8, en.is_data && hash_order_);
      }
    });
  }

  void top_value(const Value& v) { value(v, 4, false); }

 private:
  template <class Entries>
  void reorder(Entries& entries) {
    std::vector<int32_t> hashes;
    hashes.reserve(entries.size());
    for (const auto& en : entries) hashes.push_back(java_string_hash(en.key));
    std::vector<uint32_t> order;
    hashmap_order(hashes, order);
    Entries sorted;
    sorted.reserve(entries.size());
    for (uint32_t i : order) sorted.push_back(entries[i]);
    entries.swap(sorted);
  }

  // Writes "{\n" + aligned "key => value" lines + "\n" + closing brace; `print_value` writes one
  // entry's value.
  template <class Entries, class F>
  void members(const Entries& entries, size_t ind, F&& print_value) {
    // First pass: the inspected keys' widths.
    std::vector<size_t> widths;
    widths.reserve(entries.size());
    size_t maxw = 0;
    std::string scratch;
    for (const auto& en : entries) {
      scratch.clear();
      append_ruby_inspect(en.key, scratch);
      size_t w = char_count(scratch);
      widths.push_back(w);
      maxw = std::max(maxw, w);
    }
    out_ += "{\n";
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) out_ += ",\n";
      append_spaces(out_, maxw + ind - widths[i]);
      append_ruby_inspect(entries[i].key, out_);
      out_ += " => ";
      print_value(entries[i]);
    }
    out_.push_back('\n');
    append_spaces(out_, ind - 4);
    out_.push_back('}');
  }

  void value(const Value& v, size_t ind, bool hash_order) {
    switch (v.GetType()) {
      case rapidjson::kNullType: out_ += "nil"; return;
      case rapidjson::kFalseType: out_ += "false"; return;
      case rapidjson::kTrueType: out_ += "true"; return;
      case rapidjson::kStringType: append_ruby_inspect(as_view(v), out_); return;
      case rapidjson::kNumberType:
        if (v.IsDouble()) {
          append_ruby_float(v.GetDouble(), out_);
        } else {
          append_integer(v, out_);
        }
        return;
      case rapidjson::kObjectType: object(v, ind, hash_order); return;
      case rapidjson::kArrayType: array(v, ind, hash_order); return;
    }
  }

  void object(const Value& v, size_t ind, bool hash_order) {
    if (v.MemberCount() == 0) {
      out_ += "{}";
      return;
    }
    struct Entry {
      std::string_view key;
      const Value* value;
    };
    std::vector<Entry> entries;
    entries.reserve(v.MemberCount());
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) entries.push_back({as_view(it->name), &it->value});
    if (hash_order) reorder(entries);
    members(entries, ind, [&](const Entry& en) { value(*en.value, ind + 4, hash_order); });
  }

  void array(const Value& v, size_t ind, bool hash_order) {
    const rapidjson::SizeType n = v.Size();
    if (n == 0) {
      out_ += "[]";
      return;
    }
    char last[16];
    const int w = static_cast<int>(std::to_chars(last, last + sizeof last, n - 1).ptr - last);
    out_ += "[\n";
    for (rapidjson::SizeType i = 0; i < n; ++i) {
      if (i) out_ += ",\n";
      append_spaces(out_, ind);
      out_.push_back('[');
      char idx[16];
      const int iw = static_cast<int>(std::to_chars(idx, idx + sizeof idx, i).ptr - idx);
      append_spaces(out_, static_cast<size_t>(w - iw));
      out_.append(idx, static_cast<size_t>(iw));
      out_ += "] ";
      value(v[i], ind + 4, hash_order);
    }
    out_.push_back('\n');
    append_spaces(out_, ind - 4);
    out_.push_back(']');
  }

  std::string& out_;
  bool hash_order_;
};

}  // namespace

void append_ruby_inspect(std::string_view s, std::string& out) {
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
    const size_t len = decode_utf8(s, i, &cp);
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

void append_ruby_float(double d, std::string& out) {
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
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  char digits[24];
  int nd = 0;
  const char* p = buf;
  for (; p < r.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[nd++] = *p;
  }
  int exp10 = 0;
  std::from_chars(p + 1 + (p + 1 < r.ptr && p[1] == '+' ? 1 : 0), r.ptr, exp10);
  while (nd > 1 && digits[nd - 1] == '0') --nd;
  const int decpt = exp10 + 1;
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

int32_t java_string_hash(std::string_view s) {
  uint32_t h = 0;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = static_cast<unsigned char>(s[i]) < 0x80 ? 1 : decode_utf8(s, i, &cp);
    if (len == 1 && static_cast<unsigned char>(s[i]) < 0x80) {
      cp = static_cast<unsigned char>(s[i]);
    } else if (len == 0) {
      cp = 0xFFFD;  // Java decodes malformed input as U+FFFD
      len = 1;
    }
    if (cp >= 0x10000) {
      const uint32_t v = cp - 0x10000;
      h = 31 * h + (0xD800 + (v >> 10));
      h = 31 * h + (0xDC00 + (v & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

void append_rubydebug(const Event& e, bool metadata, std::string& out) {
  Printer(out, metadata).event(e, metadata);
  out.push_back('\n');
}

void append_ai_value(const Value& v, std::string& out) { Printer(out, false).top_value(v); }

namespace {

class RubydebugCodec final : public Codec {
 public:
  explicit RubydebugCodec(bool metadata) : metadata_(metadata) {}
  void decode(std::string_view, const Sink&) override {
    // Logstash raises "Not implemented": the data is lost, say so.
    warn_.warn("logstash.codecs.rubydebug", "The rubydebug codec cannot decode; input data is discarded", id());
  }
  void encode(const Event& e, std::string& out) override { append_rubydebug(e, metadata_, out); }

 private:
  bool metadata_;
  log::RateLimited warn_;
};

}  // namespace
}  // namespace sluice::codecs

namespace sluice::plugins {

void register_codec_rubydebug(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Codec;
  s.name = "rubydebug";
  s.description =
      "Prints events as Ruby hashes laid out by amazing_print, as Logstash's rubydebug codec does. Encode "
      "only.";
  s.options = {
      opt("metadata", OptionType::Boolean)
          .def_bool(false)
          .describe("Also print the event's @metadata (as a top-level \"@metadata\" key, when not empty)."),
  };
  r.add(std::move(s), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    return std::make_unique<codecs::RubydebugCodec>(cfg.boolean("metadata"));
  });
}

}  // namespace sluice::plugins
