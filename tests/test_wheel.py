"""The built wheel (not the source tree) ships rules/ and schemas/ and works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write_repo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    if build.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{build.stderr[-2000:]}")
    wheels = list((out / "dist").glob("repolint-*.whl"))
    assert len(wheels) == 1
    site = out / "site"
    inst = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheels[0])],
        capture_output=True, text=True, timeout=600,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    return site


def test_wheel_contents(wheel_site):
    pkg = wheel_site / "repolint"
    assert (pkg / "rules" / "config.py").is_file()
    assert (pkg / "schemas" / "config.schema.json").is_file()
    assert list((pkg / "schemas").glob("transformers-5.*.json"))
    assert list((pkg / "schemas").glob("transformers-4.57.*.json"))
    assert list((pkg / "schemas" / "fields").glob("*/bert.json"))
    assert (pkg / "schemas" / "transformers-weights.json.gz").is_file()


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
