"""The pieces of a fix: minimal JSON and Python edits (repolint/edits.py), the unique close
match a fix may use (repolint/suggest.py), choosing and applying edits (repolint/fixes.py),
and every rule that offers fixes documents them. The end-to-end behaviour is in test_diff.py
and test_fix_agreement.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import lint, write_repo
from repolint import fixes
from repolint.diagnostics import Diagnostic, Edit, Fix, Location
from repolint.edits import insert_member, python_string_edit, remove_member, rename_key, replace_value
from repolint.engine import Result
from repolint.registry import all_rules
from repolint.repo import Repo
from repolint.suggest import close_matches, edit_distance, unique_match


def _doc(tmp_path: Path, text: str):
    (tmp_path / "config.json").write_bytes(text.encode())
    return Repo(tmp_path).json("config.json")


def _apply(text: str, edit: dict) -> str:
    lines = fixes.physical_lines(text)

    def at(line, col):
        return sum(len(x) for x in lines[: line - 1]) + col - 1

    return text[: at(edit["line"], edit["column"])] + edit["content"] + text[at(edit["end_line"], edit["end_column"]):]


AUTO_MAP = '{\n  "auto_map": {\n    "AutoConfig": "c.C",\n    "AutoModelForSequenceClassification": "m.S"\n  },\n  "x": 1\n}\n'


@pytest.mark.parametrize("text,obj,key,value,expected", [
    # sorted keys: the new one goes where json.dumps(sort_keys=True) puts it
    (AUTO_MAP, "/auto_map", "AutoModelForCausalLM", "m.L",
     '{\n  "auto_map": {\n    "AutoConfig": "c.C",\n    "AutoModelForCausalLM": "m.L",\n'
     '    "AutoModelForSequenceClassification": "m.S"\n  },\n  "x": 1\n}\n'),
    (AUTO_MAP, "/auto_map", "AutoBackbone", "m.B",
     '{\n  "auto_map": {\n    "AutoBackbone": "m.B",\n    "AutoConfig": "c.C",\n'
     '    "AutoModelForSequenceClassification": "m.S"\n  },\n  "x": 1\n}\n'),
    (AUTO_MAP, "/auto_map", "AutoTokenizer", "t.T",
     '{\n  "auto_map": {\n    "AutoConfig": "c.C",\n    "AutoModelForSequenceClassification": "m.S",\n'
     '    "AutoTokenizer": "t.T"\n  },\n  "x": 1\n}\n'),
    # unsorted keys: at the end
    ('{\n  "b": 1,\n  "a": 2\n}', "", "c", 3, '{\n  "b": 1,\n  "a": 2,\n  "c": 3\n}'),
    # one line, with its separators
    ('{"m": {"b": 1}, "x": 1}', "/m", "a", "v", '{"m": {"a": "v", "b": 1}, "x": 1}'),
    ('{"m": {"b": 1, "c": 2}}', "/m", "d", "v", '{"m": {"b": 1, "c": 2, "d": "v"}}'),
    ('{"m": {}}', "/m", "d", "v", '{"m": {"d": "v"}}'),
    # an object value laid out like its siblings; tabs and CRLF kept
    ('{\n  "architectures": ["X"],\n  "model_type": "x"\n}', "", "auto_map", {"AutoConfig": "c.C"},
     '{\n  "architectures": ["X"],\n  "auto_map": {\n    "AutoConfig": "c.C"\n  },\n  "model_type": "x"\n}'),
    ('{\r\n\t"a": 1,\r\n\t"c": 2\r\n}\r\n', "", "b", {"k": 1}, '{\r\n\t"a": 1,\r\n\t"b": {\r\n\t\t"k": 1\r\n\t},\r\n\t"c": 2\r\n}\r\n'),
])
def test_insert_member_keeps_the_layout(tmp_path, text, obj, key, value, expected):
    edit = insert_member(_doc(tmp_path, text), "config.json", obj, key, value)
    assert _apply(text, edit) == expected


def test_insert_member_refuses_what_it_cannot_place(tmp_path):
    assert insert_member(_doc(tmp_path, AUTO_MAP), "config.json", "/auto_map", "AutoConfig", "x.X") is None  # present
    assert insert_member(_doc(tmp_path, AUTO_MAP), "config.json", "/x", "k", "v") is None  # not an object
    assert insert_member(_doc(tmp_path, '{"a": 1, "a": 2}'), "config.json", "", "k", "v") is None  # duplicate keys
    assert insert_member(_doc(tmp_path, '{"a": 1,}'), "config.json", "", "k", "v") is None  # not JSON


@pytest.mark.parametrize("ptr,expected", [
    ("/a", '{\n  "t": "x",\n  "z": 2\n}\n'),
    ("/t", '{\n  "a": 1,\n  "z": 2\n}\n'),
    ("/z", '{\n  "a": 1,\n  "t": "x"\n}\n'),
])
def test_remove_member(tmp_path, ptr, expected):
    text = '{\n  "a": 1,\n  "t": "x",\n  "z": 2\n}\n'
    assert _apply(text, remove_member(_doc(tmp_path, text), "config.json", ptr)) == expected
    only = '{"k": {"a": 1}}'
    assert _apply(only, remove_member(_doc(tmp_path, only), "config.json", "/k/a")) == '{"k": {}}'


def test_rename_key_and_replace_value_touch_only_their_span(tmp_path):
    text = '{"a/b": {"torch_dtype": "x"}, "n": [1, "two"]}'
    doc = _doc(tmp_path, text)
    assert _apply(text, rename_key(doc, "config.json", "/a~1b/torch_dtype", "dtype")) == '{"a/b": {"dtype": "x"}, "n": [1, "two"]}'
    assert _apply(text, replace_value(doc, "config.json", "/n/1", "zwei")) == '{"a/b": {"torch_dtype": "x"}, "n": [1, "zwei"]}'
    assert replace_value(doc, "config.json", "/missing", 1) is None  # never the parent's span


def test_python_string_edit(tmp_path):
    text = 'X.register_for_auto_class(\n    "AutoModelForCasualLM"\n)\nY.register_for_auto_class(\'AutoModelForCasualLM\')\n'
    first = {"line": 1, "column": 1, "end_line": 3, "end_column": 2}
    assert _apply(text, python_string_edit(text, "m.py", first, "AutoModelForCasualLM", "AutoModelForCausalLM")).startswith(
        'X.register_for_auto_class(\n    "AutoModelForCausalLM"\n)\nY.register_for_auto_class(\'AutoModelForCasualLM\')')
    second = {"line": 4, "column": 1, "end_line": 4, "end_column": 50}
    assert "('AutoModelForCausalLM')" in _apply(text, python_string_edit(text, "m.py", second, "AutoModelForCasualLM", "AutoModelForCausalLM"))
    whole = {"line": 1, "column": 1, "end_line": 4, "end_column": 50}
    assert python_string_edit(text, "m.py", whole, "AutoModelForCasualLM", "AutoModelForCausalLM") is None  # twice: ambiguous


@pytest.mark.parametrize("word,candidates,meant", [
    ("lama", ["llama", "mllama", "llama4"], "llama"),
    ("VitImageProcessor", ["ViTImageProcessor", "ViltImageProcessor", "VivitImageProcessor"], "ViTImageProcessor"),
    ("AutoModelForCasualLM", ["AutoModelForCausalLM", "AutoModelForMaskedLM"], "AutoModelForCausalLM"),
    ("gpt", ["gpt2", "gptj"], None),  # two equally close
    ("mistrall", ["mistral", "mistral3"], None),
    ("llama", ["llama", "mllama"], None),  # no typo
    ("bertt", ["bert", "ibert"], "bert"),
    ("qwen", ["qwen2", "qwen3"], None),
    ("BertForSequenceClasification", ["BertForSequenceClassification", "IBertForSequenceClassification"], "BertForSequenceClassification"),
    ("x", ["y", "z"], None),
    ("abcdefghijklmnop", ["abcdefghijklxxxx"], None),  # too far
])
def test_unique_match(word, candidates, meant):
    assert unique_match(word, candidates) == meant


def test_close_matches_prefer_letter_case_and_edit_distance_is_osa():
    assert close_matches("VitImageProcessor", ["ViltImageProcessor", "ViTImageProcessor"]) == ["ViTImageProcessor"]
    assert edit_distance("Casual", "Causal", 2) == 1 and edit_distance("abc", "abc", 1) == 0
    assert edit_distance("abc", "xyz", 1) == 2  # past the limit: limit + 1


def _diag(code: str, edits, applicability="safe"):
    return Diagnostic(code=code, name="x", severity="error", message="m", location=Location(file="config.json"),
                      fix=Fix(description="d", applicability=applicability, edits=[Edit(**e) for e in edits]))


def _ins(line, col, content):
    return {"file": "config.json", "line": line, "column": col, "end_line": line, "end_column": col, "content": content}


def test_plan_overlaps_wait_for_a_rerun_and_insertions_at_one_place_both_go_in(tmp_path):
    write_repo(tmp_path, {"config.json": '{\n  "a": 1\n}\n'})
    result = Result(Repo(tmp_path, label="m"), [
        _diag("RL1", [{"file": "config.json", "line": 2, "column": 8, "end_line": 2, "end_column": 9, "content": "2"}]),
        _diag("RL2", [{"file": "config.json", "line": 2, "column": 8, "end_line": 2, "end_column": 9, "content": "3"}]),
        _diag("RL3", [_ins(2, 9, ',\n  "c": 3')]),
        _diag("RL4", [_ins(2, 9, ',\n  "b": 2')]),
        _diag("RL5", [_ins(2, 9, ',\n  "b": 2')]),  # the same edit again: made once
        _diag("RL6", [_ins(2, 9, ',\n  "z": 0')], applicability="unsafe"),
        _diag("RL7", [_ins(2, 9, ',\n  "y": 0')], applicability="display-only"),
    ])
    (change,) = fixes.plan([result])
    assert change.after == '{\n  "a": 2,\n  "b": 2,\n  "c": 3\n}\n'
    assert [d.code for d in change.fixed] == ["RL1", "RL4", "RL3"]
    assert fixes.fix_counts([result]) == (5, 1)
    result.unsafe_fixes = True
    assert '"z": 0' in fixes.plan([result])[0].after and fixes.fix_counts([result]) == (6, 0)
    assert fixes.plan([result], unsafe=False)[0].after == change.after


def test_hub_views_are_never_fixed(tmp_path):
    write_repo(tmp_path, {"config.json": '{\n  "a": 1\n}\n'})
    diag = _diag("RL1", [{"file": "config.json", "line": 2, "column": 8, "end_line": 2, "end_column": 9, "content": "2"}])
    assert fixes.plan([Result(Repo(tmp_path, label="hf://o/n"), [diag])]) == []
    assert fixes.fix_counts([Result(Repo(tmp_path, label="hf://o/n"), [diag])]) == (0, 0)


def test_every_fix_a_rule_offers_is_documented_and_graded_as_declared():
    """The rules' own INVALID examples: a rule whose findings carry edits declares fixes (and
    its docs say when and how safe); its findings' grades are the ones it declares."""
    import tempfile

    from repolint.docs import render_rule

    offered = {}
    for rule in all_rules():
        for example in rule.invalid:
            with tempfile.TemporaryDirectory() as tmp:
                write_repo(Path(tmp), example.files)
                for d in lint(Path(tmp), select=[rule.code], targets=example.targets):
                    if d.code == rule.code and d.fix is not None and d.fix.edits:
                        offered.setdefault(rule.code, set()).add(d.fix.applicability.value)
    assert {"RL201", "RL203", "RL205", "RL303", "RL304", "RL401", "RL402", "RL404", "RL602", "RL605", "RL607", "RL707"} <= set(offered)
    for rule in all_rules():
        grades = offered.get(rule.code, set())
        if grades:
            assert rule.fix_applicability != "none", rule.code
            assert "Automatic fix:" in render_rule(rule) and rule.fix_detail, rule.code
        if rule.fix_applicability in ("safe", "unsafe"):
            assert grades <= {rule.fix_applicability}, (rule.code, grades)
