// The json_lines codec (logstash-codec-json_lines 3.2.x). Decode: the stream is split on
// `delimiter` (partial lines wait for the next chunk; flush() parses the rest); each line is one
// JSON document (object or array, blank lines give nothing); an invalid line (nesting deeper than
// 1000 levels included) gives an event with `message` = the line and tag `_jsonparsefailure`; a
// line over 1 MiB is cut to its first 1 MiB (1,048,576 bytes, less if that would split a UTF-8
// character) in `message`, and the integer field `message_original_bytes` holds its full size in
// bytes (a Sluice addition). A line longer than `decode_size_limit_bytes`
// gives an event with its first `decode_size_limit_bytes` bytes as `message` and tag
// `_jsonparsetoobigfailure`; the rest of that line is skipped. Encode: compact JSON + delimiter.
#include "plugins/codecs/codec_support.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <optional>

namespace sluice::codecs {
namespace {

class JsonLinesCodec final : public Codec {
 public:
  JsonLinesCodec(std::string delimiter, Charset charset, size_t size_limit, std::optional<FieldRef> target)
      : lines_(delimiter, size_limit),
        delimiter_(std::move(delimiter)),
        charset_(charset),
        target_(std::move(target)) {
    if (delimiter_.empty()) delimiter_ = "\n";
  }

  void decode(std::string_view bytes, const Sink& sink) override {
    lines_.extract(
        bytes, [&](std::string_view line) { parse(line, sink); },
        [&](std::string_view head) { too_big(head, sink); });
  }

  void flush(const Sink& sink) override {
    std::string rest = lines_.flush();
    if (rest.empty()) return;
    if (rest.size() > lines_.limit() && lines_.limit() > 0) {
      too_big(std::string_view(rest).substr(0, lines_.limit()), sink);
    } else {
      parse(rest, sink);
    }
  }

  void encode(const Event& e, std::string& out) override {
    e.to_json(out);
    out += delimiter_;
  }

 private:
  void parse(std::string_view line, const Sink& sink) {
    const std::string_view text = charset_.to_utf8(line, scratch_);
    size_t n = 0;
    std::string error;
    if (!json_to_events(text, target_, sink, &n, &error)) {
      warn_.warn("logstash.codecs.jsonlines",
                 "JSON parse error, original data now in message field {:message=>\"" + error + "\"}", id());
      sink(json_failure_event(text));
    }
  }

  void too_big(std::string_view head, const Sink& sink) {
    warn_.warn("logstash.codecs.jsonlines",
               "Payload bigger than " + std::to_string(lines_.limit()) + " bytes was split into a new event", id());
    std::string text;
    charset_.convert(head, text);
    sink(parse_failure_event(text, "_jsonparsetoobigfailure"));
  }

  BoundedLines lines_;
  std::string delimiter_;
  Charset charset_;
  std::optional<FieldRef> target_;
  std::string scratch_;
  log::RateLimited warn_;
};

}  // namespace

std::unique_ptr<Codec> make_json_lines_codec(std::string delimiter, Charset charset, size_t size_limit) {
  return std::make_unique<JsonLinesCodec>(std::move(delimiter), charset, size_limit, std::nullopt);
}

}  // namespace sluice::codecs

namespace sluice::plugins {

void register_codec_json_lines(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Codec;
  s.name = "json_lines";
  s.description = "Reads one JSON document per line; writes each event as compact JSON followed by the delimiter.";
  s.options = {
      codecs::charset_option("Decode: the character encoding of the input, converted to UTF-8."),
      opt("delimiter", OptionType::String)
          .def_str("\n")
          .describe("The line delimiter, for decoding and encoding."),
      opt("decode_size_limit_bytes", OptionType::Number)
          .def_int(512LL * 1024 * 1024)
          .describe("Decode: the longest line accepted; a longer one becomes an event tagged "
                    "`_jsonparsetoobigfailure` holding its first bytes."),
      opt("target", OptionType::FieldReference)
          .describe("Decode: store the parsed JSON under this field instead of at the event's root."),
      codecs::ecs_option(),
  };
  r.add(std::move(s), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> {
    std::optional<FieldRef> target;
    if (cfg.has("target")) {
      std::string err;
      target = FieldRef::parse(cfg.string("target"), &err);
      if (!target) throw PluginConfigError("target", "Invalid field reference for 'target': " + err);
    }
    const int64_t limit = cfg.integer("decode_size_limit_bytes");
    if (limit <= 0) throw PluginConfigError("decode_size_limit_bytes", "decode_size_limit_bytes must be positive");
    return std::make_unique<codecs::JsonLinesCodec>(cfg.string_or("delimiter", "\n"), codecs::Charset::from_config(cfg),
                                                    static_cast<size_t>(limit), std::move(target));
  });
}

}  // namespace sluice::plugins
