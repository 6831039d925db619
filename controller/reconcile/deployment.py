"""StoreDeployment: per target, wait for its store-local time and for approval, plan (shown before
any write), keep a rollback snapshot, then apply. Level-based: re-running it after a restart resumes
where each target stood, and the idempotent engine never applies anything twice."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import yaml

from controller import cron
from controller.api.conditions import SCHEDULE_ADJUSTED, Reason
from controller.api.deployment import (
    ApprovalRecord,
    DeploymentPhase,
    LastRun,
    PlanCounts,
    StoreDeploymentStatus,
    Target,
    TargetStatus,
)
from controller.api.resources import StoreDeployment, StoreEnvironment
from controller.api.snapshot import GitSource
from controller.catalog.files import item_of
from controller.catalog.kinds import FILED, KINDS, TOP_LEVEL, Action, Kind
from controller.catalog.model import (
    PATH_SEPARATOR,
    Catalog,
    CatalogInvalid,
    Problem,
    Script,
    sku_key,
)
from controller.catalog.observed import ObservedCatalog, to_catalog
from controller.catalog.parse import Item, build_catalog
from controller.engine import ApplyResult, Assessment, apply, assess
from controller.engine.content import (
    ScriptChanges,
    bundle,
    plan_scripts,
    release_scripts,
    release_theme,
)
from controller.engine.snapshots import ResolvedCatalog
from controller.engine.sync import observed_kinds
from controller.errors import DependencyNotReady
from controller.planner import Options, Plan
from controller.reconcile import migration as v2_to_v3
from controller.reconcile.environment import reviews_asked
from controller.reconcile.kernel import Context, Reconciler, run_steps
from controller.reconcile.outcome import (
    DONE,
    Result,
    Verdict,
    idle,
    progressing,
    stalled,
    waiting,
)
from controller.reconcile.schedule import due, runs, to_utc
from controller.reconcile.services import Services, git_credentials, open_store, require
from controller.reconcile.snapshot import clone_wait, load_snapshot_catalog
from controller.reconcile.status import StatusWriter
from controller.review import Currency, build_review, local_time
from controller.review.shelf import Shelved
from controller.tasks import fan_out
from controller.text import plural

APPROVED_BY = "stagingpro.io/approved-by"
APPROVED_PLAN = "stagingpro.io/approved-plan"  # approves exactly the plan of this digest
Phase = DeploymentPhase
# The phase a deployment shows while its targets differ: the first of these any target is in.
ORDER = (Phase.APPLYING, Phase.PLANNING, Phase.AWAITING_APPROVAL, Phase.SCHEDULED, Phase.PENDING)
LATE_AFTER = timedelta(minutes=1)
NEXT_RUN = 1.0  # seconds after a recurring release's run ended that its next one is scheduled
EARLIER_RUN = ""  # an approval's digest for a target whose approved run is over
MAX_ROLLBACK_BYTES = 900_000  # a Kubernetes object must stay well under 1.5 MB
ROLLBACKS_KEPT = 5  # per target of a recurring release
PROGRESS_EVERY = 2.0


def aggregate(targets: list[TargetStatus]) -> Phase:
    """The deployment's phase from its targets'."""
    phases = {t.phase for t in targets}
    if phases and phases <= {Phase.SUCCEEDED}:
        return Phase.SUCCEEDED
    if phases and all(p.final for p in phases):
        succeeded = phases & {Phase.SUCCEEDED, Phase.PARTIALLY_SUCCEEDED}
        return Phase.PARTIALLY_SUCCEEDED if succeeded else Phase.FAILED
    return next((p for p in ORDER if p in phases), Phase.PENDING)


# ---- the deployment's steps ------------------------------------------------------------------------


@dataclass
class _Reconcile(Context[StoreDeploymentStatus]):
    deployment: StoreDeployment | None = None
    envs: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    required: bool = False  # approval required
    approver: str | None = None
    resolved: ResolvedCatalog | None = None
    snapshot: str | None = None
    failures: list[str] = field(default_factory=list)  # reasons of failed targets
    recurring: bool = False  # schedule.cron: each target's runs follow one another
    uploaded: dict[str, str] = field(default_factory=dict)  # environment -> theme uploaded
    waiting: list[str] = field(default_factory=list)  # reasons of targets waiting on another object
    last_progress: float = 0.0
    reporting: asyncio.Task[None] | None = None
    migrations: v2_to_v3.OnePass = field(default_factory=v2_to_v3.OnePass)  # by store

    @property
    def spec(self) -> StoreDeployment:
        assert self.deployment is not None
        return self.deployment


def _start(obj: dict[str, Any], svc: Services, writer: StatusWriter) -> _Reconcile:
    status = StoreDeploymentStatus.model_validate(obj.get("status") or {})
    return _Reconcile(obj, svc, writer, status, svc.clock())


async def _parse(ctx: _Reconcile) -> Result:
    """The spec; a changed spec starts the targets over; the approval as annotated."""
    ctx.deployment = deployment = StoreDeployment.model_validate(ctx.obj)
    ctx.recurring = (
        deployment.spec.schedule is not None and deployment.spec.schedule.cron is not None
    )
    status = ctx.status
    if status.observed_generation is not None and ctx.generation != status.observed_generation:
        # A changed spec is a new deployment: targets start over (idempotency keeps it safe).
        status.targets = [t for t in status.targets if t.phase == Phase.APPLYING or _migrating(t)]
        for target in status.targets:  # a migration that stopped resumes from its kept plan
            target.phase = Phase.APPLYING
    ctx.approver = approver = deployment.metadata.annotations.get(APPROVED_BY)
    if approver and (status.approval is None or status.approval.by != approver):
        # The approval holds for the plans shown when it came, and for no other.
        shown = {t.name: t.plan_digest for t in status.targets if t.plan_digest}
        status.approval = ApprovalRecord(by=approver, at=ctx.now, plans=shown)
        ctx.event("Normal", "Approved", f"approved by {approver}")
    elif not approver:
        status.approval = None
    status.approved_by = approver
    return DONE


async def _environments(ctx: _Reconcile) -> Result:
    """The target environments (None: missing); whether an approval is required."""
    names = ctx.spec.spec.environments()
    found = await fan_out(ctx.svc.world.get("StoreEnvironment", ctx.namespace, n) for n in names)
    ctx.envs = dict(zip(names, found, strict=True))
    required = ctx.spec.spec.approval.required
    if required is None:
        required = any((e or {}).get("spec", {}).get("role") == "production" for e in found)
    ctx.required = required
    return DONE


async def _catalog(ctx: _Reconcile) -> Result:
    """The catalog to promote, pinned to the revision the first target planned with."""
    deployment = ctx.spec
    if deployment.spec.catalog is None:
        return DONE
    name = deployment.spec.catalog.snapshot_ref.name
    snapshot = await require(
        ctx.svc.world, "CatalogSnapshot", ctx.namespace, name, reason=Reason.SNAPSHOT_NOT_FOUND
    )
    # Pinned once a target started writing (all targets get the same catalog); until then the
    # latest revision is planned, and a plan that moves needs a new approval.
    pinned = next(
        (t.applied_revision for t in ctx.status.targets if t.applied_revision and t.started_at),
        None,
    )
    ctx.resolved = await load_snapshot_catalog(ctx.svc, snapshot, revision=pinned)
    ctx.snapshot = name
    return DONE


async def _targets(ctx: _Reconcile) -> Result:
    """Every target moves at once, as far as it may go now (none outlives this reconcile, nor do
    its progress reports); then the deployment's result from its targets'."""
    status = ctx.status
    current = {t.name: t for t in status.targets}
    targets = [
        _Target(ctx, ref, _status_of(ref, current.get(ref.name)))
        for ref in ctx.spec.spec.releases()
    ]
    status.targets = [t.status for t in targets]  # as progress reports write them
    afters = await fan_out(_move(t) for t in targets)
    status.targets = [t.status for t in targets]
    waits = [a for a in afters if a is not None]
    after = min(waits) if waits else None
    status.phase = aggregate(status.targets)
    ctx.svc.metrics.set_deployment_phase(ctx.namespace, ctx.name, status.phase)
    notes = [f"{t.name}: {t.schedule_note}" for t in status.targets if t.schedule_note]
    ctx.condition(
        SCHEDULE_ADJUSTED, "True" if notes else "False", "ScheduleAdjusted", "; ".join(notes)
    )
    message = "; ".join(
        f"{t.name}: {t.phase}" + (f" ({t.progress})" if t.progress else "") for t in status.targets
    )
    errors = "; ".join(e for t in status.targets for e in t.errors[:1])
    # Each target told its own news in events: the deployment's result adds none.
    if status.phase == Phase.SUCCEEDED:
        ctx.ready = message
        return DONE if after is None else replace(DONE, after=after)
    if status.phase in (Phase.FAILED, Phase.PARTIALLY_SUCCEEDED):
        reason = ctx.failures[0] if ctx.failures else str(status.phase)
        return replace(stalled(reason, f"{message}: {errors}", after), announce=False)
    if ctx.waiting:
        held = waiting(ctx.waiting[0], f"{message}: {errors}", after)
        return replace(held, announce=False, rate_limited=held.reason == Reason.RATE_LIMITED)
    if status.phase in (Phase.SCHEDULED, Phase.AWAITING_APPROVAL):
        # All it can do now is done: kstatus Current (Argo CD: Suspended), not in progress.
        return idle(status.phase, message, after)
    return progressing(status.phase, message, after)


def _status_of(ref: Target, current: TargetStatus | None) -> TargetStatus:
    """A target's status as it stood (a new one is Pending), naming its environment and channel."""
    status = current or TargetStatus(name=ref.name, phase=Phase.PENDING)
    status.environment, status.channel = ref.environment, ref.channel
    status.catalog_scope = ref.catalog_scope if ref.scope_channel else None
    return status


