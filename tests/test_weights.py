"""RL8xx safetensors rules: the header reader against the safetensors library, fixtures written
by transformers' save_pretrained (scripts/make_weight_fixtures.py) and loaded by transformers
5.23 for the ground truth, and files far larger than anything repolint may read."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import lint
from repolint.repo import Repo
from repolint.safetensors import MAX_HEADER_SIZE, checkpoint, parse_header, read_header

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from make_weight_fixtures import CASES  # noqa: E402  (stdlib-only at import time)

RL8 = ["RL80", "RL81"]  # the safetensors rules (RL85x are the pickle rules)


def _has(mod: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(mod) is not None


needs_oracle = pytest.mark.skipif(not (_has("transformers") and _has("torch")), reason="needs transformers + torch")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every fixture repo, and how transformers 5.23 loaded each (LOADS.json)."""
    if not (_has("transformers") and _has("torch")):
        pytest.skip("needs transformers + torch")
    out = tmp_path_factory.mktemp("weights")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    subprocess.run([sys.executable, str(ROOT / "scripts/make_weight_fixtures.py"), str(out), "--load"],
                   check=True, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    return out, json.loads((out / "LOADS.json").read_text())


def rl8(root: Path):
    return [d for d in lint(root, select=RL8)]


# -- agreement with transformers ---------------------------------------------------------------


@needs_oracle
@pytest.mark.parametrize("case", ["clean_sharded", "clean_single", "clean_tied", "clean_bf16", "clean_bin"])
def test_clean_checkpoints_load_and_lint_clean(built, case):
    out, loads = built
    assert loads[case]["ok"] and loads[case]["missing"] == [], loads[case]
    assert rl8(out / case) == []


@needs_oracle
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_defect_is_reported_as_transformers_behaves(built, case):
    out, loads = built
    expected = CASES[case][2]
    found = {d.code: d.severity.value for d in rl8(out / case)}
    for code, severity in expected.items():
        assert found.get(code) == severity, (found, case)
    load = loads[case]
    errors = {c for c, s in found.items() if s == "error"}
    if not load["ok"]:  # transformers fails: repolint says error
        assert errors, (case, load)
    elif load["missing"]:  # silently random weights
        assert errors or case == "untied_without_head", (case, load)  # RL811 is a warning: the head's name is class-specific
    else:  # loads with every weight: never an error
        assert not errors, (case, found)


@needs_oracle
def test_what_the_warnings_say_is_what_transformers_does(built):
    _, loads = built
    assert loads["dtype_f32_over_bf16"]["dtype"] == "float32"  # built in the config's dtype, weights cast
    assert loads["dtype_f16_over_bf16"]["dtype"] == "float16"
    assert loads["clean_bf16"]["dtype"] == "bfloat16"
    assert loads["clean_tied"]["tied"] and not loads["tied_with_head"]["tied"]  # the separate head is loaded, untied
    assert loads["untied_without_head"]["missing"] == ["lm_head.weight"]
    assert loads["tensor_not_in_shard"]["missing"] == ["model.layers.0.mlp.down_proj.weight"]
    assert loads["missing_shard"]["error"].startswith("FileNotFoundError")
    assert all(loads[c]["error"].startswith("SafetensorError") for c in CASES if CASES[c][2].keys() & {"RL801", "RL802", "RL803"})


@needs_oracle
def test_header_reader_matches_the_safetensors_library(built):
    from safetensors import safe_open

    out, _ = built
    n = 0
    for case in ("clean_sharded", "clean_single", "clean_bf16"):
        repo = Repo(out / case)
        for f in sorted(p.name for p in (out / case).glob("*.safetensors")):
            h = read_header(repo, f)
            assert h.problems == [] and h.metadata == {"format": "pt"}
            with safe_open(str(out / case / f), framework="pt") as lib:
                assert sorted(h.tensors) == sorted(lib.keys())
                for name, t in h.tensors.items():
                    sl = lib.get_slice(name)
                    assert (t.dtype, list(t.shape), t.file) == (sl.get_dtype(), sl.get_shape(), f)
                    assert t.nbytes == t.numel * {"F32": 4, "BF16": 2}[t.dtype]
                    n += 1
    assert n > 20
    ck = checkpoint(Repo(out / "clean_sharded"))
    assert ck.kind == "sharded" and len(ck.files) == 5
    index = json.loads((out / "clean_sharded/model.safetensors.index.json").read_text())
    assert {k: v.file for k, v in ck.tensors().items()} == index["weight_map"]
    assert sum(t.nbytes for t in ck.tensors().values()) == index["metadata"]["total_size"]


# -- never crashes, never reads much -----------------------------------------------------------


def _st(header: dict) -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h


def test_every_truncation_and_corruption_is_a_finding_not_a_crash():
    good = _st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "__metadata__": {"format": "pt"}}) + b"\0" * 8
    for cut in range(len(good)):
        h = parse_header(good[:cut], cut, "x.safetensors")
        assert h.problems, cut
    bad_headers = [
        b"[1, 2]", b'{"a": 1}', b'{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}}',
        b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}', b'{"__metadata__": {"k": 1}}',
        b'{"a": {"dtype": 5, "shape": [2], "data_offsets": [0, 8]}}', b"{" * 100000, b"\xff\xfe",
        b'{"a": {"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}}',
    ]
    for raw in bad_headers:
        blob = struct.pack("<Q", len(raw)) + raw + b"\0" * 8
        h = parse_header(blob, len(blob), "x.safetensors")
        assert h.problems, raw[:40]
    assert parse_header(good, len(good), "x.safetensors").problems == []


