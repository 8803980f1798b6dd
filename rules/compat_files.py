"""RL7xx for metadata files: what transformers 5's save_pretrained writes that a 4.x release cannot read."""

from __future__ import annotations

from repolint.registry import Example, Finding, Rule, register

TOKENIZER_CONFIG = "tokenizer_config.json"
SINCE = (4, 47)  # the first release that reads extra_special_tokens (PreTrainedTokenizerBase.__init__)


def _release(label: str) -> tuple[int, ...]:
    import re

    return tuple(int(p) for p in re.findall(r"\d+", label)[:2])


@register
class ExtraSpecialTokensList(Rule):
    code = "RL708"
    name = "extra-special-tokens-list"
    summary = "tokenizer_config.json writes extra_special_tokens as a list, which transformers 4.x cannot read"
    uses_knowledge = True
    why = (
        "transformers 5's save_pretrained writes `extra_special_tokens` as a list of tokens. Releases "
        "4.47 to 4.57 read it as a dict of name -> token (`tokenizer.image_token`) and every tokenizer "
        "fails in `__init__` with `AttributeError: 'list' object has no attribute 'keys'`. Releases before 4.47 ignore the key; transformers 5 "
        "reads both forms. A repo saved with 5.x and meant for 4.x users fails for all of them."
    )
    fix_text = (
        "For 4.x users, write it as a dict of name -> token (`{\"image_token\": \"<image>\"}`), which 5.x reads "
        "too, or delete the key: the tokens stay special through `added_tokens_decoder` / tokenizer.json."
    )
    invalid = [Example({TOKENIZER_CONFIG: '{\n  "tokenizer_class": "LlamaTokenizer",\n  "extra_special_tokens": ["<image>"]\n}\n'},
                       [(TOKENIZER_CONFIG, 3)], targets=("4.57",))]
    valid = [
        Example({TOKENIZER_CONFIG: '{\n  "tokenizer_class": "LlamaTokenizer",\n  "extra_special_tokens": ["<image>"]\n}\n'}),
        Example({TOKENIZER_CONFIG: '{\n  "tokenizer_class": "LlamaTokenizer",\n  "extra_special_tokens": {"image_token": "<image>"}\n}\n'},
                targets=("4.57",)),
    ]

    def check(self, ctx):
        if ctx.knowledge.major >= 5 or _release(ctx.knowledge.label) < SINCE:
            return
        data = ctx.obj(TOKENIZER_CONFIG)
        if not data or "extra_special_tokens" not in data:
            return
        value = data["extra_special_tokens"]
        if isinstance(value, list):
            yield Finding(TOKENIZER_CONFIG,
                          f"extra_special_tokens is a list (as transformers 5 writes it); transformers {ctx.knowledge.label} "
                          "reads a dict and AutoTokenizer fails with AttributeError: 'list' object has no attribute 'keys'",
                          pointer="/extra_special_tokens")
