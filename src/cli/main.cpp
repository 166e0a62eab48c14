// sluice: a Logstash-compatible pipeline processor. Flags follow Logstash's spellings; see
// cli/options.hpp.
#include "cli/describe.hpp"
#include "cli/options.hpp"
#include "compiler/compile.hpp"
#include "config/loader.hpp"
#include "runtime/pipeline.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <iostream>
#include <string>
#include <vector>

namespace {

int usage_error(const std::string& message) {
  // As Logstash (Clamp): the message, then a pointer to the help rather than the whole text.
  std::cerr << "ERROR: " << message << "\n\nSee: 'sluice --help'\n";
  return 1;
}

void fatal(const std::string& message) { sluice::log::write(sluice::log::Level::Fatal, "logstash.runner", message); }

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
  log::Level level = log::Level::Info;
  (void)log::parse_level(opts.log_level, &level);
  log::set_level(level);
  log::set_json_format(opts.log_format == "json");
  for (const std::string& w : opts.warnings) log::warn("logstash.runner", w);

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
  if (!cli::check_settings(opts, &error)) return usage_error(error);
  if (!opts.path_config && !opts.config_string) {
    return usage_error("No configuration given: use -f PATH or -e CONFIG_STRING");
  }

  config::ConfigSource source;
  if (opts.path_config) source.paths.push_back(*opts.path_config);
  if (opts.config_string) source.string = *opts.config_string;
  config::LoadOptions load_opts;
  load_opts.support_escapes = opts.support_escapes;

  config::Diagnostics diags;
  auto loaded = config::load_config(source, load_opts, diags);
  std::unique_ptr<CompiledPipeline> pipeline;
  if (loaded) {
    CompileOptions copts;
    copts.pipeline_id = opts.pipeline.id;
    copts.test_only = opts.test_and_exit;
    copts.support_escapes = opts.support_escapes;
    pipeline = compile_pipeline(loaded->files, copts, diags);
  }
  if (!diags.items().empty()) std::cerr << diags.render();
  if (!pipeline) {
    std::size_t n = diags.error_count();
    std::string reason = n == 1 ? "1 error in the configuration (see above)"
                                : std::to_string(n) + " errors in the configuration (see above)";
    if (n == 1) {
      for (const auto& d : diags.items()) {
        if (d.severity == config::Diagnostic::Severity::Error) reason = d.loc.describe() + ": " + d.message;
      }
    }
    if (opts.test_and_exit) {
      fatal("The given configuration is invalid. Reason: " + reason);
    } else {
      fatal("Failed to create the pipeline '" + opts.pipeline.id + "'. Reason: " + reason);
    }
    return 1;
  }

  if (opts.config_debug == cli::Options::Debug::Text) std::cout << pipeline->describe();
  if (opts.config_debug == cli::Options::Debug::Dot) std::cout << pipeline->to_dot();

  if (opts.test_and_exit) {
    std::cout << "Configuration OK\n";
    log::info("logstash.runner", "Using config.test_and_exit mode. Config Validation Result: OK. Exiting Logstash");
    return 0;
  }
  return run_pipeline(std::move(pipeline), opts.pipeline);
}
