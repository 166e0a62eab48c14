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
//   bool                              Boolean
//   int64_t, int, ...                 Number; a Float is truncated toward zero (Ruby's Float#to_i,
//                                     as Logstash's plugins use a `:number` count)
//   double                            Number
//   FieldRef                          a field reference (String or FieldReference option), parsed;
//                                     a bad one is a PluginConfigError naming the option
//   std::vector<std::string>          an array of scalars, or one scalar
//   std::vector<FieldRef>             an array of field references, or one
//   std::vector<std::pair<std::string, std::string>>   a hash, or Logstash's flat-array form
//   std::vector<std::pair<std::string, ConfigValue>>   the same, each value as given (a list stays
//                                                       a list)
//   ConfigValue                       the value as given
//   std::optional<T>                  T, left empty when the option has neither value nor default
// Anything else takes a converter: add(name, type, [](Config& c, const ConfigValue& v) { ... }),
// which may throw PluginConfigError(name, message).
#pragma once

#include "sluice/config_value.hpp"
#include "sluice/field_ref.hpp"
#include "sluice/plugin.hpp"
#include "sluice/registry.hpp"
#include "sluice/schema.hpp"

#include <cmath>
#include <concepts>
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

inline FieldRef field_ref(const std::string& name, const std::string& text) {
  std::string error;
  std::optional<FieldRef> ref = FieldRef::parse(text, &error);
  if (!ref) throw PluginConfigError(name, "Invalid field reference '" + text + "' in " + name + ": " + error);
  return std::move(*ref);
}

// A hash, or Logstash's flat-array form [k1, v1, k2, v2], as (key, value) pairs in order.
template <class V, class F>
std::vector<std::pair<std::string, V>> pairs(const std::string& name, const ConfigValue& v, F value) {
  using K = ConfigValue::Kind;
  std::vector<std::pair<std::string, V>> out;
  if (v.kind == K::Hash) {
    out.reserve(v.hash.size());
    for (const auto& [k, val] : v.hash) out.emplace_back(k.to_plain_string(), value(val));
  } else if (v.kind == K::Array) {
    if (v.array.size() % 2 != 0)
      throw PluginConfigError(name, "Option '" + name + "' needs key/value pairs, got " + v.to_display());
    for (std::size_t i = 0; i < v.array.size(); i += 2)
      out.emplace_back(v.array[i].to_plain_string(), value(v.array[i + 1]));
  } else {
    wrong(name, v, "a hash");
  }
  return out;
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
    if (v.kind == K::Float && std::isfinite(v.number)) return static_cast<T>(std::trunc(v.number));
    wrong(name, v, "an integer");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.kind == K::Integer) return static_cast<T>(v.integer);
    if (v.kind == K::Float) return static_cast<T>(v.number);
    wrong(name, v, "a number");
  } else if constexpr (std::is_same_v<T, FieldRef>) {
    return field_ref(name, convert<std::string>(name, v));
  } else if constexpr (std::is_same_v<T, std::vector<std::string>> || std::is_same_v<T, std::vector<FieldRef>>) {
    auto item = [&](const ConfigValue& x) {
      if constexpr (std::is_same_v<T, std::vector<FieldRef>>) return field_ref(name, x.to_plain_string());
      else return x.to_plain_string();
    };
    T out;
    if (v.kind == K::Array) {
      out.reserve(v.array.size());
      for (const ConfigValue& x : v.array) out.push_back(item(x));
    } else if (v.kind != K::Hash) {
      out.push_back(item(v));
    } else {
      wrong(name, v, "an array");
    }
    return out;
  } else if constexpr (std::is_same_v<T, std::vector<std::pair<std::string, std::string>>>) {
    return pairs<std::string>(name, v, [](const ConfigValue& x) { return x.to_plain_string(); });
  } else if constexpr (std::is_same_v<T, std::vector<std::pair<std::string, ConfigValue>>>) {
    return pairs<ConfigValue>(name, v, [](const ConfigValue& x) { return x; });
  } else {
    static_assert(sizeof(T) == 0, "no conversion from a config value to this member type; use a converter");
  }
}

}  // namespace options_detail

template <class C>
class Options {
 public:
  // A converter for one option: fills `c` from the option's validated value.
  using Converter = std::function<void(C& c, const ConfigValue& value)>;

