"""Stage (a) of a scan: the checks that need nothing but the Hub's listing of a repo.

``HfApi.list_models(expand=["sha", "siblings", "config"])`` (or ``model_info`` with the
same ``expand``) tells, without downloading anything, the repo's file names and the Hub's
digest of its config.json: ``model_type``, ``architectures`` and ``auto_map``. That is
enough for the rules that join those three fields with the file list, so the listing stage
runs repolint's own rules, unchanged, on a stand-in repo (``ListingRepo``): the listed file
names, and a config.json made of the three fields. Every other file "exists" but cannot be
read, so a rule that needs its content finds nothing (never a false finding).

The rules reused (``LISTING_RULES``), each reading only those fields and the file names:
RL201 unknown-model-type (model_type unknown to the target snapshot, or newer than it),
RL203 unknown-architecture, RL301 malformed-auto-map-reference, RL302
tokenizer-auto-map-shape (config.json's entry), RL303 unknown-auto-class, RL304
auto-map-module-missing (the file list), RL305 cross-repo-code, RL306
builtin-model-type-with-custom-code. Rules that need the rest of config.json are left
out (RL202 missing-model-type: the Hub's digest may drop a model_type it cannot parse).
Their positions point into the stand-in file, so listing findings carry no line/column.
"""

from __future__ import annotations

import json
from pathlib import Path

from repolint.repo import Problem, Repo

LISTING_RULES = frozenset({"RL201", "RL203", "RL301", "RL302", "RL303", "RL304", "RL305", "RL306"})
CONFIG_KEYS = ("model_type", "architectures", "auto_map")


class ListingRepo(Repo):
    """A repo known only from its listing: top-level names, and config.json's digest."""

    def __init__(self, names, config: dict | None, label: str):
        super().__init__(Path("/nonexistent/repolint-listing"), label=label)
        self._names = sorted({n for n in names if isinstance(n, str) and n and "/" not in n})
        self._present = frozenset(self._names)
        self.use_cache = False
        digest = {k: config[k] for k in CONFIG_KEYS if k in config} if isinstance(config, dict) else None
        self._config_text = json.dumps(digest, indent=2) if digest is not None and "config.json" in self._present else None

    def top_level(self) -> list[str]:
        return list(self._names)

    def exists(self, rel: str) -> bool:
        return rel in self._present

    def _read_text(self, rel: str):
        if rel == "config.json" and self._config_text is not None:
            return self._config_text, None
        return None, Problem("unreadable", f"{rel} is not read at the listing stage")

    def list_dir(self, rel: str) -> list[str]:
        return []

    def open_binary(self, rel: str):
        return None, Problem("unreadable", f"{rel} is not read at the listing stage")


def listing_diagnostics(names, config: dict | None, label: str, settings, knowledge) -> list:
    """The listing-stage findings: ``settings`` (resolved) restricted to LISTING_RULES."""
    from repolint.engine import run

    settings.enabled = frozenset(settings.enabled & LISTING_RULES)
    return run(ListingRepo(names, config, label), settings, knowledge).diagnostics
