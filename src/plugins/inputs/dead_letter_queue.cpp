// The dead_letter_queue input (logstash-input-dead_letter_queue 2.0): reads the entries another
// pipeline's outputs put in its dead letter queue (<path>/<pipeline_id>), so that they can be fixed
// and indexed again. Each event is the stored event (its @metadata included) with
// [@metadata][dead_letter_queue][entry_time|plugin_id|plugin_type|reason] added; entry_time is the
// ISO-8601 text of when the entry was written.
//
// Position: with commit_offsets the read position is saved in the sincedb (default
// <path.data>/plugins/inputs/dead_letter_queue/<pipeline_id>/.sincedb_<md5 of path>) every second, when
// a segment is finished and at stop, and the next run resumes there; an existing sincedb is read
// whatever commit_offsets says, as Logstash does. start_timestamp (ISO-8601) starts at the first
// entry written at or after it, instead of the sincedb. clean_consumed deletes segments once read
// (it needs commit_offsets; only one such reader per queue, guarded by dlq_reader.lock).
//
// The input follows the queue: segments sealed later are read as they appear (the writer seals
// its head after dead_letter_queue.flush_interval without writes, when it is full, and at
// shutdown). A queue directory that does not exist yet is waited for.
#include "dlq/reader.hpp"
#include "sluice/log.hpp"
#include "sluice/options.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

namespace sluice::inputs {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kLogger = "logstash.inputs.deadletterqueue";

std::string md5_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

struct DeadLetterQueueConfig {
  std::string path;
  std::string pipeline_id = "main";
  bool commit_offsets = true;
  std::optional<std::string> sincedb_path;
  std::optional<std::string> start_timestamp;
  bool clean_consumed = false;
};

class DeadLetterQueueInput final : public Input {
 public:
  DeadLetterQueueInput(const DeadLetterQueueConfig& c, const PluginConfig& cfg)
      : plugin_id_(cfg.id),
        pipeline_id_(cfg.pipeline_id),
        path_(c.path),
        queue_pipeline_(c.pipeline_id),
        commit_offsets_(c.commit_offsets),
        clean_consumed_(c.clean_consumed) {
    if (clean_consumed_ && !commit_offsets_)
      throw PluginConfigError("clean_consumed", "enabling clean_consumed requires commit_offsets to also be enabled");
    if (c.start_timestamp) {
      start_timestamp_ = Timestamp::parse_iso8601(*c.start_timestamp);
      if (!start_timestamp_)
        throw PluginConfigError("start_timestamp", "start_timestamp " + *c.start_timestamp +
                                                       " is not an ISO-8601 timestamp; write it as 2017-04-04T23:40:37");
    }
    if (c.sincedb_path) {
      sincedb_path_ = *c.sincedb_path;
      std::error_code ec;
      if (fs::is_directory(sincedb_path_, ec))
        throw PluginConfigError("sincedb_path", "The \"sincedb_path\" argument must point to a file, received a directory: \"" +
                                                    sincedb_path_ + "\"");
    } else if (!cfg.path_data.empty()) {
      sincedb_dir_ = cfg.path_data + "/plugins/inputs/dead_letter_queue/" + queue_pipeline_;
      sincedb_path_ = sincedb_dir_ + "/.sincedb_" + md5_hex(path_);
    }
    queue_dir_ = (fs::path(path_) / queue_pipeline_).string();
  }

  ~DeadLetterQueueInput() override {
    if (reader_lock_fd_ >= 0) ::close(reader_lock_fd_);
  }

  void start() override {
    // Checked here rather than when the plugin is built: `-t` builds it without knowing path.data.
    if (sincedb_path_.empty() && commit_offsets_)
      throw std::runtime_error(
          "The dead_letter_queue input needs a file to keep its read position in (commit_offsets): set "
          "sincedb_path, or path.data, or commit_offsets => false");
    if (!sincedb_dir_.empty()) {
      std::error_code ec;
      fs::create_directories(sincedb_dir_, ec);
      if (ec)
        throw std::runtime_error("Cannot create " + sincedb_dir_ + " for the dead_letter_queue input's sincedb: " +
                                 ec.message() + ". Make path.data writable or set sincedb_path.");
    }
  }

  void run(InputContext& ctx) override {
    if (!wait_for_queue_dir()) return;
    if (clean_consumed_ && !lock_reader()) return;
    dlq::Reader reader(queue_dir_, pipeline_id_);
    bool has_state = position_reader(reader);
    // Where the entry after the last one the pipeline accepted starts: what the sincedb keeps.
    dlq::Position accepted = reader.position();
    dlq::Position committed = accepted;
    auto last_commit = std::chrono::steady_clock::now();
    dlq::Entry entry;
    while (!stop_.load(std::memory_order_acquire)) {
      if (reader.next(&entry) == dlq::PollStatus::NoData) {
        if (commit_offsets_ && accepted != committed) {  // idle: save what was read
          commit(accepted);
          committed = accepted;
          last_commit = std::chrono::steady_clock::now();
        }
        wait(std::chrono::milliseconds(100));
        continue;
      }
      if (!ctx.push(make_event(std::move(entry)))) break;
      const uint32_t previous_segment = accepted.segment;
      accepted = reader.position();
      has_state = true;
      const bool segment_done = accepted.segment != previous_segment && previous_segment != 0;
      const auto now = std::chrono::steady_clock::now();
      if (commit_offsets_ && accepted != committed && (segment_done || now - last_commit >= std::chrono::seconds(1))) {
        commit(accepted);
        committed = accepted;
        last_commit = now;
      }
      if (segment_done && clean_consumed_) clean_before(accepted.segment);
    }
    if (commit_offsets_ && has_state && accepted != committed) commit(accepted);
  }

