// The mutate filter (logstash-filter-mutate 3.6.0, Logstash >= 8.14 "strict" conversions).
//
// Operations run in Logstash's fixed order, whatever their order in the config: coerce, rename,
// update, replace, convert, gsub, uppercase, capitalize, lowercase, strip, split, join, merge, copy.
// The first error (a failed conversion, a set below a scalar, a bad dynamic regex, strip on a
// non-string list element) stops the sequence: earlier changes stay, the event gets
// `tag_on_failure`, a rate-limited warning is logged and the common decorations are skipped.
//
// Values follow Ruby's semantics where mutate relies on them: `to_s` of floats (`1.0e+20`),
// String#strip / #split / #upcase, Array#join, Integer()/Float()/BigDecimal() parsing.
// Regexes (gsub) are compiled once with PCRE2 + JIT in Ruby's dialect: `^`/`$` are line anchors,
// `.` does not match a newline, `\w` `\d` `\s` are ASCII, `(?m)` means dot-all, `\h` is a hex digit.
// The instance is immutable after construction except for the cache of dynamic gsub regexes
// (mutex-protected); it is shared by all workers.
#include "event/ruby_format.hpp"
#include "event/utf8.hpp"
#include "plugins/filters/warn_throttle.hpp"
#include "sluice/log.hpp"
#include "sluice/options.hpp"
#include "sluice/sprintf.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::plugins {
namespace {

constexpr const char* kComponent = "logstash.filters.mutate";

// ================================================================================================
// Ruby string helpers
// ================================================================================================

// Ruby's String#strip whitespace: NUL, \t, \n, \v, \f, \r and space (ASCII only).
bool ruby_strip_char(char c) { return c == '\0' || c == ' ' || (c >= '\t' && c <= '\r'); }
bool ruby_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view ruby_strip(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && ruby_strip_char(s[b])) ++b;
  while (e > b && ruby_strip_char(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// ================================================================================================
// Unicode case mapping (Ruby's String#upcase/#downcase/#capitalize: full mapping, no locale rules)
// ================================================================================================

// Unconditional multi-character mappings of Unicode's SpecialCasing.txt (the Greek iota-subscript
// forms are not included). Single-character mappings come from the C library's UTF-8 tables.
struct SpecialCase {
  char32_t cp;
  const char32_t* upper;
  const char32_t* title;
};
constexpr SpecialCase kSpecialCases[] = {
    {0x00DF, U"SS", U"Ss"},
    {0x0149, U"\u02BCN", U"\u02BCN"},
    {0x01F0, U"J\u030C", U"J\u030C"},
    {0x0390, U"\u0399\u0308\u0301", U"\u0399\u0308\u0301"},
    {0x03B0, U"\u03A5\u0308\u0301", U"\u03A5\u0308\u0301"},
    {0x0587, U"\u0535\u0552", U"\u0535\u0582"},
    {0x1E96, U"H\u0331", U"H\u0331"},
    {0x1E97, U"T\u0308", U"T\u0308"},
    {0x1E98, U"W\u030A", U"W\u030A"},
    {0x1E99, U"Y\u030A", U"Y\u030A"},
    {0x1E9A, U"A\u02BE", U"A\u02BE"},
    {0xFB00, U"FF", U"Ff"},
    {0xFB01, U"FI", U"Fi"},
    {0xFB02, U"FL", U"Fl"},
    {0xFB03, U"FFI", U"Ffi"},
    {0xFB04, U"FFL", U"Ffl"},
    {0xFB05, U"ST", U"St"},
    {0xFB06, U"ST", U"St"},
    {0xFB13, U"\u0544\u0546", U"\u0544\u0576"},
    {0xFB14, U"\u0544\u0535", U"\u0544\u0565"},
    {0xFB15, U"\u0544\u053B", U"\u0544\u056B"},
    {0xFB16, U"\u054E\u0546", U"\u054E\u0576"},
    {0xFB17, U"\u0544\u053D", U"\u0544\u056D"},
};

enum class CaseOp { Upper, Lower, Title };

struct CaseTables {
  locale_t loc = nullptr;
  wctrans_t title = nullptr;
  CaseTables() {
    loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (!loc) loc = newlocale(LC_CTYPE_MASK, "C.utf8", static_cast<locale_t>(nullptr));
    if (loc) title = wctrans_l("totitle", loc);
  }
};
const CaseTables& case_tables() {
  static const CaseTables t;
  return t;
}

void map_char(char32_t c, CaseOp op, std::string& out) {
  const CaseTables& t = case_tables();
  if (op == CaseOp::Lower) {
    if (c == 0x0130) { out += "i\u0307"; return; }  // İ -> i + combining dot above
    utf8::append(t.loc ? static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), t.loc)) : c, out);
    return;
  }
  if (c >= 0xDF) {
    for (const SpecialCase& sc : kSpecialCases) {
      if (sc.cp == c) {
        for (const char32_t* p = op == CaseOp::Upper ? sc.upper : sc.title; *p; ++p) utf8::append(*p, out);
        return;
      }
    }
  }
  char32_t m = c;
  if (t.loc) {
    m = op == CaseOp::Title && t.title ? static_cast<char32_t>(towctrans_l(static_cast<wint_t>(c), t.title, t.loc))
                                       : static_cast<char32_t>(towupper_l(static_cast<wint_t>(c), t.loc));
  }
  utf8::append(m, out);
}

// Upper/lower: every character; capitalize: title case for the first, lower case for the rest.
std::string change_case(std::string_view s, CaseOp op) {
  std::string out;
  out.reserve(s.size());
  bool ascii = true;
  for (char c : s) ascii &= static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      const bool up = op == CaseOp::Upper || (op == CaseOp::Title && i == 0);
      if (up && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (!up && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      out += c;
    }
    return out;
  }
  bool first = true;
  for (std::size_t i = 0; i < s.size();) {
    uint32_t cp;
    std::size_t n = utf8::decode(s, i, &cp);
    if (n == 0) {
      out += s[i++];
      first = false;
      continue;
    }
    map_char(cp, op == CaseOp::Title ? (first ? CaseOp::Title : CaseOp::Lower) : op, out);
    first = false;
    i += n;
  }
  return out;
}

