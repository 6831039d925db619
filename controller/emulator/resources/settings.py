"""Store settings: `/v3/settings/...` objects with global values and per-channel overrides.

As settings.v3 documents them: without `channel_id` a request reads or writes the global values
(those of a new store until changed); with it, the channel's overrides, `null` for each field the
channel inherits. A PUT with `null` for a field on a channel deletes that override; `null` is refused
at global level, as are fields documented global-only on a channel, partial updates where the
endpoint does not support them, and values of the wrong type (one 422 naming each field). An
unknown channel is a 422 naming `channel_id`; a query parameter the endpoint does not document
is a 400. Logo and favicon image uploads set the logo settings' image URLs (the store's CDN).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from controller.emulator.database import StoreProfile, dumps
from controller.emulator.errors import ApiError
from controller.emulator.resources.base import Call, Resource, Route, no_content, one, parse_value

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (store TEXT, section TEXT, channel INTEGER, doc TEXT,
    PRIMARY KEY (store, section, channel));
"""
TABLES = ("settings",)

GLOBAL = 0  # the `channel` column of the global values
INVALID = "JSON data is missing or invalid"  # the settings' 422 title, as the spec's example


@dataclass(frozen=True)
class Kind:
    """A field's documented type: a JSON type, its enum or bounds, an object's fields."""

    type: str
    values: tuple[Any, ...] = ()
    low: int | None = None
    high: int | None = None
    fields: Mapping[str, Kind] = field(default_factory=dict)


BOOL, TEXT, TEXTS = Kind("boolean"), Kind("string"), Kind("array")
_PY: dict[str, Any] = {
    "boolean": bool,
    "string": str,
    "integer": int,
    "array": list,
    "object": dict,
}


def enum(*values: str) -> Kind:
    """A string of `values`."""
    return Kind("string", values)


def problem(value: Any, kind: Kind) -> str | None:
    """Why `value` is not of `kind` (an object needs all its fields), or None."""
    if not isinstance(value, _PY[kind.type]) or (
        kind.type != "boolean" and isinstance(value, bool)
    ):
        return f"must be of type {kind.type}"
    if kind.values and value not in kind.values:
        return f"Incorrect value [{value}], it should match one of: {', '.join(kind.values)}"
    if (kind.low is not None and value < kind.low) or (kind.high is not None and value > kind.high):
        return f"must be between {kind.low} and {kind.high}"
    if kind.type == "array" and not all(isinstance(v, str) for v in value):
        return "must be an array of strings"
    for name, inner in kind.fields.items():
        found = problem(value[name], inner) if name in value else "is required"
        if found:
            return f"{name} {found}"
    return None


def _admin(profile: StoreProfile) -> str:
    return f"admin@{profile.domain}"


@dataclass(frozen=True)
class Section:
    """One settings object: its path below `/v3/settings`, its fields, a new store's values, and
    what its spec says of channels (`channels`: takes `channel_id`; `global_only` fields;
    `partial`: a PUT may leave fields out; `read_only`: answered, never written by a PUT)."""

    path: str
    fields: Mapping[str, Kind]
    defaults: Callable[[StoreProfile], dict[str, Any]]
    channels: bool = True
    partial: bool = False
    global_only: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()

    def writable(self, channel: int) -> list[str]:
        """The fields a PUT at this level writes."""
        skip = self.read_only | (self.global_only if channel != GLOBAL else frozenset())
        return [f for f in self.fields if f not in skip]


