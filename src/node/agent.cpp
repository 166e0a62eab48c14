// The composition root: path.data and the node's identity, the API, every pipeline (prepared by
// node/prepare.hpp, run by runtime/pipeline.hpp), reloads, signals and the shutdown watcher.
#include "node/agent.hpp"

#include "api/api.hpp"
#include "dlq/writer.hpp"
#include "event/ruby_format.hpp"
#include "node/pipeline_stats.hpp"
#include "node/prepare.hpp"
#include "runtime/pipeline.hpp"
#include "sluice/log.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace sluice {
namespace {

constexpr std::string_view kAgent = "logstash.agent";
constexpr std::string_view kRunner = "logstash.runner";
// The Logstash version the API and logs report, so that consumers which parse it (Metricbeat,
// Kibana stack monitoring) accept the node. Sluice's own version is reported beside it.
constexpr const char* kLogstashCompatVersion = "7.17.27";

int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    for (auto& c : b) c = static_cast<unsigned char>(std::rand());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

std::string hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// Inputs that cannot be restarted without losing their source (Logstash marks stdin so).
bool reloadable(const CompiledPipeline& p) {
  for (const auto& in : p.inputs) {
    if (in.name == "stdin") return false;
  }
  return true;
}

// What the pipeline runtime needs of a spec: its runtime settings and its queue.
PipelineSettings runtime_settings(const settings::PipelineSpec& spec) {
  PipelineSettings r = spec.runtime;
  r.queue = spec.queue;
  r.queue_dir = spec.queue.path;  // already this pipeline's directory (<path.queue>/<id>)
  return r;
}

}  // namespace

struct Agent::Impl {
  settings::ResolveInput input;
  settings::NodeSettings node;
  std::string uuid;
  std::string ephemeral_id = random_uuid();
  int64_t start_ms = epoch_ms();
  int lock_fd = -1;
  std::unique_ptr<api::ApiServer> api;

  struct Slot {
    settings::PipelineSpec spec;
    std::shared_ptr<Pipeline> pipeline;  // null: not running (failed to create)
    mutable FlowSampler flow;            // the running pipeline's flow rates (new with each pipeline)
    std::string hash;         // of the definition that runs (or last started)
    std::string failed_hash;  // of the last definition that failed to reload ("" after a success)
    std::string ephemeral_id;
    std::string graph_json;
    int64_t started_ms = 0;
    bool reloadable = true;
    bool failed = false;  // the last create/start failed
    // The pipeline's dead letter queue writer, kept across reloads: the old and the new pipeline
    // of a reload share it (one writer per directory).
    std::shared_ptr<DeadLetterQueueWriter> dead_letter_queue;
    ReloadStats reloads;
  };
  mutable std::mutex mu;  // guards `slots` (the snapshot reads it from the API thread)
  std::map<std::string, Slot> slots;

  bool prepare_data_dir();
  PrepareContext context_for(const settings::PipelineSpec& spec, Slot& slot);
  bool create(const settings::PipelineSpec& spec, Slot& slot, std::string* reason);
  void log_running();
  void reload(const char* why);
  bool all_finished() const;
  uint64_t inflight() const;
};

bool Agent::Impl::prepare_data_dir() {
  if (node.path_data.empty()) {
    uuid = random_uuid();  // no data directory: the node id lives as long as the process
    return true;
  }
  std::error_code ec;
  std::filesystem::create_directories(node.path_data, ec);
  if (ec) {
    log::write(log::Level::Fatal, kRunner,
               "Cannot create path.data " + node.path_data + ": " + ec.message() +
                   ". Set path.data (--path.data or logstash.yml) to a writable directory.");
    return false;
  }
  const std::string lock_path = node.path_data + "/.lock";
  lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    log::write(log::Level::Fatal, kRunner,
               "Logstash could not be started because there is already another instance using the configured data "
               "directory.  If you wish to run multiple instances, you must change the \"path.data\" setting.");
    return false;
  }
  const std::string uuid_path = node.path_data + "/uuid";
  std::ifstream in(uuid_path);
  if (in && std::getline(in, uuid) && uuid.size() >= 32) return true;
  uuid = random_uuid();
  log::info(kAgent, "No persistent UUID file found. Generating new UUID {:uuid=>" + ruby::inspect(uuid) + ", :path=>" +
                        ruby::inspect(uuid_path) + "}");
  std::ofstream out(uuid_path, std::ios::trunc);
  out << uuid;
  out.close();  // the bytes leave the stream buffer here: a full disk fails now, not unnoticed
  if (!out) {
    // As Logstash: go on with an ephemeral id; the next start tries again.
    log::warn(kAgent, "Could not write persistent UUID file! Will use ephemeral UUID {:uuid=>" + ruby::inspect(uuid) +
                          ", :path=>" + ruby::inspect(uuid_path) + "}. Free space on path.data or make it writable.");
    std::error_code ignored;
    std::filesystem::remove(uuid_path, ignored);  // an empty file would read as "no id" anyway
  }
  return true;
}

