// JSON in and out of events.
//
// Output follows Logstash's Jackson mapper: compact, `@metadata` never included (it is not part of
// the data object), strings escaped as Jackson does (`\"`, `\\`, `\b \t \n \f \r`, other control
// characters as `\u00XX` with uppercase hex; all other bytes, UTF-8 included, pass through), floats
// as Java's Double.toString, NaN/Infinity as quoted strings (Jackson's default for non-finite
// doubles). Key order is insertion order (Logstash's own order is unspecified). The writer walks the
// tree with an explicit stack (event/walk.hpp): any depth is safe.
//
// Input: every JSON text that becomes event values goes through parse_json() below. RapidJSON's
// iterative reader (no recursion, whatever the nesting) drives a SAX handler (TreeBuilder) that
// builds the tree once, directly in the event's pool, stops at kMaxJsonDepth levels of nesting, and
// resolves repeated keys as Jackson does. Numbers are read as text (kParseNumbersAsStringsFlag) and
// converted here: RapidJSON 1.1.0's own conversion overflows a signed int on exponents such as
// `1.5e-2147483647`.
#include "event/json_internal.hpp"
#include "event/walk.hpp"
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
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

// RapidJSON 1.1 has no public way to build an object of exactly n members (MemberReserve came
// later; AddMember starts at 16). GenericValue's raw setters are private but every GenericDocument
// specialisation is a friend; this specialisation on a private tag exposes them, and does nothing
// else. RapidJSON's own Document builds containers the same way (members popped from a stack of
// key/value pairs, then copied bitwise into exact-size storage).
namespace sluice::json_detail {
struct RawSetterTag {};
}  // namespace sluice::json_detail

template <>
class rapidjson::GenericDocument<rapidjson::UTF8<>, sluice::Allocator, sluice::json_detail::RawSetterTag> {
 public:
  static void set_object(sluice::Value& v, sluice::Value::Member* members, rapidjson::SizeType n,
                         sluice::Allocator& a) {
    v.SetObjectRaw(members, n, a);
  }
  static void set_array(sluice::Value& v, sluice::Value* values, rapidjson::SizeType n, sluice::Allocator& a) {
    v.SetArrayRaw(values, n, a);
  }
};

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
    if (pos_ + n > s_.size()) [[unlikely]] grow(n);
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
  [[gnu::noinline]] void grow(size_t n) { s_.resize(pos_ + std::max<size_t>(n + 256, 2048)); }

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


// Compact JSON of a whole tree, walked without recursion (any depth).
class JsonWriter {
 public:
  explicit JsonWriter(Sink& o) : o_(o) {}
  [[gnu::always_inline]] WalkStep enter(const Value& v, const WalkPos& pos) {
    if (pos.index != 0) o_.put(',');
    if (pos.key) {
      put_string(o_, as_view(*pos.key));
      o_.put(':');
    }
    switch (v.GetType()) {
      case rapidjson::kObjectType:
        o_.put('{');
        return WalkStep::Into;
      case rapidjson::kArrayType:
        o_.put('[');
        return WalkStep::Into;
      case rapidjson::kStringType:
        put_string(o_, as_view(v));
        break;
      case rapidjson::kNumberType:
        put_number(o_, v);
        break;
      case rapidjson::kNullType:
        o_.put("null", 4);
        break;
      case rapidjson::kFalseType:
        o_.put("false", 5);
        break;
      case rapidjson::kTrueType:
        o_.put("true", 4);
        break;
    }
    return WalkStep::Over;
  }
  void leave(const Value& v, const WalkPos&) { o_.put(v.IsObject() ? '}' : ']'); }

 private:
  Sink& o_;
};

using RawSetter = rapidjson::GenericDocument<rapidjson::UTF8<>, Allocator, json_detail::RawSetterTag>;

// Above this many members, duplicate keys are found with a hash map instead of a linear scan.
constexpr rapidjson::SizeType kLinearDedupeLimit = 24;

