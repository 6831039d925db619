"""The planner, case by case: desired + observed -> the steps a user would expect."""

from __future__ import annotations

from typing import Any

import pytest

from controller.catalog.observed import ObservedImage
from controller.planner import Options, Plan, drift, plan
from tests.support.builders import desired, observed, product, variant

BASE = {"type": "physical", "price": 10, "weight": 1}


def p(sku: str, **fields: Any) -> dict[str, Any]:
    return {"sku": sku, "name": sku.title(), **BASE, **fields}


def summary(result: Plan) -> list[tuple[str, str, str, list[str]]]:
    return [(s.kind, s.action, s.key, s.fields()) for s in result.steps]


def test_an_empty_store_gets_every_item_created_parents_first() -> None:
    catalog = desired(
        [p("TEE", categories=["Apparel/Tops"], brand="Acme")],
        categories=["Apparel/Tops", "Apparel"],
        brands=["Acme"],
    )
    result = plan(catalog, observed())
    assert [(s.kind, s.action, s.key) for s in result.steps] == [
        ("brands", "create", "Acme"),
        ("categories", "create", "Apparel"),
        ("categories", "create", "Apparel/Tops"),
        ("products", "create", "TEE"),
    ]
    assert result.estimate_requests() == 4


def test_price_drift_makes_one_product_update() -> None:
    result = plan(desired([p("TEE", price=12.5)]), observed([product(1, "TEE")]))
    assert summary(result) == [("products", "update", "TEE", ["price"])]
    assert result.steps[0].changes[0].before == 10
    assert result.steps[0].id == 1


def test_numbers_compare_by_value_and_case_of_sku_does_not_matter() -> None:
    result = plan(desired([p("tee", price=10.0, weight=1.0)]), observed([product(1, "TEE")]))
    assert result.in_sync


def test_fields_the_catalog_does_not_set_are_never_compared() -> None:
    store = observed(
        [product(1, "TEE", description="<p>Written in the store</p>", is_featured=True)]
    )
    assert plan(desired([p("TEE")]), store).in_sync


def test_stock_levels_belong_to_the_store_unless_a_policy_asks() -> None:
    store = observed([product(1, "TEE", inventory_level=3)])
    catalog = desired([p("TEE", inventory_level=50)])
    assert plan(catalog, store).in_sync
    assert summary(plan(catalog, store, Options(sync_stock=True))) == [
        ("products", "update", "TEE", ["inventory_level"])
    ]


def test_ignored_fields_are_neither_compared_nor_written() -> None:
    store = observed([product(1, "TEE", price=8, sale_price=5)])
    options = Options(ignore={"products": frozenset({"price"})})
    result = plan(desired([p("TEE", price=10, sale_price=4)]), store, options)
    assert summary(result) == [("products", "update", "TEE", ["sale_price"])]


def test_renamed_category_moves_its_products_and_the_old_one_goes_only_with_prune() -> None:
    store = observed(
        [product(1, "TEE", categories=(11,))], categories=[(10, 0, "Apparel"), (11, 10, "Shoes")]
    )
    catalog = desired(
        [p("TEE", categories=["Apparel/Footwear"])], categories=["Apparel", "Apparel/Footwear"]
    )
    kept = plan(catalog, store)
    assert summary(kept) == [
        ("categories", "create", "Apparel/Footwear", []),
        ("products", "update", "TEE", ["categories"]),
    ]
    assert kept.skipped_deletes == 1
    pruned = plan(catalog, store, Options(prune=True, max_delete_percent=50))
    assert summary(pruned)[-1] == ("categories", "delete", "Apparel/Shoes", [])


def test_extra_products_stay_without_prune_and_go_with_it() -> None:
    store = observed([product(1, "KEEP"), product(2, "OLD")])
    catalog = desired([p("KEEP")])
    assert plan(catalog, store).in_sync
    pruned = plan(catalog, store, Options(prune=True, max_delete_percent=50))
    assert summary(pruned) == [("products", "delete", "OLD", [])]
    assert pruned.steps[0].id == 2


def test_a_plan_deleting_more_than_max_delete_percent_is_refused() -> None:
    store = observed([product(i, f"P{i}") for i in range(10)])
    catalog = desired([p(f"P{i}") for i in range(8)])
    assert plan(catalog, store, Options(prune=True, max_delete_percent=20)).problems == ()
    refused = plan(catalog, store, Options(prune=True, max_delete_percent=10))
    assert refused.problems == (
        "the plan deletes 2 of 10 products (20%), more than maxDeletePercent 10%",
    )
    assert (
        plan(
            catalog, store, Options(prune=True, max_delete_percent=10, allow_mass_delete=True)
        ).problems
        == ()
    )


def test_a_variant_price_change_updates_the_variant_in_place() -> None:
    store = observed(
        [product(1, "TEE", variants=[variant(5, "TEE-S", "S", price=10), variant(6, "TEE-M", "M")])]
    )
    catalog = desired(
        [
            p(
                "TEE",
                variants=[
                    {
                        "sku": "TEE-S",
                        "option_values": [{"option_display_name": "Size", "label": "S"}],
                        "price": 11,
                    },
                    {
                        "sku": "TEE-M",
                        "option_values": [{"option_display_name": "Size", "label": "M"}],
                    },
                ],
            )
        ]
    )
    result = plan(catalog, store, Options(prune=True))
    assert summary(result) == [("variants", "update", "TEE/TEE-S", ["price"])]
    assert result.steps[0].id == 5


