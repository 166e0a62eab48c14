#include "plugins/outputs/elasticsearch/bulk.hpp"

#include "event/json_internal.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <zlib.h>

#include <stdexcept>

namespace sluice::es {

std::optional<ActionKind> parse_action(std::string_view s) {
  if (s == "index") return ActionKind::Index;
  if (s == "create") return ActionKind::Create;
  if (s == "update") return ActionKind::Update;
  if (s == "delete") return ActionKind::Delete;
  return std::nullopt;
}

const char* to_string(ActionKind a) {
  switch (a) {
    case ActionKind::Index: return "index";
    case ActionKind::Create: return "create";
    case ActionKind::Update: return "update";
    case ActionKind::Delete: return "delete";
  }
  return "index";
}

namespace {

// Length of a valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t utf8_len(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1F; }
  else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0F; }
  else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

void append_optional(std::string& out, std::string_view key, const std::optional<std::string>& v) {
  out += ",\"";
  out += key;
  out += "\":";
  if (v) append_json_string(out, *v);
  else out += "null";
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
      ++i;
      continue;
    }
    const size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  out.push_back('"');
}

void append_bulk_entry(std::string& out, const ActionParams& p, std::string_view source_json,
                       const UpdateOptions& update) {
  out += "{\"";
  out += to_string(p.action);
  out += "\":{\"_id\":";
  if (p.id) append_json_string(out, *p.id);
  else out += "null";
  out += ",\"_index\":";
  append_json_string(out, p.index);
  append_optional(out, "routing", p.routing);
  if (p.pipeline) append_optional(out, "pipeline", p.pipeline);
  if (p.type) append_optional(out, "_type", p.type);
  if (p.action == ActionKind::Update && p.retry_on_conflict >= 0) {
    out += ",\"retry_on_conflict\":";
    out += std::to_string(p.retry_on_conflict);
  }
  if (p.version) append_optional(out, "version", p.version);
  if (p.version_type) append_optional(out, "version_type", p.version_type);
  out += "}}\n";
  switch (p.action) {
    case ActionKind::Delete:
      return;
    case ActionKind::Update:
      out += "{\"doc\":";
      out += source_json;
      if (!update.upsert_json.empty()) {
        out += ",\"upsert\":";
        out += update.upsert_json;
      } else if (update.doc_as_upsert) {
        out += ",\"doc_as_upsert\":true";
      }
      out += "}\n";
      return;
    default:
      out += source_json;
      out += '\n';
  }
}

std::vector<std::pair<size_t, size_t>> split_bulk(const std::vector<size_t>& entry_sizes, size_t limit) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t first = 0;
  size_t bytes = 0;
  for (size_t i = 0; i < entry_sizes.size(); ++i) {
    if (i > first && bytes + entry_sizes[i] > limit) {
      out.emplace_back(first, i);
      first = i;
      bytes = 0;
    }
    bytes += entry_sizes[i];
  }
  if (first < entry_sizes.size()) out.emplace_back(first, entry_sizes.size());
  return out;
}

void gzip_compress(std::string_view in, std::string& out, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  const size_t start = out.size();
  out.resize(start + deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data() + start);
  zs.avail_out = static_cast<uInt>(out.size() - start);
  const int rc = deflate(&zs, Z_FINISH);
  const size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  out.resize(start + produced);
}

namespace {

// SAX handler that validates the whole body without building a DOM and remembers the value of the
// top-level "errors" member when it is a boolean.
struct TopLevelErrors : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TopLevelErrors> {
  int depth = 0;
  bool object_root = false;
  bool errors_key = false;   // the last top-level key read was "errors"
  int errors_value = -1;     // -1: absent / not a boolean, 0: false, 1: true

