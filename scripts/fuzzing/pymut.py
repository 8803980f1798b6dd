"""Python mutations of the custom-code modules auto_map names: nesting depth (parens,
lists, dicts, calls, lambdas, blocks), long sums and attribute chains, huge files of
ordinary code, blank lines, NUL bytes, encodings, and the syntax at the edges."""

from __future__ import annotations

import random

from fuzzing.case import Case

CONFIG_MODULE = '''from transformers import PretrainedConfig


class FzConfig(PretrainedConfig):
    model_type = "fz"

    def __init__(self, hidden_size=8, **kwargs):
        self.hidden_size = hidden_size
        super().__init__(**kwargs)
'''
MODEL_MODULE = '''from transformers import PreTrainedModel

from .configuration_fz import FzConfig


class FzModel(PreTrainedModel):
    config_class = FzConfig

    def __init__(self, config):
        super().__init__(config)
        self.hidden = config.hidden_size

    def forward(self, x):
        return x
'''
# (name, pattern of one nesting level around {}), the depth picked from DEPTHS
NESTINGS = [
    ("parens", "({})"), ("list", "[{}]"), ("dict", "{{1: {}}}"), ("call", "f({})"), ("lambda", "lambda: {}"),
    ("subscript", "a[{}]"), ("unary", "-{}"), ("not", "not {}"), ("tuple", "({},)"), ("set", "{{{}}}"),
    ("await", "await {}"), ("starred-call", "f(*{})"), ("fstring", 'f"{{{}}}"'), ("ternary", "1 if {} else 0"),
]
DEPTHS = [20, 50, 99, 100, 150, 199, 200, 201, 300, 1000, 2000, 5000]
LENGTHS = [100, 1000, 2000, 5000, 20_000, 100_000]


def expression(rng: random.Random, case: Case, limit: int) -> str:
    op = rng.randrange(6)
    if op <= 2:
        name, pattern = rng.choice(NESTINGS)
        depth = min(rng.choice(DEPTHS), limit)
        text = "x"
        for _ in range(depth):
            text = pattern.format(text)
        case.note(f"python: {name} nested {depth} deep")
        return text
    length = min(rng.choice(LENGTHS), limit * 10)
    if op == 3:
        joiner = rng.choice([" + ", " and ", " < ", " | ", " if c else ", ", ", " @ "])
        case.note(f"python: {length}-term chain {joiner.strip()!r}")
        return "(" + joiner.join(f"a{i % 50}" for i in range(length)) + ")"
    if op == 4:
        case.note(f"python: attribute chain of {length}")
        return "a" + ".b" * length
    case.note(f"python: call chain of {length}")
    return "a" + "().b" * length + "()"


def blocks(rng: random.Random, case: Case) -> str:
    """Statements nested as blocks: if/for/while/with/try/def/class, up to and past the
    100 levels of indentation CPython allows."""
    depth = rng.choice([10, 50, 99, 100, 101, 150])
    kind = rng.choice(["if x:", "for i in y:", "while x:", "with x:", "try:", "def f():", "class C:"])
    lines = [" " * i + kind for i in range(depth)] + [" " * depth + "pass"]
    case.note(f"python: {depth} nested {kind.split()[0]} blocks")
    return "\n".join(lines) + "\n"


