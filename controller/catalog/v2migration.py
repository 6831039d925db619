"""The Catalog V2 to V3 migration, decided without I/O: what each product of an older store
becomes, and the check that a shopper sees the same price and weight before and after.

A product in a shared option set gets its own copy of the options (the platform makes it when one
of the product's options is written through V3: option ids stay, value ids change); its SKUs are
its V3 variants already (ids and SKUs kept), and each gets as its own price and weight what a
shopper paid for it under the V2 rules on variant options and SKUs; a rule on one value of a
modifier option (a checkbox, a text field...) becomes that value's adjusters, and any other rule
naming a modifier (with option values or SKUs, with other modifier values, or one that stops the
rules after it) a V3 complex rule, in the rules' order, its option values and SKUs as the variants
that have them; where V3's fixed order (the variant, then its modifiers' adjusters, then complex
rules) cannot follow them one by one, what each choice of modifier values adds to each variant,
as complex rules; then the V2 rules go. A product is left as it is, saying why, where V3 cannot
say the same: an option combination without a SKU that a rule prices (V3 has no variant to carry
it), a rule naming a modifier that disables purchasing or shows an image in an order V3 cannot
follow, or a rule naming an option the product does not show; the plan prices every combination
both ways before it is made."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from controller.catalog import fields as catalog_fields
from controller.catalog.model import conditions_key, option_values
from controller.catalog.observed import (
    ObservedCatalog,
    ObservedOption,
    ObservedProduct,
    ObservedRule,
)
from controller.catalog.pricing import Shown, V2Product, V3Product, matches
from controller.text import plural

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
    complex_rules: list[dict[str, Any]] = field(default_factory=list)  # V3 (when read)

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
            price=self.price,
            weight=self.weight,
            variants=self.variants,
            modifiers=self.modifiers,
            complex_rules=self.complex_rules,
        )

    def choices(self) -> list[dict[str, Any]]:
        """The options and modifiers a shopper chooses values of."""
        return [*self.options, *(m for m in self.modifiers if m.get("option_values"))]

    def combinations(self) -> list[dict[int, int]]:
        """Every choice of one value per option and modifier (none, for a modifier a shopper may
        leave empty: one not `required`)."""
        optional = {m["id"] for m in self.modifiers if not required(m)}
        choices = [
            [(o["id"], v["id"]) for v in o["option_values"]]
            + ([None] if o in self.modifiers and o["id"] in optional else [])
            for o in self.choices()
        ]
        return (
            [dict(c for c in combo if c is not None) for combo in itertools.product(*choices)]
            if choices
            else []
        )

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


def required(modifier: Mapping[str, Any]) -> bool:
    """Whether a shopper must choose a value of a modifier (else none may be chosen)."""
    return bool(modifier.get("required", True))


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


def _same_adjuster(v2: Mapping[str, Any] | None, v3: Mapping[str, Any] | None) -> bool:
    if not (v2 and v2.get("adjuster")) or not (v3 and v3.get("adjuster")):
        return not (v2 and v2.get("adjuster")) and not (v3 and v3.get("adjuster"))
    return v2["adjuster"] == v3["adjuster"] and Decimal(str(v2["adjuster_value"])) == Decimal(
        str(v3["adjuster_value"])
    )


def _same_effect(rule: Mapping[str, Any], price: Any, weight: Any) -> bool:
    return _same_adjuster(rule.get("price_adjuster"), price) and _same_adjuster(
        rule.get("weight_adjuster"), weight
    )


def adjuster_rule(rule: Mapping[str, Any], modifiers: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a V2 rule is a modifier value's adjusters shown as a rule (the platform shows
    them so): one condition on that value, the same adjusters."""
    conditions = rule.get("conditions") or []
    if len(conditions) != 1 or rule.get("is_stop") or not rule.get("is_enabled", True):
        return False
    option, value = conditions[0].get("product_option_id"), conditions[0].get("option_value_id")
    for modifier in modifiers:
        for v in modifier.get("option_values") or [] if modifier["id"] == option else []:
            adjusters = v.get("adjusters") or {}
            if v["id"] == value and (adjusters.get("price") or adjusters.get("weight")):
                return _same_effect(rule, adjusters.get("price"), adjusters.get("weight"))
    return False


