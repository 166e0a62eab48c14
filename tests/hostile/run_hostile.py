#!/usr/bin/env python3
"""The hostile-input suite: every attack of docs/security.md against the real `sluice` binary over
real sockets, each while an honest client (tests/peers/lumberclient, go-lumber: Filebeat's client
library) sends 20,000 events through the same beats input.

usage: run_hostile.py --sluice BIN --work DIR [--only NAME ...] [--events N] [--list]

Every row runs a fresh sluice (so its peak RSS, VmHWM, belongs to that attack alone) with one
pipeline:

    beats (TLS off)  ─┐                      ┌─ honest events:  "H <seq>"  (line codec)
    tcp json_lines   ─┼─► (no filters) ──────┤
    stdin json_lines ─┘                      └─ anything else:  "X <tags>"

and the monitoring API on its own port with TLS (PKCS#12) and basic auth. An attack starts, and
once it is under way (connections open, bombs flying) the honest client sends its events; then the
attack stops and the row checks:

  alive      the process is still running after the attack
  hostile    what the hostile connection saw (closed by the server, an HTTP status, an event
             tagged _jsonparsefailure, ...) -- each attack names what it expects
  peak RSS   VmHWM of the process, and its growth above the RSS measured before the attack
  honest     events acknowledged to the client and seen at the output (unique `seq`), which must
             be all of them, and the client's throughput against the median of 3 clean runs

The run prints one table; exit 0 when every row met its expectations, 1 otherwise, 77 when Go or
openssl is missing (a failure instead when SLUICE_REQUIRE_PEERS=1, as in CI).
"""
import argparse
import base64
import os
import re
import resource
import shutil
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "beats"))
import run_beats_tests as beats_it  # noqa: E402  (the go-lumber client build, the test PKI)

MiB = 1 << 20
# Budgets of docs/security.md (the targets).
BUDGET_PER_CONNECTION = 64 * MiB   # above idle, for one hostile connection
BUDGET_PROCESS_BOMBS = 256 * MiB   # whole process, 10 simultaneous bombs
IDLE_CONN_BYTES = 8 * 1024         # per idle plain-TCP connection (plus the kernel's socket)
THROUGHPUT_TOLERANCE = 0.20
HONEST_RUNS = 5                    # honest client runs per row; throughput is their median
BOMB_PAUSE_S = 0.25                # a bomb connection waits this long between bombs

API_USER = "monitor"
API_PASSWORD = "Hostile-Suite-1"
KEYSTORE_PASSWORD = "changeit"
INACTIVITY_S = 4                   # client_inactivity_timeout of the beats input under test
MAX_CONNECTIONS = 1000             # max_connections of the beats and tcp inputs under test


class Failure(Exception):
    pass


# ---- payloads ----------------------------------------------------------------------------------

def be32(n):
    return struct.pack(">I", n)


def frame_w(n):
    return b"2W" + be32(n)


def frame_j(seq, payload):
    return b"2J" + be32(seq) + be32(len(payload)) + payload


def frame_c(raw):
    z = zlib.compress(raw, 6)
    return b"2C" + be32(len(z)) + z


def deep_json(depth=100_000, kind="array"):
    if kind == "array":
        return b'{"message":' + b"[" * depth + b"]" * depth + b"}"
    return b'{"a":' * depth + b"1" + b"}" * depth


_cache = {}


def bomb_zeros():
    """~1 MiB of zlib that inflates to 1 GiB of zero bytes, as one C frame."""
    if "zeros" not in _cache:
        co = zlib.compressobj(9)
        block = b"\0" * MiB
        parts = [co.compress(block) for _ in range(1024)]
        parts.append(co.flush())
        z = b"".join(parts)
        _cache["zeros"] = b"2C" + be32(len(z)) + z
    return _cache["zeros"]


