"""The fast extractor (CPython's ast, function bodies skipped unless they mention an import or
a registration) records exactly the facts of a full libcst parse (repolint.pyfacts_cst, the
reader of record for syntax this Python rejects), on every Python file of the fixtures, on the
benchmark's generated modeling file, on installed transformers modeling files, and on seeded
synthetic modules that combine the constructs the rules read. Positions (which only the ast
pass has) are checked against the text they point at.
"""

from __future__ import annotations

import ast
import importlib.util
import random
import textwrap
from pathlib import Path

import pytest

from repolint.pyfacts import extract
from repolint.pyfacts_cst import parse

ROOT = Path(__file__).resolve().parents[1]
POSITION_KEYS = {"line", "column", "end_line", "end_column"}


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in POSITION_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def assert_same_facts(text: str) -> dict:
    fast = extract(text)
    assert fast["syntax_error"] is None and fast["degraded"] is None
    full = parse(text)
    assert "facts" in full, full
    for key in ("classes", "registrations", "imports", "names"):
        assert _strip(fast[key]) == full["facts"][key], key
    _check_positions(text, fast)
    return fast


def _check_positions(text: str, facts: dict) -> None:
    lines = text.split("\n")

    def at(fact):
        line = lines[fact["line"] - 1].encode("utf-8")
        return line[fact["column"] - 1:].decode("utf-8", "replace")

    for name, cls in facts["classes"].items():
        assert at(cls).startswith("class "), (name, cls)
    for imp in facts["imports"]:
        assert at(imp).startswith(("import", "from")), imp
    for reg in facts["registrations"]:
        span = "\n".join(lines[reg["line"] - 1:reg["end_line"]])
        assert "register_for_auto_class" in span, reg


FIXTURE_FILES = sorted(p for p in (ROOT / "tests" / "fixtures").rglob("*.py"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(ROOT / "tests" / "fixtures")))
def test_fixture_modules(path):
    text = path.read_text(encoding="utf-8")
    if extract(text)["syntax_error"]:  # a broken fixture: both readers must reject it
        assert "error" in parse(text)
        return
    assert_same_facts(text)


def test_benchmark_modeling_file(tmp_path):
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "modeling_tiny.py"
    path.write_text((ROOT / "tests/fixtures/custom/custom_model/modeling_tiny.py").read_text(encoding="utf-8"), encoding="utf-8")
    bench.grow_modeling_file(path)
    facts = assert_same_facts(path.read_text(encoding="utf-8"))
    assert len(facts["classes"]) > 150


def test_installed_transformers_modeling_files():
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("transformers is not installed")
    models = Path(list(spec.submodule_search_locations)[0]) / "models"
    files = sorted(models.glob("*/modeling_*.py"))
    for path in random.Random(11).sample(files, min(6, len(files))):
        text = path.read_text(encoding="utf-8")
        if len(text) < 150_000:  # libcst takes seconds on the largest ones
            assert_same_facts(text)


# -- synthetic modules ------------------------------------------------------------------------
STATEMENTS = [
    "import torch",
    "import os.path as osp, sys",
    "from transformers import PretrainedConfig, PreTrainedModel as Base",
    "from .layers import MLP",
    "from ..up import thing",
    "from . import helpers",
    "from .pkg.mod import *",
    "X = Y = 1",
    "a, b = 1, 2",
    "ANN: int = 3",
    "ONLY_ANN: str",
    "counter += 1",
    "XConfig.register_for_auto_class()",
    'XModel.register_for_auto_class("AutoModelForCausalLM")',
    "pkg.Cls.register_for_auto_class(auto_class=AutoX)",
    "get().register_for_auto_class(*names)",
    'x.register_for_auto_class(first=1, **kw)',
    "print(f'{XModel.register_for_auto_class()}')",
    "del X",
    "lambda: Z.register_for_auto_class('AutoTokenizer')",
    "\uff38Alias = 1",
]
CLASS_BODIES = [
    'model_type = "x-net"',
    'model_type = "x" "-net"',
    "config_class = XConfig",
    "config_class = configuration_x.XConfig",
    'config: "XConfig"',
    "config: XConfig",
    'base_model_prefix = "model"',
    '_no_split_modules = ["Block", "Layer"]',
    "_no_split_modules = [*OTHER]",
    '_no_split_modules = ("a", 1)',
    "attributes = [\"image_processor\", \"tokenizer\"]",
    'tokenizer_class = None',
    "tokenizer_class = True",
    'slow_tokenizer_class: str = "Slow"',
    "model_type = b'bytes'",
    "model_type = f'{x}'",
    "x = y = 'multi'",
    "def method(self):\n    import numpy\n    return 1",
    "def method2(self):\n    return 2",
    "class Inner(Base):\n    model_type = 'inner'",
]
WRAPPERS = [
    "if TYPE_CHECKING:\n{body}",
    "if typing.TYPE_CHECKING:\n{body}\nelse:\n{body}",
    "try:\n{body}\nexcept ImportError:\n{body}",
    "try:\n{body}\nexcept* ValueError:\n    pass\nfinally:\n{body}",
    "if is_torch_available():\n{body}",
    "if utils.is_flash_attn_2_available() and x:\n{body}\nelif other:\n{body}",
    "if x:\n{body}",
    "def helper():\n{body}",
    "async def helper2():\n{body}",
    "with ctx() as c:\n{body}",
    "for i in range(3):\n{body}\nelse:\n{body}",
    "while False:\n{body}",
    "match value:\n    case 1:\n{body2}\n    case _:\n{body2}",
    "@decorator(XModel.register_for_auto_class())\ndef decorated():\n{body}",
]


def _class(rng: random.Random, name: str) -> str:
    bases = rng.choice(["PretrainedConfig", "transformers.PreTrainedModel", "Base, Mixin", "*bases", "Generic[T]", "", "a().b"])
    body = "\n".join(rng.sample(CLASS_BODIES, rng.randint(1, 5)))
    return f"class {name}({bases}):\n" + textwrap.indent(body, "    ")


def _block(rng: random.Random, depth: int) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.35:
            parts.append(rng.choice(STATEMENTS))
        elif roll < 0.6:
            parts.append(_class(rng, rng.choice(["XConfig", "XModel", "\uff38Config", "Other"])))
        elif depth < 3:
            wrapper = rng.choice(WRAPPERS)
            inner = _block(rng, depth + 1)
            parts.append(wrapper.format(body=textwrap.indent(inner, "    "), body2=textwrap.indent(inner, "        ")))
        else:
            parts.append("pass")
    return "\n".join(parts)


@pytest.mark.parametrize("seed", range(60))
def test_synthetic_modules(seed):
    rng = random.Random(seed)
    text = "from typing import TYPE_CHECKING\n" + _block(rng, 0) + "\n"
    ast.parse(text)  # valid syntax (symtable rules such as `import *` in a function aside)
    assert_same_facts(text)


def test_one_line_bodies_and_semicolons():
    assert_same_facts(
        "class A(B): model_type = 'a'; config_class = C\n"
        "def f(): import os; X.register_for_auto_class()\n"
        "if TYPE_CHECKING: import typing_only; from . import t\n"
        "try: import maybe\nexcept Exception: import fallback\n"
    )
