#!/usr/bin/env python3
"""Golden pipeline cases: run each tests/pipeline/<case>/ through the real sluice binary.

A case directory holds:
  pipeline.conf     the pipeline (-f)
  input.txt         fed to stdin (optional; empty stdin otherwise)
  expected.txt      the exact stdout expected
  args              optional: one line of extra CLI arguments (default: -w 1)
  env               optional: KEY=VALUE lines added to the environment
  expected_exit     optional: the expected exit status (default 0)
  expected_stderr   optional: lines that must each appear somewhere in stderr

This machine's hostname in the actual stdout is replaced by %HOSTNAME% before comparing, so cases
whose inputs add `host` stay portable.

usage: run_golden.py SLUICE_BINARY [CASE_NAME_SUBSTRING...]
"""
import difflib
import os
import shlex
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def read(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path, "rb") as f:
        return f.read()


def run_case(binary, case_dir):
    name = os.path.basename(case_dir)
    args_text = read(os.path.join(case_dir, "args"), b"-w 1").decode().strip()
    env = dict(os.environ)
    env_text = read(os.path.join(case_dir, "env"), b"").decode()
    for line in env_text.splitlines():
        if line.strip() and not line.startswith("#"):
            k, _, v = line.partition("=")
            env[k.strip()] = v
    stdin = read(os.path.join(case_dir, "input.txt"), b"")
    expected = read(os.path.join(case_dir, "expected.txt"))
    if expected is None:
        return False, "missing expected.txt"
    expected_exit = int(read(os.path.join(case_dir, "expected_exit"), b"0").decode().strip() or 0)
    cmd = [binary, "-f", os.path.join(case_dir, "pipeline.conf")] + shlex.split(args_text)
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        return False, "timed out after 60 s: " + " ".join(cmd)
    out = proc.stdout.replace(socket.gethostname().encode(), b"%HOSTNAME%")
    problems = []
    if proc.returncode != expected_exit:
        problems.append("exit status %d, expected %d" % (proc.returncode, expected_exit))
    if out != expected:
        diff = difflib.unified_diff(expected.decode(errors="replace").splitlines(True),
                                    out.decode(errors="replace").splitlines(True),
                                    "expected.txt", "actual stdout", n=2)
        problems.append("stdout differs:\n" + "".join(list(diff)[:80]))
    stderr = proc.stderr.decode(errors="replace")
    for want in read(os.path.join(case_dir, "expected_stderr"), b"").decode().splitlines():
        if want.strip() and want not in stderr:
            problems.append("stderr lacks %r" % want)
    if problems:
        problems.append("command: " + " ".join(shlex.quote(c) for c in cmd))
        problems.append("stderr:\n" + stderr[-3000:])
        return False, "\n".join(problems)
    return True, ""


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    filters = sys.argv[2:]
    cases = sorted(d for d in os.listdir(HERE)
                   if os.path.isfile(os.path.join(HERE, d, "pipeline.conf"))
                   and (not filters or any(f in d for f in filters)))
    if not cases:
        print("no golden cases found under", HERE)
        return 1
    failed = []
    start = time.time()
    for name in cases:
        ok, why = run_case(binary, os.path.join(HERE, name))
        print("%-4s %s" % ("ok" if ok else "FAIL", name))
        if not ok:
            failed.append((name, why))
    for name, why in failed:
        print("\n=== %s ===\n%s" % (name, why))
    print("\n%d cases, %d passed, %d failed (%.1f s)" % (len(cases), len(cases) - len(failed), len(failed),
                                                         time.time() - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
