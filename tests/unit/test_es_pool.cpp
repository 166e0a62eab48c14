// The elasticsearch output's hosts: URL parsing, server detection, host choice, templates.
#include "plugins/outputs/elasticsearch/pool.hpp"
#include "plugins/outputs/elasticsearch/templates.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

using namespace sluice::es;

TEST_CASE("es hosts: Logstash host spellings", "[es]") {
  std::string err;
  auto u = parse_host("//127.0.0.1", false, &err);
  REQUIRE(u);
  CHECK(u->base() == "http://127.0.0.1:9200");
  u = parse_host("es1:9201", false, &err);
  REQUIRE(u);
  CHECK(u->base() == "http://es1:9201");
  u = parse_host("es1", true, &err);
  REQUIRE(u);
  CHECK(u->base() == "https://es1:9200");
  u = parse_host("https://user:p%40ss@es.example.com/prefix/", false, &err);
  REQUIRE(u);
  CHECK(u->base() == "https://es.example.com:9200/prefix");
  CHECK(u->user == "user");
  CHECK(u->password == "p@ss");
  u = parse_host("http://[::1]:9200", false, &err);
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->base() == "http://[::1]:9200");
  u = parse_host("http://elasticsearch:9200", false, &err);
  REQUIRE(u);
  CHECK(u->base() == "http://elasticsearch:9200");
  CHECK_FALSE(parse_host("ftp://x", false, &err));
  CHECK_FALSE(parse_host("http://x:99999", false, &err));
  CHECK_FALSE(parse_host("", false, &err));
}

TEST_CASE("es hosts: server detection from GET /", "[es]") {
  std::string err;
  auto es7 = parse_server_info(R"({"name":"n","cluster_uuid":"u1","version":{"number":"7.17.29","build_flavor":"default"},
                                   "tagline":"You Know, for Search"})", &err);
  REQUIRE(es7);
  CHECK(es7->distribution == Distribution::Elasticsearch);
  CHECK(es7->major == 7);
  CHECK(es7->minor == 17);
  CHECK(es7->cluster_uuid == "u1");
  auto os2 = parse_server_info(R"({"version":{"distribution":"opensearch","number":"2.19.6"}})", &err);
  REQUIRE(os2);
  CHECK(os2->distribution == Distribution::OpenSearch);
  CHECK(os2->major == 2);
  CHECK(os2->describe() == "OpenSearch 2.19.6");
  CHECK_FALSE(parse_server_info(R"({"status":401})", &err));
  CHECK_FALSE(parse_server_info("not json", &err));
}

TEST_CASE("es hosts: least in use live host, round-robin among equals", "[es]") {
  std::vector<HostView> h{{true, 0}, {true, 0}, {true, 0}};
  CHECK(choose_host(h, 0) == 0);
  CHECK(choose_host(h, 1) == 1);
  CHECK(choose_host(h, 2) == 2);
  CHECK(choose_host(h, 3) == 0);
  h[0].in_use = 1;
  CHECK(choose_host(h, 0) == 1);
  h[1].alive = false;
  CHECK(choose_host(h, 0) == 2);
  h[2].in_use = 5;
  CHECK(choose_host(h, 0) == 0);
  std::vector<HostView> dead{{false, 0}, {false, 0}};
  CHECK(choose_host(dead, 0) == -1);
  CHECK(choose_host({}, 0) == -1);
}

TEST_CASE("es hosts: dead hosts are skipped until marked alive", "[es]") {
  HostPool pool({*parse_host("a", false, nullptr), *parse_host("b", false, nullptr)}, {});
  CHECK_FALSE(pool.acquire());  // unknown hosts are not used before a health check
  pool.mark_alive(1, ServerInfo{});
  {
    auto l = pool.acquire();
    REQUIRE(l);
    CHECK(l.host() == 1);
  }
  pool.mark_alive(0, ServerInfo{});
  auto l1 = pool.acquire();
  auto l2 = pool.acquire();
  REQUIRE(l1);
  REQUIRE(l2);
  CHECK(l1.host() != l2.host());  // one request in flight on each
  CHECK(pool.mark_dead(0));
  CHECK_FALSE(pool.mark_dead(0));
  CHECK(pool.alive_count() == 1);
}

TEST_CASE("es templates: Logstash's default ES 7 template", "[es]") {
  ServerInfo es7;
  es7.major = 7;
  ServerInfo es8;
  es8.major = 8;
  ServerInfo os2;
  os2.distribution = Distribution::OpenSearch;
  os2.major = 2;
  CHECK(choose_template_api(es7, "auto") == TemplateApi::Legacy);
  CHECK(choose_template_api(es8, "auto") == TemplateApi::Composable);
  CHECK(choose_template_api(os2, "auto") == TemplateApi::Legacy);
  CHECK(choose_template_api(es8, "legacy") == TemplateApi::Legacy);
  CHECK(template_endpoint(TemplateApi::Legacy, "logstash") == "/_template/logstash");
  CHECK(template_endpoint(TemplateApi::Composable, "logstash") == "/_index_template/logstash");
  CHECK(default_template_name("disabled") == "logstash");
  CHECK(default_index("disabled") == "logstash-%{+yyyy.MM.dd}");
  CHECK(default_index("v8") == "ecs-logstash-%{+yyyy.MM.dd}");

  rapidjson::Document d;
  const std::string legacy = default_template(TemplateApi::Legacy, "logstash-*");
  d.Parse(legacy.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["index_patterns"].GetString()) == "logstash-*");
  CHECK(d["version"].GetInt() == 60001);
  CHECK(std::string(d["settings"]["index.refresh_interval"].GetString()) == "5s");
  const auto& dt = d["mappings"]["dynamic_templates"];
  REQUIRE(dt.Size() == 2);
  CHECK(std::string(dt[0]["message_field"]["path_match"].GetString()) == "message");
  CHECK(dt[0]["message_field"]["mapping"]["norms"].GetBool() == false);
  CHECK_FALSE(dt[0]["message_field"]["mapping"].HasMember("fields"));
  CHECK(dt[1]["string_fields"]["mapping"]["fields"]["keyword"]["ignore_above"].GetInt() == 256);
  CHECK(std::string(d["mappings"]["properties"]["@timestamp"]["type"].GetString()) == "date");
  CHECK(std::string(d["mappings"]["properties"]["@version"]["type"].GetString()) == "keyword");
  CHECK(std::string(d["mappings"]["properties"]["geoip"]["properties"]["location"]["type"].GetString()) == "geo_point");

  const std::string composable = default_template(TemplateApi::Composable, "logstash-*");
  d.Parse(composable.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d["priority"].GetInt() == 200);
  CHECK(d["template"]["mappings"]["dynamic_templates"].Size() == 2);
}
