#!/usr/bin/env python
"""Build custom-code ("trust_remote_code") fixture repos and a corpus of broken variants.

    python scripts/make_custom_fixtures.py --out tests/fixtures/custom [--broken-out DIR] [--only V ...]

1. A small Python package ``tinypkg`` (configuration_tiny.py, modeling_tiny.py,
   tiny_layers.py, tokenization_tiny.py, image_processing_tiny.py,
   processing_tiny.py; sources below in ``PKG_SOURCES``) is written to a temp
   dir, imported *as a package* (so the relative imports work), every class is
   ``register_for_auto_class``-ed and ``save_pretrained`` writes the valid repos
   into ``--out``: ``custom_model`` (config + model code, weights deleted),
   ``custom_tokenizer``, ``custom_image_processor``, ``custom_processor`` and
   ``custom_full`` (all of them in one repo).  Every file in them -- including
   the copied ``.py`` files and ``auto_map`` -- is written by transformers.

2. ``--broken-out`` (default: ``<out>/../custom_broken``) gets one folder per
   variant in ``VARIANTS``: a copy of a valid repo with ONE defect applied by
   editing files as text, so line numbers are realistic.

3. Ground truth: every repo is loaded in a fresh interpreter per repo
   (HF_HUB_OFFLINE=1, stdin closed, a private HF_MODULES_CACHE, cwd = an empty
   temp dir so sibling modules are never importable by accident), two
   interpreters at a time.  AutoModel* are built with ``from_config`` under
   ``torch.device("meta")``.  Results go to ``<out>/MANIFEST.json`` (valid
   repos: the Auto classes verified to load) and
   ``<broken-out>/MANIFEST.json`` (variants: defect, the line a linter should
   point at, and for every load ok / exception / first warning).  Temp paths in
   messages are replaced by ``<repo>`` / ``<modules>`` and the 16-hex content
   hash of the module cache by ``<hash>``.

This module only imports the standard library at import time:
tests/test_custom_fixtures_load.py imports ``WORKER`` / ``run_worker`` from it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# The custom-code package (kept small; every line a linter may point at is
# found by searching the text, never hard-coded)
# --------------------------------------------------------------------------

PKG_SOURCES: dict[str, str] = {}

PKG_SOURCES["configuration_tiny.py"] = '''\
"""Configuration of the Tiny model (repolint custom-code fixture)."""

from transformers import PreTrainedConfig


class TinyConfig(PreTrainedConfig):
    model_type = "tiny"

    def __init__(
        self,
        vocab_size=384,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        pad_token_id=3,
        bos_token_id=1,
        eos_token_id=2,
        **kwargs,
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        super().__init__(pad_token_id=pad_token_id, bos_token_id=bos_token_id, eos_token_id=eos_token_id, **kwargs)
'''

PKG_SOURCES["tiny_layers.py"] = '''\
"""Building blocks of the Tiny model (repolint custom-code fixture)."""

from torch import nn


class TinyMLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.up = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = nn.GELU()
        self.down = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, hidden_states):
        return hidden_states + self.down(self.act(self.up(hidden_states)))
'''

PKG_SOURCES["modeling_tiny.py"] = '''\
"""The Tiny model (repolint custom-code fixture)."""

import torch
from torch import nn

from transformers import GenerationMixin, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput, CausalLMOutput, SequenceClassifierOutput

from .configuration_tiny import TinyConfig
from .tiny_layers import TinyMLP


class TinyPreTrainedModel(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "model"

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)


class TinyModel(TinyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList([TinyMLP(config) for _ in range(config.num_hidden_layers)])
        self.post_init()

    def get_input_embeddings(self):
        return self.embed_tokens

    def set_input_embeddings(self, value):
        self.embed_tokens = value

    def forward(self, input_ids=None, attention_mask=None, **kwargs):
        hidden_states = self.embed_tokens(input_ids)
        for layer in self.layers:
            hidden_states = layer(hidden_states)
        return BaseModelOutput(last_hidden_state=hidden_states)


class TinyForCausalLM(TinyPreTrainedModel, GenerationMixin):
    def __init__(self, config):
        super().__init__(config)
        self.model = TinyModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
        hidden_states = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.lm_head(hidden_states)
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1), labels[:, 1:].flatten())
        return CausalLMOutput(loss=loss, logits=logits)


class TinyForSequenceClassification(TinyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.model = TinyModel(config)
        self.score = nn.Linear(config.hidden_size, config.num_labels, bias=False)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
        hidden_states = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.score(hidden_states[:, -1])
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=torch.as_tensor(logits))
'''

PKG_SOURCES["tokenization_tiny.py"] = '''\
"""Byte-level BPE tokenizer of the Tiny model (repolint custom-code fixture)."""

from tokenizers import Tokenizer, decoders, pre_tokenizers
from tokenizers.models import BPE

from transformers import TokenizersBackend


class TinyTokenizer(TokenizersBackend):
    vocab_files_names = {"vocab_file": "vocab.json", "merges_file": "merges.txt"}
    model_input_names = ["input_ids", "attention_mask"]
    model = BPE

    def __init__(
        self,
        vocab=None,
        merges=None,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        **kwargs,
    ):
        self._vocab = vocab if vocab is not None else {}
        self._merges = merges or []
        self._tokenizer = Tokenizer(BPE(vocab=self._vocab, merges=self._merges, fuse_unk=False))
        self._tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        self._tokenizer.decoder = decoders.ByteLevel()
        super().__init__(unk_token=unk_token, bos_token=bos_token, eos_token=eos_token, pad_token=pad_token, **kwargs)
'''

PKG_SOURCES["image_processing_tiny.py"] = '''\
"""Image processor of the Tiny model (repolint custom-code fixture). PIL backend: no torchvision needed."""

from transformers.image_processing_backends import PilBackend
from transformers.image_utils import IMAGENET_STANDARD_MEAN, IMAGENET_STANDARD_STD, PILImageResampling


class TinyImageProcessor(PilBackend):
    model_input_names = ["pixel_values"]
    resample = PILImageResampling.BILINEAR
    image_mean = IMAGENET_STANDARD_MEAN
    image_std = IMAGENET_STANDARD_STD
    size = {"height": 32, "width": 32}
    do_resize = True
    do_rescale = True
    do_normalize = True
'''

PKG_SOURCES["processing_tiny.py"] = '''\
"""Processor of the Tiny model: image processor + tokenizer (repolint custom-code fixture)."""

from transformers import ProcessorMixin


class TinyProcessor(ProcessorMixin):
    def __init__(self, image_processor=None, tokenizer=None, **kwargs):
        super().__init__(image_processor, tokenizer, **kwargs)
'''

PKG_NAME = "tinypkg"

# Which Auto class each saved class is registered for.
REGISTRATIONS = [
    ("configuration_tiny", "TinyConfig", "AutoConfig"),
    ("modeling_tiny", "TinyModel", "AutoModel"),
    ("modeling_tiny", "TinyForCausalLM", "AutoModelForCausalLM"),
    ("modeling_tiny", "TinyForSequenceClassification", "AutoModelForSequenceClassification"),
    ("tokenization_tiny", "TinyTokenizer", "AutoTokenizer"),
    ("image_processing_tiny", "TinyImageProcessor", "AutoImageProcessor"),
    ("processing_tiny", "TinyProcessor", "AutoProcessor"),
]

# --------------------------------------------------------------------------
# Which loads are probed
# --------------------------------------------------------------------------
# A load is (label, auto class, trust_remote_code).  Labels are the MANIFEST
# keys: the Auto class name for trust_remote_code=True, "<Auto>[no_trust]" for
# trust_remote_code left unset (the default call).

MODEL_AUTOS = ["AutoConfig", "AutoModel", "AutoModelForCausalLM", "AutoModelForSequenceClassification"]
PROC_AUTOS = ["AutoTokenizer", "AutoImageProcessor", "AutoProcessor"]

BASE_AUTOS = {
    "custom_model": MODEL_AUTOS,
    "custom_tokenizer": ["AutoTokenizer"],
    "custom_image_processor": ["AutoImageProcessor"],
    "custom_processor": PROC_AUTOS,
    "custom_full": MODEL_AUTOS + PROC_AUTOS,
}
BASE_KIND = {
    "custom_model": "text",
    "custom_tokenizer": "text",
    "custom_image_processor": "vision",
    "custom_processor": "multimodal",
    "custom_full": "multimodal",
}


def trusted(autos):
    return [(a, a, True) for a in autos]


def untrusted(autos):
    return [(f"{a}[no_trust]", a, None) for a in autos]


# --------------------------------------------------------------------------
# Loader run in a fresh interpreter (also used by tests/test_custom_fixtures_load.py)
# --------------------------------------------------------------------------
# argv[1] = JSON list of jobs {"id", "repo", "loads": [[label, auto, trust]], "side_effect_path"}.
# Prints "RESULT <json>" = {id: {"loads": {label: {...}}, "side_effect_created": bool}}.
# Between jobs the Auto mappings' registries (_extra_content) and the
# warning_once cache are reset, so several repos can share one interpreter.

WORKER = r'''
import contextlib, importlib, io, json, logging, os, re, sys, warnings
import torch, transformers
from transformers.utils import logging as hf_logging

hf_logging.set_verbosity_warning()
hf_logging.disable_progress_bar()

class _Grab(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []
    def emit(self, record):
        try:
            msg = record.getMessage()
        except Exception:
            msg = str(record.msg)
        self.lines.append(msg)

_grab = _Grab()
_root = hf_logging.get_logger()
_root.addHandler(_grab)

_AUTO_MODULES = ("configuration_auto", "modeling_auto", "tokenization_auto", "image_processing_auto",
                 "processing_auto", "feature_extraction_auto", "video_processing_auto")

def _registries():
    """Every Auto mapping with an `_extra_content` registry (filled by Auto*.register / remote code)."""
    regs = []
    seen = set()
    for name in _AUTO_MODULES:
        try:
            mod = importlib.import_module("transformers.models.auto." + name)
        except Exception:
            continue
        for value in list(vars(mod).values()):
            try:
                extra = getattr(value, "_extra_content", None)
            except Exception:
                continue
            if isinstance(extra, dict) and id(value) not in seen:
                seen.add(id(value))
                regs.append((value, dict(extra)))
    return regs

_SNAPSHOT = _registries()

def _reset():
    for obj, extra in _SNAPSHOT:
        obj._extra_content.clear()
        obj._extra_content.update(extra)
    cache_clear = getattr(getattr(logging.Logger, "warning_once", None), "cache_clear", None)
    if cache_clear is not None:
        cache_clear()

_TF_DIR = os.path.dirname(os.path.abspath(transformers.__file__))

def _norm(text, repo):
    text = text.replace(os.path.realpath(repo), "<repo>").replace(repo, "<repo>")
    mc = os.environ.get("HF_MODULES_CACHE")
    if mc:
        text = text.replace(os.path.realpath(mc), "<modules>").replace(mc, "<modules>")
    text = text.replace(_TF_DIR, "<transformers>")
    text = re.sub(r"(?<=[./])[0-9a-f]{16}(?![0-9A-Za-z_])", "<hash>", text)
    return text

def _first(exc):
    s = str(exc).strip()
    return s.splitlines()[0] if s else ""

_stage = [None]

def _load(repo, auto_name, trust):
    auto = getattr(transformers, auto_name)
    kw = {} if trust is None else {"trust_remote_code": trust}
    if auto_name.startswith("AutoModel"):
        _stage[0] = "AutoConfig.from_pretrained"
        config = transformers.AutoConfig.from_pretrained(repo, **kw)
        _stage[0] = auto_name + ".from_config"
        with torch.device("meta"):
            return auto.from_config(config, **kw)
    _stage[0] = auto_name + ".from_pretrained"
    return auto.from_pretrained(repo, **kw)

jobs = json.loads(sys.argv[1])
results = {}
for job in jobs:
    _reset()
    repo = job["repo"]
    side = job.get("side_effect_path")
    if side:
        os.environ["REPOLINT_SIDE_EFFECT_PATH"] = side
    out = {}
    for label, auto_name, trust in job["loads"]:
        _grab.lines = []
        sink = io.StringIO()
        entry = {"auto_class": auto_name, "trust_remote_code": trust}
        with warnings.catch_warnings(record=True) as pyw, contextlib.redirect_stdout(sink):
            warnings.simplefilter("always")
            try:
                obj = _load(repo, auto_name, trust)
                entry["ok"] = True
                entry["loaded_as"] = type(obj).__name__
                entry["remote_code"] = type(obj).__module__.startswith("transformers_modules")
                if auto_name == "AutoProcessor":
                    entry["is_processor"] = isinstance(obj, transformers.ProcessorMixin)
                if job.get("attrs"):
                    src = getattr(obj, "config", obj) if auto_name.startswith("AutoModel") else obj
                    entry["attrs"] = {a: getattr(src, a, None) for a in job["attrs"]}
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                entry["ok"] = False
                entry["error_type"] = type(exc).__name__
                entry["error"] = _norm(f"{type(exc).__name__}: {_first(exc)}", repo)
                entry["failed_in"] = _stage[0]
        warns = [_norm(l.strip().splitlines()[0], repo) for l in _grab.lines if l.strip()]
        quiet = (DeprecationWarning, PendingDeprecationWarning)
        warns += [_norm(str(w.message).strip().splitlines()[0], repo) for w in pyw
                  if str(w.message).strip() and not issubclass(w.category, quiet)]
        entry["warnings"] = list(dict.fromkeys(warns))
        if sink.getvalue().strip():
            entry["stdout"] = _norm(sink.getvalue().strip().splitlines()[0], repo)
        out[label] = entry
    results[job["id"]] = {"loads": out}
    if side:
        results[job["id"]]["side_effect_created"] = os.path.exists(side)
print("RESULT " + json.dumps(results))
'''


def child_env(modules_cache: str) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_MODULES_CACHE=modules_cache,
        TOKENIZERS_PARALLELISM="false",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_worker(jobs: list[dict], timeout: float = 300, python: str | None = None) -> dict:
    """Run WORKER on `jobs` in one fresh interpreter with its own modules cache and an empty cwd."""
    with tempfile.TemporaryDirectory(prefix="repolint-hfmod-") as mc, \
            tempfile.TemporaryDirectory(prefix="repolint-cwd-") as cwd:
        jobs = [dict(j) for j in jobs]
        for j in jobs:
            if j.pop("side_effect", False):
                safe = re.sub(r"[^A-Za-z0-9_.-]", "_", j["id"])
                j["side_effect_path"] = os.path.join(cwd, f"side_effect_{safe}.txt")
        proc = subprocess.run(
            [python or sys.executable, "-c", WORKER, json.dumps(jobs)],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
            env=child_env(mc), cwd=cwd,
        )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(
        f"loader subprocess exited {proc.returncode} without a result\n"
        f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-4000:]}"
    )


def run_parallel(job_batches: list[list[dict]], workers: int = 2, timeout: float = 300) -> dict:
    merged: dict = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for res in pool.map(lambda b: run_worker(b, timeout=timeout), job_batches):
            merged.update(res)
    return merged


# --------------------------------------------------------------------------
# Building the valid repos (transformers' own save_pretrained)
# --------------------------------------------------------------------------

WEIGHT_PATTERNS = ("*.safetensors", "*.safetensors.index.json", "*.bin", "*.bin.index.json")


def write_package(root: Path) -> Path:
    pkg = root / PKG_NAME
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Tiny custom-code package (repolint fixture)."""\n', encoding="utf-8")
    for name, src in PKG_SOURCES.items():
        (pkg / name).write_text(src, encoding="utf-8")
    return pkg


