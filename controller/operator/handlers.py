"""kopf handlers: glue only. A timer per object runs the shared driver whenever the object changed
or its requeue time came (level-based); deletion only stops management and cleans metrics."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from controller.api.base import GROUP, VERSION
from controller.api.resources import KINDS
from controller.gitsource import GitCache
from controller.metrics import Metrics
from controller.operator.config import OperatorConfig
from controller.operator.kube import KubeWorld, load_client
from controller.reconcile.driver import DueTracker, drive, status_patch
from controller.reconcile.services import CatalogCache, EventType, Services, StoreRegistry

CONFIG = OperatorConfig.from_env()
FINALIZER = "stagingpro.io/finalizer"


@kopf.on.startup()
async def startup(
    *,
    settings: kopf.OperatorSettings,
    memo: kopf.Memo,
    logger: logging.Logger | logging.LoggerAdapter[Any],
    **_: Any,
) -> None:
    """Settings, services and metrics, once per process."""
    settings.persistence.finalizer = FINALIZER
    # Status belongs to the resources' schemas: kopf keeps its own bookkeeping in annotations.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="stagingpro.io")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="stagingpro.io", key="last-handled-configuration"
    )
    settings.watching.server_timeout = 300  # a silently stalled watch is re-established
    settings.watching.client_timeout = 330
    settings.watching.connect_timeout = 30
    settings.posting.level = logging.INFO
    metrics = Metrics()
    if CONFIG.metrics_port is not None:
        metrics.serve(CONFIG.metrics_port)
        logger.info("metrics on port %s", CONFIG.metrics_port)
    git = GitCache(CONFIG.cache_dir / "git")
    memo.services = Services(
        world=KubeWorld(load_client()),
        stores=StoreRegistry(metrics),
        git=git,
        metrics=metrics,
        catalogs=CatalogCache(git),
        snapshot_poll_seconds=CONFIG.snapshot_poll,
        approval_poll_seconds=CONFIG.approval_poll,
    )
    memo.tracker = DueTracker()


async def _tick(
    body: kopf.Body, meta: kopf.Meta, memo: kopf.Memo, patch: kopf.Patch, **_: Any
) -> None:
    tracker: DueTracker = memo.tracker
    obj = dict(body)
    key = str(meta.uid)
    if not tracker.is_due(key, obj):
        return

    async def write_status(status: dict[str, Any]) -> None:
        patch.status.update(status_patch(obj.get("status"), status))

    async def emit(type_: EventType, reason: str, message: str) -> None:
        kopf.event(body, type=type_, reason=reason, message=message[:1024])

    outcome = await drive(obj, memo.services, write_status=write_status, emit=emit)
    tracker.settle(key, obj, outcome)


async def _secret_changed(namespace: str | None, memo: kopf.Memo, **_: Any) -> None:
    """A Secret appeared or changed: objects of its namespace waiting on one look again at once."""
    memo.tracker.wake(namespace or "default")


async def _deleted(body: kopf.Body, meta: kopf.Meta, memo: kopf.Memo, **_: Any) -> None:
    """Stop managing: the store's data stays; the object's metrics series go."""
    services: Services = memo.services
    namespace, name = meta.namespace or "default", meta.name or ""
    if body.get("kind") == "StoreEnvironment":
        services.metrics.forget_environment(namespace, name)
    elif body.get("kind") == "StoreDeployment":
        services.metrics.set_deployment_phase(namespace, name, None)
    memo.tracker.forget(str(meta.uid))


SHARD_LABEL = "stagingpro.io/shard"
_labels = {SHARD_LABEL: CONFIG.shard} if CONFIG.shard else None

for _info in KINDS:
    kopf.timer(
        GROUP,
        VERSION,
        _info.plural,
        interval=CONFIG.tick,
        initial_delay=0.0,
        sharp=False,
        labels=_labels,
    )(_tick)
    kopf.on.delete(GROUP, VERSION, _info.plural, optional=False, labels=_labels)(_deleted)
kopf.on.event("", "v1", "secrets")(_secret_changed)