// Builds a value tree in `a` from SAX events (RapidJSON's handler concept) or from direct calls.
// Scalars, keys and finished containers are pushed on `stack`; EndObject/EndArray move their
// children (bitwise, as RapidJSON's Document does; pool-allocated values have no destructor work)
// into an exact-size container. Nothing recurses. With `max_depth`, a container opened below that
// many levels stops the parse (the handler returns false; too_deep() tells why).
class TreeBuilder {
 public:
  TreeBuilder(Allocator& a, std::vector<Value>& stack, unsigned max_depth, bool dedupe)
      : a_(a), stack_(stack), max_depth_(max_depth), dedupe_(dedupe) {}

  bool Null() { return push(Value()); }
  bool Bool(bool b) { return push(Value(b)); }
  bool Int(int i) { return push(Value(i)); }
  bool Uint(unsigned u) { return push(Value(u)); }
  bool Int64(int64_t i) { return push(Value(i)); }
  bool Uint64(uint64_t u) { return push(Value(u)); }
  bool Double(double d) { return push(Value(d)); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return push(json_number(s, n)); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return push(Value(s, n, a_)); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return push(Value(s, n, a_)); }
  bool StartObject() { return open(); }
  bool StartArray() { return open(); }

  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    const std::size_t first = stack_.size() - n;
    Value arr;
    RawSetter::set_array(arr, n ? &stack_[first] : nullptr, n, a_);
    stack_.resize(first);
    return push(std::move(arr));
  }

  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    const std::size_t first = stack_.size() - 2 * static_cast<std::size_t>(n);
    const rapidjson::SizeType kept = dedupe_ && n > 1 ? dedupe(first, n) : n;
    Value obj;
    static_assert(sizeof(Value::Member) == 2 * sizeof(Value));
    RawSetter::set_object(obj, kept ? reinterpret_cast<Value::Member*>(&stack_[first]) : nullptr, kept, a_);
    stack_.resize(first);
    return push(std::move(obj));
  }

  bool push(Value&& v) {
    stack_.emplace_back(std::move(v));
    return true;
  }
  bool too_deep() const { return too_deep_; }

 private:
  bool open() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  static bool same_key(const Value& a, const Value& b) {
    return a.GetStringLength() == b.GetStringLength() &&
           std::memcmp(a.GetString(), b.GetString(), a.GetStringLength()) == 0;
  }

  // Duplicate keys (Jackson with duplicate detection off): the last value wins, at the position of
  // the first occurrence. Compacts the key/value pairs at `first` and returns how many remain.
  rapidjson::SizeType dedupe(std::size_t first, rapidjson::SizeType n) {
    const std::size_t end = first + 2 * static_cast<std::size_t>(n);
    std::size_t out = first;  // next free pair slot
    auto keep = [&](std::size_t i) {
      if (out != i) {
        stack_[out] = std::move(stack_[i]);
        stack_[out + 1] = std::move(stack_[i + 1]);
      }
      out += 2;
    };
    if (n <= kLinearDedupeLimit) {
      for (std::size_t i = first; i < end; i += 2) {
        std::size_t j = first;
        for (; j < out; j += 2) {
          if (same_key(stack_[j], stack_[i])) break;
        }
        if (j < out) {
          stack_[j + 1] = std::move(stack_[i + 1]);
        } else {
          keep(i);
        }
      }
    } else {
      // The views point at each kept key where it finally sits: short keys are stored inside the
      // Value itself (RapidJSON's short-string optimisation), so a view taken before keep() moves
      // the key would dangle. Kept pairs never move again.
      std::unordered_map<std::string_view, std::size_t> index;
      index.reserve(n);
      for (std::size_t i = first; i < end; i += 2) {
        if (auto found = index.find(as_view(stack_[i])); found != index.end()) {
          stack_[found->second + 1] = std::move(stack_[i + 1]);
        } else {
          const std::size_t at = out;
          keep(i);
          index.emplace(as_view(stack_[at]), at);
        }
      }
    }
    return static_cast<rapidjson::SizeType>((out - first) / 2);
  }

  Allocator& a_;
  std::vector<Value>& stack_;
  unsigned depth_ = 0;
  unsigned max_depth_;
  bool dedupe_;
  bool too_deep_ = false;
};

