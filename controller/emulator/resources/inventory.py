"""Inventory locations and stock (v3): `/v3/inventory/locations` (created, updated and deleted in
batches; every store has its default location, id 1, which is never deleted), the stock of each
SKU at each location (`/v3/inventory/items`, `/v3/inventory/locations/{location_id}/items`:
quantities and settings) and its adjustments (`/v3/inventory/adjustments/absolute` and
`relative`, at most 2,000 items a request, as settings are). Writes answer a transaction id.

Deliberately narrower than the platform: the stock lists hold the SKUs whose stock was adjusted or
set at some location (the platform lists every item of the catalog), and stock here is not the
catalog's `inventory_level` (the platform keeps the default location's and the catalog's as one)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from aiohttp import web

from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import ApiError, invalid
from controller.emulator.resources.base import (
    Call,
    Filter,
    Handler,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    int_list,
    json_field,
    json_response,
    listing,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS locations (store TEXT, id INTEGER, code TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS locations_code ON locations (store, code);
CREATE TABLE IF NOT EXISTS stock (store TEXT, location_id INTEGER, sku_l TEXT, doc TEXT,
    PRIMARY KEY (store, sku_l, location_id));
"""
TABLES = ("locations", "stock")

DEFAULT_CODE = "BC-LOCATION-1"
MAX_ITEMS = 2000
MAX_ACTIVE = 100
_SETTINGS = ("safety_stock", "is_in_stock", "warning_level", "bin_picking_number")
_LOCATION_FIELDS = frozenset(
    {
        "code",
        "label",
        "description",
        "type_id",
        "enabled",
        "managed_by_external_source",
        "storefront_visibility",
        "time_zone",
        "address",
        "operating_hours",
        "special_hours",
    }
)
_ADDRESS_REQUIRED = ("address1", "city", "state", "zip", "email", "geo_coordinates", "country_code")


def _codes(op: str, raw: str) -> tuple[str, list[Any]]:
    codes = [c for c in raw.split(",") if c]
    return f"code IN ({','.join('?' * len(codes))})", codes


LOCATIONS = ListSpec(
    filters={
        "location_id": Filter("id", "int", frozenset({"in"})),
        "location_code": Filter("", custom=_codes, ops=frozenset({"in"})),
        "is_default": Filter("(id = 1)", "bool"),
        "type_id": Filter(json_field("type_id"), "str", frozenset({"in"})),
        "managed_by_external_source": Filter(json_field("managed_by_external_source"), "bool"),
        "is_active": Filter(json_field("enabled"), "bool"),
        "storefront_visibility": Filter(json_field("storefront_visibility"), "bool"),
    },
    direction=False,
    fields=False,
)
_ITEM_FILTERS = {
    "sku": Filter("sku_l", "lower", frozenset({"in"})),
    "variant_id": Filter(json_field("identity.variant_id"), "int", frozenset({"in"})),
    "product_id": Filter(json_field("identity.product_id"), "int", frozenset({"in"})),
}
ITEMS = ListSpec(
    filters={
        **_ITEM_FILTERS,
        "location_id": Filter("location_id", "int", frozenset({"in"})),
        "location_code": Filter(
            "",
            custom=lambda op, raw: (
                f"location_id IN (SELECT id FROM locations WHERE store=stock.store AND "
                f"{_codes(op, raw)[0]})",
                _codes(op, raw)[1],
            ),
            ops=frozenset({"in"}),
        ),
    },
    direction=False,
    fields=False,
    key="sku_l",
)
LOCATION_ITEMS = ListSpec(filters=_ITEM_FILTERS, direction=False, fields=False, key="sku_l")


