// The elasticsearch output's option schema: every option of logstash-output-elasticsearch 11.x
// (Logstash 7.17 ships 11.4) plus the 8.x spellings (ssl_enabled, ssl_certificate_authorities,
// ssl_verification_mode, ssl_keystore_*, ssl_truststore_*, silence_errors_in_log,
// compression_level). The 11.x SSL names are accepted as deprecated with the replacement named, so
// Logstash 7.17 configs pass `-t`; options removed in 10.x are obsolete (an error).
//
// Each option the output reads is bound to its member of es::OutputOptions; the others are
// declared only (accepted, and without effect). The implementation (bulk client, host pool,
// templates, retries) is in src/plugins/outputs/elasticsearch/; options it does not support yet
// are refused at start-up with a message naming them (see es::parse_config).
#include "plugins/outputs/elasticsearch/options.hpp"
#include "plugins/outputs/elasticsearch/output.hpp"

namespace sluice {
namespace es {

namespace {

ConfigValue strings(std::initializer_list<const char*> items) {
  std::vector<ConfigValue> v;
  for (const char* s : items) v.push_back(ConfigValue::make_string(s));
  return ConfigValue::make_array(std::move(v));
}

Options<OutputOptions> declare_options() {
  using T = OptionType;
  using O = OutputOptions;
  Options<O> o;
  const std::vector<std::string> tls_protocols = {"TLSv1.1", "TLSv1.2", "TLSv1.3"};
  // Where to send.
  o.add("hosts", T::Uri, &O::hosts).as_list().def(strings({"//127.0.0.1"})).describe(
      "Elasticsearch URLs (scheme, host, port 9200 by default, optional path); requests are spread over them.");
  o.add("path", T::String, &O::path)
      .describe("Path prefix of every request (a URL path in hosts is the alternative).");
  o.add("parameters", T::Hash, &O::parameters).describe("Query parameters added to every request.");
  o.add("bulk_path", T::String, &O::bulk_path).describe("Path of the bulk endpoint (default: <path>/_bulk).");
  o.add("healthcheck_path", T::String, &O::healthcheck_path)
      .describe("Path probed to bring dead hosts back (default: <path>/).");
  o.add("cloud_id", T::String, &O::cloud_id).describe("Elastic Cloud id; replaces hosts.");
  o.add("cloud_auth", T::Password, &O::cloud_auth).describe("Elastic Cloud credentials, user:password.");
  o.add("proxy", T::Uri, &O::proxy).describe("HTTP forward proxy.");
  o.add("custom_headers", T::Hash, &O::custom_headers).def_empty_hash().describe(
      "Extra HTTP headers sent with every request.");
  o.add("sniffing", T::Boolean, &O::sniffing).def_bool(false).describe("Discover cluster nodes through _nodes/http.");
  o.declare("sniffing_delay", T::Number).def_int(5).describe("Seconds between two sniffing rounds.");
  o.declare("sniffing_path", T::String).describe("Path of the nodes API used for sniffing.");
  // Authentication.
  o.add("user", T::String, &O::user).describe("Basic authentication user.");
  o.add("password", T::Password, &O::password).describe("Basic authentication password.");
  o.add("api_key", T::Password, &O::api_key).describe("API key as id:api_key (needs TLS).");
  // TLS, 8.x spellings.
  o.add("ssl_enabled", T::Boolean, &O::ssl_enabled).describe("Use TLS (default: from the hosts' scheme).");
  o.add("ssl_certificate_authorities", T::Path, &O::ssl_certificate_authorities)
      .as_list()
      .describe("PEM CA files used to verify the server.");
  o.add_given(opt_one_of("ssl_verification_mode", {"full", "none"}), &O::ssl_verification_mode)
      .def_str("full")
      .describe("Server certificate verification: full (certificate and host name) or none.");
  o.add("ssl_certificate", T::Path, &O::ssl_certificate).describe("PEM client certificate.");
  o.add("ssl_key", T::Path, &O::ssl_key).describe("PEM client key (PKCS#8).");
  o.add("ssl_keystore_path", T::Path, &O::ssl_keystore_path).describe("Client keystore (JKS or PKCS12).");
  o.declare("ssl_keystore_password", T::Password).describe("Password of ssl_keystore_path.");
  o.declare(opt_one_of("ssl_keystore_type", {"pkcs12", "jks"})).describe("Format of ssl_keystore_path.");
  o.add("ssl_truststore_path", T::Path, &O::ssl_truststore_path)
      .describe("Truststore (JKS or PKCS12) used to verify the server.");
  o.declare("ssl_truststore_password", T::Password).describe("Password of ssl_truststore_path.");
  o.declare(opt_one_of("ssl_truststore_type", {"pkcs12", "jks"})).describe("Format of ssl_truststore_path.");
  o.declare(opt_one_of("ssl_supported_protocols", tls_protocols)).as_list().def_empty_array().describe(
      "TLS protocol versions allowed (default: the TLS library's).");
  o.declare("ssl_cipher_suites", T::String).as_list().def_empty_array().describe("TLS cipher suites allowed.");
  // TLS, 11.x spellings.
  o.add("ssl", T::Boolean, &O::ssl).describe("Use TLS.").deprecated("Use `ssl_enabled` instead.");
  o.add("cacert", T::Path, &O::cacert)
      .describe("PEM CA file.")
      .deprecated("Use `ssl_certificate_authorities` instead.");
  o.add_given("ssl_certificate_verification", T::Boolean, &O::ssl_certificate_verification)
      .def_bool(true)
      .describe("Verify the server certificate.")
      .deprecated("Use `ssl_verification_mode` (full or none) instead.");
  o.add("keystore", T::Path, &O::keystore).describe("Client keystore.").deprecated("Use `ssl_keystore_path` instead.");
  o.declare("keystore_password", T::Password)
      .describe("Keystore password.")
      .deprecated("Use `ssl_keystore_password` instead.");
  o.add("truststore", T::Path, &O::truststore).describe("Truststore.").deprecated("Use `ssl_truststore_path` instead.");
  o.declare("truststore_password", T::Password)
      .describe("Truststore password.")
      .deprecated("Use `ssl_truststore_password` instead.");
  // What to write.
  o.add("index", T::String, &O::index).describe(
      "Index name, sprintf'd per event (default: logstash-%{+yyyy.MM.dd}, or ecs-logstash-... with ECS).");
  o.add("document_id", T::String, &O::document_id).describe("Document _id, sprintf'd per event.");
  o.add("document_type", T::String, &O::document_type)
      .describe("Document _type (Elasticsearch 6 and 7 only).")
      .deprecated("Types are removed in Elasticsearch 8; remove this setting.");
  o.add("action", T::String, &O::action).def_str("index").describe(
      "Bulk action: index, create, update, delete, or a sprintf template resolving to one.");
  o.add("routing", T::String, &O::routing).describe("Routing value, sprintf'd per event.");
  o.add("pipeline", T::String, &O::pipeline).describe("Ingest pipeline, sprintf'd per event; empty means none.");
  o.add("join_field", T::String, &O::join_field).describe("Join field name for parent/child documents.");
  o.add("parent", T::String, &O::parent).describe("Parent document id for child documents, sprintf'd per event.");
  o.add("version", T::String, &O::version).describe("Document version, sprintf'd per event.");
  o.add_one_of("version_type", {"internal", "external", "external_gt", "external_gte", "force"}, &O::version_type)
      .describe("Versioning type used with version.");
  o.add("doc_as_upsert", T::Boolean, &O::doc_as_upsert).def_bool(false).describe(
      "update: create the document if it is missing.");
  o.add("upsert", T::String, &O::upsert).def_str("").describe(
      "update: JSON document to insert when the document is missing.");
  o.add("script", T::String, &O::script).def_str("").describe("update: script to run.");
  o.declare(opt_one_of("script_type", {"inline", "indexed", "file"}))
      .def_str("inline")
      .describe("How script is given.");
  o.declare("script_lang", T::String).def_str("painless").describe("Language of script.");
  o.declare("script_var_name", T::String).def_str("event").describe("Name of the event variable in script.");
  o.declare("scripted_upsert", T::Boolean).def_bool(false).describe(
      "update: let the script create missing documents.");
  o.add("retry_on_conflict", T::Number, &O::retry_on_conflict).def_int(1).describe(
      "update: retries on version conflicts.");
  // Data streams and templates.
  o.add_one_of("data_stream", {"true", "false", "auto"}, &O::data_stream)
      .describe("Write to a data stream (default: false on Logstash 7, auto on Logstash 8).");
  o.declare(opt_one_of("data_stream_type", {"logs", "metrics", "synthetics", "traces"})).def_str("logs").describe(
      "Data stream type.");
  o.declare("data_stream_dataset", T::String).def_str("generic").describe("Data stream dataset.");
  o.declare("data_stream_namespace", T::String).def_str("default").describe("Data stream namespace.");
  o.declare("data_stream_sync_fields", T::Boolean).def_bool(true).describe(
      "Write the data_stream.* fields into events.");
  o.declare("data_stream_auto_routing", T::Boolean).def_bool(true).describe(
      "Route by the events' data_stream.* fields.");
  o.add("manage_template", T::Boolean, &O::manage_template).def_bool(true).describe(
      "Install an index template at start-up.");
  o.add("template", T::Path, &O::template_file).describe("Template file to install instead of the built-in one.");
  o.add("template_name", T::String, &O::template_name)
      .describe("Name of the installed template (default: logstash or ecs-logstash).");
  o.add("template_overwrite", T::Boolean, &O::template_overwrite).def_bool(false).describe(
      "Replace an existing template of that name.");
  o.add_one_of("template_api", {"auto", "legacy", "composable"}, &O::template_api).def_str("auto").describe(
      "Template API used.");
  o.add_one_of("ilm_enabled", {"true", "false", "auto"}, &O::ilm_enabled).def_str("auto").describe(
      "Index lifecycle management.");
  o.declare("ilm_rollover_alias", T::String).describe("ILM write alias (default: logstash or ecs-logstash).");
  o.declare("ilm_pattern", T::String).def_str("{now/d}-000001").describe("ILM rollover index pattern.");
  o.declare("ilm_policy", T::String).def_str("logstash-policy").describe("ILM policy name.");
  o.add_one_of("ecs_compatibility", {"disabled", "v1", "v8"}, &O::ecs_compatibility)
      .describe("Default index and template layout (default: the pipeline's ECS setting).");
  // Transport and retries.
  o.add("http_compression", T::Boolean, &O::http_compression).def_bool(false).describe("Gzip request bodies.");
  o.add_given("compression_level", T::Number, &O::compression_level).def_int(1).describe(
      "Gzip level 0-9 of request bodies (0: none).");
  o.add("timeout", T::Number, &O::timeout).def_int(60).describe("Request timeout, in seconds.");
  o.declare("pool_max", T::Number).def_int(1000).describe("Most open connections.");
  o.declare("pool_max_per_route", T::Number).def_int(100).describe("Most open connections per host.");
  o.declare("validate_after_inactivity", T::Number)
      .def_int(10000)
      .describe("Check idle connections older than this many milliseconds before reuse.");
  o.add("resurrect_delay", T::Number, &O::resurrect_delay).def_int(5).describe(
      "Seconds between health checks of dead hosts.");
  o.add("retry_initial_interval", T::Number, &O::retry_initial_interval).def_int(2).describe(
      "First retry delay, in seconds (doubles).");
  o.add("retry_max_interval", T::Number, &O::retry_max_interval).def_int(64).describe(
      "Longest retry delay, in seconds.");
  o.add("silence_errors_in_log", T::Array, &O::silence_errors_in_log).def_empty_array().describe(
      "Error types not logged (e.g. version_conflict_engine_exception).");
  o.add("failure_type_logging_whitelist", T::Array, &O::failure_type_logging_whitelist)
      .def_empty_array()
      .describe("Error types not logged.")
      .deprecated("Use `silence_errors_in_log` instead.");
  o.add("dlq_custom_codes", T::Number, &O::dlq_custom_codes).as_list().def_empty_array().describe(
      "Extra HTTP statuses whose documents go to the dead letter queue.");
  o.declare("dlq_on_failed_indexname_interpolation", T::Boolean)
      .def_bool(true)
      .describe("Send events whose index name did not resolve to the dead letter queue.");
  // Removed options.
  o.declare("flush_size", T::Number).describe("Removed in 10.0.").obsolete(
      "Batches follow pipeline.batch.size; remove this setting.");
  o.declare("idle_flush_time", T::Number).describe("Removed in 10.0.").obsolete(
      "Batches follow pipeline.batch.delay; remove this setting.");
  o.declare("max_retries", T::Number)
      .describe("Removed.")
      .obsolete("Failed requests are retried until they succeed.");
  o.declare("retry_max_items", T::Number).describe("Removed.").obsolete("Remove this setting.");
  return o;
}

}  // namespace

const Options<OutputOptions>& output_options() {
  static const Options<OutputOptions> o = declare_options();
  return o;
}

}  // namespace es

namespace plugins {

void register_output_elasticsearch(Registry& r) {
  add_plugin(r, PluginKind::Output, "elasticsearch",
             "Indexes events into Elasticsearch (7.x, 8.x) or OpenSearch with the _bulk API.", es::output_options(),
             [](const es::OutputOptions& o, const PluginConfig& cfg) {
               return std::make_unique<es::ElasticsearchOutput>(es::parse_config(o, cfg), cfg.pipeline_id);
             });
}

}  // namespace plugins
}  // namespace sluice
