#!/usr/bin/env python3
"""The container image's layout, run on disk the way the image runs it.

Stages the layout with scripts/stage-image-layout.sh into a temporary LS_HOME (the same script the
Dockerfile runs for /usr/share/logstash), then starts DEST/bin/docker-entrypoint and
DEST/bin/logstash as the image does, with a minimal environment:

  - staging twice gives the same tree (idempotent);
  - `--version` through both scripts; a command (`sh -c ...`) runs instead, with LS_HOME and
    SLUICE_SETTINGS_FROM_ENV exported, and `logstash` on the PATH;
  - `-t` on the default config passes; the default logstash.yml is read (no "Could not find
    logstash.yml" warning; a copy without it gives that warning) and the default pipelines.yml is
    read (a broken file dropped into pipeline/ makes `-t` fail, naming that file);
  - LS_JAVA_OPTS gives exactly one warning;
  - `-e ...` runs a generator pipeline to completion, with Logstash's warning that pipelines.yml
    is ignored;
  - no arguments: the default pipeline runs in the process the entry point exec'd (no shell left
    in between), the Beats input listens on 0.0.0.0, the API listens on 0.0.0.0 as the image's
    logstash.yml says, PIPELINE_WORKERS from the environment is applied, and SIGTERM shuts it
    down with status 0.

Usage: test_image_layout.py SLUICE_BINARY     (exit 77: the binary is missing)
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
STAGE = os.path.join(ROOT, "scripts", "stage-image-layout.sh")
MISSING_YML = "Could not find logstash.yml"
IGNORING_PIPELINES_YML = "Ignoring the 'pipelines.yml' file because command line options are specified"

failures = []


def step(message):
    print(f"--- {message}", flush=True)


def check(condition, what, detail=""):
    print(("ok     " if condition else "FAILED ") + what, flush=True)
    if not condition:
        failures.append(what)
        if detail:
            print("       " + detail.rstrip().replace("\n", "\n       "), flush=True)
    return condition


def base_env(home_dir, **extra):
    # A minimal environment, as a container has: nothing inherited can set a Logstash setting.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home_dir, "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def run(cmd, env, timeout=60, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def stage(dest, binary):
    return run(["sh", STAGE, dest, binary], env=base_env(dest), timeout=60)


def tree(dest):
    """Path -> (mode, content) of every file, and every directory, under dest."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(dest):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            out[os.path.relpath(p, dest)] = (oct(os.stat(p).st_mode), None)
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, dest)] = (oct(os.stat(p).st_mode), fh.read())
    return out


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


