// A YAML reader for the subset that logstash.yml and pipelines.yml use in the wild (no YAML library
// is available): block mappings nested by indentation, block sequences (`- a`, `- key: v` with the
// item's following keys, nested and indentless sequences), plain / 'single' / "double" quoted
// scalars (YAML escapes, multi-line folding), comments (`#` at line start or after whitespace),
// `---` / `...`, empty values (null), flow sequences `[a, "b", 3]` and flow mappings
// `{a: 1, b: [x]}`, literal `|` and folded `>` block scalars with chomping (`-`, `+`) and
// indentation indicators. Keys are kept exactly as written (`pipeline.workers` stays one key).
//
// Contract:
//   * Only the first document of a stream is read (as Ruby's YAML.safe_load does); what follows a
//     second `---` or a `...` is ignored.
//   * Duplicate keys: the last value wins, at the position of the first occurrence (Ruby Psych).
//   * Errors (tabs used for indentation, bad indentation, unterminated quotes or flow collections,
//     unknown escapes, control characters, invalid UTF-8, anchors/aliases/tags, complex `?` keys)
//     carry the 1-based line and column of the offending character.
//   * Nesting deeper than kMaxDepth is an error, so hostile input cannot exhaust the stack; the
//     reader is linear in the input size apart from that bound.
//   * Scalars keep their source style; resolve() types a plain scalar as YAML 1.1 / Psych does
//     (null, booleans yes/no/on/off/true/false, integers, floats); quoted and block scalars are
//     always strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::yaml {

inline constexpr int kMaxDepth = 64;

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
