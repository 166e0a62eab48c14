#!/usr/bin/env python3
"""Drop-in tests: the container image's entry points (`bin/logstash`, `bin/docker-entrypoint`) run
against a copy of the image's folder layout on disk, staged by scripts/stage-image-layout.sh, with
each case's own config/logstash.yml, config/pipelines.yml and pipeline/*.conf.

usage: run_dropin_tests.py --sluice BIN --work DIR [--only NAME ...]
       (exit 77: go is missing and a selected case needs the go-lumber client)

Cases: settings from files and from the environment, several pipelines, reload by file change and
by SIGHUP with events flowing (exact counts), a reload with an invalid config, the monitoring API's
endpoints compared with recorded Logstash 7.17 responses, JSON logs, and `-t`. Each case prints one
line; the run ends with 'N passed, N failed'. The Go client (tests/peers/lumberclient) is built
once into DIR/peers.
"""
import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dropin_support import (ROOT, Failure, Layout, Node, build_client, by_seq, check, free_port,  # noqa: E402
                            free_port_range, run_client, shape_differences, wait_until, write_events)

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "logstash-api", "7.17")


# ---- config text -----------------------------------------------------------------------------------

def api_yml(port, width=1):
    """The API on loopback: one port, or a range of `width` ports from `port`."""
    value = str(port) if width == 1 else "%d-%d" % (port, port + width - 1)
    return 'api.http.host: "127.0.0.1"\napi.http.port: "%s"\n' % value


def pipelines_yml(*entries):
    """pipelines.yml text from (id, {setting: value}) pairs; values are written as YAML strings."""
    out = []
    for pid, settings in entries:
        out.append('- pipeline.id: "%s"' % pid)
        for k, v in settings.items():
            out.append('  %s: "%s"' % (k, v))
    return "\n".join(out) + "\n"


def main_pipeline(layout):
    """The image's pipelines.yml: one pipeline `main` made of every file in pipeline/."""
    return pipelines_yml(("main", {"path.config": layout.path("pipeline")}))


def beats_gen_conf(port, gen):
    return ('input {\n  beats { port => %d host => "127.0.0.1" }\n}\n'
            'filter {\n  mutate { add_field => { "gen" => "%s" } }\n}\n'
            'output {\n  stdout { codec => json_lines }\n}\n' % (port, gen))


def wait_stats(node, pid, pred, what, timeout=10):
    """Polls /_node/stats/pipelines/<pid> until pred(stats) holds; returns the stats. The failure
    shows the last stats read."""
    last = {}

    def probe():
        last["stats"] = node.pipeline_stats(pid)
        return last["stats"] if pred(last["stats"]) else None
    try:
        return wait_until(probe, timeout, what, node.tail)
    except Failure as e:
        s = last.get("stats", {})
        raise Failure("%s\n  last stats: events %s, reloads %s" % (e, s.get("events"), s.get("reloads")))


def no_errors(node):
    bad = node.log_lines(r"\]\[(ERROR|FATAL)\]")
    check(not bad, "unexpected ERROR/FATAL log lines:\n  " + "\n  ".join(bad[:5]))


# ---- 1. settings from files ----------------------------------------------------------------------

def case_settings_files(ctx):
    lay = ctx.layout("settings_files")
    port = free_port()
    lay.write("config/logstash.yml",
              "# nested keys\n"
              "pipeline:\n"
              "  workers: 2\n"
              "  batch:\n"
              "    size: ${DROPIN_BATCH_SIZE:33}\n"
              "# flat keys\n"
              "pipeline.batch.delay: 20\n"
              'node.name: "dropin-${DROPIN_NODE_SUFFIX:unset}"\n'
              "api.http.host: 127.0.0.1\n"
              "api.http.port: ${DROPIN_API_PORT}\n")
    lay.write("config/pipelines.yml", main_pipeline(lay))
    conf = lay.write("pipeline/main.conf", "input { stdin {} }\noutput { stdout { codec => json_lines } }\n")
    # DROPIN_BATCH_SIZE is left unset: its default applies.
    node = Node(lay, env={"DROPIN_NODE_SUFFIX": "files", "DROPIN_API_PORT": str(port)}, stdin=True)
    try:
        m = node.wait_log(r"Starting pipeline \{:pipeline_id=>\"main\", (.*)")
        for want in ('"pipeline.workers"=>2', '"pipeline.batch.size"=>33', '"pipeline.batch.delay"=>20',
                     '"pipeline.sources"=>["%s"]' % conf):
            check(want in m.group(1), "Starting pipeline line lacks %s: %s" % (want, m.group(0)))
        check(node.api_port() == port, "API on port %d, api.http.port says %d" % (node.api_port(), port))
        node.wait_log(r"Pipelines running \{:count=>1, :running_pipelines=>\[:main\]")

        node.write_stdin("".join("line %d\n" % i for i in range(1000)))
        node.wait_lines(1000, 30)
        messages = sorted(e["message"] for e in node.events())
        check(messages == sorted("line %d" % i for i in range(1000)), "stdin lines and events differ")

        p = node.get_json("/_node/pipelines")["pipelines"]
        check(list(p) == ["main"], "pipelines listed: %s" % list(p))
        got = {k: p["main"].get(k) for k in ("workers", "batch_size", "batch_delay")}
        check(got == {"workers": 2, "batch_size": 33, "batch_delay": 20}, "/_node/pipelines main: %s" % got)
        n = node.get_json("/_node")
        check(n.get("name") == "dropin-files", "node name %r, expected 'dropin-files'" % n.get("name"))
        check(n.get("http_address") == "127.0.0.1:%d" % port, "http_address %r" % n.get("http_address"))
        check(n.get("pipeline") == {"workers": 2, "batch_size": 33, "batch_delay": 20},
              "/_node pipeline block: %s" % n.get("pipeline"))
        with open(lay.path("data", "uuid")) as f:
            uuid = f.read().strip()
        check(n.get("id") == uuid, "node id %r is not data/uuid (%r): path.data is not <LS_HOME>/data"
              % (n.get("id"), uuid))

        stats = wait_stats(node, "main", lambda s: s["events"]["out"] == 1000, "events.out == 1000 in the API")
        check(stats["events"]["in"] == 1000 and stats["events"]["filtered"] == 1000,
              "API events: %s" % stats["events"])
        node.proc.stdin.close()  # end of input: the pipeline finishes and the process exits
        rc = node.wait_exit(30)
        check(rc == 0, "exit status %d after stdin closed%s" % (rc, node.tail()))
        node.wait_log(r'Pipeline terminated \{"pipeline.id"=>"main", "events.in"=>1000, '
                      r'"events.filtered"=>1000, "events.out"=>1000\}', 1)
        no_errors(node)
    finally:
        node.kill()


