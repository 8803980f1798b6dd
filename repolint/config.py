"""Settings: ``[tool.repolint]`` in the repo's pyproject.toml, or a repolint.toml.

Every key is checked: an unknown key, an unknown rule or a bad value raises ConfigError,
which the CLI turns into exit code 2.
"""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = {
    "select": "rules to run (codes, prefixes such as RL2, names, or ALL); default ALL",
    "ignore": "rules to skip, same forms as select",
    "extend-select": "rules added to select",
    "per-file-ignores": "table: glob of repo-relative paths -> list of rules ignored in those files",
    "target-transformers": "version or list of versions to check against (default 5.23)",
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


def load_file(path: Path) -> Settings:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("repolint", {})
    else:
        table = data.get("tool", {}).get("repolint", data) if "tool" in data else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.repolint] must be a table")
    return parse_table(table, str(path))


def discover(repo_root: Path) -> Settings:
    """repolint.toml wins over pyproject.toml; a pyproject without [tool.repolint] is skipped."""
    candidate = repo_root / "repolint.toml"
    if candidate.is_file():
        return load_file(candidate)
    candidate = repo_root / "pyproject.toml"
    if candidate.is_file():
        try:
            with open(candidate, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{candidate}: invalid TOML: {exc}") from None
        if "repolint" in data.get("tool", {}):
            return load_file(candidate)
    return Settings()
