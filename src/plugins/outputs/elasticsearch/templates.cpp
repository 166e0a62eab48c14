#include "plugins/outputs/elasticsearch/templates.hpp"

#include "plugins/outputs/elasticsearch/bulk.hpp"  // append_json_string

namespace sluice::es {

namespace {

// Settings and mappings of the default template: Logstash's ECS-disabled template for Elasticsearch
// 7 (template version 60001 in the legacy form, 80001 in the composable one).
constexpr std::string_view kSettings = R"({"index.refresh_interval":"5s","number_of_shards":1})";

constexpr std::string_view kMappings = R"({
    "dynamic_templates": [
      {"message_field": {
        "path_match": "message",
        "match_mapping_type": "string",
        "mapping": {"type": "text", "norms": false}
      }},
      {"string_fields": {
        "match": "*",
        "match_mapping_type": "string",
        "mapping": {
          "type": "text", "norms": false,
          "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}
        }
      }}
    ],
    "properties": {
      "@timestamp": {"type": "date"},
      "@version": {"type": "keyword"},
      "geoip": {
        "dynamic": true,
        "properties": {
          "ip": {"type": "ip"},
          "location": {"type": "geo_point"},
          "latitude": {"type": "half_float"},
          "longitude": {"type": "half_float"}
        }
      }
    }
  })";

}  // namespace

TemplateApi choose_template_api(const ServerInfo& server, std::string_view option) {
  if (option == "legacy") return TemplateApi::Legacy;
  if (option == "composable") return TemplateApi::Composable;
  if (server.distribution == Distribution::Elasticsearch && server.major >= 8) return TemplateApi::Composable;
  return TemplateApi::Legacy;
}

std::string template_endpoint(TemplateApi api, std::string_view name) {
  return std::string(api == TemplateApi::Composable ? "/_index_template/" : "/_template/") + net::url_encode(name);
}

std::string default_template(TemplateApi api, std::string_view index_pattern) {
  std::string out = "{\"index_patterns\":";
  append_json_string(out, index_pattern);
  if (api == TemplateApi::Legacy) {
    out += ",\"version\":60001,\"settings\":";
    out += kSettings;
    out += ",\"mappings\":";
    out += kMappings;
    out += "}";
  } else {
    out += ",\"version\":80001,\"priority\":200,\"template\":{\"settings\":";
    out += kSettings;
    out += ",\"mappings\":";
    out += kMappings;
    out += "}}";
  }
  return out;
}

std::string default_template_name(std::string_view ecs) {
  return ecs.empty() || ecs == "disabled" ? "logstash" : "ecs-logstash";
}

std::string default_index(std::string_view ecs) {
  return ecs.empty() || ecs == "disabled" ? "logstash-%{+yyyy.MM.dd}" : "ecs-logstash-%{+yyyy.MM.dd}";
}

}  // namespace sluice::es
