// libFuzzer target: the Lumberjack frame decoder (src/plugins/inputs/beats/decoder.hpp).
// The first input byte picks how the rest is fed: bits 0-5 the size of the pieces (1-64 bytes, or
// KiB with bit 7), so partial-frame paths, chunk boundaries and the resumable D-frame scan are
// exercised as well as whole-buffer decoding; bit 6 a small memory budget, so that the Blocked
// paths run too. Up to two windows are held, as a connection's windows in flight are, so chunks
// stay shared. Limits are small so a few bytes can reach every limit check (including the
// decompression-bomb cap); inputs of a MiB and more (-max_len=1048576) reach the chunk growth and
// the memory limits with real frames.
//
// Checked: no crash or sanitizer report; an error always has a reason; a window has as many
// messages as announced and carries the highest sequence number; the memory account never goes
// over its limit and is back to zero once the decoder and its windows are gone.
#include "plugins/inputs/beats/decoder.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <string_view>

using namespace sluice::beats;

static volatile uint64_t sink;  // keeps the payload reads from being optimised away

static void check_window(const Window& w, uint64_t& total) {
  if (w.messages.size() != w.count) std::abort();
  for (const auto& m : w.messages) {
    std::string_view p = w.payload(m);
    if (w.version == 1) {
      for_each_pair(p, m.pairs, [&](std::string_view k, std::string_view v) { total += k.size() + v.size(); });
    } else {
      for (char c : p) total += static_cast<unsigned char>(c);
    }
    if (m.seq > w.last_seq) std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const size_t piece = (1 + (mode & 0x3f)) * ((mode & 0x80) ? 1024 : 1);
  const bool small_budget = (mode & 0x40) != 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  DecoderLimits limits;
  limits.max_window_events = 1000;
  limits.max_frame_bytes = 1 << 18;
  limits.max_window_bytes = 1 << 21;
  const uint64_t conn_limit = small_budget ? (256u << 10) : (64u << 20);
  auto pool = std::make_shared<MemoryPool>(small_budget ? (512u << 10) : (128u << 20), small_budget ? (128u << 10) : (32u << 20));
  auto account = std::make_shared<MemoryAccount>(pool, conn_limit, 64u << 10);
  uint64_t total = 0;
  {
    FrameDecoder d(limits, account);
    std::deque<Window> in_flight;
    bool done = false;
    while (!rest.empty() && !done) {
      const size_t n = rest.size() < piece ? rest.size() : piece;
      if (!d.feed(rest.substr(0, n))) {
        // No room for the bytes: what the server does (wait for windows in flight, else give up).
        if (in_flight.empty()) break;
        in_flight.clear();
        continue;
      }
      rest.remove_prefix(n);
      for (;;) {
        Window w;
        const DecodeStatus s = d.next(w);
        if (account->used() > conn_limit) std::abort();
        if (s == DecodeStatus::Error) {
          if (d.error() == DecodeError::None || d.error_message().empty()) std::abort();
          done = true;
          break;
        }
        if (s == DecodeStatus::Blocked) {
          if (d.refusal() == MemoryRefusal::None) std::abort();
          if (in_flight.empty()) {
            d.fail_memory("out of memory budget");
            if (d.next(w) != DecodeStatus::Error || d.error() != DecodeError::MemoryLimit) std::abort();
            done = true;
            break;
          }
          in_flight.clear();  // the executor finished them: their memory comes back
          continue;
        }
        if (s == DecodeStatus::NeedMore) {
          d.trim();
          break;
        }
        check_window(w, total);
        in_flight.push_back(std::move(w));
        if (in_flight.size() > 2) in_flight.pop_front();
      }
    }
  }
  if (account->used() != 0 || pool->used() != 0) std::abort();  // every charge was given back
  sink = total;
  return 0;
}
