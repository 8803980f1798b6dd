"""The skeleton of a module: the part of its text that libcst, the parser of record, reads.

The code rules read declarations: classes, their bases and a few class attributes, imports,
module-level names and ``register_for_auto_class`` calls. repolint.pyfacts hands libcst not
the module but this skeleton of it, with every part no such fact comes from cut out:
- a function keeps its decorators (each cut to ``...``) and ``def name(): ...``; its signature
  and body are cut. What a body holds (imports, registrations, pyusage's facts) comes from
  CPython's ast pass, which reads every body anyway;
- an assignment keeps its targets; its value (and annotation) becomes ``...``, except for the
  class attributes the rules read (CLASS_ATTRS, ``config: XConfig``) of a top-level class;
- every other simple statement (docstrings, calls, ``del``, ...) becomes ``...``;
- a statement whose lines mention ``register_for_auto_class`` is kept whole, and so is the
  header of a compound statement (``if`` tests decide TYPE_CHECKING / availability guards).
Each cut that spans lines ends in backslash continuations, so the skeleton has the module's
line count and every kept statement stays on its line.

The cuts come from the ast tree of the same text (its positions count UTF-8 bytes), and so do
the guards that keep text libcst would choke on away from it: every expression that stays
must be at most MAX_DEPTH deep (libcst's time grows with the square of the depth), their
squared depths must sum to at most DEPTH_BUDGET, and the skeleton of a slice must be at most
MAX_CHARS long (libcst needs ~500 bytes of memory per character). When a guard says no, the
module's facts come from the ast pass alone (the same facts; see tests/test_pyfacts_equivalence.py).
"""

from __future__ import annotations

import ast
import bisect
import re

MAX_DEPTH = 48
DEPTH_BUDGET = 200_000
MAX_CHARS = 256 * 1024  # transformers 5.23: skeletons are 15% of their modules, 20 KB at the most
TOTAL_CHARS = 1024 * 1024  # all slices of one module together (libcst: ~6 s a MiB of decorators)
_NEWLINE = re.compile(rb"\n")
# `def name` / `async def name` as written (a non-ASCII name is raw UTF-8 bytes here)
_DEF = re.compile(rb"(?:async[ \t\f]+)?def[ \t\f]+[A-Za-z_\x80-\xff][\w\x80-\xff]*")
_DEF_CUT = object()  # a function from `def` to its end: `def name(): ...` remains
_DROP = object()  # a statement no fact comes from, alone on its lines: blank lines remain
_ALWAYS_KEPT = (ast.ClassDef, ast.Import, ast.ImportFrom, ast.If, ast.For, ast.AsyncFor, ast.While, ast.With,
             ast.AsyncWith, ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()),
             *((ast.Match,) if hasattr(ast, "Match") else ()))
_ELLIPSIS = b"..."


def _span(first, last) -> tuple[int, int, int, int, bool]:
    """Where a cut from ``first`` to ``last`` lies; the flag: it starts at the ``@`` before that
    position (the first decorator of a decorated statement, whose own position is its def)."""
    decorators = getattr(first, "decorator_list", None)
    start = decorators[0] if decorators else first
    return start.lineno, start.col_offset, last.end_lineno, last.end_col_offset, bool(decorators)


