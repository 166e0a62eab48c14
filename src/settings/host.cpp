// What settings resolution reads from the machine: settings files, whether paths exist, the host
// name (node.name's default) and the CPU count (pipeline.workers' default).
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "settings/internal.hpp"

namespace sluice::settings::detail {

ReadStatus read_text(const std::string& path, std::string* out, std::string* reason) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return ReadStatus::Missing;
    *reason = std::strerror(errno);
    return ReadStatus::Error;
  }
  if (S_ISDIR(st.st_mode)) {
    *reason = "it is a directory";
    return ReadStatus::Error;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *reason = std::strerror(errno);
    return ReadStatus::Error;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) {
    *reason = "read error";
    return ReadStatus::Error;
  }
  *out = ss.str();
  return ReadStatus::Ok;
}

std::string join_path(const std::string& dir, const std::string& file) {
  if (dir.empty() || dir.back() == '/') return dir + file;
  return dir + "/" + file;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

// Logstash's CpuCoreStrategy.maximum is the JVM's available processors: the CPUs this process may
// run on, capped by a cgroup CPU quota (containers).
int cpu_count() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  double quota = -1, period = -1;
  {
    std::ifstream f("/sys/fs/cgroup/cpu.max");  // cgroup v2: "max 100000" or "200000 100000"
    std::string q;
    if (f >> q >> period && q != "max") quota = std::atof(q.c_str());
  }
  if (quota <= 0) {
    std::ifstream fq("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), fp("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    if (!(fq >> quota) || !(fp >> period)) quota = -1;
  }
  if (quota > 0 && period > 0) {
    int limit = static_cast<int>(std::ceil(quota / period));
    if (limit >= 1 && limit < n) n = limit;
  }
  return n;
}

}  // namespace sluice::settings::detail
