"""Lint a Hub repo without cloning it: ``hf://owner/name[@revision]``.

``fetch_hub_repo`` resolves the revision to a commit, downloads only the files repolint reads
(into the huggingface_hub cache, so a second run costs one metadata call, or none offline),
and builds a throwaway folder that looks like the repo to ``repolint.repo.Repo``:

- the files rules read (every ``CONFIG_FILES`` name, top-level ``*.py``, shard indexes,
  ``README.md``, ``repolint.toml`` / ``pyproject.toml``, small other top-level ``*.json``)
  are COPIED in: the cache's files are symlinks into ``blobs/``, which Repo would report as
  leaving the repo;
- every other top-level name (weights, ``tokenizer.json``, vocab files, ...) becomes a
  zero-byte placeholder, so presence checks see the real listing. A placeholder is never
  one of the files repolint parses: those are always downloaded (see ``plan_files``);
- except ``*.safetensors``: their headers are fetched by HTTP range requests (the 8-byte
  length, then exactly the header; never the tensor data) and each placeholder holds
  its header followed by a hole up to the file's real size (a sparse file), so
  ``repolint.safetensors`` reads it as it reads a local checkpoint. The header bytes are
  kept in the huggingface_hub cache (``<repo>/repolint/safetensors-headers/<commit>/``) for
  offline runs.

Only top-level names are mirrored: the rules look at nothing below the root.

huggingface_hub is imported lazily, by ``fetch_hub_repo`` only: linting a local folder never
imports it. Every failure is a ``SourceError`` with a one-line message.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from repolint.repo import CONFIG_FILES

SCHEME = "hf://"
REPO_TYPES = ("model",)  # the only accepted --repo-type, for now
DEFAULT_TIMEOUT = 10.0  # seconds, when neither the parameter nor HF_HUB_ETAG_TIMEOUT says otherwise

# Always downloaded, whatever their size: what repolint reads (or may read) as text.
ALWAYS_NAMES = frozenset(CONFIG_FILES) | {"README.md", "repolint.toml", "pyproject.toml"}
ALWAYS_SUFFIXES = (".py", ".safetensors.index.json", ".bin.index.json")
# Other top-level JSON is downloaded when small, except the big tokenizer files rules only
# check the presence of.
SMALL_JSON_LIMIT = 1024 * 1024
SKIP_JSON = frozenset({"tokenizer.json", "vocab.json"})
# Never downloaded, whatever the rules above say (a second lock on the weights).
WEIGHT_SUFFIXES = (
    ".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ggml", ".onnx", ".onnx_data", ".msgpack",
    ".h5", ".ckpt", ".pkl", ".pickle", ".npz", ".npy", ".tflite", ".ot", ".keras", ".nemo",
)

_NAME_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$")  # as the Hub's repo ids
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_SHORT_SHA_RE = re.compile(r"^[0-9a-f]{7,39}$")
_TYPE_PREFIXES = {"models": "model", "datasets": "dataset", "spaces": "space", "kernels": "kernel"}


class SourceError(Exception):
    """A repo that cannot be fetched. ``str(exc)`` is one line, ready for ``repolint: error: ...``."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


# -- specs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubSpec:
    repo_id: str  # owner/name
    revision: str | None  # None: the default branch
    text: str  # as the user wrote it

    def __str__(self) -> str:
        return self.text


def is_hub_spec(s: str) -> bool:
    """True for anything that starts with ``hf://``; ``parse_hub_spec`` then validates it, so a
    malformed spec is an error about the spec, not a missing local folder."""
    return isinstance(s, str) and s.startswith(SCHEME)


def parse_hub_spec(s: str) -> HubSpec:
    """``hf://owner/name``, ``hf://owner/name@rev``, ``hf://models/owner/name[@rev]``."""
    if not is_hub_spec(s):
        raise SourceError(f"{s}: not a Hub repo (expected hf://owner/name[@revision])")
    body = s[len(SCHEME):]
    body, at, revision = body.partition("@")
    if at and not revision.strip():
        raise SourceError(f"{s}: empty revision after '@'")
    parts = body.strip("/").split("/")
    if len(parts) == 3 and parts[0] in _TYPE_PREFIXES:
        kind = _TYPE_PREFIXES[parts[0]]
        if kind not in REPO_TYPES:
            raise SourceError(f"{s}: {kind} repos are not supported; repolint lints model repos (hf://owner/name)")
        parts = parts[1:]
    if len(parts) != 2 or not all(_NAME_RE.match(p) and ".." not in p and "--" not in p for p in parts):
        raise SourceError(f"{s}: expected hf://owner/name[@revision]")
    return HubSpec(repo_id="/".join(parts), revision=revision if at else None, text=s)


