"""Which object a module's code hands on as ``config``, read from the stdlib ``ast`` tree (for RL702).

Custom model code often builds its layers from objects that are not the model config: an options
dataclass built from it (``Block(Options(d_model=config.hidden_size))``), a sub-config
(``Vision(config.vision_config)``), an object built from scratch. Such classes may even annotate
their parameter with the model config class. What a layer's ``config.<attr>`` reads is decided by
what its callers pass, so this records, per scope (the enclosing top-level class and function, as
pyusage uses them):

* ``config_sites``: calls of a name the module defines or imports relatively (``Block(...)``,
  ``Block.build(...)``), of ``cls(...)``/``cls.m(...)``/``self.m(...)`` and of
  ``super().__init__(...)``, with what the arguments hand on: ``name`` (``config`` or a local alias
  of it), ``self`` (``self.config``), ``unknown`` (``*args``/``**kwargs``), or nothing;
* ``config_scopes``: functions whose ``config`` is a parameter (with its annotation), or is bound
  to something else (``config = self.config.text_config``: ``other``, with the class it calls when
  it is a constructor call), and top-level classes whose methods set ``self.config`` to something
  that is not their ``config`` (``self_other``);
* ``config_escapes``: module-level names used as values (``{"a": Block}``, ``partial(Block)``):
  they may be called with anything, so their callers are not all known;
* ``config_passed_elsewhere``: the names in calls through something else (``modeling_x.Block``,
  ``self.layers.append``) that hand the config on: a repo scope of that name may get it;
* ``methods`` per top-level class and top-level ``functions``.
"""

from __future__ import annotations

import ast

from repolint.pyusage import _dotted

_COPIES = frozenset({"deepcopy", "copy", "copy.deepcopy", "copy.copy"})


