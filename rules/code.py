"""RL6xx: the repo's custom code agrees with auto_map — read with libcst, never executed.

The semantics are transformers' own (dynamic_module_utils.py, auto_factory.py):
- a module is ``<name>.py`` at the repo root; its relative imports are found by a regex
  (``from .x import y`` and ``import .x``, even inside ``try:``), each mapping to ``x.py``
  in the same folder, transitively; ``from . import x`` is not found, so ``x.py`` is not
  copied and the import fails at exec time;
- absolute imports are imported for real by ``check_imports`` (except inside ``try:`` and
  ``if is_..._available():``), so a sibling module imported absolutely is a missing package;
- a model class's ``config_class`` is compared by class name with the AutoConfig class;
- a config class's ``model_type`` differing from config.json only warns.
"""

from __future__ import annotations

import re
import sys

from repolint.edits import fix, replace_value
from repolint.knowledge import did_you_mean
from repolint.mapfix import class_name_fix, missing_entry_fix, registration_fix, stale_module_fix
from repolint.registry import Example, Finding, Rule, register
from repolint.resolve import (
    ClassRef,
    absolute_imports,
    auto_map_entries,
    builtin_model_type,
    class_attr,
    class_kind,
    defining_modules,
    facts,
    local_refs,
    loaded_modules,
    parse_ref,
    resolve_class,
)
from repolint.suggest import unique_match

KIND_WORDS = {
    "config": "a config class",
    "model": "a model class",
    "tokenizer": "a tokenizer",
    "image_processor": "an image processor",
    "feature_extractor": "a feature extractor",
    "processor": "a processor",
    "video_processor": "a video processor",
}
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}
# installed with transformers itself (its hard dependencies), plus torch for modeling code
ALWAYS_PRESENT = frozenset(
    {"transformers", "torch", "numpy", "tokenizers", "huggingface_hub", "safetensors", "packaging", "regex", "yaml", "tqdm", "filelock"}
)


def py_finding(rel: str, message: str, where: dict | None, **kw) -> Finding:
    where = where or {}
    return Finding(
        rel,
        message,
        line=where.get("line", 1),
        column=where.get("column", 1),
        end_line=where.get("end_line"),
        end_column=where.get("end_column"),
        **kw,
    )


# -- rules -----------------------------------------------------------------------------------
CONFIG_PY = "from transformers import PretrainedConfig\n\n\nclass XConfig(PretrainedConfig):\n    model_type = \"x-net\"\n"
MODEL_PY = (
    "from transformers import PreTrainedModel\n\nfrom .configuration_x import XConfig\n\n\n"
    "class XModel(PreTrainedModel):\n    config_class = XConfig\n"
)
AUTO_MAP_JSON = '{\n  "model_type": "x-net",\n  "auto_map": {\n    "AutoConfig": "configuration_x.XConfig",\n    "AutoModel": "modeling_x.XModel"\n  }\n}\n'
GOOD_REPO = {"config.json": AUTO_MAP_JSON, "configuration_x.py": CONFIG_PY, "modeling_x.py": MODEL_PY}


@register
class PythonSyntaxError(Rule):
    code = "RL601"
    name = "python-syntax-error"
    summary = "A module that auto_map loads (or one it imports) does not parse"
    why = (
        "transformers execs the module when the class is loaded; a syntax error fails the load with "
        "SyntaxError. A module Python compiles but repolint could not analyse fully (code nested "
        "deeper than Python's ast module represents, a single statement over 8 MiB) is reported as "
        "a warning that says what was skipped: the checks that need its classes, imports and "
        "register_for_auto_class calls do not run on it."
    )
    fix_text = "Fix the syntax at the reported position (for a module not analysed: split the generated statement)."
    invalid = [Example({**GOOD_REPO, "modeling_x.py": MODEL_PY + "\ndef broken(:\n    pass\n"}, [("modeling_x.py", 9)])]
    valid = [Example(GOOD_REPO)]

    def check(self, ctx):
        for mod in loaded_modules(ctx):
            rel = f"{mod}.py"
            f = ctx.repo.python(rel)
            if not f:
                continue
            if "problem" in f:
                p = f["problem"]
                yield Finding(rel, p.message, line=p.line, column=p.column, help=p.help)
            elif f.get("syntax_error"):
                e = f["syntax_error"]
                yield Finding(rel, f"syntax error: {e['message']}", line=e["line"], column=e["column"])
            elif f.get("degraded"):
                d = f["degraded"]
                yield Finding(rel, f"{rel} was not fully analysed ({d['reason']}); not checked: {d['skipped']}",
                              line=d["line"], column=1, severity="warning")


