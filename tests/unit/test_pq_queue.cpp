// The persisted queue on real files: write/read/ack across pages, reopen, crash recovery (a copy of
// the directory taken while the queue runs, as kill -9 leaves it, then torn at every byte of the last
// record), damaged checkpoints and pages, backpressure by bytes and by events, concurrent writers and
// readers acknowledging out of order, a full disk (injected through the pwrite hook), the lock.
#include <catch2/catch.hpp>

#include "queue/persisted_queue.hpp"
#include "sluice/event.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

using namespace sluice;
using namespace sluice::pq;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sluice-pq-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string sub(const std::string& name) const { return path + "/" + name; }
};

settings::QueueSettings small_settings() {
  settings::QueueSettings s;
  s.type = "persisted";
  s.page_capacity = 4096;
  s.max_bytes = 64 << 20;
  s.checkpoint_writes = 1024;
  s.checkpoint_acks = 1024;
  s.checkpoint_interval_ms = 1000;
  return s;
}

std::unique_ptr<PersistedQueue> open_queue(const std::string& dir, const settings::QueueSettings& s,
                                           Options o = {}) {
  std::string err;
  auto q = PersistedQueue::open(dir, s, &err, std::move(o));
  INFO(err);
  REQUIRE(q);
  return q;
}

const FieldRef& n_ref() {
  static const FieldRef r = *FieldRef::parse("[n]");
  return r;
}

// Used from several threads: no Catch assertions (they are not thread-safe); a failure here is a
// broken test, so it aborts.
std::unique_ptr<Event> make_event(int64_t n, size_t pad = 40) {
  auto e = std::make_unique<Event>(Timestamp{1'700'000'000'123'456'789 + n});
  static const FieldRef message = *FieldRef::parse("message");
  static const FieldRef src = *FieldRef::parse("[@metadata][src]");
  if (e->set(n_ref(), Value(n)) != SetResult::Ok ||
      e->set_string(message, "event " + std::to_string(n) + std::string(pad, '.')) != SetResult::Ok ||
      e->set_string(src, "test") != SetResult::Ok)
    std::abort();
  return e;
}

int64_t n_of(const Event& e) {
  const Value* v = e.get(n_ref());
  return v && v->IsInt64() ? v->GetInt64() : -1;
}

uint64_t write_n(PersistedQueue& q, int64_t from, int64_t to, size_t pad = 40) {
  uint64_t last = 0;
  for (int64_t i = from; i < to; ++i) {
    auto e = make_event(i, pad);
    const WriteResult r = q.write(*e);
    REQUIRE(r.status == WriteStatus::Ok);
    last = r.seq;
  }
  return last;
}

// Reads until `want` events arrived (or 10 s passed); acks each batch when asked. Returns the `n`s.
std::vector<int64_t> read_n(PersistedQueue& q, size_t want, bool ack = true, size_t batch = 50) {
  std::vector<int64_t> got;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  Batch b;
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    b.clear();
    if (!q.read_batch(b, std::min(batch, want - got.size()), 5ms)) break;
    for (const auto& e : b.events) got.push_back(n_of(*e));
    if (ack) q.ack(b);
  }
  return got;
}

// Reads (and acknowledges) whatever is unread now, without waiting for more.
std::vector<int64_t> read_available(PersistedQueue& q) {
  std::vector<int64_t> got;
  Batch b;
  while (q.unread() > 0) {
    b.clear();
    if (!q.read_batch(b, 50, 1ms)) break;
    for (const auto& e : b.events) got.push_back(n_of(*e));
    q.ack(b);
  }
  return got;
}

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

std::vector<uint32_t> page_files(const std::string& dir) {
  std::vector<uint32_t> v;
  for (const auto& ent : fs::directory_iterator(dir)) {
    const std::string name = ent.path().filename().string();
    if (name.rfind("page.", 0) == 0 && name.find(".damaged") == std::string::npos)
      v.push_back(static_cast<uint32_t>(std::stoul(name.substr(5))));
  }
  std::sort(v.begin(), v.end());
  return v;
}

template <typename Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!p()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x40);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

}  // namespace

