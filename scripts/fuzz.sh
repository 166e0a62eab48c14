#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) into build-fuzz/ and runs each for a short
# time over its committed corpus (tests/fuzz/corpus/<target>/). New inputs go to a scratch dir,
# never into the repository. A crash, leak or timeout fails the script and leaves the reproducer
# in build-fuzz/artifacts/.
#
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
# BUILD_DIR may name an existing clang build configured with -DSLUICE_FUZZ=ON (scripts/test.sh reuses
# its ASan+UBSan build); otherwise build-fuzz/ is configured here.
BUILD_DIR=${BUILD_DIR:-build-fuzz}
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSLUICE_FUZZ=ON -DSLUICE_TESTS=OFF >/dev/null
fi
targets=$(cd tests/fuzz && ls fuzz_*.cpp | sed "s/\.cpp$//")
cmake --build "$BUILD_DIR" -j "$(nproc)" --target $targets
mkdir -p "$BUILD_DIR/artifacts"
status=0
for bin in "$BUILD_DIR"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); target=${name#fuzz_}
  scratch="$BUILD_DIR/corpus-$target"; mkdir -p "$scratch"
  seeds="tests/fuzz/corpus/$target"; [ -d "$seeds" ] || seeds=""
  # The JSON and event-codec targets' seeds hold 100,000-level documents and texts past the
  # codecs' 1 MiB failure cut: they read inputs up to 2 MiB (libFuzzer would otherwise cut the
  # seeds to its default length).
  # Every target reads inputs of at least 1 MiB, enough for deep nesting and large frames.
  max_len=(-max_len=1048576)
  case "$target" in
    json_codec|json_filter|event_codec|dlq_page) max_len=(-max_len=2097152) ;;
  esac
  echo "fuzz: $name for ${seconds}s" >&2
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${max_len[@]}" \
        -artifact_prefix="$BUILD_DIR/artifacts/$name-" "$scratch" $seeds 2> "$BUILD_DIR/$name.log"; then
    echo "fuzz: $name FAILED; see $BUILD_DIR/$name.log and $BUILD_DIR/artifacts/" >&2
    tail -40 "$BUILD_DIR/$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|Done" "$BUILD_DIR/$name.log" | tail -2 >&2 || true
  fi
done
exit $status
