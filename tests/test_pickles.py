"""RL850-RL853: pickle weights written by torch.save, including one with a malicious __reduce__
built here; repolint must report it and never run it, and transformers 5.23 must refuse it."""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import lint
from repolint.pickles import scan
from repolint.rules.pickles import classify

ROOT = Path(__file__).resolve().parents[1]
torch = pytest.importorskip("torch")

CONFIG = json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 64, "hidden_size": 16,
                     "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2})


class Payload:
    """Unpickling this writes a marker file: the harmless stand-in for a real attack."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def _repo(tmp_path: Path, name: str, files: dict) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "config.json").write_text(CONFIG)
    for fname, obj in files.items():
        if isinstance(obj, bytes):
            (root / fname).write_bytes(obj)
        else:
            torch.save(obj, root / fname)
    return root


def _codes(root: Path) -> dict:
    return {d.code: d.severity.value for d in lint(root, select=["RL85"])}


def _state_dict():
    return {"w": torch.zeros(4, 4), "b": torch.ones(4)}


def test_a_torch_save_state_dict_only_gets_the_safetensors_suggestion(tmp_path):
    root = _repo(tmp_path, "clean", {"pytorch_model.bin": _state_dict()})
    assert _codes(root) == {"RL853": "info"}
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    torch.save(_state_dict(), legacy / "model.pt", _use_new_zipfile_serialization=False)
    (legacy / "config.json").write_text(CONFIG)
    result = scan(open(legacy / "model.pt", "rb"), "model.pt")
    assert result.format == "pickle" and result.problem is None
    assert {g.dotted for g in result.globals} >= {"torch._utils._rebuild_tensor_v2", "torch.FloatStorage", "collections.OrderedDict"}
    assert _codes(legacy) == {"RL853": "info"}


def test_malicious_reduce_is_an_error_and_never_runs(tmp_path):
    marker = tmp_path / "marker"
    root = _repo(tmp_path, "evil", {"pytorch_model.bin": {**_state_dict(), "x": Payload(marker)}})
    assert not marker.exists()  # torch.save only pickled it
    diags = lint(root, select=["RL85"])
    assert [(d.code, d.severity.value) for d in diags] == [("RL850", "error")]
    assert "builtins.exec" in diags[0].message or "__builtin__.exec" in diags[0].message
    r = subprocess.run([sys.executable, "-m", "repolint", "check", str(root), "--format", "json"], capture_output=True,
                       text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 1 and "RL850" in r.stdout
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_plain_pickles_of_every_protocol(tmp_path, protocol):
    marker = tmp_path / "m"
    root = tmp_path / f"p{protocol}"
    root.mkdir()
    (root / "config.json").write_text(CONFIG)
    with open(root / "extra.pkl", "wb") as fh:
        pickle.dump({"a": Payload(marker), "b": os.system, "c": [1, 2.0, "x" * 5000, b"y" * 3000]}, fh, protocol=protocol)
    result = scan(open(root / "extra.pkl", "rb"), "extra.pkl")
    assert result.problem is None
    dangerous = {g.name for g in result.globals if classify(g.module, g.name) == "dangerous"}
    assert dangerous == {"exec", "system"}  # (protocol 0 also imports _codecs.encode for bytes: allowed)
    assert _codes(root) == {"RL850": "error"}
    assert not marker.exists()


def test_unknown_imports_fail_transformers_only_in_the_file_it_loads(tmp_path):
    import numpy

    root = _repo(tmp_path, "numpy", {"pytorch_model.bin": {**_state_dict(), "meta": numpy.arange(3)},
                                     "training_args.bin": {"lr": numpy.float64(0.1)}})
    diags = {d.location.file: d for d in lint(root, select=["RL851"])}
    assert diags["pytorch_model.bin"].severity.value == "error" and "UnpicklingError" in diags["pytorch_model.bin"].message
    assert diags["training_args.bin"].severity.value == "warning"
    # with a safetensors checkpoint, from_pretrained never opens pytorch_model.bin
    (root / "model.safetensors").write_bytes(b"")
    assert {d.severity.value for d in lint(root, select=["RL851"])} == {"warning"}


def test_bad_and_foreign_files_never_crash(tmp_path):
    root = tmp_path / "bad"
    root.mkdir()
    (root / "config.json").write_text(CONFIG)
    good = pickle.dumps({"a": os.system}, protocol=4)
    for i in range(1, len(good)):
        result = scan(_BytesFile(good[:i]), "x.pkl")
        assert result.problem or result.globals, i
    (root / "onnx_data.bin").write_bytes(b"\x08\x07\x12\x04onnx" + bytes(range(256)))  # not a pickle: not scanned
    (root / "pytorch_model.bin").write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 10 << 30))  # claims 10 GB of bytes
    (root / "empty.pt").write_bytes(b"")
    (root / "weird.ckpt").write_bytes(b"PK\x03\x04 not really a zip")
    codes = sorted((d.location.file, d.code) for d in lint(root, select=["RL85"]))
    assert codes == [("pytorch_model.bin", "RL852"), ("weird.ckpt", "RL852")]


class _BytesFile:
    def __init__(self, data: bytes):
        import io

        self._io = io.BytesIO(data)

    def __getattr__(self, name):
        return getattr(self._io, name)


@pytest.mark.skipif(not hasattr(torch, "_weights_only_unpickler"), reason="old torch")
def test_allowlist_covers_what_torch_weights_only_allows():
    from torch._weights_only_unpickler import _get_allowed_globals

    for dotted in _get_allowed_globals():
        module, _, name = dotted.rpartition(".")
        assert classify(module, name) == "allowed", dotted
    for dotted in ("posix.system", "builtins.eval", "subprocess.Popen", "torch.load", "numpy.core.multiarray._reconstruct"):
        module, _, name = dotted.rpartition(".")
        assert classify(module, name) != "allowed", dotted


ORACLE = textwrap.dedent("""
    import json, os, sys, warnings
    os.environ["HF_HUB_OFFLINE"] = "1"
    warnings.filterwarnings("ignore")
    from transformers import AutoModelForCausalLM
    out = {}
    for d in sys.argv[1:]:
        try:
            AutoModelForCausalLM.from_pretrained(d)
            out[os.path.basename(d)] = "ok"
        except BaseException as exc:
            out[os.path.basename(d)] = type(exc).__name__ + ": " + str(exc).strip().splitlines()[0][:200]
    print(json.dumps(out))
