"""Instantiate one built-in model class on the meta device and record what it expects.

``probe_class(cls, config_class)`` builds ``cls(config_class())`` under ``torch.device("meta")``
(no memory is allocated for weights, so the defaults' full sizes cost nothing) and reads:

* the ``state_dict()`` keys (parameters and persistent buffers: what ``from_pretrained`` starts
  its ``missing_keys`` from), as templates with their index sets;
* which config attribute sets each template's repeat count: every candidate attribute (an int
  whose name says it counts layers / experts / blocks, or whose value equals a slot's count or a
  dimension of the input embeddings) is changed once (``v + 1``, else ``2 v``) in a freshly built
  config, the class is instantiated again, and a slot whose ``range(v)`` became ``range(v')`` is
  linked to it; a slot or template that changed any other way is marked irregular (repolint
  then only checks that some instance is present) and one that disappeared, conditional;
* the input / output embedding keys and which attributes give their shape;
* ``base_model_prefix``, the tied pairs (``get_expanded_tied_weights_keys`` of each sub-model,
  with its config's ``tie_word_embeddings`` forced on) and the config flag governing each,
  ``_keys_to_ignore_on_load_missing`` / ``_unexpected`` (plus the ``rotary_emb.inv_freq`` and
  ``position_ids`` patterns ``_adjust_missing_and_unexpected_keys`` adds), and the key renames;
* the sub-model structure (``parts``): each key belongs to its deepest ``PreTrainedModel``
  sub-module, so that a LlamaModel inside LlavaForConditionalGeneration shares its data with the
  stand-alone LlamaModel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from weightsync.templates import SLOT, generalise, is_range, slot_sets, templates
from weightsync.transforms import conversion_records

COUNTISH = re.compile(r"layer|depth|expert|block|stage|level|^num_|^n_|_num_|_count$")
MAX_PROBES = 12


@dataclass
class Observation:
    keys: dict[str, tuple[int, ...]]
    templates: dict[str, set[tuple[int, ...]]]
    embed: dict[str, str]  # "input" / "output" -> state-dict key


@dataclass
class ClassRecord:
    name: str
    model_type: str
    base_model_prefix: str
    keys: dict[str, tuple[int, ...]]
    specs: dict[str, list]  # template -> slot specs ("@path", count, [set], or ["?", n] / ["!", n])
    parts: list[tuple[str, str | None]]  # (module path, config path) of each sub-model, deepest first
    links: dict[str, dict]  # config path -> {"default", "aliases", "sub_default", "sub_type"}
    embed: dict[str, list]  # "input"/"output" -> [key, [dim spec, ...]]
    tied: list[list]  # [target, source, flag config path]
    tie_defaults: dict[str, bool]
    ignore_missing: list[str]
    ignore_unexpected: list[str]
    transforms: list[dict]
    probes: int = 0
    notes: list[str] = field(default_factory=list)


def value_at(cfg, path: str):
    obj = cfg
    for part in path.split("."):
        obj = getattr(obj, part, None)
    return obj


def _is_config(obj) -> bool:
    from transformers import PreTrainedConfig

    return isinstance(obj, PreTrainedConfig)


def int_attrs(cfg) -> dict[str, int]:
    """Integer attributes of the config and of its sub-configs (one level): path -> value."""
    out = {}
    for name, value in sorted(vars(cfg).items()):
        if name.startswith("_"):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            out[name] = value
        elif _is_config(value):
            for sub, v in sorted(vars(value).items()):
                if not sub.startswith("_") and isinstance(v, int) and not isinstance(v, bool):
                    out[f"{name}.{sub}"] = v
    return out


def config_path(root_cfg, target) -> str | None:
    """The attribute path from the root config to ``target`` (by identity), "" for the root."""
    if target is root_cfg:
        return ""
    stack = [("", root_cfg, 0)]
    while stack:
        path, cfg, depth = stack.pop()
        for name, value in vars(cfg).items():
            if _is_config(value):
                p = f"{path}.{name}" if path else name
                if value is target:
                    return p
                if depth < 2:
                    stack.append((p, value, depth + 1))
    return None


def link_info(cfg0, path: str, default: int) -> dict:
    """What repolint needs to read a linked attribute from a config.json: the default, the
    ``attribute_map`` aliases config.json may use instead, and for a sub-config attribute the
    sub-config class's own default (used when config.json has the sub-config without the key)."""
    owner = cfg0 if "." not in path else value_at(cfg0, path.split(".", 1)[0])
    attr = path.rsplit(".", 1)[-1]
    amap = getattr(type(owner), "attribute_map", None) or {}
    info = {"default": default, "aliases": sorted(a for a, real in amap.items() if real == attr)}
    if "." in path:
        info["sub_type"] = getattr(owner, "model_type", None)
        try:
            info["sub_default"] = getattr(type(owner)(), attr)
        except Exception:  # noqa: BLE001 - a sub-config class that needs arguments
            info["sub_default"] = None
    return info


