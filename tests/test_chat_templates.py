"""RL950-RL952 on tokenizers written by transformers' save_pretrained; what transformers 5.23
does with each template (loads the tokenizer, fails in apply_chat_template at the same line,
splits an undefined token) is checked by loading them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import lint

pytest.importorskip("jinja2")

TEMPLATE = "{% for m in messages %}\n<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}\n"
BROKEN = "{% for m in messages %}\n<|im_start|>{{ m.role }}\n{{ m.content }<|im_end|>\n{% endfor %}\n"  # line 3

BUILD = textwrap.dedent("""
    import sys
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    vocab = {w: i for i, w in enumerate(["<s>", "</s>", "<unk>", "hello", "world", "<", "|", ">", "foo", "user"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    t = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="<|im_end|>", unk_token="<unk>")
    t.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    t.chat_template = sys.argv[2]
    t.save_pretrained(sys.argv[1])
""")

ORACLE = textwrap.dedent("""
    import json, os, sys, warnings
    os.environ["HF_HUB_OFFLINE"] = "1"
    warnings.filterwarnings("ignore")
    from transformers import AutoTokenizer
    out = {}
    msgs = [{"role": "user", "content": "hello"}]
    for d in sys.argv[1:]:
        name = os.path.basename(d)
        try:
            tok = AutoTokenizer.from_pretrained(d)
        except BaseException as exc:
            out[name] = {"load": type(exc).__name__}
            continue
        res = {"load": "ok", "pieces": {s: len(tok(s, add_special_tokens=False)["input_ids"]) for s in ("<|im_start|>", "<|foo|>")}}
        names = ["default"] + (list(tok.chat_template) if isinstance(tok.chat_template, dict) else [])
        for tname in dict.fromkeys(names):
            try:
                kw = {} if tname == "default" else {"chat_template": tname}
                tok.apply_chat_template(msgs, tokenize=False, **kw)
                res[tname] = "ok"
            except BaseException as exc:
                res[tname] = {"error": type(exc).__name__, "lineno": getattr(exc, "lineno", None)}
        out[name] = res
    print(json.dumps(out))
""")


def _has(mod):
    import importlib.util

    return importlib.util.find_spec(mod) is not None


needs_oracle = pytest.mark.skipif(not _has("transformers"), reason="needs transformers")


def _build(root: Path, template: str) -> Path:
    subprocess.run([sys.executable, "-c", BUILD, str(root), template], check=True, capture_output=True, timeout=300,
                   env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return root


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    if not _has("transformers"):
        pytest.skip("needs transformers")
    base = tmp_path_factory.mktemp("chat")
    good = _build(base / "good", TEMPLATE)
    out = {"good": good, "jinja_syntax": _build(base / "jinja_syntax", BROKEN)}
    # the template in tokenizer_config.json (older save format), broken at its line 3
    legacy = base / "json_syntax"
    shutil.copytree(good, legacy)
    (legacy / "chat_template.jinja").unlink()
    tc = json.loads((legacy / "tokenizer_config.json").read_text())
    tc["chat_template"] = BROKEN
    (legacy / "tokenizer_config.json").write_text(json.dumps(tc, indent=2))
    # a named template in additional_chat_templates/ with an unknown filter
    named = base / "named_filter"
    shutil.copytree(good, named)
    (named / "additional_chat_templates").mkdir()
    (named / "additional_chat_templates/tool_use.jinja").write_text("{{ messages | no_such_filter }}\n")
    # a literal the tokenizer does not define
    undefined = base / "undefined_token"
    shutil.copytree(good, undefined)
    (undefined / "chat_template.jinja").write_text(TEMPLATE.replace("{{ m.role }}", "<|foo|>{{ m.role }}"))
    out.update(json_syntax=legacy, named_filter=named, undefined_token=undefined)
    r = subprocess.run([sys.executable, "-c", ORACLE, *map(str, out.values())], capture_output=True, text=True,
                       timeout=300, stdin=subprocess.DEVNULL)
    return out, json.loads(r.stdout.strip().splitlines()[-1])


def _found(root, select=("RL95",)):
    return [(d.code, d.location.file, d.location.line, d.location.column, d.severity.value) for d in lint(root, select=list(select))]


@needs_oracle
def test_a_saved_tokenizer_with_its_template_is_clean(repos):
    out, loads = repos
    assert loads["good"]["load"] == "ok" and loads["good"]["default"] == "ok"
    assert _found(out["good"]) == []


@needs_oracle
def test_syntax_error_in_chat_template_jinja_at_transformers_line(repos):
    out, loads = repos
    assert loads["jinja_syntax"]["load"] == "ok"  # the tokenizer loads: not an error-level finding
    assert loads["jinja_syntax"]["default"] == {"error": "TemplateSyntaxError", "lineno": 3}
    assert _found(out["jinja_syntax"]) == [("RL950", "chat_template.jinja", 3, 1, "warning")]


@needs_oracle
def test_syntax_error_in_json_points_into_the_string(repos):
    out, loads = repos
    assert loads["json_syntax"]["default"] == {"error": "TemplateSyntaxError", "lineno": 3}
    [(code, file, line, col, _sev)] = _found(out["json_syntax"])
    assert (code, file) == ("RL950", "tokenizer_config.json")
    text_line = (out["json_syntax"] / file).read_text().split("\n")[line - 1]
    assert text_line[col - 1:].startswith("{{ m.content }<|im_end|>")  # the start of template line 3


@needs_oracle
def test_unknown_filter_in_a_named_template(repos):
    out, loads = repos
    assert loads["named_filter"]["tool_use"]["error"] == "TemplateAssertionError"
    assert loads["named_filter"]["default"] == "ok"
    found = _found(out["named_filter"])
    assert [(c, f, ln) for c, f, ln, _col, _s in found] == [("RL950", "additional_chat_templates/tool_use.jinja", 1)]


@needs_oracle
def test_undefined_literal_is_split_by_the_tokenizer(repos):
    out, loads = repos
    pieces = loads["undefined_token"]["pieces"]
    assert pieces["<|im_start|>"] == 1 and pieces["<|foo|>"] > 1  # defined: one id; otherwise split into pieces
    found = lint(out["undefined_token"], select=["RL951"])
    assert [(d.location.file, d.location.line) for d in found] == [("chat_template.jinja", 2)]
    assert "<|foo|>" in found[0].message and "<|im_start|>" not in found[0].message
    assert lint(out["good"], select=["RL951"]) == []


@needs_oracle
def test_eos_ids_across_files(repos, tmp_path):
    out, _ = repos
    root = tmp_path / "ids"
    shutil.copytree(out["good"], root)
    tj = json.loads((root / "tokenizer.json").read_text())
    im_end = next(t["id"] for t in tj["added_tokens"] if t["content"] == "<|im_end|>")
    (root / "generation_config.json").write_text(json.dumps({"eos_token_id": [1, im_end], "bos_token_id": 0}))
    (root / "config.json").write_text(json.dumps({"model_type": "llama", "eos_token_id": im_end, "bos_token_id": 0}))
    assert lint(root, select=["RL952"]) == []  # bos "<s>" is vocabulary id 0; eos is in the list
    (root / "generation_config.json").write_text(json.dumps({"eos_token_id": 1, "bos_token_id": 0}))
    [d] = lint(root, select=["RL952"])
    assert d.location.file == "generation_config.json" and "'<|im_end|>'" in d.message and f"id {im_end}" in d.message


def test_template_sources_without_transformers(tmp_path):
    root = tmp_path / "r"
    (root / "additional_chat_templates").mkdir(parents=True)
    (root / "tokenizer_config.json").write_text(json.dumps({"chat_template": [
        {"name": "default", "template": "{{ x }}"}, {"name": "rag", "template": "line1\n{% if %}"}]}, indent=1))
    (root / "chat_template.json").write_text('{"chat_template": "{% generation %}{{ x }}{% endgeneration %}{% for a in b %}{% break %}{% endfor %}"}')
    (root / "additional_chat_templates" / "ok.jinja").write_text("{{ y }}")
    (root / "additional_chat_templates" / "notes.txt").write_text("{% broken")
    found = _found(root, select=["RL950"])
    assert [(c, f) for c, f, *_ in found] == [("RL950", "tokenizer_config.json")]
    d = lint(root, select=["RL950"])[0]
    assert "'rag'" in d.message and "template line 2" in d.message


def test_no_template_never_imports_jinja(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    (root / "tokenizer_config.json").write_text('{"eos_token": "</s>"}')
    code = ("import sys; sys.path.insert(0, %r); from helpers import lint; from pathlib import Path; "
            "lint(Path(%r)); print('jinja2' in sys.modules)") % (str(Path(__file__).parent), str(root))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "False", r.stderr


@pytest.mark.parametrize("added", [7, {"a": 1}, "x", None])
def test_odd_added_tokens_never_crash(tmp_path, added):
    """Fuzz reproducer: tokenizer.json's added_tokens that is not a list (RL952 looked ids up in it)."""
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "config.json").write_text('{"model_type": "llama", "bos_token_id": 1, "eos_token_id": 2}')
    (repo / "tokenizer_config.json").write_text(json.dumps({"bos_token": "<s>", "eos_token": "</s>",
                                                            "chat_template": "{{ bos_token }}{{ messages }}"}))
    (repo / "tokenizer.json").write_text(json.dumps({"added_tokens": added, "model": {"vocab": {"<s>": 5}}}))
    diags = lint(repo)
    assert not [d for d in diags if d.code == "RL000"], [d.message for d in diags]
