"""Customer groups (v2): `/v2/customer_groups`, `/v2/customer_groups/{id}` and
`/v2/customer_groups/count` (bare JSON, as v2 answers). Names are unique; category access names
categories and discount rules name a category or product of the store; a `price_list` rule is the
only rule, at most one rule is sitewide (`all`); one group at a time is the default, and one the
guests' group (setting either moves it). An update overwrites the whole set of rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from controller.catalog import fields
from controller.emulator.database import dumps
from controller.emulator.errors import ApiError, conflict, invalid
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    json_field,
    json_response,
    no_content,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS customer_groups (store TEXT, id INTEGER, name TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS customer_groups_name ON customer_groups (store, name);
"""
TABLES = ("customer_groups",)

_DATES = frozenset({"", "min", "max"})
LIST = ListSpec(
    filters={
        "name": Filter("name", "str", frozenset({"", "like"})),
        "is_default": Filter(json_field("is_default"), "bool"),
        "is_group_for_guests": Filter(json_field("is_group_for_guests"), "bool"),
        "date_created": Filter(json_field("created"), "date", _DATES),
        "date_modified": Filter(json_field("modified"), "date", _DATES),
    },
    direction=False,
    fields=False,
)
# The spec documents list filters on the one-group GET too: refused by name there.
ONE = ListSpec(
    refused=frozenset(
        {"page", "limit", "name", "is_default"}
        | {f"date_{d}{':' + op if op else ''}" for d in ("created", "modified") for op in _DATES}
    ),
    paged=False,
    direction=False,
    fields=False,
)
_RULE_IDS = {"category": "category_id", "product": "product_id", "price_list": "price_list_id"}


