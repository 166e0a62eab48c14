// The json codec (logstash-codec-json 3.1.1). Decode: each chunk is one JSON document; an object
// gives one event, an array one event per element, blank text nothing; anything else (invalid JSON,
// nesting deeper than 1000 levels) gives an event with `message` = the text and tag
// `_jsonparsefailure` (never dropped). A text over 1 MiB is cut to its first 1 MiB (1,048,576
// bytes, less if that would split a UTF-8 character) in `message`, and the integer field
// `message_original_bytes` holds its full size in bytes (a Sluice addition). With ECS v1/v8 a
// single decoded event also gets `[event][original]`. Encode: the event's compact JSON, with no
// delimiter (consecutive events run together, as in Logstash; use json_lines for one per line).
// Stream inputs (stdin, tcp) switch it to json_lines, as Logstash does.
#include "plugins/codecs/codec_support.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <optional>

namespace sluice::codecs {
namespace {

class JsonCodec final : public Codec, public StreamingReplaceable {
 public:
  explicit JsonCodec(const PluginConfig& cfg) : charset_(Charset::from_config(cfg)), ecs_(ecs_mode(cfg)) {
    if (cfg.has("target")) {
      std::string err;
      target_ = FieldRef::parse(cfg.string("target"), &err);
      if (!target_) throw PluginConfigError("target", "Invalid field reference for 'target': " + err);
    }
    original_ = *FieldRef::parse("[event][original]");
  }

  void decode(std::string_view bytes, const Sink& sink) override {
    const std::string_view text = charset_.to_utf8(bytes, scratch_);
    size_t n = 0;
    std::string error;
    const bool want_original = ecs_ == Ecs::V1;
    // Hold the first event back so that a single event can get [event][original]; from the second
    // on, events go to the sink as they come (an array can make any number of them).
    std::unique_ptr<Event> first;
    size_t count = 0;
    bool ok = json_to_events(
        text, target_,
        [&](std::unique_ptr<Event> e) {
          if (++count == 1) {
            first = std::move(e);
            return;
          }
          if (first) sink(std::move(first));
          sink(std::move(e));
        },
        &n, &error);
    if (!ok) {
      warn_.warn("logstash.codecs.json",
                 "JSON parse error, original data now in message field {:message=>\"" + error + "\"}", id());
      sink(json_failure_event(text));
      return;
    }
    if (first) {
      if (count == 1 && want_original && !first->includes(original_)) (void)first->set_string(original_, text);
      sink(std::move(first));
    }
  }

  void encode(const Event& e, std::string& out) override { e.to_json(out); }

  std::unique_ptr<Codec> streaming_replacement() const override {
    return make_json_lines_codec("\n", charset_, kDefaultSizeLimit);
  }
  const char* streaming_from() const override { return "json"; }
  const char* streaming_to() const override { return "json_lines"; }

  static constexpr size_t kDefaultSizeLimit = 512u * 1024 * 1024;

 private:
  Charset charset_;
  Ecs ecs_;
  std::optional<FieldRef> target_;
  FieldRef original_;
  std::string scratch_;
  log::RateLimited warn_;
};

}  // namespace
}  // namespace sluice::codecs

namespace sluice::plugins {

void register_codec_json(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Codec;
  s.name = "json";
  s.description =
      "Reads each chunk as one JSON document (an array gives one event per element); writes each event as "
      "compact JSON with no delimiter.";
  s.options = {
      codecs::charset_option("Decode: the character encoding of the input, converted to UTF-8."),
      opt("target", OptionType::FieldReference)
          .describe("Decode: store the parsed JSON under this field instead of at the event's root."),
      codecs::ecs_option(),
  };
  r.add(std::move(s), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    return std::make_unique<codecs::JsonCodec>(cfg);
  });
}

}  // namespace sluice::plugins
