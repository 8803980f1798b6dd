#!/usr/bin/env python
"""Build the "known valid" fixture repos for repolint with transformers itself.

    python scripts/make_fixtures.py --out tests/fixtures/valid [--examples examples/]

Every file in a fixture folder is written by a transformers ``save_pretrained``
call (model -> config.json / generation_config.json, tokenizer, image
processor, feature extractor, processor).  Nothing is hand-typed.  Model
weights are dropped after ``PreTrainedModel.save_pretrained`` so the repos stay
small, but ``architectures`` is the one save_pretrained recorded.

Tokenizer vocabularies are learned offline, deterministically, from the small
corpus embedded below (pure Python, no Hub access, no sentencepiece).

After saving, every fixture is loaded back in-process with HF_HUB_OFFLINE=1
(AutoConfig, the Auto model class under ``torch.device("meta")``,
AutoTokenizer / AutoImageProcessor / AutoFeatureExtractor / AutoProcessor
where present).  A table is printed and the exit status is non-zero if any
load fails.  ``MANIFEST.json`` lists exactly the Auto classes verified.

With ``--examples DIR`` it also writes ``DIR/tiny-bert`` (a valid bert repo
plus a model card stub) and ``DIR/broken-model`` (a llama fixture broken by
text edits to the saved JSON, with ``EXPECTED.md`` recording what
transformers did with each break).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

# Offline and quiet *before* transformers is imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import pre_tokenizers  # noqa: E402

transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()

# --------------------------------------------------------------------------
# Corpus (embedded so the fixtures are reproducible without any download)
# --------------------------------------------------------------------------

CORPUS = """\
The quick brown fox jumps over the lazy dog.
A tiny model reads a tiny sentence and writes a tiny answer.
The cat sat on the mat, and the dog sat on the log.
Hello world! This is a small corpus for building small tokenizers.
Models are saved with save_pretrained and loaded with from_pretrained.
The linter checks config files, tokenizer files and processor files.
Speech is turned into text, and images are turned into labels.
We train the vocabulary offline, so nothing is downloaded.
Numbers like 1, 2, 3 and 42 appear in text too.
It's a test: the tokens can't be too many, they'll stay small.
Transformers loads the configuration, the tokenizer and the image processor.
The sun rises in the east and sets in the west.
Good models need good data; small fixtures need small vocabularies.
What is the answer? The answer is in the question.
She sells sea shells by the sea shore.
Translate English to German: the house is wonderful.
Summarize: the weather today is sunny with a light breeze.
"""

CORPUS_LINES = [line for line in CORPUS.splitlines() if line.strip()]


# --------------------------------------------------------------------------
# Deterministic vocabulary learners
# --------------------------------------------------------------------------


def _learn_merges(word_counts: dict[tuple[str, ...], int], n_merges: int) -> list[tuple[str, str]]:
    """Plain BPE: repeatedly merge the most frequent adjacent pair.

    Ties are broken lexicographically so the result never depends on hash
    order or thread scheduling.
    """
    splits = {w: list(w) for w in word_counts}
    merges: list[tuple[str, str]] = []
    for _ in range(n_merges):
        pairs: collections.Counter = collections.Counter()
        for word, count in word_counts.items():
            symbols = splits[word]
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best, freq = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if freq < 2:
            break
        merges.append(best)
        for word in splits:
            symbols = splits[word]
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            splits[word] = out
    return merges


def _counts(words) -> dict[tuple[str, ...], int]:
    counter = collections.Counter(words)
    # insertion order sorted => deterministic iteration
    return {k: counter[k] for k in sorted(counter)}


def byte_level_bpe(specials: list[str], n_merges: int = 120, end_of_word_suffix: str = "", lowercase=False):
    """GPT-2 style byte-level BPE (full 256-symbol byte alphabet + merges)."""
    pt = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    words = []
    for line in CORPUS_LINES:
        text = line.lower() if lowercase else line
        for piece, _ in pt.pre_tokenize_str(text):
            words.append(piece)
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    if end_of_word_suffix:
        word_counts = _counts(tuple(w[:-1]) + (w[-1] + end_of_word_suffix,) for w in words)
    else:
        word_counts = _counts(tuple(w) for w in words)
    merges = _learn_merges(word_counts, n_merges)
    vocab: dict[str, int] = {}
    for tok in specials:
        vocab.setdefault(tok, len(vocab))
    for ch in alphabet:
        vocab.setdefault(ch, len(vocab))
    if end_of_word_suffix:
        for ch in alphabet:
            vocab.setdefault(ch + end_of_word_suffix, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    return vocab, merges


def sentencepiece_bpe(n_merges: int = 120):
    """Llama-style BPE: <unk>,<s>,</s>, 256 byte-fallback tokens, ▁-prefixed pieces."""
    words = [("▁" + w) for line in CORPUS_LINES for w in line.split()]
    word_counts = _counts(tuple(w) for w in words)
    merges = _learn_merges(word_counts, n_merges)
    vocab: dict[str, int] = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for i in range(256):
        vocab[f"<0x{i:02X}>"] = len(vocab)
    for ch in sorted({c for w in word_counts for c in w}):
        vocab.setdefault(ch, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    return vocab, merges


def unigram_pieces():
    """T5-style unigram vocab: [(piece, log_prob)], with <pad>, </s>, <unk> first."""
    counter: collections.Counter = collections.Counter()
    for line in CORPUS_LINES:
        for w in re.findall(r"\w+|[^\w\s]", line):
            counter["▁" + w] += 1
            for ch in w:
                counter[ch] += 1
    counter["▁"] += 1
    total = sum(counter.values())
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    for piece, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        pieces.append((piece, round(math.log(count / total), 4)))
    return pieces


def wordpiece_vocab(specials: list[str], lowercase: bool = True, n_words: int = 60) -> dict[str, int]:
    """BERT-style WordPiece vocab: specials, characters, ##characters, frequent words."""
    text = " ".join(CORPUS_LINES)
    if lowercase:
        text = text.lower()
    tokens = re.findall(r"\w+|[^\w\s]", text)
    chars = sorted({c for t in tokens for c in t})
    word_counts = collections.Counter(t for t in tokens if len(t) > 1)
    frequent = [w for w, _ in sorted(word_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n_words]]
    vocab: dict[str, int] = {}
    for tok in specials + chars + ["##" + c for c in chars if c.isalnum()] + sorted(frequent):
        vocab.setdefault(tok, len(vocab))
    return vocab


