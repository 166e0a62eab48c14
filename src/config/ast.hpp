// The syntax tree of one config source, produced by config/parser from the grammar in grammar/.
// Only the compiler reads it; nothing at run time does.
#pragma once

#include "sluice/config_value.hpp"
#include "sluice/schema.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::config {

// A value in a condition.
struct Rvalue {
  enum class Kind { String, Number, Selector, Array, Regexp, MethodCall };
  Kind kind = Kind::String;
  // String: the text between the quotes, escapes not yet processed (config.support_escapes decides);
  // Number: the source text; Selector: the whole reference as written (`[a][b]`);
  // Regexp: the pattern between the slashes, verbatim; MethodCall: the method name.
  std::string text;
  std::vector<Rvalue> elements;  // Array elements, MethodCall arguments
  SourceLoc loc;
};

struct Condition;

struct Expression {
  enum class Kind {
    Group,     // ( condition )
    Not,       // !( condition ) -> group set; ![selector] -> lhs set
    In,        // lhs in rhs
    NotIn,     // lhs not in rhs
    Compare,   // lhs op rhs, op one of == != < > <= >=
    Match,     // lhs =~ rhs (rhs String or Regexp)
    NotMatch,  // lhs !~ rhs
    Value,     // a bare rvalue (truthiness)
  };
  Kind kind = Kind::Value;
  std::string op;  // Compare only
  Rvalue lhs, rhs;
  std::shared_ptr<Condition> group;  // Group and Not-of-group
  SourceLoc loc;
};

// expression (boolean_operator expression)*, kept flat: the compiler builds the tree with
// Logstash's operator rules.
struct Condition {
  std::vector<Expression> operands;
  std::vector<std::string> operators;  // "and" "or" "xor" "nand"; operands.size() - 1 of them
  std::vector<SourceLoc> operator_locs;
  SourceLoc loc;
};

struct Branch;

struct Statement {
  enum class Kind { Plugin, Branch };
  Kind kind = Kind::Plugin;
  PluginDecl plugin;
  std::shared_ptr<Branch> branch;
};

struct Clause {
  std::optional<Condition> condition;  // absent: the `else` clause
  SourceLoc loc;                       // of the `if` / `else if` / `else` keyword
  std::vector<Statement> body;
};

struct Branch {
  std::vector<Clause> clauses;  // if, else if..., optional else
};

struct Section {
  PluginKind kind = PluginKind::Filter;  // Input, Filter or Output
  SourceLoc loc;
  std::vector<Statement> body;
};

struct ConfigAst {
  std::shared_ptr<const SourceFile> source;
  std::vector<Section> sections;  // in order of appearance; same kinds are merged by the compiler
};

}  // namespace sluice::config
