"""Build the real-world corpus of Hugging Face model folders from fetched GitHub snapshots.

Reads bare git directories (the search tool's `fetch` puts them under /work/.mirror/<owner>+<name>/),
walks each snapshot's newest commit, and copies every model folder it finds -- a directory holding
config.json (with model_type / architectures / auto_map), or tokenizer_config.json,
preprocessor_config.json or processor_config.json -- into CORPUS/folders/<slug>/, metadata and code
only: weight files over 1 MB are skipped (Git LFS pointers are kept as they are), other files over
20 MB too. Provenance (repo, commit, path, files skipped or absent from the snapshot, a content hash)
goes to CORPUS/index.jsonl, one line per folder. Folders whose config + code + tokenizer config
content is byte-identical to one already kept are recorded as duplicates and not copied again.

Nothing third-party is committed: the corpus lives outside the git repo (default /work/corpus).

    python scripts/realworld/build_corpus.py [--mirror /work/.mirror] [--corpus /work/corpus] [owner+name ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
from pathlib import Path, PurePosixPath

MARKERS = ("config.json", "tokenizer_config.json", "preprocessor_config.json", "processor_config.json")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx", ".gguf",
                   ".pb", ".tflite", ".ot", ".npz", ".npy", ".pkl", ".mlmodel", ".engine")
WEIGHT_LIMIT = 1 << 20
OTHER_LIMIT = 20 << 20
IDENTITY = (".json", ".py", ".jinja", ".model", ".txt")


def git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], check=True, capture_output=True).stdout


def tree(gitdir: Path) -> list[tuple[str, str, int | None]]:
    """(path, blob sha, size) of every blob at HEAD."""
    out = git(gitdir, "ls-tree", "-r", "-l", "-z", "HEAD").decode("utf-8", "surrogateescape")
    rows = []
    for entry in out.split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        mode, kind, sha, size = meta.split()
        if kind != "blob" or mode == "120000":
            continue
        rows.append((path, sha, int(size) if size.isdigit() else None))
    return rows


def is_model_config(data: bytes) -> bool:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and any(k in doc for k in ("model_type", "architectures", "auto_map"))


def blob(gitdir: Path, sha: str) -> bytes | None:
    try:
        return git(gitdir, "cat-file", "blob", sha)
    except subprocess.CalledProcessError:
        return None  # the snapshot lacks it (files of 4 MiB and more)


def folders(rows, gitdir: Path) -> dict[str, list]:
    by_dir: dict[str, list] = {}
    for path, sha, size in rows:
        by_dir.setdefault(str(PurePosixPath(path).parent), []).append((path, sha, size))
    found = {}
    for d, files in by_dir.items():
        names = {PurePosixPath(p).name: (sha, size) for p, sha, size in files}
        if "config.json" in names:
            data = blob(gitdir, names["config.json"][0])
            if data is None or not is_model_config(data):
                if not any(m in names for m in MARKERS[1:]):
                    continue
        elif not any(m in names for m in MARKERS[1:]):
            continue
        found[d] = files
    return found


def copy_folder(gitdir: Path, files, dest: Path) -> dict:
    skipped, absent, digest = [], [], hashlib.sha256()
    dest.mkdir(parents=True, exist_ok=True)
    for path, sha, size in sorted(files):
        name = PurePosixPath(path).name
        limit = WEIGHT_LIMIT if name.lower().endswith(WEIGHT_SUFFIXES) else OTHER_LIMIT
        if size is not None and size > limit:
            skipped.append(name)
            continue
        data = blob(gitdir, sha)
        if data is None:
            absent.append(name)
            continue
        (dest / name).write_bytes(data)
        if name.endswith(IDENTITY) and size is not None and size < WEIGHT_LIMIT:
            digest.update(name.encode() + b"\0" + data + b"\0")
    return {"skipped": skipped, "absent": absent, "hash": digest.hexdigest()[:16]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", default="/work/.mirror")
    ap.add_argument("--corpus", default="/work/corpus")
    ap.add_argument("repos", nargs="*", help="owner+name directories under --mirror (default: all)")
    args = ap.parse_args()
    mirror, corpus = Path(args.mirror), Path(args.corpus)
    index_path = corpus / "index.jsonl"
    index = [json.loads(line) for line in index_path.read_text().splitlines()] if index_path.exists() else []
    done = {(r["repo"], r["path"]) for r in index}
    hashes = {r["hash"]: r["slug"] for r in index if not r.get("duplicate_of")}
    names = args.repos or sorted(p.name for p in mirror.iterdir() if p.is_dir())
    added = 0
    with index_path.open("a") as out:
        for name in names:
            root = mirror / name
            gitdir = root / "repo" / ".git" if (root / "repo" / ".git").is_dir() else root / "repo"
            if not (gitdir / "HEAD").exists():
                continue
            repo = name.replace("+", "/", 1)
            try:
                commit = git(gitdir, "rev-parse", "HEAD").decode().strip()
                rows = tree(gitdir)
            except subprocess.CalledProcessError:
                continue
            for d, files in sorted(folders(rows, gitdir).items()):
                if (repo, d) in done:
                    continue
                slug = (name + ("" if d == "." else "__" + d.replace("/", "__")))[:200]
                rec = {"slug": slug, "repo": repo, "commit": commit, "path": d}
                rec.update(copy_folder(gitdir, files, corpus / "folders" / slug))
                if rec["hash"] in hashes:
                    rec["duplicate_of"] = hashes[rec["hash"]]
                    for f in (corpus / "folders" / slug).iterdir():
                        f.unlink()
                    (corpus / "folders" / slug).rmdir()
                else:
                    hashes[rec["hash"]] = slug
                    added += 1
                out.write(json.dumps(rec) + "\n")
                done.add((repo, d))
    print(f"{added} new folders; index {index_path}")


if __name__ == "__main__":
    main()
