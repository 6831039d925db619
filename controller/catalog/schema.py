"""JSON Schemas of the catalog files, generated from the kind table (`kinds.py`) and the field tables
the loader checks, so that editors and the CI of users' catalog repositories can validate files
before StagingPro sees them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from controller.catalog import fields
from controller.catalog.kinds import KINDS, TOP_LEVEL, Kind, KindSpec, children
from controller.catalog.model import MAX_CATEGORY_DEPTH

BASE_URI = "https://stagingpro.io/schemas/catalog/v1"


def _field(name: str, spec: fields.FieldSpec) -> dict[str, Any]:
    kind, limit = spec
    if isinstance(kind, tuple):
        return {"enum": list(kind)}
    if kind == "url":
        return {
            "type": "object",
            "required": sorted(fields.URL_KEYS),
            "additionalProperties": False,
            "properties": {
                "url": {"type": "string", "minLength": 1, "maxLength": limit},
                "is_customized": {"type": "boolean"},
            },
            "description": "The storefront URL (is_customized: not the one made from the name).",
        }
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


def _key(spec: KindSpec) -> dict[str, Any]:
    """The natural key as written."""
    if spec.tree:
        _, longest = spec.fields["name"]
        name = f"[^/]{{1,{longest}}}"
        return {
            "type": "string",
            "pattern": f"^{name}(/{name}){{0,{MAX_CATEGORY_DEPTH - 1}}}$",
            "description": "e.g. Apparel/Shoes",
        }
    _, longest = spec.fields.get(spec.key, ("str", None))
    return {"type": "string", "minLength": 1, **({"maxLength": longest} if longest else {})}


# Kinds whose natural key is made of fields written on their own (no field of the key's name).
_COMPOSED = {
    Kind.TEMPLATE_ASSOCIATIONS: "the one entity it names",
    Kind.WIDGETS: "`template/name`: its template's name and its own",
    Kind.PLACEMENTS: "template file, record, region and sort order",
    Kind.PAGE_LAYOUTS: "template file and record",
    Kind.REVIEWS: "date reviewed and title",
    Kind.PRODUCT_METAFIELDS: "namespace and key",
    Kind.VARIANT_METAFIELDS: "namespace and key",
    Kind.CATEGORY_METAFIELDS: "namespace and key",
    Kind.BRAND_METAFIELDS: "namespace and key",
    Kind.PRICE_LIST_ASSIGNMENTS: "price list, customer group and channel",
}


def record(spec: KindSpec) -> dict[str, Any]:
    """The JSON Schema of one record of a kind as written in the files."""
    # fields written only on create are written in files too (an identity such as a price
    # record's currency is required, by its `extra_schema`)
    written = sorted((spec.managed | spec.create_only) & spec.fields.keys() - {spec.positional})
    properties = {name: _field(name, spec.fields[name]) for name in written}
    properties[spec.key] = _key(spec)
    for reference in spec.references:
        target = KINDS[reference.kind]
        described = (
            f"{target.singular} {target.key}"
            if target.kind not in _COMPOSED
            else f"{target.singular}, {_COMPOSED[target.kind]}"
        )
        properties[reference.field] = (
            {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "description": f"By {described}.",
            }
            if reference.many
            else {"type": ["string", "null"], "description": f"By {described}; empty for none."}
        )
    properties.update(spec.extra_schema)
    for child in children(spec.kind):
        assert child.owner_field is not None
        item = record(child)
        if child.short_form:
            item = {"oneOf": [_key(child), item]}
        properties[child.owner_field] = {
            "type": "array",
            **({"maxItems": child.per_owner} if child.per_owner else {}),
            "items": item,
        }
    required = [
        spec.key,
        *spec.required_in_file,
        *sorted(spec.extra_schema.keys() & spec.create_only),
    ]
    if spec.owner is not None and spec.kind in _COMPOSED:  # identified by fields of its own
        del properties[spec.key]
        required.remove(spec.key)
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema (draft 2020-12), one per kind with a file of its own."""
    out = {}
    for kind in TOP_LEVEL:
        spec = KINDS[kind]
        if spec.file is None:
            continue
        one_per_item = spec.file.endswith(".jsonl")
        one_per_file = spec.file.endswith("/")  # a directory of one YAML file per record
        name = f"{spec.singular if one_per_item else Path(spec.file).stem}.schema.json"
        title = (
            f"A {spec.singular}: one line of {spec.file}, or one {kind}/*.yaml file"
            if one_per_item
            else f"A {spec.singular}: one file of {spec.file}"
            if one_per_file
            else spec.file
        )
        body: dict[str, Any] = (
            record(spec)
            if one_per_item or one_per_file
            else {"type": "array", "items": record(spec)}
        )
        if kind in _COMPOSED:  # identified by fields of its own
            items = body.get("items", body)
            del items["properties"][spec.key]
            items["required"] = [r for r in items["required"] if r != spec.key]
            if kind is Kind.PAGE_LAYOUTS:  # the templates its regions name, read from them
                del items["properties"]["widget_templates"]
            if kind is Kind.TEMPLATE_ASSOCIATIONS:
                items["oneOf"] = [{"required": [r.field]} for r in spec.references]
            if kind is Kind.PRICE_LIST_ASSIGNMENTS:
                items["required"].append("price_list")
        if kind is Kind.PAGES:  # a link page is identified by its link instead
            body["required"] = [r for r in body["required"] if r != spec.key]
            body["anyOf"] = [{"required": [spec.key]}, {"required": ["link"]}]
        out[name] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{BASE_URI}/{name}",
            "title": title,
            **body,
        }
    return out


def render_schemas() -> dict[str, str]:
    """File name -> text, as published under docs/schema/."""
    return {name: json.dumps(schema, indent=2) + "\n" for name, schema in schemas().items()}
