"""The HTTP face of the emulator: the routes its resource modules declare, under
`/stores/{store_hash}/`, behind authentication, rate limits and faults; and an admin API under
`/__emulator/` for tests and benchmarks (stores, rate limits, faults, statistics)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from controller.emulator.control import FaultConfig, StoreControl
from controller.emulator.database import StoreDB, StoreProfile
from controller.emulator.errors import ApiError
from controller.emulator.resources.base import Call, Route, json_response
from controller.emulator.resources.hooks import Dispatcher, WebhookSettings
from controller.emulator.resources.themes import DOWNLOAD_SECONDS, DOWNLOADS, MAX_THEME_BYTES
from controller.emulator.seed import client_id
from controller.emulator.store import ROUTES

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_WRITE_METHODS = {"POST", "PUT", "DELETE"}
_STORE_PATH = re.compile(r"^/stores/([^/]+)(?:/|$)")
STORE_PREFIX = "/stores/{store_hash}"

DB_KEY = web.AppKey("db", StoreDB)
CONTROLS_KEY = web.AppKey("controls", dict)
SETTINGS_KEY = web.AppKey("settings", dict[str, Any])
CALL_KEY = web.RequestKey("call", Call)


_V2_PATH = re.compile(r"^/stores/[^/]+/v2/")


def _error_response(
    request: web.Request, error: ApiError, headers: dict[str, str] | None = None
) -> web.Response:
    body = error.v2_body() if _V2_PATH.match(request.path) else error.body(request.path)
    response = json_response(body, error.status)
    response.headers.update(headers or {})
    return response


async def _slow_body(
    request: web.Request, response: web.Response, seconds: float
) -> web.StreamResponse:
    body = response.body if isinstance(response.body, bytes) else b""
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    await stream.prepare(request)
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)] or [b""]
    for chunk in chunks:
        await asyncio.sleep(seconds / len(chunks))
        await stream.write(chunk)
    await stream.write_eof()
    return stream


def _control(app: web.Application, store: str) -> StoreControl:
    controls: dict[str, StoreControl] = app[CONTROLS_KEY]
    return controls.setdefault(store, StoreControl(**app[SETTINGS_KEY]["rate"]))


@web.middleware
async def store_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth, rate limit, faults and statistics for everything under `/stores/{hash}/` (also for
    paths the API does not have: those answer the platform's JSON 404 or 405 after auth)."""
    store = request.match_info.get("store_hash")
    if store is None:
        found = _STORE_PATH.match(request.path)
        if found is None:
            return await handler(request)
        store = found.group(1)
    db = request.app[DB_KEY]
    profile = db.store(store) if db.profiles_loaded else await db.run(db.store, store)
    if profile is None:
        return _error_response(request, ApiError(404, "The store was not found."))
    control = _control(request.app, store)
    route = request.match_info.route.resource
    endpoint = route.canonical.split(STORE_PREFIX, 1)[-1] if route else request.path
    plan = control.faults.draw(request.method in _WRITE_METHODS)
    if plan.latency_s:
        await asyncio.sleep(plan.latency_s)
    if await control.faults.hold(request.method, endpoint) or plan.drop:
        control.stats.dropped += 1
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)
    if plan.bare_429:
        control.stats.record(request.method, endpoint, 429)
        return _error_response(request, ApiError(429, "Too many requests"))
    token = request.headers.get("X-Auth-Token", "")
    if token != profile.token:
        control.stats.record(request.method, endpoint, 401)
        return _error_response(
            request, ApiError(401, "Unauthorized: missing or invalid X-Auth-Token.")
        )
    decision = control.limiter.consume()
    if not decision.allowed:
        control.stats.record(request.method, endpoint, 429)
        return _error_response(
            request,
            ApiError(429, "Too many requests: the API quota is exhausted."),
            decision.headers(),
        )
    if plan.error_before:
        control.stats.record(request.method, endpoint, plan.error_before)
        return _error_response(
            request, ApiError(plan.error_before, "Injected server error"), decision.headers()
        )
    # Scripts belong to the API account that created them; one token stands for one account here.
    request[CALL_KEY] = Call(request, db.bind(store), client_id(token), request.app[SETTINGS_KEY])
    try:
        response = await handler(request)
    except ApiError as error:
        response = _error_response(request, error)
    except web.HTTPException as error:
        title = "The requested resource was not found." if error.status == 404 else error.reason
        response = _error_response(request, ApiError(error.status, title))
    except Exception:
        logger.exception("emulator: unhandled error on %s %s", request.method, request.path)
        response = _error_response(request, ApiError(500, "Internal Server Error"))
    if plan.error_after and response.status < 300:
        response = _error_response(
            request, ApiError(plan.error_after, "Injected server error after write")
        )
    response.headers.update(decision.headers())
    control.stats.record(request.method, endpoint, response.status)
    if plan.slow_body_s and isinstance(response, web.Response):
        return await _slow_body(request, response, plan.slow_body_s)
    return response


def _handler(route: Route) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await route.handler(request[CALL_KEY])

    handle.__name__ = route.handler.__name__
    return handle


# ---- admin API ------------------------------------------------------------------------------------


async def _known(request: web.Request) -> tuple[str, StoreControl]:
    store = request.match_info["hash"]
    db = request.app[DB_KEY]
    if await db.run(db.store, store) is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"no store {store}"}), content_type="application/json"
        )
    return store, _control(request.app, store)


async def admin_stores(request: web.Request) -> web.Response:
    db = request.app[DB_KEY]
    base = f"{request.scheme}://{request.host}"

    def listing() -> list[dict[str, Any]]:
        return [
            {
                "hash": s.hash,
                "url": f"{base}/stores/{s.hash}",
                "name": s.name,
                "timezone": s.timezone,
                "counts": db.counts(s.hash),
            }
            for s in db.stores()
        ]

    return json_response(await db.run(listing))


