// Config sources (-f / -e) and ${VAR} substitution.
#include "config/loader.hpp"

#include "config/parser.hpp"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sluice::config {

namespace fs = std::filesystem;

namespace {

// A location for file-level messages: the path, no line.
SourceLoc file_loc(const std::string& path) {
  auto f = std::make_shared<SourceFile>();
  f->path = path;
  SourceLoc l;
  l.file = std::move(f);
  return l;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

std::optional<std::string> read_file(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(file_loc(path), std::string("cannot read config file: ") + std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    diags.error(file_loc(path), "cannot read config file");
    return std::nullopt;
  }
  return std::move(ss).str();
}

std::string absolute_for_sort(const std::string& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

// ---- ${VAR} ----------------------------------------------------------------------------------------

struct Placeholder {
  size_t begin = 0, end = 0;  // [begin, end) in the string
  std::string name;
  std::optional<std::string> fallback;
};

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// The matches of /\$\{(?<name>[a-zA-Z_.][a-zA-Z0-9_.]*)(:(?<default>[^}]*))?\}/, left to right, as gsub
// finds them.
std::vector<Placeholder> find_placeholders(std::string_view s) {
  std::vector<Placeholder> out;
  size_t i = 0;
  while ((i = s.find("${", i)) != std::string_view::npos) {
    size_t j = i + 2;
    if (j < s.size() && is_name_start(s[j])) {
      while (j < s.size() && is_name_char(s[j])) ++j;
      Placeholder p;
      p.begin = i;
      p.name = std::string(s.substr(i + 2, j - i - 2));
      if (j < s.size() && s[j] == '}') {
        p.end = j + 1;
        out.push_back(std::move(p));
        i = j + 1;
        continue;
      }
      if (j < s.size() && s[j] == ':') {
        size_t close = s.find('}', j + 1);
        if (close != std::string_view::npos) {
          p.fallback = std::string(s.substr(j + 1, close - j - 1));
          p.end = close + 1;
          out.push_back(std::move(p));
          i = close + 1;
          continue;
        }
      }
    }
    ++i;
  }
  return out;
}

class Substituter {
 public:
  Substituter(const EnvLookup& lookup, Diagnostics& diags) : lookup_(lookup), diags_(diags) {}

  bool ok() const { return ok_; }

  void statements(std::vector<Statement>& body) {
    for (Statement& st : body) {
      if (st.kind == Statement::Kind::Plugin) {
        plugin(st.plugin);
      } else if (st.branch) {
        for (Clause& c : st.branch->clauses) {
          if (c.condition) condition(*c.condition);
          statements(c.body);
        }
      }
    }
  }

 private:
  void plugin(PluginDecl& p) {
    for (Attribute& a : p.attributes) value(a.value);
  }

  void value(ConfigValue& v) {
    switch (v.kind) {
      case ConfigValue::Kind::String:
        plugin_string(v);
        break;
      case ConfigValue::Kind::Array:
        for (ConfigValue& e : v.array) value(e);
        break;
      case ConfigValue::Kind::Hash:
        for (auto& e : v.hash) value(e.second);
        break;
      case ConfigValue::Kind::Plugin:
        if (v.plugin) plugin(*v.plugin);
        break;
      default:
        break;
    }
  }

  // Where a placeholder sits in the source: found by searching the literal's text from its start, so
  // the caret points at the `${`, not at the opening quote. Falls back to the literal's location.
  SourceLoc placeholder_loc(const SourceLoc& literal, const Placeholder& p) const {
    if (!literal.file || literal.line == 0) return literal;
    const std::string& text = literal.file->text;
    std::string needle = "${" + p.name;
    size_t at = text.find(needle, literal.offset);
    if (at == std::string::npos) return literal;
    SourceLoc l = literal;
    for (size_t i = literal.offset; i < at; ++i) {
      if (text[i] == '\n') {
        ++l.line;
        l.column = 1;
      } else {
        ++l.column;
      }
    }
    l.offset = static_cast<uint32_t>(at);
    return l;
  }

  std::optional<std::string> resolve(const Placeholder& p, const SourceLoc& literal) {
    std::optional<std::string> v = lookup_ ? lookup_(p.name) : std::nullopt;
    if (!v) v = p.fallback;
    if (!v) {
      ok_ = false;
      diags_.error(placeholder_loc(literal, p),
                   "Cannot evaluate `${" + p.name + "}`. Replacement variable `" + p.name +
                       "` is not defined as an environment variable and there is no default value given",
                   {"note: set it in the environment or give a default: ${" + p.name + ":value}"});
    }
    return v;
  }

  static std::string strip_enclosing(std::string s, char c) {
    if (!s.empty() && s.front() == c && s.back() == c) return s.size() >= 2 ? s.substr(1, s.size() - 2) : "";
    return s;
  }
  static std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n\f\v");
    if (b == std::string::npos) return {};
    size_t e = s.find_last_not_of(" \t\r\n\f\v");
    return s.substr(b, e - b + 1);
  }

  // replace_placeholders(value, refine = true).
  void plugin_string(ConfigValue& v) {
    std::vector<Placeholder> found = find_placeholders(v.string);
    if (found.empty()) return;
    std::string out;
    size_t last = 0;
    bool failed = false;
    for (const Placeholder& p : found) {
      out.append(v.string, last, p.begin - last);
      std::optional<std::string> r = resolve(p, v.loc);
      if (!r) failed = true;
      else out += *r;
      last = p.end;
    }
    if (failed) return;
    out.append(v.string, last, std::string::npos);

    std::string refined = strip_enclosing(strip_enclosing(std::move(out), '\''), '"');
    if (refined.size() >= 2 && refined.front() == '[' && refined.back() == ']') {
      // Ruby String#split(','): trailing empty fields are dropped before each part is stripped.
      std::vector<std::string> parts;
      std::string inner = refined.substr(1, refined.size() - 2);
      size_t start = 0;
      while (true) {
        size_t comma = inner.find(',', start);
        parts.push_back(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      while (!parts.empty() && parts.back().empty()) parts.pop_back();
      std::vector<ConfigValue> elems;
      for (const std::string& part : parts)
        elems.push_back(ConfigValue::make_string(strip_enclosing(strip_enclosing(trim(part), '\''), '"'), v.loc));
      SourceLoc loc = v.loc;
      v = ConfigValue::make_array(std::move(elems), std::move(loc));
      return;
    }
    v.string = std::move(refined);
    v.bareword = false;
  }

  // Conditions: a string that is exactly one placeholder.
  void condition_string(Rvalue& r) {
    if (r.kind != Rvalue::Kind::String) return;
    std::vector<Placeholder> found = find_placeholders(r.text);
    if (found.size() != 1 || found[0].begin != 0 || found[0].end != r.text.size()) return;
    std::optional<std::string> v = resolve(found[0], r.loc);
    if (v) r.text = std::move(*v);
  }

  void condition_operand(Rvalue& r) {
    if (r.kind == Rvalue::Kind::String) {
      condition_string(r);
    } else if (r.kind == Rvalue::Kind::Array) {
      for (Rvalue& e : r.elements) condition_string(e);
    }
  }

  void condition(Condition& c) {
    for (Expression& e : c.operands) {
      if (e.group) condition(*e.group);
      switch (e.kind) {
        case Expression::Kind::Match:
        case Expression::Kind::NotMatch:
          condition_operand(e.lhs);  // the pattern is a regexp: never substituted
          break;
        case Expression::Kind::Group:
          break;
        default:
          condition_operand(e.lhs);
          condition_operand(e.rhs);
          break;
      }
    }
  }

  const EnvLookup& lookup_;
  Diagnostics& diags_;
  bool ok_ = true;
};

bool is_ruby_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

bool has_block_opening(std::string_view text, std::string_view keyword) {
  size_t i = 0;
  while ((i = text.find(keyword, i)) != std::string_view::npos) {
    size_t j = i + keyword.size();
    while (j < text.size() && is_ruby_space(text[j])) ++j;
    if (j < text.size() && text[j] == '{') return true;
    ++i;
  }
  return false;
}

std::vector<std::string> expand_config_path(const std::string& spec_in, Diagnostics& diags) {
  std::string spec = spec_in;
  if (spec.rfind("file://", 0) == 0) spec = spec.substr(7);
  std::error_code ec;
  std::string pattern = spec;
  if (fs::is_directory(spec, ec)) pattern = (spec.empty() || spec.back() == '/') ? spec + "*" : spec + "/*";

  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &g);
  std::vector<std::string> matched;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) matched.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);

  std::vector<std::string> files;
  for (const std::string& path : matched) {
    if (fs::is_directory(path, ec)) continue;  // subdirectories are not read
    if (!path.empty() && path.back() == '~') {
      diags.warning(file_loc(path), "NOT reading config file because it is a temp file");
      continue;
    }
    files.push_back(path);
  }
  return files;
}

bool substitute_variables(ConfigAst& ast, const EnvLookup& lookup, Diagnostics& diags) {
  Substituter s(lookup, diags);
  for (Section& section : ast.sections) s.statements(section.body);
  return s.ok();
}

std::optional<LoadedConfig> load_config(const ConfigSource& source, const LoadOptions& options, Diagnostics& diags) {
  LoadedConfig loaded;
  std::vector<std::shared_ptr<SourceFile>> texts;

  if (source.string && !source.paths.empty()) {
    diags.error(SourceLoc{},
                "Settings 'path.config' (-f) and 'config.string' (-e) can't be used simultaneously.");
    return std::nullopt;
  }
  if (source.string) {
    auto f = std::make_shared<SourceFile>();
    f->path = "config string";
    f->text = *source.string;
    texts.push_back(f);
    // Logstash adds the defaults as separate sources, so errors in the string keep their positions.
    if (options.add_default_io && !has_block_opening(f->text, "input")) {
      auto d = std::make_shared<SourceFile>();
      d->path = "default input";
      d->text = std::string(kDefaultInput);
      texts.push_back(d);
    }
    if (options.add_default_io && !has_block_opening(f->text, "output")) {
      auto d = std::make_shared<SourceFile>();
      d->path = "default output";
      d->text = std::string(kDefaultOutput);
      texts.push_back(d);
    }
  } else {
    std::vector<std::pair<std::string, std::string>> files;  // (sort key, path)
    for (const std::string& spec : source.paths) {
      std::vector<std::string> found = expand_config_path(spec, diags);
      if (found.empty()) {
        diags.error(SourceLoc{}, "No config files found in path '" + spec + "'",
                    {"note: -f takes a file, a directory (its files are read, not recursively) or a glob "
                     "pattern such as '/etc/sluice/conf.d/*.conf'"});
      }
      for (std::string& p : found) files.emplace_back(absolute_for_sort(p), std::move(p));
    }
    if (source.paths.empty()) diags.error(SourceLoc{}, "No configuration found in the configured sources.");
    if (diags.has_errors()) return std::nullopt;
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                files.end());
    for (auto& [key, path] : files) {
      std::optional<std::string> text = read_file(path, diags);
      if (!text) continue;
      if (!valid_utf8(*text)) {
        diags.error(file_loc(path), "the config file contains non-ascii characters but is not UTF-8 encoded");
        continue;
      }
      auto f = std::make_shared<SourceFile>();
      f->path = path;
      f->text = std::move(*text);
      texts.push_back(std::move(f));
    }
  }

  EnvLookup lookup = options.lookup ? options.lookup : process_environment();
  ParseOptions parse_options;
  parse_options.support_escapes = options.support_escapes;
  bool ok = !diags.has_errors();
  for (const auto& f : texts) {
    std::optional<ConfigAst> ast = parse_config(f, parse_options, diags);
    if (!ast) {
      ok = false;
      continue;
    }
    if (options.substitute_variables && !substitute_variables(*ast, lookup, diags)) ok = false;
    loaded.sources.push_back(f->path);
    loaded.files.push_back(std::move(*ast));
  }
  if (!ok) return std::nullopt;
  return loaded;
}

}  // namespace sluice::config
