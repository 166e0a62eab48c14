// Logstash-shaped logging on stderr.
//
// Plain layout, as Logstash's log4j2.properties:
//   [%d{ISO8601}][%-5p][%-25c]%notEmpty{[%X{pipeline.id}]}%notEmpty{[%X{plugin.id}]} %m%n
// i.e. `[2025-03-01T12:00:00,123][INFO ][logstash.runner          ] Message` (local time, `,` before
// the milliseconds, level padded to 5, logger name padded to 25 and never truncated).
// JSON layout: one compact object per line with level, loggerName, timeMillis, thread, the MDC ids
// and logEvent.message.
//
// The interface is include/sluice/log.hpp (plugins log through it). This folder is the logger's
// own rather than src/support/: the JSON layout escapes strings with the event model's Jackson-
// compatible escaper (event/json_internal.hpp), so log sits above event, and support/ stays a leaf
// that every folder, event included, may use.
#include "sluice/log.hpp"

#include "event/json_internal.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace sluice::log {

namespace {

std::atomic<Level> g_level{Level::Info};
std::atomic<bool> g_json{false};
std::mutex g_write_mu;

const char* level_name(Level l) {
  switch (l) {
    case Level::Trace:
      return "TRACE";
    case Level::Debug:
      return "DEBUG";
    case Level::Info:
      return "INFO";
    case Level::Warn:
      return "WARN";
    case Level::Error:
      return "ERROR";
    case Level::Fatal:
      return "FATAL";
  }
  return "INFO";
}

void pad_to(std::string& out, size_t start, size_t width) {
  size_t len = out.size() - start;
  if (len < width) out.append(width - len, ' ');
}

void append_int(std::string& out, long long v, int width) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%0*lld", width, v);
  out.append(buf, static_cast<size_t>(n));
}

