// The elasticsearch output's wire format: action lines byte for byte, splitting, gzip, responses,
// item classification and the retry schedule.
#include "plugins/outputs/elasticsearch/bulk.hpp"

#include "gzip_test_util.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <string>
#include <vector>

using namespace sluice::es;

using sluice::testutil::gunzip;

TEST_CASE("es bulk: default index action line is Logstash 7.17's bytes", "[es]") {
  ActionParams p;
  p.index = "nest-logs-2025.03.01";
  std::string out;
  append_bulk_entry(out, p, R"({"message":"hi","@version":"1","@timestamp":"2025-03-01T00:00:00.000Z"})");
  CHECK(out ==
        "{\"index\":{\"_id\":null,\"_index\":\"nest-logs-2025.03.01\",\"routing\":null}}\n"
        "{\"message\":\"hi\",\"@version\":\"1\",\"@timestamp\":\"2025-03-01T00:00:00.000Z\"}\n");
}

TEST_CASE("es bulk: id, routing, pipeline, _type, version keep Logstash's key order", "[es]") {
  ActionParams p;
  p.action = ActionKind::Create;
  p.id = "abc";
  p.index = "i";
  p.routing = "r\"1";
  p.pipeline = "pl";
  p.type = "_doc";
  p.version = "3";
  p.version_type = "external";
  std::string out;
  append_bulk_entry(out, p, "{}");
  CHECK(out ==
        "{\"create\":{\"_id\":\"abc\",\"_index\":\"i\",\"routing\":\"r\\\"1\",\"pipeline\":\"pl\",\"_type\":\"_doc\","
        "\"version\":\"3\",\"version_type\":\"external\"}}\n{}\n");
}

TEST_CASE("es bulk: update wraps the source; doc_as_upsert and upsert; retry_on_conflict", "[es]") {
  ActionParams p;
  p.action = ActionKind::Update;
  p.id = "1";
  p.index = "i";
  p.retry_on_conflict = 1;
  std::string out;
  append_bulk_entry(out, p, R"({"a":1})");
  CHECK(out == "{\"update\":{\"_id\":\"1\",\"_index\":\"i\",\"routing\":null,\"retry_on_conflict\":1}}\n{\"doc\":{\"a\":1}}\n");
  out.clear();
  append_bulk_entry(out, p, R"({"a":1})", UpdateOptions{true, {}});
  CHECK(out.substr(out.find('\n') + 1) == "{\"doc\":{\"a\":1},\"doc_as_upsert\":true}\n");
  out.clear();
  append_bulk_entry(out, p, R"({"a":1})", UpdateOptions{false, R"({"a":0})"});
  CHECK(out.substr(out.find('\n') + 1) == "{\"doc\":{\"a\":1},\"upsert\":{\"a\":0}}\n");
}

TEST_CASE("es bulk: retry_on_conflict only on update; delete has no source line", "[es]") {
  ActionParams p;
  p.action = ActionKind::Delete;
  p.id = "x";
  p.index = "i";
  p.retry_on_conflict = 1;
  std::string out;
  append_bulk_entry(out, p, R"({"ignored":true})");
  CHECK(out == "{\"delete\":{\"_id\":\"x\",\"_index\":\"i\",\"routing\":null}}\n");
}