def _location(location_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """A new location: the documented defaults, then `values`."""
    stamp = now_iso()
    return {
        "id": location_id,
        "description": "",
        "managed_by_external_source": False,
        "type_id": "PHYSICAL",
        "enabled": True,
        "storefront_visibility": True,
        "time_zone": "Etc/UTC",
        "special_hours": [],
        **values,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _transaction() -> dict[str, str]:
    return {"transaction_id": str(uuid.uuid4())}


class Inventory(Resource):
    """The inventory locations and stock of one store."""

    def _ensure_default(self) -> None:
        """Every store has its default location (id 1)."""
        if self.one("SELECT 1 FROM locations WHERE store=? AND id=1", self.hash) is None:
            doc = _location(1, {"code": DEFAULT_CODE, "label": "Default location"})
            self.execute(
                "INSERT OR IGNORE INTO locations VALUES (?, 1, ?, ?)",
                self.hash,
                DEFAULT_CODE,
                dumps(doc),
            )

    def location(self, location_id: int) -> dict[str, Any]:
        """One location (404 when missing)."""
        with self.tx():
            self._ensure_default()
        docs = self.docs("SELECT doc FROM locations WHERE store=? AND id=?", self.hash, location_id)
        if not docs:
            raise ApiError(404, f"Location {location_id} was not found.")
        return docs[0]

    def locations_by_code(self) -> list[dict[str, Any]]:
        """Every location, by id."""
        with self.tx():
            self._ensure_default()
        return self.docs("SELECT doc FROM locations WHERE store=? ORDER BY id", self.hash)

    def locations(self, query: ListQuery) -> Any:
        """`GET /inventory/locations`: a page."""
        with self.tx():
            self._ensure_default()
        return self.list_page("locations", query)

    def _location_values(self, item: Any, index: int, *, create: bool) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise invalid(f"{index}", "each location is a JSON object")
        unknown = sorted(set(item) - _LOCATION_FIELDS - {"id"})
        if unknown:
            raise invalid(f"{index}.{unknown[0]}", f"unknown field {unknown[0]!r}")
        values = {k: v for k, v in item.items() if k != "id"}
        if create:
            for required in ("code", "label"):
                if not isinstance(values.get(required), str) or not values[required].strip():
                    raise invalid(f"{index}.{required}", f"{required} is required")
        if "type_id" in values and values["type_id"] not in ("PHYSICAL", "VIRTUAL"):
            raise invalid(f"{index}.type_id", "type_id is PHYSICAL or VIRTUAL")
        address = values.get("address")
        if address is not None:
            if not isinstance(address, dict):
                raise invalid(f"{index}.address", "address is an object")
            missing = [k for k in _ADDRESS_REQUIRED if k not in address]
            if missing:
                raise invalid(f"{index}.address", f"address needs {', '.join(missing)}")
        return values

    def _unique(self, code: str, location_id: int) -> None:
        taken = self.one(
            "SELECT id FROM locations WHERE store=? AND code=? AND id<>?",
            self.hash,
            code,
            location_id,
        )
        if taken is not None:
            raise invalid("code", f"A location with code {code!r} already exists.")

    def _active(self) -> None:
        active = self.one(
            f"SELECT COUNT(*) FROM locations WHERE store=? AND {json_field('enabled')}",
            self.hash,
        )
        if active > MAX_ACTIVE:
            raise invalid("enabled", f"at most {MAX_ACTIVE} active locations")

    def create_locations(self, body: Any) -> dict[str, str]:
        """`POST /inventory/locations`: all or none."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "the body is a non-empty JSON array of locations")
        with self.tx():
            self._ensure_default()
            for index, item in enumerate(body):
                values = self._location_values(item, index, create=True)
                doc = _location(self.next_id("location"), values)
                self._unique(doc["code"], doc["id"])
                self.execute(
                    "INSERT INTO locations VALUES (?, ?, ?, ?)",
                    self.hash,
                    doc["id"],
                    doc["code"],
                    dumps(doc),
                )
            self._active()
        return _transaction()

    def update_locations(self, body: Any) -> dict[str, str]:
        """`PUT /inventory/locations`: each by `id`, all or none."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "the body is a non-empty JSON array of locations")
        with self.tx():
            self._ensure_default()
            for index, item in enumerate(body):
                location_id = item.get("id") if isinstance(item, dict) else None
                if not isinstance(location_id, int):
                    raise invalid(f"{index}.id", "id is required")
                docs = self.docs(
                    "SELECT doc FROM locations WHERE store=? AND id=?", self.hash, location_id
                )
                if not docs:
                    raise invalid(f"{index}.id", f"location {location_id} does not exist")
                doc = {**docs[0], **self._location_values(item, index, create=False)}
                doc["updated_at"] = now_iso()
                self._unique(doc["code"], location_id)
                self.execute(
                    "UPDATE locations SET code=?, doc=? WHERE store=? AND id=?",
                    doc["code"],
                    dumps(doc),
                    self.hash,
                    location_id,
                )
            self._active()
        return _transaction()

    def delete_locations(self, query: dict[str, str]) -> dict[str, str]:
        """`DELETE /inventory/locations?location_id:in=`: with their stock; never the default."""
        if "location_id:in" not in query:
            raise invalid("location_id:in", "location_id:in is required")
        ids = int_list("location_id:in", query["location_id:in"])
        if 1 in ids:
            raise invalid("location_id:in", "the default location (1) is not deleted")
        with self.tx():
            for location_id in ids:
                if not self.one(
                    "SELECT 1 FROM locations WHERE store=? AND id=?", self.hash, location_id
                ):
                    raise ApiError(404, f"Location {location_id} was not found.")
            for location_id in ids:
                for table, column in (("locations", "id"), ("stock", "location_id")):
                    self.execute(
                        f"DELETE FROM {table} WHERE store=? AND {column}=?",
                        self.hash,
                        location_id,
                    )
        return _transaction()

    # ---- stock -------------------------------------------------------------------------------

    def _identity(self, item: dict[str, Any], at: str) -> dict[str, Any]:
        """An item named by `sku`, `variant_id` or `product_id`, as the store knows it."""
        if isinstance(item.get("sku"), str):
            row = self.db.conn.execute(
                # by the SKU index: without statistics SQLite would scan the store's variants
                "SELECT id, product_id, json_extract(doc, '$.sku') FROM variants "
                "INDEXED BY variants_sku WHERE store=? AND sku_l=?",
                (self.hash, item["sku"].lower()),
            ).fetchone()
        elif isinstance(item.get("variant_id"), int):
            row = self.db.conn.execute(
                "SELECT id, product_id, json_extract(doc, '$.sku') FROM variants "
                "WHERE store=? AND id=?",
                (self.hash, item["variant_id"]),
            ).fetchone()
        elif isinstance(item.get("product_id"), int):
            row = self.db.conn.execute(
                "SELECT id, product_id, json_extract(doc, '$.sku') FROM variants "
                "WHERE store=? AND product_id=? ORDER BY id LIMIT 1",
                (self.hash, item["product_id"]),
            ).fetchone()
        else:
            raise invalid(at, "an item names its sku, variant_id or product_id")
        if row is None:
            raise invalid(at, f"no item {item.get('sku') or item.get('variant_id') or item}")
        return {"sku": str(row[2] or ""), "variant_id": int(row[0]), "product_id": int(row[1])}

    def _stock(self, location_id: int, identity: dict[str, Any]) -> dict[str, Any]:
        docs = self.docs(
            "SELECT doc FROM stock WHERE store=? AND location_id=? AND sku_l=?",
            self.hash,
            location_id,
            identity["sku"].lower(),
        )
        return (
            docs[0]
            if docs
            else {
                "identity": identity,
                "total_inventory_onhand": 0,
                "settings": {
                    "safety_stock": 0,
                    "is_in_stock": True,
                    "warning_level": 0,
                    "bin_picking_number": "",
                },
            }
        )

    def _save_stock(self, location_id: int, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO stock VALUES (?, ?, ?, ?)",
            self.hash,
            location_id,
            doc["identity"]["sku"].lower(),
            dumps(doc),
        )

    def adjust(self, body: Any, *, relative: bool) -> dict[str, str]:
        """`PUT /inventory/adjustments/absolute` or `POST .../relative`: all or none."""
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise invalid("items", "items are required")
        if len(items) > MAX_ITEMS:
            raise invalid("items", f"at most {MAX_ITEMS} items a request")
        with self.tx():
            self._ensure_default()
            for index, item in enumerate(items):
                at = f"items.{index}"
                if not isinstance(item, dict) or not isinstance(item.get("quantity"), int):
                    raise invalid(at, "an item has location_id, quantity and its identity")
                location_id = item.get("location_id")
                if not isinstance(location_id, int) or not self.one(
                    "SELECT 1 FROM locations WHERE store=? AND id=?", self.hash, location_id
                ):
                    raise invalid(f"{at}.location_id", f"no location {location_id}")
                doc = self._stock(location_id, self._identity(item, at))
                quantity = item["quantity"] + (doc["total_inventory_onhand"] if relative else 0)
                if quantity < 0 and not relative:
                    raise invalid(f"{at}.quantity", "quantity is not negative")
                doc["total_inventory_onhand"] = quantity
                self._save_stock(location_id, doc)
        return _transaction()

    def settle(self, location_id: int, body: Any) -> dict[str, str]:
        """`PUT /inventory/locations/{id}/items`: settings of items at a location."""
        self.location(location_id)
        settings = body.get("settings") if isinstance(body, dict) else None
        if not isinstance(settings, list) or not settings:
            raise invalid("settings", "settings are required")
        if len(settings) > MAX_ITEMS:
            raise invalid("settings", f"at most {MAX_ITEMS} items a request")
        with self.tx():
            for index, entry in enumerate(settings):
                at = f"setting.{index}"
                identity = entry.get("identity") if isinstance(entry, dict) else None
                if not isinstance(identity, dict):
                    raise invalid(at, "a setting names its item's identity")
                chosen = {k: entry[k] for k in _SETTINGS if k in entry}
                if not chosen:
                    raise invalid(
                        f"{at}.settings",
                        "At least one setting must be specified: warning_level, is_in_stock or "
                        "safety_stock",
                    )
                doc = self._stock(location_id, self._identity(identity, at))
                doc["settings"].update(chosen)
                self._save_stock(location_id, doc)
        return _transaction()

    def _available(self, doc: dict[str, Any]) -> int:
        return max(0, int(doc["total_inventory_onhand"]) - int(doc["settings"]["safety_stock"]))

    def items(self, query: ListQuery) -> Any:
        """`GET /inventory/items`: per SKU, its stock at each location (a page of SKUs)."""
        with self.tx():
            self._ensure_default()
        clause, params = query.where(["store=?"], [self.hash])
        total = self.one(f"SELECT COUNT(DISTINCT sku_l) FROM stock WHERE {clause}", *params)
        skus = [
            row[0]
            for row in self.db.conn.execute(
                f"SELECT DISTINCT sku_l FROM stock WHERE {clause} ORDER BY sku_l LIMIT ? OFFSET ?",
                (*params, query.limit, query.offset),
            ).fetchall()
        ]
        locations = {
            d["id"]: d for d in self.docs("SELECT doc FROM locations WHERE store=?", self.hash)
        }
        out = []
        for sku in skus:
            rows = self.db.conn.execute(
                f"SELECT location_id, doc FROM stock WHERE {clause} AND sku_l=? ORDER BY location_id",
                (*params, sku),
            ).fetchall()
            docs = [(int(r[0]), orjson.loads(r[1])) for r in rows]
            identity = dict(docs[0][1]["identity"])
            out.append(
                {
                    "identity": identity,
                    "locations": [
                        {
                            "location_id": location_id,
                            "location_code": locations[location_id]["code"],
                            "location_name": locations[location_id]["label"],
                            "available_to_sell": self._available(doc),
                            "total_inventory_onhand": doc["total_inventory_onhand"],
                            "location_enabled": bool(locations[location_id].get("enabled", True)),
                            "settings": doc["settings"],
                        }
                        for location_id, doc in docs
                        if location_id in locations
                    ],
                }
            )
        return Page(out, total, query.page, query.limit)

    def location_items(self, location_id: int, query: ListQuery) -> Any:
        """`GET /inventory/locations/{id}/items`: a page."""
        self.location(location_id)
        page = self.list_page("stock", query, ["location_id=?"], [location_id])
        items = [
            {
                "identity": doc["identity"],
                "available_to_sell": self._available(doc),
                "total_inventory_onhand": doc["total_inventory_onhand"],
                "settings": doc["settings"],
            }
            for doc in page.items
        ]
        return Page(items, page.total, page.page, page.limit)


# ---- HTTP -----------------------------------------------------------------------------------------


def _problem(handler: Handler) -> Handler:
    """Errors as these APIs document them: `application/problem+json`, `errors` an object."""

    async def run(call: Call) -> web.StreamResponse:
        try:
            return await handler(call)
        except ApiError as error:
            return web.Response(
                body=orjson.dumps(error.body(call.request.path)),
                status=error.status,
                content_type="application/problem+json",
            )

    run.__name__ = handler.__name__
    return run


async def list_locations(call: Call) -> Any:
    query = call.list_query(LOCATIONS)
    return listing(await call.run(call.store.inventory.locations, query), dict)


async def create_locations(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.inventory.create_locations, body))


async def update_locations(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.inventory.update_locations, body))


