"""`repolint report`: reading a scan file that may be anything, the counts it draws, the
Markdown summary, the HTML page's structure and escaping, and the command as a user runs it.
The page in a real browser: tests/test_report_browser.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from repolint.scan.records import read_scan
from repolint.scan.report import build_report, hub_url, reason_of, summarize
from scanfixture import EXPECTED, RECORDS, TARGETS, XSS, record, run_report, verdicts, write_scan


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


# -- reading -------------------------------------------------------------------------------

def test_counts_of_the_fixture(tmp_path):
    scan = read_scan(write_scan(tmp_path / "scan.jsonl"))
    assert (len(scan.records), scan.skipped, scan.superseded, scan.bad_findings) == (EXPECTED["repos"], [], 0, 0)
    s = summarize(scan.records)
    assert s.targets == TARGETS
    assert s.breaking == EXPECTED["breaking"] and s.scanned == 6 and dict(s.scan_errors) == {"RepoNotFound": 1}
    assert {t: dict(c) for t, c in s.per_release.items()} == {
        "4.57": {"loads": 4, "breaks": 2}, "5.23": {"loads": 3, "breaks": 2, "unknown": 1},
        "5.24": {"loads": 2, "breaks": 4}}
    assert [(r.code, r.repos, r.findings, r.severity) for r in s.rules] == [
        ("RL201", 2, 2, "error"), ("RL701", 2, 2, "error"), ("RL202", 2, 2, "warning"), ("RL610", 1, 1, "info")]
    assert s.model_types[0] == ("llama", 2, 1) and s.model_types[-1] == ("bert", 1, 0)  # most breaking, then most repos
    assert {mt: (n, b) for mt, n, b in s.model_types} == {
        "llama": (2, 1), "lama": (1, 1), "bret": (1, 1), "bert": (1, 0), XSS: (1, 1)}
    # the two unknown model types are one reason
    assert s.reasons[0][:3] == ("RL201", "unknown model_type '…' (did you mean '…'?)", 2)


def test_reason_blanks_particulars_only():
    assert reason_of("unknown model_type 'lama' (did you mean 'llama'?)") == reason_of(
        "unknown model_type 'bret' (did you mean 'bert'?)")
    assert reason_of("dtype 'float33' is not a torch dtype") != reason_of("unknown model_type 'x'")
    assert reason_of("present in 4.35.2-5.23.0") == "present in N-N"
    assert reason_of("auto_map['AutoModel'] names modeling_a.A, but the repo has no modeling_a.py") == reason_of(
        "auto_map['AutoConfig'] names configuration_b.BConfig, but the repo has no configuration_b.py") == (
        "auto_map['…'] names …, but the repo has no …")


GARBAGE = [
    b"",  # empty file
    b"\n\n   \n",
    b"not json at all\n",
    b"\xff\xfe\x00binary\x00\n",
    b"[" * 100000 + b"\n",  # deeper than the JSON parser's recursion limit
    b'{"schema": "repolint-scan/2", "repo": "a/b", "status": "ok"}\n',
    b'{"repo": "a/b", "status": "ok"}\n',
    b'{"schema": "repolint-scan/1", "repo": 7, "status": "ok"}\n',
    b'{"schema": "repolint-scan/1", "repo": "a/b", "status": "fine"}\n',
    b"null\n42\n\"text\"\n[]\n",
]


@pytest.mark.parametrize("content", GARBAGE, ids=lambda c: repr(c[:20]))
def test_garbage_gives_an_empty_report_not_a_crash(tmp_path, content):
    path = tmp_path / "scan.jsonl"
    path.write_bytes(content)
    scan = read_scan(path)
    assert scan.records == []
    assert len(scan.skipped) == scan.lines  # every non-blank line is accounted for
    for fmt in ("html", "markdown"):
        text, _ = build_report(str(path), fmt)
        assert ("no scan records in the file" in text) and ("Traceback" not in text)


def test_fields_of_the_wrong_type_are_coerced(tmp_path):
    weird = record("w/x", {"not": "a string"}, {"5.24": "exploded", "4.57": "loads"}, [
        "not a finding", {"code": 5}, {"no": "code"},
        {"code": "RL201", "severity": "fatal", "line": "3", "path": ["x"], "message": None, "targets": "5.24"},
        {"code": "RL202", "severity": "warning", "line": True, "path": "config.json", "message": "\ud800 lone"},
    ])
    weird["targets"] = "5.24"
    other = record("w/y", "bert", verdicts("L"), {"findings": "as a dict"})
    scan = read_scan(write_scan(tmp_path / "scan.jsonl", [weird, other]))
    assert scan.skipped == [] and scan.bad_findings == 4  # 3 entries of w/x, the dict of w/y
    rec = scan.records[0]
    assert rec.model_type is None and rec.targets == ("5.24", "4.57")
    assert rec.verdicts == {"5.24": "unknown", "4.57": "loads"}
    f1, f2 = rec.findings
    assert (f1.severity, f1.line, f1.path, f1.message, f1.targets) == ("info", None, None, "", ())
    assert f2.line is None and f2.message == "? lone"
    text, _ = build_report(str(tmp_path / "scan.jsonl"), "html")
    text.encode("utf-8")  # a lone surrogate would make this raise


def test_truncated_last_line_and_resumed_specs(tmp_path):
    again = record("acme/gone", None, verdicts("L", "L", "L"), [])  # the resumed scan of the error
    full = json.dumps(RECORDS[0])
    path = write_scan(tmp_path / "scan.jsonl", [*RECORDS, again], tail=full[: len(full) // 2])
    scan = read_scan(path)
    assert scan.skipped == [(len(RECORDS) + 2, "truncated last line")]
    assert scan.superseded == 1 and len(scan.records) == EXPECTED["repos"]
    gone = [r for r in scan.records if r.repo == "acme/gone"]
    assert len(gone) == 1 and gone[0].status == "ok"
    md, _ = build_report(str(path), "markdown")
    assert "1 of 9 lines skipped (1 truncated last line)" in md
    assert "1 earlier record(s) of a spec replaced" in md


# -- links ------------------------------------------------------------------------------------

def test_hub_links():
    rec = read_scan_one(record("acme/m", "bert", verdicts("L"), [
        {"code": "RL1", "severity": "error", "path": "sub dir/config.json", "line": 7},
        {"code": "RL2", "severity": "error", "path": "a.py"}]))
    with_line, without = rec.findings
    assert hub_url("https://hf.example/", rec, with_line) == (
        f"https://hf.example/acme/m/blob/{rec.commit}/sub%20dir/config.json#L7")
    assert hub_url("https://hf.example", rec, without) == f"https://hf.example/acme/m/blob/{rec.commit}/a.py"
    assert hub_url("https://hf.example", rec) == f"https://hf.example/acme/m/tree/{rec.commit}"
    evil = read_scan_one(record('x/"><b>', None, {}, [{"code": "RL1", "path": "javascript:alert(1)"}], commit="../x"))
    url = hub_url("https://hf.example", evil, evil.findings[0])
    assert url.startswith("https://hf.example/x/%22%3E%3Cb%3E/blob/..%2Fx/javascript%3Aalert")


def read_scan_one(rec: dict, tmp=[]):  # noqa: B006 - one temp folder per session is enough
    import tempfile
    from pathlib import Path

    if not tmp:
        tmp.append(Path(tempfile.mkdtemp()))
    return read_scan(write_scan(tmp[0] / "one.jsonl", [rec])).records[0]


# -- HTML -------------------------------------------------------------------------------------

def test_html_is_self_contained_and_escaped(tmp_path):
    html, _ = build_report(str(write_scan(tmp_path / "scan.jsonl")), "html")
    tags = parse(html)
    # two scripts (the data block and the page's own), nothing fetched from anywhere
    scripts = [a for t, a in tags.tags if t == "script"]
    assert scripts == [{"type": "application/json", "id": "report-data"}, {}]
    assert not [t for t, a in tags.tags if t in ("link", "iframe", "img", "object", "embed", "base", "form")]
    assert not [a for t, a in tags.tags if "src" in a or any(k.startswith("on") for k in a)]
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    csp = [a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0].startswith("default-src 'none'") and "unsafe" not in csp[0]
    # the hostile strings survive as text, nowhere as markup
    assert "window.__pwned" in html and XSS not in html and "<img" not in html
    data = json.loads(tags.scripts[0])
    assert XSS in {r[1].removeprefix("acme/") for r in data["repos"]}
    assert [f for f in data["findings"] if f[6] == "evil " + XSS]
    # the charts: one <g class="bar"> per release, rule and model type
    for chart, n in (("chart-releases", "release_bars"), ("chart-rules", "rule_bars"),
                     ("chart-model-types", "model_type_bars")):
        section = html.split(f'id="{chart}"', 1)[1].split("</svg>", 1)[0]
        assert section.count('<g class="bar"') == EXPECTED[n], chart
    assert len(data["repos"]) == EXPECTED["repos"] and len(data["findings"]) == EXPECTED["findings"]


def test_markdown_is_escaped(tmp_path):
    md, _ = build_report(str(write_scan(tmp_path / "scan.jsonl")), "markdown")
    assert "<" not in md and "window.\\_\\_pwned" in md
    assert re.search(r"^\| 5\.24 \| 2 \| 4 \| 0 \|$", md, re.M)
    assert re.search(r"^\| RL201 \| unknown-model-type \| error \| 2 \| 2 \|$", md, re.M)
    escaped = build_report_md_for(tmp_path, record("a/b", "x|y\x1b[31m", verdicts("L"), []))
    assert "x\\|y\ufffd\\[31m" in escaped and "\x1b" not in escaped


def build_report_md_for(tmp_path, *records):
    return build_report(str(write_scan(tmp_path / "one.jsonl", list(records))), "markdown")[0]


# -- the command ------------------------------------------------------------------------------

def test_cli_html_file_and_markdown_stdout(tmp_path):
    scan = write_scan(tmp_path / "scan.jsonl", tail="{not json\n")
    out = tmp_path / "report.html"
    proc = run_report(scan, "-o", out)
    assert proc.returncode == 0 and proc.stdout == ""
    assert f"{scan}:{len(RECORDS) + 1}: skipped (not valid JSON)" in proc.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    proc = run_report(scan)
    assert proc.returncode == 0 and proc.stdout.startswith("# repolint scan report")
    proc = run_report(scan, "--format", "html", "--hub-url", "https://hub.example")
    assert proc.stdout.startswith("<!DOCTYPE html>") and "https://hub.example/acme/lama/blob/" in proc.stdout


def test_cli_bad_paths(tmp_path):
    for args in ([tmp_path / "missing.jsonl"], [tmp_path], [write_scan(tmp_path / "s.jsonl"), "--hub-url", "ftp://x"],
                 [tmp_path / "s.jsonl", "-o", tmp_path / "no" / "such" / "dir.html"]):
        proc = run_report(*args)
        assert proc.returncode == 2, args
        assert proc.stderr.startswith("repolint: error: ") and proc.stderr.count("\n") == 1, proc.stderr


def test_cli_empty_file(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    proc = run_report(tmp_path / "empty.jsonl")
    assert proc.returncode == 0 and "holds no scan records" in proc.stderr
    assert "0 repos in" in proc.stdout
