"""State-dict keys as templates: every all-digit path component becomes ``{n}``.

``model.layers.3.mlp.up_proj.weight`` -> (``model.layers.{n}.mlp.up_proj.weight``, (3,)).
A template's *instances* are the index tuples it takes. It is *regular* when the instances
are the product of one index set per slot (each a ``range(count)`` or a fixed set); Swin-like
nesting (a different number of blocks per stage) is not, and is kept as irregular.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repolint checkout

from repolint.weightsdata import SLOT, generalise  # noqa: E402,F401  (one definition for writer and reader)


def templates(keys) -> dict[str, set[tuple[int, ...]]]:
    out: dict[str, set[tuple[int, ...]]] = {}
    for k in keys:
        t, idx = generalise(k)
        out.setdefault(t, set()).add(idx)
    return out


def slot_sets(instances: set[tuple[int, ...]]) -> list[frozenset[int]] | None:
    """The per-slot index sets, if the instances are exactly their product; else None."""
    if not instances:
        return None
    n = len(next(iter(instances)))
    sets = [frozenset(t[j] for t in instances) for j in range(n)]
    size = 1
    for s in sets:
        size *= len(s)
    return sets if size == len(instances) else None


def is_range(s: frozenset[int]) -> bool:
    return s == frozenset(range(len(s)))


def slot_counts(instances: set[tuple[int, ...]]) -> list[int | None] | None:
    """``len(range)`` per slot (None where the slot's set is not a range), or None if irregular."""
    sets = slot_sets(instances)
    if sets is None:
        return None
    return [len(s) if is_range(s) else None for s in sets]
