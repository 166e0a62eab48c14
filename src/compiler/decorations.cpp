// The common decorations of filters (add_field, remove_field, add_tag, remove_tag: Logstash's
// `filter_matched` in logstash-core/lib/logstash/filters/base.rb) and of inputs (type, add_field,
// tags: `decorate` in logstash-core/lib/logstash/inputs/base.rb). Both use the semantics of
// logstash-core/lib/logstash/util/decorators.rb: every key, value and tag is sprintf'd per event;
// add_field onto an existing field turns it into an array and appends; add_tag appends without
// de-duplication.
#include "compiler/graph.hpp"
#include "sluice/log.hpp"

#include <string>
#include <utility>

namespace sluice {
namespace {

const FieldRef& tags_ref() {
  static const FieldRef ref = *FieldRef::parse("tags");
  return ref;
}

const FieldRef& type_ref() {
  static const FieldRef ref = *FieldRef::parse("type");
  return ref;
}

log::RateLimited& decoration_warnings() {
  static log::RateLimited limiter;
  return limiter;
}

// A hash option as (key, value) string pairs. A value that is an array contributes one pair per
// element: applying `f => ["a", "b"]` is the same as applying `f => "a"` then `f => "b"`, which is
// what Logstash's add_fields loop does. Logstash's flat-array form `["k", "v", ...]` is accepted
// here too (the validator normally turns it into a hash).
std::vector<std::pair<std::string, std::string>> hash_pairs(const ConfigValue* v) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!v) return out;
  auto add = [&out](const ConfigValue& key, const ConfigValue& value) {
    if (value.kind == ConfigValue::Kind::Array) {
      for (const ConfigValue& item : value.array) out.emplace_back(key.to_plain_string(), item.to_plain_string());
    } else {
      out.emplace_back(key.to_plain_string(), value.to_plain_string());
    }
  };
  if (v->kind == ConfigValue::Kind::Hash) {
    for (const auto& [k, val] : v->hash) add(k, val);
  } else if (v->kind == ConfigValue::Kind::Array) {
    for (std::size_t i = 0; i + 1 < v->array.size(); i += 2) add(v->array[i], v->array[i + 1]);
  }
  return out;
}

std::vector<std::string> string_list(const ConfigValue* v) {
  std::vector<std::string> out;
  if (!v) return out;
  if (v->kind == ConfigValue::Kind::Array) {
    for (const ConfigValue& item : v->array) out.push_back(item.to_plain_string());
  } else if (v->kind != ConfigValue::Kind::Null) {
    out.push_back(v->to_plain_string());
  }
  return out;
}

// A constant field name is parsed once; an invalid one is a configuration error (Logstash only
// finds it per event, and then tags or drops: rejecting it before the first event is stricter).
std::optional<FieldRef> constant_ref(const Template& t, const char* option) {
  if (!t.is_constant()) return std::nullopt;
  std::string error;
  auto ref = FieldRef::parse(t.text(), &error);
  if (!ref) throw PluginConfigError(option, "Invalid field reference '" + t.text() + "' in " + option + ": " + error);
  return ref;
}

// The field reference for a templated name, rendered for this event.
std::optional<FieldRef> resolve(const Template& t, const std::optional<FieldRef>& cached, const Event& e,
                                const char* option) {
  if (cached) return cached;
  std::string text = t.render(e);
  std::string error;
  auto ref = FieldRef::parse(text, &error);
  if (!ref) {
    decoration_warnings().warn("logstash.filters.base",
                               std::string("Invalid field reference in ") + option + ": '" + text + "': " + error);
  }
  return ref;
}

// Logstash's Decorators.add_fields for one (key, value): an existing field becomes
// `Array(old) << value` (null -> [], a map -> its [key, value] pairs, an array is appended to).
void add_one_field(Event& e, const FieldRef& ref, std::string_view value) {
  Allocator& a = e.allocator();
  Value* existing = ref.root() == FieldRef::Root::Timestamp ? nullptr : e.get_mut(ref);
  if (!existing) {
    SetResult r = e.set_string(ref, value);
    if (r != SetResult::Ok) {
      decoration_warnings().warn("logstash.filters.base", std::string("Could not add field '") + ref.text() +
                                                              "': " + to_string(r));
    }
    return;
  }
  if (existing->IsArray()) {
    existing->PushBack(make_string(value, a), a);
    return;
  }
  Value list(rapidjson::kArrayType);
  if (existing->IsObject()) {
    // Ruby's Array(hash) is the list of [key, value] pairs.
    list.Reserve(existing->MemberCount() + 1, a);
    for (auto& m : existing->GetObject()) {
      Value pair(rapidjson::kArrayType);
      pair.Reserve(2, a);
      pair.PushBack(m.name, a);  // moves
      pair.PushBack(m.value, a);
      list.PushBack(pair, a);
    }
  } else if (!existing->IsNull()) {
    list.Reserve(2, a);
    list.PushBack(*existing, a);  // moves
  }
  list.PushBack(make_string(value, a), a);
  *existing = std::move(list);
}

