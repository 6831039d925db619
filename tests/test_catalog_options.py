"""Variant options and modifiers as record kinds: kept in place, planned, applied, drift-checked,
captured and cloned against the emulator over real HTTP."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from controller.catalog.files import load_directory, render
from controller.catalog.kinds import ON_REQUEST
from controller.catalog.model import CatalogInvalid
from controller.catalog.observed import (
    ObservedCatalog,
    ObservedOption,
    ObservedProduct,
    ObservedVariant,
    to_catalog,
)
from controller.cli.render import plan_table
from controller.emulator import Emulator
from controller.engine import apply, assess, sync
from controller.engine.observation import Mode, Observation
from controller.engine.sync import observed_kinds
from controller.planner import Action, FieldChange, Options, Plan
from controller.planner import plan as make_plan
from controller.review.model import build_review
from controller.stores import BigCommerceStore
from controller.stores.records import CATALOG_KINDS
from tests.support.builders import desired
from tests.test_customers import manifests, settle

ALL = CATALOG_KINDS | ON_REQUEST  # the catalog with the products' options and modifiers
SIZES = ("S", "M", "L")
COLOURS = {"Sky": "#87CEEB", "Night": "#000033"}
MODIFIERS: list[dict[str, Any]] = [
    {
        "display_name": "Engraving",
        "type": "text",
        "required": False,
        "config": {"text_characters_limited": True, "text_min_length": 1, "text_max_length": 20},
    },
    {"display_name": "Notes", "type": "multi_line_text", "required": False, "sort_order": 1},
    {"display_name": "Count", "type": "numbers_only_text", "required": False, "sort_order": 2},
    {
        "display_name": "Gift wrap",
        "type": "checkbox",
        "required": False,
        "sort_order": 3,
        "config": {"checkbox_label": "Wrap it"},
        "option_values": [
            {"label": "Yes", "sort_order": 0, "value_data": {"checked_value": True}},
            {"label": "No", "sort_order": 1, "value_data": {"checked_value": False}},
        ],
    },
    {"display_name": "Deliver on", "type": "date", "required": False, "sort_order": 4},
    {
        "display_name": "Artwork",
        "type": "file",
        "required": False,
        "sort_order": 5,
        "config": {"file_types_mode": "all", "file_max_size": 5},
    },
    {
        "display_name": "Strap",
        "type": "dropdown",
        "required": True,
        "sort_order": 6,
        "option_values": [
            {
                "label": "Leather",
                "sort_order": 0,
                "adjusters": {"price": {"adjuster": "relative", "adjuster_value": 5}},
            },
            {"label": "Canvas", "sort_order": 1, "is_default": True},
            {
                "label": "Steel",
                "sort_order": 2,
                "adjusters": {
                    "weight": {"adjuster": "percentage", "adjuster_value": 10},
                    "purchasing_disabled": {"status": True, "message": "Sold out"},
                },
            },
        ],
    },
    {
        "display_name": "Pattern",
        "type": "swatch",
        "required": False,
        "sort_order": 7,
        "option_values": [
            {"label": "Dots", "sort_order": 0, "value_data": {"colors": ["#FFFFFF", "#000000"]}},
            {
                "label": "Photo",
                "sort_order": 1,
                "value_data": {"image_url": "https://cdn.example.test/photo.png"},
            },
        ],
    },
    {
        "display_name": "Case",
        "type": "rectangles",
        "required": False,
        "sort_order": 8,
        "option_values": [{"label": "Hard", "sort_order": 0}],
    },
    {
        "display_name": "Lanyard",
        "type": "radio_buttons",
        "required": False,
        "sort_order": 9,
        "option_values": [{"label": "Red", "sort_order": 0}],
    },
]


RULES: list[dict[str, Any]] = [
    {
        "conditions": [{"modifier": "Strap", "value": "Leather", "variant": "WATCH-S-Sky"}],
        "price_adjuster": {"adjuster": "relative", "adjuster_value": 3},
    },
    {
        "conditions": [
            {"modifier": "Strap", "value": "Steel"},
            {"modifier": "Gift wrap", "value": "Yes"},
        ],
        "purchasing_disabled": True,
        "purchasing_disabled_message": "Steel cannot be wrapped",
        "sort_order": 1,
    },
]


def watch(*, size_type: str = "dropdown", modifiers: list[dict[str, Any]] | None = None) -> dict:
    return {
        "sku": "WATCH",
        "name": "Field Watch",
        "type": "physical",
        "price": 120,
        "weight": 0.3,
        "options": [
            {
                "display_name": "Size",
                "type": size_type,
                "sort_order": 0,
                "option_values": [{"label": s, "sort_order": i} for i, s in enumerate(SIZES)],
            },
            {
                "display_name": "Colour",
                "type": "swatch",
                "sort_order": 1,
                "option_values": [
                    {"label": name, "sort_order": i, "value_data": {"colors": [hex_]}}
                    for i, (name, hex_) in enumerate(COLOURS.items())
                ],
            },
        ],
        "modifiers": copy.deepcopy(MODIFIERS if modifiers is None else modifiers),
        "bulk_pricing_rules": [
            {"quantity_min": 2, "quantity_max": 4, "type": "percent", "amount": 5},
            {"quantity_min": 5, "quantity_max": 0, "type": "price", "amount": 10},
        ],
        "complex_rules": copy.deepcopy(RULES),
        "variants": [
            {
                "sku": f"WATCH-{s}-{c}",
                "price": 120 + i,
                "option_values": [
                    {"option_display_name": "Size", "label": s},
                    {"option_display_name": "Colour", "label": c},
                ],
            }
            for i, (s, c) in enumerate((s, c) for s in SIZES for c in COLOURS)
        ],
    }


def lanyard() -> dict[str, Any]:
    """A product with one option its variants do not use, and one modifier."""
    return {
        "sku": "LANYARD",
        "name": "Lanyard",
        "type": "physical",
        "price": 9,
        "weight": 0.1,
        "options": [
            {
                "display_name": "Clip",
                "type": "product_list",
                "option_values": [{"label": "Brass", "sort_order": 0}],
            }
        ],
        "modifiers": [
            {
                "display_name": "Length",
                "type": "radio_buttons",
                "required": True,
                "option_values": [{"label": "Short"}, {"label": "Long"}],
            }
        ],
    }


async def test_options_and_modifiers_of_every_type_round_trip_through_capture_and_clone(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    prod, sandbox = stores
    catalog = desired([watch(), lanyard()])
    _, result = await sync(prod, catalog)
    assert result.errors == []
    assert (await assess(prod, catalog)).drift.in_sync

    captured = render(to_catalog(await prod.observe(ALL)))
    for name, text in captured.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    reread = load_directory(tmp_path)
    assert render(reread) == captured
    _, cloned = await sync(sandbox, reread)
    assert cloned.errors == []
    assert render(to_catalog(await sandbox.observe(ALL))) == captured
    assert (await assess(sandbox, catalog)).drift.in_sync
    line = next(line for line in captured["products.jsonl"].splitlines() if "WATCH" in line)
    assert '"display_name":"Strap"' in line
    assert '"adjuster":"relative"' in line
    assert '"conditions":[{"modifier":"Strap","value":"Leather","variant":"WATCH-S-Sky"}]' in line


async def test_a_variant_option_change_keeps_every_variant_id(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, desired([watch()]))
    before = {v.sku: v.id for v in (await prod.observe(ALL)).products["watch"].variants}
    changed = watch(size_type="rectangles")
    size = changed["options"][0]
    size["option_values"].append({"label": "XL", "sort_order": 3})
    size["option_values"][0]["is_default"] = True
    changed["options"][1]["option_values"][0]["value_data"] = {"colors": ["#0000FF"]}
    assessment, result = await sync(prod, desired([changed]))
    assert [(s.kind, s.action, s.key) for s in assessment.plan.steps] == [
        ("variantOptions", Action.UPDATE, "WATCH option Size"),
        ("variantOptions", Action.UPDATE, "WATCH option Colour"),
    ]
    assert result.errors == []
    assert result.requests == 2
    after = {v.sku: v.id for v in (await prod.observe(ALL)).products["watch"].variants}
    assert after == before
    assert (await assess(prod, desired([changed]))).drift.in_sync


async def test_changing_one_modifier_value_is_one_request(emulator: Emulator, stores: Any) -> None:
    prod, _ = stores
    await sync(prod, desired([watch()]))
    modifiers = copy.deepcopy(MODIFIERS)
    strap = next(m for m in modifiers if m["display_name"] == "Strap")
    strap["option_values"][0]["adjusters"]["price"]["adjuster_value"] = 7.5
    emulator.control("production").stats.reset()
    assessment, result = await sync(prod, desired([watch(modifiers=modifiers)]))
    assert [s.key for s in assessment.plan.steps] == ["WATCH modifier Strap"]
    assert result.requests == 1
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    writes = {k: v for k, v in by_endpoint.items() if not k.startswith("GET")}
    assert writes == {"PUT /v3/catalog/products/{product_id}/modifiers/{modifier_id}": {"200": 1}}
    assert (await assess(prod, desired([watch(modifiers=modifiers)]))).drift.in_sync


async def strap_values(store: BigCommerceStore) -> dict[str, int]:
    """The ids of the watch's strap modifier values, by label."""
    product = (await store.observe(ALL)).products["watch"]
    return dict(next(m for m in product.modifiers if m.display_name == "Strap").values)


