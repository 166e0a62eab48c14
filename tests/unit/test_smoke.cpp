// The registry builds and lists the built-in plugin kinds.
#include <catch2/catch.hpp>

#include "sluice/schema.hpp"

TEST_CASE("plugin kinds have Logstash's names") {
  CHECK(std::string(sluice::to_string(sluice::PluginKind::Input)) == "input");
  CHECK(std::string(sluice::to_string(sluice::PluginKind::Codec)) == "codec");
}
