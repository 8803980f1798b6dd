"""Applying safe fixes (`repolint check --fix`): the only code path that writes into a repo."""

from __future__ import annotations

import os


def physical_lines(text: str) -> list[str]:
    """Lines as Python's parser and json count them (split at \\n only, ends kept):
    str.splitlines would also split at form feeds and other separators and shift the lines."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _offset(lines: list[str], line: int, column: int) -> int:
    return sum(len(x) for x in lines[: line - 1]) + column - 1


def apply_safe_fixes(results) -> int:
    """Apply the edits of every diagnostic whose fix is "safe"; return how many diagnostics
    were fixed. Hub repos (hf://) are views of a remote repo and are never written to.
    Edits that overlap one already taken in the same file are skipped (a re-run fixes them)."""
    fixed = 0
    for result in results:
        if str(result.repo.label).startswith("hf://"):
            continue
        by_file: dict[str, list] = {}
        for d in result.diagnostics:
            if d.fix is not None and d.fix.applicability.value == "safe" and d.fix.edits:
                by_file.setdefault(d.fix.edits[0].file, []).append(d)  # a fix edits one file
        for rel, diags in by_file.items():
            path = os.path.realpath(os.path.join(result.repo.root, rel))  # a symlink stays a symlink
            with open(path, encoding="utf-8", newline="") as fh:
                text = fh.read()
            lines = physical_lines(text)
            spans = []
            for d in diags:
                edits = [(_offset(lines, e.line, e.column), _offset(lines, e.end_line, e.end_column), e.content) for e in d.fix.edits]
                spans.append((min(s for s, _, _ in edits), edits))
            taken: list[tuple[int, int]] = []
            chosen = []
            for _, edits in sorted(spans, key=lambda x: x[0]):
                if any(s < te and ts < e or s == ts for s, e, _ in edits for ts, te in taken):
                    continue
                taken.extend((s, e) for s, e, _ in edits)
                chosen.extend(edits)
                fixed += 1
            for start, end, content in sorted(chosen, key=lambda x: x[0], reverse=True):
                text = text[:start] + content + text[end:]
            tmp = f"{path}.repolint-fix.tmp"
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            os.replace(tmp, path)
    return fixed
