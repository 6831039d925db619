"""Webhooks: `/v3/hooks` (each API client sees its own), and their delivery: a light payload POSTed to
the destination with the hook's custom headers when a store's records change, retried at increasing
intervals, the hook deactivated after the last retry fails, a destination domain that fails too often
blocklisted for a while (as the platform's webhook documentation describes; timings configurable)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from controller.emulator.database import Event, Page, StoreDB, dumps
from controller.emulator.errors import ApiError, invalid, not_found
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
    one,
)
from controller.emulator.resources.store_info import numeric_store_id

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS hooks (store TEXT, id INTEGER, client_id TEXT, doc TEXT,
    PRIMARY KEY (store, id));
CREATE TABLE IF NOT EXISTS hook_emails (store TEXT, client_id TEXT, doc TEXT,
    PRIMARY KEY (store, client_id));
"""
TABLES = ("hooks", "hook_emails")

LIST = ListSpec(
    filters={
        "is_active": Filter(json_field("is_active"), "bool"),
        "scope": Filter(json_field("scope"), "str"),
        "destination": Filter(json_field("destination"), "str"),
    },
    direction=False,
    fields=False,
)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class WebhookSettings:
    """Delivery timings (the platform's by default; tests shorten them)."""

    # Seconds before each retry after a failed delivery; the hook is deactivated after the last.
    retry_intervals: tuple[float, ...] = (
        *(60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400),
    )
    timeout_s: float = 10.0
    # A domain whose success ratio in the window falls below `blocklist_ratio` (once it has seen
    # `blocklist_min_requests`) is blocklisted for `blocklist_s`; its deliveries wait for a retry.
    blocklist_window_s: float = 120.0
    blocklist_min_requests: int = 100
    blocklist_ratio: float = 0.9
    blocklist_s: float = 180.0
    # The platform only delivers to https on port 443; the emulator also accepts loopback URLs,
    # so that tests can receive callbacks.
    loopback_destinations: bool = True


def _unix() -> int:
    return int(time.time())


class Hooks(Resource):
    """The webhooks of one store, owned by the API client that created them."""

    def _check(self, fields: dict[str, Any], settings: WebhookSettings) -> None:
        scope = fields.get("scope")
        if scope is not None and (
            not isinstance(scope, str) or not scope.startswith("store/") or len(scope) < 7
        ):
            raise invalid("scope", "scope must be a webhook event such as store/product/updated")
        destination = fields.get("destination")
        if destination is not None:
            if not isinstance(destination, str):
                raise invalid("destination", "destination must be a URL")
            parts = urlsplit(destination)
            loopback = settings.loopback_destinations and parts.hostname in LOOPBACK
            secure = parts.scheme == "https" and parts.port in (None, 443)
            if not parts.hostname or not (
                secure or (loopback and parts.scheme in ("http", "https"))
            ):
                raise invalid("destination", "destination must be an https URL on port 443")
        headers = fields.get("headers")
        if headers is not None and (
            not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())
        ):
            raise invalid("headers", "headers must be an object of strings")
        if "is_active" in fields and not isinstance(fields["is_active"], bool):
            raise invalid("is_active", "is_active must be a boolean")

    def create(self, body: Any, client_id: str, settings: WebhookSettings) -> dict[str, Any]:
        """`POST /hooks`."""
        if not isinstance(body, dict):
            raise invalid("body", "must be a JSON object")
        for name in ("scope", "destination"):
            if not body.get(name):
                raise invalid(name, f"{name} is required")
        fields = {k: body[k] for k in ("scope", "destination", "is_active", "headers") if k in body}
        self._check(fields, settings)
        with self.tx():
            stamp = _unix()
            doc = {
                "id": self.next_id("hook"),
                "client_id": client_id,
                "store_hash": self.hash,
                "scope": fields["scope"],
                "destination": fields["destination"],
                "headers": fields.get("headers"),
                "is_active": fields.get("is_active", True),
                "created_at": stamp,
                "updated_at": stamp,
            }
            doc["status"] = "active" if doc["is_active"] else "inactive"
            self._save(doc)
            return doc

    def _save(self, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO hooks VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            doc["client_id"],
            dumps(doc),
        )

    def get(self, hook_id: int, client_id: str | None) -> dict[str, Any]:
        """`GET /hooks/{id}` (None: whichever client owns it)."""
        docs = self.docs("SELECT doc FROM hooks WHERE store=? AND id=?", self.hash, hook_id)
        if not docs or (client_id is not None and docs[0]["client_id"] != client_id):
            raise not_found("webhook")
        return docs[0]

    def update(
        self, hook_id: int, body: Any, client_id: str, settings: WebhookSettings
    ) -> dict[str, Any]:
        """`PUT /hooks/{id}`: at least one field; `is_active: true` reactivates a deactivated hook."""
        if not isinstance(body, dict):
            raise invalid("body", "must be a JSON object")
        fields = {k: body[k] for k in ("scope", "destination", "is_active", "headers") if k in body}
        if not fields:
            raise invalid("body", "at least one of scope, destination, is_active, headers")
        self._check(fields, settings)
        with self.tx():
            doc = {**self.get(hook_id, client_id), **fields, "updated_at": _unix()}
            if "is_active" in fields:
                doc["status"] = "active" if doc["is_active"] else "inactive"
            self._save(doc)
            return doc

    def deactivate(self, hook_id: int) -> None:
        """The last retry failed: the hook stops until it is set active again."""
        with self.tx():
            docs = self.docs("SELECT doc FROM hooks WHERE store=? AND id=?", self.hash, hook_id)
            if docs:
                self._save({**docs[0], "is_active": False, "status": "deactivated"})

    def delete(self, hook_id: int, client_id: str) -> dict[str, Any]:
        """`DELETE /hooks/{id}`: answers the deleted hook."""
        with self.tx():
            doc = self.get(hook_id, client_id)
            self.execute("DELETE FROM hooks WHERE store=? AND id=?", self.hash, hook_id)
            return doc

    def find(self, client_id: str, query: ListQuery) -> Page:
        """`GET /hooks`."""
        return self.list_page("hooks", query, ["client_id=?"], [client_id])

    def active(self) -> list[dict[str, Any]]:
        """The store's active hooks."""
        return self.docs(
            "SELECT doc FROM hooks WHERE store=? AND json_extract(doc, '$.is_active')", self.hash
        )

    def emails(self, client_id: str) -> list[str]:
        """Notification emails of an API client."""
        docs = self.docs(
            "SELECT doc FROM hook_emails WHERE store=? AND client_id=?", self.hash, client_id
        )
        return list(docs[0]["emails"]) if docs else []

    def set_emails(self, body: Any, client_id: str) -> None:
        """`PUT /hooks/admin`."""
        emails = body.get("emails") if isinstance(body, dict) else None
        if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
            raise invalid("emails", "emails must be a list of email addresses")
        with self.tx():
            self.execute(
                "INSERT OR REPLACE INTO hook_emails VALUES (?, ?, ?)",
                self.hash,
                client_id,
                dumps({"emails": emails}),
            )


