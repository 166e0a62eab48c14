// Config text -> ConfigAst. The grammar (grammar/sluice/grammar.hpp) is run through PEGTL's parse-tree
// builder, which keeps only the nodes listed in `AstSelector` and discards the nodes of alternatives
// that failed; the tree is then converted to the AST with Logstash's value rules (lscl.rb).
// A custom control class tracks the furthest failure for syntax errors and bounds the nesting depth.
#include "config/parser.hpp"

#include "sluice/grammar.hpp"

#include <tao/pegtl/contrib/parse_tree.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace sluice::config {

namespace pg = tao::pegtl;
namespace g = sluice::grammar;

namespace {

using Node = pg::parse_tree::node;

// ---------------------------------------------------------------------------------------------------------
// Parse-tree node selection: the rules the AST builder reads.

template <typename Rule>
struct AstSelector
    : pg::parse_tree::selector<
          Rule,
          pg::parse_tree::store_content::on<
              g::plugin_section, g::plugin_type, g::plugin, g::bare_name, g::dq_string, g::sq_string,
              g::attribute, g::bareword, g::number, g::array, g::hash, g::hashentry, g::regexp, g::branch,
              g::if_clause, g::else_if_clause, g::else_clause, g::condition, g::expression, g::group,
              g::not_group, g::not_selector, g::in_expression, g::not_in_expression, g::compare_expression,
              g::regexp_expression, g::compare_operator, g::regexp_operator, g::boolean_operator, g::selector,
              g::method_call>> {};

// ---------------------------------------------------------------------------------------------------------
// Failure tracking and the nesting guard.

// Where the furthest failure happened, for hints ("hash entries are not separated by commas").
enum class Context { None, Plugin, Hash, Array };

struct NestingTooDeep {
  size_t byte, line, column;
};

struct Tracker {
  bool any = false;
  size_t furthest = 0, line = 1, column = 1;
  std::vector<const char*> expected;  // names of the rules that failed at `furthest`, in attempt order
  Context context = Context::None;    // innermost context of the last named failure at `furthest`
  std::vector<Context> contexts;
  unsigned depth = 0;

  template <typename ParseInput>
  void record(const ParseInput& in, const char* name) {
    const auto& it = in.iterator();
    if (!any || it.byte > furthest) {
      any = true;
      furthest = it.byte;
      line = it.line;
      column = it.column;
      expected.clear();
      context = Context::None;
    } else if (it.byte < furthest) {
      return;
    }
    if (name) {
      if (std::find(expected.begin(), expected.end(), name) == expected.end()) expected.push_back(name);
      context = contexts.empty() ? Context::None : contexts.back();
    }
  }
};

template <typename Rule>
inline constexpr bool kNests = false;
template <> inline constexpr bool kNests<g::plugin> = true;
template <> inline constexpr bool kNests<g::array> = true;
template <> inline constexpr bool kNests<g::hash> = true;
template <> inline constexpr bool kNests<g::branch> = true;
template <> inline constexpr bool kNests<g::group> = true;
template <> inline constexpr bool kNests<g::not_group> = true;
template <> inline constexpr bool kNests<g::method_call> = true;

template <typename Rule>
inline constexpr Context kContext = Context::None;
template <> inline constexpr Context kContext<g::plugin> = Context::Plugin;
template <> inline constexpr Context kContext<g::hash> = Context::Hash;
template <> inline constexpr Context kContext<g::array> = Context::Array;

template <typename Rule>
struct TrackingControl : pg::normal<Rule> {
  template <typename ParseInput>
  static void start(const ParseInput& in, Tracker& t) {
    if constexpr (kNests<Rule>) {
      if (++t.depth > kMaxNestingDepth) {
        const auto& it = in.iterator();
        throw NestingTooDeep{it.byte, it.line, it.column};
      }
    }
    if constexpr (kContext<Rule> != Context::None) t.contexts.push_back(kContext<Rule>);
  }
  template <typename ParseInput>
  static void success(const ParseInput&, Tracker& t) {
    leave(t);
  }
  template <typename ParseInput>
  static void failure(const ParseInput& in, Tracker& t) {
    leave(t);
    t.record(in, g::expected_name<Rule>);
  }

