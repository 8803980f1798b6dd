"""python -m repolint.reporters.convert: a saved JSON report rendered in another format is
what `repolint check --format F` prints for the same repos."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = [sys.executable, "-m", "repolint", "check"]
CONVERT = [sys.executable, "-m", "repolint.reporters.convert"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A workspace with two broken repos (one with custom code and fixes), linted for two
    releases; the JSON report saved."""
    ws = tmp_path_factory.mktemp("convert")
    shutil.copytree(ROOT / "examples" / "broken-model", ws / "models" / "broken")
    shutil.copytree(ROOT / "tests" / "fixtures" / "custom_broken" / "absolute_sibling_import", ws / "models" / "sib")
    args = ["models", "-t", "5.24", "-t", "4.57"]
    r = subprocess.run([*CHECK, *args, "--format", "json", "-o", "report.json"], cwd=ws, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    return ws, args


@pytest.mark.parametrize("fmt", ["github", "sarif", "json", "concise", "full"])
def test_same_output_as_a_run_with_that_format(saved, fmt):
    ws, args = saved
    direct = subprocess.run([*CHECK, *args, "--format", fmt, "--no-color"], cwd=ws, capture_output=True, text=True)
    converted = subprocess.run([*CONVERT, "report.json", "--format", fmt], cwd=ws, capture_output=True, text=True)
    assert converted.returncode == 0, converted.stderr
    assert converted.stdout == direct.stdout
    assert converted.stdout.strip()


def test_output_file_and_an_empty_report(saved, tmp_path):
    ws, _ = saved
    out = tmp_path / "r.sarif"
    r = subprocess.run([*CONVERT, "report.json", "--format", "sarif", "-o", str(out)], cwd=ws, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "" and '"version": "2.1.0"' in out.read_text(encoding="utf-8")
    (tmp_path / "empty.json").write_text("[]\n", encoding="utf-8")
    assert subprocess.run([*CONVERT, str(tmp_path / "empty.json"), "--format", "github"],
                          capture_output=True, text=True).stdout == ""
    assert subprocess.run([*CONVERT, str(tmp_path / "empty.json")], capture_output=True, text=True).stdout == "All checks passed.\n"


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the report"),
    ("{not json", "cannot read the report"),
    ('{"a": 1}', "is not a repolint JSON report"),
    ('[{"code": "RL201"}]', "item 0 is not a diagnostic"),
])
def test_bad_reports_are_one_line_and_exit_two(tmp_path, content, message):
    report = tmp_path / "report.json"
    if content is not None:
        report.write_text(content, encoding="utf-8")
    r = subprocess.run([*CONVERT, str(report), "--format", "github"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("repolint: error: ") and message in line
