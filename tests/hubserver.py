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
- ``GET /api/models?author=&search=&filter=&limit=&expand=...`` (``HfApi.list_models``): repos
  sorted by id, ``filter`` values all among the repo's tags (derived from its files, as the Hub
  does: ``transformers``, the model_type, ``custom_code``, ``safetensors``), paginated by
  ``page_size`` with a ``Link: <...&cursor=N>; rel="next"`` header as the real Hub; ``expand``
  (here and on ``/api/models/{repo_id}``) returns only the named properties, among ``sha``,
  ``siblings``, ``config``, ``tags``, ``author``, ``private``, ``gated``, ``disabled``,
  ``lastModified``; ``config`` is the Hub's digest of config.json (``architectures``,
  ``model_type``, ``auto_map``) and tokenizer_config.json (special tokens)
- faults, switched on by tests: ``fail_next(n, status=429, retry_after=1)`` answers the next
  ``n`` requests with that status (and ``Retry-After``); ``remove(repo_id)`` makes a repo
  disappear (404 RepoNotFound) while the listing still names it, as a Hub whose listing lags;
  ``vanish_after(repo_id, n)`` does that after the repo's first ``n`` requests; ``delay``
  (seconds) slows every answer
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
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".onnx", ".msgpack", ".h5", ".ckpt")

