"""The emulator's store settings (settings.v3): global values, and per-channel overrides that a
channel inherits from the global values until it overrides them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from controller.emulator import Emulator
from tests.conftest import PROD_TOKEN, SANDBOX_TOKEN

STOREFRONT = {"type": "storefront", "platform": "bigcommerce", "status": "active"}


async def _data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.fixture
async def eu(prod: httpx.AsyncClient) -> int:
    """A second storefront."""
    made = await prod.post("/channels", json={"name": "EU", **STOREFRONT})
    assert made.status_code == 200, made.text
    return int(made.json()["data"]["id"])


SEO = {
    "meta_description": "Shoes for Europe",
    "meta_keywords": "shoes",
    "page_title": "EU Shoes",
    "www_redirect": "www",
}


async def test_a_new_store_answers_global_values_and_no_channel_overrides(
    emulator: Emulator, prod: httpx.AsyncClient, eu: int
) -> None:
    profile = await _data(await prod.get("/settings/store/profile"))
    store = (await prod.get(emulator.store_url("production") + "/v2/store")).json()
    assert profile["store_name"] == store["name"] == "Production Store"
    assert profile["store_email"] == store["admin_email"]
    units = await _data(await prod.get("/settings/store/units-of-measurement"))
    assert (units["weight_measurement"], units["length_measurement"]) == ("LBS", "Inches")
    overrides = await _data(await prod.get("/settings/storefront/seo", params={"channel_id": eu}))
    assert overrides == dict.fromkeys(SEO)


async def test_a_channel_override_is_read_back_and_leaves_the_global_values(
    prod: httpx.AsyncClient, eu: int
) -> None:
    before = await _data(await prod.get("/settings/storefront/seo"))
    written = await _data(
        await prod.put("/settings/storefront/seo", params={"channel_id": eu}, json=SEO)
    )
    assert written == SEO
    assert await _data(await prod.get("/settings/storefront/seo", params={"channel_id": eu})) == SEO
    assert await _data(await prod.get("/settings/storefront/seo")) == before
    default = await _data(await prod.get("/settings/storefront/seo", params={"channel_id": 1}))
    assert default == dict.fromkeys(SEO)


async def test_null_on_a_channel_deletes_its_override_and_is_refused_globally(
    prod: httpx.AsyncClient, eu: int
) -> None:
    path, on_eu = "/settings/catalog", {"channel_id": eu}
    both = {"auto_approve_reviews": True, "enable_product_comparisons": False}
    assert await _data(await prod.put(path, params=on_eu, json=both)) == both
    inherit = {"auto_approve_reviews": None, "enable_product_comparisons": False}
    assert await _data(await prod.put(path, params=on_eu, json=inherit)) == inherit
    assert await _data(await prod.get(path, params=on_eu)) == inherit
    refused = await prod.put(path, json=inherit)
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"auto_approve_reviews"}
    assert (await _data(await prod.get(path)))["auto_approve_reviews"] is False


async def test_partial_updates_are_refused_naming_each_missing_field(
    prod: httpx.AsyncClient, eu: int
) -> None:
    body = {"down_for_maintenance_message": "Back soon"}
    for params in ({}, {"channel_id": eu}):
        refused = await prod.put("/settings/storefront/status", params=params, json=body)
        assert refused.status_code == 422
        assert set(refused.json()["errors"]) == {"prelaunch_message"}
    status = await _data(await prod.get("/settings/storefront/status"))
    assert status["down_for_maintenance_message"] == "Down for maintenance"
    # where the spec allows partial updates, the other fields keep their values
    written = await _data(await prod.put("/settings/storefront/seo", json={"page_title": "Shoes"}))
    assert written["page_title"] == "Shoes"
    assert written["www_redirect"] == "no-www"


async def test_a_global_only_field_is_refused_on_a_channel(
    prod: httpx.AsyncClient, eu: int
) -> None:
    search = {
        "content_product_sort": "relevance",
        "default_product_sort": "newest",
        "product_filtering_enabled": True,
        "search_suggest": False,
    }
    path, on_eu = "/settings/storefront/search", {"channel_id": eu}
    refused = await prod.put(path, params=on_eu, json=search)
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"product_filtering_enabled"}
    channel_level = {**search, "product_filtering_enabled": None}
    assert await _data(await prod.put(path, params=on_eu, json=channel_level)) == channel_level
    assert await _data(await prod.put(path, json=search)) == search


async def test_values_of_the_wrong_type_are_refused_naming_each_field(
    prod: httpx.AsyncClient,
) -> None:
    body = {"category_tree_depth": 9, "default_product_sort": "besling", "listing_mode": 1}
    refused = await prod.put("/settings/storefront/category", json=body)
    assert refused.status_code == 422
    assert refused.json()["status"] == 422
    assert set(refused.json()["errors"]) == {
        "category_tree_depth",
        "default_product_sort",
        "listing_mode",
    }
    security = await _data(await prod.get("/settings/storefront/security"))
    security["hsts"] = {"enabled": True, "max_age": "forever"}
    refused = await prod.put("/settings/storefront/security", json=security)
    assert set(refused.json()["errors"]) == {"hsts"}


async def test_unknown_channels_and_query_parameters_are_refused(prod: httpx.AsyncClient) -> None:
    unknown = await prod.get("/settings/catalog", params={"channel_id": 999999})
    assert unknown.status_code == 422
    assert set(unknown.json()["errors"]) == {"channel_id"}
    typo = await prod.get("/settings/catalog", params={"channel": 1})
    assert typo.status_code == 400
    assert set(typo.json()["errors"]) == {"channel"}
    # the locale is global: its endpoint documents no channel_id
    locale = await prod.get("/settings/store/locale", params={"channel_id": 1})
    assert locale.status_code == 400


async def test_settings_are_per_store_and_survive_a_restart(tmp_path: Path) -> None:
    units = {
        "weight_measurement": "KGS",
        "length_measurement": "Centimeters",
        "decimal_token": ",",
        "thousands_token": ".",
        "decimal_places": 2,
        "factoring_dimension": "depth",
    }
    path, db = "/settings/store/units-of-measurement", str(tmp_path / "stores.db")
    first = Emulator(db, quota=0)
    first.add_store("production", PROD_TOKEN)
    first.add_store("sandbox", SANDBOX_TOKEN)
    async with first, _client(first, "production", PROD_TOKEN) as production:
        assert await _data(await production.put(path, json=units)) == units
    first.db.close()
    second = Emulator(db, quota=0)
    async with (
        second,
        _client(second, "production", PROD_TOKEN) as production,
        _client(second, "sandbox", SANDBOX_TOKEN) as sandbox,
    ):
        assert await _data(await production.get(path)) == units
        assert (await _data(await sandbox.get(path)))["weight_measurement"] == "LBS"


def _client(emulator: Emulator, store: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=emulator.store_url(store) + "/v3", headers={"X-Auth-Token": token}
    )


async def test_v2_store_answers_the_global_store_profile_and_units(
    emulator: Emulator, prod: httpx.AsyncClient, eu: int
) -> None:
    profile = {
        "store_address": "1 Main St",
        "store_address_type": "Retail",
        "store_email": "owner@example.com",
        "store_name": "Shoes Inc",
        "store_phone": "555-0100",
    }
    await _data(await prod.put("/settings/store/profile", json=profile))
    on_eu = {**profile, "store_name": "Shoes EU", "store_address_type": None}
    await _data(await prod.put("/settings/store/profile", params={"channel_id": eu}, json=on_eu))
    units = await _data(await prod.get("/settings/store/units-of-measurement"))
    await _data(
        await prod.put(
            "/settings/store/units-of-measurement", json={**units, "weight_measurement": "KGS"}
        )
    )
    store = (await prod.get(emulator.store_url("production") + "/v2/store")).json()
    assert (store["name"], store["address"], store["phone"], store["admin_email"]) == (
        "Shoes Inc",
        "1 Main St",
        "555-0100",
        "owner@example.com",
    )
    assert store["weight_units"] == "KGS"


async def test_the_storefront_shows_its_channel_settings_and_status(
    emulator: Emulator, prod: httpx.AsyncClient
) -> None:
    origin = await emulator.storefront("production")
    seo = {
        "meta_description": "",
        "meta_keywords": "",
        "page_title": "Shoes!",
        "www_redirect": "www",
    }
    await _data(await prod.put("/settings/storefront/seo", params={"channel_id": 1}, json=seo))
    messages = {"down_for_maintenance_message": "Back at 9", "prelaunch_message": "Opening soon"}
    await _data(
        await prod.put("/settings/storefront/status", params={"channel_id": 1}, json=messages)
    )
    async with httpx.AsyncClient(base_url=origin) as browser:
        home = await browser.get("/")
        assert "<title>Shoes!</title>" in home.text
        assert "<h1>Production Store</h1>" in home.text
        await _data(await prod.put("/channels/1", json={"status": "inactive"}))
        down = await browser.get("/")
        assert down.status_code == 503
        assert "Back at 9" in down.text


async def test_logo_and_favicon_uploads_set_the_global_or_a_channels_image(
    prod: httpx.AsyncClient, eu: int
) -> None:
    logo = {"LogoFile": ("logo.png", b"\x89PNG", "image/png")}
    assert (
        await prod.post("/settings/logo/image", params={"channel_id": eu}, files=logo)
    ).status_code == 204
    on_eu = await _data(await prod.get("/settings/logo", params={"channel_id": eu}))
    assert on_eu["logo_image_url"].startswith("https://cdn11.bigcommerce.com/s-production/")
    assert on_eu["logo_image_url"].endswith(".png")
    assert (await _data(await prod.get("/settings/logo")))["logo_image_url"] == ""
    icon = {"FaviconFile": ("favicon.gif", b"GIF89a", "image/gif")}
    assert (await prod.post("/settings/favicon/image", files=icon)).status_code == 204
    assert (await _data(await prod.get("/settings/logo")))["favicon_url"].endswith(".gif")
    big = {"FaviconFile": ("big.png", b"0" * (10 * 1024 * 1024 + 1), "image/png")}
    too_big = await prod.post("/settings/favicon/image", files=big)
    assert too_big.status_code == 422
    assert set(too_big.json()["errors"]) == {"FaviconFile"}
    text = {"LogoFile": ("logo.txt", b"hello", "text/plain")}
    assert (await prod.post("/settings/logo/image", files=text)).status_code == 422
