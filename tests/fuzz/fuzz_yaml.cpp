// libFuzzer target: the YAML reader of logstash.yml / pipelines.yml (settings/yaml.hpp: libyaml's
// event parser and the tree built from it) on arbitrary bytes. Nothing may crash, leak, hang or
// recurse without bound, however deep or malformed the input: nesting is capped at yaml::kMaxDepth,
// aliases are refused (never expanded), and an error must carry a position inside the input.
// Seeds (tests/fuzz/corpus/yaml/) include deep nesting and alias bombs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "settings/yaml.hpp"

using namespace sluice::yaml;

static volatile size_t sink;  // keeps the walk from being optimised away

// Visits every node, typing every scalar as the settings code does; returns the node count.
static size_t walk(const Node& n, int depth) {
  if (depth > kMaxDepth + 1) abort();  // the reader must never build a deeper tree
  size_t count = 1;
  if (!(depth == 0 && n.is_null()) && (n.line < 1 || n.column < 1))
    abort();  // an empty document has no position
  switch (n.kind) {
    case Node::Kind::Null:
      break;
    case Node::Kind::Scalar: {
      ScalarType t = resolve(n);
      int64_t i = 0;
      bool b = false;
      if (t == ScalarType::Int) (void)plain_int(n.scalar, &i);
      if (t == ScalarType::Bool && !plain_bool(n.scalar, &b))
        abort();  // typed as a boolean, must read as one
      count += n.scalar.size() + static_cast<size_t>(i & 1);
      break;
    }
    case Node::Kind::Sequence:
      for (const Node& item : n.items) count += walk(item, depth + 1);
      break;
    case Node::Kind::Mapping:
      for (const MapEntry& e : n.entries) {
        if (n.find(e.key) != &e.value) abort();  // keys are unique: duplicates were merged
        count += e.key.size() + walk(e.value, depth + 1);
      }
      break;
  }
  return count;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Node root;
  ParseError error;
  bool has_document = false;
  if (parse(text, &root, &error, &has_document)) {
    sink = walk(root, 0);
  } else {
    // The position is within the input (one past the last line/column at most). Lines end as YAML
    // ends them (LF, CR, CR LF, NEL, LS, PS); counting CR and LF apart gives an upper bound.
    size_t lines = 1;
    for (size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if (c == '\n' || c == '\r') ++lines;
      if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) ++lines;
      if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
          (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xA8)
        ++lines;
    }
    if (error.line < 1 || static_cast<size_t>(error.line) > lines + 1 || error.column < 1 ||
        static_cast<size_t>(error.column) > text.size() + 1 || error.message.empty()) {
      abort();
    }
    sink = error.describe().size();
  }
  return 0;
}