TEST_CASE("es bulk: JSON strings escape control characters and scrub invalid UTF-8", "[es]") {
  std::string out;
  append_json_string(out, std::string("a\n\t\x01\\\"\xC3\xA9\xFF" "b", 10));
  CHECK(out == "\"a\\n\\t\\u0001\\\\\\\"\xC3\xA9\xEF\xBF\xBD" "b\"");
  out.clear();
  append_json_string(out, "\xE2\x82");  // truncated sequence
  CHECK(out == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  out.clear();
  append_json_string(out, "\xED\xA0\x80");  // a UTF-16 surrogate is not valid UTF-8
  CHECK(out == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("es bulk: actions parse", "[es]") {
  CHECK(parse_action("index") == ActionKind::Index);
  CHECK(parse_action("create") == ActionKind::Create);
  CHECK(parse_action("update") == ActionKind::Update);
  CHECK(parse_action("delete") == ActionKind::Delete);
  CHECK_FALSE(parse_action("upsert"));
  CHECK_FALSE(parse_action("Index"));
}

TEST_CASE("es bulk: requests split before 20 MiB, a single large entry goes alone", "[es]") {
  using R = std::vector<std::pair<std::size_t, std::size_t>>;
  CHECK(split_bulk({}, 100).empty());
  CHECK(split_bulk({10, 20, 30}, 100) == R{{0, 3}});
  CHECK(split_bulk({50, 50, 1}, 100) == R{{0, 2}, {2, 3}});  // exactly the limit still fits
  CHECK(split_bulk({150, 10, 85, 200}, 100) == R{{0, 1}, {1, 3}, {3, 4}});
  // Logstash's integration case: 1000 events just over 20 MiB in total -> two requests.
  std::vector<std::size_t> sizes(1000, kTargetBulkBytes / 1000 + 1);
  auto r = split_bulk(sizes);
  REQUIRE(r.size() == 2);
  CHECK(r[0].second == r[1].first);
  std::size_t total = 0;
  for (std::size_t i = r[0].first; i < r[0].second; ++i) total += sizes[i];
  CHECK(total <= kTargetBulkBytes);
  CHECK(kTargetBulkBytes == 20971520);
}

TEST_CASE("es bulk: gzip round trip", "[es]") {
  std::string body;
  for (int i = 0; i < 1000; ++i) body += "{\"index\":{\"_id\":null,\"_index\":\"x\",\"routing\":null}}\n{\"n\":" + std::to_string(i) + "}\n";
  std::string gz;
  gzip_compress(body, gz, 1);
  CHECK(gz.size() < body.size() / 4);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gunzip(gz) == body);
}

TEST_CASE("es bulk: response items parsed in order with status and error", "[es]") {
  const std::string body = R"({"took":30,"errors":true,"items":[
    {"index":{"_index":"nest-logs-2025.03.01","_type":"_doc","_id":"Aa1","_version":1,"result":"created","status":201}},
    {"index":{"_index":"nest-logs-2025.03.01","_type":"_doc","_id":"Bb2","status":400,
      "error":{"type":"mapper_parsing_exception","reason":"failed to parse field [snmp.vars] of type [float]",
               "caused_by":{"type":"number_format_exception","reason":"multiple points"}}}},
    {"create":{"_index":"x","_id":"c","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[c]: version conflict"}}},
    {"index":{"_index":"x","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}},
    {"update":{"_index":"x","_id":"d","status":200,"result":"updated"}}]})";
  std::vector<ItemResult> items;
  std::string err;
  REQUIRE(parse_bulk_response(body, 5, items, &err) == ResponseParse::Ok);
  REQUIRE(items.size() == 5);
  CHECK(items[0].status == 201);
  CHECK(items[0].error_type.empty());
  CHECK(items[1].status == 400);
  CHECK(items[1].error_type == "mapper_parsing_exception");
  CHECK(items[1].error_reason ==
        "failed to parse field [snmp.vars] of type [float] (caused by number_format_exception: multiple points)");
  CHECK(items[2].status == 409);
  CHECK(items[3].status == 429);
  CHECK(items[4].status == 200);
  CHECK(classify_item(items[0].status) == ItemOutcome::Success);
  CHECK(classify_item(items[1].status) == ItemOutcome::Reject);
  CHECK(classify_item(items[2].status) == ItemOutcome::Conflict);
  CHECK(classify_item(items[3].status) == ItemOutcome::Retry);
  CHECK(classify_item(items[4].status) == ItemOutcome::Success);
}

TEST_CASE("es bulk: item statuses map to Logstash's outcomes", "[es]") {
  CHECK(classify_item(404) == ItemOutcome::Reject);
  CHECK(classify_item(403) == ItemOutcome::Retry);  // read-only index (flood stage): retried forever
  CHECK(classify_item(500) == ItemOutcome::Retry);
  CHECK(classify_item(502) == ItemOutcome::Retry);
  CHECK(classify_item(503) == ItemOutcome::Retry);
  CHECK(classify_item(0) == ItemOutcome::Retry);  // an item without status
}

