"""A release scoped to one channel: the EU release changes the EU tree, the EU assignments and
the EU content, and leaves the US tree, the US assignments and store-wide records as they were;
the plan names the channel of each change."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.catalog.files import load_directory
from controller.catalog.kinds import SHAREABLE, Action, Kind
from controller.catalog.model import Catalog
from controller.catalog.observed import (
    ObservedAssignment,
    ObservedChannel,
    ObservedWidgetTemplate,
    to_catalog,
)
from controller.catalog.parse import Item, build_catalog, from_inline
from controller.cli import main
from controller.cli.cluster_cmds import plan_text
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.planner import STORE_WIDE, Options, plan
from controller.reconcile.services import Services
from controller.stores import BigCommerceStore
from tests import test_planner_commerce as commerce
from tests.conftest import PROD_TOKEN
from tests.support.builders import observed
from tests.test_reconcilers import FakeWorld, reconcile

# the reconcilers' fixtures: a fake World holding production, and its services
from tests.test_reconcilers import services as services
from tests.test_reconcilers import world as world


def channel(name: str, host: str, currency: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "storefront",
        "platform": "bigcommerce",
        "status": "active",
        "site": {"url": f"https://{host}/", "routes": []},
        "currencies": {"enabled_currencies": [currency], "default_currency": currency},
    }


CHANNELS = [channel("US", "us.example.test", "USD"), channel("EU", "eu.example.test", "EUR")]


def product(sku: str, price: float, categories: list[str], channels: list[str]) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": sku.title(),
        "type": "physical",
        "price": price,
        "weight": 1,
        "categories": categories,
        "channels": channels,
    }


def write(directory: Path, release: dict[str, Any]) -> Path:
    """A catalog directory of channels, trees, products, pages, redirects and scripts."""
    pages = directory / "content" / "pages"
    pages.mkdir(parents=True)
    (directory / "channels.yaml").write_text(yaml.safe_dump(CHANNELS))
    (directory / "categories.yaml").write_text(yaml.safe_dump(release["categories"]))
    products = "".join(json.dumps(p) + "\n" for p in release["products"])
    (directory / "products.jsonl").write_text(products)
    for n, page in enumerate(release["pages"]):
        (pages / f"{n}.yaml").write_text(yaml.safe_dump(page))
    redirects = yaml.safe_dump(release["redirects"])
    (directory / "content" / "redirects.yaml").write_text(redirects)
    (directory / "scripts.yaml").write_text(yaml.safe_dump(release["scripts"]))
    if release.get("brands"):
        (directory / "brands.yaml").write_text(yaml.safe_dump(release["brands"]))
    return directory


def page(channel: str, body: str) -> dict[str, Any]:
    return {
        "url": "/about/",
        "name": f"About {channel}",
        "type": "page",
        "body": body,
        "channel": channel,
    }


def script(channel: str, src: str) -> dict[str, Any]:
    return {"name": "Analytics", "kind": "src", "src": src, "channel": channel}


V1 = {
    "categories": [
        {"path": "Apparel", "channel": "US"},
        {"path": "Apparel/Shoes", "channel": "US", "description": "Shoes"},
        {"path": "Apparel", "channel": "EU"},
        {"path": "Apparel/Shoes", "channel": "EU", "description": "Chaussures"},
        {"path": "Outlet", "channel": "EU"},
    ],
    "products": [
        product("BOOT", 90, ["US:Apparel/Shoes", "EU:Apparel/Shoes"], ["US", "EU"]),
        product("SOCK", 5, ["EU:Outlet"], ["EU"]),
        product("HAT", 20, ["US:Apparel"], ["US"]),
    ],
    "pages": [page("US", "Hi"), page("EU", "Bonjour")],
    "redirects": [
        {"from_path": "/old/", "to_url": "/about/", "channel": "US"},
        {"from_path": "/old/", "to_url": "/about/", "channel": "EU"},
    ],
    "scripts": [
        script("US", "https://cdn.example.test/us.js"),
        script("EU", "https://cdn.example.test/eu.js"),
    ],
}

# The next release changes both channels and store-wide records.
V2 = {
    "categories": [
        {"path": "Apparel", "channel": "US"},
        {"path": "Apparel/Shoes", "channel": "US", "description": "Shoes and boots"},
        {"path": "Apparel/Hats", "channel": "US"},
        {"path": "Apparel", "channel": "EU"},
        {"path": "Apparel/Shoes", "channel": "EU", "description": "Chaussures et bottes"},
        {"path": "Sale", "channel": "EU"},
    ],
    "products": [
        product("BOOT", 95, ["US:Apparel/Shoes", "EU:Sale"], ["US", "EU"]),
        product("SOCK", 5, ["EU:Sale"], ["EU"]),
        product("HAT", 20, ["US:Apparel/Hats", "EU:Sale"], ["US", "EU"]),
        product("CAP", 15, ["US:Apparel/Hats"], ["US"]),
    ],
    "pages": [page("EU", "Bonjour à tous")],  # the US page is gone from the catalog
    "redirects": [
        {"from_path": "/old/", "to_url": "/about-us/", "channel": "US"},
        {"from_path": "/old/", "to_url": "/about/", "channel": "EU"},
    ],
    "scripts": [
        script("US", "https://cdn.example.test/us.js"),
        script("EU", "https://cdn.example.test/eu2.js"),
    ],
    "brands": [{"name": "Acme"}],
}


def inline(release: dict[str, Any]) -> dict[str, Any]:
    """A release as the `inline` source of a CatalogSnapshot."""
    return {**release, "channels": CHANNELS}


def build_catalog_of(release: dict[str, Any]) -> Catalog:
    """A release as a catalog, the way an inline CatalogSnapshot holds it."""
    return from_inline(inline(release))


def eu_release(snapshot: str) -> dict[str, Any]:
    """A StoreDeployment's spec: the snapshot to production's EU storefront, EU scoped, pruning."""
    return {
        "storefronts": [
            {"environment": "production", "channels": ["EU"], "catalogScope": "channel"}
        ],
        "catalog": {"snapshotRef": {"name": snapshot}},
        "strategy": {"prune": True, "maxDeletePercent": 100},
        "approval": {"required": False},
    }


EU_ONLY = Options(prune=True, allow_mass_delete=True, channel="EU")


def of_channel(catalog: Catalog, name: str) -> dict[str, Any]:
    """What a channel has: its tree, its content, and each product's assignments to it."""
    prefix = f"{name.casefold()}:"

    def records(kind: Mapping[str, Any] | None) -> dict[str, Any]:
        return {
            r.key: dict(r.fields) for r in (kind or {}).values() if r.fields.get("channel") == name
        }

    return {
        "tree": records(catalog.categories),
        "pages": records(catalog.pages),
        "redirects": records(catalog.redirects),
        "scripts": records(catalog.scripts),
        "sold": sorted(p.sku for p in catalog.products.values() if name in (p.channels or ())),
        "categorised": {
            p.sku: sorted(c for c in p.categories or () if c.startswith(prefix))
            for p in catalog.products.values()
        },
    }