def test_a_new_variant_is_created_on_its_existing_product() -> None:
    store = observed([product(1, "TEE", variants=[variant(5, "TEE-S", "S")])])
    catalog = desired(
        [
            p(
                "TEE",
                variants=[
                    {
                        "sku": "TEE-S",
                        "option_values": [{"option_display_name": "Size", "label": "S"}],
                    },
                    {
                        "sku": "TEE-L",
                        "option_values": [{"option_display_name": "Size", "label": "L"}],
                    },
                ],
            )
        ]
    )
    result = plan(catalog, store)
    assert summary(result) == [("variants", "create", "TEE/TEE-L", [])]
    assert result.steps[0].owner_key == "tee"
    assert result.steps[0].payload["option_values"] == [
        {"option_display_name": "Size", "label": "L"}
    ]


def test_custom_fields_are_matched_by_name_within_the_product() -> None:
    store = observed(
        [product(1, "TEE", custom_fields=[(7, "material", "cotton"), (8, "fit", "slim")])]
    )
    catalog = desired(
        [
            p(
                "TEE",
                custom_fields=[
                    {"name": "material", "value": "linen"},
                    {"name": "origin", "value": "PT"},
                ],
            )
        ]
    )
    result = plan(catalog, store, Options(prune=True))
    assert summary(result) == [
        ("customFields", "create", "TEE#origin", []),
        ("customFields", "update", "TEE#material", ["value"]),
        ("customFields", "delete", "TEE#fit", []),
    ]


def test_images_follow_the_catalogs_order() -> None:
    store = observed(
        [
            product(
                1,
                "TEE",
                images=[
                    ObservedImage(3, "https://a.jpg", 0, True, ""),
                    ObservedImage(4, "https://b.jpg", 1, False, ""),
                ],
            )
        ]
    )
    catalog = desired(
        [p("TEE", images=[{"image_url": "https://b.jpg", "is_thumbnail": True}, "https://a.jpg"])]
    )
    result = plan(catalog, store)
    assert summary(result) == [
        ("images", "update", "TEE@https://b.jpg", ["sort_order", "is_thumbnail"]),
        ("images", "update", "TEE@https://a.jpg", ["sort_order", "is_thumbnail"]),
    ]


def test_a_brand_change_is_a_product_update_by_name() -> None:
    store = observed([product(1, "TEE", brand_id=3)], brands=[(3, "Acme"), (4, "Zeta")])
    result = plan(desired([p("TEE", brand="zeta")]), store)
    assert summary(result) == [("products", "update", "TEE", ["brand"])]


def test_a_product_the_store_lacks_needs_the_fields_to_create_it() -> None:
    result = plan(desired([{"sku": "NEW", "price": 5}]), observed())
    assert result.problems == (
        "product 'NEW' is not in the store and needs name, type, weight to be created",
    )


def test_estimates_follow_the_batch_maxima() -> None:
    store = observed([product(i, f"P{i}") for i in range(25)])
    result = plan(desired([p(f"P{i}", price=99) for i in range(25)]), store)
    assert result.estimate_requests() == 3
    assert result.estimate_seconds(15.0) == pytest.approx(0.2)


def test_drift_reads_the_plan_the_other_way_with_at_most_twenty_samples() -> None:
    store = observed([product(i, f"P{i}") for i in range(30)] + [product(99, "EXTRA")])
    catalog = desired([p(f"P{i}", price=11) for i in range(30)] + [p("NEW")])
    report = drift(catalog, store)
    assert report.counts == {"products": {"missing": 1, "extra": 1, "changed": 30}}
    assert len(report.samples) == 20
    assert report.samples[0] == ("products", "NEW", "missing", ())
    assert not report.in_sync
    assert drift(desired([p("P0")]), observed([product(1, "P0")])).in_sync


