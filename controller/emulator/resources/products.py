"""Catalog products: `/v3/catalog/products` and `/v3/catalog/products/{product_id}`."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from typing import Any

import orjson

from controller.catalog.kinds import KINDS, Action, Kind
from controller.emulator.database import Page, dumps, now_iso, slug
from controller.emulator.errors import ApiError, conflict, invalid, not_found
from controller.emulator.fields import PRODUCT_DEFAULTS, PRODUCT_FIELDS, clean
from controller.emulator.resources.base import (
    ALL_OPS,
    FIELDS,
    MAX_LIMIT,
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    csv,
    json_field,
    json_response,
    listing,
    no_content,
    one,
    parse_value,
    shape,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (store TEXT, id INTEGER, sku_l TEXT, name_l TEXT, url TEXT,
    doc TEXT, PRIMARY KEY (store, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS products_url ON products (store, url);
-- A narrow index to skip OFFSET rows without reading their documents.
CREATE INDEX IF NOT EXISTS products_order ON products (store, id);
CREATE INDEX IF NOT EXISTS products_sku ON products (store, sku_l);
CREATE UNIQUE INDEX IF NOT EXISTS products_name ON products (store, name_l);
CREATE TABLE IF NOT EXISTS product_categories (store TEXT, product_id INTEGER, category_id INTEGER,
    PRIMARY KEY (store, product_id, category_id));
CREATE INDEX IF NOT EXISTS product_categories_category ON product_categories (store, category_id);
"""
TABLES = ("products", "product_categories")

MAX_BATCH = KINDS[Kind.PRODUCTS].batch_size(Action.UPDATE)  # 10, as the kind table knows
CHILDREN = (
    *("variants", "custom_fields", "images", "options", "modifiers", "bulk_pricing_rules"),
    *("videos", "reviews"),
)
ALL = frozenset(CHILDREN)
# Sub-resources the emulator cannot hold: a product always has none of them.
EMPTY_INCLUDES: tuple[str, ...] = ()
# "When you specify `options` or `modifiers`, results are limited to 10 per page."
LIMITED_INCLUDES = frozenset({"options", "modifiers"})
LIMITED_PAGE = 10
INCLUDES = frozenset({*CHILDREN, *EMPTY_INCLUDES, "primary_image", "channels"})
# What else a product owns, deleted with it (its V2 options and rules).
OWNED = ("complex_rules", "product_categories", "metafields", "product_options", "rules")


def _categories(op: str, raw: str) -> tuple[str, list[Any]]:
    ids = [parse_value(f"categories:{op}", "int", p) for p in raw.split(",") if p]
    marks = ",".join("?" * len(ids))
    if op == "in":
        return (
            "id IN (SELECT product_id FROM product_categories WHERE store=products.store "
            f"AND category_id IN ({marks}))",
            ids,
        )
    # Documented: `categories=N` finds the products whose only category is N.
    return (
        "(SELECT group_concat(category_id) FROM product_categories "
        "WHERE store=products.store AND product_id=products.id) = ?",
        [str(ids[0]) if ids else ""],
    )


def _keyword(op: str, raw: str) -> tuple[str, list[Any]]:
    like = f"%{raw.lower()}%"
    return (
        "(name_l LIKE ? OR sku_l LIKE ? OR lower(json_extract(doc, '$.description')) LIKE ? "
        "OR json_extract(doc, '$.brand_id') IN (SELECT id FROM brands WHERE store=products.store "
        "AND name_l LIKE ?))",
        [like] * 4,
    )


def _channels(op: str, raw: str) -> tuple[str, list[Any]]:
    ids = [parse_value("channel_id:in", "int", p) for p in raw.split(",") if p]
    return (
        "id IN (SELECT product_id FROM product_channels WHERE store=products.store "
        f"AND channel_id IN ({','.join('?' * len(ids)) or 'NULL'}))",
        ids,
    )


