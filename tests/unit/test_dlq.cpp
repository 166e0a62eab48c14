// The dead letter queue: segment framing and parsing, the writer (rollover, size policies,
// retain.age, concurrent writers, crash recovery, the directory lock), the reader (following a live
// writer, torn tails, corrupt records, seeking by time) and the dead_letter_queue input end to end
// (sincedb resume, start_timestamp, clean_consumed), all on real files in a temporary directory.
#include "dlq/entry.hpp"
#include "dlq/segment_format.hpp"
#include "dlq/reader.hpp"
#include "dlq/segments.hpp"
#include "dlq/writer.hpp"

#include "plugin_test_util.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

using namespace sluice;
using namespace sluice::dlq;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/sluice_dlqXXXXXX";
    REQUIRE(mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
  std::string str() const { return path.string(); }
};

// A settable clock for entry times and ages.
struct FakeClock {
  std::atomic<int64_t> ns{Timestamp::parse_iso8601("2025-03-01T00:00:00Z")->ns};
  std::function<Timestamp()> fn() {
    return [this] { return Timestamp{ns.load()}; };
  }
  void advance_seconds(int64_t s) { ns += s * 1'000'000'000; }
};

WriterOptions options(const std::string& dir) {
  WriterOptions o;
  o.dir = dir;
  o.pipeline_id = "test";
  o.start_flusher = false;
  return o;
}

std::shared_ptr<SegmentWriter> open_ok(WriterOptions o) {
  std::string error;
  auto w = SegmentWriter::open(std::move(o), &error);
  INFO(error);
  REQUIRE(w);
  return w;
}

std::unique_ptr<Event> event_n(int n, size_t pad = 0) {
  auto e = std::make_unique<Event>(*Timestamp::parse_iso8601("2025-03-01T12:34:56.123456789Z"));
  (void)e->set(*FieldRef::parse("n"), Value(static_cast<int64_t>(n)));
  if (pad) (void)e->set_string(*FieldRef::parse("pad"), std::string(pad, 'x'));
  return e;
}

bool write_n(SegmentWriter& w, int n, size_t pad = 0) {
  auto e = event_n(n, pad);
  return w.write(*e, "elasticsearch", "es_out", "reason " + std::to_string(n));
}

int64_t n_of(const Event& e) { return e.get(*FieldRef::parse("n"))->GetInt64(); }

// Every entry readable now.
std::vector<Entry> drain(Reader& r) {
  std::vector<Entry> out;
  Entry e;
  while (r.next(&e) == PollStatus::Entry) out.push_back(std::move(e));
  return out;
}

std::vector<int64_t> numbers(const std::vector<Entry>& entries) {
  std::vector<int64_t> out;
  for (const auto& e : entries) out.push_back(n_of(*e.event));
  return out;
}

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// ---- format --------------------------------------------------------------------------------------

TEST_CASE("dlq format: entries of every size round trip through blocks", "[dlq]") {
  std::string seg(1, static_cast<char>(kSegmentVersion));
  std::vector<std::string> payloads;
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{kBlockSize - kRecordHeaderSize - 1},
                      size_t{kBlockSize - kRecordHeaderSize}, size_t{kBlockSize}, size_t{3 * kBlockSize + 17},
                      size_t{5}}) {
    std::string p(size, '\0');
    for (size_t i = 0; i < size; ++i) p[i] = static_cast<char>('a' + (i * 7 + size) % 26);
    const uint64_t expected = framed_size(p.size(), seg.size());
    CHECK(frame_entry(p, seg.size(), seg) == expected);
    payloads.push_back(p);
  }
  const auto bytes = bytes_of(seg);
  BufferSource src(bytes);
  REQUIRE(has_version(src));
  uint64_t pos = kVersionSize;
  std::string got;
  for (const auto& p : payloads) {
    uint64_t next = 0;
    REQUIRE(read_entry(src, pos, &got, &next) == ReadStatus::Ok);
    CHECK(got == p);
    pos = next;
  }
  uint64_t next = 0;
  CHECK(read_entry(src, pos, &got, &next) == ReadStatus::End);
  // No record straddles a block boundary.
  const SegmentScan scan = scan_segment(src);
  CHECK(scan.entries == payloads.size());
  CHECK(scan.valid_bytes == seg.size());
}

