"""The HTTP face of the emulator: BigCommerce's paths under `/stores/{store_hash}/`, and an admin
API under `/__emulator/` for tests and benchmarks (stores, rate limits, faults, statistics)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
import time
import uuid
import zipfile
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web

from controller.emulator.control import FaultConfig, StoreControl
from controller.emulator.db import Page, StoreDB, StoreProfile
from controller.emulator.errors import ApiError, invalid

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_LIMIT = 250
DEFAULT_LIMIT = 50
MAX_THEME_BYTES = 50 * 1024 * 1024
_WRITE_METHODS = {"POST", "PUT", "DELETE"}

DB_KEY = web.AppKey("db", StoreDB)
CONTROLS_KEY = web.AppKey("controls", dict)
SETTINGS_KEY = web.AppKey("settings", dict)
CLIENT_ID_KEY = web.RequestKey("client_id", str)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        content_type="application/json",
    )


def _page_envelope(request: web.Request, page: Page) -> dict[str, Any]:
    pages = max(1, math.ceil(page.total / page.limit)) if page.total else 0

    def link(number: int) -> str:
        return f"?page={number}&limit={page.limit}"

    links = {"current": link(page.page)}
    if page.page > 1:
        links["previous"] = link(page.page - 1)
    if page.page < pages:
        links["next"] = link(page.page + 1)
    return {
        "total": page.total,
        "count": len(page.items),
        "per_page": page.limit,
        "current_page": page.page,
        "total_pages": pages,
        "links": links,
    }


def _list(
    request: web.Request,
    page: Page,
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> web.Response:
    items = [render(i) for i in page.items] if render else page.items
    return _json({"data": items, "meta": {"pagination": _page_envelope(request, page)}})


def _one(data: Any, status: int = 200) -> web.Response:
    return _json({"data": data, "meta": {}}, status)


def _int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError as error:
        raise ApiError(404, f"The {name.replace('_', ' ')} was not found.") from error


def _paging(request: web.Request) -> tuple[int, int]:
    try:
        page = int(request.query.get("page", "1"))
        limit = int(request.query.get("limit", str(DEFAULT_LIMIT)))
    except ValueError as error:
        raise invalid("page", "page and limit must be integers") from error
    if page < 1 or limit < 1:
        raise invalid("page", "page and limit must be positive")
    return page, min(limit, MAX_LIMIT)


def _filters(request: web.Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in request.query.items():
        if key.endswith(":in"):
            parts = [p for p in value.split(",") if p]
            if key.startswith("sku"):
                out[key] = parts
            else:
                try:
                    out[key] = [int(p) for p in parts]
                except ValueError as error:
                    raise invalid(key, f"{key} takes comma-separated integers") from error
        elif key in ("sku", "name", "keyword"):
            out[key] = value
        elif key in ("brand_id", "product_id"):
            try:
                out[key] = int(value)
            except ValueError as error:
                raise invalid(key, f"{key} must be an integer") from error
    return out


def _include(request: web.Request) -> set[str]:
    return {p.strip() for p in request.query.get("include", "").split(",") if p.strip()}


async def _body(request: web.Request) -> Any:
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError as error:
        raise ApiError(400, "The request body is not valid JSON.", {"body": str(error)}) from error


class _Ctx:
    """What a handler needs: the database and the store hash of the request."""

    __slots__ = ("db", "store")

    def __init__(self, request: web.Request):
        self.db = request.app[DB_KEY]
        self.store: str = request.match_info["store_hash"]


# ---- store information ----------------------------------------------------------------------------


async def get_store(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    profile = ctx.db.store(ctx.store)
    assert profile is not None
    zone = ZoneInfo(profile.timezone)
    now = datetime.now(zone)
    offset = now.utcoffset()
    dst = now.dst()
    return _json(
        {
            "id": profile.hash,
            "account_uuid": str(uuid.uuid5(uuid.NAMESPACE_DNS, profile.hash)),
            "domain": profile.domain,
            "secure_url": f"https://{profile.domain}",
            "control_panel_base_url": f"https://store-{profile.hash}.mybigcommerce.com",
            "status": "live",
            "name": profile.name,
            "first_name": "Store",
            "last_name": "Owner",
            "address": "",
            "country": profile.country,
            "country_code": profile.country_code,
            "phone": "",
            "admin_email": f"admin@{profile.domain}",
            "order_email": f"orders@{profile.domain}",
            "favicon_url": "",
            "timezone": {
                "name": profile.timezone,
                "raw_offset": int(
                    (offset.total_seconds() if offset else 0) - (dst.total_seconds() if dst else 0)
                ),
                "dst_offset": int(offset.total_seconds()) if offset else 0,
                "dst_correction": bool(dst),
                "date_format": {
                    "display": "jS M Y",
                    "export": "M jS Y",
                    "extended_display": "M jS Y @ g:i A",
                },
            },
            "language": profile.language,
            "currency": profile.currency,
            "currency_symbol": "$" if profile.currency == "USD" else profile.currency,
            "decimal_separator": ".",
            "thousands_separator": ",",
            "decimal_places": 2,
            "currency_symbol_location": "left",
            "weight_units": "LBS",
            "dimension_units": "Inches",
            "dimension_decimal_places": 2,
            "dimension_decimal_token": ".",
            "dimension_thousands_token": ",",
            "plan_name": profile.plan_name,
            "plan_level": profile.plan_name,
            "plan_is_trial": False,
            "industry": "",
            "is_price_entered_with_tax": False,
            "store_id": 1000000 + sum(profile.hash.encode()),
            "default_channel_id": 1,
            "default_site_id": 1000,
            "active_comparison_modules": [],
            "features": {
                "stencil_enabled": True,
                "sitewidehttps_enabled": True,
                "multi_storefront_enabled": False,
            },
        }
    )


async def get_time(request: web.Request) -> web.Response:
    return _json({"time": int(time.time())})


# ---- products -------------------------------------------------------------------------------------


async def list_products(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    page, limit = _paging(request)
    return _list(
        request, ctx.db.list_products(ctx.store, _filters(request), _include(request), page, limit)
    )


async def create_product(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.create_product(ctx.store, await _body(request)))


async def update_products(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    updated, missing = ctx.db.update_products(ctx.store, await _body(request))
    if missing:
        return _json({"data": updated, "errors": missing, "meta": {}}, 207)
    return _json({"data": updated, "meta": {}})


async def delete_products(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ids = _filters(request).get("id:in")
    if not ids:
        raise invalid("id:in", "a filter (id:in) is required to delete products")
    if len(ids) > MAX_LIMIT:
        raise invalid("id:in", f"at most {MAX_LIMIT} ids per request")
    ctx.db.delete_products(ctx.store, ids)
    return web.Response(status=204)


async def get_product(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.get_product(ctx.store, _int(request, "product_id"), _include(request)))


async def update_product(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.update_product(ctx.store, _int(request, "product_id"), await _body(request)))


async def delete_product(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.get_product(ctx.store, _int(request, "product_id"), set())
    ctx.db.delete_products(ctx.store, [_int(request, "product_id")])
    return web.Response(status=204)


# ---- variants and options -------------------------------------------------------------------------


async def list_product_variants(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    page, limit = _paging(request)
    pid = _int(request, "product_id")
    return _list(request, ctx.db.list_variants(ctx.store, pid, _filters(request), page, limit))


async def create_variant(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.create_variant(ctx.store, _int(request, "product_id"), await _body(request)))


async def get_variant(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(
        ctx.db.get_variant(ctx.store, _int(request, "product_id"), _int(request, "variant_id"))
    )


async def update_variant(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    pid, vid = _int(request, "product_id"), _int(request, "variant_id")
    return _one(ctx.db.update_variant(ctx.store, pid, vid, await _body(request)))


async def delete_variant(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.delete_variant(ctx.store, _int(request, "product_id"), _int(request, "variant_id"))
    return web.Response(status=204)


async def list_variants(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    page, limit = _paging(request)
    return _list(request, ctx.db.list_variants(ctx.store, None, _filters(request), page, limit))


async def update_variants(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _json({"data": ctx.db.update_variants(ctx.store, await _body(request)), "meta": {}})


async def list_options(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    options = ctx.db.list_options(ctx.store, _int(request, "product_id"))
    return _list(request, Page(options, len(options), 1, MAX_LIMIT))


async def create_option(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.create_option(ctx.store, _int(request, "product_id"), await _body(request)))


async def get_option(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(
        ctx.db.get_option(ctx.store, _int(request, "product_id"), _int(request, "option_id"))
    )


async def delete_option(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.delete_option(ctx.store, _int(request, "product_id"), _int(request, "option_id"))
    return web.Response(status=204)


# ---- custom fields and images ---------------------------------------------------------------------


async def list_custom_fields(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    fields = ctx.db.list_custom_fields(ctx.store, _int(request, "product_id"))
    return _list(request, Page(fields, len(fields), 1, MAX_LIMIT))


async def create_custom_field(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(
        ctx.db.create_custom_field(ctx.store, _int(request, "product_id"), await _body(request))
    )


async def update_custom_field(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    pid, fid = _int(request, "product_id"), _int(request, "custom_field_id")
    return _one(ctx.db.update_custom_field(ctx.store, pid, fid, await _body(request)))


async def delete_custom_field(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.delete_custom_field(
        ctx.store, _int(request, "product_id"), _int(request, "custom_field_id")
    )
    return web.Response(status=204)


async def list_images(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    images = ctx.db.list_images(ctx.store, _int(request, "product_id"))
    return _list(request, Page(images, len(images), 1, MAX_LIMIT))


async def create_image(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.create_image(ctx.store, _int(request, "product_id"), await _body(request)))


async def update_image(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    pid, iid = _int(request, "product_id"), _int(request, "image_id")
    return _one(ctx.db.update_image(ctx.store, pid, iid, await _body(request)))


async def delete_image(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.delete_image(ctx.store, _int(request, "product_id"), _int(request, "image_id"))
    return web.Response(status=204)


# ---- categories -----------------------------------------------------------------------------------


async def list_trees(request: web.Request) -> web.Response:
    tree = {"id": 1, "name": "Default", "channels": [1]}
    return _list(request, Page([tree], 1, 1, MAX_LIMIT))


async def list_tree_categories(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    page, limit = _paging(request)
    return _list(
        request,
        ctx.db.list_categories(ctx.store, _filters(request), page, limit),
        StoreDB.tree_category,
    )


def _tree_errors(error: ApiError) -> ApiError:
    """The category trees API documents no 409: its conflicts (duplicate sibling names) are 422s,
    while the legacy categories API answers 409 for the same rule."""
    return ApiError(422, error.title, error.errors) if error.status == 409 else error


async def create_tree_categories(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    try:
        created = ctx.db.create_categories(ctx.store, await _body(request))
    except ApiError as error:
        raise _tree_errors(error) from error
    return _json({"data": [StoreDB.tree_category(c) for c in created], "meta": {}}, 201)


async def update_tree_categories(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    try:
        updated = ctx.db.update_categories(ctx.store, await _body(request))
    except ApiError as error:
        raise _tree_errors(error) from error
    return _json({"data": [StoreDB.tree_category(c) for c in updated], "meta": {}})


async def delete_tree_categories(request: web.Request) -> web.Response:
    """202 with `meta` counts; a refusal is a 422 whose error sits under `errors` (as documented)."""
    ctx = _Ctx(request)
    ids = _filters(request).get("category_id:in")
    if not ids:
        raise invalid(
            "category_id:in", "a filter (category_id:in) is required to delete categories"
        )
    meta = {"total": len(ids), "success": len(ids), "failed": 0}
    try:
        ctx.db.delete_categories(ctx.store, ids)
    except ApiError as error:
        meta.update(success=0, failed=len(ids))
        return _json({"errors": error.body(), "meta": meta}, error.status)
    return _json({"meta": meta}, 202)


async def tree_nodes(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    if _int(request, "tree_id") != 1:
        raise ApiError(404, "The tree was not found.")
    return _json({"data": ctx.db.category_tree(ctx.store), "meta": {}})


async def list_categories(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    page, limit = _paging(request)
    return _list(
        request,
        ctx.db.list_categories(ctx.store, _filters(request), page, limit),
        StoreDB.legacy_category,
    )


async def create_category(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(StoreDB.legacy_category(ctx.db.create_category(ctx.store, await _body(request))))


async def get_category(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(
        StoreDB.legacy_category(ctx.db.get_category(ctx.store, _int(request, "category_id")))
    )


async def update_category(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    cid = _int(request, "category_id")
    return _one(
        StoreDB.legacy_category(ctx.db.update_category(ctx.store, cid, await _body(request)))
    )


async def delete_category(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.get_category(ctx.store, _int(request, "category_id"))
    ctx.db.delete_categories(ctx.store, [_int(request, "category_id")])
    return web.Response(status=204)


async def delete_categories(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ids = _filters(request).get("id:in")
    if not ids:
        raise invalid("id:in", "a filter (id:in) is required to delete categories")
    ctx.db.delete_categories(ctx.store, ids)
    return web.Response(status=204)


# ---- brands ---------------------------------------------------------------------------------------


async def list_brands(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    page, limit = _paging(request)
    return _list(request, ctx.db.list_brands(ctx.store, _filters(request), page, limit))


async def create_brand(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.create_brand(ctx.store, await _body(request)))


async def get_brand(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.get_brand(ctx.store, _int(request, "brand_id")))


async def update_brand(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.update_brand(ctx.store, _int(request, "brand_id"), await _body(request)))


async def delete_brand(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.get_brand(ctx.store, _int(request, "brand_id"))
    ctx.db.delete_brands(ctx.store, [_int(request, "brand_id")])
    return web.Response(status=204)


async def delete_brands(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    name = request.query.get("name")
    if not name:
        raise invalid("name", "a filter (name) is required to delete brands")
    ctx.db.delete_brands(
        ctx.store, [b["id"] for b in ctx.db.list_brands(ctx.store, {"name": name}, 1, 1).items]
    )
    return web.Response(status=204)


# ---- scripts --------------------------------------------------------------------------------------


def _client_id(request: web.Request) -> str:
    return request[CLIENT_ID_KEY]


async def list_scripts(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    page, limit = _paging(request)
    return _list(request, ctx.db.list_scripts(ctx.store, _client_id(request), page, limit))


async def create_script(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.create_script(ctx.store, await _body(request), _client_id(request)))


async def get_script(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    return _one(ctx.db.get_script(ctx.store, request.match_info["uuid"], _client_id(request)))


async def update_script(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    uid = request.match_info["uuid"]
    return _one(ctx.db.update_script(ctx.store, uid, await _body(request), _client_id(request)))


async def delete_script(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.delete_script(ctx.store, request.match_info["uuid"], _client_id(request))
    return web.Response(status=204)


# ---- themes ---------------------------------------------------------------------------------------


def _inspect_bundle(data: bytes) -> tuple[str, list[str]] | tuple[None, str]:
    """(name, variation names) of a Stencil bundle, or (None, error code)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            names = set(bundle.namelist())
            if "config.json" not in names:
                return None, "MissingConfigJson"
            config = json.loads(bundle.read("config.json"))
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError):
        return None, "UnreadableBundle"
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        return None, "InvalidConfigJson"
    variations = [v.get("name") for v in config.get("variations", []) if isinstance(v, dict)]
    return config["name"], [v for v in variations if isinstance(v, str)] or ["Default"]


