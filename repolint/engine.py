"""Runs the selected rules over a Repo and turns their findings into Diagnostics."""

from __future__ import annotations

import dataclasses
import os
import re
import traceback
from dataclasses import dataclass, field

from repolint.config import Settings
from repolint.knowledge import DEFAULT_TARGET, Knowledge
from repolint.registry import Finding, Rule, all_rules
from repolint.repo import CONFIG_FILES, Repo


@dataclass
class Context:
    """What a rule sees: the repo, and (for knowledge rules) one target release."""

    repo: Repo
    knowledge: Knowledge | None = None

    def doc(self, name: str):
        return self.repo.json(name)

    def obj(self, name: str) -> dict | None:
        doc = self.repo.json(name)
        return doc.obj if doc is not None else None


@dataclass
class Result:
    repo: Repo
    diagnostics: list = field(default_factory=list)
    linted: bool = True  # False when the folder holds nothing repolint reads
    unsafe_fixes: bool = False  # whether --fix applies this repo's unsafe fixes too (settings)


def has_lintable_files(repo: Repo) -> bool:
    return any(repo.exists(n) for n in CONFIG_FILES) or any(f.endswith(".py") for f in repo.top_level())


def run(repo: Repo, settings: Settings, targets: list[Knowledge] | None = None) -> Result:
    if not has_lintable_files(repo):
        return Result(repo, [], linted=False)
    if targets is None:
        targets = [Knowledge.for_target(DEFAULT_TARGET)]
    rules = [r for r in all_rules() if r.code in settings.enabled]

    crashes = _Crashes(repo)
    # (rule, finding) -> target labels it was found for, in first-seen order
    merged: dict[tuple, tuple[type[Rule], Finding, list[str]]] = {}
    differing: set[tuple] = set()  # merged findings whose targets offer different fixes
    for rule_cls in rules:
        contexts = [Context(repo, k) for k in targets] if rule_cls.uses_knowledge else [Context(repo)]
        for ctx in contexts:
            repo.last_read = None
            try:  # the findings a rule yielded before it failed are kept
                for f in rule_cls().check(ctx):
                    label = [ctx.knowledge.label] if ctx.knowledge else []
                    key = (rule_cls.code, f.file, f.pointer, f.line, f.column, _template(f.message, label))
                    if key in merged:
                        merged[key][2].extend(label)  # the same finding for another target
                        if f.fix != merged[key][1].fix:
                            differing.add(key)  # ... whose fix is another, or none there
                    else:
                        merged[key] = (rule_cls, f, label)
            except Exception as exc:  # noqa: BLE001 - one rule's bug must not lose the run
                crashes.add(rule_cls, exc)

    used: set[tuple[str, int, str]] = set()
    kept = []
    for key, (rule_cls, finding, labels) in merged.items():
        if key in differing:
            finding = _unsure_fix(finding, "the targets disagree on it")
        token = _suppressed_by(repo, rule_cls, finding)
        if token is not None:
            used.add(token)
        else:
            labels = list(dict.fromkeys(labels))
            kept.append((rule_cls, _for_releases(finding, labels), labels))
    for rule_cls in rules:
        if rule_cls.after_suppressions:
            repo.last_read = None
            try:
                found = list(rule_cls().check_suppressions(Context(repo), used, settings.enabled))
            except Exception as exc:  # noqa: BLE001
                crashes.add(rule_cls, exc)
                continue
            kept.extend((rule_cls, f, []) for f in found)

    diagnostics = []
    multi = len(targets) > 1
    shown: dict[tuple, int] = {}
    cut: dict[tuple, list] = {}  # (rule, file) -> [rule class, first finding cut, how many, its labels]
    for rule_cls, finding, labels in kept:
        if settings.ignored_in(rule_cls.code, finding.file):
            continue
        key = (rule_cls.code, finding.file if isinstance(finding.file, str) else None)
        shown[key] = shown.get(key, 0) + 1
        if shown[key] > MAX_PER_RULE_AND_FILE:
            entry = cut.setdefault(key, [rule_cls, finding, 0, labels])
            entry[2] += 1
            if _rank(finding, rule_cls) > _rank(entry[1], rule_cls):
                entry[1], entry[3] = finding, labels  # the summary keeps the worst severity cut
            continue
        if multi and labels and len(labels) < len(targets):
            finding = _unsure_fix(finding, f"made for transformers {_releases(labels)} only")
        try:
            diagnostics.append(to_diagnostic(repo, rule_cls, finding, settings, labels if multi else []))
        except Exception as exc:  # noqa: BLE001 - e.g. a finding whose fields do not validate
            crashes.add(rule_cls, exc, file=finding.file if isinstance(finding.file, str) else None)
    for rule_cls, finding, count, labels in cut.values():
        more = dataclasses.replace(finding, fix=None, message=(
            f"and {count:,} more {rule_cls.code} findings in this file, not listed (repolint lists the first "
            f"{MAX_PER_RULE_AND_FILE:,} of a rule per file); the first of them: {finding.message}"))
        diagnostics.append(to_diagnostic(repo, rule_cls, more, settings, labels if multi else []))
    diagnostics.extend(crashes.diagnostics())
    diagnostics.sort(key=lambda d: d.sort_key())
    return Result(repo, diagnostics, unsafe_fixes=settings.unsafe_fixes)


