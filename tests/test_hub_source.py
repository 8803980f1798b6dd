"""hf://owner/name[@revision]: linting a Hub repo without cloning it, against a local Hub
(tests/hubserver.py). Two layers: repolint.sources directly, and the CLI in a subprocess
(skipped until `repolint check` accepts hf:// specs)."""

from __future__ import annotations

import functools
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import write_repo
from hubserver import HubServer, fake_sha
from repolint.config import discover
from repolint.engine import run
from repolint.knowledge import DEFAULT_TARGET, Knowledge
from repolint.reporters import display_path
from repolint.repo import CONFIG_FILES, Repo
from repolint.sources import FetchedRepo, SourceError, fetch_hub_repo, is_hub_spec, parse_hub_spec, plan_files

HERE = Path(__file__).parent
BERT_DIR = HERE / "fixtures" / "valid" / "bert"
NEVER_FETCHED = {"tokenizer.json"}  # and of *.safetensors only the header (hub_bytes_ok)


def safetensors_bytes(n_floats: int, name: str = "w") -> bytes:
    """A valid safetensors file: one F32 tensor of zeros."""
    header = ('{"%s":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}' % (name, n_floats, 4 * n_floats)).encode()
    return len(header).to_bytes(8, "little") + header + b"\0" * (4 * n_floats)


def header_len(data: bytes) -> int:
    return 8 + int.from_bytes(data[:8], "little")


BERT = {p.name: p.read_bytes() for p in sorted(BERT_DIR.iterdir()) if p.is_file()}
BERT["model.safetensors"] = safetensors_bytes(1024)
BERT_LAMA = {**BERT, "config.json": BERT["config.json"].replace(b'"model_type": "bert"', b'"model_type": "lama"')}
assert BERT_LAMA["config.json"] != BERT["config.json"]

# repos linted both ways (hub vs a local folder with the same files), with weights and nested
# files that must change nothing
PARITY_DIRS = [HERE.parent / "examples" / "broken-model", HERE / "fixtures" / "valid" / "llama",
               HERE / "fixtures" / "custom" / "custom_full"] + [
    HERE / "fixtures" / "custom_broken" / name
    for name in ("absolute_sibling_import", "automap_class_missing", "automap_module_missing")
]
PARITY_EXTRA = {"model.safetensors": b"weights", "onnx/model.onnx": b"onnx", "sub/config.json": b"{not json",
                "sub/modeling_x.py": b"def broken(:\n"}
PARITY = {
    f"parity/{d.name}": {
        **{p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()},
        **PARITY_EXTRA,
    }
    for d in PARITY_DIRS
}

SHA_OLD, SHA_NEW = fake_sha("tiny-bert old"), fake_sha("tiny-bert new")
SHA_BROKEN, SHA_GATED, SHA_PRIVATE = fake_sha("broken"), fake_sha("gated"), fake_sha("private")
REPOS = {
    "acme/tiny-bert": {SHA_OLD: BERT_LAMA, SHA_NEW: BERT},  # main -> SHA_NEW (the last one)
    "acme/broken": {SHA_BROKEN: BERT_LAMA},
    "acme/gated": {SHA_GATED: BERT},
    "acme/private": {SHA_PRIVATE: BERT},
    **{repo_id: {fake_sha(repo_id): files} for repo_id, files in PARITY.items()},
}
HF_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE",
           "TRANSFORMERS_OFFLINE", "HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT", "HF_OIDC_RESOURCE")


@pytest.fixture(scope="module")
def hub():
    with HubServer(REPOS, gated=("acme/gated",), private=("acme/private",), tokens=("hf_test",)) as server:
        yield server
        fetched = server.requested_files()
        assert hub_bytes_ok(server)
    assert not fetched & NEVER_FETCHED, f"weights / big tokenizer files were requested: {fetched & NEVER_FETCHED}"


def hub_bytes_ok(server) -> bool:
    """Of a .safetensors file, no GET sent more than the 8-byte length or the header."""
    with server._lock:
        sent = list(server.sent)
    files = {f: d for revs in REPOS.values() for files in revs.values() for f, d in files.items()}
    return all(n <= max(8, header_len(files[f]) - 8) for f, n in sent if f.endswith(".safetensors") and f in files)


