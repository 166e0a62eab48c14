// Lumberjack v1/v2 frame decoder: bytes in, complete windows out. Pure and incremental (no I/O,
// no clock, no logging) so it can be unit-tested byte by byte and fuzzed.
//
// Wire format (all integers unsigned 32-bit big-endian; every frame starts with a version byte,
// '1' or '2', and a type byte):
//   W count                      starts a window of `count` data frames
//   J seq len json               v2 data: a JSON document
//   D seq pairs (klen k vlen v)* v1 data: string key/value pairs
//   C len zlib                   compressed: the inflated bytes are themselves whole frames
// The server answers A seq (see ack_frame()).
//
// Rules, decided against Logstash's BeatsParser and go-lumber's reader (see docs/compatibility.md):
//  - A window is W(count) followed by exactly `count` data frames, any of them possibly inside C
//    frames (several C frames per window and C/plain mixes are accepted, as Logstash does).
//  - A C frame may contain another C frame one level deep (max_compression_depth = 2); deeper
//    nesting is an error. A W inside a C frame is accepted (Logstash accepts it).
//  - The inflated bytes of a C frame must end on a frame boundary; trailing bytes after the end of
//    the zlib stream (inside the C frame's length) are ignored, as both reference servers do.
//  - W(0) yields an empty window (Logstash >= 6.7 answers A(0)).
//  - Data frames must match the window's version (J in v2 windows, D in v1 windows); a data frame
//    outside a window, a W before the previous window is complete, or more data frames than the
//    window announced are errors (Logstash silently misbehaves on those).
//  - J len 0, D pairs 0, sizes over the limits, W count over max_window_events: errors.
//  - Inflated output is capped (decompression bombs) and so is the payload held per window.
// After an error the decoder stays failed; the connection is to be closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::beats {

struct DecoderLimits {
  uint32_t max_window_events = 65536;          // W count (Filebeat's bulk_max_size is 2048 by default)
  uint32_t max_frame_bytes = 64u << 20;        // J length, C compressed length, D frame size
  uint64_t max_window_bytes = 256ull << 20;    // data payload of one window; also caps each inflation
  int max_compression_depth = 2;               // C inside C: one nested level
};

enum class [[nodiscard]] DecodeStatus {
  NeedMore,  // every complete frame was consumed; feed more bytes
  Window,    // a complete window was returned
  Error,     // protocol violation: error() / error_message() say which; close the connection
};

enum class DecodeError : uint8_t {
  None,
  BadVersion,           // version byte not '1' or '2'
  UnknownFrameType,     // type byte not W, J, D or C
  VersionMismatch,      // J in a v1 window, D in a v2 window
  UnexpectedFrame,      // data outside a window, W inside an incomplete window, too many events
  EmptyPayload,         // J with length 0, D with 0 pairs, C with length 0
  FrameTooLarge,        // a length over max_frame_bytes
  WindowTooLarge,       // W count over max_window_events
  WindowBytesExceeded,  // payload of one window over max_window_bytes
  BadCompression,       // not a valid zlib stream
  InflatedTooLarge,     // a C frame inflates to more than max_window_bytes (decompression bomb)
  TruncatedCompressed,  // inflated bytes end in the middle of a frame
  CompressionTooDeep,   // C nested deeper than max_compression_depth
};
const char* to_string(DecodeError e);

// One data frame of a window. The bytes live in Window::chunks (see Window::payload()).
struct Message {
  uint32_t seq = 0;
  uint32_t pairs = 0;  // v1 D frames: number of key/value pairs; 0 for J frames
  uint32_t chunk = 0;
  uint32_t length = 0;
  uint64_t offset = 0;
};

struct Window {
  int version = 2;        // 1 or 2: the W frame's protocol version (also the data ACK's version)
  uint32_t count = 0;     // events announced by W (== messages.size())
  uint32_t last_seq = 0;  // the highest sequence number received: what the ACK carries (0 if empty)
  uint64_t bytes = 0;     // payload bytes held
  std::vector<Message> messages;
  // Message bytes: one chunk holds the window's copy of uncompressed frames; further chunks are
  // inflated C payloads (shared: one C frame may carry the end of a window and the next window).
  // A chunk's bytes never move while the window lives (offsets stay valid).
  std::vector<std::shared_ptr<const std::string>> chunks;

