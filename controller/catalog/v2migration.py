"""The Catalog V2 to V3 migration, decided without I/O: what each product of an older store
becomes, and the check that a shopper sees the same price and weight before and after.

A product in a shared option set gets its own copy of the options (the platform makes it when one
of the product's options is written through V3: option ids stay, value ids change); its SKUs are
its V3 variants already (ids and SKUs kept), and each gets as its own price and weight what a
shopper paid for it under the V2 rules; then its rules go (each is replaced by the variants' own
values). A product is left as it is, saying why, where the result could differ: a rule on a
modifier option (text, checkbox... : V3 modifiers), or an option combination without a SKU that a
rule prices (V3 has no variant to carry it)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from controller.catalog.pricing import Shown, V2Product, V3Product

VARIANT_OPTION_TYPES = frozenset(
    {
        "radio_buttons",
        "rectangles",
        "dropdown",
        "product_list",
        "product_list_with_images",
        "swatch",
    }
)


@dataclass
class ProductState:
    """One product as the store shows it: V3 product, options and variants, V2 rules."""

    id: int
    name: str
    sku: str
    price: Any
    weight: Any
    option_set_id: int | None
    set_shared: bool  # in an option set other products use (not the product's own copy)
    options: list[dict[str, Any]] = field(default_factory=list)  # V3 variant options
    variants: list[dict[str, Any]] = field(default_factory=list)  # V3 variants with option values
    rules: list[dict[str, Any]] = field(default_factory=list)  # V2 rules, not the variants' own

    def v2(self) -> V2Product:
        """The V2 pricing model: SKUs' own values, then the rules."""
        return V2Product(
            price=self.price,
            weight=self.weight,
            skus=[
                {
                    "id": v["id"],
                    "price": v.get("price"),
                    "weight": v.get("weight"),
                    "options": [
                        {"product_option_id": o["option_id"], "option_value_id": o["id"]}
                        for o in v["option_values"]
                    ],
                }
                for v in self.variants
            ],
            rules=self.rules,
        )

    def v3(self) -> V3Product:
        """The V3 pricing model: variants' own values (no modifiers or complex rules)."""
        return V3Product(price=self.price, weight=self.weight, variants=self.variants)

    def combinations(self) -> list[dict[int, int]]:
        """Every choice of one value per option."""
        choices = [[(o["id"], v["id"]) for v in o["option_values"]] for o in self.options]
        return [dict(combo) for combo in itertools.product(*choices)] if choices else []

    def shown(self) -> dict[str, Shown]:
        """What a shopper sees for every combination (by its labels), as the store prices it now:
        under the rules while any remain, else from the variants alone."""
        labels = {
            (o["id"], v["id"]): f"{o['display_name']}={v['label']}"
            for o in self.options
            for v in o["option_values"]
        }
        model: V2Product | V3Product = self.v2() if self.rules else self.v3()
        return {
            ", ".join(labels[(o, v)] for o, v in sorted(combo.items())): model.shown(combo)
            for combo in self.combinations()
        }


