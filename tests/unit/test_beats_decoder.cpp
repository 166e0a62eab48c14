// Lumberjack frame decoder: wire bytes in, windows or a closed error out.
#include "plugins/inputs/beats/decoder.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <string>
#include <utility>
#include <vector>

using namespace sluice::beats;

namespace {

std::string be(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24);
  s[1] = static_cast<char>(v >> 16);
  s[2] = static_cast<char>(v >> 8);
  s[3] = static_cast<char>(v);
  return s;
}
std::string W(uint32_t n, char v = '2') { return std::string{v, 'W'} + be(n); }
std::string J(uint32_t seq, std::string_view json) {
  return std::string{'2', 'J'} + be(seq) + be(static_cast<uint32_t>(json.size())) + std::string(json);
}
std::string D(uint32_t seq, const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string s = std::string{'1', 'D'} + be(seq) + be(static_cast<uint32_t>(kv.size()));
  for (const auto& [k, v] : kv) s += be(static_cast<uint32_t>(k.size())) + k + be(static_cast<uint32_t>(v.size())) + v;
  return s;
}
std::string zlib(std::string_view raw, int level = 3) {
  uLongf n = compressBound(raw.size());
  std::string out(n, '\0');
  REQUIRE(compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(raw.data()), raw.size(),
                    level) == Z_OK);
  out.resize(n);
  return out;
}
std::string C(std::string_view inner, int level = 3, char v = '2') {
  std::string z = zlib(inner, level);
  return std::string{v, 'C'} + be(static_cast<uint32_t>(z.size())) + z;
}

struct Result {
  std::vector<Window> windows;
  DecodeError error = DecodeError::None;
  std::string message;
  bool need_more = false;
};

Result run(FrameDecoder& d) {
  Result r;
  for (;;) {
    Window w;
    const DecodeStatus s = d.next(w);
    if (s == DecodeStatus::Window) {
      r.windows.push_back(std::move(w));
      continue;
    }
    if (s == DecodeStatus::Error) {
      r.error = d.error();
      r.message = d.error_message();
    } else {
      r.need_more = true;
    }
    return r;
  }
}

Result decode(std::string_view bytes, DecoderLimits limits = {}) {
  FrameDecoder d(limits);
  d.feed(bytes);
  return run(d);
}

Result decode_bytewise(std::string_view bytes, DecoderLimits limits = {}) {
  FrameDecoder d(limits);
  Result all;
  for (char c : bytes) {
    d.feed(std::string_view(&c, 1));
    Result r = run(d);
    for (auto& w : r.windows) all.windows.push_back(std::move(w));
    if (r.error != DecodeError::None) {
      all.error = r.error;
      all.message = r.message;
      return all;
    }
  }
  all.need_more = true;
  return all;
}

std::vector<std::string> payloads(const Window& w) {
  std::vector<std::string> out;
  for (const auto& m : w.messages) out.emplace_back(w.payload(m));
  return out;
}

const std::string kHello = R"({"message":"hello"})";
const std::string kWorld = R"({"message":"world"})";

}  // namespace

TEST_CASE("beats decoder: go-lumber's uncompressed window (golden bytes)", "[beats]") {
  const std::string wire = W(2) + J(1, kHello) + J(2, kWorld);
  REQUIRE(wire.size() == 64);
  CHECK(wire.substr(0, 16) == std::string("\x32\x57\x00\x00\x00\x02\x32\x4a\x00\x00\x00\x01\x00\x00\x00\x13", 16));
  for (auto r : {decode(wire), decode_bytewise(wire)}) {
    REQUIRE(r.error == DecodeError::None);
    REQUIRE(r.windows.size() == 1);
    const Window& w = r.windows[0];
    CHECK(w.version == 2);
    CHECK(w.count == 2);
    CHECK(w.last_seq == 2);
    CHECK(payloads(w) == std::vector<std::string>{kHello, kWorld});
    CHECK(r.need_more);
  }
}

