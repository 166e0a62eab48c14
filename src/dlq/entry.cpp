// Entry payloads: a version byte, the entry time, plugin type, plugin id, reason, then the event in
// the persisted queue's exact binary form (src/queue/event_codec.hpp). Big-endian integers.
#include "dlq/entry.hpp"

#include "queue/event_codec.hpp"

#include <cstring>

namespace sluice::dlq {
namespace {

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class Cursor {
 public:
  explicit Cursor(std::string_view b) : b_(b) {}
  bool u(int bytes, uint64_t* v) {
    if (b_.size() < static_cast<size_t>(bytes)) return false;
    uint64_t r = 0;
    for (int i = 0; i < bytes; ++i) r = (r << 8) | static_cast<uint8_t>(b_[static_cast<size_t>(i)]);
    b_.remove_prefix(static_cast<size_t>(bytes));
    *v = r;
    return true;
  }
  bool str(int len_bytes, std::string* s) {
    uint64_t n = 0;
    if (!u(len_bytes, &n) || n > b_.size()) return false;
    s->assign(b_.substr(0, static_cast<size_t>(n)));
    b_.remove_prefix(static_cast<size_t>(n));
    return true;
  }
  std::string_view rest() const { return b_; }

 private:
  std::string_view b_;
};

constexpr size_t kMaxShort = 0xffff;

}  // namespace

bool encode_entry(const Event& e, std::string_view plugin_type, std::string_view plugin_id, std::string_view reason,
                  Timestamp entry_time, std::string& out) {
  const size_t start = out.size();
  out.push_back(static_cast<char>(kEntryVersion));
  put_be(out, static_cast<uint64_t>(entry_time.ns), 8);
  plugin_type = plugin_type.substr(0, kMaxShort);
  plugin_id = plugin_id.substr(0, kMaxShort);
  put_be(out, plugin_type.size(), 2);
  out.append(plugin_type);
  put_be(out, plugin_id.size(), 2);
  out.append(plugin_id);
  put_be(out, reason.size(), 4);
  out.append(reason);
  if (pq::encode_event(e, out) != pq::EncodeStatus::Ok) {
    out.resize(start);
    return false;
  }
  return true;
}

bool decode_entry(std::string_view bytes, Entry* out, std::string* error) {
  Cursor c(bytes);
  uint64_t version = 0, ns = 0;
  if (!c.u(1, &version) || version != kEntryVersion) {
    *error = "unknown entry version";
    return false;
  }
  if (!c.u(8, &ns) || !c.str(2, &out->plugin_type) || !c.str(2, &out->plugin_id) || !c.str(4, &out->reason)) {
    *error = "truncated entry header";
    return false;
  }
  out->entry_time = Timestamp{static_cast<int64_t>(ns)};
  // The persisted queue's decoder: iterative, and an event nested as deep as its encoder refuses
  // (kMaxEventDepth) is malformed; the reader then skips this entry as unreadable and logs it.
  std::string codec_error;
  out->event = pq::decode_event(c.rest(), &codec_error);
  if (!out->event) {
    *error = "undecodable event: " + codec_error;
    return false;
  }
  return true;
}

std::optional<Timestamp> peek_entry_time(std::string_view bytes) {
  Cursor c(bytes);
  uint64_t version = 0, ns = 0;
  if (!c.u(1, &version) || version != kEntryVersion || !c.u(8, &ns)) return std::nullopt;
  return Timestamp{static_cast<int64_t>(ns)};
}

}  // namespace sluice::dlq
