"""jsonschema keywords whose error messages quote the instance, re-stated with a bounded quote.

jsonschema formats each error message when the error is made, with ``repr(instance)``: a
``type`` or ``anyOf`` failure on an 18 MB object builds several 70 MB strings (fuzz camp-2-28808:
a preprocessor_config.json whose ``image_mean`` is a dict of half a million keys peaked at 440 MB,
all of it in messages nobody reads whole), and ``anyOf`` keeps every error of every branch. These functions decide exactly as jsonschema's
keywords do (they ask the validator's own type checker and ``descend``) but quote at most a
few hundred characters. ``bounded_validator_class`` returns the draft class with them swapped in.
"""

from __future__ import annotations

import reprlib
from functools import lru_cache
from itertools import islice

BRANCH_ERRORS = 50  # errors kept per anyOf branch

_QUOTE = reprlib.Repr()
_QUOTE.maxlevel = 4
_QUOTE.maxdict = _QUOTE.maxlist = _QUOTE.maxtuple = _QUOTE.maxset = 20
_QUOTE.maxstring = 200
_QUOTE.maxlong = 60
_QUOTE.maxother = 200


def quote(value) -> str:
    """repr(value), cut short for big values without building the whole repr first."""
    return _QUOTE.repr(value)


def _error(message: str, **kw):
    from jsonschema.exceptions import ValidationError

    return ValidationError(message, **kw)


def _type(validator, types, instance, schema):
    wanted = [types] if isinstance(types, str) else list(types)
    if not any(validator.is_type(instance, t) for t in wanted):
        yield _error(f"{quote(instance)} is not of type {', '.join(repr(t) for t in wanted)}")


def _any_of(validator, subschemas, instance, schema):
    # a branch's errors explain the failure (best_match reads them); past a few dozen they only
    # cost memory: an object of 200,000 bad values gave 200,000 errors of ~3 KB each
    failures = []
    for index, subschema in enumerate(subschemas):
        found = list(islice(validator.descend(instance, subschema, schema_path=index), BRANCH_ERRORS))
        if not found:
            return
        failures.extend(found)
    yield _error(f"{quote(instance)} is not valid under any of the given schemas", context=failures)


def same(a, b) -> bool:
    """JSON Schema equality: true and 1 differ, 1 and 1.0 do not, containers compare deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list, tuple)) or isinstance(b, (dict, list, tuple)):
        return False
    return a == b


def _enum(validator, options, instance, schema):
    if not any(same(instance, option) for option in options):
        yield _error(f"{quote(instance)} is not one of {quote(options)}")


def _const(validator, const, instance, schema):
    if not same(instance, const):
        yield _error(f"{quote(const)} was expected")


def _max_properties(validator, bound, instance, schema):
    if validator.is_type(instance, "object") and len(instance) > bound:
        yield _error(f"{quote(instance)} " + ("should be empty" if bound == 0 else "has too many properties"))


def _max_length(validator, bound, instance, schema):
    if validator.is_type(instance, "string") and len(instance) > bound:
        yield _error(f"{quote(instance)} " + ("is expected to be empty" if bound == 0 else "is too long"))


def _min_length(validator, bound, instance, schema):
    if validator.is_type(instance, "string") and len(instance) < bound:
        yield _error(f"{quote(instance)} " + ("should be non-empty" if bound == 1 else "is too short"))


def _pattern(validator, pattern, instance, schema):
    import re

    if validator.is_type(instance, "string") and not re.search(pattern, instance):
        yield _error(f"{quote(instance)} does not match {pattern!r}")


@lru_cache(maxsize=None)
def bounded_validator_class():
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    return extend(Draft202012Validator, validators={
        "type": _type, "anyOf": _any_of, "enum": _enum, "const": _const, "maxProperties": _max_properties,
        "maxLength": _max_length, "minLength": _min_length, "pattern": _pattern,
    })