# ---- 2. settings from the environment ------------------------------------------------------------

def case_settings_env(ctx):
    lay = ctx.layout("settings_env")
    # An unknown setting in logstash.yml stops start-up with an error naming it and the file.
    lay.write("config/logstash.yml", 'api.http.host: "127.0.0.1"\npipeline.wrokers: 2\n')
    node = Node(lay)
    try:
        rc = node.wait_exit(20)
        check(rc == 1, "exit status %d for an unknown setting, expected 1" % rc)
        want = ('Setting "pipeline.wrokers" doesn\'t exist. Please check if you haven\'t made a typo. '
                'Did you mean "pipeline.workers"? (in %s, line 2)' % lay.path("config", "logstash.yml"))
        check(node.log_lines(re.escape(want)), "no error line %r%s" % (want, node.tail()))
        check(not node.log_lines("Pipeline started"), "a pipeline started despite the invalid settings")
    finally:
        node.kill()

    port = free_port()
    # The file says 1 worker; the environment (above logstash.yml) says 3.
    lay.write("config/logstash.yml", 'pipeline.workers: 1\napi.http.host: "127.0.0.1"\n')
    lay.write("config/pipelines.yml", main_pipeline(lay))
    lay.write("pipeline/gen.conf", 'input { generator { count => 500 message => "env" } }\n'
                                   'output { stdout { codec => json_lines } }\n')
    env = {"PIPELINE_WORKERS": "3", "PIPELINE_BATCH_SIZE": "7", "API_HTTP_PORT": str(port),
           "CONFIG_RELOAD_AUTOMATIC": "true", "CONFIG_RELOAD_INTERVAL": "1s", "LS_JAVA_OPTS": "-Xmx1g",
           "XPACK_MONITORING_ENABLED": "false"}
    node = Node(lay, env=env, entry="bin/docker-entrypoint")
    try:
        m = node.wait_log(r"Starting pipeline \{:pipeline_id=>\"main\", (.*)")
        for want in ('"pipeline.workers"=>3', '"pipeline.batch.size"=>7'):
            check(want in m.group(1), "Starting pipeline line lacks %s: %s" % (want, m.group(0)))
        for setting in ("pipeline.workers", "pipeline.batch.size", "api.http.port", "config.reload.automatic",
                        "config.reload.interval", "xpack.monitoring.enabled"):
            check(node.log_lines(r"Setting '%s' from environment\." % re.escape(setting)),
                  "no 'Setting '%s' from environment.' line%s" % (setting, node.tail()))
        java = node.log_lines("LS_JAVA_OPTS")
        check(len(java) == 1 and "[WARN ]" in java[0], "expected one WARN line about LS_JAVA_OPTS, got %s" % java)
        xpack = node.log_lines(r"\[WARN \].*xpack\.monitoring\.enabled")
        check(len(xpack) == 1 and "XPACK_MONITORING_ENABLED" in xpack[0],
              "expected one WARN line about xpack.monitoring.enabled naming its variable, got %s" % xpack)
        check(node.api_port() == port, "API on port %d, API_HTTP_PORT says %d" % (node.api_port(), port))
        node.wait_lines(500, 30)
        p = node.get_json("/_node/pipelines")["pipelines"]["main"]
        check((p["workers"], p["batch_size"]) == (3, 7), "/_node/pipelines main: %s" % p)

        # The generator has finished; with config.reload.automatic the node stays up and picks up
        # a changed pipeline file by itself.
        check(node.proc.poll() is None, "the node exited although config.reload.automatic is on%s" % node.tail())
        lay.write("pipeline/gen.conf", 'input { generator { count => 300 message => "env2" } }\n'
                                       'output { stdout { codec => json_lines } }\n')
        node.wait_log(r'Reloading pipeline \{"pipeline.id"=>:main\}', 15)
        node.wait_lines(800, 30)
        counts = {}
        for e in node.events():
            counts[e["message"]] = counts.get(e["message"], 0) + 1
        check(counts == {"env": 500, "env2": 300}, "events per config: %s (expected env 500, env2 300)" % counts)
        r = wait_stats(node, "main", lambda s: s["reloads"]["successes"] == 1, "reloads.successes == 1")["reloads"]
        check(r["failures"] == 0, "reload failures: %s" % r)
        no_errors(node)
        # The reload settings as /_node/pipelines reports them (Logstash 7.17: the interval in
        # nanoseconds, from config.reload.interval's TimeValue).
        p = node.get_json("/_node/pipelines")["pipelines"]["main"]
        got = (p.get("config_reload_automatic"), p.get("config_reload_interval"))
        check(got == (True, 1000000000), "/_node/pipelines main config_reload_automatic, config_reload_interval: "
              "%s, expected (True, 1000000000) from CONFIG_RELOAD_AUTOMATIC=true, CONFIG_RELOAD_INTERVAL=1s" % (got,))
        rc = node.stop()
        check(rc == 0, "exit status %d after SIGTERM%s" % (rc, node.tail()))
    finally:
        node.kill()


