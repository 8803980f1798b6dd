"""RL4xx: tokenizer, image processor, feature extractor and processor classes and files."""

from __future__ import annotations

from repolint.jsonmap import pointer
from repolint.knowledge import did_you_mean
from repolint.registry import Example, Finding, Rule, register
from repolint.resolve import auto_map_entries

# files that hold a vocabulary for some slow tokenizer, when tokenizer.json is absent
VOCAB_HINTS = ("vocab.txt", "vocab.json", "merges.txt", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "vocab.model", "tiktoken.model")


def _auto_map_has(ctx, auto_class: str, *files: str) -> bool:
    """Whether an auto_map in one of ``files`` (nested processor ones included) has the key."""
    return any(ref.auto_class == auto_class and ref.file in files for ref in auto_map_entries(ctx))


def _known(name: str, classes: frozenset[str]) -> bool:
    base = name[:-4] if name.endswith("Fast") else name
    return name in classes or base in classes or base + "Fast" in classes or base + "Pil" in classes


def _suggest(name: str, classes) -> str | None:
    s = did_you_mean(name, classes)
    return f"Did you mean {s[0]!r}?" if s else None


@register
class UnknownImageProcessor(Rule):
    code = "RL401"
    name = "unknown-image-processor-type"
    summary = "image_processor_type names no image processor of transformers or of the repo"
    uses_knowledge = True
    why = (
        "AutoImageProcessor resolves `image_processor_type` by class name (a legacy `Fast` suffix is "
        "stripped). An unknown name raises `ValueError: Unrecognized image processor in <repo>` "
        "unless `auto_map[\"AutoImageProcessor\"]` provides the class."
    )
    fix_text = "Use the exact class name (e.g. \"ViTImageProcessor\"), or add the custom class to auto_map."
    invalid = [Example({"preprocessor_config.json": '{\n  "image_processor_type": "VitImageProcessor"\n}\n'}, [("preprocessor_config.json", 2)])]
    valid = [Example({"preprocessor_config.json": '{\n  "image_processor_type": "ViTImageProcessor"\n}\n'})]

    def check(self, ctx):
        known = ctx.knowledge.classes("image_processor")
        if _auto_map_has(ctx, "AutoImageProcessor", "preprocessor_config.json", "processor_config.json", "config.json"):
            return
        for file_name, base in (("preprocessor_config.json", ""), ("processor_config.json", "/image_processor")):
            data = ctx.obj(file_name)
            if data is None:
                continue
            if base:
                data = data.get("image_processor")
                if not isinstance(data, dict):
                    continue
            value = data.get("image_processor_type")
            if isinstance(value, str) and value and not _known(value, known):
                yield Finding(
                    file_name,
                    f"image_processor_type {value!r} is not an image processor of transformers {ctx.knowledge.label}",
                    pointer=f"{base}/image_processor_type",
                    help=_suggest(value, known),
                )


@register
class UnknownFeatureExtractor(Rule):
    code = "RL402"
    name = "unknown-feature-extractor-type"
    summary = "feature_extractor_type names no feature extractor (or image processor) of transformers or the repo"
    uses_knowledge = True
    why = (
        "AutoFeatureExtractor resolves `feature_extractor_type` by class name, and AutoImageProcessor "
        "maps a legacy `XFeatureExtractor` to `XImageProcessor`. A name known to neither raises "
        "`ValueError: Unrecognized feature extractor` unless auto_map provides the class."
    )
    fix_text = "Use the exact class name (e.g. \"Wav2Vec2FeatureExtractor\"), or add the custom class to auto_map."
    invalid = [Example({"preprocessor_config.json": '{\n  "feature_extractor_type": "Wav2VecFeatureExtractor"\n}\n'}, [("preprocessor_config.json", 2)])]
    valid = [Example({"preprocessor_config.json": '{\n  "feature_extractor_type": "Wav2Vec2FeatureExtractor"\n}\n'})]

    def check(self, ctx):
        if _auto_map_has(ctx, "AutoFeatureExtractor", "preprocessor_config.json", "processor_config.json", "config.json"):
            return
        k = ctx.knowledge
        fe, ip = k.classes("feature_extractor"), k.classes("image_processor")
        for file_name, base in (("preprocessor_config.json", ""), ("processor_config.json", "/feature_extractor")):
            data = ctx.obj(file_name)
            if data is None:
                continue
            if base:
                data = data.get("feature_extractor")
                if not isinstance(data, dict):
                    continue
            value = data.get("feature_extractor_type")
            if not isinstance(value, str) or not value or value in fe:
                continue
            if _known(value.replace("FeatureExtractor", "ImageProcessor"), ip):
                continue
            yield Finding(
                file_name,
                f"feature_extractor_type {value!r} is not a feature extractor of transformers {k.label}",
                pointer=f"{base}/feature_extractor_type",
                help=_suggest(value, fe),
            )