async def upload_theme(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    if not request.content_type.startswith("multipart/"):
        raise invalid("file", "upload the theme as multipart/form-data with a 'file' field")
    data = b""
    async for part in await request.multipart():
        if getattr(part, "name", None) == "file":
            data = await part.read()  # type: ignore[union-attr]
    if not data:
        raise invalid("file", "the 'file' field is required")
    job_id = str(uuid.uuid4())
    inspected = _inspect_bundle(data)
    job: dict[str, Any] = {
        "id": job_id,
        "created": time.time(),
        "errors": [],
        "warnings": [],
        "result": {},
    }
    if inspected[0] is None:
        job["outcome"] = {
            "status": "FAILED",
            "errors": [
                {"error": inspected[1], "message": "The file is not a valid Stencil bundle."}
            ],
        }
    else:
        name, variations = inspected
        assert isinstance(variations, list)
        theme = ctx.db.add_theme(ctx.store, name, variations)
        if theme is None:
            job["outcome"] = {
                "status": "FAILED",
                "errors": [
                    {"error": "ThemeLimitReached", "message": "A store holds at most 20 themes."}
                ],
            }
        else:
            job["outcome"] = {"status": "COMPLETED", "result": {"theme_id": theme["uuid"]}}
    ctx.db.put_job(ctx.store, job)
    return _json({"job_id": job_id}, 201)


async def get_job(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    job = ctx.db.job(ctx.store, request.match_info["job_id"])
    duration = float(request.app[SETTINGS_KEY]["theme_job_seconds"])
    elapsed = time.time() - job["created"]
    data: dict[str, Any] = {
        "id": job["id"],
        "errors": [],
        "warnings": [],
        "result": {},
        "time": datetime.fromtimestamp(job["created"], UTC).isoformat(),
    }
    if elapsed < duration / 3:
        data.update(status="QUEUED", percent_complete=0)
    elif elapsed < duration:
        data.update(status="WORKING", percent_complete=int(100 * elapsed / duration))
    else:
        data.update(percent_complete=100, **job["outcome"])
    return _json({"data": data, "meta": {}})


async def list_themes(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    themes = [
        {k: v for k, v in t.items() if k != "active_variation"} for t in ctx.db.themes(ctx.store)
    ]
    return _json({"data": themes, "meta": {}})


async def get_theme(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    theme = ctx.db.theme(ctx.store, request.match_info["uuid"])
    return _json({"data": {k: v for k, v in theme.items() if k != "active_variation"}, "meta": {}})


async def delete_theme(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    ctx.db.delete_theme(ctx.store, request.match_info["uuid"])
    return web.Response(status=204)


async def activate_theme(request: web.Request) -> web.Response:
    ctx = _Ctx(request)
    body = await _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("variation_id"), str):
        raise invalid("variation_id", "variation_id is required")
    if body.get("which", "original") not in ("original", "last_activated", "last_created"):
        raise invalid("which", "which must be original, last_activated or last_created")
    ctx.db.activate_theme(ctx.store, body["variation_id"])
    return web.Response(status=204)


# ---- routing --------------------------------------------------------------------------------------

_V3 = "/stores/{store_hash}/v3"
_V2 = "/stores/{store_hash}/v2"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", f"{_V2}/store", get_store),
    ("GET", f"{_V2}/time", get_time),
    ("GET", f"{_V3}/catalog/products", list_products),
    ("POST", f"{_V3}/catalog/products", create_product),
    ("PUT", f"{_V3}/catalog/products", update_products),
    ("DELETE", f"{_V3}/catalog/products", delete_products),
    ("GET", f"{_V3}/catalog/products/{{product_id}}", get_product),
    ("PUT", f"{_V3}/catalog/products/{{product_id}}", update_product),
    ("DELETE", f"{_V3}/catalog/products/{{product_id}}", delete_product),
    ("GET", f"{_V3}/catalog/products/{{product_id}}/variants", list_product_variants),
    ("POST", f"{_V3}/catalog/products/{{product_id}}/variants", create_variant),
    ("GET", f"{_V3}/catalog/products/{{product_id}}/variants/{{variant_id}}", get_variant),
    ("PUT", f"{_V3}/catalog/products/{{product_id}}/variants/{{variant_id}}", update_variant),
    ("DELETE", f"{_V3}/catalog/products/{{product_id}}/variants/{{variant_id}}", delete_variant),
    ("GET", f"{_V3}/catalog/variants", list_variants),
    ("PUT", f"{_V3}/catalog/variants", update_variants),
    ("GET", f"{_V3}/catalog/products/{{product_id}}/options", list_options),
    ("POST", f"{_V3}/catalog/products/{{product_id}}/options", create_option),
    ("GET", f"{_V3}/catalog/products/{{product_id}}/options/{{option_id}}", get_option),
    ("DELETE", f"{_V3}/catalog/products/{{product_id}}/options/{{option_id}}", delete_option),
    ("GET", f"{_V3}/catalog/products/{{product_id}}/custom-fields", list_custom_fields),
    ("POST", f"{_V3}/catalog/products/{{product_id}}/custom-fields", create_custom_field),
    (
        "PUT",
        f"{_V3}/catalog/products/{{product_id}}/custom-fields/{{custom_field_id}}",
        update_custom_field,
    ),
    (
        "DELETE",
        f"{_V3}/catalog/products/{{product_id}}/custom-fields/{{custom_field_id}}",
        delete_custom_field,
    ),
    ("GET", f"{_V3}/catalog/products/{{product_id}}/images", list_images),
    ("POST", f"{_V3}/catalog/products/{{product_id}}/images", create_image),
    ("PUT", f"{_V3}/catalog/products/{{product_id}}/images/{{image_id}}", update_image),
    ("DELETE", f"{_V3}/catalog/products/{{product_id}}/images/{{image_id}}", delete_image),
    ("GET", f"{_V3}/catalog/trees", list_trees),
    ("GET", f"{_V3}/catalog/trees/categories", list_tree_categories),
    ("POST", f"{_V3}/catalog/trees/categories", create_tree_categories),
    ("PUT", f"{_V3}/catalog/trees/categories", update_tree_categories),
    ("DELETE", f"{_V3}/catalog/trees/categories", delete_tree_categories),
    ("GET", f"{_V3}/catalog/trees/{{tree_id}}/categories", tree_nodes),
    ("GET", f"{_V3}/catalog/categories", list_categories),
    ("POST", f"{_V3}/catalog/categories", create_category),
    ("DELETE", f"{_V3}/catalog/categories", delete_categories),
    ("GET", f"{_V3}/catalog/categories/{{category_id}}", get_category),
    ("PUT", f"{_V3}/catalog/categories/{{category_id}}", update_category),
    ("DELETE", f"{_V3}/catalog/categories/{{category_id}}", delete_category),
    ("GET", f"{_V3}/catalog/brands", list_brands),
    ("POST", f"{_V3}/catalog/brands", create_brand),
    ("DELETE", f"{_V3}/catalog/brands", delete_brands),
    ("GET", f"{_V3}/catalog/brands/{{brand_id}}", get_brand),
    ("PUT", f"{_V3}/catalog/brands/{{brand_id}}", update_brand),
    ("DELETE", f"{_V3}/catalog/brands/{{brand_id}}", delete_brand),
    ("GET", f"{_V3}/content/scripts", list_scripts),
    ("POST", f"{_V3}/content/scripts", create_script),
    ("GET", f"{_V3}/content/scripts/{{uuid}}", get_script),
    ("PUT", f"{_V3}/content/scripts/{{uuid}}", update_script),
    ("DELETE", f"{_V3}/content/scripts/{{uuid}}", delete_script),
    ("GET", f"{_V3}/themes", list_themes),
    ("POST", f"{_V3}/themes", upload_theme),
    ("GET", f"{_V3}/themes/jobs/{{job_id}}", get_job),
    ("POST", f"{_V3}/themes/actions/activate", activate_theme),
    ("GET", f"{_V3}/themes/{{uuid}}", get_theme),
    ("DELETE", f"{_V3}/themes/{{uuid}}", delete_theme),
]


def _error_response(
    request: web.Request, error: ApiError, headers: dict[str, str] | None = None
) -> web.Response:
    response = _json(error.body(request.path), error.status)
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


@web.middleware
async def store_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth, rate limit, faults and statistics for everything under `/stores/{hash}/`."""
    store = request.match_info.get("store_hash")
    if store is None:
        return await handler(request)
    db = request.app[DB_KEY]
    profile = db.store(store)
    if profile is None:
        return _error_response(request, ApiError(404, "The store was not found."))
    controls: dict[str, StoreControl] = request.app[CONTROLS_KEY]
    control = controls.setdefault(store, StoreControl(**request.app[SETTINGS_KEY]["rate"]))
    route = request.match_info.route.resource
    endpoint = route.canonical.split("/stores/{store_hash}", 1)[-1] if route else request.path
    plan = control.faults.draw(request.method in _WRITE_METHODS)
    if plan.latency_s:
        await asyncio.sleep(plan.latency_s)
    if plan.drop:
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
    request[CLIENT_ID_KEY] = f"client-{zlib.crc32(token.encode()):08x}"
    try:
        response = await handler(request)
    except ApiError as error:
        response = _error_response(request, error)
    except web.HTTPException as error:
        response = _error_response(request, ApiError(error.status, error.reason))
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


# ---- admin API ------------------------------------------------------------------------------------


def _control(request: web.Request) -> tuple[str, StoreControl]:
    store = request.match_info["hash"]
    if request.app[DB_KEY].store(store) is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"no store {store}"}), content_type="application/json"
        )
    controls: dict[str, StoreControl] = request.app[CONTROLS_KEY]
    return store, controls.setdefault(store, StoreControl(**request.app[SETTINGS_KEY]["rate"]))


async def admin_stores(request: web.Request) -> web.Response:
    db = request.app[DB_KEY]
    base = f"{request.scheme}://{request.host}"
    return _json(
        [
            {
                "hash": s.hash,
                "url": f"{base}/stores/{s.hash}",
                "name": s.name,
                "timezone": s.timezone,
                "counts": db.counts(s.hash),
            }
            for s in db.stores()
        ]
    )


async def admin_put_store(request: web.Request) -> web.Response:
    body = await request.json()
    try:
        profile = StoreProfile(**body)
    except TypeError as error:
        raise web.HTTPBadRequest(text=str(error)) from error
    ZoneInfo(profile.timezone)
    request.app[DB_KEY].put_store(profile)
    return _json({"hash": profile.hash}, 201)


async def admin_delete_store(request: web.Request) -> web.Response:
    store, _ = _control(request)
    request.app[DB_KEY].delete_store(store)
    request.app[CONTROLS_KEY].pop(store, None)
    return web.Response(status=204)


async def admin_reset(request: web.Request) -> web.Response:
    store, control = _control(request)
    request.app[DB_KEY].reset_store(store)
    control.stats.reset()
    return web.Response(status=204)


async def admin_rate_limit(request: web.Request) -> web.Response:
    _, control = _control(request)
    body = await request.json()
    control.limiter.configure(int(body.get("quota", 450)), int(body.get("window_ms", 30_000)))
    return _json({"quota": control.limiter.quota, "window_ms": control.limiter.window_ms})


async def admin_faults(request: web.Request) -> web.Response:
    _, control = _control(request)
    if request.method == "PUT":
        try:
            control.faults.configure(FaultConfig.from_json(await request.json()))
        except (ValueError, TypeError) as error:
            raise web.HTTPBadRequest(
                text=json.dumps({"error": str(error)}), content_type="application/json"
            ) from error
    return _json(control.faults.config.to_json())


async def admin_stats(request: web.Request) -> web.Response:
    _, control = _control(request)
    if request.method == "DELETE":
        control.stats.reset()
        return web.Response(status=204)
    return _json(control.stats.to_json())


async def admin_seed(request: web.Request) -> web.Response:
    from controller.emulator.seed import seed_synthetic

    store, _ = _control(request)
    body = await request.json()
    counts = await asyncio.to_thread(
        seed_synthetic,
        request.app[DB_KEY],
        store,
        int(body.get("products", 100)),
        variants=int(body.get("variants", 3)),
        seed=int(body.get("seed", 0)),
    )
    return _json(counts)


def build_app(
    db: StoreDB,
    *,
    quota: int = 450,
    window_ms: int = 30_000,
    theme_job_seconds: float = 0.3,
    faults: FaultConfig | None = None,
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
    }
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
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
    if faults is not None:

        async def _apply_faults(app: web.Application) -> None:
            for profile in db.stores():
                control = controls.setdefault(profile.hash, StoreControl(quota, window_ms))
                control.faults.configure(FaultConfig(**faults.to_json()))

        app.on_startup.append(_apply_faults)
    return app
