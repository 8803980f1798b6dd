"""`repolint server`: repolint's findings in the editor, over the Language Server Protocol.

When a JSON or Python file is opened or saved (or edited: after a pause in typing), the
model folder it belongs to (repolint.discover.model_folder, as for the pre-commit hook) is
linted in-process with the editor's unsaved text laid over the files on disk
(repolint.lsp.overlay); every open file of that folder gets its diagnostics (an empty list
clears a file that became clean). Quick fixes offer the safe fixes of the findings under the
cursor. One lint runs at a time, in a worker thread; requests for a folder that arrive while
one is waiting replace it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from repolint import __version__
from repolint.lsp.convert import Lines, overlaps, text_edits, to_lsp

log = logging.getLogger("repolint.lsp")

LINTED_SUFFIXES = (".json", ".py")
SETTINGS_NAMES = ("repolint.toml", "pyproject.toml")
DEFAULT_DEBOUNCE = 0.3  # seconds of quiet after an edit before the folder is linted


@dataclass
class Published:
    """What the last lint of a folder published for one open document: the document
    version and text it saw, and each finding with its LSP diagnostic."""

    version: int | None
    lines: Lines
    findings: list = field(default_factory=list)  # (repolint Diagnostic, types.Diagnostic)


class RepolintServer(LanguageServer):
    def __init__(self, debounce: float = DEFAULT_DEBOUNCE):
        super().__init__("repolint", __version__)
        self.debounce = debounce
        self.edited: set[str] = set()  # uris changed since they were opened or saved
        self.waiting: dict[str, asyncio.Task] = {}  # folder -> lint not started yet
        self.published: dict[str, Published] = {}  # uri -> last publication
        self.folder_of_uri: dict[str, str] = {}  # open uri -> its model folder (None: none)
        self._lock: asyncio.Lock | None = None
        self._rules = None

    # -- documents -> folders ----------------------------------------------------------
    def folder_of(self, uri: str) -> str | None:
        """The model folder of a document (absolute path), or None."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if not path or not path.endswith(LINTED_SUFFIXES):
            return None
        from repolint.discover import markers, model_folder

        if os.path.basename(path) in markers():  # also when the file is not saved yet
            return os.path.dirname(os.path.abspath(path))
        folder = model_folder(os.path.abspath(path))
        return os.path.abspath(folder) if folder is not None else None

    def open_documents(self, folder: str) -> dict[str, object]:
        """The open documents of a folder: repo-relative path -> pygls TextDocument."""
        out = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            if self.folder_of_uri.get(uri) == folder:
                path = to_fs_path(uri)
                out[os.path.relpath(path, folder).replace(os.sep, "/")] = doc
        return out

    # -- scheduling --------------------------------------------------------------------
    def request_lint(self, folder: str | None, delay: float = 0.0) -> None:
        if folder is None:
            return
        waiting = self.waiting.pop(folder, None)
        if waiting is not None:
            waiting.cancel()
        self.waiting[folder] = asyncio.get_running_loop().create_task(self._lint_later(folder, delay))

    async def _lint_later(self, folder: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        self.waiting.pop(folder, None)  # started: a newer request queues another run
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            docs = self.open_documents(folder)
            if not docs:
                return
            from repolint.lsp.overlay import overlay_text

            snapshot = {rel: (doc.uri, doc.version, doc.source) for rel, doc in docs.items()}
            overlays = {rel: text for rel, (uri, _, text) in snapshot.items()
                        if overlay_text(os.path.join(folder, rel), text, uri in self.edited)}
            try:
                result = await asyncio.to_thread(_lint, folder, overlays)
            except Exception as exc:  # noqa: BLE001 - settings errors and bugs: one message, no crash
                self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=_describe(exc)))
                log.exception("linting %s failed", folder)
                return
        self.publish(folder, result, snapshot)

    # -- publishing --------------------------------------------------------------------
    def units(self, text: str) -> int:
        return self.workspace.position_codec.client_num_units(text)

    def rule_url(self, code: str, name: str) -> str:
        from repolint.reporters import rule_lookup, rule_url

        if self._rules is None:
            self._rules = rule_lookup()
        return rule_url(self._rules(code), code, name)

    def publish(self, folder: str, result, snapshot: dict) -> None:
        by_file: dict[str, list] = {}
        for diag in result.diagnostics:
            by_file.setdefault(diag.location.file, []).append(diag)
        for rel, (uri, version, text) in snapshot.items():
            if self.folder_of_uri.get(uri) != folder:  # closed (or moved) while linting
                continue
            lines = Lines(text)
            findings = [(d, to_lsp(d, self.rule_url(d.code, d.name), lines, self.units)) for d in by_file.get(rel, [])]
            self.published[uri] = Published(version, lines, findings)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=[lsp for _, lsp in findings]))

    def clear(self, uri: str) -> None:
        self.published.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # -- code actions ------------------------------------------------------------------
    def quick_fixes(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        pub = self.published.get(uri)
        folder = self.folder_of_uri.get(uri)
        if pub is None or folder is None:
            return []
        doc = self.workspace.text_documents.get(uri)
        if doc is None or (pub.version is not None and doc.version != pub.version):
            return []  # the text changed since the lint: its edits would land in the wrong place
        actions = []
        for diag, lsp in pub.findings:
            fix = diag.fix
            if fix is None or getattr(fix.applicability, "value", fix.applicability) != "safe" or not fix.edits:
                continue
            if not overlaps(lsp.range, params.range):
                continue
            edits = text_edits(fix, lambda rel: self.lines_of(folder, rel), self.units)
            if edits is None:
                continue
            changes = {from_fs_path(os.path.join(folder, rel)): e for rel, e in edits.items()}
            actions.append(types.CodeAction(
                title=f"{fix.description} ({diag.code})",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[lsp],
                edit=types.WorkspaceEdit(changes=changes),
                is_preferred=True,
            ))
        return actions

    def lines_of(self, folder: str, rel: str) -> Lines | None:
        """The lines of a file of the folder: as the last lint saw them when it is open, else
        from disk."""
        uri = from_fs_path(os.path.join(folder, rel))
        if uri in self.published:
            return self.published[uri].lines
        try:
            with open(os.path.join(folder, rel), encoding="utf-8", newline="") as fh:
                return Lines(fh.read())
        except (OSError, UnicodeDecodeError):
            return None


def _lint(folder: str, overlays: dict[str, str]):
    from repolint.lsp.overlay import lint_folder

    return lint_folder(folder, overlays)


def _describe(exc: Exception) -> str:
    from repolint.config import ConfigError
    from repolint.knowledge import UnknownTarget

    if isinstance(exc, (ConfigError, UnknownTarget)):
        return f"repolint: {exc}"
    return f"repolint: internal error: {type(exc).__name__}: {exc}"


def build(debounce: float = DEFAULT_DEBOUNCE) -> RepolintServer:
    server = RepolintServer(debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RepolintServer, params: types.DidOpenTextDocumentParams):
        uri = params.text_document.uri
        ls.edited.discard(uri)
        ls.folder_of_uri[uri] = ls.folder_of(uri)
        ls.request_lint(ls.folder_of_uri[uri])

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RepolintServer, params: types.DidChangeTextDocumentParams):
        uri = params.text_document.uri
        ls.edited.add(uri)
        ls.request_lint(ls.folder_of_uri.get(uri), ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: RepolintServer, params: types.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        ls.edited.discard(uri)
        path = to_fs_path(uri) if uri.startswith("file:") else ""
        if path and os.path.basename(path) in SETTINGS_NAMES:  # settings changed: every open folder
            for folder in {f for f in ls.folder_of_uri.values() if f}:
                ls.request_lint(folder)
            return
        ls.folder_of_uri[uri] = ls.folder_of(uri)  # a saved config.json can make a new model folder
        ls.request_lint(ls.folder_of_uri[uri])

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RepolintServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        was_edited = uri in ls.edited
        ls.edited.discard(uri)
        folder = ls.folder_of_uri.pop(uri, None)
        ls.clear(uri)
        if was_edited:  # the folder's other open files now see the file on disk, not the buffer
            ls.request_lint(folder)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: RepolintServer, params: types.CodeActionParams):
        return ls.quick_fixes(params) or None

    return server
