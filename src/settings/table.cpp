// The settings table: every setting Sluice knows, with its type, its default as Logstash documents
// it, whether pipelines.yml may set it (Logstash's PIPELINE_SETTINGS_WHITE_LIST), and whether Sluice
// uses it, ignores it on purpose (one warning, never a failure) or treats it as a deprecated alias.
// Also the families accepted by prefix (xpack.*, ...), the Docker image's env2yaml allow-list, and
// the public lookups over them. docs/settings.md is this table's reference.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "settings/internal.hpp"

namespace sluice::settings::detail {
namespace {

constexpr bool P = true;   // pipeline setting
constexpr bool N = false;  // process-level only

}  // namespace

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

namespace {

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

}  // namespace
}  // namespace sluice::settings::detail

namespace sluice::settings {

using namespace detail;

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

}  // namespace sluice::settings
