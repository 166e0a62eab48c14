// The pipeline runner: input threads -> memory queue -> worker threads (filters, outputs).
//
// Shutdown: request_stop() (or every input finishing) stops the inputs; the queue is closed once
// every input thread has returned, the workers drain it, then outputs and filters are closed in
// join(). run_pipeline() adds the foreground signal handling: a second SIGINT/SIGTERM while
// draining exits at once with status 1, as Logstash does.
#include "runtime/pipeline.hpp"

#include "event/ruby_format.hpp"
#include "queue/persisted_queue.hpp"
#include "runtime/batch_executor.hpp"
#include "runtime/queue.hpp"
#include "sluice/log.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace sluice {
namespace {

constexpr std::string_view kLogger = "logstash.javapipeline";

// The queue between the inputs and the workers: the bounded memory queue, or the persisted queue
// (queue.type: persisted). With the persisted queue an event's end-to-end acknowledgement share
// (sluice/ack.hpp) is released once the event is durable on disk, so the beats input acknowledges
// a window only when all its events would survive a crash; workers acknowledge each batch to the
// queue once the outputs are done with it.
class WorkQueue {
 public:
  using Batch = pq::Batch;
  enum class Push { Ok, Closed, Refused };

  explicit WorkQueue(size_t capacity) : mem_(std::make_unique<MemoryQueue>(capacity)) {}
  explicit WorkQueue(std::unique_ptr<pq::PersistedQueue> q) : pq_(std::move(q)) {}

  bool persisted() const { return pq_ != nullptr; }
  pq::PersistedQueue* pq() const { return pq_.get(); }

  // Blocks while full. Ok: the event was taken. Closed: e is untouched, its ack group cancelled.
  // Refused: the persisted queue cannot store this event (logged by the queue); it is dropped.
  Push push(std::unique_ptr<Event>& e) {
    if (mem_) {
      if (mem_->push(e)) return Push::Ok;
      if (e && e->ack_group()) e->ack_group()->cancel();
      return Push::Closed;
    }
    AckRef share = e->take_ack();
    const pq::WriteResult w = pq_->write(*e);
    if (w.status == pq::WriteStatus::Closed) {
      if (share.group()) share.group()->cancel();
      return Push::Closed;
    }
    e.reset();
    if (w.status != pq::WriteStatus::Ok) return Push::Refused;
    if (share.group()) {
      pq_->when_durable(w.seq, [s = std::make_shared<AckRef>(std::move(share))](bool durable) {
        if (!durable && s->group()) s->group()->cancel();
        s->reset();
      });
    }
    return Push::Ok;
  }

  bool read_batch(Batch& b, size_t max, std::chrono::milliseconds delay) {
    return mem_ ? mem_->read_batch(b.events, max, delay) : pq_->read_batch(b, max, delay);
  }
  // The outputs are done with the batch's events (already destroyed by the caller).
  void ack(const Batch& b) {
    if (pq_) pq_->ack(b);
  }
  void close() {
    if (mem_) {
      mem_->close();
    } else {
      pq_->close();
    }
  }
  size_t size() const { return mem_ ? mem_->size() : pq_->size(); }
  size_t unread() const { return mem_ ? mem_->size() : pq_->unread(); }
  uint64_t push_blocked_ns() const { return mem_ ? mem_->push_blocked_ns() : pq_->push_blocked_ns(); }
  void fill(QueueStats* s) const {
    if (pq_) {
      *s = pq_->stats();
      return;
    }
    s->type = "memory";
    s->events_count = mem_->size();
  }

 private:
  std::unique_ptr<MemoryQueue> mem_;
  std::unique_ptr<pq::PersistedQueue> pq_;
};

class QueueInputContext final : public InputContext {
 public:
  QueueInputContext(WorkQueue& q, const InputDecorations& d, Input& input, const std::atomic<bool>& stopping,
                    std::atomic<uint64_t>& pushed, bool acks_on_delivery)
      : queue_(q),
        decorations_(d),
        input_(input),
        stopping_(stopping),
        pushed_(pushed),
        acks_on_delivery_(acks_on_delivery) {}

