"""Progress of a scan on stderr: a bar with rate and ETA on a terminal; otherwise a plain
line every minute and a summary at the end."""

from __future__ import annotations

import sys
import threading
import time


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, total: int | None, stream=None, tty: bool | None = None, every: float = 60.0):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = total
        self.every = every if not self.tty else 0.1
        self.done = self.errors = self.breaking = self.findings = 0
        self.skipped = 0  # already in the output file (--resume), or a duplicate
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._last = self._start
        self._width = 0

    def skip(self) -> None:
        with self._lock:
            self.skipped += 1

    def update(self, rec: dict) -> None:
        self.done += 1
        if rec.get("status") != "ok":
            self.errors += 1
        if "breaks" in (rec.get("verdicts") or {}).values():
            self.breaking += 1
        self.findings += len(rec.get("findings") or ())
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._show(self.line(now))

    def rate(self, now: float | None = None) -> float:
        elapsed = (now or time.monotonic()) - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, now: float | None = None) -> str:
        now = now or time.monotonic()
        rate = self.rate(now)
        left = None if self.total is None else max(0, self.total - self.skipped - self.done)
        parts = []
        if left is not None and self.total:
            todo = max(1, self.total - self.skipped)
            filled = int(24 * min(1.0, self.done / todo))
            parts.append(f"[{'#' * filled}{'.' * (24 - filled)}] {self.done}/{todo}")
        else:
            parts.append(f"{self.done} repos")
        parts.append(f"{rate:.1f} repos/s")
        if left is not None and rate > 0:
            parts.append(f"ETA {_clock(left / rate)}")
        parts.append(f"{self.errors} errors, {self.breaking} breaking")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        return "scan: " + "  ".join(parts)

    def _show(self, text: str) -> None:
        if self.tty:
            pad = max(0, self._width - len(text))
            self._width = len(text)
            self.stream.write("\r" + text + " " * pad)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self, summary: str) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
        self.stream.write(summary + "\n")
        self.stream.flush()

    def elapsed(self) -> float:
        return time.monotonic() - self._start
