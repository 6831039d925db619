"""Promotions (v3): `/v3/promotions`, `/v3/promotions/{id}`, their coupon codes
(`/v3/promotions/{promotion_id}/codes`, `/codes/{code_id}`, `/codegen`) and codes by code
(`/v3/promotions/codes`).

The documented rules: a promotion is AUTOMATIC or COUPON (`redemption_type`, never changed by a
PUT, nor `coupon_type`), has a name and at least one rule, each with an action; the products,
variants, categories, brands and customer groups it names exist; `group_ids` and
`excluded_group_ids` are not both given; `coupon_overrides_other_promotions` is set only when
`can_be_used_with_other_promotions` is false. Coupon codes belong to COUPON promotions, are unique
in the store, letters, digits, spaces, `_` and `-`, at most 50; the bulk deletes take `id:in`
(required: 422), at most 50 promotions (none that still has codes) or 250 codes; generated codes
only for BULK coupon promotions (405), at most 250 a batch."""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

import orjson
from aiohttp import web

from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import ApiError, conflict, invalid
from controller.emulator.resources.base import (
    Call,
    Filter,
    Handler,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    int_list,
    json_response,
    listing,
    no_content,
    one,
    paging,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS promotions (store TEXT, id INTEGER, name TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE TABLE IF NOT EXISTS promotion_codes (store TEXT, id INTEGER, promotion_id INTEGER,
    code TEXT, doc TEXT, PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS promotion_codes_code ON promotion_codes (store, code);
CREATE INDEX IF NOT EXISTS promotion_codes_promotion ON promotion_codes (store, promotion_id);
"""
TABLES = ("promotions", "promotion_codes")

_CODES_OF = "SELECT promotion_id FROM promotion_codes WHERE store=promotions.store AND code"


def _code_filter(op: str, raw: str) -> tuple[str, list[Any]]:
    return f"id IN ({_CODES_OF}=?)", [raw]


def _query_filter(op: str, raw: str) -> tuple[str, list[Any]]:
    return f"(name LIKE ? OR id IN ({_CODES_OF} LIKE ?))", [f"%{raw}%", f"%{raw}%"]


def _channels_filter(op: str, raw: str) -> tuple[str, list[Any]]:
    ids = int_list("channels", raw)
    marks = ",".join("?" * len(ids))
    return (
        "(json_array_length(json_extract(doc, '$.channels')) = 0 OR EXISTS (SELECT 1 FROM "
        f"json_each(json_extract(doc, '$.channels')) WHERE json_extract(value, '$.id') IN "
        f"({marks})))",
        list(ids),
    )


def _redemption_filter(op: str, raw: str) -> tuple[str, list[Any]]:
    if raw.lower() not in ("automatic", "coupon"):
        raise invalid("redemption_type", "redemption_type is automatic or coupon")
    return "json_extract(doc, '$.redemption_type') = ?", [raw.upper()]


LIST = ListSpec(
    filters={
        "id": Filter("id", "int"),
        "name": Filter("name", "str"),
        "code": Filter("", custom=_code_filter),
        "currency_code": Filter("json_extract(doc, '$.currency_code')", "str"),
        "redemption_type": Filter("", custom=_redemption_filter),
        "status": Filter("json_extract(doc, '$.status')", "str"),
        "channels": Filter("", custom=_channels_filter),
        "query": Filter("", custom=_query_filter),
    },
    sorts={
        "id": "id",
        "name": "name",
        "priority": "id",  # created last, evaluated last: the API sets no priority
        "start_date": "json_extract(doc, '$.start_date')",
    },
    fields=False,
)
CODES = ListSpec(
    filters={"code": Filter("code", "str")},
    refused=frozenset({"before", "after"}),  # cursors: documented, not emulated
    direction=False,
    fields=False,
)
_ACTIONS = ("cart_value", "cart_items", "gift_item", "fixed_price_set", "shipping")
_CODE = re.compile(r"[A-Za-z0-9_ -]{1,50}")
_CURRENCY = re.compile(r"[A-Z]{3}|\*")
_AFFIX = re.compile(r"[A-Z0-9_-]{0,20}")
_NOTIFICATIONS = frozenset({"UPSELL", "ELIGIBLE", "APPLIED", "PROMOTION"})
_BULK_DELETE_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


class Promotions(Resource):
    """The promotions and coupon codes of one store."""

    def doc(self, promotion_id: int) -> dict[str, Any]:
        """One stored promotion (404 when missing)."""
        docs = self.docs(
            "SELECT doc FROM promotions WHERE store=? AND id=?", self.hash, promotion_id
        )
        if not docs:
            raise ApiError(404, "The promotion was not found.")
        return docs[0]

    # ---- what a promotion names --------------------------------------------------------------

    def _exists(self, key: str, record_id: Any) -> bool:
        if not isinstance(record_id, int) or isinstance(record_id, bool):
            return False
        if key == "products":
            return self.store.products.exists(record_id)
        if key == "categories":
            return self.store.categories.exists(record_id)
        if key == "brands":
            return self.store.brands.exists(record_id)
        if key == "variants":
            return bool(
                self.one("SELECT 1 FROM variants WHERE store=? AND id=?", self.hash, record_id)
            )
        try:
            self.store.customer_groups.doc(record_id)
        except ApiError:
            return False
        return True

    def _names(self, value: Any, at: str) -> None:
        """Every record id named in rules exists (matchers at any depth, gift items)."""
        if isinstance(value, list):
            for index, part in enumerate(value):
                self._names(part, f"{at}[{index}]")
            return
        if not isinstance(value, dict):
            return
        for key, part in value.items():
            if key in ("products", "categories", "brands", "variants"):
                if not isinstance(part, list):
                    raise invalid(at, f"{key} must be a list of ids")
                for record_id in part:
                    if not self._exists(key, record_id):
                        raise invalid(at, f"{key[:-1]} {record_id} does not exist")
            elif key in ("product_id", "variant_id"):
                if not self._exists(key.replace("_id", "s"), part):
                    raise invalid(at, f"{key} {part} does not exist")
            else:
                self._names(part, f"{at}.{key}")

    def _rules(self, rules: Any) -> list[dict[str, Any]]:
        if not isinstance(rules, list) or not rules:
            raise invalid("rules", "a promotion has at least one rule")
        out = []
        for index, rule in enumerate(rules):
            action = rule.get("action") if isinstance(rule, dict) else None
            if not isinstance(action, dict) or not any(k in action for k in _ACTIONS):
                raise invalid(f"rules[{index}]", f"a rule has an action: {', '.join(_ACTIONS)}")
            self._names(rule, f"rules[{index}]")
            out.append({"apply_once": True, **rule})
        return out

    def _customer(self, customer: Any) -> dict[str, Any]:
        if not isinstance(customer, dict):
            raise invalid("customer", "customer must be an object")
        out = {"group_ids": [], "minimum_order_count": 0, "excluded_group_ids": [], **customer}
        for key in ("group_ids", "excluded_group_ids"):
            ids = out[key]
            if not isinstance(ids, list) or not all(i == 0 or self._exists(key, i) for i in ids):
                raise invalid(f"customer.{key}", f"{key} must name customer groups of the store")
        if out["group_ids"] and out["excluded_group_ids"]:
            raise invalid("customer", "group_ids and excluded_group_ids are not both given")
        return out

    def _values(self, body: Any, doc: dict[str, Any] | None) -> dict[str, Any]:
        """A promotion's values from a create (`doc` None) or an update body."""
        if not isinstance(body, dict):
            raise invalid("body", "a promotion is a JSON object")
        values = {k: v for k, v in body.items() if k not in ("id", "current_uses", "created_from")}
        if doc is None:
            if body.get("redemption_type") not in ("AUTOMATIC", "COUPON"):
                raise invalid("redemption_type", "redemption_type is AUTOMATIC or COUPON")
            if "rules" not in body:
                raise invalid("rules", "rules are required")
        else:
            for fixed in ("redemption_type", "coupon_type"):
                if fixed in body and body[fixed] != doc.get(fixed):
                    raise invalid(fixed, f"{fixed} cannot be changed")
        named = isinstance(body.get("name"), str) and body["name"].strip()
        if (doc is None or "name" in body) and not named:
            raise invalid("name", "name is required")
        if "rules" in values:
            values["rules"] = self._rules(values["rules"])
        if "customer" in values:
            values["customer"] = self._customer(values["customer"])
        if "channels" in values:
            channels = values["channels"]
            if not isinstance(channels, list) or not all(
                isinstance(c, dict) and isinstance(c.get("id"), int) for c in channels
            ):
                raise invalid("channels", "channels is a list of {id}")
            for channel in channels:
                if not self.store.channels.exists(channel["id"]):
                    raise invalid("channels", f"channel {channel['id']} does not exist")
        if "status" in values and values["status"] not in ("ENABLED", "DISABLED"):
            raise invalid("status", "status is ENABLED or DISABLED")
        if "currency_code" in values and not _CURRENCY.fullmatch(str(values["currency_code"])):
            raise invalid("currency_code", "currency_code is an upper case ISO 4217 code or *")
        for notification in values.get("notifications") or ():
            if not isinstance(notification, dict) or notification.get("type") not in (
                _NOTIFICATIONS
            ):
                raise invalid("notifications", "a notification has content, type and locations")
        return values

    def _check(self, doc: dict[str, Any]) -> None:
        combinable = doc.get("can_be_used_with_other_promotions", True)
        for flag in (
            "coupon_overrides_other_promotions",
            "coupon_overrides_automatic_when_offering_higher_discounts",
        ):
            if doc.get(flag) and (combinable or doc["redemption_type"] != "COUPON"):
                raise invalid(
                    flag,
                    f"{flag} is set only for a COUPON promotion that cannot be used with others",
                )

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A stored promotion in the API's shape (no `end_date`: it never expires)."""
        return {k: v for k, v in doc.items() if not (k == "end_date" and v is None)}

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /promotions`."""
        with self.tx():
            values = self._values(body, None)
            doc: dict[str, Any] = {
                "id": self.next_id("promotion"),
                "created_from": "api",
                "channels": [],
                "customer": {"group_ids": [], "minimum_order_count": 0, "excluded_group_ids": []},
                "notifications": [],
                "stop": False,
                "can_be_used_with_other_promotions": True,
                "currency_code": "USD",
                "current_uses": 0,
                "start_date": now_iso(),
                "status": "ENABLED",
            }
            if values["redemption_type"] == "COUPON":
                doc.update(coupon_type="SINGLE", coupon_overrides_other_promotions=False)
            doc.update(values)
            self._check(doc)
            self.execute(
                "INSERT INTO promotions VALUES (?, ?, ?, ?)",
                self.hash,
                doc["id"],
                doc["name"],
                dumps(doc),
            )
            return self.render(doc)

    def update(self, promotion_id: int, body: Any) -> dict[str, Any]:
        """`PUT /promotions/{id}`: the fields given replace the stored ones."""
        with self.tx():
            doc = self.doc(promotion_id)
            doc.update(self._values(body, doc))
            self._check(doc)
            self.execute(
                "UPDATE promotions SET doc=?, name=? WHERE store=? AND id=?",
                dumps(doc),
                doc["name"],
                self.hash,
                promotion_id,
            )
            return self.render(doc)

    def find(self, query: ListQuery) -> Page:
        """`GET /promotions`: a page."""
        return self.list_page("promotions", query)

    def delete(self, promotion_id: int) -> None:
        """`DELETE /promotions/{id}`: with its codes (204 also when there is none)."""
        with self.tx():
            for table in ("promotions", "promotion_codes"):
                column = "id" if table == "promotions" else "promotion_id"
                self.execute(
                    f"DELETE FROM {table} WHERE store=? AND {column}=?", self.hash, promotion_id
                )

    def delete_many(self, query: dict[str, str]) -> dict[str, Any] | None:
        """`DELETE /promotions?id:in=`: at most 50, none that has codes (those fail alone; the
        answer then is the documented 422 body)."""
        ids = _required_ids(query, 50)
        errors: dict[str, str] = {}
        with self.tx():
            for index, promotion_id in enumerate(ids):
                if self.one(
                    "SELECT 1 FROM promotion_codes WHERE store=? AND promotion_id=?",
                    self.hash,
                    promotion_id,
                ):
                    errors[f"{index}.code"] = (
                        f"Failed for id={promotion_id}. Error: some relating codes are still "
                        "present."
                    )
                    continue
                self.execute(
                    "DELETE FROM promotions WHERE store=? AND id=?", self.hash, promotion_id
                )
        if not errors:
            return None
        return {
            "errors": [
                {
                    "status": 422,
                    "title": "Errors occurred in bulk delete action.",
                    "type": _BULK_DELETE_TYPE,
                    "errors": errors,
                }
            ],
            "meta": {"total": len(ids), "success": len(ids) - len(errors), "failed": len(errors)},
        }

    # ---- coupon codes --------------------------------------------------------------------------

    def _code_doc(self, promotion_id: int, code: str, body: dict[str, Any]) -> dict[str, Any]:
        if not _CODE.fullmatch(code):
            raise invalid("code", "a code is letters, digits, spaces, _ and -, at most 50")
        if self.one("SELECT 1 FROM promotion_codes WHERE store=? AND code=?", self.hash, code):
            raise conflict("code", f"The coupon code {code!r} already exists.")
        doc = {
            "id": self.next_id("promotion_code"),
            "code": code,
            "current_uses": 0,
            "max_uses": body.get("max_uses", 0),
            "max_uses_per_customer": body.get("max_uses_per_customer", 0),
            "created": now_iso(),
        }
        for limit in ("max_uses", "max_uses_per_customer"):
            value = doc[limit]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise invalid(limit, f"{limit} is a whole number, not negative")
        self.execute(
            "INSERT INTO promotion_codes VALUES (?, ?, ?, ?, ?)",
            self.hash,
            doc["id"],
            promotion_id,
            code,
            dumps(doc),
        )
        return doc

    def _coupon(self, promotion_id: int) -> dict[str, Any]:
        doc = self.doc(promotion_id)
        if doc["redemption_type"] != "COUPON":
            raise invalid("promotion_id", "only a COUPON promotion has codes")
        return doc

    def add_code(self, promotion_id: int, body: Any) -> dict[str, Any]:
        """`POST /promotions/{id}/codes`."""
        with self.tx():
            self._coupon(promotion_id)
            code = body.get("code") if isinstance(body, dict) else None
            if not isinstance(code, str):
                raise invalid("code", "code is required")
            assert isinstance(body, dict)
            return self._code_doc(promotion_id, code, body)

    def generate(self, promotion_id: int, body: Any) -> dict[str, Any]:
        """`POST /promotions/{id}/codegen`: a batch of random codes of a BULK coupon promotion."""
        with self.tx():
            doc = self.doc(promotion_id)
            if doc["redemption_type"] != "COUPON" or doc.get("coupon_type") != "BULK":
                raise ApiError(405, "Bulk code generation needs a BULK coupon promotion.")
            if not isinstance(body, dict):
                raise invalid("batch_size", "batch_size is required")
            size, length = body.get("batch_size"), body.get("code_length", 16)
            if not isinstance(size, int) or not 1 <= size <= 250:
                raise invalid("batch_size", "batch_size is a whole number from 1 to 250")
            if not isinstance(length, int) or not 6 <= length <= 16:
                raise invalid("code_length", "code_length is from 6 to 16")
            prefix, suffix = str(body.get("prefix", "")), str(body.get("suffix", ""))
            delimiter = str(body.get("delimiter", ""))
            if not (_AFFIX.fullmatch(prefix) and _AFFIX.fullmatch(suffix)) or delimiter not in (
                "",
                "_",
                "-",
            ):
                raise invalid("prefix", "prefix and suffix are A-Z, 0-9, _ and -; delimiter _ or -")
            excluded = set(body.get("exclude_characters") or ())
            alphabet = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" if c not in excluded]
            head = f"{prefix}{delimiter}" if prefix else ""
            tail = f"{delimiter}{suffix}" if suffix else ""
            if len(head) + length + len(tail) > 50:
                raise invalid("code_length", "a code is at most 50 characters")
            limits = {
                "max_uses": body.get("max_uses", 1),
                "max_uses_per_customer": body.get("max_uses_per_customer", 1),
            }
            codes: list[dict[str, str]] = []
            while len(codes) < size:
                random = "".join(secrets.choice(alphabet) for _ in range(length))
                code = f"{head}{random}{tail}"
                if not self.one(
                    "SELECT 1 FROM promotion_codes WHERE store=? AND code=?", self.hash, code
                ):
                    self._code_doc(promotion_id, code, limits)
                    codes.append({"code": code})
            return {"created": now_iso(), **limits, "batch_size": size, "codes": codes}

    def codes(self, promotion_id: int, query: ListQuery) -> Page:
        """`GET /promotions/{id}/codes`: a page."""
        self.doc(promotion_id)
        return self.list_page("promotion_codes", query, ["promotion_id=?"], [promotion_id])

    def by_code(self, code: str) -> list[dict[str, Any]]:
        """`GET /promotions/codes?code=`."""
        return self.docs(
            "SELECT doc FROM promotion_codes WHERE store=? AND code=?", self.hash, code
        )

    def delete_codes(self, promotion_id: int, query: dict[str, str]) -> None:
        """`DELETE /promotions/{id}/codes?id:in=` (required, at most 250; `code` narrows it to
        that code)."""
        ids = _required_ids(query, 250)
        code = [query["code"]] if "code" in query else []
        with self.tx():
            self.doc(promotion_id)
            for code_id in ids:
                self.execute(
                    "DELETE FROM promotion_codes WHERE store=? AND promotion_id=? AND id=?"
                    + (" AND code=?" if code else ""),
                    self.hash,
                    promotion_id,
                    code_id,
                    *code,
                )

    def delete_code(self, promotion_id: int, code_id: int | None, code: str | None) -> None:
        """`DELETE /promotions/{id}/codes/{code_id}` or `/promotions/codes?code=` (204 also
        when there is none)."""
        with self.tx():
            if code is not None:
                self.execute(
                    "DELETE FROM promotion_codes WHERE store=? AND code=?", self.hash, code
                )
            else:
                self.execute(
                    "DELETE FROM promotion_codes WHERE store=? AND promotion_id=? AND id=?",
                    self.hash,
                    promotion_id,
                    code_id,
                )


def _required_ids(query: dict[str, str], most: int) -> list[int]:
    """`id:in`, required, at most `most` ids (422 otherwise)."""
    if "id:in" not in query:
        raise ApiError(422, "Parameter id:in is required")
    ids = int_list("id:in", query["id:in"])
    if not ids:
        raise ApiError(422, "Parameter id:in is required")
    if len(ids) > most:
        raise invalid("id:in", f"at most {most} at once")
    return ids


# ---- HTTP -----------------------------------------------------------------------------------------


def _shaped(handler: Handler) -> Handler:
    """A handler whose errors answer in the promotions API's shapes: `{errors: [{status,
    title}]}`, the bulk deletes' `{errors, meta}`, and a 405's `{status, title, error}`."""

    async def handle(call: Call) -> web.StreamResponse:
        try:
            return await handler(call)
        except ApiError as error:
            if error.status == 405:
                body: dict[str, Any] = {
                    "status": "405",
                    "title": "Method Not Allowed",
                    "error": error.title,
                }
            else:
                detail = {"status": error.status, "title": error.title}
                body = {"errors": [{**detail, "type": _BULK_DELETE_TYPE, "errors": error.errors}]}
                if call.request.method == "DELETE":
                    body["meta"] = {"total": 0, "success": 0, "failed": 0}
            return json_response(body, error.status)

    handle.__name__ = handler.__name__
    return handle


def _codes_listing(page: Page, cursors: bool) -> web.Response:
    """A page of codes: offset pagination, and cursor pagination unless a page was asked for."""
    answer = listing(page, dict)
    if not cursors:
        return answer
    assert isinstance(answer.body, bytes)
    body = orjson.loads(answer.body)
    cursor: dict[str, Any] = {
        "count": len(page.items),
        "per_page": page.limit,
        "links": {},
    }
    if page.items:
        first, last = page.items[0]["id"], page.items[-1]["id"]
        cursor["start_cursor"] = base64.b64encode(f'{{"id":"{first}"}}'.encode()).decode()
        cursor["end_cursor"] = base64.b64encode(f'{{"id":"{last}"}}'.encode()).decode()
        if page.page * page.limit < page.total:
            cursor["links"]["next"] = f"?limit={page.limit}&after={cursor['end_cursor']}"
    body["meta"]["cursor_pagination"] = cursor
    return json_response(body)


async def list_promotions(call: Call) -> Any:
    query = call.list_query(LIST)
    return listing(await call.run(call.store.promotions.find, query), call.store.promotions.render)


async def create_promotion(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.promotions.create, body), 201)


async def delete_promotions(call: Call) -> Any:
    failed = await call.run(call.store.promotions.delete_many, dict(call.query))
    return no_content() if failed is None else json_response(failed, 422)


async def get_promotion(call: Call) -> Any:
    promotions = call.store.promotions
    return one(await call.run(lambda: promotions.render(promotions.doc(call.int("id")))))


async def update_promotion(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.promotions.update, call.int("id"), body))


async def delete_promotion(call: Call) -> Any:
    await call.run(call.store.promotions.delete, call.int("id"))
    return no_content()


async def list_codes(call: Call) -> Any:
    query = call.list_query(CODES)
    page = await call.run(call.store.promotions.codes, call.int("promotion_id"), query)
    return _codes_listing(page, cursors="page" not in call.query)


async def create_code(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.promotions.add_code, call.int("promotion_id"), body), 201)


async def delete_codes(call: Call) -> Any:
    promotion_id = call.int("promotion_id")
    await call.run(call.store.promotions.delete_codes, promotion_id, dict(call.query))
    return no_content()


async def generate_codes(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.promotions.generate, call.int("promotion_id"), body), 201)


def _code_query(call: Call) -> str:
    code = call.query.get("code")
    if code is None:
        raise invalid("code", "code is required")
    return code


async def get_code(call: Call) -> Any:
    code = _code_query(call)
    page, limit = paging(call.query)
    found = await call.run(call.store.promotions.by_code, code)
    shown = found[(page - 1) * limit : page * limit]
    return _codes_listing(Page(shown, len(found), page, limit), cursors=True)


async def delete_code_by_code(call: Call) -> Any:
    await call.run(call.store.promotions.delete_code, 0, None, _code_query(call))
    return no_content()


async def delete_code(call: Call) -> Any:
    promotion_id, code_id = call.int("promotion_id"), call.int("code_id")
    await call.run(call.store.promotions.delete_code, promotion_id, code_id, None)
    return no_content()


_ONE = "/v3/promotions/{id}"
_CODES = "/v3/promotions/{promotion_id}/codes"
ROUTES = [
    # by code first: its path would otherwise be read as a promotion id
    Route("GET", "/v3/promotions/codes", _shaped(get_code), extra=frozenset({"code"})),
    Route(
        "DELETE", "/v3/promotions/codes", _shaped(delete_code_by_code), extra=frozenset({"code"})
    ),
    Route("GET", "/v3/promotions", _shaped(list_promotions), LIST),
    Route("POST", "/v3/promotions", _shaped(create_promotion)),
    Route("DELETE", "/v3/promotions", _shaped(delete_promotions), extra=frozenset({"id:in"})),
    Route("GET", _ONE, _shaped(get_promotion)),
    Route("PUT", _ONE, _shaped(update_promotion)),
    Route("DELETE", _ONE, _shaped(delete_promotion)),
    Route("GET", _CODES, _shaped(list_codes), CODES),
    Route("POST", _CODES, _shaped(create_code)),
    Route("DELETE", _CODES, _shaped(delete_codes), extra=frozenset({"id:in", "code"})),
    Route("POST", "/v3/promotions/{promotion_id}/codegen", _shaped(generate_codes)),
    Route("DELETE", f"{_CODES}/{{code_id}}", _shaped(delete_code)),
]
