"""Sites and their routes: `/v3/sites...` and `/v3/channels/{channel_id}/site` (a channel has at
most one site; the default channel's is site 1000, which is never deleted)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import ApiError, invalid
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
    one,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS sites (store TEXT, id INTEGER, channel_id INTEGER, doc TEXT,
    PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS sites_channel ON sites (store, channel_id);
CREATE TABLE IF NOT EXISTS site_routes (store TEXT, id INTEGER, site_id INTEGER, doc TEXT,
    PRIMARY KEY (store, id));
"""
TABLES = ("sites", "site_routes")

DEFAULT_SITE = 1000
ROUTE_TYPES = frozenset(
    [
        "product",
        "brand",
        "category",
        "page",
        "blog",
        "home",
        "cart",
        "checkout",
        "search",
        "account",
        "login",
        "returns",
        "static",
        "create_account",
        "forgot_password",
        "account_order_status",
        "account_new_return",
        "recover_abandoned_cart",
    ]
)


def _url_types(op: str, raw: str) -> tuple[str, list[Any]]:
    types = [t for t in raw.split(",") if t]
    marks = ",".join("?" * len(types)) or "NULL"
    return (
        f"EXISTS (SELECT 1 FROM json_each(doc, '$.urls') u "
        f"WHERE json_extract(u.value, '$.type') IN ({marks}))",
        types,
    )


LIST = ListSpec(
    filters={
        "channel_id": Filter("channel_id", "int", frozenset({"in"})),
        "url_type": Filter("", "str", frozenset({"in"}), custom=_url_types),
    },
    direction=False,
    fields=False,
)
ROUTES_LIST = ListSpec(
    filters={"type": Filter("json_extract(doc, '$.type')", "str")},
    direction=False,
    fields=False,
)


def _bad(title: str) -> ApiError:
    return ApiError(400, title)


