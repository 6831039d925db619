"""Metafields of products, variants, categories and brands, end to end against the emulator over
real HTTP: planned, applied in batches across owners, captured, cloned and drift-checked by
namespace and key, while StagingPro's own records of image sources stay out of the catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from controller.catalog.files import render
from controller.catalog.kinds import CAPTURED, Kind
from controller.catalog.model import Catalog
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator
from controller.engine import apply, assess, sync
from controller.engine.observation import Mode, Observation
from controller.engine.sync import compared_fields, managed_kinds
from controller.planner import Options
from controller.stores import BigCommerceStore
from tests.support.builders import desired


def metafield(namespace: str, key: str, value: str, permission: str = "read") -> dict[str, Any]:
    return {"namespace": namespace, "key": key, "value": value, "permission_set": permission}


def catalog(n: int = 3, *, value: str = "v1") -> Catalog:
    """Products with images, metafields on every kind of owner."""
    products = [
        {
            "sku": f"MF-{i}",
            "name": f"Lamp {i}",
            "type": "physical",
            "price": 10 + i,
            "weight": 1,
            "categories": ["Lighting"],
            "brand": "Lumen",
            "images": [f"https://pictures.example.test/lamp-{i}.jpg"],
            "variants": [
                {
                    "sku": f"MF-{i}-{colour}",
                    "option_values": [{"option_display_name": "Colour", "label": colour}],
                    "metafields": [metafield("erp", "item", f"{i}-{colour}-{value}", "write")],
                }
                for colour in ("red", "blue")
            ],
            "metafields": [
                metafield("shipping", "hs_code", f"9405.{i}"),
                {
                    **metafield("seo", "schema", value, "read_and_sf_access"),
                    "description": "Structured data",
                },
            ],
        }
        for i in range(n)
    ]
    categories = [{"path": "Lighting", "metafields": [metafield("feed", "google", value)]}]
    brands = [{"name": "Lumen", "metafields": [metafield("feed", "origin", "DK", "app_only")]}]
    return desired(products, categories, brands)


async def capture(store: BigCommerceStore) -> dict[str, str]:
    """The store's catalog files, as a capture writes them."""
    return render(to_catalog(await store.observe(CAPTURED)))


def by_endpoint(emulator: Emulator, store: str) -> dict[str, Any]:
    found: dict[str, Any] = emulator.control(store).stats.to_json()["by_endpoint"]
    return found


async def test_metafields_of_every_owner_round_trip_through_capture_and_clone(
    emulator: Emulator, stores: Any
) -> None:
    prod, sandbox = stores
    _, result = await sync(prod, catalog())
    assert result.errors == []
    # written after their owners, in batches across owners: 3 x 2 product metafields and 6
    # variants' in one request each, a category's and a brand's in one each
    posted = by_endpoint(emulator, "production")
    assert posted["POST /v3/catalog/products/metafields"] == {"200": 2}  # and the image sources
    assert posted["POST /v3/catalog/variants/metafields"] == {"200": 1}
    assert posted["POST /v3/catalog/categories/metafields"] == {"200": 1}
    assert posted["POST /v3/catalog/brands/metafields"] == {"200": 1}
    assert (await assess(prod, catalog())).drift.in_sync

    files = await capture(prod)
    # the images are known by their sources, whose records are not the catalog's metafields
    assert "stagingpro.images" not in files["products.jsonl"]
    hs_code = '{"namespace":"shipping","key":"hs_code","permission_set":"read","value":"9405.1"}'
    assert hs_code in files["products.jsonl"]
    assert "key: google" in files["categories.yaml"]
    assert "permission_set: app_only" in files["brands.yaml"]
    # a clone: the source's catalog applied to an empty store, captured again: the same files
    _, cloned = await sync(sandbox, to_catalog(await prod.observe(CAPTURED)))
    assert cloned.errors == []
    assert await capture(sandbox) == files
    _, again = await sync(sandbox, to_catalog(await prod.observe(CAPTURED)))
    assert again.requests == 0


