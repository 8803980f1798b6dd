"""RL409: tokenizer.json whose top-level structure the tokenizers library (or transformers) refuses.

A fast tokenizer is deserialized by the Rust ``tokenizers`` library (``Tokenizer.from_file``, or
``from_str`` of the file with the vocabulary emptied, for transformers 5 classes with their own
``__init__``). Verified on transformers 5.24 (tokenizers 0.23) and 4.57 (tokenizers 0.22) with
tests/test_tokenizer_json_agreement.py:

* every top-level key other than version / truncation / padding / added_tokens / normalizer /
  pre_tokenizer / model / post_processor / decoder makes the parser fail (``expected `,` or `}```:
  the visitor skips the key without reading its value);
* ``version``, when present, must be the string "1.0"; ``model`` must be present and a non-empty
  object (and its ``type`` one of the four models); normalizer / pre_tokenizer / post_processor /
  decoder may be absent or null, but not a non-object or ``{}``; truncation and padding are null
  or objects with their required fields;
* transformers itself reads ``added_tokens`` (``json.load`` + ``pop("added_tokens")``, then
  ``token.pop("id")`` per item) whenever tokenizer_config.json has no ``added_tokens_decoder``
  (transformers 5's save_pretrained no longer writes one) — for every tokenizer class, slow ones
  included; the full ``from_file`` path (4.57 fast classes, 5.x TokenizersBackend and Unigram
  models) also wants a list of complete AddedTokenWithId records.

The file is parsed once per run: the rule reads the Repo's JsonDoc, which RL952 (token ids) parses
anyway for most repos. Positions are computed only for a finding, by a scan of the top-level
members with the C json scanner (the pure-Python source map behind a JSON pointer takes seconds for
a 10 MB file).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from repolint.jsonmap import offset_to_position
from repolint.registry import Example, Finding, Rule, register
from repolint.rules.processors import _auto_map_has

FILE = "tokenizer.json"
KNOWN_KEYS = ("version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "model",
              "post_processor", "decoder")
COMPONENTS = {"normalizer": "NormalizerUntagged", "pre_tokenizer": "PreTokenizerUntagged",
              "post_processor": "PostProcessorWrapper", "decoder": "PyDecoderWrapper"}
MODEL_TYPES = ("BPE", "WordPiece", "WordLevel", "Unigram")
REQUIRED = {"truncation": ("max_length", "strategy", "stride"),
            "padding": ("strategy", "direction", "pad_id", "pad_type_id", "pad_token")}
TOKEN_FIELDS = {"id": int, "content": str, "single_word": bool, "lstrip": bool, "rstrip": bool,
                "normalized": bool, "special": bool}
_GENERIC = ("TokenizersBackend", "PreTrainedTokenizerFast")
# 4.x fast classes that rebuild the backend from the slow vocabulary when add_prefix_space is set
_FROM_SLOW_4 = ("LlamaTokenizerFast", "T5TokenizerFast")
# 4.x fast classes whose __init__ reads the normalizer's state unconditionally (json.loads of
# backend_tokenizer.normalizer.__getstate__(): TypeError without a normalizer)
_NORMALIZER_4 = frozenset(
    f"{n}TokenizerFast" for n in ("Bert", "DistilBert", "Electra", "Funnel", "MPNet", "Splinter", "Realm", "RetriBert",
                                  "MobileBert", "ConvBert", "RoFormer", "LayoutLMv2", "SqueezeBert", "LayoutLM", "Lxmert"))
_WS = re.compile(r"[ \t\n\r]*")


@dataclass
class Member:
    start: int  # offset of the value
    end: int  # offset just past it
    key_start: int


def positions(text: str) -> dict[str, Member]:
    """Where each top-level member of ``text`` is (a repeated key: the last, as json.load keeps),
    each value skipped by the C scanner: json.loads speed, where the pure-Python source map takes
    seconds for a 10 MB file. Empty when the text is not a JSON object."""
    found: dict[str, Member] = {}
    decoder = json.JSONDecoder()
    try:
        i = _WS.match(text).end()
        if text[i:i + 1] != "{":
            return {}
        i = _WS.match(text, i + 1).end()
        while text[i:i + 1] == '"':
            key, j = json.decoder.scanstring(text, i + 1)
            j = _WS.match(text, j).end()
            if text[j:j + 1] != ":":
                break
            j = _WS.match(text, j + 1).end()
            _value, k = decoder.raw_decode(text, j)
            found[key] = Member(j, k, i)
            k = _WS.match(text, k).end()
            if text[k:k + 1] != ",":
                break
            i = _WS.match(text, k + 1).end()
    except (ValueError, RecursionError):
        pass
    return found


def parsed(ctx):
    """tokenizer.json's JsonDoc (the one parse RL952 shares), or None when the file cannot be read
    (too large, an LFS pointer: RL006, binary, ...): not this rule's."""
    doc = ctx.doc(FILE)
    if doc is None or (doc.problem is not None and doc.problem.kind not in ("json-syntax", "not-object")):
        return None
    if doc.text == "":
        return None  # empty: also what a Hub repo's view holds for a tokenizer.json it does not download
    return doc


