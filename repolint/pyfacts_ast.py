"""Module facts from the stdlib ``ast`` tree (CPython's own parser, the one transformers' exec uses).

One iterative pass: no recursion, so no nesting that CPython accepts can overflow it. Only
the statements the rules read are visited: module-level statements and class bodies; a
function body is entered only when its lines mention ``import`` or
``register_for_auto_class`` (the only facts recorded inside functions). Identifiers come
NFKC-normalised from the parser, as Python binds them.

The facts inside function bodies, and every position, are this pass's. The declarations
outside them are libcst's (repolint.pyfacts_skeleton hands it the skeleton this walk
records); the walk records them too, for their positions and as the fallback when libcst
must not read the text. tests/test_pyfacts_equivalence.py checks that both agree.
"""

from __future__ import annotations

import ast
import bisect

CLASS_ATTRS = (
    "model_type",
    "config_class",
    "base_model_prefix",
    "_no_split_modules",
    "attributes",
    "tokenizer_class",
    "image_processor_class",
    "feature_extractor_class",
    "video_processor_class",
    "slow_tokenizer_class",
)
REGISTER = "register_for_auto_class"
MAX_LITERAL_DEPTH = 32  # a class attribute nested deeper is no name or list of names
TRY, AVAILABILITY, TYPE_CHECKING = 1, 2, 4
_GUARD_BITS = {"availability": AVAILABILITY, "type_checking": TYPE_CHECKING}
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRIES = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def literal(node, depth: int = 0):
    """A JSON-able value for string / list-of-string / None / name literals, else None."""
    if isinstance(node, ast.Starred):  # libcst reads a starred element's value
        node = node.value
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            return {"str": value}
        if value is None:
            return {"none": True}
        if value is True or value is False:
            return {"ref": str(value)}
        return None
    if isinstance(node, ast.Name):
        return {"ref": node.id}
    if isinstance(node, ast.Attribute):
        return {"ref": dotted(node)}
    if isinstance(node, (ast.List, ast.Tuple)) and depth < MAX_LITERAL_DEPTH:
        items = []
        for el in node.elts:
            lit = literal(el, depth + 1)
            if lit is None:
                return None
            items.append(lit)
        return {"list": items}
    return None


def guard_kind(test) -> str | None:
    """transformers' check_imports skips `if is_flash_attn*_available()` and `if <import_utils fn>()`."""
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            last = (dotted(node.func) or "").rsplit(".", 1)[-1]
            if last.startswith("is_") and last.endswith("_available"):
                return "availability"
        stack.extend(ast.iter_child_nodes(node))
    if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or dotted(test) == "typing.TYPE_CHECKING":
        return "type_checking"
    return None


def auto_class_argument(items, literal=literal) -> tuple[str | None, bool]:
    """(auto_class, explicit) from a register_for_auto_class call's (value, keyword) arguments
    in source order: the first positional (or starred, or **) argument, or auto_class=."""
    for value, keyword in items:
        if keyword is not None and keyword != "auto_class":
            continue
        lit = literal(value)
        if lit and "str" in lit:
            return lit["str"], True
        if lit and lit.get("ref"):
            return lit["ref"].rsplit(".", 1)[-1], True
        return None, True
    return None, False


