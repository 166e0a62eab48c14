// A running pipeline: inputs push into a bounded queue; `workers` threads take batches, run the
// filter graph, then the outputs. The node's agent (node/agent.hpp) owns several of them, starts,
// reloads and stops them; run_pipeline() runs a single one in the foreground.
#pragma once

#include "compiler/graph.hpp"
#include "queue/queue_stats.hpp"
#include "runtime/pipeline_settings.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace sluice {

// A running pipeline's counters at one moment, as plain values. Per-plugin counters are read from
// the plugins themselves (compiled()). The node turns these into the API's snapshot and flow rates
// (node/pipeline_stats.hpp).
struct PipelineCounters {
  bool started = false;         // false: start() has not succeeded; only `queue.type` is set
  uint64_t events_in = 0;        // pushed into the queue by inputs
  uint64_t events_filtered = 0;  // taken from the queue by workers
  uint64_t events_out = 0;       // handed to outputs
  uint64_t duration_ns = 0;      // worker time in filters + outputs
  uint64_t queue_push_blocked_ns = 0;  // time inputs spent blocked on a full queue
  QueueStats queue;
  std::chrono::steady_clock::time_point started_at{};  // when start() succeeded
};

class Pipeline {
 public:
  Pipeline(std::unique_ptr<CompiledPipeline> compiled, PipelineSettings settings);
  ~Pipeline();  // request_stop() + join() if still running
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Starts filters, outputs, then inputs, then the threads; logs "Starting pipeline" and
  // "Pipeline started". On failure (a plugin's start() threw, pipeline.ordered with workers > 1)
  // nothing is left running and *error says what to fix.
  bool start(std::string* error);
  // Stops the inputs; the workers drain what was queued. Returns at once.
  void request_stop();
  // True once every worker has exited (all inputs finished and the queue is drained).
  bool finished() const;
  // Waits for inputs and workers, closes the plugins, logs "Pipeline terminated". Returns false if
  // a worker failed. Idempotent.
  bool join();

  const PipelineSettings& settings() const { return settings_; }
  const CompiledPipeline& compiled() const { return *compiled_; }
  int workers() const { return workers_; }
  // The pipeline's counters and queue numbers now. Thread-safe.
  PipelineCounters counters() const;
  // Events queued but not yet processed, and the number of events in workers' hands.
  uint64_t inflight() const;

 private:
  struct Impl;
  std::unique_ptr<CompiledPipeline> compiled_;
  PipelineSettings settings_;
  int workers_ = 1;
  std::unique_ptr<Impl> impl_;
};

// Runs `pipeline` in the foreground until every input has finished (stdin EOF, generator count
// reached) and the queue is drained, or until SIGINT/SIGTERM (then inputs stop, in-flight events
// drain; a second signal exits 1 at once). Returns the process exit code.
int run_pipeline(std::unique_ptr<CompiledPipeline> pipeline, const PipelineSettings& settings);

}  // namespace sluice
