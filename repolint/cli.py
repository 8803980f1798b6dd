"""The command line: thin. Parses options, loads settings, runs the engine, reports, exits.

Exit codes: 0 no finding at or above --fail-on (default error); 1 such findings remain;
2 usage, configuration or internal error.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from repolint import __version__

FORMATS = ("full", "concise", "json", "github", "sarif")


def _fail(message: str) -> None:
    click.echo(f"repolint: error: {message}", err=True)
    sys.exit(2)


# Subcommands that live in their own modules (some need optional extras), imported only when
# run or listed: `repolint check` must not pay for them. name -> "module:attribute".
LAZY_COMMANDS = {
    "scan": "repolint.scan.cli:scan",
    "report": "repolint.scan.cli:report",
    "server": "repolint.lsp.cli:server",
}


class _Group(click.Group):
    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *(n for n in LAZY_COMMANDS if self._lazy(n))})

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._lazy(name)

    @staticmethod
    def _lazy(name: str):
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        import importlib
        import importlib.util

        module, _, attr = target.partition(":")
        try:
            if importlib.util.find_spec(module) is None:
                return None
            command = getattr(importlib.import_module(module), attr, None)
        except ImportError:  # its package is not there (yet), or a dependency of it is missing
            return None
        return command if isinstance(command, click.Command) else None


def _version_message() -> str:
    from repolint.knowledge import shipped_versions

    return (
        f"repolint {__version__}\n"
        f"transformers snapshots: {', '.join(reversed(shipped_versions()))}\n"
        f"python {sys.version.split()[0]}"
    )


def _print_version(ctx, _param, value) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_message())
        ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version, help="Show the version and the transformers snapshots it carries, and exit.")
def cli() -> None:
    """Lint Hugging Face model repos before you push them."""


@cli.command()
@click.argument("paths", nargs=-1, required=False, type=click.Path(path_type=str))
@click.option("--select", multiple=True, metavar="RULE", help="Run only these rules (code, prefix such as RL2, name, or ALL). Repeatable; replaces the configured select.")
@click.option("--extend-select", multiple=True, metavar="RULE", help="Add rules to the selection.")
@click.option("--ignore", multiple=True, metavar="RULE", help="Skip these rules. Repeatable; adds to the configured ignore.")
@click.option("-t", "--target-transformers", "targets", multiple=True, metavar="VERSION", help="transformers release(s) to check against, e.g. 5.24 or 4.57. Repeatable. Default: 5.24.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format. Default: full, or github when GITHUB_ACTIONS=true.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), default=None, help="Write the report to this file instead of stdout.")
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of each finding.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True, help="Lowest severity that makes the exit code 1.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None, help="Use this repolint.toml / pyproject.toml for every model folder, instead of the closest one at or above each.")
@click.option("--color/--no-color", default=None, help="Force colour on or off. Default: on a terminal, unless NO_COLOR is set.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the module-facts cache (REPOLINT_CACHE_DIR, else ~/.cache/repolint).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Lint this many repos in parallel (processes).")
@click.option("--repo-type", type=click.Choice(["model"]), default="model", show_default=True, help="Hub repo type of hf:// specs.")
@click.option("--fix", is_flag=True, help="Apply the fixes in place: the safe ones, and the unsafe ones too with --unsafe-fixes (the only option that writes into a repo; never to hf:// repos); then report what remains.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", "unsafe_fixes", default=None, help="Whether --fix and --diff apply the unsafe fixes too (likely right, but they change what loads or could be a wrong guess), and whether the report marks them [*] fixable. Default: the configured unsafe-fixes, else off.")
@click.option("--diff", is_flag=True, help="Print a unified diff (a/ b/ paths relative to the working directory) of what the fixes would change, and write nothing; exit 1 when there is something to fix, else 0 (other findings do not count). With --fix, --diff wins: nothing is written.")
@click.option("--show-compat", is_flag=True, help="Also print the transformers releases each repo loads on (4.20 to the newest snapshot), as far as repolint can tell; with --format json the output becomes {\"diagnostics\": [...], \"compat\": [...]}.")
@click.option("--exclude", multiple=True, metavar="PATTERN", help="Folders the model-folder walk skips (a name glob, or a path glob relative to the working directory); replaces the configured exclude. Repeatable.")
@click.option("--extend-exclude", multiple=True, metavar="PATTERN", help="Folders the walk skips, in addition to exclude. Repeatable.")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None, help="Skip the folders .gitignore ignores (default: on, or the configured respect-gitignore).")
@click.option("--show-files", is_flag=True, help="List the model folders that would be linted, and exit.")
@click.option("--show-settings", is_flag=True, help="Print the resolved settings of each model folder (and the file they come from), and exit.")
def check(paths, select, extend_select, ignore, targets, fmt, output_file, statistics, fail_on, exit_zero, config_file, color, no_cache, jobs, repo_type, fix, unsafe_fixes, diff, show_compat, exclude, extend_exclude, respect_gitignore, show_files, show_settings):
    """Lint every model folder at or below each PATH (default: .): a folder holding
    config.json, tokenizer_config.json, preprocessor_config.json, ... A file stands for its
    nearest model folder. Hub repos as hf://owner/name[@revision]."""
    from repolint.config import ConfigError, load_file
    from repolint.knowledge import UnknownTarget

    options = LintOptions(tuple(select), tuple(extend_select), tuple(ignore), tuple(targets), config_file, no_cache,
                          tuple(exclude), tuple(extend_exclude), respect_gitignore, unsafe_fixes)
    try:
        if options.config_file:
            load_file(Path(options.config_file))  # a broken --config is a usage error before any work
        roots, fetched = _roots(paths or (".",), options, repo_type)
        # hf:// folder views (fetched) stay alive until the report is written; removed at exit
        if not roots:
            click.echo("repolint: warning: No model folders found under the given path(s) (a model folder holds "
                       "config.json, tokenizer_config.json, preprocessor_config.json, ...).", err=True)
        if show_files:
            for label, _ in roots:
                click.echo(label)
            sys.exit(0)
        if show_settings:
            from repolint.settingsview import render_settings

            click.echo(render_settings([(label, settings_for(label, path, options)) for label, path in roots],
                                       as_json=fmt == "json"))
            sys.exit(0)
        results = _lint_all(roots, options, jobs)
        if diff:
            _show_diff(results, output_file, exit_zero)
        if fix:
            from repolint import fixes

            try:
                fixed = fixes.apply(fixes.plan(results))
            except OSError as exc:
                _fail(f"cannot apply fixes: {exc}")
            if fixed:
                click.echo(f"Fixed {fixed} finding{'s' if fixed != 1 else ''}.", err=True)
                results = _lint_all(roots, options, jobs)
    except (ConfigError, UnknownTarget) as exc:
        _fail(str(exc))

    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full"
    color = _use_color(color, output_file)

    from repolint import reporters

    text = reporters.statistics(results, as_json=fmt == "json") if statistics else reporters.render(fmt, results, color=color)
    if show_compat:
        text = _with_compat(text, results, fmt == "json", "statistics" if statistics else "diagnostics")
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8") as fh:
                fh.write(text if text.endswith("\n") or not text else text + "\n")
        except OSError as exc:
            _fail(f"cannot write {output_file}: {exc.strerror or exc}")
    elif text:
        click.echo(text.rstrip("\n"), color=color)  # click would strip the escapes when piped

    threshold = {"error": 3, "warning": 2, "info": 1}[fail_on]  # Severity.rank, without importing pydantic
    failing = any(d.severity.rank >= threshold for r in results for d in r.diagnostics)
    sys.exit(0 if exit_zero or not failing else 1)


