#!/usr/bin/env bash
# The main job on a fresh Debian machine: install the build dependencies, build Sluice, check every
# shipped pipeline, then run the reference pipeline (the seed's filters) over sample Filebeat events
# of the Nest.js service, printing each event as rubydebug.
#
# Until the beats input and the elasticsearch output land, the reference pipeline reads the
# Filebeat events from stdin (pipelines/nest-logs-stdin.conf) instead of port 5044.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh
echo "main-job: checking shipped pipelines" >&2
for conf in pipelines/*.conf; do ./build/sluice -t -f "$conf" >/dev/null; done
echo "main-job: running pipelines/nest-logs-stdin.conf over examples/nest-service/filebeat-events.jsonl" >&2
exec ./build/sluice -f pipelines/nest-logs-stdin.conf "$@" < examples/nest-service/filebeat-events.jsonl
