"""The per-repo work of a scan: one pure, picklable function, mapped by every engine.

    lint_spec(spec, settings) -> record

``spec`` is a repo as written in a scan's input, ``"owner/name"`` or ``"owner/name@rev"``
(an ``hf://`` prefix is accepted), or an *entry*: the dict ``entry_from_listing`` /
``resolve`` make from the Hub's listing of the repo (``{"spec", "repo", "commit",
"siblings", "config", "listing_s"}``; or ``{"spec", "repo", "error"}`` when the repo could
not be listed), which saves the metadata request. ``settings`` is a plain dict (see
``make_settings``: stage, targets, rule selection, endpoint, timeout, retries, request
budget, cache and temp folders). The result is one record (``record``'s docstring gives the
format, ``schema: repolint-scan/1``), ``status: "error"`` when the repo could not be scanned;
it never raises for a repo's sake. The same spec and settings give the same record, whichever
engine runs it, except ``timings`` and ``finished``.

The work has two halves so that a pool can run them apart: ``prepare`` (Hub I/O: the
listing when not given, then for ``stage: full`` the download of metadata and code into a
temporary folder, as ``repolint check hf://owner/name@commit`` does) and ``finish`` (CPU:
the listing-stage rules, then the full lint of that folder, which it deletes). ``ScanTask``
bundles them with the settings: ``task(spec)`` is ``lint_spec(spec, settings)``, and
``task.prepare`` / ``task.finish`` are the halves (``repolint.scan.pool``).
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime, timezone

from repolint import __version__

SCHEMA = "repolint-scan/1"
EXPAND = ["sha", "siblings", "config"]
STAGES = ("listing", "full")


def make_settings(*, stage: str = "full", targets=None, select=(), extend_select=(), ignore=(),
                  endpoint: str | None = None, timeout: float | None = None, retries: int = 5,
                  rate: tuple[int, float] = (3000, 300.0), cache_dir: str | None = None,
                  tmp_dir: str | None = None, no_cache: bool = False) -> dict:
    """The settings dict of ``lint_spec``. ``targets`` default: every shipped snapshot
    (major.minor). ``timeout``: seconds per Hub request (default as repolint.sources).
    ``rate``: (requests, seconds) of the request budget. ``cache_dir``: the
    huggingface_hub cache (default: its own). ``tmp_dir``: where folder views are made."""
    from repolint.knowledge import Knowledge, shipped_versions

    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}")
    if not targets:
        targets = [".".join(v.split(".")[:2]) for v in shipped_versions()]
    labels = list(dict.fromkeys(Knowledge.for_target(t).label for t in targets))  # raises UnknownTarget
    return {"stage": stage, "targets": labels, "select": list(select), "extend_select": list(extend_select),
            "ignore": list(ignore), "endpoint": endpoint, "timeout": timeout, "retries": int(retries),
            "rate": [int(rate[0]), float(rate[1])], "cache_dir": cache_dir, "tmp_dir": tmp_dir,
            "no_cache": bool(no_cache)}


# -- specs and entries -----------------------------------------------------------------------


def parse_spec(text: str) -> tuple[str, str | None]:
    """(repo id, revision or None) of ``owner/name[@rev]``; ValueError with a one-line reason."""
    from repolint.sources import SourceError, parse_hub_spec

    text = text.strip()
    try:
        spec = parse_hub_spec(text if text.startswith("hf://") else "hf://" + text)
    except SourceError as exc:
        message = str(exc)
        message = message[len("hf://"):] if message.startswith("hf://") else message
        raise ValueError(message.replace("hf://owner/name", "owner/name")) from None
    return spec.repo_id, spec.revision


def entry_from_listing(spec: str, info, listing_s: float = 0.0) -> dict:
    """An entry from a huggingface_hub ModelInfo listed with ``expand=EXPAND``."""
    return {"spec": spec, "repo": info.id, "commit": info.sha,
            "siblings": [s.rfilename for s in (info.siblings or [])],
            "config": info.config if isinstance(info.config, dict) else None,
            "listing_s": round(listing_s, 4)}


def error_entry(spec: str, repo: str | None, error: dict, commit: str | None = None) -> dict:
    return {"spec": spec, "repo": repo, "commit": commit, "error": error}


def _hubio():
    from repolint.scan import hubio

    return hubio


def _timeout(settings: dict) -> float:
    from repolint.sources import DEFAULT_TIMEOUT

    return float(settings.get("timeout") or os.environ.get("HF_HUB_ETAG_TIMEOUT") or DEFAULT_TIMEOUT)


def resolve(spec: str, settings: dict) -> dict:
    """The entry of one spec: its listing (``model_info(expand=EXPAND)``), or an error entry."""
    try:
        repo, revision = parse_spec(spec)
    except ValueError as exc:
        return error_entry(spec, None, {"type": "InvalidSpec", "message": str(exc)})
    hubio = _hubio()
    start = time.perf_counter()
    try:
        from huggingface_hub import HfApi

        api = HfApi(endpoint=settings.get("endpoint"))
        with hubio.session(*settings["rate"]):
            info = hubio.with_retries(
                lambda: api.model_info(repo, revision=revision, expand=EXPAND, timeout=_timeout(settings)),
                settings["retries"])
    except Exception as exc:  # noqa: BLE001 - every failure becomes the repo's error record
        error = hubio.classify(exc)
        if not error["message"].startswith(repo):
            error["message"] = f"{repo}: {error['message']}"
        return error_entry(spec, repo, error)
    if not info.sha:
        return error_entry(spec, repo, {"type": "HTTPError", "message": f"{repo}: the Hub returned no commit id"})
    return entry_from_listing(spec, info, time.perf_counter() - start)


# -- the two halves ----------------------------------------------------------------------------


def prepare(spec, settings: dict) -> dict:
    """The I/O half: ``{"entry", "path", "download_s", "error"}``; ``path`` is a folder view
    that ``finish`` lints and deletes (full stage only)."""
    entry = spec if isinstance(spec, dict) else resolve(spec, settings)
    prepared = {"entry": entry, "path": None, "download_s": 0.0, "error": entry.get("error")}
    if prepared["error"] is not None or settings["stage"] != "full":
        return prepared
    from repolint.sources import fetch_hub_repo

    hubio = _hubio()
    start = time.perf_counter()
    try:
        with hubio.session(*settings["rate"]):
            fetched = hubio.with_retries(lambda: fetch_hub_repo(
                f"hf://{entry['repo']}@{entry['commit']}", cache_dir=settings.get("cache_dir"),
                timeout=settings.get("timeout"), endpoint=settings.get("endpoint"), offline=False,
                tmp_dir=settings.get("tmp_dir")), settings["retries"])
    except Exception as exc:  # noqa: BLE001
        prepared["error"] = hubio.classify(exc)
    else:
        prepared["path"] = str(fetched.detach())
    finally:
        hubio.trim_hub_caches()  # memory flat in the number of repos
    prepared["download_s"] = round(time.perf_counter() - start, 4)
    return prepared


def finish(prepared: dict, settings: dict) -> dict:
    """The CPU half: listing checks, then (full stage) the lint of the folder view."""
    entry, path = prepared["entry"], prepared.get("path")
    try:
        return _finish(entry, path, prepared, settings)
    except Exception as exc:  # noqa: BLE001 - a bug of repolint's must not stop the scan
        return record(entry, settings, error={"type": "InternalError", "message": f"{type(exc).__name__}: {exc}"},
                      stage=settings["stage"])
    finally:
        if path:
            shutil.rmtree(path, ignore_errors=True)


def lint_spec(spec, settings: dict) -> dict:
    """The record of one repo (see the module docstring)."""
    return finish(prepare(spec, settings), settings)


class ScanTask:
    """``lint_spec`` with its settings bound, for ``Pool.map_unordered``: ``task(spec)`` runs
    the whole work; ``prepare`` / ``finish`` run its I/O and CPU halves apart."""

    def __init__(self, settings: dict):
        self.settings = settings

    def __call__(self, spec) -> dict:
        return lint_spec(spec, self.settings)

    def prepare(self, spec) -> dict:
        return prepare(spec, self.settings)

    def finish(self, prepared: dict) -> dict:
        return finish(prepared, self.settings)

    def failed(self, item, exc: BaseException) -> dict:
        """The record of an item whose half died outside Python (a worker process killed):
        ``item`` is a spec, an entry, or ``prepare``'s result."""
        if isinstance(item, dict) and "entry" in item:
            if item.get("path"):
                shutil.rmtree(item["path"], ignore_errors=True)
            item = item["entry"]
        if not isinstance(item, dict):
            try:
                item = {"spec": str(item), "repo": parse_spec(str(item))[0]}
            except ValueError:
                item = {"spec": str(item)}
        return record(item, self.settings, error={"type": "InternalError", "message": f"{type(exc).__name__}: {exc}"},
                      stage=self.settings["stage"])

    def cancel(self) -> None:
        """The scan is stopping: requests still to come in this process fail at once."""
        from repolint.scan import hubio

        hubio.cancel()


