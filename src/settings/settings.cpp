// Settings resolution (see settings.hpp). The single table `defs()` below declares every setting
// Sluice knows: its type, its default as Logstash documents it, whether pipelines.yml may set it
// (Logstash's PIPELINE_SETTINGS_WHITE_LIST), and whether Sluice uses it, ignores it on purpose (one
// warning, never a failure) or treats it as a deprecated alias. logstash.yml, the environment
// mapping, the command line and pipelines.yml all go through `apply()`, which validates a value
// against the table and stores it in canonical form (booleans "true"/"false", integers in decimal,
// byte sizes in bytes, durations in nanoseconds, port ranges "first-last").
//
// Decisions (also in docs/settings.md):
//   * A key with an empty value (`pipeline.workers:`) leaves the setting at its default.
//   * String settings accept any scalar as written (`node.name: 2024` is the name "2024"); Logstash
//     would reject a YAML number there.
//   * `path.config` may be a list anywhere (Logstash allows a list only through pipelines.yml).
//   * The "Ignoring the 'pipelines.yml' file..." warning is given only when that file exists.
//   * A pipelines.yml that holds only `---`, `[]` or comments is "empty".
//   * The environment mapping never rewrites logstash.yml: the values are applied in memory, so a
//     read-only mounted config directory works.
#include "settings/settings.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <thread>

#include "settings/yaml.hpp"
#include "sluice/log.hpp"

