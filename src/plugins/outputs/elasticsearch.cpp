// The elasticsearch output's option schema: every option of logstash-output-elasticsearch 11.x
// (Logstash 7.17 ships 11.4) plus the 8.x spellings (ssl_enabled, ssl_certificate_authorities,
// ssl_verification_mode, ssl_keystore_*, ssl_truststore_*, silence_errors_in_log,
// compression_level). The 11.x SSL names are accepted as deprecated with the replacement named, so
// Logstash 7.17 configs pass `-t`; options removed in 10.x are obsolete (an error).
//
// The implementation (bulk client, host pool, templates, retries) is in
// src/plugins/outputs/elasticsearch/; options it does not support yet are refused at start-up with
// a message naming them (see es::parse_config).
#include "plugins/outputs/elasticsearch/output.hpp"
#include "sluice/registry.hpp"

namespace sluice::plugins {

namespace {

ConfigValue strings(std::initializer_list<const char*> items) {
  std::vector<ConfigValue> v;
  for (const char* s : items) v.push_back(ConfigValue::make_string(s));
  return ConfigValue::make_array(std::move(v));
}

PluginSchema elasticsearch_schema() {
  using T = OptionType;
  PluginSchema s;
  s.kind = PluginKind::Output;
  s.name = "elasticsearch";
  s.description = "Indexes events into Elasticsearch (7.x, 8.x) or OpenSearch with the _bulk API.";
  s.implemented = true;
  const std::vector<std::string> tls_protocols = {"TLSv1.1", "TLSv1.2", "TLSv1.3"};
  s.options = {
      // Where to send.
      opt("hosts", T::Uri).as_list().def(strings({"//127.0.0.1"})).describe(
          "Elasticsearch URLs (scheme, host, port 9200 by default, optional path); requests are spread over them."),
      opt("path", T::String).describe("Path prefix of every request (a URL path in hosts is the alternative)."),
      opt("parameters", T::Hash).describe("Query parameters added to every request."),
      opt("bulk_path", T::String).describe("Path of the bulk endpoint (default: <path>/_bulk)."),
      opt("healthcheck_path", T::String).describe("Path probed to bring dead hosts back (default: <path>/)."),
      opt("cloud_id", T::String).describe("Elastic Cloud id; replaces hosts."),
      opt("cloud_auth", T::Password).describe("Elastic Cloud credentials, user:password."),
      opt("proxy", T::Uri).describe("HTTP forward proxy."),
      opt("custom_headers", T::Hash).def_empty_hash().describe("Extra HTTP headers sent with every request."),
      opt("sniffing", T::Boolean).def_bool(false).describe("Discover cluster nodes through _nodes/http."),
      opt("sniffing_delay", T::Number).def_int(5).describe("Seconds between two sniffing rounds."),
      opt("sniffing_path", T::String).describe("Path of the nodes API used for sniffing."),
      // Authentication.
      opt("user", T::String).describe("Basic authentication user."),
      opt("password", T::Password).describe("Basic authentication password."),
      opt("api_key", T::Password).describe("API key as id:api_key (needs TLS)."),
      // TLS, 8.x spellings.
      opt("ssl_enabled", T::Boolean).describe("Use TLS (default: from the hosts' scheme)."),
      opt("ssl_certificate_authorities", T::Path).as_list().describe("PEM CA files used to verify the server."),
      opt_one_of("ssl_verification_mode", {"full", "none"})
          .def_str("full")
          .describe("Server certificate verification: full (certificate and host name) or none."),
      opt("ssl_certificate", T::Path).describe("PEM client certificate."),
      opt("ssl_key", T::Path).describe("PEM client key (PKCS#8)."),
      opt("ssl_keystore_path", T::Path).describe("Client keystore (JKS or PKCS12)."),
      opt("ssl_keystore_password", T::Password).describe("Password of ssl_keystore_path."),
      opt_one_of("ssl_keystore_type", {"pkcs12", "jks"}).describe("Format of ssl_keystore_path."),
      opt("ssl_truststore_path", T::Path).describe("Truststore (JKS or PKCS12) used to verify the server."),
      opt("ssl_truststore_password", T::Password).describe("Password of ssl_truststore_path."),
      opt_one_of("ssl_truststore_type", {"pkcs12", "jks"}).describe("Format of ssl_truststore_path."),
      opt_one_of("ssl_supported_protocols", tls_protocols).as_list().def_empty_array().describe(
          "TLS protocol versions allowed (default: the TLS library's)."),
      opt("ssl_cipher_suites", T::String).as_list().def_empty_array().describe("TLS cipher suites allowed."),
      // TLS, 11.x spellings.
      opt("ssl", T::Boolean).describe("Use TLS.").deprecated("Use `ssl_enabled` instead."),
      opt("cacert", T::Path).describe("PEM CA file.").deprecated("Use `ssl_certificate_authorities` instead."),
      opt("ssl_certificate_verification", T::Boolean)
          .def_bool(true)
          .describe("Verify the server certificate.")
          .deprecated("Use `ssl_verification_mode` (full or none) instead."),
      opt("keystore", T::Path).describe("Client keystore.").deprecated("Use `ssl_keystore_path` instead."),
      opt("keystore_password", T::Password).describe("Keystore password.").deprecated("Use `ssl_keystore_password` instead."),
      opt("truststore", T::Path).describe("Truststore.").deprecated("Use `ssl_truststore_path` instead."),
      opt("truststore_password", T::Password)
          .describe("Truststore password.")
          .deprecated("Use `ssl_truststore_password` instead."),
      // What to write.
      opt("index", T::String).describe(
          "Index name, sprintf'd per event (default: logstash-%{+yyyy.MM.dd}, or ecs-logstash-... with ECS)."),
      opt("document_id", T::String).describe("Document _id, sprintf'd per event."),
      opt("document_type", T::String)
          .describe("Document _type (Elasticsearch 6 and 7 only).")
          .deprecated("Types are removed in Elasticsearch 8; remove this setting."),
      opt("action", T::String).def_str("index").describe(
          "Bulk action: index, create, update, delete, or a sprintf template resolving to one."),
      opt("routing", T::String).describe("Routing value, sprintf'd per event."),
      opt("pipeline", T::String).describe("Ingest pipeline, sprintf'd per event; empty means none."),
      opt("join_field", T::String).describe("Join field name for parent/child documents."),
      opt("parent", T::String).describe("Parent document id for child documents, sprintf'd per event."),
      opt("version", T::String).describe("Document version, sprintf'd per event."),
      opt_one_of("version_type", {"internal", "external", "external_gt", "external_gte", "force"})
          .describe("Versioning type used with version."),
      opt("doc_as_upsert", T::Boolean).def_bool(false).describe("update: create the document if it is missing."),
      opt("upsert", T::String).def_str("").describe("update: JSON document to insert when the document is missing."),
      opt("script", T::String).def_str("").describe("update: script to run."),
      opt_one_of("script_type", {"inline", "indexed", "file"}).def_str("inline").describe("How script is given."),
      opt("script_lang", T::String).def_str("painless").describe("Language of script."),
      opt("script_var_name", T::String).def_str("event").describe("Name of the event variable in script."),
      opt("scripted_upsert", T::Boolean).def_bool(false).describe("update: let the script create missing documents."),
      opt("retry_on_conflict", T::Number).def_int(1).describe("update: retries on version conflicts."),
      // Data streams and templates.
      opt_one_of("data_stream", {"true", "false", "auto"}).describe(
          "Write to a data stream (default: false on Logstash 7, auto on Logstash 8)."),
      opt_one_of("data_stream_type", {"logs", "metrics", "synthetics", "traces"}).def_str("logs").describe(
          "Data stream type."),
      opt("data_stream_dataset", T::String).def_str("generic").describe("Data stream dataset."),
      opt("data_stream_namespace", T::String).def_str("default").describe("Data stream namespace."),
      opt("data_stream_sync_fields", T::Boolean).def_bool(true).describe("Write the data_stream.* fields into events."),
      opt("data_stream_auto_routing", T::Boolean).def_bool(true).describe("Route by the events' data_stream.* fields."),
      opt("manage_template", T::Boolean).def_bool(true).describe("Install an index template at start-up."),
      opt("template", T::Path).describe("Template file to install instead of the built-in one."),
      opt("template_name", T::String).describe("Name of the installed template (default: logstash or ecs-logstash)."),
      opt("template_overwrite", T::Boolean).def_bool(false).describe("Replace an existing template of that name."),
      opt_one_of("template_api", {"auto", "legacy", "composable"}).def_str("auto").describe("Template API used."),
      opt_one_of("ilm_enabled", {"true", "false", "auto"}).def_str("auto").describe("Index lifecycle management."),
      opt("ilm_rollover_alias", T::String).describe("ILM write alias (default: logstash or ecs-logstash)."),
      opt("ilm_pattern", T::String).def_str("{now/d}-000001").describe("ILM rollover index pattern."),
      opt("ilm_policy", T::String).def_str("logstash-policy").describe("ILM policy name."),
      opt_one_of("ecs_compatibility", {"disabled", "v1", "v8"})
          .describe("Default index and template layout (default: the pipeline's ECS setting)."),
      // Transport and retries.
      opt("http_compression", T::Boolean).def_bool(false).describe("Gzip request bodies."),
      opt("compression_level", T::Number).def_int(1).describe("Gzip level 0-9 of request bodies (0: none)."),
      opt("timeout", T::Number).def_int(60).describe("Request timeout, in seconds."),
      opt("pool_max", T::Number).def_int(1000).describe("Most open connections."),
      opt("pool_max_per_route", T::Number).def_int(100).describe("Most open connections per host."),
      opt("validate_after_inactivity", T::Number)
          .def_int(10000)
          .describe("Check idle connections older than this many milliseconds before reuse."),
      opt("resurrect_delay", T::Number).def_int(5).describe("Seconds between health checks of dead hosts."),
      opt("retry_initial_interval", T::Number).def_int(2).describe("First retry delay, in seconds (doubles)."),
      opt("retry_max_interval", T::Number).def_int(64).describe("Longest retry delay, in seconds."),
      opt("silence_errors_in_log", T::Array).def_empty_array().describe("Error types not logged (e.g. version_conflict_engine_exception)."),
      opt("failure_type_logging_whitelist", T::Array)
          .def_empty_array()
          .describe("Error types not logged.")
          .deprecated("Use `silence_errors_in_log` instead."),
      opt("dlq_custom_codes", T::Number).as_list().def_empty_array().describe(
          "Extra HTTP statuses whose documents go to the dead letter queue."),
      opt("dlq_on_failed_indexname_interpolation", T::Boolean)
          .def_bool(true)
          .describe("Send events whose index name did not resolve to the dead letter queue."),
      // Removed options.
      opt("flush_size", T::Number).describe("Removed in 10.0.").obsolete(
          "Batches follow pipeline.batch.size; remove this setting."),
      opt("idle_flush_time", T::Number).describe("Removed in 10.0.").obsolete(
          "Batches follow pipeline.batch.delay; remove this setting."),
      opt("max_retries", T::Number).describe("Removed.").obsolete("Failed requests are retried until they succeed."),
      opt("retry_max_items", T::Number).describe("Removed.").obsolete("Remove this setting."),
  };
  return s;
}

}  // namespace

void register_output_elasticsearch(Registry& r) {
  r.add(elasticsearch_schema(), [](const PluginConfig& cfg) -> std::unique_ptr<Plugin> { return es::make_output(cfg); });
}

}  // namespace sluice::plugins