TEST_CASE("dlq format: a segment cut anywhere reads its whole entries, then Incomplete", "[dlq]") {
  std::string seg(1, static_cast<char>(kSegmentVersion));
  std::vector<uint64_t> ends;
  for (int i = 0; i < 4; ++i) {
    frame_entry(std::string(20000, static_cast<char>('a' + i)), seg.size(), seg);
    ends.push_back(seg.size());
  }
  for (uint64_t cut = kVersionSize; cut < seg.size(); cut += 997) {
    const auto bytes = bytes_of(seg.substr(0, cut));
    BufferSource src(bytes);
    const SegmentScan scan = scan_segment(src);
    const auto whole = static_cast<uint64_t>(std::count_if(ends.begin(), ends.end(), [&](uint64_t e) { return e <= cut; }));
    INFO("cut at " << cut);
    CHECK(scan.entries == whole);
    CHECK(scan.stopped == (scan.valid_bytes == cut ? ReadStatus::End : ReadStatus::Incomplete));
  }
}

TEST_CASE("dlq format: a flipped byte is Corrupt and the next block's entry is found", "[dlq]") {
  std::string seg(1, static_cast<char>(kSegmentVersion));
  frame_entry(std::string(40000, 'a'), seg.size(), seg);  // spans blocks 0 and 1
  const uint64_t second = seg.size();
  frame_entry("second", seg.size(), seg);
  frame_entry(std::string(30000, 'c'), seg.size(), seg);  // starts in block 1, ends in block 2
  const uint64_t fourth = seg.size();
  frame_entry("fourth", seg.size(), seg);
  seg[100] ^= 0x40;  // inside the first entry's data
  const auto bytes = bytes_of(seg);
  BufferSource src(bytes);
  std::string got;
  uint64_t next = 0;
  CHECK(read_entry(src, kVersionSize, &got, &next) == ReadStatus::Corrupt);
  // The first entry that starts in block 1 is "second".
  CHECK(find_entry_start(src, block_start(1)) == second);
  REQUIRE(read_entry(src, second, &got, &next) == ReadStatus::Ok);
  CHECK(got == "second");
  // Block 2 begins with the END of the third entry: the next start is "fourth".
  CHECK(find_entry_start(src, block_start(2)) == fourth);
}

TEST_CASE("dlq entry: event, metadata, plugin and reason round trip exactly", "[dlq]") {
  std::string err;
  auto e = Event::from_json(
      R"({"@timestamp":"2025-03-01T00:00:00.123Z","count":"abc","n":-3,"f":1.5,"big":18446744073709551615,)"
      R"("nested":{"a":[1,null,true,"x"]},"@metadata":{"index":"target"}})",
      &err);
  REQUIRE(e);
  e->set_timestamp(Timestamp{e->timestamp()->ns + 456789});  // below the millisecond
  std::string bytes;
  const Timestamp when = *Timestamp::parse_iso8601("2025-03-02T01:02:03.000000007Z");
  REQUIRE(encode_entry(*e, "elasticsearch", "es_1", "status: 400", when, bytes));
  CHECK(peek_entry_time(bytes) == when);
  Entry out;
  REQUIRE(decode_entry(bytes, &out, &err));
  CHECK(out.entry_time == when);
  CHECK(out.plugin_type == "elasticsearch");
  CHECK(out.plugin_id == "es_1");
  CHECK(out.reason == "status: 400");
  CHECK(out.event->to_json() == e->to_json());
  CHECK(out.event->timestamp() == e->timestamp());
  CHECK(testutil::field(*out.event, "[@metadata][index]") == "target");
  CHECK_FALSE(decode_entry(bytes.substr(0, 12), &out, &err));
}

// ---- writer and reader ---------------------------------------------------------------------------