def depth(node, limit: int) -> int:
    """The depth of an ast subtree, counted up to limit + 1 (iteratively)."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        if d > deepest:
            deepest = d
            if d > limit:
                break
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(n))
    return deepest


class Skeleton:
    """Cuts recorded while repolint.pyfacts_ast.Walker walks one slice of a module (the
    statements outside function bodies); ``build`` applies them to the slice's text."""

    def __init__(self, registers: list[int], offset: int):
        self.registers = registers  # lines (of the module) that mention register_for_auto_class
        self.offset = offset  # lines of the module before this slice
        self.cuts: list[tuple] = []  # (line, col, end line, end col, at @, replacement or _DEF_CUT, node)
        self.keep: set[int] = set()  # ids of class-attribute statements read by the rules
        self.drop: set[int] = set()  # ids of statements that leave nothing
        self.roots: list = []  # the ast expressions that stay: the guards measure them

    def _mentions(self, first: int, last: int) -> bool:
        i = bisect.bisect_left(self.registers, first)
        return i < len(self.registers) and self.registers[i] <= last

    def _cut(self, first, last, node=None) -> None:
        span = _span(first, last)
        if span[0] != span[2] or span[3] - span[1] > len(_ELLIPSIS):
            self.cuts.append((*span, _ELLIPSIS, node))

    def _header_lines(self, stmt) -> tuple[int, int]:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            decorators = stmt.decorator_list
            return (decorators[0].lineno if decorators else stmt.lineno), stmt.body[0].lineno
        return stmt.lineno, stmt.end_lineno

    def _leaves_nothing(self, stmt, in_class: bool) -> bool:
        """No fact comes from ``stmt``: in a class body, a method or an assignment the rules do
        not read; anywhere, a docstring, a call, ``del``, ``pass``, ... (not a name binding)."""
        if isinstance(stmt, _ALWAYS_KEPT) or id(stmt) in self.keep or self._mentions(*self._header_lines(stmt)):
            return False
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign, ast.AnnAssign)):
            return in_class
        return True

    # -- called by the Walker, for statements outside function bodies --------------------------
    def block(self, body: list, in_class: bool) -> None:
        """Before a block's statements: mark those that leave nothing (each alone on its lines),
        all but one if none would remain (a block is never empty)."""
        gone = []
        for i, stmt in enumerate(body):
            first, _ = self._header_lines(stmt)
            alone = (i == 0 or body[i - 1].end_lineno < first) and (i + 1 == len(body) or body[i + 1].lineno > stmt.end_lineno)
            if alone and self._leaves_nothing(stmt, in_class):
                gone.append(id(stmt))
        if gone and len(gone) == len(body):
            gone.pop(0)
        self.drop.update(gone)

    def attribute(self, stmt) -> None:
        """A class attribute of a top-level class that the rules read: kept whole."""
        self.keep.add(id(stmt))

    def header(self, exprs) -> None:
        """Expressions of a class or compound statement header: kept."""
        self.roots.extend(exprs)

    def function(self, stmt) -> None:
        """A function: gone (a method), ``def name(): ...`` (its name is bound), or, when its
        header may hold a registration, the header with the body cut."""
        if id(stmt) in self.drop:
            self.cuts.append((*_span(stmt, stmt), _DROP, stmt))
            return
        decorators = stmt.decorator_list
        if self._mentions(*self._header_lines(stmt)):
            self.roots += [*decorators, stmt.args, stmt.returns]
            self._cut(stmt.body[0], stmt.body[-1])
            return
        for d in decorators:
            self._cut(d, d)
        self.cuts.append((stmt.lineno, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset, False, _DEF_CUT, stmt))

    def statement(self, stmt, compound: bool, exprs) -> None:
        if id(stmt) in self.drop:
            self.cuts.append((*_span(stmt, stmt), _DROP, stmt))
        elif compound:
            self.roots.extend(exprs)
        elif id(stmt) in self.keep or self._mentions(stmt.lineno, stmt.end_lineno):
            self.roots.append(stmt)
        elif isinstance(stmt, ast.Assign):
            self.roots.extend(stmt.targets)
            self._cut(stmt.value, stmt.value)
        elif isinstance(stmt, ast.AnnAssign):
            self.roots.append(stmt.target)
            self._cut(stmt.annotation, stmt.annotation)
            if stmt.value is not None:
                self._cut(stmt.value, stmt.value)
        else:
            self._cut(stmt, stmt)

    # -- the text ------------------------------------------------------------------------------
    def build(self, source: str) -> tuple[str | None, str | None]:
        """(skeleton text, None), or (None, why libcst must not read it)."""
        data = source.encode("utf-8", "surrogatepass")
        starts = [0] + [m.end() for m in _NEWLINE.finditer(data)]
        base = self.offset + 1
        out, pos = [], 0
        for line, col, end_line, end_col, at, replacement, node in sorted(self.cuts, key=lambda c: (c[0], c[1])):
            if replacement is _DEF_CUT:
                m = _DEF.match(data, starts[line - base] + col)
                if m is None:  # unusual spacing in the header: keep it, cut the body only
                    line, col, _, _, at = _span(node.body[0], node.body[-1])
                    replacement = _ELLIPSIS
                    self.roots += [node.args, node.returns]
                else:
                    replacement = m.group() + b"(): ..."
            start = starts[line - base] + col
            if at:
                start = data.rfind(b"@", starts[line - base], start)
                if start < 0:
                    return None, f"a decorator at line {line} does not follow its @ on the same line"
            if start < pos:  # cuts never overlap; if they did, a body could be read twice
                return None, f"overlapping cuts at line {line}"
            end = starts[end_line - base] + end_col
            lines = data.count(b"\n", start, end)
            if replacement is _DROP:
                rest = data[end:data.find(b"\n", end) % (len(data) + 1)].strip()
                replacement = b"\n" * lines if not rest or rest.startswith(b"#") else _ELLIPSIS + b"\\\n" * lines
            else:
                replacement += b"\\\n" * lines
            out += [data[pos:start], replacement]
            pos = end
        out.append(data[pos:])
        if not data.endswith(b"\n"):
            out.append(b"\n")  # a continuation needs a line after it
        why = self._refuse()
        if why is not None:
            return None, why
        text = b"".join(out)
        if len(text) > MAX_CHARS:
            return None, f"its skeleton is larger than {MAX_CHARS >> 10} KiB"
        return text.decode("utf-8", "surrogatepass"), None

    def _refuse(self) -> str | None:
        budget = DEPTH_BUDGET
        roots = self.roots
        while roots:
            root = roots.pop()
            if isinstance(root, list):  # a statement's field: targets, with-items, ...
                roots.extend(root)
                continue
            if not isinstance(root, ast.AST):  # None, a type comment
                continue
            d = depth(root, MAX_DEPTH)
            if d > MAX_DEPTH:
                return f"an expression at line {getattr(root, 'lineno', '?')} is nested more than {MAX_DEPTH} deep"
            budget -= d * d
            if budget < 0:
                return "it holds too many deeply nested expressions"
        return None


