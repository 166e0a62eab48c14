#include "runtime/batch_executor.hpp"

#include "sluice/log.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace sluice {

struct BatchExecutor::Spawned {
  std::vector<std::unique_ptr<Event>> owners;
};

namespace {

uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since).count());
}

void drop_cancelled(std::vector<Event*>& events) {
  events.erase(std::remove_if(events.begin(), events.end(), [](Event* e) { return e->cancelled(); }),
               events.end());
}

bool contains_flusher(const std::vector<Stage>& stages) {
  for (const Stage& s : stages) {
    if (s.kind == Stage::Kind::Filter && s.filter->periodic_flush()) return true;
    for (const auto& c : s.clauses) {
      if (contains_flusher(c.body)) return true;
    }
  }
  return false;
}

log::RateLimited g_condition_warning;
log::RateLimited g_retry_warning;

// One filter stage's view of the batch (sluice/plugin.hpp FilterBatch). Emitted events are owned
// by `spawned` and recorded with the index of the event they follow.
class StageBatch final : public FilterBatch {
 public:
  StageBatch(std::vector<Event*>& events, std::vector<std::unique_ptr<Event>>& owners, const FilterDecorations& d)
      : events_(events), owners_(owners), decorations_(d), decorate_(!d.empty()), bound_(*this) {}

  size_t size() const override { return events_.size(); }
  Event& event(size_t i) override { return *events_[i]; }
  Emitter& emitter(size_t i) override {
    bound_.parent = i;
    return bound_;
  }
  void matched(size_t i) override {
    if (decorate_) decorations_.apply(*events_[i]);
  }
  // Events emitted from flush(): they follow every event of the batch.
  Emitter& tail() {
    bound_.parent = SIZE_MAX;
    return bound_;
  }

  // Removes cancelled events and puts each emitted event after its parent, in emit order.
  void settle() {
    if (inserted_.empty()) {
      drop_cancelled(events_);
      return;
    }
    std::stable_sort(inserted_.begin(), inserted_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Event*> out;
    out.reserve(events_.size() + inserted_.size());
    size_t k = 0;
    for (size_t i = 0; i < events_.size(); ++i) {
      if (!events_[i]->cancelled()) out.push_back(events_[i]);
      for (; k < inserted_.size() && inserted_[k].first == i; ++k) {
        if (!inserted_[k].second->cancelled()) out.push_back(inserted_[k].second);
      }
    }
    for (; k < inserted_.size(); ++k) {
      if (!inserted_[k].second->cancelled()) out.push_back(inserted_[k].second);
    }
    events_.swap(out);
    inserted_.clear();
  }

 private:
  struct Bound final : Emitter {
    explicit Bound(StageBatch& b) : batch(b) {}
    void emit(std::unique_ptr<Event> e, bool matched) override {
      if (!e) return;
      if (matched && batch.decorate_) batch.decorations_.apply(*e);
      batch.inserted_.emplace_back(parent, e.get());
      batch.owners_.push_back(std::move(e));
    }
    StageBatch& batch;
    size_t parent = SIZE_MAX;
  };

  std::vector<Event*>& events_;
  std::vector<std::unique_ptr<Event>>& owners_;
  const FilterDecorations& decorations_;
  bool decorate_;
  Bound bound_;
  std::vector<std::pair<size_t, Event*>> inserted_;
};

}  // namespace

BatchExecutor::BatchExecutor(const CompiledPipeline& pipeline, std::string pipeline_id, bool ordered,
                             std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue)
    : pipeline_(pipeline),
      pipeline_id_(std::move(pipeline_id)),
      ordered_(ordered),
      has_flushers_(contains_flusher(pipeline.filter_graph)),
      dead_letter_queue_(std::move(dead_letter_queue)) {
  for (const auto& o : pipeline.outputs) {
    if (!o->thread_safe()) serial_.emplace(o.get(), std::make_unique<std::mutex>());
  }
}

