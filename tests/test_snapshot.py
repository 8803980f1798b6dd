"""The shipped transformers snapshots (schemas/transformers-*.json, schemas/fields/*/).

(a) always: the shipped files load and look right;
(b) with transformers installed, at a shipped version: regenerating them in memory with
    scripts/sync_transformers.py gives exactly the shipped files (a stale snapshot fails);
(c) with transformers 5.x installed: the field schemas agree with what transformers really
    accepts and rejects, on a sample of model types.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
SCRIPT = ROOT / "scripts" / "sync_transformers.py"
SHIPPED_VERSIONS = ("4.57.6", "5.23.0")

# Reference counts (shared/reference/transformers-load-behaviour.md §5).
EXPECTED_COUNTS = {
    "5.23.0": {"model_types": 804, "auto_classes": 56, "auto_model_classes": 50, "auto_model_mapping_entries": 1845,
               "tokenizers": 309, "image_processors": 223, "processors": 196, "feature_extractors": 77,
               "video_processors": 51, "generation_params_popped": 34,
               "models_with_incorrect_hub_tokenizer_class": 41},
    "4.57.6": {"model_types": 421, "auto_classes": 48, "auto_model_classes": 42, "auto_model_mapping_entries": 1413,
               "tokenizers": 263, "image_processors": 138, "processors": 110, "feature_extractors": 80,
               "generation_params_popped": 0, "models_with_incorrect_hub_tokenizer_class": 0},
}
ONLY_IN_457 = {
    "code_llama", "deta", "efficientformer", "ernie_m", "gptsan-japanese", "granitevision", "graphormer", "jukebox",
    "mctct", "mega", "nat", "nezha", "open-llama", "perception_encoder", "qdqbert", "realm", "retribert",
    "speech_to_text_2", "trajectory_transformer", "transfo-xl", "tvlt", "van", "vit_hybrid", "xlm-prophetnet",
}


def _load_script():
    name = "repolint_sync_transformers"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sync = _load_script()


def _snapshot_file(version: str) -> Path:
    return SCHEMAS / f"transformers-{version}.json"


def _load(version: str) -> dict:
    return json.loads(_snapshot_file(version).read_text(encoding="utf-8"))


def _vt(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


# ------------------------------------------------------------------------------------------
# (a) shipped files
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", SHIPPED_VERSIONS)
def test_snapshot_shape(version):
    snap = _load(version)
    assert set(snap) == set(sync.SNAPSHOT_KEYS)
    assert snap["transformers_version"] == version
    assert snap["counts"] == sync.snapshot_counts(snap)
    for key, expected in EXPECTED_COUNTS[version].items():
        assert snap["counts"][key] == expected, key
    # deterministic serialisation
    assert _snapshot_file(version).read_text(encoding="utf-8") == sync.dumps_snapshot(snap)

    assert snap["auto_classes"] == sorted(snap["auto_classes"])
    assert set(snap["auto_class_kinds"]) == set(snap["auto_classes"])
    assert set(snap["model_mappings"]) == {a for a, k in snap["auto_class_kinds"].items() if k == "model"}
    assert snap["auto_class_kinds"]["AutoModelForCausalLM"] == "model"
    assert snap["auto_class_kinds"]["AutoTokenizer"] == "tokenizer"
    assert snap["auto_class_kinds"]["AutoVideoProcessor"] == "video_processor"
    assert set(snap["classes"]) == set(sync.CLASS_KINDS)
    for names in snap["classes"].values():
        assert names == sorted(set(names))

    mt = snap["model_types"]
    assert mt["bert"] == {"config_class": "BertConfig", "since": "4.0.0"}
    assert mt["llama"]["since"] == "4.28.0"
    for name, entry in mt.items():
        assert set(entry) == {"config_class", "since"}
        assert entry["config_class"] in snap["classes"]["config"], name
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["since"]), name
        assert (4, 0, 0) <= _vt(entry["since"]) <= _vt(version), name

    assert snap["model_mappings"]["AutoModel"]["bert"] == "BertModel"
    assert snap["model_mappings"]["AutoModel"]["funnel"] == ["FunnelModel", "FunnelBaseModel"]
    assert "BertModel" in snap["classes"]["model"]
    assert set(snap["tokenizer_files"]) == set(snap["classes"]["tokenizer"])
    assert "vocab.txt" in snap["tokenizer_files"]["BertTokenizer"]["files"]
    assert snap["tokenizer_files"]["PreTrainedTokenizerFast"]["fast"] is True
    assert "vocab.json" in snap["tokenizer_files"]["GPT2Tokenizer"]["files"]
    assert all(v == [] or isinstance(v, list) for v in snap["tokenizers"].values())


def test_versions_differ_as_documented():
    new, old = _load("5.23.0"), _load("4.57.6")
    assert "bert" in new["model_types"] and "bert" in old["model_types"]
    assert set(old["model_types"]) - set(new["model_types"]) == ONLY_IN_457
    assert {"AutoModelForVision2Seq", "AutoModelWithLMHead"} <= set(old["auto_classes"])
    assert not {"AutoModelForVision2Seq", "AutoModelWithLMHead"} & set(new["auto_classes"])
    assert set(new["auto_classes"]) - set(old["auto_classes"]) == {
        "AutoModelForDecision", "AutoModelForImageMatting", "AutoModelForMultimodalLM",
        "AutoModelForNormalEstimation", "AutoModelForPointmapEstimation", "AutoModelForPoseEstimation",
        "AutoModelForRNNT", "AutoModelForTDT", "AutoModelForTableRecognition", "AutoModelForTextRecognition",
    }
    # 5.x: one tokenizer class per model type; 4.x: (slow, fast) minus the missing one
    assert new["tokenizers"]["bert"] == ["BertTokenizer"]
    assert old["tokenizers"]["bert"] == ["BertTokenizer", "BertTokenizerFast"]
    assert old["tokenizer_files"]["BertTokenizer"]["fast"] is False
    assert new["tokenizer_files"]["BertTokenizer"]["fast"] is True
    assert new["image_processors"]["vit"] == ["ViTImageProcessor", "ViTImageProcessorPil"]
    assert old["image_processors"]["vit"] == ["ViTImageProcessor", "ViTImageProcessorFast"]
    assert new["allowed_layer_types"]["mlp_layer_types"] == ["sparse", "dense"]
    assert old["allowed_layer_types"] == {} and old["generation_params_popped"] == []
    assert "temperature" in new["generation_params_popped"]
    # both snapshots date shared model types from the same scan
    for name in set(new["model_types"]) & set(old["model_types"]):
        assert new["model_types"][name]["since"] == old["model_types"][name]["since"], name


def test_field_schema_files():
    snap = _load("5.23.0")
    directory = SCHEMAS / "fields" / "5.23.0"
    files = sorted(directory.glob("*.json"))
    assert len(files) == len(snap["model_types"])
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "\n" not in text.rstrip("\n"), path  # compact
        data = json.loads(text)
        assert {"model_type", "config_class", "properties", "validators"} <= set(data)
        assert path.name == data["model_type"] + ".json"
        assert snap["model_types"][data["model_type"]]["config_class"] == data["config_class"]
        for v in data["validators"]:
            assert v["kind"] in ("divisible", "layer_types")
    assert not (SCHEMAS / "fields" / "4.57.6").exists()  # 4.x configs are not strict dataclasses

    bert = json.loads((directory / "bert.json").read_text())
    props = bert["properties"]
    assert props["hidden_size"]["type"] == "integer"
    assert props["hidden_dropout_prob"]["type"] == ["integer", "number"]  # `float | int`
    assert props["initializer_range"]["type"] == "number"  # `float`: an int literal is rejected
    assert "architectures" not in props and "id2label" not in props  # base fields are not checked
    llama = json.loads((directory / "llama.json").read_text())
    assert {"kind": "divisible", "dividend": "hidden_size", "divisor": "num_attention_heads"}.items() <= \
        llama["validators"][0].items()


def test_check_value_python_number_semantics():
    check = sync.check_value
    assert check({"type": "integer"}, 3) and not check({"type": "integer"}, 3.0)
    assert not check({"type": "integer"}, True)
    assert check({"type": "number"}, 0.5) and not check({"type": "number"}, 1)
    assert check({"type": ["integer", "number"]}, 1) and check({"type": ["integer", "number"]}, 1.0)
    assert not check({"type": "boolean"}, 1)
    schema = {"anyOf": [{"type": ["null", "integer"]}, {"type": "array", "items": {"type": "integer"}}]}
    assert check(schema, None) and check(schema, [1, 2]) and not check(schema, [1, 2.0])
    assert check({"enum": ["a", 1]}, 1.0) and not check({"enum": [1]}, True)
    assert not check({"type": "object", "maxProperties": 0}, {"a": 1})
    assert not check({"type": "number", "minimum": 0.0, "maximum": 1.0}, 1.5)
    assert not check(sync.NEVER, [])


def test_annotation_to_schema_mirrors_huggingface_hub():
    conv = sync.annotation_to_schema
    assert conv(int) == {"type": "integer"}
    assert conv(float | int) == {"type": ["integer", "number"]}
    assert conv(list[int] | tuple[int, ...]) == {"type": "array", "items": {"type": "integer"}}
    assert conv(tuple[int, int]) == sync.NEVER
    assert conv(dict[int, str]) == {"type": "object", "maxProperties": 0}
    assert conv("int") == {}  # string annotations are not checked


# ------------------------------------------------------------------------------------------
# (b) regeneration equals the shipped files
# ------------------------------------------------------------------------------------------


def _installed_transformers():
    transformers = pytest.importorskip("transformers")
    if transformers.__version__ not in SHIPPED_VERSIONS:
        pytest.skip(f"no shipped snapshot for transformers {transformers.__version__}")
    return transformers


def test_regenerated_snapshot_matches_shipped():
    transformers = _installed_transformers()
    version = transformers.__version__
    since = sync.since_from_snapshot(_snapshot_file(version))  # no network
    regenerated = sync.build_snapshot(since=since)
    assert sync.dumps_snapshot(regenerated) == _snapshot_file(version).read_text(encoding="utf-8"), (
        f"schemas/transformers-{version}.json is stale: run "
        "`python scripts/sync_transformers.py --out schemas/ --no-since`"
    )


def test_regenerated_field_schemas_match_shipped():
    transformers = _installed_transformers()
    version = transformers.__version__
    directory = SCHEMAS / "fields" / version
    if _vt(version)[0] < 5:
        assert not directory.exists()
        return
    names = json.loads(_snapshot_file(version).read_text())["model_types"]
    schemas, _ = sync.build_field_schemas({mt: v["config_class"] for mt, v in names.items()})
    shipped = {p.stem: p.read_text(encoding="utf-8") for p in directory.glob("*.json")}
    assert set(shipped) == set(schemas)
    stale = [mt for mt, entry in schemas.items() if sync.dumps_compact(entry) != shipped[mt]]
    assert not stale, f"stale field schemas: {stale[:10]}"


# ------------------------------------------------------------------------------------------
# (c) field schemas vs transformers' real behaviour
# ------------------------------------------------------------------------------------------

# model types with divisibility validators, interval/positive-int field validators, sub-configs,
# attribute_map aliases and Literal fields
SAMPLE = ["bert", "llama", "gpt2", "clip_text_model", "qwen2_vl", "t5", "mistral", "vit", "whisper",
          "gemma3_text", "esm", "dbrx", "aya_vision", "neucodec", "jais2"]
CANDIDATES = ["x", "", 0, 1, 7, -1, 0.5, 1.0, -1.5, True, False, None, [], [1], [1.0], ["a"], [True], {},
              {"a": 1}, {"full_attention": {}}]


def _strict_5x():
    transformers = pytest.importorskip("transformers")
    if _vt(transformers.__version__)[0] < 5:
        pytest.skip("field schemas exist for transformers 5.x only")
    directory = SCHEMAS / "fields" / transformers.__version__
    if not directory.is_dir():
        pytest.skip(f"no shipped field schemas for transformers {transformers.__version__}")
    from huggingface_hub.errors import StrictDataclassFieldValidationError
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    return directory, CONFIG_MAPPING, StrictDataclassFieldValidationError


def _build(config_mapping, model_type, values):
    """None if transformers accepts the config dict, else the exception."""
    try:
        config_mapping[model_type].from_dict(dict(values))
    except Exception as e:  # noqa: BLE001 - any rejection counts
        return e
    return None


def _field_error_for(exc, field_error_cls, name) -> bool:
    return isinstance(exc, field_error_cls) and str(exc).startswith(f"Validation error for field '{name}'")


@pytest.mark.parametrize("model_type", SAMPLE)
def test_field_schema_agrees_with_transformers(model_type):
    directory, config_mapping, field_error = _strict_5x()
    path = directory / f"{model_type}.json"
    if not path.is_file():
        pytest.skip(f"{model_type} has no field schema")
    schema = json.loads(path.read_text())
    cls = config_mapping[model_type]
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(cls)}
    assert _build(config_mapping, model_type, {}) is None  # defaults load
    checked = 0
    for name, prop in schema["properties"].items():
        # custom field validators we did not encode make the schema deliberately permissive
        unencoded = any(sync._custom_validator_constraints(v) is None for v in fields[name].metadata.get("validator") or [])
        for value in CANDIDATES:
            accepted = sync.check_value(prop, value)
            exc = _build(config_mapping, model_type, {name: value})
            if not accepted:
                assert exc is not None, f"{model_type}.{name}={value!r}: schema rejects, transformers accepts"
                checked += 1
            elif not unencoded:
                assert not _field_error_for(exc, field_error, name), (
                    f"{model_type}.{name}={value!r}: schema accepts, transformers rejects the field: {exc}"
                )
        if "default" in prop:
            assert sync.check_value(prop, prop["default"]), f"{model_type}.{name}: default fails its schema"
    assert checked > 0


def test_string_annotated_and_aliased_fields_are_not_type_checked():
    directory, config_mapping, field_error = _strict_5x()
    # PreTrainedConfig's own fields live in a `from __future__ import annotations` module
    assert _build(config_mapping, "bert", {"architectures": "BertModel", "problem_type": "ranking"}) is None
    # a key that is an attribute_map alias bypasses the check of the field it maps to
    assert _build(config_mapping, "gpt2", {"hidden_size": "abc"}) is None
    assert _field_error_for(_build(config_mapping, "gpt2", {"n_embd": "abc"}), field_error, "n_embd")
    gpt2 = json.loads((directory / "gpt2.json").read_text())
    assert gpt2["attribute_map"]["hidden_size"] == "n_embd" and "hidden_size" not in gpt2["properties"]


def _divisible_samples(directory):
    out = []
    for mt in SAMPLE + ["altclip_text_model", "cwm", "mellum", "arcee"]:
        path = directory / f"{mt}.json"
        if path.is_file():
            data = json.loads(path.read_text())
            out += [(mt, data, v) for v in data["validators"] if v["kind"] == "divisible"]
    return out


def test_divisible_validators_agree_with_transformers():
    directory, config_mapping, _ = _strict_5x()
    samples = _divisible_samples(directory)
    assert len({mt for mt, _, _ in samples}) >= 3
    for mt, data, v in samples:
        props = data["properties"]
        divisor = props[v["divisor"]].get("default")
        dividend = props[v["dividend"]].get("default")
        assert isinstance(divisor, int) and divisor > 1 and isinstance(dividend, int), (mt, v)
        good = {v["dividend"]: divisor * 3, v["divisor"]: divisor}
        bad = {v["dividend"]: divisor * 3 + 1, v["divisor"]: divisor}
        assert _build(config_mapping, mt, good) is None, (mt, good)
        exc = _build(config_mapping, mt, bad)
        assert exc is not None, (mt, bad)
        if "message" in v:
            assert v["message"].format(**bad) in str(exc), (mt, str(exc))


@pytest.mark.parametrize("model_type", ["bert", "llama", "mistral", "qwen2_vl_text"])
def test_layer_types_validator_agrees_with_transformers(model_type):
    directory, config_mapping, _ = _strict_5x()
    data = json.loads((directory / f"{model_type}.json").read_text())
    spec = {v["attribute"]: v for v in data["validators"] if v["kind"] == "layer_types"}
    attn, mlp = spec["layer_types"], spec["mlp_layer_types"]
    count = attn["count_attribute"]
    legacy = next(iter(attn["remap"]))
    ok = {count: 2, "layer_types": [attn["allowed"][0], legacy]}
    assert _build(config_mapping, model_type, ok) is None
    assert _build(config_mapping, model_type, {count: 2, "layer_types": [attn["allowed"][0], "nope"]})
    assert _build(config_mapping, model_type, {count: 2, "layer_types": [attn["allowed"][0]]})
    assert _build(config_mapping, model_type, {**ok, "mlp_layer_types": mlp["allowed"][:1] * 2}) is None
    assert _build(config_mapping, model_type, {**ok, "mlp_layer_types": ["nope", "nope"]})
    assert _build(config_mapping, model_type, {**ok, "mlp_layer_types": mlp["allowed"][:1] * 3})
    if "layer_types" not in data["properties"]:
        # mlp_layer_types is only looked at when layer_types is set (classes with a `layer_types`
        # field may derive it in __post_init__, so there it can be checked even when absent)
        assert _build(config_mapping, model_type, {count: 2, "mlp_layer_types": ["nope"]}) is None
