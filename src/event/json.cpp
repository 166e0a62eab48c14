// JSON in and out of events.
//
// Output follows Logstash's Jackson mapper: compact, `@metadata` never included (it is not part of
// the data object), strings escaped as Jackson does (`\"`, `\\`, `\b \t \n \f \r`, other control
// characters as `\u00XX` with uppercase hex; all other bytes, UTF-8 included, pass through), floats
// as Java's Double.toString, NaN/Infinity as quoted strings (Jackson's default for non-finite
// doubles). Key order is insertion order (Logstash's own order is unspecified).
//
// Input builds the tree once, directly in the event's pool allocator (rapidjson::GenericDocument
// constructed over the event's allocator; the root value is then swapped into the event).
#include "event/json_internal.hpp"
#include "sluice/event.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sluice {

namespace {

// 0: no escape; 'u': \u00XX; other: the character after the backslash.
constexpr auto kEscape = [] {
  struct Table {
    char v[256];
  } t{};
  for (int c = 0; c < 0x20; ++c) t.v[c] = 'u';
  t.v['\b'] = 'b';
  t.v['\t'] = 't';
  t.v['\n'] = 'n';
  t.v['\f'] = 'f';
  t.v['\r'] = 'r';
  t.v['"'] = '"';
  t.v['\\'] = '\\';
  return t;
}();

// Appends to a std::string through a raw cursor: the string is grown in large steps and trimmed
// to the written length at the end, so each token costs a bounds check and a copy, not a
// std::string call.
class Sink {
 public:
  explicit Sink(std::string& s) : s_(s), pos_(s.size()) {}
  ~Sink() { s_.resize(pos_); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // Grows the string's size in bounded steps: resize() zero-fills what it adds, so doubling the
  // size of a long buffer (a whole output batch) for every event would clear it over and over.
  // std::string still grows its capacity geometrically, so reallocation stays amortised.
  char* reserve(size_t n) {
    if (pos_ + n > s_.size()) s_.resize(pos_ + std::max<size_t>(n + 256, 2048));
    return s_.data() + pos_;
  }
  void advance(size_t n) { pos_ += n; }
  void put(char c) {
    *reserve(1) = c;
    ++pos_;
  }
  void put(const char* p, size_t n) {
    std::memcpy(reserve(n), p, n);
    pos_ += n;
  }
  void put(std::string_view s) { put(s.data(), s.size()); }

 private:
  std::string& s_;
  size_t pos_;
};

// Index of the first byte that needs escaping (control characters, '"', '\\'), or n.
size_t find_escape(const unsigned char* s, size_t n) {
  size_t i = 0;
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control_max = _mm_set1_epi8(0x1F);
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // x <= 0x1F (unsigned) iff max(x, 0x1F) == 0x1F.
    const __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(x, control_max), control_max);
    const __m128i hit = _mm_or_si128(ctl, _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < n; ++i) {
    if (kEscape.v[s[i]] != 0) return i;
  }
  return n;
}

void put_string(Sink& o, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto* src = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  const size_t first = find_escape(src, n);
  if (first == n) {  // the common case: nothing to escape
    char* p = o.reserve(n + 2);
    p[0] = '"';
    std::memcpy(p + 1, src, n);
    p[n + 1] = '"';
    o.advance(n + 2);
    return;
  }
  size_t extra = 0;
  for (size_t i = first; i < n; ++i) {
    const char e = kEscape.v[src[i]];
    if (e != 0) extra += e == 'u' ? 5 : 1;
  }
  char* p = o.reserve(n + 2 + extra);
  *p++ = '"';
  std::memcpy(p, src, first);
  p += first;
  for (size_t i = first; i < n; ++i) {
    const unsigned char c = src[i];
    const char e = kEscape.v[c];
    if (e == 0) {
      *p++ = static_cast<char>(c);
    } else if (e == 'u') {
      p[0] = '\\';
      p[1] = 'u';
      p[2] = '0';
      p[3] = '0';
      p[4] = kHex[c >> 4];
      p[5] = kHex[c & 15];
      p += 6;
    } else {
      p[0] = '\\';
      p[1] = e;
      p += 2;
    }
  }
  *p = '"';
  o.advance(n + 2 + extra);
}

void put_number(Sink& o, const Value& v) {
  char* p = o.reserve(kJavaDoubleMax + 2);
  if (v.IsInt64()) {
    o.advance(static_cast<size_t>(std::to_chars(p, p + 24, v.GetInt64()).ptr - p));
  } else if (v.IsUint64()) {
    o.advance(static_cast<size_t>(std::to_chars(p, p + 24, v.GetUint64()).ptr - p));
  } else {
    const double d = v.GetDouble();
    if (std::isfinite(d)) {
      o.advance(format_java_double(d, p));
    } else {
      // Jackson writes non-finite doubles as strings.
      *p = '"';
      size_t n = format_java_double(d, p + 1);
      p[n + 1] = '"';
      o.advance(n + 2);
    }
  }
}

void put_value(Sink& o, const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      o.put("null", 4);
      return;
    case rapidjson::kFalseType:
      o.put("false", 5);
      return;
    case rapidjson::kTrueType:
      o.put("true", 4);
      return;
    case rapidjson::kStringType:
      put_string(o, as_view(v));
      return;
    case rapidjson::kNumberType:
      put_number(o, v);
      return;
    case rapidjson::kArrayType: {
      o.put('[');
      bool first = true;
      for (const auto& e : v.GetArray()) {
        if (!first) o.put(',');
        first = false;
        put_value(o, e);
      }
      o.put(']');
      return;
    }
    case rapidjson::kObjectType: {
      o.put('{');
      bool first = true;
      for (const auto& m : v.GetObject()) {
        if (!first) o.put(',');
        first = false;
        put_string(o, as_view(m.name));
        o.put(':');
        put_value(o, m.value);
      }
      o.put('}');
      return;
    }
  }
}

