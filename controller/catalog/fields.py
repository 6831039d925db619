"""Types and limits of the writable fields of each record kind, from the official OpenAPI specs.

One table serves both sides: the catalog loader checks what authors write, and the emulator checks
what clients send. A spec is `(type, limit)`: type is str, num, num? (nullable), int, bool, list, obj,
or a tuple of allowed values; limit is a maximum length for strings and lists, or None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FieldSpec = tuple[str | tuple[str, ...], int | None]
# A storefront URL as the API writes it (`url` required, up to `limit` characters).
URL_KEYS = frozenset({"url", "is_customized"})

PRODUCT: dict[str, FieldSpec] = {
    "name": ("str", 250),
    "type": (("physical", "digital"), None),
    "sku": ("str", 255),
    "description": ("str", None),
    "weight": ("num", None),
    "width": ("num", None),
    "depth": ("num", None),
    "height": ("num", None),
    "price": ("num", None),
    "cost_price": ("num", None),
    "retail_price": ("num", None),
    "sale_price": ("num", None),
    "map_price": ("num", None),
    "tax_class_id": ("int", None),
    "product_tax_code": ("str", 255),
    "inventory_level": ("int", None),
    "inventory_warning_level": ("int", None),
    "inventory_tracking": (("none", "product", "variant"), None),
    "fixed_cost_shipping_price": ("num", None),
    "is_free_shipping": ("bool", None),
    "is_visible": ("bool", None),
    "is_featured": ("bool", None),
    "warranty": ("str", 65535),
    "bin_picking_number": ("str", 255),
    "layout_file": ("str", 500),
    "upc": ("str", 14),
    "mpn": ("str", 255),
    "gtin": ("str", 14),
    "search_keywords": ("str", 65535),
    "availability": (("available", "disabled", "preorder"), None),
    "availability_description": ("str", 255),
    "gift_wrapping_options_type": (("any", "none", "list"), None),
    "sort_order": ("int", None),
    "condition": (("New", "Used", "Refurbished"), None),
    "is_condition_shown": ("bool", None),
    "order_quantity_minimum": ("int", None),
    "order_quantity_maximum": ("int", None),
    "page_title": ("str", 255),
    "meta_keywords": ("list", None),
    "meta_description": ("str", 65535),
    "preorder_message": ("str", 255),
    "is_preorder_only": ("bool", None),
    "is_price_hidden": ("bool", None),
    "price_hidden_label": ("str", 200),
    "open_graph_type": (
        ("product", "album", "book", "drink", "food", "game", "movie", "song", "tv_show"),
        None,
    ),
    "open_graph_title": ("str", 255),
    "open_graph_description": ("str", 65535),
    "open_graph_use_meta_description": ("bool", None),
    "open_graph_use_product_name": ("bool", None),
    "open_graph_use_image": ("bool", None),
    "custom_url": ("url", 255),
}

VARIANT: dict[str, FieldSpec] = {
    "sku": ("str", 255),
    "price": ("num?", None),
    "cost_price": ("num?", None),
    "sale_price": ("num?", None),
    "retail_price": ("num?", None),
    "map_price": ("num?", None),
    "weight": ("num?", None),
    "width": ("num?", None),
    "height": ("num?", None),
    "depth": ("num?", None),
    "is_free_shipping": ("bool", None),
    "fixed_cost_shipping_price": ("num?", None),
    "purchasing_disabled": ("bool", None),
    "purchasing_disabled_message": ("str", 255),
    "upc": ("str", 14),
    "image_url": ("str", None),
    "inventory_level": ("int", None),
    "inventory_warning_level": ("int", None),
    "bin_picking_number": ("str", 255),
    "mpn": ("str", 255),
    "gtin": ("str", 14),
}

CATEGORY: dict[str, FieldSpec] = {
    "name": ("str", 50),
    "description": ("str", 65535),
    "sort_order": ("int", None),
    "page_title": ("str", 255),
    "meta_keywords": ("list", None),
    "meta_description": ("str", 65535),
    "layout_file": ("str", 50),
    "image_url": ("str", None),
    "is_visible": ("bool", None),
    "search_keywords": ("str", 255),
    "custom_url": ("url", 255),  # the trees API's `url: {path, is_customized}`
    "default_product_sort": (
        (
            "use_store_settings",
            "featured",
            "newest",
            "best_selling",
            "alpha_asc",
            "alpha_desc",
            "avg_customer_review",
            "price_asc",
            "price_desc",
        ),
        None,
    ),
}

BRAND: dict[str, FieldSpec] = {
    "name": ("str", 255),
    "page_title": ("str", 255),
    "meta_keywords": ("list", None),
    "meta_description": ("str", 65535),
    "search_keywords": ("str", 255),
    "image_url": ("str", None),
    "custom_url": ("url", 255),
}

CUSTOM_FIELD: dict[str, FieldSpec] = {"name": ("str", 250), "value": ("str", 250)}

METAFIELD_PERMISSIONS = ("app_only", "read", "write", "read_and_sf_access", "write_and_sf_access")
METAFIELD: dict[str, FieldSpec] = {  # of products, variants, categories and brands alike
    "namespace": ("str", 64),
    "key": ("str", 64),
    "value": ("str", 65535),
    "permission_set": (METAFIELD_PERMISSIONS, None),
    "description": ("str", 255),
}
MAX_METAFIELDS = 250  # per owner (and client)

REVIEW_STATUSES = ("approved", "disapproved", "pending")
REVIEW: dict[str, FieldSpec] = {  # product reviews (the reviewer's name and email aside)
    "title": ("str", 255),
    "text": ("str", None),
    "status": (REVIEW_STATUSES, None),
    "rating": ("int", None),
    "date_reviewed": ("str", None),
}

VIDEO: dict[str, FieldSpec] = {  # product videos (YouTube's, by their id)
    "video_id": ("str", 25),
    "title": ("str", 255),
    "description": ("str", None),
    "sort_order": ("int", None),
    "type": (("youtube",), None),
}

IMAGE: dict[str, FieldSpec] = {
    "image_url": ("str", None),
    "is_thumbnail": ("bool", None),
    "sort_order": ("int", None),
    "description": ("str", None),
}

SCRIPT: dict[str, FieldSpec] = {
    "name": ("str", 255),
    "description": ("str", None),
    "html": ("str", 65536),
    "src": ("str", None),
    "auto_uninstall": ("bool", None),
    "load_method": (("default", "async", "defer"), None),
    "location": (("head", "footer"), None),
    "visibility": (("storefront", "all_pages", "checkout", "order_confirmation"), None),
    "kind": (("src", "script_tag"), None),
    "consent_category": (("essential", "functional", "analytics", "targeting"), None),
    "enabled": ("bool", None),
    "channel_id": ("int", None),
    "integrity_hashes": ("list", None),
}

PAGE_TYPES = ("page", "raw", "contact_form", "link", "blog")
PAGE: dict[str, FieldSpec] = {  # content/pages v3 (nullable texts are written as "")
    "name": ("str", 100),
    "type": (PAGE_TYPES, None),
    "url": ("str", None),
    "channel_id": ("int", None),
    "is_visible": ("bool", None),
    "sort_order": ("int", None),
    "is_homepage": ("bool", None),
    "is_customers_only": ("bool", None),
    "body": ("str", None),
    "content_type": ("str", None),
    "email": ("str", 255),
    "contact_fields": ("str", None),
    "link": ("str", None),
    "meta_title": ("str", None),
    "meta_keywords": ("str", None),
    "meta_description": ("str", None),
    "search_keywords": ("str", None),
}

BLOG_POST: dict[str, FieldSpec] = {  # blog/posts v2 (published_date: ISO 8601 in files)
    "title": ("str", None),
    "url": ("str", None),
    "body": ("str", None),
    "tags": ("list", None),
    "is_published": ("bool", None),
    "published_date": ("str", None),
    "meta_description": ("str", None),
    "meta_keywords": ("str", None),
    "author": ("str", None),
    "thumbnail_path": ("str", None),
}

WIDGET_TEMPLATE: dict[str, FieldSpec] = {  # content/widget-templates v3 (kept exactly as written)
    "name": ("str", None),
    "schema": ("list", None),
    "template": ("str", None),
    "storefront_api_query": ("str", None),
    "channel_id": ("int", None),
}

WIDGET: dict[str, FieldSpec] = {  # content/widgets v3 (its template named by the template's name)
    "name": ("str", None),
    "description": ("str", None),
    "widget_configuration": ("obj", None),
    "channel_id": ("int", None),
}
MAX_WIDGET_CONFIGURATION_BYTES = 64 * 1024  # "a 64kb limit on the JSON size"

PLACEMENT_STATUSES = ("active", "inactive")
# The template files placements may name (docs/storefront/widgets), besides the custom templates
# `pages/custom/{product,brand,category,page}/<file>`; those of the four kinds take an `entity_id`.
PLACEABLE_TEMPLATES = frozenset(
    [f"pages/account/{p}" for p in ("add-address", "add-return", "add-wishlist", "addresses")]
    + [f"pages/account/{p}" for p in ("download-item", "edit", "inbox", "recent-items")]
    + [f"pages/account/orders/{p}" for p in ("all", "completed", "details", "invoice")]
    + [f"pages/account/{p}" for p in ("return-saved", "returns", "wishlist-details", "wishlists")]
    + [f"pages/auth/{p}" for p in ("account-created", "create-account", "forgot-password")]
    + ["pages/auth/login", "pages/auth/new-password", "pages/errors/403", "pages/errors/404"]
    + ["pages/errors/generic", "pages/unavailable/hibernation", "pages/unavailable/maintenance"]
    + [f"pages/gift-certificate/{p}" for p in ("balance", "purchase", "redeem")]
    + [f"pages/{p}" for p in ("blog", "blog-post", "brand", "brands", "cart", "category")]
    + [f"pages/{p}" for p in ("compare", "contact-us", "home", "order-confirmation", "page")]
    + [f"pages/{p}" for p in ("product", "search", "sitemap", "subscribed", "unsubscribe")]
)
ENTITY_KINDS = ("product", "category", "brand", "page")
MAX_PLACEMENTS_PER_TEMPLATE = 75


def placement_entity(template_file: str) -> str | None:
    """The kind of record a placement on `template_file` may target (`product` for
    `pages/product` and `pages/custom/product/x`), None for the others; "" for a file placements
    may not name."""
    parts = template_file.split("/")
    if len(parts) == 4 and parts[:2] == ["pages", "custom"] and parts[2] in ENTITY_KINDS:
        return parts[2] if parts[3] else ""
    if template_file not in PLACEABLE_TEMPLATES:
        return ""
    return parts[1] if len(parts) == 2 and parts[1] in ENTITY_KINDS else None


PLACEMENT: dict[str, FieldSpec] = {  # content/placements v3 (its widget and entity by natural key)
    "template_file": ("str", None),
    "region": ("str", None),
    "sort_order": ("int", None),
    "status": (PLACEMENT_STATUSES, None),
    "channel_id": ("int", None),
}

PAGE_LAYOUT: dict[str, FieldSpec] = {  # content/page-widgets v3: a page's regions, whole
    "template_file": ("str", None),
    "regions": ("list", None),
    "channel_id": ("int", None),
}
# Page Builder's limits (docs/storefront/widgets/page-widgets): per page, and per channel.
MAX_PAGE_WIDGETS, MAX_CHANNEL_WIDGETS = 150, 50_000
MAX_PAGE_LAYOUTS, MAX_CHANNEL_LAYOUTS = 150, 10_000


def page_widgets(regions: Any) -> tuple[list[dict[str, Any]], int]:
    """The widget objects of a page's regions (those in layouts' dropzones too) and its number of
    layouts (anything malformed is skipped)."""
    widgets: list[dict[str, Any]] = []
    layouts = 0
    for region in regions if isinstance(regions, list) else ():
        children = region.get("children") if isinstance(region, dict) else None
        for child in children if isinstance(children, list) else ():
            if not isinstance(child, dict):
                continue
            if child.get("type") != "layout":
                widgets.append(child)
                continue
            layouts += 1
            for zone in child.get("dropzones") or ():
                found = zone.get("widgets") if isinstance(zone, dict) else None
                widgets += [w for w in found or () if isinstance(w, dict)]
    return widgets, layouts


def map_page_widgets(regions: list[Any], change: Any) -> list[Any]:
    """A page's regions with each widget object replaced by `change(widget)` (those in layouts'
    dropzones too); everything else as it is."""

    def child(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if value.get("type") != "layout":
            return change(value)
        zones = [
            {**z, "widgets": [change(w) if isinstance(w, dict) else w for w in z["widgets"]]}
            if isinstance(z, dict) and isinstance(z.get("widgets"), list)
            else z
            for z in value.get("dropzones") or ()
        ]
        return {**value, "dropzones": zones} if "dropzones" in value else value

    return [
        {**r, "children": [child(c) for c in r["children"]]}
        if isinstance(r, dict) and isinstance(r.get("children"), list)
        else r
        for r in regions
    ]


def schema_settings(template: Any) -> frozenset[str]:
    """The ids of the settings a widget template's Page Builder schema declares (in tabs'
    sections, hidden settings and arrays; empty for a template without a schema)."""
    schema = getattr(template, "fields", {}).get("schema") if template is not None else None
    found: set[str] = set()
    for entry in schema if isinstance(schema, list) else ():
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "array" and isinstance(entry.get("id"), str):
            found.add(entry["id"])
        sections = entry.get("sections") if entry.get("type") == "tab" else [entry]
        for section in sections if isinstance(sections, list) else ():
            settings = section.get("settings") if isinstance(section, dict) else None
            for setting in settings if isinstance(settings, list) else ():
                if isinstance(setting, dict) and isinstance(setting.get("id"), str):
                    found.add(setting["id"])
    return frozenset(found)


TEMPLATE_ASSOCIATION: dict[str, FieldSpec] = {  # storefront/custom-template-associations v3
    "file_name": ("str", None),
    "channel_id": ("int", None),
}

CUSTOMER_GROUP: dict[str, FieldSpec] = {  # customer_groups v2 (references as natural keys)
    "name": ("str", 255),
    "is_default": ("bool", None),
    "is_group_for_guests": ("bool", None),
    "category_access": ("obj", None),
    "discount_rules": ("list", None),
}
PRICE_LIST: dict[str, FieldSpec] = {  # pricelists v3
    "name": ("str", 255),
    "active": ("bool", None),
}

PRICE_RECORD: dict[str, FieldSpec] = {  # pricelists/{id}/records v3 (by SKU and currency)
    "sku": ("str", 255),
    "currency": ("str", 3),
    "price": ("num", None),
    "sale_price": ("num?", None),
    "retail_price": ("num?", None),
    "map_price": ("num?", None),
    "bulk_pricing_tiers": ("list", None),  # each as BULK_PRICING_RULE (quantity_max: null, none)
}
PRICES = ("price", "sale_price", "retail_price", "map_price")

PRICE_LIST_ASSIGNMENT: dict[str, FieldSpec] = {  # pricelists/assignments v3 (names as keys)
    "price_list": ("str", 255),
    "customer_group": ("str", 255),
    "channel": ("str", 255),
}
PROMOTION: dict[str, FieldSpec] = {  # promotions v3 (references inside as natural keys)
    "name": ("str", 255),
    "display_name": ("str", 255),
    "redemption_type": (("AUTOMATIC", "COUPON"), None),
    "coupon_type": (("SINGLE", "BULK"), None),
    "channels": ("list", None),
    "customer": ("obj", None),
    "rules": ("list", None),
    "max_uses": ("int", None),
    "status": (("ENABLED", "DISABLED"), None),
    "start_date": ("str", None),
    "end_date": ("str", None),
    "stop": ("bool", None),
    "can_be_used_with_other_promotions": ("bool", None),
    "coupon_overrides_other_promotions": ("bool", None),
    "currency_code": ("str", 3),
    "notifications": ("list", None),
    "shipping_address": ("obj", None),
    "schedule": ("obj", None),
}
COUPON_CODE: dict[str, FieldSpec] = {  # promotions/{id}/codes v3
    "code": ("str", 50),
    "max_uses": ("int", None),
    "max_uses_per_customer": ("int", None),
}
# Item matchers name records by these keys (ids in the API, natural keys in files); a gift item
# names its product by `product_id` (`product` in files).
PROMOTION_MATCHERS = {"brands": "brands", "categories": "categories", "products": "products"}
MONEY_KEYS = frozenset(
    {
        "fixed_amount",
        "percentage_amount",
        "minimum_spend",
        "fixed_price",
        "maximum_allowed_discount_amount",
    }
)
COUPON_CODE_CHARS = r"[A-Za-z0-9_ -]+"

LOCATION: dict[str, FieldSpec] = {  # inventory/locations v3 (operational: no file)
    "code": ("str", 255),
    "label": ("str", 255),
    "description": ("str", None),
    "type_id": (("PHYSICAL", "VIRTUAL"), None),
    "enabled": ("bool", None),
    "managed_by_external_source": ("bool", None),
    "storefront_visibility": ("bool", None),
    "time_zone": ("str", None),
    "address": ("obj", None),
    "operating_hours": ("obj", None),
    "special_hours": ("list", None),
}
STOCK: dict[str, FieldSpec] = {  # inventory v3: one SKU's stock at one location
    "sku": ("str", 255),
    "quantity": ("int", None),  # total_inventory_onhand, set by absolute adjustment
    "safety_stock": ("int", None),
    "is_in_stock": ("bool", None),
    "warning_level": ("int", None),
    "bin_picking_number": ("str", None),
}
STOCK_SETTINGS = ("safety_stock", "is_in_stock", "warning_level", "bin_picking_number")

CUSTOMER_ATTRIBUTE: dict[str, FieldSpec] = {  # customers/attributes v3
    "name": ("str", 255),
    "type": (("string", "number", "date"), None),
}

CUSTOMER: dict[str, FieldSpec] = {  # customers v3 (attributes by name; personal data: no file)
    "email": ("str", 255),
    "first_name": ("str", 100),
    "last_name": ("str", 100),
    "company": ("str", 255),
    "phone": ("str", 50),
    "notes": ("str", None),
    "tax_exempt_category": ("str", 255),
    "accepts_product_review_abandoned_cart_emails": ("bool", None),
    "store_credit_amounts": ("list", None),
    "addresses": ("list", 10),
    "attributes": ("obj", None),
    "form_fields": ("list", None),
}
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "state_or_province",
    "postal_code",
    "country_code",
    "phone",
    "address_type",
)

CATEGORY_ACCESS_TYPES = ("all", "specific", "none")
DISCOUNT_RULE_TYPES = ("all", "category", "product", "price_list")
DISCOUNT_METHODS = ("percent", "fixed", "price")

REDIRECT_TYPES = ("product", "brand", "category", "page", "post", "url")
REDIRECT: dict[str, FieldSpec] = {  # storefront/redirects v3 (the target as written in files)
    "from_path": ("str", None),
    "site_id": ("int", None),
    "to_url": ("str", 2048),
}

CHANNEL_TYPES = ("storefront", "pos", "marketplace", "marketing")
# the statuses a channel can be written with (`deleted` is how a channel is deleted)
CHANNEL_STATUSES = ("prelaunch", "active", "inactive", "connected", "disconnected", "archived")
CHANNEL: dict[str, FieldSpec] = {  # channels v3, with its site (sites v3) and currencies
    "name": ("str", 255),
    "type": (CHANNEL_TYPES, None),
    "platform": ("str", 64),
    "status": (CHANNEL_STATUSES, None),
    "external_id": ("str", 255),
    "is_visible": ("bool", None),
    "is_listable_from_ui": ("bool", None),
    "site": ("obj", None),  # {url, routes: [{type, matching, route}]}
    "currencies": ("obj", None),  # {enabled_currencies, default_currency}
}


def by_channel_name(
    table: dict[str, FieldSpec], id_field: str = "channel_id"
) -> dict[str, FieldSpec]:
    """A table as catalogs write it: the channel by name (`channel`; the first storefront when
    absent) where the API takes the store's id of the channel (or of its site)."""
    out = {k: v for k, v in table.items() if k != id_field}
    out["channel"] = ("str", 255)
    return out


