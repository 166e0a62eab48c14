// Validation of plugin declarations against their schemas, with Logstash's coercions
// (logstash-core/lib/logstash/config/mixin.rb `validate_value`): every error is reported with its
// source location into a Diagnostics; nothing stops at the first error.
#pragma once

#include "config/ast.hpp"
#include "config/diagnostics.hpp"
#include "sluice/registry.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::compiler {

// The outcome of validating one plugin declaration.
struct ValidatedPlugin {
  const RegistryEntry* entry = nullptr;  // nullptr: unknown plugin
  PluginKind kind = PluginKind::Filter;
  std::string name;
  SourceLoc loc;
  // Every option with a value: given (coerced to the schema type) or defaulted.
  std::map<std::string, ConfigValue, std::less<>> values;
  // Locations of the options given in the config (for errors raised later by the factory).
  std::map<std::string, SourceLoc, std::less<>> option_locs;
  // The validated `codec` option (inputs, outputs): a name or an inline `codec => json { ... }`.
  std::shared_ptr<ValidatedPlugin> codec;
  bool ok = false;  // no error was reported for this plugin (or its codec)
};

// Every option a plugin of this schema accepts: its own, then the common options of its kind that
// it does not redefine (a plugin may change a common option's default, e.g. stdout's codec).
std::vector<const OptionSpec*> all_options(const PluginSchema& schema);

// Validates `decl` as a plugin of `kind`. Unknown plugins, unknown/obsolete options, type errors
// and missing required options are errors; deprecated options are warnings.
ValidatedPlugin validate_plugin(const PluginDecl& decl, PluginKind kind, const Registry& registry,
                                config::Diagnostics& diags);

// Coerces one value to an option's type (mixin.rb `validate_value`). On failure returns false and
// sets *message to what was expected ("expected number, got \"abc\"").
bool coerce_value(const OptionSpec& spec, const ConfigValue& given, ConfigValue* out, std::string* message);

// Parses Logstash's byte sizes: an integer, or a number with an SI (kB = 1000) or binary
// (KiB = 1024) unit, case-insensitive, optional space ("10mb", "10 MiB", "512kib").
bool parse_bytes(const std::string& text, int64_t* out);

// Logstash merges repeated attributes of one plugin (lscl.rb `map_expr_attributes`): hashes
// deep-merge, arrays are extended, different scalars become a list. Returns the merged
// attributes in first-occurrence order; a second `codec` in an input or output is an error.
std::vector<Attribute> merge_attributes(const PluginDecl& decl, PluginKind kind, config::Diagnostics& diags);

// Walks every plugin of every file (inputs, filters, outputs, including those under conditionals)
// and validates it; also reports explicit ids used more than once across the pipeline.
void validate_pipeline(const std::vector<config::ConfigAst>& asts, const Registry& registry,
                       config::Diagnostics& diags);

// Visits every plugin declaration of the ASTs in source order.
void for_each_plugin(const std::vector<config::ConfigAst>& asts,
                     const std::function<void(const PluginDecl&, PluginKind)>& fn);

// Reports explicit `id`s used by more than one plugin (Logstash: "Config has duplicate Ids").
void check_duplicate_ids(const std::vector<config::ConfigAst>& asts, config::Diagnostics& diags);

}  // namespace sluice::compiler
