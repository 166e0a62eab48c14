#!/usr/bin/env python3
"""Fault tests: real processes, a real Elasticsearch 7.17 node and the go-lumber client, each case
ending with exact counts read back from Elasticsearch (see tests/faults/README.md).

    run_faults.py --sluice BUILD/sluice [--build-dir BUILD] [--only CASE ...] [--seed N] [--keep-server]
                  [--work DIR]

Cases: kill9_e2e kill9_pq es_down storm_429 disk_full disk_full_pq torn_page. The run prints one
table: case | sent | acknowledged | indexed | missing | duplicated | result. Exit status: 0 when
every case that ran passed, 1 otherwise, 77 when Elasticsearch, Java or Go is not available here
(a failure instead when SLUICE_REQUIRE_PEERS=1) or when every selected case was skipped.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
from harness import Fail, Skip, check  # noqa: E402

PQ_UNAVAILABLE = "skipped: persisted queue not available in this build"
TEAR_TOOL = os.path.join(h.ROOT, "tests", "tools", "pq_tear.py")


class Row:
    """One line of the table; a case fills in what it learnt even when it fails half-way."""

    def __init__(self, case):
        self.case = case
        self.sent = self.acked = self.indexed = self.missing = self.duplicated = None
        self.result = "?"
        self.note = ""

    def counts(self, counts):
        self.indexed, self.missing, self.duplicated = counts.indexed, len(counts.missing), counts.duplicated


class Ctx:
    """What every case shares: the binaries, the node, the work directory and the run's seed."""

    def __init__(self, args, es_server, url, client, workdir):
        self.sluice = os.path.abspath(args.sluice)
        self.build_dir = args.build_dir
        self.es_server = es_server
        self.url = url
        self.client = client
        self.workdir = workdir
        self.seed = args.seed
        self._pq = None

    def case_dir(self, case):
        d = os.path.join(self.workdir, case)
        os.makedirs(d, exist_ok=True)
        return d

    def rng(self, case):
        """A generator per case, derived from the run's seed and the case name (replayable with --seed)."""
        return random.Random(f"{self.seed}:{case}")

    def output(self, index, hosts=None, **extra):
        opts = {"hosts": f'["{hosts or self.url}"]', "index": f'"{index}"', "document_id": '"%{seq}"',
                "retry_initial_interval": "0.1", "retry_max_interval": "1", "resurrect_delay": "1", "timeout": "10"}
        opts.update(extra)
        return opts

    def pq_available(self):
        """None when the binary really runs `queue.type: persisted`, else why it cannot be tested."""
        if self._pq is None:
            self._pq = probe_pq(self.sluice, self.case_dir("pq-probe")) or ""
        return self._pq or None


