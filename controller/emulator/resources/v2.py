"""What the V2 catalog's resources share: bare JSON answers, `page`/`limit` paging (at most 250,
50 by default), `{count}` answers, V2's number and date texts, and the routes of one collection
(list, count, create, get, update, delete one, delete all). A query parameter a V2 route does not
honour is a 400 naming it (documented but not emulated ones included)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from controller.emulator.errors import ApiError
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListSpec,
    Route,
    json_response,
    no_content,
    paging,
)

V2_PAGE = ListSpec(direction=False, fields=False)


def spec(
    filters: Iterable[str] = (), refused: Iterable[str] = (), *, paged: bool = True
) -> ListSpec:
    """The query parameters of a V2 list: filters honoured, documented ones refused, paging."""
    return ListSpec(
        filters={name: Filter("", "str") for name in filters},
        refused=frozenset(refused),
        direction=False,
        fields=False,
        paged=paged,
    )


def check_query(call: Call, route_spec: ListSpec | None, extra: Iterable[str] = ()) -> None:
    """A parameter refused by name, or unknown to the route, is a 400."""
    known = set(extra)
    if route_spec is not None:
        known |= set(route_spec.filters) | ({"page", "limit"} if route_spec.paged else set())
    refused = set(route_spec.refused) if route_spec is not None else set()
    for name in sorted(call.query):
        if name in refused:
            raise ApiError(400, f"The query parameter '{name}' is not supported by the emulator.")
        if name not in known:
            raise ApiError(
                400, f"The query parameter '{name}' is not a parameter of this resource."
            )


def page_of(
    call: Call, filters: Iterable[str] = (), refused: Iterable[str] = ()
) -> tuple[int, int]:
    """(page, limit) of a V2 list, after checking its parameters."""
    check_query(call, spec(filters, refused))
    return paging(call.query)


def listed(items: list[dict[str, Any]], page: tuple[int, int]) -> web.Response:
    """One page of a list held in memory, as a bare JSON array."""
    number, limit = page
    return json_response(items[(number - 1) * limit : number * limit])


def count_answer(count: int) -> web.Response:
    """`{"count": N}`."""
    return json_response({"count": count})


def money(value: Any) -> str | None:
    """A V2 decimal text (`"29.9900"`), or None."""
    if value is None or value == "":
        return None
    return f"{float(value):.4f}"


def decimal(value: Any) -> str | None:
    """A V2 weight or dimension text, or None."""
    return money(value)


def rfc2822(iso: str | None) -> str:
    """A stored ISO time as V2 writes dates (`Fri, 21 Sep 2012 02:31:01 +0000`)."""
    if not iso:
        return ""
    return format_datetime(datetime.fromisoformat(iso)).replace("-0000", "+0000")


Sync = Callable[..., Any]


def v2_routes(
    path: str,
    id_name: str,
    *,
    list_: Sync | None = None,
    count: Any = None,
    create: Sync | None = None,
    get: Sync | None = None,
    update: Sync | None = None,
    delete: Sync | None = None,
    delete_all: bool = False,
    filters: Iterable[str] = (),
    refused: Iterable[str] = (),
) -> list[Route]:
    """The routes of one V2 collection at `path`; each function runs off the event loop with the
    call (and the JSON body for create and update). A `count` coroutine answers `path/count`; a
    `list_` coroutine answers the list itself, otherwise `list_` returns every item and the
    route pages them. `delete` is called for one item and, with `delete_all`, for the collection
    (no id in the path)."""
    filters, refused = tuple(filters), tuple(refused)
    list_spec = spec(filters, refused)
    item = f"{path}/{{{id_name}}}"
    routes: list[Route] = []

    def handler(
        fn: Sync, *, body: bool = False, status: int = 200, query: ListSpec | None = None
    ) -> Any:
        async def handle(call: Call) -> web.StreamResponse:
            check_query(call, query)
            if body:
                payload = await call.body()
                return json_response(await call.run(fn, call, payload), status)
            result = await call.run(fn, call)
            if result is None:
                return no_content()
            return json_response(result, status)

        return handle

    if count is not None:
        routes.append(Route("GET", f"{path}/count", count))
    if list_ is not None:
        if inspect.iscoroutinefunction(list_):
            routes.append(Route("GET", path, list_, list_spec))
        else:

            async def list_items(call: Call, fn: Sync = list_) -> web.StreamResponse:
                page = page_of(call, filters, refused)
                return listed(await call.run(fn, call), page)

            routes.append(Route("GET", path, list_items, list_spec))
    if create is not None:
        routes.append(Route("POST", path, handler(create, body=True, status=201)))
    if delete is not None and delete_all:
        deleting = spec(refused=refused)
        routes.append(Route("DELETE", path, handler(delete, query=deleting), deleting))
    if get is not None:
        routes.append(Route("GET", item, handler(get)))
    if update is not None:
        routes.append(Route("PUT", item, handler(update, body=True)))
    if delete is not None:
        routes.append(Route("DELETE", item, handler(delete)))
    return routes