def build_valid(out: Path) -> list[str]:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import importlib

    import torch
    import transformers

    sys.path.insert(0, str(HERE))
    from make_fixtures import byte_level_bpe  # deterministic offline BPE learner

    transformers.utils.logging.set_verbosity_error()
    names = list(BASE_AUTOS)
    with tempfile.TemporaryDirectory(prefix="repolint-tinypkg-") as tmp:
        write_package(Path(tmp))
        sys.path.insert(0, tmp)
        try:
            mods = {m: importlib.import_module(f"{PKG_NAME}.{m}") for m, _, _ in REGISTRATIONS}
            classes = {}
            for module, cls_name, auto in REGISTRATIONS:
                cls = getattr(mods[module], cls_name)
                cls.register_for_auto_class(auto)
                classes[cls_name] = cls

            vocab, merges = byte_level_bpe(["<unk>", "<s>", "</s>", "<pad>"])

            def make_tokenizer():
                return classes["TinyTokenizer"](vocab=vocab, merges=merges, model_max_length=64)

            def make_config(tok):
                labels = ["negative", "positive"]
                return classes["TinyConfig"](
                    vocab_size=len(tok), pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                    eos_token_id=tok.eos_token_id, id2label=dict(enumerate(labels)),
                    label2id={l: i for i, l in enumerate(labels)},
                )

            def save_models(dest: Path, config):
                # One shared config: each save adds its Auto class to config.auto_map.
                # TinyForCausalLM last, so architectures == ["TinyForCausalLM"].
                for cls_name in ("TinyForSequenceClassification", "TinyModel", "TinyForCausalLM"):
                    torch.manual_seed(0)
                    classes[cls_name](config).save_pretrained(dest)
                for pattern in WEIGHT_PATTERNS:
                    for f in dest.glob(pattern):
                        f.unlink()

            def make_processor(tok):
                return classes["TinyProcessor"](image_processor=classes["TinyImageProcessor"](), tokenizer=tok)

            for name in names:
                dest = out / name
                if dest.exists():
                    shutil.rmtree(dest)
                dest.mkdir(parents=True)
                tok = make_tokenizer()
                if name == "custom_model":
                    save_models(dest, make_config(tok))
                elif name == "custom_tokenizer":
                    tok.save_pretrained(dest)
                elif name == "custom_image_processor":
                    classes["TinyImageProcessor"]().save_pretrained(dest)
                elif name == "custom_processor":
                    make_processor(tok).save_pretrained(dest)
                elif name == "custom_full":
                    save_models(dest, make_config(tok))
                    make_processor(tok).save_pretrained(dest)
        finally:
            sys.path.remove(tmp)
            for m in [m for m in sys.modules if m == PKG_NAME or m.startswith(PKG_NAME + ".")]:
                del sys.modules[m]
    return names


