"""RL407: a built-in processor class whose parts (tokenizer, image processor, ...) the repo lacks.

``ProcessorMixin.from_pretrained`` loads each part of the processor on its own, from the repo
root, and the first that cannot load makes ``AutoProcessor.from_pretrained`` fail. Which parts a
class has is data (``Knowledge.processor_parts``, read from the classes of each release); where
each part is read from is what the releases' loaders do (verified with the oracles in
tests/test_processor_parts_agreement.py):

* image processor -- 5.x: ``processor_config.json["image_processor"]``, else
  preprocessor_config.json; 4.x: preprocessor_config.json, else the whole processor_config.json.
  Neither: ``OSError: Can't load image processor``.
* feature extractor (and a 5.x ``audio_processor``) -- the same with the nested
  ``feature_extractor`` / ``audio_processor`` entry: ``OSError: Can't load feature extractor``.
* video processor -- 5.x: nested ``video_processor``, video_preprocessor_config.json, then
  preprocessor_config.json; 4.x: those two files, then processor_config.json. Not loadable by the
  oracles here (torchvision), so a warning.
* tokenizer -- no tokenizer file at all. 5.x AutoTokenizer then builds the class of config.json's
  model_type, or a TokenizersBackend when there is none; the backend raises ``ValueError:
  Couldn't instantiate the backend tokenizer`` (an error), while a model type's own class may
  build an empty tokenizer or raise, depending on the class (a warning). 4.x builds the class
  the processor names from nothing (a warning: most classes raise).
"""

from __future__ import annotations

from repolint.registry import Example, Finding, Rule, register
from repolint.rules.processors import PROCESSOR_CLASS_FILES, VOCAB_HINTS, _auto_map_has, _first_processor_class

# modality -> (what it is, the nested processor_config.json keys (5.x), the files read (5.x),
# the files read (4.x), the exception), in the order ProcessorMixin matches attribute names
_PARTS = {
    "image_processor": ("an image processor", ("image_processor",), ("preprocessor_config.json",),
                        ("preprocessor_config.json", "processor_config.json"), "OSError \"Can't load image processor\""),
    "video_processor": ("a video processor", ("video_processor",), ("video_preprocessor_config.json", "preprocessor_config.json"),
                        ("video_preprocessor_config.json", "preprocessor_config.json", "processor_config.json"),
                        "OSError \"Can't load video processor\""),
    "feature_extractor": ("a feature extractor", ("feature_extractor", "audio_processor"), ("preprocessor_config.json",),
                          ("preprocessor_config.json", "processor_config.json"), "OSError \"Can't load feature extractor\""),
    "audio_processor": ("an audio processor (a feature extractor)", ("feature_extractor", "audio_processor"),
                        ("preprocessor_config.json",), None, "OSError \"Can't load feature extractor\""),
}
# any of these at the root and AutoTokenizer has something to read (RL405 judges whether it is enough)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "tekken.json", *VOCAB_HINTS)
_BACKEND_RAISES = "ValueError \"Couldn't instantiate the backend tokenizer\""


def _declared(ctx) -> tuple[str, str, str] | None:
    """(processor class, file, pointer) of the built-in processor AutoProcessor loads, or None (a
    custom class, an unknown name, or nothing declared)."""
    if _auto_map_has(ctx, "AutoProcessor", *PROCESSOR_CLASS_FILES):
        return None
    first = _first_processor_class(ctx)
    if first is not None:
        file_name, value = first
        return (value, file_name, "/processor_class") if isinstance(value, str) else None
    # processor_config.json without processor_class: the model type's built-in processor
    mt = (ctx.obj("config.json") or {}).get("model_type")
    if ctx.obj("processor_config.json") is not None and isinstance(mt, str) and mt in ctx.knowledge.model_types:
        listed = ctx.knowledge.mapping("processors").get(mt) or []
        if listed and isinstance(listed[0], str):
            return listed[0], "processor_config.json", ""
    return None


def _nested_keys(ctx) -> set[str] | None:
    """The keys of processor_config.json (empty without it; None when it exists but is not an object)."""
    if not ctx.repo.exists("processor_config.json"):
        return set()
    data = ctx.obj("processor_config.json")
    return set(data) if isinstance(data, dict) else None


def _missing_part(ctx, modality: str, files: set[str], nested: set[str]) -> str | None:
    """Where the repo fails to provide ``modality`` (the phrase for the message), or None."""
    what, keys, files5, files4, _ = _PARTS[modality]
    read = files5 if ctx.knowledge.major >= 5 else files4
    if read is None or any(f in files for f in read) or (ctx.knowledge.major >= 5 and nested & set(keys)):
        return None
    if "processor_config.json" in files:
        entries = " or ".join(f'"{k}"' for k in keys)
        return (f"the repo has no {' or '.join(files5)} and processor_config.json has no {entries} entry "
                "(transformers 4 reads the whole processor_config.json instead)")
    names = [*files5, "processor_config.json"]
    return "the repo has no " + ", no ".join(names[:-1]) + " and no " + names[-1]


