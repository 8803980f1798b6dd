"""Fixes: which ones apply, what they change, and writing them (`repolint check --fix`), the
only code path that writes into a repo; or showing them as a unified diff (`--diff`).

A fix is graded by the rule that offers it: "safe" (the fixed repo loads as the author meant;
`--fix` applies it), "unsafe" (likely right, but it changes what loads or could be the wrong
guess; applied only with --unsafe-fixes or `unsafe-fixes = true`), "display-only" (shown,
never applied). --fix and --diff compute the same changes in one pass (plan()); --diff prints
them, --fix writes them. Hub repos (hf://) are views of a remote repo and are never fixed.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field


def physical_lines(text: str) -> list[str]:
    """Lines as Python's parser and json count them (split at \\n only, ends kept):
    str.splitlines would also split at form feeds and other separators and shift the lines."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _applicability(diag) -> str | None:
    fix = diag.fix
    if fix is None or not fix.edits:
        return None
    return getattr(fix.applicability, "value", fix.applicability)


def fixable(result) -> bool:
    """Whether fixes may be applied to this result's repo at all (never to hf:// views)."""
    return not str(result.repo.label).startswith("hf://")


def applies(diag, unsafe: bool) -> bool:
    """Whether --fix applies this diagnostic's fix: a safe one, or an unsafe one when unsafe
    fixes are on."""
    grade = _applicability(diag)
    return grade == "safe" or (unsafe and grade == "unsafe")


def hidden(diag, unsafe: bool) -> bool:
    """An unsafe fix that --unsafe-fixes would enable."""
    return not unsafe and _applicability(diag) == "unsafe"


def fix_counts(results) -> tuple[int, int]:
    """(findings --fix would fix, findings whose fix needs --unsafe-fixes) over the results."""
    shown = concealed = 0
    for result in results:
        if not fixable(result):
            continue
        unsafe = getattr(result, "unsafe_fixes", False)
        for d in result.diagnostics:
            shown += applies(d, unsafe)
            concealed += hidden(d, unsafe)
    return shown, concealed


@dataclass
class FileChange:
    """The text of one file before and after the fixes chosen for it."""

    result: object
    rel: str  # repo-relative, '/'-separated
    path: str  # the file written (a symlink inside the repo is followed, and stays a symlink)
    before: str
    after: str
    fixed: list = field(default_factory=list)  # the diagnostics whose fixes made the change


def _offset(lines: list[str], line: int, column: int) -> int:
    return sum(len(x) for x in lines[: line - 1]) + column - 1


def _clashes(edits, taken) -> bool:
    """An edit overlaps one already taken, or starts where one starts (two insertions at one
    place may both go in: their order is their text's, which keeps sorted keys sorted)."""
    for s, e, content in edits:
        for ts, te, tcontent in taken:
            if s < te and ts < e:
                return True
            if s == ts and (s != e or ts != te or content == tcontent):
                return True
    return False


def plan(results, unsafe: bool | None = None) -> list[FileChange]:
    """The changes the applicable fixes make, file by file. ``unsafe`` None: each result's own
    setting (unsafe-fixes in its settings, or the command line's). An edit that overlaps one
    already chosen in the same file is left for a re-run."""
    changes = []
    for result in results:
        if not fixable(result):
            continue
        allow = getattr(result, "unsafe_fixes", False) if unsafe is None else unsafe
        by_file: dict[str, list] = {}
        for d in result.diagnostics:
            if applies(d, allow) and len({e.file for e in d.fix.edits}) == 1:
                by_file.setdefault(d.fix.edits[0].file, []).append(d)
        for rel, diags in by_file.items():
            change = _change(result, rel, diags)
            if change is not None:
                changes.append(change)
    return changes


def _change(result, rel: str, diags) -> FileChange | None:
    path = os.path.realpath(os.path.join(result.repo.root, rel))  # a symlink stays a symlink
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError:  # changed since it was linted: not the text the edits were made for
        return None
    lines = physical_lines(text)
    spans = []
    for d in diags:
        edits = [(_offset(lines, e.line, e.column), _offset(lines, e.end_line, e.end_column), e.content) for e in d.fix.edits]
        if all(0 <= s <= e <= len(text) for s, e, _ in edits):
            spans.append((min(s for s, _, _ in edits), d, edits))
    taken: list[tuple[int, int, str]] = []
    fixed = []
    for _, d, edits in sorted(spans, key=lambda x: (x[0], x[2][0][2])):
        if _clashes(edits, taken):
            continue
        taken.extend(edits)
        fixed.append(d)
    after = text
    for start, end, content in sorted(taken, key=lambda x: (x[0], x[2]), reverse=True):
        after = after[:start] + content + after[end:]
    if after == text:
        return None
    return FileChange(result, rel, path, text, after, fixed)


def apply(changes: list[FileChange]) -> int:
    """Write every change (atomically, keeping the file's mode); the number of findings fixed."""
    for c in changes:
        tmp = f"{c.path}.repolint-fix.tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(c.after)
        os.chmod(tmp, os.stat(c.path).st_mode & 0o7777)
        os.replace(tmp, c.path)
    return sum(len(c.fixed) for c in changes)


def apply_safe_fixes(results) -> int:
    """Apply the safe fixes (and the unsafe ones where the results allow them); how many
    findings were fixed."""
    return apply(plan(results))


NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(changes: list[FileChange]) -> str:
    """One unified diff for all changes, ``--- a/<path>`` / ``+++ b/<path>`` with the paths
    the report shows (relative to the working directory when the repo is under it), which
    `patch -p1` and `git apply` take from the working directory."""
    from repolint.reporters import workspace_path

    out: list[str] = []
    for c in changes:
        name = workspace_path(c.result, c.rel)
        for line in difflib.unified_diff(physical_lines(c.before), physical_lines(c.after), f"a/{name}", f"b/{name}"):
            out.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE)
    return "".join(out)
