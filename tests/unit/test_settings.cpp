// Settings resolution as Logstash does it: defaults < logstash.yml < environment (the Docker
// image's env2yaml mapping) < command line < pipelines.yml; coercions, ${VAR}, every error
// message, ignored settings, pipelines.yml, derived paths, reload, bytes and durations.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "settings/settings.hpp"

using namespace sluice;
using namespace sluice::settings;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = "/tmp/sluice_settings_XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::string write(const std::string& name, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(file(name)).parent_path());
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }
};

struct Result {
  bool ok = false;
  NodeSettings node;
  std::string error;
};

Result run(const ResolveInput& in) {
  Result r;
  r.ok = resolve(in, &r.node, &r.error);
  return r;
}

Result ok(const ResolveInput& in) {
  Result r = run(in);
  INFO(r.error);
  REQUIRE(r.ok);
  return r;
}

std::string fail(const ResolveInput& in) {
  Result r = run(in);
  REQUIRE_FALSE(r.ok);
  return r.error;
}

// A home with config/logstash.yml (and optionally config/pipelines.yml).
ResolveInput home_input(const TempDir& home, std::vector<std::pair<std::string, std::string>> cli = {}) {
  ResolveInput in;
  in.home = home.path;
  in.cli = std::move(cli);
  return in;
}

bool has_line(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

std::size_t count_lines(const std::vector<std::string>& lines, const std::string& needle) {
  return static_cast<std::size_t>(std::count_if(
      lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; }));
}

const std::vector<std::pair<std::string, std::string>> kE = {{"config.string", "input { stdin {} }"}};

}  // namespace

TEST_CASE("settings: defaults derive from LS_HOME and path.data", "[settings]") {
  TempDir home;
  Result r = ok(home_input(home, kE));
  const NodeSettings& n = r.node;
  // No logstash.yml in <home>/config: Logstash's warning, then the defaults.
  CHECK(has_line(n.warnings,
                 "Could not find logstash.yml which is typically located in $LS_HOME/config or "
                 "/etc/logstash. You can specify the path using --path.settings. Continuing using the "
                 "defaults"));
  CHECK(n.path_data == home.path + "/data");
  CHECK(n.path_logs == home.path + "/logs");
  CHECK(n.path_queue == home.path + "/data/queue");
  CHECK(n.path_dead_letter_queue == home.path + "/data/dead_letter_queue");
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof host - 1) == 0);
  CHECK(n.node_name == host);
  CHECK(n.log_level == "info");
  CHECK(n.log_format == "plain");
  CHECK_FALSE(n.test_and_exit);
  CHECK(n.config_debug == NodeSettings::Debug::Off);
  CHECK_FALSE(n.reload_automatic);
  CHECK(n.reload_interval_ms == 3000);
  CHECK(n.api.enabled);
  CHECK(n.api.host == "127.0.0.1");
  CHECK(n.api.port_first == 9600);
  CHECK(n.api.port_last == 9700);
  CHECK(n.api.environment == "production");
  CHECK(n.api.auth_type == "none");
  REQUIRE(n.pipelines.size() == 1);
  const PipelineSpec& p = n.pipelines[0];
  CHECK(p.runtime.id == "main");
  CHECK(p.runtime.workers >= 1);
  CHECK_FALSE(p.runtime.workers_explicit);
  CHECK(p.runtime.batch_size == 125);
  CHECK(p.runtime.batch_delay_ms == 50);
  CHECK(p.runtime.ordered == PipelineSettings::Ordered::Auto);
  CHECK(p.config_string == std::optional<std::string>("input { stdin {} }"));
  CHECK(p.path_config.empty());
  CHECK(p.ecs_compatibility == "disabled");  // Logstash 7.17's default
  CHECK(p.reloadable);
  CHECK(p.queue.type == "memory");
  CHECK(p.queue.path == home.path + "/data/queue/main");
  CHECK(p.queue.max_bytes == 1024ull << 20);
  CHECK(p.queue.page_capacity == 64ull << 20);
  CHECK(p.queue.checkpoint_writes == 1024);
  CHECK(p.queue.checkpoint_acks == 1024);
  CHECK(p.queue.checkpoint_interval_ms == 1000);
  CHECK(p.queue.compression == "none");
  CHECK(p.dead_letter_queue.path == home.path + "/data/dead_letter_queue/main");
  CHECK(p.dead_letter_queue.max_bytes == 1024ull << 20);
  CHECK(p.dead_letter_queue.flush_interval_ms == 5000);
  CHECK(p.dead_letter_queue.storage_policy == "drop_newer");
  CHECK_FALSE(n.from_pipelines_yml);
}

TEST_CASE("settings: changing only path.data moves the queue and DLQ paths; explicit ones stay",
          "[settings]") {
  TempDir home;
  Result r = ok(home_input(home, {{"path.data", "/srv/d"}, {"config.string", ""}, {"pipeline.id", "p1"}}));
  CHECK(r.node.path_queue == "/srv/d/queue");
  CHECK(r.node.pipelines.at(0).queue.path == "/srv/d/queue/p1");
  CHECK(r.node.pipelines.at(0).dead_letter_queue.path == "/srv/d/dead_letter_queue/p1");
  r = ok(home_input(home, {{"path.data", "/srv/d"}, {"path.queue", "/q"}, {"config.string", ""}}));
  CHECK(r.node.pipelines.at(0).queue.path == "/q/main");
  CHECK(r.node.pipelines.at(0).dead_letter_queue.path == "/srv/d/dead_letter_queue/main");
}

TEST_CASE("settings: without LS_HOME there is no settings directory and no data directory", "[settings]") {
  ResolveInput in;
  in.cli = kE;
  Result r = ok(in);
  CHECK(r.node.warnings.empty());
  CHECK(r.node.path_settings.empty());
  CHECK(r.node.path_data.empty());
  CHECK(r.node.path_logs.empty());
  CHECK(r.node.pipelines.at(0).queue.path.empty());
  in.cli.emplace_back("queue.type", "persisted");
  CHECK(fail(in).find(
            "queue.type: persisted needs path.data: set --path.data or path.data in logstash.yml") == 0);
  in.cli.pop_back();
  in.cli.emplace_back("dead_letter_queue.enable", "true");
  CHECK_THAT(fail(in), Catch::StartsWith("dead_letter_queue.enable: true needs path.data"));
  in.cli.emplace_back("path.data", "/tmp/somewhere");
  CHECK(ok(in).node.pipelines.at(0).dead_letter_queue.path == "/tmp/somewhere/dead_letter_queue/main");
}

