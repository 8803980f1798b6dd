"""Settings: ``[tool.repolint]`` in the repo's pyproject.toml, or a repolint.toml.

Every key is checked: an unknown key, an unknown rule or a bad value raises ConfigError,
which the CLI turns into exit code 2 with one line naming the file, whether the file was
named with --config or found in the repo (ruff does the same). So does a settings file
that cannot be read: not UTF-8, not TOML, not a regular file, or a symlink out of the repo.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from repolint.repo import outside

SCHEMA_FILE = "repolint-config.schema.json"  # in repolint.schemas: the settings' contract
SETTINGS_FILES = ("repolint.toml", "pyproject.toml")  # at one level, repolint.toml wins


@lru_cache(maxsize=None)
def schema() -> dict:
    import json

    from repolint.knowledge import schemas_dir

    with open(os.path.join(schemas_dir(), SCHEMA_FILE), "rb") as fh:
        return json.load(fh)


def keys() -> dict[str, str]:
    """Every settings key and its description, from the JSON Schema."""
    return {k: v.get("description", "") for k, v in schema()["properties"].items()}


class ConfigError(Exception):
    pass


@dataclass
class Settings:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    max_file_size: int | None = None
    exclude: list[str] | None = None  # None: the default (nothing beyond what is always skipped)
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    unsafe_fixes: bool = False
    source: str | None = None  # the file the settings came from

    # resolved by resolve()
    enabled: frozenset[str] = frozenset()
    severity_by_code: dict[str, str] = field(default_factory=dict)
    ignores_by_glob: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    def resolve(self) -> "Settings":
        from repolint.registry import expand_selector

        def expand(selectors, what):
            codes: set[str] = set()
            for sel in selectors:
                try:
                    codes |= expand_selector(sel)
                except KeyError:
                    raise ConfigError(f"{self._where()}{what}: unknown rule {sel!r}") from None
            return codes

        self.enabled = frozenset(
            (expand(self.select, "select") | expand(self.extend_select, "extend-select"))
            - expand(self.ignore, "ignore")
        )
        for sel, sev in self.severity.items():
            if sev not in ("error", "warning", "info"):
                raise ConfigError(f"{self._where()}severity: {sel} = {sev!r}; use error, warning or info")
            for code in expand([sel], "severity"):
                self.severity_by_code[code] = sev
        self.ignores_by_glob = [
            (glob, frozenset(expand(rules, f"per-file-ignores[{glob!r}]")))
            for glob, rules in self.per_file_ignores.items()
        ]
        return self

    def _where(self) -> str:
        return f"{self.source}: " if self.source else ""

    def exclude_patterns(self, cli_exclude=(), cli_extend=()) -> tuple[tuple[str, str], ...]:
        """(pattern, folder a path pattern is relative to) of the walk: --exclude replaces
        exclude; extend-exclude and --extend-exclude add to it. Patterns of a settings file
        are relative to its folder, those of the command line to the working directory."""
        cwd = os.getcwd()
        base = os.path.dirname(os.path.abspath(self.source)) if self.source else cwd
        own = [] if cli_exclude else list(self.exclude or [])
        return (*((x, cwd) for x in cli_exclude), *((x, base) for x in [*own, *self.extend_exclude]),
                *((x, cwd) for x in cli_extend))

    def ignored_in(self, code: str, path: str) -> bool:
        return any(code in codes and fnmatch.fnmatch(path, glob) for glob, codes in self.ignores_by_glob)


def _as_list(value, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}{key} must be a string or a list of strings")


def _schema_valid(table: dict) -> bool:
    """The light checker's verdict (no jsonschema import for a clean settings file)."""
    from repolint.minischema import Unsupported, is_valid, pointer_get

    def resolve(ref, base):
        return pointer_get(base, ref.partition("#")[2]), base

    try:
        return is_valid(table, schema(), resolve)
    except (Unsupported, KeyError, TypeError):
        return False


