"""StoreEnvironment: connect, observe, check drift, and (in sync mode) converge; clone sandboxes."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain
from typing import Any

from controller.api.base import parse_duration
from controller.api.conditions import DRIFTED, Reason
from controller.api.deployment import DeploymentPhase, environment_of
from controller.api.environment import (
    ClonePhase,
    CloneStatus,
    DeployedCatalog,
    DriftCounts,
    DriftSample,
    DriftStatus,
    Inventory,
    ObservationStatus,
    StoreEnvironmentStatus,
    StoreInfo,
)
from controller.api.resources import StoreEnvironment
from controller.catalog.anonymise import Rules, anonymise
from controller.catalog.kinds import CAPTURED, LIVE, Kind
from controller.catalog.model import Catalog
from controller.engine import apply
from controller.engine.apply import ApplyResult
from controller.engine.observation import Observation
from controller.engine.snapshots import ResolvedCatalog
from controller.engine.sync import Assessment
from controller.engine.theme_carry import ThemeCarrier
from controller.engine.v2copy import V2Copy, read_clone, write_clone
from controller.errors import DependencyNotReady, Stalled
from controller.planner import Drift, Options
from controller.reconcile.kernel import Context, Reconciler
from controller.reconcile.outcome import DONE, Result, waiting
from controller.reconcile.services import (
    Services,
    check_clone,
    open_store,
    read_secret_key,
    require,
    store_credentials,
)
from controller.reconcile.snapshot import (
    REFRESH_ANNOTATION,
    environment_not_ready,
    load_snapshot_catalog,
)
from controller.reconcile.status import StatusWriter
from controller.stores import BigCommerceStore, RequestRejected
from controller.stores.hooks import keep_hooks
from controller.stores.records import CATALOG_KINDS
from controller.text import plural

MIN_KEY_BYTES = 16


def ignore_options(env: StoreEnvironment, *, prune: bool | None = None) -> Options:
    """Planner options from the environment's sync policy and ignoreDifferences."""
    ignore: dict[str, frozenset[str]] = {}
    for rule in env.spec.ignore_differences:
        ignore[rule.kind] = ignore.get(rule.kind, frozenset()) | frozenset(rule.fields)
    policy = env.spec.sync_policy
    return Options(
        prune=policy.prune if prune is None else prune,
        max_delete_percent=policy.max_delete_percent,
        ignore=ignore,
        reviews=reviews_asked(env),
    )


DEPLOY_REVIEWS = "stagingpro.io/deploy-reviews"


def reviews_asked(env: StoreEnvironment) -> bool:
    """Whether product reviews are compared and written in the environment's store: always in a
    sandbox; in production only when the environment's annotation `stagingpro.io/deploy-reviews`
    is "true" (customers wrote them there: a deployment leaves them alone)."""
    return env.spec.role == "sandbox" or env.metadata.annotations.get(DEPLOY_REVIEWS) == "true"


def drift_status(report: Drift, revision: str | None) -> DriftStatus:
    """The drift report as status."""
    return DriftStatus(
        in_sync=report.in_sync,
        revision=revision,
        counts={kind: DriftCounts(**counts) for kind, counts in report.counts.items()},
        samples=[
            DriftSample(kind=k, key=key, change=c, fields=list(f))
            for k, key, c, f in report.samples
        ],
    )


async def last_deployed(svc: Services, namespace: str, environment: str) -> DeployedCatalog | None:
    """The catalog of the last deployment that succeeded on an environment, derived from the
    StoreDeployments (which own that fact) rather than written into the environment by them."""
    latest: DeployedCatalog | None = None
    for obj in await svc.world.list("StoreDeployment", namespace):
        spec = obj.get("spec") or {}
        snapshot = ((spec.get("catalog") or {}).get("snapshotRef") or {}).get("name")
        if not snapshot or (spec.get("strategy") or {}).get("dryRun"):
            continue
        for current in (obj.get("status") or {}).get("targets", []):
            # a recurring release's last run counts while its next one waits
            for target in (current, current.get("lastRun") or {}):
                if (
                    environment_of(current) != environment
                    or target.get("phase") != DeploymentPhase.SUCCEEDED
                ):
                    continue
                found = DeployedCatalog(
                    snapshot=snapshot,
                    revision=target.get("appliedRevision"),
                    deployment=obj.get("metadata", {}).get("name"),
                    at=target.get("finishedAt"),
                )
                if found.at is not None and (
                    latest is None or latest.at is None or found.at > latest.at
                ):
                    latest = found
    return latest


