"""Price lists (v3): `/v3/pricelists` and `/v3/pricelists/{price_list_id}` (names unique: 409;
`name` required on create and update). Their records and assignments are not emulated."""

from __future__ import annotations

from typing import Any

from controller.emulator.database import dumps, now_iso
from controller.emulator.errors import ApiError, conflict, invalid
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListSpec,
    Resource,
    Route,
    int_list,
    json_field,
    listing,
    no_content,
    one,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS price_lists (store TEXT, id INTEGER, name TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS price_lists_name ON price_lists (store, name);
"""
TABLES = ("price_lists",)

_DATES = frozenset({"", "min", "max"})
LIST = ListSpec(
    filters={
        "id": Filter("id", "int", frozenset({"in"})),
        "name": Filter("name", "str", frozenset({"", "like"})),
        "date_created": Filter(json_field("date_created"), "str", _DATES),
        "date_modified": Filter(json_field("date_modified"), "str", _DATES),
    },
    refused=frozenset({"before", "after"}),
    direction=False,
    fields=False,
)


class PriceLists(Resource):
    """The price lists of one store."""

    def doc(self, price_list_id: int) -> dict[str, Any]:
        """One stored price list (404 when missing)."""
        docs = self.docs(
            "SELECT doc FROM price_lists WHERE store=? AND id=?", self.hash, price_list_id
        )
        if not docs:
            raise ApiError(404, "The price list was not found.")
        return docs[0]

    def exists(self, price_list_id: int) -> bool:
        """Whether the store has that price list."""
        return bool(
            self.one("SELECT 1 FROM price_lists WHERE store=? AND id=?", self.hash, price_list_id)
        )

    def _values(self, body: Any) -> dict[str, Any]:
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise invalid("name", "name is required")
        values: dict[str, Any] = {"name": name}
        if "active" in body:
            if not isinstance(body["active"], bool):
                raise invalid("active", "active must be true or false")
            values["active"] = body["active"]
        return values

    def _unique(self, name: str, price_list_id: int) -> None:
        taken = self.one(
            "SELECT id FROM price_lists WHERE store=? AND name=? AND id<>?",
            self.hash,
            name,
            price_list_id,
        )
        if taken is not None:
            raise conflict("name", f"A price list named {name!r} already exists.")

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /pricelists`."""
        with self.tx():
            values = self._values(body)
            stamp = now_iso()
            doc = {"id": self.next_id("price_list"), "active": True, **values}
            doc.update(date_created=stamp, date_modified=stamp)
            self._unique(doc["name"], doc["id"])
            self.execute(
                "INSERT INTO price_lists VALUES (?, ?, ?, ?)",
                self.hash,
                doc["id"],
                doc["name"],
                dumps(doc),
            )
            return doc

    def update(self, price_list_id: int, body: Any) -> dict[str, Any]:
        """`PUT /pricelists/{id}` (its name given, as the spec requires)."""
        with self.tx():
            doc = self.doc(price_list_id)
            doc.update(self._values(body), date_modified=now_iso())
            self._unique(doc["name"], doc["id"])
            self.execute(
                "UPDATE price_lists SET doc=?, name=? WHERE store=? AND id=?",
                dumps(doc),
                doc["name"],
                self.hash,
                price_list_id,
            )
            return doc

    def delete(self, price_list_id: int) -> None:
        """`DELETE /pricelists/{id}`."""
        with self.tx():
            self.doc(price_list_id)
            self.execute("DELETE FROM price_lists WHERE store=? AND id=?", self.hash, price_list_id)

    def delete_where(self, query: dict[str, str]) -> None:
        """`DELETE /pricelists?id:in=...` or `?name=...`."""
        ids = int_list("id:in", query["id:in"]) if "id:in" in query else []
        with self.tx():
            for price_list_id in ids:
                self.execute(
                    "DELETE FROM price_lists WHERE store=? AND id=?", self.hash, price_list_id
                )
            if "name" in query:
                self.execute(
                    "DELETE FROM price_lists WHERE store=? AND name=?", self.hash, query["name"]
                )


# ---- HTTP -----------------------------------------------------------------------------------------


async def list_price_lists(call: Call) -> Any:
    query = call.list_query(LIST)
    return listing(await call.run(call.store.price_lists.list_page, "price_lists", query), dict)


async def create_price_list(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.price_lists.create, body))


async def delete_price_lists(call: Call) -> Any:
    await call.run(call.store.price_lists.delete_where, dict(call.query))
    return no_content()


async def get_price_list(call: Call) -> Any:
    return one(await call.run(call.store.price_lists.doc, call.int("price_list_id")))


async def update_price_list(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.price_lists.update, call.int("price_list_id"), body))


async def delete_price_list(call: Call) -> Any:
    await call.run(call.store.price_lists.delete, call.int("price_list_id"))
    return no_content()


_ONE = "/v3/pricelists/{price_list_id}"
ROUTES = [
    Route("GET", "/v3/pricelists", list_price_lists, LIST),
    Route("POST", "/v3/pricelists", create_price_list),
    Route("DELETE", "/v3/pricelists", delete_price_lists, extra=frozenset({"id:in", "name"})),
    Route("GET", _ONE, get_price_list),
    Route("PUT", _ONE, update_price_list),
    Route("DELETE", _ONE, delete_price_list),
]