TEST_CASE("beats decoder: go-lumber's compressed window (golden bytes, stored block)", "[beats]") {
  // The 83 bytes go-lumber v0.2.0 writes at compression level 3 for the two events above.
  const std::string plain = J(1, kHello) + J(2, kWorld);
  std::string wire = W(2) + std::string("\x32\x43\x00\x00\x00\x47\x78\x5e\x00\x3a\x00\xc5\xff", 13) + plain +
                     std::string("\x03\x00\x79\xa4\x0e\x9c", 6);
  REQUIRE(wire.size() == 83);
  for (auto r : {decode(wire), decode_bytewise(wire)}) {
    REQUIRE(r.error == DecodeError::None);
    REQUIRE(r.windows.size() == 1);
    CHECK(r.windows[0].last_seq == 2);
    CHECK(payloads(r.windows[0]) == std::vector<std::string>{kHello, kWorld});
  }
}

TEST_CASE("beats decoder: compressed windows at every level, fed byte by byte", "[beats]") {
  std::string inner;
  std::vector<std::string> expect;
  for (uint32_t i = 1; i <= 50; ++i) {
    expect.push_back(R"({"message":"line )" + std::to_string(i) + R"(","n":)" + std::to_string(i) + "}");
    inner += J(i, expect.back());
  }
  for (int level : {1, 3, 9}) {
    const std::string wire = W(50) + C(inner, level) + W(1) + J(1, kHello);
    auto r = decode_bytewise(wire);
    REQUIRE(r.error == DecodeError::None);
    REQUIRE(r.windows.size() == 2);
    CHECK(payloads(r.windows[0]) == expect);
    CHECK(r.windows[0].last_seq == 50);
    CHECK(payloads(r.windows[1]) == std::vector<std::string>{kHello});
  }
}

TEST_CASE("beats decoder: pipelined windows and prepare/commit", "[beats]") {
  const std::string wire = W(1) + J(1, kHello) + W(1) + C(J(1, kWorld)) + W(2) + J(1, kHello) + J(2, kWorld);
  FrameDecoder d;
  // Write through prepare/commit in uneven pieces, preparing more than is written.
  size_t at = 0;
  std::vector<Window> got;
  while (at < wire.size()) {
    const size_t n = std::min<size_t>(7, wire.size() - at);
    auto area = d.prepare(64);
    std::copy_n(wire.data() + at, n, area.data());
    d.commit(n);
    at += n;
    for (;;) {
      Window w;
      const auto s = d.next(w);
      REQUIRE(s != DecodeStatus::Error);
      if (s == DecodeStatus::NeedMore) break;
      got.push_back(std::move(w));
    }
  }
  REQUIRE(got.size() == 3);
  CHECK(payloads(got[1]) == std::vector<std::string>{kWorld});
  CHECK(got[2].last_seq == 2);
  CHECK_FALSE(d.mid_window());
}

TEST_CASE("beats decoder: the reference servers' accepted shapes", "[beats]") {
  SECTION("C and plain J mixed, several C frames per window") {
    auto r = decode(W(3) + C(J(1, kHello)) + J(2, kWorld) + C(J(3, kHello)));
    REQUIRE(r.windows.size() == 1);
    CHECK(payloads(r.windows[0]) == std::vector<std::string>{kHello, kWorld, kHello});
  }
  SECTION("C inside C (one nested level)") {
    auto r = decode(W(2) + C(C(J(1, kHello) + J(2, kWorld))));
    REQUIRE(r.error == DecodeError::None);
    REQUIRE(r.windows.size() == 1);
    CHECK(payloads(r.windows[0]) == std::vector<std::string>{kHello, kWorld});
  }
  SECTION("W inside C, and one C carrying two windows") {
    auto r = decode(C(W(1) + J(1, kHello) + W(2) + J(1, kWorld) + J(2, kHello)));
    REQUIRE(r.error == DecodeError::None);
    REQUIRE(r.windows.size() == 2);
    CHECK(payloads(r.windows[1]) == std::vector<std::string>{kWorld, kHello});
  }
  SECTION("a window spanning the end of one C frame and a plain frame") {
    auto r = decode(C(W(2) + J(1, kHello)) + J(2, kWorld));
    REQUIRE(r.windows.size() == 1);
    CHECK(payloads(r.windows[0]) == std::vector<std::string>{kHello, kWorld});
  }
  SECTION("empty windows") {
    auto r = decode(W(0) + W(1) + J(1, kHello));
    REQUIRE(r.windows.size() == 2);
    CHECK(r.windows[0].count == 0);
    CHECK(r.windows[0].last_seq == 0);
    CHECK(r.windows[1].last_seq == 1);
  }
  SECTION("sequence numbers are not validated; the ACK carries the highest") {
    CHECK(decode(W(2) + J(5, kHello) + J(9, kWorld)).windows.at(0).last_seq == 9);
    CHECK(decode(W(2) + J(9, kHello) + J(5, kWorld)).windows.at(0).last_seq == 9);
    CHECK(decode(W(2) + J(0, kHello) + J(1, kWorld)).windows.at(0).last_seq == 1);
  }
  SECTION("trailing bytes after the zlib stream inside a C frame are ignored") {
    std::string z = zlib(J(1, kHello)) + "junk";
    auto r = decode(W(1) + std::string{'2', 'C'} + be(static_cast<uint32_t>(z.size())) + z);
    REQUIRE(r.error == DecodeError::None);
    CHECK(r.windows.size() == 1);
  }
}

