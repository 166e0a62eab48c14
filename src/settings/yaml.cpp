// The YAML reader of logstash.yml and pipelines.yml (see yaml.hpp): libyaml's event parser (the
// parser under Ruby's Psych) builds the Node tree; this file adds what Sluice promises on top: the
// refusal of anchors, aliases, tags and complex keys, limits on depth, node count and size, and
// errors that say what was expected at which line and column. Psych's typing of plain scalars is
// in yaml_types.cpp.
#include "settings/yaml.hpp"

#include <yaml.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>

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

namespace {

struct Failure {
  int line;  // 1-based
  int column;
  std::string message;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string hex(uint32_t v, int digits) {
  static const char* d = "0123456789ABCDEF";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = d[v & 15];
  return s;
}

// libyaml's marks count characters (a CR LF pair as two) and lines as YAML does (LF, CR, CR LF,
// NEL, LS, PS). Sluice reports 1-based lines and 1-based byte columns, so a mark's character index
// is turned into a byte offset with a cursor that moves from the previous position (marks arrive
// almost in order; ASCII input needs no walk at all).
class Positions {
 public:
  explicit Positions(std::string_view text) : text_(text) {
    for (char c : text) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        ascii_ = false;
        break;
      }
    }
  }

  std::size_t byte_offset(std::size_t char_index) {
    if (ascii_) return std::min(char_index, text_.size());
    while (char_ < char_index && byte_ < text_.size()) {
      ++byte_;
      while (byte_ < text_.size() && continuation(text_[byte_])) ++byte_;
      ++char_;
    }
    while (char_ > char_index && byte_ > 0) {
      --byte_;
      while (byte_ > 0 && continuation(text_[byte_])) --byte_;
      --char_;
    }
    return byte_;
  }

  // 1-based line and byte column of a mark.
  std::pair<int, int> at(const yaml_mark_t& m) {
    const std::size_t line_start = byte_offset(m.index - std::min(m.index, m.column));
    const std::size_t here = byte_offset(m.index);
    return {clamp(m.line + 1), clamp(here - line_start + 1)};
  }

  // 1-based line and byte column of a byte offset (reader errors carry only that).
  std::pair<int, int> at_byte(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    std::size_t line = 1, start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
      const unsigned char c = static_cast<unsigned char>(text_[i]);
      std::size_t next = 0;  // the byte after a line break starting here, or 0
      if (c == '\n') {
        next = i + 1;
      } else if (c == '\r') {
        next = i + 1 < text_.size() && text_[i + 1] == '\n' ? i + 2 : i + 1;
      } else if (c == 0xC2 && i + 1 < text_.size() && static_cast<unsigned char>(text_[i + 1]) == 0x85) {
        next = i + 2;  // NEL
      } else if (c == 0xE2 && i + 2 < text_.size() && static_cast<unsigned char>(text_[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(text_[i + 2]) == 0xA8 ||
                  static_cast<unsigned char>(text_[i + 2]) == 0xA9)) {
        next = i + 3;  // LS, PS
      }
      if (next != 0 && next <= offset) {
        ++line;
        start = next;
        i = next - 1;
      }
    }
    return {clamp(line), clamp(offset - start + 1)};
  }

  // The text from a mark on (empty past the end).
  std::string_view from(const yaml_mark_t& m) { return text_.substr(byte_offset(m.index)); }

 private:
  static bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
  static int clamp(std::size_t v) {
    return static_cast<int>(std::min<std::size_t>(v, static_cast<std::size_t>(std::numeric_limits<int>::max())));
  }

  std::string_view text_;
  bool ascii_ = true;
  std::size_t char_ = 0;  // the cursor: a character index and its byte offset
  std::size_t byte_ = 0;
};

