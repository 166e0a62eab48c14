// The Catch2 main, compiled once (kept out of the tests/unit/*.cpp glob by its extension).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
