"""Writable fields of each record kind, their types and limits, and the defaults a new record gets.

Taken from the official OpenAPI specs (catalog v3, scripts v3). Only what the emulator enforces is here.
"""

from __future__ import annotations

from typing import Any

from controller.catalog import fields
from controller.catalog.fields import FieldSpec
from controller.emulator.errors import invalid

PRODUCT_FIELDS: dict[str, FieldSpec] = {
    **fields.PRODUCT,
    "categories": ("list", 1000),
    "brand_id": ("int", None),
    "brand_name": ("str", 255),
    "related_products": ("list", None),
    "gift_wrapping_options_list": ("list", None),
    "custom_url": ("obj", None),
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

VARIANT_FIELDS: dict[str, FieldSpec] = {**fields.VARIANT, "option_values": ("list", None)}

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
    # None: the variant takes the product's value (omitted from responses).
    **dict.fromkeys(
        (
            "price",
            "sale_price",
            "retail_price",
            "cost_price",
            "map_price",
            "weight",
            "width",
            "height",
            "depth",
            "fixed_cost_shipping_price",
        )
    ),
}

CATEGORY_FIELDS: dict[str, FieldSpec] = {
    **fields.CATEGORY,
    "parent_id": ("int", None),
    "tree_id": ("int", None),
    "views": ("int", None),
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

BRAND_FIELDS: dict[str, FieldSpec] = {**fields.BRAND, "custom_url": ("obj", None)}

BRAND_DEFAULTS: dict[str, Any] = {
    "page_title": "",
    "meta_keywords": [],
    "meta_description": "",
    "search_keywords": "",
    "image_url": "",
}

CUSTOM_FIELD_FIELDS = fields.CUSTOM_FIELD
IMAGE_FIELDS = fields.IMAGE
SCRIPT_FIELDS = fields.SCRIPT

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
    body: Any, table: dict[str, FieldSpec], *, required: tuple[str, ...] = (), prefix: str = ""
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
        spec = table.get(name)
        if spec is None:
            continue
        problem = fields.check_value(name, spec, value)
        if problem:
            raise invalid(prefix + name, problem)
        out[name] = value
    return out
