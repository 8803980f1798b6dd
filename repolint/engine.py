"""Runs the selected rules over a Repo and turns their findings into Diagnostics."""

from __future__ import annotations

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


def has_lintable_files(repo: Repo) -> bool:
    return any(repo.exists(n) for n in CONFIG_FILES) or any(f.endswith(".py") for f in repo.top_level())


def run(repo: Repo, settings: Settings, targets: list[Knowledge] | None = None) -> Result:
    if not has_lintable_files(repo):
        return Result(repo, [], linted=False)
    if targets is None:
        targets = [Knowledge.for_target(DEFAULT_TARGET)]
    rules = [r for r in all_rules() if r.code in settings.enabled]

    # (rule, finding) -> target labels it was found for, in first-seen order
    merged: dict[tuple, tuple[type[Rule], Finding, list[str]]] = {}
    for rule_cls in rules:
        rule = rule_cls()
        contexts = [Context(repo, k) for k in targets] if rule_cls.uses_knowledge else [Context(repo)]
        for ctx in contexts:
            for f in rule.check(ctx):
                key = (rule_cls.code, f.file, f.pointer, f.line, f.column, f.message)
                label = [ctx.knowledge.label] if ctx.knowledge else []
                if key in merged:
                    merged[key][2].extend(label)  # the same finding for another target
                else:
                    merged[key] = (rule_cls, f, label)

    used: set[tuple[str, int, str]] = set()
    kept = []
    for rule_cls, finding, labels in merged.values():
        token = _suppressed_by(repo, rule_cls, finding)
        if token is not None:
            used.add(token)
        else:
            kept.append((rule_cls, finding, list(dict.fromkeys(labels))))
    for rule_cls in rules:
        if rule_cls.after_suppressions:
            found = rule_cls().check_suppressions(Context(repo), used, settings.enabled)
            kept.extend((rule_cls, f, []) for f in found)

    diagnostics = []
    multi = len(targets) > 1
    for rule_cls, finding, labels in kept:
        if settings.ignored_in(rule_cls.code, finding.file):
            continue
        diagnostics.append(to_diagnostic(repo, rule_cls, finding, settings, labels if multi else []))
    diagnostics.sort(key=lambda d: d.sort_key())
    return Result(repo, diagnostics)


def _suppressed_by(repo: Repo, rule_cls: type[Rule], f: Finding):
    """The (file, line, token) of a `# repolint: ignore[...]` comment on the finding's line
    or the line above that names this rule, if any."""
    if not f.file.endswith(".py") or f.line is None:
        return None
    facts = repo.python(f.file)
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
        span = doc.span(f.pointer, f.at_key) if doc is not None else None
        if span is not None:
            line, col, end_line, end_col = span.line, span.col, span.end_line, span.end_col
    severity = settings.severity_by_code.get(rule_cls.code) or f.severity or rule_cls.severity
    return Diagnostic(
        code=rule_cls.code,
        name=rule_cls.name,
        severity=severity,
        message=f.message,
        location=Location(file=f.file, line=line or 1, column=col or 1, end_line=end_line, end_column=end_col),
        repo=repo.label,
        help=f.help,
        fix=Fix(**f.fix) if f.fix else None,
        targets=labels,
    )
