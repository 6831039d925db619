"""Product metafields: `/v3/catalog/products/{product_id}/metafields` and the batch
`/v3/catalog/products/metafields`. Key and value pairs per product, unique by namespace and key
for the client that owns them; `app_only` ones are seen only by that client. A change to a
metafield is not a change to the product (its `date_modified` stays)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from controller.catalog.fields import FieldSpec
from controller.emulator.database import dumps, now_iso
from controller.emulator.errors import ApiError, conflict, invalid, not_found
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    ProductChild,
    Route,
    json_field,
    json_response,
    listing,
    no_content,
    one,
    shape,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS metafields (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS metafields_id ON metafields (store, id);
"""
TABLES = ("metafields",)

MAX_PER_PRODUCT = 250  # per client
MAX_BATCH = 50
PERMISSIONS = ("app_only", "read", "write", "read_and_sf_access", "write_and_sf_access")
FIELDS: dict[str, FieldSpec] = {
    "namespace": ("str", 64),
    "key": ("str", 64),
    "value": ("str", 65535),
    "permission_set": (PERMISSIONS, None),
    "description": ("str", 255),
}
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


class Metafields(ProductChild):
    """The metafields of one store's products."""

    table = "metafields"
    noun = "metafield"

    def _visible(self, client: str) -> tuple[str, list[Any]]:
        return (
            f"({json_field('permission_set')} != 'app_only' OR "
            f"{json_field('owner_client_id')} = ?)",
            [client],
        )

    def find(self, query: ListQuery, client: str, product_id: int | None = None) -> Any:
        """A page of metafields this client may see (of one product, or of all)."""
        where, params = self._visible(client)
        if product_id is not None:
            self.store.products.doc(product_id)
            where, params = f"{where} AND product_id=?", [*params, product_id]
        return self.list_page("metafields", query, [where], params)

    def _check(self, product_id: int, doc: dict[str, Any], label: str) -> None:
        others = [
            o
            for o in self.stored(product_id)
            if o["id"] != doc.get("id") and o["owner_client_id"] == doc["owner_client_id"]
        ]
        if any(o["namespace"] == doc["namespace"] and o["key"] == doc["key"] for o in others):
            raise conflict(label + "key", "A metafield with this namespace and key already exists.")
        if len(others) >= MAX_PER_PRODUCT:
            raise invalid(label + "key", f"a product has at most {MAX_PER_PRODUCT} metafields")

    def insert(self, product_id: int, body: Any, *, label: str = "", client: str = "") -> Any:
        """Add a metafield to a product (inside a transaction)."""
        fields = clean(body, FIELDS, required=REQUIRED, prefix=label)
        stamp = now_iso()
        doc = {
            "id": self.next_id("metafield"),
            "description": "",
            **fields,
            "resource_type": "product",
            "resource_id": product_id,
            "owner_client_id": client,
            "date_created": stamp,
            "date_modified": stamp,
        }
        self._check(product_id, doc, label)
        self.execute(
            "INSERT INTO metafields (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            product_id,
            dumps(doc),
        )
        return doc

    def _owned(self, metafield_id: int, client: str, product_id: int | None = None) -> Any:
        docs = self.docs(
            "SELECT doc FROM metafields WHERE store=? AND id=?", self.hash, metafield_id
        )
        if not docs or (product_id is not None and docs[0]["resource_id"] != product_id):
            raise not_found(self.noun)
        doc = docs[0]
        if doc["permission_set"] == "app_only" and doc["owner_client_id"] != client:
            raise not_found(self.noun)
        return doc

    def change(
        self, metafield_id: int, body: Any, client: str, *, product_id: int | None = None
    ) -> Any:
        """Update one (inside a transaction); only the owner changes its namespace, key and
        permissions, and only writable ones are changed by others."""
        doc = self._owned(metafield_id, client, product_id)
        fields = clean(body, FIELDS)
        if doc["owner_client_id"] != client and (
            doc["permission_set"] not in ("write", "write_and_sf_access")
            or {"namespace", "key", "permission_set"} & set(fields)
        ):
            raise ApiError(403, "This metafield belongs to another app.")
        doc = {**doc, **fields, "date_modified": now_iso()}
        self._check(doc["resource_id"], doc, "")
        self.execute(
            "UPDATE metafields SET doc=? WHERE store=? AND id=?", dumps(doc), self.hash, doc["id"]
        )
        return doc

    def drop(self, metafield_id: int, client: str, *, product_id: int | None = None) -> None:
        """Delete one (inside a transaction)."""
        doc = self._owned(metafield_id, client, product_id)
        if doc["owner_client_id"] != client and doc["permission_set"] not in (
            "write",
            "write_and_sf_access",
        ):
            raise ApiError(403, "This metafield belongs to another app.")
        self.execute("DELETE FROM metafields WHERE store=? AND id=?", self.hash, metafield_id)

    def add(self, product_id: int, body: Any, client: str) -> Any:
        """`POST /catalog/products/{id}/metafields`."""
        with self.tx():
            self.store.products.doc(product_id)
            return self.insert(product_id, body, client=client)

    def put(self, product_id: int, metafield_id: int, body: Any, client: str) -> Any:
        """`PUT /catalog/products/{id}/metafields/{metafield_id}`."""
        with self.tx():
            return self.change(metafield_id, body, client, product_id=product_id)

    def remove(self, product_id: int, metafield_id: int, client: str) -> None:
        """`DELETE /catalog/products/{id}/metafields/{metafield_id}`."""
        with self.tx():
            self.drop(metafield_id, client, product_id=product_id)

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
            product_id = item.get("resource_id")
            if not isinstance(product_id, int) or not self.store.products.exists(product_id):
                raise invalid(label + "resource_id", "no product has this id")
            return self.insert(product_id, item, label=label, client=client)
        if not isinstance(item.get("id"), int):
            raise invalid(label + "id", "id is required")
        return self.change(item["id"], item, client)