def statement(rng: random.Random, case: Case, limit: int) -> str:
    op = rng.randrange(18)
    if op <= 5:
        return f"VALUE = {expression(rng, case, limit)}\n"
    if op == 6:
        return blocks(rng, case)
    if op == 7:
        n = rng.choice([100, 1000, 10_000])
        case.note(f"python: {n} decorators")
        return "@d\n" * n + "def g():\n    pass\n"
    if op == 8:
        n = rng.choice([1000, 10_000, 100_000])
        case.note(f"python: {n} blank or comment lines")
        return rng.choice(["\n", "    \n", "# c\n", "\t\n", " \x0c\n"]) * n
    if op == 9:
        case.note("python: TYPE_CHECKING-only class")
        return "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    class FzModel:\n        pass\n"
    if op == 10:
        case.note("python: relative imports, circular and missing")
        return "from .modeling_fz import *\nfrom .configuration_fz import FzConfig\nfrom .missing_fz import X\nfrom ..up import Y\nfrom . import tiny_layers\n"
    if op == 11:
        n = rng.choice([1000, 20_000])
        case.note(f"python: {n} import lines")
        return "".join(f"import pkg{i}\n" for i in range(n))
    if op == 12:
        size = rng.choice([10_000, 1_000_000])
        case.note(f"python: string literal of {size}")
        return f"S = {'x' * size!r}\n"
    if op == 13:
        case.note("python: int literal over 4300 digits")
        return "N = " + "9" * 5000 + "\n"
    if op == 14:
        case.note("python: suppression comments")
        return "x = 1  # repolint: ignore[RL607, nonsense, ]\n# repolint: ignore[\n" + "y = 2  # repolint: ignore[RL999]\n" * 100
    if op == 15:
        case.note("python: unusual syntax")
        return rng.choice([
            "match x:\n    case {'a': [1, *_]}:\n        pass\n", "type X = int\n", "(y := 1)\n",
            "def f[T](x: T) -> T: return x\n", "print 'py2'\n", "exec('import os')\n", "x = yield\n",
            "class ＦzModel(PreTrainedModel):\n    pass\n", "async def f():\n    return [i async for i in x]\n",
            "global x\n", "del x\n", "x: int\n", "lambda: (yield)\n", "__import__('os')\n",
        ])
    if op == 16:
        case.note("python: mixed tabs and spaces")
        return "if x:\n\tif y:\n        pass\n"
    case.note("python: class with many methods")
    return "class Big:\n" + "".join(f"    def m{i}(self):\n        return self.m{i - 1}()\n" for i in range(rng.choice([100, 3000])))


def grow(rng: random.Random, text: str, target: int, case: Case) -> str:
    """Repeat ordinary code until the module is about ``target`` bytes."""
    unit = "\n\n" + text.replace("class ", "class Copy{n}")
    out, n = [text], 0
    size = len(text)
    while size < target:
        chunk = unit.replace("{n}", str(n))
        out.append(chunk)
        size += len(chunk)
        n += 1
    case.note(f"python: grown to {size // 1024} KB of ordinary code")
    return "".join(out)


def mutate_module(rng: random.Random, name: str, text: str, case: Case, max_bytes: int, limit: int) -> bytes:
    """One mutation of a module's source; returns the bytes written."""
    op = rng.randrange(10)
    if op <= 4:
        lines = text.split("\n")
        at = rng.randrange(len(lines) + 1)
        indent = ""
        if at and lines[at - 1].startswith("    ") and rng.random() < 0.5:
            indent = "    "  # inside a class or function body
        new = "".join(indent + line + "\n" for line in statement(rng, case, limit).split("\n")[:-1])
        text = "\n".join(lines[:at]) + "\n" + new + "\n".join(lines[at:])
    elif op == 5:
        sizes = [s for s in (50_000, 370_000, 1_000_000, 1_900_000, 8_000_000) if s <= max_bytes]
        text = grow(rng, text, rng.choice(sizes), case)
    elif op == 6:
        data = text.encode("utf-8")
        at = rng.randrange(len(data) + 1)
        junk = rng.choice([b"\x00", b"\xe9", b"\xff\xfe", b"\r", b"\x0c", b"\xef\xbb\xbf", b"\\\n", b'"""', b"("])
        case.note(f"python {name}: inserted {junk!r} at {at}")
        return data[:at] + junk + data[at:]
    elif op == 7:
        case.note(f"python {name}: coding cookie latin-1 with a latin-1 byte")
        return b"# -*- coding: latin-1 -*-\n" + text.encode("utf-8") + b"\nNAME = '\xe9'\n"
    elif op == 8:
        at = rng.randrange(len(text) + 1)
        case.note(f"python {name}: truncated at {at}")
        text = text[:at]
    else:
        case.note(f"python {name}: CR or CRLF line ends")
        text = text.replace("\n", rng.choice(["\r", "\r\n"]))
    return text.encode("utf-8", "surrogatepass")
