// One pipeline's PipelineSpec from its merged settings (the process settings, overlaid with its
// pipelines.yml entry when there is one): runtime, queue and dead letter queue settings with their
// cross-checks, and the settings fingerprint a reload compares.
#include <algorithm>

#include "settings/internal.hpp"

namespace sluice::settings::detail {
namespace {

std::string escape_line(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\n') {
      o += "\\n";
    } else if (c == '\\') {
      o += "\\\\";
    } else {
      o += c;
    }
  }
  return o;
}

}  // namespace

// A pipeline from its merged settings (process settings overlaid with its pipelines.yml entry).
bool build_pipeline(const Settings& m, const NodeContext& ctx, const std::string& where, PipelineSpec* spec,
                    std::string* error) {
  PipelineSpec p;
  p.runtime.id = get_text(m, "pipeline.id");
  if (trim(p.runtime.id).empty()) {
    *error = "Invalid value \"" + p.runtime.id + "\" for pipeline.id: expected a non-empty id" + where;
    return false;
  }
  if (is_set(m, "pipeline.workers")) {
    p.runtime.workers = clamp_int(get_int(m, "pipeline.workers"));
    p.runtime.workers_explicit = true;
  } else {
    p.runtime.workers = ctx.cpus;
    p.runtime.workers_explicit = false;
  }
  p.runtime.batch_size = clamp_int(get_int(m, "pipeline.batch.size"));
  p.runtime.batch_delay_ms = clamp_int(get_int(m, "pipeline.batch.delay"));
  const std::string ordered = get_text(m, "pipeline.ordered");
  p.runtime.ordered = ordered == "true"    ? PipelineSettings::Ordered::True
                      : ordered == "false" ? PipelineSettings::Ordered::False
                                           : PipelineSettings::Ordered::Auto;
  p.runtime.end_to_end_acks = get_bool(m, "pipeline.end_to_end_acks");
  Canon paths = lookup(m, "path.config");
  p.path_config = paths.list;
  if (is_set(m, "config.string")) p.config_string = get_text(m, "config.string");
  p.support_escapes = get_bool(m, "config.support_escapes");
  p.config_debug = get_text(m, "config.debug") != "false";
  p.reloadable = get_bool(m, "pipeline.reloadable");
  p.unsafe_shutdown = get_bool(m, "pipeline.unsafe_shutdown");
  p.ecs_compatibility = get_text(m, "pipeline.ecs_compatibility");

  const std::string path_queue = is_set(m, "path.queue") ? get_text(m, "path.queue") : ctx.path_queue;
  const std::string path_dlq =
      is_set(m, "path.dead_letter_queue") ? get_text(m, "path.dead_letter_queue") : ctx.path_dlq;
  pq::QueueSettings& q = p.queue;
  q.type = get_text(m, "queue.type");
  q.path = path_queue.empty() ? "" : path_queue + "/" + p.runtime.id;
  q.max_bytes = get_u64(m, "queue.max_bytes");
  q.page_capacity = get_u64(m, "queue.page_capacity");
  q.max_events = get_u64(m, "queue.max_events");
  q.checkpoint_writes = clamp_int(get_int(m, "queue.checkpoint.writes"));
  q.checkpoint_acks = clamp_int(get_int(m, "queue.checkpoint.acks"));
  q.checkpoint_interval_ms = clamp_int(get_int(m, "queue.checkpoint.interval"));
  q.checkpoint_retry = get_bool(m, "queue.checkpoint.retry");
  q.drain = get_bool(m, "queue.drain");
  q.compression = get_text(m, "queue.compression");
  dlq::DeadLetterQueueSettings& dlq = p.dead_letter_queue;
  dlq.enable = get_bool(m, "dead_letter_queue.enable");
  dlq.path = path_dlq.empty() ? "" : path_dlq + "/" + p.runtime.id;
  dlq.max_bytes = get_u64(m, "dead_letter_queue.max_bytes");
  dlq.storage_policy = get_text(m, "dead_letter_queue.storage_policy");
  dlq.flush_interval_ms = clamp_int(get_int(m, "dead_letter_queue.flush_interval"));
  dlq.flush_check_interval_ms = clamp_int(get_int(m, "dead_letter_queue.flush_check_interval"));
  dlq.retain_age = get_text(m, "dead_letter_queue.retain.age");

  if (q.type == "persisted" && q.path.empty()) {
    *error =
        "queue.type: persisted needs path.data: set --path.data or path.data in logstash.yml (pipeline \"" +
        p.runtime.id + "\")" + where;
    return false;
  }
  if (dlq.enable && dlq.path.empty()) {
    *error =
        "dead_letter_queue.enable: true needs path.data: set --path.data or path.data in logstash.yml "
        "(pipeline \"" +
        p.runtime.id + "\")" + where;
    return false;
  }
  if (q.type == "persisted" && q.max_bytes != 0 && q.page_capacity > q.max_bytes) {
    *error =
        "Pipeline " + p.runtime.id +
        " 'queue.page_capacity' must be less than or equal to 'queue.max_bytes'. (queue.page_capacity is " +
        std::to_string(q.page_capacity) + " bytes, queue.max_bytes " + std::to_string(q.max_bytes) +
        " bytes)" + where;
    return false;
  }

  // The fingerprint: every setting a pipeline uses, with its effective value, sorted by name.
  std::vector<std::string> lines;
  for (const Def& d : defs()) {
    if (!d.pipeline || d.use != Use::Used) continue;
    std::string name = d.name;
    std::string value;
    if (name == "pipeline.workers") {
      value = std::to_string(p.runtime.workers);
    } else if (name == "path.queue") {
      value = path_queue;
    } else if (name == "path.dead_letter_queue") {
      value = path_dlq;
    } else if (name == "config.string") {
      if (!p.config_string) continue;
      value = *p.config_string;
    } else {
      Canon c = lookup(m, name);
      if (c.is_list) {
        for (std::size_t k = 0; k < c.list.size(); ++k) value += (k ? "," : "") + c.list[k];
      } else {
        value = c.text;
      }
    }
    lines.push_back(name + "=" + escape_line(value));
  }
  lines.push_back("pipeline.unsafe_shutdown=" + std::string(p.unsafe_shutdown ? "true" : "false"));
  std::sort(lines.begin(), lines.end());
  for (const std::string& l : lines) p.settings_fingerprint += l + "\n";
  *spec = std::move(p);
  return true;
}

}  // namespace sluice::settings::detail
