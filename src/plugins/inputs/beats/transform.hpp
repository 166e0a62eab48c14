// Beats data frames to Logstash events, as logstash-input-beats' message listener and event
// transforms build them (lib/logstash/inputs/beats/{message_listener,decoded_event_transform,
// raw_event_transform,event_transform_common}.rb):
//
//  1. source metadata: the peer IP goes into the beat's own `@metadata` hash as `ip_address` (ECS
//     disabled; only when the beat sent `@metadata`, as the 7.x input does), or to
//     `[@metadata][input][beats][host][ip]` (ECS v1/v8).
//  2. A non-null `message` (Filebeat) or else `line` (logstash-forwarder / v1 clients) is removed and
//     its string form fed to the connection's codec; each codec event gets the beat's `@timestamp`
//     (unparseable: a warning, the current time), then every other key of the beat's hash (hashes
//     merged one level into what the codec produced), then `add_hostname`, the input's common
//     decorations (type, tags, add_field), then the tag `beats_input_codec_<codec>_applied`.
//     The default `plain` codec takes a fast path: the JSON is parsed once, straight into the
//     event's allocator, and reused as the event's tree (same result as the codec path).
//  3. Without `message`/`line` (Metricbeat and friends) the hash is the event (core rules for
//     `@metadata`, `@timestamp`, `tags`), then `add_hostname`, decorations, tag `beats_input_raw_event`.
//
// One EventBuilder per connection (it owns the connection's codec); not thread safe.
#pragma once

#include "sluice/event.hpp"
#include "sluice/field_ref.hpp"
#include "sluice/log.hpp"
#include "sluice/plugin.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::beats {

struct TransformSettings {
  bool ecs = false;              // ecs_compatibility v1/v8 (false: disabled)
  bool add_hostname = false;     // copy [beat][hostname] to the host field when absent
  bool codec_tag = true;         // enrich codec_metadata (include_codec_tag)
  bool source_metadata = true;   // enrich source_metadata: the peer IP
  bool event_original = false;   // plain fast path: set [event][original] (ECS and codec_metadata)
  std::string codec_name = "plain";
  bool plain_fast_path = true;   // the codec is plain with default settings
  std::string plugin_id;         // for log lines
  std::string pipeline_id = "main";
};

class EventBuilder {
 public:
  // `codec`: this connection's codec instance (unused on the plain fast path; may be null then).
  // `peer_ip`: the client's address as text, empty if unknown.
  EventBuilder(const TransformSettings& settings, std::unique_ptr<Codec> codec, std::string peer_ip);

  // Builds the event(s) of one J frame and appends them to `out`, each already decorated through
  // ctx.decorate() (so they are to be enqueued with ctx.push_decorated()). Returns false and sets
  // *error if the payload is not a JSON object; `out` is then unchanged.
  bool build_json(std::string_view json, InputContext& ctx, std::vector<std::unique_ptr<Event>>& out,
                  std::string* error);
  // The same for a v1 D frame's key/value pairs (encoded as decoder.hpp's for_each_pair reads them).
  bool build_pairs(std::string_view payload, uint32_t pairs, InputContext& ctx,
                   std::vector<std::unique_ptr<Event>>& out, std::string* error);
  // End of the connection: events a buffering codec still holds.
  void flush(InputContext& ctx, std::vector<std::unique_ptr<Event>>& out);

 private:
  void build_from_root(std::unique_ptr<Event> ev, Value&& root, InputContext& ctx,
                       std::vector<std::unique_ptr<Event>>& out);
  void finish(Event& e, InputContext& ctx, std::string_view tag);

  const TransformSettings& s_;
  std::unique_ptr<Codec> codec_;
  std::string ip_;
  std::string codec_tag_;
  FieldRef beat_hostname_;
  FieldRef host_field_;
  FieldRef ecs_ip_;
  log::RateLimited ts_warning_{10'000};
};

}  // namespace sluice::beats
