"""Commerce data as desired state: customer groups in `customer-groups.yaml`, with category
access and discount rules in natural keys, planned, applied, drift-checked and captured against the
emulator over real HTTP."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from controller.catalog.files import load_directory
from controller.catalog.kinds import Kind
from controller.catalog.model import Catalog, CatalogInvalid, PriceList, PriceRecord
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator
from controller.emulator.seed import seed_synthetic
from controller.engine import assess, sync
from controller.engine.apply import PlanRefused
from controller.engine.snapshots import capture_to_directory
from controller.planner import Options
from tests.conftest import PROD_TOKEN

GROUPS = [
    {
        "name": "Wholesale",
        "is_default": False,
        "category_access": {"type": "specific", "categories": ["Footwear/Running", "Footwear"]},
        "discount_rules": [
            {"type": "product", "method": "price", "amount": 7.5, "product": "SHOE-2"},
            {"type": "category", "method": "percent", "amount": 10, "category": "Footwear"},
            {"type": "all", "method": "percent", "amount": 2},
        ],
    },
    {"name": "Retail", "is_default": True, "category_access": {"type": "all"}},
    {"name": "Trade", "discount_rules": [{"type": "price_list", "price_list": "Trade prices"}]},
]
PRICE_LISTS = [
    {
        "name": "Trade prices",
        "active": True,
        "records": [
            {"sku": "SHOE-1", "currency": "EUR", "price": 11},
            {"sku": "SHOE-1", "currency": "USD", "price": 9, "sale_price": 8},
            {"sku": "SHOE-2", "currency": "USD", "price": 12.5},
        ],
    },
    {"name": "Staff", "active": False},
]


def write_catalog(root: Path, groups: Any = GROUPS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "categories.yaml").write_text(
        yaml.safe_dump([{"path": "Footwear"}, {"path": "Footwear/Running"}])
    )
    products = [
        {"sku": f"SHOE-{n}", "name": f"Shoe {n}", "type": "physical", "price": 10, "weight": 1}
        for n in (1, 2)
    ]
    (root / "products.jsonl").write_text("".join(json.dumps(p) + "\n" for p in products))
    (root / "customer-groups.yaml").write_text(yaml.safe_dump(groups))
    (root / "price-lists.yaml").write_text(yaml.safe_dump(PRICE_LISTS))
    return root


async def round_trip(prod: Any, sandbox: Any, source: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Apply `source` to production, capture it, apply that to the sandbox (an empty store) and
    capture it again: the two captures."""
    _, result = await sync(prod, load_directory(source))
    assert result.errors == []
    first = tmp_path / "first"
    await capture_to_directory(prod, first)
    _, result = await sync(sandbox, load_directory(first))
    assert result.errors == []
    second = tmp_path / "second"
    await capture_to_directory(sandbox, second)
    return first, second


