// The memory queue, the batch executor and the pipeline runner, with test plugins defined here.
#include <catch2/catch.hpp>

#include "runtime/batch_executor.hpp"
#include "runtime/pipeline.hpp"
#include "runtime/queue.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace sluice;

namespace {

std::unique_ptr<Event> make_event(std::string_view message) {
  auto e = std::make_unique<Event>(Timestamp::from_seconds(0));
  (void)e->set_string(*FieldRef::parse("message"), message);
  return e;
}

std::string message_of(const Event& e) {
  const Value* v = e.get(*FieldRef::parse("message"));
  return v && v->IsString() ? std::string(as_view(*v)) : std::string();
}

// Tags every event it sees; fails (so no decorations) on messages starting with "fail".
class TagFilter final : public Filter {
 public:
  explicit TagFilter(std::string tag) : tag_(std::move(tag)) {}
  FilterStatus filter(Event& e, Emitter&) override {
    if (message_of(e).rfind("fail", 0) == 0) return FilterStatus::Failure;
    e.append_tag(tag_);
    return FilterStatus::Success;
  }

 private:
  std::string tag_;
};

// What an output received; shared so it outlives the pipeline that owns the output.
struct Received {
  std::mutex mu;
  std::vector<std::string> messages;
};

class CollectOutput final : public Output {
 public:
  explicit CollectOutput(std::shared_ptr<Received> r) : received_(std::move(r)) {}
  void receive(std::span<Event* const> events, DeliveryReport&) override {
    std::lock_guard lock(received_->mu);
    for (Event* e : events) received_->messages.push_back(message_of(*e));
  }

 private:
  std::shared_ptr<Received> received_;
};

// True when the message is a digit; an evaluation error when it is "boom".
class DigitCondition final : public CompiledCondition {
 public:
  CondResult eval(const Event& e, std::string* error) const override {
    const std::string m = message_of(e);
    if (m == "boom") {
      *error = "comparison of String with Integer failed";
      return CondResult::Error;
    }
    return !m.empty() && m[0] >= '0' && m[0] <= '9' ? CondResult::True : CondResult::False;
  }
  std::string describe() const override { return "[message] =~ /^\\d/"; }
};

struct Fixture {
  std::unique_ptr<CompiledPipeline> pipeline = std::make_unique<CompiledPipeline>();
  std::shared_ptr<Received> received = std::make_shared<Received>();
  CollectOutput* out = nullptr;

  // filter { if <digit> { tag "digit" } else { tag "letter" } }  output { collect }
  Fixture() {
    pipeline->filters.push_back(std::make_unique<TagFilter>("digit"));
    pipeline->filters.push_back(std::make_unique<TagFilter>("letter"));
    Stage digit;
    digit.filter = pipeline->filters[0].get();
    Stage letter;
    letter.filter = pipeline->filters[1].get();
    Stage branch;
    branch.kind = Stage::Kind::If;
    branch.clauses.resize(2);
    branch.clauses[0].condition = std::make_unique<DigitCondition>();
    branch.clauses[0].body.push_back(std::move(digit));
    branch.clauses[1].body.push_back(std::move(letter));
    pipeline->filter_graph.push_back(std::move(branch));
    auto o = std::make_unique<CollectOutput>(received);
    out = o.get();
    pipeline->outputs.push_back(std::move(o));
    Stage os;
    os.kind = Stage::Kind::Output;
    os.output = out;
    pipeline->output_graph.push_back(std::move(os));
  }
};

std::vector<std::unique_ptr<Event>> batch_of(std::initializer_list<const char*> messages) {
  std::vector<std::unique_ptr<Event>> b;
  for (const char* m : messages) b.push_back(make_event(m));
  return b;
}

}  // namespace

TEST_CASE("queue: read_batch takes at most the batch size and keeps order") {
  MemoryQueue q(10);
  for (int i = 0; i < 7; ++i) {
    auto e = make_event(std::to_string(i));
    REQUIRE(q.push(e));
  }
  std::vector<std::unique_ptr<Event>> b;
  REQUIRE(q.read_batch(b, 5, std::chrono::milliseconds(1)));
  REQUIRE(b.size() == 5);
  CHECK(message_of(*b[0]) == "0");
  CHECK(message_of(*b[4]) == "4");
  b.clear();
  REQUIRE(q.read_batch(b, 5, std::chrono::milliseconds(1)));
  CHECK(b.size() == 2);  // an undersized batch is dispatched once the delay passes
}

