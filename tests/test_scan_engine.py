"""`repolint scan --engine dask`: repolint.scan.dask_pool.DaskPool in Dask's local mode (a
LocalCluster of two worker processes, one thread each) maps the scan's per-repo function
(repolint.scan.work) over repos served by the loopback Hub (tests/hubserver.py) and gives the
same records as the local pool; results stream with a bounded number in flight; a worker
killed mid-task has its task rerun, or, past the scheduler's allowed failures, an error record;
leaving the loop early cancels the rest."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")  # the cluster extra; the test extra installs it

from hubserver import HubServer, fake_sha  # noqa: E402
from repolint.scan.dask_pool import DaskPool, EngineError  # noqa: E402
from repolint.scan.pool import LocalPool  # noqa: E402
from repolint.scan.work import ScanTask, make_settings  # noqa: E402

HERE = Path(__file__).parent


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


BERT = files_of(HERE / "fixtures" / "valid" / "bert")
REPOS = {
    "acme/bert": {fake_sha("bert"): BERT},
    "acme/lama": {fake_sha("lama"): {**BERT, "config.json": BERT["config.json"].replace(b'"bert"', b'"lama"')}},
    "acme/broken": {fake_sha("broken"): files_of(HERE.parent / "examples" / "broken-model")},
    "acme/custom": {fake_sha("custom"): files_of(HERE / "fixtures" / "custom_broken" / "automap_module_missing")},
}
SPECS = ["acme/bert", "acme/lama", "acme/broken", f"acme/custom@{fake_sha('custom')}", "acme/missing", "not a spec"]


@pytest.fixture(scope="module", autouse=True)
def _clean_hf_env():
    """Worker processes and CLI runs inherit os.environ: other test modules set HF_HUB_OFFLINE=1
    there at import (tests/oracle.py, ...), which would make every worker's download fail."""
    from test_hub_source import HF_VARS

    with pytest.MonkeyPatch.context() as mp:
        for var in HF_VARS:
            mp.delenv(var, raising=False)
        mp.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        yield


@pytest.fixture(scope="module")
def hub():
    with HubServer(REPOS) as server:
        yield server


@pytest.fixture(scope="module")
def task(hub, tmp_path_factory):
    cache = tmp_path_factory.mktemp("hf-cache")
    return ScanTask(make_settings(stage="full", endpoint=hub.url, cache_dir=str(cache), timeout=10, retries=1,
                                  tmp_dir=str(tmp_path_factory.mktemp("views"))))


@pytest.fixture(scope="module")
def pool():
    with DaskPool(None, workers=2, threads=2) as engine:  # two single-threaded worker processes
        yield engine


def comparable(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("timings", "finished")}


def by_spec(records) -> dict:
    records = list(records)
    specs = [r["spec"] for r in records]
    assert len(specs) == len(set(specs)), specs
    return {r["spec"]: comparable(r) for r in records}


# -- top-level functions: Dask ships them to the workers by reference -----------------------

def slow_identity(item):
    time.sleep(0.05)
    return item


class DyingTask(ScanTask):
    """Kills the worker process that runs ``spec`` — once (a marker file says it happened), or
    every time."""

    def __init__(self, settings, spec, marker, always=False):
        super().__init__(settings)
        self.spec, self.marker, self.always = spec, marker, always

    def __call__(self, spec):
        if spec == self.spec and (self.always or not os.path.exists(self.marker)):
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(17)
        return super().__call__(spec)


# -- tests ------------------------------------------------------------------------------------

