"""RL801-RL849: safetensors checkpoints, from their headers (repolint.safetensors), never the data.

What transformers 5.23 does with each defect was observed by loading real save_pretrained
checkpoints (tests/test_weights_agreement.py):
- a corrupt header (too large, not JSON, unknown dtype, offsets that overlap, leave gaps, run
  past the end or do not match shape x dtype) fails ``from_pretrained`` with SafetensorError;
- a shard the index names but the repo lacks: FileNotFoundError;
- a tensor the index lists that no shard holds: the load succeeds and the parameter is
  initialised randomly (``missing_keys``);
- a tensor in two shards, a shard or a tensor the index does not list, a wrong
  ``metadata.total_size``: the load succeeds (every tensor of each listed shard is read);
- config ``dtype`` differing from the weights: the default ``dtype="auto"`` builds the model in
  the config's dtype and casts the weights to it;
- ``tie_word_embeddings: true`` with a separate ``lm_head.weight`` in the checkpoint: that head
  is loaded, untied; ``false`` without one: the head is initialised randomly.
"""

from __future__ import annotations

import json
import re
import struct
from collections import Counter

from repolint.jsonmap import pointer
from repolint.registry import Example, Finding, Rule, register
from repolint.safetensors import INDEX, SINGLE, TORCH_FLOAT_NAMES, checkpoint

_SHARD_NAME = re.compile(r"-\d+-of-\d+\.safetensors$")
_INPUT_EMBEDDINGS = ("embed_tokens.weight", "wte.weight", "word_embeddings.weight", "embeddings.weight")
_OUTPUT_HEADS = ("lm_head.weight", "embed_out.weight")


class BinaryExample(bytes):
    """The bytes of a small binary file in a rule example; the docs show ``description``."""

    description: str = ""

    def decode(self, *args, **kwargs) -> str:  # what repolint.docs renders for this file
        return self.description

    @classmethod
    def of(cls, data: bytes, description: str) -> "BinaryExample":
        out = cls(data)
        out.description = description
        return out


def st_file(tensors: dict, data_len: int | None = None, *, raw_header: str | None = None) -> bytes:
    """A safetensors file from ``{name: (dtype, shape, start, end)}``, zero-filled data; for
    rule examples whose defect the safetensors library refuses to write."""
    header = raw_header if raw_header is not None else json.dumps(
        {k: {"dtype": d, "shape": list(s), "data_offsets": [a, b]} for k, (d, s, a, b) in tensors.items()},
        separators=(",", ":"),
    )
    n = max((b for *_, b in tensors.values()), default=0) if data_len is None else data_len
    return BinaryExample.of(struct.pack("<Q", len(header.encode())) + header.encode() + b"\0" * n,
                            f"(safetensors) header: {header}\n(then {n} data bytes)\n")


def _loaded(ctx) -> set[str]:
    return set(checkpoint(ctx.repo).files)


def _severity(ctx, file: str) -> str | None:
    """Error (the rule's default) when from_pretrained reads the file, else a warning."""
    return None if file in _loaded(ctx) else "warning"


def _loaded_help(ctx, file: str) -> str:
    if file in _loaded(ctx):
        return "from_pretrained fails on this file with SafetensorError; re-save the weights (save_pretrained / safetensors.torch.save_file)."
    return "transformers does not load this file, but any tool that opens it fails; re-save it or delete it."


CONFIG = '{\n  "model_type": "llama"\n}\n'
GOOD = {"config.json": CONFIG, SINGLE: st_file({"w": ("F32", [2], 0, 8)})}
INDEX_JSON = (
    '{\n  "metadata": {"total_size": 16},\n  "weight_map": {\n    "a": "model-00001-of-00002.safetensors",\n'
    '    "b": "model-00002-of-00002.safetensors"\n  }\n}\n'
)
SHARDED = {
    "config.json": CONFIG,
    INDEX: INDEX_JSON,
    "model-00001-of-00002.safetensors": st_file({"a": ("F32", [2], 0, 8)}),
    "model-00002-of-00002.safetensors": st_file({"b": ("F32", [2], 0, 8)}),
}


