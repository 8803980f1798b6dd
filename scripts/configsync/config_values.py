"""config.json values that make a built-in model fail to build, learnt by building the models.

A config loads, then ``AutoModel*.from_config`` builds the modules from its values: a negative
size reaches ``torch.empty`` ("Trying to create tensor with negative dimension"), a zero one may
divide (ZeroDivisionError), a dropout probability outside [0, 1] reaches ``nn.Dropout``
("dropout probability has to be between 0 and 1"), an activation name is looked up in
``ACT2FN`` (KeyError). Which fields of which class do so is not read from source (a module may
guard a value, use functional dropout at call time, or never read a field): each model type's
default config is rebuilt from its dict with one value changed, and its model is built on the
meta device (with at most 2 layers a stack when that builds too) with weight initialisation off (``no_init_weights``: what ``from_pretrained``
does before loading a checkpoint). A (class, field, probe) is recorded only when the unchanged dict builds and the
changed one fails to build with every model class of the type (AutoModel's and each head's that
builds unchanged): a pooler or projection that only some classes build does not count.

Probes (``PROBES``): ``act`` an unknown activation name, ``act_type`` the int 1 in an
activation field; ``dropout`` 1.5 in a dropout probability; ``neg`` -1 and ``zero`` 0 in a
size field; on transformers 4 also ``str`` (the default as a string) and ``float`` (as a float)
in a size field (transformers 5 rejects those types at config load: rule RL102's data).

Result (``build``; stored under the key ``config_values`` of ``transformers-<version>.json``):
``act2fn`` (the keys of ``transformers.activations.ACT2FN``), ``classes`` (every probed config
class: the class of each model type whose default builds, and the classes of its sub-configs ->
``"field=probe:m,probe:m field=..."``, the probes that failed, ``m`` indexing ``messages``: what
was raised, shortened by ``short_message``). A failure while loading the config (not building the
model) is kept on transformers 4 only; on 5 it is a strict field type or validator (RL102/RL103).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
import warnings

UNKNOWN_ACTIVATION = "repolint-unknown-activation"
_DROPOUT = re.compile(r"dropout|pdrop|drop_prob")
_SIZE = re.compile(r"size|dim|heads|^d_|^n_|embd|inner|ffn|channels|vocab|kv|^dim$|intermediate")
_NOT_SIZE = re.compile(r"token|_id$|_ids$|index|seed|layers|labels|^n_positions$|position|window|max_|min_|num_labels")
_ACT_NAME = re.compile(r"act")
MAX_SUB_DEPTH = 2


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:160]


def _probes(name: str, value, act2fn: frozenset[str], major: int):
    """(probe, value) pairs for one field of a default config dict."""
    if isinstance(value, bool):
        return
    if isinstance(value, str) and (value in act2fn or (_ACT_NAME.search(name) and not name.endswith("_type"))):
        yield "act", UNKNOWN_ACTIVATION
        yield "act_type", 1
    elif isinstance(value, (int, float)) and _DROPOUT.search(name) and 0 <= value <= 1:
        yield "dropout", 1.5
    elif isinstance(value, int) and value >= 1 and _SIZE.search(name) and not _NOT_SIZE.search(name):
        yield "neg", -1
        yield "zero", 0
        if major < 5:
            yield "str", str(value)
            yield "float", float(value)


def _sub_dicts(cfg, base_cls, depth=0):
    """(path, sub-config object) of each nested config built from a dict (depth-limited)."""
    yield (), cfg
    if depth >= MAX_SUB_DEPTH:
        return
    for key in sorted(vars(cfg)):
        try:
            value = getattr(cfg, key, None)
        except Exception:  # noqa: BLE001 - e.g. a per-layer attribute that refuses global access
            continue
        if isinstance(value, base_cls):
            for path, sub in _sub_dicts(value, base_cls, depth + 1):
                yield (key, *path), sub


_LAYERS = re.compile(r"^(num_hidden_layers|num_layers|n_layer|n_layers|encoder_layers|decoder_layers|num_decoder_layers)$")


def _fewer_layers(d: dict) -> dict:
    """The default dict with at most 2 layers in each stack (top level and sub-configs)."""
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            value = _fewer_layers(value)
        elif isinstance(key, str) and _LAYERS.match(key) and isinstance(value, int) and not isinstance(value, bool) and value > 2:
            value = 2
        out[key] = value
    return out


def _set(d: dict, path: tuple, key: str, value) -> dict:
    import copy

    out = copy.deepcopy(d)
    node = out
    for p in path:
        node = node[p]
    node[key] = value
    return out


def _model_classes(transformers, mt: str) -> list:
    """Every model class an Auto mapping gives for ``mt``, AutoModel's first."""
    from transformers.models.auto import modeling_auto

    names = [n for n in dir(modeling_auto) if n.startswith("MODEL") and n.endswith("_MAPPING_NAMES")]
    names.sort(key=lambda n: (n != "MODEL_MAPPING_NAMES", n))
    out = []
    for n in names:
        value = getattr(modeling_auto, n).get(mt)
        for name in value if isinstance(value, (list, tuple)) else [value]:
            cls = getattr(transformers, name, None) if isinstance(name, str) else None
            if cls is not None and cls not in out:
                out.append(cls)
    return out


