"""Linting a model folder as the editor shows it: the unsaved text of open files laid over
the folder on disk. Nothing is written into the folder; the overlay lives in memory.

No pygls here: this is the engine side of ``repolint server``, testable on its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from repolint.repo import Repo


class OverlayRepo(Repo):
    """A Repo whose files named in ``overlays`` (repo-relative path -> text) read as that
    text instead of their bytes on disk. Every other check (size, symlinks out of the repo,
    binary, JSON syntax, ...) is the Repo's own."""

    def __init__(self, root, overlays: dict[str, str], **kwargs):
        super().__init__(root, **kwargs)
        self.overlays = dict(overlays)

    def _read_text(self, rel: str):
        if rel not in self.overlays or self._escapes(rel):
            return super()._read_text(rel)
        raw = self.overlays[rel].encode("utf-8", "surrogatepass")
        if len(raw) > self.max_file_size:
            return super()._read_text(rel)  # the size finding, as for the file on disk
        return self.decode(rel, raw)

    def exists(self, rel: str) -> bool:
        return rel in self.overlays or super().exists(rel)

    def top_level(self) -> list[str]:
        names = super().top_level()
        extra = [rel for rel in self.overlays if "/" not in rel and rel not in names]
        if extra:
            self._top = names = sorted([*names, *extra])
        return names

    def python(self, rel: str):
        # unsaved text is not worth a facts-cache entry (one per pause in typing)
        if rel not in self.overlays or rel in self._py:
            return super().python(rel)
        saved, self.use_cache = self.use_cache, False
        try:
            return super().python(rel)
        finally:
            self.use_cache = saved


def lint_folder(folder: str | os.PathLike, overlays: dict[str, str] | None = None):
    """The engine's result for one model folder, with ``overlays`` laid over it; settings
    found upward from the folder as `repolint check` finds them (repolint.cli.settings_for).
    Raises repolint.config.ConfigError / repolint.knowledge.UnknownTarget for settings
    that cannot be used."""
    from repolint.cli import LintOptions, settings_for
    from repolint.engine import run
    from repolint.knowledge import Knowledge
    from repolint.repo import MAX_FILE_SIZE

    path = Path(folder)
    label = str(path)
    settings = settings_for(label, path, LintOptions((), (), (), (), None, False))
    repo = OverlayRepo(path, overlays or {}, label=label, max_file_size=settings.max_file_size or MAX_FILE_SIZE)
    return run(repo, settings, [Knowledge.for_target(t) for t in settings.targets])


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def overlay_text(path: str, text: str, edited: bool) -> bool:
    """Whether an open document's ``text`` must be laid over the file at ``path``: it is not
    on disk, or differs from it. An unedited buffer of a file that is not UTF-8 shows the
    file (decoded by the editor with another encoding): the file itself is linted, so its
    encoding problem is reported."""
    try:
        with open(path, "rb") as fh:
            disk = fh.read()
    except OSError:
        return True
    if disk == text.encode("utf-8", "surrogatepass"):
        return False
    return edited or is_utf8(disk)
