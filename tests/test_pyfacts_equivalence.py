"""libcst, the parser of record, reads each module's skeleton (repolint.pyfacts_skeleton:
function signatures and bodies, assignment values and other statements the rules do not read
are cut); the ast pass reads function bodies and gives positions. Their facts must be exactly
those of the ast pass alone (``extract(text, libcst=False)``, the fallback behind the guards)
and, positions aside, those of a full libcst parse of the module (repolint.pyfacts_cst, the
reader for syntax this Python rejects): on every Python file of the fixtures, on the
benchmark's generated modeling file, on installed transformers modeling files, and on seeded
synthetic modules that combine the constructs the rules read. Positions are checked against
the text they point at, and each test checks that libcst did read the module.
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
DECLARATIONS = ("classes", "registrations", "imports", "names")


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in POSITION_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def assert_same_facts(text: str) -> dict:
    record = extract(text)
    assert record["syntax_error"] is None and record["degraded"] is None
    assert record.pop("parser") == {"name": "libcst", "why": None}
    alone = extract(text, libcst=False)
    assert alone.pop("parser")["name"] == "ast"
    assert record == alone  # every fact, positions included
    full = parse(text)
    assert "facts" in full, full
    for key in DECLARATIONS:
        assert _strip(record[key]) == full["facts"][key], key
    _check_positions(text, record)
    return record


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
    if extract(text)["syntax_error"]:  # a broken fixture: every reader must reject it
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
    # shapes the skeleton cuts: multi-line values, code after a cut on its last line, headers
    "X = foo(\n    1,\n)  # trailing",
    "Y = (a +\n     b); import late",
    '"""Docstring\nover lines."""',
    "Z: Dict[str,\n       int] = {\n    'a': 1,\n}",
    "@decorator(\n    arg)  # c\ndef decorated2(x,\n               y=1) -> int:\n    return x; import inner_mod",
    "def one_liner(): return 1; import os2",
    "async def  spaced ():\n    pass",
    "def \\\n    continued(): import in_continued",
    "F = f'{a}' f\"b\"",
    "def \uff46\uff55\uff4c\uff4c(): pass",
    "def sig(x=XConfig.register_for_auto_class()):\n    return x",
    "def sig2(x=1):\n    Y.register_for_auto_class('AutoModel')",
    "for i in range(2): import loop_mod",
    "V = 1 if x else \\\n    2",
    "lam = lambda: (\n    1)",
    "del (a,\n     b)",
    "assert x, (\n    'message')",
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
    'model_type = (\n    "multi"\n    "line")',
    '_no_split_modules = [\n    "A",  # c\n    "B",\n]',
    "def m(self): return 1; import cls_inner",
    "@property\ndef prop(self):\n    return 1",
    "x = 1; model_type = 'semi'",
    "config: XConfig  # annotated",
    "attributes = \\\n    ['tokenizer']",
    '"""A class docstring\n    over lines."""',
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


@pytest.mark.parametrize("seed", range(5))
def test_synthetic_module_without_final_newline(seed):
    rng = random.Random(1000 + seed)
    text = "from typing import TYPE_CHECKING\n" + _block(rng, 0) + "\ndef last():\n    return 1"
    ast.parse(text)
    assert_same_facts(text)


def test_one_line_bodies_and_semicolons():
    assert_same_facts(
        "class A(B): model_type = 'a'; config_class = C\n"
        "def f(): import os; X.register_for_auto_class()\n"
        "if TYPE_CHECKING: import typing_only; from . import t\n"
        "try: import maybe\nexcept Exception: import fallback\n"
    )
