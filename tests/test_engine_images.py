"""Images against a store that answers them with its own CDN URLs, as the platform does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from controller.catalog.model import Catalog
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.planner import Options
from controller.stores import BigCommerceStore, Token
from tests.conftest import PROD_TOKEN
from tests.support.builders import desired


def catalog(images: list[str]) -> Catalog:
    return desired(
        [
            {
                "sku": f"IMG-{i}",
                "name": f"Pictured {i}",
                "type": "physical",
                "price": 10,
                "weight": 1,
                "images": [f"https://pictures.example.test/{i}/{name}" for name in images],
            }
            for i in range(3)
        ]
    )


@pytest.fixture
async def prod(emulator: Emulator) -> AsyncIterator[BigCommerceStore]:
    async with BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as store:
        yield store


def writes(emulator: Emulator) -> int:
    stats = emulator.control("production").stats.to_json()["by_method"]
    return sum(n for method, n in stats.items() if method != "GET")


async def test_the_store_answers_images_with_its_cdn_urls(
    emulator: Emulator, prod: BigCommerceStore
) -> None:
    await sync(prod, catalog(["front.jpg"]))
    answer = await prod.data(
        "GET", "/v3/catalog/products", "/v3/catalog/products", params={"include": "images"}
    )
    urls = [i["image_url"] for p in answer for i in p["images"]]
    assert len(urls) == 3
    assert all(u.startswith("https://cdn11.bigcommerce.com/s-production/products/") for u in urls)
    assert not any("pictures.example.test" in u for u in urls)


async def test_an_image_sync_of_an_unchanged_product_set_makes_no_writes(
    emulator: Emulator, prod: BigCommerceStore
) -> None:
    await sync(prod, catalog(["front.jpg", "side.png"]))
    before = writes(emulator)
    assessment, result = await sync(prod, catalog(["front.jpg", "side.png"]))
    assert assessment.drift.in_sync
    assert result.total == 0
    assert writes(emulator) == before


async def test_an_image_added_later_is_created_once_and_captured_by_its_source(
    emulator: Emulator, prod: BigCommerceStore
) -> None:
    await sync(prod, catalog(["front.jpg"]))
    _, added = await sync(prod, catalog(["front.jpg", "back.jpg"]))
    assert added.outcomes == {"images": {"created": 3}}
    before = writes(emulator)
    assert (await assess(prod, catalog(["front.jpg", "back.jpg"]))).drift.in_sync
    assert writes(emulator) == before
    captured = to_catalog(await prod.observe())
    assert [i.image_url for i in captured.products["img-0"].images or ()] == [
        "https://pictures.example.test/0/front.jpg",
        "https://pictures.example.test/0/back.jpg",
    ]


async def test_an_image_someone_else_added_is_known_by_its_cdn_url(
    emulator: Emulator, prod: BigCommerceStore
) -> None:
    await sync(prod, catalog(["front.jpg"]))
    product_id = (await prod.find_product("IMG-0") or {})["id"]
    await prod.request(
        "POST",
        f"/v3/catalog/products/{product_id}/images",
        json={"image_url": "https://elsewhere.example.test/x.jpg"},
    )
    report = (await assess(prod, catalog(["front.jpg"]))).drift
    assert report.counts["images"]["extra"] == 1
    [(_, key, change, _)] = [s for s in report.samples if s[0] == "images"]
    assert change == "extra"
    assert "cdn11.bigcommerce.com" in key


async def test_an_image_removed_takes_the_record_of_its_source_with_it(
    emulator: Emulator, prod: BigCommerceStore
) -> None:
    await sync(prod, catalog(["front.jpg", "side.png"]))
    _, result = await sync(
        prod, catalog(["front.jpg"]), Options(prune=True, allow_mass_delete=True)
    )
    assert result.outcomes == {"images": {"deleted": 3}}
    product_id = (await prod.find_product("IMG-0") or {})["id"]
    records = await prod.image_sources_of(product_id)
    images = await prod.data(
        "GET", f"/v3/catalog/products/{product_id}/images", "/v3/catalog/products/{id}/images"
    )
    assert set(records) == {i["id"] for i in images}
    assert list(records.values()) == ["https://pictures.example.test/0/front.jpg"]


async def test_images_whose_sources_went_unrecorded_are_claimed_not_created_again(
    emulator: Emulator, prod: BigCommerceStore
) -> None:
    # The sources are recorded in batches after the products are created: a run stopped in
    # between leaves images with no record of where they came from.
    await sync(prod, catalog(["front.jpg", "side.png"]))
    path = "/v3/catalog/products/metafields"
    records = await prod.data("GET", path, path, params={"namespace": "stagingpro.images"})
    assert len(records) == 6
    for record in records:
        one = f"/v3/catalog/products/{record['resource_id']}/metafields/{record['id']}"
        await prod.request("DELETE", one, endpoint=one)

    await sync(prod, catalog(["front.jpg", "side.png"]))

    answer = await prod.data(
        "GET", "/v3/catalog/products", "/v3/catalog/products", params={"include": "images"}
    )
    assert [len(p["images"]) for p in answer] == [2, 2, 2]  # none created twice
    assessment, result = await sync(prod, catalog(["front.jpg", "side.png"]))
    assert assessment.drift.in_sync  # and their sources are known again
    assert result.total == 0
