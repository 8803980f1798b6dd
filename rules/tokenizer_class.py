"""RL408: tokenizer_config.json names no tokenizer class, and nothing else gives AutoTokenizer one.

Without ``tokenizer_class`` (and without an AutoTokenizer auto_map), AutoTokenizer takes the class
from config.json: its ``tokenizer_class``, else the tokenizer its model type registers. When that
gives nothing (verified with the oracles in tests/test_tokenizer_class_agreement.py):

* transformers 5 builds a generic ``TokenizersBackend``, which reads only tokenizer.json and
  tokenizer.model (converted with sentencepiece or tiktoken, when installed): beside vocab.json +
  merges.txt or vocab.txt alone it raises ``ValueError: Couldn't instantiate the backend
  tokenizer`` (a hand-made tokenizer_config.json, found in the real-world corpus);
* transformers 4 loads config.json to find the model type: without config.json it raises
  ``ValueError: Unrecognized model`` (unless the repo's name contains a model type: 4.x then
  takes that type's tokenizer), and for a model type that registers no tokenizer, a KeyError.
  A config.json without model_type or with a model type the release does not know is RL202's and
  RL201's.
"""

from __future__ import annotations

from repolint.registry import Example, Finding, Rule, register
from repolint.resolve import model_type_in_name
from repolint.rules.config import remote_config
from repolint.rules.processors import VOCAB_HINTS, _auto_map_has

# classes a model type may register that are built from tokenizer.json only
_GENERIC = frozenset({"TokenizersBackend", "PreTrainedTokenizerFast"})
_TC = '{\n  "model_max_length": 512\n}\n'


def _registered(ctx, model_type: str) -> str | None:
    listed = ctx.knowledge.mapping("tokenizers").get(model_type) or ()
    return next((n for n in listed if isinstance(n, str)), None)




@register
class TokenizerClassUndetermined(Rule):
    code = "RL408"
    name = "tokenizer-class-undetermined"
    summary = "tokenizer_config.json names no tokenizer_class, and nothing else tells AutoTokenizer which class to build"
    uses_knowledge = True
    why = (
        "Without `tokenizer_class` in tokenizer_config.json (and no auto_map[\"AutoTokenizer\"]), AutoTokenizer takes "
        "the class from config.json: its `tokenizer_class`, else the tokenizer its model type registers. When there "
        "is none (no config.json, no model_type, a model type without a tokenizer), transformers 5 builds a generic "
        "TokenizersBackend, which reads only tokenizer.json and tokenizer.model: beside vocab.json + merges.txt or "
        "vocab.txt alone it raises `ValueError: Couldn't instantiate the backend tokenizer`. transformers 4 "
        "needs config.json to find the model type: without it, `ValueError: Unrecognized model` (unless the repo's "
        "name contains a model type, which 4.x then uses: a warning); with a model type that registers no "
        "tokenizer, a KeyError. Verified on 5.24, 5.23 and 4.57."
    )
    fix_text = ("Write the class the files are for into tokenizer_config.json (e.g. `\"tokenizer_class\": \"GPT2Tokenizer\"` "
                "beside vocab.json + merges.txt), or upload tokenizer.json (`tokenizer.save_pretrained(repo)` writes it).")
    invalid = [
        Example({"tokenizer_config.json": _TC, "vocab.json": '{"a": 0}\n', "merges.txt": "#version: 0.2\n"},
                [("tokenizer_config.json", 1)]),
        Example({"tokenizer_config.json": _TC, "vocab.txt": "[UNK]\n", "config.json": '{\n  "model_type": "vit"\n}\n'},
                [("tokenizer_config.json", 1)]),
    ]
    valid = [
        Example({"tokenizer_config.json": _TC.replace("{\n", '{\n  "tokenizer_class": "GPT2Tokenizer",\n'),
                 "vocab.json": '{"a": 0}\n', "merges.txt": "#version: 0.2\n"}),
        Example({"tokenizer_config.json": _TC, "vocab.json": '{"a": 0}\n', "merges.txt": "#version: 0.2\n",
                 "config.json": '{\n  "model_type": "gpt2"\n}\n'}),
        Example({"tokenizer_config.json": _TC, "tokenizer.json": "{}", "config.json": '{\n  "model_type": "gpt2"\n}\n'}),
        Example({"tokenizer_config.json": _TC, "tokenizer.json": "{}"}, targets=("5.24",)),
    ]

    def check(self, ctx):
        tc = ctx.obj("tokenizer_config.json")
        if not isinstance(tc, dict) or tc.get("tokenizer_class") is not None:
            return
        if _auto_map_has(ctx, "AutoTokenizer", "tokenizer_config.json", "config.json"):
            return
        files = set(ctx.repo.top_level())
        has_json = "tokenizer.json" in files
        vocab = [f for f in VOCAB_HINTS if f in files]
        if not has_json and not vocab:
            return  # nothing to build from at all: RL405
        k = ctx.knowledge
        config = None
        if ctx.repo.exists("config.json"):
            config = ctx.obj("config.json")
            if not isinstance(config, dict) or config.get("tokenizer_class") is not None or remote_config(config):
                return
        mt = config.get("model_type") if config is not None else None
        known = isinstance(mt, str) and mt in k.model_types
        registered = _registered(ctx, mt) if known else None
        if registered is not None and registered not in _GENERIC:
            return  # the model type's own tokenizer class
        if k.major >= 5:
            if has_json or "tokenizer.model" in files:
                return  # a generic TokenizersBackend built from tokenizer.json, or converted from tokenizer.model
            whence = ("the repo has no config.json" if config is None else
                      f"config.json's model_type {mt!r} registers no tokenizer" if known else
                      "config.json gives no model type with a tokenizer")
            yield Finding("tokenizer_config.json",
                          f"no tokenizer_class, and {whence}: AutoTokenizer falls back to a generic TokenizersBackend, "
                          f"which reads only tokenizer.json or tokenizer.model, not {' + '.join(vocab)}; loading raises ValueError "
                          "\"Couldn't instantiate the backend tokenizer\"", pointer="")
            return
        if config is None:
            guessed = model_type_in_name(ctx) is not None
            yield Finding("tokenizer_config.json",
                          "no tokenizer_class and no config.json: AutoTokenizer looks for the model type in config.json and "
                          "raises ValueError \"Unrecognized model\""
                          + (" unless, as here, the repo's name contains a model type (it then builds that type's "
                             "tokenizer)" if guessed else ""),
                          pointer="", severity="warning" if guessed else None)
        elif known and registered is None:
            yield Finding("tokenizer_config.json",
                          f"no tokenizer_class, and config.json's model_type {mt!r} registers no tokenizer: AutoTokenizer "
                          "raises KeyError", pointer="")
