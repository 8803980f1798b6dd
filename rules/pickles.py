"""RL850-RL869: pickle weights (*.bin, *.pt, *.pth, *.ckpt, *.pkl), scanned without unpickling.

repolint.pickles lists the imports (GLOBAL / STACK_GLOBAL / INST) a pickle would perform.
Here each is classified:
- allowed: what torch's ``weights_only=True`` unpickler accepts (torch 2.13: tensor rebuild
  functions, storage and tensor types, dtypes, ``collections.OrderedDict``, ...);
- dangerous: what runs commands or code, reads or writes files, or opens connections
  (``os.system``, ``subprocess.*``, ``builtins.eval``/``exec``, ``socket``, ``torch.load``, ...);
- unknown: anything else (``numpy`` arrays, ``__main__`` classes, training arguments, ...).

transformers 5.23 loads ``pytorch_model.bin`` (when the repo has no safetensors checkpoint)
with ``torch.load(weights_only=True)``: a file with any global outside the allowlist fails
the load with ``UnpicklingError`` ("Weights only load failed") and nothing in it runs
(tests/test_pickles.py loads a malicious one). With ``weights_only=False``, or in any tool
that calls ``pickle.load`` / old ``torch.load``, the same file runs its payload.
"""

from __future__ import annotations

import re

from repolint.pickles import looks_like_pickle, scan
from repolint.registry import Example, Finding, Rule, register
from repolint.rules.weights import BinaryExample

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
# torch's weights_only allowlist (torch/_weights_only_unpickler.py: _get_allowed_globals)
_ALLOWED_EXACT = frozenset({
    "collections.OrderedDict", "collections.Counter", "_codecs.encode", "builtins.bytearray", "builtins.set",
    "builtins.complex", "torch.nn.parameter.Parameter", "torch.serialization._get_layout", "torch.Size",
    "torch.Tensor", "torch.device", "torch._tensor._rebuild_from_type_v2", "torch.storage.TypedStorage",
    "torch.storage.UntypedStorage",
})
_ALLOWED_RE = re.compile(
    r"^torch\.(?:"
    r"(?:cuda\.)?(?:sparse\.)?[A-Z][A-Za-z0-9]*(?:Storage|Tensor)"  # storage and tensor classes
    r"|_utils\._rebuild_[a-z0-9_]+"  # tensor rebuild functions
    r"|u?int[1-7]|u?int(?:8|16|32|64)|float(?:16|32|64)|bfloat16|complex(?:32|64|128)|bool"  # dtypes
    r"|float8_e[0-9a-z_]+|float4_e2m1fn_x2|bits[0-9x]+|q(?:u)?int[0-9x]+"
    r"|per_(?:tensor|channel)_[a-z_]+"  # quantization schemes
    r")$"
)
_DANGEROUS_MODULES = (
    "os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy", "importlib", "pty", "commands",
    "webbrowser", "ctypes", "code", "codeop", "pickle", "_pickle", "cPickle", "dill", "cloudpickle", "marshal",
    "types", "multiprocessing", "asyncio", "signal", "requests", "urllib", "urllib2", "urllib3", "http", "httplib",
    "httpx", "aiohttp", "ftplib", "smtplib", "telnetlib", "paramiko", "pip", "setuptools", "distutils",
    "torch.hub", "torch.jit", "torch.package", "torch.utils.cpp_extension", "torch._dynamo", "torch._inductor",
    "torch.distributed",
)
_DANGEROUS_NAMES = frozenset({
    "builtins.eval", "builtins.exec", "builtins.execfile", "builtins.compile", "builtins.open", "builtins.file",
    "builtins.__import__", "builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.globals",
    "builtins.locals", "builtins.vars", "builtins.input", "builtins.raw_input", "builtins.breakpoint",
    "builtins.apply", "builtins.reload", "builtins.memoryview", "operator.attrgetter", "operator.methodcaller",
    "torch.load", "torch.serialization.load", "torch.storage._load_from_bytes", "numpy.load",
    "numpy.testing._private.utils.runstring", "platform.popen",
})


def classify(module: str, name: str) -> str:
    """allowed | dangerous | unknown."""
    if module in ("__builtin__", "__builtins__"):  # Python 2 names, still written by protocol 2
        module = "builtins"
    dotted = f"{module}.{name}"
    if not module:  # computed at unpickling time, or taken from the extension registry
        return "dangerous"
    if dotted in _ALLOWED_EXACT or _ALLOWED_RE.match(dotted):
        return "allowed"
    if dotted in _DANGEROUS_NAMES or any(module == m or module.startswith(m + ".") for m in _DANGEROUS_MODULES):
        return "dangerous"
    return "unknown"


