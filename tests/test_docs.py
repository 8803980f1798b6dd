"""docs/rules.md is generated from the rule metadata and must be current."""

from pathlib import Path

from repolint.docs import render_all
from repolint.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]


def test_rules_doc_is_current():
    expected = render_all(all_rules())
    actual = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert actual == expected, "run `python scripts/gen_docs.py`"


def test_every_rule_documents_why_example_fix():
    for rule in all_rules():
        text = render_all([rule])
        for part in ("### Why is this bad?", "### Example", "### Fix"):
            assert part in text, rule.code
        assert len(rule.why) > 60 and rule.summary and rule.fix_text, rule.code
