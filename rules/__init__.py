"""The rule families. Importing this package registers every rule."""

from repolint.rules import auto_map, config, files, generation, processors, schema  # noqa: F401
