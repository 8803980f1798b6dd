"""File-system oddities: symlinks in and out of the repo (and loops), FIFOs, sockets and
folders under the names repolint reads, odd file names, unreadable and sparse files."""

from __future__ import annotations

import random

from fuzzing.case import Case

READ_NAMES = [
    "config.json", "tokenizer_config.json", "generation_config.json", "preprocessor_config.json",
    "processor_config.json", "special_tokens_map.json", "chat_template.json", "model.safetensors.index.json",
    "modeling_fz.py", "configuration_fz.py", "README.md", "tokenizer.json", "model.safetensors",
]
OUT_TARGETS = ["/etc/passwd", "/dev/zero", "/dev/urandom", "/proc/self/status", "/", "/nonexistent/x",
               "../outside/config.json", "../outside", "../../../../../../etc/hostname"]
ODD_NAMES = [
    "-rf.py", " config.json", "config.json ", "CONFIG.JSON", "con\nfig.json", "\udcff\udcfe.json", "a" * 251 + ".py",
    "💥.py", "\u202emodeling_fz.py", "modeling_fz.py\x01", "back\\slash.py", "*.py", "?.json", "[x].py", "--help",
    ".py", "..json", "modeling_\udcff.py", "modeling_\u00ff.py", "\x1b[31mred.py", "tokenizer_config.json.bak",
]


def mutate_fs(rng: random.Random, case: Case) -> None:
    op = rng.randrange(12)
    name = rng.choice(READ_NAMES)
    if op <= 1:
        target = rng.choice([n for n in READ_NAMES if n != name] + [".", name, "sub/inner.json"])
        case.files[name] = ("symlink", target)
        case.files.setdefault("sub", ("dir", {"inner.json": b'{"model_type": "bert"}'}))
        case.note(f"fs: {name} -> {target} (inside)")
    elif op <= 3:
        target = rng.choice(OUT_TARGETS)
        case.files[name] = ("symlink", target)
        case.outside["config.json"] = b'{"model_type": "bert", "auto_map": {"AutoModel": "modeling_fz.FzModel"}}'
        case.note(f"fs: {name} -> {target} (outside)")
    elif op == 4:
        other = rng.choice([n for n in READ_NAMES if n != name])
        case.files[name] = ("symlink", other)
        case.files[other] = ("symlink", name)
        case.note(f"fs: symlink loop {name} <-> {other}")
    elif op == 5:
        case.files[name] = ("symlink", rng.choice(["missing.json", "nowhere/" + name, name + ".gone"]))
        case.note(f"fs: {name} dangling")
    elif op == 6:
        kind = rng.choice([("fifo",), ("socket",), ("dir", {}), ("dir", {"config.json": b"{}"})])
        case.files[name] = kind
        case.note(f"fs: {name} is a {kind[0]}")
    elif op == 7:
        for odd in rng.sample(ODD_NAMES, rng.randrange(1, 5)):
            case.files[odd] = rng.choice([b"x = 1\n", b'{"model_type": "bert"}', b"\xff\x00", ("fifo",)])
            case.note(f"fs: file named {odd!r}")
        if rng.random() < 0.5 and isinstance(case.files.get("config.json"), bytes):
            case.note("fs: auto_map names an odd module")
            case.files["config.json"] = case.files["config.json"].rstrip().rstrip(b"}") + (
                b', "auto_map": {"AutoModel": "' + rng.choice([b"modeling_\\u00ff.X", b"modeling_\\udcff.X", b"-rf.X", b"\\u001b[31mred.X"]) + b'"}}'
            ) if case.files["config.json"].rstrip().endswith(b"}") else case.files["config.json"]
    elif op == 8:
        entry = case.files.get(name, b'{"model_type": "bert"}')
        if isinstance(entry, bytes):
            case.files[name] = ("mode", entry, rng.choice([0, 0o200, 0o111]))
            case.note(f"fs: {name} unreadable (mode)")
    elif op == 9:
        size = rng.choice([21 * 1024 * 1024, 500 * 1024 * 1024, 10 * 1024**3])
        case.files[name] = ("sparse", size)
        case.note(f"fs: {name} sparse, {size >> 20} MiB")
    elif op == 10:
        n = rng.choice([1000, 5000])
        for i in range(n):
            case.files[f"f{i}.txt"] = b""
        case.note(f"fs: {n} extra files")
    else:
        case.files[name] = ("dir", {n: ("symlink", "..") for n in READ_NAMES[:3]})
        case.note(f"fs: {name} is a folder of symlinks to its parent")