def test_local_cluster_has_two_single_threaded_workers(pool):
    workers = pool.client.scheduler_info()["workers"]
    assert len(workers) == 2 and [w["nthreads"] for w in workers.values()] == [1, 1]
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)
    pids = set(pool.client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids  # processes, not threads of this one


def test_threads_are_shared_by_the_local_workers():
    with DaskPool(None, jobs=2, threads=7) as engine:
        workers = engine.client.scheduler_info()["workers"]
        assert sorted(w["nthreads"] for w in workers.values()) == [4, 4] and engine.threads() == 8
        assert sorted(engine.map_unordered(slow_identity, range(20))) == list(range(20))
        address = engine.client.scheduler.address
    assert DaskPool(None, 3, threads=1).threads_per_worker == 1
    with pytest.raises(EngineError):  # closed with the pool
        DaskPool(address, connect_timeout=1).start()


def test_dask_gives_the_local_pools_records(pool, task):
    with LocalPool(jobs=1, threads=2) as local:
        expected = by_spec(local.map_unordered(task, SPECS))
    got = by_spec(pool.map_unordered(task, SPECS))
    assert got == expected
    # the records are real: a clean repo, a broken one, errors for what cannot be scanned
    assert got["acme/bert"]["status"] == "ok" and set(got["acme/bert"]["verdicts"].values()) == {"loads"}
    assert "breaks" in got["acme/lama"]["verdicts"].values()
    assert {f["code"] for f in got["acme/lama"]["findings"]} >= {"RL201"}
    assert got["acme/missing"]["status"] == "error" and got["acme/missing"]["error"]["type"] == "RepoNotFound"
    assert got["not a spec"]["status"] == "error"


def test_results_stream_with_a_bounded_window(pool):
    pulled = 0
    most_in_flight = 0

    def items():
        nonlocal pulled
        for i in range(60):
            pulled += 1
            yield i

    seen = []
    for result in pool.map_unordered(slow_identity, items()):
        seen.append(result)
        most_in_flight = max(most_in_flight, pulled - len(seen) + 1)
    assert sorted(seen) == list(range(60))
    assert most_in_flight <= 4  # 2 x the cluster's 2 worker threads


def test_a_killed_worker_has_its_task_rerun(pool, task, tmp_path):
    marker = tmp_path / "killed"
    dying = DyingTask(task.settings, "acme/lama", str(marker))
    got = by_spec(pool.map_unordered(dying, SPECS))
    assert marker.exists()  # a worker really died
    assert got == by_spec(pool.map_unordered(task, SPECS))
    deadline = time.monotonic() + 60  # the nanny restarts it
    while len(pool.client.scheduler_info()["workers"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)


def test_a_task_that_kills_every_worker_becomes_an_error_record(pool, task, tmp_path):
    def set_allowed(dask_scheduler, n):
        old, dask_scheduler.allowed_failures = dask_scheduler.allowed_failures, n
        return old

    old = pool.client.run_on_scheduler(set_allowed, n=0)
    try:
        dying = DyingTask(task.settings, "acme/bert", str(tmp_path / "killed"), always=True)
        got = by_spec(pool.map_unordered(dying, SPECS))
    finally:
        pool.client.run_on_scheduler(set_allowed, n=old)
    assert set(got) == set(SPECS)
    assert got["acme/bert"]["status"] == "error" and got["acme/bert"]["error"]["type"] == "InternalError"
    assert "KilledWorker" in got["acme/bert"]["error"]["message"]
    assert got["acme/lama"]["status"] == "ok"  # the others go on


def test_leaving_early_cancels_the_rest(pool):
    results = pool.map_unordered(slow_identity, iter(range(1000)))
    first = next(results)
    results.close()
    assert first in range(1000)

    def tasks(dask_scheduler):
        return len(dask_scheduler.tasks)

    deadline = time.monotonic() + 30
    while pool.client.run_on_scheduler(tasks) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pool.client.run_on_scheduler(tasks) == 0


def test_unreachable_scheduler_is_one_line():
    with pytest.raises(EngineError) as info:
        DaskPool("tcp://127.0.0.1:9", connect_timeout=2).start()
    assert "tcp://127.0.0.1:9" in str(info.value) and "\n" not in str(info.value)


# -- the command line ---------------------------------------------------------------------------

def run_cli(*args, env=None):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "repolint", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_scan_on_an_existing_cluster_then_report(pool, hub, task, tmp_path):
    """`repolint scan --engine dask --address tcp://...` against a running scheduler (this
    module's local cluster), as against a real one; the records are the in-process engine's,
    and `repolint report` draws them."""
    specs = tmp_path / "repos.txt"
    specs.write_text("\n".join(SPECS[:5]) + "\n", encoding="utf-8")
    out = tmp_path / "scan.jsonl"
    proc = run_cli("scan", specs, "--engine", "dask", "--address", pool.client.scheduler.address,
                   "--endpoint", hub.url, "--cache-dir", task.settings["cache_dir"], "--timeout", "10",
                   "--retries", "1", "-o", out, "--no-progress")
    assert proc.returncode == 0, proc.stderr
    import json

    got = by_spec(json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert got == by_spec(pool.map_unordered(task, SPECS[:5]))
    html = tmp_path / "report.html"
    proc = run_cli("report", out, "-o", html)
    assert proc.returncode == 0 and html.read_text(encoding="utf-8").count('<g class="bar"') > 0, proc.stderr
    md = run_cli("report", out).stdout
    assert "5 repos in" in md and "| RepoNotFound | 1 |" in md


def test_scan_with_an_unreachable_scheduler_is_a_usage_error(tmp_path):
    specs = tmp_path / "repos.txt"
    specs.write_text("acme/bert\n", encoding="utf-8")
    proc = run_cli("scan", specs, "--engine", "dask", "--address", "tcp://127.0.0.1:9", "-o", tmp_path / "s.jsonl",
                   "--no-progress", env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})  # Dask's own setting
    assert proc.returncode == 2 and proc.stderr.startswith("repolint: error: "), proc.stderr
    assert "tcp://127.0.0.1:9" in proc.stderr


def test_losing_the_scheduler_stops_the_scan_with_an_engine_error():
    """A cluster that goes away is the engine's failure, not the repos': no error records for
    the repos in flight, an EngineError (the CLI: one line, exit 2; --resume continues)."""
    import socket
    import subprocess
    import sys

    import dask

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    common = ["--dashboard-address", "127.0.0.1:0"]
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), *common], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                       "--host", "127.0.0.1", *common], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        results = []
        with dask.config.set({"distributed.comm.timeouts.connect": "5s"}), DaskPool(address, connect_timeout=60) as engine:
            with pytest.raises(EngineError) as info:
                for result in engine.map_unordered(slow_identity, range(500)):
                    results.append(result)
                    if len(results) == 5:
                        procs[0].kill()
        assert "scheduler" in str(info.value) and "\n" not in str(info.value)
        assert 5 <= len(results) < 500 and len(set(results)) == len(results)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
