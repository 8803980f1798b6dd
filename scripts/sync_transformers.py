#!/usr/bin/env python
"""Generate repolint's transformers knowledge snapshot from an installed transformers.

Usage (with a Python that has transformers installed)::

    python scripts/sync_transformers.py --out schemas/ [--since-cache DIR] [--no-since] [--no-fields]

Writes

* ``<out>/transformers-<version>.json`` -- registries (model types, auto classes and their
  mappings, exported class names, tokenizer files, ...), deterministic: sorted keys, no timestamps.
* ``<out>/config-read-only-<version>.json`` -- the config.json keys each config class cannot set
  (read-only properties: loading raises AttributeError) and the sub-configs it builds, learnt by
  building the classes (``configsync/readonly.py``; ``--only-read-only`` writes just this file).
* ``processor_parts`` in ``transformers-<version>.json`` -- the parts (tokenizer, image processor,
  ...) each processor class loads, read from the classes (``configsync/processor_parts.py``;
  ``--only-processor-parts`` rewrites just this key of the shipped snapshot).
* ``config_values`` in ``transformers-<version>.json`` -- ACT2FN's keys, and the config values
  (sizes, dropout probabilities, activation names) that make each model fail to build, learnt by
  building the models (``configsync/config_values.py``; ``--only-config-values`` rewrites just
  this key).
* ``<out>/fields/<version>/<model_type>.json`` -- transformers >= 5 only: per model type, the
  config fields that transformers' ``@strict`` dataclass machinery type-checks at load time, as
  JSON Schema, plus the ``validate_*`` class validators that can be expressed as data.

repolint itself never imports transformers; this script is the only place that does.

How the data is read
--------------------
* Registries are read at run time from ``transformers.models.auto`` (cheap: nothing but the auto
  modules and the config classes is imported; no modeling code).  Several registries are altered
  at import time by optional-dependency checks (e.g. ``"X" if is_sentencepiece_available() else
  None``, or the loops that blank out torchvision/vision classes).  So that the snapshot does not
  depend on which optional packages happen to be installed, every ``None`` left by such a check
  is filled back in from an ``ast`` evaluation of the auto modules' source, which takes the
  "dependency available" branch of every conditional.
* Exported class names come from the lazy import table of ``transformers`` (``_class_to_module``);
  names that currently point to a ``utils.dummy_*`` module (missing backend) are mapped back to
  their real module by reading ``transformers/__init__.py`` with ``ast``.  The kind of a class
  (model, config, tokenizer, ...) is given by the module it lives in *and* by it inheriting,
  statically (class headers are scanned in the source), from that kind's base class.
* ``tokenizer_files`` is resolved statically (``ast``) from ``vocab_files_names`` class
  attributes, following base classes and imports.
* "since" scans old wheels: see ``scan_since``.

Field schema conventions (``fields/<version>/<model_type>.json``)
----------------------------------------------------------------
``properties`` is JSON Schema (draft 2020-12 subset).  It is *sound* under standard JSON Schema
semantics -- it never rejects a value that transformers accepts -- and *exact* under the
"python number" reading that repolint uses, where a number is typed the way ``json.loads``
types it:

* ``"integer"`` = a Python ``int`` (a JSON number written without fraction/exponent).
  transformers rejects ``1.0`` for an ``int`` field (standard JSON Schema would accept it) and
  rejects ``true``/``false`` (JSON Schema does too).
* ``"number"`` = a Python ``float`` ONLY (``1.0``, ``1e-5``, NaN/Infinity).  transformers rejects
  ``1`` for a ``float``-annotated field (``isinstance(1, float)`` is False); a field that accepts
  both is emitted as ``["integer", "number"]``.  Standard JSON Schema would accept ``1`` for
  ``"number"``: permissive, therefore still sound.
* ``tuple``/``set`` annotations can never match a JSON value and are dropped from unions.
* Only dataclass *field names* are type-checked: keys that are aliases through the class'
  ``attribute_map`` (also written to the file) bypass the check in transformers.
* Fields whose annotation is a string (modules using ``from __future__ import annotations``,
  e.g. every ``PreTrainedConfig`` base field) are NOT checked by transformers and are omitted.
* ``default`` is the dataclass default when it is JSON-serialisable.

``validators`` run after ``__post_init__`` (they see derived values); a validator should be
evaluated only when the attributes it names are known.  Kinds:

* ``divisible``: raises unless ``dividend % divisor == 0`` (a zero divisor raises too).
  ``message`` is the exception text as a ``str.format`` template over the attribute names.
* ``layer_types``: every entry of ``attribute`` (after ``remap`` of legacy names) must be in
  ``allowed``, and, when ``count_attribute`` is not None, ``len(attribute) == count_attribute``.
  It applies when ``attribute`` is not None and the config has a ``count_attribute`` attribute
  (even an unknown extra key is an attribute); ``requires`` names an attribute that must be
  non-None for the check to run at all (transformers stops at the first missing one).  Like all
  validators these see post-``__post_init__`` values: several classes derive ``layer_types``
  when it is absent, so evaluating a check only when its attributes are present in config.json
  is sound, while treating an absent key as None is not.
"""

from __future__ import annotations

import argparse
import ast
import collections
import collections.abc
import dataclasses
import inspect
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import types
import typing
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from configsync import config_values, processor_parts, readonly  # noqa: E402

SNAPSHOT_KEYS = (
    "transformers_version",
    "model_types",
    "auto_classes",
    "auto_class_kinds",
    "model_mappings",
    "tokenizers",
    "image_processors",
    "feature_extractors",
    "processors",
    "video_processors",
    "processor_parts",
    "config_values",
    "classes",
    "tokenizer_files",
    "generation_params_popped",
    "models_with_incorrect_hub_tokenizer_class",
    "allowed_layer_types",
    "generation_cache_implementations",
    "counts",
)
CLASS_KINDS = ("model", "config", "tokenizer", "image_processor", "feature_extractor", "processor", "video_processor")

# Auto classes that are not model classes -> their kind.  Every other `Auto*` name exported by
# `transformers.models.auto` has a `_model_mapping` and is of kind "model" (AutoBackbone included).
_NON_MODEL_AUTO_KINDS = {
    "AutoConfig": "config",
    "AutoTokenizer": "tokenizer",
    "AutoImageProcessor": "image_processor",
    "AutoFeatureExtractor": "feature_extractor",
    "AutoProcessor": "processor",
    "AutoVideoProcessor": "video_processor",
}

# Module-name prefix (last dotted component) -> kind.  Order matters (longest first).
_MODULE_PREFIX_KINDS = (
    ("video_processing_", "video_processor"),
    ("image_processing_", "image_processor"),
    ("feature_extraction_", "feature_extractor"),
    ("processing_", "processor"),
    ("tokenization_", "tokenizer"),
    ("configuration_", "config"),
    ("modeling_", "model"),
)
# Base classes that define a kind (a class of that kind inherits from one of these, statically).
_KIND_ROOTS = {
    "model": {"PreTrainedModel", "TFPreTrainedModel", "FlaxPreTrainedModel"},
    "config": {"PreTrainedConfig", "PretrainedConfig"},
    "tokenizer": {"PreTrainedTokenizerBase"},
    "image_processor": {"ImageProcessingMixin"},
    "feature_extractor": {"FeatureExtractionMixin", "ImageProcessingMixin"},
    "processor": {"ProcessorMixin"},
    "video_processor": {"BaseVideoProcessor"},
}
# Tokenizer front-ends that do not inherit PreTrainedTokenizerBase (4.x MistralCommonTokenizer).
_EXTRA_TOKENIZER_CLASSES = {"MistralCommonTokenizer", "MistralCommonBackend"}
_FAST_TOKENIZER_ROOTS = {"PreTrainedTokenizerFast", "TokenizersBackend"}

