"""Benchmark of model-folder discovery (repolint/discover.py): a checkout of FILES files
with MODELS model folders at several depths, plus a .gitignore'd build folder, a virtualenv,
node_modules and .git full of files the walk must skip.

    .venv/bin/python scripts/bench_discover.py [--files 10000] [--models 20] [--repeat 5]

Prints the tree's size, the best and median wall time of `discover.walk` over the tree
(in-process), and the wall time of `repolint check --show-files` (a fresh interpreter,
imports included). tests/test_discover.py checks the folders found on the same tree shape.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIPPED_DIRS = (".git/objects", "build/out", ".venv/lib", "node_modules/pkg")


def make_tree(root: Path, files: int = 10_000, models: int = 20) -> list[str]:
    """Write the tree; return the model folders the walk must find ('/'-separated, relative)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".gitignore").write_text("/build/\n")
    (root / ".venv").mkdir()
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    expected = []
    for i in range(models):
        depth = i % 4
        rel = "/".join(["models", f"group{i % 3}", *[f"level{d}" for d in range(depth)], f"model{i}"])
        (root / rel).mkdir(parents=True)
        (root / rel / "config.json").write_text('{"model_type": "bert"}\n')
        expected.append(rel)
    for d in SKIPPED_DIRS:  # each holds a model-looking folder the walk must not report
        (root / d / "m").mkdir(parents=True)
        (root / d / "m" / "config.json").write_text("{}\n")
    written = models + len(SKIPPED_DIRS) + 2
    n = 0
    while written < files:  # source-like folders of 50 files each, spread over the tree
        folder = root / ["src", "docs", "data", "build/out", ".git/objects", "node_modules/pkg"][n % 6] / f"d{n // 6}"
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(min(50, files - written)):
            (folder / f"f{k}.py").write_text("")
            written += 1
        n += 1
    return expected


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--models", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from repolint.discover import walk

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        expected = make_tree(root, args.files, args.models)
        total = sum(len(f) for _, _, f in os.walk(root))
        times, found = [], []
        os.chdir(root)
        for _ in range(args.repeat):
            start = time.perf_counter()
            found = walk(".")
            times.append(time.perf_counter() - start)
        assert sorted(found) == sorted(expected), (found, expected)
        start = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "repolint", "check", "--show-files"], cwd=root,
                           capture_output=True, text=True)
        cli = time.perf_counter() - start
        assert sorted(r.stdout.split()) == sorted(expected), r.stdout + r.stderr
        print(f"tree: {total} files, {args.models} model folders")
        print(f"discover.walk: best {min(times) * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms ({args.repeat} runs)")
        print(f"repolint check --show-files (fresh process): {cli * 1000:.0f} ms")


if __name__ == "__main__":
    main()
