"""Engines that map a scan's per-repo function over its repos.

The interface every engine implements (``LocalPool`` here; ``DaskPool`` in
``repolint.scan.dask_pool``, constructed as ``DaskPool(address=None | "tcp://host:8786",
jobs=N)``, where no address means a local cluster of ``jobs`` workers)::

    with Pool(...) as pool:
        for result in pool.map_unordered(fn, items):   # results as they finish, any order
            ...

- ``fn`` is picklable; ``fn(item)`` is the whole work of one item (for a scan, a
  ``repolint.scan.work.ScanTask``: ``fn(item) == lint_spec(item, settings)``). An engine may
  also use ``fn.prepare(item) -> prepared`` and ``fn.finish(prepared) -> result`` when it has
  them, to run the I/O half and the CPU half apart, and ``fn.failed(item, exc) -> result``
  for an item whose worker died.
- ``items`` is any iterable, possibly lazy and long (a Hub listing): it is consumed as
  capacity frees up, never all at once, so memory stays flat in the number of items.
- Every item gives exactly one result. Leaving the loop early (an exception, Ctrl-C, a
  ``break``) stops the work: nothing is left running.

``LocalPool(jobs, threads)``: ``fn.prepare`` in ``threads`` threads (Hub I/O), ``fn.finish``
in ``jobs`` worker processes (``jobs == 1``: in this process, between the threads' work).
"""

from __future__ import annotations

import os
import queue
import signal
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, CancelledError, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

_END = object()


def _ignore_sigint() -> None:
    """Worker processes leave Ctrl-C to the main process, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Feeder:
    """Pulls items from an iterable in a thread (it may block on the network) into a small
    queue; an exception of the iterable is handed over and re-raised by ``get``."""

    def __init__(self, items: Iterable, size: int):
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, size))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), name="repolint-feeder", daemon=True)
        self._thread.start()

    def _run(self, items) -> None:
        try:
            for item in items:
                while not self._put(("item", item)):
                    if self._stop.is_set():
                        return
            self._put_final(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._put_final(("error", exc))

    def _put(self, value) -> bool:
        try:
            self._queue.put(value, timeout=0.2)
            return True
        except queue.Full:
            return False

    def _put_final(self, value) -> None:
        while not self._stop.is_set() and not self._put(value):
            pass

    def get(self, timeout: float | None):
        """The next item, ``_END``, or None when none arrived within ``timeout``."""
        try:
            kind, value = self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
        except queue.Empty:
            return None
        if kind == "error":
            raise value
        return _END if kind == "end" else ("item", value)

    def stop(self) -> None:
        self._stop.set()


class LocalPool:
    """This machine: I/O in threads, CPU in worker processes (see the module docstring)."""

    def __init__(self, jobs: int = 1, threads: int = 8):
        self.jobs = max(1, int(jobs))
        self.threads = max(1, int(threads))
        self._procs: ProcessPoolExecutor | None = None

    def __enter__(self) -> "LocalPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self, kill: bool = False) -> None:
        procs, self._procs = self._procs, None
        if procs is None:
            return
        if kill:
            for p in list(getattr(procs, "_processes", {}).values()):
                p.terminate()
        procs.shutdown(wait=not kill, cancel_futures=True)

    def _process_pool(self) -> ProcessPoolExecutor:
        if self._procs is None:
            import multiprocessing

            # forkserver: workers are not forked from a process that runs threads
            ctx = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
            if os.name == "posix":
                ctx.set_forkserver_preload(["repolint.scan.work"])
            self._procs = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_ignore_sigint)
        return self._procs

    def map_unordered(self, fn, items: Iterable) -> Iterator:
        staged = callable(getattr(fn, "prepare", None)) and callable(getattr(fn, "finish", None))
        first = fn.prepare if staged else None
        second = fn.finish if staged else fn
        inline = self.jobs == 1
        window = self.threads + 2 * self.jobs  # items taken but not finished: bounds memory and temp folders
        feeder = _Feeder(items, window)
        io = ThreadPoolExecutor(self.threads, thread_name_prefix="repolint-io") if staged else None
        io_pending: dict = {}  # future -> item
        cpu_pending: dict = {}  # future -> prepared
        ready: deque = deque()  # prepared, for the inline second half
        exhausted = False
        clean = False
        try:
            while True:
                # collect the finished first halves; hand them to the second half
                for future in [f for f in io_pending if f.done()]:
                    item = io_pending.pop(future)
                    try:
                        prepared = future.result()
                    except Exception as exc:  # noqa: BLE001 - the engine's contract: one result per item
                        yield self._failed(fn, item, exc)
                        continue
                    self._second(second, prepared, inline, ready, cpu_pending)
                for future in [f for f in cpu_pending if f.done()]:
                    prepared = cpu_pending.pop(future)
                    try:
                        yield future.result()
                    except (BrokenProcessPool, CancelledError) as exc:
                        # a worker died (its pool's other futures come back cancelled): a new pool for the rest
                        self.close(kill=True)
                        yield self._failed(fn, prepared, exc)
                # take new items while there is room
                while not exhausted and len(io_pending) + len(cpu_pending) + len(ready) < window:
                    got = feeder.get(None)
                    if got is None:
                        break
                    if got is _END:
                        exhausted = True
                        break
                    if staged:
                        io_pending[io.submit(first, got[1])] = got[1]
                    else:
                        self._second(second, got[1], inline, ready, cpu_pending)
                if ready:
                    yield second(ready.popleft())
                    continue
                pending = list(io_pending) + list(cpu_pending)
                if pending:  # short while the window has room: new items may be waiting
                    room = not exhausted and len(pending) + len(ready) < window
                    wait(pending, timeout=0.02 if room else 0.2, return_when=FIRST_COMPLETED)
                elif exhausted:
                    clean = True
                    return
                else:
                    got = feeder.get(0.2)  # wait for the iterable
                    if got is _END:
                        exhausted = True
                    elif got is not None:
                        if staged:
                            io_pending[io.submit(first, got[1])] = got[1]
                        else:
                            self._second(second, got[1], inline, ready, cpu_pending)
        finally:
            feeder.stop()
            if io is not None:
                io.shutdown(wait=clean, cancel_futures=True)
            if not clean:
                cancel = getattr(fn, "cancel", None)
                if callable(cancel):
                    cancel()
                self.close(kill=True)

    def _second(self, second, prepared, inline: bool, ready: deque, cpu_pending: dict) -> None:
        if inline:
            ready.append(prepared)
            return
        try:
            cpu_pending[self._process_pool().submit(second, prepared)] = prepared
        except BrokenProcessPool:
            self.close(kill=True)
            cpu_pending[self._process_pool().submit(second, prepared)] = prepared

    @staticmethod
    def _failed(fn, item, exc: BaseException):
        failed = getattr(fn, "failed", None)
        if callable(failed):
            return failed(item, exc)
        raise exc
