"""RL2xx: config.json semantics — model_type, architectures, labels, dtype."""

from __future__ import annotations

from repolint.edits import fix, replace_value
from repolint.jsonmap import pointer
from repolint.knowledge import did_you_mean, shipped_versions, Knowledge
from repolint.registry import Example, Finding, Rule, register
from repolint.resolve import model_type_in_name
from repolint.suggest import unique_match

# torch.dtype attribute names in torch 2.13: transformers 5 does getattr(torch, dtype_string)
TORCH_DTYPES = frozenset(
    "bfloat16 bit bits16 bits1x8 bits2x4 bits4x2 bits8 bool cdouble cfloat chalf complex128 complex32 "
    "complex64 double float float16 float32 float4_e2m1fn_x2 float64 float8_e4m3fn float8_e4m3fnuz "
    "float8_e5m2 float8_e5m2fnuz float8_e8m0fnu half int int1 int16 int2 int3 int32 int4 int5 int6 int64 "
    "int7 int8 long qint32 qint8 quint2x4 quint4x2 quint8 short uint1 uint16 uint2 uint3 uint32 uint4 "
    "uint5 uint6 uint64 uint7 uint8".split()
)


def remote_config(data: dict) -> str | None:
    auto_map = data.get("auto_map")
    if isinstance(auto_map, dict) and isinstance(auto_map.get("AutoConfig"), str):
        return auto_map["AutoConfig"]
    return None


def auto_map_class_names(data: dict) -> set[str]:
    """Class names defined by a repo's auto_map values (any Auto class)."""
    names: set[str] = set()
    auto_map = data.get("auto_map")
    values = auto_map.values() if isinstance(auto_map, dict) else []
    for value in values:
        refs = value if isinstance(value, list) else [value]
        for ref in refs:
            if isinstance(ref, str) and "." in ref:
                names.add(ref.rsplit(".", 1)[-1])
    return names


@register
class UnknownModelType(Rule):
    code = "RL201"
    name = "unknown-model-type"
    summary = "config.json's model_type is not a model type of the target transformers release"
    uses_knowledge = True
    why = (
        "Without `auto_map[\"AutoConfig\"]`, AutoConfig looks `model_type` up in CONFIG_MAPPING. An "
        "unknown value raises `ValueError: The checkpoint you are trying to load has model type X but "
        "Transformers does not recognize this architecture`. A model type added in a newer release "
        "fails the same way for users of older releases."
    )
    fix_text = "Correct the spelling, or ship the config class as custom code and point `auto_map[\"AutoConfig\"]` at it."
    fix_applicability = "mixed"
    fix_detail = (
        "When exactly one model type of the target is that close to the typo (the same name in other "
        "letter case, or the only one at the smallest edit distance), --fix writes it: safe when "
        "`architectures` names a class of that model type and the repo has no auto_map (the file then "
        "says twice what was meant), unsafe otherwise."
    )
    invalid = [
        Example({"config.json": '{\n  "model_type": "lama",\n  "hidden_size": 64\n}\n'}, [("config.json", 2)]),
        Example({"config.json": '{\n  "model_type": "afmoe"\n}\n'}, [("config.json", 2)], targets=("4.57",)),
        Example({"config.json": '{\n  "model_type": "acme-net",\n  "auto_map": {"AutoModel": "modeling_x.XModel"}\n}\n', "modeling_x.py": ""}, [("config.json", 3)]),
    ]
    valid = [
        Example({"config.json": '{\n  "model_type": "llama"\n}\n'}),
        Example({"config.json": '{"model_type": "my-net", "auto_map": {"AutoConfig": "configuration_my.MyConfig"}}', "configuration_my.py": "class MyConfig: pass\n"}),
    ]

    def check(self, ctx):
        data = ctx.obj("config.json")
        if data is None or remote_config(data):
            return
        mt = data.get("model_type")
        k = ctx.knowledge
        if not isinstance(mt, str) or not mt or mt in k.model_types:
            return
        since = _first_release(mt)
        if since is not None:
            msg = f"model_type {mt!r} needs transformers >= {since}; the target is {k.label}"
            help_text = f"Users on transformers {k.label} cannot load this repo; say so in the model card, or require transformers>={since}."
        else:
            suggestion = did_you_mean(mt, k.model_types)
            hint = f" (did you mean {suggestion[0]!r}?)" if suggestion else ""
            msg = f"unknown model_type {mt!r}{hint}: transformers {k.label} has no such model type and AutoConfig fails"
            help_text = (
                "Use a model_type transformers knows, or ship a configuration_*.py and set "
                'auto_map["AutoConfig"] to it.'
            )
            if isinstance(data.get("auto_map"), dict) and data["auto_map"] and not suggestion:
                # custom code but no config class entry, and no near-miss of a known model type:
                # the missing auto_map entry is the likelier defect
                yield Finding(
                    "config.json",
                    f"auto_map has no \"AutoConfig\" entry, and model_type {mt!r} is not a model type of "
                    f"transformers {k.label}: AutoConfig fails",
                    pointer="/auto_map",
                    at_key=True,
                    help='Add "AutoConfig": "configuration_<name>.<ConfigClass>" to auto_map '
                    "(register_for_auto_class() on the config class, then save_pretrained, writes it).",
                )
                return
        yield Finding("config.json", msg, pointer="/model_type", help=help_text,
                      fix=None if since is not None else _model_type_fix(ctx, data, mt))


