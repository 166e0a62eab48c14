// Lowering of parsed configs into the stage graph the runtime executes.
#pragma once

#include "compiler/graph.hpp"
#include "config/ast.hpp"
#include "config/diagnostics.hpp"
#include "sluice/registry.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sluice {

struct CompileOptions {
  // The plugins to build from; nullptr: Registry::builtin(). Must outlive the compiled pipeline
  // (codec factories look codecs up in it).
  const Registry* registry = nullptr;
  std::string pipeline_id = "main";
  // -t: validate and construct, but accept schema-only plugins (implemented = false), which cannot
  // run in this build.
  bool test_only = false;
  // config.support_escapes, for string constants in conditions (plugin values are handled by the parser).
  bool support_escapes = false;
  // pipeline.ecs_compatibility: the value of every plugin's `ecs_compatibility` option that the
  // config does not set ("" keeps the schema's default).
  std::string ecs_compatibility;
  // Handed to every plugin (PluginConfig::dead_letter_queue, PluginConfig::path_data).
  std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue;
  std::string path_data;
};

// Validates and lowers `files` (one AST per config source, in Logstash's order) into one pipeline:
//   * sections of one kind are merged in order of appearance; across files all inputs are combined,
//     filters are chained in file order, all outputs are combined;
//   * `if / else if / else` becomes a Stage::If with its clauses;
//   * conditionals in the input section are ignored with a warning (their inputs always start);
//   * plugin ids: the explicit `id`, or `<plugin name>_<n>` numbered per name in source order.
// Every error of every file is added to `diags`; returns nullptr if there was any.
std::unique_ptr<CompiledPipeline> compile_pipeline(const std::vector<config::ConfigAst>& files,
                                                   const CompileOptions& options, config::Diagnostics& diags);

}  // namespace sluice