# -- libcst's reading of the skeletons, with the ast pass's positions --------------------------
POSITION = ("line", "column", "end_line", "end_column")


def _position(fact: dict | None) -> dict:
    return {k: fact[k] for k in POSITION if k in fact} if fact else {}


def _value(fact: dict) -> dict:
    return {k: v for k, v in fact.items() if k not in POSITION}


def _where(fact: dict) -> tuple[int, int]:
    return fact.get("line", 0), fact.get("column", 0)


class Record:
    """The declarative facts of record: libcst reads each slice's skeleton (repolint.pyfacts
    calls ``skeleton`` and ``read`` per slice, then ``finish``). ``why`` says why libcst did not
    read the module (a guard, or libcst's own error): its facts then come from the ast pass."""

    def __init__(self, registers: list[int]):
        self.registers = registers
        self.facts: dict = {"classes": {}, "registrations": [], "imports": [], "names": {}}
        self.why: str | None = None
        self.spent = 0  # characters of skeleton libcst has read

    def skeleton(self, offset: int) -> Skeleton | None:
        return Skeleton(self.registers, offset) if self.why is None else None

    def read(self, skeleton: Skeleton, source: str) -> None:
        text, why = skeleton.build(source)
        if text is None:
            self.why = f"libcst was not used: {why}"
            return
        self.spent += len(text)
        if self.spent > TOTAL_CHARS:
            self.why = f"libcst was not used: the module's skeletons are larger than {TOTAL_CHARS >> 10} KiB in all"
            return
        try:
            import libcst

            from repolint.pyfacts_cst import extract

            extract(libcst.parse_module(text), self.facts, registrations=bool(self.registers))
        except Exception as exc:  # ParserSyntaxError, and a few other types on exotic input
            self.why = f"libcst could not read the module ({type(exc).__name__}: {str(exc)[:200]})"

    def finish(self, facts: dict, inner: dict) -> None:
        """Put libcst's facts, with the ast pass's positions, into ``facts`` (which holds the ast
        pass's own), and add the imports and registrations of function bodies (``inner``)."""
        if self.why is None:
            facts["classes"] = _classes(self.facts["classes"], facts["classes"])
            facts["names"] = self.facts["names"]
            for key in ("imports", "registrations"):
                facts[key] = _attach(self.facts[key], facts[key])
        for key in ("imports", "registrations"):
            facts[key] = sorted(facts[key] + inner[key], key=_where)
        facts["parser"] = {"name": "ast" if self.why else "libcst", "why": self.why}


def _classes(record: dict, found: dict) -> dict:
    out = {}
    for name, cls in record.items():
        seen = found.get(name)
        attrs = {}
        for attr, value in cls["attrs"].items():
            where = seen["attrs"].get(attr) if seen else None
            attrs[attr] = {**value, **_position(where)} if where and _value(where) == value else value
        out[name] = {**cls, "attrs": attrs, **({"line": seen["line"], "column": seen["column"]} if seen else {})}
    return out


def _attach(record: list[dict], found: list[dict]) -> list[dict]:
    """Each fact of ``record`` with the position of an equal fact in ``found`` (in turn)."""
    import json

    unused: dict[str, list[dict]] = {}
    for fact in reversed(found):
        unused.setdefault(json.dumps(_value(fact), sort_keys=True), []).append(fact)
    out = []
    for fact in record:
        same = unused.get(json.dumps(fact, sort_keys=True))
        out.append({**fact, **_position(same.pop())} if same else fact)
    return out
