// The JSON blocks of the node info and node stats endpoints, in Logstash's key order
// (logstash-core/lib/logstash/api/commands/{default_metadata,node,stats}.rb,
// config/pipelines_info.rb, hot_threads_reporter.rb). There is no JVM: the `jvm` blocks carry
// the same keys filled from the process (threads, resident memory as the heap, uptime), so that
// collectors such as Metricbeat's logstash module find every key they read.
#include "api/render.hpp"

#include "sluice/registry.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif

namespace sluice::api::detail {
namespace {

// config.reload.interval as Logstash gauges it (nanoseconds); the snapshot does not carry it yet.

int64_t uptime_ms(const Ctx& c) {
  const int64_t start = c.node.start_time_ms > 0 ? c.node.start_time_ms : c.node.process.start_time_ms;
  return start > 0 && c.now_ms > start ? c.now_ms - start : 0;
}

int64_t pipeline_uptime_ms(const Ctx& c, const PipelineSnapshot& p) {
  return p.started_ms > 0 && c.now_ms > p.started_ms ? c.now_ms - p.started_ms : 0;
}

Value rate(Json& j, double current, std::optional<double> lifetime) {
  Value v = Json::object();
  j.put(v, "current", flow_number(j, current));
  if (lifetime) j.put(v, "lifetime", flow_number(j, *lifetime));
  return v;
}

Value lifetime_only(Json& j, std::optional<double> lifetime) {
  Value v = Json::object();
  if (lifetime) j.put(v, "lifetime", flow_number(j, *lifetime));
  return v;
}

// numerator / denominator as Logstash's flow metrics: nothing when neither moved, an infinity
// when only the numerator did.
std::optional<double> ratio(double numerator, double denominator) {
  if (denominator > 0) return numerator / denominator;
  if (numerator > 0) return INFINITY;
  return std::nullopt;
}

std::optional<double> per_ms(const Ctx& c, const PipelineSnapshot& p, double amount) {
  const int64_t up = pipeline_uptime_ms(c, p);
  if (up <= 0) return std::nullopt;
  return amount / static_cast<double>(up);
}

Value pipeline_flow(Ctx& c, const PipelineSnapshot& p) {
  Json& j = c.j;
  Value f = Json::object();
  j.put(f, "input_throughput", rate(j, p.input_throughput.current, p.input_throughput.lifetime));
  j.put(f, "filter_throughput", rate(j, p.filter_throughput.current, p.filter_throughput.lifetime));
  j.put(f, "output_throughput", rate(j, p.output_throughput.current, p.output_throughput.lifetime));
  j.put(f, "queue_backpressure",
        rate(j, p.queue_backpressure, per_ms(c, p, static_cast<double>(p.queue_push_duration_ms))));
  const std::optional<double> concurrency = per_ms(c, p, static_cast<double>(p.duration_ms));
  j.put(f, "worker_concurrency", rate(j, p.worker_concurrency, concurrency));
  std::optional<double> utilization;
  if (concurrency && p.workers > 0) utilization = *concurrency * 100.0 / p.workers;
  j.put(f, "worker_utilization", rate(j, p.worker_utilization, utilization));
  return f;
}

Value events_of(Json& j, const PluginStats& s, bool input) {
  Value e = Json::object();
  if (input) {
    j.put(e, "out", s.events_out);
    j.put(e, "queue_push_duration_in_millis", s.queue_push_duration_ms);
  } else {
    j.put(e, "duration_in_millis", s.duration_ms);
    j.put(e, "in", s.events_in);
    j.put(e, "out", s.events_out);
  }
  return e;
}

Value plugin_entry(Ctx& c, const PipelineSnapshot& p, const PluginStats& s) {
  Json& j = c.j;
  Value v = Json::object();
  j.put(v, "id", s.id);
  const int64_t up = pipeline_uptime_ms(c, p);
  switch (s.kind) {
    case PluginStats::Kind::Input: {
      j.put(v, "events", events_of(j, s, true));
      Value flow = Json::object();
      std::optional<double> tput;
      if (up > 0) tput = static_cast<double>(s.events_out) * 1000.0 / static_cast<double>(up);
      j.put(flow, "throughput", lifetime_only(j, tput));
      j.put(v, "flow", std::move(flow));
      break;
    }
    case PluginStats::Kind::Codec: {
      Value decode = Json::object();
      j.put(decode, "writes_in", s.events_in);
      j.put(decode, "duration_in_millis", s.duration_ms);
      j.put(decode, "out", s.events_out);
      Value encode = Json::object();
      j.put(encode, "writes_in", uint64_t{0});
      j.put(encode, "duration_in_millis", uint64_t{0});
      j.put(v, "name", s.name);
      j.put(v, "decode", std::move(decode));
      j.put(v, "encode", std::move(encode));
      return v;
    }
    case PluginStats::Kind::Filter:
    case PluginStats::Kind::Output: {
      j.put(v, "events", events_of(j, s, false));
      Value flow = Json::object();
      std::optional<double> util;
      if (up > 0 && p.workers > 0) {
        util = static_cast<double>(s.duration_ms) * 100.0 / (static_cast<double>(up) * p.workers);
      }
      j.put(flow, "worker_utilization", lifetime_only(j, util));
      j.put(flow, "worker_millis_per_event",
            lifetime_only(j, ratio(static_cast<double>(s.duration_ms), static_cast<double>(s.events_in))));
      j.put(v, "flow", std::move(flow));
      break;
    }
  }
  j.put(v, "name", s.name);
  return v;
}

Value plugins_of(Ctx& c, const PipelineSnapshot& p) {
  Value inputs = Json::array(), codecs = Json::array(), filters = Json::array(), outputs = Json::array();
  for (const PluginStats& s : p.plugins) {
    Value e = plugin_entry(c, p, s);
    switch (s.kind) {
      case PluginStats::Kind::Input:
        c.j.push(inputs, std::move(e));
        break;
      case PluginStats::Kind::Codec:
        c.j.push(codecs, std::move(e));
        break;
      case PluginStats::Kind::Filter:
        c.j.push(filters, std::move(e));
        break;
      case PluginStats::Kind::Output:
        c.j.push(outputs, std::move(e));
        break;
    }
  }
  Value v = Json::object();
  c.j.put(v, "inputs", std::move(inputs));
  c.j.put(v, "codecs", std::move(codecs));
  c.j.put(v, "filters", std::move(filters));
  c.j.put(v, "outputs", std::move(outputs));
  return v;
}

Value optional_timestamp(Json& j, const std::optional<int64_t>& ms) {
  return ms ? j.str(iso8601_utc_ms(*ms)) : Value();
}

Value pipeline_reloads(Json& j, const ReloadStats& r) {
  Value v = Json::object();
  if (r.last_error) {
    Value err = Json::object();
    j.put(err, "message", *r.last_error);
    j.put(err, "backtrace", Json::array());
    j.put(v, "last_error", std::move(err));
  } else {
    j.put(v, "last_error", nullptr);
  }
  j.put(v, "successes", r.successes);
  j.put(v, "last_success_timestamp", optional_timestamp(j, r.last_success_ms));
  j.put(v, "last_failure_timestamp", optional_timestamp(j, r.last_failure_ms));
  j.put(v, "failures", r.failures);
  return v;
}

// The file system type of the mount holding `path` (Java's FileStore#type), from /proc/self/mounts.
std::string storage_type(const std::string& path) {
  FILE* f = std::fopen("/proc/self/mounts", "r");
  if (!f) return "unknown";
  std::string best_type = "unknown";
  size_t best_len = 0;
  char dev[512], mnt[1024], type[128];
  while (std::fscanf(f, "%511s %1023s %127s %*[^\n]", dev, mnt, type) == 3) {
    const std::string m = mnt;
    const bool under = path.compare(0, m.size(), m) == 0 &&
                       (m == "/" || path.size() == m.size() || path[m.size()] == '/');
    if (under && m.size() >= best_len) {
      best_len = m.size();
      best_type = type;
    }
  }
  std::fclose(f);
  return best_type;
}

Value pipeline_queue(Json& j, const QueueStats& q) {
  Value v = Json::object();
  j.put(v, "type", q.type);
  if (q.type == "persisted") {
    Value capacity = Json::object();
    j.put(capacity, "max_unread_events", q.max_unread_events);
    j.put(capacity, "page_capacity_in_bytes", q.page_capacity_in_bytes);
    j.put(capacity, "max_queue_size_in_bytes", q.max_queue_size_in_bytes);
    j.put(capacity, "queue_size_in_bytes", q.queue_size_in_bytes);
    Value data = Json::object();
    j.put(data, "path", q.path);
    j.put(data, "free_space_in_bytes", q.free_space_in_bytes);
    j.put(data, "storage_type", storage_type(q.path));
    j.put(v, "capacity", std::move(capacity));
    j.put(v, "data", std::move(data));
    j.put(v, "events", q.events_count);
  }
  j.put(v, "events_count", q.events_count);
  j.put(v, "queue_size_in_bytes", q.queue_size_in_bytes);
  j.put(v, "max_queue_size_in_bytes", q.max_queue_size_in_bytes);
  return v;
}

// Logstash's `vertices` of /_node/stats/pipelines?vertices=true (PipelinesInfo): per plugin of the
// inputs, filters and outputs, the root metrics under their flattened names.
Value pipeline_vertices(Json& j, const PipelineSnapshot& p) {
  Value out = Json::array();
  for (PluginStats::Kind kind : {PluginStats::Kind::Input, PluginStats::Kind::Filter, PluginStats::Kind::Output}) {
    for (const PluginStats& s : p.plugins) {
      if (s.kind != kind) continue;
      Value v = Json::object();
      j.put(v, "id", s.id);
      j.put(v, "pipeline_ephemeral_id", p.ephemeral_id);
      if (kind == PluginStats::Kind::Input) {
        j.put(v, "events_out", s.events_out);
        j.put(v, "queue_push_duration_in_millis", s.queue_push_duration_ms);
      } else {
        j.put(v, "events_in", s.events_in);
        j.put(v, "events_out", s.events_out);
        j.put(v, "duration_in_millis", s.duration_ms);
      }
      j.push(out, std::move(v));
    }
  }
  return out;
}

Value memory_pool(Json& j, uint64_t used, uint64_t peak, uint64_t max) {
  Value v = Json::object();
  j.put(v, "peak_used_in_bytes", peak);
  j.put(v, "used_in_bytes", used);
  j.put(v, "peak_max_in_bytes", max);
  j.put(v, "max_in_bytes", max);
  j.put(v, "committed_in_bytes", used);
  return v;
}

Value collector(Json& j) {
  Value v = Json::object();
  j.put(v, "collection_time_in_millis", uint64_t{0});
  j.put(v, "collection_count", uint64_t{0});
  return v;
}

Value thread_entry(Json& j, const ThreadSample& t, int64_t uptime) {
  Value v = Json::object();
  j.put(v, "name", t.name);
  j.put(v, "thread_id", t.tid);
  // Logstash: (cpu_ms / uptime_ms * 10000).to_i / 100.0
  const double pct =
      uptime > 0 ? std::trunc(static_cast<double>(t.cpu_ms) / static_cast<double>(uptime) * 10000.0) / 100.0 : 0.0;
  j.put(v, "percent_of_cpu_time", pct);
  j.put(v, "state", t.state);
  j.put(v, "traces", Json::array());
  return v;
}

std::string format_percent(double pct) {
  // Ruby Float#to_s: at least one decimal.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", pct);
  std::string s = buf;
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

}  // namespace

// ---- formatting ---------------------------------------------------------------------------------

std::string iso8601_utc_ms(int64_t epoch_ms) {
  const time_t secs = static_cast<time_t>(epoch_ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(epoch_ms % 1000));
  return buf;
}

std::string iso8601_local_s(int64_t epoch_ms) {
  const time_t secs = static_cast<time_t>(epoch_ms / 1000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[48];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const long off = tm.tm_gmtoff;
  if (off == 0) return std::string(buf) + "Z";
  char zone[48];
  const long a = (off < 0 ? -off : off) % 86400;
  std::snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
  return std::string(buf) + zone;
}

Value flow_number(Json& j, double r) {
  if (std::isnan(r)) return Value();
  // A reference to the literal, not a copy (copying a short literal trips GCC 12's
  // -Wstringop-overflow inside RapidJSON at -O3).
  if (std::isinf(r)) return Value(rapidjson::StringRef(r > 0 ? "Infinity" : "-Infinity"));
  if (r == 0) return Value(0.0);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3e", r);
  return Value(std::strtod(buf, nullptr));
}

// ---- metadata -----------------------------------------------------------------------------------

namespace {

// The node's identity as every response starts it; `status` (when given) sits before `snapshot`,
// in Logstash's key order.
Value identity(Ctx& c, bool with_status) {
  Json& j = c.j;
  Value v = Json::object();
  j.put(v, "host", c.node.host);
  j.put(v, "version", c.node.version);
  j.put(v, "http_address", c.node.http_address);
  j.put(v, "id", c.node.id);
  j.put(v, "name", c.node.name);
  j.put(v, "ephemeral_id", c.node.ephemeral_id);
  if (with_status) j.put(v, "status", node_status(c.node));
  j.put(v, "snapshot", false);
  return v;
}

}  // namespace

Value base_info(Ctx& c) { return identity(c, false); }

Value default_metadata(Ctx& c) {
  Json& j = c.j;
  Value v = identity(c, true);
  Value pipeline = Json::object();
  j.put(pipeline, "workers", c.node.workers);
  j.put(pipeline, "batch_size", c.node.batch_size);
  j.put(pipeline, "batch_delay", c.node.batch_delay_ms);
  j.put(v, "pipeline", std::move(pipeline));
  return v;
}

Value build_info(Ctx& c) {
  Value v = Json::object();
#ifdef SLUICE_BUILD_DATE
  c.j.put(v, "build_date", SLUICE_BUILD_DATE);
#else
  c.j.put(v, "build_date", "unknown");
#endif
#ifdef SLUICE_BUILD_SHA
  c.j.put(v, "build_sha", SLUICE_BUILD_SHA);
#else
  c.j.put(v, "build_sha", "unknown");
#endif
  c.j.put(v, "build_snapshot", false);
  return v;
}

// ---- /_node -------------------------------------------------------------------------------------

Value node_os(Ctx& c) {
  const SystemInfo& s = system_info();
  Value v = Json::object();
  c.j.put(v, "name", s.os_name);
  c.j.put(v, "arch", s.os_arch);
  c.j.put(v, "version", s.os_version);
  c.j.put(v, "available_processors", s.available_processors);
  return v;
}

Value node_jvm(Ctx& c) {
  Json& j = c.j;
  Value v = Json::object();
  j.put(v, "pid", c.node.process.pid);
  j.put(v, "version", SLUICE_VERSION);
  j.put(v, "vm_name", "Sluice (native, no JVM)");
  j.put(v, "vm_version", SLUICE_VERSION);
  j.put(v, "vm_vendor", "Sluice");
  j.put(v, "start_time_in_millis", c.node.process.start_time_ms > 0 ? c.node.process.start_time_ms
                                                                     : c.node.start_time_ms);
  Value mem = Json::object();
  j.put(mem, "heap_init_in_bytes", uint64_t{0});
  j.put(mem, "heap_max_in_bytes", system_info().memory_total_bytes);
  j.put(mem, "non_heap_init_in_bytes", uint64_t{0});
  j.put(mem, "non_heap_max_in_bytes", uint64_t{0});
  j.put(v, "mem", std::move(mem));
  j.put(v, "gc_collectors", Json::array());
  return v;
}

Value node_pipeline(Ctx& c, const PipelineSnapshot& p, bool graph) {
  Json& j = c.j;
  Value v = Json::object();
  j.put(v, "ephemeral_id", p.ephemeral_id);
  j.put(v, "hash", p.hash);
  j.put(v, "workers", p.workers);
  j.put(v, "batch_size", p.batch_size);
  j.put(v, "batch_delay", p.batch_delay_ms);
  j.put(v, "config_reload_automatic", p.config_reload_automatic);
  j.put(v, "config_reload_interval", p.config_reload_interval_ms * 1'000'000);  // Logstash reports nanoseconds
  j.put(v, "dead_letter_queue_enabled", p.dead_letter_queue_enabled);
  if (p.dead_letter_queue_enabled) j.put(v, "dead_letter_queue_path", p.dead_letter_queue_path);
  if (graph) {
    // The LIR serialisation Logstash keeps as the pipeline's `graph` gauge (LIRSerializer).
    Value g = Json::object();
    j.put(g, "hash", p.hash);
    j.put(g, "type", "lir");
    j.put(g, "version", "0.0.0");
    rapidjson::Document parsed(&j.alloc());
    parsed.Parse(p.graph_json.c_str(), p.graph_json.size());
    if (parsed.HasParseError() || !parsed.IsObject()) {
      parsed.SetObject();
      parsed.AddMember("vertices", Json::array(), j.alloc());
      parsed.AddMember("edges", Json::array(), j.alloc());
    }
    j.put(g, "graph", std::move(static_cast<Value&>(parsed)));
    j.put(v, "graph", std::move(g));
  }
  return v;
}

Value plugins_list(Ctx& c) {
  Json& j = c.j;
  std::vector<std::pair<std::string, std::string>> names;
  for (const RegistryEntry* e : Registry::builtin().all()) {
    if (!e->schema.implemented) continue;
    names.emplace_back("logstash-" + std::string(to_string(e->schema.kind)) + "-" + e->schema.name, SLUICE_VERSION);
  }
  std::sort(names.begin(), names.end());
  Value list = Json::array();
  for (const auto& [name, version] : names) {
    Value p = Json::object();
    j.put(p, "name", name);
    j.put(p, "version", version);
    j.push(list, std::move(p));
  }
  Value v = Json::object();
  j.put(v, "total", static_cast<uint64_t>(names.size()));
  j.put(v, "plugins", std::move(list));
  return v;
}

// ---- /_node/stats -------------------------------------------------------------------------------

Value stats_jvm_memory(Ctx& c) {
  Json& j = c.j;
  const ProcessSnapshot& pr = c.node.process;
  const uint64_t max = std::max<uint64_t>(system_info().memory_total_bytes, pr.resident_bytes);
  Value mem = Json::object();
  const int64_t pct = max > 0 ? static_cast<int64_t>(pr.resident_bytes * 100 / max) : 0;
  j.put(mem, "heap_used_percent", pct);
  j.put(mem, "heap_committed_in_bytes", pr.resident_bytes);
  j.put(mem, "heap_max_in_bytes", max);
  j.put(mem, "heap_used_in_bytes", pr.resident_bytes);
  j.put(mem, "non_heap_used_in_bytes", uint64_t{0});
  j.put(mem, "non_heap_committed_in_bytes", uint64_t{0});
  Value pools = Json::object();
  j.put(pools, "survivor", memory_pool(j, 0, 0, 0));
  j.put(pools, "old", memory_pool(j, pr.resident_bytes, pr.peak_resident_bytes, max));
  j.put(pools, "young", memory_pool(j, 0, 0, 0));
  j.put(mem, "pools", std::move(pools));
  return mem;
}

Value stats_jvm(Ctx& c) {
  Json& j = c.j;
  Value v = Json::object();
  Value threads = Json::object();
  j.put(threads, "count", c.node.process.thread_count);
  j.put(threads, "peak_count", c.node.process.peak_thread_count);
  j.put(v, "threads", std::move(threads));
  j.put(v, "mem", stats_jvm_memory(c));
  Value collectors = Json::object();
  j.put(collectors, "old", collector(j));
  j.put(collectors, "young", collector(j));
  Value gc = Json::object();
  j.put(gc, "collectors", std::move(collectors));
  j.put(v, "gc", std::move(gc));
  j.put(v, "uptime_in_millis", uptime_ms(c));
  return v;
}

Value stats_process(Ctx& c) {
  Json& j = c.j;
  const ProcessSnapshot& pr = c.node.process;
  Value v = Json::object();
  j.put(v, "open_file_descriptors", pr.open_file_descriptors);
  j.put(v, "peak_open_file_descriptors", pr.peak_open_file_descriptors);
  j.put(v, "max_file_descriptors", pr.max_file_descriptors);
  Value mem = Json::object();
  j.put(mem, "total_virtual_in_bytes", pr.total_virtual_bytes);
  j.put(v, "mem", std::move(mem));
  Value cpu = Json::object();
  j.put(cpu, "total_in_millis", pr.cpu_total_ms);
  j.put(cpu, "percent", pr.cpu_percent);
  Value load = Json::object();
  j.put(load, "1m", pr.load_average[0]);
  j.put(load, "5m", pr.load_average[1]);
  j.put(load, "15m", pr.load_average[2]);
  j.put(cpu, "load_average", std::move(load));
  j.put(v, "cpu", std::move(cpu));
  return v;
}

Value stats_events(Ctx& c) {
  uint64_t in = 0, filtered = 0, out = 0, duration = 0, push = 0;
  for (const PipelineSnapshot& p : c.node.pipelines) {
    in += p.events_in;
    filtered += p.events_filtered;
    out += p.events_out;
    duration += p.duration_ms;
    push += p.queue_push_duration_ms;
  }
  Value v = Json::object();
  c.j.put(v, "in", in);
  c.j.put(v, "filtered", filtered);
  c.j.put(v, "out", out);
  c.j.put(v, "duration_in_millis", duration);
  c.j.put(v, "queue_push_duration_in_millis", push);
  return v;
}

// The process-wide flow rates: the sums of the pipelines' rates (each is additive: events per
// second, or busy time per wall time).
Value stats_flow(Ctx& c) {
  struct Sum {
    double current = 0, lifetime = 0;
    bool has_lifetime = false;
  } in, filtered, out, backpressure, concurrency;
  for (const PipelineSnapshot& p : c.node.pipelines) {
    in.current += p.input_throughput.current;
    in.lifetime += p.input_throughput.lifetime;
    filtered.current += p.filter_throughput.current;
    filtered.lifetime += p.filter_throughput.lifetime;
    out.current += p.output_throughput.current;
    out.lifetime += p.output_throughput.lifetime;
    in.has_lifetime = filtered.has_lifetime = out.has_lifetime = true;
    backpressure.current += p.queue_backpressure;
    concurrency.current += p.worker_concurrency;
    if (auto r = per_ms(c, p, static_cast<double>(p.queue_push_duration_ms))) {
      backpressure.lifetime += *r;
      backpressure.has_lifetime = true;
    }
    if (auto r = per_ms(c, p, static_cast<double>(p.duration_ms))) {
      concurrency.lifetime += *r;
      concurrency.has_lifetime = true;
    }
  }
  auto put = [&](Value& v, const char* key, const Sum& s) {
    c.j.put(v, key, rate(c.j, s.current, s.has_lifetime ? std::optional<double>(s.lifetime) : std::nullopt));
  };
  Value v = Json::object();
  put(v, "input_throughput", in);
  put(v, "filter_throughput", filtered);
  put(v, "output_throughput", out);
  put(v, "queue_backpressure", backpressure);
  put(v, "worker_concurrency", concurrency);
  return v;
}

Value stats_pipeline(Ctx& c, const PipelineSnapshot& p, bool vertices) {
  Json& j = c.j;
  Value v = Json::object();
  Value events = Json::object();
  j.put(events, "duration_in_millis", p.duration_ms);
  j.put(events, "in", p.events_in);
  j.put(events, "filtered", p.events_filtered);
  j.put(events, "out", p.events_out);
  j.put(events, "queue_push_duration_in_millis", p.queue_push_duration_ms);
  j.put(v, "events", std::move(events));
  j.put(v, "flow", pipeline_flow(c, p));
  j.put(v, "plugins", plugins_of(c, p));
  j.put(v, "reloads", pipeline_reloads(j, p.reloads));
  j.put(v, "queue", pipeline_queue(j, p.queue));
  if (p.dead_letter_queue) {
    // Logstash's dead letter queue metrics (8.x keys; 7.17 reports queue_size_in_bytes alone).
    const DeadLetterQueueStats& d = *p.dead_letter_queue;
    Value dlq = Json::object();
    j.put(dlq, "queue_size_in_bytes", d.queue_size_in_bytes);
    j.put(dlq, "max_queue_size_in_bytes", d.max_queue_size_in_bytes);
    j.put(dlq, "dropped_events", d.dropped_events);
    j.put(dlq, "expired_events", d.expired_events);
    j.put(dlq, "last_error", d.last_error.empty() ? std::string("no errors") : d.last_error);
    j.put(dlq, "storage_policy", d.storage_policy);
    j.put(v, "dead_letter_queue", std::move(dlq));
  }
  Value settings = Json::object();
  j.put(settings, "workers", p.workers);
  j.put(settings, "batch_size", p.batch_size);
  j.put(settings, "batch_delay", p.batch_delay_ms);
  j.put(v, "pipeline", std::move(settings));
  j.put(v, "hash", p.hash);
  j.put(v, "ephemeral_id", p.ephemeral_id);
  if (vertices) j.put(v, "vertices", pipeline_vertices(j, p));
  return v;
}

Value stats_reloads(Ctx& c) {
  Value v = Json::object();
  c.j.put(v, "successes", c.node.reload_successes);
  c.j.put(v, "failures", c.node.reload_failures);
  return v;
}

Value stats_queue(Ctx& c) {
  uint64_t events = 0;
  for (const PipelineSnapshot& p : c.node.pipelines) {
    if (p.queue.type == "persisted") events += p.queue.events_count;
  }
  Value v = Json::object();
  c.j.put(v, "events_count", events);
  return v;
}

// ---- /_node/hot_threads -------------------------------------------------------------------------

Value hot_threads(Ctx& c, int top, std::string* text) {
  Json& j = c.j;
  std::vector<ThreadSample> threads = read_threads();
  const int64_t self = static_cast<int64_t>(::syscall(SYS_gettid));
  threads.erase(std::remove_if(threads.begin(), threads.end(), [&](const ThreadSample& t) { return t.tid == self; }),
                threads.end());
  std::stable_sort(threads.begin(), threads.end(),
                   [](const ThreadSample& a, const ThreadSample& b) { return a.cpu_ms > b.cpu_ms; });
  const size_t keep = static_cast<size_t>(std::max(0, top));  // Logstash stops at `threads`; negative: none
  if (threads.size() > keep) threads.resize(keep);
  const int64_t up = uptime_ms(c);
  const std::string time = iso8601_local_s(c.now_ms);

  Value list = Json::array();
  if (text) {
    *text = "::: {" + c.node.host + "}\nHot threads at " + time + ", busiestThreads=" + std::to_string(top) + ": \n";
    text->append(80, '=');
    text->push_back('\n');
  }
  for (const ThreadSample& t : threads) {
    Value e = thread_entry(j, t, up);
    if (text) {
      *text += format_percent(e["percent_of_cpu_time"].GetDouble()) + " % of cpu usage, state: " + t.state +
               ", thread name: '" + t.name + "', thread id: " + std::to_string(t.tid) + " \n";
      text->append(80, '-');
      text->push_back('\n');
    }
    j.push(list, std::move(e));
  }
  Value v = Json::object();
  j.put(v, "time", time);
  j.put(v, "busiest_threads", top);
  j.put(v, "threads", std::move(list));
  return v;
}

}  // namespace sluice::api::detail
