// Logstash-shaped logging: `[2025-03-01T12:00:00,123][INFO ][logstash.runner          ] Message`,
// or one JSON object per line with --log.format json. Writes to stderr.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace sluice::log {

enum class Level { Trace, Debug, Info, Warn, Error, Fatal };

void set_level(Level l);
Level level();
bool parse_level(std::string_view s, Level* out);
void set_json_format(bool json);
bool enabled(Level l);

// `component` is a Logstash-style logger name (`logstash.agent`, `logstash.filters.json`);
// `plugin_id` (optional) is printed in brackets after the pipeline id, as Logstash does.
void write(Level l, std::string_view component, std::string_view message,
           std::string_view pipeline_id = {}, std::string_view plugin_id = {});

inline void info(std::string_view c, std::string_view m) { write(Level::Info, c, m); }
inline void warn(std::string_view c, std::string_view m) { write(Level::Warn, c, m); }
inline void error(std::string_view c, std::string_view m) { write(Level::Error, c, m); }
inline void debug(std::string_view c, std::string_view m) {
  if (enabled(Level::Debug)) write(Level::Debug, c, m);
}

// A warning that is printed at most once per `interval_ms` per call site; the suppressed count is
// reported with the next printed line.
class RateLimited {
 public:
  explicit RateLimited(long interval_ms = 10'000) : interval_ms_(interval_ms) {}
  void warn(std::string_view component, std::string_view message, std::string_view plugin_id = {});

 private:
  long interval_ms_;
  long long last_ms_ = 0;
  unsigned long long suppressed_ = 0;
  std::mutex mu_;
};

}  // namespace sluice::log
