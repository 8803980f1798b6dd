"""Talking to the Hub at scan scale: a request budget, backoff, and errors as record fields.

- ``Budget``: at most ``requests`` HTTP requests in any ``period`` seconds (a sliding window:
  the Hub's limit is about 3,000 requests per 5 minutes), shared by every thread of the
  process, plus a pause that a 429 / 503 answer imposes on all of them (its ``Retry-After``
  seconds, else an exponential backoff). ``install(requests, period)`` hooks it into
  huggingface_hub's HTTP client (``set_client_factory``), so every request huggingface_hub
  and repolint.sources make (metadata, listing pages, downloads, range requests) while a
  ``session`` is open is counted and throttled. One budget per process: a process that scans
  (the local pool's I/O threads, or one worker of a distributed engine) installs it once.
- ``with_retries(op, retries)``: runs ``op``; a rate limit, a 5xx answer, a timeout or a
  broken connection is retried after the server's ``Retry-After`` or an exponential
  backoff with jitter; anything else (404, 401, ...) is raised at once.
- ``classify(exc)``: the ``{"type", "message"}`` of an error record (the format is in
  ``repolint.scan.work.record``): RepoNotFound, RevisionNotFound, GatedRepo, EntryNotFound,
  DisabledRepo, RateLimited, HTTPError, Timeout, ConnectionError, SourceError, InternalError.

huggingface_hub is imported on first use only.
"""

from __future__ import annotations

import collections
import contextlib
import email.utils
import fnmatch
import logging
import random
import threading
import time

from repolint.sources import _chain  # the exception chain, as sources explains fetch errors

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_PAUSE = 300.0  # seconds: a Retry-After beyond this is capped


_CANCEL = threading.Event()


class Cancelled(Exception):
    """The scan is stopping: no more requests."""


def cancel() -> None:
    """Fail every request still to come in this process (a stopping scan)."""
    _CANCEL.set()


class Budget:
    """A sliding-window request budget with a shared pause. Thread-safe."""

    def __init__(self, requests: int, period: float):
        self.configure(requests, period)
        self._lock = threading.Lock()
        self._sent: collections.deque[float] = collections.deque()
        self._pause_until = 0.0
        self._strikes = 0  # consecutive rate-limited answers (the backoff's exponent)
        self.requests = 0  # sent through this budget
        self.limited = 0  # answers that were 429 / 503
        self.waited = 0.0  # seconds requests spent waiting for the budget or a pause

    def configure(self, requests: int, period: float) -> None:
        if requests < 1 or period <= 0:
            raise ValueError("a request budget needs at least 1 request per positive period")
        self.limit, self.period = int(requests), float(period)

    def acquire(self) -> None:
        """Block until a request may be sent, and count it."""
        waited = 0.0
        while True:
            if _CANCEL.is_set():
                raise Cancelled("the scan is stopping")
            with self._lock:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - self.period:
                    self._sent.popleft()
                wait = self._pause_until - now
                if len(self._sent) >= self.limit:
                    wait = max(wait, self._sent[0] + self.period - now)
                if wait <= 0:
                    self._sent.append(now)
                    self.requests += 1
                    self.waited += waited
                    return
            wait = min(wait, 5.0)  # re-check: the pause may be lifted or extended meanwhile
            time.sleep(wait)
            waited += wait

    def answered(self, status: int, retry_after: float | None) -> None:
        """Note an answer: a 429 / 503 pauses every request of the process."""
        with self._lock:
            if status in (429, 503):
                self.limited += 1
                self._strikes += 1
                pause = retry_after if retry_after is not None else min(60.0, 2.0 ** (self._strikes - 1))
                self._pause_until = max(self._pause_until, time.monotonic() + min(pause, MAX_PAUSE))
            elif status < 400:
                self._strikes = 0

    def stats(self) -> dict:
        with self._lock:
            return {"requests": self.requests, "rate_limited": self.limited, "waited_s": round(self.waited, 3)}


_BUDGET: Budget | None = None
_LOCK = threading.Lock()
_active = 0  # threads inside session(): the hooks act only then
_log_level: int | None = None


def install(requests: int, period: float) -> Budget:
    """The process's budget, hooked into huggingface_hub's HTTP client on the first call
    (later calls only change its numbers). The hooks count and throttle requests only while
    a ``session`` is open, so other users of huggingface_hub in the process are left alone."""
    global _BUDGET
    with _LOCK:
        if _BUDGET is not None:
            _BUDGET.configure(requests, period)
            return _BUDGET
        budget = Budget(requests, period)
        import huggingface_hub

        try:
            from huggingface_hub.utils._http import default_client_factory
        except ImportError:  # a huggingface_hub that moved it: hook the current client instead
            default_client_factory = None

        def factory():
            client = default_client_factory() if default_client_factory else huggingface_hub.get_session()
            _hook(client, budget)
            return client

        huggingface_hub.set_client_factory(factory)
        _BUDGET = budget
        return budget


@contextlib.contextmanager
def session(requests: int, period: float):
    """Scan requests happen inside: the budget applies and huggingface_hub's retry warnings
    are muted (the scan reports itself). The first session to open clears a past cancel."""
    global _active, _log_level
    budget = install(requests, period)
    with _LOCK:
        if _active == 0:
            _CANCEL.clear()
            logger = logging.getLogger("huggingface_hub")
            _log_level = logger.level
            logger.setLevel(logging.ERROR)
        _active += 1
    try:
        yield budget
    finally:
        with _LOCK:
            _active -= 1
            if _active == 0 and _log_level is not None:
                logging.getLogger("huggingface_hub").setLevel(_log_level)
                _log_level = None