@register
class ClassMissing(Rule):
    code = "RL602"
    name = "auto-map-class-missing"
    summary = "An auto_map entry names a class its module neither defines nor imports"
    why = (
        "transformers execs the module and does `getattr(module, ClassName)`. A missing class "
        "raises `AttributeError: module ... has no attribute 'ClassName'` — after the download, "
        "and only with trust_remote_code=True."
    )
    fix_text = "Correct the class name in auto_map, or define (or import) the class in the module."
    uses_knowledge = True  # the kind of the class a fix would point at
    fix_applicability = "mixed"
    fix_detail = (
        "When exactly one other module of the repo defines the class, --fix points the entry at it "
        "(safe when the class is of the Auto class's kind, unsafe when its kind is unknown). Otherwise, "
        "when exactly one class of the module is that close to the name (XModell -> XModel), --fix "
        "points the entry at it, unsafe: the code may be what needs changing."
    )
    invalid = [Example({**GOOD_REPO, "config.json": AUTO_MAP_JSON.replace("modeling_x.XModel", "modeling_x.XModell")}, [("config.json", 5)])]
    valid = [Example(GOOD_REPO)]

    def check(self, ctx):
        for ref, module, cls in local_refs(ctx):
            f = facts(ctx, module)
            if f is None:
                continue
            typing_only = _type_checking_only(f, cls)
            if cls in f["names"] and not typing_only:
                continue
            if typing_only:
                yield Finding(
                    ref.file,
                    f"auto_map[{ref.auto_class!r}] names {ref.value}, but {module}.py defines {cls} only under "
                    "`if TYPE_CHECKING:`, which is False when transformers runs the module (AttributeError)",
                    pointer=ref.ptr,
                    help=f"Define {cls} at module level (TYPE_CHECKING blocks are for type checkers only).",
                )
                continue
            classes = sorted(n for n, kind in f["names"].items() if kind == "class")
            homes = [m for m in defining_modules(ctx, cls) if m != module]
            suggestion = did_you_mean(cls, classes)
            if homes:
                hint = f"; {' and '.join(m + '.py' for m in homes)} define{'s' if len(homes) == 1 else ''} it"
            else:
                hint = f" (did you mean {suggestion[0]}?)" if suggestion else ""
            shown = ", ".join(classes[:10]) + (f" and {len(classes) - 10} more" if len(classes) > 10 else "")
            yield Finding(
                ref.file,
                f"auto_map[{ref.auto_class!r}] names {ref.value}, but {module}.py defines no class {cls}{hint}",
                pointer=ref.ptr,
                help=f"Classes in {module}.py: {shown}." if classes else f"{module}.py defines no classes.",
                fix=stale_module_fix(ctx, ref, module, cls) if homes else class_name_fix(ctx, ref, module, cls, classes),
            )


def _type_checking_only(module_facts: dict, name: str) -> bool:
    """``name`` is a class defined under ``if TYPE_CHECKING:`` and bound by nothing that runs.
    pyfacts marks such classes ``type_checking`` and leaves them out of the module's names."""
    cls = module_facts["classes"].get(name)
    if not cls or not cls.get("type_checking"):
        return False
    return module_facts["names"].get(name) in (None, "class")


def _config_ref(ctx):
    data = ctx.obj("config.json")
    if data is None:
        return None, None
    am = data.get("auto_map")
    value = am.get("AutoConfig") if isinstance(am, dict) else None
    parsed = parse_ref(value)
    if parsed is None or parsed[0] is not None:
        return data, None
    return data, resolve_class(ctx, parsed[1], parsed[2])


