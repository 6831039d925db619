"""Promotions as desired state: `promotions.yaml` by name, their rules, conditions and actions
naming products by SKU, categories by path, brands by name and customer groups by name, and their
coupon codes; planned, applied, drift-checked and captured against the emulator over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from controller.catalog.files import load_directory
from controller.catalog.kinds import Kind
from controller.catalog.model import CatalogInvalid
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.engine.apply import PlanRefused
from controller.planner import Options
from tests.conftest import PROD_TOKEN
from tests.test_commerce import round_trip

RUNNING = {
    "name": "Running 10% off",
    "redemption_type": "AUTOMATIC",
    "display_name": "10% off running shoes",
    "customer": {"groups": ["VIP"]},
    "rules": [
        {
            "action": {
                "cart_items": {
                    "discount": {"percentage_amount": 10},
                    "items": {
                        "or": [{"categories": ["Footwear/Running"]}, {"products": ["SHOE-2"]}]
                    },
                }
            },
            "condition": {"cart": {"items": {"brands": ["Acme"]}, "minimum_quantity": 2}},
        },
        {"action": {"gift_item": {"product": "SHOE-1", "quantity": 1}}, "stop": True},
    ],
}
TEN_OFF = {
    "name": "Ten off",
    "redemption_type": "COUPON",
    "can_be_used_with_other_promotions": False,
    "start_date": "2026-01-01T00:00:00+00:00",
    "customer": {"excluded_groups": ["Wholesale"]},
    "rules": [
        {
            "action": {"cart_value": {"discount": {"fixed_amount": 10}}},
            "condition": {"cart": {"minimum_spend": "100.00"}},
        }
    ],
    "codes": [
        {"code": "WELCOME 10", "max_uses_per_customer": 1},
        {"code": "TEN-OFF", "max_uses": 100},
    ],
}


def write_catalog(root: Path, promotions: Any = (RUNNING, TEN_OFF)) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "categories.yaml").write_text(
        yaml.safe_dump([{"path": "Footwear"}, {"path": "Footwear/Running"}])
    )
    (root / "brands.yaml").write_text(yaml.safe_dump([{"name": "Acme"}]))
    products = [
        {
            "sku": f"SHOE-{n}",
            "name": f"Shoe {n}",
            "type": "physical",
            "price": 10,
            "weight": 1,
            "brand": "Acme",
            "categories": ["Footwear/Running"],
        }
        for n in (1, 2)
    ]
    (root / "products.jsonl").write_text("".join(json.dumps(p) + "\n" for p in products))
    (root / "customer-groups.yaml").write_text(
        yaml.safe_dump([{"name": "VIP"}, {"name": "Wholesale"}])
    )
    (root / "promotions.yaml").write_text(yaml.safe_dump(list(promotions)))
    return root


async def test_promotions_round_trip_between_stores_with_different_ids(
    tmp_path: Path, stores: Any
) -> None:
    prod, sandbox = stores
    first, second = await round_trip(prod, sandbox, write_catalog(tmp_path / "source"), tmp_path)

    written = (second / "promotions.yaml").read_text()
    assert written == (first / "promotions.yaml").read_text()
    captured = {p["name"]: p for p in yaml.safe_load(written)}
    running = captured["Running 10% off"]
    assert running["customer"] == {"groups": ["VIP"], "minimum_order_count": 0}
    assert running["rules"][0]["action"]["cart_items"] == {
        "discount": {"percentage_amount": "10"},
        "items": {"or": [{"categories": ["Footwear/Running"]}, {"products": ["SHOE-2"]}]},
    }
    assert running["rules"][0]["condition"]["cart"]["items"] == {"brands": ["Acme"]}
    assert running["rules"][1]["action"] == {"gift_item": {"product": "SHOE-1", "quantity": 1}}
    ten = captured["Ten off"]
    assert ten["rules"][0]["condition"] == {"cart": {"minimum_spend": "100"}}
    assert ten["customer"]["excluded_groups"] == ["Wholesale"]
    assert ten["codes"] == [
        {"code": "TEN-OFF", "max_uses": 100, "max_uses_per_customer": 0},
        {"code": "WELCOME 10", "max_uses": 0, "max_uses_per_customer": 1},
    ]
    # each store's promotion names that store's own records
    named = []
    for store in (prod, sandbox):
        observed = await store.observe({Kind.PROMOTIONS})
        promotion = next(p for p in observed.promotions.values() if p.name == "Running 10% off")
        rule = promotion.fields["rules"][0]
        ids = (
            rule["action"]["cart_items"]["items"]["or"][1]["products"][0],
            rule["action"]["cart_items"]["items"]["or"][0]["categories"][0],
            rule["condition"]["cart"]["items"]["brands"][0],
            promotion.fields["customer"]["group_ids"][0],
        )
        groups = {g.name: g.id for g in observed.customer_groups.values()}
        assert ids == (
            observed.products["shoe-2"].id,
            next(i for i, p in observed.category_paths().items() if p == "Footwear/Running"),
            next(b.id for b in observed.brands.values() if b.name == "Acme"),
            groups["VIP"],
        )
        named.append(ids)
    assert all(a != b for a, b in zip(*named, strict=True))
    assessment = await assess(sandbox, load_directory(first), Options(prune=True))
    assert assessment.plan.in_sync
    assert assessment.drift.in_sync


async def test_a_changed_promotion_is_drift_written_back_and_a_dropped_code_deleted(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    catalog = load_directory(write_catalog(tmp_path))
    await sync(prod, catalog)
    store = emulator.db.bind("production")
    observed = await prod.observe({Kind.PROMOTIONS})
    running = next(p for p in observed.promotions.values() if p.name == "Running 10% off")
    doc = store.promotions.doc(running.id)
    doc["rules"][0]["action"]["cart_items"]["discount"] = {"percentage_amount": "50"}
    store.promotions.update(running.id, {"rules": doc["rules"]})
    assessment = await assess(prod, catalog)
    assert assessment.drift.counts["promotions"] == {"missing": 0, "extra": 0, "changed": 1}
    (step,) = assessment.plan.steps
    assert (step.kind, step.key, step.fields()) == (Kind.PROMOTIONS, "Running 10% off", ["rules"])
    _, result = await sync(prod, catalog)
    assert result.errors == []
    rules = store.promotions.doc(running.id)["rules"]
    assert rules[0]["action"]["cart_items"]["discount"] == {"percentage_amount": "10"}

    fewer = {**TEN_OFF, "codes": [{"code": "TEN-OFF", "max_uses": 100}]}
    smaller = load_directory(write_catalog(tmp_path, (RUNNING, fewer)))
    assessment = await assess(prod, smaller, Options(prune=True, allow_mass_delete=True))
    assert [(s.kind, s.action, s.key) for s in assessment.plan.steps] == [
        (Kind.COUPON_CODES, "delete", "Ten off#WELCOME 10")
    ]
    _, result = await sync(prod, smaller, Options(prune=True, allow_mass_delete=True))
    assert result.errors == []
    assert result.requests == 1
    assert [d["code"] for d in store.promotions.by_code("WELCOME 10")] == []
    assert (await assess(prod, smaller, Options(prune=True))).plan.in_sync


async def test_a_promotion_naming_a_record_no_one_has_is_refused_before_any_write(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    hats = {
        "name": "Hats",
        "redemption_type": "AUTOMATIC",
        "customer": {"groups": ["Milliners"]},
        "rules": [{"action": {"gift_item": {"product": "HAT-1", "quantity": 1}}}],
    }
    catalog = load_directory(write_catalog(tmp_path, [hats]))
    assessment = await assess(prod, catalog)
    assert assessment.plan.problems == (
        "promotion 'Hats' names product 'HAT-1', which neither the catalog nor the store has",
        "promotion 'Hats' names customer group 'Milliners', which neither the catalog nor the "
        "store has",
    )
    with pytest.raises(PlanRefused, match="HAT-1"):
        await sync(prod, catalog)
    for table in ("promotions", "products", "customer_groups"):
        assert emulator.db.one(f"SELECT COUNT(*) FROM {table} WHERE store=?", "production") == 0


_RULE = [{"action": {"cart_value": {"discount": {"fixed_amount": "1"}}}}]


@pytest.mark.parametrize(
    ("promotion", "message"),
    [
        (
            {
                "name": "A",
                "redemption_type": "AUTOMATIC",
                "rules": [{"action": {"cart_items": {"items": {"variants": [1]}}}}],
            },
            "rules[0].action.cart_items.items.variants: variants are not named in promotions yet",
        ),
        (
            {
                "name": "A",
                "redemption_type": "AUTOMATIC",
                "rules": [{"action": {"gift_item": {"product_id": 7, "quantity": 1}}}],
            },
            "rules[0].action.gift_item.product_id: a gift item names its product by SKU (product)",
        ),
        (
            {"name": "A", "redemption_type": "AUTOMATIC", "rules": _RULE, "codes": [{"code": "X"}]},
            "codes: only a COUPON promotion has codes",
        ),
        (
            {
                "name": "A",
                "redemption_type": "COUPON",
                "rules": _RULE,
                "coupon_overrides_other_promotions": True,
            },
            "coupon_overrides_other_promotions: coupon_overrides_other_promotions is set only "
            "with can_be_used_with_other_promotions false",
        ),
        (
            {"name": "A", "redemption_type": "COUPON", "rules": _RULE, "codes": [{"code": "50%"}]},
            "codes[0].code: a code is letters, digits, spaces, _ and - (at most 50)",
        ),
        (
            {
                "name": "A",
                "redemption_type": "AUTOMATIC",
                "rules": _RULE,
                "customer": {"segments": {"id": ["x"]}},
            },
            "customer: customer has excluded_groups, groups, minimum_order_count (not segments: "
            "customer segments are not managed)",
        ),
        ({"name": "A", "rules": _RULE}, "redemption_type: redemption_type is required"),
    ],
)
def test_invalid_promotions_are_refused_with_file_line_and_field(
    tmp_path: Path, promotion: Any, message: str
) -> None:
    with pytest.raises(CatalogInvalid) as raised:
        load_directory(write_catalog(tmp_path, [promotion]))
    assert [str(p).split(": ", 1)[1] for p in raised.value.problems] == [message]
    (problem,) = raised.value.problems
    assert problem.file == str(tmp_path / "promotions.yaml")
    assert problem.line is not None


async def test_the_emulator_enforces_the_documented_rules_of_promotions(
    emulator: Emulator,
) -> None:
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production"), headers={"X-Auth-Token": PROD_TOKEN}
    ) as c:
        path = "/v3/promotions"
        body = {"name": "Ten off", "redemption_type": "COUPON", "rules": _RULE}
        coupon = (await c.post(path, json=body)).json()["data"]["id"]
        auto = {**body, "name": "Auto", "redemption_type": "AUTOMATIC"}
        automatic = (await c.post(path, json=auto)).json()["data"]["id"]
        one = f"{path}/{coupon}"
        changed = await c.put(one, json={"redemption_type": "AUTOMATIC"})
        assert changed.status_code == 422
        assert changed.json()["errors"][0]["status"] == 422
        assert (await c.put(one, json={"coupon_type": "BULK"})).status_code == 422
        assert (await c.post(f"{one}/codes", json={"code": "TEN"})).status_code == 201
        assert (await c.post(f"{one}/codes", json={"code": "TEN"})).status_code == 409
        assert (await c.post(f"{path}/{automatic}/codes", json={"code": "A"})).status_code == 422
        assert (await c.post(f"{one}/codes", json={"code": "x" * 51})).status_code == 422
        for cursor in ("before", "after"):
            refused = await c.get(f"{one}/codes", params={cursor: "abc"})
            assert refused.status_code == 400
            assert cursor in refused.text
        combined = {**body, "name": "B", "coupon_overrides_other_promotions": True}
        assert (await c.post(path, json=combined)).status_code == 422
        both = {"group_ids": [0], "excluded_group_ids": [0]}
        assert (await c.post(path, json={**auto, "name": "C", "customer": both})).status_code == 422
        too_many = ",".join(str(i) for i in range(1, 52))
        assert (await c.delete(path, params={"id:in": too_many})).status_code == 422
        refused = await c.delete(path, params={"id:in": f"{coupon},{automatic}"})
        assert refused.status_code == 422
        assert refused.json()["meta"] == {"total": 2, "success": 1, "failed": 1}
        assert (await c.get(one)).status_code == 200  # it still has a code
        assert (await c.delete(one)).status_code == 204  # with its codes
        assert (await c.get("/v3/promotions/codes", params={"code": "TEN"})).json()["data"] == []
