"""Every rule that can report an error has an agreement test: a variant loaded with the real
transformers whose failure the error promises. This file lists where those variants live; a new
error-level rule fails here until one of them (or a new agreement module added to the list)
names its code."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from repolint.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent

# each loads its variants with transformers (tests/oracle.py or helpers.oracle_pythons) and compares
# the outcome with repolint's severity
AGREEMENT_SOURCES = [
    "tests/test_agreement.py",  # one-edit variants of tests/fixtures/valid
    "tests/fixtures/custom_broken/MANIFEST.json",  # custom-code variants, re-loaded by test_custom_fixtures_load.py
    "tests/test_code_agreement.py",
    "scripts/make_compat_fixtures.py",  # RL7xx variants, loaded by tests/test_compat_agreement.py
    "tests/test_config_annotation_agreement.py",
    "tests/test_readonly_agreement.py",
    "tests/test_config_values_agreement.py",
    "tests/test_tokenizer_init_order.py",
    "tests/test_fix_agreement.py",
    "tests/test_chat_templates.py",
    "scripts/make_weight_fixtures.py",  # RL80x variants, loaded by tests/test_weights.py
    "tests/test_weights.py",
    "tests/test_checkpoint_agreement.py",
    "tests/test_pickles.py",
    "tests/test_extra_special_tokens.py",  # RL708, with the 4.57 oracle
    "tests/test_model_type_guess.py",  # RL202 on 4.x
    "tests/test_saved_by_5.py",  # RL709: saved by a 5.x oracle, loaded by the 4.57 one
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_processor_parts*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_tokenizer_*agreement*.py")),
]


def _can_report_an_error(rule) -> bool:
    """The rule's default severity is error, or its class grades a finding "error" itself."""
    return rule.severity == "error" or re.search(r"""["']error["']""", inspect.getsource(rule)) is not None


def test_every_error_level_rule_has_an_agreement_variant():
    text = "\n".join((ROOT / name).read_text(encoding="utf-8") for name in AGREEMENT_SOURCES)
    error_rules = [r.code for r in all_rules() if _can_report_an_error(r)]
    assert len(error_rules) >= 40  # the check itself sees the rules
    uncovered = [code for code in error_rules if not re.search(rf"\b{code}\b", text)]
    assert not uncovered, f"error-level rules without an agreement variant: {uncovered}"

