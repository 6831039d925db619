"""A product's V2 bulk pricing (`/v2/products/{id}/discount_rules`) and reviews
(`/v2/products/{id}/reviews`), archived documentation, over the same store data as V3: a discount
rule is a V3 bulk pricing rule (`min`/`max` its quantity range, `type_value` its `amount`), a V2
review a V3 review (`author` its reviewer's name, `review` its text, `date_created` the date it was
reviewed, `status` 0 pending, 1 approved, 2 disapproved). As the pages show, a discount rule's id
is a text and its `type_value` a number; a review's date is an RFC 2822 text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from aiohttp import web

from controller.emulator.database import now_iso
from controller.emulator.errors import ApiError
from controller.emulator.resources.base import Call, Route, no_content, paging
from controller.emulator.resources.v2 import check_query, count_answer, rfc2822, spec, v2_routes

SCHEMA = ""  # the V3 tables (`bulk_pricing_rules`, `reviews`)
TABLES: tuple[str, ...] = ()

_STATUSES = ("pending", "approved", "disapproved")  # V2 status 0, 1, 2


def _v2_error(fn: Callable[..., Any], *args: Any) -> Any:
    """A V3 refusal (422) as V2 answers one: a 400 saying why."""
    try:
        return fn(*args)
    except ApiError as error:
        if error.status == 422:
            detail = "; ".join(str(v) for v in error.errors.values()) or error.title
            raise ApiError(400, detail) from error
        raise


def _object(body: Any, read_only: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    named = [k for k in read_only if k in body]
    if named:
        raise ApiError(400, f"The field '{named[0]}' is read-only.")
    return body


def _number(body: Mapping[str, Any], name: str) -> float:
    value = body[name]
    try:
        if isinstance(value, bool):
            raise ValueError(name)
        return float(value)
    except (TypeError, ValueError) as error:
        raise ApiError(400, f"The field '{name}' must be a number.") from error


def _whole(body: Mapping[str, Any], name: str, low: int, high: int | None = None) -> int:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ApiError(400, f"The field '{name}' must be a whole number of at least {low}.")
    if high is not None and value > high:
        raise ApiError(400, f"The field '{name}' must be a whole number from {low} to {high}.")
    return value


class DiscountRulesV2:
    """A product's bulk pricing rules in the V2 shape."""

    def __init__(self, store: Any):
        self.store = store

    @staticmethod
    def render(doc: Mapping[str, Any], product_id: int) -> dict[str, Any]:
        """A V3 bulk pricing rule as V2 shows it."""
        return {
            "id": str(doc["id"]),
            "product_id": product_id,
            "min": doc["quantity_min"],
            "max": doc["quantity_max"],
            "type": doc["type"],
            "type_value": doc["amount"],
        }

    def of_product(self, product_id: int) -> list[dict[str, Any]]:
        """A product's rules, by id."""
        rules = self.store.bulk_pricing_rules
        return [self.render(d, product_id) for d in rules.of_product(product_id)]

    def get(self, product_id: int, rule_id: int) -> dict[str, Any]:
        """One rule of a product."""
        return self.render(self.store.bulk_pricing_rules.get(product_id, rule_id), product_id)

    @staticmethod
    def _v3(body: Any) -> dict[str, Any]:
        """A V2 body as a V3 one (type and type_value required, on update too, as documented)."""
        fields = _object(body, ("product_id", "id"))
        for name in ("type", "type_value"):
            if fields.get(name) in (None, ""):
                raise ApiError(400, f"The required field '{name}' was not supplied.")
        out: dict[str, Any] = {"type": fields["type"], "amount": _number(fields, "type_value")}
        for name, target in (("min", "quantity_min"), ("max", "quantity_max")):
            if name in fields:
                out[target] = _whole(fields, name, 0)
        return out

    def create(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST .../discount_rules` (`min` and `max` not given are 0: unbounded)."""
        fields = {"quantity_min": 0, "quantity_max": 0, **self._v3(body)}
        created = _v2_error(self.store.bulk_pricing_rules.create, product_id, fields)
        return self.get(product_id, created["id"])

    def update(self, product_id: int, rule_id: int, body: Any) -> dict[str, Any]:
        """`PUT .../discount_rules/{id}` (`min` and `max` not given stay as they are)."""
        fields = self._v3(body)
        _v2_error(self.store.bulk_pricing_rules.update, product_id, rule_id, fields)
        return self.get(product_id, rule_id)

    def delete(self, product_id: int, rule_id: int | None, page: tuple[int, int] | None) -> None:
        """One rule, the rules of one page (`page`/`limit` given), or all of them."""
        rules = self.store.bulk_pricing_rules
        if rule_id is not None:
            rules.delete(product_id, rule_id)
            return
        with rules.tx():
            found = rules.of_product(product_id)
            if page is not None:
                number, limit = page
                found = found[(number - 1) * limit : number * limit]
            for doc in found:
                rules.delete(product_id, doc["id"])

    def count(self) -> int:
        """Every bulk pricing rule of the store."""
        db = self.store.db
        return int(db.one("SELECT COUNT(*) FROM bulk_pricing_rules WHERE store=?", self.store.hash))


def _date(iso: str | None) -> str:
    try:
        return rfc2822(iso)
    except ValueError:  # a V3 client's date that is no ISO time: shown as it is
        return iso or ""


class ReviewsV2:
    """A product's reviews in the V2 shape."""

    def __init__(self, store: Any):
        self.store = store

    @staticmethod
    def render(doc: Mapping[str, Any]) -> dict[str, Any]:
        """A V3 review as V2 shows it."""
        status = doc.get("status", "pending")
        return {
            "id": doc["id"],
            "product_id": doc["product_id"],
            "author": doc.get("name", ""),
            "date_created": _date(doc.get("date_reviewed") or doc.get("date_created")),
            "title": doc.get("title", ""),
            "review": doc.get("text", ""),
            "rating": doc.get("rating", 0),
            "status": _STATUSES.index(status) if status in _STATUSES else 0,
        }

    def of_product(self, product_id: int) -> list[dict[str, Any]]:
        """A product's reviews, by id."""
        return [self.render(d) for d in self.store.reviews.of_product(product_id)]

    def get(self, product_id: int, review_id: int) -> dict[str, Any]:
        """One review of a product."""
        return self.render(self.store.reviews.doc(product_id, review_id))

    @staticmethod
    def _v3(body: Any, *, create: bool) -> dict[str, Any]:
        fields = _object(body, ("id", "product_id"))
        if create:
            for name in ("author", "title", "review", "rating"):
                if fields.get(name) in (None, ""):
                    raise ApiError(400, f"The required field '{name}' was not supplied.")
        out: dict[str, Any] = {}
        for name, target in (("author", "name"), ("title", "title"), ("review", "text")):
            if name in fields:
                if not isinstance(fields[name], str):
                    raise ApiError(400, f"The field '{name}' must be a text.")
                out[target] = fields[name]
        if "rating" in fields:
            out["rating"] = _whole(fields, "rating", 1, 5)
        if "status" in fields:
            out["status"] = _STATUSES[_whole(fields, "status", 0, 2)]
        if fields.get("date_created") not in (None, ""):
            try:
                when = parsedate_to_datetime(str(fields["date_created"]))
            except (TypeError, ValueError) as error:
                raise ApiError(400, "The field 'date_created' must be an RFC 2822 date.") from error
            out["date_reviewed"] = when.isoformat()
        elif create:
            out["date_reviewed"] = now_iso()  # documented: the current time when not given
        return out

    def create(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST .../reviews` (pending unless a status is given)."""
        created = _v2_error(self.store.reviews.create, product_id, self._v3(body, create=True))
        return self.render(created)

    def update(self, product_id: int, review_id: int, body: Any) -> dict[str, Any]:
        """`PUT .../reviews/{id}`: any field a create writes."""
        fields = self._v3(body, create=False)
        return self.render(_v2_error(self.store.reviews.update, product_id, review_id, fields))

    def delete(self, product_id: int, review_id: int | None) -> None:
        """One review, or every review of the product."""
        reviews = self.store.reviews
        if review_id is not None:
            reviews.delete(product_id, review_id)
            return
        with reviews.tx():
            for doc in reviews.of_product(product_id):
                reviews.delete(product_id, doc["id"])


def _pid(call: Call) -> int:
    return call.int("product_id")


def _item(call: Call) -> int | None:
    return call.int("id") if "id" in call.request.match_info else None


async def _count_discount_rules(call: Call) -> web.StreamResponse:
    check_query(call, None)
    return count_answer(await call.run(call.store.discount_rules_v2.count))


_PAGED = spec()  # `page` and `limit`, as the deletion of several rules documents them


async def _delete_discount_rules(call: Call) -> web.StreamResponse:
    check_query(call, _PAGED)
    page = paging(call.query) if {"page", "limit"} & set(call.query) else None
    await call.run(call.store.discount_rules_v2.delete, _pid(call), None, page)
    return no_content()


_P = "/v2/products/{product_id}"
_RULES = v2_routes(
    f"{_P}/discount_rules",
    "id",
    list_=lambda c: c.store.discount_rules_v2.of_product(_pid(c)),
    create=lambda c, b: c.store.discount_rules_v2.create(_pid(c), b),
    get=lambda c: c.store.discount_rules_v2.get(_pid(c), c.int("id")),
    update=lambda c, b: c.store.discount_rules_v2.update(_pid(c), c.int("id"), b),
    delete=lambda c: c.store.discount_rules_v2.delete(_pid(c), c.int("id"), None),
)
ROUTES: list[Route] = [
    Route("GET", "/v2/products/discount_rules/count", _count_discount_rules),
    *_RULES,
    Route("DELETE", f"{_P}/discount_rules", _delete_discount_rules, _PAGED),
    *v2_routes(
        f"{_P}/reviews",
        "id",
        list_=lambda c: c.store.reviews_v2.of_product(_pid(c)),
        create=lambda c, b: c.store.reviews_v2.create(_pid(c), b),
        get=lambda c: c.store.reviews_v2.get(_pid(c), c.int("id")),
        update=lambda c, b: c.store.reviews_v2.update(_pid(c), c.int("id"), b),
        delete=lambda c: c.store.reviews_v2.delete(_pid(c), _item(c)),
        delete_all=True,
    ),
]
