"""safetensors checkpoints, read from their headers only: the tensor data is never read.

A safetensors file is ``N`` (8 bytes, little-endian), an ``N``-byte JSON header
``{name: {"dtype", "shape", "data_offsets": [start, end]}, "__metadata__": {str: str}}``, then
the data; offsets are relative to the end of the header. The safetensors library (which
transformers uses) refuses, at ``safe_open``, a header over 100,000,000 bytes, a header that
is not a JSON object of that shape, an unknown dtype, offsets that are not contiguous from 0,
a byte range that is not ``shape x dtype`` bytes, and data that does not end where the file
ends. ``parse_header`` reports the same things as ``HeaderProblem``s; it never raises.

``checkpoint(repo)`` is what other code asks: the files ``from_pretrained`` reads
(``model.safetensors``, else ``model.safetensors.index.json`` and its shards), the index, and
a typed ``TensorInfo`` (name, dtype, shape, byte range, file) per tensor. It is computed once
per Repo, and costs one or two small reads per file, whatever the size of the weights.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

MAX_HEADER_SIZE = 100_000_000  # safetensors' own limit; a larger header is "header too large"
FIRST_READ = 64 * 1024  # most headers fit: one read per file
SINGLE = "model.safetensors"
INDEX = "model.safetensors.index.json"

# bits per element of every dtype safetensors 0.8 accepts
DTYPE_BITS = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8,
    "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}
# the floating dtypes a config's `dtype` can name, as torch spells them
TORCH_FLOAT_NAMES = {"F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str  # as in the header: "BF16", "F32", ...
    shape: tuple[int, ...]
    start: int  # absolute byte offsets in the file
    end: int
    file: str

    @property
    def nbytes(self) -> int:
        return self.end - self.start

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class HeaderProblem:
    kind: str  # unreadable (no tensor can be read) | dtype | layout
    message: str
    tensor: str | None = None


@dataclass
class Header:
    file: str
    file_size: int
    header_size: int = 0  # N
    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    metadata: dict | None = None
    problems: list[HeaderProblem] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(p.kind == "unreadable" for p in self.problems)


@dataclass
class Index:
    file: str
    weight_map: dict[str, str]  # tensor -> shard file
    total_size: int | None


@dataclass
class Checkpoint:
    """The safetensors side of a repo, as ``from_pretrained`` would read it."""

    kind: str | None  # "single" | "sharded" | None (no safetensors checkpoint)
    index: Index | None
    files: list[str]  # files from_pretrained reads, in order (listed shards that exist)
    headers: dict[str, Header]  # every top-level *.safetensors, by file

    def tensors(self) -> dict[str, TensorInfo]:
        """The checkpoint's tensors by name (the first file holding a name wins)."""
        out: dict[str, TensorInfo] = {}
        for f in self.files:
            h = self.headers.get(f)
            for name, info in (h.tensors.items() if h else ()):
                out.setdefault(name, info)
        return out


def _unreadable(h: Header, message: str) -> Header:
    h.problems.append(HeaderProblem("unreadable", message))
    return h


def header_size(prefix: bytes) -> int | None:
    return struct.unpack("<Q", prefix[:8])[0] if len(prefix) >= 8 else None


def parse_header(prefix: bytes, file_size: int, file: str) -> Header:
    """The header of a file of ``file_size`` bytes whose first bytes are ``prefix`` (at least
    8 + N of them, or the whole file when shorter)."""
    h = Header(file, file_size)
    n = header_size(prefix)
    if n is None:
        return _unreadable(h, f"{file} is {file_size} bytes, too short for a safetensors header")
    h.header_size = n
    if prefix.startswith(b"version https://git-lfs.github.com/spec/"):
        return _unreadable(h, f"{file} is a Git LFS pointer, not the weights (a clone without `git lfs`); "
                              "from_pretrained fails: SafetensorError \"header too large\"")
    if n > MAX_HEADER_SIZE:
        return _unreadable(h, f"the header of {file} claims {n:,} bytes, over safetensors' limit of {MAX_HEADER_SIZE:,} (\"header too large\")")
    if 8 + n > file_size:
        return _unreadable(h, f"the header of {file} claims {n:,} bytes but the file has only {file_size - 8:,} after the length")
    raw = prefix[8 : 8 + n]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _unreadable(h, f"the header of {file} is not UTF-8")
    if not text.startswith("{"):
        return _unreadable(h, f"the header of {file} does not start with '{{'")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return _unreadable(h, f"the header of {file} is not valid JSON ({str(exc).splitlines()[0]})")
    if not isinstance(data, dict):
        return _unreadable(h, f"the header of {file} is not a JSON object")
    meta = data.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        return _unreadable(h, f"__metadata__ in the header of {file} must map strings to strings")
    h.metadata = meta
    base = 8 + n
    entries = []
    for name, info in data.items():
        shape, offsets = (info.get("shape"), info.get("data_offsets")) if isinstance(info, dict) else (None, None)
        if not (_int_list(shape) and _int_list(offsets) and len(offsets) == 2 and isinstance(info.get("dtype"), str)):
            return _unreadable(h, f"tensor {name!r} in {file} lacks a dtype string, a shape and two data_offsets")
        dtype = info["dtype"]
        if dtype not in DTYPE_BITS:
            h.problems.append(HeaderProblem("dtype", f"tensor {name!r} in {file} has dtype {dtype!r}, which safetensors does not know", name))
        entries.append(TensorInfo(name, dtype, tuple(shape), base + offsets[0], base + offsets[1], file))
    h.problems.extend(_layout_problems(entries, base, file_size, file))
    h.tensors = {t.name: t for t in entries}
    return h


