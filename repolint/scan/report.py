"""`repolint report scan.jsonl`: what a scan found, as pictures (a self-contained HTML page,
:mod:`repolint.scan.report_html`) or as a Markdown summary for CI logs.

:func:`summarize` turns the records (:mod:`repolint.scan.records`) into the counts both formats
draw: repos per target release (loads / breaks / unknown), repos per rule, per model_type, the
most common reasons a repo breaks, and the errors that stopped the scan of a repo.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from repolint.scan.records import SEVERITIES, Finding, Record, ScanFile, version_key

DEFAULT_HUB = "https://huggingface.co"
NO_MODEL_TYPE = "(none)"


@dataclass
class RuleRow:
    code: str
    name: str
    severity: str  # the highest severity any of its findings had
    repos: int = 0
    findings: int = 0


@dataclass
class Summary:
    records: list[Record]
    targets: list[str]
    scanned: int  # status ok
    scan_errors: Counter  # error type -> repos
    breaking: int  # repos with a "breaks" verdict on at least one target
    per_release: dict[str, Counter]  # target -> Counter(loads/breaks/unknown)
    rules: list[RuleRow]  # most repos first
    model_types: list[tuple[str, int, int]]  # (model_type, repos, breaking), most breaking first
    reasons: list[tuple[str, str, int, str]]  # (code, reason, repos, an example message), most repos first
    severities: Counter = field(default_factory=Counter)  # findings per severity


def summarize(records: list[Record]) -> Summary:
    targets: dict[str, None] = {}
    per_release: dict[str, Counter] = {}
    scan_errors: Counter = Counter()
    rules: dict[str, RuleRow] = {}
    mt_total: Counter = Counter()
    mt_breaking: Counter = Counter()
    reasons: dict[tuple[str, str], list] = {}
    severities: Counter = Counter()
    breaking = 0
    for rec in records:
        for t in rec.targets:
            targets.setdefault(t)
        if rec.status == "error":
            scan_errors[rec.error_type or "error"] += 1
            continue
        for t, verdict in rec.verdicts.items():
            per_release.setdefault(t, Counter())[verdict] += 1
        mt = rec.model_type or NO_MODEL_TYPE
        mt_total[mt] += 1
        if rec.breaks:
            breaking += 1
            mt_breaking[mt] += 1
        seen_rules, seen_reasons = set(), set()
        for f in rec.findings:
            severities[f.severity] += 1
            row = rules.setdefault(f.code, RuleRow(f.code, f.name, f.severity))
            row.name = row.name or f.name
            if SEVERITIES.index(f.severity) < SEVERITIES.index(row.severity):
                row.severity = f.severity
            row.findings += 1
            if f.code not in seen_rules:
                seen_rules.add(f.code)
                row.repos += 1
            if f.severity == "error":
                key = (f.code, reason_of(f.message))
                entry = reasons.setdefault(key, [0, f.message])
                if key not in seen_reasons:
                    seen_reasons.add(key)
                    entry[0] += 1
    ordered_targets = sorted(targets, key=version_key)
    scanned = sum(1 for r in records if r.status == "ok")
    return Summary(
        records=records,
        targets=ordered_targets,
        scanned=scanned,
        scan_errors=scan_errors,
        breaking=breaking,
        per_release={t: per_release.get(t, Counter()) for t in ordered_targets},
        rules=sorted(rules.values(), key=lambda r: (-r.repos, SEVERITIES.index(r.severity), r.code)),
        model_types=sorted(((mt, n, mt_breaking[mt]) for mt, n in mt_total.items()),
                           key=lambda row: (-row[2], -row[1], row[0])),
        reasons=sorted(((code, reason, n, example) for (code, reason), (n, example) in reasons.items()),
                       key=lambda row: (-row[2], row[0], row[1])),
        severities=severities,
    )


_QUOTED = re.compile(r"""(['"`])(?:(?!\1).){1,200}?\1""")
_DOTTED = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b")  # module.Class, file.py, a.b.c
_NUMBER = re.compile(r"\b\d+(?:\.\d+)*\b")


def reason_of(message: str) -> str:
    """A message with its particulars (quoted names, dotted names, numbers, versions) blanked,
    so that the same defect in many repos counts as one reason: "unknown model_type 'lama'"
    and "unknown model_type 'bret'" are both "unknown model_type '…'"."""
    text = _QUOTED.sub(lambda m: f"{m[1]}…{m[1]}", message)
    text = _DOTTED.sub("…", text)
    text = _NUMBER.sub("N", text)
    return " ".join(text.split())[:300]


def hub_url(hub: str, rec: Record, finding: Finding | None = None) -> str:
    """The Hub page of the repo at its commit, or of the finding's file (and line)."""
    base = f"{hub.rstrip('/')}/{quote(rec.repo, safe='/')}"
    if finding is None or not finding.path:
        return base if rec.commit is None else f"{base}/tree/{quote(rec.commit, safe='')}"
    url = f"{base}/blob/{quote(rec.commit or 'main', safe='')}/{quote(finding.path, safe='/')}"
    return f"{url}#L{finding.line}" if finding.line else url


# -- Markdown -----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#<>&])")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def md(text: object) -> str:
    """Text safe in a Markdown table cell (no HTML, which GitHub renders; no links, no pipes)
    and in a terminal (no control characters: a CI log is read on one)."""
    flat = " ".join(_CONTROL.sub("\ufffd", str(text)).split())
    return _MD_SPECIAL.sub(lambda m: _MD_ENTITIES.get(m[1], "\\" + m[1]), flat)


def _table(head: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return lines + [""]


def render_markdown(scan: ScanFile, summary: Summary, *, top: int = 20) -> str:
    n = len(summary.records)
    out = ["# repolint scan report", ""]
    out.append(f"{n} repo{'s' if n != 1 else ''} in {md(scan.path)}: {summary.scanned} scanned, "
               f"{sum(summary.scan_errors.values())} stopped by an error; "
               f"**{summary.breaking}** break on at least one target release.")
    notes = data_notes(scan)
    out += ["", *(f"- {line}" for line in notes), ""] if notes else [""]
    if summary.targets:
        out += ["## Per target release", ""]
        out += _table(["release", "loads", "breaks", "unknown"],
                      [[t, c["loads"], c["breaks"], c["unknown"]] for t, c in summary.per_release.items()])
    if summary.rules:
        out += ["## Repos per rule", ""]
        out += _table(["rule", "name", "severity", "repos", "findings"],
                      [[r.code, r.name, r.severity, r.repos, r.findings] for r in summary.rules[:top]])
        out += _more(len(summary.rules) - top, "rules")
    if summary.model_types:
        out += ["## Model types", ""]
        out += _table(["model_type", "repos", "breaking"], [list(row) for row in summary.model_types[:top]])
        out += _more(len(summary.model_types) - top, "model types")
    if summary.reasons:
        out += ["## Top reasons a repo breaks", ""]
        out += _table(["repos", "rule", "reason"], [[n, code, reason] for code, reason, n, _ in summary.reasons[:top]])
    if summary.scan_errors:
        out += ["## Scan errors", ""]
        out += _table(["error", "repos"], summary.scan_errors.most_common())
    return "\n".join(out).rstrip("\n") + "\n"


def _more(extra: int, what: str) -> list[str]:
    return [f"… and {extra} more {what} (the HTML report has them all).", ""] if extra > 0 else []


def data_notes(scan: ScanFile) -> list[str]:
    """One line per thing the reader of a report must know about the file itself."""
    notes = []
    if not scan.records:
        notes.append("no scan records in the file")
    if scan.skipped:
        reasons = ", ".join(f"{n} {why}" for why, n in scan.skipped_reasons().most_common())
        notes.append(f"{len(scan.skipped)} of {scan.lines} lines skipped ({reasons})")
    if scan.superseded:
        notes.append(f"{scan.superseded} earlier record(s) of a spec replaced by a later one (a resumed scan)")
    if scan.bad_findings:
        notes.append(f"{scan.bad_findings} malformed finding(s) left out")
    return notes


def build_report(path: str, fmt: str, *, hub: str = DEFAULT_HUB) -> tuple[str, ScanFile]:
    """The report text of the scan file at ``path`` in ``fmt`` ("html" or "markdown"), and
    the file as read (for its skipped lines). Raises BadScanFile when it cannot be read."""
    from repolint.scan.records import read_scan

    scan = read_scan(path)
    summary = summarize(scan.records)
    if fmt == "markdown":
        return render_markdown(scan, summary), scan
    from datetime import datetime, timezone

    from repolint.scan.report_html import render_html

    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return render_html(scan, summary, hub=hub, generated=generated), scan
