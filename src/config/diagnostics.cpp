// Collected config errors and their rendering: `path:line:col: error: message`, the source line, a
// caret under the column, then the notes.
#include "config/diagnostics.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace sluice::config {

void Diagnostics::error(SourceLoc loc, std::string message, std::vector<std::string> notes) {
  items_.push_back(Diagnostic{Diagnostic::Severity::Error, std::move(loc), std::move(message), std::move(notes)});
}

void Diagnostics::warning(SourceLoc loc, std::string message, std::vector<std::string> notes) {
  items_.push_back(
      Diagnostic{Diagnostic::Severity::Warning, std::move(loc), std::move(message), std::move(notes)});
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  return static_cast<size_t>(std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::Error;
  }));
}

std::string redact_secrets(std::string line) {
  // `password => "x"`, `ssl_key_passphrase => 'x'`, `api_key => x`: the value's characters become
  // `*` (same length, so the caret still points at the right column). Keys are matched by name,
  // since a snippet is shown before (or without) knowing the plugin's schema.
  static const std::regex secret_option(
      R"re(\b([A-Za-z0-9_]*(password|passphrase|secret|api_key|cloud_auth|token)[A-Za-z0-9_]*)(\s*=>\s*))re",
      std::regex::icase);
  // userinfo of a URL: scheme://user:password@host
  static const std::regex url_userinfo(R"re(://[^\s/@:"']*:([^\s/@"']+)@)re");
  auto mask = [&](size_t from, size_t to) {
    for (size_t i = from; i < to && i < line.size(); ++i) line[i] = '*';
  };
  for (std::sregex_iterator it(line.begin(), line.end(), secret_option), end; it != end; ++it) {
    size_t i = static_cast<size_t>(it->position(0) + it->length(0));
    if (i >= line.size()) break;
    const char q = line[i];
    if (q == '"' || q == '\'') {
      size_t j = i + 1;
      while (j < line.size() && line[j] != q) j += (line[j] == '\\') ? 2 : 1;
      mask(i + 1, std::min(j, line.size()));
    } else if (q == '[') {
      mask(i + 1, std::min(line.find(']', i), line.size()));
    } else {
      size_t j = i;
      while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j])) && line[j] != '}') ++j;
      mask(i, j);
    }
  }
  for (std::sregex_iterator it(line.begin(), line.end(), url_userinfo), end; it != end; ++it) {
    mask(static_cast<size_t>(it->position(1)), static_cast<size_t>(it->position(1) + it->length(1)));
  }
  return line;
}

std::string Diagnostics::render() const {
  std::string out;
  for (const Diagnostic& d : items_) {
    const char* severity = d.severity == Diagnostic::Severity::Error ? "error" : "warning";
    if (d.loc.file || d.loc.line) {
      out += d.loc.describe();
      out += ": ";
    }
    out += severity;
    out += ": ";
    out += d.message;
    out += '\n';
    if (d.loc.file && d.loc.line) {
      std::string line = redact_secrets(d.loc.file->line_text(d.loc.line));
      out += "    ";
      out += line;
      out += "\n    ";
      // Pad with the line's own tabs so the caret lines up whatever the tab width.
      for (uint32_t i = 1; i < d.loc.column; ++i) {
        size_t idx = i - 1;
        out += (idx < line.size() && line[idx] == '\t') ? '\t' : ' ';
      }
      out += "^\n";
    }
    for (const std::string& note : d.notes) {
      out += "  ";
      out += note;
      out += '\n';
    }
  }
  return out;
}

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ASCII
// case-insensitive: "Stdout" and "sdtout" are both one edit from "stdout".
size_t edit_distance(const std::string& a, const std::string& b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

}  // namespace

std::vector<std::string> suggest(const std::string& word, const std::vector<std::string>& candidates) {
  // Allow about one edit per three characters, at least one and at most three.
  const size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const std::string& c : candidates) {
    if (c == word) continue;
    size_t dist = edit_distance(word, c);
    bool prefix = word.size() >= 3 && c.size() > word.size() && c.compare(0, word.size(), word) == 0;
    if (dist <= limit || prefix) scored.emplace_back(prefix ? std::min(dist, limit) : dist, c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (auto& s : scored) {
    if (std::find(out.begin(), out.end(), s.second) == out.end()) out.push_back(std::move(s.second));
  }
  return out;
}

}  // namespace sluice::config
