"""``repolint check --show-settings``: the resolved settings of each model folder."""

from __future__ import annotations

import json


def settings_record(label: str, settings) -> dict:
    return {
        "folder": label,
        "source": settings.source,
        "select": settings.select,
        "extend-select": settings.extend_select,
        "ignore": settings.ignore,
        "per-file-ignores": settings.per_file_ignores,
        "target-transformers": settings.targets,
        "severity": settings.severity,
        "max-file-size": settings.max_file_size,
        "exclude": settings.exclude or [],
        "extend-exclude": settings.extend_exclude,
        "respect-gitignore": settings.respect_gitignore,
        "unsafe-fixes": settings.unsafe_fixes,
        "enabled": sorted(settings.enabled),
    }


def render_settings(items, *, as_json: bool = False) -> str:
    """``items``: (folder label, resolved Settings). JSON, or one block per folder in TOML
    syntax (what a repolint.toml holding exactly these settings would say)."""
    records = [settings_record(label, s) for label, s in items]
    if as_json:
        return json.dumps(records, indent=2)
    blocks = []
    for r in records:
        origin = r["source"] or "defaults: no repolint.toml or [tool.repolint] at or above the folder"
        lines = [f"# {r['folder']}", f"# settings from {origin}"]
        for key, value in r.items():
            if key not in ("folder", "source") and value is not None:
                lines.append(f"{key} = {json.dumps(value)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
