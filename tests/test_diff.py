"""`repolint check --diff`, `--fix` and `--unsafe-fixes` as a user runs them: a subprocess, its
output, its exit code, and the files it does (not) write."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import write_repo

# a safe fix (RL707: torch_dtype -> dtype) and nothing else
OLD_KEY = {"config.json": '{\n  "model_type": "bert",\n  "torch_dtype": "float16"\n}\n'}
# only an unsafe fix (RL201: a model_type typo that nothing in the file confirms)
TYPO = {"config.json": '{\n  "model_type": "lama",\n  "hidden_size": 64\n}\n'}
CLEAN = {"config.json": '{\n  "model_type": "bert",\n  "dtype": "float16"\n}\n'}


def repolint(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "REPOLINT_DEBUG")}
    return subprocess.run([sys.executable, "-m", "repolint", "check", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_diff_prints_the_change_writes_nothing_and_exits_1(tmp_path):
    write_repo(tmp_path / "m", OLD_KEY)
    before = _snapshot(tmp_path)
    r = repolint("m", "--diff", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert r.stdout == (
        "--- a/m/config.json\n+++ b/m/config.json\n@@ -1,4 +1,4 @@\n {\n   \"model_type\": \"bert\",\n"
        "-  \"torch_dtype\": \"float16\"\n+  \"dtype\": \"float16\"\n }\n"
    )
    assert r.stderr == "Would fix 1 finding.\n"
    assert _snapshot(tmp_path) == before


def test_diff_on_a_clean_repo_exits_0_and_says_so(tmp_path):
    write_repo(tmp_path / "m", CLEAN)
    r = repolint("m", "--diff", cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "No fixes available.\n")


def test_diff_exit_zero(tmp_path):
    write_repo(tmp_path / "m", OLD_KEY)
    r = repolint("m", "--diff", "--exit-zero", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("--- a/m/config.json")


def test_remaining_findings_do_not_count_under_diff(tmp_path):
    # an error without a fix: --diff is about fixes, as in ruff
    write_repo(tmp_path / "m", {"config.json": '{\n  "model_type": "no-such-type-anywhere"\n}\n'})
    r = repolint("m", "--diff", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "")
    assert repolint("m", cwd=tmp_path).returncode == 1


def test_diff_wins_over_fix(tmp_path):
    write_repo(tmp_path / "m", OLD_KEY)
    before = _snapshot(tmp_path)
    r = repolint("m", "--fix", "--diff", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout.startswith("--- a/m/config.json")
    assert _snapshot(tmp_path) == before
    r = repolint("--help", cwd=tmp_path)
    assert "--diff wins" in " ".join(r.stdout.split())


def test_diff_to_an_output_file(tmp_path):
    write_repo(tmp_path / "m", OLD_KEY)
    r = repolint("m", "--diff", "-o", "fix.patch", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    assert (tmp_path / "fix.patch").read_text().startswith("--- a/m/config.json\n+++ b/m/config.json\n")


def test_unsafe_fixes_are_hidden_until_enabled(tmp_path):
    write_repo(tmp_path / "m", TYPO)
    r = repolint("m", "--diff", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "")
    assert r.stderr == "No fixes available (1 hidden fix can be enabled with the --unsafe-fixes option).\n"
    report = repolint("m", cwd=tmp_path).stdout.splitlines()
    assert report[0].startswith("m/config.json:2:17: RL201 [unknown-model-type] ")
    assert "  = fix (unsafe, with --unsafe-fixes): Set model_type to 'llama'" in report
    assert report[-1] == "No fixes available (1 hidden fix can be enabled with the --unsafe-fixes option)."
    r = repolint("m", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert r.returncode == 1 and '+  "model_type": "llama",' in r.stdout
    report = repolint("m", "--unsafe-fixes", cwd=tmp_path).stdout.splitlines()
    assert report[0].startswith("m/config.json:2:17: RL201 [*] [unknown-model-type] ")
    assert report[-1] == "[*] 1 fixable with the --fix option."
    r = repolint("m", "--fix", cwd=tmp_path)
    assert '"lama"' in (tmp_path / "m" / "config.json").read_text() and "Fixed" not in r.stderr
    r = repolint("m", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert r.stderr.startswith("Fixed 1 finding.") and '"llama"' in (tmp_path / "m" / "config.json").read_text()


def test_unsafe_fixes_setting_and_its_override(tmp_path):
    write_repo(tmp_path / "m", {**TYPO, "repolint.toml": "unsafe-fixes = true\n"})
    assert repolint("m", "--diff", cwd=tmp_path).returncode == 1
    assert repolint("m", "--diff", "--no-unsafe-fixes", cwd=tmp_path).returncode == 0
    shown = repolint("m", "--show-settings", cwd=tmp_path).stdout
    assert "unsafe-fixes = true" in shown.splitlines()
    shown = json.loads(repolint("m", "--show-settings", "--no-unsafe-fixes", "--format", "json", cwd=tmp_path).stdout)
    assert shown[0]["unsafe-fixes"] is False
    (tmp_path / "m" / "repolint.toml").write_text('unsafe-fixes = "yes"\n')
    r = repolint("m", "--diff", cwd=tmp_path)
    assert r.returncode == 2 and "unsafe-fixes must be true or false" in r.stderr


def test_jobs_keep_each_folders_unsafe_setting(tmp_path):
    write_repo(tmp_path / "a", {**TYPO, "repolint.toml": "unsafe-fixes = true\n"})
    write_repo(tmp_path / "b", TYPO)
    out = repolint("a", "b", "--jobs", "2", "--format", "concise", cwd=tmp_path).stdout.splitlines()
    assert any(line.startswith("a/config.json:2:17: RL201 [*] [error]") for line in out)
    assert any(line.startswith("b/config.json:2:17: RL201 [error]") for line in out)
    assert out[-1] == "[*] 1 fixable with the --fix option (1 hidden fix can be enabled with the --unsafe-fixes option)."


def test_a_fix_made_for_some_targets_only_is_unsafe(tmp_path):
    # RL707 holds from 4.56 on: beside a 4.55 target, renaming torch_dtype would lose the dtype there
    write_repo(tmp_path / "m", OLD_KEY)
    one = json.loads(repolint("m", "--format", "json", cwd=tmp_path).stdout)
    assert [d["fix"]["applicability"] for d in one if d["code"] == "RL707"] == ["safe"]
    both = json.loads(repolint("m", "-t", "4.55", "-t", "5.24", "--format", "json", cwd=tmp_path).stdout)
    (rl707,) = [d for d in both if d["code"] == "RL707"]
    assert rl707["targets"] == ["5.24"] and rl707["fix"]["applicability"] == "unsafe"
    assert "made for transformers 5.24 only" in rl707["fix"]["description"]
    assert repolint("m", "-t", "4.55", "-t", "5.24", "--diff", cwd=tmp_path).returncode == 0
    assert json.loads(repolint("m", "-t", "4.55", "--format", "json", cwd=tmp_path).stdout) == []


def test_diff_applies_with_git_apply_and_keeps_crlf_and_missing_final_newline(tmp_path):
    text = '{\r\n\t"model_type": "bert",\r\n\t"torch_dtype": "float16"\r\n}'
    write_repo(tmp_path / "m", {"config.json": text})
    r = repolint("m", "--diff", "-o", "fix.patch", cwd=tmp_path)
    assert r.returncode == 1
    assert (tmp_path / "fix.patch").read_bytes().endswith(b'+\t"dtype": "float16"\r\n }\n\\ No newline at end of file\n')
    shutil.copytree(tmp_path / "m", tmp_path / "copy" / "m")
    p = subprocess.run(["git", "apply", "--whitespace=nowarn", str(tmp_path / "fix.patch")], cwd=tmp_path / "copy",
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    repolint("m", "--fix", cwd=tmp_path)
    fixed = (tmp_path / "m" / "config.json").read_bytes()
    assert fixed == text.replace('"torch_dtype"', '"dtype"').encode()
    assert (tmp_path / "copy" / "m" / "config.json").read_bytes() == fixed


def test_diff_paths_for_several_folders_and_a_folder_outside_the_working_directory(tmp_path):
    write_repo(tmp_path / "ws" / "models" / "a", OLD_KEY)
    write_repo(tmp_path / "elsewhere", OLD_KEY)
    r = repolint(".", str(tmp_path / "elsewhere"), "--diff", cwd=tmp_path / "ws")
    heads = [line for line in r.stdout.splitlines() if line.startswith(("--- ", "+++ "))]
    assert heads[:2] == ["--- a/models/a/config.json", "+++ b/models/a/config.json"]
    assert heads[2] == f"--- a/{tmp_path / 'elsewhere' / 'config.json'}"
    assert r.stderr == "Would fix 2 findings.\n"


TARGET_DEPENDENT_RULE = """
import sys
from repolint.edits import fix, replace_value
from repolint.registry import Example, Finding, Rule, register

