"""A JSON array of every diagnostic (the Diagnostic model's fields, plus the rule's docs ``url``;
the per-repo remote-code summary, RL910, also carries its verdicts as a ``summary`` object)."""

from __future__ import annotations

import json

from repolint.reporters import no_surrogates, rule_lookup, rule_url

SUMMARY_CODE = "RL910"


def _summary(message: str) -> dict:
    """RL910's "executes code: yes; network: no; ..." as {"executes_code": true, ...}."""
    try:
        from repolint.rules.remote_code import parse_summary

        return parse_summary(message)
    except Exception:  # noqa: BLE001 - reporting never crashes on the registry
        return {}


def render(results, *, color: bool = False) -> str:
    lookup = rule_lookup()
    items = []
    for result in results:
        for diag in result.diagnostics:
            item = diag.model_dump(mode="json")
            item["url"] = rule_url(lookup(diag.code), diag.code, diag.name)
            if diag.code == SUMMARY_CODE:  # the remote-code summary, also as data
                item["summary"] = _summary(diag.message)
            items.append(no_surrogates(item))
    # field order is the model's, and stable; ASCII-only so any consumer / console copes
    return json.dumps(items, indent=2, ensure_ascii=True)