# -- records -----------------------------------------------------------------------------------


def _knowledge(settings: dict):
    from repolint.knowledge import Knowledge

    return [Knowledge.for_target(t) for t in settings["targets"]]


def _finish(entry: dict, path: str | None, prepared: dict, settings: dict) -> dict:
    if entry.get("error") is not None:
        return record(entry, settings, error=entry["error"], stage="listing")
    timings = {"listing_s": entry.get("listing_s", 0.0), "download_s": prepared.get("download_s", 0.0)}
    start = time.perf_counter()
    label = f"hf://{entry['repo']}@{entry['commit'][:12]}"
    found = _listing_findings(entry, label, settings)
    timings["listing_s"] = round(timings["listing_s"] + time.perf_counter() - start, 4)
    model_type = (entry.get("config") or {}).get("model_type")
    if settings["stage"] == "listing" or prepared.get("error") is not None:
        return record(entry, settings, error=prepared.get("error"), stage=settings["stage"], findings=found,
                      model_type=model_type, timings=timings)
    start = time.perf_counter()
    result = _full_lint(label, path, settings)
    timings["lint_s"] = round(time.perf_counter() - start, 4)
    config = result.repo.json("config.json")
    if config is not None and config.obj is not None and "model_type" in config.obj:
        model_type = config.obj.get("model_type")
    full = [finding(d, settings["targets"], "full") for d in result.diagnostics]
    return record(entry, settings, stage="full", findings=full, model_type=model_type, timings=timings,
                  linted=result.linted)


