"""Capture a live store into files and Git; the core workflow: sandbox -> reviewable commit -> production."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from controller.access import AccessPolicy
from controller.catalog.files import load_directory
from controller.catalog.kinds import CAPTURED
from controller.catalog.model import CatalogInvalid
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.engine.snapshots import (
    capture_message,
    capture_to_directory,
    capture_to_git,
    resolve_git,
)
from controller.gitsource import GitCache
from controller.stores import BigCommerceStore, Token
from tests.conftest import PROD_TOKEN, ROOT, SANDBOX_TOKEN
from tests.support.builders import desired
from tests.support.gitservers import Remote

EXAMPLE = ROOT / "examples" / "catalog"


@pytest.fixture
async def production(emulator: Emulator) -> AsyncIterator[BigCommerceStore]:
    async with BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as store:
        _, result = await sync(store, load_directory(EXAMPLE))
        assert result.errors == []
        yield store


async def test_capture_then_plan_against_the_same_store_is_a_no_op(
    production: BigCommerceStore, tmp_path: Path
) -> None:
    await capture_to_directory(production, tmp_path / "captured")
    assessment = await assess(production, load_directory(tmp_path / "captured"))
    assert assessment.plan.in_sync
    assert assessment.drift.in_sync


async def test_a_capture_reads_the_store_once(production: BigCommerceStore, tmp_path: Path) -> None:
    before = production.requests
    await production.observe(CAPTURED)
    one_read = production.requests - before
    before = production.requests
    await capture_to_directory(production, tmp_path / "captured")
    # and one request more: whether the store has Catalog V2 option sets (it has none)
    assert production.requests - before == one_read + 1 > 1


async def test_capturing_an_unchanged_store_twice_gives_identical_files(
    production: BigCommerceStore, tmp_path: Path
) -> None:
    await capture_to_directory(production, tmp_path / "one")
    await capture_to_directory(production, tmp_path / "two")
    one = {
        p.relative_to(tmp_path / "one"): p.read_bytes()
        for p in (tmp_path / "one").rglob("*")
        if p.is_file()
    }
    two = {
        p.relative_to(tmp_path / "two"): p.read_bytes()
        for p in (tmp_path / "two").rglob("*")
        if p.is_file()
    }
    assert one == two
    assert set(one) >= {Path("products.jsonl"), Path("categories.yaml"), Path("brands.yaml")}


async def test_sandbox_changes_become_a_reviewable_commit_that_deploys_to_production(
    emulator: Emulator, production: BigCommerceStore, tmp_path: Path
) -> None:
    cache = GitCache(tmp_path / "cache", policy=AccessPolicy.personal())  # a local remote
    remote = Remote(tmp_path / "remotes")
    async with BigCommerceStore(emulator.url, "sandbox", Token(SANDBOX_TOKEN)) as sandbox:
        # Seed the sandbox from production (IDs differ, natural keys match), and record it on main.
        await sync(sandbox, to_catalog(await production.observe()))
        baseline = await capture_to_git(
            sandbox,
            cache,
            remote.url,
            "main",
            "catalog",
            environment="sandbox",
            store_hash="sandbox",
        )
        assert baseline.revision is not None
        # A merchandiser changes a price and adds a product in the sandbox, through the store API.
        async with httpx.AsyncClient(
            base_url=emulator.store_url("sandbox") + "/v3", headers={"X-Auth-Token": SANDBOX_TOKEN}
        ) as api:
            tee = (await api.get("/catalog/products", params={"sku": "RS-SHT-TECH-M"})).json()[
                "data"
            ][0]
            assert (
                await api.put(f"/catalog/products/{tee['id']}", json={"price": 42.0})
            ).status_code == 200
            created = await api.post(
                "/catalog/products",
                json={
                    "name": "Winter Beanie",
                    "sku": "NW-HAT-BEANIE",
                    "type": "physical",
                    "price": 29,
                    "weight": 0.1,
                },
            )
            assert created.status_code == 200
        staged = await capture_to_git(
            sandbox,
            cache,
            remote.url,
            "staged/sandbox",
            "catalog",
            environment="sandbox",
            store_hash="sandbox",
            author=("Mia", "mia@shop.test"),
        )
    assert staged.revision is not None
    assert staged.message.startswith("Capture sandbox (store sandbox): 31 products")
    diff = remote.bare.git.diff("--numstat", baseline.revision, staged.revision)
    assert diff.split() == ["2", "1", "catalog/products.jsonl"]  # one changed line, one added
    # Deploy that revision to production.
    resolved = await asyncio.to_thread(resolve_git, cache, remote.url, staged.revision, "catalog")
    _, result = await sync(production, resolved.catalog)
    assert result.outcomes == {"products": {"created": 1, "updated": 1}}
    observed = await production.observe()
    assert observed.products["rs-sht-tech-m"].fields["price"] == 42.0
    assert "nw-hat-beanie" in observed.products
    assert (await assess(production, resolved.catalog)).drift.in_sync
    assert (
        await capture_to_git(
            production,
            cache,
            remote.url,
            "staged/sandbox",
            "catalog",
            environment="production",
            store_hash="production",
        )
        is not None
    )


async def test_an_invalid_revision_is_refused_before_any_write(
    emulator: Emulator, production: BigCommerceStore, tmp_path: Path
) -> None:
    remote = Remote(tmp_path / "remotes")
    remote.commit({"catalog/products.jsonl": '{"sku": "A", "price": "free"}\n'})
    before = emulator.control("production").stats.to_json()["by_method"]
    with pytest.raises(
        CatalogInvalid, match=r"catalog/products\.jsonl:1: price: price must be a num"
    ):
        await asyncio.to_thread(
            resolve_git,
            GitCache(tmp_path / "cache", policy=AccessPolicy.personal()),
            remote.url,
            "main",
            "catalog",
        )
    assert emulator.control("production").stats.to_json()["by_method"] == before


def test_a_capture_commit_message_counts_in_words() -> None:
    """One product is "1 product", not "1 products", in the history a reviewer reads."""
    catalog = desired(
        [{"sku": "TEE", "name": "Tee", "type": "physical", "weight": 1, "price": 10}],
        ["Apparel", "Apparel/Shirts"],
        ["Acme"],
    )
    assert capture_message("sandbox", "abc123", catalog) == (
        "Capture sandbox (store abc123): 1 product, 1 brand, 2 categories"
    )