_SORTS = enum(
    "featured",
    "bestselling",
    "newest",
    "alphaasc",
    "alphadesc",
    "pricedesc",
    "priceasc",
    "avgcustomerreview",
    "relevance",
)
_EMAILS = (
    "abandoned_cart_email",
    "account_details_changed_email",
    "combined_order_status_email",
    "create_account_email",
    "create_guest_account_email",
    "gift_certificate_email",
    "invoice_email",
    "order_message_notification_email",
    "product_review_email",
    "return_confirmation_email",
    "return_statuschange_email",
)
_PRODUCT_FLAGS = {
    "show_product_price": True,
    "show_product_sku": True,
    "show_product_weight": False,
    "show_product_brand": True,
    "show_product_shipping": False,
    "show_product_rating": True,
    "show_add_to_cart_link": True,
}
ROBOTS_TXT = (
    "User-agent: AdsBot-Google\nDisallow: /account.php\nDisallow: /cart.php\n"
    "Disallow: /checkout\n\nUser-agent: *\nDisallow: /account.php\nDisallow: /cart.php\n"
    "Disallow: /checkout\nDisallow: /login.php\nDisallow: /search.php\n"
)

SECTIONS: tuple[Section, ...] = (
    Section(
        "catalog",
        {"auto_approve_reviews": BOOL, "enable_product_comparisons": BOOL},
        lambda p: {"auto_approve_reviews": False, "enable_product_comparisons": True},
    ),
    Section(
        "email-statuses",
        dict.fromkeys(_EMAILS, BOOL),
        lambda p: {e: e != "product_review_email" for e in _EMAILS},
        partial=True,
    ),
    Section(
        "inventory/notifications",
        {"low_stock_notification_address": TEXTS, "out_of_stock_notification_address": TEXTS},
        lambda p: {
            "low_stock_notification_address": [_admin(p)],
            "out_of_stock_notification_address": [_admin(p)],
        },
    ),
    Section(
        "logo",
        {
            "favicon_url": TEXT,
            "logo_image_url": TEXT,
            "logo_text": TEXT,
            "type": enum("image", "text"),
        },
        lambda p: {"favicon_url": "", "logo_image_url": "", "logo_text": p.name, "type": "text"},
        read_only=frozenset({"favicon_url", "logo_image_url"}),
    ),
    Section(
        "store/locale",
        {
            "default_shopper_language": TEXT,
            "shopper_language_selection_method": enum("browser", "default_shopper_language"),
            "store_country": TEXT,
        },
        lambda p: {
            "default_shopper_language": p.language,
            "shopper_language_selection_method": "default_shopper_language",
            "store_country": p.country,
        },
        channels=False,
        partial=True,
    ),
    Section(
        "store/profile",
        {
            "store_address": TEXT,
            "store_address_type": enum("Home Office", "Commercial Office", "Retail", "Warehouse"),
            "store_email": TEXT,
            "store_name": TEXT,
            "store_phone": TEXT,
        },
        lambda p: {
            "store_address": "",
            "store_address_type": "Home Office",
            "store_email": _admin(p),
            "store_name": p.name,
            "store_phone": "",
        },
        global_only=frozenset({"store_address_type"}),
    ),
    Section(
        "storefront/category",
        {
            "category_tree_depth": Kind("integer", low=1, high=8),
            "default_product_sort": _SORTS,
            "listing_mode": enum(
                "current_category_only", "child_categories", "child_categories_if_category_empty"
            ),
        },
        lambda p: {
            "category_tree_depth": 3,
            "default_product_sort": "featured",
            "listing_mode": "current_category_only",
        },
    ),
    Section(
        "storefront/product",
        {
            **dict.fromkeys(_PRODUCT_FLAGS, BOOL),
            "default_preorder_message": TEXT,
            "show_breadcrumbs_product_pages": enum("show_one", "show_none"),
            "show_add_to_cart_qty_box": BOOL,
            "show_add_to_wishlist": BOOL,
            "hide_price_from_guests": BOOL,
        },
        lambda p: {
            **_PRODUCT_FLAGS,
            "default_preorder_message": "",
            "show_breadcrumbs_product_pages": "show_one",
            "show_add_to_cart_qty_box": True,
            "show_add_to_wishlist": True,
            "hide_price_from_guests": False,
        },
    ),
    Section(
        "storefront/robotstxt", {"robots_txt_ssl": TEXT}, lambda p: {"robots_txt_ssl": ROBOTS_TXT}
    ),
    Section(
        "storefront/search",
        {
            "content_product_sort": enum("relevance", "alphaasc", "alphadesc"),
            "default_product_sort": _SORTS,
            "product_filtering_enabled": BOOL,
            "search_suggest": BOOL,
        },
        lambda p: {
            "content_product_sort": "relevance",
            "default_product_sort": "relevance",
            "product_filtering_enabled": False,
            "search_suggest": True,
        },
        global_only=frozenset({"product_filtering_enabled"}),
    ),
    Section(
        "storefront/security",
        {
            "csp_header": Kind("object", fields={"enabled": BOOL, "header_value": TEXT}),
            "hsts": Kind(
                "object",
                fields={
                    "enabled": BOOL,
                    "include_preload": BOOL,
                    "include_subdomains": BOOL,
                    "max_age": enum("zero_seconds", "five_minutes", "one_year"),
                },
            ),
            "sitewide_https_enabled": BOOL,
            "x_frame_options_header": Kind(
                "object",
                fields={
                    "allowed_url": TEXT,
                    "enabled": BOOL,
                    "setting": enum("deny", "same_origin", "allow_from_url"),
                },
            ),
        },
        lambda p: {
            "csp_header": {"enabled": False, "header_value": ""},
            "hsts": {
                "enabled": False,
                "include_preload": False,
                "include_subdomains": False,
                "max_age": "zero_seconds",
            },
            "sitewide_https_enabled": True,  # /v2/store's features.sitewidehttps_enabled
            "x_frame_options_header": {
                "allowed_url": "",
                "enabled": True,
                "setting": "same_origin",
            },
        },
    ),
    Section(
        "storefront/seo",
        {
            "meta_description": TEXT,
            "meta_keywords": TEXT,
            "page_title": TEXT,
            "www_redirect": enum("www", "no-www", "none"),
        },
        lambda p: {
            "meta_description": "",
            "meta_keywords": "",
            "page_title": p.name,
            "www_redirect": "no-www",
        },
        partial=True,
    ),
    Section(
        "storefront/status",
        {
            "down_for_maintenance_message": TEXT,
            "prelaunch_message": TEXT,
            "prelaunch_password": TEXT,
        },
        lambda p: {
            "down_for_maintenance_message": "Down for maintenance",
            "prelaunch_message": "Coming soon",
            "prelaunch_password": hashlib.sha256(p.hash.encode()).hexdigest()[:10],
        },
        read_only=frozenset({"prelaunch_password"}),
    ),
    Section(
        "inventory",
        {
            "product_out_of_stock_behavior": enum(
                "do_nothing",
                "hide_product",
                "hide_product_and_accessible",
                "hide_product_and_redirect",
            ),
            "option_out_of_stock_behavior": enum("do_nothing", "hide_option", "label_option"),
            "update_stock_behavior": enum("order_placed", "order_completed_or_shipped"),
            "edit_order_stock_adjustment": BOOL,
            "refund_order_stock_adjustment": BOOL,
            "stock_level_display": enum("dont_show", "show", "show_when_low"),
            "default_out_of_stock_message": TEXT,
            "hide_in_product_filtering": BOOL,
            "show_pre_order_stock_levels": BOOL,
            "show_out_of_stock_message": BOOL,
        },
        lambda p: {
            "product_out_of_stock_behavior": "do_nothing",
            "option_out_of_stock_behavior": "do_nothing",
            "update_stock_behavior": "order_placed",
            "edit_order_stock_adjustment": True,
            "refund_order_stock_adjustment": True,
            "stock_level_display": "dont_show",
            "default_out_of_stock_message": "Currently out of stock",
            "hide_in_product_filtering": False,
            "show_pre_order_stock_levels": False,
            "show_out_of_stock_message": False,
        },
        partial=True,
    ),
    Section(
        "store/units-of-measurement",
        {
            "weight_measurement": enum("LBS", "Ounces", "KGS", "Grams", "Tonnes"),
            "length_measurement": enum("Inches", "Centimeters"),
            "decimal_token": TEXT,
            "thousands_token": TEXT,
            "decimal_places": Kind("integer", low=0),
            "factoring_dimension": enum("depth", "height", "width"),
        },
        # as /v2/store answers a new store: weight_units, dimension_units and their tokens
        lambda p: {
            "weight_measurement": "LBS",
            "length_measurement": "Inches",
            "decimal_token": ".",
            "thousands_token": ",",
            "decimal_places": 2,
            "factoring_dimension": "depth",
        },
    ),
)
BY_PATH = {s.path: s for s in SECTIONS}
# Image uploads of the logo settings: kind -> (multipart field, field it sets, size limit)
UPLOADS: dict[str, tuple[str, str, int | None]] = {
    "logo": ("LogoFile", "logo_image_url", None),
    "favicon": ("FaviconFile", "favicon_url", 10 * 1024 * 1024),
}


