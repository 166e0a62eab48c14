// Config errors: every one names file, line and column, shows the source line with a caret and
// says what was expected. All errors of a config are collected before any is reported.
#pragma once

#include "sluice/config_value.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace sluice::config {

struct Diagnostic {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string message;             // one sentence, no trailing period needed
  std::vector<std::string> notes;  // extra lines: "did you mean", valid options, hints
};

class Diagnostics {
 public:
  void error(SourceLoc loc, std::string message, std::vector<std::string> notes = {});
  void warning(SourceLoc loc, std::string message, std::vector<std::string> notes = {});
  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  // path:line:column: error: message
  //     <source line>
  //         ^
  //   note lines
  std::string render() const;

 private:
  std::vector<Diagnostic> items_;
};

// Thrown by loaders when diagnostics contain errors and the caller wants an exception.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "did you mean" candidates: names within a small edit distance of `word`, closest first.
std::vector<std::string> suggest(const std::string& word, const std::vector<std::string>& candidates);

// A source line with the values of secret-looking options (`password`, `*_passphrase`, `api_key`,
// ...) and the password of URL userinfo replaced by `*` of the same length: config snippets in
// errors never show credentials.
std::string redact_secrets(std::string line);

}  // namespace sluice::config
