"""Fuzz `repolint check` with seeded, mutated model repos.

    python scripts/fuzz.py --seed S --cases N --out DIR [--jobs 2] [--mode fork|exec]
    python scripts/fuzz.py --seed S --replay I --out DIR     # rebuild and run one case

Each case starts from a repo in examples/ or tests/fixtures/ and mutates JSON (values,
structure, deep nesting, huge ints, NaN, duplicates, BOM, encodings), Python (nesting
depth, long chains, huge files, blank lines, NUL bytes, encodings), settings files and the
file system (symlinks in and out, FIFOs, folders under config names, odd names). Each runs
in a child process with a timeout and a memory cap; a run fails on exit 2 (except the
one-line error for a settings file the case broke), a traceback, a signal, a timeout, a
peak RSS over 500 MB, an RL000 internal error, or output that is not what its format
promises. The report gives cases/s, failure signatures with counts, the slowest case and
the peak RSS; DIR/summary.json holds it, DIR/cases.jsonl every case, DIR/repro/ the first
reproducers of each signature (the case folder, case.json and the command to replay it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fuzzing.case import copy_tree, remove_tree, write_case  # noqa: E402
from fuzzing.generate import PROFILES, ROOT, load_seeds, make_case  # noqa: E402
from fuzzing.runner import Limits, Runner  # noqa: E402
from fuzzing.verdict import RSS_LIMIT_MB, expected_config_error, signatures  # noqa: E402

REPROS_PER_SIGNATURE = 3


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", default="0")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--start", type=int, default=0, help="first case index (to resume a campaign)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", "-j", type=int, default=1)
    ap.add_argument("--mode", choices=["fork", "exec"], default="fork")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="full")
    ap.add_argument("--timeout", type=int, default=30, help="CPU seconds per case")
    ap.add_argument("--wall-timeout", type=int, default=None, help="wall-clock seconds per case (default 3x --timeout)")
    ap.add_argument("--memory-mb", type=int, default=2048)
    ap.add_argument("--replay", type=int, default=None, help="rebuild case I, run it (exec mode) and print its outcome")
    ap.add_argument("--source", default=None, help="lint with the repolint of this source tree (e.g. a git worktree of one commit, so that edits to the checkout do not change a long campaign halfway)")
    ap.add_argument("--families", default="", help="comma-separated subset of json,python,settings,fs (default: all)")
    ap.add_argument("--quiet", action="store_true")
    opts = ap.parse_args(argv)

    os.makedirs(opts.out, exist_ok=True)
    if opts.source:
        opts.source = os.path.abspath(opts.source)
        sys.path.insert(0, opts.source)  # the fork parent imports this tree
        os.environ["PYTHONPATH"] = opts.source + os.pathsep + os.environ.get("PYTHONPATH", "")  # exec'd children too
    work = tempfile.mkdtemp(prefix="fuzz-work-")
    cache = os.path.join(work, "_cache")
    seeds = load_seeds()
    profile = PROFILES[opts.profile]
    limits = Limits(opts.timeout, opts.memory_mb, opts.wall_timeout or 3 * opts.timeout)

    if opts.replay is not None:
        return _replay(opts, seeds, profile, limits, work, cache)

    families = _families(opts)
    runner = Runner(opts.mode, limits, cache, opts.jobs)
    stats = Stats(opts)
    indexes = iter(range(opts.start, opts.start + opts.cases))
    pending = {}
    started = time.perf_counter()
    with open(os.path.join(opts.out, "cases.jsonl"), "a", encoding="utf-8") as log:
        while True:
            while not runner.busy():
                index = next(indexes, None)
                if index is None:
                    break
                case = make_case(opts.seed, index, seeds, profile, families)
                case_dir = os.path.join(work, case.id)
                write_case(case_dir, case)
                pending[case.id] = (case, case_dir)
                runner.start(case.id, case_dir, case.args)
            if not runner.running:
                break
            token, outcome = runner.wait()
            case, case_dir = pending.pop(token)
            sigs = signatures(outcome, case.args, case.config_touched)
            record = stats.add(case, outcome, sigs)
            log.write(json.dumps(record, ensure_ascii=True) + "\n")
            if sigs:
                for sig in sigs:
                    if stats.repro_count[sig] < REPROS_PER_SIGNATURE:
                        stats.repro_count[sig] += 1
                        _save_repro(opts, case, case_dir, record, sig)
                if not opts.quiet:
                    notes = json.dumps(" | ".join(case.notes))[1:-1]  # escaped: notes quote hostile text
                    print(f"[{case.id}] {'; '.join(sigs)} :: {notes[:300]}", flush=True)
            remove_tree(case_dir)
            if not opts.quiet and stats.cases % 500 == 0:
                print(stats.progress(time.perf_counter() - started), flush=True)
                stats.write(time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    summary = stats.write(elapsed)
    remove_tree(work)
    print(stats.report(summary))
    return 0


class Stats:
    def __init__(self, opts):
        self.opts = opts
        self.cases = 0
        self.failing = 0
        self.config_errors = 0
        self.by_signature: Counter = Counter()
        self.examples: dict[str, str] = {}
        self.repro_count: Counter = Counter()
        self.exit_codes: Counter = Counter()
        self.slowest = {"seconds": 0.0}  # by CPU time
        self.slowest_wall = {"seconds": 0.0}
        self.peak = {"max_rss_mb": 0.0}
        self.cpu = 0.0

    def add(self, case, outcome, sigs) -> dict:
        self.cases += 1
        self.cpu += outcome.cpu
        self.exit_codes[str(outcome.exit_code if outcome.signal is None else f"signal {outcome.signal}")] += 1
        if expected_config_error(outcome, case.config_touched):
            self.config_errors += 1
        record = {
            "id": case.id, "exit": outcome.exit_code, "signal": outcome.signal, "seconds": round(outcome.seconds, 3),
            "cpu": round(outcome.cpu, 3), "max_rss_mb": round(outcome.max_rss_mb, 1), "signatures": sigs,
            "args": case.args, "notes": case.notes,
        }
        if sigs:
            self.failing += 1
        for sig in sigs:
            self.by_signature[sig] += 1
            self.examples.setdefault(sig, case.id)
        if outcome.cpu > self.slowest.get("cpu", 0.0):
            self.slowest = record
        if outcome.seconds > self.slowest_wall["seconds"]:
            self.slowest_wall = record
        if outcome.max_rss_mb > self.peak["max_rss_mb"]:
            self.peak = record
        return record

    def progress(self, elapsed: float) -> str:
        return (f"{self.cases} cases in {elapsed:.0f} s ({self.cases / elapsed:.2f}/s), {self.failing} failing, "
                f"{len(self.by_signature)} signatures")

    def write(self, elapsed: float) -> dict:
        summary = {
            "seed": self.opts.seed, "start": self.opts.start, "cases": self.cases, "mode": self.opts.mode,
            "jobs": self.opts.jobs, "profile": self.opts.profile, "families": self.opts.families or "all", "timeout": self.opts.timeout,
            "source": self.opts.source or ROOT, "elapsed_s": round(elapsed, 1), "cases_per_s": round(self.cases / elapsed, 3) if elapsed else 0,
            "cpu_s_per_case": round(self.cpu / self.cases, 3) if self.cases else 0,
            "failing_cases": self.failing, "expected_config_errors": self.config_errors,
            "exit_codes": dict(self.exit_codes),
            "signatures": [{"signature": s, "cases": n, "example": self.examples[s]} for s, n in self.by_signature.most_common()],
            "slowest": self.slowest, "slowest_wall": self.slowest_wall, "peak_rss": self.peak, "rss_limit_mb": RSS_LIMIT_MB,
        }
        with open(os.path.join(self.opts.out, "summary.json"), "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2, ensure_ascii=True)
        return summary

    def report(self, s: dict) -> str:
        lines = [
            f"{s['cases']} cases in {s['elapsed_s']} s: {s['cases_per_s']} cases/s ({s['mode']} mode, {s['jobs']} jobs), "
            f"{s['cpu_s_per_case']} s CPU per case",
            f"exit codes: {s['exit_codes']}; {s['expected_config_errors']} one-line settings errors (allowed)",
            f"slowest (CPU): {s['slowest'].get('id')} {s['slowest'].get('cpu')} s CPU, {s['slowest'].get('seconds')} s wall :: {_notes(s['slowest'])}",
            f"slowest (wall): {s['slowest_wall'].get('id')} {s['slowest_wall'].get('seconds')} s :: {_notes(s['slowest_wall'])}",
            f"peak RSS: {s['peak_rss'].get('id')} {s['peak_rss'].get('max_rss_mb')} MB :: {_notes(s['peak_rss'])}",
            f"failing cases: {s['failing_cases']}; signatures: {len(s['signatures'])}",
        ]
        lines += [f"  {x['cases']:>6}  {x['signature']}  (e.g. case {x['example']})" for x in s["signatures"]]
        return "\n".join(lines)


def _notes(record: dict) -> str:
    return json.dumps(" | ".join(record.get("notes", [])))[1:-1][:200]


def _families(opts) -> set[str]:
    return {f.strip() for f in opts.families.split(",") if f.strip()}


def _slug(sig: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", sig).strip("-")[:80] or "unknown"


def _save_repro(opts, case, case_dir: str, record: dict, sig: str) -> None:
    dest = os.path.join(opts.out, "repro", _slug(sig), case.id)
    if os.path.exists(dest):
        return
    copy_tree(os.path.join(case_dir, "repo"), os.path.join(dest, "repo"))
    if os.path.isdir(os.path.join(case_dir, "outside")):
        copy_tree(os.path.join(case_dir, "outside"), os.path.join(dest, "outside"))
    for name in ("stdout", "stderr"):
        with open(os.path.join(case_dir, name), "rb") as src, open(os.path.join(dest, name), "wb") as out:
            out.write(src.read(200_000))
    families = f" --families {opts.families}" if opts.families else ""
    replay = f"python scripts/fuzz.py --seed {opts.seed} --replay {case.index} --profile {opts.profile}{families} --out /tmp/replay"
    with open(os.path.join(dest, "case.json"), "w", encoding="utf-8") as fh:
        json.dump({**record, "signature": sig, "replay": replay,
                   "command": "cd " + dest + " && repolint check repo " + " ".join(case.args)}, fh, indent=2, ensure_ascii=True)


def _replay(opts, seeds, profile, limits, work, cache) -> int:
    case = make_case(opts.seed, opts.replay, seeds, profile, _families(opts))
    case_dir = os.path.join(work, case.id)
    write_case(case_dir, case)
    runner = Runner("exec", limits, cache)
    runner.start(case.id, case_dir, case.args)
    _, outcome = runner.wait()
    sigs = signatures(outcome, case.args, case.config_touched)
    dest = os.path.join(opts.out, case.id)
    copy_tree(case_dir, dest)
    print("\n".join(case.notes))
    print(f"repolint check repo {' '.join(case.args)}  (in {dest})")
    print(f"exit {outcome.exit_code} signal {outcome.signal} {outcome.seconds:.2f} s {outcome.max_rss_mb:.0f} MB")
    print(outcome.stderr.decode("utf-8", "replace")[-3000:])
    print("signatures:", sigs or "none")
    remove_tree(work)
    return 1 if sigs else 0


if __name__ == "__main__":
    sys.exit(main())
