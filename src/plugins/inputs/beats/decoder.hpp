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
//
// Memory (see memory.hpp): C frames are inflated in bounded steps as their compressed bytes
// arrive, never whole: the inflated stream is written into chunks (64 KiB; a chunk grows to hold
// one large frame, up to max_frame_bytes, and a frame cut by a chunk's end moves to the next
// chunk, so that every frame lies whole in one chunk) and frames are decoded from each chunk as it
// fills. Messages reference the chunks (no copy); frames outside C are copied once into chunks of
// their window (the receive buffer moves on). Decoding stops at each complete window, so a C frame
// carrying many windows never piles them up, and garbage fails at its first bad frame header.
// Every byte the decoder holds (receive buffer, chunks, message lists, zlib states) is charged to
// the MemoryAccount given at construction; windows keep their chunks' charges until destroyed.
// When the account refuses a charge, next() (or prepare()/feed()) returns Blocked and changes
// nothing: call again once memory was given back, or fail_memory() to give up.
#pragma once

#include "plugins/inputs/beats/memory.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::beats {

struct DecoderLimits {
  uint32_t max_window_events = 65536;       // W count (Filebeat's bulk_max_size is 2048 by default)
  uint32_t max_frame_bytes = 32u << 20;     // J length, C compressed length, D frame size
  uint64_t max_window_bytes = 64ull << 20;  // data payload of one window; also caps each C frame's inflation
  int max_compression_depth = 2;            // C inside C: one nested level
  // Decompression bombs cost CPU before they cost memory: once a C frame has inflated more than
  // `ratio_grace_bytes`, it may not inflate more than `max_inflate_ratio` times the compressed bytes
  // it has consumed (0: no ratio limit). A Filebeat window (2048 events, ~2 MiB inflated) never
  // reaches the grace; real container logs compress ~20:1, identical events ~110-130:1; zlib's
  // maximum is ~1032:1. The rule is Apache POI's zip-bomb check (a minimum inflate ratio after a
  // grace size). A legitimate window that trips it is refused, and Filebeat resends it in halves.
  uint32_t max_inflate_ratio = 200;
  uint64_t ratio_grace_bytes = 8ull << 20;
};

enum class [[nodiscard]] DecodeStatus {
  NeedMore,  // every complete frame was consumed; feed more bytes
  Window,    // a complete window was returned
  Blocked,   // the memory account refused a charge (refusal() says which limit); nothing changed
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
  InflateRatioExceeded, // a C frame inflates more than max_inflate_ratio times its size (bomb)
  TruncatedCompressed,  // inflated bytes end in the middle of a frame
  CompressionTooDeep,   // C nested deeper than max_compression_depth
  MemoryLimit,          // fail_memory(): the memory budget refused what the connection needs
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
  // Message bytes: chunks holding the window's copies of uncompressed frames, and chunks of
  // inflated C payloads (shared: one chunk may carry the end of a window and the next window).
  // A chunk's bytes never move while the window lives (offsets stay valid). Each chunk, and
  // `charge` (the message list), stay charged to the connection's memory account until the last
  // window referencing them is destroyed.
  std::vector<std::shared_ptr<const Chunk>> chunks;
  std::shared_ptr<MemoryCharge> charge;

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
  // `account`: where the decoder's memory is charged (null: nothing is charged or limited).
  explicit FrameDecoder(DecoderLimits limits = {}, std::shared_ptr<MemoryAccount> account = nullptr);
  ~FrameDecoder();
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Appends received bytes. False (nothing appended; see refusal()) when the account refuses the
  // room for them.
  bool feed(std::string_view bytes);
  // Zero-copy variant for socket reads: a writable area of `n` bytes at the end of the receive
  // buffer, then commit(k) with the number of bytes actually written (k <= n). The span stays valid
  // until prepare(), feed(), trim() or release() is called (next() does not move the buffer). An
  // empty span (for n > 0) means the account refused the room (see refusal()).
  std::span<char> prepare(size_t n);
  void commit(size_t k);

  // Decodes buffered bytes. Window: *out holds the next complete window (call again for more).
  // NeedMore: everything decodable was decoded. Blocked: memory was refused; call again later.
  // Error: see error(); every later call returns Error.
  DecodeStatus next(Window& out);

  // Gives back receive-buffer room that is no longer needed (an emptied buffer is freed, one over
  // 4 KiB and mostly empty is shrunk). Call between reads, not while a prepared area is in use.
  void trim();
  // After Blocked, when waiting is pointless: the decoder fails with DecodeError::MemoryLimit.
  void fail_memory(std::string message);
  // Frees everything the decoder holds (the connection is gone); windows already returned keep
  // their own chunks. `keep_buffer`: the receive buffer stays (a read still points into it; call
  // again once it is over). The decoder is failed afterwards.
  void release(bool keep_buffer = false);

  DecodeError error() const { return error_; }
  const std::string& error_message() const { return error_message_; }
  // Why the last charge was refused, and its size.
  MemoryRefusal refusal() const { return account_ ? account_->refusal() : MemoryRefusal::None; }
  uint64_t refused_bytes() const { return account_ ? account_->refused_bytes() : 0; }
  // A window has started (W received) but is not complete yet, or bytes of a frame are buffered.
  bool mid_window() const { return open_ || buffered() > 0 || !layers_.empty(); }
  size_t buffered() const { return end_ - pos_; }
  // Bytes of the receive buffer (allocated room).
  size_t buffer_capacity() const { return cap_; }
  // Total bytes inflated so far (all C frames; for tests and statistics).
  uint64_t inflated_total() const { return inflated_total_; }
  const DecoderLimits& limits() const { return limits_; }

 private:
  struct Inflater;  // one C frame being inflated (decoder.cpp)
  enum class Step { Done, NeedMore, Blocked, Error };
  // Resumable scan of a D frame that is not complete yet (avoids rescanning its pairs on every
  // read); offsets are relative to the frame's start, so it survives the frame being moved.
  struct Scan {
    bool valid = false;
    size_t offset = 0;
    uint32_t pairs = 0;
  };
  Step step();
  // Decodes one frame at data[0..len); *used = its size (set only on Done). `layer`: the inflater
  // whose chunk holds `data` (null: the receive buffer, whose frames are copied on use).
  Step frame(const char* data, size_t len, int depth, Inflater* layer, Scan& scan, size_t* used);
  Step add_message(uint32_t seq, uint32_t pairs, const char* data, size_t len, Inflater* layer);
  Step push_inflater(uint64_t compressed_size, int depth);
  void pop_inflater();
  Step produce(size_t li);
  Step make_room(Inflater& l);
  void consume_parent(size_t li, size_t n);
  Step fail(DecodeError e, std::string message);
  void complete_window();
  bool resize_buffer(size_t cap);

  DecoderLimits limits_;
  std::shared_ptr<MemoryAccount> account_;
  // The receive buffer: [pos_, end_) is received and not yet decoded; [end_, cap_) is spare room.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t pos_ = 0;
  size_t end_ = 0;
  size_t last_prepared_ = 0;
  Scan scan_;
  // C frames being inflated, outermost first (at most max_compression_depth).
  std::vector<std::unique_ptr<Inflater>> layers_;
  std::optional<Window> ready_;
  Window cur_;
  bool open_ = false;
  std::shared_ptr<Chunk> arena_;  // cur_'s chunk for copies of uncompressed frames, appended to
  size_t arena_used_ = 0;
  uint32_t arena_chunk_ = 0;  // its index in cur_.chunks
  uint64_t inflated_total_ = 0;
  DecodeError error_ = DecodeError::None;
  std::string error_message_;
};

}  // namespace sluice::beats
