// Plugin option schemas: each plugin declares its options; the compiler validates every plugin
// node against its schema before anything runs; `--describe-plugin` and the README table print it.
#pragma once

#include "sluice/config_value.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum class PluginKind { Input, Filter, Output, Codec };
const char* to_string(PluginKind k);  // "input", "filter", "output", "codec"

// Logstash's validator names.
enum class OptionType {
  String, Number, Boolean, Array, Hash, Password, Path, Uri, Bytes, Codec, FieldReference,
  OneOf,  // `:validate => ["a", "b"]`: the value must be one of `one_of`
  Any,    // no validation (Logstash options without :validate)
};
const char* to_string(OptionType t);

enum class Deprecation { None, Deprecated, Obsolete };

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::String;
  std::vector<std::string> one_of;          // OptionType::OneOf
  std::optional<ConfigValue> default_value;  // absent: no default (nil)
  bool required = false;
  bool list = false;  // `:list => true`: a scalar is wrapped into a one-element array
  std::string description;
  Deprecation deprecation = Deprecation::None;
  std::string deprecation_note;  // what to use instead

  // Builder style: opt("source", OptionType::String).req().describe("...")
  OptionSpec& req() { required = true; return *this; }
  OptionSpec& as_list() { list = true; return *this; }
  OptionSpec& def(ConfigValue v) { default_value = std::move(v); return *this; }
  OptionSpec& def_str(std::string s) { return def(ConfigValue::make_string(std::move(s))); }
  OptionSpec& def_int(int64_t i) { return def(ConfigValue::make_integer(i)); }
  OptionSpec& def_num(double d) { return def(ConfigValue::make_float(d)); }
  OptionSpec& def_bool(bool b) { return def(ConfigValue::make_bool(b)); }
  OptionSpec& def_empty_array() { return def(ConfigValue::make_array({})); }
  OptionSpec& def_empty_hash() { return def(ConfigValue::make_hash({})); }
  OptionSpec& describe(std::string d) { description = std::move(d); return *this; }
  OptionSpec& deprecated(std::string note) { deprecation = Deprecation::Deprecated; deprecation_note = std::move(note); return *this; }
  OptionSpec& obsolete(std::string note) { deprecation = Deprecation::Obsolete; deprecation_note = std::move(note); return *this; }
};

inline OptionSpec opt(std::string name, OptionType t) {
  OptionSpec s;
  s.name = std::move(name);
  s.type = t;
  return s;
}
inline OptionSpec opt_one_of(std::string name, std::vector<std::string> values) {
  OptionSpec s = opt(std::move(name), OptionType::OneOf);
  s.one_of = std::move(values);
  return s;
}

struct PluginSchema {
  PluginKind kind = PluginKind::Filter;
  std::string name;
  std::string description;
  std::vector<OptionSpec> options;  // the plugin's own; common options are added by the framework
  bool implemented = true;          // false: schema only, -t accepts it, running it is an error

  const OptionSpec* find(std::string_view option) const;
};

// Options every plugin of a kind has (id, enable_metric; filters: add_field, add_tag,
// remove_field, remove_tag, periodic_flush; inputs: codec, tags, type, add_field; outputs: codec,
// workers; codecs: id, enable_metric).
const std::vector<OptionSpec>& common_options(PluginKind k);

}  // namespace sluice
