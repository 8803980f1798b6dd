"""A JSON array of every diagnostic (the Diagnostic model's fields, plus the rule's docs ``url``)."""

from __future__ import annotations

import json

from repolint.reporters import no_surrogates, rule_lookup, rule_url


def render(results, *, color: bool = False) -> str:
    lookup = rule_lookup()
    items = []
    for result in results:
        for diag in result.diagnostics:
            item = diag.model_dump(mode="json")
            item["url"] = rule_url(lookup(diag.code), diag.code, diag.name)
            items.append(no_surrogates(item))
    # field order is the model's, and stable; ASCII-only so any consumer / console copes
    return json.dumps(items, indent=2, ensure_ascii=True)
