// The json filter (logstash-filter-json 3.2.1): parses the JSON text of `source` and either stores
// the value at `target` or merges an object into the event root.
//
// Parsing follows Logstash's parser (JrJackson over Jackson), not RapidJSON's defaults:
//  * empty or blank text parses to null (no error), as does `null`;
//  * several root values (`{"a":1} {"b":2}`) are accepted and the last one wins; trailing garbage,
//    comments, NaN/Infinity, leading zeros, trailing commas and raw control characters are errors;
//  * duplicate keys: the last value wins, at the position of the first occurrence;
//  * invalid UTF-8 is an error; nesting deeper than 1000 levels is an error (Jackson's limit).
//  * Numbers: integers stay exact up to 2^64-1; larger integers and all numbers with a fraction or an
//    exponent become doubles (Logstash keeps them as bignum / BigDecimal, which print differently:
//    `1.10` stays `1.10` there and becomes `1.1` here).
// The tree is built directly in the event's pool allocator by a SAX handler; nothing is copied
// twice. The filter instance is immutable after construction; per-thread scratch (the reader's
// stack and the value stack) is thread_local.
#include "plugins/filters/warn_throttle.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::plugins {
namespace {

constexpr const char* kComponent = "logstash.filters.json";
constexpr unsigned kMaxDepth = 1000;  // Jackson's default maximum nesting depth
// Above this many members, duplicate keys are found with a hash map instead of a linear scan.
constexpr rapidjson::SizeType kLinearDedupeLimit = 24;

}  // namespace
}  // namespace sluice::plugins

// RapidJSON 1.1 has no public way to build an object of exactly n members (MemberReserve came
// later; AddMember starts at 16). GenericValue's raw setters are private but every GenericDocument
// specialisation is a friend; this specialisation on a private tag exposes them, and does nothing
// else. RapidJSON's own Document builds containers the same way (members popped from a stack of
// key/value pairs, then copied bitwise into exact-size storage).
namespace sluice::plugins::json_detail {
struct RawSetterTag {};
}  // namespace sluice::plugins::json_detail

template <>
class rapidjson::GenericDocument<rapidjson::UTF8<>, sluice::Allocator, sluice::plugins::json_detail::RawSetterTag> {
 public:
  static void set_object(sluice::Value& v, sluice::Value::Member* members, rapidjson::SizeType n,
                         sluice::Allocator& a) {
    v.SetObjectRaw(members, n, a);
  }
  static void set_array(sluice::Value& v, sluice::Value* values, rapidjson::SizeType n, sluice::Allocator& a) {
    v.SetArrayRaw(values, n, a);
  }
};

namespace sluice::plugins {
namespace {

using RawSetter = rapidjson::GenericDocument<rapidjson::UTF8<>, Allocator, json_detail::RawSetterTag>;

// SAX handler building values in the event's allocator. Scalars, keys and finished containers are
// pushed on `stack`; EndObject/EndArray move their children (bitwise, as RapidJSON's Document does;
// pool-allocated values have no destructor work) into an exact-size container.
class TreeBuilder {
 public:
  TreeBuilder(Allocator& a, std::vector<Value>& stack) : a_(a), stack_(stack) {}

  bool Null() { return push(Value()); }
  bool Bool(bool b) { return push(Value(b)); }
  bool Int(int i) { return push(Value(i)); }
  bool Uint(unsigned u) { return push(Value(u)); }
  bool Int64(int64_t i) { return push(Value(i)); }
  bool Uint64(uint64_t u) { return push(Value(u)); }
  bool Double(double d) { return push(Value(d)); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // not requested
  bool String(const char* s, rapidjson::SizeType n, bool) { return push(Value(s, n, a_)); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return push(Value(s, n, a_)); }
  bool StartObject() { return ++depth_ <= kMaxDepth; }
  bool StartArray() { return ++depth_ <= kMaxDepth; }

  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    const std::size_t first = stack_.size() - n;
    Value arr;
    RawSetter::set_array(arr, n ? &stack_[first] : nullptr, n, a_);
    stack_.resize(first);
    return push(std::move(arr));
  }

  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    const std::size_t first = stack_.size() - 2 * static_cast<std::size_t>(n);
    const rapidjson::SizeType kept = n > 1 ? dedupe(first, n) : n;
    Value obj;
    static_assert(sizeof(Value::Member) == 2 * sizeof(Value));
    RawSetter::set_object(obj, kept ? reinterpret_cast<Value::Member*>(&stack_[first]) : nullptr, kept, a_);
    stack_.resize(first);
    return push(std::move(obj));
  }