  void stop() override {
    {
      std::lock_guard lock(mu_);
      stop_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
  }

 private:
  void wait(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, d, [this] { return stop_.load(std::memory_order_acquire); });
  }

  bool wait_for_queue_dir() {
    bool warned = false;
    while (!stop_.load(std::memory_order_acquire)) {
      std::error_code ec;
      if (fs::is_directory(queue_dir_, ec)) return true;
      if (!warned) {
        log::write(log::Level::Warn, kLogger,
                   "DLQ sub-path " + queue_dir_ +
                       " does not exist; waiting for it (check path and pipeline_id against the writing pipeline's "
                       "path.dead_letter_queue and pipeline.id)",
                   pipeline_id_, plugin_id_);
        warned = true;
      }
      wait(std::chrono::milliseconds(500));
    }
    return false;
  }

  bool lock_reader() {
    const std::string lock_path = queue_dir_ + "/dlq_reader.lock";
    reader_lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (reader_lock_fd_ < 0 || ::flock(reader_lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      log::write(log::Level::Error, kLogger,
                 "Existing `dlq_reader.lock` file in [" + queue_dir_ +
                     "]. Only one dead_letter_queue input with clean_consumed set is allowed per dead letter queue; "
                     "stop the other reader or set clean_consumed => false.",
                 pipeline_id_, plugin_id_);
      return false;
    }
    return true;
  }

  // Logstash's setInitialReaderState: the sincedb unless start_timestamp is set. True when the
  // reader starts from saved state (so that stopping before reading anything keeps it).
  bool position_reader(dlq::Reader& reader) {
    if (start_timestamp_) {
      reader.seek_timestamp(*start_timestamp_);
      return false;
    }
    if (sincedb_path_.empty()) return false;
    std::string error;
    const auto saved = dlq::read_sincedb(sincedb_path_, &error);
    if (!error.empty())
      log::write(log::Level::Warn, kLogger, "Reading the queue from the start: " + error, pipeline_id_, plugin_id_);
    if (!saved) return false;
    reader.seek(*saved);
    return true;
  }

  void commit(dlq::Position p) {
    std::string error;
    if (!dlq::write_sincedb(sincedb_path_, queue_dir_, p, &error))
      log::write(log::Level::Error, kLogger, "failed to write DLQ offset state: " + error, pipeline_id_, plugin_id_);
  }

  // clean_consumed: segments before the one being read are done.
  void clean_before(uint32_t segment) {
    for (uint32_t id : dlq::list_segments(queue_dir_)) {
      if (id >= segment) break;
      std::error_code ec;
      fs::remove(dlq::segment_path(queue_dir_, id), ec);
      if (!ec) log::debug(kLogger, "Deleted consumed segment " + dlq::segment_path(queue_dir_, id));
    }
  }

  static std::unique_ptr<Event> make_event(dlq::Entry&& entry) {
    std::unique_ptr<Event> e = std::move(entry.event);
    static const FieldRef type_ref = *FieldRef::parse("[@metadata][dead_letter_queue][plugin_type]");
    static const FieldRef id_ref = *FieldRef::parse("[@metadata][dead_letter_queue][plugin_id]");
    static const FieldRef reason_ref = *FieldRef::parse("[@metadata][dead_letter_queue][reason]");
    static const FieldRef time_ref = *FieldRef::parse("[@metadata][dead_letter_queue][entry_time]");
    (void)e->set_string(type_ref, entry.plugin_type);
    (void)e->set_string(id_ref, entry.plugin_id);
    (void)e->set_string(reason_ref, entry.reason);
    (void)e->set_string(time_ref, entry.entry_time.to_string());
    return e;
  }

  std::string plugin_id_;
  std::string pipeline_id_;
  std::string path_;
  std::string queue_pipeline_;
  std::string queue_dir_;
  std::string sincedb_path_;
  std::string sincedb_dir_;
  bool commit_offsets_ = true;
  bool clean_consumed_ = false;
  std::optional<Timestamp> start_timestamp_;
  int reader_lock_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace
}  // namespace sluice::inputs

namespace sluice::plugins {

void register_input_dead_letter_queue(Registry& r) {
  using C = inputs::DeadLetterQueueConfig;
  Options<C> o;
  o.add("path", OptionType::Path, &C::path)
      .req()
      .describe("The dead letter queue directory of the writing node (its path.dead_letter_queue).");
  o.add("pipeline_id", OptionType::String, &C::pipeline_id)
      .def_str("main")
      .describe("The pipeline whose dead letter queue is read.");
  o.add("commit_offsets", OptionType::Boolean, &C::commit_offsets)
      .def_bool(true)
      .describe("Save the read position in the sincedb, so that a restart continues where this run stopped.");
  o.add("sincedb_path", OptionType::String, &C::sincedb_path)
      .describe("The file keeping the read position (default: "
                "<path.data>/plugins/inputs/dead_letter_queue/<pipeline_id>/.sincedb_<md5 of path>).");
  o.add("start_timestamp", OptionType::String, &C::start_timestamp)
      .describe("Start at the first entry written at or after this ISO-8601 time (e.g. 2017-04-04T23:40:37), "
                "ignoring the sincedb.");
  o.add("clean_consumed", OptionType::Boolean, &C::clean_consumed)
      .def_bool(false)
      .describe("Delete segments once every entry in them was read (needs commit_offsets).");
  o.declare("codec", OptionType::Codec).def_str("plain").describe("Unused: events are stored whole.");
  add_plugin<inputs::DeadLetterQueueInput>(
      r, PluginKind::Input, "dead_letter_queue",
      "Reads the events a pipeline's outputs put in its dead letter queue, to fix and reindex them.", std::move(o));
}

}  // namespace sluice::plugins
