// Conditions with Logstash's semantics.
//
// Tree shape (lscl.rb `Condition#join_conditions`): a shunting-yard where `and` binds tighter than
// `or`, but only ONE operator is popped per incoming operator, so `a and b and c or d` becomes
// `a and ((b and c) or d)`. `xor` and `nand` have no precedence at all: combining them with any
// other operator (or chaining them) without parentheses is an error, as in Logstash.
//
// Operators (EventCondition.java): `==` field/constant uses Ruby equality (5 == 5.0), field/field
// Java equality (two missing fields are equal, 5 != 5.0), constant/constant is folded with Java
// equality; `< <= > >=` compare strings bytewise and numbers numerically, anything else is an
// evaluation error; `=~` matches string fields only; `in` has one rule per operand shape (see the
// In* nodes). Constant sub-conditions are folded at compile time where Logstash folds them.
#include "compiler/conditions.hpp"

#include "config/parser.hpp"

#include "sluice/field_ref.hpp"
#include "sluice/value.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

namespace sluice::compiler {

std::string ruby_regex_to_pcre2(const std::string& p) {
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[i + 1];
      if (n == 'h' || n == 'H') {
        // Onigmo's \h is a hex digit (PCRE2's is horizontal space).
        if (in_class) {
          if (n == 'h') {
            out += "0-9a-fA-F";
          } else {
            out += "\\x00-/:-@G-`g-\\x{10ffff}";  // everything but hex digits
          }
        } else {
          out += n == 'h' ? "[0-9a-fA-F]" : "[^0-9a-fA-F]";
        }
        ++i;
        continue;
      }
      if (n == 'u' && i + 5 < p.size() && std::isxdigit(static_cast<unsigned char>(p[i + 2])) &&
          std::isxdigit(static_cast<unsigned char>(p[i + 3])) && std::isxdigit(static_cast<unsigned char>(p[i + 4])) &&
          std::isxdigit(static_cast<unsigned char>(p[i + 5]))) {
        out += "\\x{" + p.substr(i + 2, 4) + "}";  // \uHHHH
        i += 5;
        continue;
      }
      if (n == 'u' && i + 2 < p.size() && p[i + 2] == '{') {
        auto close = p.find('}', i + 3);
        if (close != std::string::npos) {
          out += "\\x{" + p.substr(i + 3, close - i - 3) + "}";
          i = close;
          continue;
        }
      }
      out += c;
      out += n;
      ++i;
      continue;
    }
    if (in_class) {
      if (c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
        auto close = p.find(":]", i + 2);
        if (close != std::string::npos) {
          out += p.substr(i, close + 2 - i);
          i = close + 1;
          continue;
        }
      }
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // literal ] first in class
      continue;
    }
    if (c == '(' && i + 2 < p.size() && p[i + 1] == '?') {
      // Inline options (?imx-imx) / (?imx-imx:...): Ruby's m is dot-all, PCRE2's s.
      std::size_t j = i + 2;
      while (j < p.size() && (p[j] == 'i' || p[j] == 'm' || p[j] == 'x' || p[j] == '-')) ++j;
      if (j > i + 2 && j < p.size() && (p[j] == ')' || p[j] == ':')) {
        out += "(?";
        for (std::size_t k = i + 2; k < j; ++k) out += p[k] == 'm' ? 's' : p[k];
        i = j - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

namespace {

using RK = config::Rvalue::Kind;
using EK = config::Expression::Kind;

// ---- regexes --------------------------------------------------------------------------------------

class Regex {
 public:
  static std::shared_ptr<Regex> compile(const std::string& ruby_pattern, std::string* error) {
    std::string pattern = ruby_regex_to_pcre2(ruby_pattern);
    pcre2_compile_context* ctx = pcre2_compile_context_create(nullptr);
    pcre2_set_newline(ctx, PCRE2_NEWLINE_LF);
    int err = 0;
    PCRE2_SIZE off = 0;
    // Ruby: ^ and $ are line anchors; `.` excludes \n; UTF-8 strings, invalid bytes tolerated.
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_MULTILINE | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, ctx);
    pcre2_compile_context_free(ctx);
    if (!code) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(err, buf, sizeof buf);
      *error = std::string(reinterpret_cast<const char*>(buf)) + " at offset " + std::to_string(off);
      return nullptr;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if unavailable
    auto r = std::make_shared<Regex>();
    r->code_ = code;
    r->source_ = ruby_pattern;
    return r;
  }
  Regex() = default;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  ~Regex() {
    if (code_) pcre2_code_free(code_);
  }

  bool search(std::string_view s) const {
    // One match block per thread, shared by every regex: only "matched or not" is needed, and a
    // one-pair ovector is enough for that (rc 0 still means a match).
    thread_local struct Holder {
      pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
      ~Holder() { pcre2_match_data_free(md); }
    } holder;
    int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, holder.md, nullptr);
    return rc >= 0;
  }
  const std::string& source() const { return source_; }

 private:
  pcre2_code* code_ = nullptr;
  std::string source_;
};

// ---- value helpers -------------------------------------------------------------------------------

bool is_int(const Value& v) { return v.IsInt64() || v.IsUint64(); }
long double num(const Value& v) {
  if (v.IsInt64()) return static_cast<long double>(v.GetInt64());
  if (v.IsUint64()) return static_cast<long double>(v.GetUint64());
  return static_cast<long double>(v.GetDouble());
}

std::string_view sv(const Value& v) { return as_view(v); }

// Equality of two whole trees: arrays of the same size compare element by element, objects with the
// same member count key by key; every other pair is decided by `leaf`. Walked with an explicit stack
// of pairs: both sides can come from event data (`[a] == [b]`, `[a] in [b]`), which can nest to any
// depth.
template <class Leaf>
bool tree_equal(const Value* a, const Value* b, Leaf leaf) {
  const bool containers = a && b && ((a->IsArray() && b->IsArray()) || (a->IsObject() && b->IsObject()));
  if (!containers) return leaf(a, b);  // the common case, without the stack
  std::vector<std::pair<const Value*, const Value*>> todo{{a, b}};
  while (!todo.empty()) {
    const auto [x, y] = todo.back();
    todo.pop_back();
    if (x && y && x->IsArray() && y->IsArray()) {
      if (x->Size() != y->Size()) return false;
      for (rapidjson::SizeType i = 0; i < x->Size(); ++i) todo.emplace_back(&(*x)[i], &(*y)[i]);
    } else if (x && y && x->IsObject() && y->IsObject()) {
      if (x->MemberCount() != y->MemberCount()) return false;
      for (auto& m : x->GetObject()) {
        auto it = y->FindMember(m.name);
        if (it == y->MemberEnd()) return false;
        todo.emplace_back(&m.value, &it->value);
      }
    } else if (!leaf(x, y)) {
      return false;
    }
  }
  return true;
}

// Ruby `==` of two values that are not both arrays or both hashes: numbers compare by value across
// Integer and Float, strings by bytes; nil equals nil (or missing).
bool ruby_eq_leaf(const Value* a, const Value* b) {
  if (!a || a->IsNull()) return !b || b->IsNull();
  if (!b || b->IsNull()) return false;
  if (a->IsNumber() && b->IsNumber()) return num(*a) == num(*b);
  if (a->IsString() && b->IsString()) return sv(*a) == sv(*b);
  if (a->IsBool() && b->IsBool()) return a->GetBool() == b->GetBool();
  return false;
}

// Ruby `==` (a constant compared with a field value): numbers compare by value across Integer and
// Float; strings by bytes; arrays element-wise; hashes by content.
bool ruby_eq(const Value* a, const Value* b) { return tree_equal(a, b, ruby_eq_leaf); }

// Java `Objects.equals` on stored values: like ruby_eq, but Long and Double never equal each other,
// and null (missing) equals null.
bool java_eq(const Value* a, const Value* b) {
  return tree_equal(a, b, [](const Value* x, const Value* y) {
    const bool xn = !x || x->IsNull(), yn = !y || y->IsNull();
    if (xn || yn) return xn && yn;
    if (x->IsNumber() && y->IsNumber()) return is_int(*x) == is_int(*y) && num(*x) == num(*y);
    return ruby_eq_leaf(x, y);
  });
}

const char* ruby_class(const Value* v) {
  if (!v || v->IsNull()) return "NilClass";
  if (v->IsString()) return "String";
  if (v->IsBool()) return v->GetBool() ? "TrueClass" : "FalseClass";
  if (v->IsNumber()) return is_int(*v) ? "Integer" : "Float";
  if (v->IsArray()) return "Array";
  return "Hash";
}

// `compareTo` of Logstash's comparisons: strings bytewise, numbers numerically; a string against a
// number fails as Ruby's `<=>` returning nil does; other kinds are not comparable.
bool compare(const Value* l, const Value* r, int* out, std::string* err) {
  bool l_cmp = l && (l->IsString() || l->IsNumber());
  bool r_cmp = r && (r->IsString() || r->IsNumber());
  if (l_cmp && r_cmp) {
    if (l->IsString() && r->IsString()) {
      int c = sv(*l).compare(sv(*r));
      *out = c < 0 ? -1 : (c > 0 ? 1 : 0);
      return true;
    }
    if (l->IsNumber() && r->IsNumber()) {
      long double a = num(*l), b = num(*r);
      *out = a < b ? -1 : (a > b ? 1 : 0);
      return true;
    }
    if (err) *err = "no implicit conversion from nil to integer";
    return false;
  }
  if (err) {
    *err = std::string("Unexpected input type combination left ") + ruby_class(l) + ", right " + ruby_class(r);
  }
  return false;
}

// Recursive, but only ever applied to constants of the config (their depth is the config's).
std::string display_value(const Value& v) {
  if (v.IsString()) return "\"" + std::string(sv(v)) + "\"";
  if (v.IsArray()) {
    std::string s = "[";
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (i) s += ", ";
      s += display_value(v[i]);
    }
    return s + "]";
  }
  return to_logstash_string(v);
}

// ---- evaluation nodes ------------------------------------------------------------------------------

struct Node {
  virtual ~Node() = default;
  virtual CondResult eval(const Event& e, std::string* err) const = 0;
  std::string text;  // the condition as source text
};
using NodeP = std::shared_ptr<const Node>;

CondResult from_bool(bool b) { return b ? CondResult::True : CondResult::False; }

struct ConstNode : Node {
  bool value;
  explicit ConstNode(bool v) : value(v) {}
  CondResult eval(const Event&, std::string*) const override { return from_bool(value); }
};

struct TruthyNode : Node {
  FieldRef ref;
  explicit TruthyNode(FieldRef r) : ref(std::move(r)) {}
  CondResult eval(const Event& e, std::string*) const override { return from_bool(is_truthy(e.get(ref))); }
};

struct NotNode : Node {
  NodeP inner;
  explicit NotNode(NodeP n) : inner(std::move(n)) {}
  CondResult eval(const Event& e, std::string* err) const override {
    CondResult r = inner->eval(e, err);
    if (r == CondResult::Error) return r;
    return from_bool(r == CondResult::False);
  }
};

struct AndNode : Node {
  NodeP l, r;
  AndNode(NodeP a, NodeP b) : l(std::move(a)), r(std::move(b)) {}
  CondResult eval(const Event& e, std::string* err) const override {
    CondResult a = l->eval(e, err);
    if (a != CondResult::True) return a;
    return r->eval(e, err);
  }
};

struct OrNode : Node {
  NodeP l, r;
  OrNode(NodeP a, NodeP b) : l(std::move(a)), r(std::move(b)) {}
  CondResult eval(const Event& e, std::string* err) const override {
    CondResult a = l->eval(e, err);
    if (a != CondResult::False) return a;
    return r->eval(e, err);
  }
};

// DSL.eXor: (!a and b) or (a and !b); both sides are always evaluated.
struct XorNode : Node {
  NodeP l, r;
  XorNode(NodeP a, NodeP b) : l(std::move(a)), r(std::move(b)) {}
  CondResult eval(const Event& e, std::string* err) const override {
    CondResult a = l->eval(e, err);
    if (a == CondResult::Error) return a;
    CondResult b = r->eval(e, err);
    if (b == CondResult::Error) return b;
    return from_bool((a == CondResult::True) != (b == CondResult::True));
  }
};

struct EqFieldConst : Node {
  FieldRef ref;
  const Value* constant;
  EqFieldConst(FieldRef r, const Value* c) : ref(std::move(r)), constant(c) {}
  CondResult eval(const Event& e, std::string*) const override { return from_bool(ruby_eq(constant, e.get(ref))); }
};

struct EqFieldField : Node {
  FieldRef a, b;
  EqFieldField(FieldRef x, FieldRef y) : a(std::move(x)), b(std::move(y)) {}
  CondResult eval(const Event& e, std::string*) const override { return from_bool(java_eq(e.get(a), e.get(b))); }
};

// An operand of a comparison: a field or a constant.
struct Operand {
  std::optional<FieldRef> ref;
  const Value* constant = nullptr;
  const Value* get(const Event& e) const { return ref ? e.get(*ref) : constant; }
};

struct CompareNode : Node {
  Operand l, r;
  std::function<bool(int)> pred;
  CompareNode(Operand a, Operand b, std::function<bool(int)> p) : l(std::move(a)), r(std::move(b)), pred(std::move(p)) {}
  CondResult eval(const Event& e, std::string* err) const override {
    int c = 0;
    if (!compare(l.get(e), r.get(e), &c, err)) return CondResult::Error;
    return from_bool(pred(c));
  }
};

struct MatchNode : Node {
  FieldRef ref;
  std::shared_ptr<Regex> re;
  MatchNode(FieldRef f, std::shared_ptr<Regex> r) : ref(std::move(f)), re(std::move(r)) {}
  CondResult eval(const Event& e, std::string*) const override {
    // Only strings match; @timestamp is a Timestamp object in Logstash, never a string.
    if (ref.root() == FieldRef::Root::Timestamp) return CondResult::False;
    const Value* v = e.get(ref);
    return from_bool(v && v->IsString() && re->search(sv(*v)));
  }
};

// [f] in "constant" / [f] in 5: the field is a string contained in the constant's text.
struct InFieldScalar : Node {
  FieldRef ref;
  std::string haystack;
  InFieldScalar(FieldRef f, std::string h) : ref(std::move(f)), haystack(std::move(h)) {}
  CondResult eval(const Event& e, std::string*) const override {
    const Value* v = e.get(ref);
    return from_bool(v && v->IsString() && haystack.find(sv(*v)) != std::string::npos);
  }
};

bool list_contains(const Value& list, const Value& item) {
  for (const Value& el : list.GetArray()) {
    if (java_eq(&item, &el)) return true;
  }
  return false;
}

// "constant" in [f]: substring of a string field, or an element of a list field.
struct InConstStringField : Node {
  FieldRef ref;
  const Value* constant;
  InConstStringField(FieldRef f, const Value* c) : ref(std::move(f)), constant(c) {}
  CondResult eval(const Event& e, std::string*) const override {
    const Value* v = e.get(ref);
    if (!v) return CondResult::False;
    if (v->IsString()) return from_bool(sv(*v).find(sv(*constant)) != std::string_view::npos);
    return from_bool(v->IsArray() && list_contains(*v, *constant));
  }
};

// 5 in [f]: only a list field can match (Logstash compares a scalar field with the field
// reference object itself, which is never equal).
struct InConstScalarField : Node {
  FieldRef ref;
  const Value* constant;
  InConstScalarField(FieldRef f, const Value* c) : ref(std::move(f)), constant(c) {}
  CondResult eval(const Event& e, std::string*) const override {
    const Value* v = e.get(ref);
    return from_bool(v && v->IsArray() && list_contains(*v, *constant));
  }
};

// [f] in ["a", 1]: string forms compared.
struct InFieldList : Node {
  FieldRef ref;
  std::vector<std::string> items;
  InFieldList(FieldRef f, std::vector<std::string> i) : ref(std::move(f)), items(std::move(i)) {}
  CondResult eval(const Event& e, std::string*) const override {
    const Value* v = e.get(ref);
    if (!v || v->IsNull()) return CondResult::False;
    std::string s = to_logstash_string(*v);
    for (const std::string& i : items) {
      if (i == s) return CondResult::True;
    }
    return CondResult::False;
  }
};

struct InFieldField : Node {
  FieldRef l, r;
  InFieldField(FieldRef a, FieldRef b) : l(std::move(a)), r(std::move(b)) {}
  CondResult eval(const Event& e, std::string*) const override {
    const Value* a = e.get(l);
    const Value* b = e.get(r);
    if (a && (a->IsArray() || a->IsObject())) return CondResult::False;
    if (a && b && a->IsString() && b->IsString()) return from_bool(sv(*b).find(sv(*a)) != std::string_view::npos);
    if (b && b->IsArray()) {
      // Logstash throws (and drops the event) for a missing left side here; false is kinder.
      return from_bool(a && !a->IsNull() && list_contains(*b, *a));
    }
    return from_bool(a && !a->IsNull() && java_eq(a, b));
  }
};

// ---- compilation --------------------------------------------------------------------------------

// An intermediate expression: Logstash's EventValue (a field), Value (a constant), Regex, or a
// boolean expression.
struct Expr {
  enum class T { Field, Const, Regex, Bool } t = T::Const;
  std::optional<FieldRef> ref;
  const Value* constant = nullptr;
  std::shared_ptr<Regex> regex;
  NodeP node;
  std::string text;
  SourceLoc loc;
  bool ok = true;
};

// Owns the constants of one condition: the values (stable addresses) and their allocator.
struct Arena {
  Document doc;
  std::vector<std::unique_ptr<Value>> values;
};

class Compiled final : public CompiledCondition {
 public:
  Compiled(std::shared_ptr<Arena> arena, NodeP root) : arena_(std::move(arena)), root_(std::move(root)) {}
  CondResult eval(const Event& e, std::string* error) const override {
    std::string local;
    return root_->eval(e, error ? error : &local);
  }
  std::string describe() const override { return root_->text; }

