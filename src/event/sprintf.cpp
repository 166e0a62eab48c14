// sprintf templates, following Logstash's StringInterpolation.evaluate, compiled once.
//
// Scanning: find `%{`, the token ends at the first `}` after it; without such a `}` the rest of the
// text is literal. Token forms, tested in Logstash's order:
//   * a prefix of `+%s` (`+%s`, and quirkily `+`, `+%` and the empty `%{}`): epoch seconds;
//   * `{...}` directly followed by a second `}`: a java.time pattern, or `TIME_NOW`;
//   * `+PATTERN`: a Joda-Time pattern;
//   * anything else: a field reference; a missing or null field leaves `%{...}` in place.
// Date forms render nothing when the event has no @timestamp.
#include "sluice/sprintf.hpp"

#include "event/date_format.hpp"

#include <charconv>
#include <optional>
#include <vector>

namespace sluice {

namespace {

enum class Kind { Literal, Field, Epoch, Joda, Java, TimeNow };

struct Piece {
  Kind kind = Kind::Literal;
  std::string text;  // literal text; for Field the whole `%{...}` token (printed when missing)
  std::optional<FieldRef> ref;
  datefmt::Pattern pattern;
};

}  // namespace

struct Template::Impl {
  std::string text;
  std::vector<Piece> pieces;
  bool constant = true;
};

namespace {

void add_literal(std::vector<Piece>& pieces, std::string_view s) {
  if (s.empty()) return;
  if (!pieces.empty() && pieces.back().kind == Kind::Literal) {
    pieces.back().text.append(s);
    return;
  }
  Piece p;
  p.text = std::string(s);
  pieces.push_back(std::move(p));
}

// Splits `t` into pieces; returns whether it has no `%{...}` token.
bool compile(std::string_view t, std::vector<Piece>& pieces) {
  bool constant = true;
  size_t pos = 0;
  size_t open = t.find("%{");
  size_t close = open == std::string_view::npos ? std::string_view::npos : t.find('}', open);
  while (open != std::string_view::npos && close != std::string_view::npos) {
    add_literal(pieces, t.substr(pos, open - pos));
    const std::string_view token = t.substr(open + 2, close - open - 2);
    Piece p;
    if (token.size() <= 3 && std::string_view("+%s").substr(0, token.size()) == token) {
      p.kind = Kind::Epoch;
    } else if (token[0] == '{' && close + 1 < t.size() && t[close + 1] == '}') {
      close += 1;  // the second closing brace
      const std::string_view pattern = token.substr(1);
      if (pattern == "TIME_NOW") {
        p.kind = Kind::TimeNow;
      } else {
        p.kind = Kind::Java;
        p.pattern = datefmt::compile_java(pattern);
      }
    } else if (token[0] == '+') {
      p.kind = Kind::Joda;
      p.pattern = datefmt::compile_joda(token.substr(1));
    } else {
      p.kind = Kind::Field;
      p.text = std::string(t.substr(open, close - open + 1));
      // An invalid reference (Logstash raises in the calling plugin) can never resolve: the token
      // stays literal.
      p.ref = FieldRef::parse(token);
    }
    pieces.push_back(std::move(p));
    constant = false;
    pos = close + 1;
    open = t.find("%{", pos);
    close = open == std::string_view::npos ? std::string_view::npos : t.find('}', open);
  }
  add_literal(pieces, t.substr(pos));
  return constant;
}

}  // namespace

Template::Template() : impl_(std::make_unique<Impl>()) {}

Template::Template(std::string_view text) : impl_(std::make_unique<Impl>()) {
  impl_->text = std::string(text);
  impl_->constant = compile(impl_->text, impl_->pieces);
}

Template::Template(const Template& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}

Template& Template::operator=(const Template& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}

Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

bool Template::is_constant() const { return !impl_ || impl_->constant; }

const std::string& Template::text() const {
  static const std::string kEmpty;
  return impl_ ? impl_->text : kEmpty;
}

void Template::render(const Event& e, std::string& out) const {
  if (!impl_) return;
  if (impl_->constant) {
    out += impl_->text;
    return;
  }
  for (const Piece& p : impl_->pieces) {
    switch (p.kind) {
      case Kind::Literal:
        out += p.text;
        break;
      case Kind::Field: {
        const Value* v = p.ref ? e.get(*p.ref) : nullptr;
        if (v == nullptr || v->IsNull()) {
          out += p.text;
        } else {
          append_logstash_string(*v, out);  // a hash or list of any depth: walked without recursion
        }
        break;
      }
      case Kind::Epoch:
        if (auto ts = e.timestamp()) {
          char buf[24];
          auto r = std::to_chars(buf, buf + sizeof buf, ts->seconds());
          out.append(buf, r.ptr);
        }
        break;
      case Kind::Joda:
      case Kind::Java:
        if (auto ts = e.timestamp()) {
          // Joda patterns see milliseconds only: the formatter truncates their fractions.
          datefmt::format(p.pattern, *ts, out);
        }
        break;
      case Kind::TimeNow:
        Timestamp::now().append_to(out);
        break;
    }
  }
}

std::string Template::render(const Event& e) const {
  std::string s;
  render(e, s);
  return s;
}

}  // namespace sluice