TEST_CASE("beats decoder: protocol v1 key/value frames", "[beats]") {
  const std::string wire = W(2, '1') + D(1, {{"line", "hello"}, {"file", "/var/log/a"}}) +
                           C(D(2, {{"line", std::string("caf\xc3\xa9")}, {"", ""}}), 3, '1');
  for (auto r : {decode(wire), decode_bytewise(wire)}) {
    REQUIRE(r.error == DecodeError::None);
    REQUIRE(r.windows.size() == 1);
    const Window& w = r.windows[0];
    CHECK(w.version == 1);
    CHECK(w.last_seq == 2);
    std::vector<std::pair<std::string, std::string>> kv;
    for (const auto& m : w.messages)
      for_each_pair(w.payload(m), m.pairs, [&](std::string_view k, std::string_view v) { kv.emplace_back(k, v); });
    CHECK(kv == std::vector<std::pair<std::string, std::string>>{
                    {"line", "hello"}, {"file", "/var/log/a"}, {"line", "caf\xc3\xa9"}, {"", ""}});
  }
}

TEST_CASE("beats decoder: ACK frames", "[beats]") {
  CHECK(ack_frame(2, 2) == std::string("2A\0\0\0\x02", 6));
  CHECK(ack_frame(1, 1) == std::string("1A\0\0\0\x01", 6));
  CHECK(ack_frame(2, 0x01020304) == std::string("2A\x01\x02\x03\x04", 6));
}

TEST_CASE("beats decoder: hostile input closes with a reason", "[beats]") {
  struct Case {
    const char* name;
    std::string wire;
    DecodeError error;
    DecoderLimits limits{};
    size_t windows_before = 0;  // complete windows decoded before the offending frame
  };
  DecoderLimits small;
  small.max_window_bytes = 1000;
  small.max_frame_bytes = 4096;
  small.max_window_events = 100;
  std::string bomb_inner = W(1) + J(1, std::string(3000, ' ') + "{}");  // a valid frame, inflating past 1000
  std::string bad_zlib = "\x78\x5e\xde\xad\xbe\xef\x00\x11";
  std::string truncated_z = zlib(J(1, kHello)).substr(0, 10);
  const std::vector<Case> cases = {
      {"bad version byte", "XW" + be(1), DecodeError::BadVersion},
      {"TLS ClientHello on a plain port", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
       DecodeError::BadVersion},
      {"unknown frame type", "2Z" + be(1), DecodeError::UnknownFrameType},
      {"ACK frame from the client", W(1) + "2A" + be(1), DecodeError::UnknownFrameType},
      {"J without W", J(1, kHello), DecodeError::UnexpectedFrame},
      {"W inside an incomplete window", W(2) + J(1, kHello) + W(1), DecodeError::UnexpectedFrame},
      {"more events than announced", W(1) + C(J(1, kHello) + J(2, kWorld)), DecodeError::UnexpectedFrame, {}, 1},
      {"D in a v2 window", W(1) + D(1, {{"a", "b"}}), DecodeError::VersionMismatch},
      {"J in a v1 window", W(1, '1') + J(1, kHello), DecodeError::VersionMismatch},
      {"J of length 0", W(1) + J(1, ""), DecodeError::EmptyPayload},
      {"D without pairs", W(1, '1') + D(1, {}), DecodeError::EmptyPayload},
      {"C of length 0", W(1) + "2C" + be(0), DecodeError::EmptyPayload},
      {"J of length 2^31, rejected before its body", W(1) + "2J" + be(1) + be(0x80000000u),
       DecodeError::FrameTooLarge},
      {"C of length 2^32-1", W(1) + "2C" + be(0xffffffffu), DecodeError::FrameTooLarge},
      {"D with a huge value", W(1, '1') + "1D" + be(1) + be(1) + be(1) + "k" + be(0xfffffff0u),
       DecodeError::FrameTooLarge},
      {"window of 2^32-1 events", W(0xffffffffu), DecodeError::WindowTooLarge},
      {"window over the configured maximum", W(101), DecodeError::WindowTooLarge, small},
      {"corrupt zlib", W(1) + "2C" + be(static_cast<uint32_t>(bad_zlib.size())) + bad_zlib,
       DecodeError::BadCompression},
      {"zlib stream cut short", W(1) + "2C" + be(static_cast<uint32_t>(truncated_z.size())) + truncated_z,
       DecodeError::BadCompression},
      {"inflated data ends mid-frame", W(1) + C(J(1, kHello).substr(0, 15)), DecodeError::TruncatedCompressed},
      {"decompression bomb", C(bomb_inner, 9), DecodeError::InflatedTooLarge, small},
      {"C nested three deep", W(1) + C(C(C(J(1, kHello)))), DecodeError::CompressionTooDeep},
      {"window payload over the limit", W(3) + J(1, std::string(600, 'x')) + J(2, std::string(600, 'x')),
       DecodeError::WindowBytesExceeded, small},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = decode(c.wire, c.limits);
    CHECK(r.windows.size() == c.windows_before);
    CHECK(r.error == c.error);
    CHECK_FALSE(r.message.empty());
    auto b = decode_bytewise(c.wire, c.limits);
    CHECK(b.error == c.error);
  }
  // The messages name the offending value as Logstash does.
  CHECK(decode("XW" + be(1)).message == "Invalid version of beats protocol: 88 ('X')");
  CHECK(decode("2Z" + be(1)).message == "Invalid frame type: 90 ('Z')");
}

