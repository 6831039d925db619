"""301 redirects: `/v3/storefront/redirects` (upserted by site and from path; a target is a product,
brand, category, page or blog post by id, or a URL)."""

from __future__ import annotations

from typing import Any

from controller.catalog import fields
from controller.emulator.database import Page, dumps
from controller.emulator.errors import ApiError, invalid
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    json_field,
    json_response,
    listing,
    no_content,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS redirects (store TEXT, id INTEGER, site_id INTEGER, from_path TEXT,
    doc TEXT, PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS redirects_path ON redirects (store, site_id, from_path);
"""
TABLES = ("redirects",)

DEFAULT_SITE = 1000  # every store's default site
_TARGET_TABLES = {
    "product": "products",
    "brand": "brands",
    "category": "categories",
    "page": "pages",
    "post": "blog_posts",
}
_MAX_URL = fields.REDIRECT["to_url"][1]


def _keyword(op: str, raw: str) -> tuple[str, list[Any]]:
    """`keyword` matches from the start of the path (`blue` finds `/blue-shirt`)."""
    escaped = raw.lstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "from_path LIKE ? ESCAPE '\\'", [f"/{escaped}%"]


LIST = ListSpec(
    filters={
        "site_id": Filter("site_id", "int"),
        "id": Filter("id", "int", frozenset({"in", "min", "max"})),
        "keyword": Filter("from_path", "str", custom=_keyword),
    },
    sorts={
        "from_path": "from_path",
        "type": json_field("to.type"),
        "site_id": "site_id",
        "id": "id",
    },
    fields=False,
)


class Redirects(Resource):
    """The redirects of one store."""

    def _target(self, to: Any, prefix: str) -> dict[str, Any]:
        if not isinstance(to, dict):
            raise invalid(prefix + "to", "to must be an object with a type")
        kind = to.get("type")
        if kind not in fields.REDIRECT_TYPES:
            raise invalid(
                prefix + "to.type", f"type must be one of {', '.join(fields.REDIRECT_TYPES)}"
            )
        if kind == "url":
            url = to.get("url")
            if not isinstance(url, str) or not url or len(url) > (_MAX_URL or 0):
                raise invalid(prefix + "to.url", f"url must be 1 to {_MAX_URL} characters")
            return {"type": "url", "url": url}
        entity = to.get("entity_id")
        if not isinstance(entity, int) or isinstance(entity, bool):
            raise invalid(prefix + "to.entity_id", f"entity_id is required for a {kind}")
        table = _TARGET_TABLES.get(kind)
        if table is None or not self.one(
            f"SELECT 1 FROM {table} WHERE store=? AND id=?", self.hash, entity
        ):
            raise invalid(prefix + "to.entity_id", f"no {kind} with id {entity}")
        return {"type": kind, "entity_id": entity}

    def upsert(self, body: Any) -> list[dict[str, Any]]:
        """`PUT /storefront/redirects`: each redirect replaces the one with its site and path."""
        if not isinstance(body, list):
            raise invalid("body", "must be an array of redirects")
        with self.tx():
            out = []
            for index, item in enumerate(body):
                prefix = f"[{index}]."
                if not isinstance(item, dict):
                    raise invalid(prefix.rstrip("."), "must be an object")
                path, site = item.get("from_path"), item.get("site_id")
                if not isinstance(path, str) or not path.startswith("/"):
                    raise invalid(prefix + "from_path", "from_path must be a path starting with /")
                if not isinstance(site, int) or isinstance(site, bool) or site < 1:
                    raise invalid(prefix + "site_id", "site_id is required")
                target = self._target(item.get("to"), prefix)
                existing = self.one(
                    "SELECT id FROM redirects WHERE store=? AND site_id=? AND from_path=?",
                    self.hash,
                    site,
                    path,
                )
                doc = {
                    "id": existing or self.next_id("redirect"),
                    "site_id": site,
                    "from_path": path,
                    "to": target,
                }
                self.execute(
                    "INSERT INTO redirects VALUES (?, ?, ?, ?, ?) ON CONFLICT (store, id) "
                    "DO UPDATE SET doc=excluded.doc",
                    self.hash,
                    doc["id"],
                    site,
                    path,
                    dumps(doc),
                )
                out.append(doc)
            return out

    def to_url(self, doc: dict[str, Any]) -> str:
        """The full destination URL of a redirect."""
        to = doc["to"]
        base = f"https://store-{self.hash}.mybigcommerce.com"
        if to["type"] == "url":
            url = str(to["url"])
            return url if "://" in url else base + url
        table = _TARGET_TABLES.get(to["type"])
        found = (
            self.docs(f"SELECT doc FROM {table} WHERE store=? AND id=?", self.hash, to["entity_id"])
            if table
            else []
        )
        if not found:
            return base + "/"
        target = found[0]
        path = target.get("url_path") or (target.get("custom_url") or {}).get("url")
        return base + str(path or target.get("url") or "/")

    def find(self, query: ListQuery, include_url: bool) -> Page:
        """`GET /storefront/redirects`."""
        page = self.list_page("redirects", query)
        items = [{**d, "to_url": self.to_url(d)} if include_url else d for d in page.items]
        return Page(items, page.total, page.page, page.limit)

    def delete(self, ids: list[int], site: int | None) -> None:
        """`DELETE /storefront/redirects`: by id, or every redirect of a site."""
        with self.tx():
            if ids:
                marks = ",".join("?" * len(ids))
                self.execute(
                    f"DELETE FROM redirects WHERE store=? AND id IN ({marks})", self.hash, *ids
                )
            if site is not None:
                self.execute("DELETE FROM redirects WHERE store=? AND site_id=?", self.hash, site)


# ---- HTTP -----------------------------------------------------------------------------------------


def _include_url(call: Call) -> bool:
    asked = {p.strip() for p in call.query.get("include", "").split(",") if p.strip()}
    if asked - {"to_url"}:
        raise invalid("include", "include may only name to_url")
    return "to_url" in asked


async def list_redirects(call: Call) -> Any:
    query = call.list_query(LIST)
    return listing(await call.run(call.store.redirects.find, query, _include_url(call)), dict)


async def upsert_redirects(call: Call) -> Any:
    body = await call.body()
    data = await call.run(call.store.redirects.upsert, body)
    pagination = {"total": len(data), "count": len(data), "per_page": len(data)}
    return json_response({"data": data, "meta": {"pagination": pagination}}, 201)


async def delete_redirects(call: Call) -> Any:
    try:
        ids = [int(p) for p in call.query.get("id:in", "").split(",") if p.strip()]
        site = int(call.query["site_id"]) if "site_id" in call.query else None
    except ValueError as error:
        raise ApiError(422, "Input is invalid", {"id:in": "must be redirect IDs"}) from error
    if not ids and site is None:
        raise invalid("id:in", "id:in (or site_id) is required")
    await call.run(call.store.redirects.delete, ids, site)
    return no_content()


ROUTES = [
    Route("GET", "/v3/storefront/redirects", list_redirects, LIST, extra=frozenset({"include"})),
    Route("PUT", "/v3/storefront/redirects", upsert_redirects),
    Route(
        "DELETE",
        "/v3/storefront/redirects",
        delete_redirects,
        extra=frozenset({"id:in", "site_id"}),
    ),
]
