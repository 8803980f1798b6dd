"""transformers 5's checkpoint key renames (``conversion_mapping.py``), as data.

``from_pretrained`` asks ``get_model_conversion_mapping(model)`` for an ordered list of
``WeightTransform``s: per model type or class name (scoped to a sub-model's prefix when it
belongs to one), then the ``legacy`` renames (``LayerNorm.gamma`` -> ``LayerNorm.weight``, ...).
Each checkpoint key goes through every ``WeightRenaming`` in order, then at most one
``WeightConverter``. A transform is recorded as::

    {"kind": "rename" | "convert" | "group" | "offset" | "pair", "regex": the compiled
     alternation transformers matches with, "sources": [...], "targets": [...],
     "scope": scope_prefix or None, "base": base_model_prefix or None, "offset": int}

``group`` (GroupWeightRename: later patterns apply only once the first one has matched),
``offset`` (an index shifted by ``offset``) and ``pair`` (LayerPairCollapse: ``layers.{2i}`` /
``layers.{2i+1}`` -> ``layers.{i}``) are the subclasses with their own ``rename_source_key``;
any other subclass that overrides it is recorded as ``opaque`` (repolint then does not predict
the load of that class).
"""

from __future__ import annotations


def _kind(t) -> str:
    from transformers import core_model_loading as cml

    own = type(t).rename_source_key
    if isinstance(t, cml.WeightConverter):
        return "convert" if own is cml.WeightTransform.rename_source_key else "opaque"
    if own is cml.WeightTransform.rename_source_key:
        return "rename"  # WeightRenaming, PrefixChange: the base implementation
    special = {"GroupWeightRename": "group", "Inkling2IndexOffsetWeightRename": "offset", "LayerPairCollapse": "pair"}
    for klass in type(t).__mro__:
        if klass.__name__ in special and klass.rename_source_key is own:
            return special[klass.__name__]
    return "opaque"


def transform_record(t) -> dict:
    rec = {
        "kind": _kind(t),
        "regex": t.compiled_sources.pattern,
        "sources": list(t.source_patterns),
        "targets": list(t.target_patterns),
        "scope": t.scope_prefix,
        "base": t.base_model_prefix,
    }
    if rec["kind"] == "offset":
        rec["offset"] = t.offset
    if rec["kind"] == "pair":
        rec["regex"] = type(t).pattern.pattern
    return rec


def conversion_records(model) -> list[dict]:
    """The renames from_pretrained applies to checkpoint keys for this model instance."""
    from transformers.conversion_mapping import get_model_conversion_mapping

    return [transform_record(t) for t in get_model_conversion_mapping(model, None, None)]