TEST_CASE("queue: close lets readers drain, then read_batch reports the end") {
  MemoryQueue q(4);
  auto e = make_event("last");
  REQUIRE(q.push(e));
  q.close();
  auto late = make_event("late");
  CHECK_FALSE(q.push(late));
  CHECK(late != nullptr);  // a refused event stays with the caller
  std::vector<std::unique_ptr<Event>> b;
  REQUIRE(q.read_batch(b, 10, std::chrono::milliseconds(1)));
  CHECK(b.size() == 1);
  b.clear();
  CHECK_FALSE(q.read_batch(b, 10, std::chrono::milliseconds(1)));
}

TEST_CASE("queue: a full queue blocks the producer until a reader makes room") {
  MemoryQueue q(2);
  for (int i = 0; i < 2; ++i) {
    auto e = make_event("x");
    REQUIRE(q.push(e));
  }
  std::atomic<bool> pushed{false};
  std::atomic<bool> accepted{false};
  std::thread producer([&] {  // no Catch2 assertions off the main thread: they are not thread safe
    auto e = make_event("third");
    accepted = q.push(e);
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a negative check: still blocked
  CHECK_FALSE(pushed.load());
  CHECK(q.size() == 2);
  std::vector<std::unique_ptr<Event>> b;
  REQUIRE(q.read_batch(b, 1, std::chrono::milliseconds(1)));
  producer.join();
  CHECK(pushed.load());
  CHECK(accepted.load());
  CHECK(q.size() == 2);
  CHECK(q.push_blocked_ns() > 0);
}

TEST_CASE("executor: unordered mode groups events by branch, true branch first") {
  Fixture f;
  BatchExecutor ex(*f.pipeline, "main", /*ordered=*/false);
  auto b = batch_of({"a", "1", "b", "2", "c", "3"});
  ex.run(b);
  CHECK(f.received->messages == std::vector<std::string>{"1", "2", "3", "a", "b", "c"});
  CHECK(ex.events_filtered() == 6);
  CHECK(ex.events_out() == 6);
  CHECK(b[1]->has_tag("digit"));
  CHECK(b[0]->has_tag("letter"));
  CHECK_FALSE(b[0]->has_tag("digit"));
}

TEST_CASE("executor: ordered mode keeps the batch order across conditionals") {
  Fixture f;
  BatchExecutor ex(*f.pipeline, "main", /*ordered=*/true);
  auto b = batch_of({"a", "1", "b", "2", "c", "3"});
  ex.run(b);
  CHECK(f.received->messages == std::vector<std::string>{"a", "1", "b", "2", "c", "3"});
}

TEST_CASE("executor: an event whose condition fails to evaluate is dropped, the others go on") {
  Fixture f;
  BatchExecutor ex(*f.pipeline, "main", false);
  auto b = batch_of({"1", "boom", "a"});
  ex.run(b);
  CHECK(f.received->messages == std::vector<std::string>{"1", "a"});
  CHECK(ex.condition_errors() == 1);
  CHECK(ex.events_out() == 2);
}

TEST_CASE("executor: per-plugin counters count events in and out") {
  Fixture f;
  BatchExecutor ex(*f.pipeline, "main", false);
  auto b = batch_of({"1", "2", "x"});
  ex.run(b);
  CHECK(f.pipeline->filters[0]->metrics().events_in.load() == 2);
  CHECK(f.pipeline->filters[1]->metrics().events_in.load() == 1);
  CHECK(f.out->metrics().events_in.load() == 3);
}

namespace {
// Pushes `count` events numbered 0..count-1, then returns.
class CountingInput final : public Input {
 public:
  explicit CountingInput(int count) : count_(count) {}
  void run(InputContext& ctx) override {
    for (int i = 0; i < count_ && !ctx.stopping(); ++i) {
      if (!ctx.push(make_event(std::to_string(i)))) return;
    }
  }
  void stop() override {}

 private:
  int count_;
};
}  // namespace

TEST_CASE("pipeline: two workers and a small queue deliver every event exactly once") {
  Fixture f;
  constexpr int kEvents = 20000;
  CompiledInput in;
  in.input = std::make_unique<CountingInput>(kEvents);
  in.name = "counting";
  f.pipeline->inputs.push_back(std::move(in));
  auto received = f.received;
  PipelineSettings s;
  s.workers = 2;
  s.workers_explicit = true;
  s.batch_size = 7;  // a queue of 14 events: the input blocks constantly
  s.batch_delay_ms = 5;
  REQUIRE(run_pipeline(std::move(f.pipeline), s) == 0);
  REQUIRE(received->messages.size() == kEvents);
  std::set<std::string> unique(received->messages.begin(), received->messages.end());
  CHECK(unique.size() == kEvents);
}

TEST_CASE("pipeline: pipeline.ordered true with two workers refuses to start") {
  Fixture f;
  PipelineSettings s;
  s.workers = 2;
  s.ordered = PipelineSettings::Ordered::True;
  CHECK(run_pipeline(std::move(f.pipeline), s) == 1);
}

// ---- plugin contract v2: emitted events, flushes, delivery outcomes -----------------------------
namespace {

// Emits "<message>-1" and "<message>-2" after each event; cancels events whose message is "split".
class TwinFilter final : public Filter {
 public:
  FilterStatus filter(Event& e, Emitter& emit) override {
    const std::string m = message_of(e);
    for (int i = 1; i <= 2; ++i) emit.emit(make_event(m + "-" + std::to_string(i)), i == 1);
    if (m == "split") e.cancel();
    return FilterStatus::Success;
  }
};

// Holds a count of the events it saw; flush() emits one summary event, final ones say so.
class CountingFlusher final : public Filter {
 public:
  FilterStatus filter(Event&, Emitter&) override {
    seen_.fetch_add(1);
    return FilterStatus::Success;
  }
  bool periodic_flush() const override { return true; }
  void flush(Emitter& emit, bool final) override {
    emit.emit(make_event(std::string(final ? "final:" : "flush:") + std::to_string(seen_.exchange(0))), false);
  }

 private:
  std::atomic<int> seen_{0};
};

// Rejects "bad" events with a reason, asks to retry "flaky" ones twice, delivers the rest.
class PickyOutput final : public Output {
 public:
  explicit PickyOutput(std::shared_ptr<Received> r) : received_(std::move(r)) {}
  void receive(std::span<Event* const> events, DeliveryReport& report) override {
    std::lock_guard lock(received_->mu);
    for (size_t i = 0; i < events.size(); ++i) {
      const std::string m = message_of(*events[i]);
      if (m == "bad") {
        report.reject(i, "bad is not welcome");
      } else if (m == "flaky" && ++flaky_calls_ <= 2) {
        report.retry(i);
      } else {
        received_->messages.push_back(m);
      }
    }
  }
  int flaky_calls_ = 0;

 private:
  std::shared_ptr<Received> received_;
};

struct DeadLetters final : DeadLetterQueueWriter {
  bool write(const Event& e, std::string_view type, std::string_view id, std::string_view reason) override {
    std::lock_guard lock(mu);
    entries.push_back(message_of(e) + "|" + std::string(type) + "|" + std::string(id) + "|" + std::string(reason));
    return true;
  }
  DeadLetterQueueStats stats() const override { return {}; }
  std::mutex mu;
  std::vector<std::string> entries;
};

// filter { <filter> } output { <output> }
template <class F>
std::unique_ptr<CompiledPipeline> one_filter_pipeline(std::unique_ptr<F> filter, std::unique_ptr<Output> out,
                                                      F** fp = nullptr) {
  auto p = std::make_unique<CompiledPipeline>();
  if (fp) *fp = filter.get();
  Stage s;
  s.filter = filter.get();
  s.decorations.add_tag.push_back(Template("matched"));
  p->filters.push_back(std::move(filter));
  p->filter_graph.push_back(std::move(s));
  Stage os;
  os.kind = Stage::Kind::Output;
  os.output = out.get();
  p->outputs.push_back(std::move(out));
  p->output_graph.push_back(std::move(os));
  return p;
}

}  // namespace

TEST_CASE("executor: emitted events follow their parent, take a cancelled parent's place, and are decorated "
          "when matched") {
  auto received = std::make_shared<Received>();
  auto p = one_filter_pipeline(std::make_unique<TwinFilter>(), std::make_unique<CollectOutput>(received));
  BatchExecutor ex(*p, "main", false);
  auto b = batch_of({"a", "split", "c"});
  ex.run(b);
  CHECK(received->messages ==
        std::vector<std::string>{"a", "a-1", "a-2", "split-1", "split-2", "c", "c-1", "c-2"});
  REQUIRE(b.size() == 9);  // the batch owns the new events
  CHECK(b[0]->has_tag("matched"));
  CHECK(b[3]->has_tag("matched"));   // "a-1": emitted with matched = true
  CHECK_FALSE(b[4]->has_tag("matched"));  // "a-2": matched = false
  CHECK(ex.events_out() == 8);
  CHECK(p->filters[0]->metrics().events_in.load() == 3);
  CHECK(p->filters[0]->metrics().events_out.load() == 8);
}

TEST_CASE("executor: emitted events run through the later stages only, in ordered mode too") {
  auto received = std::make_shared<Received>();
  auto p = one_filter_pipeline(std::make_unique<TwinFilter>(), std::make_unique<CollectOutput>(received));
  // A second stage after the twin filter: it must see the twins; the twin filter must not.
  p->filters.push_back(std::make_unique<TagFilter>("second"));
  Stage s;
  s.filter = p->filters.back().get();
  p->filter_graph.push_back(std::move(s));
  BatchExecutor ex(*p, "main", /*ordered=*/true);
  auto b = batch_of({"x", "y"});
  ex.run(b);
  CHECK(received->messages == std::vector<std::string>{"x", "x-1", "x-2", "y", "y-1", "y-2"});
  for (auto& e : b) CHECK(e->has_tag("second"));
  CHECK(p->filters[0]->metrics().events_in.load() == 2);
}

TEST_CASE("executor: flush() hands what flushing filters emit to the later stages and the outputs") {
  auto received = std::make_shared<Received>();
  CountingFlusher* flusher = nullptr;
  auto p = one_filter_pipeline(std::make_unique<CountingFlusher>(), std::make_unique<CollectOutput>(received), &flusher);
  BatchExecutor ex(*p, "main", false);
  REQUIRE(ex.has_flushers());
  auto b = batch_of({"1", "2", "3"});
  ex.run(b);
  ex.flush(false);
  ex.flush(true);
  CHECK(received->messages == std::vector<std::string>{"1", "2", "3", "flush:3", "final:0"});
}

TEST_CASE("executor: a flushing filter inside a branch no event takes is still flushed") {
  auto received = std::make_shared<Received>();
  auto p = std::make_unique<CompiledPipeline>();
  p->filters.push_back(std::make_unique<CountingFlusher>());
  Stage inner;
  inner.filter = p->filters.back().get();
  Stage branch;
  branch.kind = Stage::Kind::If;
  branch.clauses.resize(1);
  branch.clauses[0].condition = std::make_unique<DigitCondition>();
  branch.clauses[0].body.push_back(std::move(inner));
  p->filter_graph.push_back(std::move(branch));
  auto out = std::make_unique<CollectOutput>(received);
  Stage os;
  os.kind = Stage::Kind::Output;
  os.output = out.get();
  p->outputs.push_back(std::move(out));
  p->output_graph.push_back(std::move(os));
  BatchExecutor ex(*p, "main", false);
  auto b = batch_of({"letters only"});
  ex.run(b);
  ex.flush(true);
  CHECK(received->messages == std::vector<std::string>{"letters only", "final:0"});
}

TEST_CASE("executor: outputs' Retry outcomes are given again, Rejected ones go to the dead letter queue") {
  auto received = std::make_shared<Received>();
  auto out = std::make_unique<PickyOutput>(received);
  PickyOutput* picky = out.get();
  picky->set_id("picky_1");
  picky->set_name("picky");
  auto p = std::make_unique<CompiledPipeline>();
  Stage os;
  os.kind = Stage::Kind::Output;
  os.output = picky;
  p->outputs.push_back(std::move(out));
  p->output_graph.push_back(std::move(os));
  auto dlq = std::make_shared<DeadLetters>();
  BatchExecutor ex(*p, "main", false, dlq);
  ex.set_retry_backoff(std::chrono::milliseconds(1), std::chrono::milliseconds(4));
  auto b = batch_of({"ok", "bad", "flaky", "fine"});
  ex.run(b);
  CHECK(received->messages == std::vector<std::string>{"ok", "fine", "flaky"});
  CHECK(picky->flaky_calls_ == 3);
  CHECK(ex.events_retried() == 2);
  CHECK(ex.events_rejected() == 1);
  CHECK(ex.events_dead_lettered() == 1);
  CHECK(dlq->entries == std::vector<std::string>{"bad|picky|picky_1|bad is not welcome"});
  CHECK(picky->metrics().events_in.load() == 4);
  CHECK(picky->metrics().events_out.load() == 4);  // delivered 3 + rejected 1
}