namespace sluice::settings {
namespace {

// ---- the table ----------------------------------------------------------------------------------

enum class Type {
  String,       // any scalar, kept as written
  Path,         // a file or directory path
  OptString,    // a string that may be absent
  Password,     // a string never echoed in messages or fingerprints
  Bool,         // true/false (YAML also yes/no/on/off)
  PositiveInt,  // > 0
  NonNegInt,    // >= 0
  Bytes,        // "64mb"; a YAML integer is a count of bytes
  Duration,     // "3s"; a YAML integer is nanoseconds (deprecated, warned)
  Enum,         // one of `options`
  Debug,        // config.debug: true, false or dot
  PortRange,    // "9600" or "9600-9700"
  StringArray,  // a list of strings, or one string
  Age,          // dead_letter_queue.retain.age: <number>d|h|m|s
  Any,          // ignored settings: not validated
};

enum class Use { Used, Ignored, Alias };

struct Def {
  const char* name;
  Type type;
  const char* default_value;  // "" = none; "<...>" = computed (see docs)
  std::vector<const char*> options;
  bool pipeline;  // allowed in pipelines.yml
  Use use;
  const char* note;  // Ignored: why; Alias: the canonical name
};

constexpr bool P = true;   // pipeline setting
constexpr bool N = false;  // process-level only

const std::vector<Def>& defs() {
  // clang-format off
  static const std::vector<Def> d = {
      // Node and paths.
      {"node.name", Type::String, "<hostname>", {}, N, Use::Used, ""},
      {"path.settings", Type::Path, "<LS_HOME>/config", {}, N, Use::Used, ""},
      {"path.data", Type::Path, "<LS_HOME>/data", {}, N, Use::Used, ""},
      {"path.logs", Type::Path, "<LS_HOME>/logs", {}, N, Use::Used, ""},
      {"path.config", Type::StringArray, "", {}, P, Use::Used, ""},
      {"path.queue", Type::Path, "<path.data>/queue", {}, P, Use::Used, ""},
      {"path.dead_letter_queue", Type::Path, "<path.data>/dead_letter_queue", {}, P, Use::Used, ""},
      // Config.
      {"config.string", Type::OptString, "", {}, P, Use::Used, ""},
      {"config.test_and_exit", Type::Bool, "false", {}, N, Use::Used, ""},
      {"config.reload.automatic", Type::Bool, "false", {}, N, Use::Used, ""},
      {"config.reload.interval", Type::Duration, "3s", {}, N, Use::Used, ""},
      {"config.debug", Type::Debug, "false", {"true", "false", "dot"}, P, Use::Used, ""},
      {"config.support_escapes", Type::Bool, "false", {}, P, Use::Used, ""},
      {"config.field_reference.escape_style", Type::Enum, "none", {"none", "percent", "ampersand"}, N, Use::Used, ""},
      // Pipeline.
      {"pipeline.id", Type::String, "main", {}, P, Use::Used, ""},
      {"pipeline.workers", Type::PositiveInt, "<CPU count>", {}, P, Use::Used, ""},
      {"pipeline.batch.size", Type::PositiveInt, "125", {}, P, Use::Used, ""},
      {"pipeline.batch.delay", Type::NonNegInt, "50", {}, P, Use::Used, ""},
      {"pipeline.ordered", Type::Enum, "auto", {"auto", "true", "false"}, P, Use::Used, ""},
      // Sluice's own: acknowledge beats windows once delivered, not once queued (docs/settings.md).
      {"pipeline.end_to_end_acks", Type::Bool, "false", {}, P, Use::Used, ""},
      {"pipeline.unsafe_shutdown", Type::Bool, "false", {}, N, Use::Used, ""},
      {"pipeline.reloadable", Type::Bool, "true", {}, P, Use::Used, ""},
      {"pipeline.ecs_compatibility", Type::Enum, "disabled", {"disabled", "v1", "v8"}, P, Use::Used, ""},
      // Queue.
      {"queue.type", Type::Enum, "memory", {"memory", "persisted"}, P, Use::Used, ""},
      {"queue.page_capacity", Type::Bytes, "64mb", {}, P, Use::Used, ""},
      {"queue.max_bytes", Type::Bytes, "1024mb", {}, P, Use::Used, ""},
      {"queue.max_events", Type::NonNegInt, "0", {}, P, Use::Used, ""},
      {"queue.checkpoint.writes", Type::NonNegInt, "1024", {}, P, Use::Used, ""},
      {"queue.checkpoint.acks", Type::NonNegInt, "1024", {}, P, Use::Used, ""},
      {"queue.checkpoint.interval", Type::NonNegInt, "1000", {}, P, Use::Used, ""},
      {"queue.checkpoint.retry", Type::Bool, "true", {}, P, Use::Used, ""},
      {"queue.drain", Type::Bool, "false", {}, P, Use::Used, ""},
      {"queue.compression", Type::Enum, "none", {"none", "speed", "balanced", "size", "disabled"}, P, Use::Used, ""},
      // Dead letter queue.
      {"dead_letter_queue.enable", Type::Bool, "false", {}, P, Use::Used, ""},
      {"dead_letter_queue.max_bytes", Type::Bytes, "1024mb", {}, P, Use::Used, ""},
      {"dead_letter_queue.storage_policy", Type::Enum, "drop_newer", {"drop_newer", "drop_older"}, P, Use::Used, ""},
      {"dead_letter_queue.flush_interval", Type::NonNegInt, "5000", {}, P, Use::Used, ""},
      {"dead_letter_queue.flush_check_interval", Type::NonNegInt, "1000", {}, P, Use::Used, ""},
      {"dead_letter_queue.retain.age", Type::Age, "", {}, P, Use::Used, ""},
      // Monitoring API.
      {"api.enabled", Type::Bool, "true", {}, N, Use::Used, ""},
      {"api.environment", Type::String, "production", {}, N, Use::Used, ""},
      {"api.http.host", Type::String, "127.0.0.1", {}, N, Use::Used, ""},
      {"api.http.port", Type::PortRange, "9600-9700", {}, N, Use::Used, ""},
      {"api.auth.type", Type::Enum, "none", {"none", "basic"}, N, Use::Used, ""},
      {"api.auth.basic.username", Type::OptString, "", {}, N, Use::Used, ""},
      {"api.auth.basic.password", Type::Password, "", {}, N, Use::Used, ""},
      {"api.auth.basic.password_policy.mode", Type::Enum, "WARN", {"WARN", "ERROR"}, N, Use::Used, ""},
      {"api.auth.basic.password_policy.length.minimum", Type::NonNegInt, "8", {}, N, Use::Used, ""},
      {"api.auth.basic.password_policy.include.upper", Type::Enum, "REQUIRED", {"REQUIRED", "OPTIONAL"}, N, Use::Used,
       ""},
      {"api.auth.basic.password_policy.include.lower", Type::Enum, "REQUIRED", {"REQUIRED", "OPTIONAL"}, N, Use::Used,
       ""},
      {"api.auth.basic.password_policy.include.digit", Type::Enum, "REQUIRED", {"REQUIRED", "OPTIONAL"}, N, Use::Used,
       ""},
      {"api.auth.basic.password_policy.include.symbol", Type::Enum, "OPTIONAL",
       {"REQUIRED", "OPTIONAL"}, N, Use::Used, ""},
      {"api.ssl.enabled", Type::Bool, "false", {}, N, Use::Used, ""},
      {"api.ssl.keystore.path", Type::OptString, "", {}, N, Use::Used, ""},
      {"api.ssl.keystore.password", Type::Password, "", {}, N, Use::Used, ""},
      {"api.ssl.supported_protocols", Type::StringArray, "", {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}, N, Use::Used,
       ""},
      // Logging.
      {"log.level", Type::Enum, "info", {"fatal", "error", "warn", "info", "debug", "trace"}, N, Use::Used, ""},
      {"log.format", Type::Enum, "plain", {"plain", "json"}, N, Use::Used, ""},
      // Deprecated aliases (Logstash 7.x/8.x names, removed in 9.0).
      {"http.enabled", Type::Bool, "true", {}, N, Use::Alias, "api.enabled"},
      {"http.environment", Type::String, "production", {}, N, Use::Alias, "api.environment"},
      {"http.host", Type::String, "127.0.0.1", {}, N, Use::Alias, "api.http.host"},
      {"http.port", Type::PortRange, "9600-9700", {}, N, Use::Alias, "api.http.port"},
      // Accepted and ignored on purpose.
      {"allow_superuser", Type::Any, "false", {}, N, Use::Ignored,
       "Sluice does not refuse to run as root (run the container as a non-root user instead)"},
      {"path.plugins", Type::Any, "", {}, N, Use::Ignored,
       "plugins are compiled into Sluice; there is no plugin path"},
      {"pipeline.plugin_classloaders", Type::Any, "false", {}, P, Use::Ignored,
       "Sluice has no Java plugins to isolate"},
      {"pipeline.separate_logs", Type::Any, "false", {}, N, Use::Ignored,
       "Sluice logs to the console only; each line carries its pipeline id"},
      {"pipeline.batch.metrics.sampling_mode", Type::Any, "minimal", {}, P, Use::Ignored,
       "batch metrics are not sampled"},
      {"pipeline.batch.output_chunking.growth_threshold_factor", Type::Any, "1000", {}, P, Use::Ignored,
       "each output receives the events routed to it in one call; grown batches are not re-chunked"},
      {"pipeline.recoverable", Type::Any, "false", {}, P, Use::Ignored,
       "a crashed pipeline is not restarted automatically"},
      {"pipeline.system", Type::Any, "false", {}, P, Use::Ignored,
       "system pipelines belong to X-Pack features Sluice does not have"},
      {"pipeline.java_execution", Type::Any, "true", {}, P, Use::Ignored, "Sluice has a single execution engine"},
      {"pipeline.buffer.type", Type::Any, "heap", {}, N, Use::Ignored,
       "Sluice has no JVM heap or direct memory buffers"},
      {"pipeline.output.workers", Type::Any, "", {}, N, Use::Ignored,
       "obsolete since Logstash 6: outputs are shared by the pipeline workers"},
      {"log.format.json.fix_duplicate_message_fields", Type::Any, "true", {}, N, Use::Ignored,
       "Sluice's JSON log lines are written by its own layout"},
      {"metric.collect", Type::Any, "true", {}, P, Use::Ignored, "metrics are always collected"},
      {"ssl.reload.automatic", Type::Any, "false", {}, N, Use::Ignored, "TLS files are read when a pipeline starts"},
      {"config.field_reference.parser", Type::Any, "STRICT", {}, N, Use::Ignored,
       "field references are always parsed strictly"},
      {"event_api.tags.illegal", Type::Any, "rename", {}, N, Use::Ignored,
       "an illegal `tags` value is always renamed to `_tags` (Logstash's `rename`)"},
      {"modules", Type::Any, "", {}, N, Use::Ignored,
       "Logstash modules are not supported (they were removed in Logstash 9)"},
      {"modules.cli", Type::Any, "", {}, N, Use::Ignored,
       "Logstash modules are not supported (they were removed in Logstash 9)"},
      {"modules_setup", Type::Any, "false", {}, N, Use::Ignored,
       "Logstash modules are not supported (they were removed in Logstash 9)"},
      {"cloud.id", Type::Any, "", {}, N, Use::Ignored,
       "Elastic Cloud ids belong to Logstash modules, which are not supported"},
      {"cloud.auth", Type::Any, "", {}, N, Use::Ignored,
       "Elastic Cloud credentials belong to Logstash modules, which are not supported"},
      {"interactive", Type::Any, "", {}, N, Use::Ignored, "Sluice has no Ruby shell"},
      {"version", Type::Any, "false", {}, N, Use::Ignored, "a command-line flag (-V), not a setting"},
      {"help", Type::Any, "false", {}, N, Use::Ignored, "a command-line flag (-h), not a setting"},
      {"enable-local-plugin-development", Type::Any, "false", {}, N, Use::Ignored,
       "plugins are compiled into Sluice"},
  };
  // clang-format on
  return d;
}

// Families accepted by prefix, each ignored with one warning per setting.
struct Family {
  const char* prefix;
  const char* note;
};
const std::vector<Family>& families() {
  static const std::vector<Family> f = {
      {"xpack.", "Sluice has no X-Pack features (monitoring, central management, GeoIP database management)"},
      {"monitoring.", "Sluice has no X-Pack monitoring"},
      {"keystore.", "Sluice has no secret keystore; ${VAR} reads the environment only"},
      {"otel.", "OpenTelemetry metrics export is not implemented"},
      {"slowlog.", "Sluice has no slowlog"},
  };
  return f;
}
// Known members of the families (for known_settings() and the docs).
const std::vector<const char*>& family_members() {
  static const std::vector<const char*> m = {
      "keystore.classname",       "keystore.file",
      "monitoring.cluster_uuid",  "otel.metrics.authorization_header",
      "otel.metrics.enabled",     "otel.metrics.endpoint",
      "otel.metrics.interval",    "otel.metrics.protocol",
      "otel.resource.attributes", "otel.service.name",
      "slowlog.threshold.debug",  "slowlog.threshold.info",
      "slowlog.threshold.trace",  "slowlog.threshold.warn",
  };
  return m;
}

// The Docker image's env2yaml allow-list (docker/data/logstash/env2yaml): the current list (8.19,
// 9.x) plus the older images' names that are still meaningful here. The older images' `http.*`
// names are left out, as the current images do: container platforms set variables such as
// HTTP_PORT for other purposes.
const std::vector<const char*>& env_allow_list() {
  static const std::vector<const char*> l = {
      "api.enabled",
      "api.http.host",
      "api.http.port",
      "api.environment",
      "node.name",
      "path.data",
      "pipeline.id",
      "pipeline.workers",
      "pipeline.output.workers",
      "pipeline.batch.size",
      "pipeline.batch.delay",
      "pipeline.unsafe_shutdown",
      "pipeline.ecs_compatibility",
      "pipeline.ordered",
      "pipeline.end_to_end_acks",  // Sluice's own (PIPELINE_END_TO_END_ACKS)
      "pipeline.plugin_classloaders",
      "pipeline.separate_logs",
      "path.config",
      "config.string",
      "config.test_and_exit",
      "config.reload.automatic",
      "config.reload.interval",
      "config.debug",
      "config.support_escapes",
      "config.field_reference.escape_style",
      "queue.type",
      "path.queue",
      "queue.page_capacity",
      "queue.max_events",
      "queue.max_bytes",
      "queue.checkpoint.acks",
      "queue.checkpoint.writes",
      "queue.checkpoint.interval",
      "queue.compression",
      "queue.drain",
      "dead_letter_queue.enable",
      "dead_letter_queue.max_bytes",
      "dead_letter_queue.flush_interval",
      "dead_letter_queue.storage_policy",
      "dead_letter_queue.retain.age",
      "path.dead_letter_queue",
      "log.level",
      "log.format",
      "log.format.json.fix_duplicate_message_fields",
      "metric.collect",
      "path.logs",
      "path.plugins",
      "api.auth.type",
      "api.auth.basic.username",
      "api.auth.basic.password",
      "api.auth.basic.password_policy.mode",
      "api.auth.basic.password_policy.length.minimum",
      "api.auth.basic.password_policy.include.upper",
      "api.auth.basic.password_policy.include.lower",
      "api.auth.basic.password_policy.include.digit",
      "api.auth.basic.password_policy.include.symbol",
      "allow_superuser",
      "monitoring.cluster_uuid",
      "xpack.monitoring.allow_legacy_collection",
      "xpack.monitoring.enabled",
      "xpack.monitoring.collection.interval",
      "xpack.monitoring.elasticsearch.hosts",
      "xpack.monitoring.elasticsearch.username",
      "xpack.monitoring.elasticsearch.password",
      "xpack.monitoring.elasticsearch.proxy",
      "xpack.monitoring.elasticsearch.api_key",
      "xpack.monitoring.elasticsearch.cloud_auth",
      "xpack.monitoring.elasticsearch.cloud_id",
      "xpack.monitoring.elasticsearch.sniffing",
      "xpack.monitoring.elasticsearch.ssl.certificate_authority",
      "xpack.monitoring.elasticsearch.ssl.ca_trusted_fingerprint",
      "xpack.monitoring.elasticsearch.ssl.verification_mode",
      "xpack.monitoring.elasticsearch.ssl.truststore.path",
      "xpack.monitoring.elasticsearch.ssl.truststore.password",
      "xpack.monitoring.elasticsearch.ssl.keystore.path",
      "xpack.monitoring.elasticsearch.ssl.keystore.password",
      "xpack.monitoring.elasticsearch.ssl.certificate",
      "xpack.monitoring.elasticsearch.ssl.key",
      "xpack.monitoring.elasticsearch.ssl.cipher_suites",
      "xpack.management.enabled",
      "xpack.management.logstash.poll_interval",
      "xpack.management.pipeline.id",
      "xpack.management.elasticsearch.hosts",
      "xpack.management.elasticsearch.username",
      "xpack.management.elasticsearch.password",
      "xpack.management.elasticsearch.proxy",
      "xpack.management.elasticsearch.api_key",
      "xpack.management.elasticsearch.cloud_auth",
      "xpack.management.elasticsearch.cloud_id",
      "xpack.management.elasticsearch.sniffing",
      "xpack.management.elasticsearch.ssl.certificate_authority",
      "xpack.management.elasticsearch.ssl.ca_trusted_fingerprint",
      "xpack.management.elasticsearch.ssl.verification_mode",
      "xpack.management.elasticsearch.ssl.truststore.path",
      "xpack.management.elasticsearch.ssl.truststore.password",
      "xpack.management.elasticsearch.ssl.keystore.path",
      "xpack.management.elasticsearch.ssl.keystore.password",
      "xpack.management.elasticsearch.ssl.certificate",
      "xpack.management.elasticsearch.ssl.key",
      "xpack.management.elasticsearch.ssl.cipher_suites",
      "xpack.geoip.download.endpoint",
      "xpack.geoip.downloader.enabled",
      // 7.x image names.
      "pipeline.java_execution",
      "modules",
      "cloud.id",
      "cloud.auth",
  };
  return l;
}

const Def* find_def(const std::string& name) {
  static const std::map<std::string, const Def*> index = [] {
    std::map<std::string, const Def*> m;
    for (const Def& d : defs()) m[d.name] = &d;
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

const Family* find_family(const std::string& name) {
  for (const Family& f : families()) {
    if (name.rfind(f.prefix, 0) == 0 && name.size() > std::strlen(f.prefix)) return &f;
  }
  return nullptr;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::String:
      return "string";
    case Type::Path:
      return "path";
    case Type::OptString:
      return "string (optional)";
    case Type::Password:
      return "password";
    case Type::Bool:
      return "boolean";
    case Type::PositiveInt:
      return "positive integer";
    case Type::NonNegInt:
      return "non-negative integer";
    case Type::Bytes:
      return "bytes";
    case Type::Duration:
      return "duration";
    case Type::Enum:
      return "enumeration";
    case Type::Debug:
      return "boolean or dot";
    case Type::PortRange:
      return "port or port range";
    case Type::StringArray:
      return "array of strings";
    case Type::Age:
      return "age";
    case Type::Any:
      return "any";
  }
  return "any";
}

// ---- values ----------------------------------------------------------------------------------------

// A value as it came in: YAML nodes keep their type (a plain `4` is an integer, `"4"` a string);
// the command line and the environment give strings.
struct Value {
  enum class Kind { Null, Str, Int, Float, Bool, List, Map } kind = Kind::Null;
  std::string text;  // scalars: as written (after escapes); Str after substitution
  int64_t i = 0;
  bool b = false;
  bool int_overflow = false;
  std::vector<Value> items;

  static Value str(std::string s) {
    Value v;
    v.kind = Kind::Str;
    v.text = std::move(s);
    return v;
  }
  bool scalar() const {
    return kind == Kind::Str || kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool;
  }
  std::string shown() const {
    if (kind == Kind::List) {
      std::string s = "[";
      for (std::size_t k = 0; k < items.size(); ++k) s += (k ? ", " : "") + items[k].shown();
      return s + "]";
    }
    if (kind == Kind::Map) return "{...}";
    return text;
  }
};

Value from_node(const yaml::Node& n) {
  Value v;
  switch (n.kind) {
    case yaml::Node::Kind::Null:
      return v;
    case yaml::Node::Kind::Sequence:
      v.kind = Value::Kind::List;
      for (const yaml::Node& item : n.items) v.items.push_back(from_node(item));
      return v;
    case yaml::Node::Kind::Mapping:
      v.kind = Value::Kind::Map;
      return v;
    case yaml::Node::Kind::Scalar:
      break;
  }
  v.text = n.scalar;
  switch (yaml::resolve(n)) {
    case yaml::ScalarType::Null:
      v.kind = Value::Kind::Null;
      break;
    case yaml::ScalarType::Bool:
      v.kind = Value::Kind::Bool;
      yaml::plain_bool(n.scalar, &v.b);
      break;
    case yaml::ScalarType::Int:
      v.kind = Value::Kind::Int;
      v.int_overflow = !yaml::plain_int(n.scalar, &v.i);
      break;
    case yaml::ScalarType::Float:
      v.kind = Value::Kind::Float;
      break;
    case yaml::ScalarType::String:
      v.kind = Value::Kind::Str;
      break;
  }
  return v;
}

// Where a value came from, for messages.
struct Origin {
  enum class Kind { Cli, File, Env } kind = Kind::Cli;
  std::string file;
  int line = 0;
  std::string variable;

  std::string suffix() const {
    switch (kind) {
      case Kind::Cli:
        return "";
      case Kind::File:
        return " (in " + file + (line > 0 ? ", line " + std::to_string(line) : std::string()) + ")";
      case Kind::Env:
        return " (from environment variable " + variable + ")";
    }
    return "";
  }
};

struct Assignment {
  std::string name;
  Value value;
  Origin origin;
};

// A validated value in canonical form.
struct Canon {
  std::string text;
  std::vector<std::string> list;
  bool is_list = false;
};

struct Entry {
  Canon canon;
  Origin origin;
};
using Settings = std::map<std::string, Entry>;

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Java's Integer.parseInt on a trimmed string (optional sign, decimal digits, 32-bit range).
bool parse_int32(const std::string& in, int64_t* out) {
  std::string s = trim(in);
  if (s.empty()) return false;
  std::size_t k = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    k = 1;
  }
  if (k == s.size()) return false;
  int64_t v = 0;
  for (; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
    if (v > static_cast<int64_t>(std::numeric_limits<int32_t>::max()) + 1) return false;
  }
  v = neg ? -v : v;
  if (v > std::numeric_limits<int32_t>::max() || v < std::numeric_limits<int32_t>::min()) return false;
  *out = v;
  return true;
}

// An integer setting's value: a YAML integer, or a string holding one.
bool int_value(const Value& v, int64_t* out) {
  if (v.kind == Value::Kind::Int) {
    if (v.int_overflow || v.i > std::numeric_limits<int32_t>::max() ||
        v.i < std::numeric_limits<int32_t>::min()) {
      return false;
    }
    *out = v.i;
    return true;
  }
  if (v.kind == Value::Kind::Str) return parse_int32(v.text, out);
  return false;
}

std::string join_options(const std::vector<const char*>& options) {
  std::string s;
  for (std::size_t k = 0; k < options.size(); ++k) {
    if (k > 0) s += k + 1 == options.size() ? " or " : ", ";
    s += options[k];
  }
  return s;
}

bool parse_port_range(const std::string& in, int* first, int* last) {
  std::string s = trim(in);
  auto dash = s.find('-');
  std::string a = dash == std::string::npos ? s : s.substr(0, dash);
  std::string b = dash == std::string::npos ? s : s.substr(dash + 1);
  int64_t x = 0, y = 0;
  if (!parse_int32(a, &x) || !parse_int32(b, &y)) return false;
  if (x < 1 || y > 65535 || x > y) return false;
  *first = static_cast<int>(x);
  *last = static_cast<int>(y);
  return true;
}

bool parse_age(const std::string& s) {
  // Logstash: (?<value>\d+)\s*(?<time>[dhms]), the whole string.
  std::size_t k = 0;
  while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
  if (k == 0) return false;
  while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
  return k + 1 == s.size() && std::strchr("dhms", s[k]) != nullptr;
}

struct Normalized {
  bool ok = true;
  std::string detail;   // on failure: what was expected
  std::string warning;  // a deprecation to report (integer durations)
};

// Validates `v` for `d` and writes its canonical form.
Normalized normalize(const Def& d, const Value& v, Canon* out) {
  Normalized r;
  auto fail = [&](std::string detail) {
    r.ok = false;
    r.detail = std::move(detail);
    return r;
  };
  const bool scalar = v.scalar();
  switch (d.type) {
    case Type::Any:
      out->text = v.shown();
      return r;
    case Type::String:
    case Type::Path:
    case Type::OptString:
    case Type::Password:
      if (!scalar) return fail("expected a string, not a list or mapping");
      out->text = v.text;
      if (d.type == Type::Path && trim(out->text).empty()) return fail("expected a path");
      return r;
    case Type::Bool:
      if (v.kind == Value::Kind::Bool) {
        out->text = v.b ? "true" : "false";
        return r;
      }
      if (v.kind == Value::Kind::Str && (v.text == "true" || v.text == "false")) {
        out->text = v.text;
        return r;
      }
      return fail("expected true or false");
    case Type::Debug:
      if (v.kind == Value::Kind::Bool) {
        out->text = v.b ? "true" : "false";
        return r;
      }
      if (v.kind == Value::Kind::Str && (v.text == "true" || v.text == "false" || v.text == "dot")) {
        out->text = v.text;
        return r;
      }
      return fail("expected true, false or dot");
    case Type::PositiveInt: {
      int64_t n = 0;
      if (!int_value(v, &n) || n < 1) return fail("expected a positive integer");
      out->text = std::to_string(n);
      return r;
    }
    case Type::NonNegInt: {
      int64_t n = 0;
      if (!int_value(v, &n) || n < 0) {
        return fail(std::string(d.name) == "pipeline.batch.delay"
                        ? "expected a non-negative number of milliseconds"
                        : "expected a non-negative integer");
      }
      out->text = std::to_string(n);
      return r;
    }
    case Type::Bytes: {
      if (v.kind == Value::Kind::Int && !v.int_overflow && v.i >= 0) {  // a YAML number is a count of bytes
        out->text = std::to_string(v.i);
        return r;
      }
      uint64_t n = 0;
      if (v.kind == Value::Kind::Str && parse_bytes(v.text, &n)) {
        out->text = std::to_string(n);
        return r;
      }
      return fail("Unknown bytes value; expected a number with a unit b, kb, mb, gb, tb or pb (e.g. 64mb)");
    }
    case Type::Duration: {
      if (v.kind == Value::Kind::Int && !v.int_overflow && v.i >= 0) {
        if (v.i > std::numeric_limits<int32_t>::max()) {
          return fail(
              "expected a duration with a unit; a number without one is nanoseconds and must fit in 32 bits");
        }
        r.warning =
            std::string("Integer value for `") + d.name +
            "` does not have a time unit and will be interpreted in nanoseconds. Time units will be required "
            "in "
            "a future release of Logstash. Acceptable unit suffixes are: `d`, `h`, `m`, `s`, `ms`, `micros`, "
            "and `nanos`.";
        out->text = std::to_string(v.i);
        return r;
      }
      int64_t ns = 0;
      if (v.kind == Value::Kind::Str && parse_duration_ns(v.text, &ns)) {
        out->text = std::to_string(ns);
        return r;
      }
      return fail(
          "expected a duration: an integer with a unit nanos, micros, ms, s, m, h or d (e.g. 3s, 100ms)");
    }
    case Type::Enum: {
      std::string text = v.kind == Value::Kind::Bool ? (v.b ? "true" : "false") : v.text;
      if (!scalar) return fail("expected one of " + join_options(d.options));
      for (const char* o : d.options) {
        if (text == o) {
          out->text = text;
          return r;
        }
      }
      return fail("expected one of " + join_options(d.options));
    }
    case Type::PortRange: {
      int first = 0, last = 0;
      std::string text = v.kind == Value::Kind::Int && !v.int_overflow ? std::to_string(v.i) : v.text;
      if ((v.kind != Value::Kind::Int && v.kind != Value::Kind::Str) ||
          !parse_port_range(text, &first, &last)) {
        return fail("expected a port (9600) or a port range (9600-9700) within 1-65535");
      }
      out->text = std::to_string(first) + "-" + std::to_string(last);
      return r;
    }
    case Type::StringArray: {
      out->is_list = true;
      if (scalar) {
        out->list.push_back(v.text);
      } else if (v.kind == Value::Kind::List) {
        for (const Value& item : v.items) {
          if (!item.scalar()) return fail("expected a list of strings");
          out->list.push_back(item.text);
        }
      } else {
        return fail("expected a string or a list of strings");
      }
      if (!d.options.empty()) {
        for (const std::string& s : out->list) {
          if (std::find_if(d.options.begin(), d.options.end(), [&](const char* o) { return s == o; }) ==
              d.options.end()) {
            return fail("expected values among " + join_options(d.options));
          }
        }
      }
      return r;
    }
    case Type::Age:
      if (!scalar || !parse_age(v.text)) {
        return fail("expected a time specification in the form <number>[d,h,m,s], e.g. 3m");
      }
      out->text = v.text;
      return r;
  }
  return r;
}

// ---- ${VAR} substitution -------------------------------------------------------------------------

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

std::string strip_enclosing(const std::string& s, char c) {
  if (s.size() >= 2 && s.front() == c && s.back() == c) return s.substr(1, s.size() - 2);
  if (s.size() == 1 && s[0] == c) return "";  // Ruby's "'"[1..-2] is ""
  return s;
}

// Logstash's refinement of a substituted value: enclosing '…' then "…" removed; "[a, 'b']" becomes
// a list of strings (split on commas, trimmed, quotes removed).
Value refine_value(const std::string& out) {
  std::string refined = strip_enclosing(strip_enclosing(out, '\''), '"');
  if (refined.size() >= 2 && refined.front() == '[' && refined.back() == ']') {
    Value list;
    list.kind = Value::Kind::List;
    std::string inner = refined.substr(1, refined.size() - 2);
    // Ruby's String#split(',') drops trailing empty fields.
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      std::size_t comma = inner.find(',', start);
      parts.push_back(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
    for (const std::string& p : parts) {
      list.items.push_back(Value::str(strip_enclosing(strip_enclosing(trim(p), '\''), '"')));
    }
    return list;
  }
  return Value::str(refined);
}

// Logstash's SubstitutionVariables.replace_placeholders on one string: ${NAME} or ${NAME:default},
// one pass (a replacement is not scanned again). With `refine`, a changed value loses enclosing
// quotes and "[a, b]" becomes a list. False + *missing = the first undefined name.
bool substitute(Value* v, bool refine, const std::map<std::string, std::string>& env, std::string* missing) {
  if (v->kind == Value::Kind::List) {
    for (Value& item : v->items) {
      if (!substitute(&item, refine, env, missing)) return false;
    }
    return true;
  }
  if (v->kind != Value::Kind::Str) return true;
  const std::string& s = v->text;
  std::string out;
  bool found = false;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{' && i + 2 < s.size() && is_name_start(s[i + 2])) {
      std::size_t j = i + 3;
      while (j < s.size() && is_name_char(s[j])) ++j;
      std::string name = s.substr(i + 2, j - i - 2);
      std::optional<std::string> def;
      std::size_t end = std::string::npos;
      if (j < s.size() && s[j] == '}') {
        end = j;
      } else if (j < s.size() && s[j] == ':') {
        std::size_t close = s.find('}', j + 1);
        if (close != std::string::npos) {
          def = s.substr(j + 1, close - j - 1);
          end = close;
        }
      }
      if (end != std::string::npos) {
        auto it = env.find(name);
        if (it != env.end()) {
          out += it->second;
        } else if (def) {
          out += *def;
        } else {
          *missing = name;
          return false;
        }
        found = true;
        i = end + 1;
        continue;
      }
    }
    out += s[i];
    ++i;
  }
  if (!found) return true;
  if (!refine) {
    v->text = std::move(out);
    return true;
  }
  *v = refine_value(out);
  return true;
}

std::string undefined_variable(const std::string& name, const std::string& setting, const Origin& origin) {
  return "Cannot evaluate `${" + name + "}`. Replacement variable `" + name +
         "` is not defined as an environment variable and there is no default value given (setting \"" +
         setting + "\"" + origin.suffix() + "): set it in the environment or give a default: ${" + name +
         ":value}";
}

// ---- suggestions -----------------------------------------------------------------------------------

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const std::string& c : candidates) {
    std::size_t d = edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  std::size_t limit = std::max<std::size_t>(2, std::min<std::size_t>(4, name.size() / 4));
  if (best.empty() || best_d > limit) return "";
  return " Did you mean \"" + best + "\"?";
}

// ---- files and the machine -----------------------------------------------------------------------

enum class ReadStatus { Ok, Missing, Error };

ReadStatus read_text(const std::string& path, std::string* out, std::string* reason) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return ReadStatus::Missing;
    *reason = std::strerror(errno);
    return ReadStatus::Error;
  }
  if (S_ISDIR(st.st_mode)) {
    *reason = "it is a directory";
    return ReadStatus::Error;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *reason = std::strerror(errno);
    return ReadStatus::Error;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) {
    *reason = "read error";
    return ReadStatus::Error;
  }
  *out = ss.str();
  return ReadStatus::Ok;
}

