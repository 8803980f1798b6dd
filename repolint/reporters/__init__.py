"""Output formats. Each format is one module with ``render(results, *, color) -> str``.

Reporters are pure functions of the engine's results (plus the working directory, for
the formats that need paths GitHub / SARIF viewers can resolve). The format module is
imported only when it is used, and nothing here imports pydantic: start-up time matters.

The helpers below are shared by the format modules.
"""

from __future__ import annotations

import importlib
import os
import posixpath
import re
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pragma: no cover
    from repolint.engine import Result
    from repolint.registry import Rule

FORMATS = ("full", "concise", "json", "github", "sarif")

SEVERITY_ORDER = ("error", "warning", "info")


def render(fmt: str, results: list["Result"], *, color: bool = False) -> str:
    """The report for ``results`` in format ``fmt``, without a trailing newline."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"{__name__}.{fmt}")
    return module.render(results, color=color)


# -- rule metadata ------------------------------------------------------------------


def rule_lookup() -> Callable[[str], "type[Rule] | None"]:
    """A cached ``code -> Rule class | None``. Never raises: a rule module that fails to
    import (or a code the registry does not know) must not break reporting."""
    cache: dict[str, object] = {}

    def lookup(code: str):
        if code not in cache:
            try:
                from repolint.registry import find_rule

                cache[code] = find_rule(code)
            except Exception:  # noqa: BLE001 - reporting never crashes on the registry
                cache[code] = None
        return cache[code]

    return lookup


def rule_url(rule, code: str, name: str) -> str:
    """The rule's docs URL; for a code the registry does not know, the same scheme."""
    if rule is not None:
        try:
            return rule.url()
        except Exception:  # noqa: BLE001
            pass
    from repolint.registry import DOCS_URL

    if code == "RL000":  # the engine's internal-error finding; README's exit codes explain it
        return DOCS_URL.replace("docs/rules.md", "README.md").format(anchor="usage")
    return DOCS_URL.format(anchor=f"{code.lower()}-{name}")


# -- diagnostics -------------------------------------------------------------------


def sev(diag) -> str:
    """The severity of a diagnostic as a plain string ("error", "warning", "info")."""
    value = diag.severity
    return getattr(value, "value", value)


def label_path(label: str, file: str) -> str:
    """The repo label (as the user named the repo) joined with a repo-relative file."""
    if label in ("", ".", "./"):
        return file
    label = label.replace("\\", "/") if os.sep == "\\" else label
    return posixpath.join(label.rstrip("/") or "/", file)


def display_path(result, file: str) -> str:
    return label_path(result.repo.label, file)


def cwd_relative(result, file: str, cwd: str | None = None) -> str | None:
    """The file as a '/'-separated path relative to the working directory, or None when
    the repo does not lie under it, or when it is a temporary view of a Hub repo (hf://)."""
    if str(result.repo.label).startswith("hf://"):
        return None
    cwd = cwd or os.getcwd()
    root = os.fspath(result.repo.root)
    for norm in (os.path.abspath, os.path.realpath):
        base, here = norm(cwd), norm(root)
        try:
            if os.path.commonpath([base, here]) != base:
                continue
        except ValueError:  # different drives on Windows
            continue
        rel = os.path.relpath(here, base).replace(os.sep, "/")
        return file if rel == "." else posixpath.join(rel, file)
    return None


def workspace_path(result, file: str, cwd: str | None = None) -> str:
    """A path GitHub resolves from the workspace root: relative to the working directory
    when the repo lies under it, otherwise the repo label joined with the file."""
    rel = cwd_relative(result, file, cwd)
    return rel if rel is not None else display_path(result, file)


def counts(diagnostics) -> dict[str, int]:
    found = {s: 0 for s in SEVERITY_ORDER}
    for d in diagnostics:
        found[sev(d)] = found.get(sev(d), 0) + 1
    return found


def plural(n: int, word: str) -> str:
    if word == "info":  # "2 info", like "2 info messages"
        return f"{n} info"
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(result) -> str:
    label = clean_text(str(result.repo.label), one_line=True)
    if not result.linted:
        return (
            f"{label}: nothing to lint (no config.json, tokenizer_config.json, "
            "preprocessor_config.json, ... or Python files at the top level)."
        )
    found = counts(result.diagnostics)
    parts = [plural(found[s], s) for s in SEVERITY_ORDER if found.get(s)]
    if not parts:
        return f"All checks passed for {label}."
    return f"Found {', '.join(parts)} in {label}."


