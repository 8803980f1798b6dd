"""RL7xx: will the repo's custom code load on the target transformers release?

Each rule is a query over the load plan (``repolint.plan``) of one target release: the
``transformers`` imports of the modules transformers executes, checked against that release's
API surface; the configuration attributes the code reads, against what a config of that
release carries; and the load-time contracts transformers 5 imposes on custom model classes.
Messages do not name the release: the same finding on several targets is reported once, with
the targets it applies to.
"""

from __future__ import annotations

from repolint.plan import WHEN_WORDS, config_attr_reads, describe_import, loaded_model_classes, own_init, plan_for, post_init_called, tied_keys
from repolint.registry import Example, Finding, Rule, register
from repolint.resolve import facts
from repolint.rules.code import py_finding

CONFIG_PY = (
    "from transformers import PretrainedConfig\n\n\nclass XConfig(PretrainedConfig):\n    model_type = \"x-net\"\n\n"
    "    def __init__(self, hidden_size=8, **kwargs):\n        self.hidden_size = hidden_size\n        super().__init__(**kwargs)\n"
)
MODEL_PY = (
    "from transformers import PreTrainedModel\n\nfrom .configuration_x import XConfig\n\n\n"
    "class XModel(PreTrainedModel):\n    config_class = XConfig\n\n"
    "    def __init__(self, config):\n        super().__init__(config)\n        self.size = config.hidden_size\n        self.post_init()\n"
)
CONFIG_JSON = ('{\n  "model_type": "x-net",\n  "hidden_size": 8,\n  "auto_map": {\n    "AutoConfig": "configuration_x.XConfig",\n'
               '    "AutoModel": "modeling_x.XModel"\n  }\n}\n')
OPTIONS_PY = (
    "from dataclasses import dataclass\n\nfrom torch import nn\nfrom transformers import PreTrainedModel\n\n"
    "from .configuration_x import XConfig\n\n\n@dataclass\nclass Options:\n    width: int\n\n\n"
    "class Block(nn.Module):\n    def __init__(self, config: XConfig):\n        super().__init__()\n"
    "        self.width = config.width\n\n\nclass XModel(PreTrainedModel):\n    config_class = XConfig\n\n"
    "    def __init__(self, config):\n        super().__init__(config)\n"
    "        self.block = Block(Options(width=config.hidden_size))\n        self.post_init()\n"
)
GOOD = {"config.json": CONFIG_JSON, "configuration_x.py": CONFIG_PY, "modeling_x.py": MODEL_PY}


@register
class TransformersImportMissing(Rule):
    code = "RL701"
    name = "transformers-import-missing"
    summary = "Custom code imports a transformers module or name that the target release does not have"
    uses_knowledge = True
    why = (
        "transformers executes the modules auto_map names, and the modules they import relatively. "
        "A module-level `from transformers.X import Y` whose module or name the installed release "
        "lacks fails the whole load with ModuleNotFoundError or ImportError (5.24 removed "
        "`transformers.modeling_attn_mask_utils`; 5.0 removed the TensorFlow classes, "
        "`LlamaFlashAttention2`, ...). Inside `try:`, an `is_*_available()` guard or a function body "
        "it fails only when that code runs (warning); under TYPE_CHECKING it never runs."
    )
    fix_text = ("Import the name from where the release has it (the message says where it lives now), copy the few "
                "helpers you need into the repo, or guard the import with try/except ImportError.")
    invalid = [
        Example({**GOOD, "modeling_x.py": "from transformers.modeling_attn_mask_utils import AttentionMaskConverter\n" + MODEL_PY},
                [("modeling_x.py", 1)], targets=("5.24",)),
        Example({**GOOD, "modeling_x.py": MODEL_PY.replace("import PreTrainedModel", "import PreTrainedModel, TFPreTrainedModel")},
                [("modeling_x.py", 1)], targets=("5.23",)),
    ]
    valid = [
        Example(GOOD),
        Example({**GOOD, "modeling_x.py": "from transformers.modeling_attn_mask_utils import AttentionMaskConverter\n" + MODEL_PY},
                targets=("5.23", "4.57")),
    ]

    def check(self, ctx):
        plan = plan_for(ctx)
        for c in plan.imports:
            if c.ok or c.when == "type-checking":
                continue
            error = c.when == "load"
            exc = "ModuleNotFoundError" if c.status == "missing-module" else "ImportError"
            consequence = (f"loading fails with {exc}" if error
                           else f"{exc} when that code runs ({WHEN_WORDS[c.when]})")
            yield Finding(
                c.file,
                f"`{c.statement}`: {describe_import(c)}; {consequence}",
                line=c.line, column=c.column, end_line=c.end_line, end_column=c.end_column,
                severity="error" if error else "warning",
                help=(f"Import {c.name} from {c.elsewhere[0]} instead." if c.elsewhere else None),
            )


