// Options declared once, bound to the members of a plugin's config struct.
//
//   struct SplitConfig { std::string field = "message"; std::optional<std::string> target; ... };
//   Options<SplitConfig> o;
//   o.add("field", OptionType::String, &SplitConfig::field).def_str("message").describe("...");
//   add_plugin<SplitFilter>(r, PluginKind::Filter, "split", "description", o);
//
// The declaration is the plugin's schema (validation, coercion, `--describe-plugin`,
// docs/plugins.md) and fills the struct: the compiler validates and coerces the values against the
// OptionSpecs, then fill() converts each value that is set (or has a default) into its member by
// the member's C++ type. The plugin is constructed from the filled struct (and the PluginConfig,
// for its id, pipeline id, codec factory and dead letter queue); it never reads options by name.
//
// Member types and what they take:
//   std::string                       any scalar, as its plain string form
//   bool, int64_t, int, double        Boolean, Number (an Integer into a double, a Float into an
//                                     integer is an error)
//   std::vector<std::string>          an array of scalars, or one scalar
//   std::vector<std::pair<std::string, std::string>>   a hash, or Logstash's flat-array form
//   ConfigValue                       the value as given
//   std::optional<T>                  T, left empty when the option has neither value nor default
#pragma once

#include "sluice/config_value.hpp"
#include "sluice/plugin.hpp"
#include "sluice/registry.hpp"
#include "sluice/schema.hpp"

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sluice {

namespace options_detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

[[noreturn]] inline void wrong(const std::string& name, const ConfigValue& v, const char* want) {
  throw PluginConfigError(name, "Option '" + name + "' must be " + want + ", got " + v.to_display());
}

template <class T>
T convert(const std::string& name, const ConfigValue& v) {
  using K = ConfigValue::Kind;
  if constexpr (is_optional<T>::value) {
    return convert<typename T::value_type>(name, v);
  } else if constexpr (std::is_same_v<T, ConfigValue>) {
    return v;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (v.kind == K::Array || v.kind == K::Hash) wrong(name, v, "a single value");
    return v.to_plain_string();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v.kind != K::Bool) wrong(name, v, "a boolean");
    return v.boolean;
  } else if constexpr (std::is_integral_v<T>) {
    if (v.kind == K::Integer) return static_cast<T>(v.integer);
    if (v.kind == K::Float && std::trunc(v.number) == v.number) return static_cast<T>(v.number);
    wrong(name, v, "an integer");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.kind == K::Integer) return static_cast<T>(v.integer);
    if (v.kind == K::Float) return static_cast<T>(v.number);
    wrong(name, v, "a number");
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    std::vector<std::string> out;
    if (v.kind == K::Array) {
      out.reserve(v.array.size());
      for (const ConfigValue& item : v.array) out.push_back(item.to_plain_string());
    } else if (v.kind != K::Hash) {
      out.push_back(v.to_plain_string());
    } else {
      wrong(name, v, "an array");
    }
    return out;
  } else if constexpr (std::is_same_v<T, std::vector<std::pair<std::string, std::string>>>) {
    T out;
    if (v.kind == K::Hash) {
      for (const auto& [k, val] : v.hash) out.emplace_back(k.to_plain_string(), val.to_plain_string());
    } else if (v.kind == K::Array) {
      for (std::size_t i = 0; i + 1 < v.array.size(); i += 2)
        out.emplace_back(v.array[i].to_plain_string(), v.array[i + 1].to_plain_string());
    } else {
      wrong(name, v, "a hash");
    }
    return out;
  } else {
    static_assert(sizeof(T) == 0, "no conversion from a config value to this member type");
  }
}

}  // namespace options_detail

template <class C>
class Options {
 public:
  // Declares option `name` of Logstash validator `type`, filling `member`. Returns the spec for the
  // builder calls (def_*, req, describe, deprecated, ...).
  template <class T>
  OptionSpec& add(std::string name, OptionType type, T C::*member) {
    bound_.push_back({opt(std::move(name), type), [member](C& c, const std::string& n, const ConfigValue& v) {
                        c.*member = options_detail::convert<T>(n, v);
                      }});
    return bound_.back().spec;
  }
  // `:validate => [..]`: one of `values`.
  OptionSpec& add_one_of(std::string name, std::vector<std::string> values, std::string C::*member) {
    OptionSpec& s = add(std::move(name), OptionType::OneOf, member);
    s.one_of = std::move(values);
    return s;
  }
  // An option in the schema that fills nothing (accepted for compatibility, or read by the
  // framework, as `ecs_compatibility` on plugins that ignore it).
  OptionSpec& declare(std::string name, OptionType type) {
    bound_.push_back({opt(std::move(name), type), nullptr});
    return bound_.back().spec;
  }

  std::vector<OptionSpec> specs() const {
    std::vector<OptionSpec> out;
    out.reserve(bound_.size());
    for (const auto& b : bound_) out.push_back(b.spec);
    return out;
  }

  // Fills `c` from the validated options (values set in the config, or defaults).
  void fill(C& c, const PluginConfig& cfg) const {
    for (const auto& b : bound_) {
      if (!b.fill) continue;
      if (const ConfigValue* v = cfg.get(b.spec.name); v && v->kind != ConfigValue::Kind::Null) b.fill(c, b.spec.name, *v);
    }
  }

 private:
  struct Bound {
    OptionSpec spec;
    std::function<void(C&, const std::string&, const ConfigValue&)> fill;
  };
  std::vector<Bound> bound_;
};

// Registers plugin P, constructed as P(const C&, const PluginConfig&) from the filled config.
template <class P, class C>
void add_plugin(Registry& r, PluginKind kind, std::string name, std::string description, Options<C> options) {
  PluginSchema s;
  s.kind = kind;
  s.name = std::move(name);
  s.description = std::move(description);
  s.options = options.specs();
  r.add(std::move(s), [o = std::move(options)](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    C c;
    o.fill(c, cfg);
    return std::make_unique<P>(c, cfg);
  });
}

}  // namespace sluice
