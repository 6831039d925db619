"""Product reviews: `/v3/catalog/products/{product_id}/reviews`. A review needs a title and the
date it was made; its status is `approved`, `disapproved` or `pending`, its rating 0 to 5, and the
list is filtered by status (1 approved, 0 pending)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from controller.catalog.fields import REVIEW
from controller.emulator.database import dumps, now_iso
from controller.emulator.errors import invalid
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    Call,
    ListSpec,
    ProductChild,
    Route,
    child_routes,
    listing,
    sliced,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS reviews_id ON reviews (store, id);
"""
TABLES = ("reviews",)

LIST = ListSpec(direction=False)
FIELDS = {**REVIEW, "email": ("str", 255), "name": ("str", 255)}
_STATUS_FILTER = {"1": "approved", "0": "pending"}


class Reviews(ProductChild):
    """The reviews of one store's products."""

    table = "reviews"
    noun = "review"

    def _check(self, fields: dict[str, Any], label: str) -> None:
        rating = fields.get("rating")
        if rating is not None and not 0 <= rating <= 5:
            raise invalid(label + "rating", "rating must be one of 0, 1, 2, 3, 4, 5")
        email = fields.get("email")
        if email and "@" not in email:
            raise invalid(label + "email", "email must be a valid email, or an empty string")

    def insert(self, product_id: int, body: Any, *, label: str = "") -> dict[str, Any]:
        """Add a review to a product (inside a transaction)."""
        fields = clean(body, FIELDS, required=("title", "date_reviewed"), prefix=label)
        self._check(fields, label)
        stamp = now_iso()
        doc = {
            "id": self.next_id("review"),
            "product_id": product_id,
            "text": "",
            "status": "pending",
            "rating": 0,
            "email": "",
            "name": "",
            **fields,
            "date_created": stamp,
            "date_modified": stamp,
        }
        self.execute(
            "INSERT INTO reviews (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            product_id,
            dumps(doc),
        )
        return doc

    def update(self, product_id: int, review_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/reviews/{review_id}`."""
        with self.tx():
            fields = clean(body, FIELDS)
            self._check(fields, "")
            doc = {**self.doc(product_id, review_id), **fields, "date_modified": now_iso()}
            return self.save(product_id, doc)


async def list_reviews(call: Call) -> web.StreamResponse:
    """A product's reviews, filtered by status where asked."""
    query = call.list_query(LIST)
    items = await call.run(call.store.reviews.of_product, call.int("product_id"))
    status = call.query.get("status")
    if status is not None:
        if status not in _STATUS_FILTER:
            raise invalid("status", "status must be 1 (approved) or 0 (pending)")
        items = [r for r in items if r["status"] == _STATUS_FILTER[status]]
    return listing(sliced(items, query), query.shape)


_ROUTES = child_routes("/v3/catalog/products/{product_id}/reviews", "review_id", "reviews", LIST)
ROUTES = [
    Route("GET", _ROUTES[0].path, list_reviews, LIST, extra=frozenset({"status"})),
    *_ROUTES[1:],
]
