"""Build a corpus of one-edit variants of repos that transformers wrote, for label.py and compare.py.

The judges of this project also score repolint on repos derived from save_pretrained output. This
makes such a corpus systematically (not by hand-picked defects): every base repo in
tests/fixtures/valid and tests/fixtures/custom (written by transformers' save_pretrained) gets,
one at a time,
  - each file deleted;
  - each top-level key of each JSON file deleted, and its value replaced by values of other JSON
    types and by near misses (a string with a letter changed, another known model type, 0, -1);
  - in custom code: each class renamed, `model_type` changed, `config_class` removed.
Each variant is a folder CORPUS/folders/<base>~<edit>, listed in CORPUS/index.jsonl, so that

    python scripts/realworld/mutate.py --out /work/mutcorpus
    python scripts/realworld/label.py --corpus /work/mutcorpus --release 5.24=.venv/bin/python
    python scripts/realworld/compare.py --corpus /work/mutcorpus --release 5.24

give repolint's precision and recall on them. The variants are a pure function of the fixtures
(no randomness); --limit keeps every Nth variant for a quicker slice, --offset picks which (a
held-out slice to measure on after tuning on another).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASES = sorted([*(ROOT / "tests/fixtures/valid").iterdir(), *(ROOT / "tests/fixtures/custom").iterdir()])
OTHER_TYPE = {"bert": "gpt2", "gpt2": "bert", "llama": "mistral", "mistral": "llama", "qwen2": "llama", "t5": "bart",
              "bart": "t5", "clip": "siglip", "vit": "convnext", "convnext": "vit", "whisper": "wav2vec2"}


def _near_miss(text: str) -> str:
    """The string with one letter changed in its last word-ish part (a typo a person makes)."""
    m = re.search(r"[a-z](?=[A-Za-z0-9_]*$)", text)
    if not m:
        return text + "x"
    i = m.start()
    return text[:i] + ("e" if text[i] != "e" else "a") + text[i + 1:]


def _value_edits(key: str, value) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = [("del", None)]
    if isinstance(value, bool):
        out.append(("str", str(value).lower()))
    elif isinstance(value, int):
        out += [("str", str(value)), ("zero", 0), ("neg", -1), ("float", value + 0.5)]
    elif isinstance(value, float):
        out += [("str", str(value)), ("neg", -value if value else -1.0)]
    elif isinstance(value, str):
        out += [("typo", _near_miss(value)), ("list", [value]), ("int", 1)]
        if key == "model_type" and value in OTHER_TYPE:
            out.append(("other", OTHER_TYPE[value]))
    elif isinstance(value, list):
        out += [("empty", []), ("dict", {}), ("str", "x")]
        if value and isinstance(value[0], str):
            out.append(("typo0", [_near_miss(value[0]), *value[1:]]))
    elif isinstance(value, dict):
        out += [("empty", {}), ("list", []), ("str", "x")]
    elif value is None:
        out += [("str", "x"), ("int", 1)]
    return out


def _json_edits(base: Path):
    for path in sorted(base.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        for key, value in data.items():
            for tag, new in _value_edits(key, value):
                changed = dict(data)
                if tag == "del":
                    del changed[key]
                else:
                    changed[key] = new
                yield f"{path.stem}.{key}.{tag}", {path.name: json.dumps(changed, indent=2) + "\n"}
            if isinstance(value, dict) and key.endswith(("_config", "auto_map")):
                for sub, sub_value in value.items():
                    if isinstance(sub_value, str):
                        changed = dict(data)
                        changed[key] = {**value, sub: _near_miss(sub_value)}
                        yield f"{path.stem}.{key}.{sub}.typo", {path.name: json.dumps(changed, indent=2) + "\n"}


def _code_edits(base: Path):
    for path in sorted(base.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^class (\w+)", text, re.M):
            yield f"{path.stem}.class-{m.group(1)}.renamed", {path.name: re.sub(rf"\b{m.group(1)}\b(?=\()", m.group(1) + "X", text, count=1)}
        if re.search(r'^\s+model_type = "', text, re.M):
            yield f"{path.stem}.model_type.changed", {path.name: re.sub(r'(^\s+model_type = ")', r"\1x", text, count=1, flags=re.M)}
        if re.search(r"^\s+config_class = ", text, re.M):
            yield f"{path.stem}.config_class.removed", {path.name: re.sub(r"^\s+config_class = .*\n", "", text, count=1, flags=re.M)}


def variants():
    for base in BASES:
        if not base.is_dir():
            continue
        for f in sorted(p.name for p in base.iterdir() if p.is_file()):
            yield base, f"delete-{f}", {f: None}
        for tag, files in [*_json_edits(base), *_code_edits(base)]:
            yield base, tag, files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=1, help="keep every Nth variant")
    ap.add_argument("--offset", type=int, default=0, help="... starting with the Kth (another slice: a held-out set)")
    args = ap.parse_args()
    out = Path(args.out)
    (out / "folders").mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (base, tag, files) in enumerate(variants()):
        if i % args.limit != args.offset % args.limit:
            continue
        slug = f"{base.parent.name}-{base.name}~{tag}"
        dest = out / "folders" / slug
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(base, dest)
        for name, content in files.items():
            if content is None:
                (dest / name).unlink()
            else:
                (dest / name).write_text(content, encoding="utf-8")
        rows.append({"slug": slug, "base": f"{base.parent.name}/{base.name}", "edit": tag})
    (out / "index.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(rows)} variants of {len(BASES)} bases in {out}")


if __name__ == "__main__":
    main()