 private:
  std::shared_ptr<Arena> arena_;  // owns the constants the nodes point to
  NodeP root_;
};

template <typename N, typename... A>
NodeP make(std::string text, A&&... args) {
  auto n = std::make_shared<N>(std::forward<A>(args)...);
  n->text = std::move(text);
  return n;
}

class Builder {
 public:
  Builder(const ConditionOptions& o, config::Diagnostics& d) : opts_(o), diags_(d), arena_(std::make_shared<Arena>()) {}

  std::unique_ptr<CompiledCondition> top(const config::Condition& c) {
    Expr e = condition(c);
    if (!e.ok) return nullptr;
    NodeP n = to_bool(e, c.loc);
    if (!n || failed_) return nullptr;
    return std::make_unique<Compiled>(arena_, n);
  }

 private:
  const ConditionOptions& opts_;
  config::Diagnostics& diags_;
  std::shared_ptr<Arena> arena_;
  bool failed_ = false;

  Allocator& alloc() { return arena_->doc.GetAllocator(); }

  Expr fail(const SourceLoc& loc, std::string msg, std::vector<std::string> notes = {}) {
    diags_.error(loc, std::move(msg), std::move(notes));
    failed_ = true;
    Expr e;
    e.ok = false;
    return e;
  }

  Expr bool_expr(NodeP n, SourceLoc loc) {
    Expr e;
    e.t = Expr::T::Bool;
    e.text = n->text;
    e.node = std::move(n);
    e.loc = std::move(loc);
    return e;
  }

