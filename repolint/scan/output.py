"""scan.jsonl: one record a line, appended and synced as each repo finishes.

Each record is written with one ``write`` of the whole line, then ``fsync``, with Ctrl-C
held back until both are done: a killed scan leaves at most a cut last line, and an
interrupted one none. ``--resume`` reads the file back: a cut last line (SIGKILL in the
middle of a write) is removed, error records and unreadable lines are dropped (those repos
are scanned again), and the (repo, commit) of every ok record is returned so the scan
skips it. A file written with another --stage or other targets is not resumed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading

from repolint.scan.work import SCHEMA, record_key


class OutputError(Exception):
    """A usage problem with the output file; one line."""


@contextlib.contextmanager
def _hold_sigint():
    """Ctrl-C arriving inside the block is raised when it ends (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    try:
        old = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        if caught:
            raise KeyboardInterrupt


class Output:
    """``path`` None or "-": stdout (no resume)."""

    def __init__(self, path: str | None, *, resume: bool = False, overwrite: bool = False):
        self.path = None if path in (None, "-") else path
        self.resume = resume
        self.overwrite = overwrite
        self._fd: int | None = None
        self.kept = 0  # ok records found on resume
        self.dropped = 0  # error records / unreadable lines dropped on resume
        self.repaired = False  # a cut last line was removed
        self.written = 0

    def open(self, stage: str, targets: list[str]) -> set:
        """Open for appending; the resume keys of the records already done."""
        done: set = set()
        if self.path is None:
            if self.resume:
                raise OutputError("--resume needs an output file (-o scan.jsonl)")
            return done
        exists = os.path.exists(self.path) and os.path.getsize(self.path) > 0
        if exists and not (self.resume or self.overwrite):
            raise OutputError(f"{self.path} exists; --resume continues that scan, --overwrite starts a new one")
        try:
            if exists and self.resume:
                done = self._load(stage, targets)
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if not self.resume else 0)
            self._fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        return done

    def _load(self, stage: str, targets: list[str]) -> set:
        self._repair_tail()
        done, keep_all = set(), True
        with open(self.path, "rb") as fh:
            for line in fh:
                rec = _parse(line)
                if rec is None or rec.get("status") != "ok":
                    keep_all = False
                    continue
                if rec.get("stage") != stage or rec.get("targets") != list(targets):
                    raise OutputError(
                        f"{self.path} was written with --stage {rec.get('stage')} and targets "
                        f"{', '.join(map(str, rec.get('targets') or []))}; resume it with the same options, "
                        "or write a new file")
                done.add(record_key(rec))
        self.kept = len(done)
        if not keep_all:
            self._compact()
        return done

    def _repair_tail(self) -> None:
        """Cut a last line that has no newline (a write killed half-way)."""
        with open(self.path, "rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            pos, block = size, 65536
            while pos > 0:  # find the last newline, reading backwards
                start = max(0, pos - block)
                fh.seek(start)
                chunk = fh.read(pos - start)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    pos = start + nl + 1
                    break
                pos = start
            fh.truncate(pos)
            fh.flush()
            os.fsync(fh.fileno())
            self.repaired = True

    def _compact(self) -> None:
        """Rewrite the file without error records and unreadable lines (atomically)."""
        tmp = f"{self.path}.resume-tmp"
        with open(self.path, "rb") as src, open(tmp, "wb") as dst:
            for line in src:
                rec = _parse(line)
                if rec is not None and rec.get("status") == "ok":
                    dst.write(line)
                else:
                    self.dropped += 1
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, self.path)
        _sync_dir(os.path.dirname(os.path.abspath(self.path)))

    def write(self, rec: dict) -> None:
        from repolint.reporters import no_surrogates  # a "\\udXXX" from a repo's JSON: strict readers refuse it

        data = (json.dumps(no_surrogates(rec), ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
        with _hold_sigint():
            if self._fd is None:
                sys.stdout.write(data.decode("ascii"))
                sys.stdout.flush()
            else:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view):]
                os.fsync(self._fd)
            self.written += 1

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _parse(line: bytes) -> dict | None:
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) and rec.get("schema") == SCHEMA else None


def _sync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_records(path: str):
    """The records of a scan file, skipping a cut last line (for tests and readers)."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.endswith(b"\n"):
                rec = _parse(line)
                if rec is not None:
                    yield rec
