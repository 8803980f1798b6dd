"""Bad input gives a diagnostic, never a traceback; and repolint never writes into a repo."""

from __future__ import annotations

import hashlib
import os

import pytest

from helpers import lint, write_repo
from test_cli import repolint

CASES = {
    "trailing-comma": ({"config.json": '{\n  "model_type": "bert",\n}\n'}, "RL001", 2, "trailing comma"),
    "empty": ({"config.json": ""}, "RL001", 1, "empty"),
    "truncated": ({"config.json": '{\n  "model_type": "be'}, "RL001", 2, "invalid JSON"),
    "bom": ({"config.json": '\ufeff{"model_type": "bert"}'}, "RL001", 1, "byte-order mark"),
    "array": ({"config.json": "[1, 2]"}, "RL002", 1, "an array"),
    "string": ({"tokenizer_config.json": '"hello"'}, "RL002", 1, "a string"),
    "duplicate": ({"config.json": '{\n  "model_type": "bert",\n  "model_type": "gpt2"\n}'}, "RL003", 3, "duplicate key 'model_type'"),
    "nan": ({"config.json": '{\n  "model_type": "bert",\n  "x": [1, NaN]\n}'}, "RL004", 3, "/x/1"),
    "lfs": ({"config.json": "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n"}, "RL006", 1, "Git LFS pointer"),
    "latin1": ({"config.json": b'{\n  "model_type": "bert",\n  "name": "caf\xe9"\n}'}, "RL007", 3, "not valid UTF-8"),
    "binary": ({"config.json": b"\x89PNG\r\n\x1a\n\x00\x00\x00"}, "RL007", 1, "binary"),
    "symlink-out": ({"config.json": "@symlink:/etc/hostname"}, "RL008", 1, "outside the repo"),
    "dangling": ({"config.json": "@symlink:missing.json"}, "RL008", 1, "dangling"),
    "directory": ({"config.json/inner.txt": "x"}, "RL009", 1, "not a regular file"),
    "deep": ({"config.json": "[" * 100000 + "]" * 100000}, "RL001", 1, "nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_a_diagnostic(tmp_path, name):
    files, code, line, text = CASES[name]
    root = write_repo(tmp_path / "repo", files)
    diags = lint(root)
    hits = [d for d in diags if d.code == code]
    assert hits, [f"{d.code} {d.message}" for d in diags]
    assert hits[0].location.line == line
    assert text in hits[0].message


def test_huge_file_is_not_read(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    with open(root / "config.json", "wb") as fh:  # a sparse 500 MB file: cheap to make
        fh.truncate(500 * 1024 * 1024)
    diags = lint(root)
    assert [d.code for d in diags] == ["RL005"]
    assert "500.0 MiB" in diags[0].message


def test_python_syntax_error_and_junk_files_do_not_crash_the_cli(tmp_path):
    files = {
        "config.json": '{"model_type": "bert"}',
        "modeling_x.py": "def broken(:\n",
        "weights.bin": b"\x00\x01\x02",
        "README.md": b"\xff\xfe not utf8",
    }
    write_repo(tmp_path / "m", files)
    r = repolint("check", "m", cwd=tmp_path)
    assert r.returncode in (0, 1)
    assert "Traceback" not in r.stderr


def _snapshot(root):
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            digest = hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.isfile(p) and not os.path.islink(p) else None
            state[os.path.relpath(p, root)] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return state


def test_check_never_writes_into_the_repo(tmp_path):
    root = write_repo(tmp_path / "m", {"config.json": '{\n "model_type": "lama",\n}', "tokenizer_config.json": "[]"})
    before = _snapshot(root)
    for fmt in ("full", "json", "sarif", "github", "concise"):
        repolint("check", "m", "--format", fmt, cwd=tmp_path)
    assert _snapshot(root) == before


def test_only_the_root_folder_is_read(tmp_path):
    # transformers reads root-level files only; folders below are never walked
    root = write_repo(tmp_path / "repo", {
        "config.json": '{"model_type": "bert"}',
        "old/config.json": '{"model_type": "bert",}',
        "deep/" + "/".join(["d"] * 50) + "/x.json": "{",
    })
    os.symlink(".", root / "loop")
    assert lint(root) == []
