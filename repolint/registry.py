"""Rule metadata, the registry, and the selectors (code, prefix or name) that pick rules.

A rule is a class with its documentation and its examples next to its logic. The
registry refuses, at import time, a rule that lacks metadata or reuses a code or name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from repolint.engine import Context

DOCS_URL = "https://github.com/repolint/repolint/blob/main/docs/rules.md#{anchor}"

_CODE_RE = re.compile(r"^RL\d{3}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SEVERITIES = ("error", "warning", "info")
# a rule's fixes: "mixed" when it grades each finding's fix (safe or unsafe), "none" without fixes
APPLICABILITIES = ("safe", "unsafe", "mixed", "display-only", "none")


@dataclass
class Finding:
    """What a rule yields: a message anchored in a file, by JSON pointer or by line.

    The engine turns findings into Diagnostics, computing positions only for the findings
    that survive the configuration.
    """

    file: str
    message: str
    pointer: str | None = None  # JSON pointer into the file
    at_key: bool = False  # anchor on the key rather than the value
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    help: str | None = None
    fix: dict | None = None  # {"description", "applicability", "edits"}
    severity: str | None = None  # overrides the rule's default for this finding


@dataclass
class Example:
    """A tiny repo: file name -> text. ``expect`` lists (file, line) of the findings."""

    files: dict[str, str]
    expect: list[tuple[str, int]] = field(default_factory=list)
    targets: tuple[str, ...] = ()  # transformers versions; empty means the default


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[str] = "error"
    why: ClassVar[str]
    fix_text: ClassVar[str]
    fix_applicability: ClassVar[str] = "none"
    fix_detail: ClassVar[str] = ""  # when --fix offers a fix and how it is graded (rules with fixes)
    uses_knowledge: ClassVar[bool] = False  # run once per target transformers version
    # runs after `# repolint: ignore[...]` comments are applied, via check_suppressions()
    after_suppressions: ClassVar[bool] = False
    invalid: ClassVar[list[Example]]
    valid: ClassVar[list[Example]]

    def check(self, ctx: "Context") -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def family(cls) -> str:
        return cls.__module__.rsplit(".", 1)[-1]

    @classmethod
    def anchor(cls) -> str:
        return f"{cls.code.lower()}-{cls.name}"

    @classmethod
    def url(cls) -> str:
        return DOCS_URL.format(anchor=cls.anchor())


class RegistryError(Exception):
    pass


_RULES: dict[str, type[Rule]] = {}
_BY_NAME: dict[str, type[Rule]] = {}

_REQUIRED = ("code", "name", "summary", "why", "fix_text", "invalid", "valid")


def register(cls: type[Rule]) -> type[Rule]:
    missing = [attr for attr in _REQUIRED if not getattr(cls, attr, None)]
    if missing:
        raise RegistryError(f"rule {cls.__name__} lacks {', '.join(missing)}")
    if not _CODE_RE.match(cls.code):
        raise RegistryError(f"rule {cls.__name__}: code {cls.code!r} is not RLnnn")
    if not _NAME_RE.match(cls.name):
        raise RegistryError(f"rule {cls.__name__}: name {cls.name!r} is not kebab-case")
    if cls.severity not in SEVERITIES:
        raise RegistryError(f"rule {cls.code}: severity {cls.severity!r}")
    if cls.fix_applicability not in APPLICABILITIES:
        raise RegistryError(f"rule {cls.code}: fix applicability {cls.fix_applicability!r}")
    if cls.fix_applicability in ("safe", "unsafe", "mixed") and not getattr(cls, "fix_detail", ""):
        raise RegistryError(f"rule {cls.code}: a rule with fixes says when it offers them (fix_detail)")
    if cls.code in _RULES and _RULES[cls.code] is not cls:
        raise RegistryError(f"{cls.code} is used by {_RULES[cls.code].__name__} and {cls.__name__}")
    if cls.name in _BY_NAME and _BY_NAME[cls.name] is not cls:
        raise RegistryError(f"rule name {cls.name!r} is used twice")
    _RULES[cls.code] = cls
    _BY_NAME[cls.name] = cls
    return cls


def all_rules() -> list[type[Rule]]:
    import repolint.rules  # noqa: F401  (registers every rule family)

    return sorted(_RULES.values(), key=lambda r: r.code)


def find_rule(selector: str) -> type[Rule] | None:
    all_rules()
    return _RULES.get(selector.upper()) or _BY_NAME.get(selector.lower())


def expand_selector(selector: str) -> set[str]:
    """Codes picked by a code ("RL201"), a prefix ("RL2", "RL"), "ALL", or a name."""
    rules = all_rules()
    sel = selector.strip()
    if sel.upper() == "ALL":
        return {r.code for r in rules}
    if sel.lower() in _BY_NAME:
        return {_BY_NAME[sel.lower()].code}
    if sel.upper().startswith("RL"):
        picked = {r.code for r in rules if r.code.startswith(sel.upper())}
        if picked:
            return picked
    raise KeyError(selector)
