"""Settings-file mutations: repolint.toml and pyproject.toml, valid and not.

Any of these may make `repolint check` stop with exit 2 and one line naming the file (a
settings file the user must fix, as ruff does); the verdict allows exactly that."""

from __future__ import annotations

import json
import random

from fuzzing.case import Case

SELECTORS = ["ALL", "RL", "RL0", "RL2", "RL6", "RL201", "RL204", "RL601", "unknown-model-type", "RL000", "RL9", "nope", ""]
TARGETS = ["5.23", "4.57", "5.10", "5", "9.99", "", "latest"]
GLOBS = ["*", "*.json", "config.json", "[", "**/x", "\\", "*.py", "[!a]*", "\x00", "ÿ"]


def _toml_value(rng: random.Random):
    pick = rng.randrange(8)
    if pick == 0:
        return json.dumps(rng.choice(SELECTORS))
    if pick == 1:
        return json.dumps(rng.sample(SELECTORS, rng.randrange(0, 4)))
    if pick == 2:
        return str(rng.choice([0, 1, -5, 32, 2**62, 10**30]))
    if pick == 3:
        return rng.choice(["true", "{}", "[]", "[1, 2]", "1.5", "nan", "1979-05-27"])
    if pick == 4:
        return "{ " + ", ".join(f'"{rng.choice(SELECTORS)}" = "{rng.choice(["error", "warning", "info", "fatal"])}"' for _ in range(2)) + " }"
    if pick == 5:
        return "{ " + f'{json.dumps(rng.choice(GLOBS))} = {json.dumps(rng.sample(SELECTORS, 2))}' + " }"
    if pick == 6:
        return json.dumps(rng.choice(TARGETS))
    return json.dumps("x" * rng.choice([1, 100_000]))


VALID = {
    "select": lambda rng: json.dumps(rng.sample(["ALL", "RL", "RL0", "RL2", "RL6", "RL201", "unknown-model-type"], rng.randrange(1, 3))),
    "ignore": lambda rng: json.dumps(rng.sample(["RL201", "RL2", "RL101", "invalid-json", "RL6"], rng.randrange(0, 3))),
    "extend-select": lambda rng: json.dumps(["RL0"]),
    "target-transformers": lambda rng: json.dumps(rng.sample(["5.23", "4.57"], rng.randrange(1, 3))),
    "severity": lambda rng: '{ "RL201" = "warning", "label-mismatch" = "error" }',
    "per-file-ignores": lambda rng: '{ "*.json" = ["RL101"], "[" = ["RL2"], "modeling_*.py" = ["RL607"] }',
    "max-file-size": lambda rng: str(rng.choice([32, 1000, 10**6, 2**62])),
}


def settings_text(rng: random.Random) -> str:
    """Settings that repolint accepts (most of the time), or that it must refuse."""
    valid = rng.random() < 0.75
    keys = list(VALID) + ([] if valid else ["unknown-key"])
    lines = []
    for key in rng.sample(keys, rng.randrange(1, 4)):
        lines.append(f"{key} = {VALID[key](rng) if key in VALID and (valid or rng.random() < 0.5) else _toml_value(rng)}")
    return "\n".join(lines) + "\n"


def mutate_settings(rng: random.Random, case: Case) -> None:
    case.config_touched = True
    name = rng.choice(["repolint.toml", "pyproject.toml"])
    op = rng.randrange(20)
    body = settings_text(rng)
    if name == "pyproject.toml":
        body = "[project]\nname = 'x'\n\n[tool.repolint]\n" + body
    if op <= 5 or op >= 14:
        case.files[name] = body.encode()
        case.note(f"{name}: {body.strip()[:80]!r}")
    elif op == 6:
        case.files[name] = rng.choice([b"select = [\n", b"= 1\n", b"[tool.repolint\n", b"a = 1\na = 2\n", b"\x00", b"x = '''\n"])
        case.note(f"{name}: invalid TOML")
    elif op == 7:
        case.files[name] = body.encode("latin-1", "replace") + b"# caf\xe9\n"
        case.note(f"{name}: not UTF-8")
    elif op == 8:
        case.files[name] = rng.choice([b"tool = 3\n", b"[tool]\nrepolint = 3\n", b"tool = [1]\n", b"[tool]\nrepolint = [1]\n"])
        case.note(f"{name}: tool or tool.repolint not a table")
    elif op == 9:
        case.files[name] = ("x = " + "[" * rng.choice([100, 3000]) + "]" * 3000 + "\n").encode()
        case.note(f"{name}: deeply nested array")
    elif op == 10:
        case.files[name] = f"max-file-size = {'9' * rng.choice([20, 5000])}\n".encode()
        case.note(f"{name}: huge integer")
    elif op == 11:
        case.files[name] = ("symlink", rng.choice(["/etc/passwd", "/dev/zero", "../outside/settings.toml", "nowhere.toml", "config.json", "."]))
        case.outside["settings.toml"] = b'select = ["ALL"]\n'
        case.note(f"{name}: symlink to {case.files[name][1]}")
    elif op == 12:
        case.files[name] = rng.choice([("fifo",), ("dir", {}), ("socket",)])
        case.note(f"{name}: a {case.files[name][0]}")
    elif op == 13:
        case.files[name] = b"\xef\xbb\xbf" + body.encode()
        case.note(f"{name}: BOM")
