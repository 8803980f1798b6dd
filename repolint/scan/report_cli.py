"""`repolint report SCAN.jsonl`: the command (registered as `report` by repolint.cli)."""

from __future__ import annotations

import os
import sys

import click

MAX_LINE_NOTES = 10  # skipped lines named one by one on stderr; the rest are counted


@click.command()
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
    from repolint.scan.records import BadScanFile
    from repolint.scan.report import DEFAULT_HUB, build_report

    if fmt is None:
        fmt = "html" if output_file and output_file.lower().endswith((".html", ".htm")) else "markdown"
    hub = hub_url or os.environ.get("HF_ENDPOINT") or DEFAULT_HUB
    if not hub.startswith(("https://", "http://")):
        _fail(f"--hub-url must be an http(s) URL, not {hub!r}")
    try:
        text, scan = build_report(scan_file, fmt, hub=hub)
    except BadScanFile as exc:
        _fail(str(exc))
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
            _fail(f"cannot write {output_file}: {exc.strerror or exc}")
        click.echo(f"Wrote {output_file} ({len(scan.records)} repos).", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(0)


def _fail(message: str) -> None:
    click.echo(f"repolint: error: {message}", err=True)
    sys.exit(2)
