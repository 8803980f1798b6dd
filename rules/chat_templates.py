"""RL950-RL969: chat templates and the special tokens they and the configs rely on.

transformers compiles a chat template only in ``apply_chat_template``, in jinja2's
``ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)`` with the
``loopcontrols`` extension and its own ``{% generation %}`` tag; the tokenizer itself loads
fine with a broken template (reference §1.5: TemplateSyntaxError only at apply time). The
templates are read from ``chat_template.jinja``, ``additional_chat_templates/*.jinja`` (which
win over the JSON keys), tokenizer_config.json ``chat_template`` (a string, or a list of
``{name, template}``) and the legacy ``chat_template.json``. jinja2 is imported only when
one of them exists; templates are compiled (never rendered).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from repolint.jsonmap import pointer
from repolint.registry import Example, Finding, Rule, register

TOKENIZER_CONFIG = "tokenizer_config.json"
EXTRA_DIR = "additional_chat_templates"
SPECIAL_KEYS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
# literals a template emits that are meant as single tokens: <|im_start|>, <start_of_turn>, <s>, </s>
_TOKEN_RE = re.compile(r"<\|[^<>|\s]{1,60}\|>|</?[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*>|</?s>")


@dataclass
class Template:
    file: str
    name: str  # "default" or the template's name
    source: str
    pointer: str | None  # where the string sits in a JSON file; None for a .jinja file


def templates(ctx) -> list[Template]:
    """Every chat template in the repo, as transformers would find them."""
    out: list[Template] = []
    repo = ctx.repo
    for file in ["chat_template.jinja", *(f"{EXTRA_DIR}/{n}" for n in repo.list_dir(EXTRA_DIR) if n.endswith(".jinja"))]:
        if repo.exists(file):
            text, _problem = repo.read_text(file)
            if text is not None:
                name = "default" if file == "chat_template.jinja" else file.rsplit("/", 1)[1][: -len(".jinja")]
                out.append(Template(file, name, text, None))
    tc = ctx.obj(TOKENIZER_CONFIG) or {}
    value = tc.get("chat_template")
    if isinstance(value, str):
        out.append(Template(TOKENIZER_CONFIG, "default", value, "/chat_template"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict) and isinstance(item.get("template"), str):
                out.append(Template(TOKENIZER_CONFIG, str(item.get("name", i)), item["template"], f"/chat_template/{i}/template"))
    legacy = (ctx.obj("chat_template.json") or {}).get("chat_template")
    if isinstance(legacy, str):
        out.append(Template("chat_template.json", "default", legacy, "/chat_template"))
    return out


def _environment():
    import jinja2.ext
    import jinja2.nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Generation(jinja2.ext.Extension):
        """transformers' {% generation %}...{% endgeneration %} tag, parsed the same way."""

        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.Scope(body).set_lineno(lineno)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = lambda x, **kw: json.dumps(x)  # transformers replaces it; compile-time name only
    return env


@dataclass
class Compiled:
    template: Template
    ast: object | None  # jinja2 nodes.Template
    error: Exception | None


def compiled(ctx) -> list[Compiled]:
    def compute():
        found = templates(ctx)
        if not found:
            return []
        import jinja2

        env = _environment()
        out = []
        for t in found:
            try:
                env.from_string(t.source)  # what apply_chat_template does (compiles, never renders here)
                out.append(Compiled(t, env.parse(t.source), None))
            except jinja2.TemplateError as exc:  # TemplateSyntaxError, TemplateAssertionError (unknown filter)
                out.append(Compiled(t, None, exc))
            except RecursionError as exc:
                out.append(Compiled(t, None, exc))
        return out

    return ctx.repo.memo("chat_templates.compiled", compute)


def json_string_line(ctx, t: Template, line: int) -> tuple[int, int] | None:
    """File (line, column) where line ``line`` of a template stored as a JSON string starts."""
    doc = ctx.repo.json(t.file)
    span = doc.span(t.pointer) if doc is not None else None
    if span is None or doc.text is None:
        return None
    lines = doc.text.split("\n")
    offset = sum(len(x) + 1 for x in lines[: span.line - 1]) + span.col - 1
    text = doc.text
    if offset >= len(text) or text[offset] != '"':
        return None
    i, seen = offset + 1, 1
    while seen < line and i < len(text) and text[i] != '"':
        if text[i] == "\\":
            if text[i + 1 : i + 2] == "n":
                seen += 1
            i += 6 if text[i + 1 : i + 2] == "u" else 2
        else:
            if text[i] == "\n":  # not valid JSON inside a string, but be safe
                return None
            i += 1
    if seen < line:
        return None
    before = text[:i]
    return before.count("\n") + 1, i - (before.rfind("\n") + 1) + 1


TC_GOOD = '{\n  "eos_token": "<|im_end|>",\n  "chat_template": "{% for m in messages %}<|im_start|>{{ m.content }}<|im_end|>{% endfor %}"\n}\n'
TC_ADDED = (
    '{\n  "added_tokens_decoder": {\n    "1": {"content": "<|im_start|>", "special": true},\n'
    '    "2": {"content": "<|im_end|>", "special": true}\n  },\n  "eos_token": "<|im_end|>"\n}\n'
)


