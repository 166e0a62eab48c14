// Command-line parsing (see options.hpp). Every flag that sets a Logstash setting is returned as a
// (setting name, value) pair; values are validated later, together with logstash.yml, by
// settings::resolve, so `-w abc` fails there with `Invalid value "abc" for pipeline.workers: ...`.
//
// Boolean flags follow Logstash's patched Clamp: `-t`, `--flag=true|false`, or `--flag VALUE` when
// the next argument does not start with '-'.
#include "cli/options.hpp"

#include <map>

namespace sluice::cli {
namespace {

enum class Kind {
  Value,        // takes a value: --flag VALUE or --flag=VALUE
  Bool,         // a boolean flag (see above)
  SettingPair,  // -S KEY=VALUE
  Deprecated,   // --verbose, --debug, --quiet: log.level with a warning
  Unsupported,  // accepted by Logstash, meaningless here: a usage error that says why
  Version,
  Help,
  ListPlugins,
  DescribePlugin,
};

struct Flag {
  const char* setting;  // the Logstash setting, or the message / fixed value for the other kinds
  Kind kind;
};

const std::map<std::string, Flag>& flags() {
  static const std::map<std::string, Flag> f = {
      // Config.
      {"-f", {"path.config", Kind::Value}},
      {"--path.config", {"path.config", Kind::Value}},
      {"-e", {"config.string", Kind::Value}},
      {"--config.string", {"config.string", Kind::Value}},
      {"-t", {"config.test_and_exit", Kind::Bool}},
      {"--config.test_and_exit", {"config.test_and_exit", Kind::Bool}},
      {"-r", {"config.reload.automatic", Kind::Bool}},
      {"--config.reload.automatic", {"config.reload.automatic", Kind::Bool}},
      {"--config.reload.interval", {"config.reload.interval", Kind::Value}},
      {"--config.debug", {"config.debug", Kind::Bool}},
      {"--config.support_escapes", {"config.support_escapes", Kind::Bool}},
      {"--field-reference-escape-style", {"config.field_reference.escape_style", Kind::Value}},
      // Pipeline.
      {"-w", {"pipeline.workers", Kind::Value}},
      {"--pipeline.workers", {"pipeline.workers", Kind::Value}},
      {"-b", {"pipeline.batch.size", Kind::Value}},
      {"--pipeline.batch.size", {"pipeline.batch.size", Kind::Value}},
      {"-u", {"pipeline.batch.delay", Kind::Value}},
      {"--pipeline.batch.delay", {"pipeline.batch.delay", Kind::Value}},
      {"--pipeline.id", {"pipeline.id", Kind::Value}},
      {"--pipeline.ordered", {"pipeline.ordered", Kind::Value}},
      {"--pipeline.ecs_compatibility", {"pipeline.ecs_compatibility", Kind::Value}},
      {"--pipeline.unsafe_shutdown", {"pipeline.unsafe_shutdown", Kind::Bool}},
      {"--pipeline.batch.output_chunking.growth_threshold_factor",
       {"pipeline.batch.output_chunking.growth_threshold_factor", Kind::Value}},
      {"--plugin-classloaders", {"pipeline.plugin_classloaders", Kind::Bool}},
      // Paths.
      {"--path.settings", {"path.settings", Kind::Value}},
      {"--path.data", {"path.data", Kind::Value}},
      {"-l", {"path.logs", Kind::Value}},
      {"--path.logs", {"path.logs", Kind::Value}},
      {"-p", {"path.plugins", Kind::Value}},
      {"--path.plugins", {"path.plugins", Kind::Value}},
      // Node, logging, API.
      {"-n", {"node.name", Kind::Value}},
      {"--node.name", {"node.name", Kind::Value}},
      {"--log.level", {"log.level", Kind::Value}},
      {"--log.format", {"log.format", Kind::Value}},
      {"--log.format.json.fix_duplicate_message_fields",
       {"log.format.json.fix_duplicate_message_fields", Kind::Value}},
      {"--api.enabled", {"api.enabled", Kind::Value}},
      {"--api.http.host", {"api.http.host", Kind::Value}},
      {"--api.http.port", {"api.http.port", Kind::Value}},
      {"--enable-local-plugin-development", {"enable-local-plugin-development", Kind::Bool}},
      // Settings by name.
      {"-S", {"", Kind::SettingPair}},
      {"--setting", {"", Kind::SettingPair}},
      // Deprecated aliases of log.level (Logstash's deprecated_option).
      {"--verbose", {"info", Kind::Deprecated}},
      {"--debug", {"debug", Kind::Deprecated}},
      {"--quiet", {"error", Kind::Deprecated}},
      // Logstash flags that make no sense here.
      {"-i", {"sluice has no interactive Ruby shell", Kind::Unsupported}},
      {"--interactive", {"sluice has no interactive Ruby shell", Kind::Unsupported}},
      // Sluice's own.
      {"-V", {"", Kind::Version}},
      {"--version", {"", Kind::Version}},
      {"-h", {"", Kind::Help}},
      {"--help", {"", Kind::Help}},
      {"--list-plugins", {"", Kind::ListPlugins}},
      {"--describe-plugin", {"", Kind::DescribePlugin}},
  };
  return f;
}

bool looks_like_jvm_option(const std::string& arg) {
  return arg.rfind("-X", 0) == 0 || arg.rfind("-J", 0) == 0 || arg.rfind("-D", 0) == 0 ||
         arg.rfind("-verbose:", 0) == 0 || arg == "-server";
}

}  // namespace

bool parse_args(const std::vector<std::string>& args, Options* o, std::string* error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      auto eq = arg.find('=');
      if (eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    auto it = flags().find(arg);
    if (it == flags().end()) {
      if (looks_like_jvm_option(arg)) {
        *error =
            "'" + args[i] +
            "' looks like a JVM option; sluice is not a JVM program and takes no JVM options (remove it, or "
            "drop it from LS_JAVA_OPTS)";
      } else if (arg.rfind("-", 0) == 0) {
        *error = "Unrecognised option '" + args[i] + "'";
      } else {
        *error = "Unexpected argument '" + args[i] + "'";
      }
      return false;
    }
    const Flag& f = it->second;
    auto take_value = [&](std::string* value) {
      if (inline_value) {
        *value = *inline_value;
        return true;
      }
      if (i + 1 < args.size()) {
        *value = args[++i];
        return true;
      }
      *error = "Option '" + arg + "' needs a value";
      return false;
    };
    std::string value;
    switch (f.kind) {
      case Kind::Value:
        if (!take_value(&value)) return false;
        o->settings.emplace_back(f.setting, value);
        break;
      case Kind::Bool:
        if (inline_value) {
          value = *inline_value;
        } else if (i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0) {
          value = args[++i];
        } else {
          value = "true";
        }
        o->settings.emplace_back(f.setting, value);
        break;
      case Kind::SettingPair: {
        if (!take_value(&value)) return false;
        // Logstash splits on the first ':' or '='.
        auto sep = value.find_first_of(":=");
        if (sep == std::string::npos || sep == 0) {
          *error =
              "failed to parse setting `" + value + "`: -S expects KEY=VALUE (e.g. -S pipeline.workers=2)";
          return false;
        }
        o->settings.emplace_back(value.substr(0, sep), value.substr(sep + 1));
        break;
      }
      case Kind::Deprecated:
        if (inline_value) {
          *error = "Option '" + arg + "' takes no value";
          return false;
        }
        o->settings.emplace_back("log.level", f.setting);
        o->warnings.push_back("DEPRECATION WARNING: The flag [\"" + arg +
                              "\"] has been deprecated and may be removed in a future release, please use "
                              "\"--log.level=" +
                              f.setting + "\" instead.");
        break;
      case Kind::Unsupported:
        *error = "'" + arg + "' is not supported: " + f.setting;
        return false;
      case Kind::Version:
        o->show_version = true;
        break;
      case Kind::Help:
        o->show_help = true;
        break;
      case Kind::ListPlugins:
        o->list_plugins = true;
        break;
      case Kind::DescribePlugin:
        if (!take_value(&value)) return false;
        o->describe_plugin = value;
        break;
    }
  }
  return true;
}

std::string usage() {
  return R"(Usage:
    sluice [OPTIONS]

Options:
    -f, --path.config CONFIG_PATH   Load the config from a file, a directory or a glob (the last -f wins)
    -e, --config.string CONFIG_STRING
                                    Use the given string as the config (stdin in and rubydebug out are
                                    added when the string has no input or output section)
    -t, --config.test_and_exit      Check the configuration and exit: prints "Configuration OK"
    -r, --config.reload.automatic   Reload pipelines whose config or settings changed (SIGHUP also reloads)
        --config.reload.interval DURATION
                                    How often to look for changes with -r (default: 3s)
        --config.debug[=dot]        Print the compiled pipeline graph (as Graphviz DOT with =dot)
        --config.support_escapes    Process escape sequences (\n, \", ...) in quoted strings
        --field-reference-escape-style STYLE
                                    none (default), percent or ampersand (only none is implemented)
    -w, --pipeline.workers COUNT    Worker threads running filters and outputs (default: CPU cores)
    -b, --pipeline.batch.size SIZE  Events per worker batch (default: 125)
    -u, --pipeline.batch.delay MS   Longest wait for a full batch, in milliseconds (default: 50)
        --pipeline.id ID            Pipeline id (default: main)
        --pipeline.ordered auto|true|false
                                    Preserve event order (true needs -w 1; auto: only with an explicit -w 1)
        --pipeline.ecs_compatibility disabled|v1|v8
                                    Default ecs_compatibility of the plugins (default: v8)
        --pipeline.unsafe_shutdown  Exit on shutdown even if events are still in flight
        --path.settings DIR         Directory of logstash.yml and pipelines.yml (default: $LS_HOME/config,
                                    or $LS_SETTINGS_DIR)
        --path.data DIR             Data directory: persistent queues, dead letter queues, node id
                                    (default: $LS_HOME/data)
    -l, --path.logs DIR             Log directory (default: $LS_HOME/logs; logs go to the console)
    -n, --node.name NAME            Node name (default: the host name)
        --log.level LEVEL           fatal, error, warn, info (default), debug or trace
        --log.format plain|json     Log line format (default: plain)
        --api.enabled true|false    Serve the monitoring API (default: true)
        --api.http.host HOST        Monitoring API address (default: 127.0.0.1)
        --api.http.port PORT[-PORT] Monitoring API port, or a range to take the first free one of
                                    (default: 9600-9700)
    -S, --setting KEY=VALUE         Set any setting by its Logstash name (see docs/settings.md)
        --verbose, --debug, --quiet Deprecated: --log.level info, debug or error
        --list-plugins              List the built-in plugins
        --describe-plugin NAME      Print a plugin's options (NAME or kind/NAME, e.g. codec/json)
    -V, --version                   Print the version
    -h, --help                      Print this help

Settings are read from <path.settings>/logstash.yml; without -f or -e the pipelines come from
<path.settings>/pipelines.yml. Command-line options override logstash.yml.
)";
}

}  // namespace sluice::cli
