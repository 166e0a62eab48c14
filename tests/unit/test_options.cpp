// Options<Config>: the schema a declaration produces, and how fill() converts validated values into
// the members of the config struct.
#include "sluice/options.hpp"

#include <catch2/catch.hpp>

using namespace sluice;

namespace {

struct Config {
  std::string name = "dflt";
  int64_t count = 0;
  double ratio = 0;
  bool on = false;
  std::optional<std::string> maybe;
  std::optional<bool> given_only;
  FieldRef field;
  std::optional<FieldRef> target;
  std::vector<FieldRef> fields;
  std::vector<std::string> list;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, ConfigValue>> raw;
  std::string level = "low";
  int custom = 0;
};

ConfigValue str(std::string s) { return ConfigValue::make_string(std::move(s)); }
ConfigValue strs(std::vector<std::string> items) {
  std::vector<ConfigValue> v;
  for (auto& s : items) v.push_back(str(std::move(s)));
  return ConfigValue::make_array(std::move(v));
}
ConfigValue written(ConfigValue v) {
  v.loc.line = 3;
  v.loc.column = 5;
  return v;
}

Options<Config> declaration() {
  Options<Config> o;
  o.add("name", OptionType::String, &Config::name).def_str("dflt").describe("A name.");
  o.add("count", OptionType::Number, &Config::count).def_int(0);
  o.add("ratio", OptionType::Number, &Config::ratio);
  o.add("on", OptionType::Boolean, &Config::on).def_bool(false);
  o.add("maybe", OptionType::String, &Config::maybe);
  o.add_given("given_only", OptionType::Boolean, &Config::given_only).def_bool(true);
  o.add("field", OptionType::String, &Config::field).def_str("message");
  o.add("target", OptionType::FieldReference, &Config::target);
  o.add("fields", OptionType::Array, &Config::fields);
  o.add("list", OptionType::Array, &Config::list).def_empty_array();
  o.add("headers", OptionType::Hash, &Config::headers).def_empty_hash();
  o.add("raw", OptionType::Hash, &Config::raw);
  o.add(opt_one_of("level", {"low", "high"}), &Config::level).def_str("low");
  o.add("custom", OptionType::String, [](Config& c, const ConfigValue& v) {
    if (v.to_plain_string() != "x") throw PluginConfigError("custom", "custom must be x");
    c.custom = 42;
  });
  o.declare("ignored", OptionType::Number).def_int(7).deprecated("Remove it.");
  o.declare(opt_one_of("mode", {"a", "b"})).def_str("a");
  return o;
}

// A PluginConfig as the compiler makes it: the schema's defaults, then the given values.
PluginConfig config(const Options<Config>& o, std::vector<std::pair<std::string, ConfigValue>> given) {
  PluginConfig cfg;
  for (const OptionSpec& s : o.specs())
    if (s.default_value) cfg.values[s.name] = *s.default_value;
  for (auto& [k, v] : given) cfg.values[k] = written(std::move(v));
  return cfg;
}

std::string fill_error(std::vector<std::pair<std::string, ConfigValue>> given) {
  const Options<Config> o = declaration();
  try {
    (void)o.filled(config(o, std::move(given)));
  } catch (const PluginConfigError& e) {
    return e.option + ": " + e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("options: the declaration is the schema, in declaration order", "[options]") {
  const auto specs = declaration().specs();
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"name", "count", "ratio", "on", "maybe", "given_only", "field", "target",
                                          "fields", "list", "headers", "raw", "level", "custom", "ignored", "mode"});
  CHECK(specs[0].description == "A name.");
  CHECK(specs[12].type == OptionType::OneOf);
  CHECK(specs[12].one_of == std::vector<std::string>{"low", "high"});
  CHECK(specs[14].deprecation == Deprecation::Deprecated);
  CHECK(specs[15].one_of == std::vector<std::string>{"a", "b"});
  CHECK(specs[15].default_value->string == "a");
}

TEST_CASE("options: defaults fill the struct, unset options leave it alone", "[options]") {
  const Options<Config> o = declaration();
  const Config c = o.filled(config(o, {}));
  CHECK(c.name == "dflt");
  CHECK(c.count == 0);
  CHECK_FALSE(c.maybe);
  CHECK_FALSE(c.given_only);  // its default is not filled
  CHECK(c.field.text() == "message");
  CHECK_FALSE(c.target);
  CHECK(c.fields.empty());
  CHECK(c.headers.empty());
  CHECK(c.level == "low");
  CHECK(c.custom == 0);
}

TEST_CASE("options: given values are converted by member type", "[options]") {
  const Options<Config> o = declaration();
  std::vector<std::pair<ConfigValue, ConfigValue>> h;
  h.emplace_back(str("a"), str("1"));
  h.emplace_back(str("b"), strs({"x", "y"}));
  const Config c = o.filled(config(
      o, {{"name", str("n")},
          {"count", ConfigValue::make_float(2.9)},  // truncated, as Ruby's Float#to_i
          {"ratio", ConfigValue::make_integer(3)},
          {"on", ConfigValue::make_bool(true)},
          {"maybe", str("")},
          {"given_only", ConfigValue::make_bool(false)},
          {"field", str("[a][b]")},
          {"target", str("[@metadata][t]")},
          {"fields", strs({"x", "[y][z]"})},
          {"list", str("one")},
          {"headers", strs({"k1", "v1", "k2", "v2"})},
          {"raw", ConfigValue::make_hash(h)},
          {"level", str("high")},
          {"custom", str("x")}}));
  CHECK(c.name == "n");
  CHECK(c.count == 2);
  CHECK(c.ratio == 3.0);
  CHECK(c.on);
  CHECK(c.maybe == "");
  CHECK(c.given_only == false);
  CHECK(c.field.path() == std::vector<std::string>{"a", "b"});
  REQUIRE(c.target);
  CHECK(c.target->root() == FieldRef::Root::Metadata);
  REQUIRE(c.fields.size() == 2);
  CHECK(c.fields[1].path() == std::vector<std::string>{"y", "z"});
  CHECK(c.list == std::vector<std::string>{"one"});
  CHECK(c.headers == std::vector<std::pair<std::string, std::string>>{{"k1", "v1"}, {"k2", "v2"}});
  REQUIRE(c.raw.size() == 2);
  CHECK(c.raw[1].first == "b");
  CHECK(c.raw[1].second.kind == ConfigValue::Kind::Array);
  CHECK(c.level == "high");
  CHECK(c.custom == 42);
}

TEST_CASE("options: conversion errors name the option", "[options]") {
  CHECK(fill_error({{"field", str("[a")}}).rfind("field: Invalid field reference '[a' in field: ", 0) == 0);
  CHECK(fill_error({{"fields", strs({"ok", "bad[x]"})}})
            .rfind("fields: Invalid field reference 'bad[x]' in fields", 0) == 0);
  CHECK(fill_error({{"headers", strs({"k1", "v1", "k2"})}}) ==
        "headers: Option 'headers' needs key/value pairs, got [\"k1\", \"v1\", \"k2\"]");
  CHECK(fill_error({{"count", str("many")}}) == "count: Option 'count' must be an integer, got \"many\"");
  CHECK(fill_error({{"on", str("yes")}}) == "on: Option 'on' must be a boolean, got \"yes\"");
  CHECK(fill_error({{"custom", str("y")}}) == "custom: custom must be x");
}

namespace {

struct Built final : Filter {
  Built(std::string n, std::string id) : name(std::move(n)), plugin_id(std::move(id)) {}
  FilterStatus filter(Event&, Emitter&) override { return FilterStatus::Success; }
  std::string name;
  std::string plugin_id;
};

}  // namespace

TEST_CASE("options: add_plugin registers the schema and builds from the filled struct", "[options]") {
  Registry r;
  add_plugin(r, PluginKind::Filter, "built", "A test plugin.", declaration(),
             [](const Config& c, const PluginConfig& cfg) { return std::make_unique<Built>(c.name, cfg.id); });
  const RegistryEntry* e = r.find(PluginKind::Filter, "built");
  REQUIRE(e);
  CHECK(e->schema.description == "A test plugin.");
  CHECK(e->schema.options.size() == 16);
  PluginConfig cfg = config(declaration(), {{"name", str("from config")}});
  cfg.id = "built_1";
  std::unique_ptr<Plugin> p = e->factory(cfg);
  auto* b = dynamic_cast<Built*>(p.get());
  REQUIRE(b);
  CHECK(b->name == "from config");
  CHECK(b->plugin_id == "built_1");
}