 private:
  static void leave(Tracker& t) {
    if constexpr (kNests<Rule>) --t.depth;
    if constexpr (kContext<Rule> != Context::None) t.contexts.pop_back();
  }
};

// ---------------------------------------------------------------------------------------------------------
// Small text helpers.

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string quote_text(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

// What the parser found at `offset`: "end of input", a word, or one character, quoted.
std::string describe_found(const std::string& text, size_t offset) {
  if (offset >= text.size()) return "end of input";
  char c = text[offset];
  if (c == '\n' || c == '\r') return "end of line";
  if (is_word_char(c)) {
    size_t end = offset;
    while (end < text.size() && is_word_char(text[end]) && end - offset < 40) ++end;
    return quote_text(std::string_view(text).substr(offset, end - offset));
  }
  if (c == '"') return "'\"'";
  return std::string("\"") + c + '"';
}

// A light scan of the text up to `limit` that follows strings and comments, for brace hints.
struct BraceScan {
  std::vector<uint32_t> open_lines;  // lines of the '{' still open at `limit`
  bool stray_close = false;          // a '}' closed nothing (line in stray_line)
  uint32_t stray_line = 0;
  bool in_string = false;  // `limit` is inside a string (started at string_line)
  uint32_t string_line = 0;
  // A line starting with a section keyword while a block was open: the first one seen.
  uint32_t section_in_block_line = 0;
  uint32_t section_in_block_open = 0;  // line of the innermost '{' open at that point
};

BraceScan scan_braces(const std::string& text, size_t limit) {
  BraceScan s;
  uint32_t line = 1;
  bool line_start = true;
  limit = std::min(limit, text.size());
  for (size_t i = 0; i < limit; ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = true;
      continue;
    }
    if (is_space(c)) continue;
    if (line_start && !s.open_lines.empty() && s.section_in_block_line == 0) {
      for (const char* kw : {"input", "filter", "output"}) {
        size_t n = std::strlen(kw);
        if (text.compare(i, n, kw) == 0) {
          size_t j = i + n;
          while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
          if (j < text.size() && (text[j] == '{' || text[j] == '\n' || text[j] == '\r')) {
            s.section_in_block_line = line;
            s.section_in_block_open = s.open_lines.back();
          }
        }
      }
    }
    line_start = false;
    if (c == '#') {
      while (i < limit && text[i] != '\n') ++i;
      --i;  // let the loop see the newline
      continue;
    }
    if (c == '"' || c == '\'') {
      uint32_t start_line = line;
      size_t j = i + 1;
      while (j < limit && text[j] != c) {
        if (text[j] == '\\' && j + 1 < limit && text[j + 1] == c) ++j;
        else if (text[j] == '\n') ++line;
        ++j;
      }
      if (j >= limit) {
        s.in_string = true;
        s.string_line = start_line;
        return s;
      }
      i = j;
      continue;
    }
    if (c == '{') s.open_lines.push_back(line);
    if (c == '}') {
      if (s.open_lines.empty()) {
        if (!s.stray_close) {
          s.stray_close = true;
          s.stray_line = line;
        }
      } else {
        s.open_lines.pop_back();
      }
    }
  }
  return s;
}

bool contains(const std::vector<const char*>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
}

// Cheap hints for the common mistakes, from the text around the failure and what was expected there.
std::vector<std::string> syntax_hints(const std::string& text, const Tracker& t) {
  std::vector<std::string> notes;
  const size_t pos = t.furthest;
  const char here = pos < text.size() ? text[pos] : '\0';
  std::string_view rest = pos < text.size() ? std::string_view(text).substr(pos) : std::string_view();

  // The word that ends right before the failure (skipping blanks), and what precedes it.
  size_t b = pos;
  while (b > 0 && is_space(text[b - 1])) --b;
  size_t word_end = b;
  while (b > 0 && is_word_char(text[b - 1])) --b;
  std::string prev_word = text.substr(b, word_end - b);
  size_t before = b;
  while (before > 0 && is_space(text[before - 1])) --before;
  std::string_view before_word = std::string_view(text).substr(0, before);
  auto ends_with = [](std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
  };
  bool after_operator = ends_with(before_word, "==") || ends_with(before_word, "!=") ||
                        ends_with(before_word, "<") || ends_with(before_word, ">") ||
                        ends_with(before_word, "=~") || ends_with(before_word, "!~") ||
                        (ends_with(before_word, "in") && before >= 2 &&
                         (before == 2 || !is_word_char(text[before - 3])));

  if (here == ',') {
    if (t.context == Context::Hash) {
      notes.push_back("hint: hash entries are not separated by commas: { \"a\" => 1 \"b\" => 2 }");
    } else if (t.context == Context::Plugin || contains(t.expected, "'}'")) {
      notes.push_back("hint: plugin settings are not separated by commas; put each on its own line");
    }
  }
  if (here == ']') {
    size_t p = pos;
    while (p > 0 && is_space(text[p - 1])) --p;
    if (p > 0 && text[p - 1] == ',') notes.push_back("hint: arrays do not take a trailing comma");
  }
  if (here == ':' && contains(t.expected, "'=>'")) {
    notes.push_back("hint: settings are assigned with '=>', not ':'");
  }
  if (here == '=' && contains(t.expected, "'=='") && rest.substr(0, 2) != "==") {
    notes.push_back("hint: use '==' to compare");
  }
  if (contains(t.expected, "'and'")) {
    for (std::string_view op : {"AND", "OR", "XOR", "NAND", "&&", "||", "And", "Or"}) {
      if (rest.substr(0, op.size()) == op) {
        notes.push_back("hint: boolean operators are lowercase and, or, xor, nand");
        break;
      }
    }
    if (rest.substr(0, 3) == "not") notes.push_back("hint: negate with !( ... ) or ![field]; 'not' only appears in 'not in'");
  }
  if (here == '/' && (contains(t.expected, "a string") || contains(t.expected, "a bareword")) &&
      !contains(t.expected, "a /regexp/")) {
    notes.push_back("hint: quote the value; /regexp/ literals are only allowed in conditions");
  }
  if (!prev_word.empty() && contains(t.expected, "'('") && after_operator && !is_word_char(here)) {
    if (prev_word == "true" || prev_word == "false" || prev_word == "nil" || prev_word == "null") {
      notes.push_back("hint: conditions have no boolean or null literals; test the field itself (if [field]) "
                      "or compare with a quoted string: \"" + prev_word + "\"");
    } else {
      notes.push_back("hint: quote the string: \"" + prev_word + "\"");
    }
  }
  if (prev_word.size() == 1 && !(prev_word[0] >= '0' && prev_word[0] <= '9') && ends_with(before_word, "=>") &&
      contains(t.expected, "'{'")) {
    notes.push_back("hint: a bareword value needs at least two characters; quote it: \"" + prev_word + "\"");
  }
  if (prev_word == "elsif" || prev_word == "elif" || rest.substr(0, 5) == "elsif") {
    notes.push_back("hint: write 'else if'");
  }

  BraceScan scan = scan_braces(text, pos);
  if (scan.in_string && pos >= text.size()) {
    notes.push_back("hint: the string starting at line " + std::to_string(scan.string_line) + " is never closed");
  } else if (pos >= text.size() && !scan.open_lines.empty()) {
    notes.push_back("hint: unbalanced braces: the block opened at line " + std::to_string(scan.open_lines.back()) +
                    " is never closed");
  } else if (here == '}' && scan.open_lines.empty()) {
    notes.push_back("hint: unbalanced braces: this '}' closes nothing");
  } else if (scan.section_in_block_line != 0) {
    notes.push_back("hint: possibly unbalanced braces: the block opened at line " +
                    std::to_string(scan.section_in_block_open) + " is still open at line " +
                    std::to_string(scan.section_in_block_line) + ", which looks like the start of a new section");
  }
  return notes;
}

std::string syntax_message(const std::string& text, const Tracker& t) {
  std::string msg;
  if (t.expected.empty()) {
    msg = "syntax error: unexpected " + describe_found(text, t.furthest);
    return msg;
  }
  msg = t.expected.size() == 1 ? "syntax error: expected " : "syntax error: expected one of ";
  for (size_t i = 0; i < t.expected.size(); ++i) {
    if (i) msg += ", ";
    msg += t.expected[i];
  }
  msg += ", found ";
  msg += describe_found(text, t.furthest);
  return msg;
}

// Next offset after `from` where a line starts with a section keyword and '{' follows: where the parser
// resumes after a syntax error. npos if none.
size_t find_resync_point(const std::string& text, size_t from) {
  size_t i = text.find('\n', from);
  while (i != std::string::npos) {
    size_t start = i + 1;
    for (const char* kw : {"input", "filter", "output"}) {
      size_t n = std::strlen(kw);
      if (text.compare(start, n, kw) == 0) {
        size_t j = start + n;
        while (j < text.size() && is_space(text[j])) ++j;
        if (j < text.size() && text[j] == '{') return start;
      }
    }
    i = text.find('\n', start);
  }
  return std::string::npos;
}

// ---------------------------------------------------------------------------------------------------------
// Values.

// Ruby's Integer() / Float() on the grammar's number text. Returns an error message on failure.
std::string convert_number(std::string_view text, ConfigValue& out) {
  if (text.find('.') != std::string_view::npos) {
    if (text.back() == '.') return "invalid value for Float(): \"" + std::string(text) + "\"";
    double d = 0;
    auto res = std::from_chars(text.data(), text.data() + text.size(), d);
    if (res.ec != std::errc() || res.ptr != text.data() + text.size())
      return "invalid value for Float(): \"" + std::string(text) + "\"";
    out.kind = ConfigValue::Kind::Float;
    out.number = d;
    out.string = std::string(text);
    return {};
  }
  bool negative = !text.empty() && text[0] == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  int base = 10;
  if (digits.size() > 1 && digits[0] == '0') {
    base = 8;  // Ruby: a leading zero means octal
    if (digits.find_first_of("89") != std::string_view::npos)
      return "invalid value for Integer(): \"" + std::string(text) + "\"";
  }
  uint64_t magnitude = 0;
  auto res = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  const uint64_t limit = negative ? uint64_t(std::numeric_limits<int64_t>::max()) + 1
                                  : uint64_t(std::numeric_limits<int64_t>::max());
  if (res.ec != std::errc() || magnitude > limit)
    return "integer " + std::string(text) + " is out of range (Sluice integers are 64-bit)";
  out.kind = ConfigValue::Kind::Integer;
  out.integer = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  out.string = std::string(text);
  return {};
}

// Ruby `==` between config values: numbers compare numerically, strings by content (barewords and
// quoted strings alike), arrays element-wise, hashes as key/value sets.
bool values_equal(const ConfigValue& a, const ConfigValue& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind == ConfigValue::Kind::Integer && b.kind == ConfigValue::Kind::Integer) return a.integer == b.integer;
    double x = a.kind == ConfigValue::Kind::Integer ? double(a.integer) : a.number;
    double y = b.kind == ConfigValue::Kind::Integer ? double(b.integer) : b.number;
    return x == y;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ConfigValue::Kind::Null:
      return true;
    case ConfigValue::Kind::Bool:
      return a.boolean == b.boolean;
    case ConfigValue::Kind::String:
      return a.string == b.string;
    case ConfigValue::Kind::Array:
      if (a.array.size() != b.array.size()) return false;
      for (size_t i = 0; i < a.array.size(); ++i)
        if (!values_equal(a.array[i], b.array[i])) return false;
      return true;
    case ConfigValue::Kind::Hash: {
      if (a.hash.size() != b.hash.size()) return false;
      for (const auto& entry : a.hash) {
        auto it = std::find_if(b.hash.begin(), b.hash.end(),
                               [&](const auto& e) { return values_equal(e.first, entry.first); });
        if (it == b.hash.end() || !values_equal(it->second, entry.second)) return false;
      }
      return true;
    }
    case ConfigValue::Kind::Plugin:
      return a.plugin == b.plugin;
    default:
      return false;
  }
}

