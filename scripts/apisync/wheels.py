"""Which transformers releases to scan, and their wheels in a local cache (never imported)."""

from __future__ import annotations

import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_SCRIPTS = str(Path(__file__).resolve().parents[1])
if _SCRIPTS not in sys.path:
    sys.path.insert(0, _SCRIPTS)

from sync_transformers import _available_versions, _is_final_release, _pip, _version_tuple  # noqa: E402

DEFAULT_WHEEL_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "repolint-sync", "wheels")
FIRST_MINOR = (4, 20)
LAST_MINOR = (5, 24)


def last_patches(available: list[str], first=FIRST_MINOR, last=LAST_MINOR) -> list[str]:
    """The newest final patch of every minor line in [first, last], oldest first."""
    newest: dict[tuple[int, int], str] = {}
    for v in available:
        if not _is_final_release(v):
            continue
        key = _version_tuple(v)[:2]
        if first <= key <= last and (key not in newest or _version_tuple(v) > _version_tuple(newest[key])):
            newest[key] = v
    return [newest[k] for k in sorted(newest)]


def releases_to_scan(first=FIRST_MINOR, last=LAST_MINOR) -> list[str]:
    return last_patches(_available_versions(), first, last)


def wheel_path(cache_dir: Path, version: str) -> Path | None:
    found = sorted(cache_dir.glob(f"transformers-{version}-*.whl"))
    return found[0] if found else None


def _download(version: str, cache_dir: Path) -> Path:
    have = wheel_path(cache_dir, version)
    if have is not None:
        return have
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        proc = _pip("download", f"transformers=={version}", "--no-deps", "--only-binary", ":all:", "-d", tmp, "-q")
        got = list(Path(tmp).glob("transformers-*.whl"))
        if proc.returncode != 0 or len(got) != 1:
            raise RuntimeError(f"pip download transformers=={version} failed: {proc.stderr[-500:]}")
        dest = cache_dir / got[0].name
        os.replace(got[0], dest)  # atomic: a half-written wheel never sits in the cache
        return dest


def ensure_wheels(versions: list[str], cache_dir: str | os.PathLike = DEFAULT_WHEEL_CACHE,
                  jobs: int = 4) -> dict[str, Path]:
    """version -> local wheel path; downloads what the cache lacks (kept for re-runs)."""
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    todo = [v for v in versions if wheel_path(cache, v) is None]
    if todo:
        print(f"  downloading {len(todo)} wheels into {cache}", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        paths = list(pool.map(lambda v: _download(v, cache), versions))
    return dict(zip(versions, paths))
