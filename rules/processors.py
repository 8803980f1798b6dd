"""RL4xx: tokenizer, image processor, feature extractor and processor classes and files."""

from __future__ import annotations

from repolint.edits import fix, replace_value
from repolint.jsonmap import pointer
from repolint.knowledge import did_you_mean
from repolint.registry import Example, Finding, Rule, register
from repolint.resolve import auto_map_entries
from repolint.suggest import unique_match

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


NAME_FIX_DETAIL = (
    "When exactly one class of the target is that close to the typo (the same name in other letter "
    "case, or the only one at the smallest edit distance), --fix writes it: safe when it is a class "
    "of config.json's model type (transformers' mapping lists it, or it carries the model's name, "
    "as LlamaTokenizerFast for LlamaConfig), unsafe otherwise."
)


def _name_fix(ctx, file_name: str, ptr: str, typo: str, known, mapping: str) -> dict | None:
    """Write the one class ``typo`` is close to; graded by whether config.json's model type
    vouches for it (``mapping``: the knowledge mapping of that kind of class by model type)."""
    meant = unique_match(typo, known)
    if meant is None:
        return None
    sure = _of_model_type(ctx, meant, mapping)
    return fix(f"Write {meant!r}" + (" (a class of this model type)" if sure else ""), "safe" if sure else "unsafe",
               replace_value(ctx.doc(file_name), file_name, ptr, meant))


def _of_model_type(ctx, name: str, mapping: str) -> bool:
    mt = (ctx.obj("config.json") or {}).get("model_type")
    if not isinstance(mt, str):
        return False
    base = name[:-4] if name.endswith("Fast") else name
    listed = ctx.knowledge.mapping(mapping).get(mt) or []
    if any(c in (name, base, base + "Fast") for c in (listed if isinstance(listed, list) else [listed])):
        return True
    config = ctx.knowledge.config_class(mt) or ""
    stem = config[: -len("Config")] if config.endswith("Config") else ""
    return len(stem) >= 3 and name.startswith(stem)


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
    fix_applicability = "mixed"
    fix_detail = NAME_FIX_DETAIL
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
                    fix=_name_fix(ctx, file_name, f"{base}/image_processor_type", value, known, "image_processors"),
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
    fix_applicability = "mixed"
    fix_detail = NAME_FIX_DETAIL
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
                fix=_name_fix(ctx, file_name, f"{base}/feature_extractor_type", value, fe, "feature_extractors"),
            )


# Where AutoProcessor looks for `processor_class` (and auto_map["AutoProcessor"]), in order; the
# first file that names a class wins (processing_auto.AutoProcessor.from_pretrained).
PROCESSOR_CLASS_FILES = ("processor_config.json", "preprocessor_config.json", "video_preprocessor_config.json", "tokenizer_config.json", "config.json")


def _first_processor_class(ctx) -> tuple[str, object] | None:
    for file_name in PROCESSOR_CLASS_FILES:
        data = ctx.obj(file_name)
        if data and data.get("processor_class") is not None:
            return file_name, data["processor_class"]
    return None


