"""RL3xx: auto_map entries in every metadata file that can carry one.

transformers splits a class reference "module.Class" (optionally "owner/repo--module.Class")
with plain ``str.split``: exactly one dot, at most one "--", no ".py", no sub-folders.
"""

from __future__ import annotations

import re

from repolint.jsonmap import pointer
from repolint.mapfix import auto_class_key_fix, has_fallback, stale_module_fix
from repolint.resolve import AUTO_MAP_FILES, auto_map_entries, auto_maps, defining_modules, parse_ref, split_pointer
from repolint.knowledge import did_you_mean
from repolint.registry import Example, Finding, Rule, register
from repolint.suggest import unique_match

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def ref_problem(value) -> str | None:
    """Why transformers cannot use this reference (None when it can)."""
    if value is None:
        return "is null; transformers fails with TypeError (\"argument of type 'NoneType' is not iterable\")"
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a \"module.Class\" string"
    if value.count("--") > 1:
        return f"{value!r} has more than one \"--\"; use \"owner/repo--module.Class\""
    repo, _, ref = value.rpartition("--") if "--" in value else (None, "", value)
    if repo is not None and not _REPO_ID.match(repo):
        return f"{value!r}: {repo!r} is not an \"owner/name\" repo id"
    if ref.endswith(".py") or ref.count(".") == 2 and ref.split(".")[1] == "py":
        return f"{value!r} names a file; write \"module.Class\" without .py"
    if "/" in ref:
        return f"{value!r} has a path; transformers loads modules from the repo root only"
    dots = ref.count(".")
    if dots == 0:
        return f"{value!r} has no module: write \"module_file.ClassName\""
    if dots > 1:
        return f"{value!r} has {dots} dots; transformers needs exactly one (\"module_file.ClassName\", no packages)"
    module, cls = ref.split(".")
    if not module or not _IDENT.match(cls):
        return f"{value!r} is not \"module_file.ClassName\""
    return None


@register
class MalformedReference(Rule):
    code = "RL301"
    name = "malformed-auto-map-reference"
    summary = "An auto_map value is not a \"module.Class\" reference transformers can split"
    why = (
        "transformers splits an auto_map value with `ref.split(\"--\")` and `ref.split(\".\")`. "
        "A value with a package path (`models.modeling_x.X`), a `.py` suffix, no dot, a sub-folder, "
        "null or a list where a string belongs fails with ValueError, TypeError or AttributeError "
        "when the class is loaded."
    )
    fix_text = "Write \"module_file.ClassName\", where module_file.py sits at the repo root."
    uses_knowledge = True
    invalid = [
        Example({"config.json": '{\n  "model_type": "x",\n  "auto_map": {\n    "AutoConfig": "configuration_x.py.XConfig"\n  }\n}\n', "configuration_x.py": ""}, [("config.json", 4)]),
        Example({"config.json": '{\n  "auto_map": {"AutoModel": "models.modeling_x.XModel"}\n}\n'}, [("config.json", 2)]),
        Example({"config.json": '{\n  "auto_map": {\n    "AutoModel": ["modeling_x.XModel"]\n  }\n}\n', "modeling_x.py": ""}, [("config.json", 3)]),
        Example({"preprocessor_config.json": '{\n  "auto_map": {\n    "AutoImageProcessor": ["image_processing_x.XImageProcessor", null]\n  }\n}\n', "image_processing_x.py": ""},
                [("preprocessor_config.json", 3)], targets=("4.57",)),
    ]
    valid = [
        Example({"config.json": '{\n  "auto_map": {"AutoConfig": "configuration_x.XConfig"}\n}\n', "configuration_x.py": ""}),
        Example({"preprocessor_config.json": '{\n  "auto_map": {"AutoImageProcessor": ["image_processing_x.XImageProcessor", null]}\n}\n', "image_processing_x.py": ""}),
        Example({"preprocessor_config.json": '{\n  "auto_map": {"AutoImageProcessor": {"pil": "image_processing_x.XImageProcessor"}}\n}\n', "image_processing_x.py": ""}),
    ]

    def check(self, ctx):
        shaped = set()  # (file, pointer) of values reported as a whole for their shape
        for file_name, base, auto_map in auto_maps(ctx):
            if not isinstance(auto_map, dict):
                continue
            for auto_class, value in auto_map.items():
                problem = _shape_problem(auto_class, value, ctx.knowledge)
                if problem:
                    ptr = pointer([*split_pointer(base), auto_class])
                    shaped.add((file_name, ptr))
                    yield Finding(file_name, f"auto_map[{auto_class!r}] {problem}", pointer=ptr)
        for ref in auto_map_entries(ctx):
            if ref.auto_class == "AutoTokenizer" and ref.file == "tokenizer_config.json" and not ref.ptr[-1].isdigit():
                continue  # RL302 reports the shape of the pair
            if (ref.file, ref.ptr.rsplit("/", 1)[0]) in shaped or (ref.file, ref.ptr) in shaped:
                continue
            if isinstance(ref.value, dict) and ref.auto_class in ("AutoImageProcessor", "AutoVideoProcessor"):
                # transformers 5 takes {backend: "module.Class"}; check each reference
                for backend, v in ref.value.items():
                    problem = ref_problem(v)
                    if problem:
                        yield Finding(ref.file, f"auto_map[{ref.auto_class!r}][{backend!r}] {problem}", pointer=pointer([*split_pointer(ref.ptr), backend]))
                continue
            problem = ref_problem(ref.value)
            if problem:
                yield Finding(ref.file, f"auto_map[{ref.auto_class!r}] {problem}", pointer=ref.ptr)