DEFAULT_SINCE_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "repolint-sync")
_SINCE_CACHE_FILE = "config_model_types.json"
_SINCE_CACHE_FORMAT = 1


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _version_tuple(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split("."):
        m = re.match(r"\d+", part)
        out.append(int(m.group()) if m else 0)
    return tuple(out)


def _is_final_release(v: str) -> bool:
    return re.fullmatch(r"\d+\.\d+\.\d+", v) is not None


def dumps_snapshot(obj) -> str:
    """Deterministic serialisation of the main snapshot (indent=1, sorted keys)."""
    return json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def dumps_compact(obj) -> str:
    """Deterministic compact serialisation (field schemas: loaded one at a time at lint time)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


def _tf_root() -> Path:
    import transformers

    return Path(transformers.__file__).parent


# --------------------------------------------------------------------------------------------
# ast literal evaluation of registry modules ("every optional dependency available" view)
# --------------------------------------------------------------------------------------------


class _Opaque:
    """Placeholder for a value the literal evaluator cannot compute (e.g. a class reference)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<opaque {self.name}>"


class _Unknown(Exception):
    pass


class _ModuleSource:
    """Reads module source either from the installed package or from a wheel (zip)."""

    def __init__(self, root: Path | None = None, wheel: zipfile.ZipFile | None = None):
        self.root = root
        self.wheel = wheel
        self._names = set(wheel.namelist()) if wheel is not None else None

    def read(self, dotted: str) -> str | None:
        rel = dotted.split(".")
        for cand in ("/".join(rel) + ".py", "/".join(rel) + "/__init__.py"):
            if self.wheel is not None:
                name = "transformers/" + cand
                if name in self._names:
                    return self.wheel.read(name).decode("utf-8")
            else:
                p = self.root / cand
                if p.is_file():
                    return p.read_text(encoding="utf-8")
        return None


def _resolve_relative(current: str, level: int, module: str | None, is_package: bool = False) -> str:
    parts = current.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    if module:
        parts = parts + module.split(".")
    return ".".join(parts)


class _LiteralModuleEvaluator:
    """Evaluates module-level literal assignments of transformers' auto modules with `ast`.

    Supported: constants, list/tuple/dict displays (with ** unpacking), ``OrderedDict(...)`` /
    ``OrderedDict[...](...)`` / ``dict(...)`` calls, ``X.update(Y)``, names (including relative
    ``from .x import Y`` imports) and ``A if cond else B`` (always ``A``: the branch taken when the
    optional dependency is available).  ``if TYPE_CHECKING:`` takes the ``else`` branch; other
    ``if``/``try`` take the body (and ``else``).  Loops are ignored.  Names that cannot be
    evaluated become ``_Opaque`` placeholders (lenient mode) so keys can still be read.
    """

    def __init__(self, source: _ModuleSource):
        self.source = source
        self._envs: dict[str, dict] = {}

    def env(self, dotted: str) -> dict:
        if dotted in self._envs:
            return self._envs[dotted]
        env: dict = {}
        self._envs[dotted] = env
        text = self.source.read(dotted)
        if text is None:
            return env
        tree = ast.parse(text)
        self._exec_block(tree.body, dotted, env)
        return env

    def _exec_block(self, body, dotted, env):
        for stmt in body:
            try:
                self._exec(stmt, dotted, env)
            except _Unknown:
                pass

    def _exec(self, stmt, dotted, env):
        if isinstance(stmt, ast.ImportFrom) and stmt.level:
            target = _resolve_relative(dotted, stmt.level, stmt.module)
            for alias in stmt.names:
                if alias.name == "*":
                    continue
                env[alias.asname or alias.name] = ("__import__", target, alias.name)
        elif isinstance(stmt, ast.Assign):
            value = self._eval(stmt.value, dotted, env)
            for tgt in stmt.targets:
                if isinstance(tgt, ast.Name):
                    env[tgt.id] = value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
            env[stmt.target.id] = self._eval(stmt.value, dotted, env)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "update"
                and isinstance(func.value, ast.Name)
                and len(call.args) == 1
            ):
                target = self._lookup(func.value.id, dotted, env)
                if isinstance(target, dict):
                    upd = self._eval(call.args[0], dotted, env)
                    if isinstance(upd, dict):
                        target.update(upd)
        elif isinstance(stmt, ast.If):
            test = stmt.test
            if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                self._exec_block(stmt.orelse, dotted, env)
            else:
                self._exec_block(stmt.body, dotted, env)
        elif isinstance(stmt, ast.Try):
            self._exec_block(stmt.body, dotted, env)
            self._exec_block(stmt.orelse, dotted, env)

    def _lookup(self, name, dotted, env):
        if name not in env:
            return _Opaque(name)
        value = env[name]
        if isinstance(value, tuple) and len(value) == 3 and value[0] == "__import__":
            other = self.env(value[1])
            return self._lookup(value[2], value[1], other)
        return value

    def _eval(self, node, dotted, env):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Tuple):
            return tuple(self._eval(e, dotted, env) for e in node.elts)
        if isinstance(node, ast.List):
            return [self._eval(e, dotted, env) for e in node.elts]
        if isinstance(node, (ast.Set,)):
            return {self._eval(e, dotted, env) for e in node.elts}
        if isinstance(node, ast.Dict):
            out = collections.OrderedDict()
            for k, v in zip(node.keys, node.values):
                if k is None:
                    sub = self._eval(v, dotted, env)
                    if not isinstance(sub, dict):
                        raise _Unknown()
                    out.update(sub)
                else:
                    out[self._eval(k, dotted, env)] = self._eval(v, dotted, env)
            return out
        if isinstance(node, ast.IfExp):
            return self._eval(node.body, dotted, env)
        if isinstance(node, ast.Name):
            if node.id in ("None", "True", "False"):
                return {"None": None, "True": True, "False": False}[node.id]
            return self._lookup(node.id, dotted, env)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Subscript):
                func = func.value
            if isinstance(func, ast.Name) and func.id in ("OrderedDict", "dict"):
                out = collections.OrderedDict()
                for a in node.args:
                    val = self._eval(a, dotted, env)
                    if isinstance(val, dict):
                        out.update(val)
                    elif isinstance(val, (list, tuple)):
                        for item in val:
                            if not (isinstance(item, tuple) and len(item) == 2):
                                raise _Unknown()
                            out[item[0]] = item[1]
                    else:
                        raise _Unknown()
                for kw in node.keywords:
                    val = self._eval(kw.value, dotted, env)
                    if kw.arg is None:
                        if not isinstance(val, dict):
                            raise _Unknown()
                        out.update(val)
                    else:
                        out[kw.arg] = val
                return out
        raise _Unknown()

    def get(self, dotted: str, name: str):
        return self._lookup(name, dotted, self.env(dotted))


def config_model_types_from_source(source: _ModuleSource) -> list[str]:
    """model_type keys of CONFIG_MAPPING_NAMES (or CONFIG_MAPPING in very old releases)."""
    ev = _LiteralModuleEvaluator(source)
    mod = "models.auto.configuration_auto"
    for name in ("CONFIG_MAPPING_NAMES", "CONFIG_MAPPING"):
        val = ev.get(mod, name)
        if isinstance(val, dict) and val:
            return sorted(k for k in val if isinstance(k, str))
    raise RuntimeError("could not find CONFIG_MAPPING_NAMES in configuration_auto.py")


# --------------------------------------------------------------------------------------------
# registries
# --------------------------------------------------------------------------------------------


def _merge_runtime_static(runtime, static):
    """Fill the `None`s that optional-dependency checks left in a runtime value from the static one."""
    if runtime is None:
        return static
    if isinstance(runtime, dict) and isinstance(static, dict):
        out = dict(runtime)
        for k, v in static.items():
            if out.get(k) is None:
                out[k] = v
        return out
    if isinstance(runtime, (tuple, list)) and isinstance(static, (tuple, list)) and len(runtime) == len(static):
        return type(runtime)(r if r is not None else s for r, s in zip(runtime, static))
    return runtime


def _names_of(value) -> list[str]:
    """Class names held by a mapping value: str, (slow, fast) tuple, list, or {backend: name} dict."""
    if value is None or isinstance(value, _Opaque):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        # {backend: name}: default backend first (torchvision, then pil), then the others by name
        order = {"torchvision": 0, "pil": 1}
        values = [value[k] for k in sorted(value, key=lambda k: (order.get(k, 2), str(k)))]
    elif isinstance(value, (list, tuple)):
        values = list(value)
    else:
        return []
    out: list[str] = []
    for v in values:
        for n in _names_of(v):
            if n not in out:
                out.append(n)
    return out


def _runtime_module(dotted: str):
    import importlib

    try:
        return importlib.import_module(dotted)
    except Exception:
        return None


def _registry(static_ev, module_suffix: str, name: str) -> dict[str, list[str]]:
    dotted = "transformers.models.auto." + module_suffix
    static = static_ev.get("models.auto." + module_suffix, name)
    if not isinstance(static, dict):
        static = {}
    mod = _runtime_module(dotted)
    runtime = getattr(mod, name, None) if mod is not None else None
    if runtime is None:
        merged = dict(static)
    else:
        merged = {k: _merge_runtime_static(v, static.get(k)) for k, v in runtime.items()}
        missing = set(static) - set(runtime)
        if missing:
            print(f"  note: {name}: {len(missing)} static-only keys ignored: {sorted(missing)[:5]}", file=sys.stderr)
    return {k: _names_of(v) for k, v in merged.items()}


