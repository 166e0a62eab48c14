// libFuzzer target: the persisted queue's readers of untrusted bytes (src/queue/page_format.hpp,
// event_codec.hpp): a page file image, a checkpoint file and event payloads.
//
// Input layout: [u16 little-endian checkpoint length C][page image][C bytes of checkpoint] (C is
// clamped to what is there). The page is scanned under the number its own header claims, so the
// fuzzer reaches the records; every record that validates is decoded as an event, and an event
// that decodes must survive encode -> decode unchanged. Nothing may crash, read outside the input,
// hang or report positions beyond the image. Seeds: tests/fuzz/corpus/pq_page/ (made from real
// queue directories with `tests/tools/pq_tear.py fuzz-seed`).
#include "queue/event_codec.hpp"
#include "queue/page_format.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace sluice;
using namespace sluice::pq;

static volatile size_t sink;

static void check_event(std::string_view payload) {
  std::string err;
  auto e = decode_event(payload, &err);
  if (!e) {
    if (err.empty()) abort();  // a refusal always says why
    return;
  }
  std::string again;
  if (encode_event(*e, again) != EncodeStatus::Ok) abort();  // what decodes is within the depth cap
  auto back = decode_event(again, &err);
  if (!back) abort();
  std::string a, b;
  e->to_json(a);
  back->to_json(b);
  if (a != b || e->timestamp() != back->timestamp()) abort();
  std::string ma, mb;
  write_json(e->metadata(), ma);
  write_json(back->metadata(), mb);
  if (ma != mb) abort();
  sink = a.size() + ma.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t cp_len = static_cast<size_t>(data[0]) | (static_cast<size_t>(data[1]) << 8);
  const uint8_t* body = data + 2;
  const size_t body_len = size - 2;
  if (cp_len > body_len) cp_len = body_len;
  const Bytes page(body, body_len - cp_len);
  const Bytes checkpoint(body + page.size(), cp_len);

  const uint32_t claimed = page.size() >= 16 ? load_u32(page.data() + 12) : 1;
  const ScanResult r = scan_page(page, claimed);
  if (r.valid_bytes > page.size() && r.end != ScanEnd::BadHeader) abort();
  if (r.end != ScanEnd::Clean && r.reason.empty()) abort();
  if (r.end != ScanEnd::BadHeader) {
    uint64_t offset = kPageHeaderSize;
    for (uint32_t i = 0; i < r.records; ++i) {
      RecordRef rec;
      if (read_record(page, offset, r.header.min_seq + i, &rec) != RecordStatus::Ok) abort();  // the scan agreed
      check_event({reinterpret_cast<const char*>(rec.payload), rec.length});
      offset += kRecordHeaderSize + rec.length;
    }
    if (offset != r.valid_bytes) abort();
  }
  // The raw bytes as one event payload, too.
  check_event({reinterpret_cast<const char*>(page.data()), page.size()});

  Checkpoint c;
  std::string why;
  if (decode_checkpoint(checkpoint, &c, &why) == CheckpointStatus::Ok) {
    // A valid checkpoint re-encodes to the same bytes.
    const std::string again = encode_checkpoint(c);
    if (again.size() != checkpoint.size()) abort();
    sink = c.pages.size();
  } else if (why.empty()) {
    abort();
  }
  return 0;
}