async def delete_locations(call: Call) -> Any:
    return json_response(await call.run(call.store.inventory.delete_locations, dict(call.query)))


async def absolute(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.inventory.adjust, body, relative=False))


async def relative(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.inventory.adjust, body, relative=True))


async def list_items(call: Call) -> Any:
    query = call.list_query(ITEMS)
    return listing(await call.run(call.store.inventory.items, query), dict)


async def list_location_items(call: Call) -> Any:
    query = call.list_query(LOCATION_ITEMS)
    page = await call.run(call.store.inventory.location_items, call.int("location_id"), query)
    return listing(page, dict)


async def settle_location_items(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.inventory.settle, call.int("location_id"), body))


_ITEMS = "/v3/inventory/locations/{location_id}/items"
ROUTES = [
    Route("GET", "/v3/inventory/locations", _problem(list_locations), LOCATIONS),
    Route("POST", "/v3/inventory/locations", _problem(create_locations)),
    Route("PUT", "/v3/inventory/locations", _problem(update_locations)),
    Route(
        "DELETE",
        "/v3/inventory/locations",
        _problem(delete_locations),
        extra=frozenset({"location_id:in"}),
    ),
    Route("PUT", "/v3/inventory/adjustments/absolute", _problem(absolute)),
    Route("POST", "/v3/inventory/adjustments/relative", _problem(relative)),
    Route("GET", "/v3/inventory/items", _problem(list_items), ITEMS),
    Route("GET", _ITEMS, _problem(list_location_items), LOCATION_ITEMS),
    Route("PUT", _ITEMS, _problem(settle_location_items)),
]