def store_wide(catalog: Catalog) -> dict[str, Any]:
    return {
        "products": {p.sku: p.fields.get("price") for p in catalog.products.values()},
        "brands": sorted(catalog.brands or {}),
    }


async def test_an_eu_release_changes_the_eu_tree_and_assignments_and_leaves_the_us_ones(
    stores: tuple[BigCommerceStore, BigCommerceStore], tmp_path: Path
) -> None:
    production, _ = stores
    _, first = await sync(production, load_directory(write(tmp_path / "v1", V1)))
    assert first.errors == []
    before = to_catalog(await production.observe(SHAREABLE))
    assert len(of_channel(before, "US")["tree"]) == 2
    release = load_directory(write(tmp_path / "v2", V2))

    planned = (await assess(production, release, EU_ONLY)).plan

    assert planned.problems == ()
    changes = {(s.kind, s.action, s.key, s.channel) for s in planned.steps}
    assert changes == {
        (Kind.CATEGORIES, Action.UPDATE, "EU:Apparel/Shoes", "EU"),
        (Kind.CATEGORIES, Action.CREATE, "EU:Sale", "EU"),
        (Kind.CATEGORIES, Action.DELETE, "EU:Outlet", "EU"),
        (Kind.PRODUCTS, Action.UPDATE, "BOOT", None),
        (Kind.PRODUCTS, Action.UPDATE, "SOCK", None),
        (Kind.PRODUCTS, Action.UPDATE, "HAT", None),
        (Kind.PAGES, Action.UPDATE, "EU:/about/", "EU"),
        (Kind.SCRIPTS, Action.UPDATE, "EU:Analytics", "EU"),
    }
    assert all(s.channels() == ["EU"] for s in planned.steps)
    hat = next(s for s in planned.steps if s.key == "HAT")
    assert {(c.field, c.channel, tuple(c.before), tuple(c.after)) for c in hat.changes} == {
        ("categories", "EU", (), ("eu:sale",)),
        ("channels", "EU", (), ("EU",)),
    }
    # left out: two US categories, a US redirect, the US page's delete, BOOT's price, HAT's US
    # category, a new product and a new brand
    assert planned.out_of_scope == 8
    assert planned.channel_totals() == {"EU": 8}

    _, applied = await sync(production, release, EU_ONLY)

    assert applied.errors == []
    after = to_catalog(await production.observe(SHAREABLE))
    assert of_channel(after, "US") == of_channel(before, "US")
    assert store_wide(after) == store_wide(before)
    assert sorted(of_channel(after, "EU")["tree"]) == ["EU:Apparel", "EU:Apparel/Shoes", "EU:Sale"]
    assert of_channel(after, "EU")["sold"] == ["BOOT", "HAT", "SOCK"]
    assert of_channel(after, "EU")["categorised"] == {
        "BOOT": ["eu:sale"],
        "SOCK": ["eu:sale"],
        "HAT": ["eu:sale"],
    }
    assert after.scripts is not None
    assert after.scripts["EU:Analytics"].fields["src"] == "https://cdn.example.test/eu2.js"
    assert (await assess(production, release, EU_ONLY)).plan.in_sync
    misspelt = (await assess(production, release, replace(EU_ONLY, channel="Eu"))).plan
    assert misspelt.problems == (
        "the plan is scoped to channel 'Eu', which neither the store nor the catalog has "
        "(channels: EU, US, default)",
    )
    # what remains of the release belongs to the US channel or to the whole store
    rest = (await assess(production, release, Options(prune=True, allow_mass_delete=True))).plan
    assert set(rest.channel_totals()) == {"US", STORE_WIDE}


