"""The engine against a stateful fake provider: order and batching come from the kind table, the
engine resolves natural keys to ids, and a failure of the store stops every write."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from typing import Any

import pytest

from controller.catalog.kinds import Kind
from controller.catalog.observed import ObservedCatalog
from controller.catalog.provider import Outcome, Record
from controller.engine import apply
from controller.planner import Options, plan
from controller.stores import CredentialsRejected
from tests.support.builders import desired, observed, product

BASE = {"type": "physical", "price": 10, "weight": 1}


class FakeStore:
    """A provider that records every write and hands out ids, one request at a time (as a rate
    governor would); a write of a `fail_on` key fails the store after its round trip."""

    def __init__(self, fail_on: frozenset[str] = frozenset()):
        self.requests = 0
        self.writes: list[tuple[str, str, tuple[str, ...], dict[str, Any]]] = []
        self.fail_on = fail_on
        self.next_id = 1000
        self.slot = asyncio.Semaphore(1)

    async def observe(self, kinds: Collection[Kind] | None = None) -> ObservedCatalog:
        return ObservedCatalog()

    async def _write(self, action: str, kind: Kind, records: Sequence[Record]) -> list[Outcome]:
        async with self.slot:
            self.requests += 1
            await asyncio.sleep(0)  # the round trip
            if any(r.key in self.fail_on for r in records):
                raise CredentialsRejected("store s1 rejected the credentials (401)")
        self.writes.append(
            (action, kind, tuple(r.key for r in records), {r.key: dict(r.refs) for r in records})
        )
        outcomes = []
        for _ in records:
            self.next_id += 1
            outcomes.append(Outcome(id=self.next_id))
        return outcomes

    async def create(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]:
        return await self._write("create", kind, records)

    async def update(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]:
        return await self._write("update", kind, records)

    async def delete(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]:
        return await self._write("delete", kind, records)


def test_referenced_records_are_created_first_and_referrers_get_their_new_ids() -> None:
    catalog = desired(
        [{"sku": "TEE", "name": "Tee", **BASE, "categories": ["Apparel/Tops"], "brand": "Acme"}],
        categories=["Apparel", "Apparel/Tops"],
        brands=["Acme"],
    )
    store = FakeStore()
    result = asyncio.run(apply(plan(catalog, observed()), observed(), store))
    assert [(a, k, keys) for a, k, keys, _ in store.writes] == [
        ("create", "brands", ("Acme",)),
        ("create", "categories", ("Apparel",)),
        ("create", "categories", ("Apparel/Tops",)),
        ("create", "products", ("TEE",)),
    ]
    brand_id, root_id, tops_id = 1001, 1002, 1003
    assert store.writes[2][3]["Apparel/Tops"] == {"parent": root_id}
    assert store.writes[3][3]["TEE"] == {"categories": [tops_id], "brand": brand_id}
    assert result.errors == []


def test_updates_go_in_batches_at_the_kind_tables_maxima() -> None:
    store_state = observed([product(i, f"P{i:02}") for i in range(25)])
    catalog = desired([{"sku": f"P{i:02}", "price": 99} for i in range(25)])
    store = FakeStore()
    asyncio.run(apply(plan(catalog, store_state), store_state, store))
    assert [len(keys) for _, _, keys, _ in store.writes] == [10, 10, 5]


def test_after_a_store_failure_nothing_else_is_written_and_the_error_is_raised() -> None:
    catalog = desired([{"sku": f"N{i:02}", "name": f"N{i}", **BASE} for i in range(20)])
    store = FakeStore(fail_on=frozenset({"N00"}))

    async def run() -> None:
        with pytest.raises(CredentialsRejected):
            await apply(plan(catalog, observed()), observed(), store)
        for _ in range(50):  # let anything still running reach the store
            await asyncio.sleep(0)

    asyncio.run(run())
    assert store.requests <= 2  # the failed one, and at most one that took its slot meanwhile
    assert len(store.writes) <= 1


def test_a_record_whose_reference_is_missing_fails_alone() -> None:
    catalog = desired(
        [
            {"sku": "A", "name": "A", **BASE, "brand": "Nowhere"},
            {"sku": "B", "name": "B", **BASE},
        ]
    )
    store = FakeStore()
    result = asyncio.run(apply(plan(catalog, observed(), Options()), observed(), store))
    assert result.errors == [("products", "A", "brand 'Nowhere' is not in the store")]
    assert [keys for _, _, keys, _ in store.writes] == [("B",)]
