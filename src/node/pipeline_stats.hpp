// A running pipeline as the monitoring API shows it: the runtime's counters (runtime/pipeline.hpp)
// turned into the runtime part of a PipelineSnapshot (api/snapshot.hpp), flow rates included. This
// is the node's wiring between the two folders, so that neither includes the other.
#pragma once

#include "api/snapshot.hpp"
#include "runtime/pipeline.hpp"

#include <chrono>
#include <cstdint>
#include <deque>

namespace sluice {

// Flow metrics of one pipeline instance (a reload starts a new one), as Logstash's flow metrics:
// counters sampled at most once a second; `current` is the rate over the oldest kept sample (at
// most ~10 s old), `lifetime` over the pipeline's life. Not synchronised: the agent uses it under
// its lock.
class FlowSampler {
 public:
  struct Sample {
    std::chrono::steady_clock::time_point t;
    uint64_t in, filtered, out, duration_ns, push_ns;
  };
  // Keeps `cur` if the last kept sample is a second old or more, drops samples older than 10 s
  // (keeping two at least), and returns the oldest kept sample.
  const Sample& add(const Sample& cur);

 private:
  std::deque<Sample> samples_;
};

// Fills workers, batch settings, sources, per-plugin counters, the queue, event counters and flow
// rates of `s` from `p`; the identity fields (id, hash, state, reloads, ...) are the agent's.
void fill_pipeline_stats(const Pipeline& p, FlowSampler& flow, PipelineSnapshot* s);

}  // namespace sluice
