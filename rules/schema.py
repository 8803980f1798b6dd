"""RL1xx: JSON Schema validation of the metadata files, and transformers 5's typed fields.

The schemas live in ``schemas/*.schema.json`` (draft 2020-12), usable on their own by
editors and check-jsonschema. A subschema may carry ``x-severity`` ("warning" where
transformers still loads the file) and ``x-help``; the innermost one on the failing
path wins. jsonschema is imported only when a metadata file is present.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

from repolint.jsonmap import pointer
from repolint.knowledge import field_schema, schemas_dir
from repolint.minischema import Unsupported, is_valid, pointer_get
from repolint.registry import Example, Finding, Rule, register
from repolint.schemawords import quote

SCHEMA_FILES = {
    "config.json": "config.schema.json",
    "preprocessor_config.json": "preprocessor_config.schema.json",
    "processor_config.json": "processor_config.schema.json",
    "tokenizer_config.json": "tokenizer_config.schema.json",
    "generation_config.json": "generation_config.schema.json",
}


def load_schema(name: str) -> dict:
    with open(os.path.join(schemas_dir(), name), "rb") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def _schemas_by_id() -> dict:
    return {doc["$id"]: doc for doc in (load_schema(n) for n in set(SCHEMA_FILES.values()))}


def _resolve(ref: str, base: dict):
    """A $ref's target among the shipped schemas (a reference to another file is relative to
    the $id of the schema it stands in, as in jsonschema's registry: nothing is fetched)."""
    from urllib.parse import urljoin

    uri, _, fragment = ref.partition("#")
    doc = _schemas_by_id()[urljoin(base.get("$id", ""), uri)] if uri else base
    return pointer_get(doc, fragment), doc


def quick_valid(schema_name: str, data) -> bool | None:
    """True/False from the light checker, None when it cannot tell (use jsonschema)."""
    schema = _schemas_by_id()[load_schema_id(schema_name)]
    try:
        return is_valid(data, schema, _resolve)
    except (Unsupported, KeyError, TypeError):
        return None


@lru_cache(maxsize=None)
def load_schema_id(schema_name: str) -> str:
    return load_schema(schema_name)["$id"]


@lru_cache(maxsize=None)
def _validator(schema_name: str):
    from referencing import Registry, Resource

    from repolint.schemawords import bounded_validator_class

    schema = load_schema(schema_name)
    resources_ = []
    for other in set(SCHEMA_FILES.values()):
        doc = schema if other == schema_name else load_schema(other)
        resources_.append((doc["$id"], Resource.from_contents(doc)))
    registry = Registry().with_resources(resources_)
    return bounded_validator_class()(schema, registry=registry)


def _annotation(root: dict, schema_path, key: str):
    """The innermost ``key`` annotation on the schema path of an error. jsonschema's path
    steps over a "$ref" into the referenced schema, so a step that the current node lacks
    is looked up through its $ref."""
    found = None
    node, doc = root, root
    if isinstance(node, dict) and key in node:
        found = node[key]
    for part in schema_path:
        try:
            while isinstance(node, dict) and part not in node and isinstance(node.get("$ref"), str):
                node, doc = _resolve(node["$ref"], doc)
                if key in node:
                    found = node[key]
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and key in node:
            found = node[key]
    return found


def _leaf(error):
    """For anyOf/oneOf, the branch error that best explains the failure."""
    from jsonschema.exceptions import best_match

    while error.context:
        best = best_match(error.context)
        if best is None or best is error:
            break
        # keep the umbrella message when the best branch is about a different type altogether
        if best.validator == "type" and error.validator in ("anyOf", "oneOf"):
            break
        error = best
    return error


def _head(value, width: int = 80) -> str:
    """The first ``width`` characters of the value as JSON, without writing all of a huge value."""
    out = []
    size = 0
    for chunk in json.JSONEncoder().iterencode(value):
        out.append(chunk)
        size += len(chunk)
        if size >= width:
            break
    return "".join(out)[:width]


