"""Merge per-release surfaces into release ranges and write the shipped data file.

Format (``schemas/transformers-api.jsonl``, UTF-8, deterministic), read by ``repolint/api.py``:

* line 1, the header, one JSON object::

    {"format": 1, "releases": ["4.20.1", ..., "5.24.0"],       # oldest first
     "config_attrs": {SPAN: [attr, ...], ...},                  # PretrainedConfig() attributes
     "generation_params_popped": {SPAN: [name, ...], ...},
     "lazy_fast_suffixes": {SPAN: [suffix, ...], ...},          # _LazyModule "<X>Fast" -> "<X>"
     "lazy_any_names": {SPAN: [name, ...], ...},                # names every lazy module answers
     "index": {module: [offset, length], ...}}                  # byte range of its line after the header

* then one line per module, sorted by name::

    {"m": "transformers.foo", "s": SPAN, "lazy": SPAN, "open": SPAN, "n": {SPAN: [name, ...]}}

  ``s``: releases that have the module; ``lazy`` / ``open`` (omitted when empty): releases where it
  is a ``_LazyModule`` / has a module-level ``__getattr__``; ``n``: its names grouped by the
  releases that have them.

A SPAN is a string of inclusive index ranges into ``releases``: ``"0-37"``, ``"12"``,
``"0-20,24-62"``.  Grouping names by span keeps the file small: most names share a few spans.
"""

from __future__ import annotations

import json
from collections import defaultdict

FORMAT = 1


def span_of(indices) -> str:
    idx = sorted(set(indices))
    parts: list[str] = []
    start = prev = None
    for i in idx:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = i
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def grouped(per_release: list[set[str]]) -> dict[str, list[str]]:
    """[names of release 0, names of release 1, ...] -> {span: sorted names}."""
    where: dict[str, list[int]] = defaultdict(list)
    for i, names in enumerate(per_release):
        for n in names:
            where[n].append(i)
    out: dict[str, list[str]] = defaultdict(list)
    for n, idx in where.items():
        out[span_of(idx)].append(n)
    return {s: sorted(v) for s, v in sorted(out.items())}


def _dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode(releases: list[str], surfaces: list, config: list[tuple[set[str], set[str]]]) -> bytes:
    """surfaces[i]: ReleaseSurface of releases[i]; config[i]: (config_attrs, generation_params_popped)."""
    modules = sorted(set().union(*(s.modules for s in surfaces)))
    lines: list[bytes] = []
    index: dict[str, list[int]] = {}
    offset = 0
    for m in modules:
        have = [i for i, s in enumerate(surfaces) if m in s.modules]
        rec = {"m": m, "s": span_of(have),
               "n": grouped([s.modules[m].names if m in s.modules else set() for s in surfaces])}
        lazy = [i for i in have if surfaces[i].modules[m].lazy]
        opened = [i for i in have if surfaces[i].modules[m].open]
        if lazy:
            rec["lazy"] = span_of(lazy)
        if opened:
            rec["open"] = span_of(opened)
        line = (_dumps(rec) + "\n").encode("utf-8")
        index[m] = [offset, len(line)]
        offset += len(line)
        lines.append(line)
    header = {
        "format": FORMAT,
        "releases": list(releases),
        "config_attrs": grouped([c[0] for c in config]),
        "generation_params_popped": grouped([c[1] for c in config]),
        "lazy_fast_suffixes": grouped([set(s.lazy_fast_suffixes) for s in surfaces]),
        "lazy_any_names": grouped([s.lazy_any_names for s in surfaces]),
        "index": index,
    }
    return (_dumps(header) + "\n").encode("utf-8") + b"".join(lines)