""")


@pytest.mark.skipif(pytest.importorskip("importlib.util").find_spec("transformers") is None, reason="needs transformers")
def test_transformers_refuses_what_repolint_calls_an_error(tmp_path):
    import numpy
    from transformers import LlamaConfig, LlamaForCausalLM  # noqa: F401  (the oracle: only to build a state dict)

    cfg = LlamaConfig(**{k: v for k, v in json.loads(CONFIG).items() if k not in ("model_type", "architectures")})
    sd = LlamaForCausalLM(cfg).state_dict()
    marker = tmp_path / "marker"
    repos = [
        _repo(tmp_path, "clean", {"pytorch_model.bin": sd}),
        _repo(tmp_path, "evil", {"pytorch_model.bin": {**sd, "x": Payload(marker)}}),
        _repo(tmp_path, "numpy", {"pytorch_model.bin": {**sd, "meta": numpy.arange(3)}}),
    ]
    r = subprocess.run([sys.executable, "-c", ORACLE, *map(str, repos)], capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL, cwd=tmp_path)
    loads = json.loads(r.stdout.strip().splitlines()[-1])
    assert loads["clean"] == "ok"
    assert loads["evil"].startswith("UnpicklingError") and "Weights only load failed" in loads["evil"]
    assert loads["numpy"].startswith("UnpicklingError")
    assert not marker.exists()  # transformers 5.23 refused it too: the payload never ran
    verdicts = {root.name: {d.code: d.severity.value for d in lint(root, select=["RL85"])} for root in repos}
    assert verdicts == {"clean": {"RL853": "info"}, "evil": {"RL850": "error"}, "numpy": {"RL851": "error"}}