TEST_CASE("pq queue: events come back in order with their content across many small pages", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.page_capacity = 1024;  // a handful of events per page
  auto q = open_queue(t.path, s);
  write_n(*q, 0, 600);
  CHECK(q->unread() == 600);
  CHECK(page_files(t.path).size() > 50);

  Batch b;
  REQUIRE(q->read_batch(b, 10, 5ms));
  REQUIRE(b.size() == 10);
  CHECK(b.seqs.front() == 1);
  CHECK(b.events[3]->get(*FieldRef::parse("message"))->GetString() == "event 3" + std::string(40, '.'));
  CHECK(as_view(*b.events[0]->get(*FieldRef::parse("[@metadata][src]"))) == "test");
  CHECK(b.events[0]->timestamp()->ns == 1'700'000'000'123'456'789);
  q->ack(b);
  CHECK(read_n(*q, 590) == range(10, 600));
  CHECK(q->size() == 0);
  CHECK(q->unread() == 0);
  // Acknowledged pages are deleted at the checkpoint that acknowledgements trigger; the head stays.
  REQUIRE(q->checkpoint());
  CHECK(page_files(t.path).size() == 1);
  CHECK(q->describe_unacked() == "The persisted queue " + t.path + " is empty");
}

TEST_CASE("pq queue: reopening delivers what was not acknowledged, and new writes follow", "[pq]") {
  TempDir t;
  auto s = small_settings();
  {
    auto q = open_queue(t.path, s);
    write_n(*q, 0, 100);
    CHECK(read_n(*q, 30) == range(0, 30));
    Batch b;  // read but never acknowledged: delivered again
    REQUIRE(q->read_batch(b, 5, 5ms));
    REQUIRE(q->checkpoint());  // deletes the acknowledged pages: the others are those left
    CHECK(q->describe_unacked() ==
          "70 events in " + std::to_string(page_files(t.path).size()) + " pages remain in " + t.path);
    q->close();
    CHECK_FALSE(q->read_batch(b, 5, 5ms));  // queue.drain=false: nothing more is read once closed
    Event e;
    CHECK(q->write(e).status == WriteStatus::Closed);
  }
  auto q = open_queue(t.path, s);
  CHECK(q->recovery_issues().empty());
  CHECK(q->size() == 70);
  write_n(*q, 100, 110);
  CHECK(read_n(*q, 80) == range(30, 110));
  const QueueStats st = q->stats();
  CHECK(st.type == "persisted");
  CHECK(st.events_count == 0);
  CHECK(st.path == t.path);
  CHECK(st.page_capacity_in_bytes == 4096);
  CHECK(st.max_queue_size_in_bytes == s.max_bytes);
  CHECK(st.queue_size_in_bytes > 0);
  CHECK(st.free_space_in_bytes > 0);
}

TEST_CASE("pq queue: queue.drain=true reads everything after close", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.drain = true;
  auto q = open_queue(t.path, s);
  write_n(*q, 0, 20);
  q->close();
  CHECK(read_n(*q, 20) == range(0, 20));
  Batch b;
  CHECK_FALSE(q->read_batch(b, 5, 5ms));
}

TEST_CASE("pq queue: a second open of the same directory is refused while the first holds it", "[pq]") {
  TempDir t;
  auto q = open_queue(t.path, small_settings());
  std::string err;
  CHECK_FALSE(PersistedQueue::open(t.path, small_settings(), &err));
  CHECK(err.find("is in use by another process") != std::string::npos);
  q.reset();
  CHECK(PersistedQueue::open(t.path, small_settings(), &err));
}

TEST_CASE("pq queue: settings that cannot work are refused", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.max_bytes = 1000;
  std::string err;
  CHECK_FALSE(PersistedQueue::open(t.path, s, &err));
  CHECK(err.find("queue.page_capacity (4096 bytes) must not exceed queue.max_bytes (1000 bytes)") != std::string::npos);
}

TEST_CASE("pq queue: checkpoint.writes=1 makes each write durable before it returns", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.checkpoint_writes = 1;
  auto q = open_queue(t.path, s);
  for (int i = 0; i < 20; ++i) {
    auto e = make_event(i);
    const WriteResult r = q->write(*e);
    REQUIRE(r.status == WriteStatus::Ok);
    CHECK(q->durable_seq() >= r.seq);
  }
}

TEST_CASE("pq queue: wait_durable and when_durable report the durable point", "[pq]") {
  TempDir t;
  auto q = open_queue(t.path, small_settings());
  const uint64_t last = write_n(*q, 0, 30);
  CHECK(q->durable_seq() < last);  // checkpoint.writes=1024: nothing forced it yet
  std::atomic<int> called{0};
  std::atomic<bool> result{false};
  q->when_durable(last, [&](bool ok) {
    result = ok;
    ++called;
  });
  REQUIRE(eventually([&] { return called.load() == 1; }));
  CHECK(result.load());
  CHECK(q->durable_seq() >= last);
  CHECK(q->wait_durable(last));
  q->when_durable(last, [&](bool ok) { called += ok ? 10 : 100; });  // already durable: called at once
  CHECK(called.load() == 11);
  CHECK_FALSE(q->wait_durable(last + 1000));  // never written
}

