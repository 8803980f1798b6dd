"""Label every folder of the real-world corpus by loading it with real transformers releases.

For each folder in CORPUS/index.jsonl (duplicates left out) and each release asked for, loads it in a
fresh process of that release (load_folder.py --serve: the interpreter imports transformers once and
forks a child per folder; nice 19, HF_HUB_OFFLINE=1, a timeout, its own HF_MODULES_CACHE), one load
at a time, and appends one record to CORPUS/labels-<release>.jsonl:
{"slug", "release", "results": [per-loader outcome], "fails": bool, "env": bool, "timeout": bool}.
`fails` is true when a loader failed for a reason the folder causes (kind "repo"); `env` when a
loader failed only because of this machine (a missing pip package, the offline Hub), which leaves
the folder out of precision/recall. Folders already labelled are skipped (resume).

Optional pure-Python packages the repos import (einops, tiktoken, sentencepiece, ...) can be put in
an overlay directory (--overlay, added to PYTHONPATH) instead of the oracle venvs.

    python scripts/realworld/label.py --release 5.24=/work/main/.venv/bin/python \
        --release 4.57=/work/venv457/bin/python [--corpus /work/corpus] [--overlay DIR] [--timeout 240]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def corpus_folders(corpus: Path) -> list[str]:
    rows = [json.loads(line) for line in (corpus / "index.jsonl").read_text().splitlines() if line.strip()]
    return [r["slug"] for r in rows if not r.get("duplicate_of") and (corpus / "folders" / r["slug"]).is_dir()]


class Loader:
    """load_folder.py --serve in one release's interpreter: imports transformers once, forks a fresh
    child per folder (one load at a time), kills a child past the timeout."""

    def __init__(self, python: str, timeout: float, overlay: str | None, modules: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "PYTHONPATH"))}
        env.update(HF_HUB_OFFLINE="1", HF_MODULES_CACHE=modules, TOKENIZERS_PARALLELISM="false",
                   OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
        if overlay:
            env["PYTHONPATH"] = overlay
        self.cwd = tempfile.mkdtemp(prefix="label-")  # a repo's code that writes files writes here
        self.proc = subprocess.Popen(["nice", "-n", "19", python, str(HERE / "load_folder.py"), "--serve", str(timeout)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env, cwd=self.cwd)

    def label(self, folder: Path) -> dict:
        self.proc.stdin.write(f"{folder}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            return {"results": [{"loader": "process", "ok": False, "error": "loader server died", "kind": "crash"}],
                    "fails": False, "env": True, "timeout": False}
        out = json.loads(line)
        return verdict(out)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def verdict(out: dict) -> dict:
    res = out.get("results", [])
    judged = [r for r in res if r.get("kind") != "memory"]  # a step the labeller's memory cap stopped: unjudged
    repo_fail = any(not r["ok"] and r.get("kind") == "repo" for r in judged)
    other_fail = any(not r["ok"] and r.get("kind") != "repo" for r in judged)
    return {"results": res, "transformers": out.get("transformers"), "fails": repo_fail,
            "env": other_fail and not repo_fail, "timeout": bool(out.get("timeout"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("--release", action="append", required=True, help="NAME=/path/to/python")
    ap.add_argument("--overlay", default=None)
    ap.add_argument("--timeout", type=float, default=240)
    ap.add_argument("--only", nargs="*", default=None, help="slugs to (re)label")
    ap.add_argument("--only-file", default=None, help="a file of slugs (whitespace-separated) to (re)label")
    args = ap.parse_args()
    if args.only_file:
        args.only = (args.only or []) + Path(args.only_file).read_text().split()
    corpus = Path(args.corpus)
    for spec in args.release:
        name, python = spec.split("=", 1)
        out_path = corpus / f"labels-{name}.jsonl"
        done = set()
        if out_path.exists():
            done = {json.loads(line)["slug"] for line in out_path.read_text().splitlines() if line.strip()}
        if args.only:
            done -= set(args.only)
        modules = str(corpus / f"hf_modules-{name}")
        loader = Loader(python, args.timeout, args.overlay, modules)
        for slug in corpus_folders(corpus):
            if slug in done or (args.only and slug not in args.only):
                continue
            rec = {"slug": slug, "release": name, **loader.label(corpus / "folders" / slug)}
            if rec["results"] and rec["results"][0].get("error") == "loader server died":
                loader = Loader(python, args.timeout, args.overlay, modules)
            with out_path.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            print(name, slug, "FAIL" if rec["fails"] else "env" if rec["env"] else "timeout" if rec["timeout"] else "ok",
                  flush=True)
        loader.close()

if __name__ == "__main__":
    main()
