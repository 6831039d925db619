"""The emulator's V2 catalog over the same store data as V3, with the couplings BigCommerce
documents (V2-versus-V3 page): a V2 product is a V3 product, an option set attached to a V3
product removes its variants, V2 SKU rules override variant prices, a V3 variant's own values show
as V2 rules, and a V3 write to an option of a shared option set copies the set to the product."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from controller.emulator import Emulator
from tests.conftest import PROD_TOKEN


@pytest.fixture
async def c(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production"), headers={"X-Auth-Token": PROD_TOKEN}
    ) as client:
        yield client


async def ok(response: Any, status: int = 200) -> Any:
    answer = await response
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


async def shirt_set(c: httpx.AsyncClient) -> tuple[int, dict[str, int]]:
    """An option set "Shirts" with a Size option of S, M, L: (set id, value id by label)."""
    size = await ok(c.post("/v2/options", json={"name": "Size", "type": "RT"}), 201)
    values = {}
    for label in ("S", "M", "L"):
        value = await ok(
            c.post(f"/v2/options/{size['id']}/values", json={"label": label, "value": label}), 201
        )
        values[label] = value["id"]
    shirts = await ok(c.post("/v2/option_sets", json={"name": "Shirts"}), 201)
    await ok(c.post(f"/v2/option_sets/{shirts['id']}/options", json={"option_id": size["id"]}), 201)
    return shirts["id"], values


async def v2_product(c: httpx.AsyncClient, name: str, set_id: int | None = None) -> int:
    category = await ok(c.post("/v2/categories", json={"name": f"{name} category"}), 201)
    body = {
        "name": name,
        "type": "physical",
        "price": "20.00",
        "weight": "1.5",
        "categories": [category["id"]],
        "availability": "available",
        "option_set_id": set_id,
    }
    return int((await ok(c.post("/v2/products", json=body), 201))["id"])


async def with_skus(c: httpx.AsyncClient, pid: int, values: dict[str, int]) -> dict[str, int]:
    """A SKU per size: SKU id by label."""
    option = (await ok(c.get(f"/v2/products/{pid}/options")))[0]["id"]
    skus = {}
    for label, value in values.items():
        choice = [{"product_option_id": option, "option_value_id": value}]
        sku = await ok(
            c.post(f"/v2/products/{pid}/skus", json={"sku": f"P{pid}-{label}", "options": choice}),
            201,
        )
        skus[label] = sku["id"]
    return skus


async def add_rule(
    c: httpx.AsyncClient, pid: int, condition: dict[str, Any], price: tuple[str, float], **more: Any
) -> None:
    """A rule of one condition with a price adjuster (and any other fields)."""
    adjuster = {"adjuster": price[0], "adjuster_value": price[1]}
    body = {"conditions": [condition], "price_adjuster": adjuster, **more}
    await ok(c.post(f"/v2/products/{pid}/rules", json=body), 201)


async def test_a_product_created_in_v2_is_a_v3_product(c: httpx.AsyncClient) -> None:
    pid = await v2_product(c, "Legacy Mug")
    await ok(c.put(f"/v2/products/{pid}", json={"sku": "MUG-1", "meta_keywords": "mug,cup"}))
    v3 = (await ok(c.get(f"/v3/catalog/products/{pid}", params={"include": "variants"})))["data"]
    assert (v3["name"], v3["price"], v3["weight"], v3["sku"]) == ("Legacy Mug", 20.0, 1.5, "MUG-1")
    assert v3["meta_keywords"] == ["mug", "cup"]
    assert v3["is_visible"] is False  # documented: a V2 product is hidden unless asked
    assert [v["sku"] for v in v3["variants"]] == ["MUG-1"]
    v2 = await ok(c.get(f"/v2/products/{pid}"))
    assert (v2["price"], v2["weight"], v2["date_created"][-5:]) == ("20.0000", "1.5000", "+0000")
    assert await ok(c.get("/v2/products/count", params={"sku": "mug-1"})) == {"count": 1}


async def test_attaching_an_option_set_to_a_v3_product_removes_its_variants(
    c: httpx.AsyncClient,
) -> None:
    set_id, values = await shirt_set(c)
    body = {
        "name": "Modern Tee",
        "type": "physical",
        "price": 15,
        "weight": 1,
        "variants": [
            {"sku": "MT-RED", "option_values": [{"option_display_name": "Colour", "label": "Red"}]},
            {
                "sku": "MT-BLUE",
                "option_values": [{"option_display_name": "Colour", "label": "Blue"}],
            },
        ],
    }
    pid = (await ok(c.post("/v3/catalog/products", json=body)))["data"]["id"]
    await ok(c.put(f"/v2/products/{pid}", json={"option_set_id": set_id}))
    variants = (await ok(c.get(f"/v3/catalog/products/{pid}/variants")))["data"]
    assert [v["option_values"] for v in variants] == [[]]  # only the base variant is left
    options = (await ok(c.get(f"/v3/catalog/products/{pid}/options")))["data"]
    assert [(o["display_name"], [v["id"] for v in o["option_values"]]) for o in options] == [
        ("Size", list(values.values()))
    ]
    skus = await with_skus(c, pid, values)
    assert (await ok(c.get(f"/v3/catalog/products/{pid}")))["data"]["option_set_id"] == set_id
    await ok(c.put(f"/v2/products/{pid}", json={"option_set_id": None}))
    assert await ok(c.get(f"/v2/products/{pid}/skus")) == []
    assert (await c.get(f"/v3/catalog/variants/{skus['S']}")).status_code == 404
    assert "option_set_id" not in (await ok(c.get(f"/v3/catalog/products/{pid}")))["data"]


async def test_v2_rules_set_what_a_shopper_pays_and_sku_rules_override_variant_prices(
    c: httpx.AsyncClient,
) -> None:
    set_id, values = await shirt_set(c)
    pid = await v2_product(c, "Legacy Tee", set_id)
    skus = await with_skus(c, pid, values)
    option = (await ok(c.get(f"/v2/products/{pid}/options")))[0]["id"]
    large = {"product_option_id": option, "option_value_id": values["L"], "sku_id": None}
    await add_rule(
        c,
        pid,
        large,
        ("relative", 5),
        weight_adjuster={"adjuster": "relative", "adjuster_value": 0.25},
    )
    await ok(c.put(f"/v3/catalog/products/{pid}/variants/{skus['M']}", json={"price": 30}))
    sku_rule = {"product_option_id": None, "option_value_id": None, "sku_id": skus["M"]}
    await add_rule(c, pid, sku_rule, ("absolute", 27))
    shown = {
        s["sku"]: (s["adjusted_price"], s["adjusted_weight"])
        for s in await ok(c.get(f"/v2/products/{pid}/skus"))
    }
    assert shown == {
        f"P{pid}-S": ("20.0000", "1.5000"),
        f"P{pid}-M": ("27.0000", "1.5000"),  # the SKU rule wins over the variant's own 30
        f"P{pid}-L": ("25.0000", "1.7500"),
    }
    variants = (await ok(c.get(f"/v3/catalog/products/{pid}/variants")))["data"]
    assert {v["sku"]: v["calculated_price"] for v in variants} == {
        f"P{pid}-S": 20.0,
        f"P{pid}-M": 27.0,
        f"P{pid}-L": 25.0,
    }


async def test_a_v3_variants_own_values_show_as_a_v2_rule_shared_both_ways(
    c: httpx.AsyncClient,
) -> None:
    body = {
        "name": "Modern Hoodie",
        "type": "physical",
        "price": 40,
        "weight": 2,
        "variants": [
            {
                "sku": "MH-S",
                "price": 38,
                "option_values": [{"option_display_name": "Size", "label": "S"}],
            },
            {"sku": "MH-L", "option_values": [{"option_display_name": "Size", "label": "L"}]},
        ],
    }
    product = (await ok(c.post("/v3/catalog/products", json=body)))["data"]
    small = next(v for v in product["variants"] if v["sku"] == "MH-S")
    rules = await ok(c.get(f"/v2/products/{product['id']}/rules"))
    assert [(r["id"], r["price_adjuster"], r["conditions"]) for r in rules] == [
        (
            small["id"],
            {"adjuster": "absolute", "adjuster_value": "38.0000"},
            [{"product_option_id": None, "option_value_id": None, "sku_id": small["id"]}],
        )
    ]
    await ok(
        c.put(
            f"/v2/products/{product['id']}/rules/{small['id']}",
            json={"price_adjuster": {"adjuster": "absolute", "adjuster_value": 36}},
        )
    )
    variant = await ok(c.get(f"/v3/catalog/products/{product['id']}/variants/{small['id']}"))
    assert variant["data"]["price"] == 36
    await ok(c.delete(f"/v2/products/{product['id']}/rules/{small['id']}"), 204)
    variant = await ok(c.get(f"/v3/catalog/products/{product['id']}/variants/{small['id']}"))
    assert "price" not in variant["data"]
    assert variant["data"]["calculated_price"] == 40
    assert await ok(c.get(f"/v2/products/{product['id']}/rules")) == []


async def test_a_v3_option_write_copies_a_shared_option_set_to_the_product(
    c: httpx.AsyncClient,
) -> None:
    set_id, values = await shirt_set(c)
    first = await v2_product(c, "Tee One", set_id)
    second = await v2_product(c, "Tee Two", set_id)
    skus = await with_skus(c, first, values)
    option = (await ok(c.get(f"/v3/catalog/products/{first}/options")))["data"][0]
    option_value = {
        "product_option_id": option["id"],
        "option_value_id": values["L"],
        "sku_id": None,
    }
    await add_rule(c, first, option_value, ("relative", 5))
    renamed = await ok(
        c.put(
            f"/v3/catalog/products/{first}/options/{option['id']}",
            json={"option_values": [{"id": values["S"], "label": "Small"}]},
        )
    )
    assert renamed["data"]["id"] == option["id"]  # the option id stays, its value ids change
    labels = {v["label"]: v["id"] for v in renamed["data"]["option_values"]}
    assert set(labels) == {"Small", "M", "L"}
    assert not set(labels.values()) & set(values.values())
    custom = (await ok(c.get(f"/v2/products/{first}")))["option_set_id"]
    assert custom != set_id
    assert (await ok(c.get(f"/v2/option_sets/{custom}")))["product_id"] == first
    copy = (await ok(c.get(f"/v2/option_sets/{custom}/options")))[0]
    assert [v["label"] for v in copy["values"]] == ["Small", "M", "L"]
    shared = (await ok(c.get(f"/v2/option_sets/{set_id}/options")))[0]
    assert [v["label"] for v in shared["values"]] == ["S", "M", "L"]
    assert (await ok(c.get(f"/v2/products/{second}")))["option_set_id"] == set_id
    skus_now = {s["id"]: s for s in await ok(c.get(f"/v2/products/{first}/skus"))}
    assert set(skus_now) == set(skus.values())  # the SKUs stay, on the new value ids
    assert skus_now[skus["L"]]["options"][0]["option_value_id"] == labels["L"]
    assert skus_now[skus["L"]]["adjusted_price"] == "25.0000"  # the rule followed too


async def test_a_value_added_to_a_shared_option_reaches_every_product_of_the_set(
    c: httpx.AsyncClient,
) -> None:
    set_id, _ = await shirt_set(c)
    products = [await v2_product(c, f"Tee {n}", set_id) for n in range(3)]
    size = (await ok(c.get(f"/v2/option_sets/{set_id}/options")))[0]["option_id"]
    xl = await ok(c.post(f"/v2/options/{size}/values", json={"label": "XL", "value": "XL"}), 201)
    for pid in products:
        options = (await ok(c.get(f"/v3/catalog/products/{pid}/options")))["data"]
        assert xl["id"] in [v["id"] for v in options[0]["option_values"]]


async def test_v2_errors_are_lists_of_status_and_message_and_unknown_parameters_are_refused(
    c: httpx.AsyncClient,
) -> None:
    missing = await c.get("/v2/products/999999")
    assert missing.status_code == 404
    assert missing.json() == [{"status": 404, "message": "The product was not found."}]
    unknown = await c.get("/v2/products", params={"colour": "red"})
    assert unknown.status_code == 400
    assert "colour" in unknown.json()[0]["message"]
    refused = await c.get("/v2/products", params={"min_date_last_imported": "2020-01-01"})
    assert refused.status_code == 400
    assert "not supported" in refused.json()[0]["message"]
    v3 = await c.get("/v3/catalog/products/999999")
    assert v3.json()["status"] == 404  # V3 keeps its own shape


async def test_a_seeded_older_store_shares_option_sets_and_prices_through_rules(
    emulator: Emulator, c: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=emulator.url + "/__emulator") as admin:
        seeded = await admin.post("/stores/production/seed", json={"products": 30, "v2": True})
        assert seeded.status_code == 200
    products = await ok(c.get("/v2/products", params={"limit": 250}))
    by_set: dict[int | None, int] = {}
    for product in products:
        by_set[product["option_set_id"]] = by_set.get(product["option_set_id"], 0) + 1
    assert sorted(by_set.values()) == [3, 9, 9, 9]  # three shared sets, every tenth without one
    tee = next(p for p in products if p["option_set_id"] is not None)
    skus = await ok(c.get(f"/v2/products/{tee['id']}/skus", params={"limit": 250}))
    assert len(skus) == 12  # a SKU for every size and colour
    assert all(s["sku"].startswith(tee["sku"] + "-") for s in skus)
    rules = await ok(c.get(f"/v2/products/{tee['id']}/rules"))
    kinds = {r["price_adjuster"]["adjuster"] for r in rules if r["price_adjuster"]}
    assert {"relative", "percentage", "absolute"} <= kinds
    variants = (await ok(c.get(f"/v3/catalog/products/{tee['id']}/variants")))["data"]
    assert {v["sku"] for v in variants} == {s["sku"] for s in skus}
    adjusted = {s["sku"]: float(s["adjusted_price"]) for s in skus}
    assert {v["sku"]: v["calculated_price"] for v in variants} == adjusted
    assert len(set(adjusted.values())) > 1  # the rules make prices differ


async def test_v2_discount_rules_are_the_products_v3_bulk_pricing_rules(
    c: httpx.AsyncClient,
) -> None:
    pid = await v2_product(c, "Bulk Mug")
    rules = f"/v2/products/{pid}/discount_rules"
    made = await ok(
        c.post(rules, json={"min": 10, "max": 49, "type": "price", "type_value": 2}), 201
    )
    assert made == {
        "id": made["id"],
        "product_id": pid,
        "min": 10,
        "max": 49,
        "type": "price",
        "type_value": 2,
    }
    assert isinstance(made["id"], str)  # as the page shows it
    v3_path = f"/v3/catalog/products/{pid}/bulk-pricing-rules"
    body = {"quantity_min": 50, "quantity_max": 0, "type": "percent", "amount": 15}
    v3_made = (await ok(c.post(v3_path, json=body)))["data"]
    v3 = (await ok(c.get(v3_path)))["data"]
    assert [
        (r["id"], r["quantity_min"], r["quantity_max"], r["type"], r["amount"]) for r in v3
    ] == [
        (int(made["id"]), 10, 49, "price", 2),
        (v3_made["id"], 50, 0, "percent", 15),
    ]
    listed = await ok(c.get(rules))
    assert [(r["id"], r["min"], r["max"], r["type"]) for r in listed] == [
        (made["id"], 10, 49, "price"),
        (str(v3_made["id"]), 50, 0, "percent"),
    ]
    # a range overlapping another's is refused, as V3 refuses it, in V2's error shape
    overlap = await c.post(rules, json={"min": 40, "max": 60, "type": "price", "type_value": 1})
    assert overlap.status_code == 400
    assert "overlaps" in overlap.json()[0]["message"]
    # an update keeps the range not given, and type and type_value are required
    updated = await ok(c.put(f"{rules}/{made['id']}", json={"type": "fixed", "type_value": "9.5"}))
    assert (updated["min"], updated["max"], updated["type"], updated["type_value"]) == (
        10,
        49,
        "fixed",
        9.5,
    )
    assert (await c.put(f"{rules}/{made['id']}", json={"max": 20})).status_code == 400
    read_only = await c.post(rules, json={"product_id": pid, "type": "price", "type_value": 1})
    assert read_only.status_code == 400
    assert "product_id" in read_only.json()[0]["message"]
    assert await ok(c.get("/v2/products/discount_rules/count")) == {"count": 2}
    assert (await c.get(rules, params={"min": 1})).status_code == 400  # no filters documented
    # deleting one page of them (documented paging) leaves the others
    assert (await c.delete(rules, params={"page": 2, "limit": 1})).status_code == 204
    assert [r["id"] for r in await ok(c.get(rules))] == [made["id"]]
    assert (await c.delete(rules)).status_code == 204
    assert (await ok(c.get(v3_path)))["data"] == []
    gone = await c.get(f"{rules}/{made['id']}")
    assert gone.status_code == 404
    assert gone.json()[0]["status"] == 404


async def test_v2_reviews_are_the_products_v3_reviews(c: httpx.AsyncClient) -> None:
    pid = await v2_product(c, "Reviewed Mug")
    reviews = f"/v2/products/{pid}/reviews"
    body = {
        "author": "Jimmy Doe",
        "title": "Worked for me!",
        "review": "I thought this product was pretty good",
        "rating": 5,
        "date_created": "Tue, 05 Mar 2013 06:00:00 +0000",
    }
    made = await ok(c.post(reviews, json=body), 201)
    assert made == {**body, "id": made["id"], "product_id": pid, "status": 0}  # pending
    v3 = (await ok(c.get(f"/v3/catalog/products/{pid}/reviews/{made['id']}")))["data"]
    assert (v3["name"], v3["text"], v3["status"], v3["rating"]) == (
        "Jimmy Doe",
        body["review"],
        "pending",
        5,
    )
    assert v3["date_reviewed"].startswith("2013-03-05T06:00:00")
    v3_body = {"title": "Slow", "text": "Two weeks", "rating": 3, "name": "Jane Doe"}
    v3_body |= {"status": "approved", "date_reviewed": "2013-11-12T06:00:00+00:00"}
    await ok(c.post(f"/v3/catalog/products/{pid}/reviews", json=v3_body))
    listed = await ok(c.get(reviews, params={"page": 1, "limit": 5}))
    assert [(r["author"], r["status"], r["date_created"]) for r in listed] == [
        ("Jimmy Doe", 0, "Tue, 05 Mar 2013 06:00:00 +0000"),
        ("Jane Doe", 1, "Tue, 12 Nov 2013 06:00:00 +0000"),
    ]
    approved = await ok(c.put(f"{reviews}/{made['id']}", json={"status": 1}))
    assert approved["status"] == 1
    v3_approved = await ok(c.get(f"/v3/catalog/products/{pid}/reviews", params={"status": 1}))
    assert len(v3_approved["data"]) == 2
    for bad in ({"rating": 6}, {"status": 3}, {"date_created": "yesterday"}, {"id": 1}):
        refused = await c.put(f"{reviews}/{made['id']}", json=bad)
        assert refused.status_code == 400, bad
        assert next(iter(bad)) in refused.json()[0]["message"]
    missing = await c.post(reviews, json={"author": "A", "title": "T", "rating": 4})
    assert missing.status_code == 400
    assert "review" in missing.json()[0]["message"]
    assert (await c.delete(f"{reviews}/{made['id']}")).status_code == 204
    assert (await c.delete(reviews)).status_code == 204
    assert (await ok(c.get(f"/v3/catalog/products/{pid}/reviews")))["data"] == []
