"""`repolint server`: the command. pygls (the `lsp` extra) is imported only when it runs."""

from __future__ import annotations

import sys

import click

INSTALL_HINT = "pip install 'repolint[lsp]'"


@click.command("server")
@click.option("--debounce", type=click.FloatRange(min=0), default=0.3, show_default=True,
              help="Seconds without edits before an unsaved buffer is linted.")
@click.option("--log-file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the server's log here (stdout carries the protocol; the log goes to stderr otherwise).")
def server(debounce, log_file):
    """Run the language server on stdin / stdout (Language Server Protocol), for editors:
    diagnostics for the model folder of each opened, edited or saved JSON / Python file,
    and quick fixes for the safe fixes. Needs the lsp extra."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        click.echo(f"repolint: error: `repolint server` needs the lsp extra: {INSTALL_HINT}", err=True)
        sys.exit(2)
    import logging

    logging.basicConfig(filename=log_file, level=logging.INFO if log_file else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from repolint.lsp.server import build

    build(debounce).start_io()
