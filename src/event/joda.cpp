// Date pattern formatting in UTC, following Joda-Time's DateTimeFormat (Logstash's `%{+...}`) and
// java.time's DateTimeFormatter.ofPattern (Logstash's `%{{...}}`), English names.
#include "event/date_format.hpp"
#include "sluice/sprintf.hpp"

#include <charconv>

namespace sluice::datefmt {

namespace {

constexpr const char* kMonthLong[] = {"January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kMonthShort[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kDayLong[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr const char* kDayShort[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Zero-padded decimal with a leading '-' for negatives (Joda's printing of numeric fields).
void append_padded(std::string& out, int64_t v, int min_digits) {
  if (v < 0) {
    out.push_back('-');
    v = -v;
  }
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  int n = static_cast<int>(r.ptr - buf);
  for (int k = n; k < min_digits; ++k) out.push_back('0');
  out.append(buf, r.ptr);
}

// The last two digits of a year, 0..99 for negative years too (the `yy` forms).
void append_two_digit_year(std::string& out, int64_t y) { append_padded(out, ((y % 100) + 100) % 100, 2); }

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// The ISO weekday (Monday = 1) `days` days before a day whose weekday is `wd`.
int weekday_before(int wd, int64_t days) { return static_cast<int>(((wd - 1 - days) % 7 + 7) % 7) + 1; }

// ISO-8601 week fields (Monday first, week 1 holds January 4th).
void iso_week(const CivilTime& c, int64_t* week_year, int* week) {
  // Weekday of January 1st from the weekday and day of year of this date.
  int jan1 = weekday_before(c.weekday, c.day_of_year - 1);
  auto weeks_in = [](int64_t year, int jan1_wd) { return (jan1_wd == 4 || (is_leap(year) && jan1_wd == 3)) ? 53 : 52; };
  int w = (c.day_of_year - c.weekday + 10) / 7;
  int64_t y = c.year;
  if (w < 1) {
    --y;
    int prev_len = is_leap(y) ? 366 : 365;
    int prev_jan1 = weekday_before(jan1, prev_len);
    w = weeks_in(y, prev_jan1);
  } else if (w > weeks_in(y, jan1)) {
    ++y;
    w = 1;
  }
  *week_year = y;
  *week = w;
}

void append_fraction(std::string& out, int64_t nanos, int digits) {
  char buf[9];
  int64_t v = nanos;
  for (int k = 8; k >= 0; --k) {
    buf[k] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  for (int k = 0; k < digits; ++k) out.push_back(k < 9 ? buf[k] : '0');
}

// Tokenizer shared by both dialects: runs of one letter, quoted literals ('' is a quote), other
// characters literal. java.time's optional-section brackets print their content (every field is
// available for an instant), so they are dropped.
Pattern tokenize(std::string_view p, bool java) {
  Pattern out;
  out.java = java;
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) {
      out.elements.push_back({0, 0, lit});
      lit.clear();
    }
  };
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    if (is_letter(c)) {
      size_t j = i;
      while (j < p.size() && p[j] == c) ++j;
      flush();
      out.elements.push_back({c, static_cast<int>(j - i), std::string(p.substr(i, j - i))});
      i = j;
    } else if (c == '\'') {
      if (i + 1 < p.size() && p[i + 1] == '\'') {
        lit.push_back('\'');
        i += 2;
        continue;
      }
      ++i;
      while (i < p.size()) {
        if (p[i] == '\'') {
          if (i + 1 < p.size() && p[i + 1] == '\'') {
            lit.push_back('\'');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        lit.push_back(p[i++]);
      }
    } else if (java && (c == '[' || c == ']')) {
      ++i;
    } else {
      lit.push_back(c);
      ++i;
    }
  }
  flush();
  return out;
}

constexpr std::string_view kJodaLetters = "GCYxwWeEyDMdaKhHkmsSzZ";
constexpr std::string_view kJavaLetters = "GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZ";

// Month and weekday names: full from four letters, short with three (Joda's and java.time's text
// styles; java.time's five-letter narrow form is handled by its caller).
void append_month(std::string& out, int month, int n) {
  if (n >= 4) {
    out += kMonthLong[month - 1];
  } else if (n == 3) {
    out += kMonthShort[month - 1];
  } else {
    append_padded(out, month, n);
  }
}
void append_day_name(std::string& out, int weekday, int n) {
  out += n >= 4 ? kDayLong[weekday - 1] : kDayShort[weekday - 1];
}

// The letters that mean the same in both dialects (day of year and month, half-day, hours, minutes,
// seconds); false for any other letter.
bool format_shared_element(const Element& e, const CivilTime& c, std::string& out) {
  const int n = e.count;
  switch (e.letter) {
    case 'D':
      append_padded(out, c.day_of_year, n);
      return true;
    case 'd':
      append_padded(out, c.day, n);
      return true;
    case 'a':
      out += c.hour < 12 ? "AM" : "PM";
      return true;
    case 'K':
      append_padded(out, c.hour % 12, n);
      return true;
    case 'h':
      append_padded(out, c.hour % 12 == 0 ? 12 : c.hour % 12, n);
      return true;
    case 'H':
      append_padded(out, c.hour, n);
      return true;
    case 'k':
      append_padded(out, c.hour == 0 ? 24 : c.hour, n);
      return true;
    case 'm':
      append_padded(out, c.minute, n);
      return true;
    case 's':
      append_padded(out, c.second, n);
      return true;
    default:
      return false;
  }
}

void format_joda_element(const Element& e, const CivilTime& c, std::string& out) {
  const int n = e.count;
  const int64_t year_of_era = c.year > 0 ? c.year : 1 - c.year;
  switch (e.letter) {
    case 'G':
      out += c.year > 0 ? "AD" : "BC";
      return;
    case 'C':
      append_padded(out, year_of_era / 100, n);
      return;
    case 'Y':
      if (n == 2) return append_two_digit_year(out, year_of_era);
      return append_padded(out, year_of_era, n);
    case 'y':
      if (n == 2) return append_two_digit_year(out, c.year);
      return append_padded(out, c.year, n);
    case 'x':
    case 'w': {
      int64_t wy;
      int w;
      iso_week(c, &wy, &w);
      if (e.letter == 'w') return append_padded(out, w, n);
      if (n == 2) return append_two_digit_year(out, wy);
      return append_padded(out, wy, n);
    }
    case 'e':
      return append_padded(out, c.weekday, n);
    case 'E':
      return append_day_name(out, c.weekday, n);
    case 'M':
      return append_month(out, c.month, n);
    case 'S':
      // Joda holds milliseconds: further digits are zeros.
      return append_fraction(out, c.nanos / 1'000'000 * 1'000'000, n);
    case 'z':
      out += n >= 4 ? "Coordinated Universal Time" : "UTC";
      return;
    case 'Z':
      out += n == 1 ? "+0000" : n == 2 ? "+00:00" : "UTC";
      return;
    default:
      if (!format_shared_element(e, c, out)) out += e.text;  // not a Joda letter (Logstash raises): literal
      return;
  }
}

void format_java_element(const Element& e, const CivilTime& c, std::string& out) {
  const int n = e.count;
  const int64_t year_of_era = c.year > 0 ? c.year : 1 - c.year;
  auto year_like = [&](int64_t v) {
    if (n == 2) return append_two_digit_year(out, v);
    if (n >= 4 && v > 9999) out.push_back('+');  // SignStyle.EXCEEDS_PAD
    append_padded(out, v, n == 1 ? 1 : n);
  };
  switch (e.letter) {
    case 'G':
      out += n == 4 ? (c.year > 0 ? "Anno Domini" : "Before Christ") : n == 5 ? (c.year > 0 ? "A" : "B")
                                                                                 : (c.year > 0 ? "AD" : "BC");
      return;
    case 'u':
      return year_like(c.year);
    case 'y':
      return year_like(year_of_era);
    case 'Y':
    case 'w': {
      // Week fields follow ISO-8601 (Monday first, minimal days 4), as Logstash's own example
      // `%{{YYYY-'W'ww}}` -> `2021-W32` for 2021-08-11 implies.
      int64_t wy;
      int w;
      iso_week(c, &wy, &w);
      if (e.letter == 'w') return append_padded(out, w, n);
      return year_like(wy);
    }
    case 'W': {
      // Week of month, ISO rules: week 1 is the first week with at least 4 days in the month.
      int first_wd = weekday_before(c.weekday, c.day - 1);
      int offset = first_wd - 1;  // days of the first (partial) week before the 1st
      int w = (c.day - 1 + offset) / 7 + (7 - offset >= 4 ? 1 : 0);
      return append_padded(out, w, n);
    }
    case 'M':
    case 'L':
      if (n >= 5) {
        out.push_back(kMonthLong[c.month - 1][0]);
      } else {
        append_month(out, c.month, n);
      }
      return;
    case 'Q':
    case 'q': {
      int q = (c.month - 1) / 3 + 1;
      static constexpr const char* kQuarter[] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};
      if (n == 3) {
        out.push_back('Q');
        append_padded(out, q, 1);
      } else if (n == 4) {
        out += kQuarter[q - 1];
      } else {
        append_padded(out, q, n > 2 ? 1 : n);
      }
      return;
    }
    case 'E':
    case 'e':
    case 'c':
      if (e.letter != 'E' && n <= 2) {
        return append_padded(out, c.weekday, n);  // ISO numbering, Monday = 1
      }
      if (n >= 5) {
        out.push_back(kDayLong[c.weekday - 1][0]);
      } else {
        append_day_name(out, c.weekday, n);
      }
      return;
    case 'F':
      return append_padded(out, (c.day - 1) / 7 + 1, n);
    case 'B':
      out += c.hour >= 6 && c.hour < 12 ? "in the morning" : c.hour >= 12 && c.hour < 18 ? "in the afternoon"
                                                          : c.hour >= 18 && c.hour < 21 ? "in the evening"
                                                                                        : "at night";
      return;
    case 'S':
      return append_fraction(out, c.nanos, n);
    case 'A':
      return append_padded(out, (c.hour * 3600 + c.minute * 60 + c.second) * 1000 + c.nanos / 1'000'000, n);
    case 'n':
      return append_padded(out, c.nanos, n);
    case 'N':
      return append_padded(out, (c.hour * 3600 + c.minute * 60 + c.second) * int64_t{1'000'000'000} + c.nanos, n);
    case 'V':
    case 'v':
    case 'z':
    case 'X':
      out.push_back('Z');  // zone ZoneOffset.UTC: its id and text are "Z"
      return;
    case 'O':
      out += "GMT";
      return;
    case 'x':
      out += n == 1 ? "+00" : (n == 2 || n == 4) ? "+0000" : "+00:00";
      return;
    case 'Z':
      out += n <= 3 ? "+0000" : n == 4 ? "GMT" : "Z";
      return;
    default:
      if (!format_shared_element(e, c, out)) out += e.text;
      return;
  }
}

// Tokenizes `pattern`; it is invalid if a letter is not one of the dialect's `letters`.
Pattern compile(std::string_view pattern, bool java, std::string_view letters) {
  Pattern p = tokenize(pattern, java);
  for (const Element& e : p.elements) {
    if (e.letter != 0 && letters.find(e.letter) == std::string_view::npos) p.valid = false;
  }
  return p;
}

}  // namespace

Pattern compile_joda(std::string_view pattern) { return compile(pattern, false, kJodaLetters); }

Pattern compile_java(std::string_view pattern) { return compile(pattern, true, kJavaLetters); }

void format(const Pattern& p, Timestamp t, std::string& out) {
  const CivilTime c = to_civil(t);
  for (const Element& e : p.elements) {
    if (e.letter == 0) {
      out += e.text;
    } else if (p.java) {
      format_java_element(e, c, out);
    } else {
      format_joda_element(e, c, out);
    }
  }
}

}  // namespace sluice::datefmt

namespace sluice {

std::string format_joda(std::string_view pattern, Timestamp t) {
  std::string out;
  datefmt::format(datefmt::compile_joda(pattern), t, out);
  return out;
}

}  // namespace sluice
