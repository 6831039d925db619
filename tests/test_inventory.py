"""Inventory locations (by code) and the stock of each SKU at each: operational data owned by the
live store, copied into a `cloneFrom` sandbox only when it asks (`cloneFrom.inventory`), never
captured, never deployed (a catalog or plan holding them is refused before any write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from controller.catalog.kinds import Kind
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator
from controller.emulator.errors import ApiError
from controller.emulator.seed import seed_synthetic
from controller.engine import assess, sync
from controller.engine.apply import PlanRefused
from controller.planner import Options
from tests.test_customers import manifests, settle

ADDRESS = {
    "address1": "1 Congress Ave",
    "city": "Austin",
    "state": "Texas",
    "zip": "78701",
    "email": "austin@shop.test",
    "geo_coordinates": {"latitude": 30.26, "longitude": -97.74},
    "country_code": "US",
}


def seed_stock(emulator: Emulator) -> list[str]:
    """A source store with 20 products (60 variants), a second location, stock at both."""
    seed_synthetic(emulator.db, "production", 20)
    shop = emulator.db.bind("production")
    skus = [
        row[0]
        for row in emulator.db.conn.execute(
            "SELECT json_extract(doc, '$.sku') FROM variants WHERE store=? ORDER BY id LIMIT 6",
            ("production",),
        ).fetchall()
    ]
    shop.inventory.create_locations(
        [{"code": "AUS", "label": "Austin", "address": ADDRESS, "storefront_visibility": False}]
    )
    (austin,) = [d for d in shop.inventory.locations_by_code() if d["code"] == "AUS"]
    items = [{"location_id": 1, "sku": s, "quantity": 10 + i} for i, s in enumerate(skus[:4])]
    items += [{"location_id": austin["id"], "sku": s, "quantity": 3} for s in skus[2:]]
    shop.inventory.adjust({"items": items}, relative=False)
    shop.inventory.settle(
        austin["id"],
        {
            "settings": [
                {"identity": {"sku": skus[5]}, "safety_stock": 1, "bin_picking_number": "B7"}
            ]
        },
    )
    return skus


def held(emulator: Emulator, store: str) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    """(location code, SKU) -> (on hand, settings), as the store's API lists them."""
    shop = emulator.db.bind(store)
    codes = {d["id"]: d["code"] for d in shop.inventory.locations_by_code()}
    out = {}
    for row in emulator.db.conn.execute(
        "SELECT location_id, doc FROM stock WHERE store=?", (store,)
    ).fetchall():
        doc = orjson.loads(row[1])
        if doc["total_inventory_onhand"] or doc["settings"]["safety_stock"]:
            out[codes[row[0]], doc["identity"]["sku"]] = (
                doc["total_inventory_onhand"],
                doc["settings"],
            )
    return out


async def test_a_sandbox_asking_for_inventory_gets_its_sources_locations_and_stock(
    tmp_path: Path, emulator: Emulator, stores: Any
) -> None:
    seed_stock(emulator)
    world = manifests(tmp_path, emulator, {"enabled": False}, inventory=True)
    await settle(world, tmp_path, emulator)
    status = world.status[("StoreEnvironment", "shop", "sandbox")]
    assert status["clone"]["phase"] == "Succeeded", status
    source, sandbox = held(emulator, "production"), held(emulator, "sandbox")
    assert len(source) == 8
    assert sandbox == source
    copied = emulator.db.bind("sandbox").inventory.locations_by_code()
    austin = next(d for d in copied if d["code"] == "AUS")
    assert (austin["label"], austin["address"], austin["storefront_visibility"]) == (
        "Austin",
        ADDRESS,
        False,
    )
    original = next(
        d
        for d in emulator.db.bind("production").inventory.locations_by_code()
        if d["code"] == "AUS"
    )
    assert austin["id"] != original["id"]
    # the sandbox now holds what its source does: a refresh has nothing to write
    prod, sandbox_store = stores
    source_catalog = to_catalog(await prod.observe({Kind.INVENTORY_LOCATIONS}))
    again = await assess(sandbox_store, source_catalog, Options(operational_data=True))
    assert again.plan.steps == ()


async def test_without_asking_a_sandbox_gets_no_inventory(
    tmp_path: Path, emulator: Emulator
) -> None:
    seed_stock(emulator)
    world = manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator)
    assert world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]["phase"] == "Succeeded"
    assert held(emulator, "sandbox") == {}
    codes = [d["code"] for d in emulator.db.bind("sandbox").inventory.locations_by_code()]
    assert codes == ["BC-LOCATION-1"]


async def test_inventory_is_never_deployed_nor_captured(stores: Any, emulator: Emulator) -> None:
    prod, sandbox = stores
    seed_stock(emulator)
    captured = to_catalog(await prod.observe())
    assert captured.inventory_locations is None  # not read unless a clone asks
    desired = to_catalog(await prod.observe({Kind.INVENTORY_LOCATIONS}))
    assert desired.inventory_locations is not None
    assessment = await assess(sandbox, desired)
    assert assessment.plan.problems == (
        "inventoryLocations are operational data owned by the live store: they are never deployed "
        "nor captured; a sandbox with cloneFrom.inventory gets its source's",
    )
    with pytest.raises(PlanRefused):
        await sync(sandbox, desired)
    assert emulator.db.bind("sandbox").inventory.locations_by_code()[0]["code"] == "BC-LOCATION-1"
    assert held(emulator, "sandbox") == {}


def test_the_emulator_keeps_the_documented_rules_of_inventory(emulator: Emulator) -> None:
    shop = emulator.db.bind("production")
    seed_synthetic(emulator.db, "production", 2)
    with pytest.raises(ApiError) as default:
        shop.inventory.delete_locations({"location_id:in": "1"})
    assert default.value.status == 422
    many = [{"location_id": 1, "sku": "X", "quantity": 1}] * 2001
    with pytest.raises(ApiError) as too_many:
        shop.inventory.adjust({"items": many}, relative=False)
    assert too_many.value.status == 422
    with pytest.raises(ApiError) as nothing:
        shop.inventory.settle(1, {"settings": [{"identity": {"sku": "X"}}]})
    assert "At least one setting" in str(nothing.value.errors)
    locations = [{"code": f"L{i}", "label": f"L{i}"} for i in range(100)]
    with pytest.raises(ApiError) as active:  # with the default one: 101 active
        shop.inventory.create_locations(locations)
    assert active.value.status == 422
    assert [d["code"] for d in shop.inventory.locations_by_code()] == ["BC-LOCATION-1"]
