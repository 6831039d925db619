"""List query parameters as a client uses them: each filter changes the answer (an ignored one would
fail its case), sorting and field selection take effect, and what is not emulated is refused by name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from controller.emulator import Emulator
from tests.conftest import PROD_TOKEN

Body = dict[str, Any]


@dataclass
class Shop:
    """A small catalog whose records differ in every filtered field."""

    client: httpx.AsyncClient
    ids: dict[str, int]
    brands: dict[str, int]
    categories: dict[str, int]

    async def names(self, path: str, params: dict[str, Any]) -> list[str]:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return [item.get("name", item.get("display_name")) for item in response.json()["data"]]


async def _data(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


@pytest.fixture
async def shop(emulator: Emulator) -> AsyncIterator[Shop]:
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as c:
        brands = {
            name: (await _data(await c.post("/catalog/brands", json={"name": name})))["id"]
            for name in ("Acme", "Zeta")
        }
        created = await _data(
            await c.post(
                "/catalog/trees/categories",
                json=[{"name": n, "parent_id": 0, "tree_id": 1} for n in ("Boots", "Summer")],
            )
        )
        categories = {c["name"]: c["category_id"] for c in created}
        hidden = {"name": "Hidden", "parent_id": categories["Boots"], "is_visible": False}
        await _data(await c.post("/catalog/categories", json=hidden))
        products: list[Body] = [
            {
                "name": "Alpha Boot",
                "sku": "AB-1",
                "price": 10,
                "type": "physical",
                "brand_id": brands["Acme"],
                "categories": [categories["Boots"]],
                "inventory_level": 3,
                "custom_fields": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}],
                "images": [
                    {"image_url": "https://cdn.example.test/1.jpg", "sort_order": 0},
                    {"image_url": "https://cdn.example.test/2.jpg", "sort_order": 1},
                ],
            },
            {
                "name": "Beta Shoe",
                "sku": "BS-2",
                "price": 50,
                "type": "digital",
                "brand_id": brands["Zeta"],
                "categories": [categories["Summer"]],
                "is_visible": False,
                "inventory_level": 10,
                "mpn": "MPN-B",
            },
            {
                "name": "Gamma Sandal",
                "sku": "GS-3",
                "price": 30,
                "type": "physical",
                "categories": [categories["Boots"], categories["Summer"]],
                "condition": "Used",
                "description": "Soft leather straps",
                "inventory_level": 7,
            },
        ]
        ids = {}
        for body in products:
            made = await _data(await c.post("/catalog/products", json={"weight": 1, **body}))
            ids[body["name"]] = made["id"]
        yield Shop(c, ids, brands, categories)


ALL = ["Alpha Boot", "Beta Shoe", "Gamma Sandal"]
Params = Callable[[Shop], dict[str, Any]]
PRODUCT_CASES: list[tuple[str, Params, list[str]]] = [
    ("id_in", lambda s: {"id:in": f"{s.ids['Alpha Boot']},{s.ids['Beta Shoe']}"}, ALL[:2]),
    ("id_not_in", lambda s: {"id:not_in": s.ids["Alpha Boot"]}, ALL[1:]),
    ("id_min", lambda s: {"id:min": s.ids["Beta Shoe"]}, ALL[1:]),
    ("id_max", lambda s: {"id:max": s.ids["Beta Shoe"]}, ALL[:2]),
    ("id_greater", lambda s: {"id:greater": s.ids["Beta Shoe"]}, ALL[2:]),
    ("id_less", lambda s: {"id:less": s.ids["Beta Shoe"]}, ALL[:1]),
    ("id", lambda s: {"id": s.ids["Gamma Sandal"]}, ALL[2:]),
    ("name_without_case", lambda s: {"name": "beta shoe"}, ["Beta Shoe"]),
    ("name_like", lambda s: {"name:like": "a S"}, ["Beta Shoe", "Gamma Sandal"]),
    ("sku", lambda s: {"sku": "gs-3"}, ["Gamma Sandal"]),
    ("sku_in", lambda s: {"sku:in": "AB-1,GS-3"}, ["Alpha Boot", "Gamma Sandal"]),
    ("mpn", lambda s: {"mpn": "MPN-B"}, ["Beta Shoe"]),
    ("price", lambda s: {"price": 30}, ["Gamma Sandal"]),
    ("brand_id", lambda s: {"brand_id": s.brands["Zeta"]}, ["Beta Shoe"]),
    ("is_visible", lambda s: {"is_visible": "false"}, ["Beta Shoe"]),
    ("type", lambda s: {"type": "digital"}, ["Beta Shoe"]),
    ("condition", lambda s: {"condition": "used"}, ["Gamma Sandal"]),
    ("inventory_level_greater", lambda s: {"inventory_level:greater": 5}, ALL[1:]),
    ("inventory_level_in", lambda s: {"inventory_level:in": "3,7"}, ["Alpha Boot", "Gamma Sandal"]),
    (
        "categories_in",
        lambda s: {"categories:in": s.categories["Boots"]},
        ["Alpha Boot", "Gamma Sandal"],
    ),
    # Documented: `categories=N` leaves out products that are in other categories too.
    ("categories_only", lambda s: {"categories": s.categories["Boots"]}, ["Alpha Boot"]),
    ("keyword_in_description", lambda s: {"keyword": "LEATHER"}, ["Gamma Sandal"]),
    ("keyword_in_brand_name", lambda s: {"keyword": "acme"}, ["Alpha Boot"]),
    ("keyword_in_sku", lambda s: {"keyword": "bs-"}, ["Beta Shoe"]),
    ("date_modified_min_future", lambda s: {"date_modified:min": "2999-01-01T00:00:00Z"}, []),
    ("date_modified_max_past", lambda s: {"date_modified:max": "2000-01-01T00:00:00Z"}, []),
    ("date_modified_min_unix", lambda s: {"date_modified:min": "946684800"}, ALL),
    ("other_channel", lambda s: {"channel_id:in": "2"}, []),
    ("default_channel", lambda s: {"channel_id:in": "1"}, ALL),
    (
        "sort_price_desc",
        lambda s: {"sort": "price", "direction": "desc"},
        ["Beta Shoe", "Gamma Sandal", "Alpha Boot"],
    ),
    ("sort_name_desc", lambda s: {"sort": "name", "direction": "desc"}, ALL[::-1]),
    ("page_two", lambda s: {"limit": 2, "page": 2}, ALL[2:]),
]


@pytest.mark.parametrize(
    ("params", "expected"),
    [pytest.param(p, e, id=name) for name, p, e in PRODUCT_CASES],
)
async def test_product_list_filters_and_sorts_change_the_answer(
    shop: Shop, params: Params, expected: list[str]
) -> None:
    assert await shop.names("/catalog/products", params(shop)) == expected


async def test_date_modified_min_finds_the_products_changed_since(shop: Shop) -> None:
    alpha = shop.ids["Alpha Boot"]
    before = (await _data(await shop.client.get(f"/catalog/products/{alpha}")))["date_modified"]
    changed = await _data(
        await shop.client.post(
            f"/catalog/products/{alpha}/custom-fields", json={"name": "c", "value": "3"}
        )
    )
    assert changed["name"] == "c"
    after = (await _data(await shop.client.get(f"/catalog/products/{alpha}")))["date_modified"]
    found = await shop.names("/catalog/products", {"date_modified:min": after})
    assert "Alpha Boot" in found
    assert before <= after


async def test_field_selection_keeps_the_id_and_only_what_was_asked(shop: Shop) -> None:
    listed = await _data(
        await shop.client.get(
            "/catalog/products", params={"include_fields": "name,price", "include": "variants"}
        )
    )
    assert {frozenset(p) for p in listed} == {frozenset({"id", "name", "price", "variants"})}
    one = await _data(
        await shop.client.get(
            f"/catalog/products/{shop.ids['Beta Shoe']}", params={"exclude_fields": "price,sku"}
        )
    )
    assert "price" not in one
    assert "sku" not in one
    assert one["name"] == "Beta Shoe"
    brands = await _data(
        await shop.client.get("/catalog/brands", params={"include_fields": "name"})
    )
    assert all(set(b) == {"id", "name"} for b in brands)
    trees = await _data(
        await shop.client.get("/catalog/trees/categories", params={"include_fields": "name"})
    )
    assert all(set(c) == {"category_id", "name"} for c in trees)


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/catalog/brands", {"name:like": "cm"}, ["Acme"]),
        ("/catalog/brands", {"sort": "name", "direction": "desc"}, ["Zeta", "Acme"]),
        ("/catalog/categories", {"is_visible": "false"}, ["Hidden"]),
        ("/catalog/categories", {"name:like": "umm"}, ["Summer"]),
        ("/catalog/categories", {"sort": "name"}, ["Boots", "Hidden", "Summer"]),
        ("/catalog/categories", {"parent_id:greater": 0}, ["Hidden"]),
        ("/catalog/trees/categories", {"name": "summer"}, ["Summer"]),
        ("/catalog/trees/categories", {"keyword": "hid"}, ["Hidden"]),
        ("/catalog/trees/categories", {"tree_id:not_in": 1}, []),
    ],
)
async def test_brand_and_category_lists_filter_and_sort(
    shop: Shop, path: str, params: dict[str, Any], expected: list[str]
) -> None:
    assert await shop.names(path, params) == expected


async def test_category_id_filters_of_the_trees_api(shop: Shop) -> None:
    boots = shop.categories["Boots"]
    assert await shop.names("/catalog/trees/categories", {"category_id:in": boots}) == ["Boots"]
    rest = await shop.names("/catalog/trees/categories", {"category_id:not_in": boots})
    assert rest == ["Summer", "Hidden"]
    assert await shop.names("/catalog/trees/categories", {"parent_id:in": boots}) == ["Hidden"]


async def test_sub_lists_are_paged(shop: Shop) -> None:
    alpha = shop.ids["Alpha Boot"]
    second = await shop.client.get(
        f"/catalog/products/{alpha}/custom-fields", params={"limit": 1, "page": 2}
    )
    body = second.json()
    assert [f["name"] for f in body["data"]] == ["b"]
    assert body["meta"]["pagination"]["total"] == 2
    images = await _data(
        await shop.client.get(f"/catalog/products/{alpha}/images", params={"limit": 1})
    )
    assert [i["image_file"].rsplit("/", 1)[-1].split("__")[0] for i in images] == ["1"]


async def test_variant_list_filters(shop: Shop) -> None:
    beta = shop.ids["Beta Shoe"]
    variants = await _data(
        await shop.client.get("/catalog/variants", params={"product_id:in": beta})
    )
    assert [v["sku"] for v in variants] == ["BS-2"]
    by_sku = await _data(await shop.client.get("/catalog/variants", params={"sku": "ab-1"}))
    assert [v["product_id"] for v in by_sku] == [shop.ids["Alpha Boot"]]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/catalog/products", "inventory_low"),
        ("/catalog/products", "out_of_stock"),
        ("/catalog/products", "date_last_imported:min"),
        ("/catalog/products", "keyword_context"),
    ],
)
async def test_documented_parameters_not_emulated_are_refused_by_name(
    shop: Shop, path: str, param: str
) -> None:
    response = await shop.client.get(path, params={param: "1"})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert param in body["errors"]


@pytest.mark.parametrize(
    "params",
    [{"sort": "colour"}, {"direction": "sideways"}, {"id:in": "x"}, {"include": "everything"}],
)
async def test_bad_values_are_a_422_naming_the_parameter(
    shop: Shop, params: dict[str, str]
) -> None:
    response = await shop.client.get("/catalog/products", params=params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {next(iter(params))}


async def test_delete_by_filter_deletes_only_what_matches(shop: Shop) -> None:
    refused = await shop.client.delete("/catalog/products")
    assert refused.status_code == 422
    deleted = await shop.client.delete("/catalog/products", params={"type": "digital"})
    assert deleted.status_code == 204
    assert await shop.names("/catalog/products", {}) == ["Alpha Boot", "Gamma Sandal"]
    gone = await shop.client.delete("/catalog/brands", params={"name": "zeta"})
    assert gone.status_code == 204
    assert await shop.names("/catalog/brands", {}) == ["Acme"]


async def test_one_custom_field_one_image_and_option_changes(shop: Shop) -> None:
    c = shop.client
    alpha = shop.ids["Alpha Boot"]
    field = (await _data(await c.get(f"/catalog/products/{alpha}/custom-fields")))[1]
    assert (
        await _data(await c.get(f"/catalog/products/{alpha}/custom-fields/{field['id']}")) == field
    )
    image = (await _data(await c.get(f"/catalog/products/{alpha}/images")))[0]
    assert (await _data(await c.get(f"/catalog/products/{alpha}/images/{image['id']}")))[
        "image_url"
    ] == image["image_url"]
    other = shop.ids["Beta Shoe"]
    assert (await c.get(f"/catalog/products/{other}/images/{image['id']}")).status_code == 404

    made = await _data(
        await c.post(
            "/catalog/products",
            json={
                "name": "Delta Tee",
                "type": "physical",
                "price": 5,
                "weight": 1,
                "variants": [
                    {
                        "sku": "DT-S",
                        "option_values": [{"option_display_name": "Size", "label": "S"}],
                    }
                ],
            },
        )
    )
    option = (await _data(await c.get(f"/catalog/products/{made['id']}/options")))[0]
    small = option["option_values"][0]
    changed = await _data(
        await c.put(
            f"/catalog/products/{made['id']}/options/{option['id']}",
            json={
                "display_name": "Tee size",
                "option_values": [{"id": small["id"], "label": "Small"}, {"label": "Large"}],
            },
        )
    )
    assert [v["label"] for v in changed["option_values"]] == ["Small", "Large"]
    variant = (await _data(await c.get(f"/catalog/products/{made['id']}/variants")))[0]
    assert variant["option_values"][0]["option_display_name"] == "Tee size"
    assert variant["option_values"][0]["label"] == "Small"


async def test_category_trees_are_created_renamed_and_deleted(shop: Shop) -> None:
    c = shop.client
    b2b = {"name": "B2B", "type": "storefront", "platform": "bigcommerce"}
    channel = (await _data(await c.post("/channels", json=b2b)))["id"]
    body = [{"name": "B2B", "channels": [channel]}]
    created = await _data(await c.put("/catalog/trees", json=body))
    tree = created[0]["id"]
    clash = await c.put("/catalog/trees", json=[{"name": "Again", "channels": [channel]}])
    assert clash.status_code == 422
    await _data(await c.put("/catalog/trees", json=[{"id": tree, "name": "Wholesale"}]))
    listed = await _data(await c.get("/catalog/trees", params={"channel_id:in": channel}))
    assert [t["name"] for t in listed] == ["Wholesale"]
    bulk = await _data(
        await c.post(
            "/catalog/trees/categories", json=[{"name": "Pallets", "parent_id": 0, "tree_id": tree}]
        )
    )
    assert await shop.names("/catalog/trees/categories", {"tree_id:in": tree}) == ["Pallets"]
    nodes = await _data(await c.get(f"/catalog/trees/{tree}/categories"))
    assert [n["id"] for n in nodes] == [bulk[0]["category_id"]]
    assert (await c.delete("/catalog/trees", params={"id:in": tree})).status_code == 204
    assert [t["id"] for t in await _data(await c.get("/catalog/trees"))] == [1]
    assert await shop.names("/catalog/trees/categories", {"tree_id:in": tree}) == []


async def test_tree_depth_limits_the_nesting(shop: Shop) -> None:
    nodes = await _data(await shop.client.get("/catalog/trees/1/categories", params={"depth": 1}))
    assert all(n["children"] == [] for n in nodes)
    full = await _data(await shop.client.get("/catalog/trees/1/categories"))
    assert any(n["children"] for n in full)


async def test_unknown_paths_answer_the_platforms_json_after_authentication(
    emulator: Emulator,
) -> None:
    base = emulator.store_url("production")
    async with httpx.AsyncClient(base_url=base) as c:
        unknown = await c.get("/v3/catalog/unicorns", headers={"X-Auth-Token": PROD_TOKEN})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/json")
        assert unknown.json()["status"] == 404
        anonymous = await c.get("/v3/catalog/unicorns", headers={"X-Auth-Token": "wrong"})
        assert anonymous.status_code == 401
        assert anonymous.json()["status"] == 401
        wrong_method = await c.patch("/v3/catalog/products", headers={"X-Auth-Token": PROD_TOKEN})
        assert wrong_method.status_code == 405
        assert wrong_method.json()["status"] == 405
        bare = await c.get("", headers={"X-Auth-Token": "wrong"})
        assert bare.status_code == 401