def listening(pid):
    """(address, port) of every listening TCP socket of the process, from /proc."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) < 10 or cols[3] != "0A" or cols[9] not in inodes:  # 0A: LISTEN
                continue
            addr_hex, port_hex = cols[1].split(":")
            port = int(port_hex, 16)
            if width == 8:
                addr = socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr_hex)[::-1])
            else:
                raw = bytes.fromhex(addr_hex)
                addr = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            found.add((addr, port))
    return found


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


# ---- cases ----------------------------------------------------------------------------------------

def case_staging(tmp, binary):
    step("staging the layout (twice)")
    dest = os.path.join(tmp, "home")
    first = stage(dest, binary)
    check(first.returncode == 0, "stage-image-layout.sh succeeds", first.stdout + first.stderr)
    print(first.stdout, end="", flush=True)
    for d in ("bin", "config", "pipeline", "data", "logs"):
        check(os.path.isdir(os.path.join(dest, d)), f"{d}/ exists")
    for f in ("bin/sluice", "bin/logstash", "bin/docker-entrypoint"):
        check(os.access(os.path.join(dest, f), os.X_OK), f"{f} is executable")
    for f in ("config/logstash.yml", "config/pipelines.yml", "pipeline/logstash.conf"):
        check(os.path.isfile(os.path.join(dest, f)), f"{f} exists")
    pipelines_yml = read(os.path.join(dest, "config", "pipelines.yml"))
    check(f'path.config: "{dest}/pipeline"' in pipelines_yml,
          "pipelines.yml points at the staged pipeline/ folder", pipelines_yml)
    before = tree(dest)
    second = stage(dest, binary)
    check(second.returncode == 0 and tree(dest) == before, "staging again changes nothing",
          second.stdout + second.stderr)
    return dest


def case_version_and_commands(dest):
    step("--version and commands")
    env = base_env(dest)
    for script in ("docker-entrypoint", "logstash"):
        p = run([os.path.join(dest, "bin", script), "--version"], env)
        check(p.returncode == 0 and p.stdout.startswith("sluice "), f"bin/{script} --version",
              p.stdout + p.stderr)
    p = run([os.path.join(dest, "bin", "docker-entrypoint"), "sh", "-c",
             'echo "$LS_HOME|$SLUICE_SETTINGS_FROM_ENV"; command -v logstash'], env)
    lines = p.stdout.splitlines()
    check(p.returncode == 0 and lines[:1] == [f"{dest}|true"],
          "a command runs instead, with LS_HOME and SLUICE_SETTINGS_FROM_ENV=true exported", p.stdout + p.stderr)
    check(lines[1:2] == [os.path.join(dest, "bin", "logstash")], "logstash is on the command's PATH",
          p.stdout + p.stderr)
    p = run([os.path.join(dest, "bin", "docker-entrypoint"), "logstash", "--version"], env)
    check(p.returncode == 0 and p.stdout.startswith("sluice "), "docker-entrypoint logstash --version",
          p.stdout + p.stderr)
    link = os.path.join(os.path.dirname(dest), "entrypoint-link")
    os.symlink(os.path.join(dest, "bin", "docker-entrypoint"), link)
    p = run([link, "sh", "-c", 'echo "$LS_HOME"'], env)
    check(p.returncode == 0 and p.stdout.strip() == dest,
          "through a symbolic link (as /usr/local/bin/docker-entrypoint) LS_HOME is still the layout",
          p.stdout + p.stderr)


def case_test_default_config(dest):
    step("-t on the default configuration")
    p = run([os.path.join(dest, "bin", "docker-entrypoint"), "-t"], base_env(dest))
    check(p.returncode == 0 and "Configuration OK" in p.stdout, "docker-entrypoint -t passes", p.stdout + p.stderr)
    check(MISSING_YML not in p.stderr, "the default logstash.yml is read (no missing-file warning)", p.stderr)
    check(IGNORING_PIPELINES_YML not in p.stderr, "pipelines.yml is not ignored", p.stderr)
    p = run([os.path.join(dest, "bin", "logstash"), "-t"], base_env(dest))
    check(p.returncode == 0 and "Configuration OK" in p.stdout, "bin/logstash -t passes", p.stdout + p.stderr)


def case_pipelines_yml_is_used(tmp, binary):
    step("pipelines.yml decides what runs")
    dest = os.path.join(tmp, "broken")
    p = stage(dest, binary)
    check(p.returncode == 0, "staging a second copy", p.stdout + p.stderr)
    bad = os.path.join(dest, "pipeline", "zz-broken.conf")
    with open(bad, "w") as f:
        f.write("filter { mutate { no_such_option => 1 } }\n")
    p = run([os.path.join(dest, "bin", "docker-entrypoint"), "-t"], base_env(dest))
    check(p.returncode != 0 and "zz-broken.conf" in p.stderr,
          "a broken file in pipeline/ fails -t, so pipelines.yml's main -> pipeline/ was read", p.stdout + p.stderr)
    os.remove(os.path.join(dest, "config", "logstash.yml"))
    os.remove(bad)
    p = run([os.path.join(dest, "bin", "docker-entrypoint"), "-t"], base_env(dest))
    check(p.returncode == 0 and MISSING_YML in p.stderr,
          "without logstash.yml Logstash's missing-file warning appears (the check above can fail)",
          p.stdout + p.stderr)


def case_ls_java_opts(dest):
    step("LS_JAVA_OPTS")
    p = run([os.path.join(dest, "bin", "docker-entrypoint"), "-t"],
            base_env(dest, LS_JAVA_OPTS="-Xms256m -Xmx256m"))
    warnings = [l for l in p.stderr.splitlines() if "LS_JAVA_OPTS" in l]
    check(p.returncode == 0 and "Configuration OK" in p.stdout, "-t passes with LS_JAVA_OPTS set", p.stdout + p.stderr)
    check(len(warnings) == 1 and "WARN" in warnings[0], "LS_JAVA_OPTS gives exactly one warning", p.stderr)


def case_config_string(dest):
    step("-e with a generator pipeline")
    config = 'input { generator { count => 3 message => "from -e" } } output { stdout { codec => json_lines } }'
    p = run([os.path.join(dest, "bin", "docker-entrypoint"), "-e", config],
            base_env(dest), timeout=120)
    events = [l for l in p.stdout.splitlines() if '"from -e"' in l]
    check(p.returncode == 0 and len(events) == 3, "the -e pipeline runs to completion (3 events, exit 0)",
          p.stdout + p.stderr)
    check(IGNORING_PIPELINES_YML in p.stderr, "Logstash's warning that pipelines.yml is ignored", p.stderr)


def case_no_arguments(dest):
    step("no arguments: the default pipeline, as `docker run IMAGE`")
    conf = os.path.join(dest, "pipeline", "logstash.conf")
    beats_port = 5044
    if not port_free(5044):
        beats_port = free_port()
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace("port => 5044", f"port => {beats_port}"))
        print(f"       port 5044 is taken on this machine: the staged default pipeline uses {beats_port}", flush=True)
    log_path = os.path.join(os.path.dirname(dest), "no-args.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([os.path.join(dest, "bin", "docker-entrypoint")],
                                env=base_env(dest, PIPELINE_WORKERS="2"), stdout=log, stderr=subprocess.STDOUT)
    try:
        started = wait_for(lambda: "Pipelines running" in read(log_path) or proc.poll() is not None, 60)
        text = read(log_path)
        if not check(started and proc.poll() is None and "Pipelines running" in text,
                     "the default pipeline starts", text):
            return
        exe = os.path.realpath(f"/proc/{proc.pid}/exe")
        check(exe == os.path.realpath(os.path.join(dest, "bin", "sluice")),
              "the entry point's process became sluice (exec, no shell in between)", exe)
        check("Setting 'pipeline.workers' from environment." in text and '"pipeline.workers"=>2' in text,
              "PIPELINE_WORKERS=2 from the environment is applied", text)
        check(dest + "/pipeline" in text, "the pipeline's sources are the layout's pipeline/ folder", text)
        check(MISSING_YML not in text, "logstash.yml is read", text)
        sockets = wait_for(lambda: (lambda s: s if ("0.0.0.0", beats_port) in s and
                                    any(a == "0.0.0.0" and 9600 <= p <= 9700 for a, p in s) else None)(
                                        listening(proc.pid)), 30) or listening(proc.pid)
        check(("0.0.0.0", beats_port) in sockets, f"the beats input listens on 0.0.0.0:{beats_port}", str(sockets))
        check(any(a == "0.0.0.0" and 9600 <= p <= 9700 for a, p in sockets),
              "the API listens on 0.0.0.0:96xx (api.http.host from the image's logstash.yml)", str(sockets))
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        text = read(log_path)
        check(code == 0, f"SIGTERM shuts it down with status 0 (got {code})", text[-2000:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"skipped: {binary} is missing; build the sluice target first")
        return 77
    if shutil.which("sh") is None:
        print("skipped: no sh on the PATH")
        return 77
    with tempfile.TemporaryDirectory(prefix="sluice-image-") as tmp:
        dest = case_staging(tmp, binary)
        case_version_and_commands(dest)
        case_test_default_config(dest)
        case_pipelines_yml_is_used(tmp, binary)
        case_ls_java_opts(dest)
        case_config_string(dest)
        case_no_arguments(dest)
    if failures:
        print(f"\n{len(failures)} check(s) failed: " + "; ".join(failures))
        return 1
    print("\nall image layout checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