  // A field or boolean operand as a boolean node (fields: truthiness).
  NodeP to_bool(const Expr& e, const SourceLoc& loc) {
    switch (e.t) {
      case Expr::T::Bool: return e.node;
      case Expr::T::Field: return make<TruthyNode>(e.text, *e.ref);
      case Expr::T::Const:
        // `if "x"`, `if 1`, `if []`: the constant's truthiness, decided now.
        return make<ConstNode>(e.text, is_truthy(e.constant));
      case Expr::T::Regex:
        fail(e.loc.line ? e.loc : loc, "A regular expression can only be used with =~ or !~");
        return nullptr;
    }
    return nullptr;
  }

  // Operands of and/or/xor/nand must be conditions or fields (Logstash: "Unexpected input types").
  NodeP bool_operand(const Expr& e, const std::string& op) {
    if (e.t == Expr::T::Bool) return e.node;
    if (e.t == Expr::T::Field) return make<TruthyNode>(e.text, *e.ref);
    fail(e.loc, "Unexpected conditional input combination: the constant " + e.text + " cannot be an operand of '" +
                    op + "'",
         {"compare it with a field, e.g. [field] == " + e.text});
    return nullptr;
  }

  static int precedence(const std::string& op) { return op == "and" ? 2 : op == "or" ? 1 : -1; }