TEST_CASE("settings: nested and flat logstash.yml forms are equivalent; strings are coerced", "[settings]") {
  TempDir a, b;
  a.write("config/logstash.yml",
          "pipeline:\n  workers: 3\n  batch:\n    size: 7\n    delay: \"9\"\napi:\n  http:\n    port: 9650\n"
          "config.support_escapes: \"true\"\nqueue.drain: yes\n");
  b.write(
      "config/logstash.yml",
      "pipeline.workers: \"3\"\npipeline.batch.size: 7\npipeline.batch.delay: 9\napi.http.port: \"9650\"\n"
      "config.support_escapes: true\nqueue.drain: true\n");
  for (const TempDir* d : {&a, &b}) {
    Result r = ok(home_input(*d, kE));
    const PipelineSpec& p = r.node.pipelines.at(0);
    CHECK(p.runtime.workers == 3);
    CHECK(p.runtime.workers_explicit);
    CHECK(p.runtime.batch_size == 7);
    CHECK(p.runtime.batch_delay_ms == 9);
    CHECK(p.support_escapes);
    CHECK(p.queue.drain);
    CHECK(r.node.api.port_first == 9650);
    CHECK(r.node.api.port_last == 9650);
    CHECK(r.node.path_settings == d->path + "/config");
    CHECK_FALSE(has_line(r.node.warnings, "Could not find logstash.yml"));
  }
  auto same_data = kE;
  same_data.emplace_back("path.data", "/var/lib/sluice");
  CHECK(ok(home_input(a, same_data)).node.pipelines[0].settings_fingerprint ==
        ok(home_input(b, same_data)).node.pipelines[0].settings_fingerprint);
}

TEST_CASE("settings: precedence defaults < logstash.yml < environment < command line", "[settings]") {
  TempDir home;
  home.write("config/logstash.yml",
             "pipeline.workers: 2\npipeline.batch.size: 20\nnode.name: from-yml\nlog.level: warn\n");
  ResolveInput in = home_input(home, kE);
  in.env = {{"PIPELINE_BATCH_SIZE", "30"}, {"NODE_NAME", "from-env"}};
  in.env_settings = true;
  in.cli.emplace_back("node.name", "from-cli");
  Result r = ok(in);
  CHECK(r.node.pipelines[0].runtime.workers == 2);      // logstash.yml over the default
  CHECK(r.node.pipelines[0].runtime.batch_size == 30);  // environment over logstash.yml
  CHECK(r.node.node_name == "from-cli");                // command line over the environment
  CHECK(r.node.log_level == "warn");
  CHECK(has_line(r.node.infos, "Setting 'pipeline.batch.size' from environment."));
  CHECK(has_line(r.node.infos, "Setting 'node.name' from environment."));
  // Later command-line values win.
  in.cli.emplace_back("node.name", "last");
  CHECK(ok(in).node.node_name == "last");
}

TEST_CASE("settings: the Docker image's environment mapping", "[settings]") {
  for (const char* name : {"PIPELINE_WORKERS", "pipeline.workers", "PIPELINEWORKERS", "Pipeline_Workers"}) {
    INFO(name);
    CHECK(env_setting_name(name) == "pipeline.workers");
  }
  CHECK(env_setting_name("QUEUE_PAGE_CAPACITY") == "queue.page_capacity");
  CHECK(env_setting_name("API_HTTP_HOST") == "api.http.host");
  CHECK(env_setting_name("XPACK_MONITORING_ENABLED") == "xpack.monitoring.enabled");
  CHECK(env_setting_name("CONFIG_STRING") == "config.string");
  CHECK(env_setting_name("PATH") == "");
  CHECK(env_setting_name("HOME") == "");
  CHECK(env_setting_name("HTTP_PORT") == "");  // the 7.x http.* names are not mapped
  CHECK(env_setting_name("PIPELINE_WORKERS_X") == "");

  ResolveInput in;
  in.cli = kE;
  in.env = {{"PIPELINE_WORKERS", "4"},
            {"QUEUE_MAX_BYTES", "2gb"},
            {"XPACK_MONITORING_ENABLED", "false"},
            {"PATH_CONFIG", "'/usr/share/logstash/pipeline'"}};
  // Not enabled: the variables are only there for ${VAR}.
  Result r = ok(in);
  CHECK_FALSE(r.node.pipelines[0].runtime.workers_explicit);
  CHECK(r.node.infos.empty());

  in.env.erase("PATH_CONFIG");
  in.env_settings = true;
  r = ok(in);
  CHECK(r.node.pipelines[0].runtime.workers == 4);
  CHECK(r.node.pipelines[0].runtime.workers_explicit);
  CHECK(r.node.pipelines[0].queue.max_bytes == 2ull << 30);
  CHECK(has_line(r.node.infos, "Setting 'pipeline.workers' from environment."));
  CHECK(has_line(r.node.warnings,
                 "Ignoring setting \"xpack.monitoring.enabled\" (from environment variable "
                 "XPACK_MONITORING_ENABLED)"));

  // Values are refined as ${VAR} in logstash.yml would be: enclosing quotes go, [a, b] is a list.
  ResolveInput paths;
  paths.env_settings = true;
  paths.env = {{"PATH_CONFIG", "[\"/a.conf\", '/b.conf']"}};
  r = ok(paths);
  CHECK(r.node.pipelines.at(0).path_config == std::vector<std::string>{"/a.conf", "/b.conf"});
  paths.env = {{"PATH_CONFIG", "'/usr/share/logstash/pipeline'"}};
  CHECK(ok(paths).node.pipelines.at(0).path_config ==
        std::vector<std::string>{"/usr/share/logstash/pipeline"});

  // A bad value names its variable.
  ResolveInput badenv;
  badenv.cli = kE;
  badenv.env_settings = true;
  badenv.env = {{"PIPELINE_WORKERS", "lots"}};
  CHECK(fail(badenv) ==
        "Invalid value \"lots\" for pipeline.workers: expected a positive integer (from environment variable "
        "PIPELINE_WORKERS)");
}

