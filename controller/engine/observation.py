"""A store's catalog kept as observed between drift checks, so that a check reads only what
changed (Kubernetes' list + watch + resync, applied to a store): a full read first and every
`resync` seconds; in between, the products modified since the last read (with a safety overlap of
the store's clock), deletions found by counts, and the products a webhook named."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import weakref
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from controller.catalog.kinds import Kind
from controller.catalog.model import Catalog
from controller.catalog.observed import ObservedCatalog
from controller.catalog.provider import Provider
from controller.engine.sync import Assessment, assess, compared_fields, managed_kinds
from controller.planner import Options

OVERLAP = timedelta(seconds=30)  # changes this close before the last read are read again


class Mode(enum.StrEnum):
    """How the last check observed the store."""

    FULL = "full"  # everything read
    INCREMENTAL = "incremental"  # what changed since the last read
    WEBHOOKS = "webhooks"  # what the store's webhooks named, and counts


class Incremental(Provider, Protocol):
    """A provider that reads what changed."""

    async def store_clock(self) -> datetime:
        """The store's clock now."""
        ...

    async def observe_changes(
        self,
        observed: ObservedCatalog,
        since: datetime,
        kinds: Collection[Kind],
        *,
        ids: Iterable[int] | None = None,
        fields: Mapping[Kind, Collection[str]] | None = None,
        like: Catalog | None = None,
    ) -> tuple[datetime, bool]:
        """Bring `observed` up to date in place: the store's clock as the read began, and
        whether anything had changed."""
        ...


@dataclass
class Observation:
    """One store as last observed (the compact records the planner compares), and when."""

    observed: ObservedCatalog | None = None
    kinds: frozenset[Kind] = frozenset()
    fields: Mapping[Kind, frozenset[str]] | None = None  # kept of each kind (None: all)
    since: datetime | None = None  # the store's clock from which changes are read next
    full_at: datetime | None = None  # when the last full read began
    mode: Mode = Mode.FULL
    requests: int = 0  # spent by the last check
    pending: set[int] = field(default_factory=set)  # product ids named by webhooks since
    heavy: asyncio.Semaphore | None = None  # bounds the full reads and plans made at once
    changed: bool = True  # whether the last refresh found anything new
    hooks_kept: datetime | None = None  # when the store's webhooks were last made right
    store_info: dict[str, Any] | None = None  # the store's profile, read with each full read
    heard: bool = False  # a webhook delivery arrived since
    # the last assessment, while it found the store in sync: (catalog, options, assessment)
    _in_sync: tuple[weakref.ref[Catalog], Options, Assessment] | None = None

    async def refresh(
        self,
        store: Incremental,
        kinds: Collection[Kind],
        *,
        now: datetime,
        resync: float,
        webhooks: bool = False,
        fields: Mapping[Kind, frozenset[str]] | None = None,
        like: Catalog | None = None,
    ) -> ObservedCatalog:
        """The store as it is now, read at the cost of what changed since the last refresh (all
        of it when there was none, the kinds or `fields` differ, or `resync` seconds passed since
        the last full read). Records keep only `fields` of the kinds named there (what a catalog
        compares), values equal to `like`'s as its objects. With `webhooks` healthy, only the
        products they named are read again."""
        try:
            return await self._refresh(store, frozenset(kinds), fields, now, resync, webhooks, like)
        except BaseException:  # half brought up to date: read everything next time
            self.forget()
            raise

    async def _refresh(
        self,
        store: Incremental,
        wanted: frozenset[Kind],
        fields: Mapping[Kind, frozenset[str]] | None,
        now: datetime,
        resync: float,
        webhooks: bool,
        like: Catalog | None,
    ) -> ObservedCatalog:
        before = store.requests
        if (
            self.observed is None
            or self.since is None
            or wanted != self.kinds
            or fields != self.fields
            or self.full_due(now, resync)
        ):
            self.observed = None  # the old one goes before the new one is read
            async with self.heavy or contextlib.nullcontext():
                clock = await store.store_clock()
                self.observed = await store.observe(wanted, fields=fields, like=like)
            self.kinds, self.fields, self.full_at, self.mode = wanted, fields, now, Mode.FULL
            self.changed = True
        else:
            named, self.pending = (self.pending, set()) if webhooks else (None, set())
            clock, self.changed = await store.observe_changes(
                self.observed, self.since, wanted, ids=named, fields=fields, like=like
            )
            self.mode = Mode.WEBHOOKS if webhooks else Mode.INCREMENTAL
        self.since = clock - OVERLAP
        self.requests = store.requests - before
        return self.observed

    async def assess(
        self, store: Incremental, desired: Catalog, options: Options, **refresh: Any
    ) -> Assessment:
        """Refresh (keeping only the fields `desired` sets; `refresh` as for `refresh`), then
        compare with `desired`; when nothing changed since an assessment that found the store in
        sync with the same catalog and options, that one again (no plan is made: such a check
        costs only its reads)."""
        kinds, fields = managed_kinds(desired), compared_fields(desired)
        observed = await self.refresh(store, kinds, fields=fields, like=desired, **refresh)
        if not self.changed and self._in_sync is not None:
            catalog, last_options, assessment = self._in_sync
            if catalog() is desired and last_options == options:
                return assessment
        async with self.heavy or contextlib.nullcontext():
            assessment = await assess(store, desired, options, observed=observed)
        in_sync = not assessment.plan.steps and assessment.drift.in_sync
        self._in_sync = (weakref.ref(desired), options, assessment) if in_sync else None
        return assessment

    def full_due(self, now: datetime, resync: float) -> bool:
        """Whether the next refresh reads everything because `resync` seconds passed (or none
        has been made)."""
        return self.full_at is None or (now - self.full_at).total_seconds() >= resync

    def forget(self) -> None:
        """Drop the observation (the next refresh reads everything)."""
        self.observed, self.since, self.full_at, self._in_sync = None, None, None, None
        self.store_info = None


class Observations:
    """The observation of each environment's store, by (namespace, name); at most `heavy` of
    them read a whole store or plan at once (the heavy parts of a check, in memory and time)."""

    def __init__(self, heavy: int = 1) -> None:
        self._by: dict[tuple[str, str], tuple[str, Observation]] = {}
        self.heavy = asyncio.Semaphore(heavy)

    def of(self, namespace: str, name: str, store: str) -> Observation:
        """The environment's observation of `store` (a new one when it names another store)."""
        found = self._by.get((namespace, name))
        if found is None or found[0] != store:
            found = self._by[(namespace, name)] = (store, Observation(heavy=self.heavy))
        return found[1]

    def named(self, namespace: str, name: str) -> Observation | None:
        """The environment's observation, if there is one."""
        found = self._by.get((namespace, name))
        return None if found is None else found[1]

    def forget(self, namespace: str, name: str) -> None:
        """Drop an environment's observation (deleted)."""
        self._by.pop((namespace, name), None)
