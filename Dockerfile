# Sluice as a drop-in for docker.elastic.co/logstash/logstash:7.17.x.
#
# The image has the official Logstash image's shape: home /usr/share/logstash with bin/ config/
# pipeline/ data/ logs/, user `logstash` (uid 1000, gid 1000), ports 5044 (Beats) and 9600 (API),
# the same entry point behaviour, and bin/logstash on the PATH. A docker-compose file that mounts
# ./pipeline on /usr/share/logstash/pipeline and logstash.yml on
# /usr/share/logstash/config/logstash.yml keeps working with only `image:` (or `build:`) changed.
# See docs/migration.md for what differs (no JVM, built-in plugins only).
#
#   docker build -t sluice .
#   docker run --rm -p 5044:5044 -p 9600:9600 -v "$PWD/pipeline:/usr/share/logstash/pipeline:ro" sluice
#
# Builds for linux/amd64 and linux/arm64 (CMakeLists.txt enables SSE4.2 on x86-64 only).

# ---- build: the same Debian packages as scripts/setup-debian.sh's build set ----------------------
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config python3 \
      tao-pegtl-dev rapidjson-dev libboost-dev libboost-system-dev libssl-dev libcurl4-openssl-dev \
      catch2 zlib1g-dev libpcre2-dev libyaml-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the binary is built; the test suite runs in CI (scripts/test.sh), not here. Release at -O2,
# the optimisation level of the build CI tests (scripts/build.sh, RelWithDebInfo): GCC 12 at -O3
# reports false-positive overflow warnings in RapidJSON, which -Werror turns into build failures.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DSLUICE_TESTS=OFF \
 && cmake --build build --target sluice \
 && strip build/sluice
# The layout the image ships, made by the same script the tests use on disk. Group permissions
# equal the owner's, as in the official image, so that an arbitrary uid in group 0 (OpenShift)
# can write data/ and logs/.
RUN scripts/stage-image-layout.sh /usr/share/logstash build/sluice \
 && chmod -R g=u /usr/share/logstash

# ---- runtime: the binary's shared libraries, tini, and curl ---------------------------------------
# curl is there because the Logstash image has it and compose health checks call it
# (`curl -fs http://localhost:9600`); it adds little next to libcurl4, which the binary needs anyway.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libcurl4 zlib1g libpcre2-8-0 libyaml-0-2 ca-certificates tini curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 logstash \
 && useradd --uid 1000 --gid 1000 --home-dir /usr/share/logstash --no-create-home \
      --shell /bin/bash logstash
COPY --from=build --chown=1000:0 /usr/share/logstash /usr/share/logstash
RUN ln -s /usr/share/logstash/bin/docker-entrypoint /usr/local/bin/docker-entrypoint \
 && if ldd /usr/share/logstash/bin/sluice | grep 'not found'; then \
      echo "the runtime stage lacks a shared library of bin/sluice (listed above)" >&2; exit 1; \
    fi

ENV LS_HOME=/usr/share/logstash \
    PATH=/usr/share/logstash/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /usr/share/logstash
USER 1000

# Smoke test as the image's user: the binary starts and the default pipeline is valid.
RUN logstash --version && logstash -t

LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="Logstash-compatible pipeline processor, a drop-in for the Logstash 7.17 image"

EXPOSE 5044 9600
ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]