// Ruby Hash key identity (eql?): same kind and content; 1 and 1.0 are different keys.
bool keys_equal(const ConfigValue& a, const ConfigValue& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == ConfigValue::Kind::Integer) return a.integer == b.integer;
  if (a.kind == ConfigValue::Kind::Float) return a.number == b.number;
  return values_equal(a, b);
}

std::pair<ConfigValue, ConfigValue>* find_key(ConfigValue& hash, const ConfigValue& key) {
  for (auto& e : hash.hash)
    if (keys_equal(e.first, key)) return &e;
  return nullptr;
}

bool array_includes(const ConfigValue& arr, const ConfigValue& v) {
  return std::any_of(arr.array.begin(), arr.array.end(), [&](const ConfigValue& e) { return values_equal(e, v); });
}

ConfigValue wrap_in_array(ConfigValue first) {
  SourceLoc loc = first.loc;
  std::vector<ConfigValue> elems;
  elems.push_back(std::move(first));
  return ConfigValue::make_array(std::move(elems), std::move(loc));
}

// LogStash::Util.hash_merge (used for nested hashes): arrays are merged without duplicates (Ruby `|`).
void hash_merge(ConfigValue& dst, const ConfigValue& src);

void append_unique(ConfigValue& arr, const ConfigValue& v) {
  if (!array_includes(arr, v)) arr.array.push_back(v);
}