def test_widgets_placements_and_layouts_follow_what_they_name_and_go_before_it() -> None:
    """Templates, then their widgets, then placements and layouts (after the products and pages
    they are on); deletes in reverse; a deleted widget a kept placement points to is refused."""
    from controller.catalog import Item, Kind, build_catalog
    from controller.catalog.observed import (
        ObservedPage,
        ObservedPlacement,
        ObservedWidget,
        ObservedWidgetTemplate,
    )

    widgets = [{"template": "Banner", "name": "Hero", "widget_configuration": {"t": 1}}]
    placement = {
        "widget": "Banner/Hero",
        "template_file": "pages/product",
        "product": "SKU-1",
        "region": "top",
        "sort_order": 1,
    }
    widget = {"type": "widget", "widget_template": "Banner", "configuration": {}}
    layout = {
        "template_file": "pages/page",
        "page": "/sale/",
        "regions": [{"name": "content", "children": [widget]}],
    }
    catalog = build_catalog(
        {
            Kind.PRODUCTS: [
                Item({"sku": "SKU-1", "name": "A", "type": "physical", "weight": 1, "price": 1})
            ],
            Kind.PAGES: [Item({"url": "/sale/", "name": "Sale", "type": "page"})],
            Kind.WIDGET_TEMPLATES: [Item({"name": "Banner", "template": "<p>{{t}}</p>"})],
            Kind.WIDGETS: [Item(w) for w in widgets],
            Kind.PLACEMENTS: [Item(placement)],
            Kind.PAGE_LAYOUTS: [Item(layout)],
        }
    )
    store = observed()
    store.pages, store.widget_templates, store.widgets = {}, {}, {}
    store.placements, store.page_layouts, store.regions = {}, {}, {}
    made = plan(catalog, store, Options(prune=True))
    assert made.problems == ()
    order = [s.kind for s in made.steps]
    for first, then in (
        ("widgetTemplates", "widgets"),
        ("widgets", "placements"),
        ("products", "placements"),
        ("pages", "pageLayouts"),
        ("widgetTemplates", "pageLayouts"),
    ):
        assert order.index(first) < order.index(then), (first, then)
    assert [s.key for s in made.steps if s.kind == "placements"] == ["pages/product SKU-1 top#1"]
    # the store has them; a catalog dropping the widget, not managing placements, keeps its one
    store = observed([product(1, "SKU-1", name="A", type="physical")])
    store.pages = {5: ObservedPage(5, "/sale/", 0, {"name": "Sale", "type": "page"})}
    store.widget_templates = {"Banner": ObservedWidgetTemplate("t1", "Banner", {})}
    store.widgets = {"w1": ObservedWidget("w1", "Hero", "t1", {"widget_configuration": {"t": 1}})}
    fields = {k: v for k, v in placement.items() if k not in ("widget", "product")}
    store.placements = {
        "p1": ObservedPlacement("p1", {**fields, "channel_id": 1}, widget_id="w1", product_id=1)
    }
    store.page_layouts, store.regions = {}, {}
    without = build_catalog(
        {
            Kind.PRODUCTS: [Item({"sku": "SKU-1"})],
            Kind.WIDGET_TEMPLATES: [Item({"name": "Banner", "template": "<p>{{t}}</p>"})],
            Kind.WIDGETS: [],
        }
    )
    refused = plan(without, store, Options(prune=True, allow_mass_delete=True))
    assert (
        "the plan deletes widget 'Banner/Hero', which placement 'pages/product SKU-1 top#1' "
        "points to"
    ) in refused.problems
    gone = build_catalog({**{k: [] for k in (Kind.WIDGETS, Kind.PLACEMENTS)}})
    deletes = plan(gone, store, Options(prune=True, allow_mass_delete=True)).steps
    kinds = [s.kind for s in deletes if s.kind in ("widgets", "placements")]
    assert kinds == ["placements", "widgets"]


def test_a_promotion_compares_in_natural_keys_and_its_codes_are_created_with_it() -> None:
    """The store's ids in a promotion's rules compare as the SKUs and groups they are; a new
    coupon promotion is one create carrying its codes; a new code on a kept one is its own."""
    from controller.catalog import Item, Kind, build_catalog
    from controller.catalog.observed import (
        ObservedCouponCode,
        ObservedCustomerGroup,
        ObservedPromotion,
    )

    rules = [{"action": {"gift_item": {"product": "TEE", "quantity": 1}}}]
    written = {
        "name": "Free tee",
        "redemption_type": "COUPON",
        "customer": {"groups": ["VIP"]},
        "rules": rules,
        "codes": [{"code": "TEE"}],
    }
    catalog = build_catalog(
        {
            Kind.PRODUCTS: [Item(p("TEE"))],
            Kind.CUSTOMER_GROUPS: [Item({"name": "VIP"})],
            Kind.PROMOTIONS: [Item(written)],
        }
    )
    store = observed([product(7, "TEE")])
    store.customer_groups = {3: ObservedCustomerGroup(3, "VIP", {})}
    store.promotions = {}
    created = plan(catalog, store)
    assert [(s.kind, s.action, s.key) for s in created.steps] == [
        ("promotions", "create", "Free tee")
    ]
    assert created.steps[0].payload["codes"] == [{"code": "TEE"}]
    api = {
        "redemption_type": "COUPON",
        "customer": {"group_ids": [3], "excluded_group_ids": [], "minimum_order_count": 0},
        "rules": [{"action": {"gift_item": {"product_id": 7, "quantity": 1}}, "apply_once": True}],
    }
    store.promotions = {9: ObservedPromotion(9, "Free tee", api, [])}
    assert summary(plan(catalog, store)) == [("couponCodes", "create", "Free tee#TEE", [])]
    store.promotions[9].codes.append(ObservedCouponCode(4, "TEE", {"max_uses": 0}))
    assert plan(catalog, store).in_sync
    store.promotions[9].fields["rules"][0]["action"]["gift_item"]["product_id"] = 8
    assert summary(plan(catalog, store)) == [("promotions", "update", "Free tee", ["rules"])]
