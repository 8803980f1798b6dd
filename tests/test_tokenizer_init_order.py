"""RL612 agreement: a custom slow tokenizer that sets what get_vocab() reads only after calling
the base __init__ (the order of many chatglm / Baichuan / Qwen tokenizers found in the real-world
corpus, see scripts/realworld/). Synthetic repos written here, loaded with every oracle
(this interpreter, and .venv457 when .ci/run built it) through AutoTokenizer with remote code."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import lint, oracle_pythons

ROOT = Path(__file__).resolve().parent.parent

TOKENIZER = '''\
from transformers import PreTrainedTokenizer


class XTokenizer(PreTrainedTokenizer):
    vocab_files_names = {{}}

    def __init__(self, unk_token="<unk>", **kwargs):
{before}        super().__init__(unk_token=unk_token, **kwargs)
{after}
    @property
    def vocab_size(self):
        return len(self.table)

    def get_vocab(self):
        return dict(self.table)
{extra}
    def _tokenize(self, text):
        return list(text)

    def _convert_token_to_id(self, token):
        return self.table.get(token, 0)

    def _convert_id_to_token(self, index):
        return {{i: t for t, i in self.table.items()}}.get(index, "<unk>")
'''
TABLE = '        self.table = {"<unk>": 0, "a": 1, "b": 2}\n'
OVERRIDE = '''
    def _add_tokens(self, new_tokens, special_tokens=False):
        return 0

    def __len__(self):
        return len(self.table)
'''
VARIANTS = {  # name -> (tokenizer source, RL612 expected)
    "late": (TOKENIZER.format(before="", after=TABLE, extra=""), True),
    "early": (TOKENIZER.format(before=TABLE, after="", extra=""), False),
    "late-add-tokens-overridden": (TOKENIZER.format(before="", after=TABLE, extra=OVERRIDE), False),
}
CONFIG = {"auto_map": {"AutoTokenizer": ["tokenization_x.XTokenizer", None]}, "tokenizer_class": "XTokenizer"}


def _oracles():
    local = ROOT / ".venv457" / "bin" / "python"
    return oracle_pythons([str(local)] if local.exists() else [])


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("tokorder")
    for name, (source, _) in VARIANTS.items():
        (root / name).mkdir()
        (root / name / "tokenizer_config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
        (root / name / "tokenization_x.py").write_text(source)
    return root


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_repolint_verdict(repos, name):
    hits = [d for d in lint(repos / name) if d.code == "RL612"]
    if VARIANTS[name][1]:
        assert [(d.severity.value, d.location.file, d.location.line) for d in hits] == [("error", "tokenization_x.py", 9)]
        assert "self.table" in hits[0].message
    else:
        assert hits == []


@pytest.mark.parametrize("python,version", _oracles() or [pytest.param(None, None, marks=pytest.mark.skip("no oracle"))])
def test_transformers_agrees(repos, tmp_path, python, version):
    jobs = [{"dir": str(repos / n), "loader": "AutoTokenizer", "trust_remote_code": True} for n in sorted(VARIANTS)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(HF_HUB_OFFLINE="1", HF_MODULES_CACHE=str(tmp_path / "modules"))
    r = subprocess.run([python, str(ROOT / "tests" / "oracle.py")], input=json.dumps(jobs), capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    outcomes = dict(zip(sorted(VARIANTS), json.loads(r.stdout.strip().splitlines()[-1])))
    for name, (_, fails) in VARIANTS.items():
        assert outcomes[name]["ok"] is not fails, (version, name, outcomes[name])