reconcile_deployment = Reconciler(_start, (_parse, _environments, _catalog, _targets))
"""StoreDeployment: advance every target as far as it may go now; requeue for the next instant
one of them waits for."""


# ---- one target's steps -----------------------------------------------------------------------------


@dataclass
class _Target:
    """One target in one reconcile of its deployment."""

    of: _Reconcile
    ref: Target
    status: TargetStatus
    env: StoreEnvironment | None = None
    was_awaiting: bool = False
    store: Any = None
    assessment: Assessment | None = None
    content: _Content | None = None
    scripts: ScriptChanges | None = None
    migration: v2_to_v3.Planned | None = None  # spec.migration
    options: Options | None = None
    resources: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    @property
    def name(self) -> str:
        return self.status.name

    @property
    def plan(self) -> Plan:
        assert self.assessment is not None
        return self.assessment.plan


async def _move(t: _Target) -> float | None:
    """Run a target's steps; returns when to look at it again. A failure fails this target only
    (a transient one is retried), never the others."""
    ctx = t.of
    async with t.resources:
        result = await run_steps(t, TARGET_STEPS)
    target = t.status  # a recurring release's next run has a status of its own
    if result.verdict is Verdict.WAITING:
        target.errors = [f"{result.reason}: {result.message}"]
        ctx.waiting.append(result.reason)
        ctx.event("Warning", result.reason, f"{t.name}: {result.message}")
    elif result.verdict in (Verdict.STALLED, Verdict.ERROR):
        target.phase, target.finished_at = Phase.FAILED, ctx.svc.clock()
        if result.announce:
            target.errors = [f"{result.reason}: {result.message}"]
            ctx.event("Warning", result.reason, f"{t.name}: {result.message}")
        ctx.failures.append(result.reason)
        return NEXT_RUN if ctx.recurring else None
    if target.phase.final:
        return NEXT_RUN if ctx.recurring else None
    return result.after