PrepareContext Agent::Impl::context_for(const settings::PipelineSpec& spec, Slot& slot) {
  PrepareContext c;
  c.path_data = node.path_data;
  // dead_letter_queue.enable: one writer per pipeline id, opened on first use and kept across
  // reloads (the old and the new pipeline share it; its directory stays locked). A reload that moves
  // the directory or disables the queue lets the old writer go once the old pipeline is gone.
  // When the writer cannot be opened, the pipeline runs without a dead letter queue, as Logstash's
  // DeadLetterQueueFactory does: the error is logged, rejected events are logged and dropped, and
  // the next reload tries again.
  std::shared_ptr<DeadLetterQueueWriter> writer = slot.dead_letter_queue;
  const auto* segments = dynamic_cast<const dlq::SegmentWriter*>(writer.get());
  if (!spec.dead_letter_queue.enable || (segments && segments->dir() != spec.dead_letter_queue.path)) writer.reset();
  if (spec.dead_letter_queue.enable && !writer) {
    std::string error;
    writer = dlq::open_writer(spec.dead_letter_queue, spec.runtime.id, &error);
    if (!writer)
      log::write(log::Level::Error, kAgent,
                 "Unable to create the dead letter queue writer: " + error +
                     " Until it can be opened (at the next reload), events the outputs reject are logged and dropped.",
                 spec.runtime.id);
  }
  if (writer != slot.dead_letter_queue) {
    std::lock_guard lock(mu);  // the API thread reads the slot's writer for its stats
    slot.dead_letter_queue = writer;
  }
  c.dead_letter_queue = std::move(writer);
  return c;
}

bool Agent::Impl::create(const settings::PipelineSpec& spec, Slot& slot, std::string* reason) {
  config::Diagnostics diags;
  PreparedPipeline prepared = prepare_pipeline(spec, false, diags, context_for(spec, slot));
  if (!diags.items().empty()) std::cerr << diags.render();
  slot.spec = spec;
  slot.hash = prepared.hash;
  if (!prepared.compiled) {
    *reason = failure_reason(diags);
    return false;
  }
  std::string graph = api::graph_json(*prepared.compiled);
  const bool can_reload = spec.reloadable && reloadable(*prepared.compiled);
  auto pipeline = std::make_shared<Pipeline>(std::move(prepared.compiled), runtime_settings(spec));
  if (!pipeline->start(reason)) return false;
  std::lock_guard lock(mu);
  slot.pipeline = std::move(pipeline);
  slot.flow = FlowSampler();
  slot.graph_json = std::move(graph);
  slot.reloadable = can_reload;
  slot.ephemeral_id = random_uuid();
  slot.started_ms = epoch_ms();
  slot.failed = false;
  return true;
}

void Agent::Impl::log_running() {
  std::string running, stopped;
  int count = 0;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, slot] : slots) {
      if (slot.pipeline && !slot.pipeline->finished()) {
        running += (running.empty() ? ":" : ", :") + id;
        ++count;
      } else {
        stopped += (stopped.empty() ? ":" : ", :") + id;
      }
    }
  }
  log::info(kAgent, "Pipelines running {:count=>" + std::to_string(count) + ", :running_pipelines=>[" + running +
                        "], :non_running_pipelines=>[" + stopped + "]}");
}

bool Agent::Impl::all_finished() const {
  std::lock_guard lock(mu);
  for (const auto& [id, slot] : slots) {
    if (slot.pipeline && !slot.pipeline->finished()) return false;
  }
  return true;
}

uint64_t Agent::Impl::inflight() const {
  std::lock_guard lock(mu);
  uint64_t n = 0;
  for (const auto& [id, slot] : slots) {
    if (slot.pipeline) n += slot.pipeline->inflight();
  }
  return n;
}

