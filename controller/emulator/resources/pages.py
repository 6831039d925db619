"""Web pages: `/v3/content/pages` and `/v3/content/pages/{pageId}` (bulk create, update and delete;
URLs and names unique within a channel; one home page per channel; parents in the same channel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from controller.catalog import fields
from controller.emulator.database import Page, dumps, slug
from controller.emulator.errors import ApiError, invalid, not_found
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    json_response,
    listing,
    no_content,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (store TEXT, id INTEGER, channel_id INTEGER, url TEXT,
    name TEXT, doc TEXT, PRIMARY KEY (store, id));
CREATE INDEX IF NOT EXISTS pages_url ON pages (store, channel_id, url);
"""
TABLES = ("pages",)

MAX_PAGES = 4000  # the platform limit the spec states
NULLABLE = frozenset({"body", "meta_title", "meta_keywords", "meta_description", "search_keywords"})
_META = ("meta_title", "meta_keywords", "meta_description")
# What each type carries besides the fields every page has (the spec's typePage, typeRaw ...).
_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "page": (*_META, "search_keywords", "body"),
    "blog": (*_META, "search_keywords", "body"),
    "contact_form": (*_META, "search_keywords", "body", "email", "contact_fields"),
    "raw": ("search_keywords", "body", "content_type"),
    "link": ("link",),
}
_COMMON = (
    "id",
    "channel_id",
    "name",
    "is_visible",
    "parent_id",
    "sort_order",
    "type",
    "is_homepage",
    "is_customers_only",
    "url",
)
DEFAULTS: dict[str, Any] = {
    "channel_id": 1,
    "is_visible": True,
    "parent_id": 0,
    "sort_order": 0,
    "is_homepage": False,
    "is_customers_only": False,
    "body": "",
    "content_type": "text/html",
    "email": "",
    "contact_fields": "",
    "link": "",
    "meta_title": "",
    "meta_keywords": "",
    "meta_description": "",
    "search_keywords": "",
}
WRITABLE: dict[str, fields.FieldSpec] = {**fields.PAGE, "parent_id": ("int", None)}


def _name(op: str, raw: str) -> tuple[str, list[Any]]:
    """`name` (exact) and `name:like` (in the name or the body, without case)."""
    if op == "like":
        pattern = f"%{raw.lower()}%"
        return "(lower(name) LIKE ? OR lower(json_extract(doc, '$.body')) LIKE ?)", [
            pattern,
            pattern,
        ]
    return "name=?", [raw]


LIST = ListSpec(
    filters={
        "channel_id": Filter("channel_id", "int"),
        "id": Filter("id", "int", frozenset({"in"})),
        "name": Filter("name", "str", frozenset({"", "like"}), custom=_name),
    },
    direction=False,
    fields=False,
)
INCLUDE = frozenset({"include"})


