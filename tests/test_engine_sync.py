"""The engine against the emulator over real HTTP: convergence, idempotency, faults, limits."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from controller.catalog.model import Catalog, CatalogInvalid
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator, FaultConfig
from controller.engine import PlanRefused, assess, sync
from controller.planner import Options
from controller.stores import BigCommerceStore, CredentialsRejected, Token
from tests.conftest import PROD_TOKEN
from tests.support.builders import desired


def sample_catalog(n: int = 12, *, price: float = 20.0) -> Catalog:
    products = [
        {
            "sku": f"SKU-{i:03d}",
            "name": f"Trail Shoe {i}",
            "type": "physical",
            "price": price + i,
            "weight": 1.5,
            "description": f"<p>Shoe {i}</p>",
            "categories": ["Footwear/Running"],
            "brand": "Acme" if i % 2 else "Zeta",
            "variants": [
                {
                    "sku": f"SKU-{i:03d}-{size}",
                    "option_values": [{"option_display_name": "Size", "label": size}],
                    "price": price + i + 1,
                }
                for size in ("40", "41", "42")
            ],
            "custom_fields": [
                {"name": "material", "value": "mesh"},
                {"name": "drop", "value": f"{i} mm"},
            ],
            "images": [
                f"https://cdn.example.test/{i}/a.jpg",
                f"https://cdn.example.test/{i}/b.jpg",
            ],
        }
        for i in range(n)
    ]
    categories = ["Footwear", {"path": "Footwear/Running", "description": "Run"}, "Footwear/Trail"]
    return desired(products, categories, ["Acme", {"name": "Zeta", "page_title": "Zeta Sports"}])


def writes(emulator: Emulator, store: str) -> int:
    stats = emulator.control(store).stats.to_json()["by_method"]
    return sum(n for method, n in stats.items() if method != "GET")


async def test_a_full_sync_into_an_empty_store_converges(emulator: Emulator, stores: Any) -> None:
    prod, _ = stores
    _, result = await sync(prod, sample_catalog())
    assert result.errors == []
    assert result.outcomes["products"] == {"created": 12}
    # one create per product (variants, custom fields, images inline), one batch recording where
    # all their images came from, brands one by one, categories per level
    assert result.requests == 12 + 1 + 2 + 2
    after = await assess(prod, sample_catalog())
    assert after.drift.in_sync
    counts = emulator.db.counts("production")
    assert (counts["products"], counts["variants"], counts["custom_fields"], counts["images"]) == (
        12,
        36,
        24,
        24,
    )


async def test_a_no_op_reconcile_makes_zero_writes(emulator: Emulator, stores: Any) -> None:
    prod, _ = stores
    await sync(prod, sample_catalog())
    before = writes(emulator, "production")
    _, result = await sync(prod, sample_catalog())
    assert result.requests == 0
    assert writes(emulator, "production") == before


async def test_changes_are_written_at_the_batch_maxima(emulator: Emulator, stores: Any) -> None:
    prod, _ = stores
    await sync(prod, sample_catalog(25))
    emulator.control("production").stats.reset()
    _, result = await sync(prod, sample_catalog(25, price=30.0))
    assert result.outcomes == {"products": {"updated": 25}, "variants": {"updated": 75}}
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    assert by_endpoint["PUT /v3/catalog/products"] == {"200": 3}
    assert by_endpoint["PUT /v3/catalog/variants"] == {"200": 2}


async def test_one_catalog_syncs_to_two_stores_whose_ids_differ(
    emulator: Emulator, stores: Any
) -> None:
    prod, sandbox = stores
    await sync(prod, sample_catalog())
    production = await prod.observe()
    await sync(sandbox, to_catalog(production))
    cloned = await sandbox.observe()
    assert set(cloned.products) == set(production.products)
    assert {p.id for p in cloned.products.values()}.isdisjoint(
        {p.id for p in production.products.values()}
    )
    assert set(cloned.category_paths().values()) == set(production.category_paths().values())
    assert (await assess(sandbox, sample_catalog())).drift.in_sync


async def test_prune_deletes_extras_children_before_parents(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, sample_catalog(12))
    smaller = desired(
        [{"sku": f"SKU-{i:03d}", "categories": ["Footwear/Running"]} for i in range(11)],
        ["Footwear", "Footwear/Running"],
        ["Acme", "Zeta"],
    )
    _, result = await sync(prod, smaller, Options(prune=True, max_delete_percent=40))
    assert result.errors == []
    assert result.outcomes["products"] == {"deleted": 1}
    assert result.outcomes["categories"] == {"deleted": 1}
    assert emulator.db.counts("production")["products"] == 11


async def test_a_plan_over_the_delete_limit_writes_nothing(emulator: Emulator, stores: Any) -> None:
    prod, _ = stores
    await sync(prod, sample_catalog(10))
    before = writes(emulator, "production")
    with pytest.raises(PlanRefused, match="deletes 5 of 10 products"):
        await sync(prod, sample_catalog(5), Options(prune=True, max_delete_percent=10))
    assert writes(emulator, "production") == before


async def test_a_catalog_referring_to_a_missing_category_writes_nothing(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    catalog = desired(
        [
            {
                "sku": "X",
                "name": "X",
                "type": "physical",
                "price": 1,
                "weight": 1,
                "categories": ["Nowhere/To/Be/Found"],
            }
        ]
    )
    with pytest.raises(CatalogInvalid, match="category 'nowhere/to/be/found' does not exist"):
        await sync(prod, catalog)
    assert writes(emulator, "production") == 0


async def test_wrong_credentials_are_named_and_never_shown(emulator: Emulator) -> None:
    async with BigCommerceStore(emulator.url, "production", Token("not-the-token-1234")) as store:
        with pytest.raises(CredentialsRejected) as caught:
            await store.observe()
    assert "rejected the credentials (401)" in str(caught.value)
    assert "not-the-token-1234" not in str(caught.value)
    assert "not-the-token" not in repr(Token("not-the-token-1234"))


async def test_one_bad_item_in_a_batch_is_found_and_the_others_are_written(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, sample_catalog(10))
    renamed = desired(
        [
            {"sku": f"SKU-{i:03d}", "name": "Trail Shoe 0" if i == 7 else f"Renamed {i}"}
            for i in range(1, 10)
        ]
    )
    _, result = await sync(prod, renamed)
    assert result.outcomes["products"] == {"updated": 8, "failed": 1}
    assert [(kind, key) for kind, key, _ in result.errors] == [("products", "SKU-007")]
    assert "duplicate" in result.errors[0][2]


async def converge(store: BigCommerceStore, catalog: Catalog, attempts: int = 6) -> int:
    """Reconcile until in sync, as the operator's loop does; returns the passes it took."""
    for attempt in range(1, attempts + 1):
        with contextlib.suppress(Exception):  # a pass may fail under faults; the next one resumes
            await sync(store, catalog)
        with contextlib.suppress(Exception):
            if (await assess(store, catalog)).drift.in_sync:
                return attempt
    raise AssertionError("did not converge")


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(FaultConfig(error_rate=0.1, seed=1), id="10% 5xx"),
        pytest.param(
            FaultConfig(error_after_write_rate=0.2, seed=2), id="5xx after the write happened"
        ),
        pytest.param(FaultConfig(bare_429_rate=0.15, seed=3), id="429 bursts without headers"),
        pytest.param(FaultConfig(drop_rate=0.1, seed=4), id="dropped connections"),
    ],
)
async def test_faults_still_converge_with_nothing_lost_or_duplicated(
    emulator: Emulator, stores: Any, faults: FaultConfig
) -> None:
    prod, _ = stores
    emulator.control("production").faults.configure(faults)
    await converge(prod, sample_catalog(20))
    await converge(prod, sample_catalog(20, price=35.0))
    stats = emulator.control("production").stats.to_json()
    injected = stats["dropped"] + sum(
        n for status, n in stats["by_status"].items() if int(status) >= 429
    )
    assert injected >= 2, stats
    emulator.control("production").faults.configure(FaultConfig())
    final = await prod.observe()
    assert len(final.products) == 20
    for item in final.products.values():
        assert len(item.variants) == 3
        assert len(item.custom_fields) == 2
        assert len(item.images) == 2
    assert (await assess(prod, sample_catalog(20, price=35.0))).drift.in_sync


async def test_a_restart_in_the_middle_of_an_apply_converges_without_duplicates(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    task = asyncio.create_task(sync(prod, sample_catalog(30)))
    deadline = asyncio.get_running_loop().time() + 30
    while emulator.db.counts("production")["products"] < 10:  # interrupted a third of the way
        assert asyncio.get_running_loop().time() < deadline, "the apply made no progress"
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    partial = emulator.db.counts("production")["products"]
    assert 0 < partial < 30
    async with BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as restarted:
        _, result = await sync(restarted, sample_catalog(30))
        assert result.errors == []
        assert (await assess(restarted, sample_catalog(30))).drift.in_sync
    assert emulator.db.counts("production")["products"] == 30
    assert emulator.db.counts("production")["variants"] == 90
    assert emulator.db.counts("production")["images"] == 60


async def test_the_governor_paces_requests_so_429s_are_rare() -> None:
    emulator = Emulator(quota=10, window_ms=400)
    emulator.add_store("production", PROD_TOKEN)
    async with emulator, BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as prod:
        _, result = await sync(prod, sample_catalog(30))
        assert result.errors == []
        stats = emulator.control("production").stats.to_json()["by_status"]
        assert stats.get("429", 0) <= 1
        assert prod.governor.wait_seconds > 0