std::string join_path(const std::string& dir, const std::string& file) {
  if (dir.empty() || dir.back() == '/') return dir + file;
  return dir + "/" + file;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

// Logstash's CpuCoreStrategy.maximum is the JVM's available processors: the CPUs this process may
// run on, capped by a cgroup CPU quota (containers).
int cpu_count() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  double quota = -1, period = -1;
  {
    std::ifstream f("/sys/fs/cgroup/cpu.max");  // cgroup v2: "max 100000" or "200000 100000"
    std::string q;
    if (f >> q >> period && q != "max") quota = std::atof(q.c_str());
  }
  if (quota <= 0) {
    std::ifstream fq("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), fp("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    if (!(fq >> quota) || !(fp >> period)) quota = -1;
  }
  if (quota > 0 && period > 0) {
    int limit = static_cast<int>(std::ceil(quota / period));
    if (limit >= 1 && limit < n) n = limit;
  }
  return n;
}

// ---- resolution --------------------------------------------------------------------------------------

const std::vector<std::string>& known_for_suggestions() {
  static const std::vector<std::string> k = known_settings();
  return k;
}

// The canonical value of `name` in `s`, or its table default (computed defaults are "").
Canon lookup(const Settings& s, const std::string& name) {
  auto it = s.find(name);
  if (it != s.end()) return it->second.canon;
  const Def* d = find_def(name);
  Canon c;
  if (!d || d->default_value[0] == 0 || d->default_value[0] == '<') return c;
  Value v = Value::str(d->default_value);
  normalize(*d, v, &c);
  return c;
}
bool is_set(const Settings& s, const std::string& name) {
  return s.count(name) > 0;
}
std::string get_text(const Settings& s, const std::string& name) {
  return lookup(s, name).text;
}
bool get_bool(const Settings& s, const std::string& name) {
  return lookup(s, name).text == "true";
}
int64_t get_int(const Settings& s, const std::string& name) {
  std::string t = lookup(s, name).text;
  return t.empty() ? 0 : std::stoll(t);
}
uint64_t get_u64(const Settings& s, const std::string& name) {
  std::string t = lookup(s, name).text;
  return t.empty() ? 0 : std::stoull(t);
}
int clamp_int(int64_t v) {
  return static_cast<int>(std::clamp<int64_t>(v, 0, std::numeric_limits<int>::max()));
}

// Everything a pipeline needs from the node: derived paths and the CPU count.
struct NodeContext {
  std::string path_data;
  std::string path_queue;
  std::string path_dlq;
  int cpus = 1;
};

// Warnings given once per key (the same ignored setting in several places warns once).
struct Sink {
  std::vector<std::string>* warnings;
  std::set<std::string> seen;
  void warn_once(const std::string& key, const std::string& message) {
    if (seen.insert(key).second) warnings->push_back(message);
  }
};

enum class Scope { Process, Pipeline };

struct ApplyState {
  std::set<std::string> set_directly;               // canonical names set by their own name
  std::map<std::string, std::string> set_by_alias;  // canonical -> alias used
};

// Validates one assignment and stores it. Unknown names are an error in the process scope (the
// pipeline scope checks its allow-list first).
bool apply(const Assignment& a, Settings* s, Sink* sink, ApplyState* state, std::string* error) {
  const Def* d = find_def(a.name);
  if (!d) {
    if (const Family* f = find_family(a.name)) {
      sink->warn_once("ignored:" + a.name,
                      "Ignoring setting \"" + a.name + "\"" + a.origin.suffix() + ": " + f->note);
      return true;
    }
    *error = "Your settings are invalid. Reason: Setting \"" + a.name +
             "\" doesn't exist. Please check if you haven't made a typo." +
             suggestion(a.name, known_for_suggestions()) + a.origin.suffix();
    return false;
  }
  if (d->use == Use::Ignored) {
    sink->warn_once("ignored:" + a.name,
                    "Ignoring setting \"" + a.name + "\"" + a.origin.suffix() + ": " + d->note);
    return true;
  }
  std::string name = d->name;
  if (d->use == Use::Alias) {
    name = d->note;
    sink->warn_once("alias:" + a.name, "The setting `" + a.name + "` is a deprecated alias for `" + name +
                                           "` and will be removed in version 9. Please use `" + name +
                                           "` instead" + a.origin.suffix());
    if (state) state->set_by_alias[name] = a.name;
    d = find_def(name);
  } else if (state) {
    state->set_directly.insert(name);
  }
  if (a.value.kind == Value::Kind::Null) return true;  // `key:` with no value keeps the default
  Canon c;
  Normalized n = normalize(*d, a.value, &c);
  if (!n.ok) {
    std::string shown = d->type == Type::Password ? std::string("[redacted]") : a.value.shown();
    *error = "Invalid value \"" + shown + "\" for " + name + ": " + n.detail + a.origin.suffix();
    return false;
  }
  if (!n.warning.empty()) sink->warn_once("duration:" + name, n.warning + a.origin.suffix());
  if (name == "queue.checkpoint.interval") {
    sink->warn_once(
        "checkpoint.interval",
        "The setting `queue.checkpoint.interval` has no effect and will be removed from both logstash.yml "
        "and pipeline.yml in a future release.");
  }
  (*s)[name] = Entry{std::move(c), a.origin};
  return true;
}

// Flattens logstash.yml's nested mappings into dotted names (Logstash's flatten_hash).
void flatten(const yaml::Node& map, const std::string& prefix, const std::string& file,
             std::vector<Assignment>* out) {
  for (const yaml::MapEntry& e : map.entries) {
    std::string name = prefix.empty() ? e.key : prefix + "." + e.key;
    if (e.value.is_mapping()) {
      flatten(e.value, name, file, out);
      continue;
    }
    Assignment a;
    a.name = name;
    a.value = from_node(e.value);
    a.origin.kind = Origin::Kind::File;
    a.origin.file = file;
    a.origin.line = e.line;
    out->push_back(std::move(a));
  }
}

std::string escape_line(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\n') {
      o += "\\n";
    } else if (c == '\\') {
      o += "\\\\";
    } else {
      o += c;
    }
  }
  return o;
}

