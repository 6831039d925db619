"""A two-storefront store cloned into a sandbox and back into a third store: category trees,
product assignments, each channel's active theme (with its configuration settings) and the
content of both storefronts are identical by natural keys."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.catalog.files import load_directory
from controller.catalog.kinds import SHAREABLE
from controller.catalog.model import Catalog, CatalogInvalid
from controller.catalog.observed import to_catalog
from controller.cli import main
from controller.emulator import Emulator
from controller.engine import sync
from controller.engine.content import release_theme
from controller.engine.theme_carry import ThemeCarrier, active_themes
from controller.standalone import FileWorld, Loop, services_for
from controller.stores import BigCommerceStore, Token
from tests.conftest import PROD_TOKEN, SANDBOX_TOKEN
from tests.support.manifests import access_to, write_secret
from tests.test_channels import EU, _write_trees
from tests.test_content import (
    ASSOCIATIONS,
    LAYOUTS,
    PAGES,
    PLACEMENTS,
    REDIRECTS,
    REGIONS,
    WIDGETS,
    write_catalog,
)
from tests.test_customers import manifests as customer_manifests
from tests.test_customers import settle

RESTORED_TOKEN = "restored-token-5555555555"
TOKENS = {"production": PROD_TOKEN, "sandbox": SANDBOX_TOKEN, "restored": RESTORED_TOKEN}
CONTENT_KINDS = (
    "categories",
    "pages",
    "redirects",
    "template_associations",
    "widget_templates",
    "widgets",
    "placements",
    "page_layouts",
    "blog_posts",
)


def theme_files() -> dict[str, bytes]:
    """A Stencil theme of two variations with custom templates and the regions of `REGIONS`."""
    config = {
        "name": "Outfitters",
        "version": "1.0.0",
        "settings": {"color": "#ffffff", "font": "Karla"},
        "variations": [
            {"name": "Light", "settings": {}},
            {"name": "Bold", "settings": {"color": "#000000", "bg": "dark"}},
        ],
    }
    files = {
        "config.json": json.dumps(config).encode(),
        "templates/pages/custom/product/sale.html": b"<h1>Sale</h1>",
        "templates/pages/custom/page/landing.html": b"<h1>Landing</h1>",
    }
    for template, regions in REGIONS.items():
        body = "".join(f'{{{{{{region name="{r}"}}}}}}' for r in regions)
        files[f"templates/{template}.html"] = body.encode()
    return files


def write_two_storefronts(root: Path) -> None:
    """Content on both storefronts, two category trees, products sold on either or both."""
    eu_pages = {f"eu-{n}": {**p, "channel": "EU"} for n, p in PAGES.items() if "url" in p}
    eu_pages = {n: p for n, p in eu_pages.items() if "parent" not in p}
    eu_redirects = [{**r, "channel": "EU"} for r in REDIRECTS if "to_url" in r or "to_product" in r]
    write_catalog(root, {**PAGES, **eu_pages}, REDIRECTS + eu_redirects)
    (root / "channels.yaml").write_text(yaml.safe_dump([EU]))
    categories = yaml.safe_load((root / "categories.yaml").read_text())
    _write_trees(root)
    both = categories + yaml.safe_load((root / "categories.yaml").read_text())
    (root / "categories.yaml").write_text(yaml.safe_dump(both))
    shoe = {"sku": "SHOE-1", "name": "Shoe", "type": "physical", "price": 10, "weight": 1}
    products = [
        {**shoe, "channels": ["default", "EU"], "categories": ["Footwear/Running", "EU:Outlet"]},
        {**shoe, "sku": "SOCK", "name": "Sock", "channels": ["EU"], "categories": ["EU:Outlet"]},
    ]
    (root / "products.jsonl").write_text("".join(json.dumps(p) + "\n" for p in products))
    eu = {"channel": "EU"}  # the same content on EU's storefront, named so
    for name, extra in (
        ("widgets.yaml", [{**WIDGETS[0], **eu, "name": "Hero EU"}]),
        ("placements.yaml", [{**PLACEMENTS[3], **eu, "widget": "Holiday banner/Hero EU"}]),
        ("custom-templates.yaml", [{**ASSOCIATIONS[0], **eu}]),
    ):
        path = root / "content" / name
        path.write_text(yaml.safe_dump(yaml.safe_load(path.read_text()) + extra))
    (root / "content" / "layouts" / "eu-home.yaml").write_text(
        yaml.safe_dump({**LAYOUTS["home.yaml"], **eu})
    )


def manifests(root: Path, emulator: Emulator) -> FileWorld:
    """Production, a sandbox cloned from it, and a third store cloned from the sandbox."""
    world = customer_manifests(root, emulator, {"enabled": False})
    write_secret(
        root / "s",
        "restored",
        "shop",
        RESTORED_TOKEN,
        store_hash="restored",
        api_origin=emulator.url,
    )
    docs = list(yaml.safe_load_all((root / "m" / "all.yaml").read_text()))
    restored = copy.deepcopy(docs[1])
    restored["metadata"]["name"] = restored["spec"]["store"]["hash"] = "restored"
    restored["spec"]["store"]["credentialsSecretRef"]["name"] = "restored"
    restored["spec"]["cloneFrom"]["name"] = "sandbox"
    (root / "m" / "all.yaml").write_text(yaml.safe_dump_all([*docs, restored]))
    return world


def by_natural_keys(catalog: Catalog) -> dict[str, Any]:
    """What the proof compares: channels, assignments, both trees and the content."""
    found: dict[str, Any] = {kind: getattr(catalog, kind) for kind in CONTENT_KINDS}
    found["channels"] = {n: dict(c.fields) for n, c in (catalog.channels or {}).items()}
    found["assignments"] = {
        sku: (sorted(p.channels or ()), sorted(p.categories or ()))
        for sku, p in catalog.products.items()
    }
    return found


async def test_a_two_storefront_store_is_cloned_into_a_sandbox_and_back_with_each_channels_theme(
    tmp_path: Path,
) -> None:
    emu = Emulator(quota=0, theme_job_seconds=0.05)
    emu.add_store("production", PROD_TOKEN, name="Production Store", other_currencies="EUR")
    emu.add_store("sandbox", SANDBOX_TOKEN, name="Sandbox", other_currencies="EUR")
    emu.add_store("restored", RESTORED_TOKEN, name="Restored", other_currencies="EUR")
    write_two_storefronts(tmp_path / "catalog")
    async with emu:
        clients = {n: BigCommerceStore(emu.url, n, Token(t)) for n, t in TOKENS.items()}
        production = clients["production"]
        theme = await release_theme(production, theme_files(), activate=True, variation="Bold")
        _, written = await sync(production, load_directory(tmp_path / "catalog"))
        assert written.errors == []
        await release_theme(  # another variation on EU: other settings
            production,
            theme_files(),
            activate=True,
            variation="Light",
            channel="EU",
            uploaded=theme["theme"],
        )

        world = manifests(tmp_path, emu)
        loop = Loop(world, services_for(world, tmp_path / "cache", access=access_to(emu.url)))
        for _ in range(6):
            await loop.run_once()

        catalogs = {n: to_catalog(await c.observe(SHAREABLE)) for n, c in clients.items()}
        themes = {n: await active_themes(c) for n, c in clients.items()}
        again = ThemeCarrier(production, clients["sandbox"])  # as a refresh carries them
        await again.carry()
        assert again.carried == {"EU": "Outfitters (Light)", "default": "Outfitters (Bold)"}
        uploads = {n: len(await c.themes()) for n, c in clients.items()}
        for client in clients.values():
            await client.close()

    source = by_natural_keys(catalogs["production"])
    assert sorted(source["channels"]) == ["EU"]
    assert "EU:/holiday/" in source["pages"]
    assert "/holiday/" in source["pages"]
    assert "eu:outlet" in source["categories"]
    eu_content = [  # named by channel name in every store, whatever the channel's id there
        "eu:pages/home home_below_menu#0" in source["placements"],
        "EU:product SHOE-1" in source["template_associations"],
        "EU:pages/home" in source["page_layouts"],
        source["widgets"]["Holiday banner/Hero EU"].fields.get("channel") == "EU",
    ]
    assert eu_content == [True] * 4, sorted(source["placements"])
    for name in ("sandbox", "restored"):
        assert by_natural_keys(catalogs[name]) == source, name
        clone = world.status[("StoreEnvironment", "shop", name)]["clone"]
        assert clone["phase"] == "Succeeded", clone
        assert clone["themes"] == [
            "EU: Outfitters (Light)",
            "default: Outfitters (Bold)",
        ]
    assert uploads == {"production": 1, "sandbox": 1, "restored": 1}  # one upload each, ever
    assert {n: t.describe() for n, t in themes["production"].items()} == {
        "default": "Outfitters (Bold)",
        "EU": "Outfitters (Light)",
    }
    assert themes["production"]["default"].settings == {
        "color": "#000000",
        "font": "Karla",
        "bg": "dark",
    }
    assert themes["sandbox"] == themes["production"]  # names, variations and settings
    assert themes["restored"] == themes["production"]
    assert themes["production"]["EU"].settings == {"color": "#ffffff", "font": "Karla"}


async def test_a_clone_says_which_channels_theme_it_could_not_carry(
    tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    async with BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as production:
        await release_theme(production, theme_files(), activate=True, variation="Bold")
    sandbox = emulator.db.bind("sandbox").themes
    for number in range(20):  # the platform's limit
        assert sandbox.add(f"Old {number}", ["Light"]) is not None
    world = customer_manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator)

    clone = world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]
    assert clone["phase"] == "Succeeded", clone  # the catalog is cloned all the same
    assert clone["themes"] == []
    [line] = clone["uncarriedThemes"]
    assert line.startswith("default: "), line
    assert "upload limit of 20 themes" in line, line
    capsys.readouterr()
    assert main(["status", "--state", str(tmp_path / "state")]) == 0
    shown = capsys.readouterr().out
    assert "shop/sandbox: channels whose theme on production was not carried:" in shown
    assert f"  {line}" in shown


def test_content_names_a_storefront_by_name_and_an_older_catalogs_store_id_is_refused(
    tmp_path: Path,
) -> None:
    root = write_catalog(tmp_path / "catalog")
    written = yaml.safe_load((root / "content" / "custom-templates.yaml").read_text())
    legacy = [{**written[0], "channel_id": 1}, {**written[1], "channel_id": 2}]
    (root / "content" / "custom-templates.yaml").write_text(yaml.safe_dump(legacy))
    (root / "content" / "widgets.yaml").write_text(
        yaml.safe_dump([{**w, "channel_id": 2} for w in WIDGETS[:1]] + WIDGETS[1:])
    )
    with pytest.raises(CatalogInvalid) as raised:
        load_directory(root)
    messages = sorted(str(p).replace(f"{root}/", "") for p in raised.value.problems)
    named = "channel_id is a store's id: name the channel instead (channel: NAME)"
    assert messages == [
        f"content/custom-templates.yaml:4: channel_id: {named}",
        f"content/widgets.yaml:1: channel_id: {named}",
    ]
    (root / "content" / "custom-templates.yaml").write_text(yaml.safe_dump(legacy[:1]))
    (root / "content" / "widgets.yaml").write_text(yaml.safe_dump(WIDGETS))
    catalog = load_directory(root)  # the first storefront's id, as older catalogs wrote it
    assert sorted(catalog.template_associations or {}) == ["product SHOE-1"]