void BatchExecutor::partition(const Stage& stage, std::vector<Event*>& events,
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

void BatchExecutor::run_filter_stage(const Stage& stage, std::vector<Event*>& events, Spawned& spawned, bool flush,
                                     bool final) {
  const auto start = std::chrono::steady_clock::now();
  Filter& f = *stage.filter;
  StageBatch batch(events, spawned.owners, stage.decorations);
  const size_t in = events.size();
  if (in > 0) f.filter_batch(batch);
  if (flush && f.periodic_flush()) f.flush(batch.tail(), final);
  batch.settle();
  auto& m = f.metrics();
  m.events_in.fetch_add(in, std::memory_order_relaxed);
  m.events_out.fetch_add(events.size(), std::memory_order_relaxed);
  m.duration_ns.fetch_add(elapsed_ns(start), std::memory_order_relaxed);
}

void BatchExecutor::run_filters(const std::vector<Stage>& stages, std::vector<Event*>& events, Spawned& spawned,
                                bool flush, bool final) {
  for (const Stage& stage : stages) {
    // A flush visits every branch: a flushing filter may hold events although no event reaches it now.
    if (events.empty() && !flush) return;
    if (stage.kind == Stage::Kind::Filter) {
      run_filter_stage(stage, events, spawned, flush, final);
    } else if (stage.kind == Stage::Kind::If) {
      std::vector<std::vector<Event*>> buckets;
      partition(stage, events, buckets);
      events.clear();
      for (size_t i = 0; i < stage.clauses.size(); ++i) {
        run_filters(stage.clauses[i].body, buckets[i], spawned, flush, final);
        events.insert(events.end(), buckets[i].begin(), buckets[i].end());
      }
      events.insert(events.end(), buckets.back().begin(), buckets.back().end());
    }
  }
}

void BatchExecutor::deliver(Output& o, std::span<Event* const> events) {
  std::unique_lock<std::mutex> serial;
  if (auto it = serial_.find(&o); it != serial_.end()) serial = std::unique_lock(*it->second);
  DeliveryReport report(events.size());
  o.receive(events, report);
  auto& m = o.metrics();
  m.events_in.fetch_add(events.size(), std::memory_order_relaxed);

  // Only a retry needs a list of its own: the events given again, then narrowed round by round.
  std::vector<Event*> pending, again;
  std::chrono::milliseconds backoff = retry_first_;
  for (;;) {
    uint64_t done = 0;  // Delivered and Rejected: out of the output for good (Logstash's events.out)
    again.clear();
    for (size_t i = 0; i < report.size(); ++i) {
      switch (report.status(i)) {
        case DeliveryStatus::Delivered:
          ++done;
          break;
        case DeliveryStatus::Retry:
          again.push_back(events[i]);
          break;
        case DeliveryStatus::Rejected:
          // The output has logged it; the dead letter queue keeps it when the pipeline has one.
          ++done;
          rejected_.fetch_add(1, std::memory_order_relaxed);
          if (dead_letter_queue_ && dead_letter_queue_->write(*events[i], o.name(), o.id(), report.reason(i)))
            dead_lettered_.fetch_add(1, std::memory_order_relaxed);
          break;
      }
    }
    m.events_out.fetch_add(done, std::memory_order_relaxed);
    if (again.empty()) return;
    retried_.fetch_add(again.size(), std::memory_order_relaxed);
    g_retry_warning.warn("logstash.javapipeline", "Output " + o.name() + " (" + o.id() + ") asked to retry " +
                                                      std::to_string(again.size()) + " event(s); retrying in " +
                                                      std::to_string(backoff.count()) + " ms");
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, retry_max_);
    pending.swap(again);
    events = pending;
    report.reset(events.size());
    o.receive(events, report);
  }
}

void BatchExecutor::run_outputs(const std::vector<Stage>& stages, std::vector<Event*>& events) {
  for (const Stage& stage : stages) {
    if (events.empty()) return;
    if (stage.kind == Stage::Kind::Output) {
      const auto start = std::chrono::steady_clock::now();
      deliver(*stage.output, events);
      stage.output->metrics().duration_ns.fetch_add(elapsed_ns(start), std::memory_order_relaxed);
    } else if (stage.kind == Stage::Kind::If) {
      std::vector<std::vector<Event*>> buckets;
      partition(stage, events, buckets);
      for (size_t i = 0; i < stage.clauses.size(); ++i) run_outputs(stage.clauses[i].body, buckets[i]);
      drop_cancelled(events);  // an event whose condition failed goes to no later output either
    }
    // Filters cannot appear in the output section (the compiler rejects them).
  }
}

void BatchExecutor::run(std::vector<std::unique_ptr<Event>>& batch) {
  const auto start = std::chrono::steady_clock::now();
  filtered_.fetch_add(batch.size(), std::memory_order_relaxed);
  Spawned spawned;
  std::vector<Event*> events;
  events.reserve(batch.size());
  if (ordered_) {
    std::vector<Event*> one;
    for (auto& e : batch) {
      one.assign(1, e.get());
      run_filters(pipeline_.filter_graph, one, spawned, false, false);
      events.insert(events.end(), one.begin(), one.end());
    }
  } else {
    for (auto& e : batch) events.push_back(e.get());
    run_filters(pipeline_.filter_graph, events, spawned, false, false);
  }
  drop_cancelled(events);
  out_.fetch_add(events.size(), std::memory_order_relaxed);
  run_outputs(pipeline_.output_graph, events);
  // The batch owns what the filters made: it is released with the batch (acknowledgements included).
  for (auto& e : spawned.owners) batch.push_back(std::move(e));
  duration_ns_.fetch_add(elapsed_ns(start), std::memory_order_relaxed);
}

void BatchExecutor::flush(bool final) {
  if (!has_flushers_) return;
  const auto start = std::chrono::steady_clock::now();
  Spawned spawned;
  std::vector<Event*> events;
  run_filters(pipeline_.filter_graph, events, spawned, true, final);
  drop_cancelled(events);
  out_.fetch_add(events.size(), std::memory_order_relaxed);
  run_outputs(pipeline_.output_graph, events);
  duration_ns_.fetch_add(elapsed_ns(start), std::memory_order_relaxed);
}

}  // namespace sluice