# -- which files ---------------------------------------------------------------------------


def plan_files(listing: Mapping[str, int | None]) -> tuple[list[str], list[str]]:
    """Split a repo listing (path -> size in bytes, None when unknown) into the top-level files to
    download and the top-level names to create as empty placeholders. Deterministic, so an
    offline run picks the same files from the cached listing as the online run did."""
    download, placeholders = [], []
    for name in sorted(listing):
        if "/" in name or not _safe_file_name(name):
            continue
        size = listing[name]
        wanted = name in ALWAYS_NAMES or name.endswith(ALWAYS_SUFFIXES) or (
            name.endswith(".json") and name not in SKIP_JSON and size is not None and size <= SMALL_JSON_LIMIT
        )
        if wanted and not name.lower().endswith(WEIGHT_SUFFIXES):
            download.append(name)
        else:
            placeholders.append(name)
    # the invariant the folder view relies on: nothing repolint parses is ever a placeholder
    assert not any(n in ALWAYS_NAMES or n.endswith(".py") for n in placeholders), placeholders
    return download, placeholders


def _safe_file_name(name: str) -> bool:
    return name not in ("", ".", "..") and not any(c in name for c in "\\\x00")


# -- the fetched repo ----------------------------------------------------------------------


class FetchedRepo:
    """A temporary folder standing for a Hub repo at one commit. ``close()`` (or leaving the
    ``with`` block) deletes it; so does garbage collection or interpreter exit, as a fallback.
    Keep it open until the report is rendered: reporters may read source lines."""

    def __init__(self, path: Path, *, repo_id: str, revision: str, commit: str, offline: bool,
                 downloaded: Iterable[str], placeholders: Iterable[str], header_bytes: int = 0):
        self.path = Path(path)
        self.repo_id = repo_id
        self.revision = revision  # as requested ("main" when none was)
        self.commit = commit  # the full commit sha linted
        self.offline = offline  # served from the local cache only
        self.downloaded = tuple(downloaded)
        self.placeholders = tuple(placeholders)
        self.header_bytes = header_bytes  # bytes of safetensors headers fetched over the network
        self.label = f"{SCHEME}{repo_id}@{commit[:12]}"
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)

    def close(self) -> None:
        self._finalizer()

    def detach(self) -> Path:
        """Hand the folder over to the caller, who deletes it (``repolint scan`` lints it in
        another process): neither ``close()`` nor garbage collection removes it any more."""
        self._finalizer.detach()
        return self.path

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __enter__(self) -> "FetchedRepo":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FetchedRepo({self.label!r}, path={str(self.path)!r})"


# -- fetching ------------------------------------------------------------------------------