@register
class ConfigModelTypeMismatch(Rule):
    code = "RL603"
    name = "config-model-type-mismatch"
    summary = "The AutoConfig class's model_type differs from config.json's model_type"
    severity = "warning"
    uses_knowledge = True
    why = (
        "The remote config class re-reads config.json; when its `model_type` differs from the "
        "file's, transformers only warns (`You are using a model of type X to instantiate a model "
        "of type Y`). Tools that go by config.json's model_type (the Hub, pipelines, inference "
        "servers) then see another model than the code builds. A subclass that sets no model_type "
        "inherits its parent's, e.g. LlamaConfig's \"llama\"."
    )
    fix_text = "Set the same model_type in the config class and in config.json."
    fix_applicability = "unsafe"
    fix_detail = (
        "When the class sets its own model_type (not a built-in type), --fix writes it into config.json "
        "(what the next save_pretrained writes anyway); unsafe, since tools and users may know the repo "
        "by config.json's name. A model_type inherited from a built-in parent gets no fix: the class "
        "needs its own `model_type = ...` line."
    )
    invalid = [Example({**GOOD_REPO, "configuration_x.py": CONFIG_PY.replace('"x-net"', '"x-net2"')}, [("configuration_x.py", 5)])]
    valid = [Example(GOOD_REPO)]

    def check(self, ctx):
        data, ref = _config_ref(ctx)
        if ref is None or ref.facts is None:
            return
        mt = data.get("model_type")
        value, owner = class_attr(ctx, ref, "model_type")
        if value is None:
            return
        if "builtin" in value:
            code_mt = builtin_model_type(ctx, value["builtin"])
            where_cls = f"{ref.name} (inherited from {value['builtin']})"
            loc_file, loc = f"{ref.module}.py", {"line": ref.facts.get("line", 1), "column": ref.facts.get("column", 1)}
        elif "str" in value:
            code_mt = value["str"]
            where_cls = ref.name if owner.name == ref.name else f"{ref.name} (inherited from {owner.name})"
            loc_file, loc = f"{owner.module}.py", value
        else:
            return
        if code_mt is None or code_mt == mt:
            return
        builtin_code = code_mt in ctx.knowledge.model_types or "builtin" in value
        if "builtin" in value:
            side = (f"Change the code: give {ref.name} its own `model_type = {mt!r}` (it inherits {code_mt!r} from "
                    f"{value['builtin']}); config.json's {mt!r} names the repo's own model.")
        elif isinstance(mt, str) and mt in ctx.knowledge.model_types:
            side = (f"Change config.json: set model_type to {code_mt!r}. With the built-in {mt!r} there, transformers "
                    "skips the custom code unless trust_remote_code=True and loads its own classes.")
        else:
            side = (f"Change config.json: set model_type to {code_mt!r}, which save_pretrained writes from "
                    f"{owner.name}.model_type (the next save changes it anyway); change the class instead only if "
                    f"{mt!r} is the name the model is known by.")
        yield py_finding(
            loc_file,
            f"{where_cls} has model_type {code_mt!r}, but config.json says {mt!r}",
            loc,
            help=side,
            fix=None if builtin_code or not isinstance(mt, str) else fix(
                f"Set config.json's model_type to {code_mt!r}", "unsafe",
                replace_value(ctx.doc("config.json"), "config.json", "/model_type", code_mt)),
        )


@register
class ConfigClassMismatch(Rule):
    code = "RL604"
    name = "config-class-mismatch"
    summary = "A model class in auto_map has a config_class other than the AutoConfig class"
    uses_knowledge = True
    why = (
        "AutoModel registers the remote model class for the loaded config class and raises "
        "`ValueError: The model class you are passing has a config_class attribute that is not "
        "consistent with the config class you passed` when the names differ. Only the class "
        "*name* is compared, following inheritance; a model class with no config_class "
        "inherits PreTrainedModel's None and fails the same way."
    )
    fix_text = "Set `config_class = <the AutoConfig class>` on the model class (or its PreTrainedModel base)."
    invalid = [Example({**GOOD_REPO, "modeling_x.py": MODEL_PY.replace("config_class = XConfig", "config_class = None")}, [("modeling_x.py", 7)])]
    valid = [
        Example(GOOD_REPO),
        Example({**GOOD_REPO, "modeling_x.py": MODEL_PY.replace("import XConfig", "import XConfig as BaseConfig").replace("= XConfig", "= BaseConfig")}),
    ]

    def check(self, ctx):
        data, cfg = _config_ref(ctx)
        if cfg is None:
            return
        found: dict[tuple, tuple[str, dict, str, list[str]]] = {}
        for ref, module, cls in local_refs(ctx):
            if ref.file != "config.json" or ctx.knowledge.auto_class_kind(ref.auto_class) != "model":
                continue
            model = resolve_class(ctx, module, cls)
            if model is None or model.facts is None or class_kind(ctx, model) != "model":
                continue  # RL602 / RL606 report those
            value, owner = class_attr(ctx, model, "config_class")
            if value is None or "builtin" in value:
                name = None
                root = _root_repo_class(ctx, model)
                where = {"line": root.facts.get("line", 1), "column": root.facts.get("column", 1)}
                rel = f"{root.module}.py"
            else:
                name = value.get("ref", "").split(".")[-1] if "ref" in value else value.get("str")
                where, rel = value, f"{owner.module}.py"
            # transformers compares the class's __name__: an alias (`import XConfig as Alias`) is XConfig
            seen_as = resolve_class(ctx, owner.module, name) if value and "." not in value.get("ref", ".") else None
            if seen_as is not None:
                name = seen_as.name
            if name == cfg.name:
                if seen_as is not None and seen_as.facts is not None and seen_as.module != cfg.module:
                    yield py_finding(
                        rel,
                        f"config_class is the {name} defined in {seen_as.module}.py, not the one auto_map[\"AutoConfig\"] "
                        f"loads from {cfg.module}.py; transformers compares names only, so it loads with the wrong class",
                        where,
                        severity="warning",
                    )
                continue
            key = (rel, where.get("line"), where.get("column"))
            found.setdefault(key, (rel, where, name or "None", []))[3].append(ref.auto_class)
        for rel, where, shown, autos in found.values():
            yield py_finding(
                rel,
                f"config_class is {shown}, but auto_map[\"AutoConfig\"] loads {cfg.name}; "
                f"{', '.join(autos)} fail{'s' if len(autos) == 1 else ''} with \"config_class ... is not consistent\"",
                where,
            )


