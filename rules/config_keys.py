"""RL104: config.json keys that the config class cannot set (read-only properties).

Every key of config.json that a config class's ``__init__`` does not consume is set as an
attribute; when the name is a property without a setter (``use_return_dict`` on every class,
``head_dim`` on FalconConfig, ``frame_rate`` on audio codecs, ...) transformers raises
AttributeError and the repo does not load. Which keys fail is learnt per release by building
the classes (``repolint/readonlykeys.py``), as is the class each nested sub-config is built with.
"""

from __future__ import annotations

from repolint.jsonmap import pointer
from repolint.readonlykeys import read_only_keys
from repolint.registry import Example, Finding, Rule, register

MAX_DEPTH = 4


def _top_class(data: dict, k) -> str | None:
    mt = data.get("model_type")
    if not isinstance(mt, str):
        return None
    auto_map = data.get("auto_map")
    if isinstance(auto_map, dict) and "AutoConfig" in auto_map:
        return None  # a remote config class: its own properties
    if mt == "mistral" and "layer_types" in data and k.config_class("ministral"):
        mt = "ministral"  # AutoConfig's own heuristic (4.57 and 5.x)
    return k.config_class(mt)


def config_objects(data: dict, k, ro):
    """(JSON path, dict, config class name) of config.json and of each nested sub-config dict
    the release builds with a known class."""
    top = _top_class(data, k)
    if top is None:
        return
    stack = [((), data, top)]
    while stack:
        path, obj, cls = stack.pop(0)
        yield path, obj, cls
        if len(path) >= MAX_DEPTH:
            continue
        for key in ro.sub_configs.get(cls, {}):
            sub = obj.get(key)
            if not isinstance(sub, dict):
                continue
            own = sub.get("model_type")
            named_class = k.config_class(own) if isinstance(own, str) else None
            sub_cls = ro.sub_config_class(cls, key, named_class, "model_type" in sub)
            if sub_cls:
                stack.append(((*path, key), sub, sub_cls))


@register
class ReadOnlyConfigKey(Rule):
    code = "RL104"
    name = "config-read-only-attribute"
    summary = "config.json sets a key that its config class exposes as a read-only property"
    uses_knowledge = True
    why = (
        "A config class sets every config.json key its `__init__` does not take as an attribute. "
        "When the name is a property without a setter, that assignment raises "
        "`AttributeError: property 'head_dim' of 'FalconConfig' object has no setter` and the config "
        "does not load (transformers 4 may surface another error, raised while it logs this one). Some are on the base class of every config (`use_return_dict`; "
        "`sub_configs`, `is_heterogeneous`, `per_layer_attributes` in transformers 5), others on one "
        "model's class (`head_dim` and `rotary` on Falcon, `frame_rate` or `hop_length` on audio codecs, "
        "`layer_types` on Mamba). They are values the class computes from other fields, typically copied "
        "into config.json by hand or by a converter. Nested sub-configs (`text_config`, ...) are built "
        "with their own classes and fail alike. The keys come from building each config class of the "
        "target release with each candidate key (a data snapshot; repolint does not import transformers)."
    )
    fix_text = (
        "Delete the key: the class computes the property from other fields. If the value you wrote differs "
        "from what it computes, set the fields it is computed from instead."
    )
    fix_applicability = "unsafe"
    fix_detail = (
        "The fix deletes the key. It is unsafe: the class then computes the value from other fields, "
        "which may differ from the value written."
    )
    invalid = [
        Example({"config.json": '{\n  "model_type": "falcon",\n  "head_dim": 64\n}\n'}, [("config.json", 3)]),
        Example({"config.json": '{\n  "model_type": "llama",\n  "use_return_dict": true\n}\n'}, [("config.json", 3)]),
        Example(
            {"config.json": '{\n  "model_type": "llava",\n  "text_config": {\n    "model_type": "falcon",\n'
                            '    "rotary": true\n  }\n}\n'},
            [("config.json", 5)],
        ),
    ]
    valid = [
        Example({"config.json": '{\n  "model_type": "falcon"\n}\n'}),
        Example({"config.json": '{\n  "model_type": "llama",\n  "return_dict": true,\n  "num_labels": 3\n}\n'}),
        Example({"config.json": '{\n  "model_type": "llama",\n  "head_dim": 64\n}\n'}),
    ]

    def check(self, ctx):
        from repolint.edits import fix, remove_member

        data, k = ctx.obj("config.json"), ctx.knowledge
        ro = read_only_keys(k.version) if k is not None else None
        if not isinstance(data, dict) or ro is None:
            return
        for path, obj, cls in config_objects(data, k, ro):
            where = "".join(f"{p}." for p in path)
            for key in sorted(ro.rejected(cls) & obj.keys()):
                ptr = pointer([*path, key])
                yield Finding(
                    "config.json",
                    f"{where}{key} cannot be set: {cls}.{key} is a property without a setter, so transformers "
                    f"{k.label} fails to load this config (assigning it raises AttributeError)",
                    pointer=ptr,
                    at_key=True,
                    fix=fix(f"Delete {where}{key}", "unsafe", remove_member(ctx.doc("config.json"), "config.json", ptr)),
                )
