// Segment framing and parsing; layout in src/dlq/FORMAT.md.
#include "dlq/segment_format.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace sluice::dlq {
namespace {

constexpr uint32_t kNoEntrySize = 0xFFFFFFFFu;

void put_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint32_t get_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

uint32_t crc_of(const uint8_t* header, const void* data, size_t n) {
  uLong crc = ::crc32(0L, header, 9);  // type, chunk size, entry size
  if (n > 0) crc = ::crc32(crc, static_cast<const Bytef*>(data), static_cast<uInt>(n));
  return static_cast<uint32_t>(crc);
}

uint64_t offset_in_block(uint64_t pos) { return (pos - kVersionSize) % kBlockSize; }

// A block's tail shorter than a header plus one byte holds no record: the next one starts at the
// following block.
uint64_t skip_padding(uint64_t pos) {
  const uint64_t in_block = offset_in_block(pos);
  if (kBlockSize - in_block < kRecordHeaderSize + 1) return pos + (kBlockSize - in_block);
  return pos;
}

uint64_t next_block(uint64_t pos) { return pos + (kBlockSize - offset_in_block(pos)); }

struct Header {
  uint8_t raw[kRecordHeaderSize];
  RecordType type() const { return static_cast<RecordType>(raw[0]); }
  uint32_t chunk() const { return get_u32(raw + 1); }
  uint32_t entry_size() const { return get_u32(raw + 5); }
  uint32_t crc() const { return get_u32(raw + 9); }
};

bool valid_type(uint8_t t) { return t >= 1 && t <= 4; }

// True if every byte from pos to the end of the source is zero (space a crash left unwritten).
bool zeros_to_end(const ByteSource& src, uint64_t pos) {
  uint8_t buf[4096];
  while (pos < src.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof buf, src.size() - pos));
    if (!src.read(pos, n, buf)) return false;
    for (size_t i = 0; i < n; ++i)
      if (buf[i] != 0) return false;
    pos += n;
  }
  return true;
}

enum class RecordRead { Ok, End, Incomplete, Corrupt };

// Reads the record at pos (after padding): header into *h, data appended to *out, *pos advanced
// past it.
RecordRead read_record(const ByteSource& src, uint64_t* pos, Header* h, std::string* out) {
  uint64_t p = skip_padding(*pos);
  if (p >= src.size()) return RecordRead::End;
  if (p + kRecordHeaderSize > src.size()) return RecordRead::Incomplete;  // a torn header
  if (!src.read(p, kRecordHeaderSize, h->raw)) return RecordRead::Incomplete;
  if (h->raw[0] == 0) return zeros_to_end(src, p) ? RecordRead::Incomplete : RecordRead::Corrupt;
  if (!valid_type(h->raw[0])) return RecordRead::Corrupt;
  const uint64_t room = kBlockSize - offset_in_block(p) - kRecordHeaderSize;
  const uint32_t chunk = h->chunk();
  if (chunk > room) return RecordRead::Corrupt;
  if (p + kRecordHeaderSize + chunk > src.size()) return RecordRead::Incomplete;
  const size_t before = out->size();
  out->resize(before + chunk);
  if (chunk > 0 && !src.read(p + kRecordHeaderSize, chunk, reinterpret_cast<uint8_t*>(out->data() + before))) {
    out->resize(before);
    return RecordRead::Incomplete;
  }
  if (crc_of(h->raw, out->data() + before, chunk) != h->crc()) {
    out->resize(before);
    return RecordRead::Corrupt;
  }
  *pos = p + kRecordHeaderSize + chunk;
  return RecordRead::Ok;
}

ReadStatus status_of(RecordRead r) {
  switch (r) {
    case RecordRead::Ok:
      return ReadStatus::Ok;
    case RecordRead::End:
      return ReadStatus::End;
    case RecordRead::Incomplete:
      return ReadStatus::Incomplete;
    case RecordRead::Corrupt:
      return ReadStatus::Corrupt;
  }
  return ReadStatus::Corrupt;
}

}  // namespace