def _is_self_config(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "config" and isinstance(node.value, ast.Name) and node.value.id == "self"


def _hands_on(node, aliases: set) -> str | None:
    """``name`` / ``self`` when the expression is the config object (or a copy of it, or one arm
    of an ``or`` / conditional expression), else None. Iterative: operands may nest deeply."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if node.id in aliases:
                return "name"
        elif _is_self_config(node):
            return "self"
        elif isinstance(node, ast.Call) and _dotted(node.func) in _COPIES and node.args:
            stack.append(node.args[0])
        elif isinstance(node, ast.BoolOp):
            stack.extend(reversed(node.values))
        elif isinstance(node, ast.IfExp):
            stack.extend((node.orelse, node.body))
    return None


def _scopes(tree: ast.Module):
    """(class, function, node) of each top-level scope, as pyusage names them."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            for sub in stmt.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield stmt.name, sub.name, sub
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield None, stmt.name, stmt


class _Nodes:
    """What one walk of a subtree gathers for the flow: single-target assignments, calls, loaded
    names, annotation roots (annotations and class bases: names there are not uses) and the
    names relative imports bind. One walk per scope instead of one per question: on a
    1,400-line modeling file this pass was half of the whole usage pass."""

    __slots__ = ("assigns", "calls", "names", "annotations", "imported")

    def __init__(self, root):
        self.assigns: list = []
        self.calls: list = []
        self.names: list = []
        self.annotations: list = []
        self.imported: list = []
        for node in ast.walk(root):
            kind = type(node)
            if kind is ast.Name:
                if isinstance(node.ctx, ast.Load):
                    self.names.append(node)
            elif kind is ast.Call:
                self.calls.append(node)
            elif kind is ast.Assign:
                if len(node.targets) == 1:
                    self.assigns.append(node)
            elif kind is ast.arg:
                if node.annotation is not None:
                    self.annotations.append(node.annotation)
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                if node.returns is not None:
                    self.annotations.append(node.returns)
            elif kind is ast.AnnAssign:
                self.annotations.append(node.annotation)
            elif kind is ast.ClassDef:
                self.annotations.extend(node.bases)
            elif kind is ast.ImportFrom and node.level:
                self.imported.extend(a.asname or a.name for a in node.names if a.name != "*")


def _ids_within(roots) -> set[int]:
    return {id(n) for root in roots for n in ast.walk(root)}


def _scope_record(cls, name, fn, assigns) -> tuple[dict | None, set, bool]:
    """(record of what `config` is in the function, its aliases, whether it sets self.config otherwise)."""
    args = fn.args
    params = {a.arg: a for a in args.posonlyargs + args.args + args.kwonlyargs}
    record = None
    if "config" in params:
        ann = params["config"].annotation
        text = (ann.value if isinstance(ann, ast.Constant) and isinstance(ann.value, str) else _dotted(ann)) if ann else None
        record = {"class": cls, "function": name, "is": "param", "annotation": text.split(".")[-1] if text else None}
    aliases = {"config"}
    for _ in range(3):  # aliases of aliases
        for n in assigns:
            t = n.targets[0]
            if isinstance(t, ast.Name) and t.id != "config" and _hands_on(n.value, aliases):
                aliases.add(t.id)
    self_other = False
    for n in assigns:
        t = n.targets[0]
        if isinstance(t, ast.Name) and t.id == "config":
            kind = _hands_on(n.value, aliases)
            if kind == "self":
                record = {"class": cls, "function": name, "is": "self"}
            elif kind is None:
                ctor = _dotted(n.value.func) if isinstance(n.value, ast.Call) else None
                record = {"class": cls, "function": name, "is": "other", "ctor": ctor.split(".")[-1] if ctor else None}
        elif _is_self_config(t) and not _hands_on(n.value, aliases):
            self_other = True
    return record, aliases, self_other


def _callee(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr == "__init__" and isinstance(f.value, ast.Call) and _dotted(f.value.func) == "super":
        return "super().__init__"
    return _dotted(f)


def collect_flow(tree: ast.Module) -> dict:
    top = {s.name for s in tree.body if isinstance(s, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}
    scoped = [(cls, name, fn, _Nodes(fn)) for cls, name, fn in _scopes(tree)]
    # names used as values outside functions (a module-level or class-level table of classes, say)
    loose = [s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))]
    loose += [s for c in tree.body if isinstance(c, ast.ClassDef) for s in c.body
              if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    loose_nodes = [_Nodes(stmt) for stmt in loose]
    annotations = [b for c in tree.body if isinstance(c, ast.ClassDef) for b in c.bases]
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level:
            top.update(a.asname or a.name for a in stmt.names if a.name != "*")
    for nodes in [*(n for *_, n in scoped), *loose_nodes]:
        top.update(nodes.imported)
        annotations.extend(nodes.annotations)
    skipped = _ids_within(annotations)
    sites: list[dict] = []
    scopes: list[dict] = []
    escapes: set[str] = set()
    elsewhere: set[str] = set()
    for cls, name, fn, nodes in scoped:
        record, aliases, self_other = _scope_record(cls, name, fn, nodes.assigns)
        if record:
            scopes.append(record)
        if self_other and cls:
            scopes.append({"class": cls, "function": None, "is": "self_other"})
        called: set[int] = set()
        for node in nodes.calls:
            called.add(id(node.func))
            if isinstance(node.func, ast.Attribute):
                called.add(id(node.func.value))
            callee = _callee(node)
            if callee is None:
                continue
            passes = set()
            for a in node.args + [k.value for k in node.keywords]:
                if isinstance(a, ast.Starred):
                    passes.add("unknown")
                kind = _hands_on(a.value if isinstance(a, ast.Starred) else a, aliases)
                if kind:
                    passes.add(kind)
            if any(k.arg is None for k in node.keywords):
                passes.add("unknown")
            head, _, rest = callee.partition(".")
            if head in top or head in ("cls", "self") or callee == "super().__init__":
                sites.append({"callee": callee, "class": cls, "function": name, "passes": sorted(passes), "line": node.lineno})
            elif rest and passes:  # `modeling_x.Block(config)`: a repo name reached through a module
                elsewhere.update(rest.split("."))
        for node in nodes.names:
            if node.id in top and id(node) not in called and id(node) not in skipped:
                escapes.add(node.id)
    for nodes in loose_nodes:
        for node in nodes.names:
            if node.id in top and id(node) not in skipped:
                escapes.add(node.id)
    methods = {s.name: [m.name for m in s.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
               for s in tree.body if isinstance(s, ast.ClassDef)}
    functions = [s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return {"config_sites": sites, "config_scopes": scopes, "config_escapes": sorted(escapes),
            "config_passed_elsewhere": sorted(elsewhere),
            "methods": methods, "functions": functions}
