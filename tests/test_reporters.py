"""The output formats, on hand-built results over a real temporary repo folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from repolint import reporters
from repolint.diagnostics import Diagnostic, Edit, Fix, Location
from repolint.engine import Result
from repolint.repo import Repo
from repolint.reporters import github as github_reporter

CONFIG = """{
  "architectures": ["MyModel"],
  "hidden_size": 768,
  "model_type": "bert-ish",
  "auto_map": {
    "AutoModel": "modeling_my.MyModel"
  },
  "vocab_size": 30522
}
"""
LINES = CONFIG.split("\n")
LABEL = "examples/broken-model"
SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "shared/reference/schemas/sarif-schema-2.1.0.json"
ANSI = "\x1b["


def col_of(line: int, needle: str) -> int:
    return LINES[line - 1].index(needle) + 1


MT_COL = col_of(4, '"bert-ish"')
AM_COL = col_of(5, "{")
HS_COL = col_of(3, "768")
WEIRD_MESSAGE = "100% broken: a, b\nsecond line"


def make_diagnostics() -> list[Diagnostic]:
    return [
        Diagnostic(
            code="RL901",
            name="unknown-model-type",
            severity="error",
            message='model_type "bert-ish" is not a model type transformers knows',
            location=Location(file="config.json", line=4, column=MT_COL, end_line=4, end_column=MT_COL + 10),
            repo=LABEL,
            help='Use a registered model type, e.g. "bert".',
            fix=Fix(
                description='Replace "bert-ish" with "bert"',
                applicability="unsafe",
                edits=[
                    Edit(file="config.json", line=4, column=MT_COL, end_line=4, end_column=MT_COL + 10, content='"bert"')
                ],
            ),
            targets=["5.23", "4.57"],
        ),
        Diagnostic(
            code="RL902",
            name="auto-map-without-code",
            severity="warning",
            message="auto_map names modeling_my.MyModel, but modeling_my.py is missing",
            location=Location(file="config.json", line=5, column=AM_COL, end_line=7, end_column=4),
            repo=LABEL,
        ),
        Diagnostic(
            code="RL903",
            name="odd-hidden-size",
            severity="info",
            message=WEIRD_MESSAGE,
            location=Location(file="config.json", line=3, column=HS_COL, end_line=3, end_column=HS_COL + 3),
            repo=LABEL,
        ),
    ]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A workspace (the working directory) holding examples/broken-model/config.json."""
    root = tmp_path / LABEL
    root.mkdir(parents=True)
    (root / "config.json").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def results(workspace):
    return [Result(Repo(workspace / LABEL, label=LABEL), make_diagnostics())]


# -- dispatch ----------------------------------------------------------------------


def test_formats_and_unknown_format(results):
    assert reporters.FORMATS == ("full", "concise", "json", "github", "sarif")
    for fmt in reporters.FORMATS:
        assert isinstance(reporters.render(fmt, results), str)
    with pytest.raises(ValueError):
        reporters.render("xml", results)


