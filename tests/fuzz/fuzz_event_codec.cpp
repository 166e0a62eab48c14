// libFuzzer target: the persisted queue's event codec (src/queue/event_codec.hpp), which also frames
// the events of dead letter queue entries. Two readings of each input:
//  * as an encoded event (bytes from a page on disk): decode_event either refuses it with a reason
//    or gives an event that re-encodes, decodes again to the same event, and goes through to_json,
//    rubydebug and clone;
//  * as JSON text: an event parsed by Event::from_json always encodes and decodes back unchanged
//    (its depth is within the parser's 1000 levels, below the codec's 2048).
// Nothing may crash or recurse per nesting level. Seeds: tests/fuzz/corpus/event_codec/
// (tests/tools/make_fuzz_seeds.py), among them a 100,000-level record.
#include "plugins/codecs/rubydebug_format.hpp"
#include "queue/event_codec.hpp"
#include "sluice/log.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace sluice;
using namespace sluice::pq;

namespace {

volatile size_t g_sink;

std::string metadata_json(const Event& e) {
  std::string s;
  write_json(e.metadata(), s);
  return s;
}

void round_trip(const Event& e) {
  std::string bytes;
  if (encode_event(e, bytes) != EncodeStatus::Ok) abort();
  std::string err;
  auto back = decode_event(bytes, &err);
  if (!back) abort();
  if (back->to_json() != e.to_json() || metadata_json(*back) != metadata_json(e)) abort();
  if (back->timestamp() != e.timestamp()) abort();
  std::string again;
  if (encode_event(*back, again) != EncodeStatus::Ok || again != bytes) abort();  // one encoding per event
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (log::set_level(log::Level::Fatal), true);
  (void)quiet;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string err;
  if (auto e = decode_event(in, &err)) {
    round_trip(*e);
    std::string rd;
    codecs::append_rubydebug(*e, true, rd);
    auto copy = e->clone();
    if (copy->to_json() != e->to_json()) abort();
    g_sink = rd.size();
  } else if (err.empty()) {
    abort();  // a refusal always says why
  }

  if (auto e = Event::from_json(in, &err)) round_trip(*e);
  return 0;
}