class Walker:
    """Adds one ast tree's facts to ``facts``, except the imports and registrations inside
    function bodies, which go to ``inner``. ``candidates`` are the line numbers that mention
    ``import`` or ``register_for_auto_class``, ``registers`` those that mention the latter.
    With a ``skeleton`` (repolint.pyfacts_skeleton.Skeleton), the statements outside function
    bodies are also handed to it, which records what libcst need not read."""

    def __init__(self, facts: dict, candidates: list[int], registers: list[int], inner: dict, skeleton=None):
        self.facts = facts
        self.inner = inner
        self.candidates = candidates
        self.registers = registers
        self.skeleton = skeleton

    @staticmethod
    def _pos(node) -> dict:
        return {"line": node.lineno, "column": node.col_offset + 1,
                "end_line": node.end_lineno, "end_column": node.end_col_offset + 1}

    @staticmethod
    def _mentions(lines: list[int], first: int, last: int) -> bool:
        i = bisect.bisect_left(lines, first)
        return i < len(lines) and lines[i] <= last

    def walk(self, tree: ast.Module) -> None:
        names = self.facts["names"]
        skeleton = self.skeleton
        stack = [(stmt, True, 0, False) for stmt in reversed(tree.body)]
        if skeleton is not None:
            skeleton.block(tree.body, False)
        while stack:
            stmt, top, guards, inner = stack.pop()  # inner: inside a function body
            bind = top and not guards & TYPE_CHECKING
            outer = skeleton is not None and not inner
            kind = type(stmt)
            if kind is ast.Import or kind is ast.ImportFrom:
                self._import(stmt, top, guards, inner)
                continue
            if kind is ast.ClassDef:
                if top:
                    self._class(stmt, guards)
                exprs = [*stmt.decorator_list, *stmt.bases, *stmt.keywords]
                blocks = [(stmt.body, False, guards)]
                if outer:
                    skeleton.header(exprs)
            elif kind in _FUNCS:
                if bind:
                    names.setdefault(stmt.name, "def")
                exprs = [*stmt.decorator_list, stmt.args, stmt.returns]
                enter = self._mentions(self.candidates, stmt.body[0].lineno, stmt.end_lineno)
                blocks = [(stmt.body, False, guards)] if enter else []
                if outer:
                    skeleton.function(stmt)
            else:
                if bind and kind is ast.Assign:
                    for t in stmt.targets:
                        if isinstance(t, ast.Name):
                            names.setdefault(t.id, "assign")
                elif bind and kind is ast.AnnAssign and isinstance(stmt.target, ast.Name):
                    names.setdefault(stmt.target.id, "assign")
                exprs, blocks = self._parts(stmt, top, guards)
                if outer:
                    skeleton.statement(stmt, bool(blocks), exprs)
            self._registrations(exprs, inner)
            inner = inner or kind in _FUNCS
            for body, btop, bguards in reversed(blocks):
                if not inner and skeleton is not None:
                    skeleton.block(body, kind is ast.ClassDef)
                stack.extend((s, btop, bguards, inner) for s in reversed(body))

    def _parts(self, stmt, top: bool, guards: int):
        """The expressions of a statement and its blocks (statement lists, with their guards)."""
        exprs, blocks = [], []
        for field in stmt._fields:
            value = getattr(stmt, field)
            if field not in _BLOCK_FIELDS:
                exprs.append(value)
            elif field == "handlers":
                for h in value:
                    exprs.append(h.type)
                    blocks.append((h.body, top, guards))
            elif field == "cases":
                for case in value:
                    exprs.append(case.guard)
                    blocks.append((case.body, top, guards))
            elif field == "body" and isinstance(stmt, ast.If):
                blocks.append((value, top, guards | _GUARD_BITS.get(guard_kind(stmt.test), 0)))
            elif field == "body" and isinstance(stmt, _TRIES):
                blocks.append((value, top, guards | TRY))
            else:
                blocks.append((value, top, guards))
        return exprs, blocks

    def _import(self, stmt, top: bool, guards: int, inner: bool) -> None:
        if isinstance(stmt, ast.Import):
            entries = [("import", a.name, 0, [[a.name, a.asname]]) for a in stmt.names]
        else:
            entries = [("from", stmt.module or "", stmt.level, [[a.name, a.asname] for a in stmt.names])]
        pos = self._pos(stmt)
        imports = (self.inner if inner else self.facts)["imports"]
        for kind, module, level, names in entries:
            imports.append({
                "kind": kind, "module": module, "level": level, "names": names,
                "guarded": bool(guards & (TRY | AVAILABILITY)),
                "type_checking": bool(guards & TYPE_CHECKING),
                "top": top, **pos,
            })
            if top and not guards & TYPE_CHECKING:
                for name, asname in names:
                    if name != "*":
                        self.facts["names"].setdefault(asname or name.split(".")[0], "import")

    def _class(self, node: ast.ClassDef, guards: int) -> None:
        attrs: dict = {}
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                # transformers 5 reads a model's config class from the annotation `config: XConfig`
                if isinstance(stmt.target, ast.Name) and stmt.target.id == "config":
                    if self.skeleton is not None:
                        self.skeleton.attribute(stmt)
                    lit = literal(stmt.annotation)
                    if lit is not None and "config_class" not in attrs:
                        attrs["config_class"] = {**lit, **self._pos(stmt.annotation)}
                continue
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
            elif isinstance(stmt, ast.AnnAssign):
                target = stmt.target
            else:
                continue
            if isinstance(target, ast.Name) and target.id in CLASS_ATTRS:
                if self.skeleton is not None:
                    self.skeleton.attribute(stmt)
                lit = literal(stmt.value)
                if lit is not None:
                    attrs[target.id] = {**lit, **self._pos(stmt.value)}
        classes = self.facts["classes"]
        type_checking = bool(guards & TYPE_CHECKING)
        # a later class of the same name replaces the earlier one, as in Python; one that
        # exists only for type checkers (`if TYPE_CHECKING:`) never replaces a real one
        if not (type_checking and node.name in classes and not classes[node.name]["type_checking"]):
            bases = [dotted(b.value if isinstance(b, ast.Starred) else b) or "?" for b in node.bases]
            classes[node.name] = {"bases": bases, "attrs": attrs, "type_checking": type_checking,
                                  "line": node.lineno, "column": node.col_offset + 1}
        if not type_checking:
            self.facts["names"][node.name] = "class"

    def _registrations(self, exprs, inner: bool) -> None:
        if not self.registers:
            return
        stack = list(exprs)
        found = []
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
                continue
            if not isinstance(node, ast.AST):
                continue
            first = getattr(node, "lineno", None)
            if first is not None and not self._mentions(self.registers, first, node.end_lineno):
                continue
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == REGISTER:
                items = [(a, None) for a in node.args] + [(k.value, k.arg) for k in node.keywords]
                items.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
                auto, explicit = auto_class_argument(items)
                found.append({"target": dotted(node.func.value), "auto_class": auto, "explicit": explicit,
                              **self._pos(node)})
            stack.extend(ast.iter_child_nodes(node))
        found.sort(key=lambda r: (r["line"], r["column"]))
        (self.inner if inner else self.facts)["registrations"].extend(found)
