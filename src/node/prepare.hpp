// One pipeline spec made ready to run: its config files read, parsed and compiled (not started),
// and hashed. The agent prepares every pipeline it starts or reloads; `sluice -t` prepares each
// pipeline in test mode.
#pragma once

#include "compiler/graph.hpp"
#include "config/diagnostics.hpp"
#include "settings/settings.hpp"
#include "sluice/dead_letter_queue.hpp"

#include <memory>
#include <string>

namespace sluice {

// A pipeline spec compiled (not started): the config files read, parsed and compiled; `hash` is
// the SHA-256 of the config texts and the pipeline's settings. nullptr result: errors in `diags`.
struct PreparedPipeline {
  std::unique_ptr<CompiledPipeline> compiled;
  std::string hash;
};
// What the node hands to every plugin of the pipeline (see CompileOptions).
struct PrepareContext {
  std::string path_data;
  std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue;  // the pipeline's, when enabled
};
PreparedPipeline prepare_pipeline(const settings::PipelineSpec& spec, bool test_only, config::Diagnostics& diags,
                                  const PrepareContext& context = {});

// The single-line reason of a failed prepare_pipeline (the one error, or "N errors (see above)").
std::string failure_reason(const config::Diagnostics& diags);

}  // namespace sluice
