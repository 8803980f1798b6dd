"""One `repolint check` per case, in a child process with limits, reaped with os.wait4 so
that each case's own peak RSS and CPU time are known.

Two ways to start the child:
- fork (default): a parent that imported repolint once forks a child per case, which runs
  the CLI's main() on the case. Same isolation as a subprocess (a segfault, a hang or a
  memory blow-up ends only the child) without paying interpreter start-up and imports.
- exec: `python -m repolint check ...`, exactly as a user runs it (slower; --mode exec,
  and every reproducer is re-checked this way).
The child gets RLIMIT_AS (memory), RLIMIT_CPU (the timeout) and a wall-clock alarm() (for a
child that blocks), no core dumps.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass
class Limits:
    timeout: int = 30  # seconds of CPU (SIGXCPU): a niced campaign on a busy machine is slow, not hung
    memory_mb: int = 2048  # address space; the RSS verdict threshold is separate
    wall: int = 90  # seconds of wall clock (SIGALRM): catches a child blocked without using CPU


@dataclass
class Outcome:
    status: int  # as from wait4
    seconds: float
    cpu: float
    max_rss_mb: float
    stdout: bytes
    stderr: bytes

    @property
    def signal(self) -> int | None:
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else None

    @property
    def exit_code(self) -> int | None:
        return os.WEXITSTATUS(self.status) if os.WIFEXITED(self.status) else None


def child_env(cache_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "REPOLINT_DEBUG", "FORCE_COLOR")}
    env.update({"REPOLINT_CACHE_DIR": cache_dir, "NO_COLOR": "1", "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0"})
    return env


def _apply_limits(limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cap = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.timeout, limits.timeout + 5))
    signal.alarm(limits.wall)  # SIGALRM ends the process; kept across exec


def prewarm() -> None:
    """What every case needs, imported once in the fork parent."""
    import importlib

    import repolint.cli  # noqa: F401
    import repolint.diagnostics  # noqa: F401
    import repolint.engine  # noqa: F401
    from repolint.knowledge import DEFAULT_TARGET, Knowledge
    from repolint.registry import all_rules

    all_rules()
    Knowledge.for_target(DEFAULT_TARGET)
    for fmt in ("full", "concise", "json", "sarif", "github"):
        importlib.import_module(f"repolint.reporters.{fmt}")
    try:
        import libcst  # noqa: F401
    except ImportError:
        pass


class Runner:
    """Starts cases (at most ``jobs`` at a time) and reaps whichever ends first."""

    def __init__(self, mode: str, limits: Limits, cache_dir: str, jobs: int = 1):
        self.mode, self.limits, self.jobs = mode, limits, jobs
        self.env = child_env(cache_dir)
        self.running: dict[int, tuple[object, str, float]] = {}  # pid -> (token, case dir, start)
        if mode == "fork":
            os.environ.update(self.env)
            prewarm()

    def busy(self) -> bool:
        return len(self.running) >= self.jobs

    def start(self, token, case_dir: str, args: list[str], mode: str | None = None) -> None:
        argv = ["check", "repo", *args]
        started = time.perf_counter()
        if (mode or self.mode) == "fork":
            pid = self._fork(case_dir, argv)
        else:
            pid = self._exec(case_dir, argv)
        self.running[pid] = (token, case_dir, started)

    def wait(self):
        """(token, Outcome) of the next case to end."""
        pid, status, usage = os.wait4(-1, 0)
        token, case_dir, started = self.running.pop(pid)
        seconds = time.perf_counter() - started
        with open(os.path.join(case_dir, "stdout"), "rb") as fh:
            out = fh.read()
        with open(os.path.join(case_dir, "stderr"), "rb") as fh:
            err = fh.read()
        return token, Outcome(status, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out, err)

    def _fork(self, case_dir: str, argv: list[str]) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return pid
        code = 70
        try:
            _apply_limits(self.limits)
            os.chdir(case_dir)
            _redirect(case_dir)
            sys.argv = ["repolint", *argv]
            from repolint.cli import main

            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - the child reports on its stderr, like the real CLI would
            import traceback

            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)

    def _exec(self, case_dir: str, argv: list[str]) -> int:
        with open(os.path.join(case_dir, "stdout"), "wb") as out, open(os.path.join(case_dir, "stderr"), "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "repolint", *argv], cwd=case_dir, env=self.env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=err, preexec_fn=lambda: _apply_limits(self.limits), start_new_session=True,
            )
        proc.returncode = 0  # reaped by wait(), with its rusage; Popen must not wait for it
        return proc.pid


def _redirect(case_dir: str) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(os.path.join(case_dir, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    os.close(null)
