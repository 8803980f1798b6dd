"""Every rule's own VALID / INVALID examples (the ones its docs show) are checked here."""

from __future__ import annotations

import pytest

from helpers import lint, write_repo
from repolint.registry import all_rules

CASES = []
for rule in all_rules():
    for i, ex in enumerate(rule.invalid):
        CASES.append(pytest.param(rule, ex, True, id=f"{rule.code}-invalid-{i}"))
    for i, ex in enumerate(rule.valid):
        CASES.append(pytest.param(rule, ex, False, id=f"{rule.code}-valid-{i}"))


def test_every_rule_has_both_kinds_of_example():
    for rule in all_rules():
        assert rule.invalid and rule.valid, rule.code
        for ex in rule.invalid:
            assert ex.expect, f"{rule.code}: an invalid example must say where the finding is"


@pytest.mark.parametrize("rule,example,is_invalid", CASES)
def test_rule_example(tmp_path, rule, example, is_invalid):
    root = write_repo(tmp_path / "repo", example.files)
    diags = lint(root, select=[rule.code], targets=example.targets)
    found = sorted((d.location.file, d.location.line) for d in diags if d.code == rule.code)
    if is_invalid:
        assert found == sorted(example.expect), [d.message for d in diags]
        for d in diags:
            assert d.message and d.name == rule.name
    else:
        assert found == [], [d.message for d in diags]
