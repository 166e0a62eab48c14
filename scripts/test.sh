#!/usr/bin/env bash
# The whole test suite, as CI runs it on a fresh clone:
#   1. release build: unit tests, config corpus, golden pipeline cases, shipped pipelines (ctest)
#   2. ASan+UBSan build (clang, coverage-instrumented for libFuzzer): the same suite but the tests
#      against Elasticsearch/OpenSearch nodes, then clang-tidy over src/ (scripts/tidy.sh) with its
#      compile database, then a short run of each libFuzzer target built in it
#   3. TSan build: the multi-threaded tests (runtime, queues, inputs, outputs, API, reloads)
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

step "ASan+UBSan build (clang, with the libFuzzer targets) + ctest"
BUILD_DIR=build-asan CC=clang CXX=clang++ scripts/build.sh -DCMAKE_BUILD_TYPE=Debug -DSLUICE_FUZZ=ON
# Everything but the tests against Elasticsearch/OpenSearch nodes (labels es, faults), which run in
# the release step: under ASan they would add ~5 minutes of mostly JVM time, while the output's code
# runs under ASan here through its unit tests (loopback servers) and the beats/drop-in tests.
# The hostile suite measures peak RSS and throughput against budgets, which ASan's shadow memory and
# quarantine would distort: it runs in the release step only.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs" \
  -LE "^(faults|es|hostile)$")

step "clang-tidy over src/ (.clang-tidy, with the ASan+UBSan build's compile database)"
BUILD_DIR=build-asan scripts/tidy.sh

step "fuzz targets (short runs, from the ASan+UBSan build)"
BUILD_DIR=build-asan scripts/fuzz.sh "${SLUICE_FUZZ_SECONDS:-10}"

step "TSan build + multi-threaded tests"
BUILD_DIR=build-tsan scripts/build.sh -DSLUICE_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j "$jobs" \
  -R "runtime|pipeline|input|queue|executor|compliance|stdout|tcp|beats|es output|es pool|dlq|api|dropin: reload")
