#!/usr/bin/env python3
"""Real Elasticsearch / OpenSearch nodes for integration tests.

Downloads the integ-test-zip distributions from Maven Central (cached under the build directory,
checksums verified), starts one single-node cluster on a free loopback port with a small heap, as an
unprivileged user (both servers refuse to run as root), waits for it to become healthy and prints
its URL. `stop` ends it.

    scripts/es-server.py start  --dist elasticsearch [--build-dir build] [--version 7.17.29]
    scripts/es-server.py status --dist opensearch
    scripts/es-server.py stop   --dist elasticsearch
    scripts/es-server.py url    --dist elasticsearch   # the URL of a running node, exit 1 if none
    scripts/es-server.py start  --dist opensearch --setting thread_pool.write.size=1 \
                                --setting thread_pool.write.queue_size=1   # extra node settings

Extra settings (`--setting KEY=VALUE`, repeatable; `extra_settings={...}` from Python) are written to
the node's config file after the defaults. A running node started with other extra settings is
restarted (with an empty data directory) so that what was asked for is what runs.

`start` is idempotent: if a node of that distribution already runs for this build directory, its
URL is printed again. Java: JAVA_HOME / ES_JAVA_HOME / OPENSEARCH_JAVA_HOME, else a Java 17 found
under /usr/lib/jvm, else `java` on PATH.

Usable as a module as well (tests/integration/es imports start/stop).
"""
import argparse
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

MAVEN = "https://repo1.maven.org/maven2"
DISTS = {
    "elasticsearch": {
        "version": "7.17.29",
        "group": "org/elasticsearch/distribution/integ-test-zip/elasticsearch",
        "artifact": "elasticsearch",
        "java_env": "ES_JAVA_HOME",
        "conf_env": "ES_PATH_CONF",
        "config": "elasticsearch.yml",
        # The integ-test-zip carries x-pack-core/security: security off explicitly.
        "settings": {"xpack.security.enabled": "false", "xpack.ml.enabled": None},
    },
    "opensearch": {
        "version": "2.19.6",
        "group": "org/opensearch/distribution/integ-test-zip/opensearch",
        "artifact": "opensearch",
        "java_env": "OPENSEARCH_JAVA_HOME",
        "conf_env": "OPENSEARCH_PATH_CONF",
        "config": "opensearch.yml",
        "settings": {},
    },
}
TEST_USER = "sluice-test"


def log(msg):
    print(f"[es-server] {msg}", file=sys.stderr, flush=True)


def default_build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "build")


def base_dir(build_dir):
    return os.path.join(os.path.abspath(build_dir), "es-servers")


def download(url, dest):
    tmp = dest + ".part"
    log(f"Downloading {url}")
    with urllib.request.urlopen(url, timeout=120) as r, open(tmp, "wb") as f:
        shutil.copyfileobj(r, f, 1 << 20)
    os.replace(tmp, dest)


