"""Facts about a repo's Python modules — never imported, never executed.

One pass per file extracts what the code rules need: classes (bases, class attributes),
``register_for_auto_class`` calls, imports (with their guards), module-level names, the
relative imports transformers' own regex finds, and ``# repolint: ignore[...]`` comments.

Who reads what, and what bounds each step (the text is untrusted):
- CPython's own parser (``ast``) reads the text first: it is what transformers' exec will run,
  it rejects exactly what Python rejects (201 nested parentheses, ...) and it never overflows
  the C stack. One iterative walk over its tree (repolint.pyfacts_ast) reads function bodies
  (their imports and registrations; pyusage's facts), gives every fact its position, and cuts
  the module down to its skeleton (repolint.pyfacts_skeleton: module-level statements and class
  bodies, function signatures and bodies and unread values cut out, line count kept).
- libcst, the parser of record, reads that skeleton in-process: the classes, bases, class
  attributes, module-level imports and names and ``register_for_auto_class`` calls the rules
  judge are libcst's, with the ast pass's positions. The skeleton's guards (expression depth,
  a depth budget, size) keep from libcst what would make it slow or recurse; a module they
  refuse, or that libcst fails on, gets the ast pass's own facts (the same facts:
  tests/test_pyfacts_equivalence.py). ``facts["parser"]`` says which parser gave them.
- A module over CHUNK characters is parsed in slices that end at top-level statements (libcst
  reads each slice's skeleton), so memory stays bounded (about 70 bytes per character per
  slice for ast) and time linear.
- When this Python rejects the text, libcst (repolint.pyfacts_cst), which reads the syntax of
  every Python version, decides on the whole module: a module that only newer Pythons accept
  still gets its facts. Only there libcst runs in a child process, after a token-level nesting
  check and with a size bound, a timeout and a memory limit, because no ast tree vouches for
  that text; when it cannot decide, CPython's error stands.
- What could not be analysed is recorded in ``facts["degraded"]`` (why, and what was skipped);
  the code rules do not judge such a module, and RL601 reports it as a warning.

Facts are plain JSON, cached by content hash under the user cache dir and keyed by
repolint's version, so an unchanged file is parsed once.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import json
import os
import re
import sys
import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path

from repolint import __version__
from repolint.pyfacts_ast import CLASS_ATTRS, REGISTER, Walker  # noqa: F401  (CLASS_ATTRS: public)
from repolint.pyfacts_skeleton import Record

FACTS_FORMAT = 11  # bump whenever extract() changes what it records
CHUNK = 1 << 20  # characters per ast slice of a large module
MAX_SLICE = 8 << 20  # a single top-level statement larger than this is not analysed
SLICE_LINES = 30_000  # lines per slice (1 MiB of ordinary code is ~25,000)
CST_MAX_CHARS = 400 * 1024  # libcst needs ~800 bytes of memory per character (400 KiB: 355 MB RSS)
CST_MAX_NESTING = 100  # libcst's time and memory grow with the square of bracket nesting
CST_MAX_CHAIN = 1000  # ... and of chains of operators / attribute accesses (pyfacts_cst.longest_chain)
CST_TIMEOUT = 20.0
CST_MEMORY = 448 << 20  # address space of libcst's child process: its RSS stays under 500 MB
# transformers' dynamic_module_utils.get_relative_imports applies, with re.MULTILINE,
#   ^\s*import\s+\.(\S+)\s*$   and   ^\s*from\s+\.(\S+)\s+import
# Their leading \s* may start on an earlier blank line, which backtracks quadratically over
# runs of blank lines. Whitespace other than \n before the keyword finds the same matches
# (each starting on the keyword's own line) in linear time.
_REL_IMPORT = re.compile(r"^[^\S\n]*import\s+\.(\S+)\s*$", re.MULTILINE)
_REL_FROM = re.compile(r"^[^\S\n]*from\s+\.(\S+)\s+import", re.MULTILINE)
_SUPPRESS = re.compile(r"#\s*repolint:\s*ignore\[([^\]]*)\]")
_CANDIDATE = re.compile(r"import|" + REGISTER)
# a slice of a large module may start at a line that begins a top-level statement
_SLICE_START = re.compile(r"\n(?=[A-Za-z_@])(?!(?:else|elif|except|finally)\b)")


def cache_dir() -> Path:
    env = os.environ.get("REPOLINT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "repolint"


def facts_for_text(text: str, use_cache: bool = True) -> dict:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    path = cache_dir() / f"facts-{__version__}-{FACTS_FORMAT}" / digest[:2] / f"{digest}.json"
    if use_cache:
        try:
            with open(path, encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            pass
    facts = extract(text)
    transient = facts.pop("_transient", False)  # a libcst timeout may pass on a quieter machine
    if use_cache and not transient:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(facts), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home is not an error; the next run parses again
    return facts


# -- extraction -----------------------------------------------------------------------------
class _Rejected(Exception):
    """CPython's parser rejects a slice of the module: ``exc`` says why; ``offset`` is the
    slice's first line - 1; ``at_end`` whether the slice runs to the end of the text."""

    def __init__(self, exc: BaseException, offset: int, source: str, at_end: bool):
        super().__init__(str(exc))
        self.exc, self.offset, self.source, self.at_end = exc, offset, source, at_end


