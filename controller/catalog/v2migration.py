"""The Catalog V2 to V3 migration, decided without I/O: what each product of an older store
becomes, and the check that a shopper sees the same price and weight before and after.

A product in a shared option set gets its own copy of the options (the platform makes it when one
of the product's options is written through V3: option ids stay, value ids change); its SKUs are
its V3 variants already (ids and SKUs kept), and each gets as its own price and weight what a
shopper paid for it under the V2 rules; then its rules go (each is replaced by the variants' own
values); a rule on one value of a modifier option (a checkbox, a text field...) becomes that
value's adjusters. A product is left as it is, saying why, where the result could differ: a rule
combining a modifier with other conditions (a V3 complex rule: not migrated yet), an option
combination without a SKU that a rule prices (V3 has no variant to carry it), or rules whose order
V3's fixed order (variant, then modifiers) cannot follow; the plan prices every combination both
ways before it is made."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from controller.catalog import fields as catalog_fields
from controller.catalog.model import option_values
from controller.catalog.observed import ObservedCatalog, ObservedOption, ObservedProduct
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
    modifiers: list[dict[str, Any]] = field(default_factory=list)  # V3 modifiers

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
        """The V3 pricing model: variants' own values, then modifier adjusters."""
        return V3Product(
            price=self.price, weight=self.weight, variants=self.variants, modifiers=self.modifiers
        )

    def choices(self) -> list[dict[str, Any]]:
        """The options and modifiers a shopper chooses values of."""
        return [*self.options, *(m for m in self.modifiers if m.get("option_values"))]

    def combinations(self) -> list[dict[int, int]]:
        """Every choice of one value per option and modifier."""
        choices = [[(o["id"], v["id"]) for v in o["option_values"]] for o in self.choices()]
        return [dict(combo) for combo in itertools.product(*choices)] if choices else []

    def labels(self) -> dict[tuple[int, int], str]:
        """`Name=Label` of every value, by (option or modifier id, value id)."""
        return {
            (o["id"], v["id"]): f"{o['display_name']}={v['label']}"
            for o in self.choices()
            for v in o["option_values"]
        }

    def shown(self) -> dict[str, Shown]:
        """What a shopper sees for every combination (by its labels), as the store prices it now:
        under the rules while any remain, else from the variants and modifiers."""
        labels = self.labels()
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
class ModifierTarget:
    """A modifier's values with the adjusters a rule gave them."""

    id: int
    name: str
    values: dict[int, dict[str, Any]]  # value id -> adjusters
    labels: dict[int, str]

    def body(self) -> dict[str, Any]:
        """Its update: the adjusters of its values (named by their ids before any copy)."""
        return {"option_values": [{"id": i, "adjusters": a} for i, a in self.values.items()]}


@dataclass
class ProductPlan:
    """What one product becomes (or why it stays)."""

    state: ProductState
    localise: bool = False
    delete_rules: bool = False
    variants: list[VariantTarget] = field(default_factory=list)
    modifiers: list[ModifierTarget] = field(default_factory=list)
    kept_because: str = ""

    @property
    def changes(self) -> bool:
        """Whether anything is written for it."""
        return not self.kept_because and (
            self.localise or self.delete_rules or bool(self.variants) or bool(self.modifiers)
        )

    @property
    def option_writes(self) -> int:
        """Its writes of options and modifiers: each modifier given adjusters, else one option
        write to copy a shared option set (a modifier write copies it as well)."""
        return len(self.modifiers) or int(self.localise)

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
        for modifier in self.modifiers:
            given = ", ".join(
                f"{modifier.labels[i]}: {_adjusted(a)}" for i, a in modifier.values.items()
            )
            out.append(f"  modifier {modifier.name}: rules -> value adjusters ({given})")
        if self.delete_rules:
            out.append(
                f"  {len(state.rules)} rules -> replaced by the variants' prices and the "
                "modifiers' adjusters, deleted"
            )
        if verbose:
            out += [
                f"    {t.sku} ({t.labels}): price {t.price}, weight {t.weight}"
                for t in self.variants
            ]
        return out


def _adjusted(adjusters: Mapping[str, Any]) -> str:
    parts = []
    for name in ("price", "weight"):
        adjuster = adjusters.get(name) or {}
        if adjuster:
            sign = "%" if adjuster["adjuster"] == "percentage" else ""
            parts.append(f"{name} {float(adjuster['adjuster_value']):+g}{sign}")
    return ", ".join(parts)


def _modifier_rule(rule: Mapping[str, Any]) -> bool:
    """Whether a rule on one modifier value can be that value's adjusters."""
    price, weight = rule.get("price_adjuster"), rule.get("weight_adjuster")
    return (
        len(rule.get("conditions") or []) == 1
        and not rule.get("is_stop")
        and rule.get("is_enabled", True)
        and (price is None or price.get("adjuster") in ("relative", "percentage"))
        and (weight is None or weight.get("adjuster") == "relative")
        and not rule.get("is_purchasing_disabled")
        and not rule.get("image_file")
    )


