"""x-severity / x-help annotations are found through $ref, also across schema files."""

from helpers import lint, write_repo


def test_annotations_follow_refs(tmp_path):
    root = write_repo(tmp_path / "m", {
        "processor_config.json": '{\n  "processor_class": "CLIPProcessor",\n  "image_processor": {"size": "big"}\n}\n',
        "tokenizer_config.json": '{\n  "bos_token": {"content": "<s>"}\n}\n',
    })
    by_file = {d.location.file: d for d in lint(root, select=["RL101"])}
    size = by_file["processor_config.json"]
    assert (size.location.line, size.severity.value) == (3, "warning")  # $defs/size in the preprocessor schema
    token = by_file["tokenizer_config.json"]
    assert token.severity.value == "error"
    assert token.help and "AddedToken" in token.help  # x-help on $defs/token
