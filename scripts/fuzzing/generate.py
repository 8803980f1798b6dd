"""The case for (seed, index): a seed repo from examples/ or tests/fixtures/, then one to
three mutations from the families (JSON, bytes, Python, settings, file system).

Every case is a pure function of (seed, index, profile), so `--replay` rebuilds it."""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass

from fuzzing import fsmut, jsonmut, pymut, tomlmut
from fuzzing.case import Case

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED_DIRS = ["examples", "tests/fixtures/valid", "tests/fixtures/custom", "tests/fixtures/custom_broken"]
MAX_SEED_FILE = 512 * 1024


@dataclass(frozen=True)
class Profile:
    """Bounds on the cost of one case."""

    max_py_bytes: int  # largest module grown from ordinary code
    depth_limit: int  # deepest Python nesting generated


PROFILES = {
    "full": Profile(max_py_bytes=8_000_000, depth_limit=5000),
    "ci": Profile(max_py_bytes=400_000, depth_limit=5000),
}


def load_seeds(root: str = ROOT) -> list[tuple[str, dict]]:
    """(name, {file: bytes}) for every seed repo: its top-level files (transformers reads
    nothing below the root), each at most MAX_SEED_FILE bytes."""
    seeds = []
    for base in SEED_DIRS:
        folder = os.path.join(root, base)
        for name in sorted(os.listdir(folder)):
            repo = os.path.join(folder, name)
            if not os.path.isdir(repo) or name in ("workflows",):
                continue
            files = {}
            for fname in sorted(os.listdir(repo)):
                path = os.path.join(repo, fname)
                if os.path.isfile(path) and os.path.getsize(path) <= MAX_SEED_FILE:
                    with open(path, "rb") as fh:
                        files[fname] = fh.read()
            if files:
                seeds.append((f"{base}/{name}", files))
    return seeds


def _parsed(entry):
    """The JSON of a file entry; None for anything that is not a parseable regular file."""
    if not isinstance(entry, bytes):
        return None
    try:
        return json.loads(entry)
    except (ValueError, RecursionError):
        return None


def _json_files(case: Case) -> list[str]:
    return [n for n, v in case.files.items() if n.endswith(".json") and isinstance(v, bytes)]


def _mutate_json(rng: random.Random, case: Case) -> None:
    names = _json_files(case)
    name = rng.choice(names) if names and rng.random() < 0.85 else rng.choice(list(jsonmut.KNOWN_KEYS))
    doc = _parsed(case.files.get(name, b"{}"))
    for _ in range(rng.choice([1, 1, 2, 3])):
        doc = jsonmut.mutate_doc(rng, name, doc, case)
    try:
        text = jsonmut.render(rng, doc)
    except RecursionError:  # a document nested deeper than the generator's own recursion
        case.note(f"{name}: too deep to re-render; replaced")
        text = jsonmut.render(rng, {"model_type": "bert"})
    case.files[name] = jsonmut.mutate_text(rng, name, text, case) if rng.random() < 0.4 else text.encode("utf-8", "surrogatepass")


def _ensure_custom_code(case: Case) -> list[str]:
    """The modules auto_map names, adding configuration_fz / modeling_fz when the repo has
    no custom code, so that the rules parse them."""
    modules = [n for n, v in case.files.items() if n.endswith(".py") and isinstance(v, bytes)]
    if modules:
        return modules
    config = _parsed(case.files.get("config.json", b"{}"))
    if not isinstance(config, dict):
        config = {"model_type": "fz"}
    amap = config.get("auto_map") if isinstance(config.get("auto_map"), dict) else {}
    amap.update({"AutoConfig": "configuration_fz.FzConfig", "AutoModel": "modeling_fz.FzModel"})
    config["auto_map"] = amap
    case.files["config.json"] = json.dumps(config, indent=2).encode()
    case.files["configuration_fz.py"] = pymut.CONFIG_MODULE.encode()
    case.files["modeling_fz.py"] = pymut.MODEL_MODULE.encode()
    return ["configuration_fz.py", "modeling_fz.py"]


def _mutate_python(rng: random.Random, case: Case, profile: Profile) -> None:
    name = rng.choice(_ensure_custom_code(case))
    text = case.files[name].decode("utf-8", "replace")
    case.files[name] = pymut.mutate_module(rng, name, text, case, profile.max_py_bytes, profile.depth_limit)


FAMILIES = ["json", "json", "json", "json", "python", "python", "python", "python", "settings", "fs", "fs"]


def make_case(seed: str, index: int, seeds: list[tuple[str, dict]], profile: Profile, families=None) -> Case:
    """``families`` (a subset of FAMILIES) narrows a campaign to some kinds of mutation."""
    rng = random.Random(f"{seed}:{index}")
    seed_name, files = seeds[rng.randrange(len(seeds))]
    case = Case(seed=seed, index=index, files=dict(files))
    case.note(f"seed repo {seed_name}")
    pool = [f for f in FAMILIES if not families or f in families]
    for family in rng.sample(pool, min(len(pool), rng.choice([1, 1, 2, 3]))):
        if family == "json":
            _mutate_json(rng, case)
        elif family == "python":
            _mutate_python(rng, case, profile)
        elif family == "settings":
            tomlmut.mutate_settings(rng, case)
        else:
            fsmut.mutate_fs(rng, case)
    case.args = _options(rng)
    return case


def _options(rng: random.Random) -> list[str]:
    args = ["--format", rng.choice(["full", "full", "concise", "json", "json", "sarif", "github"])]
    if rng.random() < 0.2:
        args += ["-t", "4.57"] + (["-t", "5.23"] if rng.random() < 0.5 else [])
    if rng.random() < 0.1:
        args.append("--statistics")
    if rng.random() < 0.2:
        args.append("--no-cache")
    if rng.random() < 0.1:
        args += ["--select", "ALL"]
    return args