def fetch_hub_repo(
    spec: str | HubSpec,
    *,
    repo_type: str = "model",
    cache_dir: str | os.PathLike | None = None,
    token: str | bool | None = None,
    timeout: float | None = None,
    endpoint: str | None = None,
    offline: bool | None = None,
    tmp_dir: str | os.PathLike | None = None,
) -> FetchedRepo:
    """Fetch what repolint needs of a Hub model repo and return a folder view of it.

    ``cache_dir``: the huggingface_hub cache (default: HF_HUB_CACHE, else HF_HOME/hub, else
    huggingface_hub's default). ``token``: default HF_TOKEN / the saved login. ``timeout``:
    seconds for each metadata call and download (default: HF_HUB_ETAG_TIMEOUT, else 10).
    ``endpoint``: default HF_ENDPOINT. ``offline``: default HF_HUB_OFFLINE; offline, only the
    cache is used (it must hold a previous run of the same revision). ``tmp_dir``: where the
    folder view is created (default: the system temp dir). Raises SourceError.
    """
    if repo_type not in REPO_TYPES:
        raise SourceError(f"--repo-type {repo_type}: only model repos can be linted for now")
    spec = spec if isinstance(spec, HubSpec) else parse_hub_spec(spec)
    seconds = _resolve_timeout(timeout)
    hub = _import_hub()
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or hub.constants.ENDPOINT).rstrip("/")
    cache_dir = str(cache_dir or os.environ.get("HF_HUB_CACHE")
                    or (os.path.join(os.environ["HF_HOME"], "hub") if os.environ.get("HF_HOME") else None)
                    or hub.constants.HF_HUB_CACHE)
    if offline is None:
        offline = _env_true("HF_HUB_OFFLINE") or _env_true("TRANSFORMERS_OFFLINE") or hub.constants.is_offline_mode()
    storage = os.path.join(os.path.expanduser(cache_dir), "models--" + spec.repo_id.replace("/", "--"))
    ctx = _Ctx(spec=spec, endpoint=endpoint, timeout=seconds, token=token, storage=storage)

    try:
        with _quiet_hub(), _download_timeout(hub, seconds if timeout is not None else None):
            if offline:
                commit, listing = _resolve_offline(hub, spec, cache_dir, storage)
            else:
                commit, listing = _resolve_online(hub, spec, endpoint, token, seconds)
            download, placeholders = plan_files(listing)
            # online, always: it also caches the listing (trees/<commit>.json) for offline runs
            snapshot = "" if offline and not download else hub.snapshot_download(
                spec.repo_id,
                revision=commit,
                cache_dir=cache_dir,
                endpoint=endpoint,
                token=token,
                etag_timeout=seconds,
                local_files_only=offline,
                allow_patterns=[glob.escape(n) for n in download],
                tqdm_class=_quiet_tqdm(hub),
            )
            if not offline:
                _remember_ref(storage, spec.revision or "main", commit)
            heads, fetched_bytes = _safetensors_heads(hub, ctx, commit, listing, placeholders, offline)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - mapped to one line, or re-raised when not ours to explain
        message = _explain(hub, exc, ctx, offline)
        if message is None:
            raise
        raise SourceError(message) from exc

    return _build_view(spec, snapshot, commit, download, placeholders, offline, tmp_dir, heads, fetched_bytes)


@dataclass
class _Ctx:
    spec: HubSpec
    endpoint: str
    timeout: float
    token: str | bool | None
    storage: str


def _resolve_online(hub, spec: HubSpec, endpoint: str, token, seconds: float) -> tuple[str, dict]:
    """One timed metadata call: the commit the revision points to, and the file listing."""
    api = hub.HfApi(endpoint=endpoint, token=token)
    info = api.model_info(spec.repo_id, revision=spec.revision, files_metadata=True, timeout=seconds)
    if not info.sha or not _SHA_RE.match(info.sha):
        raise SourceError(f"{spec}: the Hub at {endpoint} returned no commit id for the revision")
    listing = {s.rfilename: s.size for s in (info.siblings or [])}
    return info.sha, listing


def _resolve_offline(hub, spec: HubSpec, cache_dir: str, storage: str) -> tuple[str, dict]:
    """The commit and listing a previous online run left in the cache."""
    not_cached = SourceError(
        f"{spec}: not in the local cache and HF_HUB_OFFLINE is set; run repolint once online first"
    )
    revision = spec.revision or "main"
    commit = None
    if _SHA_RE.match(revision):
        commit = revision
    elif _SHORT_SHA_RE.match(revision):  # a short sha: a unique cached snapshot it starts
        try:
            found = [d for d in os.listdir(os.path.join(storage, "snapshots")) if d.startswith(revision)]
        except OSError:
            found = []
        commit = found[0] if len(found) == 1 else None
    if commit is None:
        try:
            commit = hub.HfApi().resolve_revision(
                spec.repo_id, revision=revision, cache_dir=cache_dir, local_files_only=True
            ).resolved
        except hub.errors.RevisionResolutionError:
            raise not_cached from None
    try:
        files = hub.get_cached_repo_tree(spec.repo_id, revision=commit, cache_dir=cache_dir)
    except hub.errors.CachedRepoTreeNotFoundError:
        raise not_cached from None
    return commit, {f.path: f.size for f in files}


def _remember_ref(storage: str, revision: str, commit: str) -> None:
    """Record revision -> commit in the cache's refs/ (as huggingface_hub does) so an offline
    run can resolve the branch. Best effort."""
    if revision == commit:
        return
    path = os.path.join(storage, "refs", *revision.split("/"))
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read().strip() == commit:
                return
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(commit)
        os.replace(tmp, path)
    except OSError:
        pass


