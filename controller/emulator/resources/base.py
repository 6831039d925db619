"""What every resource module shares: the store-bound base class, the list query language of the
platform (filters, sort, field selection, pages), and the HTTP helpers and route declarations."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from sqlite3 import Connection
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import orjson
from aiohttp import web

from controller.emulator.database import Page, dumps
from controller.emulator.errors import ApiError, invalid, not_found

if TYPE_CHECKING:
    from controller.emulator.database import StoreDB
    from controller.emulator.store import Store

P = ParamSpec("P")
T = TypeVar("T")
MAX_LIMIT = 250
DEFAULT_LIMIT = 50


class Resource:
    """One resource family of one store: the database, the store's hash and its sibling resources."""

    def __init__(self, store: Store):
        self.store = store
        self.db: StoreDB = store.db
        self.hash = store.hash

    def tx(self) -> AbstractContextManager[Connection]:
        """One transaction."""
        return self.db.tx()

    def one(self, sql: str, *params: Any) -> Any:
        """First column of the first row, or None."""
        return self.db.one(sql, *params)

    def docs(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """JSON documents of the first column."""
        return self.db.docs(sql, *params)

    def next_id(self, kind: str) -> int:
        """The store's next id of `kind`."""
        return self.db.next_id(self.hash, kind)

    def emit(self, scope: str, data: dict[str, Any]) -> None:
        """An event for the store's webhooks, sent when the transaction commits."""
        self.db.emit(self.hash, scope, data)

    def execute(self, sql: str, *params: Any) -> None:
        """Run one statement (inside a transaction)."""
        self.db.conn.execute(sql, params)

    def list_page(
        self, table: str, query: ListQuery, where: Iterable[str] = (), params: Iterable[Any] = ()
    ) -> Page:
        """A page of `table`'s documents of this store matching `query` and `where`."""
        clause, values = query.where(["store=?", *where], [self.hash, *params])
        total = self.one(f"SELECT COUNT(*) FROM {table} WHERE {clause}", *values)
        docs = self.docs(
            f"SELECT doc FROM {table} WHERE {clause} ORDER BY {query.order()} LIMIT ? OFFSET ?",
            *values,
            query.limit,
            query.offset,
        )
        return Page(docs, total, query.page, query.limit)


# ---- the list query language ----------------------------------------------------------------------

ALL_OPS = frozenset({"", "in", "not_in", "min", "max", "greater", "less"})
_COMPARE = {"min": ">=", "max": "<=", "greater": ">", "less": "<"}


def json_field(name: str) -> str:
    """SQL reading a field of the stored document."""
    return f"json_extract(doc, '$.{name}')"


@dataclass(frozen=True)
class Filter:
    """A documented filter: `name`, `name:in`, `name:min` ... over one SQL expression.

    `kind` parses the value (int, num, str, bool, date, lower: a string compared without case);
    `custom` builds the condition itself from (operator, raw value)."""

    sql: str
    kind: str = "int"
    ops: frozenset[str] = frozenset({""})
    custom: Callable[[str, str], tuple[str, list[Any]]] | None = None


def parse_value(key: str, kind: str, raw: str) -> Any:
    """One filter value in the type of its field; a bad one is a 422 naming the parameter."""
    try:
        if kind == "int":
            return int(raw)
        if kind == "num":
            return float(raw)
        if kind == "bool":
            if raw.lower() in ("true", "1"):
                return 1
            if raw.lower() in ("false", "0"):
                return 0
            raise ValueError(raw)
        if kind == "date":
            return parse_date(raw)
        if kind == "lower":
            return raw.lower()
        return raw
    except ValueError as error:
        raise invalid(key, f"{key}: {raw!r} is not a valid {kind}") from error


def parse_date(raw: str) -> str:
    """A date filter (unix seconds, a date, or ISO 8601) as the stored ISO text in UTC."""
    if raw.isdigit():
        moment = datetime.fromtimestamp(int(raw), UTC)
    else:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class ListSpec:
    """What one list endpoint documents: its filters, its sort keys, and the parameters it refuses
    (documented by the platform, not emulated: a 400 rather than a silently wrong answer)."""

    filters: Mapping[str, Filter] = field(default_factory=dict)
    sorts: Mapping[str, str] = field(default_factory=dict)
    refused: frozenset[str] = frozenset()
    direction: bool = True
    paged: bool = True
    fields: bool = True
    key: str = "id"


class ListQuery:
    """The parsed query string of one list request."""

    def __init__(self, spec: ListSpec, query: Mapping[str, str]):
        self.spec = spec
        self.conditions: list[str] = []
        self.params: list[Any] = []
        self.present: set[str] = set()
        refused = sorted(k for k in query if k in spec.refused)
        if refused:
            raise ApiError(
                400,
                f"The query parameter {refused[0]!r} is not supported by the emulator.",
                {k: "documented by the platform, not emulated" for k in refused},
            )
        self.page, self.limit = paging(query) if spec.paged else (1, MAX_LIMIT)
        self.offset = (self.page - 1) * self.limit
        self.include_fields, self.exclude_fields = (
            selection(query) if spec.fields else (set(), set())
        )
        self._order = spec.key
        sort = query.get("sort")
        if sort is not None and spec.sorts:
            if sort not in spec.sorts:
                raise invalid("sort", f"sort must be one of {', '.join(spec.sorts)}")
            self._order = spec.sorts[sort]
        direction = query.get("direction", "asc").lower() if spec.direction else "asc"
        if direction not in ("asc", "desc"):
            raise invalid("direction", "direction must be asc or desc")
        self._order = f"{self._order} {direction.upper()}, {spec.key} {direction.upper()}"
        for key, raw in query.items():
            name, _, op = key.partition(":")
            spec_filter = spec.filters.get(name)
            if spec_filter is None or op not in spec_filter.ops:
                continue
            self.present.add(key)
            if spec_filter.custom is not None:
                sql, params = spec_filter.custom(op, raw)
                self.conditions.append(sql)
                self.params += params
                continue
            if op in ("in", "not_in"):
                values = [parse_value(key, spec_filter.kind, p) for p in raw.split(",") if p]
                marks = ",".join("?" * len(values))
                negate = "NOT " if op == "not_in" else ""
                self.conditions.append(f"{spec_filter.sql} {negate}IN ({marks})")
                self.params += values
            elif op == "like":
                self.conditions.append(f"{spec_filter.sql} LIKE ?")
                self.params.append(f"%{parse_value(key, spec_filter.kind, raw)}%")
            else:
                self.conditions.append(f"{spec_filter.sql} {_COMPARE.get(op, '=')} ?")
                self.params.append(parse_value(key, spec_filter.kind, raw))

    def where(self, base: list[str], params: list[Any]) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters."""
        return " AND ".join([*base, *self.conditions]), [*params, *self.params]

    def order(self) -> str:
        """The ORDER BY clause."""
        return self._order

    @property
    def filtered(self) -> bool:
        """Whether any filter was given."""
        return bool(self.conditions)

    def shape(self, item: dict[str, Any], keep: Iterable[str] = ()) -> dict[str, Any]:
        """Apply `include_fields` / `exclude_fields` (the id and `keep` always stay)."""
        return shape(item, self.include_fields, self.exclude_fields, keep)


def shape(
    item: dict[str, Any], include: set[str], exclude: set[str], keep: Iterable[str] = ()
) -> dict[str, Any]:
    """A record with only the fields asked for."""
    always = {"id", *keep}
    if include:
        item = {k: v for k, v in item.items() if k in include or k in always}
    if exclude:
        item = {k: v for k, v in item.items() if k not in exclude or k in always}
    return item


def paging(query: Mapping[str, str]) -> tuple[int, int]:
    """`page` and `limit` (at most 250)."""
    try:
        page = int(query.get("page", "1"))
        limit = int(query.get("limit", str(DEFAULT_LIMIT)))
    except ValueError as error:
        raise invalid("page", "page and limit must be integers") from error
    if page < 1 or limit < 1:
        raise invalid("page", "page and limit must be positive")
    return page, min(limit, MAX_LIMIT)


def selection(query: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """`include_fields` and `exclude_fields`."""
    return csv(query.get("include_fields", "")), csv(query.get("exclude_fields", ""))


def csv(value: str) -> set[str]:
    """Comma-separated names."""
    return {p.strip() for p in value.split(",") if p.strip()}


def int_list(key: str, value: str) -> list[int]:
    """Comma-separated integers; a bad one is a 422 naming the parameter."""
    return [parse_value(key, "int", p) for p in value.split(",") if p]


# ---- HTTP -----------------------------------------------------------------------------------------


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def one(data: Any, status: int = 200) -> web.Response:
    """`{data, meta}` of one record."""
    return json_response({"data": data, "meta": {}}, status)


def no_content() -> web.Response:
    """204."""
    return web.Response(status=204)


def listing(page: Page, shape_item: Callable[[dict[str, Any]], dict[str, Any]]) -> web.Response:
    """`{data, meta.pagination}` of a page."""
    pages = max(1, math.ceil(page.total / page.limit)) if page.total else 0

    def link(number: int) -> str:
        return f"?page={number}&limit={page.limit}"

    links = {"current": link(page.page)}
    if page.page > 1:
        links["previous"] = link(page.page - 1)
    if page.page < pages:
        links["next"] = link(page.page + 1)
    pagination = {
        "total": page.total,
        "count": len(page.items),
        "per_page": page.limit,
        "current_page": page.page,
        "total_pages": pages,
        "links": links,
    }
    return json_response(
        {"data": [shape_item(i) for i in page.items], "meta": {"pagination": pagination}}
    )


def sliced(items: list[dict[str, Any]], query: ListQuery) -> Page:
    """A page of a list held in memory."""
    return Page(
        items[query.offset : query.offset + query.limit], len(items), query.page, query.limit
    )


class Call:
    """One API request to one store, as a handler sees it."""

    def __init__(
        self, request: web.Request, store: Store, client_id: str, settings: dict[str, Any]
    ):
        self.request = request
        self.store = store
        self.client_id = client_id
        self.settings = settings
        self.query: Mapping[str, str] = request.query

    def int(self, name: str) -> int:
        """An integer path parameter (a non-number finds nothing: 404)."""
        try:
            return int(self.request.match_info[name])
        except ValueError as error:
            raise ApiError(404, f"The {name.replace('_', ' ')} was not found.") from error

    def path(self, name: str) -> str:
        """A path parameter."""
        return self.request.match_info[name]

    async def body(self) -> Any:
        """The JSON body."""
        try:
            return orjson.loads(await self.request.read())
        except orjson.JSONDecodeError as error:
            raise ApiError(
                400, "The request body is not valid JSON.", {"body": str(error)}
            ) from error

    def list_query(self, spec: ListSpec) -> ListQuery:
        """The query string parsed against what the list documents."""
        return ListQuery(spec, self.query)

    def fields(self) -> tuple[set[str], set[str]]:
        """`include_fields` / `exclude_fields` of a one-record request."""
        return selection(self.query)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store operation off the event loop."""
        return await self.store.db.run(fn, *args, **kwargs)


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


FIELDS = frozenset({"include_fields", "exclude_fields"})


@dataclass(frozen=True)
class Route:
    """One API operation: method, path below `/stores/{store_hash}`, handler, and the query
    parameters it reads (a list's `ListSpec`, and `extra` names)."""

    method: str
    path: str
    handler: Handler
    query: ListSpec | None = None
    extra: frozenset[str] = frozenset()

    def parameters(self) -> set[str]:
        """Every query parameter the route honours, or refuses by name."""
        names = set(self.extra)
        spec = self.query
        if spec is not None:
            names |= set(spec.refused)
            names |= {f"{n}:{op}" if op else n for n, f in spec.filters.items() for op in f.ops}
            names |= {"page", "limit"} if spec.paged else set()
            names |= FIELDS if spec.fields else set()
            names |= {"sort"} if spec.sorts else set()
            names |= {"direction"} if spec.direction else set()
        return names


def child_routes(path: str, id_name: str, family: str, spec: ListSpec) -> list[Route]:
    """List, create, get, update and delete of a product's sub-resource; `family` names the
    `Store` attribute holding it, whose methods take the product id first."""

    def resource(call: Call) -> Any:
        return getattr(call.store, family)

    async def list_items(call: Call) -> web.StreamResponse:
        query = call.list_query(spec)
        items = await call.run(resource(call).of_product, call.int("product_id"))
        return listing(sliced(items, query), query.shape)

    async def create(call: Call) -> web.StreamResponse:
        body = await call.body()
        return one(await call.run(resource(call).create, call.int("product_id"), body))

    async def get(call: Call) -> web.StreamResponse:
        found = await call.run(resource(call).get, call.int("product_id"), call.int(id_name))
        return one(shape(found, *call.fields()))

    async def update(call: Call) -> web.StreamResponse:
        body = await call.body()
        pid, item_id = call.int("product_id"), call.int(id_name)
        return one(await call.run(resource(call).update, pid, item_id, body))

    async def delete(call: Call) -> web.StreamResponse:
        await call.run(resource(call).delete, call.int("product_id"), call.int(id_name))
        return no_content()

    item = f"{path}/{{{id_name}}}"
    return [
        Route("GET", path, list_items, spec),
        Route("POST", path, create),
        Route("GET", item, get, extra=FIELDS),
        Route("PUT", item, update),
        Route("DELETE", item, delete),
    ]


class ProductChild(Resource):
    """A sub-resource stored per product in `table` (custom fields, images): a change to one
    changes the product's `date_modified`."""

    table = ""
    noun = ""

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A stored document in the API's shape."""
        return doc

    def insert(self, product_id: int, body: Any, *, label: str = "") -> dict[str, Any]:
        """Add one to a product (inside a transaction)."""
        raise NotImplementedError

    def stored(self, product_id: int) -> list[dict[str, Any]]:
        """The stored documents of a product, by id."""
        return self.docs(
            f"SELECT doc FROM {self.table} WHERE store=? AND product_id=? ORDER BY id",
            self.hash,
            product_id,
        )

    def of_product(self, product_id: int) -> list[dict[str, Any]]:
        """All of a product's (404 for a missing product)."""
        self.store.products.doc(product_id)
        return [self.render(d) for d in self.stored(product_id)]

    def doc(self, product_id: int, item_id: int) -> dict[str, Any]:
        """One stored document (404 when the product has none with this id)."""
        docs = self.docs(
            f"SELECT doc FROM {self.table} WHERE store=? AND id=? AND product_id=?",
            self.hash,
            item_id,
            product_id,
        )
        if not docs:
            raise not_found(self.noun)
        return docs[0]

    def get(self, product_id: int, item_id: int) -> dict[str, Any]:
        """One, in the API's shape."""
        return self.render(self.doc(product_id, item_id))

    def create(self, product_id: int, body: Any) -> dict[str, Any]:
        """Add one to an existing product."""
        with self.tx():
            self.store.products.doc(product_id)
            created = self.insert(product_id, body)
            self.store.products.touch(product_id)
            return created

    def save(self, product_id: int, doc: dict[str, Any]) -> dict[str, Any]:
        """Store a changed document (inside a transaction)."""
        self.execute(
            f"UPDATE {self.table} SET doc=? WHERE store=? AND id=?",
            dumps(doc),
            self.hash,
            doc["id"],
        )
        self.store.products.touch(product_id)
        return self.render(doc)

    def delete(self, product_id: int, item_id: int) -> None:
        """Delete one."""
        with self.tx():
            self.doc(product_id, item_id)
            self.execute(
                f"DELETE FROM {self.table} WHERE store=? AND id=? AND product_id=?",
                self.hash,
                item_id,
                product_id,
            )
            self.store.products.touch(product_id)


def uuid_routes(path: str, family: str, spec: ListSpec, methods: tuple[str, ...]) -> list[Route]:
    """List, create, get, update and delete of a resource whose records are known by a UUID:
    `methods` names the methods of the `Store` attribute `family` that do them (find(query),
    create(body), get(uuid), update(uuid, body), delete(uuid))."""
    find, create, get, update, delete = methods

    def act(call: Call, name: str) -> Any:
        return getattr(getattr(call.store, family), name)

    async def list_items(call: Call) -> web.StreamResponse:
        query = call.list_query(spec)
        return listing(await call.run(act(call, find), query), lambda d: d)

    async def create_item(call: Call) -> web.StreamResponse:
        body = await call.body()
        return one(await call.run(act(call, create), body))

    async def get_item(call: Call) -> web.StreamResponse:
        return one(await call.run(act(call, get), call.path("uuid")))

    async def update_item(call: Call) -> web.StreamResponse:
        body = await call.body()
        return one(await call.run(act(call, update), call.path("uuid"), body))

    async def delete_item(call: Call) -> web.StreamResponse:
        await call.run(act(call, delete), call.path("uuid"))
        return no_content()

    return [
        Route("GET", path, list_items, spec),
        Route("POST", path, create_item),
        Route("GET", f"{path}/{{uuid}}", get_item),
        Route("PUT", f"{path}/{{uuid}}", update_item),
        Route("DELETE", f"{path}/{{uuid}}", delete_item),
    ]