def covers(subscribed: str, scope: str) -> bool:
    """Whether a hook's scope covers an event's scope."""
    if subscribed.endswith("/*"):
        return scope.startswith(subscribed[:-1])
    return subscribed == scope


def public(hook: dict[str, Any]) -> dict[str, Any]:
    """A hook as the API shows it."""
    return {k: v for k, v in hook.items() if k != "status"}


# ---- delivery -------------------------------------------------------------------------------------


@dataclass
class _Domain:
    """Outcomes of deliveries to one domain for one API client, in the sliding window."""

    outcomes: deque[tuple[float, bool]] = field(default_factory=deque)
    blocked_until: float = 0.0
    failures: int = 0


class Dispatcher:
    """Delivers the events of committed transactions to the hooks subscribed to them."""

    def __init__(self, db: StoreDB, settings: WebhookSettings):
        self.db = db
        self.settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._domains: dict[tuple[str, str], _Domain] = {}

    async def start(self) -> None:
        """Begin delivering (on the running loop)."""
        self._loop = asyncio.get_running_loop()
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s)
        )
        self.db.on_events = self.submit

    async def stop(self) -> None:
        """Stop delivering; pending deliveries and retries are dropped."""
        self.db.on_events = None
        self._loop = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    def submit(self, events: list[Event]) -> None:
        """Called when a transaction commits (on the database's thread, under its lock)."""
        loop = self._loop
        if loop is None:
            return
        active: dict[str, list[dict[str, Any]]] = {}
        seen: set[tuple[str, str, bytes]] = set()
        for event in events:
            if event.store not in active:
                active[event.store] = self.db.bind(event.store).hooks.active()
            hooks = [h for h in active[event.store] if covers(h["scope"], event.scope)]
            if not hooks:
                continue
            key = (event.store, event.scope, orjson.dumps(event.data, option=orjson.OPT_SORT_KEYS))
            if key in seen:
                continue
            seen.add(key)
            body = payload(event)
            for hook in hooks:
                with contextlib.suppress(RuntimeError):  # the loop closed: the emulator stopped
                    loop.call_soon_threadsafe(self._spawn, hook, body)

    def _spawn(self, hook: dict[str, Any], body: dict[str, Any]) -> None:
        if self._session is None:
            return  # stopped meanwhile
        task = asyncio.get_running_loop().create_task(self._deliver(hook, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, hook: dict[str, Any], body: dict[str, Any]) -> None:
        hooks = self.db.bind(hook["store_hash"]).hooks
        for attempt, delay in enumerate((0.0, *self.settings.retry_intervals)):
            if attempt:
                await asyncio.sleep(delay)
                try:
                    hook = await self.db.run(hooks.get, hook["id"], None)
                except ApiError:
                    return  # deleted meanwhile
                if not hook["is_active"]:
                    return
            if await self._post(hook, body):
                return
        await self.db.run(hooks.deactivate, hook["id"])
        logger.info("emulator: webhook %s deactivated after its last retry", hook["id"])

    async def _post(self, hook: dict[str, Any], body: dict[str, Any]) -> bool:
        domain = self._domain(hook)
        now = time.monotonic()
        if domain.blocked_until > now:
            return False
        assert self._session is not None
        headers = {**(hook.get("headers") or {}), "Content-Type": "application/json"}
        try:
            async with self._session.post(
                hook["destination"], data=orjson.dumps(body), headers=headers, allow_redirects=False
            ) as response:
                ok = 200 <= response.status < 300
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        self._record(domain, ok)
        return ok

    def _domain(self, hook: dict[str, Any]) -> _Domain:
        key = (hook["client_id"], urlsplit(hook["destination"]).hostname or "")
        return self._domains.setdefault(key, _Domain())

    def _record(self, domain: _Domain, ok: bool) -> None:
        s = self.settings
        now = time.monotonic()
        domain.outcomes.append((now, ok))
        while domain.outcomes and domain.outcomes[0][0] < now - s.blocklist_window_s:
            domain.outcomes.popleft()
        domain.failures += 0 if ok else 1
        total = len(domain.outcomes)
        successes = sum(1 for _, good in domain.outcomes if good)
        if total >= s.blocklist_min_requests and successes / total < s.blocklist_ratio:
            domain.blocked_until = now + s.blocklist_s
            domain.outcomes.clear()

    def blocked(self, client_id: str) -> list[dict[str, Any]]:
        """The client's blocklisted domains, as `GET /hooks/admin` shows them."""
        now = time.monotonic()
        return [
            {
                "destination": host,
                "time_left": int(domain.blocked_until - now),
                "reasons": [
                    {
                        "failure_description": "success ratio below the threshold",
                        "count": domain.failures,
                        "timestamp": _unix(),
                    }
                ],
            }
            for (client, host), domain in self._domains.items()
            if client == client_id and domain.blocked_until > now
        ]


def payload(event: Event) -> dict[str, Any]:
    """The callback body of an event, in the documented shape."""
    body: dict[str, Any] = {
        "scope": event.scope,
        "store_id": str(numeric_store_id(event.store)),
        "data": event.data,
        "created_at": _unix(),
        "producer": f"stores/{event.store}",
    }
    body["hash"] = hashlib.sha1(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return body


# ---- HTTP -----------------------------------------------------------------------------------------


def _settings(call: Call) -> WebhookSettings:
    settings: WebhookSettings = call.settings["webhooks"]
    return settings


async def list_hooks(call: Call) -> Any:
    query = call.list_query(LIST)
    return listing(await call.run(call.store.hooks.find, call.client_id, query), public)


async def create_hook(call: Call) -> Any:
    body = await call.body()
    created = await call.run(call.store.hooks.create, body, call.client_id, _settings(call))
    return one(public(created))


async def get_hook(call: Call) -> Any:
    return one(public(await call.run(call.store.hooks.get, call.int("webhook_id"), call.client_id)))


async def update_hook(call: Call) -> Any:
    body = await call.body()
    hook_id = call.int("webhook_id")
    updated = await call.run(
        call.store.hooks.update, hook_id, body, call.client_id, _settings(call)
    )
    return one(public(updated))


async def delete_hook(call: Call) -> Any:
    deleted = await call.run(call.store.hooks.delete, call.int("webhook_id"), call.client_id)
    return one(public(deleted))


async def get_admin(call: Call) -> Any:
    hooks = call.store.hooks
    query = ListQuery(
        LIST, {**{k: v for k, v in call.query.items() if k == "is_active"}, "limit": "250"}
    )
    page = await call.run(hooks.find, call.client_id, query)
    emails = await call.run(hooks.emails, call.client_id)
    dispatcher: Dispatcher | None = call.settings.get("dispatcher")
    data = {
        "emails": emails,
        "hooks_list": page.items,
        "blocked_domains": dispatcher.blocked(call.client_id) if dispatcher else [],
    }
    return json_response({"data": data, "meta": {}})


async def put_admin(call: Call) -> Any:
    body = await call.body()
    await call.run(call.store.hooks.set_emails, body, call.client_id)
    return no_content()


ROUTES = [
    Route("GET", "/v3/hooks", list_hooks, LIST),
    Route("POST", "/v3/hooks", create_hook),
    Route("GET", "/v3/hooks/admin", get_admin, extra=frozenset({"is_active"})),
    Route("PUT", "/v3/hooks/admin", put_admin),
    Route("GET", "/v3/hooks/{webhook_id}", get_hook),
    Route("PUT", "/v3/hooks/{webhook_id}", update_hook),
    Route("DELETE", "/v3/hooks/{webhook_id}", delete_hook),
]