// The character at the start of `rest` for a message: "end of input", "end of line", or 'c'.
std::string shown_char(std::string_view rest) {
  if (rest.empty()) return "end of input";
  const char c = rest[0];
  if (c == '\n' || c == '\r') return "end of line";
  std::size_t n = 1;
  const unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0xF0) {
    n = 4;
  } else if (u >= 0xE0) {
    n = 3;
  } else if (u >= 0xC0) {
    n = 2;
  }
  return "'" + std::string(rest.substr(0, std::min(n, rest.size()))) + "'";
}

// Nothing but blanks, line breaks and comments up to the end of the input or to a document marker:
// a collection or quoted scalar that stops here was never closed.
bool at_end_of_document(std::string_view rest, bool line_start) {
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (line_start && i + 3 <= rest.size() &&
        (rest.substr(i, 3) == "---" || rest.substr(i, 3) == "...") &&
        (i + 3 == rest.size() || is_blank(rest[i + 3]) || rest[i + 3] == '\n' || rest[i + 3] == '\r')) {
      return true;
    }
    line_start = false;
    if (c == '\n' || c == '\r') {
      line_start = true;
    } else if (c == '#') {
      while (i + 1 < rest.size() && rest[i + 1] != '\n' && rest[i + 1] != '\r') ++i;
    } else if (!is_blank(c)) {
      return false;
    }
  }
  return true;
}

struct Parser {
  yaml_parser_t p;
  Parser() { yaml_parser_initialize(&p); }
  ~Parser() { yaml_parser_delete(&p); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

struct Event {
  yaml_event_t e{};
  bool live = false;  // set once yaml_parser_parse() filled `e`
  ~Event() {
    if (live) yaml_event_delete(&e);
  }
};

// The last node read before an error, for "unexpected 'y' after a quoted scalar" and `a: b: c`.
struct LastNode {
  const char* what = nullptr;  // "a quoted scalar", ...; nullptr before the first node
  std::size_t end_line = 0;    // libyaml's 0-based line of the node's end
  yaml_mark_t start{};         // where it started
  bool plain = false;          // a plain scalar
};

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text), pos_(text) {}

  Node read(bool* has_document) {
    *has_document = false;
    if (text_.size() > kMaxDocumentBytes) {
      throw Failure{1, 1,
                    "the file is " + std::to_string(text_.size()) + " bytes; settings files are limited to " +
                        std::to_string(kMaxDocumentBytes) + " bytes"};
    }
    yaml_parser_set_encoding(&parser_.p, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&parser_.p, reinterpret_cast<const unsigned char*>(text_.data()),
                                 text_.size());
    for (;;) {
      Event ev;
      next(&ev);
      switch (ev.e.type) {
        case YAML_STREAM_START_EVENT:
          continue;
        case YAML_STREAM_END_EVENT:
          return Node{};  // no document at all
        case YAML_DOCUMENT_START_EVENT:
          *has_document = true;
          gap_start_ = ev.e.end_mark.index;
          return read_document();
        default:
          throw Failure{1, 1, "unexpected YAML event before the document"};
      }
    }
  }

 private:
  // A collection being built.
  struct Frame {
    Node node;
    bool want_key = true;  // mappings: the next node is a key
    MapEntry pending;      // mappings: the key read, waiting for its value
    std::unordered_map<std::string, std::size_t> index;  // mappings: key -> entry (duplicates)
  };

  std::string_view text_;
  Positions pos_;
  Parser parser_;
  std::vector<Frame> stack_;
  Node root_;
  bool root_done_ = false;
  std::size_t nodes_ = 0;
  std::size_t gap_start_ = 0;  // character index where the text before the next node starts
  LastNode last_;
  struct {
    bool valid = false;
    yaml_mark_t start{};      // the `|` or `>`
    std::size_t end_line = 0;  // where libyaml ended it (the line after its text)
  } block_;  // the last block scalar read

  void next(Event* ev) {
    if (!yaml_parser_parse(&parser_.p, &ev->e)) throw translate();
    ev->live = true;
  }