def test_package_import_is_light():
    code = (
        "import sys; import repolint.reporters as r; "
        "heavy = [m for m in ('pydantic', 'repolint.reporters.full', 'repolint.reporters.sarif', "
        "'repolint.engine') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "[]"


# -- full --------------------------------------------------------------------------


def test_full_header_excerpt_and_notes(results):
    out = reporters.render("full", results)
    lines = out.split("\n")
    header = f'{LABEL}/config.json:4:{MT_COL}: RL901 [unknown-model-type] model_type "bert-ish" is not a model type transformers knows'
    assert header in lines
    i = lines.index(header)
    # gutter, line before, offending line, caret under the span
    assert lines[i + 1] == "  |"
    assert lines[i + 2] == "3 | " + LINES[2]
    assert lines[i + 3] == "4 | " + LINES[3]
    caret = lines[i + 4]
    assert caret.startswith("  | ")
    src = lines[i + 3]
    assert caret.index("^") == src.index('"bert-ish"')
    assert caret.count("^") == len('"bert-ish"')
    assert caret.rstrip().endswith("^")
    assert lines[i + 5] == '  = help: Use a registered model type, e.g. "bert".'
    assert lines[i + 6] == '  = fix (unsafe, with --unsafe-fixes): Replace "bert-ish" with "bert"'
    assert lines[i + 7] == "  = applies to transformers 5.23, 4.57"
    assert ANSI not in out
    assert lines[-2] == f"Found 1 error, 1 warning, 1 info in {LABEL}."
    assert lines[-1] == "No fixes available (1 hidden fix can be enabled with the --unsafe-fixes option)."


def test_full_marks_fixes_unsafe_fixes_enable(results):
    results[0].unsafe_fixes = True
    lines = reporters.render("full", results).split("\n")
    assert f'{LABEL}/config.json:4:{MT_COL}: RL901 [*] [unknown-model-type] model_type "bert-ish" is not a model type transformers knows' in lines
    assert '  = fix (unsafe): Replace "bert-ish" with "bert"' in lines
    assert lines[-1] == "[*] 1 fixable with the --fix option."


def test_full_multiline_span_carets_first_line_only(results):
    lines = reporters.render("full", results).split("\n")
    i = next(n for n, l in enumerate(lines) if " RL902 " in l)
    assert lines[i].startswith(f"{LABEL}/config.json:5:{AM_COL}: RL902 [auto-map-without-code] ")
    assert lines[i + 2] == "4 | " + LINES[3]
    assert lines[i + 3] == "5 | " + LINES[4]
    caret = lines[i + 4]
    assert caret.index("^") == lines[i + 3].index("{") and caret.count("^") == 1  # "{" ends the line
    assert lines[i + 5] == "6 | " + LINES[5]
    assert lines[i + 6] == "7 | " + LINES[6]
    assert sum(1 for l in lines[i:i + 8] if "^" in l) == 1


def test_full_long_span_is_cut(workspace):
    diag = Diagnostic(code="RL907", name="big-value", severity="error", message="m",
                      location=Location(file="config.json", line=2, column=1, end_line=9, end_column=2))
    lines = reporters.render("full", [Result(Repo(workspace / LABEL, label=LABEL), [diag])]).split("\n")
    assert lines[1:8] == [
        "  |",
        "1 | " + LINES[0],
        "2 | " + LINES[1],
        "  | " + "^" * len(LINES[1]),
        "3 | " + LINES[2],
        "4 | " + LINES[3],
        "  | ...",
    ]


def test_full_multiline_message_is_indented(results):
    lines = reporters.render("full", results).split("\n")
    i = next(n for n, l in enumerate(lines) if " RL903 " in l)
    assert lines[i].endswith("RL903 [odd-hidden-size] 100% broken: a, b")
    assert lines[i + 1] == "    second line"


def test_full_color_only_when_asked(results):
    out = reporters.render("full", results, color=True)
    assert "\x1b[1;31mRL901\x1b[0m" in out  # red error
    assert "\x1b[1;33mRL902\x1b[0m" in out  # yellow warning
    assert "\x1b[1;34mRL903\x1b[0m" in out  # blue info
    assert "\x1b[36m^^^^^^^^^^\x1b[0m" in out  # cyan caret
    assert f"\x1b[1m{LABEL}/config.json:4:{MT_COL}:\x1b[0m" in out  # bold path


def test_full_clips_long_lines_around_the_column(workspace):
    long_line = '{"a": "' + "x" * 300 + '", "bad": 1}'
    (workspace / "long").mkdir()
    (workspace / "long/config.json").write_text(long_line + "\n")
    col = long_line.index('"bad"') + 1
    diag = Diagnostic(code="RL904", name="bad-key", severity="error", message="bad",
                      location=Location(file="config.json", line=1, column=col, end_line=1, end_column=col + 5))
    out = reporters.render("full", [Result(Repo(workspace / "long", label="long"), [diag])])
    lines = out.split("\n")
    src = next(l for l in lines if l.startswith("1 | "))
    caret = next(l for l in lines if "^" in l)
    assert len(src) <= 4 + 3 + 120 + 3
    assert src.startswith("1 | ...")
    assert caret.index("^") == src.index('"bad"') and caret.count("^") == 5


def test_full_without_source_and_label_dot(workspace):
    (workspace / "config.json").write_text("{}\n")
    diag = Diagnostic(code="RL905", name="missing-file", severity="warning", message="no tokenizer",
                      location=Location(file="tokenizer_config.json"))
    out = reporters.render("full", [Result(Repo(workspace, label="."), [diag])])
    assert out.split("\n")[0] == "tokenizer_config.json:1:1: RL905 [missing-file] no tokenizer"
    assert "|" not in out  # no excerpt for a file that cannot be read
    assert out.endswith("Found 1 warning in ..")


def test_summaries_clean_and_nothing_to_lint(workspace):
    (workspace / "empty").mkdir()
    res = [
        Result(Repo(workspace / LABEL, label=LABEL), []),
        Result(Repo(workspace / "empty", label="empty"), [], linted=False),
    ]
    for fmt in ("full", "concise"):
        lines = reporters.render(fmt, res).split("\n")
        assert lines[0] == f"All checks passed for {LABEL}."
        assert lines[1].startswith("empty: nothing to lint (no config.json, tokenizer_config.json, ")
        assert lines[1].endswith("or Python files at the top level).")


def test_terminal_control_characters_are_escaped(results):
    results[0].diagnostics[0] = results[0].diagnostics[0].model_copy(update={"message": "evil \x1b[31m red"})
    for fmt in ("full", "concise"):
        out = reporters.render(fmt, results)
        assert ANSI not in out and "evil \\x1b[31m red" in out


# -- concise -----------------------------------------------------------------------


def test_concise(results):
    lines = reporters.render("concise", results).split("\n")
    assert lines == [
        f'{LABEL}/config.json:4:{MT_COL}: RL901 [error] model_type "bert-ish" is not a model type transformers knows',
        f"{LABEL}/config.json:5:{AM_COL}: RL902 [warning] auto_map names modeling_my.MyModel, but modeling_my.py is missing",
        f"{LABEL}/config.json:3:{HS_COL}: RL903 [info] 100% broken: a, b\\nsecond line",
        f"Found 1 error, 1 warning, 1 info in {LABEL}.",
        "No fixes available (1 hidden fix can be enabled with the --unsafe-fixes option).",
    ]
    assert ANSI not in "\n".join(lines)
    results[0].unsafe_fixes = True
    first = reporters.render("concise", results).split("\n")[0]
    assert first.startswith(f"{LABEL}/config.json:4:{MT_COL}: RL901 [*] [error] ")
    assert ANSI in reporters.render("concise", results, color=True)


# -- json --------------------------------------------------------------------------


def test_json_round_trips(results):
    out = reporters.render("json", results)
    data = json.loads(out)
    assert out.startswith("[\n  {")  # indent 2
    assert [d["code"] for d in data] == ["RL901", "RL902", "RL903"]
    assert list(data[0]) == ["code", "name", "severity", "message", "location", "repo", "help", "fix", "targets", "url"]
    assert data[0]["location"] == {"file": "config.json", "line": 4, "column": MT_COL, "end_line": 4, "end_column": MT_COL + 10}
    assert data[0]["fix"]["applicability"] == "unsafe"
    assert data[0]["targets"] == ["5.23", "4.57"]
    assert data[2]["message"] == WEIRD_MESSAGE
    assert data[0]["url"].endswith("#rl901-unknown-model-type")
    for item in data:  # the model reads its own output back
        item.pop("url")
        Diagnostic.model_validate(item)
    assert out == reporters.render("json", results)  # stable


def test_json_empty_and_registry_failure(results, monkeypatch):
    assert json.loads(reporters.render("json", [])) == []

    import repolint.registry as registry

    def broken(selector):
        raise ImportError("repolint.rules is half-written")

    monkeypatch.setattr(registry, "find_rule", broken)
    data = json.loads(reporters.render("json", results))
    assert data[1]["url"].endswith("#rl902-auto-map-without-code")


# -- github ------------------------------------------------------------------------


def test_github_commands_and_escaping(results):
    out = reporters.render("github", results)
    f = f"{LABEL}/config.json"
    assert out.split("\n") == [
        f"::error file={f},line=4,col={MT_COL},endLine=4,endColumn={MT_COL + 10},"
        f'title=RL901 [unknown-model-type]::model_type "bert-ish" is not a model type transformers knows',
        f"::warning file={f},line=5,col={AM_COL},endLine=7,endColumn=4,"
        "title=RL902 [auto-map-without-code]::auto_map names modeling_my.MyModel, but modeling_my.py is missing",
        f"::notice file={f},line=3,col={HS_COL},endLine=3,endColumn={HS_COL + 3},"
        "title=RL903 [odd-hidden-size]::100%25 broken: a, b%0Asecond line",
    ]


def test_github_escape_functions():
    assert github_reporter.escape_data("a%b\r\nc: d, e") == "a%25b%0D%0Ac: d, e"
    assert github_reporter.escape_property("a%b\r\nc: d, e") == "a%25b%0D%0Ac%3A d%2C e"


def test_github_property_escaping_in_path_and_title(workspace):
    (workspace / "a,b:c").mkdir()
    (workspace / "a,b:c/config.json").write_text("{}\n")
    diag = Diagnostic(code="RL906", name="x", severity="warning", message="m: 50%",
                      location=Location(file="config.json", line=2, column=3))
    out = reporters.render("github", [Result(Repo(workspace / "a,b:c", label="ignored"), [diag])])
    assert out == "::warning file=a%2Cb%3Ac/config.json,line=2,col=3,title=RL906 [x]::m: 50%25"


def test_github_paths_relative_to_cwd(workspace, tmp_path_factory, monkeypatch):
    # a repo named by an absolute path, under the working directory -> relative path
    absolute = Result(Repo(workspace / LABEL, label=str(workspace / LABEL)), make_diagnostics()[:1])
    assert reporters.render("github", [absolute]).startswith(f"::error file={LABEL}/config.json,")
    # the working directory is the repo itself -> the bare file
    monkeypatch.chdir(workspace / LABEL)
    assert reporters.render("github", [absolute]).startswith("::error file=config.json,")
    # a repo outside the working directory -> the label joined with the file
    outside = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(outside)
    other = Result(Repo(workspace / LABEL, label="some/label"), make_diagnostics()[:1])
    assert reporters.render("github", [other]).startswith("::error file=some/label/config.json,")


# -- sarif -------------------------------------------------------------------------


def test_sarif_structure(results, workspace):
    log = json.loads(reporters.render("sarif", results))
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    import repolint

    assert driver["name"] == "repolint" and driver["version"] == repolint.__version__
    assert driver["informationUri"].startswith("https://")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().as_uri() + "/"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["RL901", "RL902", "RL903"]
    for res in run["results"]:  # ruleIndex points at the rule with that id
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    assert [r["level"] for r in run["results"]] == ["error", "warning", "note"]
    first = run["results"][0]
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": f"{LABEL}/config.json", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 4, "startColumn": MT_COL, "endLine": 4, "endColumn": MT_COL + 10}
    (fix,) = first["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["replacements"][0]["insertedContent"] == {"text": '"bert"'}
    assert "fixes" not in run["results"][1]  # no fix, and a fix without edits gives none
    assert run["results"][2]["message"]["text"] == WEIRD_MESSAGE
    # codes the registry does not know fall back to the diagnostic's own name
    assert rules[1]["name"] == "auto-map-without-code"
    assert rules[1]["shortDescription"]["text"] == "auto-map-without-code"
    assert rules[1]["defaultConfiguration"]["level"] == "warning"


def test_sarif_uses_registry_metadata(results, monkeypatch):
    from repolint.registry import Rule

    class Fake(Rule):
        code = "RL901"
        name = "unknown-model-type"
        summary = "model_type is unknown"
        why = "transformers cannot resolve the config class."
        fix_text = "Use a known model type."
        severity = "warning"

    import repolint.registry as registry

    monkeypatch.setattr(registry, "find_rule", lambda code: Fake if code == "RL901" else None)
    rules = json.loads(reporters.render("sarif", results))["runs"][0]["tool"]["driver"]["rules"]
    rule = rules[0]
    assert rule["shortDescription"] == {"text": "model_type is unknown"}
    assert rule["fullDescription"] == {"text": "transformers cannot resolve the config class."}
    assert rule["help"] == {"text": "Use a known model type."}
    assert rule["helpUri"] == Fake.url()
    assert rule["defaultConfiguration"] == {"level": "warning"}
    assert rule["properties"]["tags"] == [Fake.family()]


def test_sarif_validates_against_the_official_schema(results, workspace, tmp_path_factory, monkeypatch):
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"{SARIF_SCHEMA} is absent")
    import jsonschema

    validator = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    (workspace / "empty").mkdir()
    cases = [
        results,
        [],
        results + [Result(Repo(workspace / "empty", label="empty"), [], linted=False)],
    ]
    for case in cases:
        log = json.loads(reporters.render("sarif", case))
        errors = sorted(validator.iter_errors(log), key=str)
        assert not errors, errors[0]
        run = log["runs"][0]
        for res in run.get("results", []):
            assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]

    # a repo outside the working directory: absolute file URIs, still valid
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    log = json.loads(reporters.render("sarif", [Result(Repo(workspace / LABEL, label="x"), make_diagnostics())]))
    assert not list(validator.iter_errors(log))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (workspace / LABEL / "config.json").as_uri()}


# -- statistics --------------------------------------------------------------------


def test_statistics(results, workspace):
    more = make_diagnostics()[1:2] * 2  # two more RL902
    res = results + [Result(Repo(workspace / LABEL, label="again"), more)]
    lines = reporters.statistics(res).split("\n")
    assert lines == [
        "3  RL902  auto-map-without-code  warning",
        "1  RL901  unknown-model-type     error",
        "1  RL903  odd-hidden-size        info",
    ]
    assert reporters.statistics([]) == ""
