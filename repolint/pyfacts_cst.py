"""Module facts read with libcst, the parser of record for the declarations the rules read.

``extract`` reads a parsed libcst Module: in-process, the skeleton of a module that CPython
parsed (repolint.pyfacts_skeleton; its guards keep deep or huge text away); and, through
``main()`` in a child process with a memory limit and a timeout, a whole module that this
Python's parser rejects (libcst reads the syntax of every Python version, so a module that
only a newer Python accepts keeps its facts). The walk here is iterative and records the same
facts as repolint.pyfacts_ast (tests/test_pyfacts_equivalence.py checks it on the fixtures,
transformers' modeling files and synthetic modules); identifiers are NFKC-normalised, as
Python binds them. No positions: those come from the ast tree.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import unicodedata
import warnings

from repolint.pyfacts_ast import AVAILABILITY, CLASS_ATTRS, MAX_LITERAL_DEPTH, REGISTER, TRY, TYPE_CHECKING, auto_class_argument

# comments and string literals, which the token-level estimates below skip
_SKIPPED = (
    r"#[^\n]*"
    r"|[rRbBuUfFtT]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\")"
)
_BRACKETS = re.compile(_SKIPPED + r"|[()\[\]{}]", re.S)


def nesting(text: str) -> int:
    """The deepest bracket nesting outside strings and comments (a token-level estimate)."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        c = m.group()
        if c in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]}":
            depth = max(0, depth - 1)
    return deepest


_LINKS = re.compile(
    _SKIPPED
    + r"|[()\[\]{},;\n]"
    r"|\.(?=[ \t]*[^\W\d])"  # an attribute access (not a float's point)
    r"|\*\*|//|<<|>>|[-+*/%@&|^~<>]|[=!<>]=|\b(?:and|or|not|if|else|lambda|await|in|is)\b",
    re.S,
)


def longest_chain(text: str) -> int:
    """The longest run of operators, attribute accesses, calls and keywords such as ``not`` or
    ``lambda`` within one expression at one bracket depth (a token-level estimate): libcst's
    time grows with the square of it (2,000 ``.b`` ~1 s, 5,000 ~9 s), while a long flat list
    (commas) costs it nothing. Brackets open a new run inside; the run around them goes on."""
    runs = [0]
    longest = 0
    for m in _LINKS.finditer(text):
        tok = m.group()
        if tok[0] in "#'\"" or (len(tok) > 1 and tok[-1] in "'\"" and tok[0] not in "=!<>"):
            continue  # a comment or a string
        if tok in "([{":
            runs[-1] += 1  # a call or subscript is one more link of the outer run
            runs.append(0)
        elif tok in ")]}":
            if len(runs) > 1:
                runs.pop()
        elif tok in ",;":
            runs[-1] = 0
        elif tok == "\n":
            if len(runs) == 1:
                runs[0] = 0
        else:
            runs[-1] += 1
            if runs[-1] > longest:
                longest = runs[-1]
    return longest


def _id(name: str) -> str:
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


def dotted(node) -> str | None:
    import libcst as cst

    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(_id(node.attr.value))
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(_id(node.value))
    return ".".join(reversed(parts))


def _string(node) -> str | None:
    import libcst as cst

    parts, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.ConcatenatedString):
            stack += [n.right, n.left]
            continue
        if not isinstance(n, cst.SimpleString):
            return None  # an f-string
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = ast.literal_eval(n.value)
        except (ValueError, SyntaxError):
            return None
        if not isinstance(value, str):
            return None
        parts.append(value)
    return "".join(parts)


def literal(node, depth: int = 0):
    """A JSON-able value for string / list-of-string / None / name literals, else None."""
    import libcst as cst

    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = _string(node)
        return None if value is None else {"str": value}
    if isinstance(node, cst.Name):
        return {"none": True} if node.value == "None" else {"ref": _id(node.value)}
    if isinstance(node, cst.Attribute):
        return {"ref": dotted(node)}
    if isinstance(node, (cst.List, cst.Tuple)) and depth < MAX_LITERAL_DEPTH:
        items = []
        for el in node.elements:
            lit = literal(el.value, depth + 1)
            if lit is None:
                return None
            items.append(lit)
        return {"list": items}
    return None


