"""Product channel and category assignments: `/v3/catalog/products/channel-assignments` and
`/v3/catalog/products/category-assignments` (a product is sold on a channel only when assigned to
it; a category assignment is the product's `categories`, in whichever tree the category is)."""

from __future__ import annotations

from typing import Any

from controller.emulator.database import Page, now_iso
from controller.emulator.errors import ApiError
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    listing,
    no_content,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS product_channels (store TEXT, product_id INTEGER, channel_id INTEGER,
    PRIMARY KEY (store, product_id, channel_id));
CREATE INDEX IF NOT EXISTS product_channels_channel ON product_channels (store, channel_id);
"""
TABLES = ("product_channels",)

_IN = frozenset({"in"})
CHANNELS = ListSpec(
    filters={
        "product_id": Filter("product_id", "int", _IN),
        "channel_id": Filter("channel_id", "int", _IN),
    },
    direction=False,
    fields=False,
    key="product_id",
)
CHANNELS_DELETE = ListSpec(filters=CHANNELS.filters, direction=False, fields=False, paged=False)
CATEGORIES = ListSpec(
    filters={
        "product_id": Filter("product_id", "int", _IN),
        "category_id": Filter("category_id", "int", _IN),
    },
    direction=False,
    fields=False,
    key="product_id",
)
CATEGORIES_DELETE = ListSpec(filters=CATEGORIES.filters, direction=False, fields=False, paged=False)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pairs(body: Any, other: str) -> list[tuple[int, int]]:
    """`[{product_id, <other>}]` as pairs; a malformed item is a 422 naming it."""
    if not isinstance(body, list) or not body:
        raise ApiError(422, "A non-empty list of assignments is expected.", {"body": "invalid"})
    pairs = []
    for index, item in enumerate(body):
        product_id = item.get("product_id") if isinstance(item, dict) else None
        other_id = item.get(other) if isinstance(item, dict) else None
        if not (_is_id(product_id) and _is_id(other_id)):
            raise ApiError(
                422,
                "Each assignment needs an integer product_id and " + other + ".",
                {f"{index}": f"product_id and {other} are required"},
            )
        pairs.append((int(product_id), int(other_id)))  # type: ignore[arg-type]
    return pairs


class Assignments(Resource):
    """The channel and category assignments of one store's products."""

    def _page(self, table: str, other: str, query: ListQuery) -> Page:
        clause, params = query.where(["store=?"], [self.hash])
        total = self.one(f"SELECT COUNT(*) FROM {table} WHERE {clause}", *params)
        rows = self.db.conn.execute(
            f"SELECT product_id, {other} FROM {table} WHERE {clause} "
            f"ORDER BY product_id, {other} LIMIT ? OFFSET ?",
            (*params, query.limit, query.offset),
        ).fetchall()
        items = [{"product_id": p, other: o} for p, o in rows]
        return Page(items, total, query.page, query.limit)

    def _check(self, pairs: list[tuple[int, int]], other: str) -> None:
        """Every product and channel (or category) exists, else a 422 naming each bad one."""
        exists = (
            self.store.channels.exists if other == "channel_id" else self.store.categories.exists
        )
        errors: dict[str, str] = {}
        for index, (product_id, other_id) in enumerate(pairs):
            if not self.store.products.exists(product_id):
                errors[f"{index}.product_id"] = f"Product {product_id} does not exist."
            if not exists(other_id):
                noun = other.removesuffix("_id")
                errors[f"{index}.{other}"] = f"The {noun} {other_id} does not exist."
        if errors:
            raise ApiError(422, "The assignments name records that do not exist.", errors)

    def _matching(self, table: str, other: str, query: ListQuery) -> list[tuple[int, int]]:
        if not query.filtered:
            raise ApiError(
                422,
                "At least one filter must be provided in order to delete assignments.",
                {"filter": f"product_id:in or {other}:in is required"},
            )
        clause, params = query.where(["store=?"], [self.hash])
        return [
            (p, o)
            for p, o in self.db.conn.execute(
                f"SELECT product_id, {other} FROM {table} WHERE {clause}", params
            )
        ]

    # ---- channels -------------------------------------------------------------------------------

    def channels_of(self, product_ids: list[int]) -> dict[int, list[int]]:
        """The channels each product is assigned to."""
        found: dict[int, list[int]] = {p: [] for p in product_ids}
        marks = ",".join("?" * len(product_ids)) or "NULL"
        for product_id, channel_id in self.db.conn.execute(
            f"SELECT product_id, channel_id FROM product_channels WHERE store=? "
            f"AND product_id IN ({marks}) ORDER BY product_id, channel_id",
            (self.hash, *product_ids),
        ):
            found[product_id].append(channel_id)
        return found

    def assign_new(self, product_id: int) -> None:
        """A product created through the API is listed on the default channel (inside the
        transaction that creates it)."""
        self.execute(
            "INSERT OR IGNORE INTO product_channels VALUES (?, ?, 1)", self.hash, product_id
        )

    def forget(self, product_id: int) -> None:
        """A deleted product's assignments go with it."""
        self.execute(
            "DELETE FROM product_channels WHERE store=? AND product_id=?", self.hash, product_id
        )

    def find_channels(self, query: ListQuery) -> Page:
        """`GET /catalog/products/channel-assignments`."""
        return self._page("product_channels", "channel_id", query)

    def assign_channels(self, body: Any) -> None:
        """`PUT /catalog/products/channel-assignments`: all or nothing; existing ones stay."""
        pairs = _pairs(body, "channel_id")
        with self.tx():
            self._check(pairs, "channel_id")
            have = {
                pair
                for pair in pairs
                if self.one(
                    "SELECT 1 FROM product_channels WHERE store=? AND product_id=? "
                    "AND channel_id=?",
                    self.hash,
                    *pair,
                )
            }
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO product_channels VALUES (?, ?, ?)",
                [(self.hash, p, c) for p, c in pairs],
            )
            self._modified({p for p, c in pairs if (p, c) not in have})

    def unassign_channels(self, query: ListQuery) -> None:
        """`DELETE /catalog/products/channel-assignments` (a filter is required)."""
        with self.tx():
            pairs = self._matching("product_channels", "channel_id", query)
            self.db.conn.executemany(
                "DELETE FROM product_channels WHERE store=? AND product_id=? AND channel_id=?",
                [(self.hash, p, c) for p, c in pairs],
            )
            self._modified({p for p, _ in pairs})

    def _modified(self, product_ids: set[int]) -> None:
        """A product whose channels changed has a new `date_modified` (the docs are silent: the
        README lists this among the emulator's choices)."""
        products = self.store.products
        for product_id in sorted(product_ids):
            doc = products.doc(product_id)
            doc["date_modified"] = now_iso()
            products.write(product_id, doc)

    # ---- categories -----------------------------------------------------------------------------

    def find_categories(self, query: ListQuery) -> Page:
        """`GET /catalog/products/category-assignments`."""
        return self._page("product_categories", "category_id", query)

    def _recategorise(self, changes: dict[int, tuple[set[int], set[int]]]) -> None:
        """Add and remove categories of products: their `categories` and `date_modified`."""
        products = self.store.products
        for product_id, (added, removed) in sorted(changes.items()):
            doc = products.doc(product_id)
            current = list(doc.get("categories", []))
            wanted = [c for c in current if c not in removed] + sorted(added - set(current))
            if wanted == current:
                continue
            doc["categories"] = wanted
            doc["date_modified"] = now_iso()
            products.write(product_id, doc)
            self.emit("store/product/updated", {"type": "product", "id": product_id})

    def assign_categories(self, body: Any) -> None:
        """`PUT /catalog/products/category-assignments`: all or nothing."""
        pairs = _pairs(body, "category_id")
        with self.tx():
            self._check(pairs, "category_id")
            changes: dict[int, tuple[set[int], set[int]]] = {}
            for product_id, category_id in pairs:
                changes.setdefault(product_id, (set(), set()))[0].add(category_id)
            self._recategorise(changes)

    def unassign_categories(self, query: ListQuery) -> None:
        """`DELETE /catalog/products/category-assignments` (a filter is required)."""
        with self.tx():
            changes: dict[int, tuple[set[int], set[int]]] = {}
            for product_id, category_id in self._matching(
                "product_categories", "category_id", query
            ):
                changes.setdefault(product_id, (set(), set()))[1].add(category_id)
            self._recategorise(changes)


