"""Driving the reconcilers: when an object is due, and what to do with an outcome. One piece of code
for the kopf timers and the standalone loop, so that both behave the same."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.reconcile.deployment import reconcile_deployment
from controller.reconcile.environment import reconcile_environment
from controller.reconcile.outcome import Outcome
from controller.reconcile.services import EventType, Services
from controller.reconcile.snapshot import reconcile_snapshot
from controller.reconcile.status import StatusWriter

Reconciler = Callable[[dict[str, Any], Services, StatusWriter], Awaitable[Outcome]]
RECONCILERS: dict[str, Reconciler] = {
    "CatalogSnapshot": reconcile_snapshot,
    "StoreEnvironment": reconcile_environment,
    "StoreDeployment": reconcile_deployment,
}


def fingerprint(obj: Mapping[str, Any]) -> str:
    """What makes an object due at once when it changes: its generation and its annotations (the
    capture, refresh and approval requests live there)."""
    meta = obj.get("metadata", {})
    payload = [meta.get("generation"), meta.get("annotations") or {}]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


BACKOFF_FIRST = 1.0  # the first retry of an object waiting on another; doubled up to its cap


@dataclass
class DueTracker:
    """Level-based scheduling: an object is due when it changed, its requeue time has come, or
    something it may wait on changed in its namespace (`wake`)."""

    clock: Callable[[], float] = time.monotonic
    on_due: Callable[[str], None] | None = None  # told the key of an object made due by `due_now`
    _seen: dict[str, str] = field(default_factory=dict)
    _due: dict[str, float] = field(default_factory=dict)
    _namespaces: dict[str, str] = field(default_factory=dict)
    _waits: dict[str, int] = field(default_factory=dict)
    _situations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _unsettled: set[str] = field(default_factory=set)
    _keys: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def is_due(self, key: str, obj: Mapping[str, Any]) -> bool:
        """Whether to reconcile the object now."""
        meta = obj.get("metadata", {})
        self._namespaces[key] = str(meta.get("namespace", "default"))
        self._keys[(str(obj.get("kind")), self._namespaces[key], str(meta.get("name")))] = key
        return fingerprint(obj) != self._seen.get(key) or self.clock() >= self._due.get(key, 0.0)

    def done(
        self,
        key: str,
        obj: Mapping[str, Any],
        requeue_after: float | None,
        *,
        waiting: bool = False,
    ) -> None:
        """Record a reconcile; None means: not again until the object changes. An object waiting
        on another is retried with backoff: 1 s, 2 s, 4 s ... up to `requeue_after`."""
        self._seen[key] = fingerprint(obj)
        if waiting and requeue_after is not None:
            attempt = self._waits[key] = self._waits.get(key, 0) + 1
            requeue_after = min(requeue_after, BACKOFF_FIRST * 2 ** (attempt - 1))
        else:
            self._waits.pop(key, None)
        self._due[key] = self.clock() + requeue_after if requeue_after is not None else float("inf")

    def wake(self, namespace: str, *, besides: str | None = None) -> None:
        """Make the objects of a namespace that are waiting or stalled due now (a Secret or another
        object there changed); healthy ones are left alone (a look costs store quota)."""
        for key, found in self._namespaces.items():
            if found == namespace and key != besides and key in self._unsettled:
                self._due[key] = 0.0
                self._waits.pop(key, None)

    def due_now(self, kind: str, namespace: str, name: str) -> None:
        """Make one object due at once (its store sent news)."""
        key = self._keys.get((kind, namespace, name))
        if key is not None:
            self._due[key] = 0.0
            if self.on_due is not None:
                self.on_due(key)

    def forget(self, key: str) -> None:
        """Drop a deleted object."""
        for table in (self._seen, self._due, self._namespaces, self._waits, self._situations):
            table.pop(key, None)
        self._unsettled.discard(key)

    def settle(self, key: str, obj: Mapping[str, Any], outcome: Outcome) -> None:
        """Record an outcome; when the object's situation changed, its neighbours may be waiting
        on it, so they are looked at again at once."""
        self.done(key, obj, outcome.requeue_after, waiting=outcome.result == "waiting")
        if outcome.result == "success":
            self._unsettled.discard(key)
        else:
            self._unsettled.add(key)
        namespace = self._namespaces.get(key, "default")
        for kind, name in outcome.touches:
            if (touched := self._keys.get((kind, namespace, name))) is not None:
                self._due[touched] = 0.0
        situation = _situation(outcome.status)
        if self._situations.get(key) != situation:
            self._situations[key] = situation
            self.wake(namespace, besides=key)


async def drive(
    obj: dict[str, Any],
    services: Services,
    *,
    write_status: Callable[[dict[str, Any]], Awaitable[None]],
    emit: Callable[[EventType, str, str], Awaitable[None]],
) -> Outcome:
    """Reconcile one object: time it, write what changed in its status (an awaited merge patch of
    its own status, nothing when nothing changed), emit its events."""
    kind = str(obj.get("kind"))
    started = time.monotonic()
    observer = services.observer

    async def write(patch: dict[str, Any]) -> None:
        await write_status(patch)
        if observer is not None:
            observer.written(obj, patch)

    writer = StatusWriter(obj.get("status"), write)
    outcome = await RECONCILERS[kind](obj, services, writer)
    services.metrics.reconcile_seconds.labels(kind, outcome.result).observe(
        time.monotonic() - started
    )
    before = _situation(obj.get("status"))
    if before[0] != "True":  # one Warning per change of situation, not one per retry
        outcome.events = [
            e for e in outcome.events if not (e[0] == "Warning" and e[1] == before[1])
        ]
    await writer.final(outcome.status)
    for type_, reason, message in outcome.events:
        await emit(type_, reason, message)
    return outcome


def _situation(status: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Ready's status and reason, and the phase: what dependents of an object may wait on."""
    status = status or {}
    ready: Mapping[str, Any] = next(
        (c for c in status.get("conditions", []) if c.get("type") == "Ready"), {}
    )
    return (str(ready.get("status")), str(ready.get("reason")), str(status.get("phase")))
