"""The base config class of one release, read with ``ast`` from its wheel (never imported).

``config_attrs``: every attribute a default ``PretrainedConfig()`` / ``PreTrainedConfig()``
instance has, following the class and its bases (resolved through the module's imports):
class-level names (methods, properties, class attributes, dataclass fields), every
``self.X = ...`` / ``setattr(self, "X", ...)`` in any method, and ``setattr(self, v, ...)``
inside ``for v in <dict or list literal>`` loops, where the literal may be returned by a
function (4.x: ``self._get_global_generation_defaults()``).  The huggingface_hub ``@strict``
decorator adds ``validate``.  The base ``attribute_map`` is ``{}`` in every scanned release,
so aliases add nothing.  Dunder names are left out.

``generation_params_popped``: the names of a ``for v in <literal>: kwargs.pop(v, ...)`` loop whose
pop result is discarded (5.x pops ``GenerationConfig._get_default_generation_params()``);
4.x stores them instead (``setattr(self, v, kwargs.pop(v, default))``), so none are popped.
"""

from __future__ import annotations

import ast
import zipfile

from .surface import ROOT

_DECORATOR_ADDS = {"strict": {"validate"}}  # huggingface_hub.dataclasses.strict sets cls.validate
_BASE_NAMES = ("PreTrainedConfig", "PretrainedConfig")


class _Wheel:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.names = set(zf.namelist())
        self.trees: dict[str, ast.Module | None] = {}

    def tree(self, module: str) -> ast.Module | None:
        if module not in self.trees:
            base = module.replace(".", "/")
            for path in (base + ".py", base + "/__init__.py"):
                if path in self.names:
                    self.trees[module] = ast.parse(self.zf.read(path))
                    break
            else:
                self.trees[module] = None
        return self.trees[module]

    def find_class(self, module: str, name: str, depth: int = 0) -> tuple[str, ast.ClassDef] | None:
        """The class ``name`` as seen from ``module`` (defined there or imported into it)."""
        tree = self.tree(module)
        if tree is None or depth > 8:
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == name:
                return module, node
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if (a.asname or a.name) == name:
                        return self.find_class(_absolute(module, node, self), a.name, depth + 1)
        return None


def _absolute(module: str, node: ast.ImportFrom, wheel: _Wheel) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    is_pkg = module.replace(".", "/") + "/__init__.py" in wheel.names
    base = parts if is_pkg else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _literal_keys(expr, module: str, cls: ast.ClassDef | None, wheel: _Wheel) -> list[str] | None:
    """Keys of a dict literal / items of a list literal that ``expr`` evaluates to, if static."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("keys", "items") \
            and not expr.args:
        return _literal_keys(expr.func.value, module, cls, wheel)
    if isinstance(expr, ast.Dict):
        keys = [k.value for k in expr.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        return keys if len(keys) == len(expr.keys) else None
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        items = [e.value for e in expr.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return items if len(items) == len(expr.elts) else None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):  # self.f() / Cls.f()
        owner, meth = expr.func.value, expr.func.attr
        found = None
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls") and cls is not None:
            found = (module, cls)
        elif isinstance(owner, ast.Name):
            found = wheel.find_class(module, owner.id)
        if found is not None:
            for node in found[1].body:
                if isinstance(node, ast.FunctionDef) and node.name == meth:
                    for ret in ast.walk(node):
                        if isinstance(ret, ast.Return) and ret.value is not None:
                            return _literal_keys(ret.value, found[0], found[1], wheel)
    if isinstance(expr, ast.Name):
        tree = wheel.tree(module)
        for node in tree.body if tree else ():
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets):
                return _literal_keys(node.value, module, None, wheel)
    return None


def _loop_var(target) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Tuple) and target.elts and isinstance(target.elts[0], ast.Name):
        return target.elts[0].id
    return None


def _deco_name(d) -> str:
    d = d.func if isinstance(d, ast.Call) else d
    return d.id if isinstance(d, ast.Name) else d.attr if isinstance(d, ast.Attribute) else ""


def _self_attrs(fn: ast.FunctionDef, module: str, cls: ast.ClassDef, wheel: _Wheel) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(fn):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self" \
                        and isinstance(sub.ctx, ast.Store):
                    out.add(sub.attr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" \
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == "self":
            key = node.args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                out.add(key.value)
        if isinstance(node, (ast.For, ast.AsyncFor)) and (var := _loop_var(node.target)):
            sets_var = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "setattr"
                           and len(c.args) >= 2 and isinstance(c.args[0], ast.Name) and c.args[0].id == "self"
                           and isinstance(c.args[1], ast.Name) and c.args[1].id == var
                           for stmt in node.body for c in ast.walk(stmt))
            if sets_var:
                out |= set(_literal_keys(node.iter, module, cls, wheel) or ())
    return out


def _class_attrs(module: str, cls: ast.ClassDef, wheel: _Wheel, seen: set) -> set[str]:
    if (module, cls.name) in seen:
        return set()
    seen.add((module, cls.name))
    out: set[str] = set()
    decorators = {_deco_name(d) for d in cls.decorator_list}
    dataclass = "dataclass" in decorators
    for name in decorators:
        out |= _DECORATOR_ADDS.get(name, set())
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(node.name)
            out |= _self_attrs(node, module, cls, wheel)
        elif isinstance(node, ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                out |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.value is not None or dataclass:
                out.add(node.target.id)
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id != "object":
            found = wheel.find_class(module, base.id)
            if found is not None:
                out |= _class_attrs(found[0], found[1], wheel, seen)
    return out


def _base_config(wheel: _Wheel) -> tuple[str, ast.ClassDef] | None:
    module = f"{ROOT}.configuration_utils"
    tree = wheel.tree(module)
    for node in tree.body if tree else ():
        if isinstance(node, ast.ClassDef) and node.name in _BASE_NAMES:
            return module, node
    return None


def config_attrs(wheel: _Wheel) -> set[str]:
    found = _base_config(wheel)
    if found is None:
        return set()
    attrs = _class_attrs(found[0], found[1], wheel, set())
    return {a for a in attrs if not (a.startswith("__") and a.endswith("__"))}


def generation_params_popped(wheel: _Wheel) -> set[str]:
    found = _base_config(wheel)
    if found is None:
        return set()
    module, cls = found
    out: set[str] = set()
    for node in ast.walk(cls):
        if isinstance(node, (ast.For, ast.AsyncFor)) and (var := _loop_var(node.target)):
            discards = any(isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                           and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "pop"
                           and isinstance(stmt.value.func.value, ast.Name) and stmt.value.func.value.id == "kwargs"
                           and stmt.value.args and isinstance(stmt.value.args[0], ast.Name)
                           and stmt.value.args[0].id == var
                           for stmt in node.body)
            if discards:
                out |= set(_literal_keys(node.iter, module, cls, wheel) or ())
    return out


def read_config(wheel_path: str) -> tuple[set[str], set[str]]:
    """(config_attrs, generation_params_popped) of one release's wheel."""
    with zipfile.ZipFile(wheel_path) as zf:
        w = _Wheel(zf)
        return config_attrs(w), generation_params_popped(w)
