"""A loopback stand-in for the Hugging Face hub's /resolve endpoint, with injectable faults.

Serves files of one or more repos at one commit on 127.0.0.1 only, answers HEAD like the
hub (X-Repo-Commit, ETag = SHA-256 for large "LFS" files and git blob SHA-1 for small ones,
Content-Length), honours Range requests, and can drop a connection mid-file, send corrupted
bytes or fail with 500. It stops itself after `lifetime` seconds.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

LFS_THRESHOLD = 1 << 20  # the hub keeps files above a few MB in LFS


@dataclass
class Faults:
    drop_after: int | None = None  # close the connection after this many body bytes, once
    corrupt: bool = False  # flip a byte in the middle of every body sent
    fail_get: int = 0  # answer this many GETs with 500 first
    etag: str | None = None  # answer with this ETag instead of the file's digest


@dataclass
class Request:
    method: str
    repo: str
    revision: str
    filename: str
    range: str | None
    status: int
    body_bytes: int = 0


@dataclass
class HubServer:
    repos: dict[str, dict[str, bytes]]  # repo id -> filename -> content
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    lifetime: float = 120.0
    faults: dict[str, Faults] = field(default_factory=dict)  # filename -> faults
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._etags = {
            (repo, name): etag_of(data)
            for repo, files in self.repos.items() for name, data in files.items()
        }
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                server._serve(self, body=False)

            def do_GET(self) -> None:
                server._serve(self, body=True)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HubServer:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()

    def gets(self, filename: str) -> list[Request]:
        return [r for r in self.requests if r.method == "GET" and r.filename == filename]

    def _serve(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        repo, sep, rest = handler.path.partition("/resolve/")
        revision, _, filename = rest.partition("/")
        repo, revision, filename = repo.strip("/"), unquote(revision), unquote(filename)
        rng = handler.headers.get("Range")
        data = self.repos.get(repo, {}).get(filename) if sep else None
        record = Request(handler.command, repo, revision, filename, rng, 200)
        with self._lock:
            self.requests.append(record)
            faults = self.faults.get(filename, Faults())
            failing = body and faults.fail_get > 0
            if failing:
                faults.fail_get -= 1
            drop = faults.drop_after if body else None
            if body and drop is not None:
                faults.drop_after = None
        if data is None or revision not in ("main", self.commit):
            record.status = 404
            known = repo in self.repos and revision in ("main", self.commit)
            code = "EntryNotFound" if known else "RepoNotFound"
            self._reply(handler, 404, {"X-Repo-Commit": self.commit, "X-Error-Code": code}, b"")
            return
        if failing:
            record.status = 500
            self._reply(handler, 500, {}, b"")
            return
        etag = faults.etag or self._etags[repo, filename]
        headers = {"X-Repo-Commit": self.commit, "ETag": f'"{etag}"',
                   "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        start, status = 0, 200
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        payload = data[start:]
        if faults.corrupt:
            middle = len(data) // 2 - start
            if 0 <= middle < len(payload):
                payload = payload[:middle] + bytes([payload[middle] ^ 0xFF]) + payload[middle + 1:]
        headers["Content-Length"] = str(len(payload))
        record.status = status
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if not body:
            return
        if drop is not None:
            handler.wfile.write(payload[:drop])
            handler.wfile.flush()
            record.body_bytes = drop
            handler.close_connection = True
            handler.connection.shutdown(2)  # the peer sees the body end short
            return
        handler.wfile.write(payload)
        record.body_bytes = len(payload)

    @staticmethod
    def _reply(handler, status: int, headers: dict[str, str], payload: bytes) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


def etag_of(data: bytes) -> str:
    """The hub's ETag: the SHA-256 of an LFS file, the git blob SHA-1 of a small one."""
    if len(data) > LFS_THRESHOLD:
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