# ---- 3. several pipelines ------------------------------------------------------------------------

def case_multiple_pipelines(ctx):
    lay = ctx.layout("multiple_pipelines")
    port = free_port_range(6)
    lay.write("config/logstash.yml", api_yml(port, 6))
    lay.write("config/pipelines.yml", pipelines_yml(
        ("alpha", {"pipeline.workers": 1, "pipeline.batch.size": 50, "pipeline.ecs_compatibility": "disabled",
                   "path.config": lay.path("pipeline", "alpha.conf")}),
        ("beta", {"pipeline.workers": 2, "pipeline.batch.size": 20, "pipeline.batch.delay": 10,
                  "pipeline.ecs_compatibility": "v8", "path.config": lay.path("pipeline", "beta.conf")})))
    # Each pipeline also has an idle beats input, so that both keep running after their generator
    # has finished (the API is read while they run).
    for pid, count in (("alpha", 3000), ("beta", 1700)):
        lay.write("pipeline/%s.conf" % pid,
                  'input {\n  generator { count => %d message => "%s" add_field => { "pipe" => "%s" } }\n'
                  '  beats { port => 0 host => "127.0.0.1" }\n}\n'
                  'output {\n  stdout { codec => json_lines }\n}\n' % (count, pid, pid))
    # A slow reader (as a busy container log driver): the pipe fills up, so each write(2) of a
    # batch may be split; lines of the two pipelines must still never interleave.
    node = Node(lay, line_delay=1 / 20000)
    try:
        node.wait_log(r"Pipelines running \{:count=>2, :running_pipelines=>\[:alpha, :beta\], "
                      r":non_running_pipelines=>\[\]\}")
        for pid, w, b, d in (("alpha", 1, 50, 50), ("beta", 2, 20, 10)):
            m = node.wait_log(r"\]\[%s\] Starting pipeline \{:pipeline_id=>\"%s\", (.*)" % (pid, pid))
            for want in ('"pipeline.workers"=>%d' % w, '"pipeline.batch.size"=>%d' % b,
                         '"pipeline.batch.delay"=>%d' % d):
                check(want in m.group(1), "%s: Starting pipeline line lacks %s: %s" % (pid, want, m.group(0)))
        node.wait_lines(4700, 60)
        # The generator's pass number: `sequence` without ECS, [event][sequence] with ECS v8 (the
        # pipeline's ecs_compatibility is its plugins' default, as in Logstash).
        per_pipe = {"alpha": [], "beta": []}
        for e in node.events():
            if e["pipe"] == "alpha":
                check("sequence" in e and "event" not in e, "alpha (ecs_compatibility disabled): %s" % e)
                per_pipe["alpha"].append(e["sequence"])
            else:
                check("sequence" in e.get("event", {}) and "sequence" not in e,
                      "beta (pipeline.ecs_compatibility: v8) has no [event][sequence]: the pipeline's setting did "
                      "not reach its generator: %s" % e)
                per_pipe["beta"].append(e["event"]["sequence"])
        for pid, count in (("alpha", 3000), ("beta", 1700)):
            seqs = sorted(per_pipe[pid])
            check(seqs == list(range(count)), "%s: %d events out, expected sequences 0..%d exactly once"
                  % (pid, len(seqs), count - 1))
        listed = node.get_json("/_node/pipelines")["pipelines"]
        check(sorted(listed) == ["alpha", "beta"], "/_node/pipelines lists %s" % sorted(listed))
        for pid, w, b, d in (("alpha", 1, 50, 50), ("beta", 2, 20, 10)):
            got = {k: listed[pid][k] for k in ("workers", "batch_size", "batch_delay")}
            check(got == {"workers": w, "batch_size": b, "batch_delay": d}, "%s in /_node/pipelines: %s" % (pid, got))

        def settled():
            s = node.get_json("/_node/stats/pipelines")["pipelines"]
            ev = {pid: (s[pid]["events"]["in"], s[pid]["events"]["out"]) for pid in ("alpha", "beta")}
            return ev if ev == {"alpha": (3000, 3000), "beta": (1700, 1700)} else None
        wait_until(settled, 10, "per-pipeline events in/out of 3000 and 1700 in /_node/stats/pipelines", node.tail)
        no_errors(node)
        rc = node.stop()
        check(rc == 0, "exit status %d after SIGTERM%s" % (rc, node.tail()))
        check(node.line_count() == 4700, "%d stdout lines after shutdown, expected 4700" % node.line_count())
    finally:
        node.kill()


