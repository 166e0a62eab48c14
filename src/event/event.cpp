// The event: field access (Logstash's Accessors), @timestamp/tags rules (Logstash's Event).
#include "sluice/event.hpp"

#include <charconv>
#include <cstring>

namespace sluice {

namespace {

constexpr std::string_view kTimestamp = "@timestamp";
constexpr std::string_view kVersion = "@version";
constexpr std::string_view kMetadataKey = "@metadata";
constexpr std::string_view kTags = "tags";
constexpr std::string_view kTimestampFailureTag = "_timestampparsefailure";
constexpr std::string_view kTimestampFailureField = "_@timestamp";
constexpr std::string_view kTagsFailureTag = "_tagsparsefailure";
constexpr std::string_view kTagsFailureField = "_tags";

rapidjson::CrtAllocator& shared_base_allocator() {
  // RapidJSON 1.1.0's MemoryPoolAllocator heap-allocates its own CrtAllocator unless given one;
  // CrtAllocator is stateless, so every event shares this instance.
  static rapidjson::CrtAllocator a;
  return a;
}

// Names of built-in members are string literals: RapidJSON keeps them as references (no copy).
Value literal(std::string_view s) {
  return Value(rapidjson::StringRef(s.data(), static_cast<rapidjson::SizeType>(s.size())));
}

Value::MemberIterator find_member(Value& obj, std::string_view key) {
  auto it = obj.MemberBegin();
  const auto end = obj.MemberEnd();
  for (; it != end; ++it) {
    if (it->name.GetStringLength() == key.size() && std::memcmp(it->name.GetString(), key.data(), key.size()) == 0)
      break;
  }
  return it;
}

Value::ConstMemberIterator find_member(const Value& obj, std::string_view key) {
  return find_member(const_cast<Value&>(obj), key);
}

// Sets member `key` of `obj` to `v` (moved): replaced in place if present, else appended. `key` is a
// string literal (see literal()).
void set_member(Value& obj, std::string_view key, Value& v, Allocator& a) {
  auto it = find_member(obj, key);
  if (it != obj.MemberEnd()) {
    it->value = std::move(v);
  } else {
    Value k = literal(key);
    obj.AddMember(k, v, a);
  }
}

// Java's Integer.parseInt: optional sign, decimal digits, int range.
bool parse_index(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
    if (s.size() == 1) return false;
  }
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
    if (v > 2147483648LL) return false;
  }
  if (neg) v = -v;
  if (v > 2147483647LL) return false;
  *out = v;
  return true;
}

// Resolves a list index against `size`: negative counts from the end. -1 when out of range.
int64_t list_index(std::string_view key, rapidjson::SizeType size) {
  int64_t i;
  if (!parse_index(key, &i)) return -1;
  if (i < 0) i += size;
  if (i < 0 || i >= static_cast<int64_t>(size)) return -1;
  return i;
}

const Value* child_of(const Value& v, std::string_view key) {
  if (v.IsObject()) {
    auto it = find_member(v, key);
    return it == v.MemberEnd() ? nullptr : &it->value;
  }
  if (v.IsArray()) {
    // A null list element reads as missing: Logstash's Accessors.includes is false for it (a map
    // key holding null is included), and get returns nil for both.
    int64_t i = list_index(key, v.Size());
    if (i < 0) return nullptr;
    const Value& e = v[static_cast<rapidjson::SizeType>(i)];
    return e.IsNull() ? nullptr : &e;
  }
  return nullptr;
}

bool is_valid_tags(const Value& v) {
  if (v.IsString()) return true;
  if (!v.IsArray()) return false;
  for (const auto& e : v.GetArray()) {
    if (!e.IsString()) return false;
  }
  return true;
}

bool equals(const Value& v, std::string_view s) {
  return v.IsString() && v.GetStringLength() == s.size() && std::memcmp(v.GetString(), s.data(), s.size()) == 0;
}

}  // namespace

const char* to_string(SetResult r) {
  switch (r) {
    case SetResult::Ok:
      return "ok";
    case SetResult::NotAContainer:
      return "a path element is below a value that is not an object or array";
    case SetResult::BadTags:
      return "The tags field only accepts string or array of string";
    case SetResult::BadTimestamp:
      return "@timestamp only accepts an ISO-8601 timestamp string";
  }
  return "unknown";
}

Event::Event(NoInit) : alloc_(kEventPoolChunk, &shared_base_allocator()), data_(rapidjson::kObjectType),
                       metadata_(rapidjson::kObjectType) {}

Event::Event() : Event(Timestamp::now()) {}

