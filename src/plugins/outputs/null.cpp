// The null output (logstash-output-null 3.0.5): discards every event. Useful for benchmarks.
#include "sluice/registry.hpp"

#include <atomic>

namespace sluice::outputs {
namespace {

class NullOutput final : public Output {
 public:
  void receive(std::span<Event* const> events, DeliveryReport&) override {
    discarded_.fetch_add(events.size(), std::memory_order_relaxed);
  }
  uint64_t discarded() const { return discarded_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> discarded_{0};
};

}  // namespace
}  // namespace sluice::outputs

namespace sluice::plugins {

void register_output_null(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Output;
  s.name = "null";
  s.description = "Discards every event.";
  r.add(std::move(s), [](const PluginConfig&) -> std::unique_ptr<Plugin> {
    return std::make_unique<outputs::NullOutput>();
  });
}

}  // namespace sluice::plugins
