"""SARIF 2.1.0, one run, for GitHub code scanning and other SARIF viewers.

Paths are relative to the working directory (``uriBaseId`` ``%SRCROOT%``, which
``originalUriBaseIds`` maps to it); a repo outside the working directory gets absolute
``file://`` URIs. Columns are Unicode code points, as everywhere in repolint.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from repolint.reporters import cwd_relative, fs_bytes, no_surrogates, rule_lookup, rule_url, sev

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/repolint/repolint"
SRCROOT = "%SRCROOT%"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render(results, *, color: bool = False) -> str:
    from repolint import __version__

    cwd = os.getcwd()
    lookup = rule_lookup()

    # every rule referenced by the results, in code order; ruleIndex points into this list
    referenced: dict[str, object] = {}
    for result in results:
        for diag in result.diagnostics:
            referenced.setdefault(diag.code, diag)
    codes = sorted(referenced)
    index = {code: i for i, code in enumerate(codes)}
    rules = [_descriptor(code, referenced[code], lookup(code)) for code in codes]

    sarif_results = []
    for result in results:
        for diag in result.diagnostics:
            sarif_results.append(_result(result, diag, index[diag.code], cwd))

    base = Path(cwd).as_uri()
    run = {
        "tool": {
            "driver": {
                "name": "repolint",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [{"executionSuccessful": True}],
        "originalUriBaseIds": {SRCROOT: {"uri": base if base.endswith("/") else base + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": sarif_results,
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    # ASCII only, and no lone surrogate escapes, which strict JSON readers refuse
    return json.dumps(no_surrogates(log), indent=2, ensure_ascii=True)


def _descriptor(code: str, diag, rule) -> dict:
    """The reportingDescriptor of a rule; from the diagnostic alone when the registry
    does not know the code."""
    name = rule.name if rule is not None else diag.name
    out: dict = {"id": code, "name": name}
    summary = getattr(rule, "summary", None) if rule is not None else None
    out["shortDescription"] = {"text": summary or name}
    why = getattr(rule, "why", None) if rule is not None else None
    if why:
        out["fullDescription"] = {"text": why}
    fix_text = getattr(rule, "fix_text", None) if rule is not None else None
    if fix_text:
        out["help"] = {"text": fix_text}
    out["helpUri"] = rule_url(rule, code, name)
    severity = getattr(rule, "severity", None) if rule is not None else None
    out["defaultConfiguration"] = {"level": LEVEL.get(severity or sev(diag), "warning")}
    tags = []
    if rule is not None:
        try:
            tags.append(rule.family())
        except Exception:  # noqa: BLE001
            pass
    out["properties"] = {"tags": tags}
    return out


def _location(result, file: str, cwd: str) -> dict:
    # URIs percent-encode the file name's bytes, so a name that is not UTF-8 stays exact
    rel = cwd_relative(result, file, cwd)
    if rel is not None:
        return {"uri": quote(fs_bytes(rel), safe="/"), "uriBaseId": SRCROOT}
    absolute = os.path.abspath(os.path.join(os.fspath(result.repo.root), file))
    return {"uri": "file://" + quote(fs_bytes(Path(absolute).as_posix()), safe="/:")}


def _region(line: int, column: int, end_line: int | None, end_column: int | None) -> dict:
    line, column = max(line, 1), max(column, 1)
    region = {"startLine": line, "startColumn": column}
    if end_line is None and end_column is not None:
        end_line = line
    if end_line is not None:
        end_line = max(end_line, line)
        region["endLine"] = end_line
        if end_column is not None:
            region["endColumn"] = max(end_column, column) if end_line == line else max(end_column, 1)
    return region


def _result(result, diag, rule_index: int, cwd: str) -> dict:
    loc = diag.location
    out: dict = {
        "ruleId": diag.code,
        "ruleIndex": rule_index,
        "level": LEVEL.get(sev(diag), "warning"),
        "message": {"text": diag.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _location(result, loc.file, cwd),
                    "region": _region(loc.line, loc.column, loc.end_line, loc.end_column),
                }
            }
        ],
    }
    if diag.fix is not None and diag.fix.edits:
        changes: dict[str, dict] = {}
        for edit in diag.fix.edits:
            change = changes.setdefault(
                edit.file,
                {"artifactLocation": _location(result, edit.file, cwd), "replacements": []},
            )
            change["replacements"].append(
                {
                    "deletedRegion": _region(edit.line, edit.column, edit.end_line, edit.end_column),
                    "insertedContent": {"text": edit.content},
                }
            )
        out["fixes"] = [{"description": {"text": diag.fix.description}, "artifactChanges": list(changes.values())}]
    properties = {}
    if diag.help:
        properties["help"] = diag.help
    if diag.targets:
        properties["transformersVersions"] = list(diag.targets)
    if properties:
        out["properties"] = properties
    return out
