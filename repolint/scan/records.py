"""Reading a scan's JSON Lines back (the format is the shared contract in `repolint scan`'s
records, schema ``repolint-scan/1``), for `repolint report`.

The file is untrusted and may be anything: a scan killed mid-line, a file edited by hand, a
newer schema, binary garbage. Nothing here raises on its content: every line is either a
:class:`Record` (its fields coerced to the types the report needs) or a skipped line with a
reason. When a spec appears several times (a scan error retried by ``--resume``), the last
record wins.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA = "repolint-scan/1"
SEVERITIES = ("error", "warning", "info")
VERDICTS = ("loads", "breaks", "unknown")


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: str  # one of SEVERITIES
    path: str | None
    line: int | None
    message: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    spec: str
    repo: str
    commit: str | None
    status: str  # "ok" | "error"
    error_type: str | None
    error_message: str | None
    model_type: str | None
    targets: tuple[str, ...]
    verdicts: dict[str, str]  # target -> one of VERDICTS
    findings: tuple[Finding, ...]

    @property
    def breaks(self) -> bool:
        return "breaks" in self.verdicts.values()


@dataclass
class ScanFile:
    path: str
    records: list[Record] = field(default_factory=list)
    lines: int = 0  # non-blank lines read
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    superseded: int = 0  # records replaced by a later record of the same spec
    bad_findings: int = 0  # malformed entries of "findings" left out

    def skipped_reasons(self) -> Counter:
        return Counter(reason for _, reason in self.skipped)


class BadScanFile(Exception):
    """The file itself cannot be read (missing, a folder, no permission)."""


def read_scan(path: str | Path) -> ScanFile:
    path = Path(path)
    result = ScanFile(str(path))
    try:
        fh = path.open("rb")
    except IsADirectoryError:
        raise BadScanFile(f"{path}: is a folder, not a scan file") from None
    except OSError as exc:
        raise BadScanFile(f"{path}: {exc.strerror or exc}") from None
    with fh:
        try:
            _read_lines(fh, result)
        except OSError as exc:  # e.g. a folder opened on a platform that allows it
            raise BadScanFile(f"{path}: {exc.strerror or exc}") from None
    return result


def _read_lines(fh, result: ScanFile) -> None:
    import json

    by_spec: dict[str, Record] = {}
    for number, chunk in enumerate(fh, start=1):
        if not chunk.strip():
            continue
        result.lines += 1
        last = not chunk.endswith(b"\n")  # a scan killed while writing it
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            result.skipped.append((number, "not UTF-8"))
            continue
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            result.skipped.append((number, "truncated last line" if last else "not valid JSON"))
            continue
        record, reason, bad = _record(obj)
        if record is None:
            result.skipped.append((number, reason))
            continue
        result.bad_findings += bad
        if record.spec in by_spec:
            result.superseded += 1
            del by_spec[record.spec]  # keep the order of the last occurrence
        by_spec[record.spec] = record
    result.records = list(by_spec.values())


def _clean(text: str) -> str:
    """JSON may carry lone surrogates ("\\ud800"), which no UTF-8 output can hold."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _str(value, default: str | None = None) -> str | None:
    return _clean(value) if isinstance(value, str) else default


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _strings(value) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(_clean(v) for v in value if isinstance(v, str)))


def _record(obj) -> tuple[Record | None, str, int]:
    """(record, "", malformed findings) or (None, why the line is skipped, 0)."""
    if not isinstance(obj, dict):
        return None, "not a JSON object", 0
    schema = obj.get("schema")
    if schema != SCHEMA:
        return None, ("no schema field" if schema is None else "not a repolint-scan/1 record"), 0
    repo = _str(obj.get("repo"))
    if not repo:
        return None, "no repo", 0
    status = obj.get("status")
    if status not in ("ok", "error"):
        return None, "status is neither ok nor error", 0
    error = obj.get("error") if isinstance(obj.get("error"), dict) else {}
    targets = _strings(obj.get("targets"))
    raw_verdicts = obj.get("verdicts") if isinstance(obj.get("verdicts"), dict) else {}
    verdicts = {}
    for target, verdict in raw_verdicts.items():
        target = _clean(target)
        if target not in targets:
            targets += (target,)
        verdicts[target] = verdict if verdict in VERDICTS else "unknown"
    findings, bad = [], 0
    raw_findings = obj.get("findings")
    for item in raw_findings if isinstance(raw_findings, list) else ():
        finding = _finding(item)
        if finding is None:
            bad += 1
        else:
            findings.append(finding)
    if raw_findings is not None and not isinstance(raw_findings, list):
        bad += 1
    commit = _str(obj.get("commit"))
    return Record(
        spec=_str(obj.get("spec")) or (f"{repo}@{commit}" if commit else repo),
        repo=repo,
        commit=commit,
        status=status,
        error_type=_str(error.get("type")) if status == "error" else None,
        error_message=_str(error.get("message")) if status == "error" else None,
        model_type=_str(obj.get("model_type")),
        targets=targets,
        verdicts=verdicts,
        findings=tuple(findings),
    ), "", bad


def _finding(item) -> Finding | None:
    if not isinstance(item, dict) or not isinstance(item.get("code"), str) or not item["code"]:
        return None
    severity = item.get("severity")
    return Finding(
        code=_clean(item["code"]),
        name=_str(item.get("name"), ""),
        severity=severity if severity in SEVERITIES else "info",
        path=_str(item.get("path")),
        line=_int(item.get("line")),
        message=_str(item.get("message"), ""),
        targets=_strings(item.get("targets")),
    )


def version_key(target: str) -> tuple:
    """'4.57' < '5.9' < '5.23'; anything that is not dotted numbers sorts last, by name."""
    parts = target.split(".")
    if all(p.isdigit() for p in parts):
        return (0, tuple(int(p) for p in parts), target)
    return (1, (), target)