def perturbed_config(config_class, cfg0, path: str, value: int):
    if "." not in path:
        return config_class(**{path: value})
    sub, attr = path.split(".", 1)
    data = value_at(cfg0, sub).to_dict()
    data[attr] = value
    return config_class(**{sub: data})


def instantiate(cls, cfg):
    import torch

    with torch.device("meta"):
        return cls(cfg)


def _module_name(model, module) -> str | None:
    if module is None:
        return None
    for name, m in model.named_modules():
        if m is module:
            return name
    return None


def observe(model) -> Observation:
    keys = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    embed = {}
    for which, getter in (("input", "get_input_embeddings"), ("output", "get_output_embeddings")):
        try:
            mod = getattr(model, getter)()
        except Exception:  # noqa: BLE001 - NotImplementedError, AttributeError, ...
            mod = None
        name = _module_name(model, mod)
        if name is not None:
            key = f"{name}.weight" if name else "weight"
            if key in keys and len(keys[key]) == 2:
                embed[which] = key
    return Observation(keys, templates(keys), embed)


def _candidates(cfg0, obs: Observation) -> list[tuple[str, int]]:
    counts = set()
    for inst in obs.templates.values():
        sets = slot_sets(inst)
        for s in sets or ():
            if s and is_range(s):
                counts.add(len(s))
    dims = {d for key in obs.embed.values() for d in obs.keys[key]}
    scored = []
    for path, v in int_attrs(cfg0).items():
        name = path.rsplit(".", 1)[-1]
        if v <= 0:
            continue
        layerish = "layer" in name and v <= 4096
        if layerish or (v in counts and COUNTISH.search(name)) or v in dims:
            scored.append((0 if layerish else 1 if v in dims else 2, path, v))
    return [(p, v) for _, p, v in sorted(scored)[:MAX_PROBES]]


class Links:
    """What the probes taught: slot links, irregular slots, conditional templates, dims."""

    def __init__(self, obs: Observation):
        self.obs = obs
        self.slot: dict[tuple[str, int], str] = {}
        self.irregular: set[str] = set()
        self.conditional: set[str] = set()
        self.dims: dict[tuple[str, int], str] = {}
        self.bad_dims: set[tuple[str, int]] = set()
        self.values: dict[str, int] = {}

    def learn(self, path: str, old: int, new: int, obs1: Observation) -> None:
        for t, inst0 in self.obs.templates.items():
            inst1 = obs1.templates.get(t)
            if inst1 is None:
                self.conditional.add(t)
                continue
            if inst1 == inst0:
                continue
            s0, s1 = slot_sets(inst0), slot_sets(inst1)
            if s0 is None or s1 is None:
                self.irregular.add(t)
                continue
            for j, (a, b) in enumerate(zip(s0, s1)):
                if a == b:
                    continue
                if is_range(a) and len(a) == old and b == frozenset(range(new)) and (t, j) not in self.slot:
                    self.slot[(t, j)] = path
                    self.values[path] = old
                else:
                    self.irregular.add(t)
        for which, key in self.obs.embed.items():
            shape0, shape1 = self.obs.keys[key], obs1.keys.get(key)
            for i, d0 in enumerate(shape0):
                d1 = shape1[i] if shape1 is not None and len(shape1) == len(shape0) else None
                if d1 == d0:
                    continue
                if d0 == old and d1 == new and (key, i) not in self.dims:
                    self.dims[(key, i)] = path
                    self.values[path] = old
                else:
                    self.bad_dims.add((key, i))

    def specs(self) -> dict[str, list]:
        out = {}
        for t, inst in self.obs.templates.items():
            n = t.count(SLOT)
            if t in self.conditional:
                out[t] = ["!", len(inst)]
                continue
            sets = slot_sets(inst)
            if t in self.irregular or sets is None:
                out[t] = ["?", len(inst)] if n else []
                continue
            spec = []
            for j, s in enumerate(sets):
                if (t, j) in self.slot:
                    spec.append("@" + self.slot[(t, j)])
                elif is_range(s):
                    spec.append(len(s))
                else:
                    spec.append(sorted(s))
            out[t] = spec
        return out

    def embed_specs(self) -> dict[str, list]:
        out = {}
        for which, key in self.obs.embed.items():
            dims = []
            for i, d in enumerate(self.obs.keys[key]):
                if (key, i) in self.bad_dims:
                    dims.append(None)
                elif (key, i) in self.dims:
                    dims.append("@" + self.dims[(key, i)])
                else:
                    dims.append(d)
            out[which] = [key, dims]
        return out


