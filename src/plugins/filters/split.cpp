// The split filter (logstash-filter-split 3.1.8): one event per part of a field. A string is split
// on `terminator` (Ruby's String#split(terminator, -1): trailing empty parts are kept, and a
// terminator of one space splits on runs of whitespace, as Ruby's awk mode does); an array gives
// one event per element. Each new event is a copy of the original with the part at `target` (or
// at `field`; for an array without `target` the array itself is removed first), decorated with
// the common options (filter_matched), and follows the original's place in the batch; the
// original is cancelled. Empty strings and nulls make no event. A string with one part leaves the
// event untouched (and undecorated); any other type tags it `_split_type_failure`.
//
// Built on the plugin contract's emit path (docs/plugin-contract.md): the new events run through
// the stages after this filter only.
#include "plugins/filters/warn_throttle.hpp"
#include "sluice/options.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::plugins {
namespace {

constexpr const char* kComponent = "logstash.filters.split";

struct SplitConfig {
  std::string field = "message";
  std::optional<std::string> target;
  std::string terminator = "\n";
};

bool ruby_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// Ruby's str.split(sep, -1) for a String sep.
std::vector<std::string_view> ruby_split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> out;
  if (s.empty()) return out;
  if (sep == " ") {  // awk mode: runs of whitespace, leading whitespace skipped
    size_t beg = 0, end = 0;
    bool skip = true;
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (skip) {
        if (ruby_space(c)) {
          beg = i + 1;
        } else {
          end = i + 1;
          skip = false;
        }
      } else if (ruby_space(c)) {
        out.push_back(s.substr(beg, end - beg));
        skip = true;
        beg = i + 1;
      } else {
        end = i + 1;
      }
    }
    out.push_back(s.substr(beg));  // limit -1: the rest, possibly empty
    return out;
  }
  if (sep.empty()) {  // one part per character (UTF-8 sequence), then the empty rest
    size_t i = 0;
    while (i < s.size()) {
      const auto lead = static_cast<unsigned char>(s[i]);
      size_t n = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
      n = std::min(n, s.size() - i);
      out.push_back(s.substr(i, n));
      i += n;
    }
    out.push_back(s.substr(s.size()));
    return out;
  }
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + sep.size();
  }
}

const char* ruby_class(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "NilClass";
    case rapidjson::kFalseType: return "FalseClass";
    case rapidjson::kTrueType: return "TrueClass";
    case rapidjson::kObjectType: return "Hash";
    case rapidjson::kArrayType: return "Array";
    case rapidjson::kStringType: return "String";
    case rapidjson::kNumberType: return v.IsDouble() ? "Float" : "Integer";
  }
  return "Object";
}

FieldRef parse_ref(const std::string& option, const std::string& text) {
  std::string error;
  auto ref = FieldRef::parse(text, &error);
  if (!ref) throw PluginConfigError(option, "Invalid field reference '" + text + "': " + error);
  return std::move(*ref);
}

class SplitFilter final : public Filter {
 public:
  SplitFilter(const SplitConfig& c, const PluginConfig& cfg)
      : field_text_(c.field),
        field_(parse_ref("field", c.field)),
        target_(c.target ? std::optional<FieldRef>(parse_ref("target", *c.target)) : std::nullopt),
        terminator_(c.terminator),
        pipeline_id_(cfg.pipeline_id) {}

  FilterStatus filter(Event& e, Emitter& emit) override {
    const FieldRef& dest = target_ ? *target_ : field_;
    const Value* original = e.get(field_);
    if (original && original->IsArray()) {
      Value parts;
      if (target_) {
        parts.CopyFrom(*original, e.allocator());
      } else {
        (void)e.remove(field_, &parts);  // the copies must not carry the array
      }
      for (const Value& part : parts.GetArray()) {
        if (part.IsNull() || (part.IsString() && part.GetStringLength() == 0)) continue;
        std::unique_ptr<Event> copy = e.clone();
        (void)copy->set(dest, Value(part, copy->allocator()));
        emit.emit(std::move(copy), true);
      }
      e.cancel();
      return FilterStatus::Failure;  // the original is gone; only the copies are decorated
    }
    if (!original || !original->IsString()) {
      if (warn_.should_warn()) {
        warn_.emit(kComponent,
                   "Only String and Array types are splittable. field:" + field_text_ + " is of type = " +
                       (original ? ruby_class(*original) : "NilClass"),
                   pipeline_id_, id());
      }
      e.tag("_split_type_failure");
      return FilterStatus::Failure;
    }
    const std::string text(as_view(*original));  // the event changes below; keep the text
    const std::vector<std::string_view> parts = ruby_split(text, terminator_);
    if (parts.size() == 1) return FilterStatus::Failure;  // nothing to split: untouched, undecorated
    for (std::string_view part : parts) {
      if (part.empty()) continue;
      std::unique_ptr<Event> copy = e.clone();
      (void)copy->set_string(dest, part);
      emit.emit(std::move(copy), true);
    }
    e.cancel();
    return FilterStatus::Failure;
  }

 private:
  std::string field_text_;
  FieldRef field_;
  std::optional<FieldRef> target_;
  std::string terminator_;
  std::string pipeline_id_;
  WarnThrottle warn_;
};

}  // namespace

void register_filter_split(Registry& r) {
  Options<SplitConfig> o;
  o.add("field", OptionType::String, &SplitConfig::field)
      .def_str("message")
      .describe("The field to split: a string (split on `terminator`) or an array (one event per element).");
  o.add("target", OptionType::String, &SplitConfig::target)
      .describe("Where each new event gets its part; without it the part replaces `field`.");
  o.add("terminator", OptionType::String, &SplitConfig::terminator)
      .def_str("\n")
      .describe("The separator of a string field (a single space splits on runs of whitespace, as Ruby does).");
  add_plugin<SplitFilter>(r, PluginKind::Filter, "split",
                          "Splits one event into several: one per line (or `terminator`-separated part) of a string "
                          "field, or one per element of an array field. The new events take the original's place.",
                          std::move(o));
}

}  // namespace sluice::plugins
