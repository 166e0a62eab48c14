// One dead letter queue entry (Logstash's DLQEntry): the event as it was when the plugin gave up on
// it, which plugin (type and id), why, and when it was written. Entries are the payloads that
// src/dlq/segment_format.hpp frames into segment records; their layout is in src/dlq/FORMAT.md.
#pragma once

#include "sluice/event.hpp"
#include "sluice/timestamp.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::dlq {

inline constexpr uint8_t kEntryVersion = 1;

struct Entry {
  Timestamp entry_time;
  std::string plugin_type;
  std::string plugin_id;
  std::string reason;
  std::unique_ptr<Event> event;
};

// Appends the serialized entry to `out`. False (and `out` unchanged) if the event cannot be
// serialized (nesting deeper than the event codec allows).
bool encode_entry(const Event& e, std::string_view plugin_type, std::string_view plugin_id, std::string_view reason,
                  Timestamp entry_time, std::string& out);

// Decodes an entry; false with *error set when the bytes are not a valid entry.
bool decode_entry(std::string_view bytes, Entry* out, std::string* error);

// The entry time alone (the first field), without decoding the event.
std::optional<Timestamp> peek_entry_time(std::string_view bytes);

}  // namespace sluice::dlq
