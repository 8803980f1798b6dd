"""Where a scan's repos come from: a file of specs, or a Hub query.

A spec file holds one ``owner/name[@rev]`` a line (``hf://`` accepted); blank lines and
``#`` comments (whole-line, or after a space) are skipped. A Hub query is listed with
``HfApi.list_models(author=, search=, filter=, limit=, expand=["sha", "siblings", "config"])``:
the listing already holds what stage (a) needs, so a queried repo costs no request of its own
until its download. Specs from a file are listed one by one (``model_info`` with the same
``expand``) in threads. Both yield entries for ``repolint.scan.work.lint_spec``.
"""

from __future__ import annotations

import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable, Iterable, Iterator

from repolint.scan import work


def _lines(path: str):
    if path == "-":
        yield from sys.stdin
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        yield from fh


def iter_specs(path: str) -> Iterator[str]:
    """The specs of a file, in order, lazily."""
    for line in _lines(path):
        text = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if text and not text.startswith("#"):
            yield text


def count_specs(path: str) -> int | None:
    if path == "-":
        return None
    return sum(1 for _ in iter_specs(path))


def resolve_specs(specs: Iterable[str], settings: dict, threads: int,
                  known: Callable[[str, str], bool] = lambda repo, commit: False) -> Iterator[dict]:
    """Entries of the specs, in the order their listing arrives; ``threads`` listings in
    flight. A spec pinned to a full commit that ``known(repo, commit)`` says is done is
    passed over without a request."""
    it = iter(specs)
    with ThreadPoolExecutor(max(1, threads), thread_name_prefix="repolint-list") as pool:
        pending = set()
        exhausted = False
        while True:
            while not exhausted and len(pending) < 2 * max(1, threads):
                spec = next(it, None)
                if spec is None:
                    exhausted = True
                    break
                try:
                    repo, rev = work.parse_spec(spec)
                except ValueError:
                    repo, rev = None, None
                if repo and rev and len(rev) == 40 and known(repo, rev):
                    yield {"spec": spec, "repo": repo, "commit": rev, "skip": True}
                    continue
                pending.add(pool.submit(work.resolve, spec, settings))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


class ListingError(Exception):
    """The Hub query could not be listed (after huggingface_hub's own retries); one line."""


def query_entries(settings: dict, *, author=None, search=None, filters=(), limit=None) -> Iterator[dict]:
    """Entries of every repo a Hub query lists (pages fetched as they are consumed)."""
    from huggingface_hub import HfApi

    from repolint.scan import hubio

    api = HfApi(endpoint=settings.get("endpoint"))
    listing = api.list_models(author=author or None, search=search or None, filter=list(filters) or None,
                              limit=limit, expand=work.EXPAND)
    while True:
        try:
            with hubio.session(*settings["rate"]):  # a page is fetched when the last one is used up
                info = next(listing, None)
        except Exception as exc:  # noqa: BLE001 - one line for the user
            error = hubio.classify(exc)
            raise ListingError(f"the Hub listing failed ({error['type']}: {error['message']})") from None
        if info is None:
            return
        if not info.sha:
            yield work.error_entry(info.id, info.id, {"type": "HTTPError", "message": f"{info.id}: the listing gave no commit id"})
            continue
        yield work.entry_from_listing(info.id, info, 0.0)