@register
class ConfigAttributeMissing(Rule):
    code = "RL702"
    name = "config-attribute-missing"
    summary = "Custom code reads a config attribute that neither the repo nor the target release provides"
    uses_knowledge = True
    why = (
        "transformers 5 configs no longer carry many attributes 4.x set on every config "
        "(`pad_token_id`, `bos_token_id`, `tie_word_embeddings`, `use_cache`, ...), and they drop the "
        "generation parameters (`max_length`, `use_cache`, `forced_bos_token_id`, ...) from "
        "config.json. Code that reads `config.max_length` in a model's `__init__` then fails with "
        "AttributeError while the model is built (verified on 5.24 and 5.23). The attribute counts as "
        "provided when the repo's config class sets it (an assignment, a class attribute, a keyword "
        "passed to `super().__init__`), when config.json has it and the release keeps it, or when "
        "the release's base config defines it. Reads elsewhere than in `__init__` fail only when "
        "that code runs (warning); reads guarded by `hasattr`/`getattr(..., default)` are skipped, and "
        "so are reads through a `config` parameter annotated with a repo class that is not a config "
        "(a dataclass of the model's own options: a different object, verified by loading), and reads "
        "in a layer that the repo's code builds only from other objects — an options object, a "
        "sub-config, the `config` of another such layer — whatever its annotation says (transformers "
        "hands the model config only to the classes it loads; the layer reads what its callers pass). "
        "A layer reached through a table or another module may get the model config and keeps the finding."
    )
    fix_text = ("Set the attribute in the config class (`self.pad_token_id = pad_token_id`, or pass it to "
                "`super().__init__`), or read it with `getattr(config, \"name\", default)`.")
    invalid = [
        Example({**GOOD, "modeling_x.py": MODEL_PY.replace("config.hidden_size", "config.pad_token_id")},
                [("modeling_x.py", 11)], targets=("5.24",)),
        Example({**GOOD, "modeling_x.py": OPTIONS_PY.replace("Block(Options(width=config.hidden_size))", "Block(config)")},
                [("modeling_x.py", 17)]),
    ]
    valid = [
        Example(GOOD),
        Example({**GOOD, "modeling_x.py": MODEL_PY.replace("config.hidden_size", "config.pad_token_id")}, targets=("4.57",)),
        Example({**GOOD, "modeling_x.py": MODEL_PY.replace("config.hidden_size", "getattr(config, \"pad_token_id\", None)")}),
        # Block is annotated with the model config, but the model builds it from its own options
        Example({**GOOD, "modeling_x.py": OPTIONS_PY}),
    ]

    def check(self, ctx):
        for read, rel, where_popped in config_attr_reads(ctx):
            in_init = read["function"] == "__init__"
            how = f"getattr(config, {read['attr']!r})" if read["kind"] == "getattr" else f"config.{read['attr']}"
            why = (" (config.json has it, but this release drops it from the config as a generation parameter)"
                   if where_popped else "")
            consequence = "building the model fails with AttributeError" if in_init else "AttributeError when that code runs"
            yield py_finding(rel, f"`{how}`: the config has no attribute {read['attr']!r} in this release{why}; {consequence}",
                      read, severity="error" if in_init else "warning")


