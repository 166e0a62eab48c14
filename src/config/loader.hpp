// Config sources: `-f` (files, directories, globs) and `-e` strings, read, parsed file by file and
// ${VAR}-substituted, as Logstash's config/source/local.rb and SubstitutionVariables do.
//
// Typical use (the CLI):
//   Diagnostics diags;
//   auto loaded = load_config(ConfigSource::from_paths({"/etc/sluice/conf.d"}), LoadOptions{}, diags);
//   std::cerr << diags.render();          // warnings (skipped temp files) and errors
//   if (!loaded) return 1;                // any error: nothing is returned
//   compile(loaded->files, ...);          // one ConfigAst per source, in Logstash's order
#pragma once

#include "config/ast.hpp"
#include "config/diagnostics.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

// Looks up the value of a ${NAME}; nullopt when it is not defined.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// getenv(3).
EnvLookup process_environment();

struct ConfigSource {
  std::vector<std::string> paths;     // -f / path.config: each a file, a directory or a glob pattern
  std::optional<std::string> string;  // -e / config.string

  static ConfigSource from_paths(std::vector<std::string> paths) {
    ConfigSource s;
    s.paths = std::move(paths);
    return s;
  }
  static ConfigSource from_string(std::string text) {
    ConfigSource s;
    s.string = std::move(text);
    return s;
  }
};

struct LoadOptions {
  bool support_escapes = false;       // config.support_escapes
  bool substitute_variables = true;   // apply ${VAR} substitution after parsing
  bool add_default_io = true;         // -e: add stdin input / stdout{rubydebug} output when absent
  EnvLookup lookup;                   // empty: process_environment()
};

struct LoadedConfig {
  std::vector<ConfigAst> files;      // one per source, in load order (full path, byte order)
  std::vector<std::string> sources;  // the path of each entry of `files` ("config string" for -e)
};

// Reads, parses and substitutes every source. All errors (of every file) go to `diags`, plus warnings
// for skipped temp files. Returns nullopt if there was any error, including "no files matched" and
// "-f and -e together".
std::optional<LoadedConfig> load_config(const ConfigSource& source, const LoadOptions& options, Diagnostics& diags);

// The files a -f value names, in the order Logstash reads them:
//   * a `file://` prefix is removed;
//   * a directory means its files (`dir/*`: not recursive, dotfiles excluded, subdirectories skipped);
//   * otherwise the value is a glob(3) pattern (brace patterns like `/etc/{a,b}.conf` included);
//   * files whose name ends in `~` are skipped with a warning (editor backups);
//   * the result is sorted by full path in byte order.
// Adds nothing to `diags` when nothing matches; load_config reports that.
std::vector<std::string> expand_config_path(const std::string& spec, Diagnostics& diags);

// The -e rules: the default input / output texts added when `text` has no /input\s*{/ or /output\s*{/
// match (a textual test, so a commented-out block counts, as in Logstash).
inline constexpr std::string_view kDefaultInput = "input { stdin { type => stdin } }";
inline constexpr std::string_view kDefaultOutput = "output { stdout { codec => rubydebug } }";
bool has_block_opening(std::string_view text, std::string_view keyword);

// ${NAME} / ${NAME:default} substitution over a parsed config:
//   * plugin option values: placeholders anywhere inside strings, recursively in arrays, hash values
//     and plugin-valued options (codecs); a result that changed is "refined" as Logstash does
//     (enclosing '…' / "…" removed; `[a, "b"]` becomes an array of strings); hash keys untouched;
//   * conditions: only a string operand that is entirely one placeholder (and such array elements);
//     never /regexp/ literals, never the pattern of =~ / !~.
// An unset variable without a default is an error at the placeholder. Returns false on any error.
bool substitute_variables(ConfigAst& ast, const EnvLookup& lookup, Diagnostics& diags);

}  // namespace sluice::config
