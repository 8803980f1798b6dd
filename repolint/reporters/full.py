"""The default format: each diagnostic with a source excerpt, then a summary per repo.

    examples/broken-model/config.json:7:17: RL201 [*] [unknown-model-type] message
      |
    6 |   "hidden_size": 768,
    7 |   "model_type": "bert-ish",
      |                 ^^^^^^^^^^
      = help: ...
      = fix (safe): ...
      = applies to transformers 5.23, 4.57

    Found 1 error in examples/broken-model.
    [*] 1 fixable with the --fix option.

[*] marks a finding --fix would fix; an unsafe fix reads "fix (unsafe, with --unsafe-fixes)"
until --unsafe-fixes (or unsafe-fixes = true) enables it.
"""

from __future__ import annotations

import functools
import unicodedata

from repolint.reporters import clean_source, clean_text, display_path, fix_marker, fix_note_title, fix_summary, sev, summary_line

MAX_WIDTH = 120  # longest excerpt line shown; longer lines are clipped around the column
LEAD = 40  # characters kept before the column when clipping
MAX_SPAN_LINES = 3  # lines of a multi-line span shown before "..."
ELLIPSIS = "..."

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
CYAN = "\x1b[36m"
SEVERITY_COLOR = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;34m"}
REMOTE_CODE_SUMMARY = "RL910"  # rules/remote_code.py: one line per repo that runs custom code


def render(results, *, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if color else text

    blocks: list[str] = []
    sections: list[str] = []
    for result in results:
        for diag in result.diagnostics:
            if diag.code == REMOTE_CODE_SUMMARY:  # printed as a short section, not as a finding
                sections.append(_remote_code_section(result, diag, paint))
            else:
                blocks.append(_diagnostic(result, diag, paint))
    if sections:
        blocks.append("\n".join(sections))
    summaries = [paint(summary_line(r), BOLD) for r in results]
    fixes = fix_summary(results)
    if fixes:
        summaries.append(fixes)
    out = "\n\n".join(blocks)
    if summaries:
        out = out + "\n\n" + "\n".join(summaries) if out else "\n".join(summaries)
    return out


def _remote_code_section(result, diag, paint) -> str:
    where = clean_text(display_path(result, diag.location.file), one_line=True)
    return (f"{paint('Remote code', BOLD)} ({where}:{diag.location.line}, {diag.code}): "
            f"{clean_text(diag.message, one_line=True)}")


def _diagnostic(result, diag, paint) -> str:
    loc = diag.location
    path = clean_text(display_path(result, loc.file), one_line=True)
    severity = sev(diag)
    message = clean_text(diag.message)
    head = (
        f"{paint(f'{path}:{loc.line}:{loc.column}:', BOLD)} "
        f"{paint(diag.code, SEVERITY_COLOR.get(severity, BOLD))}{fix_marker(result, diag)} [{diag.name}] "
    )
    message_lines = message.split("\n")
    lines = [head + message_lines[0]] + ["    " + m for m in message_lines[1:]]

    text, _problem = _source(result, loc.file)
    excerpt, width = _excerpt(text, loc, paint) if text is not None else ([], 1)
    lines.extend(excerpt)

    pad = " " * width
    notes = []
    if diag.help:
        notes.append(("help", clean_text(diag.help)))
    if diag.fix is not None:
        notes.append((fix_note_title(result, diag), clean_text(diag.fix.description)))
    if diag.targets:
        notes.append((None, "applies to transformers " + ", ".join(diag.targets)))
    for title, body in notes:
        first, *rest = body.split("\n")
        lines.append(f"{pad} = {title}: {first}" if title else f"{pad} = {first}")
        lines.extend(f"{pad}   {r}" for r in rest)
    return "\n".join(lines)


def _source(result, file: str):
    try:
        return result.repo.read_text(file)
    except Exception:  # noqa: BLE001 - an excerpt is a nicety; never fail the report for it
        return None, None


@functools.lru_cache(maxsize=8)
def _lines(text: str) -> list[str]:
    """A file's lines, split once per file, not once per finding (a 20 MB file with hundreds
    of findings took seconds); a str caches its hash, so the lookup is cheap."""
    return text.split("\n")


def _excerpt(text: str, loc, paint) -> tuple[list[str], int]:
    """Gutter lines for the line before, the span's lines and the caret; and the gutter width."""
    source = _lines(text)
    line = loc.line
    if line < 1 or line > len(source):
        return [], 1
    end_line = min(max(loc.end_line or line, line), len(source))
    last_shown = min(end_line, line + MAX_SPAN_LINES - 1)
    numbers = ([line - 1] if line > 1 else []) + list(range(line, last_shown + 1))
    width = len(str(numbers[-1]))

    first = source[line - 1].rstrip("\r")
    col0 = max(loc.column, 1) - 1
    start = 0
    if len(first) > MAX_WIDTH:
        start = max(0, min(col0 - LEAD, len(first) - MAX_WIDTH))

    def clip(raw: str) -> str:
        raw = raw.rstrip("\r")
        if len(raw) <= MAX_WIDTH and start == 0:
            return clean_source(raw)
        shown = raw[start : start + MAX_WIDTH]
        prefix = ELLIPSIS if start > 0 else ""
        suffix = ELLIPSIS if start + MAX_WIDTH < len(raw) else ""
        return prefix + clean_source(shown) + suffix

    def gutter(number: int | str, body: str = "") -> str:
        return f"{number:>{width}} |" + (f" {body}" if body else "")

    out = [gutter("")]
    for n in numbers:
        out.append(gutter(n, clip(source[n - 1])))
        if n == line:
            out.append(gutter("", _caret(first, col0, loc, end_line, start, paint)))
    if last_shown < end_line:
        out.append(gutter("", ELLIPSIS))  # the rest of a long span
    return out, width


def _caret(first: str, col0: int, loc, end_line: int, start: int, paint) -> str:
    if end_line == loc.line and loc.end_column is not None and loc.end_column > loc.column:
        length = loc.end_column - loc.column
    elif end_line > loc.line:
        length = max(len(first) - col0, 1)  # to the end of the first line
    else:
        length = 1
    # the clipped view of the line: keep the caret inside it
    view_end = start + MAX_WIDTH if len(first) > MAX_WIDTH else max(len(first), col0 + length)
    col0 = min(max(col0, start), view_end)
    length = max(min(length, view_end - col0), 1)
    before = first[start:col0]
    indent = (ELLIPSIS if start > 0 else "") + "".join(_blank(ch) for ch in before)
    indent += " " * max(0, col0 - start - len(before))  # a column past the end of the line
    underline = sum(_cells(ch) for ch in first[col0 : col0 + length]) + max(
        0, length - len(first[col0 : col0 + length])
    )
    return indent + paint("^" * max(underline, 1), CYAN)


def _cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _blank(ch: str) -> str:
    return "\t" if ch == "\t" else " " * _cells(ch)
