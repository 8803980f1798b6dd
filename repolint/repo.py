"""A read-only view of a model repo: its files, their bytes (capped), parsed JSON.

Rules ask the Repo; they never open files. Every file is read and parsed at most once.
Reading problems (too large, binary, not UTF-8, a Git LFS pointer, a symlink that leaves
the repo, JSON syntax) are recorded on the document, and the `files` rule family turns
them into diagnostics: nothing here raises on bad input.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from repolint.jsonmap import SourceMap, Span, build_source_map, offset_to_position

MAX_FILE_SIZE = 20 * 1024 * 1024
LFS_PREFIX = b"version https://git-lfs.github.com/spec/"

# the JSON files transformers reads at load time, in the order their rules care about
CONFIG_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "preprocessor_config.json",
    "processor_config.json",
    "video_preprocessor_config.json",
    "chat_template.json",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)


@dataclass
class Problem:
    """Why a file could not be used. ``kind`` picks the rule that reports it."""

    kind: str  # too-large | lfs-pointer | binary | encoding | symlink | json-syntax | not-object | unreadable
    message: str
    line: int = 1
    column: int = 1
    help: str | None = None


@dataclass
class JsonDoc:
    path: str
    text: str | None = None
    data: object = None
    problem: Problem | None = None
    has_duplicates: bool = False
    has_nonfinite: bool = False
    _map: SourceMap | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def obj(self) -> dict | None:
        """The parsed top-level object, or None when the file is unusable."""
        return self.data if self.problem is None and isinstance(self.data, dict) else None

    @property
    def source_map(self) -> SourceMap:
        if self._map is None:
            self._map = build_source_map(self.text or "")
        return self._map

    def span(self, pointer: str, at_key: bool = False) -> Span | None:
        """The span of the value (or key) at ``pointer``; falls back to the nearest parent."""
        if self.text is None:
            return None
        entries = self.source_map.entries
        ptr = pointer
        while True:
            entry = entries.get(ptr)
            if entry is not None:
                if at_key and entry.key is not None and ptr == pointer:
                    return entry.key
                return entry.value
            if not ptr:
                return None
            ptr = ptr.rsplit("/", 1)[0]


class Repo:
    """A local folder. ``label`` is how the user named it (kept for reports)."""

    def __init__(self, root: str | os.PathLike, label: str | None = None, max_file_size: int = MAX_FILE_SIZE):
        self.root = Path(root)
        self.label = label if label is not None else str(root)
        self.max_file_size = max_file_size
        self._real_root = os.path.realpath(self.root)
        self._top: list[str] | None = None
        self._json: dict[str, JsonDoc | None] = {}
        self._text: dict[str, tuple[str | None, Problem | None]] = {}
        self._py: dict[str, dict | None] = {}
        self._memo: dict[str, object] = {}
        self.use_cache = True
        self.last_read: str | None = None  # the file a rule asked for last (named in internal errors)

    # -- listing ------------------------------------------------------------
    def top_level(self) -> list[str]:
        """The names of the files at the repo root, sorted (symlinks included, folders not).
        transformers reads only root-level files, so the tree below is never walked: a model
        folder inside a large checkout costs one directory listing."""
        if self._top is None:
            try:
                with os.scandir(self.root) as entries:
                    self._top = sorted(e.name for e in entries if not _is_dir(e))
            except OSError:
                self._top = []
        return self._top

    def exists(self, rel: str) -> bool:
        return os.path.lexists(self.root / rel)

    # -- reading --------------------------------------------------------------
    def _escapes(self, rel: str) -> bool:
        """True when ``rel`` resolves outside the repo (through a symlink, "..", or an
        absolute path), or cannot be a path at all (a NUL byte)."""
        if "\x00" in rel:
            return True
        return outside(self._real_root, self.root / rel)

    def read_text(self, rel: str) -> tuple[str | None, Problem | None]:
        """The decoded text of a file, or the problem that prevents reading it."""
        self.last_read = rel
        if rel in self._text:
            return self._text[rel]
        result = self._read_text(rel)
        self._text[rel] = result
        return result

    def _read_text(self, rel: str) -> tuple[str | None, Problem | None]:
        path = self.root / rel
        if self._escapes(rel):
            if not os.path.islink(path):  # a "../" or absolute path named inside a file
                return None, Problem("unreadable", f"{rel} is outside the repo; it was not read")
            return None, Problem(
                "symlink",
                f"{rel} is a symlink to {os.readlink(path)}, outside the repo; it was not read",
                help="Commit the file itself: a symlink that leaves the repo does not exist for "
                "people who download it.",
            )
        if os.path.islink(path):
            if not path.exists():
                return None, Problem("symlink", f"{rel} is a dangling symlink to {os.readlink(path)}")
        try:
            size = path.stat().st_size
        except OSError as exc:
            return None, Problem("unreadable", f"cannot read {rel}: {exc.strerror or exc}")
        if not path.is_file():
            return None, Problem("unreadable", f"{rel} is not a regular file")
        if size > self.max_file_size:
            return None, Problem(
                "too-large",
                f"{rel} is {size / 1048576:.1f} MiB, over the {self.max_file_size / 1048576:.0f} MiB "
                "limit for metadata files; it was not read",
                help="A metadata file this large is almost always a mistake (weights or data saved "
                "under a config name).",
            )
        try:
            with open(path, "rb") as fh:
                # the head decides "binary" on its own: a huge file of NUL bytes (a sparse file under
                # a generous max-file-size) is not read whole to be refused
                head = fh.read(min(size, 8192))
                if b"\x00" in head:
                    return self.decode(rel, head)
                raw = head + _read_capped(fh, max(0, size - len(head)), self.max_file_size - len(head))
        except OSError as exc:
            return None, Problem("unreadable", f"cannot read {rel}: {exc.strerror or exc}")
        except MemoryError:  # max-file-size set above what this machine can hold
            return None, Problem("too-large", f"{rel} is {size / 1048576:.1f} MiB, more than fits in memory; it was not read")
        if len(raw) > self.max_file_size:
            return None, Problem("too-large", f"{rel} grew past the size limit while it was read; it was not read")
        return self.decode(rel, raw)

    def decode(self, rel: str, raw: bytes) -> tuple[str | None, Problem | None]:
        """The text of a file's bytes, or why it is not text repolint reads (a Git LFS
        pointer, a binary file, not UTF-8)."""
        if raw.startswith(LFS_PREFIX):
            return None, Problem(
                "lfs-pointer",
                f"{rel} is a Git LFS pointer, not the file's content",
                help="Run `git lfs pull`, or stop tracking this file with LFS "
                "(`git lfs untrack`); transformers reads the pointer text and fails to parse it.",
            )
        if b"\x00" in raw[:8192]:
            return None, Problem("binary", f"{rel} is a binary file (it contains NUL bytes)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            return None, Problem(
                "encoding",
                f"{rel} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                line=line,
                column=col,
                help="Re-save the file as UTF-8; transformers opens it with encoding='utf-8'.",
            )
        return text, None

    # -- binary reads (weights headers, pickles): never whole files ---------------------
    def list_dir(self, rel: str) -> list[str]:
        """The file names in one sub-folder (e.g. additional_chat_templates), sorted; [] when
        it is missing or leaves the repo. Only the folders transformers reads are listed."""
        if self._escapes(rel):
            return []
        try:
            with os.scandir(self.root / rel) as entries:
                return sorted(e.name for e in entries if not _is_dir(e))
        except OSError:
            return []

    def open_binary(self, rel: str):
        """(file object, None) for reading a file in binary (the caller closes it and reads what
        it needs, never assuming the whole file fits), or (None, Problem). A symlink that leaves
        the repo is refused like read_text."""
        path = self.root / rel
        if self._escapes(rel):  # a symlink out of the repo, or a "../" path named by an index
            return None, Problem("symlink", f"{rel} is outside the repo; it was not read")
        if not os.path.isfile(path):  # before open(): a FIFO would block it
            return None, Problem("unreadable", f"{rel} is not a regular file")
        try:
            return open(path, "rb"), None
        except OSError as exc:
            return None, Problem("unreadable", f"cannot read {rel}: {exc.strerror or exc}")

    def read_prefix(self, rel: str, length: int) -> tuple[bytes | None, int, Problem | None]:
        """At most ``length`` bytes from the start of a file, and the file's size."""
        fh, problem = self.open_binary(rel)
        if fh is None:
            return None, 0, problem
        try:
            with fh:
                size = os.fstat(fh.fileno()).st_size
                return fh.read(max(0, min(length, size))), size, None
        except OSError as exc:
            return None, 0, Problem("unreadable", f"cannot read {rel}: {exc.strerror or exc}")

    def memo(self, key: str, compute):
        """A value computed once per Repo (e.g. the safetensors headers several rules read)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def json(self, rel: str) -> JsonDoc | None:
        """The parsed JSON file, or None when the repo has no such file."""
        self.last_read = rel
        if rel in self._json:
            return self._json[rel]
        doc = self._load_json(rel) if self.exists(rel) else None
        self._json[rel] = doc
        return doc

    def python(self, rel: str) -> dict | None:
        """Module facts of a Python file (see repolint.pyfacts); None when the file is missing.
        A file that cannot be read gives {"problem": Problem}."""
        self.last_read = rel
        if rel not in self._py:
            if not self.exists(rel):
                self._py[rel] = None
            else:
                text, problem = self.read_text(rel)
                if problem is not None:
                    self._py[rel] = {"problem": problem}
                else:
                    from repolint.pyfacts import facts_for_text

                    self._py[rel] = facts_for_text(text, use_cache=self.use_cache)
        return self._py[rel]

    def parsed_python(self) -> dict[str, dict]:
        """The Python files parsed so far (by the rules that needed them)."""
        return {rel: f for rel, f in self._py.items() if f and "problem" not in f}

    def _load_json(self, rel: str) -> JsonDoc:
        doc = JsonDoc(rel)
        text, problem = self.read_text(rel)
        if problem is not None:
            doc.problem = problem
            return doc
        doc.text = text
        if text.startswith("\ufeff"):
            doc.problem = Problem(
                "json-syntax",
                "the file starts with a UTF-8 byte-order mark, which json.load rejects",
                help="Save the file as UTF-8 without BOM.",
            )
            return doc
        flags = {"dup": False, "nonfinite": False}

        def pairs_hook(pairs):
            obj = dict(pairs)
            if len(obj) != len(pairs):
                flags["dup"] = True
            return obj

        def constant_hook(name):
            flags["nonfinite"] = True
            return float(name)

        try:
            doc.data = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=constant_hook)
        except json.JSONDecodeError as exc:
            doc.problem = _syntax_problem(text, exc)
            return doc
        except RecursionError:
            doc.problem = Problem("json-syntax", "the JSON is nested too deeply to parse")
            return doc
        except ValueError as exc:  # an integer longer than sys.get_int_max_str_digits()
            doc.problem = _value_problem(text, exc)
            return doc
        doc.has_duplicates = flags["dup"]
        doc.has_nonfinite = flags["nonfinite"]
        if not isinstance(doc.data, dict):
            kind = type(doc.data).__name__
            kind = {"list": "an array", "str": "a string", "NoneType": "null"}.get(kind, f"a {kind}")
            doc.problem = Problem(
                "not-object",
                f"the top level of {rel} is {kind}; transformers expects a JSON object",
            )
        return doc


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symlinks, as os.walk classifies them
    except OSError:
        return False


def _read_capped(fh, size: int, cap: int) -> bytes:
    """The file's bytes, at most ``cap + 1`` of them. The first read asks for the size stat()
    gave (asking for ``cap`` would allocate it up front); a file that has grown since is read
    on in chunks."""
    raw = fh.read(min(size, cap) + 1)
    if len(raw) <= size:
        return raw
    chunks = [raw]
    total = len(raw)
    while total <= cap:
        chunk = fh.read(min(1 << 20, cap + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def outside(real_root: str, path: str | os.PathLike) -> bool:
    """True when ``path`` resolves (symlinks followed) outside the folder ``real_root``
    (itself already resolved)."""
    real = os.path.realpath(path)
    return os.path.commonpath([real, real_root]) != real_root


def _value_problem(text: str, exc: ValueError) -> Problem:
    """json.loads raises a plain ValueError (not JSONDecodeError) for an integer with more
    digits than Python converts (4300 by default); transformers' json.load fails the same way."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if limit:
        for match in re.finditer(r"\d{%d,}" % (limit + 1), text):
            if match.start() == 0 or text[match.start() - 1] in ":[,- \t\r\n":
                line, col = offset_to_position(text, match.start())
                return Problem(
                    "json-syntax",
                    f"an integer of {match.end() - match.start()} digits: Python's json refuses integers "
                    f"over {limit} digits, so transformers fails with ValueError reading this file",
                    line=line,
                    column=col,
                    help="Write the number with fewer digits (a float, or a string if it is an identifier).",
                )
    return Problem("json-syntax", f"the JSON cannot be parsed: {exc}")


def _syntax_problem(text: str, exc: json.JSONDecodeError) -> Problem:
    msg = exc.msg
    help_text = None
    # Python < 3.13 reports a trailing comma as a missing property name / value
    before = text[: exc.pos].rstrip()
    if before.endswith(",") and exc.pos < len(text) and text[exc.pos:].lstrip()[:1] in ("}", "]"):
        msg = "trailing comma"
        help_text = "JSON allows no comma after the last member; remove it."
        line, col = offset_to_position(text, len(before) - 1)
        return Problem("json-syntax", f"invalid JSON: {msg}", line=line, column=col, help=help_text)
    if not text.strip():
        return Problem("json-syntax", "the file is empty; json.load fails on it", help="Write a JSON object, at least `{}`.")
    return Problem("json-syntax", f"invalid JSON: {msg}", line=exc.lineno, column=exc.colno)