# --------------------------------------------------------------------------
# Text edits
# --------------------------------------------------------------------------


def _read(d: Path, f: str) -> str:
    return (d / f).read_text(encoding="utf-8")


def _write(d: Path, f: str, text: str) -> None:
    (d / f).parent.mkdir(parents=True, exist_ok=True)
    (d / f).write_text(text, encoding="utf-8")


def sub(d: Path, f: str, old: str, new: str, count: int = 1) -> None:
    """Replace `old` by `new` in file `f`; `old` must occur exactly `count` times (0 = any number >= 1)."""
    text = _read(d, f)
    n = text.count(old)
    if (count and n != count) or n == 0:
        raise RuntimeError(f"{d.name}/{f}: {old!r} occurs {n} times, expected {count or '>=1'}")
    _write(d, f, text.replace(old, new))


def word_sub(d: Path, f: str, old: str, new: str) -> None:
    text = _read(d, f)
    new_text, n = re.subn(rf"\b{re.escape(old)}\b", new, text)
    if not n:
        raise RuntimeError(f"{d.name}/{f}: no word {old!r}")
    _write(d, f, new_text)


def insert_after(d: Path, f: str, anchor_line: str, block: str) -> None:
    """Insert `block` (complete lines) after the unique line equal to `anchor_line`."""
    lines = _read(d, f).splitlines(keepends=True)
    idx = [i for i, l in enumerate(lines) if l.rstrip("\n") == anchor_line]
    if len(idx) != 1:
        raise RuntimeError(f"{d.name}/{f}: anchor line {anchor_line!r} found {len(idx)} times")
    lines[idx[0] + 1:idx[0] + 1] = [block if block.endswith("\n") else block + "\n"]
    _write(d, f, "".join(lines))


def drop_line(d: Path, f: str, needle: str) -> None:
    lines = _read(d, f).splitlines(keepends=True)
    idx = [i for i, l in enumerate(lines) if needle in l]
    if len(idx) != 1:
        raise RuntimeError(f"{d.name}/{f}: {needle!r} found on {len(idx)} lines")
    del lines[idx[0]]
    _write(d, f, "".join(lines))


def append(d: Path, f: str, block: str) -> None:
    _write(d, f, _read(d, f).rstrip("\n") + "\n" + block)


def line_of(d: Path, f: str, needle) -> int:
    """1-based line of `needle` (must be unique), or of its first occurrence for `needle=(text, "first")`."""
    first = isinstance(needle, tuple)
    if first:
        needle = needle[0]
    hits = [i for i, l in enumerate(_read(d, f).splitlines(), 1) if needle in l]
    if first and hits:
        return hits[0]
    if len(hits) != 1:
        raise RuntimeError(f"{d.name}/{f}: {needle!r} on lines {hits}, expected exactly one")
    return hits[0]


def at(d: Path, f: str, *needles: str, **extra) -> dict:
    lines = [line_of(d, f, n) for n in needles]
    loc = {"edited_file": f, "edited_line": lines[0] if len(lines) == 1 else lines}
    loc.update(extra)
    return loc


def also(d: Path, f: str, *needles: str) -> dict:
    lines = [line_of(d, f, n) for n in needles]
    return {"file": f, "line": lines[0] if len(lines) == 1 else lines}


def class_block(text: str, name: str) -> str:
    """Source of top-level class `name` (up to the next top-level statement), with trailing blank lines."""
    m = re.search(rf"^class {name}\b.*?(?=^\S)", text + "\nEOF", flags=re.M | re.S)
    if not m:
        raise RuntimeError(f"class {name} not found")
    return m.group(0)


# --------------------------------------------------------------------------
# Broken variants
# --------------------------------------------------------------------------

VARIANTS: dict[str, dict] = {}

M = "modeling_tiny.py"
C = "configuration_tiny.py"
CJ = "config.json"
OUTPUTS_IMPORT = "from transformers.modeling_outputs import BaseModelOutput, CausalLMOutput, SequenceClassifierOutput"