@register
class TemplateSyntaxError(Rule):
    code = "RL950"
    name = "chat-template-syntax-error"
    summary = "A chat template does not compile (Jinja syntax error, unknown filter)"
    severity = "warning"
    why = (
        "The tokenizer loads without looking at the template, so from_pretrained succeeds; every "
        "apply_chat_template call then raises jinja2's TemplateSyntaxError, so chat pipelines, "
        "serving stacks and evaluation harnesses fail. A warning, not an error: repolint's errors "
        "mean the load itself fails."
    )
    fix_text = "Fix the template at the reported line; render it once with apply_chat_template to check."
    invalid = [
        Example({TOKENIZER_CONFIG: "{}\n", "chat_template.jinja": "{% for m in messages %}\n{{ m.content }\n{% endfor %}\n"}, [("chat_template.jinja", 2)]),
        Example({TOKENIZER_CONFIG: '{\n  "chat_template": "{% for m in messages %}\\n{{ m.content }}\\n{% endfo %}"\n}\n'}, [(TOKENIZER_CONFIG, 2)]),
    ]
    valid = [Example({TOKENIZER_CONFIG: "{}\n", "chat_template.jinja": "{% for m in messages %}\n{{ m.content }}\n{% endfor %}\n"})]

    def check(self, ctx):
        for c in compiled(ctx):
            if c.error is None:
                continue
            t, exc = c.template, c.error
            lineno = getattr(exc, "lineno", None) or 1
            msg = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            label = f"chat template {t.name!r}" if t.name != "default" else "the chat template"
            src = t.source.split("\n")
            shown = src[lineno - 1].strip() if 0 < lineno <= len(src) else ""
            text = f"{label} does not compile: {msg} (template line {lineno}: {shown[:80]!r}); apply_chat_template will raise TemplateSyntaxError"
            if t.pointer is None:
                yield Finding(t.file, text, line=lineno, column=1)
                continue
            pos = json_string_line(ctx, t, lineno)
            if pos is not None:
                yield Finding(t.file, text, line=pos[0], column=pos[1])
            else:
                yield Finding(t.file, text, pointer=t.pointer)