# ---- HTTP -----------------------------------------------------------------------------------------


def _routes(path: str, spec: ListSpec, delete_spec: ListSpec, noun: str) -> list[Route]:
    """List, assign and unassign of one kind of assignment: `find_<noun>`, `assign_<noun>` and
    `unassign_<noun>` of the store's assignments do them."""

    def act(call: Call, verb: str) -> Any:
        return getattr(call.store.assignments, f"{verb}_{noun}")

    async def list_them(call: Call) -> Any:
        query = call.list_query(spec)
        return listing(await call.run(act(call, "find"), query), lambda a: a)

    async def assign(call: Call) -> Any:
        body = await call.body()
        await call.run(act(call, "assign"), body)
        return no_content()

    async def unassign(call: Call) -> Any:
        await call.run(act(call, "unassign"), call.list_query(delete_spec))
        return no_content()

    return [
        Route("GET", path, list_them, spec),
        Route("PUT", path, assign),
        Route("DELETE", path, unassign, delete_spec),
    ]


ROUTES = [
    *_routes("/v3/catalog/products/channel-assignments", CHANNELS, CHANNELS_DELETE, "channels"),
    *_routes(
        "/v3/catalog/products/category-assignments", CATEGORIES, CATEGORIES_DELETE, "categories"
    ),
]
