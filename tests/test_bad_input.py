"""Bad input gives a diagnostic, never a traceback; and repolint never writes into a repo."""

from __future__ import annotations

import hashlib
import os

import pytest

from helpers import lint, write_repo
from test_cli import repolint

CASES = {
    "trailing-comma": ({"config.json": '{\n  "model_type": "bert",\n}\n'}, "RL001", 2, "trailing comma"),
    "empty": ({"config.json": ""}, "RL001", 1, "empty"),
    "truncated": ({"config.json": '{\n  "model_type": "be'}, "RL001", 2, "invalid JSON"),
    "bom": ({"config.json": '\ufeff{"model_type": "bert"}'}, "RL001", 1, "byte-order mark"),
    "array": ({"config.json": "[1, 2]"}, "RL002", 1, "an array"),
    "string": ({"tokenizer_config.json": '"hello"'}, "RL002", 1, "a string"),
    "duplicate": ({"config.json": '{\n  "model_type": "bert",\n  "model_type": "gpt2"\n}'}, "RL003", 3, "duplicate key 'model_type'"),
    "nan": ({"config.json": '{\n  "model_type": "bert",\n  "x": [1, NaN]\n}'}, "RL004", 3, "/x/1"),
    "lfs": ({"config.json": "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n"}, "RL006", 1, "Git LFS pointer"),
    "latin1": ({"config.json": b'{\n  "model_type": "bert",\n  "name": "caf\xe9"\n}'}, "RL007", 3, "not valid UTF-8"),
    "binary": ({"config.json": b"\x89PNG\r\n\x1a\n\x00\x00\x00"}, "RL007", 1, "binary"),
    "symlink-out": ({"config.json": "@symlink:/etc/hostname"}, "RL008", 1, "outside the repo"),
    "dangling": ({"config.json": "@symlink:missing.json"}, "RL008", 1, "dangling"),
    "directory": ({"config.json/inner.txt": "x"}, "RL009", 1, "not a regular file"),
    "deep": ({"config.json": "[" * 100000 + "]" * 100000}, "RL001", 1, "nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_a_diagnostic(tmp_path, name):
    files, code, line, text = CASES[name]
    root = write_repo(tmp_path / "repo", files)
    diags = lint(root)
    hits = [d for d in diags if d.code == code]
    assert hits, [f"{d.code} {d.message}" for d in diags]
    assert hits[0].location.line == line
    assert text in hits[0].message


def test_huge_file_is_not_read(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    with open(root / "config.json", "wb") as fh:  # a sparse 500 MB file: cheap to make
        fh.truncate(500 * 1024 * 1024)
    diags = lint(root)
    assert [d.code for d in diags] == ["RL005"]
    assert "500.0 MiB" in diags[0].message


def test_python_syntax_error_and_junk_files_do_not_crash_the_cli(tmp_path):
    files = {
        "config.json": '{"model_type": "bert"}',
        "modeling_x.py": "def broken(:\n",
        "weights.bin": b"\x00\x01\x02",
        "README.md": b"\xff\xfe not utf8",
    }
    write_repo(tmp_path / "m", files)
    r = repolint("check", "m", cwd=tmp_path)
    assert r.returncode in (0, 1)
    assert "Traceback" not in r.stderr


def _snapshot(root):
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            digest = hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.isfile(p) and not os.path.islink(p) else None
            state[os.path.relpath(p, root)] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return state


def test_check_never_writes_into_the_repo(tmp_path):
    root = write_repo(tmp_path / "m", {"config.json": '{\n "model_type": "lama",\n}', "tokenizer_config.json": "[]"})
    before = _snapshot(root)
    for fmt in ("full", "json", "sarif", "github", "concise"):
        repolint("check", "m", "--format", fmt, cwd=tmp_path)
    assert _snapshot(root) == before


def test_only_the_root_folder_is_read(tmp_path):
    # transformers reads root-level files only; folders below are never walked
    root = write_repo(tmp_path / "repo", {
        "config.json": '{"model_type": "bert"}',
        "old/config.json": '{"model_type": "bert",}',
        "deep/" + "/".join(["d"] * 50) + "/x.json": "{",
    })
    os.symlink(".", root / "loop")
    assert lint(root) == []


# -- regressions from the fuzzer (issue 11): each one a CLI run, as a user meets it -----------

import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def _check(tmp_path, repo="m", *args, fmt="json"):
    """`repolint check` in a subprocess: (exit code, findings or stdout, stderr)."""
    r = repolint("check", repo, "--format", fmt, *args, cwd=tmp_path)
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    out = json.loads(r.stdout) if fmt in ("json", "sarif") and r.returncode in (0, 1) else r.stdout
    return r.returncode, out, r.stderr


def _codes(findings):
    return sorted({f["code"] for f in findings})


def _nested(depth: int, inner: str) -> str:
    return '{\n  "model_type": "bert",\n  "x": ' + '{"a": ' * depth + inner + "}" * depth + "\n}\n"


def test_deep_json_finding_gets_its_position(tmp_path):
    # the position scanner was recursive: RecursionError at ~550 levels once a finding needed a span
    write_repo(tmp_path / "m", {"config.json": _nested(580, '{"k": 1, "k": NaN}')})
    code, findings, _ = _check(tmp_path)
    assert code == 0 and _codes(findings) == ["RL003", "RL004"], findings
    dup = next(f for f in findings if f["code"] == "RL003")
    assert dup["location"]["line"] == 3 and dup["location"]["column"] > 580 * 6


@pytest.mark.parametrize("labels", [
    '"id2label": {"0": ["NEG"], "1": {"x": 1}}, "label2id": {"NEG": 0}',
    '"id2label": {"0": "NEG", "1": "POS"}, "label2id": {"NEG": [0], "POS": {"x": 1}}',
])
def test_id2label_values_of_any_json_type(tmp_path, labels):
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "bert", ' + labels + "}"})
    code, findings, _ = _check(tmp_path)
    assert code in (0, 1) and "RL204" in _codes(findings) and "RL000" not in _codes(findings), findings


def test_integer_over_the_digit_limit_is_a_finding(tmp_path):
    write_repo(tmp_path / "m", {"config.json": '{\n  "model_type": "bert",\n  "vocab_size": ' + "7" * 5000 + "\n}\n"})
    code, findings, _ = _check(tmp_path)
    assert code == 1 and _codes(findings) == ["RL001"], findings
    assert findings[0]["location"]["line"] == 3 and "5000 digits" in findings[0]["message"]


def test_transformers_fails_on_an_integer_over_the_digit_limit(tmp_path):
    # the RL001 error above is a promise: transformers' own json.load must fail on the file
    pytest.importorskip("transformers")
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "bert", "vocab_size": ' + "7" * 5000 + "}"})
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "oracle.py")],
        input=json.dumps([{"dir": str(tmp_path / "m"), "loader": "AutoConfig"}]),
        capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300,
    )
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])[0]
    assert not outcome["ok"] and "ValueError" in outcome["error"], outcome


