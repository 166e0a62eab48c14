#!/usr/bin/env python3
"""Fault-injection fixture: an HTTP proxy in front of a real Elasticsearch/OpenSearch node.

It exists only for faults a real server cannot produce on demand; everything else is forwarded to
the real node, so documents really land there and tests count them there.

Faults (JSON given with --faults, or POSTed to /_fault/config at run time):
  bulk_429        int   the next N _bulk requests are answered 429 (es_rejected_execution) unforwarded
  bulk_503        int   the next N _bulk requests are answered 503 unforwarded
  item_fail_every int   in affected _bulk requests, every k-th item is kept back and answered with
                        `item_status` (default 429) while the others are forwarded
  item_fail_rounds int  how many _bulk requests item_fail_every affects (default 1)
  item_status     int   the fabricated item status (429, 500, 503 ...)
  reset_bulk      int   the next N _bulk requests get their connection closed without an answer
  slow_ms         int   delay before answering every _bulk request
Transport variants (for TLS and authentication, which the test distributions run without):
  serve(..., tls=(cert_pem, key_pem)) answers over HTTPS; serve(..., auth="Basic <b64>") answers
  401 to any request without exactly that Authorization header.
Counters: GET /_fault/stats -> {"bulk_requests":..,"bulk_forwarded":..,"faults":..,"items_failed":..}

    fault_server.py --upstream http://127.0.0.1:9200 [--port 0] [--faults '{"bulk_429": 3}']
prints `http://127.0.0.1:<port>` on stdout once listening.
"""
import argparse
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, upstream, faults):
        self.upstream = urllib.parse.urlparse(upstream)
        self.lock = threading.Lock()
        self.faults = dict(faults)
        self.stats = {"bulk_requests": 0, "bulk_forwarded": 0, "faults": 0, "items_failed": 0, "requests": 0}

    def take(self, key):
        """Consumes one unit of a counted fault; returns whether it applies to this request."""
        with self.lock:
            n = self.faults.get(key, 0)
            if n > 0:
                self.faults[key] = n - 1
                self.stats["faults"] += 1
                return True
            return False


def forward(state, method, path, headers, body):
    conn = http.client.HTTPConnection(state.upstream.hostname, state.upstream.port, timeout=120)
    hdrs = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection", "content-length",
                                                                     "accept-encoding")}
    conn.request(method, path, body=body if body else None, headers=hdrs)
    r = conn.getresponse()
    data = r.read()
    out_headers = [(k, v) for k, v in r.getheaders() if k.lower() not in ("content-length", "connection",
                                                                            "transfer-encoding")]
    conn.close()
    return r.status, out_headers, data


def split_ndjson(body):
    """Splits a _bulk body into entries (action line + source line unless delete)."""
    lines = body.split(b"\n")
    entries = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        action = json.loads(lines[i])
        if "delete" in action:
            entries.append(lines[i] + b"\n")
            i += 1
        else:
            entries.append(lines[i] + b"\n" + lines[i + 1] + b"\n")
            i += 2
    return entries


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault-server"

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if not any(k.lower() == "content-type" for k, _ in headers):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        st = self.server.state
        body = self.body()
        with st.lock:
            st.stats["requests"] += 1
            st.stats.setdefault("authorization", self.headers.get("Authorization"))
        path = self.path
        if st.auth is not None and self.headers.get("Authorization") != st.auth:
            with st.lock:
                st.stats["unauthorized"] = st.stats.get("unauthorized", 0) + 1
            return self.reply(401, b'{"error":"missing or wrong credentials (fault fixture)","status":401}',
                              [("WWW-Authenticate", 'Basic realm="fixture"')])
        if path.startswith("/_fault/"):
            if path == "/_fault/stats":
                with st.lock:
                    return self.reply(200, json.dumps(st.stats).encode())
            if path == "/_fault/config" and self.command == "POST":
                with st.lock:
                    st.faults.update(json.loads(body or b"{}"))
                return self.reply(200, b'{"ok":true}')
            return self.reply(404, b"{}")
        if path.split("?")[0].endswith("/_bulk") and self.command == "POST":
            return self.bulk(path, body)
        status, headers, data = forward(st, self.command, path, dict(self.headers), body)
        self.reply(status, data, headers)

    def bulk(self, path, body):
        st = self.server.state
        with st.lock:
            st.stats["bulk_requests"] += 1
            slow = st.faults.get("slow_ms", 0)
        if slow:
            time.sleep(slow / 1000.0)
        if st.take("reset_bulk"):
            # An abortive close (RST) without any response.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            self.connection.close()
            return
        if st.take("bulk_429"):
            return self.reply(429, json.dumps({"error": {"type": "es_rejected_execution_exception",
                                                         "reason": "rejected execution (fault fixture)"},
                                               "status": 429}).encode())
        if st.take("bulk_503"):
            return self.reply(503, b'{"error":"unavailable (fault fixture)","status":503}')
        every = st.faults.get("item_fail_every", 0)
        if every and st.take("item_fail_rounds"):
            item_status = st.faults.get("item_status", 429)
            entries = split_ndjson(body)
            keep = [i for i in range(len(entries)) if (i + 1) % every != 0]
            failed = [i for i in range(len(entries)) if (i + 1) % every == 0]
            items = [None] * len(entries)
            took = 0
            if keep:
                status, headers, data = forward(st, "POST", path, {"Content-Type": "application/json"},
                                                b"".join(entries[i] for i in keep))
                if status != 200:
                    return self.reply(status, data, headers)
                resp = json.loads(data)
                took = resp.get("took", 0)
                for i, item in zip(keep, resp["items"]):
                    items[i] = item
                with st.lock:
                    st.stats["bulk_forwarded"] += 1
            for i in failed:
                action = next(iter(json.loads(entries[i].split(b"\n")[0])))
                items[i] = {action: {"_index": "unknown", "status": item_status,
                                     "error": {"type": "es_rejected_execution_exception" if item_status == 429
                                               else "fault_fixture_exception",
                                               "reason": "injected by the fault fixture"}}}
            with st.lock:
                st.stats["items_failed"] += len(failed)
            return self.reply(200, json.dumps({"took": took, "errors": True, "items": items}).encode())
        status, headers, data = forward(st, "POST", path, dict(self.headers), body)
        with st.lock:
            st.stats["bulk_forwarded"] += 1
        self.reply(status, data, headers)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(upstream, faults=None, port=0, tls=None, auth=None):
    """Starts the fixture in a background thread; returns (server, url)."""
    srv = Server(("127.0.0.1", port), Handler)
    srv.state = State(upstream, faults or {})
    srv.state.auth = auth
    scheme = "http"
    if tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"{scheme}://127.0.0.1:{srv.server_address[1]}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--faults", default="{}")
    a = ap.parse_args()
    srv, url = serve(a.upstream, json.loads(a.faults), a.port)
    print(url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
