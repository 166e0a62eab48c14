#!/usr/bin/env python3
"""Sluice beats input benchmark: events/s over Lumberjack v2 and peak RSS, the real binary on TCP.

The load client (bench/lumberjack_load.py) encodes the standard benchmark events
(../shared/bench-data/gen_events.py N 42) into Filebeat-style windows of 2048 events, each one
zlib level-3 `C` frame of `J` frames, before timing starts, and replays them over C concurrent
connections (send a window, wait for its ACK, send the next; --pipelining 2 keeps two in flight).

Cases, each against `sluice -f <config> -w W` listening on 127.0.0.1 with `port => 0`:
  null   beats -> null output
  seed   beats -> the seed pipeline's json + mutate filters -> null output
each with -w 1 and -w 2. Every case runs REPEAT times (a fresh sluice each time); the median is reported.
events/s = events acknowledged / (first send .. last ACK). Peak RSS is sluice's VmHWM, read just
before SIGTERM. After SIGTERM, sluice's `Pipeline terminated {... "events.out"=>N}` must equal the
events sent, or the run fails.

usage: run_beats_bench.py [--build-dir build] [--events 400000] [--repeat 3] [--connections 2]
                          [--pipelining 1] [--cases null,seed] [--workers 1,2]
                          [--queues memory,memory-e2e,persisted] [--out bench/out/beats-results.json]
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import lumberjack_load  # noqa: E402

# The seed pipeline's filters, kept once in tests/data/seed-filters.conf.
with open(os.path.join(ROOT, "tests", "data", "seed-filters.conf")) as _f:
    SEED_FILTERS = "\n" + _f.read()
CONFIGS = {
    "null": 'input { beats { port => 0 host => "127.0.0.1" } }\noutput { null {} }\n',
    "seed": 'input { beats { port => 0 host => "127.0.0.1" } }\n' + SEED_FILTERS + "output { null {} }\n",
}
LABELS = {"null": "beats -> null", "seed": "beats -> seed filters -> null"}


def find_generator():
    for cand in (os.environ.get("SLUICE_SHARED", ""), os.path.join(ROOT, "..", "shared")):
        path = os.path.join(cand, "bench-data", "gen_events.py")
        if cand and os.path.exists(path):
            return path
    sys.exit("bench: cannot find shared/bench-data/gen_events.py; set SLUICE_SHARED to the shared/ folder")


def read_text(path):
    with open(path, "r", errors="replace") as f:
        return f.read()


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


# Queue variants (--queues): the memory queue (Logstash's default, windows acknowledged once queued),
# the memory queue with pipeline.end_to_end_acks (acknowledged once delivered), and the persisted
# queue (acknowledged once fsynced; a fresh path.data per run, on the same disk as bench/out).
QUEUES = {
    "memory": [],
    "memory-e2e": ["-S", "pipeline.end_to_end_acks=true"],
    "persisted": ["-S", "queue.type=persisted", "-S", "queue.drain=true"],  # drain: events.out must equal sent
}


def run_once(sluice, conf_path, workers, windows, args, log_path, queue="memory"):
    """One fresh sluice, one load run. Returns a dict, or exits loudly on any mismatch."""
    extra = list(QUEUES[queue])
    data_dir = None
    if queue == "persisted":
        data_dir = tempfile.mkdtemp(prefix="pq-", dir=os.path.dirname(log_path))
        extra += ["--path.data", data_dir]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sluice, "-f", conf_path, "-w", str(workers), "--api.enabled", "false", *extra],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None:
            m = re.search(r"Starting server on port: (\d+)", read_text(log_path))
            if m:
                port = int(m.group(1))
            elif proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("bench: sluice did not start listening:\n" + read_text(log_path)[-2000:])
            else:
                time.sleep(0.02)
        load = lumberjack_load.run_load("127.0.0.1", port, windows, args.connections, args.pipelining)
        hwm = vm_hwm_kib(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, status, rusage = os.wait4(proc.pid, 0)
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise
    rc = os.waitstatus_to_exitcode(status)
    if data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    log = read_text(log_path)
    sent = sum(c for c, _ in windows)
    m = re.search(r'Pipeline terminated \{.*"events\.in"=>(\d+).*"events\.out"=>(\d+)\}', log)
    if rc != 0 or not m:
        sys.exit("bench: sluice exited with status %d without a 'Pipeline terminated' line:\n%s" % (rc, log[-2000:]))
    events_in, events_out = int(m.group(1)), int(m.group(2))
    if load["events"] != sent or events_in != sent or events_out != sent:
        sys.exit("bench: COUNT MISMATCH: sent %d, acknowledged %d, sluice events.in %d, events.out %d\n%s" %
                 (sent, load["events"], events_in, events_out, log[-2000:]))
    load.update(peak_rss_kib=hwm, ru_maxrss_kib=rusage.ru_maxrss,
                sluice_cpu_seconds=rusage.ru_utime + rusage.ru_stime, events_out=events_out)
    return load


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--events", type=int, default=400000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--pipelining", type=int, default=1, help="windows in flight per connection")
    ap.add_argument("--window", type=int, default=lumberjack_load.WINDOW_SIZE)
    ap.add_argument("--cases", default="null,seed")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--queues", default="memory", help="comma list of: " + ", ".join(QUEUES))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "beats-results.json"))
    args = ap.parse_args()

    sluice = os.path.join(args.build_dir, "sluice")
    if not os.access(sluice, os.X_OK):
        sys.exit("bench: %s is missing; build first (scripts/build.sh)" % sluice)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    events_path = os.path.join(out_dir, "events-%d.jsonl" % args.events)
    if not os.path.exists(events_path):
        print("bench: generating %d events -> %s" % (args.events, events_path), file=sys.stderr)
        with open(events_path + ".tmp", "wb") as f:
            subprocess.run([sys.executable, find_generator(), str(args.events), "42"], stdout=f, check=True)
        os.replace(events_path + ".tmp", events_path)

    t0 = time.perf_counter()
    with open(events_path, "rb") as f:
        windows = lumberjack_load.encode_windows(f.readlines(), args.window)
    sent = sum(c for c, _ in windows)
    raw = os.path.getsize(events_path)
    wire = sum(len(b) for _, b in windows)
    print("bench: %d events (%.1f MiB JSON) in %d windows of %d, %.1f MiB on the wire (zlib 3), encoded in %.1f s; "
          "%d connections, pipelining %d, %d repeats" %
          (sent, raw / 2**20, len(windows), args.window, wire / 2**20, time.perf_counter() - t0,
           args.connections, args.pipelining, args.repeat), file=sys.stderr)

    load_before = os.getloadavg()
    results = []
    for case in args.cases.split(","):
        conf_path = os.path.join(out_dir, "beats-%s.conf" % case)
        with open(conf_path, "w") as f:
            f.write(CONFIGS[case])
        for w, queue in ((int(x), q) for x in args.workers.split(",") for q in args.queues.split(",")):
            name = "%s -w %d" % (LABELS[case], w) + ("" if queue == "memory" else ", " + queue + " queue")
            runs = []
            for i in range(args.repeat):
                log_path = os.path.join(out_dir, "beats-%s-w%d-%s-run%d.log" % (case, w, queue, i + 1))
                r = run_once(sluice, conf_path, w, windows, args, log_path, queue)
                print("bench: %s, run %d/%d: %.0f events/s, VmHWM %.1f MiB, sluice CPU %.1f s, client CPU %.2f s, "
                      "load %.2f, %d keep-alives, %d partial ACKs" %
                      (name, i + 1, args.repeat, r["events_per_second"], r["peak_rss_kib"] / 1024.0,
                       r["sluice_cpu_seconds"], r["client_cpu_seconds"], os.getloadavg()[0], r["keepalives"],
                       r["partial_acks"]), file=sys.stderr)
                runs.append(r)
            med = statistics.median(r["seconds"] for r in runs)
            results.append({"case": name, "workers": w, "queue": queue, "seconds": med, "events_per_second": sent / med,
                            "peak_rss_mib": max(r["peak_rss_kib"] for r in runs) / 1024.0,
                            "sluice_cpu_seconds": statistics.median(r["sluice_cpu_seconds"] for r in runs),
                            "client_cpu_seconds": statistics.median(r["client_cpu_seconds"] for r in runs),
                            "runs": runs})
    load_after = os.getloadavg()

    print("\n| case | events/s | sluice CPU s | client CPU s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print("| %s | %.0f | %.1f | %.2f | %.1f |" % (r["case"], r["events_per_second"], r["sluice_cpu_seconds"],
                                                   r["client_cpu_seconds"], r["peak_rss_mib"]))
    print("\nload average (1/5/15 min): before %.2f %.2f %.2f, after %.2f %.2f %.2f" % (load_before + load_after))
    with open(args.out, "w") as f:
        json.dump({"events": sent, "bytes": raw, "wire_bytes": wire, "window": args.window,
                   "connections": args.connections, "pipelining": args.pipelining, "repeat": args.repeat,
                   "results": results, "loadavg_before": load_before, "loadavg_after": load_after,
                   "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())}}, f, indent=2)
    print("\nbench: results written to %s" % args.out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
