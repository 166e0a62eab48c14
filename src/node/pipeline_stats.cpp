#include "node/pipeline_stats.hpp"

#include <algorithm>
#include <utility>

namespace sluice {

const FlowSampler::Sample& FlowSampler::add(const Sample& cur) {
  const auto now = cur.t;
  if (samples_.empty() || now - samples_.back().t >= std::chrono::seconds(1)) samples_.push_back(cur);
  while (samples_.size() > 2 && now - samples_[1].t >= std::chrono::seconds(10)) samples_.pop_front();
  return samples_.front();
}

void fill_pipeline_stats(const Pipeline& pipeline, FlowSampler& flow, PipelineSnapshot* s) {
  const CompiledPipeline& compiled = pipeline.compiled();
  const int workers = pipeline.workers();
  s->workers = workers;
  s->batch_size = pipeline.settings().batch_size;
  s->batch_delay_ms = pipeline.settings().batch_delay_ms;
  s->sources = compiled.sources;
  auto ns_to_ms = [](uint64_t ns) { return ns / 1'000'000; };
  for (const auto& in : compiled.inputs) {
    PluginStats p;
    p.kind = PluginStats::Kind::Input;
    p.id = in.input->id();
    p.name = in.name;
    p.events_out = in.input->metrics().events_out.load(std::memory_order_relaxed);
    s->plugins.push_back(std::move(p));
  }
  auto add = [&](const Plugin& pl, PluginStats::Kind kind) {
    PluginStats p;
    p.kind = kind;
    p.id = pl.id();
    p.name = pl.name();
    p.events_in = pl.metrics().events_in.load(std::memory_order_relaxed);
    p.events_out = pl.metrics().events_out.load(std::memory_order_relaxed);
    p.duration_ms = ns_to_ms(pl.metrics().duration_ns.load(std::memory_order_relaxed));
    s->plugins.push_back(std::move(p));
  };
  for (const auto& f : compiled.filters) add(*f, PluginStats::Kind::Filter);
  for (const auto& o : compiled.outputs) add(*o, PluginStats::Kind::Output);

  const PipelineCounters c = pipeline.counters();
  s->queue = c.queue;
  if (!c.started) return;
  s->events_in = c.events_in;
  s->events_filtered = c.events_filtered;
  s->events_out = c.events_out;
  const uint64_t duration_ns = c.duration_ns;
  const uint64_t push_ns = c.queue_push_blocked_ns;
  s->duration_ms = ns_to_ms(duration_ns);
  s->queue_push_duration_ms = ns_to_ms(push_ns);

  const auto now = std::chrono::steady_clock::now();
  const FlowSampler::Sample cur{now, s->events_in, s->events_filtered, s->events_out, duration_ns, push_ns};
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  const double life = std::max(1e-3, secs(now - c.started_at));
  s->input_throughput.lifetime = static_cast<double>(cur.in) / life;
  s->filter_throughput.lifetime = static_cast<double>(cur.filtered) / life;
  s->output_throughput.lifetime = static_cast<double>(cur.out) / life;
  const FlowSampler::Sample& base = flow.add(cur);
  const double window = secs(now - base.t);
  if (window >= 0.5) {
    s->input_throughput.current = static_cast<double>(cur.in - base.in) / window;
    s->filter_throughput.current = static_cast<double>(cur.filtered - base.filtered) / window;
    s->output_throughput.current = static_cast<double>(cur.out - base.out) / window;
    s->worker_concurrency = static_cast<double>(cur.duration_ns - base.duration_ns) / 1e9 / window;
    s->worker_utilization = 100.0 * s->worker_concurrency / workers;
    s->queue_backpressure = static_cast<double>(cur.push_ns - base.push_ns) / 1e9 / window;
  } else {
    s->input_throughput.current = s->input_throughput.lifetime;
    s->filter_throughput.current = s->filter_throughput.lifetime;
    s->output_throughput.current = s->output_throughput.lifetime;
    s->worker_concurrency = static_cast<double>(duration_ns) / 1e9 / life;
    s->worker_utilization = 100.0 * s->worker_concurrency / workers;
    s->queue_backpressure = static_cast<double>(push_ns) / 1e9 / life;
  }
}

}  // namespace sluice
