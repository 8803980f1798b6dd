"""The edits a fix makes: minimal text replacements at exact spans.

A JSON fix never re-dumps the file: it replaces the characters of one value or key, or
inserts one member, so the file keeps its indent, key order, line endings and trailing
newline (repolint.jsonmap gives the spans). A new member goes where save_pretrained would
have written it when the object's keys are sorted (json.dumps(sort_keys=True) order), else
at the end, with the separators and indent of its siblings.

Every function returns an edit dict ({file, line, column, end_line, end_column, content},
1-based, the end exclusive) or None when the span is not where it must be.
"""

from __future__ import annotations

import json
import re

from repolint.jsonmap import offset_to_position


def fix(description: str, applicability: str, *edits) -> dict | None:
    """A Finding's fix; None when an edit could not be made (no fix rather than a wrong one)."""
    if not edits or any(e is None for e in edits):
        return None
    return {"description": description, "applicability": applicability, "edits": list(edits)}


def _edit(file: str, text: str, start: int, end: int, content: str) -> dict:
    line, col = offset_to_position(text, start)
    end_line, end_col = offset_to_position(text, end)
    return {"file": file, "line": line, "column": col, "end_line": end_line, "end_column": end_col, "content": content}


def _offset(text: str, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + col - 1


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Doc:
    """Offsets of the keys and values of one parsed JSON document (a repo JsonDoc)."""

    def __init__(self, doc):
        self.text = doc.text
        self.entries = doc.source_map.entries

    def value(self, ptr: str) -> tuple[int, int] | None:
        e = self.entries.get(ptr)
        if e is None:
            return None
        s = e.value
        return _offset(self.text, s.line, s.col), _offset(self.text, s.end_line, s.end_col)

    def key(self, ptr: str) -> tuple[int, int] | None:
        e = self.entries.get(ptr)
        if e is None or e.key is None:
            return None
        s = e.key
        return _offset(self.text, s.line, s.col), _offset(self.text, s.end_line, s.end_col)

    def members(self, obj_ptr: str) -> list[tuple[str, int, int, int, int]]:
        """(pointer, key start, key end, value start, value end) of an object's members, in
        file order."""
        out = []
        prefix = obj_ptr + "/"
        for ptr, e in self.entries.items():
            if e.key is not None and ptr.startswith(prefix) and "/" not in ptr[len(prefix):]:
                ks, ke = self.key(ptr)
                vs, ve = self.value(ptr)
                out.append((ptr, ks, ke, vs, ve))
        return sorted(out, key=lambda m: m[1])

    def space_before(self, offset: int) -> str:
        head = self.text[:offset]
        return head[len(head.rstrip(" \t\r\n")):]


def _usable(doc) -> bool:
    return doc is not None and doc.text is not None and doc.ok and not doc.has_duplicates


def replace_value(doc, file: str, ptr: str, value) -> dict | None:
    """Replace the value at ``ptr`` (exactly that pointer) with ``value`` as JSON."""
    if not _usable(doc):
        return None
    span = _Doc(doc).value(ptr)
    return _edit(file, doc.text, *span, _dump(value)) if span else None


def rename_key(doc, file: str, ptr: str, new_key: str) -> dict | None:
    """Rename the member at ``ptr``: only its key's characters change."""
    if not _usable(doc):
        return None
    span = _Doc(doc).key(ptr)
    return _edit(file, doc.text, *span, _dump(new_key)) if span else None


def insert_member(doc, file: str, obj_ptr: str, key: str, value) -> dict | None:
    """Add ``"key": value`` to the object at ``obj_ptr`` (which must not have the key)."""
    if not _usable(doc):
        return None
    d = _Doc(doc)
    span = d.value(obj_ptr)
    if span is None or doc.text[span[0]] != "{":
        return None
    members = d.members(obj_ptr)
    names = [json.loads(doc.text[ks:ke]) for _, ks, ke, _, _ in members]
    if key in names:
        return None
    if not members:
        return _edit(file, doc.text, span[0] + 1, span[0] + 1, f"{_dump(key)}: {_dump(value)}")
    colon = doc.text[members[0][2]:members[0][3]]
    spaces = [d.space_before(m[1]) for m in members]
    inter = spaces[1] if len(members) > 1 else (spaces[0] if "\n" in spaces[0] else " ")
    indent = spaces[-1].rsplit("\n", 1)[1] if "\n" in spaces[-1] else None
    newline = "\r\n" if "\r\n" in spaces[-1] else "\n"
    member = f"{_dump(key)}{colon}{_nested(value, indent, _line_indent(doc.text, span[0]), newline)}"
    at = next((i for i, n in enumerate(names) if n > key), None) if names == sorted(names) else None
    if at is None:  # after the last member
        sep = spaces[-1] if "\n" in spaces[-1] or len(members) > 1 else inter
        end = members[-1][4]
        return _edit(file, doc.text, end, end, f",{sep}{member}")
    sep = spaces[at] if at > 0 or "\n" in spaces[0] else inter
    start = members[at][1]
    return _edit(file, doc.text, start, start, f"{member},{sep}")


def _line_indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    return re.match(r"[ \t]*", text[start:]).group(0)


def _nested(value, member_indent: str | None, object_indent: str, newline: str) -> str:
    """``value`` as JSON; an object or array laid out like its new siblings (one member a line,
    one more indent step) when they are one a line."""
    if not isinstance(value, (dict, list)) or not value or member_indent is None:
        return _dump(value)
    step = member_indent[len(object_indent):] if member_indent.startswith(object_indent) else "  "
    text = json.dumps(value, ensure_ascii=False, indent=step or "  ")
    return text.replace("\n", newline + member_indent)


def remove_member(doc, file: str, ptr: str) -> dict | None:
    """Delete the member at ``ptr`` with its comma and the space that separated it."""
    if not _usable(doc):
        return None
    d = _Doc(doc)
    obj_ptr = ptr.rsplit("/", 1)[0]
    members = d.members(obj_ptr)
    index = next((i for i, m in enumerate(members) if m[0] == ptr), None)
    if index is None:
        return None
    if index + 1 < len(members):  # up to the next member's key
        return _edit(file, doc.text, members[index][1], members[index + 1][1], "")
    if index > 0:  # from the end of the previous member's value
        return _edit(file, doc.text, members[index - 1][4], members[index][4], "")
    span = d.value(obj_ptr)
    return _edit(file, doc.text, span[0] + 1, span[1] - 1, "")


def python_string_edit(text: str, file: str, where: dict, old: str, new: str) -> dict | None:
    """Replace the string literal ``old`` (quoted either way, no prefix) inside the node that
    ``where`` spans (line, column, end_line, end_column) with ``new``, when it occurs there
    exactly once."""
    if text is None or not all(isinstance(where.get(k), int) for k in ("line", "column")):
        return None
    try:
        start = _offset(text, where["line"], where["column"])
        end = _offset(text, where.get("end_line") or where["line"], where.get("end_column") or where["column"])
    except ValueError:
        return None
    body = text[start:end] if end > start else text[start:text.find("\n", start) if "\n" in text[start:] else len(text)]
    hits = [m for q in ('"', "'") for m in re.finditer(re.escape(f"{q}{old}{q}"), body)]
    if len(hits) != 1:
        return None
    at = start + hits[0].start() + 1
    return _edit(file, text, at, at + len(old), new)