def probe_pq(sluice, workdir):
    """Starts sluice with `queue.type: persisted` and looks for files under <path.data>/queue/main;
    returns None when there are some, else the reason the persisted-queue cases cannot run."""
    data = os.path.join(workdir, "data")
    dead = f"http://127.0.0.1:{h.free_port()}"  # nothing listens: the output only has to start
    conf = 'input { beats { host => "127.0.0.1" port => 0 } } output { elasticsearch { hosts => ["%s"] } }' % dead
    p = subprocess.run([sluice, "-t", "--path.data", data, "-S", "queue.type=persisted", "-e", conf],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return f"`sluice -t` refuses queue.type: persisted: {(p.stdout + p.stderr).strip()[-300:]}"
    s = h.Sluice(sluice, workdir, "probe", h.free_port(), data, {"hosts": f'["{dead}"]'}, {"queue.type": "persisted"})
    try:
        s.start()
        files = h.wait_for(lambda: h.pipeline_files(data), 5)
    finally:
        s.stop()
    if files:
        return None
    return ("`sluice -t` accepts queue.type: persisted, but a running pipeline wrote nothing under "
            "<path.data>/queue/main within 5 s")


def finish_counts(ctx, row, index, expected, sluice, drain_timeout=90, target=None):
    """Waits until the index holds `target` documents (default: every expected event) or stops
    growing for 15 s, stops sluice with SIGTERM and reads the exact counts."""
    n = len(expected) if target is None else target
    last = [None, time.time()]

    def drained():
        c = h.doc_count(ctx.url, index)
        if c != last[0]:
            last[0], last[1] = c, time.time()
        return c is not None and (c >= n or time.time() - last[1] > 15)

    h.wait_for(drained, drain_timeout, 0.5)
    rc = sluice.stop()
    counts = h.Counts(h.read_documents(ctx.url, index), expected)
    row.counts(counts)
    check(rc == 0, f"sluice exited with {rc} after SIGTERM; log tail:\n{sluice.log()[-2500:]}")
    return counts


def client_done(row, client, n, timeout):
    rep = client.wait(timeout)
    row.sent, row.acked = rep["sent"], rep["acked"]
    check(rep["sent"] == n, f"the client sent {rep['sent']} events, expected {n}: {rep}")
    check(rep["acked"] == n and rep["exit"] == 0,
          f"the client gave up with {rep['acked']} of {n} events acknowledged: {rep}")
    return rep


# ---- cases ---------------------------------------------------------------------------------------

def kill9(ctx, row, persisted):
    """kill -9 of sluice at random moments under load, restarted on the same path.data each time."""
    case = row.case
    if persisted:
        reason = ctx.pq_available()
        if reason:
            raise Skip(PQ_UNAVAILABLE, reason)
    rng = ctx.rng(case)
    d = ctx.case_dir(case)
    index = f"faults-{case}"
    h.recreate_index(ctx.url, index)
    n = 60000
    events = h.write_events(os.path.join(d, "events.jsonl"), case, range(n))
    row.sent = n
    # Memory queue: only end-to-end acknowledgements make an acknowledged event survive kill -9.
    # Persisted queue: the beats input acknowledges a window once its events are durable in the queue
    # (src/queue/FORMAT.md), so the default queue.checkpoint.writes is the configuration under test.
    # A small queue.max_bytes and one worker with small batches make the queue hold the client back
    # (backpressure): the client keeps sending for as long as the output takes, so every kill meets a
    # client mid-window and a queue with a backlog.
    settings = ({"queue.type": "persisted", "queue.max_bytes": "2mb", "queue.page_capacity": "256kb"} if persisted
                else {"pipeline.end_to_end_acks": "true"})
    s = h.Sluice(ctx.sluice, d, case, h.free_port(), os.path.join(d, "data"), ctx.output(index), settings,
                 **({"workers": 1, "batch": 50} if persisted else {}))
    # Random moments, spread over the load whatever the machine's speed: each kill comes when the
    # index passes a random share of the events (5 % to 60 %, sorted), plus a random delay.
    kills = rng.randint(3, 5)
    marks = sorted(int(n * rng.uniform(0.05, 0.6)) for _ in range(kills))
    at = []  # documents indexed at each kill
    s.start()
    client = h.Client(ctx.client, s.port, events, window=200, concurrency=2, timeout="10s")
    try:
        for k, mark in enumerate(marks):
            before = h.doc_count(ctx.url, index) or 0
            # At least some progress since the last restart, and the mark.
            h.wait_for(lambda: (h.doc_count(ctx.url, index) or 0) > max(before, mark) or not client.running(),
                       60, 0.05)
            time.sleep(rng.uniform(0.0, 0.3))
            check(client.running(), f"the client finished after {k} of {kills} kills: the load was too short "
                                    f"for this machine (raise n in kill9)")
            s.kill9()
            at.append(h.doc_count(ctx.url, index) or 0)
            time.sleep(rng.uniform(0.0, 0.5))
            s.start()
        rep = client_done(row, client, n, 240)
    finally:
        client.kill()
    counts = finish_counts(ctx, row, index, range(n), s)
    counts.check_exact(f"after {s.kills} kill -9")
    row.note = (f"{s.kills} x kill -9 (seeded) with {', '.join(map(str, at))} documents indexed, "
                f"{s.starts} starts on one path.data; the client opened "
                f"{rep['connections']} connections, resending its unacknowledged windows on each")


def case_kill9_e2e(ctx, row):
    kill9(ctx, row, persisted=False)


def case_kill9_pq(ctx, row):
    kill9(ctx, row, persisted=True)


def case_es_down(ctx, row):
    """Elasticsearch stopped for longer than the client's timeout, then started again."""
    case = row.case
    d = ctx.case_dir(case)
    index = f"faults-{case}"
    h.recreate_index(ctx.url, index)
    n = 20000
    events = h.write_events(os.path.join(d, "events.jsonl"), case, range(n))
    row.sent = n
    s = h.Sluice(ctx.sluice, d, case, h.free_port(), os.path.join(d, "data"), ctx.output(index),
                 {"pipeline.end_to_end_acks": "true"})
    s.start()
    client = h.Client(ctx.client, s.port, events, window=200, concurrency=2, timeout="5s", backoff="500ms")
    down_for = 12
    try:
        check(h.wait_for(lambda: (h.doc_count(ctx.url, index) or 0) >= 2000, 60, 0.2),
              "events did not start flowing into Elasticsearch")
        check(client.running(), "the client finished before Elasticsearch was stopped (raise n in es_down)")
        t0 = time.time()
        ctx.es_server.pause("elasticsearch", ctx.build_dir)
        time.sleep(down_for)
        check(s.alive(), f"sluice exited while Elasticsearch was down; log tail:\n{s.log()[-2500:]}")
        ctx.es_server.resume("elasticsearch", ctx.build_dir)
        outage = time.time() - t0
        rep = client_done(row, client, n, 240)
    finally:
        client.kill()
        ctx.es_server.resume("elasticsearch", ctx.build_dir)  # the next case needs the node (no-op if up)
    counts = finish_counts(ctx, row, index, range(n), s)
    counts.check_exact("after the outage")
    log = s.log()
    check(re.search(r"unreachable or down|no living connections|Attempted to resurrect", log),
          "the outage was not logged by the elasticsearch output")
    timed_out = rep["connections"] > 2
    row.note = (f"node unreachable {outage:.0f} s (stopped {down_for} s + start-up), client timeout 5 s; " +
                (f"the client timed out and reconnected {rep['connections'] - 2} times, resending its "
                 f"unacknowledged windows" if timed_out else
                 "the client never timed out (the beats input's keep-alive ACKs held its windows open), so "
                 "the duplicates are the output's own bulk retries of requests the stopping node had applied"))


def case_storm_429(ctx, row):
    """A 10 s storm of 429s (80 % of bulk requests, and every 5th item of the others) from the proxy."""
    case = row.case
    d = ctx.case_dir(case)
    index = f"faults-{case}"
    h.recreate_index(ctx.url, index)
    n = 20000
    events = h.write_events(os.path.join(d, "events.jsonl"), case, range(n))
    row.sent = n
    srv, proxy = h.storm_proxy(ctx.url, f"{ctx.seed}:{case}")
    try:
        s = h.Sluice(ctx.sluice, d, case, h.free_port(), os.path.join(d, "data"), ctx.output(index, hosts=proxy),
                     {"pipeline.end_to_end_acks": "true"})
        s.start()
        # A client timeout longer than the storm: any resend would come from the client, not from sluice.
        client = h.Client(ctx.client, s.port, events, window=200, concurrency=2, timeout="60s")
        try:
            check(h.wait_for(lambda: (h.doc_count(ctx.url, index) or 0) >= 1000, 60, 0.2),
                  "events did not start flowing into Elasticsearch")
            srv.state.storm(10)
            h.wait_for(lambda: not srv.state.active(), 15, 0.2)
            check(client.running(), "the client finished during the storm (raise n in storm_429)")
            rep = client_done(row, client, n, 240)
        finally:
            client.kill()
        counts = finish_counts(ctx, row, index, range(n), s)
        stats = dict(srv.state.stats)
    finally:
        srv.shutdown()
    counts.check_exact("after the 429 storm")
    check(stats["faults"] > 0 and stats["items_failed"] > 0,
          f"the storm injected nothing ({stats}): the case tested no retry")
    check(rep["resent_events"] == 0, f"the client resent windows, so duplicates are not sluice's alone: {rep}")
    # Every injected 429 was answered without forwarding that request or item, so a retry can only
    # duplicate if sluice resends an item Elasticsearch had accepted.
    check(counts.duplicated == 0, f"{counts.duplicated} events indexed more than once: sluice resent items "
                                  f"Elasticsearch had accepted")
    row.note = (f"{stats['faults']} of {stats['bulk_requests']} bulk requests answered 429, "
                f"{stats['items_failed']} items answered 429; none forwarded, so 0 duplicates expected")


REJECT_EVERY = 50


def rejected(i):
    return i % REJECT_EVERY == REJECT_EVERY - 1


def dlq_events(ctx, dlq_dir):
    """The seqs the dead letter queue holds, read back with sluice's dead_letter_queue input; None when
    this build has no such input."""
    conf = ('input { dead_letter_queue { path => "%s" pipeline_id => "main" commit_offsets => false } } '
            'output { stdout { codec => json_lines } }' % os.path.dirname(dlq_dir))
    p = subprocess.run([ctx.sluice, "-t", "-e", conf], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None
    d = tempfile.mkdtemp(dir=ctx.workdir)
    proc = subprocess.Popen([ctx.sluice, "-e", conf, "--path.data", d, "-S", "api.enabled=false"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    # The input keeps waiting for new entries: read until nothing new comes for 3 s.
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    seen = [0, time.time()]

    def settled():
        if len(lines) != seen[0]:
            seen[0], seen[1] = len(lines), time.time()
        return time.time() - seen[1] > 3

    h.wait_for(settled, 60, 0.2)
    proc.terminate()
    proc.wait(30)
    reader.join(10)
    return sorted(json.loads(x)["seq"] for x in lines if x.strip())


def case_disk_full(ctx, row):
    """Memory queue (end-to-end acks) with path.data on a full 2 MB tmpfs: the node id, the .lock and
    the dead letter queue writes meet ENOSPC; events keep flowing, restarts work, and rejected events
    reach the dead letter queue once space returns."""
    case = row.case
    d = ctx.case_dir(case)
    index = f"faults-{case}"
    h.recreate_index(ctx.url, index, {"num": {"type": "long"}})
    fs = h.SmallFs(os.path.join(d, "data"))
    fs.mount()
    try:
        n = 8000
        parts = [range(0, 2000), range(2000, 4000), range(4000, 6000), range(6000, n)]
        files = [h.write_events(os.path.join(d, f"events{k}.jsonl"), case, part,
                                lambda i: {"num": f"not a number {i}" if rejected(i) else i})
                 for k, part in enumerate(parts)]
        s = h.Sluice(ctx.sluice, d, case, h.free_port(), fs.path, ctx.output(index),
                     {"pipeline.end_to_end_acks": "true", "dead_letter_queue.enable": "true"})
        s.start()
        dlq_dir = os.path.join(fs.path, "dead_letter_queue", "main")
        has_dlq = os.path.isdir(dlq_dir)
        filled = fs.fill()
        check(fs.free_bytes() == 0, f"the filesystem still has {fs.free_bytes()} bytes free after filling")
        reps = []
        # 1: the disk fills up while sluice runs.
        reps.append(h.Client(ctx.client, s.port, files[0], window=200, timeout="10s").wait(120))
        # 2: kill -9 and a restart on the full disk (.lock and uuid exist, nothing needs creating).
        s.kill9()
        s.start()
        reps.append(h.Client(ctx.client, s.port, files[1], window=200, timeout="10s").wait(120))
        # 3: a second node started on a fresh path.data on the full disk: its uuid cannot be written.
        # Logstash goes on with an ephemeral id and says so; a uuid file left empty while the log
        # claims a persistent id is a silent failure.
        fresh = os.path.join(fs.path, "fresh")
        s2 = h.Sluice(ctx.sluice, d, case + "-fresh", h.free_port(), fresh, ctx.output(index),
                      {"pipeline.end_to_end_acks": "true"})
        s2.start()
        reps.append(h.Client(ctx.client, s2.port, files[2], window=200, timeout="10s").wait(120))
        rc2 = s2.stop()
        full_log = s.log()
        # 4: space returns.
        fs.release()
        reps.append(h.Client(ctx.client, s.port, files[3], window=200, timeout="10s").wait(120))
        acked = 0
        for rep, part in zip(reps, parts):
            acked += rep["acked"]
            check(rep["acked"] == len(part) and rep["exit"] == 0, f"events not acknowledged: {rep}")
        row.sent, row.acked = n, acked
        expected = [i for i in range(n) if not rejected(i)]
        counts = finish_counts(ctx, row, index, expected, s)
        counts.check_exact("with a full path.data")
        n_rejected = n - len(expected)
        notes = [f"tmpfs 2 MB filled ({filled} B), kill -9 + restart on the full disk, "
                 f"{len(expected)} valid events all indexed, {n_rejected} rejected by mapping"]
        problems = []  # every finding of the case, not only the first
        if rc2 != 0:
            problems.append(f"the node on a fresh path.data exited with {rc2} after SIGTERM")
        uuid_path = os.path.join(fresh, "uuid")
        stored = open(uuid_path).read().strip() if os.path.exists(uuid_path) else ""
        logged = re.findall(r"Generating new UUID \{:uuid=>\"([0-9a-f-]+)\"", s2.log())
        warned = re.search(r"(?i)could not write persistent UUID|cannot write \S*uuid", s2.log())
        if not (warned or (logged and stored == logged[-1])):
            problems.append(f"on a full disk the node logged a new persistent UUID {logged} but {uuid_path} "
                            f"holds {stored!r} and no warning says it could not be written")
        if not has_dlq and h.count_matches(s.log(), r"Could not index event") < 1:
            problems.append("the 400 rejections were not logged")  # with a DLQ they go there, unlogged
        if has_dlq:
            if not re.search(r"Cannot write event to DLQ\(path: [^)]*\): .*No space left on device", full_log):
                problems.append("dead letter queue writes on the full disk were not reported as ENOSPC")
            in_dlq = dlq_events(ctx, dlq_dir)
            later = [i for i in parts[3] if rejected(i)]
            if in_dlq is None:
                size = sum(os.path.getsize(os.path.join(dlq_dir, f)) for f in os.listdir(dlq_dir)
                           if f.endswith(".log"))
                if size <= 1:
                    problems.append("no dead letter queue entry written after space returned")
                notes.append(f"DLQ: {size} B of segments once space returned (no dead_letter_queue input "
                             f"to count them)")
            else:
                lost = sorted(set(later) - set(in_dlq))
                strays = sorted(i for i in set(in_dlq) if not rejected(i))
                if strays:
                    problems.append(f"events Elasticsearch accepted are in the dead letter queue: {strays[:10]}")
                if lost:
                    problems.append(f"{len(lost)} of the {len(later)} events rejected after space returned are "
                                    f"not in the dead letter queue (first: {lost[:10]})")
                notes.append(f"DLQ: ENOSPC reported while full; {len(in_dlq)} entries read back, "
                             f"{len(later) - len(lost)} of the {len(later)} rejected after space returned")
        else:
            notes.append("no dead letter queue in this build (dead_letter_queue.enable opened no directory): "
                         "node id, .lock and event flow tested")
        row.note = "; ".join(notes)
        check(not problems, "; ".join(problems))
    finally:
        fs.unmount()


def case_disk_full_pq(ctx, row):
    """Persisted queue on a full 2 MB tmpfs: writes block (backpressure, nothing acknowledged), an
    error names the directory, and everything flows once space returns."""
    reason = ctx.pq_available()
    if reason:
        raise Skip(PQ_UNAVAILABLE, reason)
    case = row.case
    d = ctx.case_dir(case)
    index = f"faults-{case}"
    h.recreate_index(ctx.url, index)
    fs = h.SmallFs(os.path.join(d, "data"))
    fs.mount()
    try:
        n = 5000
        events = h.write_events(os.path.join(d, "events.jsonl"), case, range(n))
        row.sent = n
        s = h.Sluice(ctx.sluice, d, case, h.free_port(), fs.path, ctx.output(index),
                     {"queue.type": "persisted", "queue.page_capacity": "64kb", "queue.max_bytes": "1mb"})
        s.start()
        fs.fill()
        client = h.Client(ctx.client, s.port, events, window=200, timeout="30s")
        time.sleep(8)
        check(s.alive(), f"sluice exited on the full disk; log tail:\n{s.log()[-2500:]}")
        held = h.doc_count(ctx.url, index) or 0
        full_log = s.log()
        fs.release()
        rep = client_done(row, client, n, 180)
        counts = finish_counts(ctx, row, index, range(n), s)
        counts.check_exact("after the disk filled up and emptied")
        check(re.search(r"No space left on device", full_log), "the full disk was not reported")
        check(held < n, "every event was indexed while the queue could not write: the disk was not in the way")
        row.note = (f"{held} events indexed while the disk was full (8 s), the rest after space returned; "
                    f"the client opened {rep['connections']} connections")
    finally:
        fs.unmount()


def case_torn_page(ctx, row):
    """Persisted queue: events queued (output held back), kill -9, the newest page torn with
    tests/tools/pq_tear.py, restart: the loss is reported with its count, the rest delivered once."""
    reason = ctx.pq_available()
    if reason:
        raise Skip(PQ_UNAVAILABLE, reason)
    if not os.path.exists(TEAR_TOOL):
        raise Skip("skipped: no torn-page tool in this tree", f"{os.path.relpath(TEAR_TOOL, h.ROOT)} is missing")
    case = row.case
    d = ctx.case_dir(case)
    index = f"faults-{case}"
    h.recreate_index(ctx.url, index)
    n = 3000
    events = h.write_events(os.path.join(d, "events.jsonl"), case, range(n))
    row.sent = n
    srv, proxy = h.fault_server.serve(ctx.url, {"bulk_503": 1 << 30})  # the output cannot deliver
    try:
        data = os.path.join(d, "data")
        s = h.Sluice(ctx.sluice, d, case, h.free_port(), data, ctx.output(index, hosts=proxy),
                     {"queue.type": "persisted", "queue.page_capacity": "64kb"})
        s.start()
        client = h.Client(ctx.client, s.port, events, window=200, timeout="30s")
        client_done(row, client, n, 90)
        time.sleep(2)  # past queue.checkpoint.interval: the checkpoint counts every durable record
        s.kill9()
        qdir = os.path.join(data, "queue", "main")
        listing = subprocess.run([sys.executable, TEAR_TOOL, "list", qdir], capture_output=True, text=True).stdout
        tear = subprocess.run([sys.executable, TEAR_TOOL, "tear-last-record", qdir], capture_output=True, text=True)
        check(tear.returncode == 0, f"pq_tear.py could not tear the page: {tear.stderr}\n{listing}")
        with srv.state.lock:
            srv.state.faults["bulk_503"] = 0
        s.start()  # recovery runs before the input listens: its report is in the log now
        log = s.log()[s.log().rfind("---- start 2"):]
        lost_re = r"persisted queue page \S+ .*?(\d+) unacknowledged events? (?:is|are) lost"
        reported = [int(m) for m in re.findall(lost_re, log)]
        counts = finish_counts(ctx, row, index, range(n), s, target=n - sum(reported))
        log = s.log()[s.log().rfind("---- start 2"):]
        reported = [int(m) for m in re.findall(lost_re, log)]
        check(reported, f"the torn page was not reported with an event count ({len(counts.missing)} events "
                        f"missing, first {counts.missing[:5]}); log after restart:\n{log[-2500:]}")
        check(s.starts == 2, "sluice needed more than one start after the tear")
        check(not counts.mismatched and not counts.unexpected, "unexpected documents")
        check(len(counts.missing) == sum(reported),
              f"{len(counts.missing)} events missing but {sum(reported)} reported lost "
              f"(missing: {counts.missing[:10]})")
        row.note = (f"{tear.stdout.strip()}; reported lost: {sum(reported)}; {counts.indexed} of {n} "
                    f"delivered after one restart")
    finally:
        srv.shutdown()


PQ_CASES = {"kill9_pq", "disk_full_pq", "torn_page"}

CASES = {
    "kill9_e2e": case_kill9_e2e,
    "kill9_pq": case_kill9_pq,
    "es_down": case_es_down,
    "storm_429": case_storm_429,
    "disk_full": case_disk_full,
    "disk_full_pq": case_disk_full_pq,
    "torn_page": case_torn_page,
}


# ---- the run -------------------------------------------------------------------------------------

def print_table(rows):
    head = ["case", "sent", "acknowledged", "indexed", "missing", "duplicated", "result"]
    cells = [[r.case] + ["-" if v is None else str(v) for v in (r.sent, r.acked, r.indexed, r.missing, r.duplicated)]
             + [r.result] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *cells)]
    line = lambda vals: "| " + " | ".join(v.ljust(w) for v, w in zip(vals, widths)) + " |"  # noqa: E731
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cells:
        print(line(c))
    for r in rows:
        if r.note:
            print(f"  {r.case}: {r.note}")
    sys.stdout.flush()


def peers_missing(reason):
    if os.environ.get("SLUICE_REQUIRE_PEERS") == "1":
        print(f"FAIL: {reason} and SLUICE_REQUIRE_PEERS=1")
        return 1
    print(f"SKIP: {reason}")
    return 77


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--build-dir", default=os.path.join(h.ROOT, "build"))
    ap.add_argument("--only", nargs="*", choices=sorted(CASES))
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--keep-server", action="store_true", help="leave the Elasticsearch node running")
    ap.add_argument("--work", help="keep each case's config, log and input here (default: a temporary directory)")
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)

    if shutil.which("go") is None:
        return peers_missing("no Go toolchain to build tests/peers/lumberclient")
    es_server = h.es_server_module()
    try:
        es_server.find_java(es_server.DISTS["elasticsearch"])
        es_server.ensure_distribution("elasticsearch", es_server.DISTS["elasticsearch"]["version"], args.build_dir)
    except Exception as e:  # noqa: BLE001
        return peers_missing(f"Elasticsearch is not available here: {e}")
    selected = [n for n in CASES if not args.only or n in args.only]
    if set(selected) <= PQ_CASES:
        # Only persisted-queue cases: no node to start when this build cannot run them.
        with tempfile.TemporaryDirectory(prefix="sluice-faults-") as tmp:
            reason = probe_pq(os.path.abspath(args.sluice), tmp)
        if reason:
            rows = []
            for name in selected:
                rows.append(Row(name))
                rows[-1].result, rows[-1].note = PQ_UNAVAILABLE, reason
            print_table(rows)
            print(f"0 passed, 0 failed, {len(rows)} skipped")
            return 77
    client = h.build_lumberclient(args.build_dir)
    try:
        url = es_server.start("elasticsearch", args.build_dir)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL: could not start Elasticsearch: {e}")
        return 1
    print(f"# seed {args.seed} (replay with --seed {args.seed}); Elasticsearch at {url}", flush=True)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="sluice-faults-") as tmp:
            work = os.path.abspath(args.work) if args.work else tmp
            os.makedirs(work, exist_ok=True)
            ctx = Ctx(args, es_server, url, client, work)
            for name, fn in CASES.items():
                if args.only and name not in args.only:
                    continue
                row = Row(name)
                rows.append(row)
                t0 = time.time()
                try:
                    fn(ctx, row)
                    row.result = f"ok ({time.time() - t0:.0f} s)"
                except Skip as e:
                    row.result = e.args[0]
                    row.note = e.args[1] if len(e.args) > 1 else ""
                except Exception as e:  # noqa: BLE001
                    row.result = f"FAIL ({time.time() - t0:.0f} s)"
                    row.note = (f"{e}" if isinstance(e, Fail) else traceback.format_exc()) + \
                               (f"\n    [{row.note}]" if row.note else "")
                h.kill_leftovers()
                print(f"# {name}: {row.result}", flush=True)
    finally:
        if not args.keep_server:
            es_server.stop("elasticsearch", args.build_dir)
    print_table(rows)
    failed = sum(r.result.startswith("FAIL") for r in rows)
    passed = sum(r.result.startswith("ok") for r in rows)
    print(f"{passed} passed, {failed} failed, {len(rows) - passed - failed} skipped")
    if failed:
        return 1
    return 0 if passed else 77  # nothing ran: a skip, never a vacuous pass


if __name__ == "__main__":
    sys.exit(main())
