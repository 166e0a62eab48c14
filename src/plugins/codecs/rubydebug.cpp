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
// inspect literals; @timestamp prints bare (it is a LogStash::Timestamp in Logstash). Containers
// more than 100 levels deep print on one line (Ruby's inspect form; a Sluice limit). No colours:
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

// Layout levels: a container more than this many levels below the printed root prints on one line
// in Ruby's inspect form (`{"a" => [1, 2]}`). amazing_print indents every level by four more spaces,
// so its text of a deep document grows with the square of the depth (a 1000-level document, which
// the JSON parsers accept, would take megabytes); real events are nowhere near this deep.
constexpr size_t kMaxLayoutDepth = 100;

// The amazing_print layout, walked with an explicit stack of open containers (event data can nest
// to any depth; nothing recurses).
class Printer {
 public:
  Printer(std::string& out, bool hash_order) : out_(out), hash_order_(hash_order) {}

  void event(const Event& e, bool with_metadata) {
    const Value& data = e.data();
    Frame root;
    root.object = true;
    root.ind = 4;
    root.entries.reserve(data.MemberCount() + 1);
    for (auto it = data.MemberBegin(); it != data.MemberEnd(); ++it) {
      const std::string_view key = as_view(it->name);
      // @timestamp is a LogStash::Timestamp: its inspect is the bare ISO form.
      root.entries.push_back({key, &it->value, hash_order_, key == "@timestamp" && it->value.IsString()});
    }
    if (with_metadata && e.metadata().IsObject() && e.metadata().MemberCount() > 0) {
      root.entries.push_back({"@metadata", &e.metadata(), false, false});
    }
    if (hash_order_) reorder(root.entries);
    if (root.entries.empty()) {
      out_ += "{}";
      return;
    }
    open_members(std::move(root));
    run();
  }

  void top_value(const Value& v) {
    value(v, 4, false, false);
    run();
  }

 private:
  struct Entry {
    std::string_view key;
    const Value* value;
    bool hash_order;  // print this value's maps in Java HashMap order
    bool bare;        // print this value's string bare (the event's @timestamp)
  };
  // One open container: an object's entries (in print order) with their keys' widths, or an array.
  struct Frame {
    bool object = false;
    size_t ind = 0;  // the indentation of its entries
    size_t next = 0;
    // objects
    std::vector<Entry> entries;
    std::vector<size_t> widths;
    size_t maxw = 0;
    // arrays
    const Value* array = nullptr;
    bool hash_order = false;
    int index_width = 0;
  };

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

  // "{\n", then the entries one by one from run(): keys right-aligned to the longest inspected key.
  void open_members(Frame f) {
    std::string scratch;
    f.widths.reserve(f.entries.size());
    for (const auto& en : f.entries) {
      scratch.clear();
      ruby::append_inspect(en.key, scratch);
      const size_t w = char_count(scratch);
      f.widths.push_back(w);
      f.maxw = std::max(f.maxw, w);
    }
    out_ += "{\n";
    stack_.push_back(std::move(f));
  }

  // Prints `v` at indentation `ind`: scalars and empty containers at once, other containers are
  // opened (their entries follow in run()).
  void value(const Value& v, size_t ind, bool hash_order, bool bare) {
    if (bare) {
      out_.append(as_view(v));
      return;
    }
    const bool container = v.IsObject() || v.IsArray();
    if (container && stack_.size() > kMaxLayoutDepth) {
      ruby::append_inspect(v, out_);  // one line, walked without recursion
      return;
    }
    if (v.IsObject()) {
      if (v.MemberCount() == 0) {
        out_ += "{}";
        return;
      }
      Frame f;
      f.object = true;
      f.ind = ind;
      f.entries.reserve(v.MemberCount());
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        f.entries.push_back({as_view(it->name), &it->value, hash_order, false});
      }
      if (hash_order) reorder(f.entries);
      open_members(std::move(f));
      return;
    }
    if (v.IsArray()) {
      const rapidjson::SizeType n = v.Size();
      if (n == 0) {
        out_ += "[]";
        return;
      }
      Frame f;
      f.ind = ind;
      f.array = &v;
      f.hash_order = hash_order;
      char last[16];
      f.index_width = static_cast<int>(std::to_chars(last, last + sizeof last, n - 1).ptr - last);
      out_ += "[\n";
      stack_.push_back(std::move(f));
      return;
    }
    ruby::append_inspect(v, out_);  // scalars print as Ruby's #inspect
  }

  void run() {
    while (!stack_.empty()) {
      Frame& f = stack_.back();
      const size_t count = f.object ? f.entries.size() : f.array->Size();
      if (f.next == count) {
        out_.push_back('\n');
        append_spaces(out_, f.ind - 4);
        out_.push_back(f.object ? '}' : ']');
        stack_.pop_back();
        continue;
      }
      const size_t i = f.next++;
      if (i) out_ += ",\n";
      const size_t child_ind = f.ind + 4;
      if (f.object) {
        append_spaces(out_, f.maxw + f.ind - f.widths[i]);
        ruby::append_inspect(f.entries[i].key, out_);
        out_ += " => ";
        const Entry en = f.entries[i];
        value(*en.value, child_ind, en.hash_order, en.bare);  // may push: `f` is not used after this
      } else {
        append_spaces(out_, f.ind);
        out_.push_back('[');
        char idx[16];
        const int iw = static_cast<int>(std::to_chars(idx, idx + sizeof idx, i).ptr - idx);
        append_spaces(out_, static_cast<size_t>(f.index_width - iw));
        out_.append(idx, static_cast<size_t>(iw));
        out_ += "] ";
        const Value& child = (*f.array)[static_cast<rapidjson::SizeType>(i)];
        value(child, child_ind, f.hash_order, false);  // may push: `f` is not used after this
      }
    }
  }

  std::string& out_;
  bool hash_order_;
  std::vector<Frame> stack_;
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
