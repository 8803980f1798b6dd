"""Resolution over a repo's metadata and module facts, as transformers does it.

``auto_map`` references ("module.Class", "owner/repo--module.Class", AutoTokenizer pairs) are
split the way ``dynamic_module_utils`` splits them; a class name is followed from the module
auto_map names through relative re-exports to its definition (in the repo, or in
transformers); the modules transformers copies and executes for an entry are the entry's
module and, by transformers' own regex, its relative imports, transitively.

The load plan (``repolint.plan``) and the rules read these; nothing here yields findings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

from repolint.jsonmap import pointer

AUTO_MAP_FILES = (
    "config.json",
    "tokenizer_config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "video_preprocessor_config.json",
)
BASE_KINDS = {
    "PreTrainedConfig": "config",
    "PretrainedConfig": "config",
    "PreTrainedModel": "model",
    "PreTrainedTokenizer": "tokenizer",
    "PreTrainedTokenizerFast": "tokenizer",
    "PreTrainedTokenizerBase": "tokenizer",
    "TokenizersBackend": "tokenizer",
    "PythonBackend": "tokenizer",
    "SentencePieceBackend": "tokenizer",
    "BaseImageProcessor": "image_processor",
    "BaseImageProcessorFast": "image_processor",
    "ImageProcessingMixin": "image_processor",
    "TorchvisionBackend": "image_processor",
    "PilBackend": "image_processor",
    "FeatureExtractionMixin": "feature_extractor",
    "SequenceFeatureExtractor": "feature_extractor",
    "ProcessorMixin": "processor",
    "BaseVideoProcessor": "video_processor",
}
@dataclass
class Ref:
    file: str
    auto_class: str
    ptr: str
    value: object  # the raw value at ptr


def auto_maps(ctx) -> Iterator[tuple[str, str, object]]:
    """(file, JSON pointer, value) of every auto_map: each file's top-level one and, in
    processor_config.json, those of the nested sub-processor configs."""
    for file_name in AUTO_MAP_FILES:
        data = ctx.obj(file_name)
        if data is None:
            continue
        if "auto_map" in data:
            yield file_name, "/auto_map", data["auto_map"]
        if file_name == "processor_config.json":
            for sub in ("image_processor", "feature_extractor", "video_processor"):
                nested = data.get(sub)
                if isinstance(nested, dict) and "auto_map" in nested:
                    yield file_name, f"/{sub}/auto_map", nested["auto_map"]


def auto_map_entries(ctx) -> Iterator[Ref]:
    """Every class reference in every auto_map, with AutoTokenizer pairs expanded."""
    for file_name, base, auto_map in auto_maps(ctx):
        yield from _entries_of(file_name, auto_map, base)


def _entries_of(file_name: str, auto_map, base: str) -> Iterator[Ref]:
    if isinstance(auto_map, list) and file_name == "tokenizer_config.json":
        # legacy top-level [slow, fast]
        for i, v in enumerate(auto_map[:2]):
            if v is not None:
                yield Ref(file_name, "AutoTokenizer", f"{base}/{i}", v)
        return
    if not isinstance(auto_map, dict):
        return
    for auto_class, value in auto_map.items():
        ptr = pointer([*split_pointer(base), auto_class])
        if isinstance(value, list):
            for i, v in enumerate(value):
                if v is not None:
                    yield Ref(file_name, auto_class, f"{ptr}/{i}", v)
        else:
            yield Ref(file_name, auto_class, ptr, value)


def split_pointer(base: str) -> list[str]:
    return [p for p in base.split("/") if p]


def parse_ref(value) -> tuple[str | None, str, str] | None:
    """(upstream repo or None, module, class) if transformers can split it, else None."""
    if not isinstance(value, str):
        return None
    repo = None
    ref = value
    if "--" in ref:
        parts = ref.split("--")
        if len(parts) != 2:
            return None
        repo, ref = parts
    parts = ref.split(".")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return repo, parts[0], parts[1]


# -- resolution over module facts ------------------------------------------------------------
@dataclass
class ClassRef:
    module: str  # repo module name ("" for a transformers class)
    name: str
    facts: dict | None  # the class facts, None for a transformers class


def facts(ctx, module: str) -> dict | None:
    """A module's facts, or None when it is missing, unreadable, does not parse, or was not
    fully analysed (``degraded``: its classes and imports are partial; RL601 says so)."""
    f = ctx.repo.python(f"{module}.py")
    if f is None or "problem" in f or f.get("syntax_error") or f.get("degraded"):
        return None
    return f


def imported_from(module_facts: dict, name: str) -> tuple[int, str, str] | None:
    """(level, module, original name) of the import that binds ``name`` at module level."""
    for imp in module_facts["imports"]:
        if not imp.get("top") or imp.get("type_checking"):
            continue
        for orig, asname in imp["names"]:
            bound = asname or (orig.split(".")[0] if imp["kind"] == "import" else orig)
            if bound == name:
                if imp["kind"] == "import":
                    return imp["level"], orig, ""
                return imp["level"], imp["module"] or "", orig
    return None


def resolve_class(ctx, module: str, name: str, seen=None) -> ClassRef | None:
    """Where ``name`` as seen from ``module`` is defined: in the repo (following relative
    re-exports) or in transformers (facts=None). None when unknown."""
    seen = seen or set()
    if (module, name) in seen:
        return None
    seen.add((module, name))
    f = facts(ctx, module)
    if f is None:
        return None
    if name in f["classes"] and f["names"].get(name) == "class":
        return ClassRef(module, name, f["classes"][name])
    src = imported_from(f, name)
    if src is None:
        return None
    level, mod, orig = src
    if level == 1 and mod and "." not in mod and orig:
        return resolve_class(ctx, mod, orig, seen)
    if level == 0 and (mod == "transformers" or mod.startswith("transformers.")) and orig:
        return ClassRef("", orig, None)
    return None


def class_kind(ctx, ref: ClassRef, depth: int = 0) -> str | None:
    if ref.facts is None:
        if ref.name in BASE_KINDS:
            return BASE_KINDS[ref.name]
        k = ctx.knowledge
        for kind in ("config", "model", "tokenizer", "image_processor", "feature_extractor", "processor", "video_processor"):
            if ref.name in k.classes(kind):
                return kind
        return None
    if depth > 20:
        return None
    for base in ref.facts["bases"]:
        parent = resolve_class(ctx, ref.module, base.split(".")[-1]) if "." not in base else ClassRef("", base.split(".")[-1], None)
        if parent is None and base in BASE_KINDS:
            parent = ClassRef("", base, None)
        if parent is not None:
            kind = class_kind(ctx, parent, depth + 1)
            if kind:
                return kind
    return None


def class_attr(ctx, ref: ClassRef, attr: str, depth: int = 0):
    """(value literal, defining ClassRef) following inheritance within the repo; for a
    transformers base, ("builtin", name)."""
    if ref.facts is None:
        return {"builtin": ref.name}, ref
    if attr in ref.facts["attrs"]:
        return ref.facts["attrs"][attr], ref
    if depth > 20:
        return None, ref
    for base in ref.facts["bases"]:
        parent = resolve_class(ctx, ref.module, base.split(".")[-1])
        if parent is None:
            continue
        value, owner = class_attr(ctx, parent, attr, depth + 1)
        if value is not None:
            return value, owner
    return None, ref


def builtin_model_type(ctx, class_name: str) -> str | None:
    if class_name in ("PreTrainedConfig", "PretrainedConfig"):
        return ""
    for mt, entry in ctx.knowledge.model_types.items():
        if entry["config_class"] == class_name:
            return mt
    return None


def local_refs(ctx):
    """auto_map references to this repo's modules, as (Ref, module, class)."""
    for ref in auto_map_entries(ctx):
        parsed = parse_ref(ref.value)
        if parsed is None or parsed[0] is not None:
            continue
        yield ref, parsed[1], parsed[2]

