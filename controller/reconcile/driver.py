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

Reconciler = Callable[[dict[str, Any], Services], Awaitable[Outcome]]
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


@dataclass
class DueTracker:
    """Level-based scheduling: an object is due when it changed or its requeue time has come."""

    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, str] = field(default_factory=dict)
    _due: dict[str, float] = field(default_factory=dict)

    def is_due(self, key: str, obj: Mapping[str, Any]) -> bool:
        """Whether to reconcile the object now."""
        return fingerprint(obj) != self._seen.get(key) or self.clock() >= self._due.get(key, 0.0)

    def done(self, key: str, obj: Mapping[str, Any], requeue_after: float | None) -> None:
        """Record a reconcile; None means: not again until the object changes."""
        self._seen[key] = fingerprint(obj)
        self._due[key] = self.clock() + requeue_after if requeue_after is not None else float("inf")

    def forget(self, key: str) -> None:
        """Drop a deleted object."""
        self._seen.pop(key, None)
        self._due.pop(key, None)


async def drive(
    obj: dict[str, Any],
    services: Services,
    *,
    write_status: Callable[[dict[str, Any]], Awaitable[None]],
    emit: Callable[[EventType, str, str], Awaitable[None]],
) -> Outcome:
    """Reconcile one object: time it, write its status, emit its events."""
    kind = str(obj.get("kind"))
    started = time.monotonic()
    outcome = await RECONCILERS[kind](obj, services)
    result = "error" if any(type_ == "Warning" for type_, _, _ in outcome.events) else "success"
    services.metrics.reconcile_seconds.labels(kind, result).observe(time.monotonic() - started)
    await write_status(outcome.status)
    for type_, reason, message in outcome.events:
        await emit(type_, reason, message)
    return outcome


def status_patch(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON merge patch from one status to another (keys that disappear become null)."""
    patch: dict[str, Any] = dict(new)
    for key in old or {}:
        if key not in new:
            patch[key] = None
    return patch
