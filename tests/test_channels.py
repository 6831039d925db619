"""Channels as a record kind: a two-channel store written from files, captured, cloned into a
sandbox by channel name and back, identical by natural keys."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.catalog.files import load_directory, write_directory
from controller.catalog.kinds import SHAREABLE, Kind
from controller.catalog.model import Catalog, CatalogInvalid
from controller.catalog.observed import to_catalog
from controller.cli import main
from controller.emulator import Emulator
from controller.emulator.resources.base import ListQuery
from controller.emulator.resources.channels import LIST
from controller.engine import assess, sync
from controller.engine.observation import Mode, Observation
from controller.planner import Options
from controller.stores import BigCommerceStore, Token
from tests.conftest import PROD_TOKEN, SANDBOX_TOKEN
from tests.test_customers import manifests, settle

EU = {
    "name": "EU",
    "type": "storefront",
    "platform": "bigcommerce",
    "status": "active",
    "site": {
        "url": "https://eu.example.test/",
        "routes": [
            {"type": "product", "matching": "*", "route": "/p/{slug}"},
            {"type": "home", "matching": "*", "route": "/"},
        ],
    },
    "currencies": {"enabled_currencies": ["EUR", "USD"], "default_currency": "EUR"},
}
POS = {"name": "Shop-Counter", "type": "pos", "platform": "square", "status": "connected"}


def _write(
    directory: Path, channels: list[dict[str, object]], products: list[dict[str, object]]
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "channels.yaml").write_text(yaml.safe_dump(channels))
    (directory / "products.jsonl").write_text("".join(json.dumps(p) + "\n" for p in products))


PRODUCTS = [
    {
        "categories": ["Apparel/Shoes", "EU:Apparel/Shoes", "EU:Outlet"],
        "sku": "BOOT",
        "name": "Boot",
        "type": "physical",
        "price": 90,
        "weight": 1,
        "channels": ["default", "EU"],
    },
    {
        "sku": "SOCK",
        "name": "Sock",
        "type": "physical",
        "price": 5,
        "weight": 0.1,
        "channels": ["EU", "Shop-Counter"],
    },
    {
        "sku": "HAT",
        "name": "Hat",
        "type": "physical",
        "price": 20,
        "weight": 0.2,
        "channels": ["default"],
    },
]


def _write_trees(directory: Path) -> None:
    """The same paths in the first storefront's tree and in EU's."""
    categories = [
        {"path": "Apparel"},
        {"path": "Apparel/Shoes", "description": "Shoes"},
        {"path": "Apparel", "channel": "EU"},
        {"path": "Apparel/Shoes", "channel": "EU", "description": "Chaussures"},
        {"path": "Outlet", "channel": "EU"},
    ]
    (directory / "categories.yaml").write_text(yaml.safe_dump(categories))


def _write_content(directory: Path) -> None:
    """The same URL, path and script name on both storefronts, told apart by channel name."""
    pages = directory / "content" / "pages"
    pages.mkdir(parents=True)
    for name, channel in (("about.yaml", None), ("eu-about.yaml", "EU")):
        page = {"url": "/about/", "name": f"About {channel or 'us'}", "type": "page", "body": "Hi"}
        (pages / name).write_text(
            yaml.safe_dump({**page, **({"channel": channel} if channel else {})})
        )
        # a child page names its parent by URL: the page of that URL in its own channel
        child = {
            **page,
            "url": "/about/team/",
            "name": f"Team {channel or 'us'}",
            "parent": "/about/",
        }
        (pages / f"team-{name}").write_text(
            yaml.safe_dump({**child, **({"channel": channel} if channel else {})})
        )
    redirects = [
        {"from_path": "/old/", "to_url": "/about/"},
        {"from_path": "/old/", "to_url": "/about/", "channel": "EU"},
    ]
    (directory / "content" / "redirects.yaml").write_text(yaml.safe_dump(redirects))
    script = {"name": "Analytics", "kind": "src", "src": "https://cdn.example.test/a.js"}
    scripts = [script, {**script, "channel": "EU", "src": "https://cdn.example.test/eu.js"}]
    (directory / "scripts.yaml").write_text(yaml.safe_dump(scripts))


def sandbox_query() -> ListQuery:
    return ListQuery(LIST, {})


def _channels_of(catalog: Catalog) -> tuple[dict[str, object], dict[str, object]]:
    channels = {name: dict(c.fields) for name, c in (catalog.channels or {}).items()}
    assigned = {sku: sorted(p.channels or ()) for sku, p in catalog.products.items()}
    return channels, assigned


async def test_a_two_channel_store_is_cloned_into_a_sandbox_and_back_by_name(
    stores: tuple[BigCommerceStore, BigCommerceStore], tmp_path: Path
) -> None:
    production, sandbox = stores
    _write(tmp_path / "catalog", [EU, POS], PRODUCTS)
    _write_content(tmp_path / "catalog")
    _write_trees(tmp_path / "catalog")
    _, result = await sync(production, load_directory(tmp_path / "catalog"))
    assert result.errors == []
    source = to_catalog(await production.observe(SHAREABLE))
    assert {key: page.parent for key, page in (source.pages or {}).items()} == {
        "/about/": "",
        "/about/team/": "/about/",
        "EU:/about/": "",
        "EU:/about/team/": "EU:/about/",
    }
    assert sorted(source.redirects or {}) == ["/old/", "EU:/old/"]
    assert sorted(source.scripts or {}) == ["Analytics", "EU:Analytics"]
    trees = sorted((c.key, c.fields.get("description")) for c in (source.categories or {}).values())
    assert trees == [
        ("Apparel", ""),
        ("Apparel/Shoes", "Shoes"),
        ("EU:Apparel", ""),
        ("EU:Apparel/Shoes", "Chaussures"),
        ("EU:Outlet", ""),
    ]
    categorised = sorted(source.products["boot"].categories or ())
    assert categorised == ["apparel/shoes", "eu:apparel/shoes", "eu:outlet"]
    channels, assigned = _channels_of(source)
    assert sorted(channels) == ["EU", "Shop-Counter"]
    assert channels["EU"]["site"] == {
        "url": "https://eu.example.test/",
        "routes": [
            {"type": "home", "matching": "*", "route": "/"},
            {"type": "product", "matching": "*", "route": "/p/{slug}"},
        ],
    }
    assert channels["EU"]["currencies"] == EU["currencies"]
    assert assigned == {
        "boot": ["EU", "default"],
        "sock": ["EU", "Shop-Counter"],
        "hat": ["default"],
    }

    options = Options(prune=True, allow_mass_delete=True)
    _, cloned = await sync(sandbox, source, options)
    assert cloned.errors == []
    copy = to_catalog(await sandbox.observe(SHAREABLE))
    assert _channels_of(copy) == (channels, assigned)
    assert copy.products["boot"].categories == source.products["boot"].categories
    for kind in ("pages", "redirects", "scripts", "categories"):
        assert getattr(copy, kind) == getattr(source, kind), kind
    eu_ids = [  # the same channel has another id in each store
        {c.name: c.id for c in (await store.observe({Kind.CHANNELS})).channels.values()}["EU"]  # type: ignore[union-attr]
        for store in (production, sandbox)
    ]
    assert eu_ids[0] != eu_ids[1]
    back = await assess(production, copy, options)
    assert back.plan.in_sync, back.plan.steps


async def test_captured_channels_round_trip_through_files_and_a_change_is_planned_by_name(
    stores: tuple[BigCommerceStore, BigCommerceStore], tmp_path: Path
) -> None:
    production, _ = stores
    _write(tmp_path / "catalog", [EU], PRODUCTS[:1])
    _write_trees(tmp_path / "catalog")
    _write_content(tmp_path / "catalog")
    _, result = await sync(production, load_directory(tmp_path / "catalog"))
    assert result.errors == []
    write_directory(to_catalog(await production.observe(SHAREABLE)), tmp_path / "captured")
    written = yaml.safe_load((tmp_path / "captured" / "channels.yaml").read_text())
    assert [c["name"] for c in written] == ["EU"]  # the first storefront is implied
    pages = [yaml.safe_load(p.read_text()) for p in (tmp_path / "captured").rglob("pages/*")]
    team = {p.get("channel", "default"): p["parent"] for p in pages if p["url"] == "/about/team/"}
    assert team == {"default": "/about/", "EU": "/about/"}  # a URL of the page's own channel
    captured = load_directory(tmp_path / "captured")
    assert (await assess(production, captured)).plan.in_sync

    moved = {**EU, "site": {"url": "https://shop.example.eu/", "routes": EU["site"]["routes"][:1]}}  # type: ignore[index]
    _write(tmp_path / "changed", [moved], [{**PRODUCTS[0], "channels": ["EU"]}])
    _write_trees(tmp_path / "changed")
    assessment = await assess(production, load_directory(tmp_path / "changed"))
    changed = {(s.kind, s.key) for s in assessment.plan.steps}
    assert changed == {(Kind.CHANNELS, "EU"), (Kind.PRODUCTS, "BOOT")}
    _, result = await sync(production, load_directory(tmp_path / "changed"))
    assert result.errors == []
    assert (await assess(production, load_directory(tmp_path / "changed"))).plan.in_sync


async def test_a_two_channel_store_in_sync_stays_in_sync_at_the_next_incremental_check(
    stores: tuple[BigCommerceStore, BigCommerceStore], tmp_path: Path
) -> None:
    production, _ = stores
    _write(tmp_path / "catalog", [EU, POS], PRODUCTS)
    _write_content(tmp_path / "catalog")
    _write_trees(tmp_path / "catalog")
    desired = load_directory(tmp_path / "catalog")
    assert (await sync(production, desired))[1].errors == []
    observation, now = Observation(), datetime.now(UTC)
    for mode in (Mode.FULL, Mode.INCREMENTAL):
        checked = await observation.assess(production, desired, Options(), now=now, resync=3600)
        assert observation.mode is mode
        assert checked.plan.in_sync, checked.plan.steps
        assert checked.drift.in_sync


async def test_a_channel_left_out_of_a_pruning_catalog_is_deleted_as_the_api_deletes_one(
    stores: tuple[BigCommerceStore, BigCommerceStore], tmp_path: Path
) -> None:
    production, _ = stores
    _write(tmp_path / "two", [EU, POS], [])
    assert (await sync(production, load_directory(tmp_path / "two")))[1].errors == []
    _write(tmp_path / "one", [EU], [])
    options = Options(prune=True, allow_mass_delete=True)
    _, result = await sync(production, load_directory(tmp_path / "one"), options)
    assert result.errors == []
    observed = await production.observe({Kind.CHANNELS})
    assert sorted(c.name for c in (observed.channels or {}).values()) == ["EU", "Production Store"]


async def test_a_sandbox_clone_says_which_channels_it_could_not_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = Emulator(quota=0)
    emu.add_store("production", PROD_TOKEN, name="Production", other_currencies="EUR,JPY")
    emu.add_store("sandbox", SANDBOX_TOKEN, name="Sandbox")  # no yen set up
    japan = {
        "name": "JP",
        "type": "storefront",
        "platform": "bigcommerce",
        "currencies": {"enabled_currencies": ["JPY"], "default_currency": "JPY"},
    }
    async with emu:
        async with BigCommerceStore(emu.url, "production", Token(PROD_TOKEN)) as production:
            _write(tmp_path / "catalog", [EU, japan], PRODUCTS[:1])
            _write_trees(tmp_path / "catalog")
            assert (await sync(production, load_directory(tmp_path / "catalog")))[1].errors == []
        world = manifests(tmp_path, emu, {"enabled": False})
        await settle(world, tmp_path, emu)
        clone = world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]
        assert clone["channels"] == ["EU"]
        assert len(clone["unmappedChannels"]) == 1
        assert clone["unmappedChannels"][0].startswith("JP: ")
        assert "JPY" in clone["unmappedChannels"][0]
        sandbox = emu.db.bind("sandbox")
        names = [c["name"] for c in sandbox.channels.find(sandbox_query(), False).items]
        assert names[0] == "Sandbox"  # its first storefront keeps its own name
        assert "EU" in names
    capsys.readouterr()
    assert main(["status", "--state", str(tmp_path / "state")]) == 0
    shown = capsys.readouterr().out
    assert "shop/sandbox: channels of production not mapped by name:" in shown
    assert "  JP: " in shown


async def test_a_product_put_on_another_channel_or_category_elsewhere_is_seen_at_the_next_incremental_check(
    stores: tuple[BigCommerceStore, BigCommerceStore], tmp_path: Path
) -> None:
    production, _ = stores
    _write(tmp_path / "catalog", [EU], [{**PRODUCTS[2], "categories": ["Apparel"]}])
    _write_trees(tmp_path / "catalog")
    desired = load_directory(tmp_path / "catalog")
    assert (await sync(production, desired))[1].errors == []
    observation = Observation()

    async def check() -> list[tuple[Kind, str]]:
        now = datetime.now(UTC)
        checked = await observation.assess(production, desired, Options(), now=now, resync=3600)
        return [(s.kind, s.key) for s in checked.plan.steps]

    async def hat() -> dict[str, Any]:
        [found] = await production.data("GET", "/v3/catalog/products", "", params={"sku": "HAT"})
        return found  # type: ignore[no-any-return]

    assert await check() == []
    product_id = (await hat())["id"]
    eu = (await production.channels())["EU"]
    trees = await production.data("GET", "/v3/catalog/trees/categories", "")
    [outlet] = [c["category_id"] for c in trees if c["name"] == "Outlet"]
    for path, body in (
        ("channel-assignments", [{"product_id": product_id, "channel_id": eu}]),
        ("category-assignments", [{"product_id": product_id, "category_id": outlet}]),
    ):
        # the next check reads what changed from a second after the product's last change (the
        # store's clock has a second's resolution): let the clock pass that moment first
        since = datetime.fromisoformat((await hat())["date_modified"]) + timedelta(seconds=1)
        observation.since = since
        await asyncio.sleep(max(0.0, (since - datetime.now(UTC)).total_seconds() + 0.01))
        await production.request("PUT", f"/v3/catalog/products/{path}", json=body)
        assert await check() == [(Kind.PRODUCTS, "HAT")], path
        assert observation.mode is Mode.INCREMENTAL
        assert (await sync(production, desired))[1].errors == []  # back as the catalog says
        assert await check() == []


def test_a_page_whose_parent_is_on_another_channel_is_refused_naming_it(tmp_path: Path) -> None:
    _write(tmp_path, [EU], PRODUCTS[:1])
    pages = tmp_path / "content" / "pages"
    pages.mkdir(parents=True)
    page = {"url": "/about/", "name": "About", "type": "page", "body": "Hi", "channel": "EU"}
    (pages / "about.yaml").write_text(yaml.safe_dump(page))
    child = {**page, "url": "/team/", "name": "Team", "channel": "default", "parent": "EU:/about/"}
    (pages / "team.yaml").write_text(yaml.safe_dump(child))
    with pytest.raises(CatalogInvalid) as refused:
        load_directory(tmp_path)
    assert "team.yaml" in str(refused.value)
    assert "'EU:/about/' is a page of another channel than this page's" in str(refused.value)
