// Logging: Logstash's plain and JSON layouts, levels, rate limiting.
#include <catch2/catch.hpp>

#include "sluice/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <string>

using namespace sluice;

namespace {

// Runs `f` with stderr redirected to a temporary file; returns what was written.
template <typename F>
std::string capture_stderr(F&& f) {
  char path[] = "/tmp/sluice_log_testXXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  int saved = dup(2);
  dup2(fd, 2);
  f();
  dup2(saved, 2);
  close(saved);
  std::string out;
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  unlink(path);
  return out;
}

struct LevelGuard {
  log::Level saved = log::level();
  ~LevelGuard() {
    log::set_level(saved);
    log::set_json_format(false);
  }
};

}  // namespace

TEST_CASE("log: plain layout pads level to 5 and logger to 25", "[log]") {
  LevelGuard g;
  log::set_level(log::Level::Info);
  std::string out = capture_stderr([] { log::info("logstash.runner", "Starting Logstash"); });
  std::regex re(R"(^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2},\d{3}\]\[INFO \]\[logstash\.runner          \] Starting Logstash\n$)");
  INFO(out);
  CHECK(std::regex_match(out, re));
}

TEST_CASE("log: pipeline and plugin ids in brackets", "[log]") {
  LevelGuard g;
  std::string out = capture_stderr([] {
    log::write(log::Level::Warn, "logstash.filters.json", "Bad JSON", "main", "json_1");
    log::write(log::Level::Error, "logstash.javapipeline", "Stopped", "main");
  });
  INFO(out);
  CHECK(out.find("][WARN ][logstash.filters.json    ][main][json_1] Bad JSON\n") != std::string::npos);
  CHECK(out.find("][ERROR][logstash.javapipeline    ][main] Stopped\n") != std::string::npos);
}

TEST_CASE("log: long logger names are not truncated", "[log]") {
  LevelGuard g;
  std::string out = capture_stderr(
      [] { log::info("org.logstash.settings.WritableDirectorySetting", "Creating directory"); });
  CHECK(out.find("[INFO ][org.logstash.settings.WritableDirectorySetting] Creating directory\n") != std::string::npos);
}

TEST_CASE("log: JSON layout", "[log]") {
  LevelGuard g;
  log::set_json_format(true);
  std::string out = capture_stderr([] { log::write(log::Level::Info, "logstash.javapipeline", "Pipeline \"started\"", "main"); });
  INFO(out);
  std::regex re(
      R"(^\{"level":"INFO","loggerName":"logstash\.javapipeline","timeMillis":\d+,"thread":"[^"]*","pipeline\.id":"main","logEvent":\{"message":"Pipeline \\"started\\""\}\}\n$)");
  CHECK(std::regex_match(out, re));
}

TEST_CASE("log: levels filter", "[log]") {
  LevelGuard g;
  log::set_level(log::Level::Warn);
  CHECK_FALSE(log::enabled(log::Level::Info));
  CHECK(log::enabled(log::Level::Error));
  std::string out = capture_stderr([] {
    log::info("x", "hidden");
    log::debug("x", "hidden");
    log::warn("x", "shown");
  });
  CHECK(out.find("hidden") == std::string::npos);
  CHECK(out.find("shown") != std::string::npos);
  log::Level l;
  CHECK(log::parse_level("debug", &l));
  CHECK(l == log::Level::Debug);
  CHECK(log::parse_level("ERROR", &l));
  CHECK(l == log::Level::Error);
  CHECK_FALSE(log::parse_level("verbose", &l));
}

TEST_CASE("log: rate-limited warnings report the suppressed count", "[log]") {
  LevelGuard g;
  log::set_level(log::Level::Info);
  log::RateLimited limiter(60'000);
  std::string out = capture_stderr([&] {
    for (int i = 0; i < 5; ++i) limiter.warn("logstash.filters.json", "Failure", "j1");
  });
  INFO(out);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  CHECK(out.find("[j1] Failure\n") != std::string::npos);
  log::RateLimited fast(0);
  std::string again = capture_stderr([&] {
    fast.warn("c", "one");
    fast.warn("c", "two");
  });
  CHECK(std::count(again.begin(), again.end(), '\n') == 2);
}

TEST_CASE("log: JSON layout makes the Ruby-inspect parameters fields of logEvent", "[log]") {
  LevelGuard guard;
  log::set_json_format(true);
  auto line = [](const std::string& message) {
    return capture_stderr([&] { log::info("logstash.agent", message); });
  };
  CHECK(line(R"(Pipelines running {:count=>2, :running_pipelines=>[:a, :b], :non_running_pipelines=>[]})")
            .find(R"("logEvent":{"message":"Pipelines running","count":2,"running_pipelines":["a","b"],)"
                  R"("non_running_pipelines":[]}})") != std::string::npos);
  CHECK(line(R"(Failed {:message=>"x \"y\"", :ok=>true, :v=>nil, :n=>-1.5})")
            .find(R"("logEvent":{"message":"Failed","message_1":"x \"y\"","ok":true,"v":null,"n":-1.5}})") !=
        std::string::npos);
  // Not a parameter hash: the message stays whole.
  CHECK(line("Config {a => b}").find(R"("logEvent":{"message":"Config {a => b}"}})") != std::string::npos);
  CHECK(line("Braces {} in text").find(R"("logEvent":{"message":"Braces {} in text"}})") != std::string::npos);
}