// Ruby `a | b`: the elements of a then b, without duplicates.
ConfigValue array_union(const ConfigValue& a, const ConfigValue& b) {
  ConfigValue out = ConfigValue::make_array({}, a.loc);
  for (const auto& e : a.array) append_unique(out, e);
  for (const auto& e : b.array) append_unique(out, e);
  return out;
}

template <bool KeepDuplicates>
void merge_hash_into(ConfigValue& dst, const ConfigValue& src) {
  for (const auto& [key, svalue] : src.hash) {
    auto* entry = find_key(dst, key);
    if (!entry) {
      dst.hash.emplace_back(key, svalue);
      continue;
    }
    ConfigValue& dvalue = entry->second;
    if (dvalue.kind == ConfigValue::Kind::Hash && svalue.kind == ConfigValue::Kind::Hash) {
      hash_merge(dvalue, svalue);
    } else if (svalue.kind == ConfigValue::Kind::Array) {
      if (dvalue.kind != ConfigValue::Kind::Array) dvalue = wrap_in_array(std::move(dvalue));
      if constexpr (KeepDuplicates) {
        dvalue.array.insert(dvalue.array.end(), svalue.array.begin(), svalue.array.end());
      } else {
        dvalue = array_union(dvalue, svalue);
      }
    } else if (dvalue.kind == ConfigValue::Kind::Array) {
      append_unique(dvalue, svalue);
    } else if (!values_equal(dvalue, svalue)) {
      dvalue = wrap_in_array(std::move(dvalue));
      dvalue.array.push_back(svalue);
    }
  }
}

