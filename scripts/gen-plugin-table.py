#!/usr/bin/env python3
"""Generates docs/plugins.md, the plugin and option support table, from the plugin schemas.

The schemas are read from the binary itself (`sluice --list-plugins`, then
`sluice --describe-plugin KIND/NAME` for each plugin), so the page cannot disagree with what
`sluice -t` accepts.

Usage:
  scripts/gen-plugin-table.py SLUICE_BINARY            rewrite docs/plugins.md
  scripts/gen-plugin-table.py --check SLUICE_BINARY    exit 1 with a diff when docs/plugins.md is stale
  scripts/gen-plugin-table.py --output FILE SLUICE_BINARY

Every line of the binary's output must match the expected shape; anything else stops the script
with the offending line, rather than producing a wrong table.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(ROOT, "docs", "plugins.md")
KINDS = ["input", "filter", "output", "codec"]

# The type column of --describe-plugin (src/cli/describe.cpp, to_string(OptionType)).
TYPE_RE = (r"(?:list of )?(?:one of: \S+|string|number|boolean|array|hash|password|path|uri|bytes|codec"
           r"|field_reference|any)")
ROW_RE = re.compile(r"^  (?P<name>[A-Za-z0-9_@.\-]+)\s+(?P<type>" + TYPE_RE + r")\s+(?P<default>\S.*?)\s+"
                    r"(?P<required>yes|no)(?: {2,}(?P<description>.*))?$", re.DOTALL)
HEADER_RE = re.compile(r"^  option\s+type\s+default\s+required\s+description\s*$")
TITLE_RE = re.compile(r"^(?P<kind>input|filter|output|codec) (?P<name>\S+)(?P<schema_only>  \(schema only: .*\))?$")
NOTE_RE = re.compile(r" \[(?P<what>deprecated|obsolete)(?:: (?P<note>.*?))?\]$")
COMMON_SUFFIX = " (common option)"


class FormatError(Exception):
    """The binary printed something this script does not understand."""


@dataclass
class Option:
    name: str
    type: str
    default: str
    required: bool
    description: str
    common: bool = False
    status: str = ""  # "", "deprecated" or "obsolete"
    note: str = ""


@dataclass
class Plugin:
    kind: str
    name: str
    summary: str
    implemented: bool = True
    description: str = ""
    options: list = field(default_factory=list)


def run(binary, *args):
    proc = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise FormatError(f"`{binary} {' '.join(args)}` exited with {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def list_plugins(binary):
    """Parses --list-plugins: a `<kind>s:` line, then `  name  [(schema only) ]description` lines."""
    plugins, kind = [], None
    for line in run(binary, "--list-plugins").splitlines():
        if not line.strip():
            continue
        heading = re.match(r"^(input|filter|output|codec)s:$", line)
        if heading:
            kind = heading.group(1)
            continue
        entry = re.match(r"^  (?P<name>[a-z0-9_]+) +(?P<schema_only>\(schema only\) )?(?P<summary>.*)$", line)
        if not entry or kind is None:
            raise FormatError(f"unexpected --list-plugins line: {line!r}")
        plugins.append(Plugin(kind, entry["name"], entry["summary"], implemented=not entry["schema_only"]))
    if not plugins:
        raise FormatError("--list-plugins listed no plugins")
    return plugins


def parse_option(line):
    row = ROW_RE.match(line)
    if not row:
        raise FormatError(f"unexpected option row: {line!r}")
    desc = row["description"] or ""
    o = Option(row["name"], row["type"], row["default"], row["required"] == "yes", desc)
    if desc.endswith(COMMON_SUFFIX):
        o.common = True
        desc = desc[: -len(COMMON_SUFFIX)]
    note = NOTE_RE.search(desc)
    if note:
        o.status, o.note = note["what"], note["note"] or ""
        desc = desc[: note.start()]
    o.description = desc
    return o


def describe(binary, plugin):
    """Fills plugin.description and plugin.options from --describe-plugin KIND/NAME."""
    lines = run(binary, "--describe-plugin", f"{plugin.kind}/{plugin.name}").splitlines()
    if not lines:
        raise FormatError(f"--describe-plugin {plugin.kind}/{plugin.name} printed nothing")
    title = TITLE_RE.match(lines[0])
    if not title or title["kind"] != plugin.kind or title["name"] != plugin.name:
        raise FormatError(f"--describe-plugin {plugin.kind}/{plugin.name}: unexpected title {lines[0]!r}")
    if bool(title["schema_only"]) == plugin.implemented:
        raise FormatError(f"{plugin.kind}/{plugin.name}: --list-plugins and --describe-plugin disagree on 'schema only'")
    i = 1
    if i < len(lines) and lines[i].startswith("  ") and not HEADER_RE.match(lines[i]):
        plugin.description = lines[i].strip()
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not HEADER_RE.match(lines[i]):
        raise FormatError(f"--describe-plugin {plugin.kind}/{plugin.name}: no option table header")
    plugin.options = [parse_option(row) for row in option_rows(lines[i + 1:])]


def option_rows(lines):
    """The table's rows. A default that holds a line break (the line codec's delimiter "\n") is
    printed raw and splits its row over several lines: such lines are joined back."""
    rows, pending = [], None
    for line in lines:
        if pending is None and not line.strip():
            continue
        pending = line if pending is None else pending + "\n" + line
        if ROW_RE.match(pending):
            rows.append(pending)
            pending = None
        elif pending.count("\n") >= 4:
            raise FormatError(f"unexpected option row: {pending!r}")
    if pending is not None:
        raise FormatError(f"unexpected option row: {pending!r}")
    return rows


# ---- markdown -------------------------------------------------------------------------------------

def cell(text):
    return text.replace("|", "\\|")


def printable(text):
    return text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def code(text):
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return cell(f"{fence}{pad}{text}{pad}{fence}")


def status_text(o):
    if o.status == "obsolete":
        return "**obsolete**, an error" + (f": {cell(o.note)}" if o.note else "")
    if o.status == "deprecated":
        return "deprecated, works with a warning" + (f": {cell(o.note)}" if o.note else "")
    return "current"


def option_table(plugin):
    out = ["| Option | Type | Default | Required | Status | Description |",
           "|---|---|---|---|---|---|"]
    for o in plugin.options:
        name = code(o.name) + (" (common)" if o.common else "")
        default = "–" if o.default == "-" else code(printable(o.default))
        out.append(f"| {name} | {cell(o.type)} | {default} | {'yes' if o.required else 'no'} | "
                   f"{status_text(o)} | {cell(o.description)} |")
    return out


def anchor(plugin):
    return f"{plugin.kind}-{plugin.name}".replace("_", "-")


def render(plugins):
    out = [
        "# Plugins and options",
        "",
        "<!-- Generated by scripts/gen-plugin-table.py from the binary's plugin schemas; do not edit.",
        "     Regenerate: scripts/gen-plugin-table.py build/sluice (CI runs it with --check). -->",
        "",
        "Every plugin built into Sluice, with every option its schema declares. This is what `sluice -t`",
        "checks a configuration against: an option that is not in a plugin's table is unknown to Sluice",
        "and rejected with a \"did you mean\" hint, and so is a plugin that is not listed here (Sluice has",
        "no Ruby plugins and no `bin/logstash-plugin`). The same information comes from",
        "`sluice --describe-plugin NAME`.",
        "",
        "*Status*: *current* options are read as Logstash reads them; *deprecated* ones work and log a",
        "deprecation warning naming the replacement; **obsolete** ones (Logstash removed them too) make",
        "the configuration invalid. Where Sluice accepts an option but does not implement every value",
        "of it, its description says so (for example the tcp input's TLS options). A plugin marked",
        "*schema only* is known to the validator, so `-t` accepts a configuration that uses it, but it",
        "cannot run in this build. Options marked (common) are the framework's options of every plugin",
        "of that kind. Further differences in behaviour: [compatibility.md](compatibility.md).",
        "",
        "| Kind | Plugin | Runs | Own options | Description |",
        "|---|---|---|---|---|",
    ]
    for p in plugins:
        own = sum(1 for o in p.options if not o.common)
        runs = "yes" if p.implemented else "schema only"
        out.append(f"| {p.kind} | [{p.name}](#{anchor(p)}) | {runs} | {own} | {cell(p.summary)} |")
    for kind in KINDS:
        of_kind = [p for p in plugins if p.kind == kind]
        if not of_kind:
            continue
        out += ["", f"## {kind.capitalize()}s"]
        for p in of_kind:
            out += ["", f'<a id="{anchor(p)}"></a>', "", f"### {p.kind} {p.name}", ""]
            if not p.implemented:
                out += ["*Schema only: accepted by `-t`, not runnable in this build.*", ""]
            if p.description:
                out += [cell(p.description), ""]
            out += option_table(p)
    return "\n".join(out) + "\n"


def generate(binary):
    plugins = list_plugins(binary)
    for p in plugins:
        describe(binary, p)
    return render(plugins)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="the sluice binary")
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 when stale")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="the page to write or check (default: docs/plugins.md)")
    args = parser.parse_args()
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        print(f"gen-plugin-table: {args.binary} is not an executable; build it first (ninja -C build sluice)",
              file=sys.stderr)
        return 2
    try:
        text = generate(args.binary)
    except FormatError as e:
        print(f"gen-plugin-table: {e}\n(the output of --list-plugins/--describe-plugin changed shape: update "
              f"scripts/gen-plugin-table.py together with src/cli/describe.cpp)", file=sys.stderr)
        return 2
    rel = os.path.relpath(args.output, ROOT)
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current == text:
            print(f"{rel} is up to date")
            return 0
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   f"{rel} (committed)", f"{rel} (from the schemas)"))
        print(f"\n{rel} is stale: run scripts/gen-plugin-table.py {args.binary} and commit the result",
              file=sys.stderr)
        return 1
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
