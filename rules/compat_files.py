"""RL7xx for metadata files: what transformers 5's save_pretrained writes that a 4.x release cannot read."""

from __future__ import annotations

from functools import lru_cache

from repolint.registry import Example, Finding, Rule, register
from repolint.rules.compat import _release

TOKENIZER_CONFIG = "tokenizer_config.json"
SINCE = (4, 47)  # the first release that reads extra_special_tokens (PreTrainedTokenizerBase.__init__)


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


@lru_cache(maxsize=None)
def saved_by_5_fails(loaded_by: str) -> dict[str, str]:
    """model type -> what ``loaded_by`` raises on a config transformers 5 saved for it (probed by
    scripts/configsync/cross_release.py; {} when no probe was shipped for that release)."""
    import json
    import os

    from repolint.knowledge import schemas_dir

    for name in sorted(os.listdir(schemas_dir())):
        if name.startswith("saved-by-") and name.endswith(f"-on-{loaded_by}.json"):
            with open(os.path.join(schemas_dir(), name), encoding="utf-8") as fh:
                return json.load(fh)["fails"]
    return {}


@register
class SavedBy5FailsOn4(Rule):
    code = "RL709"
    name = "config-saved-by-5-fails-on-4"
    summary = "config.json was saved by transformers 5 for a model type whose 5.x configs a 4.x release cannot load"
    uses_knowledge = True
    why = (
        "transformers 5 writes some configs in a form 4.x rejects: DETR-like models (detr, conditional_detr, "
        "deformable_detr, table-transformer, maskformer, ...) no longer save `backbone`/`use_timm_backbone`, "
        "whose 4.x defaults then clash with the saved `backbone_config` (`ValueError: You can't specify both "
        "backbone and backbone_config`); CSM saves `tie_word_embeddings`, DBRX's sub-configs keys 4.x does not "
        "accept. Which model types, and what 4.57 raises, is probed: each type's default config saved by "
        "transformers 5.24 and loaded by 4.57 (scripts/configsync/cross_release.py)."
    )
    fix_text = "Require transformers >= 5 for this repo, or save the config with the 4.x release its users run."
    invalid = [Example({"config.json": '{\n  "model_type": "detr",\n  "backbone_config": {"model_type": "resnet"},\n'
                                      '  "transformers_version": "5.24.0"\n}\n'}, [("config.json", 2)], targets=("4.57",))]
    valid = [
        Example({"config.json": '{\n  "model_type": "detr",\n  "backbone_config": {"model_type": "resnet"},\n'
                                '  "transformers_version": "5.24.0"\n}\n'}),
        Example({"config.json": '{\n  "model_type": "detr",\n  "transformers_version": "4.57.6"\n}\n'}, targets=("4.57",)),
    ]

    def check(self, ctx):
        if ctx.knowledge.major >= 5:
            return
        data = ctx.obj("config.json")
        if not data or not isinstance(data.get("model_type"), str):
            return
        saved = data.get("transformers_version")
        if not isinstance(saved, str) or _release(saved)[:1] < (5,):
            return
        raised = saved_by_5_fails(ctx.knowledge.version).get(data["model_type"])
        if raised:
            yield Finding("config.json", f"saved by transformers {saved}, a {data['model_type']!r} config that transformers "
                          f"{ctx.knowledge.label} cannot load: {raised}", pointer="/model_type",
                          help="Probed with the model type's default config as transformers 5.24 saves it, loaded by 4.57.")
