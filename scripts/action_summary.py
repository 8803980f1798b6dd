#!/usr/bin/env python3
"""The job summary of the repolint GitHub Action (action.yml, scripts/action.sh).

Reads the report of `repolint check --format json` and prints Markdown for
$GITHUB_STEP_SUMMARY: the verdict, a count per severity and a table of the first findings.
With --outputs FILE, also appends `errors=`, `warnings=`, `infos=`, `findings=` to FILE
(the step's $GITHUB_OUTPUT). Standard library only: it runs with any Python 3.8+.

    action_summary.py REPORT.json [--exit-code N] [--paths TEXT] [--max-rows 50]
                      [--sarif-file FILE] [--outputs FILE]

Every string from the report (paths, messages: text a model repo controls) is escaped
for Markdown and HTML before it reaches the summary.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import posixpath
import re
import sys
from urllib.parse import quote

SEVERITIES = ("error", "warning", "info")
ICON = {"error": "\u274c", "warning": "\u26a0\ufe0f", "info": "\u2139\ufe0f"}
MAX_MESSAGE = 300
ANNOTATION_CAP = 10  # GitHub shows at most 10 annotations of each kind per step


def md(text: object, limit: int | None = None) -> str:
    """Text safe inside a Markdown table cell: one line, no HTML, no Markdown syntax."""
    s = " ".join(str(text).split())
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "\u2026"
    s = html.escape(s, quote=False)
    return re.sub(r"([\\`*_\[\]|~#!])", r"\\\1", s)


def code_span(text: str) -> str:
    """An inline code span for a path; falls back to escaped text when it holds a backtick."""
    s = " ".join(str(text).split())
    if "`" in s:
        return md(s)
    return f"<code>{html.escape(s)}</code>".replace("|", "&#124;")


def display_path(diag: dict) -> str:
    label = str(diag.get("repo") or ".")
    file = str((diag.get("location") or {}).get("file") or "")
    if label in ("", ".", "./"):
        return file
    return posixpath.join(label.rstrip("/") or "/", file)


def blob_url(path: str, line: object) -> str | None:
    """A link to the file at the commit being linted, when the file lies in the workspace."""
    server = os.environ.get("GITHUB_SERVER_URL")
    repo = os.environ.get("GITHUB_REPOSITORY")
    sha = os.environ.get("GITHUB_SHA")
    workspace = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    if not (server and repo and sha) or "://" in path:
        return None
    full = os.path.abspath(path)
    root = os.path.abspath(workspace)
    try:
        if os.path.commonpath([full, root]) != root:
            return None
    except ValueError:
        return None
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    anchor = f"#L{line}" if isinstance(line, int) and line > 0 else ""
    return f"{server}/{repo}/blob/{sha}/{quote(rel)}{anchor}"


def safe_url(url: object) -> str | None:
    if isinstance(url, str) and re.fullmatch(r"https?://[^\s()<>\"']+", url):
        return url
    return None


def severity_of(diag: dict) -> str:
    value = diag.get("severity")
    return value if value in SEVERITIES else "error"


def load(report: str) -> list[dict] | None:
    try:
        with open(report, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("diagnostics"), list):  # check --show-compat
        data = data["diagnostics"]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        return None
    return data


def counts(diagnostics: list[dict]) -> dict[str, int]:
    found = dict.fromkeys(SEVERITIES, 0)
    for d in diagnostics:
        found[severity_of(d)] += 1
    return found


def plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render(diagnostics: list[dict] | None, *, exit_code: int | None, paths: str, max_rows: int,
           sarif_file: str | None) -> str:
    where = ", ".join(code_span(p) for p in paths.split()) or code_span(".")
    out = ["## repolint", ""]
    if diagnostics is None:
        out.append(f"\u274c repolint could not lint {where} (exit code {exit_code if exit_code is not None else '?'}): "
                   "see the step's log for the error.")
        return "\n".join(out) + "\n"

    found = counts(diagnostics)
    total = len(diagnostics)
    if total == 0:
        out.append(f"\u2705 No findings in {where}.")
    else:
        parts = ", ".join(plural(found[s], s) for s in SEVERITIES if found[s])
        icon = ICON["error"] if exit_code else ICON["warning"]
        verdict = "failed" if exit_code else "passed"
        out.append(f"{icon} {parts} in {where}: the check {verdict}"
                   f"{f' (exit code {exit_code})' if exit_code is not None else ''}.")
    out += ["", "| Severity | Count |", "| --- | ---: |"]
    out += [f"| {ICON[s]} {s} | {found[s]} |" for s in SEVERITIES]

    if total:
        out += ["", "| Severity | Location | Rule | Message |", "| --- | --- | --- | --- |"]
        for d in diagnostics[:max_rows]:
            sev = severity_of(d)
            loc = d.get("location") or {}
            line, col = loc.get("line"), loc.get("column")
            path = display_path(d)
            where_text = code_span(f"{path}:{line}:{col}" if line else path)
            url = blob_url(path, line)
            if url:
                where_text = f"[{where_text}]({url})"
            code, name = md(d.get("code", "")), md(d.get("name", ""))
            rule_url = safe_url(d.get("url"))
            rule = f"[{code}]({rule_url}) {name}" if rule_url else f"{code} {name}"
            message = md(d.get("message", ""), MAX_MESSAGE)
            if d.get("help"):
                message += f"<br>_{md(d['help'], MAX_MESSAGE)}_"
            out.append(f"| {ICON[sev]} {sev} | {where_text} | {rule} | {message} |")
        notes = []
        if total > max_rows:
            notes.append(f"Showing the first {max_rows} of {total} findings; the step's log has them all.")
        if any(n > ANNOTATION_CAP for n in found.values()):
            notes.append(f"GitHub shows at most {ANNOTATION_CAP} annotations of each severity per step "
                         "(and 50 per job): the rest are only in this table and the log.")
        if sarif_file:
            notes.append(f"SARIF report: {code_span(sarif_file)}.")
        if notes:
            out += [""] + [f"> {n}" for n in notes]
    return "\n".join(out) + "\n"


def write_outputs(path: str, diagnostics: list[dict] | None) -> None:
    found = counts(diagnostics or [])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"errors={found['error']}\nwarnings={found['warning']}\ninfos={found['info']}\n")
        fh.write(f"findings={len(diagnostics or [])}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="the JSON report of `repolint check --format json`")
    parser.add_argument("--exit-code", type=int, default=None, help="repolint's exit code")
    parser.add_argument("--paths", default=".", help="what was linted, for the headline")
    parser.add_argument("--max-rows", type=int, default=50, help="findings shown in the table")
    parser.add_argument("--sarif-file", default=None, help="the SARIF report, when one was written")
    parser.add_argument("--outputs", default=None, help="append counts as key=value lines to this file")
    args = parser.parse_args(argv)
    diagnostics = load(args.report)
    sys.stdout.write(render(diagnostics, exit_code=args.exit_code, paths=args.paths,
                            max_rows=max(args.max_rows, 0), sarif_file=args.sarif_file))
    if args.outputs:
        write_outputs(args.outputs, diagnostics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