def ctc_char_vocab() -> dict[str, int]:
    chars = sorted({c for line in CORPUS_LINES for c in line.upper() if c.isalpha() or c == "'"})
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4}
    for c in chars:
        vocab.setdefault(c, len(vocab))
    return vocab


# --------------------------------------------------------------------------
# Tokenizer / processor builders (transformers classes, constructed offline)
# --------------------------------------------------------------------------


def bert_tokenizer(cls_name="BertTokenizer", max_len=64):
    vocab = wordpiece_vocab(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    cls = getattr(transformers, cls_name)
    return cls(vocab=vocab, model_max_length=max_len)


def gpt2_tokenizer(max_len=64):
    vocab, merges = byte_level_bpe(["<|endoftext|>"])
    return transformers.GPT2Tokenizer(vocab=vocab, merges=merges, model_max_length=max_len)


def roberta_tokenizer(max_len=64):
    vocab, merges = byte_level_bpe(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    return transformers.RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=max_len)


def llama_tokenizer(max_len=64, extra_special_tokens=None):
    vocab, merges = sentencepiece_bpe()
    kwargs = {}
    if extra_special_tokens:
        kwargs["extra_special_tokens"] = extra_special_tokens
    # Llama checkpoints prepend <s>: add_bos_token=True as in their tokenizer_config.json.
    return transformers.LlamaTokenizer(vocab=vocab, merges=merges, model_max_length=max_len,
                                       add_bos_token=True, add_eos_token=False, **kwargs)


def qwen2_tokenizer(max_len=64):
    vocab, merges = byte_level_bpe([])
    # Qwen2 puts its special tokens after the BPE vocab as added tokens.
    return transformers.Qwen2Tokenizer(vocab=vocab, merges=merges, model_max_length=max_len)


def t5_tokenizer(extra_ids=4, max_len=64):
    return transformers.T5Tokenizer(vocab=unigram_pieces(), extra_ids=extra_ids, model_max_length=max_len)


def clip_tokenizer(max_len=16):
    vocab, merges = byte_level_bpe(
        ["<|startoftext|>", "<|endoftext|>"], end_of_word_suffix="</w>", lowercase=True
    )
    return transformers.CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=max_len)


def whisper_tokenizer(max_len=64):
    vocab, merges = byte_level_bpe(["<|endoftext|>"])
    tok = transformers.WhisperTokenizer(vocab=vocab, merges=merges, model_max_length=max_len)
    specials = ["<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>",
                "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>"]
    tok.add_special_tokens({"additional_special_tokens": specials})
    return tok


def wav2vec2_ctc_tokenizer(workdir: Path):
    vocab_file = workdir / "ctc_vocab.json"
    vocab_file.write_text(json.dumps(ctc_char_vocab(), indent=2, sort_keys=True), encoding="utf-8")
    return transformers.Wav2Vec2CTCTokenizer(str(vocab_file))


# --------------------------------------------------------------------------
# Fixture specs
# --------------------------------------------------------------------------
#
# Each builder returns a dict:
#   model_cls   - the head class that is instantiated and save_pretrained'ed
#   auto_model  - the Auto class expected to resolve to it
#   config      - the tiny config
#   generation  - optional dict of GenerationConfig overrides (only for models
#                 that can generate; saved by PreTrainedModel.save_pretrained)
#   tokenizer / image_processor / feature_extractor / processor - savables
# When a processor is given, only the processor is saved (it saves its own
# tokenizer / image processor / feature extractor the way transformers does).