@dataclass
class Reader:
    """How AutoTokenizer reads tokenizer.json for this repo and target."""

    backend: bool  # the tokenizers library deserializes it (a fast tokenizer)
    strict_added: bool | None  # ... including added_tokens (Tokenizer.from_file of the whole file; None: may)
    legacy_added: bool  # transformers pops added_tokens itself (no added_tokens_decoder)
    unsure: str | None = None  # why its findings are only warnings (a custom class, ...)
    needs_normalizer: str | None = None  # a 4.x class that reads the normalizer's state


def _class_name(ctx, tc: dict, config: dict) -> tuple[str | None, bool]:
    """The tokenizer class AutoTokenizer builds (None: none found) and whether it comes from the
    model type's registration rather than a name in the files."""
    for data in (tc, config):
        name = data.get("tokenizer_class")
        if isinstance(name, str) and name:
            return name, False
    mt = config.get("model_type")
    listed = ctx.knowledge.mapping("tokenizers").get(mt) if isinstance(mt, str) else None
    listed = [n for n in listed or () if isinstance(n, str)]
    return (listed[-1] if listed else None), True


def reader(ctx) -> Reader | None:
    """None when AutoTokenizer fails before reading tokenizer.json for reasons other rules report,
    or never opens it."""
    tc_doc = ctx.doc("tokenizer_config.json")
    if tc_doc is not None and tc_doc.obj is None:
        return None  # unusable tokenizer_config.json: RL001 / RL002
    tc = tc_doc.obj if tc_doc is not None else {}
    config = ctx.obj("config.json") or {}
    k = ctx.knowledge
    legacy = "added_tokens_decoder" not in tc
    unsure = ("tokenizer_config.json's fast_tokenizer_files may name another file"
              if "fast_tokenizer_files" in tc else None)
    sources = ("tokenizer_config.json",) if k.major >= 5 else ("tokenizer_config.json", "config.json")
    if _auto_map_has(ctx, "AutoTokenizer", *sources):
        return Reader(True, True, legacy, "the tokenizer class is the repo's own (auto_map)")
    name, registered = _class_name(ctx, tc, config)
    mt = config.get("model_type")
    if k.major >= 5:
        if not registered and mt in k.data.get("models_with_incorrect_hub_tokenizer_class", ()):
            name, registered = _class_name(ctx, {}, {"model_type": mt})
        base = name[:-4] if name and name.endswith("Fast") else name
        info = (k.tokenizer_files(name) or k.tokenizer_files(base)) if name else None
        if name is None or info is None:
            return Reader(True, True, legacy, unsure)  # a generic TokenizersBackend (RL404 / RL408 say why)
        if not info.get("fast"):
            return Reader(False, False, legacy, unsure)
        doc = parsed(ctx)
        model = doc.obj.get("model") if doc is not None and doc.obj is not None else None
        model_type = model.get("type") if isinstance(model, dict) else None
        generic = base in _GENERIC or model_type in (None, "Unigram")
        # a class with its own __init__ rebuilds the model from the vocabulary and drops added_tokens
        return Reader(True, True if generic else None, legacy, unsure)
    if name is None:
        return None  # 4.x: "Unrecognized model" or a KeyError first (RL408)
    base = name[:-4] if name.endswith("Fast") else name
    fast = base + "Fast" if (k.tokenizer_files(base + "Fast") or {}).get("fast") else None
    if fast is None and (k.tokenizer_files(name) or {}).get("fast"):
        fast = name
    if fast is None:
        if k.tokenizer_files(base) is None and k.tokenizer_files(name) is None:
            return None  # 4.x: "Tokenizer class X does not exist" (RL404)
        return Reader(False, False, legacy, unsure)
    if fast in _FROM_SLOW_4 and tc.get("add_prefix_space") is not None:
        # rebuilt from the slow vocabulary (from_slow): tokenizer.json's backend is not used
        unsure = f"with add_prefix_space set, transformers 4 rebuilds {fast} from the slow vocabulary"
    return Reader(True, True, legacy, unsure, fast if fast in _NORMALIZER_4 else None)


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an empty object" if not value else "an object"