def _schema_error(table: dict, where: str) -> None:
    """Raise the JSON Schema's first complaint about ``table`` (jsonschema, imported only here)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(table))
    if error is None:
        return
    at = ".".join(str(p) for p in error.absolute_path)
    raise ConfigError(f"{where}{at + ': ' if at else ''}{error.message}")


def parse_table(table: dict, source: str | None) -> Settings:
    """Settings from a [tool.repolint] table, validated against the JSON Schema. The checks
    below give the usual one-line messages; the schema (jsonschema, imported only for a
    table the light checker rejects) reports whatever they do not cover."""
    where = f"{source}: " if source else ""
    valid = _schema_valid(table)
    settings = _parse(table, where, source)
    if not valid:
        _schema_error(table, where)
    return settings


def _parse(table: dict, where: str, source: str | None) -> Settings:
    known = keys()
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"{where}unknown key(s) in [tool.repolint]: {', '.join(unknown)} (known: {', '.join(known)})")
    s = Settings(source=source)
    if "select" in table:
        s.select = _as_list(table["select"], "select", where)
    if "ignore" in table:
        s.ignore = _as_list(table["ignore"], "ignore", where)
    if "extend-select" in table:
        s.extend_select = _as_list(table["extend-select"], "extend-select", where)
    if "target-transformers" in table:
        s.targets = _as_list(table["target-transformers"], "target-transformers", where)
    for key in ("per-file-ignores", "severity"):
        if key in table and not isinstance(table[key], dict):
            raise ConfigError(f"{where}{key} must be a table")
    for glob, rules in table.get("per-file-ignores", {}).items():
        s.per_file_ignores[glob] = _as_list(rules, f"per-file-ignores[{glob!r}]", where)
    for sel, sev in table.get("severity", {}).items():
        if not isinstance(sev, str):
            raise ConfigError(f"{where}severity.{sel} must be a string")
        if sev not in ("error", "warning", "info"):
            raise ConfigError(f"{where}severity: {sel} = {sev!r}; use error, warning or info")
        s.severity[sel] = sev
    if "max-file-size" in table:
        size = table["max-file-size"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ConfigError(f"{where}max-file-size must be a positive integer (bytes)")
        s.max_file_size = size
    if "exclude" in table:
        s.exclude = _as_list(table["exclude"], "exclude", where)
    if "extend-exclude" in table:
        s.extend_exclude = _as_list(table["extend-exclude"], "extend-exclude", where)
    if "respect-gitignore" in table:
        if not isinstance(table["respect-gitignore"], bool):
            raise ConfigError(f"{where}respect-gitignore must be true or false")
        s.respect_gitignore = table["respect-gitignore"]
    if "unsafe-fixes" in table:
        if not isinstance(table["unsafe-fixes"], bool):
            raise ConfigError(f"{where}unsafe-fixes must be true or false")
        s.unsafe_fixes = table["unsafe-fixes"]
    return s


MAX_CONFIG_SIZE = 1024 * 1024  # a settings file is a few hundred bytes


def _read_toml(path: Path) -> dict:
    """The parsed TOML of a settings file; every failure is one ConfigError line."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block open(), a device never end
            raise ConfigError(f"{path}: not a regular file")
        if st.st_size > MAX_CONFIG_SIZE:
            raise ConfigError(f"{path}: {st.st_size} bytes, over the {MAX_CONFIG_SIZE}-byte limit for a settings file")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_SIZE + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); TOML files are UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:  # an integer over 4300 digits, nesting too deep
        raise ConfigError(f"{path}: TOML that cannot be read ({type(exc).__name__}: {str(exc)[:100]})") from None


def _tool_table(data: dict, path: Path) -> dict | None:
    tool = data.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table ([tool]); it is a value of type {type(tool).__name__}")
    return tool


def load_file(path: Path) -> Settings:
    data = _read_toml(path)
    tool = _tool_table(data, path)
    if path.name == "pyproject.toml":
        table = (tool or {}).get("repolint", {})
    else:
        table = tool.get("repolint", data) if tool is not None else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.repolint] must be a table")
    return parse_table(table, str(path))


def _shown(path: str) -> str:
    """A settings file's path for messages: relative to the working directory when under it."""
    rel = os.path.relpath(path)
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel


def _in_repo(folder: str, name: str, boundary: str) -> Path | None:
    """The settings file ``name`` of ``folder``, or None when there is none. A symlink that
    leads out of ``boundary`` (the repository root, else ``folder``) is refused, as for the
    metadata files (RL008): repolint reads only the repo."""
    candidate = Path(_shown(os.path.join(folder, name)))
    if not os.path.lexists(candidate):
        return None
    if outside(os.path.realpath(boundary), candidate):
        target = os.readlink(candidate) if os.path.islink(candidate) else os.path.realpath(candidate)
        raise ConfigError(
            f"{candidate}: a symlink to {target}, outside the repo; repolint does not read it "
            "(copy the file into the repo, or name it with --config)"
        )
    if os.path.islink(candidate) and not os.path.exists(candidate):
        raise ConfigError(f"{candidate}: a dangling symlink to {os.readlink(candidate)}")
    return candidate


def _at_level(folder: str, boundary: str) -> Path | None:
    candidate = _in_repo(folder, "repolint.toml", boundary)
    if candidate is not None:
        return candidate
    candidate = _in_repo(folder, "pyproject.toml", boundary)
    if candidate is not None and "repolint" in (_tool_table(_read_toml(candidate), candidate) or {}):
        return candidate
    return None


def find_settings_file(folder, stop=None) -> Path | None:
    """The settings file that governs ``folder``: the closest repolint.toml, or pyproject.toml
    with [tool.repolint], from ``folder`` up to the repository root (the folder holding .git;
    without one, the filesystem root), or up to ``stop`` when given (a Hub repo's view)."""
    from repolint.discover import repository_root

    here = os.path.abspath(folder)
    top = os.path.abspath(stop) if stop is not None else repository_root(here)
    while True:
        found = _at_level(here, top or here)
        if found is not None:
            return found
        parent = os.path.dirname(here)
        if here == top or parent == here:
            return None
        here = parent


def discover(folder, stop=None) -> Settings:
    """The settings for the model folder ``folder``: the closest settings file at or above
    it (see find_settings_file; repolint.toml wins over pyproject.toml at the same level, and
    a pyproject without [tool.repolint] is skipped), else the defaults. A settings file that
    cannot be used is a ConfigError (exit 2), as in ruff."""
    path = find_settings_file(folder, stop)
    return load_file(path) if path is not None else Settings()
