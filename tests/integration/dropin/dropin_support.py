"""Support for the drop-in tests (run_dropin_tests.py): a staged copy of the container image's folder
layout, a running `bin/logstash` or `bin/docker-entrypoint` with its stdout and stderr collected,
a small client of the monitoring API, and the structural comparison of JSON documents with the
recorded Logstash responses.

Every wait has a deadline; a failed wait raises Failure with the tail of the process's stderr.
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
STAGE_SCRIPT = os.path.join(ROOT, "scripts", "stage-image-layout.sh")

sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "beats"))
from run_beats_tests import Failure, build_client, check, run_client  # noqa: E402,F401  (re-exported)

# The only variables of the test's own environment the node sees (plus each case's): anything else
# (LS_HOME, LS_SETTINGS_DIR, PIPELINE_WORKERS, ...) would change how it resolves its settings. The
# entry points set LS_HOME, and docker-entrypoint SLUICE_SETTINGS_FROM_ENV, themselves.
KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
            "TSAN_OPTIONS")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_range(width):
    """A port p such that p..p+width-1 are all free right now (checked by binding each)."""
    for _ in range(50):
        p = free_port()
        if p + width > 65535:
            continue
        ok = True
        for q in range(p, p + width):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", q))
                except OSError:
                    ok = False
                    break
        if ok:
            return p
    raise Failure("no range of %d free loopback ports found" % width)


def wait_until(pred, timeout, what, tail=None):
    """Polls `pred` until it returns a true value (returned) or `timeout` seconds pass (Failure)."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() >= deadline:
            raise Failure("timed out after %.0f s waiting for %s%s" % (timeout, what, tail() if tail else ""))
        time.sleep(0.05)


# ---- the image layout ----------------------------------------------------------------------------

class Layout:
    """DEST/{bin,config,pipeline,data} made by scripts/stage-image-layout.sh, as the image has them
    under /usr/share/logstash."""

    def __init__(self, parent, name, sluice):
        self.home = os.path.realpath(os.path.join(parent, name))
        if not os.path.exists(STAGE_SCRIPT):
            raise Failure("%s is missing: the image layout cannot be staged" % STAGE_SCRIPT)
        p = subprocess.run(["sh", STAGE_SCRIPT, self.home, sluice], capture_output=True, text=True)
        if p.returncode != 0:
            raise Failure("stage-image-layout.sh failed (exit %d):\n%s%s" % (p.returncode, p.stdout, p.stderr))
        for d in ("bin", "config", "pipeline", "data"):
            check(os.path.isdir(os.path.join(self.home, d)), "the staged layout has no %s/ directory" % d)
        for f in ("bin/logstash", "bin/docker-entrypoint"):
            check(os.access(os.path.join(self.home, f), os.X_OK), "the staged layout has no executable " + f)

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    def write(self, rel, text):
        """Writes a file of the layout in one step (a temp file renamed over it), so a reload never
        reads it half-written."""
        target = self.path(rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = target + ".tmp~"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, target)
        return target

    def remove_pipeline_files(self):
        d = self.path("pipeline")
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))


# ---- a running node ------------------------------------------------------------------------------