# ---- HTTP -----------------------------------------------------------------------------------------

_P = "/v3/catalog/products/{product_id}/metafields"
_BATCH = "/v3/catalog/products/metafields"


async def list_of_product(call: Call) -> web.StreamResponse:
    query = call.list_query(PRODUCT_LIST)
    page = await call.run(call.store.metafields.find, query, call.client_id, call.int("product_id"))
    return listing(page, query.shape)


async def list_all(call: Call) -> web.StreamResponse:
    query = call.list_query(BATCH_LIST)
    page = await call.run(call.store.metafields.find, query, call.client_id)
    return listing(page, query.shape)


async def create(call: Call) -> web.StreamResponse:
    body = await call.body()
    return one(
        await call.run(call.store.metafields.add, call.int("product_id"), body, call.client_id)
    )


async def get(call: Call) -> web.StreamResponse:
    found = await call.run(
        call.store.metafields._owned,
        call.int("metafield_id"),
        call.client_id,
        call.int("product_id"),
    )
    return one(shape(found, *call.fields()))


async def update(call: Call) -> web.StreamResponse:
    body = await call.body()
    pid, mid = call.int("product_id"), call.int("metafield_id")
    return one(await call.run(call.store.metafields.put, pid, mid, body, call.client_id))


async def delete(call: Call) -> web.StreamResponse:
    pid, mid = call.int("product_id"), call.int("metafield_id")
    await call.run(call.store.metafields.remove, pid, mid, call.client_id)
    return no_content()


def _batch(method: str) -> Any:
    async def handler(call: Call) -> web.StreamResponse:
        body = await call.body()
        done, errors = await call.run(call.store.metafields.batch, method, body, call.client_id)
        meta = {"total": len(body), "success": len(done), "failed": len(errors)}
        answer = {"data": done, "errors": errors, "meta": meta}
        return json_response(answer, 422 if errors else 200)

    return handler


_LIST_ALL = Route("GET", _BATCH, list_all, BATCH_LIST)
ROUTES = [
    _LIST_ALL,
    Route("POST", _BATCH, _batch("POST")),
    Route("PUT", _BATCH, _batch("PUT")),
    Route("DELETE", _BATCH, _batch("DELETE")),
    Route("GET", _P, list_of_product, PRODUCT_LIST),
    # the spec lists the list's parameters under the create too: they mean nothing there
    Route("POST", _P, create, extra=frozenset(_LIST_ALL.parameters())),
    Route(
        "GET", f"{_P}/{{metafield_id}}", get, extra=frozenset({"include_fields", "exclude_fields"})
    ),
    Route("PUT", f"{_P}/{{metafield_id}}", update),
    Route("DELETE", f"{_P}/{{metafield_id}}", delete),
]
