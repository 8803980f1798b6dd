"""Facts about a repo's Python modules, read with libcst — never imported, never executed.

One pass per file extracts what the code rules need: classes (bases, class attributes),
``register_for_auto_class`` calls, imports (with their guards), module-level names, the
relative imports transformers' own regex finds, and ``# repolint: ignore[...]`` comments.

Cost: libcst's PositionProvider triples the parse time (about 1 s on a 1,500-line module
here), so positions come from the stdlib ``ast`` parse of the same text (~20x cheaper),
matched to the libcst facts by name and order. Facts are plain JSON, cached by content
hash under the user cache dir and keyed by repolint's version, so an unchanged file is
parsed once.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import warnings
from pathlib import Path

from repolint import __version__

FACTS_FORMAT = 6  # bump whenever extract() changes what it records
# the regexes transformers' dynamic_module_utils.get_relative_imports applies, line by line
_REL_IMPORT = re.compile(r"^\s*import\s+\.(\S+)\s*$", re.MULTILINE)
_REL_FROM = re.compile(r"^\s*from\s+\.(\S+)\s+import", re.MULTILINE)
_SUPPRESS = re.compile(r"#\s*repolint:\s*ignore\[([^\]]*)\]")

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


def cache_dir() -> Path:
    env = os.environ.get("REPOLINT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "repolint"


def facts_for_text(text: str, use_cache: bool = True) -> dict:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    path = cache_dir() / f"facts-{__version__}-{FACTS_FORMAT}" / digest[:2] / f"{digest}.json"
    if use_cache:
        try:
            with open(path, encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            pass
    facts = extract(text)
    if use_cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(facts), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home is not an error; the next run parses again
    return facts


# -- extraction -----------------------------------------------------------------------------
def extract(text: str) -> dict:
    facts: dict = {
        "syntax_error": None,
        "classes": {},
        "registrations": [],
        "imports": [],
        "names": {},
        "relative_regex": _relative_regex(text),
        "suppressions": _suppressions(text),
    }
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        # Python's own parser points where the interpreter will (libcst may point further on)
        facts["syntax_error"] = _python_syntax_error(text) or {
            "message": exc.message, "line": exc.raw_line, "column": exc.raw_column + 1
        }
        return facts
    except Exception as exc:  # libcst raises a few other types on exotic input
        facts["syntax_error"] = {"message": f"{type(exc).__name__}: {exc}", "line": 1, "column": 1}
        return facts
    collector = _collector()
    module.visit(collector)
    facts["classes"] = collector.classes
    facts["registrations"] = collector.registrations
    facts["imports"] = collector.imports
    facts["names"] = collector.names
    tree = _add_positions(text, facts)
    if tree is not None:
        from repolint.pyusage import collect

        facts["usage"] = collect(tree)
    return facts


def _python_syntax_error(text: str) -> dict | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as exc:
        return {"message": exc.msg, "line": exc.lineno or 1, "column": exc.offset or 1}
    except ValueError as exc:  # NUL bytes
        return {"message": str(exc), "line": 1, "column": 1}
    return None


def _relative_regex(text: str) -> list[list]:
    found = []
    for rx in (_REL_IMPORT, _REL_FROM):
        for m in rx.finditer(text):
            found.append([m.group(1), text.count("\n", 0, m.start(1)) + 1])
    return sorted(found, key=lambda x: x[1])


def _suppressions(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if "repolint:" not in text:
        return out
    for lineno, line in enumerate(text.split("\n"), 1):  # physical lines, as ast counts them
        m = _SUPPRESS.search(line)
        if m:
            out[str(lineno)] = [c.strip() for c in m.group(1).split(",") if c.strip()]
    return out


def _dotted(node) -> str | None:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        left = _dotted(node.value)
        return f"{left}.{node.attr.value}" if left else None
    return None


def _literal(node):
    """A JSON-able value for string / list-of-string / None / Name literals, else None."""
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        try:
            return {"str": ast.literal_eval(node.value)}
        except (ValueError, SyntaxError):
            return None
    if isinstance(node, cst.ConcatenatedString):
        return None
    if isinstance(node, cst.Name):
        if node.value == "None":
            return {"none": True}
        return {"ref": node.value}
    if isinstance(node, cst.Attribute):
        return {"ref": _dotted(node)}
    if isinstance(node, (cst.List, cst.Tuple)):
        items = []
        for el in node.elements:
            lit = _literal(el.value)
            if lit is None:
                return None
            items.append(lit)
        return {"list": items}
    return None


def _guard_kind(test) -> str | None:
    """transformers' check_imports skips `if is_flash_attn*_available()` and `if <import_utils fn>()`."""
    import libcst as cst

    for node in _calls_in(test):
        name = _dotted(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if last.startswith("is_") and last.endswith("_available"):
            return "availability"
    if isinstance(test, cst.Name) and test.value == "TYPE_CHECKING":
        return "type_checking"
    if isinstance(test, cst.Attribute) and _dotted(test) == "typing.TYPE_CHECKING":
        return "type_checking"
    return None


def _calls_in(node):
    import libcst as cst

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Call):
            yield n
        stack.extend(n.children)


