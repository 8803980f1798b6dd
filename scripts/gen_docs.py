"""Write docs/rules.md from the rule metadata (a test checks it is up to date)."""

from pathlib import Path

from repolint.docs import render_all
from repolint.registry import all_rules

if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    out.write_text(render_all(all_rules()), encoding="utf-8")
    print(f"wrote {out}")
