"""Executing a plan against a store through the typed provider boundary: order and batching from
the kind table, natural keys resolved to store ids, per-record outcomes.

The plan is already in the table's order; the engine walks it in phases of one kind, action and
tree depth, resolves each record's owner, parent and references to store ids (from the observation
and from what earlier phases created), and hands the provider batches at the kind's maxima,
concurrently. Idempotent and resumable: the provider adopts a record that a lost answer already
created. A failure of one record is reported in the result; a failure of the store stops every
write at once (no error is dropped).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from controller.catalog.kinds import KINDS, Action, Kind, KindSpec, found_all
from controller.catalog.model import PATH_SEPARATOR, split_path
from controller.catalog.observed import ObservedCatalog
from controller.catalog.provider import Outcome, Provider, Record
from controller.errors import Stalled
from controller.planner import Plan, Step
from controller.tasks import fan_out


class PlanRefused(Stalled):
    """The plan may not be applied (it deletes too much, or cannot create what it must)."""

    reason = "PlanRefused"


Progress = Callable[["ApplyResult"], None]
Write = Callable[..., Awaitable[list[Outcome]]]


@dataclass
class ApplyResult:
    """What an apply did, per kind and per failed item."""

    total: int
    done: int = 0
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, key, message)
    requests: int = 0

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        """Record `n` items of `kind` with `outcome` (created, updated, deleted, adopted, failed)."""
        self.outcomes.setdefault(kind, defaultdict(int))[outcome] += n
        self.done += n

    @property
    def failed(self) -> int:
        """Items that failed."""
        return len(self.errors)

    def to_json(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {
            "total": self.total,
            "done": self.done,
            "requests": self.requests,
            "outcomes": {k: dict(v) for k, v in self.outcomes.items()},
            "errors": [{"kind": k, "key": key, "message": m} for k, key, m in self.errors],
        }


_PAST = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}


def phases(steps: Sequence[Step]) -> list[list[Step]]:
    """Consecutive steps of one kind, action and depth: what may run concurrently."""
    return [
        list(group) for _, group in itertools.groupby(steps, lambda s: (s.kind, s.action, s.depth))
    ]


class _Apply:
    def __init__(
        self, plan: Plan, observed: ObservedCatalog, store: Provider, progress: Progress | None
    ):
        self.plan, self.store, self.progress = plan, store, progress
        self.result = ApplyResult(total=len(plan.steps))
        needed = {
            k
            for spec in KINDS.values()
            for k in (
                spec.owner,
                *(r.kind for r in spec.references),
                *(spec.named.kinds if spec.named else ()),
                spec.kind if spec.tree else None,
            )
            if k is not None
        }
        # store ids by folded natural key, of the kinds others refer to: observed, then created
        self.ids: dict[Kind, dict[str, Any]] = {}
        for kind in needed:
            spec = KINDS[kind]
            ids: dict[str, Any] = {}
            for found in found_all(spec, observed):
                ids.setdefault(spec.fold(found[0]), found[1])
            self.ids[kind] = ids
        self._start_requests = store.requests

    def _tick(self) -> None:
        self.result.requests = self.store.requests - self._start_requests
        if self.progress is not None:
            self.progress(self.result)

    def ok(self, step: Step, outcome: str, n: int = 1) -> None:
        self.result.count(step.kind, outcome, n)
        self._tick()

    def fail(self, step: Step, message: str) -> None:
        self.result.errors.append((step.kind, step.key, message))
        self.result.count(step.kind, "failed")
        self._tick()

    async def run(self) -> ApplyResult:
        if self.plan.problems:
            raise PlanRefused("; ".join(self.plan.problems))
        settle: Callable[[], Awaitable[Any]] | None = getattr(self.store, "settle", None)
        for phase in phases(self.plan.steps):
            spec = KINDS[phase[0].kind]
            ready: list[tuple[Step, Record]] = []
            for step in phase:
                try:
                    ready.append((step, self.record(spec, step)))
                except LookupError as error:
                    self.fail(step, str(error.args[0]))
            action, size = phase[0].action, spec.batch_size(phase[0].action)
            bulk: Write | None = getattr(self.store, "bulk", None)
            if bulk is not None and spec.uses_bulk(action, len(ready)):  # one job for them all
                await self.send(spec, action, ready, functools.partial(bulk, action=action))
                continue
            limit = asyncio.Semaphore(spec.concurrency or len(ready) or 1)
            await fan_out(
                self.limited(limit, spec, action, ready[i : i + size])
                for i in range(0, len(ready), size)
            )
            if settle is not None:  # what the provider defers to batch (metafields, image sources)
                for kind, key, message in await settle() or ():
                    self.result.errors.append((kind, key, message))
                    self.result.count(kind, "failed")
        self._tick()
        return self.result

    async def limited(
        self,
        limit: asyncio.Semaphore,
        spec: KindSpec,
        action: Action,
        batch: list[tuple[Step, Record]],
    ) -> None:
        """Send a batch within the kind's concurrency limit, where the API has one."""
        async with limit:
            await self.send(spec, action, batch)

    async def send(
        self,
        spec: KindSpec,
        action: Action,
        batch: list[tuple[Step, Record]],
        write: Write | None = None,
    ) -> None:
        write = (
            write
            or {
                Action.CREATE: self.store.create,
                Action.UPDATE: self.store.update,
                Action.DELETE: self.store.delete,
            }[action]
        )
        outcomes: list[Outcome] = await write(spec.kind, [r for _, r in batch])
        for (step, record), outcome in zip(batch, outcomes, strict=True):
            if outcome.error is not None:
                self.fail(step, outcome.error)
                continue
            if action is Action.CREATE and spec.kind in self.ids:
                self.ids[spec.kind][spec.fold(record.key)] = outcome.id
            self.ok(step, "adopted" if outcome.adopted else _PAST[action])

    def _id(self, kind: Kind, key: str, label: str | None = None) -> Any:
        spec = KINDS[kind]
        found = self.ids[kind].get(spec.fold(key))
        if found is None:
            raise LookupError(f"{label or spec.singular} {key!r} is not in the store")
        return found

    def record(self, spec: KindSpec, step: Step) -> Record:
        """The step as a typed record, its natural keys resolved to store ids."""
        values = dict(step.payload)
        key = step.name or step.key
        owner_id = None
        if spec.owner is not None:
            assert step.owner_key is not None
            owner_id = self.ids[spec.owner].get(step.owner_key)
            if owner_id is None:
                raise LookupError(
                    f"{KINDS[spec.owner].singular} {step.owner_key!r} is not in the store"
                )
        refs: dict[str, Any] = {}
        if spec.tree and step.action is Action.CREATE:
            parts = split_path(key)
            parent = PATH_SEPARATOR.join(parts[:-1])
            refs["parent"] = self._id(spec.kind, parent, f"parent {spec.singular}") if parent else 0
        for reference in spec.references:
            if reference.field not in values:
                continue
            named = values[reference.field]
            if reference.many:
                refs[reference.field] = [self._id(reference.kind, n) for n in named]
            else:
                refs[reference.field] = self._id(reference.kind, named) if named else 0
        if spec.named is not None:
            refs["named"] = {
                (kind, name): self._id(kind, name) for kind, name in spec.named.read(values)
            }
        return Record(key, values, step.id, owner_id, refs)


async def apply(
    plan: Plan, observed: ObservedCatalog, store: Provider, *, progress: Progress | None = None
) -> ApplyResult:
    """Execute `plan` (made from `observed`) against `store`. Raises `PlanRefused` before any write
    when the plan has problems; item failures are reported in the result, not raised."""
    return await _Apply(plan, observed, store, progress).run()
