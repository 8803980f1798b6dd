"""repolint's diagnostics and fixes as Language Server Protocol objects.

repolint counts lines from 1 (split at "\\n" only, as Python's parser and json do) and
columns from 1 in Unicode code points, an end column just past the span. LSP counts both
from 0, and columns in the code units the client and server agreed on at initialize
(UTF-16 unless the client offers another): "é" is one unit, "😀" two in UTF-16.
"""

from __future__ import annotations

from typing import Callable

from lsprotocol import types

SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
SOURCE = "repolint"

Units = Callable[[str], int]  # code units of a string in the negotiated encoding


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class Lines:
    """A text's lines as repolint counts them, for position conversion."""

    def __init__(self, text: str):
        self.lines = [line.removesuffix("\r") for line in text.split("\n")]

    def position(self, line: int, column: int, units: Units) -> types.Position:
        """The LSP position of repolint's 1-based ``line``:``column`` (clamped to the text)."""
        index = min(max(line, 1), len(self.lines)) - 1
        text = self.lines[index]
        return types.Position(line=index, character=units(text[: max(column, 1) - 1]))

    def line_end(self, line: int, units: Units) -> types.Position:
        index = min(max(line, 1), len(self.lines)) - 1
        return types.Position(line=index, character=units(self.lines[index]))


def diagnostic_range(loc, lines: Lines, units: Units) -> types.Range:
    """A finding's range; without an end, to the end of its line."""
    start = lines.position(loc.line, loc.column, units)
    if loc.end_column is None:
        end = lines.line_end(loc.end_line or loc.line, units)
    else:
        end = lines.position(loc.end_line or loc.line, loc.end_column, units)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def to_lsp(diag, url: str, lines: Lines, units: Units) -> types.Diagnostic:
    """One repolint Diagnostic as an LSP Diagnostic: code, severity, message (with the
    help on a second line), the rule's docs as codeDescription."""
    severity = getattr(diag.severity, "value", diag.severity)
    message = diag.message if not diag.help else f"{diag.message}\n{diag.help}"
    data = {"name": diag.name}
    if diag.targets:
        data["targets"] = list(diag.targets)
    return types.Diagnostic(
        range=diagnostic_range(diag.location, lines, units),
        severity=SEVERITY.get(severity, types.DiagnosticSeverity.Error),
        code=diag.code,
        code_description=types.CodeDescription(href=url),
        source=SOURCE,
        message=message,
        data=data,
    )


def text_edits(fix, lines_of: Callable[[str], Lines | None], units: Units) -> dict[str, list[types.TextEdit]] | None:
    """A fix's edits per repo-relative file as LSP TextEdits; None when a file it edits
    cannot be read (``lines_of`` returns None)."""
    out: dict[str, list[types.TextEdit]] = {}
    for edit in fix.edits:
        lines = lines_of(edit.file)
        if lines is None:
            return None
        rng = types.Range(start=lines.position(edit.line, edit.column, units),
                          end=lines.position(edit.end_line, edit.end_column, units))
        out.setdefault(edit.file, []).append(types.TextEdit(range=rng, new_text=edit.content))
    return out


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges touch (a cursor at either end of a finding counts)."""
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)