def _describe(error) -> str:
    where = pointer(error.absolute_path) or "the top level"
    if error.validator in ("anyOf", "oneOf"):
        allowed = []
        for sub in error.validator_value:
            if "type" in sub:
                allowed.append(sub["type"] if isinstance(sub["type"], str) else " or ".join(sub["type"]))
            elif "const" in sub:
                allowed.append(json.dumps(sub["const"]))
        suffix = f"; expected {', '.join(allowed)}" if allowed else ""
        return f"{where}: {_head(error.instance)} does not match any allowed form{suffix}"
    if error.validator == "propertyNames":
        return f"{where}: key {quote(error.instance)} is not allowed: {error.message}"
    return f"{where}: {error.message}"


@register
class SchemaViolation(Rule):
    code = "RL101"
    name = "schema-violation"
    summary = "A metadata file breaks its JSON Schema (wrong type, bad enum value, missing field)"
    why = (
        "config.json, tokenizer_config.json, preprocessor_config.json, processor_config.json and "
        "generation_config.json are read by transformers with specific expectations: `padding_side` "
        "must be left or right, a special token must be a string or an AddedToken object, `id2label` "
        "keys must be integers, `max_new_tokens` must be positive. Violations that make loading fail "
        "are errors; values that load but are certainly wrong are warnings. The schemas are in "
        "`schemas/` and can be used by editors too."
    )
    fix_text = "Change the value to the form the message names."
    invalid = [
        Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokenizer",\n  "padding_side": "middle"\n}\n'}, [("tokenizer_config.json", 3)]),
        Example({"config.json": '{\n  "model_type": "bert",\n  "id2label": {"zero": "NEG"}\n}\n'}, [("config.json", 3)]),
        Example({"generation_config.json": '{\n  "max_new_tokens": 0\n}\n'}, [("generation_config.json", 2)]),
    ]
    valid = [
        Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokenizer",\n  "padding_side": "left"\n}\n'}),
        Example({"config.json": '{"model_type": "bert", "id2label": {"0": "NEG", "1": "POS"}}'}),
    ]

    def check(self, ctx):
        for file_name, schema_name in SCHEMA_FILES.items():
            data = ctx.obj(file_name)
            if data is None or quick_valid(schema_name, data):
                continue
            validator = _validator(schema_name)
            for error in validator.iter_errors(data):
                leaf = _leaf(error)
                severity = _annotation(validator.schema, leaf.absolute_schema_path, "x-severity")
                if severity is None:
                    severity = _annotation(validator.schema, error.absolute_schema_path, "x-severity")
                help_text = _annotation(validator.schema, error.absolute_schema_path, "x-help")
                at_key = leaf.validator == "propertyNames" or leaf.validator == "required"
                ptr = pointer(leaf.absolute_path)
                if leaf.validator == "propertyNames":
                    ptr = pointer([*leaf.absolute_path, leaf.instance])
                unread = _unread_processor_class(ctx, file_name) if ptr == "/processor_class" else None
                if unread:
                    severity, help_text = "warning", unread
                yield Finding(
                    file_name,
                    _describe(leaf),
                    pointer=ptr,
                    at_key=at_key,
                    severity=severity or "error",
                    help=help_text,
                )


def _unread_processor_class(ctx, file_name: str) -> str | None:
    """Why a bad processor_class in ``file_name`` cannot fail a load: AutoProcessor reads the first
    file of its search order that names one, and this is a later one (verified on 5.24 and 4.57:
    an int there loads; where it is the one read, TypeError)."""
    from repolint.rules.processors import _first_processor_class

    first = _first_processor_class(ctx)
    if first is None or first[0] == file_name:
        return None
    return f"AutoProcessor reads processor_class from {first[0]} and never this one; fix or remove it all the same."


def _type_ok(value, schema: dict) -> bool:
    """A minimal check of the field schemas' vocabulary: type / anyOf / items / enum."""
    if "anyOf" in schema:
        return any(_type_ok(value, s) for s in schema["anyOf"])
    if "enum" in schema and value not in schema["enum"]:
        return False
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(_is_type(value, t) for t in types):
            return False
    if isinstance(value, list) and "items" in schema:
        return all(_type_ok(v, schema["items"]) for v in value)
    if isinstance(value, dict) and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return all(_type_ok(v, schema["additionalProperties"]) for v in value.values())
    return True