async def desired_catalog(
    svc: Services, env: StoreEnvironment, status: StoreEnvironmentStatus
) -> tuple[ResolvedCatalog, str] | None:
    """The catalog the store should carry, and the snapshot it comes from: `catalog.snapshotRef`,
    else the last catalog deployed to it; None when there is neither."""
    namespace = env.metadata.namespace or "default"
    revision = None
    if env.spec.catalog:
        name = env.spec.catalog.snapshot_ref.name
    else:
        status.last_deployed = await last_deployed(svc, namespace, env.metadata.name)
        if status.last_deployed is None:
            return None
        name, revision = status.last_deployed.snapshot, status.last_deployed.revision
    snapshot = await require(
        svc.world, "CatalogSnapshot", namespace, name, reason=Reason.SNAPSHOT_NOT_FOUND
    )
    return await load_snapshot_catalog(svc, snapshot, revision=revision), name


@dataclass
class _Reconcile(Context[StoreEnvironmentStatus]):
    env: StoreEnvironment | None = None
    store: BigCommerceStore | None = None
    observation: Observation | None = None  # the store as last observed, kept between checks
    resync: float = 0.0  # seconds between full reads of the store

    @property
    def spec(self) -> StoreEnvironment:
        assert self.env is not None
        return self.env

    @property
    def connected(self) -> BigCommerceStore:
        assert self.store is not None
        return self.store

    @property
    def watched(self) -> Observation:
        assert self.observation is not None
        return self.observation


def _start(obj: dict[str, Any], svc: Services, writer: StatusWriter) -> _Reconcile:
    status = StoreEnvironmentStatus.model_validate(obj.get("status") or {})
    ctx = _Reconcile(obj, svc, writer, status, svc.clock())
    status.last_checked_at = ctx.now
    return ctx


async def _parse(ctx: _Reconcile) -> Result:
    ctx.env = StoreEnvironment.model_validate(ctx.obj)
    ctx.every = parse_duration(ctx.env.spec.sync_policy.interval)
    return DONE


async def _connect(ctx: _Reconcile) -> Result:
    """Open the store (for the remaining steps) and read its profile (again with each full read
    of the store)."""
    svc, env = ctx.svc, ctx.spec
    ctx.store = await ctx.resources.enter_async_context(await open_store(svc, env))
    ctx.observation = observation = svc.observations.of(
        ctx.namespace, ctx.name, svc.stores.key(env.spec.store.api_url, env.spec.store.hash)
    )
    ctx.resync = parse_duration(env.spec.sync_policy.full_resync_interval)
    info = observation.store_info
    if info is None or observation.full_due(ctx.now, ctx.resync):
        info = observation.store_info = await ctx.connected.store_info()
    timezone = env.spec.timezone or info.get("timezone", {}).get("name")
    ctx.status.store = StoreInfo(
        name=info.get("name"),
        domain=info.get("domain"),
        timezone=timezone,
        currency=info.get("currency"),
        plan=info.get("plan_name"),
    )
    svc.metrics.environment_info.labels(
        ctx.namespace, ctx.name, env.spec.role, env.spec.store.hash, timezone or ""
    ).set(1)
    svc.metrics.credentials_rejected.labels(ctx.namespace, ctx.name).set(0)
    return DONE