class _HeaderRule(Rule):
    kind: str

    def check(self, ctx):
        for file, h in checkpoint(ctx.repo).headers.items():
            for p in h.problems:
                if p.kind == self.kind:
                    yield Finding(file, p.message, line=1, column=1, severity=_severity(ctx, file), help=_loaded_help(ctx, file))


@register
class HeaderUnreadable(_HeaderRule):
    code = "RL801"
    name = "safetensors-header-unreadable"
    summary = "A .safetensors file has no readable header (too short, too large, not JSON, malformed entries)"
    kind = "unreadable"
    why = (
        "safetensors reads an 8-byte length and that many bytes of JSON before any tensor. A header "
        "over 100,000,000 bytes, longer than the file, not UTF-8 JSON, or with an entry lacking "
        "dtype / shape / data_offsets is refused (SafetensorError \"Error while deserializing "
        "header\"), so from_pretrained fails. Often the file is truncated or is a Git LFS pointer."
    )
    fix_text = "Re-save the weights with save_pretrained or safetensors.torch.save_file, and upload the whole file."
    invalid = [Example({"config.json": CONFIG, SINGLE: st_file({}, 0, raw_header="{abc}")}, [(SINGLE, 1)])]
    valid = [Example(GOOD)]


@register
class UnknownDtype(_HeaderRule):
    code = "RL802"
    name = "safetensors-unknown-dtype"
    summary = "A tensor in a .safetensors header has a dtype safetensors does not know"
    kind = "dtype"
    why = (
        "safetensors 0.8 knows BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, "
        "F8_E4M3FNUZ, F8_E5M2FNUZ, I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64 and U64; any "
        "other dtype makes the header invalid and from_pretrained fails with SafetensorError."
    )
    fix_text = "Re-save the tensor in a supported dtype."
    invalid = [Example({"config.json": CONFIG, SINGLE: st_file({"w": ("F33", [2], 0, 8)})}, [(SINGLE, 1)])]
    valid = [Example(GOOD)]


@register
class BadLayout(_HeaderRule):
    code = "RL803"
    name = "safetensors-bad-offsets"
    summary = "Tensor byte ranges in a .safetensors header overlap, leave gaps, run past the file or disagree with shape x dtype"
    kind = "layout"
    why = (
        "safetensors checks that the tensors, sorted by offset, tile the data exactly: each starts "
        "where the previous ends, spans shape x dtype bytes, and the last ends at the end of the "
        "file. Otherwise the header is refused (\"invalid offset\", \"invalid shape, data type, or "
        "offset\", \"file not fully covered\") and from_pretrained fails. A truncated upload is "
        "the usual cause."
    )
    fix_text = "Re-save the weights; if the file was truncated in transit, upload it again."
    invalid = [
        Example({"config.json": CONFIG, SINGLE: st_file({"a": ("F32", [2], 0, 8), "b": ("F32", [2], 4, 12)})}, [(SINGLE, 1)]),
        Example({"config.json": CONFIG, SINGLE: st_file({"w": ("F32", [2], 0, 8)}, 4)}, [(SINGLE, 1)]),
    ]
    valid = [Example(GOOD)]


@register
class MissingShard(Rule):
    code = "RL804"
    name = "index-missing-shard"
    summary = "model.safetensors.index.json names a shard file the repo does not have"
    why = "from_pretrained opens every shard the index names; a missing one fails the load with FileNotFoundError."
    fix_text = "Upload the shard, or regenerate the index with save_pretrained."
    invalid = [Example({k: v for k, v in SHARDED.items() if k != "model-00002-of-00002.safetensors"}, [(INDEX, 5)])]
    valid = [Example(SHARDED)]

    def check(self, ctx):
        ck = checkpoint(ctx.repo)
        if ck.kind != "sharded":
            return
        first: dict[str, str] = {}
        for tensor, shard in ck.index.weight_map.items():
            first.setdefault(shard, tensor)
        for shard, tensor in first.items():
            if shard not in ck.files and not ctx.repo.exists(shard):
                n = sum(1 for s in ck.index.weight_map.values() if s == shard)
                yield Finding(INDEX, f"the index maps {n} tensor{'s' if n != 1 else ''} to {shard}, which the repo does not have",
                              pointer=pointer(["weight_map", tensor]))


