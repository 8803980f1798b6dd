"""repolint: a static linter for Hugging Face model repositories."""

__version__ = "0.1.0"