  // J: the JSON text; D: the encoded pairs (read them with for_each_pair). Valid while the window
  // lives (the window's chunks keep the bytes alive).
  std::string_view payload(const Message& m) const {
    return std::string_view(chunks[m.chunk]->data() + m.offset, m.length);
  }
};

// Calls fn(key, value) for each pair of a D frame's payload (as stored by the decoder, already
// validated). Views point into the payload.
template <class F>
void for_each_pair(std::string_view payload, uint32_t pairs, F&& fn) {
  auto u32 = [&](size_t at) {
    const auto* p = reinterpret_cast<const unsigned char*>(payload.data() + at);
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  };
  size_t at = 0;
  for (uint32_t i = 0; i < pairs; ++i) {
    const uint32_t kl = u32(at);
    std::string_view k = payload.substr(at + 4, kl);
    at += 4 + kl;
    const uint32_t vl = u32(at);
    std::string_view v = payload.substr(at + 4, vl);
    at += 4 + vl;
    fn(k, v);
  }
}

// The 6-byte ACK frame: version byte ('1' or '2'), 'A', seq.
std::string ack_frame(int version, uint32_t seq);

class FrameDecoder {
 public:
  explicit FrameDecoder(DecoderLimits limits = {});

  // Appends received bytes.
  void feed(std::string_view bytes);
  // Zero-copy variant for socket reads: a writable area of `n` bytes at the end of the buffer, then
  // commit(k) with the number of bytes actually written (k <= n). The span is valid until the next
  // call of any member.
  std::span<char> prepare(size_t n);
  void commit(size_t k);

  // Decodes buffered bytes. Window: *out holds the next complete window (call again for more).
  // NeedMore: everything decodable was decoded. Error: see error(); every later call returns Error.
  DecodeStatus next(Window& out);

  DecodeError error() const { return error_; }
  const std::string& error_message() const { return error_message_; }
  // A window has started (W received) but is not complete yet, or bytes of a frame are buffered.
  bool mid_window() const { return open_ || buffered() > 0; }
  size_t buffered() const { return end_ - pos_; }
  const DecoderLimits& limits() const { return limits_; }

 private:
  enum class Step { Done, NeedMore, Error };
  // Decodes one frame at data[0..len); *used = its size. `owner` holds `data` when it lies inside an
  // inflated chunk (nullptr: the connection buffer, copied on use).
  Step frame(const char* data, size_t len, int depth, const std::shared_ptr<const std::string>& owner,
             size_t* used);
  Step add_message(uint32_t seq, uint32_t pairs, const char* data, size_t len,
                   const std::shared_ptr<const std::string>& owner);
  Step inflate(const char* data, size_t len, std::string& out);
  Step fail(DecodeError e, std::string message);
  void complete_window();

  DecoderLimits limits_;
  std::string buf_;  // storage: [pos_, end_) is received and not yet decoded; beyond end_ is spare room
  size_t pos_ = 0;
  size_t end_ = 0;
  std::deque<Window> ready_;
  Window cur_;
  bool open_ = false;
  std::shared_ptr<std::string> arena_;  // cur_'s copy of uncompressed frames, appended to
  uint32_t arena_chunk_ = 0;            // its index in cur_.chunks
  size_t last_prepared_ = 0;
  // Resumable scan of a top-level D frame that is not complete yet (avoids rescanning its pairs on
  // every read): valid while d_scan_pos_ == pos_.
  size_t d_scan_pos_ = SIZE_MAX;
  size_t d_scan_offset_ = 0;
  uint32_t d_scan_pairs_ = 0;
  DecodeError error_ = DecodeError::None;
  std::string error_message_;
};

}  // namespace sluice::beats
