"""`repolint scan` behind its options: inputs -> engine -> scan.jsonl, with progress.

Exit codes: 0 the scan went through every repo (whatever it found, and whether or not some
repos ended as error records); 1 the same, with --fail-on-findings, when a repo breaks on a
target (an error-level finding); 2 usage error, or the Hub query could not be listed;
130 interrupted by Ctrl-C (the file is valid; --resume continues).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass

from repolint.scan.work import ScanTask, record_key


class UsageError(Exception):
    """One line for ``repolint: error: ...``, exit 2."""


@dataclass
class ScanOptions:
    specs_file: str | None
    author: str | None
    search: str | None
    filters: tuple[str, ...]
    limit: int | None
    output: str | None
    resume: bool
    overwrite: bool
    stage: str
    targets: tuple[str, ...]
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    jobs: int
    threads: int
    engine: str
    address: str | None
    rate: str
    retries: int
    timeout: float | None
    endpoint: str | None
    cache_dir: str | None
    no_cache: bool
    progress: bool | None
    fail_on_findings: bool


def parse_rate(text: str) -> tuple[int, float]:
    """"3000/300", "3000/5m", "10/1s" -> (requests, seconds)."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not m or int(m[1]) < 1 or float(m[2]) <= 0:
        raise UsageError(f"--rate {text!r}: expected REQUESTS/SECONDS, e.g. 3000/300 or 3000/5m")
    return int(m[1]), float(m[2]) * {"": 1, "s": 1, "m": 60, "h": 3600}[m[3]]


def _source(opts: ScanOptions, settings: dict, done: set):
    """(entries iterator, total or None)."""
    from itertools import islice

    from repolint.scan import inputs

    query = opts.author or opts.search or opts.filters
    if opts.specs_file and query:
        raise UsageError("give a file of repo ids or a Hub query (--author/--search/--filter), not both")
    if opts.specs_file:
        if opts.specs_file != "-":
            try:
                with open(opts.specs_file, "rb"):
                    pass
            except OSError as exc:
                raise UsageError(f"{opts.specs_file}: {exc.strerror or exc}") from None
        total = inputs.count_specs(opts.specs_file)
        specs = inputs.iter_specs(opts.specs_file)
        if opts.limit is not None:
            specs = islice(specs, opts.limit)
            total = min(total, opts.limit) if total is not None else opts.limit
        return inputs.resolve_specs(specs, settings, opts.threads,
                                    known=lambda repo, commit: ("commit", repo, commit) in done), total
    if not query:
        raise UsageError("nothing to scan: give a file of repo ids (owner/name[@rev] a line), or --author/--search/--filter")
    return inputs.query_entries(settings, author=opts.author, search=opts.search, filters=opts.filters,
                                limit=opts.limit), opts.limit


def _pool(opts: ScanOptions):
    """(the engine, the exception types that say it cannot run)."""
    if opts.engine == "dask":
        try:
            from repolint.scan import dask_pool
        except ImportError as exc:
            raise UsageError(f"--engine dask needs the cluster extra: pip install 'repolint[cluster]' ({exc})") from None
        return dask_pool.DaskPool(address=opts.address, jobs=opts.jobs), (dask_pool.EngineError,)
    if opts.address:
        raise UsageError("--address goes with --engine dask")
    from repolint.scan.pool import LocalPool

    return LocalPool(jobs=opts.jobs, threads=opts.threads), ()


def scan(opts: ScanOptions, err=None) -> int:
    """Run a scan; the exit code. Raises UsageError."""
    from repolint.config import ConfigError
    from repolint.knowledge import UnknownTarget
    from repolint.scan import hubio
    from repolint.scan.inputs import ListingError
    from repolint.scan.output import Output, OutputError
    from repolint.scan.progress import Progress
    from repolint.scan.work import make_settings

    err = err or sys.stderr
    rate = parse_rate(opts.rate)
    tmp = _scratch() if opts.engine == "local" else None
    out = Output(opts.output, resume=opts.resume, overwrite=opts.overwrite)
    try:
        try:
            settings = make_settings(stage=opts.stage, targets=list(opts.targets), select=opts.select,
                                     extend_select=opts.extend_select, ignore=opts.ignore, endpoint=opts.endpoint,
                                     timeout=opts.timeout, retries=opts.retries, rate=rate, cache_dir=opts.cache_dir,
                                     tmp_dir=tmp, no_cache=opts.no_cache)
            _check_rules(settings)
            done: set = set()  # filled by out.open; read by the sources as they go
            entries, total = _source(opts, settings, done)
            done |= out.open(settings["stage"], settings["targets"])
        except (ConfigError, UnknownTarget, OutputError) as exc:
            raise UsageError(str(exc)) from None
        if out.resume and (out.kept or out.dropped or out.repaired):
            err.write(f"scan: resuming {opts.output}: {out.kept} repos done"
                      f"{f', {out.dropped} error records to retry' if out.dropped else ''}"
                      f"{', a cut last line removed' if out.repaired else ''}\n")
        progress = Progress(total, err, tty=None if opts.progress is None else opts.progress)
        breaking = False
        engine, engine_errors = _pool(opts)
        try:
            with hubio.session(*rate), engine as pool:
                for rec in pool.map_unordered(ScanTask(settings), _fresh(entries, done, progress)):
                    out.write(rec)
                    progress.update(rec)
                    breaking = breaking or "breaks" in rec["verdicts"].values()
        except KeyboardInterrupt:
            progress.close(f"scan: interrupted; {out.written} records written"
                           f"{f' to {opts.output}; --resume continues' if out.path else ''}")
            return 130
        except engine_errors as exc:
            raise UsageError(str(exc)) from None
        except ListingError as exc:  # what is written stays valid
            raise UsageError(f"{exc}; {out.written} records written{'; --resume continues' if out.path else ''}") from None
        progress.close(_summary(progress, out, hubio.current()))
        return 1 if opts.fail_on_findings and breaking else 0
    finally:
        out.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


SCRATCH_PREFIX = "repolint-scan-"


def _scratch() -> str:
    """This scan's folder for the repos' folder views (removed at the end), named after the
    process; those of scans that were killed (their process is gone) are removed first."""
    base = tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(base) if n.startswith(SCRATCH_PREFIX)]
    except OSError:
        names = []
    for name in names:
        pid = name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
    path = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
    # again at exit, after the I/O threads of an interrupted scan have stopped writing into it
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _check_rules(settings: dict) -> None:
    from repolint.config import Settings

    Settings(select=settings["select"] or ["ALL"], extend_select=settings["extend_select"],
             ignore=settings["ignore"]).resolve()  # ConfigError for an unknown rule


def _fresh(entries, done: set, progress):
    """Entries not done yet, each (repo, commit) once."""
    seen = set()
    for entry in entries:
        if entry.get("skip"):
            progress.skip()
            continue
        key = record_key(entry)  # (repo, commit); the spec of a repo that could not be listed
        if key in done or key in seen:
            progress.skip()
            continue
        seen.add(key)
        yield entry


def _summary(progress, out, budget) -> str:
    seconds = progress.elapsed()
    text = (f"scan: {progress.done} repos in {seconds:.1f} s ({progress.rate():.1f} repos/s): "
            f"{progress.done - progress.errors} ok, {progress.errors} errors; "
            f"{progress.breaking} break on a target, {progress.findings} findings")
    if progress.skipped:
        text += f"; {progress.skipped} skipped (already scanned)"
    if budget is not None:
        stats = budget.stats()
        text += f"; Hub: {stats['requests']} requests, {stats['rate_limited']} rate-limited"
    if out.path:
        text += f"; records in {out.path}"
    return text
