"""Which checkpoint tensors ``from_pretrained`` would load into a built-in class, and which of
the class's weights it would leave to random initialisation: transformers 5's key handling
(``core_model_loading.convert_and_load_state_dict_in_model`` and ``_finalize_model_loading``),
re-done on names only from the header tensor names and ``repolint.weightsdata``.

For each checkpoint key, in ``dot_natural_key`` order:
1. every renaming of the class's conversion mapping in turn, then at most one converter;
2. ``base_model_prefix``: a key that starts with the prefix and is expected without it loses
   it (a head checkpoint into a base class); a key expected with it gains it (a base
   checkpoint into a head class); a renamed key that is not expected while the original is
   goes back to the original;
3. an expected key is loaded (a converter loads all its targets), any other is unexpected.
Then tied pairs (when the governing ``tie_word_embeddings`` is on) take a missing side from the
present one, and the class's ignore patterns drop keys from both lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from repolint.weightsdata import ExpectedKeys, Expansion, Transform, generalise


@dataclass
class LayerGap:
    """A config attribute that sets how many times some weights repeat, against the checkpoint."""

    path: str  # e.g. "num_hidden_layers"
    value: int  # what the config says (or its default)
    present: list[int]  # indices the checkpoint holds
    absent: list[int]  # indices < value of which the checkpoint holds no weight at all
    extra: list[int]  # indices >= value the checkpoint holds (ignored by transformers)
    container: str  # the repeated part, e.g. "model.layers.{n}"
    absent_keys: list[str] = field(default_factory=list)  # missing keys of the absent indices
    extra_keys: list[str] = field(default_factory=list)  # unexpected keys of the extra indices


@dataclass
class LoadPrediction:
    class_name: str
    expected: int  # M: weights the class has (loose templates counted at their default size)
    missing: list[str]  # keys initialised randomly
    missing_loose: list[str]  # irregular templates with no instance in the checkpoint
    unexpected: list[str]  # checkpoint keys transformers ignores
    loaded: dict[str, str]  # checkpoint key -> model key
    mismatched: list[tuple[str, str, tuple, tuple]]  # (model key, checkpoint key, checkpoint shape, expected)
    gaps: list[LayerGap] = field(default_factory=list)
    # (target key, {source pattern: count}): per-expert lists of unequal length, which
    # transformers fails to merge (conversion error: RuntimeError after the load report)
    conversion_errors: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    exact: bool = True  # False when loose templates or unreadable config values are involved
    unknown: str | None = None  # why nothing could be predicted

    @property
    def missing_count(self) -> int:
        return len(self.missing) + self.loose_missing_count

    loose_missing_count: int = 0


def natural_key(s: str):
    out = []
    for part in s.split("."):
        if part.isdigit():
            out.append((0, int(part)))
        else:
            text = part.rstrip("0123456789")
            out.append((1, text, int(part[len(text):])) if text != part else (1, text))
    return out


@lru_cache(maxsize=512)
def _compile(regex: str):
    return re.compile(regex)


class _Renamer:
    """One transform; ``rename`` returns (new key, matched source index or None, replacement)."""

    def __init__(self, t: Transform):
        self.t = t
        self.rx = _compile(t.regex)
        self.active = False  # group renames: the guard pattern was seen

    def _scoped(self, key: str):
        t = self.t
        prefix = None
        rest = key
        if t.scope is not None:
            scope = f"{t.scope}." if t.scope != "" else ""
            base = f"{t.base}." if t.base else ""
            if key.startswith(base + scope):
                prefix = base + scope
            elif key.startswith(scope):
                prefix = scope
            else:
                return None
            rest = key[len(prefix):]
        m = self.rx.search(rest)
        return None if m is None else (prefix, rest, m)

    def rename(self, key: str):
        t = self.t
        if t.kind == "pair":
            m = self.rx.search(key)
            if m is None:
                return key, None, None
            index, name = int(m[1]), m[2]
            name = {"attn_alpha": "lambda_1", "mlp_alpha": "lambda_2"}.get(name, ("self_attn", "mlp")[index % 2])
            return key[: m.start()] + f"layers.{index // 2}.{name}" + key[m.end():], 0, None
        found = self._scoped(key)
        if found is None:
            return key, None, None
        prefix, rest, m = found
        group = next(name for name, val in m.groupdict().items() if val is not None)
        which = int(group[1:])
        start = self.rx.groupindex[group]
        if t.kind == "group":
            if which == 0:
                self.active = True
            elif not self.active:
                return key, None, None
            repl = re.sub(r"\\(\d+)", lambda g: m.group(start + int(g.group(1))), t.targets[which])
        elif t.kind == "offset":
            repl = t.targets[0].replace("\\1", str(int(m.group(start + 1)) + t.offset))
        else:
            repl = t.targets[0]
            if "\\1" in repl:
                repl = repl.replace("\\1", m.group(start + 1))
        new = rest.replace(m.group(0), repl, 1)
        return (prefix + new if prefix is not None else new), which, repl


def _prefix_fix(key: str, prefix: str, exp: Expansion) -> str:
    """from_pretrained's base_model_prefix step (its regex is unescaped; so is this one)."""
    if key.startswith(prefix):
        stripped = re.sub(f"^{prefix}.", "", key, count=1)
        if exp.contains(stripped):
            return stripped
    if exp.contains(f"{prefix}.{key}"):
        return f"{prefix}.{key}"
    return key


