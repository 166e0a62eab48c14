// Command-line parsing with Logstash's flag spellings (logstash-core/lib/logstash/runner.rb):
// both `--flag VALUE` and `--flag=VALUE`, short forms -f -e -t -r -w -b -u -l -n -V -h, and the
// hidden `-S key=value` setting passthrough. Flags that set a Logstash setting are returned by
// setting name; settings::resolve() (src/settings/) validates them together with logstash.yml.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sluice::cli {

struct Options {
  // Settings by Logstash name, in command-line order (-w 4 -> {"pipeline.workers", "4"}; -t ->
  // {"config.test_and_exit", "true"}; -S k=v -> {k, v}). Later ones win.
  std::vector<std::pair<std::string, std::string>> settings;
  bool show_version = false;
  bool show_help = false;
  bool list_plugins = false;
  std::optional<std::string> describe_plugin;
  std::vector<std::string> warnings;  // deprecated aliases (--verbose, --debug, --quiet)
};

// Parses argv[1..]; on a usage error returns false and sets *error (without the "ERROR: " prefix).
bool parse_args(const std::vector<std::string>& args, Options* out, std::string* error);

// The short help printed by -h and after usage errors.
std::string usage();

}  // namespace sluice::cli