_BOOL = frozenset({""})
FILTERS = {
    "id": Filter("id", "int", ALL_OPS),
    "name": Filter("name_l", "lower", frozenset({"", "like"})),
    "sku": Filter("sku_l", "lower", frozenset({"", "in"})),
    "mpn": Filter(json_field("mpn"), "str"),
    "upc": Filter(json_field("upc"), "str"),
    "price": Filter(json_field("price"), "num"),
    "weight": Filter(json_field("weight"), "num"),
    "condition": Filter(f"lower({json_field('condition')})", "lower"),
    "brand_id": Filter(json_field("brand_id"), "int"),
    "date_modified": Filter(json_field("date_modified"), "date", frozenset({"", "min", "max"})),
    "is_visible": Filter(json_field("is_visible"), "bool"),
    "is_featured": Filter(json_field("is_featured"), "bool"),
    "is_free_shipping": Filter(json_field("is_free_shipping"), "bool"),
    "inventory_level": Filter(json_field("inventory_level"), "int", ALL_OPS),
    "total_sold": Filter(json_field("total_sold"), "int"),
    "type": Filter(json_field("type"), "str"),
    "availability": Filter(json_field("availability"), "str"),
    "categories": Filter("", custom=_categories, ops=frozenset({"", "in"})),
    "keyword": Filter("", custom=_keyword),
    "channel_id": Filter("", custom=_channels, ops=frozenset({"in"})),
}
_PRICE = json_field("price")
_SALE = json_field("sale_price")
LIST = ListSpec(
    filters=FILTERS,
    sorts={
        "id": "id",
        "name": "name_l",
        "sku": "sku_l",
        "price": _PRICE,
        "date_modified": json_field("date_modified"),
        "inventory_level": json_field("inventory_level"),
        "is_visible": json_field("is_visible"),
        "total_sold": json_field("total_sold"),
        "calculated_price": f"CASE WHEN {_SALE} > 0 THEN {_SALE} ELSE {_PRICE} END",
    },
    refused=frozenset(
        {
            "date_last_imported",
            "date_last_imported:not",
            "date_last_imported:min",
            "date_last_imported:max",
            "inventory_low",
            "out_of_stock",
            "keyword_context",
        }
    ),
)
_DELETABLE_BY = (
    *("name", "sku", "price", "weight", "condition", "brand_id", "date_modified", "is_visible"),
    *("is_featured", "inventory_level", "total_sold", "type", "categories", "keyword"),
)
DELETE = ListSpec(
    filters={
        **{
            k: Filter(FILTERS[k].sql, FILTERS[k].kind, custom=FILTERS[k].custom)
            for k in _DELETABLE_BY
        },
        "id": Filter("id", "int", frozenset({"in"})),
    },
    refused=frozenset({"date_last_imported"}),
    direction=False,
    paged=False,
    fields=False,
)


def includes(query: Any) -> set[str]:
    """The `include` sub-resources asked for (an undocumented one is a 422)."""
    asked = csv(query.get("include", ""))
    unknown = asked - INCLUDES
    if unknown:
        raise invalid("include", f"include may name {', '.join(sorted(INCLUDES))}")
    return asked