async def test_a_relabelled_modifier_value_is_changed_in_place_in_one_request(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, desired([watch()]))
    before = await strap_values(prod)
    modifiers = copy.deepcopy(MODIFIERS)
    strap = next(m for m in modifiers if m["display_name"] == "Strap")
    strap["option_values"][1]["label"] = "Recycled canvas"  # nothing else of it changes
    emulator.control("production").stats.reset()
    assessment, result = await sync(prod, desired([watch(modifiers=modifiers)]))
    (step,) = assessment.plan.steps
    assert (step.key, step.changes[0]) == (
        "WATCH modifier Strap",
        FieldChange("renamed value", "Canvas", "Recycled canvas"),
    )
    assert result.errors == []
    assert result.requests == 1
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    writes = {k: v for k, v in by_endpoint.items() if not k.startswith("GET")}
    assert writes == {"PUT /v3/catalog/products/{product_id}/modifiers/{modifier_id}": {"200": 1}}
    assert await strap_values(prod) == {
        "Leather": before["Leather"],
        "Recycled canvas": before["Canvas"],
        "Steel": before["Steel"],
    }
    assert (await assess(prod, desired([watch(modifiers=modifiers)]))).drift.in_sync


async def test_a_modifier_value_relabelled_and_repriced_is_replaced(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, desired([watch()]))
    modifiers = copy.deepcopy(MODIFIERS)
    strap = next(m for m in modifiers if m["display_name"] == "Strap")
    strap["option_values"][1]["label"] = "Recycled canvas"
    strap["option_values"][1]["is_default"] = False  # not the same value under a new label
    emulator.control("production").stats.reset()
    assessment, result = await sync(prod, desired([watch(modifiers=modifiers)]))
    (step,) = assessment.plan.steps
    assert [c.field for c in step.changes] == ["option_values"]
    assert result.errors == []
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    assert by_endpoint[
        "DELETE /v3/catalog/products/{product_id}/modifiers/{modifier_id}/values/{value_id}"
    ] == {"204": 1}
    assert (await assess(prod, desired([watch(modifiers=modifiers)]))).drift.in_sync


