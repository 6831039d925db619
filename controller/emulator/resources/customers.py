"""Customers (v3): `/v3/customers` (at most 10 per create or update, emails unique without case,
addresses, attribute values, form field values and store credit given with the customer, passwords
kept only as salted hashes and never answered; a created customer is sent the welcome email unless
`trigger_account_created_notification` is false), `/v3/customers/addresses`,
`/v3/customers/attributes` (names unique; type string, number or date),
`/v3/customers/attribute-values` (upserted by customer and attribute) and
`/v3/customers/form-field-values` (upserted by customer or address and name)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from controller.emulator.database import Page, dumps
from controller.emulator.errors import ApiError, invalid
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
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (store TEXT, id INTEGER, email_l TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS customers_email ON customers (store, email_l);
CREATE TABLE IF NOT EXISTS customer_addresses (store TEXT, id INTEGER, customer_id INTEGER,
    doc TEXT, PRIMARY KEY (store, id));
CREATE TABLE IF NOT EXISTS customer_attributes (store TEXT, id INTEGER, name TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS customer_attributes_name ON customer_attributes (store, name);
CREATE TABLE IF NOT EXISTS customer_attribute_values (store TEXT, id INTEGER, customer_id INTEGER,
    attribute_id INTEGER, doc TEXT, PRIMARY KEY (store, id));
CREATE TABLE IF NOT EXISTS customer_form_values (store TEXT, customer_id INTEGER,
    address_id INTEGER, name TEXT, doc TEXT, PRIMARY KEY (store, customer_id, address_id, name));
CREATE INDEX IF NOT EXISTS customer_addresses_of ON customer_addresses (store, customer_id, id);
CREATE INDEX IF NOT EXISTS customer_attribute_values_of
    ON customer_attribute_values (store, customer_id, id);
CREATE INDEX IF NOT EXISTS customer_form_values_of ON customer_form_values (store, address_id);
CREATE TABLE IF NOT EXISTS customer_mail (store TEXT, seq INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT);
"""
TABLES = (
    "customers",
    "customer_addresses",
    "customer_attributes",
    "customer_attribute_values",
    "customer_form_values",
    "customer_mail",
)

MAX_BATCH = 10  # customers per create or update request
MAX_SUBRESOURCES = 10  # addresses and attribute values given with one customer
CUSTOMER_FIELDS: dict[str, tuple[str, int, int]] = {  # name -> (type, min length, max length)
    "email": ("str", 3, 255),
    "first_name": ("str", 1, 100),
    "last_name": ("str", 1, 100),
    "company": ("str", 0, 255),
    "phone": ("str", 0, 50),
    "notes": ("str", 0, 65535),
    "tax_exempt_category": ("str", 0, 255),
    "registration_ip_address": ("str", 0, 30),
}
ADDRESS_FIELDS: dict[str, tuple[str, int, int]] = {
    "first_name": ("str", 1, 255),
    "last_name": ("str", 1, 255),
    "company": ("str", 0, 255),
    "address1": ("str", 1, 65535),
    "address2": ("str", 0, 65535),
    "city": ("str", 0, 100),
    "state_or_province": ("str", 0, 100),
    "postal_code": ("str", 0, 30),
    "country_code": ("str", 2, 2),
    "phone": ("str", 0, 50),
}
ADDRESS_REQUIRED = ("first_name", "last_name", "city", "country_code", "address1")
ATTRIBUTE_TYPES = ("string", "number", "date")
COUNTRIES = {"US": "United States", "GB": "United Kingdom", "CA": "Canada", "FR": "France"}
_DATES = frozenset({"", "min", "max"})
_INCLUDES = frozenset({"addresses", "storecredit", "attributes", "formfields"})
_INCLUDES_REFUSED = frozenset({"shopper_profile_id", "segment_ids"})


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _texts(
    body: dict[str, Any], table: dict[str, tuple[str, int, int]], where: str
) -> dict[str, Any]:
    out = {}
    for name, (_, shortest, longest) in table.items():
        if name not in body:
            continue
        value = body[name]
        if not isinstance(value, str) or not shortest <= len(value) <= longest:
            raise invalid(
                f"{where}{name}", f"{name} must be text of {shortest} to {longest} characters"
            )
        out[name] = value
    return out


