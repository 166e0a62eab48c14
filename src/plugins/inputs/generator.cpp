// The generator input (logstash-input-generator 3.1.x): emits `message` (or each of `lines`, in
// order) `count` times (0: forever), through the codec (`plain` by default). Each event gets the
// host name (`host`; ECS v1/v8 `[host][name]`) unless the codec set it, and the pass number
// (`sequence`; ECS v1/v8 `[event][sequence]`, 0-based; every line of one pass has the same number).
// `message => "stdin"` reads one line from standard input (newline included, as Ruby's readline)
// and uses it as the message. `threads => N` runs N generators, each emitting `count` passes with
// its own sequence, as Logstash's threadable inputs do.
//
// This is the benchmark workhorse: per event it costs one Event, the codec's decode and two sets.
#include "plugins/codecs/codec_support.hpp"
#include "plugins/inputs/input_support.hpp"
#include "sluice/log.hpp"
#include "sluice/options.hpp"

#include <atomic>
#include <cstdio>
#include <thread>
#include <unistd.h>
#include <vector>

namespace sluice::inputs {
namespace {

struct GeneratorConfig {
  std::string message = "Hello world!";
  std::vector<std::string> lines;
  int64_t count = 0;
  int64_t threads = 1;
  std::string ecs_compatibility = "disabled";
};

class GeneratorInput final : public Input {
 public:
  GeneratorInput(const GeneratorConfig& c, const PluginConfig& cfg)
      : codec_factory_(cfg.codec_factory),
        host_(host_name()),
        message_(c.message),
        lines_(c.lines),
        count_(c.count),
        threads_(c.threads) {
    if (!codec_factory_) throw PluginConfigError("codec", "The generator input needs a codec");
    if (threads_ < 1) throw PluginConfigError("threads", "threads must be at least 1");
    const bool ecs = c.ecs_compatibility != "disabled";
    host_ref_ = *FieldRef::parse(ecs ? "[host][name]" : "host");
    sequence_ref_ = *FieldRef::parse(ecs ? "[event][sequence]" : "sequence");
    codec_factory_();  // surface codec configuration errors now
  }

  void run(InputContext& ctx) override {
    if (message_ == "stdin") {
      log::info("logstash.inputs.generator", "Generator plugin reading a line from stdin");
      message_ = read_stdin_line();
    }
    if (lines_.empty()) lines_.push_back(message_);
    std::vector<std::thread> extra;
    for (int64_t t = 1; t < threads_; ++t) extra.emplace_back([this, &ctx] { generate(ctx); });
    generate(ctx);
    for (auto& th : extra) th.join();
  }

  void stop() override { stop_.store(true, std::memory_order_release); }

 private:
  static std::string read_stdin_line() {
    std::string line;
    char c;
    while (::read(STDIN_FILENO, &c, 1) == 1) {
      line.push_back(c);
      if (c == '\n') break;
    }
    return line;
  }

  void generate(InputContext& ctx) {
    std::unique_ptr<Codec> codec = codec_factory_();
    bool open = true;
    int64_t sequence = 0;
    bool with_sequence = true;
    const Codec::Sink sink = [&](std::unique_ptr<Event> e) {
      if (!open) return;
      // Logstash's decorate_and_set_fields: common decorations first, then host and sequence.
      ctx.decorate(*e);
      if (!e->includes(host_ref_)) (void)e->set_string(host_ref_, host_);
      if (with_sequence) (void)e->set(sequence_ref_, Value(static_cast<int64_t>(sequence)));
      if (!ctx.push_decorated(std::move(e))) open = false;
    };
    for (; open && (count_ <= 0 || sequence < count_); ++sequence) {
      if (stop_.load(std::memory_order_relaxed)) break;
      for (const std::string& line : lines_) {
        codec->decode(line, sink);
        if (!open) break;
      }
    }
    // Logstash flushes the codec at the end; flushed events get no sequence.
    with_sequence = false;
    if (open) codec->flush(sink);
  }

  std::function<std::unique_ptr<Codec>()> codec_factory_;
  std::string host_;
  std::string message_;
  std::vector<std::string> lines_;
  int64_t count_ = 0;
  int64_t threads_ = 1;
  FieldRef host_ref_;
  FieldRef sequence_ref_;
  std::atomic<bool> stop_{false};
};

}  // namespace
}  // namespace sluice::inputs

namespace sluice::plugins {

void register_input_generator(Registry& r) {
  using C = inputs::GeneratorConfig;
  Options<C> o;
  o.add("message", OptionType::String, &C::message)
      .def_str("Hello world!")
      .describe("The message of every event; `stdin` reads one line from standard input and uses it.");
  o.add("lines", OptionType::Array, &C::lines)
      .describe("Lines to emit in order, one event each, instead of `message`; `count` repeats the list.");
  o.add("count", OptionType::Number, &C::count)
      .def_int(0)
      .describe("How many times to emit the message (or the list of lines); 0 means forever.");
  o.add("threads", OptionType::Number, &C::threads)
      .def_int(1)
      .describe("Number of generator threads; each emits `count` passes with its own sequence.");
  o.declare("codec", OptionType::Codec).def_str("plain").describe("The codec used to decode each generated line.");
  o.add(codecs::ecs_option(), &C::ecs_compatibility);
  add_plugin<inputs::GeneratorInput>(
      r, PluginKind::Input, "generator",
      "Generates events (a fixed message or a list of lines), for tests and benchmarks.", std::move(o));
}

}  // namespace sluice::plugins
