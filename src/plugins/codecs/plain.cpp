// The plain codec (logstash-codec-plain 3.1.0). Decode: the whole chunk becomes one event's
// `message` (ECS v1/v8: also `[event][original]`). Encode: `format` rendered with sprintf, or
// Event#to_s; no delimiter. Stream inputs (stdin, tcp) switch it to `line`, as Logstash does.
#include "plugins/codecs/codec_support.hpp"
#include "sluice/registry.hpp"
#include "sluice/sprintf.hpp"

#include <optional>

namespace sluice::codecs {
namespace {

class PlainCodec final : public Codec, public StreamingReplaceable {
 public:
  explicit PlainCodec(const PluginConfig& cfg)
      : charset_(Charset::from_config(cfg)), ecs_(ecs_mode(cfg)) {
    if (cfg.has("format")) format_.emplace(cfg.string("format"));
  }

  void decode(std::string_view bytes, const Sink& sink) override {
    sink(text_event(charset_.to_utf8(bytes, scratch_), ecs_));
  }

  void encode(const Event& e, std::string& out) override { append_formatted(e, format_, out); }

  std::unique_ptr<Codec> streaming_replacement() const override {
    return make_line_codec("\n", charset_, ecs_);
  }
  const char* streaming_from() const override { return "plain"; }
  const char* streaming_to() const override { return "line"; }

 private:
  Charset charset_;
  Ecs ecs_;
  std::optional<Template> format_;
  std::string scratch_;
};

}  // namespace
}  // namespace sluice::codecs

namespace sluice::plugins {

void register_codec_plain(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Codec;
  s.name = "plain";
  s.description = "Reads a chunk of text as one event's message; writes events as text with no delimiter.";
  s.options = {
      opt("format", OptionType::String)
          .describe("Encode: a sprintf template (`%{message}`) for each event; without it, Event#to_s "
                    "(`<@timestamp> <host> <message>`)."),
      codecs::charset_option("Decode: the character encoding of the input, converted to UTF-8."),
      codecs::ecs_option(),
  };
  r.add(std::move(s), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    return std::make_unique<codecs::PlainCodec>(cfg);
  });
}

}  // namespace sluice::plugins