def _no_init_weights():
    """Weights are not initialised: a checkpoint's tensors replace them, and a failure there
    (a negative ``initializer_range``, ``normal_`` with std 0 ** -0.5) is not a build failure
    of every load."""
    try:
        from transformers.initialization import no_init_weights
    except ImportError:
        from transformers.modeling_utils import no_init_weights
    return no_init_weights()


class _TooBig(Exception):
    """The build ran out of the memory the probe allows: no verdict."""


def _out_of_memory(e: BaseException) -> bool:
    return isinstance(e, MemoryError) or "can't allocate memory" in str(e) or "not enough memory" in str(e)


def _try(config_cls, model_cls, d: dict):
    """None when it builds, else (stage, message); _TooBig when it ran out of memory."""
    import torch

    try:
        cfg = config_cls.from_dict(d)
    except Exception as e:  # noqa: BLE001 - the outcome is the point
        return "config", _first_line(e)
    try:
        with torch.device("meta"), _no_init_weights():
            model_cls(cfg)
    except Exception as e:  # noqa: BLE001
        if _out_of_memory(e):
            raise _TooBig() from None
        return "model", _first_line(e)
    return None


def _try_all(config_cls, model_cls, heads, d: dict):
    """A failure only when every class of the model type fails: a part that only some classes
    build (AutoModel's pooler or projection, a head's classifier) does not fail every load."""
    outcome = _try(config_cls, model_cls, d)
    if outcome is None or outcome[0] == "config":
        return outcome
    for cls in heads:
        if _try(config_cls, cls, d) is None:
            return None
    return outcome


def probe_model_type(transformers, mt: str, config_cls, base_cls, act2fn, major, done: set):
    """class -> field -> probe -> [stage, message] for one model type (None: cannot be probed)."""
    classes = _model_classes(transformers, mt)
    if not classes:
        return None
    model_cls = classes[0]
    try:
        default = config_cls()
        d = default.to_dict()
    except Exception:  # noqa: BLE001
        return None
    if _try(config_cls, model_cls, d) is not None:
        return None
    fewer = _fewer_layers(d)
    if fewer != d and _try(config_cls, model_cls, fewer) is None:
        d = fewer  # the same modules, built faster
    heads = []
    for cls in classes[1:]:
        with contextlib.suppress(_TooBig):
            if _try(config_cls, cls, d) is None:
                heads.append(cls)
    fails: dict = {}
    probed = []
    for path, sub in _sub_dicts(default, base_cls):
        name = type(sub).__name__
        node = d
        for p in path:
            node = node.get(p) if isinstance(node, dict) else None
        if name in done or not isinstance(node, dict):
            continue
        done.add(name)
        probed.append(name)
        for key, value in sorted(node.items()):
            for probe, bad in _probes(key, value, act2fn, major):
                try:
                    outcome = _try_all(config_cls, model_cls, heads, _set(d, path, key, bad))
                except _TooBig:
                    continue
                if outcome is not None:
                    fails.setdefault(name, {}).setdefault(key, {})[probe] = list(outcome)
    return probed, fails


