"""RL910-RL929: what the repo's custom code would do when ``trust_remote_code=True`` runs it.

Only the modules transformers would execute for this repo are read (``loaded_modules``: the
auto_map targets and their relative imports), from the module facts (repolint.pyusage's
``calls``: each call's callee resolved through the module's imports). Nothing is executed.
A call at module level runs as soon as transformers imports the module, i.e. inside
``from_pretrained``; a call in a function runs when that function does.

RL910 is the per-repo summary ("executes code: yes; network: yes; processes: no; ..."):
one info finding per repo that runs custom code, whose message the JSON reporter also
gives as a ``summary`` object and the full reporter prints as a section.
"""

from __future__ import annotations

import re

from repolint.registry import Example, Finding, Rule, register
from repolint.rules.auto_map import auto_map_entries, parse_ref
from repolint.rules.code import loaded_modules

SUMMARY_FIELDS = (  # (key, label) in the summary message, in order
    ("executes_code", "executes code"),
    ("network", "network"),
    ("processes", "processes"),
    ("exec_strings", "exec of strings"),
    ("writes_files", "writes files"),
    ("other_repos", "code from other repos"),
)
_SHA = re.compile(r"^[0-9a-f]{40}$")

_EXEC = {"eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile", "__import__",
         "builtins.__import__", "importlib.import_module", "runpy.run_path", "runpy.run_module"}
_PROCESS_PREFIXES = ("subprocess.", "pty.", "commands.", "asyncio.create_subprocess_", "multiprocessing.Process")
_PROCESS = {"os.system", "os.popen", "os.fork", "os.forkpty", "os.startfile", "platform.popen"}
_PROCESS_RE = re.compile(r"^os\.(exec|spawn|posix_spawn)")
_NETWORK_PREFIXES = ("socket.", "requests.", "urllib.request.", "urllib3.", "http.client.", "httpx.", "aiohttp.",
                     "websocket.", "websockets.", "ftplib.", "smtplib.", "paramiko.", "torch.hub.", "wget.")
_NETWORK = {"urllib.urlopen", "huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download",
            "huggingface_hub.HfApi", "huggingface_hub.upload_file", "huggingface_hub.upload_folder",
            "transformers.utils.hub.cached_file", "transformers.utils.cached_file"}
_DELETE = {"os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree", "shutil.move", "os.rename", "os.replace"}
_WRITE = {"os.makedirs", "os.mkdir", "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "os.chmod",
          "torch.save", "numpy.save", "json.dump", "pickle.dump"}


def category(call: dict) -> str | None:
    """exec | process | network | write | delete | remote, or None for a call that stays in the model."""
    name = call["name"]
    if call.get("kwargs", {}).get("trust_remote_code") is True:
        return "remote"
    if name in _EXEC:
        return "exec"
    if name in _PROCESS or name.startswith(_PROCESS_PREFIXES) or _PROCESS_RE.match(name):
        return "process"
    if name in _NETWORK or name.startswith(_NETWORK_PREFIXES):
        return "network"
    if name in _DELETE:
        return "delete"
    if name in _WRITE:
        return "write"
    if name in ("open", "builtins.open", "io.open", "os.open"):
        args = call.get("args") or []
        mode = args[1] if len(args) > 1 else call.get("kwargs", {}).get("mode")
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return "write"
        if name == "os.open" or (len(args) > 1 and mode is None) or ("mode" in call.get("kw_names", []) and mode is None):
            return "write"  # a mode the code computes: may write
    return None


def risky_calls(ctx):
    """(module file, call fact, category) for every call that reaches outside the model."""
    def compute():
        out = []
        for mod in loaded_modules(ctx):
            f = ctx.repo.python(f"{mod}.py")
            if not f or "problem" in f:
                continue
            for call in (f.get("usage") or {}).get("calls", ()):
                kind = category(call)
                if kind:
                    out.append((f"{mod}.py", call, kind))
        return out

    return ctx.repo.memo("remote_code.calls", compute)


def _when(call: dict) -> str:
    if call.get("function") is None and call.get("class") is None:
        return "at import, i.e. during from_pretrained"
    where = ".".join(p for p in (call.get("class"), call.get("function")) if p)
    return f"in {where}()"


