// libFuzzer target: the whole front end on arbitrary bytes — parse, then validate every plugin
// against its schema, compile conditions (PCRE2 included) and construct the plugins (`-t` mode: no
// socket is bound, no thread started). Nothing may crash, leak or hang; errors are diagnostics.
#include "compiler/compile.hpp"
#include "config/parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace sluice;

static volatile size_t sink;  // keeps the results from being optimised away

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  config::ParseOptions parse_options;
  parse_options.support_escapes = (data[0] & 1) != 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  config::Diagnostics diags;
  auto ast = config::parse_config_text(std::move(text), "fuzz.conf", parse_options, diags);
  if (!ast) return 0;
  std::vector<config::ConfigAst> files;
  files.push_back(std::move(*ast));
  CompileOptions options;
  options.test_only = true;
  options.support_escapes = parse_options.support_escapes;
  auto pipeline = compile_pipeline(files, options, diags);
  sink = diags.render().size() + (pipeline ? pipeline->describe().size() + pipeline->to_dot().size() : 0);
  return 0;
}
