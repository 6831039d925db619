"""StoreDeployment: per target, wait for its store-local time and for approval, plan (shown before
any write), keep a rollback snapshot, then apply. Level-based: re-running it after a restart resumes
where each target stood, and the idempotent engine never applies anything twice."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import yaml

from controller.api.conditions import SCHEDULE_ADJUSTED, Reason, set_condition
from controller.api.deployment import (
    ApprovalRecord,
    PlanCounts,
    StoreDeploymentStatus,
    TargetStatus,
)
from controller.api.resources import StoreDeployment, StoreEnvironment
from controller.api.snapshot import GitSource
from controller.catalog.files import product_item, record_item
from controller.catalog.kinds import KINDS, Kind
from controller.catalog.model import Catalog, CatalogInvalid, Problem, Script, path_key
from controller.catalog.observed import ObservedCatalog, to_catalog
from controller.catalog.parse import Item, build_catalog
from controller.engine import ApplyResult, apply, assess
from controller.engine.content import (
    ScriptChanges,
    bundle,
    plan_scripts,
    release_scripts,
    release_theme,
)
from controller.engine.snapshots import ResolvedCatalog
from controller.errors import DependencyNotReady, Stalled, Waiting
from controller.planner import Options, Plan
from controller.reconcile.outcome import (
    Event,
    Outcome,
    classify,
    failed,
    idle,
    progressing,
    succeeded,
)
from controller.reconcile.schedule import to_utc
from controller.reconcile.services import Services, git_credentials, open_store, require
from controller.reconcile.snapshot import load_snapshot_catalog
from controller.reconcile.status import StatusWriter
from controller.text import plural

APPROVED_BY = "stagingpro.io/approved-by"
APPROVED_PLAN = "stagingpro.io/approved-plan"  # approves exactly the plan of this digest
FINAL = ("Succeeded", "PartiallySucceeded", "Failed")
ORDER = ("Failed", "Applying", "Planning", "AwaitingApproval", "Scheduled", "Pending")
LATE_AFTER = timedelta(minutes=1)
MAX_ROLLBACK_BYTES = 900_000  # a Kubernetes object must stay well under 1.5 MB
PROGRESS_EVERY = 2.0


def aggregate(targets: list[TargetStatus]) -> str:
    """The deployment's phase from its targets'."""
    phases = {t.phase for t in targets}
    if phases and phases <= {"Succeeded"}:
        return "Succeeded"
    if phases and phases <= set(FINAL):
        return "PartiallySucceeded" if phases & {"Succeeded", "PartiallySucceeded"} else "Failed"
    for phase in ORDER[1:]:
        if phase in phases:
            return phase
    return "Pending"


async def reconcile_deployment(obj: dict[str, Any], svc: Services, writer: StatusWriter) -> Outcome:
    """Advance every target as far as it may go now; requeue for the next scheduled instant."""
    now = svc.clock()
    status = StoreDeploymentStatus.model_validate(obj.get("status") or {})
    meta = obj.get("metadata", {})
    generation = meta.get("generation")
    namespace, name = meta.get("namespace", "default"), meta.get("name", "")
    events: list[Event] = []
    try:
        deployment = StoreDeployment.model_validate(obj)
        if status.observed_generation is not None and generation != status.observed_generation:
            # A changed spec is a new deployment: targets start over (idempotency keeps it safe).
            status.targets = [t for t in status.targets if t.phase == "Applying"]
        approver = deployment.metadata.annotations.get(APPROVED_BY)
        if approver and (status.approval is None or status.approval.by != approver):
            # The approval holds for the plans shown when it came, and for no other.
            shown = {t.name: t.plan_digest for t in status.targets if t.plan_digest}
            status.approval = ApprovalRecord(by=approver, at=now, plans=shown)
            events.append(("Normal", "Approved", f"approved by {approver}"))
        elif not approver:
            status.approval = None
        status.approved_by = approver
        async with asyncio.TaskGroup() as group:
            reads = {
                t: group.create_task(svc.world.get("StoreEnvironment", namespace, t))
                for t in deployment.spec.targets
            }
        envs = {t: read.result() for t, read in reads.items()}
        required = deployment.spec.approval.required
        if required is None:
            required = any(
                (e or {}).get("spec", {}).get("role") == "production" for e in envs.values()
            )
        resolved, snapshot_name = await _catalog(svc, deployment, status)
        current = {t.name: t for t in status.targets}
        work = _Work(svc, deployment, status, resolved, snapshot_name, required, approver, events)
        work.writer = writer
        # Every target moves at once; none outlives this reconcile (nor its progress reports).
        async with asyncio.TaskGroup() as group:
            moves = [
                group.create_task(
                    work.target(current.get(t) or TargetStatus(name=t, phase="Pending"), envs[t])
                )
                for t in deployment.spec.targets
            ]
        results = [move.result() for move in moves]
        status.targets = [r[0] for r in results]
        waits = [r[1] for r in results if r[1] is not None]
        status.phase = aggregate(status.targets)  # type: ignore[assignment]
        status.observed_generation = generation
        notes = [f"{t.name}: {t.schedule_note}" for t in status.targets if t.schedule_note]
        status.conditions = set_condition(
            status.conditions,
            SCHEDULE_ADJUSTED,
            "True" if notes else "False",
            "ScheduleAdjusted",
            "; ".join(notes),
            generation=generation,
            now=now,
        )
        message = "; ".join(
            f"{t.name}: {t.phase}" + (f" ({t.progress})" if t.progress else "")
            for t in status.targets
        )
        if status.phase == "Succeeded":
            status.conditions = succeeded(
                status.conditions, Reason.SUCCEEDED, message, generation=generation, now=now
            )
        elif status.phase in ("Failed", "PartiallySucceeded"):
            errors = "; ".join(e for t in status.targets for e in t.errors[:1])
            failure = DeploymentFailed(f"{message}: {errors}")
            failure.reason = work.failures[0] if work.failures else status.phase
            status.conditions, _, _ = failed(
                status.conditions, failure, generation=generation, now=now
            )
        elif work.waiting:
            reason = work.waiting[0]
            errors = "; ".join(e for t in status.targets for e in t.errors[:1])
            status.conditions, _, _ = failed(
                status.conditions,
                DependencyNotReady(f"{message}: {errors}", reason=reason),
                generation=generation,
                now=now,
            )
        elif status.phase in ("Scheduled", "AwaitingApproval"):
            # All it can do now is done: kstatus Current (Argo CD: Suspended), not in progress.
            status.conditions = idle(
                status.conditions, status.phase, message, generation=generation, now=now
            )
        else:
            status.conditions = progressing(
                status.conditions, status.phase, message, generation=generation, now=now
            )
        svc.metrics.set_deployment_phase(namespace, name, status.phase)
        return Outcome(
            _dump(status),
            min(waits) if waits else None,
            events,
            "waiting" if work.waiting else "success",
            # An environment's last deployed catalog derives from its deployments.
            touches=[("StoreEnvironment", t) for t in work.finished],
        )
    except Exception as error:
        status.observed_generation = generation
        status.conditions, retry, event = failed(
            status.conditions, error, generation=generation, now=now
        )
        return Outcome(_dump(status), retry, [*events, event], classify(error))


class DeploymentFailed(Stalled):
    """A deployment ended with failed targets or items (the reason is the first target's)."""

    reason = "DeploymentFailed"


async def _catalog(
    svc: Services, deployment: StoreDeployment, status: StoreDeploymentStatus
) -> tuple[ResolvedCatalog | None, str | None]:
    """The catalog to promote, pinned to the revision the first target planned with."""
    if deployment.spec.catalog is None:
        return None, None
    namespace = deployment.metadata.namespace or "default"
    name = deployment.spec.catalog.snapshot_ref.name
    snapshot = await require(
        svc.world, "CatalogSnapshot", namespace, name, reason=Reason.SNAPSHOT_NOT_FOUND
    )
    # Pinned once a target started writing (all targets get the same catalog); until then the
    # latest revision is planned, and a plan that moves needs a new approval.
    pinned = next(
        (t.applied_revision for t in status.targets if t.applied_revision and t.started_at), None
    )
    return await load_snapshot_catalog(svc, snapshot, revision=pinned), name


class _Work:
    """One reconcile of one deployment's targets."""

    def __init__(
        self,
        svc: Services,
        deployment: StoreDeployment,
        status: StoreDeploymentStatus,
        resolved: ResolvedCatalog | None,
        snapshot: str | None,
        required: bool,
        approver: str | None,
        events: list[Event],
    ):
        self.svc, self.deployment, self.status = svc, deployment, status
        self.resolved, self.snapshot, self.required, self.approver = (
            resolved,
            snapshot,
            required,
            approver,
        )
        self.events = events
        self.namespace = deployment.metadata.namespace or "default"
        self._last_progress = 0.0
        self._reporting: asyncio.Task[None] | None = None
        self.writer: StatusWriter | None = None
        self.failures: list[str] = []
        self.waiting: list[str] = []  # reasons of targets waiting on another object
        self.finished: list[str] = []  # targets that reached their outcome in this reconcile

    async def target(
        self, target: TargetStatus, env_obj: dict[str, Any] | None
    ) -> tuple[TargetStatus, float | None]:
        """Move one target forward; returns it and when to look again. A failure here fails this
        target only (a transient one is retried), never the other targets."""
        try:
            return await self._advance(target, env_obj)
        except Waiting as error:
            target.errors = [f"{error.reason}: {error}"]
            self.waiting.append(error.reason)
            self.events.append(("Warning", error.reason, f"{target.name}: {error}"))
            return target, error.retry_after
        except Exception as error:
            reason = getattr(error, "reason", type(error).__name__)
            target.phase, target.errors, target.finished_at = (
                "Failed",
                [f"{reason}: {error}"],
                self.svc.clock(),
            )
            self.failures.append(reason)
            self.events.append(("Warning", reason, f"{target.name}: {error}"))
            return target, None

    async def _advance(
        self, target: TargetStatus, env_obj: dict[str, Any] | None
    ) -> tuple[TargetStatus, float | None]:
        svc, spec = self.svc, self.deployment.spec
        if target.phase in FINAL:
            return target, None
        now = svc.clock()
        if env_obj is None:
            target.phase = "Pending"
            raise DependencyNotReady(
                f"target StoreEnvironment {self.namespace}/{target.name} not found",
                reason=Reason.TARGET_NOT_FOUND,
            )
        env = StoreEnvironment.model_validate(env_obj)
        target.errors = []
        if spec.schedule is not None:
            zone = spec.schedule.timezone
            if zone == "store":
                zone = env.spec.timezone or (env_obj.get("status") or {}).get("store", {}).get(
                    "timezone"
                )
            if not zone:
                target.phase, target.progress = "Pending", "waiting for the store's time zone"
                return target, 10.0
            slot = to_utc(spec.schedule.at, zone)
            target.scheduled_for, target.scheduled_local, target.schedule_note = (
                slot.utc,
                slot.describe(),
                slot.note,
            )
            if now < slot.utc:
                if target.phase != "Scheduled":
                    self.events.append(
                        ("Normal", Reason.SCHEDULED, f"{target.name} runs at {slot.describe()}")
                    )
                target.phase, target.progress = "Scheduled", None
                return target, max(0.5, (slot.utc - now).total_seconds())
            if now - slot.utc > LATE_AFTER and target.started_at is None:
                late = f"ran late: {slot.describe()} was {int((now - slot.utc).total_seconds() // 60)} min ago"
                target.schedule_note = f"{slot.note}; {late}" if slot.note else late
        if self.resolved is not None:
            target.applied_revision = self.resolved.revision or self.resolved.digest
        was_waiting = target.phase == "AwaitingApproval"
        if was_waiting and self.required and not self._approval_news(target):
            # The plan is shown already; observing the whole store again at every poll would spend
            # the store's quota for nothing. It is planned afresh once approved.
            return target, svc.approval_poll_seconds
        target.phase = "Planning"
        policy = spec.strategy
        options = Options(prune=policy.prune, max_delete_percent=policy.max_delete_percent)
        content = await self._content()
        async with await open_store(svc, env) as store:
            catalog = self.resolved.catalog if self.resolved is not None else Catalog()
            assessment = await assess(store, catalog, options)
            plan = assessment.plan
            target.plan = {kind: PlanCounts(**counts) for kind, counts in plan.counts().items()}
            target.estimated_requests = plan.estimate_requests()
            changes: ScriptChanges | None = None
            if content.scripts is not None:
                changes = plan_scripts(
                    content.scripts, await store.list_scripts(), prune=policy.prune
                )
                target.plan["scripts"] = PlanCounts(
                    create=len(changes.create),
                    update=len(changes.update),
                    delete=len(changes.delete),
                )
            if content.theme is not None and target.theme is None:
                target.plan["theme"] = PlanCounts(create=1)
            if plan.problems:
                target.phase, target.errors = "Failed", list(plan.problems)
                target.finished_at = now
                self.events.append(
                    ("Warning", "PlanRefused", f"{target.name}: {'; '.join(plan.problems)}")
                )
                return target, None
            digest = plan_digest(plan, content, changes)
            target.plan_digest = digest
            if self.required and target.started_at is None and not self._approves(target):
                if self.approver:
                    self.events.append(
                        (
                            "Warning",
                            Reason.PLAN_CHANGED,
                            f"{target.name}: the plan changed since {self.approver} approved it "
                            f"({_plan_text(plan)}): approve it with {APPROVED_PLAN}: {digest}",
                        )
                    )
                elif not was_waiting:
                    self.events.append(
                        (
                            "Normal",
                            Reason.AWAITING_APPROVAL,
                            f"{target.name}: {_plan_text(plan)}; set {APPROVED_BY} to approve",
                        )
                    )
                target.phase = "AwaitingApproval"
                return target, svc.approval_poll_seconds
            if policy.dry_run:
                target.phase, target.progress, target.finished_at = (
                    "Succeeded",
                    "dry run: nothing written",
                    now,
                )
                return target, None
            lock = svc.stores.write_lock(env.spec.store.api_url, env.spec.store.hash)
            async with lock, svc.stores.parallel:
                target.phase, target.started_at = "Applying", target.started_at or svc.clock()
                await self._rollback(target, plan, assessment.observed)
                self.events.append(("Normal", "Applying", f"{target.name}: {_plan_text(plan)}"))
                # Progress reports run in this group: all are written before the target's outcome.
                async with asyncio.TaskGroup() as reports:
                    result = await apply(
                        plan,
                        assessment.observed,
                        store,
                        progress=lambda r: self._progress(reports, target, r),
                    )
                    await self._content_release(target, store, content, result)
        return await self._finish(target, result), None

    def _approves(self, target: TargetStatus) -> bool:
        """Whether an approval covers the plan the target is about to apply: the plan shown when
        it was given, or the one named by the approved-plan annotation."""
        approval = self.status.approval
        if not self.approver or approval is None or target.plan_digest is None:
            return False
        named = self.deployment.metadata.annotations.get(APPROVED_PLAN)
        if named:
            return target.plan_digest == named
        if target.name not in approval.plans:  # approved before any plan was shown
            approval.plans[target.name] = target.plan_digest
        return approval.plans[target.name] == target.plan_digest

    def _approval_news(self, target: TargetStatus) -> bool:
        """Whether there is an approval to check against a fresh plan (else waiting goes on
        without observing the store again)."""
        if not self.approver or self.status.approval is None:
            return False
        named = self.deployment.metadata.annotations.get(APPROVED_PLAN)
        approved = named or self.status.approval.plans.get(target.name)
        return approved is None or approved == target.plan_digest

    async def _content(self) -> _Content:
        """The theme files and scripts to release (read from Git, before any write)."""
        spec, svc = self.deployment.spec, self.svc
        theme_files = scripts = None
        if spec.theme is not None:
            theme_files = await _read_git(svc, self.namespace, spec.theme.git)
            bundle(theme_files)  # a bundle the store would refuse fails the plan, before approval
        if spec.scripts is not None:
            files = await _read_git(svc, self.namespace, spec.scripts.git, file_ok=True)
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
        self, target: TargetStatus, store: Any, content: _Content, result: ApplyResult
    ) -> None:
        """Scripts, then the theme (activation last, once everything else is in place)."""
        spec = self.deployment.spec
        if content.scripts is not None:
            changes = await release_scripts(store, content.scripts, prune=spec.strategy.prune)
            result.count("scripts", "created", len(changes.create))
            result.count("scripts", "updated", len(changes.update))
            result.count("scripts", "deleted", len(changes.delete))
        if content.theme is not None and spec.theme is not None and target.theme is None:
            released = await release_theme(
                store,
                content.theme,
                activate=spec.theme.activate,
                variation=spec.theme.variation_name,
            )
            target.theme = released["theme"]
            result.count("theme", "activated" if "variation" in released else "uploaded")

    def _progress(
        self, reports: asyncio.TaskGroup, target: TargetStatus, result: ApplyResult
    ) -> None:
        """Show progress in status every few seconds, one write at a time."""
        target.progress = (
            f"{result.done}/{plural(result.total, 'item')}, {plural(result.requests, 'request')}"
        )
        loop_time = asyncio.get_running_loop().time()
        busy = self._reporting is not None and not self._reporting.done()
        if self.writer is None or busy or loop_time - self._last_progress < PROGRESS_EVERY:
            return
        self._last_progress = loop_time
        self._reporting = reports.create_task(
            self.writer.progress(
                {
                    "phase": "Applying",
                    "targets": [
                        t.model_dump(mode="json", by_alias=True, exclude_none=True)
                        for t in self.status.targets
                    ],
                }
            )
        )

    async def _finish(self, target: TargetStatus, result: ApplyResult) -> TargetStatus:
        svc = self.svc
        target.finished_at = svc.clock()
        target.outcomes = {k: dict(v) for k, v in result.outcomes.items()}
        target.progress = (
            f"{result.done}/{plural(result.total, 'item')}, {plural(result.requests, 'request')}"
        )
        target.errors = [f"{kind} {key}: {message}" for kind, key, message in result.errors[:50]]
        target.phase = "Succeeded" if not result.errors else "PartiallySucceeded"
        self.finished.append(target.name)
        if target.started_at is not None:
            svc.metrics.deployment_seconds.labels(target.phase).observe(
                (target.finished_at - target.started_at).total_seconds()
            )
        self.events.append(
            (
                "Normal" if not result.errors else "Warning",
                target.phase,
                f"{target.name}: {target.progress}"
                + (f"; {target.errors[0]}" if target.errors else ""),
            )
        )
        return target

    async def _rollback(self, target: TargetStatus, plan: Plan, observed: ObservedCatalog) -> None:
        """Keep the current state of what the plan changes as a CatalogSnapshot (inline), unless one
        exists already (a resumed deployment must not capture its own half-applied state)."""
        name = f"{self.deployment.metadata.name}-{target.name}-rollback"[:253]
        if target.rollback_snapshot or await self.svc.world.get(
            "CatalogSnapshot", self.namespace, name
        ):
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
                "namespace": self.namespace,
                "labels": {"stagingpro.io/rollback-of": self.deployment.metadata.name},
                "annotations": {"stagingpro.io/target": target.name},
            },
            "spec": {"source": {"inline": inline}},
        }
        await self.svc.world.create("CatalogSnapshot", self.namespace, body)
        target.rollback_snapshot = name
        if created:
            target.rollback_note = (
                f"deploying {name} restores what this deployment changes or deletes; the "
                f"{plural(created, 'item')} it creates {'is' if created == 1 else 'are'} not removed by it"
            )


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
    """The pre-deployment state of everything the plan updates or deletes, as inline catalog items,
    and the number of items the plan creates (which a rollback cannot express)."""
    current = to_catalog(observed)
    product_keys = {
        s.owner_key or s.key.casefold()
        for s in plan.steps
        if s.kind in ("products", "variants", "customFields", "images") and s.owner_key
    }
    product_keys |= {
        s.key.casefold() for s in plan.steps if s.kind == "products" and s.action != "create"
    }
    products = [current.products[k] for k in sorted(product_keys) if k in current.products]
    categories = {
        path_key(s.key) for s in plan.steps if s.kind == "categories" and s.action != "create"
    }
    for product in products:
        categories |= set(product.categories or ())
    for key in list(categories):  # ancestors, so that every path resolves
        parts = key.split("/")
        categories |= {"/".join(parts[: i + 1]) for i in range(len(parts) - 1)}
    brands = {s.key.casefold() for s in plan.steps if s.kind == "brands" and s.action != "create"}
    brands |= {p.brand.casefold() for p in products if p.brand}
    all_categories = current.categories or {}
    all_brands = current.brands or {}
    paths = {k: c.path for k, c in all_categories.items()}
    inline = {
        "products": [product_item(p, paths) for p in products],
        "categories": [
            record_item(KINDS[Kind.CATEGORIES], all_categories[k])
            for k in sorted(categories)
            if k in all_categories
        ],
        "brands": [
            record_item(KINDS[Kind.BRANDS], all_brands[k])
            for k in sorted(brands)
            if k in all_brands
        ],
    }
    created = sum(1 for s in plan.steps if s.action == "create")
    return inline, created


def plan_digest(plan: Plan, content: _Content, scripts: ScriptChanges | None) -> str:
    """A digest of everything a target's plan writes: steps with their values, scripts, theme."""
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
    encoded = json.dumps(body, sort_keys=True).encode()
    return "sha256:" + hashlib.sha256(encoded).hexdigest()


def _plan_text(plan: Plan) -> str:
    parts = [
        f"{kind} +{c['create']} ~{c['update']} -{c['delete']}"
        for kind, c in sorted(plan.counts().items())
    ]
    return f"plan {', '.join(parts) or 'in sync'} ({plural(plan.estimate_requests(), 'request')})"


def _dump(status: StoreDeploymentStatus) -> dict[str, Any]:
    return status.model_dump(mode="json", by_alias=True, exclude_none=True)
