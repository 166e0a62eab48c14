#!/usr/bin/env python3
"""Runs the config corpus through `SLUICE_BINARY -t -f <file>`.

Each tests/grammar/<name>.conf has a <name>.expect:
    first line   `ok` or `error`
    then, for errors, one line per expected error: `LINE:COL: <substring of the message>`
An `ok` case must exit 0 and print "Configuration OK". An `error` case must exit 1 and, for each
expected error, print `<name>.conf:LINE:COL` with the substring on that line or in the few lines after
it (the source line, caret and notes). Other errors may be printed too.

Usage: run_corpus.py SLUICE_BINARY [NAME_FILTER]
Prints a table and exits 1 on any mismatch.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_SECONDS = 30
LINES_AFTER = 6  # how far below the `file:line:col` line the substring may appear


def read_expect(path):
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    if not lines or lines[0] not in ("ok", "error"):
        raise ValueError("%s: first line must be 'ok' or 'error'" % path)
    errors = []
    for l in lines[1:]:
        where, sep, substring = l.partition(": ")
        if not sep or where.count(":") != 1:
            raise ValueError("%s: bad expectation line %r" % (path, l))
        errors.append((where, substring))
    return lines[0], errors


def check_error(output_lines, conf_name, where, substring):
    marker = "%s:%s" % (conf_name, where)
    for i, line in enumerate(output_lines):
        pos = line.find(marker)
        # The marker must not be a prefix of a longer position (1:2 vs 1:23).
        if pos < 0 or (pos + len(marker) < len(line) and line[pos + len(marker)].isdigit()):
            continue
        block = "\n".join(output_lines[i:i + LINES_AFTER + 1])
        if substring in block:
            return True
    return False


def run_case(binary, conf):
    name = os.path.basename(conf)
    expected, errors = read_expect(conf[:-len(".conf")] + ".expect")
    env = dict(os.environ)
    for var in list(env):
        if var.startswith("SLUICE_CORPUS_"):
            del env[var]  # the corpus relies on these being unset
    try:
        proc = subprocess.run([binary, "-t", "-f", conf], capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS, env=env, errors="replace")
    except subprocess.TimeoutExpired:
        return False, "timeout after %ds" % TIMEOUT_SECONDS
    output = proc.stdout + "\n" + proc.stderr
    problems = []
    if expected == "ok":
        if proc.returncode != 0:
            problems.append("exit %d, expected 0" % proc.returncode)
        if "Configuration OK" not in output:
            problems.append("no 'Configuration OK'")
    else:
        if proc.returncode != 1:
            problems.append("exit %d, expected 1" % proc.returncode)
        lines = output.splitlines()
        for where, substring in errors:
            if not check_error(lines, name, where, substring):
                problems.append("missing %s:%s %r" % (name, where, substring))
    if problems:
        excerpt = "\n".join("      | " + l for l in output.strip().splitlines()[:12])
        return False, "; ".join(problems) + ("\n" + excerpt if excerpt else "")
    return True, ""


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    name_filter = sys.argv[2] if len(sys.argv) > 2 else ""
    confs = sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                   if f.endswith(".conf") and name_filter in f)
    failures = 0
    counts = {"ok": 0, "error": 0}
    print("%-52s %-6s %s" % ("case", "expect", "result"))
    print("-" * 72)
    for conf in confs:
        expected, _ = read_expect(conf[:-len(".conf")] + ".expect")
        counts[expected] += 1
        passed, detail = run_case(binary, conf)
        if not passed:
            failures += 1
        print("%-52s %-6s %s" % (os.path.basename(conf)[:52], expected, "pass" if passed else "FAIL: " + detail))
    print("-" * 72)
    print("%d cases (%d ok, %d error): %d passed, %d failed" %
          (len(confs), counts["ok"], counts["error"], len(confs) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