# Fields allowed to be negative (everything numeric else has minimum 0 in the specs).
SIGNED = frozenset({"sort_order"})


def check_value(name: str, spec: FieldSpec, value: Any) -> str | None:
    """Why `value` is not acceptable for field `name`, or None when it is."""
    kind, limit = spec
    if kind == "num?" and value is None:
        return None
    if kind == "url":
        return _url_problem(name, value, limit)
    ok = (
        (kind == "str" and isinstance(value, str))
        or (
            kind in ("num", "num?")
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        )
        or (kind == "int" and isinstance(value, int) and not isinstance(value, bool))
        or (kind == "bool" and isinstance(value, bool))
        or (kind == "list" and isinstance(value, list))
        or (kind == "obj" and isinstance(value, dict))
        or (isinstance(kind, tuple) and value in kind)
    )
    if not ok:
        expected = (
            f"one of {', '.join(kind)}" if isinstance(kind, tuple) else _EXPECTED[kind.rstrip("?")]
        )
        return f"{name} must be {expected}"
    if kind in ("num", "num?", "int") and value < 0 and name not in SIGNED:
        return f"{name} must not be negative"
    if limit is not None and isinstance(value, str | list) and len(value) > limit:
        unit = "characters" if isinstance(value, str) else "items"
        return f"{name} must be at most {limit} {unit} long"
    return None


