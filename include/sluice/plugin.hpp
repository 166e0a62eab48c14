// The plugin API: inputs, filters, outputs and codecs.
//
// Threading: a filter or output instance is shared by all pipeline workers; after start() its
// state is immutable or internally synchronised (per-worker scratch uses thread_local). An input
// runs on its own thread. A codec instance belongs to one input connection or one output.
#pragma once

#include "sluice/config_value.hpp"
#include "sluice/dead_letter_queue.hpp"
#include "sluice/event.hpp"
#include "sluice/schema.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

class Codec;

// A configuration problem found while constructing a plugin (bad regex, bad option value). The
// compiler reports it with the plugin's (or the option's) source location.
struct PluginConfigError : std::runtime_error {
  PluginConfigError(std::string option, std::string message)
      : std::runtime_error(message), option(std::move(option)) {}
  std::string option;  // empty: the plugin as a whole
};

// Validated options of one plugin instance: every option of the schema that has a value (given in
// the config, after type coercion, or its default).
class PluginConfig {
 public:
  std::string plugin_name;
  PluginKind kind = PluginKind::Filter;
  std::string id;        // explicit `id` or a generated one (`<name>_<n>` of the pipeline)
  std::string pipeline_id = "main";
  SourceLoc loc;
  std::map<std::string, ConfigValue, std::less<>> values;
  std::function<std::unique_ptr<Codec>()> codec_factory;  // inputs/outputs: a fresh codec instance
  // The pipeline's dead letter queue (nullptr unless dead_letter_queue.enable), shared by its plugins.
  std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue;
  // The node's path.data ("" when unknown): plugins keep their state under <path.data>/plugins/.
  std::string path_data;

  bool has(std::string_view name) const;
  const ConfigValue* get(std::string_view name) const;  // nullptr if unset and no default
  // Typed getters; throw PluginConfigError if the option is absent (a schema bug).
  std::string string(std::string_view name) const;
  std::string string_or(std::string_view name, std::string dflt) const;
  int64_t integer(std::string_view name) const;
  double number(std::string_view name) const;
  bool boolean(std::string_view name) const;
  std::vector<std::string> strings(std::string_view name) const;  // array of scalars, as strings
  // A hash (or Logstash's flat-array form) as ordered string pairs; non-string values rendered.
  std::vector<std::pair<std::string, std::string>> string_pairs(std::string_view name) const;
};

struct PluginMetrics {
  std::atomic<uint64_t> events_in{0};
  std::atomic<uint64_t> events_out{0};
  std::atomic<uint64_t> duration_ns{0};
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  const std::string& id() const { return id_; }
  void set_id(std::string id) { id_ = std::move(id); }
  // The plugin's config name (`json`, `mutate`, `beats`), set by the compiler.
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  PluginMetrics& metrics() { return metrics_; }
  const PluginMetrics& metrics() const { return metrics_; }
  // Called once before the first event; may throw std::runtime_error with an operator-facing message.
  virtual void start() {}
  // Called once after the last event.
  virtual void close() {}

 private:
  std::string id_;
  std::string name_;
  PluginMetrics metrics_;
};

// ---- filters -----------------------------------------------------------------------------------
enum class [[nodiscard]] FilterStatus {
  Success,  // the framework applies add_field, remove_field, add_tag, remove_tag
  Failure,  // the filter tagged the event itself; common decorations are not applied
};

// Where a filter puts the events it makes (split's parts, clone's copies, a flush's aggregates).
// The runtime owns them from the call on and places them after the event being filtered (or, from
// flush(), at the filter's place in the graph); they then run through the stages after this
// filter only, as in Logstash (a new event never re-enters the filter that made it).
class Emitter {
 public:
  virtual ~Emitter() = default;
  // `matched`: apply the filter's common decorations (add_field, add_tag, remove_field,
  // remove_tag) to `e`, which is Logstash's filter_matched(new_event).
  virtual void emit(std::unique_ptr<Event> e, bool matched) = 0;
};

// The events one filter stage sees in one call, in batch order. Cancelled events are removed by
// the runtime after the call; events emitted for event i come right after it, in emit order.
class FilterBatch {
 public:
  virtual ~FilterBatch() = default;
  virtual size_t size() const = 0;
  virtual Event& event(size_t i) = 0;
  // New events that follow event i (see Emitter).
  virtual Emitter& emitter(size_t i) = 0;
  // The filter succeeded on event i: the runtime applies the common decorations to it.
  virtual void matched(size_t i) = 0;
};

class Filter : public Plugin {
 public:
  // One event in, changed in place, or cancelled (Event::cancel), plus any new events sent to
  // `emit`. Never throws for a bad event: tag it and return Failure.
  virtual FilterStatus filter(Event& e, Emitter& emit) = 0;
  // The call the runtime makes with a whole batch. The default runs filter() on each event and
  // applies the decorations on Success; override it to work on the batch as a whole (lookups in
  // bulk) with the same observable result.
  virtual void filter_batch(FilterBatch& batch) {
    for (size_t i = 0, n = batch.size(); i < n; ++i) {
      if (filter(batch.event(i), batch.emitter(i)) == FilterStatus::Success) batch.matched(i);
    }
  }
  // Filters that hold events or state over time (aggregate timeouts, throttles) return true; the
  // pipeline then calls flush() every `periodic_flush_interval()` (Logstash: 5 s) from one thread
  // while the workers run, and once more with final = true after the last batch, before close().
  // Emitted events run through the stages after this filter, then the outputs.
  virtual bool periodic_flush() const { return false; }
  virtual void flush(Emitter& emit, bool final) {}
};

