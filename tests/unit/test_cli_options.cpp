// Command-line parsing: every flag maps to its Logstash setting name, boolean flags follow
// Logstash's Clamp patch, -S passes any setting, deprecated aliases warn, and usage errors say
// what to do. Values are validated by settings::resolve (see test_settings.cpp); the end of this
// file checks the two together.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cli/options.hpp"
#include "settings/settings.hpp"

using namespace sluice;
using Pairs = std::vector<std::pair<std::string, std::string>>;

namespace {

cli::Options parse_ok(const std::vector<std::string>& args) {
  cli::Options o;
  std::string error;
  INFO(error);
  REQUIRE(cli::parse_args(args, &o, &error));
  return o;
}

std::string parse_error(const std::vector<std::string>& args) {
  cli::Options o;
  std::string error;
  REQUIRE_FALSE(cli::parse_args(args, &o, &error));
  return error;
}

}  // namespace

TEST_CASE("cli: value flags map to settings in command-line order", "[cli]") {
  cli::Options o = parse_ok({"-f",
                             "/etc/x.conf",
                             "-w",
                             "4",
                             "-b",
                             "10",
                             "-u",
                             "5",
                             "--pipeline.id",
                             "p",
                             "--pipeline.ordered=true",
                             "--log.level",
                             "debug",
                             "--log.format=json",
                             "-n",
                             "node1",
                             "--path.settings",
                             "/etc/ls",
                             "--path.data",
                             "/var/ls",
                             "-l",
                             "/var/log/ls",
                             "--api.http.host",
                             "0.0.0.0",
                             "--api.http.port",
                             "9600-9610",
                             "--api.enabled",
                             "false",
                             "--pipeline.ecs_compatibility",
                             "v1",
                             "--config.reload.interval",
                             "5s",
                             "--field-reference-escape-style",
                             "none",
                             "--pipeline.batch.output_chunking.growth_threshold_factor",
                             "10",
                             "-p",
                             "/plugins",
                             "--log.format.json.fix_duplicate_message_fields",
                             "false"});
  CHECK(o.settings == Pairs{{"path.config", "/etc/x.conf"},
                            {"pipeline.workers", "4"},
                            {"pipeline.batch.size", "10"},
                            {"pipeline.batch.delay", "5"},
                            {"pipeline.id", "p"},
                            {"pipeline.ordered", "true"},
                            {"log.level", "debug"},
                            {"log.format", "json"},
                            {"node.name", "node1"},
                            {"path.settings", "/etc/ls"},
                            {"path.data", "/var/ls"},
                            {"path.logs", "/var/log/ls"},
                            {"api.http.host", "0.0.0.0"},
                            {"api.http.port", "9600-9610"},
                            {"api.enabled", "false"},
                            {"pipeline.ecs_compatibility", "v1"},
                            {"config.reload.interval", "5s"},
                            {"config.field_reference.escape_style", "none"},
                            {"pipeline.batch.output_chunking.growth_threshold_factor", "10"},
                            {"path.plugins", "/plugins"},
                            {"log.format.json.fix_duplicate_message_fields", "false"}});
  CHECK(o.warnings.empty());
  CHECK_FALSE(o.show_help);
  CHECK_FALSE(o.show_version);

  o = parse_ok({"--path.config=/a", "-e", "input {}", "--config.string", "", "--node.name=x=y"});
  CHECK(o.settings == Pairs{{"path.config", "/a"},
                            {"config.string", "input {}"},
                            {"config.string", ""},
                            {"node.name", "x=y"}});
}

TEST_CASE("cli: boolean flags alone, with =value, or with a following non-option value", "[cli]") {
  cli::Options o =
      parse_ok({"-t", "-r", "--config.debug", "--config.support_escapes", "--pipeline.unsafe_shutdown",
                "--plugin-classloaders", "--enable-local-plugin-development"});
  CHECK(o.settings == Pairs{{"config.test_and_exit", "true"},
                            {"config.reload.automatic", "true"},
                            {"config.debug", "true"},
                            {"config.support_escapes", "true"},
                            {"pipeline.unsafe_shutdown", "true"},
                            {"pipeline.plugin_classloaders", "true"},
                            {"enable-local-plugin-development", "true"}});
  o = parse_ok({"--config.debug=dot", "--config.test_and_exit=false", "-r", "false", "--config.debug", "dot",
                "-t", "-f", "x"});
  CHECK(o.settings == Pairs{{"config.debug", "dot"},
                            {"config.test_and_exit", "false"},
                            {"config.reload.automatic", "false"},
                            {"config.debug", "dot"},
                            {"config.test_and_exit", "true"},
                            {"path.config", "x"}});
}

TEST_CASE("cli: -S and --setting pass any setting by name", "[cli]") {
  cli::Options o = parse_ok({"-S", "pipeline.workers=2", "--setting", "queue.type:persisted", "-S",
                             "path.config=/x:y", "--setting=node.name=a=b", "-S", "config.string="});
  CHECK(o.settings == Pairs{{"pipeline.workers", "2"},
                            {"queue.type", "persisted"},
                            {"path.config", "/x:y"},
                            {"node.name", "a=b"},
                            {"config.string", ""}});
  CHECK(parse_error({"-S", "novalue"}) ==
        "failed to parse setting `novalue`: -S expects KEY=VALUE (e.g. -S pipeline.workers=2)");
  CHECK_THAT(parse_error({"-S", "=x"}), Catch::StartsWith("failed to parse setting `=x`"));
  CHECK(parse_error({"-S"}) == "Option '-S' needs a value");
}

