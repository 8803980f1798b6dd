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
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from repolint.repo import outside

KEYS = {
    "select": "rules to run (codes, prefixes such as RL2, names, or ALL); default ALL",
    "ignore": "rules to skip, same forms as select",
    "extend-select": "rules added to select",
    "per-file-ignores": "table: glob of repo-relative paths -> list of rules ignored in those files",
    "target-transformers": "version or list of versions to check against (default 5.24)",
    "severity": "table: rule -> error | warning | info",
    "max-file-size": "largest metadata file read, in bytes (default 20 MiB)",
}


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

    def ignored_in(self, code: str, path: str) -> bool:
        return any(code in codes and fnmatch.fnmatch(path, glob) for glob, codes in self.ignores_by_glob)


def _as_list(value, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}{key} must be a string or a list of strings")


def parse_table(table: dict, source: str | None) -> Settings:
    where = f"{source}: " if source else ""
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}unknown key(s) in [tool.repolint]: {', '.join(unknown)} (known: {', '.join(KEYS)})")
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
        s.severity[sel] = sev
    if "max-file-size" in table:
        size = table["max-file-size"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ConfigError(f"{where}max-file-size must be a positive integer (bytes)")
        s.max_file_size = size
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


def _in_repo(repo_root: Path, name: str) -> Path | None:
    """The repo's own settings file ``name``, or None when there is none. A symlink out of
    the repo is refused, as for the metadata files (RL008): repolint reads only the repo."""
    candidate = repo_root / name
    if not os.path.lexists(candidate):
        return None
    real_root = os.path.realpath(repo_root)
    if outside(real_root, candidate):
        target = os.readlink(candidate) if os.path.islink(candidate) else os.path.realpath(candidate)
        raise ConfigError(
            f"{candidate}: a symlink to {target}, outside the repo; repolint does not read it "
            "(copy the file into the repo, or name it with --config)"
        )
    if os.path.islink(candidate) and not os.path.exists(candidate):
        raise ConfigError(f"{candidate}: a dangling symlink to {os.readlink(candidate)}")
    return candidate


def discover(repo_root: Path) -> Settings:
    """repolint.toml wins over pyproject.toml; a pyproject without [tool.repolint] is skipped.
    A settings file that cannot be used is a ConfigError (exit 2), as in ruff."""
    candidate = _in_repo(repo_root, "repolint.toml")
    if candidate is not None:
        return load_file(candidate)
    candidate = _in_repo(repo_root, "pyproject.toml")
    if candidate is not None:
        data = _read_toml(candidate)
        if "repolint" in (_tool_table(data, candidate) or {}):
            return load_file(candidate)
    return Settings()
