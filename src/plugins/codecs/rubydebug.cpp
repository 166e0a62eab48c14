// The rubydebug codec (logstash-codec-rubydebug 3.1.0): encode only. Each event prints as its hash
// laid out by amazing_print 1.x, followed by "\n":
//
//   {
//       "@timestamp" => 2024-01-15T10:30:00.000Z,
//         "@version" => "1",
//          "message" => "hello",
//             "tags" => [
//           [0] "a"
//       ]
//   }
//
// Keys are right-aligned per map (to the longest key plus the current indentation, which starts at
// 4 and grows by 4 per nesting level); array items carry right-aligned indices; strings are Ruby
// inspect literals; @timestamp prints bare (it is a LogStash::Timestamp in Logstash). No colours:
// Logstash colours only when stdout is a TTY, and what users compare against (`docker logs`, files,
// pipes) is the plain form.
#include "event/ruby_format.hpp"
#include "event/utf8.hpp"
#include "plugins/codecs/codec_support.hpp"
#include "plugins/codecs/rubydebug_format.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

namespace sluice::codecs {
namespace {

void append_spaces(std::string& out, size_t n) { out.append(n, ' '); }

// Number of characters (code points) in valid UTF-8 text.
size_t char_count(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Java HashMap iteration order of `n` keys with the given hashes: by bucket of the table a HashMap
// reaches after n insertions (16 buckets, doubled above 75 % load), then by insertion order.
void hashmap_order(const std::vector<int32_t>& hashes, std::vector<uint32_t>& order) {
  size_t cap = 16;
  while (hashes.size() > cap * 3 / 4) cap *= 2;
  order.resize(hashes.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  auto bucket = [&](uint32_t i) {
    auto h = static_cast<uint32_t>(hashes[i]);
    h ^= h >> 16;
    return h & (cap - 1);
  };
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return bucket(a) < bucket(b); });
}

class Printer {
 public:
  Printer(std::string& out, bool hash_order) : out_(out), hash_order_(hash_order) {}

  void event(const Event& e, bool with_metadata) {
    const Value& data = e.data();
    struct Entry {
      std::string_view key;
      const Value* value;
      bool is_data;
    };
    std::vector<Entry> entries;
    entries.reserve(data.MemberCount() + 1);
    for (auto it = data.MemberBegin(); it != data.MemberEnd(); ++it) {
      entries.push_back({as_view(it->name), &it->value, true});
    }
    if (with_metadata && e.metadata().IsObject() && e.metadata().MemberCount() > 0) {
      entries.push_back({"@metadata", &e.metadata(), false});
    }
    if (hash_order_) reorder(entries);
    if (entries.empty()) {
      out_ += "{}";
      return;
    }
    members(entries, 4, [&](const Entry& en) {
      if (en.is_data && en.key == "@timestamp" && en.value->IsString()) {
        out_.append(as_view(*en.value));  // a LogStash::Timestamp: its inspect is the bare ISO form
      } else {
        value(*en.value, 8, en.is_data && hash_order_);
      }
    });
  }

  void top_value(const Value& v) { value(v, 4, false); }

 private:
  template <class Entries>
  void reorder(Entries& entries) {
    std::vector<int32_t> hashes;
    hashes.reserve(entries.size());
    for (const auto& en : entries) hashes.push_back(java_string_hash(en.key));
    std::vector<uint32_t> order;
    hashmap_order(hashes, order);
    Entries sorted;
    sorted.reserve(entries.size());
    for (uint32_t i : order) sorted.push_back(entries[i]);
    entries.swap(sorted);
  }

  // Writes "{\n" + aligned "key => value" lines + "\n" + closing brace; `print_value` writes one
  // entry's value.
  template <class Entries, class F>
  void members(const Entries& entries, size_t ind, F&& print_value) {
    // First pass: the inspected keys' widths.
    std::vector<size_t> widths;
    widths.reserve(entries.size());
    size_t maxw = 0;
    std::string scratch;
    for (const auto& en : entries) {
      scratch.clear();
      ruby::append_inspect(en.key, scratch);
      size_t w = char_count(scratch);
      widths.push_back(w);
      maxw = std::max(maxw, w);
    }
    out_ += "{\n";
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) out_ += ",\n";
      append_spaces(out_, maxw + ind - widths[i]);
      ruby::append_inspect(entries[i].key, out_);
      out_ += " => ";
      print_value(entries[i]);
    }
    out_.push_back('\n');
    append_spaces(out_, ind - 4);
    out_.push_back('}');
  }