# ---- 4./5. reload with events flowing ------------------------------------------------------------

N_EVENTS = 20000
WINDOW = 250


def reload_with_events_flowing(ctx, name, automatic):
    """A beats -> mutate(gen) -> stdout pipeline receives N_EVENTS events from the go-lumber client
    while its file is rewritten (gen 1 -> 2) and reloaded, by config.reload.automatic or by SIGHUP.
    The stdout reader is paced (about 6000 lines/s) so that the client is mid-stream when the reload
    happens."""
    lay = ctx.layout(name)
    api = free_port_range(6)
    beats = free_port()  # fixed: the new pipeline listens where the client reconnects
    yml = api_yml(api, 6)
    if automatic:
        yml += "config.reload.automatic: true\nconfig.reload.interval: 1s\n"
    lay.write("config/logstash.yml", yml)
    lay.write("config/pipelines.yml", main_pipeline(lay))
    lay.write("pipeline/main.conf", beats_gen_conf(beats, "1"))
    node = Node(lay, line_delay=1 / 6000)
    client_result = {}
    try:
        node.wait_log(r"Starting server on port: %d" % beats)
        node.wait_log(r"Pipelines running \{:count=>1")

        def send():
            try:
                client_result["report"] = run_client(ctx.client, "127.0.0.1:%d" % beats, "-n", str(N_EVENTS),
                                                      "-window", str(WINDOW), "-retries", "400", "-backoff", "50ms",
                                                      timeout=240)
            except Exception as e:  # reported by the main thread
                client_result["error"] = e
        client = threading.Thread(target=send, daemon=True)
        client.start()

        node.wait_lines(4000, 60)
        lay.write("pipeline/main.conf", beats_gen_conf(beats, "2"))
        if not automatic:
            node.signal(signal.SIGHUP)
        node.wait_log(r'Reloading pipeline \{"pipeline.id"=>:main\}', 15)
        node.wait_log(r"Pipeline started", 30, count=2)
        node.wait_log(r"Starting server on port: %d" % beats, 10, count=2)
        reloads = wait_stats(node, "main", lambda s: s["reloads"]["successes"] == 1,
                             "reloads.successes == 1 in the API")["reloads"]
        check(reloads["failures"] == 0 and reloads.get("last_success_timestamp") and reloads.get("last_error") is None,
              "reload stats after a good reload: %s" % reloads)
        check(client.is_alive(), "the client finished before the reload was done: events were not flowing "
              "during the reload (the machine is too slow for this case's pacing)")

        client.join(240)
        check(not client.is_alive(), "the client did not finish within 240 s")
        if "error" in client_result:
            raise client_result["error"]
        r = client_result["report"]
        check(r["exit"] == 0 and r["acked"] == N_EVENTS, "the client did not get every event acknowledged: %s" % r)

        def all_seqs():
            return len(by_seq(node.events())) >= N_EVENTS
        wait_until(all_seqs, 60, "all %d ids in the output (have %d lines)" % (N_EVENTS, node.line_count()),
                   node.tail)
        events = node.events()
        seen = by_seq(events)
        missing = [i for i in range(N_EVENTS) if i not in seen]
        check(not missing, "%d events missing (first: %s)" % (len(missing), missing[:5]))
        dups = {s: v for s, v in seen.items() if len(v) > 1}
        n_dups = len(events) - N_EVENTS
        gen1 = sorted(s for s, v in seen.items() if any(e["gen"] == "1" for e in v))
        gen2 = sorted(s for s, v in seen.items() if any(e["gen"] == "2" for e in v))
        ctx.note("%s: %d events, reload after %d, %d duplicates (the client resent %d events in %d windows)"
                 % (name, len(events), len(gen1), n_dups, r["resent_events"], r["resent_windows"]))
        # Duplicates: none. Stopping the beats input drains (src/plugins/inputs/beats/server.cpp):
        # the window being pushed is pushed completely and acknowledged before the connection
        # closes, so the client resends nothing that reached the old pipeline; what it sends next
        # goes to the new one.
        check(n_dups == 0 and not dups,
              "%d duplicates (first: %s); the client resent %d events" % (n_dups, sorted(dups)[:5], r["resent_events"]))
        # Before the reload gen 1, after it gen 2: a prefix and a suffix of the ids.
        check(gen1 == list(range(len(gen1))), "gen 1 events are not the ids 0..%d" % (len(gen1) - 1))
        check(gen2 == list(range(N_EVENTS - len(gen2), N_EVENTS)), "gen 2 events are not the last ids")
        check(len(gen1) >= 4000 and gen2, "gen 1: %d events, gen 2: %d events" % (len(gen1), len(gen2)))
        n_gen2 = sum(1 for e in events if e["gen"] == "2")

        # The new pipeline's counters started from zero at the reload.
        wait_stats(node, "main", lambda s: s["events"]["in"] == s["events"]["filtered"] == s["events"]["out"] == n_gen2,
                   "the new pipeline's events in/filtered/out == %d (the gen 2 events)" % n_gen2)
        sighups = node.log_lines(r"\[WARN \]\[logstash\.runner\s*\] SIGHUP received\.")
        check(len(sighups) == (0 if automatic else 1), "%d 'SIGHUP received.' lines" % len(sighups))
        no_errors(node)
        rc = node.stop()
        check(rc == 0, "exit status %d after SIGTERM%s" % (rc, node.tail()))
        check(node.line_count() == len(events), "events after the client finished: %d lines, %d before"
              % (node.line_count(), len(events)))
    finally:
        node.kill()