// ================================================================================================
// Conversions (convert option)
// ================================================================================================

enum class ConvType { Integer, IntegerEu, Float, FloatEu, String, Boolean };

std::optional<ConvType> parse_conv_type(std::string_view s) {
  if (s == "integer") return ConvType::Integer;
  if (s == "integer_eu") return ConvType::IntegerEu;
  if (s == "float") return ConvType::Float;
  if (s == "float_eu") return ConvType::FloatEu;
  if (s == "string") return ConvType::String;
  if (s == "boolean") return ConvType::Boolean;
  return std::nullopt;
}

// The cleanup convert_integer / convert_float apply to strings: (EU: swap `,` and `.`), strip,
// delete `,`, downcase.
std::string clean_numeric(std::string_view raw, bool eu) {
  std::string s;
  s.reserve(raw.size());
  for (char c : ruby_strip(raw)) {
    if (eu && c == '.') c = ',';
    else if (eu && c == ',') c = '.';
    if (c == ',') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    s += c;
  }
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Scans decimal digits with Ruby's single underscores between digits; appends them to `out`.
bool scan_digits(std::string_view s, std::size_t& i, std::string& out) {
  const std::size_t start = i;
  while (i < s.size()) {
    if (is_digit(s[i])) {
      out += s[i++];
    } else if (s[i] == '_' && i > start && is_digit(s[i - 1]) && i + 1 < s.size() && is_digit(s[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
  return i > start;
}

struct Decimal {
  bool negative = false;
  std::string int_digits;
  std::string frac_digits;
  long exponent = 0;
};

// Ruby's BigDecimal(string) grammar (JRuby): sign, digits, optional `.digits` (JRuby also takes a
// bare trailing `.`), optional exponent `e`/`d`. `allow_trailing_dot` / `allow_leading_dot` select
// the Float() variant: `.5` is accepted by both, `5.` only by BigDecimal.
std::optional<Decimal> parse_decimal(std::string_view s, bool allow_trailing_dot) {
  Decimal d;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
  const bool has_int = scan_digits(s, i, d.int_digits);
  bool has_frac = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    has_frac = scan_digits(s, i, d.frac_digits);
    if (!has_frac && !(allow_trailing_dot && has_int)) return std::nullopt;
  }
  if (!has_int && !has_frac) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || (allow_trailing_dot && s[i] == 'd'))) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    std::string edigits;
    if (!scan_digits(s, i, edigits)) return std::nullopt;
    long e = 0;
    for (char c : edigits) e = std::min(e * 10 + (c - '0'), 100000L);
    d.exponent = eneg ? -e : e;
  }
  if (i != s.size()) return std::nullopt;
  return d;
}

// Sets `out` to an integer value (int64), or a double when it does not fit (Logstash: bignum).
void set_integer_result(const Decimal& d, Value& out) {
  // Integer part of digits * 10^exponent, truncated toward zero.
  std::string all = d.int_digits + d.frac_digits;
  long int_len = static_cast<long>(d.int_digits.size()) + d.exponent;
  std::string ip;
  if (int_len > 0) {
    if (int_len <= static_cast<long>(all.size())) {
      ip = all.substr(0, static_cast<std::size_t>(int_len));
    } else {
      ip = all;
      ip.append(static_cast<std::size_t>(std::min<long>(int_len - static_cast<long>(all.size()), 400)), '0');
    }
  }
  std::size_t nz = ip.find_first_not_of('0');
  ip = nz == std::string::npos ? std::string() : ip.substr(nz);
  if (ip.size() <= 18) {
    int64_t v = 0;
    for (char c : ip) v = v * 10 + (c - '0');
    out.SetInt64(d.negative ? -v : v);
    return;
  }
  __int128 v = 0;
  bool overflow = ip.size() > 20;
  for (char c : ip) {
    if (overflow) break;
    v = v * 10 + (c - '0');
  }
  if (!overflow) {
    if (d.negative) v = -v;
    if (v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max()) {
      out.SetInt64(static_cast<int64_t>(v));
      return;
    }
    if (v > 0 && v <= static_cast<__int128>(std::numeric_limits<uint64_t>::max())) {
      out.SetUint64(static_cast<uint64_t>(v));
      return;
    }
  }
  out.SetDouble((d.negative ? -1.0 : 1.0) * std::strtod(ip.c_str(), nullptr));
}

bool is_hex_prefixed(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  return s.size() >= i + 2 && s[i] == '0' && s[i + 1] == 'x';
}

// Ruby's Float() of a (cleaned, lower-case) hex string: `0x1a`, `-0x1.8p+1`.
std::optional<double> parse_hex_float(const std::string& s) {
  if (s.find('_') != std::string::npos) return std::nullopt;
  const char* begin = s.c_str();
  char* end = nullptr;
  double v = std::strtod(begin, &end);
  if (end != begin + s.size() || s.size() <= 2) return std::nullopt;
  return v;
}

bool double_to_integer(double x, Value& out, std::string& err) {
  if (!std::isfinite(x)) {
    err = std::string(std::isnan(x) ? "NaN" : "Infinity");
    return false;
  }
  const double t = std::trunc(x);
  if (t >= -9223372036854775808.0 && t < 9223372036854775808.0) {
    out.SetInt64(static_cast<int64_t>(t));
  } else {
    out.SetDouble(t);  // Logstash: a bignum
  }
  return true;
}

bool convert_integer(const Value& v, bool eu, Value& out, std::string& err) {
  if (v.IsBool()) { out.SetInt64(v.GetBool() ? 1 : 0); return true; }
  if (v.IsInt64()) { out.SetInt64(v.GetInt64()); return true; }
  if (v.IsUint64()) { out.SetUint64(v.GetUint64()); return true; }
  if (v.IsDouble()) return double_to_integer(v.GetDouble(), out, err);
  if (!v.IsString()) {
    err = "can't convert " + to_logstash_string(v) + " into Integer";
    return false;
  }
  const std::string s = clean_numeric(as_view(v), eu);
  if (is_hex_prefixed(s)) {
    auto f = parse_hex_float(s);
    if (!f) { err = "invalid value for Float(): \"" + s + "\""; return false; }
    if (s.find('.') != std::string::npos) return double_to_integer(*f, out, err);
    // Integer("0x1a"): hex digits only.
    std::size_t i = (s[0] == '+' || s[0] == '-') ? 3 : 2;
    if (i >= s.size()) { err = "invalid value for Integer(): \"" + s + "\""; return false; }
    unsigned __int128 acc = 0;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (d < 0) { err = "invalid value for Integer(): \"" + s + "\""; return false; }
      acc = acc * 16 + static_cast<unsigned>(d);
      if (acc > static_cast<unsigned __int128>(std::numeric_limits<uint64_t>::max())) return double_to_integer(*f, out, err);
    }
    const bool neg = s[0] == '-';
    if (!neg && acc > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max())) {
      out.SetUint64(static_cast<uint64_t>(acc));
    } else if (neg && acc > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + 1) {
      out.SetDouble(*f);
    } else {
      out.SetInt64(neg ? static_cast<int64_t>(-static_cast<__int128>(acc)) : static_cast<int64_t>(acc));
    }
    return true;
  }
  // BigDecimal(s).to_i
  auto d = parse_decimal(s, /*allow_trailing_dot=*/true);
  if (!d) {
    err = "invalid value for BigDecimal(): \"" + s + "\"";
    return false;
  }
  set_integer_result(*d, out);
  return true;
}