def torch_load_files(ctx) -> set[str]:
    """The pickle files from_pretrained would torch.load: pytorch_model.bin or the shards of
    pytorch_model.bin.index.json, when the repo has no safetensors checkpoint."""
    files = set(ctx.repo.top_level())
    cfg = ctx.obj("config.json") or {}
    if {"model.safetensors", "model.safetensors.index.json"} & files or cfg.get("transformers_weights"):
        return set()
    if "pytorch_model.bin" in files:
        return {"pytorch_model.bin"}
    index = ctx.obj("pytorch_model.bin.index.json")
    wm = index.get("weight_map") if index else None
    return {v for v in wm.values() if isinstance(v, str)} if isinstance(wm, dict) else set()


def _scans(ctx):
    """(file, PickleScan) for every top-level pickle file; memoized on the Repo."""
    def compute():
        out = []
        for f in ctx.repo.top_level():
            if not f.lower().endswith(PICKLE_SUFFIXES):
                continue
            fh, _problem = ctx.repo.open_binary(f)
            if fh is None:
                continue  # a symlink out of the repo, unreadable: the files rules report it
            with fh:
                head = fh.read(4)
                if not head:
                    continue  # empty (also: a Hub repo's placeholder for a file it never downloads)
                plain = f.lower().endswith((".pkl", ".pickle")) or f.startswith("pytorch_model")
                if not (looks_like_pickle(head) or plain):
                    continue  # another binary format under a .bin name (ONNX data, GGML, ...)
                fh.seek(0)
                out.append((f, scan(fh, f)))
        return out

    return ctx.repo.memo("pickles.scans", compute)


def _where(g) -> str:
    return f"{g.member} at byte {g.offset}" if g.member else f"byte {g.offset}"


SAFETENSORS_HELP = (
    "Publish the weights as safetensors instead (save_pretrained writes model.safetensors; for a "
    "state dict, safetensors.torch.save_file): loading them cannot run code."
)
# a pickle shaped like the data.pkl of torch.save({"w": torch.zeros(2)}) (protocol 2); _EVIL adds
# {"x": os.system("true")}, _ODD a numpy global
_CLEAN = (b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storageq\x03"
          b"ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06K\x02tq\x07QK\x00K\x02\x85q\x08K\x01"
          b"\x85q\t\x89ccollections\nOrderedDict\nq\n)Rq\x0btq\x0cRq\rs.")
_EVIL = _CLEAN[:-1] + b"X\x01\x00\x00\x00xcposix\nsystem\nX\x04\x00\x00\x00trueq\x0e\x85q\x0fRq\x10s."
_ODD = _CLEAN[:-1] + b"X\x01\x00\x00\x00xcnumpy.core.multiarray\n_reconstruct\n)Rq\x10s."
_IMPORTS = "torch._utils._rebuild_tensor_v2, torch.FloatStorage, collections.OrderedDict"
_CLEAN = BinaryExample.of(_CLEAN, f"(pickle) imports {_IMPORTS}\n")
_EVIL = BinaryExample.of(_EVIL, f"(pickle) imports {_IMPORTS}, posix.system (called with \"true\")\n")
_ODD = BinaryExample.of(_ODD, f"(pickle) imports {_IMPORTS}, numpy.core.multiarray._reconstruct\n")
CONFIG = '{\n  "model_type": "llama"\n}\n'


@register
class DangerousGlobal(Rule):
    code = "RL850"
    name = "pickle-dangerous-import"
    summary = "A pickle file imports something that runs commands or code (os.system, subprocess, eval, ...)"
    why = (
        "Unpickling calls what a pickle imports: os.system, subprocess.Popen, builtins.exec, "
        "socket, torch.load of nested bytes... run with the rights of whoever loads the file. "
        "transformers 5.23 refuses such a pytorch_model.bin (torch.load(weights_only=True) raises "
        "UnpicklingError), but weights_only=False, pickle.load and older tools run the payload. "
        "Model weights never need these imports."
    )
    fix_text = "Delete the file or re-create it from trusted code, and publish the weights as safetensors."
    invalid = [Example({"config.json": CONFIG, "pytorch_model.bin": _EVIL}, [("pytorch_model.bin", 1)])]
    valid = [Example({"config.json": CONFIG, "pytorch_model.bin": _CLEAN})]

    def check(self, ctx):
        for f, result in _scans(ctx):
            bad = [g for g in result.globals if classify(g.module, g.name) == "dangerous"]
            if bad:
                names = ", ".join(dict.fromkeys(g.dotted for g in bad))
                yield Finding(f, f"{f} imports {names} when unpickled (first at {_where(bad[0])}): loading it can run code",
                              line=1, column=1, help=SAFETENSORS_HELP)