  // Declares option `name` of Logstash validator `type`, filling `member`. Returns the spec for the
  // builder calls (def_*, req, describe, deprecated, ...).
  template <class T>
  OptionSpec& add(std::string name, OptionType type, T C::*member) {
    return add(opt(std::move(name), type), member);
  }
  // The same with a spec built elsewhere (an option shared by several plugins).
  template <class T>
  OptionSpec& add(OptionSpec spec, T C::*member) {
    return bind(std::move(spec), Fill::Always, [member](C& c, const std::string& n, const ConfigValue& v) {
      c.*member = options_detail::convert<T>(n, v);
    });
  }
  // Declares option `name`, filled by `convert` (for a member type the list above does not cover).
  template <class F>
    requires std::invocable<F&, C&, const ConfigValue&>
  OptionSpec& add(std::string name, OptionType type, F convert) {
    return bind(opt(std::move(name), type), Fill::Always,
                [f = Converter(std::move(convert))](C& c, const std::string&, const ConfigValue& v) { f(c, v); });
  }
  // `:validate => [..]`: one of `values` (a std::string or std::optional<std::string> member).
  template <class T>
  OptionSpec& add_one_of(std::string name, std::vector<std::string> values, T C::*member) {
    OptionSpec& s = add(std::move(name), OptionType::OneOf, member);
    s.one_of = std::move(values);
    return s;
  }
  // Like add(), but `member` is filled only when the config sets the option: the schema's default
  // is documented and validated, the member stays empty. For an option whose effective default
  // depends on other options (what Logstash's plugins check with `original_params`), e.g. a
  // deprecated spelling that applies only when the new one is not written.
  template <class T>
  OptionSpec& add_given(std::string name, OptionType type, std::optional<T> C::*member) {
    return add_given(opt(std::move(name), type), member);
  }
  template <class T>
  OptionSpec& add_given(OptionSpec spec, std::optional<T> C::*member) {
    return bind(std::move(spec), Fill::WhenGiven, [member](C& c, const std::string& n, const ConfigValue& v) {
      c.*member = options_detail::convert<T>(n, v);
    });
  }
  // An option in the schema that fills nothing (accepted for compatibility, or read by the
  // framework, as `codec` or `ecs_compatibility` on plugins that ignore it).
  OptionSpec& declare(std::string name, OptionType type) { return declare(opt(std::move(name), type)); }
  OptionSpec& declare(OptionSpec spec) { return bind(std::move(spec), Fill::Never, nullptr); }

  std::vector<OptionSpec> specs() const {
    std::vector<OptionSpec> out;
    out.reserve(bound_.size());
    for (const auto& b : bound_) out.push_back(b.spec);
    return out;
  }

  // Fills `c` from the validated options (values set in the config, or defaults).
  void fill(C& c, const PluginConfig& cfg) const {
    for (const auto& b : bound_) {
      if (b.when == Fill::Never) continue;
      const ConfigValue* v = cfg.get(b.spec.name);
      if (!v || v->kind == ConfigValue::Kind::Null) continue;
      // A value the config sets carries its source location; a schema default has none.
      if (b.when == Fill::WhenGiven && v->loc.line == 0) continue;
      b.fill(c, b.spec.name, *v);
    }
  }
  // A struct filled from `cfg`, starting from C's member initialisers.
  C filled(const PluginConfig& cfg) const {
    C c{};
    fill(c, cfg);
    return c;
  }

 private:
  enum class Fill { Always, WhenGiven, Never };
  using FillFn = std::function<void(C&, const std::string&, const ConfigValue&)>;
  struct Bound {
    OptionSpec spec;
    Fill when;
    FillFn fill;
  };
  OptionSpec& bind(OptionSpec spec, Fill when, FillFn fill) {
    bound_.push_back({std::move(spec), when, std::move(fill)});
    return bound_.back().spec;
  }
  std::vector<Bound> bound_;
};

// Registers a plugin whose options are `options`: `make(const C&, const PluginConfig&)` builds an
// instance from the filled struct (and the PluginConfig, for the id, pipeline id, codec factory,
// dead letter queue). For a plugin whose construction is more than its constructor.
template <class C, class F>
  requires std::invocable<const F&, const C&, const PluginConfig&>
void add_plugin(Registry& r, PluginKind kind, std::string name, std::string description, Options<C> options,
                F make) {
  PluginSchema s;
  s.kind = kind;
  s.name = std::move(name);
  s.description = std::move(description);
  s.options = options.specs();
  r.add(std::move(s), [o = std::move(options), make = std::move(make)](
                          const PluginConfig& cfg) -> std::unique_ptr<Plugin> { return make(o.filled(cfg), cfg); });
}

// Registers plugin P, constructed as P(const C&, const PluginConfig&) from the filled config.
template <class P, class C>
void add_plugin(Registry& r, PluginKind kind, std::string name, std::string description, Options<C> options) {
  add_plugin(r, kind, std::move(name), std::move(description), std::move(options),
             [](const C& c, const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
               return std::make_unique<P>(c, cfg);
             });
}

}  // namespace sluice
