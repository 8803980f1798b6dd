"""Model-folder discovery (repolint/discover.py) through `repolint check`, and the same
folders for the pre-commit entry point: a monorepo with models at several depths, an
ignored folder, a virtualenv, hidden folders, excluded folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write_repo
from test_cli import repolint

CLEAN = '{\n  "model_type": "bert"\n}\n'
BROKEN = '{\n  "model_type": "lama"\n}\n'


def _monorepo(root: Path) -> Path:
    write_repo(root, {
        ".git/HEAD": "ref: refs/heads/main\n",  # a repository root, for .gitignore and settings
        ".gitignore": "# build output\n/build/\n*.tmp/\ncache-*\n!cache-keep\n",
        "README.md": "# models\n",
        "setup.py": "pass\n",
        "src/app.py": "pass\n",
        "models/a/config.json": CLEAN,
        "models/a/tokenizer/preprocessor_config.json": "{}",
        "models/b/sub/config.json": BROKEN,
        "models/b/sub/modeling_x.py": "pass\n",
        "models/c/.gitignore": "drafts/\n",
        "models/c/preprocessor_config.json": "{}",
        "models/c/drafts/config.json": BROKEN,  # ignored by models/c/.gitignore
        "build/m/config.json": BROKEN,  # ignored by the root .gitignore
        "x.tmp/config.json": BROKEN,  # ignored (*.tmp/)
        "cache-1/config.json": BROKEN,  # ignored (cache-*)
        "cache-keep/config.json": CLEAN,  # re-included (!cache-keep)
        ".hidden/config.json": BROKEN,
        "env/pyvenv.cfg": "home = /usr/bin\n",
        "env/lib/site-packages/pkg/config.json": BROKEN,
        "node_modules/pkg/config.json": BROKEN,
        "models/a/__pycache__/config.json": BROKEN,
        "vendor/third/config.json": BROKEN,
    })
    os.symlink("..", root / "models" / "loop")  # a link loop is never followed
    return root


EXPECTED = ["cache-keep", "models/a", "models/a/tokenizer", "models/b/sub", "models/c", "vendor/third"]


def _show(tmp_path, *args):
    r = repolint("check", *args, "--show-files", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_check_without_path_lints_every_model_folder(tmp_path):
    _monorepo(tmp_path)
    assert _show(tmp_path) == EXPECTED
    assert _show(tmp_path, ".") == EXPECTED
    r = repolint("check", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1
    assert sorted({(d["repo"], d["code"]) for d in json.loads(r.stdout)}) == [("models/b/sub", "RL201"), ("vendor/third", "RL201")]


def test_paths_below_and_files(tmp_path):
    _monorepo(tmp_path)
    assert _show(tmp_path, "models") == ["models/a", "models/a/tokenizer", "models/b/sub", "models/c"]
    assert _show(tmp_path / "models", ".") == ["a", "a/tokenizer", "b/sub", "c"]
    # a file stands for its nearest model folder only; a file outside any model is dropped
    assert _show(tmp_path, "models/b/sub/modeling_x.py", "models/a/config.json", "src/app.py") == ["models/b/sub", "models/a"]
    # a folder named twice, or named and found below another, is linted once
    assert _show(tmp_path, "models/a", "models", "models/a/config.json") == ["models/a", "models/a/tokenizer", "models/b/sub", "models/c"]


def test_named_paths_are_linted_even_when_ignored(tmp_path):
    _monorepo(tmp_path)
    assert _show(tmp_path, "build/m") == ["build/m"]
    assert _show(tmp_path, "models/c/drafts") == ["models/c/drafts"]


def test_exclude_options_and_settings(tmp_path):
    _monorepo(tmp_path)
    assert _show(tmp_path, "--extend-exclude", "vendor", "--extend-exclude", "models/a/*") == [
        "cache-keep", "models/a", "models/b/sub", "models/c"]
    write_repo(tmp_path, {"repolint.toml": 'extend-exclude = ["models/b"]\nexclude = ["cache-*"]\n'})
    assert _show(tmp_path) == ["models/a", "models/a/tokenizer", "models/c", "vendor/third"]
    # --exclude replaces the configured exclude; extend-exclude stays
    assert _show(tmp_path, "--exclude", "vendor") == ["cache-keep", "models/a", "models/a/tokenizer", "models/c"]


def test_gitignore_can_be_turned_off(tmp_path):
    _monorepo(tmp_path)
    found = _show(tmp_path, "--no-respect-gitignore")
    assert {"build/m", "models/c/drafts", "x.tmp", "cache-1"} <= set(found)
    assert not any(f.startswith((".hidden", "env", "node_modules")) or "__pycache__" in f for f in found)
    write_repo(tmp_path, {"pyproject.toml": "[tool.repolint]\nrespect-gitignore = false\n"})
    assert _show(tmp_path) == found


def test_gitignore_above_the_named_path_applies(tmp_path):
    _monorepo(tmp_path)
    write_repo(tmp_path, {".gitignore": "models/b/\n"})
    assert _show(tmp_path / "models", ".") == ["a", "a/tokenizer", "c"]


def test_no_model_folder_is_a_notice_and_exit_zero(tmp_path):
    _monorepo(tmp_path)
    r = repolint("check", "src", "setup.py", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "")
    assert "repolint: warning: No model folders found under the given path(s)" in r.stderr
    assert repolint("check", "nope", cwd=tmp_path).returncode == 2


def test_pre_commit_entry_lints_the_same_folders_as_check(tmp_path):
    _monorepo(tmp_path)
    files = [str(p.relative_to(tmp_path)) for p in sorted(tmp_path.rglob("*"))
             if p.is_file() and not any(part.startswith(".") or part in ("build", "env", "node_modules", "__pycache__", "x.tmp", "cache-1", "drafts")
                                        for part in p.relative_to(tmp_path).parts)]
    r = subprocess.run([sys.executable, "-m", "repolint.precommit", "--format", "json", *files], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    hook = sorted({d["repo"] for d in json.loads(r.stdout)})
    cli = sorted({d["repo"] for d in json.loads(repolint("check", "--format", "json", cwd=tmp_path).stdout)})
    assert hook == cli == ["models/b/sub", "vendor/third"]
    r = subprocess.run([sys.executable, "-m", "repolint.precommit", *files], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    summaries = sorted(ln for ln in r.stdout.splitlines() if ln.startswith(("All checks passed", "Found")))
    assert summaries == sorted(f"All checks passed for {f}." for f in EXPECTED if f not in ("models/b/sub", "vendor/third")) \
        + ["Found 1 error in models/b/sub.", "Found 1 error in vendor/third."]


def test_walk_finds_folders_in_a_large_tree(tmp_path):
    # correctness on the benchmark's tree shape (scripts/bench_discover.py times it)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    try:
        from bench_discover import make_tree
    finally:
        sys.path.pop(0)
    from repolint.discover import walk

    expected = make_tree(tmp_path, files=2000, models=20)
    assert sorted(walk(str(tmp_path))) == sorted(str(tmp_path / rel) for rel in expected)


@pytest.mark.parametrize("line,path,is_dir,ignored", [
    ("*.log", "a/b/x.log", False, True),
    ("/top", "top", True, True),
    ("/top", "a/top", True, False),
    ("a/**/z", "a/b/c/z", True, True),
    ("**/z", "z", True, True),
    ("dir/", "dir", False, False),
    ("dir/", "dir", True, True),
    ("x[0-9]", "x5", True, True),
    ("x[!0-9]", "x5", True, False),
    ("\\#lit", "#lit", True, True),
])
def test_gitignore_patterns(tmp_path, line, path, is_dir, ignored):
    from repolint.discover import Ignore, parse_gitignore

    ig = Ignore(str(tmp_path), parse_gitignore(line + "\n", ""))
    assert ig.ignored(str(tmp_path / path), is_dir) is ignored
