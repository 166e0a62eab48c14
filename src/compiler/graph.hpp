// The compiled stage graph: what the runtime executes. Built by compiler/compile from ASTs that
// passed validation; owns every plugin instance of a pipeline.
#pragma once

#include "sluice/plugin.hpp"
#include "sluice/sprintf.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sluice {

enum class [[nodiscard]] CondResult : uint8_t { False = 0, True = 1, Error = 2 };

// A condition compiled once: field references, templates and regexes pre-parsed.
class CompiledCondition {
 public:
  virtual ~CompiledCondition() = default;
  // Error: an evaluation error (e.g. `"101" > 100`); *error gets Logstash's message. The runtime
  // drops that event with a warning, as Logstash does, and keeps going.
  virtual CondResult eval(const Event& e, std::string* error) const = 0;
  virtual std::string describe() const = 0;  // the condition as source text, for --config.debug
};

// The common filter options applied when a filter succeeds, in Logstash's order:
// add_field, remove_field, add_tag, remove_tag (all sprintf'd).
struct FilterDecorations {
  std::vector<std::pair<Template, Template>> add_field;
  std::vector<Template> remove_field;
  std::vector<Template> add_tag;
  std::vector<Template> remove_tag;
  // Field references of constant add_field keys / remove_field names, parsed once (parallel to
  // add_field / remove_field; nullopt: the name is a template, parsed per event).
  std::vector<std::optional<FieldRef>> add_field_refs;
  std::vector<std::optional<FieldRef>> remove_field_refs;
  bool empty() const { return add_field.empty() && remove_field.empty() && add_tag.empty() && remove_tag.empty(); }
  static FilterDecorations from_config(const PluginConfig& cfg);
  void apply(Event& e) const;
};

// The common input options applied to every event an input produces: type (only if absent),
// add_field, tags.
struct InputDecorations {
  std::string type;  // empty: none
  std::vector<std::pair<Template, Template>> add_field;
  std::vector<std::string> tags;
  std::vector<Template> tag_templates;  // `tags`, sprintf'd as Logstash's add_tags decorator does
  std::vector<std::optional<FieldRef>> add_field_refs;  // as FilterDecorations::add_field_refs
  static InputDecorations from_config(const PluginConfig& cfg);
  void apply(Event& e) const;
};

struct Stage {
  enum class Kind { Filter, Output, If };
  Kind kind = Kind::Filter;
  Filter* filter = nullptr;  // Kind::Filter (owned by CompiledPipeline::filters)
  FilterDecorations decorations;
  Output* output = nullptr;  // Kind::Output (owned by CompiledPipeline::outputs)
  // Kind::If: the clauses in order; a clause with a null condition is the `else`.
  struct Clause {
    std::unique_ptr<CompiledCondition> condition;
    std::vector<Stage> body;
    SourceLoc loc;  // of this `if` / `else if` / `else`
  };
  std::vector<Clause> clauses;
  SourceLoc loc;
};

struct CompiledInput {
  std::unique_ptr<Input> input;
  InputDecorations decorations;
  std::string name;
  SourceLoc loc;
};

struct CompiledPipeline {
  std::vector<CompiledInput> inputs;
  std::vector<std::unique_ptr<Filter>> filters;  // owners, in config order
  std::vector<std::unique_ptr<Output>> outputs;  // owners, in config order
  std::vector<Stage> filter_graph;  // filters of every file, chained in file order
  std::vector<Stage> output_graph;  // every output (with their conditionals)
  std::vector<std::string> sources;  // the config files (or "config string")
  std::set<std::string> explicit_ids;  // plugin ids written as `id =>` in the config
  // Where the runtime puts events that outputs reject (CompileOptions::dead_letter_queue; may be null).
  std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue;

  // Human-readable and Graphviz forms of the graph, for --config.debug.
  std::string describe() const;
  std::string to_dot() const;
};

}  // namespace sluice
