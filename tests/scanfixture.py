"""A small scan file (JSON Lines of repolint-scan/1 records) with known counts, for the
report's tests (tests/test_report.py, tests/test_report_browser.py). Records are written the
way docs of the format (the shared scan record) describe them; the hostile ones carry markup
in every string a page shows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TARGETS = ["4.57", "5.23", "5.24"]
XSS = "</script><script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">"


def finding(code: str, name: str, severity: str, path: str | None, line: int | None, message: str,
            targets=("5.24",)) -> dict:
    return {"code": code, "name": name, "severity": severity, "path": path, "line": line, "column": 1,
            "message": message, "targets": list(targets), "stage": "full"}


def record(spec: str, model_type, verdicts: dict, findings: list, *, status="ok", error=None, commit="c0ffee" * 6 + "abcd") -> dict:
    return {"schema": "repolint-scan/1", "spec": spec, "repo": spec.split("@")[0], "commit": commit,
            "stage": "full", "status": status, "error": error, "model_type": model_type,
            "targets": list(verdicts) or TARGETS, "verdicts": verdicts, "findings": findings,
            "timings": {"listing_s": 0.01, "download_s": 0.2, "lint_s": 0.5, "total_s": 0.71},
            "repolint": "0.1.0", "finished": "2026-01-01T00:00:00Z"}


def verdicts(*codes: str) -> dict:
    names = {"L": "loads", "B": "breaks", "U": "unknown"}
    return {t: names[c] for t, c in zip(TARGETS, codes)}


RL201 = ("RL201", "unknown-model-type", "error", "config.json", 20)
RL701 = ("RL701", "transformers-import-missing", "error", "modeling_x.py", 3)
RL202 = ("RL202", "unknown-architecture", "warning", "config.json", 5)
RL610 = ("RL610", "unused-suppression", "info", "modeling_x.py", 9)

RECORDS = [
    record("acme/llama-ok", "llama", verdicts("L", "L", "L"), []),
    record("acme/llama-mask", "llama", verdicts("L", "L", "B"),
           [finding(*RL701, "`from transformers.modeling_attn_mask_utils import AttentionMaskConverter`: no module "
                            "transformers.modeling_attn_mask_utils in this release"),
            finding(*RL610, "suppression of RL607 suppresses nothing")]),
    record("acme/lama@v1", "lama", verdicts("B", "B", "B"),
           [finding(*RL201, "unknown model_type 'lama' (did you mean 'llama'?)", TARGETS)]),
    record("acme/bret", "bret", verdicts("B", "B", "B"),
           [finding(*RL201, "unknown model_type 'bret' (did you mean 'bert'?)", TARGETS),
            finding(*RL202, "architecture 'BretModel' is unknown")]),
    record("acme/bert", "bert", verdicts("L", "U", "L"), [finding(*RL202, "architecture 'Foo' is unknown")]),
    record("acme/gone", None, {}, [], status="error", commit=None,
           error={"type": "RepoNotFound", "message": "404 Client Error: Repository Not Found"}),
    record("acme/" + XSS, XSS, verdicts("L", "L", "B"),
           [finding("RL701", XSS, "error", XSS + ".py", 1, "evil " + XSS)]),
]
# what the report must draw for RECORDS
EXPECTED = {
    "release_bars": 3,  # 4.57, 5.23, 5.24
    "rule_bars": 4,  # RL201, RL701, RL202, RL610
    "model_type_bars": 5,  # llama, lama, bret, bert, the hostile one (the scan error has none: not scanned)
    "repos": 7,
    "findings": 7,
    "breaking": 4,  # llama-mask, lama, bret, hostile
}


def write_scan(path: Path, records=RECORDS, *, tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail, encoding="utf-8")
    return path


def run_report(*args) -> subprocess.CompletedProcess:
    """`repolint report ARGS` in a subprocess, as a user runs it; never a traceback."""
    proc = subprocess.run([sys.executable, "-m", "repolint", "report", *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc
