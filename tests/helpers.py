"""Shared test helpers: write an example repo, lint it with the real engine."""

from __future__ import annotations

import os
from pathlib import Path

from repolint.config import discover
from repolint.engine import run
from repolint.knowledge import DEFAULT_TARGET, Knowledge
from repolint.repo import MAX_FILE_SIZE, Repo


def write_repo(root: Path, files: dict) -> Path:
    """file name -> text | bytes. "@symlink:TARGET" makes a symlink; "dir/x" with "" makes a dir."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content.startswith("@symlink:"):
            os.symlink(content[len("@symlink:"):], path)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def copy_project(dest: Path, files=(), folders=()) -> Path:
    """Copy files and folders of the project (this checkout) into ``dest``, without caches
    and build metadata: a stand-in for a clean checkout (a hook repo, an action checkout,
    the source of a release build)."""
    import shutil

    root = Path(__file__).resolve().parent.parent
    dest.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copy2(root / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in folders:
        shutil.copytree(root / name, dest / name, ignore=ignore)
    return dest


def lint(root: Path, select=None, targets=(), ignore=()):
    settings = discover(root)
    if select is not None:
        settings.select = list(select)
    settings.ignore = [*settings.ignore, *ignore]
    settings.resolve()
    knowledge = [Knowledge.for_target(t) for t in (targets or settings.targets or [DEFAULT_TARGET])]
    repo = Repo(root, label=".", max_file_size=settings.max_file_size or MAX_FILE_SIZE)
    return run(repo, settings, knowledge).diagnostics


def oracle_pythons(default_extra=(), modules=("transformers", "torch")) -> list[tuple[str, str]]:
    """(interpreter, transformers version) of each oracle with transformers and torch (or the
    ``modules`` given: configs load without torch): this interpreter, then
    REPOLINT_ORACLE_PYTHONS (colon-separated; ``default_extra`` when unset). One interpreter per
    version."""
    import subprocess
    import sys

    found: list[tuple[str, str]] = []
    extra = [p for p in os.environ.get("REPOLINT_ORACLE_PYTHONS", "").split(":") if p] or list(default_extra)
    for python in [sys.executable, *extra]:
        r = subprocess.run([python, "-c", f"import {', '.join(modules)}; print(transformers.__version__)"],
                           capture_output=True, text=True, timeout=300)
        version = r.stdout.strip() if r.returncode == 0 else None
        if version and version not in [v for _, v in found]:
            found.append((python, version))
    return found


def local_oracle_pythons(modules=("transformers", "torch")) -> list[tuple[str, str]]:
    """oracle_pythons with the 4.57 virtualenv that .ci/run builds (.venv457) as the default extra."""
    local = Path(__file__).resolve().parent.parent / ".venv457" / "bin" / "python"
    return oracle_pythons([str(local)] if local.exists() else [], modules=modules)


def target_of(version: str) -> str:
    """The repolint target of an oracle's transformers version ("4.57.6" -> "4.57")."""
    return ".".join(version.split(".")[:2])


def run_oracle(python: str, jobs: list[dict], cwd: Path) -> list[dict]:
    """Load ``jobs`` with tests/oracle.py under ``python`` (offline, remote code cached below
    ``cwd``): one outcome a job."""
    import json
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(HF_HUB_OFFLINE="1", HF_MODULES_CACHE=str(cwd / "modules"), TRANSFORMERS_VERBOSITY="error")
    r = subprocess.run([python, str(Path(__file__).resolve().parent / "oracle.py")], input=json.dumps(jobs),
                       capture_output=True, text=True, cwd=cwd, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])