  Expr combine(const std::string& op, const Expr& l, const Expr& r, const SourceLoc& loc) {
    if (!l.ok || !r.ok) return l.ok ? r : l;
    NodeP a = bool_operand(l, op);
    NodeP b = bool_operand(r, op);
    if (!a || !b) {
      Expr e;
      e.ok = false;
      return e;
    }
    std::string text = "(" + a->text + " " + op + " " + b->text + ")";
    if (op == "and") return bool_expr(make<AndNode>(text, a, b), loc);
    if (op == "or") return bool_expr(make<OrNode>(text, a, b), loc);
    if (op == "nand") return bool_expr(make<NotNode>(text, make<AndNode>(text, a, b)), loc);
    return bool_expr(make<XorNode>(text, a, b), loc);
  }

  Expr condition(const config::Condition& c) {
    if (c.operands.empty()) return fail(c.loc, "Empty condition");
    if (c.operands.size() == 1) return expression(c.operands[0]);

    // Shunting-yard exactly as lscl.rb: pop at most one operator, only on strictly higher precedence.
    struct Item {
      bool is_op;
      std::size_t index;  // into operands or operators
    };
    std::vector<Item> out;
    std::vector<std::size_t> ops;
    for (std::size_t i = 0; i < c.operands.size(); ++i) {
      if (i > 0) {
        std::size_t oi = i - 1;
        const std::string& op = c.operators[oi];
        if (!ops.empty()) {
          const std::string& top = c.operators[ops.back()];
          int pt = precedence(top), po = precedence(op);
          if (pt < 0 || po < 0) {
            const std::string& bad = pt < 0 ? top : op;
            SourceLoc where = oi < c.operator_locs.size() ? c.operator_locs[oi] : c.loc;
            return fail(where,
                        "Unexpected operator " + bad + ": '" + bad +
                            "' cannot be combined with other boolean operators (or chained) without parentheses",
                        {"Logstash rejects this too; add parentheses, e.g. `([a] " + bad + " [b]) and [c]`"});
          }
          if (pt > po) {
            out.push_back({true, ops.back()});
            ops.pop_back();
          }
        }
        ops.push_back(oi);
      }
      out.push_back({false, i});
    }
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) out.push_back({true, *it});