// ---- outputs -----------------------------------------------------------------------------------
// What became of each event an output was given.
enum class [[nodiscard]] DeliveryStatus : uint8_t {
  Delivered = 0,  // written (or deliberately not written, as `null`): done
  Retry = 1,      // not written, may succeed later: the runtime gives it to the output again
  Rejected = 2,   // will never be written (e.g. Elasticsearch answered 400): the runtime puts it in
                  // the dead letter queue with the reason when the pipeline has one
};

// Per-event outcomes of one receive() call. Every event starts Delivered.
class DeliveryReport {
 public:
  explicit DeliveryReport(size_t n = 0) { reset(n); }
  void reset(size_t n) {
    status_.assign(n, DeliveryStatus::Delivered);
    reasons_.clear();
    retries_ = rejects_ = 0;
  }
  size_t size() const { return status_.size(); }
  DeliveryStatus status(size_t i) const { return status_[i]; }
  void retry(size_t i) { set(i, DeliveryStatus::Retry); }
  void reject(size_t i, std::string reason) {
    set(i, DeliveryStatus::Rejected);
    reasons_.emplace_back(i, std::move(reason));
  }
  // The reason given with reject(i) ("" if none).
  std::string_view reason(size_t i) const {
    for (auto it = reasons_.rbegin(); it != reasons_.rend(); ++it) {
      if (it->first == i) return it->second;
    }
    return {};
  }
  size_t retries() const { return retries_; }
  size_t rejects() const { return rejects_; }

 private:
  void set(size_t i, DeliveryStatus s) {
    const DeliveryStatus old = status_[i];
    retries_ -= old == DeliveryStatus::Retry;
    rejects_ -= old == DeliveryStatus::Rejected;
    status_[i] = s;
    retries_ += s == DeliveryStatus::Retry;
    rejects_ += s == DeliveryStatus::Rejected;
  }
  std::vector<DeliveryStatus> status_;
  std::vector<std::pair<size_t, std::string>> reasons_;
  size_t retries_ = 0;
  size_t rejects_ = 0;
};

class Output : public Plugin {
 public:
  // Called by a worker with the events routed to this output; pointers are valid only during the
  // call. `report` has one Delivered entry per event on entry; mark what was not delivered. An
  // output may retry internally (the elasticsearch output does, with its own backoff) and return
  // only final outcomes. Outputs that are not thread safe say so and get calls serialised by the
  // framework.
  virtual void receive(std::span<Event* const> events, DeliveryReport& report) = 0;
  virtual bool thread_safe() const { return true; }
};

// ---- inputs ------------------------------------------------------------------------------------
class InputContext {
 public:
  virtual ~InputContext() = default;
  // Decorates the event (type, add_field, tags as the input's common options say) and enqueues it.
  // Blocks while the queue is full (backpressure). Returns false once the pipeline is shutting down
  // and will accept nothing more; the event is then dropped by the caller's choice to stop reading.
  virtual bool push(std::unique_ptr<Event> e) = 0;
  virtual bool stopping() const = 0;
  // For inputs that add their own fields or tags after the common decorations, in Logstash's order
  // (the beats input tags `beats_input_codec_*_applied` after `decorate`): decorate() applies the
  // common decorations now; push_decorated() then enqueues without applying them again (same
  // blocking and return value as push). push() may be called from several threads at once.
  // Defaults: no early decoration, push_decorated() is push().
  virtual void decorate(Event& e) {}
  virtual bool push_decorated(std::unique_ptr<Event> e) { return push(std::move(e)); }
  // pipeline.end_to_end_acks: an input that acknowledges its clients attaches an AckGroup to the
  // events of each acknowledgement (Event::attach_ack) and acknowledges when the group fires,
  // instead of as soon as the events are queued. False: acknowledge once queued (Logstash).
  virtual bool acks_on_delivery() const { return false; }
};

class Input : public Plugin {
 public:
  // Runs on the input's own thread until the source is exhausted (returns) or stop() is called.
  virtual void run(InputContext& ctx) = 0;
  // Called from another thread: make run() return soon.
  virtual void stop() = 0;
};

// ---- codecs ------------------------------------------------------------------------------------
class Codec : public Plugin {
 public:
  using Sink = std::function<void(std::unique_ptr<Event>)>;
  // Feed bytes; complete events go to `sink`. Partial data is buffered until the next call.
  virtual void decode(std::string_view bytes, const Sink& sink) = 0;
  // End of stream: emit whatever is buffered.
  virtual void flush(const Sink& sink) {}
  // Append the encoded form of `e` (for line-oriented codecs, including the delimiter).
  virtual void encode(const Event& e, std::string& out) = 0;
};

}  // namespace sluice