TEST_CASE("pq queue: recovery after a crash, the head page torn at every byte of its last record", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.checkpoint_writes = 1;  // every write is acknowledged only once durable
  s.page_capacity = 2048;
  const std::string live = t.sub("live");
  auto q = open_queue(live, s);
  write_n(*q, 0, 40);
  CHECK(read_n(*q, 5) == range(0, 5));  // acknowledged: never delivered again
  REQUIRE(q->checkpoint());
  write_n(*q, 40, 50);  // durable, after the last checkpoint
  // The directory as kill -9 would leave it: the queue is still open.
  const std::string crashed = t.sub("crashed");
  fs::copy(live, crashed, fs::copy_options::recursive);
  q.reset();

  const auto pages = page_files(crashed);
  const std::string head = crashed + "/page." + std::to_string(pages.back());
  const uint64_t size = fs::file_size(head);
  // The last record: the payload size of one event plus its 16-byte header.
  std::string bytes;
  {
    auto e = make_event(49);
    std::ifstream in(head, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  uint64_t last_start = 0;
  {
    // Walk the records to find the last one's offset.
    uint64_t off = 32;
    while (off < bytes.size()) {
      last_start = off;
      uint32_t len;
      std::memcpy(&len, bytes.data() + off, 4);
      off += 16 + len;
    }
    REQUIRE(off == size);
  }
  for (uint64_t cut = last_start; cut <= size; ++cut) {
    const std::string dir = t.sub("cut");
    fs::remove_all(dir);
    fs::copy(crashed, dir, fs::copy_options::recursive);
    fs::resize_file(dir + "/page." + std::to_string(pages.back()), cut);
    auto r = open_queue(dir, s);
    INFO("cut at " << cut << " of " << size);
    const bool whole = cut == size;
    const auto got = read_n(*r, whole ? 45 : 44);
    CHECK(got == range(5, whole ? 50 : 49));
    CHECK(r->unread() == 0);
    if (whole || cut == last_start) {
      CHECK(r->recovery_issues().empty());
    } else {
      REQUIRE(r->recovery_issues().size() == 1);
      CHECK(r->recovery_issues()[0].events_lost == 0);  // the torn append was never durable
      CHECK(r->recovery_issues()[0].offset == last_start);
    }
  }
}

TEST_CASE("pq queue: a truncated or corrupt checkpoint falls back to the page files (nothing lost)", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.page_capacity = 1024;
  const std::string live = t.sub("live");
  {
    auto q = open_queue(live, s);
    write_n(*q, 0, 60);
    CHECK(read_n(*q, 10) == range(0, 10));
    q->close();
  }
  for (int variant = 0; variant < 3; ++variant) {
    const std::string dir = t.sub("v" + std::to_string(variant));
    fs::copy(live, dir, fs::copy_options::recursive);
    const std::string cp = dir + "/checkpoint";
    if (variant == 0) fs::resize_file(cp, fs::file_size(cp) - 7);
    if (variant == 1) flip_byte(cp, 20);
    if (variant == 2) fs::remove(cp);
    auto q = open_queue(dir, s);
    INFO("variant " << variant);
    REQUIRE(q->recovery_issues().size() == 1);
    CHECK(q->recovery_issues()[0].page_num == 0);
    CHECK(q->recovery_issues()[0].message.find("rebuilt from its page files") != std::string::npos);
    const auto got = read_available(*q);
    // Every unacknowledged event is there; acknowledged ones whose pages still exist come again.
    REQUIRE(got.size() >= 50);
    CHECK(std::vector<int64_t>(got.end() - 50, got.end()) == range(10, 60));
    CHECK(std::is_sorted(got.begin(), got.end()));
  }
}

TEST_CASE("pq queue: a corrupt middle page is reported with its lost count; later pages are delivered", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.page_capacity = 1024;
  const std::string dir = t.sub("q");
  {
    auto q = open_queue(dir, s);
    write_n(*q, 0, 100);
    q->close();
  }
  const auto pages = page_files(dir);
  REQUIRE(pages.size() >= 5);
  const uint32_t victim = pages[2];
  const std::string victim_path = dir + "/page." + std::to_string(victim);
  flip_byte(victim_path, 32 + 16 + 3);  // inside the first record's payload
  // What the page held: the seqs between its header and the next page's header.
  auto first_seq = [&](uint32_t num) {
    std::ifstream in(dir + "/page." + std::to_string(num), std::ios::binary);
    char hdr[32];
    in.read(hdr, 32);
    uint64_t v;
    std::memcpy(&v, hdr + 16, 8);
    return v;
  };
  const uint64_t lost = first_seq(pages[3]) - first_seq(victim);
  const int64_t gap_start = static_cast<int64_t>(first_seq(victim)) - 1;  // seqs start at 1, n at 0

  auto q = open_queue(dir, s);
  REQUIRE(q->recovery_issues().size() == 1);
  const RecoveryIssue& issue = q->recovery_issues()[0];
  CHECK(issue.page_num == victim);
  CHECK(issue.offset == 32);
  CHECK(issue.events_lost == static_cast<int64_t>(lost));
  CHECK(issue.message.find("checksum") != std::string::npos);
  CHECK(q->events_lost() == lost);
  const auto got = read_n(*q, 100 - lost);
  REQUIRE(got.size() == 100 - lost);
  std::vector<int64_t> expected = range(0, gap_start);
  for (int64_t i = gap_start + static_cast<int64_t>(lost); i < 100; ++i) expected.push_back(i);
  CHECK(got == expected);
  // The damaged page is acknowledged like the others once read, and deleted; a restart is quiet.
  q.reset();
  auto again = open_queue(dir, s);
  CHECK(again->recovery_issues().empty());
  CHECK(again->size() == 0);
}

TEST_CASE("pq queue: an unreadable page header moves the page aside and counts its events", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.page_capacity = 1024;
  const std::string dir = t.sub("q");
  {
    auto q = open_queue(dir, s);
    write_n(*q, 0, 60);
    q->close();
  }
  const auto pages = page_files(dir);
  REQUIRE(pages.size() >= 3);
  flip_byte(dir + "/page." + std::to_string(pages[1]), 5);
  auto q = open_queue(dir, s);
  REQUIRE(q->recovery_issues().size() == 1);
  CHECK(q->recovery_issues()[0].page_num == pages[1]);
  CHECK(q->recovery_issues()[0].events_lost > 0);
  CHECK(fs::exists(dir + "/page." + std::to_string(pages[1]) + ".damaged"));
  const auto got = read_available(*q);
  CHECK(got.size() == 60 - static_cast<size_t>(q->recovery_issues()[0].events_lost));
  // New pages never reuse the damaged page's number.
  write_n(*q, 60, 61);
  CHECK(page_files(dir).back() > pages.back());
}

TEST_CASE("pq queue: queue.max_bytes blocks the writer until an acknowledgement frees a page", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.page_capacity = 1024;
  s.max_bytes = 4096;
  auto q = open_queue(t.path, s);
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      auto e = make_event(i);
      if (q->write(*e).status != WriteStatus::Ok) break;
      ++written;
    }
  });
  // The writer fills the queue and stops there.
  int settled = -1;
  REQUIRE(eventually([&] {
    const int w = written.load();
    std::this_thread::sleep_for(50ms);
    if (w != written.load()) return false;
    settled = w;
    return true;
  }));
  CHECK(settled < 200);
  CHECK(q->stats().queue_size_in_bytes <= 4096);
  // Reading alone frees nothing (max_events is unlimited, pages stay until acknowledged).
  Batch b;
  REQUIRE(q->read_batch(b, 200, 5ms));
  std::this_thread::sleep_for(50ms);
  CHECK(written.load() == settled);
  q->ack(b);  // frees every sealed page
  std::vector<int64_t> got;
  for (const auto& e : b.events) got.push_back(n_of(*e));
  const auto rest = read_n(*q, 200 - got.size());
  got.insert(got.end(), rest.begin(), rest.end());
  writer.join();
  CHECK(got == range(0, 200));
  CHECK(q->push_blocked_ns() > 0);
}