    // Evaluate the RPN.
    std::vector<Expr> stack;
    for (const Item& item : out) {
      if (!item.is_op) {
        stack.push_back(expression(c.operands[item.index]));
        continue;
      }
      Expr r = std::move(stack.back());
      stack.pop_back();
      Expr l = std::move(stack.back());
      stack.pop_back();
      SourceLoc where = item.index < c.operator_locs.size() ? c.operator_locs[item.index] : c.loc;
      stack.push_back(combine(c.operators[item.index], l, r, where));
    }
    return std::move(stack.back());
  }

  Expr rvalue(const config::Rvalue& rv) {
    Expr e;
    e.loc = rv.loc;
    switch (rv.kind) {
      case RK::Selector: {
        std::string err;
        auto ref = FieldRef::parse(rv.text, &err);
        if (!ref) return fail(rv.loc, "Invalid field reference " + rv.text + ": " + err);
        e.t = Expr::T::Field;
        e.ref = std::move(*ref);
        e.text = rv.text;
        return e;
      }
      case RK::Regexp: {
        std::string err;
        e.regex = Regex::compile(rv.text, &err);
        if (!e.regex) return fail(rv.loc, "Invalid regular expression /" + rv.text + "/: " + err);
        e.t = Expr::T::Regex;
        e.text = "/" + rv.text + "/";
        return e;
      }
      case RK::MethodCall:
        return fail(rv.loc, "Method calls are not supported in conditions: " + rv.text + "(...)",
                    {"Logstash parses them but silently ignores them or fails; compare fields instead"});
      case RK::String:
      case RK::Number:
      case RK::Array: {
        Value* v = alloc_value();
        std::string err;
        if (!constant(rv, *v, &err)) return fail(rv.loc, err);
        e.t = Expr::T::Const;
        e.constant = v;
        e.text = display_value(*v);
        return e;
      }
    }
    return fail(rv.loc, "Unsupported value in condition");
  }

