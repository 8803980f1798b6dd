"""Read one transformers module with ``ast``: what it binds at import time (never executed).

Module-level statements are walked the way they run, with every optional dependency
available: both branches of ``if``, every part of ``try`` (body, handlers, ``else``,
``finally``), ``with`` and loop bodies.  ``if TYPE_CHECKING:`` bodies do not run: their
names are kept apart (``type_checking``), because a lazy ``__init__`` mirrors its lazy
structure there.  Function and class bodies are not entered.

A package ``__init__`` that replaces itself with ``_LazyModule(...)`` is *lazy*; its lazy
structure is recorded (``Lazy``): the ``_import_structure`` dict literal and its updates
(``[k] = [...]``, ``[k].extend/append(...)``, ``[k] += [...]``, a comprehension over
``dir(dummy_module)`` meaning that module's public names), ``define_import_structure(...)``
calls (which folder, which prefix) and the ``extra_objects`` keys.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

# module-level decorator on a def/class that makes ``define_import_structure`` export it
_REQUIRES = "requires"


@dataclass
class Lazy:
    structure: dict[str, list[str]] = field(default_factory=dict)  # submodule (relative) -> names
    dummy_keys: list[str] = field(default_factory=list)  # submodules filled with the public names of dir(module)
    dis: list[tuple[str, str | None]] = field(default_factory=list)  # define_import_structure: (subdir, prefix)
    extra_objects: list[str] = field(default_factory=list)


@dataclass
class Facts:
    bound: set[str] = field(default_factory=set)           # names bound by statements that run
    all_names: list[str] | None = None                     # literal __all__ (with += / extend)
    stars: list[tuple[int, str]] = field(default_factory=list)  # (level, module) of `from m import *`
    type_checking: set[str] = field(default_factory=set)   # bound only under `if TYPE_CHECKING:`
    tc_stars: list[tuple[int, str]] = field(default_factory=list)
    open: bool = False                                      # module-level __getattr__ (not deprecate_attr)
    requires: set[str] = field(default_factory=set)        # @requires-decorated top-level defs/classes
    lazy: Lazy | None = None
    str_dicts: dict[str, dict[str, str]] = field(default_factory=dict)  # NAME = {"k": "v", ...} literals


def _str(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _strs(node) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        out = [_str(e) for e in node.elts]
        return None if any(s is None for s in out) else out
    return None


def _target_names(t, out: set[str]) -> None:
    if isinstance(t, ast.Name):
        out.add(t.id)
    elif isinstance(t, (ast.Tuple, ast.List)):
        for e in t.elts:
            _target_names(e, out)
    elif isinstance(t, ast.Starred):
        _target_names(t.value, out)


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _dir_comprehension(node) -> str | None:
    """``[n for n in dir(mod) if not n.startswith("_")]`` -> "mod" (a module bound by import)."""
    if isinstance(node, ast.ListComp) and len(node.generators) == 1:
        it = node.generators[0].iter
        if (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "dir"
                and len(it.args) == 1 and isinstance(it.args[0], ast.Name)):
            return it.args[0].id
    return None


def _decorator_name(d) -> str | None:
    if isinstance(d, ast.Call):
        d = d.func
    if isinstance(d, ast.Name):
        return d.id
    if isinstance(d, ast.Attribute):
        return d.attr
    return None


class _Scanner:
    def __init__(self, facts: Facts):
        self.f = facts
        self.structure_var = "_import_structure"
        self.lazy_calls: list[ast.Call] = []
        self.dis_calls: dict[str, ast.Call] = {}  # var = define_import_structure(...)

    # -- statements -------------------------------------------------------------------------
    def body(self, stmts, tc: bool) -> None:
        for s in stmts:
            self.stmt(s, tc)

    def bind(self, name: str, tc: bool) -> None:
        (self.f.type_checking if tc else self.f.bound).add(name)

    def stmt(self, s, tc: bool) -> None:
        f = self.f
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.bind(s.name, tc)
            if s.name == "__getattr__" and not tc and not isinstance(s, ast.ClassDef):
                f.open = True
            if any(_decorator_name(d) == _REQUIRES for d in s.decorator_list):
                f.requires.add(s.name)
        elif isinstance(s, ast.Import):
            for a in s.names:
                self.bind(a.asname or a.name.split(".")[0], tc)
        elif isinstance(s, ast.ImportFrom):
            for a in s.names:
                if a.name == "*":
                    (f.tc_stars if tc else f.stars).append((s.level, s.module or ""))
                else:
                    self.bind(a.asname or a.name, tc)
        elif isinstance(s, ast.Assign):
            for t in s.targets:
                names: set[str] = set()
                _target_names(t, names)
                for n in names:
                    self.bind(n, tc)
                self.assign(t, s.value, tc)
        elif isinstance(s, ast.AnnAssign):
            # `x: int` without a value binds nothing (only an annotation)
            if isinstance(s.target, ast.Name) and s.value is not None:
                self.bind(s.target.id, tc)
                self.assign(s.target, s.value, tc)
        elif isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Name):
                self.bind(s.target.id, tc)
                if s.target.id == "__all__" and f.all_names is not None and (more := _strs(s.value)) is not None:
                    f.all_names.extend(more)
            self.structure_update(s, tc)
        elif isinstance(s, ast.Expr):
            self.expr_stmt(s.value, tc)
        elif isinstance(s, ast.If):
            if _is_type_checking(s.test):
                self.body(s.body, True)
                self.body(s.orelse, tc)
            else:
                self.body(s.body, tc)
                self.body(s.orelse, tc)
        elif isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            self.body(s.body, tc)
            for h in s.handlers:
                if h.name:
                    self.bind(h.name, tc)
                self.body(h.body, tc)
            self.body(s.orelse, tc)
            self.body(s.finalbody, tc)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                if item.optional_vars is not None:
                    names = set()
                    _target_names(item.optional_vars, names)
                    for n in names:
                        self.bind(n, tc)
            self.body(s.body, tc)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            names = set()
            _target_names(s.target, names)
            for n in names:
                self.bind(n, tc)
            self.body(s.body, tc)
            self.body(s.orelse, tc)
        elif isinstance(s, ast.While):
            self.body(s.body, tc)
            self.body(s.orelse, tc)
        elif isinstance(s, ast.Delete):
            for t in s.targets:
                if isinstance(t, ast.Name) and not tc:
                    f.bound.discard(t.id)
        elif type(s).__name__ == "Match":
            for case in s.cases:
                self.body(case.body, tc)

    # -- assignments that matter ---------------------------------------------------------------
    def assign(self, target, value, tc: bool) -> None:
        f = self.f
        if isinstance(target, ast.Name):
            if target.id == "__getattr__" and not tc:
                self.module_getattr(value)
            if target.id == "__all__" and not tc:
                f.all_names = _strs(value) if _strs(value) is not None else f.all_names
            if isinstance(value, ast.Dict):
                pairs = {_str(k): _str(v) for k, v in zip(value.keys, value.values) if k is not None}
                if pairs and None not in pairs and None not in pairs.values():
                    f.str_dicts[target.id] = pairs
            if target.id == self.structure_var and isinstance(value, ast.Dict):
                lazy = self.lazy()
                for k, v in zip(value.keys, value.values):
                    key = _str(k) if k is not None else None
                    if key is not None:
                        self.structure_value(lazy, key, v)
            if isinstance(value, ast.Call) and _call_name(value) == "define_import_structure":
                self.dis_calls[target.id] = value
        elif isinstance(target, ast.Subscript):
            # sys.modules[__name__] = _LazyModule(...)
            if isinstance(value, ast.Call) and _call_name(value) == "_LazyModule":
                self.lazy_calls.append(value)
            elif self.is_structure(target.value):
                key = _str(target.slice)
                if key is not None:
                    self.structure_value(self.lazy(), key, value)

    def module_getattr(self, value) -> None:
        """``__getattr__ = deprecate_attr(__name__, remove={...}, rename={...})`` (5.x) serves the
        keys of those dicts (with a FutureWarning) and raises AttributeError for the rest; any
        other module-level ``__getattr__`` makes the module open."""
        if isinstance(value, ast.Call) and _call_name(value) == "deprecate_attr":
            for kw in value.keywords:
                if kw.arg in ("remove", "rename") and isinstance(kw.value, ast.Dict) \
                        and all(_str(k) is not None for k in kw.value.keys):
                    self.f.bound.update(_str(k) for k in kw.value.keys)
                else:
                    self.f.open = True
        else:
            self.f.open = True

    def is_structure(self, node) -> bool:
        return isinstance(node, ast.Name) and node.id == self.structure_var

    def lazy(self) -> Lazy:
        if self.f.lazy is None:
            self.f.lazy = Lazy()
        return self.f.lazy

    def structure_value(self, lazy: Lazy, key: str, value) -> None:
        names = _strs(value)
        lazy.structure.setdefault(key, [])
        if names is not None:
            lazy.structure[key].extend(names)
        elif _dir_comprehension(value) is not None:
            lazy.dummy_keys.append(key)

    def structure_update(self, s: ast.AugAssign, tc: bool) -> None:
        t = s.target
        if isinstance(t, ast.Subscript) and self.is_structure(t.value) and (key := _str(t.slice)) is not None:
            self.structure_value(self.lazy(), key, s.value)

    def expr_stmt(self, e, tc: bool) -> None:
        # _import_structure["k"].extend([...]) / .append("x"); _import_structure.setdefault / update
        if not isinstance(e, ast.Call) or not isinstance(e.func, ast.Attribute):
            return
        owner, meth = e.func.value, e.func.attr
        if isinstance(owner, ast.Subscript) and self.is_structure(owner.value) and (key := _str(owner.slice)):
            lazy = self.lazy()
            lazy.structure.setdefault(key, [])
            if meth == "extend" and e.args and (names := _strs(e.args[0])) is not None:
                lazy.structure[key].extend(names)
            elif meth == "append" and e.args and (name := _str(e.args[0])) is not None:
                lazy.structure[key].append(name)
        elif isinstance(owner, ast.Name) and owner.id == "__all__" and self.f.all_names is not None:
            if meth == "extend" and e.args and (names := _strs(e.args[0])) is not None:
                self.f.all_names.extend(names)
            elif meth == "append" and e.args and (name := _str(e.args[0])) is not None:
                self.f.all_names.append(name)

    # -- after the walk ---------------------------------------------------------------------------
    def finish(self) -> None:
        f = self.f
        if not self.lazy_calls:
            f.lazy = None  # an _import_structure dict that is never handed to _LazyModule
            return
        lazy = self.lazy()
        for call in self.lazy_calls:
            args = list(call.args)
            struct = args[2] if len(args) > 2 else _kwarg(call, "import_structure")
            if isinstance(struct, ast.Call) and _call_name(struct) == "define_import_structure":
                lazy.dis.append(_dis_target(struct))
            elif isinstance(struct, ast.Name) and struct.id in self.dis_calls:
                lazy.dis.append(_dis_target(self.dis_calls[struct.id]))
            extra = _kwarg(call, "extra_objects")
            if isinstance(extra, ast.Dict):
                lazy.extra_objects.extend(k for k in (_str(k) for k in extra.keys if k is not None) if k)
        # 5.x top level: `import_structure[frozenset({})].update(_import_structure)` merges the dict:
        # nothing to do, the dict literal is already in `structure`.


def _call_name(call: ast.Call) -> str | None:
    fn = call.func
    return fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None


def _kwarg(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _dis_target(call: ast.Call) -> tuple[str, str | None]:
    """define_import_structure(_file) -> ("", None);
    define_import_structure(Path(__file__).parent / "models", prefix="models") -> ("models", "models")."""
    subdir = ""
    arg = call.args[0] if call.args else None
    parts = []
    while isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Div):
        s = _str(arg.right)
        if s is not None:
            parts.insert(0, s)
        arg = arg.left
    subdir = "/".join(parts)
    prefix = _kwarg(call, "prefix")
    return subdir, _str(prefix) if prefix is not None else None


def scan_source(source: bytes | str) -> Facts | None:
    """Facts of one module's source, or None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    facts = Facts()
    sc = _Scanner(facts)
    sc.body(tree.body, False)
    sc.finish()
    return facts
