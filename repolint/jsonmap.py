"""Positions inside JSON text, computed only when a diagnostic needs one.

``json.loads`` (C speed) parses every file; this pure-Python scanner runs only when
a rule reports a finding, and maps each JSON pointer to the span of its key and value.
It also records what ``json.loads`` accepts silently but a reviewer wants to see:
duplicate keys (the last one wins) and the non-standard constants NaN / Infinity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_WS = " \t\r\n"
_NUMBER_CHARS = set("+-0123456789.eE")
_CONSTANTS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")


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


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.n = len(text)
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.map = SourceMap()

    # -- position helpers -------------------------------------------------
    def pos(self) -> tuple[int, int]:
        return self.line, self.i - self.line_start + 1

    def advance(self, count: int = 1) -> None:
        text = self.text
        for _ in range(count):
            if self.i >= self.n:
                return
            if text[self.i] == "\n":
                self.line += 1
                self.line_start = self.i + 1
            self.i += 1

    def skip_ws(self) -> None:
        text, n = self.text, self.n
        while self.i < n and text[self.i] in _WS:
            self.advance()

    # -- grammar ----------------------------------------------------------
    def value(self, ptr: str, key: Span | None) -> None:
        self.skip_ws()
        start = self.pos()
        if self.i >= self.n:
            raise ValueError("unexpected end of input")
        ch = self.text[self.i]
        if ch == "{":
            self.obj(ptr)
        elif ch == "[":
            self.arr(ptr)
        elif ch == '"':
            self.string()
        else:
            self.scalar(ptr, start)
        end = self.pos()
        self.map.entries[ptr] = Entry(Span(*start, *end), key)

    def scalar(self, ptr: str, start: tuple[int, int]) -> None:
        for const in _CONSTANTS:
            if self.text.startswith(const, self.i):
                self.advance(len(const))
                if const in ("NaN", "Infinity", "-Infinity"):
                    self.map.nonfinite.append((ptr, Span(*start, *self.pos())))
                return
        begin = self.i
        while self.i < self.n and self.text[self.i] in _NUMBER_CHARS:
            self.advance()
        if self.i == begin:
            raise ValueError(f"unexpected character {self.text[self.i]!r}")

    def string(self) -> str:
        # positioned on the opening quote; json.loads already validated escapes
        self.advance()
        chars = []
        text = self.text
        while self.i < self.n:
            ch = text[self.i]
            if ch == '"':
                self.advance()
                return "".join(chars)
            if ch == "\\":
                nxt = text[self.i + 1 : self.i + 2]
                if nxt == "u":
                    chars.append(chr(int(text[self.i + 2 : self.i + 6], 16)))
                    self.advance(6)
                    continue
                chars.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(nxt, nxt))
                self.advance(2)
                continue
            chars.append(ch)
            self.advance()
        raise ValueError("unterminated string")

    def obj(self, ptr: str) -> None:
        self.advance()  # {
        seen: set[str] = set()
        while True:
            self.skip_ws()
            if self.i < self.n and self.text[self.i] == "}":
                self.advance()
                return
            key_start = self.pos()
            key = self.string()
            key_span = Span(*key_start, *self.pos())
            child = ptr + "/" + escape_token(key)
            if key in seen:
                self.map.duplicates.append((child, key_span))
            seen.add(key)
            self.skip_ws()
            self.advance()  # :
            # a duplicate overwrites the entry: the span kept is the one json.loads keeps
            self.value(child, key_span)
            self.skip_ws()
            if self.i < self.n and self.text[self.i] == ",":
                self.advance()

    def arr(self, ptr: str) -> None:
        self.advance()  # [
        index = 0
        while True:
            self.skip_ws()
            if self.i < self.n and self.text[self.i] == "]":
                self.advance()
                return
            self.value(f"{ptr}/{index}", None)
            index += 1
            self.skip_ws()
            if self.i < self.n and self.text[self.i] == ",":
                self.advance()


def build_source_map(text: str) -> SourceMap:
    """Map every JSON pointer in ``text`` (already known to parse) to its spans."""
    scanner = _Scanner(text)
    try:
        scanner.value("", None)
    except (ValueError, IndexError):
        pass  # a partial map is still useful; json.loads is the judge of validity
    return scanner.map


def offset_to_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col