def _model_type_fix(ctx, data: dict, typo: str) -> dict | None:
    meant = unique_match(typo, ctx.knowledge.model_types)
    if meant is None:
        return None
    archs = data.get("architectures") if isinstance(data.get("architectures"), list) else []
    heads = ctx.knowledge.model_classes_of(meant)
    named = next((a for a in archs if isinstance(a, str) and a in heads), None)
    sure = named is not None and "auto_map" not in data
    why = f" (architectures names {named}, a {meant} class)" if sure else ""
    return fix(f"Set model_type to {meant!r}{why}", "safe" if sure else "unsafe",
               replace_value(ctx.doc("config.json"), "config.json", "/model_type", meant))


def _first_release(model_type: str) -> str | None:
    """The first release (per the newest snapshot knowing it) that has this model type."""
    for version in reversed(shipped_versions()):
        since = Knowledge(version, version).since(model_type)
        if since:
            return since
    return None


@register
class MissingModelType(Rule):
    code = "RL202"
    name = "missing-model-type"
    summary = "config.json has no model_type and no auto_map[\"AutoConfig\"]"
    uses_knowledge = True
    why = (
        "AutoConfig needs either custom code (`auto_map[\"AutoConfig\"]`) or a `model_type`. Without "
        "both it raises `ValueError: Unrecognized model in <repo>. Should have a model_type key in its "
        "config.json`. transformers 4.x guesses from the repo's name instead (the longest model type "
        "the name contains), so such a repo can load on 4.x and fail on 5.x: on 4.x targets, when the "
        "repo's name holds a model type, the finding is a warning (an error if that type's classes are "
        "not the ones `architectures` names)."
    )
    fix_text = "Add `\"model_type\": \"...\"` (save_pretrained writes it)."
    invalid = [Example({"config.json": '{\n  "hidden_size": 64\n}\n'}, [("config.json", 1)])]
    valid = [Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_size": 64\n}\n'})]

    def check(self, ctx):
        data = ctx.obj("config.json")
        if data is None or "model_type" in data or remote_config(data):
            return
        if "auto_map" in data and not isinstance(data["auto_map"], dict):
            return  # RL101 reports the malformed auto_map
        what = "config.json has no model_type and no auto_map[\"AutoConfig\"]"
        guessed = model_type_in_name(ctx) if ctx.knowledge.major < 5 else None
        if guessed is None:
            yield Finding("config.json", f"{what}; AutoConfig cannot pick a class", pointer="")
            return
        # 4.x: AutoConfig takes the longest model type the load path contains (verified on 4.57)
        archs = [a for a in data.get("architectures") or [] if isinstance(a, str)] if isinstance(data.get("architectures"), list) else []
        other = bool(archs) and not set(archs) & ctx.knowledge.model_classes_of(guessed)
        built = ctx.knowledge.config_class(guessed) or guessed
        yield Finding(
            "config.json",
            f"{what}: transformers {ctx.knowledge.label} takes model type {guessed!r} from the repo's name and builds {built}"
            + (f", not a config of {archs[0]}" if other else "; 5.x raises ValueError"),
            pointer="",
            severity=None if other else "warning",
            help="4.x guesses the model type from the name the repo is loaded by (its Hub id or folder), so the load "
                 "depends on that name; transformers 5 no longer guesses and fails.",
        )


@register
class UnknownArchitecture(Rule):
    code = "RL203"
    name = "unknown-architecture"
    summary = "An architectures entry is neither a transformers class nor defined by the repo's auto_map"
    severity = "warning"
    uses_knowledge = True
    why = (
        "`architectures` names the class the weights were saved from. Pipelines, the Hub and "
        "inference servers read it to pick a head; AutoModel ignores it except for a few model "
        "types, so a typo loads the default class silently instead of failing."
    )
    fix_text = "Write the exact class name (save_pretrained writes it), or add the class to auto_map."
    fix_applicability = "safe"
    fix_detail = (
        "When exactly one class of the config's model type (or of the repo's auto_map) is that close "
        "to the typo, --fix writes it: what save_pretrained would have written, and a name that AutoModel "
        "does not use to load, so the repo loads as before."
    )
    invalid = [Example({"config.json": '{\n  "model_type": "bert",\n  "architectures": ["BertForSequenceClasification"]\n}\n'}, [("config.json", 3)])]
    valid = [Example({"config.json": '{\n  "model_type": "bert",\n  "architectures": ["BertForSequenceClassification"]\n}\n'})]

    def check(self, ctx):
        data = ctx.obj("config.json")
        if data is None:
            return
        archs = data.get("architectures")
        if not isinstance(archs, list):
            return
        known = ctx.knowledge.classes("model")
        custom = auto_map_class_names(data)
        mt = data.get("model_type")
        own = (ctx.knowledge.model_classes_of(mt) if isinstance(mt, str) else frozenset()) | custom
        for i, arch in enumerate(archs):
            if not isinstance(arch, str) or arch in known or arch in custom:
                continue
            # the closest class of the model type first: BertForSequenceClasification is one
            # letter from BertFor... and two from IBertFor...
            suggestion = did_you_mean(arch, own) or did_you_mean(arch, known | custom)
            meant = unique_match(arch, own)
            ptr = pointer(["architectures", i])
            yield Finding(
                "config.json",
                f"architectures[{i}] {arch!r} is not a class of transformers {ctx.knowledge.label} nor of this repo's auto_map"
                + (f" (did you mean {suggestion[0]!r}?)" if suggestion else ""),
                pointer=ptr,
                help=(f"{suggestion[0]} is a class of model type {mt!r}." if suggestion and suggestion[0] in own and isinstance(mt, str)
                      and suggestion[0] not in custom else None),
                fix=fix(f"Write {meant!r}", "safe", replace_value(ctx.doc("config.json"), "config.json", ptr, meant)) if meant else None,
            )


@register
class LabelMismatch(Rule):
    code = "RL204"
    name = "label-mismatch"
    summary = "id2label, label2id and num_labels disagree"
    severity = "warning"
    why = (
        "transformers keeps `id2label` and derives `num_labels` from it; `label2id` is kept as "
        "written. When they disagree, the classifier head has one size and the pipeline's label "
        "names another, and predictions are mislabelled without an error."
    )
    fix_text = "Make label2id the exact inverse of id2label, with num_labels entries (ids 0..n-1)."
    invalid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "id2label": {"0": "NEG", "1": "POS"},\n  "label2id": {"NEG": 0, "POS": 2}\n}\n'}, [("config.json", 4)]),
        Example({"config.json": '{\n  "model_type": "bert",\n  "id2label": {"0": "NEG", "1": "POS"},\n  "num_labels": 3\n}\n'}, [("config.json", 4)]),
    ]
    valid = [Example({"config.json": '{\n  "model_type": "bert",\n  "id2label": {"0": "NEG", "1": "POS"},\n  "label2id": {"NEG": 0, "POS": 1}\n}\n'})]

    def check(self, ctx):
        data = ctx.obj("config.json")
        if data is None:
            return
        id2label, label2id = data.get("id2label"), data.get("label2id")
        ids: dict[int, object] = {}
        if isinstance(id2label, dict):
            try:
                ids = {int(k): v for k, v in id2label.items()}
            except (TypeError, ValueError):
                return  # RL101 reports the bad keys
            if ids and sorted(ids) != list(range(len(ids))):
                yield Finding("config.json", f"id2label ids are {sorted(ids)[:8]}, not 0..{len(ids) - 1}", pointer="/id2label")
        num = data.get("num_labels")
        if ids and isinstance(num, int) and not isinstance(num, bool) and num != len(ids):
            yield Finding(
                "config.json",
                f"num_labels is {num} but id2label has {len(ids)} entries; transformers uses id2label and ignores num_labels",
                pointer="/num_labels",
            )
        if ids and isinstance(label2id, dict):
            # values may be any JSON (RL101 reports wrong types); lists and objects are not
            # hashable, so they are compared, never looked up
            for label, idx in label2id.items():
                known = _hashable(idx) and idx in ids
                if not known or ids[idx] != label:
                    where = f"id2label[{idx}] is {ids[idx]!r}" if known else f"id2label has no id {idx!r}"
                    yield Finding(
                        "config.json",
                        f"label2id[{label!r}] is {idx!r}, but {where}",
                        pointer=pointer(["label2id", label]),
                    )
            missing = [v for v in ids.values() if not (_hashable(v) and v in label2id)]
            if missing:
                yield Finding("config.json", f"label2id lacks labels {missing[:5]} that id2label has", pointer="/label2id")