TEST_CASE("settings: invalid values from the command line keep their short messages", "[settings]") {
  ResolveInput in;
  in.cli = kE;
  auto with = [&](const std::string& k, const std::string& v) {
    ResolveInput x = in;
    x.cli.emplace_back(k, v);
    return x;
  };
  CHECK(fail(with("pipeline.workers", "abc")) ==
        "Invalid value \"abc\" for pipeline.workers: expected a positive integer");
  CHECK(fail(with("pipeline.workers", "0")) ==
        "Invalid value \"0\" for pipeline.workers: expected a positive integer");
  CHECK(fail(with("pipeline.batch.size", "-1")) ==
        "Invalid value \"-1\" for pipeline.batch.size: expected a positive integer");
  CHECK(fail(with("pipeline.batch.delay", "x")) ==
        "Invalid value \"x\" for pipeline.batch.delay: expected a non-negative number of milliseconds");
  CHECK(fail(with("pipeline.ordered", "sometimes")) ==
        "Invalid value \"sometimes\" for pipeline.ordered: expected one of auto, true or false");
  CHECK(fail(with("log.level", "verbose")) ==
        "Invalid value \"verbose\" for log.level: expected one of fatal, error, warn, info, debug or trace");
  CHECK(fail(with("config.test_and_exit", "yes")) ==
        "Invalid value \"yes\" for config.test_and_exit: expected true or false");
  CHECK(fail(with("config.debug", "maybe")) ==
        "Invalid value \"maybe\" for config.debug: expected true, false or dot");
  CHECK_THAT(fail(with("queue.max_bytes", "1024")),
             Catch::StartsWith("Invalid value \"1024\" for queue.max_bytes: "
                               "Unknown bytes value"));
  CHECK_THAT(fail(with("config.reload.interval", "1.5s")),
             Catch::StartsWith("Invalid value \"1.5s\" for config.reload.interval: expected a duration"));
  CHECK_THAT(fail(with("api.http.port", "9700-9600")),
             Catch::Contains("expected a port (9600) or a port range"));
  CHECK_THAT(fail(with("api.http.port", "70000")), Catch::Contains("within 1-65535"));
  CHECK_THAT(fail(with("dead_letter_queue.retain.age", "5 days")),
             Catch::Contains("in the form <number>[d,h,m,s], e.g. 3m"));
  CHECK_THAT(fail(with("api.ssl.supported_protocols", "SSLv3")), Catch::Contains("TLSv1.3"));
  CHECK_THAT(fail(with("pipeline.id", "")), Catch::Contains("expected a non-empty id"));
}

TEST_CASE("settings: accepted values and their conversions", "[settings]") {
  ResolveInput in;
  in.cli = {{"config.string", "x"},
            {"pipeline.ordered", "true"},
            {"config.debug", "dot"},
            {"config.reload.interval", "250ms"},
            {"api.http.port", "9601-9602"},
            {"pipeline.ecs_compatibility", "disabled"},
            {"queue.page_capacity", "1.5mb"},
            {"dead_letter_queue.retain.age", "5d"},
            {"dead_letter_queue.storage_policy", "drop_older"},
            {"log.format", "json"},
            {"api.enabled", "false"}};
  Result r = ok(in);
  CHECK(r.node.pipelines[0].runtime.ordered == PipelineSettings::Ordered::True);
  CHECK(r.node.config_debug == NodeSettings::Debug::Dot);
  CHECK(r.node.pipelines[0].config_debug);
  CHECK(r.node.reload_interval_ms == 250);
  CHECK(r.node.api.port_first == 9601);
  CHECK(r.node.api.port_last == 9602);
  CHECK_FALSE(r.node.api.enabled);
  CHECK(r.node.pipelines[0].ecs_compatibility == "disabled");
  CHECK(r.node.pipelines[0].queue.page_capacity == 1572864);
  CHECK(r.node.pipelines[0].dead_letter_queue.retain_age == "5d");
  CHECK(r.node.pipelines[0].dead_letter_queue.storage_policy == "drop_older");
  CHECK(r.node.log_format == "json");
}

TEST_CASE("settings: bytes and durations use Logstash's syntax", "[settings]") {
  uint64_t b = 0;
  CHECK(parse_bytes("64mb", &b));
  CHECK(b == 64ull << 20);
  CHECK(parse_bytes("64MB", &b));
  CHECK(b == 64ull << 20);
  CHECK(parse_bytes("1k", &b));
  CHECK(b == 1024);
  CHECK(parse_bytes("10 b", &b));
  CHECK(b == 10);
  CHECK(parse_bytes("2gb", &b));
  CHECK(b == 2ull << 30);
  CHECK(parse_bytes("1tb", &b));
  CHECK(b == 1ull << 40);
  CHECK(parse_bytes("3pb", &b));
  CHECK(b == 3ull << 50);
  CHECK(parse_bytes("0.5kb", &b));
  CHECK(b == 512);
  CHECK_FALSE(parse_bytes("1024", &b));
  CHECK_FALSE(parse_bytes("", &b));
  CHECK_FALSE(parse_bytes("mb", &b));
  CHECK_FALSE(parse_bytes("-1mb", &b));
  CHECK_FALSE(parse_bytes("5 megabytes", &b));
  CHECK_FALSE(parse_bytes("99999999999pb", &b));

  int64_t ms = 0, ns = 0;
  CHECK(parse_duration_ms("3s", &ms));
  CHECK(ms == 3000);
  CHECK(parse_duration_ms("100ms", &ms));
  CHECK(ms == 100);
  CHECK(parse_duration_ms("2m", &ms));
  CHECK(ms == 120000);
  CHECK(parse_duration_ms("1h", &ms));
  CHECK(ms == 3600000);
  CHECK(parse_duration_ms("1d", &ms));
  CHECK(ms == 86400000);
  CHECK(parse_duration_ms(" 5 S ", &ms));
  CHECK(ms == 5000);
  CHECK(parse_duration_ns("7nanos", &ns));
  CHECK(ns == 7);
  CHECK(parse_duration_ns("3micros", &ns));
  CHECK(ns == 3000);
  CHECK(parse_duration_ms("1500micros", &ms));
  CHECK(ms == 1);
  CHECK_FALSE(parse_duration_ms("1.5s", &ms));
  CHECK_FALSE(parse_duration_ms("3", &ms));
  CHECK_FALSE(parse_duration_ms("s", &ms));
  CHECK_FALSE(parse_duration_ms("3 weeks", &ms));
  CHECK_FALSE(parse_duration_ms("-3s", &ms));
  CHECK_FALSE(parse_duration_ms("99999999999s", &ms));
}

