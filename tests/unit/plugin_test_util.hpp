// Test helpers: build built-in plugins from the registry with schema defaults, and collect events.
#pragma once

#include "sluice/plugin.hpp"
#include "sluice/registry.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testutil {

using Options = std::vector<std::pair<std::string, ConfigValue>>;

inline ConfigValue str(std::string s) { return ConfigValue::make_string(std::move(s)); }
inline ConfigValue num(int64_t i) { return ConfigValue::make_integer(i); }
inline ConfigValue boolean(bool b) { return ConfigValue::make_bool(b); }
inline ConfigValue strs(std::vector<std::string> v) {
  std::vector<ConfigValue> a;
  for (auto& s : v) a.push_back(str(std::move(s)));
  return ConfigValue::make_array(std::move(a));
}

// A PluginConfig with every schema default, then `opts`.
inline PluginConfig config(PluginKind kind, const std::string& name, const Options& opts = {}) {
  const RegistryEntry* entry = Registry::builtin().find(kind, name);
  REQUIRE(entry);
  PluginConfig cfg;
  cfg.plugin_name = name;
  cfg.kind = kind;
  cfg.id = name + "_test";
  for (const OptionSpec& o : common_options(kind)) {
    if (o.default_value) cfg.values[o.name] = *o.default_value;
  }
  for (const OptionSpec& o : entry->schema.options) {
    if (o.default_value) cfg.values[o.name] = *o.default_value;
  }
  for (const auto& [k, v] : opts) cfg.values[k] = v;
  return cfg;
}

template <class T>
std::unique_ptr<T> make(PluginKind kind, const std::string& name, const Options& opts = {},
                        std::function<std::unique_ptr<Codec>()> codec_factory = {}) {
  PluginConfig cfg = config(kind, name, opts);
  cfg.codec_factory = std::move(codec_factory);
  std::unique_ptr<Plugin> p = Registry::builtin().find(kind, name)->factory(cfg);
  T* t = dynamic_cast<T*>(p.get());
  REQUIRE(t);
  p.release();
  return std::unique_ptr<T>(t);
}

inline std::unique_ptr<Codec> codec(const std::string& name, const Options& opts = {}) {
  return make<Codec>(PluginKind::Codec, name, opts);
}

// The config is resolved here, on the test's thread: inputs call the factory from their own I/O
// threads, and Catch2 assertions (inside config()) are not thread safe.
inline std::function<std::unique_ptr<Codec>()> codec_factory(const std::string& name, const Options& opts = {}) {
  PluginConfig cfg = config(PluginKind::Codec, name, opts);
  const RegistryEntry* entry = Registry::builtin().find(PluginKind::Codec, name);
  return [cfg, entry] {
    std::unique_ptr<Plugin> p = entry->factory(cfg);
    return std::unique_ptr<Codec>(static_cast<Codec*>(p.release()));
  };
}

// An InputContext that collects events; optionally accepts only `capacity` before push() blocks
// until stop.
class CollectingContext : public InputContext {
 public:
  bool push(std::unique_ptr<Event> e) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    events_.push_back(std::move(e));
    cv_.notify_all();
    return true;
  }
  bool stopping() const override { return closed_; }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // Waits until at least n events arrived (or the deadline passed); returns the count.
  size_t wait_for(size_t n, std::chrono::milliseconds deadline = std::chrono::milliseconds(10000)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, deadline, [&] { return events_.size() >= n; });
    return events_.size();
  }
  std::vector<std::unique_ptr<Event>> take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(events_);
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Event>> events_;
  std::atomic<bool> closed_{false};
};

inline std::string field(const Event& e, const char* ref) {
  auto r = FieldRef::parse(ref);
  REQUIRE(r);
  const Value* v = e.get(*r);
  if (!v) return "<missing>";
  return to_logstash_string(*v);
}

// Gives `events` to an output as a worker does and returns what the output reported.
inline DeliveryReport receive_all(Output& o, const std::vector<Event*>& events) {
  DeliveryReport report(events.size());
  o.receive(std::span<Event* const>(events.data(), events.size()), report);
  return report;
}

}  // namespace sluice::testutil
