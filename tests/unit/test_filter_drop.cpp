// The drop filter (logstash-filter-drop): cancels what reaches it, or a share of it; never
// decorates.
#include "filter_test_helpers.hpp"

using namespace filter_test;
using sluice::FilterStatus;

TEST_CASE("drop: every event is cancelled by default, without decorations", "[filter][drop]") {
  auto f = make_filter("drop", {{"add_tag", SA({"never"})}});
  for (int i = 0; i < 100; ++i) {
    auto e = ev(R"({"message":"x"})");
    CHECK(f.run(*e) == FilterStatus::Failure);
    CHECK(e->cancelled());
    CHECK(field(*e, "tags") == "<missing>");
  }
}

TEST_CASE("drop: percentage drops about that share, and lets the rest through undecorated", "[filter][drop]") {
  auto f = make_filter("drop", {{"percentage", I(30)}, {"add_tag", SA({"never"})}});
  int dropped = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    auto e = ev(R"({"message":"x"})");
    (void)f.run(*e);
    if (e->cancelled()) {
      ++dropped;
    } else {
      CHECK(field(*e, "tags") == "<missing>");
    }
  }
  // Binomial(20000, 0.3): the standard deviation is ~65; 6 of them either side.
  CHECK(dropped > 6000 - 400);
  CHECK(dropped < 6000 + 400);
  auto none = make_filter("drop", {{"percentage", I(0)}});
  auto e = ev(R"({"message":"x"})");
  (void)none.run(*e);
  CHECK_FALSE(e->cancelled());
}

TEST_CASE("drop: a percentage outside 0..100 is a config error", "[filter][drop]") {
  CHECK_THROWS_AS(make_filter("drop", {{"percentage", I(101)}}), sluice::PluginConfigError);
  CHECK_THROWS_AS(make_filter("drop", {{"percentage", I(-1)}}), sluice::PluginConfigError);
}