@pytest.fixture(autouse=True)
def _clean_hf_env(monkeypatch, hub):
    """No token, endpoint or offline switch of the developer's leaks in (tests that need "no
    token" also pass token=False: huggingface_hub may have read a saved login at import); no
    weights are ever fetched."""
    for var in HF_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    yield
    assert not hub.requested_files() & NEVER_FETCHED
    assert hub_bytes_ok(hub)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One HF cache for the tests that may share downloads (the offline test relies on it)."""
    return tmp_path_factory.mktemp("hf-home")


def fetch(hub, spec, cache, **kw) -> FetchedRepo:
    kw.setdefault("endpoint", hub.url)
    kw.setdefault("offline", False)
    return fetch_hub_repo(spec, cache_dir=cache / "hub", **kw)


# The fixtures' model.safetensors is a one-tensor stand-in (these tests are about what is fetched):
# the checkpoint-vs-class rules (RL82x) rightly call it random weights, so they are left out here;
# tests/test_checkpoint*.py check them on real save_pretrained checkpoints.
NOT_A_CHECKPOINT = ("RL820", "RL821", "RL822", "RL823", "RL824")


def lint(fetched: FetchedRepo):
    settings = discover(fetched.path)
    settings.ignore = [*settings.ignore, *NOT_A_CHECKPOINT]
    settings = settings.resolve()
    repo = Repo(fetched.path, label=fetched.label)
    return run(repo, settings, [Knowledge.for_target(DEFAULT_TARGET)])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- specs and the file plan -----------------------------------------------------------------


def test_spec_parsing():
    assert parse_hub_spec("hf://acme/tiny-bert").repo_id == "acme/tiny-bert"
    assert parse_hub_spec("hf://acme/tiny-bert").revision is None
    assert parse_hub_spec("hf://acme/tiny-bert@v1.0").revision == "v1.0"
    assert parse_hub_spec("hf://acme/tiny-bert@refs/pr/3").revision == "refs/pr/3"
    assert parse_hub_spec("hf://models/acme/tiny-bert@main").repo_id == "acme/tiny-bert"
    assert is_hub_spec("hf://datasets/acme/x") and not is_hub_spec("acme/tiny-bert") and not is_hub_spec("./hf:")
    for bad, words in [
        ("hf://datasets/acme/x", "dataset repos are not supported"),
        ("hf://spaces/acme/x", "space repos are not supported"),
        ("hf://acme", "expected hf://owner/name"),
        ("hf://acme/x/y", "expected hf://owner/name"),
        ("hf://acme/x@", "empty revision"),
        ("hf://acme/x..y", "expected hf://owner/name"),
    ]:
        with pytest.raises(SourceError, match=re.escape(words)):
            parse_hub_spec(bad)
    with pytest.raises(SourceError, match="only model repos"):
        fetch_hub_repo("hf://acme/x", repo_type="dataset")


def test_plan_never_makes_a_placeholder_of_a_file_repolint_reads():
    huge = 10 * 1024**3
    listing = {name: huge for name in CONFIG_FILES}
    listing.update({
        "modeling_x.py": huge, "README.md": huge, "repolint.toml": 10, "pyproject.toml": 10,
        "model-00001-of-00002.safetensors": huge, "diffusion_pytorch_model.safetensors.index.json": 5000,
        "tokenizer.json": 100, "vocab.json": 100, "added_tokens.json": 50, "big.json": 50 * 1024**2,
        "unknown-size.json": None, "model.safetensors": huge, "pytorch_model.bin": huge, "model.gguf": huge,
        "tokenizer.model": huge, "sub/config.json": 10, "sub/modeling.py": 10,
    })
    download, placeholders = plan_files(listing)
    assert set(CONFIG_FILES) <= set(download)
    assert {"modeling_x.py", "README.md", "repolint.toml", "pyproject.toml", "added_tokens.json",
            "diffusion_pytorch_model.safetensors.index.json"} <= set(download)
    assert set(placeholders) == {"model-00001-of-00002.safetensors", "tokenizer.json", "vocab.json", "big.json",
                                 "unknown-size.json", "model.safetensors", "pytorch_model.bin", "model.gguf",
                                 "tokenizer.model"}
    assert not any("/" in n for n in download + placeholders)  # only the top level is mirrored


# -- repolint.sources directly ---------------------------------------------------------------------


def test_clean_repo(hub, shared_cache):
    with fetch(hub, "hf://acme/tiny-bert", shared_cache) as fetched:
        assert fetched.commit == SHA_NEW
        assert fetched.label == f"hf://acme/tiny-bert@{SHA_NEW[:12]}"
        assert sorted(fetched.downloaded) == ["config.json", "tokenizer_config.json"]
        assert sorted(fetched.placeholders) == ["model.safetensors", "tokenizer.json"]
        names = sorted(os.listdir(fetched.path))
        assert names == sorted(BERT)
        for name in names:  # copies and placeholders, never symlinks into the HF cache
            path = fetched.path / name
            assert path.is_file() and not path.is_symlink()
            if name.endswith(".safetensors"):  # the header, then a hole as large as the data
                data = path.read_bytes()
                n = header_len(BERT[name])
                assert data[:n] == BERT[name][:n] and data[n:] == bytes(len(BERT[name]) - n)
            else:
                assert path.read_bytes() == (BERT[name] if name in fetched.downloaded else b"")
        result = lint(fetched)
        # RL405 would fire if tokenizer.json were missing: the placeholder counts
        assert result.linted and result.diagnostics == []
        root = fetched.path
    assert not root.exists()  # closing removes the folder view


def test_warm_cache_costs_one_metadata_call(hub, shared_cache):
    fetch(hub, "hf://acme/tiny-bert", shared_cache).close()
    hub.clear_log()
    with fetch(hub, "hf://acme/tiny-bert", shared_cache) as fetched:
        assert fetched.commit == SHA_NEW
    assert hub.requests() == ["GET /api/models/acme/tiny-bert?blobs=true"]


def test_broken_repo_paths_start_with_the_hub_label(hub, tmp_path):
    with fetch(hub, "hf://acme/broken", tmp_path) as fetched:
        result = lint(fetched)
    assert [d.code for d in result.diagnostics] == ["RL201"]
    diag = result.diagnostics[0]
    assert display_path(result, diag.location.file) == f"hf://acme/broken@{SHA_BROKEN[:12]}/config.json"


@pytest.mark.parametrize("revision", [SHA_OLD, SHA_OLD[:10]])
def test_revision_picks_the_older_commit(hub, tmp_path, revision):
    with fetch(hub, f"hf://acme/tiny-bert@{revision}", tmp_path) as fetched:
        assert fetched.commit == SHA_OLD
        assert b'"lama"' in (fetched.path / "config.json").read_bytes()
        assert [d.code for d in lint(fetched).diagnostics] == ["RL201"]


@pytest.mark.parametrize("repo_id", sorted(PARITY))
def test_same_findings_as_a_local_folder(hub, tmp_path, repo_id):
    local = write_repo(tmp_path / "local", PARITY[repo_id])
    settings = discover(local).resolve()
    expected = run(Repo(local, label="."), settings, [Knowledge.for_target(DEFAULT_TARGET)]).diagnostics
    with fetch(hub, f"hf://{repo_id}", tmp_path) as fetched:
        got = lint(fetched).diagnostics
        assert not any("/" in n for n in os.listdir(fetched.path)) and not (fetched.path / "sub").exists()

    def key(d):
        return d.code, d.severity, d.location.file, d.location.line, d.location.column, d.message

    assert [key(d) for d in got] == [key(d) for d in expected]
    if repo_id != "parity/llama" and repo_id != "parity/custom_full":
        assert got  # the broken ones do find something


def test_missing_repo(hub, tmp_path):
    with pytest.raises(SourceError, match=r"^hf://acme/nope: repository not found on http://127\.0\.0\.1:\d+"):
        fetch(hub, "hf://acme/nope", tmp_path)


def test_private_repo_needs_the_token(hub, tmp_path):
    with pytest.raises(SourceError, match="repository not found.*set HF_TOKEN"):
        fetch(hub, "hf://acme/private", tmp_path, token=False)
    with fetch(hub, "hf://acme/private", tmp_path, token="hf_test") as fetched:
        assert fetched.commit == SHA_PRIVATE


def test_gated_repo(hub, tmp_path, monkeypatch):
    with pytest.raises(SourceError, match=r"^hf://acme/gated: gated repo; accept its conditions .* HF_TOKEN"):
        fetch(hub, "hf://acme/gated", tmp_path, token=False)
    with pytest.raises(SourceError, match="gated repo, and the token in use has no access"):
        fetch(hub, "hf://acme/gated", tmp_path, token="hf_wrong")
    monkeypatch.setenv("HF_TOKEN", "hf_test")  # read by huggingface_hub at call time
    with fetch(hub, "hf://acme/gated", tmp_path) as fetched:
        assert fetched.commit == SHA_GATED
        assert lint(fetched).diagnostics == []


def test_bad_revision(hub, tmp_path):
    with pytest.raises(SourceError, match=r"^hf://acme/tiny-bert@nope: revision 'nope' not found in acme/tiny-bert$"):
        fetch(hub, "hf://acme/tiny-bert@nope", tmp_path)


def test_dead_network_fails_fast(tmp_path):
    start = time.monotonic()
    with pytest.raises(SourceError, match=r"cannot reach http://127\.0\.0\.1:\d+ \("):
        fetch_hub_repo("hf://acme/tiny-bert", cache_dir=tmp_path, endpoint=f"http://127.0.0.1:{closed_port()}",
                       offline=False, timeout=2)
    assert time.monotonic() - start < 5


def test_unresponsive_hub_times_out(tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        start = time.monotonic()
        with pytest.raises(SourceError, match=r"no answer from .* within 0\.5s"):
            fetch_hub_repo("hf://acme/tiny-bert", cache_dir=tmp_path, endpoint=f"http://127.0.0.1:{silent.getsockname()[1]}",
                           offline=False, timeout=0.5)
        assert time.monotonic() - start < 5


def test_offline_uses_the_cache_only(hub, shared_cache, monkeypatch):
    online = fetch(hub, "hf://acme/tiny-bert", shared_cache)
    online.close()
    hub.clear_log()
    for spec in ("hf://acme/tiny-bert", f"hf://acme/tiny-bert@{SHA_NEW}", f"hf://acme/tiny-bert@{SHA_NEW[:8]}"):
        with fetch(hub, spec, shared_cache, offline=True) as fetched:
            assert fetched.offline and fetched.commit == SHA_NEW
            assert (fetched.downloaded, fetched.placeholders) == (online.downloaded, online.placeholders)
            assert lint(fetched).diagnostics == []
    # the offline switch huggingface_hub itself reads works too
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with fetch_hub_repo("hf://acme/tiny-bert", cache_dir=shared_cache / "hub", endpoint=hub.url) as fetched:
        assert fetched.offline
    assert hub.requests() == []


def test_offline_with_nothing_cached(hub, tmp_path):
    with pytest.raises(SourceError, match="not in the local cache and HF_HUB_OFFLINE is set"):
        fetch(hub, "hf://acme/tiny-bert", tmp_path, offline=True)
    with pytest.raises(SourceError, match="not in the local cache"):
        fetch(hub, "hf://acme/tiny-bert@v9", tmp_path, offline=True)


def test_local_paths_never_import_huggingface_hub():
    code = (
        "import sys\n"
        "from repolint.cli import main\n"
        "import repolint.sources\n"
        f"sys.argv = ['repolint', 'check', {str(BERT_DIR)!r}]\n"
        "try:\n    main()\n"
        "except SystemExit as e:\n    code = e.code\n"
        "print(code, 'huggingface_hub' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split()[-2:] == ["0", "False"], out.stdout + out.stderr


# -- the CLI -----------------------------------------------------------------------------------


def cli_env(hub_url: str, hf_home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in HF_VARS and k not in ("GITHUB_ACTIONS", "NO_COLOR", "REPOLINT_DEBUG")}
    env.update(HF_ENDPOINT=hub_url, HF_HOME=str(hf_home), HF_HUB_DISABLE_TELEMETRY="1", NO_COLOR="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def repolint(*args, env):
    if args and args[0] == "check":
        args = (*args, *[a for code in NOT_A_CHECKPOINT for a in ("--ignore", code)])
    return subprocess.run([sys.executable, "-m", "repolint", *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


@functools.lru_cache(maxsize=None)
def cli_accepts_hub_specs() -> bool:
    """Unwired, `repolint check hf://...` reports a missing local folder."""
    env = cli_env(f"http://127.0.0.1:{closed_port()}", Path(os.devnull), HF_HUB_OFFLINE="1")
    r = repolint("check", "hf://probe/probe", env=env)
    return "no such file or directory" not in r.stderr


needs_cli = pytest.mark.skipif(not cli_accepts_hub_specs(), reason="`repolint check` does not accept hf:// yet")


def one_error_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("repolint: error: "), (r.returncode, r.stderr)
    return lines[0]


@needs_cli
def test_cli_clean_repo(hub, shared_cache):
    r = repolint("check", "hf://acme/tiny-bert", env=cli_env(hub.url, shared_cache))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"All checks passed for hf://acme/tiny-bert@{SHA_NEW[:12]}." in r.stdout


@needs_cli
def test_cli_broken_repo(hub, tmp_path):
    r = repolint("check", "hf://acme/broken", "--format", "concise", env=cli_env(hub.url, tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith(f"hf://acme/broken@{SHA_BROKEN[:12]}/config.json:29:17: RL201"), first


@needs_cli
def test_cli_revision(hub, tmp_path):
    r = repolint("check", f"hf://acme/tiny-bert@{SHA_OLD}", "--format", "concise", env=cli_env(hub.url, tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith(f"hf://acme/tiny-bert@{SHA_OLD[:12]}/config.json:")


@needs_cli
@pytest.mark.parametrize("spec, words", [
    ("hf://acme/nope", "repository not found"),
    ("hf://acme/tiny-bert@nope", "revision 'nope' not found"),
    ("hf://acme/gated", "gated repo"),
    ("hf://datasets/acme/x", "dataset repos are not supported"),
])
def test_cli_errors_are_one_line(hub, tmp_path, spec, words):
    line = one_error_line(repolint("check", spec, env=cli_env(hub.url, tmp_path)))
    assert words in line


@needs_cli
def test_cli_gated_with_token(hub, tmp_path):
    r = repolint("check", "hf://acme/gated", env=cli_env(hub.url, tmp_path, HF_TOKEN="hf_test"))
    assert r.returncode == 0, r.stdout + r.stderr


@needs_cli
def test_cli_dead_network(tmp_path):
    start = time.monotonic()
    env = cli_env(f"http://127.0.0.1:{closed_port()}", tmp_path, HF_HUB_ETAG_TIMEOUT=2)
    line = one_error_line(repolint("check", "hf://acme/tiny-bert", env=env))
    assert "cannot reach" in line
    assert time.monotonic() - start < 15


@needs_cli
def test_cli_offline(hub, tmp_path):
    assert repolint("check", "hf://acme/tiny-bert", env=cli_env(hub.url, tmp_path)).returncode == 0
    hub.clear_log()
    r = repolint("check", "hf://acme/tiny-bert", env=cli_env(hub.url, tmp_path, HF_HUB_OFFLINE=1))
    assert r.returncode == 0, r.stdout + r.stderr
    assert hub.requests() == []
    empty = tmp_path / "empty"
    line = one_error_line(repolint("check", "hf://acme/tiny-bert", env=cli_env(hub.url, empty, HF_HUB_OFFLINE=1)))
    assert "not in the local cache" in line


@needs_cli
def test_cli_leaves_no_temp_folder(hub, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    r = repolint("check", "hf://acme/broken", env=cli_env(hub.url, tmp_path / "home", TMPDIR=tmp))
    assert r.returncode == 1
    assert list(tmp.iterdir()) == []
