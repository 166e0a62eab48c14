// Lowering: validated plugin declarations become plugin instances, `if` chains become Stage::If.
//
// Plugin ids: Logstash generates a SHA-256 of the graph and source position for plugins without an
// explicit `id`. We generate `<name>_<n>` instead (n counts plugins of that name in source order
// across all files, skipping numbers taken by explicit ids): equally stable for an unchanged
// config, and readable in logs, metrics and --config.debug. Inline or default codecs get
// `<codec>_<owner id>`. See docs/compatibility.md.
#include "compiler/compile.hpp"

#include "compiler/conditions.hpp"
#include "compiler/validate.hpp"

#include <map>
#include <set>

namespace sluice {
namespace {

using compiler::ValidatedPlugin;

class Lowering {
 public:
  Lowering(const std::vector<config::ConfigAst>& files, const CompileOptions& opts, config::Diagnostics& diags)
      : files_(files), opts_(opts), diags_(diags), registry_(opts.registry ? *opts.registry : Registry::builtin()) {}

  std::unique_ptr<CompiledPipeline> run() {
    auto p = std::make_unique<CompiledPipeline>();
    pipeline_ = p.get();
    assign_ids();
    compiler::check_duplicate_ids(files_, diags_);
    for (const config::ConfigAst& f : files_) {
      p->sources.push_back(f.source ? f.source->path : std::string("config string"));
    }
    // All inputs of all files, then the filters of each file chained in file order, then all
    // outputs: Logstash's cross-file merge (ConfigCompiler.compileSources).
    for (const config::ConfigAst& f : files_) {
      for (const config::Section& s : f.sections) {
        if (s.kind == PluginKind::Input) lower_inputs(s.body, false);
      }
    }
    for (const config::ConfigAst& f : files_) {
      for (const config::Section& s : f.sections) {
        if (s.kind == PluginKind::Filter) lower_body(s.body, PluginKind::Filter, p->filter_graph);
      }
    }
    for (const config::ConfigAst& f : files_) {
      for (const config::Section& s : f.sections) {
        if (s.kind == PluginKind::Output) lower_body(s.body, PluginKind::Output, p->output_graph);
      }
    }
    if (diags_.has_errors()) return nullptr;
    return p;
  }

 private:
  const std::vector<config::ConfigAst>& files_;
  const CompileOptions& opts_;
  config::Diagnostics& diags_;
  const Registry& registry_;
  CompiledPipeline* pipeline_ = nullptr;
  std::map<const PluginDecl*, std::string> ids_;

  static std::optional<std::string> explicit_id(const PluginDecl& d) {
    for (const Attribute& a : d.attributes) {
      if (a.name == "id") return a.value.to_plain_string();
    }
    return std::nullopt;
  }

  void assign_ids() {
    std::set<std::string> taken;
    compiler::for_each_plugin(files_, [&](const PluginDecl& d, PluginKind) {
      if (auto id = explicit_id(d)) taken.insert(*id);
    });
    std::map<std::string, int> counters;
    compiler::for_each_plugin(files_, [&](const PluginDecl& d, PluginKind) {
      if (auto id = explicit_id(d)) {
        ids_[&d] = *id;
        pipeline_->explicit_ids.insert(*id);
        return;
      }
      std::string id;
      do {
        id = d.name + "_" + std::to_string(++counters[d.name]);
      } while (taken.count(id));
      taken.insert(id);
      ids_[&d] = id;
    });
  }

  void report_plugin_error(const ValidatedPlugin& vp, const std::string& option, const std::string& message) {
    SourceLoc loc = vp.loc;
    if (!option.empty()) {
      auto it = vp.option_locs.find(option);
      if (it != vp.option_locs.end()) loc = it->second;
    }
    std::string what = vp.name + " " + to_string(vp.kind);
    diags_.error(loc, "Invalid configuration for the " + what + (option.empty() ? "" : " (setting '" + option + "')") +
                          ": " + message);
  }

