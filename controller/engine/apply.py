"""Executing a plan against a store: maximal batching, safe concurrency, per-item outcomes.

Idempotent and resumable: every create is keyed by a natural key the store enforces (SKU, brand name,
category name under its parent), so a create that may already have happened before a failure comes
back as a conflict and the existing record is adopted instead of duplicated. Batches the store refuses
as a whole are split until the bad item is found; every item's outcome is reported.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from controller.catalog.model import path_key, sku_key
from controller.catalog.observed import ObservedCatalog
from controller.errors import Stalled
from controller.planner import BATCH, Plan, Step


class BatchResult(Protocol):
    """What a batch update reports: per-item errors by id."""

    @property
    def errors(self) -> dict[int, str]: ...


class CatalogStore(Protocol):
    """The provider interface the engine drives: observe, and idempotent writes keyed by natural keys.
    BigCommerce (`controller.stores.BigCommerceStore`) is the first implementation."""

    requests: int

    async def observe(self) -> ObservedCatalog: ...
    async def find_product(self, sku: str) -> dict[str, Any] | None: ...
    async def find_brand(self, name: str) -> dict[str, Any] | None: ...
    async def find_categories(self, parent_id: int) -> list[dict[str, Any]]: ...
    async def create_brand(self, body: dict[str, Any]) -> dict[str, Any]: ...
    async def update_brand(self, brand_id: int, body: dict[str, Any]) -> None: ...
    async def delete_brand(self, brand_id: int) -> None: ...
    async def create_categories(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]: ...
    async def update_categories(self, items: Sequence[dict[str, Any]]) -> None: ...
    async def delete_categories(self, ids: Sequence[int]) -> None: ...
    async def create_product(self, body: dict[str, Any]) -> dict[str, Any]: ...
    async def update_products(self, items: Sequence[dict[str, Any]]) -> BatchResult: ...
    async def delete_products(self, ids: Sequence[int]) -> None: ...
    async def create_variant(self, product_id: int, body: dict[str, Any]) -> dict[str, Any]: ...
    async def update_variants(self, items: Sequence[dict[str, Any]]) -> None: ...
    async def delete_variant(self, product_id: int, variant_id: int) -> None: ...
    async def create_custom_field(self, product_id: int, body: dict[str, Any]) -> None: ...
    async def update_custom_field(
        self, product_id: int, field_id: int, body: dict[str, Any]
    ) -> None: ...
    async def delete_custom_field(self, product_id: int, field_id: int) -> None: ...
    async def create_image(self, product_id: int, body: dict[str, Any]) -> None: ...
    async def update_image(self, product_id: int, image_id: int, body: dict[str, Any]) -> None: ...
    async def delete_image(self, product_id: int, image_id: int) -> None: ...


class PlanRefused(Stalled):
    """The plan may not be applied (it deletes too much, or cannot create what it must)."""

    reason = "PlanRefused"


Progress = Callable[["ApplyResult"], None]


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


_PAST = {"create": "created", "update": "updated", "delete": "deleted"}


def _status(error: BaseException) -> int | None:
    status = getattr(error, "status", None)
    return status if isinstance(status, int) else None


class _Apply:
    def __init__(
        self, plan: Plan, observed: ObservedCatalog, store: CatalogStore, progress: Progress | None
    ):
        self.plan, self.store, self.progress = plan, store, progress
        self.result = ApplyResult(total=len(plan.steps))
        self.brand_ids = observed.brand_ids_by_name()
        self.category_ids = observed.category_ids_by_path()
        self.product_ids = {key: p.id for key, p in observed.products.items()}
        self._start_requests = store.requests

    def _tick(self) -> None:
        self.result.requests = self.store.requests - self._start_requests
        if self.progress is not None:
            self.progress(self.result)

    def ok(self, step: Step, outcome: str | None = None, n: int = 1) -> None:
        self.result.count(step.kind, outcome or _PAST[step.action], n)
        self._tick()

    def fail(self, step: Step, message: str) -> None:
        self.result.errors.append((step.kind, step.key, message))
        self.result.count(step.kind, "failed")
        self._tick()

    async def each(self, steps: Iterable[Step], run: Callable[[Step], Awaitable[None]]) -> None:
        """Run one step per request, concurrently (the governor bounds what is in flight)."""

        async def guarded(step: Step) -> None:
            try:
                await run(step)
            except Stalled as error:
                if _status(error) is None:
                    raise  # credentials, store gone: nothing else will work either
                self.fail(step, str(error))

        await asyncio.gather(*(guarded(s) for s in steps))

    async def batches(
        self, steps: Sequence[Step], size: int, send: Callable[[Sequence[Step]], Awaitable[None]]
    ) -> None:
        """Send steps in batches of `size`; a batch refused as a whole is split until the bad items
        are found (the store does not always say which item failed)."""

        async def attempt(chunk: Sequence[Step]) -> None:
            try:
                await send(chunk)
            except Stalled as error:
                if _status(error) not in (409, 413, 422) or len(chunk) == 1:
                    if _status(error) is None:
                        raise
                    for step in chunk:
                        self.fail(step, str(error))
                    return
                middle = len(chunk) // 2
                await asyncio.gather(attempt(chunk[:middle]), attempt(chunk[middle:]))

        chunks = [steps[i : i + size] for i in range(0, len(steps), size)]
        await asyncio.gather(*(attempt(c) for c in chunks))

    # ---- resolution of natural keys ------------------------------------------------------------

    def resolve_product(self, body: dict[str, Any]) -> dict[str, Any]:
        out = dict(body)
        if "categories" in out:
            missing = [p for p in out["categories"] if p not in self.category_ids]
            if missing:
                raise LookupError(f"category {missing[0]!r} is not in the store")
            out["categories"] = sorted(self.category_ids[p] for p in out["categories"])
        if "brand" in out:
            name = out.pop("brand")
            if name and name.casefold() not in self.brand_ids:
                raise LookupError(f"brand {name!r} is not in the store")
            out["brand_id"] = self.brand_ids[name.casefold()] if name else 0
        return out

    def product_id(self, step: Step) -> int:
        assert step.product_key is not None
        product_id = self.product_ids.get(step.product_key)
        if product_id is None:
            raise LookupError(f"product {step.product_key!r} is not in the store")
        return product_id

    # ---- phases ---------------------------------------------------------------------------------

    async def run(self) -> ApplyResult:
        if self.plan.problems:
            raise PlanRefused("; ".join(self.plan.problems))
        by: dict[tuple[str, str], list[Step]] = defaultdict(list)
        for step in self.plan.steps:
            by[(step.kind, step.action)].append(step)
        await self.each(by[("brands", "create")], self.create_brand)
        await self.each(by[("brands", "update")], self.update_brand)
        creates = by[("categories", "create")]
        for depth in sorted({s.depth for s in creates}):
            await self.batches(
                [s for s in creates if s.depth == depth],
                BATCH[("categories", "create")],
                self.create_categories,
            )
        await self.batches(
            by[("categories", "update")], BATCH[("categories", "update")], self.update_categories
        )
        await self.each(by[("products", "create")], self.create_product)
        await self.batches(
            by[("products", "update")], BATCH[("products", "update")], self.update_products
        )
        await self.each(by[("variants", "create")], self.create_variant)
        await self.batches(
            by[("variants", "update")], BATCH[("variants", "update")], self.update_variants
        )
        await self.each(
            by[("customFields", "create")] + by[("customFields", "update")], self.custom_field
        )
        await self.each(by[("images", "create")] + by[("images", "update")], self.image)
        await self.each(by[("images", "delete")], self.delete_image)
        await self.each(by[("customFields", "delete")], self.delete_custom_field)
        await self.each(by[("variants", "delete")], self.delete_variant)
        await self.batches(
            by[("products", "delete")], BATCH[("products", "delete")], self.delete_products
        )
        deletes = by[("categories", "delete")]
        for depth in sorted({s.depth for s in deletes}, reverse=True):
            await self.batches(
                [s for s in deletes if s.depth == depth],
                BATCH[("categories", "delete")],
                self.delete_categories,
            )
        await self.each(by[("brands", "delete")], self.delete_brand)
        self._tick()
        return self.result

    async def create_brand(self, step: Step) -> None:
        try:
            created = await self.store.create_brand(dict(step.payload))
            outcome = "created"
        except Stalled as error:
            if _status(error) != 409 or (found := await self.store.find_brand(step.key)) is None:
                raise
            created, outcome = found, "adopted"
        self.brand_ids[step.key.casefold()] = created["id"]
        self.ok(step, outcome)

    async def update_brand(self, step: Step) -> None:
        assert step.id is not None
        await self.store.update_brand(step.id, dict(step.payload))
        self.ok(step)

    async def create_categories(self, steps: Sequence[Step]) -> None:
        bodies = []
        for step in steps:
            payload = dict(step.payload)
            parent = payload.pop("parent_path")
            parent_id = 0 if parent is None else self.category_ids.get(path_key(parent))
            if parent_id is None:
                self.fail(step, f"parent category {parent!r} is not in the store")
                continue
            bodies.append((step, {**payload, "parent_id": parent_id, "tree_id": 1}))
        if not bodies:
            return
        try:
            created = await self.store.create_categories([b for _, b in bodies])
        except Stalled as error:
            if _status(error) not in (409, 422) or len(bodies) > 1:
                raise
            step, body = bodies[0]
            siblings = await self.store.find_categories(body["parent_id"])
            match = next(
                (c for c in siblings if c["name"].casefold() == body["name"].casefold()), None
            )
            if match is None:
                raise
            self.category_ids[path_key(step.key)] = match["category_id"]
            self.ok(step, "adopted")
            return
        for (step, _), category in zip(bodies, created, strict=True):
            self.category_ids[path_key(step.key)] = category["category_id"]
            self.ok(step)

    async def update_categories(self, steps: Sequence[Step]) -> None:
        await self.store.update_categories([{"category_id": s.id, **s.payload} for s in steps])
        for step in steps:
            self.ok(step)

    async def create_product(self, step: Step) -> None:
        try:
            body = self.resolve_product(dict(step.payload))
        except LookupError as error:
            self.fail(step, str(error))
            return
        try:
            created = await self.store.create_product(body)
            outcome = "created"
        except Stalled as error:
            # A create that may already have happened (a retry after a lost answer, or a crash)
            # comes back as a duplicate: adopt the record the store has under the same SKU.
            if _status(error) != 409 or (found := await self.store.find_product(step.key)) is None:
                raise
            created, outcome = found, "adopted"
        self.product_ids[sku_key(step.key)] = created["id"]
        self.ok(step, outcome)

    async def update_products(self, steps: Sequence[Step]) -> None:
        items, ready = [], []
        for step in steps:
            try:
                body = self.resolve_product(dict(step.payload))
            except LookupError as error:
                self.fail(step, str(error))
                continue
            items.append({"id": step.id, **body})
            ready.append(step)
        if not items:
            return
        outcome = await self.store.update_products(items)
        for step in ready:
            if step.id in outcome.errors:
                self.fail(step, outcome.errors[step.id])
            else:
                self.ok(step)

    async def create_variant(self, step: Step) -> None:
        try:
            await self.store.create_variant(self.product_id(step), dict(step.payload))
        except LookupError as error:
            self.fail(step, str(error))
            return
        except Stalled as error:
            if _status(error) != 409:
                raise
            product = await self.store.find_product(step.key.split("/", 1)[0])
            skus = {sku_key(v["sku"]) for v in (product or {}).get("variants", [])}
            if sku_key(step.payload["sku"]) not in skus:
                raise
            self.ok(step, "adopted")
            return
        self.ok(step)

    async def update_variants(self, steps: Sequence[Step]) -> None:
        await self.store.update_variants([{"id": s.id, **s.payload} for s in steps])
        for step in steps:
            self.ok(step)

    async def custom_field(self, step: Step) -> None:
        product_id = self.product_id(step)
        if step.action == "create":
            try:
                await self.store.create_custom_field(product_id, dict(step.payload))
            except Stalled as error:
                if _status(error) != 409:
                    raise
                self.ok(step, "adopted")
                return
        else:
            assert step.id is not None
            await self.store.update_custom_field(product_id, step.id, dict(step.payload))
        self.ok(step)

    async def image(self, step: Step) -> None:
        product_id = self.product_id(step)
        if step.action == "create":
            await self.store.create_image(product_id, dict(step.payload))
        else:
            assert step.id is not None
            await self.store.update_image(product_id, step.id, dict(step.payload))
        self.ok(step)

    async def delete_image(self, step: Step) -> None:
        assert step.id is not None
        await self.store.delete_image(self.product_id(step), step.id)
        self.ok(step)

    async def delete_custom_field(self, step: Step) -> None:
        assert step.id is not None
        await self.store.delete_custom_field(self.product_id(step), step.id)
        self.ok(step)

    async def delete_variant(self, step: Step) -> None:
        assert step.id is not None
        await self.store.delete_variant(self.product_id(step), step.id)
        self.ok(step)

    async def delete_products(self, steps: Sequence[Step]) -> None:
        await self.store.delete_products([s.id for s in steps if s.id is not None])
        for step in steps:
            self.ok(step)

    async def delete_categories(self, steps: Sequence[Step]) -> None:
        await self.store.delete_categories([s.id for s in steps if s.id is not None])
        for step in steps:
            self.ok(step)

    async def delete_brand(self, step: Step) -> None:
        assert step.id is not None
        await self.store.delete_brand(step.id)
        self.ok(step)


async def apply(
    plan: Plan, observed: ObservedCatalog, store: CatalogStore, *, progress: Progress | None = None
) -> ApplyResult:
    """Execute `plan` (made from `observed`) against `store`. Raises `PlanRefused` before any write
    when the plan has problems; item failures are reported in the result, not raised."""
    return await _Apply(plan, observed, store, progress).run()
