"""JSON Schemas of the catalog files, generated from the same field tables the loader checks, so
that editors and the CI of users' catalog repositories can validate files before StagingPro sees them."""

from __future__ import annotations

import json
from typing import Any

from controller.catalog import fields
from controller.catalog.model import BRAND_FIELDS, CATEGORY_FIELDS, PRODUCT_FIELDS, VARIANT_FIELDS

BASE_URI = "https://stagingpro.io/schemas/catalog/v1"


def _field(name: str, spec: fields.FieldSpec) -> dict[str, Any]:
    kind, limit = spec
    if isinstance(kind, tuple):
        return {"enum": list(kind)}
    types: dict[str, dict[str, Any]] = {
        "str": {"type": "string"},
        "num": {"type": "number"},
        "num?": {"type": ["number", "null"]},
        "int": {"type": "integer"},
        "bool": {"type": "boolean"},
        "list": {"type": "array"},
        "obj": {"type": "object"},
    }
    schema = types[kind]
    if kind in ("num", "num?", "int") and name not in fields.SIGNED:
        schema = {**schema, "minimum": 0}
    if limit is not None:
        schema = {**schema, ("maxLength" if kind == "str" else "maxItems"): limit}
    return schema


def _object(
    table: dict[str, fields.FieldSpec], allowed: frozenset[str], **extra: Any
) -> dict[str, Any]:
    properties = {name: _field(name, table[name]) for name in sorted(allowed)}
    properties.update(extra)
    return {"type": "object", "properties": properties, "additionalProperties": False}


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema (draft 2020-12)."""
    name_text = {"type": "string", "minLength": 1}
    variant = _object(
        fields.VARIANT,
        VARIANT_FIELDS,
        sku={"type": "string", "minLength": 1, "maxLength": 255},
        option_values={
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["option_display_name", "label"],
                "additionalProperties": False,
                "properties": {"option_display_name": name_text, "label": name_text},
            },
        },
    )
    variant["required"] = ["sku", "option_values"]
    product = _object(
        fields.PRODUCT,
        PRODUCT_FIELDS,
        sku={"type": "string", "minLength": 1, "maxLength": 255},
        categories={
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "Category paths, e.g. Apparel/Shoes.",
        },
        brand={"type": ["string", "null"], "description": "Brand name; empty for none."},
        variants={"type": "array", "maxItems": 600, "items": variant},
        custom_fields={
            "type": "array",
            "maxItems": 200,
            "items": {
                "type": "object",
                "required": ["name", "value"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 250},
                    "value": {"type": "string", "maxLength": 250},
                },
            },
        },
        images={
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "required": ["image_url"],
                        "additionalProperties": False,
                        "properties": {
                            "image_url": {"type": "string", "minLength": 1},
                            "is_thumbnail": {"type": "boolean"},
                            "description": {"type": "string"},
                        },
                    },
                ]
            },
        },
    )
    product["required"] = ["sku"]
    category = _object(
        fields.CATEGORY,
        CATEGORY_FIELDS,
        path={
            "type": "string",
            "pattern": r"^[^/]{1,50}(/[^/]{1,50}){0,7}$",
            "description": "e.g. Apparel/Shoes",
        },
    )
    category["required"] = ["path"]
    brand = _object(
        fields.BRAND, BRAND_FIELDS, name={"type": "string", "minLength": 1, "maxLength": 255}
    )
    brand["required"] = ["name"]
    script = _object(
        fields.SCRIPT, frozenset(fields.SCRIPT) - {"name"}, name={"type": "string", "minLength": 1}
    )
    script["required"] = ["name"]

    def document(file: str, title: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{BASE_URI}/{file}",
            "title": title,
            **body,
        }

    return {
        "product.schema.json": document(
            "product.schema.json",
            "A product: one line of products.jsonl, or one products/*.yaml file",
            product,
        ),
        "categories.schema.json": document(
            "categories.schema.json", "categories.yaml", {"type": "array", "items": category}
        ),
        "brands.schema.json": document(
            "brands.schema.json", "brands.yaml", {"type": "array", "items": brand}
        ),
        "scripts.schema.json": document(
            "scripts.schema.json", "scripts.yaml", {"type": "array", "items": script}
        ),
    }


def render_schemas() -> dict[str, str]:
    """File name -> text, as published under docs/schema/."""
    return {name: json.dumps(schema, indent=2) + "\n" for name, schema in schemas().items()}
