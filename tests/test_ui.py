"""The operator's web UI in a real headless Chromium (Debian's, driven by Playwright): its pages
load from the operator's view, a target's plan shows its diff and is paged, and nothing from store
data ever runs; the HTML plan file of `stagingpro plan --output html` in the same browser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from controller.emulator import Emulator
from controller.planner import Options, plan
from controller.review import Currency, build_review
from controller.review.shelf import ReviewShelf, Shelved
from controller.ui import WebUI
from controller.ui.view import ClusterView, Sources
from tests.support.browser import chromium, serving, watched_page
from tests.support.builders import desired, observed, product
from tests.test_cli import EXAMPLE, cli, served, store

__all__ = ["served", "store"]  # the fixtures, shared with the CLI tests

NS = "shop"
# What a store (or an object's status) could hold that a browser would run if it were not escaped.
SCRIPT = "<script>window.__pwned=1;alert('script')</script>"
ONERROR = "<img src=x onerror=\"window.__pwned2=1;alert('onerror')\">"
BREAKOUT = "\"'><svg onload=\"window.__pwned3=1;alert('svg')\">"
HOSTILE = f"Mug {SCRIPT}{ONERROR}{BREAKOUT}"
DIGEST = "sha256:" + "ab" * 32
MANY = 250  # changed products in the paged plan


def hostile_review() -> Shelved:
    """A real plan of `MANY` changed products, one named and described with script payloads."""
    names = {0: HOSTILE}
    store = observed(
        [
            product(
                i + 1,
                f"SKU-{i:04d}",
                name=names.get(i, f"Product {i:04d}"),
                price=10,
                description=f"<p>{ONERROR} old text of product {i:04d}, long enough to be "
                "shown as a diff of its changed region only.</p>",
            )
            for i in range(MANY)
        ]
    )
    catalog = desired(
        [
            {
                "sku": f"SKU-{i:04d}",
                "name": names.get(i, f"Product {i:04d}"),
                "type": "physical",
                "price": 12,
                "weight": 1,
                "description": f"<p>{SCRIPT} new text of product {i:04d}, long enough to be "
                "shown as a diff of its changed region only.</p>",
            }
            for i in range(MANY)
        ]
    )
    review = build_review(
        plan(catalog, store, Options()),
        store,
        store=f"{ONERROR} (prodstore)",
        source=f"CatalogSnapshot {SCRIPT}",
        revision="0123456789ab",
        currency=Currency("USD", "$"),
        requests_per_second=1.5,
        made_at="2026-12-01 09:00 EST (America/New_York), 14:00 UTC",
    )
    return Shelved(review, DIGEST, datetime(2026, 12, 1, 14, tzinfo=UTC))


def objects() -> list[dict[str, Any]]:
    """The objects as the operator's watch has them, with store data in their status."""
    ready = [{"type": "Ready", "status": "True", "reason": "Ready", "message": ""}]
    return [
        {
            "kind": "StoreEnvironment",
            "metadata": {"name": "production", "namespace": NS},
            "spec": {"role": "production", "store": {"hash": "prodstore"}},
            "status": {
                "conditions": ready,
                "store": {"name": HOSTILE, "timezone": "America/New_York", "currency": "USD"},
                "drift": {
                    "inSync": False,
                    "counts": {"products": {"changed": 2, "missing": 1}},
                    "samples": [
                        {
                            "kind": "products",
                            "key": HOSTILE,
                            "change": "changed",
                            "fields": [ONERROR],
                        }
                    ],
                },
                "lastCheckedAt": "2026-12-01T13:59:00Z",
            },
        },
        {
            "kind": "StoreEnvironment",
            "metadata": {"name": "sandbox", "namespace": NS},
            "spec": {"role": "sandbox", "store": {"hash": "sandboxstore"}},
            "status": {"conditions": ready, "drift": {"inSync": True}},
        },
        {
            "kind": "StoreDeployment",
            "metadata": {"name": "holiday", "namespace": NS},
            "spec": {"targets": ["production"], "catalog": {"snapshotRef": {"name": "release"}}},
            "status": {
                "phase": "AwaitingApproval",
                "targets": [
                    {
                        "name": "production",
                        "phase": "AwaitingApproval",
                        "scheduledLocal": "2026-12-01T09:00:00-05:00 (America/New_York)",
                        "scheduledFor": "2026-12-01T14:00:00Z",
                        "plan": {"products": {"create": 0, "update": MANY, "delete": 0}},
                        "planDigest": DIGEST,
                        "errors": [SCRIPT],
                    }
                ],
            },
        },
        {
            "kind": "StoreDeployment",
            "metadata": {"name": "autumn", "namespace": NS},
            "spec": {"targets": ["production"], "catalog": {"snapshotRef": {"name": "release"}}},
            "status": {
                "phase": "Succeeded",
                "targets": [
                    {
                        "name": "production",
                        "phase": "Succeeded",
                        "finishedAt": "2026-10-01T12:00:00Z",
                        "plan": {"products": {"create": 1, "update": 0, "delete": 0}},
                        "rollbackSnapshot": "autumn-production-rollback",
                    }
                ],
            },
        },
        {
            "kind": "CatalogSnapshot",
            "metadata": {"name": "autumn-production-rollback", "namespace": NS},
            "spec": {"source": {"inline": {}}},
            "status": {
                "conditions": ready,
                "counts": {"products": 3},
                "errors": [{"file": "products.jsonl", "line": 1, "message": BREAKOUT}],
            },
        },
    ]