  void value(const Value& v, size_t ind, bool hash_order) {
    switch (v.GetType()) {
      case rapidjson::kObjectType: object(v, ind, hash_order); return;
      case rapidjson::kArrayType: array(v, ind, hash_order); return;
      default: ruby::append_inspect(v, out_); return;  // scalars print as Ruby's #inspect
    }
  }

  void object(const Value& v, size_t ind, bool hash_order) {
    if (v.MemberCount() == 0) {
      out_ += "{}";
      return;
    }
    struct Entry {
      std::string_view key;
      const Value* value;
    };
    std::vector<Entry> entries;
    entries.reserve(v.MemberCount());
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) entries.push_back({as_view(it->name), &it->value});
    if (hash_order) reorder(entries);
    members(entries, ind, [&](const Entry& en) { value(*en.value, ind + 4, hash_order); });
  }

  void array(const Value& v, size_t ind, bool hash_order) {
    const rapidjson::SizeType n = v.Size();
    if (n == 0) {
      out_ += "[]";
      return;
    }
    char last[16];
    const int w = static_cast<int>(std::to_chars(last, last + sizeof last, n - 1).ptr - last);
    out_ += "[\n";
    for (rapidjson::SizeType i = 0; i < n; ++i) {
      if (i) out_ += ",\n";
      append_spaces(out_, ind);
      out_.push_back('[');
      char idx[16];
      const int iw = static_cast<int>(std::to_chars(idx, idx + sizeof idx, i).ptr - idx);
      append_spaces(out_, static_cast<size_t>(w - iw));
      out_.append(idx, static_cast<size_t>(iw));
      out_ += "] ";
      value(v[i], ind + 4, hash_order);
    }
    out_.push_back('\n');
    append_spaces(out_, ind - 4);
    out_.push_back(']');
  }

  std::string& out_;
  bool hash_order_;
};

}  // namespace

int32_t java_string_hash(std::string_view s) {
  uint32_t h = 0;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = utf8::decode(s, i, &cp);
    if (len == 0) {
      cp = 0xFFFD;  // Java decodes malformed input as U+FFFD
      len = 1;
    }
    if (cp >= 0x10000) {
      const uint32_t v = cp - 0x10000;
      h = 31 * h + (0xD800 + (v >> 10));
      h = 31 * h + (0xDC00 + (v & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

void append_rubydebug(const Event& e, bool metadata, std::string& out) {
  Printer(out, metadata).event(e, metadata);
  out.push_back('\n');
}

void append_ai_value(const Value& v, std::string& out) { Printer(out, false).top_value(v); }

namespace {

class RubydebugCodec final : public Codec {
 public:
  explicit RubydebugCodec(bool metadata) : metadata_(metadata) {}
  void decode(std::string_view, const Sink&) override {
    // Logstash raises "Not implemented": the data is lost, say so.
    warn_.warn("logstash.codecs.rubydebug", "The rubydebug codec cannot decode; input data is discarded", id());
  }
  void encode(const Event& e, std::string& out) override { append_rubydebug(e, metadata_, out); }

 private:
  bool metadata_;
  log::RateLimited warn_;
};

}  // namespace
}  // namespace sluice::codecs

namespace sluice::plugins {

void register_codec_rubydebug(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Codec;
  s.name = "rubydebug";
  s.description =
      "Prints events as Ruby hashes laid out by amazing_print, as Logstash's rubydebug codec does. Encode "
      "only.";
  s.options = {
      opt("metadata", OptionType::Boolean)
          .def_bool(false)
          .describe("Also print the event's @metadata (as a top-level \"@metadata\" key, when not empty)."),
  };
  r.add(std::move(s), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    return std::make_unique<codecs::RubydebugCodec>(cfg.boolean("metadata"));
  });
}

}  // namespace sluice::plugins