// A pipeline from its merged settings (process settings overlaid with its pipelines.yml entry).
bool build_pipeline(const Settings& m, const NodeContext& ctx, const std::string& where, PipelineSpec* spec,
                    std::string* error) {
  PipelineSpec p;
  p.runtime.id = get_text(m, "pipeline.id");
  if (trim(p.runtime.id).empty()) {
    *error = "Invalid value \"" + p.runtime.id + "\" for pipeline.id: expected a non-empty id" + where;
    return false;
  }
  if (is_set(m, "pipeline.workers")) {
    p.runtime.workers = clamp_int(get_int(m, "pipeline.workers"));
    p.runtime.workers_explicit = true;
  } else {
    p.runtime.workers = ctx.cpus;
    p.runtime.workers_explicit = false;
  }
  p.runtime.batch_size = clamp_int(get_int(m, "pipeline.batch.size"));
  p.runtime.batch_delay_ms = clamp_int(get_int(m, "pipeline.batch.delay"));
  const std::string ordered = get_text(m, "pipeline.ordered");
  p.runtime.ordered = ordered == "true"    ? PipelineSettings::Ordered::True
                      : ordered == "false" ? PipelineSettings::Ordered::False
                                           : PipelineSettings::Ordered::Auto;
  p.runtime.end_to_end_acks = get_bool(m, "pipeline.end_to_end_acks");
  Canon paths = lookup(m, "path.config");
  p.path_config = paths.list;
  if (is_set(m, "config.string")) p.config_string = get_text(m, "config.string");
  p.support_escapes = get_bool(m, "config.support_escapes");
  p.config_debug = get_text(m, "config.debug") != "false";
  p.reloadable = get_bool(m, "pipeline.reloadable");
  p.unsafe_shutdown = get_bool(m, "pipeline.unsafe_shutdown");
  p.ecs_compatibility = get_text(m, "pipeline.ecs_compatibility");

  const std::string path_queue = is_set(m, "path.queue") ? get_text(m, "path.queue") : ctx.path_queue;
  const std::string path_dlq =
      is_set(m, "path.dead_letter_queue") ? get_text(m, "path.dead_letter_queue") : ctx.path_dlq;
  QueueSettings& q = p.queue;
  q.type = get_text(m, "queue.type");
  q.path = path_queue.empty() ? "" : path_queue + "/" + p.runtime.id;
  q.max_bytes = get_u64(m, "queue.max_bytes");
  q.page_capacity = get_u64(m, "queue.page_capacity");
  q.max_events = get_u64(m, "queue.max_events");
  q.checkpoint_writes = clamp_int(get_int(m, "queue.checkpoint.writes"));
  q.checkpoint_acks = clamp_int(get_int(m, "queue.checkpoint.acks"));
  q.checkpoint_interval_ms = clamp_int(get_int(m, "queue.checkpoint.interval"));
  q.checkpoint_retry = get_bool(m, "queue.checkpoint.retry");
  q.drain = get_bool(m, "queue.drain");
  q.compression = get_text(m, "queue.compression");
  DeadLetterQueueSettings& dlq = p.dead_letter_queue;
  dlq.enable = get_bool(m, "dead_letter_queue.enable");
  dlq.path = path_dlq.empty() ? "" : path_dlq + "/" + p.runtime.id;
  dlq.max_bytes = get_u64(m, "dead_letter_queue.max_bytes");
  dlq.storage_policy = get_text(m, "dead_letter_queue.storage_policy");
  dlq.flush_interval_ms = clamp_int(get_int(m, "dead_letter_queue.flush_interval"));
  dlq.flush_check_interval_ms = clamp_int(get_int(m, "dead_letter_queue.flush_check_interval"));
  dlq.retain_age = get_text(m, "dead_letter_queue.retain.age");

  if (q.type == "persisted" && q.path.empty()) {
    *error =
        "queue.type: persisted needs path.data: set --path.data or path.data in logstash.yml (pipeline \"" +
        p.runtime.id + "\")" + where;
    return false;
  }
  if (dlq.enable && dlq.path.empty()) {
    *error =
        "dead_letter_queue.enable: true needs path.data: set --path.data or path.data in logstash.yml "
        "(pipeline \"" +
        p.runtime.id + "\")" + where;
    return false;
  }
  if (q.type == "persisted" && q.max_bytes != 0 && q.page_capacity > q.max_bytes) {
    *error =
        "Pipeline " + p.runtime.id +
        " 'queue.page_capacity' must be less than or equal to 'queue.max_bytes'. (queue.page_capacity is " +
        std::to_string(q.page_capacity) + " bytes, queue.max_bytes " + std::to_string(q.max_bytes) +
        " bytes)" + where;
    return false;
  }

  // The fingerprint: every setting a pipeline uses, with its effective value, sorted by name.
  std::vector<std::string> lines;
  for (const Def& d : defs()) {
    if (!d.pipeline || d.use != Use::Used) continue;
    std::string name = d.name;
    std::string value;
    if (name == "pipeline.workers") {
      value = std::to_string(p.runtime.workers);
    } else if (name == "path.queue") {
      value = path_queue;
    } else if (name == "path.dead_letter_queue") {
      value = path_dlq;
    } else if (name == "config.string") {
      if (!p.config_string) continue;
      value = *p.config_string;
    } else {
      Canon c = lookup(m, name);
      if (c.is_list) {
        for (std::size_t k = 0; k < c.list.size(); ++k) value += (k ? "," : "") + c.list[k];
      } else {
        value = c.text;
      }
    }
    lines.push_back(name + "=" + escape_line(value));
  }
  lines.push_back("pipeline.unsafe_shutdown=" + std::string(p.unsafe_shutdown ? "true" : "false"));
  std::sort(lines.begin(), lines.end());
  for (const std::string& l : lines) p.settings_fingerprint += l + "\n";
  *spec = std::move(p);
  return true;
}

