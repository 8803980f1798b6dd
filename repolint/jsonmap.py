"""Positions inside JSON text, computed only when a diagnostic needs one.

``json.loads`` (C speed) parses every file; this pure-Python scanner runs only when
a rule reports a finding, and maps each JSON pointer to the span of its key and value.
It also records what ``json.loads`` accepts silently but a reviewer wants to see:
duplicate keys (the last one wins) and the non-standard constants NaN / Infinity.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from dataclasses import dataclass, field

@dataclass(frozen=True)
class Span:
    """1-based line and column of a start and of the position just past the end."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass
class Entry:
    value: Span
    key: Span | None = None  # None for array items and the root


@dataclass
class SourceMap:
    entries: dict[str, Entry] = field(default_factory=dict)
    duplicates: list[tuple[str, Span]] = field(default_factory=list)
    nonfinite: list[tuple[str, Span]] = field(default_factory=list)


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(parts) -> str:
    """RFC 6901 pointer for a path of keys and indexes."""
    return "".join("/" + escape_token(str(p)) for p in parts)


# one token per match: punctuation | string | constant | number, after optional whitespace
_TOKEN = re.compile(
    r'[ \t\r\n]*(?:([{}\[\],:])|("[^"\\]*(?:\\.[^"\\]*)*")|(-?Infinity|NaN|true|false|null)|([-+0-9.eE]+))',
    re.S,
)
_PUNCT, _STRING, _CONSTANT = 1, 2, 3
MAX_DEPTH = 2000  # containers mapped; json.loads itself refuses nesting near 1000 deep
_NONFINITE = ("NaN", "Infinity", "-Infinity")


class _Positions:
    """Offset -> 1-based (line, column); lines end at \\n only, as json counts them."""

    def __init__(self, text: str):
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def span(self, start: int, end: int) -> Span:
        return Span(*self.at(start), *self.at(end))

    def at(self, offset: int) -> tuple[int, int]:
        before = bisect_left(self.newlines, offset)  # newlines before the offset
        line_start = self.newlines[before - 1] + 1 if before else 0
        return before + 1, offset - line_start + 1


def build_source_map(text: str) -> SourceMap:
    """Map every JSON pointer in ``text`` (already known to parse) to its spans.

    A token loop with an explicit stack of open containers, so any nesting depth that
    ``json.loads`` accepts (and more) costs memory, not recursion. On text that is not
    valid JSON the map is partial: ``json.loads`` is the judge of validity."""
    smap = SourceMap()
    entries = smap.entries
    where = _Positions(text)
    # open containers: [is_object, pointer, start offset, key span, item count, keys seen, expect key]
    stack: list[list] = []
    member_ptr, member_key = "", None  # the pending object member, after its key
    for match in _TOKEN.finditer(text):
        kind = match.lastindex
        start, end = match.start(kind), match.end()
        top = stack[-1] if stack else None
        if kind == _PUNCT:
            ch = text[start]
            if ch == ":":
                continue
            if ch == ",":
                if top is not None and top[0]:
                    top[6] = True
                continue
            if ch in "}]":
                if top is None:
                    break
                stack.pop()
                if top[1] is not None:
                    entries[top[1]] = Entry(where.span(top[2], end), top[3])
                continue
        if top is None:
            ptr, key = "", None
        elif top[0]:
            if top[6] and kind == _STRING:  # an object key
                top[6] = False
                if top[1] is None:
                    continue
                name = text[start + 1 : end - 1]
                if "\\" in name:
                    name = json.loads(text[start:end])
                member_ptr = top[1] + "/" + escape_token(name)
                member_key = where.span(start, end)
                if name in top[5]:
                    smap.duplicates.append((member_ptr, member_key))
                top[5].add(name)
                continue
            # a duplicate overwrites the entry: the span kept is the one json.loads keeps
            ptr, key = (member_ptr, member_key) if top[1] is not None else (None, None)
        else:
            ptr, key = (f"{top[1]}/{top[4]}" if top[1] is not None else None), None
            top[4] += 1
        if kind == _PUNCT:  # { or [
            if len(stack) >= MAX_DEPTH:
                ptr = None  # too deep to map (pointers would cost depth**2 memory): the parent's span is used
            stack.append([text[start] == "{", ptr, start, key, 0, set(), True])
            continue
        if ptr is not None:
            span = where.span(start, end)
            entries[ptr] = Entry(span, key)
            if kind == _CONSTANT and text[start:end] in _NONFINITE:
                smap.nonfinite.append((ptr, span))
        if not stack:
            break  # the root was a scalar
    return smap


def offset_to_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col