async def test_drift_of_each_metafield_kind_is_reported_by_owner_namespace_and_key(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    await sync(store, catalog())
    product = (await prod.get("/catalog/products", params={"sku": "MF-1"})).json()["data"][0]
    owned = f"/catalog/products/{product['id']}/metafields"
    hs_code = (await prod.get(owned, params={"key": "hs_code"})).json()["data"][0]
    await prod.put(f"{owned}/{hs_code['id']}", json={"value": "changed"})
    await prod.post(owned, json=metafield("extra", "note", "by hand"))
    for batch, namespace in (("variants", "erp"), ("categories", "feed")):
        found = await prod.get(f"/catalog/{batch}/metafields", params={"namespace": namespace})
        await prod.request(
            "DELETE", f"/catalog/{batch}/metafields", json=[found.json()["data"][0]["id"]]
        )
    # the brand's is app_only: another app cannot see it, StagingPro's own client changes it
    brand = (await store.observe({Kind.BRANDS, Kind.BRAND_METAFIELDS})).brands
    (mine,) = next(iter(brand.values())).metafields
    await store.request(
        "PUT", "/v3/catalog/brands/metafields", json=[{"id": mine.id, "value": "SE"}]
    )

    assessment = await assess(store, catalog(), Options(prune=True))
    samples = {(kind, key, change) for kind, key, change, _ in assessment.drift.samples}
    assert samples == {
        ("productMetafields", "MF-1|shipping:hs_code", "changed"),
        ("productMetafields", "MF-1|extra:note", "extra"),
        ("variantMetafields", "MF-0-red|erp:item", "missing"),
        ("categoryMetafields", "Lighting|feed:google", "missing"),
        ("brandMetafields", "Lumen|feed:origin", "changed"),
    }
    _, result = await sync(store, catalog(), Options(prune=True))
    assert result.errors == []
    assert (await assess(store, catalog(), Options(prune=True))).drift.in_sync
    # pruning never took the records of where the images came from
    observed = await store.observe(managed_kinds(catalog()))
    assert all(i.sourced for p in observed.products.values() for i in p.images)


async def test_a_metafield_changed_in_the_store_is_seen_by_an_incremental_check(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    wanted = catalog()
    await sync(store, wanted)
    observation = Observation()
    refresh = {"fields": compared_fields(wanted), "like": wanted, "resync": 3600.0}
    kinds = managed_kinds(wanted)
    await observation.refresh(store, kinds, now=datetime.now(UTC), **refresh)
    quiet = await observation.refresh(store, kinds, now=datetime.now(UTC), **refresh)
    assert observation.mode is Mode.INCREMENTAL
    assert not observation.changed
    # a count, products modified since, categories, brands, and metafields modified since: one
    # request per kind of owner (never every product's metafields)
    assert observation.requests == 4 + 4
    assert quiet.products["mf-2"].metafields
    found = (await prod.get("/catalog/categories/metafields")).json()["data"][0]
    await prod.put("/catalog/categories/metafields", json=[{"id": found["id"], "value": "new"}])
    later = datetime.now(UTC) + timedelta(seconds=1)
    observed = await observation.refresh(store, kinds, now=later, **refresh)
    assert observation.mode is Mode.INCREMENTAL
    assert observation.changed
    (category,) = observed.categories.values()
    assert [m.fields["value"] for m in category.metafields] == ["new"]
    result = await assess(store, wanted, observed=observed)
    assert {s[1] for s in result.drift.samples} == {"Lighting|feed:google"}


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ([metafield("a", "b", "c"), metafield("a", "b", "d")], "metafield 'a:b' appears twice"),
        ([{"namespace": "a", "key": "b", "value": "c"}], "a metafield needs permission_set"),
        (
            [{**metafield("a", "b", "c"), "permission_set": "public"}],
            "metafields[0].permission_set",
        ),
    ],
)
def test_a_metafield_written_wrong_is_refused_naming_it(
    written: list[dict[str, Any]], problem: str
) -> None:
    from controller.catalog.model import CatalogInvalid

    with pytest.raises(CatalogInvalid) as refused:
        desired([], ["Lighting"], [{"name": "Lumen", "metafields": written}])
    assert problem in str(refused.value)


async def test_a_metafield_made_meanwhile_is_adopted_reading_only_its_owners(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    tagged = [
        {
            "sku": f"AD-{i:03}",
            "name": f"Adopted {i}",
            "type": "physical",
            "price": 1,
            "weight": 1,
            "metafields": [metafield("erp", "batch", "b1")],
        }
        for i in range(251)  # more owners of the key than one page of the batch list holds
    ]
    last = {**tagged[-1], "metafields": []}
    assert (await sync(store, desired([*tagged[:-1], last])))[1].errors == []
    assessment = await assess(store, desired(tagged))
    # another client writes the last one's between the plan and its apply
    found = (await prod.get("/catalog/products", params={"sku": "AD-250"})).json()["data"][0]
    made = await prod.post(
        f"/catalog/products/{found['id']}/metafields", json=metafield("erp", "batch", "b1")
    )
    assert made.status_code == 200
    before = by_endpoint(emulator, "production")
    result = await apply(assessment.plan, assessment.observed, store)
    assert result.errors == []
    after = by_endpoint(emulator, "production")
    # that product's metafields of the key are read, not every owner's
    assert (
        after["GET /v3/catalog/products/metafields"]
        == before["GET /v3/catalog/products/metafields"]
    )
    assert after["GET /v3/catalog/products/{product_id}/metafields"] == {"200": 1}
    assert (await assess(store, desired(tagged))).drift.in_sync
