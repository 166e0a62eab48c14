// pipelines.yml: a list of flat mappings of pipeline settings, each laid over the process settings
// and built into a pipeline; errors worded as Logstash words them (empty file, not a list, an entry
// that is not a mapping, a setting pipelines.yml may not set, duplicate ids).
//
// Decision (also in docs/settings.md): a pipelines.yml that holds only `---`, `[]` or comments is
// "empty".
#include "settings/internal.hpp"

namespace sluice::settings::detail {
namespace {

bool pipeline_key_allowed(const std::string& key) {
  const Def* d = find_def(key);
  return d && d->pipeline;
}

std::string allowed_pipeline_keys() {
  std::string s = "[";
  bool first = true;
  for (const Def& d : defs()) {
    if (!d.pipeline) continue;
    s += (first ? "\"" : ", \"") + std::string(d.name) + "\"";
    first = false;
  }
  return s + "]";
}

std::string ruby_class(const yaml::Node& n) {
  if (n.is_mapping()) return "Hash";
  if (n.is_sequence()) return "Array";
  switch (yaml::resolve(n)) {
    case yaml::ScalarType::Int:
      return "Integer";
    case yaml::ScalarType::Float:
      return "Float";
    case yaml::ScalarType::Bool: {
      bool b = false;
      yaml::plain_bool(n.scalar, &b);
      return b ? "TrueClass" : "FalseClass";
    }
    case yaml::ScalarType::Null:
      return "NilClass";
    case yaml::ScalarType::String:
      return "String";
  }
  return "String";
}

}  // namespace

// Reads pipelines.yml and builds every pipeline over the process settings `base`.
bool load_pipelines_yml(const std::string& path, const Settings& base, const NodeContext& ctx,
                        const std::map<std::string, std::string>& env, Sink* sink,
                        std::vector<PipelineSpec>* out, std::string* error) {
  std::string text, reason;
  ReadStatus st = read_text(path, &text, &reason);
  if (st != ReadStatus::Ok) {
    *error =
        "Failed to read pipelines yaml file. Location: " + path +
        (st == ReadStatus::Missing ? std::string(", Exception: no such file") : ", Exception: " + reason);
    return false;
  }
  yaml::Node root;
  yaml::ParseError perr;
  bool has_doc = false;
  if (!yaml::parse(text, &root, &perr, &has_doc)) {
    *error = "Failed to parse YAML file \"" + path + "\": " + perr.describe();
    return false;
  }
  bool false_document = false;  // Ruby reads a lone `false` as "no pipelines" too
  if (root.is_scalar() && yaml::resolve(root) == yaml::ScalarType::Bool) {
    bool b = true;
    yaml::plain_bool(root.scalar, &b);
    false_document = !b;
  }
  if (!has_doc || root.is_null() || (root.is_sequence() && root.items.empty()) || false_document) {
    *error = "Pipelines YAML file is empty. Location: " + path;
    return false;
  }
  if (!root.is_sequence()) {
    *error = "Pipelines YAML file must contain an array of pipeline configs. Found \"" + ruby_class(root) +
             "\" in " + path;
    return false;
  }
  std::vector<PipelineSpec> specs;
  for (std::size_t k = 0; k < root.items.size(); ++k) {
    const yaml::Node& item = root.items[k];
    if (!item.is_mapping()) {
      *error = "Pipelines YAML file must contain an array of pipeline configs: entry " +
               std::to_string(k + 1) + " (line " + std::to_string(item.line) + ") is a " + ruby_class(item) +
               ", not a mapping of pipeline settings. Location: " + path;
      return false;
    }
    const yaml::Node* id_node = item.find("pipeline.id");
    const std::string raw_id = id_node && id_node->is_scalar() ? id_node->scalar : "";
    Settings m = base;
    for (const yaml::MapEntry& e : item.entries) {
      Origin origin;
      origin.kind = Origin::Kind::File;
      origin.file = path;
      origin.line = e.line;
      if (e.key == "config.reload.automatic" || e.key == "config.reload.interval") {
        sink->warn_once(
            "pipeline-reload:" + raw_id + ":" + e.key,
            "Config option \"" + e.key + "\", set for pipeline \"" + raw_id +
                "\", is deprecated as a pipeline override setting. Please only set it at the process "
                "level." +
                origin.suffix());
        continue;
      }
      if (!pipeline_key_allowed(e.key)) {
        std::vector<std::string> allowed;
        for (const Def& d : defs()) {
          if (d.pipeline) allowed.push_back(d.name);
        }
        *error = "Only pipeline related settings are expected. Received \"" + e.key +
                 "\". Allowed settings: " + allowed_pipeline_keys() + suggestion(e.key, allowed) +
                 origin.suffix();
        return false;
      }
      Assignment a;
      a.name = e.key;
      a.value = from_node(e.value);
      a.origin = origin;
      std::string missing;
      if (!substitute(&a.value, false, env, &missing)) {
        *error = undefined_variable(missing, a.name, origin);
        return false;
      }
      if (!apply(a, &m, sink, nullptr, error)) return false;
    }
    const bool has_string = is_set(m, "config.string");
    const bool has_path = is_set(m, "path.config") && !lookup(m, "path.config").list.empty();
    std::string where =
        " (pipeline " + std::to_string(k + 1) + " in " + path + ", line " + std::to_string(item.line) + ")";
    if (has_string && has_path) {
      *error = "Settings 'path.config' and 'config.string' can't be used simultaneously" + where;
      return false;
    }
    if (!has_string && !has_path) {
      *error = "Pipeline \"" + get_text(m, "pipeline.id") +
               "\" has neither path.config nor config.string: give it one of them" + where;
      return false;
    }
    PipelineSpec spec;
    if (!build_pipeline(m, ctx, where, &spec, error)) return false;
    specs.push_back(std::move(spec));
  }
  std::vector<std::string> dups;
  std::map<std::string, int> count;
  for (const PipelineSpec& s : specs) {
    if (++count[s.runtime.id] == 2) dups.push_back(s.runtime.id);
  }
  if (!dups.empty()) {
    std::string list = "[";
    for (std::size_t k = 0; k < dups.size(); ++k) list += (k ? ", \"" : "\"") + dups[k] + "\"";
    list += "]";
    *error = "Pipelines YAML file contains duplicate pipeline ids: " + list + ". Location: " + path;
    return false;
  }
  *out = std::move(specs);
  return true;
}

}  // namespace sluice::settings::detail
