"""Failure signatures of one run: what a user would call a crash, a hang, a blow-up or a
wrong output. A run with no signature passed; equal signatures are one bug."""

from __future__ import annotations

import json
import re
import signal

from fuzzing.runner import Outcome

RSS_LIMIT_MB = 500
_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


def _normalise(text: str) -> str:
    text = re.sub(r"(?<![\w.])/[^\s:'\"]+", "<path>", text)  # absolute paths (the case folder)
    text = re.sub(r"\d+", "N", text)
    return text[:120]


def expected_config_error(outcome: Outcome, config_touched: bool) -> bool:
    """Exit 2 with one `repolint: error:` line is the documented answer to a settings file
    that cannot be used (as ruff does); allowed only when the case touched one."""
    lines = outcome.stderr.decode("utf-8", "replace").strip().splitlines()
    return (
        config_touched
        and outcome.exit_code == 2
        and len(lines) == 1
        and lines[0].startswith("repolint: error: ")
        and "internal error" not in lines[0]
    )


def signatures(outcome: Outcome, args: list[str], config_touched: bool) -> list[str]:
    sigs = []
    err = outcome.stderr.decode("utf-8", "replace")
    out_text = outcome.stdout.decode("utf-8", "replace")
    if outcome.signal is not None:
        name = signal.Signals(outcome.signal).name
        timeouts = {"SIGXCPU": "timeout (CPU)", "SIGKILL": "timeout (CPU)", "SIGALRM": "timeout (wall clock)"}
        sigs.append(timeouts.get(name, f"signal {name}"))
    if "Traceback (most recent call last)" in err + out_text:
        last = [line for line in err.splitlines() if line and not line.startswith(" ")][-1:] or ["?"]
        sigs.append("traceback " + _normalise(last[0]))
    code = outcome.exit_code
    if code == 2 and not expected_config_error(outcome, config_touched):
        first = err.strip().splitlines()[:1] or ["(no message)"]
        sigs.append("exit 2: " + _normalise(first[0]))
    elif code not in (None, 0, 1, 2):
        sigs.append(f"exit {code}")
    if outcome.max_rss_mb > RSS_LIMIT_MB:
        sigs.append(f"rss > {RSS_LIMIT_MB} MB")
    sigs.extend(_internal_errors(out_text))
    if code in (0, 1):
        sigs.extend(_wrong_output(outcome, args))
    return sorted(set(sigs))


_CRASH = re.compile(r"internal error in (RL\d+) \[[^\]]*\] while checking .*?: (\w+)")
_ORIGIN = re.compile(r"raised at (\S+?):\d+ \(([^)]+)\)")


def _internal_errors(text: str) -> list[str]:
    """One signature per exception type and place it was raised (RL000 findings of several
    rules often share one cause); the rule code when the format does not show the place."""
    sigs = []
    for match in _CRASH.finditer(text):
        origin = _ORIGIN.search(text, match.end(), match.end() + 2000)
        where = f"{origin.group(1)} {origin.group(2)}" if origin else match.group(1)
        sigs.append(f"internal error {match.group(2)} at {where}")
    return sigs


def _wrong_output(outcome: Outcome, args: list[str]) -> list[str]:
    fmt = args[args.index("--format") + 1] if "--format" in args else "full"
    if "--statistics" in args:
        fmt = "statistics"
    try:
        text = outcome.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return [f"wrong output {fmt}: not UTF-8"]
    if fmt in ("json", "sarif"):
        try:
            data = json.loads(text)
        except ValueError:
            return [f"wrong output {fmt}: not JSON"]
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return [f"wrong output {fmt}: lone surrogate escape"]
        if fmt == "json":
            errors = any(d.get("severity") == "error" for d in data)
            if errors != (outcome.exit_code == 1):
                return [f"wrong output json: exit {outcome.exit_code} with error findings={errors}"]
        return []
    if _CONTROL.search(outcome.stdout.replace(b"\t", b"")):
        return [f"wrong output {fmt}: raw control character"]
    return []
