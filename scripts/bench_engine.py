"""Benchmark: `repolint scan --engine local -j 2` against `--engine dask -j 2` (a local Dask
cluster of two single-threaded worker processes) on the loopback Hub of scripts/bench_scan.py
(synthetic custom-code repos, --no-cache, a fresh huggingface_hub cache per scan).

Prints repos/s, peak RSS of the scan's process tree and its CPU seconds for each engine, and
whether both wrote the same records (timings and finish times aside). Not a test: the numbers
depend on the machine and on what else runs (the load average is printed with them).

    nice python scripts/bench_engine.py [--repos 300] [--threads 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import HubServer, build_repos, normalized, scan  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repos", type=int, default=300)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--engines", default="local,dask", help="comma-separated, in this order")
    args = ap.parse_args()
    repos = build_repos(args.repos)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp, HubServer(repos, page_size=1000) as hub:
        work = Path(tmp)
        runs = {}
        for engine in args.engines.split(","):
            r = scan(hub, work, engine, "--engine", engine, "--jobs", 2, "--threads", args.threads)
            runs[engine] = r
            print(f"--engine {engine:5} -j 2: {r['records']} records in {r['wall']:6.1f} s = "
                  f"{args.repos / r['wall']:5.2f} repos/s; peak RSS {r['peak_mb']:6.1f} MiB; CPU {r['cpu_s']:6.1f} s; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
        if {"local", "dask"} <= set(runs):
            same = normalized(runs["local"]["out"]) == normalized(runs["dask"]["out"])
            print(f"dask / local throughput: {runs['local']['wall'] / runs['dask']['wall']:.2f}x; records "
                  f"{'identical' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
