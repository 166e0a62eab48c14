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
    case DecodeError::TruncatedCompressed: return "truncated_compressed";
    case DecodeError::CompressionTooDeep: return "compression_too_deep";
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

FrameDecoder::FrameDecoder(DecoderLimits limits) : limits_(limits) {}

void FrameDecoder::feed(std::string_view bytes) {
  auto area = prepare(bytes.size());
  if (!bytes.empty()) std::memcpy(area.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

std::span<char> FrameDecoder::prepare(size_t n) {
  // Drop consumed bytes first when they are at least half of what is held (amortised O(1) per byte).
  if (pos_ > 0 && (pos_ == end_ || pos_ >= end_ / 2)) {
    if (end_ > pos_) std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    if (d_scan_pos_ != SIZE_MAX) d_scan_pos_ -= pos_;
    pos_ = 0;
  }
  if (buf_.size() < end_ + n) {
    buf_.resize(end_ + n);
  } else if (buf_.size() > (1u << 20) && end_ + n < buf_.size() / 4) {
    // Give back the room a large frame needed once.
    buf_.resize(end_ + n);
    buf_.shrink_to_fit();
  }
  last_prepared_ = n;
  return std::span<char>(buf_.data() + end_, n);
}

void FrameDecoder::commit(size_t k) {
  // Only the k bytes written are data; the rest of the prepared area stays unused storage.
  end_ += std::min(k, last_prepared_);
  last_prepared_ = 0;
}

DecodeStatus FrameDecoder::next(Window& out) {
  if (error_ != DecodeError::None) return DecodeStatus::Error;
  while (ready_.empty()) {
    size_t used = 0;
    const Step s = frame(buf_.data() + pos_, end_ - pos_, 0, nullptr, &used);
    if (s == Step::Error) return DecodeStatus::Error;
    if (s == Step::NeedMore) return DecodeStatus::NeedMore;
    pos_ += used;
  }
  out = std::move(ready_.front());
  ready_.pop_front();
  return DecodeStatus::Window;
}

FrameDecoder::Step FrameDecoder::fail(DecodeError e, std::string message) {
  error_ = e;
  error_message_ = std::move(message);
  return Step::Error;
}

void FrameDecoder::complete_window() {
  uint32_t last = 0;
  for (const auto& m : cur_.messages) last = std::max(last, m.seq);
  cur_.last_seq = last;
  ready_.push_back(std::move(cur_));
  cur_ = Window{};
  arena_.reset();
  open_ = false;
}

FrameDecoder::Step FrameDecoder::add_message(uint32_t seq, uint32_t pairs, const char* data, size_t len,
                                             const std::shared_ptr<const std::string>& owner) {
  if (cur_.bytes + len > limits_.max_window_bytes)
    return fail(DecodeError::WindowBytesExceeded,
                "Window payload exceeds " + std::to_string(limits_.max_window_bytes) + " bytes");
  Message m;
  m.seq = seq;
  m.pairs = pairs;
  m.length = static_cast<uint32_t>(len);
  if (owner) {
    // Inside an inflated chunk: reference it.
    size_t idx = cur_.chunks.size();
    for (size_t i = cur_.chunks.size(); i-- > 0;) {
      if (cur_.chunks[i] == owner) {
        idx = i;
        break;
      }
    }
    if (idx == cur_.chunks.size()) cur_.chunks.push_back(owner);
    m.chunk = static_cast<uint32_t>(idx);
    m.offset = static_cast<uint64_t>(data - owner->data());
  } else {
    // From the connection buffer, which moves on: copy into the window's arena.
    if (!arena_) {
      arena_ = std::make_shared<std::string>();
      arena_chunk_ = static_cast<uint32_t>(cur_.chunks.size());
      cur_.chunks.push_back(arena_);
    }
    m.chunk = arena_chunk_;
    m.offset = arena_->size();
    arena_->append(data, len);
  }
  cur_.bytes += len;
  cur_.messages.push_back(m);
  if (cur_.messages.size() == cur_.count) complete_window();
  return Step::Done;
}

FrameDecoder::Step FrameDecoder::inflate(const char* data, size_t len, std::string& out) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return fail(DecodeError::BadCompression, "Cannot initialise zlib");
  const uint64_t cap = limits_.max_window_bytes;
  out.resize(static_cast<size_t>(std::min<uint64_t>(cap + 1, std::max<uint64_t>(uint64_t{len} * 4, 4096))));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  zs.avail_in = static_cast<uInt>(len);
  size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() > cap) break;  // produced more than the cap
      out.resize(static_cast<size_t>(std::min<uint64_t>(cap + 1, uint64_t{out.size()} * 2)));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = ::inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      inflateEnd(&zs);
      out.resize(produced);
      return Step::Done;
    }
    if (rc == Z_BUF_ERROR && zs.avail_out != 0) {
      inflateEnd(&zs);
      return fail(DecodeError::BadCompression, "Compressed frame ends before the end of its zlib stream");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      std::string why = zs.msg ? zs.msg : "invalid data";
      inflateEnd(&zs);
      return fail(DecodeError::BadCompression, "Invalid zlib data in compressed frame: " + why);
    }
  }
  inflateEnd(&zs);
  return fail(DecodeError::InflatedTooLarge,
              "Compressed frame of " + std::to_string(len) + " bytes inflates to more than " + std::to_string(cap) +
                  " bytes");
}

FrameDecoder::Step FrameDecoder::frame(const char* data, size_t len, int depth,
                                       const std::shared_ptr<const std::string>& owner, size_t* used) {
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
        ready_.push_back(std::move(cur_));
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
      *used = 10 + size_t{size};
      return add_message(seq, 0, data + 10, size, owner);
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
      // Scan the pairs; resume a previous partial scan of this same top-level frame.
      const bool top = owner == nullptr;
      size_t off = 10;
      uint32_t done = 0;
      if (top && d_scan_pos_ == pos_) {
        off = d_scan_offset_;
        done = d_scan_pairs_;
      }
      auto suspend = [&](size_t at) {
        if (top) {
          d_scan_pos_ = pos_;
          d_scan_offset_ = at;  // always the start of a pair
          d_scan_pairs_ = done;
        }
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
      if (top) d_scan_pos_ = SIZE_MAX;
      *used = off;
      return add_message(seq, pairs, data + 10, off - 10, owner);
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
      if (len - 6 < size) return Step::NeedMore;
      auto inflated = std::make_shared<std::string>();
      if (inflate(data + 6, size, *inflated) == Step::Error) return Step::Error;
      std::shared_ptr<const std::string> chunk = std::move(inflated);
      const char* p = chunk->data();
      size_t left = chunk->size();
      while (left > 0) {
        size_t n = 0;
        const Step s = frame(p, left, depth + 1, chunk, &n);
        if (s == Step::Error) return Step::Error;
        if (s == Step::NeedMore)
          return fail(DecodeError::TruncatedCompressed,
                      "Insufficient bytes in compressed content: " + std::to_string(left) +
                          " bytes left that are not a whole frame");
        p += n;
        left -= n;
      }
      *used = 6 + size_t{size};
      return Step::Done;
    }
    default:
      return fail(DecodeError::UnknownFrameType, "Invalid frame type: " + byte_repr(type));
  }
}

}  // namespace sluice::beats