def _holders(ck) -> dict[str, list[str]]:
    """tensor name -> the loaded files whose header holds it."""
    out: dict[str, list[str]] = {}
    for f in ck.files:
        h = ck.headers[f]
        for name in h.tensors:
            out.setdefault(name, []).append(f)
    return out


@register
class TensorNotInShard(Rule):
    code = "RL805"
    name = "index-tensor-not-in-shard"
    summary = "The index maps a tensor to a shard whose header does not hold it"
    why = (
        "transformers reads the tensors each listed shard actually holds. A tensor the index "
        "promises but no shard holds is not loaded: the parameter keeps its random initialisation "
        "(only a \"MISSING\" line in the load report says so). If another shard holds it, it is "
        "loaded from there and only the index is wrong."
    )
    fix_text = "Regenerate the index (save_pretrained writes it), or re-save the shard with the tensor."
    invalid = [Example({**SHARDED, "model-00002-of-00002.safetensors": st_file({"c": ("F32", [2], 0, 8)})}, [(INDEX, 5)])]
    valid = [Example(SHARDED)]

    def check(self, ctx):
        ck = checkpoint(ctx.repo)
        if ck.kind != "sharded":
            return
        holders = _holders(ck)
        for tensor, shard in ck.index.weight_map.items():
            h = ck.headers.get(shard)
            if h is None or not h.readable or tensor in h.tensors:
                continue
            elsewhere = holders.get(tensor)
            if elsewhere:
                yield Finding(INDEX, f"the index maps {tensor} to {shard}, but it is in {elsewhere[0]} (transformers loads it from there)",
                              pointer=pointer(["weight_map", tensor]), severity="warning")
            else:
                yield Finding(INDEX, f"the index maps {tensor} to {shard}, but no shard holds it: transformers will initialise it randomly",
                              pointer=pointer(["weight_map", tensor]))


@register
class ShardNotInIndex(Rule):
    code = "RL806"
    name = "shard-not-loaded"
    summary = "A shard-named .safetensors file is not listed in the index (or model.safetensors hides the index)"
    severity = "warning"
    why = (
        "from_pretrained reads model.safetensors if it exists, else exactly the shards the index "
        "lists. A shard missing from the index is never read, so its tensors are not loaded; and "
        "with model.safetensors present, the index and all its shards are ignored."
    )
    fix_text = "Regenerate the index with save_pretrained, or delete the stale file."
    invalid = [Example({**SHARDED, "model-00003-of-00003.safetensors": st_file({"c": ("F32", [2], 0, 8)})}, [("model-00003-of-00003.safetensors", 1)])]
    valid = [Example(SHARDED)]

    def check(self, ctx):
        ck = checkpoint(ctx.repo)
        listed = set(ck.index.weight_map.values()) if ck.index else set()
        for f in ck.headers:
            if f in ck.files or not _SHARD_NAME.search(f):
                continue
            if ck.kind == "single":
                msg = f"{f} is never loaded: {SINGLE} exists, and transformers reads it instead of any index"
            elif f in listed:
                continue
            elif ck.kind is None:
                msg = f"{f} looks like a shard, but the repo has no usable {INDEX}: transformers does not load it"
            else:
                msg = f"{f} is not listed in {INDEX}: transformers never loads it"
            yield Finding(f, msg, line=1, column=1)


