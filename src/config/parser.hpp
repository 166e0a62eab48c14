// The config parser: text of one config source -> ConfigAst, using the rules in grammar/sluice/grammar.hpp.
//
// What it does beyond the grammar (Logstash's lscl.rb rules):
//   * values: numbers follow Ruby's Integer()/Float() (leading 0 = octal; "08" and "1." are errors),
//     strings get escape processing only with ParseOptions::support_escapes, barewords become
//     strings with `bareword = true`, `codec => json { ... }` becomes a Kind::Plugin value;
//   * quoted attribute names lose their quotes; quoted plugin names keep them (lookup then fails, as
//     in Logstash);
//   * repeated attributes of one plugin are merged as Logstash merges them; a second `codec` is an
//     error; duplicate keys in one hash literal are an error;
//   * syntax errors name the furthest position the grammar reached, what was expected there and, where
//     cheap, a hint. After a syntax error the parser resynchronises at the next line that starts a
//     section (`input {`, `filter {`, `output {`), so one file can report several.
// ${VAR} substitution is not done here (see loader.hpp).
#pragma once

#include "config/ast.hpp"
#include "config/diagnostics.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::config {

struct ParseOptions {
  // Logstash's config.support_escapes: process \\ \" \' \n \r \t \0 in quoted plugin values.
  // (Condition strings keep their raw text in the AST either way; the compiler applies the setting.)
  bool support_escapes = false;
};

// Nested blocks, arrays, hashes, plugin values, parentheses and method calls deeper than this are
// rejected ("nesting deeper than 64 levels") instead of exhausting the stack.
inline constexpr unsigned kMaxNestingDepth = 64;

// Parses one source. Every problem is added to `diags` (with the location in `source`); returns the
// AST only if this source produced no errors.
std::optional<ConfigAst> parse_config(std::shared_ptr<const SourceFile> source, const ParseOptions& options,
                                      Diagnostics& diags);

// Convenience for tests and tools: wraps `text` in a SourceFile named `path`.
std::optional<ConfigAst> parse_config_text(std::string text, std::string path, const ParseOptions& options,
                                           Diagnostics& diags);

// config.support_escapes processing (logstash-core/lib/logstash/config/string_escape.rb): \\ \" \'
// \n \r \t \0 are replaced; any other backslash pair is kept as written.
std::string process_escapes(std::string_view raw);

}  // namespace sluice::config
