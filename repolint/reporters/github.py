"""GitHub Actions workflow commands: one annotation per diagnostic.

    ::error file=config.json,line=7,col=17,endLine=7,endColumn=27,title=RL101 [name]::message

Escaping follows the Actions toolkit (``@actions/core`` ``command.ts``): in the message
``%``, ``\\r`` and ``\\n``; in property values also ``:`` and ``,``.
"""

from __future__ import annotations

from repolint.reporters import clean_text, sev, workspace_path

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return clean_text(text)  # the other control characters, and lone surrogates


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(results, *, color: bool = False) -> str:
    lines = []
    for result in results:
        for diag in result.diagnostics:
            loc = diag.location
            props = [("file", workspace_path(result, loc.file)), ("line", loc.line), ("col", loc.column)]
            end_line = loc.end_line if loc.end_line is not None else (loc.line if loc.end_column else None)
            if end_line is not None:
                props.append(("endLine", end_line))
                if loc.end_column is not None:
                    props.append(("endColumn", loc.end_column))
            props.append(("title", f"{diag.code} [{diag.name}]"))
            rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
            lines.append(f"::{COMMAND.get(sev(diag), 'error')} {rendered}::{escape_data(diag.message)}")
    return "\n".join(lines)