@register
class PerTarget(Rule):
    code = "RL998"
    name = "per-target-fix"
    summary = "a rule whose fix depends on the target"
    severity = "error"
    uses_knowledge = True
    fix_applicability = "safe"
    fix_detail = why = fix_text = "test"
    invalid = valid = [Example({})]

    def check(self, ctx):
        value = "x" + ctx.knowledge.label
        yield Finding("config.json", "wrong value", pointer="/v",
                      fix=fix("write " + value, "safe", replace_value(ctx.doc("config.json"), "config.json", "/v", value)))

from repolint.cli import main
sys.argv = ["repolint", *sys.argv[1:]]
main()
"""


def test_a_fix_the_targets_disagree_on_is_unsafe(tmp_path):
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "bert", "v": 1}'})
    script = tmp_path / "rule.py"
    script.write_text(TARGET_DEPENDENT_RULE)

    def run(*args):
        r = subprocess.run([sys.executable, str(script), "check", "m", "--select", "RL998", "--format", "json", *args],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
        (d,) = json.loads(r.stdout)
        return d["fix"]

    assert run("-t", "5.24")["applicability"] == "safe"
    both = run("-t", "5.23", "-t", "5.24")
    assert both["applicability"] == "unsafe" and both["description"] == "write x5.23 (unsafe: the targets disagree on it)"