// Per-thread parse state, reused across parses. After a large input it is released, so that one
// huge document does not keep its scratch memory for the life of the thread.
struct ParseScratch {
  std::optional<rapidjson::Reader> reader;
  std::vector<Value> values;
  std::string text;  // a NUL-terminated copy of the input
};
constexpr std::size_t kScratchKeep = 1u << 20;

rapidjson::CrtAllocator& shared_stack_allocator() {
  // CrtAllocator is stateless; one shared instance avoids a heap-allocated one per reader.
  static rapidjson::CrtAllocator a;
  return a;
}

ParseScratch& parse_scratch() {
  thread_local ParseScratch s;
  if (!s.reader) s.reader.emplace(&shared_stack_allocator());
  return s;
}

void release_scratch(ParseScratch& s, std::size_t input_size) {
  s.values.clear();
  if (s.values.capacity() * sizeof(Value) > kScratchKeep) std::vector<Value>().swap(s.values);
  if (input_size > kScratchKeep) {
    s.reader.reset();  // its stack held a copy of the longest string or number
    std::string().swap(s.text);
  }
}

// Copies `text` into `buffer` with a NUL after it and spare room: RapidJSON's SSE whitespace scan
// (StringStream only) reads aligned 16-byte blocks, up to 15 bytes past the terminator.
const char* terminated_copy(std::string_view text, std::string& buffer) {
  buffer.reserve(text.size() + 16);
  buffer.assign(text.data(), text.size());
  return buffer.c_str();
}

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// RapidJSON 1.1.0 computes `exponent + fraction digits` in an int: a number with hundreds of
// millions of digits after the point overflows it before the parser can refuse the number. Such a
// number (beyond kMaxNumberLength characters) is found first, in texts long enough to hold one.
constexpr std::size_t kMaxNumberLength = 100'000'000;

std::size_t find_overlong_number(std::string_view text, std::size_t limit) {
  bool in_string = false;
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
      if (++run > limit) return i + 1 - run;
      continue;
    }
    run = 0;
    in_string = c == '"';
  }
  return std::string_view::npos;
}

}  // namespace

// ---- numbers -------------------------------------------------------------------------------------