TEST_CASE("cli: --verbose, --debug and --quiet are deprecated aliases of log.level", "[cli]") {
  cli::Options o = parse_ok({"--verbose", "--debug", "--quiet"});
  CHECK(o.settings == Pairs{{"log.level", "info"}, {"log.level", "debug"}, {"log.level", "error"}});
  REQUIRE(o.warnings.size() == 3);
  CHECK(o.warnings[1] ==
        "DEPRECATION WARNING: The flag [\"--debug\"] has been deprecated and may be removed in a "
        "future release, please use \"--log.level=debug\" instead.");
  CHECK(parse_error({"--quiet=yes"}) == "Option '--quiet' takes no value");
}

TEST_CASE("cli: sluice's own flags", "[cli]") {
  cli::Options o = parse_ok({"-V", "-h", "--list-plugins", "--describe-plugin", "codec/json"});
  CHECK(o.show_version);
  CHECK(o.show_help);
  CHECK(o.list_plugins);
  CHECK(o.describe_plugin == std::optional<std::string>("codec/json"));
  CHECK(o.settings.empty());
  CHECK(parse_ok({"--version"}).show_version);
  CHECK(parse_ok({"--help"}).show_help);
}

TEST_CASE("cli: usage errors", "[cli]") {
  CHECK(parse_error({"-f"}) == "Option '-f' needs a value");
  CHECK(parse_error({"--pipeline.workers"}) == "Option '--pipeline.workers' needs a value");
  CHECK(parse_error({"--nope"}) == "Unrecognised option '--nope'");
  CHECK(parse_error({"--nope=1"}) == "Unrecognised option '--nope=1'");
  CHECK(parse_error({"stray"}) == "Unexpected argument 'stray'");
  CHECK(parse_error({"-f", "x", "y"}) == "Unexpected argument 'y'");
  for (const char* jvm : {"-Xmx1g", "-XX:+UseG1GC", "-Dfoo=bar", "-J-Xss4m", "-verbose:gc", "-server"}) {
    INFO(jvm);
    CHECK(parse_error({jvm}) ==
          std::string("'") + jvm +
              "' looks like a JVM option; sluice is not a JVM program and takes no JVM options "
              "(remove it, or drop it from LS_JAVA_OPTS)");
  }
  CHECK(parse_error({"-i", "irb"}) == "'-i' is not supported: sluice has no interactive Ruby shell");
}

TEST_CASE("cli: usage() lists every flag", "[cli]") {
  const std::string u = cli::usage();
  for (const char* f : {"-f, --path.config",
                        "-e, --config.string",
                        "-t, --config.test_and_exit",
                        "-r, --config.reload.automatic",
                        "--config.reload.interval",
                        "--config.debug",
                        "--config.support_escapes",
                        "--field-reference-escape-style",
                        "-w, --pipeline.workers",
                        "-b, --pipeline.batch.size",
                        "-u, --pipeline.batch.delay",
                        "--pipeline.id",
                        "--pipeline.ordered",
                        "--pipeline.ecs_compatibility",
                        "--pipeline.unsafe_shutdown",
                        "--path.settings",
                        "--path.data",
                        "-l, --path.logs",
                        "-n, --node.name",
                        "--log.level",
                        "--log.format",
                        "--api.enabled",
                        "--api.http.host",
                        "--api.http.port",
                        "-S, --setting",
                        "--verbose",
                        "--list-plugins",
                        "--describe-plugin",
                        "-V, --version",
                        "-h, --help"}) {
    INFO(f);
    CHECK(u.find(f) != std::string::npos);
  }
}

TEST_CASE("cli: flags and settings::resolve together", "[cli][settings]") {
  auto resolve_args = [](const std::vector<std::string>& args, settings::NodeSettings* node,
                         std::string* error) {
    cli::Options o;
    REQUIRE(cli::parse_args(args, &o, error));
    settings::ResolveInput in;
    in.cli = o.settings;
    return settings::resolve(in, node, error);
  };
  settings::NodeSettings node;
  std::string error;
  REQUIRE(resolve_args({"-e", "input {}", "-w", "2", "--pipeline.ordered", "true", "-t", "--config.debug=dot",
                        "--debug", "--api.http.port", "9601"},
                       &node, &error));
  CHECK(node.pipelines.at(0).runtime.workers == 2);
  CHECK(node.pipelines.at(0).runtime.workers_explicit);
  CHECK(node.pipelines.at(0).runtime.ordered == PipelineSettings::Ordered::True);
  CHECK(node.test_and_exit);
  CHECK(node.config_debug == settings::NodeSettings::Debug::Dot);
  CHECK(node.log_level == "debug");
  CHECK(node.api.port_first == 9601);

  CHECK_FALSE(resolve_args({"-e", "", "-w", "abc"}, &node, &error));
  CHECK(error == "Invalid value \"abc\" for pipeline.workers: expected a positive integer");
  CHECK_FALSE(resolve_args({"-e", "", "-f", "x.conf"}, &node, &error));
  CHECK(error == "Settings 'path.config' (-f) and 'config.string' (-e) can't be used simultaneously.");
  CHECK_FALSE(resolve_args({"-e", "", "-r"}, &node, &error));
  CHECK(error == "Configuration reloading can't be used with 'config.string' (-e).");
  CHECK_FALSE(resolve_args({"-e", "", "-S", "no.such=1"}, &node, &error));
  CHECK_THAT(error,
             Catch::StartsWith("Your settings are invalid. Reason: Setting \"no.such\" doesn't exist."));
  // The last -f wins, as in Logstash.
  REQUIRE(resolve_args({"-f", "a.conf", "-f", "b.conf"}, &node, &error));
  CHECK(node.pipelines.at(0).path_config == std::vector<std::string>{"b.conf"});
}