def _url_problem(name: str, value: Any, limit: int | None) -> str | None:
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        return f"{name} must be a mapping with url and is_customized"
    if unknown := sorted(set(value) - URL_KEYS):
        return f"{name} has no field {unknown[0]!r} (it has url and is_customized)"
    if not value["url"] or (limit is not None and len(value["url"]) > limit):
        return f"{name}.url must be 1 to {limit} characters long"
    if not isinstance(value.get("is_customized"), bool):
        return f"{name}.is_customized must be true or false"
    return None


_EXPECTED = {
    "str": "text",
    "num": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "list": "a list",
    "obj": "a mapping",
}


def _predicate(name: str, spec: FieldSpec) -> Any:
    """A fast yes/no check equivalent to `check_value(...) is None`."""
    kind, limit = spec
    if isinstance(kind, tuple):
        allowed = frozenset(kind)
        return lambda v: isinstance(v, str) and v in allowed
    signed = name in SIGNED
    if kind == "str":
        return (
            (lambda v: type(v) is str)
            if limit is None
            else (lambda v: type(v) is str and len(v) <= limit)
        )
    if kind == "bool":
        return lambda v: type(v) is bool
    if kind == "int":
        return lambda v: type(v) is int and (signed or v >= 0)
    if kind in ("num", "num?"):
        nullable = kind == "num?"
        return lambda v: (
            (nullable and v is None)
            or ((type(v) is int or type(v) is float) and (signed or v >= 0))
        )
    if kind == "url":
        return lambda v: _url_problem(name, v, limit) is None
    if kind == "list":
        return (
            (lambda v: type(v) is list)
            if limit is None
            else (lambda v: type(v) is list and len(v) <= limit)
        )
    return lambda v: type(v) is dict


