"""Release hygiene (RELEASING.md): one version everywhere, pins that name it, the Apache-2.0
license text, a changelog in Keep a Changelog form."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from repolint import __version__

ROOT = Path(__file__).resolve().parent.parent
# md5 of https://www.apache.org/licenses/LICENSE-2.0.txt, the official text
APACHE_2_MD5 = "3b83ef96387f14655fc854ddc3c6bd57"


def _text(rel: str) -> str:
    return (ROOT / rel).read_text(encoding="utf-8")


def test_one_version():
    project = tomllib.loads(_text("pyproject.toml"))["project"]
    assert project["version"] == __version__


def test_license_is_the_apache_2_text():
    data = (ROOT / "LICENSE").read_bytes()
    assert hashlib.md5(data).hexdigest() == APACHE_2_MD5
    project = tomllib.loads(_text("pyproject.toml"))["project"]
    assert "Apache-2.0" in str(project["license"])


def test_pins_name_the_version():
    """The pins users copy (pre-commit rev, the Action's uses:, the examples' pip pins) name
    the version being released."""
    sources = ["README.md", ".pre-commit-hooks.yaml", "action.yml", "docs/editors.md",
               *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "examples" / "workflows").glob("*.yml")))]
    found = []
    for rel in sources:
        text = _text(rel)
        found += [(rel, m.group(1)) for m in re.finditer(r"repolint/repolint@v([0-9][\w.+-]*)", text)]
        found += [(rel, m.group(1)) for m in re.finditer(r"\brev: v([0-9][\w.+-]*)", text)]
        found += [(rel, m.group(1)) for m in re.finditer(r"release tag \(`v([0-9][\w.+-]*)`\)", text)]
        if rel.startswith("examples/"):
            found += [(rel, m.group(1)) for m in re.finditer(r"repolint==([0-9][\w.+-]*)", text)]
    assert {rel for rel, _ in found} >= {"README.md", ".pre-commit-hooks.yaml", "action.yml"}
    stale = [(rel, v) for rel, v in found if v != __version__]
    assert not stale, f"pins that do not name {__version__}: {stale}"


def test_changelog_form():
    text = _text("CHANGELOG.md")
    headings = re.findall(r"^## \[([^\]]+)\](.*)$", text, re.M)
    assert headings and headings[0][0] == "Unreleased"
    for name, rest in headings[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+(?:[.-]?\w+)?", name), name
        assert re.fullmatch(r" - \d{4}-\d{2}-\d{2}", rest), f"{name}: a release heading needs its date"
    for name, _ in headings:
        assert re.search(rf"^\[{re.escape(name)}\]: https://\S+$", text, re.M), f"no link for [{name}]"
    sections = set(re.findall(r"^### (\w+)$", text, re.M))
    assert sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, sections
    for rel in ("RELEASING.md", "LICENSE"):
        assert (ROOT / rel).is_file()