  bool push(std::unique_ptr<Event> e) override {
    decorations_.apply(*e);
    return push_decorated(std::move(e));
  }
  // Early decoration for inputs that tag after it (see InputContext::decorate).
  void decorate(Event& e) override { decorations_.apply(e); }
  bool push_decorated(std::unique_ptr<Event> e) override {
    switch (queue_.push(e)) {
      case WorkQueue::Push::Closed:
        return false;
      case WorkQueue::Push::Refused:
        return true;  // logged by the queue; the input goes on with the next event
      case WorkQueue::Push::Ok:
        break;
    }
    input_.metrics().events_out.fetch_add(1, std::memory_order_relaxed);
    pushed_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  bool stopping() const override { return stopping_.load(std::memory_order_relaxed); }
  bool acks_on_delivery() const override { return acks_on_delivery_; }

 private:
  WorkQueue& queue_;
  const InputDecorations& decorations_;
  Input& input_;
  const std::atomic<bool>& stopping_;
  std::atomic<uint64_t>& pushed_;  // the pipeline's events.in
  const bool acks_on_delivery_;
};

// A failed batch must not be acknowledged to clients: its groups are cancelled (they resend).
void cancel_acks(std::vector<std::unique_ptr<Event>>& batch) {
  for (auto& e : batch) {
    if (e && e->ack_group()) e->ack_group()->cancel();
  }
}

// pipeline.ordered as Logstash resolves it: auto = ordered iff workers was explicitly set to 1.
bool resolve_ordered(const PipelineSettings& s, int workers, bool* ordered, std::string* error) {
  switch (s.ordered) {
    case PipelineSettings::Ordered::True:
      if (workers > 1) {
        *error = "enabling the 'pipeline.ordered' setting requires the use of a single pipeline worker";
        return false;
      }
      *ordered = true;
      return true;
    case PipelineSettings::Ordered::False:
      *ordered = false;
      return true;
    case PipelineSettings::Ordered::Auto:
      *ordered = s.workers_explicit && workers == 1;
      return true;
  }
  return true;
}

// Linux thread names are at most 15 bytes; Logstash's names (`[main]>worker0`, `[main]<beats`)
// fit for short pipeline ids and are cut otherwise.
void name_thread(const std::string& name) { pthread_setname_np(pthread_self(), name.substr(0, 15).c_str()); }

}  // namespace

struct Pipeline::Impl {
  Impl(const CompiledPipeline& p, const PipelineSettings& s, WorkQueue q, bool ordered)
      : queue(std::move(q)), executor(p, s.id, ordered, p.dead_letter_queue) {}

  // Filters with periodic_flush(): flushed every kFlushInterval by this thread while the workers
  // run (Logstash's flusher, whose period is 5 s), and once more with final = true in join().
  void flusher_loop() {
    std::unique_lock lock(flush_mu);
    while (!flush_cv.wait_for(lock, kFlushInterval, [&] { return workers_running.load() == 0; })) {
      lock.unlock();
      try {
        executor.flush(false);
      } catch (const std::exception& ex) {
        log::write(log::Level::Error, kLogger, std::string("Periodic filter flush failed: ") + ex.what());
      }
      lock.lock();
    }
  }
  void workers_done() {
    std::lock_guard lock(flush_mu);
    flush_cv.notify_all();
  }
  static constexpr std::chrono::seconds kFlushInterval{5};
  std::mutex flush_mu;
  std::condition_variable flush_cv;
  std::thread flusher;

