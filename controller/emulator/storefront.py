"""An emulated store's storefront on an origin of its own, answering what tools that start from a
storefront URL ask it (the Stencil CLI: the store's hash at `/admin/oauth/info`, the version check
of `stencil start`), and its home page: the default channel with its active theme."""

from __future__ import annotations

from html import escape
from typing import Any

from aiohttp import web

from controller.emulator.database import StoreDB

DB = web.AppKey("db", StoreDB)
HASH = web.AppKey("hash", str)


def storefront_app(db: StoreDB, store: str) -> web.Application:
    """The storefront of one store (its default channel)."""
    app = web.Application()
    app[DB], app[HASH] = db, store
    app.router.add_get("/admin/oauth/info", oauth_info)
    app.router.add_get("/stencil-version-check", version_check)
    app.router.add_get("/", home)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return app


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def oauth_info(request: web.Request) -> web.Response:
    """The store behind this storefront, as the platform tells OAuth clients and the Stencil CLI."""
    return web.json_response({"store_hash": request.app[HASH]})


async def version_check(request: web.Request) -> web.Response:
    """`stencil start`'s check: any CLI version is supported; the storefront's URLs."""
    if not request.query.get("v"):
        return web.json_response({"error": "the CLI version (v) is required"}, status=400)
    origin = _origin(request)
    return web.json_response(
        {"status": "ok", "baseUrl": origin, "sslUrl": origin, "storeHash": request.app[HASH]}
    )


async def home(request: web.Request) -> web.Response:
    """The home page of the default channel: its store name and SEO title (its settings), and its
    active theme; while the channel is inactive, a 503 with its down-for-maintenance message."""
    db, store = request.app[DB], request.app[HASH]

    def read() -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any] | None]:
        shop = db.bind(store)
        settings = shop.settings
        return (
            shop.channels.doc(1)["status"],
            {**settings.effective("store/profile", 1), **settings.effective("storefront/seo", 1)},
            settings.effective("storefront/status", 1),
            shop.themes.active_on(1),
        )

    status, shown, messages, theme = await db.run(read)
    if status == "inactive":
        body = f"<p>{escape(messages['down_for_maintenance_message'])}</p>"
    elif theme is not None:
        body = f"<p>Theme: {escape(theme['name'])}</p>"
    else:
        body = "<p>This storefront has no active theme yet.</p>"
    page = (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(shown["page_title"])}</title>'
        f'<link rel="canonical" href="{escape(_origin(request), quote=True)}/"></head>'
        f"<body><h1>{escape(shown['store_name'])}</h1>{body}</body></html>\n"
    )
    return web.Response(
        text=page, content_type="text/html", status=503 if status == "inactive" else 200
    )


async def not_found(request: web.Request) -> web.Response:
    """Any other page: the storefront's 404 page."""
    return web.Response(
        text="<!doctype html>\n<title>Page not found</title><h1>Page not found</h1>\n",
        status=404,
        content_type="text/html",
    )