def processor_fallback(ctx) -> str | None:
    """What AutoProcessor returns when it has no processor class: it tries AutoTokenizer,
    AutoImageProcessor, AutoVideoProcessor (5.x) and AutoFeatureExtractor in turn and returns
    the first that loads. The description of the first one that may load, or None when none
    can (then it raises "Unrecognized processing class"). Verified on 5.23: with no tokenizer
    file, a built-in model_type whose tokenizer needs no file (bert, gpt2, clip) still gives an
    empty tokenizer, so a tokenizer mapping for the model_type counts as "may load"."""
    files = set(ctx.repo.top_level())
    proc = ctx.obj("processor_config.json") or {}
    tok = ctx.obj("tokenizer_config.json")
    config = ctx.obj("config.json") or {}
    mt = config.get("model_type")
    # a nested sub-processor dict loads only when it names its class ("feature_extractor_type", ...)
    # or config.json's model_type picks one: an untyped one fails (verified on 5.24)
    known_type = isinstance(mt, str) and mt in ctx.knowledge.model_types
    nested = {k for k in ("image_processor", "video_processor", "feature_extractor", "audio_processor")
              if isinstance(proc.get(k), dict)
              and (known_type or any(key.endswith("_type") and key != "model_type" for key in proc[k]))}
    tokenizer_named = bool(tok) and (tok.get("tokenizer_class") or _auto_map_has(ctx, "AutoTokenizer", "tokenizer_config.json"))
    config_am = config.get("auto_map")
    remote_config = isinstance(config_am, dict) and "AutoConfig" in config_am
    if ("tokenizer.json" in files or any(f in files for f in VOCAB_HINTS) or tokenizer_named
            or (isinstance(mt, str) and ctx.knowledge.mapping("tokenizers").get(mt)) or remote_config):
        return "the tokenizer"
    if "preprocessor_config.json" in files or "image_processor" in nested:
        return "the image processor (or feature extractor)"
    if ctx.knowledge.major >= 5 and ("video_preprocessor_config.json" in files or "video_processor" in nested):
        return "the video processor"
    if nested & {"feature_extractor", "audio_processor"}:
        return "the feature extractor"
    return None


@register
class UnknownProcessorClass(Rule):
    code = "RL403"
    name = "unknown-processor-class"
    summary = "processor_class names no processor of transformers, and no auto_map[\"AutoProcessor\"] provides it"
    severity = "warning"
    uses_knowledge = True
    why = (
        "AutoProcessor reads `processor_class` from processor_config.json, preprocessor_config.json, "
        "video_preprocessor_config.json, tokenizer_config.json or config.json (the first that has "
        "one). It does not fail on a name it cannot find: it falls back to AutoTokenizer, "
        "AutoImageProcessor, AutoVideoProcessor and AutoFeatureExtractor and returns the first that "
        "loads — a bare tokenizer or image processor instead of the processor (verified on 5.23). "
        "That is a warning: a class from another library is loaded by that library's users with "
        "its own class. Only when none of the fallbacks can load does AutoProcessor raise "
        "`Unrecognized processing class` (error)."
    )
    fix_text = "Use the exact processor class name (e.g. \"CLIPProcessor\"), or ship the class and add it to auto_map[\"AutoProcessor\"]."
    invalid = [
        Example({"processor_config.json": '{\n  "processor_class": "ClipProcessor"\n}\n', "tokenizer.json": "{}"}, [("processor_config.json", 2)]),
        Example({"processor_config.json": '{\n  "processor_class": "ClipProcessor"\n}\n'}, [("processor_config.json", 2)]),
    ]
    valid = [Example({"processor_config.json": '{\n  "processor_class": "CLIPProcessor"\n}\n'})]

    def check(self, ctx):
        if _auto_map_has(ctx, "AutoProcessor", *PROCESSOR_CLASS_FILES):
            return
        first = _first_processor_class(ctx)
        if first is None:
            return
        file_name, value = first
        known = ctx.knowledge.classes("processor")
        if not isinstance(value, str) or not value or value in known:
            return
        k = ctx.knowledge
        fallback = processor_fallback(ctx)
        suggestion = did_you_mean(value, known)
        hint = f"Did you mean {suggestion[0]!r}? " if suggestion else ""
        if fallback is None:
            yield Finding(
                file_name,
                f"processor_class {value!r} is not a processor of transformers {k.label}, and nothing AutoProcessor "
                "falls back to (tokenizer, image processor, video processor, feature extractor) can load: "
                "ValueError \"Unrecognized processing class\"",
                pointer="/processor_class",
                help=hint + "Name a transformers processor, or add auto_map[\"AutoProcessor\"].",
                severity="error",
            )
            return
        yield Finding(
            file_name,
            f"processor_class {value!r} is not a processor of transformers {k.label}: AutoProcessor does not fail, "
            f"it returns {fallback} instead of a processor",
            pointer="/processor_class",
            help=hint + "If the class comes from another library, its users load it with that library's class.",
        )