async def test_drift_of_options_and_modifiers_is_named_by_natural_keys(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    catalog = desired([watch(), lanyard()])
    await sync(store, catalog)
    observed = await store.observe(ALL)
    product_id = observed.products["watch"].id
    strap = next(m for m in observed.products["watch"].modifiers if m.display_name == "Strap")
    size = next(o for o in observed.products["watch"].options if o.display_name == "Size")
    await prod.put(f"/catalog/products/{product_id}/modifiers/{strap.id}", json={"required": False})
    await prod.put(
        f"/catalog/products/{product_id}/options/{size.id}", json={"type": "radio_buttons"}
    )
    lanyard_id = observed.products["lanyard"].id
    extra = await prod.post(
        f"/catalog/products/{lanyard_id}/modifiers",
        json={"display_name": "Charm", "type": "text", "required": False},
    )
    assert extra.status_code == 200
    drift = (await assess(store, catalog)).drift
    assert sorted(drift.samples) == [
        ("modifiers", "LANYARD modifier Charm", "extra", ()),
        ("modifiers", "WATCH modifier Strap", "changed", ("required",)),
        ("variantOptions", "WATCH option Size", "changed", ("type",)),
    ]


async def test_a_removed_option_value_goes_with_its_variants_and_a_new_option_is_one_request(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, desired([watch(), lanyard()]))
    smaller = watch()
    smaller["options"][0]["option_values"] = smaller["options"][0]["option_values"][:2]
    smaller["variants"] = [v for v in smaller["variants"] if "-L-" not in v["sku"]]
    grown = lanyard()
    grown["options"].append(
        {"display_name": "Finish", "type": "radio_buttons", "option_values": [{"label": "Matte"}]}
    )
    emulator.control("production").stats.reset()
    _, result = await sync(prod, desired([smaller, grown]))
    assert result.errors == []
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    assert by_endpoint["POST /v3/catalog/products/{product_id}/options"] == {"200": 1}
    variants = (await prod.observe(ALL)).products["watch"].variants
    assert sorted(v.sku for v in variants) == [
        f"WATCH-{s}-{c}" for s in ("M", "S") for c in sorted(COLOURS)
    ]


def test_variants_must_name_the_options_and_values_their_product_declares() -> None:
    product = watch()
    product["variants"][0]["option_values"][0]["label"] = "XXL"
    product["options"][1]["option_values"].append({"label": "Sky"})
    product["complex_rules"][0]["conditions"][0]["value"] = "Gold"
    with pytest.raises(CatalogInvalid) as refused:
        desired([product])
    messages = [p.message for p in refused.value.problems]
    assert any("Strap=Gold is not among" in m for m in messages), messages
    assert any("Size=XXL" in m for m in messages), messages
    assert any("'Sky' appears twice" in m for m in messages), messages


async def test_rules_are_changed_in_place_and_their_drift_named_by_natural_keys(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    await sync(store, desired([watch()]))
    changed = watch()
    changed["complex_rules"][1]["purchasing_disabled_message"] = "Steel is never wrapped"
    changed["bulk_pricing_rules"][0]["amount"] = 6
    emulator.control("production").stats.reset()
    assessment, result = await sync(store, desired([changed]))
    assert sorted(s.key for s in assessment.plan.steps) == [
        "WATCH bulk pricing from 2",
        "WATCH rule Gift wrap=Yes & Strap=Steel",
    ]
    assert result.requests == 2
    observed = await store.observe(ALL)
    product = observed.products["watch"]
    rule = next(r for r in product.complex_rules if r.fields.get("purchasing_disabled"))
    await prod.put(
        f"/catalog/products/{product.id}/complex-rules/{rule.id}",
        json={"purchasing_disabled_message": "Ask us"},
    )
    await prod.delete(
        f"/catalog/products/{product.id}/bulk-pricing-rules/{product.bulk_pricing_rules[1].id}"
    )
    drift = (await assess(store, desired([changed]))).drift
    assert sorted(drift.samples) == [
        ("bulkPricingRules", "WATCH bulk pricing from 5", "missing", ()),
        (
            "complexRules",
            "WATCH rule Gift wrap=Yes & Strap=Steel",
            "changed",
            ("purchasing_disabled_message",),
        ),
    ]


async def test_a_saved_plan_of_an_option_change_applies_exactly_in_place(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, desired([watch()]))
    changed = watch(size_type="radio_buttons")
    changed["modifiers"][6]["option_values"].pop()  # Strap: Steel goes, and its rule
    changed["complex_rules"].pop()
    assessment = await assess(prod, desired([changed]))
    saved = Plan.from_json(json.loads(json.dumps(assessment.plan.to_json(complete=True))))
    result = await apply(saved, assessment.observed, prod)
    assert result.errors == []
    # the option, the modifier, the value it no longer has (the platform deletes the rule naming it)
    assert result.requests == 3
    assert (await assess(prod, desired([changed]))).drift.in_sync


def test_the_review_of_a_plan_says_a_deleted_option_takes_its_variants() -> None:
    product = ObservedProduct(
        id=1,
        sku="TEE",
        fields={},
        category_ids=frozenset(),
        brand_id=0,
        base_variant_id=None,
        variants=tuple(
            ObservedVariant(10 + i, f"TEE-{s}", (("Size", s),), {}) for i, s in enumerate("SML")
        ),
        custom_fields=(),
        images=(),
        options=(ObservedOption(5, "Size", {"type": "dropdown"}, (("S", 6), ("M", 7), ("L", 8))),),
    )
    store = ObservedCatalog(products={"tee": product})
    wanted = desired([{"sku": "TEE", "options": [], "variants": []}])
    plan = make_plan(wanted, store, Options(prune=True, allow_mass_delete=True))
    review = build_review(plan, store, store="tee-store", source="catalog")
    takes = {e.key: e.takes for e in review.entries}
    assert takes["TEE option Size"] == "also deletes the 3 variants that use it"


async def test_an_incremental_check_reads_the_options_modifiers_and_rules_it_compares(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    catalog = desired([watch(), lanyard()])
    await sync(store, catalog)
    observation = Observation()
    first = await observation.assess(store, catalog, Options(), now=datetime.now(UTC), resync=3600)
    assert observation.mode is Mode.FULL
    assert first.drift.in_sync
    product = (await store.observe(ALL)).products["watch"]
    strap = next(m for m in product.modifiers if m.display_name == "Strap")
    await prod.put(f"/catalog/products/{product.id}/modifiers/{strap.id}", json={"sort_order": 42})
    again = await observation.assess(store, catalog, Options(), now=datetime.now(UTC), resync=3600)
    assert observation.mode is Mode.INCREMENTAL
    assert again.drift.samples == (
        ("modifiers", "WATCH modifier Strap", "changed", ("sort_order",)),
    )


async def test_a_renamed_option_is_changed_in_place_and_keeps_every_variant(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, desired([watch()]))
    before = {v.sku: v.id for v in (await prod.observe(ALL)).products["watch"].variants}
    renamed = json.loads(json.dumps(watch()).replace('"Colour"', '"Finish"'))
    assessment, result = await sync(prod, desired([renamed]), Options(prune=True))
    assert [(s.action, s.key, s.fields()) for s in assessment.plan.steps] == [
        (Action.UPDATE, "WATCH option Finish", ["display_name"])
    ]
    assert result.requests == 1
    after = (await prod.observe(ALL)).products["watch"].variants
    assert {v.sku: v.id for v in after} == before
    assert {name for v in after for name, _ in v.option_values} == {"Size", "Finish"}
    assert (await assess(prod, desired([renamed]))).drift.in_sync


async def test_a_plan_read_with_every_field_sees_the_options_the_store_has(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    catalog = desired([watch()])
    await sync(prod, catalog)
    # what `stagingpro plan --out` and the review page read: every managed field
    observed = await prod.observe(observed_kinds(catalog), fields=None, like=catalog)
    assert (await assess(prod, catalog, observed=observed)).plan.in_sync


def renamed_colour(old: str, new: str) -> dict[str, Any]:
    """The watch with one colour's label renamed in its option and in the variants using it."""
    return json.loads(json.dumps(watch()).replace(f'"{old}"', f'"{new}"'))


async def test_a_renamed_option_value_is_changed_in_place_and_keeps_every_variant(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, desired([watch()]))
    before = {v.sku: v.id for v in (await prod.observe(ALL)).products["watch"].variants}
    renamed = renamed_colour("Night", "Midnight")  # the same variants (by SKU) name it
    renamed["options"][1]["option_values"][1]["sort_order"] = 5
    assessment = await assess(prod, desired([renamed]), Options(prune=True))
    (step,) = assessment.plan.steps
    assert (step.action, step.key, step.changes[0]) == (
        Action.UPDATE,
        "WATCH option Colour",
        FieldChange("renamed value", "Night", "Midnight"),
    )
    shown = io.StringIO()
    plan_table(assessment.plan, store="prod", source="catalog", rate=None, stream=shown)
    assert "WATCH option Colour: renamed value 'Night' -> 'Midnight'" in shown.getvalue()
    review = build_review(assessment.plan, assessment.observed, store="prod", source="catalog")
    (entry,) = review.entries
    assert ("renamed value", "Night", "Midnight") in [
        (r.field, r.before, r.after) for r in entry.rows
    ]
    assert entry.takes == ""

    emulator.control("production").stats.reset()
    result = await apply(assessment.plan, assessment.observed, prod)
    assert result.errors == []
    assert result.requests == 1
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    writes = {k: v for k, v in by_endpoint.items() if not k.startswith("GET")}
    assert writes == {"PUT /v3/catalog/products/{product_id}/options/{option_id}": {"200": 1}}
    after = (await prod.observe(ALL)).products["watch"]
    assert {v.sku: v.id for v in after.variants} == before
    assert {label for v in after.variants for _, label in v.option_values} == {
        *SIZES,
        "Sky",
        "Midnight",
    }
    assert (await assess(prod, desired([renamed]))).drift.in_sync


async def test_a_value_whose_variants_change_is_not_taken_for_a_rename(
    emulator: Emulator, stores: Any
) -> None:
    prod, _ = stores
    await sync(prod, desired([watch()]))
    replaced = renamed_colour("Night", "Midnight")
    for variant in replaced["variants"]:  # other variants (by SKU) name the new label
        variant["sku"] = variant["sku"].replace("Night", "Midnight")
    assessment, result = await sync(prod, desired([replaced]))
    option = next(s for s in assessment.plan.steps if s.key == "WATCH option Colour")
    assert option.fields() == ["option_values"]  # Night removed (with its variants), Midnight added
    assert result.errors == []
    variants = (await prod.observe(ALL)).products["watch"].variants
    assert sorted(v.sku for v in variants if "Midnight" in v.sku) == [
        f"WATCH-{s}-Midnight" for s in ("L", "M", "S")
    ]
    assert (await assess(prod, desired([replaced]))).drift.in_sync


async def test_a_deleted_variant_takes_the_complex_rules_naming_it(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    catalog = desired([watch()])
    await sync(store, catalog)
    product = (await store.observe(ALL)).products["watch"]
    sky = next(v for v in product.variants if v.sku == "WATCH-S-Sky")
    rules = f"/catalog/products/{product.id}/complex-rules"
    named = [
        r["id"] for r in (await prod.get(rules)).json()["data"] if r["conditions"][0]["variant_id"]
    ]
    assert len(named) == 1
    deleted = await prod.delete(f"/catalog/products/{product.id}/variants/{sky.id}")
    assert deleted.status_code == 204
    left = (await prod.get(rules)).json()["data"]
    assert [r["id"] for r in left if r["id"] in named] == []
    assert len(left) == 1  # the rule on modifier values alone stays
    assert (await prod.get(f"{rules}/{named[0]}")).status_code == 404
    drift = (await assess(store, catalog)).drift
    assert sorted(drift.samples) == [
        ("complexRules", "WATCH rule Strap=Leather variant WATCH-S-Sky", "missing", ()),
        ("variants", "WATCH/WATCH-S-Sky", "missing", ()),
    ]


async def test_variants_deleted_with_an_option_value_take_the_complex_rules_naming_them(
    emulator: Emulator, stores: Any, prod: httpx.AsyncClient
) -> None:
    store, _ = stores
    await sync(store, desired([watch()]))
    product = (await store.observe(ALL)).products["watch"]
    colour = next(o for o in product.options if o.display_name == "Colour")
    sky = dict(colour.values)["Sky"]
    gone = await prod.delete(f"/catalog/products/{product.id}/options/{colour.id}/values/{sky}")
    assert gone.status_code == 204
    left = (await prod.get(f"/catalog/products/{product.id}/complex-rules")).json()["data"]
    assert [[c["variant_id"] for c in r["conditions"]] for r in left] == [[None, None]]


async def test_a_clone_from_production_keeps_options_modifiers_and_rules(
    tmp_path: Path, emulator: Emulator, stores: Any
) -> None:
    prod, sandbox = stores
    catalog = desired([watch(), lanyard()])
    await sync(prod, catalog)
    world = manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator)
    status = world.status[("StoreEnvironment", "shop", "sandbox")]
    assert status["clone"]["phase"] == "Succeeded", status
    source, cloned = await prod.observe(ALL), await sandbox.observe(ALL)
    assert render(to_catalog(cloned)) == render(to_catalog(source))
    watch_copy = cloned.products["watch"]
    assert [o.display_name for o in watch_copy.options] == ["Size", "Colour"]
    assert len(watch_copy.modifiers) == len(MODIFIERS)
    assert len(watch_copy.complex_rules) == len(RULES)
    assert len(watch_copy.bulk_pricing_rules) == 2
    assert watch_copy.id != source.products["watch"].id  # the sandbox's own records, by its own ids
    # the rule naming a variant names the sandbox's variant of that SKU
    sky = next(v.id for v in watch_copy.variants if v.sku == "WATCH-S-Sky")
    assert sky in {variant for r in watch_copy.complex_rules for _, _, variant in r.conditions}
    assert (await assess(sandbox, catalog)).drift.in_sync


async def test_variants_deleted_with_their_option_value_are_not_errors_of_a_pruning_apply(
    emulator: Emulator, stores: Any
) -> None:
    """Removing a value deletes its variants on the platform; the plan's deletes of those variants
    then find them gone, which is what a delete wants."""
    prod, _ = stores
    await sync(prod, desired([watch()]))
    smaller = watch()
    smaller["options"][0]["option_values"] = smaller["options"][0]["option_values"][:2]
    smaller["variants"] = [v for v in smaller["variants"] if "-L-" not in v["sku"]]
    _, result = await sync(prod, desired([smaller]), Options(prune=True, allow_mass_delete=True))
    assert result.errors == []
    variants = (await prod.observe(ALL)).products["watch"].variants
    assert not any("-L-" in v.sku for v in variants)
    assert (await assess(prod, desired([smaller]), Options(prune=True))).drift.in_sync