TEST_CASE("settings: YAML numbers are byte counts and (deprecated) nanoseconds", "[settings]") {
  TempDir home;
  home.write("config/logstash.yml",
             "queue.max_bytes: 4096\nqueue.page_capacity: 1024\nconfig.reload.interval: 2000000000\n"
             "config.string: x\n");
  Result r = ok(home_input(home));
  CHECK(r.node.pipelines[0].queue.max_bytes == 4096);
  CHECK(r.node.pipelines[0].queue.page_capacity == 1024);
  CHECK(r.node.reload_interval_ms == 2000);
  CHECK(has_line(r.node.warnings,
                 "Integer value for `config.reload.interval` does not have a time unit and will be "
                 "interpreted in nanoseconds."));
  // A quoted number is a string, and a string needs a unit.
  home.write("config/logstash.yml", "queue.max_bytes: \"4096\"\nconfig.string: x\n");
  CHECK_THAT(fail(home_input(home)),
             Catch::StartsWith("Invalid value \"4096\" for queue.max_bytes: Unknown bytes value"));
}

TEST_CASE("settings: queue.page_capacity must fit in queue.max_bytes for a persisted queue", "[settings]") {
  TempDir home;
  ResolveInput in = home_input(
      home, {{"config.string", "x"}, {"queue.page_capacity", "64mb"}, {"queue.max_bytes", "32mb"}});
  CHECK(ok(in).node.pipelines.size() == 1);  // a memory queue does not care
  in.cli.emplace_back("queue.type", "persisted");
  CHECK_THAT(fail(in), Catch::StartsWith("Pipeline main 'queue.page_capacity' must be less than or equal to "
                                         "'queue.max_bytes'."));
  in.cli.emplace_back("queue.max_bytes", "0b");  // 0: unlimited
  CHECK(ok(in).node.pipelines[0].queue.max_bytes == 0);
}

TEST_CASE("settings: unknown settings fail with Logstash's message, the file and a suggestion",
          "[settings]") {
  TempDir home;
  std::string yml = home.write("config/logstash.yml", "pipeline.workers: 2\npipeline.wokers: 3\n");
  std::string e = fail(home_input(home, kE));
  CHECK(e ==
        "Your settings are invalid. Reason: Setting \"pipeline.wokers\" doesn't exist. Please check if you "
        "haven't made a typo. Did you mean \"pipeline.workers\"? (in " +
            yml + ", line 2)");
  home.write("config/logstash.yml", "foo:\n  bar: 1\n");
  CHECK(fail(home_input(home, kE)) ==
        "Your settings are invalid. Reason: Setting \"foo.bar\" doesn't exist. Please "
        "check if you haven't made a typo. (in " +
            yml + ", line 2)");
  ResolveInput cli;
  cli.cli = {{"config.string", "x"}, {"pipline.id", "x"}};
  CHECK(fail(cli) ==
        "Your settings are invalid. Reason: Setting \"pipline.id\" doesn't exist. Please check if you "
        "haven't made a typo. Did you mean \"pipeline.id\"?");
}

TEST_CASE("settings: settings ignored on purpose warn once each and never fail", "[settings]") {
  TempDir home;
  std::string yml = home.write("config/logstash.yml",
                               "xpack.monitoring.enabled: true\n"
                               "xpack:\n  management:\n    enabled: false\n"
                               "monitoring.cluster_uuid: abc\n"
                               "path.plugins: [/x]\n"
                               "pipeline.plugin_classloaders: maybe\n"
                               "pipeline.separate_logs: true\n"
                               "allow_superuser: true\n"
                               "pipeline.batch.metrics.sampling_mode: full\n"
                               "log.format.json.fix_duplicate_message_fields: true\n"
                               "metric.collect: false\n"
                               "keystore.file: /x/ks\n"
                               "pipeline.recoverable: auto\n"
                               "pipeline.system: false\n"
                               "otel.metrics.enabled: true\n"
                               "slowlog.threshold.warn: 2s\n"
                               "modules: [{name: netflow}]\n");
  ResolveInput in = home_input(home, kE);
  in.cli.emplace_back("metric.collect", "true");  // the same ignored setting again: still one warning
  in.env = {{"LS_JAVA_OPTS", "-Xmx1g"}, {"JAVA_OPTS", "-Xms1g"}, {"LS_JAVA_HOME", "/opt/jdk"}};
  Result r = ok(in);
  for (const char* name :
       {"xpack.monitoring.enabled", "xpack.management.enabled", "monitoring.cluster_uuid", "path.plugins",
        "pipeline.plugin_classloaders", "pipeline.separate_logs", "allow_superuser",
        "pipeline.batch.metrics.sampling_mode", "log.format.json.fix_duplicate_message_fields",
        "metric.collect", "keystore.file", "pipeline.recoverable", "pipeline.system", "otel.metrics.enabled",
        "slowlog.threshold.warn", "modules"}) {
    INFO(name);
    CHECK(count_lines(r.node.warnings, "Ignoring setting \"" + std::string(name) + "\"") == 1);
  }
  CHECK(has_line(r.node.warnings, "Ignoring setting \"xpack.monitoring.enabled\" (in " + yml +
                                      ", line 1): Sluice has "
                                      "no X-Pack features"));
  CHECK(count_lines(r.node.warnings, "LS_JAVA_OPTS is set, but Sluice has no JVM") == 1);
  CHECK(count_lines(r.node.warnings, "JAVA_OPTS is set, but Sluice has no JVM") ==
        2);  // LS_JAVA_OPTS and JAVA_OPTS
  CHECK(count_lines(r.node.warnings, "LS_JAVA_HOME is set, but Sluice has no JVM") == 1);
}

