#!/usr/bin/env python3
"""End-to-end shutdown and backpressure checks of the real sluice binary.

1. SIGTERM while a generator runs flat out: sluice logs "SIGTERM received", drains what is in
   flight, logs "Pipeline terminated" with events.in == events.out, and exits 0; every event it
   counted out was written to stdout.
2. SIGINT works the same way.
3. A slow reader on stdout (the pipe fills up): the generator is held back by the full queue
   (backpressure), nothing is lost: after the reader drains, the count written equals count.
4. A second signal during a stuck drain exits at once with status 1.

usage: test_shutdown.py SLUICE_BINARY
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    check(False, "timed out waiting for " + what)
    return False


def run_until_signal(binary, sig):
    conf = 'input { generator { count => 0 message => "x" } } output { stdout { codec => dots } }'
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("w+") as err:
        proc = subprocess.Popen([binary, "-e", conf, "-w", "2"], stdout=out, stderr=err)
        wait_for(lambda: "Pipeline started" in open(err.name).read(), 20, "pipeline start")
        wait_for(lambda: out.tell() > 100000 or os.fstat(out.fileno()).st_size > 100000, 20, "events flowing")
        proc.send_signal(sig)
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = None
        log = open(err.name).read()
        dots = os.fstat(out.fileno()).st_size
    name = signal.Signals(sig).name
    check(rc == 0, "%s: exit status 0 (got %r)" % (name, rc))
    check("%s received. Shutting down." % name in log, "%s: logs the signal" % name)
    m = re.search(r'"events.in"=>(\d+), "events.filtered"=>(\d+), "events.out"=>(\d+)', log)
    check(m is not None, "%s: logs Pipeline terminated with counters" % name)
    if m:
        ein, efilt, eout = map(int, m.groups())
        check(ein == efilt == eout, "%s: in == filtered == out after the drain (%d, %d, %d)" % (name, ein, efilt, eout))
        check(dots == eout, "%s: every event counted out was written (%d dots, %d out)" % (name, dots, eout))


def backpressure(binary):
    count = 200000
    conf = 'input { generator { count => %d message => "%s" } } output { stdout { codec => line } }' % (count, "y" * 200)
    proc = subprocess.Popen([binary, "-e", conf, "-w", "2", "-b", "16"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    # Read slowly at first: the pipe buffer (64 KiB) fills, the output blocks, the queue fills,
    # the generator blocks. Then read everything.
    first = proc.stdout.read(4096)
    time.sleep(1.0)
    rest = proc.stdout.read()
    rc = proc.wait(timeout=60)
    lines = (first + rest).count(b"\n")
    check(rc == 0, "backpressure: exit status 0")
    check(lines == count, "backpressure: all %d events written through a slow reader (got %d)" % (count, lines))


def second_signal(binary):
    # The output blocks forever (nobody reads the pipe), so the drain cannot finish: a second
    # SIGINT must end the process at once with status 1.
    conf = 'input { generator { count => 0 message => "%s" } } output { stdout { codec => line } }' % ("z" * 500)
    with tempfile.NamedTemporaryFile("w+") as err:
        proc = subprocess.Popen([binary, "-e", conf, "-w", "1"], stdout=subprocess.PIPE, stderr=err)
        wait_for(lambda: "Pipeline started" in open(err.name).read(), 20, "pipeline start")
        time.sleep(0.5)  # let the pipe fill so the output blocks
        proc.send_signal(signal.SIGINT)
        wait_for(lambda: "SIGINT received. Shutting down." in open(err.name).read(), 10, "first SIGINT logged")
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = None
        log = open(err.name).read()
    check(rc == 1, "second SIGINT: exit status 1 (got %r)" % rc)
    check("Terminating immediately" in log, "second SIGINT: logs that it terminates immediately")


def main():
    binary = os.path.abspath(sys.argv[1])
    run_until_signal(binary, signal.SIGTERM)
    run_until_signal(binary, signal.SIGINT)
    backpressure(binary)
    second_signal(binary)
    print("\n%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
