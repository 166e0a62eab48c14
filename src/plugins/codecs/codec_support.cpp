// Shared codec pieces; see codec_support.hpp.
#include "plugins/codecs/codec_support.hpp"

#include "event/json_internal.hpp"  // append_java_to_string
#include "event/ruby_format.hpp"
#include "event/utf8.hpp"
#include "sluice/log.hpp"

#include <vector>

namespace sluice::codecs {

// ---- ECS ---------------------------------------------------------------------------------------
OptionSpec ecs_option() {
  return opt_one_of("ecs_compatibility", {"disabled", "v1", "v8"})
      .def_str("disabled")
      .describe(
          "Elastic Common Schema field layout: `disabled` (Logstash 7 field names), `v1` or `v8` (ECS names; "
          "the same for this plugin).");
}

Ecs ecs_mode(const PluginConfig& cfg) {
  return cfg.string_or("ecs_compatibility", "disabled") == "disabled" ? Ecs::Disabled : Ecs::V1;
}

// ---- charset -----------------------------------------------------------------------------------
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

log::RateLimited g_charset_warn;

}  // namespace

OptionSpec charset_option(std::string description) {
  return opt("charset", OptionType::String).def_str("UTF-8").describe(std::move(description));
}

Charset Charset::from_config(const PluginConfig& cfg, std::string_view option) {
  const std::string name = upper(cfg.string_or(option, "UTF-8"));
  if (name == "UTF-8" || name == "UTF8" || name == "CP65001" || name == "US-ASCII" || name == "ASCII") {
    // US-ASCII input that is valid ASCII is valid UTF-8; anything else goes through the UTF-8 path.
    return Charset(Kind::Utf8);
  }
  if (name == "ISO-8859-1" || name == "ISO8859-1" || name == "LATIN1" || name == "ISO-8859-1:1987") {
    return Charset(Kind::Latin1);
  }
  throw PluginConfigError(std::string(option), "Charset '" + cfg.string_or(option, "") +
                                                   "' is not supported by Sluice (supported: UTF-8, "
                                                   "US-ASCII, ISO-8859-1)");
}

void Charset::convert(std::string_view in, std::string& out) const {
  if (kind_ == Kind::Latin1) {
    out.reserve(out.size() + in.size());
    for (char ch : in) {
      utf8::append(static_cast<unsigned char>(ch), out);  // Latin-1 bytes are code points U+0000-U+00FF
    }
    return;
  }
  if (utf8::valid(in)) {
    out.append(in);
    return;
  }
  // Logstash: `data.inspect[1..-2]` with a warning.
  std::string inspected;
  ruby::append_inspect(in, inspected);
  g_charset_warn.warn("logstash.codecs.base",
                      "Received an event that has a different character encoding than you configured. "
                      "{:text=>" + inspected + ", :expected_charset=>\"UTF-8\"}");
  out.append(inspected, 1, inspected.size() - 2);
}

std::string_view Charset::to_utf8(std::string_view in, std::string& scratch) const {
  if (kind_ == Kind::Utf8 && utf8::valid(in)) return in;
  scratch.clear();
  convert(in, scratch);
  return scratch;
}

// ---- Event#to_s --------------------------------------------------------------------------------
namespace {
const FieldRef& ref_host() {
  static const FieldRef r = *FieldRef::parse("host");
  return r;
}
const FieldRef& ref_message() {
  static const FieldRef r = *FieldRef::parse("message");
  return r;
}
const FieldRef& ref_original() {
  static const FieldRef r = *FieldRef::parse("[event][original]");
  return r;
}
}  // namespace

void append_event_to_s(const Event& e, std::string& out) {
  if (auto ts = e.timestamp()) {
    ts->append_to(out);
    out.push_back(' ');
  }
  const Value* host = e.get(ref_host());
  if (host && !host->IsNull()) {
    append_java_to_string(*host, out);
  } else {
    out += "%{host}";
  }
  out.push_back(' ');
  const Value* msg = e.get(ref_message());
  if (msg && !msg->IsNull()) {
    append_java_to_string(*msg, out);
  } else {
    out += "%{message}";
  }
}

// ---- text events -------------------------------------------------------------------------------
std::unique_ptr<Event> text_event(std::string_view text, Ecs ecs) {
  auto ev = std::make_unique<Event>();
  (void)ev->set_string(ref_message(), text);
  if (ecs == Ecs::V1) (void)ev->set_string(ref_original(), text);
  return ev;
}

void append_formatted(const Event& e, const std::optional<Template>& format, std::string& out) {
  if (format) {
    format->render(e, out);
  } else {
    append_event_to_s(e, out);
  }
}

// ---- JSON to events ----------------------------------------------------------------------------
namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The codecs' historical text for a parse error of the array and `target` cases; nesting beyond
// kMaxJsonDepth says so ("JSON nested deeper than 1000 levels at offset N").
std::string parse_error_text(const JsonError& e) {
  if (e.too_deep()) return e.message();
  return e.reason() + " (at byte " + std::to_string(e.offset) + ")";
}

// An event holding `v` (allocated in another pool) as its root, or at `target`. copy_value walks
// without recursion.
std::unique_ptr<Event> event_from_value(const Value& v, const std::optional<FieldRef>& target, std::string* error) {
  auto ev = std::make_unique<Event>();
  Value copy = copy_value(v, ev->allocator());
  if (target) {
    if (ev->set(*target, std::move(copy)) != SetResult::Ok) {
      *error = "could not set the target field " + target->text();
      return nullptr;
    }
  } else {
    if (!copy.IsObject()) {
      *error = "JSON array elements must be objects";
      return nullptr;
    }
    ev->absorb_object(std::move(copy));
  }
  return ev;
}

}  // namespace

