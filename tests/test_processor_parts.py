"""RL407 (processor-part-missing): the rule on small repos, and the processor_parts data it reads.

What transformers really does with each shape is proven in tests/test_processor_parts_agreement.py;
here the rule's branches (which file provides which part on which release, the severities, where
the finding points) and the shipped data against the installed release.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from helpers import lint, write_repo
from repolint.knowledge import Knowledge, shipped_versions

ROOT = Path(__file__).resolve().parent.parent

WHISPER_TOK = '{\n  "tokenizer_class": "WhisperTokenizer",\n  "processor_class": "WhisperProcessor"\n}\n'
CLIP_PRE = '{\n  "image_processor_type": "CLIPImageProcessor",\n  "processor_class": "CLIPProcessor"\n}\n'


def _rl407(tmp_path, files: dict, targets=("5.24",)):
    root = write_repo(tmp_path / "repo", files)
    return [d for d in lint(root, select=["RL407"], targets=targets) if d.code == "RL407"]


# ------------------------------------------------------------------------------------------
# feature extractor / image processor / video processor
# ------------------------------------------------------------------------------------------

def test_feature_extractor_missing_is_an_error_on_both_majors(tmp_path):
    found = _rl407(tmp_path, {"tokenizer_config.json": WHISPER_TOK, "tokenizer.json": "{}"}, targets=("5.24", "4.57"))
    assert [(d.location.file, d.location.line, d.severity.value) for d in found] == [("tokenizer_config.json", 3, "error")]
    message = found[0].message
    for part in ("'WhisperProcessor'", "a feature extractor", "preprocessor_config.json", "processor_config.json",
                 "OSError \"Can't load feature extractor\""):
        assert part in message, message
    assert found[0].targets and set(found[0].targets) == {"5.24", "4.57"}


@pytest.mark.parametrize("provider", [
    {"preprocessor_config.json": '{"feature_extractor_type": "WhisperFeatureExtractor"}'},
    {"processor_config.json": '{"processor_class": "WhisperProcessor", "feature_extractor": {}}'},
    {"processor_config.json": '{"processor_class": "WhisperProcessor", "audio_processor": {}}'},
])
def test_feature_extractor_provided(tmp_path, provider):
    assert _rl407(tmp_path, {"tokenizer_config.json": WHISPER_TOK, "tokenizer.json": "{}", **provider},
                  targets=("5.24", "5.23", "4.57")) == []


def test_processor_config_without_the_entry_differs_by_major(tmp_path):
    files = {"processor_config.json": '{\n  "processor_class": "CLIPProcessor"\n}\n', "tokenizer.json": "{}"}
    found = _rl407(tmp_path, files, targets=("5.24",))
    assert [(d.location.file, d.location.line, d.severity.value) for d in found] == [("processor_config.json", 2, "error")]
    assert 'processor_config.json has no "image_processor" entry' in found[0].message
    assert "Can't load image processor" in found[0].message
    assert _rl407(tmp_path, files, targets=("4.57",)) == []  # 4.x reads the whole processor_config.json


def test_video_processor_missing_is_a_warning(tmp_path):
    # image processor nested, no preprocessor_config.json for the video processor to fall back on
    files = {"processor_config.json": '{\n  "image_processor": {},\n  "processor_class": "Qwen2VLProcessor"\n}\n',
             "tokenizer.json": "{}"}
    found = _rl407(tmp_path, files)
    assert [(d.location.line, d.severity.value) for d in found] == [(3, "warning")]
    assert "a video processor" in found[0].message and "video_preprocessor_config.json" in found[0].message
    files["processor_config.json"] = '{"image_processor": {}, "video_processor": {}, "processor_class": "Qwen2VLProcessor"}'
    assert _rl407(tmp_path, files) == []
    del files["processor_config.json"]
    files["preprocessor_config.json"] = '{"processor_class": "Qwen2VLProcessor"}'  # both fall back on it
    assert _rl407(tmp_path, files) == []


def test_model_type_processor_when_no_class_is_named(tmp_path):
    found = _rl407(tmp_path, {"processor_config.json": "{}\n", "config.json": '{"model_type": "clip"}', "tokenizer.json": "{}"})
    assert [(d.location.file, d.location.line, d.severity.value) for d in found] == [("processor_config.json", 1, "error")]
    assert "CLIPProcessor" in found[0].message and "an image processor" in found[0].message


@pytest.mark.parametrize("files", [
    # auto_map: a custom class (RL2xx's business)
    {"tokenizer_config.json": '{"processor_class": "WhisperProcessor", "auto_map": {"AutoProcessor": "p.P"}}', "tokenizer.json": "{}"},
    # not a processor of transformers (RL403)
    {"tokenizer_config.json": '{"processor_class": "WhisperProcesor"}', "tokenizer.json": "{}"},
    {"tokenizer_config.json": '{"processor_class": 3}', "tokenizer.json": "{}"},
    # processor_config.json that is not an object: unknown
    {"processor_config.json": "[]", "tokenizer_config.json": '{"processor_class": "WhisperProcessor"}'},
    # nothing declares a processor
    {"tokenizer_config.json": '{"tokenizer_class": "BertTokenizer"}', "tokenizer.json": "{}"},
])
def test_nothing_to_say(tmp_path, files):
    assert _rl407(tmp_path, files, targets=("5.24", "4.57")) == []


# ------------------------------------------------------------------------------------------
# tokenizer
# ------------------------------------------------------------------------------------------

def test_no_tokenizer_and_no_config_is_an_error_on_5(tmp_path):
    found = _rl407(tmp_path, {"preprocessor_config.json": CLIP_PRE})
    assert [(d.location.file, d.location.line, d.severity.value) for d in found] == [("preprocessor_config.json", 3, "error")]
    assert "a tokenizer" in found[0].message and "TokenizersBackend" in found[0].message
    assert "Couldn't instantiate the backend tokenizer" in found[0].message


@pytest.mark.parametrize("config", ['{"model_type": "vit"}', '{"model_type": "no-such-type"}'])
def test_no_tokenizer_of_the_model_type_is_an_error(tmp_path, config):
    found = _rl407(tmp_path, {"preprocessor_config.json": CLIP_PRE, "config.json": config})
    assert [d.severity.value for d in found] == ["error"]


def test_model_type_tokenizer_from_nothing_is_a_warning(tmp_path):
    found = _rl407(tmp_path, {"preprocessor_config.json": CLIP_PRE, "config.json": '{"model_type": "clip"}'})
    assert [d.severity.value for d in found] == ["warning"]
    assert "CLIPTokenizer" in found[0].message and "from no vocabulary" in found[0].message


@pytest.mark.parametrize("extra", [
    {"config.json": '{"model_type": "canine"}'},  # CanineTokenizer needs no vocabulary file
    {"config.json": '{"model_type": "clip", "tokenizer_class": "X"}'},
    {"config.json": '{"model_type": "x", "auto_map": {"AutoConfig": "c.C"}}'},
    {"config.json": "not json"},
    {"tokenizer_config.json": '{"tokenizer_class": "CLIPTokenizer"}'},  # RL405's
    {"vocab.json": "{}", "merges.txt": ""},
    {"special_tokens_map.json": "{}"},
])
def test_tokenizer_quiet(tmp_path, extra):
    assert _rl407(tmp_path, {"preprocessor_config.json": CLIP_PRE, **extra}) == []


def test_no_tokenizer_on_4_is_a_warning(tmp_path):
    found = _rl407(tmp_path, {"preprocessor_config.json": CLIP_PRE}, targets=("4.57",))
    assert [d.severity.value for d in found] == ["warning"]
    assert "transformers 4.57" in found[0].message


# ------------------------------------------------------------------------------------------
# the data
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", shipped_versions())
def test_every_snapshot_knows_the_parts(version):
    k = Knowledge(version, version)
    assert k.processor_parts("WhisperProcessor") == ("feature_extractor", "tokenizer")
    assert k.processor_parts("CLIPProcessor") == ("image_processor", "tokenizer")
    assert k.processor_parts("NoSuchProcessor") is None
    described = set(k.data["processor_parts"])
    assert described <= k.classes("processor")
    assert len(described) >= 0.9 * len(k.classes("processor")), version
    if k.major >= 5:
        assert "video_processor" in k.processor_parts("Qwen2VLProcessor")


def test_shipped_data_matches_the_installed_release():
    transformers = pytest.importorskip("transformers")
    version = transformers.__version__
    if version not in shipped_versions():
        pytest.skip(f"no shipped snapshot for transformers {version}")
    shipped = json.loads((ROOT / "schemas" / f"transformers-{version}.json").read_text(encoding="utf-8"))
    sys.path.insert(0, str(ROOT / "scripts"))
    from configsync import processor_parts

    assert processor_parts.build(shipped["classes"]["processor"]) == shipped["processor_parts"], (
        f"stale: run `python scripts/sync_transformers.py --out schemas/ --only-processor-parts` with transformers {version}")