@register
class MissingPostInit(Rule):
    code = "RL703"
    name = "model-init-without-post-init"
    summary = "A custom model class that auto_map loads never calls self.post_init() (transformers 5)"
    uses_knowledge = True
    why = (
        "transformers 5's from_pretrained reads attributes that `PreTrainedModel.post_init()` sets "
        "(`all_tied_weights_keys`, ...). A model class whose `__init__` does not call "
        "`self.post_init()` fails with `AttributeError: ... has no attribute "
        "'all_tied_weights_keys'` (verified on 5.24 and 5.23); 4.x loaded it. Only the class "
        "auto_map names matters: sub-modules built inside it need not call it."
    )
    fix_text = "End the model's `__init__` with `self.post_init()`."
    invalid = [Example({**GOOD, "modeling_x.py": MODEL_PY.replace("        self.post_init()\n", "")}, [("modeling_x.py", 9)])]
    valid = [
        Example(GOOD),
        Example({**GOOD, "modeling_x.py": MODEL_PY.replace("        self.post_init()\n", "")}, targets=("4.57",)),
        # post_init runs in the base's __init__, which the loaded class calls through super()
        Example({**GOOD, "config.json": CONFIG_JSON.replace('"modeling_x.XModel"', '"modeling_x.XForCausalLM"').replace('"AutoModel"', '"AutoModelForCausalLM"'),
                 "modeling_x.py": MODEL_PY + "\n\nclass XForCausalLM(XModel):\n    def __init__(self, config):\n"
                                             "        super().__init__(config)\n        self.extra = None\n"}),
    ]

    def check(self, ctx):
        if ctx.knowledge.major < 5:
            return
        for ref, model in loaded_model_classes(ctx):
            init, owner = own_init(ctx, model)
            called = post_init_called(ctx, model)
            if init is not None and called and not init["calls_post_init"]:
                # post_init ran in a base's __init__, before this class added its layers: tying
                # weights to those layers fails (AttributeError: ... has no attribute `lm_head`, 5.24)
                keys, keys_owner = tied_keys(ctx, model)
                tie = (ctx.obj("config.json") or {}).get("tie_word_embeddings")
                if keys is not None and keys_owner.name == model.name and tie is not False:
                    yield py_finding(f"{owner.module}.py",
                              f"{owner.name}.__init__ relies on a base class's self.post_init(), which runs before "
                              f"{owner.name} adds its own layers; with its _tied_weights_keys, building the model "
                              "fails with AttributeError (verified on 5.24) — call self.post_init() at the end",
                              init, severity="warning")
                continue
            if init is None or called is not False:
                continue
            yield py_finding(f"{owner.module}.py",
                      f"{owner.name}.__init__ never calls self.post_init(); auto_map[{ref.auto_class!r}] loads "
                      f"{model.name}, and from_pretrained fails with AttributeError ('all_tied_weights_keys')",
                      init)


@register
class TiedWeightsKeysList(Rule):
    code = "RL704"
    name = "tied-weights-keys-list"
    summary = "A custom model declares `_tied_weights_keys` as a list while config.json ties the embeddings (transformers 5)"
    uses_knowledge = True
    why = (
        "transformers 5 expects `_tied_weights_keys` to be a dict `{\"lm_head.weight\": "
        "\"model.embed_tokens.weight\"}` (target -> source). With the 4.x list form and "
        "`tie_word_embeddings: true`, loading fails with `AttributeError: 'list' object has no "
        "attribute 'keys'` (verified on 5.24 and 5.23); with false nothing is tied and it loads."
    )
    fix_text = "Write `_tied_weights_keys = {\"lm_head.weight\": \"model.embed_tokens.weight\"}` (the tied parameter -> the one it shares)."
    invalid = [Example({**GOOD, "config.json": CONFIG_JSON.replace('"hidden_size": 8,', '"hidden_size": 8,\n  "tie_word_embeddings": true,'),
                        "modeling_x.py": MODEL_PY.replace("config_class = XConfig", "config_class = XConfig\n    _tied_weights_keys = [\"lm_head.weight\"]")},
                       [("modeling_x.py", 8)])]
    valid = [Example(GOOD), Example({**GOOD, "config.json": CONFIG_JSON.replace('"hidden_size": 8,', '"hidden_size": 8,\n  "tie_word_embeddings": true,'),
                                     "modeling_x.py": MODEL_PY.replace("config_class = XConfig", "config_class = XConfig\n    _tied_weights_keys = [\"lm_head.weight\"]")},
                                    targets=("4.57",))]

    def check(self, ctx):
        if ctx.knowledge.major < 5:
            return
        data = ctx.obj("config.json") or {}
        tie = data.get("tie_word_embeddings")
        if tie is False:
            return
        for ref, model in loaded_model_classes(ctx):
            keys, owner = tied_keys(ctx, model)
            if keys is None or keys["form"] != "list":
                continue
            if tie is True:
                yield py_finding(f"{owner.module}.py", f"{owner.name}._tied_weights_keys is a list and config.json sets "
                          "tie_word_embeddings: true; loading fails with AttributeError ('list' object has no attribute 'keys')", keys)
            else:
                yield py_finding(f"{owner.module}.py", f"{owner.name}._tied_weights_keys is a list; if the config ties the "
                          "embeddings (tie_word_embeddings), loading fails with AttributeError ('list' object has no attribute 'keys')",
                          keys, severity="warning")


