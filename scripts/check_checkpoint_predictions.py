#!/usr/bin/env python
"""Check repolint's load predictions (repolint.keymatch) against transformers' own loading code on
many classes at once, outside the test suite (the suite's agreement test loads real files).

    nice python scripts/check_checkpoint_predictions.py [--limit N] [--model-type T ...]

Run it with a Python that has transformers 5.x and torch, and with the shipped data covering that
release. For every model type, the Auto mappings' base class and each head class of that type
(default config) exchange checkpoints: the "checkpoint" is one class's state dict as zero-stride
CPU tensors (no memory), loaded into the other class built on the meta device with transformers'
``_load_pretrained_model`` (renames, base_model_prefix, converters), then ``tie_weights`` and
``_adjust_missing_and_unexpected_keys`` as ``from_pretrained`` calls them. The missing and
unexpected keys transformers reports are compared with ``keymatch.predict`` on the same names.
Prints the agreement counts and the first disagreements.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["HF_DEACTIVATE_ASYNC_LOAD"] = "1"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from repolint.keymatch import predict  # noqa: E402
from repolint.weightsdata import class_names, expected_keys  # noqa: E402
from sync_weights import find_class, mapped_classes  # noqa: E402


def state(model) -> dict:
    import torch

    return {k: torch.zeros((), dtype=v.dtype).expand(v.shape) for k, v in model.state_dict().items()}


def transformers_load(model, checkpoint: dict) -> tuple[set, set]:
    from transformers.conversion_mapping import get_model_conversion_mapping
    from transformers.modeling_utils import LoadStateDictConfig

    cfg = LoadStateDictConfig(weight_mapping=get_model_conversion_mapping(model, None, None),
                              dtype_plan=model._get_dtype_plan(None))
    info, _ = type(model)._load_pretrained_model(model, dict(checkpoint), None, cfg)
    model.tie_weights(missing_keys=info.missing_keys, recompute_mapping=False)
    model._adjust_missing_and_unexpected_keys(info)
    return set(info.missing_keys), set(info.unexpected_keys)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, help="only the first N model types")
    ap.add_argument("--model-type", action="append", default=[])
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import torch
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    transformers.utils.logging.disable_progress_bar()

    version = transformers.__version__
    snap = json.loads((ROOT / "schemas" / f"transformers-{version}.json").read_text())
    base_of = snap["model_mappings"]["AutoModel"]
    recorded = set(class_names(version))
    by_type: dict[str, list[str]] = {}
    for name, mts in mapped_classes(snap).items():
        if name in recorded:
            by_type.setdefault(expected_keys(version, name).model_type, []).append(name)
    types = sorted(t for t in by_type if not args.model_type or t in args.model_type)[: args.limit]
    agree = disagree = unpredicted = failed = 0
    examples = []
    t0 = time.monotonic()
    for mt in types:
        base = base_of.get(mt)
        base = base[0] if isinstance(base, list) else base
        names = by_type[mt]
        pairs = [(n, n) for n in names]
        if base in names:
            pairs += [(base, h) for h in names if h != base] + [(h, base) for h in names if h != base]
        models = {}
        try:
            cfg = CONFIG_MAPPING[mt]()
            for n in names:
                with torch.device("meta"):
                    models[n] = find_class(n, [mt])(cfg)
        except Exception:  # noqa: BLE001
            failed += len(pairs)
            continue
        for src, dst in pairs:
            ckpt = state(models[src])
            try:
                with torch.device("meta"):
                    target = type(models[dst])(cfg)
                missing, unexpected = transformers_load(target, ckpt)
            except Exception as exc:  # noqa: BLE001
                failed += 1
                examples.append((mt, src, dst, f"transformers failed: {type(exc).__name__}: {str(exc)[:100]}"))
                continue
            pred = predict(expected_keys(version, dst), {}, ckpt)
            if pred.unknown:
                unpredicted += 1
                continue
            if set(pred.missing) == missing and set(pred.unexpected) == unexpected and not pred.missing_loose:
                agree += 1
            elif not pred.exact and set(pred.missing) <= missing and set(pred.unexpected) <= unexpected:
                agree += 1  # loose templates: repolint claims less, never more
            else:
                disagree += 1
                examples.append((mt, src, dst, sorted(set(pred.missing) ^ missing)[:3], sorted(set(pred.unexpected) ^ unexpected)[:3]))
    print(f"transformers {version}: {len(types)} model types, {agree} loads agree, {disagree} disagree, "
          f"{unpredicted} not predicted, {failed} not built/loaded, {time.monotonic() - t0:.0f}s")
    for e in examples[:40]:
        print("  ", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