@register
class ProcessorClassMissing(Rule):
    code = "RL406"
    name = "processor-class-missing"
    summary = "processor_config.json exists, but no file names a processor class or an AutoProcessor auto_map"
    uses_knowledge = True
    why = (
        "With no `processor_class` in any file AutoProcessor reads and no auto_map[\"AutoProcessor\"], "
        "AutoProcessor uses the built-in processor of config.json's model_type, if any. Otherwise it "
        "falls back to AutoTokenizer, AutoImageProcessor, AutoVideoProcessor and AutoFeatureExtractor "
        "and returns the first that loads (a warning: not a processor); when none can load — no "
        "tokenizer file, no tokenizer for the model type, no preprocessor config, and no nested "
        "sub-processor dict that names its class (`feature_extractor_type`, ...) — it raises "
        "`ValueError: Unrecognized processing class` (verified on 5.23 and 5.24). transformers 4 also "
        "loads config.json first, unguarded, and fails with `Unrecognized model` when it has no "
        "known model_type."
    )
    fix_text = "Add `\"processor_class\"` (processor.save_pretrained writes it), or the files of the tokenizer / image processor the processor needs."
    invalid = [
        Example({"processor_config.json": '{\n  "do_resize": true\n}\n'}, [("processor_config.json", 1)]),
        Example({"processor_config.json": '{}\n', "tokenizer.json": "{}"}, [("processor_config.json", 1)]),
    ]
    valid = [
        Example({"processor_config.json": '{\n  "processor_class": "CLIPProcessor"\n}\n'}),
        Example({"processor_config.json": '{}\n', "config.json": '{"model_type": "clip"}'}),
    ]

    def check(self, ctx):
        if ctx.obj("processor_config.json") is None or _auto_map_has(ctx, "AutoProcessor", *PROCESSOR_CLASS_FILES):
            return
        if _first_processor_class(ctx) is not None:
            return  # RL403's
        k = ctx.knowledge
        config = ctx.obj("config.json") or {}
        mt = config.get("model_type")
        am = config.get("auto_map")
        if isinstance(mt, str) and k.mapping("processors").get(mt):
            return  # the model type's built-in processor
        if k.major < 5 and not (isinstance(mt, str) and mt in k.model_types) and not (isinstance(am, dict) and "AutoConfig" in am):
            yield Finding(
                "processor_config.json",
                f"no processor_class and no auto_map[\"AutoProcessor\"]: transformers {k.label} then loads config.json, "
                "which has no known model_type (ValueError \"Unrecognized model\")",
                pointer="",
            )
            return
        fallback = processor_fallback(ctx)
        if fallback is None:
            yield Finding(
                "processor_config.json",
                "no processor_class and no auto_map[\"AutoProcessor\"], and nothing AutoProcessor falls back to (tokenizer, "
                "image processor, video processor, feature extractor) can load: ValueError \"Unrecognized processing class\"",
                pointer="",
            )
        else:
            yield Finding(
                "processor_config.json",
                f"no processor_class and no auto_map[\"AutoProcessor\"]: AutoProcessor returns {fallback}, not a processor",
                pointer="",
                severity="warning",
            )