TEST_CASE("dlq writer: entries are read back in order once the head is sealed", "[dlq]") {
  TempDir dir;
  FakeClock clock;
  WriterOptions o = options(dir.str());
  o.clock = clock.fn();
  auto w = open_ok(o);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(write_n(*w, i));
    clock.advance_seconds(1);
  }
  Reader r(dir.str());
  Entry e;
  CHECK(r.next(&e) == PollStatus::NoData);  // the head (1.log.tmp) is not visible yet
  CHECK(fs::exists(dir.path / "1.log.tmp"));
  w->flush();
  CHECK(fs::exists(dir.path / "1.log"));
  auto got = drain(r);
  CHECK(numbers(got) == range(0, 10));
  REQUIRE(got.size() == 10);
  CHECK(got[3].reason == "reason 3");
  CHECK(got[3].plugin_type == "elasticsearch");
  CHECK(got[3].plugin_id == "es_out");
  CHECK(got[3].entry_time.to_string() == "2025-03-01T00:00:03.000Z");
  CHECK(got[3].event->timestamp()->ns == Timestamp::parse_iso8601("2025-03-01T12:34:56.123456789Z")->ns);
  const auto s = w->stats();
  CHECK(s.queue_size_in_bytes == fs::file_size(dir.path / "1.log"));
  CHECK(s.dropped_events == 0);
  CHECK(s.storage_policy == "drop_newer");
}

TEST_CASE("dlq writer: entry times never go back when the clock does", "[dlq]") {
  TempDir dir;
  FakeClock clock;
  WriterOptions o = options(dir.str());
  o.clock = clock.fn();
  auto w = open_ok(o);
  REQUIRE(write_n(*w, 0));
  clock.advance_seconds(-60);
  REQUIRE(write_n(*w, 1));
  w->flush();
  Reader r(dir.str());
  auto got = drain(r);
  REQUIRE(got.size() == 2);
  CHECK(got[1].entry_time == got[0].entry_time);
}

TEST_CASE("dlq writer: segments roll over at the segment size and are read across", "[dlq]") {
  TempDir dir;
  WriterOptions o = options(dir.str());
  o.max_segment_bytes = 64 * 1024;
  auto w = open_ok(o);
  for (int i = 0; i < 60; ++i) REQUIRE(write_n(*w, i, 3000));
  w->flush();
  const auto ids = list_segments(dir.str());
  CHECK(ids.size() >= 3);
  for (uint32_t id : ids) CHECK(fs::file_size(segment_path(dir.str(), id)) <= 64 * 1024);
  Reader r(dir.str());
  CHECK(numbers(drain(r)) == range(0, 60));
  CHECK(w->stats().queue_size_in_bytes == directory_size(dir.str(), false));
}

TEST_CASE("dlq writer: drop_newer refuses entries past max_bytes and counts them", "[dlq]") {
  TempDir dir;
  WriterOptions o = options(dir.str());
  o.max_segment_bytes = 32 * 1024;
  o.max_bytes = 100 * 1024;
  auto w = open_ok(o);
  int stored = 0;
  for (int i = 0; i < 100; ++i) stored += write_n(*w, i, 2000) ? 1 : 0;
  w->flush();
  const auto s = w->stats();
  CHECK(stored > 0);
  CHECK(stored < 100);
  CHECK(s.dropped_events == static_cast<uint64_t>(100 - stored));
  CHECK(s.queue_size_in_bytes <= o.max_bytes);
  CHECK(s.last_error == "Cannot write event to DLQ(path: " + dir.str() + "): reached maxQueueSize of 102400");
  Reader r(dir.str());
  CHECK(numbers(drain(r)) == range(0, stored));  // the oldest are kept
}

