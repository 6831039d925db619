"""The planner on commerce data, case by case (no store): customer groups, price lists with their
records and assignments, compared in natural keys against what a store holds by its own ids."""

from __future__ import annotations

from typing import Any

from controller.catalog import Item, Kind, build_catalog
from controller.catalog.model import Catalog
from controller.catalog.observed import (
    ObservedAssignment,
    ObservedCatalog,
    ObservedChannel,
    ObservedCustomerGroup,
    ObservedPriceList,
    ObservedPriceRecord,
    ObservedPromotion,
)
from controller.planner import Options, plan
from tests.support.builders import observed, product
from tests.test_planner import p, summary

WHOLESALE = {
    "name": "Wholesale",
    "category_access": {"type": "specific", "categories": ["Footwear"]},
    "discount_rules": [
        {"type": "category", "method": "percent", "amount": 10, "category": "Footwear"},
        {"type": "product", "method": "price", "amount": 7.5, "product": "SHOE"},
    ],
}
# the same group as a store holds it: by that store's ids
WHOLESALE_API = {
    "category_access": {"type": "specific", "categories": [5]},
    "discount_rules": [
        {"type": "product", "method": "price", "amount": "7.5000", "product_id": 7},
        {"type": "category", "method": "percent", "amount": "10.0000", "category_id": 5},
    ],
}
TIERS = [{"quantity_min": 2, "quantity_max": 9, "type": "percent", "amount": 5}]


def catalog(**items: list[dict[str, Any]]) -> Catalog:
    """A catalog of SHOE in Footwear and the items given by kind."""
    written = {Kind(kind): [Item(i) for i in found] for kind, found in items.items()}
    return build_catalog(
        {Kind.PRODUCTS: [Item(p("SHOE"))], Kind.CATEGORIES: [Item({"path": "Footwear"})], **written}
    )


def store(**groups: dict[str, Any]) -> ObservedCatalog:
    """SHOE (7) in Footwear (5), and customer groups by name (ids from 3) as the API has them."""
    found = observed([product(7, "SHOE", categories=(5,))], [(5, 0, "Footwear")])
    found.customer_groups = {
        3 + i: ObservedCustomerGroup(3 + i, name, fields)
        for i, (name, fields) in enumerate(groups.items())
    }
    return found


def test_a_customer_group_compares_in_natural_keys_whatever_the_store_ids() -> None:
    wanted = catalog(customerGroups=[WHOLESALE])
    assert plan(wanted, store(Wholesale=WHOLESALE_API)).in_sync

    changed = store(
        Wholesale={**WHOLESALE_API, "discount_rules": WHOLESALE_API["discount_rules"][:1]}
    )
    assert summary(plan(wanted, changed)) == [
        ("customerGroups", "update", "Wholesale", ["discount_rules"])
    ]
    created = plan(wanted, store())
    assert summary(created) == [("customerGroups", "create", "Wholesale", [])]
    assert created.steps[0].payload["category_access"] == WHOLESALE["category_access"]


def test_a_customer_group_naming_what_no_one_has_is_refused_and_an_unlisted_one_kept() -> None:
    hats = {**WHOLESALE, "category_access": {"type": "specific", "categories": ["Hats"]}}
    refused = plan(catalog(customerGroups=[hats]), store())
    assert refused.problems == (
        "customer group 'Wholesale' names category 'Hats', which neither the catalog nor the "
        "store has",
    )
    kept = store(Wholesale=WHOLESALE_API, Retail={})
    assert summary(plan(catalog(customerGroups=[WHOLESALE]), kept)) == []
    pruned = plan(
        catalog(customerGroups=[WHOLESALE]), kept, Options(prune=True, allow_mass_delete=True)
    )
    assert summary(pruned) == [("customerGroups", "delete", "Retail", [])]


def trade(*records: ObservedPriceRecord) -> ObservedPriceList:
    return ObservedPriceList(4, "Trade", {"active": True}, list(records))


def record(currency: str, price: float, tiers: list[dict[str, Any]] = ()) -> ObservedPriceRecord:  # type: ignore[assignment]
    return ObservedPriceRecord(70, "SHOE", currency, {"price": price, "bulk_pricing_tiers": tiers})