void hash_merge(ConfigValue& dst, const ConfigValue& src) { merge_hash_into<false>(dst, src); }

// Plugin#expr_attributes: a repeated attribute is merged into the first occurrence.
void merge_repeated_attribute(ConfigValue& existing, ConfigValue value) {
  if (existing.kind == ConfigValue::Kind::Hash && value.kind == ConfigValue::Kind::Hash) {
    // hash_merge_many(existing, value): both merged into a fresh hash, keeping duplicates in arrays.
    ConfigValue merged = ConfigValue::make_hash({}, existing.loc);
    merge_hash_into<true>(merged, existing);
    merge_hash_into<true>(merged, value);
    existing = std::move(merged);
  } else if (existing.kind == ConfigValue::Kind::Array) {
    // existing.push(*value): an array value is flattened one level, anything else appended.
    if (value.kind == ConfigValue::Kind::Array) {
      for (auto& e : value.array) existing.array.push_back(std::move(e));
    } else {
      existing.array.push_back(std::move(value));
    }
  } else if (!values_equal(existing, value)) {
    existing = wrap_in_array(std::move(existing));
    existing.array.push_back(std::move(value));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tree -> AST.

class AstBuilder {
 public:
  AstBuilder(std::shared_ptr<const SourceFile> file, const ParseOptions& options, Diagnostics& diags)
      : file_(std::move(file)), options_(options), diags_(diags) {}

  void build_sections(const Node& root, std::vector<Section>& out) {
    for (const auto& child : root.children) {
      if (child->is_type<g::plugin_section>()) out.push_back(section(*child));
    }
  }

  size_t errors() const { return errors_; }

 private:
  SourceLoc loc(const Node& n) const {
    return SourceLoc{file_, static_cast<uint32_t>(n.m_begin.line), static_cast<uint32_t>(n.m_begin.column),
                     static_cast<uint32_t>(n.m_begin.byte)};
  }

  void error(SourceLoc l, std::string message, std::vector<std::string> notes = {}) {
    ++errors_;
    diags_.error(std::move(l), std::move(message), std::move(notes));
  }

  static bool is_string_node(const Node& n) { return n.is_type<g::dq_string>() || n.is_type<g::sq_string>(); }
  static std::string unquote(const Node& n) {
    std::string_view s = n.string_view();
    return std::string(s.substr(1, s.size() - 2));
  }

  Section section(const Node& n) {
    Section s;
    s.loc = loc(n);
    std::string_view type = n.children.at(0)->string_view();
    s.kind = type == "input" ? PluginKind::Input : type == "filter" ? PluginKind::Filter : PluginKind::Output;
    statements(n, 1, s.kind, s.body);
    return s;
  }

  void statements(const Node& n, size_t first, PluginKind kind, std::vector<Statement>& out) {
    for (size_t i = first; i < n.children.size(); ++i) {
      const Node& c = *n.children[i];
      Statement st;
      if (c.is_type<g::plugin>()) {
        st.kind = Statement::Kind::Plugin;
        st.plugin = plugin(c, kind);
      } else if (c.is_type<g::branch>()) {
        st.kind = Statement::Kind::Branch;
        st.branch = std::make_shared<Branch>(branch(c, kind));
      } else {
        continue;
      }
      out.push_back(std::move(st));
    }
  }

  Branch branch(const Node& n, PluginKind kind) {
    Branch b;
    for (const auto& child : n.children) {
      Clause clause;
      clause.loc = loc(*child);
      size_t first = 0;
      if (!child->is_type<g::else_clause>()) {
        clause.condition = condition(*child->children.at(0));
        first = 1;
      }
      statements(*child, first, kind, clause.body);
      b.clauses.push_back(std::move(clause));
    }
    return b;
  }

  // `kind` is the section the plugin is in; plugin values (codecs) are reported as "codec".
  PluginDecl plugin(const Node& n, PluginKind kind) {
    PluginDecl p;
    p.loc = loc(n);
    p.name = std::string(n.children.at(0)->string_view());  // quoted names keep their quotes
    uint32_t codec_line = 0;  // line of the first `codec`, 0 if none yet
    for (size_t i = 1; i < n.children.size(); ++i) {
      const Node& a = *n.children[i];
      const Node& name_node = *a.children.at(0);
      std::string name = is_string_node(name_node) ? unquote(name_node) : std::string(name_node.string_view());
      ConfigValue v = value(*a.children.at(1));
      if (name == "codec") {
        if (codec_line != 0) {
          const char* k = to_string(kind);
          error(loc(name_node),
                std::string("The ") + k + " plugin " + p.name + " at line " + std::to_string(p.loc.line) +
                    " has multiple `codec` declarations - this is not a valid configuration, only one "
                    "top-level `codec` per " + k + " plugin is supported",
                {"note: the first `codec` is at line " + std::to_string(codec_line)});
          continue;
        }
        codec_line = static_cast<uint32_t>(name_node.m_begin.line);
      }
      auto existing = std::find_if(p.attributes.begin(), p.attributes.end(),
                                   [&](const Attribute& x) { return x.name == name; });
      if (existing == p.attributes.end()) {
        p.attributes.push_back(Attribute{std::move(name), loc(name_node), std::move(v)});
      } else {
        merge_repeated_attribute(existing->value, std::move(v));
      }
    }
    return p;
  }

  ConfigValue value(const Node& n) {
    SourceLoc l = loc(n);
    if (n.is_type<g::plugin>()) {
      ConfigValue v;
      v.kind = ConfigValue::Kind::Plugin;
      v.plugin = std::make_shared<PluginDecl>(plugin(n, PluginKind::Codec));
      v.loc = std::move(l);
      return v;
    }
    if (n.is_type<g::bareword>()) {
      ConfigValue v = ConfigValue::make_string(std::string(n.string_view()), std::move(l));
      v.bareword = true;
      return v;
    }
    if (is_string_node(n)) {
      std::string raw = unquote(n);
      return ConfigValue::make_string(options_.support_escapes ? process_escapes(raw) : std::move(raw), std::move(l));
    }
    if (n.is_type<g::number>()) {
      ConfigValue v;
      v.loc = l;
      std::string err = convert_number(n.string_view(), v);
      if (!err.empty()) error(std::move(l), err);
      return v;
    }
    if (n.is_type<g::array>()) {
      std::vector<ConfigValue> elems;
      for (const auto& c : n.children) elems.push_back(value(*c));
      return ConfigValue::make_array(std::move(elems), std::move(l));
    }
    if (n.is_type<g::hash>()) return hash(n);
    return ConfigValue();
  }

  ConfigValue hash(const Node& n) {
    ConfigValue h = ConfigValue::make_hash({}, loc(n));
    // Duplicate detection compares the raw key text, as Logstash does: "a" and a are different keys.
    std::vector<std::string_view> raw_keys;
    std::vector<std::string_view> duplicates;
    const Node* first_duplicate = nullptr;
    for (const auto& entry : n.children) {
      const Node& key_node = *entry->children.at(0);
      std::string_view raw = key_node.string_view();
      if (std::find(raw_keys.begin(), raw_keys.end(), raw) != raw_keys.end()) {
        if (std::find(duplicates.begin(), duplicates.end(), raw) == duplicates.end()) duplicates.push_back(raw);
        if (!first_duplicate) first_duplicate = &key_node;
      }
      raw_keys.push_back(raw);
      ConfigValue key = value(key_node);
      ConfigValue v = value(*entry->children.at(1));
      h.hash.emplace_back(std::move(key), std::move(v));
    }
    if (!duplicates.empty()) {
      std::string keys;
      for (size_t i = 0; i < duplicates.size(); ++i) {
        if (i) keys += ", ";
        keys += duplicates[i];
      }
      error(loc(*first_duplicate), "Duplicate keys found in your configuration: [" + keys + "]",
            {"note: repeated keys in one hash are not merged; remove or rename the repeated entry"});
    }
    return h;
  }

  // ---- conditions -------------------------------------------------------------------------------------

  Condition condition(const Node& n) {
    Condition c;
    c.loc = loc(n);
    for (const auto& child : n.children) {
      if (child->is_type<g::boolean_operator>()) {
        c.operators.emplace_back(child->string_view());
        c.operator_locs.push_back(loc(*child));
      } else {
        c.operands.push_back(expression(*child));
      }
    }
    return c;
  }

  Expression expression(const Node& n) {
    Expression e;
    e.loc = loc(n);
    const Node& inner = *n.children.at(0);
    if (inner.is_type<g::group>()) {
      e.kind = Expression::Kind::Group;
      e.group = std::make_shared<Condition>(condition(*inner.children.at(0)));
    } else if (inner.is_type<g::not_group>()) {
      e.kind = Expression::Kind::Not;
      e.group = std::make_shared<Condition>(condition(*inner.children.at(0)));
    } else if (inner.is_type<g::not_selector>()) {
      e.kind = Expression::Kind::Not;
      e.lhs = rvalue(*inner.children.at(0));
    } else if (inner.is_type<g::in_expression>() || inner.is_type<g::not_in_expression>()) {
      e.kind = inner.is_type<g::in_expression>() ? Expression::Kind::In : Expression::Kind::NotIn;
      e.lhs = rvalue(*inner.children.at(0));
      e.rhs = rvalue(*inner.children.at(1));
    } else if (inner.is_type<g::compare_expression>()) {
      e.kind = Expression::Kind::Compare;
      e.lhs = rvalue(*inner.children.at(0));
      e.op = std::string(inner.children.at(1)->string_view());
      e.rhs = rvalue(*inner.children.at(2));
    } else if (inner.is_type<g::regexp_expression>()) {
      e.lhs = rvalue(*inner.children.at(0));
      e.kind = inner.children.at(1)->string_view() == "=~" ? Expression::Kind::Match : Expression::Kind::NotMatch;
      e.op = std::string(inner.children.at(1)->string_view());
      e.rhs = rvalue(*inner.children.at(2));
    } else {
      e.kind = Expression::Kind::Value;
      e.lhs = rvalue(inner);
    }
    return e;
  }

  Rvalue rvalue(const Node& n) {
    Rvalue r;
    r.loc = loc(n);
    if (is_string_node(n)) {
      r.kind = Rvalue::Kind::String;
      r.text = unquote(n);
    } else if (n.is_type<g::number>()) {
      r.kind = Rvalue::Kind::Number;
      r.text = std::string(n.string_view());
      ConfigValue scratch;
      std::string err = convert_number(r.text, scratch);
      if (!err.empty()) error(r.loc, err);
    } else if (n.is_type<g::selector>()) {
      r.kind = Rvalue::Kind::Selector;
      r.text = std::string(n.string_view());
    } else if (n.is_type<g::regexp>()) {
      r.kind = Rvalue::Kind::Regexp;
      r.text = unquote(n);
    } else if (n.is_type<g::method_call>()) {
      r.kind = Rvalue::Kind::MethodCall;
      r.text = std::string(n.children.at(0)->string_view());
      for (size_t i = 1; i < n.children.size(); ++i) r.elements.push_back(rvalue(*n.children[i]));
    } else if (n.is_type<g::array>()) {
      // Condition arrays hold config values (the grammar reuses `array`): barewords become strings.
      r.kind = Rvalue::Kind::Array;
      for (const auto& c : n.children) r.elements.push_back(array_element(*c));
    } else if (n.is_type<g::bareword>()) {
      r.kind = Rvalue::Kind::String;
      r.text = std::string(n.string_view());
    }
    return r;
  }

  Rvalue array_element(const Node& n) {
    if (n.is_type<g::hash>() || n.is_type<g::plugin>()) {
      error(loc(n), std::string(n.is_type<g::hash>() ? "a hash" : "a plugin") +
                        " is not supported inside an array in a condition");
      Rvalue r;
      r.loc = loc(n);
      return r;
    }
    return rvalue(n);
  }

  std::shared_ptr<const SourceFile> file_;
  const ParseOptions& options_;
  Diagnostics& diags_;
  size_t errors_ = 0;
};

}  // namespace

std::string process_escapes(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    // Ruby's /\\./ : the escaped character is anything but a newline.
    if (c != '\\' || i + 1 >= raw.size() || raw[i + 1] == '\n') {
      out += c;
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case '\\':
      case '"':
      case '\'':
        out += e;
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      default:
        out += '\\';
        out += e;
        break;
    }
  }
  return out;
}