void add_fields(Event& e, const std::vector<std::pair<Template, Template>>& fields,
                const std::vector<std::optional<FieldRef>>& refs, std::string& scratch) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& [key, value] = fields[i];
    auto ref = resolve(key, i < refs.size() ? refs[i] : std::nullopt, e, "add_field");
    if (!ref) continue;
    scratch.clear();
    value.render(e, scratch);
    add_one_field(e, *ref, scratch);
  }
}

void add_tags(Event& e, const std::vector<Template>& tags, std::string& scratch) {
  for (const Template& t : tags) {
    scratch.clear();
    t.render(e, scratch);
    e.append_tag(scratch);
  }
}

std::vector<std::pair<Template, Template>> templates_of(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<std::pair<Template, Template>> out;
  out.reserve(pairs.size());
  for (const auto& [k, v] : pairs) out.emplace_back(Template(k), Template(v));
  return out;
}

}  // namespace

FilterDecorations FilterDecorations::from_config(const PluginConfig& cfg) {
  FilterDecorations d;
  d.add_field = templates_of(hash_pairs(cfg.get("add_field")));
  for (const auto& [key, value] : d.add_field) d.add_field_refs.push_back(constant_ref(key, "add_field"));
  for (const std::string& f : string_list(cfg.get("remove_field"))) {
    d.remove_field.emplace_back(f);
    d.remove_field_refs.push_back(constant_ref(d.remove_field.back(), "remove_field"));
  }
  for (const std::string& t : string_list(cfg.get("add_tag"))) d.add_tag.emplace_back(t);
  for (const std::string& t : string_list(cfg.get("remove_tag"))) d.remove_tag.emplace_back(t);
  return d;
}

void FilterDecorations::apply(Event& e) const {
  std::string scratch;
  // 1. add_field
  add_fields(e, add_field, add_field_refs, scratch);

  // 2. remove_field
  for (std::size_t i = 0; i < remove_field.size(); ++i) {
    auto ref = resolve(remove_field[i], i < remove_field_refs.size() ? remove_field_refs[i] : std::nullopt, e,
                       "remove_field");
    if (ref) (void)e.remove(*ref);
  }

  // 3. add_tag (appended, duplicates kept)
  add_tags(e, add_tag, scratch);

  // 4. remove_tag: nothing when there are no tags; otherwise every occurrence of each rendered
  // tag is deleted and the (possibly empty) list written back.
  if (remove_tag.empty()) return;
  Value* tags = e.get_mut(tags_ref());
  if (!tags || tags->IsNull()) return;
  Allocator& a = e.allocator();
  if (!tags->IsArray()) {
    Value list(rapidjson::kArrayType);
    list.PushBack(*tags, a);  // moves
    *tags = std::move(list);
  }
  for (const Template& t : remove_tag) {
    if (tags->Empty()) break;
    scratch.clear();
    t.render(e, scratch);
    for (auto it = tags->Begin(); it != tags->End();) {
      if (it->IsString() && as_view(*it) == scratch) {
        it = tags->Erase(it);
      } else {
        ++it;
      }
    }
  }
}

InputDecorations InputDecorations::from_config(const PluginConfig& cfg) {
  InputDecorations d;
  if (const ConfigValue* t = cfg.get("type"); t && t->kind != ConfigValue::Kind::Null) d.type = t->to_plain_string();
  d.add_field = templates_of(hash_pairs(cfg.get("add_field")));
  for (const auto& [key, value] : d.add_field) d.add_field_refs.push_back(constant_ref(key, "add_field"));
  d.tags = string_list(cfg.get("tags"));
  for (const std::string& t : d.tags) d.tag_templates.emplace_back(t);
  return d;
}

void InputDecorations::apply(Event& e) const {
  // type only when the event has none (Logstash keeps a type set by the codec or the sender).
  if (!type.empty() && !e.includes(type_ref())) (void)e.set_string(type_ref(), type);
  if (add_field.empty() && tags.empty()) return;
  std::string scratch;
  add_fields(e, add_field, add_field_refs, scratch);
  if (tag_templates.size() == tags.size()) {
    add_tags(e, tag_templates, scratch);
  } else {
    for (const std::string& t : tags) e.append_tag(t);  // built by hand without templates
  }
}

}  // namespace sluice
