"""Fixes for auto_map entries and the register_for_auto_class calls that write them: what
the entry should say, and how sure repolint is (the kind of the class it names).

Rules build their findings' fixes here (rules/auto_map.py, rules/code.py); the edits are
repolint.edits' minimal ones.
"""

from __future__ import annotations

from repolint.edits import fix, insert_member, python_string_edit, rename_key, replace_value
from repolint.resolve import class_kind, defining_modules, parse_ref, resolve_class
from repolint.suggest import unique_match


def has_fallback(ctx, auto_class: str) -> bool:
    """Whether transformers has a built-in class of this Auto class for config.json's model
    type (what a user of that Auto class gets when auto_map has no entry for it)."""
    mt = (ctx.obj("config.json") or {}).get("model_type")
    if not isinstance(mt, str):
        return False
    k = ctx.knowledge
    kind = k.auto_class_kind(auto_class)
    if kind == "model":
        return mt in k.model_mapping(auto_class)
    if kind == "config":
        return mt in k.model_types
    return True  # tokenizers, processors: looked up by other fields too; not judged here


def _kinds(ctx, value) -> list[str | None]:
    """The kind of each repo class an auto_map value names (None where unknown)."""
    kinds = []
    for v in value if isinstance(value, list) else [value]:
        parsed = parse_ref(v)
        if parsed is None or parsed[0] is not None:
            kinds.append(None)
            continue
        target = resolve_class(ctx, parsed[1], parsed[2])
        kinds.append(class_kind(ctx, target) if target is not None else None)
    return kinds


def kind_fits(kind: str | None, expected: str | None) -> bool | None:
    """True / False when the kinds are known (an image processor slot takes a feature
    extractor too), None when either is unknown."""
    if kind is None or expected is None:
        return None
    return kind == expected or (expected == "image_processor" and kind == "feature_extractor")


def _head(name: str) -> str | None:
    return name.rsplit("For", 1)[1] if "For" in name else None


def head_fits(ctx, class_name: str, auto_class: str) -> bool:
    """A model class is named for the head its Auto class loads: TinyForCausalLM under
    AutoModelForCausalLM, TinyModel (no head) under AutoModel. Other kinds: no heads."""
    if ctx.knowledge.auto_class_kind(auto_class) != "model":
        return True
    wanted = auto_class.split("AutoModelFor", 1)[1] if auto_class.startswith("AutoModelFor") else None
    return _head(class_name) == wanted


def _names(value) -> list[str]:
    refs = [parse_ref(v) for v in (value if isinstance(value, list) else [value])]
    return [r[2] for r in refs if r is not None]


def auto_class_key_fix(ctx, file_name: str, ptr: str, value, meant: str) -> dict | None:
    expected = ctx.knowledge.auto_class_kind(meant)
    fits = [kind_fits(kind, expected) for kind in _kinds(ctx, value)]
    if False in fits:
        return None  # the class is of another kind: a renamed key would be RL606's wrong Auto class
    heads = all(head_fits(ctx, name, meant) for name in _names(value))
    grade = "safe" if fits and all(fits) and heads else "unsafe"
    return fix(f"Rename the key to {meant!r}", grade, rename_key(ctx.doc(file_name), file_name, ptr, meant))


def stale_module_fix(ctx, ref, module: str, cls: str) -> dict | None:
    """auto_map names ``module.cls`` but the class lives in exactly one other module of the
    repo: point the entry there (safe when the class is of the Auto class's kind)."""
    homes = [m for m in defining_modules(ctx, cls) if m != module]
    if len(homes) != 1:
        return None
    target = resolve_class(ctx, homes[0], cls)
    fits = kind_fits(class_kind(ctx, target) if target else None, ctx.knowledge.auto_class_kind(ref.auto_class))
    if fits is False:
        return None
    value = f"{homes[0]}.{cls}"
    return fix(f"Point the entry at {value} ({homes[0]}.py defines {cls})", "safe" if fits else "unsafe",
               replace_value(ctx.doc(ref.file), ref.file, ref.ptr, value))



def class_name_fix(ctx, ref, module: str, cls: str, classes) -> dict | None:
    """auto_map names a class its module does not have, and exactly one class of the module is
    that close to the name: point the entry at it. Unsafe: the code may be what is wrong."""
    meant = unique_match(cls, classes)
    target = resolve_class(ctx, module, meant) if meant else None
    if target is None or kind_fits(class_kind(ctx, target), ctx.knowledge.auto_class_kind(ref.auto_class)) is False:
        return None
    value = f"{module}.{meant}"
    return fix(f"Point the entry at {value}", "unsafe", replace_value(ctx.doc(ref.file), ref.file, ref.ptr, value))


def registration_fix(ctx, rel: str, reg: dict, typo: str, meant: str, target) -> dict | None:
    """register_for_auto_class("AutoModelForCasualLM") -> ("AutoModelForCausalLM"): safe when
    the registered class is of that Auto class's kind and head (TinyForCausalLM), unsafe when
    its kind is unknown or its head another (TinyModel)."""
    fits = kind_fits(class_kind(ctx, target) if target else None, ctx.knowledge.auto_class_kind(meant))
    if fits is False:
        return None
    sure = fits and head_fits(ctx, target.name, meant)
    text, _ = ctx.repo.read_text(rel)
    return fix(f"Register for {meant!r}", "safe" if sure else "unsafe", python_string_edit(text, rel, reg, typo, meant))


# the file whose auto_map save_pretrained writes, by the kind of the class registered
ENTRY_FILES = {"config": "config.json", "model": "config.json", "image_processor": "preprocessor_config.json",
               "feature_extractor": "preprocessor_config.json"}


def missing_entry_fix(ctx, auto: str, target) -> dict | None:
    """The auto_map entry register_for_auto_class(auto) makes save_pretrained write, added where
    it would be: "AutoX": "<defining module>.<Class>". Safe: it is what transformers writes.
    Not offered for tokenizers ([slow, fast] pairs), for classes of another kind, or when the
    file has no auto_map or already maps ``auto`` to something else."""
    if target is None or target.facts is None:
        return None
    kind = ctx.knowledge.auto_class_kind(auto)
    file_name = ENTRY_FILES.get(kind)
    if file_name is None or kind_fits(class_kind(ctx, target), kind) is not True:
        return None
    doc = ctx.doc(file_name)
    auto_map = doc.obj.get("auto_map") if doc is not None and doc.obj is not None else None
    if not isinstance(auto_map, dict) or auto in auto_map:
        return None
    value = f"{target.module}.{target.name}"
    return fix(f"Add \"{auto}\": \"{value}\" to {file_name}'s auto_map (what save_pretrained writes)", "safe",
               insert_member(doc, file_name, "/auto_map", auto, value))