TEST_CASE("pq queue: queue.max_events blocks the writer while that many events are unread", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.max_events = 10;
  auto q = open_queue(t.path, s);
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < 25; ++i) {
      auto e = make_event(i);
      if (q->write(*e).status != WriteStatus::Ok) break;
      ++written;
    }
  });
  REQUIRE(eventually([&] { return written.load() == 10; }));
  std::this_thread::sleep_for(50ms);
  CHECK(written.load() == 10);
  // Reading (without acknowledging) makes room: max_events counts unread events, as Logstash.
  const auto got = read_n(*q, 25, false);
  writer.join();
  CHECK(got == range(0, 25));
  CHECK(q->size() == 25);
}

TEST_CASE("pq queue: concurrent writers and readers acknowledging out of order lose and repeat nothing", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.page_capacity = 8192;
  s.max_bytes = 256 * 1024;  // backpressure in play
  s.checkpoint_acks = 100;
  auto q = open_queue(t.path, s);
  constexpr int kWriters = 3, kPerWriter = 1500, kReaders = 3;
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        auto e = make_event(w * kPerWriter + i, 20);
        if (!q->push(e)) ++refused;
      }
    });
  }
  std::mutex mu;
  std::multiset<int64_t> seen;
  std::atomic<bool> done{false};
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937 rng(static_cast<unsigned>(r));
      std::vector<Batch> held;  // acknowledged later, in shuffled order
      while (true) {
        Batch b;
        if (!q->read_batch(b, 64, 2ms)) break;
        {
          std::lock_guard lk(mu);
          for (const auto& e : b.events) seen.insert(n_of(*e));
        }
        std::shuffle(b.seqs.begin(), b.seqs.end(), rng);
        const bool partial = b.size() < 64;
        held.push_back(std::move(b));
        // Held batches are released once the queue runs dry, so they never hold the writers back.
        if (held.size() >= 3 || partial || q->unread() == 0) {
          std::shuffle(held.begin(), held.end(), rng);
          for (auto& h : held) q->ack(h);
          held.clear();
        }
        if (done.load() && q->unread() == 0) break;
      }
      for (auto& h : held) q->ack(h);
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[static_cast<size_t>(w)].join();
  REQUIRE(eventually([&] {
    std::lock_guard lk(mu);
    return seen.size() >= static_cast<size_t>(kWriters * kPerWriter);
  }));
  done = true;
  q->close();
  for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  CHECK(refused.load() == 0);
  CHECK(seen.size() == static_cast<size_t>(kWriters * kPerWriter));
  CHECK(std::set<int64_t>(seen.begin(), seen.end()).size() == seen.size());
  CHECK(q->size() == 0);
  q.reset();
  auto again = open_queue(t.path, s);
  CHECK(again->size() == 0);
  CHECK(again->recovery_issues().empty());
}

