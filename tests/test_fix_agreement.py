"""Every fix, applied the way a user applies it, and the fixed repo loaded with transformers.

Each case starts from a repo transformers wrote (save_pretrained output in tests/fixtures,
optionally with an edit both sides share), breaks it with one text edit, and expects the
rule's fix to give the original back byte for byte: the fix then provably writes what the
author's transformers wrote, and the fixed repo loads as it did. Through the CLI:

- `--diff` writes nothing, exits 1, and its diff (applied with `patch -p1`) is exactly what
  `--fix` then writes;
- after `--fix`, linting gives exactly the original repo's findings (the finding is gone and
  no new one came);
- transformers (tests/oracle.py) loads the fixed repo as the original's class, and its verdict
  on the broken variant agrees with the finding's severity (error when it fails, else not).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import lint

FIXTURES = Path(__file__).parent / "fixtures"
REGISTER = ('\n\nTinyModel.register_for_auto_class("AutoModel")\n'
            'TinyForCausalLM.register_for_auto_class("AutoModelForCausalLM")\n'
            'TinyForSequenceClassification.register_for_auto_class("AutoModelForSequenceClassification")\n')


@dataclass
class Case:
    id: str
    base: str  # a fixture folder under tests/fixtures
    defect: tuple  # (file, old, new[, "all"]): the text edit that breaks it
    code: str  # the rule whose fix repairs it
    grade: str  # the fix's applicability
    loader: str
    broken: str  # what transformers does with the broken variant: "fails" | "loads" | "other-class"
    # (the custom-code repos have no weights: their AutoModel* are built with from_config, on the meta device)
    trust: bool | None = None
    prepare: tuple = ()  # edits both the original and the broken variant get


CASES = [
    Case("model-type-typo", "valid/bert", ("config.json", '"model_type": "bert"', '"model_type": "bertt"'),
         "RL201", "safe", "AutoConfig", "fails"),
    Case("architectures-typo", "valid/bert", ("config.json", '"BertForSequenceClassification"', '"BertForSequenceClasification"'),
         "RL203", "safe", "AutoConfig", "loads"),
    Case("tokenizer-class-typo", "valid/bert", ("tokenizer_config.json", '"BertTokenizer"', '"BertTokeniser"'),
         "RL404", "safe", "AutoTokenizer", "other-class"),
    Case("image-processor-typo", "valid/vit", ("preprocessor_config.json", '"ViTImageProcessor"', '"VitImageProcessor"'),
         "RL401", "safe", "AutoImageProcessor", "fails"),
    Case("feature-extractor-typo", "valid/whisper", ("processor_config.json", '"WhisperFeatureExtractor"', '"WhisperFeatureExtracter"'),
         "RL402", "safe", "AutoFeatureExtractor", "fails"),
    Case("dtype-with-module-prefix", "valid/bert", ("config.json", '"dtype": "float32"', '"dtype": "torch.float32"'),
         "RL205", "safe", "AutoConfig", "fails"),
    Case("dtype-typo", "valid/bert", ("config.json", '"dtype": "float32"', '"dtype": "float33"'),
         "RL205", "unsafe", "AutoConfig", "fails"),
    Case("torch-dtype-old-name", "valid/bert", ("config.json", '"dtype": "float32"', '"torch_dtype": "float32"'),
         "RL707", "safe", "AutoConfig", "loads"),
    Case("auto-map-key-typo", "custom/custom_model", ("config.json", '"AutoModelForCausalLM"', '"AutoModelForCasualLM"'),
         "RL303", "safe", "AutoModelForCausalLM", "fails", trust=True),
    Case("auto-map-module-stale", "custom/custom_model", ("config.json", '"modeling_tiny.', '"modelling_tiny.', "all"),
         "RL304", "safe", "AutoModelForCausalLM", "fails", trust=True),
    Case("auto-map-class-in-other-module", "custom/custom_model", ("config.json", '"modeling_tiny.TinyModel"', '"tiny_layers.TinyModel"'),
         "RL602", "safe", "AutoModel", "fails", trust=True),
    Case("auto-map-class-typo", "custom/custom_model", ("config.json", '"modeling_tiny.TinyModel"', '"modeling_tiny.TinyModell"'),
         "RL602", "unsafe", "AutoModel", "fails", trust=True),
    Case("register-auto-class-typo", "custom/custom_model",
         ("modeling_tiny.py", '"AutoModelForCausalLM")', '"AutoModelForCasualLM")'),
         "RL605", "safe", "AutoModelForCausalLM", "fails", trust=True, prepare=(("modeling_tiny.py", "<append>", REGISTER),)),
    Case("registered-but-not-in-auto-map", "custom/custom_model",
         ("config.json", '    "AutoModelForCausalLM": "modeling_tiny.TinyForCausalLM",\n', ""),
         "RL605", "safe", "AutoModelForCausalLM", "fails", trust=True, prepare=(("modeling_tiny.py", "<append>", REGISTER),)),
    Case("config-model-type-differs", "custom/custom_model", ("config.json", '"model_type": "tiny2"', '"model_type": "tiny"'),
         "RL603", "unsafe", "AutoConfig", "loads", trust=True,
         prepare=(("configuration_tiny.py", 'model_type = "tiny"', 'model_type = "tiny2"'),
                  ("config.json", '"model_type": "tiny"', '"model_type": "tiny2"'))),
]


def _edit(root: Path, edit) -> None:
    file, old, new, *how = edit
    path = root / file
    text = path.read_text(encoding="utf-8")
    if old == "<append>":
        text += new
    else:
        assert old in text, f"{file}: fixture text changed ({old!r})"
        text = text.replace(old, new) if how == ["all"] else text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def repolint(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "REPOLINT_DEBUG")}
    return subprocess.run([sys.executable, "-m", "repolint", "check", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300)


def _flags(grade: str) -> list[str]:
    return ["--unsafe-fixes"] if grade == "unsafe" else []


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """original/<id>, broken/<id> (never touched), diffed/<id> (patched with --diff's output)
    and fixed/<id> (--fix), for every case; and the diffs, by grade."""
    root = tmp_path_factory.mktemp("fixes")
    for case in CASES:
        original = root / "original" / case.id
        shutil.copytree(FIXTURES / case.base, original)
        for edit in case.prepare:
            _edit(original, edit)
        broken = root / "broken" / case.id
        shutil.copytree(original, broken)
        _edit(broken, case.defect)
    before = _tree(root / "broken")
    diffs, would = {}, {}
    for grade in ("safe", "unsafe"):
        ids = [c.id for c in CASES if c.grade == grade]
        r = repolint(*ids, "--diff", *_flags(grade), cwd=root / "broken")
        assert r.returncode == 1, r.stderr
        assert r.stderr.startswith("Would fix "), r.stderr
        diffs[grade], would[grade] = r.stdout, int(r.stderr.split()[2])
        assert would[grade] >= len(ids)
    assert _tree(root / "broken") == before, "--diff wrote into a repo"
    shutil.copytree(root / "broken", root / "diffed")
    shutil.copytree(root / "broken", root / "fixed")
    for grade in ("safe", "unsafe"):
        p = subprocess.run(["patch", "-p1", "--batch", "--silent"], input=diffs[grade], cwd=root / "diffed",
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        ids = [c.id for c in CASES if c.grade == grade]
        r = repolint(*ids, "--fix", *_flags(grade), cwd=root / "fixed")
        assert f"Fixed {would[grade]} finding" in r.stderr, r.stderr
    return root, diffs


def _found(folder: Path) -> list[str]:
    return sorted(f"{d.code} {d.location.file}:{d.location.line} {d.message}" for d in lint(folder))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_rule_offers_its_fix(work, case):
    root, _ = work
    hits = [d for d in lint(root / "broken" / case.id) if d.code == case.code and d.fix is not None and d.fix.edits]
    assert [d.fix.applicability.value for d in hits] and {d.fix.applicability.value for d in hits} == {case.grade}, \
        _found(root / "broken" / case.id)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fix_restores_what_transformers_wrote(work, case):
    root, _ = work
    assert _tree(root / "fixed" / case.id) == _tree(root / "original" / case.id)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_diff_is_exactly_what_fix_writes(work, case):
    root, diffs = work
    assert f"--- a/{case.id}/" in diffs[case.grade] and f"+++ b/{case.id}/" in diffs[case.grade]
    assert _tree(root / "diffed" / case.id) == _tree(root / "fixed" / case.id)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_relint_after_fix_is_the_original(work, case):
    root, _ = work
    assert _found(root / "fixed" / case.id) == _found(root / "original" / case.id)
    assert case.code not in {d.code for d in lint(root / "fixed" / case.id)}


@pytest.fixture(scope="module")
def oracle(work):
    """Outcomes by (case, side). One interpreter per side: transformers registers the remote
    classes it loads in its Auto mappings, and the three copies of a case share a module
    name, so a class loaded from one copy must not make another copy load."""
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    root, _ = work
    procs = {}
    for side in SIDES:
        jobs = [{"dir": str(root / side / c.id), "loader": c.loader, "trust_remote_code": c.trust,
                 "from_config": c.base.startswith("custom/") and c.loader.startswith("AutoModel")}  # no weights there
                for c in CASES]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(root / f"_modules_{side}")}
        procs[side] = subprocess.Popen([sys.executable, str(Path(__file__).parent / "oracle.py")], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root)
        procs[side].stdin.write(json.dumps(jobs))
        procs[side].stdin.close()
    outcomes = {}
    for side, proc in procs.items():
        out, err = proc.stdout.read(), proc.stderr.read()
        assert proc.wait(timeout=900) == 0, err[-3000:]
        outcomes.update({(c.id, side): o for c, o in zip(CASES, json.loads(out.strip().splitlines()[-1]))})
    return outcomes


SIDES = ("fixed", "broken", "original")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_transformers_loads_the_fixed_repo(oracle, case):
    fixed, original = oracle[(case.id, "fixed")], oracle[(case.id, "original")]
    assert original["ok"], original
    assert fixed["ok"] and fixed["class"] == original["class"], fixed


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_broken_variant_severity_is_honest(oracle, work, case):
    root, _ = work
    broken, original = oracle[(case.id, "broken")], oracle[(case.id, "original")]
    (hit,) = [d for d in lint(root / "broken" / case.id) if d.code == case.code and d.fix is not None][:1]
    if case.broken == "fails":
        assert not broken["ok"], broken
        assert hit.severity.value == "error"
    elif case.broken == "loads":
        assert broken["ok"] and broken["class"] == original["class"], broken
        assert hit.severity.value != "error"
    else:  # loads another class than the author's (RL404: a generic tokenizer, a warning on 5.x)
        assert broken["ok"] and broken["class"] != original["class"], broken
        assert hit.severity.value in ("warning", "error")
