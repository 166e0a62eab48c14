#!/usr/bin/env python3
"""Every shipped pipeline must pass `sluice -t -f FILE` without an error.

Shipped pipelines: pipelines/*.conf, every *.conf under examples/ (recursively, the compose
examples included) and docker/pipeline/*.conf (the container image's default pipeline).

Some configs need their environment: CONFIG_ENV below gives, per config, the variables to set.
A value may name `{certs}`, a directory holding the TLS example's certificates and keys, made for
this run by examples/compose/tls/gen-certs.sh in a temporary directory (so that the beats input
really loads them, as `-t` does). Variables that would change how settings are found (LS_HOME,
LS_SETTINGS_DIR, SLUICE_SETTINGS_FROM_ENV) are removed, so the result does not depend on the
caller's environment.

Usage: check_shipped.py SLUICE_BINARY   (run from anywhere)
"""
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SHIPPED = ["pipelines/*.conf", "examples/**/*.conf", "docker/pipeline/*.conf"]

# Per config (path relative to the repository root): environment variables it needs.
CONFIG_ENV = {
    "examples/compose/tls/logstash/pipeline/logstash.conf": {"SSL_DIR": "{certs}"},
}

GEN_CERTS = os.path.join(ROOT, "examples", "compose", "tls", "gen-certs.sh")
SETTINGS_VARIABLES = ("LS_HOME", "LS_SETTINGS_DIR", "SLUICE_SETTINGS_FROM_ENV")


def shipped_configs():
    found = set()
    for pattern in SHIPPED:
        found.update(glob.glob(os.path.join(ROOT, pattern), recursive=True))
    return sorted(os.path.relpath(p, ROOT) for p in found)


def make_certs(tmp):
    certs = os.path.join(tmp, "certs")
    proc = subprocess.run(["sh", GEN_CERTS, certs], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{os.path.relpath(GEN_CERTS, ROOT)} failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    return certs


def environment_for(rel, placeholders):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    for name, value in CONFIG_ENV.get(rel, {}).items():
        env[name] = value.format(**placeholders)
    return env


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    configs = shipped_configs()
    if not configs:
        print("no shipped *.conf found under " + ", ".join(SHIPPED), file=sys.stderr)
        return 1
    stale = sorted(set(CONFIG_ENV) - set(configs))
    if stale:
        print("CONFIG_ENV names configs that do not exist: " + ", ".join(stale), file=sys.stderr)
        return 1
    failed = 0
    with tempfile.TemporaryDirectory(prefix="sluice-shipped-") as tmp:
        placeholders = {}
        if any("{certs}" in v for env in CONFIG_ENV.values() for v in env.values()):
            try:
                placeholders["certs"] = make_certs(tmp)
            except (RuntimeError, OSError) as e:
                print(f"cannot make the TLS example's certificates: {e}", file=sys.stderr)
                return 1
        for rel in configs:
            proc = subprocess.run([binary, "-t", "-f", os.path.join(ROOT, rel)], capture_output=True, text=True,
                                  timeout=60, cwd=tmp, env=environment_for(rel, placeholders))
            ok = proc.returncode == 0 and "Configuration OK" in proc.stdout and " error: " not in proc.stderr
            print(("ok     " if ok else "FAILED ") + rel)
            if not ok:
                failed += 1
                sys.stdout.write(proc.stdout)
                sys.stdout.write(proc.stderr)
    print(f"{len(configs) - failed}/{len(configs)} shipped pipelines pass -t")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