# The loaders that take more than one reference: AutoTokenizer a [slow, fast] list (RL302);
# in transformers 5, AutoImageProcessor and AutoVideoProcessor a [slow, fast] list or a
# {backend: ref} dict (image_processing_auto._resolve_auto_map_class_ref). Every other loader,
# and these two in 4.x, hands the value to get_class_from_dynamic_module, which splits it as
# a string: a list or dict raises AttributeError ("'list' object has no attribute 'split'").
_MULTI_IN_5 = ("AutoImageProcessor", "AutoVideoProcessor")


def _shape_problem(auto_class: str, value, knowledge) -> str | None:
    if not isinstance(value, (list, dict)) or auto_class == "AutoTokenizer":
        return None
    kind = type(value).__name__
    if auto_class in _MULTI_IN_5:
        if knowledge.major >= 5:
            return None
        return (f"is a {kind}; transformers {knowledge.label} takes only a \"module.Class\" string here "
                f"(AttributeError: '{kind}' object has no attribute 'split'); lists and {{backend: ref}} dicts need transformers 5")
    return (f"is a {kind}, not a \"module.Class\" string; transformers fails with AttributeError "
            f"('{kind}' object has no attribute 'split')")


@register
class TokenizerPairShape(Rule):
    code = "RL302"
    name = "tokenizer-auto-map-shape"
    summary = "auto_map[\"AutoTokenizer\"] is not a [slow, fast] pair"
    why = (
        "AutoTokenizer reads `auto_map[\"AutoTokenizer\"]` as a two-item list `[slow, fast]` and "
        "takes `fast if fast is not None else slow`. A plain string is indexed character by "
        "character (`ValueError: not enough values to unpack`), and `[null, null]` raises TypeError."
    )
    fix_text = "Write `\"AutoTokenizer\": [\"tokenization_x.XTokenizer\", \"tokenization_x.XTokenizerFast\"]` (null for a missing one)."
    invalid = [
        Example({"tokenizer_config.json": '{\n  "auto_map": {\n    "AutoTokenizer": "tokenization_x.XTokenizer"\n  }\n}\n', "tokenization_x.py": ""}, [("tokenizer_config.json", 3)]),
        Example({"tokenizer_config.json": '{\n  "auto_map": {"AutoTokenizer": [null, null]}\n}\n'}, [("tokenizer_config.json", 2)]),
    ]
    valid = [Example({"tokenizer_config.json": '{\n  "auto_map": {"AutoTokenizer": ["tokenization_x.XTokenizer", null]}\n}\n', "tokenization_x.py": ""})]

    def check(self, ctx):
        for file_name in AUTO_MAP_FILES:
            data = ctx.obj(file_name)
            if data is None:
                continue
            auto_map = data.get("auto_map")
            if isinstance(auto_map, list) and file_name == "tokenizer_config.json":
                value, ptr = auto_map, "/auto_map"
            elif isinstance(auto_map, dict) and "AutoTokenizer" in auto_map:
                value, ptr = auto_map["AutoTokenizer"], "/auto_map/AutoTokenizer"
            else:
                continue
            if not isinstance(value, list):
                yield Finding(file_name, f"auto_map[\"AutoTokenizer\"] is {type(value).__name__ if value is not None else 'null'}; it must be a [slow, fast] list", pointer=ptr)
            elif len(value) != 2:
                yield Finding(file_name, f"auto_map[\"AutoTokenizer\"] has {len(value)} items; it must be exactly [slow, fast]", pointer=ptr)
            elif value[0] is None and value[1] is None:
                yield Finding(file_name, "auto_map[\"AutoTokenizer\"] is [null, null]; name at least one class", pointer=ptr)