def predict(expected: ExpectedKeys, config: dict, tensors: dict) -> LoadPrediction:
    """``tensors``: checkpoint key -> TensorInfo (anything with a ``shape``)."""
    name = expected.class_name
    if any(t.kind == "opaque" for t in expected.transforms):
        return LoadPrediction(name, 0, [], [], [], {}, [], unknown="the class renames checkpoint keys in code repolint does not model")
    try:
        exp = expected.expand(config)
    except ValueError as exc:
        return LoadPrediction(name, 0, [], [], [], {}, [], unknown=str(exc))
    renamers = [_Renamer(t) for t in expected.transforms if t.kind != "convert"]
    converters = [_Renamer(t) for t in expected.transforms if t.kind == "convert"]
    prefix = expected.base_model_prefix
    loaded: dict[str, str] = {}
    targets_of: dict[str, list[str]] = {}
    unexpected: list[str] = []
    renamed: dict[str, str] = {}  # checkpoint key -> after the renamings (for the layer counts)
    merged: dict[str, tuple[Transform, dict[int, list[str]]]] = {}  # many-to-one converter target -> sources
    for key in sorted(tensors, key=natural_key):
        new = key
        for r in renamers:
            new, _, _ = r.rename(new)
        renamed[key] = new
        conv = None
        for r in converters:
            new, which, repl = r.rename(new)
            if which is not None:
                conv = (r.t, repl, which)
                break
        new = _prefix_fix(new, prefix, exp)
        if not exp.contains(new) and exp.contains(key):
            new, conv = _prefix_fix(key, prefix, exp), None
        if conv is not None:
            t, repl, which = conv
            outs = [new.replace(repl, tgt, 1) for tgt in t.targets] if repl and repl in new else [new]
        else:
            outs = [new]
        if exp.contains(new):
            loaded[key] = new
            targets_of[key] = outs
            if conv is not None and len(conv[0].sources) > 1:
                merged.setdefault(new, (conv[0], {}))[1].setdefault(which, []).append(key)
        else:
            unexpected.extend(outs)
    failed = _failed_merges(merged)
    present = {k for ck, outs in targets_of.items() if loaded[ck] not in failed for k in outs}
    missing = {k for k in exp.keys if k not in present}
    _tie(expected, config, exp, missing)
    missing = _drop(missing, expected.ignore_missing)
    unexpected = sorted(_drop(set(unexpected), expected.ignore_unexpected), key=natural_key)
    present_loose = {generalise(k)[0] for k in present}
    missing_loose = [t.text for t in exp.loose.values() if t.kind == "irregular" and t.text not in present_loose]
    loose_total = sum(t.default_count for t in exp.loose.values() if t.kind == "irregular")
    pred = LoadPrediction(
        class_name=name,
        expected=len(exp.keys) + loose_total,
        missing=sorted(missing, key=natural_key),
        missing_loose=sorted(missing_loose),
        unexpected=unexpected,
        loaded=loaded,
        mismatched=_mismatched(expected, config, tensors, loaded),
        exact=not exp.loose and not exp.unknown,
        loose_missing_count=sum(exp.loose[t].default_count for t in missing_loose),
    )
    pred.gaps = _gaps(expected, config, renamed, prefix, pred)
    pred.conversion_errors = sorted(failed.items())
    return pred


