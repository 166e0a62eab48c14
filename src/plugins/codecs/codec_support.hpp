// Shared pieces of the built-in codecs and the line-oriented inputs: option specs common to several
// codecs (charset, ecs_compatibility), the charset converter, Logstash's buffered tokenizer,
// `Event#to_s`, JSON documents to events, and the "streaming codec" switch that stdin and tcp apply
// to `plain` and `json` (Logstash's `fix_streaming_codecs`).
#pragma once

#include "sluice/event.hpp"
#include "sluice/plugin.hpp"
#include "sluice/schema.hpp"
#include "sluice/sprintf.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::codecs {

// ---- ECS compatibility -------------------------------------------------------------------------
// Logstash's plugins take `ecs_compatibility` (disabled, v1, v8; v8 behaves as v1 for every plugin
// here). Sluice defaults to `disabled` (Logstash 7.x parity); the option on the plugin overrides it.
enum class Ecs { Disabled, V1 };
OptionSpec ecs_option();
Ecs ecs_mode(const PluginConfig& cfg);

// ---- charset -----------------------------------------------------------------------------------
// Logstash's LogStash::Util::Charset: bytes in `charset` to UTF-8. UTF-8 input that is not valid
// UTF-8 becomes its Ruby `inspect` form without the quotes (Logstash's behaviour, with a warning).
// Supported: UTF-8 (and its aliases), US-ASCII, ISO-8859-1 / Windows-1252's Latin-1 subset;
// anything else is rejected at configuration time as not supported by Sluice.
class Charset {
 public:
  static Charset from_config(const PluginConfig& cfg, std::string_view option = "charset");
  static Charset utf8() { return Charset(Kind::Utf8); }
  // Appends the converted text to `out`.
  void convert(std::string_view in, std::string& out) const;
  // The text as UTF-8: `in` itself when it already is valid UTF-8 in a UTF-8 charset, otherwise
  // `scratch` (emptied first) holding the converted text. The view lives as long as both do.
  std::string_view to_utf8(std::string_view in, std::string& scratch) const;

 private:
  enum class Kind { Utf8, Latin1 };
  explicit Charset(Kind k) : kind_(k) {}
  Kind kind_;
};
OptionSpec charset_option(std::string description);

// ---- buffered tokenizer ------------------------------------------------------------------------
// FileWatch::BufferedTokenizer: splits a byte stream on a delimiter, keeping the partial token
// across calls. Tokens never include the delimiter; an empty token between two delimiters is
// emitted as an empty string (as Logstash does). No "\r" stripping: a CRLF stream keeps the "\r".
class LineBuffer {
 public:
  explicit LineBuffer(std::string delimiter) : delim_(std::move(delimiter)) {
    if (delim_.empty()) delim_ = "\n";
  }
  // Calls on_line(std::string_view) for each complete token. The view is valid during the call.
  template <class F>
  void extract(std::string_view data, F&& on_line) {
    if (partial_.empty()) {
      // Fast path: tokens straight from the caller's buffer, only the tail is copied.
      size_t start = 0;
      for (;;) {
        size_t pos = find(data, start);
        if (pos == std::string_view::npos) break;
        on_line(data.substr(start, pos - start));
        start = pos + delim_.size();
      }
      partial_.assign(data.substr(start));
      return;
    }
    // A partial token is pending: the delimiter may straddle the boundary.
    size_t scan_from = partial_.size() >= delim_.size() ? partial_.size() - delim_.size() + 1 : 0;
    partial_.append(data);
    size_t start = 0;
    size_t pos = find(partial_, scan_from);
    if (pos == std::string::npos) return;
    while (pos != std::string::npos) {
      on_line(std::string_view(partial_).substr(start, pos - start));
      start = pos + delim_.size();
      pos = find(partial_, start);
    }
    partial_.erase(0, start);
  }
  // The buffered remainder (possibly empty); the buffer is emptied.
  std::string flush() {
    std::string out;
    out.swap(partial_);
    return out;
  }
  size_t pending() const { return partial_.size(); }
  const std::string& delimiter() const { return delim_; }

 private:
  size_t find(std::string_view hay, size_t from) const {
    if (delim_.size() == 1) return hay.find(delim_[0], from);
    return hay.find(delim_, from);
  }
  std::string delim_;
  std::string partial_;
};

// A LineBuffer whose pending line may not grow past `limit` bytes (0: no limit), for the codecs'
// `decode_size_limit_bytes`: a longer line is handed to on_too_big(first `limit` bytes) once, and
// the rest of it, up to and including the next delimiter, is skipped. Memory per stream stays
// within `limit` plus one read.
class BoundedLines {
 public:
  BoundedLines(std::string delimiter, size_t limit) : lines_(std::move(delimiter)), limit_(limit) {}

