"""Ground truth: every fixture in tests/fixtures/valid really loads with transformers.

For each fixture in MANIFEST.json, every Auto class listed under
``auto_classes_that_load`` is loaded in a fresh interpreter (HF_HUB_OFFLINE=1,
stdin closed). AutoModel* classes are built with ``from_config`` under
``torch.device("meta")`` (the fixtures carry no weights); the rest use
``from_pretrained``. The resolved class must match ``loaded_as``.

The fixtures are split over one fresh interpreter per CPU, run concurrently,
so the file stays well under a minute (see ``load_results``). Skipped when
transformers or torch is not installed.

Regenerate the fixtures with ``python scripts/make_fixtures.py --out tests/fixtures/valid``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

VALID_DIR = Path(__file__).resolve().parent / "fixtures" / "valid"
MANIFEST_PATH = VALID_DIR / "MANIFEST.json"
TIMEOUT_S = 180

# Runs in the child. argv[1] = JSON {fixture dir: [Auto class names]}.
# Prints one line "RESULT {dir: {auto_class: [ok, resolved class name or "ExcType: first line"]}}".
WORKER = r"""
import json, sys
import torch, transformers
transformers.utils.logging.set_verbosity_error()
jobs = json.loads(sys.argv[1])
results = {}
for folder, classes in jobs.items():
    out = results[folder] = {}
    for name in classes:
        try:
            auto = getattr(transformers, name)
            if name.startswith("AutoModel"):
                config = transformers.AutoConfig.from_pretrained(folder)
                with torch.device("meta"):
                    obj = auto.from_config(config)
                arch = (config.architectures or [None])[0]
                if type(obj).__name__ != arch:
                    raise AssertionError(f"built {type(obj).__name__}, architectures says {arch}")
            else:
                obj = auto.from_pretrained(folder)
                if name == "AutoProcessor" and not isinstance(obj, transformers.ProcessorMixin):
                    raise AssertionError(f"AutoProcessor fell back to {type(obj).__name__}")
            out[name] = [True, type(obj).__name__]
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            out[name] = [False, f"{type(exc).__name__}: {first}"]
print("RESULT " + json.dumps(results))
"""


def _manifest() -> dict:
    if not MANIFEST_PATH.is_file():
        return {}
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


MANIFEST = _manifest()


def _child_env() -> dict:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        TOKENIZERS_PARALLELISM="false",
        # one thread per child: the children already run in parallel
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _load_in_subprocess(names: list[str]) -> dict:
    """Load the given fixtures in one fresh interpreter; return {name: {auto_class: [ok, info]}}."""
    jobs = {str(VALID_DIR / n): MANIFEST[n]["auto_classes_that_load"] for n in names}
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(jobs)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=_child_env(),
        cwd=str(VALID_DIR),
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            by_dir = json.loads(line[len("RESULT "):])
            return {n: by_dir[str(VALID_DIR / n)] for n in names}
    raise AssertionError(
        f"loader subprocess for {names} exited {proc.returncode} without a result\n"
        f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-4000:]}"
    )


@pytest.fixture(scope="module")
def load_results():
    """Split the fixtures over one fresh interpreter per CPU, run them concurrently.

    A cold ``import torch, transformers`` costs several seconds, so one
    interpreter per fixture would take well over a minute on 2 cores; one per
    CPU keeps the whole file around 15 s. Set REPOLINT_FIXTURE_PROCS to change
    the number of interpreters (e.g. to len(MANIFEST) for one per fixture).
    """
    names = sorted(MANIFEST)
    n_procs = int(os.environ.get("REPOLINT_FIXTURE_PROCS", "0")) or (os.cpu_count() or 1)
    n_procs = max(1, min(len(names), n_procs))
    chunks = [names[i::n_procs] for i in range(n_procs)]
    pool = ThreadPoolExecutor(max_workers=n_procs)
    chunk_futures = [pool.submit(_load_in_subprocess, chunk) for chunk in chunks]
    futures = {name: (fut, name) for chunk, fut in zip(chunks, chunk_futures) for name in chunk}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def test_manifest_present_and_broad():
    assert MANIFEST, f"{MANIFEST_PATH} missing or empty: run scripts/make_fixtures.py"
    kinds = {entry["kind"] for entry in MANIFEST.values()}
    assert {"text", "vision", "audio", "multimodal"} <= kinds
    assert len({entry["model_type"] for entry in MANIFEST.values()}) >= 12


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_fixture_loads(name, load_results):
    entry = MANIFEST[name]
    folder = VALID_DIR / name
    assert (folder / "config.json").is_file()
    assert not list(folder.glob("*.safetensors")), "fixtures must not ship weights"
    assert json.loads((folder / "config.json").read_text(encoding="utf-8"))["model_type"] == entry["model_type"]

    future, _ = load_results[name]
    results = future.result(timeout=TIMEOUT_S)[name]
    failed = {k: v[1] for k, v in results.items() if not v[0]}
    assert not failed, f"{name}: Auto classes failed to load: {failed}"
    assert set(results) == set(entry["auto_classes_that_load"])
    expected = entry.get("loaded_as")
    if expected is not None:
        resolved = {k: _backend_neutral(v[1]) for k, v in results.items()}
        expected = {k: _backend_neutral(v) for k, v in expected.items()}
        assert resolved == expected, f"{name}: resolved classes changed: {resolved} != {expected}"


def _backend_neutral(class_name: str) -> str:
    # Without torchvision, AutoImageProcessor resolves to the PIL backend class
    # ("ViTImageProcessorPil"); with it, to "ViTImageProcessor". Both are fine.
    return class_name.removesuffix("Pil")