TEST_CASE("settings: http.* are deprecated aliases of api.http.*", "[settings]") {
  TempDir home;
  home.write("config/logstash.yml", "http.host: 0.0.0.0\nhttp.port: 9601\nhttp.enabled: false\n");
  Result r = ok(home_input(home, kE));
  CHECK(r.node.api.host == "0.0.0.0");
  CHECK(r.node.api.port_first == 9601);
  CHECK_FALSE(r.node.api.enabled);
  CHECK(has_line(r.node.warnings,
                 "The setting `http.host` is a deprecated alias for `api.http.host` and will be removed "
                 "in version 9. Please use `api.http.host` instead"));
  home.write("config/logstash.yml", "http.host: 0.0.0.0\napi.http.host: 127.0.0.1\n");
  CHECK(fail(home_input(home, kE)) ==
        "Both `api.http.host` and its deprecated alias `http.host` have been set. Please "
        "only set `api.http.host`");
}

TEST_CASE("settings: ${VAR} and ${VAR:default} in logstash.yml", "[settings]") {
  TempDir home;
  std::string yml = home.write("config/logstash.yml",
                               "pipeline.workers: ${WORKERS}\n"
                               "pipeline.batch.size: ${BATCH:50}\n"
                               "node.name: \"node-${ZONE:z1}-${ID}\"\n"
                               "api.http.host: ${QUOTED}\n"
                               "path.config: ${PATHS}\n"
                               "pipeline.id: ${NOT_A_PLACEHOLDER\n");
  ResolveInput in = home_input(home);
  in.env = {{"WORKERS", "6"}, {"ID", "7"}, {"QUOTED", "'10.0.0.1'"}, {"PATHS", "[/a.conf, \"/b.conf\"]"}};
  Result r = ok(in);
  const PipelineSpec& p = r.node.pipelines.at(0);
  CHECK(p.runtime.workers == 6);
  CHECK(p.runtime.batch_size == 50);
  CHECK(r.node.node_name == "node-z1-7");
  CHECK(r.node.api.host == "10.0.0.1");
  CHECK(p.path_config == std::vector<std::string>{"/a.conf", "/b.conf"});
  CHECK(p.runtime.id == "${NOT_A_PLACEHOLDER");

  in.env.erase("WORKERS");
  CHECK(fail(in) ==
        "Cannot evaluate `${WORKERS}`. Replacement variable `WORKERS` is not defined as an environment "
        "variable and there is no default value given (setting \"pipeline.workers\" (in " +
            yml + ", line 1)): set it in the environment or give a default: ${WORKERS:value}");
  // Command-line values are not substituted.
  ResolveInput cli;
  cli.cli = {{"config.string", "x"}, {"node.name", "${HOME}"}};
  cli.env = {{"HOME", "/root"}};
  CHECK(ok(cli).node.node_name == "${HOME}");
}

TEST_CASE("settings: empty values keep the defaults; bad logstash.yml is an error with its position",
          "[settings]") {
  TempDir home;
  std::string yml = home.write("config/logstash.yml", "pipeline.workers:\nnode.name:\n# comment\n");
  Result r = ok(home_input(home, kE));
  CHECK_FALSE(r.node.pipelines[0].runtime.workers_explicit);
  CHECK_FALSE(r.node.node_name.empty());

  home.write("config/logstash.yml", "pipeline:\n  workers: 2\n\tbatch.size: 3\n");
  CHECK(fail(home_input(home, kE)) ==
        "Failed to parse YAML file \"" + yml +
            "\": line 3, column 1: tab character used for indentation (YAML indentation "
            "must use spaces)");
  home.write("config/logstash.yml", "- a\n- b\n");
  CHECK(fail(home_input(home, kE)) ==
        "Failed to parse YAML file \"" + yml +
            "\": line 1, column 1: the file must be a mapping of settings (`name: value`), "
            "not a sequence");
  home.write("config/logstash.yml", "");
  CHECK(ok(home_input(home, kE)).node.warnings.empty());
}

TEST_CASE("settings: path.settings from the command line or LS_SETTINGS_DIR", "[settings]") {
  TempDir home, other;
  home.write("config/logstash.yml", "node.name: home\n");
  other.write("logstash.yml", "node.name: other\n");
  ResolveInput in = home_input(home, kE);
  CHECK(ok(in).node.node_name == "home");
  in.env["LS_SETTINGS_DIR"] = other.path;
  CHECK(ok(in).node.node_name == "other");
  CHECK(ok(in).node.path_settings == other.path);
  in.env.erase("LS_SETTINGS_DIR");
  in.cli.emplace_back("path.settings", other.path + "/");
  CHECK(ok(in).node.node_name == "other");
  // An explicit directory without logstash.yml: Logstash's warning, defaults.
  TempDir empty;
  ResolveInput none;
  none.cli = {{"path.settings", empty.path}, {"config.string", "x"}};
  Result r = ok(none);
  CHECK(has_line(r.node.warnings, "Could not find logstash.yml"));
  CHECK(r.node.path_settings == empty.path);
}

TEST_CASE("settings: -f and -e make one pipeline; conflicts as Logstash words them", "[settings]") {
  ResolveInput in;
  in.cli = {{"path.config", "/etc/x.conf"}, {"pipeline.id", "one"}, {"pipeline.workers", "1"}};
  Result r = ok(in);
  REQUIRE(r.node.pipelines.size() == 1);
  CHECK(r.node.pipelines[0].path_config == std::vector<std::string>{"/etc/x.conf"});
  CHECK(r.node.pipelines[0].runtime.id == "one");
  CHECK(r.node.pipelines[0].runtime.workers_explicit);

  in.cli.emplace_back("config.string", "input {}");
  CHECK(fail(in) == "Settings 'path.config' (-f) and 'config.string' (-e) can't be used simultaneously.");
  ResolveInput reload;
  reload.cli = {{"config.string", "x"}, {"config.reload.automatic", "true"}};
  CHECK(fail(reload) == "Configuration reloading can't be used with 'config.string' (-e).");
  reload.cli = {{"path.config", "/x"}, {"config.reload.automatic", "true"}};
  CHECK(ok(reload).node.reload_automatic);

  // path.config in logstash.yml and -e on the command line are the same conflict.
  TempDir home;
  home.write("config/logstash.yml", "path.config: /etc/logstash/conf.d\n");
  CHECK(fail(home_input(home, kE)) ==
        "Settings 'path.config' (-f) and 'config.string' (-e) can't be used "
        "simultaneously.");
  CHECK(ok(home_input(home)).node.pipelines.at(0).path_config ==
        std::vector<std::string>{"/etc/logstash/conf.d"});

  ResolveInput nothing;
  CHECK(fail(nothing) ==
        "No configuration given: use -f PATH, -e CONFIG_STRING, or a pipelines.yml in the settings "
        "directory (--path.settings)");
  TempDir empty_home;
  CHECK(fail(home_input(empty_home)) ==
        "No configuration given: use -f PATH, -e CONFIG_STRING, or a pipelines.yml in " + empty_home.path +
            "/config");
}

