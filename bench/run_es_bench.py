#!/usr/bin/env python3
"""Throughput of the elasticsearch output: the seed pipeline into a fast bulk sink, and into a real node.

    bench/run_es_bench.py [--sluice build/sluice] [--events 200000] [--runs 3] [--no-real]

The sink is Debian's nginx (`apt-get install nginx-light`) on a free loopback port, with its config,
pid file, logs and temp paths in a temporary directory, run in the foreground (`daemon off`). It
answers like an Elasticsearch 7.17.29 node without indexing anything:

    GET /                      -> {"version":{"number":"7.17.29","build_flavor":"default",...},...}
    HEAD|PUT /_template/...    -> 200 {"acknowledged":true}
    POST /_bulk                -> 200 {"took":1,"errors":false,"items":[]}

(the output, like Logstash's, takes `"errors": false` as "every action succeeded" and does not read
`items`). The input is gen_events.py's standard Filebeat-like events as JSON lines on stdin, through
the seed filters (json -> parsed_json; on _jsonparsefailure rename message -> raw_message) into
`nest-logs-%{+YYYY.MM.dd}`. Each configuration runs --runs times; the medians are reported:
events/s (events / wall time of the sluice process, start-up included), bulk requests/s (the sink's
access log), sluice's CPU time (user + system, from wait4: less sensitive to other load on the
machine than wall time) and peak RSS (ru_maxrss from wait4). One run then goes into a real Elasticsearch node
(scripts/es-server.py; started and stopped here unless one was already running), where the
document count is checked. Prints a markdown table.
"""
import argparse
import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GEN = os.path.join(os.path.dirname(ROOT), "shared", "bench-data", "gen_events.py")
TARGET_EPS = 120_000

# The seed pipeline's filters, kept once in tests/data/seed-filters.conf.
with open(os.path.join(ROOT, "tests", "data", "seed-filters.conf")) as _f:
    SEED_FILTERS = "\n" + _f.read()

