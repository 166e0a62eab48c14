// The persisted queue's on-disk format: page header, record and checkpoint codecs and the page scan
// used by recovery. Every reader checks bounds before it loads: the input may be any bytes.
#include "queue/page_format.hpp"

#include <zlib.h>

#include <limits>

namespace sluice::pq {

uint32_t crc32(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  // zlib takes lengths as uInt; feed large inputs in pieces.
  while (n > 0) {
    const uInt chunk = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    crc = static_cast<uint32_t>(::crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
}

// ---- page header ---------------------------------------------------------------------------------
// [0,8) magic, [8,12) version, [12,16) page number, [16,24) min seq, [24,28) reserved (0),
// [28,32) CRC32 of bytes [0,28).

void encode_page_header(const PageHeader& h, uint8_t out[kPageHeaderSize]) {
  std::memcpy(out, kPageMagic, 8);
  store_u32(out + 8, kFormatVersion);
  store_u32(out + 12, h.page_num);
  store_u64(out + 16, h.min_seq);
  store_u32(out + 24, 0);
  store_u32(out + 28, crc32(0, out, 28));
}

const char* to_string(HeaderStatus s) {
  switch (s) {
    case HeaderStatus::Ok:
      return "ok";
    case HeaderStatus::Short:
      return "the page is shorter than its header";
    case HeaderStatus::BadMagic:
      return "the page does not start with the page magic";
    case HeaderStatus::BadVersion:
      return "the page has an unknown format version";
    case HeaderStatus::BadChecksum:
      return "the page header checksum does not match";
  }
  return "unknown";
}

HeaderStatus decode_page_header(Bytes image, PageHeader* out) {
  if (image.size() < kPageHeaderSize) return HeaderStatus::Short;
  const uint8_t* p = image.data();
  if (std::memcmp(p, kPageMagic, 8) != 0) return HeaderStatus::BadMagic;
  if (load_u32(p + 28) != crc32(0, p, 28)) return HeaderStatus::BadChecksum;
  if (load_u32(p + 8) != kFormatVersion) return HeaderStatus::BadVersion;
  out->page_num = load_u32(p + 12);
  out->min_seq = load_u64(p + 16);
  return HeaderStatus::Ok;
}

// ---- records -------------------------------------------------------------------------------------

uint32_t record_crc(uint32_t payload_crc, uint64_t seq, uint32_t length) {
  uint8_t tail[12];
  store_u64(tail, seq);
  store_u32(tail + 8, length);
  return crc32(payload_crc, tail, sizeof tail);
}

void encode_record_header(uint8_t out[kRecordHeaderSize], uint32_t length, uint32_t crc, uint64_t seq) {
  store_u32(out, length);
  store_u32(out + 4, crc);
  store_u64(out + 8, seq);
}

const char* to_string(RecordStatus s) {
  switch (s) {
    case RecordStatus::Ok:
      return "ok";
    case RecordStatus::End:
      return "end of page";
    case RecordStatus::Torn:
      return "a partially written record";
    case RecordStatus::Zero:
      return "zeroed bytes where a record should be";
    case RecordStatus::BadChecksum:
      return "a record whose checksum does not match";
    case RecordStatus::BadSeq:
      return "a record with an unexpected sequence number";
  }
  return "unknown";
}

namespace {

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

RecordStatus read_record(Bytes image, uint64_t offset, uint64_t expected_seq, RecordRef* out) {
  const uint64_t size = image.size();
  if (offset >= size) return RecordStatus::End;
  const uint64_t left = size - offset;
  const uint8_t* p = image.data() + offset;
  if (left < kRecordHeaderSize) return all_zero(p, left) ? RecordStatus::Zero : RecordStatus::Torn;
  const uint32_t length = load_u32(p);
  const uint32_t crc = load_u32(p + 4);
  const uint64_t seq = load_u64(p + 8);
  if (length == 0 && crc == 0 && seq == 0) return RecordStatus::Zero;
  if (length > left - kRecordHeaderSize) return RecordStatus::Torn;
  const uint8_t* payload = p + kRecordHeaderSize;
  if (record_crc(crc32(0, payload, length), seq, length) != crc) return RecordStatus::BadChecksum;
  if (seq != expected_seq) return RecordStatus::BadSeq;
  out->seq = seq;
  out->offset = offset;
  out->length = length;
  out->payload = payload;
  return RecordStatus::Ok;
}

// ---- page scan -----------------------------------------------------------------------------------

const char* to_string(ScanEnd e) {
  switch (e) {
    case ScanEnd::Clean:
      return "clean";
    case ScanEnd::Torn:
      return "torn";
    case ScanEnd::Corrupt:
      return "corrupt";
    case ScanEnd::BadHeader:
      return "bad header";
  }
  return "unknown";
}

ScanResult scan_page(Bytes image, uint32_t page_num) {
  ScanResult r;
  const HeaderStatus hs = decode_page_header(image, &r.header);
  if (hs != HeaderStatus::Ok) {
    r.end = ScanEnd::BadHeader;
    r.reason = to_string(hs);
    return r;
  }
  if (r.header.page_num != page_num) {
    r.end = ScanEnd::BadHeader;
    r.reason = "the page header names page " + std::to_string(r.header.page_num);
    return r;
  }
  uint64_t offset = kPageHeaderSize;
  for (;;) {
    const uint64_t expected = r.header.min_seq + r.records;
    RecordRef rec;
    const RecordStatus st = read_record(image, offset, expected, &rec);
    if (st == RecordStatus::Ok) {
      offset += kRecordHeaderSize + rec.length;
      ++r.records;
      if (r.records == std::numeric_limits<uint32_t>::max()) break;  // the count field's limit
      continue;
    }
    if (st != RecordStatus::End) {
      // A zeroed remainder is an append that never reached the disk; anything else is damage.
      const bool zero_tail = st == RecordStatus::Zero && all_zero(image.data() + offset, image.size() - offset);
      r.end = (st == RecordStatus::Torn || zero_tail) ? ScanEnd::Torn : ScanEnd::Corrupt;
      r.reason = std::string(to_string(st)) + " at offset " + std::to_string(offset);
      if (st == RecordStatus::BadSeq) r.reason += " (expected " + std::to_string(expected) + ")";
    }
    break;
  }
  r.valid_bytes = offset;
  return r;
}

// ---- checkpoint ----------------------------------------------------------------------------------
// Header: [0,8) magic, [8,12) version, [12,16) page count, [16,24) next seq, [24,28) next page
// number, [28,32) reserved. Then 40 bytes per page: num u32, flags u32 (bit 0: sealed), min_seq u64,
// count u32, reserved u32, bytes u64, first_unacked_seq u64. Then the CRC32 of everything before.

std::string encode_checkpoint(const Checkpoint& c) {
  std::string out(kCheckpointHeaderSize + c.pages.size() * kCheckpointEntrySize + kCheckpointTrailerSize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  std::memcpy(p, kCheckpointMagic, 8);
  store_u32(p + 8, kFormatVersion);
  store_u32(p + 12, static_cast<uint32_t>(c.pages.size()));
  store_u64(p + 16, c.next_seq);
  store_u32(p + 24, c.next_page_num);
  uint8_t* e = p + kCheckpointHeaderSize;
  for (const CheckpointPage& pg : c.pages) {
    store_u32(e, pg.num);
    store_u32(e + 4, pg.sealed ? 1u : 0u);
    store_u64(e + 8, pg.min_seq);
    store_u32(e + 16, pg.count);
    store_u64(e + 24, pg.bytes);
    store_u64(e + 32, pg.first_unacked_seq);
    e += kCheckpointEntrySize;
  }
  store_u32(e, crc32(0, p, static_cast<size_t>(e - p)));
  return out;
}

const char* to_string(CheckpointStatus s) {
  switch (s) {
    case CheckpointStatus::Ok:
      return "ok";
    case CheckpointStatus::Short:
      return "truncated";
    case CheckpointStatus::BadMagic:
      return "not a checkpoint file";
    case CheckpointStatus::BadVersion:
      return "unknown format version";
    case CheckpointStatus::BadChecksum:
      return "checksum mismatch";
    case CheckpointStatus::Inconsistent:
      return "inconsistent contents";
  }
  return "unknown";
}

CheckpointStatus decode_checkpoint(Bytes bytes, Checkpoint* out, std::string* why) {
  auto fail = [&](CheckpointStatus s, std::string text) {
    if (why) *why = std::move(text);
    return s;
  };
  const uint8_t* p = bytes.data();
  if (bytes.size() < kCheckpointHeaderSize + kCheckpointTrailerSize)
    return fail(CheckpointStatus::Short, "the file has " + std::to_string(bytes.size()) + " bytes, fewer than a header");
  if (std::memcmp(p, kCheckpointMagic, 8) != 0) return fail(CheckpointStatus::BadMagic, "the magic bytes are wrong");
  const uint64_t count = load_u32(p + 12);
  const uint64_t expected = kCheckpointHeaderSize + count * kCheckpointEntrySize + kCheckpointTrailerSize;
  if (bytes.size() != expected) {
    return fail(bytes.size() < expected ? CheckpointStatus::Short : CheckpointStatus::Inconsistent,
                "the file has " + std::to_string(bytes.size()) + " bytes, its header announces " +
                    std::to_string(expected));
  }
  const size_t body = bytes.size() - kCheckpointTrailerSize;
  if (load_u32(p + body) != crc32(0, p, body)) return fail(CheckpointStatus::BadChecksum, "the checksum does not match");
  if (load_u32(p + 8) != kFormatVersion)
    return fail(CheckpointStatus::BadVersion, "format version " + std::to_string(load_u32(p + 8)));
  Checkpoint c;
  c.next_seq = load_u64(p + 16);
  c.next_page_num = load_u32(p + 24);
  c.pages.reserve(count);
  const uint8_t* e = p + kCheckpointHeaderSize;
  for (uint64_t i = 0; i < count; ++i, e += kCheckpointEntrySize) {
    CheckpointPage pg;
    pg.num = load_u32(e);
    pg.sealed = (load_u32(e + 4) & 1u) != 0;
    pg.min_seq = load_u64(e + 8);
    pg.count = load_u32(e + 16);
    pg.bytes = load_u64(e + 24);
    pg.first_unacked_seq = load_u64(e + 32);
    const uint64_t end_seq = pg.min_seq + pg.count;
    if (end_seq < pg.min_seq || pg.first_unacked_seq < pg.min_seq || pg.first_unacked_seq > end_seq ||
        pg.num >= c.next_page_num || end_seq > c.next_seq || pg.bytes < kPageHeaderSize ||
        (!c.pages.empty() && (pg.num <= c.pages.back().num ||
                              pg.min_seq < c.pages.back().min_seq + c.pages.back().count))) {
      return fail(CheckpointStatus::Inconsistent, "entry " + std::to_string(i) + " (page " + std::to_string(pg.num) +
                                                      ") is out of range or out of order");
    }
    c.pages.push_back(pg);
  }
  *out = std::move(c);
  return CheckpointStatus::Ok;
}

}  // namespace sluice::pq
