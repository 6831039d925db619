"""Every endpoint the emulator serves answers in the shape of the official OpenAPI specs."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest

from controller.emulator import Emulator
from controller.emulator.server import ROUTES
from tests.conftest import PROD_TOKEN, specs_dir
from tests.support.conformance import Conformance


@pytest.fixture(scope="module")
def conformance_specs() -> Conformance:
    return Conformance.load(specs_dir())


@pytest.fixture
async def recorded(
    emulator: Emulator, conformance_specs: Conformance
) -> AsyncIterator[tuple[httpx.AsyncClient, Conformance]]:
    recorder = Conformance(conformance_specs.specs)
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production"),
        headers={"X-Auth-Token": PROD_TOKEN},
        event_hooks={"response": [recorder.record]},
    ) as client:
        yield client, recorder


def theme_zip(config: dict[str, object] | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        if config is not None:
            bundle.writestr("config.json", json.dumps(config))
        bundle.writestr("templates/pages/home.html", "<h1>{{page.title}}</h1>")
    return buffer.getvalue()


async def _exercise(c: httpx.AsyncClient) -> None:
    """Success and error paths of every endpoint."""
    assert (await c.get("/v2/store")).status_code == 200
    assert (await c.get("/v2/time")).status_code == 200
    assert (await c.get("/v3/catalog/trees")).status_code == 200

    roots = await c.post(
        "/v3/catalog/trees/categories", json=[{"name": "Apparel", "parent_id": 0, "tree_id": 1}]
    )
    assert roots.status_code == 201
    apparel = roots.json()["data"][0]["category_id"]
    shoes = (
        await c.post(
            "/v3/catalog/trees/categories",
            json=[{"name": "Shoes", "parent_id": apparel, "tree_id": 1}],
        )
    ).json()["data"][0]
    assert (
        await c.post(
            "/v3/catalog/trees/categories",
            json=[{"name": "shoes", "parent_id": apparel, "tree_id": 1}],
        )
    ).status_code == 422
    assert (
        await c.put(
            "/v3/catalog/trees/categories",
            json=[{"category_id": shoes["category_id"], "description": "All shoes"}],
        )
    ).status_code == 200
    assert (
        await c.get("/v3/catalog/trees/categories", params={"parent_id:in": apparel})
    ).status_code == 200
    assert (await c.get("/v3/catalog/trees/1/categories")).status_code == 200
    legacy = await c.post("/v3/catalog/categories", json={"name": "Sale", "parent_id": 0})
    assert legacy.status_code == 200
    sale = legacy.json()["data"]["id"]
    assert (await c.get(f"/v3/catalog/categories/{sale}")).status_code == 200
    assert (
        await c.put(f"/v3/catalog/categories/{sale}", json={"is_visible": False})
    ).status_code == 200
    assert (await c.get("/v3/catalog/categories", params={"limit": 250})).status_code == 200
    assert (await c.get("/v3/catalog/categories/999999")).status_code == 404

    brand = (await c.post("/v3/catalog/brands", json={"name": "Acme"})).json()["data"]
    assert (await c.post("/v3/catalog/brands", json={"name": "ACME"})).status_code == 409
    assert (await c.get(f"/v3/catalog/brands/{brand['id']}")).status_code == 200
    assert (
        await c.put(f"/v3/catalog/brands/{brand['id']}", json={"page_title": "Acme Co"})
    ).status_code == 200
    assert (await c.get("/v3/catalog/brands", params={"name": "Acme"})).status_code == 200
    temp = (await c.post("/v3/catalog/brands", json={"name": "Temp"})).json()["data"]
    assert (await c.delete(f"/v3/catalog/brands/{temp['id']}")).status_code == 204
    await c.post("/v3/catalog/brands", json={"name": "Temp2"})
    assert (await c.delete("/v3/catalog/brands", params={"name": "Temp2"})).status_code == 204

    product = await c.post(
        "/v3/catalog/products",
        json={
            "name": "Trail Runner",
            "type": "physical",
            "sku": "TR-1",
            "price": 120.5,
            "weight": 1.2,
            "categories": [shoes["category_id"]],
            "brand_id": brand["id"],
            "variants": [
                {
                    "sku": "TR-1-42",
                    "option_values": [{"option_display_name": "Size", "label": "42"}],
                },
                {
                    "sku": "TR-1-43",
                    "option_values": [{"option_display_name": "Size", "label": "43"}],
                    "price": 125,
                },
            ],
            "custom_fields": [{"name": "material", "value": "mesh"}],
            "images": [{"image_url": "https://cdn.example.test/tr1.jpg", "is_thumbnail": True}],
        },
    )
    assert product.status_code == 200, product.text
    pid = product.json()["data"]["id"]
    simple = (
        await c.post(
            "/v3/catalog/products",
            json={"name": "Sock", "type": "physical", "sku": "SOCK", "price": 5, "weight": 0.1},
        )
    ).json()["data"]
    assert (
        await c.post("/v3/catalog/products", json={"name": "Bad", "type": "physical"})
    ).status_code == 422
    assert (
        await c.post(
            "/v3/catalog/products",
            json={"name": "Dup", "type": "physical", "sku": "tr-1-42", "price": 1, "weight": 1},
        )
    ).status_code == 409
    assert (
        await c.get(
            "/v3/catalog/products",
            params={"include": "variants,custom_fields,images", "limit": 250},
        )
    ).status_code == 200
    assert (await c.get("/v3/catalog/products", params={"sku:in": "TR-1,SOCK"})).status_code == 200
    assert (
        await c.get("/v3/catalog/products", params={"id:in": f"{pid}", "keyword": "trail"})
    ).status_code == 200
    assert (
        await c.get(f"/v3/catalog/products/{pid}", params={"include": "variants"})
    ).status_code == 200
    assert (await c.get("/v3/catalog/products/999999")).status_code == 404
    assert (await c.put(f"/v3/catalog/products/{pid}", json={"price": 99.99})).status_code == 200
    assert (
        await c.put(f"/v3/catalog/products/{pid}", json={"brand_id": 999999})
    ).status_code == 409
    batch = await c.put(
        "/v3/catalog/products",
        json=[{"id": pid, "sale_price": 89}, {"id": simple["id"], "price": 6}],
    )
    assert batch.status_code == 200
    assert (
        await c.put("/v3/catalog/products", json=[{"id": pid, "price": 1}] * 11)
    ).status_code == 413

    variants = (await c.get(f"/v3/catalog/products/{pid}/variants")).json()["data"]
    vid = variants[0]["id"]
    assert (await c.get(f"/v3/catalog/products/{pid}/variants/{vid}")).status_code == 200
    assert (
        await c.put(f"/v3/catalog/products/{pid}/variants/{vid}", json={"price": 110})
    ).status_code == 200
    created = await c.post(
        f"/v3/catalog/products/{pid}/variants",
        json={"sku": "TR-1-44", "option_values": [{"option_display_name": "Size", "label": "44"}]},
    )
    assert created.status_code == 200
    assert (
        await c.delete(f"/v3/catalog/products/{pid}/variants/{created.json()['data']['id']}")
    ).status_code == 204
    assert (await c.get("/v3/catalog/variants", params={"limit": 250})).status_code == 200
    assert (
        await c.put("/v3/catalog/variants", json=[{"id": vid, "retail_price": 150}])
    ).status_code == 200
    assert (await c.put("/v3/catalog/variants", json=[{"id": vid}] * 51)).status_code == 413

    options = (await c.get(f"/v3/catalog/products/{pid}/options")).json()["data"]
    assert (
        await c.get(f"/v3/catalog/products/{pid}/options/{options[0]['id']}")
    ).status_code == 200
    color = await c.post(
        f"/v3/catalog/products/{simple['id']}/options",
        json={"display_name": "Color", "type": "swatch", "option_values": [{"label": "Red"}]},
    )
    assert color.status_code == 200
    assert (
        await c.delete(f"/v3/catalog/products/{simple['id']}/options/{color.json()['data']['id']}")
    ).status_code == 204

    fields = (await c.get(f"/v3/catalog/products/{pid}/custom-fields")).json()["data"]
    assert (
        await c.put(
            f"/v3/catalog/products/{pid}/custom-fields/{fields[0]['id']}", json={"value": "leather"}
        )
    ).status_code == 200
    extra = await c.post(
        f"/v3/catalog/products/{pid}/custom-fields", json={"name": "fit", "value": "narrow"}
    )
    assert extra.status_code == 200
    assert (
        await c.delete(f"/v3/catalog/products/{pid}/custom-fields/{extra.json()['data']['id']}")
    ).status_code == 204

    images = (await c.get(f"/v3/catalog/products/{pid}/images")).json()["data"]
    assert (
        await c.put(
            f"/v3/catalog/products/{pid}/images/{images[0]['id']}", json={"description": "side"}
        )
    ).status_code == 200
    image = await c.post(
        f"/v3/catalog/products/{pid}/images", json={"image_url": "https://cdn.example.test/b.jpg"}
    )
    assert image.status_code == 200
    assert (
        await c.delete(f"/v3/catalog/products/{pid}/images/{image.json()['data']['id']}")
    ).status_code == 204

    assert (
        await c.delete(
            "/v3/catalog/trees/categories", params={"category_id:in": shoes["category_id"]}
        )
    ).status_code == 422
    assert (await c.delete(f"/v3/catalog/products/{simple['id']}")).status_code == 204
    assert (await c.delete("/v3/catalog/products", params={"id:in": str(pid)})).status_code == 204
    assert (
        await c.delete(
            "/v3/catalog/trees/categories", params={"category_id:in": shoes["category_id"]}
        )
    ).status_code == 202
    assert (await c.delete(f"/v3/catalog/categories/{sale}")).status_code == 204
    await c.post("/v3/catalog/categories", json={"name": "Gone", "parent_id": 0})
    gone = (await c.get("/v3/catalog/categories", params={"name": "Gone"})).json()["data"][0]["id"]
    assert (await c.delete("/v3/catalog/categories", params={"id:in": gone})).status_code == 204

    script = await c.post(
        "/v3/content/scripts",
        json={
            "name": "Analytics",
            "kind": "src",
            "src": "https://cdn.example.test/a.js",
            "location": "head",
            "visibility": "all_pages",
            "load_method": "async",
            "consent_category": "analytics",
        },
    )
    assert script.status_code == 200
    uid = script.json()["data"]["uuid"]
    assert (await c.get("/v3/content/scripts")).status_code == 200
    assert (await c.get(f"/v3/content/scripts/{uid}")).status_code == 200
    assert (await c.put(f"/v3/content/scripts/{uid}", json={"enabled": False})).status_code == 200
    assert (
        await c.post("/v3/content/scripts", json={"name": "No src", "kind": "src"})
    ).status_code == 422
    assert (await c.delete(f"/v3/content/scripts/{uid}")).status_code == 204

    upload = await c.post(
        "/v3/themes",
        files={
            "file": (
                "theme.zip",
                theme_zip(
                    {
                        "name": "Cornerstone",
                        "version": "6.0.0",
                        "variations": [{"name": "Light"}, {"name": "Bold"}],
                    }
                ),
            )
        },
    )
    assert upload.status_code == 201
    job = await wait_for_job(c, upload.json()["job_id"])
    assert job["status"] == "COMPLETED"
    theme = (await c.get(f"/v3/themes/{job['result']['theme_id']}")).json()["data"]
    activate = {"variation_id": theme["variations"][1]["uuid"], "which": "original"}
    assert (await c.post("/v3/themes/actions/activate", json=activate)).status_code == 204
    assert (await c.delete(f"/v3/themes/{theme['uuid']}")).status_code == 422
    second = await c.post("/v3/themes", files={"file": ("t.zip", theme_zip({"name": "Other"}))})
    other = await wait_for_job(c, second.json()["job_id"])
    assert (await c.delete(f"/v3/themes/{other['result']['theme_id']}")).status_code == 204
    assert (await c.get("/v3/themes")).status_code == 200


async def wait_for_job(
    c: httpx.AsyncClient, job_id: str, within: float = 10.0
) -> dict[str, object]:
    """Poll a theme job until it finishes (as a client must)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        data: dict[str, object] = (await c.get(f"/v3/themes/jobs/{job_id}")).json()["data"]
        if data["status"] in ("COMPLETED", "FAILED"):
            return data
        assert asyncio.get_running_loop().time() < deadline, f"job {job_id} still {data['status']}"
        await asyncio.sleep(0.02)


async def test_every_endpoint_answers_in_the_shape_of_the_official_specs(
    recorded: tuple[httpx.AsyncClient, Conformance],
) -> None:
    client, recorder = recorded
    await _exercise(client)
    problems = [p for exchange in recorder.exchanges for p in recorder.problems(exchange)]
    assert problems == []
    served = {
        (m, p.replace("/stores/{store_hash}/v3", "").replace("/stores/{store_hash}/v2", ""))
        for m, p, _ in ROUTES
    }
    exercised = recorder.endpoints()
    untested = served - exercised
    assert untested == set()