  Value* alloc_value() {
    arena_->values.push_back(std::make_unique<Value>());
    return arena_->values.back().get();
  }

  std::string string_text(const std::string& raw) const { return opts_.support_escapes ? config::process_escapes(raw) : raw; }

  // Ruby Integer()/Float() of a number literal: a leading 0 means octal, "08" and "1." are errors.
  bool number(const std::string& text, Value& out, std::string* err) {
    if (text.find('.') != std::string::npos) {
      if (text.back() == '.') {
        *err = "invalid value for Float(): \"" + text + "\"";
        return false;
      }
      out.SetDouble(std::strtod(text.c_str(), nullptr));
      return true;
    }
    bool neg = !text.empty() && text[0] == '-';
    std::string digits = neg ? text.substr(1) : text;
    int base = digits.size() > 1 && digits[0] == '0' ? 8 : 10;
    errno = 0;
    char* end = nullptr;
    unsigned long long u = std::strtoull(digits.c_str(), &end, base);
    if (digits.empty() || *end != '\0' || errno == ERANGE || u > static_cast<unsigned long long>(INT64_MAX)) {
      *err = "invalid value for Integer(): \"" + text + "\"";
      return false;
    }
    int64_t i = static_cast<int64_t>(u);
    out.SetInt64(neg ? -i : i);
    return true;
  }