TEST_CASE("beats decoder: a failed decoder stays failed; truncated input is need-more", "[beats]") {
  FrameDecoder d;
  d.feed(W(2) + J(1, kHello) + J(2, kWorld).substr(0, 12));
  Window w;
  CHECK(d.next(w) == DecodeStatus::NeedMore);
  CHECK(d.mid_window());
  d.feed("??");
  // The rest of frame 2 is still missing, so nothing is wrong yet.
  CHECK(d.next(w) == DecodeStatus::NeedMore);

  // A prepared but uncommitted area (a socket read in flight) is not data.
  FrameDecoder pending;
  auto area = pending.prepare(100);
  std::fill(area.begin(), area.end(), 'X');
  CHECK(pending.next(w) == DecodeStatus::NeedMore);
  pending.commit(0);
  CHECK(pending.next(w) == DecodeStatus::NeedMore);
  CHECK(pending.buffered() == 0);

  FrameDecoder bad;
  bad.feed("2Q");
  CHECK(bad.next(w) == DecodeStatus::Error);
  bad.feed(W(1) + J(1, kHello));
  CHECK(bad.next(w) == DecodeStatus::Error);
  CHECK(bad.error() == DecodeError::UnknownFrameType);
}

TEST_CASE("beats decoder: a D frame arriving in many pieces is scanned once", "[beats]") {
  std::vector<std::pair<std::string, std::string>> kv;
  for (int i = 0; i < 2000; ++i) kv.emplace_back("k" + std::to_string(i), std::string(10, 'v'));
  const std::string wire = W(1, '1') + D(7, kv);
  FrameDecoder d;
  Window w;
  size_t at = 0;
  bool got = false;
  while (at < wire.size()) {
    const size_t n = std::min<size_t>(13, wire.size() - at);
    d.feed(std::string_view(wire).substr(at, n));
    at += n;
    const auto s = d.next(w);
    REQUIRE(s != DecodeStatus::Error);
    if (s == DecodeStatus::Window) got = true;
  }
  REQUIRE(got);
  CHECK(w.last_seq == 7);
  CHECK(w.messages.at(0).pairs == 2000);
}

// ---- streaming inflate and the memory budget ------------------------------------------------------

namespace {

// Streaming zlib compression: the inflated data never needs to be held.
class Deflater {
 public:
  explicit Deflater(int level) { REQUIRE(deflateInit(&zs_, level) == Z_OK); }
  ~Deflater() { deflateEnd(&zs_); }
  void add(std::string_view bytes) { run(bytes, Z_NO_FLUSH); }
  std::string finish() {
    run({}, Z_FINISH);
    return std::move(out_);
  }