def price_lists(*records: dict[str, Any]) -> Catalog:
    return catalog(priceLists=[{"name": "Trade", "active": True, "records": list(records)}])


def test_price_records_compare_by_sku_and_currency_with_their_tiers() -> None:
    usd = {"sku": "shoe", "currency": "USD", "price": 9, "bulk_pricing_tiers": TIERS}
    eur = {"sku": "SHOE", "currency": "EUR", "price": 11}
    wanted = price_lists(usd, eur)
    found = store()
    found.price_lists = {4: trade(record("USD", 9.0, TIERS), record("EUR", 11, TIERS))}
    assert plan(wanted, found).in_sync  # the EUR record does not manage its tiers

    found.price_lists = {4: trade(record("USD", 9.5, TIERS[:0]), record("EUR", 11))}
    assert summary(plan(wanted, found)) == [
        ("priceRecords", "update", "Trade#USD:shoe", ["price", "bulk_pricing_tiers"])
    ]
    found.price_lists = {4: trade(record("EUR", 11), record("GBP", 8))}
    pruned = plan(wanted, found, Options(prune=True, allow_mass_delete=True))
    assert sorted(summary(pruned)) == [
        ("priceRecords", "create", "Trade#USD:shoe", []),
        ("priceRecords", "delete", "Trade#GBP:SHOE", []),
    ]
    found.price_lists = {}
    created = plan(wanted, found)
    assert summary(created) == [("priceLists", "create", "Trade", [])]
    assert len(created.steps[0].payload["records"]) == 2  # written with the list


def assignments(*written: dict[str, Any]) -> Catalog:
    return catalog(
        customerGroups=[{"name": "Wholesale"}],
        priceLists=[{"name": "Trade"}],
        priceListAssignments=list(written),
    )


def test_an_assignment_names_its_channel_and_compares_by_name() -> None:
    found = store(Wholesale={})
    found.price_lists = {4: trade()}
    found.channels = {1: ObservedChannel(1, "Shop", {}), 6: ObservedChannel(6, "EU", {})}
    found.price_list_assignments = {
        1: ObservedAssignment(1, 4, 3, 6),
        2: ObservedAssignment(2, 4, 0, 1),
    }
    eu = {"price_list": "Trade", "customer_group": "Wholesale", "channel": "EU"}
    everyone = {"price_list": "Trade"}  # on the first storefront, whatever the store calls it
    assert plan(assignments(eu, everyone), found).in_sync

    moved = plan(assignments({**eu, "channel": "default"}, everyone), found, Options(prune=True))
    assert sorted(summary(moved)) == [
        ("priceListAssignments", "create", "Trade | Wholesale | default", []),
        ("priceListAssignments", "delete", "Trade | Wholesale | EU", []),
    ]
    refused = plan(assignments({**eu, "channel": "Mars"}), found)
    assert refused.problems == (
        "price list assignment 'Trade | Wholesale | Mars': channel names channel 'Mars', which "
        "neither the catalog nor the store has",
    )


def test_a_promotion_names_its_channels_and_compares_by_name() -> None:
    rules = [{"action": {"cart_value": {"discount": {"fixed_amount": "10"}}}}]
    written = {"name": "Ten off", "redemption_type": "AUTOMATIC", "rules": rules}
    found = store()
    found.channels = {1: ObservedChannel(1, "Shop", {}), 6: ObservedChannel(6, "EU", {})}
    api = {"redemption_type": "AUTOMATIC", "rules": rules, "channels": [{"id": 6}, {"id": 1}]}
    found.promotions = {9: ObservedPromotion(9, "Ten off", api, [])}
    assert plan(catalog(promotions=[{**written, "channels": ["default", "EU"]}]), found).in_sync

    moved = plan(catalog(promotions=[{**written, "channels": ["EU"]}]), found)
    assert summary(moved) == [("promotions", "update", "Ten off", ["channels"])]
    assert moved.steps[0].changes[0].before == ["default", "EU"]
    refused = plan(catalog(promotions=[{**written, "channels": ["Mars"]}]), found)
    assert refused.problems == (
        "promotion 'Ten off': channels names channel 'Mars', which neither the catalog nor the "
        "store has",
    )