@pytest.mark.parametrize("files,expect", [
    ({"repolint.toml": b'select = ["caf\xe9"]\n'}, "repolint.toml: not valid UTF-8"),
    ({"pyproject.toml": "tool = 3\n"}, "pyproject.toml: `tool` must be a table"),
    ({"repolint.toml": "tool = 3\n"}, "repolint.toml: `tool` must be a table"),
    ({"pyproject.toml": "[tool]\nrepolint = 3\n"}, "[tool.repolint] must be a table"),
    ({"repolint.toml": "max-file-size = " + "9" * 5000 + "\n"}, "repolint.toml: TOML that cannot be read"),
    ({"repolint.toml": "x = " + "[" * 3000 + "]" * 3000 + "\n"}, "repolint.toml: TOML that cannot be read"),
    ({"repolint.toml": "@symlink:/etc/passwd"}, "repolint.toml: a symlink to /etc/passwd, outside the repo"),
    ({"pyproject.toml": "@symlink:/etc/passwd"}, "pyproject.toml: a symlink to /etc/passwd, outside the repo"),
    ({"repolint.toml": "@symlink:nowhere.toml"}, "repolint.toml: a dangling symlink"),
    ({"repolint.toml/x": ""}, "repolint.toml: not a regular file"),
])
def test_an_unusable_settings_file_is_one_line_and_exit_2(tmp_path, files, expect):
    # ruff's behaviour: a settings file it cannot use, found or named, stops the run (exit 2)
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "bert"}', **files})
    code, _, err = _check(tmp_path, fmt="concise")
    assert code == 2 and expect in err, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("repolint: error: ")