def _build_view(spec, snapshot: str, commit: str, download, placeholders, offline, tmp_dir,
                heads: dict | None = None, header_bytes: int = 0) -> FetchedRepo:
    try:
        root = tempfile.mkdtemp(prefix="repolint-hf-", dir=tmp_dir)
    except OSError as exc:
        raise SourceError(f"{spec}: cannot create a temporary folder: {exc.strerror or exc}") from None
    fetched = FetchedRepo(Path(root), repo_id=spec.repo_id, revision=spec.revision or "main", commit=commit,
                          offline=offline, downloaded=download, placeholders=placeholders, header_bytes=header_bytes)
    heads = heads or {}
    try:
        for name in download:
            src = os.path.join(snapshot, name)
            if not os.path.isfile(src):
                raise SourceError(f"{spec}: {name} is listed at {commit[:12]} but was not downloaded")
            shutil.copyfile(src, os.path.join(root, name))  # follows the cache's symlink: a real file
        for name in placeholders:
            try:
                with open(os.path.join(root, name), "xb") as fh:
                    if name in heads:  # a safetensors header, then a hole up to the real size
                        fh.write(heads[name][0])
                        fh.truncate(heads[name][1])
            except FileExistsError:  # a case-insensitive file system: the downloaded file wins
                pass
            except OSError:  # a name this platform cannot hold; it only mattered for presence checks
                pass
    except SourceError:
        fetched.close()
        raise
    except OSError as exc:
        fetched.close()
        raise SourceError(f"{spec}: cannot write the temporary folder {root}: {exc.strerror or exc}") from None
    except BaseException:
        fetched.close()
        raise
    return fetched


# -- safetensors headers by range request --------------------------------------------------

HEAD_MAX = 100_000_000  # safetensors' own header limit: a larger claim is never fetched


def _safetensors_heads(hub, ctx: _Ctx, commit: str, listing: Mapping[str, int | None], placeholders,
                       offline: bool) -> tuple[dict[str, tuple[bytes, int]], int]:
    """{name: (the first 8 + N bytes, the file's size)} for every top-level *.safetensors,
    and the number of bytes fetched. Online: ranged GETs (cached); offline: the cache."""
    names = [n for n in placeholders if n.endswith(".safetensors")]
    heads, fetched = {}, 0
    folder = os.path.join(ctx.storage, "repolint", "safetensors-headers", commit)
    for name in names:
        cached = os.path.join(folder, name)
        size = listing.get(name)
        if size == 0:
            heads[name] = (b"", 0)  # an empty file on the Hub: nothing to fetch (RL801 reports it)
            continue
        try:
            with open(cached, "rb") as fh:
                prefix = fh.read(HEAD_MAX + 8)
        except OSError:
            prefix = None
        if prefix is None:
            if offline:
                raise SourceError(f"{ctx.spec}: not in the local cache and HF_HUB_OFFLINE is set; run repolint once online first")
            prefix, total, n = _fetch_head(hub, ctx, commit, name)
            fetched += n
            size = size if size is not None else total
            _store(cached, prefix)
        heads[name] = (prefix, max(size or 0, len(prefix)))
    return heads, fetched


def _fetch_head(hub, ctx: _Ctx, commit: str, name: str) -> tuple[bytes, int | None, int]:
    """(the 8 + N header bytes, or fewer for a file that is not a valid safetensors; the file's
    size from Content-Range; bytes received). Two requests: the length, then exactly the
    header, so not one byte of tensor data travels."""
    first, total = _ranged_get(hub, ctx, commit, name, 0, 8)
    if len(first) < 8:
        return first, total, len(first)
    want = 8 + int.from_bytes(first, "little")
    if want > HEAD_MAX + 8 or (total is not None and want > total):
        return first, total, len(first)  # "header too large" / truncated: the reader reports it
    rest, _ = _ranged_get(hub, ctx, commit, name, 8, want - 8)
    return first + rest, total, 8 + len(rest)


def _ranged_get(hub, ctx: _Ctx, commit: str, name: str, start: int, length: int) -> tuple[bytes, int | None]:
    """At most ``length`` bytes from ``start``, whatever the server sends (a server that ignores
    Range is cut off), and the total size from Content-Range."""
    url = hub.hf_hub_url(ctx.spec.repo_id, name, revision=commit, endpoint=ctx.endpoint)
    headers = {**hub.build_hf_headers(token=ctx.token), "Range": f"bytes={start}-{start + length - 1}"}
    chunks, got = [], 0
    with hub.get_session().stream("GET", url, headers=headers, timeout=ctx.timeout, follow_redirects=True) as response:
        if response.status_code >= 400:
            response.read()
            hub.hf_raise_for_status(response)
        skip = start if response.status_code == 200 else 0  # no Range support: the body starts at 0
        for chunk in response.iter_bytes():
            if skip:
                cut = min(skip, len(chunk))
                chunk, skip = chunk[cut:], skip - cut
            chunks.append(chunk[: length - got])
            got += len(chunks[-1])
            if got >= length:
                break
        match = re.match(r"bytes \d+-\d+/(\d+)", response.headers.get("content-range", ""))
    return b"".join(chunks), int(match.group(1)) if match else None


