"""A fuzz case as plain data, and writing it to (and copying it from) disk.

A repo is ``{name: entry}``. A name is a str (a name that is not UTF-8 is held the way
Python lists it, with surrogateescape). An entry is ``bytes`` (a regular file), or a tuple:
``("symlink", target)``, ``("fifo",)``, ``("socket",)``, ``("dir", {name: entry})``,
``("sparse", size)`` (a file of that size that costs no disk) or ``("mode", bytes, mode)``.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
from dataclasses import dataclass, field


@dataclass
class Case:
    seed: str
    index: int
    files: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the mutators did, in order
    config_touched: bool = False  # a settings file was mutated: a one-line exit 2 is allowed
    args: list[str] = field(default_factory=list)  # extra `repolint check` options
    outside: dict = field(default_factory=dict)  # files next to the repo, for symlinks out of it

    @property
    def id(self) -> str:
        return f"{self.seed}-{self.index}"

    def note(self, text: str) -> None:
        self.notes.append(text)


def write_tree(root: str, files: dict) -> None:
    os.makedirs(root, exist_ok=True)
    for name, entry in files.items():
        path = os.path.join(os.fsencode(root), os.fsencode(name))
        try:
            _write_entry(path, entry)
        except (OSError, ValueError):
            pass  # a name the file system refuses (too long, ...): the case goes on without it


def _write_entry(path: bytes, entry) -> None:
    if isinstance(entry, (bytes, bytearray)):
        with open(path, "wb") as fh:
            fh.write(entry)
        return
    kind = entry[0]
    if kind == "symlink":
        os.symlink(os.fsencode(entry[1]), path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.bind(path)
        finally:
            sock.close()  # the socket file stays; nobody listens on it
    elif kind == "dir":
        os.mkdir(path)
        write_tree(os.fsdecode(path), entry[1])
    elif kind == "sparse":
        with open(path, "wb") as fh:
            fh.truncate(entry[1])
    elif kind == "mode":
        _write_entry(path, entry[1])
        os.chmod(path, entry[2])
    else:  # pragma: no cover
        raise ValueError(kind)


def write_case(workdir: str, case: Case) -> str:
    """Write the case under ``workdir``; return the repo folder (``workdir/repo``)."""
    write_tree(os.path.join(workdir, "outside"), case.outside)
    repo = os.path.join(workdir, "repo")
    write_tree(repo, case.files)
    return repo


def copy_tree(src: str, dst: str, budget: int = 64 * 1024 * 1024) -> None:
    """Copy a case folder for a reproducer without ever opening a FIFO, socket or device:
    those are recreated, symlinks are copied as links, sparse files stay sparse."""
    os.makedirs(dst, exist_ok=True)
    for entry in os.scandir(os.fsencode(src)):
        target = os.path.join(os.fsencode(dst), entry.name)
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(entry.path), target)
        elif stat.S_ISDIR(st.st_mode):
            copy_tree(os.fsdecode(entry.path), os.fsdecode(target), budget)
        elif stat.S_ISFIFO(st.st_mode):
            os.mkfifo(target)
        elif stat.S_ISREG(st.st_mode):
            if st.st_blocks * 512 < st.st_size or st.st_size > budget:  # sparse or huge
                with open(target, "wb") as fh:
                    fh.truncate(st.st_size)
            else:
                os.chmod(entry.path, st.st_mode | stat.S_IRUSR)
                shutil.copyfile(entry.path, target)
                os.chmod(entry.path, st.st_mode)
            os.chmod(target, stat.S_IMODE(st.st_mode))
        # sockets and devices are left out of reproducers


def remove_tree(path: str) -> None:
    def unlock(func, p, _exc):
        try:
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=unlock)
