#include "plugins/inputs/beats/transform.hpp"

#include "event/json_internal.hpp"
#include "plugins/inputs/beats/decoder.hpp"

namespace sluice::beats {
namespace {

constexpr std::string_view kLogger = "logstash.inputs.beats";

Value::MemberIterator member(Value& obj, std::string_view key) {
  return obj.FindMember(Value(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
}

void set_member(Value& obj, std::string_view key, Value&& v, Allocator& a) {
  auto it = member(obj, key);
  if (it != obj.MemberEnd()) {
    it->value = std::move(v);
  } else {
    Value k = make_string(key, a);
    obj.AddMember(k, v, a);
  }
}

// Ruby's `to_s` of the extracted message: strings verbatim, anything else in Logstash's string form.
std::string message_text(const Value& v) {
  if (v.IsString()) return std::string(as_view(v));
  return to_logstash_string(v);
}

}  // namespace

EventBuilder::EventBuilder(const TransformSettings& settings, std::unique_ptr<Codec> codec, std::string peer_ip)
    : s_(settings), codec_(std::move(codec)), ip_(std::move(peer_ip)) {
  codec_tag_ = "beats_input_codec_" + s_.codec_name + "_applied";
  beat_hostname_ = *FieldRef::parse("[beat][hostname]");
  host_field_ = *FieldRef::parse(s_.ecs ? "[host][name]" : "host");
  ecs_ip_ = *FieldRef::parse("[@metadata][input][beats][host][ip]");
}

bool EventBuilder::build_json(std::string_view json, InputContext& ctx, std::vector<std::unique_ptr<Event>>& out,
                              std::string* error) {
  // The event's own pool holds the parsed tree, which becomes the event (no second copy).
  // The shared event JSON reader: iterative, at most kMaxJsonDepth levels, so the copies of parsed
  // values below (RapidJSON's recursive Value(v, a)) recurse at most that deep. [beat][hostname]
  // is copied with copy_value: a key such as "[beat][hostname][a][a]..." can make it any depth.
  auto ev = std::make_unique<Event>(Timestamp{0});
  Value root;
  JsonError parse_error;
  if (!parse_json(json, ev->allocator(), &root, JsonSyntax::Document, &parse_error)) {
    if (error) {
      *error = parse_error.too_deep()
                   ? parse_error.message() + "; the client resends this window until the event changes: drop it or "
                                             "flatten it at the source"
                   : "JSON parse error at offset " + std::to_string(parse_error.offset) + ": " + parse_error.reason();
    }
    return false;
  }
  if (!root.IsObject()) {
    if (error) *error = "the JSON payload is not an object";
    return false;
  }
  build_from_root(std::move(ev), std::move(root), ctx, out);
  return true;
}

bool EventBuilder::build_pairs(std::string_view payload, uint32_t pairs, InputContext& ctx,
                               std::vector<std::unique_ptr<Event>>& out, std::string* error) {
  auto ev = std::make_unique<Event>(Timestamp{0});
  Allocator& a = ev->allocator();
  Value root(rapidjson::kObjectType);
  for_each_pair(payload, pairs, [&](std::string_view k, std::string_view v) {
    set_member(root, k, make_string(v, a), a);  // a repeated key: the last wins (Java's HashMap)
  });
  build_from_root(std::move(ev), std::move(root), ctx, out);
  return true;
}

void EventBuilder::build_from_root(std::unique_ptr<Event> ev, Value&& root, InputContext& ctx,
                                   std::vector<std::unique_ptr<Event>>& out) {
  Allocator& a = ev->allocator();
  // 1. The 7.x input adds the peer address to the beat's @metadata hash (only if there is one).
  if (!s_.ecs && s_.source_metadata && !ip_.empty()) {
    auto meta = member(root, "@metadata");
    if (meta != root.MemberEnd() && meta->value.IsObject()) set_member(meta->value, "ip_address", make_string(ip_, a), a);
  }

  // 2. The line to decode: `message`, else `line`, when not null.
  auto line = member(root, "message");
  if (line == root.MemberEnd() || line->value.IsNull()) {
    line = member(root, "line");
    if (line != root.MemberEnd() && line->value.IsNull()) line = root.MemberEnd();
  }

  if (line == root.MemberEnd()) {
    // 3. Raw event: the hash is the event.
    ev->absorb_object(std::move(root));
    finish(*ev, ctx, "beats_input_raw_event");
    out.push_back(std::move(ev));
    return;
  }

  // The beat's @timestamp is coerced; an unparseable one is logged and replaced by the current time
  // (no _timestampparsefailure tag on this path, as in Logstash).
  bool bad_ts = false;
  if (auto ts = member(root, "@timestamp"); ts != root.MemberEnd()) {
    if (ts->value.IsNull()) {
      root.EraseMember(ts);
    } else if (!ts->value.IsString() || !Timestamp::parse_iso8601(as_view(ts->value))) {
      bad_ts = true;
      std::string shown = ts->value.IsString() ? "\"" + std::string(as_view(ts->value)) + "\"" : to_logstash_string(ts->value);
      ts_warning_.warn(kLogger, "Unrecognized @timestamp value, setting current time to @timestamp {:value=>" + shown + "}",
                       s_.plugin_id);
      root.EraseMember(ts);
    }
  }

  if (s_.plain_fast_path) {
    // The plain codec's event is {message: text} (+ [event][original] in ECS mode); merging the rest
    // of the hash into it gives the hash with `message` as a string and `line` renamed to `message`.
    Value text;
    if (line->value.IsString()) {
      text = std::move(line->value);
    } else {
      text = make_string(message_text(line->value), a);
    }
    const bool was_line = std::string_view(line->name.GetString(), line->name.GetStringLength()) == "line";
    if (was_line) {
      root.EraseMember(line);
      set_member(root, "message", std::move(text), a);
    } else {
      line->value = std::move(text);
    }
    if (s_.event_original) {
      auto msg = member(root, "message");
      Value copy(msg->value, a);
      auto evt = member(root, "event");
      if (evt == root.MemberEnd()) {
        Value obj(rapidjson::kObjectType);
        obj.AddMember(Value("original", a), copy, a);
        root.AddMember(Value("event", a), obj, a);
      } else if (evt->value.IsObject() && member(evt->value, "original") == evt->value.MemberEnd()) {
        evt->value.AddMember(Value("original", a), copy, a);
      }  // a non-hash `event` replaces the codec's hash; an explicit original wins in the merge
    }
    ev->absorb_object(std::move(root));
    if (bad_ts) ev->set_timestamp(Timestamp::now());
    finish(*ev, ctx, s_.codec_tag ? std::string_view(codec_tag_) : std::string_view());
    out.push_back(std::move(ev));
    return;
  }

  // Any other codec: decode the text, then merge the hash into each event it produces.
  const std::string text = message_text(line->value);
  root.EraseMember(line);
  std::optional<Timestamp> ts;
  if (auto t = member(root, "@timestamp"); t != root.MemberEnd()) {
    ts = Timestamp::parse_iso8601(as_view(t->value));
    root.EraseMember(t);
  }
  codec_->decode(text, [&](std::unique_ptr<Event> ce) {
    Allocator& ca = ce->allocator();
    if (ts) ce->set_timestamp(*ts);
    for (auto& m : root.GetObject()) {
      const std::string_view key(m.name.GetString(), m.name.GetStringLength());
      if (key == "@metadata") {
        if (!m.value.IsObject()) continue;
        for (auto& mm : m.value.GetObject()) {
          set_member(ce->metadata(), std::string_view(mm.name.GetString(), mm.name.GetStringLength()), Value(mm.value, ca), ca);
        }
        continue;
      }
      auto ref = FieldRef::parse(key);
      Value* existing = ref ? ce->get_mut(*ref) : nullptr;
      if (existing && existing->IsObject() && m.value.IsObject()) {
        for (auto& mm : m.value.GetObject()) {
          set_member(*existing, std::string_view(mm.name.GetString(), mm.name.GetStringLength()), Value(mm.value, ca), ca);
        }
      } else if (ref) {
        (void)ce->set(*ref, Value(m.value, ca));
      } else {
        set_member(ce->data(), key, Value(m.value, ca), ca);
      }
    }
    finish(*ce, ctx, s_.codec_tag ? std::string_view(codec_tag_) : std::string_view());
    out.push_back(std::move(ce));
  });
}

void EventBuilder::finish(Event& e, InputContext& ctx, std::string_view tag) {
  if (s_.ecs && s_.source_metadata && !ip_.empty()) (void)e.set_string(ecs_ip_, ip_);
  if (s_.add_hostname) {
    if (const Value* h = e.get(beat_hostname_); h && !h->IsNull() && !e.includes(host_field_)) {
      (void)e.set(host_field_, copy_value(*h, e.allocator()));
    }
  }
  ctx.decorate(e);
  if (!tag.empty()) e.tag(tag);
}

void EventBuilder::flush(InputContext& ctx, std::vector<std::unique_ptr<Event>>& out) {
  if (!codec_ || s_.plain_fast_path) return;
  codec_->flush([&](std::unique_ptr<Event> e) {
    if (s_.add_hostname) {
      if (const Value* h = e->get(beat_hostname_); h && !h->IsNull() && !e->includes(host_field_)) {
        (void)e->set(host_field_, copy_value(*h, e->allocator()));
      }
    }
    ctx.decorate(*e);
    out.push_back(std::move(e));
  });
}

}  // namespace sluice::beats
