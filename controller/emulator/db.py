"""SQLite persistence and the business rules of an emulated BigCommerce store.

Every public method is one API operation on one store, atomic (one transaction), and returns records in
the API's response shape. Records are stored as JSON documents next to the indexed columns the rules
need (SKU and names without case, parent and product ids), so listing 100k products streams page by page.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
import zlib
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from controller.emulator.errors import ApiError, conflict, invalid, not_found
from controller.emulator.fields import (
    BRAND_DEFAULTS,
    BRAND_FIELDS,
    CATEGORY_DEFAULTS,
    CATEGORY_FIELDS,
    CUSTOM_FIELD_FIELDS,
    IMAGE_FIELDS,
    PRODUCT_DEFAULTS,
    PRODUCT_FIELDS,
    SCRIPT_DEFAULTS,
    SCRIPT_FIELDS,
    VARIANT_DEFAULTS,
    VARIANT_FIELDS,
    clean,
)

MAX_CATEGORY_DEPTH = 8
MAX_CATEGORIES = 16_000
MAX_BRANDS = 30_000
MAX_CUSTOM_FIELDS = 200
MAX_SKUS_PER_PRODUCT = 600
MAX_SCRIPTS_PER_CLIENT = 10
MAX_THEMES = 20
DEFAULT_TREE_ID = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stores (hash TEXT PRIMARY KEY, token TEXT NOT NULL, profile TEXT NOT NULL,
    id_base INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seq (store TEXT, kind TEXT, next INTEGER, PRIMARY KEY (store, kind));
CREATE TABLE IF NOT EXISTS products (store TEXT, id INTEGER, sku_l TEXT, name_l TEXT, url TEXT,
    doc TEXT, PRIMARY KEY (store, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS products_url ON products (store, url);
-- A narrow index to skip OFFSET rows without reading their documents.
CREATE INDEX IF NOT EXISTS products_order ON products (store, id);
CREATE INDEX IF NOT EXISTS products_sku ON products (store, sku_l);
CREATE UNIQUE INDEX IF NOT EXISTS products_name ON products (store, name_l);
CREATE TABLE IF NOT EXISTS variants (store TEXT, product_id INTEGER, id INTEGER, sku_l TEXT,
    doc TEXT, PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS variants_id ON variants (store, id);
CREATE INDEX IF NOT EXISTS variants_sku ON variants (store, sku_l);
CREATE TABLE IF NOT EXISTS options (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS options_id ON options (store, id);
CREATE TABLE IF NOT EXISTS custom_fields (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS custom_fields_id ON custom_fields (store, id);
CREATE TABLE IF NOT EXISTS images (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS images_id ON images (store, id);
CREATE TABLE IF NOT EXISTS product_categories (store TEXT, product_id INTEGER, category_id INTEGER,
    PRIMARY KEY (store, product_id, category_id));
CREATE INDEX IF NOT EXISTS product_categories_category ON product_categories (store, category_id);
CREATE TABLE IF NOT EXISTS categories (store TEXT, id INTEGER, parent_id INTEGER, name_l TEXT,
    doc TEXT, PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS categories_name ON categories (store, parent_id, name_l);
CREATE TABLE IF NOT EXISTS brands (store TEXT, id INTEGER, name_l TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS brands_name ON brands (store, name_l);
CREATE TABLE IF NOT EXISTS scripts (store TEXT, uuid TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, uuid));
CREATE TABLE IF NOT EXISTS themes (store TEXT, uuid TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, uuid));
CREATE TABLE IF NOT EXISTS jobs (store TEXT, id TEXT, doc TEXT, PRIMARY KEY (store, id));
"""


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


_CATALOG_TABLES = (
    "products",
    "variants",
    "options",
    "custom_fields",
    "images",
    "product_categories",
    "categories",
    "brands",
    "scripts",
    "themes",
    "jobs",
    "seq",
)


def now_iso() -> str:
    """The current time as the API writes it (ISO 8601 with offset)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def slug(text: str) -> str:
    """URL path segment of a name, as the storefront builds it."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