async def admin_put_store(request: web.Request) -> web.Response:
    body = await request.json()
    try:
        profile = StoreProfile(**body)
    except TypeError as error:
        raise web.HTTPBadRequest(text=str(error)) from error
    ZoneInfo(profile.timezone)
    db = request.app[DB_KEY]
    await db.run(db.put_store, profile)
    return json_response({"hash": profile.hash}, 201)


async def admin_delete_store(request: web.Request) -> web.Response:
    store, _ = await _known(request)
    db = request.app[DB_KEY]
    await db.run(db.delete_store, store)
    request.app[CONTROLS_KEY].pop(store, None)
    return web.Response(status=204)


async def admin_reset(request: web.Request) -> web.Response:
    store, control = await _known(request)
    db = request.app[DB_KEY]
    await db.run(db.reset_store, store)
    control.stats.reset()
    return web.Response(status=204)


async def admin_rate_limit(request: web.Request) -> web.Response:
    _, control = await _known(request)
    body = await request.json()
    control.limiter.configure(int(body.get("quota", 450)), int(body.get("window_ms", 30_000)))
    return json_response({"quota": control.limiter.quota, "window_ms": control.limiter.window_ms})


async def admin_faults(request: web.Request) -> web.Response:
    _, control = await _known(request)
    if request.method == "PUT":
        try:
            control.faults.configure(FaultConfig.from_json(await request.json()))
        except (ValueError, TypeError) as error:
            raise web.HTTPBadRequest(
                text=json.dumps({"error": str(error)}), content_type="application/json"
            ) from error
    return json_response(control.faults.config.to_json())


async def admin_stats(request: web.Request) -> web.Response:
    _, control = await _known(request)
    if request.method == "DELETE":
        control.stats.reset()
        return web.Response(status=204)
    return json_response(control.stats.to_json())


async def admin_seed(request: web.Request) -> web.Response:
    from controller.emulator.seed import seed_synthetic, seed_v2

    store, _ = await _known(request)
    body = await request.json()
    db = request.app[DB_KEY]
    if body.get("v2"):
        return json_response(
            await db.run(
                seed_v2, db, store, int(body.get("products", 100)), seed=int(body.get("seed", 0))
            )
        )
    counts = await db.run(
        seed_synthetic,
        db,
        store,
        int(body.get("products", 100)),
        variants=int(body.get("variants", 3)),
        seed=int(body.get("seed", 0)),
    )
    return json_response(counts)


async def theme_download(request: web.Request) -> web.StreamResponse:
    """A theme download job's bundle: no token, as the platform's links, for a minute after
    the job finished."""
    store, _ = await _known(request)
    db = request.app[DB_KEY]
    job = request.match_info["job"].removesuffix(".zip")
    expiry = time.time() - DOWNLOAD_SECONDS - float(request.app[SETTINGS_KEY]["theme_job_seconds"])
    try:
        data = await db.run(db.bind(store).themes.downloaded, job, expiry)
    except ApiError as error:
        return _error_response(request, error)
    return web.Response(
        body=data,
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{job}.zip"'},
    )


def build_app(
    db: StoreDB,
    *,
    quota: int = 450,
    window_ms: int = 30_000,
    theme_job_seconds: float = 0.3,
    faults: FaultConfig | None = None,
    webhooks: WebhookSettings | None = None,
) -> web.Application:
    """The emulator's aiohttp application over `db`."""
    app = web.Application(
        middlewares=[store_middleware], client_max_size=MAX_THEME_BYTES + 1024 * 1024
    )
    app[DB_KEY] = db
    controls: dict[str, StoreControl] = {}
    app[CONTROLS_KEY] = controls
    app[SETTINGS_KEY] = {
        "rate": {"quota": quota, "window_ms": window_ms},
        "theme_job_seconds": theme_job_seconds,
        "faults": faults,
        "webhooks": webhooks or WebhookSettings(),
    }
    dispatcher = Dispatcher(db, app[SETTINGS_KEY]["webhooks"])
    app[SETTINGS_KEY]["dispatcher"] = dispatcher

    async def _deliver(app: web.Application) -> AsyncIterator[None]:
        await dispatcher.start()
        yield
        await dispatcher.stop()

    app.cleanup_ctx.append(_deliver)
    for route in ROUTES:
        app.router.add_route(route.method, STORE_PREFIX + route.path, _handler(route))
    admin = "/__emulator"
    app.router.add_get(f"{admin}/stores", admin_stores)
    app.router.add_post(f"{admin}/stores", admin_put_store)
    app.router.add_delete(f"{admin}/stores/{{hash}}", admin_delete_store)
    app.router.add_post(f"{admin}/stores/{{hash}}/reset", admin_reset)
    app.router.add_put(f"{admin}/stores/{{hash}}/rate-limit", admin_rate_limit)
    app.router.add_get(f"{admin}/stores/{{hash}}/faults", admin_faults)
    app.router.add_put(f"{admin}/stores/{{hash}}/faults", admin_faults)
    app.router.add_get(f"{admin}/stores/{{hash}}/stats", admin_stats)
    app.router.add_delete(f"{admin}/stores/{{hash}}/stats", admin_stats)
    app.router.add_post(f"{admin}/stores/{{hash}}/seed", admin_seed)
    app.router.add_get(f"{DOWNLOADS}/{{hash}}/{{job}}", theme_download)
    if faults is not None:

        async def _apply_faults(app: web.Application) -> None:
            for profile in db.stores():
                control = controls.setdefault(profile.hash, StoreControl(quota, window_ms))
                control.faults.configure(FaultConfig(**faults.to_json()))

        app.on_startup.append(_apply_faults)
    return app