def test_settings_files_behind_symlinks(tmp_path):
    # a symlink inside the repo is followed; named explicitly (--config) one outside is used too
    write_repo(tmp_path / "shared", {"lint.toml": 'ignore = ["RL201"]\n'})
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "lama"}', "conf/lint.toml": 'ignore = ["RL201"]\n',
                                "repolint.toml": "@symlink:conf/lint.toml"})
    assert _check(tmp_path)[:2] == (0, [])
    (tmp_path / "m" / "repolint.toml").unlink()
    assert _check(tmp_path)[0] == 1
    assert _check(tmp_path, "m", "--config", str(tmp_path / "shared" / "lint.toml"))[:2] == (0, [])


def test_fifo_settings_file_does_not_block(tmp_path):
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "bert"}'})
    os.mkfifo(tmp_path / "m" / "repolint.toml")
    code, _, err = _check(tmp_path, fmt="concise")
    assert code == 2 and "not a regular file" in err
    code, _, err = _check(tmp_path, "m", "--config", str(tmp_path / "m" / "repolint.toml"), fmt="concise")
    assert code == 2 and "not a regular file" in err


NOT_UTF8 = "modeling_\udcff.py"  # the name b"modeling_\xff.py" as Python lists it


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "sarif", "github"])
def test_file_name_that_is_not_utf8(tmp_path, fmt):
    root = write_repo(tmp_path / "m", {"config.json": '{"model_type": "bert", "auto_map": {"AutoModel": "modeling_\\udcff.M"}}'})
    with open(os.path.join(os.fsencode(root), b"modeling_\xff.py"), "wb") as fh:
        fh.write(b"class M(:\n")
    for args in ([], ["-o", str(tmp_path / "report")]):
        r = repolint("check", "m", "--format", fmt, *args, cwd=tmp_path)
        assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr == "", r.stderr
        text = (tmp_path / "report").read_text(encoding="utf-8") if args else r.stdout
        assert "RL601" in text
        if fmt == "sarif":
            uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in json.loads(text)["runs"][0]["results"]]
            assert "m/modeling_%FF.py" in uris  # the file's real bytes, percent-encoded
        if fmt == "json":
            assert "m/" + NOT_UTF8.replace("\udcff", "\ufffd") in [d["repo"] + "/" + d["location"]["file"] for d in json.loads(text)]


