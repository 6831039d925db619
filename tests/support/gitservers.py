"""Real Git remotes on loopback for tests: bare repositories, `git daemon` (git://) and
`git http-backend` behind an HTTP server that demands Basic authentication."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import git

from tests.support.waiting import wait_until

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.test",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.test",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    def accepting() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_until(f"port {port} to accept connections", accepting, timeout, every=0.02)


class Remote:
    """A bare repository and a working clone to make commits in."""

    def __init__(self, root: Path, name: str = "catalog"):
        self.bare_path = root / f"{name}.git"
        self.bare = git.Repo.init(self.bare_path, bare=True, initial_branch="main")
        self.work = git.Repo.clone_from(str(self.bare_path), root / f"{name}-work", env=GIT_ENV)
        self.work.git.checkout("-B", "main")

    @property
    def url(self) -> str:
        return str(self.bare_path)

    def commit(
        self, files: Mapping[str, str | None], message: str = "change", branch: str = "main"
    ) -> str:
        """Write (or delete, with None) files, commit and push; returns the commit."""
        root = Path(self.work.working_tree_dir or ".")
        for name, text in files.items():
            path = root / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        self.work.git.add("-A")
        self.work.git.execute(["git", "commit", "-q", "-m", message], env={**os.environ, **GIT_ENV})
        self.work.git.push("-q", "-f", "origin", f"HEAD:refs/heads/{branch}")
        return str(self.work.head.commit.hexsha)

    def head(self, branch: str = "main") -> str:
        return str(self.bare.git.rev_parse(f"refs/heads/{branch}"))

    def served(self, daemon: GitDaemon) -> str:
        """The repository's git:// URL on a daemon serving a directory above it (the operator
        refuses local paths)."""
        return daemon.url(self.bare_path.relative_to(daemon.base).as_posix())


class GitDaemon:
    """`git daemon` serving a directory over git:// on a loopback port (push enabled)."""

    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                f"--base-path={base}",
                "--export-all",
                "--enable=receive-pack",
                f"--port={self.port}",
                "--listen=127.0.0.1",
                str(base),
            ],
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class GitHttp:
    """`git http-backend` behind Basic auth (user `ci`, the given token) on a loopback port."""

    def __init__(self, base: Path, token: str):
        backend = "/usr/lib/git-core/git-http-backend"
        expected = "Basic " + base64.b64encode(f"ci:{token}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                env = {
                    **os.environ,
                    "GIT_PROJECT_ROOT": str(base),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": path,
                    "QUERY_STRING": query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(length),
                    "REMOTE_USER": "ci",
                    "REMOTE_ADDR": "127.0.0.1",
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                }
                output = subprocess.run(
                    [backend], input=body, env=env, capture_output=True, check=False
                ).stdout
                head, _, payload = output.partition(b"\r\n\r\n")
                status = 200
                headers = []
                for line in head.decode().split("\r\n"):
                    key, _, value = line.partition(":")
                    if key.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif key:
                        headers.append((key, value.strip()))
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
