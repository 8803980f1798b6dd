"""RL105: config.json values that make a built-in model fail to build.

The config loads, then the model's modules are built from its values: a negative size reaches
``torch.empty`` ("Trying to create tensor with negative dimension"), a zero one may divide
(ZeroDivisionError), a dropout probability outside [0, 1] reaches ``nn.Dropout`` ("dropout
probability has to be between 0 and 1"), an activation name is looked up in ``ACT2FN``
(KeyError), and on transformers 4 a size written as a string or a float reaches torch
(TypeError). Which field of which config class does so is learnt per release by building each
model type's model with one value changed (``config_values`` of the knowledge snapshot, written
by ``scripts/configsync/config_values.py``): a finding is an error only for a (class, field,
kind of value) that failed there. Elsewhere (a class that could not be probed) a value that
fails for the same field name in other models is a warning.

On transformers 5 a value that the config class itself rejects (a string where an int is
declared, a failing validator) is RL102's or RL103's finding, not this rule's.
"""

from __future__ import annotations

import json
import math

from repolint.jsonmap import pointer
from repolint.readonlykeys import read_only_keys
from repolint.registry import Example, Finding, Rule, register
from repolint.rules.config_keys import config_objects

_ACT = ("act", "act_type")
_SIZE = ("neg", "zero", "str", "float")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def value_kind(value, probes, act2fn: frozenset[str]) -> str | None:
    """The probe a config value stands for, given the probes that were run on its field."""
    if "act" in probes or "act_type" in probes:
        if isinstance(value, str):
            return "act" if value not in act2fn else None
        return "act_type" if value is not None else None
    if "dropout" in probes:
        return "dropout" if _number(value) and not math.isnan(value) and not 0 <= value <= 1 else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "neg" if value < 0 else "zero" if value == 0 else None
    if isinstance(value, float) and not math.isnan(value):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


_WHAT = {
    "act": "is not an activation of transformers' ACT2FN",
    "act_type": "is not an activation name (ACT2FN takes a string)",
    "dropout": "is a dropout probability outside [0, 1]",
    "neg": "is a negative size",
    "zero": "is a zero size",
    "str": "is a size written as a string",
    "float": "is a size written as a float",
}


class _Facts:
    """The release's probe data, read once per target."""

    def __init__(self, data: dict):
        self.act2fn = frozenset(data.get("act2fn") or ())
        messages = data.get("messages") or []
        # class -> field -> probe -> what transformers raised; every probed class is a key
        self.fails: dict[str, dict[str, dict[str, str]]] = {}
        for cls, words in (data.get("classes") or {}).items():
            fields = self.fails.setdefault(cls, {})
            for word in words.split():
                field, _, probes = word.partition("=")
                for probe in probes.split(","):
                    name, _, i = probe.partition(":")
                    fields.setdefault(field, {})[name] = messages[int(i)]
        # field name -> probes that failed for it in some class (the warning tier)
        self.anywhere: dict[str, set[str]] = {}
        for fields in self.fails.values():
            for name, probes in fields.items():
                self.anywhere.setdefault(name, set()).update(probes)


_FACTS: dict[str, _Facts] = {}


def _facts(k) -> _Facts | None:
    data = k.config_values
    if not data.get("act2fn"):
        return None
    if k.version not in _FACTS:
        _FACTS[k.version] = _Facts(data)
    return _FACTS[k.version]


