// The _bulk wire format: action/source lines, request splitting, gzip, response parsing, and the
// retry schedule. Pure functions over bytes, unit-tested byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::es {

// Logstash's TARGET_BULK_BYTES: a request is sent before it would grow past this many uncompressed
// bytes; a single larger entry goes alone.
inline constexpr std::size_t kTargetBulkBytes = 20 * 1024 * 1024;

enum class ActionKind : uint8_t { Index, Create, Update, Delete };
std::optional<ActionKind> parse_action(std::string_view s);
const char* to_string(ActionKind a);

// The parameters of one action line, in the key order Logstash writes them: _id, _index, routing
// (the three always present, null when unset), pipeline, _type, retry_on_conflict (update only),
// version, version_type.
struct ActionParams {
  ActionKind action = ActionKind::Index;
  std::optional<std::string> id;
  std::string index;
  std::optional<std::string> routing;
  std::optional<std::string> pipeline;  // omitted when absent
  std::optional<std::string> type;      // omitted when absent
  int retry_on_conflict = -1;           // written for update when >= 0
  std::optional<std::string> version;
  std::optional<std::string> version_type;
};

struct UpdateOptions {
  bool doc_as_upsert = false;
  std::string_view upsert_json;  // non-empty: {"doc":...,"upsert":<this>}
};

// Appends `s` as a JSON string literal (quotes included). Invalid UTF-8 bytes become U+FFFD, as
// Logstash scrubs them before writing.
void append_json_string(std::string& out, std::string_view s);

// Appends one bulk entry: the action line and, except for delete, the source line, each ending in
// '\n'. `source_json` is the event's JSON object (no @metadata).
void append_bulk_entry(std::string& out, const ActionParams& p, std::string_view source_json,
                       const UpdateOptions& update = {});

// Groups consecutive entries into requests of at most `limit` bytes: a request is closed before an
// entry that would take it past the limit, unless it is still empty. Returns [first, last) ranges.
std::vector<std::pair<std::size_t, std::size_t>> split_bulk(const std::vector<std::size_t>& entry_sizes,
                                                            std::size_t limit = kTargetBulkBytes);

// gzip (RFC 1952) of `in` at `level` (1-9), appended to `out`.
void gzip_compress(std::string_view in, std::string& out, int level);

// One item of a _bulk response.
struct ItemResult {
  int status = 0;
  std::string error_type;    // error.type, empty on success
  std::string error_reason;  // error.reason (+ caused_by reason), empty on success
};

enum class [[nodiscard]] ResponseParse : uint8_t {
  Ok,
  Malformed,      // not JSON, or no `items` array
  CountMismatch,  // errors true: items.size() != number of actions sent (the whole request is retried)
};

// Parses a _bulk response body. As Logstash's submit does, a (valid JSON) response with
// `"errors":false` means every action succeeded: `out` gets `expected_items` results with status 200
// and `items` is not read (so its length does not matter). Otherwise (`errors` true or absent) `out`
// gets one ItemResult per item, in request order, and a count mismatch fails the request.
ResponseParse parse_bulk_response(std::string_view body, std::size_t expected_items, std::vector<ItemResult>& out,
                                  std::string* error);

// What the output does with an item, from its status (Logstash 7.17's rules).
enum class [[nodiscard]] ItemOutcome : uint8_t {
  Success,   // 200, 201
  Conflict,  // 409: version conflict (create on an existing id): dropped, counted
  Reject,    // 400, 404: mapping/parse errors; never retried (dead letter queue candidates)
  Retry,     // everything else: 429, 403 (read-only index), 5xx...
};
ItemOutcome classify_item(int status);

// Exponential backoff: initial, 2x, 4x ... capped at max (Logstash: 2, 4, 8, 16, 32, 64, 64 ...).
class Backoff {
 public:
  Backoff(double initial_s, double max_s) : initial_(initial_s), max_(max_s), next_(initial_s) {}
  double next() {  // the interval to sleep now; doubles the following one
    const double cur = next_ > max_ ? max_ : next_;
    next_ = cur * 2;
    return cur;
  }
  void reset() { next_ = initial_; }

 private:
  double initial_, max_, next_;
};

}  // namespace sluice::es
