"""Modules of scripts/sync_transformers.py that learn config-class behaviour by running it.

- ``readonly``: which config.json keys a config class cannot set (read-only properties: the
  load raises AttributeError), and which nested dicts it builds as sub-configs of which class.
"""