TINY_TEXT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def fx_bert(workdir):
    tok = bert_tokenizer()
    labels = ["negative", "neutral", "positive"]
    cfg = transformers.BertConfig(
        vocab_size=len(tok), max_position_embeddings=64, pad_token_id=tok.pad_token_id,
        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)}, **TINY_TEXT,
    )
    return dict(kind="text", model_cls=transformers.BertForSequenceClassification,
                auto_model="AutoModelForSequenceClassification", config=cfg, tokenizer=tok)


def fx_distilbert(workdir):
    tok = bert_tokenizer("DistilBertTokenizer")
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    cfg = transformers.DistilBertConfig(
        vocab_size=len(tok), max_position_embeddings=64, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
        pad_token_id=tok.pad_token_id,
        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)},
    )
    return dict(kind="text", model_cls=transformers.DistilBertForTokenClassification,
                auto_model="AutoModelForTokenClassification", config=cfg, tokenizer=tok)


def fx_roberta(workdir):
    tok = roberta_tokenizer()
    cfg = transformers.RobertaConfig(
        vocab_size=len(tok), max_position_embeddings=64 + 2, type_vocab_size=1,
        pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        **TINY_TEXT,
    )
    return dict(kind="text", model_cls=transformers.RobertaForMaskedLM,
                auto_model="AutoModelForMaskedLM", config=cfg, tokenizer=tok)


def fx_gpt2(workdir):
    tok = gpt2_tokenizer()
    eos = tok.convert_tokens_to_ids("<|endoftext|>")
    cfg = transformers.GPT2Config(
        vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=2, n_head=2,
        bos_token_id=eos, eos_token_id=eos,
    )
    return dict(kind="text", model_cls=transformers.GPT2LMHeadModel, auto_model="AutoModelForCausalLM",
                config=cfg, tokenizer=tok,
                generation=dict(bos_token_id=eos, eos_token_id=eos))


def _llama_like(config_cls, model_cls, tok, **extra):
    cfg = config_cls(
        vocab_size=len(tok), max_position_embeddings=128, num_key_value_heads=1,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        tie_word_embeddings=False, **TINY_TEXT, **extra,
    )
    return dict(kind="text", model_cls=model_cls, auto_model="AutoModelForCausalLM", config=cfg, tokenizer=tok,
                generation=dict(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                do_sample=True, temperature=0.6, top_p=0.9, max_length=128))


def fx_llama(workdir):
    return _llama_like(transformers.LlamaConfig, transformers.LlamaForCausalLM, llama_tokenizer())


def fx_mistral(workdir):
    return _llama_like(transformers.MistralConfig, transformers.MistralForCausalLM, llama_tokenizer(),
                       sliding_window=64)


def fx_qwen2(workdir):
    tok = qwen2_tokenizer()
    eos = tok.eos_token_id
    cfg = transformers.Qwen2Config(
        vocab_size=len(tok), max_position_embeddings=128, num_key_value_heads=1,
        bos_token_id=eos, eos_token_id=eos, tie_word_embeddings=True, **TINY_TEXT,
    )
    return dict(kind="text", model_cls=transformers.Qwen2ForCausalLM, auto_model="AutoModelForCausalLM",
                config=cfg, tokenizer=tok,
                generation=dict(bos_token_id=eos, eos_token_id=eos, pad_token_id=eos, do_sample=True,
                                temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.05))


def fx_t5(workdir):
    tok = t5_tokenizer()
    cfg = transformers.T5Config(
        vocab_size=len(tok), d_model=32, d_kv=16, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=2,
        relative_attention_num_buckets=8, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.pad_token_id,
    )
    return dict(kind="text", model_cls=transformers.T5ForConditionalGeneration,
                auto_model="AutoModelForSeq2SeqLM", config=cfg, tokenizer=tok,
                generation=dict(decoder_start_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                                pad_token_id=tok.pad_token_id))


def fx_bart(workdir):
    tok = roberta_tokenizer()
    cfg = transformers.BartConfig(
        vocab_size=len(tok), max_position_embeddings=64, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id, forced_eos_token_id=tok.eos_token_id,
    )
    return dict(kind="text", model_cls=transformers.BartForConditionalGeneration,
                auto_model="AutoModelForSeq2SeqLM", config=cfg, tokenizer=tok,
                generation=dict(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                pad_token_id=tok.pad_token_id, decoder_start_token_id=tok.eos_token_id,
                                forced_eos_token_id=tok.eos_token_id, num_beams=4, early_stopping=True,
                                max_length=64))


