"""The bounded-message keywords decide and word errors as jsonschema does, only shorter for big values."""

from __future__ import annotations

import copy
import tracemalloc

import pytest
from jsonschema import Draft202012Validator

from repolint.rules.schema import SCHEMA_FILES, _validator
from repolint.schemawords import quote, same
from test_minischema import PALETTE, _documents

BIG = {str(i): f"L{i}" for i in range(200_000)}


def _stock(schema_name):
    bounded = _validator(schema_name)
    return Draft202012Validator(bounded.schema, registry=bounded._registry)


def _errors(validator, doc, messages=True):
    out = []
    stack = list(validator.iter_errors(doc))
    while stack:
        e = stack.pop()
        out.append((tuple(e.absolute_path), tuple(e.absolute_schema_path), e.validator, e.message if messages else None))
        stack.extend(e.context)
    return sorted(out, key=repr)


@pytest.mark.parametrize("file_name", sorted(SCHEMA_FILES))
def test_same_errors_and_messages_as_jsonschema_on_a_grid(file_name):
    schema_name = SCHEMA_FILES[file_name]
    bounded, stock = _validator(schema_name), _stock(schema_name)
    base = next((d for f, d in _documents() if f == file_name), {})
    compared = 0
    for key in bounded.schema.get("properties", {}):
        # small values: the same errors, word for word; big ones: the same errors, quoted shorter
        for value, messages in [*((v, True) for v in PALETTE), ("x" * 300, False), (list(range(30)), False)]:
            doc = copy.deepcopy(base)
            doc[key] = value
            expected = _errors(stock, doc, messages)
            assert _errors(bounded, doc, messages) == expected, (key, value)
            compared += bool(expected)
    assert compared > 20


@pytest.mark.parametrize("a,b,equal", [
    (True, 1, False), (1, 1.0, True), (0, False, False), ([1, True], [1, True], True), ([1], [True], False),
    ({"a": [1]}, {"a": [1.0]}, True), ({"a": 1}, {"b": 1}, False), ("1", 1, False), (None, None, True), ([], {}, False),
])
def test_json_schema_equality(a, b, equal):
    assert same(a, b) is equal and same(b, a) is equal


def test_huge_instance_is_quoted_short_and_cheaply():
    """fuzz camp-2-28808: jsonschema quoted an 18 MB image_mean whole in each branch's message (440 MB peak)."""
    validator = _validator(SCHEMA_FILES["preprocessor_config.json"])
    doc = {"image_mean": {"model_type": BIG}, "size": BIG, "image_processor_type": "x" * 1_000_000}
    tracemalloc.start()
    try:
        errors = _errors(validator, doc)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert errors and all(len(message) < 2_000 for *_, message in errors), [len(m) for *_, m in errors]
    # stock jsonschema: ~560 MB (200,000 errors under "size", each quoting BIG in some messages)
    assert peak < 20 << 20, peak
    assert len(quote(BIG)) < 1_000 and quote({"a": 1}) == repr({"a": 1})
