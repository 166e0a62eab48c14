#!/usr/bin/env bash
# The whole test suite, as CI runs it on a fresh clone:
#   1. release build: unit tests, config corpus, golden pipeline cases, shipped pipelines (ctest)
#   2. ASan+UBSan build: the same suite
#   3. TSan build: the multi-threaded tests (runtime, inputs)
#   4. libFuzzer targets, a short run each
# Set SLUICE_TEST_QUICK=1 to run step 1 only.
set -euo pipefail
# Integration tests fail (instead of skipping) when Go, Java or a server download is missing.
export SLUICE_REQUIRE_PEERS=1
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
jobs=$(nproc)
step() { echo; echo "=== test: $* ($(date +%T))" >&2; }

step "release build + ctest"
BUILD_DIR=build scripts/build.sh
(cd build && ctest --output-on-failure -j "$jobs")

[ "${SLUICE_TEST_QUICK:-0}" = 1 ] && exit 0

step "ASan+UBSan build + ctest"
BUILD_DIR=build-asan scripts/build.sh -DSLUICE_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")

step "TSan build + multi-threaded tests"
BUILD_DIR=build-tsan scripts/build.sh -DSLUICE_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j "$jobs" -R "runtime|pipeline|input|queue|executor")

step "fuzz targets (short runs)"
scripts/fuzz.sh "${SLUICE_FUZZ_SECONDS:-30}"
