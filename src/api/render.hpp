// Internal to src/api: the JSON builders shared by routes.cpp, render.cpp and health.cpp. Every
// block is built as a RapidJSON value in one document's allocator, in Logstash's key order, so
// that the router can filter keys and merge the metadata before one Writer/PrettyWriter pass.
#pragma once

#include "api/api.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace sluice::api::detail {

using Value = rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

// Appends members to objects and elements to arrays, copying every string into the allocator.
class Json {
 public:
  explicit Json(Alloc& a) : a_(a) {}
  Alloc& alloc() { return a_; }

  static Value object() { return Value(rapidjson::kObjectType); }
  static Value array() { return Value(rapidjson::kArrayType); }
  Value str(std::string_view s) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a_); }

  template <class T>
  Value of(const T& v) {
    if constexpr (std::is_same_v<T, Value>) {
      return Value(v, a_);
    } else if constexpr (std::is_same_v<T, bool>) {
      return Value(v);
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
      return Value();
    } else if constexpr (std::is_floating_point_v<T>) {
      return Value(static_cast<double>(v));
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      return Value(static_cast<int64_t>(v));
    } else if constexpr (std::is_integral_v<T>) {
      return Value(static_cast<uint64_t>(v));
    } else {
      return str(std::string_view(v));
    }
  }

  void put(Value& obj, std::string_view key, Value&& v) { obj.AddMember(str(key), v, a_); }
  template <class T>
  void put(Value& obj, std::string_view key, const T& v) {
    put(obj, key, of(v));
  }
  void push(Value& arr, Value&& v) { arr.PushBack(v, a_); }

 private:
  Alloc& a_;
};

// What every renderer reads: the snapshot, the clock and the document being built.
struct Ctx {
  const NodeSnapshot& node;
  int64_t now_ms;
  Json& j;
};

// ---- render.cpp ----
Value default_metadata(Ctx& c);  // host ... pipeline{workers, batch_size, batch_delay}
Value base_info(Ctx& c);         // host, version, http_address, id, name, ephemeral_id, snapshot
Value build_info(Ctx& c);        // build_date, build_sha, build_snapshot
Value node_os(Ctx& c);
Value node_jvm(Ctx& c);
Value node_pipeline(Ctx& c, const PipelineSnapshot& p, bool graph);
Value stats_jvm(Ctx& c);
Value stats_jvm_memory(Ctx& c);
Value stats_process(Ctx& c);
Value stats_events(Ctx& c);
Value stats_flow(Ctx& c);
Value stats_pipeline(Ctx& c, const PipelineSnapshot& p, bool vertices);
Value stats_reloads(Ctx& c);
Value stats_queue(Ctx& c);
Value plugins_list(Ctx& c);
// {time, busiest_threads, threads:[...]}; *text gets the `human=true` form.
Value hot_threads(Ctx& c, int top, std::string* text);

// ---- health.cpp ----
Value health_report(Ctx& c);  // status, symptom, indicators (without the metadata and timestamp)
std::string pipelines_status(const NodeSnapshot& node);  // the worst status of the pipeline probes

// ---- shared formatting ----
std::string iso8601_utc_ms(int64_t epoch_ms);    // 2026-12-06T13:00:00.123Z
std::string iso8601_local_s(int64_t epoch_ms);   // 2017-06-06T18:25:28-07:00 (Ruby Time#iso8601)
// A flow rate as Logstash prints it: 4 significant digits (BigDecimal MathContext(4, HALF_UP)),
// infinities as the strings "Infinity" / "-Infinity".
Value flow_number(Json& j, double rate);

}  // namespace sluice::api::detail
