"""`repolint plan`: the load plan drawn as a tree for a person, or as JSON."""

from __future__ import annotations

import json

MARKS = {"ok": "ok", "broken": "BROKEN", "unknown": "?"}


def render_text(plans) -> str:
    """One tree per (repo, release); broken links are marked and carry their reason."""
    lines: list[str] = []
    for plan in plans:
        root = plan.tree()
        lines.append(f"{root.text}: {'loads' if root.status == 'ok' else 'BROKEN'}")
        _draw(root.children, "", lines)
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _draw(children, prefix: str, lines: list[str]) -> None:
    # iterative: (children, prefix) frames, so a deep plan cannot exhaust the recursion limit
    stack = [(list(children), prefix)]
    while stack:
        items, pre = stack[-1]
        if not items:
            stack.pop()
            continue
        step = items.pop(0)
        last = not items
        mark = MARKS[step.status]
        where = f" [{step.file}:{step.line}]" if step.file and step.line else ""
        reason = f": {step.reason}" if step.reason and step.status != "ok" else ""
        lines.append(f"{pre}{'└── ' if last else '├── '}{step.text}{where}  {mark}{reason}")
        if step.children:
            stack.append((list(step.children), pre + ("    " if last else "│   ")))


def render_json(plans) -> str:
    out = [{"repo": p.ctx.repo.label, **p.to_json()} for p in plans]
    return json.dumps(out, indent=2, ensure_ascii=False)
