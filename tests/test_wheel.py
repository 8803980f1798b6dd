"""The release artefacts (not the source tree): the sdist and the wheel hold LICENSE, rules/,
schemas/ and every subpackage; a wheel built from the sdist is the same wheel; the installed
wheel works from any directory.

They are built by setuptools' PEP 517 backend (the hooks `python -m build` calls, without
its isolated environment: fast, and no index needed) from a copy of what a release builds
from, so the working tree is not written to (RELEASING.md has the release procedure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from helpers import copy_project, write_repo

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("pyproject.toml", "README.md", "LICENSE")
PACKAGES = ("repolint", "rules", "schemas")
BUILD = (
    "import sys\n"
    "from setuptools import build_meta\n"
    "out, kinds = sys.argv[1], sys.argv[2:]  # the backend rewrites sys.argv\n"
    "names = [build_meta.build_sdist(out)] if 'sdist' in kinds else []\n"
    "names += [build_meta.build_wheel(out)] if 'wheel' in kinds else []\n"
    "print('built:', ' '.join(names))\n"  # the backend logs to stdout too
)


def _build(src: Path, out: Path, *kinds: str) -> list[Path]:
    r = subprocess.run([sys.executable, "-c", BUILD, str(out), *kinds], cwd=src, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail(f"building {kinds} in {src} failed:\n{r.stderr[-3000:]}")
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("built: ")]
    return [out / name for name in line.split()[1:]]


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """(sdist, wheel) built from a copy of the project's release files."""
    base = tmp_path_factory.mktemp("dists")
    src = copy_project(base / "src", SHIPPED, PACKAGES)
    sdist, wheel = _build(src, base / "dist", "sdist", "wheel")
    return sdist, wheel


@pytest.fixture(scope="module")
def wheel_site(dists, tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    inst = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(site), str(dists[1])],
        capture_output=True, text=True, timeout=600,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    return site


def _schema_names() -> set[str]:
    return {p.name for p in (ROOT / "schemas").glob("*.schema.json")}


def test_sdist_holds_license_schemas_and_packages(dists):
    from repolint import __version__

    sdist, _ = dists
    assert sdist.name == f"repolint-{__version__}.tar.gz"
    top = f"repolint-{__version__}/"
    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
        license_text = tar.extractfile(top + "LICENSE").read()
    assert license_text == (ROOT / "LICENSE").read_bytes()
    assert {top + "PKG-INFO", top + "pyproject.toml", top + "README.md"} <= names
    assert {top + "schemas/" + n for n in _schema_names()} <= names
    assert {top + "rules/config.py", top + "repolint/lsp/server.py", top + "repolint/reporters/json.py"} <= names


def test_wheel_holds_license_schemas_and_packages(dists):
    from repolint import __version__

    _, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = f"repolint-{__version__}.dist-info/"
        licenses = [n for n in names if n.startswith(dist_info) and n.rsplit("/", 1)[-1] == "LICENSE"]
        assert licenses, sorted(n for n in names if n.startswith(dist_info))
        assert zf.read(licenses[0]) == (ROOT / "LICENSE").read_bytes()
        metadata = zf.read(dist_info + "METADATA").decode("utf-8")
    assert f"\nVersion: {__version__}\n" in metadata  # pyproject's version == repolint.__version__
    assert "Apache-2.0" in metadata
    assert {"repolint/schemas/" + n for n in _schema_names()} <= names
    assert "repolint/schemas/transformers-weights.json.gz" in names
    assert {f"repolint/schemas/{p.name}" for p in (ROOT / "schemas").glob("config-read-only-*.json")} <= names
    assert any(n.startswith("repolint/schemas/fields/") and n.endswith("/bert.json") for n in names)
    assert {"repolint/rules/config.py", "repolint/lsp/server.py", "repolint/lsp/cli.py"} <= names


def test_wheel_from_the_sdist_is_the_same(dists, tmp_path):
    """What pip builds from the sdist (an install from source) has the same files."""
    sdist, wheel = dists
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    (rebuilt,) = _build(next(p for p in tmp_path.iterdir() if p.is_dir()), tmp_path / "dist", "wheel")
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(rebuilt) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())


def test_installed_wheel_runs_from_another_directory(wheel_site, tmp_path):
    write_repo(tmp_path / "m", {"config.json": '{\n  "model_type": "lama"\n}\n'})
    env = {**os.environ, "PYTHONPATH": str(wheel_site)}
    probe = subprocess.run(
        [sys.executable, "-c", "import repolint, repolint.rules, repolint.schemas; print(repolint.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().startswith(str(wheel_site))
    r = subprocess.run([sys.executable, "-m", "repolint", "check", "m"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert "RL201" in r.stdout
    # the schemas an editor maps are the installed files, ids and all
    schema = json.loads((wheel_site / "repolint" / "schemas" / "processor_config.schema.json").read_text(encoding="utf-8"))
    assert schema["$id"].startswith("https://")
    r = subprocess.run([sys.executable, "-m", "repolint", "server", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "Language Server Protocol" in r.stdout, r.stderr
