"""Which folders are model folders: one definition for ``repolint check``, the pre-commit
hook and the GitHub Action (which runs ``repolint check`` on its ``paths``).

A *model folder* holds one of the JSON files transformers reads at load time
(``repolint.repo.CONFIG_FILES``: config.json, tokenizer_config.json, ...).

- A folder named on the command line is walked: every model folder at or below it is linted
  (models at several depths of a monorepo, a model inside another model's folder).
- A file named on the command line (what pre-commit passes) stands for its *nearest* model
  folder: its own folder or the closest one above it, up to the path as given (a relative
  path is never followed above the working directory) or the repository root (the folder
  holding ``.git``). A file with no model folder above it is not linted.

The walk skips hidden folders (``.git``, ``.venv``, ``.cache``, ...), ``node_modules``,
``__pycache__``, any virtualenv (a folder holding ``pyvenv.cfg``), folders matching the
``exclude`` / ``extend-exclude`` patterns, and folders ``.gitignore`` ignores. It never
follows a symlink to a folder (a link loop cannot trap it) and opens no file but the
``.gitignore`` files. Paths named on the command line are linted even when a pattern would
exclude them, as in ruff.

``.gitignore`` is read by the small matcher below rather than by ``git check-ignore``: it
needs no git binary and no subprocess, works in a tree that is not a git work tree (an
unpacked archive, a Hub snapshot), and lets the walk prune an ignored folder before
entering it. It reads every ``.gitignore`` from the repository root (the folder holding
``.git``; without one, the walked path) down, and ``.git/info/exclude``. Supported: blank
lines and ``#`` comments, ``!`` negation, a trailing ``/`` (folders only), a leading or
inner ``/`` (anchored to the .gitignore's folder), ``*``, ``?``, ``[...]``, ``**``, and
backslash escapes. Not read: the global ``core.excludesFile``; files git already tracks
are still ignored when a pattern matches them (git would keep them).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

ALWAYS_SKIPPED = ("node_modules", "__pycache__")  # plus every hidden folder and virtualenv


def markers() -> tuple[str, ...]:
    from repolint.repo import CONFIG_FILES

    return CONFIG_FILES


def is_model_folder(folder: str) -> bool:
    return any(os.path.lexists(os.path.join(folder, name)) for name in markers())


def repository_root(start: str) -> str | None:
    """The closest folder at or above ``start`` holding ``.git`` (a folder, or the file of
    a worktree / submodule), or None."""
    here = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def model_folder(file: str, _cache: dict | None = None) -> str | None:
    """The model folder of ``file`` (a path string as given), or None when it has none."""
    cache = _cache if _cache is not None else {}
    path = os.path.normpath(file)
    folder = os.path.dirname(path) or "."
    while True:
        if folder not in cache:
            cache[folder] = is_model_folder(folder)
        if cache[folder]:
            return folder
        if folder in (".", os.sep) or os.path.lexists(os.path.join(folder, ".git")):
            return None
        parent = os.path.dirname(folder) or "."
        if parent == folder:
            return None
        folder = parent


def model_folders(files) -> list[str]:
    """The model folders of ``files``, each once, in the order first seen."""
    cache: dict[str, bool] = {}
    found: dict[str, None] = {}
    for file in files:
        folder = model_folder(file, cache)
        if folder is not None:
            found.setdefault(folder)
    return list(found)


# -- .gitignore ------------------------------------------------------------------------


_WILDCARDS = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}  # longest first


@lru_cache(maxsize=4096)
def _glob_regex(glob: str) -> re.Pattern:
    """A gitignore glob as a regex over '/'-separated paths."""
    out, i, n = [], 0, len(glob)
    while i < n:
        c = glob[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(glob[i + 1]))
            i += 2
            continue
        if glob.startswith("/**", i) and i + 3 == n:  # "dir/**": everything inside dir
            out.append("/.*")
            i += 3
            continue
        token = next((t for t in _WILDCARDS if glob.startswith(t, i)), None)
        if token is not None:
            out.append(_WILDCARDS[token])
            i += len(token)
            continue
        if c == "[":
            end = glob.find("]", i + 2 if glob.startswith("[!", i) or glob.startswith("[^", i) else i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = glob[i + 1:end]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


@dataclass(frozen=True)
class _Rule:
    base: str  # '/'-separated folder of the .gitignore, relative to the root; "" at the root
    regex: re.Pattern
    negate: bool
    dir_only: bool
    anchored: bool


def parse_gitignore(text: str, base: str) -> list[_Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line or line.startswith("#"):
            continue
        if not line.endswith("\\ "):
            line = line.rstrip(" ")
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        elif line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        rules.append(_Rule(base, _glob_regex(line.lstrip("/")), negate, dir_only, anchored))
    return rules


@dataclass
class Ignore:
    """The .gitignore rules read so far, matched last-one-wins as git does."""

    root: str  # absolute
    rules: list[_Rule] = field(default_factory=list)
    read: set[str] = field(default_factory=set)

    def add_file(self, folder: str) -> None:
        """Read ``folder``/.gitignore once (folder absolute, under root)."""
        if folder in self.read:
            return
        self.read.add(folder)
        rel = os.path.relpath(folder, self.root).replace(os.sep, "/")
        base = "" if rel == "." else rel
        for path in (os.path.join(folder, ".gitignore"),) + (
            (os.path.join(folder, ".git", "info", "exclude"),) if folder == self.root else ()
        ):
            text = _read_small(path)
            if text:
                self.rules.extend(parse_gitignore(text, base))

    def ignored(self, path: str, is_dir: bool) -> bool:
        """``path``: absolute, under root."""
        if not self.rules:
            return False
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        verdict = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.base:
                if not rel.startswith(rule.base + "/"):
                    continue
                sub = rel[len(rule.base) + 1:]
            else:
                sub = rel
            target = sub if rule.anchored else sub.rsplit("/", 1)[-1]
            if rule.regex.match(target):
                verdict = not rule.negate
        return verdict


def _read_small(path: str, limit: int = 1024 * 1024) -> str | None:
    """A .gitignore's text; None when it is absent, not a regular file or unreadable."""
    try:
        if not os.path.isfile(path):  # a FIFO named .gitignore must not block the walk
            return None
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


