#!/usr/bin/env bash
# Installs what Sluice needs to build and test on a fresh Debian 12 machine (Debian packages only).
# Safe to run again: apt skips what is already installed.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config python3
      tao-pegtl-dev rapidjson-dev libboost-dev libboost-system-dev libssl-dev libcurl4-openssl-dev
      catch2 zlib1g-dev libpcre2-dev libyaml-dev
      clang libclang-rt-14-dev    # clang: libFuzzer targets and sanitizer runtimes
      clang-tidy clang-format     # scripts/tidy.sh (.clang-tidy); .clang-format (both 14.0.6 here)
      openssl unzip                # integration tests: test PKI; search server distributions
      nginx-light)                 # bench/run_es_bench.py: the fast _bulk sink
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all build dependencies present" >&2
fi

# The integration tests' real peers: Java 17 runs the Elasticsearch/OpenSearch test nodes (Debian
# has it), Go builds the go-lumber client (it needs Go >= 1.25, newer than Debian 12's golang).
if ! command -v java >/dev/null 2>&1 && ! ls /usr/lib/jvm/*17* >/dev/null 2>&1; then
  echo "setup: installing Java 17 for the Elasticsearch/OpenSearch test nodes" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup: WARNING: no Go toolchain; the beats integration tests need Go >= 1.25 to build the" \
       "go-lumber client (https://go.dev/dl/); scripts/test.sh fails without it" >&2
fi
