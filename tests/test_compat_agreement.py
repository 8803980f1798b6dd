"""Version-compatibility rules (RL7xx) against transformers itself.

The fixtures are written by transformers (scripts/make_compat_fixtures.py: register_for_auto_class
+ save_pretrained, then one edit per variant). Each variant is loaded with every oracle
interpreter available: the test environment's own transformers (the `oracle` extra), and the
interpreters listed in REPOLINT_ORACLE_PYTHONS (colon-separated; default: the 4.57 virtualenv
.venv457 that .ci/run builds). For each, repolint targeting that release must report an error exactly when the load
fails, with the expected rule at the expected line; a variant flagged only for newer releases
must load on the older one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import lint, oracle_pythons, target_of

ROOT = Path(__file__).resolve().parent.parent
ORACLE = ROOT / "tests" / "oracle.py"
MAKER = ROOT / "scripts" / "make_compat_fixtures.py"


def _oracles() -> list[tuple[str, str]]:
    local = ROOT / ".venv457" / "bin" / "python"  # what .ci/run builds
    return oracle_pythons([str(local)] if local.exists() else [])


ORACLES = _oracles()
pytestmark = pytest.mark.skipif(not ORACLES, reason="no transformers + torch to check against")


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(HF_HUB_OFFLINE="1", HF_MODULES_CACHE=str(tmp / "modules"), TRANSFORMERS_VERBOSITY="error")
    return env


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    out = tmp_path_factory.mktemp("compat")
    python = ORACLES[0][0]
    r = subprocess.run([python, str(MAKER), "--out", str(out)], capture_output=True, text=True,
                       cwd=out, env=_env(out), timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    variants = json.loads((out / "VARIANTS.json").read_text())
    return out, variants


@pytest.fixture(scope="module")
def outcomes(fixtures):
    """(oracle version, repo name) -> load outcome of AutoModelForCausalLM with trust_remote_code."""
    out, variants = fixtures
    names = ["base", *variants]
    result = {}
    for python, version in ORACLES:
        jobs = [{"dir": str(out / n), "loader": "AutoModelForCausalLM", "trust_remote_code": True} for n in names]
        cwd = out / f"cwd-{version}"
        cwd.mkdir(exist_ok=True)
        r = subprocess.run([python, str(ORACLE)], input=json.dumps(jobs), capture_output=True, text=True,
                           cwd=cwd, env=_env(cwd), timeout=1200)
        assert r.returncode == 0, r.stderr[-2000:]
        for n, o in zip(names, json.loads(r.stdout)):
            result[(version, n)] = o
    return result


def _errors(repo: Path, version: str):
    return [d for d in lint(repo, select=["RL7", "RL6"], targets=[target_of(version)]) if d.severity == "error"]


def test_base_loads_and_is_clean(fixtures, outcomes):
    out, _ = fixtures
    for _, version in ORACLES:
        assert outcomes[(version, "base")]["ok"], outcomes[(version, "base")]
        assert _errors(out / "base", version) == []


@pytest.mark.parametrize("name", list(json.loads(subprocess.run(
    [sys.executable, "-c", "import runpy,json;print(json.dumps(list(runpy.run_path(%r)['VARIANTS'])))" % str(MAKER)],
    capture_output=True, text=True).stdout or "[]")))
def test_variant_agrees_with_transformers(fixtures, outcomes, name):
    out, variants = fixtures
    expected = variants[name]
    for _, version in ORACLES:
        outcome = outcomes[(version, name)]
        errors = _errors(out / name, version)
        verdict = f"transformers {version}: {outcome}; repolint errors: {[(d.code, d.location.line, d.message) for d in errors]}"
        assert bool(errors) == (not outcome["ok"]), verdict
        if errors:
            assert any(d.code == expected["code"] and d.location.file == expected["file"]
                       and d.location.line == expected["line"] for d in errors), verdict


def test_some_variant_splits_the_releases(fixtures, outcomes):
    """With a 4.x and a 5.x oracle, at least one variant loads on one and fails on the other
    (so the suite really compares releases rather than repeating one)."""
    majors = {v.split(".")[0] for _, v in ORACLES}
    if len(majors) < 2:
        pytest.skip("needs oracles of two major releases")
    _, variants = fixtures
    split = [n for n in variants if len({outcomes[(v, n)]["ok"] for _, v in ORACLES}) == 2]
    assert split