  PluginConfig make_config(const ValidatedPlugin& vp, const std::string& id) const {
    PluginConfig cfg;
    cfg.plugin_name = vp.name;
    cfg.kind = vp.kind;
    cfg.id = id;
    cfg.pipeline_id = opts_.pipeline_id;
    cfg.dead_letter_queue = opts_.dead_letter_queue;
    cfg.path_data = opts_.path_data;
    cfg.loc = vp.loc;
    cfg.values = vp.values;
    auto ecs = cfg.values.find("ecs_compatibility");
    if (!opts_.ecs_compatibility.empty() && ecs != cfg.values.end() && !vp.option_locs.count("ecs_compatibility")) {
      ecs->second = ConfigValue::make_string(opts_.ecs_compatibility, ecs->second.loc);
    }
    return cfg;
  }

  // A factory of fresh codec instances for an input or output; tried once now so that a bad codec
  // option is reported before anything runs.
  bool attach_codec(const ValidatedPlugin& owner, PluginConfig& cfg) {
    if (!owner.codec || !owner.codec->entry) return true;
    const ValidatedPlugin& c = *owner.codec;
    auto it = c.values.find("id");
    std::string codec_id = it != c.values.end() ? it->second.to_plain_string() : c.name + "_" + cfg.id;
    auto codec_cfg = std::make_shared<const PluginConfig>(make_config(c, codec_id));
    const RegistryEntry* entry = c.entry;
    if (!entry->schema.implemented) {
      if (!opts_.test_only) diags_.error(c.loc, "the " + c.name + " codec is not available in this build yet");
      return opts_.test_only;
    }
    cfg.codec_factory = [entry, codec_cfg]() -> std::unique_ptr<Codec> {
      std::unique_ptr<Plugin> p = entry->factory(*codec_cfg);
      auto* codec = dynamic_cast<Codec*>(p.get());
      if (!codec) throw PluginConfigError("", "plugin " + entry->schema.name + " is not a codec");
      std::unique_ptr<Codec> out(codec);
      static_cast<void>(p.release());  // `out` owns the plugin now
      out->set_id(codec_cfg->id);
      out->set_name(entry->schema.name);
      return out;
    };
    try {
      (void)cfg.codec_factory();
    } catch (const PluginConfigError& e) {
      report_plugin_error(c, e.option, e.what());
      return false;
    } catch (const std::exception& e) {
      report_plugin_error(c, "", e.what());
      return false;
    }
    return true;
  }

  // Validates and constructs one plugin; nullptr on error (reported) or for a schema-only plugin
  // under -t.
  std::unique_ptr<Plugin> build(const PluginDecl& decl, PluginKind kind, PluginConfig* out_cfg) {
    ValidatedPlugin vp = compiler::validate_plugin(decl, kind, registry_, diags_);
    if (!vp.ok || !vp.entry) return nullptr;
    PluginConfig cfg = make_config(vp, ids_.count(&decl) ? ids_[&decl] : decl.name);
    if (!vp.entry->schema.implemented) {
      if (!opts_.test_only) {
        diags_.error(decl.loc, "the " + decl.name + " " + to_string(kind) + " is not available in this build yet",
                     {"`-t` accepts configurations using it; running them needs a build that implements it"});
      }
      return nullptr;
    }
    if ((kind == PluginKind::Input || kind == PluginKind::Output) && !attach_codec(vp, cfg)) return nullptr;
    std::unique_ptr<Plugin> plugin;
    try {
      plugin = vp.entry->factory(cfg);
    } catch (const PluginConfigError& e) {
      report_plugin_error(vp, e.option, e.what());
      return nullptr;
    } catch (const std::exception& e) {
      report_plugin_error(vp, "", e.what());
      return nullptr;
    }
    if (!plugin) {
      report_plugin_error(vp, "", "the plugin factory returned nothing");
      return nullptr;
    }
    plugin->set_id(cfg.id);
    plugin->set_name(decl.name);
    *out_cfg = std::move(cfg);
    return plugin;
  }