def fx_vit(workdir):
    labels = ["cat", "dog"]
    cfg = transformers.ViTConfig(
        image_size=32, patch_size=8, num_channels=3,
        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)}, **TINY_TEXT,
    )
    ip = transformers.ViTImageProcessorPil(size={"height": 32, "width": 32})
    return dict(kind="vision", model_cls=transformers.ViTForImageClassification,
                auto_model="AutoModelForImageClassification", config=cfg, image_processor=ip)


def fx_convnext(workdir):
    labels = ["tabby", "tiger", "lion"]
    cfg = transformers.ConvNextConfig(
        num_channels=3, patch_size=4, hidden_sizes=[8, 16], depths=[1, 1], num_stages=2,
        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)},
    )
    ip = transformers.ConvNextImageProcessorPil(size={"shortest_edge": 32}, crop_pct=0.875)
    return dict(kind="vision", model_cls=transformers.ConvNextForImageClassification,
                auto_model="AutoModelForImageClassification", config=cfg, image_processor=ip)


def fx_detr(workdir):
    backbone = transformers.ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic",
        out_features=["stage2"],
    )
    labels = ["person", "car"]
    cfg = transformers.DetrConfig(
        backbone_config=backbone, num_queries=4, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)},
    )
    ip = transformers.DetrImageProcessorPil(size={"shortest_edge": 32, "longest_edge": 64})
    return dict(kind="vision", model_cls=transformers.DetrForObjectDetection,
                auto_model="AutoModelForObjectDetection", config=cfg, image_processor=ip)


def fx_wav2vec2(workdir):
    tok = wav2vec2_ctc_tokenizer(workdir)
    fe = transformers.Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=True,
    )
    proc = transformers.Wav2Vec2Processor(feature_extractor=fe, tokenizer=tok)
    cfg = transformers.Wav2Vec2Config(
        vocab_size=len(tok), pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, conv_dim=(8, 8), conv_stride=(5, 4), conv_kernel=(10, 8),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, ctc_loss_reduction="mean",
        **TINY_TEXT,
    )
    return dict(kind="audio", model_cls=transformers.Wav2Vec2ForCTC, auto_model="AutoModelForCTC",
                config=cfg, processor=proc)


def fx_whisper(workdir):
    tok = whisper_tokenizer()
    fe = transformers.WhisperFeatureExtractor(feature_size=80, sampling_rate=16000, chunk_length=30)
    proc = transformers.WhisperProcessor(feature_extractor=fe, tokenizer=tok)
    ids = {t: tok.convert_tokens_to_ids(t) for t in
           ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|translate|>",
            "<|notimestamps|>", "<|nospeech|>", "<|startofprev|>", "<|startoflm|>"]}
    eot = ids["<|endoftext|>"]
    cfg = transformers.WhisperConfig(
        vocab_size=len(tok), num_mel_bins=80, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_source_positions=1500, max_target_positions=64,
        pad_token_id=eot, bos_token_id=eot, eos_token_id=eot, decoder_start_token_id=ids["<|startoftranscript|>"],
        begin_suppress_tokens=[eot], suppress_tokens=[],
    )
    gen = dict(
        bos_token_id=eot, eos_token_id=eot, pad_token_id=eot, decoder_start_token_id=ids["<|startoftranscript|>"],
        max_length=64, begin_suppress_tokens=[eot], suppress_tokens=[],
        is_multilingual=True, lang_to_id={"<|en|>": ids["<|en|>"]},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], prev_sot_token_id=ids["<|startofprev|>"],
        forced_decoder_ids=None,
    )
    return dict(kind="audio", model_cls=transformers.WhisperForConditionalGeneration,
                auto_model="AutoModelForSpeechSeq2Seq", config=cfg, processor=proc, generation=gen)


def _tiny_clip_vision(**extra):
    return dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                image_size=32, patch_size=8, **extra)


def fx_clip(workdir):
    tok = clip_tokenizer()
    ip = transformers.CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    proc = transformers.CLIPProcessor(image_processor=ip, tokenizer=tok)
    cfg = transformers.CLIPConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=16,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id),
        vision_config=_tiny_clip_vision(),
        projection_dim=16,
    )
    return dict(kind="multimodal", model_cls=transformers.CLIPModel, auto_model="AutoModel",
                config=cfg, processor=proc)


def fx_blip(workdir):
    tok = bert_tokenizer(max_len=32)
    ip = transformers.BlipImageProcessorPil(size={"height": 32, "width": 32})
    proc = transformers.BlipProcessor(image_processor=ip, tokenizer=tok)
    cfg = transformers.BlipConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=32, encoder_hidden_size=32,
                         pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id,
                         sep_token_id=tok.sep_token_id),
        vision_config=_tiny_clip_vision(),
        projection_dim=16, image_text_hidden_size=32,
    )
    return dict(kind="multimodal", model_cls=transformers.BlipForConditionalGeneration,
                auto_model="AutoModelForImageTextToText", config=cfg, processor=proc,
                generation=dict(bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id,
                                pad_token_id=tok.pad_token_id, max_length=20))


