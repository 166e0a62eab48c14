// The stdout output (logstash-output-stdout 3.1.4): encodes events with its codec (default
// `rubydebug`) and writes them to standard output.
//
// Per call (one batch of one worker): the events are encoded into one buffer, outside any lock,
// with a codec instance taken from a small pool (codecs are not shared between threads); then the
// buffer goes out in one write(2) loop under a mutex, so batches of different workers never
// interleave. No stdio buffering: what a batch printed is on the fd when receive() returns.
#include "sluice/log.hpp"
#include "sluice/options.hpp"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <unistd.h>
#include <vector>

namespace sluice::outputs {
namespace {

// Every stdout output of every pipeline writes to the same file descriptor, and a write(2) of more
// than PIPE_BUF bytes to a full pipe is split: one lock for the process keeps batches whole.
std::mutex& stdout_write_mutex() {
  static std::mutex mu;
  return mu;
}

// No options of its own: `codec` is a common option (stdout only changes its default).
struct StdoutConfig {};

class StdoutOutput final : public Output {
 public:
  StdoutOutput(const StdoutConfig&, const PluginConfig& cfg, int fd = STDOUT_FILENO)
      : factory_(cfg.codec_factory), fd_(fd) {
    if (!factory_) throw PluginConfigError("codec", "The stdout output needs a codec");
    // Build one codec now so that a codec configuration error surfaces before the first event.
    pool_.push_back(factory_());
  }

  void receive(std::span<Event* const> events, DeliveryReport&) override {
    if (events.empty()) return;
    std::unique_ptr<Codec> codec = take_codec();
    thread_local std::string buf;
    buf.clear();
    for (Event* e : events) codec->encode(*e, buf);
    give_back(std::move(codec));
    if (buf.empty()) return;
    {
      std::lock_guard<std::mutex> lock(stdout_write_mutex());
      write_all(buf);
    }
    if (buf.capacity() > (8u << 20)) std::string().swap(buf);  // do not pin a huge batch's memory
  }

 private:
  std::unique_ptr<Codec> take_codec() {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!pool_.empty()) {
        std::unique_ptr<Codec> c = std::move(pool_.back());
        pool_.pop_back();
        return c;
      }
    }
    return factory_();
  }

  void give_back(std::unique_ptr<Codec> c) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_.push_back(std::move(c));
  }

  void write_all(const std::string& buf) {
    const char* p = buf.data();
    size_t left = buf.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (!broken_) {
          broken_ = true;
          log::write(log::Level::Error, "logstash.outputs.stdout",
                     std::string("Could not write to standard output, events are lost: ") + std::strerror(errno), {},
                     id());
        }
        return;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }

  std::function<std::unique_ptr<Codec>()> factory_;
  int fd_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Codec>> pool_;
  bool broken_ = false;  // guarded by stdout_write_mutex()
};

}  // namespace
}  // namespace sluice::outputs

namespace sluice::plugins {

void register_output_stdout(Registry& r) {
  Options<outputs::StdoutConfig> o;
  o.declare("codec", OptionType::Codec)
      .def_str("rubydebug")
      .describe("The codec used to encode events; `rubydebug` prints each event as a Ruby hash.");
  add_plugin<outputs::StdoutOutput>(r, PluginKind::Output, "stdout",
                                    "Prints events to standard output with a codec (rubydebug by default).",
                                    std::move(o));
}

}  // namespace sluice::plugins
