"""Category and brand images against the emulator over real HTTP: the platform answers its own
CDN URL for an image given by URL, so they are known by the URL StagingPro gave (recorded in a
private metafield), as product images are: in sync after a sync, captured and cloned by source,
a change in the store reported as drift."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from controller.catalog.files import render
from controller.catalog.kinds import CAPTURED
from controller.catalog.model import Catalog
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.engine.observation import Mode, Observation
from controller.engine.sync import compared_fields, managed_kinds
from controller.stores import BigCommerceStore
from tests.support.builders import desired

BANNER = "https://pictures.example.test/garden/banner.jpg"
LOGO = "https://pictures.example.test/brands/verde.png"


def catalog(banner: str = BANNER) -> Catalog:
    return desired(
        [
            {
                "sku": "IMG-1",
                "name": "Rake",
                "type": "physical",
                "price": 9,
                "weight": 1,
                "categories": ["Garden/Tools"],
                "brand": "Verde",
            }
        ],
        ["Garden", {"path": "Garden/Tools", "image_url": banner}],
        [{"name": "Verde", "image_url": LOGO}],
    )


async def capture(store: BigCommerceStore) -> dict[str, str]:
    return render(to_catalog(await store.observe(CAPTURED)))


async def test_category_and_brand_images_are_known_by_their_source_url(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, sandbox = stores
    _, result = await sync(store, catalog())
    assert result.errors == []
    brand = (await prod.get("/catalog/brands", params={"name": "Verde"})).json()["data"][0]
    assert brand["image_url"].startswith("https://cdn11.bigcommerce.com/s-production/")
    again = await assess(store, catalog())
    assert again.drift.in_sync
    assert again.plan.steps == ()
    files = await capture(store)
    assert f"image_url: {BANNER}" in files["categories.yaml"]
    assert f"image_url: {LOGO}" in files["brands.yaml"]
    assert "stagingpro.images" not in files["categories.yaml"] + files["brands.yaml"]
    _, cloned = await sync(sandbox, to_catalog(await store.observe(CAPTURED)))
    assert cloned.errors == []
    assert await capture(sandbox) == files
    _, idle = await sync(sandbox, to_catalog(await store.observe(CAPTURED)))
    assert idle.requests == 0


async def test_an_image_changed_in_the_store_is_drift_and_a_new_source_is_written(
    stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    await sync(store, catalog())
    observation = Observation()
    wanted = catalog()
    refresh = {"fields": compared_fields(wanted), "like": wanted, "resync": 3600.0}
    kinds = managed_kinds(wanted)
    await observation.refresh(store, kinds, now=datetime.now(UTC), **refresh)
    await observation.refresh(store, kinds, now=datetime.now(UTC), **refresh)
    # every image known: an incremental check reads no image records (a count, products,
    # categories, brands)
    assert observation.mode is Mode.INCREMENTAL
    assert observation.requests == 4
    category = (await prod.get("/catalog/categories", params={"name": "Tools"})).json()["data"][0]
    await prod.put(
        f"/catalog/categories/{category['id']}", json={"image_url": "https://elsewhere.test/x.jpg"}
    )
    observed = await observation.refresh(store, kinds, now=datetime.now(UTC), **refresh)
    drift = (await assess(store, wanted, observed=observed)).drift
    assert [(s[0], s[1], s[2], s[3]) for s in drift.samples] == [
        ("categories", "Garden/Tools", "changed", ("image_url",))
    ]
    moved = catalog("https://pictures.example.test/garden/banner-2.jpg")
    _, result = await sync(store, moved)
    assert result.errors == []
    assert (await assess(store, moved)).drift.in_sync
