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
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from controller.catalog import v2migration
from controller.catalog.pricing import Shown
from controller.catalog.v2migration import ProductPlan, ProductState, differences, plan_product
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


async def bulk_pricing(emu: Emulator) -> dict[int, list[tuple[object, ...]]]:
    """Every product's bulk pricing rules (id, range, type, amount) as V3 shows them."""
    async with httpx.AsyncClient(
        base_url=emu.store_url("legacy"), headers={"X-Auth-Token": TOKEN}
    ) as c:
        out: dict[int, list[tuple[object, ...]]] = {}
        page = 1
        while True:
            params = {"include": "bulk_pricing_rules", "limit": 250, "page": page}
            answer = (await c.get("/v3/catalog/products", params=params)).json()
            for product in answer["data"]:
                out[product["id"]] = [
                    (r["id"], r["quantity_min"], r["quantity_max"], r["type"], r["amount"])
                    for r in product["bulk_pricing_rules"]
                ]
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
    pricing_before = await bulk_pricing(legacy)
    assert sum(1 for rules in pricing_before.values() if rules) == -(-products // 3)
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
        # a gift wrap on the largest size, and a wrapped last colour that stops the rules after it
        assert re.search(
            r"rule -> complex rule Gift wrap=Yes on variants V2-000006-XL-BLA, V2-000006-XL-WHI, "
            r"V2-000006-XL-NAV: price \+1.5, weight \+0.05\n",
            planned,
        )
        assert (
            "rule -> complex rule Gift wrap=Yes on variants V2-000000-S-NAV, V2-000000-M-NAV, "
            "V2-000000-L-NAV, 1 more: price +10%, then no further rule" in planned
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
    # the V2 bulk pricing is the V3 bulk pricing rules, which the migration leaves as they are:
    # with each SKU's unit price unchanged, so is its price at every quantity break
    assert await bulk_pricing(legacy) == pricing_before

    async with httpx.AsyncClient(
        base_url=legacy.store_url("legacy"), headers={"X-Auth-Token": TOKEN}
    ) as c:
        params = {"include": "modifiers", "limit": 10}
        tees = [p for p in (await c.get("/v3/catalog/products", params=params)).json()["data"]]
        stopping = tees[0]  # the gift wrap's price comes after a rule that stops: a complex rule
        made = (await c.get(f"/v3/catalog/products/{stopping['id']}/complex-rules")).json()["data"]
    assert [(r["sort_order"], r["stop"], r["price_adjuster"]) for r in made] == [
        (3, False, {"adjuster": "relative", "adjuster_value": 1.5}),
        (4, True, {"adjuster": "percentage", "adjuster_value": 10}),
        (5, False, {"adjuster": "relative", "adjuster_value": 4}),
    ]
    wraps = [m for p in tees[1:] for m in p["modifiers"] if m["display_name"] == "Gift wrap"]
    assert wraps
    assert all(
        m["option_values"][0]["adjusters"]["price"] == {"adjuster": "relative", "adjuster_value": 4}
        for m in wraps
    )
    await requests_at_server(legacy)  # not counting the snapshot's reads
    code, again = await migrate(legacy, tmp_path)
    assert code == 0, again
    assert "0 products to migrate" in again
    verification = int(re.search(r"\(in (\d+) reads\)", applied)[1])  # type: ignore[index]
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


async def tee_options(c: httpx.AsyncClient, product: int) -> dict[str, dict[str, object]]:
    """A Tee's product options by display name, each with its values (`values`) by label."""
    found = {o["display_name"]: o for o in (await c.get(f"/products/{product}/options")).json()}
    for option in found.values():
        values = (await c.get(f"/options/{option['option_id']}/values")).json()
        option["values"] = {v["label"]: v["id"] for v in values}
    return found


async def test_rules_naming_a_modifier_become_complex_rules_at_the_fewest_requests(
    legacy: Emulator,
) -> None:
    from controller.engine import migrate as engine
    from controller.stores import BigCommerceStore, Token

    seed_v2(legacy.db, "legacy", 7)  # Tees: 0 (two rules with the gift wrap, one stops), 3, 6
    async with httpx.AsyncClient(
        base_url=legacy.store_url("legacy") + "/v2", headers={"X-Auth-Token": TOKEN}
    ) as c:
        products = {p["sku"]: p["id"] for p in (await c.get("/products")).json()}
        tee = products["V2-000003"]
        options = await tee_options(c, tee)
        wrap, size = options["Gift wrap"], options["Tee size"]
        created = await c.post(  # before the rule on a colour's percentage: V3 cannot follow it
            f"/products/{tee}/rules",
            json={
                "sort_order": 0,
                "conditions": [
                    {"product_option_id": wrap["id"], "option_value_id": wrap["values"]["Yes"]},
                    {"product_option_id": size["id"], "option_value_id": size["values"]["L"]},
                ],
                "price_adjuster": {"adjuster": "relative", "adjuster_value": 1},
            },
        )
        assert created.status_code == 201, created.text
    before = await snapshot(legacy)
    await requests_at_server(legacy)
    async with BigCommerceStore(legacy.url, "legacy", Token(TOKEN)) as store:
        migration = await engine.plan_migration(store, "legacy")
        assert await requests_at_server(legacy) == migration.minimum["reads"]
        plans = {p.state.id: p for p in migration.plans}
        assert not [p.kept_because for p in migration.plans if p.kept_because]
        stopping, tabulated, sized = (plans[products[f"V2-00000{n}"]] for n in (0, 3, 6))
        assert [r.text() for r in sized.rules] == [
            "Gift wrap=Yes on variants V2-000006-XL-BLA, V2-000006-XL-WHI, V2-000006-XL-NAV: "
            "price +1.5, weight +0.05"
        ]
        assert [m.name for m in sized.modifiers] == ["Gift wrap"]  # its own price: adjusters
        assert [(r.sort_order, r.stop, r.price) for r in stopping.rules] == [
            (3, False, {"adjuster": "relative", "adjuster_value": 1.5}),
            (4, True, {"adjuster": "percentage", "adjuster_value": 10.0}),
            (5, False, {"adjuster": "relative", "adjuster_value": 4.0}),
        ]
        assert not stopping.modifiers
        # what a wrap adds to each Tee, by the amount: +4 (+5 on L, +5.1 on L-Black: +1 before
        # the 10% of Black)
        assert sorted((len(r.variants), r.price["adjuster_value"]) for r in tabulated.rules) == [
            (1, 5.1),
            (2, 5.0),
            (9, 4.0),
        ]
        lines = "\n".join(tabulated.lines())
        assert "rule -> complex rule Gift wrap=Yes on variant V2-000003-L-BLA: price +5.1" in lines
        await engine.apply_migration(store, migration)
        writes = await requests_at_server(legacy)
        assert writes == sum(migration.minimum.values()) - migration.minimum["reads"]
        assert migration.minimum["complex_rules"] == 3 + 3 + 1
        verification = await engine.verify(store, migration)
    assert verification.ok
    assert verification.combinations == 3 * (4 * 3 * 2) + 2 * 3 + 2 * (3 * 2)  # Tees, Mugs, Hoodies
    assert await snapshot(legacy) == before  # product and variant ids, SKUs and their prices


async def test_a_rule_v3_cannot_follow_keeps_its_product_saying_why(
    legacy: Emulator, tmp_path: Path
) -> None:
    seed_v2(legacy.db, "legacy", 3)
    async with httpx.AsyncClient(
        base_url=legacy.store_url("legacy") + "/v2", headers={"X-Auth-Token": TOKEN}
    ) as c:
        product = next(p for p in (await c.get("/products")).json() if p["sku"] == "V2-000000")
        skus = (await c.get(f"/products/{product['id']}/skus")).json()
        gone = next(s for s in skus if s["sku"] == "V2-000000-XL-BLA")  # the XL rule prices it
        assert (await c.delete(f"/products/{product['id']}/skus/{gone['id']}")).status_code == 204
    code, planned = await migrate(legacy, tmp_path)
    assert code == 2
    assert (
        f"product {product['id']} 'Legacy product 000000': kept as it is: 2 option combinations "
        "have no SKU and rules price them (V3 needs a variant for each)" in planned
    )
    assert "2 products to migrate, 1 product kept as is" in planned
    code, applied = await migrate(legacy, tmp_path, "--yes")
    assert code == 0, applied[-2000:]
    async with httpx.AsyncClient(
        base_url=legacy.store_url("legacy") + "/v2", headers={"X-Auth-Token": TOKEN}
    ) as c:
        rules = (await c.get(f"/products/{product['id']}/rules")).json()
    assert len([r for r in rules if r["conditions"][0]["sku_id"] is None]) == 5  # as it was


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
        "== sandbox: cloned from production",
        "== sandbox: the plan",
        "== sandbox: applied and verified",
        "== production: the plan",
        "== production: applied and verified",
        "== production: nothing left to migrate",
    ]
    assert result.stdout.count("0 price or weight differences") == 2
    # the clone plans what production will (the same products and requests)
    plans = [line for line in result.stdout.splitlines() if line.startswith("9 products to")]
    assert len(plans) == 2, result.stdout
    assert plans[0] == plans[1]
    assert "Catalog V2: 63 SKUs created" in result.stdout
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


def test_a_kept_plan_carries_its_complex_rules() -> None:
    from controller.engine import migrate as engine

    state = mug(
        [
            {
                "sort_order": 0,
                "is_stop": True,
                "conditions": [
                    {"product_option_id": 2, "option_value_id": 21},
                    {"product_option_id": 1, "option_value_id": 11},
                ],
                "price_adjuster": {"adjuster": "relative", "adjuster_value": "2.5"},
            }
        ],
        sizes=("S",),
    )
    plan = plan_product(state)
    assert [r.text() for r in plan.rules] == [
        "Engraving=Yes on variant MUG-S: price +2.5, then no further rule"
    ]
    kept = engine.Migration("store", [plan], {}, {})
    again = engine.unpack(engine.pack(kept)).plans[0]
    assert again.rules == plan.rules
    assert again.rules[0].body(5, {2: {"Yes": 121}}) == {
        "product_id": 5,
        **plan.rules[0].fields(),
        "conditions": [
            {"modifier_id": 2, "modifier_value_id": 121, "variant_id": None},
            {"modifier_id": None, "modifier_value_id": None, "variant_id": 50},
        ],
    }


def mug(rules: list[dict[str, object]], *, sizes: tuple[str, ...] = ("S", "L")) -> ProductState:
    """A product with a size per variant (none: no variants) and an engraving modifier."""
    state = ProductState(5, "Mug", "MUG", 10, 1, 3, True)
    if sizes:
        values = [{"id": 11 + n, "label": s} for n, s in enumerate(sizes)]
        state.options = [{"id": 1, "display_name": "Size", "option_values": values}]
        state.variants = [
            {"id": 50 + n, "sku": f"MUG-{s}", "option_values": [{"option_id": 1, "id": 11 + n}]}
            for n, s in enumerate(sizes)
        ]
    state.modifiers = [
        {
            "id": 2,
            "display_name": "Engraving",
            "option_values": [{"id": 21, "label": "Yes"}, {"id": 22, "label": "No"}],
        }
    ]
    state.rules = [{"id": 90 + n, **rule} for n, rule in enumerate(rules)]
    return state


def test_an_absolute_price_on_a_modifier_value_becomes_what_it_adds_to_each_variant() -> None:

    yes = {"product_option_id": 2, "option_value_id": 21}
    large = {"product_option_id": 1, "option_value_id": 12}
    plan = plan_product(
        mug(
            [
                {"sort_order": 0, "conditions": [large], "price_adjuster": _relative(5)},
                {
                    "sort_order": 1,
                    "conditions": [yes, large],
                    "price_adjuster": {"adjuster": "absolute", "adjuster_value": "25"},
                },
            ]
        )
    )
    assert not plan.kept_because
    assert [(t.sku, t.price) for t in plan.variants] == [
        ("MUG-S", Decimal("10.0000")),
        ("MUG-L", Decimal("15.0000")),
    ]
    assert [r.text() for r in plan.rules] == ["Engraving=Yes on variant MUG-L: price +10"]


def test_a_stop_on_one_modifier_value_of_a_product_without_variants_becomes_adjusters() -> None:

    yes = {"product_option_id": 2, "option_value_id": 21}
    plan = plan_product(
        mug(
            [
                {
                    "sort_order": 0,
                    "is_stop": True,
                    "conditions": [yes],
                    "price_adjuster": _relative(4),
                },
                {"sort_order": 1, "conditions": [yes], "price_adjuster": _relative(1)},
            ],
            sizes=(),
        )
    )
    assert not plan.kept_because
    assert not plan.rules
    assert [(m.name, m.values[21]["price"]) for m in plan.modifiers] == [
        ("Engraving", {"adjuster": "relative", "adjuster_value": 4.0})
    ]


def _relative(amount: float) -> dict[str, object]:
    return {"adjuster": "relative", "adjuster_value": str(amount)}


def test_a_rule_on_option_values_that_disables_purchasing_keeps_the_product_as_it_is() -> None:

    large = {"product_option_id": 1, "option_value_id": 12}
    plan = plan_product(
        mug(
            [
                {"sort_order": 0, "conditions": [large], "price_adjuster": _relative(5)},
                {
                    "sort_order": 1,
                    "conditions": [large],
                    "is_purchasing_disabled": True,
                    "purchasing_disabled_message": "Back in May",
                },
            ]
        )
    )
    # the variants' prices replace the rules, which would take the "not for sale" with them
    assert plan.kept_because.startswith("a rule on option values or SKUs disables")
    assert not plan.changes


def gift_mug(*rules: Mapping[str, Any]) -> ProductState:
    """A Mug in sizes S (variant 50) and M (51) at 10, with a Gift wrap (Yes 21, No 22) a shopper
    must choose and a Font (Arial 31, Times 32) one may leave empty, and these V2 rules."""
    state = ProductState(5, "Mug", "MUG", 10, 1, 3, True)
    state.options = [
        {
            "id": 1,
            "display_name": "Size",
            "option_values": [{"id": 11, "label": "S"}, {"id": 12, "label": "M"}],
        }
    ]
    state.variants = [
        {"id": 50, "sku": "MUG-S", "option_values": [{"option_id": 1, "id": 11}]},
        {"id": 51, "sku": "MUG-M", "option_values": [{"option_id": 1, "id": 12}]},
    ]
    state.modifiers = [
        {
            "id": 2,
            "display_name": "Gift wrap",
            "required": True,
            "option_values": [{"id": 21, "label": "Yes"}, {"id": 22, "label": "No"}],
        },
        {
            "id": 3,
            "display_name": "Font",
            "required": False,
            "option_values": [{"id": 31, "label": "Arial"}, {"id": 32, "label": "Times"}],
        },
    ]
    state.rules = [{"id": n, "sort_order": n, **r} for n, r in enumerate(rules, start=1)]
    return state


def on(option: int, value: int) -> dict[str, int]:
    return {"product_option_id": option, "option_value_id": value}


def priced_alike(state: ProductState, plan: ProductPlan) -> bool:
    """Whether every combination (a modifier left empty included) costs and weighs the same."""
    after = v2migration._after(state, plan)
    return all(state.v2().shown(c) == after.shown(c) for c in state.combinations())


def test_a_modifier_no_rule_names_left_empty_costs_what_it_did() -> None:
    state = gift_mug(
        {
            "conditions": [on(2, 21)],
            "price_adjuster": {"adjuster": "relative", "adjuster_value": 4},
        },
        {
            "conditions": [on(1, 11)],
            "price_adjuster": {"adjuster": "percentage", "adjuster_value": 10},
        },
    )
    assert {1: 11, 2: 21} in state.combinations()  # no font chosen: priced too
    plan = plan_product(state)
    assert not plan.kept_because
    assert [r.text() for r in plan.rules] == [
        "Gift wrap=Yes on variant MUG-S: price +4.4",
        "Gift wrap=Yes on variant MUG-M: price +4",
    ]
    assert priced_alike(state, plan)
    assert v2migration._after(state, plan).shown({1: 11, 2: 21}).price == Decimal("15.4")


def test_a_named_modifier_left_empty_is_priced_by_rules_that_stop_the_rest() -> None:
    state = gift_mug(
        {
            "conditions": [on(3, 31)],
            "price_adjuster": {"adjuster": "relative", "adjuster_value": 3},
        },
        {
            "conditions": [on(1, 11)],
            "price_adjuster": {"adjuster": "percentage", "adjuster_value": 10},
        },
        {
            "conditions": [on(2, 21)],
            "price_adjuster": {"adjuster": "relative", "adjuster_value": 4},
        },
    )
    plan = plan_product(state)
    assert not plan.kept_because
    assert priced_alike(state, plan)
    # a wrap without a font adds 4; with Arial on an S, (10 + 3) * 1.1 + 4 - 11
    texts = [r.text() for r in plan.rules]
    assert (
        "Gift wrap=Yes and Font=Arial on variant MUG-S: price +7.3, then no further rule" in texts
    )
    assert texts[-1] == "Gift wrap=Yes on variants MUG-S, MUG-M: price +4, then no further rule"


def test_a_rule_that_hides_purchasing_stays_a_rule_that_hides_it() -> None:
    hidden = {
        "conditions": [on(2, 21)],
        "price_adjuster": {"adjuster": "relative", "adjuster_value": 4},
        "is_purchasing_hidden": True,
    }
    plan = plan_product(gift_mug(hidden))
    assert not plan.modifiers  # not the value's adjusters: those cannot hide purchasing
    assert [r.text() for r in plan.rules] == [
        "Gift wrap=Yes on variants MUG-S, MUG-M: price +4, purchasing hidden"
    ]
    assert plan.rules[0].fields()["purchasing_hidden"] is True


def test_a_complex_rule_naming_a_value_the_copied_modifier_lost_is_refused() -> None:
    rule = {
        "conditions": [on(2, 21), on(1, 11)],
        "price_adjuster": {"adjuster": "relative", "adjuster_value": 2},
    }
    [planned] = plan_product(gift_mug(rule)).rules
    assert (
        planned.body(5, {2: {"Yes": 121, "No": 122}})["conditions"][0]["modifier_value_id"] == 121
    )
    with pytest.raises(v2migration.ValueGone) as gone:
        planned.body(5, {2: {"Ja": 121, "Nein": 122}})
    assert str(gone.value).startswith(
        "product 5: modifier 2 'Gift wrap' has no value 'Yes' any more"
    )


def test_a_plan_of_one_says_so_in_the_singular() -> None:
    state = gift_mug(
        {"conditions": [on(1, 11)], "price_adjuster": {"adjuster": "relative", "adjuster_value": 1}}
    )
    state.options[0]["option_values"] = state.options[0]["option_values"][:1]
    state.variants = state.variants[:1]
    lines = "\n".join(plan_product(state).lines())
    assert "options Size (1 value):" in lines
    assert "  1 SKU -> variants" in lines
    assert "  1 rule -> replaced" in lines


async def test_rules_showing_a_migrated_products_adjusters_and_complex_rules_plan_nothing(
    legacy: Emulator,
) -> None:
    from controller.engine import migrate as engine
    from controller.stores import BigCommerceStore, Token

    seed_v2(legacy.db, "legacy", 7)
    async with BigCommerceStore(legacy.url, "legacy", Token(TOKEN)) as store:
        await engine.apply_migration(store, await engine.plan_migration(store, "legacy"))
    async with httpx.AsyncClient(
        base_url=legacy.store_url("legacy"), headers={"X-Auth-Token": TOKEN}
    ) as c:
        sized = next(p for p in (await c.get("/v2/products")).json() if p["sku"] == "V2-000006")
        v3 = f"/v3/catalog/products/{sized['id']}"
        wrap = next(
            m
            for m in (await c.get(f"{v3}/modifiers")).json()["data"]
            if m["display_name"] == "Gift wrap"
        )
        yes = next(v for v in wrap["option_values"] if v["label"] == "Yes")
        [made] = (await c.get(f"{v3}/complex-rules")).json()["data"]
        # the platform shows a modifier value's adjusters, and a complex rule, as V2 rules
        shown = [
            {
                "conditions": [{"product_option_id": wrap["id"], "option_value_id": yes["id"]}],
                "price_adjuster": yes["adjusters"]["price"],
                "weight_adjuster": yes["adjusters"]["weight"],
            },
            {
                "conditions": [
                    {
                        "product_option_id": c["modifier_id"],
                        "option_value_id": c["modifier_value_id"],
                    }
                    if c["modifier_id"]
                    else {"sku_id": c["variant_id"]}
                    for c in made["conditions"]
                ],
                "price_adjuster": made["price_adjuster"],
                "weight_adjuster": made["weight_adjuster"],
            },
        ]
        for rule in shown:
            created = await c.post(f"/v2/products/{sized['id']}/rules", json=rule)
            assert created.status_code == 201, created.text
    async with BigCommerceStore(legacy.url, "legacy", Token(TOKEN)) as store:
        again = await engine.plan_migration(store, "legacy")
    assert [p.state.id for p in again.changes] == []
    assert len([p for p in again.plans if p.state.id == sized["id"]]) == 1