Value json_number(const char* s, std::size_t n) {
  const char* end = s + n;
  bool integer = true;
  for (const char* p = s; p < end; ++p) {
    if (*p == '.' || *p == 'e' || *p == 'E') {
      integer = false;
      break;
    }
  }
  if (integer) {
    // Integers stay exact in 64 bits (signed when negative), as RapidJSON stores them; larger ones
    // become doubles.
    if (*s == '-') {
      int64_t i = 0;
      auto r = std::from_chars(s, end, i);
      if (r.ec == std::errc() && r.ptr == end) return Value(i);
    } else {
      uint64_t u = 0;
      auto r = std::from_chars(s, end, u);
      if (r.ec == std::errc() && r.ptr == end) return Value(u);
    }
  }
  double d = 0;
  auto r = std::from_chars(s, end, d);  // correctly rounded, like RapidJSON's full-precision mode
  if (r.ec == std::errc::result_out_of_range) {
    // Beyond the double range: infinity if the magnitude is at least 1, else zero (RapidJSON's
    // results for the exponents its parser accepts).
    const bool negative = *s == '-';
    const char* p = s + (negative ? 1 : 0);
    long long int_digits = 0;  // digits before the point, from the first non-zero one
    long long lead_zeros = 0;  // zeros after the point before the first non-zero digit
    bool seen = false;
    bool fraction = false;
    for (; p < end && *p != 'e' && *p != 'E'; ++p) {
      if (*p == '.') {
        fraction = true;
      } else if (!fraction) {
        if (seen || *p != '0') {
          seen = true;
          ++int_digits;
        }
      } else if (!seen) {
        if (*p == '0') {
          ++lead_zeros;
        } else {
          seen = true;
        }
      }
    }
    // The decimal exponent of the first significant digit: 2 for 123.4, -3 for 0.00123.
    const long long magnitude = int_digits > 0 ? int_digits - 1 : -(lead_zeros + 1);
    long long exponent = 0;
    if (p < end) {
      ++p;
      const bool exp_negative = *p == '-';
      if (*p == '-' || *p == '+') ++p;
      for (; p < end && exponent < 1'000'000'000; ++p) exponent = exponent * 10 + (*p - '0');
      if (exp_negative) exponent = -exponent;
    }
    d = magnitude + exponent >= 0 ? std::numeric_limits<double>::infinity() : 0.0;
    if (negative) d = -d;
  }
  return Value(d);
}

// ---- errors --------------------------------------------------------------------------------------

std::string JsonError::reason() const {
  if (depth_limit != 0) return "JSON nested deeper than " + std::to_string(depth_limit) + " levels";
  if (detail != nullptr) return detail;
  return rapidjson::GetParseError_En(code);
}

std::string JsonError::message() const { return reason() + " at offset " + std::to_string(offset); }

// ---- parsing -------------------------------------------------------------------------------------

namespace {

constexpr unsigned kBaseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

void set_error(JsonError* error, rapidjson::ParseErrorCode code, std::size_t offset, const TreeBuilder& b,
               unsigned max_depth) {
  if (!error) return;
  *error = JsonError{};
  error->code = code;
  error->offset = offset;
  // The reader reports the offset of the bracket that opened one level too many.
  if (b.too_deep()) error->depth_limit = max_depth;
}

// One document (RapidJSON's Document::Parse rules), with or without text after it.
template <unsigned kFlags>
bool parse_document(std::string_view text, Allocator& alloc, Value* out, unsigned max_depth, ParseScratch& s,
                    JsonError* error) {
  TreeBuilder builder(alloc, s.values, max_depth, true);
  rapidjson::ParseResult r;
  if (std::memchr(text.data(), '\0', text.size()) == nullptr) {
    rapidjson::StringStream ss(terminated_copy(text, s.text));
    r = s.reader->Parse<kFlags>(ss, builder);
  } else {
    // An embedded NUL: RapidJSON's streams see it as the end of the text, as Document::Parse does.
    rapidjson::MemoryStream ms(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
    r = s.reader->Parse<kFlags>(is, builder);
  }
  if (r.IsError()) {
    set_error(error, r.Code(), r.Offset(), builder, max_depth);
    return false;
  }
  *out = std::move(s.values.back());
  return true;
}

// Logstash's json filter: Jackson's rules over RapidJSON's reader (see JsonSyntax::Jackson).
bool parse_jackson(std::string_view text, Allocator& alloc, Value* out, unsigned max_depth, ParseScratch& s,
                   JsonError* error) {
  constexpr unsigned kFlags = kBaseFlags | rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseValidateEncodingFlag;
  const char* base = terminated_copy(text, s.text);
  std::size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size() && is_json_space(text[pos])) ++pos;
  };
  skip_space();
  out->SetNull();  // empty or blank text: nil, not an error
  while (pos < text.size()) {
    rapidjson::StringStream ss(base + pos);
    TreeBuilder builder(alloc, s.values, max_depth, true);
    const rapidjson::ParseResult r = s.reader->Parse<kFlags>(ss, builder);
    if (r.IsError()) {
      set_error(error, r.Code(), pos + r.Offset(), builder, max_depth);
      return false;
    }
    if (s.values.size() != 1) {
      set_error(error, rapidjson::kParseErrorTermination, pos + ss.Tell(), builder, max_depth);
      if (error) error->detail = "Unexpected end of input";
      return false;
    }
    *out = std::move(s.values.back());
    s.values.clear();
    const std::size_t end = pos + ss.Tell();
    // A root number or literal must be followed by whitespace or the end (`01`, `1x`, `truex` are
    // errors in Jackson); a root object, array or string may be followed directly by another root.
    if (!(out->IsObject() || out->IsArray() || out->IsString()) && end < text.size() && !is_json_space(text[end])) {
      set_error(error, rapidjson::kParseErrorTermination, end, builder, max_depth);
      if (error) error->detail = "Unexpected character after a root value";
      return false;
    }
    pos = end;
    skip_space();
  }
  return true;
}

}  // namespace

