// The pipeline runner: input threads -> memory queue -> worker threads (filters, outputs).
//
// Shutdown: SIGINT/SIGTERM (or every input finishing) stops the inputs; the queue is closed once
// every input thread has returned, the workers drain it, then outputs and filters are closed. A
// second SIGINT/SIGTERM while draining exits at once with status 1, as Logstash does.
#include "runtime/pipeline.hpp"

#include "runtime/executor.hpp"
#include "runtime/queue.hpp"
#include "sluice/log.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>
#include <thread>
#include <vector>

namespace sluice {
namespace {

constexpr std::string_view kLogger = "logstash.javapipeline";

class QueueInputContext final : public InputContext {
 public:
  QueueInputContext(MemoryQueue& q, const InputDecorations& d, Input& input, const std::atomic<bool>& stopping,
                    std::atomic<uint64_t>& pushed)
      : queue_(q), decorations_(d), input_(input), stopping_(stopping), pushed_(pushed) {}

  bool push(std::unique_ptr<Event> e) override {
    decorations_.apply(*e);
    return push_decorated(std::move(e));
  }
  // Early decoration for inputs that tag after it (see InputContext::decorate).
  void decorate(Event& e) override { decorations_.apply(e); }
  bool push_decorated(std::unique_ptr<Event> e) override {
    if (!queue_.push(e)) return false;
    input_.metrics().events_out.fetch_add(1, std::memory_order_relaxed);
    pushed_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  bool stopping() const override { return stopping_.load(std::memory_order_relaxed); }
 private:
  MemoryQueue& queue_;
  const InputDecorations& decorations_;
  Input& input_;
  const std::atomic<bool>& stopping_;
  std::atomic<uint64_t>& pushed_;  // the pipeline's events.in
};

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

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

int run_pipeline(std::unique_ptr<CompiledPipeline> pipeline, const PipelineSettings& settings) {
  const int workers = settings.workers > 0 ? settings.workers
                                           : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const size_t batch_size = static_cast<size_t>(std::max(1, settings.batch_size));
  bool ordered = false;
  if (std::string why; !resolve_ordered(settings, workers, &ordered, &why)) {
    log::write(log::Level::Error, "logstash.agent",
               "Failed to execute action: " + why + ". Start with -w 1 or set pipeline.ordered to auto.");
    return 1;
  }

  // Block the termination signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  {
    std::ostringstream m;
    m << "Starting pipeline {:pipeline_id=>" << quoted(settings.id) << ", \"pipeline.workers\"=>" << workers
      << ", \"pipeline.batch.size\"=>" << batch_size << ", \"pipeline.batch.delay\"=>" << settings.batch_delay_ms
      << ", \"pipeline.max_inflight\"=>" << workers * batch_size << ", \"pipeline.ordered\"=>"
      << (ordered ? "true" : "false") << ", \"pipeline.sources\"=>[";
    for (size_t i = 0; i < pipeline->sources.size(); ++i) m << (i ? ", " : "") << quoted(pipeline->sources[i]);
    m << "]}";
    log::write(log::Level::Info, kLogger, m.str(), settings.id);
  }

  // Start filters and outputs, then inputs. A start failure is fatal before any event flows.
  try {
    for (auto& f : pipeline->filters) f->start();
    for (auto& o : pipeline->outputs) o->start();
    for (auto& in : pipeline->inputs) in.input->start();
  } catch (const std::exception& ex) {
    log::write(log::Level::Error, "logstash.agent",
               std::string("Pipeline failed to start: ") + ex.what() + ". Fix the plugin's settings and start again.",
               settings.id);
    return 1;
  }

  MemoryQueue queue(static_cast<size_t>(workers) * batch_size);
  Executor executor(*pipeline, settings.id, ordered);
  std::atomic<bool> stopping{false};
  std::atomic<int> inputs_running{static_cast<int>(pipeline->inputs.size())};
  std::atomic<bool> worker_failed{false};
  std::atomic<uint64_t> events_in{0};

  std::vector<std::unique_ptr<QueueInputContext>> contexts;
  std::vector<std::thread> input_threads;
  for (auto& in : pipeline->inputs) {
    contexts.push_back(std::make_unique<QueueInputContext>(queue, in.decorations, *in.input, stopping, events_in));
    QueueInputContext* ctx = contexts.back().get();
    Input* input = in.input.get();
    std::string name = in.name;
    input_threads.emplace_back([&, ctx, input, name] {
      try {
        input->run(*ctx);
      } catch (const std::exception& ex) {
        log::write(log::Level::Error, "logstash.javapipeline",
                   "A plugin had an unrecoverable error and stopped: input " + name + ": " + ex.what(), settings.id,
                   input->id());
      }
      if (inputs_running.fetch_sub(1) == 1) queue.close();  // the last input closes the queue
    });
  }
  if (pipeline->inputs.empty()) queue.close();

  std::vector<std::thread> worker_threads;
  for (int w = 0; w < workers; ++w) {
    worker_threads.emplace_back([&] {
      std::vector<std::unique_ptr<Event>> batch;
      batch.reserve(batch_size);
      try {
        while (queue.read_batch(batch, batch_size, std::chrono::milliseconds(settings.batch_delay_ms))) {
          executor.run(batch);
          batch.clear();
        }
      } catch (const std::exception& ex) {
        worker_failed = true;
        log::write(log::Level::Error, kLogger,
                   std::string("Pipeline worker error, the pipeline will stop: ") + ex.what(), settings.id);
        stopping = true;
        for (auto& in : pipeline->inputs) in.input->stop();
        // Keep draining so blocked inputs can finish; events of the failed batch are lost.
        std::vector<std::unique_ptr<Event>> rest;
        while (queue.read_batch(rest, batch_size, std::chrono::milliseconds(1))) rest.clear();
      }
    });
  }

  log::write(log::Level::Info, kLogger, "Pipeline started {\"pipeline.id\"=>" + quoted(settings.id) + "}",
             settings.id);
  log::write(log::Level::Info, "logstash.agent",
             "Pipelines running {:count=>1, :running_pipelines=>[:" + settings.id + "], :non_running_pipelines=>[]}");

  // Wait for a signal or for the workers to finish (every input done and the queue drained).
  std::atomic<bool> workers_done{false};
  int signal_count = 0;
  std::thread joiner([&] {
    for (auto& t : worker_threads) t.join();
    workers_done = true;
  });
  while (!workers_done) {
    timespec timeout{0, 100'000'000};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig <= 0) continue;
    ++signal_count;
    const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    if (signal_count == 1) {
      log::write(log::Level::Warn, "logstash.runner", std::string(name) + " received. Shutting down.");
      stopping = true;
      for (auto& in : pipeline->inputs) in.input->stop();
    } else {
      log::write(log::Level::Fatal, "logstash.runner",
                 std::string(name) + " received. Terminating immediately.. In-flight events are lost.");
      std::fflush(stderr);
      std::_Exit(1);
    }
  }
  joiner.join();
  for (auto& t : input_threads) t.join();

  for (auto& in : pipeline->inputs) in.input->close();
  for (auto& f : pipeline->filters) f->close();
  for (auto& o : pipeline->outputs) o->close();

  {
    std::ostringstream m;
    m << "Pipeline terminated {\"pipeline.id\"=>" << quoted(settings.id) << ", \"events.in\"=>"
      << events_in.load() << ", \"events.filtered\"=>" << executor.events_filtered()
      << ", \"events.out\"=>" << executor.events_out() << "}";
    log::write(log::Level::Info, kLogger, m.str(), settings.id);
  }
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  return worker_failed ? 1 : 0;
}

}  // namespace sluice