 private:
  void run(std::string_view bytes, int flush) {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    zs_.avail_in = static_cast<uInt>(bytes.size());
    char buf[1 << 16];
    int rc;
    do {
      zs_.next_out = reinterpret_cast<Bytef*>(buf);
      zs_.avail_out = sizeof buf;
      rc = deflate(&zs_, flush);
      out_.append(buf, sizeof buf - zs_.avail_out);
    } while (zs_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  z_stream zs_{};
  std::string out_;
};

// zlib of `n` bytes of `fill`.
std::string zlib_of_fill(uint64_t n, char fill) {
  Deflater d(9);
  const std::string block(1 << 16, fill);
  for (uint64_t done = 0; done < n; done += block.size())
    d.add(std::string_view(block).substr(0, static_cast<size_t>(std::min<uint64_t>(block.size(), n - done))));
  return d.finish();
}

std::string C_raw(std::string_view z, char v = '2') {
  return std::string{v, 'C'} + be(static_cast<uint32_t>(z.size())) + std::string(z);
}

// A JSON object of exactly `n` bytes ({"m":"xxx..."}).
std::string json_of(size_t n, char c = 'x') {
  REQUIRE(n >= 8);
  return "{\"m\":\"" + std::string(n - 8, c) + "\"}";
}

struct Budget {
  explicit Budget(uint64_t conn_limit, uint64_t pool_limit = 1ull << 40, uint64_t floor = 4ull << 20)
      : pool(std::make_shared<MemoryPool>(pool_limit, pool_limit / 4)),
        account(std::make_shared<MemoryAccount>(pool, conn_limit, floor)) {}
  std::shared_ptr<MemoryPool> pool;
  std::shared_ptr<MemoryAccount> account;
};

}  // namespace

TEST_CASE("beats decoder: a bomb of zeros fails at its first frame header, inflating little", "[beats]") {
  const std::string bomb = zlib_of_fill(64ull << 20, '\0');  // ~64 KB inflating to 64 MiB
  for (const std::string& wire : {W(1) + C_raw(bomb), C_raw(bomb)}) {
    Budget b(64ull << 20);
    FrameDecoder d(DecoderLimits{}, b.account);
    d.feed(wire);
    auto r = run(d);
    CHECK(r.error == DecodeError::BadVersion);
    CHECK(d.inflated_total() < (1u << 20));
    CHECK(b.account->used() < (1u << 20));  // never held more than a chunk and the zlib state
  }
}

TEST_CASE("beats decoder: a bomb of valid frames stops at the cap", "[beats]") {
  // One window of 1000 events of 64 KiB each: 64 MiB inflated from about 70 KB.
  std::string z;
  {
    Deflater def(1);
    def.add(W(1000));
    const std::string ev = json_of(64 * 1024, ' ');
    for (uint32_t i = 1; i <= 1000; ++i) def.add(J(i, ev));
    z = def.finish();
  }
  REQUIRE(z.size() < (1u << 20));
  SECTION("the window payload limit (max_window_bytes)") {
    DecoderLimits lim;
    lim.max_window_bytes = 8ull << 20;
    Budget b(64ull << 20);
    FrameDecoder d(lim, b.account);
    d.feed(C_raw(z));
    auto r = run(d);
    CHECK((r.error == DecodeError::WindowBytesExceeded || r.error == DecodeError::InflatedTooLarge));
    CHECK(d.inflated_total() <= lim.max_window_bytes + (128u << 10));
    CHECK(b.account->used() <= lim.max_window_bytes + (1u << 20));
  }
  SECTION("the connection's memory limit: Blocked, nothing more is taken, then fail_memory") {
    Budget b(6ull << 20);
    FrameDecoder d(DecoderLimits{}, b.account);
    d.feed(C_raw(z));
    Window w;
    CHECK(d.next(w) == DecodeStatus::Blocked);
    CHECK(d.refusal() == MemoryRefusal::Connection);
    CHECK(b.account->used() <= (6u << 20));
    const uint64_t inflated = d.inflated_total();
    CHECK(inflated <= (6u << 20));
    CHECK(d.next(w) == DecodeStatus::Blocked);  // retrying changes nothing
    CHECK(d.inflated_total() == inflated);
    d.fail_memory("over budget");
    CHECK(d.next(w) == DecodeStatus::Error);
    CHECK(d.error() == DecodeError::MemoryLimit);
  }
}

TEST_CASE("beats decoder: past 8 MiB, a C frame inflating more than max_inflate_ratio times is a bomb",
          "[beats]") {
  SECTION("a bomb of valid frames (~1000:1) stops soon after the grace, long before the memory limit") {
    std::string z;
    {
      Deflater def(9);
      def.add(W(60000));
      const std::string ev = json_of(512 * 1024, 'a');
      for (uint32_t i = 1; i <= 200; ++i) def.add(J(i, ev));
      z = def.finish();
    }
    Budget b(256ull << 20);
    DecoderLimits lim;
    lim.max_window_bytes = 256ull << 20;
    FrameDecoder d(lim, b.account);
    d.feed(C_raw(z));
    auto r = run(d);
    CHECK(r.error == DecodeError::InflateRatioExceeded);
    CHECK(d.inflated_total() > lim.ratio_grace_bytes);
    CHECK(d.inflated_total() < lim.ratio_grace_bytes + (1u << 20));
    CHECK(r.message.find("max_inflate_ratio") != std::string::npos);
  }
  SECTION("16 MiB of identical log events (about 130:1 at level 9) pass") {
    const std::string ev =
        R"({"@timestamp":"2025-03-01T00:00:00.000Z","message":"GET /api/v1/orders 200 12ms","kubernetes":)"
        R"({"namespace":"shop","pod":{"name":"orders-7d9f8c6b5-x2x9q"}},"log":{"file":{"path":"/var/log/)"
        R"(containers/orders-7d9f8c6b5-x2x9q_shop_orders-0123456789abcdef.log"}},"stream":"stdout"})";
    const uint32_t n = static_cast<uint32_t>((16u << 20) / ev.size());
    Deflater def(9);
    def.add(W(n));
    for (uint32_t i = 1; i <= n; ++i) def.add(J(i, ev));
    const std::string z = def.finish();
    Budget b(256ull << 20);
    DecoderLimits lim;
    lim.max_window_bytes = 256ull << 20;
    FrameDecoder d(lim, b.account);
    d.feed(C_raw(z));
    auto r = run(d);
    CHECK(r.error == DecodeError::None);
    REQUIRE(r.windows.size() == 1);
    CHECK(r.windows[0].count == n);
  }
  SECTION("0 turns the ratio limit off") {
    std::string z;
    {
      Deflater def(9);
      def.add(W(40));
      const std::string ev = json_of(512 * 1024, 'a');
      for (uint32_t i = 1; i <= 40; ++i) def.add(J(i, ev));
      z = def.finish();
    }
    Budget b(256ull << 20);
    DecoderLimits lim;
    lim.max_window_bytes = 256ull << 20;
    lim.max_inflate_ratio = 0;
    FrameDecoder d(lim, b.account);
    d.feed(C_raw(z));
    auto r = run(d);
    CHECK(r.error == DecodeError::None);
    CHECK(r.windows.size() == 1);
  }
}