  template <typename T>
  std::unique_ptr<T> downcast(std::unique_ptr<Plugin> p, const PluginDecl& decl, PluginKind kind) {
    if (!p) return nullptr;
    auto* t = dynamic_cast<T*>(p.get());
    if (!t) {
      diags_.error(decl.loc, "Internal error: the " + decl.name + " plugin is registered as " + to_string(kind) +
                                 " but does not implement it");
      return nullptr;
    }
    std::unique_ptr<T> out(t);
    static_cast<void>(p.release());  // `out` owns the plugin now
    return out;
  }

  void lower_inputs(const std::vector<config::Statement>& body, bool conditional) {
    for (const config::Statement& st : body) {
      if (st.kind == config::Statement::Kind::Branch) {
        if (!st.branch) continue;
        for (const config::Clause& c : st.branch->clauses) {
          diags_.warning(c.loc, "Conditionals in the input section have no effect: the inputs inside always start",
                         {"Logstash ignores them too; use tags or `type` and test them in filters or outputs"});
          lower_inputs(c.body, true);
        }
        continue;
      }
      PluginConfig cfg;
      auto input = downcast<Input>(build(st.plugin, PluginKind::Input, &cfg), st.plugin, PluginKind::Input);
      if (!input) continue;
      CompiledInput ci;
      try {
        ci.decorations = InputDecorations::from_config(cfg);
      } catch (const PluginConfigError& e) {
        diags_.error(st.plugin.loc, "Invalid configuration for the " + st.plugin.name + " input: " + e.what());
        continue;
      }
      ci.input = std::move(input);
      ci.name = st.plugin.name;
      ci.loc = st.plugin.loc;
      pipeline_->inputs.push_back(std::move(ci));
    }
    (void)conditional;
  }

  void lower_body(const std::vector<config::Statement>& body, PluginKind kind, std::vector<Stage>& out) {
    for (const config::Statement& st : body) {
      if (st.kind == config::Statement::Kind::Branch) {
        if (!st.branch) continue;
        Stage s;
        s.kind = Stage::Kind::If;
        s.loc = st.branch->clauses.empty() ? SourceLoc{} : st.branch->clauses.front().loc;
        for (const config::Clause& c : st.branch->clauses) {
          Stage::Clause clause;
          clause.loc = c.loc;
          if (c.condition) {
            clause.condition = compiler::compile_condition(*c.condition, {opts_.support_escapes}, diags_);
          }
          lower_body(c.body, kind, clause.body);
          s.clauses.push_back(std::move(clause));
        }
        out.push_back(std::move(s));
        continue;
      }
      PluginConfig cfg;
      if (kind == PluginKind::Filter) {
        auto filter = downcast<Filter>(build(st.plugin, kind, &cfg), st.plugin, kind);
        if (!filter) continue;
        Stage s;
        s.kind = Stage::Kind::Filter;
        s.loc = st.plugin.loc;
        try {
          s.decorations = FilterDecorations::from_config(cfg);
        } catch (const PluginConfigError& e) {
          SourceLoc loc = st.plugin.loc;
          for (const Attribute& a : st.plugin.attributes) {
            if (a.name == e.option) loc = a.loc;
          }
          diags_.error(loc, "Invalid configuration for the " + st.plugin.name + " filter: " + e.what());
          continue;
        }
        s.filter = filter.get();
        pipeline_->filters.push_back(std::move(filter));
        out.push_back(std::move(s));
      } else {
        auto output = downcast<Output>(build(st.plugin, kind, &cfg), st.plugin, kind);
        if (!output) continue;
        Stage s;
        s.kind = Stage::Kind::Output;
        s.loc = st.plugin.loc;
        s.output = output.get();
        pipeline_->outputs.push_back(std::move(output));
        out.push_back(std::move(s));
      }
    }
  }
};

}  // namespace

std::unique_ptr<CompiledPipeline> compile_pipeline(const std::vector<config::ConfigAst>& files,
                                                   const CompileOptions& options, config::Diagnostics& diags) {
  Lowering l(files, options, diags);
  auto compiled = l.run();
  if (compiled) compiled->dead_letter_queue = options.dead_letter_queue;
  return compiled;
}

}  // namespace sluice
