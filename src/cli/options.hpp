// Command-line parsing with Logstash's flag spellings (logstash-core/lib/logstash/runner.rb):
// both `--flag VALUE` and `--flag=VALUE`, short forms -f -e -t -w -b -u -V -h, and the hidden
// `-S key=value` setting passthrough.
#pragma once

#include "runtime/pipeline.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sluice::cli {

struct Options {
  std::optional<std::string> path_config;    // -f (the last one wins, as in Logstash)
  std::optional<std::string> config_string;  // -e
  bool test_and_exit = false;                // -t
  enum class Debug { Off, Text, Dot } config_debug = Debug::Off;
  bool support_escapes = false;
  PipelineSettings pipeline;
  std::string log_level = "info";
  std::string log_format = "plain";
  bool show_version = false;
  bool show_help = false;
  bool list_plugins = false;
  std::optional<std::string> describe_plugin;
  std::vector<std::string> warnings;  // accepted but unused flags
};

// Parses argv[1..]; on a usage error returns false and sets *error (without the "ERROR: " prefix).
bool parse_args(const std::vector<std::string>& args, Options* out, std::string* error);

// The short help printed by -h and after usage errors.
std::string usage();

// Checks across settings that Logstash makes at start-up (-e with -f, pipeline.ordered).
bool check_settings(const Options& o, std::string* error);

}  // namespace sluice::cli
