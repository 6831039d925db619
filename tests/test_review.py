"""Review pages of plans: the Markdown a pull request shows (a golden file), prices in the store's
currency, what deletions take with them, and store data that can never format, link or run."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

from controller.catalog.observed import ObservedImage
from controller.emulator import Emulator
from controller.planner import Options, plan
from controller.review import Currency, build_review, render_html, render_markdown
from tests.support.builders import desired, observed, product, variant
from tests.test_cli import EXAMPLE, cli, served, store

__all__ = ["served", "store"]  # the fixtures, shared with the CLI tests

GOLDEN = Path(__file__).parent / "golden" / "plan-review.md"
HOSTILE = "<script>alert(1)</script> | **Sale** [click](javascript:alert(2))"
OLD_TEXT = "<p>Borosilicate glass bottle with a protective silicone sleeve, dishwasher safe.</p>"
NEW_TEXT = "<p>Borosilicate glass bottle with a bamboo lid and sleeve, dishwasher safe.</p>"


def review_plan():  # type: ignore[no-untyped-def]
    """A store and a catalog that differ in every way a review shows."""
    image = ObservedImage(70, "https://cdn.example.test/old.jpg", 0, True, "")
    store = observed(
        [
            product(
                1, "BTL", name="Glass Bottle", price=25, description=OLD_TEXT, categories=(10,)
            ),
            product(
                2,
                "OLD-JKT",
                name="Old Jacket",
                categories=(11,),
                brand_id=5,
                variants=[variant(21, "OLD-JKT-S", "S"), variant(22, "OLD-JKT-M", "M")],
                custom_fields=[(31, "material", "wool")],
                images=[image],
            ),
            product(3, "MUG", name=HOSTILE, price=12.5, categories=(10,)),
        ],
        categories=[(10, 0, "Gear"), (11, 0, "Clearance"), (12, 11, "Jackets")],
        brands=[(5, "Retired Brand")],
    )
    catalog = desired(
        [
            {
                "sku": "BTL",
                "name": "Glass Bottle",
                "type": "physical",
                "price": 27,
                "weight": 1,
                "description": NEW_TEXT,
                "categories": ["Gear"],
            },
            {
                "sku": "MUG",
                "name": HOSTILE,
                "type": "physical",
                "price": 10,
                "weight": 1,
                "categories": ["Gear"],
            },
            {
                "sku": "TENT",
                "name": "Trail Tent",
                "type": "physical",
                "price": 199.99,
                "weight": 4,
                "categories": ["Gear"],
                "images": ['https://cdn.example.test/tent.jpg?size=1&x="><script>'],
            },
        ],
        categories=["Gear"],
        brands=[],
    )
    return plan(catalog, store, Options(prune=True, allow_mass_delete=True)), store


def markdown_review() -> str:
    steps, store = review_plan()
    review = build_review(
        steps,
        store,
        store="production (prodstore)",
        source="git+https://git.example.test/shop.git@main#catalog",
        revision="0123456789ab",
        currency=Currency("USD", "$"),
        requests_per_second=1.5,
        made_at="2026-12-01 09:00 EST (America/New_York), 14:00 UTC",
    )
    return render_markdown(review)


def test_the_markdown_review_matches_its_golden_file() -> None:
    text = markdown_review()
    if os.environ.get("STAGINGPRO_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), (
        "the Markdown review changed: if on purpose, rerun with STAGINGPRO_UPDATE_GOLDEN=1 and "
        "review the diff of tests/golden/plan-review.md"
    )


def test_the_review_says_what_a_person_needs_to_decide() -> None:
    text = markdown_review()
    assert "| `price` | $25.00 | $27.00 | +$2.00 (+8.0%) |" in text
    assert "| `price` | $12.50 | $10.00 | -$2.50 (-20.0%) |" in text
    assert "Deleting it: also deletes its 2 variants, 1 image and 1 custom field." in text
    assert "also deletes its 1 subcategory; 1 product is taken out of it (1 product is then" in text
    assert "1 product loses its brand" in text
    assert "- ...osilicate glass bottle with a protective silicone sleeve, dish" in text
    assert "+ ...osilicate glass bottle with a bamboo lid and sleeve, dish" in text
    assert "about 4 s at the store's quota" in text


def test_store_data_can_neither_format_nor_link_in_markdown() -> None:
    text = markdown_review()
    outside_code = re.sub(r"```diff\n.*?```", "", text, flags=re.S)
    assert "<script>" not in outside_code
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*\\*Sale\\*\\* \\[click\\](javascript" in text
    )
    assert re.search(r"(?<!\\)\]\(javascript", text) is None
    # the image URL stays one attribute value
    assert 'src="https://cdn.example.test/tent.jpg?size=1&amp;x=&quot;&gt;&lt;script&gt;"' in text


def test_the_html_review_escapes_everything_and_allows_no_script() -> None:
    steps, store = review_plan()
    review = build_review(
        steps,
        store,
        store="prod",
        source="catalog/",
        currency=Currency(
            "EUR", "€", symbol_left=False, decimal_separator=",", thousands_separator="."
        ),
    )
    page = render_html(review)
    assert page.count("<script") == 0
    assert "script-src" not in page
    assert "default-src 'none'" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "25,00 €" in page
    assert "+2,00 € (+8.0%)" in page
    first = render_html(review, per_page=2, page=1, page_link=lambda n: f"?page={n}")
    assert first.count('class="entry ') == 2
    assert '<a href="?page=2">2</a>' in first


def test_currencies_are_written_as_the_store_writes_them() -> None:
    euro = Currency.from_store_info(
        {
            "currency": "EUR",
            "currency_symbol": "€",
            "currency_symbol_location": "right",
            "decimal_separator": ",",
            "thousands_separator": ".",
            "decimal_places": 2,
        }
    )
    assert euro.format(1234.5) == "1.234,50 €"
    assert euro.format(-3, sign=True) == "-3,00 €"
    assert (
        Currency.from_store_info({"currency": "JPY", "decimal_places": 0}).format(1200)
        == "1,200 JPY"
    )


def test_plan_writes_a_review_of_a_real_store(served: Emulator, store: str, tmp_path: Path) -> None:
    url = served.store_url(store)
    assert cli("apply", str(EXAMPLE), "--store", url, "--yes").returncode == 0
    catalog = tmp_path / "catalog"
    shutil.copytree(EXAMPLE, catalog)
    bottle = catalog / "products" / "CC-BTL-GLASS.yaml"
    bottle.write_text(bottle.read_text().replace("price: 25", "price: 27"))
    markdown = cli("plan", str(catalog), "--store", url, "--output", "markdown")
    assert markdown.returncode == 2, markdown.stderr
    assert "#### ~ update `CC-BTL-GLASS` Coastal Glass Bottle" in markdown.stdout
    assert "| `price` | $25.00 | $27.00 | +$2.00 (+8.0%) |" in markdown.stdout
    assert "https://cdn.example-outfitters.test/products/cc-btl-glass/main.jpg" in markdown.stdout
    assert re.search(r"made \d{4}-\d\d-\d\d \d\d:\d\d [A-Z]+ \(", markdown.stdout)
    page = cli("plan", str(catalog), "--store", url, "--output", "html")
    assert page.returncode == 2
    assert page.stdout.startswith("<!DOCTYPE html>")
    assert "<td>$25.00</td><td>$27.00</td>" in page.stdout


def test_a_review_of_a_migration_alone_does_not_say_there_is_nothing_to_change() -> None:
    catalog = desired([{"sku": "BTL", "name": "Bottle", "type": "physical", "price": 25}])
    store = observed([product(1, "BTL", name="Bottle", price=25)])
    in_sync = build_review(plan(catalog, store), store, store="shop", source="git")
    assert "**In sync:** nothing to change." in render_markdown(in_sync)
    migrating = replace(in_sync, migration=("1 product to migrate", "BTL: SKUs -> variants"))
    for text in (render_markdown(migrating), render_html(migrating)):
        assert "nothing else to change" in text
        assert "nothing to change" not in text