def _parts(model) -> list[tuple[str, str | None]]:
    from transformers import PreTrainedModel

    out = []
    for name, mod in model.named_modules():
        if name and isinstance(mod, PreTrainedModel):
            out.append((name, config_path(model.config, mod.config)))
    return sorted(out, key=lambda p: -p[0].count("."))


def _tied(model) -> tuple[list[list], dict[str, bool]]:
    from transformers import PreTrainedModel

    pairs, defaults = [], {}
    for name, mod in model.named_modules():
        if not isinstance(mod, PreTrainedModel) or not getattr(mod, "_tied_weights_keys", None):
            continue
        flag = config_path(model.config, mod.config)
        cfg = mod.config
        had = "tie_word_embeddings" in vars(cfg)
        old = getattr(cfg, "tie_word_embeddings", False)
        try:
            cfg.tie_word_embeddings = True
            expanded = mod.get_expanded_tied_weights_keys(all_submodels=False)
        except Exception:  # noqa: BLE001 - a regex that matches nothing on this config
            expanded = {}
        finally:
            if had:
                cfg.tie_word_embeddings = old
            else:
                vars(cfg).pop("tie_word_embeddings", None)
        if flag is not None:
            defaults[flag] = bool(old)
        pre = f"{name}." if name else ""
        for target, source in sorted(expanded.items()):
            pairs.append([pre + target, pre + source, flag])
    return pairs, defaults


def _ignore_patterns(model) -> tuple[list[str], list[str]]:
    """The patterns ``_adjust_missing_and_unexpected_keys`` drops from the load report."""
    missing = set(model._keys_to_ignore_on_load_missing or ())
    unexpected = set(model._keys_to_ignore_on_load_unexpected or ())
    buffers = [b for b, _ in model.named_buffers()]
    if any(b.endswith("rotary_emb.inv_freq") for b in buffers):
        unexpected.add(r"rotary_emb\.inv_freq")
    if any(b.endswith("position_ids") for b in buffers):
        unexpected.add(r"(^|\.)position_ids$")
    return sorted(missing), sorted(unexpected)


def probe_class(cls, config_class, model_type: str) -> ClassRecord:
    cfg0 = config_class()
    model = instantiate(cls, cfg0)
    obs = observe(model)
    links = Links(obs)
    probes = 0
    notes = []
    for path, old in _candidates(cfg0, obs):
        for new in (old + 1, 2 * old):
            try:
                cfg1 = perturbed_config(config_class, cfg0, path, new)
                if value_at(cfg1, path) != new:
                    continue
                obs1 = observe(instantiate(cls, cfg1))
            except Exception:  # noqa: BLE001 - a value the config or the model refuses
                continue
            probes += 1
            links.learn(path, old, new, obs1)
            break
        else:
            notes.append(f"probe {path} failed")
    tied, tie_defaults = _tied(model)
    ignore_missing, ignore_unexpected = _ignore_patterns(model)
    return ClassRecord(
        name=cls.__name__,
        model_type=model_type,
        base_model_prefix=model.base_model_prefix or "",
        keys=obs.keys,
        specs=links.specs(),
        parts=_parts(model),
        links={p: link_info(cfg0, p, v) for p, v in sorted(links.values.items())},
        embed=links.embed_specs(),
        tied=tied,
        tie_defaults=tie_defaults,
        ignore_missing=ignore_missing,
        ignore_unexpected=ignore_unexpected,
        transforms=conversion_records(model),
        probes=probes,
        notes=notes,
    )


def check_generalise(record: ClassRecord) -> None:
    """Sanity: every key is an instance of one recorded template."""
    for k in record.keys:
        t, _ = generalise(k)
        assert t in record.specs, (record.name, k)
