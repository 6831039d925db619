"""Price lists (v3): `/v3/pricelists` and `/v3/pricelists/{price_list_id}` (names unique: 409;
`name` required on create and update), and their records, `/v3/pricelists/{price_list_id}/records`
(one per variant and currency, written by variant id or SKU: created at most 100 per request,
upserted at most 1,000; deleted by currency, variant ids or SKUs; with their bulk pricing tiers,
answered with `include=bulk_pricing_tiers`), and their assignments,
`/v3/pricelists/assignments` and `/v3/pricelists/{price_list_id}/assignments` (a price list for a
customer group, a channel or both: created at most 25 per request, naming a price list, customer
group and channel the store has; one per price list, group and channel; deleted by filter, at
least one)."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp import web

from controller.catalog import fields
from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import ApiError, conflict, invalid
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    int_list,
    json_field,
    json_response,
    listing,
    no_content,
    one,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS price_lists (store TEXT, id INTEGER, name TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS price_lists_name ON price_lists (store, name);
CREATE TABLE IF NOT EXISTS price_records (store TEXT, price_list_id INTEGER, variant_id INTEGER,
    currency TEXT, sku_l TEXT, doc TEXT, PRIMARY KEY (store, price_list_id, variant_id, currency));
CREATE INDEX IF NOT EXISTS price_records_variant ON price_records (store, variant_id);
-- a variant's records go with it however it is deleted (itself, its option value, its product),
-- and a price list's with the list
CREATE TRIGGER IF NOT EXISTS price_records_of_variant AFTER DELETE ON variants BEGIN
    DELETE FROM price_records WHERE store=OLD.store AND variant_id=OLD.id; END;
CREATE TRIGGER IF NOT EXISTS price_records_of_list AFTER DELETE ON price_lists BEGIN
    DELETE FROM price_records WHERE store=OLD.store AND price_list_id=OLD.id; END;
CREATE TABLE IF NOT EXISTS price_list_assignments (store TEXT, id INTEGER, price_list_id INTEGER,
    customer_group_id INTEGER, channel_id INTEGER, PRIMARY KEY (store, id));
"""
TABLES = ("price_lists", "price_records", "price_list_assignments")
MAX_ASSIGNMENTS = 25  # per batch, as documented
MAX_CREATE, MAX_UPSERT = 100, 1_000  # records per request, as documented
PRICES = ("price", "sale_price", "retail_price", "map_price")

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


_RANGE = frozenset({"", "min", "max"})
RECORDS = ListSpec(
    filters={
        "variant_id": Filter("variant_id", "int", frozenset({"in"})),
        "product_id": Filter(json_field("product_id"), "int", frozenset({"in"})),
        "currency": Filter("currency", "lower", frozenset({"", "in"})),
        "sku": Filter("sku_l", "lower", frozenset({"", "in"})),
        **{price: Filter(json_field(price), "num", _RANGE) for price in PRICES},
        "calculated_price": Filter(json_field("calculated_price"), "num", _RANGE),
        "date_created": Filter(json_field("date_created"), "str", _DATES),
        "date_modified": Filter(json_field("date_modified"), "str", _DATES),
    },
    refused=frozenset({"before", "after"}),
    direction=False,
    fields=False,
    key="variant_id, currency",
)


_ASSIGNMENT_FILTERS = ("id", "price_list_id", "customer_group_id", "channel_id")
ASSIGNMENTS = ListSpec(
    filters={name: Filter(name, "int", frozenset({"", "in"})) for name in _ASSIGNMENT_FILTERS},
    refused=frozenset({"before", "after"}),  # cursors: documented, not emulated
    direction=False,
    fields=False,
)
_ASSIGNMENT_COLUMNS = "id, price_list_id, customer_group_id, channel_id"


