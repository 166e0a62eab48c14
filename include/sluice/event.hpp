// The event: a tree of values plus @timestamp, @version, @metadata and tags.
//
// Memory: every value of an event lives in the event's own pool allocator, so parsing JSON into an
// event (the json filter, the json codecs, the beats input) builds the tree once, in place. Values
// moved into an event must have been allocated with event.allocator(). An Event is neither copyable
// nor movable (values point into its pool); events travel as std::unique_ptr<Event>.
//
// @timestamp is held twice, kept in sync by the Event: as a Timestamp (nanoseconds; what sprintf date
// patterns and outputs use) and as the string member "@timestamp" of the data object (Logstash 7's
// printed form), so serialisers treat it as an ordinary member in insertion order.
#pragma once

#include "sluice/ack.hpp"
#include "sluice/field_ref.hpp"
#include "sluice/timestamp.hpp"
#include "sluice/value.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

enum class [[nodiscard]] SetResult {
  Ok,
  NotAContainer,  // a path element below a scalar: `Could not set field 'x' on object 'y'`
  BadTags,        // `tags` set to something other than a string or an array of strings
  BadTimestamp,   // `@timestamp` set to something that is not an ISO-8601 string
};
const char* to_string(SetResult r);

class Event {
 public:
  Event();                       // @timestamp now, @version "1"
  explicit Event(Timestamp ts);  // @timestamp ts, @version "1"
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event();

  // An event from a JSON object, with Logstash's rules: `@metadata` goes to metadata; `@timestamp`
  // is parsed (unparseable: now, tag `_timestampparsefailure`, original kept in `_@timestamp`); an
  // illegal `tags` moves to `_tags` with tag `_tagsparsefailure`; `@version` defaults to "1".
  // Returns nullptr and sets *error when the text is not JSON (nesting deeper than 1000 levels
  // included: "JSON nested deeper than 1000 levels at offset N") or not an object.
  static std::unique_ptr<Event> from_json(std::string_view json, std::string* error);
  // The same from an object already parsed with this event's allocator (moved in).
  void absorb_object(Value&& object);

  Allocator& allocator() { return alloc_; }
  Value& data() { return data_; }  // the root object, "@timestamp" and "@version" included
  const Value& data() const { return data_; }
  Value& metadata() { return metadata_; }  // always an object
  const Value& metadata() const { return metadata_; }

  // Lookup by reference; nullptr when missing. Array indices are decimal, negative from the end.
  const Value* get(const FieldRef& ref) const;
  Value* get_mut(const FieldRef& ref);
  bool includes(const FieldRef& ref) const { return get(ref) != nullptr; }

  // Set, creating intermediate objects. `v` must belong to allocator().
  SetResult set(const FieldRef& ref, Value&& v);
  SetResult set_string(const FieldRef& ref, std::string_view s);
  // Remove; returns whether the field existed. If `out` is given the removed value is moved there.
  bool remove(const FieldRef& ref, Value* out = nullptr);

  // Tags.
  void tag(std::string_view t);         // add unless present (Event#tag)
  void append_tag(std::string_view t);  // always append (the add_tag decorator)
  bool has_tag(std::string_view t) const;

  std::optional<Timestamp> timestamp() const { return ts_; }
  void set_timestamp(Timestamp t);

  bool cancelled() const { return cancelled_; }
  void cancel() { cancelled_ = true; }

  // End-to-end acknowledgement (sluice/ack.hpp): the group this event counts in, released when the
  // event is destroyed. Not copied by clone().
  void attach_ack(std::shared_ptr<AckGroup> group) { ack_ = AckRef(std::move(group)); }
  AckGroup* ack_group() const { return ack_.group(); }
  AckRef take_ack() { return std::move(ack_); }

  std::unique_ptr<Event> clone() const;

  // Serialisation of the data object only (never @metadata), compact JSON, insertion order.
  void to_json(std::string& out) const;
  std::string to_json() const;

 private:
  friend struct EventAccess;
  struct NoInit {};
  explicit Event(NoInit);  // empty data object, no @timestamp/@version (from_json, clone)
  Allocator alloc_;
  Value data_;
  Value metadata_;
  std::optional<Timestamp> ts_;
  bool cancelled_ = false;
  AckRef ack_;
};

// Shared helpers for JSON text (RapidJSON writer with Logstash number forms).
void write_json(const Value& v, std::string& out);

}  // namespace sluice