 private:
  // Duplicate keys (Jackson with duplicate detection off): the last value wins, at the position of
  // the first occurrence. Compacts the key/value pairs at `first` and returns how many remain.
  rapidjson::SizeType dedupe(std::size_t first, rapidjson::SizeType n) {
    const std::size_t end = first + 2 * static_cast<std::size_t>(n);
    std::size_t out = first;  // next free pair slot
    if (n <= kLinearDedupeLimit) {
      for (std::size_t i = first; i < end; i += 2) {
        std::size_t j = first;
        for (; j < out; j += 2) {
          if (stack_[j] == stack_[i]) break;
        }
        if (j < out) {
          stack_[j + 1] = std::move(stack_[i + 1]);
        } else {
          if (out != i) {
            stack_[out] = std::move(stack_[i]);
            stack_[out + 1] = std::move(stack_[i + 1]);
          }
          out += 2;
        }
      }
    } else {
      std::unordered_map<std::string_view, std::size_t> index;  // key bytes live in the event pool
      index.reserve(n);
      for (std::size_t i = first; i < end; i += 2) {
        auto [pos, inserted] = index.emplace(as_view(stack_[i]), out);
        if (!inserted) {
          stack_[pos->second + 1] = std::move(stack_[i + 1]);
        } else {
          if (out != i) {
            stack_[out] = std::move(stack_[i]);
            stack_[out + 1] = std::move(stack_[i + 1]);
          }
          out += 2;
        }
      }
    }
    return static_cast<rapidjson::SizeType>((out - first) / 2);
  }

  bool push(Value&& v) {
    stack_.emplace_back(std::move(v));
    return true;
  }
  Allocator& a_;
  std::vector<Value>& stack_;
  unsigned depth_ = 0;
};

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Parses `text` (whose byte after the end is NUL, as in every RapidJSON string value) into `out`,
// allocated in `a`. Returns false with *error set on a parse error.
bool parse_logstash_json(std::string_view text, Allocator& a, Value& out, std::string* error) {
  constexpr unsigned kFlags = rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag;
  thread_local rapidjson::Reader reader;
  thread_local std::vector<Value> stack;

  std::size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size() && is_json_space(text[pos])) ++pos;
  };
  skip_space();
  out.SetNull();  // empty or blank text: nil, not an error
  while (pos < text.size()) {
    rapidjson::StringStream ss(text.data() + pos);
    TreeBuilder builder(a, stack);
    rapidjson::ParseResult r = reader.Parse<kFlags>(ss, builder);
    if (r.IsError() || stack.size() != 1) {
      stack.clear();
      if (error) {
        *error = std::string(r.IsError() ? rapidjson::GetParseError_En(r.Code()) : "Unexpected end of input") +
                 " at offset " + std::to_string(pos + (r.IsError() ? r.Offset() : ss.Tell()));
      }
      return false;
    }
    out = std::move(stack.back());
    stack.clear();
    const std::size_t end = pos + ss.Tell();
    // A root number or literal must be followed by whitespace or the end (`01`, `1x`, `truex` are
    // errors in Jackson); a root object, array or string may be followed directly by another root.
    if (!(out.IsObject() || out.IsArray() || out.IsString()) && end < text.size() && !is_json_space(text[end])) {
      if (error) *error = "Unexpected character after a root value at offset " + std::to_string(end);
      return false;
    }
    pos = end;
    skip_space();
  }
  return true;
}

const FieldRef& timestamp_failure_ref() {
  static const FieldRef ref = *FieldRef::parse("_@timestamp");
  return ref;
}

// Top-level keys that Event::set treats specially, or that are field-reference syntax.
bool needs_field_ref(std::string_view key) {
  if (key.find_first_of("[]") != std::string_view::npos) return true;
  return key == "@metadata" || key == "tags" || key == "@timestamp";
}