bool json_to_events(std::string_view json, const std::optional<FieldRef>& target, const Codec::Sink& sink,
                    size_t* emitted, std::string* error) {
  *emitted = 0;
  size_t i = 0;
  while (i < json.size() && is_json_space(json[i])) ++i;
  if (i == json.size()) return true;  // blank: no event, as Event.from_json("")
  const char first = json[i];
  if (first == '{' && !target) {
    // The common case: parsed straight into the event's pool.
    std::unique_ptr<Event> ev = Event::from_json(json, error);
    if (!ev) return false;
    sink(std::move(ev));
    *emitted = 1;
    return true;
  }
  if (first != '{' && first != '[') {
    *error = "JSON must contain an object or an array";
    return false;
  }
  // These two cases read the first document and ignore what follows it (as they always have).
  JsonError parse_error;
  if (first == '{') {
    auto ev = std::make_unique<Event>();
    Value v;
    if (!parse_json(json, ev->allocator(), &v, JsonSyntax::DocumentPrefix, &parse_error)) {
      *error = parse_error_text(parse_error);
      return false;
    }
    if (ev->set(*target, std::move(v)) != SetResult::Ok) {
      *error = "could not set the target field " + target->text();
      return false;
    }
    sink(std::move(ev));
    *emitted = 1;
    return true;
  }
  // An array: every element becomes an event; one bad element fails the whole document (Logstash
  // builds all events before yielding any). The array is parsed into a scratch pool; the elements
  // are checked first (without a target only objects qualify; with one, each trial event is
  // dropped at once), then each event is built in its own pool and handed over before the next,
  // so that a huge array never holds more than one event here.
  Allocator scratch(kEventPoolChunk);
  Value doc;
  if (!parse_json(json, scratch, &doc, JsonSyntax::DocumentPrefix, &parse_error)) {
    *error = parse_error_text(parse_error);
    return false;
  }
  for (const Value& element : doc.GetArray()) {
    if (target ? event_from_value(element, target, error) == nullptr : !element.IsObject()) {
      if (!target) *error = "JSON array elements must be objects";
      return false;
    }
  }
  for (const Value& element : doc.GetArray()) {
    sink(event_from_value(element, target, error));
    ++*emitted;
  }
  return true;
}

std::unique_ptr<Event> parse_failure_event(std::string_view text, std::string_view tag) {
  auto ev = std::make_unique<Event>();
  (void)ev->set_string(ref_message(), text);
  ev->tag(tag);
  return ev;
}

std::unique_ptr<Event> json_failure_event(std::string_view text) {
  if (text.size() <= kMaxFailureMessageBytes) return parse_failure_event(text);
  // Keep whole UTF-8 characters: step back over continuation bytes (at most three).
  size_t cut = kMaxFailureMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80 && kMaxFailureMessageBytes - cut < 3) --cut;
  auto ev = parse_failure_event(text.substr(0, cut));
  static const FieldRef size_ref = *FieldRef::parse(kOriginalBytesField);
  (void)ev->set(size_ref, Value(static_cast<uint64_t>(text.size())));
  return ev;
}

// ---- streaming codecs --------------------------------------------------------------------------
std::unique_ptr<Codec> fix_streaming_codec(std::unique_ptr<Codec> c, std::string_view input_name,
                                           std::string_view pipeline_id, std::string_view plugin_id) {
  auto* s = dynamic_cast<StreamingReplaceable*>(c.get());
  if (!s) return c;
  std::string msg = "Automatically switching from ";
  msg += s->streaming_from();
  msg += " to ";
  msg += s->streaming_to();
  msg += " codec {:plugin=>\"";
  msg += input_name;
  msg += "\"}";
  log::write(log::Level::Info, std::string("logstash.inputs.") + std::string(input_name), msg, pipeline_id,
             plugin_id);
  std::unique_ptr<Codec> replacement = s->streaming_replacement();
  replacement->set_id(c->id());
  return replacement;
}

std::unique_ptr<Codec> streaming_codec(std::unique_ptr<Codec> c) {
  auto* s = dynamic_cast<StreamingReplaceable*>(c.get());
  if (!s) return c;
  std::unique_ptr<Codec> replacement = s->streaming_replacement();
  replacement->set_id(c->id());
  return replacement;
}

// ---- unsupported options -----------------------------------------------------------------------
void reject_non_default(const PluginConfig& cfg, const PluginSchema& schema, std::string_view option,
                        std::string_view why) {
  const ConfigValue* v = cfg.get(option);
  if (!v) return;
  const OptionSpec* spec = schema.find(option);
  if (spec && spec->default_value && spec->default_value->to_display() == v->to_display()) return;
  if (spec && spec->default_value && spec->default_value->kind == ConfigValue::Kind::Array &&
      spec->default_value->array.empty() && v->kind == ConfigValue::Kind::Array && v->array.empty()) {
    return;
  }
  std::string msg = "Option '" + std::string(option) + "' of the " + schema.name + " " + to_string(schema.kind) +
                    " plugin is not supported by Sluice";
  if (!why.empty()) {
    msg += ": ";
    msg += why;
  }
  throw PluginConfigError(std::string(option), msg);
}

}  // namespace sluice::codecs
