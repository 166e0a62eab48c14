// Reading, parsing and compiling one pipeline spec, and the hash that tells a reload whether it
// changed. Shared by the agent (start and reload) and by `sluice -t`.
#include "node/prepare.hpp"

#include "compiler/compile.hpp"
#include "config/loader.hpp"

#include <openssl/evp.h>

#include <string>

namespace sluice {
namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace

PreparedPipeline prepare_pipeline(const settings::PipelineSpec& spec, bool test_only, config::Diagnostics& diags,
                                  const PrepareContext& context) {
  PreparedPipeline out;
  config::ConfigSource source;
  source.paths = spec.path_config;
  source.string = spec.config_string;
  config::LoadOptions load_opts;
  load_opts.support_escapes = spec.support_escapes;
  auto loaded = config::load_config(source, load_opts, diags);
  if (!loaded) {
    // Unreadable or unparsable: the hash still identifies this state, so that a reload tick that
    // finds the same broken files does not report (and count) the same failure again.
    out.hash = sha256_hex(std::string("invalid") + '\0' + failure_reason(diags) + '\0' + spec.settings_fingerprint);
    return out;
  }
  std::string material;
  for (const auto& f : loaded->files) {
    material += f.source ? f.source->path : std::string();
    material += '\0';
    material += f.source ? f.source->text : std::string();
    material += '\0';
  }
  material += spec.settings_fingerprint;
  CompileOptions copts;
  copts.pipeline_id = spec.runtime.id;
  copts.test_only = test_only;
  copts.support_escapes = spec.support_escapes;
  copts.dead_letter_queue = context.dead_letter_queue;
  copts.ecs_compatibility = spec.ecs_compatibility;
  copts.path_data = context.path_data;
  out.compiled = compile_pipeline(loaded->files, copts, diags);
  out.hash = sha256_hex(material);
  return out;
}

std::string failure_reason(const config::Diagnostics& diags) {
  const std::size_t n = diags.error_count();
  if (n == 1) {
    for (const auto& d : diags.items()) {
      if (d.severity == config::Diagnostic::Severity::Error) return d.loc.describe() + ": " + d.message;
    }
  }
  return std::to_string(n) + " errors in the configuration (see above)";
}

}  // namespace sluice
