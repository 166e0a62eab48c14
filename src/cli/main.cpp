// sluice: a Logstash-compatible pipeline processor. Flags follow Logstash's spellings (see
// cli/options.hpp); settings are resolved from logstash.yml, the environment, the command line and
// pipelines.yml (settings/settings.hpp); the node's agent runs the pipelines (node/agent.hpp), and
// `-t` prepares each without running it (node/prepare.hpp).
//
// Order of work: parse the flags -> help/version/plugin docs -> resolve settings -> configure
// logging -> `-t` compiles every pipeline and exits, otherwise the agent runs until shutdown.
#include "cli/describe.hpp"
#include "cli/options.hpp"
#include "node/agent.hpp"
#include "node/prepare.hpp"
#include "settings/settings.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace {

int usage_error(const std::string& message) {
  // As Logstash (Clamp): the message, then a pointer to the help rather than the whole text.
  std::cerr << "ERROR: " << message << "\n\nSee: 'bin/logstash --help'\n";
  return 1;
}

void fatal(const std::string& message) { sluice::log::write(sluice::log::Level::Fatal, "logstash.runner", message); }

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

// `-t`: every pipeline is read and compiled (plugins validate their options, nothing is started).
int test_configuration(const sluice::settings::NodeSettings& node) {
  using namespace sluice;
  bool ok = true;
  for (const auto& spec : node.pipelines) {
    config::Diagnostics diags;
    PreparedPipeline prepared = prepare_pipeline(spec, true, diags);
    if (!diags.items().empty()) std::cerr << diags.render();
    if (!prepared.compiled) {
      const std::string where = node.pipelines.size() > 1 ? " (pipeline '" + spec.runtime.id + "')" : "";
      fatal("The given configuration is invalid" + where + ". Reason: " + failure_reason(diags));
      ok = false;
      continue;
    }
    if (node.pipelines.size() > 1 && node.config_debug != settings::NodeSettings::Debug::Off) {
      std::cout << "# pipeline " << spec.runtime.id << "\n";
    }
    if (node.config_debug == settings::NodeSettings::Debug::Text) std::cout << prepared.compiled->describe();
    if (node.config_debug == settings::NodeSettings::Debug::Dot) std::cout << prepared.compiled->to_dot();
  }
  if (!ok) return 1;
  std::cout << "Configuration OK\n";
  log::info("logstash.runner", "Using config.test_and_exit mode. Config Validation Result: OK. Exiting Logstash");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sluice;
  std::vector<std::string> args(argv + 1, argv + argc);
  cli::Options opts;
  std::string error;
  if (!cli::parse_args(args, &opts, &error)) return usage_error(error);
  if (opts.show_help) {
    std::cout << cli::usage();
    return 0;
  }
  if (opts.show_version) {
    std::cout << "sluice " << SLUICE_VERSION << " (Logstash-compatible)\n";
    return 0;
  }
  const Registry& registry = Registry::builtin();
  if (opts.list_plugins) {
    std::cout << cli::list_plugins(registry);
    return 0;
  }
  if (opts.describe_plugin) {
    std::string out;
    if (!cli::describe_plugin(registry, *opts.describe_plugin, &out, &error)) {
      std::cerr << "ERROR: " << error << "\n";
      return 1;
    }
    std::cout << out;
    return 0;
  }

  settings::ResolveInput input;
  input.cli = opts.settings;
  input.env = process_environment();
  auto env_flag = input.env.find("SLUICE_SETTINGS_FROM_ENV");
  input.env_settings = env_flag != input.env.end() && env_flag->second == "true";
  auto home = input.env.find("LS_HOME");
  if (home != input.env.end()) input.home = home->second;

  settings::NodeSettings node;
  if (!settings::resolve(input, &node, &error)) {
    std::cerr << "ERROR: " << error << "\n";
    return 1;
  }

  log::Level level = log::Level::Info;
  (void)log::parse_level(node.log_level, &level);
  log::set_level(level);
  log::set_json_format(node.log_format == "json");
  for (const std::string& w : opts.warnings) log::warn("logstash.runner", w);
  for (const std::string& w : node.warnings) log::warn("logstash.runner", w);
  for (const std::string& i : node.infos) log::info("logstash.runner", i);

  if (node.test_and_exit) return test_configuration(node);
  if (node.config_debug != settings::NodeSettings::Debug::Off && log::enabled(log::Level::Debug)) {
    // --config.debug without -t: the compiled graph goes to the log at debug level, as Logstash does.
    for (const auto& spec : node.pipelines) {
      config::Diagnostics diags;
      PreparedPipeline prepared = prepare_pipeline(spec, true, diags);
      if (prepared.compiled) {
        log::write(log::Level::Debug, "logstash.javapipeline",
                   node.config_debug == settings::NodeSettings::Debug::Dot ? prepared.compiled->to_dot()
                                                                          : prepared.compiled->describe(),
                   spec.runtime.id);
      }
    }
  }
  Agent agent(std::move(input), std::move(node));
  return agent.run();
}
