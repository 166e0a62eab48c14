// Compilation of `if` conditions into evaluators with Logstash's exact semantics
// (logstash-core/lib/logstash/compiler/lscl.rb for the operator tree, EventCondition.java for the
// evaluation of each operator). Field references, constants and regexes are prepared once here.
#pragma once

#include "compiler/graph.hpp"
#include "config/ast.hpp"
#include "config/diagnostics.hpp"

#include <memory>
#include <string>

namespace sluice::compiler {

struct ConditionOptions {
  // config.support_escapes: process `\n`, `\"`... in string constants of conditions.
  bool support_escapes = false;
};

// Compiles `cond`; reports problems (xor/nand mixed without parentheses, method calls, bad field
// references or regexes, constant operands of and/or) to `diags` and returns nullptr then.
std::unique_ptr<CompiledCondition> compile_condition(const config::Condition& cond, const ConditionOptions& options,
                                                     config::Diagnostics& diags);

// Translates a Ruby (Onigmo) regex into PCRE2 syntax: `\h`/`\H` (hex digit) become classes,
// `(?m)` (Ruby's dot-all) becomes `(?s)`, `\uHHHH` becomes `\x{HHHH}`. Line anchors and `.` are
// configured by compile options rather than rewritten.
std::string ruby_regex_to_pcre2(const std::string& pattern);

}  // namespace sluice::compiler
