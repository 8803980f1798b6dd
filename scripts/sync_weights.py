#!/usr/bin/env python
"""Generate what each built-in model class expects in a checkpoint, for repolint's RL82x rules.

Usage (with a Python that has transformers and torch installed)::

    nice python scripts/sync_weights.py --out schemas/ [--only CLASS ...] [--limit N]

For every model class of the installed release's Auto* model mappings (read from the snapshot
``schemas/transformers-<version>.json`` that ``scripts/sync_transformers.py`` wrote, so both
cover the same classes), ``weightsync.probe`` instantiates the class on the meta device from
its config class's defaults and records the checkpoint keys ``from_pretrained`` expects, with
layer indices generalised and linked to the config attribute that sets their count, the
embedding shapes, ``base_model_prefix``, tied keys, the ignore patterns of the load report and
the key renames of transformers 5's conversion mapping. Classes that fail to instantiate are
listed under ``skipped`` with the reason.

The result is merged into ``<out>/transformers-weights.json.gz`` (other releases already there
are kept; groups of keys are shared between classes and releases; gzip with no timestamp, so
the same input gives the same bytes). repolint reads it with
``repolint/weightsdata.py`` and never imports transformers.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_transformers import _version_tuple, dumps_compact, snapshot_path  # noqa: E402
from weightsync.pack import check_roundtrip, class_entry, pack, unpack  # noqa: E402
from weightsync.probe import probe_class  # noqa: E402

FILE_NAME = "transformers-weights.json.gz"


def mapped_classes(snapshot: dict) -> dict[str, list[str]]:
    """Model class -> the model types whose Auto mappings name it."""
    out: dict[str, list[str]] = {}
    for mapping in snapshot["model_mappings"].values():
        for mt, value in mapping.items():
            for name in value if isinstance(value, list) else [value]:
                out.setdefault(name, [])
                if mt not in out[name]:
                    out[name].append(mt)
    return dict(sorted(out.items()))


def find_class(name: str, model_types: list[str]):
    import transformers
    from transformers.models.auto.configuration_auto import model_type_to_module_name

    cls = getattr(transformers, name, None)
    if cls is not None:
        return cls
    for mt in model_types:
        try:
            mod = importlib.import_module(f"transformers.models.{model_type_to_module_name(mt)}")
        except ImportError:
            continue
        if hasattr(mod, name):
            return getattr(mod, name)
    raise LookupError(f"{name} is not importable from transformers")


def pick_config(cls, model_types: list[str]):
    """(model_type, config class): the model type whose config class is the class's own."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    own = getattr(cls, "config_class", None)
    for mt in sorted(model_types):
        if mt in CONFIG_MAPPING and CONFIG_MAPPING[mt] is own:
            return mt, CONFIG_MAPPING[mt]
    mt = sorted(model_types)[0]
    return mt, CONFIG_MAPPING[mt]


def _why(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:200]


def run(classes: dict[str, list[str]], log=print) -> tuple[dict, dict, dict]:
    entries, skipped, stats = {}, {}, {"probes": 0, "templates": 0, "irregular": 0}
    t0 = time.monotonic()
    for i, (name, mts) in enumerate(classes.items(), 1):
        try:
            cls = find_class(name, mts)
            mt, config_class = pick_config(cls, mts)
            record = probe_class(cls, config_class, mt)
            entry = class_entry(record)
            check_roundtrip(record, entry)
        except Exception as exc:  # noqa: BLE001 - a class that cannot be built is skipped and counted
            skipped[name] = _why(exc)
            continue
        entries[name] = entry
        stats["probes"] += record.probes
        stats["templates"] += len(record.specs)
        stats["irregular"] += sum(1 for s in record.specs.values() if s and s[0] in ("?", "!"))
        if i % 50 == 0:
            log(f"  {i}/{len(classes)} classes, {len(skipped)} skipped, {time.monotonic() - t0:.0f}s")
    return entries, skipped, stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory (e.g. schemas/)")
    ap.add_argument("--snapshot", help="the knowledge snapshot naming the classes (default: <out>/transformers-<version>.json)")
    ap.add_argument("--only", action="append", default=[], help="probe only this class (repeatable; for debugging)")
    ap.add_argument("--limit", type=int, help="probe only the first N classes (for debugging)")
    ap.add_argument("--dry-run", action="store_true", help="print the counts, do not write")
    args = ap.parse_args(argv)

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import transformers

    version = transformers.__version__
    if _version_tuple(version)[0] < 5:
        raise SystemExit("only transformers 5.x is supported (4.x loads checkpoints differently)")
    out_dir = Path(args.out)
    snap_file = Path(args.snapshot) if args.snapshot else snapshot_path(out_dir, version)
    snapshot = json.loads(snap_file.read_text(encoding="utf-8"))
    if snapshot.get("transformers_version") != version:
        raise SystemExit(f"{snap_file} describes {snapshot.get('transformers_version')}, not the installed {version}")
    classes = mapped_classes(snapshot)
    if args.only:
        classes = {k: v for k, v in classes.items() if k in args.only}
    if args.limit:
        classes = dict(list(classes.items())[: args.limit])

    t0 = time.monotonic()
    entries, skipped, stats = run(classes)
    elapsed = time.monotonic() - t0
    print(f"transformers {version}: {len(entries)} classes recorded, {len(skipped)} skipped of {len(classes)} "
          f"in {elapsed:.0f}s ({stats['probes']} probe instantiations; {stats['templates']} templates, "
          f"{stats['irregular']} irregular/conditional)")
    for name, why in sorted(skipped.items()):
        print(f"  skipped {name}: {why}")
    if args.dry_run:
        return 0
    path = out_dir / FILE_NAME
    versions = unpack(json.loads(gzip.decompress(path.read_bytes()))) if path.is_file() else {}
    if args.only or args.limit:
        old = versions.get(version, {"classes": {}, "skipped": {}})
        entries = {**old["classes"], **entries}
        skipped = {**{k: v for k, v in old["skipped"].items() if k not in entries}, **skipped}
    versions[version] = {"classes": entries, "skipped": skipped}
    text = dumps_compact(pack(versions)).encode("utf-8")
    path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    print(f"wrote {path} ({path.stat().st_size:,} bytes, {len(text):,} uncompressed; releases: {', '.join(sorted(versions))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
