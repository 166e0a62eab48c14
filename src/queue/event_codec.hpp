// A compact binary serialization of sluice::Event for the persisted queue. It round-trips exactly:
// member order, every value type (null, booleans, signed and unsigned 64-bit integers, doubles bit
// for bit, strings with any bytes, arrays, objects), @metadata, tags (ordinary data members) and the
// nanosecond @timestamp (or its absence). Layout: src/queue/FORMAT.md, "Event payload".
//
// Decoding takes untrusted bytes: every length is checked against what is left, nesting is capped
// at kMaxEventDepth and any malformed input returns an error, never a crash.
#pragma once

#include "sluice/event.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace sluice::pq {

inline constexpr uint8_t kEventCodecVersion = 1;
// Nesting of arrays and objects is refused at this depth (the root object is depth 1), by the
// encoder (TooDeep) and the decoder (a malformed record). Parsed JSON stops at 1000 levels
// (kMaxJsonDepth); deeper events come from filters (a `target`, field references rendered from
// event data), and such events are refused here rather than written.
inline constexpr int kMaxEventDepth = 2048;

enum class [[nodiscard]] EncodeStatus { Ok, TooDeep };

// Appends the encoding of `e` to `out`. TooDeep: nesting beyond kMaxEventDepth (nothing usable was
// appended; `out` is restored to its previous size).
EncodeStatus encode_event(const Event& e, std::string& out);

// Decodes one event that spans all of `bytes`. Returns nullptr and sets *error (if given) when the
// bytes are not a valid encoding.
std::unique_ptr<Event> decode_event(std::string_view bytes, std::string* error);

}  // namespace sluice::pq