def case_reload_file_change(ctx):
    reload_with_events_flowing(ctx, "reload_file_change", automatic=True)


def case_reload_sighup(ctx):
    reload_with_events_flowing(ctx, "reload_sighup", automatic=False)


# ---- 6. a reload with an invalid config ----------------------------------------------------------

def case_reload_invalid(ctx):
    lay = ctx.layout("reload_invalid")
    api = free_port_range(6)
    beats = free_port()
    lay.write("config/logstash.yml", api_yml(api, 6))
    lay.write("config/pipelines.yml", main_pipeline(lay))
    conf = lay.write("pipeline/main.conf", beats_gen_conf(beats, "1"))
    node = Node(lay)
    addr = "127.0.0.1:%d" % beats

    def send(first, n):
        path = write_events(os.path.join(ctx.tmp, "events-%d.jsonl" % first), first, n)
        r = run_client(ctx.client, addr, "-input", path, "-window", str(WINDOW), "-retries", "0")
        check(r["exit"] == 0 and r["acked"] == n and r["resent_windows"] == 0, "client: %s" % r)

    def expect_output(total, gens):
        node.wait_lines(total, 60)
        seen = by_seq(node.events())
        check(sorted(seen) == list(range(total)) and all(len(v) == 1 for v in seen.values()),
              "expected ids 0..%d exactly once, got %d lines for %d ids" % (total - 1, node.line_count(), len(seen)))
        for lo, hi, gen in gens:
            wrong = [s for s in range(lo, hi) if seen[s][0]["gen"] != gen]
            check(not wrong, "ids %d..%d should carry gen %s; %d do not (first %s)" % (lo, hi - 1, gen, len(wrong),
                                                                                    wrong[:5]))
    try:
        node.wait_log(r"Starting server on port: %d" % beats)
        send(0, 3000)
        expect_output(3000, [(0, 3000, "1")])

        # Line 5, column 33: `=` where `=>` is expected.
        lay.write("pipeline/main.conf",
                  'input {\n  beats { port => %d host => "127.0.0.1" }\n}\nfilter {\n'
                  '  mutate { add_field => { "gen" = "2" } }\n}\noutput {\n  stdout { codec => json_lines }\n}\n'
                  % beats)
        node.signal(signal.SIGHUP)
        m = node.wait_log(r"\[ERROR\]\[logstash\.agent\s*\]\[main\] Failed to execute action \{:id=>:main, (.*)", 15)
        where = "%s:5:33" % conf
        check(where in m.group(1), "the reload error does not name %s: %s" % (where, m.group(0)))
        reloads = wait_stats(node, "main", lambda s: s["reloads"]["failures"] == 1,
                             "reloads.failures == 1 in the API")["reloads"]
        check(reloads["successes"] == 0, "reload stats: %s" % reloads)
        err = reloads.get("last_error") or {}
        check(where in (err.get("message") or ""), "last_error.message does not name %s: %s" % (where, err))
        check(reloads.get("last_failure_timestamp"), "last_failure_timestamp not set: %s" % reloads)

        # The old pipeline keeps running: more events, same gen, nothing lost or doubled.
        send(3000, 3000)
        expect_output(6000, [(0, 6000, "1")])
        ev = node.pipeline_stats("main")["events"]
        check(ev["in"] == 6000, "the old pipeline's events.in is %d, expected 6000 (a failed reload resets "
              "nothing)" % ev["in"])

        lay.write("pipeline/main.conf", beats_gen_conf(beats, "2"))
        node.signal(signal.SIGHUP)
        node.wait_log(r'Reloading pipeline \{"pipeline.id"=>:main\}', 15)
        node.wait_log(r"Starting server on port: %d" % beats, 15, count=2)
        reloads = wait_stats(node, "main", lambda s: s["reloads"]["successes"] == 1,
                             "reloads.successes == 1 in the API")["reloads"]
        check(reloads["failures"] == 1, "reload stats after the fix: %s" % reloads)
        send(6000, 3000)
        expect_output(9000, [(0, 6000, "1"), (6000, 9000, "2")])
        ev = wait_stats(node, "main", lambda s: s["events"]["out"] == 3000, "the new pipeline's events.out == 3000")
        check(ev["events"]["in"] == 3000, "new pipeline events: %s" % ev["events"])
        check(len(node.log_lines(r"\]\[(ERROR|FATAL)\]")) == 1, "expected exactly one ERROR line (the failed "
              "reload): %s" % node.log_lines(r"\]\[(ERROR|FATAL)\]"))
        rc = node.stop()
        check(rc == 0, "exit status %d after SIGTERM%s" % (rc, node.tail()))
    finally:
        node.kill()


