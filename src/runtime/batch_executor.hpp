// Runs the compiled stage graph over batches: all filters, then all outputs, as a Logstash worker.
// The plugin side of this is docs/plugin-contract.md.
#pragma once

#include "compiler/graph.hpp"
#include "sluice/dead_letter_queue.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace sluice {

class BatchExecutor {
 public:
  // `ordered`: run each event through the filters on its own, so a batch keeps its order across
  // conditionals (pipeline.ordered). Otherwise a batch is split at every conditional and the
  // events of each branch come out together, in clause order, as Logstash's unordered mode does.
  // `dead_letter_queue`: where outputs' Rejected events go (nullptr: they are counted and dropped;
  // the output has logged them).
  BatchExecutor(const CompiledPipeline& pipeline, std::string pipeline_id, bool ordered,
                std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue = nullptr);

  // Filters then outputs over `batch`. Events made by filters (split, clone) are appended to
  // `batch`, which owns them; cancelled events stay in `batch` but reach no output. Events dropped
  // by a condition evaluation error are logged and not delivered. Thread safe: several workers
  // share one BatchExecutor.
  void run(std::vector<std::unique_ptr<Event>>& batch);

  // True when some filter asked for periodic flushes (Filter::periodic_flush).
  bool has_flushers() const { return has_flushers_; }
  // Calls flush() on every flushing filter, in graph order; what they emit runs through the rest of
  // the graph and the outputs. `final`: the last call, after the last batch. Thread safe.
  void flush(bool final);

  // Outputs that answered Retry are called again after a backoff that starts here and doubles up to
  // `max` (the runtime's retry loop; tests shorten it). As with Logstash's outputs, retries go on
  // until the events are delivered or rejected: a stuck output holds its worker (backpressure),
  // and a second signal stops the process.
  void set_retry_backoff(std::chrono::milliseconds first, std::chrono::milliseconds max) {
    retry_first_ = first;
    retry_max_ = max;
  }

  uint64_t events_filtered() const { return filtered_.load(std::memory_order_relaxed); }
  uint64_t events_out() const { return out_.load(std::memory_order_relaxed); }
  uint64_t duration_ns() const { return duration_ns_.load(std::memory_order_relaxed); }
  uint64_t condition_errors() const { return condition_errors_.load(std::memory_order_relaxed); }
  uint64_t events_rejected() const { return rejected_.load(std::memory_order_relaxed); }
  uint64_t events_dead_lettered() const { return dead_lettered_.load(std::memory_order_relaxed); }
  uint64_t events_retried() const { return retried_.load(std::memory_order_relaxed); }

 private:
  struct Spawned;  // events made during one run(), and their owner
  void run_filters(const std::vector<Stage>& stages, std::vector<Event*>& events, Spawned& spawned, bool flush,
                   bool final);
  void run_filter_stage(const Stage& stage, std::vector<Event*>& events, Spawned& spawned, bool flush, bool final);
  void run_outputs(const std::vector<Stage>& stages, std::vector<Event*>& events);
  void deliver(Output& o, std::span<Event* const> events);
  // Splits `events` by the clauses of an If stage; bucket i holds the events of clause i, the last
  // bucket those no clause took. Events whose condition failed to evaluate are cancelled.
  void partition(const Stage& stage, std::vector<Event*>& events, std::vector<std::vector<Event*>>& buckets);

  const CompiledPipeline& pipeline_;
  std::string pipeline_id_;
  bool ordered_;
  bool has_flushers_ = false;
  std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue_;
  std::map<const Output*, std::unique_ptr<std::mutex>> serial_;  // outputs that are not thread safe
  std::chrono::milliseconds retry_first_{100};
  std::chrono::milliseconds retry_max_{64'000};
  std::atomic<uint64_t> filtered_{0};
  std::atomic<uint64_t> out_{0};
  std::atomic<uint64_t> duration_ns_{0};
  std::atomic<uint64_t> condition_errors_{0};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> dead_lettered_{0};
  std::atomic<uint64_t> retried_{0};
};

}  // namespace sluice
