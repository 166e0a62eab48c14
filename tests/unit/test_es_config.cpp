// The elasticsearch output's options: defaults, 7.x and 8.x spellings, conflicts, unsupported
// features refused with the option named.
#include "plugins/outputs/elasticsearch/output.hpp"
#include "sluice/registry.hpp"

#include <catch2/catch.hpp>

using namespace sluice;

namespace {

SourceLoc at_line() {
  SourceLoc l;
  l.line = 1;
  l.column = 1;
  return l;
}

// A config as the compiler hands it over: the schema's defaults plus the given options.
PluginConfig make(std::vector<std::pair<std::string, ConfigValue>> given) {
  PluginConfig c;
  c.plugin_name = "elasticsearch";
  c.kind = PluginKind::Output;
  c.id = "es_1";
  const RegistryEntry* e = Registry::builtin().find(PluginKind::Output, "elasticsearch");
  REQUIRE(e);
  for (const auto& o : e->schema.options)
    if (o.default_value) c.values[o.name] = *o.default_value;
  for (auto& [k, v] : given) {
    v.loc = at_line();
    c.values[k] = v;
  }
  return c;
}

ConfigValue str(std::string s) { return ConfigValue::make_string(std::move(s)); }
ConfigValue boolean(bool b) { return ConfigValue::make_bool(b); }
ConfigValue list(std::vector<std::string> items) {
  std::vector<ConfigValue> v;
  for (auto& s : items) v.push_back(str(s));
  return ConfigValue::make_array(std::move(v));
}

std::string error_option(const PluginConfig& c) {
  try {
    (void)es::parse_config(c);
  } catch (const PluginConfigError& e) {
    return e.option;
  }
  return "<none>";
}

}  // namespace

TEST_CASE("es config: Logstash 7.17 defaults", "[es]") {
  const auto c = es::parse_config(make({}));
  REQUIRE(c.hosts.size() == 1);
  CHECK(c.hosts[0].base() == "http://127.0.0.1:9200");
  CHECK(c.index == "logstash-%{+yyyy.MM.dd}");
  CHECK(c.action == "index");
  CHECK(c.timeout_s == 60);
  CHECK(c.retry_initial_s == 2);
  CHECK(c.retry_max_s == 64);
  CHECK(c.retry_on_conflict == 1);
  CHECK(c.resurrect_delay_s == 5);
  CHECK(c.compression_level == 0);  // compression_level's schema default alone does not turn gzip on
  CHECK(c.tls.verify);
  CHECK(c.manage_template);
  CHECK(c.template_name == "logstash");
  CHECK_FALSE(c.template_overwrite);
  CHECK(c.ilm_enabled == "auto");
  CHECK(c.bulk_path == "/_bulk");
}

TEST_CASE("es config: hosts, path, ssl and compression", "[es]") {
  auto c = es::parse_config(make({{"hosts", list({"es1:9201", "http://es2"})}, {"path", str("/proxy/")},
                                  {"http_compression", boolean(true)}}));
  REQUIRE(c.hosts.size() == 2);
  CHECK(c.hosts[0].base() == "http://es1:9201/proxy");
  CHECK(c.hosts[1].base() == "http://es2:9200/proxy");
  CHECK(c.compression_level == 1);
  c = es::parse_config(make({{"hosts", list({"https://es1"})}, {"ssl_verification_mode", str("none")}}));
  CHECK(c.hosts[0].scheme == "https");
  CHECK_FALSE(c.tls.verify);
  c = es::parse_config(make({{"hosts", list({"es1"})}, {"ssl", boolean(true)},
                             {"ssl_certificate_verification", boolean(false)}, {"cacert", str("/ca.pem")}}));
  CHECK(c.hosts[0].scheme == "https");
  CHECK_FALSE(c.tls.verify);
  CHECK(c.tls.ca_file == "/ca.pem");
  c = es::parse_config(make({{"compression_level", ConfigValue::make_integer(6)}}));
  CHECK(c.compression_level == 6);
}

TEST_CASE("es config: conflicts and unsupported features name their option", "[es]") {
  CHECK(error_option(make({{"hosts", list({"https://es1"})}, {"ssl", boolean(false)}})) == "ssl");
  CHECK(error_option(make({{"hosts", list({"http://es1/a"})}, {"path", str("/b")}})) == "path");
  CHECK(error_option(make({{"action", str("update")}})) == "document_id");
  CHECK(error_option(make({{"action", str("upsert")}})) == "action");
  CHECK(error_option(make({{"api_key", str("a:b")}})) == "api_key");  // needs TLS
  CHECK(error_option(make({{"api_key", str("a:b")}, {"ssl_enabled", boolean(true)}, {"user", str("u")}})) == "api_key");
  CHECK(error_option(make({{"data_stream", str("true")}})) == "data_stream");
  CHECK(error_option(make({{"ilm_enabled", str("true")}})) == "ilm_enabled");
  CHECK(error_option(make({{"truststore", str("/t.jks")}})) == "truststore");
  CHECK(error_option(make({{"hosts", list({"ftp://x"})}})) == "hosts");
  CHECK(error_option(make({{"action", str("%{[@metadata][action]}")}})) == "<none>");  // checked per event
  CHECK(error_option(make({{"data_stream", str("false")}})) == "<none>");
}
