// What the API reports about the process and the host, read from Linux's /proc and /sys:
// - read_process_stats(): /proc/self/stat (CPU ticks, threads, virtual size, RSS, start time),
//   /proc/self/status (peak RSS), /proc/self/fd (open descriptors), RLIMIT_NOFILE, /proc/loadavg.
//   The CPU percentage is the share of all CPUs used since the previous call (Java's
//   getProcessCpuLoad), so the previous sample and the peak descriptor count live here, under a
//   mutex.
// - system_info(): uname, the CPUs this process may run on, the memory it may use.
// - read_threads(): every thread of /proc/self/task with its name, state and CPU time.
#include "api/api.hpp"

#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

namespace sluice::api {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t ticks_per_second() {
  static const int64_t t = std::max<long>(1, sysconf(_SC_CLK_TCK));
  return t;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The fields of a /proc/<pid>/stat line after the command name (which may contain spaces and
// parentheses, hence the last ')'): index 0 is field 3 (state).
std::vector<std::string> stat_fields(const std::string& line, std::string* comm = nullptr) {
  std::vector<std::string> out;
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return out;
  if (comm) *comm = line.substr(open + 1, close - open - 1);
  std::istringstream in(line.substr(close + 1));
  std::string f;
  while (in >> f) out.push_back(f);
  return out;
}

uint64_t field_u64(const std::vector<std::string>& f, size_t stat_field) {
  const size_t i = stat_field - 3;
  return i < f.size() ? std::strtoull(f[i].c_str(), nullptr, 10) : 0;
}

// "VmHWM:    1234 kB" -> bytes.
uint64_t status_kb(const std::string& status, const std::string& key) {
  const size_t at = status.find(key + ":");
  if (at == std::string::npos) return 0;
  return std::strtoull(status.c_str() + at + key.size() + 1, nullptr, 10) * 1024;
}

int64_t boot_time_ms() {
  static const int64_t boot = [] {
    const std::string s = read_text("/proc/stat");
    const size_t at = s.find("\nbtime ");
    return at == std::string::npos ? int64_t{0} : std::strtoll(s.c_str() + at + 7, nullptr, 10) * 1000;
  }();
  return boot;
}

uint64_t count_open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  uint64_t n = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n > 0 ? n - 1 : 0;  // the directory stream's own descriptor
}

struct CpuSample {
  int64_t wall_ms = 0;
  uint64_t cpu_ms = 0;
};

std::mutex g_mu;
CpuSample g_last;              // guarded by g_mu
uint64_t g_peak_fds = 0;       // guarded by g_mu
int g_peak_threads = 0;        // guarded by g_mu

// Share of all CPUs used since the previous call (since the process started on the first call).
int cpu_percent(const ProcessSnapshot& p, int64_t now) {
  const int cpus = std::max(1, system_info().available_processors);
  std::lock_guard lock(g_mu);
  const CpuSample base = g_last.wall_ms > 0 ? g_last : CpuSample{p.start_time_ms, 0};
  g_last = {now, p.cpu_total_ms};
  const int64_t wall = now - base.wall_ms;
  if (wall <= 0 || p.cpu_total_ms < base.cpu_ms) return 0;
  const double share = static_cast<double>(p.cpu_total_ms - base.cpu_ms) / static_cast<double>(wall) / cpus;
  return static_cast<int>(std::lround(std::clamp(share, 0.0, 1.0) * 100.0));
}

std::string java_arch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "i686" || machine == "i386") return "x86";
  return machine;
}

int allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN));
}

uint64_t memory_limit() {
  uint64_t total = status_kb(read_text("/proc/meminfo"), "MemTotal");
  // cgroup v2 then v1: a container's limit, when it is lower than the host's memory.
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const std::string v = read_text(path);
    if (v.empty() || v[0] < '0' || v[0] > '9') continue;
    const uint64_t limit = std::strtoull(v.c_str(), nullptr, 10);
    if (limit > 0 && (total == 0 || limit < total)) total = limit;
    break;
  }
  return total;
}

// Linux task states in the words of java.lang.Thread.State, as Logstash prints them.
std::string java_state(const std::string& s) {
  if (s.empty()) return "unknown";
  switch (s[0]) {
    case 'R':
      return "runnable";
    case 'D':
      return "blocked";
    case 'Z':
    case 'X':
      return "terminated";
    case 'S':
    case 'T':
    case 't':
    case 'I':
      return "waiting";
    default:
      return "unknown";
  }
}

}  // namespace

const SystemInfo& system_info() {
  static const SystemInfo info = [] {
    SystemInfo s;
    struct utsname u {};
    if (uname(&u) == 0) {
      s.os_name = u.sysname;
      s.os_arch = java_arch(u.machine);
      s.os_version = u.release;
    }
    s.available_processors = allowed_cpus();
    s.memory_total_bytes = memory_limit();
    return s;
  }();
  return info;
}

ProcessSnapshot read_process_stats() {
  ProcessSnapshot p;
  p.pid = getpid();
  const std::vector<std::string> f = stat_fields(read_text("/proc/self/stat"));
  const int64_t tps = ticks_per_second();
  p.cpu_total_ms = (field_u64(f, 14) + field_u64(f, 15)) * 1000 / static_cast<uint64_t>(tps);
  p.thread_count = static_cast<int>(field_u64(f, 20));
  p.start_time_ms = boot_time_ms() + static_cast<int64_t>(field_u64(f, 22)) * 1000 / tps;
  p.total_virtual_bytes = field_u64(f, 23);
  p.resident_bytes = field_u64(f, 24) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  p.peak_resident_bytes = std::max(p.resident_bytes, status_kb(read_text("/proc/self/status"), "VmHWM"));

  p.open_file_descriptors = count_open_fds();
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    p.max_file_descriptors = rl.rlim_cur == RLIM_INFINITY ? 0 : static_cast<uint64_t>(rl.rlim_cur);
  }
  {
    std::lock_guard lock(g_mu);
    g_peak_fds = std::max(g_peak_fds, p.open_file_descriptors);
    p.peak_open_file_descriptors = g_peak_fds;
    g_peak_threads = std::max(g_peak_threads, p.thread_count);
    p.peak_thread_count = g_peak_threads;
  }
  p.cpu_percent = cpu_percent(p, wall_ms());

  std::istringstream load(read_text("/proc/loadavg"));
  load >> p.load_average[0] >> p.load_average[1] >> p.load_average[2];
  return p;
}

std::vector<ThreadSample> read_threads() {
  std::vector<ThreadSample> out;
  DIR* d = opendir("/proc/self/task");
  if (!d) return out;
  std::vector<std::string> tids;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') tids.emplace_back(e->d_name);
  }
  closedir(d);
  const uint64_t tps = static_cast<uint64_t>(ticks_per_second());
  for (const std::string& tid : tids) {
    const std::string line = read_text("/proc/self/task/" + tid + "/stat");
    ThreadSample t;
    const std::vector<std::string> f = stat_fields(line, &t.name);
    if (f.empty()) continue;  // the thread ended while we looked
    t.tid = std::strtoll(tid.c_str(), nullptr, 10);
    t.state = java_state(f[0]);
    t.cpu_ms = (field_u64(f, 14) + field_u64(f, 15)) * 1000 / tps;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace sluice::api