@dataclass
class StoreProfile:
    """What `/v2/store` reports of a store, plus its access token."""

    hash: str
    token: str
    name: str = "Emulated Store"
    timezone: str = "America/Chicago"
    currency: str = "USD"
    plan_name: str = "Pro"
    domain: str = ""
    language: str = "en"
    country: str = "United States"
    country_code: str = "US"

    def to_json(self) -> dict[str, Any]:
        """Profile fields, for storage (the token is stored in its own column)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("hash", "token")}


@dataclass(frozen=True)
class Page:
    """One page of a list and its pagination facts."""

    items: list[dict[str, Any]]
    total: int
    page: int
    limit: int


class StoreDB:
    """All stores of one emulator process, in one SQLite database (a file, or `:memory:`)."""

    def __init__(self, path: str = ":memory:"):
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute(
            "PRAGMA journal_mode=WAL" if path != ":memory:" else "PRAGMA journal_mode=MEMORY"
        )
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA cache_size=-65536")  # 64 MiB, whatever the size of the catalog
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._id_bases: dict[str, int] = {}

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    # ---- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn.in_transaction:  # nested inside bulk(): one outer transaction
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Run many operations in one transaction (seeding): all or nothing, and fast."""
        with self._tx():
            yield

    def _one(self, sql: str, *params: Any) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def _docs(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        return [orjson.loads(r[0]) for r in self._conn.execute(sql, params)]

    def _next_id(self, store: str, kind: str) -> int:
        base = self._id_bases.get(store)
        if base is None:
            base = self._id_bases[store] = self._one(
                "SELECT id_base FROM stores WHERE hash=?", store
            )
        current = self._one("SELECT next FROM seq WHERE store=? AND kind=?", store, kind)
        value = current if current is not None else base
        self._conn.execute(
            "INSERT INTO seq (store, kind, next) VALUES (?, ?, ?) "
            "ON CONFLICT (store, kind) DO UPDATE SET next=excluded.next",
            (store, kind, value + 1),
        )
        return int(value)

    # ---- stores ---------------------------------------------------------------------------------

    def put_store(self, profile: StoreProfile) -> None:
        """Create a store, or update its token and profile (its catalog is kept)."""
        profile.domain = profile.domain or f"{profile.hash}.example-store.test"
        # IDs start at a different point in every store, as they do in real life.
        id_base = 100 + (zlib.crc32(profile.hash.encode()) % 900) * 10
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO stores (hash, token, profile, id_base) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (hash) DO UPDATE SET token=excluded.token, profile=excluded.profile",
                (profile.hash, profile.token, _dumps(profile.to_json()), id_base),
            )

    def stores(self) -> list[StoreProfile]:
        """Every store, with its token."""
        rows = self._conn.execute(
            "SELECT hash, token, profile FROM stores ORDER BY hash"
        ).fetchall()
        return [StoreProfile(hash=h, token=t, **orjson.loads(p)) for h, t, p in rows]

    def store(self, store: str) -> StoreProfile | None:
        """One store, or None."""
        return next((s for s in self.stores() if s.hash == store), None)

    def reset_store(self, store: str) -> None:
        """Delete every record of a store (its profile and token stay)."""
        with self._tx() as conn:
            for table in _CATALOG_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE store=?", (store,))

    def delete_store(self, store: str) -> None:
        """Remove a store and everything in it."""
        self.reset_store(store)
        with self._tx() as conn:
            conn.execute("DELETE FROM stores WHERE hash=?", (store,))

    # ---- products -------------------------------------------------------------------------------

    def _product_doc(self, store: str, product_id: int) -> dict[str, Any]:
        row = self._one("SELECT doc FROM products WHERE store=? AND id=?", store, product_id)
        if row is None:
            raise not_found("product")
        doc: dict[str, Any] = orjson.loads(row)
        return doc

    def _check_sku(
        self, store: str, sku: str, *, product_id: int | None, variant_id: int | None, label: str
    ) -> None:
        """SKUs are unique across products and variants, without case; `product_id` and
        `variant_id` are the records being written (a product shares its SKU with its base variant)."""
        key = sku.lower()
        taken = self._one(
            "SELECT 1 FROM products WHERE store=? AND sku_l=? AND id IS NOT ? UNION ALL "
            "SELECT 1 FROM variants WHERE store=? AND sku_l=? AND id IS NOT ?",
            store,
            key,
            product_id,
            store,
            key,
            variant_id,
        )
        if taken is not None:
            raise conflict(label, f"Sku '{sku}' is not unique.")

    def _check_name(self, store: str, name: str, product_id: int | None) -> None:
        found = self._one(
            "SELECT id FROM products WHERE store=? AND name_l=? AND id IS NOT ?",
            store,
            name.lower(),
            product_id,
        )
        if found is not None:
            raise conflict("name", f"The product name '{name}' is a duplicate.")

    def _check_refs(self, store: str, fields: dict[str, Any]) -> None:
        for category_id in fields.get("categories", []):
            if (
                not isinstance(category_id, int)
                or self._one("SELECT 1 FROM categories WHERE store=? AND id=?", store, category_id)
                is None
            ):
                raise conflict("categories", f"Category {category_id} does not exist.")
        brand_id = fields.get("brand_id")
        if (
            brand_id
            and self._one("SELECT 1 FROM brands WHERE store=? AND id=?", store, brand_id) is None
        ):
            raise conflict("brand_id", f"Brand {brand_id} does not exist.")

    def _unique_url(self, store: str, base: str) -> str:
        """A product URL no other product has (the platform appends -2, -3 ...)."""
        url, n = base, 1
        while self._one("SELECT 1 FROM products WHERE store=? AND url=?", store, url) is not None:
            n += 1
            url = base.rstrip("/") + f"-{n}/"
        return url

    def _resolve_brand_name(self, store: str, fields: dict[str, Any]) -> None:
        name = fields.pop("brand_name", None)
        if name:
            brand_id = self._one(
                "SELECT id FROM brands WHERE store=? AND name_l=?", store, name.lower()
            )
            if brand_id is None:
                brand_id = self._insert_brand(store, {"name": name})["id"]
            fields["brand_id"] = brand_id

    def create_product(self, store: str, body: Any, *, render: bool = True) -> dict[str, Any]:
        """`POST /catalog/products` (one product; inline variants, custom fields and images).
        Seeding passes `render=False` and gets only the id back."""
        fields = clean(body, PRODUCT_FIELDS, required=("name", "type", "weight", "price"))
        with self._tx():
            self._check_name(store, fields["name"], None)
            if fields.get("sku"):
                self._check_sku(store, fields["sku"], product_id=None, variant_id=None, label="sku")
            self._resolve_brand_name(store, fields)
            self._check_refs(store, fields)
            product_id = self._next_id(store, "product")
            stamp = now_iso()
            doc = {**PRODUCT_DEFAULTS, **fields, "date_created": stamp, "date_modified": stamp}
            doc["sku"] = fields.get("sku", "")
            custom_url = fields.get("custom_url") or {}
            doc["custom_url"] = {
                "url": custom_url.get("url")
                or self._unique_url(store, f"/{slug(fields['name'])}/"),
                "is_customized": bool(custom_url.get("url")),
            }
            self._write_product(store, product_id, doc)
            variants = body.get("variants") or []
            if not isinstance(variants, list):
                raise invalid("variants", "variants must be a list")
            if len(variants) > MAX_SKUS_PER_PRODUCT:
                raise invalid("variants", f"at most {MAX_SKUS_PER_PRODUCT} variants per product")
            self._ensure_base_variant(store, product_id, doc)
            for index, variant in enumerate(variants):
                self._insert_variant(
                    store, product_id, variant, label=f"variants[{index}].", touch=False
                )
            for index, cf in enumerate(body.get("custom_fields") or []):
                self._insert_custom_field(store, product_id, cf, label=f"custom_fields[{index}].")
            for index, image in enumerate(body.get("images") or []):
                self._insert_image(store, product_id, image, label=f"images[{index}].")
            if not render:
                return {"id": product_id}
            return self._render_products(store, [self._product_doc(store, product_id)], _ALL)[0]

    def _write_product(self, store: str, product_id: int, doc: dict[str, Any]) -> None:
        doc["id"] = product_id
        self._conn.execute(
            "INSERT OR REPLACE INTO products (store, id, sku_l, name_l, url, doc) VALUES (?, ?, ?, ?, ?, ?)",
            (
                store,
                product_id,
                doc.get("sku", "").lower() or None,
                doc["name"].lower(),
                doc["custom_url"]["url"],
                _dumps(doc),
            ),
        )
        self._conn.execute(
            "DELETE FROM product_categories WHERE store=? AND product_id=?", (store, product_id)
        )
        self._conn.executemany(
            "INSERT OR IGNORE INTO product_categories VALUES (?, ?, ?)",
            [(store, product_id, c) for c in doc.get("categories", [])],
        )

    def _ensure_base_variant(self, store: str, product_id: int, doc: dict[str, Any]) -> None:
        """A product without option variants has one base variant carrying its SKU."""
        base_id = doc.get("base_variant_id")
        if base_id is None:
            base_id = self._next_id(store, "variant")
            doc["base_variant_id"] = base_id
        variant = {
            **VARIANT_DEFAULTS,
            "id": base_id,
            "product_id": product_id,
            "sku": doc.get("sku", ""),
            "sku_id": None,
            "option_values": [],
        }
        existing = self._one("SELECT doc FROM variants WHERE store=? AND id=?", store, base_id)
        if existing:
            variant = {**orjson.loads(existing), "sku": doc.get("sku", "")}
        self._conn.execute(
            "INSERT OR REPLACE INTO variants (store, id, product_id, sku_l, doc) VALUES (?, ?, ?, ?, ?)",
            (store, base_id, product_id, variant["sku"].lower() or None, _dumps(variant)),
        )
        self._write_product(store, product_id, doc)

    def update_product(
        self, store: str, product_id: int, body: Any, *, label: str = ""
    ) -> dict[str, Any]:
        """`PUT /catalog/products/{id}`."""
        with self._tx():
            self._update_product(store, product_id, body, label=label)
            return self._render_products(store, [self._product_doc(store, product_id)], _ALL)[0]

    def _update_product(self, store: str, product_id: int, body: Any, *, label: str = "") -> None:
        doc = self._product_doc(store, product_id)
        fields = clean(body, PRODUCT_FIELDS, prefix=label)
        if "name" in fields and fields["name"] != doc["name"]:
            if not fields["name"]:
                raise invalid(label + "name", "name is required")
            self._check_name(store, fields["name"], product_id)
        if fields.get("sku") and fields["sku"].lower() != doc.get("sku", "").lower():
            self._check_sku(
                store,
                fields["sku"],
                product_id=product_id,
                variant_id=doc.get("base_variant_id"),
                label=label + "sku",
            )
        self._resolve_brand_name(store, fields)
        self._check_refs(store, fields)
        if "custom_url" in fields:
            fields["custom_url"] = {
                "url": fields["custom_url"].get("url", doc["custom_url"]["url"]),
                "is_customized": True,
            }
        changed = {k: v for k, v in fields.items() if doc.get(k) != v}
        if changed:
            doc.update(changed)
            doc["date_modified"] = now_iso()
            self._write_product(store, product_id, doc)
            if "sku" in changed and doc.get("base_variant_id"):
                self._ensure_base_variant(store, product_id, doc)
        for index, variant in enumerate(body.get("variants") or []):
            if isinstance(variant, dict) and variant.get("id"):
                self._update_variant(
                    store,
                    variant["id"],
                    variant,
                    product_id=product_id,
                    label=f"{label}variants[{index}].",
                )

    def update_products(self, store: str, body: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """`PUT /catalog/products`: a batch of at most 10, all or nothing. Items whose id does not
        exist are reported as errors beside the updated ones (207)."""
        if not isinstance(body, list):
            raise invalid("body", "a list of products is expected")
        if len(body) > 10:
            raise ApiError(413, "The request payload is too large. The maximum is 10 products.")
        missing = {}
        with self._tx():
            done = []
            for item in body:
                if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                    raise ApiError(422, "Each product in a batch needs an integer id.")
                if (
                    self._one("SELECT 1 FROM products WHERE store=? AND id=?", store, item["id"])
                    is None
                ):
                    missing[str(item["id"])] = "The product was not found."
                    continue
                try:
                    self._update_product(store, item["id"], item)
                except ApiError as error:
                    # Like the real batch endpoint: the batch fails without saying which item.
                    raise ApiError(
                        error.status, error.title, {"batch": "; ".join(error.errors.values())}
                    ) from error
                done.append(item["id"])
            docs = [self._product_doc(store, i) for i in done]
            return self._render_products(store, docs, _ALL), missing

    def delete_products(self, store: str, ids: Iterable[int]) -> None:
        """`DELETE /catalog/products/{id}` and `DELETE /catalog/products?id:in=`."""
        with self._tx() as conn:
            for product_id in ids:
                for table in ("products",):
                    conn.execute(f"DELETE FROM {table} WHERE store=? AND id=?", (store, product_id))
                for table in (
                    "variants",
                    "options",
                    "custom_fields",
                    "images",
                    "product_categories",
                ):
                    conn.execute(
                        f"DELETE FROM {table} WHERE store=? AND product_id=?",
                        (store, product_id),
                    )

    def get_product(self, store: str, product_id: int, include: set[str]) -> dict[str, Any]:
        """`GET /catalog/products/{id}`."""
        return self._render_products(store, [self._product_doc(store, product_id)], include)[0]

    def list_products(
        self, store: str, filters: dict[str, Any], include: set[str], page: int, limit: int
    ) -> Page:
        """`GET /catalog/products` with filters `id:in`, `sku`, `sku:in`, `name`, `keyword`,
        `brand_id`, `categories:in`."""
        where, params = ["store=?"], [store]
        if "id:in" in filters:
            ids = filters["id:in"]
            where.append(f"id IN ({','.join('?' * len(ids))})")
            params += ids
        if "sku" in filters:
            where.append("sku_l=?")
            params.append(filters["sku"].lower())
        if "sku:in" in filters:
            skus = [s.lower() for s in filters["sku:in"]]
            where.append(f"sku_l IN ({','.join('?' * len(skus))})")
            params += skus
        if "name" in filters:
            where.append("name_l=?")
            params.append(filters["name"].lower())
        if "keyword" in filters:
            where.append("(name_l LIKE ? OR sku_l LIKE ?)")
            params += [f"%{filters['keyword'].lower()}%"] * 2
        if "brand_id" in filters:
            where.append("json_extract(doc, '$.brand_id')=?")
            params.append(filters["brand_id"])
        if "categories:in" in filters:
            cats = filters["categories:in"]
            where.append(
                "id IN (SELECT product_id FROM product_categories WHERE store=? AND category_id IN "
                f"({','.join('?' * len(cats))}))"
            )
            params += [store, *cats]
        clause = " AND ".join(where)
        total = self._one(f"SELECT COUNT(*) FROM products WHERE {clause}", *params)
        hint = "INDEXED BY products_order" if len(where) == 1 else ""
        ids = [
            row[0]
            for row in self._conn.execute(
                f"SELECT id FROM products {hint} WHERE {clause} ORDER BY id LIMIT ? OFFSET ?",
                (*params, limit, (page - 1) * limit),
            )
        ]
        docs = self._docs(
            f"SELECT doc FROM products WHERE store=? AND id IN ({','.join('?' * len(ids))}) ORDER BY id",
            store,
            *ids,
        )
        return Page(self._render_products(store, docs, include), total, page, limit)

    def _children_of(
        self, table: str, store: str, product_ids: list[int]
    ) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = {i: [] for i in product_ids}
        if not product_ids:
            return found
        marks = ",".join("?" * len(product_ids))
        for doc in self._docs(
            f"SELECT doc FROM {table} WHERE store=? AND product_id IN ({marks}) ORDER BY product_id, id",
            store,
            *product_ids,
        ):
            found[doc["product_id"]].append(doc)
        return found

    def _render_products(
        self, store: str, docs: list[dict[str, Any]], include: AbstractSet[str]
    ) -> list[dict[str, Any]]:
        ids = [d["id"] for d in docs]
        variants = self._children_of("variants", store, ids) if "variants" in include else {}
        fields = (
            self._children_of("custom_fields", store, ids) if "custom_fields" in include else {}
        )
        images = self._children_of("images", store, ids) if "images" in include else {}
        options = self._children_of("options", store, ids) if "options" in include else {}
        out = []
        for doc in docs:
            product = dict(doc)
            sale = product.get("sale_price") or 0
            product["calculated_price"] = sale if sale > 0 else product.get("price", 0)
            if product.get("base_variant_id") is None:
                product.pop("base_variant_id", None)
            if "variants" in include:
                product["variants"] = [self._render_variant(v, doc) for v in variants[doc["id"]]]
            if "custom_fields" in include:
                product["custom_fields"] = fields[doc["id"]]
            if "images" in include:
                product["images"] = sorted(
                    images[doc["id"]], key=lambda i: (i["sort_order"], i["id"])
                )
            if "options" in include:
                product["options"] = options[doc["id"]]
            out.append(product)
        return out

    @staticmethod
    def _render_variant(variant: dict[str, Any], product: dict[str, Any]) -> dict[str, Any]:
        out = dict(variant)
        out["sku_id"] = out.get("sku_id") or out["id"]
        price = out.get("price") if out.get("price") is not None else product.get("price", 0)
        sale = (
            out.get("sale_price")
            if out.get("sale_price") is not None
            else product.get("sale_price", 0)
        )
        out["calculated_price"] = sale if sale else price
        out["calculated_weight"] = (
            out.get("weight") if out.get("weight") is not None else product.get("weight", 0)
        )
        return {k: v for k, v in out.items() if v is not None}

    # ---- variants and options -------------------------------------------------------------------

    def _option_values(
        self, store: str, product_id: int, values: Any, label: str
    ) -> list[dict[str, Any]]:
        """Resolve `option_values` given by ids or by display name and label, creating options
        and values as the product-create endpoint does."""
        if not isinstance(values, list):
            raise invalid(label + "option_values", "option_values must be a list")
        resolved = []
        options = {
            o["display_name"].lower(): o
            for o in self._docs(
                "SELECT doc FROM options WHERE store=? AND product_id=?", store, product_id
            )
        }
        by_id = {o["id"]: o for o in options.values()}
        for value in values:
            if not isinstance(value, dict):
                raise invalid(label + "option_values", "each option value must be an object")
            option = None
            if value.get("option_id") is not None:
                option = by_id.get(value["option_id"])
                if option is None:
                    raise invalid(
                        label + "option_values", f"option {value['option_id']} does not exist"
                    )
            else:
                name = value.get("option_display_name")
                if not isinstance(name, str) or not name:
                    raise invalid(
                        label + "option_values", "option_display_name or option_id is required"
                    )
                option = options.get(name.lower())
                if option is None:
                    option = {
                        "id": self._next_id(store, "option"),
                        "product_id": product_id,
                        "display_name": name,
                        "name": f"{name}-{product_id}",
                        "type": "rectangles",
                        "sort_order": len(options),
                        "config": {},
                        "option_values": [],
                    }
                    options[name.lower()] = by_id[option["id"]] = option
            chosen = None
            if value.get("id") is not None and value.get("option_id") is not None:
                chosen = next((v for v in option["option_values"] if v["id"] == value["id"]), None)
            else:
                label_text = value.get("label")
                if not isinstance(label_text, str) or not label_text:
                    raise invalid(label + "option_values", "label is required")
                chosen = next(
                    (
                        v
                        for v in option["option_values"]
                        if v["label"].lower() == label_text.lower()
                    ),
                    None,
                )
                if chosen is None:
                    chosen = {
                        "id": self._next_id(store, "option_value"),
                        "label": label_text,
                        "sort_order": len(option["option_values"]),
                        "is_default": False,
                    }
                    option["option_values"].append(chosen)
            if chosen is None:
                raise invalid(
                    label + "option_values", f"option value {value.get('id')} does not exist"
                )
            self._conn.execute(
                "INSERT OR REPLACE INTO options (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
                (store, option["id"], product_id, _dumps(option)),
            )
            resolved.append(
                {
                    "id": chosen["id"],
                    "label": chosen["label"],
                    "option_id": option["id"],
                    "option_display_name": option["display_name"],
                }
            )
        return resolved

    def _insert_variant(
        self, store: str, product_id: int, body: Any, *, label: str = "", touch: bool = True
    ) -> dict[str, Any]:
        fields = clean(body, VARIANT_FIELDS, required=("sku",), prefix=label)
        product = self._product_doc(store, product_id)
        count = self._one(
            "SELECT COUNT(*) FROM variants WHERE store=? AND product_id=?", store, product_id
        )
        if count >= MAX_SKUS_PER_PRODUCT:
            raise invalid(label + "sku", f"a product has at most {MAX_SKUS_PER_PRODUCT} SKUs")
        variant_id = self._next_id(store, "variant")
        self._check_sku(
            store, fields["sku"], product_id=None, variant_id=variant_id, label=label + "sku"
        )
        option_values = self._option_values(
            store, product_id, fields.pop("option_values", []), label
        )
        if option_values:
            combo = sorted(v["id"] for v in option_values)
            for other in self._docs(
                "SELECT doc FROM variants WHERE store=? AND product_id=?", store, product_id
            ):
                if sorted(v["id"] for v in other["option_values"]) == combo:
                    raise conflict(
                        label + "option_values", "A variant with these option values exists."
                    )
            base_id = product.get("base_variant_id")
            if base_id is not None:  # the first option variant replaces the base variant
                self._conn.execute("DELETE FROM variants WHERE store=? AND id=?", (store, base_id))
                product["base_variant_id"] = None
                self._write_product(store, product_id, product)
        elif product.get("base_variant_id") is not None:
            raise invalid(label + "option_values", "a variant of this product needs option values")
        doc = {
            **VARIANT_DEFAULTS,
            **fields,
            "id": variant_id,
            "product_id": product_id,
            "sku_id": variant_id,
            "option_values": option_values,
        }
        self._conn.execute(
            "INSERT INTO variants (store, id, product_id, sku_l, doc) VALUES (?, ?, ?, ?, ?)",
            (store, variant_id, product_id, doc["sku"].lower(), _dumps(doc)),
        )
        if touch:
            self._touch_product(store, product_id)
        return self._render_variant(doc, product)

    def _touch_product(self, store: str, product_id: int) -> None:
        doc = self._product_doc(store, product_id)
        doc["date_modified"] = now_iso()
        self._conn.execute(
            "UPDATE products SET doc=? WHERE store=? AND id=?", (_dumps(doc), store, product_id)
        )

    def create_variant(self, store: str, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /catalog/products/{id}/variants`."""
        with self._tx():
            return self._insert_variant(store, product_id, body)

    def _update_variant(
        self,
        store: str,
        variant_id: int,
        body: Any,
        *,
        product_id: int | None = None,
        label: str = "",
    ) -> dict[str, Any]:
        row = self._conn.execute(
            "SELECT product_id, doc FROM variants WHERE store=? AND id=?", (store, variant_id)
        ).fetchone()
        if row is None or (product_id is not None and row[0] != product_id):
            raise not_found("variant")
        doc = orjson.loads(row[1])
        fields = clean(body, VARIANT_FIELDS, prefix=label)
        fields.pop("option_values", None)  # option values are fixed once a variant exists
        product = self._product_doc(store, row[0])
        if "sku" in fields and fields["sku"].lower() != doc["sku"].lower():
            if doc["id"] == product.get("base_variant_id"):
                raise invalid(label + "sku", "the base variant's SKU is the product's SKU")
            self._check_sku(
                store, fields["sku"], product_id=None, variant_id=variant_id, label=label + "sku"
            )
        changed = {k: v for k, v in fields.items() if doc.get(k) != v}
        if changed:
            doc.update(changed)
            self._conn.execute(
                "UPDATE variants SET doc=?, sku_l=? WHERE store=? AND id=?",
                (_dumps(doc), doc["sku"].lower(), store, variant_id),
            )
            self._touch_product(store, row[0])
        return self._render_variant(doc, product)

    def update_variant(
        self, store: str, product_id: int, variant_id: int, body: Any
    ) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/variants/{variant_id}`."""
        with self._tx():
            return self._update_variant(store, variant_id, body, product_id=product_id)

    def update_variants(self, store: str, body: Any) -> list[dict[str, Any]]:
        """`PUT /catalog/variants`: a batch of at most 50, all or nothing."""
        if not isinstance(body, list):
            raise invalid("body", "a list of variants is expected")
        if len(body) > 50:
            raise ApiError(413, "The request payload is too large. The maximum is 50 variants.")
        with self._tx():
            out = []
            for item in body:
                if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                    raise ApiError(422, "Each variant in a batch needs an integer id.")
                try:
                    out.append(self._update_variant(store, item["id"], item))
                except ApiError as error:
                    raise ApiError(
                        422 if error.status == 404 else error.status,
                        error.title,
                        {"batch": "; ".join(error.errors.values()) or error.title},
                    ) from error
            return out

    def delete_variant(self, store: str, product_id: int, variant_id: int) -> None:
        """`DELETE /catalog/products/{id}/variants/{variant_id}`."""
        with self._tx() as conn:
            product = self._product_doc(store, product_id)
            if variant_id == product.get("base_variant_id"):
                raise invalid("variant_id", "the base variant cannot be deleted")
            conn.execute(
                "DELETE FROM variants WHERE store=? AND id=? AND product_id=?",
                (store, variant_id, product_id),
            )
            if not self._one(
                "SELECT 1 FROM variants WHERE store=? AND product_id=?", store, product_id
            ):
                self._ensure_base_variant(store, product_id, product)

    def list_variants(
        self, store: str, product_id: int | None, filters: dict[str, Any], page: int, limit: int
    ) -> Page:
        """`GET /catalog/products/{id}/variants` and `GET /catalog/variants`."""
        where: list[str] = ["store=?"]
        params: list[Any] = [store]
        if product_id is not None:
            self._product_doc(store, product_id)
            where.append("product_id=?")
            params.append(product_id)
        if "sku" in filters:
            where.append("sku_l=?")
            params.append(filters["sku"].lower())
        if "id:in" in filters:
            where.append(f"id IN ({','.join('?' * len(filters['id:in']))})")
            params += filters["id:in"]
        if "product_id:in" in filters:
            where.append(f"product_id IN ({','.join('?' * len(filters['product_id:in']))})")
            params += filters["product_id:in"]
        clause = " AND ".join(where)
        total = self._one(f"SELECT COUNT(*) FROM variants WHERE {clause}", *params)
        docs = self._docs(
            f"SELECT doc FROM variants WHERE {clause} ORDER BY id LIMIT ? OFFSET ?",
            *params,
            limit,
            (page - 1) * limit,
        )
        product_ids = sorted({d["product_id"] for d in docs})
        products = {
            d["id"]: d
            for d in self._docs(
                f"SELECT doc FROM products WHERE store=? AND id IN ({','.join('?' * len(product_ids))})",
                store,
                *product_ids,
            )
        }
        return Page(
            [self._render_variant(d, products[d["product_id"]]) for d in docs], total, page, limit
        )

    def get_variant(self, store: str, product_id: int, variant_id: int) -> dict[str, Any]:
        """`GET /catalog/products/{id}/variants/{variant_id}`."""
        product = self._product_doc(store, product_id)
        docs = self._docs(
            "SELECT doc FROM variants WHERE store=? AND id=? AND product_id=?",
            store,
            variant_id,
            product_id,
        )
        if not docs:
            raise not_found("variant")
        return self._render_variant(docs[0], product)

    def list_options(self, store: str, product_id: int) -> list[dict[str, Any]]:
        """`GET /catalog/products/{id}/options`."""
        self._product_doc(store, product_id)
        return self._docs(
            "SELECT doc FROM options WHERE store=? AND product_id=? ORDER BY id", store, product_id
        )

    def get_option(self, store: str, product_id: int, option_id: int) -> dict[str, Any]:
        """`GET /catalog/products/{id}/options/{option_id}`."""
        found = [o for o in self.list_options(store, product_id) if o["id"] == option_id]
        if not found:
            raise not_found("option")
        return found[0]

    def create_option(self, store: str, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /catalog/products/{id}/options` with `display_name`, `type` and `option_values`."""
        if not isinstance(body, dict) or not body.get("display_name"):
            raise invalid("display_name", "display_name is required")
        values = body.get("option_values") or []
        if not isinstance(values, list) or not values:
            raise invalid("option_values", "at least one option value is required")
        with self._tx():
            self._product_doc(store, product_id)
            if any(
                o["display_name"].lower() == str(body["display_name"]).lower()
                for o in self.list_options(store, product_id)
            ):
                raise conflict("display_name", "An option with this display name exists.")
            for value in values:
                self._option_values(
                    store,
                    product_id,
                    [
                        {
                            "option_display_name": body["display_name"],
                            "label": value.get("label") if isinstance(value, dict) else None,
                        }
                    ],
                    "",
                )
            option = next(
                o
                for o in self.list_options(store, product_id)
                if o["display_name"] == body["display_name"]
            )
            if body.get("type"):
                option["type"] = body["type"]
                self._conn.execute(
                    "UPDATE options SET doc=? WHERE store=? AND id=?",
                    (_dumps(option), store, option["id"]),
                )
            return option

    def delete_option(self, store: str, product_id: int, option_id: int) -> None:
        """`DELETE /catalog/products/{id}/options/{option_id}` (refused while variants use it)."""
        with self._tx() as conn:
            self.get_option(store, product_id, option_id)
            for variant in self._docs(
                "SELECT doc FROM variants WHERE store=? AND product_id=?", store, product_id
            ):
                if any(v["option_id"] == option_id for v in variant["option_values"]):
                    raise invalid("option_id", "the option is used by variants")
            conn.execute("DELETE FROM options WHERE store=? AND id=?", (store, option_id))

    # ---- custom fields and images ---------------------------------------------------------------

    def _insert_custom_field(
        self, store: str, product_id: int, body: Any, *, label: str = ""
    ) -> dict[str, Any]:
        fields = clean(body, CUSTOM_FIELD_FIELDS, required=("name", "value"), prefix=label)
        existing = self._docs(
            "SELECT doc FROM custom_fields WHERE store=? AND product_id=?", store, product_id
        )
        if len(existing) >= MAX_CUSTOM_FIELDS:
            raise invalid(
                label + "name", f"a product has at most {MAX_CUSTOM_FIELDS} custom fields"
            )
        if any(e["name"] == fields["name"] and e["value"] == fields["value"] for e in existing):
            raise conflict(label + "name", "The custom field name and value pair is a duplicate.")
        doc = {"id": self._next_id(store, "custom_field"), "product_id": product_id, **fields}
        self._conn.execute(
            "INSERT INTO custom_fields (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            (store, doc["id"], product_id, _dumps(doc)),
        )
        return {k: v for k, v in doc.items() if k != "product_id"}

    def list_custom_fields(self, store: str, product_id: int) -> list[dict[str, Any]]:
        """`GET /catalog/products/{id}/custom-fields`."""
        self._product_doc(store, product_id)
        docs = self._docs(
            "SELECT doc FROM custom_fields WHERE store=? AND product_id=? ORDER BY id",
            store,
            product_id,
        )
        return [{k: v for k, v in d.items() if k != "product_id"} for d in docs]

    def create_custom_field(self, store: str, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /catalog/products/{id}/custom-fields`."""
        with self._tx():
            self._product_doc(store, product_id)
            created = self._insert_custom_field(store, product_id, body)
            self._touch_product(store, product_id)
            return created

    def update_custom_field(
        self, store: str, product_id: int, field_id: int, body: Any
    ) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/custom-fields/{custom_field_id}`."""
        with self._tx():
            docs = self._docs(
                "SELECT doc FROM custom_fields WHERE store=? AND id=? AND product_id=?",
                store,
                field_id,
                product_id,
            )
            if not docs:
                raise not_found("custom field")
            doc = {**docs[0], **clean(body, CUSTOM_FIELD_FIELDS)}
            others = self._docs(
                "SELECT doc FROM custom_fields WHERE store=? AND product_id=? AND id!=?",
                store,
                product_id,
                field_id,
            )
            if any(o["name"] == doc["name"] and o["value"] == doc["value"] for o in others):
                raise conflict("name", "The custom field name and value pair is a duplicate.")
            self._conn.execute(
                "UPDATE custom_fields SET doc=? WHERE store=? AND id=?",
                (_dumps(doc), store, field_id),
            )
            self._touch_product(store, product_id)
            return {k: v for k, v in doc.items() if k != "product_id"}

    def delete_custom_field(self, store: str, product_id: int, field_id: int) -> None:
        """`DELETE /catalog/products/{id}/custom-fields/{custom_field_id}`."""
        with self._tx() as conn:
            conn.execute(
                "DELETE FROM custom_fields WHERE store=? AND id=? AND product_id=?",
                (store, field_id, product_id),
            )

    def _insert_image(
        self, store: str, product_id: int, body: Any, *, label: str = ""
    ) -> dict[str, Any]:
        fields = clean(body, IMAGE_FIELDS, required=("image_url",), prefix=label)
        url = fields["image_url"]
        doc = {
            "id": self._next_id(store, "image"),
            "product_id": product_id,
            "is_thumbnail": False,
            "sort_order": 0,
            "description": "",
            **fields,
            "image_file": url.rsplit("/", 1)[-1],
            "url_zoom": url,
            "url_standard": url,
            "url_thumbnail": url,
            "url_tiny": url,
            "date_modified": now_iso(),
        }
        self._conn.execute(
            "INSERT INTO images (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            (store, doc["id"], product_id, _dumps(doc)),
        )
        return doc

    def list_images(self, store: str, product_id: int) -> list[dict[str, Any]]:
        """`GET /catalog/products/{id}/images`."""
        self._product_doc(store, product_id)
        return self._docs(
            "SELECT doc FROM images WHERE store=? AND product_id=? ORDER BY id", store, product_id
        )

    def create_image(self, store: str, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /catalog/products/{id}/images` (metadata only: `image_url`)."""
        with self._tx():
            self._product_doc(store, product_id)
            created = self._insert_image(store, product_id, body)
            self._touch_product(store, product_id)
            return created

    def update_image(self, store: str, product_id: int, image_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/images/{image_id}`."""
        with self._tx():
            docs = self._docs(
                "SELECT doc FROM images WHERE store=? AND id=? AND product_id=?",
                store,
                image_id,
                product_id,
            )
            if not docs:
                raise not_found("image")
            doc = {**docs[0], **clean(body, IMAGE_FIELDS), "date_modified": now_iso()}
            self._conn.execute(
                "UPDATE images SET doc=? WHERE store=? AND id=?", (_dumps(doc), store, image_id)
            )
            return doc

    def delete_image(self, store: str, product_id: int, image_id: int) -> None:
        """`DELETE /catalog/products/{id}/images/{image_id}`."""
        with self._tx() as conn:
            conn.execute(
                "DELETE FROM images WHERE store=? AND id=? AND product_id=?",
                (store, image_id, product_id),
            )

    # ---- categories -----------------------------------------------------------------------------

    def _category_docs(self, store: str) -> dict[int, dict[str, Any]]:
        return {d["id"]: d for d in self._docs("SELECT doc FROM categories WHERE store=?", store)}

    def _depth(self, cats: dict[int, dict[str, Any]], category_id: int) -> int:
        depth = 0
        while category_id:
            depth += 1
            category_id = cats[category_id]["parent_id"] if category_id in cats else 0
        return depth

    def _category_path(self, cats: dict[int, dict[str, Any]], doc: dict[str, Any]) -> str:
        parts: list[str] = []
        node: dict[str, Any] | None = doc
        while node:
            parts.append(slug(node["name"]))
            node = cats.get(node["parent_id"]) if node["parent_id"] else None
        return "/" + "/".join(reversed(parts)) + "/"

    def _save_category(self, store: str, doc: dict[str, Any], label: str) -> None:
        cats = self._category_docs(store)
        cats[doc["id"]] = doc
        parent = doc["parent_id"]
        if parent and parent not in cats:
            raise invalid(label + "parent_id", f"parent category {parent} does not exist")
        node, seen = parent, {doc["id"]}
        while node:
            if node in seen:
                raise invalid(label + "parent_id", "a category cannot be its own ancestor")
            seen.add(node)
            node = cats[node]["parent_id"]
        if self._depth(cats, doc["id"]) > MAX_CATEGORY_DEPTH:
            raise invalid(label + "parent_id", f"categories nest at most {MAX_CATEGORY_DEPTH} deep")
        sibling = self._one(
            "SELECT id FROM categories WHERE store=? AND parent_id=? AND name_l=? AND id!=?",
            store,
            parent,
            doc["name"].lower(),
            doc["id"],
        )
        if sibling is not None:
            raise conflict(
                label + "name", f"A category named '{doc['name']}' exists under the same parent."
            )
        if not doc.get("url_customized"):
            doc["url_path"] = self._category_path(cats, doc)
        self._conn.execute(
            "INSERT OR REPLACE INTO categories (store, id, parent_id, name_l, doc) VALUES (?, ?, ?, ?, ?)",
            (store, doc["id"], parent, doc["name"].lower(), _dumps(doc)),
        )

    def _new_category(self, store: str, body: Any, label: str) -> dict[str, Any]:
        fields = clean(body, CATEGORY_FIELDS, required=("name",), prefix=label)
        if self._one("SELECT COUNT(*) FROM categories WHERE store=?", store) >= MAX_CATEGORIES:
            raise invalid(label + "name", f"a store has at most {MAX_CATEGORIES} categories")
        tree_id = fields.pop("tree_id", DEFAULT_TREE_ID)
        if tree_id != DEFAULT_TREE_ID:
            raise invalid(label + "tree_id", f"tree {tree_id} does not exist")
        doc = {
            **CATEGORY_DEFAULTS,
            **fields,
            "id": self._next_id(store, "category"),
            "parent_id": fields.get("parent_id", 0),
            "tree_id": tree_id,
            "category_uuid": str(uuid.uuid4()),
        }
        self._apply_url(doc, fields)
        self._save_category(store, doc, label)
        return doc

    @staticmethod
    def _apply_url(doc: dict[str, Any], fields: dict[str, Any]) -> None:
        url = fields.pop("url", None) or fields.pop("custom_url", None)
        doc.pop("url", None)
        doc.pop("custom_url", None)
        if url:
            doc["url_path"] = url.get("path") or url.get("url")
            doc["url_customized"] = True

    def _update_category(
        self, store: str, category_id: int, body: Any, label: str
    ) -> dict[str, Any]:
        docs = self._docs("SELECT doc FROM categories WHERE store=? AND id=?", store, category_id)
        if not docs:
            raise not_found("category")
        fields = clean(body, CATEGORY_FIELDS, prefix=label)
        fields.pop("tree_id", None)
        doc = docs[0]
        self._apply_url(doc, fields)
        doc.update(fields)
        self._save_category(store, doc, label)
        return doc

    @staticmethod
    def tree_category(doc: dict[str, Any]) -> dict[str, Any]:
        """A category in the shape of the category trees API."""
        out = {k: v for k, v in doc.items() if k not in ("id", "url_path", "url_customized")}
        out["category_id"] = doc["id"]
        out["url"] = {
            "path": doc.get("url_path", ""),
            "is_customized": bool(doc.get("url_customized")),
        }
        return out

    @staticmethod
    def legacy_category(doc: dict[str, Any]) -> dict[str, Any]:
        """A category in the shape of the legacy `/catalog/categories` API."""
        out = {
            k: v
            for k, v in doc.items()
            if k not in ("tree_id", "category_uuid", "url_path", "url_customized")
        }
        out["custom_url"] = {
            "url": doc.get("url_path", ""),
            "is_customized": bool(doc.get("url_customized")),
        }
        return out

    def create_categories(self, store: str, body: Any) -> list[dict[str, Any]]:
        """`POST /catalog/trees/categories`: a batch, all or nothing (parents may precede children
        in the same batch only by id, so create level by level)."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "a non-empty list of categories is expected")
        with self._tx():
            return [self._new_category(store, item, f"[{i}].") for i, item in enumerate(body)]

    def update_categories(self, store: str, body: Any) -> list[dict[str, Any]]:
        """`PUT /catalog/trees/categories`: a batch, each item with `category_id`."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "a non-empty list of categories is expected")
        with self._tx():
            out = []
            for i, item in enumerate(body):
                if not isinstance(item, dict) or not isinstance(item.get("category_id"), int):
                    raise invalid(f"[{i}].category_id", "category_id is required")
                out.append(self._update_category(store, item["category_id"], item, f"[{i}]."))
            return out

    def delete_categories(self, store: str, ids: Iterable[int]) -> None:
        """Delete categories and their subcategories; refused while any of them has products."""
        with self._tx() as conn:
            cats = self._category_docs(store)
            doomed: set[int] = set()
            frontier = [i for i in ids if i in cats]
            while frontier:
                current = frontier.pop()
                doomed.add(current)
                frontier += [
                    c for c, d in cats.items() if d["parent_id"] == current and c not in doomed
                ]
            for category_id in sorted(doomed):
                if self._one(
                    "SELECT 1 FROM product_categories WHERE store=? AND category_id=?",
                    store,
                    category_id,
                ):
                    raise ApiError(
                        422,
                        f"Category {category_id} has products and cannot be deleted.",
                        {"category_id": "the category still has products"},
                    )
            conn.executemany(
                "DELETE FROM categories WHERE store=? AND id=?", [(store, c) for c in doomed]
            )

    def list_categories(self, store: str, filters: dict[str, Any], page: int, limit: int) -> Page:
        """Categories ordered by id, filtered by `id:in`, `parent_id:in`, `name`."""
        where, params = ["store=?"], [store]
        for key, column in (
            ("id:in", "id"),
            ("category_id:in", "id"),
            ("parent_id:in", "parent_id"),
        ):
            if key in filters:
                where.append(f"{column} IN ({','.join('?' * len(filters[key]))})")
                params += filters[key]
        if "name" in filters:
            where.append("name_l=?")
            params.append(filters["name"].lower())
        if "tree_id:in" in filters and DEFAULT_TREE_ID not in filters["tree_id:in"]:
            where.append("0")
        clause = " AND ".join(where)
        total = self._one(f"SELECT COUNT(*) FROM categories WHERE {clause}", *params)
        docs = self._docs(
            f"SELECT doc FROM categories WHERE {clause} ORDER BY id LIMIT ? OFFSET ?",
            *params,
            limit,
            (page - 1) * limit,
        )
        return Page(docs, total, page, limit)

    def get_category(self, store: str, category_id: int) -> dict[str, Any]:
        """One category document."""
        docs = self._docs("SELECT doc FROM categories WHERE store=? AND id=?", store, category_id)
        if not docs:
            raise not_found("category")
        return docs[0]

    def create_category(self, store: str, body: Any) -> dict[str, Any]:
        """`POST /catalog/categories` (legacy, one category)."""
        with self._tx():
            return self._new_category(store, body, "")

    def update_category(self, store: str, category_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/categories/{id}` (legacy)."""
        with self._tx():
            return self._update_category(store, category_id, body, "")

    def category_tree(self, store: str) -> list[dict[str, Any]]:
        """`GET /catalog/trees/{tree_id}/categories`: nested nodes."""
        cats = self._category_docs(store)

        def node(doc: dict[str, Any], depth: int, path: list[int]) -> dict[str, Any]:
            children = sorted(
                (d for d in cats.values() if d["parent_id"] == doc["id"]),
                key=lambda d: (d["sort_order"], d["id"]),
            )
            return {
                "id": doc["id"],
                "parent_id": doc["parent_id"],
                "depth": depth,
                "path": path,
                "name": doc["name"],
                "is_visible": doc["is_visible"],
                "url": doc.get("url_path", ""),
                "children": [node(c, depth + 1, [*path, doc["id"]]) for c in children],
            }

        roots = sorted(
            (d for d in cats.values() if not d["parent_id"]),
            key=lambda d: (d["sort_order"], d["id"]),
        )
        return [node(r, 1, []) for r in roots]

    # ---- brands ---------------------------------------------------------------------------------

    def _insert_brand(self, store: str, body: Any) -> dict[str, Any]:
        fields = clean(body, BRAND_FIELDS, required=("name",))
        if self._one("SELECT COUNT(*) FROM brands WHERE store=?", store) >= MAX_BRANDS:
            raise invalid("name", f"a store has at most {MAX_BRANDS} brands")
        if self._one(
            "SELECT id FROM brands WHERE store=? AND name_l=?", store, fields["name"].lower()
        ):
            raise conflict("name", f"Brand name '{fields['name']}' is a duplicate.")
        doc = {**BRAND_DEFAULTS, **fields, "id": self._next_id(store, "brand")}
        doc["custom_url"] = {
            "url": (fields.get("custom_url") or {}).get("url")
            or f"/brands/{slug(fields['name'])}/",
            "is_customized": bool((fields.get("custom_url") or {}).get("url")),
        }
        self._conn.execute(
            "INSERT INTO brands VALUES (?, ?, ?, ?)",
            (store, doc["id"], doc["name"].lower(), _dumps(doc)),
        )
        return doc

    def create_brand(self, store: str, body: Any) -> dict[str, Any]:
        """`POST /catalog/brands`."""
        with self._tx():
            return self._insert_brand(store, body)

    def update_brand(self, store: str, brand_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/brands/{id}`."""
        with self._tx():
            doc = self.get_brand(store, brand_id)
            fields = clean(body, BRAND_FIELDS)
            if (
                "name" in fields
                and fields["name"].lower() != doc["name"].lower()
                and self._one(
                    "SELECT id FROM brands WHERE store=? AND name_l=?",
                    store,
                    fields["name"].lower(),
                )
            ):
                raise conflict("name", f"Brand name '{fields['name']}' is a duplicate.")
            if "custom_url" in fields:
                fields["custom_url"] = {
                    "url": fields["custom_url"].get("url", ""),
                    "is_customized": True,
                }
            doc.update(fields)
            self._conn.execute(
                "UPDATE brands SET doc=?, name_l=? WHERE store=? AND id=?",
                (_dumps(doc), doc["name"].lower(), store, brand_id),
            )
            return doc

    def get_brand(self, store: str, brand_id: int) -> dict[str, Any]:
        """`GET /catalog/brands/{id}`."""
        docs = self._docs("SELECT doc FROM brands WHERE store=? AND id=?", store, brand_id)
        if not docs:
            raise not_found("brand")
        return docs[0]

    def list_brands(self, store: str, filters: dict[str, Any], page: int, limit: int) -> Page:
        """`GET /catalog/brands` filtered by `id:in`, `name`."""
        where, params = ["store=?"], [store]
        if "id:in" in filters:
            where.append(f"id IN ({','.join('?' * len(filters['id:in']))})")
            params += filters["id:in"]
        if "name" in filters:
            where.append("name_l=?")
            params.append(filters["name"].lower())
        clause = " AND ".join(where)
        total = self._one(f"SELECT COUNT(*) FROM brands WHERE {clause}", *params)
        docs = self._docs(
            f"SELECT doc FROM brands WHERE {clause} ORDER BY id LIMIT ? OFFSET ?",
            *params,
            limit,
            (page - 1) * limit,
        )
        return Page(docs, total, page, limit)

    def delete_brands(self, store: str, ids: Iterable[int]) -> None:
        """Delete brands; products that had one get `brand_id` 0, as on the platform."""
        with self._tx() as conn:
            for brand_id in ids:
                conn.execute("DELETE FROM brands WHERE store=? AND id=?", (store, brand_id))
                for doc in self._docs(
                    "SELECT doc FROM products WHERE store=? AND json_extract(doc, '$.brand_id')=?",
                    store,
                    brand_id,
                ):
                    doc["brand_id"] = 0
                    conn.execute(
                        "UPDATE products SET doc=? WHERE store=? AND id=?",
                        (_dumps(doc), store, doc["id"]),
                    )

    # ---- scripts --------------------------------------------------------------------------------

    def _script_check(self, fields: dict[str, Any], label: str = "") -> None:
        if fields.get("kind") == "src" and "src" in fields and not fields["src"]:
            raise invalid(label + "src", "src is required when kind is src")

    def create_script(self, store: str, body: Any, client_id: str) -> dict[str, Any]:
        """`POST /content/scripts` (at most 10 per API client)."""
        fields = clean(body, SCRIPT_FIELDS, required=("name",))
        kind = fields.get("kind", "src")
        if kind == "src" and not fields.get("src"):
            raise invalid("src", "src is required when kind is src")
        if kind == "script_tag" and not fields.get("html"):
            raise invalid("html", "html is required when kind is script_tag")
        with self._tx():
            count = self._one(
                "SELECT COUNT(*) FROM scripts WHERE store=? AND json_extract(doc, '$.api_client_id')=?",
                store,
                client_id,
            )
            if count >= MAX_SCRIPTS_PER_CLIENT:
                raise invalid(
                    "name", f"an API client can own at most {MAX_SCRIPTS_PER_CLIENT} scripts"
                )
            stamp = now_iso()
            doc = {
                **SCRIPT_DEFAULTS,
                **fields,
                "uuid": str(uuid.uuid4()),
                "date_created": stamp,
                "date_modified": stamp,
                "api_client_id": client_id,
            }
            seq = self._next_id(store, "script")
            self._conn.execute(
                "INSERT INTO scripts VALUES (?, ?, ?, ?)",
                (store, doc["uuid"], seq, _dumps(doc)),
            )
            return doc

    def list_scripts(self, store: str, client_id: str, page: int, limit: int) -> Page:
        """`GET /content/scripts`: only the scripts of the calling API client."""
        docs = [
            d
            for d in self._docs("SELECT doc FROM scripts WHERE store=? ORDER BY seq", store)
            if d.get("api_client_id") == client_id
        ]
        return Page(docs[(page - 1) * limit : page * limit], len(docs), page, limit)

    def get_script(self, store: str, script_uuid: str, client_id: str) -> dict[str, Any]:
        """`GET /content/scripts/{uuid}`."""
        docs = self._docs("SELECT doc FROM scripts WHERE store=? AND uuid=?", store, script_uuid)
        if not docs or docs[0].get("api_client_id") != client_id:
            raise not_found("script")
        return docs[0]

    def update_script(
        self, store: str, script_uuid: str, body: Any, client_id: str
    ) -> dict[str, Any]:
        """`PUT /content/scripts/{uuid}`."""
        with self._tx():
            doc = self.get_script(store, script_uuid, client_id)
            doc.update(clean(body, SCRIPT_FIELDS))
            doc["date_modified"] = now_iso()
            self._conn.execute(
                "UPDATE scripts SET doc=? WHERE store=? AND uuid=?",
                (_dumps(doc), store, script_uuid),
            )
            return doc

    def delete_script(self, store: str, script_uuid: str, client_id: str) -> None:
        """`DELETE /content/scripts/{uuid}`."""
        with self._tx() as conn:
            self.get_script(store, script_uuid, client_id)
            conn.execute("DELETE FROM scripts WHERE store=? AND uuid=?", (store, script_uuid))

    # ---- themes ---------------------------------------------------------------------------------

    def themes(self, store: str) -> list[dict[str, Any]]:
        """`GET /themes`."""
        return self._docs("SELECT doc FROM themes WHERE store=? ORDER BY seq", store)

    def theme(self, store: str, theme_uuid: str) -> dict[str, Any]:
        """`GET /themes/{uuid}`."""
        docs = self._docs("SELECT doc FROM themes WHERE store=? AND uuid=?", store, theme_uuid)
        if not docs:
            raise not_found("theme")
        return docs[0]

    def add_theme(self, store: str, name: str, variations: list[str]) -> dict[str, Any] | None:
        """Store an uploaded theme; None when the store already holds the maximum."""
        with self._tx():
            if self._one("SELECT COUNT(*) FROM themes WHERE store=?", store) >= MAX_THEMES:
                return None
            doc = {
                "uuid": str(uuid.uuid4()),
                "name": name,
                "is_private": True,
                "is_active": False,
                "updated_at": now_iso(),
                "variations": [
                    {"uuid": str(uuid.uuid4()), "name": v, "description": "", "external_id": ""}
                    for v in variations
                ],
            }
            seq = self._next_id(store, "theme")
            self._conn.execute(
                "INSERT INTO themes VALUES (?, ?, ?, ?)", (store, doc["uuid"], seq, _dumps(doc))
            )
            return doc

    def activate_theme(self, store: str, variation_id: str) -> None:
        """`POST /themes/actions/activate`."""
        with self._tx() as conn:
            found = None
            for doc in self.themes(store):
                if any(v["uuid"] == variation_id for v in doc["variations"]):
                    found = doc
            if found is None:
                raise invalid("variation_id", f"variation {variation_id} does not exist")
            for doc in self.themes(store):
                doc["is_active"] = doc["uuid"] == found["uuid"]
                doc["active_variation"] = variation_id if doc["is_active"] else None
                conn.execute(
                    "UPDATE themes SET doc=? WHERE store=? AND uuid=?",
                    (_dumps(doc), store, doc["uuid"]),
                )

    def delete_theme(self, store: str, theme_uuid: str) -> None:
        """`DELETE /themes/{uuid}` (refused for the active theme)."""
        with self._tx() as conn:
            if self.theme(store, theme_uuid)["is_active"]:
                raise ApiError(
                    422, "The active theme cannot be deleted.", {"uuid": "theme is active"}
                )
            conn.execute("DELETE FROM themes WHERE store=? AND uuid=?", (store, theme_uuid))

    def put_job(self, store: str, job: dict[str, Any]) -> None:
        """Store a theme job."""
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?)", (store, job["id"], _dumps(job))
            )

    def job(self, store: str, job_id: str) -> dict[str, Any]:
        """A theme job."""
        docs = self._docs("SELECT doc FROM jobs WHERE store=? AND id=?", store, job_id)
        if not docs:
            raise not_found("job")
        return docs[0]

    # ---- summary --------------------------------------------------------------------------------

    def counts(self, store: str) -> dict[str, int]:
        """Record counts of one store."""
        return {
            table: int(self._one(f"SELECT COUNT(*) FROM {table} WHERE store=?", store))
            for table in (
                "products",
                "variants",
                "categories",
                "brands",
                "custom_fields",
                "images",
                "scripts",
                "themes",
            )
        }


_ALL = frozenset({"variants", "custom_fields", "images", "options"})
