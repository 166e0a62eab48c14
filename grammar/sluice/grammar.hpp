// The Logstash config language (LSCL, as of Logstash 7.17) as PEGTL rules.
//
// This header holds the grammar only: no actions, no AST types. It can be used on its own, e.g.
//   tao::pegtl::memory_input in(text, "config");
//   bool ok = tao::pegtl::parse<sluice::grammar::config>(in);
// src/config/parser.cpp builds the AST from a parse tree of these rules.
//
// The rules follow Logstash's Treetop grammar (logstash-core/lib/logstash/compiler/lscl/
// lscl_grammar.treetop) alternative for alternative: both are PEGs, so the same ordered choices give
// the same (sometimes surprising) results:
//   * keywords are not reserved and need no word boundary: `[a]and[b]`, `elseif`, `if[a]{}` parse;
//   * barewords need at least two characters (`x => a` fails, `x => ab` is the string "ab");
//   * `not in` is the literal "not " (exactly one space character) followed by optional space;
//   * a selector element is `[` [^\[\],]+ `]`, so `[a] in ["x"]` compares with a field named `"x"`;
//   * attributes of a plugin (and entries of a hash) need real whitespace between them; a comment
//     swallows its newline, so `a => 1# c\n b => 2` fails while `a => 1 # c\n b => 2` parses;
//   * hashes take no commas; arrays take no trailing comma;
//   * conditions have no boolean/null literals and no bareword operands;
//   * `value` tries a plugin first, so `codec => json { ... }` is a plugin-valued attribute.
// Two deliberate supersets of 7.17, both accepted by Logstash 8.15+ (elastic/logstash#16058):
//   * a comment may end at the end of the input (7.17 needs a newline after it);
//   * comments may appear between hash entries (7.17 only allows them before/after all entries).
//
// `expected_name<Rule>` gives readable names to the rules a syntax error message lists as
// "expected"; rules without a name (whitespace, continuation characters) are not listed.
#pragma once

#include <tao/pegtl.hpp>