def _show_diff(results, output_file: str | None, exit_zero: bool) -> None:
    """--diff: the changes the fixes would make, as one unified diff on stdout (or in the -o
    file); a count on stderr; exit 1 when there is something to fix. Nothing is written into
    the repos."""
    from repolint import fixes

    try:
        changes = fixes.plan(results)
    except OSError as exc:
        _fail(f"cannot read a file to fix: {exc}")
    text = fixes.unified_diff(changes)
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            _fail(f"cannot write {output_file}: {exc.strerror or exc}")
    elif text:
        sys.stdout.write(text)
        sys.stdout.flush()
    would = sum(len(c.fixed) for c in changes)
    concealed = fixes.fix_counts(results)[1]
    more = f" ({concealed} hidden fix{'es' if concealed != 1 else ''} can be enabled with the --unsafe-fixes option)" if concealed else ""
    line = f"Would fix {would} finding{'s' if would != 1 else ''}{more}." if would else f"No fixes available{more}."
    click.echo(line, err=True)
    sys.exit(1 if changes and not exit_zero else 0)


def _use_color(flag: bool | None, output_file: str | None) -> bool:
    """--color / --no-color win; then FORCE_COLOR (any non-empty value: on, even when piped),
    then NO_COLOR (any non-empty value: off), as in ruff; else colour only on a terminal. A
    report written with -o is coloured only with --color."""
    if flag is not None:
        return flag
    if output_file is not None:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _roots(paths, options: "LintOptions", repo_type: str):
    """(label, folder) of every model folder the arguments name, each once, in order; and the
    hf:// folder views fetched on the way."""
    from repolint.config import discover, load_file
    from repolint.discover import Exclude, model_folder, walk

    roots: dict[str, tuple[str, Path]] = {}
    fetched = []
    cache: dict[str, bool] = {}
    for p in paths:
        if p.startswith("hf://"):  # repolint.sources.is_hub_spec, without importing it for local paths
            from repolint.sources import SourceError, fetch_hub_repo

            try:
                view = fetch_hub_repo(p, repo_type=repo_type)
            except SourceError as exc:
                _fail(str(exc))
            fetched.append(view)
            roots.setdefault(p, (view.label, view.path))
            continue
        if not os.path.lexists(p):
            _fail(f"{p}: no such file or directory")
        if not os.path.isdir(p):
            folder = model_folder(p, cache)
            found = [folder] if folder is not None else []
        else:
            settings = load_file(Path(options.config_file)) if options.config_file else discover(p)
            patterns = settings.exclude_patterns(options.exclude, options.extend_exclude)
            respect = settings.respect_gitignore if options.respect_gitignore is None else options.respect_gitignore
            found = walk(p, Exclude(patterns), respect)
        for folder in found:
            roots.setdefault(os.path.abspath(folder), (folder, Path(folder)))
    return list(roots.values()), fetched


