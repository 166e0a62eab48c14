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
  };
  DecoderLimits small;
  small.max_window_bytes = 1000;
  small.max_frame_bytes = 4096;
  small.max_window_events = 100;
  std::string bomb_inner = W(1) + J(1, std::string(5000, ' ') + "{}");
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
      {"more events than announced", W(1) + C(J(1, kHello) + J(2, kWorld)), DecodeError::UnexpectedFrame},
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
    CHECK(r.windows.empty());
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
