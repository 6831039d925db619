"""The catalog file format: the sample store, deterministic round trips, and precise errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from controller.catalog.files import digest, load_directory, render, write_directory
from controller.catalog.kinds import FILED, Kind, counts
from controller.catalog.model import CatalogInvalid
from controller.catalog.observed import (
    ObservedBrand,
    ObservedCatalog,
    ObservedCategory,
    to_catalog,
)
from controller.catalog.schema import schemas
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "catalog"


def test_the_sample_store_is_realistic_and_valid() -> None:
    catalog = load_directory(EXAMPLE)
    counts = catalog.counts()
    assert counts["products"] >= 24
    assert counts["variants"] >= 3 * counts["products"]
    assert counts["brands"] >= 3
    assert counts["scripts"] == 1
    assert counts["customFields"] >= counts["products"]
    assert max(c.depth for c in (catalog.categories or {}).values()) == 3


def test_published_schemas_are_current_and_accept_the_sample_store() -> None:
    published = {
        p.name: json.loads(p.read_text()) for p in (ROOT / "docs" / "schema").glob("*.json")
    }
    assert published == schemas()
    product = jsonschema.Draft202012Validator(published["product.schema.json"])
    for path in sorted((EXAMPLE / "products").glob("*.yaml")):
        assert list(product.iter_errors(yaml.safe_load(path.read_text()))) == [], path.name
    for name in ("categories", "brands", "scripts"):
        validator = jsonschema.Draft202012Validator(published[f"{name}.schema.json"])
        assert (
            list(validator.iter_errors(yaml.safe_load((EXAMPLE / f"{name}.yaml").read_text())))
            == []
        )


def test_every_kind_with_a_file_is_read_written_and_captured_from_the_kind_table(
    tmp_path: Path,
) -> None:
    sample = load_directory(EXAMPLE)
    written = write_directory(sample, tmp_path / "a")
    assert set(written) == {s.file for s in FILED if s.records(sample) is not None}
    observed = ObservedCatalog(
        categories={7: ObservedCategory(7, 0, "Shoes", {"is_visible": False})},
        brands={3: ObservedBrand(3, "Acme", {"page_title": "Acme"})},
        scripts={},
    )
    # What status and plans count of a store: every kind of the table, what it has.
    assert observed.counts() == {**dict.fromkeys(Kind, 0), Kind.CATEGORIES: 1, Kind.BRANDS: 1}
    captured = to_catalog(observed)
    assert counts(captured)[Kind.CATEGORIES] == counts(captured)[Kind.BRANDS] == 1
    # A kind the store has none of and whose file is optional gets no empty file.
    assert sorted(write_directory(captured, tmp_path / "b")) == [
        "brands.yaml",
        "categories.yaml",
        "products.jsonl",
    ]
    assert load_directory(tmp_path / "b") == captured
    assert (tmp_path / "b" / "brands.yaml").read_text() == "- name: Acme\n  page_title: Acme\n"
    (tmp_path / "b" / "brands.yaml").write_text("- name: Acme\n- name: ACME\n")
    with pytest.raises(CatalogInvalid) as invalid:
        load_directory(tmp_path / "b")
    assert [str(p) for p in invalid.value.problems] == [
        f"{tmp_path / 'b'}/brands.yaml:2: name: brand 'ACME' appears twice"
    ]


@pytest.mark.parametrize("layout", ["jsonl", "yaml"])
def test_writing_and_reading_back_gives_the_same_catalog_byte_for_byte(
    tmp_path: Path, layout: str
) -> None:
    original = load_directory(EXAMPLE)
    written = write_directory(original, tmp_path / "a", layout=layout)
    again = load_directory(tmp_path / "a")
    assert again == original
    assert digest(again) == digest(original)
    write_directory(again, tmp_path / "b", layout=layout)
    for name in written:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_changing_one_price_changes_one_line(tmp_path: Path) -> None:
    before = render(load_directory(EXAMPLE))["products.jsonl"].splitlines()
    product = next(p for p in sorted((EXAMPLE / "products").glob("*.yaml")))
    edited = tmp_path / "catalog"
    edited.mkdir()
    for item in EXAMPLE.rglob("*"):
        if item.is_file():
            target = edited / item.relative_to(EXAMPLE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item.read_text())
    text = (edited / "products" / product.name).read_text()
    price = yaml.safe_load(text)["price"]
    (edited / "products" / product.name).write_text(
        text.replace(f"price: {price}\n", f"price: {price + 1}\n")
    )
    after = render(load_directory(edited))["products.jsonl"].splitlines()
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1


def test_the_digest_ignores_the_layout_but_not_the_content(tmp_path: Path) -> None:
    catalog = load_directory(EXAMPLE)
    write_directory(catalog, tmp_path / "jsonl", layout="jsonl")
    assert digest(load_directory(tmp_path / "jsonl")) == digest(catalog)
    assert digest(load_directory(tmp_path / "jsonl")).startswith("sha256:")


def make(tmp_path: Path, files: dict[str, Any]) -> Path:
    root = tmp_path / "catalog"
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        )
    return root


GOOD = {"sku": "TEE", "name": "Tee", "type": "physical", "price": 10, "weight": 1}
CATS = [{"path": "Apparel"}, {"path": "Apparel/Tops"}]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"products/t.yaml": {**GOOD, "colour": "red"}},
            "products/t.yaml:6: colour: unknown field 'colour'",
            id="unknown field",
        ),
        pytest.param(
            {"products/t.yaml": {**GOOD, "price": "ten"}},
            "products/t.yaml:4: price: price must be a number",
            id="wrong type",
        ),
        pytest.param(
            {"products/t.yaml": {**GOOD, "price": -1}},
            "products/t.yaml:4: price: price must not be negative",
            id="negative price",
        ),
        pytest.param(
            {"products/t.yaml": {**GOOD, "name": "x" * 251}},
            "products/t.yaml:2: name: name must be at most 250 characters long",
            id="name over the limit",
        ),
        pytest.param(
            {
                "products.jsonl": json.dumps(GOOD)
                + "\n"
                + json.dumps({**GOOD, "sku": "tee", "name": "B"})
                + "\n"
            },
            "products.jsonl:2: sku: SKU 'tee' appears twice",
            id="duplicate SKU without case",
        ),
        pytest.param(
            {
                "products.jsonl": json.dumps(GOOD)
                + "\n"
                + json.dumps(
                    {
                        **GOOD,
                        "sku": "B",
                        "name": "B",
                        "variants": [
                            {
                                "sku": "TEE",
                                "option_values": [{"option_display_name": "Size", "label": "S"}],
                            }
                        ],
                    }
                )
                + "\n"
            },
            "products.jsonl:2: variants: variant SKU 'TEE' is also used by a product",
            id="duplicate SKU across a product and a variant",
        ),
        pytest.param(
            {"products/t.yaml": {**GOOD, "categories": ["Apparel/Shoes"]}, "categories.yaml": CATS},
            "products/t.yaml:6: categories: category 'apparel/shoes' does not exist "
            "(did you mean 'Apparel/Tops'?)",
            id="category path that does not exist",
        ),
        pytest.param(
            {"products/t.yaml": {**GOOD, "brand": "Nope"}, "brands.yaml": [{"name": "Acme"}]},
            "products/t.yaml:6: brand: brand 'Nope' does not exist",
            id="brand that does not exist",
        ),
        pytest.param(
            {
                "products/t.yaml": {**GOOD, "brand": "Acme Corp."},
                "brands.yaml": [{"name": "ACME Corp"}, {"name": "Zeta"}],
            },
            "products/t.yaml:6: brand: brand 'Acme Corp.' does not exist (did you mean 'ACME Corp'?)",
            id="brand misspelt: the closest is suggested",
        ),
        pytest.param(
            {"categories.yaml": [{"path": "A"}, {"path": "B/C"}]},
            "categories.yaml:2: path: parent category 'B' does not exist",
            id="orphan category",
        ),
        pytest.param(
            {"categories.yaml": [{"path": "/".join("abcdefghi"[: i + 1])} for i in range(9)]},
            "categories.yaml:9: path: categories nest at most 8 deep",
            id="categories nine deep",
        ),
        pytest.param(
            {"products/t.yaml": "sku: TEE\nname: [unclosed\n"},
            "products/t.yaml:3: not valid YAML",
            id="YAML syntax error",
        ),
        pytest.param(
            {"products.jsonl": json.dumps(GOOD) + "\n{not json\n"},
            "products.jsonl:2: not valid JSON",
            id="JSON syntax error",
        ),
        pytest.param(
            {"products/t.yaml": {"name": "No SKU"}},
            "products/t.yaml:1: sku: sku is required",
            id="missing sku",
        ),
        pytest.param(
            {
                "products/t.yaml": {
                    **GOOD,
                    "custom_fields": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}],
                }
            },
            "products/t.yaml:6: custom_fields: custom field 'a' appears twice",
            id="duplicate custom field",
        ),
        pytest.param(
            {
                "products/t.yaml": {
                    **GOOD,
                    "variants": [{"sku": "V1", "option_values": [{"label": "S"}]}],
                }
            },
            "products/t.yaml:8: variants[0].option_values: an option value is {option_display_name, label}",
            id="option value without its option",
        ),
    ],
)
def test_malformed_catalogs_report_file_line_and_field(
    tmp_path: Path, files: dict[str, Any], expected: str
) -> None:
    with pytest.raises(CatalogInvalid) as caught:
        load_directory(make(tmp_path, files), label_root="")
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(expected) for m in messages), messages


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    files = {
        "products/a.yaml": {**GOOD, "sku": "A", "colour": "red"},
        "products/b.yaml": {**GOOD, "sku": "B", "name": "B", "price": "x", "brand": "Nope"},
        "brands.yaml": [{"name": "Acme"}],
    }
    with pytest.raises(CatalogInvalid) as caught:
        load_directory(make(tmp_path, files), label_root="catalog")
    assert [str(p) for p in caught.value.problems] == [
        "catalog/products/a.yaml:6: colour: unknown field 'colour'",
        "catalog/products/b.yaml:4: price: price must be a number",
        "catalog/products/b.yaml:6: brand: brand 'Nope' does not exist",
    ]
    assert str(caught.value).startswith("3 problems in the catalog: catalog/products/a.yaml:6")


def test_a_problem_in_a_list_file_points_at_the_line_of_its_field(tmp_path: Path) -> None:
    root = make(tmp_path, {"brands.yaml": "- name: Acme\n- name: Zeta\n  page_title: 5\n"})
    with pytest.raises(CatalogInvalid) as caught:
        load_directory(root, label_root="")
    assert [str(p) for p in caught.value.problems] == [
        "brands.yaml:3: page_title: page_title must be text"
    ]