class Pages(Resource):
    """The web pages of one store."""

    def render(self, doc: dict[str, Any], include_body: bool) -> dict[str, Any]:
        """A stored page in the API's shape of its type (`body` only when asked for)."""
        names = (*_COMMON, *_TYPE_FIELDS[doc["type"]])
        return {k: doc[k] for k in names if k in doc and (k != "body" or include_body)}

    def doc(self, page_id: int) -> dict[str, Any]:
        """One stored page (404 when missing)."""
        docs = self.docs("SELECT doc FROM pages WHERE store=? AND id=?", self.hash, page_id)
        if not docs:
            raise ApiError(404, f"A Page was not found with an ID of {page_id}")
        return docs[0]

    def exists(self, page_id: int) -> bool:
        """Whether the page exists."""
        return bool(self.one("SELECT 1 FROM pages WHERE store=? AND id=?", self.hash, page_id))

    def _fields(self, body: Any, prefix: str, *, create: bool) -> dict[str, Any]:
        if isinstance(body, dict):
            body = {k: ("" if v is None and k in NULLABLE else v) for k, v in body.items()}
        return clean(body, WRITABLE, required=("name", "type") if create else (), prefix=prefix)

    def _check(self, doc: dict[str, Any], prefix: str) -> None:
        """The rules a page must satisfy once written (inside a transaction)."""
        page_type, channel = doc["type"], doc["channel_id"]
        if page_type == "raw" and not doc.get("body"):
            raise invalid(prefix + "body", "body is required for a raw page")
        if page_type == "link" and not doc.get("link"):
            raise invalid(prefix + "link", "link is required for a link page")
        others = "store=? AND channel_id=? AND id<>?"
        if self.one(
            f"SELECT 1 FROM pages WHERE {others} AND name=?",
            self.hash,
            channel,
            doc["id"],
            doc["name"],
        ):
            raise invalid(prefix + "name", f"a page named {doc['name']!r} already exists")
        if doc["url"] and self.one(
            f"SELECT 1 FROM pages WHERE {others} AND url=?",
            self.hash,
            channel,
            doc["id"],
            doc["url"],
        ):
            raise invalid(prefix + "url", f"the URL {doc['url']!r} is already used on this site")
        if page_type == "contact_form" and doc.get("email"):
            for other in self.docs(
                f"SELECT doc FROM pages WHERE {others} AND json_extract(doc, '$.email')=?",
                self.hash,
                channel,
                doc["id"],
                doc["email"],
            ):
                raise invalid(prefix + "email", f"{other['name']!r} already uses this email")
        parent = doc["parent_id"]
        seen = {doc["id"]}
        while parent:
            if parent in seen:
                raise invalid(prefix + "parent_id", "a page cannot be its own ancestor")
            found = self.docs("SELECT doc FROM pages WHERE store=? AND id=?", self.hash, parent)
            if not found or found[0]["channel_id"] != channel:
                raise invalid(prefix + "parent_id", f"no page {parent} on this channel")
            seen.add(parent)
            parent = found[0]["parent_id"]

    def _save(self, doc: dict[str, Any], *, new: bool) -> None:
        if doc.get("is_homepage"):
            for other in self.docs(
                "SELECT doc FROM pages WHERE store=? AND channel_id=? AND id<>? "
                "AND json_extract(doc, '$.is_homepage')",
                self.hash,
                doc["channel_id"],
                doc["id"],
            ):
                other["is_homepage"] = False
                self._write(other)
        if new:
            self.execute(
                "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?)",
                self.hash,
                doc["id"],
                doc["channel_id"],
                doc["url"],
                doc["name"],
                dumps(doc),
            )
        else:
            self._write(doc)

    def _write(self, doc: dict[str, Any]) -> None:
        self.execute(
            "UPDATE pages SET doc=?, url=?, name=?, channel_id=? WHERE store=? AND id=?",
            dumps(doc),
            doc["url"],
            doc["name"],
            doc["channel_id"],
            self.hash,
            doc["id"],
        )

    def insert(self, body: Any, prefix: str = "", *, control_panel: bool = False) -> dict[str, Any]:
        """Add one page (inside a transaction); `control_panel` may create blog pages."""
        values = self._fields(body, prefix, create=True)
        if values["type"] == "blog" and not control_panel:
            raise invalid(prefix + "type", "blog pages can only be created in the control panel")
        if self.one("SELECT COUNT(*) FROM pages WHERE store=?", self.hash) >= MAX_PAGES:
            raise invalid(prefix + "name", f"a store has at most {MAX_PAGES} web pages")
        doc = {**DEFAULTS, **values, "id": self.next_id("page")}
        if "url" not in values:
            doc["url"] = "" if doc["type"] == "link" else f"/{slug(doc['name'])}/"
        self._check(doc, prefix)
        self._save(doc, new=True)
        return doc

    def create(self, body: Any, include_body: bool) -> tuple[Any, int]:
        """`POST /content/pages`: one page (an object) or many (an array). In a bulk request an
        invalid entry makes the answer a 422, and the valid entries are still created."""
        if not isinstance(body, list):
            with self.tx():
                return self.render(self.insert(body), include_body), 201
        created, failed = [], None
        for index, item in enumerate(body):
            try:
                with self.tx():
                    created.append(self.render(self.insert(item, f"[{index}]."), include_body))
            except ApiError as error:
                failed = failed or error
        if failed is not None:
            raise failed
        return created, 201

    def update_one(self, page_id: int, body: Any, prefix: str = "") -> dict[str, Any]:
        """Change one page (inside a transaction)."""
        doc = self.doc(page_id)
        values = self._fields(body, prefix, create=False)
        values.pop("id", None)
        if values.get("type") == "blog" and doc["type"] != "blog":
            raise invalid(prefix + "type", "blog pages can only be created in the control panel")
        doc.update(values)
        self._check(doc, prefix)
        self._save(doc, new=False)
        return doc

    def update(self, page_id: int, body: Any, include_body: bool) -> dict[str, Any]:
        """`PUT /content/pages/{pageId}`."""
        with self.tx():
            return self.render(self.update_one(page_id, body), include_body)

    def update_many(self, body: Any, include_body: bool) -> list[dict[str, Any]]:
        """`PUT /content/pages`: one object or an array, each with its `id` (all or nothing)."""
        items = body if isinstance(body, list) else [body]
        with self.tx():
            out = []
            for index, item in enumerate(items):
                prefix = f"[{index}]." if isinstance(body, list) else ""
                page_id = item.get("id") if isinstance(item, dict) else None
                if not isinstance(page_id, int) or isinstance(page_id, bool):
                    raise invalid(prefix + "id", "id is required")
                out.append(self.render(self.update_one(page_id, item, prefix), include_body))
            return out

    def find(self, query: ListQuery, include_body: bool) -> Page:
        """`GET /content/pages`."""
        page = self.list_page("pages", query)
        return Page(
            [self.render(d, include_body) for d in page.items], page.total, page.page, page.limit
        )

    def get(self, page_id: int, include_body: bool) -> dict[str, Any]:
        """`GET /content/pages/{pageId}`."""
        return self.render(self.doc(page_id), include_body)

    def delete(self, ids: list[int], delete_children: bool) -> None:
        """Delete pages: their children are deleted too (`delete_children`) or become hidden
        top-level pages. Pages that exist are deleted even when others do not (then a 404)."""
        with self.tx():
            missing = [i for i in ids if not self.exists(i)]
            for page_id in ids:
                if page_id not in missing:
                    self._delete(page_id, delete_children)
        if missing:
            raise not_found(f"page {missing[0]}")

    def _delete(self, page_id: int, delete_children: bool) -> None:
        for child in self.docs(
            "SELECT doc FROM pages WHERE store=? AND json_extract(doc, '$.parent_id')=?",
            self.hash,
            page_id,
        ):
            if delete_children:
                self._delete(child["id"], True)
            else:
                child.update(parent_id=0, is_visible=False)
                self._write(child)
        self.execute("DELETE FROM pages WHERE store=? AND id=?", self.hash, page_id)