bool pipeline_key_allowed(const std::string& key) {
  const Def* d = find_def(key);
  return d && d->pipeline;
}

std::string allowed_pipeline_keys() {
  std::string s = "[";
  bool first = true;
  for (const Def& d : defs()) {
    if (!d.pipeline) continue;
    s += (first ? "\"" : ", \"") + std::string(d.name) + "\"";
    first = false;
  }
  return s + "]";
}

std::string ruby_class(const yaml::Node& n) {
  if (n.is_mapping()) return "Hash";
  if (n.is_sequence()) return "Array";
  switch (yaml::resolve(n)) {
    case yaml::ScalarType::Int:
      return "Integer";
    case yaml::ScalarType::Float:
      return "Float";
    case yaml::ScalarType::Bool: {
      bool b = false;
      yaml::plain_bool(n.scalar, &b);
      return b ? "TrueClass" : "FalseClass";
    }
    case yaml::ScalarType::Null:
      return "NilClass";
    case yaml::ScalarType::String:
      return "String";
  }
  return "String";
}

// Reads pipelines.yml and builds every pipeline over the process settings `base`.
bool load_pipelines_yml(const std::string& path, const Settings& base, const NodeContext& ctx,
                        const std::map<std::string, std::string>& env, Sink* sink,
                        std::vector<PipelineSpec>* out, std::string* error) {
  std::string text, reason;
  ReadStatus st = read_text(path, &text, &reason);
  if (st != ReadStatus::Ok) {
    *error =
        "Failed to read pipelines yaml file. Location: " + path +
        (st == ReadStatus::Missing ? std::string(", Exception: no such file") : ", Exception: " + reason);
    return false;
  }
  yaml::Node root;
  yaml::ParseError perr;
  bool has_doc = false;
  if (!yaml::parse(text, &root, &perr, &has_doc)) {
    *error = "Failed to parse YAML file \"" + path + "\": " + perr.describe();
    return false;
  }
  bool false_document = false;  // Ruby reads a lone `false` as "no pipelines" too
  if (root.is_scalar() && yaml::resolve(root) == yaml::ScalarType::Bool) {
    bool b = true;
    yaml::plain_bool(root.scalar, &b);
    false_document = !b;
  }
  if (!has_doc || root.is_null() || (root.is_sequence() && root.items.empty()) || false_document) {
    *error = "Pipelines YAML file is empty. Location: " + path;
    return false;
  }
  if (!root.is_sequence()) {
    *error = "Pipelines YAML file must contain an array of pipeline configs. Found \"" + ruby_class(root) +
             "\" in " + path;
    return false;
  }
  std::vector<PipelineSpec> specs;
  for (std::size_t k = 0; k < root.items.size(); ++k) {
    const yaml::Node& item = root.items[k];
    if (!item.is_mapping()) {
      *error = "Pipelines YAML file must contain an array of pipeline configs: entry " +
               std::to_string(k + 1) + " (line " + std::to_string(item.line) + ") is a " + ruby_class(item) +
               ", not a mapping of pipeline settings. Location: " + path;
      return false;
    }
    const yaml::Node* id_node = item.find("pipeline.id");
    const std::string raw_id = id_node && id_node->is_scalar() ? id_node->scalar : "";
    Settings m = base;
    for (const yaml::MapEntry& e : item.entries) {
      Origin origin;
      origin.kind = Origin::Kind::File;
      origin.file = path;
      origin.line = e.line;
      if (e.key == "config.reload.automatic" || e.key == "config.reload.interval") {
        sink->warn_once(
            "pipeline-reload:" + raw_id + ":" + e.key,
            "Config option \"" + e.key + "\", set for pipeline \"" + raw_id +
                "\", is deprecated as a pipeline override setting. Please only set it at the process "
                "level." +
                origin.suffix());
        continue;
      }
      if (!pipeline_key_allowed(e.key)) {
        std::vector<std::string> allowed;
        for (const Def& d : defs()) {
          if (d.pipeline) allowed.push_back(d.name);
        }
        *error = "Only pipeline related settings are expected. Received \"" + e.key +
                 "\". Allowed settings: " + allowed_pipeline_keys() + suggestion(e.key, allowed) +
                 origin.suffix();
        return false;
      }
      Assignment a;
      a.name = e.key;
      a.value = from_node(e.value);
      a.origin = origin;
      std::string missing;
      if (!substitute(&a.value, false, env, &missing)) {
        *error = undefined_variable(missing, a.name, origin);
        return false;
      }
      if (!apply(a, &m, sink, nullptr, error)) return false;
    }
    const bool has_string = is_set(m, "config.string");
    const bool has_path = is_set(m, "path.config") && !lookup(m, "path.config").list.empty();
    std::string where =
        " (pipeline " + std::to_string(k + 1) + " in " + path + ", line " + std::to_string(item.line) + ")";
    if (has_string && has_path) {
      *error = "Settings 'path.config' and 'config.string' can't be used simultaneously" + where;
      return false;
    }
    if (!has_string && !has_path) {
      *error = "Pipeline \"" + get_text(m, "pipeline.id") +
               "\" has neither path.config nor config.string: give it one of them" + where;
      return false;
    }
    PipelineSpec spec;
    if (!build_pipeline(m, ctx, where, &spec, error)) return false;
    specs.push_back(std::move(spec));
  }
  std::vector<std::string> dups;
  std::map<std::string, int> count;
  for (const PipelineSpec& s : specs) {
    if (++count[s.runtime.id] == 2) dups.push_back(s.runtime.id);
  }
  if (!dups.empty()) {
    std::string list = "[";
    for (std::size_t k = 0; k < dups.size(); ++k) list += (k ? ", \"" : "\"") + dups[k] + "\"";
    list += "]";
    *error = "Pipelines YAML file contains duplicate pipeline ids: " + list + ". Location: " + path;
    return false;
  }
  *out = std::move(specs);
  return true;
}