class Node:
    """`bin/logstash ARGS` (or `bin/docker-entrypoint ARGS`) of a staged layout, run as the image runs
    it: the working directory is the layout, LS_HOME is not set by the caller. stdout lines and
    stderr lines are collected by reader threads; `line_delay` (seconds per stdout line) makes the
    reader slow, which holds the pipeline back (a paced flow of events)."""

    def __init__(self, layout, args=(), env=None, entry="bin/logstash", stdin=False, line_delay=0.0):
        self.layout = layout
        full_env = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
        full_env.update(env or {})
        self.proc = subprocess.Popen([layout.path(entry), *args], cwd=layout.home, env=full_env,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        self.lines = []
        self.stderr = []
        self.lock = threading.Lock()
        self.line_delay = line_delay
        self.t_err = threading.Thread(target=self._read_err, daemon=True)
        self.t_out = threading.Thread(target=self._read_out, daemon=True)
        self.t_err.start()
        self.t_out.start()
        self._api_port = None

    def _read_err(self):
        for raw in self.proc.stderr:
            with self.lock:
                self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _read_out(self):
        buf = b""
        while True:
            chunk = self.proc.stdout.read(4096)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            with self.lock:
                self.lines.extend(done)
            if self.line_delay and done:
                time.sleep(self.line_delay * len(done))

    # -- output and logs

    def tail(self, n=25):
        with self.lock:
            lines = self.stderr[-n:]
        state = "running" if self.proc.poll() is None else "exited with %d" % self.proc.returncode
        return "\n  (sluice %s; last stderr lines:)\n    " % state + "\n    ".join(lines)

    def line_count(self):
        with self.lock:
            return len(self.lines)

    def events(self):
        with self.lock:
            lines = list(self.lines)
        out = []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise Failure("stdout line %d is not JSON (%s): %r" % (i + 1, e, line[:300]))
        return out

    def log_lines(self, pattern):
        with self.lock:
            return [l for l in self.stderr if re.search(pattern, l)]

    def wait_log(self, pattern, timeout=20, count=1):
        """Waits for `count` stderr lines matching `pattern`; returns the last match object."""
        def found():
            hits = self.log_lines(pattern)
            return re.search(pattern, hits[count - 1]) if len(hits) >= count else None
        return wait_until(found, timeout, "%d log line(s) matching %r" % (count, pattern), self.tail)

    def wait_lines(self, n, timeout=60):
        wait_until(lambda: self.line_count() >= n, timeout,
                   "%d stdout lines (have %d)" % (n, self.line_count()), self.tail)

    def write_stdin(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    # -- process

    def signal(self, sig):
        check(self.proc.poll() is None, "sluice is not running, cannot send it %s%s"
              % (signal.Signals(sig).name, self.tail()))
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=30):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("sluice did not exit within %d s%s" % (timeout, self.tail()))
        self.t_out.join(10)
        self.t_err.join(10)
        return self.proc.returncode

    def stop(self, timeout=30):
        """SIGTERM, then the exit status (a kill after `timeout` is a failure)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure("sluice did not stop within %d s of SIGTERM%s" % (timeout, self.tail()))
        self.t_out.join(10)
        self.t_err.join(10)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    # -- the monitoring API

    def api_port(self, timeout=20):
        if self._api_port is None:
            m = self.wait_log(r"Successfully started Logstash API endpoint \{:port=>(\d+)", timeout)
            self._api_port = int(m.group(1))
        return self._api_port

    def get(self, path, expect_status=200):
        """GET path from the API; returns (status, body text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port(), timeout=10)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read().decode("utf-8", "replace")
        except OSError as e:
            raise Failure("GET %s failed: %s%s" % (path, e, self.tail()))
        finally:
            conn.close()
        if expect_status is not None:
            check(r.status == expect_status, "GET %s: status %d, expected %d: %s" % (path, r.status, expect_status,
                                                                                   body[:500]))
        return r.status, body

    def get_json(self, path, expect_status=200):
        status, body = self.get(path, expect_status)
        try:
            return json.loads(body)
        except json.JSONDecodeError as e:
            raise Failure("GET %s: the body is not JSON (%s): %r" % (path, e, body[:300]))

    def pipeline_stats(self, pid):
        return self.get_json("/_node/stats/pipelines/" + pid)["pipelines"][pid]


# ---- events ----------------------------------------------------------------------------------------

def write_events(path, first, n):
    """A JSONL file for lumberclient -input: events with `seq` first..first+n-1."""
    with open(path, "w") as f:
        for i in range(first, first + n):
            f.write(json.dumps({"@timestamp": "2024-05-14T09:21:07.000Z", "seq": i, "message": "event %d" % i,
                                "@metadata": {"beat": "filebeat", "version": "7.17.21"}}) + "\n")
    return path


def by_seq(events, key="seq"):
    """seq -> list of events carrying it."""
    out = {}
    for e in events:
        out.setdefault(e[key], []).append(e)
    return out


# ---- JSON shapes ---------------------------------------------------------------------------------

def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def shape_differences(recorded, ours, dynamic=(), omitted=(), path=""):
    """Every key path of `recorded` must exist in `ours` with the same JSON type (a recorded null
    matches anything). Objects at a path in `dynamic` are maps keyed by ids (pipeline ids, plugin
    ids): every recorded value is compared with every value of ours. Arrays: the key paths common to
    every recorded element must exist in every element of ours. Paths in `omitted` (with `*` for
    any map key or array element) are skipped. Returns a list of differences."""
    diffs = []

    def skip(p):
        return any(re.fullmatch(pattern.replace(".", r"\.").replace("*", r"[^.]+"), p) for pattern in omitted)

    def walk(rec, our, p):
        if skip(p):
            return
        if rec is None:
            return
        tr, to = json_type(rec), json_type(our)
        if tr != to:
            diffs.append("%s: %s in Logstash's response, %s in ours" % (p or "(root)", tr, to))
            return
        if tr == "object":
            if p in dynamic:
                if not our:
                    if rec:
                        diffs.append("%s: Logstash's response has entries, ours has none" % p)
                    return
                for k_rec, v_rec in rec.items():
                    for k_our, v_our in our.items():
                        walk(v_rec, v_our, (p + "." if p else "") + "*")
                return
            for k, v in rec.items():
                q = (p + "." if p else "") + k
                if k not in our:
                    if not skip(q):
                        diffs.append("%s: missing (Logstash: %s)" % (q, json_type(v)))
                    continue
                walk(v, our[k], q)
        elif tr == "array":
            if not rec or not our:
                return
            common = common_shape(rec)
            for item in our:
                walk(common, item, p + ".*")

    walk(recorded, ours, path)
    return list(dict.fromkeys(diffs))  # several recorded entries of a map report the same path once


def common_shape(items):
    """The structure shared by every element of a list: for objects, the keys all of them have
    (recursively); otherwise the first element."""
    if not all(isinstance(i, dict) for i in items):
        return items[0]
    keys = set(items[0])
    for i in items[1:]:
        keys &= set(i)
    out = {}
    for k in items[0]:
        if k not in keys:
            continue
        values = [i[k] for i in items]
        non_null = [v for v in values if v is not None]
        if not non_null:
            out[k] = None
        elif all(isinstance(v, dict) for v in non_null):
            out[k] = common_shape(non_null)
        elif len({json_type(v) for v in non_null}) == 1:
            out[k] = non_null[0]
        else:
            out[k] = None  # the recorded responses disagree: any type matches
    return out
