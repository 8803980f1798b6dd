"""How a repo module *uses* transformers at run time, read from the stdlib ``ast`` tree.

pyfacts records what a module declares (classes, imports, registrations); this module records
what its code does when it runs, for the version-compatibility and remote-code rules:

* ``config_reads``: ``config.<attr>`` / ``self.config.<attr>`` loads and two-argument
  ``getattr(config, "<attr>")`` calls, with the enclosing class and function, and whether the
  same function also probes the attribute (``hasattr(config, "x")`` or ``getattr`` with a
  default), which makes a missing attribute harmless;
* ``config_writes``: attributes the code assigns on a config object (``config.x = ...``);
* ``classes``: per top-level class, what it provides as attributes (class-level assignments,
  annotations and methods, ``self.x = ...`` in its methods, keywords it passes to
  ``super().__init__``), whether its ``__init__`` calls ``self.post_init()``, the ``self.x``
  attributes its ``__init__`` first sets after calling the base ``__init__`` (``late_attrs``), the
  ``self.x`` names each method reads (``self_reads``), and the literal form of ``_tied_weights_keys``;
* ``calls``: calls whose callee comes from an import, resolved through it (``sp.run`` ->
  ``subprocess.run``), calls of a few builtins (``eval``, ``exec``, ``open``, ...) and any call
  passing ``trust_remote_code``, with whether the first argument is a string literal, the
  first three positional arguments' literal values (None when not a short literal), the
  literal keyword arguments and every keyword's name;
* ``subscripts``: ``<...>.rope_scaling["type"]`` style reads of a config dict by a literal key;
* what the code hands on as ``config`` (``config_sites``, ``config_scopes``, ...: see pyflow).

The walk is iterative (an explicit stack), so deeply nested code cannot exhaust the
recursion limit. Everything is plain JSON for the facts cache.
"""

from __future__ import annotations

import ast

