// Node and pipeline settings as Logstash resolves them: defaults < logstash.yml < environment
// (the Docker image's env2yaml mapping, when enabled) < command line; then pipelines.yml entries
// overlay the result per pipeline (used only when neither -f/-e nor path.config/config.string is
// set). One table (table.cpp) declares every known setting with its type, default and
// validation; logstash.yml, -S, the flags, the environment and pipelines.yml all go through it.
#pragma once

#include "api/api_settings.hpp"
#include "dlq/dlq_settings.hpp"
#include "queue/queue_settings.hpp"
#include "runtime/pipeline_settings.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sluice::settings {

// One pipeline to run: where its config comes from and how it runs.
struct PipelineSpec {
  PipelineSettings runtime;  // id, workers, batch size/delay, ordered
  std::vector<std::string> path_config;        // -f / path.config (files, dirs, globs)
  std::optional<std::string> config_string;    // -e / config.string
  bool support_escapes = false;
  bool config_debug = false;
  bool reloadable = true;        // pipeline.reloadable
  bool unsafe_shutdown = false;  // pipeline.unsafe_shutdown
  std::string ecs_compatibility = "v8";
  pq::QueueSettings queue;
  dlq::DeadLetterQueueSettings dead_letter_queue;
  // Every explicitly set setting of this pipeline as "name=value" lines, sorted: part of the
  // pipeline's hash (a change reloads it).
  std::string settings_fingerprint;
};

struct NodeSettings {
  std::string path_settings;  // directory of logstash.yml / pipelines.yml ("" = none found)
  std::string path_data;
  std::string path_logs;
  std::string node_name;  // default: hostname
  std::string log_level = "info";
  std::string log_format = "plain";  // plain | json
  bool test_and_exit = false;        // -t
  enum class Debug { Off, Text, Dot } config_debug = Debug::Off;
  bool reload_automatic = false;
  int reload_interval_ms = 3000;
  api::ApiSettings api;
  std::vector<PipelineSpec> pipelines;  // from -f/-e/path.config/config.string, or pipelines.yml
  bool from_pipelines_yml = false;
  std::string pipelines_yml_path;  // the file pipelines came from (for reload and messages)
  std::string path_queue;             // effective path.queue ("" when path.data is unknown)
  std::string path_dead_letter_queue; // effective path.dead_letter_queue
  std::string field_reference_escape_style = "none";  // accepted; Sluice reads field references as `none`
  // The explicitly set pipeline settings of the process level (logstash.yml < environment < command
  // line) as canonical "name" -> "value" pairs: the base every pipelines.yml entry is laid over,
  // kept so that reload_pipelines() sees the start-up settings.
  std::vector<std::pair<std::string, std::string>> pipeline_defaults;
  // Lines to log once start-up logging is configured: settings ignored on purpose (JVM options,
  // xpack.*), deprecations, "Setting 'x' from environment.", "Ignoring the 'pipelines.yml' file...".
  std::vector<std::string> warnings;
  std::vector<std::string> infos;
};

// The raw inputs of resolution: what the command line said and what the process sees.
struct ResolveInput {
  // Settings given on the command line, in order, by Logstash name ("pipeline.workers" for -w).
  std::vector<std::pair<std::string, std::string>> cli;
  // The environment (name -> value); used for ${VAR} in logstash.yml and pipelines.yml, and for the
  // env2yaml mapping when `env_settings` is true.
  std::map<std::string, std::string> env;
  bool env_settings = false;  // apply PIPELINE_WORKERS=4 etc. (the image sets SLUICE_SETTINGS_FROM_ENV=true)
  std::string home;           // $LS_HOME: default path.settings is <home>/config, path.data <home>/data
};

// Reads logstash.yml (and pipelines.yml when it applies), validates every setting, and fills
// *out. On failure returns false with *error as Logstash words it, e.g.
//   Your settings are invalid. Reason: Setting "foo.bar" doesn't exist. Please check if you haven't made a typo.
// Errors name the file, and line and column for YAML syntax errors.
bool resolve(const ResolveInput& in, NodeSettings* out, std::string* error);

// Re-reads only the pipeline definitions (pipelines.yml, or the single -f/path.config pipeline)
// with the node settings fixed at start-up: used by reload. Same error contract as resolve().
bool reload_pipelines(const ResolveInput& in, const NodeSettings& node, std::vector<PipelineSpec>* out,
                      std::string* error);

// Logstash's value syntaxes: "64mb" (binary multiples, b|kb|mb|gb|tb|pb or k|m|g|t|p,
// case-insensitive, a decimal number allowed as in "1.5gb", a bare number is an error) and "3s"
// (integer + nanos|micros|ms|s|m|h|d, case-insensitive; decimals rejected). parse_duration_ms
// truncates to whole milliseconds ("1500micros" -> 1).
bool parse_bytes(const std::string& s, uint64_t* out);
bool parse_duration_ms(const std::string& s, int64_t* out);
bool parse_duration_ns(const std::string& s, int64_t* out);

// Every setting name this build knows, sorted (for "did you mean" and the README): the ones Sluice
// uses, the ones it ignores on purpose and the deprecated aliases. Families accepted by prefix
// (xpack.*, monitoring.*, keystore.*, otel.*, slowlog.*) are listed by their known members.
std::vector<std::string> known_settings();

// What the table says about one setting (for docs and tests).
struct SettingInfo {
  std::string name;
  std::string type;           // "boolean", "positive integer", "bytes", "duration", ...
  std::string default_value;  // as Logstash documents it ("64mb", "<path.data>/queue", "" for none)
  std::vector<std::string> options;  // accepted values of enumerations
  bool pipeline = false;      // allowed in pipelines.yml (Logstash's PIPELINE_SETTINGS_WHITE_LIST)
  bool used = true;           // false: accepted and ignored on purpose, with a warning
  std::string note;           // why it is ignored, or the canonical name of a deprecated alias
  bool alias = false;
};
std::optional<SettingInfo> describe_setting(const std::string& name);

// The Docker image's env2yaml mapping: the setting an environment variable name sets (its name
// lowercased with `.` and `_` removed equals an allow-listed setting's name treated the same way),
// or "" when it sets none.
std::string env_setting_name(const std::string& variable);

}  // namespace sluice::settings