def plan_product(state: ProductState) -> ProductPlan:
    """What a product of an older store becomes."""
    plan = ProductPlan(state)
    if not state.rules:  # its own options already, or a copy to make
        plan.localise = state.set_shared
        return plan
    option_ids = {o["id"] for o in state.options}
    modifiers = {m["id"]: m for m in state.modifiers}
    for_variants, for_modifiers = [], []
    for rule in state.rules:
        conditions = rule.get("conditions") or []
        named = {c.get("product_option_id") for c in conditions} - {None}
        if named & set(modifiers):
            if not _modifier_rule(rule):
                plan.kept_because = (
                    "a rule combines a modifier with other conditions or stops (V3 complex rules: "
                    "not migrated yet)"
                )
                return plan
            for_modifiers.append(rule)
        elif named - option_ids:
            plan.kept_because = "a rule names an option the product does not show"
            return plan
        else:
            for_variants.append(rule)
    model = state.v2()
    labels = state.labels()
    variant_model = V2Product(state.price, state.weight, model.skus, for_variants)
    adjusters: dict[int, dict[int, dict[str, Any]]] = {}
    for rule in for_modifiers:
        condition = rule["conditions"][0]
        values = adjusters.setdefault(condition["product_option_id"], {})
        if condition["option_value_id"] in values:
            plan.kept_because = "two rules price one modifier value"
            return plan
        values[condition["option_value_id"]] = {
            name: {"adjuster": a["adjuster"], "adjuster_value": float(a["adjuster_value"])}
            if (a := rule.get(f"{name}_adjuster"))
            else {}
            for name in ("price", "weight")
        }
    plan.localise = state.set_shared
    if state.rules:
        plan.delete_rules = True
        for variant in state.variants:
            combo = {o["option_id"]: o["id"] for o in variant["option_values"]}
            shown = variant_model.shown(combo)
            plan.variants.append(
                VariantTarget(
                    variant["id"],
                    variant["sku"],
                    ", ".join(labels.get((o, v), f"{o}={v}") for o, v in sorted(combo.items())),
                    shown.price,
                    shown.weight,
                )
            )
    for modifier_id, values in sorted(adjusters.items()):
        modifier = modifiers[modifier_id]
        plan.modifiers.append(
            ModifierTarget(
                modifier_id,
                modifier["display_name"],
                values,
                {v["id"]: v["label"] for v in modifier["option_values"]},
            )
        )
    after = _after(state, plan)
    wrong = [c for c in state.combinations() if model.shown(c) != after.shown(c)]
    if wrong:
        without = [c for c in wrong if model.sku_for(c) is None]
        plan.kept_because = (
            f"{len(without)} option combinations have no SKU and rules price them "
            "(V3 needs a variant for each)"
            if without
            else f"{len(wrong)} combinations would be priced otherwise: the rules' order is not "
            "V3's (the variant, then its modifiers)"
        )
        plan.variants, plan.modifiers = [], []
    return plan


def _after(state: ProductState, plan: ProductPlan) -> V3Product:
    """The product as V3 would price it once the plan is applied."""
    targets = {t.id: t for t in plan.variants}
    variants = [
        {**v, "price": targets[v["id"]].price, "weight": targets[v["id"]].weight}
        if v["id"] in targets
        else v
        for v in state.variants
    ]
    given = {m.id: m.values for m in plan.modifiers}
    modifiers = [
        {
            **m,
            "option_values": [
                {**v, "adjusters": given.get(m["id"], {}).get(v["id"], v.get("adjusters"))}
                for v in m["option_values"]
            ],
        }
        for m in state.modifiers
    ]
    return V3Product(state.price, state.weight, variants, modifiers)


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
    (per product, by the platform's design; a modifier given adjusters is that write, one per
    modifier), one delete of each product's rules, and the variant updates in batches of 50
    across products."""
    in_sets = sum(1 for p in plans if p.state.option_set_id is not None or p.state.rules)
    writes_variants = sum(len(p.variants) for p in plans if p.changes)
    return {
        "reads": pages + in_sets,
        "localise": sum(p.option_writes for p in plans if p.changes),
        "delete_rules": sum(1 for p in plans if p.changes and p.delete_rules),
        "variant_batches": -(-writes_variants // 50),
    }


def migrated(observed: ObservedCatalog, plans: Sequence[ProductPlan]) -> ObservedCatalog:
    """The store as it is once `plans` are applied, in the catalog's terms: each migrated variant
    with its own price and weight (what a shopper paid under the V2 rules), each modifier value a
    rule priced with that rule's adjusters. A capture of an older store is this, and so is what a
    deployment's catalog is planned against when it migrates the store first."""
    by_id = {p.state.id: p for p in plans if p.changes}
    if not by_id:
        return observed
    products = dict(observed.products)
    for key, product in observed.products.items():
        plan = by_id.get(product.id)
        if plan is not None:
            products[key] = _product_after(product, plan)
    return replace(observed, products=products)


def _product_after(product: ObservedProduct, plan: ProductPlan) -> ObservedProduct:
    targets = {t.id: t for t in plan.variants}
    variants = tuple(
        replace(
            v,
            fields={
                **v.fields,
                "price": float(targets[v.id].price),
                "weight": float(targets[v.id].weight),
            },
        )
        if v.id in targets
        else v
        for v in product.variants
    )
    given = {m.id: m for m in plan.modifiers}
    modifiers = tuple(
        _modifier_after(m, given[m.id]) if m.id in given else m for m in product.modifiers
    )
    return replace(product, variants=variants, modifiers=modifiers)


def _modifier_after(modifier: ObservedOption, target: ModifierTarget) -> ObservedOption:
    """A modifier whose values carry the adjusters the rules gave them (by label)."""
    if "option_values" not in modifier.fields:  # not compared: nothing to show
        return modifier
    by_label = {target.labels[i]: a for i, a in target.values.items() if i in target.labels}
    values = modifier.fields["option_values"]
    after = option_values(
        catalog_fields.option_value({**v, "adjusters": by_label[v["label"]]}, n, adjusters=True)
        if v["label"] in by_label
        else v
        for n, v in enumerate(values)
    )
    return replace(modifier, fields={**modifier.fields, "option_values": after})
