from transformers import PretrainedConfig


class CompatConfig(PretrainedConfig):
    model_type = "compat-net"

    def __init__(self, vocab_size=32, hidden_size=8, tie_word_embeddings=True, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        super().__init__(tie_word_embeddings=tie_word_embeddings, **kwargs)