def collect_registries() -> dict:
    import transformers
    import transformers.models.auto as auto_module
    from transformers.models.auto import configuration_auto

    static_ev = _LiteralModuleEvaluator(_ModuleSource(root=_tf_root()))
    out: dict = {}

    # -- model types
    cfg_names = dict(configuration_auto.CONFIG_MAPPING_NAMES)
    static_types = config_model_types_from_source(_ModuleSource(root=_tf_root()))
    if sorted(cfg_names) != static_types:
        raise RuntimeError(
            "static CONFIG_MAPPING_NAMES evaluation disagrees with runtime: "
            f"{sorted(set(cfg_names) ^ set(static_types))[:10]}"
        )
    out["config_mapping_names"] = cfg_names

    # -- auto classes: exactly the Auto* names register_for_auto_class accepts
    # (it checks `hasattr(transformers.models.auto, name)`; lower-case/CONSTANT attributes of that
    # module would pass the hasattr too, but they are not auto classes and are not listed.)
    auto_names = sorted(n for n in dir(auto_module) if n.startswith("Auto"))
    kinds: dict[str, str] = {}
    model_mappings: dict[str, dict] = {}
    for n in auto_names:
        obj = getattr(auto_module, n)
        mapping = getattr(obj, "_model_mapping", None)
        if n in _NON_MODEL_AUTO_KINDS:
            kinds[n] = _NON_MODEL_AUTO_KINDS[n]
        elif mapping is not None:
            kinds[n] = "model"
            names = getattr(mapping, "_model_mapping", mapping)
            model_mappings[n] = {
                mt: (list(v) if isinstance(v, (list, tuple)) else v) for mt, v in names.items()
            }
        else:
            raise RuntimeError(f"cannot classify auto class {n}")
    out["auto_classes"] = auto_names
    out["auto_class_kinds"] = kinds
    out["model_mappings"] = model_mappings

    # -- processing registries (static fill-in of optional-dependency Nones)
    out["tokenizers"] = _registry(static_ev, "tokenization_auto", "TOKENIZER_MAPPING_NAMES")
    out["image_processors"] = _registry(static_ev, "image_processing_auto", "IMAGE_PROCESSOR_MAPPING_NAMES")
    out["feature_extractors"] = _registry(static_ev, "feature_extraction_auto", "FEATURE_EXTRACTOR_MAPPING_NAMES")
    out["processors"] = _registry(static_ev, "processing_auto", "PROCESSOR_MAPPING_NAMES")
    out["video_processors"] = _registry(static_ev, "video_processing_auto", "VIDEO_PROCESSOR_MAPPING_NAMES")

    major = _version_tuple(transformers.__version__)[0]
    # GenerationConfig.validate() raises for any other cache_implementation (5.x also accepts "paged")
    import inspect

    from transformers.generation import configuration_utils as gen_cu

    caches = list(gen_cu.ALL_CACHE_IMPLEMENTATIONS)
    if '"paged"' in inspect.getsource(gen_cu.GenerationConfig.validate):
        caches.append("paged")
    out["generation_cache_implementations"] = caches
    tok_mod = _runtime_module("transformers.models.auto.tokenization_auto")
    out["models_with_incorrect_hub_tokenizer_class"] = sorted(
        getattr(tok_mod, "MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS", None) or []
    )
    # 5.x: PreTrainedConfig.__post_init__ pops every default generation parameter from the kwargs.
    if major >= 5:
        from transformers import GenerationConfig

        out["generation_params_popped"] = sorted(GenerationConfig._get_default_generation_params().keys())
        from transformers import configuration_utils as cu

        out["allowed_layer_types"] = {
            "layer_types": list(cu.ALLOWED_ATTN_LAYER_TYPES),
            "mlp_layer_types": list(cu.ALLOWED_MLP_LAYER_TYPES),
        }
    else:
        # 4.x kept generation params as config attributes, and validated layer_types only through
        # explicit per-model `layer_type_validation(...)` calls: both out of scope here.
        out["generation_params_popped"] = []
        out["allowed_layer_types"] = {}
    return out


# --------------------------------------------------------------------------------------------
# exported classes
# --------------------------------------------------------------------------------------------

_CLASS_HEADER_RE = re.compile(r"^class\s+(\w+)\s*(?:\(([^)]*)\))?\s*:", re.M)
_ALIAS_RE = re.compile(r"^(\w+)\s*=\s*([A-Za-z_][\w.]*)\s*$", re.M)
_FROM_IMPORT_RE = re.compile(r"^\s*from\s+[\w.]+\s+import\s+(\([^)]*\)|[^\n]*)", re.M)
_IMPORT_AS_RE = re.compile(r"\b(\w+)\s+as\s+(\w+)\b")