std::optional<ConfigAst> parse_config(std::shared_ptr<const SourceFile> source, const ParseOptions& options,
                                      Diagnostics& diags) {
  const std::string& text = source->text;
  AstBuilder builder(source, options, diags);
  ConfigAst ast;
  ast.source = source;
  bool syntax_ok = true;

  // Parse from `start` (offset, line, column); after a syntax error continue at the next section start.
  size_t start = 0, start_line = 1;
  while (true) {
    Tracker tracker;
    pg::memory_input<> in(text.data() + start, text.data() + text.size(), source->path, start, start_line, 1);
    std::unique_ptr<Node> root;
    try {
      root = pg::parse_tree::parse<g::config, Node, AstSelector, pg::nothing, TrackingControl>(in, tracker);
    } catch (const NestingTooDeep& deep) {
      diags.error(SourceLoc{source, static_cast<uint32_t>(deep.line), static_cast<uint32_t>(deep.column),
                            static_cast<uint32_t>(deep.byte)},
                  "nesting deeper than " + std::to_string(kMaxNestingDepth) + " levels");
      return std::nullopt;
    }
    if (root) {
      std::vector<Section> sections;
      builder.build_sections(*root, sections);
      if (syntax_ok) ast.sections = std::move(sections);
      break;
    }
    syntax_ok = false;
    SourceLoc at{source, static_cast<uint32_t>(tracker.line), static_cast<uint32_t>(tracker.column),
                 static_cast<uint32_t>(tracker.furthest)};
    diags.error(std::move(at), syntax_message(text, tracker), syntax_hints(text, tracker));
    size_t next = find_resync_point(text, tracker.furthest);
    if (next == std::string::npos) break;
    start_line += static_cast<size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(start),
                                                 text.begin() + static_cast<std::ptrdiff_t>(next), '\n'));
    start = next;
  }
  if (!syntax_ok || builder.errors() > 0) return std::nullopt;
  return ast;
}

std::optional<ConfigAst> parse_config_text(std::string text, std::string path, const ParseOptions& options,
                                           Diagnostics& diags) {
  auto file = std::make_shared<SourceFile>();
  file->path = std::move(path);
  file->text = std::move(text);
  return parse_config(std::move(file), options, diags);
}

}  // namespace sluice::config
