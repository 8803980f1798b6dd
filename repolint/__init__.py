"""repolint: a static linter for Hugging Face model repositories."""

import os as _os

__version__ = "0.1.0"

# An install maps the top-level rules/ and schemas/ folders to repolint.rules and
# repolint.schemas (setuptools package-dir). In a source checkout they sit beside this
# package: let the package search its parent folder too, so that `python -m repolint` run
# from the project root finds them the same way.
_parent = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_parent, "pyproject.toml")) and _os.path.isfile(
    _os.path.join(_parent, "rules", "__init__.py")
):
    __path__.append(_parent)  # noqa: F821 - a package's __path__