def variant(name, base, defect, loads=None, side_effect=False, note=None, attrs=None):
    """Register a variant. `apply(d)` edits the copy in `d` and returns its location dict.

    `loads`: [(label, auto class, trust_remote_code)], default: every Auto class of the base, trusted.
    `attrs`: config attributes recorded for every successful load (config, or model.config).
    """

    def deco(fn):
        VARIANTS[name] = dict(base=base, defect=defect, apply=fn, side_effect=side_effect, note=note, attrs=attrs,
                              loads=loads if loads is not None else trusted(BASE_AUTOS[base]))
        return fn

    return deco


AM_MODEL_LINES = ('"AutoModel": "modeling_tiny.TinyModel"',
                  '"AutoModelForCausalLM": "modeling_tiny.TinyForCausalLM"',
                  '"AutoModelForSequenceClassification": "modeling_tiny.TinyForSequenceClassification"')


@variant("automap_module_missing", "custom_model",
         "auto_map names modeling_tiny.* but modeling_tiny.py is not in the repo")
def _(d):
    (d / M).unlink()
    return at(d, CJ, *AM_MODEL_LINES, edit="deleted modeling_tiny.py")


@variant("automap_module_misspelled", "custom_model",
         "auto_map names modeling_tiny.* but the file is modelling_tiny.py")
def _(d):
    (d / M).rename(d / "modelling_tiny.py")
    return at(d, CJ, *AM_MODEL_LINES, edit="renamed modeling_tiny.py -> modelling_tiny.py")


@variant("automap_class_missing", "custom_model",
         "auto_map AutoModel -> modeling_tiny.TinyModel, but the class is called TinyBaseModel in the module")
def _(d):
    word_sub(d, M, "TinyModel", "TinyBaseModel")
    return at(d, CJ, AM_MODEL_LINES[0], also=[also(d, M, "class TinyBaseModel(")],
              edit="renamed class TinyModel -> TinyBaseModel (and its uses) in modeling_tiny.py")


@variant("automap_class_reexported", "custom_model",
         "TinyModel is not defined in modeling_tiny.py but imported there from sibling tiny_backbone.py "
         "(relative import): valid")
def _(d):
    text = _read(d, M)
    pre, model = class_block(text, "TinyPreTrainedModel"), class_block(text, "TinyModel")
    text = text.replace(pre, "").replace(model, "")
    text = text.replace("from .tiny_layers import TinyMLP\n",
                        "from .tiny_backbone import TinyModel, TinyPreTrainedModel\n")
    text = text.replace("from .configuration_tiny import TinyConfig\n", "")
    text = text.replace("from transformers import GenerationMixin, PreTrainedModel\n",
                        "from transformers import GenerationMixin\n")
    _write(d, M, text)
    backbone = ('"""Backbone of the Tiny model (repolint custom-code fixture)."""\n\n'
                "from torch import nn\n\n"
                "from transformers import PreTrainedModel\n"
                "from transformers.modeling_outputs import BaseModelOutput\n\n"
                "from .configuration_tiny import TinyConfig\n"
                "from .tiny_layers import TinyMLP\n\n\n" + pre + model).rstrip("\n") + "\n"
    _write(d, "tiny_backbone.py", backbone)
    return at(d, M, "from .tiny_backbone import TinyModel",
              edit="moved TinyPreTrainedModel/TinyModel to tiny_backbone.py, imported relatively")


@variant("config_model_type_mismatch", "custom_model",
         'TinyConfig.model_type = "tiny2" but config.json model_type is "tiny"')
def _(d):
    sub(d, C, 'model_type = "tiny"', 'model_type = "tiny2"')
    return at(d, C, 'model_type = "tiny2"', also=[also(d, CJ, '"model_type": "tiny"')])


@variant("config_model_type_inherited", "custom_model",
         'TinyConfig subclasses LlamaConfig and sets no model_type (inherits "llama"); config.json says "tiny"',
         attrs=["model_type", "vocab_size", "hidden_size", "num_hidden_layers"],
         note="loads with the model-type warning, but LlamaConfig's generated dataclass __init__ (reached through "
              "super().__init__(**kwargs)) resets every Llama field the custom __init__ had set: vocab_size, "
              "hidden_size, num_hidden_layers come back as Llama defaults (see attrs), silently")
def _(d):
    sub(d, C, "from transformers import PreTrainedConfig", "from transformers import LlamaConfig")
    sub(d, C, "class TinyConfig(PreTrainedConfig):", "class TinyConfig(LlamaConfig):")
    drop_line(d, C, 'model_type = "tiny"')
    return at(d, C, "class TinyConfig(LlamaConfig):", also=[also(d, CJ, '"model_type": "tiny"')])


@variant("model_config_class_mismatch", "custom_model",
         "TinyPreTrainedModel.config_class = OtherConfig (a different class from configuration_tiny.py)")
def _(d):
    append(d, C, '\n\nclass OtherConfig(PreTrainedConfig):\n    model_type = "other"\n')
    sub(d, M, "from .configuration_tiny import TinyConfig", "from .configuration_tiny import OtherConfig")
    sub(d, M, "    config_class = TinyConfig", "    config_class = OtherConfig")
    return at(d, M, "config_class = OtherConfig")


@variant("model_config_class_same_name_other_module", "custom_model",
         "config_class is a second class also named TinyConfig, defined in modeling_tiny.py "
         "(not the configuration_tiny.TinyConfig that AutoConfig loads)")
def _(d):
    sub(d, M, "from transformers import GenerationMixin, PreTrainedModel",
        "from transformers import GenerationMixin, PreTrainedConfig, PreTrainedModel")
    sub(d, M, "from .configuration_tiny import TinyConfig\n", "")
    insert_after(d, M, "from .tiny_layers import TinyMLP",
                 '\n\nclass TinyConfig(PreTrainedConfig):\n    model_type = "tiny"\n')
    return at(d, M, "    config_class = TinyConfig", also=[also(d, M, "class TinyConfig(PreTrainedConfig):")])


@variant("model_no_config_class", "custom_model",
         "TinyPreTrainedModel has no config_class (nor a `config:` annotation)")
def _(d):
    drop_line(d, M, "    config_class = TinyConfig")
    return at(d, M, "class TinyPreTrainedModel(PreTrainedModel):")


@variant("model_config_class_via_annotation", "custom_model",
         "config_class given as a class annotation `config: TinyConfig` instead of an attribute: valid")
def _(d):
    sub(d, M, "    config_class = TinyConfig", "    config: TinyConfig")
    return at(d, M, "    config: TinyConfig")


@variant("register_missing_from_automap", "custom_model",
         'modeling_tiny.py calls TinyForCausalLM.register_for_auto_class("AutoModelForCausalLM") '
         "but config.json auto_map has no AutoModelForCausalLM entry")
def _(d):
    append(d, M, '\n\nTinyModel.register_for_auto_class("AutoModel")\n'
                 'TinyForCausalLM.register_for_auto_class("AutoModelForCausalLM")\n'
                 'TinyForSequenceClassification.register_for_auto_class("AutoModelForSequenceClassification")\n')
    drop_line(d, CJ, AM_MODEL_LINES[1])
    return at(d, M, 'TinyForCausalLM.register_for_auto_class("AutoModelForCausalLM")',
              also=[also(d, CJ, '"auto_map": {')])


