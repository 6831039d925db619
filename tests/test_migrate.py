"""`stagingpro migrate v2-to-v3` on generated older stores (option sets shared by many products,
SKUs, rules with price and weight adjusters): the plan per product, the migration applied, every
SKU and option combination priced and weighed the same, ids and SKUs kept, and the requests
counted at the server equal to the minimum the command derives."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from controller.catalog.pricing import Shown
from controller.catalog.v2migration import differences
from controller.emulator import Emulator
from controller.emulator.seed import seed_v2

TOKEN = "legacy-token"


@pytest.fixture
async def legacy() -> AsyncIterator[Emulator]:
    emu = Emulator(quota=0)
    emu.add_store("legacy", TOKEN)
    async with emu:
        yield emu


async def migrate(emu: Emulator, tmp_path: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "controller",
        "migrate",
        "v2-to-v3",
        "--store",
        emu.store_url("legacy"),
        "--state",
        str(tmp_path / "migration.json"),
        *args,
        env={**os.environ, "STAGINGPRO_STORE_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def snapshot(emu: Emulator) -> dict[int, dict[str, object]]:
    """Every product's id, SKUs with their variant ids, and the store's V3 view of its prices."""
    async with httpx.AsyncClient(
        base_url=emu.store_url("legacy"), headers={"X-Auth-Token": TOKEN}
    ) as c:
        out: dict[int, dict[str, object]] = {}
        page = 1
        while True:
            params = {"include": "variants", "limit": 250, "page": page}
            answer = (await c.get("/v3/catalog/products", params=params)).json()
            for product in answer["data"]:
                out[product["id"]] = {
                    v["sku"]: (v["id"], v["calculated_price"], v["calculated_weight"])
                    for v in product["variants"]
                }
            if page >= answer["meta"]["pagination"]["total_pages"]:
                return out
            page += 1


async def requests_at_server(emu: Emulator) -> int:
    async with httpx.AsyncClient(base_url=emu.url + "/__emulator/stores/legacy") as admin:
        stats = (await admin.get("/stats")).json()
        await admin.delete("/stats")
    return int(stats["total"])


async def run_migration(
    legacy: Emulator, tmp_path: Path, products: int, *, plan_first: bool = True
) -> None:
    seed_v2(legacy.db, "legacy", products)
    before = await snapshot(legacy)
    await requests_at_server(legacy)

    if plan_first:
        code, planned = await migrate(legacy, tmp_path)
        assert code == 2, planned
        migrating = products - products // 10  # every tenth product has no option set
        assert f"{migrating} products to migrate" in planned
        assert "rules -> replaced by the variants' prices and the modifiers' adjusters" in planned
        assert (
            "modifier Gift wrap: rules -> value adjusters (Yes: price +4, weight +0.1)" in planned
        )
        reads = int(re.search(r"\((\d+) reads", planned)[1])  # type: ignore[index]
        assert await requests_at_server(legacy) == reads  # planning only reads

    code, applied = await migrate(legacy, tmp_path, "--yes")
    minimum = int(re.search(r"the fewest requests the API allows: (\d+)", applied)[1])  # type: ignore[index]
    assert code == 0, applied[-2000:]
    assert "0 price or weight differences" in applied
    used = await requests_at_server(legacy)
    assert not (tmp_path / "migration.json").exists()

    after = await snapshot(legacy)
    assert set(after) == set(before)  # no product id changed
    for product_id, variants in before.items():
        assert {sku: ids[0] for sku, ids in after[product_id].items()} == {
            sku: ids[0] for sku, ids in variants.items()
        }  # SKUs and variant ids kept
        assert after[product_id] == variants  # what the store charges for each SKU

    async with httpx.AsyncClient(
        base_url=legacy.store_url("legacy"), headers={"X-Auth-Token": TOKEN}
    ) as c:
        params = {"include": "modifiers", "limit": 10}
        tees = [p for p in (await c.get("/v3/catalog/products", params=params)).json()["data"]]
    wraps = [m for p in tees for m in p["modifiers"] if m["display_name"] == "Gift wrap"]
    assert wraps
    assert all(
        m["option_values"][0]["adjusters"]["price"] == {"adjuster": "relative", "adjuster_value": 4}
        for m in wraps
    )
    await requests_at_server(legacy)  # not counting the snapshot's reads
    code, again = await migrate(legacy, tmp_path)
    assert code == 0, again
    assert "0 products to migrate" in again
    # the verification reads the migrated store as this plan did; the rest is the migration
    verification = await requests_at_server(legacy)
    assert minimum <= used - verification <= 1.1 * minimum


async def test_a_generated_older_store_migrates_with_no_difference_a_shopper_sees(
    legacy: Emulator, tmp_path: Path
) -> None:
    await run_migration(legacy, tmp_path, 40)


@pytest.mark.slow
async def test_option_sets_shared_by_a_thousand_products_migrate_at_the_minimum(
    legacy: Emulator, tmp_path: Path
) -> None:
    await run_migration(legacy, tmp_path, 1000, plan_first=False)


async def test_a_rule_combining_a_modifier_with_a_size_keeps_its_product_saying_why(
    legacy: Emulator, tmp_path: Path
) -> None:
    seed_v2(legacy.db, "legacy", 3)
    async with httpx.AsyncClient(
        base_url=legacy.store_url("legacy") + "/v2", headers={"X-Auth-Token": TOKEN}
    ) as c:
        tees = (await c.get("/option_sets", params={"name": "Tees"})).json()[0]
        products = (await c.get("/products")).json()
        product = next(p for p in products if p["option_set_id"] == tees["id"])
        options = {
            o["display_name"]: o for o in (await c.get(f"/products/{product['id']}/options")).json()
        }
        wrap, size = options["Gift wrap"], options["Tee size"]
        yes = (await c.get(f"/options/{wrap['option_id']}/values")).json()[0]
        large = (await c.get(f"/options/{size['option_id']}/values")).json()[2]
        conditions = [
            {"product_option_id": wrap["id"], "option_value_id": yes["id"]},
            {"product_option_id": size["id"], "option_value_id": large["id"]},
        ]
        adjuster = {"adjuster": "relative", "adjuster_value": 1}
        created = await c.post(
            f"/products/{product['id']}/rules",
            json={"conditions": conditions, "price_adjuster": adjuster},
        )
        assert created.status_code == 201
    code, planned = await migrate(legacy, tmp_path)
    assert code == 2
    assert (
        f"product {product['id']} 'Legacy product 000000': kept as it is: a rule combines a "
        "modifier with other conditions" in planned
    )
    assert "2 products to migrate, 1 product kept as is" in planned


def test_the_verification_reports_every_price_or_weight_that_changed() -> None:
    before = {7: {"Size=S": Shown(Decimal("10.0000"), Decimal("1.0000"))}}
    same = {7: {"Size=S": Shown(Decimal("10.0000"), Decimal("1.0000"))}}
    dearer = {7: {"Size=S": Shown(Decimal("10.5000"), Decimal("1.0000"))}}
    assert differences(before, same) == []
    assert [str(d) for d in differences(before, dearer)] == [
        "product 7 (Size=S): before price 10.0000, weight 1.0000, after price 10.5000, "
        "weight 1.0000"
    ]
    assert [str(d) for d in differences(before, {})] == [
        "product 7 (Size=S): before price 10.0000, weight 1.0000, after not sold"
    ]


def test_the_example_migrates_the_sandbox_first_then_production() -> None:
    script = Path(__file__).parent.parent / "examples" / "v2-migration" / "run.sh"
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        ["sh", str(script)],
        env={**os.environ, "PRODUCTS": "10", "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    steps = [line for line in result.stdout.splitlines() if line.startswith("== ")]
    assert steps == [
        "== sandbox: the plan",
        "== sandbox: applied and verified",
        "== production: the plan",
        "== production: applied and verified",
        "== production: nothing left to migrate",
    ]
    assert result.stdout.count("0 price or weight differences") == 2
    assert result.stdout.rstrip().splitlines()[-1].startswith("0 products to migrate")


class Stopped(Exception):
    """The run stopping halfway (a crash, Ctrl-C)."""


async def test_a_migration_that_stopped_halfway_resumes_from_its_kept_plan(
    legacy: Emulator, tmp_path: Path
) -> None:
    from controller.engine import migrate as engine
    from controller.stores import BigCommerceStore, Token

    seed_v2(legacy.db, "legacy", 30)
    before = await snapshot(legacy)
    state = tmp_path / "migration.json"

    def stop_after_the_first_batch(done: int, total: int) -> None:
        raise Stopped(f"{done} of {total}")

    async with BigCommerceStore(legacy.url, "legacy", Token(TOKEN)) as store:
        migration = await engine.plan_migration(store, legacy.store_url("legacy"))
        engine.save(state, migration)
        with pytest.raises(Stopped):
            await engine.apply_migration(store, migration, progress=stop_after_the_first_batch)
    code, resumed = await migrate(legacy, tmp_path, "--yes")
    assert code == 0, resumed[-2000:]
    assert "Resuming the migration kept in" in resumed
    assert "0 price or weight differences" in resumed
    # a product whose variants straddled the first batch lost its rules before all its variants
    # had their prices: only the kept plan knows what those must be
    assert await snapshot(legacy) == before