Event::Event(Timestamp ts) : Event(NoInit{}) {
  ts_ = ts;
  std::string s;
  s.reserve(32);
  ts.append_to(s);
  Value tv(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc_);
  Value tk = literal(kTimestamp), vk = literal(kVersion), vv = literal("1");
  data_.AddMember(tk, tv, alloc_);
  data_.AddMember(vk, vv, alloc_);
}

Event::~Event() = default;

void Event::absorb_object(Value&& object) {
  data_ = std::move(object);
  if (!data_.IsObject()) data_.SetObject();

  auto meta = find_member(data_, kMetadataKey);
  if (meta != data_.MemberEnd()) {
    // Logstash: a map under `@metadata` becomes the metadata; anything else is dropped.
    if (meta->value.IsObject()) metadata_ = std::move(meta->value);
    data_.EraseMember(meta);
  }

  // tags first, so that the timestamp failure tag lands in a valid list.
  auto tags = find_member(data_, kTags);
  if (tags != data_.MemberEnd() && !tags->value.IsNull() && !is_valid_tags(tags->value)) {
    Value wrapped(rapidjson::kArrayType);
    wrapped.PushBack(tags->value, alloc_);  // moves the illegal value
    Value fresh(rapidjson::kArrayType);
    fresh.PushBack(make_string(kTagsFailureTag, alloc_), alloc_);
    tags->value = std::move(fresh);
    set_member(data_, kTagsFailureField, wrapped, alloc_);
  }

  auto ts = find_member(data_, kTimestamp);
  if (ts == data_.MemberEnd()) {
    set_timestamp(Timestamp::now());
  } else if (ts->value.IsNull()) {
    // Logstash treats a null @timestamp as absent: now, no failure tag.
    set_timestamp(Timestamp::now());
  } else {
    std::optional<Timestamp> parsed;
    if (ts->value.IsString()) parsed = Timestamp::parse_iso8601(as_view(ts->value));
    if (parsed) {
      set_timestamp(*parsed);
    } else {
      // Unparseable string or a non-string value: now, tag, original kept in `_@timestamp`.
      Value original(std::move(ts->value));
      set_timestamp(Timestamp::now());
      tag(kTimestampFailureTag);
      set_member(data_, kTimestampFailureField, original, alloc_);
    }
  }

  if (find_member(data_, kVersion) == data_.MemberEnd()) {
    Value k = literal(kVersion), v = literal("1");
    data_.AddMember(k, v, alloc_);
  }
}

// Field-reference walks (get, set, remove) loop over the reference's path: a path rendered from
// event data may be long, and each step is one iteration, never a recursive call. absorb_object
// looks at the top level only.
const Value* Event::get(const FieldRef& ref) const {
  const Value* cur = ref.root() == FieldRef::Root::Metadata ? &metadata_ : &data_;
  for (const std::string& key : ref.path()) {
    cur = child_of(*cur, key);
    if (!cur) return nullptr;
  }
  return cur;
}

Value* Event::get_mut(const FieldRef& ref) { return const_cast<Value*>(static_cast<const Event*>(this)->get(ref)); }

SetResult Event::set(const FieldRef& ref, Value&& v) {
  const auto& path = ref.path();
  if (ref.root() == FieldRef::Root::Metadata && path.empty()) {
    // Logstash replaces the whole metadata map; it must be a map.
    if (!v.IsObject()) return SetResult::NotAContainer;
    metadata_ = std::move(v);
    return SetResult::Ok;
  }
  if (path.empty()) {
    if (!v.IsObject()) return SetResult::NotAContainer;
    absorb_object(std::move(v));
    return SetResult::Ok;
  }
  const bool data_root = ref.root() == FieldRef::Root::Data;
  if (data_root && path[0] == kTags) {
    // Logstash's Event#setField: `tags` must be null, a string or a list of strings, and any
    // reference below it (`[tags][0]`, `[tags][x]`) is refused whatever the value.
    if (path.size() > 1 || !(v.IsNull() || is_valid_tags(v))) return SetResult::BadTags;
  }
  std::optional<Timestamp> new_ts;
  if (data_root && path.size() == 1 && path[0] == kTimestamp) {
    // Decision: Logstash only takes a Timestamp object here (a Ruby TypeError otherwise). Our values
    // have no timestamp type, so an ISO-8601 string stands for it; it is stored in Logstash's
    // printed form. Numbers (epoch values) are rejected: the date filter is the way to convert them.
    if (!v.IsString()) return SetResult::BadTimestamp;
    new_ts = Timestamp::parse_iso8601(as_view(v));
    if (!new_ts) return SetResult::BadTimestamp;
    set_timestamp(*new_ts);
    return SetResult::Ok;
  }

  Value* cur = data_root ? &data_ : &metadata_;
  const size_t n = path.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string& key = path[i];
    const bool last = i + 1 == n;
    Value* next = nullptr;
    if (cur->IsObject()) {
      auto it = find_member(*cur, key);
      if (it == cur->MemberEnd()) {
        Value k = make_string(key, alloc_);
        Value child;
        if (!last) child.SetObject();
        cur->AddMember(k, child, alloc_);
        next = &(cur->MemberEnd() - 1)->value;
      } else {
        next = &it->value;
      }
    } else if (cur->IsArray()) {
      int64_t idx;
      // Logstash's Accessors.setOnList ignores a key that is not a number: nothing is set, no error.
      if (!parse_index(key, &idx)) return SetResult::Ok;
      const int64_t size = cur->Size();
      if (idx < 0) idx += size;
      if (idx < 0) return SetResult::NotAContainer;
      // Logstash pads a list with nulls up to the index being set.
      while (static_cast<int64_t>(cur->Size()) <= idx) cur->PushBack(Value(), alloc_);
      next = &(*cur)[static_cast<rapidjson::SizeType>(idx)];
    } else {
      return SetResult::NotAContainer;
    }
    if (last) {
      *next = std::move(v);
      return SetResult::Ok;
    }
    // A missing or null intermediate becomes a map (Logstash creates maps, never lists).
    if (next->IsNull()) next->SetObject();
    cur = next;
  }
  return SetResult::Ok;
}

