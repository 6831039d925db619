"""Writable fields of each record kind, their types and limits, and the defaults a new record gets.

Taken from the official OpenAPI specs (catalog v3, scripts v3). Only what the emulator enforces is here.
"""

from __future__ import annotations

from typing import Any

from controller.emulator.errors import invalid

# name -> (type, limit): type is one of str, num, int, bool, list, obj, or a tuple of allowed values;
# limit is a maximum length for strings and lists, or None.
FieldSpec = tuple[str | tuple[str, ...], int | None]

PRODUCT_FIELDS: dict[str, FieldSpec] = {
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
    "categories": ("list", 1000),
    "brand_id": ("int", None),
    "brand_name": ("str", 255),
    "inventory_level": ("int", None),
    "inventory_warning_level": ("int", None),
    "inventory_tracking": (("none", "product", "variant"), None),
    "fixed_cost_shipping_price": ("num", None),
    "is_free_shipping": ("bool", None),
    "is_visible": ("bool", None),
    "is_featured": ("bool", None),
    "related_products": ("list", None),
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
    "gift_wrapping_options_list": ("list", None),
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
    "custom_url": ("obj", None),
    "open_graph_type": (
        ("product", "album", "book", "drink", "food", "game", "movie", "song", "tv_show"),
        None,
    ),
    "open_graph_title": ("str", 255),
    "open_graph_description": ("str", 65535),
    "open_graph_use_meta_description": ("bool", None),
    "open_graph_use_product_name": ("bool", None),
    "open_graph_use_image": ("bool", None),
}

PRODUCT_DEFAULTS: dict[str, Any] = {
    "description": "",
    "weight": 0,
    "width": 0,
    "depth": 0,
    "height": 0,
    "price": 0,
    "cost_price": 0,
    "retail_price": 0,
    "sale_price": 0,
    "map_price": 0,
    "tax_class_id": 0,
    "product_tax_code": "",
    "categories": [],
    "brand_id": 0,
    "inventory_level": 0,
    "inventory_warning_level": 0,
    "inventory_tracking": "none",
    "fixed_cost_shipping_price": 0,
    "is_free_shipping": False,
    "is_visible": True,
    "is_featured": False,
    "related_products": [],
    "warranty": "",
    "bin_picking_number": "",
    "layout_file": "",
    "upc": "",
    "mpn": "",
    "gtin": "",
    "search_keywords": "",
    "availability": "available",
    "availability_description": "",
    "gift_wrapping_options_type": "any",
    "gift_wrapping_options_list": [],
    "sort_order": 0,
    "condition": "New",
    "is_condition_shown": False,
    "order_quantity_minimum": 0,
    "order_quantity_maximum": 0,
    "page_title": "",
    "meta_keywords": [],
    "meta_description": "",
    "view_count": 0,
    "preorder_message": "",
    "is_preorder_only": False,
    "is_price_hidden": False,
    "price_hidden_label": "",
    "open_graph_type": "product",
    "open_graph_title": "",
    "open_graph_description": "",
    "open_graph_use_meta_description": True,
    "open_graph_use_product_name": True,
    "open_graph_use_image": True,
    "reviews_rating_sum": 0,
    "reviews_count": 0,
    "total_sold": 0,
}

VARIANT_FIELDS: dict[str, FieldSpec] = {
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
    "option_values": ("list", None),
}

VARIANT_DEFAULTS: dict[str, Any] = {
    "is_free_shipping": False,
    "purchasing_disabled": False,
    "purchasing_disabled_message": "",
    "upc": "",
    "image_url": "",
    "inventory_level": 0,
    "inventory_warning_level": 0,
    "bin_picking_number": "",
    "mpn": "",
    "gtin": "",
}

CATEGORY_FIELDS: dict[str, FieldSpec] = {
    "name": ("str", 50),
    "parent_id": ("int", None),
    "tree_id": ("int", None),
    "description": ("str", 65535),
    "views": ("int", None),
    "sort_order": ("int", None),
    "page_title": ("str", 255),
    "meta_keywords": ("list", None),
    "meta_description": ("str", 65535),
    "layout_file": ("str", 50),
    "image_url": ("str", None),
    "is_visible": ("bool", None),
    "search_keywords": ("str", 255),
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
    "url": ("obj", None),
    "custom_url": ("obj", None),
}

CATEGORY_DEFAULTS: dict[str, Any] = {
    "description": "",
    "views": 0,
    "sort_order": 0,
    "page_title": "",
    "meta_keywords": [],
    "meta_description": "",
    "layout_file": "category.html",
    "image_url": "",
    "is_visible": True,
    "search_keywords": "",
    "default_product_sort": "use_store_settings",
}

BRAND_FIELDS: dict[str, FieldSpec] = {
    "name": ("str", 255),
    "page_title": ("str", 255),
    "meta_keywords": ("list", None),
    "meta_description": ("str", 65535),
    "search_keywords": ("str", 255),
    "image_url": ("str", None),
    "custom_url": ("obj", None),
}

BRAND_DEFAULTS: dict[str, Any] = {
    "page_title": "",
    "meta_keywords": [],
    "meta_description": "",
    "search_keywords": "",
    "image_url": "",
}

CUSTOM_FIELD_FIELDS: dict[str, FieldSpec] = {"name": ("str", 250), "value": ("str", 250)}

IMAGE_FIELDS: dict[str, FieldSpec] = {
    "image_url": ("str", None),
    "is_thumbnail": ("bool", None),
    "sort_order": ("int", None),
    "description": ("str", None),
}

SCRIPT_FIELDS: dict[str, FieldSpec] = {
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

SCRIPT_DEFAULTS: dict[str, Any] = {
    "description": "",
    "auto_uninstall": True,
    "load_method": "default",
    "location": "footer",
    "visibility": "storefront",
    "kind": "src",
    "consent_category": "essential",
    "enabled": True,
    "channel_id": 1,
    "integrity_hashes": [],
}


def clean(
    body: Any, fields: dict[str, FieldSpec], *, required: tuple[str, ...] = (), prefix: str = ""
) -> dict[str, Any]:
    """Keep the writable fields of `body`, checking types and limits; unknown keys are ignored
    (as the real API does); a bad value is a 422 that names the field."""
    if not isinstance(body, dict):
        raise invalid(prefix or "body", "must be a JSON object")
    for name in required:
        if body.get(name) in (None, ""):
            raise invalid(prefix + name, f"{name} is required")
    out: dict[str, Any] = {}
    for name, value in body.items():
        spec = fields.get(name)
        if spec is None:
            continue
        kind, limit = spec
        label = prefix + name
        if kind == "num?" and value is None:
            out[name] = None
            continue
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
            expected = f"one of {', '.join(kind)}" if isinstance(kind, tuple) else f"a {kind}"
            raise invalid(label, f"{name} must be {expected.replace('?', '')}")
        if kind in ("num", "num?", "int") and value < 0 and name != "sort_order":
            raise invalid(label, f"{name} must not be negative")
        if limit is not None and isinstance(value, str | list) and len(value) > limit:
            raise invalid(label, f"{name} must be at most {limit} long")
        out[name] = value
    return out