def _store(path: str, data: bytes) -> None:
    """Best effort: a header for offline runs."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        pass


# -- huggingface_hub plumbing --------------------------------------------------------------


class _Hub:
    """The few huggingface_hub names used here, imported on first use."""

    def __init__(self):
        import huggingface_hub
        from huggingface_hub import constants, errors

        self.constants = constants
        self.errors = errors
        self.HfApi = huggingface_hub.HfApi
        self.snapshot_download = huggingface_hub.snapshot_download
        self.get_cached_repo_tree = huggingface_hub.get_cached_repo_tree
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        self.hf_hub_url = huggingface_hub.hf_hub_url
        self.get_session = get_session
        self.build_hf_headers = build_hf_headers
        self.hf_raise_for_status = hf_raise_for_status
        from huggingface_hub.utils import OfflineModeIsEnabled
        from huggingface_hub.utils.tqdm import tqdm

        self.OfflineModeIsEnabled = OfflineModeIsEnabled
        self.tqdm = tqdm
        self.transport_errors, self.timeout_errors = _network_error_types()


def _import_hub() -> _Hub:
    try:
        return _Hub()
    except (ImportError, AttributeError) as exc:
        raise SourceError(f"hf:// repos need huggingface_hub >= 2.4 ({exc})") from None
    except ValueError as exc:  # huggingface_hub parses its environment at import time
        bad = [v for v in ("HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT") if not _is_int(os.environ.get(v))]
        if bad:
            raise SourceError(f"{bad[0]}={os.environ[bad[0]]!r}: huggingface_hub wants whole seconds") from None
        raise SourceError(f"cannot load huggingface_hub: {exc}") from None


def _network_error_types() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """Connection and timeout exception classes of whichever HTTP clients are installed."""
    transport: list[type] = [ConnectionError, TimeoutError]
    timeouts: list[type] = [TimeoutError]
    for module, base, timeout in (("httpx2", "TransportError", "TimeoutException"),
                                  ("httpx", "TransportError", "TimeoutException"),
                                  ("requests", "ConnectionError", "Timeout")):
        try:
            mod = __import__(module)
        except ImportError:
            continue
        transport += [getattr(mod, base)] if hasattr(mod, base) else []
        timeouts += [getattr(mod, timeout)] if hasattr(mod, timeout) else []
    return tuple(transport), tuple(timeouts)


@contextlib.contextmanager
def _quiet_hub():
    """huggingface_hub logs retries and "no files matched" as warnings on stderr; repolint
    reports errors itself."""
    logger = logging.getLogger("huggingface_hub")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _download_timeout(hub: _Hub, seconds: float | None):
    """hf_hub_download's GET reads constants.HF_HUB_DOWNLOAD_TIMEOUT at call time: honour an
    explicit ``timeout`` there too."""
    if seconds is None:
        yield
        return
    old = hub.constants.HF_HUB_DOWNLOAD_TIMEOUT
    hub.constants.HF_HUB_DOWNLOAD_TIMEOUT = seconds
    try:
        yield
    finally:
        hub.constants.HF_HUB_DOWNLOAD_TIMEOUT = old


_QUIET_TQDM: list = []  # the one class, made on first use


def _quiet_tqdm(hub: _Hub):
    """A progress bar class that shows nothing. One class per process: a class made per call
    (and the monitor thread tqdm starts for each) stayed alive, ~2 KB a repo in a long scan."""
    if not _QUIET_TQDM:
        class QuietTqdm(hub.tqdm):
            monitor_interval = 0  # no monitor thread for bars that are never drawn

            def __init__(self, *args, **kwargs):
                kwargs["disable"] = True
                super().__init__(*args, **kwargs)

        _QUIET_TQDM.append(QuietTqdm)
    return _QUIET_TQDM[0]


def _resolve_timeout(timeout: float | None) -> float:
    if timeout is not None:
        value, where = timeout, "timeout"
    else:
        raw = os.environ.get("HF_HUB_ETAG_TIMEOUT")
        if not raw:
            return DEFAULT_TIMEOUT
        where = f"HF_HUB_ETAG_TIMEOUT={raw!r}"
        try:
            value = float(raw)
        except ValueError:
            raise SourceError(f"{where} is not a number of seconds") from None
    if not value > 0:
        raise SourceError(f"{where}: the timeout must be a positive number of seconds")
    return float(value)


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def _is_int(value: str | None) -> bool:
    if value is None:
        return True
    try:
        int(value)
    except ValueError:
        return False
    return True


def _chain(exc: BaseException) -> list[BaseException]:
    seen, out = set(), []
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def _explain(hub: _Hub, exc: BaseException, ctx: _Ctx, offline: bool) -> str | None:
    """One line for a fetch failure, or None for an exception that is not about fetching."""
    e = hub.errors
    spec, where = ctx.spec, ctx.endpoint
    has_token = bool(ctx.token) or bool(os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN"))
    chain = _chain(exc)

    def first(*types):
        return next((x for x in chain if isinstance(x, types)), None)

    if (x := first(e.GatedRepoError)) is not None:  # before RepositoryNotFoundError: it is a subclass
        if _sent_token(x, has_token):
            return f"{spec}: gated repo, and the token in use has no access to it (accept its conditions on the Hub)"
        return f"{spec}: gated repo; accept its conditions on the Hub, then set HF_TOKEN (or run `hf auth login`)"
    if (x := first(e.RepositoryNotFoundError)) is not None:
        hint = "" if _sent_token(x, has_token) else " (if it is private, set HF_TOKEN)"
        return f"{spec}: repository not found on {where}{hint}"
    if first(e.RevisionNotFoundError):
        return f"{spec}: revision {spec.revision or 'main'!r} not found in {spec.repo_id}"
    if first(e.DisabledRepoError):
        return f"{spec}: this repository has been disabled on the Hub"
    if (x := first(e.RemoteEntryNotFoundError)) is not None:
        return f"{spec}: a listed file could not be downloaded ({_url_of(x) or 'entry not found'})"
    if offline or first(hub.OfflineModeIsEnabled):
        if first(e.IncompleteSnapshotError):
            return f"{spec}: the cached copy is incomplete and HF_HUB_OFFLINE is set; run repolint once online first"
        if first(e.LocalEntryNotFoundError, e.CachedRepoTreeNotFoundError, e.RevisionResolutionError,
                 hub.OfflineModeIsEnabled):
            return f"{spec}: not in the local cache and HF_HUB_OFFLINE is set; run repolint once online first"
    if first(*hub.timeout_errors):
        return f"{spec}: no answer from {where} within {ctx.timeout:g}s (HF_HUB_ETAG_TIMEOUT sets the timeout){_cache_hint(ctx)}"
    if (x := first(*hub.transport_errors)) is not None:
        reason = str(x).splitlines()[0] if str(x) else type(x).__name__
        return f"{spec}: cannot reach {where} ({reason}){_cache_hint(ctx)}"
    if (x := first(e.HfHubHTTPError)) is not None:
        status = getattr(getattr(x, "response", None), "status_code", None)
        if status == 401:
            return f"{spec}: {where} rejected the credentials (HTTP 401); check HF_TOKEN"
        if status == 403:
            return f"{spec}: access denied by {where} (HTTP 403); check that the token may read this repo"
        if status == 429:
            return f"{spec}: rate-limited by {where} (HTTP 429); retry later or set HF_TOKEN"
        if status is not None and status >= 500:
            return f"{spec}: {where} is unavailable (HTTP {status}); retry later{_cache_hint(ctx)}"
        return f"{spec}: {where} answered HTTP {status}: {str(x).strip().splitlines()[0] if str(x).strip() else ''}"
    if first(e.FileMetadataError):
        return f"{spec}: {where} does not answer like a Hugging Face Hub (check HF_ENDPOINT and proxies)"
    if first(e.LocalEntryNotFoundError):
        return f"{spec}: cannot download from {where} and nothing usable is cached{_cache_hint(ctx)}"
    return None


def _sent_token(exc, default: bool) -> bool:
    """Whether the failed request carried a token (huggingface_hub may or may not have sent
    one, whatever the environment says)."""
    try:
        return "authorization" in exc.response.request.headers
    except Exception:  # noqa: BLE001 - no request attached
        return default


def _url_of(exc) -> str | None:
    response = getattr(exc, "response", None)
    return str(getattr(response, "url", "")) or None


def _cache_hint(ctx: _Ctx) -> str:
    if os.path.isdir(os.path.join(ctx.storage, "snapshots")):
        return "; HF_HUB_OFFLINE=1 lints the cached copy"
    return ""
