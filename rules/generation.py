"""RL5xx: generation_config.json values that GenerationConfig.validate() rejects at load.

Type-level constraints (early_stopping, max_new_tokens > 0, ...) are in the JSON Schema
(RL101); this family checks the combinations and the release-specific value lists.
"""

from __future__ import annotations

from repolint.jsonmap import pointer
from repolint.knowledge import did_you_mean
from repolint.registry import Example, Finding, Rule, register

# arguments of generate() that GenerationConfig.validate() refuses to find in the config
GENERATE_ONLY_ARGUMENTS = (
    "logits_processor",
    "stopping_criteria",
    "prefix_allowed_tokens_fn",
    "synced_gpus",
    "assistant_model",
    "streamer",
    "negative_prompt_ids",
    "negative_prompt_attention_mask",
)


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@register
class InvalidGenerationConfig(Rule):
    code = "RL501"
    name = "invalid-generation-config"
    summary = "generation_config.json holds a combination GenerationConfig refuses to load"
    uses_knowledge = True
    why = (
        "`GenerationConfig.from_pretrained` runs `validate()`, which raises ValueError for: an "
        "unknown `cache_implementation`; `num_return_sequences > 1` in greedy decoding; "
        "`num_return_sequences > num_beams`; forced BOS/EOS tokens that are all suppressed; and "
        "`generate()` arguments such as `logits_processor` stored in the file. The model then "
        "fails to load, not only to generate."
    )
    fix_text = "Fix the value as the message says; values that only make sense for one call belong in generate()."
    invalid = [
        Example({"generation_config.json": '{\n  "do_sample": false,\n  "num_return_sequences": 3\n}\n'}, [("generation_config.json", 3)]),
        Example({"generation_config.json": '{\n  "cache_implementation": "statik"\n}\n'}, [("generation_config.json", 2)]),
    ]
    valid = [Example({"generation_config.json": '{\n  "do_sample": true,\n  "num_return_sequences": 3\n}\n'})]

    def check(self, ctx):
        g = ctx.obj("generation_config.json")
        if g is None:
            return
        f = "generation_config.json"
        caches = ctx.knowledge.data.get("generation_cache_implementations")
        cache = g.get("cache_implementation")
        if caches and isinstance(cache, str) and cache not in caches:
            s = did_you_mean(cache, caches)
            yield Finding(
                f,
                f"cache_implementation {cache!r} is not one of {', '.join(caches)}",
                pointer="/cache_implementation",
                help=f"Did you mean {s[0]!r}?" if s else None,
            )
        n = g.get("num_return_sequences")
        beams = g.get("num_beams")
        if _int(n) and n > 1:
            if beams is None or beams == 1:
                if g.get("do_sample") is not True:
                    yield Finding(f, f"num_return_sequences is {n} but greedy decoding (do_sample is not true, num_beams 1) returns one sequence", pointer="/num_return_sequences")
            elif _int(beams) and n > beams:
                yield Finding(f, f"num_return_sequences ({n}) is larger than num_beams ({beams})", pointer="/num_return_sequences")
        suppressed = g.get("suppress_tokens")
        if isinstance(suppressed, list):
            sup = {t for t in suppressed if _int(t)}
            for attr in ("forced_bos_token_id", "forced_eos_token_id"):
                forced = g.get(attr)
                forced_set = {forced} if _int(forced) else {t for t in forced if _int(t)} if isinstance(forced, list) else set()
                if forced_set and forced_set <= sup:
                    yield Finding(f, f"every token of {attr} ({sorted(forced_set)}) is also in suppress_tokens", pointer=pointer([attr]))
        for arg in GENERATE_ONLY_ARGUMENTS:
            if arg in g:
                yield Finding(f, f"{arg} is an argument of generate(), not a GenerationConfig setting", pointer=pointer([arg]), at_key=True)
