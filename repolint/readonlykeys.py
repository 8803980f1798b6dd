"""Which config.json keys a transformers config class cannot set (data, no import).

``schemas/config-read-only-<version>.json`` is written by ``scripts/sync_transformers.py``
(``scripts/configsync/readonly.py``), which builds every config class of the release with each
candidate key and records those that raise AttributeError (read-only properties such as
``use_return_dict`` or ``FalconConfig.head_dim``), and which class each nested sub-config dict
is built with. This module only reads it.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

from repolint.knowledge import schemas_dir


class ReadOnlyKeys:
    """One release's data: ``rejected(cls)`` and ``sub_config(cls, key, model_type_class)``."""

    def __init__(self, data: dict):
        self.common = frozenset(data.get("common", ()))
        self.own = {c: frozenset(v) for c, v in data.get("classes", {}).items()}
        self.exempt = {c: frozenset(v) for c, v in data.get("exempt", {}).items()}
        self.unprobed = frozenset(data.get("unprobed", ()))
        self.sub_configs: dict[str, dict[str, str | None]] = data.get("sub_configs", {})
        self.auto_sub_configs = {c: frozenset(v) for c, v in data.get("auto_sub_configs", {}).items()}

    def rejected(self, cls_name: str) -> frozenset[str]:
        """The keys whose presence makes ``cls_name`` raise AttributeError (none for a class
        the release's probe could not build)."""
        if cls_name in self.unprobed:
            return frozenset()
        return (self.common - self.exempt.get(cls_name, frozenset())) | self.own.get(cls_name, frozenset())

    def sub_config_class(self, cls_name: str, key: str, named_class: str | None, named: bool) -> str | None:
        """The class ``cls_name`` builds for the dict under ``key``: the class of the dict's
        model_type (``named_class``; ``named`` says the dict has one) for a key that picks by
        model_type, else the probed default -- which a dict naming another class does not get
        (unproven: None)."""
        subs = self.sub_configs.get(cls_name)
        if not subs or key not in subs:
            return None
        default = subs[key]
        if key in self.auto_sub_configs.get(cls_name, ()):
            return named_class if named else default
        if named and named_class != default:
            return None
        return default


@lru_cache(maxsize=None)
def read_only_keys(version: str) -> ReadOnlyKeys | None:
    try:
        with open(os.path.join(schemas_dir(), f"config-read-only-{version}.json"), "rb") as fh:
            return ReadOnlyKeys(json.load(fh))
    except (OSError, ValueError):
        return None
