"""Building blocks of the fault-test suite (tests/faults/run_faults.py): the real `sluice` binary
restarted on the same path.data, the go-lumber client running in the background, a fault proxy with
timed storms, and exact counts read back from Elasticsearch.

Counting rule (used by every case): each event carries `seq`, its position in the client's input,
and the elasticsearch output writes it with `document_id => "%{seq}"` into an index of its own, so
  indexed     = documents in the index (one per distinct seq),
  missing     = expected seqs without a document,
  duplicated  = sum over documents of (_version - 1): every extra delivery of an event overwrites its
                document and raises `_version` by one, so one index counts distinct events and
                repeated deliveries exactly.
"""
import errno
import importlib.util
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "es"))
import fault_server  # noqa: E402


class Fail(AssertionError):
    """A case found Sluice (or the machine) not doing what the case requires."""


class Skip(Exception):
    """A case that cannot run in this build or on this machine: Skip(table text, detail)."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def es_server_module():
    return load_module("es_server", os.path.join(ROOT, "scripts", "es-server.py"))


def build_lumberclient(build_dir):
    """tests/peers/lumberclient (go-lumber), built as the beats tests build it, into BUILD/beats-it/peers."""
    beats = load_module("run_beats_tests", os.path.join(ROOT, "tests", "integration", "beats", "run_beats_tests.py"))
    return beats.build_client(os.path.join(os.path.abspath(build_dir), "beats-it"))


def wait_for(cond, timeout, step=0.2):
    """Polls `cond` until it returns a true value or `timeout` seconds pass; returns its last value."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() >= deadline:
            return v
        time.sleep(step)


# ---- Elasticsearch -------------------------------------------------------------------------------

# The es integration tests' HTTP helper: (status, parsed JSON or raw bytes).
from run_es_tests import http  # noqa: E402,F401


def recreate_index(url, index, properties=None):
    """One shard, no replica (a single node stays green across restarts), optional explicit mapping."""
    http("DELETE", f"{url}/{index}?ignore_unavailable=true")
    body = {"settings": {"number_of_shards": 1, "number_of_replicas": 0}}
    if properties:
        body["mappings"] = {"properties": properties}
    st, res = http("PUT", f"{url}/{index}", body)
    check(st == 200, f"cannot create index {index}: HTTP {st} {res}")


def doc_count(url, index):
    """Documents in `index` now (after a refresh); None while the node does not answer."""
    try:
        http("POST", f"{url}/{index}/_refresh", timeout=10)
        st, res = http("GET", f"{url}/{index}/_count", timeout=10)
    except (urllib.error.URLError, OSError):
        return None
    return res["count"] if st == 200 else None


def read_documents(url, index):
    """Every document of `index` as {_id: (seq, _version)}, read with a scroll."""
    st, res = http("POST", f"{url}/{index}/_refresh")
    check(st == 200, f"refresh {index}: HTTP {st} {res}")
    docs = {}
    st, res = http("POST", f"{url}/{index}/_search?scroll=1m",
                   {"size": 5000, "version": True, "_source": ["seq"], "sort": ["_doc"]})
    check(st == 200, f"search {index}: HTTP {st} {res}")
    while res["hits"]["hits"]:
        for h in res["hits"]["hits"]:
            docs[h["_id"]] = (h["_source"].get("seq"), h["_version"])
        st, res = http("POST", f"{url}/_search/scroll", {"scroll": "1m", "scroll_id": res["_scroll_id"]})
        check(st == 200, f"scroll {index}: HTTP {st} {res}")
    return docs