@pytest.fixture(scope="module")
def ui() -> Iterator[str]:
    """The web UI of a view holding `objects()` and the review of holiday's production target."""
    sources = Sources()
    for body in objects():
        sources.objects.seen(body)
    sources.reviews.put((NS, "holiday", "production"), hostile_review())
    with serving(WebUI(sources)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_the_pages_load_with_environments_deployments_schedules_and_history(
    ui: str, browser: Any
) -> None:
    with watched_page(browser) as w:
        page = w.page
        page.goto(ui + "/")
        assert page.title() == "Environments · StagingPro"
        rows = page.locator("table.list tr")
        assert rows.count() == 3
        assert "3 drifted" in rows.nth(1).inner_text()
        assert "products 2 changed, 1 missing" in rows.nth(1).inner_text()
        assert "in sync" in rows.nth(2).inner_text()
        page.get_by_role("link", name="Deployments").click()
        row = page.locator("tr", has_text="shop/holiday")
        text = row.inner_text()
        assert "2026-12-01T09:00:00-05:00 (America/New_York)" in text  # local time
        assert "2026-12-01T14:00:00Z" in text  # and UTC
        assert f"products +0 ~{MANY} -0" in text
        page.get_by_role("link", name="production", exact=True).first.click()
        assert page.locator("h1").inner_text() == "StoreEnvironment shop/production"
        history = page.locator("h2:has-text('Releases') + table")
        assert history.locator("tr").nth(1).inner_text().startswith("2026-12-01T14:00:00Z\tholiday")
        assert "autumn-production-rollback" in history.locator("tr").nth(2).inner_text()
        page.get_by_role("link", name="autumn-production-rollback").click()
        assert page.locator("h1").inner_text() == "CatalogSnapshot shop/autumn-production-rollback"
        assert "autumn (production)" in page.locator("dl.facts").inner_text()
        assert w.ran_nothing()


def test_a_targets_plan_shows_its_diff_and_is_paged(ui: str, browser: Any) -> None:
    with watched_page(browser) as w:
        page = w.page
        page.goto(ui + "/namespaces/shop/storedeployments/holiday")
        page.get_by_role("link", name="plan").click()
        assert page.url.endswith("/namespaces/shop/storedeployments/holiday/targets/production")
        assert page.locator("h1").inner_text() == "Plan of shop/holiday for production"
        assert DIGEST in page.locator("dl.facts").inner_text()
        assert page.locator("section.entry").count() == 100
        first = page.locator("section.entry").first
        assert "SKU-0000" in first.inner_text()
        assert first.locator("td", has_text="$10.00").count() == 1
        assert "+$2.00 (+20.0%)" in first.inner_text()
        deleted = first.locator("pre.diff .del").first
        inserted = first.locator("pre.diff .ins").first
        assert deleted.is_visible()
        assert inserted.is_visible()
        assert "old text" in deleted.inner_text()
        assert "new text" in inserted.inner_text()
        assert page.locator("nav.pages").first.inner_text().startswith("page 1 of 3")
        page.locator("nav.pages").first.get_by_role("link", name="2").click()
        assert page.url.endswith("?page=2")
        assert page.locator("nav.pages").first.inner_text().count("page 2 of 3") == 1
        assert "SKU-0100" in page.locator("section.entry").first.inner_text()
        page.locator("nav.pages").first.get_by_role("link", name="3").click()
        assert page.locator("section.entry").count() == MANY - 200
        assert "SKU-0249" in page.locator("section.entry").last.inner_text()
        assert w.ran_nothing()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/deployments",
        "/snapshots",
        "/namespaces/shop/storeenvironments/production",
        "/namespaces/shop/storedeployments/holiday",
        "/namespaces/shop/storedeployments/holiday/targets/production",
        "/namespaces/shop/catalogsnapshots/autumn-production-rollback",
        "/namespaces/shop/storeenvironments/%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E",
    ],
)
def test_nothing_from_store_data_runs(ui: str, browser: Any, path: str) -> None:
    with watched_page(browser) as w:
        response = w.page.goto(ui + path)
        assert response is not None
        assert "script-src" not in response.headers["content-security-policy"]
        assert w.page.locator("script, svg, [onerror], [onload]").count() == 0
        assert w.page.locator("img[src='x']").count() == 0
        assert w.ran_nothing(), (w.dialogs, w.errors)
        if path.endswith("production") and "targets" not in path:
            assert w.page.get_by_text(SCRIPT, exact=False).count() > 0  # shown, as text