def trim_hub_caches() -> None:
    """Forget the file listings huggingface_hub keeps in memory for every commit it downloaded
    (``_tree_cache._IN_MEMORY_TREE_CACHE``, never emptied: a scan of 45,000 repos would hold
    all their listings; they stay on disk, where huggingface_hub reads them back if needed),
    and fnmatch's compiled patterns (up to 32,768 of them, one per distinct file name)."""
    try:
        from huggingface_hub import _tree_cache
    except ImportError:
        return
    cache, lock = getattr(_tree_cache, "_IN_MEMORY_TREE_CACHE", None), getattr(_tree_cache, "_IN_MEMORY_TREE_CACHE_LOCK", None)
    if isinstance(cache, dict) and lock is not None:
        with lock:
            cache.clear()
    # and the regexes fnmatch compiled for the file-name patterns of each repo's download
    clear = getattr(getattr(fnmatch, "_compile_pattern", None), "cache_clear", None)
    if clear is not None:
        clear()


def current() -> Budget | None:
    return _BUDGET


def _hook(client, budget: Budget) -> None:
    def on_request(_request):
        if _active:
            budget.acquire()

    def on_response(response):
        if _active:
            budget.answered(response.status_code, retry_after_seconds(response.headers))

    hooks = client.event_hooks
    client.event_hooks = {"request": [*hooks.get("request", []), on_request],
                          "response": [*hooks.get("response", []), on_response]}


def retry_after_seconds(headers) -> float | None:
    """``Retry-After`` as seconds (a number, or an HTTP date), else None."""
    value = (headers.get("retry-after") or "").strip() if headers is not None else ""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time()) if when is not None else None


# -- errors ---------------------------------------------------------------------------------


def _status(exc: BaseException) -> tuple[int | None, float | None]:
    """(HTTP status, Retry-After seconds) of the first HTTP error in the chain."""
    for x in _chain(exc):
        response = getattr(x, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status, retry_after_seconds(getattr(response, "headers", None))
    return None, None


_NAMED = (  # huggingface_hub error class name -> record type; subclasses first
    ("GatedRepoError", "GatedRepo"),
    ("RepositoryNotFoundError", "RepoNotFound"),
    ("RevisionNotFoundError", "RevisionNotFound"),
    ("RemoteEntryNotFoundError", "EntryNotFound"),
    ("EntryNotFoundError", "EntryNotFound"),
    ("DisabledRepoError", "DisabledRepo"),
)


def _is_timeout(x: BaseException) -> bool:
    return isinstance(x, TimeoutError) or type(x).__name__ in ("TimeoutException", "ReadTimeout", "ConnectTimeout",
                                                               "WriteTimeout", "PoolTimeout", "Timeout")


def _is_transport(x: BaseException) -> bool:
    return isinstance(x, ConnectionError) or type(x).__name__ in ("ConnectError", "NetworkError", "TransportError",
                                                                  "RemoteProtocolError", "ReadError")


def classify(exc: BaseException) -> dict:
    """``{"type": ..., "message": ...}`` for an error record; the message is one line."""
    chain = _chain(exc)
    message = short_message(str(exc)) or type(exc).__name__
    names = [{c.__name__ for c in type(x).__mro__} for x in chain]
    for cls_name, kind in _NAMED:
        if any(cls_name in n for n in names):
            return {"type": kind, "message": message}
    status, _ = _status(exc)
    if status == 429:
        return {"type": "RateLimited", "message": message}
    if status is not None:
        return {"type": "HTTPError", "message": message if str(status) in message else f"HTTP {status}: {message}"}
    if any(_is_timeout(x) for x in chain):
        return {"type": "Timeout", "message": message}
    if any(_is_transport(x) for x in chain):
        return {"type": "ConnectionError", "message": message}
    if type(exc).__name__ == "SourceError":
        return {"type": "SourceError", "message": message}
    return {"type": "InternalError", "message": f"{type(exc).__name__}: {message}"}


def short_message(text: str, limit: int = 300) -> str:
    """One line, without huggingface_hub's advice paragraphs."""
    text = " ".join(text.split())
    for tail in (" Please make sure", " For more details", " Request ID:"):
        cut = text.find(tail)
        if cut > 0:
            text = text[:cut].rstrip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def retryable(exc: BaseException) -> tuple[bool, float | None]:
    """(worth retrying, the server's Retry-After seconds if it gave one)."""
    status, after = _status(exc)
    if status is not None:
        return status in RETRY_STATUSES, after
    chain = _chain(exc)
    return any(_is_timeout(x) or _is_transport(x) for x in chain), None


def with_retries(op, retries: int, *, base: float = 1.0, cap: float = 60.0, sleep=time.sleep):
    """``op()``, retried up to ``retries`` times on rate limits, 5xx, timeouts and broken
    connections: after Retry-After when the server gave one, else base * 2**attempt seconds
    (capped, with +-25% jitter). The last failure is raised."""
    attempt = 0
    while True:
        try:
            return op()
        except Exception as exc:  # noqa: BLE001 - re-raised unless retryable
            again, after = retryable(exc)
            if not again or attempt >= retries or _CANCEL.is_set():
                raise
            delay = after if after is not None else min(cap, base * 2 ** attempt) * random.uniform(0.75, 1.25)
            sleep(min(delay, MAX_PAUSE))
            attempt += 1
