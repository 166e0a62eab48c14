#include "plugins/inputs/beats/input.hpp"

#include "plugins/inputs/beats/server.hpp"
#include "sluice/log.hpp"

#include <algorithm>
#include <thread>

namespace sluice::beats {
namespace {

bool explicitly_set(const PluginConfig& cfg, std::string_view name) {
  const ConfigValue* v = cfg.get(name);
  return v && v->loc.line != 0;
}

class BeatsInput final : public Input {
 public:
  explicit BeatsInput(const PluginConfig& cfg) {
    ServerSettings& ss = server_;
    ss.plugin_id = cfg.id;
    ss.pipeline_id = cfg.pipeline_id;
    ss.host = cfg.string_or("host", "0.0.0.0");
    if (!cfg.has("port")) throw PluginConfigError("port", "The beats input needs a port");
    const int64_t port = cfg.integer("port");
    if (port < 0 || port > 65535) throw PluginConfigError("port", "port must be between 0 and 65535, got " + std::to_string(port));
    ss.port = static_cast<int>(port);
    if (cfg.has("client_inactivity_timeout")) {
      const double secs = cfg.number("client_inactivity_timeout");
      if (!(secs > 0))
        throw PluginConfigError("client_inactivity_timeout", "client_inactivity_timeout must be a positive number of seconds");
      ss.client_inactivity_timeout = std::chrono::milliseconds(static_cast<int64_t>(secs * 1000));
    }
    if (cfg.has("max_connections")) {
      const int64_t n = cfg.integer("max_connections");
      if (n < 0) throw PluginConfigError("max_connections", "max_connections must be 0 (no limit) or more, got " + std::to_string(n));
      ss.max_connections = static_cast<size_t>(n);
    }
    auto bytes_option = [&](const char* name, uint64_t dflt) -> uint64_t {
      if (!cfg.has(name)) return dflt;
      const int64_t n = cfg.integer(name);
      if (n < (1 << 20))
        throw PluginConfigError(name, std::string(name) + " must be at least 1 MiB (1048576 bytes), got " + std::to_string(n));
      return static_cast<uint64_t>(n);
    };
    ss.memory_limit = bytes_option("memory_limit", ss.memory_limit);
    ss.connection_memory_limit = std::min(bytes_option("connection_memory_limit", ss.connection_memory_limit), ss.memory_limit);
    ss.connection_memory_floor = std::min(ss.connection_memory_floor, ss.connection_memory_limit);
    // A window cannot hold more than its connection may: the decoder says so with its own error.
    ss.limits.max_window_bytes = ss.connection_memory_limit;
    if (cfg.has("max_inflate_ratio")) {
      const int64_t r = cfg.integer("max_inflate_ratio");
      if (r < 0 || r > 1'000'000)
        throw PluginConfigError("max_inflate_ratio", "max_inflate_ratio must be 0 (no limit) to 1000000, got " + std::to_string(r));
      ss.limits.max_inflate_ratio = static_cast<uint32_t>(r);
    }
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    ss.executor_threads = cores;
    if (cfg.has("executor_threads")) {
      const int64_t n = cfg.integer("executor_threads");
      if (n < 1 || n > 1024)
        throw PluginConfigError("executor_threads", "executor_threads must be between 1 and 1024, got " + std::to_string(n));
      ss.executor_threads = static_cast<int>(n);
    }

    tls_ = tls_settings_from_config(cfg);
    if (tls_.enabled) {
      ssl_ = make_server_context(tls_);  // checks the files now: `sluice -t` reports them
      ss.handshake_timeout = std::chrono::milliseconds(tls_.handshake_timeout_ms);
    }

    // Event decoration.
    TransformSettings& ts = transform_;
    ts.plugin_id = cfg.id;
    ts.pipeline_id = cfg.pipeline_id;
    ts.ecs = cfg.string_or("ecs_compatibility", "disabled") != "disabled";
    ts.add_hostname = cfg.has("add_hostname") && cfg.boolean("add_hostname");

    // enrich (8.x) and include_codec_tag (deprecated) select the codec tag and the peer address.
    bool codec_metadata = true, source_metadata = true;
    if (explicitly_set(cfg, "enrich")) {
      if (explicitly_set(cfg, "include_codec_tag"))
        throw PluginConfigError("include_codec_tag",
                                "`include_codec_tag` and `enrich` cannot be used together; use `enrich` only");
      auto values = cfg.strings("enrich");
      codec_metadata = source_metadata = false;
      for (const auto& v : values) {
        if ((v == "all" || v == "none") && values.size() != 1)
          throw PluginConfigError("enrich", "enrich: the alias `" + v + "` must be used alone");
        if (v == "all") codec_metadata = source_metadata = true;
        else if (v == "codec_metadata") codec_metadata = true;
        else if (v == "source_metadata") source_metadata = true;
        else if (v == "ssl_peer_metadata")
          log::write(log::Level::Warn, "logstash.inputs.beats",
                     "enrich => ssl_peer_metadata is not supported by Sluice; no TLS peer metadata is added",
                     cfg.pipeline_id, cfg.id);
        else if (v != "none")
          throw PluginConfigError("enrich", "enrich: unknown value `" + v +
                                                "` (allowed: codec_metadata, source_metadata, ssl_peer_metadata, all, none)");
      }
    } else if (cfg.has("include_codec_tag")) {
      codec_metadata = cfg.boolean("include_codec_tag");
    }
    if (explicitly_set(cfg, "ssl_peer_metadata") && cfg.boolean("ssl_peer_metadata"))
      log::write(log::Level::Warn, "logstash.inputs.beats",
                 "ssl_peer_metadata is not supported by Sluice; no TLS peer metadata is added", cfg.pipeline_id, cfg.id);
    ts.codec_tag = codec_metadata;
    ts.source_metadata = source_metadata;

    // The codec: its name for the tag; the plain codec with default options takes the fast path.
    const ConfigValue* codec = cfg.get("codec");
    ts.codec_name = "plain";
    bool codec_has_options = false;
    if (codec && codec->kind == ConfigValue::Kind::Plugin && codec->plugin) {
      ts.codec_name = codec->plugin->name;
      codec_has_options = !codec->plugin->attributes.empty();
    } else if (codec && codec->kind == ConfigValue::Kind::String) {
      ts.codec_name = codec->string;
    }
    ts.plain_fast_path = ts.codec_name == "plain" && !codec_has_options;
    // Logstash builds the default plain codec with ECS off unless codec metadata is wanted.
    ts.event_original = ts.ecs && (codec_metadata || explicitly_set(cfg, "codec"));
    codec_factory_ = cfg.codec_factory;
    if (!ts.plain_fast_path && !codec_factory_)
      throw PluginConfigError("codec", "The beats input needs a codec");
  }

  void start() override {
    server_obj_ = std::make_unique<Server>(server_, transform_, codec_factory_, std::move(ssl_));
    server_obj_->bind();
  }

  void run(InputContext& ctx) override {
    if (!server_obj_) start();
    if (stop_requested_.load()) return;
    server_obj_->run(ctx);
  }

  void stop() override {
    stop_requested_ = true;
    if (server_obj_) server_obj_->stop();
  }

  void close() override { server_obj_.reset(); }

 private:
  ServerSettings server_;
  TransformSettings transform_;
  TlsSettings tls_;
  SslCtxPtr ssl_;
  std::function<std::unique_ptr<Codec>()> codec_factory_;
  std::unique_ptr<Server> server_obj_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace

std::unique_ptr<Input> make_beats_input(const PluginConfig& cfg) { return std::make_unique<BeatsInput>(cfg); }

}  // namespace sluice::beats
