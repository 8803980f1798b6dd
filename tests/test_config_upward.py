"""Settings discovered upward from each model folder to the repository root, --config,
--show-settings, and the JSON Schema of the settings (schemas/repolint-config.schema.json)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write_repo
from test_cli import repolint

BROKEN = '{\n  "model_type": "lama",\n  "torch_dtype": "float33"\n}\n'  # RL201 + RL205
ROOT = Path(__file__).resolve().parent.parent


def _codes(tmp_path, *args, cwd=None):
    r = repolint("check", *args, "--format", "json", cwd=cwd or tmp_path)
    assert r.returncode in (0, 1), r.stderr
    found: dict[str, set] = {}
    for d in json.loads(r.stdout):
        found.setdefault(d["repo"], set()).add(d["code"])
    return found


def _monorepo(root: Path) -> Path:
    return write_repo(root, {
        ".git/HEAD": "ref: refs/heads/main\n",
        "repolint.toml": 'ignore = ["RL205"]\n',
        "models/a/config.json": BROKEN,
        "models/b/config.json": BROKEN,
        "models/b/repolint.toml": 'ignore = ["RL201"]\n',  # closest wins: RL205 is back
        "models/c/config.json": BROKEN,
        "models/c/pyproject.toml": "[project]\nname = 'c'\n",  # no [tool.repolint]: skipped
        "models/d/deeper/config.json": BROKEN,
        "models/d/pyproject.toml": "[tool.repolint]\nselect = ['RL205']\n",
        "models/d/repolint.toml": "select = ['RL201']\n",  # same level: repolint.toml wins
    })


def test_closest_settings_file_wins(tmp_path):
    _monorepo(tmp_path)
    assert _codes(tmp_path) == {"models/a": {"RL201"}, "models/b": {"RL205"}, "models/c": {"RL201"},
                                "models/d/deeper": {"RL201"}}
    # the same from inside a model folder: the lookup starts at the model folder, not the cwd
    assert _codes(tmp_path, ".", cwd=tmp_path / "models" / "a") == {".": {"RL201"}}


def test_the_lookup_stops_at_the_repository_root(tmp_path):
    write_repo(tmp_path, {"repolint.toml": 'ignore = ["RL201", "RL205"]\n'})
    _monorepo(tmp_path / "repo")
    (tmp_path / "repo" / "repolint.toml").unlink()
    assert _codes(tmp_path / "repo")["models/a"] == {"RL201", "RL205"}
    # without .git the lookup goes on up (to the filesystem root)
    (tmp_path / "repo" / ".git" / "HEAD").unlink()
    (tmp_path / "repo" / ".git").rmdir()
    assert "models/a" not in _codes(tmp_path / "repo")


def test_config_option_overrides_every_folder(tmp_path):
    _monorepo(tmp_path)
    write_repo(tmp_path, {"other.toml": 'select = ["RL205"]\n'})
    assert _codes(tmp_path, "--config", "other.toml") == {f"models/{m}": {"RL205"} for m in "abc"} | {"models/d/deeper": {"RL205"}}


def test_a_broken_settings_file_above_the_model_is_exit_two(tmp_path):
    _monorepo(tmp_path)
    write_repo(tmp_path, {"repolint.toml": 'ignore = "RL2\n'})
    r = repolint("check", "models/a", cwd=tmp_path)
    assert r.returncode == 2 and "repolint.toml: invalid TOML" in r.stderr and "Traceback" not in r.stderr


def test_symlinked_settings_inside_the_repository_root_are_followed(tmp_path):
    _monorepo(tmp_path)
    write_repo(tmp_path, {"shared/lint.toml": 'ignore = ["RL201", "RL205"]\n', "models/a/repolint.toml": "@symlink:../../shared/lint.toml"})
    assert "models/a" not in _codes(tmp_path)
    os.unlink(tmp_path / "models" / "a" / "repolint.toml")
    os.symlink(tmp_path.parent / "x.toml", tmp_path / "models" / "a" / "repolint.toml")
    r = repolint("check", "models/a", cwd=tmp_path)
    assert r.returncode == 2 and "outside the repo" in r.stderr


def test_show_settings(tmp_path):
    _monorepo(tmp_path)
    r = repolint("check", "models/b", "models/c", "--show-settings", "-t", "4.57", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    blocks = r.stdout.split("\n\n")
    assert blocks[0].splitlines()[:2] == ["# models/b", f"# settings from {os.path.join('models', 'b', 'repolint.toml')}"]
    assert 'ignore = ["RL201"]' in blocks[0] and 'target-transformers = ["4.57"]' in blocks[0]
    assert blocks[1].splitlines()[1] == "# settings from repolint.toml" and 'ignore = ["RL205"]' in blocks[1]
    r = repolint("check", "models/d", "--show-settings", "--format", "json", "--extend-select", "RL205", cwd=tmp_path)
    [record] = json.loads(r.stdout)
    assert record["folder"] == "models/d/deeper" and record["source"].endswith("repolint.toml")
    assert record["select"] == ["RL201"] and record["enabled"] == ["RL201", "RL205"]


# -- the JSON Schema ---------------------------------------------------------------------

SCHEMA = ROOT / "schemas" / "repolint-config.schema.json"

TABLES = [
    {}, {"select": "RL2"}, {"select": ["RL2", "ALL"]}, {"select": 3}, {"select": [1]},
    {"selct": ["RL2"]}, {"severity": {"RL201": "warning"}}, {"severity": {"RL201": "fatal"}}, {"severity": "x"},
    {"severity": {"RL201": 1}}, {"per-file-ignores": {"*.json": ["RL2"]}}, {"per-file-ignores": {"*.json": [2]}},
    {"per-file-ignores": []}, {"max-file-size": 10}, {"max-file-size": 0}, {"max-file-size": 1.5},
    {"max-file-size": True}, {"target-transformers": ["5.23"]}, {"target-transformers": 5.23},
    {"exclude": ["vendor"]}, {"exclude": {"a": 1}}, {"extend-exclude": "x"}, {"respect-gitignore": False},
    {"respect-gitignore": "no"}, {"extend-select": []}, {"ignore": [None]},
]


def test_schema_is_a_valid_json_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    from repolint.config import keys

    assert list(keys()) == list(schema["properties"])


@pytest.mark.parametrize("table", TABLES, ids=[json.dumps(t) for t in TABLES])
def test_loader_accepts_exactly_what_the_schema_accepts(table):
    jsonschema = pytest.importorskip("jsonschema")
    from repolint.config import ConfigError, parse_table

    schema_ok = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).is_valid(table)
    try:
        parse_table(table, "s.toml")
        loaded = True
    except ConfigError as exc:
        loaded = False
        assert str(exc).startswith("s.toml: ")
    assert loaded is schema_ok


def test_clean_settings_do_not_import_jsonschema(tmp_path):
    write_repo(tmp_path, {"repolint.toml": 'select = ["ALL"]\nextend-exclude = ["x"]\n[severity]\nRL201 = "warning"\n',
                          "bad.toml": "exclude = 3\n"})
    code = ("import sys; from pathlib import Path; from repolint.config import ConfigError, load_file; "
            "load_file(Path('repolint.toml')); print('jsonschema' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert r.stdout.strip() == "False", r.stderr
    r = repolint("check", "--config", "bad.toml", cwd=tmp_path)
    assert r.returncode == 2 and "exclude must be a string or a list of strings" in r.stderr
