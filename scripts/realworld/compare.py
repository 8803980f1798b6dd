"""Compare repolint's error-level verdicts with the load labels of the real-world corpus.

For each release label file (CORPUS/labels-<release>.jsonl, written by label.py; the last record of a
folder wins), runs `repolint check FOLDER --format json -t <release>` and counts, over folders whose
label is not environment-only or a timeout:
  TP: repolint gives an error and transformers fails    FP: an error, but every loader succeeds
  FN: no error, but transformers fails                  TN: no error and it loads
Prints precision and recall per release and every FP (rules + messages) and FN (exceptions); writes
CORPUS/compare-<release>.json.

    python scripts/realworld/compare.py [--corpus /work/corpus] [--release 5.24 --release 4.57]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from label import verdict  # noqa: E402

# rules about weight files (RL8xx): the corpus keeps no weights and the labels load none, so their
# verdicts are not judged here (they are listed apart)
UNJUDGED_PREFIXES = ("RL8",)


def labels(path: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            out[rec["slug"]] = {**rec, **verdict(rec)}
    return out


REPOLINT_ENV: dict | None = None  # --pythonpath: another build of repolint (e.g. `pip install --target` of an older commit)


def repolint_errors(folder: Path, release: str) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "repolint", "check", str(folder), "--format", "json", "-t", release],
                          capture_output=True, text=True, timeout=300, env=REPOLINT_ENV, cwd="/")
    if proc.returncode == 2:
        return [{"code": "EXIT2", "message": proc.stderr.strip()[-300:]}]
    try:
        diags = json.loads(proc.stdout)
    except ValueError:
        return [{"code": "BADJSON", "message": proc.stdout[:300]}]
    return [{"code": d["code"], "message": d["message"], "file": d["location"]["file"], "line": d["location"]["line"]}
            for d in diags if d.get("severity") == "error" and not d["code"].startswith(UNJUDGED_PREFIXES)]


def compare(corpus: Path, release: str, tag: str = "") -> dict:
    lab = labels(corpus / f"labels-{release}.jsonl")
    rows, counts = [], {"TP": 0, "FP": 0, "FN": 0, "TN": 0, "env": 0, "timeout": 0}
    for slug, rec in sorted(lab.items()):
        errors = repolint_errors(corpus / "folders" / slug, release)
        if rec.get("timeout"):
            cell = "timeout"
        elif rec.get("env"):
            cell = "env"
        else:
            cell = ("T" if bool(errors) == rec["fails"] else "F") + ("P" if errors else "N")
        counts[cell] += 1
        failures = [f"{r['loader']}: {r['error']}" for r in rec.get("results", []) if not r["ok"]]
        rows.append({"slug": slug, "cell": cell, "errors": errors, "failures": failures})
    tp, fp, fn = counts["TP"], counts["FP"], counts["FN"]
    summary = {"release": release, **counts,
               "precision": round(tp / (tp + fp), 3) if tp + fp else None,
               "recall": round(tp / (tp + fn), 3) if tp + fn else None}
    (corpus / f"compare-{release}{tag}.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return {"summary": summary, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("--release", action="append", default=None)
    ap.add_argument("--pythonpath", default=None, help="import repolint from here (compare another build)")
    ap.add_argument("--tag", default="", help="suffix of the compare-<release><tag>.json written")
    args = ap.parse_args()
    global REPOLINT_ENV
    if args.pythonpath:
        REPOLINT_ENV = {**os.environ, "PYTHONPATH": args.pythonpath, "REPOLINT_NO_CACHE": "1"}
    corpus = Path(args.corpus)
    for release in args.release or ["5.24", "4.57"]:
        if not (corpus / f"labels-{release}.jsonl").exists():
            continue
        result = compare(corpus, release, args.tag)
        s = result["summary"]
        print(f"## transformers {release}: TP {s['TP']} FP {s['FP']} FN {s['FN']} TN {s['TN']} "
              f"(env-only {s['env']}, timeouts {s['timeout']}) precision {s['precision']} recall {s['recall']}")
        for row in result["rows"]:
            if row["cell"] == "FP":
                print(f"- FP {row['slug']}: " + "; ".join(f"{e['code']} {e.get('file')}:{e.get('line')} {e['message'][:200]}"
                                                        for e in row["errors"]))
            elif row["cell"] == "FN":
                print(f"- FN {row['slug']}: " + "; ".join(f[:250] for f in row["failures"]))


if __name__ == "__main__":
    main()
