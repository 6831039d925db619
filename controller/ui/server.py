"""The web UI's HTTP server (aiohttp, in the operator's event loop): GET only, every answer with a
Content Security Policy that allows no script, no frame and no form, and only this UI's own
stylesheet (by its hash)."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from controller.ui import pages
from controller.ui.view import Sources

logger = logging.getLogger(__name__)
STYLE_HASH = base64.b64encode(hashlib.sha256(pages.UI_STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src https: http:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PER_PAGE = 100  # records of a plan, or rows of a list, on one page
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except LookupError as missing:
        response = _html(pages.not_found(str(missing.args[0] if missing.args else "")), 404)
    except web.HTTPException as error:
        response = _html(
            pages.layout(error.reason, f"<h1>{pages.e(error.reason)}</h1>"), error.status
        )
        if error.status == 405:
            response.headers["Allow"] = "GET, HEAD"
    response.headers.update(HEADERS)
    return response


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _page(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPBadRequest(reason="page must be a positive number")
    return max(1, int(raw))


class WebUI:
    """Serves the pages of what `sources` holds."""

    def __init__(self, sources: Sources, per_page: int = PER_PAGE):
        self.sources, self.per_page = sources, per_page
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """The routes (GET and HEAD only)."""
        app = web.Application(middlewares=[_headers])
        objects, per_page = self.sources.objects, self.per_page

        def route(url: str, render: Callable[[web.Request], str]) -> None:
            async def handle(request: web.Request) -> web.Response:
                return _html(render(request))

            app.router.add_get(url, handle)

        def m(request: web.Request, key: str) -> str:
            return request.match_info[key]

        route("/", lambda r: pages.environments(objects, _page(r), per_page))
        route("/deployments", lambda r: pages.deployments(objects, _page(r), per_page))
        route("/snapshots", lambda r: pages.snapshots(objects, _page(r), per_page))
        route(
            "/namespaces/{ns}/storeenvironments/{name}",
            lambda r: pages.environment(objects, m(r, "ns"), m(r, "name"), _page(r), per_page),
        )
        route(
            "/namespaces/{ns}/storedeployments/{name}",
            lambda r: pages.deployment(objects, m(r, "ns"), m(r, "name")),
        )
        route(
            "/namespaces/{ns}/storedeployments/{name}/targets/{target}",
            lambda r: pages.target_review(
                objects,
                self.sources.reviews.get((m(r, "ns"), m(r, "name"), m(r, "target"))),
                m(r, "ns"),
                m(r, "name"),
                m(r, "target"),
                _page(r),
                per_page,
            ),
        )
        route(
            "/namespaces/{ns}/catalogsnapshots/{name}",
            lambda r: pages.snapshot(objects, m(r, "ns"), m(r, "name")),
        )
        return app

    async def start(self, port: int, host: str = "0.0.0.0") -> int:
        """Serve on `port` (0: any free one); the port served."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