async def _clone(ctx: _Reconcile) -> Result:
    """Seed a sandbox from its source environment's live catalog (once, and again on the refresh
    annotation); IDs are remapped through natural keys by the engine."""
    svc, env, status = ctx.svc, ctx.spec, ctx.status
    if env.spec.clone_from is None:
        return DONE
    token = env.metadata.annotations.get(REFRESH_ANNOTATION, "")
    done = (
        status.clone is not None
        and status.clone.phase == ClonePhase.SUCCEEDED
        and status.clone.refresh_token == token
    )
    if done or env.spec.suspend:
        return DONE
    source_name = env.spec.clone_from.name
    source_obj = await require(
        svc.world,
        "StoreEnvironment",
        ctx.namespace,
        source_name,
        reason=Reason.CLONE_SOURCE_NOT_FOUND,
        purpose="cloneFrom",
    )
    source_env = StoreEnvironment.model_validate(source_obj)
    not_ready = environment_not_ready(source_obj)
    if not_ready is not None:  # a source still being seeded or synced would clone a partial store
        return waiting(
            Reason.ENVIRONMENT_NOT_READY,
            f"cloneFrom: StoreEnvironment {ctx.namespace}/{source_name} {not_ready}",
            DependencyNotReady.retry_after,
        )
    await check_clone(svc, env, source_env)
    status.clone = CloneStatus(source=source_name, phase=ClonePhase.RUNNING, refresh_token=token)
    cloning = env.spec.clone_from.customers
    rules = Rules({rule.field: rule.action for rule in cloning.rules})
    key = await _anonymisation_key(svc, env) if cloning.enabled else b""  # before any read
    # Storefront content too; not scripts (a store shows a token only its own account's).
    kinds = set(CAPTURED) - {Kind.SCRIPTS} | ({Kind.CUSTOMERS} if cloning.enabled else set())
    if env.spec.clone_from.inventory:  # operational data: on request only
        kinds |= LIVE
    options = Options(
        prune=True,
        allow_mass_delete=True,
        personal_data=True,
        operational_data=env.spec.clone_from.inventory,
        reviews=True,
    )
    lock = svc.stores.write_lock(env.spec.store.api_url, env.spec.store.hash)
    async with await open_store(svc, source_env) as source:
        # an older store's Catalog V2 layer, copied through the V2 API once the V3 sync made its
        # products (products in an option set of their own come as the migration leaves them)
        legacy, observed, catalog = await read_clone(source, kinds)  # never holds customers
        unkeyed = sorted(observed.unkeyed_products)  # nothing to key them by in the sandbox
        if cloning.enabled:
            catalog = replace(catalog, customers=anonymise(observed, key, rules))
        del observed  # the source's people are dropped at once
        themes = ThemeCarrier(source, ctx.connected)
        async with lock, svc.stores.parallel:
            # the channels the sandbox has first: content names its first storefront's templates
            await themes.carry()
            result, copied = await write_clone(ctx.connected, legacy, catalog, options)
            await themes.carry(set(themes.not_carried))  # the channels (and sites) just made
    failed = len(result.errors) + len(copied.errors)
    phase = ClonePhase.SUCCEEDED if not failed else ClonePhase.FAILED
    status.clone = CloneStatus(
        source=source_name,
        phase=phase,
        refresh_token=token,
        finished_at=svc.clock(),
        progress=f"{result.done}/{plural(result.total, 'item')}, {plural(result.requests, 'request')}"
        + _v2_progress(copied)
        + (f", {failed} failed" if failed else ""),
        customers=None if catalog.customers is None else len(catalog.customers),
        customer_rules=rules.describe() if cloning.enabled else [],
        **_channel_mapping(catalog, result),
        themes=[f"{name}: {theme}" for name, theme in sorted(themes.carried.items())],
        uncarried_themes=[f"{name}: {why}" for name, why in sorted(themes.not_carried.items())],
        uncarried_products=[f"product {i}: it has no SKU" for i in unkeyed],
        first_error=next(
            chain(
                (f"{kind} {key}: {why}" for kind, key, why in result.errors),
                (f"{what}: {why}" for what, why in copied.errors),
            ),
            None,
        ),
    )
    succeeded = phase is ClonePhase.SUCCEEDED
    ctx.event(
        "Normal" if succeeded else "Warning",
        "Cloned" if succeeded else "CloneFailed",
        f"seeded from {source_name}: {_outcome_text(result.outcomes)}"
        + (f"; Catalog V2: {copied.describe()}" if copied.requests else "")
        + "".join(f"; {what}: {why}" for what, why in copied.errors[:5]),
    )
    return DONE


