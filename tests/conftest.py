import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_facts_cache(tmp_path_factory):
    """Module facts are cached under the user cache dir; tests use their own."""
    old = os.environ.get("REPOLINT_CACHE_DIR")
    os.environ["REPOLINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("facts-cache"))
    yield
    if old is None:
        os.environ.pop("REPOLINT_CACHE_DIR", None)
    else:
        os.environ["REPOLINT_CACHE_DIR"] = old