# ---- 7. API endpoints and shapes -----------------------------------------------------------------

# Endpoint -> the responses recorded from Logstash 7.17 that it must match in shape (the fixtures
# are the example responses of the 7.17 monitoring API docs, each a section of a response; see
# tests/fixtures/logstash-api/7.17/README.md). /_health_report has no 7.17 example: its shape is
# asserted explicitly below.
ENDPOINTS = [
    ("/", ["root.json"]),
    ("/_node", ["node_pipelines.json", "node_os.json", "node_jvm.json"]),
    ("/_node/os", ["node_os.json"]),
    ("/_node/jvm", ["node_jvm.json"]),
    ("/_node/pipelines", ["node_pipelines.json"]),
    ("/_node/pipelines/main?graph=true", ["node_pipelines_test.json"]),
    ("/_node/plugins", ["node_plugins.json"]),
    ("/_node/stats", ["node_stats_jvm.json", "node_stats_process.json", "node_stats_events.json",
                      "node_stats_pipelines.json", "node_stats_reloads.json", "node_stats_os.json"]),
    ("/_node/stats/pipelines/main", ["node_stats_pipelines_test.json"]),
    ("/_node/hot_threads", ["node_hot_threads.json"]),
]

# Maps keyed by ids (the recorded pipelines are `test` and `test2`, ours `main`): every recorded
# entry is compared with every entry of ours.
DYNAMIC = {"pipelines"}

# Key paths of the recorded responses that Sluice leaves out on purpose ('*' = any map key or array
# element). Arrays are compared by the keys all recorded elements share, so plugin-specific keys
# (grok's `failures`, `patterns_per_field`) and the JRuby-only `path` of a hot thread need no entry;
# an empty array of ours (`gc_collectors`: no garbage collector; `traces`: native threads have no
# Java stack trace) is not compared either.
OMITTED = [
    # cgroup CPU accounting is not reported: /_node/stats has `os: {}` (src/api/README.md).
    "os.cgroup",
]


def check_graph(graph):
    """?graph=true: Logstash's LIR graph of the pipeline (`graph.graph.{vertices, edges}`)."""
    check(isinstance(graph, dict) and graph.get("type") == "lir" and isinstance(graph.get("hash"), str),
          "graph: expected {hash, type: lir, version, graph}, got keys %s" % (list(graph) if isinstance(graph, dict)
                                                                              else graph))
    vertices, edges = graph["graph"]["vertices"], graph["graph"]["edges"]
    ids = {v["id"] for v in vertices}
    check({"in_beats", "in_gen", "set_b", "parse", "out"} <= ids, "graph vertices lack the plugin ids: %s" % ids)
    plugins = {v["id"]: v for v in vertices if v["type"] == "plugin"}
    check(plugins["set_b"]["config_name"] == "mutate" and plugins["set_b"]["plugin_type"] == "filter"
          and plugins["in_gen"]["plugin_type"] == "input" and plugins["out"]["plugin_type"] == "output",
          "graph plugin vertices: %s" % plugins)
    ifs = [v for v in vertices if v["type"] == "if"]
    check(len(ifs) == 1 and ifs[0]["condition"] == "[a] == 1", "graph if vertices: %s" % ifs)
    check(sum(1 for v in vertices if v["type"] == "queue") == 1, "graph: no queue vertex")
    for e in edges:
        check({"from", "to", "id", "type"} <= set(e) and e["from"] in ids and e["to"] in ids, "graph edge: %s" % e)
    whens = sorted(e["when"] for e in edges if e["type"] == "boolean")
    check(whens == [False, True], "graph: the if vertex's boolean edges are %s" % whens)