def _sparse(path: Path, prefix: bytes, size: int) -> None:
    with open(path, "wb") as fh:
        fh.write(prefix)
        fh.truncate(size)  # a hole: no disk blocks, no bytes to read


CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from helpers import lint
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lint(Path(sys.argv[2]), select=["RL80", "RL81"])  # a small repo first: every import done
    before = peak()
    t = time.perf_counter()
    diags = lint(Path(sys.argv[1]), select=["RL80", "RL81"])
    print(json.dumps({"codes": [d.code for d in diags], "messages": [d.message for d in diags],
                      "seconds": time.perf_counter() - t, "extra_mb": peak() - before}))
""")


def _lint_in_child(root: Path) -> dict:
    small = root.parent / "small"
    small.mkdir()
    (small / "config.json").write_text('{"model_type": "llama"}\n')
    (small / "model.safetensors").write_bytes(_st({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}) + b"\0" * 4)
    r = subprocess.run([sys.executable, "-c", CHILD, str(root), str(small)], capture_output=True, text=True, timeout=120,
                       cwd=ROOT / "tests", env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


GIB = 1 << 30


@pytest.mark.skipif(sys.platform == "win32", reason="sparse files")
@pytest.mark.parametrize("kind", ["valid_10gb", "corrupt_10gb", "claim_1gb", "claim_99mb"])
def test_huge_files_cost_bounded_time_and_memory(tmp_path, kind):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "config.json").write_text('{"model_type": "llama"}\n')
    ten = 10 * GIB
    if kind == "valid_10gb":
        prefix = _st({"w": {"dtype": "F32", "shape": [ten // 4], "data_offsets": [0, ten]}})
        size = len(prefix) + ten
    elif kind == "corrupt_10gb":
        prefix = _st({"w": {"dtype": "F32", "shape": [ten // 4 + 1], "data_offsets": [0, ten + 4]}})  # 4 bytes short
        size = len(prefix) + ten
    elif kind == "claim_1gb":  # a header length of 1 GB, in a file large enough to hold it
        prefix, size = struct.pack("<Q", GIB) + b"{", GIB + 4096
    else:  # just under safetensors' limit: the reader must not read it when it cannot be JSON
        prefix, size = struct.pack("<Q", MAX_HEADER_SIZE - 1) + b'{"a": ', MAX_HEADER_SIZE + 4096
    _sparse(root / "model.safetensors", prefix, size)
    result = _lint_in_child(root)
    expected = {"valid_10gb": [], "corrupt_10gb": ["RL803"], "claim_1gb": ["RL801"], "claim_99mb": ["RL801"]}[kind]
    assert result["codes"] == expected, result["messages"]
    assert result["seconds"] < 5
    assert result["extra_mb"] < 50  # a read of the data or of the claimed header would be >= 1 GB (99 MB)


def test_reads_only_the_header(tmp_path):
    """The bytes asked of the Repo: one read per small header, 8 + N for a larger one."""
    root = tmp_path / "repo"
    root.mkdir()
    small = _st({"w": {"dtype": "F32", "shape": [1 << 20], "data_offsets": [0, 4 << 20]}})
    names = {f"t{i:05d}": {"dtype": "U8", "shape": [1], "data_offsets": [i, i + 1]} for i in range(5000)}
    big = _st(names)
    assert len(big) > 64 * 1024
    _sparse(root / "model-00001-of-00002.safetensors", small, len(small) + (4 << 20))
    _sparse(root / "model-00002-of-00002.safetensors", big, len(big) + 5000)

    asked: list[tuple[str, int]] = []

    class Counting(Repo):
        def read_prefix(self, rel, length):
            asked.append((rel, length))
            return super().read_prefix(rel, length)

    repo = Counting(root)
    assert read_header(repo, "model-00001-of-00002.safetensors").problems == []
    assert read_header(repo, "model-00002-of-00002.safetensors").problems == []
    assert asked == [("model-00001-of-00002.safetensors", 65536), ("model-00002-of-00002.safetensors", 65536),
                     ("model-00002-of-00002.safetensors", len(big))]


def test_symlinked_weights_outside_the_repo_are_not_read(tmp_path):
    outside = tmp_path / "elsewhere.safetensors"
    outside.write_bytes(_st({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}) + b"\0" * 4)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "config.json").write_text('{"model_type": "llama"}\n')
    (root / "model.safetensors").symlink_to(outside)
    diags = rl8(root)
    assert [d.code for d in diags] == ["RL801"] and "outside the repo" in diags[0].message


def test_index_pointing_outside_the_repo_is_not_read(tmp_path):
    secret = tmp_path / "secret.safetensors"
    secret.write_bytes(_st({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}) + b"\0" * 4)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"w": "../secret.safetensors"}}))
    ck = checkpoint(Repo(root))
    h = ck.headers["../secret.safetensors"]
    assert h.tensors == {} and "outside the repo" in h.problems[0].message  # refused, not read
    assert [d.code for d in rl8(root)] == ["RL801"]


def test_cli_on_a_sharded_checkpoint_without_weights_data(tmp_path):
    """Headers of save_pretrained-like shards whose data are holes: exit 0, nothing found."""
    root = tmp_path / "m"
    root.mkdir()
    (root / "config.json").write_text('{"model_type": "llama", "dtype": "bfloat16"}\n')
    weight_map = {}
    for i in range(1, 6):
        name = f"model-0000{i}-of-00005.safetensors"
        prefix = _st({f"layer{i}.weight": {"dtype": "BF16", "shape": [4096, 4096], "data_offsets": [0, 2 * 4096 * 4096]}})
        _sparse(root / name, prefix, len(prefix) + 2 * 4096 * 4096)
        weight_map[f"layer{i}.weight"] = name
    (root / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 5 * 2 * 4096 * 4096}, "weight_map": weight_map}))
    # RL82x left out: these made-up tensor names are not Llama's (RL820 says so)
    r = subprocess.run([sys.executable, "-m", "repolint", "check", str(root), "--select", "RL8", "--ignore", "RL82"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and "All checks passed" in r.stdout, r.stdout + r.stderr
