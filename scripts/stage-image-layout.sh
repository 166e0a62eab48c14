#!/bin/sh
# Lays out a Logstash-shaped home directory: the folders the official Logstash image has under
# /usr/share/logstash, with Sluice in Logstash's place.
#
#   scripts/stage-image-layout.sh DEST SLUICE_BINARY
#
#   DEST/bin/sluice              the binary
#   DEST/bin/logstash            starts it as Logstash's bin/logstash would (docker/bin/logstash)
#   DEST/bin/docker-entrypoint   the image's entry point (docker/bin/docker-entrypoint)
#   DEST/config/logstash.yml     the image's default settings (docker/config/)
#   DEST/config/pipelines.yml    main -> DEST/pipeline
#   DEST/pipeline/logstash.conf  the image's default pipeline: beats on 5044 -> stdout
#   DEST/data, DEST/logs         empty, writable by the user running Sluice
#
# The Dockerfile runs it with DEST=/usr/share/logstash; tests run it with a temporary DEST, and then
# the one absolute path in pipelines.yml is rewritten from /usr/share/logstash to DEST so that the
# staged copy works where it is. Running it again gives the same result: files are overwritten
# with the shipped ones, data/ and logs/ are kept.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 DEST SLUICE_BINARY   (e.g. $0 /usr/share/logstash build/sluice)" >&2
  exit 2
fi
dest=$1
binary=$2
repo=$(cd -- "$(dirname -- "$0")/.." && pwd -P)
src="$repo/docker"
image_home=/usr/share/logstash

if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
  echo "stage: $binary is not an executable file; build it first (ninja -C build sluice)" >&2
  exit 1
fi
for f in bin/logstash bin/docker-entrypoint config/logstash.yml config/pipelines.yml pipeline/logstash.conf; do
  if [ ! -f "$src/$f" ]; then
    echo "stage: $src/$f is missing; run this script from a complete Sluice checkout" >&2
    exit 1
  fi
done

mkdir -p "$dest"
dest=$(cd -- "$dest" && pwd -P)

for d in bin config pipeline data logs; do
  if [ ! -d "$dest/$d" ]; then
    mkdir -p "$dest/$d"
    echo "stage: created $dest/$d"
  fi
done

put() {  # put MODE FROM TO
  install -m "$1" "$2" "$3"
  echo "stage: $3 <- $2"
}

put 0755 "$binary" "$dest/bin/sluice"
put 0755 "$src/bin/logstash" "$dest/bin/logstash"
put 0755 "$src/bin/docker-entrypoint" "$dest/bin/docker-entrypoint"
put 0644 "$src/config/logstash.yml" "$dest/config/logstash.yml"
put 0644 "$src/pipeline/logstash.conf" "$dest/pipeline/logstash.conf"

if [ "$dest" = "$image_home" ]; then
  put 0644 "$src/config/pipelines.yml" "$dest/config/pipelines.yml"
else
  # A staged copy elsewhere: pipelines.yml must point at this copy's pipeline/ folder.
  escaped=$(printf '%s\n' "$dest" | sed 's/[\\|&]/\\&/g')
  sed "s|$image_home/|$escaped/|g; s|\"$image_home\"|\"$escaped\"|g" "$src/config/pipelines.yml" \
    > "$dest/config/pipelines.yml.tmp"
  chmod 0644 "$dest/config/pipelines.yml.tmp"
  mv -f "$dest/config/pipelines.yml.tmp" "$dest/config/pipelines.yml"
  echo "stage: $dest/config/pipelines.yml <- $src/config/pipelines.yml ($image_home rewritten to $dest)"
fi

echo "stage: layout ready in $dest (run $dest/bin/docker-entrypoint or $dest/bin/logstash)"