@variant("automap_entry_not_registered", "custom_model",
         "auto_map AutoModelForSequenceClassification entry has no matching register_for_auto_class call "
         "in the code (the code registers only AutoModel / AutoModelForCausalLM): valid")
def _(d):
    append(d, M, '\n\nTinyModel.register_for_auto_class("AutoModel")\n'
                 'TinyForCausalLM.register_for_auto_class("AutoModelForCausalLM")\n')
    return at(d, CJ, AM_MODEL_LINES[2])


@variant("tokenizer_under_automodel", "custom_full",
         "auto_map AutoModel -> tokenization_tiny.TinyTokenizer (a tokenizer class under a model Auto class)")
def _(d):
    sub(d, CJ, AM_MODEL_LINES[0], '"AutoModel": "tokenization_tiny.TinyTokenizer"')
    return at(d, CJ, '"AutoModel": "tokenization_tiny.TinyTokenizer"')


@variant("seqcls_under_causallm", "custom_model",
         "auto_map AutoModelForCausalLM -> modeling_tiny.TinyForSequenceClassification (wrong head)")
def _(d):
    sub(d, CJ, AM_MODEL_LINES[1], '"AutoModelForCausalLM": "modeling_tiny.TinyForSequenceClassification"')
    return at(d, CJ, '"AutoModelForCausalLM": "modeling_tiny.TinyForSequenceClassification"')


@variant("absolute_sibling_import", "custom_model",
         "modeling_tiny.py: `from configuration_tiny import TinyConfig` (absolute import of a sibling file)")
def _(d):
    sub(d, M, "from .configuration_tiny import TinyConfig", "from configuration_tiny import TinyConfig")
    return at(d, M, "from configuration_tiny import TinyConfig")


@variant("absolute_sibling_import_plain", "custom_model",
         "modeling_tiny.py: `import configuration_tiny` (plain absolute import of a sibling file)")
def _(d):
    sub(d, M, "from .configuration_tiny import TinyConfig", "import configuration_tiny")
    sub(d, M, "    config_class = TinyConfig", "    config_class = configuration_tiny.TinyConfig")
    return at(d, M, "import configuration_tiny")


@variant("relative_import_missing_file", "custom_model",
         "modeling_tiny.py: `from .tiny_layers import TinyMLP` but tiny_layers.py is not in the repo")
def _(d):
    (d / "tiny_layers.py").unlink()
    return at(d, M, "from .tiny_layers import TinyMLP", edit="deleted tiny_layers.py")


@variant("relative_import_in_try", "custom_model",
         "modeling_tiny.py: `try: from .missing_helper import fused_mlp / except ImportError:` (file absent)")
def _(d):
    insert_after(d, M, "from .tiny_layers import TinyMLP",
                 "\ntry:\n    from .missing_helper import fused_mlp\nexcept ImportError:\n    fused_mlp = None\n")
    return at(d, M, "from .missing_helper import fused_mlp")


@variant("relative_import_from_dot", "custom_model",
         "modeling_tiny.py: `from . import tiny_layers` (tiny_layers.py present)")
def _(d):
    sub(d, M, "from .tiny_layers import TinyMLP", "from . import tiny_layers")
    sub(d, M, "[TinyMLP(config)", "[tiny_layers.TinyMLP(config)")
    return at(d, M, "from . import tiny_layers")


@variant("relative_import_subpackage", "custom_model",
         "modeling_tiny.py: `from .layers.mlp import TinyMLP` with layers/mlp.py (+ layers/__init__.py) present")
def _(d):
    (d / "layers").mkdir()
    _write(d, "layers/__init__.py", "")
    (d / "tiny_layers.py").rename(d / "layers" / "mlp.py")
    sub(d, M, "from .tiny_layers import TinyMLP", "from .layers.mlp import TinyMLP")
    return at(d, M, "from .layers.mlp import TinyMLP", edit="moved tiny_layers.py to layers/mlp.py")


@variant("relative_import_parent_level", "custom_model",
         "modeling_tiny.py: `from ..configuration_tiny import TinyConfig` (two dots)")
def _(d):
    sub(d, M, "from .configuration_tiny import TinyConfig", "from ..configuration_tiny import TinyConfig")
    return at(d, M, "from ..configuration_tiny import TinyConfig")


@variant("relative_import_transitive_missing", "custom_model",
         "tiny_layers.py (imported by modeling_tiny.py) imports `.tiny_utils`, which is not in the repo")
def _(d):
    insert_after(d, "tiny_layers.py", "from torch import nn", "\nfrom .tiny_utils import init_linear\n")
    return at(d, "tiny_layers.py", "from .tiny_utils import init_linear",
              also=[also(d, M, "from .tiny_layers import TinyMLP")])


@variant("relative_import_in_docstring", "custom_model",
         "a docstring line in modeling_tiny.py reads `    from .tiny_examples import demo` (text, not code; "
         "tiny_examples.py absent)")
def _(d):
    sub(d, M, '    config_class = TinyConfig\n',
        '    """Base class.\n\n    Example:\n\n        from .tiny_examples import demo\n    """\n\n'
        '    config_class = TinyConfig\n')
    return at(d, M, "from .tiny_examples import demo")


@variant("third_party_import_missing", "custom_model",
         "modeling_tiny.py: top-level `import some_package_that_does_not_exist`")
def _(d):
    insert_after(d, M, "from torch import nn", "\nimport some_package_that_does_not_exist\n")
    return at(d, M, "import some_package_that_does_not_exist")


@variant("third_party_import_in_function", "custom_model",
         "modeling_tiny.py: `import some_package_that_does_not_exist` inside a method body (not guarded)")
def _(d):
    sub(d, M, "    def get_input_embeddings(self):\n",
        "    def get_input_embeddings(self):\n        import some_package_that_does_not_exist  # noqa: F401\n\n")
    return at(d, M, "import some_package_that_does_not_exist")


@variant("third_party_import_guarded", "custom_model",
         "modeling_tiny.py: `import some_package_that_does_not_exist` inside try/except ImportError: valid")
def _(d):
    insert_after(d, M, "from torch import nn",
                 "\ntry:\n    import some_package_that_does_not_exist\nexcept ImportError:\n"
                 "    some_package_that_does_not_exist = None\n")
    return at(d, M, "import some_package_that_does_not_exist")


@variant("third_party_import_flash_attn_guard", "custom_model",
         "modeling_tiny.py: `from flash_attn import flash_attn_func` inside `if is_flash_attn_2_available():`"
         " (flash_attn not installed): valid")
def _(d):
    insert_after(d, M, OUTPUTS_IMPORT,
                 "from transformers.utils import is_flash_attn_2_available\n")
    insert_after(d, M, "from .tiny_layers import TinyMLP",
                 "\nif is_flash_attn_2_available():\n    from flash_attn import flash_attn_func\n")
    return at(d, M, "from flash_attn import flash_attn_func")


@variant("third_party_import_type_checking", "custom_model",
         "modeling_tiny.py: `import some_package_that_does_not_exist` under `if TYPE_CHECKING:`")
def _(d):
    sub(d, M, "import torch\n", "from typing import TYPE_CHECKING\n\nimport torch\n")
    insert_after(d, M, "from .tiny_layers import TinyMLP",
                 "\nif TYPE_CHECKING:\n    import some_package_that_does_not_exist\n")
    return at(d, M, "    import some_package_that_does_not_exist")


@variant("transformers_symbol_missing", "custom_model",
         "modeling_tiny.py: `from transformers.models.llama.modeling_llama import LlamaFlashAttention2` "
         "(removed from transformers)")