async def _final(t: _Target) -> Result:
    """A target that reached its outcome stays there; of a recurring release, the next run
    begins."""
    if not t.status.phase.final:
        return DONE
    if not t.of.recurring:
        return _STOP
    _next_run(t)
    return DONE


def _next_run(t: _Target) -> None:
    """Keep how the last run ended; start the next one afresh (the last run's approval approves
    no other run's plan)."""
    ended = t.status
    last = LastRun(
        scheduled_for=ended.scheduled_for or t.of.now,
        phase=ended.phase,
        finished_at=ended.finished_at,
        applied_revision=ended.applied_revision,
        rollback_snapshot=ended.rollback_snapshot,
        note=ended.schedule_note,
    )
    t.status = _status_of(t.ref, None)
    t.status.runs, t.status.last_run = (ended.runs or 0) + 1, last
    if t.of.status.approval is not None:
        t.of.status.approval.plans[t.name] = EARLIER_RUN


_STOP = idle("", "", None)  # nothing more to do for this target now


async def _environment(t: _Target) -> Result:
    env_obj = t.of.envs.get(t.ref.environment)
    if env_obj is None:
        t.status.phase = Phase.PENDING
        return waiting(
            Reason.TARGET_NOT_FOUND,
            f"target StoreEnvironment {t.of.namespace}/{t.ref.environment} not found",
            DependencyNotReady.retry_after,
        )
    t.env = StoreEnvironment.model_validate(env_obj)
    t.status.errors = []
    cloning = clone_wait(env_obj)
    if cloning is not None:  # a half-cloned sandbox would plan (and migrate) part of a store
        t.status.phase = Phase.PENDING
        return waiting(
            Reason.ENVIRONMENT_NOT_READY,
            f"target StoreEnvironment {t.of.namespace}/{t.ref.environment}{cloning}",
            DependencyNotReady.retry_after,
        )
    return DONE


