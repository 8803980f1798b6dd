"""Generator of repolint's transformers API-surface snapshot (``scripts/sync_api.py``).

Modules, one per kind of work:

* ``wheels``  -- which releases to scan; download their wheels into a cache (pip, threads).
* ``modscan`` -- read one module's source with ``ast``: the names it binds, its star imports,
  its lazy-import structure (``_import_structure`` / ``define_import_structure``), open-ness.
* ``surface`` -- one release: resolve every module's names (star imports transitively, lazy
  packages, submodules, legacy aliases).
* ``config``  -- the default attributes of a ``PretrainedConfig`` instance and the generation
  parameters it pops from ``config.json``, read from ``configuration_utils.py``.
* ``encode``  -- merge the releases into ranges and write ``schemas/transformers-api.*``.

Nothing here imports transformers: wheels are read with ``zipfile`` + ``ast``.
"""