def _root_repo_class(ctx, ref: ClassRef, depth: int = 0) -> ClassRef:
    """The repo class highest in ``ref``'s inheritance chain (where config_class belongs)."""
    if depth > 20 or ref.facts is None:
        return ref
    for base in ref.facts["bases"]:
        parent = resolve_class(ctx, ref.module, base.split(".")[-1])
        if parent is not None and parent.facts is not None:
            return _root_repo_class(ctx, parent, depth + 1)
    return ref


@register
class RegistrationMismatch(Rule):
    code = "RL605"
    name = "register-for-auto-class-mismatch"
    summary = "register_for_auto_class calls and auto_map disagree"
    severity = "warning"
    uses_knowledge = True
    why = (
        "`register_for_auto_class(\"AutoX\")` is what makes save_pretrained write "
        "`auto_map[\"AutoX\"]`. A registered class missing from auto_map means the repo was not "
        "re-saved after the call changed: users of that Auto class get the built-in class "
        "(warning) or, when transformers has none for the model type, `Unrecognized configuration "
        "class` (error). A registration with an Auto class name transformers does not have raises "
        "ValueError when the code runs (error)."
    )
    fix_text = "Re-run save_pretrained after registering, or add the entry to auto_map by hand."
    fix_applicability = "mixed"
    fix_detail = (
        "A registered class missing from auto_map gets the entry save_pretrained would write "
        "(\"AutoX\": \"<module>.<Class>\", in sorted place), safe, for config, model and image processor "
        "classes of the Auto class's kind when the file's auto_map has no such key. A misspelt Auto class "
        "name with exactly one close match (AutoModelForCasualLM -> AutoModelForCausalLM) is corrected "
        "in the call: safe when the class is of that Auto class's kind, unsafe when its kind is unknown."
    )
    invalid = [
        Example({**GOOD_REPO, "modeling_x.py": MODEL_PY + "\n\nXModel.register_for_auto_class(\"AutoModelForCausalLM\")\n"},
                [("modeling_x.py", 10), ("config.json", 5)]),
    ]
    valid = [Example({**GOOD_REPO, "modeling_x.py": MODEL_PY + "\n\nXModel.register_for_auto_class(\"AutoModel\")\n"})]

    DEFAULTS = {"config": "AutoConfig", "model": "AutoModel", "tokenizer": "AutoTokenizer", "image_processor": "AutoImageProcessor",
                "feature_extractor": "AutoFeatureExtractor", "processor": "AutoProcessor", "video_processor": "AutoVideoProcessor"}

    def check(self, ctx):
        mapped: dict[str, set[str]] = {}
        for ref in auto_map_entries(ctx):
            parsed = parse_ref(ref.value)
            if parsed is not None:
                mapped.setdefault(parsed[2], set()).add(ref.auto_class)
        registered: dict[str, set[tuple[str, str]]] = {}  # module -> {(class, auto class)}
        for module in loaded_modules(ctx):
            rel = f"{module}.py"
            f = facts(ctx, module)
            if f is None:
                continue
            for reg in f["registrations"]:
                target = (reg.get("target") or "").split(".")[-1]
                auto = reg.get("auto_class")
                if auto is None and reg.get("explicit"):
                    continue  # a computed argument
                if auto is None:
                    cref = resolve_class(ctx, module, target)
                    auto = self.DEFAULTS.get(class_kind(ctx, cref)) if cref else None
                    if auto is None:
                        continue
                registered.setdefault(module, set()).add((target, auto))
                cref = resolve_class(ctx, module, target)
                if auto not in ctx.knowledge.auto_classes:
                    suggestion = did_you_mean(auto, ctx.knowledge.auto_classes)
                    meant = unique_match(auto, ctx.knowledge.auto_classes)
                    yield py_finding(
                        rel,
                        f"register_for_auto_class({auto!r}): transformers {ctx.knowledge.label} has no such Auto class "
                        f"(ValueError when run)" + (f"; did you mean {suggestion[0]}?" if suggestion else ""),
                        reg,
                        severity="error",
                        fix=registration_fix(ctx, rel, reg, auto, meant, cref) if meant and reg.get("explicit") else None,
                    )
                elif auto not in mapped.get(target, set()):
                    # with no built-in fallback for this model type, users of that Auto class get an error
                    mt = (ctx.obj("config.json") or {}).get("model_type")
                    kind = ctx.knowledge.auto_class_kind(auto)
                    # a model_type that is not a string maps to nothing (AutoConfig fails on it before this)
                    known = ctx.knowledge.model_mapping(auto) if kind == "model" else ctx.knowledge.model_types
                    fallback = isinstance(mt, str) and mt in known
                    yield py_finding(
                        rel,
                        f"{target} is registered for {auto}, but no auto_map entry maps {auto} to it; re-run save_pretrained"
                        + ("" if fallback else f" ({auto}.from_pretrained fails on this repo)"),
                        reg,
                        severity=None if fallback else "error",
                        fix=missing_entry_fix(ctx, auto, cref),
                    )
        # the other way: in a module that registers its classes, an auto_map entry nobody registers
        for ref, module, cls in local_refs(ctx):
            if module in registered and (cls, ref.auto_class) not in registered[module]:
                yield Finding(
                    ref.file,
                    f"auto_map[{ref.auto_class!r}] maps to {cls}, but {module}.py registers no class for "
                    f"{ref.auto_class}; save_pretrained would not write this entry",
                    pointer=ref.ptr,
                )