TEST_CASE("beats decoder: a C frame carrying many windows yields them one at a time", "[beats]") {
  std::string inner;
  const uint32_t n = 100000;
  for (uint32_t i = 0; i < n; ++i) inner += W(1) + J(i + 1, R"({"n":1})");  // 23 bytes per window
  const std::string wire = C_raw(zlib(inner, 9));
  Budget b(64ull << 20);
  FrameDecoder d(DecoderLimits{}, b.account);
  d.feed(wire);
  const uint64_t receive_buffer = d.buffer_capacity();
  uint64_t peak = 0;
  uint32_t got = 0;
  std::vector<Window> held;  // the server keeps at most max_pending_windows (2) in flight
  for (;;) {
    Window w;
    const auto s = d.next(w);
    REQUIRE(s != DecodeStatus::Error);
    REQUIRE(s != DecodeStatus::Blocked);
    if (s == DecodeStatus::NeedMore) break;
    ++got;
    REQUIRE(w.last_seq == got);
    held.push_back(std::move(w));
    if (held.size() > 2) held.erase(held.begin());
    peak = std::max(peak, b.account->used() - receive_buffer);
  }
  CHECK(got == n);
  CHECK(d.inflated_total() == inner.size());
  // Two windows in flight pin at most their chunks, plus the chunk being decoded and zlib: far
  // from the 2.3 MB the C frame inflates to.
  CHECK(peak < (400u << 10));
  held.clear();
}

