"""Which model types' configs, as transformers 5 saves them, an older release cannot load.

A config saved by transformers 5 drops keys 5 no longer has (DETR-like models lose `backbone` and
`use_timm_backbone`, whose 4.x defaults then clash with the saved `backbone_config`) and writes
values 4.x rejects (`tie_word_embeddings` for CSM, unknown keys for DBRX's sub-configs). This
learns them by doing it: the newer interpreter saves each model type's default config the way
save_pretrained writes it (``to_json_string(use_diff=True)``), the older one loads each with its
own config class (``from_dict``), and every failure that is not the machine's (no network) is kept:

    python scripts/configsync/cross_release.py --newer .venv/bin/python --older /work/venv457/bin/python \\
        --out schemas/

writes ``schemas/saved-by-<newer>-on-<older>.json``: {"saved_by", "loaded_by", "fails": {model type: exception}}.
repolint reads it at lint time (rule RL709); it never imports transformers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_QUIET = "import logging, warnings\nwarnings.filterwarnings('ignore')\nlogging.disable(logging.WARNING)\n"
SAVE = _QUIET + """
import json, sys
import transformers
from transformers import CONFIG_MAPPING
saved = {}
for mt in sorted(CONFIG_MAPPING.keys()):
    try:
        saved[mt] = json.loads(CONFIG_MAPPING[mt]().to_json_string(use_diff=True))
    except Exception:
        pass  # a type whose default config cannot be built here says nothing
json.dump({"version": transformers.__version__, "saved": saved}, open(sys.argv[1], "w"))
"""
LOAD = _QUIET + """
import json, sys
import transformers
from transformers import CONFIG_MAPPING
saved = json.load(open(sys.argv[1]))["saved"]
fails = {}
for mt, data in saved.items():
    if mt not in CONFIG_MAPPING:
        continue  # a type the older release does not have: RL201's
    try:
        CONFIG_MAPPING[mt].from_dict(dict(data))
    except Exception as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if isinstance(exc, OSError) and "huggingface.co" in text:
            continue  # wanted the network: the machine's failure, not the config's
        fails[mt] = f"{type(exc).__name__}: {text}"[:300]
json.dump({"version": transformers.__version__, "fails": fails}, open(sys.argv[2], "w"))
"""


def probe(newer: str, older: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        saved, loaded = Path(tmp) / "saved.json", Path(tmp) / "loaded.json"
        env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
        subprocess.run([newer, "-c", SAVE, str(saved)], check=True, env=env, timeout=1800)
        subprocess.run([older, "-c", LOAD, str(saved), str(loaded)], check=True, env=env, timeout=1800)
        result = json.loads(loaded.read_text())
        return {"saved_by": json.loads(saved.read_text())["version"], "loaded_by": result["version"],
                "fails": dict(sorted(result["fails"].items()))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--newer", required=True, help="python with the transformers release that saves")
    ap.add_argument("--older", required=True, help="python with the transformers release that loads")
    ap.add_argument("--out", default="schemas")
    args = ap.parse_args(argv)
    data = probe(args.newer, args.older)
    path = Path(args.out) / f"saved-by-{data['saved_by']}-on-{data['loaded_by']}.json"
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path}: {len(data['fails'])} model types fail")
    return 0


if __name__ == "__main__":
    sys.exit(main())