@register
class UnknownTokenizerClass(Rule):
    code = "RL404"
    name = "unknown-tokenizer-class"
    summary = "tokenizer_class names no tokenizer of transformers or of the repo"
    uses_knowledge = True
    why = (
        "AutoTokenizer resolves `tokenizer_class` by name (the `Fast` suffix is stripped in 5.x). "
        "transformers 5 silently falls back to a generic TokenizersBackend built from tokenizer.json for an "
        "unknown name in tokenizer_config.json, dropping the class's own behaviour (another class than the repo "
        "declares); without tokenizer.json it fails, and 4.x raises `Tokenizer class X does not exist`. "
        "config.json's tokenizer_class is read only when tokenizer_config.json names no class."
    )
    fix_text = "Use the exact tokenizer class name, or ship the class and list it in auto_map[\"AutoTokenizer\"]."
    fix_applicability = "mixed"
    fix_detail = NAME_FIX_DETAIL
    invalid = [Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokeniser"\n}\n', "tokenizer.json": "{}"}, [("tokenizer_config.json", 2)])]
    valid = [Example({"tokenizer_config.json": '{\n  "tokenizer_class": "BertTokenizer"\n}\n', "tokenizer.json": "{}"})]

    def check(self, ctx):
        # 4.x also took the custom tokenizer from config.json's auto_map; 5.x does not (RL307)
        sources = ("tokenizer_config.json",) if ctx.knowledge.major >= 5 else ("tokenizer_config.json", "config.json")
        if _auto_map_has(ctx, "AutoTokenizer", *sources):
            return
        known = ctx.knowledge.classes("tokenizer")
        own = (ctx.obj("tokenizer_config.json") or {}).get("tokenizer_class")
        for file_name in ("tokenizer_config.json", "config.json"):
            data = ctx.obj(file_name)
            value = data.get("tokenizer_class") if data else None
            if isinstance(value, str) and value and not _known(value, known):
                if file_name == "config.json" and isinstance(own, str) and own:
                    # AutoTokenizer reads config.json's tokenizer_class only when tokenizer_config.json
                    # names none (verified on 5.24 and 4.57: the repo loads tokenizer_config.json's class)
                    yield Finding(file_name, f"tokenizer_class {value!r} is not a tokenizer of transformers "
                                  f"{ctx.knowledge.label}; AutoTokenizer does not read it (tokenizer_config.json's "
                                  f"{own!r} wins)", pointer="/tokenizer_class", severity="info",
                                  help=_suggest(value, known))
                    continue
                written_by_5 = value == "TokenizersBackend" and ctx.knowledge.major < 5
                substitute = _tokenizer_fallback(ctx, file_name, value)
                yield Finding(
                    file_name,
                    f"tokenizer_class {value!r} is not a tokenizer of transformers {ctx.knowledge.label}"
                    + (" (transformers 5's save_pretrained writes it; 4.x raises \"Tokenizer class TokenizersBackend "
                       "does not exist\")" if written_by_5 else ""),
                    pointer="/tokenizer_class",
                    # the message stays release-neutral (one finding across targets); what 5.x does instead is help
                    help=("Name the model's own tokenizer class (e.g. \"LlamaTokenizerFast\") so that 4.x loads it too."
                          if written_by_5 else " ".join(filter(None, (
                              _suggest(value, known),
                              f"transformers {ctx.knowledge.label} does not fail: AutoTokenizer silently falls back to "
                              f"{substitute}, without the named class's own behaviour." if substitute else None))) or None),
                    fix=None if written_by_5 else _name_fix(ctx, file_name, "/tokenizer_class", value, known, "tokenizers"),
                )


_GENERIC_TOKENIZERS = frozenset({"TokenizersBackend", "PythonBackend", "PreTrainedTokenizerFast", "MistralCommonBackend"})


def _tokenizer_fallback(ctx, file_name: str, value: str) -> str | None:
    """What transformers 5 silently loads instead of an unknown tokenizer_class (None: it fails). Verified
    on 5.24 (tests/test_agreement.py): an unknown name in tokenizer_config.json, or one in
    config.json for a model type whose registered tokenizer is a class of its own, gives a generic
    TokenizersBackend built from tokenizer.json (for the model types transformers knows to declare
    a wrong class on the Hub, the registered class); without tokenizer.json, or for config.json's
    name otherwise, loading fails. 4.x always fails."""
    if ctx.knowledge.major < 5 or not ctx.repo.exists("tokenizer.json"):
        return None
    model_type = (ctx.obj("config.json") or {}).get("model_type")
    registered = ctx.knowledge.mapping("tokenizers").get(model_type) if isinstance(model_type, str) else None
    registered = registered[0].removesuffix("Fast") if registered and isinstance(registered[0], str) else None
    specialised = registered is not None and registered not in _GENERIC_TOKENIZERS and registered != value.removesuffix("Fast")
    if specialised and model_type in ctx.knowledge.data.get("models_with_incorrect_hub_tokenizer_class", ()):
        return f"the class it registers for model_type {model_type!r}, {registered}"
    if file_name == "tokenizer_config.json" or specialised:
        return "a generic TokenizersBackend built from tokenizer.json"
    return None


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
