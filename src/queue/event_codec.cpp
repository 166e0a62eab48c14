// Event <-> bytes for the persisted queue (and the dead letter queue's entries). Neither direction
// recurses: encoding walks the value tree with an explicit stack (event/walk.hpp) and refuses an
// event nested deeper than kMaxEventDepth (TooDeep); decoding drives a RapidJSON document's SAX
// handler from an explicit stack of open containers and refuses deeper nesting as malformed, so
// bytes from disk (a corrupt or crafted record) cannot exhaust the thread's stack.
#include "queue/event_codec.hpp"

#include "event/walk.hpp"
#include "queue/page_format.hpp"

#include <cstring>
#include <vector>

namespace sluice::pq {

namespace {

enum Tag : uint8_t {
  kNull = 0,
  kFalse = 1,
  kTrue = 2,
  kInt = 3,     // zigzag varint (any value that fits int64)
  kUint = 4,    // varint (values above INT64_MAX)
  kDouble = 5,  // 8 bytes, IEEE-754 bits, little-endian
  kString = 6,  // varint length, bytes
  kArray = 7,   // varint count, values
  kObject = 8,  // varint count, then per member: varint key length, key bytes, value
};

constexpr uint8_t kHasTimestamp = 1;

// ---- encoding ------------------------------------------------------------------------------------

void put_varint(std::string& out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, static_cast<size_t>(n));
}

void put_bytes(std::string& out, const char* s, size_t n) {
  put_varint(out, n);
  out.append(s, n);
}

void put_scalar(std::string& out, const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out.push_back(static_cast<char>(kNull));
      return;
    case rapidjson::kFalseType:
      out.push_back(static_cast<char>(kFalse));
      return;
    case rapidjson::kTrueType:
      out.push_back(static_cast<char>(kTrue));
      return;
    case rapidjson::kNumberType:
      if (v.IsInt64()) {
        const int64_t i = v.GetInt64();
        out.push_back(static_cast<char>(kInt));
        put_varint(out, (static_cast<uint64_t>(i) << 1) ^ static_cast<uint64_t>(i >> 63));
      } else if (v.IsUint64()) {
        out.push_back(static_cast<char>(kUint));
        put_varint(out, v.GetUint64());
      } else {
        const double d = v.GetDouble();
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        char buf[9];
        buf[0] = static_cast<char>(kDouble);
        store_u64(reinterpret_cast<uint8_t*>(buf + 1), bits);
        out.append(buf, sizeof buf);
      }
      return;
    case rapidjson::kStringType:
      out.push_back(static_cast<char>(kString));
      put_bytes(out, v.GetString(), v.GetStringLength());
      return;
    case rapidjson::kArrayType:
    case rapidjson::kObjectType:
      return;  // see Encoder
  }
}

// The value tree in document order, walked without recursion; a container at depth
// kMaxEventDepth (the root object is depth 1) stops the walk: the event is too deep to persist.
class Encoder {
 public:
  explicit Encoder(std::string& out) : out_(out) {}
  WalkStep enter(const Value& v, const WalkPos& pos) {
    if (pos.key) put_bytes(out_, pos.key->GetString(), pos.key->GetStringLength());
    if (v.IsArray() || v.IsObject()) {
      if (static_cast<int>(pos.depth) + 1 >= kMaxEventDepth) return WalkStep::Stop;
      out_.push_back(static_cast<char>(v.IsArray() ? kArray : kObject));
      put_varint(out_, v.IsArray() ? v.Size() : v.MemberCount());
      return WalkStep::Into;
    }
    put_scalar(out_, v);
    return WalkStep::Over;
  }
  void leave(const Value&, const WalkPos&) {}

 private:
  std::string& out_;
};

bool put_value(std::string& out, const Value& v) {
  Encoder enc(out);
  return walk(v, enc);
}