def extract(text: str, libcst: bool = True) -> dict:
    """The facts of a module's text; ``libcst=False`` reads the declarations with the ast pass
    alone (the fallback; tests compare both readers)."""
    if "\r" in text:  # universal newlines, as ast and transformers' open() see the file
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    facts: dict = {
        "syntax_error": None,
        "degraded": None,
        "classes": {},
        "registrations": [],
        "imports": [],
        "names": {},
        "relative_regex": _relative_regex(text),
        "suppressions": _suppressions(text),
    }
    candidates, registers = _candidate_lines(text)
    from repolint.pyusage import collect

    record = Record(registers)
    if not libcst:
        record.why = "libcst was not asked"
    inner: dict = {"imports": [], "registrations": []}  # found in function bodies (ast pass)
    gc_was_on = gc.isenabled()
    gc.disable()  # ast and libcst trees have no cycles; collections while they are built double the time
    try:
        for offset, tree, source in _ast_slices(text):
            if offset:
                ast.increment_lineno(tree, offset)
            skeleton = record.skeleton(offset)
            Walker(facts, candidates, registers, inner, skeleton).walk(tree)
            _merge(facts.setdefault("usage", {}), collect(tree))
            del tree
            if skeleton is not None:
                record.read(skeleton, source)
    except _Rejected as rejected:
        if _rejected(text, facts, rejected):
            facts["parser"] = {"name": "libcst", "why": "this Python's parser rejects the module (newer syntax)"}
            return facts
        record.why = "the module was not fully read: " + (
            facts["degraded"]["reason"] if facts["degraded"] else "Python's parser rejects it")
    finally:
        if gc_was_on:
            gc.enable()
    record.finish(facts, inner)
    return facts


def _merge(usage: dict, part: dict) -> None:
    """Usage facts of a module read in slices: lists concatenated, mappings merged. (Imports
    of one slice do not resolve calls in another: a module over CHUNK characters may miss some.)"""
    for key, value in part.items():
        if key not in usage:
            usage[key] = value
        elif isinstance(value, list):
            usage[key] = sorted(set(usage[key]) | set(value)) if key == "config_writes" else usage[key] + value
        elif isinstance(value, dict):
            usage[key].update(value)