def _init_real_modules(root: Path) -> dict[str, str]:
    """name -> module from the relative imports / _import_structure entries of transformers/__init__.py.

    Used to map objects that currently resolve to a `utils.dummy_*` module (their backend is
    missing in this environment) back to the module that defines them.
    """
    tree = ast.parse((root / "__init__.py").read_text(encoding="utf-8"))
    out: dict[str, str] = {}

    def visit(body):
        for stmt in body:
            if isinstance(stmt, ast.ImportFrom) and stmt.level == 1 and stmt.module:
                if not stmt.module.startswith("utils.dummy_"):
                    for a in stmt.names:
                        if a.name != "*":
                            out.setdefault(a.asname or a.name, stmt.module)
            elif isinstance(stmt, (ast.Assign, ast.Expr, ast.AugAssign)):
                # _import_structure["mod"] = [...] / _import_structure["mod"].extend([...]) / .append("x")
                node = stmt
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    tgt = stmt.targets[0]
                    if (
                        isinstance(tgt, ast.Subscript)
                        and isinstance(tgt.slice, ast.Constant)
                        and isinstance(stmt.value, (ast.List, ast.Tuple))
                    ):
                        mod = tgt.slice.value
                        if isinstance(mod, str) and not mod.startswith("utils.dummy_"):
                            for e in stmt.value.elts:
                                if isinstance(e, ast.Constant) and isinstance(e.value, str):
                                    out.setdefault(e.value, mod)
                elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                    call = node.value
                    f = call.func
                    if (
                        isinstance(f, ast.Attribute)
                        and f.attr in ("extend", "append")
                        and isinstance(f.value, ast.Subscript)
                        and isinstance(f.value.slice, ast.Constant)
                        and isinstance(f.value.slice.value, str)
                    ):
                        mod = f.value.slice.value
                        if mod.startswith("utils.dummy_"):
                            continue
                        for a in call.args:
                            elts = a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a]
                            for e in elts:
                                if isinstance(e, ast.Constant) and isinstance(e.value, str):
                                    out.setdefault(e.value, mod)
            elif isinstance(stmt, ast.If):
                visit(stmt.body)
                visit(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                visit(stmt.body)
                visit(stmt.orelse)  # the "dependency available" branch; handlers hold the dummies

    visit(tree.body)
    return out


def _module_file(root: Path, dotted: str) -> Path | None:
    p = root.joinpath(*dotted.split(".")).with_suffix(".py")
    if p.is_file():
        return p
    p = root.joinpath(*dotted.split("."), "__init__.py")
    return p if p.is_file() else None


def _module_kind(dotted: str) -> str | None:
    if dotted.startswith("models.auto.") or dotted == "models.auto":
        return None
    last = dotted.rsplit(".", 1)[-1]
    for prefix, kind in _MODULE_PREFIX_KINDS:
        if last.startswith(prefix):
            return kind
    return None


def exported_class_table() -> dict[str, str]:
    """Top-level exported name -> defining module (dummy modules resolved to the real ones)."""
    import transformers

    root = _tf_root()
    table = dict(getattr(transformers, "_class_to_module", {}) or {})
    if not table:  # pragma: no cover - very old transformers
        raise RuntimeError("transformers has no lazy import table (_class_to_module)")
    if any(m.startswith("utils.dummy_") for m in table.values()):
        real = _init_real_modules(root)
        for name, mod in list(table.items()):
            if mod.startswith("utils.dummy_"):
                if name in real:
                    table[name] = real[name]
                elif name not in ("DummyObject", "requires_backends"):
                    print(f"  note: cannot resolve dummy object {name} ({mod})", file=sys.stderr)
    return table


def collect_classes(table: dict[str, str], registry_names: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
    """Exported class names by kind.

    A name is of kind K when it is exported at top level, is a class (or class alias) defined in a
    module of kind K (``tokenization_*`` -> tokenizer, ...), and either inherits, by name, from K's
    base class or is named by one of K's auto registries (e.g. ``RagTokenizer``, a plain class).
    """
    registry_names = registry_names or {}
    root = _tf_root()
    candidates: dict[str, str] = {}
    for name, mod in table.items():
        kind = _module_kind(mod)
        if kind is not None and not name.startswith("_"):
            candidates[name] = mod
    # Scan class headers and simple aliases of every candidate module (regex: ast on 1,500+
    # modeling files takes ~20 s; a header scan is enough to follow inheritance by name).
    bases: dict[str, set[str]] = collections.defaultdict(set)
    defined_in: dict[str, set[str]] = collections.defaultdict(set)
    scanned: set[str] = set()
    for mod in sorted(set(candidates.values()) | {m for m in table.values() if _module_kind(m)}):
        if mod in scanned:
            continue
        scanned.add(mod)
        path = _module_file(root, mod)
        if path is None:
            continue
        text = path.read_text(encoding="utf-8")
        for m in _CLASS_HEADER_RE.finditer(text):
            cname, raw = m.group(1), m.group(2) or ""
            defined_in[mod].add(cname)
            for b in raw.split(","):
                b = b.strip()
                if not b or "=" in b:  # metaclass=...
                    continue
                b = b.split("[", 1)[0].rsplit(".", 1)[-1].strip()
                if b:
                    bases[cname].add(b)
        for m in _FROM_IMPORT_RE.finditer(text):
            for orig, alias in _IMPORT_AS_RE.findall(m.group(1)):
                if orig != alias:
                    bases[alias].add(orig)
        for m in _ALIAS_RE.finditer(text):
            alias, target = m.group(1), m.group(2).rsplit(".", 1)[-1]
            if alias != target and alias[:1].isupper() and not alias.isupper():
                defined_in[mod].add(alias)
                bases[alias].add(target)

    memo: dict[str, frozenset] = {}

    def ancestors(name: str, stack=()) -> frozenset:
        if name in memo:
            return memo[name]
        if name in stack:
            return frozenset()
        acc = {name}
        for b in bases.get(name, ()):
            acc |= ancestors(b, stack + (name,))
        memo[name] = frozenset(acc)
        return memo[name]

    out: dict[str, list[str]] = {k: [] for k in CLASS_KINDS}
    for name, mod in candidates.items():
        if name not in defined_in.get(mod, ()):
            continue  # a function or constant
        kind = _module_kind(mod)
        anc = ancestors(name)
        if (
            anc & _KIND_ROOTS[kind]
            or name in registry_names.get(kind, ())
            or (kind == "tokenizer" and name in _EXTRA_TOKENIZER_CLASSES)
        ):
            out[kind].append(name)
    return {k: sorted(v) for k, v in out.items()}


# --------------------------------------------------------------------------------------------
# tokenizer files (static)
# --------------------------------------------------------------------------------------------


class _StaticResolver:
    """Resolve names, class attributes and base classes across transformers modules with ast."""

    def __init__(self, root: Path):
        self.root = root
        self._trees: dict[str, tuple[ast.Module, bool] | None] = {}

    def tree(self, dotted: str):
        if dotted not in self._trees:
            path = _module_file(self.root, dotted)
            if path is None:
                self._trees[dotted] = None
            else:
                self._trees[dotted] = (ast.parse(path.read_text(encoding="utf-8")), path.name == "__init__.py")
        return self._trees[dotted]

    def _iter_body(self, body):
        for stmt in body:
            if isinstance(stmt, ast.If):
                yield from self._iter_body(stmt.body)
                yield from self._iter_body(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                yield from self._iter_body(stmt.body)
                yield from self._iter_body(stmt.orelse)
            else:
                yield stmt

    def lookup(self, dotted: str, name: str, depth: int = 0):
        """-> ("class", module, ClassDef) | ("value", module, expr) | None"""
        if depth > 25:
            return None
        t = self.tree(dotted)
        if t is None:
            return None
        tree, is_pkg = t
        found = None
        star_modules: list[str] = []
        for stmt in self._iter_body(tree.body):
            if found is not None:
                break
            if isinstance(stmt, ast.ImportFrom) and stmt.level and any(a.name == "*" for a in stmt.names):
                star_modules.append(_resolve_relative(dotted, stmt.level, stmt.module, is_pkg))
                continue
            if isinstance(stmt, ast.ClassDef) and stmt.name == name:
                found = ("class", dotted, stmt)
            elif isinstance(stmt, ast.Assign) and any(isinstance(x, ast.Name) and x.id == name for x in stmt.targets):
                found = ("value", dotted, stmt.value)
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == name
                and stmt.value is not None
            ):
                found = ("value", dotted, stmt.value)
            elif isinstance(stmt, ast.ImportFrom) and stmt.level:
                for a in stmt.names:
                    if (a.asname or a.name) == name:
                        target = _resolve_relative(dotted, stmt.level, stmt.module, is_pkg)
                        if target.startswith("transformers."):
                            target = target[len("transformers.") :]
                        found = ("import", target, a.name)
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.module.startswith("transformers"):
                for a in stmt.names:
                    if (a.asname or a.name) == name:
                        target = stmt.module[len("transformers") :].lstrip(".")
                        found = ("import", target, a.name)
        if found is None:
            for target in star_modules:
                hit = self.lookup(target, name, depth + 1)
                if hit is not None:
                    return hit
            return None
        if found[0] == "import":
            return self.lookup(found[1], found[2], depth + 1)
        if found and found[0] == "value" and isinstance(found[2], ast.Name):
            return self.lookup(dotted, found[2].id, depth + 1) or found
        return found

    def value(self, dotted: str, node, depth: int = 0):
        if depth > 25:
            raise _Unknown()
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Dict):
            out = {}
            for k, v in zip(node.keys, node.values):
                if k is None:
                    sub = self.value(dotted, v, depth + 1)
                    if not isinstance(sub, dict):
                        raise _Unknown()
                    out.update(sub)
                else:
                    out[self.value(dotted, k, depth + 1)] = self.value(dotted, v, depth + 1)
            return out
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(dotted, e, depth + 1) for e in node.elts]
        if isinstance(node, ast.Name):
            hit = self.lookup(dotted, node.id)
            if hit is None or hit[0] != "value":
                raise _Unknown()
            return self.value(hit[1], hit[2], depth + 1)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            out = {}
            for a in node.args:
                sub = self.value(dotted, a, depth + 1)
                if not isinstance(sub, dict):
                    raise _Unknown()
                out.update(sub)
            for kw in node.keywords:
                sub = self.value(dotted, kw.value, depth + 1)
                if kw.arg is None:
                    out.update(sub)
                else:
                    out[kw.arg] = sub
            return out
        raise _Unknown()

    def class_node(self, dotted: str, name: str):
        hit = self.lookup(dotted, name)
        if hit is not None and hit[0] == "class":
            return hit[1], hit[2]
        return None

    def base_classes(self, dotted: str, cls: ast.ClassDef):
        for b in cls.bases:
            bname = b.id if isinstance(b, ast.Name) else (b.attr if isinstance(b, ast.Attribute) else None)
            if bname is None:
                continue
            hit = self.class_node(dotted, bname)
            if hit is not None:
                yield hit

    def mro_names(self, dotted: str, name: str) -> list[str]:
        hit = self.class_node(dotted, name)
        out: list[str] = []
        todo = [hit] if hit else []
        while todo:
            mod, node = todo.pop(0)
            if node.name in out:
                continue
            out.append(node.name)
            todo.extend(self.base_classes(mod, node))
        return out

    def class_attr(self, dotted: str, name: str, attr: str):
        """Static value of a class attribute, following base classes (breadth-first)."""
        hit = self.class_node(dotted, name)
        seen = set()
        todo = [hit] if hit else []
        while todo:
            mod, node = todo.pop(0)
            if (mod, node.name) in seen:
                continue
            seen.add((mod, node.name))
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == attr for t in stmt.targets
                ):
                    return self.value(mod, stmt.value)
                if (
                    isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Name)
                    and stmt.target.id == attr
                    and stmt.value is not None
                ):
                    return self.value(mod, stmt.value)
            todo.extend(self.base_classes(mod, node))
        raise _Unknown()