bool convert_float(const Value& v, bool eu, Value& out, std::string& err) {
  if (v.IsBool()) { out.SetDouble(v.GetBool() ? 1.0 : 0.0); return true; }
  if (v.IsDouble()) { out.SetDouble(v.GetDouble()); return true; }
  if (v.IsInt64()) { out.SetDouble(static_cast<double>(v.GetInt64())); return true; }
  if (v.IsUint64()) { out.SetDouble(static_cast<double>(v.GetUint64())); return true; }
  if (!v.IsString()) {
    err = "can't convert " + to_logstash_string(v) + " into Float";
    return false;
  }
  const std::string s = clean_numeric(as_view(v), eu);
  if (is_hex_prefixed(s)) {
    auto f = parse_hex_float(s);
    if (!f) { err = "invalid value for Float(): \"" + s + "\""; return false; }
    out.SetDouble(*f);
    return true;
  }
  auto d = parse_decimal(s, /*allow_trailing_dot=*/false);
  if (!d) {
    err = "invalid value for Float(): \"" + s + "\"";
    return false;
  }
  std::string text = d->negative ? "-" : "";
  text += d->int_digits.empty() ? "0" : d->int_digits;
  if (!d->frac_digits.empty()) text += "." + d->frac_digits;
  if (d->exponent != 0) text += "e" + std::to_string(d->exponent);
  out.SetDouble(std::strtod(text.c_str(), nullptr));  // overflow: +-Infinity, as Ruby
  return true;
}

// TRUE_REGEX = /^(true|t|yes|y|1|1.0)$/i, FALSE_REGEX = /^(false|f|no|n|0|0.0)$/i: line anchors
// (any line of the text may match) and an unescaped `.` (any character but a newline).
bool matches_bool_line(std::string_view s, bool truth) {
  auto ieq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      char c = a[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      if (c != b[i]) return false;
    }
    return true;
  };
  // `.` matches one character (not a byte): a UTF-8 sequence counts as one.
  auto one_dot_zero = [](std::string_view line, char lead) {
    if (line.size() < 3 || line.front() != lead || line.back() != '0') return false;
    std::string_view mid = line.substr(1, line.size() - 2);
    uint32_t cp;
    return utf8::decode(mid, 0, &cp) == mid.size() || mid.size() == 1;
  };
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t nl = s.find('\n', start);
    std::string_view line = s.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (truth) {
      if (ieq(line, "true") || ieq(line, "t") || ieq(line, "yes") || ieq(line, "y") || line == "1" ||
          one_dot_zero(line, '1'))
        return true;
    } else {
      if (ieq(line, "false") || ieq(line, "f") || ieq(line, "no") || ieq(line, "n") || line == "0" ||
          one_dot_zero(line, '0'))
        return true;
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return false;
}

// ================================================================================================
// Regexes (gsub)
// ================================================================================================

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
using CodePtr = std::unique_ptr<pcre2_code, CodeDeleter>;

// Rewrites the parts of Ruby's regex syntax that PCRE2 reads differently: the inline flag `m`
// (Ruby: dot matches newline) becomes `s`; `\h`/`\H` (Ruby: hex digit) become classes.
std::string ruby_to_pcre2(std::string_view re) {
  std::string out;
  out.reserve(re.size() + 8);
  int class_depth = 0;
  for (std::size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      const char n = re[i + 1];
      if (n == 'h') out += class_depth ? "0-9a-fA-F" : "[0-9a-fA-F]";
      else if (n == 'H') out += class_depth ? "\\x00-/:-@G-`g-\\x{10FFFF}" : "[^0-9a-fA-F]";
      else { out += c; out += n; }
      ++i;
      continue;
    }
    if (c == '[') {
      ++class_depth;
    } else if (c == ']' && class_depth > 0) {
      --class_depth;
    } else if (c == '(' && class_depth == 0 && i + 1 < re.size() && re[i + 1] == '?') {
      // `(?flags)` or `(?flags:`: letters and `-` up to `)` or `:`.
      std::size_t j = i + 2;
      while (j < re.size() && (re[j] == '-' || (re[j] >= 'a' && re[j] <= 'z'))) ++j;
      if (j > i + 2 && j < re.size() && (re[j] == ')' || re[j] == ':')) {
        out += "(?";
        for (std::size_t k = i + 2; k < j; ++k) out += re[k] == 'm' ? 's' : re[k];
        i = j - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

class Regex {
 public:
  // Throws std::runtime_error with PCRE2's message on a bad pattern.
  explicit Regex(std::string_view ruby_pattern) : source_(ruby_pattern) {
    const std::string pattern = ruby_to_pcre2(ruby_pattern);
    int errcode = 0;
    PCRE2_SIZE erroffset = 0;
    pcre2_compile_context* ctx = pcre2_compile_context_create(nullptr);
    pcre2_set_newline(ctx, PCRE2_NEWLINE_LF);
    code_.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_MULTILINE | PCRE2_MATCH_INVALID_UTF,
                              &errcode, &erroffset, ctx));
    pcre2_compile_context_free(ctx);
    if (!code_) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(errcode, buf, sizeof buf);
      throw std::runtime_error(std::string(reinterpret_cast<const char*>(buf)) + " at offset " +
                               std::to_string(erroffset) + " of /" + std::string(ruby_pattern) + "/");
    }
    pcre2_jit_compile(code_.get(), PCRE2_JIT_COMPLETE);  // falls back to the interpreter if unavailable
    uint32_t captures = 0;
    pcre2_pattern_info(code_.get(), PCRE2_INFO_CAPTURECOUNT, &captures);
    pairs_ = captures + 1;
  }
  const pcre2_code* code() const { return code_.get(); }
  uint32_t pairs() const { return pairs_; }
  const std::string& source() const { return source_; }

 private:
  CodePtr code_;
  uint32_t pairs_ = 1;
  std::string source_;
};