def _(d):
    insert_after(d, M, OUTPUTS_IMPORT,
                 "from transformers.models.llama.modeling_llama import LlamaFlashAttention2\n")
    return at(d, M, "LlamaFlashAttention2")


@variant("cross_repo_reference", "custom_model",
         'auto_map AutoModel = "someuser/tiny-base--modeling_tiny.TinyModel" (code in another Hub repo; offline)')
def _(d):
    sub(d, CJ, AM_MODEL_LINES[0], '"AutoModel": "someuser/tiny-base--modeling_tiny.TinyModel"')
    return at(d, CJ, "someuser/tiny-base--modeling_tiny.TinyModel")


@variant("cross_repo_reference_config", "custom_model",
         'auto_map AutoConfig = "someuser/tiny-base--configuration_tiny.TinyConfig" (offline)',
         loads=trusted(MODEL_AUTOS) + untrusted(["AutoConfig"]))
def _(d):
    sub(d, CJ, '"AutoConfig": "configuration_tiny.TinyConfig"',
        '"AutoConfig": "someuser/tiny-base--configuration_tiny.TinyConfig"')
    return at(d, CJ, "someuser/tiny-base--configuration_tiny.TinyConfig")


@variant("builtin_model_type_with_automap", "custom_model",
         'config.json model_type "llama" (built-in; fields Llama-compatible) + auto_map to the custom code: '
         "without trust_remote_code the built-in Llama classes load silently",
         loads=trusted(MODEL_AUTOS) + untrusted(MODEL_AUTOS), attrs=["model_type", "vocab_size", "hidden_size"])
def _(d):
    sub(d, CJ, '"model_type": "tiny"', '"model_type": "llama"')
    return at(d, CJ, '"model_type": "llama"', also=[also(d, CJ, '"auto_map": {')])


@variant("automap_no_autoconfig", "custom_model",
         'auto_map has AutoModel* entries but no AutoConfig; model_type "tiny" is not built-in')
def _(d):
    drop_line(d, CJ, '"AutoConfig": "configuration_tiny.TinyConfig"')
    return at(d, CJ, '"auto_map": {')


@variant("automap_config_class_missing", "custom_model",
         "auto_map AutoConfig -> configuration_tiny.TinyConfig but the class is named TinyModelConfig")
def _(d):
    sub(d, C, "class TinyConfig(PreTrainedConfig):", "class TinyModelConfig(PreTrainedConfig):")
    return at(d, CJ, '"AutoConfig": "configuration_tiny.TinyConfig"',
              also=[also(d, C, "class TinyModelConfig(")])


@variant("syntax_error_in_modeling", "custom_model",
         "modeling_tiny.py has a syntax error (missing colon after a class header)")
def _(d):
    sub(d, M, "class TinyModel(TinyPreTrainedModel):", "class TinyModel(TinyPreTrainedModel)")
    return at(d, M, "class TinyModel(TinyPreTrainedModel)")


@variant("automap_dotted_module", "custom_model",
         'auto_map AutoModel = "models.modeling_tiny.TinyModel" (dotted module path)')
def _(d):
    sub(d, CJ, AM_MODEL_LINES[0], '"AutoModel": "models.modeling_tiny.TinyModel"')
    return at(d, CJ, '"AutoModel": "models.modeling_tiny.TinyModel"')


@variant("automap_py_suffix", "custom_model",
         'auto_map AutoModel = "modeling_tiny.py.TinyModel" (file name with .py)')
def _(d):
    sub(d, CJ, AM_MODEL_LINES[0], '"AutoModel": "modeling_tiny.py.TinyModel"')
    return at(d, CJ, '"AutoModel": "modeling_tiny.py.TinyModel"')


@variant("top_level_side_effect", "custom_model",
         "modeling_tiny.py writes a file at import time ($REPOLINT_SIDE_EFFECT_PATH, else "
         "repolint_side_effect.txt next to the module file); otherwise valid",
         side_effect=True)
def _(d):
    insert_after(d, M, "from .tiny_layers import TinyMLP",
                 "\nimport os\n\n"
                 "_MARKER = os.environ.get(\"REPOLINT_SIDE_EFFECT_PATH\") or os.path.join(\n"
                 "    os.path.dirname(os.path.abspath(__file__)), \"repolint_side_effect.txt\"\n)\n"
                 "with open(_MARKER, \"w\") as _fh:  # top-level side effect: runs on import\n"
                 "    _fh.write(\"modeling_tiny.py was executed\\n\")\n")
    return at(d, M, 'with open(_MARKER, "w") as _fh')


@variant("head_pretraining_under_masked_lm", "custom_model",
         "auto_map AutoModelForMaskedLM -> modeling_tiny.TinyForPreTraining (a head named unlike the Auto class's "
         "usual ...ForMaskedLM): transformers loads the class as named",
         loads=trusted(["AutoConfig", "AutoModel", "AutoModelForMaskedLM", "AutoModelForSequenceClassification"]))
def _(d):
    append(d, M, "\n\nclass TinyForPreTraining(TinyForCausalLM):\n    pass\n")
    sub(d, CJ, AM_MODEL_LINES[1], '"AutoModelForMaskedLM": "modeling_tiny.TinyForPreTraining"')
    return at(d, CJ, '"AutoModelForMaskedLM": "modeling_tiny.TinyForPreTraining"')


@variant("model_config_class_alias", "custom_model",
         "config_class is the AutoConfig class imported under an alias "
         "(`from .configuration_tiny import TinyConfig as TinyBaseConfig`): valid")
def _(d):
    sub(d, M, "from .configuration_tiny import TinyConfig", "from .configuration_tiny import TinyConfig as TinyBaseConfig")
    sub(d, M, "    config_class = TinyConfig", "    config_class = TinyBaseConfig")
    return at(d, M, "    config_class = TinyBaseConfig")


@variant("automap_class_type_checking_only", "custom_model",
         "TinyModel is defined only under `if TYPE_CHECKING:` in modeling_tiny.py (False at run time)")
def _(d):
    text = _read(d, M)
    block = class_block(text, "TinyModel")
    indented = "".join(("    " + line) if line.strip() else line for line in block.splitlines(keepends=True))
    text = text.replace(block, "if TYPE_CHECKING:\n" + indented)
    text = text.replace("import torch\n", "from typing import TYPE_CHECKING\n\nimport torch\n", 1)
    _write(d, M, text)
    return at(d, CJ, AM_MODEL_LINES[0], also=[also(d, M, "    class TinyModel(TinyPreTrainedModel):")])


@variant("register_unknown_auto_class", "custom_model",
         'modeling_tiny.py calls TinyModel.register_for_auto_class("AutoModelForCasualLM") at import time '
         "(no such Auto class: ValueError when the module runs)")
def _(d):
    append(d, M, '\n\nTinyModel.register_for_auto_class("AutoModelForCasualLM")\n')
    return at(d, M, 'TinyModel.register_for_auto_class("AutoModelForCasualLM")')


@variant("automap_value_list", "custom_model",
         'auto_map AutoModel = ["modeling_tiny.TinyModel"] (a list where a string belongs)')
def _(d):
    sub(d, CJ, AM_MODEL_LINES[0], '"AutoModel": ["modeling_tiny.TinyModel"]')
    return at(d, CJ, '"AutoModel": ["modeling_tiny.TinyModel"]')


# ---- tokenizer / image processor / processor variants

TC = "tokenizer_config.json"


