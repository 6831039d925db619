"""A StoreDeployment's Catalog V2 to V3 migration of one target (`spec.migration`), with the
engine's migration (`controller.engine.migrate`): planned with the target's plan (per product,
before approval), applied and verified before the catalog, scripts and theme, and recorded in the
target's status. The plan is kept in that status before the first write: a run that stopped
resumes from it. Targets of one store in one pass plan it once and write it once."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from controller.api.conditions import Reason
from controller.api.deployment import MigrationStatus, TargetStatus
from controller.catalog.observed import ObservedCatalog
from controller.catalog.v2migration import ProductPlan, migrated
from controller.engine import migrate
from controller.stores import BigCommerceStore
from controller.text import plural

SHOWN = 50  # products and differences listed in status


@dataclass
class Planned:
    """A target's migration as planned (or resumed from its kept plan)."""

    migration: migrate.Migration
    reads: int  # the requests planning it took (none when resumed)
    resumed: bool = False  # from a plan a target kept
    # once a target of the store applied it in this pass: its name, record and why it stopped
    written_by: str | None = None
    written: MigrationStatus | None = None
    stop: tuple[str, str] | None = None

    @property
    def digest(self) -> str:
        """What an approval of it approves: every product's plan."""
        products = self.migration.to_json()["products"]
        return hashlib.sha256(json.dumps(products, sort_keys=True).encode()).hexdigest()

    def after(self, observed: ObservedCatalog) -> ObservedCatalog:
        """The store once migrated, to plan the deployment's catalog against."""
        return migrated(observed, self.migration.plans)


def describe(plan: ProductPlan) -> str:
    """One product's plan on one line."""
    head, *rest = plan.lines()
    return f"{head} {'; '.join(line.strip() for line in rest)}" if rest else head


async def _read(store: BigCommerceStore, label: str, kept: str | None) -> Planned:
    """The store's migration: resumed from a plan a target kept, else read and planned."""
    if kept:
        return Planned(migrate.unpack(kept), 0, resumed=True)
    before = store.requests
    migration = await migrate.plan_migration(store, label)
    return Planned(migration, store.requests - before)


@dataclass
class OnePass:
    """The migrations of one pass of a deployment, by store: the targets of one store plan it
    once (resuming the plan any of them kept) and share what the first to apply it wrote."""

    planned: dict[str, asyncio.Future[Planned]] = field(default_factory=dict)

    async def plan(
        self,
        store: BigCommerceStore,
        status: TargetStatus,
        key: str,
        label: str,
        kept: Callable[[], str | None],
    ) -> Planned | None:
        """Read the store and plan its migration (a run under way resumes from the plan it or
        another target of the store kept, `kept`), shown in status; None once the target's
        migration is verified."""
        record = status.migration
        if record is not None and record.verified:
            return None
        own = record.kept_plan if record is not None else None
        shared = self.planned.get(key)
        if shared is None:
            shared = self.planned[key] = asyncio.ensure_future(_read(store, label, own or kept()))
        planned = await shared
        migration = planned.migration
        todo = migration.changes
        as_is = [p for p in migration.plans if p.kept_because]
        status.migration = MigrationStatus(
            planned=len(todo),
            kept=len(as_is),
            products=[describe(p) for p in [*todo, *as_is][:SHOWN]],
            minimum_requests=sum(migration.minimum.values()) if not planned.resumed else None,
            kept_plan=own,
        )
        return planned


def planned_text(planned: Planned) -> str:
    """The plan in one sentence, for events."""
    migration = planned.migration
    kept = sum(1 for p in migration.plans if p.kept_because)
    return (
        f"{plural(len(migration.changes), 'product')} to migrate from Catalog V2 to V3"
        + (f", {plural(kept, 'product')} kept as is" if kept else "")
        + f" (at least {plural(sum(migration.minimum.values()), 'request')})"
    )


async def apply(
    store: BigCommerceStore,
    planned: Planned,
    status: TargetStatus,
    keep: Callable[[], Awaitable[None]],
    max_bytes: int,
) -> tuple[str, str] | None:
    """Write the migration, the plan kept in status first (`keep` writes it), then verify every
    SKU and option combination; the reason and message to stop the target when anything a
    shopper sees changed (or the plan is over `max_bytes`, too large to keep), else None. A
    migration another target of the store applied in this pass is not written again: its record
    is the target's, naming that target."""
    migration, record = planned.migration, status.migration
    assert record is not None
    if not migration.changes:
        return None
    if planned.written is not None:
        status.migration = planned.written.model_copy(
            update={"migrated_with": planned.written_by, "kept_plan": None}, deep=True
        )
        return planned.stop
    stop = await _write(store, planned, record, keep, max_bytes)
    planned.written_by, planned.written, planned.stop = status.name, record, stop
    return stop


async def _write(
    store: BigCommerceStore,
    planned: Planned,
    record: MigrationStatus,
    keep: Callable[[], Awaitable[None]],
    max_bytes: int,
) -> tuple[str, str] | None:
    migration = planned.migration
    record.kept_plan = record.kept_plan or migrate.pack(migration)
    if len(record.kept_plan) > max_bytes:  # about 200 kB per 1,000 products
        size = len(record.kept_plan) // 1000
        record.kept_plan = None
        return Reason.MIGRATION_TOO_LARGE, (
            f"the migration's plan is {size} kB, over the {max_bytes // 1000} kB a target's "
            "status keeps for a run that stops to resume from: migrate this store with "
            "`stagingpro migrate v2-to-v3` (it "
            "keeps its plan in a file), then deploy without spec.migration; nothing was written"
        )
    await keep()
    before = store.requests
    await migrate.apply_migration(store, migration)
    record.requests = planned.reads + store.requests - before
    verification = await migrate.verify(store, migration)
    found = [str(d) for d in verification.differences]
    found += [f"product {p} is gone" for p in verification.products_missing]
    found += [f"product {p}: its SKUs changed" for p in verification.skus_changed]
    record.migrated = len(migration.changes)
    record.combinations = verification.combinations
    record.difference_count = len(found)
    record.differences = found[:SHOWN]
    record.verified = verification.ok
    record.kept_plan = None
    if verification.ok:
        return None
    return Reason.MIGRATION_DIFFERS, (
        f"the Catalog V2 to V3 migration changed what shoppers see "
        f"({plural(len(found), 'difference')}; first: {found[0]}): the catalog, scripts and theme "
        "were not released"
    )


def applied_text(status: TargetStatus) -> str:
    """What the migration did, for events."""
    record = status.migration
    assert record is not None
    return (
        (f"with {record.migrated_with} (the same store): " if record.migrated_with else "")
        + f"migrated {plural(record.migrated or 0, 'product')} from Catalog V2 to V3 in "
        f"{plural(record.requests or 0, 'request')}; verified "
        f"{plural(record.combinations or 0, 'SKU and option combination')}: "
        f"{plural(record.difference_count or 0, 'difference')}"
    )