// Per-thread match data, grown to the largest capture count seen.
pcre2_match_data* match_data_for(const Regex& re) {
  struct Holder {
    pcre2_match_data* md = nullptr;
    uint32_t pairs = 0;
    ~Holder() { if (md) pcre2_match_data_free(md); }
  };
  thread_local Holder h;
  if (h.pairs < re.pairs() || !h.md) {
    if (h.md) pcre2_match_data_free(h.md);
    h.pairs = std::max<uint32_t>(re.pairs(), 16);
    h.md = pcre2_match_data_create(h.pairs, nullptr);
  }
  return h.md;
}

// A Ruby gsub replacement string, parsed: `\1`..`\9`, `\0`/`\&` (whole match), `\k<name>`,
// `` \` `` (pre-match), `\'` (post-match), `\\` (backslash); other escapes stay literal.
struct Replacement {
  enum class Kind { Literal, Group, Named, Pre, Post };
  struct Part {
    Kind kind;
    std::string text;  // Literal, Named
    uint32_t group = 0;
  };
  std::vector<Part> parts;

  static Replacement parse(std::string_view s) {
    Replacement r;
    std::string lit;
    auto flush = [&] {
      if (!lit.empty()) r.parts.push_back({Kind::Literal, std::move(lit), 0});
      lit.clear();
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\\' || i + 1 == s.size()) { lit += s[i]; continue; }
      const char n = s[i + 1];
      if (n >= '0' && n <= '9') { flush(); r.parts.push_back({Kind::Group, {}, static_cast<uint32_t>(n - '0')}); ++i; }
      else if (n == '&') { flush(); r.parts.push_back({Kind::Group, {}, 0}); ++i; }
      else if (n == '`') { flush(); r.parts.push_back({Kind::Pre, {}, 0}); ++i; }
      else if (n == '\'') { flush(); r.parts.push_back({Kind::Post, {}, 0}); ++i; }
      else if (n == '\\') { lit += '\\'; ++i; }
      else if (n == 'k' && i + 2 < s.size() && s[i + 2] == '<') {
        std::size_t close = s.find('>', i + 3);
        if (close == std::string_view::npos) { lit += s[i]; continue; }
        flush();
        r.parts.push_back({Kind::Named, std::string(s.substr(i + 3, close - i - 3)), 0});
        i = close;
      } else {
        lit += s[i];  // unknown escape: the backslash is kept, the next character follows
      }
    }
    flush();
    return r;
  }
  bool is_literal() const { return parts.empty() || (parts.size() == 1 && parts[0].kind == Kind::Literal); }
};

