"""kopf wiring, explicit: a registry, settings and a memo built from typed values and passed to
`kopf.run`. One worker (a kopf daemon) per object runs the shared driver whenever the object changed,
its requeue time came, or something it waits on appeared; deletion only cleans metrics."""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import logging
import threading
from typing import Any, cast

import kopf

from controller.api.base import GROUP, VERSION
from controller.api.resources import KINDS, StoreEnvironment
from controller.engine.observation import Observations
from controller.gitsource import GitCache
from controller.metrics import Metrics
from controller.notify import Notifier
from controller.operator.config import OperatorConfig
from controller.operator.kube import KubeWorld, load_client
from controller.operator.webhooks import Receiver
from controller.reconcile.driver import DueTracker, drive
from controller.reconcile.services import (
    CatalogCache,
    EventType,
    Services,
    StoreRegistry,
    open_store,
)
from controller.stores.hooks import drop_hooks
from controller.ui import WebUI
from controller.ui.view import Sources

FINALIZER = "stagingpro.io/finalizer"
SHARD_LABEL = "stagingpro.io/shard"
COMPONENT = "stagingpro-operator"

logger = logging.getLogger("stagingpro.operator")


def settings_for(config: OperatorConfig) -> kopf.OperatorSettings:
    """kopf's settings: StagingPro's finalizer and annotations, quiet event posting."""
    settings = kopf.OperatorSettings()
    settings.persistence.finalizer = FINALIZER
    # Status belongs to the resources' schemas: kopf keeps its own bookkeeping in annotations.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="stagingpro.io")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="stagingpro.io", key="last-handled-configuration"
    )
    # A deleted object's worker finishes its pass before the finalizer goes; kopf looks whether it
    # has every `cancellation_polling` seconds (60 by default: a deletion hung for a minute).
    settings.background.cancellation_polling = 1.0
    settings.watching.server_timeout = 300  # a silently stalled watch is re-established
    settings.watching.client_timeout = 330
    settings.watching.connect_timeout = 30
    # Events are the reconcilers' own (one per change of situation), not kopf's log lines.
    settings.posting.level = logging.ERROR
    settings.posting.reporting_component = COMPONENT
    settings.posting.reporting_instance = config.identity
    return settings


def memo_for(config: OperatorConfig, metrics: Metrics) -> kopf.Memo:
    """The services every worker shares."""
    git = GitCache(config.cache_dir / "git", policy=config.access)
    world = KubeWorld(load_client())
    sources = Sources() if config.ui_port is not None else None
    services = Services(
        world=world,
        stores=StoreRegistry(metrics),
        git=git,
        metrics=metrics,
        catalogs=CatalogCache(git, config.catalog_cache_bytes),
        snapshot_poll_seconds=config.snapshot_poll,
        approval_poll_seconds=config.approval_poll,
        access=config.access,
        observer=Notifier(world, config.notify),
        webhooks=config.webhooks,
        observations=Observations(config.heavy_checks),
        reviews=sources.reviews if sources is not None else None,
    )
    tracker, nudges = nudging_tracker()
    receiver = None
    if config.webhooks is not None:
        receiver = Receiver(
            config.webhooks,
            services.observations,
            lambda namespace, name: tracker.due_now("StoreEnvironment", namespace, name),
        )
    return kopf.Memo(
        services=services,
        tracker=tracker,
        nudges=nudges,
        tick=config.tick,
        receiver=receiver,
        webhook_port=config.webhook_port,
        sources=sources,
        ui=WebUI(sources) if sources is not None else None,
        ui_address=(config.ui_host, config.ui_port),
    )


def nudging_tracker() -> tuple[DueTracker, dict[str, asyncio.Event]]:
    """When objects are due, and each worker's nudge (by object uid), set when its object is
    made due at once (its store sent news): the worker's rest ends then, not at its next tick."""
    nudges: dict[str, asyncio.Event] = {}
    tracker = DueTracker(on_due=lambda key: nudges[key].set() if key in nudges else None)
    return tracker, nudges


async def _worker(
    body: kopf.Body, meta: kopf.Meta, memo: kopf.Memo, stopped: kopf.DaemonStopped, **_: Any
) -> None:
    """Reconcile the object whenever it is due, until it is deleted or the operator stops."""
    tracker: DueTracker = memo.tracker
    services: Services = memo.services
    key = str(meta.uid)
    sources: Sources | None = memo.sources
    nudge = memo.nudges.setdefault(key, asyncio.Event())
    try:
        while not stopped:
            if sources is not None:
                sources.objects.seen(body)  # what the web UI shows: the object as kopf has it
            if tracker.is_due(key, body):
                nudge.clear()  # news arriving during this pass brings another at once
                obj = copy.deepcopy(dict(body))  # a live view: freeze what this pass reads
                outcome = await drive(
                    obj, services, write_status=_status_writer(services, obj), emit=_emitter(obj)
                )
                tracker.settle(key, obj, outcome)
            await rest(stopped, nudge, memo.tick)
    finally:
        if sources is not None:  # deleted, or this replica paused by peering: not shown here
            sources.objects.gone(body)


async def rest(stopped: kopf.DaemonStopped, nudge: asyncio.Event, seconds: float) -> None:
    """Until the next tick; at once when the object's store sent news (a webhook), so that a
    change shows in seconds, not at the next tick; or until the operator stops."""
    waits = {asyncio.ensure_future(stopped.wait()), asyncio.ensure_future(nudge.wait())}
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()