async def test_customer_groups_round_trip_between_stores_with_different_ids(
    tmp_path: Path, stores: Any
) -> None:
    prod, sandbox = stores
    first, second = await round_trip(prod, sandbox, write_catalog(tmp_path / "source"), tmp_path)

    written = (second / "customer-groups.yaml").read_text()
    assert written == (first / "customer-groups.yaml").read_text()
    wholesale = next(g for g in yaml.safe_load(written) if g["name"] == "Wholesale")
    assert wholesale["category_access"] == {
        "type": "specific",
        "categories": ["Footwear", "Footwear/Running"],
    }
    assert wholesale["discount_rules"] == [
        {"type": "all", "method": "percent", "amount": 2},
        {"type": "category", "method": "percent", "amount": 10, "category": "Footwear"},
        {"type": "product", "method": "price", "amount": 7.5, "product": "SHOE-2"},
    ]
    assert (second / "price-lists.yaml").read_text() == (first / "price-lists.yaml").read_text()
    captured = [{"records": [], **p} for p in PRICE_LISTS]  # a list without records says so
    assert yaml.safe_load((second / "price-lists.yaml").read_text()) == sorted(
        captured, key=lambda p: str(p["name"])
    )
    trade = next(g for g in yaml.safe_load(written) if g["name"] == "Trade")
    assert trade["discount_rules"] == [{"type": "price_list", "price_list": "Trade prices"}]
    # the same rules name each store's own records
    lists = []
    for store in (prod, sandbox):
        observed = await store.observe({Kind.CUSTOMER_GROUPS})
        group = next(g for g in observed.customer_groups.values() if g.name == "Trade")
        (rule,) = group.fields["discount_rules"]
        names = {p.id: p.name for p in observed.price_lists.values()}
        assert names[rule["price_list_id"]] == "Trade prices"
        lists.append(rule["price_list_id"])
    assert lists[0] != lists[1]
    seen = []
    for store in (prod, sandbox):
        observed = await store.observe({Kind.CUSTOMER_GROUPS})
        group = next(g for g in observed.customer_groups.values() if g.name == "Wholesale")
        product = next(r for r in group.fields["discount_rules"] if r["type"] == "product")
        assert product["product_id"] == observed.products["shoe-2"].id
        seen.append(product["product_id"])
    assert seen[0] != seen[1]
    assessment = await assess(sandbox, load_directory(first), Options(prune=True))
    assert assessment.plan.in_sync
    assert assessment.drift.in_sync


async def test_a_changed_rule_is_drift_and_the_whole_rule_set_is_written_back(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    catalog = load_directory(write_catalog(tmp_path))
    await sync(prod, catalog)
    observed = await prod.observe({Kind.CUSTOMER_GROUPS})
    group = next(g for g in observed.customer_groups.values() if g.name == "Wholesale")
    store = emulator.db.bind("production")
    store.customer_groups.update(
        group.id, {"discount_rules": [{"type": "all", "method": "fixed", "amount": 1}]}
    )
    assessment = await assess(prod, catalog)
    assert assessment.drift.counts["customerGroups"] == {"missing": 0, "extra": 0, "changed": 1}
    (step,) = assessment.plan.steps
    assert (step.kind, step.key, step.fields()) == (
        Kind.CUSTOMER_GROUPS,
        "Wholesale",
        ["discount_rules"],
    )
    _, result = await sync(prod, catalog)
    assert result.errors == []
    rules = store.customer_groups.render(store.customer_groups.doc(group.id))["discount_rules"]
    assert sorted(r["type"] for r in rules) == ["all", "category", "product"]
    assert (await assess(prod, catalog)).drift.in_sync


async def test_a_rule_naming_a_record_no_one_has_is_refused_before_any_write(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    groups = [
        {
            "name": "Wholesale",
            "discount_rules": [
                {"type": "category", "method": "percent", "amount": 5, "category": "Hats"}
            ],
        }
    ]
    catalog = load_directory(write_catalog(tmp_path, groups))
    assessment = await assess(prod, catalog)
    assert assessment.plan.problems == (
        "customer group 'Wholesale' names category 'Hats', which neither the catalog nor the "
        "store has",
    )
    assert emulator.db.bind("production").customer_groups.count() == 0


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            [
                {
                    "name": "A",
                    "discount_rules": [{"type": "all", "method": "percent", "amount": 1}] * 2,
                }
            ],
            "discount_rules: at most one discount rule of type all",
        ),
        (
            [
                {
                    "name": "A",
                    "discount_rules": [{"type": "category", "method": "fixed", "amount": 1}],
                }
            ],
            "discount_rules[0]: a category discount rule has amount, category, method, type "
            "(missing category)",
        ),
        (
            [{"name": "A", "category_access": {"type": "all", "categories": ["Footwear"]}}],
            "category_access.categories: categories are given only with type specific",
        ),
        (
            [
                {
                    "name": "A",
                    "discount_rules": [
                        {"type": "price_list", "price_list": "Trade prices"},
                        {"type": "all", "method": "percent", "amount": 1},
                    ],
                }
            ],
            "discount_rules: a price_list rule must be the only discount rule",
        ),
        (
            [{"name": "A", "is_default": True}, {"name": "B", "is_default": True}],
            "is_default: is_default is true for more than one customer group ('A')",
        ),
    ],
)
def test_invalid_customer_groups_are_refused_with_file_line_and_field(
    tmp_path: Path, groups: Any, message: str
) -> None:
    with pytest.raises(CatalogInvalid) as raised:
        load_directory(write_catalog(tmp_path, groups))
    assert [str(p).split(": ", 1)[1] for p in raised.value.problems] == [message]
    (problem,) = raised.value.problems
    assert problem.file == str(tmp_path / "customer-groups.yaml")
    assert problem.line is not None