// Ruby's String#gsub(regex, replacement). Returns false with *err on a matching error.
bool ruby_gsub(const Regex& re, std::string_view subj, const Replacement& repl, std::string& out, std::string& err) {
  pcre2_match_data* md = match_data_for(re);
  const auto* s = reinterpret_cast<PCRE2_SPTR>(subj.data());
  std::size_t offset = 0, last = 0;
  while (offset <= subj.size()) {
    int rc = pcre2_match(re.code(), s, subj.size(), offset, 0, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(rc, buf, sizeof buf);
      err = reinterpret_cast<const char*>(buf);
      return false;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const uint32_t have = static_cast<uint32_t>(rc == 0 ? pcre2_get_ovector_count(md) : static_cast<uint32_t>(rc));
    const std::size_t ms = ov[0], me = ov[1];
    out.append(subj.substr(last, ms - last));
    for (const Replacement::Part& p : repl.parts) {
      switch (p.kind) {
        case Replacement::Kind::Literal: out += p.text; break;
        case Replacement::Kind::Pre: out.append(subj.substr(0, ms)); break;
        case Replacement::Kind::Post: out.append(subj.substr(me)); break;
        case Replacement::Kind::Group:
        case Replacement::Kind::Named: {
          uint32_t g = p.group;
          if (p.kind == Replacement::Kind::Named) {
            int n = pcre2_substring_number_from_name(re.code(), reinterpret_cast<PCRE2_SPTR>(p.text.c_str()));
            if (n < 0) {
              err = "undefined group name reference: " + p.text;
              return false;
            }
            g = static_cast<uint32_t>(n);
          }
          if (g < have && ov[2 * g] != PCRE2_UNSET) out.append(subj.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
          break;
        }
      }
    }
    last = me;
    if (ms == me) {
      // An empty match consumes one character, which is copied (Ruby's rb_str_gsub).
      if (me >= subj.size()) break;
      uint32_t cp;
      std::size_t n = utf8::decode(subj, me, &cp);
      if (n == 0) n = 1;
      out.append(subj.substr(me, n));
      last = offset = me + n;
    } else {
      offset = me;
    }
  }
  if (last < subj.size()) out.append(subj.substr(last));
  return true;
}

// ================================================================================================
// Config helpers
// ================================================================================================

FieldRef parse_ref(const std::string& text, const char* option) {
  std::string error;
  auto ref = FieldRef::parse(text, &error);
  if (!ref) throw PluginConfigError(option, std::string("Invalid field reference '") + text + "' in " + option + ": " + error);
  return std::move(*ref);
}

bool is_nil(const Value* v) { return !v || v->IsNull(); }

// ================================================================================================
// The filter
// ================================================================================================

struct FieldValue {
  FieldRef field;
  Template value;
};
struct RenameOp {
  Template from, to;
  std::optional<FieldRef> from_ref, to_ref;  // constant names, parsed once
};
struct ConvertOp {
  FieldRef field;
  ConvType type;
};
struct GsubOp {
  FieldRef field;
  std::shared_ptr<const Regex> regex;  // constant needle; null: `needle` is a template
  Template needle;
  Template replacement;
  std::optional<Replacement> parsed_replacement;  // constant replacement
  // Dynamic needles: compiled regexes by rendered text (bounded).
  mutable std::mutex cache_mu;
  mutable std::unordered_map<std::string, std::shared_ptr<const Regex>> cache;
};
struct SeparatorOp {
  FieldRef field;
  std::string separator;
};
struct MergeOp {
  FieldRef dest;
  std::vector<FieldRef> added;
};
struct CopyOp {
  FieldRef from, to;
};

constexpr std::size_t kDynamicRegexCacheSize = 256;

// The options as given (hashes as key/value pairs in order); the constructor compiles them into
// operations.
struct MutateConfig {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  Pairs coerce, rename, update, replace, convert;
  ConfigValue gsub;  // field, regex, replacement, ... (Null when unset)
  std::vector<FieldRef> uppercase, capitalize, lowercase, strip;
  Pairs split, join;
  std::vector<std::pair<std::string, ConfigValue>> merge;  // a value may be a list of fields
  Pairs copy;
  std::string tag_on_failure = "_mutate_error";
};

class MutateFilter final : public Filter {
 public:
  MutateFilter(const MutateConfig& c, const PluginConfig& cfg)
      : pipeline_id_(cfg.pipeline_id),
        tag_on_failure_(c.tag_on_failure),
        uppercase_(c.uppercase),
        capitalize_(c.capitalize),
        lowercase_(c.lowercase),
        strip_(c.strip) {
    for (const auto& [k, v] : c.coerce) coerce_.push_back({parse_ref(k, "coerce"), Template(v)});
    for (const auto& [k, v] : c.rename) {
      RenameOp op{Template(k), Template(v), std::nullopt, std::nullopt};
      if (op.from.is_constant()) op.from_ref = parse_ref(k, "rename");
      if (op.to.is_constant()) op.to_ref = parse_ref(op.to.text(), "rename");
      rename_.push_back(std::move(op));
    }
    for (const auto& [k, v] : c.update) update_.push_back({parse_ref(k, "update"), Template(v)});
    for (const auto& [k, v] : c.replace) replace_.push_back({parse_ref(k, "replace"), Template(v)});
    for (const auto& [k, type] : c.convert) {
      auto t = parse_conv_type(type);
      if (!t) {
        throw PluginConfigError("convert", "Invalid conversion type '" + type +
                                               "', expected one of 'string,integer,float,boolean,integer_eu,float_eu'");
      }
      convert_.push_back({parse_ref(k, "convert"), *t});
    }
    {
      const ConfigValue& g = c.gsub;
      std::vector<const ConfigValue*> items;
      if (g.kind == ConfigValue::Kind::Array) for (const ConfigValue& e : g.array) items.push_back(&e);
      else if (g.kind != ConfigValue::Kind::Null) items.push_back(&g);
      if (items.size() % 3 != 0 ||
          std::any_of(items.begin(), items.end(), [](const ConfigValue* e) { return e->kind == ConfigValue::Kind::Null; })) {
        const std::string given = g.kind == ConfigValue::Kind::Null ? std::string("[]") : g.to_display();
        throw PluginConfigError("gsub", "Invalid gsub configuration " + given +
                                            ". gsub requires 3 non-nil elements per config entry");
      }
      for (std::size_t i = 0; i < items.size(); i += 3) {
        auto op = std::make_unique<GsubOp>();
        op->field = parse_ref(items[i]->to_plain_string(), "gsub");
        const std::string needle = items[i + 1]->to_plain_string();
        op->needle = Template(needle);
        if (needle.find("%{") == std::string::npos) {
          try {
            op->regex = std::make_shared<const Regex>(needle);
          } catch (const std::runtime_error& ex) {
            throw PluginConfigError("gsub", std::string("Invalid regular expression in gsub: ") + ex.what());
          }
        }
        op->replacement = Template(items[i + 2]->to_plain_string());
        if (op->replacement.is_constant()) op->parsed_replacement = Replacement::parse(op->replacement.text());
        gsub_.push_back(std::move(op));
      }
    }
    for (const auto& [k, v] : c.split) split_.push_back({parse_ref(k, "split"), v});
    for (const auto& [k, v] : c.join) join_.push_back({parse_ref(k, "join"), v});
    for (const auto& [k, v] : c.merge) {
      MergeOp op{parse_ref(k, "merge"), {}};
      if (v.kind == ConfigValue::Kind::Array) {
        for (const ConfigValue& e : v.array) op.added.push_back(parse_ref(e.to_plain_string(), "merge"));
      } else {
        op.added.push_back(parse_ref(v.to_plain_string(), "merge"));
      }
      merge_.push_back(std::move(op));
    }
    for (const auto& [k, v] : c.copy) copy_.push_back({parse_ref(k, "copy"), parse_ref(v, "copy")});
  }

  FilterStatus filter(Event& e, Emitter&) override {
    std::string err;
    const bool ok = coerce(e, err) && rename(e, err) && update(e, err) && replace(e, err) && convert(e, err) &&
                    gsub(e, err) && change_case(e, uppercase_, CaseOp::Upper, err) &&
                    change_case(e, capitalize_, CaseOp::Title, err) && change_case(e, lowercase_, CaseOp::Lower, err) &&
                    strip(e, err) && split(e, err) && join(e, err) && merge(e, err) && copy(e, err);
    if (ok) return FilterStatus::Success;
    e.tag(tag_on_failure_);
    if (error_warn_.should_warn()) {
      error_warn_.emit(kComponent, "Exception caught while applying mutate filter {:exception=>\"" + err + "\"}",
                       pipeline_id_, id());
    }
    return FilterStatus::Failure;
  }

 private:
  static bool set(Event& e, const FieldRef& ref, Value&& v, std::string& err) {
    SetResult r = e.set(ref, std::move(v));
    if (r == SetResult::Ok) return true;
    err = std::string("Could not set field '") + ref.text() + "': " + to_string(r);
    return false;
  }
  static bool set_string(Event& e, const FieldRef& ref, std::string_view s, std::string& err) {
    return set(e, ref, make_string(s, e.allocator()), err);
  }

  bool coerce(Event& e, std::string& err) const {
    for (const FieldValue& op : coerce_) {
      const Value* v = e.get(op.field);
      if (!v || !v->IsNull()) continue;  // only a present, null field
      if (!set_string(e, op.field, op.value.render(e), err)) return false;
    }
    return true;
  }

  bool resolve(const Template& t, const std::optional<FieldRef>& cached, const Event& e, std::optional<FieldRef>& out,
               std::string& err) const {
    if (cached) { out = cached; return true; }
    const std::string text = t.render(e);
    std::string error;
    out = FieldRef::parse(text, &error);
    if (!out) err = "Invalid FieldReference: `" + text + "`";
    return out.has_value();
  }

  bool rename(Event& e, std::string& err) const {
    for (const RenameOp& op : rename_) {
      std::optional<FieldRef> from, to;
      if (!resolve(op.from, op.from_ref, e, from, err) || !resolve(op.to, op.to_ref, e, to, err)) return false;
      if (!e.includes(*from)) continue;
      Value v;
      (void)e.remove(*from, &v);
      // Removed first, as Logstash does: a failing set loses the value.
      if (!set(e, *to, std::move(v), err)) return false;
    }
    return true;
  }

  bool update(Event& e, std::string& err) const {
    for (const FieldValue& op : update_) {
      if (!e.includes(op.field)) continue;
      if (!set_string(e, op.field, op.value.render(e), err)) return false;
    }
    return true;
  }

  bool replace(Event& e, std::string& err) const {
    for (const FieldValue& op : replace_) {
      if (!set_string(e, op.field, op.value.render(e), err)) return false;
    }
    return true;
  }

  // One value through a converter; `out` is in the event's allocator. Boolean failures keep the
  // value (with a warning), others are errors.
  bool convert_one(Event& e, const Value& v, ConvType type, Value& out, std::string& err) {
    Allocator& a = e.allocator();
    switch (type) {
      case ConvType::Integer:
      case ConvType::IntegerEu:
        if (v.IsInt64() || v.IsUint64()) { out.CopyFrom(v, a); return true; }
        return convert_integer(v, type == ConvType::IntegerEu, out, err);
      case ConvType::Float:
      case ConvType::FloatEu:
        return convert_float(v, type == ConvType::FloatEu, out, err);
      case ConvType::String: {
        if (v.IsString()) { out.CopyFrom(v, a); return true; }
        std::string s;
        ruby::append_to_s(v, s);
        out = make_string(s, a);
        return true;
      }
      case ConvType::Boolean: {
        std::string s;
        ruby::append_to_s(v, s);
        if (matches_bool_line(s, true)) { out.SetBool(true); return true; }
        if (s.empty() || matches_bool_line(s, false)) { out.SetBool(false); return true; }
        if (bool_warn_.should_warn()) {
          bool_warn_.emit(kComponent, "Failed to convert " + truncate_for_log(s) + " into boolean.", pipeline_id_, id());
        }
        out = copy_value(v, a);  // may be a list element that is itself a container
        return true;
      }
    }
    return true;
  }

  bool convert(Event& e, std::string& err) {
    for (const ConvertOp& op : convert_) {
      const Value* v = e.get(op.field);
      if (!v || v->IsNull() || v->IsObject()) continue;  // missing, nil, hash: untouched
      Value result;
      if (v->IsArray()) {
        result.SetArray();
        result.Reserve(v->Size(), e.allocator());
        for (const Value& item : v->GetArray()) {
          Value c;
          if (!item.IsNull() && !convert_one(e, item, op.type, c, err)) return false;
          result.PushBack(c, e.allocator());
        }
      } else if (!convert_one(e, *v, op.type, result, err)) {
        return false;
      }
      if (!set(e, op.field, std::move(result), err)) return false;
    }
    return true;
  }

  std::shared_ptr<const Regex> dynamic_regex(const GsubOp& op, const std::string& pattern, std::string& err) const {
    std::lock_guard<std::mutex> lock(op.cache_mu);
    if (auto it = op.cache.find(pattern); it != op.cache.end()) return it->second;
    try {
      auto re = std::make_shared<const Regex>(pattern);
      if (op.cache.size() >= kDynamicRegexCacheSize) op.cache.clear();
      op.cache.emplace(pattern, re);
      return re;
    } catch (const std::runtime_error& ex) {
      err = ex.what();
      return nullptr;
    }
  }

  bool gsub(Event& e, std::string& err) const {
    for (const auto& opp : gsub_) {
      const GsubOp& op = *opp;
      const Value* v = e.get(op.field);
      if (!v || !(v->IsString() || v->IsArray())) continue;
      std::shared_ptr<const Regex> re = op.regex;
      if (!re) {
        re = dynamic_regex(op, op.needle.render(e), err);
        if (!re) return false;
      }
      std::optional<Replacement> dyn;
      if (!op.parsed_replacement) dyn = Replacement::parse(op.replacement.render(e));
      const Replacement& repl = op.parsed_replacement ? *op.parsed_replacement : *dyn;
      Allocator& a = e.allocator();
      std::string out;
      if (v->IsString()) {
        if (!ruby_gsub(*re, as_view(*v), repl, out, err)) return false;
        if (!set_string(e, op.field, out, err)) return false;
      } else {
        Value result(rapidjson::kArrayType);
        result.Reserve(v->Size(), a);
        for (const Value& item : v->GetArray()) {
          if (item.IsString()) {
            out.clear();
            if (!ruby_gsub(*re, as_view(item), repl, out, err)) return false;
            result.PushBack(make_string(out, a), a);
          } else {
            result.PushBack(copy_value(item, a), a);  // non-strings kept
          }
        }
        if (!set(e, op.field, std::move(result), err)) return false;
      }
    }
    return true;
  }

  static bool change_case(Event& e, const std::vector<FieldRef>& fields, CaseOp op, std::string& err) {
    for (const FieldRef& f : fields) {
      const Value* v = e.get(f);
      if (is_nil(v)) continue;  // the field is not created
      Allocator& a = e.allocator();
      if (v->IsString()) {
        if (!set_string(e, f, sluice::plugins::change_case(as_view(*v), op), err)) return false;
      } else if (v->IsArray()) {
        Value result(rapidjson::kArrayType);
        result.Reserve(v->Size(), a);
        for (const Value& item : v->GetArray()) {
          if (item.IsString()) result.PushBack(make_string(sluice::plugins::change_case(as_view(item), op), a), a);
          else result.PushBack(copy_value(item, a), a);
        }
        if (!set(e, f, std::move(result), err)) return false;
      }
    }
    return true;
  }

  bool strip(Event& e, std::string& err) const {
    for (const FieldRef& f : strip_) {
      const Value* v = e.get(f);
      if (!v) continue;
      Allocator& a = e.allocator();
      if (v->IsString()) {
        std::string_view s = as_view(*v);
        std::string_view t = ruby_strip(s);
        if (t.size() != s.size() && !set_string(e, f, t, err)) return false;
      } else if (v->IsArray()) {
        // `value.map(&:strip)`: a non-string element raises (NoMethodError).
        Value result(rapidjson::kArrayType);
        result.Reserve(v->Size(), a);
        for (const Value& item : v->GetArray()) {
          if (!item.IsString()) {
            err = "undefined method `strip' for " + std::string(item.IsNull() ? "nil" : to_logstash_string(item));
            return false;
          }
          result.PushBack(make_string(ruby_strip(as_view(item)), a), a);
        }
        if (!set(e, f, std::move(result), err)) return false;
      }
    }
    return true;
  }

  // Ruby's String#split with a literal separator: trailing empty strings dropped; `" "` splits on
  // runs of whitespace ignoring leading whitespace; `""` splits into characters.
  static void ruby_split(std::string_view s, std::string_view sep, std::vector<std::string_view>& parts) {
    if (sep == " ") {
      std::size_t i = 0;
      while (i < s.size()) {
        while (i < s.size() && (ruby_space(s[i]) || s[i] == '\0')) ++i;
        if (i >= s.size()) break;
        std::size_t j = i;
        while (j < s.size() && !ruby_space(s[j]) && s[j] != '\0') ++j;
        parts.push_back(s.substr(i, j - i));
        i = j;
      }
      return;
    }
    if (sep.empty()) {
      for (std::size_t i = 0; i < s.size();) {
        uint32_t cp;
        std::size_t n = utf8::decode(s, i, &cp);
        if (n == 0) n = 1;
        parts.push_back(s.substr(i, n));
        i += n;
      }
      return;
    }
    std::size_t start = 0;
    while (true) {
      std::size_t pos = s.find(sep, start);
      if (pos == std::string_view::npos) {
        parts.push_back(s.substr(start));
        break;
      }
      parts.push_back(s.substr(start, pos - start));
      start = pos + sep.size();
    }
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
  }

  bool split(Event& e, std::string& err) const {
    std::vector<std::string_view> parts;
    for (const SeparatorOp& op : split_) {
      const Value* v = e.get(op.field);
      if (!v || !v->IsString()) continue;
      parts.clear();
      // The views point into the field's current string, alive until the set below.
      ruby_split(as_view(*v), op.separator, parts);
      Allocator& a = e.allocator();
      Value result(rapidjson::kArrayType);
      result.Reserve(static_cast<rapidjson::SizeType>(parts.size()), a);
      for (std::string_view p : parts) result.PushBack(make_string(p, a), a);
      if (!set(e, op.field, std::move(result), err)) return false;
    }
    return true;
  }

  // Ruby's Array#join: nested arrays flattened with the same separator, nil as "". Nested arrays are
  // walked with an explicit stack (event data can nest to any depth).
  static void ruby_join(const Value& arr, std::string_view sep, std::string& out, bool& first) {
    struct Frame {
      const Value* list;
      rapidjson::SizeType next;
    };
    std::vector<Frame> stack{{&arr, 0}};
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.list->Size()) {
        stack.pop_back();
        continue;
      }
      const Value& item = (*f.list)[f.next++];
      if (item.IsArray()) {
        stack.push_back({&item, 0});  // `f` is not used after this
        continue;
      }
      if (!first) out.append(sep);
      first = false;
      ruby::append_to_s(item, out);
    }
  }

  bool join(Event& e, std::string& err) const {
    for (const SeparatorOp& op : join_) {
      const Value* v = e.get(op.field);
      if (!v || !v->IsArray()) continue;
      std::string out;
      bool first = true;
      ruby_join(*v, op.separator, out, first);
      if (!set_string(e, op.field, out, err)) return false;
    }
    return true;
  }

  // Ruby's Array(x) appended to `list`: nil -> nothing, array -> its elements, hash -> its
  // [key, value] pairs, scalar -> itself. Deep copies.
  static void append_as_array(const Value* x, Value& list, Allocator& a) {
    if (is_nil(x)) return;
    if (x->IsArray()) {
      for (const Value& item : x->GetArray()) list.PushBack(copy_value(item, a), a);
    } else if (x->IsObject()) {
      for (const auto& m : x->GetObject()) {
        Value pair(rapidjson::kArrayType);
        pair.PushBack(copy_value(m.name, a), a);
        pair.PushBack(copy_value(m.value, a), a);
        list.PushBack(pair, a);
      }
    } else {
      list.PushBack(copy_value(*x, a), a);
    }
  }

  bool merge(Event& e, std::string& err) const {
    Allocator& a = e.allocator();
    for (const MergeOp& op : merge_) {
      // `dest_field_value` is read once. An array or a hash is updated in place by concat/update
      // and carries over to the next added field; a scalar or nil does not (Array(x) is a new array).
      const Value* dv = e.get(op.dest);
      Value dest;
      if (dv) dest = copy_value(*dv, a);
      for (const FieldRef& added : op.added) {
        const Value* av = e.get(added);
        const bool av_hash = av && av->IsObject();
        if (dest.IsObject() != av_hash) {
          log::write(log::Level::Error, kComponent,
                     "Not possible to merge an array and a hash:  {:dest_field=>\"" + op.dest.text() +
                         "\", :added_field=>\"" + added.text() + "\"}",
                     pipeline_id_, id());
          continue;
        }
        if (dest.IsObject()) {
          for (const auto& m : av->GetObject()) {
            if (auto it = dest.FindMember(m.name); it != dest.MemberEnd()) it->value = copy_value(m.value, a);
            else dest.AddMember(copy_value(m.name, a), copy_value(m.value, a), a);
          }
          if (!set(e, op.dest, copy_value(dest, a), err)) return false;
        } else if (dest.IsArray()) {
          append_as_array(av, dest, a);
          if (!set(e, op.dest, copy_value(dest, a), err)) return false;
        } else {
          Value list(rapidjson::kArrayType);
          append_as_array(&dest, list, a);
          append_as_array(av, list, a);
          if (!set(e, op.dest, std::move(list), err)) return false;
        }
      }
    }
    return true;
  }

  bool copy(Event& e, std::string& err) const {
    for (const CopyOp& op : copy_) {
      const Value* v = e.get(op.from);
      if (is_nil(v)) continue;
      Value c(*v, e.allocator());  // deep copy
      if (!set(e, op.to, std::move(c), err)) return false;
    }
    return true;
  }

  std::string pipeline_id_;
  std::string tag_on_failure_;
  std::vector<FieldValue> coerce_;
  std::vector<RenameOp> rename_;
  std::vector<FieldValue> update_;
  std::vector<FieldValue> replace_;
  std::vector<ConvertOp> convert_;
  std::vector<std::unique_ptr<GsubOp>> gsub_;
  std::vector<FieldRef> uppercase_, capitalize_, lowercase_, strip_;
  std::vector<SeparatorOp> split_, join_;
  std::vector<MergeOp> merge_;
  std::vector<CopyOp> copy_;
  WarnThrottle error_warn_;
  WarnThrottle bool_warn_;
};

}  // namespace