TEST_CASE("beats decoder: frames straddling chunk boundaries, fed byte by byte", "[beats]") {
  // Sizes chosen to cut frames at every 64 KiB boundary in different places, with frames larger
  // than a chunk (they get a chunk of their own size).
  std::vector<std::string> expect;
  std::string inner = W(12);
  const size_t sizes[] = {65000, 500, 9, 70000, 200000, 131072, 65526, 8, 64 * 1024 + 3, 1000, 300000, 12};
  uint32_t seq = 0;
  for (size_t sz : sizes) {
    expect.push_back(json_of(sz, static_cast<char>('a' + seq % 26)));
    inner += J(++seq, expect.back());
  }
  std::vector<std::pair<std::string, std::string>> kv;
  for (int i = 0; i < 3000; ++i) kv.emplace_back("key" + std::to_string(i), std::string(40, 'v'));
  const std::string v1 = W(2, '1') + D(1, kv) + D(2, {{"line", "tail"}});
  for (const std::string& wire : {C(inner, 1), C(v1, 1, '1')}) {
    Budget b(64ull << 20);
    auto r = [&] {
      FrameDecoder d(DecoderLimits{}, b.account);
      Result all;
      for (char c : wire) {
        REQUIRE(d.feed(std::string_view(&c, 1)));
        Result one = run(d);
        REQUIRE(one.error == DecodeError::None);
        for (auto& w : one.windows) all.windows.push_back(std::move(w));
      }
      return all;
    }();
    REQUIRE(r.windows.size() == 1);
    if (r.windows[0].version == 2) {
      CHECK(payloads(r.windows[0]) == expect);
    } else {
      CHECK(r.windows[0].messages.size() == 2);
      CHECK(r.windows[0].messages[0].pairs == 3000);
    }
    r.windows.clear();
    CHECK(b.account->used() == 0);  // everything given back
    CHECK(b.pool->used() == 0);
  }
}

TEST_CASE("beats decoder: nested C frames stream too", "[beats]") {
  std::string inner = W(40);
  std::vector<std::string> expect;
  for (uint32_t i = 1; i <= 40; ++i) {
    expect.push_back(json_of(5000 + i * 997, static_cast<char>('a' + i % 26)));
    inner += J(i, expect.back());
  }
  // The inner C frame's compressed bytes (stored blocks: level 0) span several outer chunks.
  const std::string wire = C(C(inner, 0) + W(1) + J(1, kHello), 1);
  for (bool bytewise : {false, true}) {
    INFO("bytewise " << bytewise);
    Budget b(64ull << 20);
    auto r = bytewise ? decode_bytewise(wire) : [&] {
      FrameDecoder d(DecoderLimits{}, b.account);
      d.feed(wire);
      return run(d);
    }();
    REQUIRE(r.error == DecodeError::None);
    REQUIRE(r.windows.size() == 2);
    CHECK(payloads(r.windows[0]) == expect);
    CHECK(payloads(r.windows[1]) == std::vector<std::string>{kHello});
  }
  // Depth 3 still fails, and an inner C frame claiming more bytes than its container holds too.
  CHECK(decode(W(1) + C(C(C(J(1, kHello))))).error == DecodeError::CompressionTooDeep);
  std::string z = zlib(J(1, kHello));
  CHECK(decode(W(1) + C(std::string{'2', 'C'} + be(static_cast<uint32_t>(z.size() + 50)) + z)).error ==
        DecodeError::TruncatedCompressed);
}

