"""One release's API surface, read from its wheel: module -> the names ``from module import name``
finds, modelled on transformers' import behaviour (see ``resolve``).

Rules (all static, every optional dependency assumed installed):

* an ordinary module has what its statements bind (``modscan``), the public names (or
  ``__all__``) of every ``from m import *`` target, transitively, and its submodules (``from pkg
  import sub`` imports ``pkg.sub``).  ``__all__`` alone adds nothing: names it lists without
  binding them (``modular_*.py`` files do this) fail to import;
* a lazy package (``sys.modules[__name__] = _LazyModule(...)``) has the names of its lazy
  structure: ``_import_structure`` values, the first part of each key, the ``extra_objects``,
  every ``define_import_structure`` folder's ``__all__`` and ``@requires`` names, ``dir()`` of the
  dummy modules it lists, plus its submodules.  A name whose structure entry points at a
  submodule that does not define it is dropped (``_LazyModule`` raises on it);
* a module with a module-level ``__getattr__`` is *open*: unknown names are unknown, not missing;
  except 5.x ``__getattr__ = deprecate_attr(__name__, remove=..., rename=...)``, which serves
  exactly the keys of those dicts (counted as names: they import, with a FutureWarning);
* legacy aliases served by ``_LegacyModuleAliasFinder`` (``_LEGACY_MODULE_ALIASES`` in the top
  ``__init__``, and ``models.X.image_processing_Y_fast`` -> ``image_processing_Y``) are modules
  with their target's names, plus ``XImageProcessorFast`` for each ``XImageProcessor`` where the
  finder's ``__getattr__`` answers it;
* 5.x ``_LazyModule.__getattr__`` fallbacks are recorded per release, not materialised:
  ``lazy_fast_suffixes`` (``XTokenizerFast`` -> ``XTokenizer`` when that is in the structure)
  and ``lazy_any_names`` (tokenizer names that ``SLOW_TO_FAST_CONVERTERS`` aliases to another
  tokenizer: any lazy module answers them).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field

from .modscan import Facts, scan_source

ROOT = "transformers"
_IDENT = re.compile(r"[A-Za-z_]\w*\Z")


@dataclass
class ModuleSurface:
    names: set[str]
    lazy: bool = False
    open: bool = False


@dataclass
class ReleaseSurface:
    version: str
    modules: dict[str, ModuleSurface]
    lazy_fast_suffixes: list[str] = field(default_factory=list)
    lazy_any_names: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # modelling gaps met while reading


class _Reader:
    def __init__(self, version: str, zf: zipfile.ZipFile, facts_cache: dict):
        self.version = version
        self.cache = facts_cache
        self.files: dict[str, tuple[str, bool]] = {}  # module -> (zip path, is package)
        self.dirs: dict[str, set[str]] = {}           # folder module -> child names (files and folders)
        self.zf = zf
        for info in zf.infolist():
            path = info.filename
            if not path.startswith(ROOT + "/") or not path.endswith(".py"):
                continue
            parts = path[:-3].split("/")
            if not all(_IDENT.match(p) for p in parts):
                continue
            for i in range(1, len(parts)):
                self.dirs.setdefault(".".join(parts[:i]), set()).add(parts[i])
            if parts[-1] == "__init__":
                self.files[".".join(parts[:-1])] = (path, True)
            else:
                self.files[".".join(parts)] = (path, False)
        for d in self.dirs:
            self.dirs[d].discard("__init__")
        self.facts: dict[str, Facts | None] = {}
        self.memo: dict[str, ModuleSurface] = {}
        self.active: set[str] = set()
        self.notes: list[str] = []

    # -- raw facts --------------------------------------------------------------------------
    def source(self, module: str) -> bytes | None:
        entry = self.files.get(module)
        return self.zf.read(entry[0]) if entry else None

    def facts_of(self, module: str) -> Facts | None:
        if module not in self.facts:
            src = self.source(module)
            if src is None:
                self.facts[module] = None
            else:
                key = hashlib.sha1(src).hexdigest()
                if key not in self.cache:
                    self.cache[key] = scan_source(src)
                self.facts[module] = self.cache[key]
                if self.facts[module] is None:
                    self.notes.append(f"{module}: does not parse")
        return self.facts[module]

    def is_package(self, module: str) -> bool:
        return module in self.dirs

    def absolute(self, module: str, level: int, target: str) -> str:
        if level == 0:
            return target
        base = module.split(".")
        if not self.is_package(module):
            base = base[:-1]
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([target] if target else []))

    # -- surfaces ---------------------------------------------------------------------------
    def surface(self, module: str) -> ModuleSurface:
        if module in self.memo:
            return self.memo[module]
        if module in self.active:  # import cycle: what is known so far
            return ModuleSurface(set())
        self.active.add(module)
        try:
            surf = self._build(module)
        finally:
            self.active.discard(module)
        self.memo[module] = surf
        return surf

    def children(self, module: str) -> set[str]:
        return set(self.dirs.get(module, ()))

    def _build(self, module: str) -> ModuleSurface:
        facts = self.facts_of(module)
        if facts is None:  # a folder without __init__ (namespace package) or an unparsable file
            return ModuleSurface(self.children(module), open=module in self.files)
        if facts.lazy is not None:
            return self._build_lazy(module, facts)
        names = set(facts.bound) | self.children(module)  # __all__ adds nothing: it may list unbound names
        is_open = facts.open
        for level, target in facts.stars:
            exported = self.star_exports(self.absolute(module, level, target))
            if exported is None:
                is_open = True
                self.notes.append(f"{module}: star import of {target or '.'} (level {level}) not resolved")
            else:
                names |= exported
        return ModuleSurface(names, open=is_open)

    def star_exports(self, module: str) -> set[str] | None:
        if module.split(".")[0] != ROOT or (module not in self.files and module not in self.dirs):
            return None
        facts = self.facts_of(module)
        surf = self.surface(module)
        if facts is not None and facts.lazy is None and facts.all_names is not None:
            return set(facts.all_names) & surf.names  # an unbound name in __all__ fails the star import
        if facts is not None and facts.lazy is not None:
            return set(surf.names) - self.children(module) | self.lazy_keys(module, facts)
        return {n for n in surf.names - self.children(module) if not n.startswith("_")}

    def lazy_keys(self, module: str, facts: Facts) -> set[str]:
        keys = {k.split(".")[0] for k in facts.lazy.structure}
        for sub, prefix in facts.lazy.dis:
            keys |= {k.split(".")[0] for k in self.dis_structure(module, sub, prefix)}
        return keys

    def dis_structure(self, module: str, subdir: str, prefix: str | None) -> dict[str, set[str]]:
        """define_import_structure(<folder of module>/<subdir>, prefix): relative module -> names."""
        folder = ".".join([module] + ([p for p in subdir.split("/") if p]))
        out: dict[str, set[str]] = {}
        start = folder + "."
        for mod, (path, is_pkg) in self.files.items():
            if is_pkg or not mod.startswith(start):
                continue
            rel = mod[len(start):]
            if rel.split(".")[-1].startswith(("convert_", "modular_")):
                continue
            facts = self.facts_of(mod)
            if facts is None:
                continue
            exported = set(facts.all_names or ()) | facts.requires
            if exported:
                out[(prefix + "." if prefix else "") + rel] = exported
        return out

    def _build_lazy(self, module: str, facts: Facts) -> ModuleSurface:
        lazy = facts.lazy
        structure: dict[str, set[str]] = {k: set(v) for k, v in lazy.structure.items()}
        for key in lazy.dummy_keys:
            dummy = f"{module}.{key}"
            if dummy in self.files:
                structure[key] = structure.get(key, set()) | {
                    n for n in self.surface(dummy).names if not n.startswith("_")}
        for sub, prefix in lazy.dis:
            for k, v in self.dis_structure(module, sub, prefix).items():
                structure[k] = structure.get(k, set()) | v
        names = set(lazy.extra_objects) | self.children(module)
        for key, values in structure.items():
            names.add(key.split(".")[0])
            target = f"{module}.{key}"
            have = self.surface(target) if (target in self.files or target in self.dirs) else None
            for v in values:
                if have is None or have.open or v in have.names:
                    names.add(v)
                else:
                    self.notes.append(f"{module}: lazy name {v} -> {key}, which does not define it (dropped)")
        tc_only = sorted(facts.type_checking - names - {"TYPE_CHECKING"})
        if tc_only:  # typed but not in the lazy structure: _LazyModule does not serve them
            self.notes.append(f"{module}: {len(tc_only)} TYPE_CHECKING-only names left out: {tc_only[:5]}")
        return ModuleSurface(names, lazy=True, open=facts.open)

    # -- release-wide behaviour ---------------------------------------------------------------
    def aliases(self) -> dict[str, str]:
        """legacy module -> module whose names it serves (``_LegacyModuleAliasFinder``)."""
        top = self.facts_of(ROOT)
        out: dict[str, str] = {}
        if top is None:
            return out
        for alias, target in top.str_dicts.get("_LEGACY_MODULE_ALIASES", {}).items():
            out[f"{ROOT}.{alias}"] = f"{ROOT}.{target}"
        if "_LEGACY_FAST_IMAGE_PROCESSOR_MODULE" in top.bound | top.type_checking:
            pat = re.compile(rf"{ROOT}\.models\.(\w+)\.image_processing_(?!pil_)(\w+)\Z")
            for mod in list(self.files):
                if pat.match(mod) and f"{mod}_fast" not in self.files:
                    out[f"{mod}_fast"] = mod
        return out

    def alias_fast_fallback(self) -> bool:
        """Does ``_LegacyModuleAliasFinder.exec_module`` give alias modules a ``__getattr__`` that
        answers ``XImageProcessorFast`` with ``XImageProcessor``?"""
        src = (self.source(f"{ROOT}.utils.import_utils") or b"").decode("utf-8", "replace")
        return 'name.endswith("ImageProcessorFast") and hasattr(replacement, name[:-4])' in src

    def lazy_fallbacks(self, top_names: set[str]) -> tuple[list[str], set[str]]:
        src = (self.source(f"{ROOT}.utils.import_utils") or b"").decode("utf-8", "replace")
        suffixes = [s for s in ("TokenizerFast", "ImageProcessorFast") if f'name.endswith("{s}")' in src]
        any_names: set[str] = set()
        if "SLOW_TO_FAST_CONVERTERS" in src and "TokenizerFast" in suffixes:
            any_names = self.converter_aliases(top_names)
        return suffixes, any_names

    def converter_aliases(self, top_names: set[str]) -> set[str]:
        import ast

        src = self.source(f"{ROOT}.convert_slow_tokenizer")
        if src is None:
            return set()
        conv: dict[str, str] = {}
        for node in ast.parse(src).body:
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SLOW_TO_FAST_CONVERTERS"
                                                     for t in node.targets) and isinstance(node.value, ast.Dict)):
                for k, v in zip(node.value.keys, node.value.values):
                    if isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Name):
                        conv[k.value] = v.id
        out: set[str] = set()
        for name, converter in conv.items():
            candidates = [converter.replace("Converter", "") + "Tokenizer"] + [
                n for n, c in conv.items() if c == converter and n != name]
            if any(c in top_names for c in candidates):
                out |= {name, name + "Fast"}
        return out


def read_release(version: str, wheel: str, facts_cache: dict | None = None) -> ReleaseSurface:
    cache = {} if facts_cache is None else facts_cache
    with zipfile.ZipFile(wheel) as zf:
        r = _Reader(version, zf, cache)
        modules = {m: r.surface(m) for m in sorted(set(r.files) | set(r.dirs))}
        fast_alias = r.alias_fast_fallback()
        for alias, target in r.aliases().items():
            if target in modules and alias not in modules:
                t = modules[target]
                names = set(t.names)
                if fast_alias:  # the alias module's __getattr__: XImageProcessorFast -> XImageProcessor
                    names |= {n + "Fast" for n in t.names if n.endswith("ImageProcessor")}
                modules[alias] = ModuleSurface(names, lazy=t.lazy, open=t.open)
                parent, _, leaf = alias.rpartition(".")
                if parent in modules:
                    modules[parent].names.add(leaf)
        suffixes, any_names = r.lazy_fallbacks(modules[ROOT].names)
        return ReleaseSurface(version, modules, suffixes, any_names, sorted(set(r.notes)))
