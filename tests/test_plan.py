"""`repolint plan`: the load plan of the shipped examples, as a person and as a program sees it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_plan(*args: str):
    return subprocess.run([sys.executable, "-m", "repolint", "plan", *args], capture_output=True, text=True, cwd=ROOT)


def _statuses(step: dict, out: list, depth: int = 0) -> list:
    out.append((depth, step["text"], step["status"]))
    for child in step.get("children", []):
        _statuses(child, out, depth + 1)
    return out


def test_custom_code_example_json_is_pinned():
    r = run_plan("examples/custom-code", "-t", "5.24", "-t", "4.57", "--format", "json")
    assert r.returncode == 1, r.stderr  # a broken link on 5.24
    plans = json.loads(r.stdout)
    assert [p["release"] for p in plans] == ["5.24", "4.57"]
    new, old = plans
    assert [l["auto_class"] for l in new["loads"]] == ["AutoConfig", "AutoModel", "AutoModelForCausalLM"]
    # 5.24: both model loads break at the same import, with its location; the config loads
    assert new["loads"][0]["status"] == "ok"
    for load in new["loads"][1:]:
        assert load["status"] == "broken"
        module = next(c for c in load["children"] if c["text"].startswith("executes modeling_compat.py"))
        (imp,) = module["children"]
        assert imp == {
            "text": "from transformers.modeling_attn_mask_utils import AttentionMaskConverter",
            "status": "broken",
            "reason": "no module transformers.modeling_attn_mask_utils in this release (present in 4.35.2-5.23.0)",
            "location": {"file": "modeling_compat.py", "line": 3, "column": 1},
        }
    # 4.57: everything loads, and the 5.x-only contract checks (post_init) are not part of its plan
    flat = [s for load in old["loads"] for s in _statuses(load, [])]
    assert all(status == "ok" for _, _, status in flat), flat
    assert not any("post_init" in text for _, text, _ in flat)


def test_text_tree_marks_the_broken_link():
    r = run_plan("examples/custom-code", "-t", "5.24")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0] == "examples/custom-code on transformers 5.24: BROKEN"
    broken = [l for l in lines if "modeling_attn_mask_utils import" in l]
    assert broken and all(l.rstrip().endswith("(present in 4.35.2-5.23.0)") and "BROKEN" in l for l in broken)
    assert "[modeling_compat.py:3]" in broken[0]


def test_builtin_example_loads_on_every_shipped_release():
    for target in ("5.24", "5.23", "4.57"):
        r = run_plan("examples/tiny-bert", "-t", target)
        assert r.returncode == 0, r.stdout
        assert "AutoConfig: config.json model_type 'bert' -> BertConfig (built in)  ok" in r.stdout
        assert "AutoTokenizer: tokenizer_config.json tokenizer_class 'BertTokenizer' (built in)  ok" in r.stdout


def test_broken_example_and_bad_input():
    r = run_plan("examples/broken-model")
    assert r.returncode == 1 and "modeling_custom.py is not in the repo" in r.stdout
    r = run_plan("no/such/folder")
    assert r.returncode == 2 and "no such file or directory" in r.stderr and "Traceback" not in r.stderr
    r = run_plan("examples/tiny-bert", "-t", "9.9")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_odd_model_type_values_never_crash(tmp_path):
    """Fuzz reproducer (camp-2-204): a dict / list model_type next to architectures and custom code."""
    for i, mt in enumerate(({"\x00": "131"}, ["../../etc/passwd.X"], 7, None)):
        repo = tmp_path / f"r{i}"
        repo.mkdir()
        (repo / "config.json").write_text(json.dumps({"model_type": mt, "architectures": ["X"],
                                                      "auto_map": {"AutoModel": "modeling_x.X"}}))
        (repo / "modeling_x.py").write_text("from transformers import PreTrainedModel\n\n\nclass X(PreTrainedModel):\n    pass\n")
        r = run_plan(str(repo), "-t", "5.24", "-t", "4.57")
        assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
        c = subprocess.run([sys.executable, "-m", "repolint", "check", str(repo), "-t", "5.24", "-t", "4.57",
                            "--show-compat", "--format", "concise"], capture_output=True, text=True, cwd=ROOT)
        assert c.returncode in (0, 1) and "RL000" not in c.stdout and "Traceback" not in c.stderr, c.stdout + c.stderr
