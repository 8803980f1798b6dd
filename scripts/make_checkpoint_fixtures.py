#!/usr/bin/env python
"""Checkpoint-key fixtures (RL820-RL824), written and loaded by transformers itself.

    python scripts/make_checkpoint_fixtures.py --out DIR [--load]

Run it with a Python that has transformers 5.x and torch; the tests call it with the oracle
interpreter. Clean repos come from ``save_pretrained`` of tiny llama / bert / gpt2 models and of
a custom-code model (``register_for_auto_class``); each variant is a copy with one edit:
config.json rewritten (a Llama config over the custom-code checkpoint, another architectures
entry, another vocab_size / layer count) or the safetensors file re-saved with some tensors
dropped or renamed (``safetensors.torch.save_file``), including a Qwen3-MoE checkpoint (one tensor
per expert, merged by transformers' conversion mapping on load) with one expert tensor dropped.

``DIR/CASES.json``: {case: {"loader": Auto class, "trust_remote_code": bool}}. With ``--load``
each case is loaded with ``<loader>.from_pretrained(case, output_loading_info=True)`` in this
interpreter and ``DIR/LOADS.json`` gets {case: {"ok", "error", "missing", "unexpected",
"mismatched"}}. Nothing here is imported by repolint.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import textwrap
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_weight_fixtures import _json as _edit_json  # noqa: E402
from make_weight_fixtures import _rewrite as _edit_tensors  # noqa: E402

CUSTOM_CONFIG = '''
from transformers import PretrainedConfig


class TinyNetConfig(PretrainedConfig):
    model_type = "tiny-net"

    def __init__(self, vocab_size=40, width=8, depth=2, **kwargs):
        self.vocab_size = vocab_size
        self.width = width
        self.depth = depth
        super().__init__(**kwargs)
'''

CUSTOM_MODEL = '''
from torch import nn
from transformers import PreTrainedModel

from .configuration_tinynet import TinyNetConfig


class TinyNetForCausalLM(PreTrainedModel):
    config_class = TinyNetConfig
    base_model_prefix = "backbone"

    def __init__(self, config):
        super().__init__(config)
        self.backbone = nn.ModuleDict({
            "tok": nn.Embedding(config.vocab_size, config.width),
            "blocks": nn.ModuleList(nn.Linear(config.width, config.width) for _ in range(config.depth)),
        })
        self.out = nn.Linear(config.width, config.vocab_size, bias=False)
        self.post_init()

    def forward(self, input_ids):
        h = self.backbone["tok"](input_ids)
        for block in self.backbone["blocks"]:
            h = block(h)
        return self.out(h)
'''

LLAMA = dict(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=3, num_attention_heads=2,
             num_key_value_heads=2, tie_word_embeddings=False)

CASES = {  # case -> (Auto class to load it with, trust_remote_code)
    "llama_clean": ("AutoModelForCausalLM", False),
    "bert_clean": ("AutoModelForMaskedLM", False),
    "gpt2_clean": ("AutoModelForCausalLM", False),
    "custom_clean": ("AutoModelForCausalLM", True),
    "llama_config_over_custom": ("AutoModelForCausalLM", False),
    "wrong_architectures": ("AutoModelForSequenceClassification", False),
    "bert_other_head": ("AutoModelForSequenceClassification", False),
    "gpt2_base_into_head": ("AutoModelForCausalLM", False),
    "llama_base_into_head": ("AutoModelForCausalLM", False),
    "bert_legacy_layernorm_names": ("AutoModelForMaskedLM", False),
    "vocab_size_mismatch": ("AutoModelForCausalLM", False),
    "dropped_layer": ("AutoModelForCausalLM", False),
    "extra_layer": ("AutoModelForCausalLM", False),
    "llama_missing_norm": ("AutoModelForCausalLM", False),
    "moe_clean": ("AutoModelForCausalLM", False),
    "moe_expert_half_missing": ("AutoModelForCausalLM", False),
}


def _rename(tensors: dict, old: str, new: str) -> None:
    for k in [k for k in tensors if old in k]:
        tensors[k.replace(old, new)] = tensors.pop(k)


def _drop(tensors: dict, part: str) -> None:
    for k in [k for k in tensors if part in k]:
        del tensors[k]


def _save(model, out: str) -> None:
    model.save_pretrained(out)


def build_clean(out: str) -> None:
    import torch
    from transformers import (BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel, GPT2Model, LlamaConfig, LlamaForCausalLM,
                              LlamaModel, Qwen3MoeConfig, Qwen3MoeForCausalLM)

    torch.manual_seed(0)
    _save(LlamaForCausalLM(LlamaConfig(**LLAMA)), os.path.join(out, "llama_clean"))
    _save(LlamaModel(LlamaConfig(**LLAMA)), os.path.join(out, "llama_base_into_head"))
    bert = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                      max_position_embeddings=32)
    _save(BertForMaskedLM(bert), os.path.join(out, "bert_clean"))
    gpt2 = GPT2Config(vocab_size=50, n_embd=16, n_layer=2, n_head=2, n_positions=32)
    _save(GPT2LMHeadModel(gpt2), os.path.join(out, "gpt2_clean"))
    _save(GPT2Model(gpt2), os.path.join(out, "gpt2_base_into_head"))
    moe = Qwen3MoeConfig(vocab_size=64, hidden_size=16, intermediate_size=32, moe_intermediate_size=8, num_hidden_layers=2,
                         num_experts=4, num_experts_per_tok=2, num_attention_heads=2, num_key_value_heads=2, head_dim=8)
    _save(Qwen3MoeForCausalLM(moe), os.path.join(out, "moe_clean"))  # 5.x saves one tensor per expert
    build_custom(os.path.join(out, "custom_clean"))


def build_custom(dest: str) -> None:
    work = tempfile.mkdtemp(prefix="tinynet-")
    pkg = os.path.join(work, "tinynet_pkg")
    os.makedirs(pkg)
    for name, src in (("__init__.py", ""), ("configuration_tinynet.py", CUSTOM_CONFIG), ("modeling_tinynet.py", CUSTOM_MODEL)):
        with open(os.path.join(pkg, name), "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(src))
    sys.path.insert(0, work)
    from tinynet_pkg.configuration_tinynet import TinyNetConfig
    from tinynet_pkg.modeling_tinynet import TinyNetForCausalLM

    TinyNetConfig.register_for_auto_class()
    TinyNetForCausalLM.register_for_auto_class("AutoModelForCausalLM")
    _save(TinyNetForCausalLM(TinyNetConfig()), dest)


def _copy(out: str, src: str, dest: str) -> str:
    d = os.path.join(out, dest)
    shutil.copytree(os.path.join(out, src), d)
    return d


def build_variants(out: str) -> None:
    st = "model.safetensors"
    d = _copy(out, "custom_clean", "llama_config_over_custom")
    shutil.copy(os.path.join(out, "llama_clean", "config.json"), os.path.join(d, "config.json"))

    d = _copy(out, "llama_clean", "wrong_architectures")
    _edit_json(os.path.join(d, "config.json"), lambda c: c.update(architectures=["LlamaForSequenceClassification"]))

    d = _copy(out, "bert_clean", "bert_other_head")
    _edit_json(os.path.join(d, "config.json"), lambda c: c.update(architectures=["BertForSequenceClassification"]))

    _edit_json(os.path.join(out, "gpt2_base_into_head", "config.json"), lambda c: c.update(architectures=["GPT2LMHeadModel"]))
    _edit_json(os.path.join(out, "llama_base_into_head", "config.json"), lambda c: c.update(architectures=["LlamaForCausalLM"]))

    d = _copy(out, "bert_clean", "bert_legacy_layernorm_names")
    _edit_tensors(os.path.join(d, st), lambda t: (_rename(t, "LayerNorm.weight", "LayerNorm.gamma"),
                                                  _rename(t, "LayerNorm.bias", "LayerNorm.beta")))

    d = _copy(out, "llama_clean", "vocab_size_mismatch")
    _edit_json(os.path.join(d, "config.json"), lambda c: c.update(vocab_size=80))

    d = _copy(out, "llama_clean", "dropped_layer")
    _edit_tensors(os.path.join(d, st), lambda t: _drop(t, ".layers.2."))

    d = _copy(out, "llama_clean", "extra_layer")
    _edit_json(os.path.join(d, "config.json"), lambda c: c.update(num_hidden_layers=2))

    d = _copy(out, "moe_clean", "moe_expert_half_missing")
    _edit_tensors(os.path.join(d, st), lambda t: _drop(t, "model.layers.1.mlp.experts.3.up_proj.weight"))

    d = _copy(out, "llama_clean", "llama_missing_norm")
    _edit_tensors(os.path.join(d, st), lambda t: _drop(t, "model.norm.weight"))


def load(out: str) -> dict:
    import transformers

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    results = {}
    for case, (loader, trust) in CASES.items():
        kwargs = {"trust_remote_code": True} if trust else {}
        try:
            _, info = getattr(transformers, loader).from_pretrained(os.path.join(out, case), output_loading_info=True, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the outcome is the point
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            results[case] = {"ok": False, "error": f"{type(exc).__name__}: {first}"[:300]}
            continue
        results[case] = {
            "ok": True,
            "missing": sorted(info["missing_keys"]),
            "unexpected": sorted(info["unexpected_keys"]),
            "mismatched": sorted(str(m[0]) for m in info["mismatched_keys"]),
        }
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--load", action="store_true", help="also load every case and write LOADS.json")
    args = ap.parse_args(argv)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    build_clean(out)
    build_variants(out)
    with open(os.path.join(out, "CASES.json"), "w", encoding="utf-8") as fh:
        json.dump({c: {"loader": a, "trust_remote_code": t} for c, (a, t) in CASES.items()}, fh, indent=1)
    if args.load:
        with open(os.path.join(out, "LOADS.json"), "w", encoding="utf-8") as fh:
            json.dump(load(out), fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