ROOT_JSON = json.dumps({
    "name": "bench-sink", "cluster_name": "bench", "cluster_uuid": "AAAAAAAAAAAAAAAAAAAAAA",
    "version": {"number": "7.17.29", "build_flavor": "default", "build_type": "tar",
                "build_hash": "0" * 40, "build_date": "2025-01-01T00:00:00.000000000Z",
                "build_snapshot": False, "lucene_version": "8.11.3",
                "minimum_wire_compatibility_version": "6.8.0", "minimum_index_compatibility_version": "6.0.0-beta1"},
    "tagline": "You Know, for Search"}, separators=(",", ":"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_conf(d, port):
    user = ""
    if os.geteuid() == 0:  # workers would otherwise switch to nobody; keep them on the caller
        user = "user root root;\n"
    q = lambda s: "'" + s.replace("'", "\\'") + "'"  # noqa: E731
    return f"""{user}worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
  client_body_temp_path {d}/client_body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  log_format bench '$request_method $uri $status $request_length';
  access_log {d}/access.log bench;
  client_max_body_size 0;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  default_type application/json;
  server {{
    listen 127.0.0.1:{port};
    location = / {{ return 200 {q(ROOT_JSON)}; }}
    location = /_bulk {{ return 200 '{{"took":1,"errors":false,"items":[]}}'; }}
    location /_template/ {{ return 200 '{{"acknowledged":true}}'; }}
    location /_index_template/ {{ return 200 '{{"acknowledged":true}}'; }}
    location = /_xpack {{ return 200 '{{"features":{{"ilm":{{"available":false,"enabled":false}}}}}}'; }}
    location / {{ return 200 '{{"acknowledged":true}}'; }}
  }}
}}
"""


class Sink:
    def __init__(self):
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        if not nginx:
            raise SystemExit("nginx not found: apt-get install -y nginx-light (scripts/setup-debian.sh)")
        self.dir = tempfile.mkdtemp(prefix="sluice-es-sink-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(self.dir, self.port))
        self.proc = subprocess.Popen([nginx, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 10
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1) as r:
                    json.loads(r.read())
                break
            except Exception:  # noqa: BLE001
                if self.proc.poll() is not None or time.time() > deadline:
                    err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
                    self.stop()
                    raise SystemExit(f"nginx did not start: {err}")
                time.sleep(0.1)

    def bulk_requests(self):
        try:
            with open(os.path.join(self.dir, "access.log")) as f:
                return sum(1 for ln in f if ln.startswith("POST /_bulk 200"))
        except FileNotFoundError:
            return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: flushes the access log
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_sluice(sluice, conf_path, data_path, workers, batch):
    """Runs sluice to completion on the events file; returns (seconds, peak RSS bytes, CPU seconds, stderr)."""
    err = tempfile.TemporaryFile()
    with open(data_path, "rb") as stdin:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sluice, "-f", conf_path, "-w", str(workers), "-b", str(batch)],
                                stdin=stdin, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        el = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err.seek(0)
    log = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"sluice exited {proc.returncode}:\n{log[-3000:]}")
    return el, ru.ru_maxrss * 1024, ru.ru_utime + ru.ru_stime, log


def config(url, index):
    return ("input { stdin { codec => json_lines } }\n" + SEED_FILTERS +
            f'output {{\n  elasticsearch {{\n    hosts => ["{url}"]\n    index => "{index}"\n  }}\n}}\n')


def load_es_server():
    spec = importlib.util.spec_from_file_location("es_server", os.path.join(ROOT, "scripts", "es-server.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def http(method, url):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"null")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sluice", default=os.path.join(ROOT, "build", "sluice"))
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=125, help="pipeline.batch.size (-b), Logstash's default 125")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-real", action="store_true", help="skip the run into a real Elasticsearch node")
    a = ap.parse_args()
    sluice = os.path.abspath(a.sluice)
    n = a.events

    work = tempfile.mkdtemp(prefix="sluice-es-bench-")
    rows = []
    try:
        data = os.path.join(work, "events.jsonl")
        with open(data, "wb") as f:
            subprocess.run([sys.executable, GEN, str(n), "42"], stdout=f, check=True)
        size = os.path.getsize(data)
        print(f"# {n} events, {size / n:.0f} B/event on average; {os.cpu_count()} CPUs; batch {a.batch}", flush=True)

        sink = Sink()
        try:
            conf = os.path.join(work, "sink.conf")
            with open(conf, "w") as f:
                f.write(config(sink.url, "nest-logs-%{+YYYY.MM.dd}"))
            for workers in (1, 2):
                results = []
                for _ in range(a.runs):
                    before = sink.bulk_requests()
                    el, rss, cpu, _ = run_sluice(sluice, conf, data, workers, a.batch)
                    time.sleep(0.2)  # the access log is written per request; let the last line land
                    results.append((el, rss, sink.bulk_requests() - before, cpu))
                    print(f"  sink -w {workers}: {el:.2f} s, {n / el:,.0f} events/s, {results[-1][2]} bulk requests, "
                          f"RSS {rss / 2**20:.0f} MiB, sluice CPU {cpu:.2f} s", flush=True)
                el = statistics.median(r[0] for r in results)
                rss = max(r[1] for r in results)
                bulks = statistics.median(r[2] for r in results)
                cpu = statistics.median(r[3] for r in results)
                rows.append((f"fast sink (nginx), -w {workers}", el, rss, bulks, cpu))
        finally:
            sink.stop()

        if not a.no_real:
            es = load_es_server()
            dist = "elasticsearch"
            was_running = es.running(a.build_dir, dist) is not None and not es.running_extra_settings(a.build_dir, dist)
            try:
                url = es.start(dist, a.build_dir)
            except Exception as e:  # noqa: BLE001
                print(f"# real node not available, skipped: {e}")
                url = None
            if url:
                try:
                    index = "bench-nest-logs-%{+YYYY.MM.dd}"
                    urllib.request.urlopen(urllib.request.Request(
                        url + "/bench-nest-logs-*?expand_wildcards=all&ignore_unavailable=true", method="DELETE"))
                    conf = os.path.join(work, "real.conf")
                    with open(conf, "w") as f:
                        f.write(config(url, index))
                    el, rss, cpu, _ = run_sluice(sluice, conf, data, 2, a.batch)
                    http("POST", url + "/bench-nest-logs-*/_refresh")
                    got = http("GET", url + "/bench-nest-logs-*/_count")["count"]
                    if got != n:
                        raise SystemExit(f"real node: {got}/{n} documents")
                    rows.append(("real Elasticsearch 7.17.29 node (heap 512 MB), -w 2", el, rss, None, cpu))
                    urllib.request.urlopen(urllib.request.Request(
                        url + "/bench-nest-logs-*?expand_wildcards=all&ignore_unavailable=true", method="DELETE"))
                finally:
                    if not was_running:
                        es.stop(dist, a.build_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min)")
    print("| target | events/s | bulk requests/s | docs/request | sluice CPU s | events per CPU s | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, el, rss, bulks, cpu in rows:
        breq = f"{bulks / el:,.0f}" if bulks is not None else "–"
        per = f"{n / bulks:.0f}" if bulks else "–"
        print(f"| {name} | {n / el:,.0f} | {breq} | {per} | {cpu:.2f} | {n / cpu:,.0f} | {rss / 2**20:.0f} MiB |")
    best = max(n / r[1] for r in rows if r[0].startswith("fast sink"))
    print()
    print(f"target: >= {TARGET_EPS:,} events/s into the fast sink: {'met' if best >= TARGET_EPS else 'NOT met'} "
          f"(best {best:,.0f} events/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
