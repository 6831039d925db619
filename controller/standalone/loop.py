"""The standalone GitOps loop: reconcile StagingPro manifests exactly as the operator does (the same
reconcilers, the same status), without a Kubernetes API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from controller.gitsource import GitCache
from controller.metrics import Metrics
from controller.reconcile.deployment import reconcile_deployment
from controller.reconcile.environment import reconcile_environment
from controller.reconcile.outcome import Outcome
from controller.reconcile.services import CatalogCache, Services, StoreRegistry
from controller.reconcile.snapshot import reconcile_snapshot
from controller.standalone.world import FileWorld, Key

logger = logging.getLogger(__name__)

RECONCILERS: dict[str, Callable[[dict[str, Any], Services], Awaitable[Outcome]]] = {
    "CatalogSnapshot": reconcile_snapshot,
    "StoreEnvironment": reconcile_environment,
    "StoreDeployment": reconcile_deployment,
}
ORDER = ("CatalogSnapshot", "StoreEnvironment", "StoreDeployment")


def services_for(world: FileWorld, cache_dir: Path, metrics: Metrics | None = None) -> Services:
    """Services for a standalone loop (or a one-off CLI command)."""
    metrics = metrics or Metrics()
    git = GitCache(cache_dir / "git")
    return Services(
        world=world,
        stores=StoreRegistry(metrics),
        git=git,
        metrics=metrics,
        catalogs=CatalogCache(git),
    )


class Loop:
    """Reconciles every object when its spec or annotations change, or when its requeue time comes."""

    def __init__(
        self,
        world: FileWorld,
        services: Services,
        *,
        tick: float = 1.0,
        on_change: Callable[[Key, dict[str, Any]], None] | None = None,
    ):
        self.world, self.services, self.tick = world, services, tick
        self.on_change = on_change
        self._due: dict[Key, float] = {}
        self._seen: dict[Key, str] = {}

    def _fingerprint(self, key: Key) -> str:
        doc = self.world.objects[key]
        meta = doc.get("metadata", {})
        return hashlib.sha256(
            json.dumps(
                [meta.get("generation"), meta.get("annotations")], sort_keys=True, default=str
            ).encode()
        ).hexdigest()

    async def run_once(self) -> int:
        """One pass: reconcile what is due, kind by kind (snapshots before the environments that use
        them, environments before deployments). Returns how many objects were reconciled."""
        keys = self.world.refresh()
        now = time.monotonic()
        done = 0
        for kind in ORDER:
            due = [
                k
                for k in keys
                if k[0] == kind
                and (self._fingerprint(k) != self._seen.get(k) or now >= self._due.get(k, 0.0))
            ]
            results = await asyncio.gather(*(self._reconcile(k) for k in due))
            done += sum(results)
        return done

    async def _reconcile(self, key: Key) -> int:
        view = self.world.view(key)
        started = time.monotonic()
        outcome = await RECONCILERS[key[0]](view, self.services)
        result = "error" if any(e[0] == "Warning" for e in outcome.events) else "success"
        self.services.metrics.reconcile_seconds.labels(key[0], result).observe(
            time.monotonic() - started
        )
        changed = outcome.status != view.get("status")
        self.world.set_status(key, outcome.status)
        for type_, reason, message in outcome.events:
            await self.world.event(view, type_, reason, message)
        self._seen[key] = self._fingerprint(key)
        self._due[key] = (
            time.monotonic() + outcome.requeue_after
            if outcome.requeue_after is not None
            else float("inf")
        )
        if changed and self.on_change is not None:
            self.on_change(key, outcome.status)
        return 1

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Loop until `stop` is set."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a broken manifest must not end the loop; it is reported and retried
                logger.exception("standalone loop pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.tick)