def test_the_ui_answers_get_only_with_a_strict_policy_and_clear_errors(ui: str) -> None:
    with httpx.Client(base_url=ui) as client:
        page = client.get("/")
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert policy.startswith("default-src 'none'; style-src 'sha256-")
        assert "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["x-content-type-options"] == "nosniff"
        assert client.post("/").status_code == 405
        missing = client.get("/namespaces/shop/storedeployments/nope")
        assert missing.status_code == 404
        assert "StoreDeployment shop/nope: not found" in missing.text
        assert client.get("/deployments?page=x").status_code == 400
        assert (
            client.get("/namespaces/shop/storedeployments/holiday/targets/nope").status_code == 404
        )
        # a target the operator has not planned since it started says so
        unplanned = client.get("/namespaces/shop/storedeployments/autumn/targets/production")
        assert "has not planned this target since it started" in unplanned.text
        assert "products +1 ~0 -0" in unplanned.text


def test_an_object_deleted_and_created_again_under_its_name_stays_shown() -> None:
    view = ClusterView()
    old = {"kind": "StoreEnvironment", "metadata": {"name": "a", "namespace": NS, "uid": "1"}}
    new = {"kind": "StoreEnvironment", "metadata": {"name": "a", "namespace": NS, "uid": "2"}}
    view.seen(old)
    view.seen(new)  # created again before the old one's deletion was handled
    view.gone(old)
    assert view.get("StoreEnvironment", NS, "a") is new
    view.gone(new)
    assert view.list("StoreEnvironment") == []


def test_the_shelf_keeps_the_newest_reviews_within_its_bound() -> None:
    shelved = hostile_review()
    shelf = ReviewShelf(max_records=MANY * 2)
    for name in ("a", "b", "c"):
        shelf.put((NS, name, "production"), shelved)
    assert [shelf.get((NS, n, "production")) is not None for n in "abc"] == [False, True, True]
    assert shelf.holds((NS, "c", "production"), DIGEST)
    assert not shelf.holds((NS, "c", "production"), "sha256:other")
    shelf.forget(NS, "c")
    assert shelf.get((NS, "c", "production")) is None


def test_the_html_plan_file_shows_its_diff_and_runs_nothing(
    served: Emulator, store: str, tmp_path: Path, browser: Any
) -> None:
    url = served.store_url(store)
    assert cli("apply", str(EXAMPLE), "--store", url, "--yes").returncode == 0
    catalog = tmp_path / "catalog"
    shutil.copytree(EXAMPLE, catalog)
    bottle = catalog / "products" / "CC-BTL-GLASS.yaml"
    item = yaml.safe_load(bottle.read_text())
    item |= {
        "price": 27,
        "name": HOSTILE,
        "description": f"<p>Borosilicate glass with sleeve. {ONERROR} Now with a bamboo lid, "
        "dishwasher safe, and a lifetime guarantee against cracks.</p>",
    }
    bottle.write_text(yaml.safe_dump(item))
    made = cli("plan", str(catalog), "--store", url, "--output", "html")
    assert made.returncode == 2, made.stderr
    page_file = tmp_path / "plan.html"
    page_file.write_text(made.stdout, encoding="utf-8")
    with watched_page(browser) as w:
        w.page.goto(page_file.as_uri())
        entry = w.page.locator("section.entry", has_text="CC-BTL-GLASS")
        assert entry.locator("td", has_text="$25.00").is_visible()
        assert entry.locator("td", has_text="$27.00").is_visible()
        assert entry.get_by_text(SCRIPT, exact=False).count() > 0  # the new name, as text
        assert entry.locator("pre.diff .ins", has_text="Now with a bamboo lid").is_visible()
        assert entry.locator("pre.diff .del", has_text="sleeve.</p>").is_visible()
        assert w.page.locator("script, svg, [onerror], [onload]").count() == 0
        assert w.ran_nothing(), (w.dialogs, w.errors)