void Agent::Impl::reload(const char* why) {
  log::debug(kAgent, std::string("Reloading the configuration (") + why + ")");
  std::vector<settings::PipelineSpec> specs;
  std::string error;
  if (!settings::reload_pipelines(input, node, &specs, &error)) {
    log::error(kAgent, "Could not read the pipeline definitions, nothing was reloaded: " + error +
                           ". Fix the file; the running pipelines keep running.");
    std::lock_guard lock(mu);
    for (auto& [id, slot] : slots) {
      ++slot.reloads.failures;
      slot.reloads.last_failure_ms = epoch_ms();
      slot.reloads.last_error = error;
    }
    return;
  }
  bool changed_any = false;
  std::map<std::string, const settings::PipelineSpec*> wanted;
  for (const auto& s : specs) wanted[s.runtime.id] = &s;

  // Removed pipelines stop and drain.
  std::vector<std::string> removed;
  {
    std::lock_guard lock(mu);
    for (auto& [id, slot] : slots) {
      if (!wanted.count(id)) removed.push_back(id);
    }
  }
  for (const auto& id : removed) {
    std::shared_ptr<Pipeline> old;
    {
      std::lock_guard lock(mu);
      old = slots[id].pipeline;
    }
    log::info(kAgent, "Stopping pipeline {\"pipeline.id\"=>" + ruby::inspect(id) + "} (removed from the configuration)");
    if (old) {
      old->request_stop();
      old->join();
    }
    std::lock_guard lock(mu);
    slots.erase(id);
    changed_any = true;
  }

  for (const auto& entry : wanted) {
    // Named references, not structured bindings: the `fail` lambda below captures them.
    const std::string& id = entry.first;
    const settings::PipelineSpec* spec = entry.second;
    bool exists = false;
    std::string old_hash, old_failed_hash;
    bool old_reloadable = true;
    bool old_running = false;
    {
      std::lock_guard lock(mu);
      auto it = slots.find(id);
      exists = it != slots.end();
      if (exists) {
        old_hash = it->second.hash;
        old_failed_hash = it->second.failed_hash;
        old_reloadable = it->second.reloadable;
        old_running = it->second.pipeline != nullptr;
      }
    }
    config::Diagnostics diags;
    PreparedPipeline prepared;
    {
      Slot* current = nullptr;
      {
        std::lock_guard lock(mu);
        auto it = slots.find(id);
        if (it != slots.end()) current = &it->second;
      }
      Slot fresh;
      PrepareContext context = context_for(*spec, current ? *current : fresh);
      prepared = prepare_pipeline(*spec, false, diags, context);
      if (!current && fresh.dead_letter_queue) {
        std::lock_guard lock(mu);
        slots[id].dead_letter_queue = fresh.dead_letter_queue;
      }
    }
    auto fail = [&](const std::string& reason) {
      log::write(log::Level::Error, kAgent,
                 "Failed to execute action {:id=>:" + id + ", :action_type=>LogStash::ConvergeResult::FailedAction, "
                 ":message=>" + ruby::inspect(reason) + "}. " +
                     (old_running ? "The running pipeline keeps running; fix the configuration and reload again."
                                  : "Fix the configuration; it is retried at the next reload."),
                 id);
      std::lock_guard lock(mu);
      Slot& slot = slots[id];
      if (!exists) slot.spec = *spec;
      slot.failed_hash = prepared.hash;
      ++slot.reloads.failures;
      slot.reloads.last_failure_ms = epoch_ms();
      slot.reloads.last_error = reason;
    };
    if (exists && prepared.hash == old_hash && old_running) {
      std::lock_guard lock(mu);
      slots[id].failed_hash.clear();  // back to what runs (e.g. a broken edit was reverted)
      continue;
    }
    // A definition that already failed in this exact state (broken files, or a pipeline that is
    // not reloadable) is not reported, nor counted, again on every tick.
    if (exists && prepared.hash == old_failed_hash) continue;
    if (!diags.items().empty()) std::cerr << diags.render();
    if (!prepared.compiled) {
      fail(failure_reason(diags));
      changed_any = true;
      continue;
    }
    const bool new_reloadable = spec->reloadable && reloadable(*prepared.compiled);
    if (exists && old_running && !old_reloadable) {
      fail("Cannot reload pipeline, because the existing pipeline is not reloadable");
      continue;
    }
    if (exists && old_running && !new_reloadable) {
      fail("Cannot reload pipeline, because the new pipeline is not reloadable");
      continue;
    }
    changed_any = true;
    std::shared_ptr<Pipeline> old;
    if (exists) {
      std::lock_guard lock(mu);
      old = slots[id].pipeline;
    }
    if (old) {
      log::info(kAgent, "Reloading pipeline {\"pipeline.id\"=>:" + id + "}");
      old->request_stop();
      old->join();  // fully drained before the new one starts (ports, files are released)
    }
    std::string graph = api::graph_json(*prepared.compiled);
    auto pipeline = std::make_shared<Pipeline>(std::move(prepared.compiled), runtime_settings(*spec));
    std::string reason;
    const bool started = pipeline->start(&reason);
    std::lock_guard lock(mu);
    Slot& slot = slots[id];
    slot.spec = *spec;
    slot.hash = prepared.hash;
    if (!started) {
      slot.pipeline.reset();
      slot.failed = true;
      slot.failed_hash = prepared.hash;
      ++slot.reloads.failures;
      slot.reloads.last_failure_ms = epoch_ms();
      slot.reloads.last_error = reason;
      log::write(log::Level::Error, kAgent,
                 "Failed to execute action {:id=>:" + id + ", :message=>" + ruby::inspect(reason) +
                     "}. The pipeline is down; fix the configuration and reload again.",
                 id);
      continue;
    }
    slot.pipeline = std::move(pipeline);
    slot.flow = FlowSampler();
    slot.graph_json = std::move(graph);
    slot.reloadable = new_reloadable;
    slot.ephemeral_id = random_uuid();
    slot.started_ms = epoch_ms();
    slot.failed = false;
    slot.failed_hash.clear();
    if (exists && old) {
      ++slot.reloads.successes;
      slot.reloads.last_success_ms = epoch_ms();
    }
  }
  if (changed_any) log_running();
}