def defining_modules(ctx, name: str) -> list[str]:
    """The repo's top-level modules that define a class ``name`` at module level (parsed on
    demand: only asked when an auto_map entry does not find its class)."""
    found = []
    for rel in sorted(ctx.repo.top_level()):
        if rel.endswith(".py"):
            f = facts(ctx, rel[:-3])
            if f is not None and name in f["classes"] and f["names"].get(name) == "class":
                found.append(rel[:-3])
    return found


def module_closure(ctx, start: str) -> list[str]:
    """Modules transformers copies for ``start``: it and, by its regex, the relative imports
    that exist in the repo, transitively (missing ones are RL608's)."""
    files = set(ctx.repo.top_level())
    seen, order = set(), []
    stack = [start]
    while stack:
        mod = stack.pop()
        if mod in seen:
            continue
        seen.add(mod)
        order.append(mod)
        f = ctx.repo.python(f"{mod}.py")
        if not f or "problem" in f:
            continue
        stack.extend(name for name, _ in f["relative_regex"] if f"{name}.py" in files)
    return order


def loaded_modules(ctx) -> list[str]:
    """Every repo module transformers would load for this repo's auto_map entries (each
    entry's module and its relative imports, transitively), each once, in order. Only these
    are parsed: other Python files (conversion scripts, ...) are never run by transformers."""
    seen: dict[str, None] = {}
    for _ref, module, _cls in local_refs(ctx):
        for mod in module_closure(ctx, module):
            seen.setdefault(mod)
    return list(seen)


def absolute_imports(ctx, mod: str):
    """(import fact, top-level package) of the absolute imports check_imports will demand."""
    f = facts(ctx, mod)
    for imp in f["imports"] if f else ():
        if not imp["level"] and not imp.get("guarded"):
            top = (imp["module"] or "").split(".")[0]
            if top:
                yield imp, top


def model_type_in_name(ctx) -> str | None:
    """The model type transformers 4.x takes from the repo's name when config.json has none: the
    longest model type contained in it (4.57's AutoConfig tries them longest first, so "roberta"
    wins over "bert"). The name is the repo's own: its Hub id (the label, without a revision) or
    its folder's name, not the folders above it, which a user's load path need not share."""
    root = getattr(ctx.repo, "root", None)
    names = [str(ctx.repo.label).split("@")[0].rstrip("/").rsplit("/", 1)[-1],
             os.path.basename(os.path.realpath(root)) if root is not None else ""]
    found = [mt for mt in ctx.knowledge.model_types if any(mt in name for name in names if name)]
    return max(found, key=len) if found else None
