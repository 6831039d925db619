"""The platform's rules, each broken once: the status code and the error body a client would see."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from controller.emulator import Emulator
from tests.conftest import PROD_TOKEN, SANDBOX_TOKEN

Body = dict[str, Any]


def product(name: str, sku: str, **extra: Any) -> Body:
    return {"name": name, "type": "physical", "sku": sku, "price": 10, "weight": 1, **extra}


async def create(client: httpx.AsyncClient, body: Body) -> Body:
    response = await client.post("/catalog/products", json=body)
    assert response.status_code == 200, response.text
    data: Body = response.json()["data"]
    return data


def assert_error(response: httpx.Response, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert {"title", "type", "errors"} <= set(body)
    assert any(field in key for key in body["errors"]), body


async def test_sku_is_unique_across_products_and_variants_without_case(
    prod: httpx.AsyncClient,
) -> None:
    await create(
        prod,
        product(
            "Tee",
            "TEE",
            variants=[
                {
                    "sku": "TEE-RED",
                    "option_values": [{"option_display_name": "Color", "label": "Red"}],
                }
            ],
        ),
    )
    assert_error(await prod.post("/catalog/products", json=product("Other", "tee-red")), 409, "sku")
    assert_error(await prod.post("/catalog/products", json=product("Other", "Tee")), 409, "sku")
    other = await create(prod, product("Cap", "CAP"))
    assert_error(
        await prod.put(f"/catalog/products/{other['id']}", json={"sku": "TEE"}), 409, "sku"
    )
    assert (await prod.get("/catalog/products")).json()["meta"]["pagination"]["total"] == 2


async def test_product_and_brand_names_are_unique(prod: httpx.AsyncClient) -> None:
    await create(prod, product("Runner", "R-1"))
    assert_error(await prod.post("/catalog/products", json=product("Runner", "R-2")), 409, "name")
    assert (await prod.post("/catalog/brands", json={"name": "Acme"})).status_code == 200
    assert_error(await prod.post("/catalog/brands", json={"name": "Acme"}), 409, "name")


async def test_category_names_are_unique_among_siblings_only(prod: httpx.AsyncClient) -> None:
    men = (await prod.post("/catalog/categories", json={"name": "Men", "parent_id": 0})).json()[
        "data"
    ]
    women = (await prod.post("/catalog/categories", json={"name": "Women", "parent_id": 0})).json()[
        "data"
    ]
    for parent in (men, women):
        response = await prod.post(
            "/catalog/categories", json={"name": "Shoes", "parent_id": parent["id"]}
        )
        assert response.status_code == 200
    assert_error(
        await prod.post("/catalog/categories", json={"name": "shoes", "parent_id": men["id"]}),
        409,
        "name",
    )
    tree = await prod.post(
        "/catalog/trees/categories", json=[{"name": "SHOES", "parent_id": men["id"], "tree_id": 1}]
    )
    assert_error(tree, 422, "name")


async def test_references_to_missing_categories_and_brands_conflict(
    prod: httpx.AsyncClient,
) -> None:
    assert_error(
        await prod.post("/catalog/products", json=product("A", "A", categories=[424242])),
        409,
        "categories",
    )
    assert_error(
        await prod.post("/catalog/products", json=product("A", "A", brand_id=424242)),
        409,
        "brand_id",
    )
    assert (await prod.get("/catalog/products")).json()["data"] == []


async def test_a_category_with_products_cannot_be_deleted_and_nothing_is_lost(
    prod: httpx.AsyncClient,
) -> None:
    parent = (
        await prod.post("/catalog/trees/categories", json=[{"name": "Home", "parent_id": 0}])
    ).json()["data"][0]
    child = (
        await prod.post(
            "/catalog/trees/categories",
            json=[{"name": "Lamps", "parent_id": parent["category_id"]}],
        )
    ).json()["data"][0]
    await create(prod, product("Lamp", "LAMP", categories=[child["category_id"]]))
    refused = await prod.delete(
        "/catalog/trees/categories", params={"category_id:in": parent["category_id"]}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"]["status"] == 422
    remaining = (await prod.get("/catalog/trees/categories")).json()["data"]
    assert {c["name"] for c in remaining} == {"Home", "Lamps"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        pytest.param(
            "/catalog/products", product("x" * 251, "LONG"), "name", id="product name over 250"
        ),
        pytest.param(
            "/catalog/products", product("Neg", "NEG", price=-1), "price", id="negative price"
        ),
        pytest.param(
            "/catalog/products",
            product("T", "T", type="service"),
            "type",
            id="unknown product type",
        ),
        pytest.param(
            "/catalog/products",
            {"name": "No price", "type": "physical", "weight": 1},
            "price",
            id="missing required price",
        ),
        pytest.param(
            "/catalog/categories",
            {"name": "c" * 51, "parent_id": 0},
            "name",
            id="category name over 50",
        ),
        pytest.param("/catalog/brands", {"name": ""}, "name", id="empty brand name"),
    ],
)
async def test_limits_and_types_are_enforced_with_the_field_named(
    prod: httpx.AsyncClient, path: str, body: Body, field: str
) -> None:
    assert_error(await prod.post(path, json=body), 422, field)


async def test_categories_nest_at_most_eight_deep(prod: httpx.AsyncClient) -> None:
    parent = 0
    for depth in range(8):
        response = await prod.post(
            "/catalog/categories", json={"name": f"L{depth}", "parent_id": parent}
        )
        assert response.status_code == 200
        parent = response.json()["data"]["id"]
    assert_error(
        await prod.post("/catalog/categories", json={"name": "L8", "parent_id": parent}),
        422,
        "parent_id",
    )


async def test_custom_field_pairs_are_unique_within_a_product(prod: httpx.AsyncClient) -> None:
    created = await create(
        prod, product("Mug", "MUG", custom_fields=[{"name": "material", "value": "clay"}])
    )
    path = f"/catalog/products/{created['id']}/custom-fields"
    assert_error(await prod.post(path, json={"name": "material", "value": "clay"}), 409, "name")
    assert (await prod.post(path, json={"name": "material", "value": "glass"})).status_code == 200
    assert_error(await prod.post(path, json={"name": "n" * 251, "value": "v"}), 422, "name")


async def test_batches_over_the_maximum_are_too_large(prod: httpx.AsyncClient) -> None:
    created = await create(prod, product("P", "P"))
    response = await prod.put("/catalog/products", json=[{"id": created["id"], "price": 1}] * 11)
    assert response.status_code == 413
    assert response.json()["status"] == 413
    variants = await prod.put(
        "/catalog/variants", json=[{"id": created["base_variant_id"], "price": 1}] * 51
    )
    assert variants.status_code == 413


async def test_a_batch_with_one_bad_item_changes_nothing(prod: httpx.AsyncClient) -> None:
    a = await create(prod, product("A", "A"))
    b = await create(prod, product("B", "B"))
    response = await prod.put(
        "/catalog/products", json=[{"id": a["id"], "price": 99}, {"id": b["id"], "name": "A"}]
    )
    assert response.status_code == 409
    assert (await prod.get(f"/catalog/products/{a['id']}")).json()["data"]["price"] == 10


async def test_a_batch_naming_a_missing_product_is_a_partial_success(
    prod: httpx.AsyncClient,
) -> None:
    a = await create(prod, product("A", "A"))
    response = await prod.put(
        "/catalog/products", json=[{"id": a["id"], "price": 42}, {"id": 999999, "price": 1}]
    )
    assert response.status_code == 207
    assert [p["price"] for p in response.json()["data"]] == [42]
    assert "999999" in response.json()["errors"]


async def test_server_set_fields_behave_like_the_platform(prod: httpx.AsyncClient) -> None:
    body = product(
        "Desk Lamp",
        "DL-1",
        id=1,
        date_created="2000-01-01T00:00:00+00:00",
        calculated_price=1,
        sale_price=8,
    )
    created = await create(prod, body)
    assert created["id"] != 1
    assert created["date_created"] != "2000-01-01T00:00:00+00:00"
    assert created["calculated_price"] == 8
    assert created["custom_url"] == {"url": "/desk-lamp/", "is_customized": False}
    assert created["base_variant_id"] == created["variants"][0]["id"]
    assert created["variants"][0]["sku"] == "DL-1"
    updated = (await prod.put(f"/catalog/products/{created['id']}", json={"sale_price": 0})).json()[
        "data"
    ]
    assert updated["calculated_price"] == 10
    assert updated["date_modified"] >= created["date_modified"]


async def test_a_product_url_is_the_stores_own_and_its_change_can_leave_a_redirect(
    prod: httpx.AsyncClient,
) -> None:
    lamp = await create(prod, product("Desk Lamp", "DL-1"))
    other = await create(prod, product("Floor Lamp", "FL-1"))
    moved = {"custom_url": {"url": "/lamps/desk/", "is_customized": True, "create_redirect": True}}
    response = await prod.put(f"/catalog/products/{lamp['id']}", json=moved)
    assert response.json()["data"]["custom_url"] == {"url": "/lamps/desk/", "is_customized": True}
    redirects = (await prod.get("/storefront/redirects", params={"include": "to_url"})).json()
    assert [(r["from_path"], r["to"]) for r in redirects["data"]] == [
        ("/desk-lamp/", {"type": "product", "entity_id": lamp["id"]})
    ]
    assert redirects["data"][0]["to_url"].endswith("/lamps/desk/")
    taken = await prod.put(f"/catalog/products/{other['id']}", json=moved)
    assert taken.status_code == 409
    assert "/lamps/desk/" in taken.json()["title"]
    kept = {"custom_url": {"url": "/floor-lamp/", "is_customized": False}}
    response = await prod.put(f"/catalog/products/{other['id']}", json=kept)
    assert response.json()["data"]["custom_url"] == kept["custom_url"]


async def test_variants_with_options_replace_the_base_variant(prod: httpx.AsyncClient) -> None:
    created = await create(
        prod,
        product(
            "Tee",
            "TEE",
            variants=[
                {"sku": "TEE-S", "option_values": [{"option_display_name": "Size", "label": "S"}]},
                {
                    "sku": "TEE-M",
                    "option_values": [{"option_display_name": "Size", "label": "M"}],
                    "price": 12,
                },
            ],
        ),
    )
    assert "base_variant_id" not in created
    assert [v["sku"] for v in created["variants"]] == ["TEE-S", "TEE-M"]
    assert [v["calculated_price"] for v in created["variants"]] == [10, 12]
    options = (await prod.get(f"/catalog/products/{created['id']}/options")).json()["data"]
    assert [(o["display_name"], [v["label"] for v in o["option_values"]]) for o in options] == [
        ("Size", ["S", "M"])
    ]


async def test_every_request_needs_the_store_token(emulator: Emulator) -> None:
    url = emulator.store_url("production") + "/v3/catalog/products"
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers={"X-Auth-Token": SANDBOX_TOKEN})).status_code == 401
        assert (await client.get(url, headers={"x-auth-token": PROD_TOKEN})).status_code == 200
        unknown = await client.get(emulator.store_url("nosuchstore") + "/v3/catalog/products")
        assert unknown.status_code == 404


async def test_stores_are_isolated_and_their_ids_differ(
    emulator: Emulator, prod: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(
        base_url=emulator.store_url("sandbox") + "/v3", headers={"X-Auth-Token": SANDBOX_TOKEN}
    ) as sandbox:
        in_prod = await create(prod, product("Same", "SAME"))
        in_sandbox = await create(sandbox, product("Same", "SAME"))
        assert in_prod["id"] != in_sandbox["id"]
        await prod.delete(f"/catalog/products/{in_prod['id']}")
        assert (await sandbox.get("/catalog/products", params={"sku": "SAME"})).json()["data"][0][
            "name"
        ] == "Same"


async def test_pagination_envelope_and_limits(prod: httpx.AsyncClient) -> None:
    for index in range(7):
        await create(prod, product(f"P{index}", f"P{index}"))
    pages = [
        (await prod.get("/catalog/products", params={"limit": 3, "page": n})).json()
        for n in (1, 2, 3)
    ]
    assert [len(p["data"]) for p in pages] == [3, 3, 1]
    meta = pages[1]["meta"]["pagination"]
    assert (meta["total"], meta["total_pages"], meta["current_page"], meta["per_page"]) == (
        7,
        3,
        2,
        3,
    )
    assert set(meta["links"]) == {"previous", "current", "next"}
    assert "next" not in pages[2]["meta"]["pagination"]["links"]
    ids = [p["id"] for page in pages for p in page["data"]]
    assert len(set(ids)) == 7
    capped = (await prod.get("/catalog/products", params={"limit": 1000})).json()["meta"][
        "pagination"
    ]
    assert capped["per_page"] == 250


async def test_a_zip_that_is_not_a_stencil_bundle_fails_its_job(prod: httpx.AsyncClient) -> None:
    from tests.support.waiting import wait_for_job
    from tests.test_emulator_conformance import theme_zip

    client = httpx.AsyncClient(
        base_url=str(prod.base_url).removesuffix("/v3/").removesuffix("/v3"),
        headers=dict(prod.headers),
    )
    async with client:
        for data, code in (
            (theme_zip(None), "MissingConfigJson"),
            (b"not a zip", "UnreadableBundle"),
        ):
            upload = await client.post("/v3/themes", files={"file": ("t.zip", data)})
            job = await wait_for_job(client, upload.json()["job_id"])
            assert job["status"] == "FAILED"
            assert job["errors"][0]["error"] == code  # type: ignore[index]
        assert (await client.get("/v3/themes")).json()["data"] == []
