#!/usr/bin/env python3
"""Every shipped pipeline (pipelines/*.conf) must pass `sluice -t -f FILE` without an error.

Usage: check_shipped.py SLUICE_BINARY   (run from the repository root)
"""
import glob
import os
import subprocess
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    configs = sorted(glob.glob(os.path.join(root, "pipelines", "*.conf")))
    if not configs:
        print("no pipelines/*.conf found", file=sys.stderr)
        return 1
    failed = 0
    for conf in configs:
        proc = subprocess.run([binary, "-t", "-f", conf], capture_output=True, text=True, timeout=60)
        ok = proc.returncode == 0 and "Configuration OK" in proc.stdout and " error: " not in proc.stderr
        print(("ok     " if ok else "FAILED ") + os.path.relpath(conf, root))
        if not ok:
            failed += 1
            sys.stdout.write(proc.stdout)
            sys.stdout.write(proc.stderr)
    print(f"{len(configs) - failed}/{len(configs)} shipped pipelines pass -t")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