@register
class RopeScalingTypeRead(Rule):
    code = "RL705"
    name = "rope-scaling-type-read"
    summary = "Custom code reads config.rope_scaling[\"type\"] but config.json's rope_scaling has no \"type\" key"
    uses_knowledge = True
    why = (
        "Newer configs write the RoPE variant as `rope_scaling[\"rope_type\"]` only. Code written "
        "for the old key reads `config.rope_scaling[\"type\"]`, which raises KeyError while the "
        "model is built (verified on 5.24). transformers adds `rope_type` to an old-style dict, "
        "never `type` to a new one."
    )
    fix_text = "Read `config.rope_scaling.get(\"rope_type\", config.rope_scaling.get(\"type\"))`."
    invalid = [Example({**GOOD, "config.json": CONFIG_JSON.replace('"hidden_size": 8,', '"hidden_size": 8,\n  "rope_scaling": {"rope_type": "linear", "factor": 2.0},'),
                        "modeling_x.py": MODEL_PY.replace("config.hidden_size", "config.rope_scaling[\"type\"]")},
                       [("modeling_x.py", 11)])]
    valid = [Example({**GOOD, "config.json": CONFIG_JSON.replace('"hidden_size": 8,', '"hidden_size": 8,\n  "rope_scaling": {"type": "linear", "factor": 2.0},'),
                      "modeling_x.py": MODEL_PY.replace("config.hidden_size", "config.rope_scaling[\"type\"]")})]

    def check(self, ctx):
        data = ctx.obj("config.json") or {}
        rope = data.get("rope_scaling")
        if not isinstance(rope, dict) or "type" in rope:
            return
        plan = plan_for(ctx)
        for mod in plan.modules:
            usage = (facts(ctx, mod) or {}).get("usage") or {}
            for sub in usage.get("subscripts", ()):
                if sub["attr"] == "rope_scaling" and sub["key"] == "type":
                    in_init = sub["function"] == "__init__"
                    yield py_finding(f"{mod}.py", "`config.rope_scaling[\"type\"]`: config.json's rope_scaling has no \"type\" key; "
                              + ("building the model fails with KeyError" if in_init else "KeyError when that code runs"),
                              sub, severity="error" if in_init else "warning")


@register
class SavedOutsideRange(Rule):
    code = "RL706"
    name = "saved-version-outside-range"
    summary = "config.json was saved by a transformers release that the repo's own code does not load on"
    severity = "warning"
    uses_knowledge = True
    why = (
        "`transformers_version` in config.json tells users which release the repo was made with, "
        "and many pin it. When the custom code imports names that release lacks (or reads config "
        "attributes it does not carry), the pinned release cannot load the repo either: the repo "
        "was edited after saving, or saved from another environment than the one its code targets. "
        "repolint checks the saving release with the release-sensitive code rules (RL701-RL704) and "
        "reports when the code loads on the target but not on the saving release; `--show-compat` "
        "prints every release from 4.20 on that the repo loads on."
    )
    fix_text = "Re-save the repo with a release in the supported range (or fix the code for the release it says)."
    invalid = [Example({**GOOD, "config.json": CONFIG_JSON.replace('"hidden_size": 8,', '"hidden_size": 8,\n  "transformers_version": "5.23.0",'),
                        "modeling_x.py": MODEL_PY.replace("import PreTrainedModel", "import PreTrainedModel, TFPreTrainedModel")},
                       [("config.json", 4)], targets=("4.57",))]
    valid = [Example({**GOOD, "config.json": CONFIG_JSON.replace('"hidden_size": 8,', '"hidden_size": 8,\n  "transformers_version": "4.57.6",'),
                      "modeling_x.py": MODEL_PY.replace("import PreTrainedModel", "import PreTrainedModel, TFPreTrainedModel")})]

    def check(self, ctx):
        from repolint.compatrange import blockers, minor
        from repolint.resolve import loaded_modules

        data = ctx.obj("config.json") or {}
        saved = data.get("transformers_version")
        if not isinstance(saved, str) or not loaded_modules(ctx):
            return  # without custom code only the model type depends on the release (RL201)
        blocked = [c for c in blockers(ctx.repo, saved) or () if c != "RL201"]
        # only when the code does load on the target: otherwise the target's own errors say it all
        if blocked and not blockers(ctx.repo, ctx.knowledge.label):
            yield Finding("config.json", f"transformers_version {saved!r}: the repo's code does not load on "
                          f"transformers {minor(saved)} itself ({', '.join(blocked)} for that release); it was "
                          "edited after saving, or targets another release (`repolint check --show-compat` "
                          "prints the releases it loads on)",
                          pointer="/transformers_version")


