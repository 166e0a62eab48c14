// @timestamp: parsing (Joda's ISODateTimeFormat.dateTimeParser, as Logstash 7's Timestamp(String)),
// printing (Logstash 7's ISODateTimeFormat.dateTime: always milliseconds, `Z`) and civil-time math.
#include "sluice/timestamp.hpp"

#include <ctime>

namespace sluice {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (the well-known era-based algorithm: years
// are split into 400-year eras of 146097 days, with March as the first month so that the leap day
// falls at the end of the year). Exact for any int64 year whose day count fits.
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = floor_div(y, 400);
  const int64_t yoe = y - era * 400;                                      // [0, 399]
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;     // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              // [0, 146096]
  return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = floor_div(z, 146097);
  const int64_t doe = z - era * 146097;                                   // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Weekday (1 = Monday .. 7 = Sunday) of a day count since the epoch (1970-01-01 was a Thursday).
int weekday_of(int64_t days) {
  int64_t r = (days + 3) % 7;
  if (r < 0) r += 7;
  return static_cast<int>(r) + 1;
}

// A small cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return i < s.size() ? s[i] : '\0'; }
  bool eat(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  // Exactly n digits.
  bool digits(int n, int* out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (int k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += n;
    *out = v;
    return true;
  }
  int count_digits() const {
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    return static_cast<int>(j - i);
  }
};

// A fraction `(.|,)digits`: returns it scaled to `unit_ns` (digits beyond nanosecond precision of
// the unit are truncated).
bool parse_fraction(Cursor& c, int64_t unit_ns, int64_t* out) {
  if (!(c.peek() == '.' || c.peek() == ',')) return true;
  ++c.i;
  int n = c.count_digits();
  if (n == 0) return false;
  // value = 0.d1d2...dn * unit_ns, computed digit by digit to stay exact for the common units.
  int64_t num = 0;
  int64_t scale = unit_ns;
  for (int k = 0; k < n; ++k) {
    int dgt = c.s[c.i + k] - '0';
    scale /= 10;
    if (scale == 0) break;
    num += dgt * scale;
  }
  // For units that are not powers of ten (minutes, hours) the loop above is exact too: scale
  // divides down from 60e9 / 3600e9, which stays integral for the first 9+ digits.
  c.i += n;
  *out = num;
  return true;
}

}  // namespace

Timestamp Timestamp::now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {static_cast<int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec};
}

int64_t Timestamp::seconds() const { return floor_div(ns, kNanosPerSecond); }
int64_t Timestamp::millis() const { return floor_div(ns, 1'000'000); }

// Grammar (Joda's ISODateTimeFormat.dateTimeParser, which Logstash 7's Timestamp(String) uses, plus
// a space as date/time separator, which Logstash 8's parser and many producers use):
//   date-opt-time  = date [('T' | ' ') [time]] [offset]
//   date           = year ['-' MM ['-' dd]] | year '-' DDD | year '-W' ww ['-' e]
//   year           = ['-' | '+'] 4..9 digits
//   time           = HH [fraction] | HH ':' mm [fraction] | HH ':' mm ':' ss [fraction]
//   fraction       = ('.' | ',') digit+     (kept to nanoseconds, further digits truncated)
//   offset         = 'Z' | ('+' | '-') HH [[':'] mm]
// A missing offset means UTC. Literals `T` and `Z` are case-insensitive as in Joda.
// Rejected, as Joda rejects them: the basic form `20140923T203456Z` (its 8 digits read as a year,
// then the time does not fit), a time without a date, trailing text, out-of-range fields
// (month 13, Feb 30, hour 24, second 60).
std::optional<Timestamp> Timestamp::parse_iso8601(std::string_view s) {
  Cursor c{s};
  bool negative = false;
  if (c.peek() == '-' || c.peek() == '+') {
    negative = c.peek() == '-';
    ++c.i;
  }
  int ny = c.count_digits();
  if (ny < 4 || ny > 9) return std::nullopt;
  int64_t year = 0;
  for (int k = 0; k < ny; ++k) year = year * 10 + (s[c.i + k] - '0');
  c.i += ny;
  if (negative) year = -year;

  int64_t days;
  if (c.eat('-')) {
    if (c.peek() == 'W' || c.peek() == 'w') {
      ++c.i;
      int week = 0, dow = 1;
      if (!c.digits(2, &week)) return std::nullopt;
      if (c.eat('-') && !c.digits(1, &dow)) return std::nullopt;
      if (week < 1 || week > 53 || dow < 1 || dow > 7) return std::nullopt;
      // ISO week 1 contains January 4th; weeks start on Monday.
      int64_t jan4 = days_from_civil(year, 1, 4);
      int64_t week1_monday = jan4 - (weekday_of(jan4) - 1);
      days = week1_monday + (week - 1) * 7 + (dow - 1);
      if (week == 53) {
        int64_t next_week1 = days_from_civil(year + 1, 1, 4);
        if (days - (dow - 1) >= next_week1 - (weekday_of(next_week1) - 1)) return std::nullopt;
      }
    } else if (c.count_digits() == 3) {
      int doy = 0;
      (void)c.digits(3, &doy);
      if (doy < 1 || doy > (is_leap(year) ? 366 : 365)) return std::nullopt;
      days = days_from_civil(year, 1, 1) + doy - 1;
    } else {
      int month = 0, day = 1;
      if (!c.digits(2, &month) || month < 1 || month > 12) return std::nullopt;
      if (c.eat('-')) {
        if (!c.digits(2, &day) || day < 1 || day > days_in_month(year, month)) return std::nullopt;
      }
      days = days_from_civil(year, month, day);
    }
  } else {
    days = days_from_civil(year, 1, 1);
  }

  int64_t nanos_of_day = 0;
  int64_t offset_seconds = 0;
  // offset = 'Z' | ('+' | '-') HH [[':'] mm]; then the text must end.
  auto parse_offset_to_end = [&]() -> bool {
    if (c.done()) return true;
    const char z = c.peek();
    if (z == 'Z' || z == 'z') {
      ++c.i;
    } else if (z == '+' || z == '-') {
      ++c.i;
      int oh = 0, om = 0;
      if (!c.digits(2, &oh) || oh > 23) return false;
      if (!c.done()) {
        c.eat(':');
        if (!c.digits(2, &om) || om > 59) return false;
      }
      offset_seconds = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
    } else {
      return false;
    }
    return c.done();
  };
  if (!c.done()) {
    const char sep = c.peek();
    if (sep == 'T' || sep == 't' || sep == ' ') {
      ++c.i;
      if (c.count_digits() > 0) {
        int hh = 0, mm = 0, ss = 0;
        int64_t frac = 0;
        if (!c.digits(2, &hh) || hh > 23) return std::nullopt;
        if (c.eat(':')) {
          if (!c.digits(2, &mm) || mm > 59) return std::nullopt;
          if (c.eat(':')) {
            if (!c.digits(2, &ss) || ss > 59) return std::nullopt;
            if (!parse_fraction(c, kNanosPerSecond, &frac)) return std::nullopt;
          } else if (!parse_fraction(c, 60 * kNanosPerSecond, &frac)) {
            return std::nullopt;
          }
        } else if (!parse_fraction(c, 3600 * kNanosPerSecond, &frac)) {
          return std::nullopt;
        }
        nanos_of_day = (hh * int64_t{3600} + mm * 60 + ss) * kNanosPerSecond + frac;
      }
      if (!parse_offset_to_end()) return std::nullopt;
    } else if (!parse_offset_to_end()) {
      // A zone right after the date (`2014-09-23-08:00`), as Logstash 8's parser accepts.
      return std::nullopt;
    }
  }
  // Keep far-away years from overflowing: int64 nanoseconds cover roughly years 1678..2262.
  constexpr int64_t kMaxDays = INT64_MAX / kNanosPerSecond / kSecondsPerDay - 2;
  if (days > kMaxDays || days < -kMaxDays) return std::nullopt;
  return Timestamp{(days * kSecondsPerDay - offset_seconds) * kNanosPerSecond + nanos_of_day};
}

CivilTime to_civil(Timestamp t) {
  CivilTime c{};
  // Remainder first: `secs * 1e9` would overflow for the most negative instants.
  int64_t rem = t.ns % kNanosPerSecond;
  if (rem < 0) rem += kNanosPerSecond;
  const int64_t secs = floor_div(t.ns, kNanosPerSecond);
  c.nanos = rem;
  int64_t days = floor_div(secs, kSecondsPerDay);
  int64_t sod = secs - days * kSecondsPerDay;
  civil_from_days(days, &c.year, &c.month, &c.day);
  c.hour = static_cast<int>(sod / 3600);
  c.minute = static_cast<int>(sod / 60 % 60);
  c.second = static_cast<int>(sod % 60);
  c.weekday = weekday_of(days);
  c.day_of_year = static_cast<int>(days - days_from_civil(c.year, 1, 1) + 1);
  return c;
}

namespace {
inline void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}
}  // namespace

