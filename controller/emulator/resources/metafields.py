"""Metafields of products, variants, categories and brands: each owner's
`.../{id}/metafields` and the batch `/v3/catalog/{products,variants,categories,brands}/metafields`.
Key and value pairs per owner, unique by namespace and key for the client that owns them;
`app_only` ones are seen only by that client. A change to a metafield is not a change to its owner
(its `date_modified` stays); the metafields of an owner that is gone are never answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from controller.catalog.fields import METAFIELD, METAFIELD_PERMISSIONS
from controller.emulator.database import dumps, now_iso
from controller.emulator.errors import ApiError, conflict, invalid, not_found
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    ALL_OPS,
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    json_field,
    json_response,
    listing,
    no_content,
    one,
    shape,
)

_OWNED_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (store TEXT, owner_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, owner_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS {table}_id ON {table} (store, id);
"""
SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS metafields (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS metafields_id ON metafields (store, id);
"""
    + _OWNED_TABLE.format(table="variant_metafields")
    + _OWNED_TABLE.format(table="category_metafields")
    + _OWNED_TABLE.format(table="brand_metafields")
)
TABLES = ("metafields", "variant_metafields", "category_metafields", "brand_metafields")

MAX_PER_PRODUCT = 250  # per client and owner
MAX_BATCH = 50
PERMISSIONS = METAFIELD_PERMISSIONS
FIELDS = dict(METAFIELD)
REQUIRED = ("permission_set", "namespace", "key", "value")
_CURSORS = frozenset({"before", "after"})
_DATES = frozenset({"min", "max"})
BATCH_LIST = ListSpec(
    filters={
        "key": Filter(json_field("key"), "str", frozenset({"", "in"})),
        "namespace": Filter(json_field("namespace"), "str", frozenset({"", "in"})),
        "date_modified": Filter(json_field("date_modified"), "date", _DATES),
        "date_created": Filter(json_field("date_created"), "date", _DATES),
    },
    refused=_CURSORS,
)
PRODUCT_LIST = ListSpec(
    filters={**BATCH_LIST.filters, "resource_id": Filter("product_id", "int", frozenset({"in"}))},
    refused=_CURSORS,
)
OWNER_LIST = ListSpec(  # a category's or brand's: by id too (a variant's has no id filter)
    filters={**BATCH_LIST.filters, "id": Filter("id", "int", ALL_OPS)},
    refused=_CURSORS,
)


@dataclass(frozen=True)
class Owner:
    """A kind of record that has metafields: its `resource_type`, the table of its metafields
    (and the column naming the owner), and the SQL that finds an owner that exists."""

    resource_type: str
    table: str
    column: str
    exists_sql: str  # one `?` for the store, one for the owner id

    def live(self) -> str:
        """SQL keeping the metafields whose owner exists."""
        return self.exists_sql.replace("?", f"{self.table}.store", 1).replace(
            "?", f"{self.table}.{self.column}", 1
        )


PRODUCT = Owner(
    "product", "metafields", "product_id", "EXISTS (SELECT 1 FROM products WHERE store=? AND id=?)"
)
VARIANT = Owner(
    "variant",
    "variant_metafields",
    "owner_id",
    "EXISTS (SELECT 1 FROM variants WHERE store=? AND id=?)",
)
CATEGORY = Owner(
    "category",
    "category_metafields",
    "owner_id",
    "EXISTS (SELECT 1 FROM categories WHERE store=? AND id=?)",
)
BRAND = Owner(
    "brand", "brand_metafields", "owner_id", "EXISTS (SELECT 1 FROM brands WHERE store=? AND id=?)"
)


class Metafields(Resource):
    """The metafields of one kind of owner (products, variants, categories or brands) of one
    store."""

    noun = "metafield"

    def __init__(self, store: Any, owner: Owner = PRODUCT):
        super().__init__(store)
        self.owner = owner
        self.table = owner.table

    def exists(self, owner_id: int) -> bool:
        """Whether the owner exists."""
        return bool(self.one(f"SELECT {self.owner.exists_sql}", self.hash, owner_id))

    def _require(self, owner_id: int) -> None:
        if not self.exists(owner_id):
            raise not_found(self.owner.resource_type)

    def stored(self, owner_id: int) -> list[dict[str, Any]]:
        """The stored metafields of one owner, by id."""
        return self.docs(
            f"SELECT doc FROM {self.table} WHERE store=? AND {self.owner.column}=? ORDER BY id",
            self.hash,
            owner_id,
        )

    def _visible(self, client: str) -> tuple[str, list[Any]]:
        return (
            f"({json_field('permission_set')} != 'app_only' OR "
            f"{json_field('owner_client_id')} = ?) AND {self.owner.live()}",
            [client],
        )

    def find(self, query: ListQuery, client: str, owner_id: int | None = None) -> Any:
        """A page of metafields this client may see (of one owner, or of all)."""
        where, params = self._visible(client)
        if owner_id is not None:
            self._require(owner_id)
            where, params = f"{where} AND {self.owner.column}=?", [*params, owner_id]
        return self.list_page(self.table, query, [where], params)

    def _check(self, owner_id: int, doc: dict[str, Any], label: str) -> None:
        others = [
            o
            for o in self.stored(owner_id)
            if o["id"] != doc.get("id") and o["owner_client_id"] == doc["owner_client_id"]
        ]
        if any(o["namespace"] == doc["namespace"] and o["key"] == doc["key"] for o in others):
            raise conflict(label + "key", "A metafield with this namespace and key already exists.")
        if len(others) >= MAX_PER_PRODUCT:
            raise invalid(
                label + "key",
                f"a {self.owner.resource_type} has at most {MAX_PER_PRODUCT} metafields",
            )

    def insert(self, owner_id: int, body: Any, *, label: str = "", client: str = "") -> Any:
        """Add a metafield to an owner (inside a transaction)."""
        fields = clean(body, FIELDS, required=REQUIRED, prefix=label)
        stamp = now_iso()
        doc = {
            "id": self.next_id("metafield"),
            # the variants' spec has no empty description: one is answered only when given
            **({"description": ""} if self.owner is PRODUCT else {}),
            **fields,
            "resource_type": self.owner.resource_type,
            "resource_id": owner_id,
            "owner_client_id": client,
            "date_created": stamp,
            "date_modified": stamp,
        }
        self._check(owner_id, doc, label)
        self.execute(
            f"INSERT INTO {self.table} (store, id, {self.owner.column}, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            owner_id,
            dumps(doc),
        )
        return doc

    def _owned(self, metafield_id: int, client: str, owner_id: int | None = None) -> Any:
        docs = self.docs(
            f"SELECT doc FROM {self.table} WHERE store=? AND id=? AND {self.owner.live()}",
            self.hash,
            metafield_id,
        )
        if not docs or (owner_id is not None and docs[0]["resource_id"] != owner_id):
            raise not_found(self.noun)
        doc = docs[0]
        if doc["permission_set"] == "app_only" and doc["owner_client_id"] != client:
            raise not_found(self.noun)
        return doc

    def change(
        self, metafield_id: int, body: Any, client: str, *, owner_id: int | None = None
    ) -> Any:
        """Update one (inside a transaction); only the owner changes its namespace, key and
        permissions, and only writable ones are changed by others."""
        doc = self._owned(metafield_id, client, owner_id)
        fields = clean(body, FIELDS)
        if doc["owner_client_id"] != client and (
            doc["permission_set"] not in ("write", "write_and_sf_access")
            or {"namespace", "key", "permission_set"} & set(fields)
        ):
            raise ApiError(403, "This metafield belongs to another app.")
        doc = {**doc, **fields, "date_modified": now_iso()}
        self._check(doc["resource_id"], doc, "")
        self.execute(
            f"UPDATE {self.table} SET doc=? WHERE store=? AND id=?",
            dumps(doc),
            self.hash,
            doc["id"],
        )
        return doc

    def drop(self, metafield_id: int, client: str, *, owner_id: int | None = None) -> None:
        """Delete one (inside a transaction)."""
        doc = self._owned(metafield_id, client, owner_id)
        if doc["owner_client_id"] != client and doc["permission_set"] not in (
            "write",
            "write_and_sf_access",
        ):
            raise ApiError(403, "This metafield belongs to another app.")
        self.execute(f"DELETE FROM {self.table} WHERE store=? AND id=?", self.hash, metafield_id)

    def add(self, owner_id: int, body: Any, client: str) -> Any:
        """`POST .../{id}/metafields`."""
        with self.tx():
            self._require(owner_id)
            return self.insert(owner_id, body, client=client)

    def put(self, owner_id: int, metafield_id: int, body: Any, client: str) -> Any:
        """`PUT .../{id}/metafields/{metafield_id}`."""
        with self.tx():
            return self.change(metafield_id, body, client, owner_id=owner_id)

    def remove(self, owner_id: int, metafield_id: int, client: str) -> None:
        """`DELETE .../{id}/metafields/{metafield_id}`."""
        with self.tx():
            self.drop(metafield_id, client, owner_id=owner_id)

    def batch(self, method: str, body: Any, client: str) -> tuple[list[Any], list[Any]]:
        """The batch writes: create (`resource_id` in each), update (`id` in each), delete (ids).
        Each item succeeds or fails on its own: (done, errors)."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "must be a non-empty JSON array")
        if len(body) > MAX_BATCH:
            raise ApiError(413, f"At most {MAX_BATCH} metafields per request.")
        done: list[Any] = []
        errors: list[Any] = []
        with self.tx():
            for index, item in enumerate(body):
                try:
                    done.append(self._one_of_batch(method, index, item, client))
                except ApiError as error:
                    errors.append({str(index): error.title, **error.errors})
        return done, errors

    def _one_of_batch(self, method: str, index: int, item: Any, client: str) -> Any:
        label = f"[{index}]."
        if method == "DELETE":
            if not isinstance(item, int) or isinstance(item, bool):
                raise invalid(f"[{index}]", "must be a metafield id")
            self.drop(item, client)
            return item
        if not isinstance(item, dict):
            raise invalid(f"[{index}]", "must be a JSON object")
        if method == "POST":
            owner_id = item.get("resource_id")
            if not isinstance(owner_id, int) or not self.exists(owner_id):
                raise invalid(label + "resource_id", f"no {self.owner.resource_type} has this id")
            return self.insert(owner_id, item, label=label, client=client)
        if not isinstance(item.get("id"), int):
            raise invalid(label + "id", "id is required")
        return self.change(item["id"], item, client)


# ---- HTTP -----------------------------------------------------------------------------------------


def _routes(family: str, owner_path: str, owner_param: str, batch: str) -> list[Route]:
    """The routes of one kind of owner's metafields: `family` names the `Store` attribute,
    `owner_path` the owner (its id as `owner_param`), `batch` the batch path."""
    path = f"{owner_path}/metafields"
    item_list = PRODUCT_LIST if family == "metafields" else OWNER_LIST

    def of(call: Call) -> Metafields:
        found: Metafields = getattr(call.store, family)
        return found

    async def check_parent(call: Call) -> None:
        """A variant is named under its product: one of another product is not found."""
        if owner_param == "variant_id":
            pid, vid = call.int("product_id"), call.int("variant_id")
            if not await call.run(call.store.variant_metafields.of_product, pid, vid):
                raise not_found("variant")

    async def list_of_owner(call: Call) -> web.StreamResponse:
        await check_parent(call)
        query = call.list_query(item_list)
        page = await call.run(of(call).find, query, call.client_id, call.int(owner_param))
        return listing(page, query.shape)

    async def list_all(call: Call) -> web.StreamResponse:
        query = call.list_query(BATCH_LIST)
        page = await call.run(of(call).find, query, call.client_id)
        return listing(page, query.shape)

    async def create(call: Call) -> web.StreamResponse:
        await check_parent(call)
        body = await call.body()
        return one(await call.run(of(call).add, call.int(owner_param), body, call.client_id))

    async def get(call: Call) -> web.StreamResponse:
        await check_parent(call)
        found = await call.run(
            of(call)._owned, call.int("metafield_id"), call.client_id, call.int(owner_param)
        )
        return one(shape(found, *call.fields()))

    async def update(call: Call) -> web.StreamResponse:
        await check_parent(call)
        body = await call.body()
        oid, mid = call.int(owner_param), call.int("metafield_id")
        return one(await call.run(of(call).put, oid, mid, body, call.client_id))

    async def delete(call: Call) -> web.StreamResponse:
        await check_parent(call)
        oid, mid = call.int(owner_param), call.int("metafield_id")
        await call.run(of(call).remove, oid, mid, call.client_id)
        return no_content()

    def write(method: str) -> Any:
        async def handler(call: Call) -> web.StreamResponse:
            body = await call.body()
            done, errors = await call.run(of(call).batch, method, body, call.client_id)
            meta = {"total": len(body), "success": len(done), "failed": len(errors)}
            answer = {"data": done, "errors": errors, "meta": meta}
            return json_response(answer, 422 if errors else 200)

        return handler

    listed = Route("GET", batch, list_all, BATCH_LIST)
    return [
        listed,
        Route("POST", batch, write("POST")),
        Route("PUT", batch, write("PUT")),
        Route("DELETE", batch, write("DELETE")),
        Route("GET", path, list_of_owner, item_list),
        # the spec lists the list's parameters under the create too: they mean nothing there
        Route("POST", path, create, extra=frozenset(listed.parameters())),
        Route(
            "GET",
            f"{path}/{{metafield_id}}",
            get,
            extra=frozenset({"include_fields", "exclude_fields"}),
        ),
        Route("PUT", f"{path}/{{metafield_id}}", update),
        Route("DELETE", f"{path}/{{metafield_id}}", delete),
    ]


class VariantMetafields(Metafields):
    """Variant metafields: a variant is named under its product in one owner's paths."""

    def __init__(self, store: Any):
        super().__init__(store, VARIANT)

    def of_product(self, product_id: int, variant_id: int) -> bool:
        """Whether the variant is one of the product's."""
        return bool(
            self.one(
                "SELECT 1 FROM variants WHERE store=? AND id=? AND product_id=?",
                self.hash,
                variant_id,
                product_id,
            )
        )


ROUTES = [
    *_routes(
        "metafields",
        "/v3/catalog/products/{product_id}",
        "product_id",
        "/v3/catalog/products/metafields",
    ),
    *_routes(
        "variant_metafields",
        "/v3/catalog/products/{product_id}/variants/{variant_id}",
        "variant_id",
        "/v3/catalog/variants/metafields",
    ),
    *_routes(
        "category_metafields",
        "/v3/catalog/categories/{category_id}",
        "category_id",
        "/v3/catalog/categories/metafields",
    ),
    *_routes(
        "brand_metafields",
        "/v3/catalog/brands/{brand_id}",
        "brand_id",
        "/v3/catalog/brands/metafields",
    ),
]
