// The beats input's option schema: every option of logstash-input-beats 6.x (Logstash 7.17) plus the
// 7.x/8.x spellings (ssl_enabled, ssl_client_authentication, ssl_cipher_suites,
// ssl_supported_protocols, enrich). Older spellings are accepted as deprecated, with the
// replacement named, so that Logstash 7.17 configs pass `-t`; options removed before 6.x are
// obsolete (an error).
//
// The implementation is in src/plugins/inputs/beats/ (decoder, server, TLS, event transform);
// make_beats_input() checks the options that need more than the schema (TLS files, option
// combinations) when the pipeline is compiled, so `sluice -t` reports them.
#include "plugins/inputs/beats/input.hpp"
#include "sluice/registry.hpp"

namespace sluice::plugins {

namespace {

PluginSchema beats_schema() {
  using T = OptionType;
  PluginSchema s;
  s.kind = PluginKind::Input;
  s.name = "beats";
  s.description = "Receives events from Elastic Beats (Filebeat, Metricbeat...) over the Lumberjack v2 protocol.";
  const std::vector<std::string> tls_protocols = {"TLSv1.1", "TLSv1.2", "TLSv1.3"};
  s.options = {
      opt("host", T::String).def_str("0.0.0.0").describe("The address to listen on."),
      opt("port", T::Number).req().describe("The port to listen on (Beats use 5044)."),
      opt("ssl_enabled", T::Boolean).def_bool(false).describe("Accept TLS connections only (needs ssl_certificate and ssl_key)."),
      opt("ssl", T::Boolean)
          .def_bool(false)
          .describe("Enable TLS.")
          .deprecated("Use `ssl_enabled` instead."),
      opt("ssl_certificate", T::Path).describe("PEM certificate (chain) presented to clients."),
      opt("ssl_key", T::Path)
          .describe("PEM private key of ssl_certificate: PKCS#8 (as Logstash requires), also PKCS#1 RSA or SEC1 EC."),
      opt("ssl_key_passphrase", T::Password).describe("Passphrase of an encrypted ssl_key."),
      opt("ssl_certificate_authorities", T::Array)
          .def_empty_array()
          .describe("PEM CA files used to verify client certificates."),
      opt_one_of("ssl_client_authentication", {"none", "optional", "required"})
          .def_str("none")
          .describe("Whether client certificates are requested (optional) or demanded (required)."),
      opt_one_of("ssl_verify_mode", {"none", "peer", "force_peer"})
          .def_str("none")
          .describe("Client certificate verification.")
          .deprecated("Use `ssl_client_authentication` instead (none, optional = peer, required = force_peer)."),
      opt("ssl_peer_metadata", T::Boolean)
          .def_bool(false)
          .describe("Add client certificate details to [@metadata][tls_peer].")
          .deprecated("Use `enrich => ssl_peer_metadata` instead."),
      opt("ssl_handshake_timeout", T::Number).def_int(10000).describe("TLS handshake timeout, in milliseconds."),
      opt_one_of("ssl_supported_protocols", tls_protocols)
          .as_list()
          .def(ConfigValue::make_array({ConfigValue::make_string("TLSv1.2"), ConfigValue::make_string("TLSv1.3")}))
          .describe("TLS protocol versions accepted."),
      opt("tls_min_version", T::Number)
          .def_int(1)
          .describe("Lowest TLS version accepted.")
          .deprecated("Use `ssl_supported_protocols` instead."),
      opt("tls_max_version", T::Number)
          .def_num(1.3)
          .describe("Highest TLS version accepted.")
          .deprecated("Use `ssl_supported_protocols` instead."),
      opt("ssl_cipher_suites", T::Array).describe("TLS cipher suites allowed (default: strong AES-GCM and CHACHA20 suites)."),
      opt("cipher_suites", T::Array)
          .describe("TLS cipher suites allowed.")
          .deprecated("Use `ssl_cipher_suites` instead."),
      opt("client_inactivity_timeout", T::Number)
          .def_int(60)
          .describe("Close connections idle for this many seconds."),
      opt("executor_threads", T::Number).describe("Threads decoding and handling batches (default: number of cores)."),
      opt("max_connections", T::Number)
          .def_int(10000)
          .describe("Sluice only (Logstash has no limit): the most connections this input keeps open. A new "
                    "connection beyond it closes the connection that has gone longest without completing a "
                    "window and has none being processed (if every one has, the new connection is closed); 0: no "
                    "limit."),
      opt("memory_limit", T::Bytes)
          .def_int(128ll << 20)
          .describe("Sluice only (Logstash has no limit): the memory all connections of this input together may "
                    "hold for what they received (receive buffers, inflated data, windows not yet turned into "
                    "events), 128 MiB by default; a quarter of it is kept for connections holding less than 4 MiB. "
                    "A connection that cannot get memory waits while windows of its own are in flight, else it is "
                    "closed (the client resends)."),
      opt("connection_memory_limit", T::Bytes)
          .def_int(48ll << 20)
          .describe("Sluice only (Logstash has no limit): the memory one connection may hold for what it "
                    "received, 48 MiB by default; it also bounds one window's payload and one compressed frame's "
                    "inflated size. A connection whose current window needs more is closed (Filebeat then resends "
                    "smaller windows)."),
      opt("max_inflate_ratio", T::Number)
          .def_int(200)
          .describe("Sluice only (Logstash has no limit): once a compressed frame has inflated more than 8 MiB, "
                    "it may not inflate more than this many times the compressed bytes it came from; a frame "
                    "that does is a decompression bomb and its connection is closed (0: no limit). Filebeat's "
                    "windows (~2 MiB) never reach the 8 MiB; real logs compress about 20:1."),
      opt("event_loop_threads", T::Number)
          .def_int(0)
          .describe("Network event loop threads (accepted for compatibility; Sluice uses one I/O thread)."),
      opt_one_of("enrich", {"codec_metadata", "source_metadata", "ssl_peer_metadata", "all", "none"})
          .as_list()
          .def(ConfigValue::make_array({ConfigValue::make_string("codec_metadata"), ConfigValue::make_string("source_metadata")}))
          .describe("Metadata added to events: codec_metadata, source_metadata, ssl_peer_metadata, or all / none."),
      opt("include_codec_tag", T::Boolean)
          .def_bool(true)
          .describe("Tag events with beats_input_codec_<codec>_applied.")
          .deprecated("Use `enrich` (codec_metadata) instead."),
      opt("add_hostname", T::Boolean)
          .def_bool(false)
          .describe("Copy [beat][hostname] into the host field (Beats 6 events).")
          .deprecated("Beats 7 and later send host information themselves."),
      opt_one_of("ecs_compatibility", {"disabled", "v1", "v8"})
          .describe("Field layout of the metadata added to events (default: the pipeline's ECS setting)."),
      opt("congestion_threshold", T::Number)
          .describe("Removed in logstash-input-beats 6.0.")
          .obsolete("The beats input applies back-pressure instead; remove this setting."),
      opt("target_field_for_codec", T::String)
          .describe("Removed in logstash-input-beats 6.0.")
          .obsolete("Use a codec and filters to place the decoded message; remove this setting."),
  };
  return s;
}

}  // namespace

void register_input_beats(Registry& r) {
  r.add(beats_schema(), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> { return beats::make_beats_input(cfg); });
}

}  // namespace sluice::plugins
