"""JSON mutations: values and structure (wrong types at every known key, deep nesting,
huge integers, NaN, duplicate keys), then text and bytes (BOM, encodings, truncation)."""

from __future__ import annotations

import json
import random

from fuzzing.case import Case
from fuzzing.values import AUTO_CLASSES, KNOWN_KEYS, auto_map_value, scalar, value

DEPTHS = [50, 200, 500, 580, 900, 990, 1100, 3000, 50_000]


class Raw:
    """Text spliced into the serialised JSON as is (deep nesting, huge ints, duplicates)."""

    counter = 0

    def __init__(self, text: str):
        Raw.counter += 1
        self.text = text
        self.token = f"\x00raw{Raw.counter}\x00"


def dumps(rng: random.Random, doc) -> str:
    """Serialise ``doc`` (Raw values become their text) with a random layout."""
    raws: list[Raw] = []

    def swap(v):
        if isinstance(v, Raw):
            raws.append(v)
            return v.token
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        if isinstance(v, list):
            return [swap(x) for x in v]
        return v

    indent = rng.choice([None, None, 0, 1, 2, 2, 2, 4, "\t"])
    text = json.dumps(swap(doc), indent=indent, ensure_ascii=rng.random() < 0.7)
    for raw in raws:
        text = text.replace(json.dumps(raw.token), raw.text, 1).replace(json.dumps(raw.token, ensure_ascii=False), raw.text, 1)
    return text


def nested(rng: random.Random, depth: int, inner: str = "1") -> Raw:
    kind = rng.randrange(3)
    if kind == 0:
        return Raw("[" * depth + inner + "]" * depth)
    if kind == 1:
        return Raw('{"a": ' * depth + inner + "}" * depth)
    return Raw('{"a": [' * (depth // 2) + inner + "]}" * (depth // 2))


def _objects(doc, path=()):
    """Every object inside doc, with its path (for edits below the top level)."""
    stack = [(doc, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            yield node, where
            stack.extend((v, where + (k,)) for k, v in node.items() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, where + (i,)) for i, v in enumerate(node) if isinstance(v, (dict, list)))


def mutate_doc(rng: random.Random, name: str, doc, case: Case):
    """One structural or value mutation of a parsed JSON document; returns the new document."""
    if not isinstance(doc, dict):
        doc = {}
    keys = KNOWN_KEYS.get(name, KNOWN_KEYS["config.json"])
    objects = list(_objects(doc)) or [(doc, ())]
    target, where = rng.choice(objects) if rng.random() < 0.3 else (doc, ())
    op = rng.randrange(12)
    key = rng.choice(keys + list(target)) if rng.random() < 0.8 else rng.choice(["", "x" * 300, "a/b~c", "\u0000", "ÿ"])
    if op <= 2:
        target[key] = value(rng)
        case.note(f"{name}: {'/'.join(map(str, where + (key,)))} = {_short(target[key])}")
    elif op == 3:
        depth = rng.choice(DEPTHS)
        inner = rng.choice(["1", "NaN", '{"k": 1, "k": 2}', '"lama"', "[]"])
        target[key] = nested(rng, depth, inner)
        case.note(f"{name}: {key} nested {depth} deep around {inner}")
    elif op == 4:
        digits = rng.choice([4299, 4300, 4301, 5000, 20_000])
        target[key] = Raw(rng.choice(["", "-"]) + "7" * digits + rng.choice(["", "", ".5", "e3"]))
        case.note(f"{name}: {key} = integer of {digits} digits")
    elif op == 5:
        target[key] = Raw(rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "-0"]))
        case.note(f"{name}: {key} = {target[key].text}")
    elif op == 6 and target:
        dup = rng.choice(list(target))
        target[dup + "\x00dup"] = value(rng)  # renamed to a duplicate key when serialised
        case.note(f"{name}: duplicate key {dup!r}")
    elif op == 7:
        amap = target.setdefault("auto_map", {}) if isinstance(target.get("auto_map", {}), dict) else {}
        amap[rng.choice(AUTO_CLASSES)] = auto_map_value(rng)
        target["auto_map"] = amap
        case.note(f"{name}: auto_map = {_short(amap)}")
    elif op == 8 and target:
        gone = rng.choice(list(target))
        del target[gone]
        case.note(f"{name}: deleted {gone!r}")
    elif op == 9:
        for _ in range(rng.choice([100, 5000])):
            target[f"k{rng.randrange(10**9)}"] = scalar(rng)
        case.note(f"{name}: many keys")
    elif op == 10:
        doc = rng.choice([[doc], "text", 1, None, [], nested(rng, rng.choice(DEPTHS))])
        case.note(f"{name}: top level is {type(doc).__name__}")
    else:
        target[key] = rng.choice([[value(rng) for _ in range(3)], {"model_type": value(rng)}, str(value(rng))])
        case.note(f"{name}: {key} = {_short(target[key])}")
    return doc


def render(rng: random.Random, doc) -> str:
    text = dumps(rng, doc)
    # keys renamed with \x00dup become real duplicates of the key before the marker
    return text.replace("\\u0000dup", "")


def mutate_text(rng: random.Random, name: str, text: str, case: Case) -> bytes:
    """A byte-level mutation of serialised JSON."""
    op = rng.randrange(16)
    data = text.encode("utf-8", "surrogatepass")
    if op == 0:
        case.note(f"{name}: BOM")
        return b"\xef\xbb\xbf" + data
    if op == 1:
        case.note(f"{name}: UTF-16")
        return text.encode("utf-16", "surrogatepass")
    if op == 2:
        case.note(f"{name}: latin-1 byte")
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"\xe9" + data[at:]
    if op == 3:
        case.note(f"{name}: NUL byte")
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"\x00" + data[at:]
    if op == 4:
        at = rng.randrange(len(data) + 1)
        case.note(f"{name}: truncated at {at}")
        return data[:at]
    if op == 5:
        case.note(f"{name}: trailing comma")
        return data.rstrip().rstrip(b"}") + b",}" if data.rstrip().endswith(b"}") else data + b","
    if op == 6:
        case.note(f"{name}: CRLF / CR line ends")
        return data.replace(b"\n", rng.choice([b"\r\n", b"\r"]))
    if op == 7:
        case.note(f"{name}: empty or blank")
        return rng.choice([b"", b"   \n", b"\n" * 1000])
    if op == 8:
        case.note(f"{name}: Git LFS pointer")
        return b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"a" * 64 + b"\nsize 12\n"
    if op == 9:
        case.note(f"{name}: random bytes")
        return bytes(rng.randrange(256) for _ in range(rng.choice([1, 64, 5000])))
    if op == 10:
        at = rng.randrange(len(data) + 1)
        junk = rng.choice([b"//c\n", b"'x'", b"\x0c", b"}", b"]", b"{", b'"', b"\\", b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf"])
        case.note(f"{name}: inserted {junk!r}")
        return data[:at] + junk + data[at:]
    if op == 11 and data:
        at = rng.randrange(len(data))
        case.note(f"{name}: flipped byte {at}")
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:]
    if op == 12:
        case.note(f"{name}: one 2 MB line")
        return data.rstrip(b"}\n ") + b', "pad": "' + b"p" * 2_000_000 + b'"}'
    return data  # most cases: the structural mutation alone


def _short(v) -> str:
    text = repr(v.text[:40] if isinstance(v, Raw) else v)
    return text if len(text) < 60 else text[:57] + "..."