  template <class F, class G>
  void extract(std::string_view data, F&& on_line, G&& on_too_big) {
    if (skipping_) {
      // The tail of an over-long line; a multi-byte delimiter may straddle two reads.
      const std::string& d = lines_.delimiter();
      tail_.append(data);
      const size_t pos = tail_.find(d);
      if (pos == std::string::npos) {
        if (tail_.size() >= d.size()) tail_.erase(0, tail_.size() - (d.size() - 1));
        return;
      }
      skipping_ = false;
      std::string rest = tail_.substr(pos + d.size());
      tail_.clear();
      extract(rest, on_line, on_too_big);
      return;
    }
    lines_.extract(data, [&](std::string_view line) {
      if (limit_ > 0 && line.size() > limit_) {
        on_too_big(line.substr(0, limit_));
      } else {
        on_line(line);
      }
    });
    if (limit_ > 0 && lines_.pending() > limit_) {
      std::string rest = lines_.flush();
      on_too_big(std::string_view(rest).substr(0, limit_));
      skipping_ = true;
      tail_.clear();
    }
  }
  // End of stream: the pending line (empty when none, or when an over-long line was being skipped).
  std::string flush() {
    const bool was_skipping = skipping_;
    skipping_ = false;
    tail_.clear();
    std::string rest = lines_.flush();
    if (was_skipping) rest.clear();
    return rest;
  }
  size_t limit() const { return limit_; }

 private:
  LineBuffer lines_;
  size_t limit_;
  bool skipping_ = false;
  std::string tail_;  // while skipping: the last bytes seen, in case the delimiter straddles reads
};

// ---- Event#to_s --------------------------------------------------------------------------------
// `"<@timestamp> <host> <message>"`; a missing or null host/message prints `%{host}` / `%{message}`;
// values in Java's toString form (a map host prints `{name=x}`, a list `[a, b]`).
void append_event_to_s(const Event& e, std::string& out);

// ---- text events (plain, line) -----------------------------------------------------------------
// An event whose `message` is `text` (ECS v1/v8: also `[event][original]`).
std::unique_ptr<Event> text_event(std::string_view text, Ecs ecs);
// `format` rendered with sprintf, or Event#to_s without it.
void append_formatted(const Event& e, const std::optional<Template>& format, std::string& out);

// ---- JSON text to events -----------------------------------------------------------------------
// Logstash's Event.from_json: blank text gives no event; an object gives one event; an array gives
// one event per element (each must be an object); anything else (or invalid JSON) is an error, in
// which case nothing is emitted, false is returned and *error says why. With `target`, the parsed
// value is stored at that field of a fresh event instead of becoming the event's root. The events
// of an array are handed to `sink` one by one as they are built (all elements are checked first).
bool json_to_events(std::string_view json, const std::optional<FieldRef>& target, const Codec::Sink& sink,
                    size_t* emitted, std::string* error);
// The event Logstash makes of text that failed to parse: `message` = text, tags [`tag`].
std::unique_ptr<Event> parse_failure_event(std::string_view text, std::string_view tag = "_jsonparsefailure");
// The json and json_lines codecs' event for text that is not valid JSON (too deep included):
// parse_failure_event(text, "_jsonparsefailure"), except that text longer than
// kMaxFailureMessageBytes is cut to its first kMaxFailureMessageBytes bytes (fewer if that would
// split a UTF-8 character) and the integer field kOriginalBytesField holds the full text's size.
inline constexpr size_t kMaxFailureMessageBytes = 1u << 20;
inline constexpr const char* kOriginalBytesField = "message_original_bytes";
std::unique_ptr<Event> json_failure_event(std::string_view text);

// ---- streaming codecs --------------------------------------------------------------------------
// A codec that has a line-oriented counterpart for stream inputs (plain -> line, json ->
// json_lines), as Logstash's Inputs::Base#fix_streaming_codecs.
class StreamingReplaceable {
 public:
  virtual ~StreamingReplaceable() = default;
  virtual std::unique_ptr<Codec> streaming_replacement() const = 0;
  virtual const char* streaming_from() const = 0;
  virtual const char* streaming_to() const = 0;
};
// Returns `c` or its replacement (logging the switch at INFO, as Logstash does).
std::unique_ptr<Codec> fix_streaming_codec(std::unique_ptr<Codec> c, std::string_view input_name,
                                           std::string_view pipeline_id, std::string_view plugin_id);
// The same without the log line (for per-connection codecs once the switch has been logged).
std::unique_ptr<Codec> streaming_codec(std::unique_ptr<Codec> c);

// Line-oriented codecs built directly (the streaming replacements, and tests).
std::unique_ptr<Codec> make_line_codec(std::string delimiter, Charset charset, Ecs ecs);
std::unique_ptr<Codec> make_json_lines_codec(std::string delimiter, Charset charset, size_t size_limit);

// ---- options Sluice declares but does not implement --------------------------------------------
// Throws PluginConfigError("... is not supported by Sluice") when `option` is set to something other
// than its schema default.
void reject_non_default(const PluginConfig& cfg, const PluginSchema& schema, std::string_view option,
                        std::string_view why = {});

}  // namespace sluice::codecs
