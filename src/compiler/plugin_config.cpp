// Typed access to a plugin's validated options. The validator has already coerced every value to
// its schema type (compiler/validate.cpp), so these getters only convert between equivalent forms;
// an absent option is a schema bug (a required option without `req()` or a missing default) and is
// reported as a PluginConfigError naming the option.
#include "sluice/plugin.hpp"

#include <charconv>
#include <cmath>

namespace sluice {
namespace {

[[noreturn]] void missing(std::string_view name, const PluginConfig& cfg) {
  throw PluginConfigError(std::string(name), "Option '" + std::string(name) + "' of the " + cfg.plugin_name + " " +
                                                 to_string(cfg.kind) + " plugin has no value");
}

[[noreturn]] void wrong(std::string_view name, const ConfigValue& v, const char* expected) {
  throw PluginConfigError(std::string(name), "Option '" + std::string(name) + "' must be " + expected + ", got " +
                                                 v.to_display());
}

}  // namespace

bool PluginConfig::has(std::string_view name) const {
  auto it = values.find(name);
  return it != values.end() && it->second.kind != ConfigValue::Kind::Null;
}

const ConfigValue* PluginConfig::get(std::string_view name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.kind == ConfigValue::Kind::Null) return nullptr;
  return &it->second;
}

std::string PluginConfig::string(std::string_view name) const {
  const ConfigValue* v = get(name);
  if (!v) missing(name, *this);
  return v->to_plain_string();
}

std::string PluginConfig::string_or(std::string_view name, std::string dflt) const {
  const ConfigValue* v = get(name);
  return v ? v->to_plain_string() : std::move(dflt);
}

int64_t PluginConfig::integer(std::string_view name) const {
  const ConfigValue* v = get(name);
  if (!v) missing(name, *this);
  switch (v->kind) {
    case ConfigValue::Kind::Integer: return v->integer;
    case ConfigValue::Kind::Float:
      if (!std::isfinite(v->number)) wrong(name, *v, "a number");
      return static_cast<int64_t>(v->number);  // Ruby's Float#to_i truncates
    case ConfigValue::Kind::String: {
      int64_t out = 0;
      const std::string& s = v->string;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc() && p == s.data() + s.size()) return out;
      wrong(name, *v, "an integer");
    }
    default: wrong(name, *v, "an integer");
  }
}

double PluginConfig::number(std::string_view name) const {
  const ConfigValue* v = get(name);
  if (!v) missing(name, *this);
  switch (v->kind) {
    case ConfigValue::Kind::Integer: return static_cast<double>(v->integer);
    case ConfigValue::Kind::Float: return v->number;
    case ConfigValue::Kind::String: {
      double out = 0;
      const std::string& s = v->string;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc() && p == s.data() + s.size()) return out;
      wrong(name, *v, "a number");
    }
    default: wrong(name, *v, "a number");
  }
}

bool PluginConfig::boolean(std::string_view name) const {
  const ConfigValue* v = get(name);
  if (!v) missing(name, *this);
  if (v->kind == ConfigValue::Kind::Bool) return v->boolean;
  if (v->kind == ConfigValue::Kind::String) {
    if (v->string == "true") return true;
    if (v->string == "false") return false;
  }
  wrong(name, *v, "a boolean");
}

std::vector<std::string> PluginConfig::strings(std::string_view name) const {
  std::vector<std::string> out;
  const ConfigValue* v = get(name);
  if (!v) return out;
  if (v->kind == ConfigValue::Kind::Array) {
    out.reserve(v->array.size());
    for (const ConfigValue& item : v->array) out.push_back(item.to_plain_string());
  } else {
    out.push_back(v->to_plain_string());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> PluginConfig::string_pairs(std::string_view name) const {
  std::vector<std::pair<std::string, std::string>> out;
  const ConfigValue* v = get(name);
  if (!v) return out;
  if (v->kind == ConfigValue::Kind::Hash) {
    out.reserve(v->hash.size());
    for (const auto& [k, val] : v->hash) out.emplace_back(k.to_plain_string(), val.to_plain_string());
  } else if (v->kind == ConfigValue::Kind::Array) {
    // Logstash's flat-array form: ["k1", "v1", "k2", "v2"].
    for (std::size_t i = 0; i + 1 < v->array.size(); i += 2) {
      out.emplace_back(v->array[i].to_plain_string(), v->array[i + 1].to_plain_string());
    }
  } else {
    wrong(name, *v, "a hash");
  }
  return out;
}

}  // namespace sluice
