"""The BigCommerce provider's record translation: API JSON -> observed records, typed records ->
request bodies, and every interpretation of an answer's status (409 adopt, 413/422 split the batch,
207 partial). The engine sees only `Record`s and `Outcome`s (controller.catalog.provider)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import functools
import io
import json
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from controller.catalog import fields, promotions
from controller.catalog.fields import (
    ENTITY_KINDS,
    map_page_widgets,
    page_widgets,
    placement_entity,
)
from controller.catalog.kinds import (
    KINDS,
    ON_REQUEST,
    PROMOTION_KINDS,
    Action,
    Kind,
    read_option_ref,
)
from controller.catalog.model import (
    DEFAULT_CHANNEL,
    DEFAULT_CHANNEL_NAME,
    DEFAULT_SITE,
    DEFAULT_TREE,
    Catalog,
    option_values,
    path_key,
    route_order,
    sku_key,
)
from controller.catalog.observed import (
    ObservedAssignment,
    ObservedBlogPost,
    ObservedBrand,
    ObservedCatalog,
    ObservedCategory,
    ObservedChannel,
    ObservedCouponCode,
    ObservedCustomer,
    ObservedCustomerAttribute,
    ObservedCustomerGroup,
    ObservedImage,
    ObservedLayout,
    ObservedLocation,
    ObservedMetafield,
    ObservedOption,
    ObservedPage,
    ObservedPlacement,
    ObservedPriceList,
    ObservedPriceRecord,
    ObservedPricingRule,
    ObservedProduct,
    ObservedPromotion,
    ObservedRedirect,
    ObservedReview,
    ObservedRule,
    ObservedScript,
    ObservedStock,
    ObservedTemplateAssociation,
    ObservedVariant,
    ObservedVideo,
    ObservedWidget,
    ObservedWidgetTemplate,
    RecordImage,
    known_image,
    share,
)
from controller.catalog.observed import share_images as share_product_images
from controller.catalog.provider import Outcome, Record
from controller.stores.client import StoreClient, decode
from controller.stores.errors import RequestRejected, StoreUnavailable
from controller.tasks import fan_out

CATALOG_KINDS = frozenset({Kind.PRODUCTS, Kind.CATEGORIES, Kind.BRANDS})
SPLIT_STATUSES = frozenset({409, 413, 422})  # a batch refused as a whole: find the bad items
_OWNED = (
    (Kind.VARIANTS, "variants"),
    (Kind.CUSTOM_FIELDS, "custom_fields"),
    (Kind.IMAGES, "images"),
    # the platform answers 10 products a page with these: read only when compared (or all)
    (Kind.OPTIONS, "options"),
    (Kind.MODIFIERS, "modifiers"),
    (Kind.BULK_PRICING_RULES, "bulk_pricing_rules"),
    (Kind.VIDEOS, "videos"),
    (Kind.REVIEWS, "reviews"),
)


def includes(
    fields: Mapping[Kind, Collection[str]] | None, kinds: Collection[Kind] = ()
) -> dict[str, str]:
    """The `include` parameter reading with products the owned kinds `fields` names (without it:
    all but those read only on request, which `kinds` may name)."""
    if fields is None:
        fields = {kind: () for kind, _ in _OWNED if kind not in ON_REQUEST or kind in kinds}
    names = ",".join(name for kind, name in _OWNED if kind in fields)
    names += ",channels" if names else "channels"
    return {"include": names}


# The platform answers an image with its own CDN URL, never the URL it was created from: each image
# StagingPro creates gets a private product metafield, key = image id, value = the source URL, and
# an observed image is known by that source URL (by its CDN URL when it has none).
IMAGE_SOURCES = "stagingpro.images"
RECORD_IMAGE = "image_url"  # a category's or brand's image: {"source", "stored"} as JSON
METAFIELDS = "/v3/catalog/products/metafields"
METAFIELD_BATCH = 50
# The metafields of each kind of owner, listed and written in batches across owners.
METAFIELD_PATHS = {
    Kind.PRODUCT_METAFIELDS: METAFIELDS,
    Kind.VARIANT_METAFIELDS: "/v3/catalog/variants/metafields",
    Kind.CATEGORY_METAFIELDS: "/v3/catalog/categories/metafields",
    Kind.BRAND_METAFIELDS: "/v3/catalog/brands/metafields",
}
METAFIELD_KINDS = frozenset(METAFIELD_PATHS)
# One owner's metafields, where its id alone names it.
_OWNER_METAFIELDS = {
    Kind.PRODUCT_METAFIELDS: "/v3/catalog/products/{}/metafields",
    Kind.CATEGORY_METAFIELDS: "/v3/catalog/categories/{}/metafields",
    Kind.BRAND_METAFIELDS: "/v3/catalog/brands/{}/metafields",
}
# Each owner kind's metafield kind.
METAFIELD_OWNERS = {KINDS[kind].owner: kind for kind in METAFIELD_KINDS}


def metafield_kinds(
    kinds: Collection[Kind] | None, fields: Mapping[Kind, Collection[str]] | None = None
) -> frozenset[Kind]:
    """The metafield kinds an observation of `kinds` reads: those named among them or in
    `fields` (all of them without `kinds`)."""
    if kinds is None:
        return METAFIELD_KINDS
    return METAFIELD_KINDS & (frozenset(kinds) | frozenset(fields or ()))


def metafield_owners(observed: ObservedCatalog, kind: Kind) -> dict[int, Any]:
    """The observed records that may own metafields of `kind`, by store id."""
    if kind is Kind.PRODUCT_METAFIELDS:
        return {p.id: p for p in observed.products.values()}
    if kind is Kind.VARIANT_METAFIELDS:
        return {v.id: v for p in observed.products.values() for v in p.variants}
    return dict(observed.categories if kind is Kind.CATEGORY_METAFIELDS else observed.brands)


def metafield_from_api(data: dict[str, Any]) -> ObservedMetafield:
    """Reduce an API metafield (a description not answered is empty)."""
    return ObservedMetafield(
        id=data["id"],
        namespace=_text(data.get("namespace", "")),
        key=_text(data.get("key", "")),
        fields={
            "value": _text(data.get("value", "")),
            "permission_set": _text(data.get("permission_set", "")),
            "description": _text(data.get("description") or ""),
        },
    )


def _metafield_body(action: Action, record: Record) -> dict[str, Any] | int:
    """A metafield's batch item: created for its owner's id, updated or deleted by its id."""
    if action is Action.DELETE:
        return int(str(record.id))
    values = _writable(Kind.PRODUCT_METAFIELDS, dict(record.values))  # alike for every owner
    values.pop("metafield", None)
    if action is Action.CREATE:
        return {"resource_id": record.owner_id, **values}
    return {"id": record.id, **values}


# ---- API JSON -> observed records -----------------------------------------------------------------

_PRODUCT_FIELDS = KINDS[Kind.PRODUCTS].managed
_VARIANT_FIELDS = KINDS[Kind.VARIANTS].managed
_VIDEO_FIELDS = KINDS[Kind.VIDEOS].managed
_REVIEW_FIELDS = KINDS[Kind.REVIEWS].managed - {"date_reviewed", "title"}
_CATEGORY_FIELDS = KINDS[Kind.CATEGORIES].managed
_BRAND_FIELDS = KINDS[Kind.BRANDS].managed
_SCRIPT_FIELDS = KINDS[Kind.SCRIPTS].managed
_PAGE_FIELDS = KINDS[Kind.PAGES].managed - {"url"}
_PAGE_TEXTS = frozenset(
    {"body", "meta_title", "meta_keywords", "meta_description", "search_keywords"}
)
# A redirect's target type -> the observed field holding its id (and the reference naming it).
_TARGETS = {
    "product": ("product_id", "to_product"),
    "category": ("category_id", "to_category"),
    "brand": ("brand_id", "to_brand"),
    "page": ("page_id", "to_page"),
    "post": ("post_id", "to_post"),
}
_POST_FIELDS = KINDS[Kind.BLOG_POSTS].managed
_WIDGET_TEMPLATE_FIELDS = KINDS[Kind.WIDGET_TEMPLATES].managed
WIDGET_TEMPLATES = "/v3/content/widget-templates"
WIDGETS = "/v3/content/widgets"
PLACEMENTS = "/v3/content/placements"
REGIONS = "/v3/content/regions"
PAGE_WIDGETS = "/v3/content/page-widgets"
IMEX = "/v3/storefront/redirects/imex"
IMPORT_HEADER = (
    "Domain",
    "Old Path",
    "Manual URL/Path",
    "Dynamic Target Type",
    "Dynamic Target ID",
)
CUSTOM = {"widget_template_kind": "custom"}
_WIDGET_FIELDS = KINDS[Kind.WIDGETS].managed - {"name"}
_PLACEMENT_FIELDS = KINDS[Kind.PLACEMENTS].managed
CUSTOMER_GROUPS = "/v2/customer_groups"
PRICE_LISTS = "/v3/pricelists"
PRICE_RECORDS = "/v3/pricelists/{price_list_id}/records"
_RECORD_VALUES = frozenset(KINDS[Kind.PRICE_RECORDS].managed)  # what an upsert writes
_NO_TIERS: list[dict[str, Any]] = []  # shared by the records without tiers (never changed)
LOCATIONS = "/v3/inventory/locations"
LOCATION_ITEMS = "/v3/inventory/locations/{location_id}/items"
INVENTORY_ITEMS = "/v3/inventory/items"
ABSOLUTE = "/v3/inventory/adjustments/absolute"
ADJUSTED_BY = "StagingPro: stock cloned from the source store"
PRICE_LIST_ASSIGNMENTS = "/v3/pricelists/assignments"
PROMOTIONS = "/v3/promotions"
PROMOTION_CODES = "/v3/promotions/{promotion_id}/codes"
_PROMOTION_FIELDS = frozenset(fields.PROMOTION) - {"name"}
# the natural keys a promotion names (as `promotions.named` calls them) -> their kinds
CUSTOMERS = "/v3/customers"
CUSTOMER_ATTRIBUTES = "/v3/customers/attributes"
CUSTOMER_INCLUDES = "addresses,storecredit,attributes,formfields"
_CUSTOMER_TEXTS = ("first_name", "last_name", "company", "phone", "notes", "tax_exempt_category")
_GROUP_FIELDS = KINDS[Kind.CUSTOMER_GROUPS].managed
V2_PAGE_LIMIT = 250
NO_FIELDS: Mapping[str, Any] = {}  # the fields of every variant that keeps none


@functools.lru_cache(maxsize=4096)
def _shared(value: Any) -> Any:
    """One object for equal small values that recur across records (option and custom field
    names and values, category sets): a store observed for long holds each once."""
    return value


def _text(value: Any) -> Any:
    return _shared(value) if isinstance(value, str) and len(value) <= 64 else value


def product_from_api(
    data: dict[str, Any], fields: Mapping[Kind, Collection[str]] | None = None
) -> ObservedProduct:
    """Reduce an API product (with `include=variants,custom_fields,images`) to the fields the
    catalog manages (`fields` of products and variants, where only some are compared)."""
    fields = fields or {}
    product_fields = fields.get(Kind.PRODUCTS, _PRODUCT_FIELDS)
    variant_fields = fields.get(Kind.VARIANTS, _VARIANT_FIELDS)
    base_id = data.get("base_variant_id")
    variants = tuple(
        ObservedVariant(
            id=v["id"],
            sku=v.get("sku", ""),
            option_values=_shared(
                tuple((o["option_display_name"], o["label"]) for o in v.get("option_values", []))
            ),
            fields={k: _text(v[k]) for k in variant_fields if k in v} or NO_FIELDS,
        )
        for v in data.get("variants", [])
        if v["id"] != base_id
    )
    return ObservedProduct(
        id=data["id"],
        sku=data.get("sku", ""),
        fields={k: _text(data[k]) for k in product_fields if k in data},
        category_ids=_shared(frozenset(data.get("categories", []))),
        brand_id=_shared(data.get("brand_id") or 0),
        base_variant_id=base_id,
        variants=variants,
        channel_ids=_shared(frozenset(data.get("channels") or ())),
        custom_fields=tuple(
            (c["id"], _text(c["name"]), _text(c["value"])) for c in data.get("custom_fields", [])
        ),
        images=tuple(
            ObservedImage(
                i["id"],
                i.get("image_url") or i.get("url_standard", ""),
                i.get("sort_order", 0),
                bool(i.get("is_thumbnail")),
                i.get("description", ""),
            )
            for i in sorted(data.get("images", []), key=lambda i: (i.get("sort_order", 0), i["id"]))
        ),
        options=tuple(
            option_from_api(o, Kind.OPTIONS, fields.get(Kind.OPTIONS))
            for o in data.get("options") or ()
        ),
        modifiers=tuple(
            option_from_api(m, Kind.MODIFIERS, fields.get(Kind.MODIFIERS))
            for m in data.get("modifiers") or ()
        ),
        bulk_pricing_rules=tuple(pricing_from_api(r) for r in data.get("bulk_pricing_rules") or ()),
        reviews=tuple(
            ObservedReview(
                r["id"],
                str(r.get("date_reviewed", "")),
                str(r.get("title", "")),
                {k: r[k] for k in _REVIEW_FIELDS if k in r},
            )
            for r in data.get("reviews", [])
        ),
        videos=tuple(
            ObservedVideo(
                v["id"], v.get("video_id", ""), {k: v[k] for k in _VIDEO_FIELDS if k in v}
            )
            for v in data.get("videos", [])
        ),
    )


def option_from_api(
    data: dict[str, Any], kind: Kind, compared: Collection[str] | None = None
) -> ObservedOption:
    """A variant option or modifier in the catalog's terms (its values by label, in sort order;
    empty config and adjusters left out), with the ids of its values."""
    modifier = kind is Kind.MODIFIERS
    raw_values = data.get("option_values") or []
    values = {
        "type": data.get("type"),
        "sort_order": data.get("sort_order", 0),
        "option_values": option_values(
            fields.option_value(v, i, adjusters=modifier) for i, v in enumerate(raw_values)
        ),
    }
    if modifier:
        values["required"] = bool(data.get("required"))
    config = {k: v for k, v in (data.get("config") or {}).items() if v is not None}
    if config:
        values["config"] = config
    wanted = KINDS[kind].managed if compared is None else compared
    return ObservedOption(
        id=data["id"],
        display_name=data.get("display_name", ""),
        fields={k: v for k, v in values.items() if k in wanted},
        values=tuple((v["label"], v["id"]) for v in raw_values if "id" in v),
        type=str(data.get("type", "")),
    )


def rule_from_api(data: dict[str, Any], compared: Collection[str] | None = None) -> ObservedRule:
    """A complex rule: its fields (adjusters that adjust nothing left out) and its conditions by
    store ids."""
    wanted = KINDS[Kind.COMPLEX_RULES].managed if compared is None else compared
    values = {k: data[k] for k in fields.COMPLEX_RULE if k in data and k in wanted}
    for name in ("price_adjuster", "weight_adjuster"):
        if name in values:
            adjuster = fields.adjuster(values[name])
            if adjuster is None:
                del values[name]
            else:
                values[name] = adjuster
    conditions = tuple(
        sorted(
            (c.get("modifier_id") or 0, c.get("modifier_value_id") or 0, c.get("variant_id") or 0)
            for c in data.get("conditions") or ()
        )
    )
    return ObservedRule(data["id"], conditions, values)


def pricing_from_api(data: dict[str, Any]) -> ObservedPricingRule:
    """A bulk pricing rule (amounts as numbers; all its values: an update writes them all)."""
    values: dict[str, Any] = {k: data[k] for k in ("quantity_max", "type", "amount") if k in data}
    if isinstance(values.get("amount"), str):
        values["amount"] = float(values["amount"])
    return ObservedPricingRule(data["id"], int(data.get("quantity_min", 0)), values)


CHANNELS = "/v3/channels"
# the kinds whose records name their channel (`channel`), written as the store's ids
_SCOPED = frozenset(
    {
        Kind.SCRIPTS,
        Kind.PAGES,
        Kind.REDIRECTS,
        Kind.CATEGORIES,
        Kind.WIDGETS,
        Kind.PLACEMENTS,
        Kind.PAGE_LAYOUTS,
        Kind.TEMPLATE_ASSOCIATIONS,
    }
)
CURRENCIES = "/v3/channels/currency-assignments"
SITES = "/v3/sites"
TREES = "/v3/catalog/trees"
_CHANNEL_FIELDS = ("type", "platform", "status", "external_id", "is_visible", "is_listable_from_ui")
GONE = frozenset({"deleted", "terminated"})  # how the platform keeps a deleted channel


def channel_from_api(
    data: dict[str, Any],
    site: dict[str, Any] | None,
    routes: Iterable[dict[str, Any]],
    currencies: dict[str, Any] | None,
) -> ObservedChannel:
    """Reduce an API channel, its site (with its routes) and its currency assignments."""
    values: dict[str, Any] = {k: data[k] for k in _CHANNEL_FIELDS if k in data}
    if site is not None:
        found = [{k: r[k] for k in ("type", "matching", "route")} for r in routes]
        values["site"] = {"url": site.get("url", ""), "routes": sorted(found, key=route_order)}
    if currencies is not None:
        values["currencies"] = {
            "enabled_currencies": sorted(currencies.get("enabled_currencies") or ()),
            "default_currency": currencies.get("default_currency", ""),
        }
    return ObservedChannel(id=data["id"], name=data["name"], fields=values)


def category_from_api(data: dict[str, Any]) -> ObservedCategory:
    """Reduce a category of the trees API (or the legacy API)."""
    values = {k: data[k] for k in _CATEGORY_FIELDS if k in data}
    if isinstance(data.get("url"), dict):  # the trees API's name and shape of `custom_url`
        values["custom_url"] = {
            "url": data["url"].get("path", ""),
            "is_customized": bool(data["url"].get("is_customized")),
        }
    return ObservedCategory(
        id=int(data["category_id"] if "category_id" in data else data["id"]),
        parent_id=data.get("parent_id") or 0,
        name=data["name"],
        fields=values,
        tree_id=data.get("tree_id") or DEFAULT_TREE,
    )


def brand_from_api(data: dict[str, Any]) -> ObservedBrand:
    """Reduce an API brand."""
    return ObservedBrand(
        id=data["id"], name=data["name"], fields={k: data[k] for k in _BRAND_FIELDS if k in data}
    )


def script_from_api(data: dict[str, Any]) -> ObservedScript:
    """Reduce an API script."""
    return ObservedScript(
        id=str(data["uuid"]),
        name=data["name"],
        fields={k: data[k] for k in _SCRIPT_FIELDS if k in data},
        channel_id=data.get("channel_id") or DEFAULT_CHANNEL,
    )


def page_from_api(data: dict[str, Any]) -> ObservedPage:
    """Reduce an API web page (listed with `include=body`); null texts are read as ""."""
    values = {k: data[k] for k in _PAGE_FIELDS if k in data}
    values.update({k: "" for k in _PAGE_TEXTS if k in values and values[k] is None})
    link = data.get("type") == "link"
    return ObservedPage(
        id=data["id"],
        url=(data.get("link") or "") if link else (data.get("url") or ""),
        parent_id=data.get("parent_id") or 0,
        fields=values,
        channel_id=data.get("channel_id") or DEFAULT_CHANNEL,
    )


def post_from_api(data: dict[str, Any]) -> ObservedBlogPost:
    """Reduce a v2 blog post: its publication date as ISO 8601 in UTC."""
    values = {k: data[k] for k in _POST_FIELDS if k in data and k != "published_date"}
    when = data.get("published_date")
    if isinstance(when, dict) and when.get("date"):
        moment = datetime.fromisoformat(str(when["date"]).replace("Z", "+00:00"))
        offset = str(when.get("timezone") or "+00:00")
        if moment.tzinfo is None:
            moment = datetime.fromisoformat(moment.isoformat() + offset)
        values["published_date"] = moment.astimezone(UTC).replace(microsecond=0).isoformat()
    return ObservedBlogPost(id=data["id"], url=data.get("url") or "", fields=values)


def widget_template_from_api(data: dict[str, Any]) -> ObservedWidgetTemplate:
    """Reduce an API widget template (its schema and Handlebars as the store keeps them)."""
    return ObservedWidgetTemplate(
        id=str(data["uuid"]),
        name=data["name"],
        fields={k: data[k] for k in _WIDGET_TEMPLATE_FIELDS if k in data},
    )


def widget_from_api(data: dict[str, Any]) -> ObservedWidget:
    """Reduce an API widget: its template's id, and its configuration without the `_` the store
    adds to it (the widget's own id)."""
    values = {k: data[k] for k in _WIDGET_FIELDS if k in data}
    values["channel_id"] = data.get("channel_id") or DEFAULT_CHANNEL  # named by name_channels
    config = values.get("widget_configuration")
    if isinstance(config, dict) and "_" in config:
        values["widget_configuration"] = {k: v for k, v in config.items() if k != "_"}
    template = data.get("widget_template") or {}
    return ObservedWidget(
        id=str(data["uuid"]),
        name=data.get("name") or "",
        template_id=str(template.get("uuid") or data.get("widget_template_uuid") or ""),
        fields=values,
    )


def placement_from_api(data: dict[str, Any]) -> ObservedPlacement:
    """Reduce an API placement: its widget's id, its entity's id under the kind its template file
    targets."""
    values = {k: data[k] for k in _PLACEMENT_FIELDS if data.get(k) is not None}
    values["channel_id"] = data.get("channel_id") or DEFAULT_CHANNEL  # named by name_channels
    placement = ObservedPlacement(
        id=str(data["uuid"]), fields=values, widget_id=str((data.get("widget") or {}).get("uuid"))
    )
    kind = placement_entity(str(values.get("template_file", "")))
    entity = str(data.get("entity_id") or "")
    if kind and entity.isdigit():
        setattr(placement, f"{kind}_id", int(entity))
    return placement


class _ChannelFields(Protocol):
    """Observed content whose fields name its channel."""

    fields: dict[str, Any]


def layout_address(channel: int, template_file: str, entity_id: str) -> str:
    """A page's address as a layout's store id: `channel|template file|entity id`."""
    return f"{channel}|{template_file}|{entity_id}"


def layout_from_api(
    data: dict[str, Any], address: str, templates: Mapping[str, str]
) -> ObservedLayout | None:
    """A page snapshot (None when the page has no regions): widgets of custom templates (id ->
    name in `templates`) name them by name."""
    regions = data.get("regions") or []
    if not regions:
        return None
    used: set[str] = set()

    def named(widget: dict[str, Any]) -> dict[str, Any]:
        uid = str(widget.get("widget_template_uuid") or "")
        if uid not in templates:
            return widget
        used.add(uid)
        out = {k: v for k, v in widget.items() if k != "widget_template_uuid"}
        return {"widget_template": templates[uid], **out}

    channel, template_file, entity_id = address.split("|", 2)
    layout = ObservedLayout(
        id=address,
        fields={
            "template_file": template_file,
            "channel_id": int(channel),
            "regions": map_page_widgets(regions, named),
        },
    )
    layout.widget_template_ids = frozenset(used)
    kind = placement_entity(template_file) if template_file else None
    if kind and entity_id.isdigit():
        setattr(layout, f"{kind}_id", int(entity_id))
    return layout


def group_from_api(data: dict[str, Any]) -> ObservedCustomerGroup:
    """Reduce a v2 customer group (its references stay store ids until compared)."""
    return ObservedCustomerGroup(
        id=data["id"],
        name=data["name"],
        fields={k: data[k] for k in _GROUP_FIELDS if k in data},
    )


def promotion_from_api(data: dict[str, Any]) -> ObservedPromotion:
    """Reduce a v3 promotion (the records it names stay store ids until compared)."""
    return ObservedPromotion(
        id=data["id"],
        name=data["name"],
        fields={k: data[k] for k in _PROMOTION_FIELDS if data.get(k) is not None},
    )


def _promotion_body(record: Record) -> dict[str, Any]:
    """A promotion's body: the records it names by the store ids the engine resolved (its coupon
    codes are written after it)."""
    named = record.refs.get("named", {})
    values = {k: v for k, v in record.values.items() if k != "codes"}
    return promotions.to_ids(values, lambda kind, key: named[PROMOTION_KINDS[kind], key])


def location_from_api(data: dict[str, Any]) -> ObservedLocation:
    """Reduce a v3 inventory location."""
    managed = KINDS[Kind.INVENTORY_LOCATIONS].managed
    return ObservedLocation(
        data["id"],
        data.get("code", ""),
        {k: data[k] for k in managed if data.get(k) is not None},
    )


# what a location holds of a SKU it was never given (not read as a record)
_NO_STOCK = {"quantity": 0, "safety_stock": 0, "is_in_stock": True, "warning_level": 0}


def stock_from_api(at: dict[str, Any]) -> dict[str, Any]:
    """A SKU's stock at a location (from `/inventory/items`): on hand and settings."""
    settings = at.get("settings") or {}
    values = {"quantity": int(at.get("total_inventory_onhand") or 0)}
    values.update((k, settings[k]) for k in fields.STOCK_SETTINGS if settings.get(k) is not None)
    if not values.get("bin_picking_number"):
        values.pop("bin_picking_number", None)
    return values


def _form_values(items: Any) -> list[dict[str, Any]]:
    return sorted(({"name": f["name"], "value": f["value"]} for f in items or ()), key=str)


def customer_from_api(data: dict[str, Any]) -> ObservedCustomer:
    """Reduce a v3 customer read with its addresses, store credit, attribute values and form
    field values (attribute values by attribute id until compared)."""
    values: dict[str, Any] = {k: data[k] for k in _CUSTOMER_TEXTS if k in data}
    values["accepts_product_review_abandoned_cart_emails"] = bool(
        data.get("accepts_product_review_abandoned_cart_emails")
    )
    values["store_credit_amounts"] = [
        {"amount": c.get("amount", 0)} for c in data.get("store_credit_amounts") or ()
    ]
    values["addresses"] = [
        {
            **{k: a[k] for k in fields.ADDRESS_FIELDS if k in a},
            "form_fields": _form_values(a.get("form_fields")),
        }
        for a in data.get("addresses") or ()
    ]
    values["attributes"] = {
        a["attribute_id"]: a["attribute_value"] for a in data.get("attributes") or ()
    }
    values["form_fields"] = _form_values(data.get("form_fields"))
    return ObservedCustomer(
        data["id"], data.get("email", ""), values, data.get("customer_group_id") or 0
    )


def _customer_body(action: Action, record: Record) -> dict[str, Any]:
    """A customer's body: its group and attributes by the store ids the engine resolved; a
    created one gets no welcome email and no password (the platform makes one up)."""
    values = _writable(Kind.CUSTOMERS, dict(record.values))
    values.pop("customer_group", None)
    if "customer_group" in record.refs:
        values["customer_group_id"] = record.refs["customer_group"]
    named = record.refs.get("named", {})
    if action is Action.CREATE:
        values["email"] = record.key
        values["trigger_account_created_notification"] = False
        if "attributes" in values:
            values["attributes"] = [
                {"attribute_id": named[Kind.CUSTOMER_ATTRIBUTES, name], "attribute_value": value}
                for name, value in values["attributes"].items()
            ]
        return values
    # written by requests of their own (the API updates neither with the customer)
    values = {k: v for k, v in values.items() if k not in _CUSTOMER_PARTS}
    return {"id": record.id, **values}


_CUSTOMER_PARTS = frozenset({"addresses", "attributes"})


def _group_body(record: Record) -> dict[str, Any]:
    """A customer group's body: its natural keys as the store ids the engine resolved."""
    named = record.refs.get("named", {})
    values = _writable(Kind.CUSTOMER_GROUPS, dict(record.values))
    access = values.get("category_access")
    if access is not None:
        values["category_access"] = {
            "type": access["type"],
            **(
                {"categories": [named[Kind.CATEGORIES, p] for p in access.get("categories", [])]}
                if access["type"] == "specific"
                else {}
            ),
        }
    if "discount_rules" in values:
        rules = []
        for rule in values["discount_rules"]:
            sent = {k: v for k, v in rule.items() if k not in ("category", "product")}
            sent.pop("price_list", None)
            if rule["type"] == "price_list":
                sent["price_list_id"] = named[Kind.PRICE_LISTS, rule["price_list"]]
            elif rule["type"] == "category":
                sent["category_id"] = named[Kind.CATEGORIES, rule["category"]]
            elif rule["type"] == "product":
                sent["product_id"] = named[Kind.PRODUCTS, rule["product"]]
            rules.append(sent)
        values["discount_rules"] = rules
    return values


def association_from_api(data: dict[str, Any]) -> ObservedTemplateAssociation:
    """Reduce an API custom template association."""
    association = ObservedTemplateAssociation(
        id=data["id"],
        entity_type=data["entity_type"],
        fields={"file_name": data.get("file_name", ""), "channel_id": data.get("channel_id", 1)},
    )
    setattr(association, f"{data['entity_type']}_id", data.get("entity_id") or 0)
    return association


def redirect_from_api(data: dict[str, Any]) -> ObservedRedirect:
    """Reduce an API redirect: its target's id under the target's kind, or its URL."""
    to = data.get("to") or {}
    fields: dict[str, Any] = {}
    redirect = ObservedRedirect(
        id=data["id"],
        from_path=data["from_path"],
        fields=fields,
        site_id=data.get("site_id") or DEFAULT_SITE,
    )
    if to.get("type") == "url":
        fields["to_url"] = to.get("url") or ""
    elif to.get("type") in _TARGETS:
        setattr(redirect, _TARGETS[to["type"]][0], to.get("entity_id") or 0)
    return redirect


def _same_file(image: dict[str, Any], source: str) -> bool:
    """Whether a store image was taken from `source`: its file name before the platform's
    `__<number>` suffix is the source's file name without its extension."""
    stored = str(image.get("image_file", "")).rsplit("/", 1)[-1].split("__", 1)[0]
    name = urlsplit(source).path.rsplit("/", 1)[-1]
    return bool(stored) and stored == (name.rpartition(".")[0] or name)


def image_owners(products: Iterable[ObservedProduct]) -> dict[int, ObservedProduct]:
    """Each image's product, by image id."""
    return {i.id: p for p in products for i in p.images}


def name_images(products: Iterable[ObservedProduct], sources: Mapping[int, str]) -> None:
    """Know each image by the URL it was created from, where that was recorded."""
    for product in products:
        for image in product.images:
            source = sources.get(image.id)
            if source is not None:
                image.image_url, image.sourced = source, True


def add_product(
    observed: ObservedCatalog,
    data: dict[str, Any],
    fields: Mapping[Kind, Collection[str]] | None = None,
    like: Catalog | None = None,
) -> None:
    """Add one API product to the observed catalog (its values equal to those of `like` kept as
    `like`'s)."""
    product = product_from_api(data, fields)
    if product.sku:
        key = sku_key(product.sku)
        desired = None if like is None else like.products.get(key)
        if desired is not None:
            share(product, desired, images=False)  # their sources are not known yet
        observed.products.setdefault(key, product)
    else:
        observed.unkeyed_products.append(product.id)


def share_images(products: Iterable[ObservedProduct], like: Catalog | None) -> None:
    """Image URLs equal to those of `like`'s products kept as `like`'s."""
    if like is None:
        return
    for product in products:
        desired = like.products.get(sku_key(product.sku)) if product.images else None
        if desired is not None:
            share_product_images(product, desired)


# ---- typed records -> request bodies --------------------------------------------------------------


def _writable(kind: Kind, values: dict[str, Any]) -> dict[str, Any]:
    read_only = KINDS[kind].read_only
    return {k: v for k, v in values.items() if k not in read_only}


def body(kind: Kind, action: Action, record: Record) -> dict[str, Any]:
    """The request body of one record."""
    spec = KINDS[kind]
    values = dict(record.values)
    if kind is Kind.REVIEWS:
        values.pop("review", None)
    if kind is Kind.PRODUCTS:  # the API creates no review with its product
        values.pop("reviews", None)
    if kind in METAFIELD_OWNERS:  # written after their owner, in batches (settle())
        values.pop("metafields", None)
        if kind is Kind.PRODUCTS and "variants" in values:
            values["variants"] = [
                {k: v for k, v in variant.items() if k != "metafields"}
                for variant in values["variants"]
            ]
    if kind is Kind.CATEGORIES:
        path = values.pop("path", record.key)
        if "custom_url" in values:  # the trees API's name and shape
            url = values.pop("custom_url")
            values["url"] = {"path": url["url"], "is_customized": url["is_customized"]}
        if action is Action.CREATE:
            values.setdefault("name", path.rsplit("/", 1)[-1].strip())
            values.update(parent_id=record.refs.get("parent", 0), tree_id=1)
    elif kind is Kind.PRODUCTS:
        if "categories" in record.refs:
            values["categories"] = sorted(record.refs["categories"])
        if "brand" in record.refs:
            values["brand_id"] = record.refs["brand"]
        values.pop("brand", None)
        values.pop("channels", None)  # assigned apart
    elif kind is Kind.CUSTOM_FIELDS and action is Action.UPDATE:
        values = {"name": record.key, **values}
    elif kind is Kind.BULK_PRICING_RULES:
        values = _pricing_body({"quantity_min": record.key, **values})
    elif kind is Kind.COMPLEX_RULES and action is Action.UPDATE:  # the API requires it
        values = {"product_id": record.owner_id, **values}
    elif kind is Kind.PAGES:
        values.pop("parent", None)
        if values.get("type") == "link":  # keyed by its link; its URL is the store's
            values.pop("url", None)
        if "parent" in record.refs:
            values["parent_id"] = record.refs["parent"]
    elif kind is Kind.REDIRECTS:
        return _redirect_body(record)
    elif kind is Kind.TEMPLATE_ASSOCIATIONS:
        return _association_body(record)
    elif kind is Kind.WIDGETS:
        values.pop("template", None)
        values.pop("widget", None)
        if record.refs.get("template"):
            values["widget_template_uuid"] = record.refs["template"]
    elif kind is Kind.PLACEMENTS:
        return _placement_body(record)
    elif kind is Kind.PAGE_LAYOUTS:
        return dict(record.values)
    elif kind is Kind.CUSTOMER_GROUPS:
        return _group_body(record)
    elif kind is Kind.CUSTOMERS:
        return _customer_body(action, record)
    elif kind is Kind.PRICE_LIST_ASSIGNMENTS:
        named = record.refs.get("named", {})
        sent = {
            "price_list_id": named[Kind.PRICE_LISTS, values["price_list"]],
            "channel_id": named[Kind.CHANNELS, values["channel"]],
        }
        if values.get("customer_group"):
            sent["customer_group_id"] = named[Kind.CUSTOMER_GROUPS, values["customer_group"]]
        return sent
    elif kind is Kind.INVENTORY_LOCATIONS:
        values.pop("stock", None)
        values = {"code": record.key, **values} if action is Action.CREATE else values
    elif kind is Kind.PROMOTIONS:
        values = _promotion_body(record)
    elif kind is Kind.COUPON_CODES:
        values = {"code": record.key, **values}
    elif kind is Kind.PRICE_LISTS and action is Action.UPDATE:  # the API asks for the name
        values = {"name": record.key, **values}
    elif kind is Kind.PRICE_LISTS:  # its records are written after it, by upsert
        values.pop("records", None)
    elif kind is Kind.PRICE_RECORDS:
        currency, _, sku = record.key.partition(":")
        prices = {k: v for k, v in values.items() if k in _RECORD_VALUES}
        return {"sku": sku, "currency": currency.lower(), **prices}
    elif kind is Kind.BLOG_POSTS and "published_date" in values:  # written as RFC 2822
        moment = datetime.fromisoformat(str(values["published_date"]).replace("Z", "+00:00"))
        values["published_date"] = format_datetime(
            moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        )
    values = _writable(kind, values)
    if action is Action.UPDATE:
        values = {k: v for k, v in values.items() if k not in spec.create_only}
        if spec.batch_size(action) > 1:
            values = {("category_id" if kind is Kind.CATEGORIES else "id"): record.id, **values}
    return values


def _redirect_body(record: Record) -> dict[str, Any]:
    """A redirect's upsert (creates and updates alike): its site's channel (by name, from its
    key), path and whole target."""
    channel, _, path = (
        ("", "", record.key) if record.key.startswith("/") else record.key.partition(":")
    )
    to: dict[str, Any] = {"type": "url", "url": record.values.get("to_url", "")}
    for kind, (_, reference) in _TARGETS.items():
        if record.refs.get(reference):
            to = {"type": kind, "entity_id": record.refs[reference]}
    return {"from_path": path, "channel": channel, "to": to}


def _placement_body(record: Record) -> dict[str, Any]:
    """A placement's fields, its widget's id and its entity's (as text, as the API takes it)."""
    out = {k: v for k, v in record.values.items() if k in _PLACEMENT_FIELDS}
    if record.refs.get("widget"):
        out["widget_uuid"] = record.refs["widget"]
    for kind in ENTITY_KINDS:
        if record.refs.get(kind):
            out["entity_id"] = str(record.refs[kind])
    return out


def _association_body(record: Record) -> dict[str, Any]:
    """An association's upsert: its channel (by name, as `scoped` sends it), entity (created: its
    reference; updated: from its id, `association id/entity id`) and file."""
    channel = record.values.get("channel") or DEFAULT_CHANNEL_NAME
    entity = record.key.removeprefix(f"{channel}:")
    kind = entity.split(" ", 1)[0]
    entity_id = record.refs.get(kind) or int(str(record.id).split("/")[1])
    return {
        "channel": channel,
        "entity_type": kind,
        "entity_id": entity_id,
        "file_name": record.values["file_name"],
    }


class BigCommerceRecords(StoreClient):
    """The provider side of `BigCommerceStore`: observe, create, update, delete of typed records."""

    # the custom widget templates by name, as last read (layouts name them so)
    widget_template_ids: dict[str, str] = {}
    # the names complex rules use, of the products written since the last phase settled
    rule_names: dict[Any, _RuleNames] = {}
    # the channels by name, as last read, and their sites by channel
    channel_ids: dict[str, int] = {DEFAULT_CHANNEL_NAME: DEFAULT_CHANNEL}
    channel_sites: dict[int, int] = {DEFAULT_CHANNEL: DEFAULT_SITE}
    channel_trees: dict[int, int] = {DEFAULT_CHANNEL: DEFAULT_TREE}
    # products last observed with images of no recorded source (an interrupted create's, or
    # another app's): an image created there is first looked for among them
    unclaimed_images: frozenset[int] = frozenset()
    # image sources of images just created, recorded by settle() in batches across products
    _sources_due: list[dict[str, Any]] = []
    # metafields of records just created (written with their owner in the plan), by settle()
    _metafields_due: list[tuple[Kind, Record]] = []
    # the records of where categories' and brands' images came from, by (metafield kind, id)
    record_image_ids: dict[tuple[Kind, int], int] = {}
    # images of categories and brands just written: (metafield kind, owner id, source, stored)
    _images_due: list[tuple[Kind, int, str, str]] = []

    # ---- observe --------------------------------------------------------------------------------

    async def observe(
        self,
        kinds: Collection[Kind] | None = None,
        *,
        fields: Mapping[Kind, Collection[str]] | None = None,
        like: Catalog | None = None,
        each_product: Callable[[dict[str, Any]], None] | None = None,
    ) -> ObservedCatalog:
        """The records of `kinds` in one paginated pass per kind (products with their variants,
        custom fields and images, and always with the categories and brands they reference),
        each page reduced as it arrives (to `fields` per kind, where given; values equal to
        `like`'s kept as its objects; each product as the API answered it given to
        `each_product` first, for a reader that needs more of it). Never writes."""
        wanted = set(CATALOG_KINDS if kinds is None else kinds)
        # the records others name inside their values (customer groups' rules) come along, and
        # those a customer references (its group)
        for kind in set(wanted):
            spec = KINDS[kind]
            wanted |= set(spec.named.kinds if spec.named else ())
            wanted |= {r.kind for r in spec.references} if spec.personal else set()
        observed = ObservedCatalog()
        read_modifiers = Kind.MODIFIERS in (wanted if fields is None else fields)
        metafields = metafield_kinds(kinds, fields)
        images = fields is None or Kind.IMAGES in fields

        async def products() -> None:
            async for page in self.pages("/v3/catalog/products", includes(fields, wanted)):
                for item in page:
                    if each_product is not None:
                        each_product(item)
                    add_product(observed, item, fields, like)
            # after the products: an image seen there has its source recorded already
            if Kind.PRODUCT_METAFIELDS in metafields:  # the image sources among them
                sources, _ = await self.read_metafields(observed, Kind.PRODUCT_METAFIELDS)
                if images:
                    owners = image_owners(observed.products.values())
                    self.name_images_by(owners, sources, like)
            elif images:
                await self.name_by_sources(observed.products.values(), like)
            if Kind.COMPLEX_RULES in (wanted if fields is None else fields):
                await self.read_rules(observed.products.values(), fields, read_modifiers)
            if Kind.VARIANT_METAFIELDS in metafields:
                await self.read_metafields(observed, Kind.VARIANT_METAFIELDS)
            self.note_unclaimed(observed)

        if wanted & CATALOG_KINDS:
            await fan_out([self.read_categories(observed), self.read_brands(observed), products()])
            owned = sorted(metafields & {Kind.CATEGORY_METAFIELDS, Kind.BRAND_METAFIELDS})
            read = await fan_out(self.read_metafields(observed, kind) for kind in owned)
            # the image sources of categories and brands came with their metafields, if read
            await self.name_record_images(
                observed, {k: r[0] for k, r in zip(owned, read, strict=True)}
            )
        await self.read_content(observed, wanted)
        return observed

    async def read_rules(
        self,
        products: Iterable[ObservedProduct],
        fields: Mapping[Kind, Collection[str]] | None,
        modifiers_read: bool,
    ) -> None:
        """The complex rules of `products`, one read each (no include brings them): of those
        with variants or modifiers, where modifiers were read, else of them all."""
        compared = (fields or {}).get(Kind.COMPLEX_RULES)

        async def read(product: ObservedProduct) -> None:
            found = []
            async for page in self.pages(f"/v3/catalog/products/{product.id}/complex-rules"):
                found += [rule_from_api(r, compared) for r in page]
            product.complex_rules = tuple(found)

        await fan_out(read(p) for p in products if p.variants or p.modifiers or not modifiers_read)

    async def read_metafields(
        self, observed: ObservedCatalog, kind: Kind, since: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """The metafields of `kind` onto their observed owners, read in pages across owners (all
        of them, or only those modified at or after `since`, merged into what the owners had):
        StagingPro's own records of image sources (not given to their products), and how many
        owners' metafields differ from before."""
        owners = metafield_owners(observed, kind)
        found: dict[int, dict[int, ObservedMetafield]] = {}
        sources: list[dict[str, Any]] = []
        params = None if since is None else {"date_modified:min": since}
        async for page in self.pages(METAFIELD_PATHS[kind], params):
            for item in page:
                if item.get("namespace") == IMAGE_SOURCES:
                    sources.append(item)
                elif item.get("resource_id") in owners:
                    found.setdefault(item["resource_id"], {})[item["id"]] = metafield_from_api(item)
        differ = 0
        for owner_id in owners if since is None else found:
            owner, mine = owners[owner_id], found.get(owner_id, {})
            if since is not None:
                mine = {m.id: m for m in owner.metafields} | mine
            metafields = tuple(mine[i] for i in sorted(mine))
            differ += metafields != tuple(owner.metafields)
            owner.metafields = metafields
        return sources, differ

    def name_images_by(
        self,
        owners: Mapping[int, ObservedProduct],
        sources: Iterable[dict[str, Any]],
        like: Catalog | None = None,
    ) -> None:
        """Know each image (`owners`: its product by image id) by the URL it was created from,
        from the records of sources read."""
        named = []
        for item in sources:
            key = str(item.get("key", ""))
            product = owners.get(int(key)) if key.isdigit() else None
            if product is not None:
                name_images((product,), {int(key): item["value"]})
                named.append(product)
        share_images(named, like)

    def note_unclaimed(self, observed: ObservedCatalog) -> None:
        """Remember the products with images of no recorded source (known by a CDN URL)."""
        self.unclaimed_images = frozenset(
            p.id for p in observed.products.values() if any(not i.sourced for i in p.images)
        )

    async def read_categories(self, observed: ObservedCatalog) -> None:
        """All categories, into `observed` (replacing what it had; the metafields and image
        sources it had read stay with their categories)."""
        found: dict[int, ObservedCategory] = {}
        async for page in self.pages("/v3/catalog/trees/categories"):
            for item in page:
                category = category_from_api(item)
                old = observed.categories.get(category.id)
                if old is not None:
                    category.metafields, category.image = old.metafields, old.image
                    known_image(category)
                found[category.id] = category
        observed.categories = found

    async def read_brands(self, observed: ObservedCatalog) -> None:
        """All brands, into `observed` (replacing what it had; the metafields and image sources
        it had read stay with their brands)."""
        found: dict[int, ObservedBrand] = {}
        async for page in self.pages("/v3/catalog/brands"):
            for item in page:
                brand = brand_from_api(item)
                old = observed.brands.get(brand.id)
                if old is not None:
                    brand.metafields, brand.image = old.metafields, old.image
                    known_image(brand)
                found[brand.id] = brand
        observed.brands = found

    async def name_record_images(
        self,
        observed: ObservedCatalog,
        sources: Mapping[Kind, list[dict[str, Any]]] | None = None,
    ) -> None:
        """Know each category's and brand's image by the URL StagingPro gave it (its record,
        read only while an image is not known yet: one request per kind, none when every image
        is known; `sources`: the records already read with the metafields, by metafield kind)."""
        for kind, records in (
            (Kind.CATEGORY_METAFIELDS, observed.categories),
            (Kind.BRAND_METAFIELDS, observed.brands),
        ):
            unnamed: list[Any] = [
                r
                for r in records.values()
                if r.fields.get("image_url")
                and (r.image is None or r.fields["image_url"] != r.image.source)
            ]
            if not unnamed:
                continue
            found = (sources or {}).get(kind)
            if found is None:
                params = {"namespace": IMAGE_SOURCES, "key": RECORD_IMAGE}
                found = [
                    i async for page in self.pages(METAFIELD_PATHS[kind], params) for i in page
                ]
            made = {}
            for item in found:
                if item.get("key") == RECORD_IMAGE:
                    with contextlib.suppress(ValueError, TypeError, KeyError):
                        value = json.loads(item["value"])
                        made[item["resource_id"]] = RecordImage(
                            item["id"], str(value["stored"]), str(value["source"])
                        )
            self.record_image_ids = {  # a new map: the class's own is shared
                **self.record_image_ids,
                **{(kind, owner): image.id for owner, image in made.items()},
            }
            for record in unnamed:
                stored = record.fields["image_url"]
                image = made.get(record.id)
                if image is None or image.stored != stored:  # no record of this one: as it is
                    image = RecordImage(image.id if image else 0, stored, stored)
                record.image = image
                known_image(record)

    async def read_content(self, observed: ObservedCatalog, kinds: Collection[Kind]) -> None:
        """The scripts, web pages, blog posts, custom template associations (with the active
        theme's custom templates) and redirects among `kinds`, read whole into `observed`."""

        async def scripts() -> None:
            found: dict[str, ObservedScript] = {}
            async for page in self.pages("/v3/content/scripts"):
                for item in page:
                    script = script_from_api(item)
                    found.setdefault(f"{script.channel_id}:{script.name}", script)
            observed.scripts = found

        async def pages() -> None:
            found: dict[int, ObservedPage] = {}
            async for page in self.pages("/v3/content/pages", {"include": "body"}):
                for item in page:
                    found[item["id"]] = page_from_api(item)
            observed.pages = found

        async def redirects() -> None:
            found: dict[int, ObservedRedirect] = {}
            async for page in self.pages("/v3/storefront/redirects"):
                for item in page:
                    found[item["id"]] = redirect_from_api(item)
            observed.redirects = found

        async def associations() -> None:
            found: dict[int, ObservedTemplateAssociation] = {}
            async for page in self.pages("/v3/storefront/custom-template-associations"):
                for item in page:
                    found[item["id"]] = association_from_api(item)
            themes = (await self.data("GET", "/v3/themes", "/v3/themes")) or []
            # the first storefront's theme (`is_active` is true of a theme active on any channel)
            uuid = ((await self.active_theme(DEFAULT_CHANNEL)) or {}).get("active_theme_uuid")
            active = next((t for t in themes if t.get("uuid") == uuid), None)
            templates: dict[str, frozenset[str]] = {}
            if active is not None:
                path = f"/v3/themes/custom-templates/{active['uuid']}"
                listed = await self.data("GET", path, "/v3/themes/custom-templates/{version_uuid}")
                templates = {k: frozenset(v) for k, v in (listed or {}).items()}
            observed.theme_templates = ("" if active is None else active["name"], templates)
            observed.template_associations = found

        async def widget_templates() -> None:
            found: dict[str, ObservedWidgetTemplate] = {}
            async for page in self.pages(WIDGET_TEMPLATES, {"widget_template_kind": "custom"}):
                for item in page:
                    template = widget_template_from_api(item)
                    found.setdefault(template.name, template)
            observed.widget_templates = found
            self.widget_template_ids = {t.name: t.id for t in found.values()}

        async def widgets() -> None:
            found: dict[str, ObservedWidget] = {}
            async for page in self.pages(WIDGETS, CUSTOM):
                for item in page:
                    widget = widget_from_api(item)
                    found[widget.id] = widget
            observed.widgets = found

        async def placements() -> None:
            found: dict[str, ObservedPlacement] = {}
            async for page in self.pages(PLACEMENTS, CUSTOM):
                for item in page:
                    placement = placement_from_api(item)
                    found[placement.id] = placement
            observed.placements = found
            observed.regions = {}

        async def blog_posts() -> None:
            found: dict[int, ObservedBlogPost] = {}
            async for items in self.v2_pages("/v2/blog/posts"):
                for item in items:
                    found[item["id"]] = post_from_api(item)
            observed.blog_posts = found

        async def price_lists() -> None:
            found: dict[int, ObservedPriceList] = {}
            async for page in self.pages(PRICE_LISTS):
                for item in page:
                    found[item["id"]] = ObservedPriceList(
                        item["id"], item["name"], {"active": bool(item.get("active", True))}
                    )
            await fan_out(self.read_price_records(p) for p in found.values())
            observed.price_lists = found

        async def promotions_() -> None:
            found: dict[int, ObservedPromotion] = {}
            async for page in self.pages(PROMOTIONS):
                for item in page:
                    found[item["id"]] = promotion_from_api(item)
            await fan_out(
                self.read_codes(p)
                for p in found.values()
                if p.fields.get("redemption_type") == "COUPON"
            )
            observed.promotions = found

        async def assignments() -> None:
            found: dict[int, ObservedAssignment] = {}
            async for page in self.pages(PRICE_LIST_ASSIGNMENTS):
                for item in page:
                    found[item["id"]] = ObservedAssignment(
                        item["id"],
                        item.get("price_list_id") or 0,
                        item.get("customer_group_id") or 0,
                        item.get("channel_id") or 1,
                    )
            observed.price_list_assignments = found

        async def inventory() -> None:
            found: dict[int, ObservedLocation] = {}
            async for page in self.pages(LOCATIONS):
                for item in page:
                    found[item["id"]] = location_from_api(item)
            async for page in self.pages(INVENTORY_ITEMS):
                for item in page:
                    sku = (item.get("identity") or {}).get("sku")
                    for at in item.get("locations") or ():
                        location = found.get(at.get("location_id"))
                        values = stock_from_api(at)
                        if sku and location is not None and values != _NO_STOCK:
                            location.stock.append(ObservedStock(sku, values))
            observed.inventory_locations = found

        async def customer_attributes() -> None:
            found: dict[int, ObservedCustomerAttribute] = {}
            async for page in self.pages(CUSTOMER_ATTRIBUTES):
                for item in page:
                    found[item["id"]] = ObservedCustomerAttribute(
                        item["id"], item["name"], {"type": item.get("type", "string")}
                    )
            observed.customer_attributes = found

        async def customers() -> None:
            found: dict[int, ObservedCustomer] = {}
            async for page in self.pages(CUSTOMERS, {"include": CUSTOMER_INCLUDES}):
                for item in page:
                    found[item["id"]] = customer_from_api(item)
            observed.customers = found

        async def customer_groups() -> None:
            found: dict[int, ObservedCustomerGroup] = {}
            async for items in self.v2_pages(CUSTOMER_GROUPS):
                for item in items:
                    found[item["id"]] = group_from_api(item)
            observed.customer_groups = found

        kinds = set(kinds)
        if Kind.PLACEMENTS in kinds:  # named by natural keys: their widgets and pages too
            kinds |= {Kind.WIDGETS, Kind.PAGES}
        if Kind.PAGE_LAYOUTS in kinds:  # on the web pages, naming custom templates by name
            kinds |= {Kind.WIDGET_TEMPLATES, Kind.PAGES}
        if Kind.WIDGETS in kinds:  # by their templates' names
            kinds |= {Kind.WIDGET_TEMPLATES}
        if Kind.TEMPLATE_ASSOCIATIONS in kinds:  # a page by its URL
            kinds |= {Kind.PAGES}

        if Kind.CHANNELS in kinds:
            await self.read_channels(observed)
        if Kind.SCRIPTS in kinds:  # after the catalog: one request, and errors in a fixed order
            await scripts()
        content = [
            f()
            for kind, f in (
                (Kind.PAGES, pages),
                (Kind.BLOG_POSTS, blog_posts),
                (Kind.WIDGET_TEMPLATES, widget_templates),
                (Kind.WIDGETS, widgets),
                (Kind.PLACEMENTS, placements),
                (Kind.TEMPLATE_ASSOCIATIONS, associations),
                (Kind.REDIRECTS, redirects),
                (Kind.PRICE_LISTS, price_lists),
                (Kind.CUSTOMER_GROUPS, customer_groups),
                (Kind.PRICE_LIST_ASSIGNMENTS, assignments),
                (Kind.PROMOTIONS, promotions_),
                (Kind.INVENTORY_LOCATIONS, inventory),
                (Kind.CUSTOMER_ATTRIBUTES, customer_attributes),
                (Kind.CUSTOMERS, customers),
            )
            if kind in kinds
        ]
        if content:
            await fan_out(content)
        await self.name_channels(observed)
        if Kind.PAGE_LAYOUTS in kinds:  # the global regions, the home page and each web page
            observed.page_layouts = {}
            web = [(p.channel_id, p.id) for p in (observed.pages or {}).values()]
            storefronts = sorted({DEFAULT_CHANNEL, *self.channel_sites})  # as known so far
            await self.read_layouts(
                observed,
                [layout_address(c, f, "") for c in storefronts for f in ("", "pages/home")]
                + [layout_address(c, "pages/page", str(i)) for c, i in sorted(web)],
            )

    async def read_channels(self, observed: ObservedCatalog) -> None:
        """The channels (a deleted one is gone), with the sites and routes of all but the first
        storefront (nothing of which is managed) and their currency assignments."""
        listed: list[dict[str, Any]] = []
        sites: dict[int, dict[str, Any]] = {}

        async def channels() -> None:
            async for page in self.pages(CHANNELS):
                listed.extend(c for c in page if c.get("status") not in GONE)

        async def all_sites() -> None:
            async for page in self.pages(SITES):
                sites.update((s["channel_id"], s) for s in page)

        answers = await fan_out([channels(), all_sites(), self.data("GET", CURRENCIES, CURRENCIES)])
        currencies = {a["channel_id"]: a for a in answers[2] or ()}
        mine = [s for c, s in sorted(sites.items()) if c != DEFAULT_CHANNEL]
        routes: dict[int, list[dict[str, Any]]] = {s["id"]: [] for s in mine}

        async def read_routes(site_id: int) -> None:
            async for page in self.pages(f"{SITES}/{site_id}/routes"):
                routes[site_id].extend(page)

        await fan_out(read_routes(s["id"]) for s in mine)
        observed.channels = {
            c["id"]: channel_from_api(
                c,
                sites.get(c["id"]),
                routes.get(sites[c["id"]]["id"], ()) if c["id"] in sites else (),
                currencies.get(c["id"]),
            )
            for c in listed
        }
        self.channel_ids = {
            DEFAULT_CHANNEL_NAME if c.id == DEFAULT_CHANNEL else c.name: c.id
            for c in observed.channels.values()
        }
        self.channel_sites = {c: s["id"] for c, s in sites.items()}

    async def know_channels(self) -> None:
        """The channels by name and their sites, read (a deleted channel is gone)."""
        names: dict[str, int] = {DEFAULT_CHANNEL_NAME: DEFAULT_CHANNEL}
        sites: dict[int, int] = {DEFAULT_CHANNEL: DEFAULT_SITE}
        async for page in self.pages(CHANNELS):
            names.update(
                (c["name"], c["id"])
                for c in page
                if c.get("status") not in GONE and c["id"] != DEFAULT_CHANNEL
            )
        async for page in self.pages(SITES):
            sites.update((s["channel_id"], s["id"]) for s in page)
        self.channel_ids, self.channel_sites = names, sites

    async def name_channels(self, observed: ObservedCatalog) -> None:
        """Name the channel of each observed script, web page and redirect (by its site) that is
        not on the first storefront; the channels are read only when there is one."""
        scripts = list((observed.scripts or {}).values())
        pages = list((observed.pages or {}).values())
        redirects = list((observed.redirects or {}).values())
        categories = [c for c in observed.categories.values() if c.tree_id != DEFAULT_TREE]
        content: list[_ChannelFields] = [
            *(observed.widgets or {}).values(),
            *(observed.placements or {}).values(),
            *(observed.template_associations or {}).values(),
        ]
        others = {s.channel_id for s in scripts} | {p.channel_id for p in pages}
        others |= {int(c.fields.get("channel_id") or DEFAULT_CHANNEL) for c in content}
        if (
            others <= {DEFAULT_CHANNEL}
            and all(r.site_id == DEFAULT_SITE for r in redirects)
            and not categories
        ):
            self.name_channel_of(content)
            if observed.scripts is not None:
                observed.scripts = {s.key: s for s in scripts}
            return
        await self.know_channels()
        self.name_channel_of(content)
        if categories:
            await self.know_trees()
        names = {i: n for n, i in self.channel_ids.items()}
        of_site = {s: c for c, s in self.channel_sites.items()}
        of_tree = {t: c for c, t in self.channel_trees.items()}
        for category in categories:
            channel = of_tree.get(category.tree_id)
            category.fields["channel"] = (
                names.get(channel, f"#{channel}") if channel else f"#tree-{category.tree_id}"
            )

        def name(channel_id: int | None, fields: dict[str, Any]) -> None:
            if channel_id is not None and channel_id != DEFAULT_CHANNEL:
                fields["channel"] = names.get(channel_id, f"#{channel_id}")

        for script in scripts:
            name(script.channel_id, script.fields)
        for page in pages:
            name(page.channel_id, page.fields)
        for redirect in redirects:
            name(of_site.get(redirect.site_id, -redirect.site_id), redirect.fields)
        if observed.scripts is not None:
            observed.scripts = {s.key: s for s in scripts}

    def name_channel_of(self, content: Iterable[_ChannelFields]) -> None:
        """Content whose fields hold the store's id of its channel (`channel_id`): by name
        instead (`channel`), none on the first storefront (the channels as last read)."""
        names = {i: n for n, i in self.channel_ids.items()}
        for item in content:
            channel = int(item.fields.pop("channel_id", None) or DEFAULT_CHANNEL)
            if channel != DEFAULT_CHANNEL:
                item.fields["channel"] = names.get(channel, f"#{channel}")

    async def channel_id_of(self, channel: str | None) -> int | None:
        """The store's id of a channel named by a catalog (None: the store has no such channel)."""
        name = channel or DEFAULT_CHANNEL_NAME
        if name not in self.channel_ids:
            await self.know_channels()
        return self.channel_ids.get(name)

    async def know_trees(self) -> None:
        """The category tree of each channel, read."""
        trees = await self.data("GET", TREES, TREES) or []
        self.channel_trees = {c: t["id"] for t in trees for c in t.get("channels") or ()}

    async def tree_of(self, channel: str, channel_id: int) -> int:
        """The category tree of a channel; one is made, named after it, when it has none."""
        if channel_id not in self.channel_trees:
            await self.know_trees()
        if channel_id not in self.channel_trees:
            made = await self.data(
                "PUT", TREES, TREES, json=[{"name": channel, "channels": [channel_id]}]
            )
            self.channel_trees = {**self.channel_trees, channel_id: made[0]["id"]}
        return self.channel_trees[channel_id]

    async def scoped(self, kind: Kind, payload: dict[str, Any]) -> dict[str, Any]:
        """A body of a script, web page or redirect with its channel (by name) as the store's id
        of the channel (of its site, for a redirect)."""
        if kind not in _SCOPED or "channel" not in payload:
            return payload
        out = dict(payload)
        channel = out.pop("channel") or DEFAULT_CHANNEL_NAME
        if channel not in self.channel_ids:
            await self.know_channels()
        channel_id = self.channel_ids.get(channel)
        if channel_id is None:
            raise RequestRejected(f"the store has no channel {channel!r}", status=422)
        if kind is Kind.CATEGORIES:
            if "category_id" not in out:  # a create: in the channel's tree
                out["tree_id"] = await self.tree_of(channel, channel_id)
            return out
        if kind is not Kind.REDIRECTS:
            out["channel_id"] = channel_id
            return out
        if channel_id not in self.channel_sites:
            await self.know_channels()
        site_id = self.channel_sites.get(channel_id)
        if site_id is None:
            raise RequestRejected(f"channel {channel!r} has no site", status=422)
        out["site_id"] = site_id
        return out

    async def read_regions(self, observed: ObservedCatalog, template_files: Iterable[str]) -> None:
        """The active theme's regions of `template_files` not read yet, into `observed.regions`
        (a file the theme lacks: None)."""
        if observed.regions is None:
            return
        missing = sorted(set(template_files) - set(observed.regions))

        async def read(template_file: str) -> None:
            try:
                found = await self.data(
                    "GET", REGIONS, REGIONS, params={"template_file": template_file}
                )
            except RequestRejected as error:
                if error.status != 404:
                    raise
                assert observed.regions is not None
                observed.regions[template_file] = None
                return
            assert observed.regions is not None
            observed.regions[template_file] = frozenset(r["name"] for r in found or ())

        if missing:
            await fan_out(read(f) for f in missing)

    async def read_layouts(self, observed: ObservedCatalog, addresses: Iterable[str]) -> None:
        """The Page Builder layouts of the pages at `addresses`, into `observed.page_layouts`
        (a page without regions has none)."""
        templates = {i: n for n, i in self.widget_template_ids.items()}

        async def read(address: str) -> None:
            channel, template_file, entity_id = address.split("|", 2)
            params = {"channel_id": channel, "template_file": template_file}
            snapshot = await self.data(
                "GET", PAGE_WIDGETS, PAGE_WIDGETS, params={**params, "entity_id": entity_id}
            )
            layout = layout_from_api(snapshot or {}, address, templates)
            if layout is not None and observed.page_layouts is not None:
                self.name_channel_of([layout])
                observed.page_layouts[address] = layout

        await fan_out(read(a) for a in addresses)

    async def complete_observation(self, observed: ObservedCatalog, desired: Catalog) -> None:
        """Read what only the desired catalog names: the regions of the template files its
        placements use, the layouts of the products', categories' and brands' pages it has and
        of other storefronts' global regions and home pages."""
        if desired.page_layouts is not None and observed.page_layouts is not None:
            ids = {
                "product": {k: p.id for k, p in observed.products.items()},
                "category": observed.category_ids_by_path(),
                "brand": observed.brand_ids_by_name(),
            }
            fold: dict[str, Callable[[str], str]] = {
                "product": sku_key,
                "category": path_key,
                "brand": str.casefold,
            }
            wanted = set()
            for layout in desired.page_layouts.values():
                kind, name = layout.entity
                found = ids[kind].get(fold[kind](name)) if kind in ids else None
                channel = await self.channel_id_of(layout.fields.get("channel"))
                file_name = str(layout.fields.get("template_file", ""))
                if channel is not None and (found is not None or not kind):  # or on no record
                    wanted.add(layout_address(channel, file_name, str(found or "")))
            await self.read_layouts(observed, wanted - set(observed.page_layouts))
        if desired.placements is not None:
            await self.read_regions(
                observed,
                {
                    str(p.fields["template_file"])
                    for p in desired.placements.values()
                    if not p.fields.get("channel")  # the first storefront's theme
                },
            )

    async def name_by_sources(
        self, products: Iterable[ObservedProduct], like: Catalog | None = None
    ) -> None:
        """Know each image of `products` by the URL it was created from, read page by page (no
        map of a whole store's sources is ever built); URLs equal to `like`'s kept as its own."""
        owners = image_owners(products)
        async for page in self.pages(METAFIELDS, {"namespace": IMAGE_SOURCES}):
            self.name_images_by(owners, page, like)

    async def read_codes(self, promotion: ObservedPromotion) -> None:
        """A coupon promotion's codes, into it."""
        path = PROMOTION_CODES.format(promotion_id=promotion.id)
        async for page in self.pages(path):
            promotion.codes.extend(
                ObservedCouponCode(
                    item["id"],
                    item["code"],
                    {k: item[k] for k in ("max_uses", "max_uses_per_customer") if k in item},
                )
                for item in page
            )

    async def read_price_records(self, price_list: ObservedPriceList) -> None:
        """A price list's records (by SKU and currency), into it."""
        path = f"{PRICE_LISTS}/{price_list.id}/records"
        # neither the SKU nor the tiers are answered unless asked for
        async for page in self.pages(path, {"include": "sku,bulk_pricing_tiers"}):
            price_list.records.extend(
                ObservedPriceRecord(
                    item["variant_id"],
                    item.get("sku") or "",
                    str(item["currency"]).upper(),
                    {
                        **{k: item[k] for k in fields.PRICES if item.get(k) is not None},
                        "bulk_pricing_tiers": fields.price_tiers(item["bulk_pricing_tiers"])
                        if item.get("bulk_pricing_tiers")
                        else _NO_TIERS,
                    },
                )
                for item in page
            )

    async def v2_pages(self, path: str) -> AsyncIterator[list[dict[str, Any]]]:
        """The pages of a v2 list: a bare array per page, the last one short."""
        page = 1
        while True:
            response = await self.request(
                "GET", path, params={"page": page, "limit": V2_PAGE_LIMIT}
            )
            items = decode(response) if response.content else []
            yield items
            if len(items) < V2_PAGE_LIMIT:
                return
            page += 1

    async def image_sources(self, params: dict[str, Any] | None = None) -> dict[int, str]:
        """Image id -> the URL StagingPro created it from (the metafields it keeps)."""
        found: dict[int, str] = {}
        async for page in self.pages(METAFIELDS, {"namespace": IMAGE_SOURCES, **(params or {})}):
            for item in page:
                if str(item.get("key", "")).isdigit():
                    found[int(item["key"])] = item["value"]
        return found

    async def claim_images(
        self, product_id: int, sources: Sequence[str], *, answer: Sequence[Any] | None = None
    ) -> dict[str, int]:
        """Record where a product's new images came from (source URL -> image id). `answer`: the
        images as the create answered them, in the order sent; without it (or when recording
        fails, which may have succeeded) the product's images without a record are matched to the
        sources by file name, which the platform keeps in its CDN file names."""
        if answer is not None and len(answer) == len(sources):
            made = dict(zip(sources, sorted(i["id"] for i in answer), strict=True))
            self._sources_due = [*self._sources_due, *_source_records(product_id, made)]
            if len(self._sources_due) >= METAFIELD_BATCH:
                await self.settle_sources()
            return made
        path = f"/v3/catalog/products/{product_id}"
        recorded = set(await self.image_sources_of(product_id))
        unclaimed = [
            i
            async for page in self.pages(f"{path}/images", {"include_fields": "image_file"})
            for i in page
            if i["id"] not in recorded
        ]
        made = {}
        for source in sources:
            match = next((i for i in unclaimed if _same_file(i, source)), None)
            if match is not None:
                unclaimed.remove(match)
                made[source] = match["id"]
        await self._record_sources(product_id, made, retry=True)
        return made

    async def image_sources_of(self, product_id: int) -> dict[int, str]:
        """Image id -> source URL, of one product."""
        found: dict[int, str] = {}
        path = f"/v3/catalog/products/{product_id}/metafields"
        async for page in self.pages(path, {"namespace": IMAGE_SOURCES}):
            found.update((int(m["key"]), m["value"]) for m in page if m["key"].isdigit())
        return found

    async def settle(self) -> list[tuple[str, str, str]]:
        """Write what the creates since deferred, in batches across owners: the metafields of the
        records created (failures returned as (kind, key, message)), and the records of the image
        sources of the images created. A batch of image sources that fails is let go: the next
        check finds those images without a source and claims them by file name before it would
        create them again."""
        self.rule_names = {}  # the next phase may have changed them
        owned, self._metafields_due = self._metafields_due, []
        failed: list[tuple[str, str, str]] = []
        for kind in sorted({k for k, _ in owned}):
            records = [r for k, r in owned if k is kind]
            outcomes = await self._batches(kind, Action.CREATE, records)
            failed += [
                (str(kind), r.key, o.error)
                for r, o in zip(records, outcomes, strict=True)
                if o.error is not None
            ]
        await fan_out(self._record_images(kind) for kind in {k for k, *_ in self._images_due})
        await self.settle_sources()
        return failed

    def defer_image(self, kind: Kind, record: Record, owner_id: Any, answer: Any) -> None:
        """Record, at the next settle(), where the image of a category or brand just written
        came from (the store answered its own URL for it)."""
        source = record.values.get("image_url")
        stored = answer.get("image_url") if isinstance(answer, dict) else None
        if source and stored and source != stored and owner_id is not None:
            due = (METAFIELD_OWNERS[kind], int(owner_id), str(source), str(stored))
            self._images_due = [*self._images_due, due]

    async def _record_images(self, kind: Kind) -> None:
        """Write the image records of one kind due: updated where known, else created (one
        found meanwhile is updated)."""
        due = [d for d in self._images_due if d[0] is kind]
        self._images_due = [d for d in self._images_due if d[0] is not kind]
        path = METAFIELD_PATHS[kind]

        def value(source: str, stored: str) -> str:
            return json.dumps({"source": source, "stored": stored}, sort_keys=True)

        known = [d for d in due if (kind, d[1]) in self.record_image_ids]
        new = [d for d in due if (kind, d[1]) not in self.record_image_ids]
        for i in range(0, len(known), METAFIELD_BATCH):
            bodies = [
                {"id": self.record_image_ids[kind, owner], "value": value(source, stored)}
                for _, owner, source, stored in known[i : i + METAFIELD_BATCH]
            ]
            await self.request("PUT", path, json=bodies)
        for i in range(0, len(new), METAFIELD_BATCH):
            part = new[i : i + METAFIELD_BATCH]
            bodies = [
                {
                    "resource_id": owner,
                    "namespace": IMAGE_SOURCES,
                    "key": RECORD_IMAGE,
                    "value": value(source, stored),
                    "permission_set": "app_only",
                }
                for _, owner, source, stored in part
            ]
            try:
                answer = decode(await self.request("POST", path, json=bodies))
            except RequestRejected:  # some recorded before (by another run): one by one
                params = {"namespace": IMAGE_SOURCES, "key": RECORD_IMAGE}
                listed = [i async for page in self.pages(path, params) for i in page]
                ids = {m["resource_id"]: m["id"] for m in listed}
                for one in bodies:
                    if one["resource_id"] in ids:
                        changed = {"id": ids[one["resource_id"]], "value": one["value"]}
                        await self.request("PUT", path, json=[changed])
                    else:
                        await self.request("POST", path, json=[one])
                continue
            self.record_image_ids = {  # a new map: the class's own is shared
                **self.record_image_ids,
                **{(kind, i["resource_id"]): i["id"] for i in answer.get("data") or ()},
            }

    async def settle_sources(self) -> None:
        """Record the image sources of the images created since (a batch that fails is let go,
        as settle() says)."""
        due, self._sources_due = self._sources_due, []
        try:
            await self._send_sources(due, retry=False)
        except (RequestRejected, StoreUnavailable):
            self.unclaimed_images |= {int(m["resource_id"]) for m in due}

    def defer_metafields(self, kind: Kind, values: Mapping[str, Any], owner_id: Any) -> None:
        """Create the metafields written in a created record's values (`kind`: the record's) at
        the next settle()."""
        wanted = values.get("metafields") or ()
        if not wanted or owner_id is None:
            return
        owned = METAFIELD_OWNERS[kind]
        label = values.get(KINDS[kind].key, owner_id)
        self._metafields_due = [
            *self._metafields_due,
            *((owned, Record(f"{label}|{m['metafield']}", m, owner_id=owner_id)) for m in wanted),
        ]

    async def _record_sources(self, product_id: int, made: dict[str, int], *, retry: bool) -> None:
        await self._send_sources(_source_records(product_id, made), retry=retry)

    async def _send_sources(self, bodies: list[dict[str, Any]], *, retry: bool) -> None:
        await fan_out(
            self.request(
                "POST", METAFIELDS, json=bodies[i : i + METAFIELD_BATCH], retry_unsafe=retry
            )
            for i in range(0, len(bodies), METAFIELD_BATCH)
        )

    # ---- writes ---------------------------------------------------------------------------------

    async def create(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]:
        """Create records (a create that already happened is adopted)."""
        return await self._split(kind, Action.CREATE, records)

    async def update(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]:
        """Update records by store id (only the values given)."""
        return await self._split(kind, Action.UPDATE, records)

    async def delete(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]:
        """Delete records by store id."""
        return await self._split(kind, Action.DELETE, records)

    async def bulk(self, kind: Kind, records: Sequence[Record], *, action: Action) -> list[Outcome]:
        """Write many records with one bulk job of the API: redirects (creates and updates alike,
        upserted by site and path) as a CSV import. Redirects of another site than the store's
        default one go in batches."""
        assert kind is Kind.REDIRECTS, f"{kind} has no bulk job"
        rows = [(r, await self.scoped(kind, _redirect_body(r))) for r in records]
        others = [r for r, b in rows if b["site_id"] != DEFAULT_SITE]
        mine = [(r, b) for r, b in rows if b["site_id"] == DEFAULT_SITE]
        outcomes = {
            id(r): o for r, o in zip(others, await self._batches(kind, action, others), strict=True)
        }
        if mine:
            info = decode(await self.request("GET", "/v2/store"))
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(IMPORT_HEADER)
            for _, b in mine:
                to = b["to"]
                dynamic = to["type"] != "url"
                target = [to["type"].capitalize(), str(to["entity_id"])] if dynamic else ["", ""]
                writer.writerow(
                    [info["domain"], b["from_path"], "" if dynamic else to["url"], *target]
                )
            data = text.getvalue().encode()
            response = await self.request(
                "POST", f"{IMEX}/import", files={"import_file": ("redirects.csv", data, "text/csv")}
            )
            job = await self._finished(str(decode(response)["id"]))
            failed = {
                int(e.get("row", 0)): str(e.get("message", "")) for e in job.get("errors") or ()
            }
            if job.get("status") != "complete":
                failed = {n: f"the import job {job.get('status')}" for n in range(2, len(mine) + 2)}
            for row, (record, _) in enumerate(mine, start=2):  # row 1 is the header
                outcomes[id(record)] = Outcome(id=record.id, error=failed.get(row))
        return [outcomes[id(r)] for r in records]

    async def _batches(
        self, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        size = KINDS[kind].batch_size(action)
        parts = await fan_out(
            self._split(kind, action, records[i : i + size]) for i in range(0, len(records), size)
        )
        return [o for part in parts for o in part]

    async def _finished(self, job_id: str, within: float = 600.0) -> dict[str, Any]:
        """An import job once it is done (polled, at most every second)."""
        deadline = time.monotonic() + within
        delay = 0.05
        while True:
            params = {"id": job_id, "type": "import"}
            jobs = await self.data("GET", f"{IMEX}/jobs", f"{IMEX}/jobs", params=params) or []
            if jobs and jobs[0].get("status") in ("complete", "failed", "aborted"):
                return dict(jobs[0])
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"the redirects import job {job_id} did not finish")
            await asyncio.sleep(delay)
            delay = min(1.0, delay * 2)

    async def _split(self, kind: Kind, action: Action, records: Sequence[Record]) -> list[Outcome]:
        """Send a batch; one the store refuses as a whole is split until the bad records are
        found (the store does not always say which failed); a refused create is adopted when the
        store already has the record."""
        try:
            return await self._send(kind, action, records)
        except RequestRejected as error:
            if error.status in SPLIT_STATUSES and len(records) > 1:
                middle = len(records) // 2
                halves = await fan_out(
                    [
                        self._split(kind, action, records[:middle]),
                        self._split(kind, action, records[middle:]),
                    ]
                )
                return halves[0] + halves[1]
            if action is Action.CREATE and error.status in _ADOPT_ON.get(kind, (409,)):
                adopted = await self._adopt(kind, records[0])
                if adopted is not None:
                    return [adopted]
            return [Outcome(error=str(error)) for _ in records]

    async def _send(self, kind: Kind, action: Action, records: Sequence[Record]) -> list[Outcome]:
        route = _ROUTES[(kind, action)]
        if isinstance(route, _Batch):
            return await route.send(self, kind, action, records)
        (record,) = records
        data = await route(self, record, await self.scoped(kind, body(kind, action, record)))
        return [Outcome(id=_id_of(kind, data) if isinstance(data, dict) else record.id)]

    async def _adopt(self, kind: Kind, record: Record) -> Outcome | None:
        """The record the store already has under the natural key of `record`, if any."""
        if kind is Kind.BRANDS:
            found = await self.find_brand(record.key)
            return None if found is None else Outcome(id=found["id"], adopted=True)
        if kind is Kind.PRODUCTS:
            product = await self.find_product(record.key)
            if product is None:
                return None
            sources = [i["image_url"] for i in record.values.get("images") or []]
            if sources:  # created by the lost request: its images too
                await self.claim_images(product["id"], sources)
            return Outcome(id=product["id"], adopted=True)
        if kind is Kind.CATEGORIES:
            sent = await self.scoped(kind, body(kind, Action.CREATE, record))
            name = sent["name"].casefold()
            tree = sent.get("tree_id", DEFAULT_TREE)
            siblings = await self.find_categories(record.refs.get("parent", 0), tree)
            match = next((c for c in siblings if c["name"].casefold() == name), None)
            return None if match is None else Outcome(id=match["category_id"], adopted=True)
        if kind is Kind.VARIANTS:
            async for page in self.pages(f"/v3/catalog/products/{record.owner_id}/variants"):
                for variant in page:
                    if sku_key(variant.get("sku", "")) == sku_key(record.key):
                        return Outcome(id=variant["id"], adopted=True)
            return None
        if kind is Kind.CUSTOM_FIELDS:
            return Outcome(adopted=True)
        if kind in (Kind.OPTIONS, Kind.MODIFIERS):
            path = f"/v3/catalog/products/{record.owner_id}/{KINDS[kind].owner_field}"
            async for page in self.pages(path):
                for option in page:
                    if option.get("display_name", "").casefold() == record.key.casefold():
                        return Outcome(id=option["id"], adopted=True)
            return None
        if kind is Kind.REVIEWS:  # by the moment it was made and its title
            made_at = (record.values.get("date_reviewed"), record.values.get("title"))
            async for page in self.pages(f"/v3/catalog/products/{record.owner_id}/reviews"):
                for review in page:
                    if (review.get("date_reviewed"), review.get("title")) == made_at:
                        return Outcome(id=review["id"], adopted=True)
            return None
        if kind is Kind.VIDEOS:  # one video id once per product
            async for page in self.pages(f"/v3/catalog/products/{record.owner_id}/videos"):
                for video in page:
                    if video.get("video_id") == record.key:
                        return Outcome(id=video["id"], adopted=True)
            return None
        if kind in METAFIELD_KINDS:
            wanted = record.values
            params = {"namespace": wanted.get("namespace"), "key": wanted.get("key")}
            owner = _OWNER_METAFIELDS.get(kind)  # a variant's list needs its product's id too
            path = METAFIELD_PATHS[kind] if owner is None else owner.format(record.owner_id)
            async for listed in self.pages(path, params):
                for item in listed:
                    if item.get("resource_id") == record.owner_id:
                        return Outcome(id=item["id"], adopted=True)
            return None
        if kind is Kind.WIDGET_TEMPLATES:
            async for listed in self.pages(WIDGET_TEMPLATES, {"widget_template_kind": "custom"}):
                for item in listed:
                    if item["name"] == record.key:
                        return Outcome(id=item["uuid"], adopted=True)
            return None
        if kind is Kind.WIDGETS:
            name = record.values.get("name")
            params = {**CUSTOM, "widget_template_uuid": record.refs.get("template"), "name": name}
            async for listed in self.pages(WIDGETS, params):
                for item in listed:
                    if item.get("name") == name:
                        return Outcome(id=item["uuid"], adopted=True)
            return None
        if kind is Kind.PLACEMENTS:
            wanted = _placement_body(record)
            params = {**CUSTOM, "template_file": wanted["template_file"]}
            async for listed in self.pages(PLACEMENTS, params):
                for item in listed:
                    if all(item.get(k) == wanted.get(k) for k in ("entity_id", "region")) and (
                        item.get("sort_order") == wanted.get("sort_order", 0)
                    ):
                        return Outcome(id=item["uuid"], adopted=True)
            return None
        if kind is Kind.CHANNELS:
            pair = (record.values.get("type"), record.values.get("platform"))
            async for listed in self.pages(CHANNELS):
                for item in listed:
                    same = (item.get("type"), item.get("platform")) == pair
                    if item["name"] == record.key and same and item.get("status") not in GONE:
                        return Outcome(id=item["id"], adopted=True)
            return None
        if kind is Kind.CUSTOMERS:
            found = await self.data("GET", CUSTOMERS, CUSTOMERS, params={"email:in": record.key})
            return Outcome(id=found[0]["id"], adopted=True) if found else None
        if kind is Kind.PRICE_LIST_ASSIGNMENTS:
            wanted = body(kind, Action.CREATE, record)
            listed = await self.data(
                "GET", PRICE_LIST_ASSIGNMENTS, PRICE_LIST_ASSIGNMENTS, params=dict(wanted)
            )
            match = next(
                (
                    a
                    for a in listed or ()
                    if a.get("customer_group_id") == wanted.get("customer_group_id")
                ),
                None,
            )
            return Outcome(id=match["id"], adopted=True) if match else None
        if kind is Kind.PROMOTIONS:
            found = await self.data("GET", PROMOTIONS, PROMOTIONS, params={"name": record.key})
            match = next((p for p in found or () if p.get("name") == record.key), None)
            return Outcome(id=match["id"], adopted=True) if match else None
        if kind is Kind.COUPON_CODES:
            found = await self.data(
                "GET", f"{PROMOTIONS}/codes", f"{PROMOTIONS}/codes", params={"code": record.key}
            )
            return Outcome(id=found[0]["id"], adopted=True) if found else None
        if kind is Kind.PRICE_LISTS:
            found = await self.data("GET", PRICE_LISTS, PRICE_LISTS, params={"name": record.key})
            return Outcome(id=found[0]["id"], adopted=True) if found else None
        if kind is Kind.CUSTOMER_ATTRIBUTES:
            found = await self.data(
                "GET", CUSTOMER_ATTRIBUTES, CUSTOMER_ATTRIBUTES, params={"name": record.key}
            )
            return Outcome(id=found[0]["id"], adopted=True) if found else None
        if kind is Kind.CUSTOMER_GROUPS:
            response = await self.request("GET", CUSTOMER_GROUPS, params={"name": record.key})
            groups = decode(response) if response.content else []
            return Outcome(id=groups[0]["id"], adopted=True) if groups else None
        if kind is Kind.BLOG_POSTS:
            response = await self.request("GET", "/v2/blog/posts", params={"url": record.key})
            posts = decode(response) if response.content else []
            return Outcome(id=posts[0]["id"], adopted=True) if posts else None
        if kind is Kind.PAGES:  # the list has no URL filter: read the channel's pages
            wanted = await self.scoped(kind, body(kind, Action.CREATE, record))
            link = wanted.get("type") == "link"
            channel = {"channel_id": wanted.get("channel_id", 1)}
            async for listed in self.pages("/v3/content/pages", channel):
                for item in listed:
                    candidate = page_from_api(item)
                    if candidate.url == (wanted.get("link") if link else wanted.get("url")):
                        return Outcome(id=candidate.id, adopted=True)
            return None
        return None

    async def active_theme(self, channel_id: int) -> dict[str, Any] | None:
        """`GET /channels/{id}/active-theme` (None: the channel has none)."""
        try:
            found: dict[str, Any] = await self.data(
                "GET",
                f"/v3/channels/{channel_id}/active-theme",
                "/v3/channels/{channel_id}/active-theme",
            )
        except RequestRejected as error:
            if error.status != 404:
                raise
            return None
        return found

    # ---- lookups by natural key -----------------------------------------------------------------

    async def find_product(self, sku: str) -> dict[str, Any] | None:
        """The product with that SKU (an adoption needs only its id: nothing is included)."""
        data = await self.data(
            "GET", "/v3/catalog/products", "/v3/catalog/products", params={"sku": sku}
        )
        return data[0] if data else None

    async def find_brand(self, name: str) -> dict[str, Any] | None:
        """The brand with that name."""
        data = await self.data(
            "GET", "/v3/catalog/brands", "/v3/catalog/brands", params={"name": name}
        )
        return next((b for b in data if b["name"].casefold() == name.casefold()), None)

    async def find_categories(self, parent_id: int, tree_id: int) -> list[dict[str, Any]]:
        """The children of a category (0 for roots) in a tree."""
        found = []
        params = {"parent_id:in": parent_id, "tree_id:in": tree_id}
        async for page in self.pages("/v3/catalog/trees/categories", params):
            found.extend(page)
        return found

    # ---- one request per record -----------------------------------------------------------------

    async def _one(
        self, method: str, template: str, record: Record, payload: dict[str, Any] | None, **kw: Any
    ) -> Any:
        path = template.format(id=record.id, owner=record.owner_id)
        endpoint = template.format(id="{id}", owner="{product_id}")
        if method == "DELETE":
            try:
                await self.request(method, path, endpoint=endpoint, **kw)
            except RequestRejected as error:
                # gone already (with its product or its option value, or by someone else): a
                # delete is idempotent, as every call to the store is
                if error.status != 404:
                    raise
            return None
        response = await self.request(method, path, endpoint=endpoint, json=payload, **kw)
        return _json_data(response)


def _json_data(response: httpx.Response) -> Any:
    if not response.content:
        return None
    data = decode(response)
    return data.get("data") if isinstance(data, dict) else None


def _id_of(kind: Kind, data: dict[str, Any]) -> Any:
    name = {
        Kind.CATEGORIES: "category_id",
        Kind.SCRIPTS: "uuid",
        Kind.WIDGET_TEMPLATES: "uuid",
        Kind.WIDGETS: "uuid",
        Kind.PLACEMENTS: "uuid",
    }.get(kind, "id")
    return data.get(name, data.get("id"))


class _Batch:
    """A route that writes many records in one request."""

    def __init__(self, method: str, path: str, by_ids: str | None = None, partial: bool = False):
        self.method, self.path, self.by_ids, self.partial = method, path, by_ids, partial

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        if self.by_ids is not None:
            ids = ",".join(str(r.id) for r in records)
            await store.request(self.method, self.path, params={self.by_ids: ids})
            return [Outcome(id=r.id) for r in records]
        bodies = [await store.scoped(kind, body(kind, action, r)) for r in records]
        response = await store.request(self.method, self.path, json=bodies)
        answer = decode(response) if response.content else {}
        if action is Action.CREATE:
            return [Outcome(id=_id_of(kind, d)) for d in answer.get("data") or []]
        errors = {}
        if self.partial:  # 207: some items failed, keyed by id
            errors = {
                int(k): str(v) for k, v in (answer.get("errors") or {}).items() if str(k).isdigit()
            }
        return [
            Outcome(id=r.id, error=errors.get(r.id) if isinstance(r.id, int) else None)
            for r in records
        ]


class _Upsert(_Batch):
    """Custom template associations: upserted in batches (the answer names no ids), deleted by
    association id (the part of the store id before the slash)."""

    def __init__(self, path: str):
        super().__init__("PUT", path)

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        if action is Action.DELETE:
            ids = ",".join(str(r.id).split("/")[0] for r in records)
            await store.request("DELETE", self.path, params={"id:in": ids})
        else:
            bodies = [await store.scoped(kind, body(kind, action, r)) for r in records]
            await store.request("PUT", self.path, json=bodies)
        return [Outcome(id=r.id) for r in records]


class _Metafields(_Batch):
    """Metafields in batches across owners: created for their owner's id, updated and deleted by
    their ids (a delete's in the body)."""

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        bodies = [_metafield_body(action, r) for r in records]
        response = await store.request(self.method, self.path, json=bodies)
        answer = decode(response) if response.content else {}
        if action is Action.CREATE:
            return [Outcome(id=d["id"]) for d in answer.get("data") or []]
        return [Outcome(id=r.id) for r in records]


class _Owning(_Batch):
    """A batch write of records that may own metafields (categories: created with theirs) and
    images by URL (the records of those images' sources are deferred too)."""

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        bodies = [await store.scoped(kind, body(kind, action, r)) for r in records]
        response = await store.request(self.method, self.path, json=bodies)
        data = (decode(response) if response.content else {}).get("data") or []
        outcomes = (
            [Outcome(id=_id_of(kind, d)) for d in data]
            if action is Action.CREATE
            else [Outcome(id=r.id) for r in records]
        )
        for record, outcome, answer in zip(records, outcomes, data, strict=False):
            store.defer_metafields(kind, record.values, outcome.id)
            store.defer_image(kind, record, outcome.id, answer)
        return outcomes


def _owning(route: Route, kind: Kind) -> Route:
    """A write of one record that may own metafields (a brand, a variant: created with theirs)
    and an image by URL (a brand's): those are deferred."""

    async def send(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
        data = await route(store, record, payload)
        made = record.id if record.id is not None else (_id_of(kind, data) if data else None)
        store.defer_metafields(kind, record.values, made)
        if kind in (Kind.CATEGORIES, Kind.BRANDS):
            store.defer_image(kind, record, made, data)
        return data

    return send


def _source_records(product_id: int, made: dict[str, int]) -> list[dict[str, Any]]:
    """The metafields that record where a product's images came from (source URL -> image id)."""
    return [
        {
            "resource_id": product_id,
            "namespace": IMAGE_SOURCES,
            "key": str(image_id),
            "value": url,
            "permission_set": "app_only",
        }
        for url, image_id in made.items()
    ]


class _PriceRecords(_Batch):
    """Price list records: upserted (creates and updates alike) per price list, deleted by SKUs
    per price list and currency."""

    def __init__(self) -> None:
        super().__init__("PUT", PRICE_RECORDS)

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        groups: dict[tuple[Any, str], list[Record]] = {}
        for record in records:
            currency = record.key.partition(":")[0] if action is Action.DELETE else ""
            groups.setdefault((record.owner_id, currency), []).append(record)
        for (owner, currency), group in groups.items():
            path = f"{PRICE_LISTS}/{owner}/records"
            if action is Action.DELETE:
                skus = ",".join(r.key.partition(":")[2] for r in group)
                params = {"currency": currency.lower(), "sku:in": skus}
                await store.request("DELETE", path, endpoint=PRICE_RECORDS, params=params)
            else:
                bodies = [body(kind, action, r) for r in group]
                await store.request("PUT", path, endpoint=PRICE_RECORDS, json=bodies)
        return [Outcome(id=r.id) for r in records]


async def _create_price_list(
    store: BigCommerceRecords, record: Record, payload: dict[str, Any]
) -> Any:
    """A price list, then its records by upsert at the documented maximum."""
    data = await store._one("POST", PRICE_LISTS, record, payload)
    nested = record.values.get("records") or []
    owned = [Record(f"{r['currency']}:{r['sku']}", r, owner_id=data["id"]) for r in nested]
    size = KINDS[Kind.PRICE_RECORDS].batch_size(Action.CREATE)
    for i in range(0, len(owned), size):
        await _PriceRecords().send(store, Kind.PRICE_RECORDS, Action.CREATE, owned[i : i + size])
    return data


class _CustomerUpdates(_Batch):
    """Customers updated 10 a request; their attribute values by one upsert, their addresses
    replaced (read, deleted, created again: the API updates neither with the customer)."""

    def __init__(self) -> None:
        super().__init__("PUT", CUSTOMERS)

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        bodies = [b for b in (body(kind, action, r) for r in records) if len(b) > 1]
        if bodies:
            await store.request("PUT", CUSTOMERS, json=bodies)
        values = [
            {
                "customer_id": r.id,
                "attribute_id": r.refs["named"][Kind.CUSTOMER_ATTRIBUTES, name],
                "value": value,
            }
            for r in records
            for name, value in (r.values.get("attributes") or {}).items()
        ]
        if values:
            path = f"{CUSTOMERS}/attribute-values"
            await store.request("PUT", path, json=values)
        moved = [r for r in records if "addresses" in r.values]
        if moved:
            path = f"{CUSTOMERS}/addresses"
            owners = ",".join(str(r.id) for r in moved)
            old = [
                a["id"]
                async for page in store.pages(path, {"customer_id:in": owners})
                for a in page
            ]
            if old:
                await store.request("DELETE", path, params={"id:in": ",".join(map(str, old))})
            new = [{**a, "customer_id": r.id} for r in moved for a in r.values["addresses"]]
            if new:
                await store.request("POST", path, json=new)
        return [Outcome(id=r.id) for r in records]


class _Assignments(_Batch):
    """Price list assignments: created 25 a request (the answer names no ids: they are read
    back), deleted one by one (the delete filters by one id)."""

    def __init__(self) -> None:
        super().__init__("POST", PRICE_LIST_ASSIGNMENTS)

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        if action is Action.DELETE:
            for record in records:
                await store.request("DELETE", PRICE_LIST_ASSIGNMENTS, params={"id": record.id})
            return [Outcome(id=r.id) for r in records]
        bodies = [body(kind, action, r) for r in records]
        await store.request("POST", PRICE_LIST_ASSIGNMENTS, json=bodies)
        lists = ",".join(sorted({str(b["price_list_id"]) for b in bodies}))
        ids = {}
        async for page in store.pages(PRICE_LIST_ASSIGNMENTS, {"price_list_id:in": lists}):
            for item in page:
                made = (
                    item.get("price_list_id"),
                    item.get("customer_group_id"),
                    item.get("channel_id"),
                )
                ids[made] = item["id"]
        return [
            Outcome(id=ids.get((b["price_list_id"], b.get("customer_group_id"), b["channel_id"])))
            for b in bodies
        ]


class _CouponCodes(_Batch):
    """Coupon codes: created one a request, deleted by id, 250 a request per promotion."""

    def __init__(self) -> None:
        super().__init__("DELETE", PROMOTION_CODES)

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        if action is Action.CREATE:
            (record,) = records
            path = PROMOTION_CODES.format(promotion_id=record.owner_id)
            payload = body(kind, action, record)
            response = await store.request("POST", path, endpoint=PROMOTION_CODES, json=payload)
            return [Outcome(id=_id_of(kind, _json_data(response) or {}))]
        owners: dict[Any, list[Record]] = {}
        for record in records:
            owners.setdefault(record.owner_id, []).append(record)
        for owner, group in owners.items():
            path = PROMOTION_CODES.format(promotion_id=owner)
            ids = ",".join(str(r.id) for r in group)
            await store.request("DELETE", path, endpoint=PROMOTION_CODES, params={"id:in": ids})
        return [Outcome(id=r.id) for r in records]


class _Locations(_Batch):
    """Inventory locations: created and updated in batches (the answer is a transaction id: the
    created are found by code), deleted by id; a created location's stock is written after it."""

    def __init__(self) -> None:
        super().__init__("POST", LOCATIONS)

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        if action is Action.DELETE:
            gone = ",".join(str(r.id) for r in records)
            await store.request("DELETE", LOCATIONS, params={"location_id:in": gone})
            return [Outcome(id=r.id) for r in records]
        if action is Action.UPDATE:
            bodies = [{"id": r.id, **body(kind, action, r)} for r in records]
            await store.request("PUT", LOCATIONS, json=bodies)
            return [Outcome(id=r.id) for r in records]
        await store.request("POST", LOCATIONS, json=[body(kind, action, r) for r in records])
        params = {"location_code:in": ",".join(r.key for r in records)}
        listed = await store.data("GET", LOCATIONS, LOCATIONS, params=params)
        ids: dict[str, int] = {item["code"]: item["id"] for item in listed or ()}
        stock = [
            Record(str(s["sku"]), {k: v for k, v in s.items() if k != "sku"}, owner_id=ids[r.key])
            for r in records
            if r.key in ids
            for s in r.values.get("stock") or ()
        ]
        size = KINDS[Kind.STOCK].batch_size(Action.CREATE)
        for i in range(0, len(stock), size):
            await _Stock().send(store, Kind.STOCK, Action.CREATE, stock[i : i + size])
        return [
            Outcome(id=ids[r.key]) if r.key in ids else Outcome(error="not created")
            for r in records
        ]


class _Stock(_Batch):
    """Stock per location and SKU: quantities by one absolute adjustment, settings by one request
    per location; a SKU the location no longer holds is set to 0."""

    def __init__(self) -> None:
        super().__init__("PUT", ABSOLUTE)

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        def quantity(record: Record) -> Any:
            return 0 if action is Action.DELETE else record.values.get("quantity")

        items = [
            {"location_id": r.owner_id, "sku": r.key, "quantity": quantity(r)}
            for r in records
            if quantity(r) is not None
        ]
        if items:
            await store.request("PUT", ABSOLUTE, json={"reason": ADJUSTED_BY, "items": items})
        settings: dict[Any, list[dict[str, Any]]] = {}
        for record in records if action is not Action.DELETE else ():
            chosen = {k: v for k, v in record.values.items() if k in fields.STOCK_SETTINGS}
            if chosen:
                entry = {"identity": {"sku": record.key}, **chosen}
                settings.setdefault(record.owner_id, []).append(entry)
        for location_id, entries in settings.items():
            path = LOCATION_ITEMS.format(location_id=location_id)
            await store.request("PUT", path, endpoint=LOCATION_ITEMS, json={"settings": entries})
        return [Outcome(id=r.key) for r in records]


async def _create_promotion(
    store: BigCommerceRecords, record: Record, payload: dict[str, Any]
) -> Any:
    """A promotion, then its coupon codes, one a request."""
    data = await store._one("POST", PROMOTIONS, record, payload)
    for code in record.values.get("codes") or []:
        values = {k: v for k, v in code.items() if k != "code"}
        owned = Record(str(code["code"]), values, owner_id=data["id"])
        await _CouponCodes().send(store, Kind.COUPON_CODES, Action.CREATE, [owned])
    return data


_ASSOCIATIONS = "/v3/storefront/custom-template-associations"
Route = Callable[[BigCommerceRecords, Record, dict[str, Any]], Awaitable[Any]]


async def _create_product(
    store: BigCommerceRecords, record: Record, payload: dict[str, Any]
) -> Any:
    options = payload.pop("options", None) or []
    modifiers = payload.pop("modifiers", None) or []
    rules = payload.pop("complex_rules", None) or []
    if "bulk_pricing_rules" in payload:  # created with it
        payload["bulk_pricing_rules"] = [_pricing_body(r) for r in payload["bulk_pricing_rules"]]
    data = await store._one("POST", "/v3/catalog/products", record, payload)
    store.defer_metafields(Kind.PRODUCTS, record.values, data["id"])
    for review in record.values.get("reviews") or ():  # one request each: no batch of them
        one = Record(str(review["review"]), review, owner_id=data["id"])
        await store._one("POST", f"{_P}/reviews", one, body(Kind.REVIEWS, Action.CREATE, one))
    made = {sku_key(v.get("sku", "")): v["id"] for v in data.get("variants") or ()}
    for variant in record.values.get("variants") or ():
        store.defer_metafields(Kind.VARIANTS, variant, made.get(sku_key(variant["sku"])))
    sent = [i["image_url"] for i in payload.get("images") or []]
    if sent:
        await store.claim_images(data["id"], sent, answer=data.get("images"))
    answered = await _add_options(store, data, options, modifiers)
    if rules:  # named by the ids just answered
        names = _RuleNames(data.get("variants") or (), [m for m in answered if m])
        await fan_out(_post_rule(store, data["id"], rule, names) for rule in rules)
    if "channels" in record.refs:  # the store lists a new product on its first storefront
        await _assign_channels(store, [(data["id"], record.refs["channels"])], {DEFAULT_CHANNEL})
    return data


def _pricing_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """A bulk pricing rule as the API takes it (its key, `quantity_min`, a number)."""
    return {**values, "quantity_min": int(values["quantity_min"])}


def _pricing_route(method: str) -> Route:
    """Update (the whole rule: its values as observed, then as changed) or delete of a bulk
    pricing rule, whose store id carries its values."""

    async def send(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
        rule_id, observed = json.loads(str(record.id))
        path = f"/v3/catalog/products/{record.owner_id}/bulk-pricing-rules/{rule_id}"
        endpoint = "/v3/catalog/products/{product_id}/bulk-pricing-rules/{id}"
        if method == "DELETE":
            await store.request("DELETE", path, endpoint=endpoint)
            return None
        body = {"id": rule_id, **observed, **payload}
        return await store.data("PUT", path, endpoint, json=body)

    return send


class _RuleNames:
    """Store ids of the modifiers, their values and the variants of one product, by natural key
    (as complex rules' conditions name them)."""

    def __init__(self, variants: Iterable[dict[str, Any]], modifiers: Iterable[dict[str, Any]]):
        self.variants = {sku_key(v.get("sku", "")): v["id"] for v in variants}
        self.modifiers = {
            str(m["display_name"]).casefold(): (
                m["id"],
                {str(v["label"]).casefold(): v["id"] for v in m.get("option_values") or ()},
            )
            for m in modifiers
        }

    def conditions(self, written: Iterable[Mapping[str, str]]) -> list[dict[str, Any]]:
        """Conditions as the API takes them; a name the product lacks is a 422 of this rule."""
        out = []
        for condition in written:
            ids: dict[str, Any] = {
                "modifier_id": None,
                "modifier_value_id": None,
                "variant_id": None,
            }
            if condition.get("modifier"):
                found = self.modifiers.get(condition["modifier"].casefold())
                value = found[1].get(str(condition.get("value", "")).casefold()) if found else None
                if found is None or value is None:
                    raise RequestRejected(
                        f"the product has no modifier value {condition['modifier']}="
                        f"{condition.get('value')}",
                        status=422,
                    )
                ids.update(modifier_id=found[0], modifier_value_id=value)
            if condition.get("variant"):
                variant = self.variants.get(sku_key(condition["variant"]))
                if variant is None:
                    raise RequestRejected(
                        f"the product has no variant {condition['variant']}", status=422
                    )
                ids["variant_id"] = variant
            out.append(ids)
        return out


async def _post_rule(
    store: BigCommerceRecords, product_id: Any, values: Mapping[str, Any], names: _RuleNames
) -> Any:
    """Create a complex rule, its conditions by the product's ids."""
    body = {k: v for k, v in values.items() if k != "conditions"}
    body["product_id"] = product_id  # the API requires it
    body["conditions"] = names.conditions(values.get("conditions") or ())
    return await store.data(
        "POST",
        f"/v3/catalog/products/{product_id}/complex-rules",
        "/v3/catalog/products/{product_id}/complex-rules",
        json=body,
    )


async def _create_rule(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
    """A complex rule of an existing product: its names read once per product and phase."""
    names = store.rule_names.get(record.owner_id)
    if names is None:
        product = await store.data(
            "GET",
            f"/v3/catalog/products/{record.owner_id}",
            "/v3/catalog/products/{product_id}",
            params={"include": "variants,modifiers", "include_fields": "sku"},
        )
        names = _RuleNames(product.get("variants") or (), product.get("modifiers") or ())
        store.rule_names = {**store.rule_names, record.owner_id: names}
    return await _post_rule(store, record.owner_id, payload, names)


async def _add_options(
    store: BigCommerceRecords,
    product: dict[str, Any],
    options: Sequence[dict[str, Any]],
    modifiers: Sequence[dict[str, Any]],
) -> list[Any]:
    """A new product's variant options and modifiers, one request each: the options its variants
    made (their ids read from the variants answered) are written as declared, in place; the
    others, and the modifiers, are created with all their values (answered, in order)."""
    made: dict[str, tuple[int, dict[str, int]]] = {}  # folded name -> (id, value ids by label)
    for variant in product.get("variants") or ():
        for value in variant.get("option_values") or ():
            name = value["option_display_name"].casefold()
            made.setdefault(name, (value["option_id"], {}))[1][value["label"]] = value["id"]
    product_id = product["id"]
    writes: list[Awaitable[Any]] = []
    for declared in options:
        found = made.get(str(declared["display_name"]).casefold())
        if found is None:
            writes.append(_post_option(store, product_id, "options", declared))
        else:
            ref = json.dumps([found[0], [list(v) for v in found[1].items()], declared["type"]])
            writes.append(_put_option(store, product_id, "options", ref, declared))
    writes += [_post_option(store, product_id, "modifiers", m) for m in modifiers]
    return (await fan_out(writes))[len(options) :]  # the modifiers as answered


async def _post_option(
    store: BigCommerceRecords, product_id: Any, path: str, values: Mapping[str, Any]
) -> Any:
    """Create an option or modifier with all its values: one request."""
    body = {k: v for k, v in values.items() if k not in _OPTION_READ_ONLY}
    return await store.data(
        "POST",
        f"/v3/catalog/products/{product_id}/{path}",
        f"/v3/catalog/products/{{product_id}}/{path}",
        json=body,
    )


async def _put_option(
    store: BigCommerceRecords, product_id: Any, path: str, ref: Any, values: Mapping[str, Any]
) -> Any:
    """Change an option or modifier in place: its fields and all its values in one request (a
    value by its id; a new one without), then each value it no longer has deleted. A variant
    option's update carries its type and values even when they stay (the API requires them)."""
    option_id, found, kind = read_option_ref(ref)
    ids = {label.casefold(): i for label, i in found}
    body = {k: v for k, v in values.items() if k not in _OPTION_READ_ONLY}
    if path == "options":
        body = {"product_id": int(product_id), "type": kind, **body}
        body.setdefault("option_values", [{"id": i, "label": label} for label, i in found])
    removed: list[int] = []
    if "option_values" in values:
        wanted = values["option_values"]
        body["option_values"] = [
            {**v, "id": ids[str(v["label"]).casefold()]}
            if str(v["label"]).casefold() in ids
            else dict(v)
            for v in wanted
        ]
        labels = {str(v["label"]).casefold() for v in wanted}
        removed = [i for label, i in ids.items() if label not in labels]
    endpoint = f"/v3/catalog/products/{{product_id}}/{path}/{{id}}"
    base = f"/v3/catalog/products/{product_id}/{path}/{option_id}"
    data = await store.data("PUT", base, endpoint, json=body)
    for value_id in removed:  # the platform deletes the variants that use a variant option's
        await store.request(
            "DELETE", f"{base}/values/{value_id}", endpoint=f"{endpoint}/values/{{value_id}}"
        )
    return data


_OPTION_READ_ONLY = frozenset({"id", "product_id", "name"})


def _option_route(path: str, action: Action) -> Route:
    """Create, update or delete of a variant option (`options`) or modifier (`modifiers`)."""

    async def send(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
        values = {"display_name": record.key, **payload}
        if action is Action.CREATE:
            return await _post_option(store, record.owner_id, path, values)
        if action is Action.UPDATE:
            return await _put_option(store, record.owner_id, path, record.id, values)
        option_id, *_ = read_option_ref(record.id)
        endpoint = f"/v3/catalog/products/{{product_id}}/{path}/{{id}}"
        await store.request(
            "DELETE",
            f"/v3/catalog/products/{record.owner_id}/{path}/{option_id}",
            endpoint=endpoint,
        )
        return None

    return send


CHANNEL_ASSIGNMENTS = "/v3/catalog/products/channel-assignments"


async def _assign_channels(
    store: BigCommerceRecords, wanted: Sequence[tuple[int, Iterable[int]]], known: Iterable[int]
) -> None:
    """Assign products to exactly the channels wanted (by id): one request for the assignments,
    one per set of channels to leave (`known`: the channels they may be on)."""
    pairs = [{"product_id": p, "channel_id": c} for p, channels in wanted for c in channels]
    if pairs:
        await store.request("PUT", CHANNEL_ASSIGNMENTS, json=pairs)
    leave: dict[frozenset[int], list[int]] = {}
    for product_id, channels in wanted:
        unwanted = frozenset(known) - set(channels)
        if unwanted:
            leave.setdefault(unwanted, []).append(product_id)
    for channels, products in sorted(leave.items(), key=lambda item: sorted(item[0])):
        params = {
            "product_id:in": ",".join(map(str, products)),
            "channel_id:in": ",".join(map(str, sorted(channels))),
        }
        await store.request("DELETE", CHANNEL_ASSIGNMENTS, params=params)


class _Products(_Batch):
    """Products updated in batches, then assigned to the channels they name."""

    async def send(
        self, store: BigCommerceRecords, kind: Kind, action: Action, records: Sequence[Record]
    ) -> list[Outcome]:
        outcomes = await super().send(store, kind, action, records)
        wanted = [
            (int(r.id), r.refs["channels"])
            for r, o in zip(records, outcomes, strict=True)
            if "channels" in r.refs and o.error is None and isinstance(r.id, int)
        ]
        if wanted:
            known = {DEFAULT_CHANNEL, *store.channel_ids.values()}
            await _assign_channels(store, wanted, known)
        return outcomes


async def _create_image(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
    product_id, source = int(record.owner_id or 0), payload["image_url"]
    if product_id in store.unclaimed_images:
        claimed = await store.claim_images(product_id, [source])
        if source in claimed:
            return {"id": claimed[source]}
    try:
        data = await store._one("POST", f"{_P}/images", record, payload, retry_unsafe=False)
    except (RequestRejected, StoreUnavailable):  # it may have been created all the same
        claimed = await store.claim_images(product_id, [source])
        if source not in claimed:
            raise
        return {"id": claimed[source]}
    await store.claim_images(product_id, [source], answer=[data])
    return data


async def _delete_image(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
    await store._one("DELETE", f"{_P}/images/{{id}}", record, None)
    path = f"/v3/catalog/products/{record.owner_id}/metafields"
    endpoint = "/v3/catalog/products/{product_id}/metafields"
    params = {"namespace": IMAGE_SOURCES, "key": str(record.id)}
    with contextlib.suppress(RequestRejected):  # a record left behind names no image: harmless
        for source in await store.data("GET", path, endpoint, params=params) or []:
            await store.request(
                "DELETE", f"{path}/{source['id']}", endpoint=endpoint + "/{metafield_id}"
            )


def _single(method: str, template: str, **kw: Any) -> Route:
    async def send(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
        return await store._one(method, template, record, payload, **kw)

    return send


async def _publish_layout(
    store: BigCommerceRecords, record: Record, payload: dict[str, Any]
) -> Any:
    """Publish a page's regions (none for a delete), custom widget templates named by name
    written by the target store's ids."""
    if record.id is not None:
        channel, template_file, entity_id = str(record.id).split("|", 2)
    else:
        channel = str(payload.get("channel_id", 1))
        template_file = str(payload.get("template_file", ""))
        entity_id = next((str(record.refs[k]) for k in ENTITY_KINDS if record.refs.get(k)), "")
    ids = dict(store.widget_template_ids)
    if record.refs.get("widget_templates"):  # resolved by the engine (made in this apply, too)
        names = sorted(payload.get("widget_templates") or ())
        ids.update(zip(names, record.refs["widget_templates"], strict=True))
    regions = payload.get("regions") or []
    named = {
        str(w["widget_template"]) for w in page_widgets(regions)[0] if w.get("widget_template")
    }
    if named - set(ids):  # made since the store was observed
        async for listed in store.pages(WIDGET_TEMPLATES, CUSTOM):
            ids.update((t["name"], t["uuid"]) for t in listed)
        store.widget_template_ids = dict(ids)
    missing = sorted(named - set(ids))
    if missing:
        raise RequestRejected(f"no widget template {missing[0]!r} in the store", status=422)

    def by_id(widget: dict[str, Any]) -> dict[str, Any]:
        if not widget.get("widget_template"):
            return widget
        out = {k: v for k, v in widget.items() if k != "widget_template"}
        return {"widget_template_uuid": ids[str(widget["widget_template"])], **out}

    body = {
        "channel_id": int(channel),
        "template_file": template_file,
        "entity_id": entity_id,
        "regions": map_page_widgets(regions, by_id),
    }
    await store.request("POST", PAGE_WIDGETS, json=body)
    return {"id": layout_address(int(channel), template_file, entity_id)}


def _create_found(path: str, kind: Kind) -> Route:
    """A create that is not resent after a failure that may have come after the store made the
    record: the record is looked for by natural key instead."""

    async def send(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
        try:
            return await store._one("POST", path, record, payload, retry_unsafe=False)
        except (RequestRejected, StoreUnavailable):
            found = await store._adopt(kind, record)
            if found is None:
                raise
            return {"uuid": found.id}

    return send


def _v2(method: str, template: str) -> Route:
    """One v2 request per record: the answer is the record itself, not `{data}`."""

    async def send(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
        path = template.format(id=record.id)
        response = await store.request(
            method, path, endpoint=template, json=None if method == "DELETE" else payload
        )
        return decode(response) if response.content else None

    return send


_CHANNEL = "/v3/channels/{id}"


async def _write_channel(store: BigCommerceRecords, record: Record, payload: dict[str, Any]) -> Any:
    """A channel, then its site and routes and its currency assignments (those it sets)."""
    values = {k: v for k, v in payload.items() if k not in ("site", "currencies")}
    if record.id is None:
        data = await store._one("POST", CHANNELS, record, {"name": record.key, **values})
        channel_id = int(data["id"])
        store.channel_ids = {**store.channel_ids, record.key: channel_id}
    else:
        channel_id = int(record.id)
        if values:
            await store._one("PUT", _CHANNEL, record, values)
    site = record.values.get("site")
    if "site" in payload and isinstance(site, dict):
        await _write_site(store, channel_id, site)
    currencies = record.values.get("currencies")
    if "currencies" in payload:
        path = f"{CHANNELS}/{channel_id}/currency-assignments"
        endpoint = "/v3/channels/{channel_id}/currency-assignments"
        if currencies:
            await store.request("PUT", path, endpoint=endpoint, json=currencies)
        else:  # the channel inherits the store's again
            await store.request("DELETE", path, endpoint=endpoint)
    return {"id": channel_id}


async def _write_site(store: BigCommerceRecords, channel_id: int, site: dict[str, Any]) -> None:
    """A channel's site at its URL, with exactly its routes (by type and what they match)."""
    path, endpoint = f"{CHANNELS}/{channel_id}/site", "/v3/channels/{channel_id}/site"
    try:
        found = await store.data("GET", path, endpoint)
    except RequestRejected as error:
        if error.status != 404:
            raise
        found = await store.data("POST", path, endpoint, json={"url": site["url"]})
        store.channel_sites = {**store.channel_sites, channel_id: found["id"]}
    if found.get("url") != site["url"]:
        await store.request("PUT", path, endpoint=endpoint, json={"url": site["url"]})
    routes_path = f"{SITES}/{found['id']}/routes"
    routes_endpoint = "/v3/sites/{site_id}/routes"
    current = {route_order(r): r async for page in store.pages(routes_path) for r in page}
    wanted = {route_order(r): r for r in site.get("routes") or ()}
    changed = [
        {"id": current[k]["id"], "route": r["route"]}
        for k, r in wanted.items()
        if k in current and current[k].get("route") != r["route"]
    ]
    if changed:
        await store.request("PUT", routes_path, endpoint=routes_endpoint, json=changed)
    for key in sorted(set(wanted) - set(current)):
        await store.request("POST", routes_path, endpoint=routes_endpoint, json=wanted[key])
    for key in sorted(set(current) - set(wanted)):
        await store.request(
            "DELETE",
            f"{routes_path}/{current[key]['id']}",
            endpoint=routes_endpoint + "/{route_id}",
        )


async def _delete_channel(
    store: BigCommerceRecords, record: Record, payload: dict[str, Any]
) -> Any:
    """Channels are not deleted through the API but given the status `deleted` (restorable for
    90 days)."""
    await store._one("PUT", _CHANNEL, record, {"status": "deleted"})


_P = "/v3/catalog/products/{owner}"
_ROUTES: dict[tuple[Kind, Action], Route | _Batch] = {
    (Kind.CHANNELS, Action.CREATE): _write_channel,
    (Kind.CHANNELS, Action.UPDATE): _write_channel,
    (Kind.CHANNELS, Action.DELETE): _delete_channel,
    (Kind.BRANDS, Action.CREATE): _owning(_single("POST", "/v3/catalog/brands"), Kind.BRANDS),
    (Kind.BRANDS, Action.UPDATE): _owning(_single("PUT", "/v3/catalog/brands/{id}"), Kind.BRANDS),
    (Kind.BRANDS, Action.DELETE): _single("DELETE", "/v3/catalog/brands/{id}"),
    (Kind.CATEGORIES, Action.CREATE): _Owning("POST", "/v3/catalog/trees/categories"),
    (Kind.CATEGORIES, Action.UPDATE): _Owning("PUT", "/v3/catalog/trees/categories"),
    (Kind.CATEGORIES, Action.DELETE): _Batch(
        "DELETE", "/v3/catalog/trees/categories", by_ids="category_id:in"
    ),
    (Kind.PRODUCTS, Action.CREATE): _create_product,
    (Kind.PRODUCTS, Action.UPDATE): _Products("PUT", "/v3/catalog/products", partial=True),
    (Kind.PRODUCTS, Action.DELETE): _Batch("DELETE", "/v3/catalog/products", by_ids="id:in"),
    (Kind.VARIANTS, Action.CREATE): _owning(_single("POST", f"{_P}/variants"), Kind.VARIANTS),
    (Kind.VARIANTS, Action.UPDATE): _Batch("PUT", "/v3/catalog/variants"),
    (Kind.VARIANTS, Action.DELETE): _single("DELETE", f"{_P}/variants/{{id}}"),
    # an option or modifier is changed in place with all its values, never made again
    **{
        (kind, action): _option_route(path, action)
        for kind, path in ((Kind.OPTIONS, "options"), (Kind.MODIFIERS, "modifiers"))
        for action in Action
    },
    # a complex rule's conditions are written by the ids of the product's modifiers and variants
    (Kind.COMPLEX_RULES, Action.CREATE): _create_rule,
    (Kind.COMPLEX_RULES, Action.UPDATE): _single("PUT", f"{_P}/complex-rules/{{id}}"),
    (Kind.COMPLEX_RULES, Action.DELETE): _single("DELETE", f"{_P}/complex-rules/{{id}}"),
    (Kind.BULK_PRICING_RULES, Action.CREATE): _single("POST", f"{_P}/bulk-pricing-rules"),
    (Kind.BULK_PRICING_RULES, Action.UPDATE): _pricing_route("PUT"),
    (Kind.BULK_PRICING_RULES, Action.DELETE): _pricing_route("DELETE"),
    (Kind.CUSTOM_FIELDS, Action.CREATE): _single("POST", f"{_P}/custom-fields"),
    (Kind.CUSTOM_FIELDS, Action.UPDATE): _single("PUT", f"{_P}/custom-fields/{{id}}"),
    (Kind.CUSTOM_FIELDS, Action.DELETE): _single("DELETE", f"{_P}/custom-fields/{{id}}"),
    # nothing would tell a second copy of an image from the first: never resent when ambiguous
    (Kind.IMAGES, Action.CREATE): _create_image,
    (Kind.IMAGES, Action.UPDATE): _single("PUT", f"{_P}/images/{{id}}"),
    (Kind.IMAGES, Action.DELETE): _delete_image,  # and the record of its source
    (Kind.VIDEOS, Action.CREATE): _single("POST", f"{_P}/videos"),
    (Kind.VIDEOS, Action.UPDATE): _single("PUT", f"{_P}/videos/{{id}}"),
    (Kind.VIDEOS, Action.DELETE): _single("DELETE", f"{_P}/videos/{{id}}"),
    (Kind.REVIEWS, Action.CREATE): _single("POST", f"{_P}/reviews"),
    (Kind.REVIEWS, Action.UPDATE): _single("PUT", f"{_P}/reviews/{{id}}"),
    (Kind.REVIEWS, Action.DELETE): _single("DELETE", f"{_P}/reviews/{{id}}"),
    (Kind.SCRIPTS, Action.CREATE): _single("POST", "/v3/content/scripts"),
    (Kind.SCRIPTS, Action.UPDATE): _single("PUT", "/v3/content/scripts/{id}"),
    (Kind.SCRIPTS, Action.DELETE): _single("DELETE", "/v3/content/scripts/{id}"),
    (Kind.BLOG_POSTS, Action.CREATE): _v2("POST", "/v2/blog/posts"),
    (Kind.BLOG_POSTS, Action.UPDATE): _v2("PUT", "/v2/blog/posts/{id}"),
    (Kind.BLOG_POSTS, Action.DELETE): _v2("DELETE", "/v2/blog/posts/{id}"),
    # a customer is created without its password and without the welcome email
    (Kind.CUSTOMERS, Action.CREATE): _Batch("POST", CUSTOMERS),
    (Kind.CUSTOMERS, Action.UPDATE): _CustomerUpdates(),
    (Kind.CUSTOMERS, Action.DELETE): _Batch("DELETE", CUSTOMERS, by_ids="id:in"),
    (Kind.CUSTOMER_ATTRIBUTES, Action.CREATE): _Batch("POST", CUSTOMER_ATTRIBUTES),
    (Kind.CUSTOMER_ATTRIBUTES, Action.UPDATE): _Batch("PUT", CUSTOMER_ATTRIBUTES),
    (Kind.CUSTOMER_ATTRIBUTES, Action.DELETE): _Batch(
        "DELETE", CUSTOMER_ATTRIBUTES, by_ids="id:in"
    ),
    (Kind.PRICE_LISTS, Action.CREATE): _create_price_list,
    (Kind.PRICE_RECORDS, Action.CREATE): _PriceRecords(),
    (Kind.PRICE_RECORDS, Action.UPDATE): _PriceRecords(),
    (Kind.PRICE_RECORDS, Action.DELETE): _PriceRecords(),
    (Kind.PRICE_LISTS, Action.UPDATE): _single("PUT", f"{PRICE_LISTS}/{{id}}"),
    (Kind.PRICE_LISTS, Action.DELETE): _single("DELETE", f"{PRICE_LISTS}/{{id}}"),
    (Kind.PRICE_LIST_ASSIGNMENTS, Action.CREATE): _Assignments(),
    (Kind.PRICE_LIST_ASSIGNMENTS, Action.DELETE): _Assignments(),
    (Kind.INVENTORY_LOCATIONS, Action.CREATE): _Locations(),
    (Kind.INVENTORY_LOCATIONS, Action.UPDATE): _Locations(),
    (Kind.INVENTORY_LOCATIONS, Action.DELETE): _Locations(),
    (Kind.STOCK, Action.CREATE): _Stock(),
    (Kind.STOCK, Action.UPDATE): _Stock(),
    (Kind.STOCK, Action.DELETE): _Stock(),
    (Kind.PROMOTIONS, Action.CREATE): _create_promotion,
    (Kind.PROMOTIONS, Action.UPDATE): _single("PUT", f"{PROMOTIONS}/{{id}}"),
    (Kind.PROMOTIONS, Action.DELETE): _single("DELETE", f"{PROMOTIONS}/{{id}}"),
    (Kind.COUPON_CODES, Action.CREATE): _CouponCodes(),
    (Kind.COUPON_CODES, Action.DELETE): _CouponCodes(),
    (Kind.CUSTOMER_GROUPS, Action.CREATE): _v2("POST", CUSTOMER_GROUPS),
    (Kind.CUSTOMER_GROUPS, Action.UPDATE): _v2("PUT", f"{CUSTOMER_GROUPS}/{{id}}"),
    (Kind.CUSTOMER_GROUPS, Action.DELETE): _v2("DELETE", f"{CUSTOMER_GROUPS}/{{id}}"),
    (Kind.WIDGET_TEMPLATES, Action.CREATE): _single("POST", WIDGET_TEMPLATES),
    (Kind.WIDGET_TEMPLATES, Action.UPDATE): _single("PUT", f"{WIDGET_TEMPLATES}/{{id}}"),
    (Kind.WIDGET_TEMPLATES, Action.DELETE): _single("DELETE", f"{WIDGET_TEMPLATES}/{{id}}"),
    # neither is unique on the platform: a create is never resent, but looked for after a failure
    (Kind.WIDGETS, Action.CREATE): _create_found(WIDGETS, Kind.WIDGETS),
    (Kind.WIDGETS, Action.UPDATE): _single("PUT", f"{WIDGETS}/{{id}}"),
    (Kind.WIDGETS, Action.DELETE): _single("DELETE", f"{WIDGETS}/{{id}}"),
    (Kind.PLACEMENTS, Action.CREATE): _create_found(PLACEMENTS, Kind.PLACEMENTS),
    (Kind.PLACEMENTS, Action.UPDATE): _single("PUT", f"{PLACEMENTS}/{{id}}"),
    (Kind.PLACEMENTS, Action.DELETE): _single("DELETE", f"{PLACEMENTS}/{{id}}"),
    # a page is published whole (deleted: published without regions)
    (Kind.PAGE_LAYOUTS, Action.CREATE): _publish_layout,
    (Kind.PAGE_LAYOUTS, Action.UPDATE): _publish_layout,
    (Kind.PAGE_LAYOUTS, Action.DELETE): _publish_layout,
    (Kind.TEMPLATE_ASSOCIATIONS, Action.CREATE): _Upsert(_ASSOCIATIONS),
    (Kind.TEMPLATE_ASSOCIATIONS, Action.UPDATE): _Upsert(_ASSOCIATIONS),
    (Kind.TEMPLATE_ASSOCIATIONS, Action.DELETE): _Upsert(_ASSOCIATIONS),
    (Kind.PAGES, Action.CREATE): _Batch("POST", "/v3/content/pages"),
    (Kind.PAGES, Action.UPDATE): _Batch("PUT", "/v3/content/pages"),
    (Kind.PAGES, Action.DELETE): _Batch("DELETE", "/v3/content/pages", by_ids="id:in"),
    # an upsert by site and path: a create that already happened is simply written again
    (Kind.REDIRECTS, Action.CREATE): _Batch("PUT", "/v3/storefront/redirects"),
    (Kind.REDIRECTS, Action.UPDATE): _Batch("PUT", "/v3/storefront/redirects"),
    (Kind.REDIRECTS, Action.DELETE): _Batch("DELETE", "/v3/storefront/redirects", by_ids="id:in"),
}
for _kind, _path in METAFIELD_PATHS.items():  # in batches across owners
    _ROUTES[_kind, Action.CREATE] = _Metafields("POST", _path)
    _ROUTES[_kind, Action.UPDATE] = _Metafields("PUT", _path)
    _ROUTES[_kind, Action.DELETE] = _Metafields("DELETE", _path)
_ADOPT_ON: dict[Kind, tuple[int, ...]] = {
    Kind.CATEGORIES: (409, 422),
    Kind.PAGES: (422,),
    Kind.CUSTOMERS: (422,),
    Kind.CUSTOMER_ATTRIBUTES: (422,),
    **{kind: (409, 422) for kind in METAFIELD_KINDS},  # a batch's items fail with a 422
}
