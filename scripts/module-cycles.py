#!/usr/bin/env python3
"""Lists module cycles inside each crate of the workspace.

A module depends on another when its source names it through `crate::a::b` or `super::x`
(including `use` lines). Usage: python3 scripts/module-cycles.py [crates/NAME ...]
Exits 1 when a cycle is found, printing it.
"""
import os
import re
import sys


def modules(src):
    """Module path (tuple) → file, for every .rs file under src/."""
    out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)[:-3].split(os.sep)
            if rel[-1] in ("mod", "lib", "main"):
                rel = rel[:-1]
            out[tuple(rel)] = os.path.join(root, f)
    return out


def resolve(path, mods):
    """The longest known module prefix of path."""
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in mods:
            return tuple(path[:n])
    return None


def strip_tests(text):
    # Test modules may reach anywhere, and comments (doc links) name modules without using
    # them: neither is part of the module graph.
    i = text.find("#[cfg(test)]")
    text = text if i < 0 else text[:i]
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def edges(mods):
    g = {m: set() for m in mods}
    for m, f in mods.items():
        text = strip_tests(open(f, encoding="utf-8").read())
        for hit in re.finditer(r"\bcrate((?:::\w+)+)", text):
            target = resolve(hit.group(1).strip(":").split("::"), mods)
            if target and target != m and not m[: len(target)] == target:
                g[m].add(target)
        for hit in re.finditer(r"\bsuper((?:::\w+)+)", text):
            base = list(m[:-1]) if not f.endswith(("mod.rs",)) else list(m)
            base = base[:-1] if f.endswith("mod.rs") else base
            target = resolve(base + hit.group(1).strip(":").split("::"), mods)
            if target and target != m and not m[: len(target)] == target:
                g[m].add(target)
    return g


def cycles(g):
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for t in sorted(g[n]):
            if state.get(t) == 1:
                found.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[n] = 2

    for n in sorted(g):
        if n not in state:
            visit(n)
    return found


def main():
    crates = sys.argv[1:] or sorted(
        os.path.join("crates", c) for c in os.listdir("crates")
    ) + ["tests"]
    bad = 0
    for c in crates:
        src = os.path.join(c, "src")
        if not os.path.isdir(src):
            continue
        for cyc in cycles(edges(modules(src))):
            bad += 1
            print(f"{c}: " + " -> ".join("::".join(m) or "crate" for m in cyc))
    if bad:
        sys.exit(1)
    print("no module cycles in", ", ".join(crates))


if __name__ == "__main__":
    main()