@register
class UnknownProcessorClass(Rule):
    code = "RL403"
    name = "unknown-processor-class"
    summary = "processor_class names no processor of transformers or of the repo"
    uses_knowledge = True
    why = (
        "AutoProcessor reads `processor_class` from processor_config.json, preprocessor_config.json "
        "or tokenizer_config.json. In transformers 5 an unknown name silently returns a bare "
        "tokenizer or image processor instead of the processor; 4.x raises `Unrecognized processing "
        "class`."
    )
    fix_text = "Use the exact processor class name (e.g. \"CLIPProcessor\"), or add the custom class to auto_map[\"AutoProcessor\"]."
    invalid = [Example({"processor_config.json": '{\n  "processor_class": "ClipProcessor"\n}\n'}, [("processor_config.json", 2)])]
    valid = [Example({"processor_config.json": '{\n  "processor_class": "CLIPProcessor"\n}\n'})]

    def check(self, ctx):
        files = ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")
        if _auto_map_has(ctx, "AutoProcessor", *files, "config.json"):
            return
        known = ctx.knowledge.classes("processor")
        for file_name in files:
            data = ctx.obj(file_name)
            value = data.get("processor_class") if data else None
            if isinstance(value, str) and value and value not in known:
                yield Finding(
                    file_name,
                    f"processor_class {value!r} is not a processor of transformers {ctx.knowledge.label}",
                    pointer="/processor_class",
                    help=_suggest(value, known),
                )


@register
class UnknownTokenizerClass(Rule):
    code = "RL404"
    name = "unknown-tokenizer-class"
    summary = "tokenizer_class names no tokenizer of transformers or of the repo"
    uses_knowledge = True
    why = (
        "AutoTokenizer resolves `tokenizer_class` by name (the `Fast` suffix is stripped in 5.x). "
        "transformers 5 falls back to a generic TokenizersBackend for an unknown name, silently "
        "dropping the class's special behaviour; 4.x raises `Tokenizer class X does not exist`."
    )
    fix_text = "Use the exact tokenizer class name, or ship the class and list it in auto_map[\"AutoTokenizer\"]."
    invalid = [Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokeniser"\n}\n', "tokenizer.json": "{}"}, [("tokenizer_config.json", 2)])]
    valid = [Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokenizer"\n}\n', "tokenizer.json": "{}"})]

    def check(self, ctx):
        # 4.x also took the custom tokenizer from config.json's auto_map; 5.x does not (RL307)
        sources = ("tokenizer_config.json",) if ctx.knowledge.major >= 5 else ("tokenizer_config.json", "config.json")
        if _auto_map_has(ctx, "AutoTokenizer", *sources):
            return
        known = ctx.knowledge.classes("tokenizer")
        for file_name in ("tokenizer_config.json", "config.json"):
            data = ctx.obj(file_name)
            value = data.get("tokenizer_class") if data else None
            if isinstance(value, str) and value and not _known(value, known):
                yield Finding(
                    file_name,
                    f"tokenizer_class {value!r} is not a tokenizer of transformers {ctx.knowledge.label}",
                    pointer="/tokenizer_class",
                    help=_suggest(value, known),
                )


@register
class TokenizerFilesMissing(Rule):
    code = "RL405"
    name = "tokenizer-files-missing"
    summary = "A tokenizer is configured but neither tokenizer.json nor its vocabulary files are in the repo"
    uses_knowledge = True
    why = (
        "Without tokenizer.json, transformers builds the tokenizer from the class's vocabulary files "
        "(vocab.txt, vocab.json + merges.txt, a SentencePiece model ...). With none present, "
        "transformers 5.23 silently builds an empty tokenizer for many classes (BertTokenizer and "
        "GPT2Tokenizer give a vocabulary of only the special tokens, and every word becomes [UNK]); "
        "other classes raise `Couldn't instantiate the backend tokenizer`."
    )
    fix_text = "Upload tokenizer.json (`tokenizer.save_pretrained(repo)` writes it), or the vocabulary files the class needs."
    invalid = [Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokenizer"\n}\n'}, [("tokenizer_config.json", 2)])]
    valid = [
        Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokenizer"\n}\n', "tokenizer.json": "{}"}),
        Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokenizer"\n}\n', "vocab.txt": "[PAD]\n"}),
    ]

    def check(self, ctx):
        data = ctx.obj("tokenizer_config.json")
        if data is None or _auto_map_has(ctx, "AutoTokenizer", "tokenizer_config.json"):
            return
        files = set(ctx.repo.top_level())
        if "tokenizer.json" in files:
            return
        cls = data.get("tokenizer_class")
        info = None
        if isinstance(cls, str):
            base = cls[:-4] if cls.endswith("Fast") else cls
            info = ctx.knowledge.tokenizer_files(cls) or ctx.knowledge.tokenizer_files(base)
        if info is not None:
            needed = [f for f in info.get("files", []) if f != "tokenizer_file" and not f.endswith("tokenizer.json")]
            present = [f for f in needed if f in files]
            if needed and len(present) == len(needed):
                return
            if not needed and any(f in files for f in VOCAB_HINTS):
                return
            what = ", ".join(needed) if needed else "a vocabulary file"
            yield Finding(
                "tokenizer_config.json",
                f"{cls} needs tokenizer.json or {what}, and the repo has none of them"
                if not present
                else f"{cls} needs {what} without tokenizer.json; missing: {', '.join(sorted(set(needed) - set(present)))}",
                pointer="/tokenizer_class" if "tokenizer_class" in data else "",
            )
        elif not any(f in files for f in VOCAB_HINTS):
            yield Finding(
                "tokenizer_config.json",
                "tokenizer_config.json is present but there is no tokenizer.json nor any vocabulary file",
                pointer="/tokenizer_class" if "tokenizer_class" in data else "",
            )