_CONFIG_NAMES = frozenset({"config"})
# builtins whose calls are recorded (other calls only when their callee comes from an import)
_BUILTIN_CALLS = frozenset({"eval", "exec", "compile", "open", "__import__", "breakpoint", "input"})


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _is_config_obj(node) -> bool:
    """``config`` / ``cfg`` or ``self.config`` / ``self.cfg``."""
    if isinstance(node, ast.Name):
        return node.id in _CONFIG_NAMES
    return (
        isinstance(node, ast.Attribute)
        and node.attr in _CONFIG_NAMES
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def _via(node) -> str:
    """How a read reaches the config: ``name`` (``config``) or ``self`` (``self.config``)."""
    return "name" if isinstance(node, ast.Name) else "self"


def _pos(node) -> dict:
    return {"line": node.lineno, "column": node.col_offset + 1,
            "end_line": getattr(node, "end_lineno", None), "end_column": (getattr(node, "end_col_offset", None) or 0) + 1}


def _str_const(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin for absolute imports anywhere in the module."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    out.setdefault(top, top)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for a in node.names:
                if a.name != "*":
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _class_info(node: ast.ClassDef) -> dict:
    provides: set[str] = set()
    class_level: set[str] = set()
    # open: the class sets attributes whose names the code computes (setattr(self, k, v),
    # self.__dict__.update(...)), so what it provides cannot be listed
    info: dict = {"line": node.lineno, "provides": [], "open": False, "init": None, "tied_weights_keys": None}
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            provides.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    provides.add(t.id)
                    class_level.add(t.id)
                    if t.id == "_tied_weights_keys":
                        info["tied_weights_keys"] = {"form": _form(stmt.value), **_pos(stmt.value)}
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            provides.add(stmt.target.id)
            if stmt.value is not None:
                class_level.add(stmt.target.id)
            if stmt.target.id == "_tied_weights_keys" and stmt.value is not None:
                info["tied_weights_keys"] = {"form": _form(stmt.value), **_pos(stmt.value)}
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "attribute_map" for t in stmt.targets):
            if isinstance(stmt.value, ast.Dict):
                provides.update(k for k in map(_str_const, stmt.value.keys) if k)
    for stmt in node.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        calls_post_init = calls_super_init = False
        for sub in ast.walk(stmt):
            if isinstance(sub, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                for t in targets:
                    for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                        if isinstance(el, ast.Attribute) and isinstance(el.value, ast.Name) and el.value.id == "self":
                            provides.add(el.attr)
            elif isinstance(sub, ast.Call):
                callee = _dotted(sub.func) or ""
                if callee == "setattr" and sub.args and isinstance(sub.args[0], ast.Name) and sub.args[0].id == "self":
                    name = _str_const(sub.args[1]) if len(sub.args) > 1 else None
                    if name:
                        provides.add(name)
                    else:
                        info["open"] = True
                if callee == "self.__dict__.update":
                    info["open"] = True
                if callee.endswith(".post_init") and callee.split(".")[0] == "self":
                    calls_post_init = True
                is_super = (isinstance(sub.func, ast.Attribute) and sub.func.attr == "__init__"
                            and isinstance(sub.func.value, ast.Call) and _dotted(sub.func.value.func) == "super")
                is_base = isinstance(sub.func, ast.Attribute) and sub.func.attr == "__init__" and sub.args[:1] and \
                    isinstance(sub.args[0], ast.Name) and sub.args[0].id == "self"
                if is_super or is_base:
                    calls_super_init = True
                    provides.update(k.arg for k in sub.keywords if k.arg)
        if stmt.name == "__init__":
            info["init"] = {"line": stmt.lineno, "column": stmt.col_offset + 1,
                            "calls_post_init": calls_post_init, "calls_super_init": calls_super_init,
                            "late_attrs": _late_attrs(stmt, class_level)}
        reads = sorted({n.attr for n in ast.walk(stmt) if isinstance(n, ast.Attribute)
                        and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name) and n.value.id == "self"})
        if reads:
            info.setdefault("self_reads", {})[stmt.name] = reads
    info["provides"] = sorted(provides)
    return info


def _is_super_init(call) -> bool:
    """``super().__init__(...)`` or ``Base.__init__(self, ...)``."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "__init__"):
        return False
    if isinstance(call.func.value, ast.Call) and _dotted(call.func.value.func) == "super":
        return True
    return bool(call.args) and isinstance(call.args[0], ast.Name) and call.args[0].id == "self"


def _late_attrs(init, class_level: set) -> list:
    """``self.x = ...`` assignments of ``__init__`` that come after its first super().__init__()
    call, for names neither assigned before it nor set in the class body: during the base
    ``__init__`` those attributes do not exist yet (a tokenizer's get_vocab run by the base fails)."""
    calls = [n.lineno for n in ast.walk(init) if _is_super_init(n)]
    if not calls:
        return []
    first = min(calls)
    before, late = set(), {}
    for sub in ast.walk(init):
        if isinstance(sub, (ast.Assign, ast.AnnAssign)):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            for t in targets:
                for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                    if isinstance(el, ast.Attribute) and isinstance(el.value, ast.Name) and el.value.id == "self":
                        if sub.lineno < first:
                            before.add(el.attr)
                        elif el.attr not in late or sub.lineno < late[el.attr]["line"]:
                            late[el.attr] = {"name": el.attr, **_pos(el)}
    return [v for k, v in sorted(late.items()) if k not in before and k not in class_level]


def _is_literal(node) -> bool:
    return isinstance(node, ast.Constant) and (
        node.value is None or isinstance(node.value, (bool, int, float)) or (isinstance(node.value, str) and len(node.value) <= 300)
    )


def _literal(node):
    """A short literal argument's value (str, number, bool, None); None for anything else."""
    return node.value if _is_literal(node) else None


def _form(value) -> str:
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return "list"
    if isinstance(value, ast.Dict):
        return "dict"
    if isinstance(value, ast.Constant) and value.value is None:
        return "none"
    return "other"


def collect(tree: ast.Module) -> dict:
    from repolint.pyflow import collect_flow  # pyflow uses this module's helpers

    aliases = _aliases(tree)
    classes = {n.name: _class_info(n) for n in tree.body if isinstance(n, ast.ClassDef)}
    reads: list[dict] = []
    writes: set[str] = set()
    calls: list[dict] = []
    subscripts: list[dict] = []
    probes: dict[tuple, set[str]] = {}  # (class, function) -> attrs probed with hasattr / getattr(default)
    annotations: dict[tuple, str] = {}  # (class, function) -> the class its `config` parameter is annotated with

    # iterative walk carrying the enclosing (class, function)
    stack: list[tuple[ast.AST, str | None, str | None]] = [(tree, None, None)]
    while stack:
        node, cls, func = stack.pop()
        if isinstance(node, ast.ClassDef):
            inner_cls, inner_func = (node.name if cls is None and func is None else cls), func
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner_cls, inner_func = cls, (getattr(node, "name", "<lambda>") if func is None else func)
            if func is None and not isinstance(node, ast.Lambda):
                for a in node.args.args + node.args.kwonlyargs:
                    if a.arg in _CONFIG_NAMES and a.annotation is not None:
                        # a string annotation ("XConfig") counts as the name it holds
                        ann = _str_const(a.annotation) or _dotted(a.annotation)
                        if ann:
                            annotations[(cls, node.name)] = ann.split(".")[-1]
        else:
            inner_cls, inner_func = cls, func
        scope = (cls, func)
        if isinstance(node, ast.Attribute) and _is_config_obj(node.value):
            if isinstance(node.ctx, ast.Load):
                reads.append({"attr": node.attr, "kind": "attr", "class": cls, "function": func, "via": _via(node.value), **_pos(node)})
            else:
                writes.add(node.attr)
        elif isinstance(node, ast.Call):
            callee = _dotted(node.func)
            if callee in ("getattr", "hasattr") and len(node.args) >= 2 and _is_config_obj(node.args[0]):
                name = _str_const(node.args[1])
                if name:
                    if callee == "getattr" and len(node.args) == 2 and not node.keywords:
                        reads.append({"attr": name, "kind": "getattr", "class": cls, "function": func,
                                      "via": _via(node.args[0]), **_pos(node)})
                    else:
                        probes.setdefault(scope, set()).add(name)
            elif callee == "setattr" and len(node.args) >= 2 and _is_config_obj(node.args[0]):
                name = _str_const(node.args[1])
                if name:
                    writes.add(name)
            head, _, rest = (callee or "").partition(".")
            remote = any(k.arg == "trust_remote_code" for k in node.keywords)
            if head in aliases or head in _BUILTIN_CALLS or remote:
                if callee:
                    full = aliases.get(head, head) + (f".{rest}" if rest else "")
                else:  # e.g. self.load()(...) or get_cls().from_pretrained(...)
                    full = "?." + node.func.attr if isinstance(node.func, ast.Attribute) else "?"
                first = node.args[0] if node.args else None
                calls.append({"name": full, "arg0_str": isinstance(first, ast.Constant) and isinstance(first.value, (str, bytes)),
                              "args": [_literal(a) for a in node.args[:3]],
                              "kwargs": {k.arg: _literal(k.value) for k in node.keywords if k.arg and _is_literal(k.value)},
                              "kw_names": [k.arg for k in node.keywords if k.arg],
                              "class": cls, "function": func, **_pos(node)})
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = _str_const(node.slice)
            base = node.value
            if key is not None and isinstance(base, ast.Attribute) and _is_config_obj(base.value):
                subscripts.append({"attr": base.attr, "key": key, "class": cls, "function": func, **_pos(node)})
        for child in ast.iter_child_nodes(node):
            stack.append((child, inner_cls, inner_func))

    for r in reads:
        r["probed"] = r["attr"] in probes.get((r["class"], r["function"]), ())
        # what `config` is declared to be: the function's own parameter, else (self.config) the class's __init__'s
        ann = annotations.get((r["class"], r["function"])) or annotations.get((r["class"], "__init__"))
        if ann:
            r["config_type"] = ann
    reads.sort(key=lambda r: (r["line"], r["column"]))
    calls.sort(key=lambda c: (c["line"], c["column"]))
    subscripts.sort(key=lambda s: (s["line"], s["column"]))
    return {"config_reads": reads, "config_writes": sorted(writes), "classes": classes,
            "calls": calls, "subscripts": subscripts, **collect_flow(tree)}