def _failed_merges(merged: dict) -> dict[str, dict[str, int]]:
    """Converter targets whose per-index source lists (``experts.*.gate_proj`` and
    ``experts.*.up_proj``) have different lengths: the merge raises in transformers."""
    out = {}
    for target, (t, by_source) in merged.items():
        counts = {t.sources[i]: len(keys) for i, keys in by_source.items() if "*" in t.sources[i]}
        if len(set(counts.values())) > 1:
            out[target] = counts
    return out


def _tie(expected: ExpectedKeys, config: dict, exp: Expansion, missing: set[str]) -> None:
    pairs = [(p.target, p.source) for p in expected.tied
             if expected.tie_enabled(p.flag, config) and p.target in exp.keys and p.source in exp.keys]
    for i, (target, source) in enumerate(pairs):
        src_there, tgt_there = source not in missing, target not in missing
        if src_there and tgt_there:
            continue
        if not src_there and tgt_there:
            target, source = source, target
        elif not src_there and not tgt_there:
            if not any(s == source and t not in missing for t, s in pairs[i + 1:]):
                continue
        missing.discard(target)


def _drop(keys: set[str], patterns: tuple[str, ...]) -> set[str]:
    if not patterns:
        return keys
    rx = _compile("|".join(f"({p})" for p in patterns))
    return {k for k in keys if rx.search(k) is None}


def _mismatched(expected: ExpectedKeys, config: dict, tensors: dict, loaded: dict) -> list:
    by_model = {v: k for k, v in loaded.items()}
    out = []
    for which in ("input", "output"):
        found = expected.dims(which, config)
        if found is None or found[0] not in by_model:
            continue
        key, dims = found
        ck = by_model[key]
        shape = tuple(tensors[ck].shape)
        if len(shape) == len(dims) and any(d is not None and d != s for d, s in zip(dims, shape)):
            if (key, ck, shape, dims) not in out:
                out.append((key, ck, shape, dims))
    return out


def _gaps(expected: ExpectedKeys, config: dict, renamed: dict, prefix: str, pred: LoadPrediction) -> list[LayerGap]:
    """Per linked count (num_hidden_layers, ...): the indices the checkpoint holds against the config's."""
    linked: dict[str, dict[str, int]] = {}  # path -> {template: slot position}
    for t in expected.templates:
        if t.kind == "regular":
            for j, s in enumerate(t.slots):
                if isinstance(s, str):
                    linked.setdefault(s, {})[t.text] = j
    if not linked:
        return []
    seen: dict[str, dict[int, list[str]]] = {p: {} for p in linked}
    example: dict[str, str] = {}
    for new in renamed.values():
        for cand in (new, f"{prefix}.{new}", new[len(prefix) + 1:] if new.startswith(prefix + ".") else None):
            if cand is None:
                continue
            t, idx = generalise(cand)
            hit = [(p, slots[t]) for p, slots in linked.items() if t in slots]
            for p, j in hit:
                seen[p].setdefault(idx[j], []).append(cand)
                example.setdefault(p, _container(t, j))
            if hit:
                break
    out = []
    unexpected = set(pred.unexpected)
    for path, by_index in seen.items():
        value = expected.link_value(path, config)
        if value is None or not by_index:
            continue
        absent = [i for i in range(value) if i not in by_index]
        extra = sorted(i for i in by_index if i >= value)
        if not (absent or extra):
            continue
        gone = set(absent)
        absent_keys = [k for k in pred.missing if _slot_index(k, linked[path]) in gone]
        extra_keys = [k for i in extra for k in by_index[i] if k in unexpected]
        out.append(LayerGap(path, value, sorted(by_index), absent, extra, example[path], absent_keys, extra_keys))
    return out


def _container(template: str, j: int) -> str:
    """The template up to its j-th index: ``model.layers.{n}``."""
    parts, seen = template.split("."), -1
    for i, part in enumerate(parts):
        if part == "{n}":
            seen += 1
            if seen == j:
                return ".".join(parts[: i + 1])
    return template


def _slot_index(key: str, slots: dict[str, int]) -> int | None:
    t, idx = generalise(key)
    return idx[slots[t]] if t in slots else None