# A rule that fires on every line of a huge generated module would otherwise cost ~3 KB of
# memory per finding (126,000 suppression comments naming unknown rules: 450 MB as text, 1.2 GB
# as SARIF). Past this many findings of one rule in one file, one summary finding stands for the
# rest, with the worst severity among them (so the exit code is unchanged).
MAX_PER_RULE_AND_FILE = 1000


def _rank(finding: Finding, rule_cls) -> int:
    from repolint.diagnostics import Severity  # imported by to_diagnostic anyway

    severity = finding.severity or rule_cls.severity
    return Severity(getattr(severity, "value", severity)).rank


def _release_re(label: str) -> re.Pattern:
    return re.compile(rf"\btransformers {re.escape(label)}(?![\w]|\.\d)")


def _template(message: str, labels: list[str]) -> str:
    """The merge key of a message: the target release it names ("transformers 5.23", the
    rules' convention) replaced by a placeholder, so that one defect found on several targets
    is one finding whatever release its message names."""
    if not labels or not isinstance(message, str):
        return message
    return _release_re(labels[0]).sub("transformers \0", message)


def _releases(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _for_releases(f: Finding, labels: list[str]) -> Finding:
    """The finding of the first target, its message (and help) naming every release it was
    found for: "transformers 4.57 and 5.23 has no such model type"."""
    if len(labels) < 2:
        return f
    named = "transformers " + _releases(labels)
    pattern = re.compile(_release_re(labels[0]).pattern + _VERB)

    def plural(m: re.Match) -> str:  # "transformers 4.57 and 5.23 have", not "has"
        verb = m.group("verb")
        return named + (m.group("gap") + _PLURAL.get(verb, verb[:-1]) if verb else "")

    return dataclasses.replace(f, message=pattern.sub(plural, f.message) if isinstance(f.message, str) else f.message,
                               help=pattern.sub(plural, f.help) if isinstance(f.help, str) else f.help)


# the verb that follows "transformers X" in the rules' messages, made to agree with several releases
_VERBS = ("has is does takes loads ignores fails raises reads accepts knows defines exports keeps builds returns "
          "uses pops checks calls requires expects lacks removes renames needs gives names treats skips")
_VERB = r"(?:(?P<gap> (?:then |also |still |now )?)(?P<verb>" + "|".join(_VERBS.split()) + r")\b)?"
_PLURAL = {"has": "have", "is": "are", "does": "do"}


def _unsure_fix(f: Finding, why: str) -> Finding:
    """A safe fix computed from one target's view of transformers, where other targets see no
    such finding or another fix: on them the change may do harm, so it becomes unsafe."""
    if not isinstance(f.fix, dict) or f.fix.get("applicability") != "safe":
        return f
    note = f" (unsafe: {why})"
    return dataclasses.replace(f, fix={**f.fix, "applicability": "unsafe",
                                       "description": f"{f.fix.get('description', '')}{note}"})


INTERNAL_ERROR_CODE = "RL000"
INTERNAL_ERROR_NAME = "internal-error"
ISSUES_URL = "https://github.com/repolint/repolint/issues"


class _Crashes:
    """Exceptions raised inside rules, each turned into one internal-error diagnostic for
    that rule and the file it was reading. Severity warning: an error-level finding promises
    that transformers fails, and a crash of repolint says nothing about transformers; the
    other rules' findings still decide the exit code (and --fail-on warning fails on it)."""

    def __init__(self, repo: Repo):
        self.repo = repo
        self.found: dict[tuple, tuple[type[Rule], str, BaseException]] = {}

    def add(self, rule_cls: type[Rule], exc: BaseException, file: str | None = None) -> None:
        if os.environ.get("REPOLINT_DEBUG"):
            raise exc
        file = file or self.repo.last_read or _first_lintable(self.repo)
        key = (rule_cls.code, file, type(exc).__name__, str(exc)[:200])
        self.found.setdefault(key, (rule_cls, file, exc))

    def diagnostics(self) -> list:
        if not self.found:
            return []
        from repolint.diagnostics import Diagnostic, Location

        out = []
        for rule_cls, file, exc in self.found.values():
            detail = " ".join(str(exc).split())[:200]
            out.append(
                Diagnostic(
                    code=INTERNAL_ERROR_CODE,
                    name=INTERNAL_ERROR_NAME,
                    severity="warning",
                    message=(
                        f"internal error in {rule_cls.code} [{rule_cls.name}] while checking {file}: "
                        f"{type(exc).__name__}{': ' + detail if detail else ''}; that rule's findings "
                        f"for this repo may be incomplete. This is a bug in repolint: please report it "
                        f"at {ISSUES_URL}"
                    ),
                    location=Location(file=file, line=1, column=1),
                    repo=self.repo.label,
                    help=f"raised at {_origin(exc)}; set REPOLINT_DEBUG=1 to see the traceback",
                )
            )
        return out


MAX_MESSAGE = 1000  # characters of a message or help text shown


def clip(text: str) -> str:
    """A message cut to MAX_MESSAGE characters: a rule that quotes a 200,000-character value
    from the repo (or thousands of them) must not make a report of hundreds of megabytes."""
    if not isinstance(text, str) or len(text) <= MAX_MESSAGE:
        return text
    return f"{text[:MAX_MESSAGE]}... [{len(text) - MAX_MESSAGE} more characters]"


def _first_lintable(repo: Repo) -> str:
    present = [n for n in CONFIG_FILES if repo.exists(n)]
    return present[0] if present else next((f for f in repo.top_level() if f.endswith(".py")), ".")


def _origin(exc: BaseException) -> str:
    """Where an exception was raised, as package-relative file:line (function)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "an unknown place"
    last = frames[-1]
    parts = last.filename.replace(os.sep, "/").split("/")
    return f"{'/'.join(parts[-2:])}:{last.lineno} ({last.name})"


def _suppressed_by(repo: Repo, rule_cls: type[Rule], f: Finding):
    """The (file, line, token) of a `# repolint: ignore[...]` comment on the finding's line
    or the line above that names this rule, if any."""
    if not isinstance(f.file, str) or not f.file.endswith(".py") or not isinstance(f.line, int):
        return None
    try:
        facts = repo.python(f.file)
    except Exception:  # noqa: BLE001 - the rule that parses this file reports the failure
        return None
    if not facts or "problem" in facts:
        return None
    for line in (f.line, f.line - 1):
        for token in facts["suppressions"].get(str(line), ()):
            if token.upper() == rule_cls.code or token.lower() == rule_cls.name:
                return (f.file, line, token)
    return None


def to_diagnostic(repo: Repo, rule_cls: type[Rule], f: Finding, settings: Settings, labels: list[str]):
    from repolint.diagnostics import Diagnostic, Fix, Location  # pydantic only when there is a finding

    line, col, end_line, end_col = f.line, f.column, f.end_line, f.end_column
    if f.pointer is not None:
        doc = repo.json(f.file)
        try:
            span = doc.span(f.pointer, f.at_key) if doc is not None else None
        except Exception:  # noqa: BLE001 - a finding without its exact position beats no finding
            if os.environ.get("REPOLINT_DEBUG"):
                raise
            span = None
        if span is not None:
            line, col, end_line, end_col = span.line, span.col, span.end_line, span.end_col
    severity = settings.severity_by_code.get(rule_cls.code) or f.severity or rule_cls.severity
    return Diagnostic(
        code=rule_cls.code,
        name=rule_cls.name,
        severity=severity,
        message=clip(f.message),
        location=Location(file=f.file, line=line or 1, column=col or 1, end_line=end_line, end_column=end_col),
        repo=repo.label,
        help=clip(f.help) if f.help else f.help,
        fix=Fix(**f.fix) if f.fix else None,
        targets=labels,
    )