def _int_list(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in v)


def _layout_problems(entries: list[TensorInfo], base: int, file_size: int, file: str):
    """safetensors' own validation: sorted by offsets, each tensor starts where the previous
    ends, spans shape x dtype bytes, and the last one ends at the end of the file."""
    pos = base
    for t in sorted(entries, key=lambda t: (t.start, t.end)):
        if t.start != pos:
            what = "overlaps the previous tensor" if t.start < pos else f"leaves {t.start - pos:,} unused bytes before it"
            yield HeaderProblem("layout", f"tensor {t.name!r} in {file} starts at data offset {t.start - base:,}: it {what}", t.name)
        if t.end < t.start:
            yield HeaderProblem("layout", f"tensor {t.name!r} in {file} ends before it starts", t.name)
        elif t.dtype in DTYPE_BITS and t.numel * DTYPE_BITS[t.dtype] != t.nbytes * 8:
            bits = t.numel * DTYPE_BITS[t.dtype]
            want = f"{bits // 8:,}" if bits % 8 == 0 else f"{bits / 8:,.3f}"
            yield HeaderProblem(
                "layout",
                f"tensor {t.name!r} in {file}: shape {list(t.shape)} of {t.dtype} is {want} bytes, but its byte range holds {t.nbytes:,}",
                t.name,
            )
        pos = max(pos, t.end)
    if pos > file_size:
        yield HeaderProblem("layout", f"the tensors of {file} end at byte {pos:,}, past the end of the file ({file_size:,} bytes): the file is truncated")
    elif pos < file_size:
        yield HeaderProblem("layout", f"{file} has {file_size - pos:,} bytes after its last tensor (safetensors: \"file not fully covered\")")


def read_header(repo, rel: str) -> Header:
    """The header of one file of the repo: one read of at most FIRST_READ bytes, and a second
    of exactly 8 + N bytes when the header is larger (never more than MAX_HEADER_SIZE)."""
    prefix, size, problem = repo.read_prefix(rel, FIRST_READ)
    if prefix is None:
        return _unreadable(Header(rel, 0), problem.message if problem else f"cannot read {rel}")
    n = header_size(prefix)
    head = prefix[8:]
    # read the rest of a long header only if what was read can still be one (JSON has no NUL)
    if n is not None and 8 + n > len(prefix) and n <= MAX_HEADER_SIZE and 8 + n <= size \
            and head.startswith(b"{") and b"\0" not in head:
        prefix, size, problem = repo.read_prefix(rel, 8 + n)
        if prefix is None:
            return _unreadable(Header(rel, size), problem.message if problem else f"cannot read {rel}")
    return parse_header(prefix, size, rel)


def parse_index(data) -> Index | None:
    """The index's weight_map and total_size; None when it has no usable weight_map."""
    if not isinstance(data, dict) or not isinstance(data.get("weight_map"), dict):
        return None
    wm = {k: v for k, v in data["weight_map"].items() if isinstance(v, str)}
    meta = data.get("metadata")
    total = meta.get("total_size") if isinstance(meta, dict) else None
    return Index(INDEX, wm, total if isinstance(total, int) and not isinstance(total, bool) else None)


def checkpoint(repo) -> Checkpoint:
    return repo.memo("safetensors.checkpoint", lambda: _checkpoint(repo))


def _checkpoint(repo) -> Checkpoint:
    headers = {f: read_header(repo, f) for f in repo.top_level() if f.endswith(".safetensors")}
    if SINGLE in headers:  # transformers looks for it before the index
        return Checkpoint("single", None, [SINGLE], headers)
    doc = repo.json(INDEX)
    index = parse_index(doc.obj) if doc is not None else None
    if index is None:
        return Checkpoint(None, None, [], headers)
    files = []
    for shard in dict.fromkeys(index.weight_map.values()):
        if shard not in headers and "/" in shard and repo.exists(shard):
            headers[shard] = read_header(repo, shard)
        if shard in headers:
            files.append(shard)
    return Checkpoint("sharded", index, files, headers)