class Settings(Resource):
    """The settings of one store: global values over a new store's, and channels' overrides."""

    def _stored(self, section: Section, channel: int) -> dict[str, Any]:
        docs = self.docs(
            "SELECT doc FROM settings WHERE store=? AND section=? AND channel=?",
            self.hash,
            section.path,
            channel,
        )
        return docs[0] if docs else {}

    def _channel(self, channel: int | None) -> int:
        if channel is None:
            return GLOBAL
        if not self.store.channels.exists(channel):
            raise ApiError(422, INVALID, {"channel_id": f"Channel {channel} does not exist."})
        return channel

    def get(self, section: Section, channel_id: int | None) -> dict[str, Any]:
        """The global values, or a channel's overrides (`null` where it inherits)."""
        channel = self._channel(channel_id)
        stored = self._stored(section, channel)
        if channel != GLOBAL:
            return {f: stored.get(f) for f in section.fields}
        profile = self.db.store(self.hash)
        assert profile is not None  # the middleware answered 404 for an unknown store
        return {**section.defaults(profile), **stored}

    def effective(self, path: str, channel: int) -> dict[str, Any]:
        """What applies on a channel: the global values under its overrides."""
        section = BY_PATH[path]
        overrides = self.get(section, channel)
        return {**self.get(section, None), **{k: v for k, v in overrides.items() if v is not None}}

    def v2_store(self, document: dict[str, Any]) -> dict[str, Any]:
        """`/v2/store`'s `document` with what the global settings decide."""
        profile = self.get(BY_PATH["store/profile"], None)
        units = self.get(BY_PATH["store/units-of-measurement"], None)
        https = self.get(BY_PATH["storefront/security"], None)["sitewide_https_enabled"]
        return {
            **document,
            "name": profile["store_name"],
            "address": profile["store_address"],
            "phone": profile["store_phone"],
            "admin_email": profile["store_email"],
            "language": self.get(BY_PATH["store/locale"], None)["default_shopper_language"],
            "favicon_url": self.get(BY_PATH["logo"], None)["favicon_url"],
            "weight_units": units["weight_measurement"],
            "dimension_units": units["length_measurement"],
            "dimension_decimal_places": units["decimal_places"],
            "dimension_decimal_token": units["decimal_token"],
            "dimension_thousands_token": units["thousands_token"],
            "features": {**document["features"], "sitewidehttps_enabled": https},
        }

    def put(self, section: Section, channel_id: int | None, body: Any) -> dict[str, Any]:
        """Write the global values or a channel's overrides (`null`: inherit again)."""
        if not isinstance(body, dict):
            raise ApiError(422, INVALID, {"body": "must be a JSON object"})
        with self.tx():
            channel = self._channel(channel_id)
            stored = self._stored(section, channel)
            stored.update(self._changes(section, channel, body))
            self._write(section, channel, stored)
            return self.get(section, channel_id)

    def upload(self, kind: str, channel_id: int | None, filename: str, size: int) -> None:
        """A logo or favicon image file, taken into the store's CDN as the global one or the
        channel's override (GIF, JPEG or PNG; a favicon of at most 10 MB)."""
        part, name, limit = UPLOADS[kind]
        if filename.rpartition(".")[2].lower() not in ("gif", "jpeg", "jpg", "png"):
            raise ApiError(422, "Failed to save!", {part: "must be a GIF, JPEG or PNG image"})
        if limit is not None and size > limit:
            raise ApiError(422, "Failed to save!", {part: "must be at most 10 MB"})
        section = BY_PATH["logo"]
        with self.tx():
            channel = self._channel(channel_id)
            stored = self._stored(section, channel)
            stored[name] = self.store.record_images.take(f"https://upload.invalid/{filename}")
            self._write(section, channel, stored)

    def _write(self, section: Section, channel: int, stored: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO settings (store, section, channel, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            section.path,
            channel,
            dumps({k: v for k, v in stored.items() if v is not None}),
        )

    @staticmethod
    def _changes(section: Section, channel: int, body: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, str] = {}
        if channel != GLOBAL:
            for name in sorted(section.global_only):
                if body.get(name) is not None:
                    errors[name] = "Only supports manipulation on a global level."
        writable = section.writable(channel)
        if not section.partial:
            for name in writable:
                if name not in body:
                    errors[name] = f"{name} is required: partial updates are not supported."
        changes: dict[str, Any] = {}
        for name in writable:
            if name not in body:
                continue
            value = body[name]
            if value is None and channel == GLOBAL:
                errors[name] = "null is not supported at global level."
                continue
            found = None if value is None else problem(value, section.fields[name])
            if found:
                errors[name] = found
            changes[name] = value
        if errors:
            raise ApiError(422, INVALID, errors)
        return changes


def check_query(call: Call, documented: frozenset[str]) -> None:
    """A query parameter the endpoint does not document is a 400 naming it."""
    unknown = sorted(set(call.query) - documented)
    if unknown:
        raise ApiError(
            400,
            f"The query parameter '{unknown[0]}' is not a parameter of this resource.",
            {name: "not a parameter of this resource" for name in unknown},
        )


CHANNEL = frozenset({"channel_id"})


def channel_of(call: Call, documented: frozenset[str]) -> int | None:
    """The `channel_id` asked for (None: global), after checking the query's parameters."""
    check_query(call, documented)
    raw = call.query.get("channel_id")
    return None if raw is None else int(parse_value("channel_id", "int", raw))


def _routes(section: Section) -> list[Route]:
    documented = CHANNEL if section.channels else frozenset()

    async def get(call: Call) -> web.StreamResponse:
        return one(await call.run(call.store.settings.get, section, channel_of(call, documented)))

    async def put(call: Call) -> web.StreamResponse:
        channel = channel_of(call, documented)
        body = await call.body()
        return one(await call.run(call.store.settings.put, section, channel, body))

    name = section.path.replace("/", "_").replace("-", "_")
    get.__name__, put.__name__ = f"get_{name}_settings", f"put_{name}_settings"
    path = f"/v3/settings/{section.path}"
    return [Route("GET", path, get, extra=documented), Route("PUT", path, put, extra=documented)]


def _upload_route(kind: str) -> Route:
    field_name = UPLOADS[kind][0]

    async def upload(call: Call) -> web.StreamResponse:
        channel = channel_of(call, CHANNEL)
        filename, size = "", 0
        if call.request.content_type.startswith("multipart/"):
            async for part in await call.request.multipart():
                if getattr(part, "name", None) == field_name:
                    filename = getattr(part, "filename", None) or "image"
                    size = len(await part.read())  # type: ignore[union-attr]
        if not filename:
            raise ApiError(
                422, "Failed to save!", {field_name: "a multipart image file is required"}
            )
        await call.run(call.store.settings.upload, kind, channel, filename, size)
        return no_content()

    upload.__name__ = f"upload_{kind}_image"
    return Route("POST", f"/v3/settings/{kind}/image", upload, extra=CHANNEL)


ROUTES = [
    *(route for section in SECTIONS for route in _routes(section)),
    *(_upload_route(kind) for kind in UPLOADS),
]