// The password policy check of Logstash's ValidatedPasswordSetting; "" when the password passes.
std::string password_problems(const std::string& password, int64_t min_length, const Settings& s) {
  std::vector<std::string> reasons;
  if (password.empty()) reasons.push_back("must not be empty");
  auto required = [&](const char* which) {
    return get_text(s, std::string("api.auth.basic.password_policy.include.") + which) == "REQUIRED";
  };
  auto any = [&](auto pred) { return std::any_of(password.begin(), password.end(), pred); };
  if (required("digit") && !any([](char c) { return c >= '0' && c <= '9'; })) {
    reasons.push_back("must contain at least one digit between 0 and 9");
  }
  if (required("lower") && !any([](char c) { return c >= 'a' && c <= 'z'; })) {
    reasons.push_back("must contain at least one lower case");
  }
  if (required("upper") && !any([](char c) { return c >= 'A' && c <= 'Z'; })) {
    reasons.push_back("must contain at least one upper case");
  }
  if (required("symbol") &&
      !any([](char c) { return std::strchr("~!@#$%^&*()_+|<>?:{}", c) != nullptr && c != 0; })) {
    reasons.push_back("must contain at least one special character");
  }
  std::size_t chars = 0;
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80;
  if (password.empty() || static_cast<int64_t>(chars) < min_length) {
    reasons.push_back("must be length of between " + std::to_string(min_length) + " and 1024");
  }
  std::string out;
  for (std::size_t k = 0; k < reasons.size(); ++k) out += (k ? ", " : "") + reasons[k];
  return out;
}

