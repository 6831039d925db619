"""The emulator's web pages and redirects follow the platform's documented rules."""

from __future__ import annotations

import httpx


async def test_page_urls_are_unique_within_a_channel_and_parents_stay_in_it(
    prod: httpx.AsyncClient,
) -> None:
    about = (await prod.post("/content/pages", json={"name": "About", "type": "page"})).json()
    assert about["data"]["url"] == "/about/"
    clash = await prod.post(
        "/content/pages", json={"name": "Other", "type": "page", "url": "/about/"}
    )
    assert clash.status_code == 422
    assert clash.headers["content-type"].startswith("application/problem+json")
    elsewhere = await prod.post(
        "/content/pages",
        json={"name": "About", "type": "page", "url": "/about/", "channel_id": 2},
    )
    assert elsewhere.status_code == 201
    orphan = await prod.post(
        "/content/pages",
        json={
            "name": "Child",
            "type": "page",
            "channel_id": 2,
            "parent_id": about["data"]["id"],
        },
    )
    assert orphan.status_code == 422
    assert "parent_id" in orphan.text
    raw = await prod.post("/content/pages", json={"name": "Raw", "type": "raw"})
    assert raw.status_code == 422
    assert "body" in raw.text


async def test_one_home_page_per_channel_and_deleting_a_parent_orphans_its_children(
    prod: httpx.AsyncClient,
) -> None:
    created = await prod.post(
        "/content/pages",
        json=[
            {"name": "Home A", "type": "page", "is_homepage": True},
            {"name": "Home B", "type": "page"},
        ],
    )
    a, b = created.json()["data"]
    await prod.put(f"/content/pages/{b['id']}", json={"is_homepage": True})
    assert (await prod.get(f"/content/pages/{a['id']}")).json()["data"]["is_homepage"] is False
    child = (
        await prod.post(
            "/content/pages", json={"name": "Child", "type": "page", "parent_id": a["id"]}
        )
    ).json()["data"]
    assert (await prod.delete(f"/content/pages/{a['id']}")).status_code == 204
    orphaned = (await prod.get(f"/content/pages/{child['id']}")).json()["data"]
    assert (orphaned["parent_id"], orphaned["is_visible"]) == (0, False)


async def test_a_bulk_create_with_one_bad_page_creates_the_others_and_answers_422(
    prod: httpx.AsyncClient,
) -> None:
    answer = await prod.post(
        "/content/pages",
        json=[{"name": "Good", "type": "page"}, {"name": "Bad", "type": "link"}],
    )
    assert answer.status_code == 422
    names = [p["name"] for p in (await prod.get("/content/pages")).json()["data"]]
    assert names == ["Good"]


async def test_redirects_are_upserted_by_site_and_path_and_targets_must_exist(
    prod: httpx.AsyncClient,
) -> None:
    page = (await prod.post("/content/pages", json={"name": "New", "type": "page"})).json()
    first = await prod.put(
        "/storefront/redirects",
        json=[{"from_path": "/old", "site_id": 1000, "to": {"type": "url", "url": "/a"}}],
    )
    again = await prod.put(
        "/storefront/redirects",
        json=[
            {
                "from_path": "/old",
                "site_id": 1000,
                "to": {"type": "page", "entity_id": page["data"]["id"]},
            }
        ],
    )
    assert first.json()["data"][0]["id"] == again.json()["data"][0]["id"]
    listed = (
        await prod.get("/storefront/redirects", params={"include": "to_url", "keyword": "ol"})
    ).json()["data"]
    assert [(r["from_path"], r["to_url"].endswith("/new/")) for r in listed] == [("/old", True)]
    assert (await prod.get("/storefront/redirects", params={"keyword": "ld"})).json()["data"] == []
    missing = await prod.put(
        "/storefront/redirects",
        json=[{"from_path": "/x", "site_id": 1000, "to": {"type": "product", "entity_id": 9}}],
    )
    assert missing.status_code == 422
    assert "entity_id" in missing.text
