"""`repolint scan --engine dask`: the scan's per-repo function mapped over a Dask cluster
(the ``cluster`` extra: ``pip install 'repolint[cluster]'``).

``DaskPool(address)`` has the interface of ``repolint.scan.pool.LocalPool``::

    with DaskPool("tcp://scheduler:8786") as pool:       # or None: a local cluster
        for record in pool.map_unordered(task, specs):  # as they finish, any order
            ...

- Each item is one Dask task, ``fn(item)``: the whole work of a repo (download and lint) runs
  on one worker, so the folder a worker downloads never has to travel. Results come back with
  ``distributed.as_completed`` as they finish; each is released on the cluster once read.
- At most ``window`` items are in flight (twice the cluster's worker threads, at least 4), and
  ``items`` is read only as results free room: memory stays flat however long the list, and
  a lazy Hub listing is pulled as the cluster works.
- A worker that dies (killed, out of memory) has its task rerun elsewhere by the scheduler;
  a task that killed ``distributed.scheduler.allowed-failures`` + 1 workers (3 + 1 by default)
  ends as ``fn.failed(item, exc)`` — an error record — instead of stopping the scan.
- Leaving the loop early (break, an exception, Ctrl-C) cancels what is in flight.
- ``address=None``: a ``LocalCluster`` on this machine, ``workers`` processes (``jobs`` is
  the same, the local pool's name) sharing ``threads`` threads (no dashboard, no profiler,
  listening on 127.0.0.1 only), closed with the pool. Threads overlap one repo's Hub I/O
  with another's lint (which holds the GIL: one process per core); with one thread a worker
  waits for each download, which halved the throughput on the loopback benchmark
  (scripts/bench_engine.py). A given address is an existing cluster whose workers have the
  same repolint installed (checked on connect); its threads are the workers' own.

Why Dask and not Ray: see README ("Scanning on a cluster").
"""

from __future__ import annotations

import logging
import time
from typing import Iterable, Iterator

from repolint.scan.pool import LocalPool


class EngineError(Exception):
    """The engine cannot run: the extra is missing, the scheduler unreachable, the workers
    lack repolint. The message is one line for the user."""


def _repolint_version() -> str:
    """Run on each worker when connecting: the repolint it imports."""
    import repolint

    return repolint.__version__


class DaskPool:
    def __init__(self, address: str | None = None, workers: int = 2, *, jobs: int | None = None, threads: int = 8,
                 connect_timeout: float | None = None):
        self.address = address
        self.workers = max(1, int(jobs if jobs is not None else workers))
        self.threads_per_worker = max(1, -(-int(threads) // self.workers))  # ceil: each worker at least 1
        self.connect_timeout = connect_timeout  # None: Dask's distributed.comm.timeouts.connect (30 s)
        self._cluster = None
        self._client = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "DaskPool":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        if self._client is not None:
            return
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise EngineError("the dask engine needs the cluster extra: pip install 'repolint[cluster]'") from None
        try:
            if self.address is None:
                import dask

                with dask.config.set({"distributed.worker.profile.enabled": False}):  # its sampling costs CPU
                    self._cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=self.threads_per_worker, processes=True,
                        host="127.0.0.1", dashboard_address=None, worker_dashboard_address=None,
                        silence_logs=logging.ERROR,
                        # its health/metrics HTTP server: any free port, not 8787 (another cluster's)
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
                self._client = Client(self._cluster, set_as_default=False)
            else:
                timeout = {} if self.connect_timeout is None else {"timeout": self.connect_timeout}
                self._client = Client(self.address, set_as_default=False, **timeout)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = self.address or "a local cluster"
            raise EngineError(f"cannot start or reach the Dask scheduler at {where}: {exc}") from None
        self._check_workers()

    def _check_workers(self) -> None:
        from repolint import __version__

        try:  # the scheduler unpickles the tasks too
            versions = {"the scheduler": self._client.run_on_scheduler(_repolint_version),
                        **self._client.run(_repolint_version)}
        except Exception as exc:  # noqa: BLE001 - a process without repolint cannot unpickle the probe
            self.close()
            raise EngineError(f"the Dask scheduler and workers cannot import repolint (install repolint {__version__} "
                              f"on each): {type(exc).__name__}: {' '.join(str(exc).split())}") from None
        wrong = {w: v for w, v in versions.items() if v != __version__}
        if wrong:
            self.close()
            listed = ", ".join(f"{w} has {v}" for w, v in sorted(wrong.items()))
            raise EngineError(f"the Dask workers must run repolint {__version__}: {listed}")

    def close(self) -> None:
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    @property
    def client(self):
        self.start()
        return self._client

    def threads(self) -> int:
        """Worker threads the cluster has now."""
        workers = self.client.scheduler_info().get("workers", {})
        return sum(int(w.get("nthreads", 1)) for w in workers.values())

    # -- the map -----------------------------------------------------------------------------
    def map_unordered(self, fn, items: Iterable) -> Iterator:
        from distributed import as_completed

        client = self.client
        source = iter(items)
        pending: dict = {}  # future -> item
        done = as_completed(loop=client.loop)
        window, measured = 0, 0.0
        exhausted, finished = False, False

        def top_up() -> None:
            nonlocal exhausted
            while not exhausted and len(pending) < window:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    return
                future = client.submit(fn, item, pure=False)
                pending[future] = item
                done.add(future)

        try:
            while True:
                if time.monotonic() - measured > 5.0:  # clusters grow and shrink
                    window, measured = max(4, 2 * self.threads()), time.monotonic()
                top_up()
                if not pending:
                    finished = True
                    return
                future = next(done)
                item = pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001
                    if future.status != "error":  # cancelled, lost, or the result could not be fetched
                        raise EngineError(f"the Dask cluster stopped the scan: {type(exc).__name__}: "
                                          f"{' '.join(str(exc).split())}") from None
                    # the task's own failure (KilledWorker, or fn raised): one result per item
                    result = LocalPool._failed(fn, item, exc)  # fn.failed(item, exc), as the local pool
                finally:
                    future.release()
                yield result
        finally:
            if not finished and pending:
                client.cancel(list(pending), force=True)
            pending.clear()