def check_health(report):
    """/_health_report (Logstash 8's shape): a running pipeline is green and RUNNING."""
    check(report.get("status") == "green" and isinstance(report.get("symptom"), str), "health: %s" % report)
    main = report["indicators"]["pipelines"]["indicators"]["main"]
    check(main["status"] == "green" and main["details"]["status"]["state"] == "RUNNING"
          and isinstance(main["symptom"], str), "health of main: %s" % main)
    check(report["indicators"]["pipelines"]["status"] == "green", "health of pipelines: %s"
          % report["indicators"]["pipelines"])


def case_api_shapes(ctx):
    lay = ctx.layout("api_shapes")
    port = free_port_range(6)
    lay.write("config/logstash.yml", api_yml(port, 6))
    lay.write("config/pipelines.yml", main_pipeline(lay))
    # Every kind of plugin (input, codec, filter, output) and a condition, so that arrays in the
    # responses have elements to compare.
    lay.write("pipeline/main.conf",
              'input {\n  beats { port => 0 host => "127.0.0.1" id => "in_beats" }\n'
              '  generator { count => 100 message => \'{"a": 1}\' codec => json id => "in_gen" }\n}\n'
              'filter {\n  if [a] == 1 {\n    mutate { add_field => { "b" => "2" } id => "set_b" }\n'
              '  } else {\n    json { source => "message" id => "parse" }\n  }\n}\n'
              'output {\n  stdout { codec => json_lines id => "out" }\n}\n')
    node = Node(lay)
    try:
        node.wait_lines(100, 30)
        wait_stats(node, "main", lambda s: s["events"]["out"] == 100, "events.out == 100")
        problems = []
        for path, fixtures in ENDPOINTS:
            ours = node.get_json(path)
            for fixture in fixtures:
                with open(os.path.join(FIXTURES, fixture)) as f:
                    recorded = json.load(f)
                problems += ["%s vs %s: %s" % (path, fixture, d)
                             for d in shape_differences(recorded, ours, DYNAMIC, OMITTED)]
        check(not problems, "%d shape differences from Logstash 7.17:\n  %s" % (len(problems), "\n  ".join(problems)))
        check_graph(node.get_json("/_node/pipelines/main?graph=true")["pipelines"]["main"].get("graph"))
        check_health(node.get_json("/_health_report"))

        body = node.get_json("/_node/nope", expect_status=404)
        check(body == {"path": "/_node/nope", "status": 404, "error": {"message": "Not Found"}},
              "404 body: %s" % body)
        _, plain = node.get("/_node/pipelines")
        _, pretty = node.get("/_node/pipelines?pretty")
        check("\n" not in plain.strip(), "the response without ?pretty is not compact")
        check("\n  " in pretty and json.loads(pretty) == json.loads(plain),
              "?pretty is not the same document pretty-printed:\n%s" % pretty[:400])
        no_errors(node)
        rc = node.stop()
        check(rc == 0, "exit status %d after SIGTERM%s" % (rc, node.tail()))
    finally:
        node.kill()


# ---- 8. JSON logs --------------------------------------------------------------------------------

def case_log_format_json(ctx):
    lay = ctx.layout("log_format_json")
    port = free_port_range(6)
    lay.write("config/logstash.yml", api_yml(port, 6))
    lay.write("config/pipelines.yml", main_pipeline(lay))
    lay.write("pipeline/main.conf", 'input { generator { count => 100 } }\noutput { stdout { codec => json_lines } }\n')
    start_ms = int(time.time() * 1000)
    node = Node(lay, args=["--log.format", "json"])
    try:
        rc = node.wait_exit(30)  # no reload: the node exits once the generator has finished
        check(rc == 0, "exit status %d%s" % (rc, node.tail()))
        check(node.line_count() == 100, "%d events out, expected 100" % node.line_count())
        end_ms = int(time.time() * 1000)
        records = []
        for line in node.stderr:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                raise Failure("a log line is not JSON: %r" % line)
            ok = (isinstance(rec, dict) and rec.get("level") in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
                  and isinstance(rec.get("loggerName"), str) and isinstance(rec.get("thread"), str)
                  and isinstance(rec.get("timeMillis"), int) and start_ms - 1000 <= rec["timeMillis"] <= end_ms + 1000
                  and isinstance(rec.get("logEvent"), dict) and isinstance(rec["logEvent"].get("message"), str))
            check(ok, "a log line lacks level/loggerName/timeMillis/thread/logEvent.message: %s" % line)
            records.append(rec)
        # As Logstash's JSON layout: the message text alone, each parameter a field of logEvent.
        started = [r for r in records if r["logEvent"]["message"] == "Pipeline started"]
        check(len(started) == 1 and started[0].get("pipeline.id") == "main"
              and started[0]["logEvent"].get("pipeline.id") == "main"
              and started[0]["loggerName"] == "logstash.javapipeline" and started[0]["level"] == "INFO",
              "no INFO 'Pipeline started' line of logstash.javapipeline for main: %s" % started)
        api = [r for r in records if r["logEvent"]["message"] == "Successfully started Logstash API endpoint"]
        check(len(api) == 1 and api[0]["logEvent"].get("port") == port and api[0]["logEvent"].get("ssl_enabled") is False,
              "no 'Successfully started Logstash API endpoint' line with port %d and ssl_enabled false: %s" % (port, api))
        # The generator's 100 events can all be out before the agent logs this line: main is then
        # listed as not running (count 0). Either way the parameters are fields of logEvent.
        running = [r for r in records if r["logEvent"]["message"] == "Pipelines running"]
        ev = running[0]["logEvent"] if running else {}
        check(running and isinstance(ev.get("count"), int)
              and isinstance(ev.get("running_pipelines"), list) and isinstance(ev.get("non_running_pipelines"), list)
              and ev["count"] == len(ev["running_pipelines"])
              and sorted(ev["running_pipelines"] + ev["non_running_pipelines"]) == ["main"],
              "no 'Pipelines running' line with count, running_pipelines and non_running_pipelines "
              "listing main: %s" % running)
        check(len(records) >= 5, "only %d log lines" % len(records))
    finally:
        node.kill()