class JsonFilter final : public Filter {
 public:
  explicit JsonFilter(const PluginConfig& cfg) : pipeline_id_(cfg.pipeline_id) {
    std::string error;
    const std::string source = cfg.string("source");
    auto src = FieldRef::parse(source, &error);
    if (!src) throw PluginConfigError("source", "Invalid field reference '" + source + "': " + error);
    source_ = std::move(*src);
    source_text_ = source;
    if (const ConfigValue* t = cfg.get("target"); t && t->kind != ConfigValue::Kind::Null) {
      const std::string target = t->to_plain_string();
      auto tgt = FieldRef::parse(target, &error);
      if (!tgt) throw PluginConfigError("target", "Invalid field reference '" + target + "': " + error);
      target_ = std::move(*tgt);
    }
    if (cfg.has("tag_on_failure")) tag_on_failure_ = cfg.strings("tag_on_failure");
    skip_on_invalid_json_ = cfg.has("skip_on_invalid_json") && cfg.boolean("skip_on_invalid_json");
    const std::string ecs = cfg.string_or("ecs_compatibility", "disabled");
    ecs_target_warning_ = ecs != "disabled" && !target_;
  }

  void start() override {
    if (ecs_target_warning_) {
      log::write(log::Level::Info, kComponent,
                 "ECS compatibility is enabled but `target` option was not specified. This may cause fields to be "
                 "set at the top-level of the event where they are likely to clash with the Elastic Common Schema. "
                 "It is recommended to set the `target` option to avoid potential schema conflicts (if your data "
                 "is ECS compliant or non-conflicting, feel free to ignore this message)",
                 pipeline_id_, id());
    }
  }

  FilterStatus filter(Event& e, Emitter&) override {
    const Value* src = e.get(source_);
    // Logstash: `return unless source` -- missing, null and false are skipped silently.
    if (!src || src->IsNull() || (src->IsBool() && !src->GetBool())) return FilterStatus::Failure;

    Value parsed;
    std::string error;
    if (!src->IsString()) {
      // JrJackson cannot read a non-string: a parse error.
      if (!skip_on_invalid_json_) {
        tag_failure(e);
        if (parse_warn_.should_warn()) {
          parse_warn_.emit(kComponent,
                           "Error parsing json {:source=>\"" + source_text_ + "\", :raw=>" + to_logstash_string(*src) +
                               ", :exception=>\"the source is not a string\"}",
                           pipeline_id_, id());
        }
      }
      return FilterStatus::Failure;
    }
    // The view points into the event's pool, which only grows while parsing.
    const std::string_view text = as_view(*src);
    if (!parse_logstash_json(text, e.allocator(), parsed, &error)) {
      if (!skip_on_invalid_json_) {
        tag_failure(e);
        if (parse_warn_.should_warn()) {
          parse_warn_.emit(kComponent,
                           "Error parsing json {:source=>\"" + source_text_ + "\", :raw=>\"" + truncate_for_log(text) +
                               "\", :exception=>\"" + error + "\"}",
                           pipeline_id_, id());
        }
      }
      return FilterStatus::Failure;
    }

    if (target_) {
      // Any JSON type, null included, is stored as one value; keys are not field references.
      SetResult r = e.set(*target_, std::move(parsed));
      if (r != SetResult::Ok) return exception(e, std::string("Could not set target '") + target_->text() + "': " + to_string(r));
      return FilterStatus::Success;
    }

    if (!parsed.IsObject()) {
      // Not suppressed by skip_on_invalid_json: only parse errors are.
      tag_failure(e);
      if (other_warn_.should_warn()) {
        other_warn_.emit(kComponent,
                         "Parsed JSON object/hash requires a target configuration option {:source=>\"" + source_text_ +
                             "\", :raw=>\"" + truncate_for_log(text) + "\"}",
                         pipeline_id_, id());
      }
      return FilterStatus::Failure;
    }
    return merge_into_root(e, parsed);
  }

