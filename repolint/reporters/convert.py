"""Render a saved JSON report in another output format, without linting again.

    python -m repolint.reporters.convert REPORT.json [--format github|sarif|full|concise|json]
                                         [-o FILE] [--color]

REPORT.json is what `repolint check --format json -o REPORT.json` wrote (also with
--show-compat). The GitHub Action lints once and turns that one report into its
annotations, the log's report and SARIF; each format is the reporter `repolint check`
itself uses, fed the same diagnostics, so the output is the same as a run with that
--format. Run it in the directory `repolint check` ran in: repos are rebuilt from the
labels the report carries (how each repo was named on the command line), and the github
and SARIF formats resolve paths from the working directory.

A repo without findings is not in a JSON report: the per-repo summary lines of full and
concise name only the repos with findings ("All checks passed." when there are none).
Exit code 0, or 2 when the report cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys

from repolint.reporters import FORMATS


class ReportError(Exception):
    pass


def load(path: str) -> list:
    """The engine Results a JSON report describes, one per repo label, in report order."""
    from pydantic import ValidationError

    from repolint.diagnostics import Diagnostic
    from repolint.engine import Result
    from repolint.repo import Repo

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read the report {path}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("diagnostics"), list):  # --show-compat
        data = data["diagnostics"]
    if not isinstance(data, list):
        raise ReportError(f"{path} is not a repolint JSON report (expected an array of diagnostics)")
    results: dict[str, Result] = {}
    for index, item in enumerate(data):
        try:
            diag = Diagnostic.model_validate(item)
        except ValidationError as exc:
            raise ReportError(f"{path}: item {index} is not a diagnostic: {exc.errors()[0].get('msg', exc)}") from exc
        if diag.repo not in results:
            results[diag.repo] = Result(Repo(diag.repo, label=diag.repo), [])
        results[diag.repo].diagnostics.append(diag)
    return list(results.values())


def render(results: list, fmt: str, color: bool = False) -> str:
    from repolint import reporters

    text = reporters.render(fmt, results, color=color)
    if not results and fmt in ("full", "concise"):
        return "All checks passed."
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m repolint.reporters.convert",
                                     description="Render a saved `repolint check --format json` report in another format.")
    parser.add_argument("report", help="the JSON report")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="full", help="output format (default: full)")
    parser.add_argument("-o", "--output-file", default=None, help="write here instead of stdout")
    parser.add_argument("--color", action="store_true", help="colour the full and concise formats")
    args = parser.parse_args(argv)
    try:
        text = render(load(args.report), args.fmt, args.color)
    except ReportError as exc:
        print(f"repolint: error: {exc}", file=sys.stderr)
        return 2
    if not text.endswith("\n") and text:
        text += "\n"
    if args.output_file:
        try:
            with open(args.output_file, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"repolint: error: cannot write {args.output_file}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
