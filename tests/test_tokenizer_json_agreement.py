"""RL409 agreement: tokenizer.json with a broken top level, loaded with AutoTokenizer.

Each variant edits one top-level key of a valid fixture's tokenizer.json (tests/fixtures/valid,
written by transformers 5's save_pretrained), sometimes with a tokenizer_config.json edit that
changes who reads the file (a slow-only class, an added_tokens_decoder). Every oracle (this
interpreter: 5.24; .venv457 or REPOLINT_ORACLE_PYTHONS: 4.57, 5.23) loads them all; an RL409 error
for that release must mean AutoTokenizer raises, and no RL409 finding at all that it loads.
A base fixture that does not load unmodified on a release (t5, whisper and llava need protobuf or
sentencepiece on 4.57) is left out for that release, with the reason in the assertion message.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import lint, local_oracle_pythons, run_oracle, target_of

VALID = Path(__file__).parent / "fixtures" / "valid"
DEL = object()
FULL_TOKEN = {"id": 5000, "content": "<zz>", "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True}
TRUNCATION = {"direction": "Right", "max_length": 512, "strategy": "LongestFirst", "stride": 0}
PADDING = {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": None, "pad_id": 0,
           "pad_type_id": 0, "pad_token": "[PAD]"}

# name -> (tokenizer.json edits, tokenizer_config.json edits); a text value replaces the whole file
EDITS = {
    "base": ({}, {}),
    "version-int": ({"version": 1}, {}),
    "version-list": ({"version": ["1.0"]}, {}),
    "version-typo": ({"version": "1.0x"}, {}),
    "version-null": ({"version": None}, {}),
    "version-deleted": ({"version": DEL}, {}),
    "unknown-key": ({"comment": "converted by hand"}, {}),
    "unknown-key-null": ({"extra": None}, {}),
    "model-deleted": ({"model": DEL}, {}),
    "model-empty": ({"model": {}}, {}),
    "model-list": ({"model": []}, {}),
    "model-null": ({"model": None}, {}),
    "model-bogus-type": ({"model": {"type": "Bogus"}}, {}),
    "normalizer-empty": ({"normalizer": {}}, {}),
    "normalizer-string": ({"normalizer": "NFC"}, {}),
    "normalizer-null": ({"normalizer": None}, {}),
    "pre-tokenizer-list": ({"pre_tokenizer": []}, {}),
    "pre-tokenizer-deleted": ({"pre_tokenizer": DEL}, {}),
    "post-processor-empty": ({"post_processor": {}}, {}),
    "post-processor-deleted": ({"post_processor": DEL}, {}),
    "decoder-int": ({"decoder": 1}, {}),
    "decoder-null": ({"decoder": None}, {}),
    "truncation-int": ({"truncation": 1}, {}),
    "truncation-empty": ({"truncation": {}}, {}),
    "truncation-complete": ({"truncation": TRUNCATION}, {}),
    "truncation-no-stride": ({"truncation": {k: v for k, v in TRUNCATION.items() if k != "stride"}}, {}),
    "padding-string": ({"padding": "max_length"}, {}),
    "padding-no-direction": ({"padding": {k: v for k, v in PADDING.items() if k != "direction"}}, {}),
    "padding-complete": ({"padding": PADDING}, {}),
    "added-tokens-deleted": ({"added_tokens": DEL}, {}),
    "added-tokens-string": ({"added_tokens": "x"}, {}),
    "added-tokens-null": ({"added_tokens": None}, {}),
    "added-tokens-empty-object": ({"added_tokens": {}}, {}),
    "added-tokens-item-int": ({"added_tokens": [1]}, {}),
    "added-tokens-item-no-id": ({"added_tokens": [{k: v for k, v in FULL_TOKEN.items() if k != "id"}]}, {}),
    "added-tokens-item-partial": ({"added_tokens": [{"id": 5000, "content": "<zz>"}]}, {}),
    "added-tokens-item-complete": ({"added_tokens": [FULL_TOKEN]}, {}),
    # with added_tokens_decoder, transformers no longer reads added_tokens itself
    "decoder-map-added-tokens-deleted": ({"added_tokens": DEL}, {"added_tokens_decoder": {}}),
    "decoder-map-added-tokens-string": ({"added_tokens": "x"}, {"added_tokens_decoder": {}}),
    # a slow-only class: only transformers' own added_tokens read touches tokenizer.json
    "slow-model-deleted": ({"model": DEL}, {"tokenizer_class": "CanineTokenizer"}),
    "slow-added-tokens-deleted": ({"added_tokens": DEL}, {"tokenizer_class": "CanineTokenizer"}),
    "slow-decoder-map-not-json": ('{"version": "1.0",', {"tokenizer_class": "CanineTokenizer", "added_tokens_decoder": {}}),
    "not-json": ('{\n  "version": "1.0",\n  "model": {\n', {}),
    "top-level-array": ("[]\n", {}),
}
BASES = ("bert", "gpt2", "llama", "mistral", "qwen2", "t5")
CASES = [(base, name) for base in BASES for name in EDITS
         # CanineTokenizer is overridden by the model type's own class for llama / mistral / qwen2 (5.x)
         if not (name.startswith("slow-") and base not in ("bert", "gpt2"))]


def _make(root: Path, base: str, name: str) -> Path:
    dest = root / f"{base}-{name}"
    shutil.copytree(VALID / base, dest)
    tj_edits, tc_edits = EDITS[name]
    if isinstance(tj_edits, str):
        (dest / "tokenizer.json").write_text(tj_edits, encoding="utf-8")
    elif tj_edits:
        data = json.loads((dest / "tokenizer.json").read_text(encoding="utf-8"))
        for key, value in tj_edits.items():
            if value is DEL:
                data.pop(key, None)
            else:
                data[key] = value
        (dest / "tokenizer.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if tc_edits:
        path = dest / "tokenizer_config.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data.update(tc_edits)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("tokjson")
    for base, name in CASES:
        _make(root, base, name)
    return root


def _verdict(repo: Path, target: str) -> tuple[list, list]:
    found = [d for d in lint(repo, targets=(target,)) if d.code == "RL409"]
    return [d for d in found if d.severity.value == "error"], found


@pytest.mark.parametrize("target", ["5.24", "4.57"])
@pytest.mark.parametrize("base", BASES)
def test_base_fixture_is_clean(repos, base, target):
    assert _verdict(repos / f"{base}-base", target)[1] == []


@pytest.mark.parametrize("name,marker", [("version-int", '"version": 1'), ("unknown-key", '"comment"'),
                                         ("model-empty", '"model": {}'), ("added-tokens-deleted", None),
                                         ("not-json", None)])
def test_finding_is_at_the_key(repos, name, marker):
    repo = repos / f"gpt2-{name}"
    lines = (repo / "tokenizer.json").read_text(encoding="utf-8").splitlines()
    # the key's line; a missing key: the object's first line; invalid JSON: where json stops (past the end)
    line = next(i for i, text in enumerate(lines, 1) if marker in text) if marker else (len(lines) + 1 if name == "not-json" else 1)
    errors, _ = _verdict(repo, "5.24")
    assert [(d.location.file, d.location.line) for d in errors] == [("tokenizer.json", line)], [d.message for d in errors]


def test_custom_tokenizer_class_gives_warnings(tmp_path):
    repo = shutil.copytree(VALID.parent / "custom" / "custom_tokenizer", tmp_path / "custom")
    data = json.loads((repo / "tokenizer.json").read_text(encoding="utf-8"))
    data["version"] = 1
    (repo / "tokenizer.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    errors, found = _verdict(repo, "5.24")
    assert errors == [] and [d.severity.value for d in found] == ["warning"], [d.message for d in found]


@pytest.mark.parametrize("python,version", local_oracle_pythons(modules=("transformers", "tokenizers"))
                         or [pytest.param(None, None, marks=pytest.mark.skip("no oracle"))])
def test_transformers_agrees(repos, python, version):
    target = target_of(version)
    names = [f"{base}-{name}" for base, name in CASES]
    jobs = [{"dir": str(repos / n), "loader": "AutoTokenizer", "trust_remote_code": None} for n in names]
    outcomes = dict(zip(names, run_oracle(python, jobs, cwd=repos)))
    skipped = {base: outcomes[f"{base}-base"]["error"] for base in BASES if not outcomes[f"{base}-base"]["ok"]}
    assert len(skipped) <= 2, f"too many bases fail unmodified on {version}: {skipped}"
    disagree, checked = [], 0
    for base, name in CASES:
        if base in skipped:
            continue  # does not load even unmodified on this release (reason in `skipped`)
        errors, found = _verdict(repos / f"{base}-{name}", target)
        outcome = outcomes[f"{base}-{name}"]
        checked += 1
        if errors and outcome["ok"]:
            disagree.append((base, name, "RL409 error, but it loads", [d.message for d in errors]))
        if not found and not outcome["ok"]:
            disagree.append((base, name, "no RL409 finding, but it fails", outcome["error"]))
    assert checked >= 150, (checked, skipped)
    assert not disagree, (version, skipped, disagree)