def _head(name: str) -> str | None:
    return name.rsplit("For", 1)[1] if "For" in name else None


@register
class WrongAutoClassKind(Rule):
    code = "RL606"
    name = "wrong-auto-class-for-class"
    summary = "An auto_map entry puts a class under an Auto class of another kind (or, info only, another head)"
    uses_knowledge = True
    why = (
        "For remote code, transformers loads exactly the class auto_map names and never checks it. "
        "A class of another kind under an Auto class is a wrong object: a tokenizer under AutoModel "
        "makes `AutoModel.from_pretrained` return that tokenizer instead of a model, and "
        "`AutoModel.from_config` fail with AttributeError (verified). A model class whose name "
        "ends in another head than the Auto class usually loads (a `...ForPreTraining` class under "
        "AutoModelForMaskedLM) is loaded as named; that is reported as info only, since custom "
        "heads are often named freely."
    )
    fix_text = "Map the Auto class to a class of the right kind (AutoModel* -> a model, AutoTokenizer -> a tokenizer, ...)."
    invalid = [
        Example({**GOOD_REPO, "config.json": AUTO_MAP_JSON.replace("modeling_x.XModel", "tokenization_x.XTokenizer"),
                 "tokenization_x.py": "from transformers import PreTrainedTokenizer\n\n\nclass XTokenizer(PreTrainedTokenizer):\n    pass\n"},
                [("config.json", 5)]),
        Example({**GOOD_REPO, "config.json": AUTO_MAP_JSON.replace('"AutoModel"', '"AutoModelForCausalLM"').replace("modeling_x.XModel", "modeling_x.XForSequenceClassification"),
                 "modeling_x.py": MODEL_PY + "\n\nclass XForSequenceClassification(XModel):\n    pass\n"},
                [("config.json", 5)]),
    ]
    valid = [Example(GOOD_REPO)]

    def check(self, ctx):
        k = ctx.knowledge
        for ref, module, cls in local_refs(ctx):
            expected = k.auto_class_kind(ref.auto_class)
            target = resolve_class(ctx, module, cls)
            if expected is None or target is None:
                continue
            kind = class_kind(ctx, target)
            if kind and kind != expected and not (expected == "image_processor" and kind == "feature_extractor"):
                extra = f" (and {ref.auto_class}.from_config fails)" if expected == "model" else ""
                yield Finding(
                    ref.file,
                    f"auto_map[{ref.auto_class!r}] names {cls}, {KIND_WORDS[kind]}, where {KIND_WORDS[expected]} is expected: "
                    f"{ref.auto_class}.from_pretrained returns that {kind.replace('_', ' ')}, not {KIND_WORDS[expected]}{extra}",
                    pointer=ref.ptr,
                )
                continue
            if expected != "model" or kind != "model":
                continue
            heads = {_head(n) for v in k.model_mapping(ref.auto_class).values() for n in (v if isinstance(v, list) else [v])}
            heads.discard(None)
            own = _head(cls)
            if own and heads and own not in heads:
                yield Finding(
                    ref.file,
                    f"auto_map[{ref.auto_class!r}] names {cls}, a ...For{own} class, where {ref.auto_class} usually loads "
                    f"...For{'/'.join(sorted(heads)[:3])}; transformers loads {cls} as named (it does not check heads "
                    "for remote code)",
                    pointer=ref.ptr,
                    severity="info",
                )