def complex_rule_shown(rule: Mapping[str, Any], complex_rules: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a V2 rule is a V3 complex rule shown as a rule: the same conditions (a modifier
    value as an option value, a variant as a SKU) and adjusters."""
    conditions = {
        (c.get("product_option_id"), c.get("option_value_id"), c.get("sku_id"))
        for c in rule.get("conditions") or []
    }
    return any(
        conditions
        == {
            (c.get("modifier_id"), c.get("modifier_value_id"), c.get("variant_id"))
            for c in r.get("conditions") or []
        }
        and _same_effect(rule, r.get("price_adjuster"), r.get("weight_adjuster"))
        for r in complex_rules
    )


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
class RuleTarget:
    """A V2 rule naming a modifier, as the V3 complex rule that replaces it: its modifier values
    (modifier id, display name, value label, the value's id when planned: a copied set gives
    the values new ids, found again by label) and variants (id, SKU), its order and effect."""

    values: list[tuple[int, str, str, int]]
    variants: list[tuple[int, str]]
    sort_order: int = 0
    stop: bool = False
    enabled: bool = True
    price: dict[str, Any] = field(default_factory=dict)  # {adjuster, adjuster_value} or {}
    weight: dict[str, Any] = field(default_factory=dict)
    purchasing_disabled: bool = False
    purchasing_disabled_message: str = ""
    purchasing_hidden: bool = False
    image_url: str = ""

    @property
    def key(self) -> str:
        """The conditions in natural keys, as a catalog knows the rule."""
        return conditions_key(
            [(name, label, "") for _, name, label, _ in self.values]
            + [("", "", sku) for _, sku in self.variants]
        )

    def fields(self) -> dict[str, Any]:
        """Everything but the conditions, as the API writes and answers them."""
        return {
            "sort_order": self.sort_order,
            "enabled": self.enabled,
            "stop": self.stop,
            "purchasing_disabled": self.purchasing_disabled,
            "purchasing_disabled_message": self.purchasing_disabled_message,
            "purchasing_hidden": self.purchasing_hidden,
            "image_url": self.image_url,
            "price_adjuster": dict(self.price),
            "weight_adjuster": dict(self.weight),
        }

    def conditions(
        self, ids: Mapping[int, Mapping[str, int]], product_id: int = 0
    ) -> list[dict[str, Any]]:
        """Its conditions by the product's ids (`ids`: each modifier's value ids by label, where
        they are no longer those planned: a modifier there without the label is an error, the
        planned id belonging to the product no more)."""
        for modifier, name, label, _ in self.values:
            if modifier in ids and label not in ids[modifier]:
                raise ValueGone(
                    f"product {product_id}: modifier {modifier} {name!r} has no value {label!r} "
                    f"any more (it has {', '.join(map(repr, ids[modifier])) or 'none'}): the "
                    "complex rule naming it cannot be written"
                )
        return [
            {
                "modifier_id": modifier,
                "modifier_value_id": ids[modifier][label] if modifier in ids else value,
                "variant_id": None,
            }
            for modifier, _, label, value in self.values
        ] + [
            {"modifier_id": None, "modifier_value_id": None, "variant_id": variant}
            for variant, _ in self.variants
        ]

    def body(self, product_id: int, ids: Mapping[int, Mapping[str, int]]) -> dict[str, Any]:
        """Its create."""
        conditions = self.conditions(ids, product_id)
        return {"product_id": product_id, **self.fields(), "conditions": conditions}

    def text(self, *, verbose: bool = False, every: int = 0) -> str:
        """For people: `Gift wrap=Yes on variants A, B: price +3, then no further rule` (`on all
        12 variants` where they are the product's `every` variants)."""
        chosen = " and ".join(f"{name}={label}" for _, name, label, _ in self.values)
        skus = [sku for _, sku in self.variants]
        if len(skus) > 3 and not verbose:
            skus = [*skus[:3], f"{len(self.variants) - 3} more"]
        on = f" on variant{'s' if len(self.variants) > 1 else ''} {', '.join(skus)}" if skus else ""
        if every > 1 and len(self.variants) == every and not verbose:
            on = f" on all {every} variants"
        effect = _adjusted({"price": self.price, "weight": self.weight}) or "no price or weight"
        extra = [
            *(["then no further rule"] if self.stop else []),
            *(["purchasing disabled"] if self.purchasing_disabled else []),
            *(["purchasing hidden"] if self.purchasing_hidden else []),
            *(["an image"] if self.image_url else []),
            *(["disabled"] if not self.enabled else []),
        ]
        return f"{chosen}{on}: {', '.join([effect, *extra])}"

    def to_json(self) -> dict[str, Any]:
        """As kept in a plan."""
        return {
            **self.fields(),
            "values": [list(v) for v in self.values],
            "variants": [list(v) for v in self.variants],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleTarget:
        """A rule kept by `to_json`."""
        rest = {k: v for k, v in data.items() if k not in ("values", "variants")}
        return cls(
            values=[(int(m), str(n), str(lab), int(v)) for m, n, lab, v in data["values"]],
            variants=[(int(i), str(sku)) for i, sku in data["variants"]],
            sort_order=int(rest["sort_order"]),
            stop=bool(rest["stop"]),
            enabled=bool(rest["enabled"]),
            price=dict(rest["price_adjuster"]),
            weight=dict(rest["weight_adjuster"]),
            purchasing_disabled=bool(rest["purchasing_disabled"]),
            purchasing_disabled_message=str(rest["purchasing_disabled_message"]),
            purchasing_hidden=bool(rest["purchasing_hidden"]),
            image_url=str(rest["image_url"]),
        )


@dataclass
class ProductPlan:
    """What one product becomes (or why it stays)."""

    state: ProductState
    localise: bool = False
    delete_rules: bool = False
    variants: list[VariantTarget] = field(default_factory=list)
    modifiers: list[ModifierTarget] = field(default_factory=list)
    rules: list[RuleTarget] = field(default_factory=list)  # complex rules, in order
    kept_because: str = ""

    @property
    def changes(self) -> bool:
        """Whether anything is written for it."""
        return not self.kept_because and (
            self.localise
            or self.delete_rules
            or bool(self.variants)
            or bool(self.modifiers)
            or bool(self.rules)
        )

    @property
    def written_modifiers(self) -> list[int]:
        """The modifiers written before its complex rules: each given adjusters and, where the
        product's shared set is copied (its values get new ids, which the write answers), each
        that its complex rules name."""
        given = [m.id for m in self.modifiers]
        named = sorted({m for r in self.rules for m, *_ in r.values} - set(given))
        return given + (named if self.localise else [])

    @property
    def option_writes(self) -> int:
        """Its writes of options and modifiers: each modifier in `written_modifiers`, else one
        option write to copy a shared option set (a modifier write copies it as well)."""
        return len(self.written_modifiers) or int(self.localise)

    def lines(self, *, verbose: bool = False) -> list[str]:
        """The plan for people: what the product becomes."""
        state = self.state
        head = f"product {state.id} {state.name!r}"
        if self.kept_because:
            return [f"{head}: kept as it is: {self.kept_because}"]
        options = ", ".join(
            f"{o['display_name']} ({plural(len(o['option_values']), 'value')})"
            for o in state.options
        )
        out = [head + ":"]
        if self.localise:
            out.append(f"  options {options}: the product's own variant options (option ids kept)")
        prices = sorted(t.price for t in self.variants)
        if prices:
            out.append(
                f"  {plural(len(self.variants), 'SKU')} -> variants, SKUs and ids kept, each with its own "
                f"price ({prices[0]} to {prices[-1]}) and weight"
            )
        for modifier in self.modifiers:
            given = ", ".join(
                f"{modifier.labels[i]}: {_adjusted(a)}" for i, a in modifier.values.items()
            )
            out.append(f"  modifier {modifier.name}: rules -> value adjusters ({given})")
        for rule in self.rules:
            every = len(state.variants)
            out.append(f"  rule -> complex rule {rule.text(verbose=verbose, every=every)}")
        if self.delete_rules:
            out.append(
                f"  {plural(len(state.rules), 'rule')} -> replaced by the variants' prices and the "
                "modifiers' adjusters"
                + (f" and {plural(len(self.rules), 'complex rule')}" if self.rules else "")
                + ", deleted"
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


def _not_priced(rule: Mapping[str, Any]) -> bool:
    """Whether a rule does more than price and weigh: purchasability or an image."""
    return bool(
        rule.get("is_purchasing_disabled")
        or rule.get("is_purchasing_hidden")
        or rule.get("image_file")
    )


def _modifier_rule(rule: Mapping[str, Any]) -> bool:
    """Whether a rule on one modifier value can be that value's adjusters."""
    price, weight = rule.get("price_adjuster"), rule.get("weight_adjuster")
    return (
        len(rule.get("conditions") or []) == 1
        and not rule.get("is_stop")
        and rule.get("is_enabled", True)
        and (price is None or price.get("adjuster") in ("relative", "percentage"))
        and (weight is None or weight.get("adjuster") == "relative")
        and not rule.get("purchasing_disabled_message")
        and not _not_priced(rule)
    )


def _order(rule: Mapping[str, Any]) -> tuple[int, int]:
    return int(rule.get("sort_order") or 0), int(rule["id"])


def _selection(variant: Mapping[str, Any]) -> dict[int, int]:
    return {int(o["option_id"]): int(o["id"]) for o in variant["option_values"]}


def _adjuster(rule: Mapping[str, Any], name: str) -> dict[str, Any]:
    found = rule.get(f"{name}_adjuster") or {}
    if not found.get("adjuster"):
        return {}
    return {"adjuster": found["adjuster"], "adjuster_value": float(found["adjuster_value"])}


class ValueGone(Exception):
    """A modifier value a planned complex rule names is no longer the product's (by label)."""


class Inexpressible(Exception):
    """What V3 cannot say of a product's rules (the reason it is kept as it is)."""


def _complex_rules(
    state: ProductState, ordered: Sequence[Mapping[str, Any]], chosen: Sequence[Mapping[str, Any]]
) -> list[RuleTarget]:
    """The `chosen` rules (naming modifiers) as complex rules: their modifier values kept, their
    option values and SKUs as the variants having them, less those a rule on variant options
    before it stops (their variant prices hold that rule)."""
    modifiers = {m["id"]: m for m in state.modifiers}
    stopped: set[int] = set()
    out = []
    for rule in ordered:
        conditions = rule.get("conditions") or []
        if not any(c.get("product_option_id") in modifiers for c in conditions):
            if rule.get("is_stop") and rule.get("is_enabled", True):
                stopped |= {
                    v["id"] for v in state.variants if matches(conditions, _selection(v), v["id"])
                }
            continue
        if not any(rule is c for c in chosen):
            continue
        price, weight = _adjuster(rule, "price"), _adjuster(rule, "weight")
        if "absolute" in (price.get("adjuster"), weight.get("adjuster")):
            raise Inexpressible(
                "a rule naming a modifier sets an absolute price or weight (V3's complex rules "
                "only add or scale)"
            )
        values = []
        for c in conditions:
            modifier = modifiers.get(c.get("product_option_id"))
            if modifier is not None:
                label = next(
                    v["label"] for v in modifier["option_values"] if v["id"] == c["option_value_id"]
                )
                values.append(
                    (modifier["id"], modifier["display_name"], label, c["option_value_id"])
                )
        rest = [c for c in conditions if c.get("product_option_id") not in modifiers]
        restricted = bool(rest) or bool(stopped)
        variants = [
            v
            for v in state.variants
            if v["id"] not in stopped and (not rest or matches(rest, _selection(v), v["id"]))
        ]
        if restricted and not variants:
            continue  # it applies to no variant: V2 never applies it either (checked after)
        if not restricted and len(set(values)) < 2:
            if not state.variants:
                raise Inexpressible(
                    "a rule on one modifier value that V3 can only write as a complex rule (it "
                    "stops the rules after it, is ordered among them, or disables or hides "
                    "purchasing), on a product without "
                    "variants: a complex rule written through V3 names two modifier values, or "
                    "one and a variant"
                )
            variants = list(state.variants)  # every variant: the rule as it was
            restricted = True
        out.append(
            RuleTarget(
                values=values,
                variants=[(v["id"], v["sku"]) for v in variants] if restricted else [],
                sort_order=int(rule.get("sort_order") or 0),
                stop=bool(rule.get("is_stop")),
                enabled=bool(rule.get("is_enabled", True)),
                price=price,
                weight=weight,
                purchasing_disabled=bool(rule.get("is_purchasing_disabled")),
                purchasing_disabled_message=str(rule.get("purchasing_disabled_message") or ""),
                purchasing_hidden=bool(rule.get("is_purchasing_hidden")),
                image_url=str(rule.get("image_file") or ""),
            )
        )
    keys = [r.key.casefold() for r in out]
    if len(set(keys)) < len(keys):
        raise Inexpressible(
            "two rules naming a modifier have the same conditions (a catalog knows a complex "
            "rule by its conditions)"
        )
    return out


def _adjusters(rules: Sequence[Mapping[str, Any]]) -> dict[int, dict[int, dict[str, Any]]]:
    """Rules on one modifier value each as that value's adjusters, by modifier and value."""
    adjusters: dict[int, dict[int, dict[str, Any]]] = {}
    for rule in rules:
        condition = rule["conditions"][0]
        values = adjusters.setdefault(condition["product_option_id"], {})
        if condition["option_value_id"] in values:
            raise Inexpressible("two rules price one modifier value")
        values[condition["option_value_id"]] = {
            name: {"adjuster": a["adjuster"], "adjuster_value": float(a["adjuster_value"])}
            if (a := rule.get(f"{name}_adjuster"))
            else {}
            for name in ("price", "weight")
        }
    return adjusters


def plan_product(state: ProductState) -> ProductPlan:
    """What a product of an older store becomes: its rules on variant options and SKUs as the
    variants' own prices and weights; rules on one modifier value as that value's adjusters
    where that prices every combination as before, else (and the other rules naming a modifier)
    as complex rules, in the rules' order; kept as it is, saying why, when none of these does."""
    plan = ProductPlan(state)
    if not state.rules:  # its own options already, or a copy to make
        plan.localise = state.set_shared
        return plan
    option_ids = {o["id"] for o in state.options}
    modifiers = {m["id"]: m for m in state.modifiers}
    ordered = sorted(state.rules, key=_order)
    for_variants, for_modifiers = [], []
    for rule in ordered:
        conditions = rule.get("conditions") or []
        named = {c.get("product_option_id") for c in conditions} - {None}
        if named & set(modifiers):
            for_modifiers.append(rule)
        elif named - option_ids:
            plan.kept_because = "a rule names an option the product does not show"
            return plan
        elif rule.get("is_enabled", True) and _not_priced(rule):
            # the variants' prices and weights replace these rules; this would be lost
            plan.kept_because = (
                "a rule on option values or SKUs disables or hides purchasing, or shows an image "
                "(not carried to the variants)"
            )
            return plan
        else:
            for_variants.append(rule)
    model = state.v2()
    labels = state.labels()
    variant_model = V2Product(state.price, state.weight, model.skus, for_variants)
    plan.localise = state.set_shared
    plan.delete_rules = True
    for variant in state.variants:
        combo = _selection(variant)
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
    simple = [r for r in for_modifiers if _modifier_rule(r)]
    complex_ = [r for r in for_modifiers if not _modifier_rule(r)]

    def written(
        as_adjusters: Sequence[Mapping[str, Any]], as_rules: Sequence[Mapping[str, Any]]
    ) -> Callable[[], tuple[dict[int, dict[int, dict[str, Any]]], list[RuleTarget]]]:
        return lambda: (_adjusters(as_adjusters), _complex_rules(state, ordered, as_rules))

    # the ways to write them, the fewest complex rules first: each rule as it is, then what
    # each choice of modifier values adds to each variant, tabulated
    ways = [written(simple, complex_)]
    if simple and complex_:
        ways.append(written([], for_modifiers))
    if for_modifiers:
        ways.append(lambda: _tabulated(state, model, plan.variants, for_modifiers))
    reason = ""
    for way in ways:
        try:
            adjusters, plan.rules = way()
        except Inexpressible as why:
            reason = str(why)
            continue
        plan.modifiers = [
            ModifierTarget(
                modifier_id,
                modifiers[modifier_id]["display_name"],
                values,
                {v["id"]: v["label"] for v in modifiers[modifier_id]["option_values"]},
            )
            for modifier_id, values in sorted(adjusters.items())
        ]
        after = _after(state, plan)
        wrong = [c for c in state.combinations() if model.shown(c) != after.shown(c)]
        if not wrong:
            return plan
        without = [c for c in wrong if model.sku_for(c) is None]
        reason = (
            f"{len(without)} option combinations have no SKU and rules price them "
            "(V3 needs a variant for each)"
            if without
            else f"{len(wrong)} combinations would be priced otherwise: the rules' order is not "
            "one V3 can follow (the variant's price, then its modifiers' adjusters, then complex "
            "rules)"
        )
    plan.kept_because = reason
    plan.variants, plan.modifiers, plan.rules = [], [], []
    plan.localise = plan.delete_rules = False
    return plan


def _tabulated(
    state: ProductState,
    model: V2Product,
    targets: Sequence[VariantTarget],
    rules: Sequence[Mapping[str, Any]],
) -> tuple[dict[int, dict[int, dict[str, Any]]], list[RuleTarget]]:
    """Rules naming modifiers that V3 cannot follow one by one, as what each choice of values of
    the modifiers they name (none, of one a shopper may leave empty) adds to each variant's price
    and weight under V2: one complex rule per choice and amount, naming the variants it adds that
    to, each stopping the rules after it where a part of a choice adds something (on a product
    without variants and with one such modifier, that modifier's values' adjusters)."""
    if any(_not_priced(r) for r in rules):
        raise Inexpressible(
            "a rule naming a modifier disables or hides purchasing, or shows an image, in an "
            "order V3 cannot follow (the variant, then its modifiers' adjusters, then complex "
            "rules)"
        )
    named = {c.get("product_option_id") for r in rules for c in r.get("conditions") or []}
    modifiers = [m for m in state.modifiers if m.get("option_values") and m["id"] in named]
    choices = list(
        itertools.product(
            *[
                [(m["id"], v["id"]) for v in m["option_values"]] + ([] if required(m) else [None])
                for m in modifiers
            ]
        )
    )
    base = {t.id: Shown.of(t.price, t.weight) for t in targets}
    owners: list[tuple[dict[int, int], Shown, tuple[int, str] | None]] = [
        (_selection(v), base[v["id"]], (v["id"], v["sku"])) for v in state.variants
    ] or [({}, Shown.of(Decimal(str(state.price)), Decimal(str(state.weight))), None)]
    Chosen = tuple[tuple[int, int], ...]
    amounts: list[tuple[tuple[int, str] | None, dict[Chosen, tuple[Decimal, Decimal]]]] = []
    for selection, before, variant in owners:
        found: dict[Chosen, tuple[Decimal, Decimal]] = {}
        for choice in choices:
            chosen = tuple(c for c in choice if c is not None)
            shown = model.shown({**selection, **dict(chosen)})
            found[chosen] = (shown.price - before.price, shown.weight - before.weight)
        if any(found.pop((), (0, 0))):
            raise Inexpressible("rules naming modifiers price a choice of none of them")
        amounts.append((variant, found))
    # a complex rule on some modifier values applies whatever else is chosen: where what a
    # choice adds differs from what a part of it adds (a modifier left empty), each rule stops
    # the rules after it, the choices of more values first
    layered = any(
        set(part) < set(chosen) and any(added)
        for _, found in amounts
        for part, added in found.items()
        for chosen in found
    )
    added: dict[tuple[Chosen, Decimal, Decimal], list[tuple[int, str]]] = {}
    for variant, found in amounts:
        for chosen, (price, weight) in found.items():
            under = any(set(p) < set(chosen) and any(a) for p, a in found.items())
            if price or weight or (layered and under):
                added.setdefault((chosen, price, weight), []).extend([variant] if variant else [])
    if not state.variants and len(modifiers) == 1:
        adjusters: dict[int, dict[str, Any]] = {
            v["id"]: {"price": {}, "weight": {}} for v in modifiers[0]["option_values"]
        }
        for ((_, value),), price, weight in added:
            adjusters[value] = {
                "price": {"adjuster": "relative", "adjuster_value": float(price)} if price else {},
                "weight": {"adjuster": "relative", "adjuster_value": float(weight)}
                if weight
                else {},
            }
        return {modifiers[0]["id"]: adjusters}, []
    if not state.variants and any(len(chosen) < 2 for chosen, _, _ in added):
        raise Inexpressible(
            "rules naming modifiers, one of which may be left empty, on a product without "
            "variants: a complex rule written through V3 names two modifier values, or one and a "
            "variant"
        )
    names = {
        (m["id"], v["id"]): (m["display_name"], v["label"])
        for m in modifiers
        for v in m["option_values"]
    }
    ordered = sorted(added.items(), key=lambda item: -len(item[0][0])) if layered else added.items()
    return {}, [
        RuleTarget(
            values=[(m, *names[(m, v)], v) for m, v in chosen],
            variants=variants,
            stop=layered,
            price={"adjuster": "relative", "adjuster_value": float(price)} if price else {},
            weight={"adjuster": "relative", "adjuster_value": float(weight)} if weight else {},
        )
        for (chosen, price, weight), variants in ordered
    ]


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
    rules = [
        {**r.fields(), "id": n, "conditions": r.conditions({})}
        for n, r in enumerate(plan.rules, start=1)
    ]
    return V3Product(state.price, state.weight, variants, modifiers, [*state.complex_rules, *rules])


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
    modifier, and so is each modifier a complex rule names where the set is copied: its answer
    holds the values' new ids), one delete of each product's rules, the variant updates in
    batches of 50 across products, and one create per complex rule (the API has no batch)."""
    in_sets = sum(1 for p in plans if p.state.option_set_id is not None or p.state.rules)
    writes_variants = sum(len(p.variants) for p in plans if p.changes)
    return {
        "reads": pages + in_sets,
        "localise": sum(p.option_writes for p in plans if p.changes),
        "delete_rules": sum(1 for p in plans if p.changes and p.delete_rules),
        "variant_batches": -(-writes_variants // 50),
        "complex_rules": sum(len(p.rules) for p in plans if p.changes),
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
    return replace(
        product,
        variants=variants,
        modifiers=modifiers,
        complex_rules=(*product.complex_rules, *(_rule_after(r) for r in plan.rules)),
    )


def _rule_after(target: RuleTarget) -> ObservedRule:
    """A complex rule the migration makes, as a store answers it (by the ids it has now)."""
    adjusters = {"price_adjuster": target.price, "weight_adjuster": target.weight}
    values = {k: v for k, v in target.fields().items() if k not in adjusters}
    values.update((k, catalog_fields.adjuster(a)) for k, a in adjusters.items() if a)
    conditions = tuple(
        sorted(
            (c["modifier_id"] or 0, c["modifier_value_id"] or 0, c["variant_id"] or 0)
            for c in target.conditions({})
        )
    )
    return ObservedRule(0, conditions, values)


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
