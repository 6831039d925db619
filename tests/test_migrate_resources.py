"""The Catalog V2 to V3 migration through resources: a capture of an older store (option sets
shared by many products, SKUs, rules with price and weight adjusters) is the V3 catalog it becomes,
in natural keys, so that applying it to an empty store shows shoppers the same prices."""

from __future__ import annotations

from typing import Any

from controller.catalog.observed import to_catalog
from controller.catalog.pricing import Shown
from controller.emulator import Emulator
from controller.emulator.seed import seed_v2
from controller.engine import sync
from controller.engine.migrate import read_store
from controller.engine.snapshots import observe_captured
from controller.planner import Options
from controller.stores import BigCommerceStore


async def shopper_prices(store: BigCommerceStore) -> dict[str, dict[str, Shown]]:
    """Per product SKU, the price and weight of every SKU and option combination, as the store's
    rules (V2) or variants and modifiers (V3) price it."""
    reading = await read_store(store)
    return {
        s.sku: {", ".join(sorted(c.split(", "))): shown for c, shown in s.shown().items()}
        for s in reading.products
    }


async def test_a_capture_of_an_older_store_applied_to_an_empty_one_prices_every_sku_alike(
    emulator: Emulator, stores: Any
) -> None:
    production, sandbox = stores
    seed_v2(emulator.db, "production", 12)
    before = await shopper_prices(production)
    assert sum(len(p) for p in before.values()) > 100

    captured = to_catalog(await observe_captured(production))
    tee = next(p for p in captured.products.values() if p.modifiers)
    wrap = next(m for m in tee.modifiers or () if m.display_name == "Gift wrap")
    yes = next(v for v in wrap.fields["option_values"] if v["label"] == "Yes")
    assert yes["adjusters"]["price"] == {"adjuster": "relative", "adjuster_value": 4}
    assert all(v.fields.get("price") is not None for v in tee.variants or ())

    _, result = await sync(sandbox, captured, Options())
    assert result.errors == []
    assert await shopper_prices(sandbox) == before