def _tiers(raw: Any) -> list[dict[str, Any]]:
    """A record's bulk pricing tiers as written: each a quantity range (`quantity_max` null or
    absent: no maximum, else at least `quantity_min`) with a fixed, price or percent `amount`, as
    the spec has them; the ranges of a record do not overlap."""
    if not isinstance(raw, list):
        raise invalid("bulk_pricing_tiers", "bulk_pricing_tiers is a list of tiers")
    tiers = []
    for index, tier in enumerate(raw):
        label = f"bulk_pricing_tiers[{index}]."
        top = tier.get("quantity_max") if isinstance(tier, dict) else None
        if top is not None and (type(top) is not int or top < 0):
            raise invalid(label + "quantity_max", "quantity_max is a whole number or null")
        body = (
            {k: v for k, v in tier.items() if k != "quantity_max"}
            if isinstance(tier, dict)
            else tier
        )
        checked = clean(
            body,
            fields.BULK_PRICING_RULE,
            required=("quantity_min", "type", "amount"),
            prefix=label,
        )
        if top is not None and top < checked["quantity_min"]:
            raise invalid(label + "quantity_max", "quantity_max is at least quantity_min")
        tiers.append({**checked, "quantity_max": top})
    ranges = sorted(tiers, key=lambda t: t["quantity_min"])
    for low, high in itertools.pairwise(ranges):
        if low["quantity_max"] is None or low["quantity_max"] >= high["quantity_min"]:
            raise invalid("bulk_pricing_tiers", "the quantity ranges of the tiers overlap")
    return tiers


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
        """`DELETE /pricelists/{id}`: with its assignments."""
        with self.tx():
            self.doc(price_list_id)
            for table in ("price_lists", "price_list_assignments"):
                column = "id" if table == "price_lists" else "price_list_id"
                self.execute(
                    f"DELETE FROM {table} WHERE store=? AND {column}=?", self.hash, price_list_id
                )

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

    # ---- assignments ----------------------------------------------------------------------------

    def _assignment(self, item: Any, at: str) -> tuple[int, int | None, int]:
        """(price list, customer group or None, channel) of an assignment as written."""
        if not isinstance(item, dict) or not isinstance(item.get("price_list_id"), int):
            raise invalid(f"{at}.price_list_id", "price_list_id is required")
        if not self.exists(item["price_list_id"]):
            raise invalid(f"{at}.price_list_id", f"no price list {item['price_list_id']}")
        group = item.get("customer_group_id")
        if group is not None:
            if not isinstance(group, int):
                raise invalid(f"{at}.customer_group_id", "customer_group_id is an id")
            self.store.customer_groups.doc(group)  # 404 when missing
        channel = item.get("channel_id", 1)
        if not isinstance(channel, int) or not self.store.channels.exists(channel):
            raise ApiError(404, f"The channel {channel} was not found.")
        return item["price_list_id"], group, channel

    def _save_assignment(self, price_list_id: int, group: int | None, channel: int) -> int:
        found = self.one(
            "SELECT id FROM price_list_assignments WHERE store=? AND price_list_id=? AND "
            "customer_group_id IS ? AND channel_id=?",
            self.hash,
            price_list_id,
            group,
            channel,
        )
        if found is not None:
            return int(found)
        assignment_id = self.next_id("price_list_assignment")
        self.execute(
            "INSERT INTO price_list_assignments VALUES (?, ?, ?, ?, ?)",
            self.hash,
            assignment_id,
            price_list_id,
            group,
            channel,
        )
        return assignment_id

    def assign(self, body: Any) -> None:
        """`POST /pricelists/assignments`: at most 25, all or none."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "the body is a non-empty JSON array of assignments")
        if len(body) > MAX_ASSIGNMENTS:
            raise invalid("body", f"at most {MAX_ASSIGNMENTS} assignments a request")
        with self.tx():
            for index, item in enumerate(body):
                self._save_assignment(*self._assignment(item, str(index)))

    def upsert_assignment(self, price_list_id: int, body: Any) -> dict[str, Any]:
        """`PUT /pricelists/{id}/assignments`: the group and channel given (both required)."""
        self.doc(price_list_id)
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), int) for k in ("customer_group_id", "channel_id")
        ):
            raise invalid("customer_group_id", "customer_group_id and channel_id are required")
        with self.tx():
            _, group, channel = self._assignment({**body, "price_list_id": price_list_id}, "")
            assignment_id = self._save_assignment(price_list_id, group, channel)
        return {
            "id": assignment_id,
            "price_list_id": price_list_id,
            "customer_group_id": group,
            "channel_id": channel,
        }

    def assignments(self, query: ListQuery) -> Any:
        """`GET /pricelists/assignments`: a page."""
        clause, params = query.where(["store=?"], [self.hash])
        total = self.one(f"SELECT COUNT(*) FROM price_list_assignments WHERE {clause}", *params)
        rows = self.db.conn.execute(
            f"SELECT {_ASSIGNMENT_COLUMNS} FROM price_list_assignments WHERE {clause} "
            "ORDER BY id LIMIT ? OFFSET ?",
            (*params, query.limit, query.offset),
        ).fetchall()
        items = [
            {
                k: v
                for k, v in zip(_ASSIGNMENT_COLUMNS.split(", "), row, strict=True)
                if v is not None
            }
            for row in rows
        ]
        return Page(items, total, query.page, query.limit)

    def unassign(self, query: dict[str, str]) -> None:
        """`DELETE /pricelists/assignments`: those matching at least one filter."""
        if not any(k in query for k in (*_ASSIGNMENT_FILTERS, "channel_id:in")):
            raise invalid("price_list_id", "at least one filter is required")
        parsed = ListQuery(ASSIGNMENTS, {k: v for k, v in query.items() if k != "page"})
        clause, params = parsed.where(["store=?"], [self.hash])
        with self.tx():
            self.execute(f"DELETE FROM price_list_assignments WHERE {clause}", *params)

    # ---- records --------------------------------------------------------------------------------

    def _variant(self, item: dict[str, Any]) -> tuple[int, int, str]:
        """(variant id, product id, SKU) of a record written by variant id or SKU."""
        if isinstance(item.get("variant_id"), int):
            row = self.db.conn.execute(
                "SELECT id, product_id, json_extract(doc, '$.sku') FROM variants "
                "WHERE store=? AND id=?",
                (self.hash, item["variant_id"]),
            ).fetchone()
        elif isinstance(item.get("sku"), str):
            row = self.db.conn.execute(
                # by the SKU index: without statistics SQLite would scan the store's variants
                "SELECT id, product_id, json_extract(doc, '$.sku') FROM variants "
                "INDEXED BY variants_sku WHERE store=? AND sku_l=?",
                (self.hash, item["sku"].lower()),
            ).fetchone()
        else:
            raise invalid("variant_id", "a record names its variant_id or sku")
        if row is None:
            raise invalid("sku", f"no variant has {item.get('sku') or item.get('variant_id')!r}")
        return int(row[0]), int(row[1]), str(row[2] or "")

    def _record(self, price_list_id: int, item: Any, *, upsert: bool) -> dict[str, Any]:
        """The stored record of a written item."""
        if not isinstance(item, dict):
            raise invalid("body", "each record is a JSON object")
        currency = item.get("currency")
        if not isinstance(currency, str) or len(currency) != 3:
            raise invalid("currency", "currency is an ISO 4217 code")
        variant_id, product_id, sku = self._variant(item)
        docs = self.docs(
            "SELECT doc FROM price_records WHERE store=? AND price_list_id=? AND variant_id=? "
            "AND currency=?",
            self.hash,
            price_list_id,
            variant_id,
            currency.lower(),
        )
        if docs and not upsert:
            raise invalid("variant_id", f"variant {variant_id} already has a {currency} record")
        if not docs and "price" not in item:
            raise invalid("price", "price is required")
        stamp = now_iso()
        doc = (
            docs[0]
            if docs
            else {
                "price_list_id": price_list_id,
                "variant_id": variant_id,
                "product_id": product_id,
                "sku": sku,
                "currency": currency.lower(),
                "date_created": stamp,
                "bulk_pricing_tiers": [],
            }
        )
        if "bulk_pricing_tiers" in item:  # replaced as a whole; kept when not given
            doc["bulk_pricing_tiers"] = _tiers(item["bulk_pricing_tiers"])
        for price in PRICES:
            if price in item:
                value = item[price]
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int | float) or value < 0
                ):
                    raise invalid(price, f"{price} must be a number, not negative")
                doc[price] = value
        doc["calculated_price"] = doc.get("sale_price") or doc["price"]
        doc["date_modified"] = stamp
        return doc

    def write_records(self, price_list_id: int, items: Any, *, upsert: bool) -> None:
        """`POST` (create, at most 100) or `PUT` (upsert, at most 1,000) records."""
        most = MAX_UPSERT if upsert else MAX_CREATE
        if not isinstance(items, list) or not items:
            raise invalid("body", "the body is a non-empty JSON array")
        if len(items) > most:
            raise ApiError(413, f"The request payload is too large: at most {most} records.")
        with self.tx():
            self.doc(price_list_id)
            for item in items:
                doc = self._record(price_list_id, item, upsert=upsert)
                self.execute(
                    "INSERT OR REPLACE INTO price_records VALUES (?, ?, ?, ?, ?, ?)",
                    self.hash,
                    price_list_id,
                    doc["variant_id"],
                    doc["currency"],
                    doc["sku"].lower(),
                    dumps(doc),
                )

    def records(self, price_list_id: int, query: dict[str, str]) -> Any:
        """`GET /pricelists/{id}/records`: one page."""
        self.doc(price_list_id)
        return self.list_page(
            "price_records", ListQuery(RECORDS, query), ["price_list_id=?"], [price_list_id]
        )

    def delete_records(self, price_list_id: int, query: dict[str, str]) -> None:
        """`DELETE /pricelists/{id}/records`: by currency, variant ids or SKUs (all without)."""
        where, params = ["store=?", "price_list_id=?"], [self.hash, price_list_id]
        if "currency" in query:
            where.append("currency=?")
            params.append(query["currency"].lower())
        for key, column, parse in (
            ("variant_id:in", "variant_id", int),
            ("sku:in", "sku_l", str.lower),
        ):
            if key in query:
                try:
                    values = [parse(v) for v in query[key].split(",") if v]
                except ValueError as error:
                    raise invalid(key, f"{key} takes a list of ids") from error
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params += values
        with self.tx():
            self.doc(price_list_id)
            self.execute(f"DELETE FROM price_records WHERE {' AND '.join(where)}", *params)


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


_INCLUDED = ("sku", "bulk_pricing_tiers")  # a record's parts answered only when asked


async def list_records(call: Call) -> Any:
    """A page of records: `sku` and `bulk_pricing_tiers` only when `include` asks, as the
    platform answers."""
    page = await call.run(
        call.store.price_lists.records, call.int("price_list_id"), dict(call.query)
    )
    include = set(call.query.get("include", "").split(","))

    def shaped(record: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in record.items() if k not in _INCLUDED or k in include}
        if "bulk_pricing_tiers" in include:  # a record stored before tiers were kept: none
            kept.setdefault("bulk_pricing_tiers", [])
        return kept

    return listing(page, shaped)


def _write_records(upsert: bool) -> Any:
    async def handle(call: Call) -> Any:
        body = await call.body()
        lists = call.store.price_lists
        await call.run(lists.write_records, call.int("price_list_id"), body, upsert=upsert)
        return json_response({"data": {}, "meta": {}})

    return handle


async def delete_records(call: Call) -> Any:
    await call.run(
        call.store.price_lists.delete_records, call.int("price_list_id"), dict(call.query)
    )
    return no_content()


_ONE = "/v3/pricelists/{price_list_id}"


async def list_assignments(call: Call) -> Any:
    query = call.list_query(ASSIGNMENTS)
    return listing(await call.run(call.store.price_lists.assignments, query), dict)


async def create_assignments(call: Call) -> Any:
    body = await call.body()
    await call.run(call.store.price_lists.assign, body)
    return web.Response(status=200)


async def delete_assignments(call: Call) -> Any:
    await call.run(call.store.price_lists.unassign, dict(call.query))
    return no_content()


async def upsert_assignment(call: Call) -> Any:
    body = await call.body()
    price_list_id = call.int("price_list_id")
    return one(await call.run(call.store.price_lists.upsert_assignment, price_list_id, body))


_ASSIGNED = "/v3/pricelists/assignments"
ROUTES = [
    # assignments first: their path would otherwise be read as a price list id
    Route("GET", _ASSIGNED, list_assignments, ASSIGNMENTS),
    Route("POST", _ASSIGNED, create_assignments),
    Route(
        "DELETE",
        _ASSIGNED,
        delete_assignments,
        extra=frozenset({*_ASSIGNMENT_FILTERS, "channel_id:in"}),
    ),
    Route("PUT", "/v3/pricelists/{price_list_id}/assignments", upsert_assignment),
    Route("GET", "/v3/pricelists", list_price_lists, LIST),
    Route("POST", "/v3/pricelists", create_price_list),
    Route("DELETE", "/v3/pricelists", delete_price_lists, extra=frozenset({"id:in", "name"})),
    Route("GET", _ONE, get_price_list),
    Route("PUT", _ONE, update_price_list),
    Route("DELETE", _ONE, delete_price_list),
    Route("GET", f"{_ONE}/records", list_records, RECORDS, extra=frozenset({"include"})),
    Route("POST", f"{_ONE}/records", _write_records(upsert=False)),
    Route("PUT", f"{_ONE}/records", _write_records(upsert=True)),
    Route(
        "DELETE",
        f"{_ONE}/records",
        delete_records,
        extra=frozenset({"currency", "variant_id:in", "sku:in"}),
    ),
]
