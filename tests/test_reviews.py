"""Product reviews against the emulator over real HTTP: captured and cloned (never the reviewer's
name or email), and never deployed to production unless its environment asks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from controller.catalog.files import render
from controller.catalog.kinds import CAPTURED
from controller.catalog.model import Catalog, CatalogInvalid
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.planner import Options
from controller.stores import BigCommerceStore
from tests.support.builders import desired

PRODUCT = {"sku": "REV-1", "name": "Spade", "type": "physical", "price": 25, "weight": 2}
FIRST = {"date_reviewed": "2026-10-01T09:00:00+00:00", "title": "Solid", "rating": 5}
SECOND = {"date_reviewed": "2026-10-03T12:30:00+00:00", "title": "Heavy", "rating": 3}


def catalog(*reviews: dict[str, Any]) -> Catalog:
    return desired([{**PRODUCT, "reviews": [{"status": "approved", **r} for r in reviews]}])


async def reviewed_store(store: BigCommerceStore, prod: httpx.AsyncClient) -> str:
    """A product in production with two reviews that shoppers wrote; its reviews path."""
    await sync(store, desired([PRODUCT]))
    found = (await prod.get("/catalog/products", params={"sku": "REV-1"})).json()["data"][0]
    path = f"/catalog/products/{found['id']}/reviews"
    for review, who in ((FIRST, "ann"), (SECOND, "bo")):
        body = {**review, "status": "approved", "name": who, "email": f"{who}@example.test"}
        assert (await prod.post(path, json=body)).status_code == 200
    return path


async def test_reviews_are_captured_and_cloned_without_the_reviewers(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, sandbox = stores
    await reviewed_store(store, prod)
    files = render(to_catalog(await store.observe(CAPTURED)))
    assert '"title":"Solid"' in files["products.jsonl"]
    assert "ann" not in files["products.jsonl"]  # neither the name nor the email
    # a clone (reviews: yes) writes them to the sandbox, without anybody's name
    _, cloned = await sync(
        sandbox, to_catalog(await store.observe(CAPTURED)), Options(reviews=True)
    )
    assert cloned.errors == []
    assert render(to_catalog(await sandbox.observe(CAPTURED))) == files
    copied = (await sandbox.observe(CAPTURED)).products["rev-1"].reviews
    assert sorted(r.title for r in copied) == ["Heavy", "Solid"]


async def test_reviews_reach_production_only_when_asked(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    path = await reviewed_store(store, prod)
    # a release whose catalog has other reviews: production's stay as shoppers wrote them
    wanted = catalog({"date_reviewed": "2026-11-11T08:00:00+00:00", "title": "From staging"})
    plan = (await assess(store, wanted, Options(prune=True))).plan
    assert [s for s in plan.steps if s.kind == "reviews"] == []
    _, result = await sync(store, wanted, Options(prune=True))
    assert "reviews" not in result.outcomes
    assert len((await prod.get(path)).json()["data"]) == 2
    # asked (the environment's stagingpro.io/deploy-reviews, or --with-reviews): by the moment
    # and title, the reviewers' names left as they are
    asked = Options(prune=True, reviews=True)
    keys = {(s.action, s.key) for s in (await assess(store, wanted, asked)).plan.steps}
    assert keys == {
        ("create", "REV-1*2026-11-11T08:00:00+00:00 From staging"),
        ("delete", "REV-1*2026-10-01T09:00:00+00:00 Solid"),
        ("delete", "REV-1*2026-10-03T12:30:00+00:00 Heavy"),
    }
    kept = catalog(FIRST, {**SECOND, "text": "Heavy but good"})
    _, result = await sync(store, kept, asked)
    assert result.outcomes["reviews"] == {"updated": 1}
    names = {r["title"]: r["name"] for r in (await prod.get(path)).json()["data"]}
    assert names == {"Solid": "ann", "Heavy": "bo"}
    assert (await assess(store, kept, asked)).drift.in_sync


def test_a_reviewer_written_into_a_catalog_is_refused() -> None:
    with pytest.raises(CatalogInvalid, match="a reviewer's email is personal data"):
        catalog({**FIRST, "email": "ann@example.test"})
