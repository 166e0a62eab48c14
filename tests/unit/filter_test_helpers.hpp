// Helpers for filter unit tests: plugin configs built by hand (as the validator would produce
// them: given options plus schema defaults), events from JSON, field values as compact JSON.
#pragma once

#include <catch2/catch.hpp>

#include "compiler/graph.hpp"
#include "sluice/event.hpp"
#include "sluice/registry.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace filter_test {

using sluice::ConfigValue;

inline ConfigValue S(std::string s) { return ConfigValue::make_string(std::move(s)); }
inline ConfigValue B(bool b) { return ConfigValue::make_bool(b); }
inline ConfigValue I(int64_t i) { return ConfigValue::make_integer(i); }
inline ConfigValue A(std::vector<ConfigValue> v) { return ConfigValue::make_array(std::move(v)); }
inline ConfigValue SA(std::vector<std::string> v) {
  std::vector<ConfigValue> out;
  for (auto& s : v) out.push_back(S(std::move(s)));
  return A(std::move(out));
}
inline ConfigValue H(std::vector<std::pair<std::string, ConfigValue>> kv) {
  std::vector<std::pair<ConfigValue, ConfigValue>> h;
  for (auto& [k, v] : kv) h.emplace_back(S(k), std::move(v));
  return ConfigValue::make_hash(std::move(h));
}
inline ConfigValue HS(std::vector<std::pair<std::string, std::string>> kv) {
  std::vector<std::pair<std::string, ConfigValue>> h;
  for (auto& [k, v] : kv) h.emplace_back(k, S(v));
  return H(std::move(h));
}

using Opts = std::vector<std::pair<std::string, ConfigValue>>;

inline sluice::PluginConfig make_config(const std::string& name, Opts opts) {
  const sluice::RegistryEntry* entry = sluice::Registry::builtin().find(sluice::PluginKind::Filter, name);
  REQUIRE(entry != nullptr);
  sluice::PluginConfig cfg;
  cfg.plugin_name = name;
  cfg.kind = sluice::PluginKind::Filter;
  cfg.id = name + "_test";
  for (auto& [k, v] : opts) cfg.values.insert_or_assign(k, std::move(v));
  for (const auto& o : entry->schema.options) {
    if (o.default_value && !cfg.values.count(o.name)) cfg.values.emplace(o.name, *o.default_value);
  }
  for (const auto& o : sluice::common_options(sluice::PluginKind::Filter)) {
    if (o.default_value && !cfg.values.count(o.name)) cfg.values.emplace(o.name, *o.default_value);
  }
  return cfg;
}

// A filter plus its common decorations, run the way the executor runs a stage.
struct Harness {
  std::unique_ptr<sluice::Filter> filter;
  sluice::FilterDecorations decorations;
  // Events the filter emitted during the last run(), in emit order (decorated when `matched`).
  std::vector<std::unique_ptr<sluice::Event>> emitted;
  sluice::FilterStatus run(sluice::Event& e) {
    struct Collect final : sluice::Emitter {
      Harness& h;
      explicit Collect(Harness& harness) : h(harness) {}
      void emit(std::unique_ptr<sluice::Event> ev, bool matched) override {
        if (matched) h.decorations.apply(*ev);
        h.emitted.push_back(std::move(ev));
      }
    } collect(*this);
    emitted.clear();
    sluice::FilterStatus st = filter->filter(e, collect);
    if (st == sluice::FilterStatus::Success) decorations.apply(e);
    return st;
  }
};

inline Harness make_filter(const std::string& name, Opts opts) {
  sluice::PluginConfig cfg = make_config(name, std::move(opts));
  const sluice::RegistryEntry* entry = sluice::Registry::builtin().find(sluice::PluginKind::Filter, name);
  std::unique_ptr<sluice::Plugin> p = entry->factory(cfg);
  Harness h;
  h.filter.reset(dynamic_cast<sluice::Filter*>(p.release()));
  REQUIRE(h.filter != nullptr);
  h.decorations = sluice::FilterDecorations::from_config(cfg);
  return h;
}

inline std::unique_ptr<sluice::Event> ev(std::string_view json) {
  std::string error;
  auto e = sluice::Event::from_json(json, &error);
  INFO(error);
  REQUIRE(e != nullptr);
  return e;
}

inline sluice::FieldRef ref(std::string_view text) {
  auto r = sluice::FieldRef::parse(text);
  REQUIRE(r.has_value());
  return *r;
}

// The value at `field` as compact JSON, or "<missing>".
inline std::string field(const sluice::Event& e, std::string_view f) {
  const sluice::Value* v = e.get(ref(f));
  if (!v) return "<missing>";
  std::string out;
  sluice::write_json(*v, out);
  return out;
}

inline std::string metadata(const sluice::Event& e) {
  std::string out;
  sluice::write_json(e.metadata(), out);
  return out;
}

}  // namespace filter_test