def _tokenizer_problem(ctx, files: set[str]) -> tuple[str, str] | None:
    """(what happens, severity) when the repo has no tokenizer file at all, else None."""
    if any(f in files for f in TOKENIZER_FILES):
        return None
    k = ctx.knowledge
    if k.major < 5:
        return (f"transformers {k.label} builds the tokenizer class the processor names from no vocabulary file "
                "(most classes raise)", "warning")
    if ctx.repo.exists("config.json"):
        config = ctx.obj("config.json")
        if config is None:
            return None  # unreadable: what AutoConfig makes of it is another rule's
        am = config.get("auto_map")
        if config.get("tokenizer_class") is not None or (isinstance(am, dict) and "AutoConfig" in am):
            return None
        mt = config.get("model_type")
        listed = k.mapping("tokenizers").get(mt) if isinstance(mt, str) and mt in k.model_types else None
        name = next((n for n in listed or () if isinstance(n, str)), None)
        if name is not None:
            info = k.tokenizer_files(name) or k.tokenizer_files(name.removesuffix("Fast")) or {}
            if not [f for f in info.get("files", ()) if f != "tokenizer_file"]:
                return None  # a class that needs no vocabulary (byte-level)
            return (f"AutoTokenizer builds {name} (config.json's model_type {mt!r}) from no vocabulary: depending on "
                    "the class an empty tokenizer (every word unknown) or an error", "warning")
    return (f"AutoTokenizer falls back to TokenizersBackend (no model type with a tokenizer of its own), which raises "
            f"{_BACKEND_RAISES}", "error")


@register
class ProcessorPartMissing(Rule):
    code = "RL407"
    name = "processor-part-missing"
    summary = "The repo declares a transformers processor, but a part it loads (tokenizer, image processor, ...) is absent"
    uses_knowledge = True
    why = (
        "A processor (`processor_class: \"WhisperProcessor\"`, or the model type's processor when only "
        "processor_config.json is there) is loaded part by part: its feature extractor, image processor or video "
        "processor from preprocessor_config.json (video_preprocessor_config.json for video) or, in transformers 5, "
        "from the matching entry of processor_config.json (transformers 4 reads the whole processor_config.json), and "
        "its tokenizer with AutoTokenizer. A part with nothing to read makes AutoProcessor raise, e.g. `OSError: Can't "
        "load feature extractor`, although the repo names the processor. Without any tokenizer file, transformers 5 "
        "builds config.json's model-type tokenizer from nothing (an empty tokenizer or an error, by class: a warning) "
        "or, when there is no such class, a TokenizersBackend that raises `Couldn't instantiate the backend "
        "tokenizer` (an error). A video processor could not be loaded by the tests' oracles, hence a warning."
    )
    fix_text = ("Upload the missing part (`processor.save_pretrained(repo)` writes all of them), or declare the class "
                "the repo really is (e.g. drop a stray `processor_class` from tokenizer_config.json).")
    invalid = [
        Example({"tokenizer_config.json": '{\n  "tokenizer_class": "WhisperTokenizer",\n  "processor_class": "WhisperProcessor"\n}\n',
                 "tokenizer.json": "{}"}, [("tokenizer_config.json", 3)]),
        Example({"preprocessor_config.json": '{\n  "image_processor_type": "Qwen2VLImageProcessor",\n  "processor_class": "Qwen2VLProcessor"\n}\n'},
                [("preprocessor_config.json", 3)]),
    ]
    valid = [
        Example({"processor_config.json": '{\n  "feature_extractor": {"feature_extractor_type": "WhisperFeatureExtractor"},\n'
                 '  "processor_class": "WhisperProcessor"\n}\n', "tokenizer.json": "{}"}),
        Example({"preprocessor_config.json": '{\n  "processor_class": "CLIPProcessor"\n}\n', "tokenizer.json": "{}"}),
    ]

    def check(self, ctx):
        declared = _declared(ctx)
        parts = ctx.knowledge.processor_parts(declared[0]) if declared else None
        nested = _nested_keys(ctx)
        if not parts or nested is None:
            return
        cls, file_name, ptr = declared
        who = f"processor_class {cls!r}" if ptr else f"the processor of this model type, {cls},"
        files = set(ctx.repo.top_level())
        for attr in parts:
            if attr == "tokenizer":
                problem = _tokenizer_problem(ctx, files)
                if problem:
                    yield Finding(file_name, f"{who} needs a tokenizer, and the repo has no tokenizer file: {problem[0]}",
                                  pointer=ptr, severity=problem[1],
                                  help="Upload tokenizer.json and tokenizer_config.json (`tokenizer.save_pretrained(repo)`).")
            elif attr in _PARTS:
                where = _missing_part(ctx, attr, files, nested)
                if where:
                    what, *_, raises = _PARTS[attr]
                    yield Finding(file_name, f"{who} needs {what}, and {where}: AutoProcessor raises {raises}",
                                  pointer=ptr, severity="warning" if attr == "video_processor" else None)