uint64_t frame_entry(std::string_view payload, uint64_t segment_size, std::string& out) {
  const size_t start = out.size();
  uint64_t pos = segment_size;
  bool first = true;
  do {
    const uint64_t padded = skip_padding(pos);
    out.append(static_cast<size_t>(padded - pos), '\0');
    pos = padded;
    const uint64_t room = kBlockSize - offset_in_block(pos) - kRecordHeaderSize;
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(room, payload.size()));
    const bool last = chunk == payload.size();
    const RecordType type = first ? (last ? RecordType::Complete : RecordType::Start)
                                  : (last ? RecordType::End : RecordType::Middle);
    uint8_t h[kRecordHeaderSize];
    h[0] = static_cast<uint8_t>(type);
    put_u32(h + 1, static_cast<uint32_t>(chunk));
    put_u32(h + 5, type == RecordType::Start ? static_cast<uint32_t>(payload.size()) : kNoEntrySize);
    put_u32(h + 9, crc_of(h, payload.data(), chunk));
    out.append(reinterpret_cast<const char*>(h), sizeof h);
    out.append(payload.data(), chunk);
    pos += kRecordHeaderSize + chunk;
    payload.remove_prefix(chunk);
    first = false;
  } while (!payload.empty());
  return out.size() - start;
}

uint64_t framed_size(uint64_t payload_size, uint64_t segment_size) {
  uint64_t pos = segment_size;
  do {
    pos = skip_padding(pos);
    const uint64_t room = kBlockSize - offset_in_block(pos) - kRecordHeaderSize;
    const uint64_t chunk = std::min(room, payload_size);
    pos += kRecordHeaderSize + chunk;
    payload_size -= chunk;
  } while (payload_size > 0);
  return pos - segment_size;
}

bool BufferSource::read(uint64_t offset, size_t n, uint8_t* out) const {
  if (offset > bytes_.size() || n > bytes_.size() - offset) return false;
  if (n > 0) std::memcpy(out, bytes_.data() + offset, n);
  return true;
}

const char* to_string(ReadStatus s) {
  switch (s) {
    case ReadStatus::Ok:
      return "ok";
    case ReadStatus::End:
      return "end of segment";
    case ReadStatus::Incomplete:
      return "incomplete entry at the end of the segment";
    case ReadStatus::Corrupt:
      return "corrupt record";
  }
  return "?";
}

bool has_version(const ByteSource& src) {
  uint8_t v = 0;
  return src.read(0, 1, &v) && v == kSegmentVersion;
}

ReadStatus read_entry(const ByteSource& src, uint64_t offset, std::string* payload, uint64_t* next) {
  payload->clear();
  uint64_t pos = std::max(offset, kVersionSize);
  Header h;
  const RecordRead first = read_record(src, &pos, &h, payload);
  if (first != RecordRead::Ok) return status_of(first);
  if (h.type() == RecordType::Complete) {
    *next = pos;
    return ReadStatus::Ok;
  }
  if (h.type() != RecordType::Start) return ReadStatus::Corrupt;
  const uint64_t total = h.entry_size();
  if (total == kNoEntrySize || total <= payload->size()) return ReadStatus::Corrupt;
  while (payload->size() < total) {
    const RecordRead r = read_record(src, &pos, &h, payload);
    if (r == RecordRead::End) return ReadStatus::Incomplete;
    if (r != RecordRead::Ok) return status_of(r);
    if (payload->size() > total) return ReadStatus::Corrupt;
    const bool complete = payload->size() == total;
    if (h.type() != (complete ? RecordType::End : RecordType::Middle)) return ReadStatus::Corrupt;
  }
  *next = pos;
  return ReadStatus::Ok;
}

uint64_t find_entry_start(const ByteSource& src, uint64_t offset) {
  uint64_t pos = std::max(offset, kVersionSize);
  while (true) {
    pos = skip_padding(pos);
    if (pos + kRecordHeaderSize > src.size()) return src.size();
    Header h;
    if (!src.read(pos, kRecordHeaderSize, h.raw)) return src.size();
    const uint64_t room = kBlockSize - offset_in_block(pos) - kRecordHeaderSize;
    if (!valid_type(h.raw[0]) || h.chunk() > room) {
      pos = next_block(pos);
      continue;
    }
    if (h.type() == RecordType::Complete || h.type() == RecordType::Start) return pos;
    pos += kRecordHeaderSize + h.chunk();
  }
}

}  // namespace sluice::dlq
