#include "plugins/inputs/beats/decoder.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace sluice::beats {
namespace {

uint32_t be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

std::string byte_repr(char c) {
  const auto u = static_cast<unsigned char>(c);
  std::string s = std::to_string(u);
  if (u >= 0x20 && u < 0x7f) s += std::string(" ('") + c + "')";
  return s;
}

}  // namespace

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::None: return "none";
    case DecodeError::BadVersion: return "bad_version";
    case DecodeError::UnknownFrameType: return "unknown_frame_type";
    case DecodeError::VersionMismatch: return "version_mismatch";
    case DecodeError::UnexpectedFrame: return "unexpected_frame";
    case DecodeError::EmptyPayload: return "empty_payload";
    case DecodeError::FrameTooLarge: return "frame_too_large";
    case DecodeError::WindowTooLarge: return "window_too_large";
    case DecodeError::WindowBytesExceeded: return "window_bytes_exceeded";
    case DecodeError::BadCompression: return "bad_compression";
    case DecodeError::InflatedTooLarge: return "inflated_too_large";
    case DecodeError::InflateRatioExceeded: return "inflate_ratio_exceeded";
    case DecodeError::TruncatedCompressed: return "truncated_compressed";
    case DecodeError::CompressionTooDeep: return "compression_too_deep";
    case DecodeError::MemoryLimit: return "memory_limit";
  }
  return "unknown";
}

std::string ack_frame(int version, uint32_t seq) {
  std::string f(6, '\0');
  f[0] = version == 1 ? '1' : '2';
  f[1] = 'A';
  f[2] = static_cast<char>(seq >> 24);
  f[3] = static_cast<char>(seq >> 16);
  f[4] = static_cast<char>(seq >> 8);
  f[5] = static_cast<char>(seq);
  return f;
}

namespace {

constexpr size_t kChunkBytes = 64 * 1024;    // inflated output is decoded in chunks of this size
constexpr size_t kMinChunkBytes = 4 * 1024;  // first chunk of a small C frame; first arena chunk
constexpr size_t kMinBufferBytes = 512;      // smallest receive buffer
constexpr size_t kKeepBufferBytes = 4 * 1024;  // a receive buffer up to this size is not shrunk
// What one zlib inflate stream costs (its state and 32 KiB window), charged while it lives.
constexpr uint64_t kInflaterBytes = 48 * 1024;

}  // namespace

struct FrameDecoder::Inflater {
  z_stream zs{};
  bool live = false;        // inflateInit done, inflateEnd not yet
  bool ended = false;       // the end of the zlib stream was reached
  uint32_t size = 0;        // the C frame's compressed length
  uint64_t in_left = 0;     // compressed bytes of the C frame not yet taken from the parent
  uint64_t out_total = 0;   // bytes inflated from this C frame
  uint64_t in_total = 0;    // compressed bytes of this C frame inflated so far
  int depth = 1;            // 1: inside a top-level C frame; 2: inside a C inside a C
  std::shared_ptr<Chunk> chunk;  // inflated bytes: [pos, end) not decoded yet, [end, capacity) free
  size_t pos = 0;
  size_t end = 0;
  bool referenced = false;  // a message points into `chunk`: its bytes must not move
  Scan scan;
  std::unique_ptr<MemoryCharge> zlib_charge;

  void end_stream() {
    if (live) inflateEnd(&zs);
    live = false;
    zlib_charge.reset();
  }
  ~Inflater() { end_stream(); }
};

FrameDecoder::FrameDecoder(DecoderLimits limits, std::shared_ptr<MemoryAccount> account)
    : limits_(limits), account_(std::move(account)) {}

FrameDecoder::~FrameDecoder() {
  if (account_ && cap_ > 0) account_->release(cap_);
}