TEST_CASE("settings: pipelines.yml defines several pipelines over the process settings", "[settings]") {
  TempDir home;
  home.write("config/logstash.yml", "pipeline.batch.size: 10\nqueue.type: persisted\n");
  std::string pyml = home.write("config/pipelines.yml",
                                "# the image's default, plus more\n"
                                "- pipeline.id: main\n"
                                "  path.config: \"/usr/share/logstash/pipeline\"\n"
                                "- pipeline.id: inline\n"
                                "  pipeline.workers: 1\n"
                                "  queue.type: memory\n"
                                "  config.string: |\n"
                                "    input { generator { count => 1 } }\n"
                                "    output { stdout {} }\n"
                                "- pipeline.id: lists\n"
                                "  path.config:\n"
                                "    - /etc/a/*.conf\n"
                                "    - /etc/b.conf\n"
                                "  pipeline.batch.size: 99\n"
                                "  path.queue: /fast/queue\n"
                                "  pipeline.ecs_compatibility: v1\n");
  ResolveInput in = home_input(home, {{"pipeline.workers", "3"}});
  Result r = ok(in);
  CHECK(r.node.from_pipelines_yml);
  CHECK(r.node.pipelines_yml_path == pyml);
  REQUIRE(r.node.pipelines.size() == 3);
  const PipelineSpec& main = r.node.pipelines[0];
  CHECK(main.runtime.id == "main");
  CHECK(main.path_config == std::vector<std::string>{"/usr/share/logstash/pipeline"});
  CHECK(main.runtime.batch_size == 10);  // from logstash.yml
  CHECK(main.runtime.workers == 3);      // from the command line
  CHECK(main.runtime.workers_explicit);
  CHECK(main.queue.type == "persisted");
  CHECK(main.queue.path == home.path + "/data/queue/main");
  const PipelineSpec& inl = r.node.pipelines[1];
  CHECK(inl.config_string ==
        std::optional<std::string>("input { generator { count => 1 } }\noutput { stdout {} }\n"));
  CHECK(inl.runtime.workers == 1);  // the entry over the command line
  CHECK(inl.queue.type == "memory");
  CHECK(inl.dead_letter_queue.path == home.path + "/data/dead_letter_queue/inline");
  const PipelineSpec& lists = r.node.pipelines[2];
  CHECK(lists.path_config == std::vector<std::string>{"/etc/a/*.conf", "/etc/b.conf"});
  CHECK(lists.runtime.batch_size == 99);
  CHECK(lists.queue.path == "/fast/queue/lists");
  CHECK(lists.ecs_compatibility == "v1");
  CHECK_FALSE(has_line(r.node.warnings, "Ignoring the 'pipelines.yml'"));

  // Fingerprints differ with the settings and list the effective values.
  CHECK(main.settings_fingerprint != lists.settings_fingerprint);
  CHECK_THAT(lists.settings_fingerprint, Catch::Contains("pipeline.batch.size=99\n"));
  CHECK_THAT(lists.settings_fingerprint, Catch::Contains("path.config=/etc/a/*.conf,/etc/b.conf\n"));
  CHECK_THAT(main.settings_fingerprint, Catch::Contains("pipeline.workers=3\n"));
  CHECK_THAT(inl.settings_fingerprint,
             Catch::Contains("config.string=input { generator { count => 1 } }\\noutput"));

  // -f / -e win over pipelines.yml, with Logstash's warning.
  in.cli.emplace_back("config.string", "input {}");
  r = ok(in);
  CHECK(r.node.pipelines.size() == 1);
  CHECK_FALSE(r.node.from_pipelines_yml);
  CHECK(has_line(r.node.warnings,
                 "Ignoring the 'pipelines.yml' file because command line options are specified"));
}

