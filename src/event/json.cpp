// JSON in and out of events.
//
// Output follows Logstash's Jackson mapper: compact, `@metadata` never included (it is not part of
// the data object), strings escaped as Jackson does (`\"`, `\\`, `\b \t \n \f \r`, other control
// characters as `\u00XX` with uppercase hex; all other bytes, UTF-8 included, pass through), floats
// as Java's Double.toString, NaN/Infinity as quoted strings (Jackson's default for non-finite
// doubles). Key order is insertion order (Logstash's own order is unspecified).
//
// Input builds the tree once, directly in the event's pool allocator (rapidjson::GenericDocument
// constructed over the event's allocator; the root value is then swapped into the event).
#include "event/json_internal.hpp"
#include "sluice/event.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sluice {

namespace {

// 0: no escape; 'u': \u00XX; other: the character after the backslash.
constexpr auto kEscape = [] {
  struct Table {
    char v[256];
  } t{};
  for (int c = 0; c < 0x20; ++c) t.v[c] = 'u';
  t.v['\b'] = 'b';
  t.v['\t'] = 't';
  t.v['\n'] = 'n';
  t.v['\f'] = 'f';
  t.v['\r'] = 'r';
  t.v['"'] = '"';
  t.v['\\'] = '\\';
  return t;
}();

void write_value(const Value& v, std::string& out);

void write_number(const Value& v, std::string& out) {
  char buf[32];
  if (v.IsInt64()) {
    auto r = std::to_chars(buf, buf + sizeof buf, v.GetInt64());
    out.append(buf, r.ptr);
  } else if (v.IsUint64()) {
    auto r = std::to_chars(buf, buf + sizeof buf, v.GetUint64());
    out.append(buf, r.ptr);
  } else {
    double d = v.GetDouble();
    if (std::isfinite(d)) {
      append_java_double(d, out);
    } else {
      out.push_back('"');
      append_java_double(d, out);
      out.push_back('"');
    }
  }
}

void write_value(const Value& v, std::string& out) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out += "null";
      return;
    case rapidjson::kFalseType:
      out += "false";
      return;
    case rapidjson::kTrueType:
      out += "true";
      return;
    case rapidjson::kStringType:
      append_json_string(as_view(v), out);
      return;
    case rapidjson::kNumberType:
      write_number(v, out);
      return;
    case rapidjson::kArrayType: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.GetArray()) {
        if (!first) out.push_back(',');
        first = false;
        write_value(e, out);
      }
      out.push_back(']');
      return;
    }
    case rapidjson::kObjectType: {
      out.push_back('{');
      bool first = true;
      for (const auto& m : v.GetObject()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(as_view(m.name), out);
        out.push_back(':');
        write_value(m.value, out);
      }
      out.push_back('}');
      return;
    }
  }
}

bool same_name(const Value& a, const Value& b) {
  return a.GetStringLength() == b.GetStringLength() &&
         std::memcmp(a.GetString(), b.GetString(), a.GetStringLength()) == 0;
}

// JSON objects with repeated keys: the last value wins, as in Logstash's map (Jackson puts each
// key in turn). RapidJSON keeps every member, so earlier duplicates are erased here.
void dedupe_members(Value& v) {
  if (v.IsArray()) {
    for (auto& e : v.GetArray()) {
      if (e.IsObject() || e.IsArray()) dedupe_members(e);
    }
    return;
  }
  if (!v.IsObject()) return;
  const rapidjson::SizeType n = v.MemberCount();
  for (auto& m : v.GetObject()) {
    if (m.value.IsObject() || m.value.IsArray()) dedupe_members(m.value);
  }
  if (n < 2) return;
  std::vector<rapidjson::SizeType> doomed;
  auto begin = v.MemberBegin();
  if (n <= 32) {
    for (rapidjson::SizeType i = 0; i + 1 < n; ++i) {
      for (rapidjson::SizeType j = i + 1; j < n; ++j) {
        if (same_name(begin[i].name, begin[j].name)) {
          doomed.push_back(i);
          break;
        }
      }
    }
  } else {
    std::unordered_set<std::string_view> seen;
    seen.reserve(n);
    for (rapidjson::SizeType i = n; i-- > 0;) {
      if (!seen.insert(as_view(begin[i].name)).second) doomed.push_back(i);
    }
    std::reverse(doomed.begin(), doomed.end());
  }
  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) v.EraseMember(v.MemberBegin() + *it);
}

rapidjson::CrtAllocator& shared_stack_allocator() {
  // CrtAllocator is stateless; one shared instance avoids a heap-allocated one per parse.
  static rapidjson::CrtAllocator a;
  return a;
}

}  // namespace

void append_json_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  const char* p = s.data();
  const char* end = p + s.size();
  const char* run = p;
  for (; p < end; ++p) {
    char e = kEscape.v[static_cast<unsigned char>(*p)];
    if (e == 0) continue;
    out.append(run, p);
    if (e == 'u') {
      const unsigned char c = static_cast<unsigned char>(*p);
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(esc, 6);
    } else {
      const char esc[2] = {'\\', e};
      out.append(esc, 2);
    }
    run = p + 1;
  }
  out.append(run, end);
  out.push_back('"');
}

void write_json(const Value& v, std::string& out) { write_value(v, out); }

bool parse_json_value(std::string_view json, Allocator& alloc, Value* out, std::string* error) {
  Document d(&alloc, 1024, &shared_stack_allocator());
  d.Parse<rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
  if (d.HasParseError()) {
    if (error) {
      *error = std::string("JSON parse error at offset ") + std::to_string(d.GetErrorOffset()) + ": " +
               rapidjson::GetParseError_En(d.GetParseError());
    }
    return false;
  }
  out->Swap(d);
  dedupe_members(*out);
  return true;
}

void Event::to_json(std::string& out) const { write_value(data_, out); }

std::string Event::to_json() const {
  std::string s;
  s.reserve(256);
  to_json(s);
  return s;
}

std::unique_ptr<Event> Event::from_json(std::string_view json, std::string* error) {
  std::unique_ptr<Event> e(new Event(NoInit{}));
  Value root;
  if (!parse_json_value(json, e->alloc_, &root, error)) return nullptr;
  if (!root.IsObject()) {
    if (error) *error = "JSON value is not an object";
    return nullptr;
  }
  e->absorb_object(std::move(root));
  return e;
}

}  // namespace sluice
