"""RL702 agreement: `config.<attr>` read through a parameter annotated with the repo's own options
class (a dataclass, not a transformers config: OLMo/Molmo-style code found in the real-world corpus,
see scripts/realworld/) is not a read of the model config. A synthetic repo written here, built with
AutoModel.from_config on the meta device by every oracle (this interpreter, and .venv457 when
.ci/run built it): it loads, so repolint gives no RL702 error; the variant whose parameter is
annotated with the model config class, read for an attribute that config lacks, fails with
AttributeError and keeps its error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import lint, local_oracle_pythons, run_oracle


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
        _write(root / name, CONFIG_PY, MODELING_PY.format(annotation=annotation, argument=argument))
    return root


def _write(d: Path, configuration: str, modeling: str) -> None:
    d.mkdir()
    (d / "config.json").write_text(json.dumps(CONFIG_JSON, indent=2) + "\n")
    (d / "configuration_x.py").write_text(configuration)
    (d / "modeling_x.py").write_text(modeling)


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("target", ["5.24", "4.57"])
def test_repolint_verdict(repos, name, target):
    errors = [d for d in lint(repos / name, targets=(target,)) if d.code == "RL702" and d.severity.value == "error"]
    if VARIANTS[name][2]:
        assert [(d.location.file, d.location.line) for d in errors] == [("modeling_x.py", 17)] * 2
    else:
        assert errors == []


@pytest.mark.parametrize("python,version", local_oracle_pythons() or [pytest.param(None, None, marks=pytest.mark.skip("no oracle"))])
def test_transformers_agrees(repos, tmp_path, python, version):
    outcomes = _build_all(python, repos, sorted(VARIANTS), tmp_path)
    for name in VARIANTS:
        assert outcomes[name]["ok"] is not VARIANTS[name][2], (version, name, outcomes[name])


def _build_all(python, root, names, tmp_path) -> dict:
    """name -> outcome of AutoModel.from_config (meta device) on each repo, with that interpreter."""
    jobs = [{"dir": str(root / n), "loader": "AutoModel", "trust_remote_code": True, "from_config": True} for n in names]
    return dict(zip(names, run_oracle(python, jobs, cwd=tmp_path)))


# -- what the repo's code hands a layer as `config` -------------------------------------------------
# Layers annotated with the model config class (or not annotated) that the model builds from another
# object: an options dataclass, directly or through a classmethod, a local, a layer that passes its
# own `config` on; a sub-config. Only the variants where the model config itself reaches the layer
# (alone, or besides the options; or through a table, whose callers repolint cannot list) fail.
FLOW_CONFIG_PY = CONFIG_PY.replace(
    "        self.hidden_size = hidden_size\n",
    "        self.hidden_size = hidden_size\n        self.block_config = PretrainedConfig(d_model=hidden_size)\n")
FLOW_PY = '''\
from dataclasses import dataclass

from torch import nn
from transformers import PreTrainedModel

from .configuration_x import XConfig


@dataclass
class Options:
    d_model: int


class Inner(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.proj = nn.Linear(config.d_model, config.d_model)


class Block(nn.Module):
    def __init__(self, config: XConfig):
        super().__init__()
        self.config = config
        self.inner = Inner(config)
        self.norm = nn.LayerNorm(self.config.d_model)

    @classmethod
    def build(cls, config: XConfig):
        return cls(config)


class XModel(PreTrainedModel):
    config_class = XConfig

    def __init__(self, config):
        super().__init__(config)
        {body}
        self.post_init()
'''
OPTIONS = "Options(d_model=config.hidden_size)"
FLOW_VARIANTS = {  # name -> (XModel.__init__ line, transformers fails)
    "options-through-classmethod": (f"self.block = Block.build({OPTIONS})", False),
    "options-in-a-local": (f"opts = {OPTIONS}\n        self.block = Block(opts)", False),
    "sub-config": ("self.block = Block(config.block_config)", False),
    "model-config": ("self.block = Block(config)", True),
    "options-and-model-config": (f"self.block = Block({OPTIONS})\n        self.other = Block.build(self.config)", True),
    "through-a-table": (f"self.block = Block({OPTIONS})\n        self.other = dict(block=Block)['block'](config)", True),
}


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def flow_repos(tmp_path_factory):
    root = tmp_path_factory.mktemp("cfgflow")
    for name, (body, _) in FLOW_VARIANTS.items():
        _write(root / name, FLOW_CONFIG_PY, FLOW_PY.format(body=body))
    return root


@pytest.mark.parametrize("name", sorted(FLOW_VARIANTS))
@pytest.mark.parametrize("target", ["5.24", "4.57"])
def test_flow_verdict(flow_repos, name, target):
    errors = [d for d in lint(flow_repos / name, targets=(target,)) if d.code == "RL702" and d.severity.value == "error"]
    if FLOW_VARIANTS[name][1]:
        text = FLOW_PY.format(body=FLOW_VARIANTS[name][0])
        expected = [_line(text, "nn.Linear(config.d_model")] * 2 + [_line(text, "nn.LayerNorm(self.config.d_model")]
        assert sorted(d.location.line for d in errors) == expected
    else:
        assert errors == []


@pytest.mark.parametrize("python,version", local_oracle_pythons() or [pytest.param(None, None, marks=pytest.mark.skip("no oracle"))])
def test_flow_transformers_agrees(flow_repos, tmp_path, python, version):
    names = sorted(FLOW_VARIANTS)
    outcomes = _build_all(python, flow_repos, names, tmp_path)
    for name in names:
        assert outcomes[name]["ok"] is not FLOW_VARIANTS[name][1], (version, name, outcomes[name])
        if not outcomes[name]["ok"]:
            assert outcomes[name]["error"].startswith("AttributeError"), (version, name, outcomes[name])
