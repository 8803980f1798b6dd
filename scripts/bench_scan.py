"""Benchmark of `repolint scan` on a loopback Hub (tests/hubserver.py) of synthetic repos.

Each repo is a custom-code model (config.json with auto_map, configuration_*.py, a modeling
file of ~600 lines, a layers module, generation_config.json, README.md), every one with its
own class names so that nothing is shared between repos; scans run with --no-cache (no facts
cache) and a fresh huggingface_hub cache each, --rate high enough never to throttle.

Measured, each scan a fresh `repolint scan --author syn --stage full` process:
1. repos/s over --repos repos at --jobs 1 and --jobs 2 (the scaling target is >= 1.8x on two
   cores), wall clock, with the CPU seconds of the scan's process tree, what those CPU
   seconds allow on two idle cores, and — before and after — what a second process adds to
   a pure-Python CPU loop on this machine at that moment (the ceiling of any scaling);
2. peak memory (the summed RSS of the scan's process tree, sampled every 0.1 s) for --small
   repos and for --repos repos at --jobs 2: it should not grow with the number of repos;
3. a scan at --jobs 2 killed with SIGKILL (the whole process group) once half of the records
   are written, then resumed with --resume: its records must equal those of the
   uninterrupted --jobs 2 scan, none lost, none twice (timings and finish times aside).
Not a test: the numbers depend on the machine and on what else runs; the load average is
printed with them.

    nice python scripts/bench_scan.py [--repos 1000] [--small 250] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hubserver import HubServer, fake_sha  # noqa: E402

TEMPLATE = ROOT / "tests" / "fixtures" / "custom" / "custom_full"
BLOCK = '''

class {name}Block{j}(nn.Module):
    """Block {j} of the {name} model."""

    def __init__(self, config):
        super().__init__()
        self.norm = nn.LayerNorm(config.hidden_size)
        self.proj_in = nn.Linear(config.hidden_size, config.intermediate_size)
        self.proj_out = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(getattr(config, "dropout_{j}", 0.0))
        self.scale = config.hidden_size ** -0.5

    def forward(self, hidden_states, attention_mask=None):
        residual = hidden_states
        hidden_states = self.norm(hidden_states)
        hidden_states = self.proj_out(torch.relu(self.proj_in(hidden_states))) * self.scale
        if attention_mask is not None:
            hidden_states = hidden_states * attention_mask[..., None]
        return residual + self.dropout(hidden_states)
'''


def repo_files(i: int, blocks: int = 60) -> dict[str, bytes]:
    name = f"Syn{i}"
    sub = lambda text: text.replace("Tiny", name).replace("tiny", f"syn{i}")  # noqa: E731
    files = {}
    for src in ("configuration_tiny.py", "modeling_tiny.py", "tiny_layers.py", "generation_config.json"):
        files[sub(src)] = sub((TEMPLATE / src).read_text()).encode()
    modeling = f"modeling_syn{i}.py"
    files[modeling] += "".join(BLOCK.format(name=name, j=j) for j in range(blocks)).encode()
    config = json.loads(sub((TEMPLATE / "config.json").read_text()))
    config["auto_map"] = {"AutoConfig": f"configuration_syn{i}.{name}Config",
                          "AutoModel": f"modeling_syn{i}.{name}Model",
                          "AutoModelForCausalLM": f"modeling_syn{i}.{name}ForCausalLM"}
    files["config.json"] = json.dumps(config, indent=2).encode()
    files["README.md"] = f"# syn/{i}\n\nA synthetic custom-code repo.\n".encode()
    return files


def build_repos(n: int) -> dict:
    return {f"syn/m{i:05d}": {fake_sha(f"syn/m{i:05d}"): repo_files(i)} for i in range(n)}


class TreeSampler:
    """Peak summed RSS and the CPU seconds of a process and its descendants."""

    def __init__(self, pid: int):
        import psutil

        self.root = psutil.Process(pid)
        self.peak = 0
        self.peak_each: dict[int, int] = {}  # pid -> its own peak RSS
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            rss = 0
            for p in procs:
                try:
                    one = p.memory_info().rss
                    rss += one
                    self.peak_each[p.pid] = max(self.peak_each.get(p.pid, 0), one)
                    t = p.cpu_times()
                    self.cpu[p.pid] = t.user + t.system
                except psutil.Error:
                    pass
            self.peak = max(self.peak, rss)
            self._stop.wait(0.1)

    def stop(self) -> tuple[float, float, float, float]:
        """(peak MiB of the tree, CPU seconds of the tree, of the root process alone, peak MiB
        of the root process alone)."""
        self._stop.set()
        self._thread.join()
        return (self.peak / 2**20, sum(self.cpu.values()), self.cpu.get(self.root.pid, 0.0),
                self.peak_each.get(self.root.pid, 0) / 2**20)


def scan(hub: HubServer, work: Path, name: str, *args, kill_at: int | None = None) -> dict:
    out = work / f"{name}.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env.update(HF_ENDPOINT=hub.url, HF_HOME=str(work / f"hf-{name}-{time.monotonic_ns()}"), HF_HUB_DISABLE_TELEMETRY="1",
               REPOLINT_CACHE_DIR=str(work / "facts"))
    cmd = [sys.executable, "-m", "repolint", "scan", "--author", "syn", "-o", str(out), "--no-cache",
           "--rate", "1000000/1", "--no-progress", *map(str, args)]
    start = time.perf_counter()
    own = resource.getrusage(resource.RUSAGE_SELF)  # this process serves the loopback Hub
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    sampler = TreeSampler(proc.pid)
    if kill_at is not None:
        while proc.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= kill_at:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    peak, cpu, cpu_main, peak_main = sampler.stop()
    now = resource.getrusage(resource.RUSAGE_SELF)
    server = (now.ru_utime + now.ru_stime) - (own.ru_utime + own.ru_stime)
    lines = out.read_bytes().count(b"\n") if out.exists() else 0
    if kill_at is None and proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr[-800:]}")
    return {"name": name, "wall": wall, "peak_mb": peak, "peak_main_mb": peak_main, "cpu_s": cpu, "cpu_main": cpu_main,
            "cpu_server": server,
            "records": lines, "rc": proc.returncode,
            "stderr": stderr.strip().splitlines()[-1:] or [""], "out": out}


def _spin(_) -> float:
    x = 0
    for i in range(8_000_000):
        x += i * i
    return x


def ceiling() -> float:
    """What a second process adds on this machine right now: tasks/s of a pure-Python CPU loop
    in two processes over one (2.0 on two idle cores; less when other work holds them)."""
    from multiprocessing import get_context

    rates = []
    for n in (1, 2):
        start = time.perf_counter()
        with get_context("spawn").Pool(n) as pool:
            pool.map(_spin, range(3 * n))
        rates.append(3 * n / (time.perf_counter() - start))
    return rates[1] / rates[0]


def normalized(path: Path) -> dict:
    recs = {}
    with open(path, "rb") as fh:
        for line in fh:
            rec = json.loads(line)
            key = (rec["repo"], rec["commit"])
            if key in recs:
                raise SystemExit(f"{path}: {key} twice")
            recs[key] = {k: v for k, v in rec.items() if k not in ("timings", "finished")}
    return recs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repos", type=int, default=1000)
    ap.add_argument("--small", type=int, default=250)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()

    print(f"building {args.repos} synthetic repos ...", flush=True)
    repos = build_repos(args.repos)
    sample = repos["syn/m00000"][fake_sha("syn/m00000")]
    lines = sample["modeling_syn0.py"].count(b"\n")
    print(f"each: {len(sample)} files, {sum(map(len, sample.values()))} bytes; modeling file {lines} lines", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp, HubServer(repos, page_size=1000) as hub:
        work = Path(tmp)

        def report(r, n):
            results.append(r)
            print(f"{r['name']:>12}: {n:5d} repos in {r['wall']:7.1f} s = {n / r['wall']:6.2f} repos/s; "
                  f"peak RSS {r['peak_mb']:6.1f} MiB (main process {r['peak_main_mb']:5.1f}); CPU s: scan {r['cpu_s']:6.1f} (main process {r['cpu_main']:6.1f}), "
                  f"loopback Hub {r['cpu_server']:5.1f}; load {os.getloadavg()[0]:.1f}", flush=True)

        before = ceiling()
        j1 = scan(hub, work, "jobs1", "--jobs", 1, "--threads", args.threads)
        report(j1, args.repos)
        j2 = scan(hub, work, "jobs2", "--jobs", 2, "--threads", args.threads)
        report(j2, args.repos)
        after = ceiling()
        small = scan(hub, work, f"jobs2-{args.small}", "--jobs", 2, "--threads", args.threads, "--limit", args.small)
        report(small, args.small)
        killed = scan(hub, work, "killed", "--jobs", 2, "--threads", args.threads, kill_at=args.repos // 2)
        report(killed, killed["records"])
        resumed = scan(hub, work, "killed", "--jobs", 2, "--threads", args.threads, "--resume")
        report(resumed, args.repos - killed["records"])

        print()
        print(f"scaling --jobs 2 / --jobs 1: {j1['wall'] / j2['wall']:.2f}x (wall clock, load average "
              f"{os.getloadavg()[2]:.1f} over the last 15 minutes); a pure-Python CPU loop gained "
              f"{before:.2f}x from a second process just before, {after:.2f}x just after")
        # what the CPU seconds allow on two idle cores: one process cannot go faster than its own
        # CPU time, and the scan plus the loopback Hub share the two cores
        bound1 = max(j1["cpu_main"], (j1["cpu_s"] + j1["cpu_server"]) / 2)
        bound2 = max(j2["cpu_main"], (j2["cpu_s"] + j2["cpu_server"]) / 2)
        print(f"on two idle cores the CPU seconds allow at best {args.repos / bound1:.2f} repos/s at --jobs 1 and "
              f"{args.repos / bound2:.2f} at --jobs 2: {bound1 / bound2:.2f}x")
        print(f"peak RSS at --jobs 2: {small['peak_mb']:.1f} MiB for {args.small} repos, {j2['peak_mb']:.1f} MiB for "
              f"{args.repos} (the scanning process alone: {small['peak_main_mb']:.1f} and {j2['peak_main_mb']:.1f})")
        a, b = normalized(j2["out"]), normalized(resumed["out"])
        same = a == b and len(a) == args.repos
        print(f"SIGKILL after {killed['records']} of {args.repos} records (rc {killed['rc']}), resumed: "
              f"{len(b)} records, {'identical to' if same else 'DIFFERENT from'} the uninterrupted scan")
        if normalized(j1["out"]) != a:
            print("WARNING: --jobs 1 and --jobs 2 records differ")
        else:
            print("--jobs 1 and --jobs 2 records: identical")


if __name__ == "__main__":
    main()