def _content(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    return None


def defined_tokens(ctx) -> tuple[set[str], str | None]:
    """Tokens the tokenizer defines as added / special, and tokenizer.json's text (to look a
    token up in the vocabulary) or None when it cannot be read."""
    tokens: set[str] = set()
    for file in (TOKENIZER_CONFIG, "special_tokens_map.json"):
        data = ctx.obj(file) or {}
        for key in SPECIAL_KEYS:
            if (c := _content(data.get(key))) is not None:
                tokens.add(c)
        for key in ("additional_special_tokens", "extra_special_tokens"):
            extra = data.get(key)
            values = extra.values() if isinstance(extra, dict) else extra if isinstance(extra, list) else ()
            tokens.update(c for c in map(_content, values) if c is not None)
        decoder = data.get("added_tokens_decoder")
        if isinstance(decoder, dict):
            tokens.update(c for c in map(_content, decoder.values()) if c is not None)
    text = None
    if ctx.repo.exists("tokenizer.json"):
        text, _problem = ctx.repo.read_text("tokenizer.json")
        if text is not None and text.strip():
            doc = ctx.obj("tokenizer.json") or {}
            added = doc.get("added_tokens")
            if isinstance(added, list):
                tokens.update(c for c in map(_content, added) if c is not None)
        else:
            text = None
    return tokens, text


def emitted_literals(ast) -> list[tuple[str, int]]:
    """(token-like literal, template line) for every string the template outputs or builds."""
    import jinja2.nodes as n

    out = []
    for node in ast.find_all((n.TemplateData, n.Const)):
        if isinstance(node.value if isinstance(node, n.Const) else node.data, str):
            value = node.value if isinstance(node, n.Const) else node.data
            out.extend((m.group(0), node.lineno) for m in _TOKEN_RE.finditer(value))
    return out


@register
class UndefinedSpecialToken(Rule):
    code = "RL951"
    name = "chat-template-unknown-token"
    summary = "A chat template emits a special-token literal (<|im_start|>, <start_of_turn>) the tokenizer does not define"
    severity = "warning"
    why = (
        "A literal such as \"<|im_start|>\" becomes one token only if the tokenizer defines it "
        "(added_tokens_decoder, special tokens, tokenizer.json). Otherwise it is split into plain "
        "text pieces, and the model sees a prompt format it was never trained on: no error, worse "
        "answers. Usually the template belongs to another model's tokenizer."
    )
    fix_text = "Use the special tokens this tokenizer defines, or add the token to the tokenizer (tokenizer.add_special_tokens) and save it."
    invalid = [Example({TOKENIZER_CONFIG: TC_GOOD}, [(TOKENIZER_CONFIG, 3)])]
    valid = [Example({TOKENIZER_CONFIG: TC_ADDED, "chat_template.jinja": "{% for m in messages %}<|im_start|>{{ m.content }}<|im_end|>{% endfor %}\n"})]

    def check(self, ctx):
        comp = [c for c in compiled(ctx) if c.ast is not None]
        if not comp or not (ctx.repo.exists(TOKENIZER_CONFIG) or ctx.repo.exists("tokenizer.json")):
            return
        tokens, vocab_text = defined_tokens(ctx)
        for c in comp:
            missing: dict[str, int] = {}
            for literal, line in emitted_literals(c.ast):
                if literal in tokens or literal in missing:
                    continue
                if vocab_text is not None and json.dumps(literal) in vocab_text:
                    continue  # in the vocabulary
                if vocab_text is None and ctx.repo.exists("tokenizer.json"):
                    continue  # cannot tell (unreadable, or not downloaded)
                missing[literal] = line
            if not missing:
                continue
            first_line = min(missing.values())
            label = f"chat template {c.template.name!r}" if c.template.name != "default" else "the chat template"
            text = f"{label} emits {', '.join(missing)}, which the tokenizer does not define: each is tokenized as plain text"
            t = c.template
            pos = (first_line, 1) if t.pointer is None else json_string_line(ctx, t, first_line)
            yield Finding(t.file, text, line=pos[0], column=pos[1]) if pos else Finding(t.file, text, pointer=t.pointer)


def token_id(ctx, token: str) -> int | None:
    """The id of ``token``: tokenizer_config.json added_tokens_decoder, then tokenizer.json
    (added tokens, then the model's vocabulary)."""
    decoder = (ctx.obj(TOKENIZER_CONFIG) or {}).get("added_tokens_decoder")
    if isinstance(decoder, dict):
        for key, value in decoder.items():
            if _content(value) == token and key.isdigit():
                return int(key)
    tj = ctx.obj("tokenizer.json") if ctx.repo.exists("tokenizer.json") else None
    if not tj:
        return None
    added = tj.get("added_tokens")
    for entry in added if isinstance(added, list) else ():
        if isinstance(entry, dict) and entry.get("content") == token and isinstance(entry.get("id"), int):
            return entry["id"]
    vocab = (tj.get("model") or {}).get("vocab") if isinstance(tj.get("model"), dict) else None
    if isinstance(vocab, dict) and isinstance(vocab.get(token), int):
        return vocab[token]
    if isinstance(vocab, list):  # Unigram: [[piece, score], ...]
        for i, item in enumerate(vocab):
            if isinstance(item, list) and item and item[0] == token:
                return i
    return None


def _ids(value) -> set[int] | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return {value}
    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return set(value)
    return None


@register
class SpecialTokenIdMismatch(Rule):
    code = "RL952"
    name = "special-token-id-mismatch"
    summary = "bos / eos / pad ids disagree across config.json, generation_config.json and the tokenizer"
    severity = "warning"
    why = (
        "generate() stops at generation_config.json's eos_token_id (config.json's when there is no "
        "generation_config.json), while the tokenizer and the chat template write the tokenizer's "
        "eos_token. When the ids differ, generation runs past the end of the answer (or stops at "
        "the wrong token), and bos / pad mismatches change what the model is fed. Nothing fails."
    )
    fix_text = "Make the ids agree: set eos_token_id (a list is allowed in generation_config.json) to the tokenizer's token id."
    invalid = [Example({
        "generation_config.json": '{\n  "bos_token_id": 1,\n  "eos_token_id": 7\n}\n',
        TOKENIZER_CONFIG: TC_ADDED,
    }, [("generation_config.json", 3)])]
    valid = [Example({
        "generation_config.json": '{\n  "bos_token_id": 1,\n  "eos_token_id": [2, 7]\n}\n',
        TOKENIZER_CONFIG: TC_ADDED,
    })]

    def check(self, ctx):
        tc = ctx.obj(TOKENIZER_CONFIG) or {}
        for kind in ("bos", "eos", "pad"):
            seen = []  # (file, pointer, ids, how it is written)
            token = _content(tc.get(f"{kind}_token"))
            if token is not None and (tid := token_id(ctx, token)) is not None:
                seen.append((TOKENIZER_CONFIG, f"/{kind}_token", {tid}, f"{kind}_token {token!r} (id {tid})"))
            for file in ("generation_config.json", "config.json"):
                data = ctx.obj(file) or {}
                ids = _ids(data.get(f"{kind}_token_id"))
                if ids is not None:
                    shown = sorted(ids) if len(ids) > 1 else next(iter(ids))
                    seen.append((file, f"/{kind}_token_id", ids, f"{kind}_token_id {shown}"))
            clash = next(((a, b) for i, a in enumerate(seen) for b in seen[i + 1:] if not a[2] & b[2]), None)
            if clash is None:
                continue
            where = clash[1]  # the tokenizer is what the text contains: point at the other side
            others = "; ".join(f"{f}: {how}" for f, _p, _i, how in seen if f != where[0])
            yield Finding(where[0], f"{where[3]} disagrees with {others}", pointer=where[1])
