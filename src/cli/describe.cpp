#include "cli/describe.hpp"

#include "compiler/validate.hpp"
#include "config/diagnostics.hpp"

#include <algorithm>

namespace sluice::cli {
namespace {

std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

// A default on one line: control characters (the line codec's "\n" delimiter) are escaped.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

std::string type_text(const OptionSpec& o) {
  std::string t = o.type == OptionType::OneOf ? "one of: " : to_string(o.type);
  if (o.type == OptionType::OneOf) {
    for (std::size_t i = 0; i < o.one_of.size(); ++i) t += (i ? "|" : "") + o.one_of[i];
  }
  return o.list ? "list of " + t : t;
}

std::string describe_one(const RegistryEntry& e) {
  const PluginSchema& s = e.schema;
  std::string out = std::string(to_string(s.kind)) + " " + s.name;
  if (!s.implemented) out += "  (schema only: accepted by -t, not runnable in this build)";
  out += "\n";
  if (!s.description.empty()) out += "  " + s.description + "\n";
  out += "\n";
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"option", "type", "default", "required", "description"});
  for (const OptionSpec* o : compiler::all_options(s)) {
    std::string desc = o->description;
    if (o->deprecation == Deprecation::Deprecated) desc += " [deprecated" + (o->deprecation_note.empty() ? "" : ": " + o->deprecation_note) + "]";
    if (o->deprecation == Deprecation::Obsolete) desc += " [obsolete" + (o->deprecation_note.empty() ? "" : ": " + o->deprecation_note) + "]";
    bool common = s.find(o->name) == nullptr;
    if (common) desc += " (common option)";
    rows.push_back({o->name, type_text(*o), o->default_value ? one_line(o->default_value->to_display()) : "-",
                    o->required ? "yes" : "no", desc});
  }
  std::vector<std::size_t> w(4, 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < 4; ++i) w[i] = std::max(w[i], std::min<std::size_t>(r[i].size(), 40));
  }
  for (const auto& r : rows) {
    out += "  ";
    for (std::size_t i = 0; i < 4; ++i) out += pad(r[i], w[i]) + "  ";
    out += r[4] + "\n";
  }
  return out;
}

}  // namespace

std::string list_plugins(const Registry& r) {
  std::string out;
  for (PluginKind k : {PluginKind::Input, PluginKind::Filter, PluginKind::Output, PluginKind::Codec}) {
    out += std::string(to_string(k)) + "s:\n";
    for (const RegistryEntry* e : r.entries(k)) {
      out += "  " + pad(e->schema.name, 16) + (e->schema.name.size() >= 16 ? " " : "");
      if (!e->schema.implemented) out += "(schema only) ";
      out += e->schema.description + "\n";
    }
  }
  return out;
}

bool describe_plugin(const Registry& r, const std::string& spec, std::string* out, std::string* error) {
  std::string name = spec;
  std::optional<PluginKind> kind;
  if (auto slash = spec.find('/'); slash != std::string::npos) {
    std::string k = spec.substr(0, slash);
    name = spec.substr(slash + 1);
    for (PluginKind c : {PluginKind::Input, PluginKind::Filter, PluginKind::Output, PluginKind::Codec}) {
      if (k == to_string(c) || k == std::string(to_string(c)) + "s") kind = c;
    }
    if (!kind) {
      *error = "Unknown plugin kind '" + k + "' (use input, filter, output or codec)";
      return false;
    }
  }
  std::vector<const RegistryEntry*> matches;
  std::vector<std::string> names;
  for (const RegistryEntry* e : r.all()) {
    names.push_back(e->schema.name);
    if (e->schema.name == name && (!kind || e->schema.kind == *kind)) matches.push_back(e);
  }
  if (matches.empty()) {
    *error = "Unknown plugin '" + spec + "'";
    auto close = config::suggest(name, names);
    if (!close.empty()) *error += "; did you mean '" + close.front() + "'?";
    return false;
  }
  out->clear();
  for (std::size_t i = 0; i < matches.size(); ++i) {
    if (i) *out += "\n";
    *out += describe_one(*matches[i]);
  }
  return true;
}

}  // namespace sluice::cli
