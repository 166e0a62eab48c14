#!/usr/bin/env bash
# The main job on a fresh Debian machine: the reference deployment.
#   1. install the build dependencies (Debian packages) and build Sluice;
#   2. check every shipped pipeline with -t;
#   3. when no Elasticsearch is configured (ES_HOSTS unset), start a local single-node
#      Elasticsearch 7.17 from Maven Central's integ-test-zip (scripts/es-server.py; needs Java 17,
#      cached under build/), and use it;
#   4. run pipelines/nest-logs.conf in the foreground: Beats (Filebeat) on port 5044 -> the seed
#      filters -> daily indices nest-logs-YYYY.MM.dd. Ctrl-C drains and stops it.
# Extra arguments go to sluice (e.g. -w 2, --log.level debug).
#
#   SLUICE_DEMO=1 scripts/main-job.sh   also sends the sample Filebeat events of
#                                        examples/nest-service/ with the go-lumber client once
#                                        sluice listens, then prints the index count.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh
echo "main-job: checking shipped pipelines" >&2
for conf in pipelines/*.conf; do ./build/sluice -t -f "$conf" >/dev/null; done

if [ -z "${ES_HOSTS:-}" ]; then
  echo "main-job: ES_HOSTS is not set; starting a local Elasticsearch (first run downloads it)" >&2
  ES_HOSTS=$(python3 scripts/es-server.py start --dist elasticsearch --build-dir build | tail -n 1)
  export ES_HOSTS
  echo "main-job: Elasticsearch at $ES_HOSTS (stop it with: scripts/es-server.py stop --dist elasticsearch --build-dir build)" >&2
fi

if [ "${SLUICE_DEMO:-0}" = 1 ]; then
  (
    for _ in $(seq 1 100); do
      (exec 3<>/dev/tcp/127.0.0.1/5044) 2>/dev/null && break
      sleep 0.2
    done
    mkdir -p build/peers
    (cd tests/peers && go build -o ../../build/peers/lumberclient ./lumberclient)
    ./build/peers/lumberclient -addr 127.0.0.1:5044 -input examples/nest-service/filebeat-events.jsonl >&2
    sleep 2
    curl -s "$ES_HOSTS/nest-logs-*/_count" >&2; echo >&2
  ) &
fi

echo "main-job: sluice -f pipelines/nest-logs.conf (beats on 5044 -> $ES_HOSTS)" >&2
exec ./build/sluice -f pipelines/nest-logs.conf "$@"
