// ${VAR} and ${VAR:default} in settings values, as Logstash's SubstitutionVariables replaces them
// (one pass: a replacement is not scanned again), and the refinement logstash.yml and the
// environment mapping apply to a replaced value (quotes removed, "[a, b]" made a list). There is no
// secret keystore: only the environment is consulted.
#include <optional>

#include "settings/internal.hpp"

namespace sluice::settings::detail {
namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

std::string strip_enclosing(const std::string& s, char c) {
  if (s.size() >= 2 && s.front() == c && s.back() == c) return s.substr(1, s.size() - 2);
  if (s.size() == 1 && s[0] == c) return "";  // Ruby's "'"[1..-2] is ""
  return s;
}

}  // namespace

// Logstash's refinement of a substituted value: enclosing '…' then "…" removed; "[a, 'b']" becomes
// a list of strings (split on commas, trimmed, quotes removed).
Value refine_value(const std::string& out) {
  std::string refined = strip_enclosing(strip_enclosing(out, '\''), '"');
  if (refined.size() >= 2 && refined.front() == '[' && refined.back() == ']') {
    Value list;
    list.kind = Value::Kind::List;
    std::string inner = refined.substr(1, refined.size() - 2);
    // Ruby's String#split(',') drops trailing empty fields.
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      std::size_t comma = inner.find(',', start);
      parts.push_back(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
    for (const std::string& p : parts) {
      list.items.push_back(Value::str(strip_enclosing(strip_enclosing(trim(p), '\''), '"')));
    }
    return list;
  }
  return Value::str(refined);
}

// Logstash's SubstitutionVariables.replace_placeholders on one string: ${NAME} or ${NAME:default},
// one pass (a replacement is not scanned again). With `refine`, a changed value loses enclosing
// quotes and "[a, b]" becomes a list. False + *missing = the first undefined name.
bool substitute(Value* v, bool refine, const std::map<std::string, std::string>& env, std::string* missing) {
  if (v->kind == Value::Kind::List) {
    for (Value& item : v->items) {
      if (!substitute(&item, refine, env, missing)) return false;
    }
    return true;
  }
  if (v->kind != Value::Kind::Str) return true;
  const std::string& s = v->text;
  std::string out;
  bool found = false;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{' && i + 2 < s.size() && is_name_start(s[i + 2])) {
      std::size_t j = i + 3;
      while (j < s.size() && is_name_char(s[j])) ++j;
      std::string name = s.substr(i + 2, j - i - 2);
      std::optional<std::string> def;
      std::size_t end = std::string::npos;
      if (j < s.size() && s[j] == '}') {
        end = j;
      } else if (j < s.size() && s[j] == ':') {
        std::size_t close = s.find('}', j + 1);
        if (close != std::string::npos) {
          def = s.substr(j + 1, close - j - 1);
          end = close;
        }
      }
      if (end != std::string::npos) {
        auto it = env.find(name);
        if (it != env.end()) {
          out += it->second;
        } else if (def) {
          out += *def;
        } else {
          *missing = name;
          return false;
        }
        found = true;
        i = end + 1;
        continue;
      }
    }
    out += s[i];
    ++i;
  }
  if (!found) return true;
  if (!refine) {
    v->text = std::move(out);
    return true;
  }
  *v = refine_value(out);
  return true;
}

std::string undefined_variable(const std::string& name, const std::string& setting, const Origin& origin) {
  return "Cannot evaluate `${" + name + "}`. Replacement variable `" + name +
         "` is not defined as an environment variable and there is no default value given (setting \"" +
         setting + "\"" + origin.suffix() + "): set it in the environment or give a default: ${" + name +
         ":value}";
}

}  // namespace sluice::settings::detail
