"""The pre-commit hook: its `files:` pattern (.pre-commit-hooks.yaml), the entry point that
maps changed files to model folders (repolint/precommit.py), and the hook run by the real
`pre-commit` package, which builds its own virtualenv and pip-installs repolint into it.

The pre-commit runs need the network for that install (PyPI, as CI has). `try-repo` always
installs into a fresh store of its own (it ignores PRE_COMMIT_HOME), so each try-repo run
pays the install; the `pre-commit run` tests share one PRE_COMMIT_HOME per test session, so
they pay it once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import copy_project

ROOT = Path(__file__).resolve().parent.parent
BERT = ROOT / "tests" / "fixtures" / "valid" / "bert"
BROKEN = ROOT / "examples" / "broken-model"

# a custom-code call that repolint reports (RL605) if it lints the folder as a model repo
NOT_A_MODEL_PY = 'class Thing:\n    pass\n\n\nThing.register_for_auto_class("auto")\n'


def _hook() -> dict:
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "repolint"]
    return hook


# -- (a) the manifest and its files: pattern ----------------------------------------------------


def test_manifest_fields():
    hook = _hook()
    assert hook["language"] == "python"
    assert hook["entry"] == "repolint-pre-commit"
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True  # one run: each folder linted once
    scripts = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'repolint-pre-commit = "repolint.precommit:main"' in scripts


MUST_MATCH = [
    "config.json",
    "models/a/config.json",
    "generation_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "preprocessor_config.json",
    "processor_config.json",
    "video_preprocessor_config.json",
    "chat_template.json",
    "model.safetensors.index.json",
    "checkpoints/x/diffusion_pytorch_model.safetensors.index.json",
    "pytorch_model.bin.index.json",
    "repolint.toml",
    "models/a/pyproject.toml",
    "README.md",
    "models/a/README.md",
    "configuration_x.py",
    "modeling_x.py",
    "models/b/tokenization_x.py",
    "image_processing_x.py",
    "processing_x.py",
    "feature_extraction_x.py",
    "video_processing_x.py",
    "models/b/utils.py",  # a helper module custom code imports: any name
    "src/app.py",  # matched here; dropped by the entry point (no model folder above it)
]

MUST_NOT_MATCH = [
    "model.safetensors",
    "model-00001-of-00002.safetensors",
    "pytorch_model.bin",
    "tokenizer.json",
    "vocab.txt",
    "data/train.json",
    "images/x.png",
    "myconfig.json",
    "config.json.bak",
    "models/a/config.jsonl",
    "notes.md",
    "README.rst",
    "model.safetensors.index.json.tmp",
    "setup.cfg",
    "x.pyc",
]


@pytest.mark.parametrize("path", MUST_MATCH)
def test_files_pattern_matches(path):
    assert re.search(_hook()["files"], path), path


@pytest.mark.parametrize("path", MUST_NOT_MATCH)
def test_files_pattern_does_not_match(path):
    assert not re.search(_hook()["files"], path), path


def test_pattern_covers_every_config_file_repolint_reads():
    from repolint.repo import CONFIG_FILES

    pattern = _hook()["files"]
    for name in CONFIG_FILES:
        assert re.search(pattern, name) and re.search(pattern, f"models/x/{name}"), name


# -- the entry point: files -> model folders ----------------------------------------------------


def _tree(root: Path) -> Path:
    """models/a (clean bert), models/b (broken), models/a/tokenizer (its own model folder),
    src/ (plain project code), docs/README.md."""
    shutil.copytree(BERT, root / "models" / "a")
    shutil.copytree(BROKEN, root / "models" / "b")
    (root / "models" / "a" / "sub").mkdir()
    (root / "models" / "a" / "sub" / "helper.py").write_text("X = 1\n", encoding="utf-8")
    (root / "models" / "a" / "tokenizer").mkdir()
    for name in ("tokenizer_config.json", "tokenizer.json"):
        shutil.copy(BERT / name, root / "models" / "a" / "tokenizer")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(NOT_A_MODEL_PY, encoding="utf-8")
    (root / "setup.py").write_text(NOT_A_MODEL_PY, encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "README.md").write_text("# docs\n", encoding="utf-8")
    return root


def test_model_folders(tmp_path, monkeypatch):
    from repolint.precommit import model_folders

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    files = [
        "models/a/config.json",
        "models/b/config.json",
        "models/a/tokenizer_config.json",
        "models/a/sub/helper.py",  # nearest model folder above: models/a
        "./models/b/tokenizer_config.json",
        "models/a/tokenizer/tokenizer_config.json",  # a model folder of its own
        "src/app.py",  # no model folder: dropped
        "setup.py",
        "docs/README.md",
        "pyproject.toml",
        "models/b/modeling_custom.py",  # deleted / not there: still maps to its folder
    ]
    assert model_folders(files) == ["models/a", "models/b", os.path.join("models", "a", "tokenizer")]
    assert model_folders(["src/app.py", "docs/README.md"]) == []


def test_model_folder_at_repo_root(tmp_path, monkeypatch):
    from repolint.precommit import model_folders

    shutil.copytree(BERT, tmp_path, dirs_exist_ok=True)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "train.py").write_text("pass\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert model_folders(["config.json", "README.md", "scripts/train.py", "modeling_x.py"]) == ["."]


def _entry(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR", "REPOLINT_DEBUG")}
    return subprocess.run(
        [sys.executable, "-m", "repolint.precommit", *args],
        cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )


def test_entry_point_lints_each_folder_once(tmp_path):
    _tree(tmp_path)
    r = _entry(
        "--format", "concise",
        "models/a/config.json", "models/a/tokenizer_config.json", "models/a/sub/helper.py",
        "models/b/config.json", "models/b/tokenizer_config.json", "models/b/generation_config.json",
        "src/app.py", "setup.py",
        cwd=tmp_path,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    # one summary line per folder: each folder was linted exactly once
    assert [ln for ln in lines if ln.endswith(" models/a.")] == ["All checks passed for models/a."]
    assert len([ln for ln in lines if re.fullmatch(r"Found \d+ errors? in models/b\.", ln)]) == 1
    findings = [ln for ln in lines if re.match(r"models/b/\S+:\d+:\d+: RL\d+", ln)]
    assert len(findings) == len(set(findings)) >= 1
    assert any(": RL201 " in ln for ln in findings)
    assert "RL605" not in r.stdout  # src/app.py and setup.py were not linted as model repos
    assert not any(ln.startswith(("src", "setup.py", "docs")) for ln in lines)


def test_entry_point_clean_folders_pass(tmp_path):
    _tree(tmp_path)
    r = _entry("models/a/config.json", "models/a/sub/helper.py", "models/a/tokenizer/tokenizer_config.json", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "All checks passed for models/a." in r.stdout


def test_entry_point_nothing_to_lint_exits_zero(tmp_path):
    _tree(tmp_path)
    r = _entry("src/app.py", "setup.py", "docs/README.md", cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_entry_point_options_and_errors(tmp_path):
    _tree(tmp_path)
    r = _entry("--select", "RL2", "--format", "concise", "models/b/config.json", cwd=tmp_path)
    assert r.returncode == 1
    assert "RL201" in r.stdout and "RL304" not in r.stdout and "RL404" not in r.stdout
    # options after the files (not how pre-commit calls it, but harmless)
    r = _entry("models/b/config.json", "--select", "RL404", "--format", "concise", cwd=tmp_path)
    assert r.returncode == 1 and "RL404" in r.stdout and "RL201" not in r.stdout
    r = _entry("--exit-zero", "models/b/config.json", cwd=tmp_path)
    assert r.returncode == 0
    # a bad option in the hook's args is an error (exit 2), never a silent pass
    r = _entry("--no-such-option", "models/b/config.json", cwd=tmp_path)
    assert r.returncode == 2 and "no-such-option" in r.stderr
    # options only (always_run with no matching file): nothing to do
    assert _entry("--select", "RL2", cwd=tmp_path).returncode == 0


# -- (b) the hook run by the real pre-commit ----------------------------------------------------

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
HOOK_REPO_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml")
HOOK_REPO_DIRS = ("repolint", "rules", "schemas")


def _env(pre_commit_home: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PRE_COMMIT", "GIT_")) and k not in ("GITHUB_ACTIONS", "NO_COLOR", "SKIP")}
    env.update(GIT_ENV, PRE_COMMIT_HOME=str(pre_commit_home), HOME=os.environ.get("HOME", str(pre_commit_home)))
    return env


def _git(*args, cwd, env):
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                   cwd=cwd, env=env, check=True, capture_output=True, text=True)


def _commit_all(cwd, env, message="c"):
    _git("add", "-A", cwd=cwd, env=env)
    _git("commit", "-q", "-m", message, cwd=cwd, env=env)


def _pre_commit(*args, cwd, env):
    start = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "pre_commit", *args, "--color", "never"],
                       cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900)
    elapsed = time.monotonic() - start
    print(f"pre-commit {' '.join(args[:2])}: {elapsed:.1f}s, exit {r.returncode}")
    return r, elapsed


@pytest.fixture(scope="session")
def pre_commit_session(tmp_path_factory):
    """A git repo holding this working tree's installable files (the hook's repo), and a
    PRE_COMMIT_HOME shared by the session's `pre-commit run` tests."""
    pytest.importorskip("pre_commit", reason="the pre-commit package is not installed (pip install '.[test]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("pre-commit")
    home = base / "home"
    env = _env(home)
    hook_repo = copy_project(base / "hook-repo", HOOK_REPO_FILES, HOOK_REPO_DIRS)
    _git("init", "-q", cwd=hook_repo, env=env)
    _commit_all(hook_repo, env, "repolint under test")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    return {"base": base, "env": env, "hook_repo": hook_repo, "rev": rev}


def _target(session, name: str) -> Path:
    """A git repo with models/bert (clean), src/app.py (not a model), committed."""
    target = session["base"] / name
    shutil.copytree(BERT, target / "models" / "bert")
    (target / "src").mkdir()
    (target / "src" / "app.py").write_text(NOT_A_MODEL_PY, encoding="utf-8")
    (target / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {session['hook_repo'].as_posix()}\n"
        f"    rev: {session['rev']}\n"
        "    hooks:\n"
        "      - id: repolint\n",
        encoding="utf-8",
    )
    _git("init", "-q", cwd=target, env=session["env"])
    _commit_all(target, session["env"], "model")
    return target


def _break_config(folder: Path) -> None:
    config = folder / "config.json"
    config.write_text(config.read_text(encoding="utf-8").replace('"model_type": "bert"', '"model_type": "bertt"'),
                      encoding="utf-8")


def test_try_repo_clean_then_broken(pre_commit_session):
    s = pre_commit_session
    target = _target(s, "try-repo-target")
    r, first = _pre_commit("try-repo", str(s["hook_repo"]), "repolint", "--all-files", cwd=target, env=s["env"])
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert re.search(r"^repolint\.+Passed$", r.stdout, re.M), out

    _break_config(target / "models" / "bert")
    _commit_all(target, s["env"], "break it")
    r, second = _pre_commit("try-repo", str(s["hook_repo"]), "repolint", "--all-files", cwd=target, env=s["env"])
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert re.search(r"^repolint\.+Failed$", r.stdout, re.M), out
    assert "models/bert/config.json" in r.stdout and "RL201" in r.stdout and "'bertt'" in r.stdout, out
    assert "RL605" not in r.stdout  # src/app.py is not a model folder
    print(f"try-repo (each builds its own hook env): {first:.1f}s then {second:.1f}s")


def test_pre_commit_run_on_staged_files(pre_commit_session):
    """The commit-time path: only the staged files, two model folders, a shared hook env."""
    s = pre_commit_session
    target = _target(s, "run-target")
    shutil.copytree(BERT, target / "models" / "other")
    _commit_all(target, s["env"], "second model")

    r, install = _pre_commit("run", "--all-files", cwd=target, env=s["env"])
    assert r.returncode == 0, r.stdout + r.stderr

    # a change outside any model folder: the hook runs on it and lints nothing
    (target / "src" / "app.py").write_text(NOT_A_MODEL_PY + "# edited\n", encoding="utf-8")
    _git("add", "src/app.py", cwd=target, env=s["env"])
    r, _ = _pre_commit("run", cwd=target, env=s["env"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^repolint\.+Passed$", r.stdout, re.M), r.stdout
    _commit_all(target, s["env"], "edit app")

    # break one model; stage files of both: each folder is linted once, the broken one fails
    _break_config(target / "models" / "other")
    (target / "models" / "bert" / "README.md").write_text("# bert\n", encoding="utf-8")
    _git("add", "-A", cwd=target, env=s["env"])
    r, reused = _pre_commit("run", "--verbose", cwd=target, env=s["env"])
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "models/other/config.json" in r.stdout and "RL201" in r.stdout, out
    assert len(re.findall(r"^Found \d+ errors? in models/other\.$", r.stdout, re.M)) == 1, out
    assert r.stdout.count("All checks passed for models/bert.") == 1, out
    assert reused < install or reused < 30, (install, reused)  # the hook env was reused
    print(f"pre-commit run: first (installs the hook env) {install:.1f}s, later {reused:.1f}s")
