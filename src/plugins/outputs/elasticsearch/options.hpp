// The elasticsearch output's options as the config gives them (or their schema defaults): one
// member per option the output reads, filled by the schema declared in
// src/plugins/outputs/elasticsearch.cpp (output_options()). parse_config() (output.cpp) checks them
// and derives the OutputConfig the output runs with.
#pragma once

#include "sluice/options.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sluice::es {

struct OutputOptions {
  // Where to send.
  std::vector<std::string> hosts;
  std::string path;
  std::vector<std::pair<std::string, std::string>> parameters;
  std::optional<std::string> bulk_path;
  std::optional<std::string> healthcheck_path;
  std::optional<std::string> cloud_id;
  std::optional<std::string> cloud_auth;
  std::optional<std::string> proxy;
  std::vector<std::pair<std::string, std::string>> custom_headers;
  bool sniffing = false;
  // Authentication.
  std::string user;
  std::string password;
  std::string api_key;
  // TLS, 8.x spellings.
  std::optional<bool> ssl_enabled;
  std::vector<std::string> ssl_certificate_authorities;
  std::optional<std::string> ssl_verification_mode;  // only when written: it wins over the 11.x name
  std::string ssl_certificate;
  std::string ssl_key;
  std::optional<std::string> ssl_keystore_path;
  std::optional<std::string> ssl_truststore_path;
  // TLS, 11.x spellings.
  std::optional<bool> ssl;
  std::optional<std::string> cacert;
  std::optional<bool> ssl_certificate_verification;  // only when written
  std::optional<std::string> keystore;
  std::optional<std::string> truststore;
  // What to write.
  std::optional<std::string> index;  // default: by ecs_compatibility
  std::optional<std::string> document_id;
  std::optional<std::string> document_type;
  std::string action = "index";
  std::optional<std::string> routing;
  std::optional<std::string> pipeline;
  std::string join_field;
  std::string parent;
  std::optional<std::string> version;
  std::optional<std::string> version_type;
  bool doc_as_upsert = false;
  std::string upsert;
  std::string script;
  int retry_on_conflict = 1;
  // Data streams and templates.
  std::optional<std::string> data_stream;
  bool manage_template = true;
  std::string template_file;                 // `template`
  std::optional<std::string> template_name;  // default: by ecs_compatibility
  bool template_overwrite = false;
  std::string template_api = "auto";
  std::string ilm_enabled = "auto";
  std::string ecs_compatibility = "disabled";
  // Transport and retries.
  bool http_compression = false;
  std::optional<int64_t> compression_level;  // only when written: its default alone does not turn gzip on
  double timeout = 60;
  double resurrect_delay = 5;
  double retry_initial_interval = 2;
  double retry_max_interval = 64;
  std::vector<std::string> silence_errors_in_log;
  std::vector<std::string> failure_type_logging_whitelist;
  std::vector<std::string> dlq_custom_codes;  // checked as numbers by parse_config
};

// The output's schema, bound to OutputOptions (declared once, in elasticsearch.cpp).
const Options<OutputOptions>& output_options();

}  // namespace sluice::es
