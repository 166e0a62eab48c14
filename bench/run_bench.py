#!/usr/bin/env python3
"""Sluice benchmark harness: events/s and peak RSS, side by side with the floor, in one run.

Runs, on the standard benchmark events (../shared/bench-data/gen_events.py, ~935 bytes, 10% non-JSON):
  floor        parse each event with RapidJSON and serialise it back, one thread (bench/floor.cpp)
  passthrough  sluice: stdin json_lines -> stdout json_lines, no filters
  seed         sluice: stdin json_lines -> the seed pipeline's json + mutate filters -> stdout json_lines
each sluice case with -w 1 and -w 2. Every case runs REPEAT times; the median is reported.
Output goes to /dev/null; peak RSS is the process's maximum resident set (getrusage of the child).

usage: run_bench.py [--build-dir build] [--events 200000] [--repeat 3] [--out bench/out/results.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_generator():
    for cand in (os.environ.get("SLUICE_SHARED", ""), os.path.join(ROOT, "..", "shared")):
        path = os.path.join(cand, "bench-data", "gen_events.py")
        if cand and os.path.exists(path):
            return path
    sys.exit("bench: cannot find shared/bench-data/gen_events.py; set SLUICE_SHARED to the shared/ folder")


def run_measured(cmd, stdin_path):
    """Runs cmd with stdin from a file and stdout to /dev/null; returns (seconds, peak_rss_kib, rc, stderr)."""
    with open(stdin_path, "rb") as stdin, open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=devnull, stderr=subprocess.PIPE)
        stderr = proc.stderr.read()
        _, status, rusage = os.wait4(proc.pid, 0)
        secs = time.perf_counter() - start
    rc = os.waitstatus_to_exitcode(status)
    return secs, rusage.ru_maxrss, rc, stderr.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "results.json"))
    args = ap.parse_args()

    sluice = os.path.join(args.build_dir, "sluice")
    floor = os.path.join(args.build_dir, "bench", "sluice_bench_floor")
    for exe in (sluice, floor):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s is missing; build first (scripts/build.sh)" % exe)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    events_path = os.path.join(os.path.dirname(args.out), "events-%d.jsonl" % args.events)
    if not os.path.exists(events_path):
        print("bench: generating %d events -> %s" % (args.events, events_path), file=sys.stderr)
        with open(events_path, "wb") as f:
            subprocess.run([sys.executable, find_generator(), str(args.events), "42"], stdout=f, check=True)
    size = os.path.getsize(events_path)
    print("bench: %d events, %.1f MiB, mean %.0f bytes/event, %d repeats each" %
          (args.events, size / 2**20, size / args.events, args.repeat), file=sys.stderr)

    cases = [("floor (parse+serialise, 1 thread)", [floor, events_path], True)]
    for conf, label in (("passthrough-stdin.conf", "passthrough"), ("seed-stdin.conf", "seed pipeline")):
        for w in (1, 2):
            cmd = [sluice, "-f", os.path.join(ROOT, "bench", "pipelines", conf), "-w", str(w), "--log.level", "warn"]
            cases.append(("sluice %s -w %d" % (label, w), cmd, False))

    results = []
    for name, cmd, is_floor in cases:
        times, rss = [], []
        for i in range(args.repeat):
            print("bench: %s, run %d/%d" % (name, i + 1, args.repeat), file=sys.stderr)
            if is_floor:
                out = subprocess.run(cmd, capture_output=True, check=True)
                r = json.loads(out.stdout)
                times.append(r["seconds"])
                _, peak, _, _ = run_measured(cmd, os.devnull)
                rss.append(peak)
            else:
                secs, peak, rc, err = run_measured(cmd, events_path)
                if rc != 0:
                    sys.exit("bench: %s failed with status %d:\n%s" % (" ".join(cmd), rc, err[-2000:]))
                times.append(secs)
                rss.append(peak)
        med = statistics.median(times)
        results.append({"case": name, "seconds": med, "events_per_second": args.events / med,
                        "peak_rss_mib": max(rss) / 1024.0, "runs": times})

    floor_eps = results[0]["events_per_second"]
    print("\n| case | events/s | % of floor | per worker, % of floor | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        workers = 2 if r["case"].endswith("-w 2") else 1
        pct = 100.0 * r["events_per_second"] / floor_eps
        print("| %s | %.0f | %.0f%% | %.0f%% | %.1f |" % (r["case"], r["events_per_second"], pct, pct / workers,
                                                       r["peak_rss_mib"]))
    with open(args.out, "w") as f:
        json.dump({"events": args.events, "bytes": size, "results": results,
                   "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())}}, f, indent=2)
    print("\nbench: results written to %s" % args.out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