def fix_marker(result, diag) -> str:
    """" [*]" after the code of a finding --fix would fix (as ruff marks them), else ""."""
    from repolint.fixes import applies, fixable

    return " [*]" if fixable(result) and applies(diag, getattr(result, "unsafe_fixes", False)) else ""


def fix_note_title(result, diag) -> str:
    """The title of a finding's fix note: its grade, and what it takes to apply an unsafe one."""
    from repolint.fixes import fixable, hidden

    grade = getattr(diag.fix.applicability, "value", diag.fix.applicability)
    if fixable(result) and hidden(diag, getattr(result, "unsafe_fixes", False)):
        return f"fix ({grade}, with --unsafe-fixes)"
    return f"fix ({grade})"


def fix_summary(results) -> str | None:
    """ruff's closing line: how many findings --fix would fix, and how many fixes are hidden
    behind --unsafe-fixes; None when there are neither."""
    from repolint.fixes import fix_counts

    shown, concealed = fix_counts(results)
    more = (f" ({concealed} hidden fix{'es' if concealed != 1 else ''} can be enabled with the --unsafe-fixes option)"
            if concealed else "")
    if shown:
        return f"[*] {shown} fixable with the --fix option{more}."
    return f"No fixes available{more}." if concealed else None


# -- text hygiene ------------------------------------------------------------------

# C0 controls but tab and newline, DEL, C1 controls, and lone surrogates: never written
# raw to a terminal (a crafted file could otherwise move the cursor or recolour the output).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape_char(match: re.Match) -> str:
    ch = match.group(0)
    if ch == "\r":
        return "\\r"
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else "\ufffd"


def clean_text(text: str, *, one_line: bool = False) -> str:
    """A message made safe for a terminal; ``one_line`` also escapes newlines."""
    text = _UNSAFE.sub(_escape_char, text)
    if one_line:
        text = text.replace("\n", "\\n")
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def no_surrogates(value):
    """Text that encodes as UTF-8: lone surrogates (a file name that is not UTF-8, read with
    surrogateescape, or a "\\udXXX" escape in a JSON string) become U+FFFD; in the strings
    of a JSON-like value (dicts, lists) too."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {no_surrogates(k): no_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [no_surrogates(v) for v in value]
    return value


def fs_bytes(path: str) -> bytes:
    """The bytes of a file name as the file system has them (surrogateescape undone); other
    lone surrogates, which no file name can hold, become '?'."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return path.encode("utf-8", "replace")


def clean_source(text: str) -> str:
    """A source line made safe for a terminal, one character for one (carets stay aligned)."""
    return _UNSAFE.sub("\ufffd", text)


# -- statistics --------------------------------------------------------------------


def statistics(results: list["Result"], *, as_json: bool = False) -> str:
    """A table like ruff's ``--statistics``: count, code, name and severity of each rule
    that fired, most frequent first (ties by code). The severity shown is the highest
    one the rule reported with. ``as_json``: a JSON array of {code, name, count, severity}
    in the same order ("[]" when nothing fired)."""
    rows: dict[str, list] = {}
    rank = {s: i for i, s in enumerate(reversed(SEVERITY_ORDER))}
    for result in results:
        for d in result.diagnostics:
            row = rows.setdefault(d.code, [0, d.code, d.name, sev(d)])
            row[0] += 1
            if rank.get(sev(d), -1) > rank.get(row[3], -1):
                row[3] = sev(d)
    ordered = sorted(rows.values(), key=lambda r: (-r[0], r[1]))
    if as_json:
        import json

        records = [{"code": c, "name": n, "count": k, "severity": s} for k, c, n, s in ordered]
        return json.dumps(records, indent=2, ensure_ascii=True)
    if not rows:
        return ""
    widths = [max(len(str(r[i])) for r in ordered) for i in range(3)]
    lines = [
        f"{count:>{widths[0]}}  {code:<{widths[1]}}  {name:<{widths[2]}}  {severity}"
        for count, code, name, severity in ordered
    ]
    return "\n".join(lines)
