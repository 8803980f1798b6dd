"""The shipped file: one JSON document shared by every release it describes.

    {"format": 2,
     "groups": ["[entry, ...]", ...],    # key templates of one sub-model, relative to it
     "transforms": ["record", ...],      # key renames (weightsync.transforms)
     "versions": {"5.24.0": {"classes": {name: "class entry"}, "skipped": {name: why}}}}

Groups, transforms and class entries are JSON texts inside the document, so that a reader
parses the outer document quickly and decodes only the class it needs (and its groups).

A group entry is a template string (no index) or ``[template, spec, ...]`` with one spec per
``{n}``: an int (``range(int)``), a list (that set of indices), ``"@attr"`` (``range`` of the
config attribute, relative to the part's config path) or ``"@/path"`` (from the root config);
or ``[template, "?", n]`` (irregular: n instances with the defaults) / ``[template, "!", n]``
(conditional: present only under some configs).

A class entry::

    {"mt": model_type, "prefix": base_model_prefix,
     "parts": [[module path, group index, config path or null], ...],   # root part: ""
     "links": {config path: {"default", "aliases", ["sub_default", "sub_type"]}},
     "embed": {"input"/"output": [key, [dim spec, ...]]},
     "tied": [[target, source, flag config path], ...], "tie": {flag config path: default},
     "ignore_missing": [...], "ignore_unexpected": [...], "transforms": [index, ...]}

Classes of different releases (and the sub-models of composite classes) share groups and
transforms, so a second release costs little.
"""

from __future__ import annotations

import json

from weightsync.templates import generalise

FORMAT = 2


def _text(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _relative(spec: list, cfgpath: str | None) -> list:
    out = []
    for s in spec:
        if isinstance(s, str) and s.startswith("@"):
            path = s[1:]
            if cfgpath == "":
                s = "@" + path
            elif cfgpath is not None and path.startswith(cfgpath + "."):
                s = "@" + path[len(cfgpath) + 1:]
            else:
                s = "@/" + path
        out.append(s)
    return out


def _entry(template: str, spec: list):
    return [template, *spec] if spec else template


def split_parts(record) -> list[tuple[str, list, str | None]]:
    """(module path, group entries, config path) per sub-model, root last."""
    owned: dict[str, list] = {path: [] for path, _ in record.parts}
    owned[""] = []
    cfg = dict(record.parts)
    cfg[""] = ""
    for template, spec in record.specs.items():
        owner = next((p for p, _ in record.parts if template.startswith(p + ".")), "")
        rel = template[len(owner) + 1:] if owner else template
        owned[owner].append(_entry(rel, _relative(spec, cfg[owner])))
    return [(p, sorted(owned[p], key=_sort_key), cfg[p]) for p in owned if owned[p]]


def _sort_key(entry) -> str:
    return entry if isinstance(entry, str) else entry[0]


def class_entry(record) -> dict:
    """The inline form of a class (groups and transforms not yet shared)."""
    return {
        "mt": record.model_type,
        "prefix": record.base_model_prefix,
        "parts": [[p, entries, c] for p, entries, c in split_parts(record)],
        "links": record.links,
        "embed": record.embed,
        "tied": record.tied,
        "tie": record.tie_defaults,
        "ignore_missing": record.ignore_missing,
        "ignore_unexpected": record.ignore_unexpected,
        "transforms": record.transforms,
    }


def unpack(data: dict) -> dict[str, dict]:
    """version -> {"classes": {name: inline entry}, "skipped": {...}} (the inverse of pack)."""
    out = {}
    for version, table in data.get("versions", {}).items():
        classes = {}
        for name, text in table["classes"].items():
            e = json.loads(text)
            e["parts"] = [[p, json.loads(data["groups"][g]), c] for p, g, c in e["parts"]]
            e["transforms"] = [json.loads(data["transforms"][i]) for i in e["transforms"]]
            classes[name] = e
        out[version] = {"classes": classes, "skipped": table.get("skipped", {})}
    return out


def pack(versions: dict[str, dict]) -> dict:
    groups: list = []
    gindex: dict[str, int] = {}
    transforms: list = []
    tindex: dict[str, int] = {}

    def intern(item, table, index) -> int:
        key = _text(item)
        if key not in index:
            index[key] = len(table)
            table.append(key)
        return index[key]

    out_versions = {}
    for version in sorted(versions):
        table = versions[version]
        classes = {}
        for name in sorted(table["classes"]):
            e = dict(table["classes"][name])
            e["parts"] = [[p, intern(entries, groups, gindex), c] for p, entries, c in e["parts"]]
            e["transforms"] = [intern(t, transforms, tindex) for t in e["transforms"]]
            classes[name] = _text(e)
        out_versions[version] = {"classes": classes, "skipped": dict(sorted(table["skipped"].items()))}
    return {"format": FORMAT, "groups": groups, "transforms": transforms, "versions": out_versions}


def check_roundtrip(record, entry: dict) -> None:
    """Every key of the instance is covered by one template of one part."""
    parts = {p: {(_sort_key(x)) for x in entries} for p, entries, _ in entry["parts"]}
    for key in record.keys:
        t, _ = generalise(key)
        ok = any((t[len(p) + 1:] if p else t) in ts for p, ts in parts.items() if not p or t.startswith(p + "."))
        assert ok, (record.name, key)
