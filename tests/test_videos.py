"""Product videos end to end against the emulator over real HTTP: created with their product,
known by their YouTube id, drift-checked, captured and cloned."""

from __future__ import annotations

from typing import Any

import httpx

from controller.catalog.files import render
from controller.catalog.kinds import CAPTURED
from controller.catalog.model import Catalog
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.planner import Options
from controller.stores import BigCommerceStore
from tests.support.builders import desired


def catalog(*videos: dict[str, Any]) -> Catalog:
    return desired(
        [
            {
                "sku": "VID-1",
                "name": "Kettle",
                "type": "physical",
                "price": 30,
                "weight": 1,
                "videos": list(videos),
            },
            {"sku": "VID-2", "name": "Teapot", "type": "physical", "price": 20, "weight": 1},
        ]
    )


UNBOXING = {"video_id": "z3fRu9pkuXE", "title": "Unboxing", "sort_order": 1}
CARE = {"video_id": "a1b2c3d4e5f", "title": "Care", "description": "Descaling", "sort_order": 2}


async def capture(store: BigCommerceStore) -> dict[str, str]:
    return render(to_catalog(await store.observe(CAPTURED)))


async def test_videos_are_created_with_their_product_captured_and_cloned(
    emulator: Emulator, stores: Any
) -> None:
    prod, sandbox = stores
    _, result = await sync(prod, catalog(UNBOXING, CARE))
    assert result.errors == []
    posted = emulator.control("production").stats.to_json()["by_endpoint"]
    assert "POST /v3/catalog/products/{product_id}/videos" not in posted  # inline with the product
    assert (await assess(prod, catalog(UNBOXING, CARE))).drift.in_sync
    files = await capture(prod)
    assert (
        '"videos":[{"video_id":"z3fRu9pkuXE","description":"","sort_order":1,'
        in files["products.jsonl"]
    )
    assert files["products.jsonl"].count('"videos"') == 1  # a product without videos: none
    _, cloned = await sync(sandbox, to_catalog(await prod.observe(CAPTURED)))
    assert cloned.errors == []
    assert await capture(sandbox) == files


async def test_video_drift_is_reported_by_sku_and_video_id_and_corrected(
    stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    await sync(store, catalog(UNBOXING, CARE))
    product = (await prod.get("/catalog/products", params={"sku": "VID-1"})).json()["data"][0]
    path = f"/catalog/products/{product['id']}/videos"
    listed = {v["video_id"]: v for v in (await prod.get(path)).json()["data"]}
    await prod.put(f"{path}/{listed['z3fRu9pkuXE']['id']}", json={"title": "Opened"})
    await prod.delete(f"{path}/{listed['a1b2c3d4e5f']['id']}")
    await prod.post(path, json={"video_id": "zzzzzzzzzzz"})

    assessment = await assess(store, catalog(UNBOXING, CARE), Options(prune=True))
    samples = {(kind, key, change) for kind, key, change, _ in assessment.drift.samples}
    assert samples == {
        ("videos", "VID-1~z3fRu9pkuXE", "changed"),
        ("videos", "VID-1~a1b2c3d4e5f", "missing"),
        ("videos", "VID-1~zzzzzzzzzzz", "extra"),
    }
    _, result = await sync(store, catalog(UNBOXING, CARE), Options(prune=True))
    assert result.outcomes["videos"] == {"updated": 1, "created": 1, "deleted": 1}
    assert (await assess(store, catalog(UNBOXING, CARE), Options(prune=True))).drift.in_sync