@register
class TensorInSeveralShards(Rule):
    code = "RL807"
    name = "tensor-in-several-shards"
    summary = "The same tensor name is in the headers of several loaded shards"
    severity = "warning"
    why = "transformers loads one copy and silently ignores the other; which one the model gets is not what the files suggest."
    fix_text = "Re-save the checkpoint so each tensor is stored once."
    invalid = [Example({**SHARDED, "model-00002-of-00002.safetensors": st_file({"a": ("F32", [2], 0, 8), "b": ("F32", [2], 8, 16)})}, [("model-00002-of-00002.safetensors", 1)])]
    valid = [Example(SHARDED)]

    def check(self, ctx):
        ck = checkpoint(ctx.repo)
        for tensor, files in _holders(ck).items():
            if len(files) > 1:
                yield Finding(files[1], f"{tensor} is stored in {', '.join(files)}; transformers loads one copy and ignores the rest", line=1, column=1)


@register
class TensorNotInIndex(Rule):
    code = "RL808"
    name = "tensor-not-in-index"
    summary = "A listed shard holds a tensor the index's weight_map does not list"
    severity = "info"
    why = (
        "transformers 5.23 loads every tensor of each listed shard, so the load works; tools that "
        "trust the index (partial downloads, device maps, the Hub's parameter count) miss it."
    )
    fix_text = "Regenerate the index with save_pretrained."
    invalid = [Example({**SHARDED, "model-00002-of-00002.safetensors": st_file({"b": ("F32", [2], 0, 8), "c": ("F32", [2], 8, 16)})}, [("model-00002-of-00002.safetensors", 1)])]
    valid = [Example(SHARDED)]

    def check(self, ctx):
        ck = checkpoint(ctx.repo)
        if ck.kind != "sharded":
            return
        for f in ck.files:
            extra = [t for t in ck.headers[f].tensors if t not in ck.index.weight_map]
            if extra:
                more = f" and {len(extra) - 3} more" if len(extra) > 3 else ""
                yield Finding(f, f"{f} holds {', '.join(extra[:3])}{more}, not listed in {INDEX}", line=1, column=1)


@register
class TotalSize(Rule):
    code = "RL809"
    name = "index-total-size-mismatch"
    summary = "metadata.total_size in the index differs from the tensor bytes the shard headers describe"
    severity = "warning"
    why = (
        "save_pretrained writes the sum of the tensors' byte sizes. transformers does not use it, "
        "but download and memory planners do; a different value usually means the index belongs "
        "to another checkpoint."
    )
    fix_text = "Regenerate the index with save_pretrained, or set total_size to the value in the message."
    invalid = [Example({**SHARDED, INDEX: INDEX_JSON.replace('"total_size": 16', '"total_size": 15')}, [(INDEX, 2)])]
    valid = [Example(SHARDED)]

    def check(self, ctx):
        ck = checkpoint(ctx.repo)
        if ck.kind != "sharded" or ck.index.total_size is None:
            return
        if any(s not in ck.headers or not ck.headers[s].readable for s in set(ck.index.weight_map.values())):
            return  # missing or broken shards are reported; the sum would be meaningless
        total = sum(t.nbytes for t in ck.tensors().values())
        if total != ck.index.total_size:
            yield Finding(INDEX, f"metadata.total_size is {ck.index.total_size:,} but the shards' tensors take {total:,} bytes",
                          pointer="/metadata/total_size")


def _config_dtype(cfg: dict) -> tuple[str, str] | None:
    for key in ("dtype", "torch_dtype"):  # dtype wins when both are present
        if isinstance(cfg.get(key), str):
            return key, cfg[key].removeprefix("torch.")
    return None


