#!/usr/bin/env python3
"""The dead letter queue end to end against a real Elasticsearch node.

    run_dlq_tests.py --sluice build/sluice [--build-dir build] [--keep-server]

Pipeline A (stdin -> elasticsearch, dead_letter_queue.enable from logstash.yml in --path.settings)
indexes into an index whose mapping makes `count` an integer: N events with a number are indexed,
M with `count => "abc"` are rejected with 400 and go to the dead letter queue. The monitoring API
shows the queue while A runs. Pipeline B (dead_letter_queue input -> mutate fix -> elasticsearch)
then reindexes exactly the M events into another index, with [@metadata][dead_letter_queue][reason]
checked on each; a second run of B reads nothing (commit_offsets). Exit 77 when Java or the
Elasticsearch distribution is not available (the node is started by scripts/es-server.py, as the
elasticsearch output's integration tests do).
"""
import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

INDEX_A = "sluice-dlq-it-a"
INDEX_B = "sluice-dlq-it-b"
GOOD, BAD = 300, 37


class Fail(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def load_es_server():
    spec = importlib.util.spec_from_file_location("es_server", os.path.join(ROOT, "scripts", "es-server.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def http(method, url, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
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
    except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
        return 0, str(e)


def count(url, index):
    http("POST", f"{url}/{index}/_refresh")
    st, res = http("GET", f"{url}/{index}/_count")
    if st == 404:
        return 0
    check(st == 200, f"count {index}: HTTP {st} {res}")
    return res["count"]


def search_all(url, index):
    http("POST", f"{url}/{index}/_refresh")
    st, res = http("POST", f"{url}/{index}/_search", {"size": 10000, "query": {"match_all": {}}})
    check(st == 200, f"search {index}: HTTP {st} {res}")
    return [h["_source"] for h in res["hits"]["hits"]]


def wait_until(cond, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.25)
    raise Fail(f"timed out after {timeout}s waiting for {what}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A sluice process with its log in a file."""

    def __init__(self, args, stdin, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w+b")
        self.p = subprocess.Popen(args, stdin=stdin, stdout=subprocess.DEVNULL, stderr=self.log)

    def text(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, timeout=60):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise Fail(f"sluice did not stop within {timeout}s; log:\n{self.text()[-3000:]}")


def event(seq, bad):
    return {"@timestamp": "2025-03-01T00:00:%02d.%03dZ" % (seq // 1000, seq % 1000), "seq": seq,
            "count": "abc" if bad else seq, "message": f"event {seq}"}


def run(sluice, url, work):
    os.makedirs(work, exist_ok=True)
    for index in (INDEX_A, INDEX_B):
        http("DELETE", f"{url}/{index}?ignore_unavailable=true")
    st, res = http("PUT", f"{url}/{INDEX_A}",
                   {"mappings": {"properties": {"count": {"type": "integer"}, "seq": {"type": "integer"}}}})
    check(st == 200, f"create {INDEX_A}: HTTP {st} {res}")

    # ---- pipeline A: some events are rejected with 400 and go to the dead letter queue ----------
    data_a = os.path.join(work, "data-a")
    settings_a = os.path.join(work, "settings-a")
    os.makedirs(settings_a, exist_ok=True)
    api_port = free_port()
    with open(os.path.join(settings_a, "logstash.yml"), "w") as f:
        f.write("dead_letter_queue.enable: true\n"
                "dead_letter_queue.flush_interval: 1000\n"
                f"path.data: {data_a}\n"
                f"api.http.port: {api_port}\n")
    conf_a = os.path.join(work, "a.conf")
    with open(conf_a, "w") as f:
        f.write("input { stdin { codec => json_lines } }\n"
                f"output {{ elasticsearch {{ hosts => [{json.dumps(url)}] index => {json.dumps(INDEX_A)} "
                "manage_template => false id => \"es_a\" } }\n")
    events = [event(i, bad=(i % 9 == 4 and i // 9 < BAD)) for i in range(GOOD + BAD)]
    bad_seqs = sorted(e["seq"] for e in events if e["count"] == "abc")
    check(len(bad_seqs) == BAD, f"test setup: {len(bad_seqs)} bad events")
    a = Proc([sluice, "--path.settings", settings_a, "-f", conf_a, "-w", "2", "-b", "50"], subprocess.PIPE,
             os.path.join(work, "a.log"))
    try:
        a.p.stdin.write("".join(json.dumps(e) + "\n" for e in events).encode())
        a.p.stdin.flush()
        wait_until(lambda: count(url, INDEX_A) == GOOD, 120, f"{GOOD} documents in {INDEX_A}")

        def dlq_stats():
            st, res = http("GET", f"http://127.0.0.1:{api_port}/_node/stats/pipelines/main")
            if st != 200:
                return None
            return res["pipelines"]["main"].get("dead_letter_queue")

        wait_until(lambda: (dlq_stats() or {}).get("queue_size_in_bytes", 0) > 1000, 60,
                   "the API to show the dead letter queue")
        stats = dlq_stats()
        check(stats["max_queue_size_in_bytes"] == 1024 * 1024 * 1024, f"max_queue_size_in_bytes: {stats}")
        check(stats["dropped_events"] == 0 and stats["expired_events"] == 0, f"nothing dropped: {stats}")
        check(stats["storage_policy"] == "drop_newer" and stats["last_error"] == "no errors", f"stats: {stats}")
        a.p.stdin.close()
        rc = a.p.wait(timeout=120)
    finally:
        a.stop()
    log_a = a.text()
    check(rc == 0, f"pipeline A exited with {rc}; log:\n{log_a[-3000:]}")
    check("Could not index event" not in log_a, "with a dead letter queue, rejections are not logged one by one")
    queue_dir = os.path.join(data_a, "dead_letter_queue", "main")
    files = sorted(os.listdir(queue_dir))
    check(any(f.endswith(".log") for f in files) and not any(f.endswith(".tmp") for f in files),
          f"the head segment is sealed at shutdown: {files}")
    check(count(url, INDEX_A) == GOOD, f"{INDEX_A} holds exactly {GOOD} documents")

    # ---- pipeline B: read the queue, fix, reindex --------------------------------------------------
    data_b = os.path.join(work, "data-b")
    conf_b = os.path.join(work, "b.conf")
    with open(conf_b, "w") as f:
        f.write(f"input {{ dead_letter_queue {{ path => {json.dumps(os.path.join(data_a, 'dead_letter_queue'))} "
                "pipeline_id => \"main\" } }\n"
                "filter { mutate { rename => { \"count\" => \"bad_count\" } add_field => {\n"
                "  \"dlq_reason\" => \"%{[@metadata][dead_letter_queue][reason]}\"\n"
                "  \"dlq_plugin_type\" => \"%{[@metadata][dead_letter_queue][plugin_type]}\"\n"
                "  \"dlq_plugin_id\" => \"%{[@metadata][dead_letter_queue][plugin_id]}\"\n"
                "  \"dlq_entry_time\" => \"%{[@metadata][dead_letter_queue][entry_time]}\" } } }\n"
                f"output {{ elasticsearch {{ hosts => [{json.dumps(url)}] index => {json.dumps(INDEX_B)} "
                "manage_template => false } }\n")

    def run_b(name, expect_total):
        b = Proc([sluice, "--path.data", data_b, "--api.enabled", "false", "-f", conf_b], subprocess.DEVNULL,
                 os.path.join(work, name + ".log"))
        try:
            if expect_total is None:
                time.sleep(6)  # two flush intervals and more: anything to read would be indexed by now
            else:
                wait_until(lambda: count(url, INDEX_B) >= expect_total, 120, f"{expect_total} documents in {INDEX_B}")
                time.sleep(1)
        finally:
            rc = b.stop()
        check(rc == 0, f"pipeline B ({name}) exited with {rc}; log:\n{b.text()[-3000:]}")
        return b.text()

    run_b("b1", BAD)
    docs = search_all(url, INDEX_B)
    check(len(docs) == BAD, f"{INDEX_B} holds {len(docs)} documents, expected exactly {BAD}")
    check(sorted(d["seq"] for d in docs) == bad_seqs, "exactly the rejected events are reindexed, once each")
    for d in docs:
        reason = d["dlq_reason"]
        check(reason.startswith('Could not index event to Elasticsearch. status: 400, action: ["index", '
                                f'{{:_id=>nil, :_index=>"{INDEX_A}", :routing=>nil}}, '),
              f"seq {d['seq']}: reason {reason[:300]}")
        check(', response: {"index"=>{"_index"=>"' + INDEX_A + '"' in reason, f"seq {d['seq']}: response in {reason}")
        check('"status"=>400' in reason and "mapper_parsing_exception" in reason,
              f"seq {d['seq']}: the mapping error in {reason}")
        check(f'"seq"=>{d["seq"]}' in reason, f"seq {d['seq']}: the event in the action of {reason}")
        check(d["dlq_plugin_type"] == "elasticsearch" and d["dlq_plugin_id"] == "es_a",
              f"seq {d['seq']}: plugin {d['dlq_plugin_type']} {d['dlq_plugin_id']}")
        check(d["bad_count"] == "abc" and "count" not in d, f"seq {d['seq']}: fixed by the filter")
        check(d["message"] == f"event {d['seq']}" and d["@timestamp"] == event(d["seq"], True)["@timestamp"],
              f"seq {d['seq']}: the stored event is intact: {d}")
        check(d["dlq_entry_time"].endswith("Z") and d["dlq_entry_time"][:2] == "20", f"entry_time {d['dlq_entry_time']}")
    sincedb_dir = os.path.join(data_b, "plugins", "inputs", "dead_letter_queue", "main")
    check(any(f.startswith(".sincedb_") for f in os.listdir(sincedb_dir)), f"a sincedb under {sincedb_dir}")

    # ---- commit_offsets: a second run of B reads nothing new -----------------------------------------
    run_b("b2", None)
    check(count(url, INDEX_B) == BAD, f"the second run of B added nothing: {count(url, INDEX_B)} documents")
    return f"{GOOD} indexed, {BAD} rejected -> dead letter queue -> reindexed once with their reasons"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--keep-server", action="store_true")
    a = ap.parse_args()
    es_server = load_es_server()
    try:
        es_server.find_java(es_server.DISTS["elasticsearch"])
        es_server.ensure_distribution("elasticsearch", es_server.DISTS["elasticsearch"]["version"], a.build_dir)
    except Exception as e:  # noqa: BLE001
        if os.environ.get("SLUICE_REQUIRE_PEERS") == "1":
            print(f"FAIL: elasticsearch is not available here and SLUICE_REQUIRE_PEERS=1: {e}")
            return 1
        print(f"SKIP: elasticsearch is not available here: {e}")
        return 77
    try:
        url = es_server.start("elasticsearch", a.build_dir)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL: could not start elasticsearch: {e}")
        return 1
    try:
        with tempfile.TemporaryDirectory(prefix="sluice-dlq-it-") as tmp:
            t0 = time.time()
            try:
                note = run(os.path.abspath(a.sluice), url, tmp)
            except Fail as e:
                print(f"FAIL dead_letter_queue: {e}", flush=True)
                return 1
            print(f"ok   dead_letter_queue ({time.time() - t0:.1f}s): {note}", flush=True)
            return 0
    finally:
        if not a.keep_server:
            es_server.stop("elasticsearch", a.build_dir)


if __name__ == "__main__":
    sys.exit(main())
