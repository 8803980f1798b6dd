"""``repolint-pre-commit``: the entry point of the pre-commit hook (.pre-commit-hooks.yaml).

pre-commit calls it with the hook's ``args`` followed by the changed files that match the
hook's ``files:`` pattern. repolint's checks span a whole model folder (auto_map names
modules, a tokenizer needs its vocabulary files, custom code imports its siblings), so each
file is mapped to its model folder and ``repolint check`` runs once over those folders.

A model folder is the nearest folder, from the file's own folder up to the working
directory (pre-commit runs hooks at the top of the git repo), that holds one of the JSON
files transformers reads at load time; the definition is repolint.discover's, which
``repolint check`` uses for its own arguments too. A file with no such
folder above it is dropped: a Python module of the project itself (``src/app.py``,
``setup.py``) or a README outside any model is not a model repo, and linting its folder as
one would report noise. When every file is dropped, nothing runs and the exit code is 0.

    repolint-pre-commit [repolint check options] FILE [FILE ...]
"""

from __future__ import annotations

import os
import sys

USAGE = """\
Usage: repolint-pre-commit [REPOLINT CHECK OPTIONS] FILE [FILE ...]

  The pre-commit hook of repolint: lints, once each, the model folders that hold the
  given files (the nearest folder holding config.json, tokenizer_config.json,
  preprocessor_config.json, ...). Files outside any model folder are ignored.
  Options are those of `repolint check` (see `repolint check --help`).
"""


def model_folder(file: str, _cache: dict | None = None) -> str | None:
    """The model folder of ``file`` (a path string as given), or None when it has none."""
    from repolint.discover import model_folder as nearest

    return nearest(file, _cache)


def model_folders(files) -> list[str]:
    """The model folders of ``files``, each once, in the order first seen."""
    from repolint.discover import model_folders as nearest_each

    return nearest_each(files)


def _representative(folder: str) -> str:
    """A marker file of the model folder ``folder``: `repolint check` maps a file to its
    nearest model folder (this one) and lints it alone, where a folder argument would also
    lint every model folder below it."""
    from repolint.discover import markers

    return next(os.path.join(folder, n) for n in markers() if os.path.lexists(os.path.join(folder, n)))


def split_argv(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """(the ``repolint check`` options, the file names), or None when the options are
    invalid. pre-commit appends the file names after the hook's args; click's parser
    tells which arguments are positional."""
    import click

    from repolint.cli import check

    try:
        ctx = check.make_context("repolint-pre-commit", list(argv))
    except click.MissingParameter:  # options only: pre-commit passed no file
        return [a for a in argv if a != "--"], []
    except click.ClickException:
        return None
    except click.exceptions.Exit as exc:  # --help among the arguments: click printed it
        sys.exit(exc.exit_code)
    files = list(ctx.params.get("paths") or ())
    n = len(files)
    if argv[len(argv) - n:] == files:
        options = list(argv[: len(argv) - n])
    else:  # file names not at the end: drop the last occurrence of each
        options = list(argv)
        for name in reversed(files):
            del options[len(options) - 1 - options[::-1].index(name)]
    return [a for a in options if a != "--"], files


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv in (["-h"], ["--help"]):
        print(USAGE, end="")
        sys.exit(0)
    from repolint import cli

    parsed = split_argv(argv)
    if parsed is None:  # let `repolint check` report the bad option (exit 2)
        sys.argv = ["repolint", "check", *argv]
        cli.main()
        return
    options, files = parsed
    folders = model_folders(files)
    if not folders:
        sys.exit(0)

    # "--" so that a folder whose name starts with "-" is not read as an option
    sys.argv = ["repolint", "check", *options, "--", *(_representative(f) for f in folders)]
    cli.main()


if __name__ == "__main__":  # pragma: no cover
    main()
