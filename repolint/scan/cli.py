"""The `repolint scan` and `repolint report` commands (options only; the work lives in
repolint.scan.run and its neighbours)."""

from __future__ import annotations

import sys

import click


@click.command("scan")
@click.argument("specs_file", required=False, metavar="[REPOS_FILE]", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--author", help="Hub query: repos of this user or organisation.")
@click.option("--search", help="Hub query: repos whose id contains this text.")
@click.option("--filter", "filters", multiple=True, metavar="TAG", help="Hub query: repos with this tag (e.g. custom_code, llama). Repeatable: all must match.")
@click.option("--limit", type=click.IntRange(min=1), help="Scan at most this many repos (of the file, or of the query).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), help="JSON Lines file, one record per repo@commit, appended as each repo finishes. Default: stdout.")
@click.option("--resume", is_flag=True, help="Continue the scan in --output: skip the repo@commits it holds (error records are dropped and retried; a cut last line is removed).")
@click.option("--overwrite", is_flag=True, help="Start --output afresh even if it holds records.")
@click.option("--stage", type=click.Choice(["listing", "full"]), default="full", show_default=True, help="listing: only the checks the Hub listing allows (model_type, architectures, auto_map vs the file list; no download). full: also download metadata and code and lint them as `check hf://` does.")
@click.option("-t", "--target-transformers", "targets", multiple=True, metavar="VERSION", help="transformers release(s) to check against. Repeatable. Default: every shipped snapshot.")
@click.option("--select", multiple=True, metavar="RULE", help="Run only these rules. Repeatable.")
@click.option("--extend-select", multiple=True, metavar="RULE", help="Add rules to the selection.")
@click.option("--ignore", multiple=True, metavar="RULE", help="Skip these rules. Repeatable.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Lint in this many worker processes (1: in this process). With --engine dask: workers of the local cluster.")
@click.option("--threads", type=click.IntRange(min=1), default=8, show_default=True, help="Threads for Hub requests and downloads.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True, help="local: this machine. dask: a Dask cluster (pip install 'repolint[cluster]').")
@click.option("--address", metavar="ADDR", help="With --engine dask: the scheduler, e.g. tcp://host:8786 (default: a local cluster).")
@click.option("--rate", default="3000/300", show_default=True, metavar="N/SECONDS", help="Request budget: at most N Hub requests in any SECONDS (also 3000/5m). 429 and 5xx answers are retried after Retry-After, or with exponential backoff.")
@click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True, help="Retries of a repo's Hub request on 429, 5xx, timeouts and broken connections.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds per Hub request (default: HF_HUB_ETAG_TIMEOUT, else 10).")
@click.option("--endpoint", metavar="URL", help="The Hub (default: HF_ENDPOINT, else https://huggingface.co).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="huggingface_hub cache for downloads (default: HF_HUB_CACHE).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the module-facts cache.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal; otherwise a line a minute).")
@click.option("--fail-on-findings", is_flag=True, help="Exit 1 when a repo breaks on a target (an error-level finding).")
def scan(**kwargs):
    """Lint many Hub repos into JSON Lines, resumably: REPOS_FILE holds one owner/name[@rev]
    a line ('-': stdin; # comments), or --author/--search/--filter list them from the Hub.

    Exit codes: 0 every repo has its record (findings and per-repo errors are in the file);
    1 with --fail-on-findings, when a repo breaks on a target; 2 usage error, or the Hub
    query cannot be listed; 130 interrupted (the file stays valid: --resume continues)."""
    from repolint.scan.run import ScanOptions, UsageError, scan as run_scan

    try:
        code = run_scan(ScanOptions(**kwargs))
    except UsageError as exc:
        click.echo(f"repolint: error: {exc}", err=True)
        code = 2
    sys.exit(code)


# -- `repolint report SCAN.jsonl` (the work: repolint.scan.report, records, report_html) -----------------

MAX_LINE_NOTES = 10  # skipped lines named one by one on stderr; the rest are counted


@click.command("report")
@click.argument("scan_file", type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the report to this file instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]), default=None,
              help="html: one self-contained page (charts, repo x release grid, searchable findings); markdown: a "
                   "summary for CI logs. Default: markdown on stdout, html with -o FILE.html (or .htm), else markdown.")
@click.option("--hub-url", default=None, metavar="URL",
              help="Where the findings' links point (default: HF_ENDPOINT, else https://huggingface.co).")
def report(scan_file, output_file, fmt, hub_url):
    """Draw what `repolint scan` wrote into SCAN_FILE (JSON Lines): repos failing per rule, per
    model_type and per target release, the top reasons, and every finding linked to its file on
    the Hub. Lines that are not scan records (a scan killed mid-line, garbage) are skipped and
    counted on stderr."""
    import os

    from repolint.scan.records import BadScanFile
    from repolint.scan.report import DEFAULT_HUB, build_report

    if fmt is None:
        fmt = "html" if output_file and output_file.lower().endswith((".html", ".htm")) else "markdown"
    hub = hub_url or os.environ.get("HF_ENDPOINT") or DEFAULT_HUB
    if not hub.startswith(("https://", "http://")):
        _report_fail(f"--hub-url must be an http(s) URL, not {hub!r}")
    try:
        text, scan = build_report(scan_file, fmt, hub=hub)
    except BadScanFile as exc:
        _report_fail(str(exc))
    for number, reason in scan.skipped[:MAX_LINE_NOTES]:
        click.echo(f"repolint: warning: {scan.path}:{number}: skipped ({reason})", err=True)
    if len(scan.skipped) > MAX_LINE_NOTES:
        click.echo(f"repolint: warning: ... and {len(scan.skipped) - MAX_LINE_NOTES} more skipped lines", err=True)
    if scan.skipped:
        click.echo(f"repolint: warning: {len(scan.skipped)} of {scan.lines} lines of {scan.path} skipped; "
                   f"the report has {len(scan.records)} repos", err=True)
    elif not scan.records:
        click.echo(f"repolint: warning: {scan.path} holds no scan records", err=True)
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            _report_fail(f"cannot write {output_file}: {exc.strerror or exc}")
        click.echo(f"Wrote {output_file} ({len(scan.records)} repos).", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(0)


def _report_fail(message: str) -> None:
    click.echo(f"repolint: error: {message}", err=True)
    sys.exit(2)
