"""The emulator's channels, sites, category trees and product assignments follow the platform's
multi-storefront rules (docs/storefront/multi-storefront)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from controller.emulator import Emulator
from tests.conftest import PROD_TOKEN, SANDBOX_TOKEN

STOREFRONT = {"type": "storefront", "platform": "bigcommerce", "status": "active"}


async def _data(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


@pytest.fixture
async def stores(emulator: Emulator) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(
            base_url=emulator.store_url("production") + "/v3",
            headers={"X-Auth-Token": PROD_TOKEN},
        ) as production,
        httpx.AsyncClient(
            base_url=emulator.store_url("sandbox") + "/v3",
            headers={"X-Auth-Token": SANDBOX_TOKEN},
        ) as sandbox,
    ):
        yield production, sandbox


async def test_a_new_store_has_its_default_channel_site_and_tree(
    stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    c, _ = stores
    channels = await _data(await c.get("/channels"))
    assert [(ch["id"], ch["type"], ch["platform"], ch["status"]) for ch in channels] == [
        (1, "storefront", "bigcommerce", "active")
    ]
    site = await _data(await c.get("/channels/1/site"))
    assert site["id"] == 1000
    assert site["url"].startswith("https://")
    trees = await _data(await c.get("/catalog/trees", params={"channel_id:in": 1}))
    assert [t["id"] for t in trees] == [1]
    refused = await c.delete("/sites/1000")
    assert refused.status_code == 400
    assert (await c.put("/channels/1", json={"status": "deleted"})).status_code == 422


async def test_channel_ids_differ_between_stores_and_names_follow_the_rules(
    stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    production, sandbox = stores
    made = await _data(await production.post("/channels", json={"name": "EU", **STOREFRONT}))
    again = await _data(await sandbox.post("/channels", json={"name": "EU", **STOREFRONT}))
    assert made["id"] != again["id"]
    assert made["id"] != 1
    duplicate = await production.post("/channels", json={"name": "EU", **STOREFRONT})
    assert duplicate.status_code == 409
    # the same name on another platform is another channel
    pos = {"name": "EU", "type": "pos", "platform": "square"}
    assert (await production.post("/channels", json=pos)).status_code == 200
    odd = await production.post("/channels", json={"name": "EU/DE", **STOREFRONT})
    assert odd.status_code == 422
    assert "latin alphabet" in odd.json()["title"]
    wrong_status = await production.post(
        "/channels",
        json={"name": "Ebay", "type": "marketplace", "platform": "ebay", "status": "active"},
    )
    assert wrong_status.status_code == 422


async def test_a_channel_has_one_site_and_its_routes_are_unique(
    stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    c, _ = stores
    eu = (await _data(await c.post("/channels", json={"name": "EU", **STOREFRONT})))["id"]
    assert (await c.get(f"/channels/{eu}/site")).status_code == 404
    site = await _data(
        await c.post("/sites", json={"url": "https://eu.example.test/", "channel_id": eu})
    )
    second = await c.post("/sites", json={"url": "https://eu2.example.test/", "channel_id": eu})
    assert second.status_code == 400
    relative = await c.put(f"/sites/{site['id']}", json={"url": "/eu/"})
    assert relative.status_code == 400
    routes = f"/sites/{site['id']}/routes"
    await _data(await c.post(routes, json={"type": "home", "matching": "*", "route": "/"}))
    await _data(
        await c.post(routes, json={"type": "product", "matching": "*", "route": "/p/{slug}"})
    )
    homes = await _data(await c.get(routes, params={"type": "home"}))
    assert [r["route"] for r in homes] == ["/"]
    template = await _data(
        await c.post("/content/widget-templates", json={"name": "Note", "template": "<p/>"})
    )
    for channel in (1, eu):
        widget = {"name": f"On {channel}", "widget_template_uuid": template["uuid"]}
        await _data(await c.post("/content/widgets", json={**widget, "channel_id": channel}))
    on_site = await _data(await c.get("/content/widgets", params={"site_id:in": site["id"]}))
    assert [w["name"] for w in on_site] == [f"On {eu}"]  # the widgets of the site's channel
    assert (await c.delete(f"/channels/{eu}/site")).status_code == 200
    assert (await c.get(routes)).status_code == 404


async def test_trees_keep_their_own_names_and_the_legacy_api_sees_the_default_tree(
    stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    c, _ = stores
    eu = (await _data(await c.post("/channels", json={"name": "EU", **STOREFRONT})))["id"]
    tree = (await _data(await c.put("/catalog/trees", json=[{"name": "EU", "channels": [eu]}])))[0]
    default_root = await _data(
        await c.post("/catalog/categories", json={"name": "Shoes", "parent_id": 0})
    )
    eu_root = (
        await _data(
            await c.post(
                "/catalog/trees/categories",
                json=[{"name": "Shoes", "parent_id": 0, "tree_id": tree["id"]}],
            )
        )
    )[0]
    clash = await c.post(
        "/catalog/trees/categories", json=[{"name": "shoes", "parent_id": 0, "tree_id": tree["id"]}]
    )
    assert clash.status_code == 422
    legacy = await _data(await c.get("/catalog/categories"))
    assert [cat["id"] for cat in legacy] == [default_root["id"]]
    in_tree = await _data(
        await c.get("/catalog/trees/categories", params={"tree_id:in": tree["id"]})
    )
    assert [cat["category_id"] for cat in in_tree] == [eu_root["category_id"]]
    assert (await c.delete(f"/catalog/categories/{eu_root['category_id']}")).status_code == 404
    second = await c.put("/catalog/trees", json=[{"name": "Again", "channels": [eu]}])
    assert second.status_code == 422


async def test_products_are_sold_where_assigned_and_categorised_in_any_tree(
    stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    c, _ = stores
    eu = (await _data(await c.post("/channels", json={"name": "EU", **STOREFRONT})))["id"]
    tree = (await _data(await c.put("/catalog/trees", json=[{"name": "EU", "channels": [eu]}])))[0]
    category = (
        await _data(
            await c.post(
                "/catalog/trees/categories",
                json=[{"name": "Boots", "parent_id": 0, "tree_id": tree["id"]}],
            )
        )
    )[0]["category_id"]
    product = await _data(
        await c.post(
            "/catalog/products",
            json={"name": "Boot", "type": "physical", "sku": "B-1", "price": 10, "weight": 1},
        )
    )
    path = "/catalog/products/channel-assignments"
    assert await _data(await c.get(path)) == [{"product_id": product["id"], "channel_id": 1}]
    put = await c.put(path, json=[{"product_id": product["id"], "channel_id": eu}])
    assert put.status_code == 204
    unknown = await c.put(path, json=[{"product_id": 999999, "channel_id": eu}])
    assert unknown.status_code == 422
    assert "0.product_id" in unknown.json()["errors"]
    await c.delete(path, params={"channel_id:in": 1})
    assert await _data(await c.get("/catalog/products", params={"channel_id:in": 1})) == []
    assigned = [{"product_id": product["id"], "category_id": category}]
    assert (await c.put("/catalog/products/category-assignments", json=assigned)).status_code == 204
    found = await _data(await c.get(f"/catalog/products/{product['id']}"))
    assert found["categories"] == [category]
    kept = await c.delete("/catalog/trees/categories", params={"category_id:in": category})
    assert kept.status_code == 422  # a category with products is not deleted
    assert (await c.delete(f"/catalog/products/{product['id']}")).status_code == 204
    assert await _data(await c.get(path)) == []


async def test_currencies_are_those_the_store_has_enabled(
    stores: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    c, _ = stores
    eu = (await _data(await c.post("/channels", json={"name": "EU", **STOREFRONT})))["id"]
    inherited = await _data(await c.get(f"/channels/{eu}/currency-assignments"))
    assert inherited["default_currency"] == "USD"
    assert await _data(await c.get("/channels/currency-assignments")) == []
    euros = {"enabled_currencies": ["EUR"], "default_currency": "EUR"}
    assert (await _data(await c.put(f"/channels/{eu}/currency-assignments", json=euros)))[
        "default_currency"
    ] == "EUR"
    not_enabled = await c.put(
        f"/channels/{eu}/currency-assignments",
        json={"enabled_currencies": ["JPY"], "default_currency": "JPY"},
    )
    assert not_enabled.status_code == 422
    outside = await c.put(
        f"/channels/{eu}/currency-assignments",
        json={"enabled_currencies": ["EUR"], "default_currency": "USD"},
    )
    assert outside.status_code == 422
    listed = await _data(await c.get("/channels", params={"include": "currencies"}))
    assert [ch["currencies"]["default_currency"] for ch in listed] == ["USD", "EUR"]