SetResult Event::set_string(const FieldRef& ref, std::string_view s) { return set(ref, make_string(s, alloc_)); }

bool Event::remove(const FieldRef& ref, Value* out) {
  const auto& path = ref.path();
  if (ref.root() == FieldRef::Root::Metadata && path.empty()) {
    // Logstash: removing @metadata empties it (and the metadata always exists).
    if (out) *out = std::move(metadata_);
    metadata_.SetObject();
    return true;
  }
  if (path.empty()) return false;
  Value* parent = ref.root() == FieldRef::Root::Metadata ? &metadata_ : &data_;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    parent = const_cast<Value*>(child_of(*parent, path[i]));
    if (!parent) return false;
  }
  const std::string& key = path.back();
  if (parent->IsObject()) {
    auto it = find_member(*parent, key);
    if (it == parent->MemberEnd()) return false;
    if (out) *out = std::move(it->value);
    parent->EraseMember(it);  // keeps the order of the remaining members
    if (ref.root() == FieldRef::Root::Data && path.size() == 1 && key == kTimestamp) ts_.reset();
    return true;
  }
  if (parent->IsArray()) {
    int64_t i = list_index(key, parent->Size());
    if (i < 0) return false;
    if (out) *out = std::move((*parent)[static_cast<rapidjson::SizeType>(i)]);
    parent->Erase(parent->Begin() + i);
    return true;
  }
  return false;
}

namespace {

// `tags` as a list, creating it or wrapping a scalar (Logstash's Event#tag does the same).
Value& tags_list(Value& data, Allocator& a) {
  auto it = find_member(data, kTags);
  if (it == data.MemberEnd()) {
    Value k = literal(kTags), list(rapidjson::kArrayType);
    data.AddMember(k, list, a);
    return (data.MemberEnd() - 1)->value;
  }
  Value& tags = it->value;
  if (tags.IsArray()) return tags;
  Value list(rapidjson::kArrayType);
  if (!tags.IsNull()) list.PushBack(tags, a);  // moves the scalar in
  tags = std::move(list);
  return tags;
}

}  // namespace

void Event::tag(std::string_view t) {
  Value& list = tags_list(data_, alloc_);
  for (const auto& e : list.GetArray()) {
    if (equals(e, t)) return;
  }
  list.PushBack(make_string(t, alloc_), alloc_);
}

void Event::append_tag(std::string_view t) {
  Value& list = tags_list(data_, alloc_);
  list.PushBack(make_string(t, alloc_), alloc_);
}

bool Event::has_tag(std::string_view t) const {
  auto it = find_member(data_, kTags);
  if (it == data_.MemberEnd()) return false;
  if (it->value.IsString()) return equals(it->value, t);
  if (!it->value.IsArray()) return false;
  for (const auto& e : it->value.GetArray()) {
    if (equals(e, t)) return true;
  }
  return false;
}

void Event::set_timestamp(Timestamp t) {
  ts_ = t;
  std::string s;
  s.reserve(32);
  t.append_to(s);
  Value v = make_string(s, alloc_);
  set_member(data_, kTimestamp, v, alloc_);
}

std::unique_ptr<Event> Event::clone() const {
  std::unique_ptr<Event> e(new Event(NoInit{}));
  // copy_value walks without recursion: an event of any depth can be cloned.
  e->data_ = copy_value(data_, e->alloc_);
  e->metadata_ = copy_value(metadata_, e->alloc_);
  e->ts_ = ts_;
  return e;
}

}  // namespace sluice