def _hashable(value) -> bool:
    return not isinstance(value, (list, dict))


def _dtype_fix(ctx, key: str, value: str) -> dict | None:
    bare = value.removeprefix("torch.")
    if bare in TORCH_DTYPES:  # "torch.float16": the same dtype, as transformers names it
        meant, grade = bare, "safe"
    else:  # a typo: the precision is a guess
        meant, grade = unique_match(bare, TORCH_DTYPES), "unsafe"
    if meant is None:
        return None
    return fix(f"Write {meant!r}", grade, replace_value(ctx.doc("config.json"), "config.json", pointer([key]), meant))


@register
class InvalidDtype(Rule):
    code = "RL205"
    name = "invalid-dtype"
    summary = "torch_dtype / dtype is not a torch dtype name"
    why = (
        "transformers 5 turns a string dtype into `getattr(torch, value)`: an unknown name raises "
        "AttributeError while loading the config. When both `dtype` and `torch_dtype` are set, "
        "`dtype` wins and `torch_dtype` is ignored."
    )
    fix_text = "Use a torch dtype name such as \"float32\", \"bfloat16\" or \"float16\"."
    fix_applicability = "mixed"
    fix_detail = (
        "\"torch.float16\" becomes \"float16\" (safe: the same dtype). A misspelt name with exactly one "
        "torch dtype that close (\"float33\" -> \"float32\") gets that name, unsafe: the precision is a guess."
    )
    invalid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "torch_dtype": "float33"\n}\n'}, [("config.json", 3)]),
        Example({"config.json": '{\n  "model_type": "bert",\n  "dtype": "auto"\n}\n'}, [("config.json", 3)]),
    ]
    valid = [Example({"config.json": '{\n  "model_type": "bert",\n  "torch_dtype": "bfloat16"\n}\n'})]

    def check(self, ctx):
        data = ctx.obj("config.json")
        if data is None:
            return
        both = "dtype" in data and "torch_dtype" in data and data["dtype"] is not None
        for key in ("dtype", "torch_dtype"):
            value = data.get(key)
            if value is None or isinstance(value, dict) or (key == "torch_dtype" and both):
                continue
            if not isinstance(value, str):
                yield Finding("config.json", f"{key} must be a string such as \"float32\", not {value!r}", pointer=pointer([key]))
            elif value.removeprefix("torch.") not in TORCH_DTYPES or value.startswith("torch."):
                suggestion = did_you_mean(value.removeprefix("torch."), TORCH_DTYPES)
                yield Finding(
                    "config.json",
                    f"{key} {value!r} is not a torch dtype; transformers fails with AttributeError on getattr(torch, {value!r})",
                    pointer=pointer([key]),
                    help=f"Did you mean {suggestion[0]!r}?" if suggestion else None,
                    fix=_dtype_fix(ctx, key, value),
                )
        if both and data["torch_dtype"] != data["dtype"]:
            yield Finding(
                "config.json",
                f"dtype {data['dtype']!r} and torch_dtype {data['torch_dtype']!r} disagree; transformers uses dtype",
                pointer="/torch_dtype",
                severity="warning",
            )