def _v2_progress(copied: V2Copy) -> str:
    """The Catalog V2 copy's part of a clone's progress (nothing for a store without one)."""
    if not copied.requests:
        return ""
    return f"; Catalog V2: {copied.describe()}, {plural(copied.requests, 'request')}"


def _channel_mapping(catalog: Catalog, result: ApplyResult) -> dict[str, list[str]]:
    """The source's channels mapped into the sandbox by name, and those it could not be given
    (with why), for `status.clone`."""
    failed = {key: message for kind, key, message in result.errors if kind == Kind.CHANNELS}
    names = sorted(catalog.channels or {})
    return {
        "channels": [n for n in names if n not in failed],
        "unmapped_channels": [f"{n}: {failed[n]}" for n in names if n in failed],
    }


async def _anonymisation_key(svc: Services, env: StoreEnvironment) -> bytes:
    """The key of a sandbox's pseudonyms: its `keySecretRef`, else derived from its own token
    (so the same source customer stays the same fake person until the token changes)."""
    assert env.spec.clone_from is not None
    ref = env.spec.clone_from.customers.key_secret_ref
    namespace = env.metadata.namespace or "default"
    if ref is None:
        token, _ = await store_credentials(svc, env)
        return hmac.new(token.encode(), b"stagingpro anonymisation", hashlib.sha256).digest()
    key, _ = await read_secret_key(svc.world, namespace, ref)
    if len(key.encode()) < MIN_KEY_BYTES:
        raise Stalled(
            f"cloneFrom.customers.keySecretRef: Secret {namespace}/{ref.name} key {ref.key!r} "
            f"has fewer than {MIN_KEY_BYTES} bytes",
            reason=Reason.ANONYMISATION_KEY_TOO_SHORT,
        )
    return key.encode()


async def _converge(ctx: _Reconcile) -> Result:
    """Compare the store with its desired catalog (drift), and apply it in sync mode when its
    revision moved or, with selfHeal, when the store drifted. The store is read through the
    environment's observation: what changed since the last look (what its webhooks named), and
    whole now and then."""
    svc, env, status, store = ctx.svc, ctx.spec, ctx.status, ctx.connected
    observation, resync = ctx.watched, ctx.resync
    desired = await desired_catalog(svc, env, status)
    spent = 0

    def spend() -> None:
        nonlocal spent
        spent += observation.requests
        svc.metrics.observation_requests.labels(ctx.namespace, ctx.name, observation.mode).inc(
            observation.requests
        )

    webhooks = await _keep_hooks(svc, ctx.namespace, ctx.name, store, observation, ctx.now, resync)

    if desired is None:
        observed = await observation.refresh(store, CATALOG_KINDS, now=svc.clock(), resync=resync)
        spend()
        counts = observed.counts()
        status.drift = None
    else:
        resolved, snapshot_name = desired
        options = ignore_options(env)

        async def check() -> Assessment:
            try:
                return await observation.assess(
                    store,
                    resolved.catalog,
                    options,
                    now=svc.clock(),
                    resync=resync,
                    webhooks=webhooks,
                )
            finally:
                spend()

        assessment = await check()
        counts = assessment.observed.counts()
        writes = env.spec.sync_policy.mode == "sync" and not env.spec.suspend
        revision_changed = (resolved.revision or resolved.digest) != status.last_synced_revision
        if writes and (
            revision_changed or (env.spec.sync_policy.self_heal and not assessment.drift.in_sync)
        ):
            lock = svc.stores.write_lock(env.spec.store.api_url, env.spec.store.hash)
            contended = lock.locked()
            async with lock, svc.stores.parallel:
                if contended:  # another writer went first: plan from what it left
                    assessment = await check()
                result = await apply(assessment.plan, assessment.observed, store)
            status.last_synced_revision = resolved.revision or resolved.digest
            ctx.event(
                "Normal" if not result.errors else "Warning",
                "Synced",
                f"applied {resolved.source}: {_outcome_text(result.outcomes)}"
                + (f"; {len(result.errors)} failed" if result.errors else ""),
            )
            assessment = await check()
            counts = assessment.observed.counts()
        _record_drift(ctx, assessment.drift, resolved.revision or resolved.digest, snapshot_name)
    status.observation = ObservationStatus(
        mode=observation.mode, last_full_read_at=observation.full_at, requests=spent
    )
    status.inventory = Inventory(
        **{k: counts.get(k, 0) for k in ("products", "variants", "categories", "brands")}
    )
    assert status.store is not None
    ctx.ready = (
        f"store {env.spec.store.hash} ({status.store.name}), {counts.get('products', 0)} products"
    )
    if env.spec.suspend:
        ctx.ready += "; suspended: no writes"
    return DONE