Agent::Agent(settings::ResolveInput input, settings::NodeSettings node) : impl_(std::make_unique<Impl>()) {
  impl_->input = std::move(input);
  impl_->node = std::move(node);
}

Agent::~Agent() {
  if (impl_->api) impl_->api->stop();
  if (impl_->lock_fd >= 0) ::close(impl_->lock_fd);
}

NodeSnapshot Agent::snapshot() const {
  const Impl& im = *impl_;
  NodeSnapshot n;
  n.host = hostname();
  n.name = im.node.node_name.empty() ? n.host : im.node.node_name;
  n.id = im.uuid;
  n.ephemeral_id = im.ephemeral_id;
  n.version = kLogstashCompatVersion;
  n.http_address = im.api ? im.api->http_address() : "";
  n.start_time_ms = im.start_ms;
  n.process = api::read_process_stats();
  std::lock_guard lock(im.mu);
  bool any_down = false;
  for (const auto& [id, slot] : im.slots) {
    PipelineSnapshot p;
    p.id = id;
    p.ephemeral_id = slot.ephemeral_id;
    p.hash = slot.hash;
    p.workers = slot.spec.runtime.workers;
    p.batch_size = slot.spec.runtime.batch_size;
    p.batch_delay_ms = slot.spec.runtime.batch_delay_ms;
    p.dead_letter_queue_enabled = slot.spec.dead_letter_queue.enable;
    p.dead_letter_queue_path = slot.spec.dead_letter_queue.path;
    if (slot.dead_letter_queue) p.dead_letter_queue = slot.dead_letter_queue->stats();
    p.reloadable = slot.reloadable;
    p.started_ms = slot.started_ms;
    p.reloads = slot.reloads;
    p.graph_json = slot.graph_json;
    p.config_reload_automatic = im.node.reload_automatic;
    p.config_reload_interval_ms = im.node.reload_interval_ms;
    if (slot.pipeline) {
      fill_pipeline_stats(*slot.pipeline, slot.flow, &p);
      p.state = slot.pipeline->finished() ? PipelineSnapshot::State::Finished : PipelineSnapshot::State::Running;
    } else {
      p.state = PipelineSnapshot::State::Terminated;
      any_down = true;
    }
    n.reload_successes += slot.reloads.successes;
    n.reload_failures += slot.reloads.failures;
    n.pipelines.push_back(std::move(p));
  }
  n.status = any_down ? "red" : "green";
  if (!im.node.pipelines.empty()) {
    const auto& first = im.node.pipelines.front().runtime;
    n.workers = first.workers > 0 ? first.workers : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    n.batch_size = first.batch_size;
    n.batch_delay_ms = first.batch_delay_ms;
  }
  return n;
}

