// Source locations and config values: the small helpers declared in sluice/config_value.hpp.
#include "sluice/config_value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace sluice {

std::string SourceFile::line_text(uint32_t line) const {
  if (line == 0) return {};
  size_t start = 0;
  for (uint32_t current = 1; current < line; ++current) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  if (end == std::string::npos) end = text.size();
  if (end > start && text[end - 1] == '\r') --end;  // CRLF files: no stray \r in messages
  return text.substr(start, end - start);
}

std::string SourceLoc::describe() const {
  std::string out = file ? file->path : std::string("<unknown>");
  if (line == 0) return out;
  out += ':';
  out += std::to_string(line);
  out += ':';
  out += std::to_string(column);
  return out;
}

ConfigValue::ConfigValue() = default;
ConfigValue::~ConfigValue() = default;
ConfigValue::ConfigValue(const ConfigValue&) = default;
ConfigValue::ConfigValue(ConfigValue&&) noexcept = default;
ConfigValue& ConfigValue::operator=(const ConfigValue&) = default;
ConfigValue& ConfigValue::operator=(ConfigValue&&) noexcept = default;

ConfigValue ConfigValue::make_string(std::string s, SourceLoc l) {
  ConfigValue v;
  v.kind = Kind::String;
  v.string = std::move(s);
  v.loc = std::move(l);
  return v;
}

ConfigValue ConfigValue::make_integer(int64_t i, SourceLoc l) {
  ConfigValue v;
  v.kind = Kind::Integer;
  v.integer = i;
  v.string = std::to_string(i);
  v.loc = std::move(l);
  return v;
}

namespace {

// Shortest round-trip form, always with a fraction or exponent so it reads as a float ("1.0").
std::string format_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

ConfigValue ConfigValue::make_float(double d, SourceLoc l) {
  ConfigValue v;
  v.kind = Kind::Float;
  v.number = d;
  v.string = format_float(d);
  v.loc = std::move(l);
  return v;
}

ConfigValue ConfigValue::make_bool(bool b, SourceLoc l) {
  ConfigValue v;
  v.kind = Kind::Bool;
  v.boolean = b;
  v.loc = std::move(l);
  return v;
}

ConfigValue ConfigValue::make_array(std::vector<ConfigValue> a, SourceLoc l) {
  ConfigValue v;
  v.kind = Kind::Array;
  v.array = std::move(a);
  v.loc = std::move(l);
  return v;
}

ConfigValue ConfigValue::make_hash(std::vector<std::pair<ConfigValue, ConfigValue>> h, SourceLoc l) {
  ConfigValue v;
  v.kind = Kind::Hash;
  v.hash = std::move(h);
  v.loc = std::move(l);
  return v;
}

std::string ConfigValue::to_display() const {
  switch (kind) {
    case Kind::Null:
      return "nil";
    case Kind::Bool:
      return boolean ? "true" : "false";
    case Kind::Integer:
      return std::to_string(integer);
    case Kind::Float:
      return string.empty() ? format_float(number) : string;
    case Kind::String:
      return quote(string);
    case Kind::Array: {
      std::string out = "[";
      for (size_t i = 0; i < array.size(); ++i) {
        if (i) out += ", ";
        out += array[i].to_display();
      }
      return out + "]";
    }
    case Kind::Hash: {
      std::string out = "{";
      for (size_t i = 0; i < hash.size(); ++i) {
        if (i) out += ", ";
        out += hash[i].first.to_display();
        out += " => ";
        out += hash[i].second.to_display();
      }
      return out + "}";
    }
    case Kind::Plugin: {
      if (!plugin) return "<plugin>";
      std::string out = plugin->name + " {";
      for (const auto& a : plugin->attributes) {
        out += ' ';
        out += a.name;
        out += " => ";
        out += a.value.to_display();
      }
      return out + (plugin->attributes.empty() ? "}" : " }");
    }
  }
  return {};
}

std::string ConfigValue::to_plain_string() const {
  switch (kind) {
    case Kind::Null:
      return {};
    case Kind::Bool:
      return boolean ? "true" : "false";
    case Kind::Integer:
      return std::to_string(integer);
    case Kind::Float:
      return string.empty() ? format_float(number) : string;
    case Kind::String:
      return string;
    case Kind::Plugin:
      return plugin ? plugin->name : std::string();
    case Kind::Array:
    case Kind::Hash:
      return to_display();
  }
  return {};
}

const char* ConfigValue::kind_name() const {
  switch (kind) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return "boolean";
    case Kind::Integer:
      return "integer";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "string";
    case Kind::Array:
      return "array";
    case Kind::Hash:
      return "hash";
    case Kind::Plugin:
      return "plugin";
  }
  return "unknown";
}

}  // namespace sluice
