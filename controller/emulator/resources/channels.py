"""Channels and their currency assignments: `/v3/channels...` (channel 1, the default storefront,
exists in every store and is never deleted)."""

from __future__ import annotations

import re
from typing import Any

from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import ApiError
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
    one,
    parse_value,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS channels (store TEXT, id INTEGER, name_l TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE TABLE IF NOT EXISTS channel_currencies (store TEXT, channel_id INTEGER, doc TEXT,
    PRIMARY KEY (store, channel_id));
"""
TABLES = ("channels", "channel_currencies")

DEFAULT_CHANNEL = 1
# The documented valid combinations of platform and type.
PLATFORM_TYPES: dict[str, frozenset[str]] = {
    **{p: frozenset({"pos"}) for p in ("clover", "square", "stripe", "talech", "vend")},
    **{
        p: frozenset({"marketplace"})
        for p in [
            "amazon",
            "belk",
            "catch",
            "ebay",
            "etsy",
            "hudsons_bay",
            "macys",
            "mirakl",
            "overstock",
            "pinterest",
            "target_plus",
            "tiktok",
            "wayfair",
            "wish",
            "walmart",
        ]
    },
    **{p: frozenset({"marketplace", "marketing"}) for p in ("facebook", "google", "instagram")},
    "meta": frozenset({"marketplace", "marketing"}),
    "google_shopping": frozenset({"marketing"}),
    "microsoft": frozenset({"marketing"}),
    **{
        p: frozenset({"storefront"})
        for p in [
            "acquia",
            "bigcommerce",
            "bloomreach",
            "catalyst",
            "deity",
            "drupal",
            "gatsby",
            "next",
            "vue",
            "wordpress",
        ]
    },
    "custom": frozenset({"storefront", "pos", "marketing", "marketplace"}),
}
STOREFRONT_STATUSES = frozenset({"prelaunch", "active", "inactive", "archived", "deleted"})
OTHER_STATUSES = frozenset({"connected", "disconnected", "archived", "deleted"})
AVAILABLE = ("prelaunch", "active", "inactive", "connected")
_NAME = re.compile(r"^[A-Za-z0-9_\- ]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _available(op: str, raw: str) -> tuple[str, list[Any]]:
    wanted = parse_value("available", "bool", raw)
    negate = "" if wanted else "NOT "
    marks = ",".join("?" * len(AVAILABLE))
    return f"{json_field('status')} {negate}IN ({marks})", list(AVAILABLE)


_DATES = frozenset({"", "min", "max"})
LIST = ListSpec(
    filters={
        "status": Filter(json_field("status"), "str", frozenset({"in"})),
        "type": Filter(json_field("type"), "str", frozenset({"in"})),
        "platform": Filter(json_field("platform"), "str", frozenset({"in"})),
        "date_created": Filter(json_field("date_created"), "date", _DATES),
        "date_modified": Filter(json_field("date_modified"), "date", _DATES),
        "available": Filter("", custom=_available),
    },
    direction=False,
    fields=False,
)


def _error(status: int, title: str, errors: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, title, errors or {})


def _status_ok(kind: str, status: str) -> bool:
    return status in (STOREFRONT_STATUSES if kind == "storefront" else OTHER_STATUSES)


class Channels(Resource):
    """The channels of one store: the default storefront (1) and those created since."""

    def ensure(self) -> None:
        """Materialise the default channel (inside or outside a transaction)."""
        if self.one("SELECT 1 FROM seq WHERE store=? AND kind='channel'", self.hash) is not None:
            return
        profile = self.db.store(self.hash)
        stamp = now_iso()
        doc = {
            "id": DEFAULT_CHANNEL,
            "name": profile.name if profile else "Default Storefront",
            "type": "storefront",
            "platform": "bigcommerce",
            "status": "active",
            "external_id": "",
            "is_listable_from_ui": True,
            "is_visible": True,
            "icon_url": "",
            "date_created": stamp,
            "date_modified": stamp,
        }
        with self.tx():
            self.next_id("channel")  # the seq row marks the defaults as written
            self._write(doc)
            self.store.sites.ensure_default(DEFAULT_CHANNEL)

    def _write(self, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO channels (store, id, name_l, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            doc["name"].lower(),
            dumps(doc),
        )

    @staticmethod
    def _render(doc: dict[str, Any]) -> dict[str, Any]:
        enabled = doc["status"] in ("prelaunch", "active", "connected")
        return {**doc, "is_enabled": enabled}

    def doc(self, channel_id: int) -> dict[str, Any]:
        """One channel's document (404 as the platform answers)."""
        self.ensure()
        docs = self.docs("SELECT doc FROM channels WHERE store=? AND id=?", self.hash, channel_id)
        if not docs:
            raise _error(404, "Not found")
        return docs[0]

    def exists(self, channel_id: int) -> bool:
        """Whether the channel exists."""
        self.ensure()
        return bool(
            self.one("SELECT 1 FROM channels WHERE store=? AND id=?", self.hash, channel_id)
        )

    def all_ids(self) -> set[int]:
        """Every channel's id."""
        self.ensure()
        return {
            r[0]
            for r in self.db.conn.execute("SELECT id FROM channels WHERE store=?", (self.hash,))
        }

    def get(self, channel_id: int, currencies: bool) -> dict[str, Any]:
        """`GET /channels/{id}`."""
        out = self._render(self.doc(channel_id))
        if currencies:
            out["currencies"] = self.currencies(channel_id)
        return out

    def find(self, query: ListQuery, currencies: bool) -> Page:
        """`GET /channels`."""
        self.ensure()
        page = self.list_page("channels", query)
        items = [self._render(d) for d in page.items]
        if currencies:
            for item in items:
                item["currencies"] = self.currencies(item["id"])
        return Page(items, page.total, page.page, page.limit)

    def _check_duplicate(self, doc: dict[str, Any]) -> None:
        for other in self.docs(
            "SELECT doc FROM channels WHERE store=? AND name_l=? AND id<>?",
            self.hash,
            doc["name"].lower(),
            doc["id"],
        ):
            if (other["platform"], other["type"]) == (doc["platform"], doc["type"]):
                raise _error(
                    409,
                    f'Channel already exists with name: "{doc["name"]}", platform: '
                    f'"{doc["platform"]}", and type: "{doc["type"]}"',
                )

    @staticmethod
    def _check_common(body: dict[str, Any]) -> None:
        if "name" in body and (not isinstance(body["name"], str) or not _NAME.match(body["name"])):
            raise _error(
                422,
                "Only latin alphabet letters, arabic numerals, dash and underscore are allowed "
                "to be used as channel name.",
            )
        for flag in ("is_listable_from_ui", "is_visible"):
            if flag in body and not isinstance(body[flag], bool):
                raise _error(
                    422, "JSON data is missing or invalid", {flag: "error.expected.jsboolean"}
                )
        if "external_id" in body and not isinstance(body["external_id"], str):
            raise _error(
                422, "JSON data is missing or invalid", {"external_id": "error.expected.jsstring"}
            )

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /channels`: name, type and platform required, a documented pair of them."""
        if not isinstance(body, dict):
            raise _error(
                422, "JSON data is missing or invalid", {"body": "error.expected.jsobject"}
            )
        missing = {
            k: "error.path.missing" if k not in body else "error.expected.jsstring"
            for k in ("name", "type", "platform")
            if not isinstance(body.get(k), str) or not body.get(k)
        }
        if missing:
            raise _error(422, "JSON data is missing or invalid", missing)
        self._check_common(body)
        kind, platform = body["type"], body["platform"]
        if kind not in PLATFORM_TYPES.get(platform, frozenset()):
            raise _error(
                422, f"Input channel type [{kind}] with platform [{platform}] is not supported"
            )
        status = body.get("status", "prelaunch" if kind == "storefront" else "connected")
        if status in ("deleted", "terminated") or not _status_ok(kind, status):
            raise _error(
                422,
                f"The status [{status}] is not valid for a channel of type [{kind}]",
                {"status": "invalid"},
            )
        self.ensure()
        stamp = now_iso()
        with self.tx():
            doc = {
                "id": self.next_id("channel"),
                "name": body["name"],
                "type": kind,
                "platform": platform,
                "status": status,
                "external_id": body.get("external_id", ""),
                "is_listable_from_ui": body.get("is_listable_from_ui", kind != "storefront"),
                "is_visible": body.get("is_visible", True),
                "icon_url": "",
                "date_created": stamp,
                "date_modified": stamp,
            }
            self._check_duplicate(doc)
            self._write(doc)
            return self._render(doc)

    def update(self, channel_id: int, body: Any) -> dict[str, Any]:
        """`PUT /channels/{id}`: partial; type and platform never change."""
        if not isinstance(body, dict):
            raise _error(
                422, "JSON data is missing or invalid", {"body": "error.expected.jsobject"}
            )
        with self.tx():
            doc = self.doc(channel_id)
            if doc["status"] in ("deleted", "terminated"):
                raise _error(
                    422,
                    "A deleted channel cannot be updated. Channel can be restored within 90 days "
                    "after deleting by contacting BigCommerce support team",
                )
            fixed = {
                k: f"The field '{k}' can not be updated after channel is created."
                for k in ("type", "platform")
                if k in body and body[k] != doc[k]
            }
            if fixed:
                raise _error(422, f"The following fields are invalid: {', '.join(fixed)}", fixed)
            self._check_common(body)
            status = body.get("status", doc["status"])
            if "status" in body and (
                status in ("prelaunch", "terminated") or not _status_ok(doc["type"], status)
            ):
                raise _error(
                    422,
                    f"The status [{status}] is not valid for a channel of type [{doc['type']}]",
                    {"status": "invalid"},
                )
            if channel_id == DEFAULT_CHANNEL and status == "deleted":
                raise _error(422, "The default channel cannot be deleted.", {"status": "invalid"})
            changed = {
                k: body[k]
                for k in ("name", "external_id", "status", "is_listable_from_ui", "is_visible")
                if k in body and body[k] != doc.get(k)
            }
            if changed:
                doc.update(changed)
                doc["date_modified"] = now_iso()
                self._check_duplicate(doc)
                self._write(doc)
            return self._render(doc)

    # ---- currency assignments -------------------------------------------------------------------

    def _store_currencies(self) -> list[str]:
        profile = self.db.store(self.hash)
        return profile.currencies if profile else ["USD"]

    def currencies(self, channel_id: int) -> dict[str, Any]:
        """A channel's currency assignments (the store's own when it has none)."""
        docs = self.docs(
            "SELECT doc FROM channel_currencies WHERE store=? AND channel_id=?",
            self.hash,
            channel_id,
        )
        if docs:
            return docs[0]
        enabled = self._store_currencies()
        return {
            "channel_id": channel_id,
            "enabled_currencies": enabled,
            "default_currency": enabled[0],
        }

    def channel_currencies(self, channel_id: int) -> dict[str, Any]:
        """`GET /channels/{id}/currency-assignments`."""
        self.doc(channel_id)
        return self.currencies(channel_id)

    def all_currencies(self) -> list[dict[str, Any]]:
        """`GET /channels/currency-assignments`: the channels that have assignments."""
        return self.docs(
            "SELECT doc FROM channel_currencies WHERE store=? ORDER BY channel_id", self.hash
        )

    def _assignment(self, item: Any, label: str) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise _error(
                422, "JSON data is missing or invalid", {label or "body": "error.expected.jsobject"}
            )
        missing = {
            label + k: "error.path.missing"
            for k in ("enabled_currencies", "default_currency")
            if k not in item
        }
        if missing:
            raise _error(422, "JSON data is missing or invalid", missing)
        enabled, default = item["enabled_currencies"], item["default_currency"]
        if (
            not isinstance(enabled, list)
            or not enabled
            or not all(isinstance(c, str) and _CURRENCY.match(c) for c in enabled)
        ):
            raise _error(
                422,
                "JSON data is missing or invalid",
                {label + "enabled_currencies": "error.expected.jsarray"},
            )
        store = self._store_currencies()
        unknown = [c for c in enabled if c not in store]
        if unknown:
            raise _error(
                422,
                "The following fields are invalid: `enabled_currencies`",
                {
                    label + "enabled_currencies": "The field `enabled_currencies` contains the "
                    f"following currencies that have not been enabled [{', '.join(unknown)}]"
                },
            )
        if default not in enabled:
            raise _error(
                422,
                "The following fields are invalid: `default_currency`",
                {
                    label
                    + "default_currency": "The default currency must be one of the enabled currencies"
                },
            )
        return {"enabled_currencies": list(dict.fromkeys(enabled)), "default_currency": default}

    def _put_currencies(self, channel_id: int, values: dict[str, Any]) -> dict[str, Any]:
        doc = {"channel_id": channel_id, **values}
        self.execute(
            "INSERT OR REPLACE INTO channel_currencies VALUES (?, ?, ?)",
            self.hash,
            channel_id,
            dumps(doc),
        )
        return doc

    def set_channel_currencies(self, channel_id: int, body: Any) -> dict[str, Any]:
        """`POST`/`PUT /channels/{id}/currency-assignments`."""
        values = self._assignment(body, "")
        with self.tx():
            if not self.exists(channel_id):
                raise _error(
                    422,
                    f"The following `channel_id`s [{channel_id}] are not valid for store {self.hash}.",
                )
            return self._put_currencies(channel_id, values)

    def set_many_currencies(self, body: Any) -> list[dict[str, Any]]:
        """`POST`/`PUT /channels/currency-assignments`: all or nothing."""
        if not isinstance(body, list) or not body:
            raise _error(422, "JSON data is missing or invalid", {"body": "error.expected.jsarray"})
        items = []
        for index, item in enumerate(body):
            values = self._assignment(item, f"[{index}].")
            channel = item.get("channel_id")
            if not isinstance(channel, int) or isinstance(channel, bool):
                raise _error(
                    422,
                    "JSON data is missing or invalid",
                    {f"[{index}].channel_id": "error.path.missing"},
                )
            items.append((channel, values))
        with self.tx():
            known = self.all_ids()
            bad = sorted({c for c, _ in items if c not in known})
            if bad:
                raise _error(
                    422, f"The following `channel_id`s {bad} are not valid for store {self.hash}."
                )
            return [self._put_currencies(c, v) for c, v in items]

    def delete_currencies(self, channel_id: int) -> None:
        """`DELETE /channels/{id}/currency-assignments`: the channel inherits the store's again."""
        with self.tx():
            self.doc(channel_id)
            self.execute(
                "DELETE FROM channel_currencies WHERE store=? AND channel_id=?",
                self.hash,
                channel_id,
            )


# ---- HTTP -----------------------------------------------------------------------------------------


def _with_currencies(call: Call) -> bool:
    include = call.query.get("include", "")
    if include and include != "currencies":
        raise _error(422, f'Query parameter "include" value must be currencies, not "{include}".')
    return include == "currencies"


async def list_channels(call: Call) -> Any:
    query = call.list_query(LIST)
    page = await call.run(call.store.channels.find, query, _with_currencies(call))
    return listing(page, lambda c: c)


async def create_channel(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.channels.create, body))


async def get_channel(call: Call) -> Any:
    return one(
        await call.run(call.store.channels.get, call.int("channel_id"), _with_currencies(call))
    )


async def update_channel(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.channels.update, call.int("channel_id"), body))


async def list_currencies(call: Call) -> Any:
    return json_response({"data": await call.run(call.store.channels.all_currencies), "meta": {}})


async def set_currencies(call: Call) -> Any:
    body = await call.body()
    return json_response(
        {"data": await call.run(call.store.channels.set_many_currencies, body), "meta": {}}
    )


async def channel_currencies(call: Call) -> Any:
    return one(await call.run(call.store.channels.channel_currencies, call.int("channel_id")))


async def set_channel_currencies(call: Call) -> Any:
    body = await call.body()
    channel = call.int("channel_id")
    return one(await call.run(call.store.channels.set_channel_currencies, channel, body))


async def delete_channel_currencies(call: Call) -> Any:
    channel = call.int("channel_id")
    await call.run(call.store.channels.delete_currencies, channel)
    return json_response({"data": channel, "meta": {}})


_INCLUDE = frozenset({"include"})
ROUTES = [
    Route("GET", "/v3/channels", list_channels, LIST, _INCLUDE),
    Route("POST", "/v3/channels", create_channel),
    Route("GET", "/v3/channels/currency-assignments", list_currencies),
    Route("POST", "/v3/channels/currency-assignments", set_currencies),
    Route("PUT", "/v3/channels/currency-assignments", set_currencies),
    Route("GET", "/v3/channels/{channel_id}", get_channel, extra=_INCLUDE),
    Route("PUT", "/v3/channels/{channel_id}", update_channel),
    Route("GET", "/v3/channels/{channel_id}/currency-assignments", channel_currencies),
    Route("POST", "/v3/channels/{channel_id}/currency-assignments", set_channel_currencies),
    Route("PUT", "/v3/channels/{channel_id}/currency-assignments", set_channel_currencies),
    Route("DELETE", "/v3/channels/{channel_id}/currency-assignments", delete_channel_currencies),
]