@register
class AbsoluteSiblingImport(Rule):
    code = "RL607"
    name = "absolute-sibling-import"
    summary = "Custom code imports a module of the repo absolutely (`import modeling_x`)"
    why = (
        "transformers copies the module into `transformers_modules.<repo>` and `check_imports` "
        "imports every absolute import for real: `import configuration_x` or "
        "`from configuration_x import XConfig` is a missing pip package there — `ImportError: "
        "This modeling file requires the following packages that were not found in your "
        "environment: configuration_x`. It worked on the author's machine only because the "
        "folder was the working directory."
    )
    fix_text = "Use a relative import: `from .configuration_x import XConfig`."
    fix_applicability = "safe"
    fix_detail = (
        "For `from x import y`, --fix inserts the dot (`from .x import y`): the module transformers "
        "copies beside the importing one. A plain `import x` has no relative form and gets no fix."
    )
    invalid = [Example({**GOOD_REPO, "modeling_x.py": MODEL_PY.replace("from .configuration_x", "from configuration_x")}, [("modeling_x.py", 3)])]
    valid = [Example(GOOD_REPO)]

    def check(self, ctx):
        files = set(ctx.repo.top_level())
        for mod in loaded_modules(ctx):
            for imp, top in absolute_imports(ctx, mod):
                if f"{top}.py" in files:
                    yield py_finding(
                        f"{mod}.py",
                        f"{top} is a module of this repo imported absolutely; transformers treats it as a missing package",
                        imp,
                        help=f"Write `from .{top} import ...`.",
                        fix=_relative_import_fix(ctx, f"{mod}.py", imp),
                    )


_FROM = re.compile(r"from\s+")


def _relative_import_fix(ctx, rel: str, imp: dict) -> dict | None:
    """`from x import y` -> `from .x import y`: insert one dot before the module name. (A plain
    `import x` has no relative form transformers accepts, so it gets no fix.)"""
    if imp["kind"] != "from" or "line" not in imp:
        return None
    from repolint.fixes import physical_lines

    text, _ = ctx.repo.read_text(rel)
    lines = physical_lines(text or "")
    if imp["line"] > len(lines):
        return None
    m = _FROM.match(lines[imp["line"] - 1].rstrip("\r\n"), imp["column"] - 1)
    if m is None:
        return None
    col = m.end() + 1
    return {
        "description": f"import {imp['module']} relatively",
        "applicability": "safe",
        "edits": [{"file": rel, "line": imp["line"], "column": col, "end_line": imp["line"], "end_column": col, "content": "."}],
    }


@register
class RelativeImportMissing(Rule):
    code = "RL608"
    name = "relative-import-unresolved"
    summary = "A relative import that transformers cannot resolve to a file of the repo"
    why = (
        "transformers finds relative imports with a regex and copies `<name>.py` from the repo "
        "root for each, transitively: a missing file raises FileNotFoundError (even inside "
        "`try:`); `from .pkg.mod import x` looks for `pkg.mod.py`, `from ..x` for `.x.py`; and "
        "`from . import helpers` is not recognised, so helpers.py is not copied and the import "
        "fails with ImportError even though the file is in the repo."
    )
    fix_text = "Keep custom code flat at the repo root and import siblings as `from .helpers import name`."
    invalid = [Example({**GOOD_REPO, "modeling_x.py": MODEL_PY.replace("from .configuration_x import XConfig", "from .configuration_x import XConfig\nfrom .layers import MLP")}, [("modeling_x.py", 4)])]
    valid = [Example(GOOD_REPO)]

    def check(self, ctx):
        files = set(ctx.repo.top_level())
        for mod in loaded_modules(ctx):
            rel = f"{mod}.py"
            f = ctx.repo.python(rel)
            if not f or "problem" in f:
                continue
            reported = set()
            for name, line in f["relative_regex"]:
                if f"{name}.py" in files:
                    continue
                reported.add(line)
                if name.startswith("."):
                    msg = f"relative import from `..{name[1:]}`: transformers looks for {name}.py in the repo root and fails"
                elif "." in name:
                    msg = f"`from .{name}` makes transformers look for a file named {name}.py; sub-packages are not supported"
                else:
                    msg = f"`.{name}` is imported but {name}.py is not in the repo; loading fails with FileNotFoundError"
                yield Finding(rel, msg, line=line, column=1)
            for imp in f["imports"] if not f.get("syntax_error") else ():
                if imp["kind"] == "from" and imp["level"] >= 1 and not imp["module"]:
                    names = [n for n, _ in imp["names"]]
                    present = [n for n in names if f"{n}.py" in files]
                    if present and imp.get("line") not in reported:
                        yield py_finding(
                            rel,
                            f"`from . import {', '.join(names)}` is not seen by transformers: {', '.join(p + '.py' for p in present)} is not copied and the import fails",
                            imp,
                            help=f"Write `from .{present[0]} import ...` instead.",
                        )