# Fields that hold child nodes, per node type, in source order (a dataclass lists some out of
# order: a class's decorators after its body); whitespace, brackets and operators hold no call.
_ORDER = {
    "ClassDef": ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    "FunctionDef": ("decorators", "name", "type_parameters", "params", "returns", "body"),
    "IfExp": ("body", "test", "orelse"),
    "ExceptHandler": ("type", "name", "body"),
    "ExceptStarHandler": ("type", "name", "body"),
    "MatchCase": ("pattern", "guard", "body"),
    "Parameters": ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
_NO_CALLS = re.compile(r"whitespace|^(?:lpar|rpar|lbracket|rbracket|lbrace|rbrace|leading_lines|lines_after_decorators|"
                       r"header|footer|indent|comma|semicolon|colon|dot|equal|operator|separator|asynchronous|"
                       r"first_colon|second_colon|relative|start|end|encoding|default_indent|default_newline)$")
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    import dataclasses

    names = _FIELDS.get(kind)
    if names is None:
        listed = [f.name for f in dataclasses.fields(kind)]
        order = _ORDER.get(kind.__name__)
        if order is not None:
            listed = [n for n in order if n in listed] + [n for n in listed if n not in order]
        names = _FIELDS[kind] = tuple(n for n in listed if not _NO_CALLS.search(n))
    return names


def _descendants(node):
    """Every node under ``node`` (itself included) that may be or hold an expression, depth
    first, in source order. (libcst's ``children`` gives the same order at ten times the cost.)"""
    import libcst as cst

    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        found = []
        for name in _fields(type(n)):
            value = getattr(n, name)
            if isinstance(value, cst.CSTNode):
                found.append(value)
            elif isinstance(value, (tuple, list)):
                found.extend(v for v in value if isinstance(v, cst.CSTNode))
        stack.extend(reversed(found))


def guard_kind(test) -> str | None:
    import libcst as cst

    for n in _descendants(test):
        if isinstance(n, cst.Call):
            last = (dotted(n.func) or "").rsplit(".", 1)[-1]
            if last.startswith("is_") and last.endswith("_available"):
                return "availability"
    if (isinstance(test, cst.Name) and test.value == "TYPE_CHECKING") or (
            isinstance(test, cst.Attribute) and dotted(test) == "typing.TYPE_CHECKING"):
        return "type_checking"
    return None


def _statements(suite) -> list:
    import libcst as cst

    if suite is None:
        return []
    if isinstance(suite, cst.SimpleStatementSuite):
        return [suite]
    return list(suite.body)


def extract(module, facts: dict | None = None, registrations: bool = True) -> dict:
    """The facts of a parsed libcst Module, added to ``facts`` (a module read in slices shares
    one); ``registrations=False`` when the text does not mention register_for_auto_class."""
    if facts is None:
        facts = {"classes": {}, "registrations": [], "imports": [], "names": {}}
    if registrations:
        facts["registrations"] += _registrations(module)
    stack = [(s, True, 0) for s in reversed(module.body)]
    while stack:
        stmt, top, guards = stack.pop()
        blocks = _statement(facts, stmt, top, guards)
        for body, btop, bguards in reversed(blocks):
            stack.extend((s, btop, bguards) for s in reversed(body))
    return facts


def _statement(facts: dict, stmt, top: bool, guards: int) -> list:
    """Record one statement's facts; return its blocks as (statements, top, guards)."""
    import libcst as cst

    bind = top and not guards & TYPE_CHECKING
    if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        for small in stmt.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                _import(facts, small, top, guards)
            elif bind and isinstance(small, cst.Assign):
                for t in small.targets:
                    if isinstance(t.target, cst.Name):
                        facts["names"].setdefault(_id(t.target.value), "assign")
            elif bind and isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                facts["names"].setdefault(_id(small.target.value), "assign")
        return []
    if isinstance(stmt, cst.ClassDef):
        if top:
            _class(facts, stmt, guards)
        return [(_statements(stmt.body), False, guards)]
    if isinstance(stmt, cst.FunctionDef):
        if bind:
            facts["names"].setdefault(_id(stmt.name.value), "def")
        return [(_statements(stmt.body), False, guards)]
    if isinstance(stmt, cst.If):
        bit = {"availability": AVAILABILITY, "type_checking": TYPE_CHECKING}.get(guard_kind(stmt.test), 0)
        return [(_statements(stmt.body), top, guards | bit), ([stmt.orelse] if isinstance(stmt.orelse, cst.If) else
                                                             _statements(getattr(stmt.orelse, "body", None)), top, guards)]
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        blocks = [(_statements(stmt.body), top, guards | TRY)]
        blocks += [(_statements(h.body), top, guards) for h in stmt.handlers]
        for tail in (stmt.orelse, stmt.finalbody):
            blocks.append((_statements(getattr(tail, "body", None)), top, guards))
        return blocks
    if isinstance(stmt, cst.Match):
        return [(_statements(case.body), top, guards) for case in stmt.cases]
    # for / while / with: their bodies (and else:) at the same level
    blocks = [(_statements(stmt.body), top, guards)]
    orelse = getattr(stmt, "orelse", None)
    if orelse is not None:
        blocks.append((_statements(orelse.body), top, guards))
    return blocks


def _import(facts: dict, node, top: bool, guards: int) -> None:
    import libcst as cst

    if isinstance(node, cst.Import):
        entries = []
        for alias in node.names:
            full = dotted(alias.name)
            entries.append(("import", full, 0, [[full, _asname(alias)]]))
    else:
        if isinstance(node.names, cst.ImportStar):
            names = [["*", None]]
        else:
            names = [[dotted(alias.name), _asname(alias)] for alias in node.names]
        module = dotted(node.module) if node.module is not None else ""
        entries = [("from", module, len(node.relative), names)]
    for kind, module, level, names in entries:
        facts["imports"].append({
            "kind": kind, "module": module, "level": level, "names": names,
            "guarded": bool(guards & (TRY | AVAILABILITY)),
            "type_checking": bool(guards & TYPE_CHECKING),
            "top": top,
        })
        if top and not guards & TYPE_CHECKING:
            for name, asname in names:
                if name != "*":
                    facts["names"].setdefault(asname or name.split(".")[0], "import")


def _asname(alias) -> str | None:
    return _id(alias.asname.name.value) if alias.asname is not None else None


def _class(facts: dict, node, guards: int) -> None:
    import libcst as cst

    attrs: dict = {}
    for stmt in _statements(node.body):
        if not isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            continue
        for small in stmt.body:
            if isinstance(small, cst.AnnAssign) and small.value is None:
                # transformers 5 reads a model's config class from the annotation `config: XConfig`
                if isinstance(small.target, cst.Name) and _id(small.target.value) == "config":
                    lit = literal(small.annotation.annotation)
                    if lit is not None and "config_class" not in attrs:
                        attrs["config_class"] = lit
                continue
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign):
                target, value = small.target, small.value
            else:
                continue
            if isinstance(target, cst.Name) and _id(target.value) in CLASS_ATTRS:
                lit = literal(value)
                if lit is not None:
                    attrs[_id(target.value)] = lit
    name = _id(node.name.value)
    classes = facts["classes"]
    type_checking = bool(guards & TYPE_CHECKING)
    if not (type_checking and name in classes and not classes[name]["type_checking"]):
        bases = [dotted(a.value) or "?" for a in node.bases if a.keyword is None]
        classes[name] = {"bases": bases, "attrs": attrs, "type_checking": type_checking}
    if not type_checking:
        facts["names"][name] = "class"


