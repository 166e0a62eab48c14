// libFuzzer target: the config front end (grammar, parse tree -> AST, value conversion, syntax-error
// hints, ${VAR} substitution, diagnostics rendering) on arbitrary bytes. Nothing may crash, leak or
// hang, however deep or malformed the input (nesting is bounded by the parser's depth limit).
#include "config/loader.hpp"
#include "config/parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace sluice::config;

static volatile size_t sink;  // keeps the rendered output from being optimised away

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the options, the rest is the config text.
  ParseOptions options;
  options.support_escapes = (data[0] & 1) != 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  Diagnostics diags;
  std::optional<ConfigAst> ast = parse_config_text(std::move(text), "fuzz.conf", options, diags);
  if (ast) {
    // Defined variables (names starting with A-M) expand to values that exercise the refine rules:
    // quotes, array syntax, nested placeholders that must not be expanded again.
    EnvLookup lookup = [](const std::string& name) -> std::optional<std::string> {
      if (name.empty() || name[0] < 'A' || name[0] > 'M') return std::nullopt;
      switch (name.size() % 4) {
        case 0: return "[a, 'b', \"c\" ,]";
        case 1: return "'quoted'";
        case 2: return "${" + name + "}";
        default: return "";
      }
    };
    substitute_variables(*ast, lookup, diags);
    size_t n = 0;
    for (const Section& s : ast->sections)
      for (const Statement& st : s.body)
        if (st.kind == Statement::Kind::Plugin)
          for (const auto& a : st.plugin.attributes) n += a.value.to_display().size();
    sink = n;
  }
  sink = diags.render().size();
  return 0;
}
