// libFuzzer target: JSON text from the network or a file through the json and json_lines codecs'
// decode (the shared event JSON reader, src/event/json.cpp), then every decoded event through the
// serialisers: to_json, rubydebug (with or without @metadata, by the input's last bit), clone, and
// back through Event::from_json.
//
// Checks: nothing crashes, hangs or recurses per nesting level (ASan/UBSan, libFuzzer's stack
// limit); the json codec yields at least one event unless the text is blank or an empty array (a
// parse failure is an event tagged _jsonparsefailure whose message is at most 1 MiB); the compact
// JSON of an event parses back into an event with the same JSON. The json_lines codec gets the
// input in two chunks, cut at a position taken from the input, so partial lines are exercised.
// Seeds: tests/fuzz/corpus/json_codec/ (tests/tools/make_fuzz_seeds.py), among them 100,000-level
// documents, long strings and numbers.
#include "plugins/codecs/codec_support.hpp"
#include "plugins/codecs/rubydebug_format.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

using namespace sluice;

namespace {

volatile size_t g_sink;

std::unique_ptr<Codec> make_codec(const std::string& name) {
  const RegistryEntry* entry = Registry::builtin().find(PluginKind::Codec, name);
  if (!entry) abort();
  PluginConfig cfg;
  cfg.plugin_name = name;
  cfg.kind = PluginKind::Codec;
  cfg.id = name + "_fuzz";
  for (const OptionSpec& o : common_options(PluginKind::Codec)) {
    if (o.default_value) cfg.values[o.name] = *o.default_value;
  }
  for (const OptionSpec& o : entry->schema.options) {
    if (o.default_value) cfg.values[o.name] = *o.default_value;
  }
  std::unique_ptr<Plugin> p = entry->factory(cfg);
  return std::unique_ptr<Codec>(static_cast<Codec*>(p.release()));
}

const FieldRef& message_ref() {
  static const FieldRef r = *FieldRef::parse("message");
  return r;
}

bool g_rubydebug_metadata = false;  // which of rubydebug's two layouts, chosen per input

void check_event(const Event& e) {
  if (e.has_tag("_jsonparsefailure")) {
    const Value* m = e.get(message_ref());
    if (!m || !m->IsString() || m->GetStringLength() > codecs::kMaxFailureMessageBytes) abort();
  }
  const std::string json = e.to_json();
  std::string rd;
  codecs::append_rubydebug(e, g_rubydebug_metadata, rd);
  auto copy = e.clone();
  if (copy->to_json() != json) abort();
  std::string err;
  auto back = Event::from_json(json, &err);
  if (!back) abort();  // what Sluice writes, it reads
  if (back->to_json() != json) abort();
  g_sink = json.size() + rd.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<Codec> json = make_codec("json");
  static std::unique_ptr<Codec> json_lines = make_codec("json_lines");
  static const bool quiet = (log::set_level(log::Level::Fatal), true);  // parse warnings are expected
  (void)quiet;

  const std::string_view in(reinterpret_cast<const char*>(data), size);
  g_rubydebug_metadata = size > 0 && (data[size - 1] & 1) != 0;
  size_t events = 0;
  Codec::Sink sink = [&](std::unique_ptr<Event> e) {
    ++events;
    check_event(*e);
  };

  json->decode(in, sink);
  // Never dropped: blank text and an empty array give no event, anything else at least one (an
  // event, or the tagged failure event).
  size_t i = 0;
  auto skip_space = [&] {
    while (i < in.size() && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r')) ++i;
  };
  skip_space();
  bool nothing = i == in.size();
  if (!nothing && in[i] == '[') {
    ++i;
    skip_space();
    nothing = i < in.size() && in[i] == ']';
  }
  if (!nothing && events == 0) abort();

  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  json_lines->decode(in.substr(0, cut), sink);
  json_lines->decode(in.substr(cut), sink);
  json_lines->flush(sink);
  return 0;
}