bool resolve_api(const Settings& s, Sink* sink, NodeSettings* out, std::string* error) {
  ApiSettings& api = out->api;
  api.enabled = get_bool(s, "api.enabled");
  api.host = get_text(s, "api.http.host");
  std::string ports = get_text(s, "api.http.port");
  parse_port_range(ports, &api.port_first, &api.port_last);
  api.environment = get_text(s, "api.environment");
  api.auth_type = get_text(s, "api.auth.type");
  api.auth_basic_username = get_text(s, "api.auth.basic.username");
  api.auth_basic_password = get_text(s, "api.auth.basic.password");
  api.ssl_enabled = get_bool(s, "api.ssl.enabled");
  api.ssl_keystore_path = get_text(s, "api.ssl.keystore.path");
  api.ssl_keystore_password = get_text(s, "api.ssl.keystore.password");
  api.ssl_supported_protocols = lookup(s, "api.ssl.supported_protocols").list;

  auto origin_of = [&](const char* name) {
    auto it = s.find(name);
    return it == s.end() ? std::string() : it->second.origin.suffix();
  };
  auto required = [&](const char* name, const char* trigger, const char* value) {
    if (is_set(s, name) && !get_text(s, name).empty()) return true;
    *error = std::string("Setting `") + name + "` is required when `" + trigger + "` is set to `" + value +
             "`. Please provide it in your `logstash.yml`";
    return false;
  };
  auto warn_ignored = [&](const std::string& prefix, const char* trigger, const std::string& value) {
    for (const auto& [name, entry] : s) {
      if (name.rfind(prefix, 0) != 0 || name == trigger) continue;
      sink->warn_once("api-ignored:" + name, "Setting `" + name + "` is ignored because `" + trigger +
                                                 "` is set to `" + value + "`" + entry.origin.suffix());
    }
  };

  if (!api.ssl_keystore_path.empty() && !exists(api.ssl_keystore_path)) {
    *error = "File \"" + api.ssl_keystore_path + "\" must exist but was not found. (api.ssl.keystore.path" +
             origin_of("api.ssl.keystore.path") + ")";
    return false;
  }
  if (api.ssl_enabled) {
    if (!required("api.ssl.keystore.path", "api.ssl.enabled", "true")) return false;
    if (!required("api.ssl.keystore.password", "api.ssl.enabled", "true")) return false;
  } else {
    warn_ignored("api.ssl.", "api.ssl.enabled", "false");
  }
  if (api.auth_type == "basic") {
    if (!required("api.auth.basic.username", "api.auth.type", "basic")) return false;
    if (!required("api.auth.basic.password", "api.auth.type", "basic")) return false;
    int64_t min_length = get_int(s, "api.auth.basic.password_policy.length.minimum");
    if (min_length < 8 || min_length > 1024) {
      *error = "api.auth.basic.password_policy.length.minimum has to be between 8 and 1024." +
               origin_of("api.auth.basic.password_policy.length.minimum");
      return false;
    }
    std::string problems = password_problems(api.auth_basic_password, min_length, s);
    if (!problems.empty()) {
      std::string message = "Password " + problems + "." + origin_of("api.auth.basic.password");
      if (get_text(s, "api.auth.basic.password_policy.mode") == "ERROR") {
        *error = message;
        return false;
      }
      sink->warn_once("password-policy", message);
    }
  } else {
    warn_ignored("api.auth.basic.", "api.auth.type", api.auth_type);
  }
  if (!is_set(s, "api.http.host") && api.ssl_enabled && api.auth_type == "basic") {
    api.host = "0.0.0.0";
    out->infos.push_back(
        "API configured securely with SSL and Basic Auth. Defaulting `api.http.host` to all available "
        "interfaces");
  }
  return true;
}

const char* kMissingLogstashYml =
    "Could not find logstash.yml which is typically located in $LS_HOME/config or /etc/logstash. You can "
    "specify the "
    "path using --path.settings. Continuing using the defaults";

}  // namespace

// ---- public helpers ------------------------------------------------------------------------------------