@pytest.mark.parametrize("fmt", ["full", "concise"])
def test_control_characters_in_folder_and_file_names_are_escaped(tmp_path, fmt):
    write_repo(tmp_path / "a\nb\x1b[31m", {"config.json": '{"model_type": "lama", "auto_map": {"AutoModel": "modeling_\\u001b\\n.M"}}'})
    r = repolint("check", "a\nb\x1b[31m", "--format", fmt, cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "\x1b" not in r.stdout
    lines = r.stdout.splitlines()
    heads = [line for line in lines if "RL201" in line or "RL304" in line]
    assert len(heads) == 2 and all(h.startswith("a\\nb\\x1b[31m/config.json:1:") for h in heads), lines
    assert lines[-2:] == ["Found 2 errors in a\\nb\\x1b[31m.",  # and the model_type typo's fix, unsafe (hidden)
                          "No fixes available (1 hidden fix can be enabled with the --unsafe-fixes option)."]


def test_file_system_oddities(tmp_path):
    root = write_repo(tmp_path / "m", {
        "config.json": '{"model_type": "bert", "auto_map": {"AutoConfig": "configuration_x.C", "AutoModel": "modeling_d.M", '
                       '"AutoModelForCausalLM": "modeling_gone.M", "AutoModelForMaskedLM": "-rf x.M"}}',
        "tokenizer_config.json/inner": "",  # a folder named like a metadata file
        "modeling_d.py/inner.txt": "x",  # a folder named like a module
        "modeling_gone.py": "@symlink:nowhere/modeling_gone.py",
        "-rf x.py": "class M:\n    pass\n",
        "modèle ☃.py": "x = 1\n",
    })
    os.mkfifo(root / "configuration_x.py")
    os.mkfifo(root / "preprocessor_config.json")
    r = repolint("check", "m", "--format", "json", cwd=tmp_path)  # a FIFO opened for reading would block here
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    by_file = {}
    for f in json.loads(r.stdout):
        by_file.setdefault(f["location"]["file"], set()).add(f["code"])
    assert "RL000" not in {c for codes in by_file.values() for c in codes}, by_file
    assert "RL009" in by_file["tokenizer_config.json"] and "RL009" in by_file["preprocessor_config.json"], by_file


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    root = write_repo(tmp_path / "m", {"config.json": '{"model_type": "bert"}'})
    os.chmod(root / "config.json", 0)
    try:
        code, findings, _ = _check(tmp_path)
    finally:
        os.chmod(root / "config.json", 0o644)
    assert code == 1 and _codes(findings) == ["RL009"]


CRASHING_RULE = """
import sys
from repolint.registry import Example, Rule, register

@register
class Crashes(Rule):
    code = "RL999"
    name = "crashes"
    summary = "a rule with a bug"
    severity = "error"
    why = fix_text = "test"
    invalid = valid = [Example({})]

    def check(self, ctx):
        ctx.repo.json("config.json")
        yield from ()
        raise ZeroDivisionError("boom")

from repolint.cli import main
sys.argv = ["repolint", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("model_type,fail_on,exit_code", [("lama", "error", 1), ("bert", "error", 0), ("bert", "warning", 1)])
def test_a_rule_that_raises_is_an_internal_error_finding(tmp_path, model_type, fail_on, exit_code):
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "%s"}' % model_type})
    script = tmp_path / "crash.py"
    script.write_text(CRASHING_RULE)
    for fmt in ("json", "full", "sarif", "github", "concise"):
        r = subprocess.run([sys.executable, str(script), "check", "m", "--fail-on", fail_on, "--format", fmt],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120,
                           env={k: v for k, v in os.environ.items() if k != "REPOLINT_DEBUG"})
        assert r.returncode == exit_code and "Traceback" not in r.stderr, r.stderr
        assert "RL000" in r.stdout
        if fmt == "json":
            findings = json.loads(r.stdout)
            crash = next(f for f in findings if f["code"] == "RL000")
            assert crash["severity"] == "warning" and crash["location"]["file"] == "config.json"
            assert "internal error in RL999 [crashes]" in crash["message"] and "ZeroDivisionError: boom" in crash["message"]
            assert "please report" in crash["message"] and "crash.py" in crash["help"]
            assert ("RL201" in _codes(findings)) == (model_type == "lama")


def test_huge_max_file_size_setting(tmp_path):
    # read() was asked for max-file-size + 1 bytes up front: MemoryError (an RL000) for 2**62
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "lama"}', "repolint.toml": f"max-file-size = {2**62}\n"})
    code, findings, _ = _check(tmp_path)
    assert code == 1 and _codes(findings) == ["RL201"], findings


def test_full_report_of_many_findings_in_a_large_file(tmp_path):
    # the full format split the whole file into lines once per finding: over a minute for this one
    body = ",\n".join(f'  "k{i}": NaN' for i in range(6000))
    write_repo(tmp_path / "m", {"generation_config.json": '{\n  "pad": "' + "x" * 15_000_000 + '",\n' + body + "\n}\n"})
    start = time.perf_counter()
    code, out, _ = _check(tmp_path, fmt="full")
    from repolint.engine import MAX_PER_RULE_AND_FILE

    # the first MAX_PER_RULE_AND_FILE findings, then one that stands for the other 5,000
    assert code == 0 and out.count(": RL004 [") == MAX_PER_RULE_AND_FILE + 1
    assert f"and {6000 - MAX_PER_RULE_AND_FILE:,} more RL004 findings in this file" in out
    assert time.perf_counter() - start < 25


def test_messages_quoting_huge_values_are_clipped(tmp_path):
    # a rule quoting a 200,000-character value, many times over, made a 198 MB report (850 MB RSS)
    names = json.dumps(["A" * 200_000 + str(i) for i in range(50)])
    write_repo(tmp_path / "m", {"config.json": '{"model_type": "bert", "architectures": ' + names + "}"})
    code, out, _ = _check(tmp_path, fmt="concise")
    lines = [line for line in out.splitlines() if "RL203" in line]
    assert code == 0 and len(lines) == 50, out[:500]
    assert all(len(line) < 1300 and line.endswith("more characters]") for line in lines), max(map(len, lines))


def test_a_rule_firing_on_every_line_is_summarised_past_a_bound(tmp_path):
    """fuzz camp-2 (a 7.8 MB module of 126,000 suppression comments naming unknown rules:
    1.2 GB as SARIF): past MAX_PER_RULE_AND_FILE findings of one rule in one file, one summary
    finding stands for the rest; other rules and files are not affected."""
    from repolint.engine import MAX_PER_RULE_AND_FILE

    extra = MAX_PER_RULE_AND_FILE + 250
    module = ("from transformers import PretrainedConfig\n" + "y = 2  # repolint: ignore[RL999]\n" * extra
              + "class XConfig(PretrainedConfig):\n    model_type = 'x'\n")
    config = '{"model_type": "x", "auto_map": {"AutoConfig": "configuration_x.XConfig"}}'
    root = write_repo(tmp_path / "r", {"config.json": config, "configuration_x.py": module,
                                       "tokenizer_config.json": "{"})
    found = [d for d in lint(root) if d.code == "RL610"]
    assert len(found) == MAX_PER_RULE_AND_FILE + 1
    listed, summary = found[:-1], found[-1]
    assert [d.location.line for d in listed] == list(range(2, MAX_PER_RULE_AND_FILE + 2))
    assert summary.location.line == MAX_PER_RULE_AND_FILE + 2 and summary.fix is None
    assert summary.message.startswith(f"and {extra - MAX_PER_RULE_AND_FILE:,} more RL610 findings in this file")
    assert any(d.code == "RL009" or d.location.file == "tokenizer_config.json" for d in lint(root))


@pytest.mark.parametrize("fixture", ["custom_broken/register_missing_from_automap", "custom/custom_full"])
@pytest.mark.parametrize("model_type", [["tiny"], {"k": 1}, 3, None, True])
def test_model_type_of_any_json_type(tmp_path, fixture, model_type):
    """fuzz camp-2-32690: a list model_type met RL605's `in` test on a dict (TypeError, an RL000)."""
    import shutil

    src = Path(__file__).parent / "fixtures" / fixture
    repo = tmp_path / "m"
    shutil.copytree(src, repo)
    data = json.loads((repo / "config.json").read_text())
    data["model_type"] = model_type
    (repo / "config.json").write_text(json.dumps(data))
    findings = lint(repo, select=["ALL"], targets=["4.57", "5.23", "5.24"])
    assert not [f for f in findings if f.code == "RL000"], findings


def test_a_huge_binary_file_is_refused_from_its_head(tmp_path):
    """fuzz camp-2-44409: a 500 MiB sparse preprocessor_config.json under max-file-size = 2**62 was
    read whole (520 MB) to be called binary."""
    import tracemalloc

    from repolint.repo import Repo

    repo = tmp_path / "m"
    repo.mkdir()
    with open(repo / "preprocessor_config.json", "wb") as fh:
        fh.truncate(1 << 30)  # sparse: no disk used
    tracemalloc.start()
    try:
        text, problem = Repo(repo, max_file_size=1 << 62).read_text("preprocessor_config.json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text is None and problem.kind == "binary"
    assert peak < 1 << 20, peak


def test_thousands_of_unknown_tokenizer_json_keys_are_one_finding(tmp_path):
    """fuzz camp-3-1252: 5,000 unknown top-level keys in a 20 MB tokenizer.json were 5,000 RL409
    findings, each locating itself from the file's start (33 s). The parser fails at the first."""
    import json as _json

    keys = {f"k{i}": list(range(50)) for i in range(3000)}
    write_repo(tmp_path / "m", {"tokenizer_config.json": '{"tokenizer_class": "GPT2Tokenizer"}',
                                "tokenizer.json": _json.dumps({"version": "1.0", "added_tokens": [], **keys, "model": {"type": "BPE"}}, indent=2)})
    start = time.process_time()
    found = [f for f in lint(tmp_path / "m", select=["RL409"]) if "unknown top-level key" in f.message]
    assert time.process_time() - start < 5
    assert len(found) == 1 and "and 2,999 more" in found[0].message, found