def _stamp(iso: str) -> str:
    """A stored ISO time as v2 customer groups write it (`2023-07-17 06:30:41`)."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class CustomerGroups(Resource):
    """The customer groups of one store."""

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A stored group in the API's shape (rule amounts as 4-decimal texts)."""
        out = {k: v for k, v in doc.items() if k not in ("created", "modified")}
        out["discount_rules"] = [
            {**r, "amount": f"{float(r['amount']):.4f}"} if "amount" in r else dict(r)
            for r in doc["discount_rules"]
        ]
        out["date_created"] = _stamp(doc["created"])
        out["date_modified"] = _stamp(doc["modified"])
        return out

    def doc(self, group_id: int) -> dict[str, Any]:
        """One stored group (404 when missing)."""
        docs = self.docs(
            "SELECT doc FROM customer_groups WHERE store=? AND id=?", self.hash, group_id
        )
        if not docs:
            raise ApiError(404, "The requested customer group was not found.")
        return docs[0]

    def _access(self, access: Any) -> dict[str, Any]:
        if not isinstance(access, dict) or access.get("type") not in fields.CATEGORY_ACCESS_TYPES:
            raise invalid("category_access", "category_access.type must be all, specific or none")
        if access["type"] != "specific":
            return {"type": access["type"]}
        ids = access.get("categories") or []
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise invalid("category_access", "categories must be a list of category ids")
        for category_id in ids:
            if not self.store.categories.exists(category_id):
                raise invalid("category_access", f"category {category_id} does not exist")
        return {"type": "specific", "categories": sorted(set(ids))}

    def _rule(self, rule: Any) -> dict[str, Any]:
        kind = rule.get("type") if isinstance(rule, dict) else None
        if kind not in fields.DISCOUNT_RULE_TYPES:
            raise invalid("discount_rules", "a rule's type is price_list, all, category or product")
        assert isinstance(rule, dict)
        out: dict[str, Any] = {"type": kind}
        if kind != "price_list":
            if rule.get("method") not in fields.DISCOUNT_METHODS:
                raise invalid("discount_rules", "a rule's method is percent, fixed or price")
            try:
                value = float(rule["amount"])  # a float, a float as text, an integer
            except (KeyError, TypeError, ValueError) as error:
                raise invalid("discount_rules", "a rule's amount is a number") from error
            if value < 0:
                raise invalid("discount_rules", "a rule's amount is not negative")
            out.update(method=rule["method"], amount=value)
        id_field = _RULE_IDS.get(kind)
        if id_field is not None:
            target = rule.get(id_field)
            if id_field == "category_id":
                exists = self.store.categories.exists(target) if isinstance(target, int) else False
            elif id_field == "product_id":
                exists = self.store.products.exists(target) if isinstance(target, int) else False
            else:
                exists = self.store.price_lists.exists(target) if isinstance(target, int) else False
            if not exists:
                raise invalid("discount_rules", f"{id_field} {target} does not exist")
            out[id_field] = target
        return out

    def _rules(self, rules: Any) -> list[dict[str, Any]]:
        if not isinstance(rules, list):
            raise invalid("discount_rules", "discount_rules must be a list")
        checked = [self._rule(r) for r in rules]
        kinds = [r["type"] for r in checked]
        if "price_list" in kinds and len(kinds) > 1:
            raise invalid("discount_rules", "a price_list rule must be the only rule")
        if kinds.count("all") > 1:
            raise invalid("discount_rules", "at most one rule of type all")
        return checked

    def _values(self, body: Any, *, create: bool) -> dict[str, Any]:
        values = clean(body, fields.CUSTOMER_GROUP, required=("name",) if create else ())
        if "category_access" in values:
            values["category_access"] = self._access(values["category_access"])
        if "discount_rules" in values:
            values["discount_rules"] = self._rules(values["discount_rules"])
        return values

    def _save(self, doc: dict[str, Any], *, new: bool) -> None:
        taken = self.one(
            "SELECT id FROM customer_groups WHERE store=? AND name=? AND id<>?",
            self.hash,
            doc["name"],
            doc["id"],
        )
        if taken is not None:
            raise conflict("name", f"A customer group named {doc['name']!r} already exists.")
        for flag in ("is_default", "is_group_for_guests"):  # one group at a time
            if doc[flag]:
                for other in self.docs(
                    "SELECT doc FROM customer_groups WHERE store=? AND id<>? "
                    f"AND {json_field(flag)}",
                    self.hash,
                    doc["id"],
                ):
                    other[flag] = False
                    self._write(other)
        if new:
            self.execute(
                "INSERT INTO customer_groups VALUES (?, ?, ?, ?)",
                self.hash,
                doc["id"],
                doc["name"],
                dumps(doc),
            )
        else:
            self._write(doc)

    def _write(self, doc: dict[str, Any]) -> None:
        self.execute(
            "UPDATE customer_groups SET doc=?, name=? WHERE store=? AND id=?",
            dumps(doc),
            doc["name"],
            self.hash,
            doc["id"],
        )

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /customer_groups`."""
        with self.tx():
            now = datetime.now(UTC).replace(microsecond=0).isoformat()
            doc = {
                "id": self.next_id("customer_group"),
                "is_default": False,
                "is_group_for_guests": False,
                "category_access": {"type": "all"},
                "discount_rules": [],
                **self._values(body, create=True),
                "created": now,
                "modified": now,
            }
            self._save(doc, new=True)
            return self.render(doc)

    def update(self, group_id: int, body: Any) -> dict[str, Any]:
        """`PUT /customer_groups/{id}`: the rules given replace the whole set."""
        with self.tx():
            doc = self.doc(group_id)
            doc.update(self._values(body, create=False))
            doc["modified"] = datetime.now(UTC).replace(microsecond=0).isoformat()
            self._save(doc, new=False)
            return self.render(doc)

    def find(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """`GET /customer_groups`: by id, filtered, one page."""
        page = self.list_page("customer_groups", ListQuery(LIST, query))
        return [self.render(d) for d in page.items]

    def delete(self, group_id: int) -> None:
        """`DELETE /customer_groups/{id}` (its customers are left without a group)."""
        with self.tx():
            self.doc(group_id)
            self.execute("DELETE FROM customer_groups WHERE store=? AND id=?", self.hash, group_id)

    def count(self) -> int:
        """`GET /customer_groups/count`."""
        return int(self.one("SELECT COUNT(*) FROM customer_groups WHERE store=?", self.hash))


# ---- HTTP -----------------------------------------------------------------------------------------


async def list_groups(call: Call) -> Any:
    return json_response(await call.run(call.store.customer_groups.find, dict(call.query)))


async def create_group(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.customer_groups.create, body))


async def count_groups(call: Call) -> Any:
    return json_response({"count": await call.run(call.store.customer_groups.count)})


async def get_group(call: Call) -> Any:
    call.list_query(ONE)
    groups = call.store.customer_groups
    return json_response(
        await call.run(lambda: groups.render(groups.doc(call.int("customer_group_id"))))
    )


async def update_group(call: Call) -> Any:
    body = await call.body()
    return json_response(
        await call.run(call.store.customer_groups.update, call.int("customer_group_id"), body)
    )


async def delete_group(call: Call) -> Any:
    await call.run(call.store.customer_groups.delete, call.int("customer_group_id"))
    return no_content()


ROUTES = [
    Route("GET", "/v2/customer_groups", list_groups, LIST),
    Route("POST", "/v2/customer_groups", create_group),
    Route("GET", "/v2/customer_groups/count", count_groups),
    Route("GET", "/v2/customer_groups/{customer_group_id}", get_group, ONE),
    Route("PUT", "/v2/customer_groups/{customer_group_id}", update_group),
    Route("DELETE", "/v2/customer_groups/{customer_group_id}", delete_group),
]
