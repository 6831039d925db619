"""A `cloneFrom` sandbox of an older store is a faithful Catalog V2 copy (option sets, SKUs as V2
sees them, rules), so the V2 to V3 migration tried on the clone plans what it will on production,
and production is only read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from controller.emulator import Emulator
from controller.emulator.control import FaultConfig
from controller.emulator.seed import seed_v2
from controller.engine import migrate
from controller.engine.migrate import Migration
from controller.stores.client import decode
from tests.test_customers import manifests, settle
from tests.test_migrate_resources import shopper_prices

SANDBOX = ("StoreEnvironment", "shop", "sandbox")


def by_natural_keys(migration: Migration) -> dict[str, Any]:
    """A migration's plan per product SKU, without the store's ids."""
    return migration.by_sku()


def shown(migration: Migration) -> dict[str, Any]:
    """What shoppers see now, per product SKU and combination (its labels in order)."""
    skus = {p.state.id: p.state.sku for p in migration.plans}
    return {
        skus[product]: {", ".join(sorted(c.split(", "))): s for c, s in combos.items()}
        for product, combos in migration.before.items()
    }


def refresh(tmp_path: Path, token: str) -> None:
    path = tmp_path / "m" / "all.yaml"
    docs = list(yaml.safe_load_all(path.read_text()))
    docs[1]["metadata"]["annotations"] = {"stagingpro.io/refresh": token}
    path.write_text(yaml.safe_dump_all(docs))


def migrating_deployment(tmp_path: Path) -> None:
    """A StoreDeployment migrating the sandbox, added to the manifests."""
    path = tmp_path / "m" / "all.yaml"
    deployment = {
        "apiVersion": "stagingpro.io/v1alpha1",
        "kind": "StoreDeployment",
        "metadata": {"name": "v3-sandbox", "namespace": "shop"},
        "spec": {"targets": ["sandbox"], "migration": "v2-to-v3"},
    }
    path.write_text(path.read_text() + "---\n" + yaml.safe_dump(deployment))


async def cloned(emulator: Emulator, tmp_path: Path) -> Any:
    """The world once the sandbox is a clone of a production of 10 older products."""
    seed_v2(emulator.db, "production", 10)
    world = manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator)
    return world


def writes(emulator: Emulator, store: str) -> int:
    by_method = emulator.control(store).stats.to_json()["by_method"]
    return sum(n for method, n in by_method.items() if method != "GET")


async def test_a_clone_of_an_older_store_plans_the_migration_production_will_have(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, sandbox = stores
    seed_v2(emulator.db, "production", 20)
    emulator.control("production").stats.reset()
    world = manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator)

    clone = world.status[SANDBOX]["clone"]
    assert clone["phase"] == "Succeeded", clone
    assert "Catalog V2: " in clone["progress"]
    assert writes(emulator, "production") == 0  # the source is only read
    expected = await migrate.plan_migration(production, "production")
    tried = await migrate.plan_migration(sandbox, "sandbox")
    assert len(expected.changes) == 18  # every tenth product has no option set
    assert by_natural_keys(tried) == by_natural_keys(expected)
    assert shown(tried) == shown(expected)  # shoppers see the same prices
    assert tried.minimum == expected.minimum
    sandbox_ids = {p.state.sku: p.state.id for p in tried.plans}
    assert all(sandbox_ids[p.state.sku] != p.state.id for p in expected.plans)  # its own ids

    # a refresh of an unchanged source writes nothing to the sandbox
    emulator.control("sandbox").stats.reset()
    refresh(tmp_path, "again")
    await settle(world, tmp_path, emulator)
    assert world.status[SANDBOX]["clone"]["refreshToken"] == "again"
    assert world.status[SANDBOX]["clone"]["phase"] == "Succeeded"
    assert writes(emulator, "sandbox") == 0

    # the migration tried on the clone, verified there; production untouched
    await migrate.apply_migration(sandbox, tried)
    verification = await migrate.verify(sandbox, tried)
    assert verification.ok, verification.differences[:3]
    assert writes(emulator, "production") == 0
    assert by_natural_keys(await migrate.plan_migration(production, "p")) == by_natural_keys(
        expected
    )
    assert await shopper_prices(sandbox) == await shopper_prices(production)

    # a refresh after the migration makes the clone production's V2 catalog again
    refresh(tmp_path, "third")
    await settle(world, tmp_path, emulator)
    assert world.status[SANDBOX]["clone"]["phase"] == "Succeeded"
    again = await migrate.plan_migration(sandbox, "sandbox")
    assert by_natural_keys(again) == by_natural_keys(expected)


async def test_a_clone_mends_a_sandbox_whose_v2_copy_was_left_half_written(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, sandbox = stores
    world = await cloned(emulator, tmp_path)
    expected = by_natural_keys(await migrate.plan_migration(production, "production"))
    # as a run that stopped would leave it: a SKU, a rule and an option value gone, a product
    # out of its option set
    v2 = emulator.db.bind("sandbox").options_v2
    product, other = [p for p in (await migrate.read_store(sandbox)).products if p.rules][:2]
    v2.delete_skus(product.id, [product.variants[0]["id"]])
    v2.delete_rules(product.id, [product.rules[-1]["id"]])
    with v2.tx():
        v2.apply_set(other.id, None)
    option = next(o for o in v2.options() if o["name"] == "Tee colour")
    v2.delete_values(option["id"], [option["values"][1]["id"]])
    assert by_natural_keys(await migrate.plan_migration(sandbox, "sandbox")) != expected

    refresh(tmp_path, "mend")
    await settle(world, tmp_path, emulator)
    assert world.status[SANDBOX]["clone"]["phase"] == "Succeeded", (
        world.status[SANDBOX]["clone"],
        (tmp_path / "state" / "events.jsonl").read_text()[-3000:],
    )
    assert by_natural_keys(await migrate.plan_migration(sandbox, "sandbox")) == expected


async def test_a_deployment_migrating_the_clone_waits_for_it_and_plans_as_production_would(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, sandbox = stores
    seed_v2(emulator.db, "production", 10)
    expected = await migrate.plan_migration(production, "production")
    emulator.control("production").stats.reset()
    world = manifests(tmp_path, emulator, {"enabled": False})
    migrating_deployment(tmp_path)
    await settle(world, tmp_path, emulator, runs=8)

    target = world.status[("StoreDeployment", "shop", "v3-sandbox")]["targets"][0]
    assert target["phase"] == "Succeeded", target
    migration = target["migration"]
    assert migration["migrated"] == len(expected.changes) == 9
    assert migration["minimumRequests"] == sum(expected.minimum.values())
    assert migration["differenceCount"] == 0
    assert writes(emulator, "production") == 0
    left = await migrate.plan_migration(sandbox, "sandbox")
    assert left.changes == []


async def test_writes_the_sandbox_failed_after_making_them_are_mended_by_the_next_clone(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, sandbox = stores
    seed_v2(emulator.db, "production", 10)
    expected = by_natural_keys(await migrate.plan_migration(production, "production"))
    faults = emulator.control("sandbox").faults
    faults.configure(FaultConfig(error_after_write_rate=0.2, seed=3))
    world = manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator, runs=1)
    assert (world.status.get(SANDBOX) or {}).get("clone", {}).get("phase") != "Succeeded"

    faults.configure(FaultConfig())
    await settle(world, tmp_path, emulator, runs=2)
    assert world.status[SANDBOX]["clone"]["phase"] == "Succeeded"
    assert by_natural_keys(await migrate.plan_migration(sandbox, "sandbox")) == expected


async def without_sku(store: Any, name: str) -> dict[str, Any]:
    """A new product without a SKU."""
    body = {"name": name, "type": "physical", "price": 5, "weight": 1}
    response = await store.request("POST", "/v3/catalog/products", json=body)
    return dict(decode(response)["data"])


async def test_a_clone_carries_what_a_v2_sku_has_and_leaves_out_products_without_a_sku(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, sandbox = stores
    seed_v2(emulator.db, "production", 10)
    state = next(p for p in (await migrate.read_store(production)).products if p.variants)
    variant = state.variants[0]
    values = {
        "inventory_level": 7,
        "inventory_warning_level": 2,
        "image_url": "https://cdn.example.com/red-tee.png",
        "upc": "012345678905",
        "bin_picking_number": "B-12",
        "cost_price": 3.5,
    }
    path = f"/v3/catalog/products/{state.id}/variants/{variant['id']}"
    await production.request("PUT", path, json=values)
    # a product without a SKU in a shared option set, and one of the sandbox's own
    made = await without_sku(production, "Unkeyed tee")
    body = {"option_set_id": state.option_set_id}
    await production.request("PUT", f"/v2/products/{made['id']}", json=body)
    own = await without_sku(sandbox, "Sandbox's own")
    world = manifests(tmp_path, emulator, {"enabled": False}, inventory=True)
    await settle(world, tmp_path, emulator)

    clone = world.status[SANDBOX]["clone"]
    assert clone["phase"] == "Succeeded", clone
    found = decode(
        await sandbox.request(
            "GET", "/v3/catalog/products", params={"sku": state.sku, "include": "variants"}
        )
    )["data"][0]
    copied = next(v for v in found["variants"] if v["sku"] == variant["sku"])
    assert {k: copied[k] for k in values} == values
    mine = decode(await sandbox.request("GET", f"/v2/products/{own['id']}"))
    assert mine["option_set_id"] is None  # never taken for the source's product
    assert clone["uncarriedProducts"] == [f"product {made['id']}: it has no SKU"]


async def test_a_deployment_waiting_for_a_clone_that_failed_says_why(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    # an option the source has, of another type here (a type cannot change): every clone fails
    emulator.db.bind("sandbox").options_v2.create_option({"name": "Tee colour", "type": "RT"})
    seed_v2(emulator.db, "production", 10)
    world = manifests(tmp_path, emulator, {"enabled": False})
    migrating_deployment(tmp_path)
    await settle(world, tmp_path, emulator, runs=4)

    clone = world.status[SANDBOX]["clone"]
    assert clone["phase"] == "Failed"
    why = "option 'Tee colour': of type RT here, S in the source (an option's type cannot change)"
    assert clone["firstError"] == why
    target = world.status[("StoreDeployment", "shop", "v3-sandbox")]["targets"][0]
    assert target["phase"] == "Pending"
    assert target["errors"] == [
        f"EnvironmentNotReady: target StoreEnvironment shop/sandbox: its clone failed: {why}"
    ]

    # the option out of the way, the next clone mends the sandbox and the deployment goes on
    v2 = emulator.db.bind("sandbox").options_v2
    v2.delete_option(next(o["id"] for o in v2.options() if o["name"] == "Tee colour"))
    await settle(world, tmp_path, emulator, runs=8)
    assert world.status[SANDBOX]["clone"]["phase"] == "Succeeded"
    target = world.status[("StoreDeployment", "shop", "v3-sandbox")]["targets"][0]
    assert target["phase"] == "Succeeded", target


async def test_creates_the_sandbox_made_before_failing_are_adopted_when_retried(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, sandbox = stores
    world = await cloned(emulator, tmp_path)
    # a new value at the source, a SKU no rule names gone from the sandbox
    source = emulator.db.bind("production").options_v2
    colour = next(o for o in source.options() if o["name"] == "Tee colour")
    source.create_value(colour["id"], {"label": "Olive", "value": "Olive", "sort_order": 9})
    expected = by_natural_keys(await migrate.plan_migration(production, "production"))
    v2 = emulator.db.bind("sandbox").options_v2
    product = next(p for p in (await migrate.read_store(sandbox)).products if p.variants)
    named = {c.get("sku_id") for r in product.rules for c in r.get("conditions") or []}
    variant = next(v for v in product.variants if v["id"] not in named)
    v2.delete_skus(product.id, [variant["id"]])

    # every write is made and then answered 500: each create is retried and refused as a duplicate
    emulator.control("sandbox").faults.configure(FaultConfig(error_after_write_rate=1.0))
    emulator.control("sandbox").stats.reset()
    refresh(tmp_path, "retried")
    await settle(world, tmp_path, emulator, runs=1)
    emulator.control("sandbox").faults.configure(FaultConfig())
    clone = world.status[SANDBOX]["clone"]
    assert clone["phase"] == "Succeeded", clone
    assert "1 SKUs created" in clone["progress"]
    assert "1 option values created" in clone["progress"]
    assert by_natural_keys(await migrate.plan_migration(sandbox, "sandbox")) == expected
