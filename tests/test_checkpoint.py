"""The shipped checkpoint-key data (schemas/transformers-weights.json) and its readers, without
transformers: coverage of the snapshot's classes, every class loading its own keys, the
base_model_prefix and rename logic on hand-made names, and lazy loading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import lint, write_repo
from repolint.keymatch import natural_key, predict
from repolint.knowledge import schemas_dir
from repolint.weightsdata import (
    class_names,
    data_versions,
    expected_keys,
    fill,
    generalise,
    skipped,
)

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = data_versions()


@dataclass
class T:
    shape: tuple = ()


def own_keys(expected, config=None) -> dict:
    """The keys of the class under ``config`` (defaults when empty), one instance per loose template."""
    exp = expected.expand(config or {})
    keys = {k: T() for k in exp.keys}
    for t in exp.loose.values():
        keys[fill(t.text, (0,) * t.text.count("{n}"))] = T()
    return keys


def test_data_covers_the_shipped_snapshots():
    assert VERSIONS, "schemas/transformers-weights.json is missing or empty"
    for version in VERSIONS:
        with open(os.path.join(schemas_dir(), f"transformers-{version}.json"), encoding="utf-8") as fh:
            snap = json.load(fh)
        mapped = {n for m in snap["model_mappings"].values() for v in m.values() for n in (v if isinstance(v, list) else [v])}
        recorded, left = set(class_names(version)), set(skipped(version))
        assert recorded | left == mapped, version
        assert not recorded & left
        assert len(recorded) >= 0.9 * len(mapped), (version, len(recorded), len(mapped))


def small_config(expected) -> dict:
    """A config.json setting every linked count and dimension to 2 (few keys, every template)."""
    cfg: dict = {}
    for path, link in expected.links.items():
        head, _, attr = path.rpartition(".")
        owner = cfg.setdefault(head, {"model_type": link.sub_type}) if head else cfg
        owner[attr] = 2
    return cfg


@pytest.mark.parametrize("version", VERSIONS)
def test_every_class_loads_its_own_keys(version):
    """Fed its own state-dict names, each class has nothing missing or unused."""
    bad = []
    for name in class_names(version):
        expected = expected_keys(version, name)
        cfg = small_config(expected)
        pred = predict(expected, cfg, own_keys(expected, cfg))
        if pred.unknown:
            continue
        if pred.missing or pred.missing_loose or pred.unexpected or pred.gaps:
            bad.append((name, pred.missing[:2], pred.missing_loose[:2], pred.unexpected[:2]))
    assert bad == [], bad[:10]


def test_generalise_and_fill():
    assert generalise("model.layers.12.mlp.experts.3.w") == ("model.layers.{n}.mlp.experts.{n}.w", (12, 3))
    assert fill("model.layers.{n}.mlp.experts.{n}.w", (12, 3)) == "model.layers.12.mlp.experts.3.w"
    assert generalise("lm_head.weight") == ("lm_head.weight", ())
    assert sorted(["a.10.x", "a.9.x", "a.1.x"], key=natural_key) == ["a.1.x", "a.9.x", "a.10.x"]


def _llama(version):
    e = expected_keys(version, "LlamaForCausalLM")
    assert e is not None and e.base_model_prefix == "model"
    return e


CFG = {"num_hidden_layers": 2, "tie_word_embeddings": False}


@pytest.mark.parametrize("version", VERSIONS)
def test_base_checkpoint_into_head_class_gets_the_prefix(version):
    e = _llama(version)
    keys = {k.removeprefix("model."): T() for k in own_keys(e, CFG) if k != "lm_head.weight"}
    pred = predict(e, CFG, keys)
    assert pred.missing == ["lm_head.weight"] and pred.unexpected == []
    assert pred.loaded["layers.1.mlp.up_proj.weight"] == "model.layers.1.mlp.up_proj.weight"
    tied = predict(e, {**CFG, "tie_word_embeddings": True}, keys)
    assert tied.missing == []  # lm_head is tied to the embeddings


@pytest.mark.parametrize("version", VERSIONS)
def test_head_checkpoint_into_base_class_loses_the_prefix(version):
    base = expected_keys(version, "LlamaModel")
    keys = own_keys(_llama(version), CFG)
    pred = predict(base, CFG, keys)
    assert pred.missing == [] and pred.unexpected == ["lm_head.weight"]
    assert pred.loaded["model.norm.weight"] == "norm.weight"


@pytest.mark.parametrize("version", VERSIONS)
def test_layer_count_and_legacy_renames(version):
    e = _llama(version)
    keys = own_keys(e, {**CFG, "num_hidden_layers": 3})
    pred = predict(e, CFG, keys)
    [gap] = pred.gaps
    assert (gap.path, gap.value, gap.extra, gap.absent) == ("num_hidden_layers", 2, [2], [])
    assert len(gap.extra_keys) == len(pred.unexpected) == 9
    bert = expected_keys(version, "BertForMaskedLM")
    cfg = {"num_hidden_layers": 1}
    keys = {k.replace("LayerNorm.weight", "LayerNorm.gamma"): T() for k in own_keys(bert, cfg)}
    assert any(k.endswith("LayerNorm.gamma") for k in keys)
    assert predict(bert, cfg, keys).missing == []


def test_unknown_release_or_class_has_no_data():
    assert expected_keys("4.57", "LlamaForCausalLM") is None
    assert expected_keys(VERSIONS[-1], "NoSuchModelClass") is None


def test_data_is_read_only_for_repos_with_safetensors(tmp_path):
    """A repo without weights never loads the data (and a repo with weights does)."""
    probe = (
        "import sys; sys.path.insert(0, 'tests'); from pathlib import Path; from helpers import lint;"
        "import repolint.weightsdata as w; lint(Path(sys.argv[1])); print(w._data.cache_info().currsize)"
    )
    plain = write_repo(tmp_path / "plain", {"config.json": '{"model_type": "llama", "architectures": ["LlamaForCausalLM"]}'})
    from repolint.rules.checkpoint import GOOD

    weighted = write_repo(tmp_path / "weighted", GOOD)
    out = [subprocess.run([sys.executable, "-c", probe, str(p)], capture_output=True, text=True, cwd=ROOT, timeout=120)
           for p in (plain, weighted)]
    assert [o.stdout.strip() for o in out] == ["0", "1"], [o.stderr[-500:] for o in out]


def test_remote_code_class_is_not_predicted(tmp_path):
    from repolint.rules.checkpoint import CONFIG, GPT2_LIKE

    cfg = json.loads(CONFIG)
    cfg.pop("architectures")
    cfg["auto_map"] = {"AutoConfig": "configuration_x.XConfig", "AutoModel": "modeling_x.XModel"}
    root = write_repo(tmp_path / "r", {"config.json": json.dumps(cfg), "model.safetensors": GPT2_LIKE})
    assert [d for d in lint(root, select=["RL82"]) if d.code.startswith("RL82")] == []
