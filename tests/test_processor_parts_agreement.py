"""RL407 (processor-part-missing) against transformers itself.

Each variant starts from a processor fixture that transformers wrote (tests/fixtures/valid/blip,
wav2vec2, whisper: ``processor.save_pretrained``), sometimes moved to the older layout (the
sub-processor dict in preprocessor_config.json with ``processor_class``, no processor_config.json),
then loses a part: the nested sub-processor entry, the preprocessor config, the tokenizer files,
config.json. Every variant is loaded with AutoProcessor by every oracle: this environment's
transformers and those of REPOLINT_ORACLE_PYTHONS (default: the 4.57 virtualenv .venv457 that
.ci/run builds). A pair is judged only when the untouched fixture loads on that oracle (the 5.x
whisper tokenizer does not load on 4.57, for a reason of its own). Then, for repolint targeting
that release:

* an RL407 error means the load raises, with the exception the message names;
* a load that raises gets an RL407 finding; only the documented cases (a tokenizer rebuilt from
  no vocabulary by a class of the model type, or any tokenizer on 4.x) are warnings;
* a load that succeeds gets no RL407 error.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import lint, local_oracle_pythons, run_oracle, target_of

VALID = Path(__file__).resolve().parent / "fixtures" / "valid"
ORACLES = local_oracle_pythons()
needs_oracle = pytest.mark.skipif(not ORACLES, reason="no transformers to check against")

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json")


def _legacy(d: Path, key: str) -> None:
    """The older layout: processor_config.json[key] becomes preprocessor_config.json, which names
    the processor class; processor_config.json goes."""
    proc = json.loads((d / "processor_config.json").read_text(encoding="utf-8"))
    sub = {**proc[key], "processor_class": proc["processor_class"]}
    (d / "preprocessor_config.json").write_text(json.dumps(sub, indent=2) + "\n", encoding="utf-8")
    (d / "processor_config.json").unlink()


def _drop_nested(d: Path, *keys: str) -> None:
    path = d / "processor_config.json"
    proc = json.loads(path.read_text(encoding="utf-8"))
    for key in keys:
        del proc[key]
    path.write_text(json.dumps(proc, indent=2) + "\n", encoding="utf-8")


def _class_in_tokenizer_config(d: Path) -> None:
    """processor_class only in tokenizer_config.json, no processor_config.json (the Hub folders
    where a tokenizer was saved from a processor and the rest was not uploaded)."""
    cls = json.loads((d / "processor_config.json").read_text(encoding="utf-8"))["processor_class"]
    (d / "processor_config.json").unlink()
    path = d / "tokenizer_config.json"
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), "processor_class": cls}, indent=2) + "\n",
                    encoding="utf-8")


def _no_class(d: Path, *nested: str) -> None:
    """No processor_class in any file (save_pretrained writes it to tokenizer_config.json too):
    AutoProcessor takes the processor of config.json's model type."""
    _drop_nested(d, "processor_class", *nested)
    path = d / "tokenizer_config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["processor_class"]
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _no_tokenizer(d: Path) -> None:
    for name in TOKENIZER_FILES:
        (d / name).unlink(missing_ok=True)


def _config(model_type: str | None):
    def edit(d: Path) -> None:
        if model_type is None:
            (d / "config.json").unlink()
        else:
            (d / "config.json").write_text(json.dumps({"model_type": model_type}) + "\n", encoding="utf-8")
    return edit