namespace sluice::grammar {

namespace pg = tao::pegtl;

// ---- whitespace and comments ----------------------------------------------------------------------
struct ws_char : pg::one<' ', '\t', '\r', '\n'> {};
struct whitespace : pg::plus<ws_char> {};
struct comment_mark : pg::one<'#'> {};
struct comment_text : pg::star<pg::not_one<'\r', '\n'>> {};
struct comment_end : pg::sor<pg::seq<pg::opt<pg::one<'\r'>>, pg::one<'\n'>>, pg::eof> {};
struct comment : pg::plus<pg::opt<whitespace>, comment_mark, comment_text, comment_end> {};
// `cs` in Logstash's grammar: any mix of comments and whitespace, possibly empty.
struct cs : pg::star<pg::sor<comment, whitespace>> {};

// ---- punctuation and keywords -------------------------------------------------------------------------
struct lbrace : pg::one<'{'> {};
struct rbrace : pg::one<'}'> {};
struct lbracket : pg::one<'['> {};
struct rbracket : pg::one<']'> {};
struct lparen : pg::one<'('> {};
struct rparen : pg::one<')'> {};
struct comma : pg::one<','> {};
struct arrow : pg::string<'=', '>'> {};
struct bang : pg::one<'!'> {};
struct kw_input : TAO_PEGTL_STRING("input") {};
struct kw_filter : TAO_PEGTL_STRING("filter") {};
struct kw_output : TAO_PEGTL_STRING("output") {};
struct kw_if : TAO_PEGTL_STRING("if") {};
struct kw_else : TAO_PEGTL_STRING("else") {};
struct kw_in : TAO_PEGTL_STRING("in") {};
struct kw_not : TAO_PEGTL_STRING("not ") {};  // one literal space, as in Logstash

// ---- literals -------------------------------------------------------------------------------------------
// [A-Za-z0-9_-]+ : plugin and attribute names.
struct name_char : pg::sor<pg::alnum, pg::one<'_', '-'>> {};
struct bare_name : pg::plus<name_char> {};

// [A-Za-z_][A-Za-z0-9_]+ : at least two characters.
struct bareword_first : pg::sor<pg::alpha, pg::one<'_'>> {};
struct bareword_rest : pg::sor<pg::alnum, pg::one<'_'>> {};
struct bareword : pg::seq<bareword_first, pg::plus<bareword_rest>> {};

// '"' ( '\"' / !'"' . )* '"' ; a backslash-quote pair never closes the string.
struct dq_close : pg::one<'"'> {};
struct dq_string : pg::seq<pg::one<'"'>, pg::star<pg::sor<pg::string<'\\', '"'>, pg::not_one<'"'>>>, dq_close> {};
struct sq_close : pg::one<'\''> {};
struct sq_string
    : pg::seq<pg::one<'\''>, pg::star<pg::sor<pg::string<'\\', '\''>, pg::not_one<'\''>>>, sq_close> {};
struct quoted_string : pg::sor<dq_string, sq_string> {};

// '/' ( '\/' / !'/' . )* '/' ; only valid as a condition operand.
struct regexp_close : pg::one<'/'> {};
struct regexp : pg::seq<pg::one<'/'>, pg::star<pg::sor<pg::string<'\\', '/'>, pg::not_one<'/'>>>, regexp_close> {};

// "-"? [0-9]+ ("." [0-9]*)? : no '+', no exponent, no leading '.'.
struct number : pg::seq<pg::opt<pg::one<'-'>>, pg::plus<pg::digit>, pg::opt<pg::one<'.'>, pg::star<pg::digit>>> {};

struct name : pg::sor<bare_name, quoted_string> {};

// ---- plugins and values ----------------------------------------------------------------------------------
struct value;
struct attribute : pg::seq<name, cs, arrow, cs, value> {};
struct plugin_body : pg::opt<attribute, pg::star<whitespace, cs, attribute>> {};
struct plugin : pg::seq<name, cs, lbrace, cs, plugin_body, cs, rbrace> {};

struct array : pg::seq<lbracket, cs, pg::opt<value, pg::star<cs, comma, cs, value>>, cs, rbracket> {};
struct hash_key : pg::sor<number, bareword, quoted_string> {};
struct hashentry : pg::seq<hash_key, cs, arrow, cs, value> {};
struct hash : pg::seq<lbrace, cs, pg::opt<hashentry, pg::star<whitespace, cs, hashentry>>, cs, rbrace> {};

struct value : pg::sor<plugin, bareword, quoted_string, number, array, hash> {};

// ---- conditions --------------------------------------------------------------------------------------------
struct selector_close : pg::one<']'> {};
struct selector_element : pg::seq<lbracket, pg::plus<pg::not_one<'[', ']', ','>>, selector_close> {};
struct selector : pg::plus<selector_element> {};

struct rvalue;
struct method_call
    : pg::seq<bareword, cs, lparen, cs, pg::opt<rvalue, pg::star<cs, comma, cs, rvalue>>, cs, rparen> {};
struct rvalue : pg::sor<quoted_string, number, selector, array, method_call, regexp> {};

struct op_eq : TAO_PEGTL_STRING("==") {};
struct op_ne : TAO_PEGTL_STRING("!=") {};
struct op_le : TAO_PEGTL_STRING("<=") {};
struct op_ge : TAO_PEGTL_STRING(">=") {};
struct op_lt : pg::one<'<'> {};
struct op_gt : pg::one<'>'> {};
struct compare_operator : pg::sor<op_eq, op_ne, op_le, op_ge, op_lt, op_gt> {};
struct op_match : TAO_PEGTL_STRING("=~") {};
struct op_nomatch : TAO_PEGTL_STRING("!~") {};
struct regexp_operator : pg::sor<op_match, op_nomatch> {};
struct op_and : TAO_PEGTL_STRING("and") {};
struct op_or : TAO_PEGTL_STRING("or") {};
struct op_xor : TAO_PEGTL_STRING("xor") {};
struct op_nand : TAO_PEGTL_STRING("nand") {};
struct boolean_operator : pg::sor<op_and, op_or, op_xor, op_nand> {};

struct condition;
struct group : pg::seq<lparen, cs, condition, cs, rparen> {};
struct not_group : pg::seq<bang, cs, lparen, cs, condition, cs, rparen> {};
struct not_selector : pg::seq<bang, cs, selector> {};
struct negative_expression : pg::sor<not_group, not_selector> {};
struct in_expression : pg::seq<rvalue, cs, kw_in, cs, rvalue> {};
struct not_in_expression : pg::seq<rvalue, cs, kw_not, cs, kw_in, cs, rvalue> {};
struct compare_expression : pg::seq<rvalue, cs, compare_operator, cs, rvalue> {};
struct regexp_expression : pg::seq<rvalue, cs, regexp_operator, cs, pg::sor<quoted_string, regexp>> {};
struct expression : pg::sor<group, negative_expression, in_expression, not_in_expression, compare_expression,
                            regexp_expression, rvalue> {};
struct condition : pg::seq<expression, pg::star<cs, boolean_operator, cs, expression>> {};

// ---- branches, sections, the whole config -------------------------------------------------------------
struct branch_or_plugin;
struct block_body : pg::star<branch_or_plugin, cs> {};
struct if_clause : pg::seq<kw_if, cs, condition, cs, lbrace, cs, block_body, rbrace> {};
struct else_if_clause : pg::seq<kw_else, cs, kw_if, cs, condition, cs, lbrace, cs, block_body, rbrace> {};
struct else_clause : pg::seq<kw_else, cs, lbrace, cs, block_body, rbrace> {};
struct branch : pg::seq<if_clause, pg::star<cs, else_if_clause>, pg::opt<cs, else_clause>> {};
struct branch_or_plugin : pg::sor<branch, plugin> {};

struct plugin_type : pg::sor<kw_input, kw_filter, kw_output> {};
struct plugin_section : pg::seq<plugin_type, cs, lbrace, cs, block_body, rbrace> {};

struct end_of_input : pg::eof {};
struct config : pg::seq<pg::star<cs, plugin_section>, cs, end_of_input> {};

// ---- names for "expected ..." in syntax errors -----------------------------------------------------------
template <typename Rule>
inline constexpr const char* expected_name = nullptr;

template <> inline constexpr const char* expected_name<lbrace> = "'{'";
template <> inline constexpr const char* expected_name<rbrace> = "'}'";
template <> inline constexpr const char* expected_name<lbracket> = "'['";
template <> inline constexpr const char* expected_name<rbracket> = "']'";
template <> inline constexpr const char* expected_name<lparen> = "'('";
template <> inline constexpr const char* expected_name<rparen> = "')'";
template <> inline constexpr const char* expected_name<comma> = "','";
template <> inline constexpr const char* expected_name<arrow> = "'=>'";
template <> inline constexpr const char* expected_name<bang> = "'!'";
template <> inline constexpr const char* expected_name<kw_input> = "'input'";
template <> inline constexpr const char* expected_name<kw_filter> = "'filter'";
template <> inline constexpr const char* expected_name<kw_output> = "'output'";
template <> inline constexpr const char* expected_name<kw_if> = "'if'";
template <> inline constexpr const char* expected_name<kw_else> = "'else'";
template <> inline constexpr const char* expected_name<kw_in> = "'in'";
template <> inline constexpr const char* expected_name<kw_not> = "'not in'";
template <> inline constexpr const char* expected_name<bare_name> = "a name";
template <> inline constexpr const char* expected_name<bareword> = "a bareword";
template <> inline constexpr const char* expected_name<dq_string> = "a string";
template <> inline constexpr const char* expected_name<sq_string> = "a string";
template <> inline constexpr const char* expected_name<dq_close> = "'\"' closing the string";
template <> inline constexpr const char* expected_name<sq_close> = "\"'\" closing the string";
template <> inline constexpr const char* expected_name<regexp> = "a /regexp/";
template <> inline constexpr const char* expected_name<regexp_close> = "'/' closing the regexp";
template <> inline constexpr const char* expected_name<number> = "a number";
template <> inline constexpr const char* expected_name<selector> = "a field reference like [field]";
template <> inline constexpr const char* expected_name<selector_close> = "']'";
template <> inline constexpr const char* expected_name<op_eq> = "'=='";
template <> inline constexpr const char* expected_name<op_ne> = "'!='";
template <> inline constexpr const char* expected_name<op_le> = "'<='";
template <> inline constexpr const char* expected_name<op_ge> = "'>='";
template <> inline constexpr const char* expected_name<op_lt> = "'<'";
template <> inline constexpr const char* expected_name<op_gt> = "'>'";
template <> inline constexpr const char* expected_name<op_match> = "'=~'";
template <> inline constexpr const char* expected_name<op_nomatch> = "'!~'";
template <> inline constexpr const char* expected_name<op_and> = "'and'";
template <> inline constexpr const char* expected_name<op_or> = "'or'";
template <> inline constexpr const char* expected_name<op_xor> = "'xor'";
template <> inline constexpr const char* expected_name<op_nand> = "'nand'";
template <> inline constexpr const char* expected_name<end_of_input> = "end of input";

}  // namespace sluice::grammar