def _listing_findings(entry: dict, label: str, settings: dict) -> list[dict]:
    from repolint.config import Settings
    from repolint.scan.listing import listing_diagnostics

    rules = Settings(select=list(settings["select"]) or ["ALL"], extend_select=list(settings["extend_select"]),
                     ignore=list(settings["ignore"])).resolve()
    diags = listing_diagnostics(entry.get("siblings") or [], entry.get("config"), label, rules, _knowledge(settings))
    return [finding(d, settings["targets"], "listing", positions=False) for d in diags]


def _full_lint(label: str, path: str, settings: dict):
    from pathlib import Path

    from repolint.cli import LintOptions, lint_one

    options = LintOptions(tuple(settings["select"]), tuple(settings["extend_select"]), tuple(settings["ignore"]),
                          tuple(settings["targets"]), None, bool(settings.get("no_cache")))
    return lint_one(label, Path(path), options)


def finding(d, targets: list[str], stage: str, positions: bool = True) -> dict:
    loc = d.location
    return {"code": d.code, "name": d.name, "severity": d.severity.value, "path": loc.file,
            "line": loc.line if positions else None, "column": loc.column if positions else None,
            "message": d.message, "targets": list(d.targets) or list(targets), "stage": stage}


def record(entry: dict, settings: dict, *, stage: str, error: dict | None = None, findings=(),
           model_type=None, timings: dict | None = None, linted: bool = True) -> dict:
    """One line of scan.jsonl, format ``repolint-scan/1``::

        {"schema": "repolint-scan/1",
         "spec": "owner/name@rev",        # as the input gave it (a queried repo: owner/name)
         "repo": "owner/name",            # null only for an InvalidSpec error
         "commit": "<40 hex>" | null,     # null when the repo could not even be listed
         "stage": "listing" | "full",     # the last stage that ran
         "status": "ok" | "error",        # error: this repo's scan stopped (not: it has findings)
         "error": null | {"type": "RepoNotFound" | "RevisionNotFound" | "GatedRepo" | "EntryNotFound"
                          | "DisabledRepo" | "RateLimited" | "HTTPError" | "Timeout" | "ConnectionError"
                          | "SourceError" | "InvalidSpec" | "InternalError", "message": "one line"},
         "model_type": str | null,
         "targets": ["4.57", "5.23", "5.24"],
         "verdicts": {"4.57": "loads" | "breaks" | "unknown", ...},
         "findings": [{"code", "name", "severity", "path", "line", "column", "message",
                       "targets": [...], "stage": "listing" | "full"}],
         "timings": {"listing_s", "download_s", "lint_s", "total_s"},
         "repolint": "<version>", "finished": "2025-01-01T12:00:00Z"}

    A target "breaks" when an error-level finding names it; it "loads" after a full lint
    without one; it is "unknown" at the listing stage without one, for error records, and
    for repos with nothing repolint reads. Listing findings have null line and column (they
    come from the Hub's digest of config.json, not the file). An error record after the
    listing (the download failed) keeps the listing findings. Resume key: (repo, commit),
    else the spec."""
    targets = list(settings["targets"])
    findings = list(findings)
    verdicts = {}
    for t in targets:
        if any(f["severity"] == "error" and t in f["targets"] for f in findings):
            verdicts[t] = "breaks"
        elif error is None and stage == "full" and linted:
            verdicts[t] = "loads"
        else:
            verdicts[t] = "unknown"
    timings = {"listing_s": 0.0, "download_s": 0.0, "lint_s": 0.0, **(timings or {})}
    timings["total_s"] = round(sum(timings[k] for k in ("listing_s", "download_s", "lint_s")), 4)
    return {
        "schema": SCHEMA,
        "spec": entry.get("spec"),
        "repo": entry.get("repo"),
        "commit": entry.get("commit"),
        "stage": stage,
        "status": "error" if error is not None else "ok",
        "error": error,
        "model_type": model_type if isinstance(model_type, str) else None,
        "targets": targets,
        "verdicts": verdicts,
        "findings": findings,
        "timings": timings,
        "repolint": __version__,
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def record_key(rec: dict) -> tuple:
    """The resume key: (repo, commit), or the spec when the commit is unknown."""
    if rec.get("commit"):
        return ("commit", rec.get("repo"), rec["commit"])
    return ("spec", rec.get("spec"))
