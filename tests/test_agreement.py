"""Agreement: broken variants of repos written by transformers' save_pretrained.

Each variant applies one text edit to a valid fixture (tests/fixtures/valid). repolint must
report the expected rule at the expected line; and where transformers is installed, the
variant is loaded for real (tests/oracle.py, one subprocess for all) to confirm the verdict:
an error-level rule means transformers fails (or silently loads another class), a
warning-level rule means it loads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import lint

VALID = Path(__file__).parent / "fixtures" / "valid"


@dataclass
class Variant:
    id: str
    fixture: str
    file: str
    old: str | None  # text replaced (None: the whole file becomes `new`; "<delete>" deletes the file;
    # "<directory>": the file becomes a folder of that name holding `new` as placeholder.txt)
    new: str
    code: str
    marker: str | None  # the finding is on the first line containing this text (None: line 1)
    loader: str
    expect: str  # "fails" | "loads" | "other-class:<Name the author meant>" | "empty-tokenizer"
    trust: bool | None = None
    report_file: str | None = None  # where the finding is, when not `file`
    delete: tuple[str, ...] = ()  # other files of the fixture removed as part of the variant

    def where(self) -> str:
        return self.report_file or self.file


V = Variant
LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1842767\n"
VARIANTS = [
    V("trailing-comma", "bert", "config.json", '"vocab_size": 133\n', '"vocab_size": 133,\n', "RL001", '"vocab_size": 133,', "AutoConfig", "fails"),
    V("top-level-array", "bert", "config.json", None, '[{"model_type": "bert"}]\n', "RL002", None, "AutoConfig", "fails"),
    V("duplicate-key", "bert", "config.json", '"hidden_act": "gelu",', '"hidden_act": "gelu",\n  "hidden_act": "relu",', "RL003", '"hidden_act": "relu"', "AutoConfig", "loads"),
    V("nan", "bert", "config.json", '"layer_norm_eps": 1e-12', '"layer_norm_eps": NaN', "RL004", "NaN", "AutoConfig", "loads"),
    V("lfs-pointer", "bert", "config.json", None, "version https://git-lfs.github.com/spec/v1\noid sha256:0f\nsize 9\n", "RL006", None, "AutoConfig", "fails"),
    V("latin-1", "bert", "config.json", '"hidden_act": "gelu"', '"hidden_act": "g\udce9lu"', "RL007", "hidden_act", "AutoConfig", "fails"),
    V("field-type", "bert", "config.json", '"hidden_size": 32', '"hidden_size": "32"', "RL102", '"hidden_size"', "AutoConfig", "fails"),
    V("int-for-float-field", "bert", "config.json", '"initializer_range": 0.02', '"initializer_range": 0', "RL102", '"initializer_range"', "AutoConfig", "fails"),
    V("not-divisible", "llama", "config.json", '"hidden_size": 32', '"hidden_size": 33', "RL103", '"hidden_size"', "AutoConfig", "fails"),
    V("layer-types-count", "qwen2", "config.json", '"full_attention",\n    "full_attention"\n', '"full_attention"\n', "RL103", '"layer_types"', "AutoConfig", "fails"),
    V("sub-config-field-type", "clip", "config.json", '"vocab_size": 634', '"vocab_size": "634"', "RL102", '"vocab_size": "634"', "AutoConfig", "fails"),
    V("sub-config-not-divisible", "clip", "config.json", '"num_attention_heads": 2,\n    "num_hidden_layers": 2,\n    "pad_token_id": 1', '"num_attention_heads": 3,\n    "num_hidden_layers": 2,\n    "pad_token_id": 1', "RL103", '"hidden_size": 32', "AutoConfig", "fails"),
    V("sub-config-own-model-type", "llava", "config.json", '"model_type": "llama",', '"model_type": "qwen2",\n    "use_sliding_window": "yes",', "RL102", '"use_sliding_window"', "AutoConfig", "fails"),
    V("sub-config-float-field", "llava", "config.json", '"rms_norm_eps": 1e-06', '"rms_norm_eps": 1', "RL102", '"rms_norm_eps": 1', "AutoConfig", "fails"),
    V("model-type-other-family", "bert", "config.json", '"model_type": "bert"', '"model_type": "t5"', "RL102", '"classifier_dropout"', "AutoConfig", "fails"),
    V("unknown-model-type", "bert", "config.json", '"model_type": "bert"', '"model_type": "bertt"', "RL201", '"model_type"', "AutoConfig", "fails"),
    V("missing-model-type", "bert", "config.json", '  "model_type": "bert",\n', "", "RL202", None, "AutoConfig", "fails"),
    V("unknown-architecture", "bert", "config.json", '"BertForSequenceClassification"', '"BertForSequenceClasification"', "RL203", "BertForSequenceClasification", "AutoConfig", "loads"),
    V("label2id-mismatch", "bert", "config.json", '"positive": 2', '"positive": 1', "RL204", '"positive": 1', "AutoConfig", "loads"),
    V("bad-dtype", "bert", "config.json", '"dtype": "float32"', '"dtype": "float33"', "RL205", '"dtype"', "AutoConfig", "fails"),
    V("generation-param-in-config", "gpt2", "config.json", '"model_type": "gpt2",', '"model_type": "gpt2",\n  "temperature": 0.5,', "RL206", '"temperature"', "AutoConfig", "loads"),
    V("auto-map-dotted", "bert", "config.json", '"model_type": "bert",', '"model_type": "bert",\n  "auto_map": {"AutoModel": "models.modeling_x.XModel"},', "RL301", '"auto_map"', "AutoModel", "fails", trust=True),
    V("auto-map-value-list", "bert", "config.json", '"model_type": "bert",', '"model_type": "bert-x",\n  "auto_map": {"AutoConfig": ["configuration_x.XConfig"]},', "RL301", '"auto_map"', "AutoConfig", "fails", trust=True),
    V("tokenizer-auto-map-string", "bert", "tokenizer_config.json", '"backend": "tokenizers",', '"auto_map": {"AutoTokenizer": "tokenization_x.XTokenizer"},\n  "backend": "tokenizers",', "RL302", '"auto_map"', "AutoTokenizer", "fails", trust=True),
    V("unknown-auto-class-key", "bert", "config.json", '"model_type": "bert",', '"model_type": "bert",\n  "auto_map": {"AutoModelForCasualLM": "modeling_x.XForCausalLM"},', "RL303", '"auto_map"', "AutoConfig", "loads"),
    V("auto-map-module-missing", "bert", "config.json", '"model_type": "bert",', '"model_type": "bert-x",\n  "auto_map": {"AutoConfig": "configuration_x.XConfig"},', "RL304", '"auto_map"', "AutoConfig", "fails", trust=True),
    V("builtin-with-custom-code", "llama", "config.json", '"model_type": "llama",', '"model_type": "llama",\n  "auto_map": {"AutoConfig": "configuration_x.XConfig"},', "RL306", '"model_type": "llama"', "AutoConfig", "other-class:XConfig"),
    V("padding-side", "bert", "tokenizer_config.json", '"model_max_length": 64,', '"model_max_length": 64,\n  "padding_side": "middle",', "RL101", '"padding_side"', "AutoTokenizer", "fails"),
    V("id2label-key-not-int", "bert", "config.json", '"0": "negative"', '"zero": "negative"', "RL101", '"id2label"', "AutoConfig", "fails"),
    V("special-token-int", "bert", "tokenizer_config.json", '"pad_token": "[PAD]"', '"pad_token": 0', "RL101", '"pad_token"', "AutoTokenizer", "fails"),
    V("max-new-tokens-zero", "gpt2", "generation_config.json", '"bos_token_id": 0,', '"bos_token_id": 0,\n  "max_new_tokens": 0,', "RL101", '"max_new_tokens"', "GenerationConfig", "fails"),
    V("image-processor-type", "vit", "preprocessor_config.json", '"ViTImageProcessor"', '"VitImageProcessor"', "RL401", '"image_processor_type"', "AutoImageProcessor", "fails"),
    V("feature-extractor-type", "whisper", "processor_config.json", '"WhisperFeatureExtractor"', '"WhisperFeatureExtracter"', "RL402", "WhisperFeatureExtracter", "AutoFeatureExtractor", "fails"),
    V("processor-class", "clip", "processor_config.json", '"processor_class": "CLIPProcessor"', '"processor_class": "ClipProcessor"', "RL403", '"processor_class"', "AutoProcessor", "returns:Tokenizer"),
    V("processor-class-third-party-image", "vit", "processor_config.json", None, '{\n  "processor_class": "OtherLibProcessor"\n}\n', "RL403", '"processor_class"', "AutoProcessor", "returns:ImageProcessor"),
    V("processor-class-unknown-nothing-loads", "vit", "processor_config.json", None, '{\n  "processor_class": "OtherLibProcessor"\n}\n', "RL403", '"processor_class"', "AutoProcessor", "fails", delete=("preprocessor_config.json",)),
    V("processor-no-class-returns-tokenizer", "bert", "processor_config.json", None, "{}\n", "RL406", None, "AutoProcessor", "returns:Tokenizer"),
    V("processor-no-class-nothing-loads", "vit", "processor_config.json", None, '{\n  "do_resize": true\n}\n', "RL406", None, "AutoProcessor", "fails", delete=("preprocessor_config.json",)),
    V("processor-nested-untyped-nothing-loads", "vit", "processor_config.json", None, '{\n  "feature_extractor": {"sampling_rate": 16000}\n}\n', "RL406", None, "AutoProcessor", "fails", delete=("preprocessor_config.json", "config.json")),
    V("processor-nested-typed-returns-feature-extractor", "vit", "processor_config.json", None, '{\n  "feature_extractor": {"feature_extractor_type": "Wav2Vec2FeatureExtractor", "sampling_rate": 16000, "feature_size": 1, "padding_value": 0.0}\n}\n', "RL406", None, "AutoProcessor", "returns:FeatureExtractor", delete=("preprocessor_config.json", "config.json")),
    V("tokenizer-class", "bert", "tokenizer_config.json", '"BertTokenizer"', '"BertTokeniser"', "RL404", '"tokenizer_class"', "AutoTokenizer", "other-class:BertTokenizer"),
    V("tokenizer-class-no-tokenizer-json", "bert", "tokenizer_config.json", '"BertTokenizer"', '"BertTokeniser"', "RL404", '"tokenizer_class"', "AutoTokenizer", "fails", delete=("tokenizer.json",)),
    V("tokenizer-class-in-config-json", "bert", "config.json", '"model_type": "bert",', '"model_type": "bert",\n  "tokenizer_class": "BertTokeniser",', "RL404", '"tokenizer_class"', "AutoTokenizer", "other-class:BertTokenizer", delete=("tokenizer_config.json",)),
    V("tokenizer-class-in-config-json-no-registered-class", "llama", "config.json", '"model_type": "llama",', '"model_type": "llama",\n  "tokenizer_class": "LlamaTokenizerFats",', "RL404", '"tokenizer_class"', "AutoTokenizer", "fails", delete=("tokenizer_config.json",)),
    V("tokenizer-class-in-config-json-shadowed", "bert", "config.json", '"model_type": "bert",', '"model_type": "bert",\n  "tokenizer_class": "BertTokeniser",', "RL404", '"tokenizer_class"', "AutoTokenizer", "loads"),
    V("tokenizer-files-missing", "bert", "tokenizer.json", "<delete>", "", "RL405", '"tokenizer_class"', "AutoTokenizer", "empty-tokenizer", report_file="tokenizer_config.json"),
    # a repo cloned without git-lfs (real-world corpus, issue 11): tokenizer files that are pointers
    V("tokenizer-json-lfs-pointer", "bert", "tokenizer.json", None, LFS, "RL006", None, "AutoTokenizer", "fails"),
    V("vocab-lfs-pointer-no-tokenizer-json", "bert", "vocab.txt", None, LFS, "RL006", None, "AutoTokenizer", "empty-tokenizer", delete=("tokenizer.json",)),
    V("vocab-lfs-pointer-beside-tokenizer-json", "bert", "vocab.txt", None, LFS, "RL006", None, "AutoTokenizer", "loads"),
    V("added-tokens-lfs-pointer", "bert", "added_tokens.json", None, LFS, "RL006", None, "AutoTokenizer", "fails"),
    V("processor-class-int-read", "bert", "tokenizer_config.json", '"backend": "tokenizers",', '"backend": "tokenizers",\n  "processor_class": 1,', "RL101", '"processor_class"', "AutoProcessor", "fails"),
    V("processor-class-int-unread", "llava", "tokenizer_config.json", '"processor_class": "LlavaProcessor"', '"processor_class": 1', "RL101", '"processor_class"', "AutoProcessor", "loads"),
    V("config-is-a-folder", "bert", "config.json", "<directory>", "x", "RL009", None, "AutoConfig", "fails"),
    V("tokenizer-config-is-a-folder", "bert", "tokenizer_config.json", "<directory>", "x", "RL009", None, "AutoTokenizer", "loads"),
    V("safetensors-lfs-pointer", "bert", "model.safetensors", None, LFS, "RL801", None, "AutoModel", "fails"),
    V("greedy-num-return-sequences", "gpt2", "generation_config.json", '"bos_token_id": 0,', '"bos_token_id": 0,\n  "num_return_sequences": 3,', "RL501", '"num_return_sequences"', "GenerationConfig", "fails"),
]


def _make(variant: Variant, root: Path) -> Path:
    dest = root / variant.id
    shutil.copytree(VALID / variant.fixture, dest)
    for name in variant.delete:
        (dest / name).unlink()
    path = dest / variant.file
    if variant.old == "<delete>":
        path.unlink()
    elif variant.old == "<directory>":
        path.unlink()
        path.mkdir()
        (path / "placeholder.txt").write_text(variant.new, encoding="utf-8")
    elif variant.old is None:
        path.write_text(variant.new, encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
        assert variant.old in text, f"{variant.id}: fixture text changed"
        text = text.replace(variant.old, variant.new, 1)
        # surrogate escapes stand for raw bytes (an invalid-UTF-8 variant)
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return dest


def _expected_line(variant: Variant, dest: Path) -> int:
    if variant.marker is None:
        return 1
    raw = (dest / variant.where()).read_bytes().decode("utf-8", "surrogateescape")
    for i, line in enumerate(raw.splitlines(), 1):
        if variant.marker in line:
            return i
    raise AssertionError(f"{variant.id}: marker {variant.marker!r} not found")


@pytest.fixture(scope="module")
def variants_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    for v in VARIANTS:
        _make(v, root)
    return root


def _finding(variants_dir, variant):
    """repolint's finding for the variant: its rule, at the defect's line (None when absent)."""
    dest = variants_dir / variant.id
    diags = lint(dest)
    want = (variant.where(), _expected_line(variant, dest))
    hits = [d for d in diags if d.code == variant.code and (d.location.file, d.location.line) == want]
    return hits[0] if hits else None, diags


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_repolint_reports_the_defect(variants_dir, variant):
    hit, diags = _finding(variants_dir, variant)
    assert hit is not None, [f"{d.code} {d.location.line} {d.message}" for d in diags]


def test_every_rule_family_has_a_real_variant():
    codes = {v.code for v in VARIANTS}
    assert {"RL001", "RL101", "RL102", "RL103", "RL201", "RL301", "RL304", "RL401", "RL404", "RL501"} <= codes


@pytest.mark.parametrize("fixture", sorted(p.name for p in VALID.iterdir() if p.is_dir()))
def test_valid_fixtures_are_clean(fixture):
    assert [f"{d.code} {d.location.file}:{d.location.line} {d.message}" for d in lint(VALID / fixture)] == []


@pytest.fixture(scope="module")
def oracle(variants_dir):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    jobs = [{"dir": str(variants_dir / v.id), "loader": v.loader, "trust_remote_code": v.trust} for v in VARIANTS]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(variants_dir / "_modules")}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "oracle.py")],
        input=json.dumps(jobs), capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(zip((v.id for v in VARIANTS), json.loads(proc.stdout.strip().splitlines()[-1])))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_transformers_agrees(oracle, variants_dir, variant):
    outcome = oracle[variant.id]
    hit, _ = _finding(variants_dir, variant)
    assert hit is not None
    severity = hit.severity.value  # the finding's own severity (a rule may grade its findings)
    if variant.expect == "fails":
        assert not outcome["ok"], f"transformers loaded it as {outcome.get('class')}"
        assert severity == "error"
    elif variant.expect == "loads":
        assert outcome["ok"], outcome.get("error")
        assert severity in ("warning", "info")
    elif variant.expect == "empty-tokenizer":  # loads, but with only the special tokens
        assert outcome["ok"], outcome.get("error")
        assert outcome["size"] < 10 and severity == "error"
    elif variant.expect.startswith("returns:"):  # loads something else, and the warning says what
        assert outcome["ok"], outcome.get("error")
        what = variant.expect.split(":", 1)[1]
        assert what in outcome["class"], outcome["class"]
        assert severity in ("warning", "info")
        assert what.lower() in hit.message.lower().replace(" ", ""), hit.message
    else:  # silently another class than the author meant
        meant = variant.expect.split(":", 1)[1]
        assert outcome["ok"], outcome.get("error")
        assert outcome["class"] != meant