class Products(Resource):
    """The products of one store (each with its base variant, categories and children)."""

    def doc(self, product_id: int) -> dict[str, Any]:
        """The stored document of a product (404 when there is none)."""
        row = self.one("SELECT doc FROM products WHERE store=? AND id=?", self.hash, product_id)
        if row is None:
            raise not_found("product")
        doc: dict[str, Any] = orjson.loads(row)
        return doc

    def exists(self, product_id: int) -> bool:
        """Whether the product exists."""
        return (
            self.one("SELECT 1 FROM products WHERE store=? AND id=?", self.hash, product_id)
            is not None
        )

    def check_sku(
        self, sku: str, *, product_id: int | None, variant_id: int | None, label: str
    ) -> None:
        """SKUs are unique across products and variants, without case; `product_id` and
        `variant_id` are the records being written (a product shares its SKU with its base variant)."""
        key = sku.lower()
        taken = self.one(
            "SELECT 1 FROM products WHERE store=? AND sku_l=? AND id IS NOT ? UNION ALL "
            "SELECT 1 FROM variants WHERE store=? AND sku_l=? AND id IS NOT ?",
            self.hash,
            key,
            product_id,
            self.hash,
            key,
            variant_id,
        )
        if taken is not None:
            raise conflict(label, f"Sku '{sku}' is not unique.")

    def _check_name(self, name: str, product_id: int | None) -> None:
        found = self.one(
            "SELECT id FROM products WHERE store=? AND name_l=? AND id IS NOT ?",
            self.hash,
            name.lower(),
            product_id,
        )
        if found is not None:
            raise conflict("name", f"The product name '{name}' is a duplicate.")

    def _check_refs(self, fields: dict[str, Any]) -> None:
        for category_id in fields.get("categories", []):
            if not isinstance(category_id, int) or not self.store.categories.exists(category_id):
                raise conflict("categories", f"Category {category_id} does not exist.")
        brand_id = fields.get("brand_id")
        if brand_id and not self.store.brands.exists(brand_id):
            raise conflict("brand_id", f"Brand {brand_id} does not exist.")

    def _unique_url(self, base: str) -> str:
        """A product URL no other product has (the platform appends -2, -3 ...)."""
        url, n = base, 1
        while self.one("SELECT 1 FROM products WHERE store=? AND url=?", self.hash, url):
            n += 1
            url = base.rstrip("/") + f"-{n}/"
        return url

    def _url(
        self,
        given: dict[str, Any],
        product_id: int | None,
        current: dict[str, Any] | None,
        *,
        name: str = "",
        label: str = "",
    ) -> dict[str, Any]:
        """A product's `custom_url` as written (`create_redirect` on an update: a 301 redirect
        from the URL it had); a URL another product has is a 409. Without a URL, a new product
        gets one made from its name."""
        url = given.get("url")
        if url is None:
            if current is not None:
                url = current["url"]
            else:
                return {"url": self._unique_url(f"/{slug(name)}/"), "is_customized": False}
        if not isinstance(url, str) or not url or len(url) > 255:
            raise invalid(label + "custom_url.url", "url must be 1 to 255 characters long")
        taken = self.one(
            "SELECT id FROM products WHERE store=? AND url=? AND id IS NOT ?",
            self.hash,
            url,
            product_id,
        )
        if taken is not None:
            raise conflict(label + "custom_url.url", f"The URL '{url}' is used by another product.")
        if given.get("create_redirect") and current is not None and current["url"] != url:
            to = {"type": "product", "entity_id": product_id}
            self.store.redirects.upsert([{"from_path": current["url"], "site_id": 1000, "to": to}])
        customized = given.get("is_customized", True)
        if not isinstance(customized, bool):
            raise invalid(label + "custom_url.is_customized", "is_customized must be a boolean")
        return {"url": url, "is_customized": customized}

    def _resolve_brand_name(self, fields: dict[str, Any]) -> None:
        name = fields.pop("brand_name", None)
        if name:
            fields["brand_id"] = self.store.brands.id_of(name, create=True)

    def create(self, body: Any, *, render: bool = True) -> dict[str, Any]:
        """`POST /catalog/products` (one product; inline variants, custom fields, images and
        videos).
        Seeding passes `render=False` and gets only the id back."""
        fields = clean(body, PRODUCT_FIELDS, required=("name", "type", "weight", "price"))
        with self.tx():
            self._check_name(fields["name"], None)
            if fields.get("sku"):
                self.check_sku(fields["sku"], product_id=None, variant_id=None, label="sku")
            self._resolve_brand_name(fields)
            self._check_refs(fields)
            product_id = self.next_id("product")
            stamp = now_iso()
            doc = {**PRODUCT_DEFAULTS, **fields, "date_created": stamp, "date_modified": stamp}
            doc["sku"] = fields.get("sku", "")
            doc["custom_url"] = self._url(
                fields.get("custom_url") or {}, None, None, name=fields["name"]
            )
            self.write(product_id, doc)
            self.store.assignments.assign_new(product_id)
            self.emit("store/product/created", {"type": "product", "id": product_id})
            variants = self.store.variants
            items = body.get("variants") or []
            if not isinstance(items, list):
                raise invalid("variants", "variants must be a list")
            variants.check_count(len(items), "variants")
            variants.ensure_base(product_id, doc)
            for index, variant in enumerate(items):
                variants.insert(product_id, variant, label=f"variants[{index}].", touch=False)
            for index, cf in enumerate(body.get("custom_fields") or []):
                self.store.custom_fields.insert(product_id, cf, label=f"custom_fields[{index}].")
            for index, image in enumerate(body.get("images") or []):
                self.store.images.insert(product_id, image, label=f"images[{index}].")
            for index, rule in enumerate(body.get("bulk_pricing_rules") or []):
                self.store.bulk_pricing_rules.insert(
                    product_id, rule, label=f"bulk_pricing_rules[{index}]."
                )
            for index, video in enumerate(body.get("videos") or []):
                self.store.videos.insert(product_id, video, label=f"videos[{index}].")
            if not render:
                return {"id": product_id}
            return self.render([self.doc(product_id)], ALL)[0]

    def write(self, product_id: int, doc: dict[str, Any]) -> None:
        """Store a product document and its category links."""
        doc["id"] = product_id
        self.execute(
            "INSERT OR REPLACE INTO products (store, id, sku_l, name_l, url, doc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            self.hash,
            product_id,
            doc.get("sku", "").lower() or None,
            doc["name"].lower(),
            doc["custom_url"]["url"],
            dumps(doc),
        )
        self.execute(
            "DELETE FROM product_categories WHERE store=? AND product_id=?", self.hash, product_id
        )
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO product_categories VALUES (?, ?, ?)",
            [(self.hash, product_id, c) for c in doc.get("categories", [])],
        )

    def touch(self, product_id: int) -> None:
        """A change to a product's children changes its `date_modified`."""
        doc = self.doc(product_id)
        doc["date_modified"] = now_iso()
        self.execute(
            "UPDATE products SET doc=? WHERE store=? AND id=?", dumps(doc), self.hash, product_id
        )
        self.emit("store/product/updated", {"type": "product", "id": product_id})

    def update(self, product_id: int, body: Any, include: AbstractSet[str] = ALL) -> dict[str, Any]:
        """`PUT /catalog/products/{id}`."""
        with self.tx():
            self._update(product_id, body)
            return self.render([self.doc(product_id)], include)[0]

    def _update(self, product_id: int, body: Any, *, label: str = "") -> None:
        doc = self.doc(product_id)
        fields = clean(body, PRODUCT_FIELDS, prefix=label)
        if "name" in fields and fields["name"] != doc["name"]:
            if not fields["name"]:
                raise invalid(label + "name", "name is required")
            self._check_name(fields["name"], product_id)
        if fields.get("sku") and fields["sku"].lower() != doc.get("sku", "").lower():
            self.check_sku(
                fields["sku"],
                product_id=product_id,
                variant_id=doc.get("base_variant_id"),
                label=label + "sku",
            )
        self._resolve_brand_name(fields)
        self._check_refs(fields)
        if "custom_url" in fields:
            fields["custom_url"] = self._url(
                fields["custom_url"], product_id, doc["custom_url"], label=label
            )
        changed = {k: v for k, v in fields.items() if doc.get(k) != v}
        if changed:
            doc.update(changed)
            doc["date_modified"] = now_iso()
            self.write(product_id, doc)
            self.emit("store/product/updated", {"type": "product", "id": product_id})
            if "inventory_level" in changed:
                inventory = {"product_id": product_id, "method": "absolute"}
                self.emit(
                    "store/product/inventory/updated",
                    {
                        "type": "product",
                        "id": product_id,
                        "inventory": {**inventory, "value": doc["inventory_level"]},
                    },
                )
            if "sku" in changed and doc.get("base_variant_id"):
                self.store.variants.ensure_base(product_id, doc)
        for index, variant in enumerate(body.get("variants") or []):
            if isinstance(variant, dict) and variant.get("id"):
                self.store.variants.update_one(
                    variant["id"],
                    variant,
                    product_id=product_id,
                    label=f"{label}variants[{index}].",
                )

    def update_many(self, body: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """`PUT /catalog/products`: a batch of at most 10, all or nothing. Items whose id does not
        exist are reported as errors beside the updated ones (207)."""
        if not isinstance(body, list):
            raise invalid("body", "a list of products is expected")
        if len(body) > MAX_BATCH:
            raise ApiError(
                413, f"The request payload is too large. The maximum is {MAX_BATCH} products."
            )
        missing = {}
        with self.tx():
            done = []
            for item in body:
                if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                    raise ApiError(422, "Each product in a batch needs an integer id.")
                if not self.exists(item["id"]):
                    missing[str(item["id"])] = "The product was not found."
                    continue
                try:
                    self._update(item["id"], item)
                except ApiError as error:
                    # Like the real batch endpoint: the batch fails without saying which item.
                    raise ApiError(
                        error.status, error.title, {"batch": "; ".join(error.errors.values())}
                    ) from error
                done.append(item["id"])
            return self.render([self.doc(i) for i in done], ALL), missing

    def remove(self, product_id: int) -> None:
        """Delete one (404 when it does not exist)."""
        with self.tx():
            self.doc(product_id)
            self.delete([product_id])

    def delete(self, ids: Iterable[int]) -> None:
        """Delete products and everything that belongs to them."""
        with self.tx():
            for product_id in ids:
                if not self.exists(product_id):
                    continue
                self.execute("DELETE FROM products WHERE store=? AND id=?", self.hash, product_id)
                self.emit("store/product/deleted", {"type": "product", "id": product_id})
                self.store.assignments.forget(product_id)
                for table in (*CHILDREN, *OWNED):
                    self.execute(
                        f"DELETE FROM {table} WHERE store=? AND product_id=?", self.hash, product_id
                    )

    def delete_matching(self, query: ListQuery) -> None:
        """`DELETE /catalog/products?...`: the products matching the filters (at least one)."""
        if not query.filtered:
            raise invalid("id:in", "a filter is required to delete products")
        clause, params = query.where(["store=?"], [self.hash])
        with self.tx():
            ids = [
                r[0]
                for r in self.db.conn.execute(f"SELECT id FROM products WHERE {clause}", params)
            ]
            self.delete(ids)

    def get(self, product_id: int, include: AbstractSet[str]) -> dict[str, Any]:
        """`GET /catalog/products/{id}`."""
        return self.render([self.doc(product_id)], include)[0]

    def find(self, query: ListQuery, include: AbstractSet[str]) -> Page:
        """`GET /catalog/products`."""
        clause, params = query.where(["store=?"], [self.hash])
        total = self.one(f"SELECT COUNT(*) FROM products WHERE {clause}", *params)
        hint = "INDEXED BY products_order" if not query.filtered else ""
        ids = [
            row[0]
            for row in self.db.conn.execute(
                f"SELECT id FROM products {hint} WHERE {clause} ORDER BY {query.order()} "
                "LIMIT ? OFFSET ?",
                (*params, query.limit, query.offset),
            )
        ]
        by_id = {
            d["id"]: d
            for d in self.docs(
                f"SELECT doc FROM products WHERE store=? AND id IN ({','.join('?' * len(ids))})",
                self.hash,
                *ids,
            )
        }
        docs = [by_id[i] for i in ids]
        return Page(self.render(docs, include), total, query.page, query.limit)

    def _children(self, table: str, product_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = {i: [] for i in product_ids}
        if not product_ids:
            return found
        marks = ",".join("?" * len(product_ids))
        for doc in self.docs(
            f"SELECT doc FROM {table} WHERE store=? AND product_id IN ({marks}) "
            "ORDER BY product_id, id",
            self.hash,
            *product_ids,
        ):
            found[doc["product_id"]].append(doc)
        return found

    def render(self, docs: list[dict[str, Any]], include: AbstractSet[str]) -> list[dict[str, Any]]:
        """Products in the API's shape, with the sub-resources asked for."""
        ids = [d["id"] for d in docs]
        children = {t: self._children(t, ids) for t in CHILDREN if t in include}
        if "primary_image" in include and "images" not in children:
            children["images"] = self._children("images", ids)
        render_variant = self.store.variants.render
        ruled = self.store.options_v2.with_rules(ids) if "variants" in include else set()
        channels = self.store.assignments.channels_of(ids) if "channels" in include else {}
        out = []
        for doc in docs:
            product = dict(doc)
            sale = product.get("sale_price") or 0
            product["calculated_price"] = sale if sale > 0 else product.get("price", 0)
            if product.get("base_variant_id") is None:
                product.pop("base_variant_id", None)
            images = sorted(children.get("images", {}).get(doc["id"], []), key=_image_order)
            if "variants" in include:
                product["variants"] = [
                    render_variant(v, doc) for v in children["variants"][doc["id"]]
                ]
                if doc["id"] in ruled:  # V2 rules decide what a shopper pays
                    self.store.variants.under_rules(product["variants"])
            if "custom_fields" in include:
                product["custom_fields"] = [
                    self.store.custom_fields.render(f) for f in children["custom_fields"][doc["id"]]
                ]
            if "images" in include:
                product["images"] = images
            if "options" in include:
                product["options"] = children["options"][doc["id"]]
            if "modifiers" in include:
                product["modifiers"] = children["modifiers"][doc["id"]]
            if "bulk_pricing_rules" in include:
                product["bulk_pricing_rules"] = [
                    self.store.bulk_pricing_rules.render(r)
                    for r in children["bulk_pricing_rules"][doc["id"]]
                ]
            if "reviews" in include:
                product["reviews"] = children["reviews"][doc["id"]]
            if "videos" in include:
                product["videos"] = sorted(children["videos"][doc["id"]], key=_image_order)
            if "primary_image" in include:
                thumbnails = [i for i in images if i.get("is_thumbnail")] or images
                product["primary_image"] = thumbnails[0] if thumbnails else {}
            if "channels" in include:
                product["channels"] = channels[doc["id"]]
            for name in EMPTY_INCLUDES:
                if name in include:
                    product[name] = []
            out.append(product)
        return out


def _image_order(image: dict[str, Any]) -> tuple[int, int]:
    return image["sort_order"], image["id"]


def today_at_now(raw: str) -> str:
    """Documented: a `date_modified` filter without a time takes the current time of the request."""
    if len(raw) == 10 and raw[4] == "-":
        return f"{raw}T{datetime.now(UTC).strftime('%H:%M:%S')}+00:00"
    return raw


# ---- HTTP -----------------------------------------------------------------------------------------


def _shaped(call: Call, include: AbstractSet[str]) -> Any:
    include_fields, exclude_fields = call.fields()
    return lambda item: shape(item, include_fields, exclude_fields, include)


async def list_products(call: Call) -> Any:
    query = dict(call.query)
    for key in ("date_modified", "date_modified:min", "date_modified:max"):
        if key in query:
            query[key] = today_at_now(query[key])
    listed = ListQuery(LIST, query)
    include = includes(call.query)
    if include & LIMITED_INCLUDES:
        listed.limit = min(listed.limit, LIMITED_PAGE)
        listed.offset = (listed.page - 1) * listed.limit
    page = await call.run(call.store.products.find, listed, include)
    return listing(page, lambda item: listed.shape(item, include))


async def create_product(call: Call) -> Any:
    body = await call.body()
    created = await call.run(call.store.products.create, body)
    return one(_shaped(call, ALL)(created))


async def update_products(call: Call) -> Any:
    body = await call.body()
    updated, missing = await call.run(call.store.products.update_many, body)
    data = [_shaped(call, ALL)(p) for p in updated]
    if missing:
        return json_response({"data": data, "errors": missing, "meta": {}}, 207)
    return json_response({"data": data, "meta": {}})


async def delete_products(call: Call) -> Any:
    query = call.list_query(DELETE)
    ids = call.query.get("id:in")
    if ids is not None and len([i for i in ids.split(",") if i]) > MAX_LIMIT:
        raise invalid("id:in", f"at most {MAX_LIMIT} ids per request")
    await call.run(call.store.products.delete_matching, query)
    return no_content()


async def get_product(call: Call) -> Any:
    include = includes(call.query)
    product = await call.run(call.store.products.get, call.int("product_id"), include)
    return one(_shaped(call, include)(product))


async def update_product(call: Call) -> Any:
    include = includes(call.query) or ALL
    body = await call.body()
    product = await call.run(call.store.products.update, call.int("product_id"), body, include)
    return one(_shaped(call, include)(product))


async def delete_product(call: Call) -> Any:
    await call.run(call.store.products.remove, call.int("product_id"))
    return no_content()


ROUTES = [
    Route("GET", "/v3/catalog/products", list_products, LIST, frozenset({"include"})),
    Route("POST", "/v3/catalog/products", create_product, extra=FIELDS),
    Route("PUT", "/v3/catalog/products", update_products, extra=FIELDS),
    Route("DELETE", "/v3/catalog/products", delete_products, DELETE),
    Route("GET", "/v3/catalog/products/{product_id}", get_product, extra=FIELDS | {"include"}),
    Route("PUT", "/v3/catalog/products/{product_id}", update_product, extra=FIELDS | {"include"}),
    Route("DELETE", "/v3/catalog/products/{product_id}", delete_product),
]
