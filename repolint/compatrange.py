"""Which transformers releases does this repo load on? (``repolint check --show-compat``)

For every release the API-surface data covers (the newest patch of each minor, 4.20 ... 5.24),
the repo is checked with the release-sensitive error-level rules: the model type exists
(RL201), the custom code's module-level transformers imports resolve (RL701), the config
attributes read while the model is built exist (RL702), and transformers 5's contracts for
custom model classes hold (RL703, RL704). A release with no such error is one the repo loads on,
as far as repolint can tell statically; the others carry the rule codes that block them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# the rules whose error-level findings depend on the release
BLOCKING_RULES = ("RL201", "RL701", "RL702", "RL703", "RL704")


@dataclass
class CompatRange:
    scanned: list[str]  # releases checked, oldest first
    loads_on: list[str]  # the subset with no blocking error
    blocked: dict[str, list[str]] = field(default_factory=dict)  # release -> rule codes
    saved_with: str | None = None  # config.json transformers_version

    def ranges(self) -> list[tuple[str, str]]:
        """Consecutive runs of ``loads_on`` within ``scanned``, as (first, last) minors."""
        out: list[tuple[str, str]] = []
        ok = set(self.loads_on)
        run: list[str] = []
        for rel in self.scanned:
            if rel in ok:
                run.append(rel)
            elif run:
                out.append((run[0], run[-1]))
                run = []
        if run:
            out.append((run[0], run[-1]))
        return out

    def text(self) -> str:
        span = f"{minor(self.scanned[0])}-{minor(self.scanned[-1])}"
        if not self.loads_on:
            body = f"loads on none of the transformers releases checked ({span})"
        else:
            runs = ", ".join(minor(a) if a == b else f"{minor(a)}-{minor(b)}" for a, b in self.ranges())
            body = f"loads on transformers {runs} (of {span} checked)"
        if self.saved_with:
            body += f"; config.json was saved by {self.saved_with}"
        return body

    def saved_outside(self) -> bool:
        """config.json's transformers_version is a checked release the repo does not load on."""
        if not self.saved_with or not self.loads_on:
            return False
        want = minor(self.saved_with)
        scanned = {minor(r): r for r in self.scanned}
        return want in scanned and scanned[want] not in self.loads_on

    def to_json(self) -> dict:
        return {
            "scanned": [self.scanned[0], self.scanned[-1]] if self.scanned else [],
            "loads_on": [list(r) for r in self.ranges()],
            "blocked": self.blocked,
            "saved_with": self.saved_with,
        }


def minor(version: str) -> str:
    return ".".join(re.findall(r"\d+", version)[:2])


def blockers(repo, release: str) -> list[str] | None:
    """The blocking rule codes for one release (None when repolint has no knowledge of it)."""
    from repolint.engine import Context
    from repolint.knowledge import Knowledge, UnknownTarget
    from repolint.registry import find_rule

    try:
        k = Knowledge.for_target(minor(release))
    except UnknownTarget:
        return None
    ctx = Context(repo, k)
    rules = [find_rule(code) for code in BLOCKING_RULES]
    return sorted({r.code for r in rules for f in r().check(ctx) if (f.severity or r.severity) == "error"})


def compat_range(repo) -> CompatRange | None:
    """The range for ``repo`` (None when the API-surface data is not shipped). Cached per repo."""
    cached = repo.__dict__.get("_compat_range", False)
    if cached is not False:
        return cached
    from repolint.api import api_surface

    api = api_surface()
    result = None
    if api is not None:
        scanned, ok, blocked = [], [], {}
        for rel in api.releases:
            codes = blockers(repo, rel)
            if codes is None:
                continue
            scanned.append(rel)
            if codes:
                blocked[minor(rel)] = codes
            else:
                ok.append(rel)
        data = (repo.json("config.json").obj if repo.json("config.json") is not None else None) or {}
        saved = data.get("transformers_version")
        result = CompatRange(scanned, ok, blocked, saved if isinstance(saved, str) else None) if scanned else None
    repo.__dict__["_compat_range"] = result
    return result
