"""Catalog brands: `/v3/catalog/brands` and `/v3/catalog/brands/{brand_id}`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from controller.emulator.database import Page, dumps, slug
from controller.emulator.errors import conflict, invalid, not_found
from controller.emulator.fields import BRAND_DEFAULTS, BRAND_FIELDS, clean
from controller.emulator.resources.base import (
    ALL_OPS,
    FIELDS,
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    json_field,
    listing,
    no_content,
    one,
    shape,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS brands (store TEXT, id INTEGER, name_l TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS brands_name ON brands (store, name_l);
"""
TABLES = ("brands",)

MAX_BRANDS = 30_000
LIST = ListSpec(
    filters={
        "id": Filter("id", "int", ALL_OPS),
        "name": Filter("name_l", "lower", frozenset({"", "like"})),
        "page_title": Filter(json_field("page_title"), "str"),
    },
    sorts={"name": "name_l"},
)
DELETE = ListSpec(
    filters={
        "name": Filter("name_l", "lower"),
        "page_title": Filter(json_field("page_title"), "str"),
    },
    direction=False,
    paged=False,
    fields=False,
)


class Brands(Resource):
    """The brands of one store (names unique without case)."""

    def exists(self, brand_id: int) -> bool:
        """Whether the brand exists."""
        return bool(self.one("SELECT 1 FROM brands WHERE store=? AND id=?", self.hash, brand_id))

    def id_of(self, name: str, *, create: bool = False) -> int | None:
        """The id of the brand with this name (created when asked and missing)."""
        found = self.one(
            "SELECT id FROM brands WHERE store=? AND name_l=?", self.hash, name.lower()
        )
        if found is None and create:
            found = self.insert({"name": name})["id"]
        return int(found) if found is not None else None

    def insert(self, body: Any) -> dict[str, Any]:
        """Add a brand (inside a transaction)."""
        fields = clean(body, BRAND_FIELDS, required=("name",))
        if self.one("SELECT COUNT(*) FROM brands WHERE store=?", self.hash) >= MAX_BRANDS:
            raise invalid("name", f"a store has at most {MAX_BRANDS} brands")
        if self.id_of(fields["name"]) is not None:
            raise conflict("name", f"Brand name '{fields['name']}' is a duplicate.")
        if fields.get("image_url"):  # taken into the store: its CDN URL
            fields["image_url"] = self.store.record_images.take(fields["image_url"])
        doc = {**BRAND_DEFAULTS, **fields, "id": self.next_id("brand")}
        given = fields.get("custom_url") or {}
        doc["custom_url"] = {
            "url": given.get("url") or f"/brands/{slug(fields['name'])}/",
            "is_customized": bool(given.get("is_customized", bool(given.get("url")))),
        }
        self.execute(
            "INSERT INTO brands VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            doc["name"].lower(),
            dumps(doc),
        )
        return doc

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /catalog/brands`."""
        with self.tx():
            return self.insert(body)

    def update(self, brand_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/brands/{id}`."""
        with self.tx():
            doc = self.get(brand_id)
            fields = clean(body, BRAND_FIELDS)
            if (
                "name" in fields
                and fields["name"].lower() != doc["name"].lower()
                and self.id_of(fields["name"]) is not None
            ):
                raise conflict("name", f"Brand name '{fields['name']}' is a duplicate.")
            if fields.get("image_url"):
                fields["image_url"] = self.store.record_images.take(fields["image_url"])
            if "custom_url" in fields:
                given = fields["custom_url"]
                fields["custom_url"] = {
                    "url": given.get("url") or doc["custom_url"]["url"],
                    "is_customized": bool(given.get("is_customized", True)),
                }
            doc.update(fields)
            self.execute(
                "UPDATE brands SET doc=?, name_l=? WHERE store=? AND id=?",
                dumps(doc),
                doc["name"].lower(),
                self.hash,
                brand_id,
            )
            return doc

    def set_image(self, brand_id: int, url: str) -> None:
        """Set a brand's image URL (inside a transaction)."""
        doc = {**self.get(brand_id), "image_url": url}
        self.execute(
            "UPDATE brands SET doc=? WHERE store=? AND id=?", dumps(doc), self.hash, brand_id
        )

    def get(self, brand_id: int) -> dict[str, Any]:
        """`GET /catalog/brands/{id}`."""
        docs = self.docs("SELECT doc FROM brands WHERE store=? AND id=?", self.hash, brand_id)
        if not docs:
            raise not_found("brand")
        return docs[0]

    def find(self, query: ListQuery) -> Page:
        """`GET /catalog/brands`."""
        return self.list_page("brands", query)

    def remove(self, brand_id: int) -> None:
        """Delete one (404 when it does not exist)."""
        with self.tx():
            self.get(brand_id)
            self.delete([brand_id])

    def delete(self, ids: Iterable[int]) -> None:
        """Delete brands; products that had one get `brand_id` 0, as on the platform."""
        with self.tx():
            for brand_id in ids:
                self.execute("DELETE FROM brands WHERE store=? AND id=?", self.hash, brand_id)
                for doc in self.docs(
                    "SELECT doc FROM products WHERE store=? AND json_extract(doc, '$.brand_id')=?",
                    self.hash,
                    brand_id,
                ):
                    doc["brand_id"] = 0
                    self.execute(
                        "UPDATE products SET doc=? WHERE store=? AND id=?",
                        dumps(doc),
                        self.hash,
                        doc["id"],
                    )

    def delete_matching(self, query: ListQuery) -> None:
        """`DELETE /catalog/brands?name=` (a filter is required)."""
        if not query.filtered:
            raise invalid("name", "a filter (name) is required to delete brands")
        with self.tx():
            clause, params = query.where(["store=?"], [self.hash])
            self.delete(
                [
                    r[0]
                    for r in self.db.conn.execute(f"SELECT id FROM brands WHERE {clause}", params)
                ]
            )


# ---- HTTP -----------------------------------------------------------------------------------------


async def list_brands(call: Call) -> Any:
    query = call.list_query(LIST)
    return listing(await call.run(call.store.brands.find, query), query.shape)


async def create_brand(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.brands.create, body))


async def get_brand(call: Call) -> Any:
    found = await call.run(call.store.brands.get, call.int("brand_id"))
    return one(shape(found, *call.fields()))


async def update_brand(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.brands.update, call.int("brand_id"), body))


async def delete_brand(call: Call) -> Any:
    await call.run(call.store.brands.remove, call.int("brand_id"))
    return no_content()


async def delete_brands(call: Call) -> Any:
    await call.run(call.store.brands.delete_matching, call.list_query(DELETE))
    return no_content()


ROUTES = [
    Route("GET", "/v3/catalog/brands", list_brands, LIST),
    Route("POST", "/v3/catalog/brands", create_brand),
    Route("DELETE", "/v3/catalog/brands", delete_brands, DELETE),
    Route("GET", "/v3/catalog/brands/{brand_id}", get_brand, extra=FIELDS),
    Route("PUT", "/v3/catalog/brands/{brand_id}", update_brand),
    Route("DELETE", "/v3/catalog/brands/{brand_id}", delete_brand),
]
