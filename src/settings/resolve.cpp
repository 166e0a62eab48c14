// resolve() and reload_pipelines(): defaults < logstash.yml < the environment mapping (the Docker
// image's env2yaml, when enabled) < the command line, every assignment through the table
// (store.cpp); then the pipelines, from -f/-e/path.config/config.string or from pipelines.yml.
//
// Decisions (also in docs/settings.md):
//   * The "Ignoring the 'pipelines.yml' file..." warning is given only when that file exists.
//   * The environment mapping never rewrites logstash.yml: the values are applied in memory, so a
//     read-only mounted config directory works.
#include <algorithm>
#include <limits>
#include <optional>

#include "settings/internal.hpp"
#include "sluice/log.hpp"

namespace sluice::settings {

using namespace detail;

namespace {

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

const char* kMissingLogstashYml =
    "Could not find logstash.yml which is typically located in $LS_HOME/config or /etc/logstash. You can "
    "specify the "
    "path using --path.settings. Continuing using the defaults";

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