@register
class GenerationParamsInConfig(Rule):
    code = "RL206"
    name = "generation-params-in-config"
    summary = "Generation settings in config.json, which transformers 5 drops"
    severity = "warning"
    uses_knowledge = True
    why = (
        "transformers 5 pops generation parameters (`temperature`, `max_length`, `top_p`, ...) out of "
        "config.json without a word; 4.x kept them. They only take effect in generation_config.json."
    )
    fix_text = "Move these keys to generation_config.json."
    invalid = [Example({"config.json": '{\n  "model_type": "gpt2",\n  "temperature": 0.7\n}\n'}, [("config.json", 3)])]
    valid = [Example({"config.json": '{\n  "model_type": "gpt2"\n}\n', "generation_config.json": '{\n  "temperature": 0.7\n}\n'})]

    def check(self, ctx):
        data = ctx.obj("config.json")
        popped = ctx.knowledge.generation_params_popped
        if data is None or not popped:
            return
        from repolint.knowledge import field_schema

        mt = data.get("model_type")
        if not isinstance(mt, str) or mt not in ctx.knowledge.model_types or remote_config(data):
            return  # which keys the config class declares (and keeps) is unknown
        schema = field_schema(ctx.knowledge.version, mt) or {}
        declared = set(schema.get("properties", {}))
        for key in data:
            if key in popped and key not in declared:
                yield Finding(
                    "config.json",
                    f"{key} in config.json is dropped by transformers {ctx.knowledge.label}; it belongs in generation_config.json",
                    pointer=pointer([key]),
                    at_key=True,
                )
