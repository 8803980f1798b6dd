"""RL0xx: files transformers cannot read, and JSON that parses only by accident."""

from __future__ import annotations

from repolint.registry import Example, Finding, Rule, register
from repolint.repo import CONFIG_FILES, LFS_PREFIX


def _docs(ctx):
    for name in CONFIG_FILES:
        doc = ctx.repo.json(name)
        if doc is not None:
            yield doc


class _ProblemRule(Rule):
    """Reports the read problems of one or more kinds recorded by the Repo."""

    kinds: tuple[str, ...] = ()

    def severity_for(self, path: str) -> str | None:
        """The finding's severity for this file (None: the rule's own)."""
        return None

    def check(self, ctx):
        for doc in _docs(ctx):
            p = doc.problem
            if p is not None and p.kind in self.kinds:
                yield Finding(doc.path, p.message, line=p.line, column=p.column, help=p.help,
                              severity=self.severity_for(doc.path))


@register
class InvalidJson(_ProblemRule):
    code = "RL001"
    name = "invalid-json"
    summary = "A metadata file is not valid JSON"
    kinds = ("json-syntax",)
    why = (
        "transformers reads config.json, tokenizer_config.json and the other metadata files with "
        "`json.load`. A trailing comma, a missing quote, a byte-order mark or an empty file raises "
        "`JSONDecodeError` the moment a user calls `from_pretrained`, after the download."
    )
    fix_text = "Correct the syntax at the reported position (a JSON formatter such as `python -m json.tool` shows it too)."
    invalid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_size": 768,\n}\n'}, [("config.json", 3)]),
        Example({"tokenizer_config.json": ""}, [("tokenizer_config.json", 1)]),
    ]
    valid = [Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_size": 768\n}\n'})]


@register
class NotAnObject(_ProblemRule):
    code = "RL002"
    name = "not-a-json-object"
    summary = "A metadata file holds an array, string or number instead of an object"
    kinds = ("not-object",)
    why = (
        "transformers indexes these files as dictionaries. `json.load` accepts an array at the top "
        "level, and the failure comes later, as an AttributeError or TypeError far from the cause."
    )
    fix_text = "Make the top level a JSON object: `{ ... }`."
    invalid = [Example({"config.json": '[{"model_type": "bert"}]\n'}, [("config.json", 1)])]
    valid = [Example({"config.json": '{"model_type": "bert"}\n'})]


@register
class DuplicateKey(Rule):
    code = "RL003"
    name = "duplicate-key"
    summary = "A JSON object has the same key twice; only the last one counts"
    severity = "warning"
    why = (
        "`json.load` keeps the last of duplicated keys without a word. An edit made to the first "
        "occurrence has no effect, which is rarely what the author meant."
    )
    fix_text = "Delete one of the two entries, keeping the value you mean."
    invalid = [
        Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_size": 768,\n  "hidden_size": 1024\n}\n'}, [("config.json", 4)])
    ]
    valid = [Example({"config.json": '{\n  "model_type": "bert",\n  "hidden_size": 768\n}\n'})]

    def check(self, ctx):
        for doc in _docs(ctx):
            if not doc.has_duplicates:
                continue
            for ptr, span in doc.source_map.duplicates:
                key = ptr.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
                yield Finding(
                    doc.path,
                    f"duplicate key {key!r}; json.load keeps this last occurrence and drops the earlier one",
                    line=span.line,
                    column=span.col,
                    end_line=span.end_line,
                    end_column=span.end_col,
                )


@register
class NonStandardNumber(Rule):
    code = "RL004"
    name = "non-standard-number"
    summary = "NaN or Infinity in a JSON file"
    severity = "warning"
    why = (
        "Python's `json` accepts the bare constants NaN, Infinity and -Infinity, so transformers loads "
        "the file, but they are not JSON: the Hub's viewer, JavaScript, Rust (serde) and most other "
        "tools reject the file. transformers itself writes non-finite floats as "
        '`{"__float__": "NaN"}` objects.'
    )
    fix_text = 'Write a finite number, null, or `{"__float__": "Infinity"}` (what `save_pretrained` writes).'
    fix_applicability = "none"
    invalid = [Example({"config.json": '{\n  "model_type": "bert",\n  "layer_norm_eps": NaN\n}\n'}, [("config.json", 3)])]
    valid = [Example({"config.json": '{\n  "model_type": "bert",\n  "layer_norm_eps": 1e-12\n}\n'})]

    def check(self, ctx):
        for doc in _docs(ctx):
            if not doc.has_nonfinite:
                continue
            for ptr, span in doc.source_map.nonfinite:
                yield Finding(
                    doc.path,
                    f"{ptr or '/'} is a bare non-finite number, which is not valid JSON",
                    line=span.line,
                    column=span.col,
                    end_line=span.end_line,
                    end_column=span.end_col,
                    help='transformers writes such values as {"__float__": "NaN"}.',
                )


@register
class FileTooLarge(_ProblemRule):
    code = "RL005"
    name = "file-too-large"
    summary = "A metadata file is larger than the size limit and was not read"
    severity = "warning"
    kinds = ("too-large",)
    why = (
        "Configuration files are kilobytes. A file of many megabytes under a config name is usually "
        "weights or data saved by mistake, and reading it would make the lint slow. The limit is "
        "repolint's, not transformers' (which reads the file whatever its size), so this is a warning: "
        "the file was not analysed, and nothing is known about whether it loads."
    )
    fix_text = "Check what the file holds; raise `max-file-size` in [tool.repolint] if it is legitimately large."
    invalid = [Example({"config.json": '{"model_type": "bert", "pad": "' + "x" * 64 + '"}', "repolint.toml": "max-file-size = 32\n"}, [("config.json", 1)])]
    valid = [Example({"config.json": '{"model_type": "bert"}'})]


_LFS_TEXT = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 571\n"
# vocabulary files a tokenizer class reads when there is no tokenizer.json (weights are RL8xx's);
# added_tokens.json is read (json.load) even with a tokenizer.json
_VOCAB_NAMES = ("vocab.txt", "vocab.json", "merges.txt", "added_tokens.json")
_ALWAYS_READ = ("added_tokens.json",)
_VOCAB_SUFFIXES = (".model", ".tiktoken", ".spm")


def _is_lfs_pointer(ctx, name: str) -> bool:
    head, _size, problem = ctx.repo.read_prefix(name, len(LFS_PREFIX))
    return problem is None and head == LFS_PREFIX


@register
class LfsPointer(_ProblemRule):
    code = "RL006"
    name = "lfs-pointer"
    summary = "A metadata or tokenizer file is a Git LFS pointer, not its content"
    kinds = ("lfs-pointer",)
    why = (
        "A repo cloned without `git lfs` (or a file wrongly tracked by LFS) holds a three-line pointer "
        "instead of the file; transformers fails to parse it. That holds for the tokenizer's files too: "
        "a tokenizer.json pointer makes AutoTokenizer raise JSONDecodeError, and without a usable "
        "tokenizer.json a vocabulary pointer (vocab.txt, vocab.json, tokenizer.model, ...) makes the "
        "tokenizer class fail to build (or, for vocab.txt, build a tokenizer whose vocabulary is the "
        "pointer's three lines, which raises on the first text it encodes), and an added_tokens.json pointer always does (verified on "
        "transformers 5.24 and 4.57). With a real tokenizer.json AutoTokenizer never reads the other "
        "vocabulary files, so a pointer there is only a warning."
    )
    fix_text = "Run `git lfs pull`, or untrack the file from LFS: metadata files should be plain Git objects."
    invalid = [
        Example({"config.json": _LFS_TEXT}, [("config.json", 1)]),
        Example({"tokenizer_config.json": '{"tokenizer_class": "BertTokenizer"}', "tokenizer.json": _LFS_TEXT},
                [("tokenizer.json", 1)]),
        Example({"tokenizer_config.json": '{"tokenizer_class": "BertTokenizer"}', "vocab.txt": _LFS_TEXT},
                [("vocab.txt", 1)]),
    ]
    valid = [
        Example({"config.json": '{"model_type": "bert"}'}),
        Example({"tokenizer_config.json": '{"tokenizer_class": "BertTokenizer"}', "vocab.txt": "[PAD]\n[UNK]\n"}),
    ]

    def check(self, ctx):
        yield from super().check(ctx)
        names = ctx.repo.top_level()
        vocab = [n for n in names if n in _VOCAB_NAMES or n.endswith(_VOCAB_SUFFIXES)]
        if "tokenizer.json" not in names and not vocab:
            return
        fast_broken = "tokenizer.json" not in names or _is_lfs_pointer(ctx, "tokenizer.json")
        if "tokenizer.json" in names and fast_broken:
            yield Finding("tokenizer.json", "tokenizer.json is a Git LFS pointer, not the file's content; "
                          "AutoTokenizer fails to parse it", line=1,
                          help="Run `git lfs pull` (or upload the real tokenizer.json).")
        for name in vocab:
            if not _is_lfs_pointer(ctx, name):
                continue
            if name in _ALWAYS_READ:
                yield Finding(name, f"{name} is a Git LFS pointer, not the file's content; AutoTokenizer "
                              "reads it with json.load and fails", line=1,
                              help="Run `git lfs pull` (or upload the real file).")
            elif fast_broken:
                yield Finding(name, f"{name} is a Git LFS pointer, not the file's content; with no usable "
                              "tokenizer.json the tokenizer is built from it: loading fails, or the tokenizer "
                              "has only the pointer's lines as vocabulary and fails on first use", line=1,
                              help="Run `git lfs pull` (or upload the real file).")
            else:
                yield Finding(name, f"{name} is a Git LFS pointer, not the file's content; AutoTokenizer loads "
                              "tokenizer.json and never reads it, but a slow tokenizer (use_fast=False) would fail",
                              line=1, severity="warning", help="Run `git lfs pull`, or delete the pointer.")


@register
class NotUtf8(_ProblemRule):
    code = "RL007"
    name = "not-utf8"
    summary = "A metadata file is binary or not UTF-8"
    kinds = ("encoding", "binary")
    why = "transformers opens metadata files as UTF-8 text; other encodings raise UnicodeDecodeError."
    fix_text = "Re-save the file as UTF-8."
    invalid = [Example({"config.json": b'{"model_type": "bert", "name": "caf\xe9"}'}, [("config.json", 1)])]
    valid = [Example({"config.json": '{"model_type": "bert", "name": "café"}'})]


@register
class SymlinkOutside(_ProblemRule):
    code = "RL008"
    name = "symlink-outside-repo"
    summary = "A metadata file is a symlink that leaves the repo, or points nowhere"
    severity = "warning"
    kinds = ("symlink",)
    why = (
        "A symlink to a file outside the repo works on the author's machine only; repolint does not "
        "follow it, so the file's content is not checked."
    )
    fix_text = "Replace the symlink with the file itself."
    invalid = [Example({"config.json": "@symlink:../outside.json"}, [("config.json", 1)])]
    valid = [Example({"config.json": '{"model_type": "bert"}'})]


@register
class UnreadableFile(_ProblemRule):
    code = "RL009"
    name = "unreadable-file"
    summary = "A metadata file cannot be read (permissions, or not a regular file)"
    kinds = ("unreadable",)
    why = (
        "If repolint cannot read the file, transformers will not either. Without a readable config.json "
        "AutoConfig fails (error); the other files are optional to some loaders — e.g. a folder named "
        "tokenizer_config.json still lets AutoTokenizer build the model type's tokenizer (verified on 5.23) — "
        "so for them it is a warning."
    )
    fix_text = "Make the path a readable regular file."

    def severity_for(self, path: str) -> str | None:
        return None if path == "config.json" else "warning"
    invalid = [Example({"config.json/placeholder": ""}, [("config.json", 1)])]
    valid = [Example({"config.json": '{"model_type": "bert"}'})]