int Agent::run() {
  Impl& im = *impl_;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  log::info(kRunner, std::string("Starting Logstash {\"logstash.version\"=>\"") + kLogstashCompatVersion +
                         "\", \"sluice.version\"=>\"" + SLUICE_VERSION + "\"}");
  if (!im.prepare_data_dir()) return 1;

  if (im.node.api.enabled) {
    im.api = std::make_unique<api::ApiServer>(im.node.api, [this] { return snapshot(); });
    std::string error;
    if (!im.api->start(&error)) {
      log::write(log::Level::Fatal, kAgent, "Failed to start the API endpoint: " + error);
      return 1;
    }
  }

  int created = 0;
  for (const auto& spec : im.node.pipelines) {
    Impl::Slot slot;
    std::string reason;
    if (im.create(spec, slot, &reason)) {
      ++created;
    } else {
      slot.failed = true;
      slot.failed_hash = slot.hash;  // retried once the definition changes
      log::write(log::Level::Error, kAgent,
                 "Failed to execute action {:action=>LogStash::PipelineAction::Create/pipeline_id:" + spec.runtime.id +
                     ", :exception=>\"LogStash::ConfigurationError\", :message=>" + ruby::inspect(reason) + "}",
                 spec.runtime.id);
    }
    std::lock_guard lock(im.mu);
    im.slots[spec.runtime.id] = std::move(slot);
  }
  im.log_running();
  const bool reload_enabled = im.node.reload_automatic;
  if (created == 0 && !reload_enabled) {
    log::write(log::Level::Fatal, kRunner,
               "Logstash stopped processing because of an error: no pipeline could be started. Fix the errors "
               "above and start again.");
    if (im.api) im.api->stop();
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
    return 1;
  }

  bool unsafe_shutdown = false;
  for (const auto& spec : im.node.pipelines) unsafe_shutdown = unsafe_shutdown || spec.unsafe_shutdown;

  using clock = std::chrono::steady_clock;
  auto next_reload = clock::now() + std::chrono::milliseconds(std::max(100, im.node.reload_interval_ms));
  int signal_count = 0;
  bool shutting_down = false;
  clock::time_point shutdown_started{};
  clock::time_point next_report{};
  int stalled_reports = 0;
  uint64_t last_inflight = UINT64_MAX;
  while (true) {
    if (shutting_down || !reload_enabled) {
      if (im.all_finished()) break;
    }
    timespec timeout{0, 100'000'000};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGHUP) {
      log::warn(kRunner, "SIGHUP received.");
      if (!shutting_down) im.reload("SIGHUP");
      continue;
    }
    if (sig == SIGINT || sig == SIGTERM) {
      ++signal_count;
      const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
      if (signal_count == 1) {
        log::warn(kRunner, std::string(name) + " received. Shutting down.");
        shutting_down = true;
        shutdown_started = clock::now();
        next_report = shutdown_started + std::chrono::seconds(5);
        std::lock_guard lock(im.mu);
        for (auto& [id, slot] : im.slots) {
          if (slot.pipeline) slot.pipeline->request_stop();
        }
      } else {
        log::write(log::Level::Fatal, kRunner,
                   std::string(name) + " received. Terminating immediately.. In-flight events are lost.");
        std::fflush(stderr);
        std::_Exit(1);
      }
      continue;
    }
    const auto now = clock::now();
    if (shutting_down && now >= next_report) {
      next_report = now + std::chrono::seconds(5);
      const uint64_t inflight = im.inflight();
      log::warn("org.logstash.execution.ShutdownWatcherExt",
                "{\"inflight_count\"=>" + std::to_string(inflight) + ", \"stalling_threads_info\"=>{}}");
      if (inflight >= last_inflight) {
        ++stalled_reports;
        log::error("org.logstash.execution.ShutdownWatcherExt",
                   "The shutdown process appears to be stalled due to busy or blocked plugins. Check the logs for "
                   "more information.");
        if (unsafe_shutdown && stalled_reports >= 3) {
          log::write(log::Level::Fatal, kRunner,
                     "Forcefully quitting Logstash (pipeline.unsafe_shutdown is true); " + std::to_string(inflight) +
                         " in-flight events are lost.");
          std::fflush(stderr);
          std::_Exit(1);
        }
      } else {
        stalled_reports = 0;
      }
      last_inflight = inflight;
    }
    if (!shutting_down && reload_enabled && now >= next_reload) {
      im.reload("config.reload.automatic");
      next_reload = clock::now() + std::chrono::milliseconds(std::max(100, im.node.reload_interval_ms));
    }
  }

  bool ok = true;
  std::vector<std::shared_ptr<Pipeline>> to_join;
  {
    std::lock_guard lock(im.mu);
    for (auto& [id, slot] : im.slots) {
      if (slot.pipeline) to_join.push_back(slot.pipeline);
    }
  }
  for (auto& p : to_join) ok = p->join() && ok;
  if (im.api) im.api->stop();
  log::info(kRunner, "Logstash shut down.");
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  return ok && created > 0 ? 0 : 1;
}

}  // namespace sluice