  Node read_document() {
    while (!root_done_) {
      Event ev;
      next(&ev);
      const yaml_event_t& e = ev.e;
      switch (e.type) {
        case YAML_ALIAS_EVENT:
          fail(e.start_mark, "aliases ('*') are not supported in settings files (Logstash refuses them too)");
        case YAML_SCALAR_EVENT:
          begin_node(e, e.data.scalar.anchor, e.data.scalar.tag);
          attach(scalar(e));
          last_ = {scalar_what(e.data.scalar.style), e.end_mark.line, e.start_mark,
                   e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE};
          if (!last_.what) last_ = {};
          block_ = {};
          if (e.data.scalar.style == YAML_LITERAL_SCALAR_STYLE || e.data.scalar.style == YAML_FOLDED_SCALAR_STYLE)
            block_ = {true, e.start_mark, e.end_mark.line};
          break;
        case YAML_SEQUENCE_START_EVENT:
          begin_node(e, e.data.sequence_start.anchor, e.data.sequence_start.tag);
          open(Node::Kind::Sequence, e);
          break;
        case YAML_MAPPING_START_EVENT:
          begin_node(e, e.data.mapping_start.anchor, e.data.mapping_start.tag);
          open(Node::Kind::Mapping, e);
          gap_start_ = e.start_mark.index;  // a flow pair's `? ` is part of its start event
          continue;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
          close();
          // A flow collection ends at its bracket; a block one where the next token starts.
          const bool flow = e.start_mark.index != e.end_mark.index;
          last_ = {};
          if (flow) last_ = {e.type == YAML_SEQUENCE_END_EVENT ? "a flow sequence" : "a flow mapping",
                             e.end_mark.line, e.start_mark, false};
          break;
        }
        default:
          fail(e.start_mark, "unexpected YAML event inside the document");
      }
      gap_start_ = e.end_mark.index;
    }
    // The document must end here. After an explicit end (`...`) the rest of the stream is ignored;
    // otherwise only a next document (`---`) or the end of the stream may follow, so that content
    // the root node does not take (a line indented less than the first key) is an error rather
    // than dropped without a word.
    Event end;
    next(&end);
    if (end.e.type != YAML_DOCUMENT_END_EVENT) fail(end.e.start_mark, "unexpected YAML event after the document");
    if (end.e.data.document_end.implicit) {
      Event after;
      next(&after);
      if (after.e.type == YAML_DOCUMENT_START_EVENT && after.e.data.document_start.implicit)
        fail(after.e.start_mark, "content after the end of the top-level node (check the indentation of this line)");
    }
    return std::move(root_);
  }

  static const char* scalar_what(yaml_scalar_style_t style) {
    switch (style) {
      case YAML_SINGLE_QUOTED_SCALAR_STYLE:
      case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        return "a quoted scalar";
      case YAML_LITERAL_SCALAR_STYLE:
      case YAML_FOLDED_SCALAR_STYLE:
        return nullptr;  // it ends where the next line starts: nothing can follow it on its line
      default:
        return "a value";
    }
  }

  [[noreturn]] void fail(const yaml_mark_t& m, std::string message) {
    auto [line, column] = pos_.at(m);
    throw Failure{line, column, std::move(message)};
  }

  // Checks common to every node: properties, complex keys, and the node budget.
  void begin_node(const yaml_event_t& e, const yaml_char_t* anchor, const yaml_char_t* tag) {
    if (anchor || tag) {
      // Name what comes first in the text: the event starts at its first property.
      const std::string_view rest = pos_.from(e.start_mark);
      if (anchor && (!tag || (!rest.empty() && rest[0] == '&')))
        fail(e.start_mark, "anchors ('&') are not supported in settings files (Logstash refuses aliases)");
      fail(e.start_mark, "tags ('!') are not supported in settings files");
    }
    if (!stack_.empty() && stack_.back().node.is_mapping() && stack_.back().want_key) explicit_key(e);
    if (++nodes_ > kMaxNodes) {
      fail(e.start_mark, "more than " + std::to_string(kMaxNodes) +
                             " values: settings files are limited to that many");
    }
  }

  // A `? ` before a key (in the text between the previous node and this one, outside comments).
  void explicit_key(const yaml_event_t& e) {
    const std::size_t from = pos_.byte_offset(gap_start_);
    const std::size_t to = pos_.byte_offset(e.start_mark.index);
    for (std::size_t i = from; i < to && i < text_.size(); ++i) {
      const char c = text_[i];
      if (c == '#') {
        while (i + 1 < to && text_[i + 1] != '\n' && text_[i + 1] != '\r') ++i;
      } else if (c == '?') {
        const auto [line, column] = pos_.at_byte(i);
        throw Failure{line, column, "complex mapping keys ('? ') are not supported; write `key: value`"};
      }
    }
  }

  Node scalar(const yaml_event_t& e) {
    Node n;
    const auto [line, column] = pos_.at(e.start_mark);
    n.line = line;
    n.column = column;
    const auto& s = e.data.scalar;
    if (s.length == 0 && s.style == YAML_PLAIN_SCALAR_STYLE) {
      // An empty value: null, placed where a value would start (past the blanks after the ':').
      const std::string_view rest = pos_.from(e.start_mark);
      std::size_t blanks = 0;
      while (blanks < rest.size() && is_blank(rest[blanks])) ++blanks;
      n.column += static_cast<int>(blanks);
      return n;
    }
    n.kind = Node::Kind::Scalar;
    n.scalar.assign(reinterpret_cast<const char*>(s.value), s.length);
    switch (s.style) {
      case YAML_SINGLE_QUOTED_SCALAR_STYLE:
        n.style = Node::Style::SingleQuoted;
        break;
      case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        n.style = Node::Style::DoubleQuoted;
        break;
      case YAML_LITERAL_SCALAR_STYLE:
        n.style = Node::Style::Literal;
        break;
      case YAML_FOLDED_SCALAR_STYLE:
        n.style = Node::Style::Folded;
        break;
      default:
        n.style = Node::Style::Plain;
        break;
    }
    return n;
  }

  void open(Node::Kind kind, const yaml_event_t& e) {
    if (!stack_.empty() && stack_.back().node.is_mapping() && stack_.back().want_key) {
      fail(e.start_mark, std::string("complex mapping keys are not supported: a ") +
                             (kind == Node::Kind::Sequence ? "sequence" : "mapping") +
                             " cannot be a key; write `key: value`");
    }
    if (stack_.size() >= static_cast<std::size_t>(kMaxDepth)) {
      fail(e.start_mark, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    Frame f;
    f.node.kind = kind;
    const auto [line, column] = pos_.at(e.start_mark);
    f.node.line = line;
    f.node.column = column;
    stack_.push_back(std::move(f));
  }

  void close() {
    Node n = std::move(stack_.back().node);
    stack_.pop_back();
    attach(std::move(n));
  }

  // Adds a finished node to the collection being built, or makes it the root.
  void attach(Node n) {
    if (stack_.empty()) {
      root_ = std::move(n);
      root_done_ = true;
      return;
    }
    Frame& f = stack_.back();
    if (f.node.is_sequence()) {
      f.node.items.push_back(std::move(n));
      return;
    }
    if (f.want_key) {
      // open() refused collections as keys; a key is a scalar or empty (`? ` alone, refused too).
      f.pending = MapEntry{};
      f.pending.key = std::move(n.scalar);
      f.pending.line = n.line;
      f.pending.column = n.column;
      f.want_key = false;
      return;
    }
    f.pending.value = std::move(n);
    f.want_key = true;
    // Duplicate keys: the last value wins, at the position of the first occurrence (Ruby's Hash).
    auto [it, inserted] = f.index.emplace(f.pending.key, f.node.entries.size());
    if (inserted) {
      f.node.entries.push_back(std::move(f.pending));
    } else {
      f.node.entries[it->second].value = std::move(f.pending.value);
    }
  }

  // ---- libyaml's errors, said as what was expected where ----

  Failure at(const yaml_mark_t& m, std::string message) {
    const auto [line, column] = pos_.at(m);
    return Failure{line, column, std::move(message)};
  }

  Failure translate() {
    const yaml_parser_t& p = parser_.p;
    const std::string problem = p.problem ? p.problem : "unknown error";
    const std::string context = p.context ? p.context : "";
    switch (p.error) {
      case YAML_MEMORY_ERROR:
        return Failure{1, 1, "out of memory while reading YAML"};
      case YAML_READER_ERROR:
        return reader_error(problem);
      case YAML_SCANNER_ERROR:
        return scanner_error(problem, context);
      case YAML_PARSER_ERROR:
        return parser_error(problem, context);
      default:
        break;
    }
    return at(p.problem_mark, problem);
  }

  Failure reader_error(const std::string& problem) {
    const yaml_parser_t& p = parser_.p;
    const auto [line, column] = pos_.at_byte(p.problem_offset);
    if (problem == "control characters are not allowed") {
      const uint32_t v = static_cast<uint32_t>(p.problem_value);
      if (v < 0x80) return Failure{line, column, "control character 0x" + hex(v, 2) + " is not allowed in YAML"};
      return Failure{line, column, "character U+" + hex(v, 4) + " is not allowed in YAML"};
    }
    if (problem.find("UTF-8") != std::string::npos || problem == "invalid Unicode character") {
      return Failure{line, column, "invalid UTF-8 byte sequence (" + problem + ")"};
    }
    return Failure{line, column, problem};
  }

  Failure scanner_error(const std::string& problem, const std::string& context) {
    const yaml_parser_t& p = parser_.p;
    const yaml_mark_t& pm = p.problem_mark;
    const yaml_mark_t& cm = p.context_mark;
    const std::string_view here = pos_.from(pm);
    const std::string what = shown_char(here);
    if (problem == "found character that cannot start any token") {
      if (!here.empty() && here[0] == '\t') return tab_error(pm);
      if (!here.empty() && (here[0] == '@' || here[0] == '`'))
        return at(pm, what + " is reserved and cannot start a plain value; quote the value");
      return at(pm, "unexpected " + what + ": it cannot start a value or a key here; quote the value");
    }
    if (problem.find("tab character") != std::string::npos) return tab_error(pm);
    if (problem == "mapping values are not allowed in this context") {
      // `a: b: c` points at the value that cannot hold ': '; a continuation line at its ':'.
      if (last_.plain && last_.start.line == pm.line && pm.index - last_.start.index > 1024) {
        return at(last_.start, "a mapping key longer than 1024 characters (YAML's limit for a key without '? ')");
      }
      if (last_.plain && last_.start.line == pm.line) {
        return at(last_.start,
                  "mapping values are not allowed here (a value cannot itself be `key: value` on the same line; "
                  "quote it or nest it on the next line)");
      }
      return at(pm, "mapping values are not allowed here (an unquoted value contains ': '; quote the value)");
    }
    if (problem == "block sequence entries are not allowed in this context")
      return at(pm, "a block sequence cannot start on the line of its key or inside a value; put '- ' on the "
                    "next line");
    if (problem == "mapping keys are not allowed in this context")
      return at(pm, "complex mapping keys ('? ') are not supported; write `key: value`");
    if (problem == "could not find expected ':'")
      return at(cm, "expected a mapping entry `key: value` (could not find the ':' after the key)");
    if (context == "while scanning a quoted scalar" &&
        (problem == "found unexpected end of stream" || problem == "found unexpected document indicator")) {
      const std::string_view open = pos_.from(cm);
      const char q = !open.empty() && open[0] == '\'' ? '\'' : '"';
      return at(cm, std::string("unterminated ") + (q == '\'' ? "single" : "double") +
                        "-quoted string: add the closing " + q);
    }
    if (problem == "found unknown escape character") {
      const std::string_view esc = here.size() > 1 ? here.substr(1) : std::string_view();
      std::string shown = shown_char(esc);
      if (shown.size() > 2 && shown[0] == '\'') shown = shown.substr(1, shown.size() - 2);
      return at(pm, "unknown escape sequence '\\" + shown + "' in a double-quoted string");
    }
    if (problem == "did not find expected hexdecimal number" ||
        problem == "found invalid Unicode character escape code") {
      // The mark is on the first hexadecimal digit; the escape starts two characters before.
      yaml_mark_t start = pm;
      start.index -= std::min<std::size_t>(start.index, 2);
      start.column -= std::min<std::size_t>(start.column, 2);
      const std::string_view esc = pos_.from(start);
      const char kind = esc.size() > 1 ? esc[1] : 'x';
      const char* digits = kind == 'x' ? "2" : kind == 'u' ? "4" : "8";
      if (problem == "found invalid Unicode character escape code")
        return at(start, "escape gives an invalid Unicode code point");
      return at(start, std::string("escape \\") + kind + " needs " + digits + " hexadecimal digits");
    }
    if (context == "while scanning a block scalar") {
      if (problem == "found an indentation indicator equal to 0")
        return at(pm, "a block scalar's indentation indicator must be 1 to 9");
      if (problem == "did not find expected comment or line break")
        return at(pm, "unexpected characters after the block scalar indicator (only a comment may follow)");
    }
    if (context == "while scanning an anchor")
      return at(cm, "anchors ('&') are not supported in settings files (Logstash refuses aliases)");
    if (context == "while scanning an alias")
      return at(cm, "aliases ('*') are not supported in settings files (Logstash refuses them too)");
    if (context.find("tag") != std::string::npos && context.find("directive") == std::string::npos)
      return at(cm, "tags ('!') are not supported in settings files");
    if (problem == "found unexpected ':'")
      return at(pm, "unexpected ':' inside [ ] or { }: put a space after it for `key: value`, or quote the value");
    if (context.find("directive") != std::string::npos)
      return at(pm, "invalid directive: " + problem + " (only %YAML and %TAG directives exist)");
    return libyaml_text(problem, context);
  }

  // A tab where YAML wants a space: in the indentation, or after an indicator (`-\tx`).
  Failure tab_error(const yaml_mark_t& pm) {
    yaml_mark_t line_start = pm;
    line_start.index -= std::min(pm.index, pm.column);
    line_start.column = 0;
    const std::string_view before = pos_.from(line_start).substr(0, pos_.byte_offset(pm.index) -
                                                                       pos_.byte_offset(line_start.index));
    if (before.find_first_not_of(" \t") == std::string_view::npos)
      return at(pm, "tab character used for indentation (YAML indentation must use spaces)");
    return at(pm, "tab character where YAML needs a space (after '- ', '? ' and in indentation, use spaces)");
  }

  Failure parser_error(const std::string& problem, const std::string& context) {
    const yaml_parser_t& p = parser_.p;
    const yaml_mark_t& pm = p.problem_mark;
    const yaml_mark_t& cm = p.context_mark;
    const std::string_view here = pos_.from(pm);
    const std::string what = shown_char(here);
    const std::string opened =
        "opened at line " + std::to_string(cm.line + 1) + ", column " + std::to_string(pos_.at(cm).second);
    if (problem == "did not find expected key" || problem == "did not find expected '-' indicator") {
      if (std::optional<Failure> f = block_scalar_indentation(pm)) return *f;
    }
    if (problem == "did not find expected key") {
      if (context == "while parsing a flow mapping")
        return at(pm, "expected a key or '}' in the flow mapping " + opened + ", found " + what);
      const int expected = pos_.at(cm).second;
      if (last_.what && last_.end_line == pm.line)
        return at(pm, "unexpected " + what + " after " + last_.what + " (only a comment may follow on its line)");
      if (pos_.at(pm).second != expected) {
        return at(pm, "bad indentation of a mapping entry: expected column " + std::to_string(expected) +
                          " like the keys above");
      }
      if (here.size() >= 1 && here[0] == '-' && (here.size() == 1 || is_blank(here[1]) || here[1] == '\n' ||
                                                  here[1] == '\r')) {
        return at(pm, "a sequence entry ('- ') where a mapping key was expected: check the indentation");
      }
      return at(pm, "expected a mapping entry `key: value`, found " + what);
    }
    if (problem == "did not find expected '-' indicator") {
      const int expected = pos_.at(cm).second;
      if (pos_.at(pm).second > expected) {
        return at(pm, "bad indentation of a sequence entry: expected '- ' at column " + std::to_string(expected));
      }
      return at(pm, "expected '- ' at column " + std::to_string(expected) +
                        " like the entries above (check the indentation of this line)");
    }
    if (problem == "did not find expected ',' or ']'" || problem == "did not find expected ',' or '}'") {
      const bool seq = problem.back() == '\'' && problem[problem.size() - 2] == ']';
      const char* name = seq ? "sequence" : "mapping";
      const char close = seq ? ']' : '}';
      if (at_end_of_document(here, pm.column == 0))
        return at(cm, std::string("unterminated flow ") + name + ": add the closing '" + close + "'");
      return at(pm, std::string("expected ',' or '") + close + "' in the flow " + name + " " + opened +
                        ", found " + what);
    }
    if (problem == "did not find expected node content") {
      if (here.size() >= 1 && here[0] == '-' && (here.size() == 1 || is_blank(here[1])))
        return at(pm, "block sequence entries ('- ') are not allowed inside [ ] or { }");
      if (context == "while parsing a block node")
        return at(pm, "expected a value, found " + what + " (check the indentation of this line)");
      return at(pm, "expected a value, found " + what);
    }
    if (problem == "did not find expected <document start>")
      return at(pm, "content after the end of the top-level node (check the indentation of this line)");
    return libyaml_text(problem, context);
  }

  // A block scalar takes its indentation from its first lines, blank ones included: a line of
  // spaces longer than the text's indentation (an editor's leftover) ends the scalar early and the
  // text after it is reported as bad indentation. Psych reads it the same way; say why.
  std::optional<Failure> block_scalar_indentation(const yaml_mark_t& pm) {
    if (!block_.valid || block_.end_line != pm.line) return std::nullopt;
    std::string_view rest = pos_.from(block_.start);
    std::size_t line = block_.start.line + 1;  // 1-based number of the line `rest` is on
    std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(nl + 1);
    const int text_indent = pos_.at(pm).second - 1;
    while (!rest.empty()) {
      ++line;
      nl = rest.find('\n');
      std::string_view l = rest.substr(0, nl);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.find_first_not_of(' ') != std::string_view::npos) break;  // the first line with text
      if (static_cast<int>(l.size()) > text_indent) {
        return at(pm, "bad indentation: line " + std::to_string(line) + " holds only " + std::to_string(l.size()) +
                          " spaces, more than the text of the block scalar at line " +
                          std::to_string(block_.start.line + 1) +
                          ", which sets the scalar's indentation and ends it here; remove those spaces");
      }
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
    return std::nullopt;
  }

  // Any other libyaml problem, in libyaml's words with its context.
  Failure libyaml_text(const std::string& problem, const std::string& context) {
    const yaml_parser_t& p = parser_.p;
    std::string message = problem;
    if (!context.empty()) {
      const auto [line, column] = pos_.at(p.context_mark);
      message += " (" + context + " at line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
    }
    return at(p.problem_mark, message);
  }
};

}  // namespace

bool parse(std::string_view text, Node* out, ParseError* error, bool* has_document) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  bool present = false;
  try {
    Reader reader(text);
    *out = reader.read(&present);
  } catch (const Failure& f) {
    if (error) {
      error->line = f.line;
      error->column = f.column;
      error->message = f.message;
    }
    return false;
  }
  if (has_document) *has_document = present;
  return true;
}

}  // namespace sluice::yaml
