"""The operator's webhook receiver: the stores' callbacks arrive on a port of its own at
`/hooks/{namespace}/{name}`, each environment's authenticated by the secret in the hook's custom
header (derived from the receiver's key, so that nothing needs keeping); an event names the
products to read again and makes the environment due at once. The payload is never trusted for
data: the store is read."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from controller.engine.observation import Observations
from controller.stores.hooks import SECRET_HEADER, WebhookConfig

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024  # a callback is a light payload


def product_of(event: Any) -> int | None:
    """The product an event is about (products, and SKUs by their product), else None."""
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return None
    if data.get("type") == "product" and isinstance(data.get("id"), int):
        return int(data["id"])
    sku = data.get("sku")
    if isinstance(sku, dict) and isinstance(sku.get("product_id"), int):
        return int(sku["product_id"])
    return None


class Receiver:
    """Receives callbacks; `wake(namespace, name)` makes an environment due."""

    def __init__(
        self,
        config: WebhookConfig,
        observations: Observations,
        wake: Callable[[str, str], None],
    ):
        self.config, self.observations, self.wake = config, observations, wake
        self.received = 0
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        namespace, name = request.match_info["namespace"], request.match_info["name"]
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.config.secret(namespace, name).encode()):
            return web.Response(status=401)
        try:
            event = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return web.Response(status=400)
        observation = self.observations.named(namespace, name)
        if observation is None:  # not observed (yet): its first check reads everything anyway
            return web.Response(status=200)
        observation.heard = True
        product = product_of(event)
        if product is not None:
            observation.pending.add(product)
        self.received += 1
        self.wake(namespace, name)
        return web.Response(status=200)

    async def start(self, port: int, host: str = "0.0.0.0") -> int:
        """Serve on `port` (0: any); the port served."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/hooks/{namespace}/{name}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
