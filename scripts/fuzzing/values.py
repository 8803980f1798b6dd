"""JSON values of every type and shape, and the keys transformers reads in each file."""

from __future__ import annotations

import random

KNOWN_KEYS = {
    "config.json": [
        "model_type", "architectures", "auto_map", "id2label", "label2id", "num_labels", "torch_dtype",
        "dtype", "transformers_version", "vocab_size", "hidden_size", "num_attention_heads",
        "num_hidden_layers", "intermediate_size", "max_position_embeddings", "rope_scaling",
        "rope_parameters", "text_config", "vision_config", "audio_config", "decoder", "encoder",
        "tie_word_embeddings", "eos_token_id", "bos_token_id", "pad_token_id", "decoder_start_token_id",
        "is_encoder_decoder", "quantization_config", "tokenizer_class", "processor_class", "problem_type",
        "max_length", "num_beams", "temperature", "do_sample", "use_cache", "layer_norm_eps", "hidden_act",
        "initializer_range", "sliding_window", "head_dim", "num_key_value_heads", "attn_implementation",
        "task_specific_params", "custom_pipelines", "sub_configs", "layer_types", "output_hidden_states",
    ],
    "tokenizer_config.json": [
        "tokenizer_class", "auto_map", "model_max_length", "bos_token", "eos_token", "unk_token",
        "pad_token", "added_tokens_decoder", "chat_template", "padding_side", "truncation_side",
        "clean_up_tokenization_spaces", "processor_class", "additional_special_tokens",
        "extra_special_tokens", "do_lower_case", "backend", "model_type",
    ],
    "preprocessor_config.json": [
        "image_processor_type", "feature_extractor_type", "processor_class", "auto_map", "size",
        "crop_size", "do_resize", "image_mean", "image_std", "resample", "rescale_factor",
        "do_normalize", "sampling_rate", "feature_size", "model_type",
    ],
    "processor_config.json": ["processor_class", "auto_map", "chat_template", "image_processor", "tokenizer"],
    "video_preprocessor_config.json": ["video_processor_type", "auto_map", "processor_class", "size"],
    "generation_config.json": [
        "max_length", "max_new_tokens", "do_sample", "temperature", "top_p", "top_k", "num_beams",
        "num_return_sequences", "eos_token_id", "pad_token_id", "bos_token_id", "decoder_start_token_id",
        "early_stopping", "length_penalty", "repetition_penalty", "bad_words_ids", "forced_eos_token_id",
        "begin_suppress_tokens", "cache_implementation", "watermarking_config", "num_beam_groups",
        "diversity_penalty", "penalty_alpha", "use_cache", "transformers_version", "stop_strings", "min_length",
    ],
    "special_tokens_map.json": ["bos_token", "eos_token", "unk_token", "pad_token", "additional_special_tokens"],
    "chat_template.json": ["chat_template"],
    "model.safetensors.index.json": ["metadata", "weight_map"],
    "pytorch_model.bin.index.json": ["metadata", "weight_map"],
}
AUTO_CLASSES = [
    "AutoConfig", "AutoModel", "AutoModelForCausalLM", "AutoModelForMaskedLM", "AutoModelForSequenceClassification",
    "AutoTokenizer", "AutoImageProcessor", "AutoFeatureExtractor", "AutoProcessor", "AutoVideoProcessor", "AutoFoo",
]
NAMES = [
    "bert", "llama", "lama", "gpt2", "clip", "t5", "whisper", "", "BertModel", "LlamaForCausalLM",
    "LlamaTokenizerFast", "PreTrainedTokenizerFast", "CLIPImageProcessor", "AutoModel", "float16",
    "bfloat16", "float33", "auto", "int8", "modeling_fz.FzModel", "configuration_fz.FzConfig",
    "modeling_fz.Missing", "modeling_missing.FzModel", "owner/repo--modeling_fz.FzModel", "--.X", ".X",
    "X.", "a.b.c", "modeling_fz.", "../../etc/passwd.X", "/etc/passwd.X", "modeling_fz.ＦzModel",
    "ＸConfig", "\u202emodeling_fz.FzModel", "modeling_\u00ff.X", "modeling_\udcff.X", "modeling_\x00.X",
    "modeling\n.X", "modeling_fz.FzModel\n", "a\x1b[31mred", "\ud800", "tokenization_fz.FzTokenizer",
]


def scalar(rng: random.Random):
    """A JSON scalar, usual or hostile."""
    pick = rng.randrange(14)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.choice([0, 1, -1, 2, 7, 2**31, 2**53 + 1, 2**63, -(2**63), 10**20, 10**300])
    if pick == 3:
        return rng.choice([0.5, -0.0, 1e-12, 1e308, 5e-324, 3.14159])
    if pick == 4:
        return float(rng.choice(["nan", "inf", "-inf"]))
    if pick in (5, 6, 7):
        return rng.choice(NAMES)
    if pick == 8:
        return "x" * rng.choice([1, 100, 10_000, 200_000])
    if pick == 9:
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 32), rng.randrange(0x80, 0x3000),
                                       rng.randrange(0xD800, 0xE000), rng.randrange(0x10000, 0x10FFFF)]))
                       for _ in range(rng.randrange(1, 40)))
    if pick == 10:
        return str(rng.randrange(-5, 200))  # an id where an int is expected, or a string number
    if pick == 11:
        return rng.choice(["{}", "[]", "null", "NaN", "true", "1e999"])
    if pick == 12:
        return rng.choice(AUTO_CLASSES)
    return rng.choice(["float32", "int64", "cpu", "sdpa", "eager", "flash_attention_2", "left", "right"])


def value(rng: random.Random, depth: int = 0):
    """Any JSON value: a scalar, or a (small) list or object of values."""
    pick = rng.randrange(10) if depth < 3 else 0
    if pick <= 5:
        return scalar(rng)
    if pick == 6:
        return [value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if pick == 7:
        return {rng.choice(["0", "1", "a", "", "model_type", "AutoModel", "\u0000", "x" * 50]): value(rng, depth + 1)
                for _ in range(rng.randrange(0, 4))}
    if pick == 8:
        return list(range(rng.choice([100, 10_000])))
    return {str(i): f"L{i}" for i in range(rng.choice([3, 1000]))}


def auto_map_value(rng: random.Random):
    pick = rng.randrange(5)
    if pick == 0:
        return [rng.choice(NAMES + [None]), rng.choice(NAMES + [None])]
    if pick == 1:
        return {rng.choice(["pil", "torchvision", "x"]): rng.choice(NAMES)}
    if pick == 2:
        return value(rng)
    return rng.choice(NAMES)