@register
class UnknownGlobal(Rule):
    code = "RL851"
    name = "pickle-unknown-import"
    summary = "A pickle file imports something outside torch's weights_only allowlist"
    severity = "warning"
    why = (
        "torch.load(weights_only=True) (the default in torch >= 2.6 and what transformers 5.23 uses) "
        "accepts only tensors, storages, dtypes and a few containers. Any other import (numpy "
        "arrays, classes from a training script, TrainingArguments) makes it raise "
        "UnpicklingError, so from_pretrained fails on such a pytorch_model.bin (an error here), "
        "and other files need weights_only=False, which also runs whatever the file holds."
    )
    fix_text = "Save only tensors (model.state_dict()), and prefer safetensors."
    invalid = [Example({"config.json": CONFIG, "pytorch_model.bin": _ODD}, [("pytorch_model.bin", 1)])]
    valid = [Example({"config.json": CONFIG, "pytorch_model.bin": _CLEAN})]

    def check(self, ctx):
        loaded = torch_load_files(ctx)
        for f, result in _scans(ctx):
            odd = [g for g in result.globals if classify(g.module, g.name) == "unknown"]
            if not odd:
                continue
            names = ", ".join(list(dict.fromkeys(g.dotted for g in odd))[:5])
            if f in loaded:
                msg = f"{f} imports {names} (at {_where(odd[0])}), which torch.load(weights_only=True) refuses: from_pretrained fails with UnpicklingError"
            else:
                msg = f"{f} imports {names} (at {_where(odd[0])}), outside torch's weights_only allowlist: loading it needs weights_only=False"
            yield Finding(f, msg, line=1, column=1, severity="error" if f in loaded else None, help=SAFETENSORS_HELP)


@register
class Unscannable(Rule):
    code = "RL852"
    name = "pickle-unscannable"
    summary = "A pickle weights file could not be scanned (truncated, not a pickle, too large)"
    severity = "warning"
    why = "What a pickle would import is known only from a complete scan; a file that cannot be scanned may hide an import, or be corrupt."
    fix_text = "Re-save the file (or upload it completely); prefer safetensors."
    invalid = [Example({"config.json": CONFIG, "pytorch_model.bin": BinaryExample.of(_CLEAN[:40], "(pickle) the first 40 bytes of a pickle\n")}, [("pytorch_model.bin", 1)])]
    valid = [Example({"config.json": CONFIG, "pytorch_model.bin": _CLEAN})]

    def check(self, ctx):
        for f, result in _scans(ctx):
            if result.problem:
                yield Finding(f, f"{f} could not be scanned: {result.problem}", line=1, column=1)


@register
class PickleWeights(Rule):
    code = "RL853"
    name = "pickle-weights"
    summary = "Weights are published as a pickle (only torch's allowlisted imports found); safetensors is safer"
    severity = "info"
    why = (
        "A pickle file is code for the unpickler. This one imports only what torch's weights_only "
        "loader allows, so transformers loads it safely; every other consumer has to trust it. "
        "safetensors files hold data only, load faster (memory-mapped) and are what the Hub prefers."
    )
    fix_text = "Convert to safetensors (load the model and save_pretrained it) and delete the pickle."
    invalid = [Example({"config.json": CONFIG, "pytorch_model.bin": _CLEAN}, [("pytorch_model.bin", 1)])]
    valid = [Example({"config.json": CONFIG, "notes.txt": "no pickles here\n"})]

    def check(self, ctx):
        for f, result in _scans(ctx):
            if not result.problem and all(classify(g.module, g.name) == "allowed" for g in result.globals):
                yield Finding(f, f"{f} is a pickle ({result.format} format) with only torch's allowlisted imports; consider safetensors",
                              line=1, column=1, help=SAFETENSORS_HELP)