TEST_CASE("settings: pipelines.yml errors", "[settings]") {
  TempDir home;
  auto with = [&](const std::string& text) {
    home.write("config/pipelines.yml", text);
    return fail(home_input(home));
  };
  const std::string p = home.file("config/pipelines.yml");
  CHECK(with("") == "Pipelines YAML file is empty. Location: " + p);
  CHECK(with("# nothing\n") == "Pipelines YAML file is empty. Location: " + p);
  CHECK(with("---\n") == "Pipelines YAML file is empty. Location: " + p);
  CHECK(with("[]\n") == "Pipelines YAML file is empty. Location: " + p);
  CHECK(with("pipeline.id: main\npath.config: /x\n") ==
        "Pipelines YAML file must contain an array of pipeline configs. Found \"Hash\" in " + p);
  CHECK(with("just a string\n") ==
        "Pipelines YAML file must contain an array of pipeline configs. Found \"String\" in " + p);
  CHECK_THAT(with("- pipeline.id: a\n  path.config: /a\n- just text\n"),
             Catch::StartsWith(
                 "Pipelines YAML file must contain an array of pipeline configs: entry 2 (line 3) is a "
                 "String"));
  std::string forbidden = with("- pipeline.id: a\n  path.config: /a\n  api.http.port: 9601\n");
  CHECK_THAT(forbidden,
             Catch::StartsWith("Only pipeline related settings are expected. Received \"api.http.port\". "
                               "Allowed settings: [\"path.config\", "));
  CHECK_THAT(forbidden, Catch::Contains("\"queue.type\""));
  CHECK_THAT(forbidden, Catch::EndsWith("(in " + p + ", line 3)"));
  CHECK_THAT(with("- pipeline: {id: x}\n"),
             Catch::StartsWith("Only pipeline related settings are expected. Received "
                               "\"pipeline\"."));
  CHECK_THAT(with("- pipeline.id: a\n  path.config: /a\n  pipeline.wrokers: 2\n"),
             Catch::Contains("Did you mean \"pipeline.workers\"?"));
  CHECK(with("- pipeline.id: a\n  path.config: /a\n- pipeline.id: b\n  path.config: /b\n- pipeline.id: a\n"
             "  path.config: /c\n- path.config: /d\n- path.config: /e\n") ==
        "Pipelines YAML file contains duplicate pipeline ids: [\"a\", \"main\"]. Location: " + p);
  CHECK_THAT(
      with("- pipeline.id: a\n  path.config: /a\n  pipeline.workers: none\n"),
      Catch::StartsWith("Invalid value \"none\" for pipeline.workers: expected a positive integer (in " + p +
                        ", line 3)"));
  CHECK_THAT(with("- pipeline.id: a\n"),
             Catch::StartsWith("Pipeline \"a\" has neither path.config nor config.string"));
  CHECK_THAT(with("- pipeline.id: a\n  path.config: /a\n  config.string: x\n"),
             Catch::StartsWith("Settings 'path.config' and 'config.string' can't be used simultaneously"));
  CHECK_THAT(with("- pipeline.id: a\n  path.config: [/a\n"),
             Catch::StartsWith("Failed to parse YAML file \"" + p + "\": line 2, column 16: unterminated"));
  CHECK_THAT(with("- pipeline.id: a\n  path.config: ${UNSET_VARIABLE_FOR_TEST}\n"),
             Catch::StartsWith("Cannot evaluate `${UNSET_VARIABLE_FOR_TEST}`"));
}

TEST_CASE("settings: pipelines.yml: ${VAR}, ignored and deprecated keys", "[settings]") {
  TempDir home;
  std::string p = home.write("config/pipelines.yml",
                             "- pipeline.id: ${ID:fallback}\n"
                             "  path.config: \"${DIR}/*.conf\"\n"
                             "  config.reload.automatic: true\n"
                             "  config.reload.interval: 5s\n"
                             "  metric.collect: false\n");
  ResolveInput in = home_input(home);
  in.env = {{"DIR", "/etc/p"}};
  Result r = ok(in);
  CHECK(r.node.pipelines.at(0).runtime.id == "fallback");
  CHECK(r.node.pipelines.at(0).path_config == std::vector<std::string>{"/etc/p/*.conf"});
  CHECK(has_line(r.node.warnings,
                 "Config option \"config.reload.automatic\", set for pipeline \"${ID:fallback}\", is "
                 "deprecated as a pipeline override setting. Please only set it at the process level."));
  CHECK(has_line(r.node.warnings, "Config option \"config.reload.interval\""));
  CHECK(has_line(r.node.warnings, "Ignoring setting \"metric.collect\" (in " + p + ", line 5)"));
  CHECK_FALSE(r.node.reload_automatic);
  // Without refinement in pipelines.yml: quotes in a variable's value stay.
  in.env["DIR"] = "'/q'";
  CHECK(ok(in).node.pipelines.at(0).path_config == std::vector<std::string>{"'/q'/*.conf"});
}

TEST_CASE("settings: reload re-reads pipelines.yml with the start-up node settings", "[settings]") {
  TempDir home;
  home.write("config/logstash.yml", "pipeline.batch.size: 11\n");
  home.write("config/pipelines.yml", "- pipeline.id: a\n  path.config: /a\n");
  ResolveInput in = home_input(home, {{"pipeline.workers", "2"}});
  Result r = ok(in);
  REQUIRE(r.node.pipelines.size() == 1);

  // logstash.yml changes are not picked up by a reload (Logstash reads it once); pipelines.yml is.
  home.write("config/logstash.yml", "pipeline.batch.size: 99\n");
  home.write(
      "config/pipelines.yml",
      "- pipeline.id: a\n  path.config: /a\n- pipeline.id: b\n  config.string: x\n  pipeline.batch.size: 5\n"
      "  metric.collect: true\n");
  std::vector<PipelineSpec> specs;
  std::string error;
  REQUIRE(reload_pipelines(in, r.node, &specs, &error));
  REQUIRE(specs.size() == 2);
  CHECK(specs[0].runtime.batch_size == 11);
  CHECK(specs[0].runtime.workers == 2);
  CHECK(specs[0].runtime.workers_explicit);
  CHECK(specs[0].settings_fingerprint == r.node.pipelines[0].settings_fingerprint);
  CHECK(specs[1].runtime.id == "b");
  CHECK(specs[1].runtime.batch_size == 5);
  CHECK(specs[1].queue.path == home.path + "/data/queue/b");

  home.write("config/pipelines.yml", "- pipeline.id: a\n  pipeline.workers: zero\n  path.config: /a\n");
  CHECK_FALSE(reload_pipelines(in, r.node, &specs, &error));
  CHECK_THAT(error, Catch::StartsWith("Invalid value \"zero\" for pipeline.workers"));
  std::filesystem::remove(home.file("config/pipelines.yml"));
  CHECK_FALSE(reload_pipelines(in, r.node, &specs, &error));
  CHECK_THAT(error, Catch::StartsWith("Failed to read pipelines yaml file. Location: "));

  // The single -f pipeline is handed back as it was.
  ResolveInput single;
  single.cli = {{"path.config", "/x.conf"}};
  Result s = ok(single);
  REQUIRE(reload_pipelines(single, s.node, &specs, &error));
  REQUIRE(specs.size() == 1);
  CHECK(specs[0].path_config == std::vector<std::string>{"/x.conf"});
}