MEMORY_LIMIT = 4 << 30


def _limit_memory() -> None:
    """A model that allocates real tensors in ``__init__`` (a default sized for a large model, or
    a probe value that grows one) gets MemoryError instead of the machine's OOM killer: such a
    build gives no verdict (``_TooBig``); one whose default does not build is not probed."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if soft == resource.RLIM_INFINITY or soft > MEMORY_LIMIT:
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, hard))


def build(config_mapping_names: dict[str, str], only=None) -> dict:
    """The data for the installed transformers (model types from the snapshot)."""
    import transformers
    from transformers import activations
    from transformers import configuration_utils as cu
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    base = getattr(cu, "PreTrainedConfig", None) or cu.PretrainedConfig
    _limit_memory()
    act2fn = frozenset(activations.ACT2FN)
    major = int(transformers.__version__.split(".")[0])
    probed, fails, done = [], {}, set()
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), \
                contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            for n, mt in enumerate(sorted(config_mapping_names)):
                if n % 100 == 0:
                    print(f"  config_values: {n}/{len(config_mapping_names)} model types", file=sys.__stderr__, flush=True)
                if only and mt not in only:
                    continue
                try:
                    config_cls = CONFIG_MAPPING[mt]
                except Exception:  # noqa: BLE001 - a backend-gated class
                    continue
                if config_cls.__name__ in done:
                    continue
                try:
                    got = probe_model_type(transformers, mt, config_cls, base, act2fn, major, done)
                except Exception:  # noqa: BLE001 - a model type that cannot be probed here
                    got = None
                if got is not None:
                    probed += got[0]
                    fails.update(got[1])
    finally:
        logging.disable(previous)
    return encode({"act2fn": sorted(act2fn), "probed": probed, "fails": fails}, major)


def short_message(message: str) -> str:
    """The exception's text without the probe's own numbers: "RuntimeError: Trying to create tensor
    with negative dimension", "KeyError: '{value}'" (the rule puts the config's value there)."""
    text = message.replace(UNKNOWN_ACTIVATION, "{value}")
    text = re.split(r", but got|: \[| mapping \[", text)[0]
    text = re.sub(r"\s-\d+$", "", text.strip())
    return text[:100]


def kept(probe: str, stage: str, text: str, major: int) -> bool:
    """Whether a failure is shipped: not a config-stage one on 5.x (RL102/RL103's), and for an
    activation probe only ACT2FN's KeyError (a field named like an activation that is an enum
    checked elsewhere, e.g. ``feat_extract_norm``, fails with another error for any other word)."""
    if major >= 5 and stage == "config":
        return False
    return probe not in ("act", "act_type") or text.startswith("KeyError")


def encode(raw: dict, major: int) -> dict:
    """The shipped form: ``classes`` maps every probed class to a string of ``field=probe:m,...``
    words (``m`` indexes ``messages``), empty when no probe failed. On transformers 5 a value the
    config class itself rejects (stage ``config``) is left out: rules RL102/RL103 report those."""
    messages: list[str] = []
    index: dict[str, int] = {}
    classes = {}
    for cls in sorted(set(raw["probed"]) | set(raw["fails"])):
        words = []
        for field, probes in sorted(raw["fails"].get(cls, {}).items()):
            shipped = []
            for probe, (stage, message) in sorted(probes.items()):
                text = short_message(message)
                if not kept(probe, stage, text, major):
                    continue
                if text not in index:
                    index[text] = len(messages)
                    messages.append(text)
                shipped.append(f"{probe}:{index[text]}")
            if shipped:
                words.append(f"{field}={','.join(shipped)}")
        classes[cls] = " ".join(words)
    return {"act2fn": raw["act2fn"], "messages": messages, "classes": classes}