TEST_CASE("dlq writer: drop_older removes the oldest segments and counts their entries", "[dlq]") {
  TempDir dir;
  WriterOptions o = options(dir.str());
  o.max_segment_bytes = 32 * 1024;
  o.max_bytes = 100 * 1024;
  o.policy = StoragePolicy::DropOlder;
  auto w = open_ok(o);
  for (int i = 0; i < 100; ++i) REQUIRE(write_n(*w, i, 2000));
  w->flush();
  const auto s = w->stats();
  CHECK(s.dropped_events == 0);
  CHECK(s.storage_policy == "drop_older");
  CHECK(s.queue_size_in_bytes <= o.max_bytes);
  Reader r(dir.str());
  const auto got = numbers(drain(r));
  REQUIRE(!got.empty());
  CHECK(got.back() == 99);  // the newest are kept, contiguous
  CHECK(got == range(got.front(), 100));
  CHECK(s.expired_events == static_cast<uint64_t>(got.front()));
}

TEST_CASE("dlq writer: retain.age removes segments whose newest entry is too old", "[dlq]") {
  TempDir dir;
  FakeClock clock;
  WriterOptions o = options(dir.str());
  o.clock = clock.fn();
  o.retain_age = std::chrono::minutes(10);
  auto w = open_ok(o);
  for (int i = 0; i < 5; ++i) REQUIRE(write_n(*w, i));
  w->flush();  // segment 1: entries at t0
  clock.advance_seconds(300);
  for (int i = 5; i < 8; ++i) REQUIRE(write_n(*w, i));
  w->flush();  // segment 2: entries at t0 + 5 min
  clock.advance_seconds(301);  // segment 1 is now older than 10 minutes, segment 2 is not
  w->flush_check();
  CHECK(list_segments(dir.str()) == std::vector<uint32_t>{2});
  CHECK(w->stats().expired_events == 5);
  clock.advance_seconds(600);
  REQUIRE(write_n(*w, 8));  // a write applies the policy too
  CHECK(list_segments(dir.str()).empty());
  CHECK(w->stats().expired_events == 8);
  w->flush();
  Reader r(dir.str());
  CHECK(numbers(drain(r)) == std::vector<int64_t>{8});
  CHECK(parse_retain_age("5d") == std::chrono::hours(120));
  CHECK(parse_retain_age("30 s") == std::chrono::seconds(30));
  CHECK_FALSE(parse_retain_age("5w"));
}

TEST_CASE("dlq writer: concurrent writers lose and duplicate nothing", "[dlq]") {
  TempDir dir;
  WriterOptions o = options(dir.str());
  o.max_segment_bytes = 128 * 1024;
  auto w = open_ok(o);
  constexpr int kThreads = 4, kEach = 500;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i)
        if (!write_n(*w, t * kEach + i, static_cast<size_t>(i % 300))) ++failed;
    });
  for (auto& t : threads) t.join();
  w->close();
  CHECK(failed == 0);
  Reader r(dir.str());
  const auto got = numbers(drain(r));
  CHECK(got.size() == kThreads * kEach);
  std::set<int64_t> unique(got.begin(), got.end());
  CHECK(unique.size() == kThreads * kEach);
}

TEST_CASE("dlq writer: one writer per directory; a crashed head is recovered on open", "[dlq]") {
  TempDir dir;
  {
    auto w = open_ok(options(dir.str()));
    std::string error;
    CHECK_FALSE(SegmentWriter::open(options(dir.str()), &error));
    CHECK(error.find("is in use by another writer") != std::string::npos);
    for (int i = 0; i < 3; ++i) REQUIRE(write_n(*w, i));
    w->flush();
  }
  // A head as a killed process leaves it: three whole entries and half of a fourth.
  std::string head(1, static_cast<char>(kSegmentVersion));
  for (int i = 10; i < 14; ++i) {
    auto e = event_n(i);
    std::string payload;
    REQUIRE(encode_entry(*e, "elasticsearch", "x", "r", Timestamp::now(), payload));
    frame_entry(payload, head.size(), head);
  }
  head.resize(head.size() - 20);
  {
    std::ofstream(dir.path / "7.log.tmp", std::ios::binary) << head;
    std::ofstream(dir.path / "8.log.tmp", std::ios::binary) << std::string(1, static_cast<char>(kSegmentVersion));
  }
  auto w = open_ok(options(dir.str()));
  CHECK(list_segments(dir.str()) == std::vector<uint32_t>{1, 7});
  CHECK_FALSE(fs::exists(dir.path / "8.log.tmp"));
  REQUIRE(write_n(*w, 99));
  w->flush();
  CHECK(list_segments(dir.str()) == std::vector<uint32_t>{1, 7, 9});
  Reader r(dir.str());
  CHECK(numbers(drain(r)) == std::vector<int64_t>{0, 1, 2, 10, 11, 12, 99});
}

