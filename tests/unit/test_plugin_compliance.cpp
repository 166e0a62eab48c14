// The compliance check every registered plugin passes: it builds from its minimal options, rejects
// an unknown option naming it, counts events in and out, and starts and stops cleanly. A plugin
// added to the registry without an entry in the table below fails this test.
#include "compiler/compile.hpp"
#include "config/parser.hpp"
#include "runtime/batch_executor.hpp"
#include "sluice/registry.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

using namespace sluice;

namespace {

// The options each plugin needs to be built (its required options), as config text. Ports are 0:
// the inputs bind an ephemeral port.
const std::map<std::string, std::string>& minimal_options() {
  static const std::map<std::string, std::string> m = {
      {"input/beats", "port => 0 host => \"127.0.0.1\""},
      {"input/dead_letter_queue", "path => \"/tmp\" pipeline_id => \"sluice-compliance-none\" commit_offsets => false"},
      {"input/generator", "count => 3"},
      {"input/stdin", ""},
      {"input/tcp", "port => 0 host => \"127.0.0.1\""},
      {"filter/drop", ""},
      {"filter/json", "source => \"message\""},
      {"filter/mutate", "add_tag => \"seen\""},
      {"filter/split", ""},
      {"output/elasticsearch", "hosts => [\"http://127.0.0.1:1\"] manage_template => false"},
      {"output/null", ""},
      {"output/stdout", "codec => dots"},
      {"codec/dots", ""},
      {"codec/json", ""},
      {"codec/json_lines", ""},
      {"codec/line", ""},
      {"codec/plain", ""},
      {"codec/rubydebug", ""},
  };
  return m;
}

std::string key(const RegistryEntry& e) { return std::string(to_string(e.schema.kind)) + "/" + e.schema.name; }

// A config placing the plugin in its section (codecs inside a null output).
std::string config_for(const RegistryEntry& e, const std::string& opts) {
  const std::string& n = e.schema.name;
  switch (e.schema.kind) {
    case PluginKind::Input:
      return "input { " + n + " { " + opts + " } }";
    case PluginKind::Filter:
      return "filter { " + n + " { " + opts + " } }";
    case PluginKind::Output:
      return "output { " + n + " { " + opts + " } }";
    case PluginKind::Codec:
      return "output { null { codec => " + n + " { " + opts + " } } }";
  }
  return {};
}

std::unique_ptr<CompiledPipeline> compile_text(const std::string& text, config::Diagnostics& d) {
  auto ast = config::parse_config_text(text, "compliance.conf", {}, d);
  if (!ast) return nullptr;
  std::vector<config::ConfigAst> files;
  files.push_back(std::move(*ast));
  return compile_pipeline(files, CompileOptions{}, d);
}

class CountingContext final : public InputContext {
 public:
  bool push(std::unique_ptr<Event> e) override {
    ++pushed;
    return true;
  }
  bool stopping() const override { return false; }
  std::atomic<int> pushed{0};
};

}  // namespace

TEST_CASE("compliance: every registered plugin is in the compliance table", "[compliance]") {
  for (const RegistryEntry* e : Registry::builtin().all()) {
    INFO(key(*e));
    CHECK(minimal_options().count(key(*e)) == 1);
  }
}

TEST_CASE("compliance: every plugin builds from its minimal options", "[compliance]") {
  for (const RegistryEntry* e : Registry::builtin().all()) {
    if (!e->schema.implemented) continue;
    const std::string text = config_for(*e, minimal_options().at(key(*e)));
    config::Diagnostics d;
    auto p = compile_text(text, d);
    INFO(key(*e) << ": " << text << "\n" << d.render());
    CHECK(p != nullptr);
  }
}

TEST_CASE("compliance: every plugin rejects an unknown option, naming it", "[compliance]") {
  for (const RegistryEntry* e : Registry::builtin().all()) {
    const std::string text = config_for(*e, minimal_options().at(key(*e)) + " compliance_bogus => 1");
    config::Diagnostics d;
    auto p = compile_text(text, d);
    INFO(key(*e) << ": " << text << "\n" << d.render());
    CHECK(p == nullptr);
    CHECK(d.render().find("compliance_bogus") != std::string::npos);
  }
}

TEST_CASE("compliance: filters count events in and out", "[compliance]") {
  for (const RegistryEntry* e : Registry::builtin().entries(PluginKind::Filter)) {
    config::Diagnostics d;
    auto p = compile_text(config_for(*e, minimal_options().at(key(*e))), d);
    REQUIRE(p);
    for (auto& f : p->filters) f->start();
    BatchExecutor ex(*p, "main", false);
    std::vector<std::unique_ptr<Event>> batch;
    for (int i = 0; i < 3; ++i) {
      auto ev = std::make_unique<Event>();
      (void)ev->set_string(*FieldRef::parse("message"), R"({"n":1})");
      batch.push_back(std::move(ev));
    }
    ex.run(batch);
    INFO(key(*e));
    CHECK(p->filters[0]->metrics().events_in.load() == 3);
    // drop cancels every event; split leaves one-line messages alone.
    CHECK(p->filters[0]->metrics().events_out.load() == (key(*e) == "filter/drop" ? 0u : 3u));
    for (auto& f : p->filters) f->close();
  }
}

TEST_CASE("compliance: the null output counts what it discards", "[compliance]") {
  config::Diagnostics d;
  auto p = compile_text("output { null { } }", d);
  REQUIRE(p);
  BatchExecutor ex(*p, "main", false);
  std::vector<std::unique_ptr<Event>> batch;
  batch.push_back(std::make_unique<Event>());
  batch.push_back(std::make_unique<Event>());
  ex.run(batch);
  CHECK(p->outputs[0]->metrics().events_in.load() == 2);
  CHECK(ex.events_out() == 2);
}

TEST_CASE("compliance: every input starts and stops promptly", "[compliance]") {
  for (const RegistryEntry* e : Registry::builtin().entries(PluginKind::Input)) {
    config::Diagnostics d;
    auto p = compile_text(config_for(*e, minimal_options().at(key(*e))), d);
    INFO(key(*e) << "\n" << d.render());
    REQUIRE(p);
    Input& in = *p->inputs[0].input;
    in.start();
    CountingContext ctx;
    std::atomic<bool> returned{false};
    std::thread t([&] {
      in.run(ctx);
      returned = true;
    });
    // generator { count => 3 } returns by itself; the others run until stopped.
    if (e->schema.name != "generator") in.stop();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!returned && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!returned) in.stop();  // unblock before failing, so the thread can be joined
    t.join();
    CHECK(returned.load());
    if (e->schema.name == "generator") CHECK(ctx.pushed.load() == 3);
    in.close();
  }
}
