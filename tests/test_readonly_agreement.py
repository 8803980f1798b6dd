"""RL104 (config-read-only-attribute) against transformers itself.

Each variant is a config.json (a fixture written by save_pretrained with one key added, or a
minimal one) loaded with AutoConfig by every oracle interpreter available: this environment's
transformers and those in REPOLINT_ORACLE_PYTHONS (default: the 4.57 virtualenv .venv457 that
.ci/run builds; configs need no torch). For each, repolint targeting that release must report
an RL104 error exactly when the load fails, at the key's line. The shipped data is also checked
against the installed release on a few classes (the full probe is the sync script's job).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from helpers import lint, oracle_pythons, run_oracle, target_of

ROOT = Path(__file__).resolve().parent.parent
VALID = ROOT / "tests" / "fixtures" / "valid"


def _oracles() -> list[tuple[str, str]]:
    local = ROOT / ".venv457" / "bin" / "python"  # what .ci/run builds
    return oracle_pythons([str(local)] if local.exists() else [], modules=("transformers",))


ORACLES = _oracles()
needs_oracle = pytest.mark.skipif(not ORACLES, reason="no transformers to check against")

# id -> (fixture to copy or None, (old, new) edit of its config.json or the whole config.json, marker)
# The marker is the text of the line the finding must be on (None: no finding expected anywhere).
VARIANTS = {
    # a setter-less property of one model's class
    "falcon-head-dim": (None, '{\n  "model_type": "falcon",\n  "head_dim": 64\n}\n', '"head_dim"'),
    "falcon-rotary": (None, '{\n  "model_type": "falcon",\n  "rotary": true\n}\n', '"rotary"'),
    # ... of an audio model (Wav2Vec2Config.inputs_to_logits_ratio, DacConfig.frame_rate)
    "wav2vec2-inputs-to-logits-ratio": ("wav2vec2", ('"model_type": "wav2vec2",', '"model_type": "wav2vec2",\n  "inputs_to_logits_ratio": 20,'), '"inputs_to_logits_ratio"'),
    "dac-frame-rate": (None, '{\n  "model_type": "dac",\n  "frame_rate": 86\n}\n', '"frame_rate"'),
    # a setter-less property of the base class, for every model type
    "llama-use-return-dict": ("llama", ('"model_type": "llama",', '"model_type": "llama",\n  "use_return_dict": true,'), '"use_return_dict"'),
    # transformers 5 only: sub_configs (a class property), fails on 5.x, an attribute on 4.57
    "llama-sub-configs": ("llama", ('"model_type": "llama",', '"model_type": "llama",\n  "sub_configs": {},'), '"sub_configs"'),
    # a backbone config: 4.57 fails with KeyError '_out_features' (raised while logging the AttributeError)
    "resnet-use-return-dict": (None, '{\n  "model_type": "resnet",\n  "use_return_dict": true\n}\n', '"use_return_dict"'),
    # nested sub-configs, built with their own classes
    "llava-text-use-return-dict": ("llava", ('"model_type": "llama",', '"model_type": "llama",\n    "use_return_dict": true,'), '"use_return_dict"'),
    # (the fixture's text_config has head_dim, read-only on Falcon too: both are reported)
    "llava-text-falcon-rotary": ("llava", ('"model_type": "llama",', '"model_type": "falcon",\n    "rotary": true,'), '"rotary"'),
    # clean: a field of the same name, a property with a setter, an attribute_map alias, a
    # read-only name of another class
    "llama-head-dim": ("llama", None, None),
    "llama-num-labels": ("llama", ('"model_type": "llama",', '"model_type": "llama",\n  "num_labels": 3,'), None),
    "gpt2-hidden-size": (None, '{\n  "model_type": "gpt2",\n  "hidden_size": 64\n}\n', None),
    "xcodec-hidden-size": (None, '{\n  "model_type": "xcodec",\n  "hidden_size": 64\n}\n', '"hidden_size"'),
    "llama-frame-rate": ("llama", ('"model_type": "llama",', '"model_type": "llama",\n  "frame_rate": 86,'), None),
}


def _make(root: Path, name: str) -> Path:
    fixture, edit, _ = VARIANTS[name]
    dest = root / name
    if fixture:
        shutil.copytree(VALID / fixture, dest)
    else:
        dest.mkdir()
    config = dest / "config.json"
    if isinstance(edit, str):
        config.write_text(edit, encoding="utf-8")
    elif edit is not None:
        text = config.read_text(encoding="utf-8")
        assert edit[0] in text, f"{name}: fixture text changed"
        config.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("readonly")
    return {name: _make(root, name) for name in VARIANTS}


@pytest.fixture(scope="module")
def outcomes(repos, tmp_path_factory):
    if not ORACLES:
        pytest.skip("no transformers to check against")
    """(oracle version, variant) -> AutoConfig outcome."""
    jobs = [{"dir": str(repos[n]), "loader": "AutoConfig"} for n in VARIANTS]
    return {(version, n): o for python, version in ORACLES
            for n, o in zip(VARIANTS, run_oracle(python, jobs, tmp_path_factory.mktemp(f"cwd-{version}")))}


def _line(repo: Path, marker: str) -> int:
    lines = (repo / "config.json").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line)


@needs_oracle
@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_agrees_with_transformers(repos, outcomes, name):
    marker = VARIANTS[name][2]
    for _, version in ORACLES:
        outcome = outcomes[(version, name)]
        errors = [d for d in lint(repos[name], select=["RL104"], targets=[target_of(version)]) if d.severity == "error"]
        verdict = f"transformers {version}: {outcome}; RL104: {[(d.location.line, d.message) for d in errors]}"
        assert bool(errors) == (not outcome["ok"]), verdict
        if errors:
            at = [d for d in errors if d.location.line == _line(repos[name], marker)]
            assert at, verdict
            assert f".{marker.strip(chr(34))} is a property without a setter" in at[0].message, verdict
            assert at[0].fix and at[0].fix.applicability.value == "unsafe", verdict


@needs_oracle
def test_variants_cover_both_verdicts_and_split_the_releases(outcomes):
    for _, version in ORACLES:
        verdicts = {outcomes[(version, n)]["ok"] for n in VARIANTS}
        assert verdicts == {True, False}, version
    majors = {v.split(".")[0] for _, v in ORACLES}
    if len(majors) < 2:
        pytest.skip("needs oracles of two major releases")
    split = [n for n in VARIANTS if len({outcomes[(v, n)]["ok"] for _, v in ORACLES}) == 2]
    assert "llama-sub-configs" in split, split


# ------------------------------------------------------------------------------------------
# the shipped data against the installed release (a few classes; the sync script probes all)
# ------------------------------------------------------------------------------------------

def test_every_shipped_snapshot_has_read_only_data():
    from repolint.knowledge import shipped_versions
    from repolint.readonlykeys import read_only_keys

    for version in shipped_versions():
        data = read_only_keys(version)
        assert data is not None, version
        assert "use_return_dict" in data.common, version
        assert {"head_dim", "rotary"} <= data.rejected("FalconConfig"), version
        assert "text_config" in data.sub_configs["LlavaConfig"], version


SAMPLE = ["falcon", "llama", "resnet", "detr", "mimi", "wav2vec2", "llava", "gpt2", "xcodec"]


def _readonly_module():
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location("configsync_readonly", ROOT / "scripts" / "configsync" / "readonly.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_data_matches_the_installed_release():
    transformers = pytest.importorskip("transformers")
    from repolint.readonlykeys import read_only_keys
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    data = read_only_keys(transformers.__version__)
    if data is None:
        pytest.skip(f"no shipped read-only data for transformers {transformers.__version__}")
    probe = _readonly_module()
    with probe._silenced():
        for mt in SAMPLE:
            cls = CONFIG_MAPPING[mt]
            found = probe.rejected_keys(cls)
            assert data.rejected(cls.__name__) == frozenset(found or ()), mt
