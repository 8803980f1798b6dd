from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_attn_mask_utils import AttentionMaskConverter

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
