"""The SQLite database of one emulator process: every store, its profile and token, its records.

Records are JSON documents next to the indexed columns the rules need; each resource module declares
its own tables. All access goes through one lock, and the server runs it on one worker thread so that
the event loop never waits on SQLite.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import orjson

if TYPE_CHECKING:
    from controller.emulator.store import Store

P = ParamSpec("P")
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stores (hash TEXT PRIMARY KEY, token TEXT NOT NULL, profile TEXT NOT NULL,
    id_base INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seq (store TEXT, kind TEXT, next INTEGER, PRIMARY KEY (store, kind));
"""


def dumps(value: Any) -> str:
    """JSON text of a document."""
    return orjson.dumps(value).decode()


def now_iso() -> str:
    """The current time as the API writes it (ISO 8601 with offset)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def slug(text: str) -> str:
    """URL path segment of a name, as the storefront builds it."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


@dataclass
class StoreProfile:
    """What `/v2/store` reports of a store, plus its access token."""

    hash: str
    token: str
    name: str = "Emulated Store"
    timezone: str = "America/Chicago"
    currency: str = "USD"
    plan_name: str = "Pro"
    domain: str = ""
    language: str = "en"
    country: str = "United States"
    country_code: str = "US"
    # Currencies set up in the store's control panel besides `currency` (channels may use them).
    other_currencies: str = "EUR,GBP,CAD,AUD"

    @property
    def currencies(self) -> list[str]:
        """The store's enabled currencies, its default first."""
        others = [c for c in self.other_currencies.split(",") if c and c != self.currency]
        return [self.currency, *others]

    def to_json(self) -> dict[str, Any]:
        """Profile fields, for storage (the token is stored in its own column)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("hash", "token")}


@dataclass(frozen=True)
class Page:
    """One page of a list and its pagination facts."""

    items: list[dict[str, Any]]
    total: int
    page: int
    limit: int


@dataclass(frozen=True)
class Event:
    """A change a webhook may be subscribed to: `store/product/updated` of `{type, id}`."""

    store: str
    scope: str
    data: dict[str, Any]


class StoreDB:
    """All stores of one emulator process, in one SQLite database (a file, or `:memory:`)."""

    def __init__(self, path: str = ":memory:"):
        from controller.emulator.store import SCHEMA, TABLES

        self.path = path
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute(
            "PRAGMA journal_mode=WAL" if path != ":memory:" else "PRAGMA journal_mode=MEMORY"
        )
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA cache_size=-65536")  # 64 MiB, whatever the size of the catalog
        self.conn.executescript(_SCHEMA + SCHEMA)
        self._tables = (*TABLES, "seq")
        self.lock = threading.RLock()
        self._id_bases: dict[str, int] = {}
        # Profiles by hash, read on every request: kept in memory, so that authentication never
        # waits on SQLite (None: not loaded yet).
        self._profiles: dict[str, StoreProfile] | None = None
        self._worker: ThreadPoolExecutor | None = None
        # Events of the open transaction, handed to `on_events` when it commits.
        self._events: list[Event] = []
        self.on_events: Callable[[list[Event]], None] | None = None

    def close(self) -> None:
        """Close the database (and its worker thread)."""
        self.release()
        self.conn.close()

    def release(self) -> None:
        """Stop the worker thread (a later `run` starts another)."""
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None

    # ---- plumbing -------------------------------------------------------------------------------

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the database's worker thread, under the lock: the event loop stays free."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-db")

        def locked() -> T:
            with self.lock:
                return fn(*args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._worker, locked)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction (joined when one is already open on this connection)."""
        with self.lock:
            if self.conn.in_transaction:  # nested inside bulk(): one outer transaction
                yield self.conn
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                self._events.clear()
                raise
            self.conn.execute("COMMIT")
            events, self._events = self._events, []
            if events and self.on_events is not None:
                self.on_events(events)

    def emit(self, store: str, scope: str, data: dict[str, Any]) -> None:
        """Record an event of the open transaction (delivered to webhooks if it commits)."""
        if self.on_events is not None:
            self._events.append(Event(store, scope, data))

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Run many operations in one transaction (seeding): all or nothing, and fast."""
        with self.tx():
            yield

    def one(self, sql: str, *params: Any) -> Any:
        """The first column of the first row, or None."""
        with self.lock:
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def docs(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """The JSON documents of the first column."""
        with self.lock:
            return [orjson.loads(r[0]) for r in self.conn.execute(sql, params)]

    def next_id(self, store: str, kind: str) -> int:
        """The next id of a kind in a store (ids start at a different point in every store)."""
        base = self._id_bases.get(store)
        if base is None:
            base = self._id_bases[store] = self.one(
                "SELECT id_base FROM stores WHERE hash=?", store
            )
        current = self.one("SELECT next FROM seq WHERE store=? AND kind=?", store, kind)
        value = current if current is not None else base
        self.conn.execute(
            "INSERT INTO seq (store, kind, next) VALUES (?, ?, ?) "
            "ON CONFLICT (store, kind) DO UPDATE SET next=excluded.next",
            (store, kind, value + 1),
        )
        return int(value)

    # ---- stores ---------------------------------------------------------------------------------

    def bind(self, store: str) -> Store:
        """The resources of one store."""
        from controller.emulator.store import Store

        return Store(self, store)

    def put_store(self, profile: StoreProfile) -> None:
        """Create a store, or update its token and profile (its catalog is kept)."""
        profile.domain = profile.domain or f"{profile.hash}.example-store.test"
        id_base = 100 + (zlib.crc32(profile.hash.encode()) % 900) * 10
        with self.tx() as conn:
            conn.execute(
                "INSERT INTO stores (hash, token, profile, id_base) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (hash) DO UPDATE SET token=excluded.token, profile=excluded.profile",
                (profile.hash, profile.token, dumps(profile.to_json()), id_base),
            )
        self._profiles = None

    def stores(self) -> list[StoreProfile]:
        """Every store, with its token."""
        with self.lock:
            rows = self.conn.execute(
                "SELECT hash, token, profile FROM stores ORDER BY hash"
            ).fetchall()
        return [StoreProfile(hash=h, token=t, **orjson.loads(p)) for h, t, p in rows]

    @property
    def profiles_loaded(self) -> bool:
        """Whether `store()` answers from memory."""
        return self._profiles is not None

    def store(self, store: str) -> StoreProfile | None:
        """One store, or None (from memory once loaded)."""
        profiles = self._profiles
        if profiles is None:
            profiles = self._profiles = {p.hash: p for p in self.stores()}
        return profiles.get(store)

    def reset_store(self, store: str) -> None:
        """Delete every record of a store (its profile and token stay)."""
        with self.tx() as conn:
            for table in self._tables:
                conn.execute(f"DELETE FROM {table} WHERE store=?", (store,))

    def delete_store(self, store: str) -> None:
        """Remove a store and everything in it."""
        self.reset_store(store)
        with self.tx() as conn:
            conn.execute("DELETE FROM stores WHERE hash=?", (store,))
        self._profiles = None

    def counts(self, store: str) -> dict[str, int]:
        """Record counts of one store."""
        return {
            table: int(self.one(f"SELECT COUNT(*) FROM {table} WHERE store=?", store))
            for table in (
                "products",
                "variants",
                "categories",
                "brands",
                "custom_fields",
                "images",
                "scripts",
                "themes",
            )
        }

    # ---- the record operations seeding uses -----------------------------------------------------

    def create_product(self, store: str, body: Any, *, render: bool = True) -> dict[str, Any]:
        """`POST /catalog/products` on `store`."""
        return self.bind(store).products.create(body, render=render)

    def create_categories(self, store: str, body: Any) -> list[dict[str, Any]]:
        """`POST /catalog/trees/categories` on `store`."""
        return self.bind(store).categories.create_many(body)

    def create_brand(self, store: str, body: Any) -> dict[str, Any]:
        """`POST /catalog/brands` on `store`."""
        return self.bind(store).brands.create(body)
