"""Running the emulator: in the current event loop, in a background thread, or in the foreground."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from types import TracebackType

from aiohttp import web

from controller.emulator.control import FaultConfig, StoreControl
from controller.emulator.database import StoreDB, StoreProfile
from controller.emulator.resources.hooks import WebhookSettings
from controller.emulator.server import CONTROLS_KEY, SETTINGS_KEY, build_app
from controller.emulator.storefront import storefront_app


class Emulator:
    """An emulator server bound to a loopback port; `url` is its origin once started."""

    def __init__(
        self,
        db: str | StoreDB = ":memory:",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        quota: int = 450,
        window_ms: int = 30_000,
        theme_job_seconds: float = 0.3,
        faults: FaultConfig | None = None,
        webhooks: WebhookSettings | None = None,
    ):
        self.db = db if isinstance(db, StoreDB) else StoreDB(db)
        self.host, self.port = host, port
        self.app = build_app(
            self.db,
            quota=quota,
            window_ms=window_ms,
            theme_job_seconds=theme_job_seconds,
            faults=faults,
            webhooks=webhooks,
        )
        self._runner: web.AppRunner | None = None
        self._storefronts: dict[str, tuple[web.AppRunner, str]] = {}
        self.url = ""

    def add_store(self, hash: str, token: str, **profile: str) -> StoreProfile:
        """Create (or update) a store; its URL is `{url}/stores/{hash}`."""
        store = StoreProfile(hash=hash, token=token, **profile)
        self.db.put_store(store)
        return store

    def control(self, hash: str) -> StoreControl:
        """The rate limiter, faults and statistics of a store."""
        controls: dict[str, StoreControl] = self.app[CONTROLS_KEY]
        return controls.setdefault(hash, StoreControl(**self.app[SETTINGS_KEY]["rate"]))

    def store_url(self, hash: str) -> str:
        """The API URL of a store up to its hash."""
        return f"{self.url}/stores/{hash}"

    async def start(self) -> str:
        """Start serving; returns the origin URL."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        sockets = server.sockets  # type: ignore[attr-defined]
        self.port = int(sockets[0].getsockname()[1])
        self.url = f"http://{self.host}:{self.port}"
        return self.url

    async def storefront(self, hash: str) -> str:
        """The origin of a store's storefront, on a port of its own (started at the first call),
        as a real storefront has its own host."""
        if hash not in self._storefronts:
            if self.db.store(hash) is None:
                raise KeyError(f"no store {hash}")
            runner = web.AppRunner(storefront_app(self.db, hash), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, self.host, 0)
            await site.start()
            port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
            self._storefronts[hash] = (runner, f"http://{self.host}:{port}")
        return self._storefronts[hash][1]

    async def stop(self) -> None:
        """Stop serving (the database stays open)."""
        for runner, _ in self._storefronts.values():
            await runner.cleanup()
        self._storefronts.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.db.release()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class EmulatorThread:
    """An `Emulator` running in its own thread and event loop, for synchronous callers."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="emulator", daemon=True)

    def __enter__(self) -> Emulator:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.emulator.start(), self._loop).result(timeout=30)
        return self.emulator

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self.emulator.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def parse_store_args(values: Iterable[str]) -> list[tuple[str, str]]:
    """`HASH:TOKEN` pairs from the command line."""
    pairs = []
    for value in values:
        hash_, sep, token = value.partition(":")
        if not sep or not hash_ or not token:
            raise ValueError(f"--store {value!r}: expected HASH:TOKEN")
        pairs.append((hash_, token))
    return pairs