@register
class UnknownAutoClass(Rule):
    code = "RL303"
    name = "unknown-auto-class"
    summary = "An auto_map key is not an Auto class of the target transformers release"
    severity = "warning"
    uses_knowledge = True
    why = (
        "transformers looks up auto_map by the Auto class's own name (`AutoModelForCausalLM`, ...). "
        "A misspelled key, or one that the target release no longer has (`AutoModelWithLMHead`, "
        "`AutoModelForVision2Seq` in 5.x), is never read: users of that Auto class get the "
        "built-in class or an error."
    )
    fix_text = "Use an Auto class name that `register_for_auto_class` accepts."
    fix_applicability = "mixed"
    fix_detail = (
        "When exactly one Auto class of the target is that close to the key (AutoModelForCasualLM -> "
        "AutoModelForCausalLM) and auto_map has no entry for it yet, --fix renames the key: safe when "
        "the class the entry names is of that Auto class's kind (a model for AutoModel*, ...), unsafe "
        "when repolint cannot tell its kind; no fix when it is of another kind."
    )
    invalid = [Example({"config.json": '{\n  "auto_map": {\n    "AutoModelForCasualLM": "modeling_x.XForCausalLM"\n  }\n}\n', "modeling_x.py": ""}, [("config.json", 3)])]
    valid = [Example({"config.json": '{\n  "auto_map": {\n    "AutoModelForCausalLM": "modeling_x.XForCausalLM"\n  }\n}\n', "modeling_x.py": ""})]

    def check(self, ctx):
        k = ctx.knowledge
        known = k.auto_classes
        for file_name, base, auto_map in auto_maps(ctx):
            if not isinstance(auto_map, dict):
                continue
            for key, value in auto_map.items():
                if key in known:
                    continue
                suggestion = did_you_mean(key, known)
                meant = unique_match(key, known)
                ptr = pointer([*split_pointer(base), key])
                failing = meant is not None and meant not in auto_map and not has_fallback(ctx, meant)
                yield Finding(
                    file_name,
                    f"auto_map key {key!r} is not an Auto class of transformers {k.label}"
                    + (f" (did you mean {suggestion[0]!r}?)" if suggestion else "") + "; no loader reads it"
                    + (f", and {meant}.from_pretrained fails on this repo (no built-in class for its model type)" if failing else ""),
                    pointer=ptr,
                    at_key=True,
                    fix=auto_class_key_fix(ctx, file_name, ptr, value, meant) if meant and meant not in auto_map else None,
                    severity="error" if failing else None,
                )