class _CollectorMixin:
    """The fact collector; combined with libcst.CSTVisitor by _collector() (libcst is imported
    lazily: JSON-only repos never pay for it)."""

    def __init__(self):
        self.classes: dict[str, dict] = {}
        self.registrations: list[dict] = []
        self.imports: list[dict] = []
        self.names: dict[str, str] = {}
        self._class_stack: list[str] = []
        self._func_depth = 0
        self._guards: list[str] = []  # "try" | "availability" | "type_checking"

    # scopes and guards
    def visit_FunctionDef(self, node):
        if not self._class_stack and not self._func_depth:
            self.names.setdefault(node.name.value, "def")
        self._func_depth += 1

    def leave_FunctionDef(self, node):
        self._func_depth -= 1

    def visit_Try(self, node):
        # transformers' check_imports drops every try: body, whatever the handler catches
        self._guards.append("try")
        for stmt in node.body.body:
            stmt.visit(self)
        self._guards.pop()
        for h in node.handlers:
            h.visit(self)
        if node.orelse is not None:
            node.orelse.visit(self)
        if node.finalbody is not None:
            node.finalbody.visit(self)
        return False

    def visit_If(self, node):
        kind = _guard_kind(node.test)
        self._guards.append(kind or "")
        for stmt in node.body.body:
            stmt.visit(self)
        self._guards.pop()
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    # classes
    def visit_ClassDef(self, node):
        name = node.name.value
        if not self._class_stack and not self._func_depth:
            bases = [_dotted(a.value) or "?" for a in node.bases if a.keyword is None]
            attrs = {}
            import libcst as cst

            for stmt in node.body.body:
                if not isinstance(stmt, cst.SimpleStatementLine):
                    continue
                for small in stmt.body:
                    # transformers 5 reads a model's config class from the annotation `config: XConfig`
                    if (isinstance(small, cst.AnnAssign) and small.value is None
                            and isinstance(small.target, cst.Name) and small.target.value == "config"):
                        lit = _literal(small.annotation.annotation)
                        if lit is not None and "config_class" not in attrs:
                            attrs["config_class"] = lit
                        continue
                    target, value = _assignment(small)
                    if target in CLASS_ATTRS and value is not None:
                        lit = _literal(value)
                        if lit is not None:
                            attrs[target] = lit
            # a second class of the same name replaces the first, as in Python
            self.classes[name] = {"bases": bases, "attrs": attrs}
            self.names[name] = "class"
        self._class_stack.append(name)

    def leave_ClassDef(self, node):
        self._class_stack.pop()

    # module-level bindings
    def visit_Assign(self, node):
        if not self._class_stack and not self._func_depth:
            import libcst as cst

            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    self.names.setdefault(t.target.value, "assign")

    def visit_AnnAssign(self, node):
        import libcst as cst

        if not self._class_stack and not self._func_depth and isinstance(node.target, cst.Name):
            self.names.setdefault(node.target.value, "assign")

    # imports
    def _record_import(self, kind, module, level, names):
        self.imports.append(
            {
                "kind": kind,
                "module": module,
                "level": level,
                "names": names,
                "guarded": "try" in self._guards or "availability" in self._guards,
                "type_checking": "type_checking" in self._guards,
                "top": not self._class_stack and not self._func_depth,
            }
        )
        if not self._class_stack and not self._func_depth and "type_checking" not in self._guards:
            for name, asname in names:
                if name != "*":
                    self.names.setdefault(asname or name.split(".")[0], "import")

    def visit_Import(self, node):
        for alias in node.names:
            full = _dotted(alias.name)
            asname = alias.asname.name.value if alias.asname is not None else None
            self._record_import("import", full, 0, [[full, asname]])
        return False

    def visit_ImportFrom(self, node):
        import libcst as cst

        module = _dotted(node.module) if node.module is not None else ""
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            names = [["*", None]]
        else:
            names = [
                [alias.name.value if isinstance(alias.name, cst.Name) else _dotted(alias.name),
                 alias.asname.name.value if alias.asname is not None else None]
                for alias in node.names
            ]
        self._record_import("from", module, level, names)
        return False

    # register_for_auto_class calls
    def visit_Call(self, node):
        import libcst as cst

        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "register_for_auto_class":
            target = _dotted(func.value)
            auto = None
            explicit = False
            for arg in node.args:
                if arg.keyword is None or arg.keyword.value == "auto_class":
                    explicit = True
                    lit = _literal(arg.value)
                    if lit and "str" in lit:
                        auto = lit["str"]
                    elif lit and "ref" in lit:
                        auto = lit["ref"].rsplit(".", 1)[-1]
                    break
            self.registrations.append({"target": target, "auto_class": auto, "explicit": explicit})