def _shown(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


@register
class ConfigValueBreaksModel(Rule):
    code = "RL105"
    name = "config-value-breaks-model"
    summary = "A config.json size, dropout probability or activation makes the model fail to build"
    uses_knowledge = True
    why = (
        "transformers builds a model's layers from config.json: `hidden_size`, `vocab_size`, "
        "`num_key_value_heads`, `head_dim`, `d_model`, ... size its tensors, so -1 raises `RuntimeError: "
        "Trying to create tensor with negative dimension`, and a zero may divide (`ZeroDivisionError`: "
        "a warning, as whether it does often depends on other fields); "
        "`hidden_dropout_prob`, `attn_pdrop`, ... build `nn.Dropout`, which raises `ValueError: dropout "
        "probability has to be between 0 and 1`; `hidden_act`, `activation_function`, `dense_act_fn`, "
        "`feat_extract_activation`, ... are looked up in `ACT2FN`, which raises `KeyError` for a name it "
        "does not have (a typo such as `eelu`) or a value that is not a string. transformers 4 has no "
        "typed config fields, so a size written as a string or a float reaches torch (`TypeError`). "
        "The config itself loads; `from_pretrained` fails when it builds the model. Whether a field does "
        "this depends on the model (a layer may use functional dropout, or not read the field), so the "
        "rule uses data learnt by building every built-in model type of the target release with one "
        "value changed: an error is reported only for a field and kind of value that failed there, for "
        "config.json and for its nested sub-configs (`text_config`, `vision_config`, ...). A model type "
        "that could not be probed gets a warning when the field fails in other models. Custom config "
        "classes (`auto_map` AutoConfig) are not checked."
    )
    fix_text = (
        "Write the value the checkpoint was trained with: a positive integer size, a probability between "
        "0 and 1, an activation name that transformers knows (`gelu`, `gelu_new`, `silu`, `relu`, ...)."
    )
    invalid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_act": "eelu"\n}\n'}, [("config.json", 3)]),
        Example({"config.json": '{\n  "model_type": "gpt2",\n  "n_embd": -1\n}\n'}, [("config.json", 3)]),
        Example({"config.json": '{\n  "model_type": "gpt2",\n  "n_embd": 0\n}\n'}, [("config.json", 3)]),
        Example({"config.json": '{\n  "model_type": "bert",\n  "attention_probs_dropout_prob": 1.5\n}\n'},
                [("config.json", 3)]),
        Example({"config.json": '{\n  "model_type": "blip",\n  "text_config": {\n    "hidden_act": "eelu"\n  }\n}\n'},
                [("config.json", 4)]),
        Example({"config.json": '{\n  "model_type": "bert",\n  "intermediate_size": "3072"\n}\n'},
                [("config.json", 3)], targets=("4.57",)),
    ]
    valid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_act": "gelu",\n  "hidden_size": 768\n}\n'}),
        # mistral builds with hidden_size 0; a custom config class reads its fields its own way
        Example({"config.json": '{\n  "model_type": "mistral",\n  "hidden_size": 0\n}\n'}),
        Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_act": "eelu",\n'
                                '  "auto_map": {"AutoConfig": "configuration_x.XConfig"}\n}\n'}),
    ]

    def check(self, ctx):
        data, k = ctx.obj("config.json"), ctx.knowledge
        facts = _facts(k) if k is not None else None
        ro = read_only_keys(k.version) if facts is not None else None
        if not isinstance(data, dict) or ro is None:
            return
        for path, obj, cls in config_objects(data, k, ro):
            yield from self._check_object(path, obj, cls, facts, k)

    def _check_object(self, path, obj, cls, facts: _Facts, k):
        for key in sorted(obj):
            said = _judge(obj[key], key, cls, facts, k)
            if said is not None:
                where = "".join(f"{p}." for p in path)
                yield Finding("config.json", f"{where}{key} = {said[0]}", pointer=pointer([*path, key]), severity=said[1])


def _judge(value, key: str, cls: str, facts: _Facts, k) -> tuple[str, str] | None:
    """(message after "key = ", severity) for one config value, or None."""
    own = facts.fails.get(cls)
    if own is not None:
        probes = own.get(key)
        kind = value_kind(value, probes, facts.act2fn) if probes else None
        raised = probes.get(kind) if kind else None
        if raised is None:
            return None  # it built in the probe (or, on 5.x, the config class rejects it: RL102/RL103)
        raised = raised.replace("{value}", str(value))
        if kind == "zero":
            # a zero often fails through a derived value that other fields may set
            # (MistralConfig on 4.57: hidden_size 0 fails unless head_dim is given)
            return (f"0 {_WHAT[kind]}: the model of {cls} with its default other values fails to build with it "
                    f"on transformers {k.label} ({raised}); yours may too"), "warning"
        return (f"{_shown(value)} {_WHAT[kind]}: transformers {k.label} fails to build the model of {cls} with it "
                f"(building it with such a value raised {raised})"), "error"
    probes = facts.anywhere.get(key)
    kind = value_kind(value, probes, facts.act2fn) if probes else None
    if not kind or kind not in probes or (k.major >= 5 and kind in ("str", "float", "act_type")):
        return None  # on 5.x a typed field's wrong type is RL102's finding
    return (f"{_shown(value)} {_WHAT[kind]}: other models of transformers {k.label} fail to build with such a value; "
            f"{cls} could not be probed, so it may fail too"), "warning"
