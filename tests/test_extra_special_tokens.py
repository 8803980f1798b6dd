"""RL708: transformers 5 writes tokenizer_config.json's extra_special_tokens as a list; 4.47-4.57 read a
dict and every tokenizer fails. Checked with each oracle on fixtures transformers 5 wrote, and on
the two repairs the rule's help names (a dict, or no key)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import lint, local_oracle_pythons, run_oracle, target_of

VALID = Path(__file__).parent / "fixtures" / "valid"
ORACLES = local_oracle_pythons(modules=("transformers",))
FIXTURES = [p.parent.name for p in sorted(VALID.glob("*/tokenizer_config.json"))
            if isinstance(json.loads(p.read_text()).get("extra_special_tokens"), list)]


def _variant(root: Path, fixture: str, how: str) -> Path:
    dest = root / f"{fixture}-{how}"
    shutil.copytree(VALID / fixture, dest)
    path = dest / "tokenizer_config.json"
    data = json.loads(path.read_text())
    tokens = data["extra_special_tokens"]
    if how == "dict":
        data["extra_special_tokens"] = {f"extra_token_{i}": t for i, t in enumerate(tokens)}
    elif how == "deleted":
        del data["extra_special_tokens"]
    path.write_text(json.dumps(data, indent=2) + "\n")
    return dest


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    root = tmp_path_factory.mktemp("est")
    return root, {(f, how): _variant(root, f, how) for f in FIXTURES for how in ("list", "dict", "deleted")}


def test_fixtures_written_by_transformers_5_have_the_list():
    assert len(FIXTURES) >= 3, FIXTURES  # t5, whisper, llava


@pytest.mark.parametrize("target,how,expected", [
    ("4.57", "list", "error"), ("4.50", "list", "error"), ("4.46", "list", None), ("5.24", "list", None),
    ("4.57", "dict", None), ("4.57", "deleted", None),
])
def test_severity_by_target(variants, target, how, expected):
    _, paths = variants
    for fixture in FIXTURES:
        found = [d for d in lint(paths[(fixture, how)], targets=[target]) if d.code == "RL708"]
        assert [d.severity.value for d in found] == ([expected] if expected else []), (fixture, found)
        if expected:
            assert found[0].location.file == "tokenizer_config.json" and "extra_special_tokens" in found[0].message


@pytest.mark.skipif(not ORACLES, reason="no transformers to check against")
@pytest.mark.parametrize("python,version", ORACLES)
def test_transformers_agrees(variants, python, version):
    root, paths = variants
    keys = sorted(paths)
    outcomes = run_oracle(python, [{"dir": str(paths[k]), "loader": "AutoTokenizer"} for k in keys], root)
    target = target_of(version)
    for key, outcome in zip(keys, outcomes):
        flagged = any(d.code == "RL708" and d.severity.value == "error" for d in lint(paths[key], targets=[target]))
        assert flagged == (not outcome["ok"]), (key, version, outcome)
        if flagged:  # (a T5 tokenizer then tries its slow converter, which may want protobuf first)
            assert "'list' object has no attribute 'keys'" in outcome["error"] or outcome["error"].startswith("ImportError"), outcome