def fx_llava(workdir):
    tok = llama_tokenizer(extra_special_tokens=["<image>"])
    tok.pad_token = tok.unk_token
    ip = transformers.CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    chat_template = (
        "{% for message in messages %}{{ message['role'].upper() }}: "
        "{% if message['content'] is string %}{{ message['content'] }}"
        "{% else %}{% for item in message['content'] %}"
        "{% if item['type'] == 'image' %}<image>\n{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
        "{% endfor %}{% endif %}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}"
    )
    proc = transformers.LlavaProcessor(
        image_processor=ip, tokenizer=tok, patch_size=8, vision_feature_select_strategy="default",
        chat_template=chat_template, num_additional_image_tokens=1,
    )
    image_token_id = tok.convert_tokens_to_ids("<image>")
    cfg = transformers.LlavaConfig(
        vision_config=dict(model_type="clip_vision_model", **_tiny_clip_vision(projection_dim=16)),
        text_config=dict(model_type="llama", vocab_size=len(tok), max_position_embeddings=128,
                         num_key_value_heads=1, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, **TINY_TEXT),
        image_token_id=image_token_id, image_seq_length=(32 // 8) ** 2, vision_feature_layer=-2, vision_feature_select_strategy="default",
        projector_hidden_act="gelu",
    )
    return dict(kind="multimodal", model_cls=transformers.LlavaForConditionalGeneration,
                auto_model="AutoModelForImageTextToText", config=cfg, processor=proc,
                generation=dict(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                pad_token_id=tok.pad_token_id))


FIXTURES = {
    "bert": fx_bert,
    "distilbert": fx_distilbert,
    "roberta": fx_roberta,
    "gpt2": fx_gpt2,
    "llama": fx_llama,
    "mistral": fx_mistral,
    "qwen2": fx_qwen2,
    "t5": fx_t5,
    "bart": fx_bart,
    "vit": fx_vit,
    "convnext": fx_convnext,
    "detr": fx_detr,
    "wav2vec2": fx_wav2vec2,
    "whisper": fx_whisper,
    "clip": fx_clip,
    "blip": fx_blip,
    "llava": fx_llava,
}


# --------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------

WEIGHT_PATTERNS = ("*.safetensors", "*.safetensors.index.json", "*.bin", "*.bin.index.json")


def save_fixture(name: str, dest: Path) -> dict:
    """Build fixture `name` into `dest` (deleted first). Returns its spec."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix=f"repolint-{name}-") as tmp:
        spec = FIXTURES[name](Path(tmp))
        torch.manual_seed(0)
        model = spec["model_cls"](spec["config"])
        if spec.get("generation"):
            model.generation_config = transformers.GenerationConfig(**spec["generation"])
        model.save_pretrained(dest)
        del model
    for pattern in WEIGHT_PATTERNS:
        for weight_file in dest.glob(pattern):
            weight_file.unlink()
    if spec.get("processor") is not None:
        spec["processor"].save_pretrained(dest)
    else:
        for key in ("tokenizer", "image_processor", "feature_extractor"):
            if spec.get(key) is not None:
                spec[key].save_pretrained(dest)
    return spec


# --------------------------------------------------------------------------
# Verification (in-process, offline)
# --------------------------------------------------------------------------


def _has_image_processor(folder: Path) -> bool:
    pre = folder / "preprocessor_config.json"
    if pre.is_file():
        d = json.loads(pre.read_text(encoding="utf-8"))
        if "image_processor_type" in d:
            return True
    proc = folder / "processor_config.json"
    if proc.is_file():
        d = json.loads(proc.read_text(encoding="utf-8"))
        return isinstance(d.get("image_processor"), dict)
    return False


def _has_feature_extractor(folder: Path) -> bool:
    pre = folder / "preprocessor_config.json"
    if pre.is_file():
        d = json.loads(pre.read_text(encoding="utf-8"))
        if "feature_extractor_type" in d:
            return True
    proc = folder / "processor_config.json"
    if proc.is_file():
        d = json.loads(proc.read_text(encoding="utf-8"))
        return isinstance(d.get("feature_extractor"), dict) or isinstance(d.get("audio_processor"), dict)
    return False


def _has_processor(folder: Path) -> bool:
    for fname in ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json"):
        f = folder / fname
        if f.is_file() and "processor_class" in json.loads(f.read_text(encoding="utf-8")):
            return True
    return False


def expected_auto_classes(folder: Path, auto_model: str) -> list[str]:
    classes = ["AutoConfig", auto_model]
    if (folder / "tokenizer_config.json").is_file():
        classes.append("AutoTokenizer")
    if _has_image_processor(folder):
        classes.append("AutoImageProcessor")
    if _has_feature_extractor(folder):
        classes.append("AutoFeatureExtractor")
    if _has_processor(folder):
        classes.append("AutoProcessor")
    return classes


def load_one(folder: Path, auto_name: str) -> str:
    """Load `folder` with Auto class `auto_name`; return the resolved class name."""
    auto_cls = getattr(transformers, auto_name)
    if auto_name == "AutoConfig":
        obj = auto_cls.from_pretrained(folder)
    elif auto_name.startswith("AutoModel"):
        config = transformers.AutoConfig.from_pretrained(folder)
        with torch.device("meta"):
            obj = auto_cls.from_config(config)
        arch = (config.architectures or [None])[0]
        if type(obj).__name__ != arch:
            raise AssertionError(f"{auto_name} built {type(obj).__name__}, config.architectures says {arch}")
    else:
        obj = auto_cls.from_pretrained(folder)
        if auto_name == "AutoProcessor" and not isinstance(obj, transformers.ProcessorMixin):
            raise AssertionError(f"AutoProcessor fell back to {type(obj).__name__}, not a processor")
    return type(obj).__name__


def verify(folder: Path, classes: list[str]) -> dict[str, tuple[bool, str]]:
    results = {}
    for auto_name in classes:
        try:
            results[auto_name] = (True, load_one(folder, auto_name))
        except Exception as exc:  # noqa: BLE001 - report every failure
            line = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            results[auto_name] = (False, line)
    return results


# --------------------------------------------------------------------------
# examples/
# --------------------------------------------------------------------------

MODEL_CARD = """\
---
library_name: transformers
license: apache-2.0
language:
- en
pipeline_tag: text-classification
tags:
- repolint-example
---

# tiny-bert

A tiny, randomly initialised BERT sequence classifier (3 labels: negative,
neutral, positive) used as a repolint example. `config.json` and the tokenizer
files were written by `transformers` `save_pretrained`
(`scripts/make_fixtures.py --examples examples/`). The weights are left out on
purpose, so this repo is valid for `AutoConfig`, `AutoTokenizer` and
`AutoModelForSequenceClassification.from_config`, but not for `from_pretrained`.

## Usage

```python
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

config = AutoConfig.from_pretrained("examples/tiny-bert")
tokenizer = AutoTokenizer.from_pretrained("examples/tiny-bert")
model = AutoModelForSequenceClassification.from_config(config)
```
"""


def _json_edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise RuntimeError(f"edit target {old!r} found {text.count(old)} times in {path}")
    path.write_text(text.replace(old, new), encoding="utf-8")


def _insert_key_before(path: Path, before_key: str, block: str) -> None:
    """Insert pretty-printed `block` (already indented, ending with ',\\n') before `"before_key":`."""
    text = path.read_text(encoding="utf-8")
    anchor = f'\n  "{before_key}":'
    if text.count(anchor) != 1:
        raise RuntimeError(f"anchor {before_key!r} not unique in {path}")
    path.write_text(text.replace(anchor, "\n" + block.rstrip("\n") + anchor, 1), encoding="utf-8")


# Each break: (id, file, description, edit function).
BREAKS = [
    ("model_type", "config.json", '`model_type` misspelled: "llama" -> "lama"',
     lambda d: _json_edit(d / "config.json", '"model_type": "llama"', '"model_type": "lama"')),
    ("dtype", "config.json", '`dtype` set to a non-existent torch dtype: "float33"',
     lambda d: _json_edit(d / "config.json", '"dtype": "float32"', '"dtype": "float33"')),
    ("auto_map", "config.json",
     '`auto_map` {"AutoModel": "modeling_custom.CustomModel"} but modeling_custom.py is not in the repo',
     lambda d: _insert_key_before(d / "config.json", "bos_token_id",
                                  '  "auto_map": {\n    "AutoModel": "modeling_custom.CustomModel"\n  },\n')),
    ("tokenizer_class", "tokenizer_config.json", '`tokenizer_class` misspelled: "LlamaTokenizerFats"',
     lambda d: _json_edit(d / "tokenizer_config.json", '"tokenizer_class": "LlamaTokenizer"',
                          '"tokenizer_class": "LlamaTokenizerFats"')),
]

# How each break is probed: PROBES[break id] = [(label, callable(folder) -> str)].


def _probe_config(folder):
    return type(transformers.AutoConfig.from_pretrained(folder)).__name__


def _probe_config_dtype(folder):
    c = transformers.AutoConfig.from_pretrained(folder)
    return f"{type(c).__name__} (dtype={c.dtype!r})"


def _probe_model_meta(folder, **kw):
    config = transformers.AutoConfig.from_pretrained(folder, **kw)
    with torch.device("meta"):
        m = transformers.AutoModel.from_config(config, **kw)
    return type(m).__name__


def _probe_causal_lm_meta(folder):
    config = transformers.AutoConfig.from_pretrained(folder)
    with torch.device("meta"):
        m = transformers.AutoModelForCausalLM.from_config(config)
    return f"{type(m).__name__} (parameter dtype {next(m.parameters()).dtype})"


PROBE_TEXT = "Hello world, the cat sat."


def _probe_tokenizer(folder):
    t = transformers.AutoTokenizer.from_pretrained(folder)
    ids = t(PROBE_TEXT)["input_ids"]
    return f"{type(t).__name__} ({t.__class__.__module__}); {PROBE_TEXT!r} -> {len(ids)} ids, first {ids[:3]}"


PROBES = {
    "model_type": [("AutoConfig.from_pretrained", _probe_config),
                   ("AutoModelForCausalLM.from_config (meta)", _probe_causal_lm_meta),
                   ("AutoTokenizer.from_pretrained", _probe_tokenizer)],
    "dtype": [("AutoConfig.from_pretrained", _probe_config_dtype),
              ("AutoModelForCausalLM.from_config (meta)", _probe_causal_lm_meta),
              ("AutoTokenizer.from_pretrained", _probe_tokenizer)],
    "auto_map": [("AutoModel.from_config (meta), trust_remote_code unset", _probe_model_meta),
                 ("AutoModel.from_config (meta), trust_remote_code=True",
                  lambda f: _probe_model_meta(f, trust_remote_code=True))],
    "tokenizer_class": [("AutoTokenizer.from_pretrained", _probe_tokenizer)],
}


def _run_probe(fn, folder) -> tuple[bool, str]:
    """Run one load; return (loaded, class name or first exception line).

    The folder path is replaced by ``<repo>`` so EXPECTED.md is reproducible.
    """
    try:
        return True, fn(folder)
    except Exception as exc:  # noqa: BLE001
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        msg = msg.replace(str(Path(folder).resolve()), "<repo>").replace(str(folder), "<repo>")
        return False, f"{type(exc).__name__}: {msg}"


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    return 0


def build_examples(examples_dir: Path, valid_dir: Path) -> bool:
    ok = True
    # tiny-bert: a valid bert repo + model card.
    tiny = examples_dir / "tiny-bert"
    save_fixture("bert", tiny)
    (tiny / "README.md").write_text(MODEL_CARD, encoding="utf-8")
    res = verify(tiny, ["AutoConfig", "AutoModelForSequenceClassification", "AutoTokenizer"])
    for k, (good, info) in res.items():
        print(f"  examples/tiny-bert {k:<38} {'ok' if good else 'FAIL'}  {info}")
        ok &= good

    # broken-model: llama fixture, broken by edits to the saved JSON text.
    broken = examples_dir / "broken-model"
    src = valid_dir / "llama"
    if not (src / "config.json").is_file():
        save_fixture("llama", src)
    if broken.exists():
        shutil.rmtree(broken)
    shutil.copytree(src, broken)

    sections = []
    with tempfile.TemporaryDirectory(prefix="repolint-broken-") as tmp:
        for bid, fname, desc, edit in BREAKS:
            single = Path(tmp) / bid
            shutil.copytree(src, single)
            baseline = {label: _run_probe(fn, src) for label, fn in PROBES[bid]}
            edit(single)
            results = {label: _run_probe(fn, single) for label, fn in PROBES[bid]}
            sections.append((bid, fname, desc, baseline, results))
    for _, _, _, edit in BREAKS:
        edit(broken)
    combined = {label: _run_probe(fn, broken) for label, fn in
                [("AutoConfig.from_pretrained", _probe_config),
                 ("AutoModel.from_config (meta)", _probe_model_meta),
                 ("AutoTokenizer.from_pretrained", _probe_tokenizer)]}

    lines_of = {
        "model_type": _line_of(broken / "config.json", '"model_type": "lama"'),
        "dtype": _line_of(broken / "config.json", '"dtype": "float33"'),
        "auto_map": _line_of(broken / "config.json", '"auto_map"'),
        "tokenizer_class": _line_of(broken / "tokenizer_config.json", "LlamaTokenizerFats"),
    }
    out = [
        "# broken-model: expected failures",
        "",
        "A copy of `tests/fixtures/valid/llama` (written by transformers `save_pretrained`), then broken by",
        "text edits to the saved JSON (`scripts/make_fixtures.py --examples examples/`), so the line numbers",
        f"are the ones a real repo would have. Observed with transformers {transformers.__version__}, "
        f"torch {torch.__version__.split('+')[0]}, `HF_HUB_OFFLINE=1`.",
        "",
        "Each break was also applied **alone** to a clean copy of the fixture and loaded; each section shows",
        "that result next to the clean fixture's. Only the exception's first line is quoted; `<repo>` stands",
        "for the folder path. A repolint run on this folder should report all four breaks.",
        "",
    ]
    for n, (bid, fname, desc, baseline, results) in enumerate(sections, 1):
        out.append(f"## {n}. {desc}")
        out.append("")
        out.append(f"File: `{fname}`, line {lines_of[bid]} (in this folder).")
        out.append("")
        out.append(f"Verdict: {BREAK_NOTES[bid]}")
        out.append("")
        out.append("Applied alone to a clean copy:")
        out.append("")
        out.append("```text")
        for label, (good, info) in results.items():
            base_info = baseline[label][1]
            out.append(f"{label}")
            out.append(f"  broken: {'loads' if good else 'raises'}: {info}")
            out.append(f"  clean:  loads: {base_info}")
        out.append("```")
        out.append("")
    out.append("## All four breaks together (this folder)")
    out.append("")
    out.append("```text")
    for label, (good, info) in combined.items():
        out.append(f"{label}")
        out.append(f"  {'loads' if good else 'raises'}: {info}")
    out.append("```")
    out.append("")
    out.append(COMBINED_NOTE)
    out.append("")
    (broken / "EXPECTED.md").write_text("\n".join(out), encoding="utf-8")
    print(f"  examples/broken-model: {len(sections)} breaks, EXPECTED.md written")
    return ok


COMBINED_NOTE = (
    "With everything broken at once only the first error is visible: AutoConfig/AutoModel* stop at "
    "`model_type`. AutoTokenizer swallows that `ValueError`, re-reads `config.json` as a plain "
    "`PreTrainedConfig` and then dies on `dtype` (an `AttributeError` is not swallowed), so the "
    "`tokenizer_class` break is masked. A linter has to report all four independently."
)

BREAK_NOTES = {
    "model_type": "hard error: AutoConfig and every AutoModel* refuse the repo. AutoTokenizer still "
                  "loads (it swallows the config error and goes by `tokenizer_class`).",
    "dtype": "hard error at config load: the string is turned into a torch dtype with `getattr(torch, ...)`. "
             "It even breaks AutoTokenizer, which only swallows ValueError/OSError from the config.",
    "auto_map": "silent mis-load without `trust_remote_code` (no error, no warning): the built-in `llama` classes win over the "
                "remote-code entry, so the custom model is never used; with `trust_remote_code=True` the "
                "missing module file is a hard error.",
    "tokenizer_class": "silent mis-load, no error and no warning: the unknown class name falls back to the "
                       "generic `TokenizersBackend` instead of `LlamaTokenizer` (4.57 raised here). It encodes the "
                       "same ids here only because `tokenizer.json` carries the whole pipeline; Llama-specific "
                       "behaviour (`legacy`, `add_prefix_space`, the class itself) is lost.",
}


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="tests/fixtures/valid", help="folder for the fixture repos")
    ap.add_argument("--examples", default=None, help="also write tiny-bert/ and broken-model/ here")
    ap.add_argument("--only", nargs="*", default=None, help="build only these fixtures (MANIFEST kept in sync)")
    args = ap.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = args.only or list(FIXTURES)
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        ap.error(f"unknown fixture(s): {', '.join(unknown)}")

    manifest_path = out / "MANIFEST.json"
    manifest = {}
    if args.only and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))

    t0 = time.perf_counter()
    failures = 0
    rows = []
    for name in names:
        folder = out / name
        try:
            spec = save_fixture(name, folder)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
            rows.append((name, "BUILD", False, "build failed"))
            failures += 1
            manifest.pop(name, None)
            continue
        classes = expected_auto_classes(folder, spec["auto_model"])
        results = verify(folder, classes)
        for auto_name, (good, info) in results.items():
            rows.append((name, auto_name, good, info))
            failures += not good
        model_type = json.loads((folder / "config.json").read_text(encoding="utf-8"))["model_type"]
        manifest[name] = {
            "model_type": model_type,
            "kind": spec["kind"],
            "auto_classes_that_load": [c for c in classes if results[c][0]],
            "loaded_as": {c: results[c][1] for c in classes if results[c][0]},
            "files": sorted(p.name for p in folder.iterdir() if p.is_file()),
        }
    manifest = {k: manifest[k] for k in sorted(manifest)}
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")

    width = max(len(r[1]) for r in rows) if rows else 10
    print(f"{'fixture':<12} {'auto class':<{width}}  {'ok':<4} resolved class / error")
    print("-" * (12 + width + 40))
    for name, auto_name, good, info in rows:
        print(f"{name:<12} {auto_name:<{width}}  {'ok' if good else 'FAIL':<4} {info}")

    if args.examples:
        print("\nexamples:")
        if not build_examples(Path(args.examples), out):
            failures += 1

    print(f"\n{len(names)} fixtures, {len(rows)} loads, {failures} failures, "
          f"{time.perf_counter() - t0:.1f}s (transformers {transformers.__version__})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