@register
class ThirdPartyImports(Rule):
    code = "RL609"
    name = "required-packages"
    summary = "Packages transformers' check_imports will require before running the custom code"
    severity = "info"
    why = (
        "Before running custom code, transformers imports every absolute import found in the "
        "module (outside `try:` and `if is_..._available():` blocks) and refuses to load with "
        "`This modeling file requires the following packages that were not found in your "
        "environment` when one is missing. Users must install them first; list them in the model card."
    )
    fix_text = "Document the packages in the model card, or guard optional ones with try/except ImportError."
    invalid = [Example({**GOOD_REPO, "modeling_x.py": "import einops\n" + MODEL_PY}, [("modeling_x.py", 1)])]
    valid = [Example({**GOOD_REPO, "modeling_x.py": "try:\n    import einops\nexcept ImportError:\n    einops = None\n" + MODEL_PY})]

    def check(self, ctx):
        files = set(ctx.repo.top_level())
        for mod in loaded_modules(ctx):
            seen = set()
            for imp, top in absolute_imports(ctx, mod):
                if top in seen or top in STDLIB or top in ALWAYS_PRESENT or f"{top}.py" in files:
                    continue
                seen.add(top)
                yield py_finding(f"{mod}.py", f"transformers will require the package {top!r} to load this code", imp)


PROCESSOR_PY = (
    "from transformers import ProcessorMixin\n\n\nclass XProcessor(ProcessorMixin):\n"
    "    attributes = [\"image_processor\", \"tokenizer\"]\n"
    "    image_processor_class = \"AutoImageProcessor\"\n    tokenizer_class = \"AutoTokenizer\"\n"
)


@register
class ProcessorClassAttribute(Rule):
    code = "RL611"
    name = "processor-image-processor-class"
    summary = "A custom processor names its image processor class by a string other than AutoImageProcessor"
    uses_knowledge = True
    why = (
        "transformers 5 deprecates `image_processor_class = \"XImageProcessor\"` on a processor in "
        "favour of registering the class with AutoImageProcessor, and in 5.23 that path crashes: "
        "AutoProcessor fails with `AttributeError: type object 'VIDEO_PROCESSOR_MAPPING' has no "
        "attribute '_extra_content'` — even when the named class is the repo's own (verified by "
        "loading). `\"AutoImageProcessor\"` loads."
    )
    fix_text = "Write `image_processor_class = \"AutoImageProcessor\"` (the repo's auto_map then picks the custom class)."
    fix_applicability = "none"
    invalid = [
        Example(
            {"processor_config.json": '{\n  "auto_map": {"AutoProcessor": "processing_x.XProcessor"}\n}\n',
             "processing_x.py": PROCESSOR_PY.replace('"AutoImageProcessor"', '"XImageProcessor"')},
            [("processing_x.py", 6)],
        )
    ]
    valid = [Example({"processor_config.json": '{\n  "auto_map": {"AutoProcessor": "processing_x.XProcessor"}\n}\n', "processing_x.py": PROCESSOR_PY})]

    def check(self, ctx):
        if ctx.knowledge.major < 5:
            return  # verified on 5.23 only
        for ref, module, cls in local_refs(ctx):
            if ref.auto_class != "AutoProcessor":
                continue
            target = resolve_class(ctx, module, cls)
            if target is None or target.facts is None:
                continue
            value, owner = class_attr(ctx, target, "image_processor_class")
            if value and "str" in value and not value["str"].startswith("Auto"):
                yield py_finding(
                    f"{owner.module}.py",
                    f"{owner.name}.image_processor_class = {value['str']!r}: AutoProcessor in transformers "
                    f"{ctx.knowledge.label} fails on this deprecated form; use \"AutoImageProcessor\"",
                    value,
                )


TOKENIZER_PY = (
    "from transformers import PreTrainedTokenizer\n\n\nclass XTokenizer(PreTrainedTokenizer):\n"
    "    def __init__(self, **kwargs):\n        self.vocab = {\"a\": 0}\n        super().__init__(**kwargs)\n\n"
    "    @property\n    def vocab_size(self):\n        return len(self.vocab)\n\n"
    "    def get_vocab(self):\n        return dict(self.vocab)\n"
)
TOKENIZER_JSON = '{\n  "auto_map": {"AutoTokenizer": ["tokenization_x.XTokenizer", null]}\n}\n'
LATE_TOKENIZER_PY = TOKENIZER_PY.replace(
    "        self.vocab = {\"a\": 0}\n        super().__init__(**kwargs)\n",
    "        super().__init__(**kwargs)\n        self.vocab = {\"a\": 0}\n")