void Timestamp::append_to(std::string& out) const {
  CivilTime c = to_civil(*this);
  // Joda's dateTime() printer: year padded to 4 digits (a '-' sign before negative years), then
  // `-MM-ddTHH:mm:ss.SSSZ`; the fraction is truncated to milliseconds (Joda's precision).
  char buf[48];
  char* p = buf;
  int64_t y = c.year;
  if (y < 0) {
    *p++ = '-';
    y = -y;
  }
  char yb[24];
  int n = 0;
  do {
    yb[n++] = static_cast<char>('0' + y % 10);
    y /= 10;
  } while (y > 0);
  for (int k = n; k < 4; ++k) *p++ = '0';
  while (n > 0) *p++ = yb[--n];
  *p++ = '-';
  put2(p, c.month);
  p += 2;
  *p++ = '-';
  put2(p, c.day);
  p += 2;
  *p++ = 'T';
  put2(p, c.hour);
  p += 2;
  *p++ = ':';
  put2(p, c.minute);
  p += 2;
  *p++ = ':';
  put2(p, c.second);
  p += 2;
  *p++ = '.';
  int ms = static_cast<int>(c.nanos / 1'000'000);
  *p++ = static_cast<char>('0' + ms / 100);
  *p++ = static_cast<char>('0' + ms / 10 % 10);
  *p++ = static_cast<char>('0' + ms % 10);
  *p++ = 'Z';
  out.append(buf, p);
}

std::string Timestamp::to_string() const {
  std::string s;
  s.reserve(24);
  append_to(s);
  return s;
}

}  // namespace sluice
