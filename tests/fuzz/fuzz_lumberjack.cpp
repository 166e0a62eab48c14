// libFuzzer target: the Lumberjack frame decoder (src/plugins/inputs/beats/decoder.hpp).
// The first input byte picks the size of the pieces the rest is fed in, so partial-frame paths and
// the resumable D-frame scan are exercised as well as whole-buffer decoding. Limits are small so a
// few bytes can reach every limit check (including the decompression-bomb cap).
#include "plugins/inputs/beats/decoder.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace sluice::beats;

static volatile uint64_t sink;  // keeps the payload reads from being optimised away

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 64;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  DecoderLimits limits;
  limits.max_window_events = 1000;
  limits.max_frame_bytes = 1 << 16;
  limits.max_window_bytes = 1 << 20;
  FrameDecoder d(limits);
  uint64_t total = 0;
  while (!rest.empty()) {
    const size_t n = rest.size() < piece ? rest.size() : piece;
    d.feed(rest.substr(0, n));
    rest.remove_prefix(n);
    for (;;) {
      Window w;
      const DecodeStatus s = d.next(w);
      if (s == DecodeStatus::Error) {
        if (d.error() == DecodeError::None || d.error_message().empty()) std::abort();
        return 0;
      }
      if (s == DecodeStatus::NeedMore) break;
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
  }
  sink = total;
  return 0;
}