# id -> (fixture, edits, the part an RL407 finding names (None: none expected on any release))
VARIANTS = {
    "blip": ("blip", [], None),
    "blip-legacy": ("blip", [lambda d: _legacy(d, "image_processor")], None),
    "blip-no-nested-image-processor": ("blip", [lambda d: _drop_nested(d, "image_processor")], "an image processor"),
    "blip-class-in-tokenizer-config": ("blip", [_class_in_tokenizer_config], "an image processor"),
    "blip-model-type-processor": ("blip", [_no_class], None),
    "blip-model-type-processor-no-image-processor": ("blip", [lambda d: _no_class(d, "image_processor")], "an image processor"),
    "blip-legacy-no-tokenizer": ("blip", [lambda d: _legacy(d, "image_processor"), _no_tokenizer], "a tokenizer"),
    "blip-no-tokenizer-no-config": ("blip", [_no_tokenizer, _config(None)], "a tokenizer"),
    "blip-no-tokenizer-vit-config": ("blip", [_no_tokenizer, _config("vit")], "a tokenizer"),
    "blip-no-tokenizer-unknown-model-type": ("blip", [_no_tokenizer, _config("no-such-model")], "a tokenizer"),
    "wav2vec2": ("wav2vec2", [], None),
    "wav2vec2-legacy": ("wav2vec2", [lambda d: _legacy(d, "feature_extractor")], None),
    "wav2vec2-legacy-no-config": ("wav2vec2", [lambda d: _legacy(d, "feature_extractor"), _config(None)], None),
    "wav2vec2-no-nested-feature-extractor": ("wav2vec2", [lambda d: _drop_nested(d, "feature_extractor")], "a feature extractor"),
    "wav2vec2-class-in-tokenizer-config": ("wav2vec2", [_class_in_tokenizer_config], "a feature extractor"),
    "wav2vec2-no-tokenizer": ("wav2vec2", [_no_tokenizer], "a tokenizer"),
    "wav2vec2-legacy-no-tokenizer-no-config": ("wav2vec2", [lambda d: _legacy(d, "feature_extractor"), _no_tokenizer, _config(None)],
                                               "a tokenizer"),
    "whisper": ("whisper", [], None),
    "whisper-legacy": ("whisper", [lambda d: _legacy(d, "feature_extractor")], None),
    "whisper-no-nested-feature-extractor": ("whisper", [lambda d: _drop_nested(d, "feature_extractor")], "a feature extractor"),
    "whisper-class-in-tokenizer-config": ("whisper", [_class_in_tokenizer_config], "a feature extractor"),
    "whisper-no-tokenizer": ("whisper", [_no_tokenizer], "a tokenizer"),
    "whisper-no-tokenizer-no-config": ("whisper", [_no_tokenizer, _config(None)], "a tokenizer"),
}
# what the load raises when RL407 says so, by the part it names
RAISES = {"an image processor": "Can't load image processor", "a feature extractor": "Can't load feature extractor",
          "a tokenizer": "Couldn't instantiate the backend tokenizer"}


def _make(root: Path, name: str) -> Path:
    fixture, edits, _ = VARIANTS[name]
    dest = root / name
    shutil.copytree(VALID / fixture, dest)
    for edit in edits:
        edit(dest)
    return dest


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("parts")
    return {name: _make(root, name) for name in VARIANTS}


@pytest.fixture(scope="module")
def outcomes(repos, tmp_path_factory):
    """(oracle version, variant) -> AutoProcessor outcome."""
    if not ORACLES:
        pytest.skip("no transformers to check against")
    jobs = [{"dir": str(repos[n]), "loader": "AutoProcessor"} for n in VARIANTS]
    return {(version, n): o for python, version in ORACLES
            for n, o in zip(VARIANTS, run_oracle(python, jobs, tmp_path_factory.mktemp(f"cwd-{version}")))}


def _judged(outcomes, version: str, name: str) -> bool:
    """The untouched fixture loads on this oracle (else the variant proves nothing there)."""
    return outcomes[(version, VARIANTS[name][0])]["ok"]


@needs_oracle
@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_agrees_with_transformers(repos, outcomes, name):
    part = VARIANTS[name][2]
    judged = 0
    for _, version in ORACLES:
        if not _judged(outcomes, version, name):
            continue
        judged += 1
        outcome = outcomes[(version, name)]
        found = lint(repos[name], select=["RL407"], targets=[target_of(version)])
        errors = [d for d in found if d.severity == "error"]
        verdict = f"transformers {version}: {outcome}; RL407: {[(d.severity, d.location.file, d.message) for d in found]}"
        if errors:
            assert not outcome["ok"], verdict
            assert any(RAISES[p] in outcome["error"] for p in RAISES if f"needs {p}," in errors[0].message), verdict
        if not outcome["ok"]:
            assert found and part is not None and f"needs {part}," in found[0].message, verdict
            if not errors:  # the documented warnings: a tokenizer built from nothing
                assert part == "a tokenizer", verdict
                assert version.startswith("4.") or "from no vocabulary" in found[0].message, verdict
        for d in found:  # at the processor_class that declares it, else at processor_config.json
            text = (repos[name] / d.location.file).read_text(encoding="utf-8").splitlines()[d.location.line - 1]
            assert '"processor_class"' in text or (d.location.file, d.location.line) == ("processor_config.json", 1), verdict
    if not judged:
        pytest.skip("the fixture loads on no oracle here")


@needs_oracle
def test_variants_cover_both_verdicts(outcomes):
    for _, version in ORACLES:
        judged = [n for n in VARIANTS if _judged(outcomes, version, n)]
        assert {outcomes[(version, n)]["ok"] for n in judged} == {True, False}, version


@needs_oracle
def test_releases_differ_on_the_nested_entries(outcomes):
    """5.x reads only processor_config.json's matching entry; 4.x the whole file: the same
    variant raises on one and loads on the other, and RL407 follows."""
    majors = {v.split(".")[0]: v for _, v in ORACLES}
    if {"4", "5"} - set(majors):
        pytest.skip("needs oracles of both major releases")
    for name in ("blip-no-nested-image-processor", "wav2vec2-no-nested-feature-extractor"):
        assert not outcomes[(majors["5"], name)]["ok"] and outcomes[(majors["4"], name)]["ok"], name