void register_filter_mutate(Registry& r) {
  using C = MutateConfig;
  Options<C> o;
  o.add("coerce", OptionType::Hash, &C::coerce)
      .describe("Field => default: sets a default (sprintf'd, a string) when the field exists and is null.");
  o.add("rename", OptionType::Hash, &C::rename)
      .describe("Old => new field name (both sprintf'd). Missing fields are skipped; an existing destination "
                "is overwritten.");
  o.add("update", OptionType::Hash, &C::update)
      .describe("Field => value: replaces an existing field with the sprintf'd value; missing fields are "
                "skipped.");
  o.add("replace", OptionType::Hash, &C::replace)
      .describe("Field => value: sets the field to the sprintf'd value, creating it if needed.");
  o.add("convert", OptionType::Hash, &C::convert)
      .describe("Field => type (integer, integer_eu, float, float_eu, string, boolean). Arrays are converted "
                "element by element; hashes are left alone. An unparseable number tags the event.");
  o.add("gsub", OptionType::Array, &C::gsub)
      .describe("Triples of field, regex, replacement: replaces every match in a string (or in the strings "
                "of an array). Ruby regex syntax; `\\1`, `\\k<name>` in the replacement; `%{field}` is "
                "interpolated in both.");
  o.add("uppercase", OptionType::Array, &C::uppercase)
      .describe("Fields to convert to upper case (strings and arrays of strings).");
  o.add("capitalize", OptionType::Array, &C::capitalize)
      .describe("Fields to capitalize: first character in title case, the rest in lower case.");
  o.add("lowercase", OptionType::Array, &C::lowercase)
      .describe("Fields to convert to lower case (strings and arrays of strings).");
  o.add("strip", OptionType::Array, &C::strip).describe("Fields whose leading and trailing whitespace is removed.");
  o.add("split", OptionType::Hash, &C::split)
      .describe("Field => separator: splits a string into an array (a single space splits on runs of "
                "whitespace).");
  o.add("join", OptionType::Hash, &C::join).describe("Field => separator: joins an array into a string.");
  o.add("merge", OptionType::Hash, &C::merge)
      .describe("Destination => added field(s): appends arrays (scalars are wrapped) or merges hashes.");
  o.add("copy", OptionType::Hash, &C::copy)
      .describe("Source => destination: deep-copies a field, overwriting the destination.");
  o.add("tag_on_failure", OptionType::String, &C::tag_on_failure)
      .def_str("_mutate_error")
      .describe("Tag added when an operation fails; the remaining operations and the common decorations "
                "are then skipped.");
  add_plugin<MutateFilter>(
      r, PluginKind::Filter, "mutate",
      "General field mutations: rename, replace, convert, gsub, case changes, strip, split, join, merge, copy. "
      "Operations run in a fixed order (coerce, rename, update, replace, convert, gsub, uppercase, capitalize, "
      "lowercase, strip, split, join, merge, copy) whatever their order in the config.",
      std::move(o));
}

}  // namespace sluice::plugins