def _concluded(ctx: _Reconcile, result: Result) -> None:
    metrics = ctx.svc.metrics
    metrics.environment_ready.labels(ctx.namespace, ctx.name).set(1 if result.done else 0)
    if result.done:
        metrics.last_sync.labels(ctx.namespace, ctx.name).set(ctx.now.timestamp())
    if result.reason == Reason.CREDENTIALS_REJECTED:
        metrics.credentials_rejected.labels(ctx.namespace, ctx.name).set(1)


reconcile_environment = Reconciler(_start, (_parse, _connect, _clone, _converge), _concluded)
"""StoreEnvironment: observe the store, report drift, converge in sync mode, clone sandboxes;
never deletes store data on its own beyond what `prune` and `maxDeletePercent` allow."""


async def _keep_hooks(
    svc: Services,
    namespace: str,
    name: str,
    store: BigCommerceStore,
    observation: Observation,
    now: datetime,
    resync: float,
) -> bool:
    """Keep the store's webhooks to the operator's receiver (at the first check and every full
    resync); whether they are healthy: kept, and delivering. Without them (no receiver, or the
    store refuses its address) the store is read incrementally."""
    config = svc.webhooks
    if config is None:
        return False
    kept = observation.hooks_kept
    if kept is None or (now - kept).total_seconds() >= resync:
        try:
            intact = await keep_hooks(
                store, config.destination(namespace, name), config.secret(namespace, name)
            )
        except RequestRejected:
            observation.hooks_kept = None
            return False
        observation.hooks_kept = now
        if not intact:  # made anew or reactivated: trusted again once deliveries arrive
            observation.heard = False
    return observation.heard


def _outcome_text(outcomes: dict[str, dict[str, int]]) -> str:
    parts = [
        f"{n} {kind} {what}"
        for kind, by in sorted(outcomes.items())
        for what, n in sorted(by.items())
        if n
    ]
    return ", ".join(parts) or "nothing to change"


def _record_drift(ctx: _Reconcile, report: Drift, revision: str, snapshot: str) -> None:
    """The Drifted condition, drift in status and metrics; an event when the store starts or
    stops drifting."""
    metrics, status, namespace, name = ctx.svc.metrics, ctx.status, ctx.namespace, ctx.name
    was_drifted = status.drift is not None and not status.drift.in_sync
    status.drift = drift_status(report, revision)
    for labels in list(getattr(metrics.drift_items, "_metrics", {})):
        if labels[:2] == (namespace, name):
            metrics.drift_items.remove(*labels)
    for kind, counts in report.counts.items():
        for change, n in counts.items():
            metrics.drift_items.labels(namespace, name, kind, change).set(n)
    metrics.environment_drifted.labels(namespace, name).set(0 if report.in_sync else 1)
    if report.in_sync:
        ctx.condition(DRIFTED, "False", Reason.IN_SYNC)
        if was_drifted:
            ctx.event("Normal", "DriftCleared", f"the store matches {snapshot} again")
        return
    summary = ", ".join(
        f"{kind}: " + ", ".join(f"{n} {c}" for c, n in counts.items() if n)
        for kind, counts in sorted(report.counts.items())
    )
    message = f"{plural(report.total(), 'item')} differ from {snapshot}: {summary}"
    ctx.condition(DRIFTED, "True", Reason.DRIFT_DETECTED, message)
    if not was_drifted:
        ctx.event("Warning", Reason.DRIFT_DETECTED, message)