  // Called once the last input has returned. Inputs that ended by themselves (generator count,
  // stdin EOF) let the workers finish what the persisted queue holds first; a requested stop
  // closes at once (queue.drain decides whether the workers empty the queue).
  void inputs_done() {
    if (queue.persisted()) {
      while (!stopping.load() && queue.unread() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    queue.close();
  }

  WorkQueue queue;
  BatchExecutor executor;
  std::atomic<bool> stopping{false};
  std::atomic<int> inputs_running{0};
  std::atomic<int> workers_running{0};
  std::atomic<bool> worker_failed{false};
  std::atomic<uint64_t> events_in{0};
  std::vector<std::unique_ptr<QueueInputContext>> contexts;
  std::vector<std::thread> input_threads;
  std::vector<std::thread> worker_threads;
  bool joined = false;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

Pipeline::Pipeline(std::unique_ptr<CompiledPipeline> compiled, PipelineSettings settings)
    : compiled_(std::move(compiled)), settings_(std::move(settings)) {
  workers_ = settings_.workers > 0 ? settings_.workers
                                   : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Pipeline::~Pipeline() {
  if (impl_ && !impl_->joined) {
    request_stop();
    join();
  }
}

bool Pipeline::start(std::string* error) {
  const size_t batch_size = static_cast<size_t>(std::max(1, settings_.batch_size));
  bool ordered = false;
  if (std::string why; !resolve_ordered(settings_, workers_, &ordered, &why)) {
    *error = why + ". Start with -w 1 or set pipeline.ordered to auto.";
    return false;
  }
  {
    std::ostringstream m;
    m << "Starting pipeline {:pipeline_id=>" << ruby::inspect(settings_.id) << ", \"pipeline.workers\"=>" << workers_
      << ", \"pipeline.batch.size\"=>" << batch_size << ", \"pipeline.batch.delay\"=>" << settings_.batch_delay_ms
      << ", \"pipeline.max_inflight\"=>" << workers_ * batch_size << ", \"pipeline.ordered\"=>"
      << (ordered ? "true" : "false") << ", \"pipeline.sources\"=>[";
    for (size_t i = 0; i < compiled_->sources.size(); ++i) m << (i ? ", " : "") << ruby::inspect(compiled_->sources[i]);
    m << "]}";
    log::write(log::Level::Info, kLogger, m.str(), settings_.id);
  }

  // The queue first: a persisted queue that cannot be opened (locked by another process, not
  // writable) fails the start before any plugin runs. Recovery problems are logged by the queue.
  std::unique_ptr<pq::PersistedQueue> persisted;
  if (settings_.queue.type == "persisted") {
    if (settings_.queue_dir.empty()) {
      *error = "queue.type is persisted but there is no queue directory: set path.data (or path.queue)";
      return false;
    }
    pq::Options options;
    options.pipeline_id = settings_.id;
    std::string why;
    persisted = pq::PersistedQueue::open(settings_.queue_dir, settings_.queue, &why, options);
    if (!persisted) {
      *error = "Cannot open the persisted queue in " + settings_.queue_dir + ": " + why;
      return false;
    }
  }
  WorkQueue work_queue = persisted ? WorkQueue(std::move(persisted))
                                   : WorkQueue(static_cast<size_t>(workers_) * batch_size);

  // Start filters and outputs, then inputs. A start failure is reported before any event flows;
  // what was started is closed again.
  size_t filters_started = 0, outputs_started = 0, inputs_started = 0;
  try {
    for (auto& f : compiled_->filters) {
      f->start();
      ++filters_started;
    }
    for (auto& o : compiled_->outputs) {
      o->start();
      ++outputs_started;
    }
    for (auto& in : compiled_->inputs) {
      in.input->start();
      ++inputs_started;
    }
  } catch (const std::exception& ex) {
    for (size_t i = 0; i < inputs_started; ++i) compiled_->inputs[i].input->close();
    for (size_t i = 0; i < filters_started; ++i) compiled_->filters[i]->close();
    for (size_t i = 0; i < outputs_started; ++i) compiled_->outputs[i]->close();
    *error = std::string(ex.what()) + ". Fix the plugin's settings and start again.";
    return false;
  }

  impl_ = std::make_unique<Impl>(*compiled_, settings_, std::move(work_queue), ordered);
  Impl& im = *impl_;
  im.inputs_running = static_cast<int>(compiled_->inputs.size());
  for (auto& in : compiled_->inputs) {
    im.contexts.push_back(
        std::make_unique<QueueInputContext>(im.queue, in.decorations, *in.input, im.stopping, im.events_in,
                                            settings_.end_to_end_acks || im.queue.persisted()));
    QueueInputContext* ctx = im.contexts.back().get();
    Input* input = in.input.get();
    std::string name = in.name;
    im.input_threads.emplace_back([this, ctx, input, name] {
      name_thread("[" + settings_.id + "]<" + name);
      try {
        input->run(*ctx);
      } catch (const std::exception& ex) {
        log::write(log::Level::Error, kLogger,
                   "A plugin had an unrecoverable error and stopped: input " + name + ": " + ex.what(), settings_.id,
                   input->id());
      }
      if (impl_->inputs_running.fetch_sub(1) == 1) impl_->inputs_done();  // the last input closes the queue
    });
  }
  if (compiled_->inputs.empty()) im.inputs_done();

  im.workers_running = workers_;
  for (int w = 0; w < workers_; ++w) {
    im.worker_threads.emplace_back([this, w, batch_size] {
      name_thread("[" + settings_.id + "]>worker" + std::to_string(w));
      Impl& im = *impl_;
      WorkQueue::Batch batch;
      batch.events.reserve(batch_size);
      try {
        while (im.queue.read_batch(batch, batch_size, std::chrono::milliseconds(settings_.batch_delay_ms))) {
          im.executor.run(batch.events);
          batch.events.clear();  // end-to-end acknowledgement shares are released here
          im.queue.ack(batch);   // persisted: these events are done
          batch.clear();
        }
      } catch (const std::exception& ex) {
        im.worker_failed = true;
        log::write(log::Level::Error, kLogger,
                   std::string("Pipeline worker error, the pipeline will stop: ") + ex.what(), settings_.id);
        cancel_acks(batch.events);
        batch.clear();  // persisted: not acknowledged, delivered again at the next start
        request_stop();
        // Keep draining so blocked inputs can finish; events of the failed batch are lost (with
        // end-to-end acknowledgements neither they nor the rest are acknowledged: clients resend;
        // the persisted queue keeps them for the next start).
        if (im.queue.persisted()) {
          im.queue.close();  // blocked writers return; what is queued stays on disk
        } else {
          WorkQueue::Batch rest;
          while (im.queue.read_batch(rest, batch_size, std::chrono::milliseconds(1))) {
            cancel_acks(rest.events);
            rest.clear();
          }
        }
      }
      if (im.workers_running.fetch_sub(1) == 1) im.workers_done();
    });
  }
  if (im.executor.has_flushers()) {
    im.flusher = std::thread([this] {
      name_thread("[" + settings_.id + "]-flusher");
      impl_->flusher_loop();
    });
  }
  im.started = std::chrono::steady_clock::now();
  log::write(log::Level::Info, kLogger, "Pipeline started {\"pipeline.id\"=>" + ruby::inspect(settings_.id) + "}",
             settings_.id);
  return true;
}

void Pipeline::request_stop() {
  if (!impl_) return;
  if (impl_->stopping.exchange(true)) return;
  for (auto& in : compiled_->inputs) in.input->stop();
}

bool Pipeline::finished() const { return !impl_ || impl_->workers_running.load() == 0; }

bool Pipeline::join() {
  if (!impl_) return true;
  Impl& im = *impl_;
  if (im.joined) return !im.worker_failed;
  for (auto& t : im.worker_threads) t.join();
  if (im.flusher.joinable()) im.flusher.join();
  for (auto& t : im.input_threads) t.join();
  // The last flush (Logstash's shutdown flush): what flushing filters still hold goes out now.
  if (!im.worker_failed) {
    try {
      im.executor.flush(true);
    } catch (const std::exception& ex) {
      log::write(log::Level::Error, kLogger, std::string("Final filter flush failed: ") + ex.what(), settings_.id);
    }
  }
  for (auto& in : compiled_->inputs) in.input->close();
  for (auto& f : compiled_->filters) f->close();
  for (auto& o : compiled_->outputs) o->close();
  im.joined = true;
  if (im.queue.persisted()) {
    im.queue.close();
    log::write(log::Level::Info, kLogger, "Persisted queue: " + im.queue.pq()->describe_unacked(), settings_.id);
  }
  std::ostringstream m;
  m << "Pipeline terminated {\"pipeline.id\"=>" << ruby::inspect(settings_.id) << ", \"events.in\"=>" << im.events_in.load()
    << ", \"events.filtered\"=>" << im.executor.events_filtered() << ", \"events.out\"=>"
    << im.executor.events_out() << "}";
  log::write(log::Level::Info, kLogger, m.str(), settings_.id);
  return !im.worker_failed;
}

uint64_t Pipeline::inflight() const {
  if (!impl_) return 0;
  const uint64_t in = impl_->events_in.load(std::memory_order_relaxed);
  const uint64_t filtered = impl_->executor.events_filtered();
  return in > filtered ? in - filtered : 0;
}

PipelineCounters Pipeline::counters() const {
  PipelineCounters c;
  c.queue.type = settings_.queue.type;
  if (!impl_) return c;
  const Impl& im = *impl_;
  c.started = true;
  im.queue.fill(&c.queue);
  c.events_in = im.events_in.load(std::memory_order_relaxed);
  c.events_filtered = im.executor.events_filtered();
  c.events_out = im.executor.events_out();
  c.duration_ns = im.executor.duration_ns();
  c.queue_push_blocked_ns = im.queue.push_blocked_ns();
  c.started_at = im.started;
  return c;
}

int run_pipeline(std::unique_ptr<CompiledPipeline> compiled, const PipelineSettings& settings) {
  // Block the termination signals in every thread; this thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Pipeline pipeline(std::move(compiled), settings);
  std::string error;
  if (!pipeline.start(&error)) {
    log::write(log::Level::Error, "logstash.agent", "Failed to execute action: " + error, settings.id);
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
    return 1;
  }
  log::write(log::Level::Info, "logstash.agent",
             "Pipelines running {:count=>1, :running_pipelines=>[:" + settings.id + "], :non_running_pipelines=>[]}");
  int signal_count = 0;
  while (!pipeline.finished()) {
    timespec timeout{0, 100'000'000};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig <= 0) continue;
    ++signal_count;
    const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    if (signal_count == 1) {
      log::write(log::Level::Warn, "logstash.runner", std::string(name) + " received. Shutting down.");
      pipeline.request_stop();
    } else {
      log::write(log::Level::Fatal, "logstash.runner",
                 std::string(name) + " received. Terminating immediately.. In-flight events are lost.");
      std::fflush(stderr);
      std::_Exit(1);
    }
  }
  const bool ok = pipeline.join();
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  return ok ? 0 : 1;
}

}  // namespace sluice
