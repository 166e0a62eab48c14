#include "runtime/executor.hpp"

#include "sluice/log.hpp"

#include <algorithm>
#include <chrono>

namespace sluice {
namespace {

uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since).count());
}

void drop_cancelled(std::vector<Event*>& events) {
  events.erase(std::remove_if(events.begin(), events.end(), [](Event* e) { return e->cancelled(); }),
               events.end());
}

log::RateLimited g_condition_warning;

}  // namespace

Executor::Executor(const CompiledPipeline& pipeline, std::string pipeline_id, bool ordered)
    : pipeline_(pipeline), pipeline_id_(std::move(pipeline_id)), ordered_(ordered) {}

void Executor::partition(const Stage& stage, std::vector<Event*>& events,
                         std::vector<std::vector<Event*>>& buckets) {
  buckets.assign(stage.clauses.size() + 1, {});
  std::string error;
  for (Event* e : events) {
    size_t chosen = stage.clauses.size();
    for (size_t i = 0; i < stage.clauses.size(); ++i) {
      const auto& cond = stage.clauses[i].condition;
      if (!cond) {  // else
        chosen = i;
        break;
      }
      const CondResult r = cond->eval(*e, &error);
      if (r == CondResult::True) {
        chosen = i;
        break;
      }
      if (r == CondResult::Error) {
        // Logstash drops the event whose condition cannot be evaluated and keeps running.
        condition_errors_.fetch_add(1, std::memory_order_relaxed);
        g_condition_warning.warn("logstash.javapipeline",
                                 error + ". Event was dropped, enable debug logging to see the event's payload "
                                         "(condition: " + cond->describe() + ")");
        e->cancel();
        chosen = SIZE_MAX;
        break;
      }
    }
    if (chosen != SIZE_MAX) buckets[chosen].push_back(e);
  }
}

void Executor::run_filters(const std::vector<Stage>& stages, std::vector<Event*>& events) {
  for (const Stage& stage : stages) {
    if (events.empty()) return;
    if (stage.kind == Stage::Kind::Filter) {
      const auto start = std::chrono::steady_clock::now();
      Filter& f = *stage.filter;
      const bool decorate = !stage.decorations.empty();
      for (Event* e : events) {
        if (f.filter(*e) == FilterStatus::Success && decorate) stage.decorations.apply(*e);
      }
      auto& m = f.metrics();
      m.events_in.fetch_add(events.size(), std::memory_order_relaxed);
      drop_cancelled(events);
      m.events_out.fetch_add(events.size(), std::memory_order_relaxed);
      m.duration_ns.fetch_add(elapsed_ns(start), std::memory_order_relaxed);
    } else if (stage.kind == Stage::Kind::If) {
      std::vector<std::vector<Event*>> buckets;
      partition(stage, events, buckets);
      events.clear();
      for (size_t i = 0; i < stage.clauses.size(); ++i) {
        run_filters(stage.clauses[i].body, buckets[i]);
        events.insert(events.end(), buckets[i].begin(), buckets[i].end());
      }
      events.insert(events.end(), buckets.back().begin(), buckets.back().end());
    }
  }
}

void Executor::run_outputs(const std::vector<Stage>& stages, std::vector<Event*>& events) {
  for (const Stage& stage : stages) {
    if (events.empty()) return;
    if (stage.kind == Stage::Kind::Output) {
      const auto start = std::chrono::steady_clock::now();
      Output& o = *stage.output;
      o.receive(std::span<Event* const>(events.data(), events.size()));
      auto& m = o.metrics();
      m.events_in.fetch_add(events.size(), std::memory_order_relaxed);
      m.events_out.fetch_add(events.size(), std::memory_order_relaxed);
      m.duration_ns.fetch_add(elapsed_ns(start), std::memory_order_relaxed);
    } else if (stage.kind == Stage::Kind::If) {
      std::vector<std::vector<Event*>> buckets;
      partition(stage, events, buckets);
      for (size_t i = 0; i < stage.clauses.size(); ++i) run_outputs(stage.clauses[i].body, buckets[i]);
      drop_cancelled(events);  // an event whose condition failed goes to no later output either
    }
    // Filters cannot appear in the output section (the compiler rejects them).
  }
}

void Executor::run(std::vector<std::unique_ptr<Event>>& batch) {
  const auto start = std::chrono::steady_clock::now();
  filtered_.fetch_add(batch.size(), std::memory_order_relaxed);
  std::vector<Event*> events;
  events.reserve(batch.size());
  if (ordered_) {
    std::vector<Event*> one(1);
    for (auto& e : batch) {
      one.assign(1, e.get());
      run_filters(pipeline_.filter_graph, one);
      if (!one.empty()) events.push_back(one.front());
    }
  } else {
    for (auto& e : batch) events.push_back(e.get());
    run_filters(pipeline_.filter_graph, events);
  }
  drop_cancelled(events);
  out_.fetch_add(events.size(), std::memory_order_relaxed);
  run_outputs(pipeline_.output_graph, events);
  duration_ns_.fetch_add(elapsed_ns(start), std::memory_order_relaxed);
}

}  // namespace sluice