def collect_tokenizer_files(table: dict[str, str], tokenizer_classes: list[str]) -> dict[str, dict]:
    resolver = _StaticResolver(_tf_root())
    out: dict[str, dict] = {}
    unresolved = []
    for name in tokenizer_classes:
        mod = table[name]
        try:
            vfn = resolver.class_attr(mod, name, "vocab_files_names")
        except _Unknown:
            vfn = None
        if not isinstance(vfn, dict):
            unresolved.append(name)
            files: list[str] = []
        else:
            # `tokenizer_file` (tokenizer.json) is what a fast tokenizer loads instead of these.
            files = sorted({v for k, v in vfn.items() if k != "tokenizer_file" and isinstance(v, str)})
        mro = set(resolver.mro_names(mod, name))
        out[name] = {"files": files, "fast": bool(mro & _FAST_TOKENIZER_ROOTS)}
    if unresolved:
        print(f"  note: vocab_files_names unresolved for {len(unresolved)} tokenizer classes: {unresolved[:8]}",
              file=sys.stderr)
    return out


# --------------------------------------------------------------------------------------------
# "since": first release whose configuration_auto.py lists the model type
# --------------------------------------------------------------------------------------------


def _pip(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=timeout,
    )


def _available_versions() -> list[str]:
    proc = _pip("index", "versions", "transformers")
    m = re.search(r"Available versions:\s*(.+)", proc.stdout)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"pip index versions failed: {proc.stderr[-500:]}")
    return [v.strip() for v in m.group(1).split(",") if v.strip()]


def _download_model_types(version: str, cache_dir: Path) -> list[str]:
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        proc = _pip("download", f"transformers=={version}", "--no-deps", "--only-binary", ":all:", "-d", tmp, "-q")
        wheels = list(Path(tmp).glob("transformers-*.whl"))
        if proc.returncode != 0 or not wheels:
            raise RuntimeError(f"pip download transformers=={version} failed: {proc.stderr[-500:]}")
        with zipfile.ZipFile(wheels[0]) as zf:
            return config_model_types_from_source(_ModuleSource(wheel=zf))


def _load_since_cache(cache_dir: Path) -> dict:
    p = cache_dir / _SINCE_CACHE_FILE
    if p.is_file():
        try:
            data = json.loads(p.read_text())
            if data.get("format") == _SINCE_CACHE_FORMAT:
                return data
        except (OSError, ValueError):
            pass
    return {"format": _SINCE_CACHE_FORMAT, "available": [], "versions": {}}


def _save_since_cache(cache_dir: Path, data: dict) -> None:
    p = cache_dir / _SINCE_CACHE_FILE
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")))
    tmp.replace(p)


