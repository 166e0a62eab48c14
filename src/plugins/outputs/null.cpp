// The null output (logstash-output-null 3.0.5): discards every event. Useful for benchmarks.
#include "sluice/options.hpp"

#include <atomic>

namespace sluice::outputs {
namespace {

struct NullConfig {};  // no options of its own

class NullOutput final : public Output {
 public:
  NullOutput(const NullConfig&, const PluginConfig&) {}
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
  add_plugin<outputs::NullOutput>(r, PluginKind::Output, "null", "Discards every event.",
                                  Options<outputs::NullConfig>{});
}

}  // namespace sluice::plugins