# ---- 9. -t ---------------------------------------------------------------------------------------

def case_config_test(ctx):
    lay = ctx.layout("config_test", default_pipeline=True)
    node = Node(lay, args=["-t"])  # the staged default config/ and pipeline/, untouched
    try:
        rc = node.wait_exit(30)
        check(rc == 0, "-t on the default layout: exit status %d%s" % (rc, node.tail()))
        check(node.line_count() == 1 and node.lines[0] == b"Configuration OK",
              "-t printed %r on stdout, expected 'Configuration OK'" % node.lines)
    finally:
        node.kill()

    conf = lay.path("pipeline", "logstash.conf")
    check(os.path.exists(conf), "the staged layout has no pipeline/logstash.conf")
    # Line 3, column 9: `:` where `=>` is expected.
    lay.write("pipeline/logstash.conf", 'input {\n  beats {\n    port: 5044\n  }\n}\noutput { stdout {} }\n')
    node = Node(lay, args=["-t"])
    try:
        rc = node.wait_exit(30)
        check(rc == 1, "-t on a broken pipeline: exit status %d, expected 1%s" % (rc, node.tail()))
        m = node.wait_log(r"\[FATAL\]\[logstash\.runner\s*\] The given configuration is invalid\. Reason: (.*)", 1)
        check(m.group(1).startswith("%s:3:9" % conf), "the error does not start with %s:3:9: %s" % (conf, m.group(0)))
        check("Configuration OK" not in b"".join(node.lines).decode(), "-t said Configuration OK")
    finally:
        node.kill()


CASES = {
    "settings_files": (case_settings_files, False),
    "settings_env": (case_settings_env, False),
    "multiple_pipelines": (case_multiple_pipelines, False),
    "reload_file_change": (case_reload_file_change, True),
    "reload_sighup": (case_reload_sighup, True),
    "reload_invalid": (case_reload_invalid, True),
    "api_shapes": (case_api_shapes, False),
    "log_format_json": (case_log_format_json, False),
    "config_test": (case_config_test, False),
}


class Ctx:
    def __init__(self, sluice, client, tmp):
        self.sluice, self.client, self.tmp = sluice, client, tmp

    def layout(self, name, default_pipeline=False):
        """A staged layout; the image's default pipeline (beats on 5044) is removed unless asked for,
        the case writes its own."""
        lay = Layout(self.tmp, name, self.sluice)
        if not default_pipeline:
            lay.remove_pipeline_files()
        return lay

    def note(self, msg):
        print("  note: " + msg, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", action="append", choices=sorted(CASES))
    args = ap.parse_args()
    selected = [n for n in CASES if not args.only or n in args.only]
    client = None
    if any(CASES[n][1] for n in selected):
        if shutil.which("go") is None:
            # scripts/test.sh (CI) sets SLUICE_REQUIRE_PEERS=1: there a missing peer is a failure.
            if os.environ.get("SLUICE_REQUIRE_PEERS") == "1":
                print("FAIL: `go` is not installed and SLUICE_REQUIRE_PEERS=1")
                return 1
            print("SKIP: `go` is not installed (needed for the go-lumber client)")
            return 77
        args.work = os.path.abspath(args.work)
        os.makedirs(args.work, exist_ok=True)
        client = build_client(args.work)
    os.makedirs(args.work, exist_ok=True)
    passed = failed = 0
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        ctx = Ctx(os.path.abspath(args.sluice), client, tmp)
        for name in selected:
            start = time.time()
            print("... %s" % name, flush=True)
            try:
                CASES[name][0](ctx)
                passed += 1
                print("PASS %s (%.1f s)" % (name, time.time() - start), flush=True)
            except Failure as e:
                failed += 1
                print("FAIL %s: %s" % (name, e), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
