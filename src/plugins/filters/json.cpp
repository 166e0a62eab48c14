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
// Parsing is the shared event JSON reader (parse_json with JsonSyntax::Jackson, src/event/json.cpp):
// iterative, depth-limited, the tree built directly in the event's pool allocator. The filter
// instance is immutable after construction.
#include "event/json_internal.hpp"
#include "plugins/filters/warn_throttle.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::plugins {
namespace {

constexpr const char* kComponent = "logstash.filters.json";

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
    JsonError parse_error;
    if (!parse_json(text, e.allocator(), &parsed, JsonSyntax::Jackson, &parse_error)) {
      if (!skip_on_invalid_json_) {
        tag_failure(e);
        if (parse_warn_.should_warn()) {
          parse_warn_.emit(kComponent,
                           "Error parsing json {:source=>\"" + source_text_ + "\", :raw=>\"" + truncate_for_log(text) +
                               "\", :exception=>\"" + parse_error.message() + "\"}",
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
