// Field references (`[a][b]`, `a`, `[@metadata][x]`), parsed once at compile time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class FieldRef {
 public:
  // parse() produces Data or Metadata only. Timestamp is kept for source compatibility and is
  // never produced: `@timestamp` is the ordinary data path ["@timestamp"], kept in sync by Event.
  enum class Root { Data, Metadata, Timestamp };

  // Parses Logstash's strict syntax: a bare key (`foo.bar` is one key), or bracketed elements
  // `[a][b]`, with embedded refs `[[a][b]][c]` flattened. Errors (`foo[bar]`, `[]`, `[foo`) return
  // nullopt and set *error (if given) to a message naming the problem.
  static std::optional<FieldRef> parse(std::string_view text, std::string* error = nullptr);

  Root root() const { return root_; }
  // Path below the root. For Root::Data the first element is the top-level key.
  // For `[@metadata]` alone, the path is empty; `@timestamp` is Root::Data, path ["@timestamp"].
  const std::vector<std::string>& path() const { return path_; }
  const std::string& text() const { return text_; }  // the source text, for messages
  bool is_tags() const { return root_ == Root::Data && path_.size() == 1 && path_[0] == "tags"; }

 private:
  Root root_ = Root::Data;
  std::vector<std::string> path_;
  std::string text_;
};

}  // namespace sluice
