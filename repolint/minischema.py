"""A yes/no JSON Schema check for repolint's own schemas, so a clean repo never imports jsonschema.

jsonschema is the validator of record: it produces every reported error. Importing it costs
about 100 ms, more than everything else a JSON-only lint does, so the schema rule first asks
this module "is the document valid?". It knows only the keywords repolint's schemas use; on
any other keyword it raises Unsupported and the caller falls back to jsonschema. A test
checks that its verdict equals jsonschema's on the fixtures and on a grid of bad values.
"""

from __future__ import annotations

import re
from functools import lru_cache

ANNOTATIONS = {
    "$schema", "$id", "$defs", "title", "description", "default", "examples",
    "x-severity", "x-help",
}


class Unsupported(Exception):
    pass


@lru_cache(maxsize=None)
def _pattern(p: str):
    return re.compile(p)


def _is_type(value, t: str) -> bool:
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if t == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float))
    raise Unsupported(f"type {t}")


def _equal(a, b) -> bool:
    # JSON equality: true is not 1, 1 equals 1.0
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


def is_valid(instance, schema, resolve) -> bool:
    """``resolve(ref, base)`` returns (subschema, new_base) for a $ref."""
    return _valid(instance, schema, schema, resolve)


def _valid(x, s, base, resolve) -> bool:
    if s is True:
        return True
    if s is False:
        return False
    for key, arg in s.items():
        if key in ANNOTATIONS:
            continue
        if key == "type":
            types = [arg] if isinstance(arg, str) else arg
            if not any(_is_type(x, t) for t in types):
                return False
        elif key == "enum":
            if not any(_equal(x, v) for v in arg):
                return False
        elif key == "const":
            if not _equal(x, arg):
                return False
        elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                if key == "minimum" and x < arg or key == "maximum" and x > arg:
                    return False
                if key == "exclusiveMinimum" and x <= arg or key == "exclusiveMaximum" and x >= arg:
                    return False
        elif key == "minLength":
            if isinstance(x, str) and len(x) < arg:
                return False
        elif key == "pattern":
            if isinstance(x, str) and not _pattern(arg).search(x):
                return False
        elif key == "required":
            if isinstance(x, dict) and any(k not in x for k in arg):
                return False
        elif key == "properties":
            if isinstance(x, dict):
                for name, sub in arg.items():
                    if name in x and not _valid(x[name], sub, base, resolve):
                        return False
        elif key == "additionalProperties":
            if isinstance(x, dict):
                declared = s.get("properties", {})
                if "patternProperties" in s:
                    raise Unsupported("patternProperties")
                for name, value in x.items():
                    if name not in declared and not _valid(value, arg, base, resolve):
                        return False
        elif key == "propertyNames":
            if isinstance(x, dict) and not all(_valid(k, arg, base, resolve) for k in x):
                return False
        elif key == "items":
            if isinstance(x, list) and not all(_valid(v, arg, base, resolve) for v in x):
                return False
        elif key == "anyOf":
            if not any(_valid(x, sub, base, resolve) for sub in arg):
                return False
        elif key == "$ref":
            target, target_base = resolve(arg, base)
            if not _valid(x, target, target_base, resolve):
                return False
        else:
            raise Unsupported(key)
    return True


def pointer_get(doc, fragment: str):
    node = doc
    for part in fragment.lstrip("/").split("/"):
        if part:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
