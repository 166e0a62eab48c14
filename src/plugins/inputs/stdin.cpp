// The stdin input (logstash-input-stdin 3.4.x): reads standard input until EOF.
//
// Codec: `line` by default; `plain` is switched to `line` and `json` to `json_lines`, as Logstash's
// fix_streaming_codecs does. Each event gets the host name (`host`; with ECS v1/v8
// `[host][hostname]`) unless the codec already set it; with ECS v1/v8 also `[event][original]` = the
// chunk read (unless the codec set it, which the line codec does in ECS mode).
//
// At EOF the codec is flushed, so a last line without a newline becomes an event too (a deliberate
// difference: Logstash's stdin never flushes its codec and loses that line).
//
// stop() from another thread wakes the reader through a self-pipe: run() polls fd 0 and the pipe,
// so it returns promptly even while no input arrives.
#include "plugins/codecs/codec_support.hpp"
#include "plugins/inputs/input_support.hpp"
#include "sluice/log.hpp"
#include "sluice/options.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace sluice::inputs {

std::string host_name() {
  char buf[256];
  if (::gethostname(buf, sizeof buf) != 0) return "localhost";
  buf[sizeof buf - 1] = '\0';
  return buf;
}

namespace {

constexpr size_t kReadSize = 16384;  // Logstash's READ_SIZE

struct StdinConfig {
  std::string ecs_compatibility = "disabled";
};

class StdinInput final : public Input {
 public:
  StdinInput(const StdinConfig& c, const PluginConfig& cfg, int fd = STDIN_FILENO)
      : fd_(fd),
        ecs_(c.ecs_compatibility == "disabled" ? codecs::Ecs::Disabled : codecs::Ecs::V1),
        host_(host_name()) {
    if (!cfg.codec_factory) throw PluginConfigError("codec", "The stdin input needs a codec");
    codec_ = codecs::fix_streaming_codec(cfg.codec_factory(), "stdin", cfg.pipeline_id, cfg.id);
    host_ref_ = *FieldRef::parse(ecs_ == codecs::Ecs::Disabled ? "host" : "[host][hostname]");
    original_ref_ = *FieldRef::parse("[event][original]");
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::runtime_error(std::string("Could not create the stdin input's wake-up pipe: ") + std::strerror(errno));
    }
  }
  ~StdinInput() override {
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  void run(InputContext& ctx) override {
    if (::isatty(fd_) == 1) {
      static const char kPrompt[] = "The stdin plugin is now waiting for input:\n";
      (void)!::write(STDOUT_FILENO, kPrompt, sizeof kPrompt - 1);
    }
    std::string buf(kReadSize, '\0');
    bool open = true;
    const Codec::Sink sink = [&](std::unique_ptr<Event> e) {
      if (!open) return;
      // Logstash's order: the common decorations (type, add_field, tags), then the input's fields.
      ctx.decorate(*e);
      decorate(*e);
      if (!ctx.push_decorated(std::move(e))) open = false;
    };
    while (open && !stop_.load(std::memory_order_acquire) && !ctx.stopping()) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      int rc = ::poll(fds, 2, -1);
      if (rc < 0) {
        if (errno == EINTR) continue;
        log::write(log::Level::Error, "logstash.inputs.stdin",
                   std::string("Polling standard input failed: ") + std::strerror(errno), {}, id());
        break;
      }
      if (fds[1].revents) break;  // stop()
      if (fds[0].revents & POLLNVAL) break;
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        log::write(log::Level::Error, "logstash.inputs.stdin",
                   std::string("Reading standard input failed: ") + std::strerror(errno), {}, id());
        break;
      }
      if (n == 0) break;  // EOF
      chunk_ = std::string_view(buf.data(), static_cast<size_t>(n));
      codec_->decode(chunk_, sink);
    }
    chunk_ = {};
    if (open) codec_->flush(sink);
  }

  void stop() override {
    stop_.store(true, std::memory_order_release);
    const char b = 1;
    (void)!::write(wake_[1], &b, 1);
  }

 private:
  void decorate(Event& e) {
    if (ecs_ == codecs::Ecs::V1 && !e.includes(original_ref_)) (void)e.set_string(original_ref_, chunk_);
    if (!e.includes(host_ref_)) (void)e.set_string(host_ref_, host_);
  }

  int fd_;
  codecs::Ecs ecs_;
  std::string host_;
  std::unique_ptr<Codec> codec_;
  FieldRef host_ref_;
  FieldRef original_ref_;
  std::string_view chunk_;  // the chunk being decoded (points into run()'s buffer)
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
};

}  // namespace
}  // namespace sluice::inputs

namespace sluice::plugins {

void register_input_stdin(Registry& r) {
  Options<inputs::StdinConfig> o;
  o.declare("codec", OptionType::Codec)
      .def_str("line")
      .describe("The codec used to decode standard input; `plain` is switched to `line` and `json` to "
                "`json_lines`.");
  o.add(codecs::ecs_option(), &inputs::StdinConfig::ecs_compatibility);
  add_plugin<inputs::StdinInput>(r, PluginKind::Input, "stdin",
                                 "Reads events from standard input until EOF (one event per line by default).",
                                 std::move(o));
}

}  // namespace sluice::plugins
