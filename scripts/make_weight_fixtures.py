#!/usr/bin/env python
"""Build weights fixtures with the real tools, and load them with the real transformers.

    python scripts/make_weight_fixtures.py OUT [--load]

OUT gets one folder per case: ``clean_sharded`` (a tiny Llama written by ``save_pretrained``
with ``max_shard_size`` into 5 shards + ``model.safetensors.index.json``), ``clean_single``,
``clean_bin`` (``torch.save`` of the state dict as ``pytorch_model.bin``), and one-defect
copies of them in ``CASES``. Shards are rewritten with ``safetensors.torch.save_file``; a
defect the safetensors library refuses to write (a corrupt header) is written byte by byte.

``--load`` also loads every case with ``AutoModelForCausalLM.from_pretrained(...,
output_loading_info=True)`` in this interpreter (HF_HUB_OFFLINE=1) and writes
``OUT/LOADS.json``: {case: {"ok", "error", "missing", "unexpected", "dtype"}}.

Needs transformers and torch (the test extra "oracle"); repolint itself never imports them.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARD_SIZE = "7KB"  # -> 5 shards for the tiny model below


def tiny(tie: bool = False, dtype=None):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=tie)
    model = LlamaForCausalLM(cfg)
    return model.to(dtype) if dtype is not None else model


def _rewrite(path: str, edit) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(path)
    edit(tensors)
    save_file(tensors, path, metadata={"format": "pt"})


def _raw(path: str, header: dict, data_len: int) -> None:
    h = json.dumps(header).encode()
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)) + h + b"\0" * data_len)


def _json(path: str, edit) -> None:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    edit(data)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)


KEY = "model.layers.0.mlp.down_proj.weight"


def _shard_of(d: str, key: str = KEY) -> str:
    with open(os.path.join(d, "model.safetensors.index.json"), encoding="utf-8") as fh:
        return json.load(fh)["weight_map"][key]


def _other_shard(d: str) -> str:
    with open(os.path.join(d, "model.safetensors.index.json"), encoding="utf-8") as fh:
        shards = sorted(set(json.load(fh)["weight_map"].values()))
    return next(s for s in shards if s != _shard_of(d))


def _corrupt(header: dict, data_len: int):
    return lambda d: _raw(os.path.join(d, "model.safetensors"), header, data_len)


def _huge_header(d: str) -> None:
    with open(os.path.join(d, "model.safetensors"), "wb") as fh:
        fh.write(struct.pack("<Q", 10**9) + b"{}")


def _bytes_header(d: str) -> None:
    with open(os.path.join(d, "model.safetensors"), "wb") as fh:
        fh.write(struct.pack("<Q", 5) + b"{abc}")


def _config_dtype(value):
    def edit(d):
        _json(os.path.join(d, "config.json"), lambda c: c.update(dtype=value))
    return edit


F = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
# case -> (base, edit, the codes repolint must report at error level or at all: {code: severity})
CASES = {
    "missing_shard": ("clean_sharded", lambda d: os.remove(os.path.join(d, _other_shard(d))), {"RL804": "error"}),
    "tensor_not_in_shard": ("clean_sharded", lambda d: _rewrite(os.path.join(d, _shard_of(d)), lambda t: t.pop(KEY)), {"RL805": "error"}),
    "tensor_in_two_shards": ("clean_sharded", lambda d: _rewrite(os.path.join(d, _other_shard(d)), lambda t: t.update({KEY: t[next(iter(t))].new_zeros((16, 32))})), {"RL807": "warning"}),
    "shard_not_in_index": ("clean_sharded", lambda d: shutil.copy(os.path.join(d, _shard_of(d)), os.path.join(d, "model-00009-of-00009.safetensors")), {"RL806": "warning"}),
    "tensor_not_in_index": ("clean_sharded", lambda d: _json(os.path.join(d, "model.safetensors.index.json"), lambda i: i["weight_map"].pop(KEY)), {"RL808": "info"}),
    "total_size": ("clean_sharded", lambda d: _json(os.path.join(d, "model.safetensors.index.json"), lambda i: i["metadata"].update(total_size=1)), {"RL809": "warning"}),
    "dtype_f32_over_bf16": ("clean_bf16", _config_dtype("float32"), {"RL810": "warning"}),
    "dtype_f16_over_bf16": ("clean_bf16", _config_dtype("float16"), {"RL810": "warning"}),
    "untied_without_head": ("clean_single", lambda d: _rewrite(os.path.join(d, "model.safetensors"), lambda t: t.pop("lm_head.weight")), {"RL811": "warning"}),
    "tied_with_head": ("clean_tied", lambda d: _rewrite(os.path.join(d, "model.safetensors"), lambda t: t.update({"lm_head.weight": t["model.embed_tokens.weight"] * 0 + 3})), {"RL811": "warning"}),
    "header_not_json": ("clean_single", _bytes_header, {"RL801": "error"}),
    "header_too_large": ("clean_single", _huge_header, {"RL801": "error"}),
    "unknown_dtype": ("clean_single", _corrupt({"a": {**F, "dtype": "F33"}}, 8), {"RL802": "error"}),
    "overlap": ("clean_single", _corrupt({"a": F, "b": {**F, "data_offsets": [4, 12]}}, 12), {"RL803": "error"}),
    "gap": ("clean_single", _corrupt({"a": F, "b": {**F, "shape": [1], "data_offsets": [12, 16]}}, 16), {"RL803": "error"}),
    "size_mismatch": ("clean_single", _corrupt({"a": {**F, "shape": [3]}}, 8), {"RL803": "error"}),
    "truncated": ("clean_single", _corrupt({"a": F}, 4), {"RL803": "error"}),
    "trailing_bytes": ("clean_single", _corrupt({"a": F}, 12), {"RL803": "error"}),
}


def build(out: str) -> None:
    import torch

    os.makedirs(out, exist_ok=True)
    bases = {
        "clean_sharded": lambda d: tiny().save_pretrained(d, max_shard_size=SHARD_SIZE),
        "clean_single": lambda d: tiny().save_pretrained(d),
        "clean_tied": lambda d: tiny(tie=True).save_pretrained(d),
        "clean_bf16": lambda d: tiny(dtype=torch.bfloat16).save_pretrained(d),
    }
    for name, make in bases.items():
        d = os.path.join(out, name)
        shutil.rmtree(d, ignore_errors=True)
        make(d)
    d = os.path.join(out, "clean_bin")
    shutil.rmtree(d, ignore_errors=True)
    model = tiny()
    model.config.save_pretrained(d)
    torch.save(model.state_dict(), os.path.join(d, "pytorch_model.bin"))
    for case, (base, edit, _codes) in CASES.items():
        d = os.path.join(out, case)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(os.path.join(out, base), d)
        edit(d)


def load_all(out: str) -> dict:
    import logging
    import warnings

    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    hf_logging.disable_progress_bar()
    results = {}
    for case in ["clean_sharded", "clean_single", "clean_tied", "clean_bf16", "clean_bin", *CASES]:
        try:
            model, info = AutoModelForCausalLM.from_pretrained(os.path.join(out, case), output_loading_info=True)
        except BaseException as exc:  # noqa: BLE001 - the outcome is the point
            results[case] = {"ok": False, "error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ''}"}
            continue
        results[case] = {
            "ok": True,
            "missing": sorted(info["missing_keys"]),
            "unexpected": sorted(info["unexpected_keys"]),
            "dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
            "tied": model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(),
        }
    with open(os.path.join(out, "LOADS.json"), "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1, sort_keys=True)
    return results


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    build(args[0])
    if "--load" in sys.argv:
        load_all(args[0])
