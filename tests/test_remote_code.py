"""RL910-RL915: the remote-code report, on a custom-code repo written by transformers'
save_pretrained (tests/fixtures/custom/custom_model) with calls added to its modules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import lint

FIXTURE = Path(__file__).parent / "fixtures/custom/custom_model"


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "custom_model"
    shutil.copytree(FIXTURE, root)
    return root


def _add(root: Path, module: str, code: str) -> int:
    """Append code to a module; the line number of the first appended line."""
    path = root / module
    text = path.read_text()
    path.write_text(text + "\n" + code)
    return text.count("\n") + 2


def _report(root, select=("RL91",)):
    return [(d.code, d.location.file, d.location.line, d.severity.value, d.message) for d in lint(root, select=list(select))]


def test_saved_custom_code_gets_a_clean_summary(repo):
    [(code, file, _line, sev, message)] = _report(repo)
    assert (code, file, sev) == ("RL910", "config.json", "info")
    assert message == ("executes code: yes (configuration_tiny.py, modeling_tiny.py, tiny_layers.py); network: no; "
                       "processes: no; exec of strings: no; writes files: no; code from other repos: no")


def test_auto_map_to_missing_modules_is_no_code(repo):
    for f in ("configuration_tiny.py", "modeling_tiny.py", "tiny_layers.py"):
        (repo / f).unlink()
    assert _report(repo) == []  # nothing of this repo can run (RL304 reports the missing files)


def test_no_custom_code_no_summary(tmp_path):
    root = tmp_path / "plain"
    root.mkdir()
    (root / "config.json").write_text('{"model_type": "llama"}')
    (root / "convert.py").write_text("import subprocess\nsubprocess.run(['ls'])\n")  # never run by transformers
    assert _report(root) == []


def test_each_kind_of_call_is_reported_where_it_is(repo):
    line = _add(repo, "modeling_tiny.py", "\n".join([
        "import os, socket, shutil, subprocess as sp",
        "import urllib.request",
        "from transformers import AutoModel",
        "sp.check_output(['nvidia-smi'])",  # +3: at import
        "def hooks(cfg, path):",
        "    exec(cfg.code)",  # +5
        "    eval('1 + 1')",  # +6: a literal
        "    os.system('echo hi')",  # +7
        "    urllib.request.urlopen('https://example.com')",  # +8
        "    socket.create_connection(('example.com', 80))",  # +9
        "    open(path, 'w').write('x')",  # +10
        "    shutil.rmtree('/tmp/x')",  # +11
        "    open(path).read()",  # +12: a read, not reported
        "    return AutoModel.from_pretrained('someone/enc', trust_remote_code=True, revision='main')",  # +13
        "def pinned():",
        "    return AutoModel.from_pretrained('someone/enc', trust_remote_code=True, revision='" + "a" * 40 + "')",  # +15
        "",
    ]))
    found = {(c, ln, s) for c, f, ln, s, _m in _report(repo) if f == "modeling_tiny.py"}
    assert found == {
        ("RL912", line + 3, "warning"), ("RL911", line + 5, "warning"), ("RL911", line + 6, "info"),
        ("RL912", line + 7, "warning"), ("RL913", line + 8, "warning"), ("RL913", line + 9, "warning"),
        ("RL914", line + 10, "info"), ("RL914", line + 11, "warning"), ("RL915", line + 13, "warning"),
        ("RL915", line + 15, "warning"),
    }
    messages = {ln: m for _c, f, ln, _s, m in _report(repo) if f == "modeling_tiny.py"}
    assert messages[line + 3].endswith("at import, i.e. during from_pretrained")
    assert "not pinned" in messages[line + 13] and "pinned to aaaaaaaaaaaa" in messages[line + 15]
    summary = next(m for c, *_rest, m in _report(repo) if c == "RL910")
    assert "network: yes; processes: yes; exec of strings: yes; writes files: yes; code from other repos: yes" in summary


def test_only_modules_transformers_runs_are_read(repo):
    (repo / "convert_checkpoint.py").write_text("import subprocess\nsubprocess.run(['rm', '-rf', '/'])\n")
    assert [c for c, *_ in _report(repo)] == ["RL910"]
    # imported relatively by a loaded module: now it runs
    _add(repo, "tiny_layers.py", "from .convert_checkpoint import *\n")
    assert sorted(c for c, *_ in _report(repo)) == ["RL910", "RL912"]


def test_cross_repo_auto_map_is_in_the_summary_and_rl305_stays(repo):
    cfg = json.loads((repo / "config.json").read_text())
    cfg["auto_map"]["AutoModelForCausalLM"] = "someone/base--modeling_base.BaseForCausalLM"
    (repo / "config.json").write_text(json.dumps(cfg, indent=2))
    found = lint(repo, select=["RL91", "RL305"])
    assert sorted(d.code for d in found) == ["RL305", "RL910"]
    summary = next(d.message for d in found if d.code == "RL910")
    assert summary.endswith("code from other repos: yes (someone/base)")


def test_module_code_is_never_executed(repo, tmp_path):
    marker = tmp_path / "ran"
    _add(repo, "modeling_tiny.py", f"open({str(marker)!r}, 'w').write('x')\n")
    assert "RL914" in [c for c, *_ in _report(repo)]
    assert not marker.exists()


def test_json_and_full_reports_carry_the_summary(repo, tmp_path):
    _add(repo, "modeling_tiny.py", "import requests\nrequests.get('https://example.com')\n")
    r = subprocess.run([sys.executable, "-m", "repolint", "check", str(repo), "--select", "RL91", "--format", "json"],
                       capture_output=True, text=True, cwd=tmp_path)
    items = json.loads(r.stdout)
    [summary] = [i["summary"] for i in items if i["code"] == "RL910"]
    assert summary == {"executes_code": True, "network": True, "processes": False, "exec_strings": False,
                       "writes_files": False, "other_repos": False}
    assert all("summary" not in i for i in items if i["code"] != "RL910")
    r = subprocess.run([sys.executable, "-m", "repolint", "check", str(repo), "--select", "RL91", "--no-color"],
                       capture_output=True, text=True, cwd=tmp_path)
    lines = r.stdout.splitlines()
    section = [ln for ln in lines if ln.startswith("Remote code (")]
    assert len(section) == 1 and "network: yes; processes: no" in section[0]
    assert not any("[remote-code-summary]" in ln for ln in lines)  # a section, not a finding block
    assert lines[-1].startswith("Found 1 warning, 1 info")
