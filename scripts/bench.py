"""Cold-start benchmark: `repolint check` on a small JSON-only repo vs. `python -c pass`.

Runs both commands alternately in fresh processes, same interpreter, same run, and prints
the median wall time of each and their ratio. Not a test: numbers depend on the machine.

    python scripts/bench.py [--runs 15] [--repo tests/fixtures/valid/bert]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# an installed wheel has its .pyc files compiled by pip; let the warm-up run write ours too
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd: list[str], cwd: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--repo", default=str(ROOT / "tests" / "fixtures" / "valid" / "bert"))
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo")
        shutil.copytree(args.repo, repo)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -m repolint check repo": [sys.executable, "-m", "repolint", "check", "repo"],
        }
        for cmd in commands.values():  # warm the OS file cache and .pyc files
            wall(cmd, tmp)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(wall(cmd, tmp))

    files = sorted(p.name for p in Path(args.repo).iterdir())
    print(f"repo: {args.repo} ({len(files)} files: {', '.join(files)})")
    print(f"python: {sys.version.split()[0]}  runs: {args.runs}  load average: {os.getloadavg()[0]:.2f}")
    base = statistics.median(times["python -c pass"])
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:<34} median {med * 1000:7.1f} ms  (min {min(values) * 1000:6.1f}, max {max(values) * 1000:6.1f})  {med / base:5.1f}x")


if __name__ == "__main__":
    main()