class Counts:
    """Exact counts of one case, computed from the documents in its index."""

    def __init__(self, docs, expected_seqs):
        expected = set(expected_seqs)
        self.indexed = len(docs)
        self.duplicated = sum(v - 1 for _, v in docs.values())
        seen = set()
        self.mismatched = []
        for doc_id, (seq, _) in docs.items():
            if str(seq) != doc_id:
                self.mismatched.append(doc_id)
            seen.add(seq)
        self.missing = sorted(expected - seen)
        self.unexpected = sorted(s for s in seen if s not in expected)

    def check_exact(self, what):
        check(not self.mismatched, f"{what}: documents whose _id is not their seq: {self.mismatched[:5]}")
        check(not self.unexpected, f"{what}: documents for events that should not be indexed: {self.unexpected[:5]}")
        check(not self.missing, f"{what}: {len(self.missing)} acknowledged events missing in Elasticsearch "
                                f"(first: {self.missing[:10]})")


# ---- events --------------------------------------------------------------------------------------

def write_events(path, case, seqs, extra=None):
    """A JSONL file of Filebeat-like events for the client: one per seq, sent as-is."""
    with open(path, "w") as f:
        for i in seqs:
            e = {"@timestamp": "2025-03-01T12:%02d:%02d.%03dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000),
                 "@metadata": {"beat": "filebeat", "type": "_doc", "version": "7.17.27"},
                 "message": f"{case} event {i}", "seq": i, "case": case,
                 "host": {"name": "fault-host"}, "agent": {"type": "filebeat", "version": "7.17.27"}}
            if extra:
                e.update(extra(i))
            f.write(json.dumps(e, separators=(",", ":")) + "\n")
    return path


# ---- sluice --------------------------------------------------------------------------------------

STARTED = []  # every Sluice of the run, for kill_leftovers()


def kill_leftovers():
    """Ends the sluice processes a failed case left running (only those this suite started)."""
    while STARTED:
        s = STARTED.pop()
        if s.alive():
            s.proc.kill()
            s.proc.wait()