def _bad_token(tokens: list, strict: bool) -> str | None:
    """What is wrong with the first bad added_tokens item (None: nothing): for transformers' own
    read (``token.pop("id")``), or, ``strict``, for tokenizers' AddedTokenWithId."""
    for i, token in enumerate(tokens):
        if not isinstance(token, dict):
            return f"added_tokens[{i}] is {_kind(token)}, not an object (transformers raises {'TypeError' if isinstance(token, list) else 'AttributeError'})"
        if "id" not in token:
            return f"added_tokens[{i}] has no \"id\" (KeyError: 'id')"
        if strict:
            for name, typ in TOKEN_FIELDS.items():
                value = token.get(name)
                if name not in token:
                    return f"added_tokens[{i}] has no {name!r} (tokenizers: \"missing field `{name}`\")"
                if not isinstance(value, typ) or (typ is int and (isinstance(value, bool) or value < 0)):
                    return f"added_tokens[{i}][{name!r}] is {_kind(value)}{'' if typ is not int else ' out of range'}, not {typ.__name__} (tokenizers refuses it)"
    return None


_MISSING = object()


def problems(data: dict, r: Reader):
    """(top-level key, or None for the whole object, message, applies: True / False / None (may))
    for each defect of tokenizer.json's top level."""
    unknown = [key for key in data if key not in KNOWN_KEYS]
    if unknown:  # one finding: the parser fails at the first (thousands of them cost a position each)
        more = f" (and {len(unknown) - 1:,} more: {', '.join(repr(k) for k in unknown[1:4])}{', ...' if len(unknown) > 4 else ''})"
        yield unknown[0], (f"unknown top-level key {unknown[0]!r}{more if len(unknown) > 1 else ''}: the tokenizers library's "
                           "parser skips the key without its value and fails (Exception: expected `,` or `}`)"), r.backend
    v = data.get("version", "1.0")
    if v != "1.0":
        yield "version", (f"version is {json.dumps(v)[:40]}, not \"1.0\": tokenizers raises "
                          + (f"\"Unknown tokenizer version {v!r}\"" if isinstance(v, str)
                             else f"\"invalid type: {_kind(v)}, expected a string\"")), r.backend
    model = data.get("model", _MISSING)
    if model is _MISSING:
        yield None, "no \"model\": tokenizers raises \"Model missing.\"", r.backend
    elif not isinstance(model, dict) or not model:
        yield "model", (f"model is {_kind(model)}: tokenizers raises \"data did not match any variant of untagged "
                        "enum ModelUntagged\" (transformers 5 may raise AttributeError first)"), r.backend
    elif isinstance(model.get("type"), str) and model["type"] not in MODEL_TYPES:
        yield "model", (f"model type {model['type']!r} is none of {', '.join(MODEL_TYPES)}: tokenizers raises "
                        "\"data did not match any variant of untagged enum ModelUntagged\""), r.backend
    for key, enum in COMPONENTS.items():
        value = data.get(key)
        if value is not None and (not isinstance(value, dict) or not value):
            yield key, (f"{key} is {_kind(value)}: tokenizers raises \"data did not match any variant of untagged "
                        f"enum {enum}\" (null or no key at all means none)"), r.backend
    if r.needs_normalizer and data.get("normalizer") is None:
        yield ("normalizer" if "normalizer" in data else None), (
            f"{'normalizer is null' if 'normalizer' in data else 'no normalizer'}: transformers 4's "
            f"{r.needs_normalizer} reads its settings and raises TypeError"), r.backend
    for key, required in REQUIRED.items():
        value = data.get(key)
        if value is None:
            continue
        struct = "TruncationParams" if key == "truncation" else "PaddingParams"
        if not isinstance(value, dict):
            yield key, f"{key} is {_kind(value)}: tokenizers raises \"expected struct {struct}\" (null means none)", r.backend
        elif missing := [f for f in required if f not in value]:
            yield key, (f"{key} has no {', '.join(map(repr, missing))}: tokenizers raises \"missing field "
                        f"`{missing[0]}`\" (null means none)"), r.backend
    yield from _added_tokens(data.get("added_tokens", _MISSING), r)


