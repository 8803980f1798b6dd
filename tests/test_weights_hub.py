"""hf:// repos with safetensors checkpoints: only the headers travel (HTTP range requests,
counted by the loopback Hub), and the findings are those of the same files on disk."""

from __future__ import annotations

import json

import pytest

from helpers import lint, write_repo
from hubserver import HubServer, fake_sha
from repolint.config import discover
from repolint.engine import run
from repolint.knowledge import DEFAULT_TARGET, Knowledge
from repolint.repo import Repo
from repolint.sources import fetch_hub_repo

HEAD_FIRST = 64 * 1024

np = pytest.importorskip("numpy")
st_numpy = pytest.importorskip("safetensors.numpy")


def shard(tensors: dict) -> bytes:
    return st_numpy.save(tensors, metadata={"format": "pt"})


def header_len(data: bytes) -> int:
    return 8 + int.from_bytes(data[:8], "little")


def sharded_repo(n: int = 5, floats: int = 50_000) -> dict[str, bytes]:
    files, weight_map, total = {}, {}, 0
    for i in range(1, n + 1):
        name = f"model-{i:05d}-of-{n:05d}.safetensors"
        tensors = {f"model.layers.{i}.mlp.weight": np.zeros(floats, dtype=np.float32),
                   f"model.layers.{i}.norm.weight": np.ones(16, dtype=np.float32)}
        files[name] = shard(tensors)
        weight_map.update({k: name for k in tensors})
        total += sum(t.nbytes for t in tensors.values())
    files["model.safetensors.index.json"] = json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2).encode()
    files["config.json"] = b'{\n  "model_type": "llama",\n  "dtype": "float32"\n}\n'
    return files


GOOD = sharded_repo()
BROKEN = dict(GOOD)
del BROKEN["model-00003-of-00005.safetensors"]  # RL804
# a shard with a large header (over 64 KiB) holding tensors the index does not list
BIG_HEADER = {f"t{i:06d}": np.zeros(1, dtype=np.uint8) for i in range(4000)}
BROKEN["model-00002-of-00005.safetensors"] = shard({"model.layers.2.mlp.weight": np.zeros(50_000, dtype=np.float32),
                                                    "model.layers.2.norm.weight": np.ones(16, dtype=np.float32), **BIG_HEADER})
assert header_len(BROKEN["model-00002-of-00005.safetensors"]) > HEAD_FIRST
SHA_GOOD, SHA_BROKEN = fake_sha("sharded good"), fake_sha("sharded broken")
REPOS = {"acme/sharded": {SHA_GOOD: GOOD}, "acme/sharded-broken": {SHA_BROKEN: BROKEN}}


@pytest.fixture(scope="module")
def hub():
    with HubServer(REPOS) as server:
        yield server


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for var in ("HF_TOKEN", "HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


def _lint_view(fetched):
    repo = Repo(fetched.path, label=fetched.label)
    settings = discover(fetched.path)
    settings.select = ["RL80", "RL81"]
    settings.resolve()
    return sorted((d.code, d.location.file, d.message) for d in run(repo, settings, [Knowledge.for_target(DEFAULT_TARGET)]).diagnostics)


def _local(tmp_path, files) -> list:
    root = write_repo(tmp_path / "local", {k: v for k, v in files.items()})
    return sorted((d.code, d.location.file, d.message) for d in lint(root, select=["RL80", "RL81"]))


def test_sharded_repo_fetches_only_headers(hub, tmp_path):
    hub.clear_log()
    with fetch_hub_repo("hf://acme/sharded", endpoint=hub.url, cache_dir=tmp_path / "cache", token=False) as fetched:
        assert _lint_view(fetched) == []
        shards = sorted(n for n in GOOD if n.endswith(".safetensors"))
        assert fetched.header_bytes == sum(header_len(GOOD[n]) for n in shards)
        for n in shards:
            assert (fetched.path / n).stat().st_size == len(GOOD[n])  # a hole, not the data
    sent = hub.bytes_sent(".safetensors")
    assert sent == fetched.header_bytes < 2_000  # 5 headers; the data is 5 x 200 KB
    assert sum(len(v) for n, v in GOOD.items() if n.endswith(".safetensors")) > 1_000_000
    ranged = [line for line in hub.requests() if line.endswith(".safetensors")]
    assert len(ranged) == 10  # per shard: the 8-byte length, then the header


def test_findings_match_the_local_folder(hub, tmp_path):
    hub.clear_log()
    with fetch_hub_repo("hf://acme/sharded-broken", endpoint=hub.url, cache_dir=tmp_path / "cache", token=False) as fetched:
        remote = _lint_view(fetched)
    assert remote == _local(tmp_path, BROKEN)
    assert {c for c, *_ in remote} == {"RL804", "RL808"}  # (total_size is not checked with a shard missing)
    gets = [f for f, _n in hub.sent if f.endswith(".safetensors")]
    assert gets.count("model-00002-of-00005.safetensors") == 2  # the length, then the header
    assert hub.bytes_sent("model-00002-of-00005.safetensors") == header_len(BROKEN["model-00002-of-00005.safetensors"])


def test_offline_rerun_reads_headers_from_the_cache(hub, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    fetch_hub_repo("hf://acme/sharded", endpoint=hub.url, cache_dir=cache, token=False).close()
    hub.clear_log()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with fetch_hub_repo("hf://acme/sharded", endpoint=hub.url, cache_dir=cache, token=False, offline=True) as fetched:
        assert fetched.header_bytes == 0 and _lint_view(fetched) == []
    assert hub.requests() == []


def test_a_server_without_range_support_is_cut_off(hub, tmp_path, monkeypatch):
    """huggingface_hub talks to whatever HF_ENDPOINT is: a server that ignores Range must not
    make repolint read a whole weights file."""
    import hubserver

    route = hubserver._Handler._route

    def ignore_range(self):
        del self.headers["Range"]
        return route(self)

    monkeypatch.setattr(hubserver._Handler, "_route", ignore_range)
    with fetch_hub_repo("hf://acme/sharded", endpoint=hub.url, cache_dir=tmp_path / "c2", token=False) as fetched:
        assert _lint_view(fetched) == []
        assert fetched.header_bytes == sum(header_len(GOOD[n]) for n in GOOD if n.endswith(".safetensors"))