def _with_compat(text: str, results, as_json: bool, key: str = "diagnostics") -> str:
    """The report plus each repo's supported transformers range."""
    import json

    from repolint.compatrange import compat_range

    ranges = [(r.repo.label, compat_range(r.repo) if r.linted else None) for r in results]
    if as_json:
        return json.dumps({key: json.loads(text or "[]"),
                           "compat": [{"repo": label, **(c.to_json() if c else {"loads_on": None})} for label, c in ranges]},
                          indent=2, ensure_ascii=True)
    lines = [f"compat: {label}: {c.text() if c else 'unknown (no API-surface data)'}" for label, c in ranges]
    return "\n".join([text, *lines]) if text else "\n".join(lines)


@dataclass(frozen=True)
class LintOptions:
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    targets: tuple[str, ...]
    config_file: str | None
    no_cache: bool
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool | None = None
    unsafe_fixes: bool | None = None


def settings_for(label: str, path: Path, options: LintOptions):
    """The settings of one model folder: --config, else the closest settings file at or above
    it (for a Hub repo, only its own), with the command line's options applied; resolved."""
    from repolint.config import discover, load_file
    from repolint.knowledge import DEFAULT_TARGET

    if options.config_file:
        settings = load_file(Path(options.config_file))
    else:
        settings = discover(path, stop=path if label.startswith("hf://") else None)
    if options.select:
        settings.select = list(options.select)
    settings.extend_select = [*settings.extend_select, *options.extend_select]
    settings.ignore = [*settings.ignore, *options.ignore]
    settings.targets = list(dict.fromkeys(list(options.targets) or settings.targets or [DEFAULT_TARGET]))
    if options.unsafe_fixes is not None:
        settings.unsafe_fixes = options.unsafe_fixes
    return settings.resolve()


def lint_one(label: str, path: Path, options: LintOptions):
    """Settings for one repo, then the engine."""
    from repolint.engine import run
    from repolint.knowledge import Knowledge
    from repolint.repo import MAX_FILE_SIZE, Repo

    settings = settings_for(label, path, options)
    knowledge = [Knowledge.for_target(t) for t in settings.targets]
    repo = Repo(path, label=label, max_file_size=settings.max_file_size or MAX_FILE_SIZE)
    repo.use_cache = not options.no_cache
    return run(repo, settings, knowledge)


