// A running pipeline: inputs push into a bounded queue; `workers` threads take batches, run the
// filter graph, then the outputs.
#pragma once

#include "compiler/graph.hpp"

#include <memory>
#include <string>

namespace sluice {

struct PipelineSettings {
  std::string id = "main";
  int workers = 0;  // 0: number of cores
  bool workers_explicit = false;  // set by -w / pipeline.workers (pipeline.ordered: auto needs it)
  int batch_size = 125;
  int batch_delay_ms = 50;
  enum class Ordered { Auto, True, False } ordered = Ordered::Auto;
};

// Runs `pipeline` until every input has finished (stdin EOF, generator count reached) and the
// queue is drained, or until SIGINT/SIGTERM (then inputs stop, in-flight events drain). Logs
// Logstash's start and stop lines. Returns the process exit code.
int run_pipeline(std::unique_ptr<CompiledPipeline> pipeline, const PipelineSettings& settings);

}  // namespace sluice
