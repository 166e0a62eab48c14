// libFuzzer target: the dead letter queue's readers of bytes from disk (src/dlq/segment_format.hpp,
// entry.hpp): the input is a segment image. Entries are read from the start as the reader does
// (read_entry, resynchronising with find_entry_start after a corrupt record); every entry that
// reads is decoded (decode_entry, whose event is the persisted queue's encoding), and one that
// decodes must encode and decode again unchanged. The raw input is also decoded as one entry.
// Nothing may crash, recurse per nesting level, loop without progress or report offsets beyond the
// image. Seeds: tests/fuzz/corpus/dlq_page/ (tests/tools/make_fuzz_seeds.py), among them a segment
// whose middle entry holds a 100,000-level event.
#include "dlq/entry.hpp"
#include "dlq/segment_format.hpp"
#include "sluice/log.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

using namespace sluice;
using namespace sluice::dlq;

namespace {

volatile size_t g_sink;

void check_entry(std::string_view payload) {
  Entry e;
  std::string err;
  if (!decode_entry(payload, &e, &err)) {
    if (err.empty()) abort();
    return;
  }
  if (peek_entry_time(payload) != e.entry_time) abort();
  std::string again;
  if (!encode_entry(*e.event, e.plugin_type, e.plugin_id, e.reason, e.entry_time, again)) abort();
  Entry back;
  if (!decode_entry(again, &back, &err)) abort();
  if (back.plugin_type != e.plugin_type || back.plugin_id != e.plugin_id || back.reason != e.reason ||
      back.entry_time != e.entry_time || back.event->to_json() != e.event->to_json()) {
    abort();
  }
  g_sink = again.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (log::set_level(log::Level::Fatal), true);
  (void)quiet;
  const BufferSource src(std::span<const uint8_t>(data, size));
  check_entry({reinterpret_cast<const char*>(data), size});
  if (!has_version(src)) return 0;

  uint64_t offset = kVersionSize;
  std::string payload;
  for (int guard = 0; offset < size; ++guard) {
    if (guard > static_cast<int>(size)) abort();  // every step moves forward
    uint64_t next = 0;
    const ReadStatus st = read_entry(src, offset, &payload, &next);
    if (st == ReadStatus::Ok) {
      if (next <= offset || next > size) abort();
      check_entry(payload);
      offset = next;
    } else if (st == ReadStatus::Corrupt) {
      // The reader skips to the first entry that starts in a later block.
      const uint64_t block = (offset - kVersionSize) / kBlockSize;
      const uint64_t resume = find_entry_start(src, block_start(block + 1));
      if (resume <= offset || resume > size) abort();
      offset = resume;
    } else {
      break;  // End or Incomplete: nothing more to read
    }
  }
  return 0;
}