@variant("tokenizer_automap_points_elsewhere", "custom_tokenizer",
         "tokenizer_config.json auto_map AutoTokenizer -> tokenization_other.OtherTokenizer (no such file)")
def _(d):
    sub(d, TC, '"tokenization_tiny.TinyTokenizer"', '"tokenization_other.OtherTokenizer"')
    return at(d, TC, '"tokenization_other.OtherTokenizer"')


@variant("tokenizer_class_missing", "custom_tokenizer",
         "auto_map AutoTokenizer -> tokenization_tiny.TinyTokenizer but the class is named TinyBPETokenizer")
def _(d):
    sub(d, "tokenization_tiny.py", "class TinyTokenizer(", "class TinyBPETokenizer(")
    return at(d, TC, '"tokenization_tiny.TinyTokenizer"',
              also=[also(d, "tokenization_tiny.py", "class TinyBPETokenizer(")])


@variant("tokenizer_automap_not_list", "custom_tokenizer",
         'tokenizer_config.json auto_map AutoTokenizer is a string, not a [slow, fast] list')
def _(d):
    sub(d, TC, '"AutoTokenizer": [\n      "tokenization_tiny.TinyTokenizer",\n      null\n    ]',
        '"AutoTokenizer": "tokenization_tiny.TinyTokenizer"')
    return at(d, TC, '"AutoTokenizer": "tokenization_tiny.TinyTokenizer"')


@variant("tokenizer_automap_only_in_config_json", "custom_full",
         "AutoTokenizer auto_map entry only in config.json (removed from tokenizer_config.json; "
         "5.x ignores config.json for it)",
         loads=trusted(["AutoTokenizer", "AutoProcessor"]))
def _(d):
    sub(d, TC, ',\n    "AutoTokenizer": [\n      "tokenization_tiny.TinyTokenizer",\n      null\n    ]', "")
    sub(d, CJ, '"AutoConfig": "configuration_tiny.TinyConfig",\n',
        '"AutoConfig": "configuration_tiny.TinyConfig",\n    "AutoTokenizer": [\n'
        '      "tokenization_tiny.TinyTokenizer",\n      null\n    ],\n')
    return at(d, CJ, '"AutoTokenizer": [', also=[also(d, TC, '"tokenizer_class": "TinyTokenizer"')])


@variant("image_processor_class_missing", "custom_image_processor",
         "auto_map AutoImageProcessor -> image_processing_tiny.TinyImageProcessor but the class is named "
         "TinyPilImageProcessor")
def _(d):
    sub(d, "image_processing_tiny.py", "class TinyImageProcessor(", "class TinyPilImageProcessor(")
    return at(d, "preprocessor_config.json", '"AutoImageProcessor": "image_processing_tiny.TinyImageProcessor"',
              also=[also(d, "image_processing_tiny.py", "class TinyPilImageProcessor(")])


@variant("image_processor_module_missing", "custom_image_processor",
         "auto_map AutoImageProcessor -> image_processing_tiny.* but image_processing_tiny.py is not in the repo")
def _(d):
    (d / "image_processing_tiny.py").unlink()
    return at(d, "preprocessor_config.json", '"AutoImageProcessor": "image_processing_tiny.TinyImageProcessor"',
              edit="deleted image_processing_tiny.py")


IPJ = "preprocessor_config.json"
IP_REF = '"AutoImageProcessor": "image_processing_tiny.TinyImageProcessor"'


@variant("image_processor_automap_list", "custom_image_processor",
         'auto_map AutoImageProcessor = [slow, fast] list ["image_processing_tiny.TinyImageProcessor", null]: '
         "valid in transformers 5")
def _(d):
    sub(d, IPJ, IP_REF, '"AutoImageProcessor": [\n      "image_processing_tiny.TinyImageProcessor",\n      null\n    ]')
    return at(d, IPJ, '"AutoImageProcessor": [')


@variant("image_processor_automap_dict", "custom_image_processor",
         'auto_map AutoImageProcessor = {"pil": "image_processing_tiny.TinyImageProcessor"} (by backend): '
         "valid in transformers 5")
def _(d):
    sub(d, IPJ, IP_REF, '"AutoImageProcessor": {\n      "pil": "image_processing_tiny.TinyImageProcessor"\n    }')
    return at(d, IPJ, '"AutoImageProcessor": {')


P = "processing_tiny.py"
NOTE_NO_TORCHVISION = (
    "environment-dependent: without torchvision, ProcessorMixin.get_possibly_dynamic_module reaches the "
    "VIDEO_PROCESSOR_MAPPING placeholder (a DummyObject) and raises AttributeError; with torchvision installed "
    "the source raises ValueError 'Could not find module ... in `transformers`' instead"
)


@variant("processor_attribute_mismatch", "custom_processor",
         'TinyProcessor sets image_processor_class = "OtherImageProcessor" (a class not in the repo)',
         note=NOTE_NO_TORCHVISION)
def _(d):
    insert_after(d, P, "class TinyProcessor(ProcessorMixin):", '    image_processor_class = "OtherImageProcessor"\n')
    return at(d, P, 'image_processor_class = "OtherImageProcessor"')


@variant("processor_legacy_attributes_mismatch", "custom_processor",
         'legacy-style TinyProcessor (no __init__): attributes = ["image_processor", "tokenizer"], '
         'image_processor_class = "OtherImageProcessor", tokenizer_class = "OtherTokenizer"',
         note=NOTE_NO_TORCHVISION)
def _(d):
    sub(d, P, "    def __init__(self, image_processor=None, tokenizer=None, **kwargs):\n"
              "        super().__init__(image_processor, tokenizer, **kwargs)\n",
        '    attributes = ["image_processor", "tokenizer"]\n'
        '    image_processor_class = "OtherImageProcessor"\n'
        '    tokenizer_class = "OtherTokenizer"\n')
    return at(d, P, 'image_processor_class = "OtherImageProcessor"', 'tokenizer_class = "OtherTokenizer"')


@variant("processor_legacy_attributes_auto", "custom_processor",
         'legacy-style TinyProcessor (no __init__): attributes = [...], image_processor_class = '
         '"AutoImageProcessor", tokenizer_class = "AutoTokenizer" (common 4.x Hub pattern): valid')
def _(d):
    sub(d, P, "    def __init__(self, image_processor=None, tokenizer=None, **kwargs):\n"
              "        super().__init__(image_processor, tokenizer, **kwargs)\n",
        '    attributes = ["image_processor", "tokenizer"]\n'
        '    image_processor_class = "AutoImageProcessor"\n'
        '    tokenizer_class = "AutoTokenizer"\n')
    return at(d, P, 'image_processor_class = "AutoImageProcessor"')


@variant("processor_legacy_attributes_repo_class", "custom_processor",
         'legacy-style TinyProcessor (no __init__): image_processor_class = "TinyImageProcessor", '
         'tokenizer_class = "TinyTokenizer" (the custom classes of this very repo, named as strings)',
         note="environment-dependent (see processor_attribute_mismatch); with torchvision the class would be looked "
              "up by name among the classes registered so far in this process")
def _(d):
    sub(d, P, "    def __init__(self, image_processor=None, tokenizer=None, **kwargs):\n"
              "        super().__init__(image_processor, tokenizer, **kwargs)\n",
        '    attributes = ["image_processor", "tokenizer"]\n'
        '    image_processor_class = "TinyImageProcessor"\n'
        '    tokenizer_class = "TinyTokenizer"\n')
    return at(d, P, 'image_processor_class = "TinyImageProcessor"')


