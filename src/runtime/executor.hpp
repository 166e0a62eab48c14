// Runs the compiled stage graph over batches: all filters, then all outputs, as a Logstash worker.
#pragma once

#include "compiler/graph.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice {

class Executor {
 public:
  // `ordered`: run each event through the filters on its own, so a batch keeps its order across
  // conditionals (pipeline.ordered). Otherwise a batch is split at every conditional and the
  // events of each branch come out together, in clause order, as Logstash's unordered mode does.
  Executor(const CompiledPipeline& pipeline, std::string pipeline_id, bool ordered);

  // Filters then outputs over `batch`. Events dropped by a condition evaluation error are logged
  // and not delivered. Thread safe: several workers share one Executor.
  void run(std::vector<std::unique_ptr<Event>>& batch);

  uint64_t events_filtered() const { return filtered_.load(std::memory_order_relaxed); }
  uint64_t events_out() const { return out_.load(std::memory_order_relaxed); }
  uint64_t duration_ns() const { return duration_ns_.load(std::memory_order_relaxed); }
  uint64_t condition_errors() const { return condition_errors_.load(std::memory_order_relaxed); }

 private:
  void run_filters(const std::vector<Stage>& stages, std::vector<Event*>& events);
  void run_outputs(const std::vector<Stage>& stages, std::vector<Event*>& events);
  // Splits `events` by the clauses of an If stage; bucket i holds the events of clause i, the last
  // bucket those no clause took. Events whose condition failed to evaluate are cancelled.
  void partition(const Stage& stage, std::vector<Event*>& events, std::vector<std::vector<Event*>>& buckets);

  const CompiledPipeline& pipeline_;
  std::string pipeline_id_;
  bool ordered_;
  std::atomic<uint64_t> filtered_{0};
  std::atomic<uint64_t> out_{0};
  std::atomic<uint64_t> duration_ns_{0};
  std::atomic<uint64_t> condition_errors_{0};
};

}  // namespace sluice
