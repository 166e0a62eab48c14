// The line codec (logstash-codec-line 3.1.1). Decode: bytes are split on `delimiter` (default
// "\n"); a partial line waits for the next chunk and flush() emits it; each line becomes one event's
// `message` (ECS v1/v8: also `[event][original]`). A "\r" before the "\n" is kept, as Logstash keeps
// it. Encode: `format` rendered with sprintf, or Event#to_s, then the delimiter.
#include "plugins/codecs/codec_support.hpp"
#include "sluice/registry.hpp"
#include "sluice/sprintf.hpp"

#include <optional>

namespace sluice::codecs {
namespace {

class LineCodec final : public Codec {
 public:
  LineCodec(std::string delimiter, Charset charset, Ecs ecs, std::optional<Template> format)
      : lines_(delimiter), delimiter_(std::move(delimiter)), charset_(charset), ecs_(ecs), format_(std::move(format)) {
    if (delimiter_.empty()) delimiter_ = "\n";
  }

  void decode(std::string_view bytes, const Sink& sink) override {
    lines_.extract(bytes, [&](std::string_view line) { emit(line, sink); });
  }

  void flush(const Sink& sink) override {
    std::string rest = lines_.flush();
    if (!rest.empty()) emit(rest, sink);
  }

  void encode(const Event& e, std::string& out) override {
    append_formatted(e, format_, out);
    out += delimiter_;
  }

 private:
  void emit(std::string_view line, const Sink& sink) { sink(text_event(charset_.to_utf8(line, scratch_), ecs_)); }

  LineBuffer lines_;
  std::string delimiter_;
  Charset charset_;
  Ecs ecs_;
  std::optional<Template> format_;
  std::string scratch_;
};

}  // namespace

std::unique_ptr<Codec> make_line_codec(std::string delimiter, Charset charset, Ecs ecs) {
  return std::make_unique<LineCodec>(std::move(delimiter), charset, ecs, std::nullopt);
}

}  // namespace sluice::codecs

namespace sluice::plugins {

void register_codec_line(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Codec;
  s.name = "line";
  s.description = "Reads line-oriented text, one event per line; writes one line per event.";
  s.options = {
      opt("format", OptionType::String)
          .describe("Encode: a sprintf template (`%{message}`) for each line; without it, Event#to_s "
                    "(`<@timestamp> <host> <message>`)."),
      codecs::charset_option("Decode: the character encoding of the input, converted to UTF-8."),
      opt("delimiter", OptionType::String)
          .def_str("\n")
          .describe("The line delimiter, for decoding and encoding."),
      codecs::ecs_option(),
  };
  r.add(std::move(s), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    std::optional<Template> format;
    if (cfg.has("format")) format.emplace(cfg.string("format"));
    return std::make_unique<codecs::LineCodec>(cfg.string_or("delimiter", "\n"), codecs::Charset::from_config(cfg),
                                               codecs::ecs_mode(cfg), std::move(format));
  });
}

}  // namespace sluice::plugins
