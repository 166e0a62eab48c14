// sprintf templates (`%{field}`, `%{[a][b]}`, `%{+YYYY.MM.dd}`, `%{+%s}`, `%{{java.time}}`),
// compiled once and rendered per event.
#pragma once

#include "sluice/event.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace sluice {

class Template {
 public:
  Template();
  explicit Template(std::string_view text);  // never fails; an unclosed `%{` stays literal
  Template(const Template&);
  Template& operator=(const Template&);
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

  bool is_constant() const;  // no `%{` token: render() returns the text
  const std::string& text() const;
  void render(const Event& e, std::string& out) const;  // appends
  std::string render(const Event& e) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Joda-Time pattern formatting in UTC (`YYYY.MM.dd`, `HH:mm:ss.SSS`, `EEE`, `MMM`, `Z`, `'lit'`...).
std::string format_joda(std::string_view pattern, Timestamp t);

}  // namespace sluice
