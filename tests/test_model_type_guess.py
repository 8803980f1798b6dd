"""RL202 on 4.x: with no model_type, transformers 4 takes the longest model type the repo's name
contains (AutoConfig's name-pattern fallback); 5.x raises. Checked against each oracle, loading
each repo by its bare folder name so that no other part of the path can match a pattern."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import lint, local_oracle_pythons, run_oracle, target_of

VALID = Path(__file__).parent / "fixtures" / "valid"
ORACLES = local_oracle_pythons()

# folder name, fixture, what 4.x builds (None: it fails), whether that is the class the repo declares
CASES = [
    ("bart-tiny", "bart", "BartForConditionalGeneration", True),
    ("roberta-copy", "bert", "RobertaForSequenceClassification", False),  # named roberta, saved as bert
    ("plainname", "bert", None, None),
]


def _make(root: Path, name: str, fixture: str) -> Path:
    dest = root / name
    shutil.copytree(VALID / fixture, dest)
    data = json.loads((dest / "config.json").read_text())
    del data["model_type"]
    (dest / "config.json").write_text(json.dumps(data, indent=2) + "\n")
    return dest


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    return root, {name: _make(root, name, fixture) for name, fixture, *_ in CASES}


def _rl202(path: Path, target: str):
    found = [d for d in lint(path, targets=[target]) if d.code == "RL202"]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("name,fixture,builds,declared", CASES)
def test_severity_follows_the_name(repos, name, fixture, builds, declared):
    _, paths = repos
    assert _rl202(paths[name], "5.24").severity.value == "error"  # 5.x never guesses
    on4 = _rl202(paths[name], "4.57")
    assert on4.severity.value == ("warning" if declared else "error"), on4.message
    if builds:
        assert repr(builds.split("For")[0].lower()) in on4.message


@pytest.mark.skipif(not ORACLES, reason="no transformers + torch to check against")
@pytest.mark.parametrize("python,version", ORACLES)
def test_transformers_agrees(repos, python, version):
    root, paths = repos
    jobs = [{"dir": name, "loader": "AutoModelForSequenceClassification" if fixture == "bert" else "AutoModelForSeq2SeqLM",
             "from_config": True} for name, fixture, *_ in CASES]
    outcomes = run_oracle(python, jobs, root)
    target = target_of(version)
    for (name, _, builds, declared), outcome in zip(CASES, outcomes):
        severity = _rl202(paths[name], target).severity.value
        if version.startswith("4.") and builds:
            assert outcome["ok"] and outcome["class"] == builds, (name, outcome)
            assert severity == ("warning" if declared else "error")
        else:
            assert not outcome["ok"], (name, version, outcome)
            assert severity == "error"