@register
class DtypeMismatch(Rule):
    code = "RL810"
    name = "checkpoint-dtype-mismatch"
    summary = "config.json's dtype differs from the dtype most of the checkpoint's weights are stored in"
    severity = "warning"
    why = (
        "transformers 5.23 defaults to dtype=\"auto\", which takes config.json's `dtype` (or "
        "`torch_dtype`): the model is built in that dtype and the weights are cast to it on load. "
        "float32 over bfloat16 weights doubles the memory; float16 over bfloat16 weights can "
        "overflow to inf; a narrower dtype loses precision. Nothing fails."
    )
    fix_text = "Set config.json's dtype to the dtype the weights are saved in (save_pretrained writes it)."
    invalid = [Example({"config.json": '{\n  "model_type": "llama",\n  "dtype": "float32"\n}\n', SINGLE: st_file({"w": ("BF16", [4], 0, 8)})}, [("config.json", 3)])]
    valid = [Example({"config.json": '{\n  "model_type": "llama",\n  "dtype": "bfloat16"\n}\n', SINGLE: st_file({"w": ("BF16", [4], 0, 8)})})]

    def check(self, ctx):
        cfg = ctx.obj("config.json")
        found = _config_dtype(cfg) if cfg is not None and "quantization_config" not in cfg else None
        if found is None or found[1] not in TORCH_FLOAT_NAMES.values():
            return
        by_bytes: Counter = Counter()
        for t in checkpoint(ctx.repo).tensors().values():
            if t.dtype in TORCH_FLOAT_NAMES:
                by_bytes[TORCH_FLOAT_NAMES[t.dtype]] += t.nbytes
        if not by_bytes:
            return
        stored, _ = by_bytes.most_common(1)[0]
        key, wanted = found
        if stored != wanted:
            yield Finding("config.json", f"config.json says {key} {wanted}, but the checkpoint's weights are mostly {stored}: "
                          f"transformers builds the model in {wanted} and casts them on load", pointer=pointer([key]))


@register
class TiedEmbeddings(Rule):
    code = "RL811"
    name = "tied-embeddings-mismatch"
    summary = "tie_word_embeddings disagrees with whether the checkpoint has its own output head"
    severity = "warning"
    why = (
        "With tie_word_embeddings true, save_pretrained stores only the input embeddings; a "
        "checkpoint that also holds lm_head.weight gets it loaded as a separate, untied head "
        "(transformers 5.23). With false, a causal LM needs lm_head.weight in the checkpoint: "
        "without it the head is initialised randomly and the model generates noise."
    )
    fix_text = "Set tie_word_embeddings to match the checkpoint, or re-save the model with save_pretrained."
    invalid = [Example({
        "config.json": '{\n  "model_type": "llama",\n  "architectures": ["LlamaForCausalLM"],\n  "tie_word_embeddings": false\n}\n',
        SINGLE: st_file({"model.embed_tokens.weight": ("F32", [2], 0, 8)}),
    }, [("config.json", 4)])]
    valid = [Example({
        "config.json": '{\n  "model_type": "llama",\n  "architectures": ["LlamaForCausalLM"],\n  "tie_word_embeddings": false\n}\n',
        SINGLE: st_file({"lm_head.weight": ("F32", [2], 0, 8), "model.embed_tokens.weight": ("F32", [2], 8, 16)}),
    })]

    def check(self, ctx):
        cfg = ctx.obj("config.json")
        tie = cfg.get("tie_word_embeddings") if cfg is not None else None
        if not isinstance(tie, bool):
            return
        names = checkpoint(ctx.repo).tensors()
        if not names:
            return
        embed = next((n for n in names if n.endswith(_INPUT_EMBEDDINGS)), None)
        head = next((n for n in names if n.endswith(_OUTPUT_HEADS)), None)
        archs = cfg.get("architectures")
        causal = isinstance(archs, list) and any(isinstance(a, str) and a.endswith("ForCausalLM") for a in archs)
        if tie and embed and head:
            yield Finding("config.json", f"tie_word_embeddings is true, but the checkpoint holds {head} as well as {embed}: "
                          "transformers loads it as a separate head, untied", pointer="/tie_word_embeddings")
        elif not tie and embed and not head and causal:
            yield Finding("config.json", f"tie_word_embeddings is false, but the checkpoint has no output head (lm_head.weight), "
                          f"only {embed}: transformers will initialise the head randomly", pointer="/tie_word_embeddings")