def _parse(source: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning / DeprecationWarning on odd escapes
        return ast.parse(source)


def _ast_slices(text: str):
    """(line offset, tree, text) for each slice of the module, in order. A slice that does not parse
    is grown (doubled) to the next statement start in case the cut fell inside a statement;
    it is rejected once it reaches the end of the text or MAX_SLICE."""
    if len(text) <= CHUNK:
        try:
            tree = _parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise _Rejected(exc, 0, text, True) from None
        yield 0, tree, text
        return
    start, offset = 0, 0
    while start < len(text):
        size, span = CHUNK, SLICE_LINES
        while True:
            # at most `size` characters and `span` lines: short lines are many nodes each
            lines = _lines(span).match(text, start)
            end = _next_start(text, min(start + size, lines.end() if lines else len(text)))
            source = text[start:end]
            try:
                tree = _parse(source)
                break
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                at_end = end >= len(text)
                if at_end or end - start >= MAX_SLICE or isinstance(exc, (RecursionError, MemoryError)):
                    raise _Rejected(exc, offset, source, at_end) from None
                size, span = size * 2, span * 2
        yield offset, tree, source
        del tree
        offset += source.count("\n")
        start = end


def _next_start(text: str, at_least: int) -> int:
    """The first top-level statement start at or after ``at_least`` (the text's end if none). Not a
    line inside a run of decorators, nor the def they decorate: cut there, a slice ends in
    decorators without their def, fails and doubles (an 8 MB module of decorator runs was
    parsed whole: 2.5 GB)."""
    pos = max(at_least - 1, 0)
    while True:
        m = _SLICE_START.search(text, pos)
        if m is None:
            return len(text)
        begin = m.start() + 1
        if not text.startswith("@", text.rfind("\n", 0, m.start()) + 1):
            return begin
        pos = begin  # the previous line is a decorator: this line belongs to its statement


@lru_cache(maxsize=8)
def _lines(count: int):
    return re.compile(r"(?:[^\n]*\n){%d}" % count)


def _rejected(text: str, facts: dict, rejected: _Rejected) -> bool:
    """CPython's parser refused a slice: a syntax error, unless libcst reads the module (syntax
    of a newer Python; then True) or Python can still compile what the ast module could not build."""
    exc, offset = rejected.exc, rejected.offset
    if isinstance(exc, (RecursionError, MemoryError)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(rejected.source, "<module>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc2:
            why = str(exc2) or "the code is nested too deeply for Python's parser"
            facts["syntax_error"] = {"message": f"Python cannot compile this module ({type(exc2).__name__}: {why})",
                                     "line": 1 + offset, "column": 1}
            return False
        facts["degraded"] = _degraded(offset, f"Python's ast module cannot represent the code ({type(exc).__name__})")
        return False
    if not rejected.at_end:
        facts["degraded"] = _degraded(offset, f"a top-level statement is larger than {MAX_SLICE >> 20} MiB")
        return False
    # only a syntax error that a newer Python might accept goes to libcst: not an indentation error
    # (no release changed those rules) nor the parser's own nesting limit
    if (isinstance(exc, SyntaxError) and not isinstance(exc, IndentationError)
            and "too many nested parentheses" not in (exc.msg or "")):
        cst_facts, why = _cst_facts(text)
        if cst_facts is not None:  # only a newer Python accepts it
            for key in ("classes", "registrations", "imports", "names"):
                facts[key] = cst_facts[key]
            return True
        facts["_transient"] = why == "timed out"
    if isinstance(exc, SyntaxError):
        facts["syntax_error"] = {"message": exc.msg, "line": (exc.lineno or 1) + offset, "column": exc.offset or 1}
    else:  # ValueError: NUL bytes
        facts["syntax_error"] = {"message": str(exc), "line": 1 + offset, "column": 1}
    return False


def _degraded(offset: int, why: str) -> dict:
    return {"reason": why, "line": offset + 1,
            "skipped": f"classes, imports, names and register_for_auto_class calls from line {offset + 1} on"}


def _cst_facts(text: str) -> tuple[dict | None, str | None]:
    """The facts libcst reads, from a child process; (None, why) when it cannot tell."""
    import subprocess

    from repolint.pyfacts_cst import longest_chain, nesting

    if len(text) > CST_MAX_CHARS:
        return None, f"larger than {CST_MAX_CHARS >> 10} KiB"
    if nesting(text) > CST_MAX_NESTING:
        return None, f"brackets nested more than {CST_MAX_NESTING} deep"
    if longest_chain(text) > CST_MAX_CHAIN:
        return None, f"an expression chains more than {CST_MAX_CHAIN} operators or attribute accesses"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-c", f"from repolint.pyfacts_cst import main; main({CST_MEMORY})"]
    try:
        proc = subprocess.run(cmd, input=text.encode("utf-8", "surrogatepass"), capture_output=True,
                              timeout=CST_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return None, "timed out"
    except OSError as exc:
        return None, str(exc)
    try:
        answer = json.loads(proc.stdout)
    except ValueError:
        return None, f"libcst's process ended with status {proc.returncode}"
    return answer.get("facts"), answer.get("error")


def _relative_regex(text: str) -> list[list]:
    found = []
    for rx in (_REL_IMPORT, _REL_FROM):
        line, pos = 1, 0
        for m in rx.finditer(text):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            found.append([m.group(1), line])
    return sorted(found, key=lambda x: x[1])


def _suppressions(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if "repolint:" not in text:
        return out
    for lineno, line in enumerate(text.split("\n"), 1):  # physical lines, as ast counts them
        m = _SUPPRESS.search(line)
        if m:
            out[str(lineno)] = [c.strip() for c in m.group(1).split(",") if c.strip()]
    return out


def _candidate_lines(text: str) -> tuple[list[int], list[int]]:
    """Line numbers that mention `import` or `register_for_auto_class`, and those that mention
    the latter (NFKC-normalised, as Python reads identifiers); ascending."""
    both, registers = [], []
    line, pos = 1, 0
    for m in _CANDIDATE.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if not both or both[-1] != line:
            both.append(line)
        if m.group() == REGISTER and (not registers or registers[-1] != line):
            registers.append(line)
    if not text.isascii():
        extra = [n for n, ln in enumerate(text.split("\n"), 1)
                 if not ln.isascii() and REGISTER in unicodedata.normalize("NFKC", ln)]
        if extra:
            both = sorted(set(both) | set(extra))
            registers = sorted(set(registers) | set(extra))
    return both, registers