TEST_CASE("dlq reader: a torn last entry stops the reader until it is whole or a newer segment exists", "[dlq]") {
  TempDir dir;
  auto w = open_ok(options(dir.str()));
  for (int i = 0; i < 4; ++i) REQUIRE(write_n(*w, i));
  w->flush();
  const std::string seg1 = segment_path(dir.str(), 1);
  const std::string whole = read_file(seg1);
  fs::resize_file(seg1, whole.size() - 7);
  Reader r(dir.str());
  CHECK(numbers(drain(r)) == range(0, 3));
  Entry e;
  CHECK(r.next(&e) == PollStatus::NoData);  // waits at the torn entry
  const Position at = r.position();
  CHECK(at.segment == 1);
  // The rest of the entry arrives: it is read.
  std::ofstream(seg1, std::ios::binary | std::ios::trunc) << whole;
  CHECK(numbers(drain(r)) == std::vector<int64_t>{3});

  // Torn again, in segment 2; a newer segment 3 makes the reader skip the torn tail.
  REQUIRE(write_n(*w, 4));
  REQUIRE(write_n(*w, 5));
  w->flush();
  const std::string seg2 = segment_path(dir.str(), 2);
  fs::resize_file(seg2, fs::file_size(seg2) - 7);
  CHECK(numbers(drain(r)) == std::vector<int64_t>{4});
  CHECK(r.next(&e) == PollStatus::NoData);
  REQUIRE(write_n(*w, 6));
  w->flush();
  CHECK(numbers(drain(r)) == std::vector<int64_t>{6});
  CHECK(r.skipped_entries() == 1);
}

TEST_CASE("dlq reader: a corrupt record is skipped to the next readable entry", "[dlq]") {
  TempDir dir;
  auto w = open_ok(options(dir.str()));
  for (int i = 0; i < 40; ++i) REQUIRE(write_n(*w, i, 1500));  // about 20 entries per 32 KiB block
  w->flush();
  const std::string seg = segment_path(dir.str(), 1);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('#');
  }
  Reader r(dir.str());
  const auto got = numbers(drain(r));
  REQUIRE(!got.empty());
  CHECK(got.front() > 0);  // the entries that start in the damaged block are lost
  CHECK(got == range(got.front(), 40));
  CHECK(r.skipped_entries() == 1);
}

