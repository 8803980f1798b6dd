"""The shipped JSON Schemas: stable https $ids, $refs that resolve among the shipped files
without the network (repolint's own validators and check-jsonschema), and the editor
mappings documented in docs/editors.md naming exactly those ids."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest

from helpers import write_repo

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = sorted((ROOT / "schemas").glob("*.schema.json"))
BASE = "https://raw.githubusercontent.com/repolint/repolint/main/schemas/"
EDITORS = ROOT / "docs" / "editors.md"

# any use of a socket in the child fails loudly
NO_NETWORK = (
    "import socket\n"
    "def _refuse(*args, **kwargs):\n"
    "    raise OSError('network access attempted')\n"
    "socket.create_connection = socket.getaddrinfo = _refuse\n"
    "socket.socket.connect = socket.socket.connect_ex = _refuse\n"
)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_schema_has_a_stable_https_id():
    assert len(SCHEMAS) >= 6
    for path in SCHEMAS:
        doc = _load(path)
        assert doc["$id"] == BASE + path.name, path.name
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema", path.name


def test_every_ref_points_into_a_shipped_schema():
    docs = {(d := _load(p))["$id"]: d for p in SCHEMAS}
    cross_file = 0
    for doc in docs.values():
        for ref in _refs(doc):
            uri, _, fragment = ref.partition("#")
            target = urljoin(doc["$id"], uri) if uri else doc["$id"]
            assert target in docs, f"{doc['$id']}: $ref {ref!r} leaves the shipped schemas"
            cross_file += bool(uri)
            node = docs[target]
            for part in [p for p in fragment.split("/") if p]:
                node = node[part]
    assert cross_file >= 2  # processor_config -> preprocessor_config, relative to the $id


def test_light_checker_follows_the_relative_ref():
    """The light validator resolves the cross-file $ref itself (False / True, not None,
    which would mean "ask jsonschema")."""
    from repolint.rules.schema import quick_valid

    assert quick_valid("processor_config.schema.json", {"image_processor": {"size": "big"}}) is False
    assert quick_valid("processor_config.schema.json", {"image_processor": {"size": 224}}) is True


def test_lint_resolves_refs_without_the_network(tmp_path):
    """`repolint check` with sockets disabled: the nested preprocessor schema is applied
    (RL101 on image_processor.size) through jsonschema's in-memory registry."""
    write_repo(tmp_path / "m", {
        "processor_config.json": '{\n  "processor_class": "CLIPProcessor",\n  "image_processor": {"size": "big"}\n}\n',
    })
    code = NO_NETWORK + "import sys\nfrom repolint.cli import main\nsys.argv = ['repolint'] + sys.argv[1:]\nmain()\n"
    r = subprocess.run([sys.executable, "-c", code, "check", "m", "--select", "RL101", "--format", "json"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    found = json.loads(r.stdout)
    assert [(d["code"], d["location"]["file"], d["location"]["line"]) for d in found] == [("RL101", "processor_config.json", 3)]
    assert "size" in found[0]["message"]


def test_check_jsonschema_with_base_uri_works_offline(tmp_path):
    """The command docs/editors.md gives for processor_config.json, with sockets disabled."""
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed (pip install '.[test]')")
    instance = tmp_path / "processor_config.json"
    instance.write_text('{"processor_class": "CLIPProcessor", "image_processor": {"size": "big"}}', encoding="utf-8")
    code = NO_NETWORK + "import runpy\nrunpy.run_module('check_jsonschema', run_name='__main__')\n"
    base = (ROOT / "schemas").as_uri() + "/"  # "file://$PWD/schemas/"
    r = subprocess.run([sys.executable, "-c", code, "--base-uri", base, "--schemafile", "schemas/processor_config.schema.json", str(instance)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "$.image_processor.size" in r.stdout and "network access attempted" not in r.stdout + r.stderr


def _json_blocks(text: str) -> list:
    return [json.loads(m.group(1)) for m in re.finditer(r"```json\n(.*?)```", text, re.S)]


def test_editor_docs_name_the_shipped_ids():
    from repolint.rules.schema import SCHEMA_FILES

    text = EDITORS.read_text(encoding="utf-8")
    ids = {_load(p)["$id"] for p in SCHEMAS}
    mapped = [b for b in _json_blocks(text) if "json.schemas" in b]
    assert len(mapped) == 1
    pairs = {}
    for entry in mapped[0]["json.schemas"]:
        assert entry["url"] in ids
        for pattern in entry["fileMatch"]:
            pairs[pattern.rsplit("/", 1)[-1]] = entry["url"].rsplit("/", 1)[-1]
    assert pairs == SCHEMA_FILES  # every metadata file repolint validates, with its schema
    toml_urls = set(re.findall(r"https://\S+repolint-config\.schema\.json", text))
    assert toml_urls == {BASE + "repolint-config.schema.json"}
    for url in re.findall(r"https://raw\.githubusercontent\.com/\S+?\.schema\.json", text):
        assert url in ids, url