def own_rule(rule: Mapping[str, Any], variants: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a V2 rule is a variant's own values shown as a rule: one SKU condition, absolute
    adjusters equal to the variant's own price and weight."""
    conditions = rule.get("conditions") or []
    if len(conditions) != 1 or conditions[0].get("sku_id") is None:
        return False
    variant = next((v for v in variants if v["id"] == conditions[0]["sku_id"]), None)
    if variant is None or rule.get("is_stop"):
        return False
    for name in ("price", "weight"):
        adjuster = rule.get(f"{name}_adjuster")
        own = variant.get(name)
        if adjuster is None:
            if own is not None:
                return False
        elif (
            adjuster.get("adjuster") != "absolute"
            or own is None
            or Decimal(str(adjuster["adjuster_value"])) != Decimal(str(own))
        ):
            return False
    return True


@dataclass
class VariantTarget:
    """A variant's own values after the migration."""

    id: int
    sku: str
    labels: str
    price: Decimal
    weight: Decimal

    def body(self) -> dict[str, Any]:
        """Its part of a batch update of variants."""
        return {"id": self.id, "price": float(self.price), "weight": float(self.weight)}


@dataclass
class ProductPlan:
    """What one product becomes (or why it stays)."""

    state: ProductState
    localise: bool = False
    delete_rules: bool = False
    variants: list[VariantTarget] = field(default_factory=list)
    kept_because: str = ""

    @property
    def changes(self) -> bool:
        """Whether anything is written for it."""
        return not self.kept_because and (self.localise or self.delete_rules or bool(self.variants))

    def lines(self, *, verbose: bool = False) -> list[str]:
        """The plan for people: what the product becomes."""
        state = self.state
        head = f"product {state.id} {state.name!r}"
        if self.kept_because:
            return [f"{head}: kept as it is: {self.kept_because}"]
        options = ", ".join(
            f"{o['display_name']} ({len(o['option_values'])} values)" for o in state.options
        )
        out = [head + ":"]
        if self.localise:
            out.append(f"  options {options}: the product's own variant options (option ids kept)")
        prices = sorted(t.price for t in self.variants)
        if prices:
            out.append(
                f"  {len(self.variants)} SKUs -> variants, SKUs and ids kept, each with its own "
                f"price ({prices[0]} to {prices[-1]}) and weight"
            )
        if self.delete_rules:
            out.append(f"  {len(state.rules)} rules -> replaced by the variants' prices, deleted")
        if verbose:
            out += [
                f"    {t.sku} ({t.labels}): price {t.price}, weight {t.weight}"
                for t in self.variants
            ]
        return out


def plan_product(state: ProductState) -> ProductPlan:
    """What a product of an older store becomes."""
    plan = ProductPlan(state)
    if state.option_set_id is None and not state.rules:
        return plan
    option_ids = {o["id"] for o in state.options}
    for rule in state.rules:
        for condition in rule.get("conditions") or []:
            if condition.get("product_option_id") not in (None, *option_ids):
                plan.kept_because = (
                    "a rule names a modifier option (V3 modifiers: not migrated yet)"
                )
                return plan
    model = state.v2()
    combos = state.combinations()
    labels = {
        (o["id"], v["id"]): f"{o['display_name']}={v['label']}"
        for o in state.options
        for v in o["option_values"]
    }
    base = Shown.of(Decimal(str(state.price or 0)), Decimal(str(state.weight or 0)))
    without = [c for c in combos if model.sku_for(c) is None]
    if state.rules and any(model.shown(c) != base for c in without):
        plan.kept_because = (
            f"{len(without)} option combinations have no SKU and rules price them "
            "(V3 needs a variant for each)"
        )
        return plan
    plan.localise = state.set_shared
    if state.rules:
        plan.delete_rules = True
        for variant in state.variants:
            combo = {o["option_id"]: o["id"] for o in variant["option_values"]}
            shown = model.shown(combo)
            plan.variants.append(
                VariantTarget(
                    variant["id"],
                    variant["sku"],
                    ", ".join(labels.get((o, v), f"{o}={v}") for o, v in sorted(combo.items())),
                    shown.price,
                    shown.weight,
                )
            )
    return plan


@dataclass
class Difference:
    """A price or weight a shopper sees differently after the migration."""

    product_id: int
    combination: str
    before: Shown | None
    after: Shown | None

    def __str__(self) -> str:
        def text(shown: Shown | None) -> str:
            return "not sold" if shown is None else f"price {shown.price}, weight {shown.weight}"

        return (
            f"product {self.product_id} ({self.combination}): before {text(self.before)}, "
            f"after {text(self.after)}"
        )


def differences(
    before: Mapping[int, Mapping[str, Shown]], after: Mapping[int, Mapping[str, Shown]]
) -> list[Difference]:
    """Every combination of every product whose price or weight differs (or that is gone)."""
    out = []
    for product_id, shown in sorted(before.items()):
        now = after.get(product_id, {})
        for combination in sorted(set(shown) | set(now)):
            if shown.get(combination) != now.get(combination):
                out.append(
                    Difference(
                        product_id, combination, shown.get(combination), now.get(combination)
                    )
                )
    return out


def requests_minimum(plans: Sequence[ProductPlan], pages: int) -> dict[str, int]:
    """The fewest requests the API allows for this migration: the pages of products (with their
    options and variants), each product's rules (no store-wide list of rules), the option sets
    (to tell shared sets from a product's own), one option write per product to copy its set
    (per product, by the platform's design), one delete of each product's rules, and the variant
    updates in batches of 50 across products."""
    in_sets = sum(1 for p in plans if p.state.option_set_id is not None or p.state.rules)
    writes_variants = sum(len(p.variants) for p in plans if p.changes)
    return {
        "reads": pages + in_sets,
        "localise": sum(1 for p in plans if p.changes and p.localise),
        "delete_rules": sum(1 for p in plans if p.changes and p.delete_rules),
        "variant_batches": -(-writes_variants // 50),
    }
