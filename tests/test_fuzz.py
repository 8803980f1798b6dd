"""The fuzz harness (scripts/fuzz.py): a fixed-seed campaign must find nothing, and the
harness must be able to find something (its verdicts and its determinism are checked on
their own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from fuzzing.generate import PROFILES, load_seeds, make_case  # noqa: E402
from fuzzing.runner import Outcome  # noqa: E402
from fuzzing.verdict import signatures  # noqa: E402

CASES = 300


def test_fixed_seed_campaign_finds_nothing(tmp_path):
    # a few hundred mutated repos (JSON, bytes, Python, settings, file system), each in a child
    # process with a 30 s CPU timeout: no traceback, no exit 2 on repo input, no signal, no timeout,
    # no RSS over 500 MB, no RL000 internal error, and every output what its format promises
    out = tmp_path / "fuzz"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fuzz.py"), "--seed", "ci-1", "--cases", str(CASES), "--jobs", "2",
         "--profile", "ci", "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cases"] == CASES
    failures = [json.loads(line) for line in (out / "cases.jsonl").read_text().splitlines() if json.loads(line)["signatures"]]
    assert summary["signatures"] == [], "\n".join(
        f"{f['id']}: {f['signatures']} :: {' | '.join(f['notes'])[:300]}" for f in failures[:20]
    )
    assert 0 < summary["peak_rss"]["max_rss_mb"] <= 500 and summary["slowest"]["cpu"] < summary["timeout"]


def _outcome(code=None, sig=None, out=b"", err=b"", rss=80.0):
    status = (code << 8) if code is not None else sig
    return Outcome(status=status, seconds=0.5, cpu=0.4, max_rss_mb=rss, stdout=out, stderr=err)


@pytest.mark.parametrize("outcome,touched,expect", [
    (_outcome(sig=11), False, ["signal SIGSEGV"]),
    (_outcome(sig=14), False, ["timeout (wall clock)"]),
    (_outcome(sig=24), False, ["timeout (CPU)"]),
    (_outcome(code=2, err=b"repolint: internal error: TypeError: x\n"), False, ["exit 2: repolint: internal error: TypeError: x"]),
    (_outcome(code=2, err=b"repolint: error: repo/repolint.toml: invalid TOML\n"), True, []),
    (_outcome(code=2, err=b"repolint: error: repo/repolint.toml: invalid TOML\n"), False, ["exit 2: repolint: error: repo/repolint.toml: invalid TOML"]),
    (_outcome(code=1, out=b"[]", rss=700.0), False, ["rss > 500 MB", "wrong output json: exit 1 with error findings=False"]),
    (_outcome(code=0, out=b'[{"severity": "error"}]'), False, ["wrong output json: exit 0 with error findings=True"]),
    (_outcome(code=0, out=b'[{"message": "\\udcff"}]'), False, ["wrong output json: lone surrogate escape"]),
    (_outcome(code=1, err=b'Traceback (most recent call last):\n  File "x"\nKeyError: 3\n', out=b"[]"), False,
     ["traceback KeyError: N", "wrong output json: exit 1 with error findings=False"]),
    (_outcome(code=0, out=b'[{"severity": "warning", "message": "internal error in RL204 [label-mismatch] while checking config.json: '
              b'TypeError: unhashable", "help": "raised at rules/config.py:208 (check); set"}]'), False,
     ["internal error TypeError at rules/config.py check"]),
])
def test_verdicts(outcome, touched, expect):
    assert signatures(outcome, ["--format", "json"], touched) == sorted(expect)


def test_raw_control_characters_in_text_output_are_a_failure():
    assert signatures(_outcome(code=1, out=b"a\x1b[31mb\n"), ["--format", "full"], False) == ["wrong output full: raw control character"]


def test_cases_are_a_function_of_seed_and_index():
    seeds = load_seeds()
    first = [make_case("s", i, seeds, PROFILES["ci"]) for i in range(30)]
    again = [make_case("s", i, seeds, PROFILES["ci"]) for i in range(30)]
    assert [(c.files, c.notes, c.args) for c in first] == [(c.files, c.notes, c.args) for c in again]
    assert len({c.notes[1] if len(c.notes) > 1 else "" for c in first}) > 20  # and they differ from case to case