def _reads_closure(reads: dict, start: str) -> set:
    """The ``self.x`` names method ``start`` reads, following the methods and properties it uses."""
    seen, todo, names = {start}, [start], set()
    while todo:
        for name in reads.get(todo.pop(), ()):
            names.add(name)
            if name in reads and name not in seen:
                seen.add(name)
                todo.append(name)
    return names


@register
class TokenizerAttributeAfterInit(Rule):
    code = "RL612"
    name = "tokenizer-attribute-after-init"
    summary = "A custom tokenizer sets an attribute its get_vocab() needs only after calling the base __init__"
    why = (
        "`PreTrainedTokenizer.__init__` registers the special tokens, which calls `self.get_vocab()` "
        "(transformers 4.34 and later, 5.x included). A custom tokenizer whose `__init__` calls "
        "`super().__init__()` first and only then sets what `get_vocab()` (or the `vocab_size` "
        "property it uses) reads — `self.sp_model`, `self.tokenizer`, ... — fails to load: "
        "AttributeError on 4.57, `TypeError: 'property' object ...` on 5.24 (verified by loading). "
        "Many chatglm, Baichuan and Qwen tokenizers written for older releases have this order."
    )
    fix_text = "Set the attribute before calling `super().__init__(...)` in the tokenizer's `__init__`."
    fix_applicability = "none"
    invalid = [Example({"tokenizer_config.json": TOKENIZER_JSON, "tokenization_x.py": LATE_TOKENIZER_PY},
                       [("tokenization_x.py", 7)])]
    valid = [Example({"tokenizer_config.json": TOKENIZER_JSON, "tokenization_x.py": TOKENIZER_PY})]

    def check(self, ctx):
        seen = set()
        for ref, module, cls in local_refs(ctx):
            if ref.auto_class != "AutoTokenizer":
                continue
            target = resolve_class(ctx, module, cls)
            if target is None or target.facts is None or (target.module, target.name) in seen:
                continue
            seen.add((target.module, target.name))
            if class_kind(ctx, target) != "tokenizer":
                continue
            info = (((facts(ctx, target.module) or {}).get("usage") or {}).get("classes") or {}).get(target.name) or {}
            reads = info.get("self_reads") or {}
            init = info.get("init") or {}
            if "get_vocab" not in reads or not init.get("late_attrs") or "_add_tokens" in info.get("provides", ()):
                continue  # (a class that overrides _add_tokens decides itself whether the base calls get_vocab)
            needed = _reads_closure(reads, "get_vocab")
            for late in init["late_attrs"]:
                if late["name"] in needed:
                    yield py_finding(
                        f"{target.module}.py",
                        f"{target.name}.__init__ sets self.{late['name']} only after super().__init__(), which "
                        f"calls get_vocab(), which reads it: AutoTokenizer fails (AttributeError on 4.x, "
                        f"TypeError on 5.x)",
                        late,
                    )
                    break


@register
class UnusedSuppression(Rule):
    code = "RL610"
    name = "unused-suppression"
    summary = "A `# repolint: ignore[...]` comment suppresses nothing"
    severity = "warning"
    after_suppressions = True
    why = (
        "A suppression that no longer matches a finding (the code was fixed, or the rule name is "
        "misspelled) hides nothing today and will hide a real problem tomorrow."
    )
    fix_text = "Remove the comment, or correct the rule code or name in it."
    fix_applicability = "none"
    invalid = [
        Example({**GOOD_REPO, "modeling_x.py": MODEL_PY.replace("import PreTrainedModel", "import PreTrainedModel  # repolint: ignore[RL6O7]")}, [("modeling_x.py", 1)]),
    ]
    valid = [Example({**GOOD_REPO, "modeling_x.py": MODEL_PY.replace("from .configuration_x import XConfig", "from configuration_x import XConfig  # repolint: ignore[absolute-sibling-import]")})]

    def check(self, ctx):
        return iter(())

    def check_suppressions(self, ctx, used, enabled):
        """Report suppressions that matched nothing: for a rule that ran, or naming no rule at all."""
        from repolint.registry import find_rule

        loaded_modules(ctx)  # parse the modules transformers would load
        for rel, module_facts in sorted(ctx.repo.parsed_python().items()):
            for line, tokens in module_facts.get("suppressions", {}).items():
                for token in tokens:
                    rule = find_rule(token)
                    if rule is None:
                        yield Finding(rel, f"`# repolint: ignore[{token}]` names no repolint rule", line=int(line), column=1)
                    elif rule.code in enabled and (rel, int(line), token) not in used:
                        yield Finding(rel, f"`# repolint: ignore[{token}]` suppresses no finding", line=int(line), column=1)
