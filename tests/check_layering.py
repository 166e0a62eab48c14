#!/usr/bin/env python3
"""Folder layering: no include cycle between the folders of src/ and include/.

Every `#include "..."` of every source and header under src/, include/ and grammar/ is resolved
as the compiler resolves it (next to the including file first, then include/, src/ and grammar/,
the include directories of sluice_core); includes that resolve to none of them (third-party
headers, generated files) are not edges. A file belongs to its top-level folder: src/<folder>/...
is <folder> (so src/plugins/inputs/beats/ is `plugins`), include/sluice/... is `sluice`, the PEGTL
rules under grammar/ are `grammar`. An include from a file of folder A of a file of folder B != A
is an edge A -> B.

Prints the folder graph, then fails (exit 1) if the graph has a cycle, printing each cycle found
with one include line (file:line) per edge. Run by ctest as "build: folder layering".

Usage: check_layering.py [ROOT]   (ROOT defaults to the repository holding this script)
       check_layering.py --self-test   (the checker finds a cycle planted in a scratch tree)
"""

import io
import os
import re
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
EXTENSIONS = (".hpp", ".cpp", ".h", ".cc", ".hh", ".inc", ".ipp")
# target_include_directories(sluice_core PUBLIC include src), sluice_grammar INTERFACE grammar
SEARCH_DIRS = ("include", "src", "grammar")


def folder_of(rel):
    """The folder a repository-relative path belongs to, or None outside src/ and include/."""
    parts = rel.split("/")
    if len(parts) < 2 or parts[0] not in SEARCH_DIRS:
        return None
    if parts[0] == "grammar":
        return "grammar"
    if len(parts) == 2:
        # A file directly in src/ or include/ is its own folder: the root.
        return parts[0] + "/"
    return parts[1]


def resolve(root, including_rel, target):
    """Repository-relative path of the file `#include "target"` in `including_rel` names, or None."""
    here = os.path.dirname(including_rel)
    candidates = [os.path.join(here, target)] + [os.path.join(d, target) for d in SEARCH_DIRS]
    for c in candidates:
        c = os.path.normpath(c)
        if not c.startswith("..") and os.path.isfile(os.path.join(root, c)):
            return c.replace(os.sep, "/")
    return None


def scan(root):
    """Returns ({(from, to): [(file, line, text), ...]}, {folder}, [unresolved (file, line, text)])."""
    edges = {}
    folders = set()
    unresolved = []
    for top in SEARCH_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(EXTENSIONS):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                src_folder = folder_of(rel)
                if src_folder is None:
                    continue
                folders.add(src_folder)
                with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE_RE.match(line)
                        if not m:
                            continue
                        target = resolve(root, rel, m.group(1))
                        if target is None:
                            unresolved.append((rel, lineno, line.strip()))
                            continue
                        dst_folder = folder_of(target)
                        if dst_folder is None or dst_folder == src_folder:
                            continue
                        edges.setdefault((src_folder, dst_folder), []).append((rel, lineno, line.strip()))
    return edges, folders, unresolved


def strongly_connected(folders, adj):
    """Tarjan's algorithm: the components of more than one folder (a cycle each)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(adj.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(folders):
        if v not in index:
            visit(v)
    return out


def cycle_in(comp, adj):
    """One simple cycle through the first folder of a strongly connected component."""
    members = set(comp)
    start = comp[0]
    # Breadth-first from start's successors back to start, inside the component: a shortest cycle.
    prev = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(adj.get(v, ())):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    path.reverse()  # start ... v
                    return path + [start]
                if w not in seen:
                    seen.add(w)
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return [start, start]


def self_test():
    """A scratch tree with a -> b -> c -> a (and a harmless c -> sluice): the cycle is found and each
    edge is named with its include line; without the closing edge the tree passes."""
    files = {
        "src/a/one.hpp": '#pragma once\n#include "b/two.hpp"\n',
        "src/b/two.hpp": '#pragma once\n#include <vector>\n#include "c/three.hpp"\n',
        "src/c/three.cpp": '#include "sluice/api.hpp"\n#include "rapidjson/document.h"\n\n#include "a/one.hpp"\n',
        "src/c/three.hpp": '#pragma once\n',
        "include/sluice/api.hpp": '#pragma once\n',
    }
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            rc = check(root)
        expected = ["cycle: a -> b -> c -> a", "a -> b: src/a/one.hpp:2:", "b -> c: src/b/two.hpp:3:",
                    "c -> a: src/c/three.cpp:4:"]
        missing = [e for e in expected if e not in err.getvalue()]
        if rc != 1 or missing:
            print("self-test: the planted cycle was not reported (exit %d, missing %s)\n%s%s"
                  % (rc, missing, out.getvalue(), err.getvalue()))
            return 1
        os.remove(os.path.join(root, "src/c/three.cpp"))
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            rc = check(root)
        if rc != 0:
            print("self-test: an acyclic tree failed (exit %d)" % rc)
            return 1
    print("self-test: the planted cycle a -> b -> c -> a was reported with its include lines")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    return check(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")))


def check(root):
    edges, folders, unresolved = scan(root)
    adj = {}
    for (a, b) in edges:
        adj.setdefault(a, set()).add(b)

    print("Folder graph (folder -> folders it includes from; count of include lines):")
    for f in sorted(folders):
        targets = sorted(adj.get(f, ()))
        desc = ", ".join("%s (%d)" % (t, len(edges[(f, t)])) for t in targets) or "-"
        print("  %-10s -> %s" % (f, desc))
    if unresolved and os.environ.get("LAYERING_VERBOSE"):
        print("\nQuoted includes outside src/ and include/ (not edges):")
        for rel, lineno, text in unresolved:
            print("  %s:%d: %s" % (rel, lineno, text))

    cycles = strongly_connected(folders, adj)
    if not cycles:
        print("\nNo include cycle between folders.")
        return 0
    print("\nInclude cycles between folders (each edge with one of its include lines):", file=sys.stderr)
    for comp in cycles:
        path = cycle_in(comp, adj)
        print("\n  cycle: " + " -> ".join(path), file=sys.stderr)
        for a, b in zip(path, path[1:]):
            rel, lineno, text = edges[(a, b)][0]
            more = len(edges[(a, b)]) - 1
            print("    %s -> %s: %s:%d: %s%s" % (a, b, rel, lineno, text,
                                                   " (and %d more)" % more if more else ""), file=sys.stderr)
        if len(comp) > len(set(path)):
            print("    (folders in the same tangle: %s)" % ", ".join(comp), file=sys.stderr)
    print("\nFolders must include each other in one direction only: move the shared declaration to "
          "the lower folder (or its own), see ARCHITECTURE.md, 'Layering'.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