def scan_since(target_version: str, target_model_types: list[str], cache_dir: str | os.PathLike,
               jobs: int = 4) -> dict[str, str]:
    """model_type -> first release (>= 4.0.0) whose configuration_auto.py lists it.

    Scan plan: for every minor release line 4.0 ... target, read the FIRST and the LAST published
    patch (e.g. 4.52.1 and 4.52.4; 4.0.0 and 4.0.1).  A model type present in the first patch of the
    first minor that has it gets that patch; one that only appears within a minor's later patches
    is located by bisecting that minor's patches, so the answer is the exact first release.
    (A type that disappeared and came back is dated by its first appearance.)
    Model types that predate 4.0 get "4.0.0": releases before 4.0.0 are not scanned.
    Wheels are downloaded with `pip download --no-deps --only-binary :all:` into a temporary
    directory under the cache dir, read with zipfile + ast (never imported) and deleted; the
    per-version model-type lists are cached in <cache_dir>/config_model_types.json.
    The target itself is read from the installed package.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = _load_since_cache(cache_dir)
    versions_cache: dict[str, list[str]] = cache["versions"]
    versions_cache[target_version] = sorted(target_model_types)

    available = cache.get("available") or []
    if target_version not in available:
        available = _available_versions()
        cache["available"] = available
    tv = _version_tuple(target_version)
    releases = sorted(
        (v for v in available if _is_final_release(v) and (4, 0, 0) <= _version_tuple(v) <= tv),
        key=_version_tuple,
    )
    if target_version not in releases:
        releases.append(target_version)
        releases.sort(key=_version_tuple)
    by_minor: dict[tuple[int, int], list[str]] = collections.OrderedDict()
    for v in releases:
        by_minor.setdefault(_version_tuple(v)[:2], []).append(v)

    def fetch(vs: list[str]) -> None:
        todo = [v for v in dict.fromkeys(vs) if v not in versions_cache]
        if not todo:
            return
        print(f"  since: downloading {len(todo)} wheels ({todo[0]} ... {todo[-1]})", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_download_model_types, v, cache_dir): v for v in todo}
            for n, fut in enumerate(as_completed(futures), 1):
                versions_cache[futures[fut]] = fut.result()
                if n % 10 == 0:  # keep progress if interrupted
                    _save_since_cache(cache_dir, cache)
        _save_since_cache(cache_dir, cache)

    try:
        fetch([vs[0] for vs in by_minor.values()] + [vs[-1] for vs in by_minor.values()])
        since: dict[str, str] = {}
        seen: set[str] = set()
        for patches in by_minor.values():
            first, last = set(versions_cache[patches[0]]), set(versions_cache[patches[-1]])
            for mt in sorted(first - seen):
                since[mt] = patches[0]
            late = (last - first) - seen - set(since)
            if late and len(patches) > 2:
                fetch(patches[1:-1])
            for mt in sorted(late):
                for v in patches[1:]:
                    if mt in versions_cache[v]:
                        since[mt] = v
                        break
            seen |= first | last
    finally:
        _save_since_cache(cache_dir, cache)

    out = {}
    for mt in target_model_types:
        if mt not in since:
            raise RuntimeError(f"model type {mt} not found in any scanned release")
        out[mt] = since[mt]
    return out


# --------------------------------------------------------------------------------------------
# field schemas (transformers >= 5: @strict config dataclasses)
# --------------------------------------------------------------------------------------------

NEVER = {"not": {}}
_TYPE_ORDER = ("null", "boolean", "integer", "number", "string", "array", "object")
# JSON kinds as json.loads produces them ("integer" = int, "number" = float only; see docstring)
_JSON_PYTYPES = (
    ("null", type(None)),
    ("boolean", bool),
    ("integer", int),
    ("number", float),
    ("string", str),
    ("array", list),
    ("object", dict),
)


class _Unsupported(Exception):
    """Annotation whose check we cannot mirror exactly: the property is omitted."""


def _type_schema(kinds) -> dict:
    kinds = [k for k in _TYPE_ORDER if k in set(kinds)]
    if not kinds:
        return NEVER
    return {"type": kinds[0] if len(kinds) == 1 else kinds}


def _schema_kinds(schema: dict) -> set[str] | None:
    """JSON kinds a plain {"type": ...} schema accepts, None if it has other keywords."""
    if schema == {}:
        return set(_TYPE_ORDER)
    if schema == NEVER:
        return set()
    if set(schema) == {"type"}:
        t = schema["type"]
        return {t} if isinstance(t, str) else set(t)
    return None


def _accepts_string(schema: dict) -> bool | None:
    """Whether `schema` accepts every one-character string (None: cannot tell)."""
    kinds = _schema_kinds(schema)
    if kinds is not None:
        return "string" in kinds
    if "anyOf" in schema:
        res = [_accepts_string(s) for s in schema["anyOf"]]
        if any(r is True for r in res):
            return True
        return False if all(r is False for r in res) else None
    if "enum" in schema:
        return False if not any(isinstance(v, str) for v in schema["enum"]) else None
    if "type" in schema:
        t = schema["type"]
        return False if "string" not in ([t] if isinstance(t, str) else t) else None
    return None


def annotation_to_schema(tp) -> dict:
    """JSON Schema mirroring huggingface_hub.dataclasses.type_validator for values from json.loads.

    Raises _Unsupported when the check cannot be mirrored exactly.
    """
    if tp is typing.Any:
        return {}
    if isinstance(tp, (str, typing.ForwardRef)):
        return {}  # string annotations are not checked by type_validator
    if tp is None or tp is type(None):
        return {"type": "null"}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        members = [annotation_to_schema(a) for a in args]
        if any(m == {} for m in members):
            return {}
        plain: set[str] = set()
        others: list[dict] = []
        for m in members:
            if m == NEVER:
                continue
            kinds = _schema_kinds(m)
            if kinds is not None:
                plain |= kinds
            elif m not in others:
                others.append(m)
        parts = ([_type_schema(plain)] if plain else []) + others
        if not parts:
            return NEVER
        return parts[0] if len(parts) == 1 else {"anyOf": parts}
    if origin is typing.Literal:
        values = []
        for a in args:
            if a is None or isinstance(a, (str, bool, int)) or (isinstance(a, float) and math.isfinite(a)):
                values.append(a)
            else:
                raise _Unsupported(f"Literal value {a!r}")
        return {"enum": values}
    if origin is list:
        out = {"type": "array"}
        if args:
            items = annotation_to_schema(args[0])
            if items != {}:
                out["items"] = items
        return out
    if origin is dict:
        out = {"type": "object"}
        if args:
            key_schema = annotation_to_schema(args[0])
            kinds = _schema_kinds(key_schema)
            if kinds is not None:
                if "string" not in kinds:
                    out["maxProperties"] = 0  # JSON keys are strings: only {} passes
            elif set(key_schema) == {"enum"}:
                names = [v for v in key_schema["enum"] if isinstance(v, str)]
                if names:
                    out["propertyNames"] = {"enum": names}
                else:
                    out["maxProperties"] = 0
            else:
                raise _Unsupported(f"dict key type {args[0]!r}")
            value_schema = annotation_to_schema(args[1])
            if value_schema != {} and "maxProperties" not in out:
                out["additionalProperties"] = value_schema
        return out
    if origin in (tuple, set, frozenset):
        return NEVER  # json.loads never produces these
    if origin is collections.abc.Sequence:
        # a list, or a str (a Sequence too) whose characters each match the item type
        array = {"type": "array"}
        if not args:
            return {"type": ["string", "array"]}
        items = annotation_to_schema(args[0])
        if items != {}:
            array["items"] = items
        accepts_str = _accepts_string(items)
        if accepts_str is None:
            raise _Unsupported(f"Sequence item {args[0]!r}")
        string = {"type": "string"} if accepts_str else {"type": "string", "maxLength": 0}
        return {"anyOf": [string, array]} if "items" in array else {"type": ["string", "array"]}
    if origin is not None:
        raise _Unsupported(f"generic {tp!r}")
    if isinstance(tp, type):
        if typing.is_typeddict(tp):
            return NEVER  # isinstance() raises TypeError -> rejected
        kinds = []
        for kind, pytype in _JSON_PYTYPES:
            if tp is int and pytype is bool:
                continue  # huggingface_hub special-cases bool for int
            try:
                if issubclass(pytype, tp):
                    kinds.append(kind)
            except TypeError as e:
                raise _Unsupported(f"{tp!r}") from e
        return _type_schema(kinds)
    raise _Unsupported(f"{tp!r}")


def _json_default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        try:
            value = f.default_factory()  # type: ignore[misc]
        except Exception:
            return dataclasses.MISSING
    else:
        return dataclasses.MISSING

    def conv(v):
        if v is None or isinstance(v, (str, bool, int)):
            return v
        if isinstance(v, float):
            if not math.isfinite(v):
                raise ValueError
            return v
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise ValueError
            return {k: conv(x) for k, x in v.items()}
        raise ValueError

    try:
        return conv(value)
    except ValueError:
        return dataclasses.MISSING


def _custom_validator_constraints(fn) -> dict | None:
    """Constraints for transformers.utils.type_validators field validators; None if unknown."""
    if getattr(fn, "__module__", "") != "transformers.utils.type_validators":
        return None
    qual = getattr(fn, "__qualname__", "")
    closure = {}
    if getattr(fn, "__closure__", None):
        closure = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))
    if qual == "interval.<locals>._inner":
        out = {}
        lo, hi = closure.get("min"), closure.get("max")
        if isinstance(lo, (int, float)) and math.isfinite(lo):
            out["exclusiveMinimum" if closure.get("exclude_min") else "minimum"] = lo
        if isinstance(hi, (int, float)) and math.isfinite(hi):
            out["exclusiveMaximum" if closure.get("exclude_max") else "maximum"] = hi
        return out
    if qual == "positive_int_field":
        return {"exclusiveMinimum": 0}
    if qual == "is_divisible_by.<locals>._inner":
        d = closure.get("divisor")
        if isinstance(d, (int, float)) and d > 0:
            return {"multipleOf": d}
        return None
    return None  # e.g. activation_fn_key: only enforced when torch is importable -> not encoded


def _attach(schema: dict, extra: dict) -> dict:
    if not extra:
        return schema
    if schema == {}:
        return dict(extra)
    if "type" in schema and not (set(extra) & set(schema)):
        return {**schema, **extra}
    return {"allOf": [schema, extra]}


def _is_kind(value, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, float)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return False


def _literal_match(value, option) -> bool:
    # mirrors huggingface_hub's _validate_literal
    if isinstance(value, bool):
        return isinstance(option, bool) and option == value
    if isinstance(value, int):
        return isinstance(option, int) and not isinstance(option, bool) and option == value
    return value == option


def check_value(schema: dict, value) -> bool:
    """Reference check of a json.loads value against a field schema, "python number" semantics.

    Covers exactly the keywords this script emits.  (Reference implementation for repolint and
    for tests/test_snapshot.py.)
    """
    if "not" in schema and check_value(schema["not"], value):
        return False
    if "type" in schema:
        kinds = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        if not any(_is_kind(value, k) for k in kinds):
            return False
    if "enum" in schema and not any(_literal_match(value, o) for o in schema["enum"]):
        return False
    if "anyOf" in schema and not any(check_value(s, value) for s in schema["anyOf"]):
        return False
    if "allOf" in schema and not all(check_value(s, value) for s in schema["allOf"]):
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and not value >= schema["minimum"]:
            return False
        if "maximum" in schema and not value <= schema["maximum"]:
            return False
        if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
            return False
        if "exclusiveMaximum" in schema and not value < schema["exclusiveMaximum"]:
            return False
        if "multipleOf" in schema and value % schema["multipleOf"] != 0:
            return False
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        return False
    if isinstance(value, list) and "items" in schema:
        if not all(check_value(schema["items"], v) for v in value):
            return False
    if isinstance(value, dict):
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            return False
        if "propertyNames" in schema and not all(check_value(schema["propertyNames"], k) for k in value):
            return False
        if "additionalProperties" in schema:
            if not all(check_value(schema["additionalProperties"], v) for v in value.values()):
                return False
    return True


# -- validators ------------------------------------------------------------------------------


def _self_attr(node) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _divisibility_operands(test) -> tuple[str, str] | None:
    """`self.a % self.b != 0` or bare `self.a % self.b` (truthy) -> (a, b)."""
    expr = test
    if isinstance(test, ast.Compare):
        if (
            len(test.ops) == 1
            and isinstance(test.ops[0], ast.NotEq)
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == 0
        ):
            expr = test.left
        else:
            return None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
        a, b = _self_attr(expr.left), _self_attr(expr.right)
        if a and b:
            return a, b
    return None


def _message_template(raise_node: ast.Raise) -> str | None:
    exc = raise_node.exc
    if not (isinstance(exc, ast.Call) and exc.args):
        return None
    arg = exc.args[0]
    parts = []

    def add(node) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            parts.append(node.value.replace("{", "{{").replace("}", "}}"))
            return True
        if isinstance(node, ast.JoinedStr):
            return all(add(v) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            name = _self_attr(node.value)
            if name is None or node.format_spec is not None:
                return False
            parts.append("{" + name + "}")
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return add(node.left) and add(node.right)
        return False

    return "".join(parts) if add(arg) else None


def _exc_name(raise_node: ast.Raise) -> str | None:
    exc = raise_node.exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return exc.id if isinstance(exc, ast.Name) else None


_FUNCTION_AST_CACHE: dict = {}


def _function_ast(fn) -> ast.FunctionDef | None:
    code = getattr(fn, "__code__", None)
    if code is not None and code in _FUNCTION_AST_CACHE:
        return _FUNCTION_AST_CACHE[code]
    node = _function_ast_uncached(fn)
    if code is not None:
        _FUNCTION_AST_CACHE[code] = node
    return node


def _function_ast_uncached(fn) -> ast.FunctionDef | None:
    try:
        src = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None
    tree = ast.parse(src)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def analyse_validator(fn, resolve_field) -> tuple[str, list[dict]]:
    """-> (status, encoded checks); status in {"encoded", "partial", "skipped", "no-raise"}.

    Encodes top-level `if <self.a % self.b [!= 0]>: raise ...` statements whose operands are
    dataclass fields.  Encoding stops at the first statement that may `return` or assign to
    `self` (later checks would not be guaranteed to run).
    """
    node = _function_ast(fn)
    if node is None:
        return "skipped", []
    if not any(isinstance(n, ast.Raise) for n in ast.walk(node)):
        return "no-raise", []
    checks: list[dict] = []
    unencodable = 0
    stopped = False
    for stmt in node.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring
        may_return = any(isinstance(n, ast.Return) for n in ast.walk(stmt))
        writes_self = any(
            isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
            and any(_self_attr(t) for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))
            for n in ast.walk(stmt)
        )
        if stopped:
            unencodable += 1
            continue
        ops = None
        raise_node = None
        if isinstance(stmt, ast.If) and not stmt.orelse and stmt.body and isinstance(stmt.body[0], ast.Raise):
            ops = _divisibility_operands(stmt.test)
            raise_node = stmt.body[0]
        if ops is not None and not may_return and not writes_self:
            a, b = resolve_field(ops[0]), resolve_field(ops[1])
            if a is not None and b is not None:
                check = {"kind": "divisible", "dividend": a, "divisor": b,
                         "exception": _exc_name(raise_node) or "Exception"}
                msg = _message_template(raise_node)
                if msg is not None:
                    check["message"] = msg
                checks.append(check)
                continue
        unencodable += 1
        if may_return or writes_self:
            stopped = True
    if not checks:
        return "skipped", []
    return ("encoded" if unencodable == 0 else "partial"), checks


def _layer_types_checks(cu, resolve_field) -> list[dict]:
    count = resolve_field("num_hidden_layers") or "num_hidden_layers"
    remap = dict(getattr(cu, "_LEGACY_LAYER_TYPE_REMAP", {}))
    return [
        {"kind": "layer_types", "attribute": "layer_types", "allowed": list(cu.ALLOWED_ATTN_LAYER_TYPES),
         "count_attribute": count, "remap": remap, "requires": []},
        {"kind": "layer_types", "attribute": "mlp_layer_types", "allowed": list(cu.ALLOWED_MLP_LAYER_TYPES),
         "count_attribute": count, "remap": {}, "requires": ["layer_types"]},
    ]


def _base_layer_type_validator_is_known(cu) -> bool:
    """Fingerprint PreTrainedConfig.validate_layer_type so a changed implementation is not encoded."""
    node = _function_ast(cu.PreTrainedConfig.validate_layer_type)
    if node is None:
        return False
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    consts = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)}
    return (
        {"ALLOWED_ATTN_LAYER_TYPES", "ALLOWED_MLP_LAYER_TYPES", "len"} <= names
        and {"layer_types", "mlp_layer_types", "num_hidden_layers"} <= consts
    )


def _strict_owner(cls):
    for k in cls.__mro__:
        if "__validators__" in vars(k):
            return k
    return None


def build_field_schemas(config_mapping_names: dict[str, str]) -> tuple[dict[str, dict], dict]:
    """model_type -> field schema (transformers >= 5), plus statistics."""
    from transformers import configuration_utils as cu
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    base_layer_code = cu.PreTrainedConfig.validate_layer_type.__code__
    base_layer_ok = _base_layer_type_validator_is_known(cu)
    stats = {
        "model_types": 0, "files": 0, "properties": 0, "omitted_unsupported": 0,
        "custom_field_validators_encoded": 0, "custom_field_validators_skipped": 0,
        "validators": collections.Counter(),  # status -> count of (model_type, method)
        "methods": {},  # qualname -> status (unique methods)
        "checks": collections.Counter(),
    }
    out: dict[str, dict] = {}
    for mt in sorted(config_mapping_names):
        stats["model_types"] += 1
        try:
            cls = CONFIG_MAPPING[mt]
        except Exception as e:  # e.g. a backend-gated config class
            print(f"  note: cannot import config for {mt}: {e}", file=sys.stderr)
            continue
        owner = _strict_owner(cls)
        if owner is None:
            continue
        fields = {f.name: f for f in dataclasses.fields(owner)}
        checked = {n: f for n, f in fields.items() if n in owner.__validators__ and not isinstance(f.type, str)}
        if not checked:
            continue
        attribute_map = dict(getattr(cls, "attribute_map", {}) or {})

        def resolve_field(name, _fields=fields, _amap=attribute_map):
            name = _amap.get(name, name)
            return name if name in _fields else None

        props = {}
        for name, f in sorted(checked.items()):
            try:
                schema = annotation_to_schema(f.type)
            except _Unsupported:
                stats["omitted_unsupported"] += 1
                continue
            extra = {}
            for v in f.metadata.get("validator") or []:
                cons = _custom_validator_constraints(v)
                if cons is None:
                    stats["custom_field_validators_skipped"] += 1
                else:
                    stats["custom_field_validators_encoded"] += 1
                    extra.update(cons)
            schema = _attach(schema, extra)
            default = _json_default(f)
            if schema == {} and default is dataclasses.MISSING:
                continue
            if default is not dataclasses.MISSING:
                schema = {**schema, "default": default}
            props[name] = schema
        stats["properties"] += len(props)

        validators: list[dict] = []
        # Class validators run at the end of __init__ only for the class that carries @strict itself
        # (a non-@strict subclass gets a fresh dataclass __init__ without the validate() call).
        class_validators = list(getattr(owner, "__class_validators__", [])) if owner is cls else []
        for fn in sorted(class_validators, key=lambda f: f.__name__):
            qual = f"{fn.__module__}.{fn.__qualname__}"
            if getattr(fn, "__code__", None) is base_layer_code and base_layer_ok:
                status, checks = "encoded", _layer_types_checks(cu, resolve_field)
            else:
                status, checks = analyse_validator(fn, resolve_field)
            stats["validators"][status] += 1
            stats["methods"][qual] = status
            for c in checks:
                stats["checks"][c["kind"]] += 1
            validators.extend(checks)

        entry = {
            "model_type": mt,
            "config_class": cls.__name__,
            "properties": props,
            "validators": validators,
        }
        if attribute_map:
            entry["attribute_map"] = attribute_map
        subs, dynamic = {}, []
        for key, spec in (getattr(cls, "sub_configs_defaults", None) or {}).items():
            subs[key] = getattr(spec, "model_type", None) or None
            # a spec with config_class=AutoConfig picks the class by the dict's own model_type (the
            # recorded one is the default); a spec with a fixed class ignores the dict's model_type
            spec_cls = getattr(spec, "config_class", None)
            if not (isinstance(spec_cls, type) and issubclass(spec_cls, cu.PreTrainedConfig)):
                dynamic.append(key)
        if subs:
            entry["sub_configs"] = subs
        if dynamic:
            entry["sub_configs_dynamic"] = sorted(dynamic)
        out[mt] = entry
        stats["files"] += 1
    return out, stats


def print_field_stats(stats: dict) -> None:
    methods = collections.Counter(stats["methods"].values())
    print(
        f"field schemas: {stats['files']} files / {stats['model_types']} model types, "
        f"{stats['properties']} properties, {stats['omitted_unsupported']} fields omitted (unsupported annotation)"
    )
    print(
        f"  custom field validators: {stats['custom_field_validators_encoded']} encoded, "
        f"{stats['custom_field_validators_skipped']} skipped"
    )
    print(
        "  validate_* methods (unique): "
        + ", ".join(f"{k} {methods.get(k, 0)}" for k in ("encoded", "partial", "skipped", "no-raise"))
        + f"  [{len(stats['methods'])} total]"
    )
    v = stats["validators"]
    print(
        "  validate_* per (model_type, method): "
        + ", ".join(f"{k} {v.get(k, 0)}" for k in ("encoded", "partial", "skipped", "no-raise"))
        + f"  [{sum(v.values())} total]; checks emitted: {dict(sorted(stats['checks'].items()))}"
    )


# --------------------------------------------------------------------------------------------
# snapshot
# --------------------------------------------------------------------------------------------


def build_snapshot(since: dict[str, str] | None = None, registries: dict | None = None) -> dict:
    """The snapshot dict for the installed transformers. `since`: model_type -> version (or None)."""
    import transformers

    reg = registries if registries is not None else collect_registries()
    table = exported_class_table()
    registry_names = {
        "model": {n for m in reg["model_mappings"].values() for v in m.values() for n in _names_of(v)},
        "config": set(reg["config_mapping_names"].values()),
        "tokenizer": {n for v in reg["tokenizers"].values() for n in v},
        "image_processor": {n for v in reg["image_processors"].values() for n in v},
        "feature_extractor": {n for v in reg["feature_extractors"].values() for n in v},
        "processor": {n for v in reg["processors"].values() for n in v},
        "video_processor": {n for v in reg["video_processors"].values() for n in v},
    }
    classes = collect_classes(table, registry_names)
    tokenizer_files = collect_tokenizer_files(table, classes["tokenizer"])
    since = since or {}
    model_types = {
        mt: {"config_class": cfg, "since": since.get(mt)} for mt, cfg in sorted(reg["config_mapping_names"].items())
    }
    snap = {
        "transformers_version": transformers.__version__,
        "model_types": model_types,
        "auto_classes": reg["auto_classes"],
        "auto_class_kinds": reg["auto_class_kinds"],
        "model_mappings": reg["model_mappings"],
        "tokenizers": reg["tokenizers"],
        "image_processors": reg["image_processors"],
        "feature_extractors": reg["feature_extractors"],
        "processors": reg["processors"],
        "video_processors": reg["video_processors"],
        "processor_parts": processor_parts.build(classes["processor"]),
        "config_values": config_values.build(reg["config_mapping_names"]),
        "classes": classes,
        "tokenizer_files": tokenizer_files,
        "generation_params_popped": reg["generation_params_popped"],
        "models_with_incorrect_hub_tokenizer_class": reg["models_with_incorrect_hub_tokenizer_class"],
        "allowed_layer_types": reg["allowed_layer_types"],
        "generation_cache_implementations": reg["generation_cache_implementations"],
    }
    snap["counts"] = snapshot_counts(snap)
    return snap


def snapshot_counts(snap: dict) -> dict:
    return {
        "model_types": len(snap["model_types"]),
        "auto_classes": len(snap["auto_classes"]),
        "auto_model_classes": len(snap["model_mappings"]),
        "auto_model_mapping_entries": sum(len(m) for m in snap["model_mappings"].values()),
        "tokenizers": len(snap["tokenizers"]),
        "image_processors": len(snap["image_processors"]),
        "feature_extractors": len(snap["feature_extractors"]),
        "processors": len(snap["processors"]),
        "video_processors": len(snap["video_processors"]),
        "classes": {k: len(v) for k, v in snap["classes"].items()},
        "tokenizer_files": len(snap["tokenizer_files"]),
        "generation_params_popped": len(snap["generation_params_popped"]),
        "models_with_incorrect_hub_tokenizer_class": len(snap["models_with_incorrect_hub_tokenizer_class"]),
        "allowed_layer_types": {k: len(v) for k, v in snap["allowed_layer_types"].items()},
        "generation_cache_implementations": len(snap["generation_cache_implementations"]),
    }


def snapshot_path(out_dir, version: str) -> Path:
    return Path(out_dir) / f"transformers-{version}.json"


def fields_dir(out_dir, version: str) -> Path:
    return Path(out_dir) / "fields" / version


def since_from_snapshot(path) -> dict[str, str]:
    p = Path(path)
    if not p.is_file():
        return {}
    data = json.loads(p.read_text(encoding="utf-8"))
    return {mt: v.get("since") for mt, v in data.get("model_types", {}).items() if v.get("since")}


def read_only_path(out_dir, version: str) -> Path:
    return Path(out_dir) / f"config-read-only-{version}.json"


def write_read_only(out_dir, config_mapping_names: dict[str, str]) -> None:
    t = time.monotonic()
    data = readonly.build(config_mapping_names)
    path = read_only_path(out_dir, data["transformers_version"])
    text = dumps_compact(data)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(text.encode('utf-8'))} bytes) in {time.monotonic() - t:.1f}s: "
          f"{data['probed_classes']} classes probed, {len(data['unprobed'])} not; counts {data['counts']}")


def write_field_schemas(schemas: dict[str, dict], directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    wanted = {f"{mt}.json" for mt in schemas}
    for old in directory.glob("*.json"):
        if old.name not in wanted:
            old.unlink()
    total = 0
    for mt, entry in schemas.items():
        data = dumps_compact(entry)
        (directory / f"{mt}.json").write_text(data, encoding="utf-8")
        total += len(data.encode("utf-8"))
    return total


def write_processor_parts(out_dir, version: str) -> None:
    """Rewrite only the ``processor_parts`` key of the shipped snapshot (its other keys untouched)."""
    t = time.monotonic()
    path = snapshot_path(out_dir, version)
    snap = json.loads(path.read_text(encoding="utf-8"))
    snap["processor_parts"] = processor_parts.build(snap["classes"]["processor"])
    path.write_text(dumps_snapshot(snap), encoding="utf-8")
    print(f"wrote processor_parts of {path} in {time.monotonic() - t:.1f}s: {len(snap['processor_parts'])} of "
          f"{len(snap['classes']['processor'])} processor classes (the others cannot be imported here)")


def write_config_values(out_dir, version: str) -> None:
    """Rewrite only the ``config_values`` key of the shipped snapshot (its other keys untouched)."""
    t = time.monotonic()
    path = snapshot_path(out_dir, version)
    snap = json.loads(path.read_text(encoding="utf-8"))
    names = {mt: v["config_class"] for mt, v in snap["model_types"].items()}
    snap["config_values"] = data = config_values.build(names)
    path.write_text(dumps_snapshot(snap), encoding="utf-8")
    print(f"wrote config_values of {path} in {time.monotonic() - t:.1f}s: {len(data['act2fn'])} activations, "
          f"{len(data['classes'])} config classes probed, {sum(1 for v in data['classes'].values() if v)} with values "
          "that fail")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory (e.g. schemas/)")
    ap.add_argument("--since-cache", default=DEFAULT_SINCE_CACHE,
                    help=f"cache dir for the since scan (default {DEFAULT_SINCE_CACHE})")
    ap.add_argument("--no-since", action="store_true",
                    help="do not scan old releases: reuse 'since' from the existing snapshot file, if any")
    ap.add_argument("--since-from", metavar="SNAPSHOT",
                    help="reuse 'since' from an older snapshot file (e.g. the previous release's) and date the "
                         "model types it lacks to the installed release; no wheels are scanned")
    ap.add_argument("--no-fields", action="store_true", help="do not write fields/<version>/ (5.x)")
    ap.add_argument("--no-read-only", action="store_true", help="do not write config-read-only-<version>.json")
    ap.add_argument("--only-read-only", action="store_true",
                    help="write only config-read-only-<version>.json (model types from the shipped snapshot)")
    ap.add_argument("--only-processor-parts", action="store_true",
                    help="rewrite only the processor_parts key of the shipped transformers-<version>.json")
    ap.add_argument("--only-config-values", action="store_true",
                    help="rewrite only the config_values key of the shipped transformers-<version>.json")
    ap.add_argument("--jobs", type=int, default=4, help="parallel wheel downloads for the since scan")
    args = ap.parse_args(argv)

    import transformers

    version = transformers.__version__
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.only_processor_parts:
        write_processor_parts(out_dir, version)
        return 0
    if args.only_config_values:
        write_config_values(out_dir, version)
        return 0
    if args.only_read_only:
        shipped = json.loads(snapshot_path(out_dir, version).read_text(encoding="utf-8"))
        write_read_only(out_dir, {mt: v["config_class"] for mt, v in shipped["model_types"].items()})
        return 0
    t0 = time.monotonic()
    reg = collect_registries()
    t_reg = time.monotonic()

    if args.since_from:
        since = since_from_snapshot(args.since_from)
        if not since:
            raise SystemExit(f"--since-from: no model types with a 'since' in {args.since_from}")
        since = {mt: since.get(mt, version) for mt in reg["config_mapping_names"]}
        t_since = 0.0
    elif args.no_since:
        since = since_from_snapshot(snapshot_path(out_dir, version))
        t_since = 0.0
    else:
        t = time.monotonic()
        since = scan_since(version, sorted(reg["config_mapping_names"]), args.since_cache, jobs=args.jobs)
        t_since = time.monotonic() - t
    snap = build_snapshot(since=since, registries=reg)
    path = snapshot_path(out_dir, version)
    text = dumps_snapshot(snap)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(text.encode('utf-8'))} bytes)")
    print(f"registries {t_reg - t0:.1f}s, since scan {t_since:.1f}s")
    print("counts: " + json.dumps(snap["counts"], sort_keys=True))

    if _version_tuple(version)[0] >= 5 and not args.no_fields:
        t = time.monotonic()
        schemas, stats = build_field_schemas(reg["config_mapping_names"])
        d = fields_dir(out_dir, version)
        size = write_field_schemas(schemas, d)
        print(f"wrote {len(schemas)} field schemas to {d} ({size} bytes) in {time.monotonic() - t:.1f}s")
        print_field_stats(stats)
    if not args.no_read_only:
        write_read_only(out_dir, reg["config_mapping_names"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
