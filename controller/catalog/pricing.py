"""What a shopper pays and ships: the price and weight of one choice of option values, under the
V2 model (a SKU's base values, then the product's rules in order) and under the V3 model (a
variant's values, then modifier adjusters, then complex rules). Pure: shared by the emulator (a
SKU's `adjusted_price`) and the migration's verification."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Selection = Mapping[int, int]  # product option (or modifier) id -> chosen value id


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def adjust(
    current: Decimal, adjuster: Mapping[str, Any] | None, *, percent: bool = True
) -> Decimal:
    """Apply one `{adjuster, adjuster_value}`: relative adds, percentage scales, absolute sets."""
    if not adjuster or not adjuster.get("adjuster"):
        return current
    value = _dec(adjuster.get("adjuster_value"))
    kind = adjuster["adjuster"]
    if kind == "relative":
        return current + value
    if kind == "percentage" and percent:
        return current + current * value / 100
    if kind == "absolute":
        return value
    return current


@dataclass(frozen=True)
class Shown:
    """The price and weight a shopper sees, rounded as the storefront shows them."""

    price: Decimal
    weight: Decimal

    @classmethod
    def of(cls, price: Decimal, weight: Decimal) -> Shown:
        return cls(price.quantize(Decimal("0.0001")), weight.quantize(Decimal("0.0001")))


def matches(
    conditions: Sequence[Mapping[str, Any]], selection: Selection, sku_id: int | None
) -> bool:
    """V2 rule conditions (and V3 complex rule conditions, a modifier standing for an option, a
    variant for a SKU; one condition may name both): values of one option are OR'ed, options
    AND'ed, SKUs OR'ed among themselves and AND'ed with the options."""
    by_option: dict[int, set[int]] = {}
    skus: set[int] = set()
    for condition in conditions:
        if condition.get("sku_id") is not None:
            skus.add(int(condition["sku_id"]))
        if condition.get("product_option_id") is not None:
            by_option.setdefault(int(condition["product_option_id"]), set()).add(
                int(condition["option_value_id"])
            )
    if not skus and not by_option:
        return False
    if skus and sku_id not in skus:
        return False
    return all(selection.get(option) in values for option, values in by_option.items())


@dataclass
class V2Product:
    """What V2 says of one product: its price and weight, SKUs and rules."""

    price: Any
    weight: Any
    skus: Sequence[Mapping[str, Any]] = field(default_factory=list)
    rules: Sequence[Mapping[str, Any]] = field(default_factory=list)

    def sku_for(self, selection: Selection) -> Mapping[str, Any] | None:
        """The SKU whose option values the selection holds."""
        for sku in self.skus:
            options = sku.get("options") or []
            if options and all(
                selection.get(int(o["product_option_id"])) == int(o["option_value_id"])
                for o in options
            ):
                return sku
        return None

    def shown(self, selection: Selection, *, derived: Iterable[int] = ()) -> Shown:
        """Price and weight of a selection: the SKU's own values (else the product's), then every
        enabled rule that matches, in `sort_order` (then id), until one that stops. Rules whose id
        is in `derived` (a SKU's own values shown as a rule) are not applied twice."""
        sku = self.sku_for(selection)
        price = _dec(self.price)
        weight = _dec(self.weight)
        if sku is not None:
            if sku.get("price") is not None:
                price = _dec(sku["price"])
            if sku.get("weight") is not None:
                weight = _dec(sku["weight"])
        skip = set(derived)
        sku_id = int(sku["id"]) if sku is not None else None
        for rule in sorted(self.rules, key=lambda r: (int(r.get("sort_order") or 0), int(r["id"]))):
            if not rule.get("is_enabled", True) or int(rule["id"]) in skip:
                continue
            if not matches(rule.get("conditions") or [], selection, sku_id):
                continue
            price = adjust(price, rule.get("price_adjuster"))
            weight = adjust(weight, rule.get("weight_adjuster"), percent=False)
            if rule.get("is_stop"):
                break
        return Shown.of(price, weight)


@dataclass
class V3Product:
    """What V3 says of one product: its price and weight, variants, modifiers and complex rules."""

    price: Any
    weight: Any
    variants: Sequence[Mapping[str, Any]] = field(default_factory=list)
    modifiers: Sequence[Mapping[str, Any]] = field(default_factory=list)
    complex_rules: Sequence[Mapping[str, Any]] = field(default_factory=list)

    def variant_for(self, selection: Selection) -> Mapping[str, Any] | None:
        """The variant whose option values the selection holds."""
        for variant in self.variants:
            values = variant.get("option_values") or []
            if values and all(selection.get(int(v["option_id"])) == int(v["id"]) for v in values):
                return variant
        return None

    def shown(self, selection: Selection) -> Shown:
        """Price and weight of a selection: the variant's own values (else the product's), then
        the adjusters of the chosen modifier values, then the enabled complex rules that match."""
        variant = self.variant_for(selection)
        price = _dec(self.price)
        weight = _dec(self.weight)
        if variant is not None:
            if variant.get("price") is not None:
                price = _dec(variant["price"])
            if variant.get("weight") is not None:
                weight = _dec(variant["weight"])
        for modifier in self.modifiers:
            chosen = selection.get(int(modifier["id"]))
            for value in modifier.get("option_values") or []:
                if int(value["id"]) == chosen:
                    adjusters = value.get("adjusters") or {}
                    price = adjust(price, adjusters.get("price"))
                    weight = adjust(weight, adjusters.get("weight"), percent=False)
        variant_id = int(variant["id"]) if variant is not None else None
        price, weight = complex_rules_applied(
            price, weight, self.complex_rules, selection, variant_id
        )
        return Shown.of(price, weight)


def complex_rules_applied(
    price: Decimal,
    weight: Decimal,
    rules: Iterable[Mapping[str, Any]],
    selection: Selection,
    variant_id: int | None,
) -> tuple[Decimal, Decimal]:
    """A price and weight once the enabled complex rules that match a selection (modifier values
    chosen, the variant) apply, in `sort_order` (then id), until one that stops."""
    for rule in sorted(rules, key=lambda r: (int(r.get("sort_order") or 0), int(r.get("id") or 0))):
        if not rule.get("enabled", True):
            continue
        conditions = [
            {
                "product_option_id": c.get("modifier_id"),
                "option_value_id": c.get("modifier_value_id"),
                "sku_id": c.get("variant_id"),
            }
            for c in rule.get("conditions") or []
        ]
        if not matches(conditions, selection, variant_id):
            continue
        price = adjust(price, rule.get("price_adjuster"))
        weight = adjust(weight, rule.get("weight_adjuster"), percent=False)
        if rule.get("stop"):
            break
    return price, weight