TEST_CASE("pq queue: a full disk (injected ENOSPC through the pwrite hook) blocks writes, then they resume", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.checkpoint_writes = 1;
  std::atomic<bool> full{false};
  std::atomic<int> refused{0};
  Options o;
  o.write_retry_interval = 20ms;
  o.pwrite = [&](int fd, const void* buf, size_t n, off_t off) -> ssize_t {
    if (full.load()) {
      // A device that takes a few bytes, then refuses: the queue must continue where it stopped.
      if (refused.fetch_add(1) % 2 == 0 && n > 3) return ::pwrite(fd, buf, 3, off);
      errno = ENOSPC;
      return -1;
    }
    return ::pwrite(fd, buf, n, off);
  };
  auto q = open_queue(t.path, s, o);
  write_n(*q, 0, 5);
  full = true;
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 5; i < 30; ++i) {
      auto e = make_event(i);
      if (q->write(*e).status == WriteStatus::Ok) ++written;
    }
  });
  REQUIRE(eventually([&] { return refused.load() >= 4; }));
  CHECK(written.load() == 0);  // the first write waits for durability, which the disk refuses
  CHECK(q->durable_seq() == 5);
  full = false;
  writer.join();
  CHECK(written.load() == 25);
  CHECK(read_n(*q, 30) == range(0, 30));
  q.reset();
  // Nothing on disk is damaged by the partial writes.
  auto again = open_queue(t.path, s);
  CHECK(again->recovery_issues().empty());
}

TEST_CASE("pq queue: many pages written and acknowledged keep few files open", "[pq]") {
  TempDir t;
  auto s = small_settings();
  s.page_capacity = 256;  // one or two events per page
  auto q = open_queue(t.path, s);
  write_n(*q, 0, 1100, 100);  // more pages than a default descriptor limit (1024) allows open at once
  CHECK(read_n(*q, 1100, true, 125) == range(0, 1100));
  REQUIRE(q->checkpoint());
  CHECK(page_files(t.path).size() <= 2);
}