def _collector():
    import libcst as cst

    global _COLLECTOR_CLASS
    if _COLLECTOR_CLASS is None:
        _COLLECTOR_CLASS = type("_Collector", (_CollectorMixin, cst.CSTVisitor), {})
    return _COLLECTOR_CLASS()


_COLLECTOR_CLASS = None


def _assignment(small):
    import libcst as cst

    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
        return small.target.value, small.value
    return None, None


# -- positions from ast, matched by name and order ---------------------------------------------
def _add_positions(text: str, facts: dict):
    """Adds ast positions to the facts; returns the ast tree (None when it does not parse)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in facts["classes"]:
            cls = facts["classes"][node.name]
            cls["line"], cls["column"] = node.lineno, node.col_offset + 1
            for stmt in node.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
                for t in targets:
                    name = t.id if isinstance(t, ast.Name) else None
                    if name == "config" and isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                        name, value = "config_class", stmt.annotation
                    else:
                        value = getattr(stmt, "value", None)
                    if name in cls["attrs"] and value is not None:
                        cls["attrs"][name].update(line=value.lineno, column=value.col_offset + 1,
                                                  end_line=value.end_lineno, end_column=value.end_col_offset + 1)
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    imports.sort(key=lambda n: (n.lineno, n.col_offset))
    flat = []
    for n in imports:
        if isinstance(n, ast.Import):
            flat.extend([n] * len(n.names))
        else:
            flat.append(n)
    for fact, node in zip(facts["imports"], flat):
        fact.update(line=node.lineno, column=node.col_offset + 1, end_line=node.end_lineno, end_column=node.end_col_offset + 1)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "register_for_auto_class"]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    for fact, node in zip(facts["registrations"], calls):
        fact.update(line=node.lineno, column=node.col_offset + 1, end_line=node.end_lineno, end_column=node.end_col_offset + 1)
    return tree