def _finding(file: str, call: dict, message: str, severity: str | None = None) -> Finding:
    return Finding(file, message, line=call.get("line", 1), column=call.get("column", 1),
                   end_line=call.get("end_line"), end_column=call.get("end_column"), severity=severity)


def summary(ctx) -> dict | None:
    """The per-repo summary, or None when transformers runs no code of this repo."""
    modules = [m for m in loaded_modules(ctx) if f"{m}.py" in ctx.repo.top_level()]  # a missing one is RL304's
    upstream = sorted({p[0] for r in auto_map_entries(ctx) if (p := parse_ref(r.value)) and p[0]})
    if not modules and not upstream:
        return None
    kinds = {k for _f, _c, k in risky_calls(ctx)}
    return {
        "executes_code": True,
        "modules": [f"{m}.py" for m in modules],
        "network": "network" in kinds,
        "processes": "process" in kinds,
        "exec_strings": "exec" in kinds,
        "writes_files": bool(kinds & {"write", "delete"}),
        "other_repos": bool(upstream) or "remote" in kinds,
        "upstream": upstream,
    }


def summary_message(s: dict) -> str:
    parts = []
    for key, label in SUMMARY_FIELDS:
        value = "yes" if s[key] else "no"
        if key == "executes_code" and s["modules"]:
            value += f" ({', '.join(s['modules'])})"
        if key == "other_repos" and s["upstream"]:
            value += f" ({', '.join(s['upstream'])})"
        parts.append(f"{label}: {value}")
    return "; ".join(parts)


def parse_summary(message: str) -> dict:
    """The summary message back as {key: bool} (what the JSON reporter emits)."""
    labels = {label: key for key, label in SUMMARY_FIELDS}
    out = {}
    for part in message.split("; "):
        label, _, value = part.partition(": ")
        if label in labels:
            out[labels[label]] = value.startswith("yes")
    return out


CONFIG = '{\n  "model_type": "x-net",\n  "auto_map": {\n    "AutoConfig": "configuration_x.XConfig"\n  }\n}\n'
CLEAN_PY = "from transformers import PretrainedConfig\n\n\nclass XConfig(PretrainedConfig):\n    model_type = \"x-net\"\n"


def _repo(py: str) -> dict:
    return {"config.json": CONFIG, "configuration_x.py": CLEAN_PY + py}


@register
class RemoteCodeSummary(Rule):
    code = "RL910"
    name = "remote-code-summary"
    summary = "What this repo's custom code does when trust_remote_code=True runs it (one line per repo)"
    severity = "info"
    why = (
        "With trust_remote_code=True, transformers imports the repo's modules and runs them with the "
        "user's rights. Before trusting a repo, its users and reviewers want to know what that code "
        "reaches: the network, other processes, strings run as code, files, code from other repos."
    )
    fix_text = "Nothing to fix: read the line, and the RL911-RL915 findings it sums up, before passing trust_remote_code=True."
    invalid = [Example(_repo(""), [("config.json", 4)])]
    valid = [Example({"config.json": '{\n  "model_type": "llama"\n}\n'})]

    def check(self, ctx):
        s = summary(ctx)
        if s is None:
            return
        ref = next(iter(auto_map_entries(ctx)), None)
        if ref is not None:
            yield Finding(ref.file, summary_message(s), pointer=ref.ptr)
        else:
            yield Finding(s["modules"][0], summary_message(s), line=1, column=1)


@register
class ExecStrings(Rule):
    code = "RL911"
    name = "remote-code-exec"
    summary = "Custom code runs strings as code (exec, eval, compile, __import__, importlib.import_module)"
    severity = "warning"
    why = (
        "Code built from strings at run time cannot be reviewed by reading the repo: what runs "
        "depends on data (a downloaded file, a config value). A literal string is visible, but "
        "still hides code from linters and type checkers."
    )
    fix_text = "Write the code out as Python; import modules by name."
    invalid = [Example(_repo("\n\nexec(open(\"setup_hook.txt\").read())\n"), [("configuration_x.py", 8)])]
    valid = [Example(_repo(""))]

    def check(self, ctx):
        for file, call, kind in risky_calls(ctx):
            if kind == "exec":
                literal = call.get("arg0_str")
                what = "a string literal" if literal else "a string computed at run time"
                yield _finding(file, call, f"{call['name']}() runs {what} as code {_when(call)}", None if not literal else "info")


