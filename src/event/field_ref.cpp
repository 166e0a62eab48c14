// Field references, parsed with the rules of Logstash's FieldReference.StrictTokenizer
// (escape style `none`, Logstash's default).
#include "sluice/field_ref.hpp"

namespace sluice {

namespace {
constexpr std::string_view kMetadata = "@metadata";
}

std::optional<FieldRef> FieldRef::parse(std::string_view text, std::string* error) {
  FieldRef ref;
  ref.text_ = std::string(text);
  std::vector<std::string> parts;

  bool ambiguous = false;
  bool seen_bracket = false;
  int depth = 0;
  size_t split = 0;
  char current = 0, previous = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    previous = current;
    current = text[i];
    if (current == '[') {
      seen_bracket = true;
      // Anything between the previous split point and this bracket (`foo[bar]`, `[a]b[c]`, or an
      // embedded reference that does not fill its fragment) is ambiguous.
      if (split != i) {
        ambiguous = true;
        break;
      }
      ++depth;
      split = i + 1;
    } else if (current == ']') {
      seen_bracket = true;
      if (depth <= 0) {  // a stray close bracket
        ambiguous = true;
        break;
      }
      if (split == i && previous != ']') {  // an empty fragment `[]`
        ambiguous = true;
        break;
      }
      if (split < i) parts.emplace_back(text.substr(split, i - split));
      --depth;
      split = i + 1;
    } else if (seen_bracket && previous == ']') {
      // Text after a closed fragment that is not itself bracketed: `[foo]bar`.
      ambiguous = true;
      break;
    }
  }
  if (!seen_bracket) {
    // No brackets: the whole text is one top-level key; dots are literal.
    parts.emplace_back(text);
  } else if (depth > 0) {
    ambiguous = true;
  }
  if (ambiguous) {
    if (error) *error = "Invalid FieldReference: `" + std::string(text) + "`";
    return std::nullopt;
  }

  // `@metadata` alone is the metadata root, `[@metadata][x]...` a metadata child. Everything else,
  // `@timestamp` included, is an ordinary data path (the Event keeps its @timestamp in sync).
  if (!parts.empty() && parts[0] == kMetadata) {
    ref.root_ = Root::Metadata;
    parts.erase(parts.begin());
  }
  ref.path_ = std::move(parts);
  return ref;
}

}  // namespace sluice