def _lint_in_worker(label: str, path: Path, options: LintOptions):
    result = lint_one(label, path, options)
    return result.diagnostics, result.linted, result.unsafe_fixes  # the Repo's caches stay in the worker


def _lint_all(roots, options: LintOptions, jobs: int) -> list:
    """Lint every root, in order; with --jobs > 1 in worker processes. A progress bar goes to
    stderr when it is a terminal and there are more than three repos."""
    show = len(roots) > 3 and sys.stderr.isatty()
    if jobs == 1 or len(roots) == 1:
        out = []
        with click.progressbar(roots, label="linting", file=sys.stderr) if show else _plain(roots) as items:
            for label, path in items:
                out.append(lint_one(label, path, options))
        return out
    from concurrent.futures import ProcessPoolExecutor

    from repolint.engine import Result
    from repolint.repo import Repo

    with ProcessPoolExecutor(max_workers=min(jobs, len(roots))) as pool:
        futures = [pool.submit(_lint_in_worker, label, path, options) for label, path in roots]
        with click.progressbar(futures, label="linting", file=sys.stderr) if show else _plain(futures) as items:
            done = [f.result() for f in items]
    return [Result(Repo(path, label=label), diags, linted, unsafe) for (label, path), (diags, linted, unsafe) in zip(roots, done)]


class _plain:
    """A stand-in for click.progressbar's context manager when no bar is shown."""

    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


@cli.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-t", "--target-transformers", "targets", multiple=True, metavar="VERSION", help="Release(s) to plan for. Repeatable. Default: the configured targets, else 5.24.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="A tree for a person, or JSON.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the module-facts cache.")
def plan_command(paths, targets, fmt, no_cache):
    """Show what from_pretrained would do with each repo: every Auto class it serves, the class
    each resolves to, the modules transformers would execute and their transformers imports,
    each link ok or BROKEN (with the reason and file:line). Exit 1 when a link is broken."""
    from repolint.config import ConfigError, discover
    from repolint.engine import Context
    from repolint.knowledge import DEFAULT_TARGET, Knowledge, UnknownTarget
    from repolint.plan import plan_for
    from repolint.planview import render_json, render_text
    from repolint.repo import Repo

    plans = []
    try:
        for p in paths:
            path = Path(p)
            if not path.exists():
                _fail(f"{p}: no such file or directory")
            if path.is_file():
                path = path.parent
            settings = discover(path)
            specs = list(targets) or settings.targets or [DEFAULT_TARGET]
            repo = Repo(path, label=str(p))
            repo.use_cache = not no_cache
            for spec in dict.fromkeys(specs):
                plans.append(plan_for(Context(repo, Knowledge.for_target(spec))))
    except (ConfigError, UnknownTarget) as exc:
        _fail(str(exc))
    click.echo(render_json(plans) if fmt == "json" else render_text(plans))
    sys.exit(1 if any(pl.tree().status == "broken" for pl in plans) else 0)


@cli.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Print the rules as a JSON array.")
def list_rules(as_json):
    """List every rule: code, name, default severity, summary."""
    from repolint.registry import all_rules

    rules = all_rules()
    if as_json:
        import json

        click.echo(json.dumps([_rule_record(r) for r in rules], indent=2))
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity:<7}  {r.summary}")


def _rule_record(r) -> dict:
    return {
        "code": r.code,
        "name": r.name,
        "family": r.family(),
        "severity": r.severity,
        "summary": r.summary,
        "why": r.why,
        "fix": r.fix_text,
        "fix_applicability": r.fix_applicability,
        "fix_detail": r.fix_detail or None,
        "url": r.url(),
    }


@cli.command("rule")
@click.argument("selector")
def show_rule(selector):
    """Print the documentation of one rule, by code (RL201) or name (unknown-model-type)."""
    from repolint.docs import render_rule
    from repolint.registry import find_rule

    rule = find_rule(selector)
    if rule is None:
        _fail(f"unknown rule {selector!r}; `repolint rules` lists them")
    click.echo(render_rule(rule))


def main() -> None:
    try:
        cli.main(prog_name="repolint", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # an internal error: one line, exit 2; REPOLINT_DEBUG=1 for the traceback
        if os.environ.get("REPOLINT_DEBUG"):
            raise
        click.echo(f"repolint: internal error: {type(exc).__name__}: {exc} (set REPOLINT_DEBUG=1 for the traceback)", err=True)
        sys.exit(2)