# -- the walk --------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclude:
    """Folder patterns: a pattern without '/' matches a folder's name at any depth; one with
    '/' matches the folder's path relative to ``base`` (fnmatch syntax, '*' crosses '/')."""

    patterns: tuple[tuple[str, str], ...] = ()  # (pattern, absolute base folder)

    def matches(self, path: str) -> bool:
        name = os.path.basename(path)
        for pattern, base in self.patterns:
            pattern = pattern.rstrip("/")
            if "/" in pattern:
                rel = os.path.relpath(path, base).replace(os.sep, "/")
                if fnmatch.fnmatchcase(rel, pattern.lstrip("/").removeprefix("./")):
                    return True
            elif fnmatch.fnmatchcase(name, pattern):
                return True
        return False


def _skipped(entry: os.DirEntry) -> bool:
    name = entry.name
    if name.startswith(".") or name in ALWAYS_SKIPPED:
        return True
    return os.path.lexists(os.path.join(entry.path, "pyvenv.cfg"))


def walk(top: str, exclude: Exclude = Exclude(), respect_gitignore: bool = True) -> list[str]:
    """Every model folder at or below the folder ``top`` (as given, joined with the relative
    paths found), in sorted depth-first order. ``top`` itself is never excluded."""
    abs_top = os.path.abspath(top)
    ignore = None
    if respect_gitignore:
        root = repository_root(abs_top) or abs_top
        ignore = Ignore(root)
        here = abs_top
        chain = []
        while True:  # the .gitignore files above top, from the root down
            chain.append(here)
            if here == root:
                break
            here = os.path.dirname(here)
        for folder in reversed(chain):
            ignore.add_file(folder)
    names = set(markers())
    found: list[str] = []
    stack = [(top, abs_top)]
    while stack:
        shown, folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:  # unreadable, vanished, not a folder
            continue
        if ignore is not None and any(e.name == ".gitignore" for e in entries):
            ignore.add_file(folder)
        present = [e for e in entries if e.name in names]
        if present and (ignore is None or any(not ignore.ignored(e.path, False) for e in present)):
            found.append(shown)
        subdirs = []
        for e in entries:
            try:
                if not e.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            if _skipped(e) or exclude.matches(e.path):
                continue
            if ignore is not None and ignore.ignored(e.path, True):
                continue
            subdirs.append((e.name if shown in (".", "./") else os.path.join(shown, e.name), e.path))
        stack.extend(reversed(subdirs))
    return found