def _registrations(module) -> list[dict]:
    import libcst as cst

    found = []
    for n in _descendants(module):
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and _id(n.func.attr.value) == REGISTER:
            items = [(literal(a.value), _id(a.keyword.value) if a.keyword is not None else None) for a in n.args]
            auto, explicit = auto_class_argument(items, literal=lambda lit: lit)
            found.append({"target": dotted(n.func.value), "auto_class": auto, "explicit": explicit})
    return found


def parse(text: str) -> dict:
    """{"facts": ...} or {"error": why} for a module's text."""
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return {"error": f"libcst: {exc.message} (line {exc.raw_line})"}
    except Exception as exc:  # libcst raises a few other types on exotic input
        return {"error": f"libcst: {type(exc).__name__}: {exc}"}
    try:
        return {"facts": extract(module)}
    except RecursionError:
        return {"error": "libcst: nested too deeply"}


def main(memory: int | None = None) -> None:
    """Child-process entry point: module text on stdin, {"facts"|"error": ...} JSON on stdout."""
    if memory:
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        except (ImportError, ValueError, OSError):
            pass
    text = sys.stdin.buffer.read().decode("utf-8", "surrogatepass")
    try:
        answer = parse(text)
    except MemoryError:
        answer = {"error": "libcst: out of memory"}
    sys.stdout.write(json.dumps(answer))