def bomb_frames():
    """~1 MiB of zlib that inflates to ~1 GiB of valid frames: W(60000) then 512 KiB J frames."""
    if "frames" not in _cache:
        co = zlib.compressobj(9)
        j = b'{"message":"' + b"a" * (512 * 1024) + b'"}'
        parts = [co.compress(frame_w(60000))]
        for seq in range(1, 2049):
            parts.append(co.compress(frame_j(seq, j)))
        parts.append(co.flush())
        z = b"".join(parts)
        _cache["frames"] = b"2C" + be32(len(z)) + z
    return _cache["frames"]


# ---- the process under attack ------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def make_keystore(pki):
    p12 = os.path.join(pki, "api.p12")
    if not os.path.exists(p12):
        subprocess.run(["openssl", "pkcs12", "-export", "-in", "server.crt", "-inkey", "server.key", "-certfile",
                        "ca.crt", "-name", "api", "-passout", "pass:" + KEYSTORE_PASSWORD, "-out", p12],
                       cwd=pki, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p12


class Node:
    """One sluice process with the suite's pipeline, its stdout counted as it arrives."""

    def __init__(self, ctx, name):
        self.dir = os.path.join(ctx.work, "rows", name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "settings"))
        os.makedirs(os.path.join(self.dir, "data"))
        self.beats_port, self.tcp_port, self.api_port = free_port(), free_port(), free_port()
        self.tcp_line_port = free_port()
        conf = os.path.join(self.dir, "pipeline.conf")
        with open(conf, "w") as f:
            f.write("""
input {
  beats { id => "beats" host => "127.0.0.1" port => %(beats)d client_inactivity_timeout => %(idle)d %(limits)s }
  tcp   { id => "tcp" host => "127.0.0.1" port => %(tcp)d codec => json_lines %(limits)s }
  tcp   { id => "tcp_line" host => "127.0.0.1" port => %(tcp_line)d %(limits)s }
  stdin { id => "stdin" codec => json_lines }
}
output {
  if [@metadata][beat] == "honest" { stdout { codec => line { format => "H %%{seq}" } } }
  else { stdout { codec => line { format => "X %%{tags}" } } }
}
""" % {"beats": self.beats_port, "tcp": self.tcp_port, "tcp_line": self.tcp_line_port, "idle": INACTIVITY_S,
       "limits": "" if ctx.legacy else "max_connections => %d" % MAX_CONNECTIONS})
        with open(os.path.join(self.dir, "settings", "logstash.yml"), "w") as f:
            f.write("api.http.host: 127.0.0.1\napi.http.port: %d\n"
                    "api.ssl.enabled: true\napi.ssl.keystore.path: %s\napi.ssl.keystore.password: %s\n"
                    "api.auth.type: basic\napi.auth.basic.username: %s\napi.auth.basic.password: %s\n"
                    % (self.api_port, ctx.keystore, KEYSTORE_PASSWORD, API_USER, API_PASSWORD))
        with open(os.path.join(self.dir, "settings", "pipelines.yml"), "w") as f:
            f.write("[]\n")
        self.proc = subprocess.Popen(
            [ctx.sluice, "-f", conf, "--path.settings", os.path.join(self.dir, "settings"), "--path.data",
             os.path.join(self.dir, "data"), "-w", "2"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        self.lock = threading.Lock()
        self.honest = set()
        self.honest_lines = 0
        self.other = []
        self.stderr = []
        self.ready = threading.Event()
        self.t_out = threading.Thread(target=self._read_out, daemon=True)
        self.t_err = threading.Thread(target=self._read_err, daemon=True)
        self.t_out.start()
        self.t_err.start()
        if not self.ready.wait(30):
            self.kill()
            raise Failure("sluice did not start:\n" + "\n".join(self.stderr[-20:]))
        self.wait_port(self.beats_port)
        self.wait_port(self.tcp_port)
        self.wait_port(self.tcp_line_port)
        self.wait_port(self.api_port)
        time.sleep(0.3)
        self.idle_rss = rss_kib(self.proc.pid, "VmRSS") * 1024

    def _read_out(self):
        buf = b""
        while True:
            chunk = self.proc.stdout.read(1 << 16)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            with self.lock:
                for line in done:
                    if line.startswith(b"H "):
                        self.honest.add(line[2:])
                        self.honest_lines += 1
                    elif line:
                        self.other.append(line[:200].decode("utf-8", "replace"))

    def _read_err(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lock:
                self.stderr.append(line)
            if "Pipelines running" in line or "Pipeline started" in line:
                self.ready.set()

    def wait_port(self, port, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise Failure("port %d never opened" % port)

    def alive(self):
        return self.proc.poll() is None

    def peak_rss(self):
        return rss_kib(self.proc.pid, "VmHWM") * 1024

    def wait_honest(self, n, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.honest) >= n:
                    return
            if not self.alive():
                return
            time.sleep(0.05)

    def log_matching(self, pattern):
        with self.lock:
            return [line for line in self.stderr if re.search(pattern, line)]

    def others(self):
        with self.lock:
            return list(self.other)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.send_signal(15)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.t_out.join(10)
        self.t_err.join(10)


# ---- socket helpers ----------------------------------------------------------------------------

def closed_by_server(sock, timeout):
    """Waits until the server closes `sock` (EOF or reset); returns seconds taken or None."""
    start = time.time()
    sock.settimeout(0.25)
    while time.time() - start < timeout:
        try:
            data = sock.recv(65536)
            if not data:
                return time.time() - start
        except socket.timeout:
            continue
        except OSError:
            return time.time() - start
    return None


def send_all_tolerant(sock, data):
    """sendall that stops quietly when the server closes the connection mid-send."""
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def tls_context():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def api_request(node, raw, timeout=10):
    """Sends raw HTTP bytes over TLS to the API; returns (status or None, seconds)."""
    start = time.time()
    s = tls_context().wrap_socket(connect(node.api_port, timeout), server_hostname="localhost")
    try:
        s.settimeout(timeout)
        send_all_tolerant(s, raw)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
        return (int(m.group(1)) if m else None), time.time() - start
    except OSError:
        return None, time.time() - start
    finally:
        s.close()


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


# ---- attacks -----------------------------------------------------------------------------------
# Each attack is a class with `sent` (what it sends, for the table), start(node) (returns once the
# attack is under way), stop() and outcome() -> (text, ok). Continuous attacks keep going in a
# thread until stop().

class Attack:
    sent = ""
    rss_budget = BUDGET_PER_CONNECTION  # growth above the idle RSS allowed for this row

    def start(self, node):
        self.node = node
        self.result = None
        self.ok = False
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._guarded, daemon=True)
        self.engaged = threading.Event()
        self.thread.start()
        self.engaged.wait(120)

    def _guarded(self):
        try:
            self.run()
        except Exception as e:  # an attack that breaks is a failed row, with the reason
            self.result = "attack error: %r" % e
            self.ok = False
        finally:
            self.engaged.set()

    def stop(self):
        self.stop_flag.set()
        self.thread.join(180)

    def outcome(self):
        return self.result or "no outcome", self.ok


class Clean(Attack):
    sent = "nothing (baseline)"

    def run(self):
        self.engaged.set()
        self.result, self.ok = "-", True


class OneShotBeats(Attack):
    """Sends `payload` on one beats connection and expects the server to close it."""

    def __init__(self, sent, payload, expect_log):
        self.sent = sent
        self.payload = payload
        self.expect_log = expect_log

    def run(self):
        s = connect(self.node.beats_port)
        self.engaged.set()
        send_all_tolerant(s, self.payload)
        t = closed_by_server(s, 30)
        s.close()
        deadline = time.time() + 5  # the line may be written just after the close
        logged = self.node.log_matching(self.expect_log)
        while not logged and time.time() < deadline:
            time.sleep(0.05)
            logged = self.node.log_matching(self.expect_log)
        self.ok = t is not None and bool(logged)
        self.result = ("closed after %.2f s" % t if t is not None else "NOT closed") + \
            ("; logged" if logged else "; no log line matching /%s/" % self.expect_log)


class RepeatedBombs(Attack):
    """`n` connections each sending a bomb, again and again until stopped."""

    def __init__(self, sent, payload_fn, n, rss_budget, pause_s=BOMB_PAUSE_S):
        self.sent = sent
        self.payload_fn = payload_fn
        self.n = n
        self.rss_budget = rss_budget
        self.pause_s = pause_s

    def run(self):
        payload = self.payload_fn()
        closed = [0]
        lock = threading.Lock()
        first_round = threading.Barrier(self.n + 1)

        def one(i):
            first = True
            while not self.stop_flag.is_set():
                try:
                    s = connect(self.node.beats_port)
                except OSError:
                    time.sleep(0.05)
                    continue
                send_all_tolerant(s, payload)
                t = closed_by_server(s, 30)
                s.close()
                with lock:
                    if t is not None:
                        closed[0] += 1
                # A steady attack (a bomb every `pause_s` per connection) rather than a flood limited
                # only by this harness's own CPU, which shares the machine with the server under test.
                self.stop_flag.wait(self.pause_s)
                if first:
                    first = False
                    try:
                        first_round.wait(60)
                    except threading.BrokenBarrierError:
                        pass

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(self.n)]
        for t in threads:
            t.start()
        try:
            first_round.wait(90)  # every bomb went off once before the honest client starts
        except threading.BrokenBarrierError:
            pass
        self.engaged.set()
        for t in threads:
            t.join()
        self.ok = closed[0] >= self.n
        self.result = "%d bombs, each connection closed by the server" % closed[0] if self.ok else \
            "only %d bomb connections closed" % closed[0]


class IdleConnections(Attack):
    """`n` connections that each send one byte and then nothing."""

    def __init__(self, sent, port_attr, n, byte=b"2"):
        self.sent = sent
        self.port_attr = port_attr
        self.n = n
        self.byte = byte
        self.rss_budget = n * IDLE_CONN_BYTES + 16 * MiB

    def run(self):
        socks = []
        port = getattr(self.node, self.port_attr)
        for _ in range(self.n):
            try:
                s = connect(port)
                s.sendall(self.byte)
                socks.append(s)
            except OSError:
                break
        time.sleep(1.0)
        opened = len(socks)
        self.engaged.set()
        self.stop_flag.wait()
        still_open = 0
        for s in socks:
            s.setblocking(False)
            try:
                still_open += 1 if s.recv(1) is None else 0
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
            s.close()
        self.ok = opened == self.n
        self.result = "%d opened, %d still open at the end (max_connections %d evicts the oldest idle)" % (
            opened, still_open, MAX_CONNECTIONS)


class ConnectionFlood(Attack):
    """More connections than max_connections, held open: the honest client must still get in."""
    sent = "%d beats connections, each one byte, held open (max_connections %d)" % (MAX_CONNECTIONS + 500,
                                                                                    MAX_CONNECTIONS)
    rss_budget = (MAX_CONNECTIONS + 500) * IDLE_CONN_BYTES + 16 * MiB

    def run(self):
        socks = []
        for _ in range(MAX_CONNECTIONS + 500):
            try:
                s = connect(self.node.beats_port)
                s.sendall(b"2")
                socks.append(s)
            except OSError:
                break
        time.sleep(1.0)
        self.engaged.set()
        self.stop_flag.wait()
        evicted = 0
        for s in socks:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    evicted += 1
            except BlockingIOError:
                pass
            except OSError:
                evicted += 1
            s.close()
        logged = self.node.log_matching(r"max_connections")
        self.ok = evicted >= 500 and bool(logged)
        self.result = "%d of %d connections closed by the server to make room%s" % (
            evicted, len(socks), "; logged" if logged else "; no max_connections log line")


class Slowloris(Attack):
    """`n` connections each trickling a valid window one byte per second."""

    def __init__(self, n):
        self.n = n
        self.sent = "%d beats connections trickling a window 1 byte/s" % n
        self.rss_budget = n * 16 * 1024 + 16 * MiB

    def run(self):
        payload = frame_w(1) + frame_j(1, b'{"message":"slow"}')
        socks = [connect(self.node.beats_port) for _ in range(self.n)]
        self.engaged.set()
        pos = 0
        while not self.stop_flag.is_set() and pos < len(payload):
            for s in socks:
                send_all_tolerant(s, payload[pos:pos + 1])
            pos += 1
            self.stop_flag.wait(1.0)
        for s in socks:
            s.close()
        self.ok = True
        self.result = "%d bytes trickled on each; no executor or window slot held (honest unaffected)" % pos


class Inactivity(Attack):
    sent = "half a beats frame, then silence"

    def run(self):
        s = connect(self.node.beats_port)
        s.sendall(frame_w(1) + b"2J\0\0")
        self.engaged.set()
        t = closed_by_server(s, INACTIVITY_S + 20)
        s.close()
        self.ok = t is not None and INACTIVITY_S - 0.5 <= t <= INACTIVITY_S + 6
        self.result = ("closed after %.1f s (client_inactivity_timeout %d s)" % (t, INACTIVITY_S)
                       if t is not None else "NOT closed")


class TcpLines(Attack):
    """Lines on a tcp input (json_lines, or the default line codec): each must come out as one event
    tagged as expected."""

    def __init__(self, sent, lines, expect_tag, expect_events, port_attr="tcp_port", rss_budget=BUDGET_PER_CONNECTION):
        # A valid 50 MB line is an event, not an attack: its row's budget is a small multiple of
        # the line (read buffer, the line, the event's copy, the output's copy).
        self.rss_budget = rss_budget
        self.sent = sent
        self.lines = lines
        self.expect_tag = expect_tag
        self.expect_events = expect_events
        self.port_attr = port_attr

    def run(self):
        s = connect(getattr(self.node, self.port_attr), 60)
        self.engaged.set()
        for line in self.lines:
            send_all_tolerant(s, line + b"\n")
        s.close()
        deadline = time.time() + 60
        while time.time() < deadline:
            tagged = [o for o in self.node.others() if self.expect_tag in o]
            if len(tagged) >= self.expect_events:
                break
            time.sleep(0.1)
        tagged = [o for o in self.node.others() if self.expect_tag in o]
        self.ok = len(tagged) == self.expect_events
        self.result = "%d event(s) tagged %s (expected %d)" % (len(tagged), self.expect_tag, self.expect_events)


class StdinDeep(Attack):
    sent = "one json_lines line nested 100,000 levels on stdin"

    def run(self):
        self.node.proc.stdin.write(deep_json() + b"\n")
        self.node.proc.stdin.flush()
        self.engaged.set()
        deadline = time.time() + 30
        while time.time() < deadline and not [o for o in self.node.others() if "_jsonparsefailure" in o]:
            time.sleep(0.1)
        n = len([o for o in self.node.others() if "_jsonparsefailure" in o])
        self.ok = n == 1
        self.result = "%d event tagged _jsonparsefailure" % n


class ApiEndlessHeader(Attack):
    sent = "API: a header line that never ends (1 MiB), over TLS"
    rss_budget = 16 * MiB

    def run(self):
        self.engaged.set()
        status, t = api_request(self.node, b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * MiB)
        self.ok = status in (400, 431)
        self.result = "HTTP %s after %.2f s" % (status, t)


class ApiBigBody(Attack):
    sent = "API: a request announcing a 100 MiB body"
    rss_budget = 16 * MiB

    def run(self):
        self.engaged.set()
        head = ("PUT /_node/logging HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % (basic(API_USER, API_PASSWORD), 100 * MiB)).encode()
        status, t = api_request(self.node, head + b"{" * (256 * 1024))
        self.ok = status == 413
        self.result = "HTTP %s after %.2f s" % (status, t)


class ApiConnectionFlood(Attack):
    sent = "API: 3,000 TLS connections opened and held"
    rss_budget = 48 * MiB

    def run(self):
        socks = []
        for _ in range(3000):
            try:
                socks.append(connect(self.node.api_port, 5))
            except OSError:
                break
        self.engaged.set()
        # While they are held, an authorised request must still be answered.
        status, t = api_request(self.node, ("GET /_node/stats HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                                            "Connection: close\r\n\r\n" % basic(API_USER, API_PASSWORD)).encode(), 30)
        self.stop_flag.wait()
        for s in socks:
            s.close()
        self.ok = status == 200
        self.result = "%d held; a real request got HTTP %s in %.2f s" % (len(socks), status, t)


class ApiHalfOpenTls(Attack):
    sent = "API: 200 connections that send half a TLS ClientHello and stall"
    rss_budget = 32 * MiB

    def run(self):
        hello_start = bytes.fromhex("16030100c8010000c40303") + b"\0" * 20  # a truncated ClientHello
        socks = []
        for _ in range(200):
            s = connect(self.node.api_port)
            s.sendall(hello_start)
            socks.append(s)
        self.engaged.set()
        start = time.time()
        closed, slowest = 0, 0.0
        for s in socks:
            t = closed_by_server(s, max(1.0, 40 - (time.time() - start)))
            if t is not None:
                closed += 1
                slowest = max(slowest, time.time() - start)
            s.close()
        self.ok = closed == len(socks)
        self.result = "%d of %d closed by the server (last after %.1f s)" % (closed, len(socks), slowest)


class ApiBruteForce(Attack):
    sent = "API: 10,000 requests with wrong Basic credentials (100 connections)"
    rss_budget = 32 * MiB

    def run(self):
        counts = {}
        lock = threading.Lock()
        per_conn = 100

        def one(i):
            try:
                s = tls_context().wrap_socket(connect(self.node.api_port, 30), server_hostname="localhost")
                s.settimeout(60)
                f = s.makefile("rb")
                for k in range(per_conn):
                    s.sendall(("GET /_node HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                               % basic(API_USER, "wrong-%d-%d" % (i, k))).encode())
                    line = f.readline()
                    m = re.match(rb"HTTP/1\.[01] (\d{3})", line)
                    status = int(m.group(1)) if m else None
                    length = 0
                    while True:
                        h = f.readline()
                        if h in (b"\r\n", b""):
                            break
                        if h.lower().startswith(b"content-length:"):
                            length = int(h.split(b":")[1])
                    f.read(length)
                    with lock:
                        counts[status] = counts.get(status, 0) + 1
                s.close()
            except OSError as e:
                with lock:
                    counts[repr(e)[:40]] = counts.get(repr(e)[:40], 0) + 1

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(100)]
        start = time.time()
        for t in threads:
            t.start()
        time.sleep(0.5)
        self.engaged.set()
        for t in threads:
            t.join()
        took = time.time() - start
        self.ok = counts.get(401, 0) == 100 * per_conn
        self.result = "%s in %.0f s" % (", ".join("%s: %d" % kv for kv in sorted(counts.items(), key=str)), took)


def attacks(events):
    deep = deep_json()
    return [
        ("beats_deep_json", lambda: OneShotBeats(
            "beats: one J frame with JSON nested 100,000 levels (%d KB)" % (len(deep) // 1024),
            frame_w(1) + frame_j(1, deep), r"(?i)nest|depth")),
        ("beats_deep_json_compressed", lambda: OneShotBeats(
            "beats: the same inside a C frame", frame_w(1) + frame_c(frame_j(1, deep_json(100_000, "object"))),
            r"(?i)nest|depth")),
        ("beats_bomb_zeros", lambda: RepeatedBombs(
            "beats: 1 connection, C frame of %d KB inflating to 1 GiB of zeros, 4 a second" % (len(bomb_zeros()) // 1024),
            bomb_zeros, 1, BUDGET_PER_CONNECTION)),
        ("beats_bomb_frames", lambda: RepeatedBombs(
            "beats: 1 connection, C frame of %d KB inflating to 1 GiB of valid 512 KiB J frames, 4 a second"
            % (len(bomb_frames()) // 1024), bomb_frames, 1, BUDGET_PER_CONNECTION)),
        ("beats_bomb_x10", lambda: RepeatedBombs(
            "beats: 10 simultaneous connections sending that bomb, each once a second", bomb_frames, 10,
            BUDGET_PROCESS_BOMBS, pause_s=1.0)),
        ("beats_frame_3gib", lambda: OneShotBeats(
            "beats: a J frame header promising 3 GiB", frame_w(1) + b"2J" + be32(1) + be32(3 << 30) + b"{" * 1024,
            r"(?i)exceeds|too large")),
        ("beats_window_4g", lambda: OneShotBeats(
            "beats: a W frame announcing 4,294,967,295 events", frame_w(0xFFFFFFFF) + frame_j(1, b"{}"),
            r"(?i)window")),
        ("beats_garbage", lambda: OneShotBeats(
            "beats: 1 MiB of random bytes", os.urandom(MiB), r"(?i)invalid|version|frame")),
        ("beats_idle_3000", lambda: IdleConnections(
            "beats: 3,000 connections, one byte each, then idle", "beats_port", 3000)),
        ("beats_conn_flood", ConnectionFlood),
        ("beats_slowloris", lambda: Slowloris(200)),
        ("beats_inactivity", Inactivity),
        ("tcp_deep_json", lambda: TcpLines(
            "tcp json_lines: one line nested 100,000 levels", [deep], "_jsonparsefailure", 1)),
        ("tcp_json_oddities", lambda: TcpLines(
            "tcp json_lines: a 50 MB string, a 10^6-element array, a 10^6-digit number, invalid UTF-8",
            [b'{"message":"' + b"x" * (50 * 1000 * 1000) + b'"}',
             b'{"a":[' + b"1," * 999_999 + b'1]}',
             b'{"n":' + b"9" * 1_000_000 + b"}",
             b'{"message":"\xff\xfe\xc3\x28"}'], "", 4, rss_budget=5 * 50 * MiB)),
        ("tcp_endless_line", lambda: TcpLines(
            "tcp (line codec): a 200 MB line", [b"x" * (200 * 1000 * 1000)], "_linetoobigfailure", 1,
            port_attr="tcp_line_port")),
        ("tcp_idle_3000", lambda: IdleConnections(
            "tcp: 3,000 connections, one byte each, then idle", "tcp_port", 3000, b"{")),
        ("stdin_deep_json", StdinDeep),
        ("api_endless_header", ApiEndlessHeader),
        ("api_big_body", ApiBigBody),
        ("api_conn_flood", ApiConnectionFlood),
        ("api_half_open_tls", ApiHalfOpenTls),
        ("api_bruteforce", ApiBruteForce),
    ]


# ---- the run -----------------------------------------------------------------------------------

class Ctx:
    pass


def honest_run(ctx, node, events):
    return beats_it.run_client(ctx.client, "127.0.0.1:%d" % node.beats_port, "-n", str(events), "-window", "1000",
                               "-size", "900", "-beat", "honest", "-compress", "3", "-retries", "50",
                               "-timeout", "60s", timeout=600)


def run_row(ctx, name, attack):
    node = Node(ctx, name)
    row = {"name": name, "sent": attack.sent}
    try:
        attack.start(node)
        # Three honest runs of the same 20,000 events (same seqs): each must be acknowledged in full
        # and every seq must come out; the throughput is their median (one 20,000-event run takes
        # well under a second, too short to compare alone).
        reports = [honest_run(ctx, node, ctx.events) for _ in range(HONEST_RUNS)]
        report = {"acked": min(r["acked"] for r in reports),
                  "events_per_s": statistics.median(r["events_per_s"] for r in reports),
                  "resent_events": sum(r.get("resent_events", 0) for r in reports)}
        attack.stop()
        node.wait_honest(ctx.events)
        hostile, hostile_ok = attack.outcome()
        alive = node.alive()
        peak = node.peak_rss() if alive else 0
        with node.lock:
            delivered = len(node.honest)
        row.update(alive=alive, hostile=hostile, hostile_ok=hostile_ok, peak=peak, idle=node.idle_rss,
                   acked=report["acked"], delivered=delivered, eps=report["events_per_s"],
                   resent=report.get("resent_events", 0), budget=attack.rss_budget,
                   tail=([] if alive else ["exit status %s" % node.proc.poll()] + node.stderr[-3:]))
    finally:
        node.stop()
    return row


def judge(row, clean_eps, events):
    reasons = []
    if not row["alive"]:
        reasons.append("process died: " + " | ".join(row["tail"]))
    if not row["hostile_ok"]:
        reasons.append("hostile outcome: " + row["hostile"])
    if row["acked"] != events or row["delivered"] != events:
        reasons.append("honest: %d acknowledged, %d delivered of %d" % (row["acked"], row["delivered"], events))
    growth = row["peak"] - row["idle"]
    if row["alive"] and growth > row["budget"]:
        reasons.append("peak RSS %.0f MB above idle, budget %.0f MB" % (growth / 1e6, row["budget"] / 1e6))
    if clean_eps and row["name"] != "clean" and row["eps"] < clean_eps * (1 - THROUGHPUT_TOLERANCE):
        reasons.append("honest throughput %.0f/s, below 80%% of clean (%.0f/s)" % (row["eps"], clean_eps))
    return reasons


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--legacy", action="store_true",
                    help="leave out the Sluice-only limit options, to run the attacks against an older build")
    args = ap.parse_args()
    table = attacks(args.events)
    if args.list:
        for name, _ in table:
            print(name)
        return 0
    if not shutil.which("go") or not shutil.which("openssl"):
        print("hostile: go and openssl are needed (skipped)")
        return 1 if os.environ.get("SLUICE_REQUIRE_PEERS") == "1" else 77
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # sluice inherits it too

    ctx = Ctx()
    ctx.sluice = os.path.abspath(args.sluice)
    ctx.work = os.path.abspath(args.work)
    ctx.events = args.events
    ctx.legacy = args.legacy
    os.makedirs(ctx.work, exist_ok=True)
    ctx.client = beats_it.build_client(ctx.work)
    ctx.keystore = make_keystore(beats_it.make_pki(ctx.work))

    selected = [(n, f) for n, f in table if not args.only or n in args.only]
    rows = []
    clean_runs = []

    def clean_rows(n):
        for _ in range(n):
            r = run_row(ctx, "clean", Clean())
            clean_runs.append(r)
            print("clean run %d: %.0f events/s, peak RSS %.0f MB" % (len(clean_runs), r["eps"], r["peak"] / 1e6),
                  flush=True)

    # Clean rows before and after the attacks: the machine's speed drifts over a run of minutes, so
    # the reference is the median of both groups rather than of the first alone.
    clean_rows(3)
    attack_rows = []
    for name, make in selected:
        print("attack %s ..." % name, flush=True)
        try:
            row = run_row(ctx, name, make())
        except Exception as e:  # the row fails; the suite goes on
            row = {"name": name, "sent": "?", "alive": False, "hostile": "harness error: %r" % e,
                   "hostile_ok": False, "peak": 0, "idle": 0, "acked": 0, "delivered": 0, "eps": 0, "budget": 0,
                   "tail": [], "resent": 0}
        attack_rows.append(row)
    clean_rows(3)
    clean_eps = statistics.median(r["eps"] for r in clean_runs)
    rows.append(sorted(clean_runs, key=lambda r: r["eps"])[len(clean_runs) // 2])
    rows.extend(attack_rows)

    failed = 0
    print()
    print("| attack | sent | alive | hostile connection | peak RSS (above idle) | honest delivered | "
          "honest events/s (vs clean) | result |")
    print("|---|---|---|---|---|---|---|---|")
    notes = []
    for row in rows:
        reasons = judge(row, clean_eps, ctx.events)
        failed += bool(reasons)
        ratio = row["eps"] / clean_eps if clean_eps else 0
        print("| %s | %s | %s | %s | %.0f MB (+%.0f MB) | %d of %d | %.0f (%.0f%%) | %s |" % (
            row["name"], row["sent"], "yes" if row["alive"] else "NO", row["hostile"], row["peak"] / 1e6,
            (row["peak"] - row["idle"]) / 1e6, row["delivered"], ctx.events, row["eps"], ratio * 100,
            "ok" if not reasons else "FAIL"))
        if reasons:
            notes.append("%s: %s" % (row["name"], "; ".join(reasons)))
    print()
    for n in notes:
        print("FAIL " + n)
    print("%d rows, %d failed" % (len(rows), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