  bool constant(const config::Rvalue& rv, Value& out, std::string* err) {
    switch (rv.kind) {
      case RK::String: {
        std::string s = string_text(rv.text);
        out.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc());
        return true;
      }
      case RK::Number: return number(rv.text, out, err);
      case RK::Array: {
        out.SetArray();
        for (const config::Rvalue& el : rv.elements) {
          Value item;
          if (el.kind == RK::Selector || el.kind == RK::Regexp) {
            // Inside an array literal Logstash reads `[x]` as a nested array of the bareword x
            // and a regex as its text.
            std::string t = el.text;
            if (el.kind == RK::Selector && t.size() >= 2) t = t.substr(1, t.size() - 2);
            Value s(t.data(), static_cast<rapidjson::SizeType>(t.size()), alloc());
            if (el.kind == RK::Selector) {
              item.SetArray();
              item.PushBack(s, alloc());
            } else {
              item = std::move(s);
            }
          } else if (el.kind == RK::MethodCall) {
            *err = "Method calls are not supported in conditions";
            return false;
          } else if (!constant(el, item, err)) {
            return false;
          }
          out.PushBack(item, alloc());
        }
        return true;
      }
      default: *err = "Not a constant"; return false;
    }
  }

  static bool is_scalar_const(const Expr& e) {
    return e.t == Expr::T::Const && (e.constant->IsString() || e.constant->IsNumber());
  }

  Expr in(const Expr& l, const Expr& r, const config::Expression& x) {
    std::string text = l.text + " in " + r.text;
    if (l.t == Expr::T::Field && is_scalar_const(r)) {
      return bool_expr(make<InFieldScalar>(text, *l.ref, to_logstash_string(*r.constant)), x.loc);
    }
    if (is_scalar_const(l) && r.t == Expr::T::Field) {
      if (l.constant->IsString()) return bool_expr(make<InConstStringField>(text, *r.ref, l.constant), x.loc);
      return bool_expr(make<InConstScalarField>(text, *r.ref, l.constant), x.loc);
    }
    if (l.t == Expr::T::Field && r.t == Expr::T::Const && r.constant->IsArray()) {
      std::vector<std::string> items;
      for (const Value& v : r.constant->GetArray()) items.push_back(to_logstash_string(v));
      return bool_expr(make<InFieldList>(text, *l.ref, std::move(items)), x.loc);
    }
    if (l.t == Expr::T::Field && r.t == Expr::T::Field) return bool_expr(make<InFieldField>(text, *l.ref, *r.ref), x.loc);
    if (l.t == Expr::T::Const && r.t == Expr::T::Const) {
      // Folded with Java equality on the config values: "a" in ["a", "b"] and "a" in "abc" are
      // both false in Logstash.
      return bool_expr(make<ConstNode>(text, java_eq(l.constant, r.constant)), x.loc);
    }
    return fail(x.loc, "Unexpected input types for 'in': " + l.text + " in " + r.text);
  }

  Expr expression(const config::Expression& x) {
    switch (x.kind) {
      case EK::Group: {
        if (!x.group) return fail(x.loc, "Empty group");
        Expr inner = condition(*x.group);
        if (!inner.ok) return inner;
        // `([a])` is truthiness; a parenthesised constant stays a constant.
        if (inner.t == Expr::T::Field) return bool_expr(make<TruthyNode>(inner.text, *inner.ref), x.loc);
        if (inner.t == Expr::T::Bool) inner.text = inner.node->text;
        return inner;
      }
      case EK::Not: {
        if (x.group) {
          Expr inner = condition(*x.group);
          if (!inner.ok) return inner;
          NodeP n;
          if (inner.t == Expr::T::Bool) {
            n = inner.node;
          } else if (inner.t == Expr::T::Field) {
            n = make<TruthyNode>(inner.text, *inner.ref);
          } else {
            return fail(x.loc, "Unexpected input type for '!': " + inner.text);
          }
          return bool_expr(make<NotNode>("!(" + n->text + ")", n), x.loc);
        }
        Expr f = rvalue(x.lhs);
        if (!f.ok) return f;
        if (f.t != Expr::T::Field) return fail(x.loc, "'!' applies to a field reference or a parenthesised condition");
        return bool_expr(make<NotNode>("!" + f.text, make<TruthyNode>(f.text, *f.ref)), x.loc);
      }
      case EK::In:
      case EK::NotIn: {
        Expr l = rvalue(x.lhs), r = rvalue(x.rhs);
        if (!l.ok || !r.ok) return l.ok ? r : l;
        if (l.t == Expr::T::Regex || r.t == Expr::T::Regex) {
          return fail(x.loc, "A regular expression can only be used with =~ or !~");
        }
        Expr e = in(l, r, x);
        if (!e.ok || x.kind == EK::In) return e;
        return bool_expr(make<NotNode>(l.text + " not in " + r.text, e.node), x.loc);
      }
      case EK::Compare: return compare_expr(x);
      case EK::Match:
      case EK::NotMatch: {
        Expr l = rvalue(x.lhs);
        if (!l.ok) return l;
        std::string pattern = x.rhs.kind == RK::String ? string_text(x.rhs.text) : x.rhs.text;
        if (x.rhs.kind != RK::String && x.rhs.kind != RK::Regexp) {
          return fail(x.rhs.loc, "The right side of =~ / !~ must be a /regex/ or a string");
        }
        std::string err;
        auto re = Regex::compile(pattern, &err);
        if (!re) return fail(x.rhs.loc, "Invalid regular expression /" + pattern + "/: " + err);
        const char* op = x.kind == EK::Match ? " =~ " : " !~ ";
        std::string text = l.text + op + "/" + pattern + "/";
        NodeP n;
        if (l.t == Expr::T::Field) {
          n = make<MatchNode>(text, *l.ref, re);
        } else if (l.t == Expr::T::Const && l.constant->IsString()) {
          n = make<ConstNode>(text, re->search(sv(*l.constant)));
        } else {
          return fail(x.lhs.loc, "Expected a field reference or a string on the left of" + std::string(op));
        }
        if (x.kind == EK::Match) return bool_expr(n, x.loc);
        auto inner = n;
        if (auto* c = dynamic_cast<const ConstNode*>(n.get())) return bool_expr(make<ConstNode>(text, !c->value), x.loc);
        return bool_expr(make<NotNode>(text, inner), x.loc);
      }
      case EK::Value: return rvalue(x.lhs);
    }
    return fail(x.loc, "Unsupported expression");
  }

  Expr compare_expr(const config::Expression& x) {
    Expr l = rvalue(x.lhs), r = rvalue(x.rhs);
    if (!l.ok || !r.ok) return l.ok ? r : l;
    if (l.t == Expr::T::Regex || r.t == Expr::T::Regex) {
      return fail(x.loc, "A regular expression can only be used with =~ or !~");
    }
    const std::string& op = x.op;
    std::string text = l.text + " " + op + " " + r.text;
    if (op == "==" || op == "!=") {
      NodeP n;
      if (l.t == Expr::T::Field && r.t == Expr::T::Field) {
        n = make<EqFieldField>(text, *l.ref, *r.ref);
      } else if (l.t == Expr::T::Field) {
        n = make<EqFieldConst>(text, *l.ref, r.constant);
      } else if (r.t == Expr::T::Field) {
        n = make<EqFieldConst>(text, *r.ref, l.constant);
      } else {
        bool eq = java_eq(l.constant, r.constant);
        return bool_expr(make<ConstNode>(text, op == "==" ? eq : !eq), x.loc);
      }
      if (op == "==") return bool_expr(n, x.loc);
      return bool_expr(make<NotNode>(text, n), x.loc);
    }
    std::function<bool(int)> pred;
    if (op == "<") pred = [](int c) { return c < 0; };
    else if (op == "<=") pred = [](int c) { return c <= 0; };
    else if (op == ">") pred = [](int c) { return c > 0; };
    else if (op == ">=") pred = [](int c) { return c >= 0; };
    else return fail(x.loc, "Unknown comparison operator " + op);

    if (l.t == Expr::T::Const && r.t == Expr::T::Const) {
      // Folded now. Logstash's Java compareTo fails on mixed Long/Double or string/number constants.
      bool same = (l.constant->IsString() && r.constant->IsString()) ||
                  (l.constant->IsNumber() && r.constant->IsNumber() && is_int(*l.constant) == is_int(*r.constant));
      int c = 0;
      if (!same || !compare(l.constant, r.constant, &c, nullptr)) {
        return fail(x.loc, "Cannot compare the constants " + l.text + " and " + r.text,
                    {"both sides must be strings, or numbers of the same kind"});
      }
      return bool_expr(make<ConstNode>(text, pred(c)), x.loc);
    }
    Operand a, b;
    if (l.t == Expr::T::Field) a.ref = l.ref; else a.constant = l.constant;
    if (r.t == Expr::T::Field) b.ref = r.ref; else b.constant = r.constant;
    return bool_expr(make<CompareNode>(text, std::move(a), std::move(b), pred), x.loc);
  }

};

}  // namespace

std::unique_ptr<CompiledCondition> compile_condition(const config::Condition& cond, const ConditionOptions& options,
                                                     config::Diagnostics& diags) {
  Builder b(options, diags);
  return b.top(cond);
}

}  // namespace sluice::compiler