# config.json keys transformers renamed: old -> (new, the first release that reads and writes the new one)
RENAMED_KEYS = {"torch_dtype": ("dtype", (4, 56))}


def _release(label: str) -> tuple[int, ...]:
    import re

    return tuple(int(p) for p in re.findall(r"\d+", label)[:2])


def _plain_dtype(value) -> bool:
    from repolint.rules.config import TORCH_DTYPES

    return value is None or (isinstance(value, str) and value in TORCH_DTYPES)


@register
class RenamedConfigKey(Rule):
    code = "RL707"
    name = "renamed-config-key"
    summary = "config.json uses the old name of a key transformers renamed (torch_dtype -> dtype)"
    severity = "info"
    uses_knowledge = True
    why = (
        "transformers 4.56 renamed the config attribute `torch_dtype` to `dtype`; save_pretrained writes "
        "`dtype` since. Later releases still read `torch_dtype` from config.json as an alias (silently: "
        "the repo loads, with the same dtype), so this is information, not a failure. When both keys are "
        "there, `dtype` wins and `torch_dtype` is ignored. Releases before 4.56 read only `torch_dtype`."
    )
    fix_text = "Rename `torch_dtype` to `dtype`, as save_pretrained writes it, unless the repo must serve transformers < 4.56."
    fix_applicability = "safe"
    fix_detail = (
        "--fix renames the key in place (or, when `dtype` is there too with the same value, deletes "
        "`torch_dtype`): the file then loads with the same dtype on every target from 4.56 on. Not reported "
        "for a target before 4.56; with such a target beside newer ones (-t 4.55 -t 5.24) the fix, made "
        "for the newer ones only, becomes unsafe."
    )
    invalid = [Example({"config.json": '{\n  "model_type": "bert",\n  "torch_dtype": "bfloat16"\n}\n'}, [("config.json", 3)])]
    valid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "dtype": "bfloat16"\n}\n'}),
        Example({"config.json": '{\n  "model_type": "bert",\n  "torch_dtype": "bfloat16"\n}\n'}, targets=("4.55",)),
    ]

    def check(self, ctx):
        from repolint.edits import fix, remove_member, rename_key
        from repolint.jsonmap import pointer

        data = ctx.obj("config.json")
        if data is None:
            return
        # the config and its sub-configs (text_config, vision_config, ...), which transformers reads alike
        objects = [("", "", data)] + [(pointer([k]), f"{k}.", v) for k, v in data.items() if isinstance(v, dict) and "model_type" in v]
        doc = ctx.doc("config.json")
        for old, (new, since) in RENAMED_KEYS.items():
            if _release(ctx.knowledge.label) < since:
                continue
            for base, where, obj in objects:
                if old not in obj or not _plain_dtype(obj[old]):
                    continue  # a value transformers rejects is RL205's
                ptr = f"{base}/{old}"
                if new not in obj:
                    yield Finding("config.json", f"{where}{old} is the name transformers used before 4.56 for {new}; it is "
                                  f"read as an alias, and save_pretrained writes {new}", pointer=ptr, at_key=True,
                                  fix=fix(f"Rename {old} to {new}", "safe", rename_key(doc, "config.json", ptr, new)))
                elif obj[new] == obj[old]:
                    yield Finding("config.json", f"{where}{old} repeats {new} (its old name); transformers reads only {new}",
                                  pointer=ptr, at_key=True,
                                  fix=fix(f"Delete {old}", "safe", remove_member(doc, "config.json", ptr)))
