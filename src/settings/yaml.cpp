#include "settings/yaml.hpp"

#include <cstddef>
#include <limits>

namespace sluice::yaml {

const Node* Node::find(std::string_view key) const {
  for (const MapEntry& e : entries) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

const char* Node::kind_name() const {
  switch (kind) {
    case Kind::Null:
      return "null";
    case Kind::Scalar:
      return "scalar";
    case Kind::Sequence:
      return "sequence";
    case Kind::Mapping:
      return "mapping";
  }
  return "node";
}

std::string ParseError::describe() const {
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

// ---- scalar typing --------------------------------------------------------------------------------

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

// ---- the reader -----------------------------------------------------------------------------------

namespace {

struct Failure {
  int line;  // 0-based
  int column;
  std::string message;
};

bool is_ws(char c) {
  return c == ' ' || c == '\t';
}
bool is_flow_indicator(char c) {
  return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the UTF-8 sequence at s[i], or 0 if it is not valid UTF-8.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;  // overlong
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

class Reader {
 public:
  explicit Reader(std::string_view text) {
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) {
        if (start < text.size()) lines_.push_back(text.substr(start));
        final_newline_ = start == text.size();
        break;
      }
      std::string_view l = text.substr(start, nl - start);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      lines_.push_back(l);
      start = nl + 1;
    }
  }

  Node read_document(bool* has_document) {
    check_characters();
    *has_document = false;
    // Directives (%YAML, %TAG) may precede the first `---`.
    for (;;) {
      skip_blank_lines();
      if (eof()) return Node{};
      if (!lines_[li_].empty() && lines_[li_][0] == '%') {
        next_line();
        continue;
      }
      break;
    }
    *has_document = true;
    Node root;
    if (doc_marker(li_, '.')) return Node{};
    if (doc_marker(li_, '-')) {
      ci_ = 3;
      root = parse_node(-1, Ctx::AfterMarker);
    } else {
      int n = indent_of(li_);
      ci_ = static_cast<std::size_t>(n);
      root = parse_node(-1, Ctx::Document);
    }
    skip_blank_lines();
    if (!eof() && !doc_marker(li_, '-') && !doc_marker(li_, '.')) {
      int n = indent_of(li_);
      fail(li_, static_cast<std::size_t>(n),
           "content after the end of the top-level node (check the indentation of this line)");
    }
    return root;
  }

 private:
  enum class Ctx { Document, AfterMarker, MapValue, SeqEntry };

  std::vector<std::string_view> lines_;
  bool final_newline_ = true;
  std::size_t li_ = 0;  // current line
  std::size_t ci_ = 0;  // current byte within the line
  int depth_ = 0;

  [[noreturn]] void fail(std::size_t line, std::size_t col, std::string message) const {
    throw Failure{static_cast<int>(line), static_cast<int>(col), std::move(message)};
  }

  struct DepthGuard {
    Reader* r;
    DepthGuard(Reader* reader, std::size_t line, std::size_t col) : r(reader) {
      if (++r->depth_ > kMaxDepth) {
        r->fail(line, col, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      }
    }
    ~DepthGuard() { --r->depth_; }
  };

  bool eof() const { return li_ >= lines_.size(); }
  std::string_view line() const { return lines_[li_]; }
  char peek(std::size_t k = 0) const {
    if (eof()) return '\n';
    std::string_view l = lines_[li_];
    return ci_ + k < l.size() ? l[ci_ + k] : '\n';
  }
  void next_line() {
    ++li_;
    ci_ = 0;
  }
  bool line_has_break(std::size_t li) const { return li + 1 < lines_.size() || final_newline_; }

  static char quote_char(char c) { return c == '\'' || c == '"' ? c : 0; }

  // Control characters and invalid UTF-8 are errors (YAML accepts printable characters only).
  void check_characters() const {
    for (std::size_t l = 0; l < lines_.size(); ++l) {
      std::string_view s = lines_[l];
      for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
          char hex[8];
          static const char* digits = "0123456789ABCDEF";
          hex[0] = '0';
          hex[1] = 'x';
          hex[2] = digits[c >> 4];
          hex[3] = digits[c & 15];
          hex[4] = 0;
          fail(l, i, std::string("control character ") + hex + " is not allowed in YAML");
        }
        std::size_t n = utf8_length(s, i);
        if (n == 0) fail(l, i, "invalid UTF-8 byte sequence");
        i += n;
      }
    }
  }

  // A line holding only whitespace, or whitespace and a comment.
  static bool blank(std::string_view l) {
    for (char c : l) {
      if (c == '#') return true;
      if (!is_ws(c)) return false;
    }
    return true;
  }
  static bool whitespace_only(std::string_view l) {
    for (char c : l) {
      if (!is_ws(c)) return false;
    }
    return true;
  }
  void skip_blank_lines() {
    while (!eof() && blank(lines_[li_])) next_line();
  }
  // `---` or `...` at column 0, alone or followed by whitespace.
  bool doc_marker(std::size_t li, char c) const {
    if (li >= lines_.size()) return false;
    std::string_view l = lines_[li];
    return l.size() >= 3 && l[0] == c && l[1] == c && l[2] == c && (l.size() == 3 || is_ws(l[3]));
  }
  bool any_doc_marker(std::size_t li) const { return doc_marker(li, '-') || doc_marker(li, '.'); }

  // Leading spaces of a content line; a tab among them is an error.
  int indent_of(std::size_t li) const {
    std::string_view l = lines_[li];
    std::size_t n = 0;
    while (n < l.size() && l[n] == ' ') ++n;
    if (n < l.size() && l[n] == '\t') {
      fail(li, n, "tab character used for indentation (YAML indentation must use spaces)");
    }
    return static_cast<int>(n);
  }

  void skip_inline_ws() {
    while (!eof() && ci_ < line().size() && is_ws(line()[ci_])) ++ci_;
  }
  // At the end of the line's content: end of line, or a comment (a `#` at line start or after whitespace).
  bool at_content_end() const {
    char c = peek();
    if (c == '\n') return true;
    return c == '#' && (ci_ == 0 || is_ws(line()[ci_ - 1]));
  }
  // After a complete node on the current line: only whitespace or a comment may follow.
  void finish_line(const char* what) {
    skip_inline_ws();
    if (!at_content_end()) {
      char c = peek();
      if (c == ':')
        fail(li_, ci_,
             std::string("unexpected ':' after ") + what + " (complex mapping keys are not supported)");
      if (c == '#') fail(li_, ci_, std::string("a comment after ") + what + " needs whitespace before '#'");
      fail(li_, ci_, std::string("unexpected '") + c + "' after " + what);
    }
    next_line();
  }

  bool seq_indicator_at(std::size_t li, std::size_t col) const {
    std::string_view l = lines_[li];
    return col < l.size() && l[col] == '-' && (col + 1 == l.size() || is_ws(l[col + 1]));
  }

  // Is the content at the cursor an implicit mapping key (`key:` followed by whitespace or end of line)?
  bool key_here() const {
    std::string_view l = line();
    std::size_t j = ci_;
    if (j >= l.size()) return false;
    char q = quote_char(l[j]);
    if (q) {
      // The closing quote must be on this line.
      ++j;
      for (;;) {
        if (j >= l.size()) return false;
        if (q == '\'' && l[j] == '\'') {
          if (j + 1 < l.size() && l[j + 1] == '\'') {
            j += 2;
            continue;
          }
          break;
        }
        if (q == '"' && l[j] == '\\') {
          j += 2;
          continue;
        }
        if (q == '"' && l[j] == '"') break;
        ++j;
      }
      ++j;
      while (j < l.size() && is_ws(l[j])) ++j;
      return j < l.size() && l[j] == ':' && (j + 1 == l.size() || is_ws(l[j + 1]));
    }
    if (l[j] == '[' || l[j] == '{') return false;
    for (; j < l.size(); ++j) {
      if (l[j] == ':' && (j + 1 == l.size() || is_ws(l[j + 1]))) return true;
      if (l[j] == '#' && j > 0 && is_ws(l[j - 1])) return false;
    }
    return false;
  }

  Node make(Node::Kind kind, std::size_t line, std::size_t col) const {
    Node n;
    n.kind = kind;
    n.line = static_cast<int>(line) + 1;
    n.column = static_cast<int>(col) + 1;
    return n;
  }

  static void add_entry(Node& map, MapEntry entry) {
    for (MapEntry& e : map.entries) {
      if (e.key == entry.key) {
        e.value = std::move(entry.value);  // last one wins, first position kept (Ruby Hash)
        return;
      }
    }
    map.entries.push_back(std::move(entry));
  }

  void reject_unsupported(char c) const {
    if (c == '&') fail(li_, ci_, "anchors ('&') are not supported in settings files");
    if (c == '*') fail(li_, ci_, "aliases ('*') are not supported in settings files");
    if (c == '!') fail(li_, ci_, "tags ('!') are not supported in settings files");
    if (c == '@' || c == '`')
      fail(li_, ci_, std::string("'") + c + "' is reserved and cannot start a plain value; quote the value");
  }

  // A node that follows an indicator (`key:`, `- `, `---`) or starts a document. On return the
  // cursor is at the start of the first line not consumed.
  Node parse_node(int parent, Ctx ctx) {
    skip_inline_ws();
    if (at_content_end()) {
      Node empty = make(Node::Kind::Null, li_, ci_);
      next_line();
      skip_blank_lines();
      if (eof() || any_doc_marker(li_)) return empty;
      int n = indent_of(li_);
      if (n > parent) {
        ci_ = static_cast<std::size_t>(n);
        return parse_content(parent, true);
      }
      // An indentless sequence: a mapping value may be a sequence at the key's own indentation.
      if (ctx == Ctx::MapValue && n == parent && seq_indicator_at(li_, static_cast<std::size_t>(n))) {
        ci_ = static_cast<std::size_t>(n);
        return parse_block_sequence(n);
      }
      return empty;
    }
    return parse_content(parent, ctx == Ctx::Document || ctx == Ctx::SeqEntry);
  }

  // Content starting at the cursor; block collections start here only when allowed (own line,
  // or compact forms after `- `).
  Node parse_content(int parent, bool collections_allowed) {
    const char c = peek();
    reject_unsupported(c);
    if (c == '|' || c == '>') return parse_block_scalar(parent);
    if (c == '-' && is_ws_or_eol(peek(1))) {
      if (!collections_allowed)
        fail(li_, ci_, "a block sequence cannot start on the line of its key; put '- ' on the next line");
      return parse_block_sequence(static_cast<int>(ci_));
    }
    if (c == '?' && is_ws_or_eol(peek(1))) fail(li_, ci_, "complex mapping keys ('? ') are not supported");
    if (key_here()) {
      if (!collections_allowed)
        fail(li_, ci_,
             "mapping values are not allowed here (a value cannot itself be `key: value` on the same line; "
             "quote it or nest it on the next line)");
      return parse_block_mapping(static_cast<int>(ci_));
    }
    if (c == '[' || c == '{') {
      Node n = parse_flow_node();
      finish_line(c == '[' ? "a flow sequence" : "a flow mapping");
      return n;
    }
    if (c == '\'' || c == '"') {
      Node n = parse_quoted();
      finish_line("a quoted scalar");
      return n;
    }
    if (c == ']' || c == '}' || c == ',') fail(li_, ci_, std::string("unexpected '") + c + "'");
    return parse_plain(parent);
  }

  bool is_ws_or_eol(char c) const { return c == ' ' || c == '\t' || c == '\n'; }

  Node parse_block_mapping(int n) {
    DepthGuard guard(this, li_, ci_);
    Node map = make(Node::Kind::Mapping, li_, ci_);
    for (;;) {
      MapEntry entry;
      entry.line = static_cast<int>(li_) + 1;
      entry.column = static_cast<int>(ci_) + 1;
      const char c = peek();
      reject_unsupported(c);
      if (c == '\'' || c == '"') {
        std::size_t key_line = li_;
        Node k = parse_quoted();
        if (li_ != key_line)
          fail(key_line, static_cast<std::size_t>(entry.column - 1), "a quoted key must be on one line");
        entry.key = std::move(k.scalar);
      } else {
        std::string_view l = line();
        std::size_t j = ci_;
        while (j < l.size() && !(l[j] == ':' && (j + 1 == l.size() || is_ws(l[j + 1])))) ++j;
        std::size_t end = j;
        while (end > ci_ && is_ws(l[end - 1])) --end;
        entry.key = std::string(l.substr(ci_, end - ci_));
        ci_ = j;
      }
      skip_inline_ws();
      if (peek() != ':') fail(li_, ci_, "could not find the ':' after the mapping key");
      ++ci_;
      if (!is_ws_or_eol(peek())) fail(li_, ci_, "a mapping key's ':' must be followed by a space");
      entry.value = parse_node(n, Ctx::MapValue);
      add_entry(map, std::move(entry));

      skip_blank_lines();
      if (eof() || any_doc_marker(li_)) break;
      int m = indent_of(li_);
      if (m < n) break;
      if (m > n) {
        fail(li_, static_cast<std::size_t>(m),
             "bad indentation of a mapping entry: expected column " + std::to_string(n + 1) +
                 " like the keys above");
      }
      ci_ = static_cast<std::size_t>(m);
      if (seq_indicator_at(li_, ci_)) {
        fail(li_, ci_, "a sequence entry ('- ') where a mapping key was expected: check the indentation");
      }
      if (!key_here())
        fail(li_, ci_, "expected a mapping entry `key: value` (could not find the ':' after the key)");
    }
    return map;
  }

  Node parse_block_sequence(int n) {
    DepthGuard guard(this, li_, ci_);
    Node seq = make(Node::Kind::Sequence, li_, ci_);
    for (;;) {
      ci_ = static_cast<std::size_t>(n) + 1;  // past '-'
      seq.items.push_back(parse_node(n, Ctx::SeqEntry));
      skip_blank_lines();
      if (eof() || any_doc_marker(li_)) break;
      int m = indent_of(li_);
      if (m < n) break;
      if (m > n) {
        fail(li_, static_cast<std::size_t>(m),
             "bad indentation of a sequence entry: expected '- ' at column " + std::to_string(n + 1));
      }
      if (!seq_indicator_at(li_, static_cast<std::size_t>(m))) break;
      ci_ = static_cast<std::size_t>(m);
    }
    return seq;
  }

  // A plain scalar in block context: the rest of the line, then continuation lines indented more
  // than `parent` (folded: one line break becomes a space, each empty line a newline).
  Node parse_plain(int parent) {
    Node node = make(Node::Kind::Scalar, li_, ci_);
    node.style = Node::Style::Plain;
    bool comment = false;
    node.scalar = plain_segment(&comment);
    next_line();
    if (comment) return node;
    for (;;) {
      std::size_t empties = 0;
      std::size_t probe = li_;
      while (probe < lines_.size() && whitespace_only(lines_[probe])) {
        ++empties;
        ++probe;
      }
      if (probe >= lines_.size() || any_doc_marker(probe) || blank(lines_[probe])) break;
      std::string_view l = lines_[probe];
      std::size_t spaces = 0;
      while (spaces < l.size() && l[spaces] == ' ') ++spaces;
      if (static_cast<int>(spaces) <= parent) break;
      li_ = probe;
      ci_ = spaces;
      skip_inline_ws();
      if (peek() == '#') break;  // cannot happen: blank() caught comment lines
      std::string seg = plain_segment(&comment);
      node.scalar += empties == 0 ? std::string(" ") : std::string(empties, '\n');
      node.scalar += seg;
      next_line();
      if (comment) break;
    }
    return node;
  }

  // The plain text from the cursor to the end of the line or a comment; a `: ` inside is an error.
  std::string plain_segment(bool* comment) {
    std::string_view l = line();
    std::size_t start = ci_;
    std::size_t j = ci_;
    *comment = false;
    for (; j < l.size(); ++j) {
      if (l[j] == '#' && j > start && is_ws(l[j - 1])) {
        *comment = true;
        break;
      }
      if (l[j] == ':' && (j + 1 == l.size() || is_ws(l[j + 1]))) {
        fail(li_, j,
             "mapping values are not allowed here (an unquoted value contains ': '; quote the value)");
      }
    }
    std::size_t end = j;
    while (end > start && is_ws(l[end - 1])) --end;
    ci_ = l.size();
    return std::string(l.substr(start, end - start));
  }

  // 'single' or "double" quoted scalar, possibly over several lines; the cursor ends after the
  // closing quote.
  Node parse_quoted() {
    const char q = peek();
    const std::size_t open_line = li_, open_col = ci_;
    Node node = make(Node::Kind::Scalar, li_, ci_);
    node.style = q == '\'' ? Node::Style::SingleQuoted : Node::Style::DoubleQuoted;
    std::string& out = node.scalar;
    std::string pending_ws;
    ++ci_;
    auto unterminated = [&]() {
      fail(open_line, open_col,
           std::string("unterminated ") + (q == '\'' ? "single" : "double") +
               "-quoted string: add the closing " + q);
    };
    for (;;) {
      if (ci_ >= line().size()) {
        // Line folding inside the quotes: trailing whitespace dropped, one break becomes a space,
        // each empty line a newline.
        pending_ws.clear();
        next_line();
        std::size_t empties = 0;
        while (!eof() && whitespace_only(line())) {
          ++empties;
          next_line();
        }
        if (eof() || any_doc_marker(li_)) unterminated();
        skip_inline_ws();
        out += empties == 0 ? std::string(" ") : std::string(empties, '\n');
        continue;
      }
      const char c = line()[ci_];
      if (q == '\'') {
        if (c == '\'') {
          if (peek(1) == '\'') {
            out += pending_ws;
            pending_ws.clear();
            out += '\'';
            ci_ += 2;
            continue;
          }
          out += pending_ws;
          ++ci_;
          return node;
        }
      } else {
        if (c == '"') {
          out += pending_ws;
          ++ci_;
          return node;
        }
        if (c == '\\') {
          out += pending_ws;
          pending_ws.clear();
          if (ci_ + 1 >= line().size()) {
            // Escaped line break: joins the lines without a space.
            next_line();
            while (!eof() && whitespace_only(line())) {
              out += '\n';
              next_line();
            }
            if (eof() || any_doc_marker(li_)) unterminated();
            skip_inline_ws();
            continue;
          }
          escape(&out);
          continue;
        }
      }
      if (is_ws(c)) {
        pending_ws += c;
      } else {
        out += pending_ws;
        pending_ws.clear();
        out += c;
      }
      ++ci_;
    }
  }

  // One escape sequence in a double-quoted scalar; the cursor is on the backslash.
  void escape(std::string* out) {
    const std::size_t at = ci_;
    const char e = line()[ci_ + 1];
    ci_ += 2;
    switch (e) {
      case '0':
        *out += '\0';
        return;
      case 'a':
        *out += '\a';
        return;
      case 'b':
        *out += '\b';
        return;
      case 't':
      case '\t':
        *out += '\t';
        return;
      case 'n':
        *out += '\n';
        return;
      case 'v':
        *out += '\v';
        return;
      case 'f':
        *out += '\f';
        return;
      case 'r':
        *out += '\r';
        return;
      case 'e':
        *out += '\x1B';
        return;
      case ' ':
        *out += ' ';
        return;
      case '"':
        *out += '"';
        return;
      case '/':
        *out += '/';
        return;
      case '\\':
        *out += '\\';
        return;
      case 'N':
        append_utf8(*out, 0x85);
        return;
      case '_':
        append_utf8(*out, 0xA0);
        return;
      case 'L':
        append_utf8(*out, 0x2028);
        return;
      case 'P':
        append_utf8(*out, 0x2029);
        return;
      case 'x':
      case 'u':
      case 'U': {
        const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (std::size_t k = 0; k < digits; ++k) {
          char h = ci_ < line().size() ? line()[ci_] : '\n';
          int d = digit_value(h);
          if (d > 15)
            fail(li_, at,
                 std::string("escape \\") + e + " needs " + std::to_string(digits) + " hexadecimal digits");
          cp = cp * 16 + static_cast<uint32_t>(d);
          ++ci_;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          fail(li_, at, "escape gives an invalid Unicode code point");
        append_utf8(*out, cp);
        return;
      }
      default:
        fail(li_, at, std::string("unknown escape sequence '\\") + e + "' in a double-quoted string");
    }
  }

  // `|` or `>` with optional chomping (`-`, `+`) and indentation (1-9) indicators.
  Node parse_block_scalar(int parent) {
    Node node = make(Node::Kind::Scalar, li_, ci_);
    const bool folded = peek() == '>';
    node.style = folded ? Node::Style::Folded : Node::Style::Literal;
    ++ci_;
    enum class Chomp { Clip, Strip, Keep } chomp = Chomp::Clip;
    int indicator = 0;
    bool chomp_seen = false;
    for (int k = 0; k < 2; ++k) {
      char c = peek();
      if ((c == '-' || c == '+') && !chomp_seen) {
        chomp = c == '-' ? Chomp::Strip : Chomp::Keep;
        chomp_seen = true;
        ++ci_;
      } else if (c >= '1' && c <= '9' && indicator == 0) {
        indicator = c - '0';
        ++ci_;
      } else if (c == '0') {
        fail(li_, ci_, "a block scalar's indentation indicator must be 1 to 9");
      }
    }
    if (!is_ws_or_eol(peek())) {
      fail(li_, ci_, "unexpected characters after the block scalar indicator (only a comment may follow)");
    }
    skip_inline_ws();
    if (!at_content_end())
      fail(li_, ci_, "unexpected characters after the block scalar indicator (only a comment may follow)");
    next_line();

    const int base = parent < 0 ? 0 : parent;
    int content_indent = 0;
    if (indicator > 0) {
      content_indent = base + indicator;
    } else {
      // The first non-empty line decides; it must be indented more than the parent.
      std::size_t probe = li_;
      while (probe < lines_.size() && whitespace_only(lines_[probe])) ++probe;
      if (probe < lines_.size()) {
        std::string_view l = lines_[probe];
        std::size_t spaces = 0;
        while (spaces < l.size() && l[spaces] == ' ') ++spaces;
        content_indent = static_cast<int>(spaces);
      }
      if (content_indent <= parent) content_indent = parent + 1;
      if (content_indent < 1) content_indent = 1;  // a top-level block scalar is indented too
    }

    std::vector<std::string_view> lines;
    std::size_t last_line = li_;
    bool last_has_break = true;
    while (!eof()) {
      std::string_view l = line();
      std::size_t spaces = 0;
      while (spaces < l.size() && l[spaces] == ' ') ++spaces;
      if (spaces == l.size()) {  // spaces only: an empty line, or content spaces beyond the indentation
        lines.push_back(static_cast<int>(l.size()) > content_indent
                            ? l.substr(static_cast<std::size_t>(content_indent))
                            : std::string_view());
        last_line = li_;
        next_line();
        continue;
      }
      if (static_cast<int>(spaces) < content_indent) break;
      if (content_indent == 0 && any_doc_marker(li_)) break;
      lines.push_back(l.substr(static_cast<std::size_t>(content_indent)));
      last_line = li_;
      next_line();
    }
    if (!lines.empty()) last_has_break = line_has_break(last_line);

    std::size_t body_end = lines.size();
    while (body_end > 0 && lines[body_end - 1].empty()) --body_end;
    const std::size_t trailing = lines.size() - body_end;

    std::string& out = node.scalar;
    if (!folded) {
      for (std::size_t i = 0; i < body_end; ++i) {
        if (i > 0) out += '\n';
        out += lines[i];
      }
    } else {
      std::size_t i = 0;
      while (i < body_end && lines[i].empty()) {
        out += '\n';
        ++i;
      }
      bool prev_more = false;
      bool first = true;
      std::size_t empties = 0;
      for (; i < body_end; ++i) {
        std::string_view l = lines[i];
        if (l.empty()) {
          ++empties;
          continue;
        }
        const bool more = is_ws(l[0]);
        if (!first) {
          if (!prev_more && !more) {
            out += empties == 0 ? std::string(" ") : std::string(empties, '\n');
          } else {
            out += '\n';
            out += std::string(empties, '\n');
          }
        }
        out += l;
        empties = 0;
        prev_more = more;
        first = false;
      }
    }
    // Chomping: the final line break and the trailing empty lines.
    const bool body = body_end > 0;
    const bool body_break = body && (trailing > 0 || last_has_break);
    switch (chomp) {
      case Chomp::Strip:
        break;
      case Chomp::Clip:
        if (body_break) out += '\n';
        break;
      case Chomp::Keep:
        if (body_break) out += '\n';
        // Each trailing empty line is a kept line break (the last one only if it ended in a break).
        if (trailing > 0) out += std::string(trailing - (last_has_break ? 0 : 1), '\n');
        break;
    }
    return node;
  }

  // ---- flow collections ----

  // Skips whitespace, line breaks and comments inside a flow collection.
  void skip_flow_space(std::size_t open_line, std::size_t open_col, char close) {
    for (;;) {
      if (eof()) {
        fail(open_line, open_col,
             std::string("unterminated flow ") + (close == ']' ? "sequence" : "mapping") +
                 ": add the closing '" + close + "'");
      }
      skip_inline_ws();
      if (at_content_end()) {
        next_line();
        if (!eof() && any_doc_marker(li_)) {
          fail(open_line, open_col,
               std::string("unterminated flow ") + (close == ']' ? "sequence" : "mapping") +
                   ": add the closing '" + close + "'");
        }
        continue;
      }
      return;
    }
  }

  Node parse_flow_node() {
    DepthGuard guard(this, li_, ci_);
    const char c = peek();
    reject_unsupported(c);
    if (c == '[') return parse_flow_sequence();
    if (c == '{') return parse_flow_mapping();
    if (c == '\'' || c == '"') return parse_quoted();
    if (c == '-' && is_ws_or_eol(peek(1)))
      fail(li_, ci_, "block sequence entries ('- ') are not allowed inside [ ] or { }");
    if (c == '?' && is_ws_or_eol(peek(1))) fail(li_, ci_, "complex mapping keys ('? ') are not supported");
    if (is_flow_indicator(c) || c == '\n')
      fail(li_, ci_,
           std::string("expected a value, found '") +
               (c == '\n' ? std::string("end of line") : std::string(1, c)) + "'");
    return flow_plain();
  }

  // A plain scalar inside [ ] or { }: ends at , [ ] { }, at ':' followed by whitespace or an
  // indicator, at a comment, or at the end of the line.
  Node flow_plain() {
    Node node = make(Node::Kind::Scalar, li_, ci_);
    std::string_view l = line();
    std::size_t j = ci_;
    for (; j < l.size(); ++j) {
      char c = l[j];
      if (is_flow_indicator(c)) break;
      if (c == ':' && (j + 1 == l.size() || is_ws(l[j + 1]) || is_flow_indicator(l[j + 1]))) break;
      if (c == '#' && j > ci_ && is_ws(l[j - 1])) break;
    }
    std::size_t end = j;
    while (end > ci_ && is_ws(l[end - 1])) --end;
    node.scalar = std::string(l.substr(ci_, end - ci_));
    ci_ = j;
    return node;
  }

  bool flow_colon() const {
    if (peek() != ':') return false;
    char n = peek(1);
    return n == ' ' || n == '\t' || n == '\n' || is_flow_indicator(n);
  }

  Node parse_flow_sequence() {
    Node seq = make(Node::Kind::Sequence, li_, ci_);
    const std::size_t open_line = li_, open_col = ci_;
    ++ci_;
    for (;;) {
      skip_flow_space(open_line, open_col, ']');
      if (peek() == ']') {
        ++ci_;
        return seq;
      }
      Node item = parse_flow_node();
      skip_flow_space(open_line, open_col, ']');
      if (flow_colon()) {
        // [key: value] is a one-entry mapping.
        if (item.kind != Node::Kind::Scalar) fail(li_, ci_, "complex mapping keys are not supported");
        Node pair = make(Node::Kind::Mapping, static_cast<std::size_t>(item.line - 1),
                         static_cast<std::size_t>(item.column - 1));
        MapEntry e;
        e.line = item.line;
        e.column = item.column;
        e.key = std::move(item.scalar);
        ++ci_;
        skip_flow_space(open_line, open_col, ']');
        if (peek() == ',' || peek() == ']') {
          e.value = make(Node::Kind::Null, li_, ci_);
        } else {
          e.value = parse_flow_node();
        }
        pair.entries.push_back(std::move(e));
        item = std::move(pair);
        skip_flow_space(open_line, open_col, ']');
      }
      seq.items.push_back(std::move(item));
      if (peek() == ',') {
        ++ci_;
        continue;
      }
      if (peek() == ']') {
        ++ci_;
        return seq;
      }
      fail(li_, ci_,
           "expected ',' or ']' in the flow sequence opened at line " + std::to_string(open_line + 1) +
               ", column " + std::to_string(open_col + 1));
    }
  }

  Node parse_flow_mapping() {
    Node map = make(Node::Kind::Mapping, li_, ci_);
    const std::size_t open_line = li_, open_col = ci_;
    ++ci_;
    for (;;) {
      skip_flow_space(open_line, open_col, '}');
      if (peek() == '}') {
        ++ci_;
        return map;
      }
      MapEntry e;
      e.line = static_cast<int>(li_) + 1;
      e.column = static_cast<int>(ci_) + 1;
      const char c = peek();
      reject_unsupported(c);
      if (c == '[' || c == '{') fail(li_, ci_, "complex mapping keys are not supported");
      if (c == ',' || c == ']') fail(li_, ci_, std::string("unexpected '") + c + "' in a flow mapping");
      if (c == '\'' || c == '"') {
        e.key = parse_quoted().scalar;
      } else {
        e.key = flow_plain().scalar;
      }
      skip_flow_space(open_line, open_col, '}');
      if (flow_colon()) {
        ++ci_;
        skip_flow_space(open_line, open_col, '}');
        if (peek() == ',' || peek() == '}') {
          e.value = make(Node::Kind::Null, li_, ci_);
        } else {
          e.value = parse_flow_node();
        }
      } else {
        e.value = make(Node::Kind::Null, li_, ci_);
      }
      add_entry(map, std::move(e));
      skip_flow_space(open_line, open_col, '}');
      if (peek() == ',') {
        ++ci_;
        continue;
      }
      if (peek() == '}') {
        ++ci_;
        return map;
      }
      fail(li_, ci_,
           "expected ',' or '}' in the flow mapping opened at line " + std::to_string(open_line + 1) +
               ", column " + std::to_string(open_col + 1));
    }
  }
};

}  // namespace

bool parse(std::string_view text, Node* out, ParseError* error, bool* has_document) {
  bool present = false;
  try {
    Reader reader(text);
    *out = reader.read_document(&present);
  } catch (const Failure& f) {
    if (error) {
      error->line = f.line + 1;
      error->column = f.column + 1;
      error->message = f.message;
    }
    return false;
  }
  if (has_document) *has_document = present;
  return true;
}

}  // namespace sluice::yaml
