"""Local receivers of notifications: an HTTP server that records what webhooks POST (answering
with the statuses a test asks for), and an SMTP server with STARTTLS and AUTH that keeps the mail."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.support.loops import LoopThread

HERE = Path(__file__).parent
CERT, KEY = HERE / "smtp-test.crt", HERE / "smtp-test.key"  # self-signed, for 127.0.0.1


@dataclass
class Received:
    """One request a receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Records POSTs; answers each with the next of `statuses` (then 200)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    failed: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(request.path, dict(request.headers), await request.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        if status >= 300:
            self.failed += 1
        return web.Response(status=status, text="ok" if status < 300 else "no")


@asynccontextmanager
async def http_receiver(statuses: list[int] | None = None) -> AsyncIterator[HttpReceiver]:
    """An HTTP receiver on a free loopback port."""
    receiver = HttpReceiver(statuses=list(statuses or []))
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@contextmanager
def http_receiver_thread(statuses: list[int] | None = None) -> Iterator[HttpReceiver]:
    """`http_receiver` in its own thread and event loop, for synchronous tests."""
    manager = http_receiver(statuses)
    with LoopThread("http-receiver") as loop:
        receiver = loop.run(manager.__aenter__())
        try:
            yield receiver
        finally:
            loop.run(manager.__aexit__(None, None, None))


@dataclass
class Mailbox:
    """What the SMTP server accepted, and who logged in."""

    port: int = 0
    mails: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)  # whether each mail came over TLS


@contextmanager
def smtp_server(username: str, password: str) -> Iterator[Mailbox]:
    """An SMTP server (aiosmtpd, in its own thread) that requires STARTTLS before AUTH, and AUTH
    (PLAIN or LOGIN with these credentials) before any mail."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT, KEY)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        good = (
            isinstance(data, LoginPassword)
            and data.login.decode() == username
            and data.password.decode() == password
        )
        if good:
            box.logins.append(username)
        return AuthResult(success=good, handled=False)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.mails.append(message_from_bytes(envelope.content))
            box.tls.append(session.ssl is not None)
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd checks its own port once started: name a free one
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=box.port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