async def test_the_emulator_enforces_the_documented_rules_of_customer_groups(
    emulator: Emulator,
) -> None:
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production"), headers={"X-Auth-Token": PROD_TOKEN}
    ) as client:
        await _refusals(client)


async def _refusals(prod: httpx.AsyncClient) -> None:
    path = "/v2/customer_groups"
    created = await prod.post(path, json={"name": "Wholesale"})
    assert created.status_code == 200
    assert (await prod.post(path, json={"name": "Wholesale"})).status_code == 409
    assert (await prod.post(path, json={"is_default": True})).status_code == 422
    missing = {"type": "category", "method": "fixed", "amount": 1, "category_id": 999999}
    assert (
        await prod.post(path, json={"name": "B", "discount_rules": [missing]})
    ).status_code == 422
    with_list = [
        {"type": "price_list", "price_list_id": 1},
        {"type": "all", "method": "fixed", "amount": 1},
    ]
    assert (
        await prod.post(path, json={"name": "B", "discount_rules": with_list})
    ).status_code == 422
    one = f"{path}/{created.json()['id']}"
    assert (await prod.get(one, params={"name": "x"})).status_code == 400
    assert (await prod.get(f"{path}/999999")).status_code == 404


async def test_price_list_records_are_written_at_the_documented_maxima(
    stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    seed_synthetic(emulator.db, "production", 400)  # 1,200 variants
    store = to_catalog(await prod.observe())  # its products stay as they are
    variant_skus = [v.sku for p in store.products.values() for v in p.variants or ()]
    assert len(variant_skus) == 1200

    def catalog(price: float, count: int) -> Catalog:
        records = tuple(PriceRecord(sku, "USD", {"price": price}) for sku in variant_skus[:count])
        return replace(store, price_lists={"Trade": PriceList("Trade", {"active": True}, records)})

    async def writes(desired: Catalog, options: Options) -> int:
        """The requests the apply sent (the reads of the assessment aside)."""
        _, result = await sync(prod, desired, options)
        assert result.errors == []
        return result.requests

    # created with the list: 1 POST, then upserts of 1,000 and 200
    assert await writes(catalog(5, 1200), Options()) == 3
    # every price changed: 2 upserts
    assert await writes(catalog(6, 1200), Options()) == 2
    # 300 removed: SKUs deleted 250 a request
    assert await writes(catalog(6, 900), Options(prune=True, allow_mass_delete=True)) == 2
    assert emulator.db.one("SELECT COUNT(*) FROM price_records WHERE store=?", "production") == 900
    assert (await assess(prod, catalog(6, 900))).plan.in_sync
    assert len((await prod.observe()).products) == 400  # the products were never touched


async def test_a_deleted_variant_or_price_list_takes_its_price_records_with_it(
    emulator: Emulator,
) -> None:
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as client:
        variants = [
            {
                "sku": f"CAP-{c}",
                "price": 5,
                "option_values": [{"option_display_name": "Colour", "label": c}],
            }
            for c in ("Red", "Blue")
        ]
        product = await client.post(
            "/catalog/products",
            json={"name": "Cap", "type": "physical", "price": 5, "weight": 1, "variants": variants},
        )
        assert product.status_code == 200, product.text
        product_id = product.json()["data"]["id"]
        lists = [
            (await client.post("/pricelists", json={"name": n})).json()["data"]["id"] for n in "AB"
        ]
        for list_id in lists:
            records = [{"sku": v["sku"], "currency": "USD", "price": 4} for v in variants]
            assert (
                await client.put(f"/pricelists/{list_id}/records", json=records)
            ).status_code == 200

        async def skus(list_id: int) -> list[str]:
            answer = await client.get(f"/pricelists/{list_id}/records", params={"include": "sku"})
            return sorted(r["sku"] for r in answer.json()["data"])

        red = next(
            v["id"]
            for v in (await client.get(f"/catalog/products/{product_id}/variants")).json()["data"]
            if v["sku"] == "CAP-Red"
        )
        assert (
            await client.delete(f"/catalog/products/{product_id}/variants/{red}")
        ).status_code == 204
        assert await skus(lists[0]) == await skus(lists[1]) == ["CAP-Blue"]
        assert (await client.delete(f"/catalog/products?id:in={product_id}")).status_code == 204
        assert await skus(lists[1]) == []
        assert (await client.delete(f"/pricelists/{lists[0]}")).status_code == 204
    assert emulator.db.one("SELECT COUNT(*) FROM price_records WHERE store=?", "production") == 0


ASSIGNMENTS = [
    {"price_list": "Trade prices", "customer_group": "Trade"},
    {"price_list": "Staff", "customer_group": "Retail"},
    {"price_list": "Trade prices"},  # every shopper on the store's default channel
]


async def test_price_list_assignments_round_trip_by_names(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, sandbox = stores
    source = write_catalog(tmp_path / "source")
    (source / "price-list-assignments.yaml").write_text(yaml.safe_dump(ASSIGNMENTS))
    first, second = await round_trip(prod, sandbox, source, tmp_path)
    written = (second / "price-list-assignments.yaml").read_text()
    assert written == (first / "price-list-assignments.yaml").read_text()
    assert sorted(map(str, yaml.safe_load(written))) == sorted(map(str, ASSIGNMENTS))
    seen = []
    for store in (prod, sandbox):
        observed = await store.observe({Kind.PRICE_LIST_ASSIGNMENTS})
        lists = {p.name: p.id for p in observed.price_lists.values()}
        groups = {g.name: g.id for g in observed.customer_groups.values()}
        found = {
            (a.price_list_id, a.customer_group_id) for a in observed.price_list_assignments.values()
        }
        assert found == {
            (lists["Trade prices"], groups["Trade"]),
            (lists["Staff"], groups["Retail"]),
            (lists["Trade prices"], 0),
        }
        seen.append(found)
    assert seen[0] != seen[1]
    # dropping one deletes it (one request); the others stay
    (source / "price-list-assignments.yaml").write_text(yaml.safe_dump(ASSIGNMENTS[:2]))
    _, result = await sync(
        prod, load_directory(source), Options(prune=True, allow_mass_delete=True)
    )
    assert result.errors == []
    assert result.requests == 1
    assert (
        emulator.db.one("SELECT COUNT(*) FROM price_list_assignments WHERE store=?", "production")
        == 2
    )


async def test_an_assignment_naming_a_group_no_one_has_is_refused_before_any_write(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    source = write_catalog(tmp_path)
    (source / "price-list-assignments.yaml").write_text(
        yaml.safe_dump([{"price_list": "Trade prices", "customer_group": "Nobody"}])
    )
    assessment = await assess(prod, load_directory(source))
    assert assessment.plan.problems == (
        "price list assignment 'Trade prices | Nobody | default' names customer group 'Nobody', which "
        "neither the catalog nor the store has",
    )
    with pytest.raises(PlanRefused, match="Nobody"):
        await sync(prod, load_directory(source))
    for table in ("price_lists", "customer_groups", "products", "price_list_assignments"):
        assert emulator.db.one(f"SELECT COUNT(*) FROM {table} WHERE store=?", "production") == 0


TIERS = [
    {"quantity_min": 2, "quantity_max": 9, "type": "percent", "amount": 5},
    {"quantity_min": 10, "type": "fixed", "amount": 7.5},  # no maximum
]


def with_tiers(tiers: Any = TIERS) -> list[dict[str, Any]]:
    """`PRICE_LISTS` with bulk pricing tiers on the Trade list's USD price of SHOE-1."""
    trade, staff = PRICE_LISTS
    records = [dict(r) for r in trade["records"]]  # type: ignore[attr-defined]
    records[1]["bulk_pricing_tiers"] = tiers
    return [{**trade, "records": records}, staff]


async def test_price_records_carry_their_bulk_pricing_tiers_between_stores_and_as_drift(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, sandbox = stores
    source = write_catalog(tmp_path / "source")
    (source / "price-lists.yaml").write_text(yaml.safe_dump(with_tiers(list(reversed(TIERS)))))
    first, second = await round_trip(prod, sandbox, source, tmp_path)
    written = (second / "price-lists.yaml").read_text()
    assert written == (first / "price-lists.yaml").read_text()
    records = {(r["sku"], r["currency"]): r for r in yaml.safe_load(written)[1]["records"]}
    assert records["SHOE-1", "USD"]["bulk_pricing_tiers"] == TIERS  # by the quantity they start at
    assert "bulk_pricing_tiers" not in records["SHOE-1", "EUR"]  # none
    assert (await assess(sandbox, load_directory(first))).plan.in_sync

    # changed in the store: drift on that record, its tiers written back whole
    shop = emulator.db.bind("production")
    (trade,) = (
        p
        for p in (await prod.observe({Kind.PRICE_LISTS})).price_lists.values()
        if p.name == "Trade prices"
    )
    changed = [{"sku": "SHOE-1", "currency": "USD", "bulk_pricing_tiers": TIERS[:1]}]
    shop.price_lists.write_records(trade.id, changed, upsert=True)
    catalog = load_directory(first)
    assessment = await assess(prod, catalog)
    assert assessment.drift.counts["priceRecords"] == {"missing": 0, "extra": 0, "changed": 1}
    (step,) = assessment.plan.steps
    assert (step.kind, step.key, step.fields()) == (
        Kind.PRICE_RECORDS,
        "Trade prices#USD:SHOE-1",
        ["bulk_pricing_tiers"],
    )
    _, result = await sync(prod, catalog)
    assert (result.errors, result.requests) == ([], 1)
    assert (await assess(prod, catalog)).drift.in_sync

    # [] manages none: they are removed
    (source / "price-lists.yaml").write_text(yaml.safe_dump(with_tiers([])))
    _, result = await sync(prod, load_directory(source))
    assert result.errors == []
    observed = await prod.observe({Kind.PRICE_LISTS})
    (trade,) = (p for p in observed.price_lists.values() if p.name == "Trade prices")
    assert {r.key: r.fields["bulk_pricing_tiers"] for r in trade.records} == {
        "EUR:SHOE-1": [],
        "USD:SHOE-1": [],
        "USD:SHOE-2": [],
    }


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        (
            [TIERS[0], {**TIERS[1], "quantity_min": 9}],
            "records[1].bulk_pricing_tiers: bulk pricing tiers from 2 and 9 overlap",
        ),
        (
            [{**TIERS[0], "type": "half"}],
            "records[1].bulk_pricing_tiers[0].type: type must be one of price, percent, fixed",
        ),
        (
            [{"quantity_min": 2, "type": "fixed"}],
            "records[1].bulk_pricing_tiers[0]: a tier is {quantity_min, quantity_max, type, "
            "amount}",
        ),
        (
            [{**TIERS[0], "quantity_max": 1}],
            "records[1].bulk_pricing_tiers[0].quantity_max: quantity_max is below quantity_min "
            "(none: no maximum)",
        ),
    ],
)
def test_invalid_bulk_pricing_tiers_are_refused_with_file_line_and_field(
    tmp_path: Path, tiers: Any, message: str
) -> None:
    root = write_catalog(tmp_path)
    (root / "price-lists.yaml").write_text(yaml.safe_dump(with_tiers(tiers)))
    with pytest.raises(CatalogInvalid) as raised:
        load_directory(root)
    (problem,) = raised.value.problems
    assert str(problem).split(": ", 1)[1] == message
    assert problem.file == str(root / "price-lists.yaml")
    assert problem.line is not None