bool parse_bytes(const std::string& in, uint64_t* out) {
  std::string s = lowercase(trim(in));
  std::size_t k = 0;
  while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
  if (k == 0) return false;
  std::size_t int_end = k;
  std::size_t frac_end = k;
  if (k < s.size() && s[k] == '.') {
    ++k;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
    frac_end = k;
  }
  std::string unit = trim(s.substr(k));
  static const std::pair<const char*, int> units[] = {{"b", 0},   {"k", 10}, {"kb", 10}, {"m", 20},
                                                      {"mb", 20}, {"g", 30}, {"gb", 30}, {"t", 40},
                                                      {"tb", 40}, {"p", 50}, {"pb", 50}};
  int shift = -1;
  for (const auto& [name, sh] : units) {
    if (unit == name) shift = sh;
  }
  if (shift < 0) return false;
  if (frac_end == int_end) {  // integer: exact
    uint64_t v = 0;
    for (std::size_t i = 0; i < int_end; ++i) {
      if (v > (std::numeric_limits<uint64_t>::max() - 9) / 10) return false;
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    if (shift > 0 && v > (std::numeric_limits<uint64_t>::max() >> shift)) return false;
    *out = v << shift;
    return true;
  }
  long double v = std::strtold(s.substr(0, frac_end).c_str(), nullptr) * std::ldexp(1.0L, shift);
  if (!(v >= 0) || v >= 18446744073709551615.0L) return false;
  *out = static_cast<uint64_t>(v);
  return true;
}

bool parse_duration_ns(const std::string& in, int64_t* out) {
  std::string s = lowercase(trim(in));
  static const std::pair<const char*, int64_t> units[] = {
      {"nanos", 1},         {"micros", 1000},       {"ms", 1000000},         {"s", 1000000000LL},
      {"m", 60000000000LL}, {"h", 3600000000000LL}, {"d", 86400000000000LL},
  };
  for (const auto& [suffix, factor] : units) {
    std::size_t n = std::strlen(suffix);
    if (s.size() < n || s.compare(s.size() - n, n, suffix) != 0) continue;
    int64_t v = 0;
    if (!parse_int32(s.substr(0, s.size() - n), &v) || v < 0) return false;
    if (v > std::numeric_limits<int64_t>::max() / factor) return false;
    *out = v * factor;
    return true;
  }
  return false;
}

bool parse_duration_ms(const std::string& s, int64_t* out) {
  int64_t ns = 0;
  if (!parse_duration_ns(s, &ns)) return false;
  *out = ns / 1000000;
  return true;
}

std::vector<std::string> known_settings() {
  std::vector<std::string> names;
  for (const Def& d : defs()) names.push_back(d.name);
  for (const char* m : family_members()) names.push_back(m);
  for (const char* e : env_allow_list()) {
    if (find_family(e)) names.push_back(e);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::optional<SettingInfo> describe_setting(const std::string& name) {
  SettingInfo info;
  info.name = name;
  if (const Def* d = find_def(name)) {
    info.type = type_name(d->type);
    info.default_value = d->default_value;
    for (const char* o : d->options) info.options.push_back(o);
    info.pipeline = d->pipeline;
    info.used = d->use == Use::Used;
    info.alias = d->use == Use::Alias;
    info.note = d->note;
    if (info.alias) info.type = type_name(find_def(d->note)->type);
    return info;
  }
  if (const Family* f = find_family(name)) {
    info.type = "any";
    info.used = false;
    info.note = f->note;
    return info;
  }
  return std::nullopt;
}

std::string env_setting_name(const std::string& variable) {
  auto squash = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '.' || c == '_') continue;
      o += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return o;
  };
  static const std::map<std::string, std::string> index = [&] {
    std::map<std::string, std::string> m;
    for (const char* n : env_allow_list()) m[squash(n)] = n;
    return m;
  }();
  auto it = index.find(squash(variable));
  return it == index.end() ? std::string() : it->second;
}

// ---- resolve
// -----------------------------------------------------------------------------------------------

namespace {

struct Process {
  Settings settings;
  std::string settings_dir;  // "" when there is none
  std::string logstash_yml;  // the file read ("" if none)
  NodeContext ctx;
};

std::optional<std::string> env_value(const ResolveInput& in, const char* name) {
  auto it = in.env.find(name);
  if (it == in.env.end()) return std::nullopt;
  return it->second;
}

}  // namespace

bool resolve(const ResolveInput& in, NodeSettings* out, std::string* error) {
  NodeSettings node;
  Sink sink{&node.warnings, {}};
  ApplyState state;
  Process proc;

  // 1. Where logstash.yml lives: --path.settings (last wins), else LS_SETTINGS_DIR, else <home>/config.
  std::optional<std::string> settings_dir;
  for (const auto& [name, value] : in.cli) {
    if (name == "path.settings") settings_dir = value;
  }
  if (!settings_dir) {
    std::optional<std::string> from_env = env_value(in, "LS_SETTINGS_DIR");
    if (from_env && !from_env->empty()) settings_dir = from_env;
  }
  if (!settings_dir && !in.home.empty()) settings_dir = in.home + "/config";
  if (settings_dir && settings_dir->empty()) {
    *error = "Invalid value \"\" for path.settings: expected a directory";
    return false;
  }

  // 2. logstash.yml.
  std::vector<Assignment> assignments;
  if (settings_dir) {
    const std::string path = join_path(*settings_dir, "logstash.yml");
    std::string text, reason;
    ReadStatus st = read_text(path, &text, &reason);
    if (st == ReadStatus::Missing) {
      node.warnings.push_back(kMissingLogstashYml);
    } else if (st == ReadStatus::Error) {
      *error =
          "Failed to load settings file from \"path.settings\". Aborting... path.setting=" + *settings_dir +
          ", file=" + path + ": " + reason;
      return false;
    } else {
      yaml::Node root;
      yaml::ParseError perr;
      if (!yaml::parse(text, &root, &perr)) {
        *error = "Failed to parse YAML file \"" + path + "\": " + perr.describe();
        return false;
      }
      if (!root.is_null() && !root.is_mapping()) {
        *error = "Failed to parse YAML file \"" + path + "\": line " + std::to_string(root.line) +
                 ", column " + std::to_string(root.column) +
                 ": the file must be a mapping of settings (`name: value`), not a " + root.kind_name();
        return false;
      }
      std::vector<Assignment> from_file;
      if (root.is_mapping()) flatten(root, "", path, &from_file);
      for (Assignment& a : from_file) {
        std::string missing;
        if (!substitute(&a.value, true, in.env, &missing)) {
          *error = undefined_variable(missing, a.name, a.origin);
          return false;
        }
        assignments.push_back(std::move(a));
      }
      proc.logstash_yml = path;
    }
    if (is_directory(*settings_dir)) proc.settings_dir = *settings_dir;
  }

  // 3. The Docker image's environment mapping (above logstash.yml, below the command line).
  if (in.env_settings) {
    for (const auto& [variable, value] : in.env) {
      std::string name = env_setting_name(variable);
      if (name.empty()) continue;
      node.infos.push_back("Setting '" + name + "' from environment.");
      // env2yaml writes `name: ${VARIABLE}` into logstash.yml, which substitution then refines.
      Assignment a;
      a.name = name;
      a.value = refine_value(value);
      a.origin.kind = Origin::Kind::Env;
      a.origin.variable = variable;
      assignments.push_back(std::move(a));
    }
  }

  // 4. The command line.
  for (const auto& [name, value] : in.cli) {
    Assignment a;
    a.name = name;
    a.value = Value::str(value);
    assignments.push_back(std::move(a));
  }

  // 5. The JVM environment has nothing to configure here.
  if (env_value(in, "LS_JAVA_OPTS")) {
    node.warnings.push_back("LS_JAVA_OPTS is set, but Sluice has no JVM: the JVM options in it are ignored");
  }
  if (env_value(in, "JAVA_OPTS")) {
    node.warnings.push_back("JAVA_OPTS is set, but Sluice has no JVM: the JVM options in it are ignored");
  }
  if (env_value(in, "LS_JAVA_HOME")) {
    node.warnings.push_back("LS_JAVA_HOME is set, but Sluice has no JVM: it is ignored");
  }

  // 6. Every assignment through the table, in precedence order (later wins).
  for (const Assignment& a : assignments) {
    if (!apply(a, &proc.settings, &sink, &state, error)) return false;
  }
  for (const auto& [canonical, alias] : state.set_by_alias) {
    if (state.set_directly.count(canonical)) {
      *error = "Both `" + canonical + "` and its deprecated alias `" + alias +
               "` have been set. Please only set `" + canonical + "`";
      return false;
    }
  }
  const Settings& s = proc.settings;

  // 7. Node settings and the paths derived from home and path.data.
  node.path_settings = proc.settings_dir;
  node.path_data =
      is_set(s, "path.data") ? get_text(s, "path.data") : (in.home.empty() ? "" : in.home + "/data");
  node.path_logs =
      is_set(s, "path.logs") ? get_text(s, "path.logs") : (in.home.empty() ? "" : in.home + "/logs");
  node.path_queue = is_set(s, "path.queue") ? get_text(s, "path.queue")
                                            : (node.path_data.empty() ? "" : node.path_data + "/queue");
  node.path_dead_letter_queue = is_set(s, "path.dead_letter_queue")
                                    ? get_text(s, "path.dead_letter_queue")
                                    : (node.path_data.empty() ? "" : node.path_data + "/dead_letter_queue");
  node.node_name = is_set(s, "node.name") ? get_text(s, "node.name") : hostname();
  node.log_level = get_text(s, "log.level");
  node.log_format = get_text(s, "log.format");
  node.test_and_exit = get_bool(s, "config.test_and_exit");
  const std::string debug = get_text(s, "config.debug");
  node.config_debug = debug == "dot"    ? NodeSettings::Debug::Dot
                      : debug == "true" ? NodeSettings::Debug::Text
                                        : NodeSettings::Debug::Off;
  node.reload_automatic = get_bool(s, "config.reload.automatic");
  // The agent polls at this interval: at least 1 ms (a unit-less YAML number is nanoseconds).
  node.reload_interval_ms = static_cast<int>(std::clamp<int64_t>(
      get_int(s, "config.reload.interval") / 1000000, 1, std::numeric_limits<int>::max()));
  node.field_reference_escape_style = get_text(s, "config.field_reference.escape_style");
  if (node.field_reference_escape_style != "none") {
    node.warnings.push_back("config.field_reference.escape_style `" + node.field_reference_escape_style +
                            "` is not implemented: field references are read with the `none` style" +
                            s.at("config.field_reference.escape_style").origin.suffix());
  }
  if (!resolve_api(s, &sink, &node, error)) return false;

  proc.ctx.path_data = node.path_data;
  proc.ctx.path_queue = node.path_queue;
  proc.ctx.path_dlq = node.path_dead_letter_queue;
  proc.ctx.cpus = cpu_count();
  for (const auto& [name, entry] : s) {
    const Def* d = find_def(name);
    if (!d || d->use != Use::Used || entry.canon.is_list) continue;
    if (d->pipeline || name == "pipeline.unsafe_shutdown")
      node.pipeline_defaults.emplace_back(name, entry.canon.text);
  }

  // 8. Pipelines: -f/-e (or path.config/config.string in logstash.yml) make one pipeline; otherwise
  // pipelines.yml.
  const bool has_string = is_set(s, "config.string");
  const bool has_path = is_set(s, "path.config") && !lookup(s, "path.config").list.empty();
  const std::string pipelines_yml =
      proc.settings_dir.empty() ? "" : join_path(proc.settings_dir, "pipelines.yml");
  if (has_string || has_path) {
    std::vector<std::string> conflicts;
    if (node.reload_automatic && has_string && !has_path) {
      conflicts.push_back("Configuration reloading can't be used with 'config.string' (-e).");
    }
    if (has_string && has_path) {
      conflicts.push_back(
          "Settings 'path.config' (-f) and 'config.string' (-e) can't be used simultaneously.");
    }
    if (!conflicts.empty()) {
      *error = conflicts[0] + (conflicts.size() > 1 ? " " + conflicts[1] : "");
      return false;
    }
    if (!pipelines_yml.empty() && exists(pipelines_yml)) {
      node.warnings.push_back("Ignoring the 'pipelines.yml' file because command line options are specified");
    }
    PipelineSpec spec;
    if (!build_pipeline(s, proc.ctx, "", &spec, error)) return false;
    node.pipelines.push_back(std::move(spec));
  } else if (!pipelines_yml.empty() && exists(pipelines_yml)) {
    if (!load_pipelines_yml(pipelines_yml, s, proc.ctx, in.env, &sink, &node.pipelines, error)) return false;
    node.from_pipelines_yml = true;
    node.pipelines_yml_path = pipelines_yml;
  } else {
    *error = "No configuration given: use -f PATH, -e CONFIG_STRING, or a pipelines.yml in " +
             (settings_dir ? *settings_dir : std::string("the settings directory (--path.settings)"));
    return false;
  }
  *out = std::move(node);
  return true;
}

bool reload_pipelines(const ResolveInput& in, const NodeSettings& node, std::vector<PipelineSpec>* out,
                      std::string* error) {
  if (!node.from_pipelines_yml) {
    *out = node.pipelines;  // the single -f / config.string pipeline: its files are re-read by the caller
    return true;
  }
  Settings base;
  for (const auto& [name, text] : node.pipeline_defaults)
    base[name] = Entry{Canon{text, {}, false}, Origin{}};
  NodeContext ctx;
  ctx.path_data = node.path_data;
  ctx.path_queue = node.path_queue;
  ctx.path_dlq = node.path_dead_letter_queue;
  ctx.cpus = cpu_count();
  std::vector<std::string> warnings;
  Sink sink{&warnings, {}};
  std::vector<PipelineSpec> specs;
  if (!load_pipelines_yml(node.pipelines_yml_path, base, ctx, in.env, &sink, &specs, error)) return false;
  // Warnings already given at start-up are not repeated at every reload.
  for (const std::string& w : warnings) {
    if (std::find(node.warnings.begin(), node.warnings.end(), w) == node.warnings.end()) {
      log::warn("logstash.config.source.multilocal", w);
    }
  }
  *out = std::move(specs);
  return true;
}

}  // namespace sluice::settings