TEST_CASE("dlq reader: follows a live writer as its flusher seals segments", "[dlq]") {
  TempDir dir;
  WriterOptions o = options(dir.str());
  o.start_flusher = true;
  o.flush_interval = std::chrono::milliseconds(50);
  o.flush_check_interval = std::chrono::milliseconds(20);
  auto w = open_ok(o);
  std::atomic<bool> done{false};
  std::vector<int64_t> got;
  std::thread reader([&] {
    Reader r(dir.str());
    Entry e;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (got.size() < 30 && std::chrono::steady_clock::now() < deadline) {
      if (r.next(&e) == PollStatus::Entry) got.push_back(n_of(*e.event));
      else std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    done = true;
  });
  for (int i = 0; i < 30; ++i) {
    REQUIRE(write_n(*w, i));
    if (i % 10 == 9) std::this_thread::sleep_for(std::chrono::milliseconds(150));  // let the head go stale
  }
  reader.join();
  CHECK(got == range(0, 30));
  CHECK(list_segments(dir.str()).size() >= 3);
}

TEST_CASE("dlq reader: seek by entry time across segments", "[dlq]") {
  TempDir dir;
  FakeClock clock;
  WriterOptions o = options(dir.str());
  o.clock = clock.fn();
  o.max_segment_bytes = 40 * 1024;
  auto w = open_ok(o);
  for (int i = 0; i < 200; ++i) {
    REQUIRE(write_n(*w, i, 700));
    clock.advance_seconds(1);
  }
  w->flush();
  REQUIRE(list_segments(dir.str()).size() >= 3);
  const Timestamp t0 = *Timestamp::parse_iso8601("2025-03-01T00:00:00Z");
  for (int target : {0, 1, 57, 58, 133, 199}) {
    Reader r(dir.str());
    r.seek_timestamp(Timestamp{t0.ns + int64_t{target} * 1'000'000'000 - 500'000'000});
    INFO("target " << target);
    CHECK(numbers(drain(r)) == range(target, 200));
  }
  Reader late(dir.str());
  late.seek_timestamp(Timestamp{t0.ns + int64_t{1000} * 1'000'000'000});
  CHECK(drain(late).empty());
  REQUIRE(write_n(*w, 500));
  w->flush();
  CHECK(numbers(drain(late)) == std::vector<int64_t>{500});
}

TEST_CASE("dlq sincedb: Logstash's layout round trips", "[dlq]") {
  TempDir dir;
  const std::string db = (dir.path / "sincedb").string();
  std::string error;
  CHECK_FALSE(read_sincedb(db, &error));
  REQUIRE(write_sincedb(db, dir.str(), Position{12, 4097}, &error));
  const std::string raw = read_file(db);
  CHECK(raw.substr(0, 2) == std::string("\0" "1", 2));
  CHECK(raw.find(dir.str() + "/12.log") != std::string::npos);
  auto p = read_sincedb(db, &error);
  REQUIRE(p);
  CHECK(*p == Position{12, 4097});
  std::ofstream(db, std::ios::binary) << "garbage!";
  CHECK_FALSE(read_sincedb(db, &error));
  CHECK(error.find("delete it") != std::string::npos);
}

// ---- the dead_letter_queue input -----------------------------------------------------------------

namespace {

using testutil::Options;

// Runs the input until it has pushed `n` events (or the deadline), then stops it.
// `linger` then checks that nothing more arrives.
std::vector<std::unique_ptr<Event>> run_input(const Options& opts, size_t n,
                                              std::chrono::milliseconds linger = std::chrono::milliseconds(0),
                                              std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  auto in = testutil::make<Input>(PluginKind::Input, "dead_letter_queue", opts);
  in->start();
  testutil::CollectingContext ctx;
  std::thread t([&] { in->run(ctx); });
  ctx.wait_for(n, deadline);
  if (linger.count() > 0) std::this_thread::sleep_for(linger);
  in->stop();
  t.join();
  in->close();
  return ctx.take();
}

}  // namespace

TEST_CASE("dlq input: reads the queue with its metadata and resumes from the sincedb", "[dlq]") {
  TempDir dir;
  const std::string queue = (dir.path / "dlq" / "main").string();
  auto w = open_ok(options(queue));
  for (int i = 0; i < 5; ++i) REQUIRE(write_n(*w, i));
  w->flush();
  const Options opts = {{"path", testutil::str((dir.path / "dlq").string())},
                        {"sincedb_path", testutil::str((dir.path / "since").string())}};
  auto first = run_input(opts, 5);
  REQUIRE(first.size() == 5);
  const Event& e = *first[2];
  CHECK(testutil::field(e, "n") == "2");
  CHECK(testutil::field(e, "[@metadata][dead_letter_queue][reason]") == "reason 2");
  CHECK(testutil::field(e, "[@metadata][dead_letter_queue][plugin_type]") == "elasticsearch");
  CHECK(testutil::field(e, "[@metadata][dead_letter_queue][plugin_id]") == "es_out");
  CHECK(Timestamp::parse_iso8601(testutil::field(e, "[@metadata][dead_letter_queue][entry_time]")));
  CHECK(fs::exists(dir.path / "since"));

  // Nothing new: a second run reads nothing.
  CHECK(run_input(opts, 1, std::chrono::milliseconds(0), std::chrono::milliseconds(500)).empty());
  // New entries (a new segment): only they are read.
  for (int i = 5; i < 8; ++i) REQUIRE(write_n(*w, i));
  w->flush();
  auto third = run_input(opts, 3);
  REQUIRE(third.size() == 3);
  CHECK(testutil::field(*third[0], "n") == "5");

  // commit_offsets => false: reads from the saved position, saves nothing.
  for (int i = 8; i < 10; ++i) REQUIRE(write_n(*w, i));
  w->flush();
  Options no_commit = opts;
  no_commit.push_back({"commit_offsets", testutil::boolean(false)});
  CHECK(run_input(no_commit, 2).size() == 2);
  CHECK(run_input(no_commit, 2).size() == 2);
}

TEST_CASE("dlq input: start_timestamp starts at the first entry written at or after it", "[dlq]") {
  TempDir dir;
  FakeClock clock;
  WriterOptions o = options((dir.path / "main").string());
  o.clock = clock.fn();
  auto w = open_ok(o);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(write_n(*w, i));
    clock.advance_seconds(60);
  }
  w->flush();
  const Options opts = {{"path", testutil::str(dir.str())},
                        {"commit_offsets", testutil::boolean(false)},
                        {"start_timestamp", testutil::str("2025-03-01T00:04:30")}};
  auto got = run_input(opts, 5, std::chrono::milliseconds(200));
  REQUIRE(got.size() == 5);
  CHECK(testutil::field(*got[0], "n") == "5");
}

TEST_CASE("dlq input: option errors name the option", "[dlq]") {
  TempDir dir;
  auto build = [&](const Options& opts) -> std::string {
    PluginConfig cfg = testutil::config(PluginKind::Input, "dead_letter_queue", opts);
    try {
      Registry::builtin().find(PluginKind::Input, "dead_letter_queue")->factory(cfg);
    } catch (const PluginConfigError& e) {
      return e.option + ": " + e.what();
    }
    return "";
  };
  const ConfigValue path = testutil::str(dir.str());
  CHECK(build({{"path", path}, {"commit_offsets", testutil::boolean(false)}, {"clean_consumed", testutil::boolean(true)}}) ==
        "clean_consumed: enabling clean_consumed requires commit_offsets to also be enabled");
  CHECK(build({{"path", path}, {"commit_offsets", testutil::boolean(false)}, {"start_timestamp", testutil::str("yesterday")}})
            .rfind("start_timestamp: ", 0) == 0);
  CHECK(build({{"path", path}, {"sincedb_path", path}}).find("must point to a file") != std::string::npos);
  // No path.data to keep the sincedb in: built (so that -t accepts it), refused at start.
  CHECK(build({{"path", path}}).empty());
  auto no_data = testutil::make<Input>(PluginKind::Input, "dead_letter_queue", {{"path", path}});
  CHECK_THROWS_WITH(no_data->start(), Catch::Contains("set sincedb_path, or path.data"));
  PluginConfig cfg = testutil::config(PluginKind::Input, "dead_letter_queue", {{"path", path}});
  cfg.path_data = (dir.path / "data").string();
  CHECK(Registry::builtin().find(PluginKind::Input, "dead_letter_queue")->factory(cfg));
}

TEST_CASE("dlq input: clean_consumed deletes segments once read", "[dlq]") {
  TempDir dir;
  const std::string queue = (dir.path / "main").string();
  WriterOptions o = options(queue);
  o.max_segment_bytes = 16 * 1024;
  auto w = open_ok(o);
  for (int i = 0; i < 20; ++i) REQUIRE(write_n(*w, i, 2000));
  w->flush();
  const auto before = list_segments(queue);
  REQUIRE(before.size() >= 3);
  const Options opts = {{"path", testutil::str(dir.str())},
                        {"sincedb_path", testutil::str((dir.path / "since").string())},
                        {"clean_consumed", testutil::boolean(true)}};
  auto got = run_input(opts, 20, std::chrono::milliseconds(300));
  CHECK(got.size() == 20);
  CHECK(list_segments(queue) == std::vector<uint32_t>{before.back()});  // the last one is still being read
  w->flush_check();
  CHECK(w->stats().queue_size_in_bytes == fs::file_size(segment_path(queue, before.back())));
}