@variant("processor_tokenizer_class_mismatch", "custom_processor",
         'TinyProcessor (5.x style, __init__ kept) sets tokenizer_class = "OtherTokenizer" (not in the repo)')
def _(d):
    insert_after(d, P, "class TinyProcessor(ProcessorMixin):", '    tokenizer_class = "OtherTokenizer"\n')
    return at(d, P, 'tokenizer_class = "OtherTokenizer"')


@variant("processor_class_missing", "custom_processor",
         "auto_map AutoProcessor -> processing_tiny.TinyProcessor but the class is named TinyMultiProcessor")
def _(d):
    sub(d, P, "class TinyProcessor(", "class TinyMultiProcessor(")
    return at(d, "processor_config.json", ('"AutoProcessor": "processing_tiny.TinyProcessor"', "first"),
              also=[also(d, P, "class TinyMultiProcessor(")])


@variant("processor_class_no_automap", "custom_processor",
         "processor_class TinyProcessor kept, every auto_map[\"AutoProcessor\"] removed: transformers has no such "
         "processor, so AutoProcessor falls back to the tokenizer")
def _(d):
    sub(d, "processor_config.json", '  "auto_map": {\n    "AutoProcessor": "processing_tiny.TinyProcessor"\n  },\n', "")
    sub(d, "processor_config.json", ',\n      "AutoProcessor": "processing_tiny.TinyProcessor"', "")
    sub(d, TC, '"AutoProcessor": "processing_tiny.TinyProcessor",\n    ', "")
    return at(d, "processor_config.json", '"processor_class": "TinyProcessor"')


# --------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------


def _compact(entry: dict) -> dict:
    """MANIFEST form of one load result."""
    out = {"auto_class": entry["auto_class"], "trust_remote_code": entry["trust_remote_code"], "ok": entry["ok"]}
    if entry["ok"]:
        out["loaded_as"] = entry["loaded_as"]
        out["remote_code"] = entry["remote_code"]
        if "is_processor" in entry:
            out["is_processor"] = entry["is_processor"]
        if "attrs" in entry:
            out["attrs"] = entry["attrs"]
    else:
        out["error_type"] = entry["error_type"]
        out["error"] = entry["error"]
        out["failed_in"] = entry["failed_in"]
    warns = entry.get("warnings") or []
    out["warning"] = warns[0] if warns else None
    if len(warns) > 1:
        out["other_warnings"] = warns[1:]
    return out


def summarize(loads: dict) -> str:
    parts = []
    for label, e in loads.items():
        if e["ok"]:
            s = f"{label}=ok({e['loaded_as']}{'' if e['remote_code'] else ', BUILT-IN'})"
        else:
            s = f"{label}={e['error_type']}"
        if e.get("warning"):
            s += "+warn"
        parts.append(s)
    return " ".join(parts)


def broken_job(name: str, broken_dir: Path) -> dict:
    """The WORKER job for variant `name` (also used by the test)."""
    spec = VARIANTS[name]
    job = {"id": f"broken/{name}", "repo": str((broken_dir / name).resolve()), "loads": spec["loads"]}
    if spec["side_effect"]:
        job["side_effect"] = True
    if spec["attrs"]:
        job["attrs"] = spec["attrs"]
    return job


def build_broken(valid_dir: Path, broken_dir: Path, names: list[str]) -> dict:
    if broken_dir.exists():
        for child in broken_dir.iterdir():
            if child.is_dir() and (not names or child.name in names or child.name not in VARIANTS):
                shutil.rmtree(child)
    broken_dir.mkdir(parents=True, exist_ok=True)
    info = {}
    for name in names:
        spec = VARIANTS[name]
        dest = broken_dir / name
        shutil.copytree(valid_dir / spec["base"], dest)
        loc = spec["apply"](dest)
        entry = {"base": spec["base"], "defect": spec["defect"]}
        if spec["note"]:
            entry["note"] = spec["note"]
        entry["edited_file"] = loc.pop("edited_file")
        entry["edited_line"] = loc.pop("edited_line")
        if "also" in loc:
            entry["also"] = loc.pop("also")
        if "edit" in loc:
            entry["edit"] = loc.pop("edit")
        entry["files"] = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
        info[name] = entry
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="tests/fixtures/custom", help="folder for the valid custom-code repos")
    ap.add_argument("--broken-out", default=None,
                    help="folder for the broken variants (default: <out>/../custom_broken)")
    ap.add_argument("--only", nargs="*", default=None, help="rebuild only these variants (manifest entries kept)")
    ap.add_argument("--jobs", type=int, default=2, help="interpreters run concurrently (default 2)")
    args = ap.parse_args(argv)

    out = Path(args.out)
    broken = Path(args.broken_out) if args.broken_out else out.parent / "custom_broken"
    names = args.only or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant(s): {', '.join(unknown)}")

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    valid = build_valid(out)
    t_build = time.perf_counter() - t0
    info = build_broken(out, broken, names)

    import transformers  # already imported by build_valid
    version = transformers.__version__

    # one fresh interpreter per repo (valid and broken), `--jobs` at a time
    batches = [[{"id": f"valid/{v}", "repo": str((out / v).resolve()), "loads": trusted(BASE_AUTOS[v])}]
               for v in valid]
    batches += [[broken_job(n, broken)] for n in names]
    t1 = time.perf_counter()
    results = run_parallel(batches, workers=args.jobs)
    t_truth = time.perf_counter() - t1

    failures = 0
    manifest_valid = {}
    print(f"{'valid repo':<24} {'auto class':<36} ok   resolved class / error")
    for v in valid:
        res = results[f"valid/{v}"]["loads"]
        folder = out / v
        cfg = folder / "config.json"
        model_type = json.loads(cfg.read_text(encoding="utf-8")).get("model_type") if cfg.is_file() else None
        for label, e in res.items():
            good = e["ok"] and e["remote_code"] and e.get("is_processor", True)
            failures += not good
            print(f"{v:<24} {label:<36} {'ok' if good else 'FAIL':<4} {e.get('loaded_as') or e.get('error')}")
        manifest_valid[v] = {
            "model_type": model_type,
            "kind": BASE_KIND[v],
            "trust_remote_code": True,
            "auto_classes_that_load": [k for k, e in res.items() if e["ok"]],
            "loaded_as": {k: e["loaded_as"] for k, e in res.items() if e["ok"]},
            "files": sorted(p.name for p in folder.iterdir() if p.is_file()),
        }
    (out / "MANIFEST.json").write_text(json.dumps(manifest_valid, indent=2) + "\n", encoding="utf-8")

    manifest_path = broken / "MANIFEST.json"
    manifest = {}
    if args.only and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest = {k: v for k, v in manifest.items() if k in VARIANTS}
    print(f"\n{'variant':<42} ground truth (transformers {version})")
    for n in names:
        r = results[f"broken/{n}"]
        entry = info[n]
        entry["loads"] = {label: _compact(e) for label, e in r["loads"].items()}
        if "side_effect_created" in r:
            entry["side_effect_created_by_transformers"] = r["side_effect_created"]
        manifest[n] = entry
        print(f"{n:<42} {summarize(entry['loads'])}")
    manifest = {k: manifest[k] for k in sorted(manifest)}
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    print(f"\n{len(valid)} valid repos, {len(names)} variants; build {t_build:.1f}s, "
          f"ground truth {t_truth:.1f}s ({len(batches)} interpreters, {args.jobs} at a time); "
          f"{failures} valid-load failures (transformers {version})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