def _is_type(value, t: str) -> bool:
    # the field schemas follow huggingface_hub's strict type check of the parsed JSON value:
    # "integer" is a Python int (768.0 fails), "number" a Python float (0 fails a float field);
    # a field that takes both says ["integer", "number"]
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, float)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "string":
        return isinstance(value, str)
    if t == "null":
        return value is None
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    return True


def _schema_text(schema: dict) -> str:
    if "anyOf" in schema:
        return " or ".join(_schema_text(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    t = schema.get("type", "any")
    text = t if isinstance(t, str) else " or ".join(t)
    if "items" in schema:
        text += f" of {_schema_text(schema['items'])}"
    return text


def _field_schema_for(ctx):
    data = ctx.obj("config.json")
    k = ctx.knowledge
    if data is None or k is None or k.major < 5:
        return data, None
    mt = data.get("model_type")
    if not isinstance(mt, str) or mt not in k.model_types:
        return data, None
    auto_map = data.get("auto_map")
    if isinstance(auto_map, dict) and "AutoConfig" in auto_map:
        return data, None  # a remote config class has its own fields
    return data, field_schema(k.version, mt)


MAX_SUB_CONFIG_DEPTH = 4


def config_targets(ctx):
    """(JSON path, dict, field schema) of config.json and of every nested sub-config
    (``text_config``, ``vision_config``, ...) that transformers builds with a typed class.

    A composite config builds each sub-config dict with the class of its SubConfigSpec: a fixed
    class ignores the dict's ``model_type``; a spec with ``config_class=AutoConfig`` (listed in
    ``sub_configs_dynamic``) picks the class by the dict's ``model_type``, else its default.
    For a schema without that list (an older snapshot), a dict whose model_type differs from
    the default is skipped rather than checked against the wrong class."""
    data, schema = _field_schema_for(ctx)
    if not schema:
        return
    k = ctx.knowledge
    stack = [((), data, schema)]
    while stack:
        path, obj, sch = stack.pop(0)
        yield path, obj, sch
        if len(path) >= MAX_SUB_CONFIG_DEPTH:
            continue
        dynamic = sch.get("sub_configs_dynamic")
        for key, default_mt in (sch.get("sub_configs") or {}).items():
            sub = obj.get(key)
            if not isinstance(sub, dict) or key == "backbone_config":  # backbones go through their own BC path
                continue
            own = sub.get("model_type")
            mt = default_mt
            if dynamic is None:
                if own is not None and own != default_mt:
                    continue
            elif key in dynamic and own is not None:
                mt = own
            if not isinstance(mt, str) or mt not in k.model_types:
                continue
            sub_schema = field_schema(k.version, mt)
            if sub_schema:
                stack.append(((*path, key), sub, sub_schema))


def _where(path) -> str:
    return "".join(f"{p}." for p in path)


@register
class FieldType(Rule):
    code = "RL102"
    name = "config-field-type"
    summary = "A config.json field has a type its transformers config class rejects"
    uses_knowledge = True
    why = (
        "transformers 5 declares each built-in config class as a strict dataclass: field types are "
        'checked when config.json is loaded, so `"hidden_size": "768"` raises '
        "StrictDataclassFieldValidationError. Nested sub-configs (`text_config`, `vision_config`, ...) "
        "are built with their own typed classes and checked the same way. The types come from the "
        "config classes of the target release (a data snapshot; repolint does not import transformers)."
    )
    fix_text = "Write the value with the declared type (a number without quotes, true/false, a list ...)."
    invalid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_size": "768"\n}\n'}, [("config.json", 3)]),
        Example({"config.json": '{\n  "model_type": "clip",\n  "text_config": {\n    "vocab_size": "49408"\n  }\n}\n'}, [("config.json", 4)]),
        Example({"config.json": '{\n  "model_type": "llava",\n  "text_config": {\n    "model_type": "qwen2",\n    "use_sliding_window": "yes"\n  }\n}\n'}, [("config.json", 5)]),
    ]
    valid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_size": 768\n}\n'}),
        Example({"config.json": '{\n  "model_type": "llava",\n  "text_config": {\n    "model_type": "qwen2",\n    "use_sliding_window": true\n  }\n}\n'}),
    ]

    def check(self, ctx):
        for path, data, schema in config_targets(ctx):
            for name, prop in schema.get("properties", {}).items():
                if name in data and not _type_ok(data[name], prop):
                    yield Finding(
                        "config.json",
                        f"{_where(path)}{name} is {_head(data[name], 60)}, but {schema['config_class']}.{name} "
                        f"must be {_schema_text(prop)}",
                        pointer=pointer([*path, name]),
                    )