async def test_stagingpro_plan_names_the_channel_of_each_change(
    emulator: Emulator, stores: tuple[BigCommerceStore, BigCommerceStore], tmp_path: Path
) -> None:
    production, _ = stores
    assert (await sync(production, load_directory(write(tmp_path / "v1", V1))))[1].errors == []
    write(tmp_path / "v2", V2)
    env = {**os.environ, "STAGINGPRO_STORE_TOKEN": PROD_TOKEN, "NO_COLOR": "1"}
    store = emulator.store_url("production")

    async def cli_plan(*args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "controller", "plan", str(tmp_path / "v2"), "--store", store,
            *args, env=env, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 2, out
        return out.decode()

    table = await cli_plan()
    assert "by channel: EU 7, US 4, (store) 3" in table
    assert "~ categories EU:Apparel/Shoes [EU]: description 'Chaussures' -> " in table
    assert "~ categories US:Apparel/Shoes [US]: description 'Shoes' -> " in table
    assert (
        '~ products HAT: categories [EU] [] -> ["eu:sale"], categories [US] ["us:apparel"] -> '
        '["us:apparel/hats"], channels [EU] [] -> ["EU"]'
    ) in table

    scoped = json.loads(
        await cli_plan("--channel", "EU", "--prune", "--allow-mass-delete", "-o", "json")
    )
    assert scoped["channelCounts"] == {"EU": {"create": 1, "update": 6, "delete": 1}}
    assert scoped["outOfScope"] == 8
    page = await cli_plan("--channel", "EU", "--prune", "--allow-mass-delete", "-o", "html")
    assert '<code>EU:Sale</code> <span class="channel">EU</span>' in page
    assert "<td><code>categories [EU]</code></td>" in page
    assert "By channel: EU 8." in page
    assert "8 changes of the catalog outside the channel planned for (left out)." in page
    boot = next(s for s in scoped["steps"] if s["key"] == "BOOT")
    assert boot["channel"] is None
    assert boot["changes"] == [
        {
            "field": "categories",
            "before": ["eu:apparel/shoes"],
            "after": ["eu:sale"],
            "channel": "EU",
        }
    ]


async def test_a_storefront_scoped_to_its_channel_releases_only_that_channel(
    world: FakeWorld,
    services: Services,
    stores: tuple[BigCommerceStore, BigCommerceStore],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    production, _ = stores
    assert (await sync(production, build_catalog_of(V1)))[1].errors == []
    before = to_catalog(await production.observe(SHAREABLE))
    world.objects[("StoreEnvironment", "shop", "production")]["spec"]["channels"] = [
        {"name": "US", "timezone": "America/New_York"},
        {"name": "EU", "timezone": "Europe/Paris"},
    ]
    world.put("CatalogSnapshot", "v2", {"source": {"inline": inline(V2)}})
    world.put("StoreDeployment", "eu-release", eu_release("v2"))
    await reconcile(world, services, world.read("CatalogSnapshot", "v2"))

    await reconcile(world, services, world.read("StoreDeployment", "eu-release"))

    target = world.read("StoreDeployment", "eu-release")["status"]["targets"][0]
    assert (target["name"], target["phase"]) == ("production/EU", "Succeeded")
    assert target["catalogScope"] == "channel"
    assert target["planChannels"] == {"EU": {"create": 1, "update": 6, "delete": 1}}
    assert target["outOfScope"] == 8
    assert plan_text(target).endswith(" (EU only; 8 changes left out)")  # stagingpro approve
    state = tmp_path / "state" / "status" / "StoreDeployment" / "shop"
    state.mkdir(parents=True)
    status = world.read("StoreDeployment", "eu-release")["status"]
    (state / "eu-release.json").write_text(json.dumps({"status": status}))
    capsys.readouterr()
    assert main(["status", "--state", str(tmp_path / "state")]) == 0
    assert "production/EU (EU only; 8 changes left out): Succeeded" in capsys.readouterr().out
    after = to_catalog(await production.observe(SHAREABLE))
    assert of_channel(after, "US") == of_channel(before, "US")
    assert store_wide(after) == store_wide(before)
    assert sorted(of_channel(after, "EU")["tree"]) == ["EU:Apparel", "EU:Apparel/Shoes", "EU:Sale"]
    assert of_channel(after, "EU")["sold"] == ["BOOT", "HAT", "SOCK"]


def test_a_channel_scoped_plan_keeps_to_that_channels_price_list_assignments() -> None:
    found = commerce.store(Wholesale={})
    found.price_lists = {4: commerce.trade()}
    found.channels = {1: ObservedChannel(1, "Shop", {}), 6: ObservedChannel(6, "EU", {})}
    found.price_list_assignments = {
        1: ObservedAssignment(1, 4, 3, 6),  # Trade for Wholesale on EU
        2: ObservedAssignment(2, 4, 0, 1),  # Trade for everyone on the first storefront
    }
    wanted = commerce.assignments({"price_list": "Trade", "channel": "EU"})  # everyone on EU

    scoped = plan(wanted, found, Options(prune=True, allow_mass_delete=True, channel="EU"))

    assert sorted((s.action, s.key, s.channel) for s in scoped.steps) == [
        (Action.CREATE, "Trade |  | EU", "EU"),
        (Action.DELETE, "Trade | Wholesale | EU", "EU"),
    ]
    assert scoped.out_of_scope == 1  # the first storefront's assignment is not pruned
    # at most maxDeletePercent of the channel's own: here 1 of 1, though 1 of the store's 2
    kept = commerce.assignments({"price_list": "Trade", "channel": "EU"}, {"price_list": "Trade"})
    limited = plan(kept, found, Options(prune=True, max_delete_percent=60, channel="EU"))
    assert limited.problems == (
        "the plan deletes 1 of 1 priceListAssignments of channel EU (100%), more than "
        "maxDeletePercent 60%",
    )
    assert plan(kept, found, Options(prune=True, max_delete_percent=60)).problems == ()
    # the first storefront by the store's name for it (as environments declare channels)
    shop = plan(wanted, found, Options(prune=True, allow_mass_delete=True, channel="Shop"))
    assert [(s.action, s.key, s.channel) for s in shop.steps] == [
        (Action.DELETE, "Trade |  | default", "default")
    ]


def test_eu_widgets_are_eu_changes_and_need_their_store_wide_template_in_the_store() -> None:
    banner = {"name": "Banner", "template": "<p>{{t}}</p>"}
    widgets = [
        {"template": "Banner", "name": "Hero", "widget_configuration": {"t": 1}},
        {"template": "Banner", "name": "Held", "widget_configuration": {"t": 2}, "channel": "EU"},
    ]
    wanted = build_catalog(
        {
            Kind.WIDGET_TEMPLATES: [Item(banner)],
            Kind.WIDGETS: [Item(w) for w in widgets],
        }
    )
    store = observed()
    store.widget_templates, store.widgets = {}, {}
    store.channels = {1: ObservedChannel(1, "Shop", {}), 6: ObservedChannel(6, "EU", {})}

    whole = plan(wanted, store)
    assert {(s.kind, s.key, s.channel) for s in whole.steps} == {
        (Kind.WIDGET_TEMPLATES, "Banner", None),
        (Kind.WIDGETS, "Banner/Hero", "default"),
        (Kind.WIDGETS, "Banner/Held", "EU"),
    }
    assert whole.problems == ()

    eu = plan(wanted, store, Options(channel="EU"))
    assert [(s.kind, s.key) for s in eu.steps] == [(Kind.WIDGETS, "Banner/Held")]
    assert eu.problems == (
        "widget 'Banner/Held': template names widget template 'Banner', which the store does "
        "not have yet and a plan scoped to channel EU does not create (release it to the "
        "whole store first)",
    )
    store.widget_templates = {"Banner": ObservedWidgetTemplate("t1", "Banner", {})}
    assert plan(wanted, store, Options(channel="EU")).problems == ()
