"""The light yes/no schema check must agree with jsonschema, or repolint would miss errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from repolint.rules.schema import SCHEMA_FILES, _validator, quick_valid

FIXTURES = Path(__file__).parent / "fixtures"
PALETTE = [
    None, True, False, 0, 1, -1, 2.5, 1.0, 0.0, 1e30, "", "x", "left", "never", "123", "float32",
    [], [1], [1, "a"], ["a"], [None], [{"name": "a", "template": "b"}], [{"name": "a"}],
    {}, {"a": 1}, {"0": "x"}, {"x": "y"}, {"height": 2, "width": 3}, {"height": "2"},
    {"__type": "AddedToken", "content": "<s>"}, {"content": "<s>"}, {"0": {"content": "a"}},
]


def _documents():
    for path in sorted((FIXTURES / "valid").rglob("*.json")):
        if path.name in SCHEMA_FILES:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            yield path.name, data


def _agree(file_name, data):
    schema_name = SCHEMA_FILES[file_name]
    expected = _validator(schema_name).is_valid(data)
    assert quick_valid(schema_name, data) in (expected, None), (file_name, data)
    return expected


def test_fixture_documents_agree():
    seen = 0
    for file_name, data in _documents():
        assert _agree(file_name, data) is True  # transformers wrote them: valid
        seen += 1
    assert seen >= 20


@pytest.mark.parametrize("file_name", sorted(SCHEMA_FILES))
def test_grid_of_values_agrees(file_name):
    schema = _validator(SCHEMA_FILES[file_name]).schema
    base = next((d for f, d in _documents() if f == file_name), {})
    keys = list(schema.get("properties", {}))
    invalid = 0
    for key in keys:
        for value in PALETTE:
            doc = copy.deepcopy(base)
            doc[key] = value
            invalid += not _agree(file_name, doc)
            if key in ("image_processor", "feature_extractor") and isinstance(value, dict):
                for inner in ("size", "image_mean", "do_resize", "image_processor_type"):
                    for v2 in PALETTE[:12]:
                        nested = copy.deepcopy(doc)
                        nested[key] = {**value, inner: v2}
                        invalid += not _agree(file_name, nested)
    for value in PALETTE:
        _agree(file_name, value)  # a top level that is not an object
    assert invalid > len(keys)  # the grid does exercise failures