std::string format_plain(Level l, std::string_view component, std::string_view message,
                         std::string_view pipeline_id, std::string_view plugin_id, long long now_ms) {
  std::string out;
  out.reserve(64 + component.size() + message.size());
  time_t secs = static_cast<time_t>(now_ms / 1000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  out.push_back('[');
  append_int(out, tm.tm_year + 1900, 4);
  out.push_back('-');
  append_int(out, tm.tm_mon + 1, 2);
  out.push_back('-');
  append_int(out, tm.tm_mday, 2);
  out.push_back('T');
  append_int(out, tm.tm_hour, 2);
  out.push_back(':');
  append_int(out, tm.tm_min, 2);
  out.push_back(':');
  append_int(out, tm.tm_sec, 2);
  out.push_back(',');
  append_int(out, now_ms % 1000, 3);
  out += "][";
  size_t start = out.size();
  out += level_name(l);
  pad_to(out, start, 5);
  out += "][";
  start = out.size();
  out.append(component);
  pad_to(out, start, 25);
  out.push_back(']');
  if (!pipeline_id.empty()) {
    out.push_back('[');
    out.append(pipeline_id);
    out.push_back(']');
  }
  if (!plugin_id.empty()) {
    out.push_back('[');
    out.append(plugin_id);
    out.push_back(']');
  }
  out.push_back(' ');
  out.append(message);
  out.push_back('\n');
  return out;
}

std::string thread_name() {
  char name[64] = {0};
  if (pthread_getname_np(pthread_self(), name, sizeof name) != 0 || name[0] == '\0') return "main";
  return name;
}

// Log parameters are written as Ruby's Hash#inspect at the end of the message, as Logstash prints
// them (`Pipeline started {"pipeline.id"=>"main"}`, `{:port=>9600, :ssl_enabled=>false}`). In the
// JSON layout Logstash makes each parameter a field of logEvent; RubyParams turns the inspect text
// back into JSON members. Anything it does not recognise leaves the message whole.
class RubyParams {
 public:
  explicit RubyParams(std::string_view s) : s_(s) {}

  // Parses `{k=>v, ...}` spanning all of s_; appends `,"k":v` members to *out.
  bool members(std::string* out) {
    if (!eat('{')) return false;
    skip_ws();
    if (eat('}')) return at_end();
    while (true) {
      std::string key;
      skip_ws();
      if (peek() == ':') {
        ++i_;
        key = ident();
      } else if (peek() == '"') {
        if (!string(&key)) return false;
      } else {
        return false;
      }
      skip_ws();
      if (!eat('=') || !eat('>')) return false;
      *out += ',';
      append_json_string(key == "message" ? "message_1" : key, *out);
      *out += ':';
      if (!value(out, 0)) return false;
      skip_ws();
      if (eat('}')) return at_end();
      if (!eat(',')) return false;
    }
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool at_end() const { return i_ == s_.size(); }
  void skip_ws() {
    while (peek() == ' ') ++i_;
  }
  std::string ident() {
    const size_t b = i_;
    while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '.' || peek() == '?') ++i_;
    return std::string(s_.substr(b, i_ - b));
  }
  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
        const char c = s_[++i_];
        *out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        *out += s_[i_];
      }
      ++i_;
    }
    return eat('"');
  }
  bool value(std::string* out, int depth) {
    if (depth > 8) return false;
    skip_ws();
    const char c = peek();
    if (c == '"') {
      std::string v;
      if (!string(&v)) return false;
      append_json_string(v, *out);
      return true;
    }
    if (c == ':') {  // a symbol
      ++i_;
      append_json_string(ident(), *out);
      return true;
    }
    if (c == '[') {
      ++i_;
      *out += '[';
      skip_ws();
      if (!eat(']')) {
        while (true) {
          if (!value(out, depth + 1)) return false;
          skip_ws();
          if (eat(']')) break;
          if (!eat(',')) return false;
          *out += ',';
        }
      }
      *out += ']';
      return true;
    }
    if (c == '{') {
      const size_t start = i_;
      int level = 0;  // a nested hash: kept as its inspect text (Logstash renders it as a string too)
      for (; i_ < s_.size(); ++i_) {
        if (s_[i_] == '{') ++level;
        if (s_[i_] == '}' && --level == 0) break;
      }
      if (i_ >= s_.size()) return false;
      ++i_;
      append_json_string(s_.substr(start, i_ - start), *out);
      return true;
    }
    const size_t b = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']') ++i_;
    std::string_view word = s_.substr(b, i_ - b);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    if (word == "nil") {
      *out += "null";
    } else if (word == "true" || word == "false") {
      *out += word;
    } else if (!word.empty() && word.find_first_not_of("0123456789.-e") == std::string_view::npos &&
               (std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '-')) {
      *out += word;
    } else {
      append_json_string(word, *out);  // e.g. an object's inspect (#<Thread:...>)
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// The message text and the parameter members of logEvent.
void split_params(std::string_view message, std::string_view* text, std::string* members) {
  *text = message;
  if (message.empty() || message.back() != '}') return;
  for (size_t pos = message.find(" {"); pos != std::string_view::npos; pos = message.find(" {", pos + 1)) {
    std::string m;
    if (RubyParams(message.substr(pos + 1)).members(&m)) {
      *text = message.substr(0, pos);
      *members = std::move(m);
      return;
    }
  }
}

std::string format_json(Level l, std::string_view component, std::string_view message,
                        std::string_view pipeline_id, std::string_view plugin_id, long long now_ms) {
  std::string out;
  out.reserve(128 + component.size() + message.size());
  out += "{\"level\":\"";
  out += level_name(l);
  out += "\",\"loggerName\":";
  append_json_string(component, out);
  out += ",\"timeMillis\":";
  out += std::to_string(now_ms);
  out += ",\"thread\":";
  append_json_string(thread_name(), out);
  if (!pipeline_id.empty()) {
    out += ",\"pipeline.id\":";
    append_json_string(pipeline_id, out);
  }
  if (!plugin_id.empty()) {
    out += ",\"plugin.id\":";
    append_json_string(plugin_id, out);
  }
  std::string_view text;
  std::string params;
  split_params(message, &text, &params);
  out += ",\"logEvent\":{\"message\":";
  append_json_string(text, out);
  out += params;
  out += "}}\n";
  return out;
}

long long wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

long long steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void set_level(Level l) { g_level.store(l, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view s, Level* out) {
  // Logstash's --log.level values.
  static constexpr std::pair<std::string_view, Level> kLevels[] = {
      {"trace", Level::Trace}, {"debug", Level::Debug}, {"info", Level::Info},
      {"warn", Level::Warn},   {"error", Level::Error}, {"fatal", Level::Fatal},
  };
  for (const auto& [name, l] : kLevels) {
    if (s.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < s.size() && eq; ++i) eq = (s[i] | 0x20) == name[i];
    if (eq) {
      *out = l;
      return true;
    }
  }
  return false;
}

void set_json_format(bool json) { g_json.store(json, std::memory_order_relaxed); }

bool enabled(Level l) { return static_cast<int>(l) >= static_cast<int>(level()); }

void write(Level l, std::string_view component, std::string_view message, std::string_view pipeline_id,
           std::string_view plugin_id) {
  if (!enabled(l)) return;
  const long long now = wall_ms();
  std::string line = g_json.load(std::memory_order_relaxed)
                         ? format_json(l, component, message, pipeline_id, plugin_id, now)
                         : format_plain(l, component, message, pipeline_id, plugin_id, now);
  // One write(2) per line under a lock, so lines from concurrent threads never interleave.
  std::lock_guard<std::mutex> lock(g_write_mu);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(2, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void RateLimited::warn(std::string_view component, std::string_view message, std::string_view plugin_id) {
  if (!enabled(Level::Warn)) return;
  unsigned long long suppressed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const long long now = steady_ms();
    if (last_ms_ != 0 && now - last_ms_ < interval_ms_) {
      ++suppressed_;
      return;
    }
    last_ms_ = now == 0 ? 1 : now;
    suppressed = suppressed_;
    suppressed_ = 0;
  }
  if (suppressed == 0) {
    write(Level::Warn, component, message, {}, plugin_id);
  } else {
    std::string m(message);
    m += " (";
    m += std::to_string(suppressed);
    m += suppressed == 1 ? " similar message suppressed)" : " similar messages suppressed)";
    write(Level::Warn, component, m, {}, plugin_id);
  }
}

}  // namespace sluice::log
