"""One line per diagnostic, ``path:line:col: CODE [severity] message``, then a summary per repo."""

from __future__ import annotations

from repolint.reporters import clean_text, display_path, fix_marker, fix_summary, sev, summary_line

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
SEVERITY_COLOR = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;34m"}


def render(results, *, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if color else text

    lines: list[str] = []
    for result in results:
        for diag in result.diagnostics:
            loc = diag.location
            path = clean_text(display_path(result, loc.file), one_line=True)
            severity = sev(diag)
            lines.append(
                f"{paint(f'{path}:{loc.line}:{loc.column}:', BOLD)} "
                f"{paint(diag.code, SEVERITY_COLOR.get(severity, BOLD))}{fix_marker(result, diag)} [{severity}] "
                f"{clean_text(diag.message, one_line=True)}"
            )
    lines.extend(paint(summary_line(r), BOLD) for r in results)
    fixes = fix_summary(results)
    if fixes:
        lines.append(fixes)
    return "\n".join(lines)
