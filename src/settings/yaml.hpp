// The YAML reader of logstash.yml and pipelines.yml. libyaml (the parser under Ruby's Psych, which
// Logstash reads these files with) parses; yaml.cpp builds this tree from its events and
// yaml_types.cpp types plain scalars as Psych does. Keys are kept exactly as written
// (`pipeline.workers` stays one key).
//
// Contract:
//   * Only the first document of a stream is read (as Ruby's YAML.safe_load does); what follows a
//     second `---` or a `...` is ignored.
//   * Duplicate keys: the last value wins, at the position of the first occurrence (Ruby Psych).
//   * Anchors, aliases, tags and complex keys (`? `, or a collection as a key) are refused: Logstash's
//     YAML.safe_load refuses aliases, so no alias is ever expanded (no "billion laughs").
//   * Errors (tabs used for indentation, bad indentation, unterminated quotes or flow collections,
//     unknown escapes, control characters, invalid UTF-8, ...) carry the 1-based line and the 1-based
//     byte column of the offending character and say what was expected there. Lines are counted as
//     YAML counts them (LF, CR LF, a lone CR, NEL, LS, PS).
//   * Hostile input is bounded: nesting deeper than kMaxDepth, more than kMaxNodes nodes or a text
//     larger than kMaxDocumentBytes is an error. The tree is built without recursion and libyaml's
//     parser keeps its state on the heap, so neither can exhaust the stack.
//   * Scalars keep their source style; resolve() types a plain scalar as YAML 1.1 / Psych does
//     (null, booleans yes/no/on/off/true/false, integers, floats); quoted and block scalars are
//     always strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::yaml {

inline constexpr int kMaxDepth = 64;                       // nested collections
inline constexpr std::size_t kMaxNodes = 1u << 20;          // scalars and collections
inline constexpr std::size_t kMaxDocumentBytes = 8u << 20;  // the whole text

struct Node;

struct MapEntry;

struct Node {
  enum class Kind { Null, Scalar, Sequence, Mapping };
  enum class Style { Plain, SingleQuoted, DoubleQuoted, Literal, Folded };

  Kind kind = Kind::Null;
  Style style = Style::Plain;     // scalars only
  std::string scalar;             // the scalar's value (escapes processed, lines folded)
  std::vector<Node> items;        // sequence items
  std::vector<MapEntry> entries;  // mapping entries in first-occurrence order
  int line = 0;  // 1-based position of the node's first character (for an empty value: where it would be)
  int column = 0;

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_sequence() const { return kind == Kind::Sequence; }
  bool is_mapping() const { return kind == Kind::Mapping; }
  // Quoted or block scalars: always strings, never typed by resolve().
  bool quoted() const { return kind == Kind::Scalar && style != Style::Plain; }
  // The entry with this key, or nullptr.
  const Node* find(std::string_view key) const;
  // "mapping", "sequence", "scalar" or "null" (for messages).
  const char* kind_name() const;
};

struct MapEntry {
  std::string key;
  int line = 0;  // the key's position
  int column = 0;
  Node value;
};

// What a scalar means under YAML 1.1's core types as Ruby Psych reads them.
enum class ScalarType { Null, Bool, Int, Float, String };

// The type of a scalar node (Null for an empty node; String for quoted and block scalars).
ScalarType resolve(const Node& node);
// The same for the text of a plain scalar.
ScalarType resolve_plain(std::string_view text);
// Psych's boolean reading of a plain scalar (yes/true/on, no/false/off, any case).
bool plain_bool(std::string_view text, bool* out);
// An integer plain scalar (decimal with `_`/`,` separators, 0x hex, 0b binary, leading-0 octal,
// optional sign) as int64; false when it is not one or does not fit.
bool plain_int(std::string_view text, int64_t* out);

struct ParseError {
  int line = 0;  // 1-based
  int column = 0;
  std::string message;
  // "line L, column C: message"
  std::string describe() const;
};

// Parses the first document of `text`. An empty document (nothing, only comments, or `---` alone)
// gives a Null node; *has_document (optional) says whether any document was present at all.
bool parse(std::string_view text, Node* out, ParseError* error, bool* has_document = nullptr);

}  // namespace sluice::yaml
