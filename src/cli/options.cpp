#include "cli/options.hpp"

#include "sluice/log.hpp"

#include <charconv>
#include <functional>
#include <map>
#include <thread>

namespace sluice::cli {
namespace {

bool parse_int(const std::string& s, int* out) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return false;
  *out = v;
  return true;
}

bool parse_bool(const std::string& s, bool* out) {
  if (s == "true") {
    *out = true;
    return true;
  }
  if (s == "false") {
    *out = false;
    return true;
  }
  return false;
}

// Applies one setting by its Logstash name (flags and -S use the same table).
bool apply_setting(const std::string& name, const std::string& value, Options* o, std::string* error) {
  auto bad = [&](const char* expected) {
    *error = "Invalid value \"" + value + "\" for " + name + ": expected " + expected;
    return false;
  };
  if (name == "path.config") {
    o->path_config = value;
  } else if (name == "config.string") {
    o->config_string = value;
  } else if (name == "config.test_and_exit") {
    if (!parse_bool(value, &o->test_and_exit)) return bad("true or false");
  } else if (name == "config.debug") {
    bool b = false;
    if (value == "dot") {
      o->config_debug = Options::Debug::Dot;
    } else if (parse_bool(value, &b)) {
      o->config_debug = b ? Options::Debug::Text : Options::Debug::Off;
    } else {
      return bad("true, false or dot");
    }
  } else if (name == "config.support_escapes") {
    if (!parse_bool(value, &o->support_escapes)) return bad("true or false");
  } else if (name == "pipeline.workers") {
    int n = 0;
    if (!parse_int(value, &n) || n < 1) return bad("a positive integer");
    o->pipeline.workers = n;
    o->pipeline.workers_explicit = true;
  } else if (name == "pipeline.batch.size") {
    int n = 0;
    if (!parse_int(value, &n) || n < 1) return bad("a positive integer");
    o->pipeline.batch_size = n;
  } else if (name == "pipeline.batch.delay") {
    int n = 0;
    if (!parse_int(value, &n) || n < 0) return bad("a non-negative number of milliseconds");
    o->pipeline.batch_delay_ms = n;
  } else if (name == "pipeline.id") {
    if (value.empty()) return bad("a non-empty id");
    o->pipeline.id = value;
  } else if (name == "pipeline.ordered") {
    if (value == "auto") o->pipeline.ordered = PipelineSettings::Ordered::Auto;
    else if (value == "true") o->pipeline.ordered = PipelineSettings::Ordered::True;
    else if (value == "false") o->pipeline.ordered = PipelineSettings::Ordered::False;
    else return bad("auto, true or false");
  } else if (name == "log.level") {
    log::Level l;
    if (!log::parse_level(value, &l)) return bad("one of fatal, error, warn, info, debug, trace");
    o->log_level = value;
  } else if (name == "log.format") {
    if (value != "plain" && value != "json") return bad("plain or json");
    o->log_format = value;
  } else if (name == "path.settings" || name == "path.data" || name == "path.logs" || name == "node.name" ||
             name == "api.http.host" || name == "api.http.port" || name == "api.enabled" ||
             name == "pipeline.ecs_compatibility") {
    o->warnings.push_back("The setting '" + name + "' is accepted for compatibility but not used by sluice");
  } else {
    *error = "Unknown setting '" + name + "'";
    return false;
  }
  return true;
}

struct Flag {
  const char* setting;  // Logstash setting name, or a pseudo name for CLI-only flags
  bool takes_value;
  const char* implicit = nullptr;  // the value of a flag given without one (boolean flags)
};

const std::map<std::string, Flag>& flags() {
  static const std::map<std::string, Flag> f = {
      {"-f", {"path.config", true}},
      {"--path.config", {"path.config", true}},
      {"-e", {"config.string", true}},
      {"--config.string", {"config.string", true}},
      {"-t", {"config.test_and_exit", false, "true"}},
      {"--config.test_and_exit", {"config.test_and_exit", false, "true"}},
      {"--config.debug", {"config.debug", false, "true"}},
      {"--config.support_escapes", {"config.support_escapes", false, "true"}},
      {"-w", {"pipeline.workers", true}},
      {"--pipeline.workers", {"pipeline.workers", true}},
      {"-b", {"pipeline.batch.size", true}},
      {"--pipeline.batch.size", {"pipeline.batch.size", true}},
      {"-u", {"pipeline.batch.delay", true}},
      {"--pipeline.batch.delay", {"pipeline.batch.delay", true}},
      {"--pipeline.id", {"pipeline.id", true}},
      {"--pipeline.ordered", {"pipeline.ordered", true}},
      {"--log.level", {"log.level", true}},
      {"--log.format", {"log.format", true}},
      {"--path.settings", {"path.settings", true}},
      {"--path.data", {"path.data", true}},
      {"-l", {"path.logs", true}},
      {"--path.logs", {"path.logs", true}},
      {"-n", {"node.name", true}},
      {"--node.name", {"node.name", true}},
      {"--api.http.host", {"api.http.host", true}},
      {"--api.http.port", {"api.http.port", true}},
      {"--api.enabled", {"api.enabled", true}},
      {"--pipeline.ecs_compatibility", {"pipeline.ecs_compatibility", true}},
      {"-S", {"-S", true}},
      {"--setting", {"-S", true}},
      {"-V", {"version", false}},
      {"--version", {"version", false}},
      {"-h", {"help", false}},
      {"--help", {"help", false}},
      {"--list-plugins", {"list-plugins", false}},
      {"--describe-plugin", {"describe-plugin", true}},
  };
  return f;
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
      if (arg.rfind("-X", 0) == 0 || arg.rfind("-J", 0) == 0 || arg.rfind("-D", 0) == 0 ||
          arg.rfind("-verbose:", 0) == 0 || arg == "-server") {
        *error = "'" + args[i] +
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
    std::string value;
    if (f.takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        *error = "Option '" + arg + "' needs a value";
        return false;
      }
    } else if (inline_value) {
      value = *inline_value;
    } else if (f.implicit) {
      value = f.implicit;
    }
    const std::string setting = f.setting;
    if (setting == "version") {
      o->show_version = true;
    } else if (setting == "help") {
      o->show_help = true;
    } else if (setting == "list-plugins") {
      o->list_plugins = true;
    } else if (setting == "describe-plugin") {
      o->describe_plugin = value;
    } else if (setting == "-S") {
      auto eq = value.find('=');
      if (eq == std::string::npos) {
        *error = "-S expects key=value, got '" + value + "'";
        return false;
      }
      if (!apply_setting(value.substr(0, eq), value.substr(eq + 1), o, error)) return false;
    } else if (!apply_setting(setting, value, o, error)) {
      return false;
    }
  }
  return true;
}

