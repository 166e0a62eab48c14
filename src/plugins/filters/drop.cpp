// The drop filter (logstash-filter-drop 3.0.5): cancels every event that reaches it, or, with
// `percentage` below 100, each event with that probability. As in Logstash the filter never calls
// filter_matched, so the common decorations (add_field, add_tag, ...) never apply, not even to
// the events it lets through.
#include "sluice/options.hpp"

#include <random>

namespace sluice::plugins {
namespace {

struct DropConfig {
  double percentage = 100;
};

class DropFilter final : public Filter {
 public:
  DropFilter(const DropConfig& c, const PluginConfig&) : percentage_(c.percentage) {
    if (!(percentage_ >= 0 && percentage_ <= 100))
      throw PluginConfigError("percentage", "percentage must be between 0 and 100, got " + std::to_string(percentage_));
  }

  FilterStatus filter(Event& e, Emitter&) override {
    // Logstash: `event.cancel if (@percentage == 100 || rand < (@percentage / 100.0))`.
    if (percentage_ == 100 || uniform() < percentage_ / 100.0) e.cancel();
    return FilterStatus::Failure;  // never filter_matched
  }

 private:
  static double uniform() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }
  double percentage_;
};

}  // namespace

void register_filter_drop(Registry& r) {
  Options<DropConfig> o;
  o.add("percentage", OptionType::Number, &DropConfig::percentage)
      .def_int(100)
      .describe("Drop this share of the events that reach the filter, in percent (each event with that "
                "probability); 100 drops all of them.");
  add_plugin<DropFilter>(r, PluginKind::Filter, "drop",
                         "Drops every event that reaches it (use it inside a conditional), or a random share of them "
                         "with `percentage`. The common decorations are never applied, as in Logstash.",
                         std::move(o));
}

}  // namespace sluice::plugins
