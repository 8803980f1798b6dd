"""A minimal Hugging Face Hub for tests: stdlib HTTP server on 127.0.0.1, random port.

It serves fixture repos given as ``{repo_id: {commit_sha: {path: bytes}}}`` and speaks exactly
the part of the Hub protocol that huggingface_hub 2.4 uses for repolint.sources:

- ``GET /api/models/{repo_id}`` and ``GET /api/models/{repo_id}/revision/{rev}``
  (``HfApi.model_info``; ``?blobs=True`` adds size / blobId / lfs to each sibling)
- ``GET /api/models/{repo_id}/tree/{rev}[/{path}]?recursive=...`` (``HfApi.list_repo_tree``,
  called by ``snapshot_download``); one page, no ``Link`` header
- ``HEAD`` and ``GET /{repo_id}/resolve/{rev}/{filename}`` (``hf_hub_download``), with
  ``X-Repo-Commit``, ``ETag`` (git blob sha1, or the sha256 plus ``X-Linked-Etag`` /
  ``X-Linked-Size`` for LFS-like files), ``Content-Length``; no redirect; a single
  ``Range: bytes=a-b`` gets 206 + ``Content-Range`` (``sent`` / ``bytes_sent()`` count the
  body bytes of every GET, so tests can assert that only headers were fetched)
- errors the way the Hub reports them: 404 + ``X-Error-Code: RepoNotFound`` /
  ``RevisionNotFound`` / ``EntryNotFound``; a gated repo answers /resolve with 401 (no token) or
  403 (a token without access) + ``X-Error-Code: GatedRepo``; a private repo answers everything
  with 401 + ``RepoNotFound`` unless the token is accepted.

Branch ``main`` points to the last commit given for a repo unless ``branches`` says otherwise.
Every request is logged (``server.log``: ``"METHOD /path?query"``) so tests can assert what
was, and was not, fetched.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".onnx", ".msgpack", ".h5", ".ckpt")

_API_RE = re.compile(r"^/api/models/(?P<repo>[^/]+(?:/[^/]+)?)(?:/(?P<kind>revision|tree)/(?P<rest>.*))?$")
_RESOLVE_RE = re.compile(r"^/(?P<repo>[^/]+(?:/[^/]+)?)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")


def fake_sha(label: str) -> str:
    """A stable 40-hex commit id for a fixture revision."""
    return hashlib.sha1(label.encode()).hexdigest()


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubServer:
    def __init__(
        self,
        repos: dict[str, dict[str, dict[str, bytes]]],
        *,
        branches: dict[str, dict[str, str]] | None = None,
        gated: tuple[str, ...] = (),
        private: tuple[str, ...] = (),
        tokens: tuple[str, ...] = ("hf_test",),
    ):
        for repo_id, revisions in repos.items():
            for sha in revisions:
                if not re.fullmatch(r"[0-9a-f]{40}", sha):
                    raise ValueError(f"{repo_id}: revision {sha!r} is not a 40-hex commit id (use fake_sha)")
        self.repos = repos
        self.branches = {rid: {"main": list(revs)[-1]} for rid, revs in repos.items() if revs}
        for rid, refs in (branches or {}).items():
            self.branches.setdefault(rid, {}).update(refs)
        self.gated = set(gated)
        self.private = set(private)
        self.tokens = set(tokens)
        self.log: list[str] = []
        self.sent: list[tuple[str, int]] = []  # (file, body bytes) of every GET /resolve
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "HubServer":
        server = self

        class Handler(_Handler):
            hub = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hubserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "HubServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- log -------------------------------------------------------------------------------
    def record(self, line: str) -> None:
        with self._lock:
            self.log.append(line)

    def requests(self) -> list[str]:
        with self._lock:
            return list(self.log)

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.sent.clear()

    def bytes_sent(self, suffix: str = "") -> int:
        """Body bytes sent by GET /resolve for files whose name ends with ``suffix``."""
        with self._lock:
            return sum(n for f, n in self.sent if f.endswith(suffix))

    def requested_files(self) -> set[str]:
        """Names fetched through /resolve (HEAD or GET)."""
        names = set()
        for line in self.requests():
            path = urlsplit(line.split(" ", 1)[1]).path
            m = _RESOLVE_RE.match(path)
            if m:
                names.add(unquote(m["file"]))
        return names

    # -- repo model ------------------------------------------------------------------------
    def resolve(self, repo_id: str, rev: str) -> str | None:
        revisions = self.repos[repo_id]
        if rev in revisions:
            return rev
        if rev in self.branches.get(repo_id, {}):
            return self.branches[repo_id][rev]
        if re.fullmatch(r"[0-9a-f]{7,39}", rev):  # a short commit id, like git
            found = [sha for sha in revisions if sha.startswith(rev)]
            return found[0] if len(found) == 1 else None
        return None

    @staticmethod
    def entry(path: str, data: bytes) -> dict:
        info = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": path}
        if path.endswith(LFS_SUFFIXES):
            info["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return info


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections

    def log_message(self, format, *args):  # noqa: A002 - silence stderr
        pass

    # -- plumbing --------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, *, head: bool = False) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, status: int, payload, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self._send(status, body, {"Content-Type": "application/json", **(headers or {})}, head=self.command == "HEAD")

    def _error(self, status: int, code: str | None, message: str, headers: dict | None = None) -> None:
        extra = {"X-Error-Message": message, **(headers or {})}
        if code:
            extra["X-Error-Code"] = code
        self._json(status, {"error": message}, extra)

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else None

    def _authorized(self) -> bool:
        return self._token() in self.hub.tokens

    def _find_repo(self, repo_id: str) -> bool:
        """False (and an error sent) when the repo does not exist or is private to us."""
        if repo_id not in self.hub.repos:
            self._error(404, "RepoNotFound", "Repository not found")
            return False
        if repo_id in self.hub.private and not self._authorized():
            self._error(401, "RepoNotFound", "Repository not found")
            return False
        return True

    # -- routes ----------------------------------------------------------------------------
    def do_HEAD(self):
        self._route()

    def do_GET(self):
        self._route()

    def _route(self):
        self.hub.record(f"{self.command} {self.path}")
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        m = _API_RE.match(parts.path)
        if m and self.command == "GET":
            return self._api(unquote(m["repo"]), m["kind"], m["rest"], query)
        m = _RESOLVE_RE.match(parts.path)
        if m:
            return self._resolve(unquote(m["repo"]), unquote(m["rev"]), unquote(m["file"]))
        self._error(404, None, f"no route for {self.command} {parts.path}")

    def _api(self, repo_id: str, kind: str | None, rest: str | None, query: dict) -> None:
        if not self._find_repo(repo_id):
            return
        if kind is None:
            rev, sub = "main", ""
        else:
            rev, _, sub = rest.partition("/")
            rev = unquote(rev)
        sha = self.hub.resolve(repo_id, rev)
        if sha is None:
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        files = self.hub.repos[repo_id][sha]
        if kind == "tree":
            return self._tree(files, unquote(sub).strip("/"), query)
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        siblings = []
        for path in sorted(files):
            sib = {"rfilename": path}
            if blobs:
                e = HubServer.entry(path, files[path])
                sib.update(size=e["size"], blobId=e["oid"])
                if "lfs" in e:
                    sib["lfs"] = {"sha256": e["lfs"]["oid"], "size": e["lfs"]["size"], "pointerSize": 134}
            siblings.append(sib)
        gated = "manual" if repo_id in self.hub.gated else False
        self._json(200, {"id": repo_id, "modelId": repo_id, "sha": sha, "private": repo_id in self.hub.private,
                         "gated": gated, "disabled": False, "siblings": siblings})

    def _tree(self, files: dict[str, bytes], sub: str, query: dict) -> None:
        recursive = query.get("recursive", ["false"])[0].lower() == "true"
        prefix = f"{sub}/" if sub else ""
        entries, folders = [], set()
        for path in sorted(files):
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix):]
            if "/" in rel and not recursive:
                folders.add(prefix + rel.split("/", 1)[0])
                continue
            if recursive:  # the Hub lists the folders too
                parts = rel.split("/")[:-1]
                folders.update(prefix + "/".join(parts[: i + 1]) for i in range(len(parts)))
            entries.append(HubServer.entry(path, files[path]))
        if sub and not entries and not folders:
            return self._error(404, "EntryNotFound", f"{sub} does not exist")
        listing = [{"type": "directory", "oid": fake_sha(f), "size": 0, "path": f} for f in sorted(folders)] + entries
        self._json(200, listing)

    def _resolve(self, repo_id: str, rev: str, filename: str) -> None:
        if not self._find_repo(repo_id):
            return
        if repo_id in self.hub.gated and not self._authorized():
            if self._token() is None:
                return self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted. You must have access to it and be authenticated to access it. Please log in.")
            return self._error(403, "GatedRepo", f"Access to model {repo_id} is restricted and you are not in the authorized list.")
        sha = self.hub.resolve(repo_id, rev)
        if sha is None:
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        files = self.hub.repos[repo_id][sha]
        if filename not in files:
            return self._error(404, "EntryNotFound", f"{filename} does not exist at {rev}", {"X-Repo-Commit": sha})
        data = files[filename]
        entry = HubServer.entry(filename, data)
        headers = {"X-Repo-Commit": sha, "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        if "lfs" in entry:
            headers.update({"ETag": f'"{entry["lfs"]["oid"]}"', "X-Linked-Etag": f'"{entry["lfs"]["oid"]}"',
                            "X-Linked-Size": str(len(data))})
        else:
            headers["ETag"] = f'"{entry["oid"]}"'
        status, body = 200, data
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", "").strip())
        if m and self.command == "GET":  # one range, as huggingface_hub asks for safetensors headers
            start = int(m[1])
            end = min(int(m[2]) if m[2] else len(data) - 1, len(data) - 1)
            if start >= len(data):
                return self._error(416, None, "Range Not Satisfiable", {"Content-Range": f"bytes */{len(data)}"})
            status, body = 206, data[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        if self.command == "GET":
            with self.hub._lock:
                self.hub.sent.append((filename, len(body)))
        self._send(status, body, headers, head=self.command == "HEAD")


def serve_forever(repos, **kwargs) -> None:  # pragma: no cover - manual debugging aid
    server = HubServer(repos, **kwargs).start()
    print(server.url)
    threading.Event().wait()