def _added_tokens(value, r: Reader):
    if value is _MISSING:
        if r.legacy_added:
            yield None, ("no \"added_tokens\": with no added_tokens_decoder in tokenizer_config.json, transformers "
                         "pops it from tokenizer.json (KeyError: 'added_tokens')"), True
        return
    if r.legacy_added and not isinstance(value, (list, dict)):
        yield "added_tokens", (f"added_tokens is {_kind(value)}, not an array: with no added_tokens_decoder in "
                               "tokenizer_config.json, transformers iterates it "
                               f"({'AttributeError' if isinstance(value, str) else 'TypeError'})"), True
        return
    if r.legacy_added and isinstance(value, dict) and value:
        yield "added_tokens", ("added_tokens is an object, not an array: with no added_tokens_decoder in "
                               "tokenizer_config.json, transformers iterates its keys (AttributeError: 'str' object "
                               "has no attribute 'pop')"), True
        return
    if not isinstance(value, list):
        yield "added_tokens", (f"added_tokens is {_kind(value)}, not an array: tokenizers raises \"expected a "
                               "sequence\" when it reads the whole file"), r.strict_added
        return
    if r.legacy_added and (bad := _bad_token(value, strict=False)):
        yield "added_tokens", bad, True
    elif bad := _bad_token(value, strict=True):
        yield "added_tokens", bad + " when it reads the whole file", r.strict_added


_MODEL = '{"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}'
_TJ = ('{\n  "version": "1.0",\n  "truncation": null,\n  "padding": null,\n  "added_tokens": [],\n  "normalizer": null,\n'
       '  "pre_tokenizer": {"type": "Whitespace"},\n  "post_processor": null,\n  "decoder": null,\n  "model": ' + _MODEL + '\n}\n')
_TC = '{\n  "tokenizer_class": "PreTrainedTokenizerFast",\n  "unk_token": "[UNK]"\n}\n'