def _form_fields(raw: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise invalid(where, "form_fields must be a list of {name, value}")
    out = []
    for field in raw:
        value = field.get("value") if isinstance(field, dict) else None
        ok = isinstance(value, str | int | float) and not isinstance(value, bool)
        ok = ok or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not ok:
            raise invalid(where, "a form field value is {name, value: text, number or texts}")
        out.append({"name": field["name"], "value": value})
    return out


def _customer_list_name(op: str, raw: str) -> tuple[str, list[Any]]:
    """`name:in` matches "first last" exactly; `name:like` any part of it (without case)."""
    full = f"lower({json_field('first_name')} || ' ' || {json_field('last_name')})"
    parts = [p.strip().lower() for p in raw.split(",") if p.strip()]
    if op == "like":
        return "(" + " OR ".join(f"{full} LIKE ?" for _ in parts) + ")", [f"%{p}%" for p in parts]
    return f"{full} IN ({','.join('?' * len(parts))})", parts


CUSTOMERS = ListSpec(
    filters={
        "id": Filter("id", "int", frozenset({"in"})),
        "company": Filter(json_field("company"), "str", frozenset({"in"})),
        "customer_group_id": Filter(json_field("customer_group_id"), "int", frozenset({"in"})),
        "date_created": Filter(json_field("date_created"), "str", _DATES),
        "date_modified": Filter(json_field("date_modified"), "str", _DATES),
        "email": Filter("email_l", "lower", frozenset({"in"})),
        "name": Filter("", custom=_customer_list_name, ops=frozenset({"in", "like"})),
        "phone": Filter(json_field("phone"), "str", frozenset({"in"})),
        "registration_ip_address": Filter(
            json_field("registration_ip_address"), "str", frozenset({"in"})
        ),
    },
    refused=frozenset({"after", "before"}),
    direction=False,
    fields=False,
)
_SORTS = {
    f"{name}:{way}": f"{json_field(name)} {way.upper()}"
    for name in ("date_created", "date_modified", "last_name")
    for way in ("asc", "desc")
}
ADDRESSES = ListSpec(
    filters={
        "id": Filter("id", "int", frozenset({"in"})),
        "customer_id": Filter("customer_id", "int", frozenset({"in"})),
        "company": Filter(json_field("company"), "str", frozenset({"in"})),
        "name": Filter("", custom=_customer_list_name, ops=frozenset({"in"})),
    },
    direction=False,
    fields=False,
)
ATTRIBUTES = ListSpec(
    filters={
        "name": Filter("name", "str", frozenset({"", "like"})),
        "type": Filter(json_field("type"), "str"),
        "date_created": Filter(json_field("date_created"), "str", _DATES),
        "date_modified": Filter(json_field("date_modified"), "str", _DATES),
    },
    direction=False,
    fields=False,
)
ATTRIBUTE_VALUES = ListSpec(
    filters={
        "customer_id": Filter("customer_id", "int", frozenset({"in"})),
        "attribute_id": Filter("attribute_id", "int", frozenset({"in"})),
        "name": Filter(
            "attribute_id IN (SELECT id FROM customer_attributes a WHERE a.store = "
            "customer_attribute_values.store AND a.name = ?)",
            "str",
            custom=lambda op, raw: (
                "attribute_id IN (SELECT a.id FROM customer_attributes a WHERE "
                "a.store = customer_attribute_values.store AND a.name = ?)",
                [raw],
            ),
        ),
        "date_created": Filter(json_field("date_created"), "str", _DATES),
        "date_modified": Filter(json_field("date_modified"), "str", _DATES),
    },
    direction=False,
    fields=False,
)
FORM_VALUES = ListSpec(
    filters={
        "customer_id": Filter("customer_id", "int"),
        "address_id": Filter("address_id", "int"),
        "field_name": Filter("name", "str"),
    },
    refused=frozenset({"field_type", "after", "before"}),
    direction=False,
    fields=False,
    key="customer_id, address_id, name",
)


def _hash_password(password: str) -> str:
    salt = os.urandom(8).hex()
    return salt + ":" + hashlib.sha256((salt + password).encode()).hexdigest()


class Customers(Resource):
    """The customers of one store, with their addresses, attribute values and form field values,
    and the store's customer attributes."""

    # ---- customers ------------------------------------------------------------------------------

    def doc(self, customer_id: int) -> dict[str, Any]:
        """One stored customer (422 when missing, as the batch API answers)."""
        docs = self.docs("SELECT doc FROM customers WHERE store=? AND id=?", self.hash, customer_id)
        if not docs:
            raise invalid("id", f"customer {customer_id} does not exist")
        return docs[0]

    def render(self, doc: dict[str, Any], includes: frozenset[str] = frozenset()) -> dict[str, Any]:
        """A stored customer in the API's shape, with the sub-resources asked for."""
        out = {k: v for k, v in doc.items() if k not in ("password", "store_credit_amounts")}
        addresses = self._addresses_of(doc["id"])
        values = self.docs(
            "SELECT doc FROM customer_attribute_values WHERE store=? AND customer_id=? ORDER BY id",
            self.hash,
            doc["id"],
        )
        out["address_count"], out["attribute_count"] = len(addresses), len(values)
        if "addresses" in includes:
            formfields = "formfields" in includes
            out["addresses"] = [self._render_address(a, formfields) for a in addresses]
        if "attributes" in includes:
            out["attributes"] = values
        if "formfields" in includes:
            out["form_fields"] = self._form_values(doc["id"], 0)
        if "storecredit" in includes:
            out["store_credit_amounts"] = doc["store_credit_amounts"]
        return out

    def _addresses_of(self, customer_id: int) -> list[dict[str, Any]]:
        return self.docs(
            "SELECT doc FROM customer_addresses WHERE store=? AND customer_id=? ORDER BY id",
            self.hash,
            customer_id,
        )

    def _form_values(self, customer_id: int, address_id: int) -> list[dict[str, Any]]:
        return self.docs(
            "SELECT doc FROM customer_form_values WHERE store=? AND customer_id=? AND address_id=?"
            " ORDER BY name",
            self.hash,
            customer_id,
            address_id,
        )

    def _render_address(self, doc: dict[str, Any], formfields: bool) -> dict[str, Any]:
        out = dict(doc)
        if formfields:
            out["form_fields"] = self._form_values(0, doc["id"])
        return out

    def _customer_values(self, body: Any, *, create: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid("body", "each customer is a JSON object")
        if create:
            for name in ("email", "first_name", "last_name"):
                if not body.get(name):
                    raise invalid(name, f"{name} is required")
        values = _texts(body, CUSTOMER_FIELDS, "")
        group = body.get("customer_group_id")
        if group is not None:
            if not isinstance(group, int) or (group and not self._group_exists(group)):
                raise invalid("customer_group_id", f"customer group {group} does not exist")
            values["customer_group_id"] = group
        if "accepts_product_review_abandoned_cart_emails" in body:
            values["accepts_product_review_abandoned_cart_emails"] = bool(
                body["accepts_product_review_abandoned_cart_emails"]
            )
        credit = body.get("store_credit_amounts")
        if credit is not None:
            if not isinstance(credit, list) or not all(
                isinstance(c, dict) and isinstance(c.get("amount"), int | float) for c in credit
            ):
                raise invalid("store_credit_amounts", "store credit is a list of {amount}")
            values["store_credit_amounts"] = [{"amount": float(c["amount"])} for c in credit]
        if "channel_ids" in body:
            values["channel_ids"] = body["channel_ids"]
        auth = body.get("authentication")
        if isinstance(auth, dict):
            if isinstance(auth.get("new_password"), str):
                values["password"] = _hash_password(auth["new_password"])
            values["authentication"] = {
                "force_password_reset": bool(auth.get("force_password_reset"))
            }
        return values

    def _group_exists(self, group_id: int) -> bool:
        return bool(
            self.one("SELECT 1 FROM customer_groups WHERE store=? AND id=?", self.hash, group_id)
        )

    def _unique_email(self, email: str, customer_id: int) -> None:
        taken = self.one(
            "SELECT id FROM customers WHERE store=? AND email_l=? AND id<>?",
            self.hash,
            email.lower(),
            customer_id,
        )
        if taken is not None:
            raise invalid("email", f"The email {email!r} is already in use by another customer.")

    def create(self, bodies: Any) -> list[dict[str, Any]]:
        """`POST /customers`: up to 10, each with its sub-resources; all or none."""
        _batch(bodies)
        with self.tx():
            created = []
            for body in bodies:
                values = self._customer_values(body, create=True)
                now = _now()
                doc = {
                    "id": self.next_id("customer"),
                    "company": "",
                    "phone": "",
                    "notes": "",
                    "tax_exempt_category": "",
                    "registration_ip_address": "",
                    "customer_group_id": 0,
                    "accepts_product_review_abandoned_cart_emails": False,
                    "store_credit_amounts": [],
                    "channel_ids": [1],
                    "origin_channel_id": body.get("origin_channel_id", 1),
                    "authentication": {"force_password_reset": False},
                    **values,
                    "date_created": now,
                    "date_modified": now,
                }
                self._unique_email(doc["email"], doc["id"])
                if "password" not in doc:  # the platform makes one up
                    doc["password"] = _hash_password(os.urandom(12).hex())
                self.execute(
                    "INSERT INTO customers VALUES (?, ?, ?, ?)",
                    self.hash,
                    doc["id"],
                    doc["email"].lower(),
                    dumps(doc),
                )
                addresses = body.get("addresses") or []
                attributes = body.get("attributes") or []
                if len(addresses) > MAX_SUBRESOURCES or len(attributes) > MAX_SUBRESOURCES:
                    raise invalid("addresses", "at most 10 addresses and 10 attributes")
                for address in addresses:
                    self._insert_address(
                        {**address, "customer_id": doc["id"]}
                        if isinstance(address, dict)
                        else address
                    )
                for attribute in attributes:
                    if not isinstance(attribute, dict):
                        raise invalid(
                            "attributes", "an attribute is {attribute_id, attribute_value}"
                        )
                    self._upsert_value(
                        doc["id"], attribute.get("attribute_id"), attribute.get("attribute_value")
                    )
                if "form_fields" in body:
                    for field in _form_fields(body["form_fields"], "form_fields"):
                        self._upsert_form_value(doc["id"], 0, field)
                if body.get("trigger_account_created_notification", True) is not False:
                    self.execute(
                        "INSERT INTO customer_mail (store, email) VALUES (?, ?)",
                        self.hash,
                        doc["email"],
                    )
                created.append(doc)
            return [self.render(d, frozenset({"addresses", "storecredit"})) for d in created]

    def update(self, bodies: Any) -> list[dict[str, Any]]:
        """`PUT /customers`: up to 10 by id; sub-resources are not updated here."""
        _batch(bodies)
        with self.tx():
            updated = []
            for body in bodies:
                if not isinstance(body, dict) or not isinstance(body.get("id"), int):
                    raise invalid("id", "each customer names its id")
                doc = self.doc(body["id"])
                doc.update(self._customer_values(body, create=False))
                self._unique_email(doc["email"], doc["id"])
                if "form_fields" in body:
                    for field in _form_fields(body["form_fields"], "form_fields"):
                        self._upsert_form_value(doc["id"], 0, field)
                doc["date_modified"] = _now()
                self.execute(
                    "UPDATE customers SET doc=?, email_l=? WHERE store=? AND id=?",
                    dumps(doc),
                    doc["email"].lower(),
                    self.hash,
                    doc["id"],
                )
                updated.append(doc)
            return [self.render(d, frozenset({"addresses", "storecredit"})) for d in updated]

    def find(self, query: dict[str, str]) -> Page:
        """`GET /customers`: filtered, sorted, one page, with the sub-resources asked for."""
        includes = frozenset(p for p in query.get("include", "").split(",") if p)
        refused = includes & _INCLUDES_REFUSED
        if refused:
            raise ApiError(
                400,
                f"The include {sorted(refused)[0]!r} is not supported by the emulator.",
                {"include": "documented by the platform, not emulated"},
            )
        if includes - _INCLUDES:
            raise invalid("include", f"include takes {', '.join(sorted(_INCLUDES))}")
        sort = query.get("sort", "")
        if sort and sort not in _SORTS:
            raise invalid("sort", f"sort is one of {', '.join(_SORTS)}")
        listed = ListQuery(CUSTOMERS, query)
        clause, values = listed.where(["store=?"], [self.hash])
        total = self.one(f"SELECT COUNT(*) FROM customers WHERE {clause}", *values)
        order = f"{_SORTS[sort]}, id" if sort else "id"
        docs = self.docs(
            f"SELECT doc FROM customers WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
            *values,
            listed.limit,
            listed.offset,
        )
        return Page([self.render(d, includes) for d in docs], total, listed.page, listed.limit)

    def delete(self, ids: list[int]) -> None:
        """`DELETE /customers?id:in=`: with their addresses and values."""
        with self.tx():
            for customer_id in ids:
                addresses = [a["id"] for a in self._addresses_of(customer_id)]
                for table, column in (
                    ("customers", "id"),
                    ("customer_addresses", "customer_id"),
                    ("customer_attribute_values", "customer_id"),
                    ("customer_form_values", "customer_id"),
                ):
                    self.execute(
                        f"DELETE FROM {table} WHERE store=? AND {column}=?", self.hash, customer_id
                    )
                for address_id in addresses:
                    self.execute(
                        "DELETE FROM customer_form_values WHERE store=? AND address_id=?",
                        self.hash,
                        address_id,
                    )

    def mailed(self) -> list[str]:
        """The addresses the store sent a welcome email to, in order (for tests)."""
        rows = self.db.conn.execute(
            "SELECT email FROM customer_mail WHERE store=? ORDER BY seq", (self.hash,)
        ).fetchall()
        return [r[0] for r in rows]

    def count(self) -> int:
        """How many customers the store has."""
        return int(self.one("SELECT COUNT(*) FROM customers WHERE store=?", self.hash))

    # ---- addresses ------------------------------------------------------------------------------

    def _insert_address(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid("addresses", "an address is a JSON object")
        for name in ADDRESS_REQUIRED:
            if not body.get(name):
                raise invalid(f"addresses.{name}", f"{name} is required")
        customer_id = body.get("customer_id")
        if not isinstance(customer_id, int):
            raise invalid("customer_id", "customer_id is required")
        self.doc(customer_id)
        doc = self._address_values(body)
        doc.update(id=self.next_id("customer_address"), customer_id=customer_id)
        self.execute(
            "INSERT INTO customer_addresses VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            customer_id,
            dumps(doc),
        )
        for field in _form_fields(body.get("form_fields") or [], "form_fields"):
            self._upsert_form_value(0, doc["id"], field)
        return doc

    def _address_values(
        self, body: dict[str, Any], base: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        doc = {
            "company": "",
            "address2": "",
            "state_or_province": "",
            "postal_code": "",
            "phone": "",
            "address_type": "residential",
            **(base or {}),
            **_texts(body, ADDRESS_FIELDS, "addresses."),
        }
        kind = body.get("address_type", doc["address_type"])
        if kind not in ("residential", "commercial"):
            raise invalid("address_type", "address_type is residential or commercial")
        doc["address_type"] = kind
        doc["country"] = COUNTRIES.get(doc["country_code"].upper(), doc["country_code"].upper())
        return doc

    def add_addresses(self, bodies: Any) -> list[dict[str, Any]]:
        """`POST /customers/addresses`."""
        _batch(bodies, MAX_SUBRESOURCES * MAX_BATCH)
        with self.tx():
            return [self._insert_address(b) for b in bodies]

    def update_addresses(self, bodies: Any) -> list[dict[str, Any]]:
        """`PUT /customers/addresses`: by id."""
        _batch(bodies, MAX_SUBRESOURCES * MAX_BATCH)
        with self.tx():
            out = []
            for body in bodies:
                if not isinstance(body, dict) or not isinstance(body.get("id"), int):
                    raise invalid("id", "each address names its id")
                docs = self.docs(
                    "SELECT doc FROM customer_addresses WHERE store=? AND id=?",
                    self.hash,
                    body["id"],
                )
                if not docs:
                    raise invalid("id", f"address {body['id']} does not exist")
                doc = self._address_values(body, docs[0])
                self.execute(
                    "UPDATE customer_addresses SET doc=? WHERE store=? AND id=?",
                    dumps(doc),
                    self.hash,
                    doc["id"],
                )
                for field in _form_fields(body.get("form_fields") or [], "form_fields"):
                    self._upsert_form_value(0, doc["id"], field)
                out.append(doc)
            return out

    def find_addresses(self, query: dict[str, str]) -> Page:
        """`GET /customers/addresses`."""
        formfields = query.get("include", "") == "formfields"
        if query.get("include") not in (None, "", "formfields"):
            raise invalid("include", "include takes formfields")
        page = self.list_page("customer_addresses", ListQuery(ADDRESSES, query))
        items = [self._render_address(a, formfields) for a in page.items]
        return Page(items, page.total, page.page, page.limit)

    def delete_addresses(self, ids: list[int]) -> None:
        """`DELETE /customers/addresses?id:in=`."""
        with self.tx():
            for address_id in ids:
                self.execute(
                    "DELETE FROM customer_addresses WHERE store=? AND id=?", self.hash, address_id
                )
                self.execute(
                    "DELETE FROM customer_form_values WHERE store=? AND address_id=?",
                    self.hash,
                    address_id,
                )

    # ---- attributes and their values -------------------------------------------------------------

    def add_attributes(self, bodies: Any) -> list[dict[str, Any]]:
        """`POST /customers/attributes`: names unique."""
        _batch(bodies, 10)
        with self.tx():
            out = []
            for body in bodies:
                name = body.get("name") if isinstance(body, dict) else None
                kind = body.get("type") if isinstance(body, dict) else None
                if not isinstance(name, str) or not 1 <= len(name) <= 255:
                    raise invalid("name", "name is 1 to 255 characters")
                if kind not in ATTRIBUTE_TYPES:
                    raise invalid("type", "type is string, number or date")
                self._unique_attribute(name, 0)
                now = _now()
                doc = {"id": self.next_id("customer_attribute"), "name": name, "type": kind}
                doc.update(date_created=now, date_modified=now)
                self.execute(
                    "INSERT INTO customer_attributes VALUES (?, ?, ?, ?)",
                    self.hash,
                    doc["id"],
                    name,
                    dumps(doc),
                )
                out.append(doc)
            return out

    def _unique_attribute(self, name: str, attribute_id: int) -> None:
        taken = self.one(
            "SELECT id FROM customer_attributes WHERE store=? AND name=? AND id<>?",
            self.hash,
            name,
            attribute_id,
        )
        if taken is not None:
            raise invalid("name", f"A customer attribute named {name!r} already exists.")

    def _attribute(self, attribute_id: Any) -> dict[str, Any]:
        docs = self.docs(
            "SELECT doc FROM customer_attributes WHERE store=? AND id=?", self.hash, attribute_id
        )
        if not docs:
            raise invalid("attribute_id", f"customer attribute {attribute_id} does not exist")
        return docs[0]

    def update_attributes(self, bodies: Any) -> list[dict[str, Any]]:
        """`PUT /customers/attributes`: renames by id (the type cannot change)."""
        _batch(bodies, 10)
        with self.tx():
            out = []
            for body in bodies:
                doc = self._attribute(body.get("id") if isinstance(body, dict) else None)
                name = body.get("name", doc["name"])
                if not isinstance(name, str) or not 1 <= len(name) <= 255:
                    raise invalid("name", "name is 1 to 255 characters")
                self._unique_attribute(name, doc["id"])
                doc.update(name=name, date_modified=_now())
                self.execute(
                    "UPDATE customer_attributes SET doc=?, name=? WHERE store=? AND id=?",
                    dumps(doc),
                    name,
                    self.hash,
                    doc["id"],
                )
                out.append(doc)
            return out

    def find_attributes(self, query: dict[str, str]) -> Page:
        """`GET /customers/attributes`."""
        return self.list_page("customer_attributes", ListQuery(ATTRIBUTES, query))

    def delete_attributes(self, ids: list[int]) -> None:
        """`DELETE /customers/attributes?id:in=`: with their values."""
        with self.tx():
            for attribute_id in ids:
                for table, column in (
                    ("customer_attributes", "id"),
                    ("customer_attribute_values", "attribute_id"),
                ):
                    self.execute(
                        f"DELETE FROM {table} WHERE store=? AND {column}=?", self.hash, attribute_id
                    )

    def _upsert_value(self, customer_id: int, attribute_id: Any, value: Any) -> dict[str, Any]:
        attribute = self._attribute(attribute_id)
        if not isinstance(value, str) or len(value) > 255:
            raise invalid("attribute_value", "a value is text of at most 255 characters")
        if attribute["type"] == "number":
            try:
                float(value)
            except ValueError as error:
                raise invalid("attribute_value", f"{attribute['name']} takes a number") from error
        existing = self.docs(
            "SELECT doc FROM customer_attribute_values WHERE store=? AND customer_id=? "
            "AND attribute_id=?",
            self.hash,
            customer_id,
            attribute_id,
        )
        now = _now()
        if existing:
            doc = {**existing[0], "attribute_value": value, "date_modified": now}
            self.execute(
                "UPDATE customer_attribute_values SET doc=? WHERE store=? AND id=?",
                dumps(doc),
                self.hash,
                doc["id"],
            )
            return doc
        doc = {
            "id": self.next_id("customer_attribute_value"),
            "attribute_id": attribute_id,
            "attribute_value": value,
            "customer_id": customer_id,
            "date_created": now,
            "date_modified": now,
        }
        self.execute(
            "INSERT INTO customer_attribute_values VALUES (?, ?, ?, ?, ?)",
            self.hash,
            doc["id"],
            customer_id,
            attribute_id,
            dumps(doc),
        )
        return doc

    def upsert_values(self, bodies: Any) -> list[dict[str, Any]]:
        """`PUT /customers/attribute-values`: by customer and attribute, for at most 10
        customers per call."""
        _batch(bodies, MAX_BATCH * 100)
        customers = {b.get("customer_id") for b in bodies if isinstance(b, dict)}
        if len(customers) > MAX_BATCH:
            raise ApiError(413, f"The request payload is too large: at most {MAX_BATCH} customers.")
        with self.tx():
            out = []
            for body in bodies:
                if not isinstance(body, dict) or not isinstance(body.get("customer_id"), int):
                    raise invalid("customer_id", "each value names its customer_id")
                self.doc(body["customer_id"])
                out.append(
                    self._upsert_value(
                        body["customer_id"], body.get("attribute_id"), body.get("value")
                    )
                )
            return out

    def find_values(self, query: dict[str, str]) -> Page:
        """`GET /customers/attribute-values`."""
        return self.list_page("customer_attribute_values", ListQuery(ATTRIBUTE_VALUES, query))

    def delete_values(self, ids: list[int]) -> None:
        """`DELETE /customers/attribute-values?id:in=`."""
        with self.tx():
            for value_id in ids:
                self.execute(
                    "DELETE FROM customer_attribute_values WHERE store=? AND id=?",
                    self.hash,
                    value_id,
                )

    # ---- form field values ----------------------------------------------------------------------

    def _upsert_form_value(
        self, customer_id: int, address_id: int, field: dict[str, Any]
    ) -> dict[str, Any]:
        doc = {"name": field["name"], "value": field["value"]}
        doc.update({"address_id": address_id} if address_id else {"customer_id": customer_id})
        self.execute(
            "INSERT OR REPLACE INTO customer_form_values VALUES (?, ?, ?, ?, ?)",
            self.hash,
            customer_id,
            address_id,
            field["name"],
            dumps(doc),
        )
        return doc

    def upsert_form_values(self, bodies: Any) -> list[dict[str, Any]]:
        """`PUT /customers/form-field-values`: each names a customer or an address."""
        _batch(bodies, 100)
        with self.tx():
            out = []
            for body in bodies:
                (field,) = _form_fields([body], "form_fields")
                customer_id = body.get("customer_id") or 0
                address_id = body.get("address_id") or 0
                if bool(customer_id) == bool(address_id):
                    raise invalid("customer_id", "a value names a customer_id or an address_id")
                if customer_id:
                    self.doc(customer_id)
                elif not self.one(
                    "SELECT 1 FROM customer_addresses WHERE store=? AND id=?", self.hash, address_id
                ):
                    raise invalid("address_id", f"address {address_id} does not exist")
                out.append(self._upsert_form_value(customer_id, address_id, field))
            return out

    def find_form_values(self, query: dict[str, str]) -> Page:
        """`GET /customers/form-field-values`."""
        return self.list_page("customer_form_values", ListQuery(FORM_VALUES, query))


def _batch(bodies: Any, most: int = MAX_BATCH) -> None:
    if not isinstance(bodies, list) or not bodies:
        raise invalid("body", "the body is a non-empty JSON array")
    if len(bodies) > most:
        raise ApiError(413, f"The request payload is too large: at most {most} items.")


# ---- HTTP -----------------------------------------------------------------------------------------


def _writer(name: str) -> Callable[[Call], Awaitable[web.StreamResponse]]:
    async def handle(call: Call) -> web.StreamResponse:
        body = await call.body()
        written = await call.run(getattr(call.store.customers, name), body)
        return json_response({"data": written, "meta": {}})

    return handle


def _lister(name: str) -> Callable[[Call], Awaitable[web.StreamResponse]]:
    async def handle(call: Call) -> web.StreamResponse:
        page = await call.run(getattr(call.store.customers, name), dict(call.query))
        return listing(page, lambda item: item)

    return handle


def _deleter(
    name: str, *, noop_without_ids: bool = False
) -> Callable[[Call], Awaitable[web.StreamResponse]]:
    async def handle(call: Call) -> web.StreamResponse:
        raw = call.query.get("id:in")
        if raw is None and noop_without_ids:
            return no_content()  # documented: without a query nothing is deleted
        if raw is None:
            raise invalid("id:in", "id:in is required")
        await call.run(getattr(call.store.customers, name), int_list("id:in", raw))
        return no_content()

    return handle


_IN = frozenset({"id:in"})
_BASE = "/v3/customers"
ROUTES = [
    Route("GET", _BASE, _lister("find"), CUSTOMERS, extra=frozenset({"include", "sort"})),
    Route("POST", _BASE, _writer("create")),
    Route("PUT", _BASE, _writer("update")),
    Route("DELETE", _BASE, _deleter("delete", noop_without_ids=True), extra=_IN),
    Route(
        "GET",
        f"{_BASE}/addresses",
        _lister("find_addresses"),
        ADDRESSES,
        extra=frozenset({"include"}),
    ),
    Route("POST", f"{_BASE}/addresses", _writer("add_addresses")),
    Route("PUT", f"{_BASE}/addresses", _writer("update_addresses")),
    Route("DELETE", f"{_BASE}/addresses", _deleter("delete_addresses"), extra=_IN),
    Route("GET", f"{_BASE}/attributes", _lister("find_attributes"), ATTRIBUTES),
    Route("POST", f"{_BASE}/attributes", _writer("add_attributes")),
    Route("PUT", f"{_BASE}/attributes", _writer("update_attributes")),
    Route("DELETE", f"{_BASE}/attributes", _deleter("delete_attributes"), extra=_IN),
    Route("GET", f"{_BASE}/attribute-values", _lister("find_values"), ATTRIBUTE_VALUES),
    Route("PUT", f"{_BASE}/attribute-values", _writer("upsert_values")),
    Route("DELETE", f"{_BASE}/attribute-values", _deleter("delete_values"), extra=_IN),
    Route("GET", f"{_BASE}/form-field-values", _lister("find_form_values"), FORM_VALUES),
    Route("PUT", f"{_BASE}/form-field-values", _writer("upsert_form_values")),
]
