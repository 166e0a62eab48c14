// Test helper: an event parsed from JSON text, failing the test (with the parse error) if it does not
// parse.
#pragma once

#include "sluice/event.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace sluice::testutil {

inline std::unique_ptr<Event> event_from_json(std::string_view json) {
  std::string err;
  auto e = Event::from_json(json, &err);
  INFO(err);
  REQUIRE(e);
  return e;
}

}  // namespace sluice::testutil
