#!/usr/bin/env python3
"""Integration tests of the elasticsearch output against a real Elasticsearch or OpenSearch node.

    run_es_tests.py --sluice build/sluice --dist elasticsearch|opensearch [--build-dir build]
                    [--keep-server] [--only CASE ...] [--bench N]

The node is started once (scripts/es-server.py, cached distribution) and reused by every case; it
is stopped at the end unless --keep-server. Each case runs the real `sluice` binary: events go in
as JSON lines on stdin, documents are then read back from the node and compared exactly.
The fault-injection proxy (fault_server.py) sits between sluice and the node only in the cases
that need faults a real node cannot produce on demand.
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
import fault_server  # noqa: E402


def load_es_server():
    spec = importlib.util.spec_from_file_location("es_server", os.path.join(ROOT, "scripts", "es-server.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Fail(AssertionError):
    pass


class Skip(Exception):
    """A case whose peer (Go toolchain) is missing; a failure when SLUICE_REQUIRE_PEERS=1."""


def build_lumberclient(build_dir):
    """Builds tests/peers/lumberclient (go-lumber) as the beats tests do, into BUILD/beats-it/peers."""
    if shutil.which("go") is None:
        raise Skip("no Go toolchain: cannot build tests/peers/lumberclient")
    spec = importlib.util.spec_from_file_location(
        "run_beats_tests", os.path.join(ROOT, "tests", "integration", "beats", "run_beats_tests.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build_client(os.path.join(os.path.abspath(build_dir), "beats-it"))


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# ---- HTTP helpers --------------------------------------------------------------------------------

def http(method, url, body=None, timeout=60):
    data = None
    headers = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw) if raw else None
        except ValueError:
            return e.code, raw


def delete_indices(url, pattern):
    http("DELETE", f"{url}/{pattern}?expand_wildcards=all&ignore_unavailable=true")


def search_all(url, index, size=10000):
    http("POST", f"{url}/{index}/_refresh")
    st, res = http("POST", f"{url}/{index}/_search", {"size": size, "query": {"match_all": {}},
                                                      "sort": [{"_doc": "asc"}]})
    check(st == 200, f"search {index}: HTTP {st} {res}")
    return res["hits"]["hits"]


def count(url, index):
    http("POST", f"{url}/{index}/_refresh")
    st, res = http("GET", f"{url}/{index}/_count")
    if st == 404:
        return 0
    check(st == 200, f"count {index}: HTTP {st} {res}")
    return res["count"]


# ---- events and running sluice -------------------------------------------------------------------

def filebeat_event(seq, ts, message):
    return {
        "@timestamp": ts,
        "@metadata": {"beat": "filebeat", "type": "_doc", "version": "7.17.27"},
        "log": {"offset": seq * 120, "file": {"path": "/var/lib/docker/containers/abc/abc-json.log"}},
        "stream": "stdout",
        "message": message,
        "input": {"type": "container"},
        "container": {"id": "abc", "name": "about-backend", "image": {"name": "about/backend:1.4.2"}},
        "ecs": {"version": "1.12.0"},
        "host": {"name": "docker-host-01"},
        "agent": {"type": "filebeat", "version": "7.17.27", "hostname": "docker-host-01"},
        "seq": seq,
    }


def seed_events(n, day_split=None):
    """Filebeat-like events; every 10th message is plain text (a _jsonparsefailure)."""
    events = []
    for i in range(n):
        if day_split is not None and i >= day_split:
            ts = "2025-03-02T00:00:%02d.%03dZ" % ((i // 1000) % 60, i % 1000)
        else:
            ts = "2025-03-01T23:59:%02d.%03dZ" % ((i // 1000) % 60, i % 1000)
        if i % 10 == 9:
            msg = f"[Nest] 1  - 03/01/2025 LOG [NestFactory] plain line {i}"
        else:
            msg = json.dumps({"level": ["info", "warn", "error"][i % 3], "context": "HTTP",
                              "message": f"GET /api/users 200 {i}ms", "latencyMs": i % 900,
                              "requestId": f"req-{i}"}, separators=(",", ":"))
        events.append(filebeat_event(i, ts, msg))
    return events


# The seed pipeline's filters, kept once in tests/data/seed-filters.conf.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "seed-filters.conf")) as _f:
    SEED_FILTERS = "\n" + _f.read()


class Sluice:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.n = 0

    def config(self, output_opts, filters=""):
        return "input { stdin { codec => json_lines } }\n" + filters + \
               "output {\n  elasticsearch {\n" + "".join(f"    {k} => {v}\n" for k, v in output_opts.items()) + \
               "  }\n}\n"

    def start(self, conf, extra_args=()):
        self.n += 1
        path = os.path.join(self.workdir, f"case{self.n}.conf")
        with open(path, "w") as f:
            f.write(conf)
        log = open(os.path.join(self.workdir, f"case{self.n}.log"), "w+b")
        proc = subprocess.Popen([self.binary, "-f", path, "-w", "2", "-b", "125", *extra_args],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
        proc.log_file = log
        return proc

    @staticmethod
    def finish(proc, timeout=180):
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Fail(f"sluice did not finish within {timeout}s; log:\n{Sluice.log_of(proc)[-3000:]}")
        return rc, Sluice.log_of(proc)

    @staticmethod
    def log_of(proc):
        proc.log_file.flush()
        proc.log_file.seek(0)
        return proc.log_file.read().decode(errors="replace")

    def run(self, conf, events, timeout=180, extra_args=()):
        proc = self.start(conf, extra_args)
        data = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events).encode()
        try:
            proc.stdin.write(data)
        except BrokenPipeError:
            pass
        rc, log = self.finish(proc, timeout)
        check(rc == 0, f"sluice exited with {rc}; log:\n{log[-3000:]}")
        return log


def q(s):
    return json.dumps(s)


# ---- the cases -----------------------------------------------------------------------------------

class Cases:
    def __init__(self, url, dist, sluice):
        self.url = url
        self.dist = dist
        self.sluice = sluice
        _, root = http("GET", url + "/")
        self.version = root["version"]["number"]
        self.major = int(self.version.split(".")[0])
        self.is_es = root["version"].get("distribution") != "opensearch"

    def seed_pipeline(self):
        """The seed pipeline end to end: json filter, _jsonparsefailure -> raw_message, daily indices."""
        delete_indices(self.url, "nest-logs-*")
        http("DELETE", self.url + "/_template/logstash")
        n = 1200
        events = seed_events(n, day_split=1000)
        log = self.sluice.run(self.sluice.config({"hosts": q([self.url]), "index": q("nest-logs-%{+YYYY.MM.dd}")},
                                                 SEED_FILTERS), events)
        check(count(self.url, "nest-logs-2025.03.01") == 1000, "nest-logs-2025.03.01 should hold 1000 documents")
        check(count(self.url, "nest-logs-2025.03.02") == 200, "nest-logs-2025.03.02 should hold 200 documents")
        docs = search_all(self.url, "nest-logs-*")
        check(len(docs) == n, f"expected {n} documents, found {len(docs)}")
        by_seq = {}
        for d in docs:
            src = d["_source"]
            check(src["seq"] not in by_seq, f"duplicate document for seq {src['seq']}")
            by_seq[src["seq"]] = (d, src)
        check(sorted(by_seq) == list(range(n)), "every event is indexed exactly once")
        for i, ev in enumerate(events):
            d, src = by_seq[i]
            expected_index = "nest-logs-2025.03.02" if i >= 1000 else "nest-logs-2025.03.01"
            check(d["_index"] == expected_index, f"seq {i} in {d['_index']}, expected {expected_index}")
            check("@metadata" not in src, "@metadata must never be written")
            check(src["@timestamp"] == ev["@timestamp"], f"seq {i}: @timestamp {src['@timestamp']}")
            check(src["@version"] == "1", "@version is \"1\"")
            for k in ("log", "stream", "input", "container", "ecs", "host", "agent"):
                check(src[k] == ev[k], f"seq {i}: field {k} differs: {src[k]!r} != {ev[k]!r}")
            if i % 10 == 9:
                check(src.get("raw_message") == ev["message"], f"seq {i}: raw_message holds the original line")
                check("message" not in src and "parsed_json" not in src, f"seq {i}: message renamed, no parsed_json")
                check(src.get("tags") == ["_jsonparsefailure"], f"seq {i}: tags {src.get('tags')}")
            else:
                check(src["message"] == ev["message"], f"seq {i}: message kept")
                check(src["parsed_json"] == json.loads(ev["message"]), f"seq {i}: parsed_json {src.get('parsed_json')}")
                check("tags" not in src, f"seq {i}: no tags")
        # The template is installed (pattern logstash-*), so nest-logs-* get the server's own dynamic
        # mapping, as the seed user saw: text + keyword(ignore_above 256) for every string.
        st, tpl = http("GET", self.url + "/_template/logstash")
        check(st == 200 and "logstash" in tpl, f"template logstash installed: {st} {tpl}")
        check(tpl["logstash"]["index_patterns"] == ["logstash-*"], f"template pattern {tpl['logstash']['index_patterns']}")
        st, mapping = http("GET", self.url + "/nest-logs-2025.03.01/_mapping")
        props = mapping["nest-logs-2025.03.01"]["mappings"]["properties"]
        check(props["@timestamp"]["type"] == "date", "@timestamp is a date")
        check(props["message"] == {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
              f"message mapping {props['message']}")
        check(props["parsed_json"]["properties"]["latencyMs"]["type"] == "long", "parsed_json.latencyMs is long")
        check(props["raw_message"]["fields"]["keyword"]["type"] == "keyword", "raw_message has .keyword")
        check("Could not index" not in log, "no rejected events")
        return f"{n} docs, 2 daily indices, {n // 10} _jsonparsefailure docs with raw_message"

    def seed_pipeline_beats(self, build_dir):
        """The seed pipeline with its real input: go-lumber (Filebeat's client) -> beats -> filters -> ES."""
        client = build_lumberclient(build_dir)
        delete_indices(self.url, "nest-logs-*")
        n, split = 3000, 2000
        events = seed_events(n, day_split=split)
        path = os.path.join(self.sluice.workdir, "beats-events.jsonl")
        with open(path, "w") as f:
            for e in events:
                f.write(json.dumps(e, separators=(",", ":")) + "\n")
        conf = ('input { beats { port => 0 host => "127.0.0.1" } }\n' + SEED_FILTERS +
                "output {\n  elasticsearch {\n    hosts => %s\n    index => %s\n  }\n}\n"
                % (q([self.url]), q("nest-logs-%{+YYYY.MM.dd}")))
        self.sluice.n += 1
        conf_path = os.path.join(self.sluice.workdir, f"case{self.sluice.n}.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        log = open(os.path.join(self.sluice.workdir, f"case{self.sluice.n}.log"), "w+b")
        proc = subprocess.Popen([self.sluice.binary, "-f", conf_path, "-w", "2", "-b", "125"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        proc.log_file = log
        try:
            port = None
            deadline = time.time() + 30
            while port is None and time.time() < deadline and proc.poll() is None:
                m = re.search(r"Starting server on port: (\d+)", Sluice.log_of(proc))
                if m:
                    port = int(m.group(1))
                else:
                    time.sleep(0.1)
            check(port is not None, "beats input did not log its port:\n" + Sluice.log_of(proc)[-2000:])
            p = subprocess.run([client, "-addr", f"127.0.0.1:{port}", "-input", path, "-window", "250",
                                "-concurrency", "2", "-compress", "3"], capture_output=True, text=True, timeout=300)
            try:
                report = json.loads(p.stdout.strip().splitlines()[-1])
            except (IndexError, ValueError):
                raise Fail(f"lumberclient printed no report (exit {p.returncode}): {p.stdout} {p.stderr}")
            check(p.returncode == 0 and report["sent"] == n and report["acked"] == n,
                  f"every event acknowledged: {report}")
            check(report["windows"] == report["windows_acked"] and report["resent_windows"] == 0
                  and not report["errors"], f"every window acknowledged once, none resent: {report}")
            deadline = time.time() + 120
            while count(self.url, "nest-logs-*") < n and time.time() < deadline:
                time.sleep(0.5)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = "killed after 60 s"
        log_text = Sluice.log_of(proc)
        check(rc == 0, f"sluice exited with {rc} after SIGTERM; log:\n{log_text[-3000:]}")
        c1, c2 = count(self.url, "nest-logs-2025.03.01"), count(self.url, "nest-logs-2025.03.02")
        check((c1, c2) == (split, n - split), f"daily indices hold {c1} + {c2}, expected {split} + {n - split}")
        docs = search_all(self.url, "nest-logs-*")
        by_seq = {}
        for d in docs:
            src = d["_source"]
            check(src["seq"] not in by_seq, f"duplicate document for seq {src['seq']}")
            by_seq[src["seq"]] = (d, src)
        check(sorted(by_seq) == list(range(n)), f"every event indexed exactly once ({len(by_seq)} distinct)")
        failures = 0
        for i, ev in enumerate(events):
            d, src = by_seq[i]
            expected_index = "nest-logs-2025.03.02" if i >= split else "nest-logs-2025.03.01"
            check(d["_index"] == expected_index, f"seq {i} in {d['_index']}, expected {expected_index}")
            check("@metadata" not in src, f"seq {i}: @metadata must never be written: {src.get('@metadata')}")
            check(src["@timestamp"] == ev["@timestamp"], f"seq {i}: @timestamp {src['@timestamp']}")
            for k in ("log", "stream", "input", "container", "ecs", "agent"):
                check(src[k] == ev[k], f"seq {i}: field {k} differs: {src[k]!r} != {ev[k]!r}")
            tags = src.get("tags", [])
            if i % 10 == 9:
                failures += 1
                check(src.get("raw_message") == ev["message"], f"seq {i}: raw_message holds the original line")
                check("message" not in src and "parsed_json" not in src, f"seq {i}: message renamed, no parsed_json")
                check("_jsonparsefailure" in tags, f"seq {i}: tags {tags}")
            else:
                check(src["message"] == ev["message"], f"seq {i}: message kept")
                check(src["parsed_json"] == json.loads(ev["message"]), f"seq {i}: parsed_json {src.get('parsed_json')}")
                check("raw_message" not in src and "_jsonparsefailure" not in tags, f"seq {i}: no parse failure")
        check("Could not index" not in log_text, "no rejected events")
        return (f"lumberclient: {report['windows']}/{report['windows_acked']} windows acked, {n} events; "
                f"nest-logs-2025.03.01={c1}, nest-logs-2025.03.02={c2}; {failures} raw_message+_jsonparsefailure, "
                f"{n - failures} parsed_json; no @metadata")

    def default_index_template(self):
        """Default index logstash-YYYY.MM.dd gets Logstash's template: message without .keyword, norms off."""
        delete_indices(self.url, "logstash-*")
        http("DELETE", self.url + "/_template/logstash")
        events = seed_events(50)
        for e in events:
            e["country"] = "KR"
            e["geoip"] = {"location": {"lat": 37.5, "lon": 127.0}, "ip": "10.1.2.3"}
        self.sluice.run(self.sluice.config({"hosts": q([self.url])}, SEED_FILTERS), events)
        check(count(self.url, "logstash-2025.03.01") == 50, "50 documents in logstash-2025.03.01")
        _, mapping = http("GET", self.url + "/logstash-2025.03.01/_mapping")
        m = mapping["logstash-2025.03.01"]["mappings"]
        props = m["properties"]
        check(props["message"] == {"type": "text", "norms": False}, f"message mapping {props['message']}")
        check(props["country"] == {"type": "text", "norms": False,
                                   "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
              f"country mapping {props['country']}")
        check(props["@version"] == {"type": "keyword"}, f"@version mapping {props['@version']}")
        check(props["geoip"]["properties"]["location"]["type"] == "geo_point", "geoip.location is a geo_point")
        check(props["geoip"]["properties"]["ip"]["type"] == "ip", "geoip.ip is an ip")
        names = [list(t)[0] for t in m["dynamic_templates"]]
        check(names == ["message_field", "string_fields"], f"dynamic templates {names}")
        return "logstash-* template applied (message_field, string_fields, geo_point)"

    def compression_and_create(self):
        """http_compression, document_id with create: 409s are counted, not retried, not fatal."""
        delete_indices(self.url, "sluice-it-create-*")
        events = seed_events(300)
        for e in events:
            e["doc_id"] = f"id-{e['seq'] % 200}"  # 100 duplicates
        log = self.sluice.run(self.sluice.config({
            "hosts": q([self.url]), "index": q("sluice-it-create-%{+YYYY.MM.dd}"), "action": q("create"),
            "document_id": q("%{doc_id}"), "http_compression": "true"}), events, extra_args=["--log.level", "debug"])
        check(count(self.url, "sluice-it-create-*") == 200, "200 distinct ids indexed")
        conflicts = log.count("Version conflict")
        check(conflicts == 100, f"100 conflicts logged at debug, saw {conflicts}")
        return "gzip bodies accepted; 100/100 version conflicts dropped and logged at debug"

    def mapping_rejections(self):
        """400 mapping errors: one log line per event with index, status and reason; others indexed."""
        delete_indices(self.url, "sluice-it-reject-*")
        events = seed_events(100)
        for e in events:
            e["value"] = 5 if e["seq"] % 20 else "not-a-number"
        events[0]["value"] = 1  # the first document maps `value` as long
        log = self.sluice.run(self.sluice.config({"hosts": q([self.url]), "index": q("sluice-it-reject-%{+YYYY.MM.dd}")}),
                              events, extra_args=["-w", "1"])
        rejected = [ln for ln in log.splitlines() if "Could not index event" in ln]
        check(len(rejected) == 4, f"4 rejected events logged, saw {len(rejected)}:\n" + "\n".join(rejected))
        check(all("sluice-it-reject-2025.03.01" in ln and ":status=>400" in ln and "mapper_parsing_exception" in ln
                  for ln in rejected), "each line names index, status and reason:\n" + "\n".join(rejected))
        check(count(self.url, "sluice-it-reject-*") == 96, "the 96 valid events are indexed")
        return "4 x 400 mapper_parsing_exception logged once each, 96 indexed"

    def _fault_case(self, name, faults, n=1000, workers=2):
        delete_indices(self.url, f"sluice-it-{name}-*")
        srv, proxy = fault_server.serve(self.url, faults)
        try:
            events = seed_events(n)
            t0 = time.time()
            log = self.sluice.run(self.sluice.config({
                "hosts": q([proxy]), "index": q(f"sluice-it-{name}-%{{+YYYY.MM.dd}}"),
                "retry_initial_interval": "0.05", "retry_max_interval": "0.4", "resurrect_delay": "0.2",
                "timeout": "5"}), events, extra_args=["-w", str(workers)])
            elapsed = time.time() - t0
            stats = dict(srv.state.stats)
        finally:
            srv.shutdown()
        docs = search_all(self.url, f"sluice-it-{name}-*")
        seqs = sorted(d["_source"]["seq"] for d in docs)
        check(len(seqs) == len(set(seqs)), f"{name}: duplicates: {len(seqs) - len(set(seqs))}")
        check(seqs == list(range(n)), f"{name}: {n} events expected, {len(seqs)} indexed")
        return stats, log, elapsed

    def retry_429_storm(self):
        stats, log, el = self._fault_case("r429", {"bulk_429": 6})
        check(stats["faults"] == 6, f"6 injected 429s, saw {stats}")
        return f"6 whole-request 429s, 1000 docs exactly once ({el:.1f}s, {stats['bulk_requests']} bulk requests)"

    def retry_item_failures(self):
        stats, log, el = self._fault_case("items", {"item_fail_every": 7, "item_fail_rounds": 6, "item_status": 503})
        check(stats["items_failed"] > 0, f"items failed: {stats}")
        check("Retrying failed actions" in log, "item retries are logged")
        return f"{stats['items_failed']} items answered 503 and resubmitted alone; 1000 docs exactly once"

    def retry_connection_resets(self):
        stats, log, el = self._fault_case("reset", {"reset_bulk": 3, "bulk_503": 2})
        check(stats["faults"] == 5, f"5 faults injected: {stats}")
        check("unreachable or down" in log, "connection errors are logged")
        return "3 connection resets + 2 HTTP 503s, 1000 docs exactly once"

    def slow_server(self):
        stats, log, el = self._fault_case("slow", {"slow_ms": 300}, n=600)
        return f"300 ms per bulk response: 600 docs exactly once in {el:.1f}s"

    def tls_and_auth(self):
        """https with a private CA (cacert / ssl_certificate_authorities) and Basic auth; api_key header."""
        tmp = self.sluice.workdir
        ca_key, ca_crt = os.path.join(tmp, "ca.key"), os.path.join(tmp, "ca.crt")
        key, csr, crt = os.path.join(tmp, "srv.key"), os.path.join(tmp, "srv.csr"), os.path.join(tmp, "srv.crt")
        ext = os.path.join(tmp, "san.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        run = lambda *c: subprocess.run(c, check=True, capture_output=True)  # noqa: E731
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
            "-days", "2", "-subj", "/CN=sluice test CA")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
        run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
            "-days", "2", "-extfile", ext)
        import base64
        notes = []
        for label, opts, auth in [
            ("7.x names", {"cacert": q(ca_crt), "user": q("elastic"), "password": q("s3cr3t:@!")},
             "Basic " + base64.b64encode(b"elastic:s3cr3t:@!").decode()),
            ("8.x names", {"ssl_enabled": "true", "ssl_certificate_authorities": q([ca_crt]),
                           "api_key": q("id1:key1")}, "ApiKey " + base64.b64encode(b"id1:key1").decode()),
            ("verification off", {"ssl_verification_mode": q("none"), "user": q("u"), "password": q("p")},
             "Basic " + base64.b64encode(b"u:p").decode()),
        ]:
            index = "sluice-it-tls-" + label.split()[0].replace(".", "")
            delete_indices(self.url, index)
            srv, proxy = fault_server.serve(self.url, {}, tls=(crt, key), auth=auth)
            try:
                self.sluice.run(self.sluice.config({"hosts": q([proxy]), "index": q(index), **opts}), seed_events(100))
                stats = dict(srv.state.stats)
            finally:
                srv.shutdown()
            check(count(self.url, index) == 100, f"{label}: 100 documents over TLS")
            check(stats.get("unauthorized", 0) == 0, f"{label}: every request authenticated ({stats})")
            notes.append(label)
        # Verification is on by default: an unknown CA is refused, nothing is sent, events are held.
        srv, proxy = fault_server.serve(self.url, {}, tls=(crt, key))
        try:
            proc = self.sluice.start(self.sluice.config({"hosts": q([proxy]), "index": q("sluice-it-tls-untrusted"),
                                                         "resurrect_delay": "0.2"}))
            proc.stdin.write(json.dumps(seed_events(1)[0]).encode() + b"\n")
            proc.stdin.flush()
            deadline = time.time() + 30
            while "TLS error" not in Sluice.log_of(proc) and time.time() < deadline:
                time.sleep(0.2)
            log = Sluice.log_of(proc)
            proc.send_signal(2)
            time.sleep(0.5)
            proc.send_signal(2)  # the second signal ends a pipeline stuck on an unreachable output
            proc.wait(timeout=30)
            bulk = srv.state.stats["bulk_requests"]
        finally:
            srv.shutdown()
        check("TLS error" in log, "an untrusted certificate is reported:\n" + log[-2000:])
        check(bulk == 0, "nothing is sent to an untrusted server")
        notes.append("untrusted CA refused by default")
        return "https + " + ", ".join(notes) + "; 100 docs each, every request authenticated"

    def down_at_start(self):
        """Nothing listens when sluice starts: events are held until the server appears."""
        import socket
        index = "sluice-it-late"
        delete_indices(self.url, index)
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            port = sk.getsockname()[1]
        proc = self.sluice.start(self.sluice.config({"hosts": q([f"http://127.0.0.1:{port}"]), "index": q(index),
                                                     "resurrect_delay": "0.3"}))
        proc.stdin.write("".join(json.dumps(e) + "\n" for e in seed_events(500)).encode())
        proc.stdin.flush()
        time.sleep(2)
        check(proc.poll() is None, "sluice waits for the server")
        srv, _ = fault_server.serve(self.url, {}, port=port)
        try:
            rc, log = Sluice.finish(proc, timeout=120)
        finally:
            srv.shutdown()
        check(rc == 0, f"sluice exited {rc}:\n{log[-2000:]}")
        check(count(self.url, index) == 500, "all 500 events indexed once the server came up")
        check("Attempted to resurrect" in log, "the unreachable server is logged")
        return "server absent for 2 s at start-up: 500/500 indexed after it appeared"

    def two_hosts_one_dead(self):
        """Several hosts: a dead one is skipped, requests spread over the live ones."""
        import socket
        index = "sluice-it-hosts"
        delete_indices(self.url, index)
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{sk.getsockname()[1]}"
        a, url_a = fault_server.serve(self.url, {})
        b, url_b = fault_server.serve(self.url, {})
        try:
            log = self.sluice.run(self.sluice.config({"hosts": q([dead, url_a, url_b]), "index": q(index)}),
                                  seed_events(2000))
            ra, rb = a.state.stats["bulk_requests"], b.state.stats["bulk_requests"]
        finally:
            a.shutdown()
            b.shutdown()
        check(count(self.url, index) == 2000, "2000 documents through the live hosts")
        check(ra > 0 and rb > 0, f"both live hosts used ({ra}, {rb})")
        check(dead in log, "the dead host is named in the log")
        return f"dead host skipped; bulk requests spread {ra}/{rb} over the two live hosts"

    def server_restart(self, es_server, build_dir):
        """The real node is stopped mid-run and started again: nothing is lost."""
        name = "restart"
        delete_indices(self.url, f"sluice-it-{name}-*")
        proc = self.sluice.start(self.sluice.config({
            "hosts": q([self.url]), "index": q(f"sluice-it-{name}-%{{+YYYY.MM.dd}}"),
            "retry_initial_interval": "0.2", "retry_max_interval": "2", "resurrect_delay": "0.5", "timeout": "10"}))
        events = seed_events(3000)
        lines = [json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events]
        writer_error = []

        def feed(chunk):
            try:
                proc.stdin.write(b"".join(chunk))
                proc.stdin.flush()
            except Exception as ex:  # noqa: BLE001
                writer_error.append(ex)

        feed(lines[:1000])
        deadline = time.time() + 60
        while count(self.url, f"sluice-it-{name}-*") < 1000 and time.time() < deadline:
            time.sleep(0.3)
        check(count(self.url, f"sluice-it-{name}-*") == 1000, "first 1000 indexed before the stop")
        es_server.pause(self.dist, build_dir)
        # Events arriving while the node is down are held (the writer thread may block: backpressure).
        t = threading.Thread(target=feed, args=(lines[1000:],))
        t.start()
        time.sleep(3)
        es_server.resume(self.dist, build_dir)
        t.join(timeout=120)
        rc, log = Sluice.finish(proc, timeout=180)
        check(not writer_error, f"writing events failed: {writer_error}")
        check(rc == 0, f"sluice exited with {rc}:\n{log[-3000:]}")
        docs = search_all(self.url, f"sluice-it-{name}-*")
        seqs = sorted(d["_source"]["seq"] for d in docs)
        missing = set(range(3000)) - set(seqs)
        check(not missing, f"{len(missing)} events lost across the restart")
        dups = len(seqs) - len(set(seqs))
        check("unreachable or down" in log or "no living connections" in log, "the outage was noticed and logged")
        return f"node stopped and restarted mid-run: 3000/3000 indexed, {dups} duplicates"

    def real_429(self, es_server, build_dir, keep_node):
        """Real 429s: the node restarted with a one-thread write pool and a one-slot queue, under bulk
        load from two sluice processes; every event must land exactly once."""
        tiny = {"thread_pool.write.size": "1", "thread_pool.write.queue_size": "1"}
        self.url = es_server.start(self.dist, build_dir, extra_settings=tiny)
        try:
            _, nodes = http("GET", self.url + "/_nodes/thread_pool")
            write = next(iter(nodes["nodes"].values()))["thread_pool"]["write"]
            check(write.get("size") == 1 and write.get("queue_size") == 1, f"write pool settings not applied: {write}")
            index = "sluice-it-429"
            delete_indices(self.url, index + "-*")
            # Several shards per bulk request: more write tasks competing for the single slot.
            st, _ = http("PUT", self.url + "/_template/sluice-it-429",
                         {"index_patterns": [index + "-*"], "order": 10,
                          "settings": {"number_of_shards": 4, "number_of_replicas": 0}})
            check(st == 200, f"template for {index}-*: HTTP {st}")
            per_proc, procs_n = 10000, 2
            conf = self.sluice.config({"hosts": q([self.url]), "index": q(index + "-%{+YYYY.MM.dd}"),
                                       "retry_initial_interval": "0.05", "retry_max_interval": "0.5"})
            events = seed_events(per_proc * procs_n)
            procs = []
            for k in range(procs_n):
                proc = self.sluice.start(conf, ["-w", "2", "-b", "500", "--log.level", "debug"])
                procs.append(proc)
            writers = []
            for k, proc in enumerate(procs):
                data = "".join(json.dumps(e, separators=(",", ":")) + "\n"
                               for e in events[k * per_proc:(k + 1) * per_proc]).encode()

                def feed(proc=proc, data=data):
                    try:
                        proc.stdin.write(data)
                    except BrokenPipeError:
                        pass
                t = threading.Thread(target=feed)
                t.start()
                writers.append(t)
            for t in writers:
                t.join(timeout=300)
            logs = []
            for proc in procs:
                rc, log = Sluice.finish(proc, timeout=300)
                check(rc == 0, f"sluice exited with {rc}:\n{log[-3000:]}")
                logs.append(log)
            _, tp = http("GET", self.url + "/_nodes/stats/thread_pool")
            rejected = next(iter(tp["nodes"].values()))["thread_pool"]["write"]["rejected"]
            req_429 = sum(len(re.findall(r"Encountered a retryable error.*:code=>429", lg)) for lg in logs)
            item_lines = [ln for lg in logs for ln in lg.splitlines() if "Retrying failed actions" in ln]
            item_429 = sum(int(re.search(r":count=>(\d+)", ln).group(1)) for ln in item_lines
                           if ":first_status=>429" in ln)
            # Elasticsearch says es_rejected_execution_exception, OpenSearch rejected_execution_exception.
            types = sorted({m for lg in logs for m in re.findall(r"\b(?:es_)?rejected_execution_exception", lg)})
            rejected_seen = bool(types)
            # Exactly once: fetch every seq (scroll; more than one search page).
            http("POST", f"{self.url}/{index}-*/_refresh")
            seqs = []
            st, res = http("POST", f"{self.url}/{index}-*/_search?scroll=1m",
                           {"size": 5000, "_source": ["seq"], "sort": ["_doc"]})
            check(st == 200, f"scroll: HTTP {st} {res}")
            while res["hits"]["hits"]:
                seqs.extend(h["_source"]["seq"] for h in res["hits"]["hits"])
                st, res = http("POST", self.url + "/_search/scroll", {"scroll": "1m", "scroll_id": res["_scroll_id"]})
                check(st == 200, f"scroll: HTTP {st} {res}")
            total = per_proc * procs_n
            dups = len(seqs) - len(set(seqs))
            missing = total - len(set(seqs))
            summary = (f"node write pool size 1 / queue 1: {rejected} rejections on the node; sluice saw "
                       f"{req_429} whole-request 429s and {item_429} item-level "
                       f"429s resubmitted ({len(item_lines)} 'Retrying failed actions' lines; "
                       f"{', '.join(types) or 'no rejected_execution_exception'}); "
                       f"{len(seqs)}/{total} documents, {missing} missing, {dups} duplicates")
            check(not dups and not missing, summary)
            check(rejected > 0 and rejected_seen and (req_429 + item_429) > 0,
                  "the node did not answer 429 under this load, so the retry path was not exercised "
                  "against the real server: " + summary)
            return summary
        finally:
            http("DELETE", self.url + "/_template/sluice-it-429")
            if keep_node:  # leave a node with the usual settings behind
                self.url = es_server.start(self.dist, build_dir)

    def bench(self, n):
        delete_indices(self.url, "sluice-it-bench-*")
        gen = os.path.join(ROOT, "..", "shared", "bench-data", "gen_events.py")
        if os.path.exists(gen):
            data = subprocess.run([sys.executable, gen, str(n)], check=True, capture_output=True).stdout
        else:
            data = "".join(json.dumps(e) + "\n" for e in seed_events(n)).encode()
        conf = self.sluice.config({"hosts": q([self.url]), "index": q("sluice-it-bench-%{+YYYY.MM.dd}")}, SEED_FILTERS)
        proc = self.sluice.start(conf)
        t0 = time.time()
        proc.stdin.write(data)
        rc, log = Sluice.finish(proc, timeout=600)
        el = time.time() - t0
        check(rc == 0, f"bench: sluice exited {rc}")
        got = count(self.url, "sluice-it-bench-*")
        check(got == n, f"bench: {got}/{n} indexed")
        delete_indices(self.url, "sluice-it-bench-*")
        return f"{n} seed events in {el:.1f}s = {n / el:,.0f} docs/s (2 workers, batch 125, {len(data) / n:.0f} B/event)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--dist", default="elasticsearch", choices=["elasticsearch", "opensearch"])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--keep-server", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--skip", nargs="*", help="cases not to run (the node-level fault cases need one server only)")
    ap.add_argument("--bench", type=int, default=0)
    a = ap.parse_args()

    es_server = load_es_server()
    try:
        es_server.find_java(es_server.DISTS[a.dist])
        es_server.ensure_distribution(a.dist, es_server.DISTS[a.dist]["version"], a.build_dir)
    except Exception as e:  # noqa: BLE001
        # scripts/test.sh (CI) sets SLUICE_REQUIRE_PEERS=1: there a missing server is a failure.
        if os.environ.get("SLUICE_REQUIRE_PEERS") == "1":
            print(f"FAIL: {a.dist} is not available here and SLUICE_REQUIRE_PEERS=1: {e}")
            return 1
        print(f"SKIP: {a.dist} is not available here: {e}")
        return 77
    try:
        url = es_server.start(a.dist, a.build_dir)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL: could not start {a.dist}: {e}")
        return 1
    failures = 0
    try:
        with tempfile.TemporaryDirectory(prefix="sluice-es-it-") as tmp:
            cases = Cases(url, a.dist, Sluice(os.path.abspath(a.sluice), tmp))
            print(f"# {a.dist} {cases.version} at {url}", flush=True)
            plan = [
                ("seed_pipeline", cases.seed_pipeline),
                ("seed_pipeline_beats", lambda: cases.seed_pipeline_beats(a.build_dir)),
                ("default_index_template", cases.default_index_template),
                ("compression_and_create", cases.compression_and_create),
                ("mapping_rejections", cases.mapping_rejections),
                ("retry_429_storm", cases.retry_429_storm),
                ("retry_item_failures", cases.retry_item_failures),
                ("retry_connection_resets", cases.retry_connection_resets),
                ("slow_server", cases.slow_server),
                ("tls_and_auth", cases.tls_and_auth),
                ("down_at_start", cases.down_at_start),
                ("two_hosts_one_dead", cases.two_hosts_one_dead),
                ("server_restart", lambda: cases.server_restart(es_server, a.build_dir)),
                # Restarts the node with a tiny write pool; cases after it get a normal node back.
                ("real_429", lambda: cases.real_429(es_server, a.build_dir, a.keep_server or bool(a.bench))),
            ]
            if a.bench:
                plan.append(("bench", lambda: cases.bench(a.bench)))
            for name, fn in plan:
                if (a.only and name not in a.only) or (a.skip and name in a.skip):
                    continue
                t0 = time.time()
                try:
                    note = fn()
                    print(f"ok   {name} ({time.time() - t0:.1f}s): {note}", flush=True)
                except Skip as e:
                    if os.environ.get("SLUICE_REQUIRE_PEERS") == "1":
                        failures += 1
                        print(f"FAIL {name}: {e} (SLUICE_REQUIRE_PEERS=1)", flush=True)
                    else:
                        print(f"skip {name}: {e}", flush=True)
                except Exception as e:  # noqa: BLE001
                    failures += 1
                    print(f"FAIL {name} ({time.time() - t0:.1f}s): {e}", flush=True)
                    if not isinstance(e, Fail):
                        traceback.print_exc()
    finally:
        if not a.keep_server:
            es_server.stop(a.dist, a.build_dir)
    print(f"# {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
