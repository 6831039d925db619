"""Property: from any store state, apply(plan(desired, observed)) leaves no drift."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.catalog import Item, Kind, build_catalog
from controller.emulator import Emulator, EmulatorThread
from controller.engine import assess, sync
from controller.planner import Options
from controller.stores import BigCommerceStore, Token

CATEGORY_PATHS = ["A", "A/B", "A/B/C", "D", "D/E"]
BRANDS = ["Acme", "Zeta", "Nova"]
SIZES = ["S", "M", "L", "XL"]

names = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).map(str.strip).filter(bool)
prices = st.floats(min_value=0, max_value=1000, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def products(draw: st.DrawFn) -> list[dict[str, Any]]:
    skus = draw(st.lists(st.integers(0, 40), min_size=0, max_size=8, unique=True))
    out = []
    for number in skus:
        sku = f"S{number}"
        sizes = draw(st.lists(st.sampled_from(SIZES), max_size=3, unique=True))
        item: dict[str, Any] = {
            "sku": sku,
            "name": f"{draw(names)} {number}",
            "type": "physical",
            "price": draw(prices),
            "weight": 1,
            "is_visible": draw(st.booleans()),
            "categories": draw(st.lists(st.sampled_from(CATEGORY_PATHS), max_size=2, unique=True)),
            "brand": draw(st.sampled_from(["", *BRANDS])),
            "variants": [
                {
                    "sku": f"{sku}-{s}",
                    "option_values": [{"option_display_name": "Size", "label": s}],
                    "price": draw(prices),
                }
                for s in sizes
            ],
            "custom_fields": [
                {"name": n, "value": draw(names)}
                for n in draw(st.lists(st.sampled_from(["fit", "material", "care"]), unique=True))
            ],
            "images": [
                f"https://cdn.test/{sku}/{i}.jpg"
                for i in draw(st.lists(st.integers(0, 3), unique=True))
            ],
        }
        out.append(item)
    return out


def catalog_of(items: list[dict[str, Any]]) -> Any:
    return build_catalog(
        {
            Kind.PRODUCTS: [Item(p) for p in items],
            Kind.CATEGORIES: [Item({"path": p}) for p in CATEGORY_PATHS],
            Kind.BRANDS: [Item({"name": b}) for b in BRANDS],
        }
    )


@pytest.fixture(scope="module")
def running() -> Iterator[Emulator]:
    emulator = Emulator(quota=0)
    emulator.add_store("prop", "prop-token")
    with EmulatorThread(emulator) as started:
        yield started


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=products(), after=products())
def test_applying_the_plan_leaves_no_drift(
    running: Emulator, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> None:
    async def scenario() -> None:
        async with BigCommerceStore(running.url, "prop", Token("prop-token")) as store:
            await sync(store, catalog_of(before))  # some arbitrary earlier state
            await sync(store, catalog_of(after), Options(prune=True, allow_mass_delete=True))
            report = (await assess(store, catalog_of(after), Options(prune=True))).drift
            assert report.in_sync, report.samples

    running.db.reset_store("prop")
    asyncio.run(scenario())
