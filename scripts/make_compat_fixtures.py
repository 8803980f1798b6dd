#!/usr/bin/env python
"""Write the version-compatibility fixtures: one custom-code repo saved by transformers itself
(``register_for_auto_class`` + ``save_pretrained``), and one-defect variants of it whose custom
code uses what some transformers releases lack.

    python scripts/make_compat_fixtures.py --out DIR

Run it with a Python that has transformers and torch (any 4.57+ or 5.x release); the tests call
it with the oracle interpreter. ``DIR/base`` is the valid repo, ``DIR/<variant>`` the variants;
``DIR/VARIANTS.json`` lists each variant with the rule code repolint should report and the line.
Nothing here is imported by repolint.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import textwrap

CONFIG_SRC = '''
from transformers import PretrainedConfig


class CompatConfig(PretrainedConfig):
    model_type = "compat-net"

    def __init__(self, vocab_size=32, hidden_size=8, tie_word_embeddings=True, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        super().__init__(tie_word_embeddings=tie_word_embeddings, **kwargs)
'''

MODEL_SRC = '''
from torch import nn
from transformers import PreTrainedModel

from .configuration_compat import CompatConfig


class CompatModel(PreTrainedModel):
    config_class = CompatConfig

    def __init__(self, config):
        super().__init__(config)
        self.emb = nn.Embedding(config.vocab_size, config.hidden_size)
        self.post_init()

    def get_input_embeddings(self):
        return self.emb

    def forward(self, input_ids):
        return self.emb(input_ids)


class CompatForCausalLM(PreTrainedModel):
    config_class = CompatConfig
    _tied_weights_keys = {"lm_head.weight": "model.emb.weight"}

    def __init__(self, config):
        super().__init__(config)
        self.model = CompatModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.model.emb

    def get_output_embeddings(self):
        return self.lm_head

    def forward(self, input_ids):
        return self.lm_head(self.model(input_ids))
'''

INIT_ANCHOR = "        self.model = CompatModel(config)\n"
IMPORT_ANCHOR = "from transformers import PreTrainedModel\n"
POST_INIT_LM = "        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)\n        self.post_init()\n"

# name -> (file edits [(old, new)], config.json updates, expected rule code or None, anchor text of the line)
VARIANTS = {
    "import_attn_mask_utils": ([(IMPORT_ANCHOR, IMPORT_ANCHOR + "from transformers.modeling_attn_mask_utils import AttentionMaskConverter\n")],
                               {}, "RL701", "from transformers.modeling_attn_mask_utils import"),
    "import_tf_pretrained": ([(IMPORT_ANCHOR, "from transformers import PreTrainedModel, TFPreTrainedModel\n")],
                             {}, "RL701", "TFPreTrainedModel"),
    "import_flash_attention2": ([(IMPORT_ANCHOR, IMPORT_ANCHOR + "from transformers.models.llama.modeling_llama import LlamaFlashAttention2\n")],
                                {}, "RL701", "LlamaFlashAttention2"),
    "import_guarded_in_function": ([("    def forward(self, input_ids):\n        return self.emb(input_ids)\n",
                                     "    def forward(self, input_ids):\n        from transformers.modeling_attn_mask_utils import AttentionMaskConverter\n"
                                     "        return self.emb(input_ids)\n")], {}, "RL701", "AttentionMaskConverter"),
    "read_max_length": ([(INIT_ANCHOR, INIT_ANCHOR + "        self.limit = config.max_length\n")], {"max_length": 64}, "RL702", "config.max_length"),
    "read_pad_token_id": ([(INIT_ANCHOR, INIT_ANCHOR + "        self.pad = config.pad_token_id\n")], {}, "RL702", "config.pad_token_id"),
    "read_use_cache": ([(INIT_ANCHOR, INIT_ANCHOR + "        self.cache = config.use_cache\n")], {"use_cache": True}, "RL702", "config.use_cache"),
    "read_probed_attr": ([(INIT_ANCHOR, INIT_ANCHOR + "        self.pad = getattr(config, \"pad_token_id\", None)\n")], {}, None, None),
    "no_post_init": ([(POST_INIT_LM, POST_INIT_LM.replace("        self.post_init()\n", ""))], {}, "RL703", "    def __init__(self, config):\n        super().__init__(config)\n        self.model"),
    "post_init_in_base": ([("class CompatForCausalLM(PreTrainedModel):\n    config_class = CompatConfig\n"
                            "    _tied_weights_keys = {\"lm_head.weight\": \"model.emb.weight\"}\n",
                            "class CompatForCausalLM(CompatModel):\n    config_class = CompatConfig\n"),
                           (INIT_ANCHOR, ""), (POST_INIT_LM, POST_INIT_LM.replace("        self.post_init()\n", "")),
                           ("        return self.model.emb\n", "        return self.emb\n"),
                           ("        return self.lm_head(self.model(input_ids))\n", "        return self.lm_head(self.emb(input_ids))\n")],
                          {"tie_word_embeddings": False}, None, None),
    "tied_keys_list": ([('_tied_weights_keys = {"lm_head.weight": "model.emb.weight"}', '_tied_weights_keys = ["lm_head.weight"]')],
                       {}, "RL704", "_tied_weights_keys = ["),
    "tied_keys_list_untied": ([('_tied_weights_keys = {"lm_head.weight": "model.emb.weight"}', '_tied_weights_keys = ["lm_head.weight"]')],
                              {"tie_word_embeddings": False}, None, None),
    "rope_type_new_style": ([(INIT_ANCHOR, INIT_ANCHOR + "        self.rope = config.rope_scaling[\"type\"]\n")],
                            {"rope_scaling": {"rope_type": "linear", "factor": 2.0}, "rope_theta": 10000.0}, "RL705", "config.rope_scaling[\"type\"]"),
    "rope_type_old_style": ([(INIT_ANCHOR, INIT_ANCHOR + "        self.rope = config.rope_scaling[\"type\"]\n")],
                            {"rope_scaling": {"type": "linear", "factor": 2.0}, "rope_theta": 10000.0}, None, None),
}


def build_base(out: str) -> None:
    work = tempfile.mkdtemp(prefix="compat-src-")
    pkg = os.path.join(work, "compatpkg")
    os.makedirs(pkg)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    with open(os.path.join(pkg, "configuration_compat.py"), "w") as fh:
        fh.write(textwrap.dedent(CONFIG_SRC).lstrip())
    with open(os.path.join(pkg, "modeling_compat.py"), "w") as fh:
        fh.write(textwrap.dedent(MODEL_SRC).lstrip())
    sys.path.insert(0, work)
    from compatpkg.configuration_compat import CompatConfig
    from compatpkg.modeling_compat import CompatForCausalLM, CompatModel

    CompatConfig.register_for_auto_class()
    CompatModel.register_for_auto_class("AutoModel")
    CompatForCausalLM.register_for_auto_class("AutoModelForCausalLM")
    model = CompatForCausalLM(CompatConfig())
    CompatModel(model.config).save_pretrained(out)  # writes auto_map["AutoModel"] into the shared config
    model.save_pretrained(out)
    shutil.rmtree(work, ignore_errors=True)


def make_variant(base: str, out: str, edits, config_update) -> None:
    shutil.copytree(base, out)
    path = os.path.join(out, "modeling_compat.py")
    with open(path) as fh:
        text = fh.read()
    for old, new in edits:
        if old not in text:
            raise SystemExit(f"{out}: anchor not found: {old!r}")
        text = text.replace(old, new, 1)
    with open(path, "w") as fh:
        fh.write(text)
    if config_update:
        cpath = os.path.join(out, "config.json")
        with open(cpath) as fh:
            data = json.load(fh)
        data.update(config_update)
        with open(cpath, "w") as fh:
            json.dump(data, fh, indent=2)


def line_of(path: str, anchor: str) -> int:
    with open(path) as fh:
        text = fh.read()
    at = text.index(anchor)
    lead = len(anchor) - len(anchor.lstrip("\n "))
    return text.count("\n", 0, at + lead) + 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, "base")
    shutil.rmtree(base, ignore_errors=True)
    build_base(base)
    listing = {}
    for name, (edits, update, code, anchor) in VARIANTS.items():
        out = os.path.join(args.out, name)
        shutil.rmtree(out, ignore_errors=True)
        make_variant(base, out, edits, update)
        line = line_of(os.path.join(out, "modeling_compat.py"), anchor) if anchor else None
        if name == "no_post_init":  # the finding points at CompatForCausalLM.__init__
            with open(os.path.join(out, "modeling_compat.py")) as fh:
                lines = fh.read().split("\n")
            cls = next(i for i, l in enumerate(lines) if l.startswith("class CompatForCausalLM"))
            line = next(i for i in range(cls, len(lines)) if lines[i].strip().startswith("def __init__")) + 1
        listing[name] = {"code": code, "file": "modeling_compat.py", "line": line}
    with open(os.path.join(args.out, "VARIANTS.json"), "w") as fh:
        json.dump(listing, fh, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