@register
class MissingModule(Rule):
    code = "RL304"
    name = "auto-map-module-missing"
    summary = "An auto_map entry names a module file that is not in the repo"
    why = (
        "For `\"module.Class\"`, transformers loads `module.py` from the repo root. When the file is "
        "missing it raises `OSError: <repo> does not appear to have a file named module.py` — after "
        "the user has downloaded the weights. A misspelling such as `modelling_` for `modeling_` "
        "is a common cause."
    )
    fix_text = "Upload the module file, or correct the name in auto_map."
    uses_knowledge = True  # the kind of the class a fix would point at
    fix_applicability = "mixed"
    fix_detail = (
        "When exactly one module of the repo defines the class, --fix points the entry at it "
        "(modelling_x.XModel -> modeling_x.XModel): safe when the class is of the Auto class's kind, "
        "unsafe when repolint cannot tell its kind, no fix when it is of another kind."
    )
    invalid = [Example({"config.json": '{\n  "auto_map": {\n    "AutoModel": "modeling_x.XModel"\n  }\n}\n', "modelling_x.py": "from transformers import PreTrainedModel\n\n\nclass XModel(PreTrainedModel):\n    pass\n"}, [("config.json", 3)])]
    valid = [Example({"config.json": '{\n  "auto_map": {\n    "AutoModel": "modeling_x.XModel"\n  }\n}\n', "modeling_x.py": ""})]

    def check(self, ctx):
        files = set(ctx.repo.top_level())
        modules = sorted(f[:-3] for f in files if f.endswith(".py"))
        for ref in auto_map_entries(ctx):
            parsed = parse_ref(ref.value)
            if parsed is None or parsed[0] is not None:
                continue  # malformed (RL301) or from another repo (RL305)
            module = parsed[1]
            if f"{module}.py" in files:
                continue
            homes = defining_modules(ctx, parsed[2])
            suggestion = did_you_mean(module, modules)
            if len(homes) == 1:
                help_text = f"{homes[0]}.py defines {parsed[2]}."
            elif homes:
                help_text = f"{parsed[2]} is defined in {', '.join(m + '.py' for m in homes)}."
            else:
                help_text = f"Did you mean {suggestion[0]}.py?" if suggestion else "Upload the file with the class definition."
            yield Finding(
                ref.file,
                f"auto_map[{ref.auto_class!r}] names {ref.value}, but the repo has no {module}.py",
                pointer=ref.ptr,
                help=help_text,
                fix=stale_module_fix(ctx, ref, module, parsed[2]),
            )


@register
class RemoteReference(Rule):
    code = "RL305"
    name = "cross-repo-code"
    summary = "An auto_map entry pulls code from another repo (\"owner/repo--module.Class\")"
    severity = "info"
    why = (
        "With `owner/repo--module.Class`, transformers downloads and runs the module from another "
        "repo at load time. That code can change under this repo, and is not visible in it."
    )
    fix_text = "Nothing to do if intended; otherwise copy the module into this repo and drop the prefix."
    invalid = [Example({"config.json": '{\n  "auto_map": {\n    "AutoConfig": "someone/base-model--configuration_x.XConfig"\n  }\n}\n'}, [("config.json", 3)])]
    valid = [Example({"config.json": '{\n  "auto_map": {\n    "AutoConfig": "configuration_x.XConfig"\n  }\n}\n', "configuration_x.py": ""})]

    def check(self, ctx):
        for ref in auto_map_entries(ctx):
            parsed = parse_ref(ref.value)
            if parsed is not None and parsed[0] is not None:
                yield Finding(
                    ref.file,
                    f"auto_map[{ref.auto_class!r}] loads {parsed[1]}.py from another repo, {parsed[0]}",
                    pointer=ref.ptr,
                )


