"""The CLI as a user runs it: a subprocess, its output, its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write_repo

CLEAN = {"config.json": '{\n  "model_type": "bert",\n  "hidden_size": 64,\n  "num_attention_heads": 4\n}\n'}
BROKEN = {"config.json": '{\n  "model_type": "lama",\n  "torch_dtype": "float33"\n}\n'}
WARN_ONLY = {"config.json": '{\n  "model_type": "bert",\n  "architectures": ["BertForMaskedLMM"]\n}\n'}


def repolint(*args, cwd, env=None):
    full_env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR", "REPOLINT_DEBUG")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "repolint", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_clean_repo_exits_zero(tmp_path):
    write_repo(tmp_path / "m", CLEAN)
    r = repolint("check", "m", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "All checks passed" in r.stdout


def test_broken_repo_exits_one_with_location(tmp_path):
    write_repo(tmp_path / "m", BROKEN)
    r = repolint("check", "m", cwd=tmp_path)
    assert r.returncode == 1
    assert "m/config.json:2:17: RL201 [unknown-model-type] unknown model_type 'lama'" in r.stdout
    assert "m/config.json:3:18: RL205 [invalid-dtype]" in r.stdout
    assert "\x1b[" not in r.stdout  # not a TTY: no colour


def test_warnings_do_not_fail_unless_asked(tmp_path):
    write_repo(tmp_path / "m", WARN_ONLY)
    assert repolint("check", "m", cwd=tmp_path).returncode == 0
    assert repolint("check", "m", "--fail-on", "warning", cwd=tmp_path).returncode == 1


def test_exit_zero(tmp_path):
    write_repo(tmp_path / "m", BROKEN)
    assert repolint("check", "m", "--exit-zero", cwd=tmp_path).returncode == 0


def test_nothing_to_lint(tmp_path):
    # as ruff does for "No Python files found": a notice on stderr, exit 0
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    r = repolint("check", "empty", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stdout == "" and "No model folders found under the given path(s)" in r.stderr
    r = repolint("check", "empty/notes.txt", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_missing_path_is_usage_error(tmp_path):
    r = repolint("check", "nope", cwd=tmp_path)
    assert r.returncode == 2
    assert "nope: no such file or directory" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_option_is_usage_error(tmp_path):
    r = repolint("check", "--bogus", ".", cwd=tmp_path)
    assert r.returncode == 2


def test_select_and_ignore(tmp_path):
    write_repo(tmp_path / "m", BROKEN)
    r = repolint("check", "m", "--select", "RL205", "--format", "concise", cwd=tmp_path)
    assert "RL205" in r.stdout and "RL201" not in r.stdout
    r = repolint("check", "m", "--ignore", "unknown-model-type", "--ignore", "RL205", cwd=tmp_path)
    assert r.returncode == 0, r.stdout


def test_unknown_rule_in_cli_is_exit_two(tmp_path):
    write_repo(tmp_path / "m", CLEAN)
    r = repolint("check", "m", "--select", "RL999", cwd=tmp_path)
    assert r.returncode == 2 and "unknown rule 'RL999'" in r.stderr


@pytest.mark.parametrize(
    "toml,message",
    [
        ('[tool.repolint]\nselct = ["RL2"]\n', "unknown key(s) in [tool.repolint]: selct"),
        ('[tool.repolint]\nignore = ["no-such-rule"]\n', "unknown rule 'no-such-rule'"),
        ('[tool.repolint]\nseverity = {RL201 = "fatal"}\n', "use error, warning or info"),
        ('[tool.repolint]\ntarget-transformers = "3.0"\n', "no knowledge of transformers 3.0"),
        ("[tool.repolint\n", "invalid TOML"),
    ],
)
def test_bad_config_is_exit_two(tmp_path, toml, message):
    write_repo(tmp_path / "m", {**CLEAN, "pyproject.toml": toml})
    r = repolint("check", "m", cwd=tmp_path)
    assert r.returncode == 2, r.stdout
    assert message in r.stderr


def test_config_ignores_and_severity(tmp_path):
    files = {**BROKEN, "repolint.toml": 'ignore = ["RL205"]\n[severity]\nunknown-model-type = "warning"\n'}
    write_repo(tmp_path / "m", files)
    r = repolint("check", "m", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert [(d["code"], d["severity"]) for d in data] == [("RL201", "warning")]


def test_per_file_ignores(tmp_path):
    files = {**BROKEN, "pyproject.toml": '[tool.repolint.per-file-ignores]\n"config.json" = ["RL2"]\n'}
    write_repo(tmp_path / "m", files)
    assert repolint("check", "m", cwd=tmp_path).returncode == 0


def test_github_format_is_automatic_on_actions(tmp_path):
    write_repo(tmp_path / "m", BROKEN)
    r = repolint("check", "m", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert r.stdout.startswith("::error file=m/config.json,line=2,col=17")


def test_output_file_and_sarif(tmp_path):
    write_repo(tmp_path / "m", BROKEN)
    r = repolint("check", "m", "--format", "sarif", "-o", "out.sarif", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert {res["ruleId"] for res in sarif["runs"][0]["results"]} == {"RL201", "RL205"}


def test_statistics(tmp_path):
    write_repo(tmp_path / "m", BROKEN)
    r = repolint("check", "m", "--statistics", cwd=tmp_path)
    assert "RL201" in r.stdout and "RL205" in r.stdout and "lama" not in r.stdout


def test_several_targets_say_which_versions(tmp_path):
    write_repo(tmp_path / "m", {"config.json": '{\n  "model_type": "afmoe"\n}\n'})
    r = repolint("check", "m", "-t", "5.23", "-t", "4.57", "--format", "json", cwd=tmp_path)
    data = json.loads(r.stdout)
    assert [(d["code"], d["targets"]) for d in data] == [("RL201", ["4.57"])]
    assert "needs transformers >=" in data[0]["message"]


def test_rules_and_rule_docs(tmp_path):
    r = repolint("rules", "--json", cwd=tmp_path)
    rules = json.loads(r.stdout)
    assert len(rules) >= 25 and len({x["code"] for x in rules}) == len(rules)
    by_code = repolint("rule", "RL201", cwd=tmp_path)
    by_name = repolint("rule", "unknown-model-type", cwd=tmp_path)
    assert by_code.returncode == 0 and by_code.stdout == by_name.stdout
    for section in ("## RL201 unknown-model-type", "### Why is this bad?", "### Example", "### Fix"):
        assert section in by_code.stdout
    assert repolint("rule", "RL999", cwd=tmp_path).returncode == 2


def test_version(tmp_path):
    from repolint import __version__
    from repolint.knowledge import shipped_versions

    for flag in ("--version", "-V"):
        r = repolint(flag, cwd=tmp_path)
        assert r.returncode == 0 and r.stdout.startswith(f"repolint {__version__}\n")
        snapshots = next(line for line in r.stdout.splitlines() if line.startswith("transformers snapshots: "))
        assert set(snapshots.split(": ")[1].split(", ")) == set(shipped_versions()) and "5.24.0" in snapshots


def test_lazy_subcommands_are_absent_until_their_module_exists(tmp_path):
    from repolint.cli import LAZY_COMMANDS

    import importlib.util

    helptext = repolint("--help", cwd=tmp_path).stdout
    for name, target in LAZY_COMMANDS.items():
        module, _, attr = target.partition(":")
        try:
            present = importlib.util.find_spec(module) is not None
            present = present and hasattr(importlib.import_module(module), attr)
        except ImportError:
            present = False
        assert (f"  {name} " in helptext) == present
        if not present:  # click's own "no such command", exit 2
            assert repolint(name, cwd=tmp_path).returncode == 2


def test_several_repos_in_parallel_keep_order_and_exit_code(tmp_path):
    for i in range(4):
        write_repo(tmp_path / f"r{i}", BROKEN if i == 2 else CLEAN)
    serial = repolint("check", "r0", "r1", "r2", "r3", "--format", "concise", cwd=tmp_path)
    parallel = repolint("check", "r0", "r1", "r2", "r3", "--format", "concise", "--jobs", "3", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout
    assert "All checks passed for r0." in serial.stdout and "in r2." in serial.stdout


def test_file_arguments_lint_their_folder_once(tmp_path):
    write_repo(tmp_path / "m", BROKEN)
    r = repolint("check", "m/config.json", "m/config.json", "--format", "json", cwd=tmp_path)
    data = json.loads(r.stdout)
    assert sorted(d["code"] for d in data) == ["RL201", "RL205"]
    assert {d["repo"] for d in data} == {"m"}


CUSTOM = {
    "config.json": '{\n  "model_type": "acme-net",\n  "auto_map": {\n    "AutoConfig": "configuration_x.XConfig",\n    "AutoModel": "modeling_x.XModel"\n  }\n}\n',
    "configuration_x.py": 'from transformers import PretrainedConfig\n\n\nclass XConfig(PretrainedConfig):\n    model_type = "acme-net"\n',
    "modeling_x.py": (
        "from transformers import PreTrainedModel\n\nfrom configuration_x import XConfig\nimport configuration_x\n\n\n"
        "class XModel(PreTrainedModel):\n    config_class = XConfig\n"
    ),
}


def test_fix_applies_safe_fixes_only_when_asked(tmp_path):
    root = write_repo(tmp_path / "m", CUSTOM)
    before = (root / "modeling_x.py").read_text()
    r = repolint("check", "m", "--select", "RL607", "--format", "concise", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout.count("RL607") == 2
    assert (root / "modeling_x.py").read_text() == before  # no --fix, no write
    r = repolint("check", "m", "--select", "RL607", "--fix", "--format", "concise", cwd=tmp_path)
    after = (root / "modeling_x.py").read_text()
    assert "from .configuration_x import XConfig\n" in after
    assert "\nimport configuration_x\n" in after  # no relative form transformers accepts: left alone
    assert "Fixed 1 finding." in r.stderr
    assert r.returncode == 1 and r.stdout.count("RL607") == 1  # what remains is reported


def test_fix_several_edits_in_one_file(tmp_path):
    files = dict(CUSTOM)
    files["helpers_x.py"] = "def h():\n    return 1\n"
    files["modeling_x.py"] = CUSTOM["modeling_x.py"].replace("import configuration_x\n", "from helpers_x import h\n")
    root = write_repo(tmp_path / "m", files)
    r = repolint("check", "m", "--fix", cwd=tmp_path)
    text = (root / "modeling_x.py").read_text()
    assert "from .configuration_x import XConfig\nfrom .helpers_x import h\n" in text
    assert "Fixed 2 findings." in r.stderr and r.returncode == 0, r.stdout


def test_fix_keeps_positions_past_form_feeds(tmp_path):
    files = dict(CUSTOM)
    files["modeling_x.py"] = "# section\x0c break\n" + CUSTOM["modeling_x.py"].replace("import configuration_x\n", "")
    root = write_repo(tmp_path / "m", files)
    repolint("check", "m", "--fix", cwd=tmp_path)
    assert "\nfrom .configuration_x import XConfig\n" in (root / "modeling_x.py").read_text()


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_one_finding_per_defect_across_targets(tmp_path):
    # each defect of the broken example once, naming both releases, with both in `targets`
    r = repolint("check", str(EXAMPLES / "broken-model"), "-t", "4.57", "-t", "5.23", "--format", "json", cwd=tmp_path)
    data = json.loads(r.stdout)
    places = [(d["location"]["file"], d["location"]["line"], d["code"]) for d in data]
    assert len(places) == len(set(places)) == 4, places
    by_code = {d["code"]: d for d in data}
    assert by_code["RL201"]["targets"] == by_code["RL404"]["targets"] == ["4.57", "5.23"]
    assert "transformers 4.57 and 5.23 have no such model type" in by_code["RL201"]["message"]
    assert by_code["RL404"]["message"].endswith("is not a tokenizer of transformers 4.57 and 5.23")
    text = repolint("check", str(EXAMPLES / "broken-model"), "-t", "4.57", "-t", "5.23", "--format", "concise", cwd=tmp_path)
    assert text.stdout.count(" RL201 ") == 1 and "Found 4 errors" in text.stdout
    # one target: the message names it alone, and `targets` stays empty
    one = json.loads(repolint("check", str(EXAMPLES / "broken-model"), "-t", "5.23", "--format", "json", cwd=tmp_path).stdout)
    assert any(d["message"].endswith("is not a tokenizer of transformers 5.23") and d["targets"] == [] for d in one)


def test_statistics_as_json(tmp_path):
    write_repo(tmp_path / "m", BROKEN)
    r = repolint("check", "m", "--statistics", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1
    assert json.loads(r.stdout) == [{"code": "RL201", "name": "unknown-model-type", "count": 1, "severity": "error"},
                                    {"code": "RL205", "name": "invalid-dtype", "count": 1, "severity": "error"}]
    write_repo(tmp_path / "c", CLEAN)
    r = repolint("check", "c", "--statistics", "--format", "json", "--show-compat", cwd=tmp_path)
    data = json.loads(r.stdout)
    assert data["statistics"] == [] and [c["repo"] for c in data["compat"]] == ["c"]


@pytest.mark.parametrize("args,env,coloured", [
    ((), {}, False),  # piped: no colour
    (("--color",), {}, True),  # forced, even when piped
    (("--color",), {"NO_COLOR": "1"}, True),  # the option wins over the environment
    ((), {"FORCE_COLOR": "1"}, True),
    ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, True),  # FORCE_COLOR wins, as in ruff
    ((), {"FORCE_COLOR": ""}, False),  # empty: unset
    (("--no-color",), {"FORCE_COLOR": "1"}, False),
    ((), {"NO_COLOR": "1"}, False),
])
def test_color(tmp_path, args, env, coloured):
    write_repo(tmp_path / "m", BROKEN)
    base = {"FORCE_COLOR": "", "CLICOLOR_FORCE": ""}
    r = repolint("check", "m", *args, cwd=tmp_path, env={**base, **env})
    assert r.returncode == 1
    assert ("\x1b[" in r.stdout) is coloured
