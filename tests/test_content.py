"""Storefront content as desired state: web pages and redirects in `content/`, planned, applied,
drift-checked and captured against the emulator over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from controller.catalog.files import load_directory, render, write_directory
from controller.catalog.kinds import KINDS, TOP_LEVEL, Kind
from controller.catalog.model import CatalogInvalid
from controller.emulator import Emulator
from controller.emulator.resources import pages as pages_api
from controller.emulator.resources import redirects as redirects_api
from controller.emulator.resources import widget_templates as templates_api
from controller.emulator.resources import widgets as widgets_api
from controller.emulator.resources.base import ListQuery
from controller.engine import assess, sync
from controller.engine.snapshots import capture_to_directory
from controller.planner import Options, drift
from controller.standalone import FileWorld, Loop, services_for
from tests.conftest import PROD_TOKEN
from tests.support.gitservers import Remote
from tests.support.manifests import access_to, write_secret

PAGES = {
    "holiday.yaml": {
        "url": "/holiday/",
        "name": "Holiday",
        "type": "page",
        "body": "<h1>Holiday</h1>\n<p>Gifts.</p>\n",
        "meta_title": "Holiday gifts",
        "search_keywords": "gifts,holiday",
    },
    "holiday-sizes.yaml": {
        "url": "/holiday/sizes/",
        "name": "Sizes",
        "type": "raw",
        "body": "<table></table>",
        "parent": "/holiday/",
    },
    "holiday-sizes-kids.yaml": {
        "url": "/holiday/sizes/kids/",
        "name": "Kids sizes",
        "type": "page",
        "parent": "/holiday/sizes/",
        "is_visible": False,
    },
    "contact.yaml": {
        "url": "/contact-us/",
        "name": "Contact",
        "type": "contact_form",
        "email": "help@example.test",
        "contact_fields": "fullname,phone",
    },
    "link.yaml": {"link": "https://docs.example.test/", "name": "Docs", "type": "link"},
}
REDIRECTS = [
    {"from_path": "/old-shoe", "to_product": "SHOE-1"},
    {"from_path": "/old-running", "to_category": "Footwear/Running"},
    {"from_path": "/acme-old", "to_brand": "Acme"},
    {"from_path": "/xmas/", "to_page": "/holiday/"},
    {"from_path": "/elsewhere", "to_url": "https://example.test/new"},
    {"from_path": "/news", "to_post": "/blog/holiday-is-here/"},
]
POSTS = {
    "holiday.yaml": {
        "url": "/blog/holiday-is-here/",
        "title": "Holiday is here",
        "body": "<p>Gifts for everyone.</p>",
        "tags": ["holiday", "gifts"],
        "is_published": True,
        "published_date": "2026-11-20T09:30:00+00:00",
        "author": "Ann",
    },
    "draft.yaml": {"url": "/blog/draft/", "title": "Draft", "body": "<p>Soon</p>"},
}


WIDGET_TEMPLATE = {
    "name": "Holiday banner",
    "template": (
        '<div class="banner">\n  {{#if title}}<h1>{{title}}</h1>{{/if}}\n'
        '  {{#each links}}<a href="{{url}}">{{url}}</a>{{/each}}\n</div>\n'
    ),
    "schema": [
        {
            "type": "tab",
            "label": "Content",
            "sections": [{"label": "Text", "settings": [{"type": "input", "id": "title"}]}],
        }
    ],
}
WIDGETS = [
    {
        "template": "Holiday banner",
        "name": "Hero",
        "widget_configuration": {"title": "Gifts for everyone", "links": [{"url": "/holiday/"}]},
    },
    {"template": "Holiday banner", "name": "Footer", "widget_configuration": {"title": "Bye"}},
]
PLACEMENTS = [
    {
        "widget": "Holiday banner/Hero",
        "template_file": "pages/product",
        "product": "SHOE-1",
        "region": "product_below_price",
        "sort_order": 1,
        "status": "active",
    },
    {
        "widget": "Holiday banner/Hero",
        "template_file": "pages/category",
        "category": "Footwear/Running",
        "region": "category_header_banner",
        "sort_order": 0,
        "status": "active",
    },
    {
        "widget": "Holiday banner/Footer",
        "template_file": "pages/page",
        "page": "/holiday/",
        "region": "page_builder_content",
        "sort_order": 2,
        "status": "inactive",
    },
    {
        "widget": "Holiday banner/Footer",
        "template_file": "pages/home",
        "region": "home_below_menu",
        "sort_order": 0,
        "status": "active",
    },
]
HERO = {"title": "Holiday", "imageUrl": {"src": "https://cdn.example.test/h.jpg"}}
LAYOUTS = {
    "holiday.yaml": {
        "template_file": "pages/page",
        "page": "/holiday/",
        "regions": [
            {
                "name": "page_builder_content",
                "children": [
                    {"type": "widget", "widget_template": "Holiday banner", "configuration": HERO},
                    {
                        "type": "layout",
                        "name": "Layout",
                        "configuration": {"numberOfDropzones": 2},
                        "dropzones": [
                            {
                                "configuration": {},
                                "widgets": [
                                    {
                                        "type": "widget",
                                        "widget_template": "Holiday banner",
                                        "configuration": {"title": "Left"},
                                    }
                                ],
                            },
                            {"configuration": {}, "widgets": []},
                        ],
                    },
                ],
            }
        ],
    },
    "home.yaml": {
        "template_file": "pages/home",
        "regions": [
            {
                "name": "home_below_menu",
                "children": [
                    {"type": "widget", "widget_template": "Holiday banner", "configuration": {}}
                ],
            }
        ],
    },
}
SALE = {"type": "widget", "widget_template": "Sale", "configuration": {"text": "Sleds -20%"}}
REGIONS = {
    "pages/product": ["product_below_price", "product_below_content"],
    "pages/category": ["category_header_banner"],
    "pages/page": ["page_builder_content"],
    "pages/home": ["home_below_menu", "home_below_featured_products"],
}
ASSOCIATIONS = [
    {"product": "SHOE-1", "file_name": "sale.html"},
    {"page": "/holiday/", "file_name": "landing.html"},
]


def activate_theme(emulator: Emulator, store: str) -> None:
    """A theme with custom product and page templates, active (as an upload would leave it)."""
    themes = emulator.db.bind(store).themes
    theme = themes.add(
        "Outfitters", ["Light"], {"product": ["sale.html"], "page": ["landing.html"]}, REGIONS
    )
    assert theme is not None
    themes.activate(theme["variations"][0]["uuid"])


def write_catalog(root: Path, pages: dict[str, Any] = PAGES, redirects: Any = REDIRECTS) -> Path:
    (root / "content" / "pages").mkdir(parents=True)
    for name, page in pages.items():
        (root / "content" / "pages" / name).write_text(yaml.safe_dump(page))
    (root / "content" / "redirects.yaml").write_text(yaml.safe_dump(redirects))
    (root / "content" / "custom-templates.yaml").write_text(yaml.safe_dump(ASSOCIATIONS))
    (root / "content" / "widget-templates").mkdir()
    (root / "content" / "widget-templates" / "banner.yaml").write_text(
        yaml.safe_dump(WIDGET_TEMPLATE)
    )
    (root / "content" / "widgets.yaml").write_text(yaml.safe_dump(WIDGETS))
    (root / "content" / "placements.yaml").write_text(yaml.safe_dump(PLACEMENTS))
    (root / "content" / "layouts").mkdir()
    for name, layout in LAYOUTS.items():
        (root / "content" / "layouts" / name).write_text(yaml.safe_dump(layout))
    (root / "content" / "blog").mkdir()
    for name, post in POSTS.items():
        (root / "content" / "blog" / name).write_text(yaml.safe_dump(post))
    (root / "categories.yaml").write_text(
        yaml.safe_dump([{"path": "Footwear"}, {"path": "Footwear/Running"}])
    )
    (root / "brands.yaml").write_text(yaml.safe_dump([{"name": "Acme"}]))
    product = {"sku": "SHOE-1", "name": "Shoe", "type": "physical", "price": 10, "weight": 1}
    (root / "products.jsonl").write_text(json.dumps(product) + "\n")
    return root


async def test_pages_and_redirects_round_trip_between_stores_with_different_ids(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, sandbox = stores
    activate_theme(emulator, "production")
    activate_theme(emulator, "sandbox")
    catalog = load_directory(write_catalog(tmp_path / "source"))
    _, result = await sync(prod, catalog)
    assert result.errors == []
    first = tmp_path / "first"
    await capture_to_directory(prod, first)
    _, result = await sync(sandbox, load_directory(first))
    assert result.errors == []
    second = tmp_path / "second"
    await capture_to_directory(sandbox, second)

    files = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_text() == (second / name).read_text(), name
    assert "content/pages/holiday-sizes-kids.yaml" in files
    assert "content/pages/link-docs.example.test.yaml" in files
    post = yaml.safe_load((second / "content/blog/blog-holiday-is-here.yaml").read_text())
    assert post["published_date"] == "2026-11-20T09:30:00+00:00"
    assert post["tags"] == ["holiday", "gifts"]
    kids = yaml.safe_load((second / "content/pages/holiday-sizes-kids.yaml").read_text())
    assert kids["parent"] == "/holiday/sizes/"
    assert yaml.safe_load((second / "content/redirects.yaml").read_text()) == sorted(
        REDIRECTS, key=lambda r: r["from_path"]
    )
    kept = yaml.safe_load((second / "content/widget-templates/Holiday-banner.yaml").read_text())
    assert {k: kept[k] for k in WIDGET_TEMPLATE} == WIDGET_TEMPLATE  # schema, Handlebars exact
    assert yaml.safe_load((second / "content/widgets.yaml").read_text()) == sorted(
        ({**w, "description": ""} for w in WIDGETS), key=lambda w: w["name"]
    )
    assert yaml.safe_load((second / "content/placements.yaml").read_text()) == sorted(
        PLACEMENTS, key=lambda p: (p["template_file"], p["region"])
    )
    for name, layout in (
        ("pages-page-holiday.yaml", LAYOUTS["holiday.yaml"]),
        ("pages-home.yaml", LAYOUTS["home.yaml"]),
    ):  # the widgets' positions, in regions and dropzones, as written
        assert yaml.safe_load((second / "content/layouts" / name).read_text()) == layout
    assert yaml.safe_load((second / "content/custom-templates.yaml").read_text()) == [
        {"page": "/holiday/", "file_name": "landing.html"},
        {"product": "SHOE-1", "file_name": "sale.html"},
    ]
    # every content kind: the same natural keys in both stores, under other ids
    content = {k for k in TOP_LEVEL if (KINDS[k].file or "").startswith("content/")}
    named = content | {Kind.PRODUCTS, Kind.CATEGORIES, Kind.BRANDS}
    seen = await prod.observe(named), await sandbox.observe(named)
    for kind in content:
        spec = KINDS[kind]
        (keys, ids), (other_keys, other_ids) = (
            ({f[0] for f in spec.observed(s)}, {str(f[1]) for f in spec.observed(s)}) for s in seen
        )
        assert keys == other_keys, kind
        assert keys, kind
        # (a layout's id is its page's address: the home page's is the same in every store)
        assert {i for i in ids if not i.endswith("|")}.isdisjoint(other_ids), kind
    assessment = await assess(sandbox, load_directory(first), Options(prune=True))
    assert assessment.plan.in_sync
    assert assessment.drift.in_sync


async def test_drift_is_reported_per_kind_and_a_changed_target_is_remapped(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    activate_theme(emulator, "production")
    catalog = load_directory(write_catalog(tmp_path))
    await sync(prod, catalog)
    observed = await prod.observe({Kind.PAGES, Kind.REDIRECTS})
    holiday = next(p for p in observed.pages.values() if p.url == "/holiday/")
    store = emulator.db.bind("production")
    store.pages.update(holiday.id, {"meta_title": "Changed by hand"}, False)
    store.redirects.upsert(
        [
            {
                "from_path": "/elsewhere",
                "site_id": 1000,
                "to": {"type": "page", "entity_id": holiday.id},
            }
        ]
    )
    store.redirects.upsert(
        [{"from_path": "/stray", "site_id": 1000, "to": {"type": "url", "url": "/x"}}]
    )
    posts = (await prod.observe({Kind.BLOG_POSTS})).blog_posts
    post = next(p for p in posts.values() if p.url == "/blog/holiday-is-here/")
    store.blog.update(post.id, {"author": "Someone else"})
    product = emulator.db.one(
        "SELECT id FROM products WHERE store=? AND sku_l=?", "production", "shoe-1"
    )
    store.template_associations.upsert(
        [{"channel_id": 1, "entity_type": "product", "entity_id": product, "file_name": "x.html"}]
    )
    (template,) = (await prod.observe({Kind.WIDGET_TEMPLATES})).widget_templates.values()
    store.widget_templates.update(template.id, {"template": "<p>edited in the control panel</p>"})
    widgets = (await prod.observe({Kind.PLACEMENTS})).widgets
    hero = next(w for w in widgets.values() if w.name == "Hero")
    store.widgets.update_widget(hero.id, {"widget_configuration": {"title": "By hand"}})
    placements = store.widgets.find_placements(ListQuery(widgets_api.PLACEMENTS_LIST, {})).items
    home = next(p for p in placements if p["template_file"] == "pages/home")
    store.widgets.update_placement(home["uuid"], {"status": "inactive"})
    (page_id,) = [p.id for p in observed.pages.values() if p.url == "/holiday/"]
    snapshot = store.widget_templates.snapshot(1, "pages/page", str(page_id))
    snapshot["regions"][0]["children"].reverse()  # the widget moved below the layout
    store.widget_templates.publish(
        {"template_file": "pages/page", "entity_id": str(page_id), **snapshot}
    )
    assessment = await assess(prod, catalog, Options(prune=True))
    counts = assessment.drift.counts
    assert counts["pageLayouts"] == {"missing": 0, "extra": 0, "changed": 1}
    assert counts["widgets"] == {"missing": 0, "extra": 0, "changed": 1}
    assert counts["placements"] == {"missing": 0, "extra": 0, "changed": 1}
    assert counts["widgetTemplates"] == {"missing": 0, "extra": 0, "changed": 1}
    assert counts["templateAssociations"] == {"missing": 0, "extra": 0, "changed": 1}
    assert counts["pages"] == {"missing": 0, "extra": 0, "changed": 1}
    assert counts["blogPosts"] == {"missing": 0, "extra": 0, "changed": 1}
    assert counts["redirects"] == {"missing": 0, "extra": 1, "changed": 1}
    changed = {s.key: s for s in assessment.plan.steps}
    assert changed["/elsewhere"].fields() == ["to_url", "to_page"]
    _, result = await sync(prod, catalog, Options(prune=True, allow_mass_delete=True))
    assert result.errors == []
    assert (await assess(prod, catalog, Options(prune=True))).drift.in_sync


async def test_a_reference_to_nothing_or_to_a_deleted_product_is_refused_before_any_write(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    activate_theme(emulator, "production")
    catalog = load_directory(write_catalog(tmp_path))
    await sync(prod, catalog)
    # the product is gone from the catalog while its redirect stays: a prune would break it
    (tmp_path / "products.jsonl").write_text("")
    assessment = await assess(prod, load_directory(tmp_path), Options(prune=True))
    problems = assessment.plan.problems
    assert any("redirect '/old-shoe'" in p and "'SHOE-1'" in p for p in problems), problems
    assert any(
        p.startswith("placement 'pages/product SHOE-1 product_below_price#1': product names ")
        and "'SHOE-1'" in p
        for p in problems
    ), problems
    # a redirect to a SKU that neither the catalog nor the store has
    redirects = [*REDIRECTS, {"from_path": "/ghost", "to_product": "NOPE-9"}]
    (tmp_path / "content" / "redirects.yaml").write_text(yaml.safe_dump(redirects))
    plan = (await assess(prod, load_directory(tmp_path))).plan
    assert any("'NOPE-9'" in p for p in plan.problems)
    # a region the active theme's template file does not have (read from the theme)
    lost = [{**PLACEMENTS[0], "region": "product_sidebar"}, PLACEMENTS[3]]
    (tmp_path / "content" / "placements.yaml").write_text(yaml.safe_dump(lost))
    plan = (await assess(prod, load_directory(tmp_path))).plan
    assert (
        "placement 'pages/product SHOE-1 product_sidebar#1': the active theme has no region "
        "'product_sidebar' in 'pages/product' (it has product_below_content, product_below_price)"
    ) in plan.problems
    # a custom template the active theme does not have: both are named
    associations = [{"product": "SHOE-1", "file_name": "clearance.html"}]
    (tmp_path / "content" / "custom-templates.yaml").write_text(yaml.safe_dump(associations))
    plan = (await assess(prod, load_directory(tmp_path))).plan
    assert (
        "custom template association 'product SHOE-1': the active theme 'Outfitters' has no "
        "product template 'clearance.html'"
    ) in plan.problems


async def test_custom_templates_are_checked_against_the_first_storefronts_theme(
    tmp_path: Path, stores: Any, emulator: Emulator, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    # another storefront's theme, uploaded first, has none of the first storefront's templates
    body = {"name": "EU", "type": "storefront", "platform": "bigcommerce", "status": "active"}
    eu = (await prod.post("/channels", json=body)).json()["data"]["id"]
    site = await prod.post(f"/channels/{eu}/site", json={"url": "https://eu.example.test"})
    assert site.status_code == 200, site.text
    themes = emulator.db.bind("production").themes
    minimal = themes.add("Minimal", ["Plain"], {}, REGIONS)
    assert minimal is not None
    themes.activate(minimal["variations"][0]["uuid"], channel_id=eu)
    activate_theme(emulator, "production")
    _, result = await sync(store, load_directory(write_catalog(tmp_path)))
    assert result.errors == []
    assert (await assess(store, load_directory(tmp_path))).plan.in_sync


async def test_a_large_set_of_redirects_is_imported_in_one_job_when_that_costs_less(
    tmp_path: Path, stores: Any, emulator: Emulator
) -> None:
    prod, _ = stores
    (tmp_path / "content").mkdir()
    urls = [{"from_path": f"/old/{i}", "to_url": f"/new/{i}"} for i in range(400)]
    (tmp_path / "content" / "redirects.yaml").write_text(yaml.safe_dump(urls))
    catalog = load_directory(tmp_path)
    assessment, result = await sync(prod, catalog)
    assert result.errors == []
    # an import (with the store's domain and its job's state) costs 3 requests, not 8 batches
    assert assessment.plan.estimate_requests() == 3
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    assert by_endpoint["POST /v3/storefront/redirects/imex/import"] == {"201": 1}
    assert "PUT /v3/storefront/redirects" not in by_endpoint
    assert (await assess(prod, catalog)).plan.in_sync
    # a few changed redirects go in one batch: cheaper than an import
    moved = [{**u, "to_url": "/moved"} if i < 40 else u for i, u in enumerate(urls)]
    (tmp_path / "content" / "redirects.yaml").write_text(yaml.safe_dump(moved))
    assessment, result = await sync(prod, load_directory(tmp_path))
    assert result.errors == []
    assert assessment.plan.estimate_requests() == 1
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    assert by_endpoint["PUT /v3/storefront/redirects"] == {"201": 1}
    assert (await assess(prod, load_directory(tmp_path))).plan.in_sync


def test_content_files_report_problems_with_file_line_and_field(tmp_path: Path) -> None:
    root = write_catalog(tmp_path)
    (root / "content" / "pages" / "bad.yaml").write_text(
        "url: /bad/\nname: Bad\ntype: page\nparent: /nowhere/\nis_visible: maybe\n"
    )
    (root / "content" / "redirects.yaml").write_text(
        "- from_path: /a\n  to_product: SHOE-1\n  to_url: /b\n- from_path: /c\n  to_page: /holliday/\n"
    )
    (root / "content" / "page").mkdir()
    (root / "content" / "placements.yaml").write_text(
        "- widget: Holiday banner/Hero\n  template_file: pages/home\n  region: top\n"
        "  product: SHOE-1\n- widget: Holiday banner/Hreo\n  template_file: pages/blog\n"
        "  region: top\n- widget: Holiday banner/Hero\n  template_file: pages/basket\n"
        "  region: top\n"
    )
    (root / "content" / "widgets.yaml").write_text(
        yaml.safe_dump(
            [*WIDGETS, {**WIDGETS[1], "name": "Typo", "widget_configuration": {"titel": 1}}]
        )
    )
    (root / "content" / "layouts" / "bad.yaml").write_text(
        "template_file: pages/home\nbrand: Acme\nregions: []\n"
    )
    (root / "content" / "layouts" / "typo.yaml").write_text(
        yaml.safe_dump(
            {
                "template_file": "pages/page",
                "page": "/holiday/sizes/",
                "regions": [
                    {
                        "name": "top",
                        "children": [{"type": "widget", "widget_template": "Holiday baner"}],
                    }
                ],
            }
        )
    )
    with pytest.raises(CatalogInvalid) as raised:
        load_directory(root)
    messages = [str(p) for p in raised.value.problems]
    assert any("content/pages/bad.yaml:5: is_visible:" in m for m in messages), messages
    assert any("content/pages/bad.yaml:4: parent: parent page '/nowhere/'" in m for m in messages)
    assert any(
        "content/redirects.yaml:3: to_url: a redirect has exactly one target" in m for m in messages
    ), messages
    assert any(
        "content/redirects.yaml:5: to_page: page '/holliday/'" in m and "/holiday/" in m
        for m in messages
    ), messages
    assert any("content/page/" in m and "did you mean" in m for m in messages), messages
    messages = [m.replace(f"{root}/", "") for m in messages]
    assert (
        "content/placements.yaml:4: product: a placement on 'pages/home' names no record"
    ) in messages
    assert any(
        m.startswith("content/placements.yaml:5: widget: widget 'Holiday banner/Hreo' is not")
        and "did you mean 'Holiday banner/Hero'" in m
        for m in messages
    ), messages
    assert (
        "content/placements.yaml:9: template_file: widgets cannot be placed on 'pages/basket'"
    ) in messages
    assert (
        "content/layouts/bad.yaml:2: brand: a layout on 'pages/home' names no record"
    ) in messages
    assert (  # the platform keeps a configuration its template does not use: nothing shows
        "content/widgets.yaml:13: widget_configuration: 'titel' is neither a setting of widget "
        "template 'Holiday banner' nor used by its Handlebars (did you mean 'title'?)"
    ) in messages
    assert any(
        m.startswith("content/layouts/typo.yaml:2: regions: widget template 'Holiday baner' is")
        and "did you mean 'Holiday banner'" in m
        for m in messages
    ), messages


def test_capture_writes_content_deterministically(tmp_path: Path) -> None:
    catalog = load_directory(write_catalog(tmp_path / "a"))
    files = render(catalog)
    write_directory(catalog, tmp_path / "b")
    write_directory(load_directory(tmp_path / "b"), tmp_path / "c")
    assert render(load_directory(tmp_path / "c")) == files
    assert drift(catalog, _observed_nothing()).counts["pages"]["missing"] == len(PAGES)


def _observed_nothing() -> Any:
    from controller.catalog.observed import ObservedCatalog

    return ObservedCatalog(pages={}, redirects={})


async def test_one_deployment_releases_a_product_its_landing_page_and_redirects_in_order(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The emulator refuses a redirect to a product or page it does not have yet and a page whose
    parent does not exist: the release succeeds only when the engine writes them in order."""
    files = {
        "catalog/products.jsonl": json.dumps(
            {"sku": "SLED-1", "name": "Sled", "type": "physical", "price": 80, "weight": 4}
        )
        + "\n",
        "catalog/content/pages/winter.yaml": yaml.safe_dump(
            {"url": "/winter/", "name": "Winter", "type": "page", "body": "<p>Snow</p>"}
        ),
        "catalog/content/pages/winter-sleds.yaml": yaml.safe_dump(
            {"url": "/winter/sleds/", "name": "Sleds", "type": "page", "parent": "/winter/"}
        ),
        "catalog/content/widget-templates/sale.yaml": yaml.safe_dump(
            {"name": "Sale", "template": "<p>{{text}}</p>"}
        ),
        "catalog/content/layouts/winter.yaml": yaml.safe_dump(
            {
                "template_file": "pages/page",
                "page": "/winter/",
                "regions": [{"name": "page_builder_content", "children": [SALE]}],
            }
        ),
        "catalog/content/layouts/sled.yaml": yaml.safe_dump(
            {
                "template_file": "pages/product",
                "product": "SLED-1",
                "regions": [{"name": "product_below_content", "children": [SALE]}],
            }
        ),
        "catalog/content/redirects.yaml": yaml.safe_dump(
            [
                {"from_path": "/sled-2025/", "to_product": "SLED-1"},
                {"from_path": "/winter-2025/", "to_page": "/winter/sleds/"},
            ]
        ),
    }
    remote = Remote(tmp_path / "remote")
    remote.commit(files)
    (tmp_path / "m").mkdir()
    (tmp_path / "s").mkdir()
    write_secret(
        tmp_path / "s",
        "tok",
        "shop",
        PROD_TOKEN,
        store_hash="production",
        api_origin=emulator.url,
        role="production",
    )
    base = {"apiVersion": "stagingpro.io/v1alpha1"}
    docs = [
        {
            **base,
            "kind": "StoreEnvironment",
            "metadata": {"name": "production", "namespace": "shop"},
            "spec": {
                "role": "production",
                "store": {
                    "hash": "production",
                    "apiUrl": emulator.url,
                    "credentialsSecretRef": {"name": "tok", "key": "token"},
                },
            },
        },
        {
            **base,
            "kind": "CatalogSnapshot",
            "metadata": {"name": "winter", "namespace": "shop"},
            "spec": {"source": {"git": {"url": remote.url, "ref": "main", "path": "catalog"}}},
        },
        {
            **base,
            "kind": "StoreDeployment",
            "metadata": {"name": "winter", "namespace": "shop"},
            "spec": {
                "targets": ["production"],
                "catalog": {"snapshotRef": {"name": "winter"}},
                "approval": {"required": False},
            },
        },
    ]
    (tmp_path / "m" / "all.yaml").write_text(yaml.safe_dump_all(docs))
    world = FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s")
    access = access_to(emulator.url, local_git=True)
    loop = Loop(world, services_for(world, tmp_path / "cache", access=access))
    for _ in range(4):
        await loop.run_once()
    status = world.status[("StoreDeployment", "shop", "winter")]
    target = status["targets"][0]
    assert target["phase"] == "Succeeded", status
    assert target["plan"]["pages"] == {"create": 2, "update": 0, "delete": 0}
    assert target["plan"]["redirects"] == {"create": 2, "update": 0, "delete": 0}
    assert target["plan"]["pageLayouts"] == {"create": 2, "update": 0, "delete": 0}
    store = emulator.db.bind("production")
    pages = {p["url"]: p for p in store.pages.find(ListQuery(pages_api.LIST, {}), False).items}
    assert pages["/winter/sleds/"]["parent_id"] == pages["/winter/"]["id"]
    product = emulator.db.one(
        "SELECT id FROM products WHERE store=? AND sku_l=?", "production", "sled-1"
    )
    listed = store.redirects.find(ListQuery(redirects_api.LIST, {}), False).items
    redirects = {r["from_path"]: r["to"] for r in listed}
    (template,) = store.widget_templates.find(ListQuery(templates_api.LIST, {})).items
    published = {"widget_template_uuid": template["uuid"], "type": "widget"}
    for file_name, entity in (("pages/page", pages["/winter/"]["id"]), ("pages/product", product)):
        (region,) = store.widget_templates.snapshot(1, file_name, str(entity))["regions"]
        assert region["children"] == [{**published, "configuration": SALE["configuration"]}]
    assert redirects == {
        "/sled-2025/": {"type": "product", "entity_id": product},
        "/winter-2025/": {"type": "page", "entity_id": pages["/winter/sleds/"]["id"]},
    }