@register
class Processes(Rule):
    code = "RL912"
    name = "remote-code-process"
    summary = "Custom code starts processes (subprocess, os.system, os.popen, os.exec*)"
    severity = "warning"
    why = "A model needs no shell: a process started by the model code can do anything the user can, outside Python's view."
    fix_text = "Remove the call, or do the work in Python inside the model code."
    invalid = [Example(_repo("import subprocess\n\nsubprocess.run([\"pip\", \"install\", \"flash-attn\"])\n"), [("configuration_x.py", 8)])]
    valid = [Example(_repo(""))]

    def check(self, ctx):
        for file, call, kind in risky_calls(ctx):
            if kind == "process":
                yield _finding(file, call, f"{call['name']}() starts a process {_when(call)}")


@register
class Network(Rule):
    code = "RL913"
    name = "remote-code-network"
    summary = "Custom code opens network connections (requests, urllib, httpx, socket, Hub downloads)"
    severity = "warning"
    why = (
        "A download at load or run time pulls data or code that is not in the repo and can change; "
        "a connection can also send data out. Offline and air-gapped users get a failure instead."
    )
    fix_text = "Ship what the code downloads in the repo, or load it through from_pretrained arguments the user controls."
    invalid = [Example(_repo("import requests\n\nVOCAB = requests.get(\"https://example.com/vocab.txt\").text\n"), [("configuration_x.py", 8)])]
    valid = [Example(_repo(""))]

    def check(self, ctx):
        for file, call, kind in risky_calls(ctx):
            if kind == "network":
                yield _finding(file, call, f"{call['name']}() reaches the network {_when(call)}")


@register
class FileWrites(Rule):
    code = "RL914"
    name = "remote-code-file-write"
    summary = "Custom code writes, moves or deletes files"
    severity = "info"
    why = (
        "transformers copies the module into its cache and imports it; model code has no reason to "
        "write elsewhere. Writes are reported for review (info); deleting or moving files is a "
        "warning."
    )
    fix_text = "Keep model code free of file writes; save through save_pretrained."
    invalid = [Example(_repo("import shutil\n\nshutil.rmtree(\"/tmp/old-cache\")\n"), [("configuration_x.py", 8)])]
    valid = [Example(_repo("\n\ndef read(path):\n    with open(path) as fh:\n        return fh.read()\n"))]

    def check(self, ctx):
        for file, call, kind in risky_calls(ctx):
            if kind in ("write", "delete"):
                target = (call.get("args") or [None])[0]
                what = "deletes or moves files" if kind == "delete" else "writes files"
                path = f" ({target!r})" if isinstance(target, str) else ""
                yield _finding(file, call, f"{call['name']}() {what}{path} {_when(call)}", "warning" if kind == "delete" else None)


@register
class LoadsOtherRepo(Rule):
    code = "RL915"
    name = "remote-code-loads-other-repo"
    summary = "Custom code loads another repo with trust_remote_code=True"
    severity = "warning"
    why = (
        "from_pretrained(..., trust_remote_code=True) inside model code runs a second repo's code "
        "without its user ever being asked; unless the call pins revision= to a commit, that code "
        "can change at any time. (auto_map's own \"owner/repo--module.Class\" references are "
        "RL305; they always load the other repo's default branch, unless the user passes "
        "code_revision.)"
    )
    fix_text = "Copy the code into this repo, or pin revision= to a 40-hex commit id."
    invalid = [Example(_repo("from transformers import AutoModel\n\n\ndef encoder():\n    return AutoModel.from_pretrained(\"someone/encoder\", trust_remote_code=True)\n"), [("configuration_x.py", 10)])]
    valid = [Example(_repo("from transformers import AutoModel\n\n\ndef encoder():\n    return AutoModel.from_pretrained(\"someone/encoder\")\n"))]

    def check(self, ctx):
        for file, call, kind in risky_calls(ctx):
            if kind != "remote":
                continue
            target = (call.get("args") or [None])[0]
            who = repr(target) if isinstance(target, str) else "a repo named at run time"
            rev = call.get("kwargs", {}).get("revision") or call.get("kwargs", {}).get("code_revision")
            pinned = f"pinned to {rev[:12]}" if isinstance(rev, str) and _SHA.match(rev) else "not pinned to a commit"
            yield _finding(file, call, f"{call['name']}() loads {who} with trust_remote_code=True ({pinned}) {_when(call)}")