bool parse_json(std::string_view text, Allocator& alloc, Value* out, JsonSyntax syntax, JsonError* error,
                unsigned max_depth) {
  if (text.size() > kMaxNumberLength) {
    const std::size_t at = find_overlong_number(text, kMaxNumberLength);
    if (at != std::string_view::npos) {
      if (error) {
        *error = JsonError{};
        error->code = rapidjson::kParseErrorNumberTooBig;
        error->offset = at;
      }
      return false;
    }
  }
  ParseScratch& s = parse_scratch();
  bool ok = false;
  switch (syntax) {
    case JsonSyntax::Document:
      ok = parse_document<kBaseFlags>(text, alloc, out, max_depth, s, error);
      break;
    case JsonSyntax::DocumentPrefix:
      ok = parse_document<kBaseFlags | rapidjson::kParseStopWhenDoneFlag>(text, alloc, out, max_depth, s, error);
      break;
    case JsonSyntax::Jackson:
      ok = parse_jackson(text, alloc, out, max_depth, s, error);
      break;
  }
  release_scratch(s, text.size());
  return ok;
}

std::size_t json_parse_scratch_bytes() {
  const ParseScratch& s = parse_scratch();
  return s.text.capacity() + s.values.capacity() * sizeof(Value);
}

bool parse_json_value(std::string_view json, Allocator& alloc, Value* out, std::string* error) {
  JsonError e;
  if (parse_json(json, alloc, out, JsonSyntax::Document, &e)) return true;
  if (error) {
    *error = e.too_deep() ? e.message()
                          : "JSON parse error at offset " + std::to_string(e.offset) + ": " + e.reason();
  }
  return false;
}

bool parse_json_document(std::string_view text, Document& doc, JsonError* error, unsigned max_depth) {
  Value root;
  doc.SetNull();
  if (!parse_json(text, doc.GetAllocator(), &root, JsonSyntax::Document, error, max_depth)) return false;
  static_cast<Value&>(doc) = std::move(root);
  return true;
}

// ---- copies --------------------------------------------------------------------------------------

namespace {

// Feeds a tree to a TreeBuilder in another allocator: strings are always copied (RapidJSON's copy
// constructor would share "const" string references, which may point into another event's pool).
class Copier {
 public:
  Copier(TreeBuilder& b, Allocator& a) : b_(b), a_(a) {}
  WalkStep enter(const Value& v, const WalkPos& pos) {
    if (pos.key) b_.push(Value(pos.key->GetString(), pos.key->GetStringLength(), a_));
    if (v.IsObject()) {
      b_.StartObject();
      return WalkStep::Into;
    }
    if (v.IsArray()) {
      b_.StartArray();
      return WalkStep::Into;
    }
    if (v.IsString()) {
      b_.push(Value(v.GetString(), v.GetStringLength(), a_));
    } else {
      Value c;
      c.CopyFrom(v, a_);  // null, booleans, numbers: the bits, no allocation
      b_.push(std::move(c));
    }
    return WalkStep::Over;
  }
  void leave(const Value& v, const WalkPos&) {
    if (v.IsObject()) {
      b_.EndObject(v.MemberCount());
    } else {
      b_.EndArray(v.Size());
    }
  }

 private:
  TreeBuilder& b_;
  Allocator& a_;
};

}  // namespace

Value copy_value(const Value& v, Allocator& a) {
  thread_local std::vector<Value> stack;
  // Copies may nest (not today, but cheaply guarded): an inner copy uses its own stack.
  thread_local bool busy = false;
  std::vector<Value> local;
  std::vector<Value>& st = busy ? local : stack;
  const bool outer = !busy;
  busy = true;
  TreeBuilder b(a, st, std::numeric_limits<unsigned>::max(), false);
  Copier c(b, a);
  walk(v, c);
  Value out = std::move(st.back());
  st.clear();
  if (st.capacity() * sizeof(Value) > kScratchKeep) std::vector<Value>().swap(st);
  if (outer) busy = false;
  return out;
}

// ---- output --------------------------------------------------------------------------------------

void append_json_string(std::string_view s, std::string& out) {
  Sink o(out);
  put_string(o, s);
}

void write_json(const Value& v, std::string& out) {
  Sink o(out);
  JsonWriter w(o);
  walk(v, w);
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