@register
class BuiltinShadowsRemote(Rule):
    code = "RL306"
    name = "builtin-model-type-with-custom-code"
    summary = "model_type is built into transformers, so auto_map[\"AutoConfig\"] is skipped unless trust_remote_code=True"
    severity = "warning"
    uses_knowledge = True
    why = (
        "When config.json's model_type is a built-in type, transformers treats the repo as having "
        "local code: without `trust_remote_code=True` it silently loads the built-in classes "
        "(e.g. LlamaConfig and LlamaModel) and never runs the repo's custom code, with no warning. "
        "That is right when the architecture was upstreamed, and a silent wrong model otherwise."
    )
    fix_text = "Give the custom config a model_type of its own, or drop auto_map if the built-in classes are meant."
    invalid = [Example({"config.json": '{\n  "model_type": "llama",\n  "auto_map": {"AutoConfig": "configuration_x.XConfig"}\n}\n', "configuration_x.py": ""}, [("config.json", 2)])]
    valid = [Example({"config.json": '{\n  "model_type": "x-net",\n  "auto_map": {"AutoConfig": "configuration_x.XConfig"}\n}\n', "configuration_x.py": ""})]

    def check(self, ctx):
        data = ctx.obj("config.json")
        if data is None:
            return
        auto_map = data.get("auto_map")
        mt = data.get("model_type")
        if not (isinstance(auto_map, dict) and "AutoConfig" in auto_map and isinstance(mt, str)):
            return
        if mt in ctx.knowledge.model_types:
            since = ctx.knowledge.since(mt)
            news = (f" (built in since {since}: on earlier releases this repo ran its own code)"
                    if since and since.split(".")[0] != "4" and since != "5.0.0" else "")
            yield Finding(
                "config.json",
                f"model_type {mt!r} is built into transformers {ctx.knowledge.label}{news}: without trust_remote_code=True "
                f"users silently get {ctx.knowledge.config_class(mt)} and the built-in model, not {auto_map['AutoConfig']}",
                pointer="/model_type",
            )


@register
class TokenizerAutoMapInConfig(Rule):
    code = "RL307"
    name = "tokenizer-auto-map-in-config"
    summary = "auto_map[\"AutoTokenizer\"] only in config.json, which transformers 5 no longer reads"
    uses_knowledge = True
    why = (
        "transformers 4.x took the custom tokenizer from config.json's `auto_map[\"AutoTokenizer\"]` "
        "when tokenizer_config.json had none; transformers 5 reads only tokenizer_config.json and "
        "silently loads a built-in tokenizer class (by tokenizer_class or model_type) instead of the "
        "repo's own."
    )
    fix_text = "Put `\"auto_map\": {\"AutoTokenizer\": [slow, fast]}` in tokenizer_config.json (tokenizer.save_pretrained writes it)."
    invalid = [
        Example(
            {"config.json": '{\n  "auto_map": {\n    "AutoTokenizer": ["tokenization_x.XTokenizer", null]\n  }\n}\n', "tokenizer_config.json": '{"tokenizer_class": "XTokenizer"}', "tokenization_x.py": ""},
            [("config.json", 3)],
        )
    ]
    valid = [
        Example({"tokenizer_config.json": '{"auto_map": {"AutoTokenizer": ["tokenization_x.XTokenizer", null]}}', "tokenization_x.py": ""}),
        Example({"config.json": '{\n  "auto_map": {"AutoTokenizer": ["tokenization_x.XTokenizer", null]}\n}\n', "tokenization_x.py": ""}, targets=("4.57",)),
    ]

    def check(self, ctx):
        if ctx.knowledge.major < 5:
            return
        data = ctx.obj("config.json")
        am = data.get("auto_map") if data else None
        if not isinstance(am, dict) or "AutoTokenizer" not in am:
            return
        tok = ctx.obj("tokenizer_config.json") or {}
        tok_am = tok.get("auto_map")
        if isinstance(tok_am, list) or (isinstance(tok_am, dict) and "AutoTokenizer" in tok_am):
            return
        yield Finding(
            "config.json",
            f"transformers {ctx.knowledge.label} ignores config.json's auto_map[\"AutoTokenizer\"]; "
            "AutoTokenizer loads a built-in class instead of the repo's tokenizer",
            pointer="/auto_map/AutoTokenizer",
        )