async def _schedule(t: _Target) -> Result:
    """Wait for the local time asked for, in the target's zone (a run that comes late says so)."""
    schedule, target, now = t.of.spec.spec.schedule, t.status, t.of.now
    if schedule is None:
        return DONE
    assert t.env is not None
    zone = t.ref.timezone or (None if schedule.timezone == "store" else schedule.timezone)
    if zone is None and t.ref.channel is not None:
        zone = t.env.spec.channel_zone(t.ref.channel)
        if zone is None:
            declared = ", ".join(c.name for c in t.env.spec.channels) or "none"
            target.phase = Phase.PENDING
            return waiting(
                Reason.CHANNEL_NOT_DECLARED,
                f"StoreEnvironment {t.of.namespace}/{t.ref.environment} declares no channel "
                f"{t.ref.channel!r} in spec.channels (declared: {declared}), so its time zone "
                "is unknown",
                DependencyNotReady.retry_after,
            )
    if zone is None:
        zone = t.env.spec.timezone or (t.of.envs[t.ref.environment] or {}).get("status", {}).get(
            "store", {}
        ).get("timezone")
    if not zone:
        target.phase, target.progress = Phase.PENDING, "waiting for the store's time zone"
        return progressing(Phase.PENDING, target.progress, 10.0)
    if schedule.cron is not None:
        return _recurring(t, cron.parse(schedule.cron), zone)
    assert schedule.at is not None
    slot = to_utc(schedule.at, zone)
    target.scheduled_for, target.scheduled_local, target.schedule_note = (
        slot.utc,
        slot.describe(),
        slot.note,
    )
    if now < slot.utc:
        if target.phase != Phase.SCHEDULED:
            t.of.event("Normal", Reason.SCHEDULED, f"{t.name} runs at {slot.describe()}")
        target.phase, target.progress = Phase.SCHEDULED, None
        return idle(Reason.SCHEDULED, slot.describe(), max(0.5, (slot.utc - now).total_seconds()))
    if now - slot.utc > LATE_AFTER and target.started_at is None:
        minutes = int((now - slot.utc).total_seconds() // 60)
        late = f"ran late: {slot.describe()} was {minutes} min ago"
        target.schedule_note = f"{slot.note}; {late}" if slot.note else late
    return DONE


def _recurring(t: _Target, expression: cron.Cron, zone: str) -> Result:
    """Wait for the run a cron expression names next in the target's zone. Runs missed while
    the operator was down run once, late, for the latest of them, and say so."""
    target, now = t.status, t.of.now
    if target.started_at is not None:
        return DONE  # a run under way keeps its time
    if target.scheduled_for is not None:  # the run waited for counts
        after = target.scheduled_for - timedelta(microseconds=1)
    else:  # the first run is the next one; a next run follows the last
        after = target.last_run.scheduled_for if target.last_run is not None else now
    latest, count = due(expression, zone, after, now)
    if latest is None:
        upcoming = next(runs(expression, zone, max(after, now)), None)
        if upcoming is None:
            return stalled(Reason.INVALID_SPEC, f"cron {expression.text!r} names no time to run")
        target.scheduled_for, target.scheduled_local = upcoming.utc, upcoming.describe()
        target.schedule_note = upcoming.note
        if target.phase != Phase.SCHEDULED:
            t.of.event("Normal", Reason.SCHEDULED, f"{t.name} runs next at {upcoming.describe()}")
        target.phase, target.progress = Phase.SCHEDULED, None
        wait = max(0.5, (upcoming.utc - now).total_seconds())
        return idle(Reason.SCHEDULED, upcoming.describe(), wait)
    if count > 1:  # runs missed (this one waited past them, or the operator was down)
        target.missed_runs = (target.missed_runs or 0) + count - 1
        t.of.event(
            "Warning",
            Reason.MISSED_RUN,
            f"{t.name}: {plural(count - 1, 'run')} of {expression.text!r} missed (first "
            f"{target.scheduled_local or 'after the last run'}); runs once, late, for "
            f"{latest.describe()}",
        )
    target.scheduled_for, target.scheduled_local = latest.utc, latest.describe()
    notes = [latest.note] if latest.note else []
    if target.missed_runs:
        notes.append(f"{plural(target.missed_runs, 'run')} missed while the operator was down")
    if now - latest.utc > LATE_AFTER:
        minutes = int((now - latest.utc).total_seconds() // 60)
        notes.append(f"ran late: {latest.describe()} was {minutes} min ago")
    target.schedule_note = "; ".join(notes) or None
    return DONE


async def _approval_pending(t: _Target) -> Result:
    """A plan awaiting approval is shown already; observing the whole store again at every poll
    would spend its quota for nothing. It is planned afresh once approved."""
    ctx, target = t.of, t.status
    if ctx.resolved is not None:
        target.applied_revision = ctx.resolved.revision or ctx.resolved.digest
    t.was_awaiting = target.phase == Phase.AWAITING_APPROVAL
    shown = ctx.svc.reviews is None or ctx.svc.reviews.planned(
        (ctx.namespace, ctx.name, t.name), target.plan_digest
    )  # after a restart, the web UI's review page needs the plan made again, once
    if t.was_awaiting and ctx.required and shown and not _approval_news(ctx, target):
        return idle(Reason.AWAITING_APPROVAL, "", ctx.svc.approval_poll_seconds)
    return DONE


async def _plan(t: _Target) -> Result:
    """Plan against the store (catalog, scripts, theme): shown in status before any write; a plan
    the store's rules refuse fails the target."""
    ctx, target, policy = t.of, t.status, t.of.spec.spec.strategy
    assert t.env is not None
    target.phase = Phase.PLANNING
    options = Options(
        prune=policy.prune,
        max_delete_percent=policy.max_delete_percent,
        reviews=reviews_asked(t.env),
        channel=t.ref.scope_channel,
    )
    t.content = content = await _content(ctx)
    t.store = store = await t.resources.enter_async_context(await open_store(ctx.svc, t.env))
    catalog = ctx.resolved.catalog if ctx.resolved is not None else Catalog()
    t.options, observed = options, None
    if ctx.spec.spec.migration is not None:
        at = t.env.spec.store
        key = ctx.svc.stores.key(at.api_url, at.hash)
        t.migration = await ctx.migrations.plan(
            store, target, key, at.hash, lambda: _kept_plan(ctx, key)
        )
        if t.migration is not None and t.migration.migration.changes:
            # the catalog is planned against the store as the migration leaves it
            observed = t.migration.after(await store.observe(observed_kinds(catalog)))
            ctx.event(
                "Normal", "MigrationPlanned", f"{t.name}: {v2_to_v3.planned_text(t.migration)}"
            )
    t.assessment = assessment = await assess(store, catalog, options, observed=observed)
    plan = assessment.plan
    target.plan = {kind: PlanCounts(**counts) for kind, counts in plan.counts().items()}
    target.estimated_requests = plan.estimate_requests()
    if t.migration is not None:
        target.plan["migration"] = PlanCounts(update=len(t.migration.migration.changes))
    if plan.several_channels or t.ref.scope_channel:
        counts = plan.channel_counts().items()
        target.plan_channels = {channel: PlanCounts(**n) for channel, n in counts}
    target.out_of_scope = plan.out_of_scope or None
    if content.scripts is not None:
        t.scripts = changes = await plan_scripts(
            store, content.scripts, prune=policy.prune, channel=t.ref.scope_channel
        )
        target.plan["scripts"] = PlanCounts(
            create=len(changes.create), update=len(changes.update), delete=len(changes.delete)
        )
    if content.theme is not None and target.theme is None:
        target.plan["theme"] = PlanCounts(create=1)
    if plan.problems:
        target.errors = list(plan.problems)
        await _shelve(t, None)
        ctx.event("Warning", "PlanRefused", f"{t.name}: {'; '.join(plan.problems)}")
        return replace(stalled("PlanRefused", "; ".join(plan.problems)), announce=False)
    target.plan_digest = plan_digest(
        plan, content, t.scripts, migration=t.migration.digest if t.migration else None
    )
    await _shelve(t, target.plan_digest)
    return DONE


async def _shelve(t: _Target, digest: str | None) -> None:
    """The plan as a review page for the operator's web UI, in the store's currency and time
    zone as its environment last read them (no request of its own). Built in a thread: a plan of
    10k changes takes about a second (bench/ui.py), which the other objects need not wait for."""
    ctx = t.of
    if ctx.svc.reviews is None:
        return
    assert t.env is not None
    assert t.assessment is not None
    observation = ctx.svc.observations.named(ctx.namespace, t.ref.environment)
    info = (observation.store_info if observation is not None else None) or {}
    known = ((ctx.envs.get(t.ref.environment) or {}).get("status") or {}).get("store") or {}
    currency = (
        Currency.from_store_info(info) if info else Currency(code=known.get("currency") or "")
    )
    store = t.env.spec.store.hash
    source = f"CatalogSnapshot {ctx.snapshot}" if ctx.snapshot else "no catalog"
    review = await asyncio.to_thread(
        build_review,
        t.plan,
        t.assessment.observed,
        store=f"{known['name']} ({store})" if known.get("name") else store,
        source=source,
        revision=ctx.resolved.revision if ctx.resolved is not None else None,
        currency=currency,
        requests_per_second=t.store.governor.requests_per_second,
        made_at=local_time(ctx.now, t.env.spec.timezone or known.get("timezone")),
    )
    if t.migration is not None and t.migration.migration.changes and t.status.migration:
        shown = (v2_to_v3.planned_text(t.migration), *t.status.migration.products)
        review = replace(review, migration=shown)
    ctx.svc.reviews.put((ctx.namespace, ctx.name, t.name), Shelved(review, digest, ctx.now))


async def _approval(t: _Target) -> Result:
    """A required approval must cover exactly this plan (a plan that moved waits for a new one)."""
    ctx, target = t.of, t.status
    if not ctx.required or target.started_at is not None or _approves(ctx, target):
        return DONE
    earlier = ctx.status.approval is not None and (
        ctx.status.approval.plans.get(t.name) == EARLIER_RUN
    )
    if earlier and not t.was_awaiting:
        ctx.event(
            "Normal",
            Reason.AWAITING_APPROVAL,
            f"{t.name}: a new run: {_plan_text(t.plan)}; approve it with {APPROVED_PLAN}: "
            f"{target.plan_digest}",
        )
    elif ctx.approver and not earlier:
        ctx.event(
            "Warning",
            Reason.PLAN_CHANGED,
            f"{t.name}: the plan changed since {ctx.approver} approved it "
            f"({_plan_text(t.plan)}): approve it with {APPROVED_PLAN}: {target.plan_digest}",
        )
    elif not t.was_awaiting:
        ctx.event(
            "Normal",
            Reason.AWAITING_APPROVAL,
            f"{t.name}: {_plan_text(t.plan)}; set {APPROVED_BY} to approve",
        )
    target.phase = Phase.AWAITING_APPROVAL
    return idle(Reason.AWAITING_APPROVAL, _plan_text(t.plan), ctx.svc.approval_poll_seconds)


async def _dry_run(t: _Target) -> Result:
    if not t.of.spec.spec.strategy.dry_run:
        return DONE
    t.status.phase, t.status.progress = Phase.SUCCEEDED, "dry run: nothing written"
    t.status.finished_at = t.of.now
    return _STOP


async def _apply(t: _Target) -> Result:
    """Under the store's write lock: keep a rollback snapshot, apply the plan with progress
    reports, release scripts and theme, and record the outcome."""
    ctx, target, svc = t.of, t.status, t.of.svc
    assert t.env is not None
    assert t.assessment is not None
    assert t.content is not None
    lock = svc.stores.write_lock(t.env.spec.store.api_url, t.env.spec.store.hash)
    async with lock, svc.stores.parallel:
        target.phase, target.started_at = Phase.APPLYING, target.started_at or svc.clock()
        run = (
            f"-{target.scheduled_for:%Y%m%dt%H%M}" if ctx.recurring and target.scheduled_for else ""
        )
        await _rollback(ctx, t.ref, run, target, t.plan, t.assessment.observed)
        if t.migration is not None and t.migration.migration.changes:
            stop = await _migrate(t)
            if stop is not None:
                return stop
        ctx.event("Normal", "Applying", f"{t.name}: {_plan_text(t.plan)}")
        # Progress reports run in this group: all are written before the target's outcome.
        async with asyncio.TaskGroup() as reports:
            result = await apply(
                t.plan,
                t.assessment.observed,
                t.store,
                progress=lambda r: _progress(ctx, reports, target, r),
            )
            await _content_release(ctx, t.ref, target, t.store, t.content, result)
    _finish(ctx, t.ref, target, result)
    return DONE


async def _migrate(t: _Target) -> Result | None:
    """Migrate the target's Catalog V2 products and verify them, then plan the catalog again
    against the migrated store (option value ids change), which must be the plan approved; a
    difference stops the target before its catalog, scripts and theme."""
    ctx, target = t.of, t.status
    assert t.migration is not None
    assert t.options is not None

    async def keep() -> None:
        await ctx.writer.progress({"phase": Phase.APPLYING, "targets": _targets_now(ctx)})

    stop = await v2_to_v3.apply(
        t.store, t.migration, target, keep, ctx.svc.migration_plan_max_bytes
    )
    if stop is not None:
        return stalled(stop[0], stop[1])  # the event names the target
    ctx.event("Normal", "Migrated", f"{t.name}: {v2_to_v3.applied_text(target)}")
    catalog = ctx.resolved.catalog if ctx.resolved is not None else Catalog()
    fresh = await assess(t.store, catalog, t.options)
    steps = _steps(fresh.plan)
    # the target that migrated the store in this pass may have released the same catalog since
    released = target.migration is not None and target.migration.migrated_with is not None
    if steps != _steps(t.plan) and not (released and set(steps) <= set(_steps(t.plan))):
        return stalled(
            Reason.PLAN_CHANGED_BY_MIGRATION,
            f"the store migrated, the catalog's plan is {_plan_text(fresh.plan)}, not "
            f"the {_plan_text(t.plan)} approved: the catalog, scripts and theme were not "
            "released; the store is migrated and verified: change the deployment's spec to plan "
            "its catalog again, and approve that plan",
        )
    t.assessment = fresh
    return None


def _steps(plan: Plan) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return sorted((s.kind, str(s.action), s.key, tuple(s.fields())) for s in plan.steps)


def _kept_plan(ctx: _Reconcile, key: str) -> str | None:
    """The migration plan a target of the store `key` kept (its run stopped while writing it)."""
    for target in ctx.status.targets:
        env = ctx.envs.get(target.environment or "")
        if env is None or target.migration is None or not target.migration.kept_plan:
            continue
        at = StoreEnvironment.model_validate(env).spec.store
        if ctx.svc.stores.key(at.api_url, at.hash) == key:
            return target.migration.kept_plan
    return None


def _migrating(target: TargetStatus) -> bool:
    """Whether the target's migration began writing and is not verified (it resumes from the plan
    it kept, whatever the spec says now)."""
    return target.migration is not None and bool(target.migration.kept_plan)


def _targets_now(ctx: _Reconcile) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in ctx.status.targets]


TARGET_STEPS = (
    _final,
    _environment,
    _schedule,
    _approval_pending,
    _plan,
    _approval,
    _dry_run,
    _apply,
)


def _approves(ctx: _Reconcile, target: TargetStatus) -> bool:
    """Whether an approval covers the plan the target is about to apply: the plan shown when it
    was given, or the one named by the approved-plan annotation."""
    approval = ctx.status.approval
    if not ctx.approver or approval is None or target.plan_digest is None:
        return False
    named = ctx.spec.metadata.annotations.get(APPROVED_PLAN)
    if named:
        return target.plan_digest == named
    if target.name not in approval.plans:  # approved before any plan was shown
        approval.plans[target.name] = target.plan_digest
    return approval.plans[target.name] == target.plan_digest


def _approval_news(ctx: _Reconcile, target: TargetStatus) -> bool:
    """Whether there is an approval to check against a fresh plan (else waiting goes on without
    observing the store again)."""
    if not ctx.approver or ctx.status.approval is None:
        return False
    named = ctx.spec.metadata.annotations.get(APPROVED_PLAN)
    approved = named or ctx.status.approval.plans.get(target.name)
    return approved is None or approved == target.plan_digest


async def _content(ctx: _Reconcile) -> _Content:
    """The theme files and scripts to release (read from Git, before any write)."""
    spec, svc = ctx.spec.spec, ctx.svc
    theme_files = scripts = None
    if spec.theme is not None:
        theme_files = await _read_git(svc, ctx.namespace, spec.theme.git)
        bundle(theme_files)  # a bundle the store would refuse fails the plan, before approval
    if spec.scripts is not None:
        files = await _read_git(svc, ctx.namespace, spec.scripts.git, file_ok=True)
        name = next((n for n in files if n.endswith(("scripts.yaml", "scripts.yml"))), None)
        if name is None:
            raise CatalogInvalid(
                [Problem("no scripts.yaml at the scripts source", spec.scripts.git.path)]
            )
        items = yaml.safe_load(files[name]) or []
        if not isinstance(items, list):
            raise CatalogInvalid([Problem("expected a list of scripts", name, 1)])
        scripts = (
            build_catalog(
                {Kind.SCRIPTS: [Item(i, name, n + 1) for n, i in enumerate(items)]}
            ).scripts
            or {}
        )
    return _Content(theme_files, scripts)


async def _content_release(
    ctx: _Reconcile,
    ref: Target,
    target: TargetStatus,
    store: Any,
    content: _Content,
    result: ApplyResult,
) -> None:
    """Scripts, then the theme (activation last, once everything else is in place), on the
    target's channel (an environment's: its default channel); a theme another target of the
    same store uploaded is activated, not uploaded again."""
    spec = ctx.spec.spec
    if content.scripts is not None:
        changes = await release_scripts(
            store, content.scripts, prune=spec.strategy.prune, channel=ref.scope_channel
        )
        result.count("scripts", "created", len(changes.create))
        result.count("scripts", "updated", len(changes.update))
        result.count("scripts", "deleted", len(changes.delete))
    if content.theme is not None and spec.theme is not None and target.theme is None:
        # a run of a recurring release uploads its own (the files may have changed since)
        earlier = [] if ctx.recurring else ctx.status.targets
        uploaded = ctx.uploaded.get(ref.environment) or next(
            (s.theme for s in earlier if s.environment == ref.environment and s.theme), None
        )
        released = await release_theme(
            store,
            content.theme,
            activate=spec.theme.activate,
            variation=spec.theme.variation_name,
            channel=ref.channel,
            which=spec.theme.configuration,
            uploaded=uploaded,
        )
        target.theme = ctx.uploaded[ref.environment] = released["theme"]
        result.count("theme", "activated" if "variation" in released else "uploaded")


def _progress(
    ctx: _Reconcile, reports: asyncio.TaskGroup, target: TargetStatus, result: ApplyResult
) -> None:
    """Show progress in status every few seconds, one write at a time."""
    target.progress = (
        f"{result.done}/{plural(result.total, 'item')}, {plural(result.requests, 'request')}"
    )
    loop_time = asyncio.get_running_loop().time()
    busy = ctx.reporting is not None and not ctx.reporting.done()
    if busy or loop_time - ctx.last_progress < PROGRESS_EVERY:
        return
    ctx.last_progress = loop_time
    ctx.reporting = reports.create_task(
        ctx.writer.progress({"phase": Phase.APPLYING, "targets": _targets_now(ctx)})
    )


def _finish(ctx: _Reconcile, ref: Target, target: TargetStatus, result: ApplyResult) -> None:
    svc = ctx.svc
    target.finished_at = svc.clock()
    target.outcomes = {k: dict(v) for k, v in result.outcomes.items()}
    target.progress = (
        f"{result.done}/{plural(result.total, 'item')}, {plural(result.requests, 'request')}"
    )
    target.errors = [f"{kind} {key}: {message}" for kind, key, message in result.errors[:50]]
    target.phase = Phase.SUCCEEDED if not result.errors else Phase.PARTIALLY_SUCCEEDED
    # An environment's last deployed catalog derives from its deployments: look at it now.
    ctx.touches.append(("StoreEnvironment", ref.environment))
    if target.started_at is not None:
        svc.metrics.deployment_seconds.labels(target.phase).observe(
            (target.finished_at - target.started_at).total_seconds()
        )
    ctx.event(
        "Normal" if not result.errors else "Warning",
        target.phase,
        f"{target.name}: {target.progress}" + (f"; {target.errors[0]}" if target.errors else ""),
    )


async def _rollback(
    ctx: _Reconcile,
    ref: Target,
    run: str,
    target: TargetStatus,
    plan: Plan,
    observed: ObservedCatalog,
) -> None:
    """Keep the current state of what the plan changes as a CatalogSnapshot (inline), unless one
    exists already (a resumed deployment must not capture its own half-applied state); each run
    of a recurring release keeps its own."""
    name = f"{ctx.spec.metadata.name}-{ref.object_part}-rollback{run}"[-253:].lstrip("-.")
    if target.rollback_snapshot or await ctx.svc.world.get("CatalogSnapshot", ctx.namespace, name):
        target.rollback_snapshot = target.rollback_snapshot or name
        return
    inline, created = rollback_catalog(plan, observed)
    size = len(json.dumps(inline))
    if size > MAX_ROLLBACK_BYTES:
        target.rollback_note = (
            f"the state before the deployment is {size // 1000} kB, too large to keep in a "
            "resource: capture the store into Git before large deployments"
        )
        return
    body = {
        "apiVersion": "stagingpro.io/v1alpha1",
        "kind": "CatalogSnapshot",
        "metadata": {
            "name": name,
            "namespace": ctx.namespace,
            "labels": {"stagingpro.io/rollback-of": ctx.spec.metadata.name},
            "annotations": {"stagingpro.io/target": target.name},
        },
        "spec": {"source": {"inline": inline}},
    }
    await ctx.svc.world.create("CatalogSnapshot", ctx.namespace, body)
    target.rollback_snapshot = name
    if run:
        await _let_go_of_old_rollbacks(ctx, target.name)
    if created:
        target.rollback_note = (
            f"deploying {name} restores what this deployment changes or deletes; the "
            f"{plural(created, 'item')} it creates {'is' if created == 1 else 'are'} not removed by it"
        )


async def _let_go_of_old_rollbacks(ctx: _Reconcile, target: str) -> None:
    """A recurring release keeps the rollback snapshots of its last `ROLLBACKS_KEPT` runs per
    target, not one per run forever (an hourly release would otherwise add 8,760 a year)."""
    own = [
        o["metadata"]["name"]
        for o in await ctx.svc.world.list("CatalogSnapshot", ctx.namespace)
        if (o["metadata"].get("labels") or {}).get("stagingpro.io/rollback-of")
        == ctx.spec.metadata.name
        and (o["metadata"].get("annotations") or {}).get("stagingpro.io/target") == target
    ]
    # names end in the run's UTC instant (-rollback-YYYYmmddtHHMM): their order is the runs'
    for name in sorted(own)[:-ROLLBACKS_KEPT]:
        await ctx.svc.world.delete("CatalogSnapshot", ctx.namespace, name)


@dataclass(frozen=True)
class _Content:
    theme: dict[str, bytes] | None
    scripts: Mapping[str, Script] | None


async def _read_git(
    svc: Services, namespace: str, source: GitSource, *, file_ok: bool = False
) -> dict[str, bytes]:
    """The files under a Git source's path at its ref (a file path reads its directory)."""
    credentials = await git_credentials(
        svc.world, namespace, source.secret_ref.name if source.secret_ref else None
    )
    cache = svc.git.scoped(namespace)
    revision = await asyncio.to_thread(cache.resolve, source.url, source.ref, credentials)
    path = source.path
    if file_ok and path.endswith((".yaml", ".yml")):
        path = path.rsplit("/", 1)[0] if "/" in path else "."
    return await asyncio.to_thread(cache.read, source.url, revision.sha, path)


def rollback_catalog(plan: Plan, observed: ObservedCatalog) -> tuple[dict[str, Any], int]:
    """The pre-deployment state of everything the plan updates or deletes, as inline catalog items
    (a record of an owned kind brings its owner whole, a record the records the catalog alone must
    resolve, a tree's record its ancestors), and the number of items the plan creates (which a
    rollback cannot express)."""
    current = to_catalog(observed)
    keep: dict[Kind, set[str]] = {kind: set() for kind in TOP_LEVEL}
    variants: dict[str, str] | None = None  # a variant's product, by folded SKUs
    for step in plan.steps:
        spec = KINDS[step.kind]
        if spec.owner is Kind.VARIANTS:  # a variant's record brings its product whole
            if variants is None:
                variants = {
                    sku_key(v.sku): k for k, p in observed.products.items() for v in p.variants
                }
            keep[Kind.PRODUCTS].add(variants.get(step.owner_key or "", ""))
        elif spec.owner is not None:
            keep[spec.owner].add(step.owner_key or "")
        elif step.action is not Action.CREATE:
            keep[step.kind].add(spec.fold(step.key))
    for kind in reversed(TOP_LEVEL):  # referrers before the kinds they reference
        spec, records = KINDS[kind], KINDS[kind].records(current) or {}
        # references the plan checks against the store need not be kept (pages, redirects)
        for key in [] if spec.checks_references else keep[kind] & records.keys():
            for reference in spec.references:
                value = getattr(records[key], reference.field)
                names = (value or ()) if reference.many else ([value] if value else [])
                keep[reference.kind].update(KINDS[reference.kind].fold(n) for n in names)
        if spec.tree:  # ancestors, so that every path resolves
            for key in list(keep[kind]):
                parts = key.split(PATH_SEPARATOR)
                keep[kind] |= {PATH_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts) - 1)}
    paths = {k: c.path for k, c in (current.categories or {}).items()}
    inline: dict[str, Any] = {}
    for spec in FILED:
        records = spec.records(current) or {}
        if keep[spec.kind] or spec.kind is Kind.PRODUCTS:
            inline[spec.kind.value] = [
                item_of(spec, records[k], paths) for k in sorted(keep[spec.kind]) if k in records
            ]
    created = sum(1 for s in plan.steps if s.action is Action.CREATE)
    return inline, created


