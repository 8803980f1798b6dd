"""Cold-start benchmark of `repolint check`, next to `python -c pass` in the same run.

Two scenarios, each command in fresh processes, alternated, median of --runs:
- json: a small JSON-only repo (default tests/fixtures/valid/bert);
- code: the custom-code fixture with its modeling file grown to ~3,000 lines, linted with a
  cold facts cache (a new REPOLINT_CACHE_DIR each run) and a warm one, and — when
  transformers and torch are importable — loaded by transformers (AutoConfig +
  AutoModel.from_config on the meta device, trust_remote_code=True); it ends with issue 11's
  ratios: cold lint / `python -c pass` (target <= 8x) and transformers' load / cold lint
  (target >= 20x), by wall clock and by CPU time (user + system of each child process).
Not a test: numbers depend on the machine; record them with the load average. --baseline DIR
adds the cold and warm runs of another copy of repolint (e.g. a `git archive` of an older
commit: a folder holding repolint/ and rules/) to the same alternated rounds, so that before
and after are measured under the same load.

    python scripts/bench.py [--runs 15] [--scenario json|code|all] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
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


CPU: dict[str, list[float]] = {}  # command name -> CPU seconds (user + system) of each run


def wall(cmd: list[str], cwd: str, env: dict | None = None, name: str | None = None) -> float:
    """Wall seconds of one fresh process; its CPU seconds go to CPU[name]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    if name is not None:
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        CPU.setdefault(name, []).append(cpu)
    return elapsed


COLD = "repolint check (cold facts cache)"
BASE_COLD = "baseline: repolint check (cold cache)"
LOAD = "transformers AutoConfig + from_config(meta)"
TRANSFORMERS_LOAD = """
import torch, transformers
cfg = transformers.AutoConfig.from_pretrained("repo", trust_remote_code=True)
with torch.device("meta"):
    transformers.AutoModel.from_config(cfg, trust_remote_code=True)
"""


def grow_modeling_file(path: Path, target_lines: int = 3000) -> int:
    """Append plausible model code (classes with methods) until the file has target_lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while len(lines) < target_lines:
        lines += [
            "",
            "",
            f"class TinyBlock{i}(nn.Module):",
            f'    """Generated block {i} for the benchmark."""',
            "",
            "    def __init__(self, config):",
            "        super().__init__()",
            "        self.proj = nn.Linear(config.hidden_size, config.hidden_size)",
            "        self.norm = nn.LayerNorm(config.hidden_size)",
            "",
            "    def forward(self, hidden_states, attention_mask=None):",
            "        residual = hidden_states",
            "        hidden_states = self.norm(hidden_states)",
            "        hidden_states = self.proj(hidden_states)",
            "        if attention_mask is not None:",
            "            hidden_states = hidden_states * attention_mask[..., None]",
            "        return residual + hidden_states",
        ]
        i += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def report(title: str, times: dict[str, list[float]], base_name: str) -> None:
    print(f"\n{title}  (load average {os.getloadavg()[0]:.2f})")
    base = statistics.median(times[base_name])
    cpu_base = statistics.median(CPU[base_name]) if CPU.get(base_name) else None
    for name, values in times.items():
        med = statistics.median(values)
        line = f"  {name:<44} median {med * 1000:8.1f} ms  (min {min(values) * 1000:7.1f}, max {max(values) * 1000:7.1f})  {med / base:6.1f}x"
        if cpu_base and CPU.get(name):
            cpu = statistics.median(CPU[name])
            line += f"   cpu {cpu * 1000:7.1f} ms {cpu / cpu_base:6.1f}x"
        print(line)


def bench_code(runs: int, baseline: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo")
        shutil.copytree(ROOT / "tests" / "fixtures" / "custom" / "custom_model", repo)
        n = grow_modeling_file(Path(repo) / "modeling_tiny.py")
        warm_cache = os.path.join(tmp, "warm-cache")
        lint = [sys.executable, "-m", "repolint", "check", "repo"]
        commands = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            COLD: (lint, "cold"),
            "repolint check (warm facts cache)": (lint, warm_cache),
        }
        if baseline:
            base_env = {"PYTHONPATH": os.path.abspath(baseline)}
            commands[BASE_COLD] = (lint, "cold", base_env)
            commands["baseline: repolint check (warm cache)"] = (lint, os.path.join(tmp, "warm-base"), base_env)
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401

            commands[LOAD] = ([sys.executable, "-c", TRANSFORMERS_LOAD], None)
        except ImportError:
            print("(transformers/torch not importable: skipping the transformers load)")
        times: dict[str, list[float]] = {name: [] for name in commands}
        for r in range(runs + 1):
            for name, (cmd, cache, *extra) in commands.items():
                cache_dir = os.path.join(tmp, f"cold-{name[:4]}-{r}") if cache == "cold" else cache
                env = {**ENV, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": os.path.join(tmp, "modules"), **(extra[0] if extra else {})}
                if cache_dir:
                    env["REPOLINT_CACHE_DIR"] = cache_dir
                t = wall(cmd, tmp, env, name=name if r else None)
                if r:  # the first round warms the OS cache, the .pyc files and the warm facts cache
                    times[name].append(t)
    report(f"custom-code repo, modeling file of {n} lines, {runs} runs", times, "python -c pass")
    targets(times, CPU)


def targets(times: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    """Issue 11's cold-start targets, from the medians of this run (wall clock, and CPU time,
    which a loaded machine disturbs less)."""
    for which in (COLD, BASE_COLD):
        for label, data in (("wall", times), ("cpu", cpu)):
            if not data.get(which):
                continue
            pass_ = statistics.median(data["python -c pass"])
            cold = statistics.median(data[which])
            line = f"  {'baseline ' if which == BASE_COLD else ''}{label:<4}: cold / python -c pass = {cold / pass_:5.1f}x (target <= 8)"
            if data.get(LOAD):
                line += f";  transformers load / cold = {statistics.median(data[LOAD]) / cold:5.1f}x (target >= 20)"
            print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--scenario", choices=("json", "code", "all"), default="all")
    ap.add_argument("--repo", default=str(ROOT / "tests" / "fixtures" / "valid" / "bert"))
    ap.add_argument("--baseline", help="a folder with another copy of repolint to run in the same rounds")
    args = ap.parse_args()
    if args.scenario in ("json", "all"):
        bench_json(args)
    if args.scenario in ("code", "all"):
        bench_code(args.runs, args.baseline)


def bench_json(args) -> None:
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
    print(f"python {sys.version.split()[0]}")
    report(f"JSON-only repo {args.repo} ({', '.join(files)}), {args.runs} runs", times, "python -c pass")


if __name__ == "__main__":
    main()