// ---- decoding ------------------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(std::string_view b) : p_(reinterpret_cast<const uint8_t*>(b.data())), end_(p_ + b.size()) {}
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool u8(uint8_t* v) {
    if (p_ == end_) return false;
    *v = *p_++;
    return true;
  }
  bool u64le(uint64_t* v) {
    if (left() < 8) return false;
    *v = load_u64(p_);
    p_ += 8;
    return true;
  }
  bool varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!u8(&b)) return false;
      if (shift == 63 && b > 1) return false;  // more than 64 bits
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  // A length-prefixed byte string; the view points into the input.
  bool bytes(const char** s, rapidjson::SizeType* n) {
    uint64_t len;
    if (!varint(&len) || len > left() || len > UINT32_MAX) return false;
    *s = reinterpret_cast<const char*>(p_);
    *n = static_cast<rapidjson::SizeType>(len);
    p_ += len;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Sends one encoded value (which must be an object) to a RapidJSON handler as SAX events.
class ValueGenerator {
 public:
  ValueGenerator(Reader& r, std::string* error) : r_(r), error_(error) {}

  bool operator()(Document& h) {
    uint8_t tag;
    if (!r_.u8(&tag)) return fail("the event ends before its value");
    if (tag != kObject) return fail("the top-level value is not an object");
    if (!open(h, tag)) return false;
    for (;;) {
      Frame& f = stack_.back();
      if (f.left == 0) {
        const bool ok = f.object ? h.EndObject(f.total) : h.EndArray(f.total);
        stack_.pop_back();
        if (!ok) return fail("the decoder could not close a container");
        if (stack_.empty()) return true;
        continue;
      }
      --f.left;
      if (f.object) {
        const char* k;
        rapidjson::SizeType n;
        if (!r_.bytes(&k, &n)) return fail("a member name runs past the end");
        h.Key(k, n, true);
      }
      if (!r_.u8(&tag)) return fail("the event ends before a value");
      if (!scalar_or_open(h, tag)) return false;
    }
  }

 private:
  struct Frame {
    bool object;
    rapidjson::SizeType total;
    rapidjson::SizeType left;
  };

  bool fail(const char* what) {
    if (error_ && error_->empty()) *error_ = what;
    return false;
  }

  bool open(Document& h, uint8_t tag) {
    uint64_t n;
    if (!r_.varint(&n)) return fail("a container count is malformed");
    // Every element takes at least one byte (a member at least two): a count beyond what is left
    // is a lie, refused before anything is reserved.
    const uint64_t min_size = tag == kObject ? 2 : 1;
    if (n > r_.left() / min_size) return fail("a container count exceeds the bytes left");
    // The same limit as the encoder's (the root object is depth 1): a deeper record was not written
    // by Sluice, it is corrupt.
    if (stack_.size() + 1 >= static_cast<size_t>(kMaxEventDepth)) return fail("nesting is deeper than the limit");
    if (tag == kObject) {
      h.StartObject();
    } else {
      h.StartArray();
    }
    const auto count = static_cast<rapidjson::SizeType>(n);
    stack_.push_back(Frame{tag == kObject, count, count});
    return true;
  }

  bool scalar_or_open(Document& h, uint8_t tag) {
    switch (tag) {
      case kNull:
        h.Null();
        return true;
      case kFalse:
        h.Bool(false);
        return true;
      case kTrue:
        h.Bool(true);
        return true;
      case kInt: {
        uint64_t z;
        if (!r_.varint(&z)) return fail("an integer is malformed");
        h.Int64(static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1));
        return true;
      }
      case kUint: {
        uint64_t u;
        if (!r_.varint(&u)) return fail("an integer is malformed");
        if (u <= static_cast<uint64_t>(INT64_MAX)) return fail("an unsigned integer is not in its canonical form");
        h.Uint64(u);
        return true;
      }
      case kDouble: {
        uint64_t bits;
        if (!r_.u64le(&bits)) return fail("a double runs past the end");
        double d;
        std::memcpy(&d, &bits, sizeof d);
        h.Double(d);
        return true;
      }
      case kString: {
        const char* s;
        rapidjson::SizeType n;
        if (!r_.bytes(&s, &n)) return fail("a string runs past the end");
        h.String(s, n, true);
        return true;
      }
      case kArray:
      case kObject:
        return open(h, tag);
      default:
        return fail("unknown value tag");
    }
  }

  Reader& r_;
  std::string* error_;
  std::vector<Frame> stack_;
};

rapidjson::CrtAllocator& stack_allocator() {
  static rapidjson::CrtAllocator a;  // stateless; shared
  return a;
}

bool decode_object(Reader& r, Allocator& alloc, Value* out, std::string* error) {
  Document doc(&alloc, 256, &stack_allocator());
  ValueGenerator gen(r, error);
  doc.Populate(gen);
  if (error->empty() && !doc.IsObject()) *error = "the value is not an object";
  if (!error->empty()) return false;
  out->Swap(doc);
  return true;
}

const FieldRef& timestamp_ref() {
  static const FieldRef ref = *FieldRef::parse("@timestamp");
  return ref;
}

}  // namespace

EncodeStatus encode_event(const Event& e, std::string& out) {
  const size_t start = out.size();
  const auto ts = e.timestamp();
  out.push_back(static_cast<char>(kEventCodecVersion));
  out.push_back(static_cast<char>(ts ? kHasTimestamp : 0));
  if (ts) {
    char buf[8];
    store_u64(reinterpret_cast<uint8_t*>(buf), static_cast<uint64_t>(ts->ns));
    out.append(buf, sizeof buf);
  }
  if (!put_value(out, e.data()) || !put_value(out, e.metadata())) {
    out.resize(start);
    return EncodeStatus::TooDeep;
  }
  return EncodeStatus::Ok;
}

std::unique_ptr<Event> decode_event(std::string_view bytes, std::string* error) {
  std::string local;
  std::string& err = error ? *error : local;
  err.clear();
  Reader r(bytes);
  uint8_t version, flags;
  if (!r.u8(&version) || !r.u8(&flags)) {
    err = "the event is shorter than its header";
    return nullptr;
  }
  if (version != kEventCodecVersion) {
    err = "unknown event encoding version " + std::to_string(version);
    return nullptr;
  }
  if (flags & ~kHasTimestamp) {
    err = "unknown event flags";
    return nullptr;
  }
  uint64_t ns = 0;
  if ((flags & kHasTimestamp) && !r.u64le(&ns)) {
    err = "the timestamp runs past the end";
    return nullptr;
  }
  auto e = std::make_unique<Event>(Timestamp{static_cast<int64_t>(ns)});
  // The decoded data replaces the constructor's members; without a timestamp, removing the member
  // first is what clears the event's timestamp.
  if (!(flags & kHasTimestamp)) (void)e->remove(timestamp_ref());
  Value data, metadata;
  if (!decode_object(r, e->allocator(), &data, &err) || !decode_object(r, e->allocator(), &metadata, &err)) {
    return nullptr;
  }
  if (r.left() != 0) {
    err = std::to_string(r.left()) + " bytes follow the event";
    return nullptr;
  }
  e->data() = std::move(data);
  e->metadata() = std::move(metadata);
  return e;
}

}  // namespace sluice::pq
