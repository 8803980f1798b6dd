"""The imports a pickle would perform, found by reading its opcodes: nothing is unpickled.

A pickle can only reach code through its ``GLOBAL`` / ``STACK_GLOBAL`` / ``INST`` opcodes
(which import ``module.name``) and the extension registry (``EXT1/2/4``); ``REDUCE``, ``OBJ``
and ``NEWOBJ`` then call what those pushed. So the globals are the whole attack surface,
and the scan lists them, with where they are. The opcode table is the stdlib's
(``pickletools.code2op``); arguments are read here with hard limits (a line of at most 64 KiB,
large byte strings skipped, at most ``MAX_OPS`` opcodes), so a hostile or huge file costs
bounded memory and time.

Formats: torch's zip checkpoints (every ``*.pkl`` member, e.g. ``archive/data.pkl``), torch's
legacy format and plain pickle files (consecutive pickles, up to ``MAX_PICKLES``).
"""

from __future__ import annotations

import pickletools
import struct
import zipfile
from dataclasses import dataclass, field

MAX_OPS = 5_000_000
MAX_PICKLES = 5  # torch's legacy format: magic, protocol, sys info, the data, storage keys
MAX_LINE = 64 * 1024
KEEP_BYTES = 1024  # string arguments longer than this are skipped, not read
ZIP_MAGIC = b"PK\x03\x04"

_STR_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"}
_GET_OPS = {"GET", "BINGET", "LONG_BINGET"}
_PUT_OPS = {"PUT", "BINPUT", "LONG_BINPUT"}
_NO_PUSH = {"MEMOIZE", "PROTO", "FRAME", "STOP", "POP", "POP_MARK", "APPEND", "APPENDS", "SETITEM", "SETITEMS",
            "ADDITEMS", "BUILD", *_PUT_OPS}
_LENGTH = {pickletools.TAKEN_FROM_ARGUMENT1: ("<B", 1), pickletools.TAKEN_FROM_ARGUMENT4: ("<i", 4),
           pickletools.TAKEN_FROM_ARGUMENT4U: ("<I", 4), pickletools.TAKEN_FROM_ARGUMENT8U: ("<Q", 8)}


@dataclass(frozen=True)
class PickleGlobal:
    module: str  # "" when it cannot be known statically (a computed STACK_GLOBAL, an extension code)
    name: str
    member: str | None  # the zip member, for torch's zip format
    offset: int  # of the opcode, in the pickle (the member for a zip)
    opcode: str

    @property
    def dotted(self) -> str:
        return f"{self.module}.{self.name}" if self.module else self.name


@dataclass
class PickleScan:
    file: str
    format: str = "pickle"  # pickle | zip
    globals: list[PickleGlobal] = field(default_factory=list)
    problem: str | None = None  # why (part of) the file could not be scanned


class _Bad(Exception):
    pass


def looks_like_pickle(head: bytes) -> bool:
    """A zip (torch >= 1.6) or a pickle of protocol 2+ (what torch.save writes)."""
    return head.startswith(ZIP_MAGIC) or (len(head) >= 2 and head[0] == 0x80 and head[1] <= 5)


def scan(fh, file: str) -> PickleScan:
    """Scan an open binary file (seekable). Never raises on bad input."""
    result = PickleScan(file)
    try:
        head = fh.read(4)
        fh.seek(0)
        if head.startswith(ZIP_MAGIC):
            result.format = "zip"
            _scan_zip(fh, result)
        else:
            _scan_stream(fh, None, result)
    except (_Bad, zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error, RuntimeError, NotImplementedError) as exc:
        result.problem = str(exc) or type(exc).__name__
    return result


def _scan_zip(fh, result: PickleScan) -> None:
    with zipfile.ZipFile(fh) as zf:
        members = [i for i in zf.infolist() if i.filename.endswith(".pkl")]
        if not members:
            raise _Bad("a zip file without a .pkl member (not a torch checkpoint)")
        for info in members:
            with zf.open(info) as member:
                _scan_stream(member, info.filename, result)


