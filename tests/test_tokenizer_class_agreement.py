"""RL408 agreement: a tokenizer_config.json that names no tokenizer_class, beside vocabulary files
(the hand-made tokenizer of a real-world corpus folder, Giri530, written anew here). Each synthetic
variant is loaded with AutoTokenizer by every oracle (this interpreter: 5.x; .venv457 or
REPOLINT_ORACLE_PYTHONS: 4.57, 5.23). The repos are loaded by a relative path from their parent
folder, so that no part of the test's temporary path reaches transformers 4, which takes a model
type found in the repo's name for the repo's model type."""

from __future__ import annotations

import json

import pytest

from helpers import lint, local_oracle_pythons, run_oracle

VOCAB = {"<unk>": 0, "<pad>": 1, "h": 2, "e": 3, "l": 4, "o": 5, "he": 6, "ll": 7, "hell": 8, "hello": 9}
MERGES = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o")]
TOKENIZER_CONFIG = {"vocab_size": 32, "special_tokens": {"<pad>": 1, "<unk>": 0}}


def _tokenizer_json() -> str:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.BPE(vocab=VOCAB, merges=MERGES, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return tok.to_str()


BPE = {"vocab.json": json.dumps(VOCAB), "merges.txt": "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in MERGES)}
# name -> (files besides tokenizer_config.json, its extra keys, config.json or None,
#          {release major: (transformers fails, RL408 gives an error)})
VARIANTS = {
    "bpe-no-config": (BPE, {}, None, {5: (True, True), 4: (True, True)}),
    "wordpiece-no-config": ({"vocab.txt": "<unk>\n<pad>\nhello\n"}, {}, None, {5: (True, True), 4: (True, True)}),
    "bpe-with-class": (BPE, {"tokenizer_class": "GPT2Tokenizer"}, None, {5: (False, False), 4: (False, False)}),
    # 5.x builds a generic backend from tokenizer.json; 4.x still looks for the model type
    "bpe-tokenizer-json-no-config": ({**BPE, "tokenizer.json": None}, {}, None, {5: (False, False), 4: (True, True)}),
    "bpe-config-gpt2": (BPE, {}, {"model_type": "gpt2"}, {5: (False, False), 4: (False, False)}),
    "bpe-config-tokenizer-class": (BPE, {}, {"model_type": "vit", "tokenizer_class": "GPT2Tokenizer"},
                                   {5: (False, False), 4: (False, False)}),
    "bpe-config-vit": (BPE, {}, {"model_type": "vit"}, {5: (True, True), 4: (True, True)}),
    "bpe-config-vit-tokenizer-json": ({**BPE, "tokenizer.json": None}, {}, {"model_type": "vit"},
                                      {5: (False, False), 4: (True, True)}),
    # 4.x takes "gpt2" from the repo's name (a warning); 5.x does not
    "gpt2-bpe-no-config": (BPE, {}, None, {5: (True, True), 4: (False, False)}),
}


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("tokclass")
    for name, (files, keys, config, _) in VARIANTS.items():
        d = root / name
        d.mkdir()
        (d / "tokenizer_config.json").write_text(json.dumps({**TOKENIZER_CONFIG, **keys}, indent=2) + "\n")
        for file_name, text in files.items():
            (d / file_name).write_text(_tokenizer_json() if text is None else text)
        if config is not None:
            (d / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return root


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("target,major", [("5.24", 5), ("5.23", 5), ("4.57", 4)])
def test_repolint_verdict(repos, name, target, major):
    found = [d for d in lint(repos / name, targets=(target,)) if d.code == "RL408"]
    errors = [d for d in found if d.severity.value == "error"]
    assert bool(errors) is VARIANTS[name][3][major][1], [d.message for d in found]
    if name.startswith("gpt2") and major == 4:
        assert [d.severity.value for d in found] == ["warning"]


@pytest.mark.parametrize("python,version", local_oracle_pythons(modules=("transformers", "tokenizers"))
                         or [pytest.param(None, None, marks=pytest.mark.skip("no oracle"))])
def test_transformers_agrees(repos, python, version):
    major = int(version.split(".")[0])
    names = sorted(VARIANTS)
    jobs = [{"dir": n, "loader": "AutoTokenizer", "trust_remote_code": None} for n in names]
    outcomes = dict(zip(names, run_oracle(python, jobs, cwd=repos)))
    for name in names:
        fails, _ = VARIANTS[name][3][major]
        assert outcomes[name]["ok"] is not fails, (version, name, outcomes[name])