@register
class BrokenTokenizerJson(Rule):
    code = "RL409"
    name = "tokenizer-json-structure"
    summary = "tokenizer.json's top level is not what the tokenizers library (or transformers) can load"
    uses_knowledge = True
    why = (
        "A fast tokenizer is deserialized from tokenizer.json by the Rust tokenizers library, which accepts only its "
        "own top-level keys (version, truncation, padding, added_tokens, normalizer, pre_tokenizer, model, "
        "post_processor, decoder; any other key makes the parser fail), `version` \"1.0\", a `model` object, "
        "normalizer / pre_tokenizer / post_processor / decoder as null or a typed object, and truncation / padding "
        "as null or complete objects. When tokenizer_config.json has no `added_tokens_decoder` (transformers 5 no "
        "longer writes one), transformers also reads `added_tokens` itself, for every tokenizer class: without it "
        "AutoTokenizer raises KeyError, and each item must be an object with an \"id\". Verified on transformers 5.24 "
        "and 4.57; for the repo's own tokenizer class (auto_map) the findings are warnings. An invalid JSON text "
        "fails the same way."
    )
    fix_text = ("Save the tokenizer again with `tokenizer.save_pretrained(repo)` (or `tokenizer.backend_tokenizer.save(path)`), "
                "or restore the key from the original file: null for an optional component, the object the tokenizers "
                "library wrote otherwise.")
    invalid = [
        Example({FILE: _TJ.replace('"version": "1.0"', '"version": 1'), "tokenizer_config.json": _TC}, [(FILE, 2)]),
        Example({FILE: _TJ.replace('"normalizer": null', '"normalizer": []'), "tokenizer_config.json": _TC}, [(FILE, 6)]),
        Example({FILE: _TJ.replace('"decoder": null', '"decoder": null,\n  "comment": "v2"'), "tokenizer_config.json": _TC},
                [(FILE, 10)]),
        Example({FILE: _TJ.replace('  "added_tokens": [],\n', ""), "tokenizer_config.json": _TC}, [(FILE, 1)]),
        Example({FILE: _TJ.replace(_MODEL, "{}"), "tokenizer_config.json": _TC}, [(FILE, 10)]),
        Example({FILE: '{\n  "version": "1.0",\n', "tokenizer_config.json": _TC}, [(FILE, 3)]),
    ]
    valid = [
        Example({FILE: _TJ, "tokenizer_config.json": _TC}),
        Example({FILE: _TJ.replace('  "added_tokens": [],\n', ""),
                 "tokenizer_config.json": _TC.replace("{\n", '{\n  "added_tokens_decoder": {},\n')}),
        # zero bytes: the placeholder `repolint check hf://...` leaves for a tokenizer.json it does not download
        Example({FILE: "", "tokenizer_config.json": _TC}),
        # a slow-only class with added_tokens_decoder never opens tokenizer.json
        Example({FILE: "{}", "tokenizer_config.json": '{\n  "tokenizer_class": "CanineTokenizer",\n  "added_tokens_decoder": {}\n}\n'}),
    ]

    def check(self, ctx):
        if FILE not in ctx.repo.top_level():
            return
        doc = parsed(ctx)
        if doc is None:
            return
        r = reader(ctx)
        if r is None or not (r.backend or r.legacy_added):
            return
        if doc.problem is not None:  # invalid JSON, or not an object: json.load and tokenizers both fail
            yield self._finding(f"{doc.problem.message}; AutoTokenizer fails to load it", r, True,
                                doc.problem.line, doc.problem.column)
            return
        for key, message, applies in problems(doc.obj, r):
            if applies is False:
                continue
            # positions only for a finding: a second scan, with the C scanner, of a broken file
            m = ctx.repo.memo("tokenizer.json:positions", lambda: positions(doc.text)).get(key) if key else None
            if m is None:
                yield self._finding(message, r, applies, 1, 1)
                continue
            line, col = offset_to_position(doc.text, m.key_start if key not in KNOWN_KEYS else m.start)
            end_line, end_col = offset_to_position(doc.text, m.end)
            yield self._finding(message, r, applies, line, col, end_line, end_col)

    def _finding(self, message, r: Reader, applies, line, col, end_line=None, end_col=None):
        unsure = r.unsure or (None if applies else "transformers 5 reads added_tokens only when this class builds "
                                                   "its backend with Tokenizer.from_file")
        if unsure:
            message = f"{message} — if AutoTokenizer deserializes it ({unsure})"
        return Finding(FILE, message, line=line, column=col, end_line=end_line, end_column=end_col,
                       severity="warning" if unsure else None)