def _scan_stream(fh, member: str | None, result: PickleScan) -> None:
    ops = 0
    for i in range(MAX_PICKLES):
        first = fh.read(1)
        if not first:
            if i == 0:
                raise _Bad("the file is empty")
            return
        if i > 0 and first != b"\x80":
            return  # what follows the pickles (torch's legacy tensor data) is not pickle
        try:
            ops = _one_pickle(fh, first, member, result, ops)
        except (_Bad, EOFError, struct.error, UnicodeDecodeError, ValueError):
            if i == 0:
                raise
            return


def _read(fh, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise _Bad("the pickle is truncated")
    return data


def _line(fh) -> bytes:
    data = fh.readline(MAX_LINE)
    if not data.endswith(b"\n"):
        raise _Bad("the pickle is truncated or has a line over 64 KiB")
    return data[:-1]


def _skip(fh, n: int) -> None:
    while n > 0:
        chunk = fh.read(min(n, 1 << 20))
        if not chunk:
            raise _Bad("the pickle is truncated")
        n -= len(chunk)


def _one_pickle(fh, first: bytes, member: str | None, result: PickleScan, ops: int) -> int:
    memo: dict[int, object] = {}
    recent: list[object] = []  # what the opcodes pushed, strings kept (for STACK_GLOBAL)
    code = first
    while True:
        ops += 1
        if ops > MAX_OPS:
            raise _Bad(f"over {MAX_OPS:,} opcodes; the rest was not scanned")
        op = pickletools.code2op.get(code.decode("latin-1"))
        if op is None:
            raise _Bad(f"not a pickle (byte 0x{code[0]:02x} at offset {fh.tell() - 1} is no opcode)")
        start = fh.tell() - 1
        arg, value = op.arg, None
        if arg is None:
            pass
        elif op.name in ("GLOBAL", "INST"):
            value = (_line(fh).decode("utf-8", "replace"), _line(fh).decode("utf-8", "replace"))
        elif arg.n == pickletools.UP_TO_NEWLINE:
            value = _line(fh)
        elif arg.n in _LENGTH:
            fmt, size = _LENGTH[arg.n]
            length = struct.unpack(fmt, _read(fh, size))[0]
            if length < 0:
                raise _Bad("a negative length")
            if length <= KEEP_BYTES:
                value = _read(fh, length)
            else:
                _skip(fh, length)
        else:
            value = _read(fh, arg.n)
        name = op.name
        if name in ("GLOBAL", "INST"):
            result.globals.append(PickleGlobal(value[0], value[1], member, start, name))
            recent.append(None)
        elif name == "STACK_GLOBAL":
            mod, attr = (recent[-2], recent[-1]) if len(recent) >= 2 else (None, None)
            if isinstance(mod, str) and isinstance(attr, str):
                result.globals.append(PickleGlobal(mod, attr, member, start, name))
            else:
                result.globals.append(PickleGlobal("", "<computed module and name>", member, start, name))
            del recent[-2:]
            recent.append(None)
        elif name in ("EXT1", "EXT2", "EXT4"):
            ext = int.from_bytes(value, "little", signed=name == "EXT4")
            result.globals.append(PickleGlobal("", f"<copyreg extension {ext}>", member, start, name))
            recent.append(None)
        elif name in _STR_OPS:
            recent.append(_text(value, name))
        elif name in _GET_OPS:
            recent.append(memo.get(_index(value, name)))
        elif name == "MEMOIZE":
            memo[len(memo)] = recent[-1] if recent else None
        elif name in _PUT_OPS:
            memo[_index(value, name)] = recent[-1] if recent else None
        elif name not in _NO_PUSH:
            recent.append(None)
        if len(recent) > 64:
            del recent[:-8]
        if name == "STOP":
            return ops
        code = fh.read(1)
        if not code:
            raise _Bad("the pickle ends without STOP (truncated)")


def _text(value, name: str) -> str | None:
    if value is None:
        return None
    if name == "STRING":
        return value.decode("latin-1").strip("'\"")
    if name == "UNICODE":
        return value.decode("raw_unicode_escape")
    return value.decode("utf-8" if "UNICODE" in name else "latin-1", "replace")


def _index(value, name: str) -> int:
    if name in ("GET", "PUT"):
        return int(value)
    return int.from_bytes(value, "little")