# ---- HTTP -----------------------------------------------------------------------------------------


def _problems(handler: Callable[[Call], Awaitable[Any]]) -> Callable[[Call], Awaitable[Any]]:
    """Errors as this API documents them: `application/problem+json`, `errors` a list of texts."""

    async def run(call: Call) -> Any:
        try:
            return await handler(call)
        except ApiError as error:
            body = error.body(call.request.path)
            messages = [f"{k}: {v}" for k, v in error.errors.items()]
            body.update(errors=messages, detail="; ".join(messages) or error.title)
            return web.Response(
                body=orjson.dumps(body),
                status=error.status,
                content_type="application/problem+json",
            )

    run.__name__ = handler.__name__
    return run


def _include_body(call: Call) -> bool:
    asked = {p.strip() for p in call.query.get("include", "").split(",") if p.strip()}
    unknown = asked - {"body"}
    if unknown:
        raise invalid("include", f"include may only name body, not {sorted(unknown)[0]!r}")
    return "body" in asked


def _page_id(call: Call) -> int:
    raw = call.path("pageId")
    if not raw.isdigit():
        raise ApiError(422, "Invalid Input.", {"pageId": "must be an integer"})
    return int(raw)


def _data(data: Any, status: int = 200) -> Any:
    return json_response({"data": data, "meta": {}}, status)


async def list_pages(call: Call) -> Any:
    query = call.list_query(LIST)
    include = _include_body(call)
    return listing(await call.run(call.store.pages.find, query, include), lambda d: d)


async def create_pages(call: Call) -> Any:
    include = _include_body(call)
    body = await call.body()
    data, status = await call.run(call.store.pages.create, body, include)
    return _data(data, status)


async def update_pages(call: Call) -> Any:
    include = _include_body(call)
    body = await call.body()
    return _data(await call.run(call.store.pages.update_many, body, include))


async def delete_pages(call: Call) -> Any:
    raw = call.query.get("id:in", "")
    try:
        ids = [int(p) for p in raw.split(",") if p.strip()]
    except ValueError as error:
        raise ApiError(422, "Input is invalid", {"id:in": "must be page IDs"}) from error
    if not ids:
        raise ApiError(422, "Input is invalid", {"id:in": "id:in is required"})
    children = call.query.get("delete_children", "false").lower() == "true"
    await call.run(call.store.pages.delete, ids, children)
    return no_content()


async def get_page(call: Call) -> Any:
    include = _include_body(call)
    return _data(await call.run(call.store.pages.get, _page_id(call), include))


async def update_page(call: Call) -> Any:
    include = _include_body(call)
    page_id = _page_id(call)
    body = await call.body()
    return _data(await call.run(call.store.pages.update, page_id, body, include))


async def delete_page(call: Call) -> Any:
    await call.run(call.store.pages.delete, [_page_id(call)], False)
    return no_content()


ROUTES = [
    Route("GET", "/v3/content/pages", _problems(list_pages), LIST, extra=INCLUDE),
    Route("POST", "/v3/content/pages", _problems(create_pages), extra=INCLUDE),
    Route("PUT", "/v3/content/pages", _problems(update_pages), extra=INCLUDE),
    Route(
        "DELETE",
        "/v3/content/pages",
        _problems(delete_pages),
        extra=frozenset({"id:in", "delete_children"}),
    ),
    Route("GET", "/v3/content/pages/{pageId}", _problems(get_page), extra=INCLUDE),
    Route("PUT", "/v3/content/pages/{pageId}", _problems(update_page), extra=INCLUDE),
    Route("DELETE", "/v3/content/pages/{pageId}", _problems(delete_page)),
]