bool check_settings(const Options& o, std::string* error) {
  if (o.path_config && o.config_string) {
    *error = "Settings 'path.config' (-f) and 'config.string' (-e) can't be used simultaneously.";
    return false;
  }
  if (o.pipeline.ordered == PipelineSettings::Ordered::True) {
    int workers = o.pipeline.workers > 0 ? o.pipeline.workers : static_cast<int>(std::thread::hardware_concurrency());
    if (workers > 1) {
      *error = "enabling the 'pipeline.ordered' setting requires the use of a single pipeline worker";
      return false;
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
        --config.debug[=dot]        Print the compiled pipeline graph (as Graphviz DOT with =dot)
        --config.support_escapes    Process escape sequences (\n, \", ...) in quoted strings
    -w, --pipeline.workers COUNT    Worker threads running filters and outputs (default: CPU cores)
    -b, --pipeline.batch.size SIZE  Events per worker batch (default: 125)
    -u, --pipeline.batch.delay MS   Longest wait for a full batch, in milliseconds (default: 50)
        --pipeline.id ID            Pipeline id (default: main)
        --pipeline.ordered auto|true|false
                                    Preserve event order (true needs -w 1; auto: only with an explicit -w 1)
        --log.level LEVEL           fatal, error, warn, info (default), debug or trace
        --log.format plain|json     Log line format (default: plain)
    -S, --setting KEY=VALUE         Set any of the settings above by its Logstash name
        --list-plugins              List the built-in plugins
        --describe-plugin NAME      Print a plugin's options (NAME or kind/NAME, e.g. codec/json)
    -V, --version                   Print the version
    -h, --help                      Print this help
)";
}

}  // namespace sluice::cli
