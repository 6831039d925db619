"""Every kind of the full V3 catalog that this project added, together: a store seeded with
metafields on products, variants, categories and brands, videos, reviews and category and brand
images, and storefront URLs (`custom_url`) is captured, applied to an empty store and captured again into the same files; a change
of each kind in the store is reported as drift under its natural key."""

from __future__ import annotations

from typing import Any

import httpx

from controller.catalog.files import render
from controller.catalog.kinds import CAPTURED
from controller.catalog.model import Catalog
from controller.catalog.observed import to_catalog
from controller.engine import assess, sync
from controller.planner import Options
from controller.stores import BigCommerceStore
from tests.support.builders import desired

CLONE = Options(prune=True, allow_mass_delete=True, reviews=True)  # as a sandbox clone plans


def every_kind() -> Catalog:
    def meta(key: str) -> list[dict[str, Any]]:
        return [{"namespace": "erp", "key": key, "value": f"{key}-1", "permission_set": "read"}]

    return desired(
        [
            {
                "sku": "ALL-1",
                "name": "Lantern",
                "type": "physical",
                "price": 40,
                "weight": 1,
                "layout_file": "product-lantern.html",
                "page_title": "Lantern",
                "meta_description": "A lantern",
                "custom_url": {"url": "/lighting/classic-lantern/", "is_customized": True},
                "categories": ["Outdoor"],
                "brand": "Glow",
                "variants": [
                    {
                        "sku": "ALL-1-S",
                        "option_values": [{"option_display_name": "Size", "label": "S"}],
                        "metafields": meta("barcode"),
                    }
                ],
                "videos": [{"video_id": "z3fRu9pkuXE", "title": "Lighting it", "sort_order": 1}],
                "reviews": [
                    {"date_reviewed": "2026-09-09T09:00:00+00:00", "title": "Bright", "rating": 4}
                ],
                "metafields": meta("item"),
            }
        ],
        [
            {
                "path": "Outdoor",
                "image_url": "https://pictures.example.test/outdoor.jpg",
                "page_title": "Outdoor",
                "custom_url": {"url": "/outdoor-living/", "is_customized": True},
                "metafields": meta("feed"),
            }
        ],
        [
            {
                "name": "Glow",
                "image_url": "https://pictures.example.test/glow.png",
                "meta_description": "Glow lamps",
                "custom_url": {"url": "/brands/glow-lamps/", "is_customized": True},
                "metafields": meta("origin"),
            }
        ],
    )


async def capture(store: BigCommerceStore) -> dict[str, str]:
    return render(to_catalog(await store.observe(CAPTURED)))


async def test_every_kind_round_trips_and_drifts_by_its_natural_key(
    stores: Any, prod: httpx.AsyncClient
) -> None:
    store, sandbox = stores
    _, seeded = await sync(store, every_kind(), CLONE)
    assert seeded.errors == []
    files = await capture(store)
    _, cloned = await sync(sandbox, to_catalog(await store.observe(CAPTURED)), CLONE)
    assert cloned.errors == []
    assert await capture(sandbox) == files
    assert '"url":"/lighting/classic-lantern/"' in files["products.jsonl"]
    assert "url: /outdoor-living/" in files["categories.yaml"]
    captured = to_catalog(await store.observe(CAPTURED))
    assert (await assess(sandbox, captured, CLONE)).drift.in_sync

    product = (await prod.get("/catalog/products", params={"sku": "ALL-1"})).json()["data"][0]
    base = f"/catalog/products/{product['id']}"
    video = (await prod.get(f"{base}/videos")).json()["data"][0]
    await prod.put(f"{base}/videos/{video['id']}", json={"title": "Changed"})
    review = (await prod.get(f"{base}/reviews")).json()["data"][0]
    await prod.put(f"{base}/reviews/{review['id']}", json={"rating": 1})
    for batch in ("products", "variants", "categories", "brands"):
        found = await prod.get(f"/catalog/{batch}/metafields", params={"namespace": "erp"})
        mid = found.json()["data"][0]["id"]
        await prod.put(f"/catalog/{batch}/metafields", json=[{"id": mid, "value": "moved"}])
    category = (await prod.get("/catalog/categories", params={"name": "Outdoor"})).json()["data"]
    await prod.put(
        f"/catalog/categories/{category[0]['id']}", json={"image_url": "https://else.test/o.jpg"}
    )
    moved = {"custom_url": {"url": "/lanterns/", "is_customized": True}}
    await prod.put(base, json=moved)
    brand = (await prod.get("/catalog/brands", params={"name": "Glow"})).json()["data"][0]
    await prod.put(f"/catalog/brands/{brand['id']}", json=moved)
    drift = (await assess(store, every_kind(), CLONE)).drift
    assert {(kind, key) for kind, key, _, _ in drift.samples} == {
        ("videos", "ALL-1~z3fRu9pkuXE"),
        ("reviews", "ALL-1*2026-09-09T09:00:00+00:00 Bright"),
        ("productMetafields", "ALL-1|erp:item"),
        ("variantMetafields", "ALL-1-S|erp:barcode"),
        ("categoryMetafields", "Outdoor|erp:feed"),
        ("brandMetafields", "Glow|erp:origin"),
        ("categories", "Outdoor"),
        ("products", "ALL-1"),
        ("brands", "Glow"),
    }