  bool Default() {
    errors_key = false;
    return true;
  }
  bool Bool(bool b) {
    if (depth == 1 && errors_key) errors_value = b ? 1 : 0;
    errors_key = false;
    return true;
  }
  bool StartObject() {
    if (depth == 0) object_root = true;
    errors_key = false;
    ++depth;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    errors_key = depth == 1 && std::string_view(s, n) == "errors";
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() {
    errors_key = false;
    ++depth;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
};

}  // namespace

ResponseParse parse_bulk_response(std::string_view body, size_t expected_items, std::vector<ItemResult>& out,
                                  std::string* error) {
  out.clear();
  {
    // Logstash's submit: `"errors": false` means every action succeeded; `items` is not looked at
    // (neither its statuses nor its length). Only a body with errors true (or without the flag) is
    // read item by item below.
    TopLevelErrors h;
    rapidjson::Reader reader;
    rapidjson::MemoryStream ms(body.data(), body.size());
    // Iterative (no recursion per nesting level); numbers as text (not looked at, and RapidJSON's own
    // conversion overflows an int on exponents like 1e-2147483647).
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
    if (reader.Parse<kFlags>(ms, h) && h.object_root && h.errors_value == 0) {
      ItemResult ok;
      ok.status = 200;
      out.assign(expected_items, ok);
      return ResponseParse::Ok;
    }
  }
  rapidjson::Document doc;
  JsonError parse_error;
  if (!parse_json_document(body, doc, &parse_error) || !doc.IsObject()) {
    if (error) *error = parse_error.failed() ? "invalid JSON: " + parse_error.reason() : std::string("not a JSON object");
    return ResponseParse::Malformed;
  }
  auto items = doc.FindMember("items");
  if (items == doc.MemberEnd() || !items->value.IsArray()) {
    if (error) *error = "no items array in the bulk response";
    return ResponseParse::Malformed;
  }
  const auto& arr = items->value;
  if (arr.Size() != expected_items) {
    if (error) {
      *error = "Sent " + std::to_string(expected_items) + " documents but Elasticsearch returned " +
               std::to_string(arr.Size()) + " responses (likely a bug with _bulk endpoint)";
    }
    return ResponseParse::CountMismatch;
  }
  out.resize(arr.Size());
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
    const auto& wrapper = arr[i];
    if (!wrapper.IsObject() || wrapper.MemberCount() == 0) continue;  // status 0: retried
    const auto& item = wrapper.MemberBegin()->value;  // keyed by the action name
    if (!item.IsObject()) continue;
    ItemResult& r = out[i];
    auto st = item.FindMember("status");
    if (st != item.MemberEnd() && st->value.IsInt()) r.status = st->value.GetInt();
    auto err = item.FindMember("error");
    if (err != item.MemberEnd()) {
      if (err->value.IsObject()) {
        auto t = err->value.FindMember("type");
        if (t != err->value.MemberEnd() && t->value.IsString()) r.error_type = t->value.GetString();
        auto reason = err->value.FindMember("reason");
        if (reason != err->value.MemberEnd() && reason->value.IsString()) r.error_reason = reason->value.GetString();
        auto cause = err->value.FindMember("caused_by");
        if (cause != err->value.MemberEnd() && cause->value.IsObject()) {
          auto cr = cause->value.FindMember("reason");
          auto ct = cause->value.FindMember("type");
          if (cr != cause->value.MemberEnd() && cr->value.IsString()) {
            r.error_reason += " (caused by ";
            if (ct != cause->value.MemberEnd() && ct->value.IsString()) {
              r.error_reason += ct->value.GetString();
              r.error_reason += ": ";
            }
            r.error_reason += cr->value.GetString();
            r.error_reason += ")";
          }
        }
      } else if (err->value.IsString()) {
        r.error_reason = err->value.GetString();
      }
    }
  }
  return ResponseParse::Ok;
}

ItemOutcome classify_item(int status) {
  if (status == 200 || status == 201) return ItemOutcome::Success;
  if (status == 409) return ItemOutcome::Conflict;
  if (status == 400 || status == 404) return ItemOutcome::Reject;
  return ItemOutcome::Retry;
}

}  // namespace sluice::es