TEST_CASE("es bulk: malformed responses and count mismatches are request failures", "[es]") {
  std::vector<ItemResult> items;
  std::string err;
  CHECK(parse_bulk_response("", 1, items, &err) == ResponseParse::Malformed);
  CHECK(parse_bulk_response("<html>", 1, items, &err) == ResponseParse::Malformed);
  CHECK(parse_bulk_response(R"({"took":1})", 1, items, &err) == ResponseParse::Malformed);
  CHECK(parse_bulk_response(R"({"errors":true,"items":[{"index":{"status":201}}]})", 2, items, &err) ==
        ResponseParse::CountMismatch);
  CHECK(err == "Sent 2 documents but Elasticsearch returned 1 responses (likely a bug with _bulk endpoint)");
  // Without the errors flag the items are read as well.
  CHECK(parse_bulk_response(R"({"items":[{"index":{"status":201}}]})", 2, items, &err) == ResponseParse::CountMismatch);
  CHECK(parse_bulk_response(R"({"errors":"no","items":[{"index":{"status":429}}]})", 1, items, &err) ==
        ResponseParse::Ok);
  CHECK(items[0].status == 429);
  // An OpenSearch / ES 8 response (no _type) parses the same.
  CHECK(parse_bulk_response(R"({"took":2,"errors":true,"items":[{"index":{"_index":"a","_id":"x","status":201}}]})", 1,
                            items, &err) == ResponseParse::Ok);
  CHECK(items[0].status == 201);
}

TEST_CASE("es bulk: errors false means every action succeeded, items unread (Logstash's submit)", "[es]") {
  std::vector<ItemResult> items;
  std::string err;
  // A fast sink's answer: no items at all.
  REQUIRE(parse_bulk_response(R"({"took":1,"errors":false,"items":[]})", 3, items, &err) == ResponseParse::Ok);
  REQUIRE(items.size() == 3);
  for (const auto& r : items) CHECK(classify_item(r.status) == ItemOutcome::Success);
  // Fewer items than actions, or item statuses that would otherwise be retried: still all successes.
  REQUIRE(parse_bulk_response(R"({"took":2,"errors":false,"items":[{"index":{"status":429}}]})", 2, items, &err) ==
          ResponseParse::Ok);
  REQUIRE(items.size() == 2);
  CHECK(classify_item(items[0].status) == ItemOutcome::Success);
  CHECK(classify_item(items[1].status) == ItemOutcome::Success);
  // No items member at all, errors after items, whitespace: the flag is what counts.
  CHECK(parse_bulk_response(R"({"errors":false})", 1, items, &err) == ResponseParse::Ok);
  CHECK(parse_bulk_response(" {\"items\":[{\"index\":{\"errors\":true}}], \"errors\" : false}\n", 1, items, &err) ==
        ResponseParse::Ok);
  // A nested "errors":false is not the top-level flag.
  CHECK(parse_bulk_response(R"({"errors":true,"x":{"errors":false},"items":[{"index":{"status":503}}]})", 1, items,
                            &err) == ResponseParse::Ok);
  CHECK(items[0].status == 503);
  // errors true keeps the item-by-item handling, where a count mismatch fails the request.
  CHECK(parse_bulk_response(R"({"errors":true,"items":[]})", 1, items, &err) == ResponseParse::CountMismatch);
  // Invalid JSON is never taken for success, even with the flag in it.
  CHECK(parse_bulk_response(R"({"errors":false,"items":[)", 1, items, &err) == ResponseParse::Malformed);
  CHECK(parse_bulk_response(R"([{"errors":false}])", 1, items, &err) == ResponseParse::Malformed);
}

TEST_CASE("es bulk: backoff doubles from the initial interval and caps (2,4,...,64,64)", "[es]") {
  Backoff b(2, 64);
  std::vector<double> got;
  for (int i = 0; i < 8; ++i) got.push_back(b.next());
  CHECK(got == std::vector<double>{2, 4, 8, 16, 32, 64, 64, 64});
  b.reset();
  CHECK(b.next() == 2);
  Backoff odd(3, 10);
  CHECK(odd.next() == 3);
  CHECK(odd.next() == 6);
  CHECK(odd.next() == 10);
  CHECK(odd.next() == 10);
}