class Sluice:
    """One pipeline (beats on a fixed port -> elasticsearch), started, killed and restarted on the same
    path.data like the service would be. All runs append to one log file."""

    PORT_LINE = "Starting server on port: "

    def __init__(self, binary, workdir, name, port, path_data, output, settings=None, workers=2, batch=125):
        self.binary = binary
        self.port = port
        self.path_data = path_data
        self.settings = dict(settings or {})
        self.settings.setdefault("api.enabled", "false")  # several sluice processes share the machine
        self.workers, self.batch = workers, batch
        self.conf = os.path.join(workdir, f"{name}.conf")
        self.log_path = os.path.join(workdir, f"{name}.log")
        opts = "".join(f"    {k} => {v}\n" for k, v in output.items())
        with open(self.conf, "w") as f:
            f.write(f'input {{\n  beats {{ host => "127.0.0.1" port => {port} }}\n}}\n'
                    f"output {{\n  elasticsearch {{\n{opts}  }}\n}}\n")
        open(self.log_path, "wb").close()
        self.proc = None
        self.starts = 0
        self.kills = 0
        STARTED.append(self)

    def command(self):
        cmd = [self.binary, "-f", self.conf, "--path.data", self.path_data, "-w", str(self.workers),
               "-b", str(self.batch)]
        for k, v in self.settings.items():
            cmd += ["-S", f"{k}={v}"]
        return cmd

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def start(self, timeout=30):
        """Starts sluice and waits until its beats input listens (a new port line in the log)."""
        before = self.log().count(self.PORT_LINE)
        with open(self.log_path, "ab") as out:
            out.write(f"---- start {self.starts + 1}: {' '.join(self.command())}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1
        ok = wait_for(lambda: self.log().count(self.PORT_LINE) > before or self.proc.poll() is not None, timeout, 0.05)
        check(ok and self.proc.poll() is None,
              f"sluice did not start listening (start {self.starts}, exit {self.proc.poll()}); log tail:\n"
              + self.log()[-2500:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        check(self.alive(), f"sluice died on its own before kill {self.kills + 1} (exit {self.proc.poll()}); "
                            f"log tail:\n{self.log()[-2500:]}")
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1
        with open(self.log_path, "ab") as out:
            out.write(f"---- kill -9 #{self.kills}\n".encode())

    def stop(self, timeout=60):
        """SIGTERM; returns the exit status (or a description if it had to be killed)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return f"still running {timeout} s after SIGTERM (killed)"


def pipeline_files(path_data, pipeline="main"):
    d = os.path.join(path_data, "queue", pipeline)
    try:
        return [n for n in os.listdir(d) if n != ".lock"]
    except FileNotFoundError:
        return []


# ---- the client ----------------------------------------------------------------------------------

class Client:
    """lumberclient in the background; it retries (reconnects and resends unacknowledged windows)
    until everything is acknowledged, so after restarts `acked` ends equal to `sent`."""

    def __init__(self, binary, port, events_path, window=200, concurrency=2, timeout="10s", retries=2000,
                 backoff="250ms"):
        self.cmd = [binary, "-addr", f"127.0.0.1:{port}", "-input", events_path, "-window", str(window),
                    "-concurrency", str(concurrency), "-timeout", timeout, "-retries", str(retries),
                    "-backoff", backoff, "-compress", "3"]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise Fail(f"the client did not finish within {timeout} s (events not acknowledged): {err[-1500:]}")
        try:
            report = json.loads(out.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise Fail(f"the client printed no report (exit {self.proc.returncode}): {out[-500:]} {err[-1500:]}")
        report["exit"] = self.proc.returncode
        return report

    def kill(self):
        if self.running():
            self.proc.kill()
            self.proc.communicate()


# ---- fault proxy with timed storms ---------------------------------------------------------------

class StormState(fault_server.State):
    """fault_server's state with a timed, seeded storm: while it lasts, each _bulk request is answered
    429 unforwarded with probability `p_request`, and in the requests that are forwarded every
    `item_every`-th item is kept back and answered 429 (neither reaches the node)."""

    def __init__(self, upstream, rng, p_request, item_every):
        super().__init__(upstream, {"item_fail_every": item_every, "item_status": 429})
        self.auth = None
        self.rng = rng
        self.p_request = p_request
        self.until = 0.0

    def storm(self, seconds):
        with self.lock:
            self.until = time.time() + seconds

    def active(self):
        return time.time() < self.until

    def take(self, key):
        if key == "bulk_429":
            with self.lock:
                hit = time.time() < self.until and self.rng.random() < self.p_request
                if hit:
                    self.stats["faults"] += 1
                return hit
        if key == "item_fail_rounds":
            return self.active()
        return super().take(key)


def storm_proxy(upstream, seed, p_request=0.8, item_every=5):
    srv, url = fault_server.serve(upstream, {})
    srv.state = StormState(upstream, random.Random(seed), p_request, item_every)
    return srv, url


# ---- a small filesystem for path.data ------------------------------------------------------------

class SmallFs:
    """A tmpfs of `size` mounted at `path` (root only), and a filler file that takes all its space."""

    def __init__(self, path, size="2m"):
        self.path = path
        self.size = size
        self.mounted = False
        self.filler = os.path.join(path, "filler")

    def mount(self):
        if os.geteuid() != 0:
            raise Skip("skipped: needs root", "mounting a small tmpfs for path.data (mount -t tmpfs -o size=2m) "
                                              "needs root")
        os.makedirs(self.path, exist_ok=True)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", self.path],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise Skip("skipped: cannot mount a tmpfs here", p.stderr.strip() or f"mount exited {p.returncode}")
        self.mounted = True

    def free_bytes(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self):
        """Writes the filler until the filesystem refuses (ENOSPC); returns the bytes written."""
        n = 0
        chunk = b"\0" * 4096
        with open(self.filler, "ab", buffering=0) as f:
            while True:
                try:
                    f.write(chunk)
                    n += len(chunk)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
        # The last partial block, byte by byte.
        with open(self.filler, "ab", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0")
                    n += 1
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
        return n

    def release(self):
        try:
            os.unlink(self.filler)
        except FileNotFoundError:
            pass

    def unmount(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], capture_output=True)
            self.mounted = False


def count_matches(text, pattern):
    return len(re.findall(pattern, text))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