 private:
  // Without target: `@timestamp` is taken out first, every other key is set as a field reference
  // in document order (a failing key leaves the earlier ones set, as in Logstash), then the
  // timestamp is applied.
  FilterStatus merge_into_root(Event& e, Value& parsed) {
    Allocator& a = e.allocator();
    Value ts_raw;
    bool has_ts = false;
    if (auto it = parsed.FindMember("@timestamp"); it != parsed.MemberEnd()) {
      ts_raw = std::move(it->value);
      parsed.EraseMember(it);
      has_ts = true;
    }

    Value& data = e.data();
    for (auto& m : parsed.GetObject()) {
      const std::string_view key = as_view(m.name);
      if (!needs_field_ref(key)) {
        // A plain top-level key: set it in the root object directly (what Event::set would do).
        if (auto it = data.FindMember(m.name); it != data.MemberEnd()) {
          it->value = std::move(m.value);
        } else {
          data.AddMember(m.name, m.value, a);  // moves both
        }
        continue;
      }
      std::string error;
      auto ref = FieldRef::parse(key, &error);
      if (!ref) return exception(e, "Invalid FieldReference: `" + std::string(key) + "`");
      SetResult r = e.set(*ref, std::move(m.value));
      if (r != SetResult::Ok) return exception(e, "Could not set field '" + std::string(key) + "': " + to_string(r));
    }

    // `@timestamp: null` / `false` are dropped without further effect.
    if (has_ts && !ts_raw.IsNull() && !(ts_raw.IsBool() && !ts_raw.GetBool())) {
      std::optional<Timestamp> ts;
      if (ts_raw.IsString()) ts = Timestamp::parse_iso8601(as_view(ts_raw));
      if (ts) {
        e.set_timestamp(*ts);
      } else {
        e.set_timestamp(Timestamp::now());
        e.tag("_timestampparsefailure");
        std::string raw = to_logstash_string(ts_raw);  // always stored as a string
        if (ts_warn_.should_warn()) {
          ts_warn_.emit(kComponent,
                        "Unrecognized @timestamp value, setting current time to @timestamp, original in _@timestamp "
                        "field {:value=>\"" + truncate_for_log(raw) + "\"}",
                        pipeline_id_, id());
        }
        (void)e.set_string(timestamp_failure_ref(), raw);
      }
    }
    return FilterStatus::Success;
  }

  // Logstash's `rescue => ex` branch: warn, tag, no common decorations, no rollback.
  FilterStatus exception(Event& e, const std::string& message) {
    tag_failure(e);
    if (other_warn_.should_warn()) {
      other_warn_.emit(kComponent,
                       "Exception caught in json filter {:source=>\"" + source_text_ + "\", :exception=>\"" + message +
                           "\"}",
                       pipeline_id_, id());
    }
    return FilterStatus::Failure;
  }

  void tag_failure(Event& e) const {
    for (const std::string& t : tag_on_failure_) e.tag(t);  // Event#tag: no duplicates
  }

  FieldRef source_;
  std::string source_text_;
  std::optional<FieldRef> target_;
  std::vector<std::string> tag_on_failure_{"_jsonparsefailure"};
  bool skip_on_invalid_json_ = false;
  bool ecs_target_warning_ = false;
  std::string pipeline_id_;
  WarnThrottle parse_warn_;
  WarnThrottle other_warn_;
  WarnThrottle ts_warn_;
};

}  // namespace

void register_filter_json(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Filter;
  s.name = "json";
  s.description =
      "Parses JSON text held in a field and expands it into the event (or into `target`). Events whose field is "
      "not valid JSON are tagged and passed on unchanged.";
  s.options = {
      opt("source", OptionType::String)
          .req()
          .describe("The field holding the JSON text. A missing, null or false field is skipped silently."),
      opt("target", OptionType::FieldReference)
          .describe("Where to store the parsed value (any JSON type). Without it the JSON must be an object, "
                    "whose keys are set at the root of the event (keys are field references; `@timestamp` is "
                    "parsed into the event's timestamp)."),
      opt("skip_on_invalid_json", OptionType::Boolean)
          .def_bool(false)
          .describe("Skip invalid JSON silently: no failure tags and no warning. Only parse errors are skipped."),
      opt("tag_on_failure", OptionType::Array)
          .def(ConfigValue::make_array({ConfigValue::make_string("_jsonparsefailure")}))
          .describe("Tags added (without duplicates) when the JSON cannot be parsed or stored."),
      opt_one_of("ecs_compatibility", {"disabled", "v1", "v8"})
          .describe("Elastic Common Schema mode. It does not change what the filter does; with ECS enabled "
                    "and no `target`, a notice is logged at startup."),
  };
  r.add(std::move(s), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    return std::make_unique<JsonFilter>(cfg);
  });
}

}  // namespace sluice::plugins
