#!/usr/bin/env bash
# Runs clang-tidy with the checks of .clang-tidy (every finding is an error) over the sources of
# src/, or over the files given as arguments. It needs a compile database made with clang: it uses
# $BUILD_DIR/compile_commands.json (default build-clang) and configures that directory with clang
# first if it has none (configuring is enough: nothing is built). Files run in parallel,
# $TIDY_JOBS at a time (default: the number of cores).
#   scripts/tidy.sh                      # all of src/
#   scripts/tidy.sh src/node/agent.cpp   # one file
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-clang}
jobs=${TIDY_JOBS:-$(nproc)}

command -v clang-tidy >/dev/null || { echo "tidy: clang-tidy is missing (scripts/setup-debian.sh installs it)" >&2; exit 1; }
if [ ! -f "$BUILD_DIR/compile_commands.json" ]; then
  gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
grep -q '"command": "[^"]*clang' "$BUILD_DIR/compile_commands.json" ||
  grep -q '"command": "[^ ]*ccache [^"]*clang' "$BUILD_DIR/compile_commands.json" ||
  echo "tidy: warning: $BUILD_DIR was configured with another compiler than clang; its flags may confuse clang-tidy" >&2

if (($#)); then
  files=("$@")
else
  mapfile -t files < <(find src -name '*.cpp' | sort)
fi

started=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# One clang-tidy per file (run-clang-tidy does the same, but Debian's version prints every
# command and the whole .clang-tidy configuration); xargs runs them $jobs at a time and fails if any
# fails. Headers are checked through the files that include them (HeaderFilterRegex).
if printf '%s\0' "${files[@]}" |
    xargs -0 -n 1 -P "$jobs" clang-tidy -p "$BUILD_DIR" --quiet >"$log" 2>&1; then
  status=0
else
  status=1
fi
# clang-tidy prints "N warnings generated." for the compiler's own suppressed warnings: noise.
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "$log" || true
echo "tidy: ${#files[@]} files in $(($(date +%s) - started)) s: $([ $status = 0 ] && echo clean || echo FINDINGS)" >&2
exit $status