bool same_name(const Value& a, const Value& b) {
  return a.GetStringLength() == b.GetStringLength() &&
         std::memcmp(a.GetString(), b.GetString(), a.GetStringLength()) == 0;
}

// JSON objects with repeated keys: the last value wins, as in Logstash's map (Jackson puts each
// key in turn). RapidJSON keeps every member, so earlier duplicates are erased here.
void dedupe_members(Value& v) {
  if (v.IsArray()) {
    for (auto& e : v.GetArray()) {
      if (e.IsObject() || e.IsArray()) dedupe_members(e);
    }
    return;
  }
  if (!v.IsObject()) return;
  const rapidjson::SizeType n = v.MemberCount();
  for (auto& m : v.GetObject()) {
    if (m.value.IsObject() || m.value.IsArray()) dedupe_members(m.value);
  }
  if (n < 2) return;
  std::vector<rapidjson::SizeType> doomed;
  auto begin = v.MemberBegin();
  if (n <= 32) {
    for (rapidjson::SizeType i = 0; i + 1 < n; ++i) {
      for (rapidjson::SizeType j = i + 1; j < n; ++j) {
        if (same_name(begin[i].name, begin[j].name)) {
          doomed.push_back(i);
          break;
        }
      }
    }
  } else {
    std::unordered_set<std::string_view> seen;
    seen.reserve(n);
    for (rapidjson::SizeType i = n; i-- > 0;) {
      if (!seen.insert(as_view(begin[i].name)).second) doomed.push_back(i);
    }
    std::reverse(doomed.begin(), doomed.end());
  }
  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) v.EraseMember(v.MemberBegin() + *it);
}

rapidjson::CrtAllocator& shared_stack_allocator() {
  // CrtAllocator is stateless; one shared instance avoids a heap-allocated one per parse.
  static rapidjson::CrtAllocator a;
  return a;
}

}  // namespace

void append_json_string(std::string_view s, std::string& out) {
  Sink o(out);
  put_string(o, s);
}

void write_json(const Value& v, std::string& out) {
  Sink o(out);
  put_value(o, v);
}

bool parse_json_value(std::string_view json, Allocator& alloc, Value* out, std::string* error) {
  Document d(&alloc, 1024, &shared_stack_allocator());
  constexpr unsigned kFlags = rapidjson::kParseFullPrecisionFlag;
  if (std::memchr(json.data(), '\0', json.size()) == nullptr) {
    // RapidJSON's SIMD string scanning only applies to NUL-terminated input (StringStream), so the
    // text is copied once into a per-thread terminated buffer (cheap next to the parse itself).
    // RapidJSON's SSE scan uses aligned 16-byte loads that may read up to 15 bytes past the
    // terminator (never across a page); the spare capacity keeps those reads inside the buffer.
    thread_local std::string buffer;
    buffer.reserve(json.size() + 16);
    buffer.assign(json.data(), json.size());
    d.Parse<kFlags>(buffer.c_str());
  } else {
    // An embedded NUL: the length-bounded stream sees it (and reports it) instead of stopping.
    d.Parse<kFlags>(json.data(), json.size());
  }
  if (d.HasParseError()) {
    if (error) {
      *error = std::string("JSON parse error at offset ") + std::to_string(d.GetErrorOffset()) + ": " +
               rapidjson::GetParseError_En(d.GetParseError());
    }
    return false;
  }
  out->Swap(d);
  dedupe_members(*out);
  return true;
}

void Event::to_json(std::string& out) const { write_json(data_, out); }

std::string Event::to_json() const {
  std::string s;
  s.reserve(256);
  to_json(s);
  return s;
}

std::unique_ptr<Event> Event::from_json(std::string_view json, std::string* error) {
  std::unique_ptr<Event> e(new Event(NoInit{}));
  Value root;
  if (!parse_json_value(json, e->alloc_, &root, error)) return nullptr;
  if (!root.IsObject()) {
    if (error) *error = "JSON value is not an object";
    return nullptr;
  }
  e->absorb_object(std::move(root));
  return e;
}

}  // namespace sluice
