#!/usr/bin/env python
"""Generate repolint's transformers API-surface snapshot from released wheels (never imported).

Usage::

    python scripts/sync_api.py [--out schemas/transformers-api.jsonl] [--cache-dir DIR] [--jobs 4]
                               [--first 4.20] [--last 5.24] [--notes FILE]

Scans the newest final patch of every minor release from ``--first`` to ``--last``: downloads
each wheel once (``pip download --no-deps --only-binary :all:``) into ``--cache-dir`` (default
``~/.cache/repolint-sync/wheels``, kept for re-runs) and reads it with ``zipfile`` + ``ast``.
Per module: the names ``from module import name`` finds (see ``apisync/surface.py`` for the
rules); per release: the default attributes of a base config instance and the generation
parameters it pops from ``config.json`` (``apisync/config.py``).  The output format is described
in ``apisync/encode.py``; ``repolint/api.py`` reads it.  Parsed module facts are cached by
content hash in ``<cache-dir>/../api-facts.pickle`` so a re-run re-parses only new files.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apisync import wheels  # noqa: E402
from apisync.config import read_config  # noqa: E402
from apisync.encode import encode  # noqa: E402
from apisync.surface import read_release  # noqa: E402

_FACTS_FORMAT = 2  # bump when modscan.Facts changes meaning


def _minor(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def _load_facts(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            data = pickle.load(fh)  # our own cache file, written below
        if data.get("format") == _FACTS_FORMAT:
            return data["facts"]
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError):
        pass
    return {}


def _save_facts(path: Path, facts: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump({"format": _FACTS_FORMAT, "facts": facts}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def main(argv=None) -> int:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(root / "schemas" / "transformers-api.jsonl"))
    ap.add_argument("--cache-dir", default=wheels.DEFAULT_WHEEL_CACHE, help="wheel cache (kept)")
    ap.add_argument("--jobs", type=int, default=4, help="parallel wheel downloads")
    ap.add_argument("--first", default="4.20", help="first minor release line to scan")
    ap.add_argument("--last", default="5.24", help="last minor release line to scan")
    ap.add_argument("--notes", help="write the modelling notes (names dropped, unresolved star imports) here")
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    releases = wheels.releases_to_scan(_minor(args.first), _minor(args.last))
    paths = wheels.ensure_wheels(releases, args.cache_dir, jobs=args.jobs)
    t_dl = time.monotonic() - t0
    print(f"{len(releases)} releases: {releases[0]} ... {releases[-1]} (wheels ready in {t_dl:.1f}s)")

    facts_path = Path(args.cache_dir).parent / "api-facts.pickle"
    facts = _load_facts(facts_path)
    known = len(facts)
    surfaces, config, notes = [], [], []
    for v in releases:
        t = time.monotonic()
        surf = read_release(v, str(paths[v]), facts)
        surfaces.append(surf)
        config.append(read_config(str(paths[v])))
        notes += [f"{v}: {n}" for n in surf.notes]
        print(f"  {v}: {len(surf.modules)} modules, {sum(len(m.names) for m in surf.modules.values())} names,"
              f" {len(config[-1][0])} config attrs, {len(config[-1][1])} popped ({time.monotonic() - t:.1f}s)",
              flush=True)
    if len(facts) != known:
        _save_facts(facts_path, facts)

    data = encode(releases, surfaces, config)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    if args.notes:
        Path(args.notes).write_text("\n".join(notes) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(data)} bytes); {len(notes)} modelling notes; total {time.monotonic() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
