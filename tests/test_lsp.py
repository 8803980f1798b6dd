"""`repolint server` driven by a real LSP client (pytest-lsp, on pygls) over the server's
stdin / stdout: `python -m repolint server` runs as a subprocess, exactly as an editor starts it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp", reason="pytest-lsp is not installed (pip install '.[test]')")
from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from helpers import write_repo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIBLING_IMPORT = ROOT / "tests" / "fixtures" / "custom_broken" / "absolute_sibling_import"
SERVER = [sys.executable, "-m", "repolint", "server", "--debounce", "0.05"]
TIMEOUT = 30

# line 3 holds characters of 2 UTF-8 bytes (é) and of 2 UTF-16 units / 4 UTF-8 bytes (😀)
# before the broken value, so a column counted in code points is visibly wrong
BROKEN_LINE = '  "_name_or_path": "café-😀", "model_type": "lama",'
BROKEN_CONFIG = '{\n  "architectures": ["LlamaForCausalLM"],\n' + BROKEN_LINE + '\n  "hidden_size": 32\n}\n'


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    yield
    if not lsp_client.stopped:  # test_shutdown_and_exit ends its session itself
        await lsp_client.shutdown_session()


async def start(client: LanguageClient, encodings: list[str] | None = None) -> types.InitializeResult:
    caps = client_capabilities("visual-studio-code")
    if encodings is not None:
        caps.general = types.GeneralClientCapabilities(position_encodings=encodings)
    return await client.initialize_session(types.InitializeParams(capabilities=caps))


def open_file(client: LanguageClient, path: Path, language: str, version: int = 1) -> str:
    uri = from_fs_path(str(path))
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id=language, version=version, text=path.read_text(encoding="utf-8"))))
    return uri


def replace_text(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics(client: LanguageClient, uri: str, until) -> list[types.Diagnostic]:
    """The diagnostics published for ``uri`` once ``until(diagnostics)`` holds."""
    async def wait():
        while True:
            found = client.diagnostics.get(uri)
            if found is not None and until(found):
                return list(found)
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    return await asyncio.wait_for(wait(), TIMEOUT)


def codes(found) -> list[str]:
    return sorted(str(d.code) for d in found)


def units(text: str, encoding: str) -> int:
    return len(text.encode("utf-16-le")) // 2 if encoding == "utf-16" else len(text.encode(encoding))


@pytest.mark.asyncio
@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
async def test_config_json_diagnostics_ranges_and_clearing(client: LanguageClient, tmp_path, encoding):
    """didOpen of a broken config.json -> RL201 at the right range in the negotiated units
    (UTF-16 by default); didChange fixing the buffer -> cleared; the file is never written."""
    result = await start(client, None if encoding == "utf-16" else [encoding])
    assert result.capabilities.position_encoding == encoding
    assert result.capabilities.code_action_provider is not None
    folder = write_repo(tmp_path / "models" / "m", {"config.json": BROKEN_CONFIG})
    uri = open_file(client, folder / "config.json", "json")

    found = await diagnostics(client, uri, lambda ds: len(ds) > 0)
    assert codes(found) == ["RL201"]
    (d,) = found
    start_at = BROKEN_LINE.index('"lama"')
    assert d.range == types.Range(
        start=types.Position(line=2, character=units(BROKEN_LINE[:start_at], encoding)),
        end=types.Position(line=2, character=units(BROKEN_LINE[:start_at + len('"lama"')], encoding)),
    )
    assert d.severity == types.DiagnosticSeverity.Error and d.source == "repolint"
    assert "unknown model_type 'lama'" in d.message and "did you mean 'llama'" in d.message
    assert d.code_description.href.endswith("docs/rules.md#rl201-unknown-model-type")

    replace_text(client, uri, 2, BROKEN_CONFIG.replace('"lama"', '"llama"'))
    assert await diagnostics(client, uri, lambda ds: len(ds) == 0) == []
    assert (folder / "config.json").read_text(encoding="utf-8") == BROKEN_CONFIG  # linted in memory only
    assert sorted(p.name for p in folder.iterdir()) == ["config.json"]

    replace_text(client, uri, 3, BROKEN_CONFIG)  # broken again, still unsaved
    assert codes(await diagnostics(client, uri, lambda ds: len(ds) > 0)) == ["RL201"]
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await diagnostics(client, uri, lambda ds: len(ds) == 0) == []


@pytest.mark.asyncio
async def test_custom_code_quick_fix(client: LanguageClient, tmp_path):
    """A Python file of a custom-code repo: RL607 (absolute sibling import) in modeling_tiny.py,
    published with the findings of the other open file of the folder; the code action is the
    rule's safe fix; applying it to the buffer clears the finding."""
    await start(client)
    folder = tmp_path / "repo"
    shutil.copytree(SIBLING_IMPORT, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    config_uri = open_file(client, folder / "config.json", "json")
    await diagnostics(client, config_uri, lambda ds: True)
    uri = open_file(client, folder / "modeling_tiny.py", "python")
    text = (folder / "modeling_tiny.py").read_text(encoding="utf-8")

    found = await diagnostics(client, uri, lambda ds: "RL607" in codes(ds))
    (rl607,) = [d for d in found if d.code == "RL607"]
    line = text.split("\n")[rl607.range.start.line]
    assert line.startswith("from configuration_tiny import")
    assert rl607.range.start.character == 0 and rl607.range.end.character == len(line)
    config_found = await diagnostics(client, config_uri, lambda ds: "RL910" in codes(ds))
    assert "modeling_tiny.py" in [d for d in config_found if d.code == "RL910"][0].message

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=rl607.range.start.line, character=3),
                          end=types.Position(line=rl607.range.start.line, character=3)),
        context=types.CodeActionContext(diagnostics=[rl607])))
    assert actions is not None and len(actions) == 1
    (action,) = actions
    assert action.kind == types.CodeActionKind.QuickFix and "RL607" in action.title
    (edit,) = action.edit.changes[uri]
    assert edit.new_text == "." and edit.range.start == edit.range.end == types.Position(
        line=rl607.range.start.line, character=len("from "))

    lines = text.split("\n")
    lines[edit.range.start.line] = line[:edit.range.start.character] + "." + line[edit.range.start.character:]
    replace_text(client, uri, 2, "\n".join(lines))
    after = await diagnostics(client, uri, lambda ds: "RL607" not in codes(ds))
    assert "RL607" not in codes(after)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing written

    # no action where there is no finding
    none = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=[])))
    assert not none


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """The text with LSP edits (UTF-16 positions) applied, as an editor applies them."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        line = lines[pos.line]
        chars = units = 0
        while units < pos.character:
            units += len(line[chars].encode("utf-16-le")) // 2
            chars += 1
        return sum(len(x) + 1 for x in lines[:pos.line]) + chars

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


def whole(text: str) -> types.Range:
    return types.Range(start=types.Position(line=0, character=0), end=types.Position(line=len(text.split("\n")), character=0))


@pytest.mark.asyncio
async def test_json_quick_fixes_and_a_fix_in_another_file(client: LanguageClient, tmp_path):
    """Safe fixes that edit config.json: one quick fix per finding in the requested range;
    a finding in modeling_tiny.py whose fix edits config.json (not open: read from disk)."""
    await start(client)
    folder = tmp_path / "misspelled"
    shutil.copytree(ROOT / "tests" / "fixtures" / "custom_broken" / "automap_module_misspelled", folder)
    uri = open_file(client, folder / "config.json", "json")
    text = (folder / "config.json").read_text(encoding="utf-8")
    found = await diagnostics(client, uri, lambda ds: "RL304" in codes(ds))
    rl304 = [d for d in found if d.code == "RL304"]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=whole(text),
        context=types.CodeActionContext(diagnostics=rl304)))
    assert len(actions) == len(rl304) >= 2
    assert all(set(a.edit.changes) == {uri} for a in actions)
    fixed = apply_edits(text, [e for a in actions for e in a.edit.changes[uri]])
    assert "modelling_tiny." in fixed
    replace_text(client, uri, 2, fixed)
    assert "RL304" not in codes(await diagnostics(client, uri, lambda ds: "RL304" not in codes(ds)))

    other = tmp_path / "unregistered"
    shutil.copytree(ROOT / "tests" / "fixtures" / "custom_broken" / "register_missing_from_automap", other)
    py_uri = open_file(client, other / "modeling_tiny.py", "python")
    found = await diagnostics(client, py_uri, lambda ds: "RL605" in codes(ds))
    (rl605,) = [d for d in found if d.code == "RL605"]
    (action,) = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=py_uri), range=rl605.range,
        context=types.CodeActionContext(diagnostics=[rl605])))
    config_uri = from_fs_path(str(other / "config.json"))
    assert set(action.edit.changes) == {config_uri}
    config_text = (other / "config.json").read_text(encoding="utf-8")
    patched = apply_edits(config_text, action.edit.changes[config_uri])
    assert '"AutoModelForCausalLM": "modeling_tiny.TinyForCausalLM"' in patched
    json.loads(patched)  # still JSON


@pytest.mark.asyncio
async def test_save_and_files_outside_model_folders(client: LanguageClient, tmp_path):
    """A Python file outside any model folder gets nothing; a saved file is linted from disk;
    a saved settings file applies to the open folders."""
    await start(client)
    (tmp_path / ".git").mkdir()  # the repository root: the model-folder search stops here
    app = write_repo(tmp_path / "src", {"app.py": "import os\n"}) / "app.py"
    folder = write_repo(tmp_path / "m", {"config.json": '{\n  "model_type": "bert"\n}\n'})
    app_uri = open_file(client, app, "python")
    uri = open_file(client, folder / "config.json", "json")
    assert await diagnostics(client, uri, lambda ds: True) == []
    (folder / "config.json").write_text('{\n  "model_type": "bertt"\n}\n', encoding="utf-8")
    replace_text(client, uri, 2, (folder / "config.json").read_text(encoding="utf-8"))
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert codes(await diagnostics(client, uri, lambda ds: len(ds) > 0)) == ["RL201"]
    assert app_uri not in client.diagnostics

    # settings are read again at each lint; saving them relints the open folders
    settings = write_repo(tmp_path, {"repolint.toml": 'ignore = ["RL201"]\n'}) / "repolint.toml"
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=from_fs_path(str(settings)))))
    assert await diagnostics(client, uri, lambda ds: len(ds) == 0) == []


@pytest.mark.asyncio
async def test_broken_settings_are_a_message_not_a_crash(client: LanguageClient, tmp_path):
    await start(client)
    folder = write_repo(tmp_path / "m", {"config.json": '{"model_type": "lama"}\n', "repolint.toml": "select = [\"RL9999\"]\n"})
    open_file(client, folder / "config.json", "json")

    async def message():
        while not client.messages:
            await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
        return client.messages[0]

    shown = await asyncio.wait_for(message(), TIMEOUT)
    assert shown.type == types.MessageType.Error and "RL9999" in shown.message
    # the server still answers
    assert await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=from_fs_path(str(folder / "config.json"))),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=[]))) is None


@pytest.mark.asyncio
async def test_shutdown_and_exit(client: LanguageClient):
    await start(client)
    await client.shutdown_session()
    assert client._server.returncode == 0  # pytest-lsp keeps the server process there


def test_without_the_lsp_extra():
    """Without pygls: one line naming the extra to install, exit 2."""
    code = ("import sys; sys.modules['pygls'] = None; sys.argv = ['repolint', 'server']; "
            "from repolint.cli import main; main()")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["repolint: error: `repolint server` needs the lsp extra: pip install 'repolint[lsp]'"]
    assert r.stdout == ""