def _status_writer(services: Services, obj: dict[str, Any]) -> Any:
    meta = obj.get("metadata", {})

    async def write(patch: dict[str, Any]) -> None:
        if patch:
            await services.world.patch_status(
                str(obj.get("kind")), meta.get("namespace", "default"), meta.get("name", ""), patch
            )

    return write


def _emitter(obj: dict[str, Any]) -> Any:
    meta = obj.get("metadata", {})
    what = f"{obj.get('kind')} {meta.get('namespace')}/{meta.get('name')}"

    async def emit(type_: EventType, reason: str, message: str) -> None:
        # One log line per decision (events are emitted once per change of situation).
        logger.log(
            logging.WARNING if type_ == "Warning" else logging.INFO,
            "%s: %s: %s",
            what,
            reason,
            message,
        )
        kopf.event(cast(kopf.Body, obj), type=type_, reason=reason, message=message[:1024])

    return emit


async def _deleted(body: kopf.Body, meta: kopf.Meta, memo: kopf.Memo, **_: Any) -> None:
    """Stop managing: the store's data stays; the object's metrics series go."""
    services: Services = memo.services
    namespace, name = meta.namespace or "default", meta.name or ""
    sources: Sources | None = memo.sources
    if sources is not None:
        sources.objects.gone(body)
        if body.get("kind") == "StoreDeployment":
            sources.reviews.forget(namespace, name)
    if body.get("kind") == "StoreEnvironment":
        services.metrics.forget_environment(namespace, name)
        services.observations.forget(namespace, name)
        if services.webhooks is not None:
            await _drop_hooks(services, dict(body))
    elif body.get("kind") == "StoreDeployment":
        services.metrics.set_deployment_phase(namespace, name, None)
    memo.tracker.forget(str(meta.uid))
    memo.nudges.pop(str(meta.uid), None)


async def _drop_hooks(services: Services, obj: dict[str, Any]) -> None:
    """Remove a deleted environment's webhooks from its store (best effort: a store that cannot
    be reached keeps hooks whose deliveries are refused, and the platform deactivates them)."""
    config = services.webhooks
    assert config is not None
    meta = obj.get("metadata", {})
    namespace, name = meta.get("namespace", "default"), meta.get("name", "")
    try:
        env = StoreEnvironment.model_validate(obj)
        async with await open_store(services, env) as store:
            await drop_hooks(store, config.destination(namespace, name))
    except Exception as error:
        logger.warning(
            "StoreEnvironment %s/%s: its webhooks were not removed: %s", namespace, name, error
        )


async def _secret_changed(namespace: str | None, memo: kopf.Memo, **_: Any) -> None:
    """A Secret appeared or changed: objects of its namespace waiting on one look again at once."""
    memo.tracker.wake(namespace or "default")


def _no_success_lines(record: logging.LogRecord) -> bool:
    """Drop kopf's "Handler '_secret_changed' succeeded." and "Daemon '_worker' succeeded." lines:
    one per Secret event or finished worker says nothing about a decision (the reconcilers log those)."""
    return record.levelno > logging.INFO or not record.getMessage().endswith(" succeeded.")


async def _login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    return kopf.login_via_client(**kwargs)


async def _startup(memo: kopf.Memo, **_: Any) -> None:
    # The Kubernetes client, Git and file reads run in threads: enough of them that a slow API
    # server does not queue every object's reconcile behind a few calls.
    asyncio.get_running_loop().set_default_executor(
        concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="stagingpro")
    )
    if memo.receiver is not None:
        port = await memo.receiver.start(memo.webhook_port)
        logger.info("webhook receiver on port %s", port)
    if memo.ui is not None:
        host, port = memo.ui_address
        port = await memo.ui.start(port, host)
        logger.info("web UI on port %s", port)


async def _cleanup(memo: kopf.Memo, **_: Any) -> None:
    if memo.receiver is not None:
        await memo.receiver.stop()
    if memo.ui is not None:
        await memo.ui.stop()


def registry_for(config: OperatorConfig) -> kopf.OperatorRegistry:
    """The handlers, registered on their own registry (nothing registers on import)."""
    registry = kopf.OperatorRegistry()
    labels = {SHARD_LABEL: config.shard} if config.shard else None
    kopf.on.login(registry=registry)(_login)
    kopf.on.startup(registry=registry)(_startup)
    kopf.on.cleanup(registry=registry)(_cleanup)
    for info in KINDS:
        kopf.daemon(
            GROUP, VERSION, info.plural, registry=registry, labels=labels, initial_delay=0.0
        )(_worker)
        kopf.on.delete(
            GROUP, VERSION, info.plural, registry=registry, optional=False, labels=labels
        )(_deleted)
    kopf.on.event("", "v1", "secrets", registry=registry)(_secret_changed)
    return registry


def run_operator(
    config: OperatorConfig,
    *,
    stop_flag: threading.Event | None = None,
    ready_flag: threading.Event | None = None,
) -> None:
    """Run the operator until stopped (a signal, or `stop_flag`)."""
    metrics = Metrics()
    memo = memo_for(config, metrics)
    if config.metrics_port is not None:
        metrics.serve(config.metrics_port)
        logger.info("metrics on port %s", config.metrics_port)
    # One line per decision at INFO: no line per store API request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("kopf.objects").addFilter(_no_success_lines)
    kopf.run(
        registry=registry_for(config),
        settings=settings_for(config),
        memo=memo,
        standalone=config.standalone,
        peering_name=None if config.standalone else config.peering,
        clusterwide=config.all_namespaces,
        namespaces=config.namespaces,
        liveness_endpoint=f"http://0.0.0.0:{config.health_port}/healthz"
        if config.health_port
        else None,
        stop_flag=stop_flag,
        ready_flag=ready_flag,
    )
