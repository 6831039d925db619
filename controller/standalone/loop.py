"""The standalone GitOps loop: reconcile StagingPro manifests exactly as the operator does (the same
reconcilers, the same status), without a Kubernetes API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from controller.access import AccessPolicy
from controller.gitsource import GitCache
from controller.metrics import Metrics
from controller.notify import Notifier, NotifySettings
from controller.reconcile.driver import DueTracker, drive
from controller.reconcile.services import (
    CatalogCache,
    EventType,
    Services,
    StoreRegistry,
    World,
)
from controller.standalone.world import FileWorld, Key
from controller.tasks import each_to_its_end

logger = logging.getLogger(__name__)

ORDER = ("CatalogSnapshot", "StoreEnvironment", "StoreDeployment")


def services_for(
    world: World,
    cache_dir: Path,
    metrics: Metrics | None = None,
    access: AccessPolicy | None = None,
    notify: NotifySettings | None = None,
) -> Services:
    """Services for a standalone loop (or a one-off CLI command); `access` defaults to the
    operator's: BigCommerce's API origin only, no local Git."""
    metrics = metrics or Metrics()
    access = access or AccessPolicy()
    git = GitCache(cache_dir / "git", policy=access)
    return Services(
        world=world,
        stores=StoreRegistry(metrics),
        git=git,
        metrics=metrics,
        catalogs=CatalogCache(git),
        access=access,
        observer=Notifier(world, notify or NotifySettings()),
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
        before_pass: Callable[[], Awaitable[None]] | None = None,
    ):
        self.world, self.services, self.tick = world, services, tick
        self.on_change = on_change
        self.before_pass = before_pass  # e.g. refreshing the manifests from Git
        self.tracker = DueTracker()

    async def run_once(self) -> int:
        """One pass: reconcile what is due, kind by kind (snapshots before the environments that use
        them, environments before deployments). Returns how many objects were reconciled."""
        if self.before_pass is not None:
            await self.before_pass()
        keys = self.world.refresh()
        for namespace in self.world.changed_secret_namespaces():
            self.tracker.wake(namespace)
        done = 0
        for kind in ORDER:
            due = [
                k
                for k in keys
                if k[0] == kind and self.tracker.is_due("/".join(k), self.world.objects[k])
            ]
            await each_to_its_end(self._reconcile(k) for k in due)
            done += len(due)
        return done

    async def _reconcile(self, key: Key) -> None:
        view = self.world.view(key)

        async def write_status(patch: dict[str, Any]) -> None:
            await self.world.patch_status(*key, patch)
            if self.on_change is not None:
                self.on_change(key, self.world.status[key])

        async def emit(type_: EventType, reason: str, message: str) -> None:
            await self.world.event(view, type_, reason, message)

        outcome = await drive(view, self.services, write_status=write_status, emit=emit)
        self.tracker.settle("/".join(key), self.world.objects[key], outcome)

    async def settle(self, max_passes: int = 20) -> None:
        """Passes until no object is due at once (what waited on another has had its turn)."""
        for _ in range(max_passes):
            if not await self.run_once():
                return

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