_LIST_PATH = "/api/models"
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
        page_size: int = 1000,
    ):
        for repo_id, revisions in repos.items():
            for sha in revisions:
                if not re.fullmatch(r"[0-9a-f]{40}", sha):
                    raise ValueError(f"{repo_id}: revision {sha!r} is not a 40-hex commit id (use fake_sha)")
        self.repos = {rid: dict(revs) for rid, revs in repos.items()}  # remove() must not touch the caller's dict
        self.branches = {rid: {"main": list(revs)[-1]} for rid, revs in repos.items() if revs}
        for rid, refs in (branches or {}).items():
            self.branches.setdefault(rid, {}).update(refs)
        self.gated = set(gated)
        self.private = set(private)
        self.tokens = set(tokens)
        self.page_size = page_size
        self.delay = 0.0  # seconds before each answer
        self.ghosts: dict[str, dict] = {}  # removed repos the listing still names: id -> listing entry
        self._failures: list[tuple[int, int | None]] = []  # (status, retry_after) of the next requests
        self._vanish: dict[str, int] = {}  # repo -> requests it still answers
        self.log: list[str] = []
        self.times: list[float] = []  # time.monotonic() of each logged request
        self.faults: list[tuple[float, int, str]] = []  # (time, status, request) of each injected failure
        self.sent: list[tuple[str, int]] = []  # (file, body bytes) of every GET /resolve
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "HubServer":
        server = self

        class Handler(_Handler):
            hub = server

        self._httpd = _Server(("127.0.0.1", 0), Handler)
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
            self.times.append(time.monotonic())

    def requests(self) -> list[str]:
        with self._lock:
            return list(self.log)

    def timed_requests(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(zip(self.times, self.log))

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.times.clear()
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

    # -- faults ----------------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 429, retry_after: int | None = 1) -> None:
        """Answer the next ``count`` requests (any route) with ``status``; ``Retry-After`` too."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * count)

    def failures_left(self) -> int:
        with self._lock:
            return len(self._failures)

    def _take_failure(self) -> tuple[int, int | None] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def remove(self, repo_id: str) -> None:
        """The repo is gone (404 RepoNotFound), but ``/api/models`` still lists it as it was."""
        with self._lock:
            if repo_id in self.repos:
                self.ghosts[repo_id] = self.listing_entry(repo_id, ("sha", "siblings", "config", "tags", "author"))
                del self.repos[repo_id]

    def vanish_after(self, repo_id: str, requests: int) -> None:
        """The repo answers its next ``requests`` requests, then is ``remove``d."""
        with self._lock:
            self._vanish[repo_id] = requests

    def _count_request(self, repo_id: str) -> None:
        with self._lock:
            left = self._vanish.get(repo_id)
            if left is None:
                return
            if left > 0:
                self._vanish[repo_id] = left - 1
                return
            del self._vanish[repo_id]
        self.remove(repo_id)

    # -- listing ---------------------------------------------------------------------------
    def head(self, repo_id: str) -> str | None:
        return self.branches.get(repo_id, {}).get("main")

    def listing_entry(self, repo_id: str, expand, sha: str | None = None) -> dict:
        """What the Hub says about a repo in a listing or ``model_info(expand=...)``."""
        if repo_id in self.ghosts and repo_id not in self.repos:
            return {"id": repo_id, "_id": fake_sha("id " + repo_id)[:24],
                    **{k: v for k, v in self.ghosts[repo_id].items() if k in expand}}
        sha = sha or self.head(repo_id)
        files = self.repos[repo_id][sha]
        entry = {"id": repo_id, "_id": fake_sha("id " + repo_id)[:24]}
        props = {
            "sha": lambda: sha,
            "siblings": lambda: [{"rfilename": p} for p in sorted(files)],
            "config": lambda: hub_config(files),
            "tags": lambda: repo_tags(files),
            "author": lambda: repo_id.split("/")[0],
            "private": lambda: repo_id in self.private,
            "gated": lambda: "manual" if repo_id in self.gated else False,
            "disabled": lambda: False,
            "lastModified": lambda: "2025-01-01T00:00:00.000Z",
        }
        for key in expand:
            if key in props:
                value = props[key]()
                if value is not None:
                    entry[key] = value
        return entry

    def listed(self) -> list[str]:
        with self._lock:
            return sorted({*(r for r in self.repos if self.head(r)), *self.ghosts})

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


def _json_object(data: bytes | None) -> dict | None:
    try:
        obj = json.loads(data) if data is not None else None
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def hub_config(files: dict[str, bytes]) -> dict | None:
    """The Hub's ``config`` property: a digest of config.json (and of tokenizer_config.json's
    special tokens); absent when config.json is missing or not a JSON object."""
    config = _json_object(files.get("config.json"))
    if config is None:
        return None
    out = {k: config[k] for k in ("architectures", "model_type", "auto_map") if k in config}
    tok = _json_object(files.get("tokenizer_config.json"))
    if tok is not None:
        out["tokenizer_config"] = {k: tok[k] for k in ("bos_token", "eos_token", "pad_token", "unk_token") if k in tok}
    return out


def repo_tags(files: dict[str, bytes]) -> list[str]:
    config = _json_object(files.get("config.json")) or {}
    tags = ["transformers"] if "config.json" in files else []
    if isinstance(config.get("model_type"), str):
        tags.append(config["model_type"])
    if isinstance(config.get("auto_map"), dict):
        tags.append("custom_code")
    if any(p.endswith(".safetensors") for p in files):
        tags.append("safetensors")
    return tags


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that hung up (a killed scan) is not worth a traceback on stderr."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


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
        self.hub._count_request(repo_id)
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
        if self.hub.delay:
            time.sleep(self.hub.delay)
        failure = self.hub._take_failure()
        if failure is not None:
            status, retry_after = failure
            with self.hub._lock:
                self.hub.faults.append((time.monotonic(), status, f"{self.command} {self.path}"))
            return self._error(status, None, "Too Many Requests" if status == 429 else "Injected failure",
                               {"Retry-After": str(retry_after)} if retry_after is not None else None)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path.rstrip("/") == _LIST_PATH and self.command == "GET":
            return self._list(query)
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
        if "expand" in query:
            return self._json(200, self.hub.listing_entry(repo_id, query["expand"], sha))
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
                         "gated": gated, "disabled": False, "siblings": siblings,
                         **({"config": hub_config(files)} if hub_config(files) is not None else {})})

    def _list(self, query: dict) -> None:
        """``/api/models``: the public repos matching the query, one page, and a Link to the next."""
        author = query.get("author", [None])[0]
        search = query.get("search", [""])[0].lower()
        filters = query.get("filter", [])
        expand = query.get("expand", [])
        found = []
        for repo_id in self.hub.listed():
            if repo_id in self.hub.private or (author and repo_id.split("/")[0] != author) or search not in repo_id.lower():
                continue
            entry = self.hub.listing_entry(repo_id, ("tags", *expand))
            if all(f in entry.get("tags", ()) for f in filters):
                if "tags" not in expand:
                    entry.pop("tags", None)
                found.append(entry)
        start = int(query.get("cursor", ["0"])[0])
        size = min(self.hub.page_size, int(query["limit"][0])) if "limit" in query else self.hub.page_size
        page = found[start : start + size]
        headers = {}
        if start + size < len(found):
            rest = [(k, v) for k, vs in query.items() if k != "cursor" for v in vs] + [("cursor", str(start + size))]
            headers["Link"] = f'<{self.hub.url}{_LIST_PATH}?{urlencode(rest)}>; rel="next"'
        self._json(200, page, headers)

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
