"""Label every folder of the real-world corpus by loading it with real transformers releases.

For each folder in CORPUS/index.jsonl (duplicates left out) and each release asked for, runs
load_folder.py in a fresh interpreter of that release (nice 19, HF_HUB_OFFLINE=1, a timeout, its own
HF_MODULES_CACHE), one load at a time, and appends one record to CORPUS/labels-<release>.jsonl:
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


def label_one(python: str, folder: Path, timeout: float, overlay: str | None, modules: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "PYTHONPATH"))}
    env.update(HF_HUB_OFFLINE="1", HF_MODULES_CACHE=modules, TOKENIZERS_PARALLELISM="false",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    if overlay:
        env["PYTHONPATH"] = overlay
    with tempfile.TemporaryDirectory() as cwd:  # a repo's code that writes files writes here
        try:
            proc = subprocess.run(["nice", "-n", "19", python, str(HERE / "load_folder.py"), str(folder)],
                                  capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
        except subprocess.TimeoutExpired:
            return {"results": [], "fails": False, "env": False, "timeout": True}
    for line in reversed(proc.stdout.splitlines()):
        try:
            out = json.loads(line)
        except ValueError:
            continue
        if isinstance(out, dict) and "results" in out:
            res = out["results"]
            repo_fail = any(not r["ok"] and r["kind"] == "repo" for r in res)
            env_fail = any(not r["ok"] and r["kind"] == "env" for r in res)
            return {"results": res, "transformers": out.get("transformers"), "fails": repo_fail,
                    "env": env_fail and not repo_fail, "timeout": False}
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1][:400]
    return {"results": [{"loader": "process", "ok": False, "error": f"exit {proc.returncode}: {tail}", "kind": "crash"}],
            "fails": False, "env": True, "timeout": False}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("--release", action="append", required=True, help="NAME=/path/to/python")
    ap.add_argument("--overlay", default=None)
    ap.add_argument("--timeout", type=float, default=240)
    ap.add_argument("--only", nargs="*", default=None, help="slugs to (re)label")
    args = ap.parse_args()
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
        for slug in corpus_folders(corpus):
            if slug in done or (args.only and slug not in args.only):
                continue
            rec = {"slug": slug, "release": name,
                   **label_one(python, corpus / "folders" / slug, args.timeout, args.overlay, modules)}
            with out_path.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            print(name, slug, "FAIL" if rec["fails"] else "env" if rec["env"] else "timeout" if rec["timeout"] else "ok",
                  flush=True)


if __name__ == "__main__":
    main()
