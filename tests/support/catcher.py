"""An HTTP server on loopback that records every request it gets (path and headers) and answers as
a test tells it: the way to prove that a token was, or was not, sent somewhere."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Caught:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]


Answer = Callable[[BaseHTTPRequestHandler], None]


def echo(status: int) -> Answer:
    """Answer `status` with a JSON body that echoes every request header back (a careless proxy)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(
            {"status": status, "title": f"echo {dict(handler.headers)}", "errors": {}}
        ).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def redirect(location: str) -> Answer:
    """Answer 302 to `location` (plus the request path)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location.rstrip("/") + handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def hang_up(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without an answer."""
    handler.close_connection = True
    handler.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')


class Catcher:
    """A recording HTTP server; `requests` lists what reached it."""

    def __init__(self, answer: Answer | None = None):
        self.requests: list[Caught] = []
        self.answer = answer or echo(200)
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                catcher.requests.append(Caught(self.command, self.path, dict(self.headers)))
                catcher.answer(self)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def saw(self, text: str) -> bool:
        """Whether any request carried `text` in its path or a header."""
        return any(
            text in r.path or any(text in v for v in r.headers.values()) for r in self.requests
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Catcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