TEST_CASE("beats decoder: the receive buffer grows on demand and is given back", "[beats]") {
  Budget b(64ull << 20);
  FrameDecoder d(DecoderLimits{}, b.account);
  CHECK(d.buffer_capacity() == 0);  // nothing before the first byte
  d.feed("2");
  Window w;
  CHECK(d.next(w) == DecodeStatus::NeedMore);
  d.trim();
  CHECK(d.buffer_capacity() <= 512);  // a partial frame: a small buffer
  CHECK(b.account->used() == d.buffer_capacity());
  // A 3 MiB frame arriving in 64 KiB reads: the buffer grows to hold it, then is freed.
  const std::string big = W(1) + J(1, json_of(3u << 20)) + W(1) + J(1, kHello);
  std::string rest = big.substr(1);
  std::vector<Window> got;
  while (!rest.empty()) {
    const size_t n = std::min<size_t>(rest.size(), 64 * 1024);
    auto area = d.prepare(n);
    REQUIRE(area.size() == n);
    std::copy_n(rest.data(), n, area.data());
    d.commit(n);
    rest.erase(0, n);
    for (;;) {
      const auto s = d.next(w);
      REQUIRE(s != DecodeStatus::Error);
      if (s == DecodeStatus::NeedMore) break;
      got.push_back(std::move(w));
    }
    CHECK(d.buffer_capacity() <= (4u << 20) + (64u << 10));  // the frame's size, not double of it
    d.trim();
  }
  REQUIRE(got.size() == 2);
  CHECK(d.buffer_capacity() == 0);  // emptied: freed
  got.clear();
  CHECK(b.account->used() == d.buffer_capacity());
}

TEST_CASE("beats decoder: Blocked waits for windows to be given back, then goes on", "[beats]") {
  // Windows of 1.2 MiB (12 events of 100 KiB); the connection may hold 3.5 MiB.
  const std::string ev = json_of(100 * 1024);
  std::string win = W(12);
  for (uint32_t i = 1; i <= 12; ++i) win += J(i, ev);
  Budget b(3584u << 10);
  FrameDecoder d(DecoderLimits{}, b.account);
  // Feeds in socket-sized reads, decoding as it goes; returns the first status that is not a window.
  auto pump = [&](std::string_view bytes, std::vector<Window>& out) {
    DecodeStatus s = DecodeStatus::NeedMore;
    while (!bytes.empty() || s == DecodeStatus::Window) {
      if (!bytes.empty()) {
        const size_t n = std::min<size_t>(bytes.size(), 64 * 1024);
        REQUIRE(d.feed(bytes.substr(0, n)));
        bytes.remove_prefix(n);
      }
      for (;;) {
        Window w;
        s = d.next(w);
        if (s != DecodeStatus::Window) break;
        out.push_back(std::move(w));
      }
      if (s != DecodeStatus::NeedMore) return s;
      d.trim();
    }
    return s;
  };
  std::vector<Window> held;  // windows waiting for the "executor"
  REQUIRE(pump(win + win, held) == DecodeStatus::NeedMore);
  REQUIRE(held.size() == 2);
  CHECK(b.account->used() >= (2350u << 10));  // both windows' copies
  CHECK(pump(C(win), held) == DecodeStatus::Blocked);  // the third window does not fit beside them
  CHECK(d.refusal() == MemoryRefusal::Connection);
  Window w3;
  CHECK(d.next(w3) == DecodeStatus::Blocked);  // nothing changes until memory comes back
  const auto expect = payloads(held[0]);
  held.erase(held.begin());  // the executor is done with the first window
  REQUIRE(d.next(w3) == DecodeStatus::Window);
  CHECK(payloads(w3) == expect);
  CHECK(d.next(w3) == DecodeStatus::NeedMore);
  CHECK(b.account->used() <= (3584u << 10));
}

TEST_CASE("beats memory: pool, floor and reserve", "[beats]") {
  auto pool = std::make_shared<MemoryPool>(100, 25);
  MemoryAccount big(pool, 80, 10), small(pool, 80, 10);
  CHECK(big.charge(70));    // above its floor: up to 100 - 25
  CHECK_FALSE(big.charge(6));  // 76 > 75: the reserve is for connections under their floor
  CHECK(big.refusal() == MemoryRefusal::Pool);
  CHECK(small.charge(10));  // under its floor: the whole pool
  CHECK(pool->used() == 80);
  CHECK_FALSE(small.charge(1));  // 11 > floor, and the pool is past 75
  CHECK(small.refusal() == MemoryRefusal::Pool);
  MemoryAccount third(pool, 80, 30);
  CHECK(third.charge(20));
  CHECK_FALSE(third.charge(1));  // the pool is full
  CHECK_FALSE(big.charge(11));   // its own limit (80) first
  CHECK(big.refusal() == MemoryRefusal::Connection);
  big.release(70);
  small.release(10);
  third.release(20);
  CHECK(pool->used() == 0);
  CHECK(pool->peak() == 100);
  CHECK(big.used() == 0);
}
