#!/usr/bin/env python3
"""Lumberjack v2 load client for benchmarks (stdlib only).

Windows are encoded before any timing starts, exactly as Filebeat's go-lumber client writes them with
`compression_level: 3`:
    '2' 'W' <u32 count>  '2' 'C' <u32 len> <zlib level 3 of: count x ('2' 'J' <u32 seq> <u32 len> <json>)>
(big-endian, seq 1..count within each window). Sending a window is then one sendall() of
precomputed bytes. Each connection sends a window, reads 6-byte ACKs ('2' 'A' <u32 seq>; seq 0 is a
keep-alive) until the ACK for the window's last seq arrives, and sends the next; with pipelining > 1
that many windows are in flight per connection (Filebeat's `pipelining`), ACKed in order.

Library use: encode_windows(lines, window_size) -> [(count, bytes)], then run_load(host, port, windows,
connections, pipelining) -> dict. Standalone:
    lumberjack_load.py HOST PORT EVENTS.jsonl [--connections 2] [--pipelining 1] [--window 2048]
"""
import argparse
import resource
import socket
import struct
import sys
import threading
import time
import zlib

WINDOW_SIZE = 2048  # Filebeat's bulk_max_size default
COMPRESSION_LEVEL = 3  # Filebeat's compression_level default


def encode_window(events, level=COMPRESSION_LEVEL):
    """events: list of JSON documents (bytes, no newline). Returns the window's wire bytes."""
    frames = bytearray()
    for seq, doc in enumerate(events, 1):
        frames += b"2J" + struct.pack(">II", seq, len(doc)) + doc
    payload = zlib.compress(bytes(frames), level)
    return b"2W" + struct.pack(">I", len(events)) + b"2C" + struct.pack(">I", len(payload)) + payload


def encode_windows(lines, window_size=WINDOW_SIZE, level=COMPRESSION_LEVEL):
    """lines: JSON documents (bytes; trailing newlines are stripped). Returns [(count, wire bytes)]."""
    docs = [l.rstrip(b"\r\n") for l in lines]
    docs = [d for d in docs if d]
    return [(len(docs[i:i + window_size]), encode_window(docs[i:i + window_size], level))
            for i in range(0, len(docs), window_size)]


class LoadError(Exception):
    pass


def _recv_exact(sock, n, buf):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise LoadError("connection closed by the server (%d bytes pending)" % len(buf))
        buf += chunk
    return buf


def _connection(sock, windows, pipelining, barrier, result):
    """Sends `windows` over `sock`, keeping up to `pipelining` un-ACKed windows in flight."""
    keepalives = partial_acks = 0
    acked_events = 0
    inflight = []  # counts of windows sent but not yet fully ACKed, oldest first
    buf = bytearray()
    nxt = 0
    try:
        barrier.wait()
        start = time.perf_counter()
        while nxt < len(windows) or inflight:
            while nxt < len(windows) and len(inflight) < pipelining:
                count, data = windows[nxt]
                sock.sendall(data)
                inflight.append(count)
                nxt += 1
            buf = _recv_exact(sock, 6, buf)
            while len(buf) >= 6 and inflight:
                version, kind, seq = buf[0:1], buf[1:2], struct.unpack(">I", buf[2:6])[0]
                del buf[:6]
                if version != b"2" or kind != b"A":
                    raise LoadError("not an ACK frame: %r" % bytes([version[0], kind[0]]))
                if seq == 0:
                    keepalives += 1
                elif seq == inflight[0]:
                    acked_events += inflight.pop(0)
                elif seq < inflight[0]:
                    partial_acks += 1
                else:
                    raise LoadError("ACK %d beyond the window's last seq %d" % (seq, inflight[0]))
            if buf and not inflight:
                raise LoadError("unexpected bytes after the last ACK: %r" % bytes(buf))
        end = time.perf_counter()
        result.update(start=start, end=end, acked_events=acked_events, keepalives=keepalives,
                      partial_acks=partial_acks, windows=len(windows))
    except Exception as e:  # reported by run_load
        result["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        sock.close()


def run_load(host, port, windows, connections=2, pipelining=1, timeout=120.0):
    """Replays `windows` (from encode_windows) round-robin over `connections` TCP connections.

    Returns {events, seconds, events_per_second, keepalives, partial_acks, client_cpu_seconds}, where
    seconds runs from the first send to the last ACK. Raises LoadError on any protocol or I/O error.
    """
    per_conn = [windows[i::connections] for i in range(connections)]
    socks = []
    for _ in range(connections):
        s = socket.create_connection((host, port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    barrier = threading.Barrier(connections + 1)
    results = [{} for _ in range(connections)]
    threads = [threading.Thread(target=_connection, args=(socks[i], per_conn[i], pipelining, barrier, results[i]),
                                daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    barrier.wait()
    for t in threads:
        t.join()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise LoadError("; ".join(errors))
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    events = sum(r["acked_events"] for r in results)
    return {"events": events, "seconds": seconds, "events_per_second": events / seconds,
            "keepalives": sum(r["keepalives"] for r in results),
            "partial_acks": sum(r["partial_acks"] for r in results),
            "client_cpu_seconds": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("events", help="JSON lines file, one event per line")
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--pipelining", type=int, default=1)
    ap.add_argument("--window", type=int, default=WINDOW_SIZE)
    args = ap.parse_args()
    with open(args.events, "rb") as f:
        windows = encode_windows(f.readlines(), args.window)
    r = run_load(args.host, args.port, windows, args.connections, args.pipelining)
    print("%d events in %.3f s: %.0f events/s (%d keep-alives, %d partial ACKs, client CPU %.2f s)" %
          (r["events"], r["seconds"], r["events_per_second"], r["keepalives"], r["partial_acks"],
           r["client_cpu_seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