def plan_digest(
    plan: Plan, content: _Content, scripts: ScriptChanges | None, *, migration: str | None = None
) -> str:
    """A digest of everything a target's plan writes: steps with their values, scripts, theme, the
    migration's digest."""
    body = {
        "steps": [
            [
                s.kind,
                str(s.action),
                s.key,
                repr(s.changes),
                json.dumps(s.payload, sort_keys=True, default=str),
            ]
            for s in plan.steps
        ],
        "scripts": None if scripts is None else repr(scripts),
        "theme": None
        if content.theme is None
        else hashlib.sha256(repr(sorted(content.theme.items())).encode()).hexdigest(),
    }
    if migration is not None:
        body["migration"] = migration
    encoded = json.dumps(body, sort_keys=True).encode()
    return "sha256:" + hashlib.sha256(encoded).hexdigest()


def _plan_text(plan: Plan) -> str:
    parts = [
        f"{kind} +{c['create']} ~{c['update']} -{c['delete']}"
        for kind, c in sorted(plan.counts().items())
    ]
    text = f"plan {', '.join(parts) or 'in sync'} ({plural(plan.estimate_requests(), 'request')})"
    if plan.out_of_scope:  # a channel-scoped target's
        text += f"; {plural(plan.out_of_scope, 'change')} outside the channel left out"
    return text
