"""Modules of scripts/sync_weights.py: what each built-in model class expects in a checkpoint.

- ``templates``: state-dict keys -> templates with generalised indices (``layers.{n}.x``) and
  the index sets each template takes;
- ``probe``: instantiates a class on the meta device from its config class's defaults, then once
  per candidate config attribute with that attribute changed, to learn which attribute sets how
  many layers (or experts, ...) a template repeats over and which give the embedding's shape;
- ``transforms``: the key renames ``from_pretrained`` applies (transformers 5's conversion
  mapping), as data;
- ``pack``: the shared, compact file repolint ships (``repolint/weightsdata.py`` reads it).
"""
