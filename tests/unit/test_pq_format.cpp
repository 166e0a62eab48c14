// The persisted queue's byte formats: the event codec (exact round trips, hostile input), records and
// the page scan (torn, zeroed and corrupt pages), the checkpoint codec.
#include <catch2/catch.hpp>

#include "event_test_util.hpp"
#include "queue/event_codec.hpp"
#include "queue/page_format.hpp"
#include "queue/page_io.hpp"

#include <cmath>
#include <cstring>
#include <limits>

using namespace sluice;
using namespace sluice::pq;

namespace {

FieldRef R(const char* s) {
  auto r = FieldRef::parse(s);
  REQUIRE(r);
  return *r;
}

// Structural equality that also tells integer from unsigned from double, and compares doubles bit
// for bit (JSON text would print 1.0 and 1 alike in some writers, and NaN not at all).
bool same(const Value& a, const Value& b) {
  if (a.GetType() != b.GetType()) return false;
  switch (a.GetType()) {
    case rapidjson::kNumberType: {
      if (a.IsInt64() != b.IsInt64() || a.IsUint64() != b.IsUint64() || a.IsDouble() != b.IsDouble() ||
          a.IsInt() != b.IsInt() || a.IsUint() != b.IsUint())
        return false;
      if (a.IsDouble()) {
        const double x = a.GetDouble(), y = b.GetDouble();
        return std::memcmp(&x, &y, sizeof x) == 0;
      }
      return a.IsInt64() ? a.GetInt64() == b.GetInt64() : a.GetUint64() == b.GetUint64();
    }
    case rapidjson::kStringType:
      return as_view(a) == as_view(b);
    case rapidjson::kArrayType:
      if (a.Size() != b.Size()) return false;
      for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
        if (!same(a[i], b[i])) return false;
      }
      return true;
    case rapidjson::kObjectType: {
      if (a.MemberCount() != b.MemberCount()) return false;
      auto x = a.MemberBegin();
      auto y = b.MemberBegin();
      for (; x != a.MemberEnd(); ++x, ++y) {
        if (as_view(x->name) != as_view(y->name) || !same(x->value, y->value)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

std::unique_ptr<Event> round_trip(const Event& e) {
  std::string bytes;
  REQUIRE(encode_event(e, bytes) == EncodeStatus::Ok);
  std::string err;
  auto back = decode_event(bytes, &err);
  INFO(err);
  REQUIRE(back);
  return back;
}

void require_same_event(const Event& a, const Event& b) {
  CHECK(same(a.data(), b.data()));
  CHECK(same(a.metadata(), b.metadata()));
  CHECK(a.timestamp() == b.timestamp());
  CHECK(a.to_json() == b.to_json());
}

std::unique_ptr<Event> rich_event() {
  auto e = testutil::event_from_json(R"({
    "@timestamp": "2025-03-01T12:34:56.123456789Z",
    "message": "héllo wörld ✓",
    "n": 0, "neg": -9223372036854775808, "max": 9223372036854775807, "u": 18446744073709551615,
    "small": -1, "big32": 4294967296, "d": 1.0, "e": 1.5e300, "tiny": 5e-324, "negzero": -0.0,
    "t": true, "f": false, "nil": null, "empty_s": "", "empty_a": [], "empty_o": {},
    "nested": {"a": [1, "two", 3.5, [null, {"deep": {"deeper": [true]}}]], "b": {"c": {"d": "e"}}},
    "tags": ["x", "y"],
    "@metadata": {"beat": "filebeat", "ids": [1, 2], "o": {"k": null}}
  })");
  // A string with NUL and high bytes, set directly (JSON text could not carry the raw bytes).
  const char raw[] = {'a', '\0', 'b', '\xff', '\x01'};
  REQUIRE(e->set_string(R("[bin]"), std::string_view(raw, sizeof raw)) == SetResult::Ok);
  // A NaN and infinities: values filters may produce though JSON cannot.
  REQUIRE(e->set(R("[nan]"), Value(std::numeric_limits<double>::quiet_NaN())) == SetResult::Ok);
  REQUIRE(e->set(R("[inf]"), Value(-std::numeric_limits<double>::infinity())) == SetResult::Ok);
  return e;
}

}  // namespace

TEST_CASE("pq codec: every value type, @metadata, tags and nanosecond @timestamp round-trip exactly", "[pq]") {
  auto e = rich_event();
  REQUIRE(e->timestamp());
  CHECK(e->timestamp()->ns % 1000 == 789);  // nanoseconds survive, not just the printed millis
  auto back = round_trip(*e);
  require_same_event(*e, *back);
  CHECK(back->has_tag("y"));
  const Value* bin = back->get(R("[bin]"));
  REQUIRE(bin);
  CHECK(as_view(*bin) == std::string_view("a\0b\xff\x01", 5));
  CHECK(std::isnan(back->get(R("[nan]"))->GetDouble()));
  CHECK(back->get(R("[u]"))->IsUint64());
  CHECK_FALSE(back->get(R("[u]"))->IsInt64());
  CHECK(back->get(R("[d]"))->IsDouble());
  CHECK(std::signbit(back->get(R("[negzero]"))->GetDouble()));
  // The decoded event is a normal event: it can be changed and cloned.
  REQUIRE(back->set_string(R("[added]"), "yes") == SetResult::Ok);
  CHECK(back->clone()->to_json() == back->to_json());
}

TEST_CASE("pq codec: an event without @timestamp stays without one; member order is kept", "[pq]") {
  auto e = testutil::event_from_json(R"({"z": 1, "a": 2, "m": {"y": 1, "b": 2}})");
  REQUIRE(e->remove(R("[@timestamp]")));
  REQUIRE_FALSE(e->timestamp());
  auto back = round_trip(*e);
  CHECK_FALSE(back->timestamp());
  CHECK(back->to_json() == e->to_json());
  CHECK(back->to_json() == R"({"z":1,"a":2,"m":{"y":1,"b":2},"@version":"1"})");
}

TEST_CASE("pq codec: nesting beyond the cap is refused when writing and when reading", "[pq]") {
  Event e(Timestamp::from_seconds(0));
  {
    Value v(rapidjson::kArrayType);
    for (int i = 0; i < kMaxEventDepth + 5; ++i) {
      Value outer(rapidjson::kArrayType);
      outer.PushBack(v, e.allocator());
      v = std::move(outer);
    }
    REQUIRE(e.set(R("[deep]"), std::move(v)) == SetResult::Ok);
  }
  std::string bytes = "prefix";
  CHECK(encode_event(e, bytes) == EncodeStatus::TooDeep);
  CHECK(bytes == "prefix");  // nothing half-written is left behind

  // Hand-made bytes: an object holding arrays nested far deeper than the cap.
  std::string deep = {static_cast<char>(kEventCodecVersion), 0, 8, 1, 1, 'k'};
  for (int i = 0; i < 100000; ++i) deep += "\x07\x01";
  std::string err;
  CHECK_FALSE(decode_event(deep, &err));
  CHECK(err.find("deeper") != std::string::npos);
}

TEST_CASE("pq codec: every truncation and byte flip of an encoding is rejected or decoded, never crashes", "[pq]") {
  auto e = rich_event();
  std::string bytes;
  REQUIRE(encode_event(*e, bytes) == EncodeStatus::Ok);
  std::string err;
  for (size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(decode_event(std::string_view(bytes.data(), n), &err));
    CHECK_FALSE(err.empty());
  }
  CHECK_FALSE(decode_event(bytes + "x", &err));
  CHECK(err == "1 bytes follow the event");
  size_t decoded = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    if (decode_event(flipped, &err)) ++decoded;
  }
  CHECK(decoded < bytes.size());  // most flips land in string bytes and still decode; structure flips do not
  // Lying counts are refused before any allocation.
  const std::string huge = {static_cast<char>(kEventCodecVersion), 0, 8, '\xff', '\xff', '\xff', '\xff', '\x0f'};
  CHECK_FALSE(decode_event(huge, &err));
  CHECK(err == "a container count exceeds the bytes left");
}

// ---- records and pages -------------------------------------------------------------------------------

namespace {

// A page image with `n` records whose payloads are "record-<i>", first seq `min_seq`.
std::string make_page(uint32_t num, uint64_t min_seq, int n, std::vector<uint64_t>* offsets = nullptr) {
  std::string page(kPageHeaderSize, '\0');
  encode_page_header(PageHeader{num, min_seq}, reinterpret_cast<uint8_t*>(page.data()));
  for (int i = 0; i < n; ++i) {
    const std::string payload = "record-" + std::to_string(i);
    if (offsets) offsets->push_back(page.size());
    uint8_t hdr[kRecordHeaderSize];
    const uint64_t seq = min_seq + static_cast<uint64_t>(i);
    const auto len = static_cast<uint32_t>(payload.size());
    encode_record_header(hdr, len, record_crc(crc32(0, payload.data(), len), seq, len), seq);
    page.append(reinterpret_cast<const char*>(hdr), sizeof hdr);
    page += payload;
  }
  return page;
}

Bytes bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

}  // namespace

TEST_CASE("pq page: a clean page scans completely", "[pq]") {
  const std::string page = make_page(7, 100, 5);
  const ScanResult r = scan_page(bytes_of(page), 7);
  CHECK(r.end == ScanEnd::Clean);
  CHECK(r.records == 5);
  CHECK(r.header.min_seq == 100);
  CHECK(r.valid_bytes == page.size());
  CHECK(r.reason.empty());
  // The file name and the header must agree.
  CHECK(scan_page(bytes_of(page), 8).end == ScanEnd::BadHeader);
}

TEST_CASE("pq page: truncation at every byte offset keeps exactly the complete records", "[pq]") {
  std::vector<uint64_t> offsets;
  const std::string page = make_page(1, 1, 4, &offsets);
  offsets.push_back(page.size());
  for (size_t cut = 0; cut < page.size(); ++cut) {
    const ScanResult r = scan_page(bytes_of(page.substr(0, cut)), 1);
    if (cut < kPageHeaderSize) {
      CHECK(r.end == ScanEnd::BadHeader);
      continue;
    }
    uint32_t complete = 0;
    while (complete < 4 && offsets[complete + 1] <= cut) ++complete;
    INFO("cut at " << cut);
    CHECK(r.records == complete);
    CHECK(r.end == (cut == offsets[complete] ? ScanEnd::Clean : ScanEnd::Torn));
    CHECK(r.valid_bytes == offsets[complete]);
  }
}

TEST_CASE("pq page: a zeroed tail is torn, a flipped byte is corrupt, a bad header is unusable", "[pq]") {
  std::vector<uint64_t> offsets;
  std::string page = make_page(3, 10, 4, &offsets);
  const std::string zeroed = page + std::string(100, '\0');
  ScanResult r = scan_page(bytes_of(zeroed), 3);
  CHECK(r.end == ScanEnd::Torn);
  CHECK(r.records == 4);

  std::string flipped = page;
  flipped[offsets[2] + kRecordHeaderSize + 1] ^= 0x01;  // payload of the third record
  r = scan_page(bytes_of(flipped), 3);
  CHECK(r.end == ScanEnd::Corrupt);
  CHECK(r.records == 2);
  CHECK(r.valid_bytes == offsets[2]);
  CHECK(r.reason == "a record whose checksum does not match at offset " + std::to_string(offsets[2]));

  std::string bad_header = page;
  bad_header[12] ^= 0x01;
  r = scan_page(bytes_of(bad_header), 3);
  CHECK(r.end == ScanEnd::BadHeader);
  CHECK(r.reason == "the page header checksum does not match");

  // A valid record out of sequence (pages glued together wrongly) stops the scan too.
  const std::string other = make_page(3, 50, 1);
  const std::string glued = page + other.substr(kPageHeaderSize);
  r = scan_page(bytes_of(glued), 3);
  CHECK(r.end == ScanEnd::Corrupt);
  CHECK(r.records == 4);
  CHECK(r.reason.find("expected 14") != std::string::npos);
}

TEST_CASE("pq page: file names", "[pq]") {
  uint32_t n = 0;
  CHECK(page_file_name(42) == "page.42");
  CHECK(parse_page_file_name("page.42", &n));
  CHECK(n == 42);
  CHECK(parse_page_file_name("page.7.damaged", &n, ".damaged"));
  CHECK(n == 7);
  CHECK_FALSE(parse_page_file_name("page.7.damaged", &n));
  CHECK_FALSE(parse_page_file_name("page.", &n));
  CHECK_FALSE(parse_page_file_name("page.01", &n));
  CHECK_FALSE(parse_page_file_name("page.4294967296", &n));
  CHECK_FALSE(parse_page_file_name("page.x", &n));
  CHECK_FALSE(parse_page_file_name("checkpoint", &n));
}

// ---- checkpoint ------------------------------------------------------------------------------------

TEST_CASE("pq checkpoint: round trip; truncated, flipped and inconsistent files are refused", "[pq]") {
  Checkpoint c;
  c.next_seq = 501;
  c.next_page_num = 9;
  c.pages.push_back({4, true, 100, 200, 9000, 150});
  c.pages.push_back({8, false, 300, 150, 7000, 300});
  const std::string bytes = encode_checkpoint(c);
  Checkpoint d;
  std::string why;
  REQUIRE(decode_checkpoint(bytes_of(bytes), &d, &why) == CheckpointStatus::Ok);
  REQUIRE(d.pages.size() == 2);
  CHECK(d.next_seq == 501);
  CHECK(d.next_page_num == 9);
  CHECK(d.pages[0].sealed);
  CHECK_FALSE(d.pages[1].sealed);
  CHECK(d.pages[0].first_unacked_seq == 150);
  CHECK(d.pages[1].bytes == 7000);

  for (size_t n = 0; n < bytes.size(); ++n) {
    CHECK(decode_checkpoint(bytes_of(bytes.substr(0, n)), &d, &why) == CheckpointStatus::Short);
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] ^= 0x10;
    CHECK(decode_checkpoint(bytes_of(flipped), &d, &why) != CheckpointStatus::Ok);
  }
  Checkpoint bad = c;
  bad.pages[1].min_seq = 250;  // overlaps page 4's records
  CHECK(decode_checkpoint(bytes_of(encode_checkpoint(bad)), &d, &why) == CheckpointStatus::Inconsistent);
  CHECK(why.find("page 8") != std::string::npos);
}
