"""config.json keys that a config class cannot take: loading raises AttributeError.

A config class turns every config.json key its ``__init__`` does not consume into an attribute
(``setattr`` in ``PretrainedConfig.__init__`` / ``PreTrainedConfig.__post_init__``). When the
name is a property without a setter (``use_return_dict``, ``FalconConfig.head_dim``, ...), that
``setattr`` raises ``AttributeError`` and the load fails. Whether it does depends on the class's
whole MRO, its ``attribute_map`` (a key there is redirected before ``setattr``) and its
``__init__`` (a parameter of the same name consumes the key), so nothing here is read from
source: each candidate (a name that is a data descriptor on the class) is tried, by building the
class with ``from_dict({name: value})`` for two values (the value a default instance reports,
and None), and a key is recorded only when both fail because that assignment raised AttributeError.

Sub-configs are learnt the same way: for each key of a class's ``sub_configs``, an empty dict is
passed and the type of the attribute transformers built from it is recorded (the class used for
a dict without ``model_type``); a key whose ``sub_configs`` entry is ``AutoConfig`` is recorded
as choosing the class by the dict's ``model_type`` only when a dict naming another model type is
really built with that type's class. A nested dict that stays a dict is not recorded.

Result (``build``, written to ``schemas/config-read-only-<version>.json``): ``common`` keys
(rejected by most probed classes), ``classes`` (class name -> the further keys it rejects),
``exempt`` (class name -> the common keys it takes), ``unprobed`` (classes that cannot be built
from defaults or imported here -- e.g. timm-gated ones: nothing is claimed for them),
``sub_configs`` (class -> key -> class built for a dict without model_type, or None) and
``auto_sub_configs`` (class -> keys whose class the dict's model_type chooses).
"""

from __future__ import annotations

import collections
import contextlib
import inspect
import io
import logging
import warnings

_MISSING = object()


