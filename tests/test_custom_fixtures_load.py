"""Ground truth for the custom-code fixtures: what transformers really does with them.

(a) every repo in tests/fixtures/custom loads, with trust_remote_code=True, with
    every Auto class in its MANIFEST.json, and resolves to the recorded class;
(b) every variant in tests/fixtures/custom_broken is loaded again exactly as
    recorded in its MANIFEST.json (same Auto classes, same trust_remote_code)
    and must give the same outcome: ok / the same exception class name, the
    same resolved class (incl. built-in vs remote code), the side effect.
    If a new transformers release changes any of that, this file fails.

The loader (``WORKER``) and the variant definitions live in
scripts/make_custom_fixtures.py, which regenerates everything:

    python scripts/make_custom_fixtures.py --out tests/fixtures/custom

Speed: the manifest was made with one fresh interpreter per repo; here all
repos are split over REPOLINT_FIXTURE_PROCS (default: CPU count) interpreters
run concurrently -- the cold ``import torch, transformers`` + first remote
model import (~5 s) is paid once per interpreter. The worker resets the Auto
registries between repos and every repo has its own transformers_modules
sub-folder, so sharing an interpreter does not change results (a difference
from the manifest would show up as a failure here). Skipped without
transformers / torch.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_custom_fixtures as mcf  # noqa: E402  (stdlib-only at import time)

VALID_DIR = ROOT / "tests" / "fixtures" / "custom"
BROKEN_DIR = ROOT / "tests" / "fixtures" / "custom_broken"
TIMEOUT_S = 300


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


VALID = _read(VALID_DIR / "MANIFEST.json")
BROKEN = _read(BROKEN_DIR / "MANIFEST.json")


def _jobs() -> list[dict]:
    jobs = [{"id": f"valid/{name}", "repo": str(VALID_DIR / name),
             "loads": [[a, a, True] for a in entry["auto_classes_that_load"]]}
            for name, entry in sorted(VALID.items())]
    for name, entry in sorted(BROKEN.items()):
        job = {"id": f"broken/{name}", "repo": str(BROKEN_DIR / name),
               "loads": [[label, e["auto_class"], e["trust_remote_code"]] for label, e in entry["loads"].items()]}
        if "side_effect_created_by_transformers" in entry:
            job["side_effect"] = True
        attrs = sorted({a for e in entry["loads"].values() for a in e.get("attrs", {})})
        if attrs:
            job["attrs"] = attrs
        jobs.append(job)
    return jobs


@pytest.fixture(scope="module")
def results():
    """Run every load once, split round-robin over n interpreters running concurrently."""
    jobs = _jobs()
    n = int(os.environ.get("REPOLINT_FIXTURE_PROCS", "0")) or (os.cpu_count() or 1)
    n = max(1, min(n, len(jobs)))
    # cheap (tokenizer/image-only) and expensive (model) repos are interleaved by the sort; round-robin balances
    batches = [jobs[i::n] for i in range(n)]
    with ThreadPoolExecutor(max_workers=n) as pool:
        merged: dict = {}
        for res in pool.map(lambda b: mcf.run_worker(b, timeout=TIMEOUT_S), batches):
            merged.update(res)
    return merged


def test_manifests_present():
    assert VALID, "tests/fixtures/custom/MANIFEST.json missing: run scripts/make_custom_fixtures.py"
    assert BROKEN, "tests/fixtures/custom_broken/MANIFEST.json missing: run scripts/make_custom_fixtures.py"
    assert {"custom_model", "custom_full"} <= set(VALID)
    assert len(BROKEN) >= 25
    # the manifest and the generator agree on the variant set
    assert set(BROKEN) == set(mcf.VARIANTS)


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_custom_fixture_loads(name, results):
    entry = VALID[name]
    folder = VALID_DIR / name
    assert not list(folder.glob("*.safetensors")), "fixtures must not ship weights"
    loads = results[f"valid/{name}"]["loads"]
    failed = {k: v["error"] for k, v in loads.items() if not v["ok"]}
    assert not failed, f"{name}: Auto classes failed to load: {failed}"
    assert {k: v["loaded_as"] for k, v in loads.items()} == entry["loaded_as"]
    not_remote = [k for k, v in loads.items() if not v["remote_code"]]
    assert not not_remote, f"{name}: resolved to built-in classes instead of the repo's code: {not_remote}"
    if "AutoProcessor" in loads:
        assert loads["AutoProcessor"]["is_processor"]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_ground_truth(name, results):
    entry = BROKEN[name]
    got = results[f"broken/{name}"]
    mismatches = []
    for label, want in entry["loads"].items():
        have = got["loads"][label]
        if have["ok"] != want["ok"]:
            mismatches.append(f"{label}: recorded ok={want['ok']} ({want.get('error') or want.get('loaded_as')}), "
                              f"now ok={have['ok']} ({have.get('error') or have.get('loaded_as')})")
        elif want["ok"]:
            for key in ("loaded_as", "remote_code", "is_processor", "attrs"):
                if key in want and have.get(key) != want[key]:
                    mismatches.append(f"{label}: {key} recorded {want[key]!r}, now {have.get(key)!r}")
        elif have["error_type"] != want["error_type"]:
            mismatches.append(f"{label}: recorded {want['error']!r}, now {have['error']!r}")
        if bool(want.get("warning")) and not have.get("warnings"):
            mismatches.append(f"{label}: recorded warning {want['warning']!r}, now none")
    if "side_effect_created_by_transformers" in entry:
        if got.get("side_effect_created") != entry["side_effect_created_by_transformers"]:
            mismatches.append(f"side effect recorded {entry['side_effect_created_by_transformers']}, "
                              f"now {got.get('side_effect_created')}")
    assert not mismatches, f"{name} ({entry['defect']}):\n  " + "\n  ".join(mismatches)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_location_is_real(name):
    """edited_file/edited_line point at an existing line (what a linter should report)."""
    entry = BROKEN[name]
    path = BROKEN_DIR / name / entry["edited_file"]
    assert path.is_file(), f"{name}: {entry['edited_file']} missing"
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    lines = entry["edited_line"] if isinstance(entry["edited_line"], list) else [entry["edited_line"]]
    assert lines and all(1 <= line <= n_lines for line in lines)
