// libFuzzer target: the json filter (Logstash's multi-root Jackson rules over the shared event JSON
// reader) on an event whose `message` is the input, with and without `target`, then the resulting
// event through to_json, rubydebug, clone and Event::from_json.
//
// Checks: nothing crashes or recurses per nesting level; text that does not parse (the reader
// itself says so) fails and tags the event (_jsonparsefailure) and leaves `message` as it was; with
// `target` text that parses always succeeds untagged; the event's compact JSON
// reads back as the same JSON. The reread has no depth limit: without `target` the document's keys
// are field references (`{"[a][a]...[a]":1}`), so an event can nest far deeper than the parser's
// 1000 levels. Seeds: tests/fuzz/corpus/json_filter/ (tests/tools/make_fuzz_seeds.py).
#include "event/json_internal.hpp"
#include "plugins/codecs/rubydebug_format.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

using namespace sluice;

namespace {

volatile size_t g_sink;

std::unique_ptr<Filter> make_filter(bool with_target) {
  const RegistryEntry* entry = Registry::builtin().find(PluginKind::Filter, "json");
  if (!entry) abort();
  PluginConfig cfg;
  cfg.plugin_name = "json";
  cfg.kind = PluginKind::Filter;
  cfg.id = with_target ? "json_target" : "json_root";
  for (const OptionSpec& o : common_options(PluginKind::Filter)) {
    if (o.default_value) cfg.values[o.name] = *o.default_value;
  }
  for (const OptionSpec& o : entry->schema.options) {
    if (o.default_value) cfg.values[o.name] = *o.default_value;
  }
  cfg.values["source"] = ConfigValue::make_string("message");
  if (with_target) cfg.values["target"] = ConfigValue::make_string("[doc]");
  std::unique_ptr<Plugin> p = entry->factory(cfg);
  return std::unique_ptr<Filter>(static_cast<Filter*>(p.release()));
}

const FieldRef& message_ref() {
  static const FieldRef r = *FieldRef::parse("message");
  return r;
}

void run(Filter& f, std::string_view text, bool with_target) {
  Allocator scratch;
  Value parsed;
  const bool parses = parse_json(text, scratch, &parsed, JsonSyntax::Jackson, nullptr);
  Event e(Timestamp::from_seconds(1700000000));
  if (e.set_string(message_ref(), text) != SetResult::Ok) abort();
  // The json filter makes no new events: an emitter that gets one is a bug.
  struct NoEvents final : Emitter {
    void emit(std::unique_ptr<Event>, bool) override { abort(); }
  } no_events;
  const FilterStatus st = f.filter(e, no_events);
  const bool tagged = e.has_tag("_jsonparsefailure");
  if (!parses) {
    // A parse error: tagged, the text left as it was.
    const Value* m = e.get(message_ref());
    if (st != FilterStatus::Failure || !tagged || !m || !m->IsString() || as_view(*m) != text) abort();
  } else if (with_target && (st != FilterStatus::Success || tagged)) {
    abort();  // any JSON value is stored at the target
  }
  const std::string json = e.to_json();
  std::string rd;
  codecs::append_rubydebug(e, true, rd);
  auto copy = e.clone();
  if (copy->to_json() != json) abort();
  Allocator a;
  Value back;
  if (!parse_json(json, a, &back, JsonSyntax::Document, nullptr, std::numeric_limits<unsigned>::max())) abort();
  std::string again;
  write_json(back, again);
  if (again != json) abort();
  g_sink = json.size() + rd.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (log::set_level(log::Level::Fatal), true);
  (void)quiet;
  static std::unique_ptr<Filter> root = make_filter(false);
  static std::unique_ptr<Filter> target = make_filter(true);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  run(*root, in, false);
  run(*target, in, true);
  return 0;
}