TEST_CASE("settings: monitoring API authentication and TLS are validated here", "[settings]") {
  TempDir home;
  auto run_with = [&](const std::string& yml) {
    home.write("config/logstash.yml", yml + "config.string: x\n");
    return run(home_input(home));
  };
  Result r = run_with("api.auth.type: basic\napi.auth.basic.username: u\n");
  REQUIRE_FALSE(r.ok);
  CHECK(r.error ==
        "Setting `api.auth.basic.password` is required when `api.auth.type` is set to `basic`. Please "
        "provide it in your `logstash.yml`");
  r = run_with("api.auth.type: basic\napi.auth.basic.username: u\napi.auth.basic.password: weak\n");
  REQUIRE(r.ok);
  CHECK(has_line(r.node.warnings,
                 "Password must contain at least one digit between 0 and 9, must contain at least one "
                 "upper case, must be length of between 8 and 1024."));
  CHECK(r.node.api.auth_basic_password == "weak");
  r = run_with(
      "api.auth.type: basic\napi.auth.basic.username: u\napi.auth.basic.password: weak\n"
      "api.auth.basic.password_policy.mode: ERROR\n");
  REQUIRE_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::StartsWith("Password must contain at least one digit"));
  r = run_with(
      "api.auth.type: basic\napi.auth.basic.username: u\napi.auth.basic.password: Str0ngPassw0rd\n"
      "api.auth.basic.password_policy.mode: ERROR\napi.auth.basic.password_policy.include.symbol: "
      "REQUIRED\n");
  REQUIRE_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::StartsWith("Password must contain at least one special character."));
  r = run_with(
      "api.auth.type: basic\napi.auth.basic.username: u\napi.auth.basic.password: Str0ngPassw0rd\n"
      "api.auth.basic.password_policy.length.minimum: 4\n");
  REQUIRE_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::StartsWith(
                          "api.auth.basic.password_policy.length.minimum has to be between 8 and 1024."));
  r = run_with("api.auth.basic.username: u\n");
  REQUIRE(r.ok);
  CHECK(has_line(r.node.warnings,
                 "Setting `api.auth.basic.username` is ignored because `api.auth.type` is set to `none`"));

  r = run_with("api.ssl.enabled: true\n");
  REQUIRE_FALSE(r.ok);
  CHECK(r.error ==
        "Setting `api.ssl.keystore.path` is required when `api.ssl.enabled` is set to `true`. Please provide "
        "it in your `logstash.yml`");
  r = run_with("api.ssl.keystore.path: /does/not/exist.p12\n");
  REQUIRE_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::StartsWith("File \"/does/not/exist.p12\" must exist but was not found."));
  std::string ks = home.write("ks.p12", "not really a keystore");
  r = run_with("api.ssl.keystore.path: " + ks + "\n");
  REQUIRE(r.ok);
  CHECK(has_line(r.node.warnings,
                 "Setting `api.ssl.keystore.path` is ignored because `api.ssl.enabled` is set to "
                 "`false`"));
  r = run_with(
      "api.ssl.enabled: true\napi.ssl.keystore.path: " + ks +
      "\napi.ssl.keystore.password: pw\napi.ssl.supported_protocols: [TLSv1.3]\napi.auth.type: basic\n"
      "api.auth.basic.username: u\napi.auth.basic.password: Str0ngPassw0rd\n");
  REQUIRE(r.ok);
  CHECK(r.node.api.ssl_enabled);
  CHECK(r.node.api.ssl_keystore_path == ks);
  CHECK(r.node.api.ssl_supported_protocols == std::vector<std::string>{"TLSv1.3"});
  CHECK(r.node.api.host == "0.0.0.0");
  CHECK(has_line(r.node.infos, "Defaulting `api.http.host` to all available interfaces"));
  r = run_with("api.ssl.enabled: true\napi.ssl.keystore.path: " + ks +
               "\napi.ssl.keystore.password: pw\napi.auth.type: basic\napi.http.host: 10.1.1.1\n"
               "api.auth.basic.username: u\napi.auth.basic.password: Str0ngPassw0rd\n");
  REQUIRE(r.ok);
  CHECK(r.node.api.host == "10.1.1.1");
}

TEST_CASE("settings: other accepted settings with notes", "[settings]") {
  ResolveInput in;
  in.cli = {{"config.string", "x"},
            {"config.field_reference.escape_style", "percent"},
            {"queue.checkpoint.interval", "500"},
            {"pipeline.unsafe_shutdown", "true"},
            {"pipeline.reloadable", "false"},
            {"dead_letter_queue.flush_check_interval", "2000"}};
  Result r = ok(in);
  CHECK(r.node.field_reference_escape_style == "percent");
  CHECK(has_line(r.node.warnings, "config.field_reference.escape_style `percent` is not implemented"));
  CHECK(has_line(r.node.warnings, "The setting `queue.checkpoint.interval` has no effect"));
  CHECK(r.node.pipelines[0].queue.checkpoint_interval_ms == 500);
  CHECK(r.node.pipelines[0].unsafe_shutdown);
  CHECK_FALSE(r.node.pipelines[0].reloadable);
  CHECK(r.node.pipelines[0].dead_letter_queue.flush_check_interval_ms == 2000);
}

TEST_CASE("settings: the table: known names, descriptions and the documentation", "[settings]") {
  std::vector<std::string> names = known_settings();
  CHECK(std::is_sorted(names.begin(), names.end()));
  for (const char* n : {"node.name", "pipeline.workers", "queue.page_capacity", "api.http.port", "http.host",
                        "xpack.monitoring.enabled", "keystore.file", "pipeline.separate_logs"}) {
    INFO(n);
    CHECK(std::binary_search(names.begin(), names.end(), std::string(n)));
  }
  auto w = describe_setting("pipeline.workers");
  REQUIRE(w);
  CHECK(w->type == "positive integer");
  CHECK(w->pipeline);
  CHECK(w->used);
  auto h = describe_setting("http.host");
  REQUIRE(h);
  CHECK(h->alias);
  CHECK(h->note == "api.http.host");
  auto x = describe_setting("xpack.anything.at.all");
  REQUIRE(x);
  CHECK_FALSE(x->used);
  CHECK_FALSE(describe_setting("no.such.setting"));

  // Every known setting and every env2yaml variable spelling is documented.
  std::ifstream f(std::string(SLUICE_SOURCE_DIR) + "/docs/settings.md");
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  for (const std::string& n : names) {
    INFO(n);
    CHECK(doc.find("`" + n + "`") != std::string::npos);
  }
}