def _silenced():
    """transformers logs "Can't set ..." at error level before re-raising; keep the run quiet."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    stack.callback(logging.disable, previous)
    return stack


def _build(cls, values: dict):
    """(instance, None) or (None, exception)."""
    try:
        return cls.from_dict(dict(values)), None
    except Exception as e:  # noqa: BLE001 - any failure is an outcome to record
        return None, e


def _candidates(cls) -> list[str]:
    """Names that are data descriptors somewhere in the MRO (properties above all): setattr
    on an instance goes through them instead of the instance dict."""
    names = set()
    for klass in cls.__mro__:
        names.update(vars(klass))
    out = []
    for name in sorted(names):
        if name.startswith("__"):
            continue
        try:
            attr = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if hasattr(type(attr), "__set__"):
            out.append(name)
    return out


def _setattr_failed(err, name: str) -> bool:
    """The load failed because assigning ``name`` raised AttributeError ("property 'x' of 'C'
    object has no setter"), not for another reason. What propagates may be another exception
    with that AttributeError as its context: 4.x logs "Can't set x ... for {self}" before
    re-raising, and that repr can fail on a half-built config (ResNetConfig: KeyError
    '_out_features'; EsmConfig: no attribute 'esmfold_config') -- the load fails all the same."""
    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, AttributeError) and f"'{name}'" in str(err):
            return True
        err, seen = err.__context__, seen + 1
    return False


def rejected_keys(cls) -> list[str] | None:
    """The keys whose presence makes ``cls.from_dict`` raise AttributeError whatever the value
    (None when the class cannot be built from its defaults)."""
    base, err = _build(cls, {})
    if err is not None:
        return None
    found = []
    for name in _candidates(cls):
        try:
            current = getattr(base, name, None)
        except Exception:  # noqa: BLE001 - a property that fails to read
            current = None
        values = [current, None] if current is not None else [None, 1]
        if all(_setattr_failed(_build(cls, {name: v})[1], name) for v in values):
            found.append(name)
    return found


def _built_class(cls, key: str, sub: dict, base_cls):
    inst, err = _build(cls, {key: sub})
    built = getattr(inst, key, None) if err is None else None
    return type(built) if isinstance(built, base_cls) else None


def _declared_sub_configs(cls) -> dict:
    declared = getattr(cls, "sub_configs", None)
    if isinstance(declared, dict):
        return declared
    inst, err = _build(cls, {})  # 4.x backbone configs: a property of the instance
    declared = getattr(inst, "sub_configs", None) if err is None else None
    return declared if isinstance(declared, dict) else {}


AUTO_PROBES = ("llama", "bert", "gpt2")


def sub_config_classes(cls, base_cls, config_mapping):
    """key -> (class built for a dict without model_type or None, chosen by model_type?).

    "Chosen by model_type" is claimed only when a dict naming another model type really is
    built with that model type's class."""
    out = {}
    for key, declared_cls in sorted(_declared_sub_configs(cls).items()):
        default = _built_class(cls, key, {}, base_cls)
        auto = False
        if getattr(declared_cls, "__name__", "") == "AutoConfig":
            for mt in AUTO_PROBES:
                want = config_mapping[mt]
                if want is not default:
                    auto = _built_class(cls, key, {"model_type": mt}, base_cls) is want
                    break
        if default is not None or auto:
            out[key] = (default, auto)
    return out


def collect(config_classes: dict[str, type], base_cls, config_mapping) -> dict:
    """``config_classes``: model_type -> config class (CONFIG_MAPPING). Sub-config classes
    reached from them are probed too."""
    with _silenced():
        seen: dict[str, type] = {}
        queue = list(config_classes.values())
        keys: dict[str, list[str] | None] = {}
        subs: dict[str, dict[str, str | None]] = {}
        auto_subs: dict[str, list[str]] = {}
        while queue:
            cls = queue.pop(0)
            name = cls.__name__
            if name in seen:
                if seen[name] is not cls:
                    raise SystemExit(f"two config classes named {name}: {seen[name]} and {cls}")
                continue
            seen[name] = cls
            keys[name] = rejected_keys(cls)
            for key, (default, auto) in sub_config_classes(cls, base_cls, config_mapping).items():
                subs.setdefault(name, {})[key] = default.__name__ if default else None
                if auto:
                    auto_subs.setdefault(name, []).append(key)
                if default is not None:
                    queue.append(default)
    probed = {n: set(v) for n, v in keys.items() if v is not None}
    counts = collections.Counter(k for v in probed.values() for k in v)
    common = {k for k, c in counts.items() if 2 * c > len(probed)}
    return {
        "common": sorted(common),
        "classes": {n: sorted(v - common) for n, v in sorted(probed.items()) if v - common},
        "exempt": {n: sorted(common - v) for n, v in sorted(probed.items()) if common - v},
        "unprobed": sorted(n for n, v in keys.items() if v is None),
        "sub_configs": {n: subs[n] for n in sorted(subs)},
        "auto_sub_configs": {n: sorted(auto_subs[n]) for n in sorted(auto_subs)},
        "probed_classes": len(probed),
    }


def rejected(data: dict, cls_name: str) -> set[str]:
    """The keys ``cls_name`` rejects (empty for an unprobed class)."""
    if cls_name in data["unprobed"]:
        return set()
    common = set(data["common"]) - set(data["exempt"].get(cls_name, []))
    return common | set(data["classes"].get(cls_name, []))


def build(config_mapping_names: dict[str, str]) -> dict:
    """The data for the installed transformers: ``config_mapping_names`` is model_type ->
    config class name (the snapshot's); a class that cannot be imported is listed unprobed."""
    import transformers
    from transformers import configuration_utils as cu
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    base = getattr(cu, "PreTrainedConfig", None) or cu.PretrainedConfig
    classes, failed = {}, set()
    for mt, cls_name in sorted(config_mapping_names.items()):
        try:
            classes[mt] = CONFIG_MAPPING[mt]
        except Exception:  # noqa: BLE001 - e.g. a backend-gated config class
            failed.add(cls_name)
    data = collect(classes, base, CONFIG_MAPPING)
    data["unprobed"] = sorted(set(data["unprobed"]) | failed)
    pairs = sum(len(rejected(data, c)) for c in config_mapping_names.values())
    types = sum(1 for c in config_mapping_names.values() if data["classes"].get(c))
    return {
        "transformers_version": transformers.__version__,
        **data,
        "counts": {"model_type_keys": pairs, "model_types_with_own_keys": types},
    }