@register
class ConfigValidator(Rule):
    code = "RL103"
    name = "config-validation"
    summary = "config.json values fail a check its transformers config class runs at load"
    uses_knowledge = True
    why = (
        "Besides field types, transformers 5 config classes run `validate_*` methods when loaded: "
        "e.g. `hidden_size` must be a multiple of `num_attention_heads`, and `layer_types` must "
        "have `num_hidden_layers` known entries. A failure raises StrictDataclassClassValidationError. "
        "The validators of each nested sub-config's class run too."
    )
    fix_text = "Make the values consistent, as the message says."
    invalid = [
        Example(
            {"config.json": '{\n  "model_type": "clip_text_model",\n  "hidden_size": 100,\n  "num_attention_heads": 8\n}\n'},
            [("config.json", 3)],
        )
    ]
    valid = [Example({"config.json": '{\n  "model_type": "clip_text_model",\n  "hidden_size": 96,\n  "num_attention_heads": 8\n}\n'})]

    def check(self, ctx):
        for path, data, schema in config_targets(ctx):
            yield from self._validate(path, data, schema)

    def _validate(self, path, data, schema):
        defaults = {name: prop.get("default") for name, prop in schema.get("properties", {}).items()}
        where = _where(path)
        for v in schema.get("validators", []):
            if v.get("kind") == "divisible":
                a, b = v["dividend"], v["divisor"]
                x, y = data.get(a, defaults.get(a)), data.get(b, defaults.get(b))
                if not (_is_type(x, "integer") and _is_type(y, "integer")) or y == 0:
                    continue
                if x % y:
                    yield Finding(
                        "config.json",
                        f"{where}{a} ({x}) is not a multiple of {where}{b} ({y}); {schema['config_class']} refuses this config",
                        pointer=pointer([*path, a]) if a in data else pointer([*path, b]),
                    )
            elif v.get("kind") == "layer_types":
                yield from _check_layer_types(v, data, defaults, schema["config_class"], path)


def _check_layer_types(v: dict, data: dict, defaults: dict, config_class: str, path=()):
    """transformers' validate_layer_type: entries (after the legacy remap) in the allowed set,
    and as many as num_hidden_layers. It stops at the first list that is unset, hence "requires"."""
    field_name = v["attribute"]
    if any(data.get(r, defaults.get(r)) is None for r in v.get("requires", [])):
        return
    layers = data.get(field_name)
    count = data.get(v.get("count_attribute", "num_hidden_layers"), defaults.get(v.get("count_attribute", "num_hidden_layers")))
    if not isinstance(layers, list):
        return
    remap = v.get("remap", {})
    allowed = v.get("allowed", [])
    bad = [t for t in layers if not isinstance(t, str) or remap.get(t, t) not in allowed]
    where = _where(path)
    if bad:
        yield Finding(
            "config.json",
            f"{where}{field_name} has entries {sorted(set(map(str, bad)))[:5]} that {config_class} does not accept; allowed: {', '.join(allowed)}",
            pointer=pointer([*path, field_name]),
        )
    elif _is_type(count, "integer") and count != len(layers):
        yield Finding(
            "config.json",
            f"{where}{field_name} has {len(layers)} entries but {v.get('count_attribute', 'num_hidden_layers')} is {count}; {config_class} requires them equal",
            pointer=pointer([*path, field_name]),
        )