def compile_checks(table: dict[str, FieldSpec]) -> dict[str, Any]:
    """Name -> fast predicate for every field of a table (use `check_value` for the message)."""
    return {name: _predicate(name, spec) for name, spec in table.items()}


# ---- variant options, modifiers and their values (product-variant-options, product-modifiers) ----

OPTION_TYPES = (
    "radio_buttons",
    "rectangles",
    "dropdown",
    "product_list",
    "product_list_with_images",
    "swatch",
)
MODIFIER_TYPES = (
    "date",
    "checkbox",
    "file",
    "text",
    "multi_line_text",
    "numbers_only_text",
    *OPTION_TYPES,
)
# the modifier types whose values a shopper picks from (the others have none, a checkbox's two)
MODIFIER_LIST_TYPES = frozenset(OPTION_TYPES)
MAX_OPTION_NAME = 255

OPTION: dict[str, FieldSpec] = {
    "display_name": ("str", MAX_OPTION_NAME),
    "type": (OPTION_TYPES, None),
    "sort_order": ("int", None),
    "config": ("obj", None),
    "option_values": ("list", None),
}

MODIFIER: dict[str, FieldSpec] = {
    "display_name": ("str", MAX_OPTION_NAME),
    "type": (MODIFIER_TYPES, None),
    "required": ("bool", None),
    "sort_order": ("int", None),
    "config": ("obj", None),
    "option_values": ("list", None),
}

