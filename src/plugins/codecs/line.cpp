// The line codec (logstash-codec-line 3.1.1). Decode: bytes are split on `delimiter` (default
// "\n"); a partial line waits for the next chunk and flush() emits it; each line becomes one event's
// `message` (ECS v1/v8: also `[event][original]`). A "\r" before the "\n" is kept, as Logstash keeps
// it. Encode: `format` rendered with sprintf, or Event#to_s, then the delimiter.
// A line longer than `decode_size_limit_bytes` (Sluice only, 16 MiB by default; Logstash's line
// codec has no limit and an endless line grows its heap until the JVM dies) gives an event with its
// first `decode_size_limit_bytes` bytes as `message`, tagged `_linetoobigfailure`; the rest of that
// line is skipped, as the json_lines codec does with its own limit.
#include "plugins/codecs/codec_support.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"
#include "sluice/sprintf.hpp"

#include <optional>

namespace sluice::codecs {
namespace {

constexpr size_t kDefaultLineLimit = 16u << 20;

class LineCodec final : public Codec {
 public:
  LineCodec(std::string delimiter, Charset charset, Ecs ecs, std::optional<Template> format,
            size_t size_limit = kDefaultLineLimit)
      : lines_(delimiter, size_limit), delimiter_(std::move(delimiter)), charset_(charset), ecs_(ecs), format_(std::move(format)) {
    if (delimiter_.empty()) delimiter_ = "\n";
  }

  void decode(std::string_view bytes, const Sink& sink) override {
    lines_.extract(
        bytes, [&](std::string_view line) { emit(line, sink); },
        [&](std::string_view head) { too_big(head, sink); });
  }

  void flush(const Sink& sink) override {
    std::string rest = lines_.flush();
    if (rest.empty()) return;
    if (lines_.limit() > 0 && rest.size() > lines_.limit()) {
      too_big(std::string_view(rest).substr(0, lines_.limit()), sink);
    } else {
      emit(rest, sink);
    }
  }

  void encode(const Event& e, std::string& out) override {
    append_formatted(e, format_, out);
    out += delimiter_;
  }

 private:
  void emit(std::string_view line, const Sink& sink) { sink(text_event(charset_.to_utf8(line, scratch_), ecs_)); }
  void too_big(std::string_view head, const Sink& sink) {
    warn_.warn("logstash.codecs.line",
               "A line longer than " + std::to_string(lines_.limit()) +
                   " bytes (decode_size_limit_bytes) was cut: its first bytes are an event tagged "
                   "_linetoobigfailure, the rest is skipped",
               id());
    std::unique_ptr<Event> e = text_event(charset_.to_utf8(head, scratch_), ecs_);
    e->tag("_linetoobigfailure");
    sink(std::move(e));
  }

  BoundedLines lines_;
  std::string delimiter_;
  Charset charset_;
  Ecs ecs_;
  std::optional<Template> format_;
  std::string scratch_;
  log::RateLimited warn_;
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
      opt("decode_size_limit_bytes", OptionType::Number)
          .def_int(int64_t{16} << 20)
          .describe("Sluice only (Logstash's line codec has no limit): the longest line accepted when "
                    "decoding; a longer one becomes an event tagged `_linetoobigfailure` holding its first "
                    "bytes, and the rest of the line is skipped."),
      codecs::ecs_option(),
  };
  r.add(std::move(s), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    std::optional<Template> format;
    if (cfg.has("format")) format.emplace(cfg.string("format"));
    const int64_t limit = cfg.integer("decode_size_limit_bytes");
    if (limit <= 0) throw PluginConfigError("decode_size_limit_bytes", "decode_size_limit_bytes must be positive");
    return std::make_unique<codecs::LineCodec>(cfg.string_or("delimiter", "\n"), codecs::Charset::from_config(cfg),
                                               codecs::ecs_mode(cfg), std::move(format), static_cast<size_t>(limit));
  });
}

}  // namespace sluice::plugins