def _url(value: Any) -> str:
    """A fully qualified URL (scheme and host), else a 400."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad("The url must be a fully qualified URL, with its scheme and host.")
    return str(value)


class Sites(Resource):
    """The sites of one store and their routes."""

    def ensure_default(self, channel_id: int) -> None:
        """The default channel's site (inside the transaction that writes the default channel)."""
        profile = self.db.store(self.hash)
        domain = profile.domain if profile else f"{self.hash}.example-store.test"
        self._write(self._new(DEFAULT_SITE, channel_id, f"https://{domain}/"))

    @staticmethod
    def _new(site_id: int, channel_id: int, url: str) -> dict[str, Any]:
        stamp = now_iso()
        return {
            "id": site_id,
            "url": url,
            "channel_id": channel_id,
            "created_at": stamp,
            "updated_at": stamp,
            "ssl_status": "shared",
            "urls": [{"url": url, "type": "primary", "created_at": stamp, "updated_at": stamp}],
            "is_checkout_url_customized": False,
        }

    def _write(self, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO sites (store, id, channel_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            doc["channel_id"],
            dumps(doc),
        )

    def doc(self, site_id: int) -> dict[str, Any]:
        """One site (404)."""
        self.store.channels.ensure()
        docs = self.docs("SELECT doc FROM sites WHERE store=? AND id=?", self.hash, site_id)
        if not docs:
            raise ApiError(404, "The site was not found.")
        return docs[0]

    def of_channel(self, channel_id: int) -> dict[str, Any]:
        """The site of a channel (404 for a channel without one, or no channel)."""
        self.store.channels.doc(channel_id)
        docs = self.docs(
            "SELECT doc FROM sites WHERE store=? AND channel_id=?", self.hash, channel_id
        )
        if not docs:
            raise ApiError(404, f"Channel {channel_id} has no site.")
        return docs[0]

    def channel_of(self, site_id: int) -> int | None:
        """The channel of a site, or None."""
        self.store.channels.ensure()
        found = self.one("SELECT channel_id FROM sites WHERE store=? AND id=?", self.hash, site_id)
        return int(found) if found is not None else None

    def find(self, query: ListQuery) -> Page:
        """`GET /sites`."""
        self.store.channels.ensure()
        return self.list_page("sites", query)

    def create(self, body: Any, channel_id: int | None = None) -> dict[str, Any]:
        """`POST /sites` (or `/channels/{id}/site`): one site per channel."""
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object.")
        channel = channel_id if channel_id is not None else body.get("channel_id")
        if not isinstance(channel, int) or isinstance(channel, bool):
            raise _bad("channel_id is required.")
        url = _url(body.get("url"))
        with self.tx():
            self.store.channels.doc(channel)
            if self.one("SELECT 1 FROM sites WHERE store=? AND channel_id=?", self.hash, channel):
                raise _bad(f"Channel {channel} already has a site.")
            # one site per channel: its id follows the channel's (1000 for channel 1), as the
            # content resources' `site_id` filters read it
            doc = self._new(channel + DEFAULT_SITE - 1, channel, url)
            self._write(doc)
            return doc

    def update(self, site_id: int, body: Any) -> dict[str, Any]:
        """`PUT /sites/{id}`: its URL."""
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object.")
        with self.tx():
            doc = self.doc(site_id)
            if "url" in body:
                url = _url(body["url"])
                stamp = now_iso()
                doc["url"], doc["updated_at"] = url, stamp
                primary = [u for u in doc["urls"] if u["type"] == "primary"]
                others = [u for u in doc["urls"] if u["type"] != "primary"]
                created = primary[0]["created_at"] if primary else stamp
                doc["urls"] = [
                    {"url": url, "type": "primary", "created_at": created, "updated_at": stamp},
                    *others,
                ]
                self._write(doc)
            return doc

    def update_of_channel(self, channel_id: int, body: Any) -> dict[str, Any]:
        """`PUT /channels/{id}/site`."""
        with self.tx():
            return self.update(self.of_channel(channel_id)["id"], body)

    def delete(self, site_id: int) -> None:
        """`DELETE /sites/{id}`: the site and its routes (never the default site)."""
        with self.tx():
            self.doc(site_id)
            if site_id == DEFAULT_SITE:
                raise _bad("The default site cannot be deleted.")
            self.execute("DELETE FROM sites WHERE store=? AND id=?", self.hash, site_id)
            self.execute("DELETE FROM site_routes WHERE store=? AND site_id=?", self.hash, site_id)

    def delete_of_channel(self, channel_id: int) -> None:
        """`DELETE /channels/{id}/site`."""
        with self.tx():
            self.delete(self.of_channel(channel_id)["id"])

    # ---- routes ---------------------------------------------------------------------------------

    def _route_values(self, item: Any, label: str, partial: bool = False) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise invalid(label or "body", "a route object is expected")
        out: dict[str, Any] = {}
        for name in ("type", "matching", "route"):
            value = item.get(name)
            if value is None and partial:
                continue
            if not isinstance(value, str) or not value:
                raise invalid(label + name, f"{name} is required")
            out[name] = value
        if "type" in out and out["type"] not in ROUTE_TYPES:
            raise invalid(label + "type", f"type must be one of {', '.join(sorted(ROUTE_TYPES))}")
        return out

    def _routes(self, site_id: int) -> list[dict[str, Any]]:
        return self.docs(
            "SELECT doc FROM site_routes WHERE store=? AND site_id=? ORDER BY id",
            self.hash,
            site_id,
        )

    def _save_route(self, site_id: int, doc: dict[str, Any], label: str) -> dict[str, Any]:
        clash = [
            r
            for r in self._routes(site_id)
            if r["id"] != doc["id"] and (r["type"], r["matching"]) == (doc["type"], doc["matching"])
        ]
        if clash:
            raise invalid(
                label + "matching",
                f"the site already has a {doc['type']} route matching {doc['matching']!r}",
            )
        self.execute(
            "INSERT OR REPLACE INTO site_routes (store, id, site_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            site_id,
            dumps(doc),
        )
        return doc

    def route(self, site_id: int, route_id: int) -> dict[str, Any]:
        """One route of a site (404)."""
        self.doc(site_id)
        found = [r for r in self._routes(site_id) if r["id"] == route_id]
        if not found:
            raise ApiError(404, "The route was not found.")
        return found[0]

    def find_routes(self, site_id: int, query: ListQuery) -> Page:
        """`GET /sites/{id}/routes`."""
        self.doc(site_id)
        return self.list_page("site_routes", query, ["site_id=?"], [site_id])

    def create_route(self, site_id: int, body: Any) -> dict[str, Any]:
        """`POST /sites/{id}/routes`: one route, unique by type and matching."""
        values = self._route_values(body, "")
        with self.tx():
            self.doc(site_id)
            return self._save_route(site_id, {"id": self.next_id("route"), **values}, "")

    def update_routes(self, site_id: int, body: Any) -> list[dict[str, Any]]:
        """`PUT /sites/{id}/routes`: a batch of routes with their ids, all or nothing."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "a non-empty list of routes is expected")
        with self.tx():
            out = []
            for index, item in enumerate(body):
                label = f"[{index}]."
                route_id = item.get("id") if isinstance(item, dict) else None
                if not isinstance(route_id, int):
                    raise invalid(label + "id", "id is required to update a route")
                current = self.route(site_id, route_id)
                merged = {**current, **self._route_values(item, label, partial=True)}
                out.append(self._save_route(site_id, merged, label))
            return out

    def update_route(self, site_id: int, route_id: int, body: Any) -> dict[str, Any]:
        """`PUT /sites/{id}/routes/{route_id}`."""
        values = self._route_values(body, "", partial=True)
        with self.tx():
            return self._save_route(site_id, {**self.route(site_id, route_id), **values}, "")

    def delete_route(self, site_id: int, route_id: int) -> None:
        """`DELETE /sites/{id}/routes/{route_id}`."""
        with self.tx():
            self.route(site_id, route_id)
            self.execute("DELETE FROM site_routes WHERE store=? AND id=?", self.hash, route_id)


# ---- HTTP -----------------------------------------------------------------------------------------


async def list_sites(call: Call) -> Any:
    query = call.list_query(LIST)
    return listing(await call.run(call.store.sites.find, query), lambda s: s)


async def create_site(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.sites.create, body), 201)


async def get_site(call: Call) -> Any:
    return one(await call.run(call.store.sites.doc, call.int("site_id")))


async def update_site(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.sites.update, call.int("site_id"), body))


async def delete_site(call: Call) -> Any:
    await call.run(call.store.sites.delete, call.int("site_id"))
    return no_content()


async def channel_site(call: Call) -> Any:
    return one(await call.run(call.store.sites.of_channel, call.int("channel_id")))


async def create_channel_site(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.sites.create, body, call.int("channel_id")))


async def update_channel_site(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.sites.update_of_channel, call.int("channel_id"), body))


async def delete_channel_site(call: Call) -> Any:
    await call.run(call.store.sites.delete_of_channel, call.int("channel_id"))
    return json_response({})


async def list_routes(call: Call) -> Any:
    query = call.list_query(ROUTES_LIST)
    return listing(
        await call.run(call.store.sites.find_routes, call.int("site_id"), query), lambda r: r
    )


async def create_route(call: Call) -> Any:
    """A refusal's `status` is a string here, as this endpoint documents it."""
    body = await call.body()
    try:
        created = await call.run(call.store.sites.create_route, call.int("site_id"), body)
    except ApiError as error:
        if error.status != 422:
            raise
        answer = {**error.body(call.request.path), "status": str(error.status)}
        return json_response(answer, 422)
    return one(created, 201)


async def update_routes(call: Call) -> Any:
    body = await call.body()
    routes = await call.run(call.store.sites.update_routes, call.int("site_id"), body)
    return json_response({"data": routes, "meta": {}})


async def get_route(call: Call) -> Any:
    return one(await call.run(call.store.sites.route, call.int("site_id"), call.int("route_id")))


async def update_route(call: Call) -> Any:
    """Answered 201, as documented."""
    body = await call.body()
    site, route = call.int("site_id"), call.int("route_id")
    return one(await call.run(call.store.sites.update_route, site, route, body), 201)


async def delete_route(call: Call) -> Any:
    await call.run(call.store.sites.delete_route, call.int("site_id"), call.int("route_id"))
    return no_content()


ROUTES = [
    Route("GET", "/v3/sites", list_sites, LIST),
    Route("POST", "/v3/sites", create_site),
    Route("GET", "/v3/sites/{site_id}", get_site),
    Route("PUT", "/v3/sites/{site_id}", update_site),
    Route("DELETE", "/v3/sites/{site_id}", delete_site),
    Route("GET", "/v3/sites/{site_id}/routes", list_routes, ROUTES_LIST),
    Route("POST", "/v3/sites/{site_id}/routes", create_route),
    Route("PUT", "/v3/sites/{site_id}/routes", update_routes),
    Route("GET", "/v3/sites/{site_id}/routes/{route_id}", get_route),
    Route("PUT", "/v3/sites/{site_id}/routes/{route_id}", update_route),
    Route("DELETE", "/v3/sites/{site_id}/routes/{route_id}", delete_route),
    Route("GET", "/v3/channels/{channel_id}/site", channel_site),
    Route("POST", "/v3/channels/{channel_id}/site", create_channel_site),
    Route("PUT", "/v3/channels/{channel_id}/site", update_channel_site),
    Route("DELETE", "/v3/channels/{channel_id}/site", delete_channel_site),
]