def fetch_checksum(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.read().decode().split()[0].strip().lower()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def verify(path, zip_url):
    """Checks the strongest checksum Maven publishes (.sha512, else .sha1). Returns True if it matches."""
    for algo in ("sha512", "sha1"):
        cached = path + "." + algo
        if os.path.exists(cached):
            expected = open(cached).read().split()[0].strip().lower()
        else:
            expected = fetch_checksum(zip_url + "." + algo)
            if expected is None:
                continue
            with open(cached, "w") as f:
                f.write(expected + "\n")
        h = hashlib.new(algo)
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        ok = h.hexdigest() == expected
        log(f"{os.path.basename(path)}: {algo} {'verified' if ok else 'MISMATCH'}")
        return ok
    raise RuntimeError(f"no .sha512 or .sha1 published for {zip_url}")


def ensure_distribution(dist, version, build_dir):
    spec = DISTS[dist]
    cache = os.path.join(base_dir(build_dir), "cache")
    os.makedirs(cache, exist_ok=True)
    name = f"{spec['artifact']}-{version}"
    zip_path = os.path.join(cache, name + ".zip")
    zip_url = f"{MAVEN}/{spec['group']}/{version}/{name}.zip"
    home = os.path.join(cache, name)
    if os.path.isdir(home) and os.path.exists(os.path.join(home, ".sluice-extracted")):
        return home
    if not os.path.exists(zip_path) or not verify(zip_path, zip_url):
        download(zip_url, zip_path)
        for algo in ("sha512", "sha1"):
            try:
                os.unlink(zip_path + "." + algo)
            except FileNotFoundError:
                pass
        if not verify(zip_path, zip_url):
            raise RuntimeError(f"checksum mismatch for {zip_path}")
    log(f"Extracting {zip_path}")
    shutil.rmtree(home, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(cache)
        for info in z.infolist():  # zipfile drops the executable bits
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(os.path.join(cache, info.filename), mode)
    open(os.path.join(home, ".sluice-extracted"), "w").close()
    return home


def find_java(spec):
    for var in (spec["java_env"], "JAVA_HOME", "ES_JAVA_HOME"):
        v = os.environ.get(var)
        if v and os.path.exists(os.path.join(v, "bin", "java")):
            return v
    for cand in ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-arm64",
                 "/usr/lib/jvm/java-17-openjdk", "/usr/lib/jvm/temurin-17-jdk-amd64"):
        if os.path.exists(os.path.join(cand, "bin", "java")):
            return cand
    java = shutil.which("java")
    if java:
        return os.path.dirname(os.path.dirname(os.path.realpath(java)))
    raise RuntimeError("no Java found: set JAVA_HOME (Java 17)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_user():
    """Returns (uid, gid) to run the server as: the caller unless root, else the sluice-test user."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam(TEST_USER)
    except KeyError:
        log(f"Running as root: creating system user {TEST_USER}")
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                       check=True)
        pw = pwd.getpwnam(TEST_USER)
    return pw.pw_uid, pw.pw_gid


def chown_tree(path, ids):
    if ids is None:
        return
    uid, gid = ids
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            try:
                os.chown(os.path.join(root, n), uid, gid, follow_symlinks=False)
            except FileNotFoundError:
                pass


def run_dir(build_dir, dist):
    return os.path.join(base_dir(build_dir), "run-" + dist)


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def running(build_dir, dist):
    """Returns the URL of a live node for this build directory, or None."""
    rd = run_dir(build_dir, dist)
    try:
        state = json.load(open(os.path.join(rd, "state.json")))
    except (FileNotFoundError, ValueError):
        return None
    if not pid_alive(state["pid"]):
        return None
    try:
        http_get(state["url"] + "/", timeout=3)
    except Exception:
        return None
    return state["url"]


def running_extra_settings(build_dir, dist):
    """The extra settings the recorded node was started with ({} if none or no node)."""
    try:
        state = json.load(open(os.path.join(run_dir(build_dir, dist), "state.json")))
    except (FileNotFoundError, ValueError):
        return {}
    return state.get("extra_settings", {})


def start(dist="elasticsearch", build_dir=None, version=None, timeout=180, fresh=False, extra_settings=None):
    build_dir = build_dir or default_build_dir()
    spec = DISTS[dist]
    version = version or spec["version"]
    extra_settings = {k: str(v) for k, v in (extra_settings or {}).items()}
    url = running(build_dir, dist)
    if url and running_extra_settings(build_dir, dist) != extra_settings:
        log(f"{dist} runs with other extra settings: restarting it with {extra_settings or 'none'}")
        fresh = True
    if url and not fresh:
        log(f"{dist} already running at {url}")
        return url
    if url:
        stop(dist, build_dir)
    home = ensure_distribution(dist, version, build_dir)
    java = find_java(spec)
    ids = ensure_user()

    rd = run_dir(build_dir, dist)
    shutil.rmtree(rd, ignore_errors=True)
    os.makedirs(rd)
    conf = os.path.join(rd, "config")
    shutil.copytree(os.path.join(home, "config"), conf)
    port = free_port()
    transport = free_port()
    settings = {
        "cluster.name": f"sluice-test-{dist}",
        "node.name": "node-1",
        "discovery.type": "single-node",
        "network.host": "127.0.0.1",
        "http.port": str(port),
        "transport.port": str(transport),
        "path.data": os.path.join(rd, "data"),
        "path.logs": os.path.join(rd, "logs"),
        # A test node on a shared machine: no disk watermarks blocking writes.
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "action.auto_create_index": "true",
    }
    for k, v in spec["settings"].items():
        if v is not None:
            settings[k] = v
    settings.update(extra_settings)
    with open(os.path.join(conf, spec["config"]), "w") as f:
        for k, v in settings.items():
            f.write(f"{k}: {v}\n")
    os.makedirs(os.path.join(rd, "data"))
    os.makedirs(os.path.join(rd, "logs"))
    # The server writes into its home (plugins, tmp), config and run dir: the user owns copies of them.
    chown_tree(rd, ids)
    chown_tree(home, ids)
    for p in (base_dir(build_dir), os.path.dirname(home)):
        os.chmod(p, 0o755)

    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "ES_JAVA_OPTS", "OPENSEARCH_JAVA_OPTS")}
    env[spec["java_env"]] = java
    env[spec["conf_env"]] = conf
    env["ES_JAVA_OPTS"] = env["OPENSEARCH_JAVA_OPTS"] = "-Xms256m -Xmx512m"
    tmp = os.path.join(rd, "tmp")
    os.makedirs(tmp)
    chown_tree(tmp, ids)
    env["ES_TMPDIR"] = env["OPENSEARCH_TMPDIR"] = tmp
    env["HOME"] = rd
    state = {"url": f"http://127.0.0.1:{port}", "port": port, "dist": dist, "version": version,
             "exe": os.path.join(home, "bin", spec["artifact"]), "env": env, "ids": ids,
             "extra_settings": extra_settings}
    log(f"Starting {dist} {version} on 127.0.0.1:{port} (java {java}, data {rd})"
        + (f" with {extra_settings}" if extra_settings else ""))
    return _launch(rd, state, timeout)


def _launch(rd, state, timeout, wait_status="green"):
    """Starts the node described by `state` in run dir `rd` and waits for `wait_status`.

    A fresh single node is green; after a restart its indices keep an unassigned replica each, so
    yellow is all it can reach."""
    dist = state["dist"]
    out = open(os.path.join(rd, "console.log"), "ab")
    kwargs = {}
    if state["ids"] is not None:
        kwargs = {"user": state["ids"][0], "group": state["ids"][1], "extra_groups": []}
    proc = subprocess.Popen([state["exe"]], cwd=rd, env=state["env"], stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
    out.close()
    state["pid"] = proc.pid
    with open(os.path.join(rd, "state.json"), "w") as f:
        json.dump(state, f)
    with open(os.path.join(rd, "server.pid"), "w") as f:
        f.write(f"{proc.pid}\n")
    url = state["url"]
    deadline = time.time() + timeout
    last_note = time.time()
    while True:
        if proc.poll() is not None:
            tail = open(os.path.join(rd, "console.log"), errors="replace").read()[-4000:]
            raise RuntimeError(f"{dist} exited with status {proc.returncode} during start-up:\n{tail}")
        try:
            _, body = http_get(url + f"/_cluster/health?wait_for_status={wait_status}&timeout=2s", timeout=5)
            if json.loads(body).get("status") in (("green",) if wait_status == "green" else ("green", "yellow")):
                break
        except Exception:
            pass
        now = time.time()
        if now > deadline:
            _terminate(proc.pid)
            raise RuntimeError(f"{dist} did not become {wait_status} within {timeout}s; see {rd}/console.log")
        if now - last_note > 10:
            log(f"Waiting for {dist} to become {wait_status} ({int(deadline - now)}s left)")
            last_note = now
        time.sleep(0.5)
    _, body = http_get(url + "/")
    number = json.loads(body).get("version", {}).get("number")
    log(f"{dist} {number} is up ({wait_status} or better) at {url}")
    return url


def pause(dist="elasticsearch", build_dir=None):
    """Stops the node but keeps its data, port and settings for resume()."""
    rd = run_dir(build_dir or default_build_dir(), dist)
    state = json.load(open(os.path.join(rd, "state.json")))
    log(f"Stopping {dist} (pid {state['pid']}) for a later resume")
    _terminate(state["pid"])
    return state["url"]


def resume(dist="elasticsearch", build_dir=None, timeout=180):
    rd = run_dir(build_dir or default_build_dir(), dist)
    state = json.load(open(os.path.join(rd, "state.json")))
    if pid_alive(state["pid"]):
        return state["url"]
    log(f"Restarting {dist} on {state['url']}")
    return _launch(rd, state, timeout, wait_status="yellow")


def _terminate(pid, grace=30):
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + grace
    while time.time() < deadline:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return
        except ChildProcessError:
            if not pid_alive(pid):
                return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(dist="elasticsearch", build_dir=None):
    build_dir = build_dir or default_build_dir()
    rd = run_dir(build_dir, dist)
    try:
        state = json.load(open(os.path.join(rd, "state.json")))
    except (FileNotFoundError, ValueError):
        log(f"no {dist} node recorded under {rd}")
        return False
    if pid_alive(state["pid"]):
        log(f"Stopping {dist} (pid {state['pid']})")
        _terminate(state["pid"])
    os.unlink(os.path.join(rd, "state.json"))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["start", "stop", "pause", "resume", "status", "url", "download"])
    ap.add_argument("--dist", choices=sorted(DISTS), default="elasticsearch")
    ap.add_argument("--version")
    ap.add_argument("--build-dir", default=default_build_dir())
    ap.add_argument("--timeout", type=int, default=180)
    ap.add_argument("--fresh", action="store_true", help="restart with an empty data directory")
    ap.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                    help="extra node setting (repeatable), e.g. thread_pool.write.queue_size=1")
    a = ap.parse_args()
    extra = {}
    for kv in a.setting:
        if "=" not in kv:
            ap.error(f"--setting wants KEY=VALUE, got {kv!r}")
        k, v = kv.split("=", 1)
        extra[k.strip()] = v.strip()
    try:
        if a.command == "start":
            print(start(a.dist, a.build_dir, a.version, a.timeout, a.fresh, extra))
        elif a.command == "stop":
            stop(a.dist, a.build_dir)
        elif a.command == "pause":
            pause(a.dist, a.build_dir)
        elif a.command == "resume":
            print(resume(a.dist, a.build_dir, a.timeout))
        elif a.command == "download":
            print(ensure_distribution(a.dist, a.version or DISTS[a.dist]["version"], a.build_dir))
        else:
            url = running(a.build_dir, a.dist)
            if url:
                print(url)
            elif a.command == "status":
                print("stopped")
            if a.command == "url" and not url:
                return 1
    except Exception as e:  # noqa: BLE001 -- operator-facing message
        log(f"ERROR: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