# one value of an option or modifier (`adjusters`: modifiers only)
OPTION_VALUE: dict[str, FieldSpec] = {
    "label": ("str", 255),
    "sort_order": ("int", None),
    "is_default": ("bool", None),
    "value_data": ("obj", None),
}
MODIFIER_VALUE: dict[str, FieldSpec] = {**OPTION_VALUE, "adjusters": ("obj", None)}
ADJUSTERS = ("relative", "percentage")


def option_value(raw: Any, index: int, *, adjusters: bool) -> dict[str, Any]:
    """One option or modifier value as compared and written: label, sort_order (its position
    when not given), is_default when true, value_data and the adjusters that say something (the
    platform answers empty ones for every value)."""
    value: dict[str, Any] = {"label": raw.get("label", "")}
    value["sort_order"] = raw.get("sort_order") if raw.get("sort_order") is not None else index
    if raw.get("is_default"):
        value["is_default"] = True
    if raw.get("value_data"):
        value["value_data"] = raw["value_data"]
    if adjusters:
        found = _adjusters(raw.get("adjusters") or {})
        if found:
            value["adjusters"] = found
    return value


def _adjusters(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("price", "weight"):
        adjuster = raw.get(name) or {}
        if adjuster.get("adjuster"):
            out[name] = {
                "adjuster": adjuster["adjuster"],
                "adjuster_value": adjuster.get("adjuster_value", 0),
            }
    if raw.get("image_url"):
        out["image_url"] = raw["image_url"]
    disabled = raw.get("purchasing_disabled") or {}
    if disabled.get("status"):
        out["purchasing_disabled"] = {"status": True, "message": disabled.get("message", "")}
    return out


def value_problem(raw: Any, table: dict[str, FieldSpec]) -> str | None:
    """Why one written option or modifier value is not acceptable (None when it is)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("label"), str) or not raw["label"]:
        return "a value is a mapping with a label"
    for name, value in raw.items():
        if name not in table:
            return f"unknown field {name!r}"
        problem = check_value(name, table[name], value)
        if problem:
            return problem
    for name in ("price", "weight"):
        adjuster = (raw.get("adjusters") or {}).get(name) or {}
        if adjuster.get("adjuster") not in (None, *ADJUSTERS):
            return f"adjusters.{name}.adjuster must be one of {', '.join(ADJUSTERS)}"
    return None


# ---- complex rules and bulk pricing rules (products) ---------------------------------------------

ADJUSTER: dict[str, FieldSpec] = {"adjuster": (ADJUSTERS, None), "adjuster_value": ("num", None)}

COMPLEX_RULE: dict[str, FieldSpec] = {
    "sort_order": ("int", None),
    "enabled": ("bool", None),
    "stop": ("bool", None),
    "purchasing_disabled": ("bool", None),
    "purchasing_disabled_message": ("str", 255),
    "purchasing_hidden": ("bool", None),
    "image_url": ("str", None),
    "price_adjuster": ("obj", None),
    "weight_adjuster": ("obj", None),
}

BULK_PRICING_TYPES = ("price", "percent", "fixed")
BULK_PRICING_RULE: dict[str, FieldSpec] = {
    "quantity_min": ("int", None),
    "quantity_max": ("int", None),
    "type": (BULK_PRICING_TYPES, None),
    "amount": ("num", None),
}


def price_tiers(tiers: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A price record's bulk pricing tiers as catalogs compare and write them: by the quantity
    each starts at, without `quantity_max` when there is no maximum."""
    found = ({k: t[k] for k in BULK_PRICING_RULE if t.get(k) is not None} for t in tiers)
    return sorted(found, key=lambda t: int(t.get("quantity_min") or 0))


def adjuster(raw: Any) -> dict[str, Any] | None:
    """A rule's price or weight adjuster as compared (None when it adjusts nothing)."""
    if not isinstance(raw, dict) or not raw.get("adjuster"):
        return None
    return {"adjuster": raw["adjuster"], "adjuster_value": raw.get("adjuster_value", 0)}


# A V2 product rule's fields besides its conditions (the archived V2 rules page).
V2_RULE_FIELDS = (
    "sort_order",
    "is_enabled",
    "is_stop",
    "price_adjuster",
    "weight_adjuster",
    "is_purchasing_disabled",
    "purchasing_disabled_message",
    "is_purchasing_hidden",
    "image_file",
)
