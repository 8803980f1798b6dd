"""RL702 agreement: `config.<attr>` read through a parameter annotated with the repo's own options
class (a dataclass, not a transformers config: OLMo/Molmo-style code found in the real-world corpus,
see scripts/realworld/) is not a read of the model config. A synthetic repo written here, built with
AutoModel.from_config on the meta device by every oracle (this interpreter, and .venv457 when
.ci/run built it): it loads, so repolint gives no RL702 error; the variant whose parameter is
annotated with the model config class, read for an attribute that config lacks, fails with
AttributeError and keeps its error."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import lint, oracle_pythons

ROOT = Path(__file__).resolve().parent.parent

CONFIG_PY = '''\
from transformers import PretrainedConfig


class XConfig(PretrainedConfig):
    model_type = "x-options"

    def __init__(self, hidden_size=8, **kwargs):
        self.hidden_size = hidden_size
        super().__init__(**kwargs)
'''
MODELING_PY = '''\
from dataclasses import dataclass

from torch import nn
from transformers import PreTrainedModel

from .configuration_x import XConfig


@dataclass
class Options:
    d_model: int


class Block(nn.Module):
    def __init__(self, config: {annotation}):
        super().__init__()
        self.proj = nn.Linear(config.d_model, config.d_model)


class XModel(PreTrainedModel):
    config_class = XConfig

    def __init__(self, config):
        super().__init__(config)
        self.block = Block({argument})
        self.post_init()
'''
VARIANTS = {  # name -> (annotation, argument, transformers fails)
    "options-dataclass": ("Options", "Options(d_model=config.hidden_size)", False),
    "model-config": ("XConfig", "config", True),
}
CONFIG_JSON = {"model_type": "x-options", "hidden_size": 8,
               "auto_map": {"AutoConfig": "configuration_x.XConfig", "AutoModel": "modeling_x.XModel"}}


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("cfgann")
    for name, (annotation, argument, _) in VARIANTS.items():
        d = root / name
        d.mkdir()
        (d / "config.json").write_text(json.dumps(CONFIG_JSON, indent=2) + "\n")
        (d / "configuration_x.py").write_text(CONFIG_PY)
        (d / "modeling_x.py").write_text(MODELING_PY.format(annotation=annotation, argument=argument))
    return root


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("target", ["5.24", "4.57"])
def test_repolint_verdict(repos, name, target):
    errors = [d for d in lint(repos / name, targets=(target,)) if d.code == "RL702" and d.severity.value == "error"]
    if VARIANTS[name][2]:
        assert [(d.location.file, d.location.line) for d in errors] == [("modeling_x.py", 17)] * 2
    else:
        assert errors == []


def _oracles():
    local = ROOT / ".venv457" / "bin" / "python"
    return oracle_pythons([str(local)] if local.exists() else [])


@pytest.mark.parametrize("python,version", _oracles() or [pytest.param(None, None, marks=pytest.mark.skip("no oracle"))])
def test_transformers_agrees(repos, tmp_path, python, version):
    names = sorted(VARIANTS)
    jobs = [{"dir": str(repos / n), "loader": "AutoModel", "trust_remote_code": True, "from_config": True} for n in names]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(HF_HUB_OFFLINE="1", HF_MODULES_CACHE=str(tmp_path / "modules"))
    r = subprocess.run([python, str(ROOT / "tests" / "oracle.py")], input=json.dumps(jobs), capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    outcomes = dict(zip(names, json.loads(r.stdout.strip().splitlines()[-1])))
    for name in names:
        assert outcomes[name]["ok"] is not VARIANTS[name][2], (version, name, outcomes[name])