bool FrameDecoder::resize_buffer(size_t cap) {
  const size_t held = end_ - pos_;
  // Growing: the new room is charged in full while the old buffer is still held (its real peak).
  if (cap > cap_ && account_ && !account_->charge(cap)) return false;
  std::unique_ptr<char[]> room(cap > 0 ? new char[cap] : nullptr);
  if (held > 0) std::memcpy(room.get(), buf_.get() + pos_, held);
  buf_ = std::move(room);
  if (account_) {
    if (cap > cap_) {
      account_->release(cap_);
    } else {
      account_->release(cap_ - cap);
    }
  }
  cap_ = cap;
  pos_ = 0;
  end_ = held;
  return true;
}

bool FrameDecoder::feed(std::string_view bytes) {
  auto area = prepare(bytes.size());
  if (area.size() < bytes.size()) return false;
  if (!bytes.empty()) std::memcpy(area.data(), bytes.data(), bytes.size());
  commit(bytes.size());
  return true;
}

std::span<char> FrameDecoder::prepare(size_t n) {
  last_prepared_ = 0;
  // Drop consumed bytes first when they are at least half of what is held (amortised O(1) per byte).
  if (pos_ > 0 && (pos_ == end_ || pos_ >= end_ / 2)) {
    if (end_ > pos_) std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (cap_ - end_ < n) {
    // Grow geometrically, but not past the end of a J frame whose length is known (when the
    // buffered bytes start with a frame, not with the rest of a C frame's compressed bytes).
    size_t want = std::max({end_ + n, 2 * cap_, kMinBufferBytes});
    if (layers_.empty() && end_ - pos_ >= 10 && buf_[pos_ + 1] == 'J') {
      const size_t frame_end = pos_ + 10 + size_t{be32(buf_.get() + pos_ + 6)};
      if (frame_end < want) want = std::max(end_ + n, frame_end);
    }
    if (!resize_buffer(want)) return {};
  }
  last_prepared_ = n;
  return std::span<char>(buf_.get() + end_, n);
}

void FrameDecoder::commit(size_t k) {
  // Only the k bytes written are data; the rest of the prepared area stays unused storage.
  end_ += std::min(k, last_prepared_);
  last_prepared_ = 0;
}

void FrameDecoder::trim() {
  last_prepared_ = 0;
  if (cap_ == 0) return;
  const size_t held = end_ - pos_;
  if (held == 0) {
    (void)resize_buffer(0);
  } else if (cap_ > kKeepBufferBytes && held <= cap_ / 4) {
    (void)resize_buffer(std::max(held, kMinBufferBytes));
  }
}

void FrameDecoder::fail_memory(std::string message) {
  if (error_ != DecodeError::None) return;
  error_ = DecodeError::MemoryLimit;
  error_message_ = std::move(message);
}

void FrameDecoder::release(bool keep_buffer) {
  if (error_ == DecodeError::None) fail(DecodeError::MemoryLimit, "The decoder's memory was released");
  layers_.clear();
  ready_.reset();
  cur_ = Window{};
  arena_.reset();
  arena_used_ = 0;
  open_ = false;
  if (keep_buffer) return;
  pos_ = end_ = 0;
  (void)resize_buffer(0);
}

DecodeStatus FrameDecoder::next(Window& out) {
  if (error_ != DecodeError::None) return DecodeStatus::Error;
  while (!ready_) {
    switch (step()) {
      case Step::Done: break;
      case Step::NeedMore: return DecodeStatus::NeedMore;
      case Step::Blocked: return DecodeStatus::Blocked;
      case Step::Error: return DecodeStatus::Error;
    }
  }
  out = std::move(*ready_);
  ready_.reset();
  return DecodeStatus::Window;
}

FrameDecoder::Step FrameDecoder::fail(DecodeError e, std::string message) {
  error_ = e;
  error_message_ = std::move(message);
  return Step::Error;
}

// One frame from the innermost stream: the receive buffer, or the chunk of the innermost C frame
// being inflated (inflating more of it when no whole frame is left there).
FrameDecoder::Step FrameDecoder::step() {
  size_t used = 0;
  if (layers_.empty()) {
    const Step s = frame(buf_.get() + pos_, end_ - pos_, 0, nullptr, scan_, &used);
    if (s == Step::Done) pos_ += used;
    return s;
  }
  Inflater& l = *layers_.back();  // (stays valid if frame() opens a nested C frame)
  const Step s = l.chunk ? frame(l.chunk->data() + l.pos, l.end - l.pos, l.depth, &l, l.scan, &used) : Step::NeedMore;
  if (s == Step::Done) {
    l.pos += used;
    return s;
  }
  if (s != Step::NeedMore) return s;
  if (l.ended && l.in_left == 0) {
    if (l.pos < l.end)
      return fail(DecodeError::TruncatedCompressed, "Insufficient bytes in compressed content: " +
                                                        std::to_string(l.end - l.pos) +
                                                        " bytes left that are not a whole frame");
    pop_inflater();
    return Step::Done;
  }
  return produce(layers_.size() - 1);
}

void FrameDecoder::complete_window() {
  uint32_t last = 0;
  for (const auto& m : cur_.messages) last = std::max(last, m.seq);
  cur_.last_seq = last;
  ready_.emplace(std::move(cur_));
  cur_ = Window{};
  arena_.reset();
  arena_used_ = 0;
  open_ = false;
}

FrameDecoder::Step FrameDecoder::add_message(uint32_t seq, uint32_t pairs, const char* data, size_t len,
                                             Inflater* layer) {
  if (cur_.bytes + len > limits_.max_window_bytes)
    return fail(DecodeError::WindowBytesExceeded,
                "Window payload exceeds " + std::to_string(limits_.max_window_bytes) + " bytes");
  // Room in the message list, charged as it grows (a W frame announcing many events costs nothing
  // until they arrive). A refusal here or below leaves everything as it was: the frame is retried.
  if (cur_.messages.size() == cur_.messages.capacity()) {
    const size_t have = cur_.messages.capacity();
    const size_t want = std::min<size_t>(cur_.count, std::max<size_t>(16, have * 2));
    if (!cur_.charge) cur_.charge = std::make_shared<MemoryCharge>(account_);
    if (!cur_.charge->grow((want - have) * sizeof(Message))) return Step::Blocked;
    cur_.messages.reserve(want);
  }
  Message m;
  m.seq = seq;
  m.pairs = pairs;
  m.length = static_cast<uint32_t>(len);
  if (layer) {
    // Inside an inflated chunk: reference it.
    const Chunk* owner = layer->chunk.get();
    size_t idx = cur_.chunks.size();
    for (size_t i = cur_.chunks.size(); i-- > 0;) {
      if (cur_.chunks[i].get() == owner) {
        idx = i;
        break;
      }
    }
    if (idx == cur_.chunks.size()) cur_.chunks.push_back(layer->chunk);
    layer->referenced = true;
    m.chunk = static_cast<uint32_t>(idx);
    m.offset = static_cast<uint64_t>(data - owner->data());
  } else {
    // From the receive buffer, which moves on: copy into the window's own chunks.
    if (!arena_ || arena_->capacity() - arena_used_ < len) {
      const size_t prev = arena_ ? arena_->capacity() : 0;
      const size_t cap = std::max(len, std::clamp(prev * 2, kMinChunkBytes, kChunkBytes));
      auto chunk = Chunk::make(cap, account_);
      if (!chunk) return Step::Blocked;
      arena_ = std::move(chunk);
      arena_used_ = 0;
      arena_chunk_ = static_cast<uint32_t>(cur_.chunks.size());
      cur_.chunks.push_back(arena_);
    }
    m.chunk = arena_chunk_;
    m.offset = arena_used_;
    std::memcpy(arena_->data() + arena_used_, data, len);
    arena_used_ += len;
  }
  cur_.bytes += len;
  cur_.messages.push_back(m);
  if (cur_.messages.size() == cur_.count) complete_window();
  return Step::Done;
}

FrameDecoder::Step FrameDecoder::push_inflater(uint64_t compressed_size, int depth) {
  auto l = std::make_unique<Inflater>();
  l->zlib_charge = std::make_unique<MemoryCharge>(account_);
  if (!l->zlib_charge->grow(kInflaterBytes)) return Step::Blocked;
  if (inflateInit(&l->zs) != Z_OK) return fail(DecodeError::BadCompression, "Cannot initialise zlib");
  l->live = true;
  l->size = static_cast<uint32_t>(compressed_size);
  l->in_left = compressed_size;
  l->depth = depth;
  layers_.push_back(std::move(l));
  return Step::Done;
}

void FrameDecoder::pop_inflater() { layers_.pop_back(); }

void FrameDecoder::consume_parent(size_t li, size_t n) {
  if (li == 0) {
    pos_ += n;
  } else {
    layers_[li - 1]->pos += n;
  }
}

// Room at the end of the inflater's chunk. A full chunk is replaced by a new one (64 KiB, or larger
// to hold the frame that did not fit: double its bytes so far, up to its length when known) into
// which that partial frame moves; a chunk no message references is reused in place.
FrameDecoder::Step FrameDecoder::make_room(Inflater& l) {
  if (l.chunk && l.end < l.chunk->capacity()) return Step::Done;
  size_t want;
  size_t partial = 0;
  if (!l.chunk) {
    want = static_cast<size_t>(std::clamp<uint64_t>(l.in_left * 8, kMinChunkBytes, kChunkBytes));
  } else {
    partial = l.end - l.pos;
    const char* f = l.chunk->data() + l.pos;
    size_t grow = partial * 2;
    if (partial >= 10 && f[1] == 'J') grow = std::min(grow, 10 + size_t{be32(f + 6)});
    want = std::max(kChunkBytes, grow);
    // (frame() has checked the J length; a D frame fails its scan before growing past this.)
    want = std::min(want, std::max(kChunkBytes, size_t{limits_.max_frame_bytes} + 64));
    if (!l.referenced && want <= l.chunk->capacity()) {
      if (partial > 0 && l.pos > 0) std::memmove(l.chunk->data(), f, partial);
      l.pos = 0;
      l.end = partial;
      return Step::Done;
    }
  }
  auto chunk = Chunk::make(want, account_);
  if (!chunk) return Step::Blocked;
  if (partial > 0) std::memcpy(chunk->data(), l.chunk->data() + l.pos, partial);
  l.chunk = std::move(chunk);
  l.pos = 0;
  l.end = partial;
  l.referenced = false;
  return Step::Done;
}

// Inflates more of C frame `li` into its chunk, taking its compressed bytes from the stream it
// lies in (the receive buffer, or the chunk of the enclosing C frame, inflating more of that one
// as needed). Done: progress (output, the end of the zlib stream, or trailing bytes skipped).
FrameDecoder::Step FrameDecoder::produce(size_t li) {
  Inflater& l = *layers_[li];
  if (l.ended && l.in_left == 0)  // an enclosing C frame ran out while an inner one needs more
    return fail(DecodeError::TruncatedCompressed,
                "Insufficient bytes in compressed content: a compressed frame continues past the end of the "
                "compressed frame holding it");
  if (!l.ended) {
    const Step s = make_room(l);
    if (s != Step::Done) return s;
  }
  for (;;) {
    const char* in;
    size_t avail;
    if (li == 0) {
      in = buf_.get() + pos_;
      avail = end_ - pos_;
    } else {
      const Inflater& up = *layers_[li - 1];
      in = up.chunk ? up.chunk->data() + up.pos : nullptr;
      avail = up.end - up.pos;
    }
    if (avail > l.in_left) avail = static_cast<size_t>(l.in_left);
    if (avail == 0) {
      if (l.in_left == 0)
        return fail(DecodeError::BadCompression, "Compressed frame ends before the end of its zlib stream");
      if (li == 0) return Step::NeedMore;
      const Step s = produce(li - 1);
      if (s != Step::Done) return s;
      continue;
    }
    if (l.ended) {  // bytes after the end of the zlib stream, inside the C frame's length: ignored
      consume_parent(li, avail);
      l.in_left -= avail;
      return Step::Done;
    }
    const size_t room = l.chunk->capacity() - l.end;
    l.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    l.zs.avail_in = static_cast<uInt>(std::min<size_t>(avail, UINT32_MAX));
    l.zs.next_out = reinterpret_cast<Bytef*>(l.chunk->data() + l.end);
    l.zs.avail_out = static_cast<uInt>(std::min<size_t>(room, UINT32_MAX));
    const uInt in_before = l.zs.avail_in;
    const uInt out_before = l.zs.avail_out;
    const int rc = ::inflate(&l.zs, Z_NO_FLUSH);
    const size_t took = in_before - l.zs.avail_in;
    const size_t made = out_before - l.zs.avail_out;
    consume_parent(li, took);
    l.in_left -= took;
    l.in_total += took;
    l.end += made;
    l.out_total += made;
    inflated_total_ += made;
    if (l.out_total > limits_.max_window_bytes)
      return fail(DecodeError::InflatedTooLarge, "Compressed frame of " + std::to_string(l.size) +
                                                     " bytes inflates to more than " +
                                                     std::to_string(limits_.max_window_bytes) + " bytes");
    if (limits_.max_inflate_ratio > 0 && l.out_total > limits_.ratio_grace_bytes &&
        l.out_total > uint64_t{limits_.max_inflate_ratio} * std::max<uint64_t>(l.in_total, 1))
      return fail(DecodeError::InflateRatioExceeded,
                  "Compressed frame inflates more than " + std::to_string(limits_.max_inflate_ratio) +
                      " times its size (" + std::to_string(l.in_total) + " bytes to " + std::to_string(l.out_total) +
                      "): a decompression bomb; raise max_inflate_ratio (Sluice only) if the sender's data is "
                      "that repetitive");
    if (rc == Z_STREAM_END) {
      l.ended = true;
      l.end_stream();
      return Step::Done;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      const std::string why = rc == Z_NEED_DICT ? "a preset dictionary is required"
                              : l.zs.msg        ? l.zs.msg
                                                : "invalid data";
      return fail(DecodeError::BadCompression, "Invalid zlib data in compressed frame: " + why);
    }
    if (made > 0) return Step::Done;
    if (took == 0) return fail(DecodeError::BadCompression, "Invalid zlib data in compressed frame: no progress");
    // Input consumed without output yet (block headers): take more.
  }
}

FrameDecoder::Step FrameDecoder::frame(const char* data, size_t len, int depth, Inflater* layer, Scan& scan,
                                       size_t* used) {
  if (len < 2) return Step::NeedMore;
  const char ver = data[0];
  const char type = data[1];
  if (ver != '1' && ver != '2')
    return fail(DecodeError::BadVersion, "Invalid version of beats protocol: " + byte_repr(ver));
  const int version = ver - '0';
  switch (type) {
    case 'W': {
      if (len < 6) return Step::NeedMore;
      const uint32_t count = be32(data + 2);
      if (open_)
        return fail(DecodeError::UnexpectedFrame,
                    "Window frame received while the previous window has " + std::to_string(cur_.messages.size()) +
                        " of " + std::to_string(cur_.count) + " events");
      if (count > limits_.max_window_events)
        return fail(DecodeError::WindowTooLarge, "Window of " + std::to_string(count) +
                                                     " events exceeds the maximum of " +
                                                     std::to_string(limits_.max_window_events));
      *used = 6;
      cur_ = Window{};
      cur_.version = version;
      cur_.count = count;
      if (count == 0) {
        ready_.emplace(std::move(cur_));
        cur_ = Window{};
      } else {
        open_ = true;
      }
      return Step::Done;
    }
    case 'J': {
      if (len < 10) return Step::NeedMore;
      const uint32_t seq = be32(data + 2);
      const uint32_t size = be32(data + 6);
      if (!open_) return fail(DecodeError::UnexpectedFrame, "JSON data frame outside a window");
      if (version != 2 || cur_.version != 2)
        return fail(DecodeError::VersionMismatch, "JSON data frame in a protocol version " +
                                                      std::to_string(cur_.version) + " window");
      if (size == 0) return fail(DecodeError::EmptyPayload, "JSON data frame with an empty payload");
      if (size > limits_.max_frame_bytes)
        return fail(DecodeError::FrameTooLarge, "JSON data frame of " + std::to_string(size) +
                                                    " bytes exceeds the maximum of " +
                                                    std::to_string(limits_.max_frame_bytes));
      if (len - 10 < size) return Step::NeedMore;
      const Step s = add_message(seq, 0, data + 10, size, layer);
      if (s == Step::Done) *used = 10 + size_t{size};
      return s;
    }
    case 'D': {
      if (len < 10) return Step::NeedMore;
      const uint32_t seq = be32(data + 2);
      const uint32_t pairs = be32(data + 6);
      if (!open_) return fail(DecodeError::UnexpectedFrame, "Data frame outside a window");
      if (version != 1 || cur_.version != 1)
        return fail(DecodeError::VersionMismatch, "Key/value data frame in a protocol version " +
                                                      std::to_string(cur_.version) + " window");
      if (pairs == 0) return fail(DecodeError::EmptyPayload, "Key/value data frame with no fields");
      // Scan the pairs; resume a previous partial scan of this same frame.
      size_t off = 10;
      uint32_t done = 0;
      if (scan.valid) {
        off = scan.offset;
        done = scan.pairs;
      }
      auto suspend = [&](size_t at) {
        scan.valid = true;
        scan.offset = at;  // always the start of a pair (or the end of the frame)
        scan.pairs = done;
        return Step::NeedMore;
      };
      while (done < pairs) {
        const size_t pair_start = off;
        for (int half = 0; half < 2; ++half) {  // key, then value
          if (len - off < 4) return suspend(pair_start);
          const uint64_t l = be32(data + off);
          if (off + 4 + l - 10 > limits_.max_frame_bytes)
            return fail(DecodeError::FrameTooLarge, "Key/value data frame exceeds the maximum of " +
                                                        std::to_string(limits_.max_frame_bytes) + " bytes");
          if (len - off - 4 < l) return suspend(pair_start);
          off += 4 + static_cast<size_t>(l);
        }
        ++done;
      }
      // Scanned: remember it, so that a Blocked retry does not scan again.
      scan.valid = true;
      scan.offset = off;
      scan.pairs = done;
      const Step s = add_message(seq, pairs, data + 10, off - 10, layer);
      if (s == Step::Done) {
        scan.valid = false;
        *used = off;
      }
      return s;
    }
    case 'C': {
      if (len < 6) return Step::NeedMore;
      const uint32_t size = be32(data + 2);
      if (size == 0) return fail(DecodeError::EmptyPayload, "Compressed frame with an empty payload");
      if (size > limits_.max_frame_bytes)
        return fail(DecodeError::FrameTooLarge, "Compressed frame of " + std::to_string(size) +
                                                    " bytes exceeds the maximum of " +
                                                    std::to_string(limits_.max_frame_bytes));
      if (depth + 1 > limits_.max_compression_depth)
        return fail(DecodeError::CompressionTooDeep, "Compressed frames nested deeper than " +
                                                         std::to_string(limits_.max_compression_depth) + " levels");
      // The compressed bytes are not waited for: they are inflated as they arrive.
      const Step s = push_inflater(size, depth + 1);
      if (s == Step::Done) *used = 6;
      return s;
    }
    default:
      return fail(DecodeError::UnknownFrameType, "Invalid frame type: " + byte_repr(type));
  }
}

}  // namespace sluice::beats
